"""Restore tests: AWS Backup restores the latest recovery point of the runs table and the reference file system on
a schedule (`backups.restoreTestSchedule`, monthly by default), keeps the copy `backups.restoreTestValidationHours`
and deletes it. A restore that fails alarms with the backup job failures (components/finding_alerts). This is the
technical part of testing the contingency plan (HIPAA 164.308(a)(7)(ii)(D)); the plan's own tests are the
organization's.

The S3 tiers are not restore-tested by the stack: a restore test of a bucket writes genomic data into a new bucket
outside the stack's bucket policies and guardrails (docs/operator-runbook.md, "Backups and restore").

AWS facts relied on:
- Restore testing selects recovery points from the vaults a plan includes, by Algorithm and SelectionWindowDays, and
  restores each protected resource of a selection with the selection's role; names of plans and selections take
  letters, digits and underscores only, at most 50 (AWS Backup API Reference, CreateRestoreTestingPlan and
  CreateRestoreTestingSelection).
- Without overrides a DynamoDB test restore is encrypted with an AWS owned key and an EFS one with the AWS managed
  key alias/aws/elasticfilesystem; `encryptionType`/`kmsMasterKeyArn` (DynamoDB) and `kmsKeyId` (EFS) are the
  overridable keys (AWS Backup Developer Guide, "Restore testing inferred metadata"); `encryptionType: KMS` with
  `kmsMasterKeyArn` restores a table under a customer managed key (same guide, "Restore a DynamoDB table").
- The provider does not send a changed ProtectedResourceArns on update (hashicorp/terraform-provider-aws#48316), so a
  selection is replaced when the table or file system is, deleted first because its name is fixed.
- The service-linked role AWSServiceRoleForBackupRestoreTesting (trusting restore-testing.backup.amazonaws.com)
  starts the restore jobs, passing the selection's role to backup.amazonaws.com, and cleans up the restored
  resources; AWS Backup creates it with the first plan (AWS Backup Developer Guide, "Using roles for restore
  testing"), so the deployer needs iam:CreateServiceLinkedRole for that service (glz/deployer_actions.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import backup_policies
from components.naming import base_name, role_name
from components.settings import Settings

DYNAMODB = "DynamoDB"
EFS = "EFS"
ALGORITHM = "LATEST_WITHIN_WINDOW"  # the recovery point a restore would use
SELECTION_WINDOW_DAYS = 7  # the latest recovery point of the last week: an older one means backups stopped
START_WINDOW_HOURS = 24


@dataclass(frozen=True)
class Tested:
    """One backed-up resource a restore test restores, and the key its restored copy is encrypted with."""

    label: str  # names the selection: letters, digits and underscores
    resource_type: str  # DYNAMODB | EFS
    arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]


def overrides(resource_type: str, key_arn: str) -> dict[str, str]:
    """The restore metadata that encrypts the restored copy with ``key_arn`` instead of an AWS key."""
    if resource_type == DYNAMODB:
        return {"encryptionType": "KMS", "kmsMasterKeyArn": key_arn}
    return {"kmsKeyId": key_arn}


def testing_name(settings: Settings, stack: str, what: str) -> str:
    """A restore testing plan or selection name: the stack's base name with underscores (at most 50 characters)."""
    return base_name(settings, stack, what).replace("-", "_")[:50]


def aws_backup_role(
    name: str,
    settings: Settings,
    stack: str,
    suffix: str,
    limits: dict,
    policy_arns: list[str],
    parent: pulumi.Resource,
) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """A role only AWS Backup assumes (for this account), with its inline limits and AWS managed policies; returns
    the role and the policies a resource passing it must wait for."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{name}-role",
        name=role_name(settings, stack, suffix),
        assume_role_policy=json.dumps(backup_policies.backup_trust(settings)),
        max_session_duration=3600,
        opts=child,
    )
    inline = aws.iam.RolePolicy(
        f"{name}-role-limits", role=role.id, policy=json.dumps(limits, sort_keys=True), opts=child
    )
    attached = [
        aws.iam.RolePolicyAttachment(
            f"{name}-role-{arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arn, opts=child
        )
        for arn in policy_arns
    ]
    return role, [inline, *attached]


class RestoreTests(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        vault_arn: pulumi.Input[str],
        tested: list[Tested],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("glz:resilience:RestoreTests", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = settings.backups
        self.role, self.role_policies = aws_backup_role(
            name,
            settings,
            stack,
            backup_policies.RESTORE_TEST_ROLE,
            backup_policies.restore_test_role_limits(settings),
            backup_policies.managed_policy_arns(settings, backup_policies.RESTORE_POLICIES),
            self,
        )
        self.plan = aws.backup.RestoreTestingPlan(
            f"{name}-plan",
            name=testing_name(settings, stack, "restore-tests"),
            schedule_expression=config.restore_test_schedule,
            start_window_hours=START_WINDOW_HOURS,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm=ALGORITHM,
                include_vaults=[vault_arn],
                recovery_point_types=["SNAPSHOT"],
                selection_window_days=SELECTION_WINDOW_DAYS,
            ),
            opts=child,
        )
        self.selections = [
            aws.backup.RestoreTestingSelection(
                f"{name}-{t.label}",
                name=t.label,
                restore_testing_plan_name=self.plan.name,
                protected_resource_type=t.resource_type,
                protected_resource_arns=[t.arn],
                iam_role_arn=self.role.arn,
                restore_metadata_overrides=pulumi.Output.from_input(t.key_arn).apply(
                    lambda key, kind=t.resource_type: overrides(kind, key)
                ),
                validation_window_hours=config.restore_test_validation_hours,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=self.role_policies,
                    replace_on_changes=["protectedResourceArns"],
                    delete_before_replace=True,
                ),
            )
            for t in tested
        ]
        self.register_outputs({"restoreTestingPlan": self.plan.name, "restoreTestRole": self.role.arn})
