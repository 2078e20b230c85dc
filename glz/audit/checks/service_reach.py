"""AWS Config and IAM Access Analyzer reach the buckets: what only a live account shows about the endpoint-only
deny's service-linked-role exemption (GLZ-S3-016). A bucket Config cannot read has no current configuration
item with its bucket policy; a bucket the analyzer cannot read is missing from, or in error in, its analysis.
Both are reads (config:BatchGetResourceConfig, access-analyzer:GetAnalyzedResource)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

CONFIG_READS = CheckSpec(
    "config.bucket-items",
    "AWS Config holds a configuration item with the bucket policy for every declared bucket",
    ("config_recorder",),
)
ANALYZER_READS = CheckSpec(
    "accessanalyzer.bucket-analysis",
    "IAM Access Analyzer has analyzed every declared bucket without error",
    ("access_analyzer",),
)


def _config_expected(ctx: AuditContext) -> bool:
    return bool(ctx.expected.config_recorders) or "awsConfig" in ctx.expected.organization_services


def _config_item(ctx: AuditContext, bucket: str, observed: dict[str, Any]) -> Verdict:
    ctx.require("bucket", bucket, f"bucket {bucket}")
    answer = ctx.call(
        "config", "batch_get_resource_config", resourceKeys=[{"resourceType": "AWS::S3::Bucket", "resourceId": bucket}]
    )
    item = next((i for i in answer.get("baseConfigurationItems", []) if i.get("resourceId") == bucket), None)
    if item is None:
        observed["item"] = False
        return fail(
            f"AWS Config has no configuration item for bucket {bucket}: it does not record S3 buckets, or the "
            "bucket's policy refuses its service-linked role (GLZ-S3-016)"
        )
    supplementary = item.get("supplementaryConfiguration") or {}
    observed.update(item=True, status=item.get("configurationItemStatus"), policy="BucketPolicy" in supplementary)
    if not observed["policy"]:
        return fail(f"AWS Config's item for bucket {bucket} has no bucket policy: Config could not read it")
    return ok(f"item {observed['status']} with bucket policy, captured {item.get('configurationItemCaptureTime')}")


def _analyzer_arn(ctx: AuditContext) -> str | None:
    for kind in ("ACCOUNT", "ORGANIZATION"):
        for analyzer in ctx.call("accessanalyzer", "list_analyzers", type=kind).get("analyzers", []):
            if analyzer.get("status") == "ACTIVE":
                return str(analyzer["arn"])
    return None


def _analyzed(ctx: AuditContext, bucket: str, observed: dict[str, Any]) -> Verdict:
    ctx.require("bucket", bucket, f"bucket {bucket}")
    arn = _analyzer_arn(ctx)
    if arn is None:
        return fail(f"no active external-access analyzer in {ctx.region} to analyze bucket {bucket}")
    answer = ctx.call_or_none(
        "accessanalyzer",
        "get_analyzed_resource",
        ("ResourceNotFoundException",),
        analyzerArn=arn,
        resourceArn=f"arn:{ctx.partition}:s3:::{bucket}",
    )
    resource = (answer or {}).get("resource")
    observed.update(analyzer=arn, analyzed=resource is not None, error=(resource or {}).get("error"))
    if resource is None:
        return fail(f"analyzer {arn} has not analyzed bucket {bucket}: it may be unable to read the bucket policy")
    if observed["error"]:
        return fail(f"analyzer {arn} could not analyze bucket {bucket}: {observed['error']}")
    return ok(f"analyzed {resource.get('analyzedAt')}, public: {resource.get('isPublic')}")


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    analyzer_expected = bool(ctx.expected.analyzers) or "accessAnalyzer" in ctx.expected.organization_services
    for bucket in ctx.expected.buckets:
        if _config_expected(ctx):
            yield ctx.check(
                CONFIG_READS,
                bucket.name,
                bucket.urn,
                {"item": True, "policy": True},
                lambda observed, name=bucket.name: _config_item(ctx, name, observed),
            )
        if analyzer_expected:
            yield ctx.check(
                ANALYZER_READS,
                bucket.name,
                bucket.urn,
                {"analyzed": True, "error": None},
                lambda observed, name=bucket.name: _analyzed(ctx, name, observed),
            )
