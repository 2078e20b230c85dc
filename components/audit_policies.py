"""Policy documents and CIS alarm definitions for the audit trail.

Pure functions over settings and plain-string ARNs, so the component, the tests and the offline
policy rules agree on what the audit bucket accepts and which changes raise an alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.policy_document import Statement, document
from components.security_services import CONFIG_KEY_PREFIX
from components.settings import Settings

CLOUDTRAIL = "cloudtrail.amazonaws.com"
CONFIG = "config.amazonaws.com"
CLOUDWATCH = "cloudwatch.amazonaws.com"
ALARM_NAMESPACE = "GLZ/Security"

DESTRUCTIVE_ACTIONS = (
    "s3:BypassGovernanceRetention",
    "s3:DeleteBucket",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutLifecycleConfiguration",
)
"""Nobody, the account root included, deletes audit records or adds a lifecycle rule that would."""


def trail_arn(settings: Settings, trail_name: str) -> str:
    return f"arn:{settings.partition}:cloudtrail:{settings.region}:{settings.account_id}:trail/{trail_name}"


def audit_bucket_statements(bucket_arn: str, settings: Settings, trail: str) -> list[Statement]:
    """Deny destruction to everyone; let only this account's trail and AWS Config deliver.

    ``trail`` is the trail's ARN (fixed by name, so the policy can exist before the trail, which
    CloudTrail requires). CloudTrail delivers under AWSLogs/<account>/ (no key prefix); AWS Config
    under <CONFIG_KEY_PREFIX>/AWSLogs/<account>/Config/, the prefix AccountSecurity's delivery channel uses.
    """
    account = settings.account_id
    source_account = {"aws:SourceAccount": account}
    owner_full_control = {"s3:x-amz-acl": "bucket-owner-full-control"}
    return [
        {
            "Sid": "DenyAuditRecordDestruction",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": list(DESTRUCTIVE_ACTIONS),
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
        },
        # Records arrive only from CloudTrail and AWS Config acting as themselves (their service principals:
        # aws:PrincipalIsAWSService is true for a service principal's own request and false for every role,
        # user and service-linked role, IAM User Guide "AWS global condition context keys"). AWS Config with
        # its service-linked role delivers as config.amazonaws.com (Config Developer Guide, "Permissions for
        # the Amazon S3 bucket"), so no person, not even break-glass, can add a forged record.
        {
            "Sid": "DenyRecordsNotFromDeliveringServices",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/*",
            "Condition": {"Bool": {"aws:PrincipalIsAWSService": "false"}},
        },
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail, **source_account}},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/{account}/*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail, **source_account, **owner_full_control}},
        },
        {
            "Sid": "ConfigAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": source_account},
        },
        {
            "Sid": "ConfigBucketExistenceCheck",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG},
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": source_account},
        },
        {
            "Sid": "ConfigDelivery",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{CONFIG_KEY_PREFIX}/AWSLogs/{account}/Config/*",
            "Condition": {"StringEquals": {**source_account, **owner_full_control}},
        },
    ]


def cloudtrail_logs_trust_policy(settings: Settings, trail: str) -> dict[str, Any]:
    """Only CloudTrail, delivering for this account's trail, assumes the CloudWatch Logs role."""
    return document(
        [
            {
                "Sid": "CloudTrailOnly",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": settings.account_id, "aws:SourceArn": trail}},
            }
        ]
    )


def cloudtrail_logs_role_policy(log_group_arn: str) -> dict[str, Any]:
    """Write trail events into the one audit log group, nothing else."""
    group = log_group_arn.removesuffix(":*")
    return document(
        [
            {
                "Sid": "WriteAuditLogGroupOnly",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{group}:log-stream:*",
            }
        ]
    )


def alarm_topic_policy(topic_arn: str, settings: Settings) -> dict[str, Any]:
    """CloudWatch alarms of this account may publish; nothing else is granted by the topic."""
    partition, region, account = settings.partition, settings.region, settings.account_id
    return document(
        [
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDWATCH},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"},
                },
            }
        ]
    )


@dataclass(frozen=True)
class SecurityAlarm:
    """One CIS AWS Foundations Benchmark monitoring recommendation: a metric filter and its alarm."""

    key: str
    metric: str
    cis: str
    description: str
    pattern: str


def _any_event(*names: str) -> str:
    return " || ".join(f"($.eventName = {name})" for name in names)


SECURITY_ALARMS: tuple[SecurityAlarm, ...] = (
    SecurityAlarm(
        "unauthorized-api-calls",
        "UnauthorizedApiCalls",
        "4.1",
        "API calls denied for lack of permission",
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) '
        '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    ),
    SecurityAlarm(
        "console-signin-without-mfa",
        "ConsoleSigninWithoutMfa",
        "4.2",
        "successful console sign-in by an IAM user without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    SecurityAlarm(
        "root-account-usage",
        "RootAccountUsage",
        "4.3",
        "the root user made a request",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    ),
    SecurityAlarm(
        "iam-policy-changes",
        "IamPolicyChanges",
        "4.4",
        "an IAM policy was created, changed, attached or detached",
        "{ "
        + _any_event(
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        )
        + " }",
    ),
    SecurityAlarm(
        "cloudtrail-changes",
        "CloudTrailChanges",
        "4.5",
        "a trail was created, changed, deleted, started or stopped",
        "{ " + _any_event("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging") + " }",
    ),
    SecurityAlarm(
        "console-authentication-failures",
        "ConsoleAuthenticationFailures",
        "4.6",
        "a console sign-in failed authentication (password guessing against IAM users or the root user)",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    SecurityAlarm(
        "kms-key-disabled-or-deleted",
        "KmsKeyDisabledOrScheduledDeletion",
        "4.7",
        "a customer-managed KMS key was disabled or scheduled for deletion",
        "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    ),
    SecurityAlarm(
        "s3-bucket-policy-changes",
        "S3BucketPolicyChanges",
        "4.8",
        "an S3 bucket policy, ACL, CORS, lifecycle or replication configuration changed",
        "{ ($.eventSource = s3.amazonaws.com) && ("
        + _any_event(
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        )
        + ") }",
    ),
    SecurityAlarm(
        "aws-config-changes",
        "AwsConfigChanges",
        "4.9",
        "AWS Config recording or delivery was stopped or changed",
        "{ ($.eventSource = config.amazonaws.com) && ("
        + _any_event(
            "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"
        )
        + ") }",
    ),
    SecurityAlarm(
        "security-group-changes",
        "SecurityGroupChanges",
        "4.10",
        "a security group or one of its rules changed",
        "{ "
        + _any_event(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        )
        + " }",
    ),
    SecurityAlarm(
        "network-acl-changes",
        "NetworkAclChanges",
        "4.11",
        "a network ACL or one of its entries changed",
        "{ "
        + _any_event(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        )
        + " }",
    ),
    SecurityAlarm(
        "network-gateway-changes",
        "NetworkGatewayChanges",
        "4.12",
        "an internet or customer gateway was created, attached, detached or deleted (the VPC has none by design)",
        "{ "
        + _any_event(
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        )
        + " }",
    ),
    SecurityAlarm(
        "route-table-changes",
        "RouteTableChanges",
        "4.13",
        "a route table or route changed",
        "{ ($.eventSource = ec2.amazonaws.com) && ("
        + _any_event(
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        )
        + ") }",
    ),
    SecurityAlarm(
        "vpc-changes",
        "VpcChanges",
        "4.14",
        "a VPC, its attributes or a peering connection changed",
        "{ "
        + _any_event(
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        )
        + " }",
    ),
    SecurityAlarm(
        "organizations-changes",
        "OrganizationsChanges",
        "4.15",
        "the account's AWS Organizations membership, organizational units or policies (SCPs) changed",
        "{ ($.eventSource = organizations.amazonaws.com) && ("
        + _any_event(
            "AcceptHandshake",
            "AttachPolicy",
            "CreateAccount",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "DetachPolicy",
            "DisablePolicyType",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "LeaveOrganization",
            "MoveAccount",
            "RemoveAccountFromOrganization",
            "UpdatePolicy",
            "UpdateOrganizationalUnit",
        )
        + ") }",
    ),
)


# Changes to the monitoring plane beyond CIS 4.x (which covers CloudTrail, Config and KMS): what silences
# GuardDuty, Security Hub, Inspector, Access Analyzer, flow logs, the log groups, metric filters, alarms and
# their topic. CloudTrail records each as a management event from the service's endpoint. Two filters, because
# a filter pattern is at most 1,024 characters (CloudWatch Logs API Reference, PutMetricFilter filterPattern).
DETECTIVE_SERVICE_EVENTS: dict[str, tuple[str, ...]] = {
    "guardduty.amazonaws.com": (
        "DeleteDetector",
        "UpdateDetector",
        "UpdateMalwareProtectionPlan",
        "DeleteMalwareProtectionPlan",
        "DisassociateFromAdministratorAccount",
    ),
    "securityhub.amazonaws.com": ("DisableSecurityHub", "BatchDisableStandards", "UpdateStandardsControl"),
    "inspector2.amazonaws.com": ("Disable",),
    "access-analyzer.amazonaws.com": ("DeleteAnalyzer", "UpdateAnalyzer", "CreateArchiveRule", "UpdateArchiveRule"),
}
LOGGING_PLANE_EVENTS: dict[str, tuple[str, ...]] = {
    "ec2.amazonaws.com": ("DeleteFlowLogs",),
    "logs.amazonaws.com": (
        "DeleteLogGroup",
        "DeleteMetricFilter",
        "PutRetentionPolicy",
        "DeleteRetentionPolicy",
        "DisassociateKmsKey",
    ),
    "monitoring.amazonaws.com": ("DeleteAlarms", "DisableAlarmActions", "PutMetricAlarm"),
    "sns.amazonaws.com": ("DeleteTopic", "SetTopicAttributes", "Unsubscribe", "RemovePermission"),
    "kms.amazonaws.com": ("PutKeyPolicy", "DisableKeyRotation"),
}
FILTER_PATTERN_LIMIT = 1024
DEPLOYERS_PER_FILTER = 4


def _events_pattern(events: dict[str, tuple[str, ...]]) -> str:
    parts = [f"(($.eventSource = {source}) && ({_any_event(*names)}))" for source, names in events.items()]
    return "{ " + " || ".join(parts) + " }"


def guardrail_alarms(break_glass_arn: str, deployer_arns: list[str]) -> tuple[SecurityAlarm, ...]:
    """The landing zone's own alarms beside the CIS set: every break-glass assumption, every use of a deployer
    (a role's assumption, a user's any call) and every change to the monitoring plane."""
    alarms = [
        SecurityAlarm(
            "break-glass-assumed",
            "BreakGlassAssumed",
            "",
            "the break-glass role was assumed",
            f"{{ ($.eventSource = sts.amazonaws.com) && ($.eventName = AssumeRole) "
            f'&& ($.requestParameters.roleArn = "{break_glass_arn}") }}',
        ),
        SecurityAlarm(
            "detective-services-changes",
            "DetectiveServicesChanges",
            "",
            "GuardDuty, Security Hub, Inspector or Access Analyzer was disabled, deleted or narrowed",
            _events_pattern(DETECTIVE_SERVICE_EVENTS),
        ),
        SecurityAlarm(
            "logging-plane-changes",
            "LoggingPlaneChanges",
            "",
            "flow logs, log groups, metric filters, alarms, their topic or a key policy changed",
            _events_pattern(LOGGING_PLANE_EVENTS),
        ),
    ]
    roles = sorted(a for a in deployer_arns if ":role/" in a)
    users = sorted(a for a in deployer_arns if ":user/" in a)
    clauses = [
        f'(($.eventSource = sts.amazonaws.com) && ($.eventName = AssumeRole) && ($.requestParameters.roleArn = "{r}"))'
        for r in roles
    ] + [f'($.userIdentity.arn = "{u}")' for u in users]
    # a handful of deployers per filter keeps each pattern under FILTER_PATTERN_LIMIT
    for index in range(0, len(clauses), DEPLOYERS_PER_FILTER):
        suffix = "" if index == 0 else f"-{index // DEPLOYERS_PER_FILTER + 1}"
        alarms.append(
            SecurityAlarm(
                f"deployer-used{suffix}",
                f"DeployerUsed{suffix.replace('-', '')}",
                "",
                "a deployer principal was used (pulumi up, or anyone holding its credentials)",
                "{ " + " || ".join(clauses[index : index + DEPLOYERS_PER_FILTER]) + " }",
            )
        )
    return tuple(alarms)


HEARTBEAT_PERIOD_SECONDS = 3600
"""The trail's log group receives management events around the clock (every API call in the account); an hour
with none means the trail, its delivery role or the log group stopped working."""
