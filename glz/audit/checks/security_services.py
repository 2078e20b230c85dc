"""Detective services: AWS Config recording, GuardDuty (with Malware Protection for S3), Security Hub with its
standards, IAM Access Analyzer, Amazon Inspector scanning."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_bool, same_key
from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok, unverifiable
from policies.framework import as_list

RECORDER = CheckSpec("config.recorder", "Config recorder records all resource types incl. global", ("config_recorder",))
RECORDING = CheckSpec("config.recording", "Config recorder is recording", ("config_recorder",))
DELIVERY = CheckSpec("config.delivery-channel", "Config delivers to the declared bucket and key", ("config_recorder",))
DETECTOR = CheckSpec("guardduty.detector", "GuardDuty detector is enabled", ("guardduty",))
FEATURE = CheckSpec("guardduty.feature", "GuardDuty protection feature is enabled", ("guardduty",))
S3_MALWARE = CheckSpec(
    "guardduty.s3-malware-protection",
    "GuardDuty Malware Protection for S3 scans and tags uploads to the declared bucket",
    ("s3_malware_protection",),
)
HUB = CheckSpec("securityhub.hub", "Security Hub is enabled", ("security_hub",))
STANDARD = CheckSpec("securityhub.standard", "Security Hub standard is enabled", ("security_hub",))
ANALYZER = CheckSpec("accessanalyzer.analyzer", "IAM Access Analyzer is active", ("access_analyzer",))
UNUSED_ACCESS = CheckSpec(
    "accessanalyzer.unused-access",
    "IAM Access Analyzer reports roles, users and keys unused for the declared days, excluding nothing",
    ("unused_access",),
)
UNUSED_ACCESS_TYPES = ("ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS")
INSPECTOR = CheckSpec(
    "inspector.enabled", "Amazon Inspector scans the declared resource types for the account", ("inspector",)
)

# Enabler resource type -> key of BatchGetAccountStatus accounts[].resourceState.
INSPECTOR_STATE_KEYS = {
    "EC2": "ec2",
    "ECR": "ecr",
    "LAMBDA": "lambda",
    "LAMBDA_CODE": "lambdaCode",
    "CODE_REPOSITORY": "codeRepository",
}


def _config(ctx: AuditContext) -> Iterator[CheckResult]:
    for recorder in ctx.expected.config_recorders:
        group = recorder.prop("recordingGroup") or {}
        expected = {
            "all_supported": as_bool(group.get("allSupported", True)),
            "include_global": as_bool(group.get("includeGlobalResourceTypes", False)),
        }

        def body(observed: dict[str, Any], name: str = recorder.name, expected=expected) -> Verdict:
            answer = ctx.call_or_none(
                "config",
                "describe_configuration_recorders",
                ("NoSuchConfigurationRecorderException",),
                ConfigurationRecorderNames=[name],
            )
            found = (answer or {}).get("ConfigurationRecorders", [])
            if not found:
                ctx.absent.add(("config-recorder", name))
                observed["exists"] = False
                return fail(f"AWS Config recorder {name} is declared but does not exist in {ctx.region}")
            live = found[0].get("recordingGroup") or {}
            observed.update(
                all_supported=bool(live.get("allSupported")),
                include_global=bool(live.get("includeGlobalResourceTypes")),
            )
            narrower = [k for k, want in expected.items() if want and not observed[k]]
            if narrower:
                return fail(f"AWS Config recorder {name} records less than declared: {', '.join(narrower)} off")
            return ok("all supported resource types, including global")

        yield ctx.check(RECORDER, recorder.name, recorder.urn, expected, body)

    for status in ctx.expected.recorder_statuses:
        if not as_bool(status.prop("isEnabled", True)):
            continue

        def recording(observed: dict[str, Any], name: str = status.name) -> Verdict:
            ctx.require("config-recorder", name, f"AWS Config recorder {name}")
            answer = ctx.call_or_none(
                "config",
                "describe_configuration_recorder_status",
                ("NoSuchConfigurationRecorderException",),
                ConfigurationRecorderNames=[name],
            )
            found = (answer or {}).get("ConfigurationRecordersStatus", [])
            observed["recording"] = bool(found and found[0].get("recording"))
            if found and found[0].get("lastStatus"):
                observed["last_status"] = found[0]["lastStatus"]
            if not observed["recording"]:
                return fail(f"AWS Config recorder {name} is not recording (stopped)")
            if observed.get("last_status") == "FAILURE":
                return fail(f"AWS Config recorder {name} is recording but its last delivery failed", drift=False)
            return ok("recording")

        yield ctx.check(RECORDING, status.name, status.urn, {"recording": True}, recording)

    for channel in ctx.expected.delivery_channels:
        expected = {"s3_bucket": channel.prop("s3BucketName"), "kms_key": channel.prop("s3KmsKeyArn")}

        def delivery(observed: dict[str, Any], name: str = channel.name, expected=expected) -> Verdict:
            answer = ctx.call_or_none(
                "config", "describe_delivery_channels", ("NoSuchDeliveryChannelException",), DeliveryChannelNames=[name]
            )
            found = (answer or {}).get("DeliveryChannels", [])
            if not found:
                observed["exists"] = False
                return fail(f"AWS Config delivery channel {name} is declared but does not exist")
            observed.update(s3_bucket=found[0].get("s3BucketName"), kms_key=found[0].get("s3KmsKeyArn"))
            if observed["s3_bucket"] != expected["s3_bucket"] or (
                expected["kms_key"] and not same_key(observed["kms_key"], expected["kms_key"])
            ):
                return fail(f"AWS Config delivery channel {name} delivers to {observed}; declared {expected}")
            return ok(f"to s3://{observed['s3_bucket']}")

        yield ctx.check(DELIVERY, channel.name, channel.urn, expected, delivery)


def live_detector(ctx: AuditContext) -> dict[str, Any] | None:
    """The region's GuardDuty detector as the account reports it (id and GetDetector's answer), or None."""
    ids = ctx.call("guardduty", "list_detectors").get("DetectorIds", [])
    if not ids:
        return None
    return {"id": ids[0], **ctx.call("guardduty", "get_detector", DetectorId=ids[0])}


def _guardduty(ctx: AuditContext) -> Iterator[CheckResult]:
    for detector in ctx.expected.guardduty_detectors:
        if not as_bool(detector.prop("enable", True)):
            continue

        def body(observed: dict[str, Any], detector=detector) -> Verdict:
            live = live_detector(ctx)
            if live is None:
                observed["exists"] = False
                return fail(f"no GuardDuty detector in {ctx.region}; the state declares one ({detector.urn})")
            observed.update(id=live["id"], status=live.get("Status"))
            if observed["status"] != "ENABLED":
                return fail(f"GuardDuty detector {live['id']} in {ctx.region} is {observed['status']}")
            return ok(f"detector {live['id']} ENABLED")

        yield ctx.check(DETECTOR, ctx.region, detector.urn, {"status": "ENABLED"}, body)

    for feature in ctx.expected.guardduty_features:
        want = feature.prop("status", "ENABLED")

        def feature_body(observed: dict[str, Any], name: str = feature.name, want: str = want) -> Verdict:
            live = live_detector(ctx)
            if live is None:
                return fail(f"no GuardDuty detector in {ctx.region}, so {name} is not enabled")
            status = next((f.get("Status") for f in live.get("Features", []) if f.get("Name") == name), None)
            observed["status"] = status
            if status != want:
                return fail(f"GuardDuty feature {name} is {status or 'absent'}; declared {want}")
            return ok(f"{name} {status}")

        yield ctx.check(FEATURE, feature.name, feature.urn, {"status": want}, feature_body)


def _live_malware_plans(ctx: AuditContext) -> dict[str, list[dict[str, Any]]]:
    """Bucket name -> the account's Malware Protection plans for it (GetMalwareProtectionPlan answers)."""
    plans: dict[str, list[dict[str, Any]]] = {}
    for item in ctx.call("guardduty", "list_malware_protection_plans").get("MalwareProtectionPlans", []):
        plan_id = item.get("MalwareProtectionPlanId")
        answer = ctx.call("guardduty", "get_malware_protection_plan", MalwareProtectionPlanId=plan_id)
        bucket = ((answer.get("ProtectedResource") or {}).get("S3Bucket") or {}).get("BucketName")
        plans.setdefault(str(bucket), []).append({"id": plan_id, **answer})
    return plans


def _declared_tagging(plan: Any) -> str:
    for action in as_list(plan.prop("actions")):
        for tagging in as_list(action.get("taggings") or action.get("tagging")):
            if tagging.get("status"):
                return str(tagging["status"])
    return "DISABLED"


def _s3_malware_protection(ctx: AuditContext) -> Iterator[CheckResult]:
    for plan in ctx.expected.malware_protection_plans:
        s3_bucket = (plan.prop("protectedResource") or {}).get("s3Bucket") or {}
        expected = {
            "status": "ACTIVE",
            "tagging": _declared_tagging(plan),
            "role": plan.prop("role"),
            "object_prefixes": sorted(str(p) for p in as_list(s3_bucket.get("objectPrefixes"))),
        }

        def body(observed: dict[str, Any], bucket: str = plan.name, expected=expected, urn=plan.urn) -> Verdict:
            found = _live_malware_plans(ctx).get(bucket, [])
            observed["plans"] = len(found)
            if not found:
                return fail(
                    f"no GuardDuty Malware Protection plan protects bucket {bucket} in {ctx.region}; the state "
                    f"declares one ({urn})"
                )
            live = found[0]
            live_bucket = (live.get("ProtectedResource") or {}).get("S3Bucket") or {}
            observed.update(
                id=live["id"],
                status=live.get("Status"),
                tagging=((live.get("Actions") or {}).get("Tagging") or {}).get("Status", "DISABLED"),
                role=live.get("Role"),
                object_prefixes=sorted(str(p) for p in live_bucket.get("ObjectPrefixes") or []),
            )
            differs = [k for k in ("tagging", "role", "object_prefixes") if observed[k] != expected[k]]
            if differs:
                described = "; ".join(
                    f"{k} {observed[k] or 'none'} instead of {expected[k] or 'none'}" for k in differs
                )
                return fail(
                    f"Malware Protection plan {live['id']} for bucket {bucket} differs from the state: {described}"
                )
            if observed["status"] != "ACTIVE":
                reasons = "; ".join(
                    f"{r.get('Code')}: {r.get('Message')}"
                    for r in live.get("StatusReasons") or []
                    if isinstance(r, dict)
                )
                return fail(
                    f"Malware Protection plan {live['id']} for bucket {bucket} is {observed['status']}"
                    + (f" ({reasons})" if reasons else "")
                    + "; uploads may not be scanned",
                    drift=False,
                )
            return ok(f"plan {live['id']} ACTIVE, tagging {observed['tagging']}")

        yield ctx.check(S3_MALWARE, plan.name, plan.urn, expected, body)


def _security_hub(ctx: AuditContext) -> Iterator[CheckResult]:
    hub = ctx.expected.security_hub
    if hub is None:
        return

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none(
            "securityhub", "describe_hub", ("InvalidAccessException", "ResourceNotFoundException")
        )
        observed["enabled"] = answer is not None
        if answer is None:
            return fail(f"Security Hub is not enabled in {ctx.region} (declared {hub.urn})")
        observed["hub_arn"] = answer.get("HubArn")
        return ok(str(observed["hub_arn"]))

    yield ctx.check(HUB, ctx.region, hub.urn, {"enabled": True}, body)

    for standard in ctx.expected.security_hub_standards:

        def standard_body(observed: dict[str, Any], arn: str = standard.name) -> Verdict:
            answer = ctx.call("securityhub", "get_enabled_standards")
            live = {s["StandardsArn"]: s.get("StandardsStatus") for s in answer.get("StandardsSubscriptions", [])}
            observed["status"] = live.get(arn)
            if observed["status"] is None:
                return fail(f"Security Hub standard {arn} is not enabled")
            if observed["status"] in ("FAILED", "DELETING"):
                return fail(f"Security Hub standard {arn} is {observed['status']}", drift=False)
            return ok(str(observed["status"]))

        yield ctx.check(STANDARD, standard.name, standard.urn, {"status": "READY"}, standard_body)


def _unused_access_verdict(live: dict[str, Any], days: int, observed: dict[str, Any]) -> Verdict:
    """An unused-access analyzer as ListAnalyzers shows it (configuration.unusedAccess) against the declared age."""
    unused = (live.get("configuration") or {}).get("unusedAccess") or {}
    observed["unusedAccessAge"] = unused.get("unusedAccessAge")
    observed["exclusions"] = len(((unused.get("analysisRule") or {}).get("exclusions")) or [])
    if observed["unusedAccessAge"] is None or int(observed["unusedAccessAge"]) > days:
        return fail(f"reports access unused for {observed['unusedAccessAge']} days; declared {days}")
    if observed["exclusions"]:
        return fail(f"its analysis rule excludes {observed['exclusions']} set(s) of accounts or tagged entities")
    return ok(f"ACTIVE, {observed['unusedAccessAge']} days, no exclusions")


def _access_analyzer(ctx: AuditContext) -> Iterator[CheckResult]:
    for analyzer in ctx.expected.analyzers:
        kind = analyzer.prop("type", "ACCOUNT")
        if kind in UNUSED_ACCESS_TYPES:
            yield from _unused_access_analyzer(ctx, analyzer, kind)
            continue

        def body(observed: dict[str, Any], name: str = analyzer.name, kind: str = kind) -> Verdict:
            answer = ctx.call("accessanalyzer", "list_analyzers", type=kind)
            live = {a["name"]: a.get("status") for a in answer.get("analyzers", [])}
            observed["status"] = live.get(name)
            if observed["status"] is None:
                return fail(f"IAM Access Analyzer {name} ({kind}) does not exist in {ctx.region}")
            if observed["status"] != "ACTIVE":
                return fail(f"IAM Access Analyzer {name} is {observed['status']}", drift=False)
            return ok("ACTIVE")

        yield ctx.check(ANALYZER, analyzer.name, analyzer.urn, {"status": "ACTIVE", "type": kind}, body)


def _unused_access_analyzer(ctx: AuditContext, analyzer: Any, kind: str) -> Iterator[CheckResult]:
    configuration = analyzer.prop("configuration") or {}
    if isinstance(configuration, list):
        configuration = configuration[0] if configuration else {}
    unused = (configuration or {}).get("unusedAccess") or {}
    if isinstance(unused, list):
        unused = unused[0] if unused else {}
    days = int(unused.get("unusedAccessAge") or 0)

    def body(observed: dict[str, Any], name: str = analyzer.name) -> Verdict:
        answer = ctx.call("accessanalyzer", "list_analyzers", type=kind)
        live = next((a for a in answer.get("analyzers", []) if a.get("name") == name), None)
        observed["status"] = (live or {}).get("status")
        if live is None:
            return fail(f"IAM Access Analyzer {name} ({kind}) does not exist in {ctx.region}")
        if observed["status"] != "ACTIVE":
            return fail(f"IAM Access Analyzer {name} is {observed['status']}", drift=False)
        return _unused_access_verdict(live, days, observed)

    expected = {"status": "ACTIVE", "type": kind, "unusedAccessAge": days, "exclusions": 0}
    yield ctx.check(UNUSED_ACCESS, analyzer.name, analyzer.urn, expected, body)


def inspector_status(ctx: AuditContext, account: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(account state, failed-account entry) of one account from BatchGetAccountStatus."""
    answer = ctx.call("inspector2", "batch_get_account_status", accountIds=[account])
    state = next((a for a in answer.get("accounts", []) if a.get("accountId") == account), None)
    failed = next((a for a in answer.get("failedAccounts", []) if a.get("accountId") == account), None)
    return state, failed


def _inspector(ctx: AuditContext) -> Iterator[CheckResult]:
    for enabler in ctx.expected.inspector_enablers:
        types = sorted({str(t) for t in as_list(enabler.prop("resourceTypes"))})
        for account in sorted({str(a) for a in as_list(enabler.prop("accountIds"))}):
            where = f"{account}/{ctx.region}"
            expected = {INSPECTOR_STATE_KEYS.get(t, t): "ENABLED" for t in types}

            def body(
                observed: dict[str, Any], account: str = account, where: str = where, expected=expected
            ) -> Verdict:
                state, failed = inspector_status(ctx, account)
                if state is None and failed is not None:
                    observed["error"] = failed.get("errorCode")
                    return unverifiable(
                        f"Inspector did not report the status of {where}: "
                        f"{failed.get('errorCode')}: {failed.get('errorMessage', '')}".rstrip(": ")
                    )
                resources = (state or {}).get("resourceState") or {}
                observed["account"] = ((state or {}).get("state") or {}).get("status", "DISABLED")
                observed.update({key: (resources.get(key) or {}).get("status", "DISABLED") for key in expected})
                off = [key for key in expected if observed[key] != "ENABLED"]
                if not off:
                    return ok(", ".join(f"{key} ENABLED" for key in expected))
                described = ", ".join(f"{key} {observed[key]}" for key in off)
                if all(observed[key] == "ENABLING" for key in off):
                    return fail(f"Amazon Inspector for {where} is still enabling: {described}", drift=False)
                return fail(f"Amazon Inspector for {where} does not scan as declared: {described}")

            yield ctx.check(INSPECTOR, where, enabler.urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    yield from _config(ctx)
    yield from _guardduty(ctx)
    yield from _s3_malware_protection(ctx)
    yield from _security_hub(ctx)
    yield from _access_analyzer(ctx)
    yield from _inspector(ctx)
