"""CloudTrail: the declared trail exists, is logging, multi-region, validated, KMS-encrypted, delivers
where declared, and records management events and S3 object events on the declared data buckets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_bool, same_key
from glz.audit.context import AuditContext
from glz.audit.expected import Declared, declared_data_event_buckets
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

EXISTS = CheckSpec("cloudtrail.trail-exists", "Declared trail exists", ("trail", "trail_data_events"))
LOGGING = CheckSpec("cloudtrail.logging", "Trail is logging", ("trail",))
MULTI_REGION = CheckSpec("cloudtrail.multi-region", "Trail is multi-region", ("trail",))
VALIDATION = CheckSpec("cloudtrail.log-validation", "Log file validation is enabled", ("trail",))
DIGESTS = CheckSpec(
    "cloudtrail.digest-delivery", "Digest files reach the bucket (no digest delivery error)", ("trail",)
)
KMS = CheckSpec("cloudtrail.kms-encryption", "Trail logs are encrypted with the declared KMS key", ("trail",))
DELIVERY = CheckSpec("cloudtrail.delivery", "Trail delivers to the declared bucket and log group", ("trail",))
MANAGEMENT = CheckSpec("cloudtrail.management-events", "Trail records all management events", ("trail",))
INSIGHTS = CheckSpec(
    "cloudtrail.insights", "Trail analyzes the declared CloudTrail Insights types", ("trail_insights",)
)
DATA_EVENTS = CheckSpec(
    "cloudtrail.data-events", "Trail records S3 object reads and writes on the data buckets", ("trail_data_events",)
)

# Advanced selector fields that only say which events; any other field narrows the selector.
HARMLESS_FIELDS = {"eventCategory", "resources.type", "resources.ARN", "readOnly", "eventSource"}


def _field_selectors(selector: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """API advanced selector -> {field: {operator: values}} with operators in the API's spelling."""
    fields: dict[str, dict[str, list[str]]] = {}
    for item in selector.get("FieldSelectors", []):
        fields[item["Field"]] = {k: list(v) for k, v in item.items() if k != "Field"}
    return fields


def _coverage(answer: dict[str, Any], buckets: list[str]) -> dict[str, Any]:
    """Which buckets the live selectors cover for reads and for writes, and whether management events are on."""
    read: set[str] = set()
    write: set[str] = set()
    management = False

    def add(bucket_filter, read_only: bool | None) -> None:
        covered = {b for b in buckets if bucket_filter(b)}
        if read_only is not False:
            read.update(covered)
        if read_only is not True:
            write.update(covered)

    for selector in answer.get("AdvancedEventSelectors") or []:
        fields = _field_selectors(selector)
        category = fields.get("eventCategory", {}).get("Equals", [])
        read_only_values = fields.get("readOnly", {}).get("Equals", [])
        read_only = None if not read_only_values else read_only_values == ["true"]
        if "Management" in category and read_only is None:
            management = True
        if "Data" not in category or "AWS::S3::Object" not in fields.get("resources.type", {}).get("Equals", []):
            continue
        if set(fields) - HARMLESS_FIELDS:
            continue  # narrowed by other fields (event names, user identity...): not full coverage
        arn = fields.get("resources.ARN", {})
        if set(arn) - {"StartsWith", "Equals"}:
            continue  # NotStartsWith / NotEquals / EndsWith exclude something: not full coverage
        prefixes = arn.get("StartsWith", [])

        def covers(bucket: str, prefixes=prefixes, everything=not arn) -> bool:
            return everything or any(f"arn:aws:s3:::{bucket}/".startswith(p) for p in prefixes)

        add(covers, read_only)
    for selector in answer.get("EventSelectors") or []:
        read_write = selector.get("ReadWriteType", "All")
        read_only = None if read_write == "All" else read_write == "ReadOnly"
        if selector.get("IncludeManagementEvents", True) and read_only is None:
            management = True
        for data in selector.get("DataResources", []):
            if data.get("Type") != "AWS::S3::Object":
                continue
            values = data.get("Values", [])

            def covers(bucket: str, values=values) -> bool:
                return any(
                    v in ("arn:aws:s3", "arn:aws:s3:::") or f"arn:aws:s3:::{bucket}/".startswith(v) for v in values
                )

            add(covers, read_only)
    return {"management": management, "read": sorted(read), "write": sorted(write)}


def _trail_checks(ctx: AuditContext, trail: Declared) -> Iterator[CheckResult]:
    name = trail.name

    def get() -> dict[str, Any]:
        ctx.require("trail", name, f"trail {name}")
        return ctx.call("cloudtrail", "get_trail", Name=name)["Trail"]

    def exists(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none("cloudtrail", "get_trail", ("TrailNotFoundException",), Name=name)
        observed["exists"] = answer is not None
        if answer is None:
            ctx.absent.add(("trail", name))
            return fail(f"trail {name} is declared in the state ({trail.urn}) but does not exist in {ctx.region}")
        observed["arn"] = answer["Trail"].get("TrailARN")
        return ok(f"trail {observed['arn']}")

    yield ctx.check(EXISTS, name, trail.urn, {"exists": True}, exists)

    def logging(observed: dict[str, Any]) -> Verdict:
        ctx.require("trail", name, f"trail {name}")
        status = ctx.call("cloudtrail", "get_trail_status", Name=name)
        observed["is_logging"] = bool(status.get("IsLogging"))
        if status.get("LatestDeliveryError"):
            observed["latest_delivery_error"] = status["LatestDeliveryError"]
        if not observed["is_logging"]:
            return fail(f"trail {name} is not logging (stopped)")
        if observed.get("latest_delivery_error"):
            return fail(f"trail {name} cannot deliver logs: {status['LatestDeliveryError']}", drift=False)
        return ok("logging")

    if as_bool(trail.prop("enableLogging", True)):
        yield ctx.check(LOGGING, name, trail.urn, {"is_logging": True}, logging)

    def flag(spec: CheckSpec, api_field: str, state_field: str, what: str) -> CheckResult:
        want = as_bool(trail.prop(state_field))

        def body(observed: dict[str, Any]) -> Verdict:
            observed[state_field] = bool(get().get(api_field))
            if observed[state_field] != want:
                return fail(
                    f"trail {name}: {what} is {'on' if observed[state_field] else 'off'}; declared "
                    f"{'on' if want else 'off'}"
                )
            return ok(f"{what} {'on' if want else 'off'}")

        return ctx.check(spec, name, trail.urn, {state_field: want}, body)

    yield flag(MULTI_REGION, "IsMultiRegionTrail", "isMultiRegionTrail", "multi-region")
    yield flag(VALIDATION, "LogFileValidationEnabled", "enableLogFileValidation", "log file validation")

    def digests(observed: dict[str, Any]) -> Verdict:
        # CloudTrail writes digests with SSE-S3 whatever the trail's key; a bucket policy refusing SSE-S3 under
        # the digest prefix leaves validation on with nothing to validate (GetTrailStatus LatestDigestDeliveryError)
        ctx.require("trail", name, f"trail {name}")
        status = ctx.call("cloudtrail", "get_trail_status", Name=name)
        observed["latest_digest_delivery_error"] = status.get("LatestDigestDeliveryError") or ""
        if observed["latest_digest_delivery_error"]:
            return fail(f"trail {name} cannot deliver digest files: {observed['latest_digest_delivery_error']}")
        return ok("no digest delivery error")

    if as_bool(trail.prop("enableLogFileValidation")):
        yield ctx.check(DIGESTS, name, trail.urn, {"latest_digest_delivery_error": ""}, digests)

    declared_key = trail.prop("kmsKeyId")
    if declared_key:
        aliases = {k.key_id: k.aliases for k in ctx.expected.keys}

        def kms(observed: dict[str, Any]) -> Verdict:
            observed["kms_key"] = get().get("KmsKeyId")
            if not same_key(observed["kms_key"], declared_key, aliases.get(str(declared_key).rsplit("/", 1)[-1], ())):
                return fail(
                    f"trail {name} logs are encrypted with {observed['kms_key'] or 'SSE-S3 only'}; declared "
                    f"{declared_key}"
                )
            return ok(str(observed["kms_key"]))

        yield ctx.check(KMS, name, trail.urn, {"kms_key": declared_key}, kms)

    expected_delivery = {"s3_bucket": trail.prop("s3BucketName")}
    if trail.prop("cloudWatchLogsGroupArn"):
        expected_delivery["log_group_arn"] = trail.prop("cloudWatchLogsGroupArn")

    def delivery(observed: dict[str, Any]) -> Verdict:
        live = get()
        observed["s3_bucket"] = live.get("S3BucketName")
        if "log_group_arn" in expected_delivery:
            observed["log_group_arn"] = live.get("CloudWatchLogsLogGroupArn")
        if observed != expected_delivery:
            return fail(f"trail {name} delivers to {observed}; the state declares {expected_delivery}")
        return ok(f"to s3://{observed['s3_bucket']}" + (" and CloudWatch Logs" if "log_group_arn" in observed else ""))

    yield ctx.check(DELIVERY, name, trail.urn, expected_delivery, delivery)

    buckets = declared_data_event_buckets(trail.resource)

    def selectors() -> dict[str, Any]:
        ctx.require("trail", name, f"trail {name}")
        return _coverage(ctx.call("cloudtrail", "get_event_selectors", TrailName=name), buckets)

    def management(observed: dict[str, Any]) -> Verdict:
        observed["management"] = selectors()["management"]
        if not observed["management"]:
            return fail(f"trail {name} does not record all (read and write) management events")
        return ok("read and write management events")

    yield ctx.check(MANAGEMENT, name, trail.urn, {"management": True}, management)

    declared_insights = sorted(
        {str(i.get("insightType")) for i in trail.prop("insightSelectors") or [] if isinstance(i, dict)}
    )
    if declared_insights:

        def insights(observed: dict[str, Any]) -> Verdict:
            ctx.require("trail", name, f"trail {name}")
            # a trail without Insights answers InsightNotEnabledException (CloudTrail User Guide, "Logging Insights
            # events with the AWS CLI"); moto answers with no selectors
            answer = ctx.call_or_none(
                "cloudtrail", "get_insight_selectors", ("InsightNotEnabledException",), TrailName=name
            )
            live = sorted({s.get("InsightType") for s in (answer or {}).get("InsightSelectors") or []})
            observed["insight_types"] = live
            missing = [t for t in declared_insights if t not in live]
            if missing:
                return fail(f"trail {name} does not analyze Insights of type {', '.join(missing)} (declared)")
            return ok(", ".join(live))

        yield ctx.check(INSIGHTS, name, trail.urn, {"insight_types": declared_insights}, insights)

    if buckets:

        def data_events(observed: dict[str, Any]) -> Verdict:
            coverage = selectors()
            observed.update(read=coverage["read"], write=coverage["write"])
            gaps = [
                f"{b} ({'/'.join(w for w in ('read', 'write') if b not in coverage[w])})"
                for b in buckets
                if b not in coverage["read"] or b not in coverage["write"]
            ]
            if gaps:
                return fail(f"trail {name} does not record S3 object events on: " + ", ".join(gaps))
            return ok(f"object reads and writes on {len(buckets)} buckets")

        yield ctx.check(DATA_EVENTS, name, trail.urn, {"read": buckets, "write": buckets}, data_events)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for trail in ctx.expected.trails:
        yield from _trail_checks(ctx, trail)
