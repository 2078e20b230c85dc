"""Backups (components/backups): the irreplaceable data has a copy outside its bucket, in a vault nobody but
break-glass can empty.

GLZ-BAK-001 reads what the backup plans reach: every resource the stack declares backed up (the data tiers'
buckets, the audit bucket, the runs table, the reference file system) is named in a selection of a plan whose rule
keeps recovery points at least a week in a vault of the stack, through a role only AWS Backup assumes; a
controlled or PHI stack without backups is reported too. GLZ-BAK-002 reads the vaults: encrypted with a
customer-managed key of the stack, locked, and refusing recovery point destruction to every principal but
break-glass, judged by the access model (a deny written another way, or one a wider exemption or an extra
condition narrows, is judged by what it refuses).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.access.model import backup_vault_keys, model_of
from policies.framework import Requirements, StackView, View, Violation, as_list, stack_rule, statements
from policies.rules import s3_support as s3
from policies.rules.guardrails import _actors

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
TABLE = "aws:dynamodb/table:Table"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
ROLE = "aws:iam/role:Role"
KEY = "aws:kms/key:Key"
BACKUP_SERVICE = "backup.amazonaws.com"
MIN_RETENTION_DAYS = 7
RECOVERY_POINT_DESTRUCTION = ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle")
VAULT_DESTRUCTION = ("backup:DeleteBackupVault", "backup:DeleteBackupVaultLockConfiguration")

BACKED_UP = Requirements(
    r2=("3.8.9",), r3=("03.08.09",), hipaa=("164.308(a)(7)(ii)(A)", "164.310(d)(2)(iv)", "164.308(a)(7)(i)")
)
VAULT_GUARDED = Requirements(
    r2=("3.8.9", "3.13.16"), r3=("03.08.09", "03.13.08"), hipaa=("164.308(a)(7)(ii)(A)", "164.312(c)(1)")
)


def _vault_names(stack: StackView) -> set[str]:
    return {str(v.get("name")) for v in stack.of_type(VAULT)}


def _keeps_a_week(plan: View, vaults: set[str]) -> bool:
    """Some rule of the plan stores its recovery points in a vault of the stack for at least MIN_RETENTION_DAYS."""
    for rule in as_list(plan.get("rules")):
        if not isinstance(rule, dict) or str(rule.get("targetVaultName")) not in vaults:
            continue
        days = (rule.get("lifecycle") or {}).get("deleteAfter")
        if days is None or int(days) >= MIN_RETENTION_DAYS:
            return True  # no lifecycle: kept until deleted
    return False


def _only_aws_backup_assumes(role: View | None) -> bool:
    if role is None:
        return False
    principals = [s.get("Principal") for s in statements(role.json("assumeRolePolicy")) if s.get("Effect") == "Allow"]
    return bool(principals) and all(
        isinstance(p, dict) and set(p) == {"Service"} and as_list(p["Service"]) == [BACKUP_SERVICE] for p in principals
    )


def covered_arns(stack: StackView) -> dict[str, str]:
    """ARN -> the selection that backs it up through a plan keeping a week in a stack vault, by a backup-only role."""
    vaults = _vault_names(stack)
    plans = {str(p.get("id")): p for p in stack.of_type(PLAN)}
    roles = {str(r.get("arn")): r for r in stack.of_type(ROLE)}
    covered: dict[str, str] = {}
    for selection in stack.of_type(SELECTION):
        plan = plans.get(str(selection.get("planId")))
        if plan is None or not _keeps_a_week(plan, vaults):
            continue
        if not _only_aws_backup_assumes(roles.get(str(selection.get("iamRoleArn")))):
            continue
        for arn in as_list(selection.get("resources")):
            covered.setdefault(str(arn), selection.name)
    return covered


def declared_backed_up(stack: StackView) -> list[tuple[str, str, str]]:
    """(urn, ARN, label) of every resource the stack declares backed up (stack output `backups`)."""
    declared: dict[str, Any] = stack.outputs.get("backups") or {}
    wanted_tiers = set(as_list(declared.get("tiers")))
    found = []
    for bucket in s3.classified_buckets(stack):
        tier = s3.tier_of(bucket)
        if tier in wanted_tiers or (tier == s3.AUDIT_TIER and declared.get("auditBucket")):
            name = s3.bucket_name(bucket)
            found.append((bucket.urn, f"arn:aws:s3:::{name}", f"bucket {name}"))
    runs = (stack.outputs.get("runTracking") or {}).get("table")
    if declared.get("runsTable") and runs:
        found += [(t.urn, str(t.get("arn")), f"table {runs}") for t in stack.of_type(TABLE) if t.get("name") == runs]
    if declared.get("referenceFileSystem"):
        found += [(f.urn, str(f.get("arn")), f"file system {f.get('id')}") for f in stack.of_type(FILE_SYSTEM)]
    return found


@stack_rule(
    "GLZ-BAK-001",
    "irreplaceable-data-backed-up",
    "high",
    BACKED_UP,
    "Keep backups on (backups.enabled) and every declared resource in the backup selection "
    "(components/backups): a plan rule keeping recovery points at least 7 days in the stack's vault, through the "
    "backup role only AWS Backup assumes.",
)
def backed_up(stack: StackView) -> Iterator[Violation]:
    """A copy of the sequencing data, the results, the audit records and the run records exists outside the bucket
    or table that holds them, kept at least a week: versions alone do not survive the bucket's deletion or a
    compromised account."""
    if not stack.outputs.get("backups"):
        if str(stack.outputs.get("classification")) in ("controlled", "phi"):
            yield Violation(
                stack.anchor,
                f"backups.enabled is false: no copy of the {stack.outputs.get('classification')} data exists outside "
                "its buckets (3.8.9, 164.308(a)(7)(ii)(A))",
            )
        return
    covered = covered_arns(stack)
    for urn, arn, label in declared_backed_up(stack):
        if arn not in covered:
            yield Violation(
                urn,
                f"{label} is declared backed up but no backup selection reaches it through a plan keeping "
                f"{MIN_RETENTION_DAYS}+ days in a vault of the stack and a role only AWS Backup assumes",
            )


def _customer_key_of_the_stack(stack: StackView, arn: str) -> bool:
    return any(str(k.get("arn")) == arn for k in stack.of_type(KEY))


def vault_problems(stack: StackView, vault: View) -> Iterator[str]:
    """Why recovery points in ``vault`` are not sure to stay: key, lock, who may destroy them."""
    name = str(vault.get("name"))
    if not _customer_key_of_the_stack(stack, str(vault.get("kmsKeyArn") or "")):
        yield f"vault {name} is not encrypted with a customer-managed key of the stack"
    locks = [lock for lock in stack.of_type(LOCK) if str(lock.get("backupVaultName")) == name]
    if not locks or not any(int(lock.get("minRetentionDays") or 0) >= 1 for lock in locks):
        yield f"vault {name} has no Vault Lock: its recovery points can be deleted before their retention ends"
    model = model_of(stack)
    vault_arn, recovery_point = backup_vault_keys(str(stack.outputs.get("region") or ""), str(stack.account_id), name)
    everyone = _actors(model, stack, vault_arn, stack_roles=True, deployers=True)
    requests = [(a, recovery_point) for a in RECOVERY_POINT_DESTRUCTION] + [(a, vault_arn) for a in VAULT_DESTRUCTION]
    gaps = sorted(
        {
            f"{actor.label()} ({action})"
            for actor in everyone
            for action, target in requests
            if not model.resource_denies(actor, action, target, {})
        }
    )
    if gaps:
        yield f"vault {name}: recovery points or the vault can be destroyed by {'; '.join(gaps[:3])}" + (
            f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        )


@stack_rule(
    "GLZ-BAK-002",
    "backup-vault-guarded",
    "high",
    VAULT_GUARDED,
    "Keep the vault's customer-managed key, its Vault Lock and its access policy (components/backup_policies): "
    "Deny backup:DeleteRecoveryPoint, backup:UpdateRecoveryPointLifecycle, backup:DeleteBackupVault and "
    "backup:DeleteBackupVaultLockConfiguration to every principal but break-glass.",
)
def vault_guarded(stack: StackView) -> Iterator[Violation]:
    """The copies stay: encrypted with a key the stack controls, locked against early deletion, and no principal but
    break-glass (an administrator, a deployer, a role created later) can delete them or shorten their retention."""
    for vault in stack.of_type(VAULT):
        for problem in vault_problems(stack, vault):
            yield Violation(vault.urn, problem)


RESTORE_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
# the resource types AWS Backup restore-tests, by the stack's resource type (AWS Backup API Reference,
# RestoreTestingSelectionForCreate.ProtectedResourceType)
RESTORE_TYPES = {TABLE: "DynamoDB", FILE_SYSTEM: "EFS"}
MAX_DAYS_BETWEEN_TESTS = 31
RESTORE_TESTED = Requirements(hipaa=("164.308(a)(7)(ii)(D)",))


def lower_keys(mapping: Any) -> dict[str, str]:
    """Restore metadata keys are not case sensitive (AWS Backup Developer Guide, "Restore testing inferred
    metadata")."""
    return {str(k).lower(): str(v) for k, v in (mapping or {}).items()} if isinstance(mapping, dict) else {}


def at_least_monthly(expression: str) -> bool:
    """Does a schedule expression fire at least once every MAX_DAYS_BETWEEN_TESTS days? cron(minutes hours
    day-of-month month day-of-week year) fires every month when its month and year fields are '*' (and a day field
    names a day); rate(N unit) when N units are at most that many days."""
    text = expression.strip()
    if text.startswith("rate(") and text.endswith(")"):
        parts = text[5:-1].split()
        if len(parts) != 2 or not parts[0].isdigit():
            return False
        days = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1}.get(parts[1].rstrip("s"))
        return days is not None and int(parts[0]) * days <= MAX_DAYS_BETWEEN_TESTS
    if not (text.startswith("cron(") and text.endswith(")")):
        return False
    fields = text[5:-1].split()
    if len(fields) != 6:
        return False
    _, _, day_of_month, month, day_of_week, year = fields
    return month == "*" and year == "*" and (day_of_month, day_of_week) != ("?", "?")


def restored_encrypted_by_the_stack(stack: StackView, resource_type: str, overrides: Any) -> bool:
    """The restored copy is encrypted with a customer-managed key of the stack: without an override a DynamoDB
    restore test uses an AWS owned key and an EFS one the AWS managed key (same page)."""
    keys = {str(k.get("arn")) for k in stack.of_type(KEY)}
    given = lower_keys(overrides)
    if resource_type == "DynamoDB":
        return given.get("encryptiontype", "").upper() == "KMS" and given.get("kmsmasterkeyarn") in keys
    return given.get("kmskeyid") in keys


def _tests_vault(plan: View, vault_arns: set[str]) -> bool:
    selection = plan.get("recoveryPointSelection") or {}
    included = {str(v) for v in as_list(selection.get("includeVaults"))}
    excluded = {str(v) for v in as_list(selection.get("excludeVaults"))}
    return bool(vault_arns - excluded) and ("*" in included or bool(included & (vault_arns - excluded)))


def restore_test_problems(stack: StackView, resource: View, vault_arns: set[str]) -> list[str]:
    """Why no restore test proves ``resource`` can be restored; empty when one does."""
    kind = RESTORE_TYPES[resource.type]
    arn = str(resource.get("arn"))
    plans = {str(p.get("name")): p for p in stack.of_type(RESTORE_PLAN)}
    roles = {str(r.get("arn")): r for r in stack.of_type(ROLE)}
    problems: list[str] = []
    for selection in stack.of_type(RESTORE_SELECTION):
        if str(selection.get("protectedResourceType")) != kind:
            continue
        arns = [str(a) for a in as_list(selection.get("protectedResourceArns"))]
        if arn not in arns and not (arns == ["*"] and not selection.get("protectedResourceConditions")):
            continue
        plan = plans.get(str(selection.get("restoreTestingPlanName")))
        why = []
        if plan is None:
            why.append("its restore testing plan is not in the stack")
        else:
            if not _tests_vault(plan, vault_arns):
                why.append("its plan does not take recovery points from the stack's vault")
            if not at_least_monthly(str(plan.get("scheduleExpression") or "")):
                why.append(f"its plan runs less often than every {MAX_DAYS_BETWEEN_TESTS} days")
        if not _only_aws_backup_assumes(roles.get(str(selection.get("iamRoleArn")))):
            why.append("its role is not a role of the stack only AWS Backup assumes")
        if not restored_encrypted_by_the_stack(stack, kind, selection.get("restoreMetadataOverrides")):
            why.append("the restored copy would not be encrypted with a customer-managed key of the stack")
        if not why:
            return []
        problems.append(f"restore testing selection {selection.get('name')}: {', '.join(why)}")
    return problems or ["no restore testing selection restores it"]


@stack_rule(
    "GLZ-BAK-003",
    "backups-restore-tested",
    "medium",
    RESTORE_TESTED,
    "Keep backups.restoreTestSchedule (monthly by default; components/restore_tests): a restore testing plan "
    "taking recovery points from the stack's vault at least every 31 days, and for each backed-up table and file "
    "system a selection restoring it with a role only AWS Backup assumes into a copy encrypted with the stack's "
    "data key.",
)
def restore_tested(stack: StackView) -> Iterator[Violation]:
    """A backup that was never restored is a hope: AWS Backup restores the backed-up table and file system on a
    schedule, so a backup that cannot be restored (a key it cannot use, a vault it cannot read) fails a test and
    alarms before the day it is needed. S3 tiers are not restore-tested by the stack (components/restore_tests)."""
    declared: dict[str, Any] = stack.outputs.get("backups") or {}
    if not declared:
        return
    covered = covered_arns(stack)
    restorable = {str(r.get("arn")): r for t in RESTORE_TYPES for r in stack.of_type(t) if str(r.get("arn")) in covered}
    if not restorable:
        return
    if not stack.of_type(RESTORE_PLAN) and str(stack.outputs.get("classification")) not in ("controlled", "phi"):
        return
    vault_arns = {str(v.get("arn")) for v in stack.of_type(VAULT)}
    for arn, resource in sorted(restorable.items()):
        for problem in restore_test_problems(stack, resource, vault_arns):
            label = "table" if resource.type == TABLE else "file system"
            yield Violation(
                resource.urn,
                f"backups.restoreTestSchedule: backed-up {label} {arn} is never restore-tested: {problem} "
                "(164.308(a)(7)(ii)(D))",
            )
