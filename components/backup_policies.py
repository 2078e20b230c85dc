"""Policy documents for backups (components/backups): the backup role's trust, the vault's access policy, the
AWS managed policies the role carries. Pure functions, so the component, the tests and the rules share them.

AWS facts relied on:
- AWS Backup for S3 needs versioning on the bucket (every data bucket of the stack is versioned) and the AWS
  managed policies AWSBackupServiceRolePolicyForS3Backup / ...ForS3Restore on the role; they read and write the
  objects themselves (s3:GetObject*, kms:Decrypt through S3), so the buckets' read guardrails must name the role
  (AWS Backup Developer Guide, "Amazon S3 backups"; the policies' documents in the AWS Managed Policy Reference).
  DynamoDB and EFS use AWSBackupServiceRolePolicyForBackup, under the service-role/ path (the snapshot of AWS
  managed policies in policies/access/data holds all four at these paths).
- A vault access policy's Action takes no wildcard (Developer Guide, "Set access policies on backup vaults"); the
  AWS Config rule backup-recovery-point-manual-deletion-disabled looks for a Deny of backup:DeleteRecoveryPoint,
  backup:UpdateRecoveryPointLifecycle and backup:PutBackupVaultAccessPolicy to Principal "*".
- Vault Lock without ChangeableForDays is governance mode: a principal allowed
  backup:DeleteBackupVaultLockConfiguration can remove it; with ChangeableForDays (at least 3) it is compliance
  mode and cannot be removed once that grace time has passed (Developer Guide, "AWS Backup Vault Lock").
"""

from __future__ import annotations

from typing import Any

from components.naming import break_glass_arn, role_arn
from components.policy_document import Statement, document
from components.settings import Settings

BACKUP_SERVICE = "backup.amazonaws.com"
BACKUP_ROLE = "backup"  # naming.role_name suffix of the role AWS Backup assumes
# backups only: restore rights (...ForRestores, ...ForS3Restore write anywhere) are given at restore time, by
# break-glass, to a role chosen then (docs/operator-runbook.md, "Restore from a backup")
BACKUP_POLICIES = ("service-role/AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForS3Backup")
# restore tests (components/restore_tests): AWS Backup's restore testing restores with this role, whose managed
# policy is AWS's list of what restoring DynamoDB and EFS recovery points calls (AWS Managed Policy Reference,
# AWSBackupServiceRolePolicyForRestores, under service-role/)
RESTORE_TEST_ROLE = "restore-test"
RESTORE_POLICIES = ("service-role/AWSBackupServiceRolePolicyForRestores",)
# restore testing names each restored table awsbackup-restore-test-<random> (AWS Backup Developer Guide, "Restore
# testing inferred metadata", DynamoDB: targetTableName)
RESTORE_TEST_TABLES = "awsbackup-restore-test-*"
# what the managed policy allows on every table that a restore test never needs: reading or writing items
TABLE_ITEM_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PartiQL*",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)
RECOVERY_POINT_DESTRUCTION = ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle")
VAULT_CHANGES = (
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:PutBackupVaultLockConfiguration",
)
VAULT_DESTRUCTION = ("backup:DeleteBackupVault", "backup:DeleteBackupVaultLockConfiguration")


def backs_up(settings: Settings, tier: str) -> bool:
    """Whether AWS Backup copies this data tier's bucket (its role then reads the objects)."""
    return settings.backups.enabled and tier in settings.backups.tiers


def backup_role_arn(settings: Settings, stack: str) -> str:
    return role_arn(settings, stack, BACKUP_ROLE)


def managed_policy_arns(settings: Settings, names: tuple[str, ...] = BACKUP_POLICIES) -> list[str]:
    """The ARNs of AWS managed policies (default: the backup role's) in the stack's partition."""
    return [f"arn:{settings.partition}:iam::aws:policy/{name}" for name in names]


def backup_role_limits() -> dict[str, Any]:
    """What the managed policy allows that the stack's backups never need: passing a role (its one iam:PassRole
    is for AWS Backup's malware scanning with GuardDuty, not used here), so only the administrator passes roles."""
    return document([{"Sid": "NeverPassRoles", "Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}])


def restore_test_role_arn(settings: Settings, stack: str) -> str:
    return role_arn(settings, stack, RESTORE_TEST_ROLE)


def restore_test_role_limits(settings: Settings) -> dict[str, Any]:
    """What the restores policy allows that a restore test never needs: passing roles (it is there for EC2 and EKS
    restores), and reading or writing the items of any table but the test's own copy, so the role that restores
    the runs table cannot read or change the live one."""
    tests = f"arn:{settings.partition}:dynamodb:{settings.region}:{settings.account_id}:table/{RESTORE_TEST_TABLES}"
    return document(
        [
            {"Sid": "NeverPassRoles", "Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"},
            {
                "Sid": "NoItemsButTheTestCopies",
                "Effect": "Deny",
                "Action": list(TABLE_ITEM_ACTIONS),
                "NotResource": [tests, f"{tests}/*"],
            },
        ]
    )


def backup_trust(settings: Settings) -> dict[str, Any]:
    """Only AWS Backup, acting for this account, assumes the backup role (the confused-deputy guard)."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": BACKUP_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": settings.account_id}},
            }
        ]
    )


def _deny(sid: str, actions: tuple[str, ...], exempt: list[str]) -> Statement:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(actions),
        "Resource": "*",
        "Condition": {
            "ArnNotLike": {"aws:PrincipalArn": sorted(set(exempt))},
            "Bool": {"aws:PrincipalIsAWSService": "false"},
        },
    }


def vault_policy(settings: Settings, stack: str) -> dict[str, Any]:
    """Recovery points are destroyed (or their retention shortened) by break-glass only, and the vault, its lock and
    this policy are removed by break-glass only; the deployer (`pulumi up`) may still update the policy and lock,
    and only when deployerPrincipalArns names it (otherwise break-glass alone)."""
    glass = break_glass_arn(settings, stack)
    return document(
        [
            _deny("DenyRecoveryPointDestructionButBreakGlass", RECOVERY_POINT_DESTRUCTION, [glass]),
            _deny("DenyVaultChangesButDeployer", VAULT_CHANGES, [*settings.deployer_principal_arns, glass]),
            _deny("DenyVaultDestructionButBreakGlass", VAULT_DESTRUCTION, [glass]),
        ]
    )
