"""Account services the stack leaves to the organization (accountServices: organization): Control Tower or a
delegated administrator holds them, the state declares none of their resources, so the gate takes them on
trust and the matrix says so. Here the account itself answers whether each one is on. The calls are the
same read-only ones the declared-resource checks make (docs/audit-permissions.json)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from glz.audit.checks import security_services
from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

SPECS = {
    "awsConfig": CheckSpec(
        "organization.config", "AWS Config held by the organization is recording", ("config_recorder",)
    ),
    "guardDuty": CheckSpec("organization.guardduty", "GuardDuty held by the organization is enabled", ("guardduty",)),
    "securityHub": CheckSpec(
        "organization.securityhub", "Security Hub held by the organization is enabled", ("security_hub",)
    ),
    "accessAnalyzer": CheckSpec(
        "organization.accessanalyzer",
        "An external-access analyzer held by the organization is active",
        ("access_analyzer",),
    ),
    "unusedAccessAnalyzer": CheckSpec(
        "organization.unused-access",
        "An unused-access analyzer held by the organization is active",
        ("unused_access",),
    ),
    "inspector": CheckSpec(
        "organization.inspector", "Amazon Inspector held by the organization scans EC2 and ECR", ("inspector",)
    ),
    "passwordPolicy": CheckSpec(
        "organization.password-policy", "The organization's account password policy is set", ("password_policy",)
    ),
    "ebsEncryptionByDefault": CheckSpec(
        "organization.ebs-encryption",
        "EBS encryption by default is on (held by the organization)",
        ("ebs_default_encryption",),
    ),
    "s3AccountPublicAccessBlock": CheckSpec(
        "organization.s3-public-access-block",
        "The account-level S3 public access block held by the organization is on",
        ("account_public_access_block",),
    ),
}


def _config(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    statuses = ctx.call("config", "describe_configuration_recorder_status").get("ConfigurationRecordersStatus", [])
    observed["recording"] = sorted(s.get("name", "?") for s in statuses if s.get("recording"))
    if not observed["recording"]:
        return fail(f"no AWS Config recorder is recording in {ctx.region}")
    return ok(f"recording: {', '.join(observed['recording'])}")


def _guardduty(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    detector = security_services.live_detector(ctx)
    if detector is None:
        return fail(f"no GuardDuty detector in {ctx.region}")
    observed["status"] = detector.get("Status")
    if observed["status"] != "ENABLED":
        return fail(f"GuardDuty detector {detector['id']} is {observed['status']}")
    return ok(f"detector {detector['id']} ENABLED")


def _security_hub(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    answer = ctx.call_or_none("securityhub", "describe_hub", ("InvalidAccessException", "ResourceNotFoundException"))
    observed["enabled"] = answer is not None
    return ok(str(answer.get("HubArn"))) if answer else fail(f"Security Hub is not enabled in {ctx.region}")


def _active_analyzers(ctx: AuditContext, kinds: tuple[str, ...], what: str, observed: dict[str, Any]) -> Verdict:
    active = []
    for kind in kinds:
        analyzers = ctx.call("accessanalyzer", "list_analyzers", type=kind).get("analyzers", [])
        active += [f"{a.get('name')} ({kind})" for a in analyzers if a.get("status") == "ACTIVE"]
    observed["active"] = active
    return ok(", ".join(active)) if active else fail(f"no active {what} analyzer in {ctx.region}")


def _access_analyzer(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    return _active_analyzers(ctx, ("ACCOUNT", "ORGANIZATION"), "external-access", observed)


def _unused_access_analyzer(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    return _active_analyzers(ctx, ("ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS"), "unused-access", observed)


def _inspector(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    state, _ = security_services.inspector_status(ctx, ctx.account)
    resources = (state or {}).get("resourceState") or {}
    observed.update({key: (resources.get(key) or {}).get("status", "DISABLED") for key in ("ec2", "ecr")})
    off = [key for key in ("ec2", "ecr") if observed[key] != "ENABLED"]
    return fail(f"Amazon Inspector does not scan {', '.join(off)} for {ctx.account}") if off else ok("ec2, ecr ENABLED")


def _password_policy(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    answer = ctx.call_or_none("iam", "get_account_password_policy", ("NoSuchEntity", "NoSuchEntityException"))
    observed["set"] = answer is not None
    if answer is None:
        return fail("the account has no password policy")
    length = (answer.get("PasswordPolicy") or {}).get("MinimumPasswordLength")
    return ok(f"minimum length {length}")


def _ebs_encryption(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    observed["enabled"] = bool(ctx.call("ec2", "get_ebs_encryption_by_default").get("EbsEncryptionByDefault"))
    return ok("on") if observed["enabled"] else fail(f"EBS encryption by default is off in {ctx.region}")


def _account_public_access_block(ctx: AuditContext, observed: dict[str, Any]) -> Verdict:
    answer = ctx.call_or_none(
        "s3control", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",), AccountId=ctx.account
    )
    settings = (answer or {}).get("PublicAccessBlockConfiguration") or {}
    off = [
        k
        for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        if not settings.get(k)
    ]
    observed["off"] = off
    return fail(f"account public access block settings off: {', '.join(off)}") if off else ok("all four on")


BODIES: dict[str, Callable[[AuditContext, dict[str, Any]], Verdict]] = {
    "awsConfig": _config,
    "guardDuty": _guardduty,
    "securityHub": _security_hub,
    "accessAnalyzer": _access_analyzer,
    "unusedAccessAnalyzer": _unused_access_analyzer,
    "inspector": _inspector,
    "passwordPolicy": _password_policy,
    "ebsEncryptionByDefault": _ebs_encryption,
    "s3AccountPublicAccessBlock": _account_public_access_block,
}


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for service in ctx.expected.organization_services:
        body = BODIES.get(service)
        if body is None:
            continue
        yield ctx.check(
            SPECS[service],
            f"{ctx.account}/{ctx.region}",
            None,
            {"held_by": "organization"},
            lambda o, b=body: b(ctx, o),
        )
