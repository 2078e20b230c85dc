"""Audit trail: CloudTrail settings and coverage, encrypted and retained logs, alarms, Object Lock."""

from __future__ import annotations

from collections.abc import Iterator

from policies.framework import Requirements, StackView, View, Violation, as_list, resource_rule, stack_rule
from policies.rules import s3_support as s3

TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
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


@stack_rule(
    "GLZ-LOG-001",
    "cloudtrail-multi-region-logging",
    "critical",
    AUDIT_EVENTS,
    "Deploy the AuditTrail component: one multi-region trail with global service events, logging on.",
)
def trail_present(stack: StackView) -> Iterator[Violation]:
    """A multi-region CloudTrail trail with global service events is logging."""
    trails = stack.of_type(TRAIL)
    if not trails:
        yield Violation(stack.anchor, "no CloudTrail trail in the stack")
        return
    good = [
        t
        for t in trails
        if t.get("isMultiRegionTrail") is True
        and t.get("includeGlobalServiceEvents", True) is not False
        and t.get("enableLogging", True) is not False
    ]
    if not good:
        for trail in trails:
            yield Violation(trail.urn, "trail is not multi-region with global service events and logging on")


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


def _selector_prefixes(trail: View) -> list[str]:
    prefixes: list[str] = []
    for selector in as_list(trail.get("advancedEventSelectors")):
        fields = {f.get("field"): f for f in as_list(selector.get("fieldSelectors"))}
        if as_list((fields.get("eventCategory") or {}).get("equals")) != ["Data"]:
            continue
        if "readOnly" in fields:  # only reads or only writes: not full coverage
            continue
        arn = fields.get("resources.ARN") or {}
        prefixes += as_list(arn.get("startsWiths")) + as_list(arn.get("startsWith")) + as_list(arn.get("equals"))
        if not arn and as_list((fields.get("resources.type") or {}).get("equals")) == ["AWS::S3::Object"]:
            prefixes.append("arn:aws:s3:::")
    for selector in as_list(trail.get("eventSelectors")):
        if selector.get("readWriteType", "All") != "All":
            continue
        for resource in as_list(selector.get("dataResources")):
            if resource.get("type") == "AWS::S3::Object":
                prefixes += as_list(resource.get("values"))
    return prefixes


@stack_rule(
    "GLZ-LOG-004",
    "cloudtrail-data-events-on-data-buckets",
    "high",
    AUDIT_EVENTS,
    "Add S3 data events (read and write) for every data-tier bucket to the trail.",
)
def data_events(stack: StackView) -> Iterator[Violation]:
    """Controlled and PHI stacks record object-level reads and writes on every data-tier bucket."""
    if stack.classification == "public":
        return
    prefixes = [p for trail in stack.of_type(TRAIL) for p in _selector_prefixes(trail)]
    for bucket in s3.data_buckets(stack):
        arn = bucket.get("arn") or f"arn:aws:s3:::{s3.bucket_name(bucket)}"
        if not any(arn.startswith(p.rstrip("/")) or (arn + "/").startswith(p) for p in prefixes):
            yield Violation(bucket.urn, f"bucket {s3.bucket_name(bucket)}: no CloudTrail data events (read and write)")


def _is_audit_log(group: View) -> bool:
    """The trail's log group (and the audit component's other groups) hold audit records."""
    return "trail" in str(group.get("name", "")) or group.name.startswith("audit")


@resource_rule(
    "GLZ-LOG-005",
    "log-groups-encrypted-and-retained",
    (LOG_GROUP,),
    "medium",
    Requirements(
        r2=("3.3.1", "3.3.8", "3.13.16"), r3=("03.03.03", "03.03.08"), hipaa=("164.312(b)", "164.316(b)(2)(i)")
    ),
    "Set kms_key_id to the log key and a retention (at least 2190 days for audit logs of PHI stacks).",
)
def log_groups(resource: View, stack: StackView) -> Iterator[str]:
    """CloudWatch log groups are encrypted with a customer-managed key and expire on purpose, never by default."""
    if not resource.get("kmsKeyId"):
        yield "log group is not encrypted with a customer-managed key"
    retention = resource.get("retentionInDays")
    if not retention:
        yield "log group has no retention (kept forever, unmanaged)"
    elif stack.classification == "phi" and _is_audit_log(resource) and float(retention) < HIPAA_DAYS:
        yield f"audit log retention {retention} days is under six years (HIPAA 164.316(b)(2)(i))"


@stack_rule(
    "GLZ-LOG-006",
    "audit-bucket-object-lock",
    "high",
    RETENTION,
    "Enable Object Lock on the audit bucket with a default retention of at least 2190 days for PHI.",
)
def object_lock(stack: StackView) -> Iterator[Violation]:
    """The audit bucket keeps records immutable (Object Lock) for the retention HIPAA requires."""
    trails = stack.of_type(TRAIL)
    audit_names = {t.get("s3BucketName") for t in trails if t.get("s3BucketName")}
    audit_buckets = [
        b for b in stack.of_type(s3.BUCKET) if s3.bucket_name(b) in audit_names or s3.tier_of(b) == "audit"
    ]
    if trails and not audit_buckets:
        yield Violation(stack.anchor, "the trail's bucket is not part of the stack")
    for bucket in audit_buckets:
        lock = s3.sibling(stack, bucket, s3.OBJECT_LOCK)
        retention = ((lock.get("rule") or {}).get("defaultRetention") or {}) if lock else {}
        days = float(retention.get("days") or 0) + 365 * float(retention.get("years") or 0)
        if bucket.get("objectLockEnabled") is not True or lock is None:
            yield Violation(bucket.urn, f"audit bucket {s3.bucket_name(bucket)}: Object Lock is off")
        elif stack.classification == "phi" and days < HIPAA_DAYS:
            yield Violation(bucket.urn, f"audit bucket retention {days:.0f} days is under six years")


@stack_rule(
    "GLZ-LOG-007",
    "security-alarms-present",
    "medium",
    ALERTING,
    "Keep the AuditTrail metric filters and alarms (CIS monitoring set) with an SNS action.",
)
def alarms(stack: StackView) -> Iterator[Violation]:
    """Metric filters and alarms watch the trail for the CIS monitoring events and notify the security topic."""
    if not stack.of_type(TRAIL):
        return
    filters = stack.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    alarms = stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    patterns = " ".join(str(f.get("pattern", "")) for f in filters)
    missing = [name for name, token in ALARM_SIGNATURES.items() if token not in patterns]
    if missing:
        yield Violation(stack.anchor, f"no metric filter for: {', '.join(missing)}")
    # A filter only counts: without an alarm on its metric (with an action) nobody hears of the event.
    watched = {(a.get("metricName"), a.get("namespace")) for a in alarms if as_list(a.get("alarmActions"))}
    unalarmed = []
    for name, token in ALARM_SIGNATURES.items():
        matching = [f for f in filters if token in str(f.get("pattern", ""))]
        metrics = [
            ((f.get("metricTransformation") or {}).get("name"), (f.get("metricTransformation") or {}).get("namespace"))
            for f in matching
        ]
        if matching and not any(m in watched for m in metrics):
            unalarmed.append(name)
    if unalarmed:
        yield Violation(stack.anchor, f"no alarm with an action on the metric filter for: {', '.join(unalarmed)}")
    for alarm in alarms:
        if not as_list(alarm.get("alarmActions")):
            yield Violation(alarm.urn, "alarm notifies nobody (no alarm action)")


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
