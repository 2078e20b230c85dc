"""AuditTrail: a multi-region CloudTrail into a locked audit bucket and a log group watched by CIS alarms.

The audit bucket holds CloudTrail and AWS Config records under S3 Object Lock, so neither an
administrator nor an attacker with admin rights can erase them before retention ends. Controlled and
PHI stacks also record every object read and write on the genomic data buckets (S3 data events).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components import audit_policies
from components.data_lake import SecureBucket
from components.monitoring import event_alarm
from components.naming import base_name, break_glass_arn, bucket_name, role_name
from components.network_policies import AUDIT_TIER
from components.settings import Settings

INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")
MANAGEMENT_SELECTOR_NAME = "Management events selector"
AUDIT_ABORT_MULTIPART_DAYS = 7
AUDIT_NONCURRENT_EXPIRY_DAYS = 30
"""Object Lock keeps every version until its retention ends whatever lifecycle says, so this only
tidies overwritten versions after retention."""
AUDIT_GLACIER_IR_AFTER_DAYS = 90
"""Old trail files are read rarely but must come back in milliseconds during an investigation."""


def audit_lifecycle_rules() -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Fixed rules, independent of settings: the bucket policy denies s3:PutLifecycleConfiguration to
    everyone, so the rules set at creation are the rules forever. Nothing expires current records."""
    everything = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=everything,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=AUDIT_ABORT_MULTIPART_DAYS
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=everything,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=AUDIT_NONCURRENT_EXPIRY_DAYS
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="archive",
            status="Enabled",
            filter=everything,
            transitions=[
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                    storage_class="GLACIER_IR", days=AUDIT_GLACIER_IR_AFTER_DAYS
                )
            ],
        ),
    ]


class AuditTrail(pulumi.ComponentResource):
    """CloudTrail (all regions, log-file validation, KMS) to an Object-Locked bucket and CloudWatch Logs,
    with S3 data events on the data buckets for controlled/PHI data and CIS alarms to an encrypted topic."""

    trail: aws.cloudtrail.Trail
    audit_bucket: aws.s3.Bucket
    log_group: aws.cloudwatch.LogGroup
    alarm_topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    metric_filters: dict[str, aws.cloudwatch.LogMetricFilter]
    cloudtrail_role: aws.iam.Role

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        log_key: aws.kms.Key,
        data_bucket_arns: list[pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
        *,
        access_log_bucket: aws.s3.Bucket | None = None,
    ):
        if settings.requires_data_events and not data_bucket_arns:
            raise ValueError(
                f"classification {settings.classification!r} requires S3 data events on the data buckets, "
                "but AuditTrail was given no data_bucket_arns"
            )
        super().__init__("glz:audit:AuditTrail", name, None, opts)
        self.trail_name = base_name(settings, stack, "trail")
        self.trail_arn = audit_policies.trail_arn(settings, self.trail_name)
        bucket_policy = self._audit_bucket(name, settings, stack, log_key, access_log_bucket)
        self._log_group_and_role(name, settings, stack, log_key)
        self.trail = aws.cloudtrail.Trail(
            name,
            name=self.trail_name,
            s3_bucket_name=self.audit_bucket.id,
            is_multi_region_trail=True,
            is_organization_trail=False,
            include_global_service_events=True,  # IAM, STS and sign-in events
            enable_log_file_validation=True,  # signed digest files prove the records were not altered
            enable_logging=True,
            kms_key_id=log_key.arn,
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=self.cloudtrail_role.arn,
            advanced_event_selectors=self._event_selectors(settings, data_bucket_arns),
            # Insights needs write management events (call rate) and read or write ones (error rate), which the
            # selectors above keep (CloudTrail API Reference, PutInsightSelectors)
            insight_selectors=[aws.cloudtrail.TrailInsightSelectorArgs(insight_type=t) for t in INSIGHT_TYPES]
            if settings.trail_insights
            else None,
            # CloudTrail checks the bucket policy and the role when the trail is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket_policy, self.cloudtrail_role_policy]),
        )
        self._alarms(name, settings, stack, log_key)
        self.register_outputs(
            {
                "trailArn": self.trail.arn,
                "auditBucket": self.audit_bucket.bucket,
                "logGroup": self.log_group.name,
                "alarmTopicArn": self.alarm_topic.arn,
            }
        )

    def _audit_bucket(
        self,
        name: str,
        settings: Settings,
        stack: str,
        log_key: aws.kms.Key,
        access_log_bucket: aws.s3.Bucket | None,
    ) -> aws.s3.BucketPolicy:
        """The data lake's SecureBucket guards, plus Object Lock and a policy for CloudTrail and
        AWS Config delivery that denies destruction to everyone."""
        self.audit_secure_bucket = SecureBucket(
            f"{name}-bucket",
            physical_name=bucket_name(settings, stack, AUDIT_TIER),
            kms_key=log_key,
            rules=audit_lifecycle_rules(),
            log_bucket=access_log_bucket,
            log_prefix=f"{AUDIT_TIER}/",
            extra_statements=lambda arn: audit_policies.audit_bucket_statements(arn, settings, self.trail_arn),
            object_lock=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode=settings.audit_object_lock_mode, days=settings.audit_object_lock_days
                )
            ),
            tags={"DataTier": AUDIT_TIER},
            sse_s3_prefixes=(f"AWSLogs/{settings.account_id}/CloudTrail-Digest/",),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.audit_bucket = self.audit_secure_bucket.bucket
        return self.audit_secure_bucket.policy

    def _log_group_and_role(self, name: str, settings: Settings, stack: str, log_key: aws.kms.Key) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/{settings.name_prefix}/{stack}/cloudtrail",
            kms_key_id=log_key.arn,
            retention_in_days=settings.audit_log_retention_days,
            opts=child,
        )
        self.cloudtrail_role = aws.iam.Role(
            f"{name}-cloudwatch-logs",
            name=role_name(settings, stack, "cloudtrail-logs"),
            description="CloudTrail delivery to the audit log group",
            assume_role_policy=json.dumps(
                audit_policies.cloudtrail_logs_trust_policy(settings, self.trail_arn), sort_keys=True
            ),
            opts=child,
        )
        self.cloudtrail_role_policy = aws.iam.RolePolicy(
            f"{name}-cloudwatch-logs",
            role=self.cloudtrail_role.id,
            policy=self.log_group.arn.apply(
                lambda arn: json.dumps(audit_policies.cloudtrail_logs_role_policy(arn), sort_keys=True)
            ),
            opts=child,
        )

    @staticmethod
    def _event_selectors(
        settings: Settings, data_bucket_arns: list[pulumi.Input[str]]
    ) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgs] | None:
        """None (CloudTrail's default: all management events) for public data. For controlled and
        PHI data, management events plus read and write object events on every data bucket; with
        advanced selectors, management events must be selected explicitly or they stop."""
        if not settings.requires_data_events:
            return None
        field = aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs
        return [
            aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                # the CloudTrail console's name for this selector; scanners that key on it (Prowler's
                # cloudtrail_multi_region_enabled_logging_management_events) then recognise the trail
                name=MANAGEMENT_SELECTOR_NAME,
                field_selectors=[field(field="eventCategory", equals=["Management"])],
            ),
            aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                # No readOnly selector: reads and writes (ReadWriteType All) are both recorded.
                name="Object reads and writes on genomic data buckets",
                field_selectors=[
                    field(field="eventCategory", equals=["Data"]),
                    field(field="resources.type", equals=["AWS::S3::Object"]),
                    field(
                        field="resources.ARN",
                        starts_withs=[pulumi.Output.concat(arn, "/") for arn in data_bucket_arns],
                    ),
                ],
            ),
        ]

    def _alarms(self, name: str, settings: Settings, stack: str, log_key: aws.kms.Key) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.alarm_topic = aws.sns.Topic(
            f"{name}-alarms",
            name=base_name(settings, stack, "security-alarms"),
            kms_master_key_id=log_key.arn,
            opts=child,
        )
        self.alarm_topic_policy = aws.sns.TopicPolicy(
            f"{name}-alarms",
            arn=self.alarm_topic.arn,
            policy=self.alarm_topic.arn.apply(
                lambda arn: json.dumps(audit_policies.alarm_topic_policy(arn, settings), sort_keys=True)
            ),
            opts=child,
        )
        self.alarm_subscription = None
        if settings.alarm_email:
            self.alarm_subscription = aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.alarm_topic.arn,
                protocol="email",
                endpoint=settings.alarm_email,
                opts=child,
            )
        self.metric_filters = {}
        self.alarms = {}
        guardrails = audit_policies.guardrail_alarms(
            break_glass_arn(settings, stack), list(settings.deployer_principal_arns)
        )
        for alarm in (*audit_policies.SECURITY_ALARMS, *guardrails):
            metric_filter = aws.cloudwatch.LogMetricFilter(
                f"{name}-{alarm.key}",
                name=alarm.metric,
                log_group_name=self.log_group.name,
                pattern=alarm.pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=alarm.metric, namespace=audit_policies.ALARM_NAMESPACE, value="1"
                ),
                opts=child,
            )
            self.metric_filters[alarm.key] = metric_filter
            source = f"CIS AWS Foundations {alarm.cis}" if alarm.cis else "Landing zone guardrail"
            self.alarms[alarm.key] = event_alarm(
                f"{name}-{alarm.key}",
                base_name(settings, stack, alarm.key),
                f"{source}: {alarm.description}",
                alarm.metric,
                self.alarm_topic.arn,
                pulumi.ResourceOptions(parent=self, depends_on=[metric_filter]),
            )
        # Deleting the trail, its log group or the delivery role stops every metric filter at once, and
        # event-count alarms read that silence as OK; this one reads it as ALARM.
        self.alarms["trail-silent"] = aws.cloudwatch.MetricAlarm(
            f"{name}-trail-silent",
            name=base_name(settings, stack, "trail-silent"),
            alarm_description="Landing zone guardrail: the trail's log group received no events for an hour",
            namespace="AWS/Logs",
            metric_name="IncomingLogEvents",
            dimensions={"LogGroupName": self.log_group.name},
            statistic="Sum",
            period=audit_policies.HEARTBEAT_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            actions_enabled=True,
            alarm_actions=[self.alarm_topic.arn],
            opts=child,
        )
