"""Security findings and AWS advisories reach people: high and critical findings (Security Hub, or GuardDuty when
Security Hub is off), the start of CloudTrail Insights events and AWS Health events are recorded in an encrypted log group and raise an alarm on the
security topic.

The route is EventBridge -> CloudWatch Logs -> metric filter -> alarm -> the security topic, not EventBridge ->
SNS: an SNS topic policy for EventBridge takes no Condition (EventBridge User Guide, "Amazon SNS permissions")
and the topic's key would need an unconditioned grant to events.amazonaws.com (SNS Developer Guide, "Enable
compatibility between event sources from AWS services and encrypted topics": aws:SourceAccount is not supported
for EventBridge). Through CloudWatch Logs every grant stays bound to this account's rules, the topic keeps its
CloudWatch-only policy, and the log group is the record of each finding (kept like the audit logs).

AWS facts relied on:
- The CloudWatch Logs target needs a CloudWatch Logs resource policy letting events.amazonaws.com and
  delivery.logs.amazonaws.com call logs:CreateLogStream and logs:PutLogEvents (EventBridge User Guide, "Amazon
  CloudWatch Logs permissions"); CloudWatch Logs resource policies support aws:SourceArn (CloudWatch Logs API
  Reference, PutResourcePolicy), used here on PutLogEvents. At most 10 such policies per account and Region.
- Without an input transformer the whole event is the log message (EventBridge User Guide, "Targets": CloudWatch
  Logs), so the metric filters read `$.source`.
- Security Hub CSPM sends each finding as a "Security Hub Findings - Imported" event of source aws.securityhub
  with one finding in detail.findings (Security Hub User Guide, "EventBridge event formats"); GuardDuty sends
  "GuardDuty Finding" events with a numeric detail.severity, High 7.0-8.9 and Critical 9.0-10.0 (GuardDuty User
  Guide, "Severity levels of GuardDuty findings"); AWS Health sends "AWS Health Event" events of source aws.health
  to each Region they concern, global ones to us-east-1 (AWS Health User Guide, "Choosing a Region").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.audit_policies import ALARM_NAMESPACE
from components.monitoring import audit_log_group, event_alarm
from components.naming import base_name
from components.policy_document import document
from components.settings import Settings

EVENTS = "events.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"


@dataclass(frozen=True)
class Route:
    """One kind of event that must reach people: its EventBridge pattern, metric filter and alarm."""

    key: str
    description: str
    pattern: dict[str, Any]
    metric: str
    filter_pattern: str


SECURITY_HUB_FINDINGS = Route(
    "security-hub-findings",
    "a new, active Security Hub finding of HIGH or CRITICAL severity",
    {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {
            "findings": {
                "Severity": {"Label": ["HIGH", "CRITICAL"]},
                "Workflow": {"Status": ["NEW"]},
                "RecordState": ["ACTIVE"],
            }
        },
    },
    "SecurityHubHighFindings",
    '{ $.source = "aws.securityhub" }',
)
GUARDDUTY_FINDINGS = Route(
    "guardduty-findings",
    "a GuardDuty finding of high or critical severity (7.0 and above)",
    {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 7]}]},
    },
    "GuardDutyHighFindings",
    '{ $.source = "aws.guardduty" }',
)
HEALTH_EVENTS = Route(
    "health-events",
    "an AWS Health event for this account (service issues, scheduled changes, security notifications)",
    {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "AwsHealthEvents",
    '{ $.source = "aws.health" }',
)

TRAIL_INSIGHTS = Route(
    "trail-insights",
    "the start of a CloudTrail Insights event (an unusual rate of management API calls or errors)",
    # CloudTrail sends Insights events to the default bus as "AWS Insight via CloudTrail" (EventBridge User Guide,
    # "AWS service events delivered via AWS CloudTrail"); each has a start and an end record, insightDetails.state
    # Start or End (CloudTrail User Guide, "CloudTrail record contents for Insights events for trails")
    {
        "source": ["aws.cloudtrail"],
        "detail-type": ["AWS Insight via CloudTrail"],
        "detail": {"insightDetails": {"state": ["Start"]}},
    },
    "CloudTrailInsights",
    '{ $.source = "aws.cloudtrail" }',
)


BACKUP_JOB_FAILURES = Route(
    "backup-job-failures",
    "an AWS Backup backup, copy or restore job (a restore test's included) that failed, was aborted or expired",
    # "Backup Job State Change" / "Copy Job State Change" events of source aws.backup carry detail.state, "Restore
    # Job State Change" events detail.status (AWS Backup Developer Guide, "Monitoring AWS Backup events using Amazon
    # EventBridge": "Some events report status ... whereas other events report state"); "$or" joins the two
    # shapes in one pattern (EventBridge User Guide, "Content filtering in Amazon EventBridge event patterns")
    {
        "source": ["aws.backup"],
        "$or": [
            {
                "detail-type": ["Backup Job State Change", "Copy Job State Change"],
                "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]},
            },
            {"detail-type": ["Restore Job State Change"], "detail": {"status": ["FAILED", "ABORTED"]}},
        ],
    },
    "BackupJobsFailed",
    '{ $.source = "aws.backup" }',
)


def batch_job_failures(settings: Settings, stack: str) -> Route:
    """A job of the stack's queues that failed for good (Batch sends "Batch Job State Change" events of source
    aws.batch with detail.status and detail.jobQueue; AWS Batch User Guide, "Job state change events"), whether a
    run workflow submitted it or a person did."""
    queues = f"arn:{settings.partition}:batch:{settings.region}:{settings.account_id}:job-queue/{base_name(settings, stack, '')}"
    return Route(
        "batch-job-failures",
        "a Batch job of the stack's queues that failed",
        {
            "source": ["aws.batch"],
            "detail-type": ["Batch Job State Change"],
            "detail": {"status": ["FAILED"], "jobQueue": [{"prefix": queues}]},
        },
        "BatchJobsFailed",
        '{ $.source = "aws.batch" }',
    )


def routes(settings: Settings) -> list[Route]:
    """Security Hub carries GuardDuty's findings when it is on; GuardDuty is routed itself only without it."""
    services = settings.security_services
    chosen = [SECURITY_HUB_FINDINGS] if services.security_hub else []
    if services.guard_duty and not services.security_hub:
        chosen.append(GUARDDUTY_FINDINGS)
    if settings.trail_insights:
        chosen.append(TRAIL_INSIGHTS)
    return [*chosen, HEALTH_EVENTS]


def log_delivery_policy(group_arn: str, rule_arns: list[str]) -> dict[str, Any]:
    """EventBridge may create streams in the group and write to them only for the stack's own rules."""
    return document(
        [
            {
                "Sid": "EventBridgeCreatesStreams",
                "Effect": "Allow",
                "Principal": {"Service": [EVENTS, LOG_DELIVERY]},
                "Action": "logs:CreateLogStream",
                "Resource": f"{group_arn}:*",
            },
            {
                "Sid": "StackRulesDeliverFindings",
                "Effect": "Allow",
                "Principal": {"Service": [EVENTS, LOG_DELIVERY]},
                "Action": "logs:PutLogEvents",
                "Resource": f"{group_arn}:*:*",
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
            },
        ]
    )


class FindingAlerts(pulumi.ComponentResource):
    """EventBridge rules for the routes, their log group and its delivery policy, metric filters and alarms."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        log_key_arn: pulumi.Input[str],
        topic_arn: pulumi.Input[str],
        chosen: list[Route] | None = None,
        group: str = "security-findings",
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``chosen``: the routes (default: the findings and advisories ``routes`` picks); ``group``: the name
        of the log group that records their events."""
        super().__init__("glz:audit:FindingAlerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = audit_log_group(
            f"{name}-log",
            f"/aws/events/{base_name(settings, stack, group)}",
            settings,
            log_key_arn,
            child,
        )
        self.rules: dict[str, aws.cloudwatch.EventRule] = {}
        self.targets: dict[str, aws.cloudwatch.EventTarget] = {}
        self.metric_filters: dict[str, aws.cloudwatch.LogMetricFilter] = {}
        self.alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        chosen = routes(settings) if chosen is None else chosen
        for route in chosen:
            self.rules[route.key] = aws.cloudwatch.EventRule(
                f"{name}-{route.key}",
                name=base_name(settings, stack, route.key),
                description=f"Record and alarm on {route.description}",
                event_pattern=json.dumps(route.pattern, sort_keys=True),
                state="ENABLED",
                opts=child,
            )
        self.delivery_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-delivery",
            policy_name=base_name(settings, stack, f"{group}-delivery"),
            policy_document=pulumi.Output.all(self.log_group.arn, *[r.arn for r in self.rules.values()]).apply(
                lambda arns: json.dumps(log_delivery_policy(arns[0], list(arns[1:])), sort_keys=True)
            ),
            opts=child,
        )
        for route in chosen:
            self.targets[route.key] = aws.cloudwatch.EventTarget(
                f"{name}-{route.key}",
                rule=self.rules[route.key].name,
                target_id="security-findings-log",
                arn=self.log_group.arn,  # the group's ARN without ':*' (a target ending in ':*' delivers nothing)
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.delivery_policy]),
            )
            self.metric_filters[route.key] = aws.cloudwatch.LogMetricFilter(
                f"{name}-{route.key}",
                name=route.metric,
                log_group_name=self.log_group.name,
                pattern=route.filter_pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=route.metric, namespace=ALARM_NAMESPACE, value="1"
                ),
                opts=child,
            )
            self.alarms[route.key] = event_alarm(
                f"{name}-{route.key}",
                base_name(settings, stack, route.key),
                f"Landing zone alert: {route.description}; the event itself is recorded in the {group} log group",
                route.metric,
                topic_arn,
                pulumi.ResourceOptions(parent=self, depends_on=[self.metric_filters[route.key]]),
            )
        self.register_outputs({"findingsLogGroup": self.log_group.name})
