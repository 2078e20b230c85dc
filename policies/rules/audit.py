"""Audit trail: CloudTrail settings and coverage, encrypted and retained logs, alarms, Object Lock.

Every rule judges what the service does, not how it is written: a trail records management events with
no selectors, with basic event selectors or with advanced ones, and stops recording them with any of the
three; an alarm that never fires, or fires to nobody, is no alarm. Resources are joined by reference
(``refers_to``): by a property's value when the state knows it, else by property dependency (a preview,
before names exist), so a filter on another log group, or a trail writing to a log group outside the
stack, does not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from policies.framework import (
    AWS_PROVIDER,
    Requirements,
    StackView,
    View,
    Violation,
    as_list,
    resource_rule,
    stack_rule,
)
from policies.rules import s3_support as s3
from policies.rules.encryption import foreign_key
from policies.rules.filter_patterns import watches

TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
AUDIT_EVENTS = Requirements(
    r2=("3.3.1", "3.3.2"), r3=("03.03.01", "03.03.02", "03.03.03"), hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)")
)
PROTECT_AUDIT = Requirements(r2=("3.3.8",), r3=("03.03.08",), hipaa=("164.312(c)(1)", "164.312(b)"))
RETENTION = Requirements(r2=("3.3.1",), r3=("03.03.03",), hipaa=("164.316(b)(2)(i)",))
ALERTING = Requirements(
    r2=("3.3.4", "3.3.5", "3.14.6", "3.14.7"),
    r3=("03.03.04", "03.03.05", "03.14.06"),
    hipaa=("164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)"),
)
HIPAA_DAYS = 2190
"""45 CFR 164.316(b)(2)(i): six years; what the settings demand of audit retention in a phi stack."""
MIN_LOG_RETENTION_DAYS = 365
"""What the stack promises for every log: the conformance pack it deploys runs AWS Config's
cw-loggroup-retention-period-check with MinRetentionTime 365 (controls/mapping/config_rules.yaml)."""
AUDIT_TIER = s3.AUDIT_TIER
ACCESS_LOG_TIER = s3.LOG_TIER
COMPLIANCE = "COMPLIANCE"

# Metric-filter patterns of the CIS AWS Foundations monitoring controls, by what they catch.
ALARM_SIGNATURES = {
    "unauthorized API calls": "UnauthorizedOperation",
    "console sign-in without MFA": "MFAUsed",
    "root account use": "Root",
    "IAM policy changes": "DeleteGroupPolicy",
    "CloudTrail changes": "StopLogging",
    "KMS key disable or deletion": "ScheduleKeyDeletion",
    "S3 bucket policy changes": "PutBucketPolicy",
    "security group changes": "AuthorizeSecurityGroupIngress",
    "network ACL changes": "CreateNetworkAcl",
    "route table changes": "CreateRoute",
    "VPC changes": "CreateVpc",
    "AWS Config changes": "StopConfigurationRecorder",
    "console authentication failures": "Failed authentication",
    "network gateway changes": "CreateInternetGateway",
    "AWS Organizations changes": "organizations.amazonaws.com",
}


# ---- joins and values shared with the account rules and the matrix probes ------------------------


def is_false(value: Any) -> bool:
    """False as a bool or as the string a state may carry."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def block(value: Any) -> dict[str, Any]:
    """A nested block as a dict (a state may carry a one-item list where the schema has an object)."""
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def _bare(value: Any) -> str:
    """An ARN or name as compared; a CloudWatch Logs ARN names the same group with or without ':*'."""
    return str(value).removesuffix(":*")


PREVIEW_UNKNOWNS = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)
"""Pulumi's placeholders for values a preview does not know yet (pulumi_policy/proxy.py UNKNOWN_*_VALUE)."""


def _unknown(value: Any) -> bool:
    """A value a preview does not know yet: then only the property dependency says where it points. An absent
    value is absent (a dependency left behind by an edit does not stand in for it)."""
    return isinstance(value, str) and value in PREVIEW_UNKNOWNS


def _known(value: Any) -> list[Any]:
    return [v for v in as_list(value) if v != "" and not _unknown(v)]


def refers_to(resource: View, prop: str, target: View, *keys: str) -> bool:
    """Whether ``resource``'s ``prop`` points at ``target``: by value when the state knows it (compared
    with the target's ``keys``: ARN, name, id; an empty value points nowhere), else by property dependency
    (a preview)."""
    raw = resource.get(prop)
    if not _unknown(raw):
        wanted = {_bare(v) for k in keys for v in _known(target.get(k))}
        return any(_bare(v) in wanted for v in _known(raw))
    return target.urn in (resource.property_dependencies.get(prop) or [])


class Referents:
    """Targets' keys (ARN, name, id) gathered once, to ask of many resources whether they point at any of
    the targets: ``referred_by(r, prop)`` is ``any(refers_to(r, prop, t, *keys) for t in targets)``."""

    def __init__(self, targets: list[View], *keys: str):
        self.values = {_bare(v) for t in targets for k in keys for v in _known(t.get(k))}
        self.urns = {t.urn for t in targets}

    def referred_by(self, resource: View, prop: str) -> bool:
        raw = resource.get(prop)
        if not _unknown(raw):
            return any(_bare(v) in self.values for v in _known(raw))
        return not self.urns.isdisjoint(resource.property_dependencies.get(prop) or ())


def _pointed_at(targets: list[View], sources: list[View], prop: str, *keys: str) -> list[View]:
    """The targets some source's ``prop`` points at (``refers_to`` for every pair, from two sets)."""
    values: set[str] = set()
    urns: set[str] = set()
    for source in sources:
        raw = source.get(prop)
        if _unknown(raw):
            urns.update(source.property_dependencies.get(prop) or ())
        else:
            values.update(_bare(v) for v in _known(raw))
    return [t for t in targets if t.urn in urns or any(_bare(v) in values for k in keys for v in _known(t.get(k)))]


def has_value(resource: View, prop: str) -> bool:
    """Whether ``prop`` is set: a non-empty value, or (in a preview) a property dependency standing for one."""
    raw = resource.get(prop)
    if not _unknown(raw):
        return bool(_known(raw))
    return bool(resource.property_dependencies.get(prop))


def region_of(stack: StackView, resource: View | None = None) -> str | None:
    """The resource's own ``region`` (pulumi-aws v7 lets any resource override it), else the provider's."""
    if resource is not None and resource.get("region"):
        return str(resource.get("region"))
    for provider in stack.of_type(AWS_PROVIDER):
        if provider.get("region"):
            return str(provider.get("region"))
    return None


def label(resource: View) -> str:
    """How a message names a resource: its physical name, else its logical name."""
    for key in ("name", "bucket", "analyzerName"):
        value = resource.get(key)
        if isinstance(value, str) and value:
            return value
    return resource.name


# ---- CloudTrail: what a trail records ---------------------------------------------------------------

READ, WRITE = "read", "write"
BOTH = frozenset({READ, WRITE})
READ_WRITE_TYPES = {"All": BOTH, "ReadOnly": frozenset({READ}), "WriteOnly": frozenset({WRITE})}
S3_OBJECT = "AWS::S3::Object"
DATA_FIELDS = frozenset({"eventCategory", "resources.type", "resources.ARN", "readOnly"})
"""Fields of an advanced data-event selector that keep every object event of the buckets it names; any
other (eventName, userIdentity.arn, eventSource, eventType, ...) keeps only some of them."""


def trail_logging(trail: View) -> bool:
    """A trail records only while logging: enableLogging (pulumi-aws) or IsLogging (CloudFormation) false
    stops it (StopLogging)."""
    return not (is_false(trail.get("enableLogging")) or is_false(trail.get("isLogging")))


def _fields(selector: Any) -> list[dict[str, Any]]:
    return [f for f in as_list(block(selector).get("fieldSelectors")) if isinstance(f, dict)]


def _equals(fields: list[dict[str, Any]], name: str) -> list[str]:
    return [str(v) for f in fields if f.get("field") == name for v in as_list(f.get("equals"))]


def _sides(fields: list[dict[str, Any]]) -> frozenset[str]:
    """Reads and writes an advanced selector keeps: both without a readOnly field; readOnly Equals "true"
    only reads, "false" only writes (NotEquals the other way round)."""
    sides = set(BOTH)
    for f in fields:
        if f.get("field") != "readOnly":
            continue
        equals = {str(v).lower() for v in as_list(f.get("equals"))}
        if equals:
            sides &= {READ if v == "true" else WRITE for v in equals if v in ("true", "false")}
        for value in as_list(f.get("notEquals")):
            sides.discard(READ if str(value).lower() == "true" else WRITE)
    return frozenset(sides)


def _describe(f: dict[str, Any]) -> str:
    operators = {k: v for k, v in f.items() if k != "field" and v}
    return f"{f.get('field')} " + ", ".join(f"{k} {sorted(map(str, as_list(v)))}" for k, v in sorted(operators.items()))


def management_events(trail: View) -> tuple[frozenset[str], list[str]]:
    """(the management events a trail records, reads and/or writes; what narrows the selectors that would
    record them). No selectors is CloudTrail's default: every management event, reads and writes. With
    basic event selectors (includeManagementEvents defaults to true, readWriteType to All) or advanced
    ones (eventCategory Equals Management), any selector recording them counts; one that drops event
    sources (excludeManagementEventSources, eventSource NotEquals kms.amazonaws.com) does not."""
    advanced = as_list(trail.get("advancedEventSelectors"))
    basic = as_list(trail.get("eventSelectors"))
    if not advanced and not basic:
        return BOTH, []
    sides: set[str] = set()
    narrowed: list[str] = []
    if advanced:
        for selector in advanced:
            fields = _fields(selector)
            if "Management" not in _equals(fields, "eventCategory"):
                continue
            extra = [f for f in fields if f.get("field") not in ("eventCategory", "readOnly")]
            if extra:
                narrowed += [_describe(f) for f in extra]
                continue
            sides |= _sides(fields)
    else:
        for selector in basic:
            selector = block(selector)
            if is_false(selector.get("includeManagementEvents")):
                continue
            excluded = as_list(selector.get("excludeManagementEventSources"))
            if excluded:
                narrowed.append(f"excludeManagementEventSources {sorted(map(str, excluded))}")
                continue
            sides |= READ_WRITE_TYPES.get(str(selector.get("readWriteType") or "All"), frozenset())
    return frozenset(sides), narrowed


def management_problem(trail: View) -> str | None:
    """Why a trail does not record every management event (reads and writes), or None."""
    sides, narrowed = management_events(trail)
    if sides == BOTH:
        return None
    if narrowed:
        return f"records management events only without {'; '.join(narrowed)}"
    if not sides:
        return "records no management events"
    return f"records only {next(iter(sides))} management events"


def trail_problems(trail: View) -> list[str]:
    """What keeps a trail from recording every management event of every region."""
    problems = []
    if not is_true(trail.get("isMultiRegionTrail")):
        problems.append("is not multi-region")
    if is_false(trail.get("includeGlobalServiceEvents")):
        problems.append("leaves out global service events (IAM, STS, console sign-in)")
    if not trail_logging(trail):
        problems.append("is not logging")
    management = management_problem(trail)
    if management:
        problems.append(management)
    return problems


def _keeps_every_object(arn_fields: list[dict[str, Any]], bucket_arn: str) -> bool:
    """Whether resources.ARN conditions keep every object of the bucket: StartsWith the bucket ARN (or a
    shorter prefix of it) and no exclusion reaching into it. AWS logs all objects of a bucket with
    StartsWith its ARN plus '/'; Equals names single objects and EndsWith suffixes, never a whole bucket
    (CloudTrail User Guide, logging data events; AdvancedFieldSelector)."""
    objects = bucket_arn + "/"
    for f in arn_fields:
        if any(as_list(f.get(k)) for k in ("equals", "endsWiths", "endsWith", "notEndsWiths", "notEndsWith")):
            return False
        starts = [str(p) for p in as_list(f.get("startsWiths")) + as_list(f.get("startsWith"))]
        if starts and not any(objects.startswith(p) for p in starts):
            return False
        for excluded in [str(n) for n in as_list(f.get("notStartsWiths")) + as_list(f.get("notStartsWith"))]:
            if objects.startswith(excluded) or excluded.startswith(objects):
                return False
        if any(str(n).startswith(objects) or str(n) == bucket_arn for n in as_list(f.get("notEquals"))):
            return False
    return True


def data_event_sides(trail: View, bucket_arn: str) -> frozenset[str]:
    """The object events (reads, writes) of a bucket a trail's selectors record."""
    sides: set[str] = set()
    for selector in as_list(trail.get("advancedEventSelectors")):
        fields = _fields(selector)
        if "Data" not in _equals(fields, "eventCategory") or S3_OBJECT not in _equals(fields, "resources.type"):
            continue
        if any(f.get("field") not in DATA_FIELDS for f in fields):
            continue
        if _keeps_every_object([f for f in fields if f.get("field") == "resources.ARN"], bucket_arn):
            sides |= _sides(fields)
    for selector in as_list(trail.get("eventSelectors")):
        selector = block(selector)
        for resource in as_list(selector.get("dataResources")):
            values = [str(v) for v in as_list(block(resource).get("values"))]
            if block(resource).get("type") == S3_OBJECT and any((bucket_arn + "/").startswith(v) for v in values):
                sides |= READ_WRITE_TYPES.get(str(selector.get("readWriteType") or "All"), frozenset())
    return frozenset(sides)


def bucket_arn(bucket: View) -> str:
    return str(bucket.get("arn") or f"arn:aws:s3:::{s3.bucket_name(bucket)}")


def recorded_object_events(stack: StackView, bucket: View) -> frozenset[str]:
    """Reads and writes on ``bucket``'s objects that a logging trail of the stack records."""
    arn = bucket_arn(bucket)
    return frozenset(
        side for trail in stack.of_type(TRAIL) if trail_logging(trail) for side in data_event_sides(trail, arn)
    )


def trail_log_group(stack: StackView, trail: View) -> View | None:
    """The stack's log group the trail delivers to (cloudWatchLogsGroupArn), or None."""
    return stack.memo("trail log groups", _trail_log_groups).get(trail.urn)


def _trail_log_groups(stack: StackView) -> dict[str, View]:
    """Trail URN -> its log group, from one index of the groups by ARN and by name (a state order tie goes
    to the first group, as a scan would)."""
    by_arn: dict[str, View] = {}
    by_name: dict[str, View] = {}
    for group in stack.of_type(LOG_GROUP):
        if group.get("arn"):
            by_arn.setdefault(_bare(group.get("arn")), group)
        else:
            by_name.setdefault(str(group.get("name")), group)
    found: dict[str, View] = {}
    for trail in stack.of_type(TRAIL):
        value = next(iter(_known(trail.get("cloudWatchLogsGroupArn"))), None)
        if value:
            candidates = [by_arn.get(_bare(value)), by_name.get(_bare(value).split(":log-group:", 1)[-1])]
            group = min((g for g in candidates if g is not None), key=stack.ordered_position, default=None)
        else:
            linked = set(trail.property_dependencies.get("cloudWatchLogsGroupArn") or [])
            group = next((g for g in stack.of_type(LOG_GROUP) if g.urn in linked), None)
        if group is not None:
            found[trail.urn] = group
    return found


def audit_buckets(stack: StackView) -> list[View]:
    """Buckets holding audit records: the audit tier (known by reference, s3_support.classify) and every
    bucket a trail delivers to."""
    tiers = s3.classify(stack)
    buckets = stack.of_type(s3.BUCKET)
    delivered = {b.urn for b in _pointed_at(buckets, stack.of_type(TRAIL), "s3BucketName", "bucket", "id")}
    return [b for b in buckets if tiers.get(b.urn) == AUDIT_TIER or b.urn in delivered]


@stack_rule(
    "GLZ-LOG-001",
    "cloudtrail-multi-region-logging",
    "critical",
    AUDIT_EVENTS,
    "Deploy the AuditTrail component: one multi-region trail with global service events, logging on, recording "
    "every management event (no selectors, or a selector with eventCategory Management and no readOnly or "
    "eventSource field).",
)
def trail_present(stack: StackView) -> Iterator[Violation]:
    """A multi-region CloudTrail trail with global service events is logging every management event."""
    trails = stack.of_type(TRAIL)
    if not trails:
        yield Violation(stack.anchor, "no CloudTrail trail in the stack")
        return
    problems = {t.urn: trail_problems(t) for t in trails}
    if not any(not p for p in problems.values()):
        for trail in trails:
            yield Violation(trail.urn, f"trail {label(trail)} {'; '.join(problems[trail.urn])}")


@resource_rule(
    "GLZ-LOG-002",
    "cloudtrail-log-file-validation",
    (TRAIL,),
    "high",
    PROTECT_AUDIT,
    "Set enable_log_file_validation=True.",
)
def validation(resource: View, stack: StackView) -> Iterator[str]:
    """Trail log files carry digests, so tampering with audit records is detectable."""
    if resource.get("enableLogFileValidation") is not True:
        yield "log file validation is off"


@resource_rule(
    "GLZ-LOG-003",
    "cloudtrail-encrypted-with-kms",
    (TRAIL,),
    "high",
    PROTECT_AUDIT,
    "Set kms_key_id to the landing zone's log key.",
)
def trail_kms(resource: View, stack: StackView) -> Iterator[str]:
    """Trail logs are encrypted with the customer-managed log key."""
    if not resource.get("kmsKeyId"):
        yield "trail logs are not encrypted with a customer-managed key"
    elif foreign_key(stack, resource.get("kmsKeyId")):
        yield f"trail key {foreign_key(stack, resource.get('kmsKeyId'))}"


@stack_rule(
    "GLZ-LOG-004",
    "cloudtrail-data-events-on-data-buckets",
    "high",
    AUDIT_EVENTS,
    "Add S3 data events for every data-tier bucket to a logging trail: an advanced selector with eventCategory "
    "Data, resources.type AWS::S3::Object, resources.ARN StartsWith the bucket ARN plus '/', and no readOnly, "
    "eventName or exclusion field (or a basic selector with readWriteType All).",
)
def data_events(stack: StackView) -> Iterator[Violation]:
    """Controlled and PHI stacks record object-level reads and writes on every data-tier bucket."""
    if stack.classification == "public":
        return
    for bucket in s3.data_buckets(stack):
        name = s3.bucket_name(bucket)
        sides = recorded_object_events(stack, bucket)
        if sides == BOTH:
            continue
        if sides:
            yield Violation(bucket.urn, f"bucket {name}: CloudTrail records only object {next(iter(sides))}s")
            continue
        idle = [label(t) for t in stack.of_type(TRAIL) if data_event_sides(t, bucket_arn(bucket))]
        why = f" (selected only by trail {', '.join(idle)}, which is not logging)" if idle else ""
        yield Violation(bucket.urn, f"bucket {name}: no CloudTrail data events (read and write){why}")


INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")
"""components/audit_trail.INSIGHT_TYPES (the pack does not import components; a test keeps them equal)."""


def insight_types(trail: View) -> frozenset[str]:
    """The CloudTrail Insights types a trail analyzes (insightSelectors; none when absent or empty)."""
    return frozenset(str(block(s).get("insightType")) for s in as_list(trail.get("insightSelectors")) if block(s))


def insights_problem(trail: View) -> str | None:
    """Why a trail yields no Insights events of some type, or None. Call-rate Insights analyze write management
    events, error-rate Insights read or write ones (CloudTrail API Reference, PutInsightSelectors): a trail that
    does not log, or records no writes, analyzes nothing of that type whatever its selectors say."""
    missing = [t for t in INSIGHT_TYPES if t not in insight_types(trail)]
    if missing:
        return f"has no CloudTrail Insights of type {', '.join(missing)}"
    if not trail_logging(trail):
        return "has Insights selectors but is not logging"
    sides, _ = management_events(trail)
    if WRITE not in sides:
        return "records no write management events, which ApiCallRateInsight analyzes"
    return None


@stack_rule(
    "GLZ-LOG-014",
    "cloudtrail-insights",
    "medium",
    Requirements(r2=("3.14.7",), r3=("03.14.06",), hipaa=("164.308(a)(1)(ii)(D)",)),
    "Keep trailInsights on: the stack's trail analyzes its management events with both CloudTrail Insights types "
    "(insight_selectors ApiCallRateInsight and ApiErrorRateInsight) while logging write management events.",
)
def trail_insights(stack: StackView) -> Iterator[Violation]:
    """Unusual rates of management API calls and errors (credential misuse, enumeration) become Insights events."""
    trails = stack.of_type(TRAIL)
    if not trails:
        return  # GLZ-LOG-001 reports the missing trail
    problems = {t.urn: insights_problem(t) for t in trails}
    if any(p is None for p in problems.values()):
        return
    for trail in trails:
        yield Violation(trail.urn, f"trail {label(trail)} {problems[trail.urn]}")


def _is_audit_log(stack: StackView, group: View) -> bool:
    """The trail's log group (by reference; and the audit component's groups by name) holds audit records."""
    if group.urn in {g.urn for g in stack.memo("trail log groups", _trail_log_groups).values()}:
        return True
    return "trail" in str(group.get("name", "")) or group.name.startswith("audit")


def retention_days(group: View) -> int | None:
    """How long a log group keeps events: None for never (no retention, or 0); the DELIVERY class keeps
    them two days whatever retentionInDays says (pulumi-aws LogGroup: "forcibly set to 2")."""
    if str(group.get("logGroupClass") or "STANDARD").upper() == "DELIVERY":
        return 2
    try:
        days = int(float(group.get("retentionInDays") or 0))
    except (TypeError, ValueError):
        return None
    return days or None


def required_retention(stack: StackView, group: View) -> int:
    """What the stack promises for ``group``: six years for audit logs of PHI, else the stack's minimum."""
    if stack.classification == "phi" and _is_audit_log(stack, group):
        return HIPAA_DAYS
    return MIN_LOG_RETENTION_DAYS


def _first_by(views: list[View], key) -> dict[str, View]:
    found: dict[str, View] = {}
    for view in views:
        found.setdefault(str(key(view)), view)
    return found


def _log_groups_by_key(stack: StackView) -> dict[str, View]:
    """Bare ARN or name -> the first log group (state order) that has it (refers_to's comparison, indexed)."""
    found: dict[str, View] = {}
    for group in stack.of_type(LOG_GROUP):
        for key in ("arn", "name"):
            for value in _known(group.get(key)):
                found.setdefault(_bare(value), group)
    return found


def _flow_log_destination(stack: StackView, flow: View) -> tuple[str, View | None]:
    """(where a flow log delivers, the stack resource that is, if any)."""
    kind = str(flow.get("logDestinationType") or "cloud-watch-logs")
    prop = "logDestination" if has_value(flow, "logDestination") else "logGroupName"
    value = str(flow.get(prop) or "")
    if kind == "cloud-watch-logs":
        raw = flow.get(prop)
        if _unknown(raw):
            linked = set(flow.property_dependencies.get(prop) or ())
            return value, next((g for g in stack.of_type(LOG_GROUP) if g.urn in linked), None)
        groups = stack.memo("log groups by arn and name", _log_groups_by_key)
        found = [groups[_bare(v)] for v in _known(raw) if _bare(v) in groups]
        return value, (stack.ordered(found)[0] if found else None)
    if kind == "s3":
        bucket_part = value.split(":::", 1)[-1].split("/", 1)[0]
        if value:
            named = stack.memo("buckets by name", lambda st: _first_by(st.of_type(s3.BUCKET), s3.bucket_name))
            bucket = named.get(bucket_part)
        else:
            linked = set(flow.property_dependencies.get(prop) or ())
            bucket = next((b for b in stack.of_type(s3.BUCKET) if b.urn in linked), None)
        if bucket is not None:
            return value, bucket
        return value, None
    target = next(
        (r for r in stack.resources if refers_to(flow, prop, r, "arn") and r.type != FLOW_LOG),
        None,
    )
    return value, target


@stack_rule(
    "GLZ-LOG-005",
    "log-groups-encrypted-and-retained",
    "medium",
    Requirements(
        r2=("3.3.1", "3.3.8", "3.13.16"), r3=("03.03.03", "03.03.08"), hipaa=("164.312(b)", "164.316(b)(2)(i)")
    ),
    "Set kms_key_id to the log key and a retention of at least 365 days (the conformance pack's "
    "cw-loggroup-retention-period-check; 2190 or more for the trail's log group in PHI stacks), class "
    "STANDARD; deliver flow logs to a log group of the stack.",
)
def log_groups(stack: StackView) -> Iterator[Violation]:
    """CloudWatch log groups are encrypted with a customer-managed key and kept as long as the stack promises."""
    for group in stack.of_type(LOG_GROUP):
        name = label(group)
        if not group.get("kmsKeyId"):
            yield Violation(group.urn, f"log group {name} is not encrypted with a customer-managed key")
        days, floor = retention_days(group), required_retention(stack, group)
        if days is None:
            yield Violation(group.urn, f"log group {name} has no retention (kept forever, unmanaged)")
        elif days < floor:
            why = " (HIPAA 164.316(b)(2)(i): six years)" if floor == HIPAA_DAYS else ""
            klass = " (log class DELIVERY)" if str(group.get("logGroupClass")).upper() == "DELIVERY" else ""
            yield Violation(group.urn, f"log group {name} keeps events {days} days{klass}, under {floor}{why}")
    for flow in stack.of_type(FLOW_LOG):
        where, target = _flow_log_destination(stack, flow)
        if flow.get("deliverCrossAccountRole"):
            yield Violation(flow.urn, f"flow log {label(flow)} delivers to another account ({where})")
        elif target is None:
            yield Violation(
                flow.urn,
                f"flow log {label(flow)} delivers to {where or 'nowhere'}, which the stack does not define "
                "(its retention and encryption go unchecked)",
            )


def _lock_retention(lock: View | None) -> tuple[str | None, float]:
    retention = block(block(lock.get("rule")).get("defaultRetention")) if lock else {}
    days = float(retention.get("days") or 0) + 365 * float(retention.get("years") or 0)
    return (str(retention["mode"]) if retention.get("mode") else None), days


def log_buckets(stack: StackView) -> dict[str, View]:
    """Buckets that hold logs, by URN: audit records, server access logs (the access-log tier and every
    logging target) and flow logs delivered to S3."""
    found = {b.urn: b for b in audit_buckets(stack)}
    targets = {str(t.get("targetBucket")) for t in stack.of_type(s3.LOGGING) if t.get("targetBucket")}
    linked = {u for t in stack.of_type(s3.LOGGING) for u in t.property_dependencies.get("targetBucket") or []}
    tiers = s3.classify(stack)
    for bucket in stack.of_type(s3.BUCKET):
        if tiers.get(bucket.urn) == ACCESS_LOG_TIER or s3.bucket_name(bucket) in targets or bucket.urn in linked:
            found.setdefault(bucket.urn, bucket)
    for flow in stack.of_type(FLOW_LOG):
        _, target = _flow_log_destination(stack, flow)
        if target is not None and target.type == s3.BUCKET:
            found.setdefault(target.urn, target)
    return found


def _expirations(stack: StackView, bucket: View) -> Iterator[tuple[float | None, str]]:
    """Enabled lifecycle rules of ``bucket`` that expire current objects: (after how many days, or None for
    a fixed date, which expires everything written before it; what the rule is)."""
    for lifecycle in s3.siblings(stack, bucket, s3.LIFECYCLE):
        for rule in as_list(lifecycle.get("rules")):
            rule = block(rule)
            if str(rule.get("status", "Enabled")) != "Enabled":
                continue
            expiration = block(rule.get("expiration"))
            if expiration.get("date"):
                yield None, f"rule {rule.get('id', '?')} expires every object on {expiration['date']}"
            elif expiration.get("days"):
                days = float(expiration["days"])
                yield days, f"rule {rule.get('id', '?')} expires objects after {days:.0f} days"


@stack_rule(
    "GLZ-LOG-006",
    "audit-bucket-object-lock",
    "high",
    RETENTION,
    "Keep the AuditTrail bucket: Object Lock in COMPLIANCE mode with a default retention of at least 2190 days "
    "for PHI, the trail delivering to it, and no lifecycle rule on the audit or access-log bucket that expires "
    "records sooner (2190 days for PHI, else 365).",
)
def object_lock(stack: StackView) -> Iterator[Violation]:
    """Audit records stay immutable (Object Lock, COMPLIANCE mode) and no log bucket expires them early."""
    trails = stack.of_type(TRAIL)
    buckets = audit_buckets(stack)
    stack_buckets = Referents(stack.of_type(s3.BUCKET), "bucket", "id")
    for trail in trails:
        if not stack_buckets.referred_by(trail, "s3BucketName"):
            yield Violation(
                trail.urn,
                f"trail {label(trail)} delivers to bucket {trail.get('s3BucketName')}, which the stack does not "
                "define (its Object Lock and retention go unchecked)",
            )
    if trails and not buckets:
        yield Violation(stack.anchor, "the trail's bucket is not part of the stack")
    floor = HIPAA_DAYS if stack.classification == "phi" else MIN_LOG_RETENTION_DAYS
    locked: dict[str, float] = {}
    for bucket in buckets:
        name = s3.bucket_name(bucket)
        lock = s3.sibling(stack, bucket, s3.OBJECT_LOCK)
        mode, days = _lock_retention(lock)
        locked[bucket.urn] = days
        if not is_true(bucket.get("objectLockEnabled")) or lock is None:
            yield Violation(bucket.urn, f"audit bucket {name}: Object Lock is off")
        elif mode is None or days <= 0:
            yield Violation(
                bucket.urn, f"audit bucket {name}: Object Lock has no default retention, so records land unlocked"
            )
        elif mode.upper() != COMPLIANCE:
            yield Violation(
                bucket.urn,
                f"audit bucket {name}: Object Lock in {mode} mode, which anyone with s3:BypassGovernanceRetention "
                "can shorten or remove (COMPLIANCE mode: nobody can; the landing zone's setting is "
                "auditObjectLockMode: COMPLIANCE)",
            )
        elif stack.classification == "phi" and days < HIPAA_DAYS:
            yield Violation(bucket.urn, f"audit bucket retention {days:.0f} days is under six years")
    for bucket in log_buckets(stack).values():
        keep = max(floor, locked.get(bucket.urn, 0))
        for days, what in _expirations(stack, bucket):
            if days is None or days < keep:
                yield Violation(
                    bucket.urn,
                    f"log bucket {s3.bucket_name(bucket)}: lifecycle {what}, before the {keep:.0f} days the stack "
                    "keeps logs",
                )


@dataclass
class Monitoring:
    """What the CIS metric filters and alarms actually watch, and what keeps them from it."""

    groups: list[View] = field(default_factory=list)  # log groups a logging trail with management events feeds
    filters: list[View] = field(default_factory=list)  # metric filters on those groups
    alarms: list[View] = field(default_factory=list)  # alarms that fire on one matched event and notify a topic
    topics: list[View] = field(default_factory=list)  # the stack's topics those alarms notify
    covered: list[str] = field(default_factory=list)  # CIS events with such an alarm
    problems: list[Violation] = field(default_factory=list)


def _metric(resource: View) -> tuple[Any, Any]:
    transformation = block(resource.get("metricTransformation"))
    if transformation:
        return transformation.get("name"), transformation.get("namespace")
    return resource.get("metricName"), resource.get("namespace")


def _counts_events(metric_filter: View) -> bool:
    value = block(metric_filter.get("metricTransformation")).get("value")
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return value not in (None, "")


def _fires_problem(alarm: View) -> str | None:
    """Why an alarm does not go off on the first matched event (metric value 1 in one period), or None."""
    operator = str(alarm.get("comparisonOperator") or "")
    try:
        threshold = float(alarm.get("threshold") if alarm.get("threshold") is not None else 0)
    except (TypeError, ValueError):
        threshold = 0.0
    if alarm.get("thresholdMetricId") or operator not in (
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
    ):
        return f"compares with {operator or 'nothing'}, so a matched event does not set it off"
    if (operator == "GreaterThanOrEqualToThreshold" and threshold > 1) or (
        operator == "GreaterThanThreshold" and threshold >= 1
    ):
        return f"goes off only above {threshold:g} events a period"
    try:
        datapoints = int(float(alarm.get("datapointsToAlarm") or alarm.get("evaluationPeriods") or 1))
    except (TypeError, ValueError):
        datapoints = 1
    if datapoints > 1:
        return f"goes off only after {datapoints} periods with events"
    return None


metric_of, counts_events, fires_problem = _metric, _counts_events, _fires_problem  # for policies/rules/guardrails


def alarm_problem(alarm: View, topics: list[View] | Referents) -> str | None:
    """Why an alarm does not notify the security topic, or None."""
    if not isinstance(topics, Referents):
        topics = Referents(topics, "arn", "id")
    if not has_value(alarm, "alarmActions"):
        return "notifies nobody (no alarm action)"
    if is_false(alarm.get("actionsEnabled")):
        return "notifies nobody (actionsEnabled false)"
    if not topics.referred_by(alarm, "alarmActions"):
        return f"notifies {sorted(map(str, as_list(alarm.get('alarmActions'))))}, not an SNS topic of the stack"
    return None


def monitoring(stack: StackView) -> Monitoring:
    """The CIS monitoring set as it works: filters on the log group a logging trail delivers its management
    events to (with a role to write there), and alarms on their metrics that fire on one event with their
    actions on, notifying a topic of the stack."""
    seen = Monitoring(topics=[])
    trails = stack.of_type(TRAIL)
    for trail in trails:
        if not trail_logging(trail) or management_problem(trail):
            continue  # GLZ-LOG-001 says why; such a trail feeds no filter the CIS set relies on
        where = f"trail {label(trail)}"
        group = trail_log_group(stack, trail)
        if not has_value(trail, "cloudWatchLogsGroupArn"):
            seen.problems.append(Violation(trail.urn, f"{where} does not deliver to CloudWatch Logs"))
        elif group is None:
            seen.problems.append(
                Violation(
                    trail.urn,
                    f"{where} delivers to log group {trail.get('cloudWatchLogsGroupArn')}, which the stack does "
                    "not define",
                )
            )
        elif not has_value(trail, "cloudWatchLogsRoleArn"):
            seen.problems.append(
                Violation(
                    trail.urn, f"{where} has no cloudWatchLogsRoleArn, so CloudTrail cannot write to {label(group)}"
                )
            )
        elif str(group.get("logGroupClass") or "STANDARD").upper() != "STANDARD":
            seen.problems.append(
                Violation(
                    group.urn,
                    f"log group {label(group)} of {where} is of class {group.get('logGroupClass')}, where metric "
                    "filters do not run (CloudWatch Logs log classes)",
                )
            )
        elif group not in seen.groups:
            seen.groups.append(group)
    if not seen.groups:
        seen.problems.append(
            Violation(
                stack.anchor,
                "no logging trail delivers its management events to CloudWatch Logs, so the CIS metric filters "
                "see nothing",
            )
        )
    filters = stack.of_type(METRIC_FILTER)
    groups = Referents(seen.groups, "name", "id")
    seen.filters = [f for f in filters if groups.referred_by(f, "logGroupName")]
    chosen = {f.urn for f in seen.filters}
    elsewhere = [label(f) for f in filters if f.urn not in chosen]
    missing = [
        event for event in ALARM_SIGNATURES if not any(watches(str(f.get("pattern", "")), event) for f in seen.filters)
    ]
    if missing and seen.groups:
        note = f" (filters on other log groups do not count: {', '.join(sorted(elsewhere))})" if elsewhere else ""
        seen.problems.append(
            Violation(stack.anchor, f"no metric filter on the trail's log group for: {', '.join(missing)}{note}")
        )
    topics = stack.of_type(TOPIC)
    stack_topics = Referents(topics, "arn", "id")
    alarms = stack.of_type(METRIC_ALARM)
    unalarmed: list[str] = []
    cis_alarms: dict[str, View] = {}
    for event in ALARM_SIGNATURES:
        # a filter watches an event when its pattern matches CloudTrail records of it, not when it names it
        matching = [f for f in seen.filters if watches(str(f.get("pattern", "")), event)]
        if not matching:
            continue  # reported above as a missing filter
        metrics = {_metric(f) for f in matching if _counts_events(f)}
        watching = [a for a in alarms if _metric(a) in metrics]
        cis_alarms.update({a.urn: a for a in watching})
        working = [a for a in watching if alarm_problem(a, stack_topics) is None and _fires_problem(a) is None]
        if working:
            seen.covered.append(event)
            known = {a.urn for a in seen.alarms}
            seen.alarms += [a for a in working if a.urn not in known]
        else:
            unalarmed.append(event)
    if unalarmed:
        seen.problems.append(
            Violation(
                stack.anchor,
                f"no alarm that goes off on the first event and notifies a topic of the stack for: {', '.join(unalarmed)}",
            )
        )
    for alarm in alarms:
        problem = alarm_problem(alarm, stack_topics) or (_fires_problem(alarm) if alarm.urn in cis_alarms else None)
        if problem:
            seen.problems.append(Violation(alarm.urn, f"alarm {label(alarm)} {problem}"))
    seen.topics = _pointed_at(topics, seen.alarms, "alarmActions", "arn", "id")
    return seen


@stack_rule(
    "GLZ-LOG-007",
    "security-alarms-present",
    "medium",
    ALERTING,
    "Keep the AuditTrail metric filters and alarms (CIS monitoring set): the trail delivers to the filters' "
    "log group (class STANDARD) with a cloudWatchLogsRoleArn; each alarm fires at >= 1 event in one period, "
    "actions enabled, notifying the stack's security topic.",
)
def alarms(stack: StackView) -> Iterator[Violation]:
    """Metric filters and alarms watch the trail for the CIS monitoring events and notify the security topic,
    which someone subscribes to."""
    seen = monitoring(stack)
    yield from seen.problems
    subscriptions = stack.of_type("aws:sns/topicSubscription:TopicSubscription")
    for topic in seen.topics:
        if not any(refers_to(s, "topic", topic, "arn", "id") for s in subscriptions):
            yield Violation(topic.urn, f"topic {label(topic)} has no subscription: the alarms reach nobody")


@resource_rule(
    "GLZ-LOG-008",
    "sns-topics-encrypted",
    ("aws:sns/topic:Topic",),
    "medium",
    Requirements(r2=("3.13.16",), r3=("03.13.08",), hipaa=("164.312(a)(2)(iv)",)),
    "Set kms_master_key_id on the topic to the log key.",
)
def topics(resource: View, stack: StackView) -> Iterator[str]:
    """Alarm notifications are encrypted at rest with a customer-managed key."""
    if not resource.get("kmsMasterKeyId"):
        yield "topic is not encrypted with a customer-managed key"
    elif foreign_key(stack, resource.get("kmsMasterKeyId")):
        yield f"topic key {foreign_key(stack, resource.get('kmsMasterKeyId'))}"
