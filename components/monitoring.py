"""Building blocks the audit trail, compute, sessions and finding alerts share: log groups kept like the audit
logs, and alarms that go off on the first counted event."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.audit_policies import ALARM_NAMESPACE
from components.settings import Settings

ALARM_PERIOD_SECONDS = 300


def audit_log_group(
    name: str, group_name: str, settings: Settings, log_key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.cloudwatch.LogGroup:
    """A log group encrypted with the log key and kept as long as the audit logs (HIPAA: 6 years for phi stacks),
    of the Standard class, where metric filters run."""
    return aws.cloudwatch.LogGroup(
        name,
        name=group_name,
        kms_key_id=log_key_arn,
        retention_in_days=settings.audit_log_retention_days,
        log_group_class="STANDARD",
        opts=opts,
    )


def event_alarm(
    name: str,
    alarm_name: str,
    description: str,
    metric: str,
    topic_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on a metric filter's count that notifies the topic on the first event of a five-minute period.
    No matching event is no data: the alarm stays OK (silence is the heartbeat alarms' job)."""
    return aws.cloudwatch.MetricAlarm(
        name,
        name=alarm_name,
        alarm_description=description,
        namespace=ALARM_NAMESPACE,
        metric_name=metric,
        statistic="Sum",
        period=ALARM_PERIOD_SECONDS,
        evaluation_periods=1,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=[topic_arn],
        opts=opts,
    )
