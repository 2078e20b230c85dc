"""AuditTrail: multi-region validated trail into an Object-Locked audit bucket and an encrypted log group,
S3 data events for controlled/PHI data, and the fifteen CIS alarms publishing to an encrypted topic."""

from __future__ import annotations

import json

import pytest

from components.audit_policies import ALARM_NAMESPACE, DESTRUCTIVE_ACTIONS, SECURITY_ALARMS
from components.audit_trail import AuditTrail
from components.data_lake import GenomicsDataLake
from components.encryption_keys import EncryptionKeys
from components.security_services import CONFIG_KEY_PREFIX
from components.settings import TIERS
from tests.harness import ACCOUNT, STACK, make_settings, synthesize

REGION = "us-east-1"
AUDIT_BUCKET = f"glz-{STACK}-audit-{ACCOUNT}-{REGION}"
AUDIT_ARN = f"arn:aws:s3:::{AUDIT_BUCKET}"
TRAIL_NAME = f"glz-{STACK}-trail"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL_NAME}"
BUCKET = "aws:s3/bucket:Bucket"
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"

EXPECTED_ALARMS = {
    "unauthorized-api-calls": "*UnauthorizedOperation",
    "console-signin-without-mfa": "MFAUsed",
    "root-account-usage": '$.userIdentity.type = "Root"',
    "iam-policy-changes": "PutRolePolicy",
    "cloudtrail-changes": "StopLogging",
    "kms-key-disabled-or-deleted": "ScheduleKeyDeletion",
    "s3-bucket-policy-changes": "PutBucketPolicy",
    "security-group-changes": "AuthorizeSecurityGroupIngress",
    "network-acl-changes": "CreateNetworkAclEntry",
    "route-table-changes": "CreateRoute",
    "vpc-changes": "ModifyVpcAttribute",
    "aws-config-changes": "StopConfigurationRecorder",
    "console-authentication-failures": '$.errorMessage = "Failed authentication"',
    "network-gateway-changes": "AttachInternetGateway",
    "organizations-changes": "LeaveOrganization",
}


def build(settings, *, with_access_logs: bool = False):
    built = {}

    def program():
        keys = EncryptionKeys("keys", settings, STACK)
        lake = GenomicsDataLake("data", settings, STACK, keys.data)
        built["audit"] = AuditTrail(
            "audit",
            settings,
            STACK,
            keys.logs,
            list(lake.bucket_arns().values()),
            access_log_bucket=lake.access_logs.bucket if with_access_logs else None,
        )

    return synthesize(program, settings), built["audit"]


@pytest.fixture(scope="module")
def phi():
    settings = make_settings(classification="phi", alarmEmail="security@example.org")
    state, audit = build(settings, with_access_logs=True)
    return settings, state, audit


@pytest.fixture(scope="module")
def public():
    settings = make_settings(
        classification="public",
        auditObjectLockMode="GOVERNANCE",
        auditObjectLockDays=400,
        auditLogRetentionDays=400,
    )
    state, audit = build(settings)
    return settings, state, audit


def one(state, typ):
    (resource,) = state.of_type(typ)
    return resource


def logs_key_arn(state):
    key = next(r for r in state.of_type("aws:kms/key:Key") if r.inputs["tags"]["Purpose"] == "logs")
    return key.outputs["arn"]


def data_bucket_arns(state):
    return sorted(b.outputs["arn"] for b in state.of_type(BUCKET) if b.inputs["tags"]["DataTier"] in TIERS)


def audit_sibling(state, typ):
    (resource,) = [r for r in state.of_type(typ) if r.inputs["bucket"] == AUDIT_BUCKET]
    return resource


def audit_log_group(state):
    (group,) = [g for g in state.of_type(LOG_GROUP) if g.inputs["name"].endswith("/cloudtrail")]
    return group


# ---- audit bucket -----------------------------------------------------------------------------


def test_audit_bucket_has_object_lock_and_is_kept(phi):
    _, state, audit = phi
    (bucket,) = [b for b in state.of_type(BUCKET) if b.inputs["bucket"] == AUDIT_BUCKET]
    assert bucket.inputs["objectLockEnabled"] is True
    assert bucket.inputs["forceDestroy"] is False
    assert audit.audit_bucket is not None


@pytest.mark.parametrize(("fixture", "mode", "days"), [("phi", "COMPLIANCE", 2190), ("public", "GOVERNANCE", 400)])
def test_object_lock_default_retention_follows_settings(request, fixture, mode, days):
    _, state, _ = request.getfixturevalue(fixture)
    lock = audit_sibling(state, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["objectLockEnabled"] == "Enabled"
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": mode, "days": days}


def test_audit_bucket_sse_kms_with_log_key_and_bucket_key(phi):
    _, state, _ = phi
    config = audit_sibling(
        state, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    (rule,) = config.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": logs_key_arn(state),
    }
    assert rule["bucketKeyEnabled"] is True


def test_audit_bucket_versioned_private_owner_enforced(phi):
    _, state, _ = phi
    versioning = audit_sibling(state, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    block = audit_sibling(state, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[flag] is True, flag
    ownership = audit_sibling(state, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_audit_bucket_lifecycle_never_expires_current_records(phi):
    _, state, _ = phi
    lifecycle = audit_sibling(state, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    assert {"abort-incomplete-multipart-uploads", "expire-noncurrent-versions"} <= set(rules)
    for rule in rules.values():
        expiration = rule.get("expiration") or {}
        assert not expiration.get("days") and not expiration.get("date"), rule["id"]


def test_audit_bucket_access_logging_when_given_a_log_bucket(phi, public):
    _, state, _ = phi
    logging = audit_sibling(state, "aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["targetBucket"] == f"glz-{STACK}-access-logs-{ACCOUNT}-{REGION}"
    assert logging.inputs["targetPrefix"] == "audit/"
    _, state, _ = public
    assert not [r for r in state.of_type("aws:s3/bucketLogging:BucketLogging") if r.inputs["bucket"] == AUDIT_BUCKET]


def audit_policy(state):
    policy = audit_sibling(state, "aws:s3/bucketPolicy:BucketPolicy")
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


def test_audit_bucket_policy_is_tls_only_and_expects_the_log_key(phi):
    _, state, _ = phi
    statements = audit_policy(state)
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    assert statements["DenyOtherKmsKeys"]["Condition"]["StringNotEqualsIfExists"] == {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": logs_key_arn(state)
    }


def test_audit_bucket_policy_denies_destruction_to_everyone(phi):
    _, state, _ = phi
    deny = audit_policy(state)["DenyAuditRecordDestruction"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert "Condition" not in deny
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration"} <= set(deny["Action"])
    assert set(deny["Action"]) == set(DESTRUCTIVE_ACTIONS)
    assert sorted(deny["Resource"]) == sorted([AUDIT_ARN, f"{AUDIT_ARN}/*"])


def test_audit_bucket_policy_applied_after_the_lifecycle_it_freezes(phi):
    _, state, _ = phi
    policy = audit_sibling(state, "aws:s3/bucketPolicy:BucketPolicy")
    lifecycle = audit_sibling(state, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    block = audit_sibling(state, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert lifecycle.urn in policy.dependencies
    assert block.urn in policy.dependencies


def test_cloudtrail_delivery_only_for_this_trail_and_account(phi):
    _, state, _ = phi
    statements = audit_policy(state)
    trail_arn = one(state, TRAIL).outputs["arn"]
    assert trail_arn == TRAIL_ARN
    acl, write = statements["CloudTrailAclCheck"], statements["CloudTrailWrite"]
    for statement in (acl, write):
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert acl["Action"] == "s3:GetBucketAcl" and acl["Resource"] == AUDIT_ARN
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"{AUDIT_ARN}/AWSLogs/{ACCOUNT}/*"


def test_aws_config_delivery_only_for_this_account(phi):
    _, state, _ = phi
    statements = audit_policy(state)
    config = {sid: s for sid, s in statements.items() if s.get("Principal") == {"Service": "config.amazonaws.com"}}
    assert {s["Action"] for s in config.values()} == {"s3:GetBucketAcl", "s3:ListBucket", "s3:PutObject"}
    for statement in config.values():
        assert statement["Effect"] == "Allow"
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    # Must match the key prefix of AccountSecurity's delivery channel, or Config cannot deliver.
    assert statements["ConfigDelivery"]["Resource"] == f"{AUDIT_ARN}/{CONFIG_KEY_PREFIX}/AWSLogs/{ACCOUNT}/Config/*"


def test_audit_bucket_policy_allows_no_one_else(phi):
    _, state, _ = phi
    for statement in audit_policy(state).values():
        if statement["Effect"] == "Allow":
            assert set(statement["Principal"]) == {"Service"}, statement["Sid"]
            assert statement["Condition"], statement["Sid"]


# ---- trail ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["phi", "public"])
def test_trail_is_multi_region_validated_encrypted_and_logging(request, fixture):
    _, state, audit = request.getfixturevalue(fixture)
    trail = one(state, TRAIL)
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["enableLogging"] is True
    assert trail.inputs["kmsKeyId"] == logs_key_arn(state)
    assert trail.inputs["s3BucketName"] == AUDIT_BUCKET
    assert trail.inputs["name"] == TRAIL_NAME
    assert audit.trail is not None


def test_trail_waits_for_bucket_policy_and_role_policy(phi):
    _, state, _ = phi
    trail = one(state, TRAIL)
    assert audit_sibling(state, "aws:s3/bucketPolicy:BucketPolicy").urn in trail.dependencies
    assert one(state, ROLE_POLICY).urn in trail.dependencies


@pytest.mark.parametrize(("fixture", "days"), [("phi", 2557), ("public", 400)])
def test_trail_delivers_to_an_encrypted_log_group_with_retention(request, fixture, days):
    _, state, audit = request.getfixturevalue(fixture)
    trail = one(state, TRAIL)
    group = audit_log_group(state)
    assert group.inputs["kmsKeyId"] == logs_key_arn(state)
    assert group.inputs["retentionInDays"] == days
    assert trail.inputs["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*"
    assert trail.inputs["cloudWatchLogsRoleArn"] == one(state, ROLE).outputs["arn"]
    assert audit.log_group is not None and audit.cloudtrail_role is not None


def test_cloudtrail_role_trusted_only_by_cloudtrail_for_this_trail(phi):
    _, state, _ = phi
    (statement,) = json.loads(one(state, ROLE).inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": TRAIL_ARN}


def test_cloudtrail_role_writes_only_the_audit_log_group(phi):
    _, state, _ = phi
    policy = one(state, ROLE_POLICY)
    assert policy.inputs["role"] == one(state, ROLE).id
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == f"{audit_log_group(state).outputs['arn']}:log-stream:*"


# ---- data events ------------------------------------------------------------------------------


def selectors(trail):
    return {s["name"]: {f["field"]: f for f in s["fieldSelectors"]} for s in trail.inputs["advancedEventSelectors"]}


@pytest.mark.parametrize("classification", ["phi", "controlled"])
def test_data_events_on_every_data_bucket(phi, classification):
    if classification == "phi":
        _, state, _ = phi
    else:
        state, _ = build(make_settings(classification="controlled"))
    trail = one(state, TRAIL)
    assert "eventSelectors" not in trail.inputs
    found = selectors(trail)
    management = [s for s in found.values() if s["eventCategory"]["equals"] == ["Management"]]
    assert len(management) == 1 and set(management[0]) == {"eventCategory"}, "management events must stay on"
    (data,) = [s for s in found.values() if s["eventCategory"]["equals"] == ["Data"]]
    assert data["resources.type"]["equals"] == ["AWS::S3::Object"]
    assert sorted(data["resources.ARN"]["startsWiths"]) == [f"{arn}/" for arn in data_bucket_arns(state)]
    assert len(data["resources.ARN"]["startsWiths"]) == len(TIERS)
    assert "readOnly" not in data, "ReadWriteType All: reads and writes are both recorded"


def test_public_data_has_no_data_events(public):
    _, state, _ = public
    trail = one(state, TRAIL)
    assert not trail.inputs.get("advancedEventSelectors")
    assert not trail.inputs.get("eventSelectors")


def test_data_events_required_but_no_buckets_is_an_error():
    settings = make_settings(classification="phi")
    with pytest.raises(ValueError, match="requires S3 data events"):
        AuditTrail("audit", settings, STACK, None, [])  # type: ignore[arg-type]


# ---- alarms -----------------------------------------------------------------------------------


def test_fifteen_cis_alarms_defined():
    assert {a.key for a in SECURITY_ALARMS} == set(EXPECTED_ALARMS)
    assert len({a.metric for a in SECURITY_ALARMS}) == len(SECURITY_ALARMS)


@pytest.mark.parametrize("key", sorted(EXPECTED_ALARMS))
def test_each_alarm_has_a_metric_filter_on_the_trail_log_group(phi, key):
    _, state, audit = phi
    spec = next(a for a in SECURITY_ALARMS if a.key == key)
    group = audit_log_group(state)
    (metric_filter,) = [f for f in state.of_type(FILTER) if f.inputs["metricTransformation"]["name"] == spec.metric]
    assert metric_filter.inputs["logGroupName"] == group.outputs["name"]
    assert EXPECTED_ALARMS[key] in metric_filter.inputs["pattern"]
    assert metric_filter.inputs["pattern"].startswith("{") and metric_filter.inputs["pattern"].endswith("}")
    transformation = metric_filter.inputs["metricTransformation"]
    assert transformation["namespace"] == ALARM_NAMESPACE and transformation["value"] == "1"
    (alarm,) = [a for a in state.of_type(ALARM) if a.inputs["metricName"] == spec.metric]
    assert alarm.inputs["namespace"] == ALARM_NAMESPACE
    assert alarm.inputs["threshold"] == 1
    assert alarm.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm.inputs["statistic"] == "Sum"
    assert alarm.inputs["actionsEnabled"] is True
    assert alarm.inputs["alarmActions"] == [one(state, TOPIC).outputs["arn"]]
    assert alarm.inputs["treatMissingData"] == "notBreaching"
    assert key in audit.alarms


def test_alarms_exist_for_public_data_too(public):
    _, state, _ = public
    # the CIS set, the guardrail filters (break-glass, deployer, detective services, logging plane) and
    # the trail-silent heartbeat, which watches AWS/Logs directly and so has no filter
    assert len(state.of_type(FILTER)) == len(SECURITY_ALARMS) + 4 == 19
    assert len(state.of_type(ALARM)) == len(state.of_type(FILTER)) + 1


def test_cis_filter_patterns_are_balanced():
    for alarm in SECURITY_ALARMS:
        assert alarm.pattern.count("(") == alarm.pattern.count(")"), alarm.key
        assert alarm.pattern.count('"') % 2 == 0, alarm.key


def test_alarm_topic_encrypted_with_log_key(phi):
    _, state, audit = phi
    assert one(state, TOPIC).inputs["kmsMasterKeyId"] == logs_key_arn(state)
    assert audit.alarm_topic is not None


def test_alarm_topic_policy_allows_only_cloudwatch_of_this_account(phi):
    _, state, _ = phi
    topic = one(state, TOPIC)
    policy = one(state, TOPIC_POLICY)
    assert policy.inputs["arn"] == topic.outputs["arn"]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == topic.outputs["arn"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_email_subscription_only_when_configured(phi, public):
    _, state, _ = phi
    subscription = one(state, SUBSCRIPTION)
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "security@example.org"
    assert subscription.inputs["topic"] == one(state, TOPIC).outputs["arn"]
    _, state, _ = public
    assert state.of_type(SUBSCRIPTION) == []
