"""AWS Batch: every declared compute environment is VALID and in its declared state, subnets and security
groups; the launch template version it actually uses requires IMDSv2 and encrypts every EBS volume."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_bool, as_int, as_list, same_key
from glz.audit.context import AuditContext
from glz.audit.expected import Declared
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

ENVIRONMENT = CheckSpec(
    "batch.compute-environment",
    "Compute environment is VALID, in its declared state, subnets and security groups",
    ("compute_isolation",),
)
IMDSV2 = CheckSpec("batch.imdsv2", "Launch template requires IMDSv2 (HttpTokens required)", ("compute_imdsv2",))
VOLUMES = CheckSpec(
    "batch.encrypted-volumes",
    "Launch template encrypts every EBS volume with the declared key",
    ("compute_encrypted_volumes",),
)


def _environments(ctx: AuditContext) -> dict[str, dict[str, Any]]:
    names = sorted(d.name for d in ctx.expected.compute_environments)
    answer = ctx.call("batch", "describe_compute_environments", computeEnvironments=names)
    return {e["computeEnvironmentName"]: e for e in answer.get("computeEnvironments", [])}


def _live_environment(ctx: AuditContext, name: str) -> dict[str, Any]:
    ctx.require("compute-environment", name, f"compute environment {name}")
    return _environments(ctx)[name]


def _template_version(ctx: AuditContext, environment: dict[str, Any]) -> dict[str, Any]:
    """The launch template data the environment really uses (its template reference, resolved)."""
    reference = (environment.get("computeResources") or {}).get("launchTemplate") or {}
    if not reference:
        return {"reference": None, "data": None}
    version = str(reference.get("version") or "$Default")
    params: dict[str, Any] = {"Versions": [version]}
    if reference.get("launchTemplateId"):
        params["LaunchTemplateId"] = reference["launchTemplateId"]
    else:
        params["LaunchTemplateName"] = reference.get("launchTemplateName")
    answer = ctx.call_or_none(
        "ec2",
        "describe_launch_template_versions",
        (
            "InvalidLaunchTemplateId.NotFound",
            "InvalidLaunchTemplateName.NotFoundException",
            "InvalidLaunchTemplateId.VersionNotFound",
        ),
        **params,
    )
    versions = (answer or {}).get("LaunchTemplateVersions", [])
    if not versions:
        return {"reference": reference, "data": None}
    return {
        "reference": reference,
        "template": f"{versions[0].get('LaunchTemplateId')} v{versions[0].get('VersionNumber')}",
        "data": versions[0].get("LaunchTemplateData") or {},
    }


def _no_template(environment: str, template: dict[str, Any]) -> Verdict:
    if template["reference"] is None:
        return fail(f"compute environment {environment} uses no launch template (instances get the AMI defaults)")
    return fail(f"compute environment {environment} uses launch template {template['reference']}, which does not exist")


def _declared_template(ctx: AuditContext, environment: Declared) -> Declared | None:
    reference = (environment.prop("computeResources") or {}).get("launchTemplate") or {}
    template_id = reference.get("launchTemplateId")
    if template_id in ctx.expected.launch_templates:
        return ctx.expected.launch_templates[template_id]
    by_name = {d.name: d for d in ctx.expected.launch_templates.values()}
    return by_name.get(reference.get("launchTemplateName"))


def _environment(ctx: AuditContext, environment: Declared) -> CheckResult:
    resources = environment.prop("computeResources") or {}
    reference = resources.get("launchTemplate") or {}
    expected = {
        "status": "VALID",
        "state": environment.prop("state", "ENABLED"),
        "subnets": sorted(as_list(resources.get("subnets"))),
        "security_groups": sorted(as_list(resources.get("securityGroupIds"))),
        "launch_template": {
            k: reference.get(k) for k in ("launchTemplateId", "launchTemplateName", "version") if reference.get(k)
        },
    }

    def body(observed: dict[str, Any]) -> Verdict:
        live = _environments(ctx).get(environment.name)
        if live is None:
            ctx.absent.add(("compute-environment", environment.name))
            observed["exists"] = False
            return fail(f"compute environment {environment.name} is declared ({environment.urn}) but does not exist")
        live_resources = live.get("computeResources") or {}
        live_reference = live_resources.get("launchTemplate") or {}
        observed.update(
            status=live.get("status"),
            state=live.get("state"),
            subnets=sorted(live_resources.get("subnets", [])),
            security_groups=sorted(live_resources.get("securityGroupIds", [])),
            launch_template={k: live_reference.get(k) for k in expected["launch_template"]},
        )
        if live.get("statusReason"):
            observed["status_reason"] = live["statusReason"]
        drift = [k for k in ("state", "subnets", "security_groups", "launch_template") if observed[k] != expected[k]]
        if drift:
            return fail(f"compute environment {environment.name} differs from the state in: {', '.join(drift)}")
        if observed["status"] != "VALID":
            return fail(
                f"compute environment {environment.name} is {observed['status']}: {live.get('statusReason', '')}",
                drift=False,
            )
        return ok(f"VALID, {observed['state']}")

    return ctx.check(ENVIRONMENT, environment.name, environment.urn, expected, body)


def _imdsv2(ctx: AuditContext, environment: Declared) -> CheckResult:
    declared = _declared_template(ctx, environment)
    options = (declared.prop("metadataOptions") if declared else None) or {}
    expected: dict[str, Any] = {"http_tokens": options.get("httpTokens", "required")}
    hop_limit = as_int(options.get("httpPutResponseHopLimit"))
    if hop_limit:
        expected["hop_limit"] = hop_limit

    def body(observed: dict[str, Any]) -> Verdict:
        template = _template_version(ctx, _live_environment(ctx, environment.name))
        observed["launch_template"] = template.get("template") or template["reference"]
        if template["data"] is None:
            return _no_template(environment.name, template)
        live = template["data"].get("MetadataOptions") or {}
        observed.update(http_tokens=live.get("HttpTokens", "optional"), hop_limit=live.get("HttpPutResponseHopLimit"))
        if observed["http_tokens"] != "required":
            return fail(
                f"launch template {observed['launch_template']} of {environment.name} allows IMDSv1 "
                f"(HttpTokens {observed['http_tokens']})"
            )
        if hop_limit and (observed["hop_limit"] or 1) > hop_limit:
            return fail(
                f"launch template {observed['launch_template']} hop limit {observed['hop_limit']} exceeds "
                f"the declared {hop_limit}"
            )
        return ok(f"{observed['launch_template']}: HttpTokens required")

    urn = declared.urn if declared else environment.urn
    return ctx.check(IMDSV2, environment.name, urn, expected, body)


def _volumes(ctx: AuditContext, environment: Declared) -> CheckResult | None:
    declared = _declared_template(ctx, environment)
    mappings = as_list(declared.prop("blockDeviceMappings")) if declared else []
    if not mappings:
        return None
    expected_devices = {m.get("deviceName"): (m.get("ebs") or {}).get("kmsKeyId") for m in mappings if m.get("ebs")}
    expected = {"encrypted": True, "devices": expected_devices}

    def body(observed: dict[str, Any]) -> Verdict:
        template = _template_version(ctx, _live_environment(ctx, environment.name))
        observed["launch_template"] = template.get("template") or template["reference"]
        if template["data"] is None:
            return _no_template(environment.name, template)
        live = {
            m.get("DeviceName"): m.get("Ebs") or {}
            for m in template["data"].get("BlockDeviceMappings", [])
            if "Ebs" in m
        }
        observed["devices"] = {
            name: {"encrypted": bool(ebs.get("Encrypted")), "kms_key": ebs.get("KmsKeyId")}
            for name, ebs in live.items()
        }
        problems = [f"{name} not encrypted" for name, ebs in observed["devices"].items() if not ebs["encrypted"]]
        for name, key in expected_devices.items():
            if name not in observed["devices"]:
                problems.append(f"declared volume {name} missing")
            elif key and not same_key(observed["devices"][name]["kms_key"], key):
                problems.append(f"{name} encrypted with {observed['devices'][name]['kms_key'] or 'the default key'}")
        if problems:
            return fail(f"launch template {observed['launch_template']} of {environment.name}: " + "; ".join(problems))
        return ok(f"{len(live)} volumes encrypted with the declared key")

    urn = declared.urn if declared else environment.urn
    return ctx.check(VOLUMES, environment.name, urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for environment in ctx.expected.compute_environments:
        yield _environment(ctx, environment)
        if as_bool((environment.prop("computeResources") or {}).get("launchTemplate")):
            yield _imdsv2(ctx, environment)
            volumes = _volumes(ctx, environment)
            if volumes is not None:
                yield volumes
