"""KMS key policies: the account administers each key; only the AWS services that need a key get it.

Pure functions returning policy documents, so tests and policy rules can reason about them without
Pulumi. No statement uses ``Principal: "*"``.
"""

from __future__ import annotations

from typing import Any

from components.naming import account_root
from components.policy_document import Statement, document
from components.service_linked_roles import AUTO_SCALING
from components.settings import Settings

AUTOSCALING_SLR = AUTO_SCALING.path  # created, adopted or named per serviceLinkedRoles.autoScaling


def _account_admin(settings: Settings) -> Statement:
    # Delegates key use to IAM policies in this account; without it the key is unmanageable.
    return {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(settings)},
        "Action": "kms:*",
        "Resource": "*",
    }


def _source_account(settings: Settings) -> dict[str, Any]:
    return {"StringEquals": {"aws:SourceAccount": settings.account_id}}


def data_key_policy(settings: Settings) -> dict[str, Any]:
    """Genomic data tiers. S3 and EFS use the caller's own grants; S3 log delivery needs the key
    because the access-log bucket is encrypted with it too.

    The GuardDuty malware-scan roles of the intake buckets get in through the account statement: their IAM
    policies grant kms:Decrypt/GenerateDataKey on this key only via S3 for their bucket
    (malware_policies.role_policy). Naming them here would fail the deployment: KMS rejects a key policy
    whose principal does not exist yet, and this key is created before the roles."""
    return document(
        [
            _account_admin(settings),
            {
                "Sid": "S3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
                "Condition": _source_account(settings),
            },
        ]
    )


def log_key_policy(settings: Settings) -> dict[str, Any]:
    """Audit logs: CloudTrail writes, CloudWatch Logs stores, alarms publish to the encrypted
    topic, AWS Config delivers snapshots to the audit bucket."""
    partition, region, account = settings.partition, settings.region, settings.account_id
    return document(
        [
            _account_admin(settings),
            {
                "Sid": "CloudTrailEncryptsLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account}:trail/*"
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": _source_account(settings),
            },
            {
                "Sid": "CloudWatchLogsEncryptsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*"
                    }
                },
            },
            # CloudWatch needs Decrypt and GenerateDataKey* on the key to publish to a CMK-encrypted topic at all
            # (SNS Developer Guide, "Enable compatibility between event sources from AWS services and encrypted
            # topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
            # aws:SourceAccount is carried on CloudWatch's KMS requests, so the confused-deputy guard holds (AWS's
            # Modern Data Architecture Accelerator, grantCloudWatchAlarmsTopicAccess, conditions the same grant this
            # way and notes that EventBridge, unlike CloudWatch, does not carry these keys to KMS).
            {
                "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": _source_account(settings),
            },
            {
                "Sid": "AwsConfigDeliversToAuditBucket",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": _source_account(settings),
            },
        ]
    )


def backup_key_policy(settings: Settings) -> dict[str, Any]:
    """The backup vault's key: AWS Backup uses it through grants its role's managed policy creates (kms:CreateGrant
    with kms:GrantIsForAWSResource), which the account statement lets IAM policies allow; no service statement."""
    return document([_account_admin(settings)])


def workflow_key_policy(settings: Settings) -> dict[str, Any]:
    """The run workflow's key: the workflow and the rule that starts it use it through IAM grants scoped to the state
    machine's encryption context; CloudWatch Logs' delivery service decrypts what it delivers to the execution log
    group (components/run_workflow, "AWS facts relied on")."""
    return document(
        [
            _account_admin(settings),
            {
                "Sid": "LogDeliveryOfExecutionLogs",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
        ]
    )


def compute_key_policy(settings: Settings) -> dict[str, Any]:
    """Compute volumes: the EC2 Auto Scaling service-linked role launches Batch instances with
    encrypted EBS volumes and needs the key and a grant on it, or jobs sit in RUNNABLE."""
    slr = f"arn:{settings.partition}:iam::{settings.account_id}:role/{AUTOSCALING_SLR}"
    return document(
        [
            _account_admin(settings),
            {
                "Sid": "AutoScalingUsesKeyForEbs",
                "Effect": "Allow",
                "Principal": {"AWS": slr},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingGrantsForAttachedVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": slr},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    )


DESTRUCTION_ACTIONS = ("kms:DisableKey", "kms:DisableKeyRotation", "kms:ScheduleKeyDeletion")
GUARDED_PURPOSES = ("data", "logs")
"""Keys whose loss is unrecoverable: the data key (every genomic object) and the log key (six years of
Object-Locked audit records would stay stored but unreadable)."""


def guardrail_statements(settings: Settings, break_glass_arn: str) -> list[Statement]:
    """Denies in the key's own policy, binding every principal (an IAM administrator outside the stack, the
    deployer) where an identity policy could not: only break-glass disables or schedules deletion of the key;
    only the deployer (`pulumi up`) and break-glass change its policy. The deployer stays exempt from the
    latter because KMS's policy lockout safety check refuses a policy its creator could not update
    (KMS API Reference, CreateKey and PutKeyPolicy, BypassPolicyLockoutSafetyCheck); without a named deployer
    that deny is left out. ``"Principal": "*"`` is the form KMS's own Deny examples use (KMS Developer Guide,
    "VPC endpoint condition keys")."""
    service_requests = {"Bool": {"aws:PrincipalIsAWSService": "false"}}
    statements: list[Statement] = [
        {
            "Sid": "DenyKeyDestructionButBreakGlass",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(DESTRUCTION_ACTIONS),
            "Resource": "*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [break_glass_arn]}, **service_requests},
        }
    ]
    if settings.deployer_principal_arns:
        statements.append(
            {
                "Sid": "DenyKeyPolicyChangesButDeployer",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:PutKeyPolicy",
                "Resource": "*",
                "Condition": {
                    "ArnNotLike": {"aws:PrincipalArn": sorted({*settings.deployer_principal_arns, break_glass_arn})},
                    **service_requests,
                },
            }
        )
    return statements
