"""Backups: AWS Backup copies the irreplaceable data out of its buckets into a vault of its own key.

Resources: the vault key (customer managed, rotated, destruction refused to all but break-glass), the vault
(encrypted with it), its access policy (recovery points destroyed or shortened by break-glass only), its lock
(governance by default, compliance as a setting), the backup role (AWS Backup only, for this account; backup
policies only, no restore rights: a restore is a break-glass decision with a role chosen then), the plan (one daily
rule, the retention, optionally a copy to another region's or account's vault) and the selection (the backed-up
tiers' buckets, the audit bucket, the runs table, by ARN); with them, the restore tests of the table and the
file system (components/restore_tests).

AWS facts relied on (components/backup_policies has the policy ones):
- A selection that names resources by ARN backs them up whatever the account's resource-type opt-in says (AWS
  Backup Developer Guide, "Assign resources to a backup plan"), so the stack does not touch the Region's opt-in
  settings, which belong to the whole account.
- AWS Backup encrypts S3 backups, and DynamoDB backups with advanced DynamoDB backup (on by default for accounts
  that had no vault before 21 November 2021), with the vault's key ("Encryption for backups in AWS Backup",
  "Advanced DynamoDB backup"). The backup role reaches that key through its managed policy
  (kms:CreateGrant with kms:GrantIsForAWSResource), which the key's account statement allows.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components import backup_policies, key_policies
from components.backup_policies import BACKUP_ROLE
from components.encryption_keys import KeyPurpose, customer_managed_key
from components.naming import base_name, break_glass_arn
from components.restore_tests import RestoreTests, Tested, aws_backup_role
from components.settings import Settings

KEY_PURPOSE = "backup"
LOCK_GRACE_DAYS = 3  # compliance mode: the lock can still be removed during this many days (the minimum)


class Backups(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        resource_arns: list[pulumi.Input[str]],
        restore_tested: list[Tested] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``restore_tested``: the backed-up table and file system AWS Backup restore-tests (components/restore_tests),
        when ``backups.restoreTestSchedule`` is set."""
        super().__init__("glz:resilience:Backups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # kept on `pulumi destroy` like the vault: the recovery points outlive the stack (deleting them is
        # break-glass's decision)
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        config = settings.backups
        key_policy = key_policies.backup_key_policy(settings)
        key_policy["Statement"] += key_policies.guardrail_statements(settings, break_glass_arn(settings, stack))
        purpose = KeyPurpose(KEY_PURPOSE, "backups (the AWS Backup vault)")
        self.key = customer_managed_key(f"{name}-key", settings, stack, purpose, key_policy, kept)
        self.alias = aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{base_name(settings, stack, KEY_PURPOSE)}",
            target_key_id=self.key.key_id,
            opts=child,
        )
        vault_name = base_name(settings, stack, "backups")
        self.vault = aws.backup.Vault(f"{name}-vault", name=vault_name, kms_key_arn=self.key.arn, opts=kept)
        self.vault_policy = aws.backup.VaultPolicy(
            f"{name}-vault-policy",
            backup_vault_name=self.vault.name,
            policy=json.dumps(backup_policies.vault_policy(settings, stack), sort_keys=True),
            opts=kept,
        )
        self.lock = None
        if config.lock != "none":
            self.lock = aws.backup.VaultLockConfiguration(
                f"{name}-vault-lock",
                backup_vault_name=self.vault.name,
                min_retention_days=config.lock_min_retention_days,
                max_retention_days=max(config.retention_days, config.copy_retention_days or 0),
                changeable_for_days=LOCK_GRACE_DAYS if config.lock == "compliance" else None,
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True, depends_on=[self.vault_policy]),
            )
        self.role, self.role_policies = aws_backup_role(
            name,
            settings,
            stack,
            BACKUP_ROLE,
            backup_policies.backup_role_limits(),
            backup_policies.managed_policy_arns(settings),
            self,
        )
        copy = (
            [
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=config.copy_vault_arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                        delete_after=config.copy_retention_days or config.retention_days
                    ),
                )
            ]
            if config.copy_vault_arn
            else None
        )
        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=base_name(settings, stack, "backups"),
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily",
                    target_vault_name=self.vault.name,
                    schedule=config.schedule,
                    start_window=60,
                    completion_window=24 * 60,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=config.retention_days),
                    copy_actions=copy,
                )
            ],
            opts=child,
        )
        self.selection = aws.backup.Selection(
            f"{name}-selection",
            name=base_name(settings, stack, "backed-up"),
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=resource_arns,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.role_policies),
        )
        self.restore_tests = None
        if config.restore_test_schedule and restore_tested:
            self.restore_tests = RestoreTests(
                f"{name}-restore-tests",
                settings,
                stack,
                vault_arn=self.vault.arn,
                tested=restore_tested,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.selection]),
            )
        outputs = {"backupVault": self.vault.name, "backupPlan": self.plan.id, "backupRole": self.role.arn}
        self.register_outputs(outputs)
