"""Backups in the account: the vault is still encrypted with the declared key and locked, its access policy still
refuses destroying recovery points, the plan and its selection still copy what the state declares, and the restore
testing plan still restores the declared resources from the vault, on the declared schedule, under the declared keys.

Anyone allowed backup:DeleteBackupVaultLockConfiguration (governance mode), PutBackupVaultAccessPolicy,
UpdateBackupPlan, DeleteBackupSelection, UpdateRestoreTestingPlan or DeleteRestoreTestingSelection can undo a part of
this without touching the stack. The reads (DescribeBackupVault, GetBackupVaultAccessPolicy, GetBackupPlan,
ListBackupSelections, GetBackupSelection, GetRestoreTestingPlan, ListRestoreTestingSelections,
GetRestoreTestingSelection) are in docs/audit-permissions.json.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import parsed_json
from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok
from policies.rules.backups import lower_keys

PROBES = ("backups",)
VAULT_SPEC = CheckSpec(
    "backup.vault", "The backup vault is encrypted with the declared key and locked for the declared minimum", PROBES
)
VAULT_POLICY_SPEC = CheckSpec(
    "backup.vault-policy", "The backup vault's access policy is the declared one (recovery points guarded)", PROBES
)
PLAN_SPEC = CheckSpec(
    "backup.plan", "The backup plan stores into the declared vault on the declared schedule and retention", PROBES
)
SELECTION_SPEC = CheckSpec(
    "backup.selection", "The backup plan's selection still names every declared resource", PROBES
)
RESTORE_TESTS_SPEC = CheckSpec(
    "backup.restore-tests",
    "The restore testing plan still restores the declared table and file system from the vault, on schedule, under "
    "the declared keys",
    ("restore_testing",),
)
RESTORE_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
VAULT = "aws:backup/vault:Vault"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
MISSING = ("ResourceNotFoundException",)


def _vault(ctx: AuditContext, name: str, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    live = ctx.call_or_none("backup", "describe_backup_vault", MISSING, BackupVaultName=name)
    if live is None:
        return fail(f"vault {name} does not exist: its recovery points are gone")
    observed.update(
        key=live.get("EncryptionKeyArn"), locked=bool(live.get("Locked")), min_retention=live.get("MinRetentionDays")
    )
    problems = []
    if observed["key"] != declared["key"]:
        problems.append(f"encrypted with {observed['key'] or 'no key'}, declared {declared['key']}")
    if declared["min_retention"] is not None:
        if not observed["locked"]:
            problems.append("Vault Lock is off: recovery points can be deleted before their retention ends")
        elif int(observed["min_retention"] or 0) < int(declared["min_retention"]):
            problems.append(
                f"locked for {observed['min_retention']} days minimum, declared {declared['min_retention']}"
            )
    if problems:
        return fail(f"vault {name}: " + "; ".join(problems))
    return ok(f"vault {name}: encrypted with the declared key" + (", locked" if observed["locked"] else ""))


def _vault_policy(ctx: AuditContext, name: str, declared: Any, observed: dict[str, Any]) -> Verdict:
    live = ctx.call_or_none("backup", "get_backup_vault_access_policy", MISSING, BackupVaultName=name)
    policy = parsed_json((live or {}).get("Policy"))
    observed["policy_unchanged"] = policy == declared
    if live is None or not policy:
        return fail(f"vault {name} has no access policy: nothing refuses deleting its recovery points")
    if not observed["policy_unchanged"]:
        return fail(f"vault {name}: its access policy is not the declared one")
    return ok(f"vault {name}: the declared access policy")


def _plan(ctx: AuditContext, plan_id: str, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    live = ctx.call_or_none("backup", "get_backup_plan", MISSING, BackupPlanId=plan_id)
    if live is None:
        return fail(f"backup plan {plan_id} does not exist: nothing is backed up")
    rules = (live.get("BackupPlan") or {}).get("Rules") or []
    observed["rules"] = [
        {
            "vault": r.get("TargetBackupVaultName"),
            "schedule": r.get("ScheduleExpression"),
            "delete_after": (r.get("Lifecycle") or {}).get("DeleteAfterDays"),
        }
        for r in rules
    ]
    if len(observed["rules"]) != len(declared["rules"]) or not all(r in observed["rules"] for r in declared["rules"]):
        return fail(f"backup plan {plan_id}: its rules are not the declared ones ({observed['rules']})")
    return ok(f"backup plan {plan_id}: the declared vault, schedule and retention")


def _selection(ctx: AuditContext, plan_id: str, declared: list[str], observed: dict[str, Any]) -> Verdict:
    listed = ctx.call_or_none("backup", "list_backup_selections", MISSING, BackupPlanId=plan_id)
    if listed is None:
        return fail(f"backup plan {plan_id} does not exist")
    names: set[str] = set()
    for entry in listed.get("BackupSelectionsList") or []:
        selection = ctx.call("backup", "get_backup_selection", BackupPlanId=plan_id, SelectionId=entry["SelectionId"])
        names |= set((selection.get("BackupSelection") or {}).get("Resources") or [])
    observed["resources"] = sorted(names)
    missing = sorted(set(declared) - names)
    if missing:
        return fail(f"backup plan {plan_id} no longer selects {', '.join(missing)}")
    return ok(f"backup plan {plan_id} selects every declared resource ({len(declared)})")


def _restore_tests(ctx: AuditContext, name: str, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    live = ctx.call_or_none("backup", "get_restore_testing_plan", MISSING, RestoreTestingPlanName=name)
    if live is None:
        return fail(f"restore testing plan {name} does not exist: the backups are never restored")
    plan = live.get("RestoreTestingPlan") or {}
    points = plan.get("RecoveryPointSelection") or {}
    observed.update(schedule=plan.get("ScheduleExpression"), vaults=sorted(points.get("IncludeVaults") or []))
    problems = []
    if observed["schedule"] != declared["schedule"]:
        problems.append(f"schedule {observed['schedule']}, declared {declared['schedule']}")
    if observed["vaults"] != declared["vaults"] or set(points.get("ExcludeVaults") or []) & set(declared["vaults"]):
        problems.append(f"takes recovery points from {observed['vaults']}, declared {declared['vaults']}")
    entries: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:  # paginated by NextToken (AWS Backup API Reference, ListRestoreTestingSelections)
        listed = ctx.call("backup", "list_restore_testing_selections", RestoreTestingPlanName=name, **token)
        entries += listed.get("RestoreTestingSelections") or []
        if not listed.get("NextToken"):
            break
        token = {"NextToken": listed["NextToken"]}
    selections = {}
    for entry in entries:
        got = (
            ctx.call(
                "backup",
                "get_restore_testing_selection",
                RestoreTestingPlanName=name,
                RestoreTestingSelectionName=entry["RestoreTestingSelectionName"],
            ).get("RestoreTestingSelection")
            or {}
        )
        selections[entry["RestoreTestingSelectionName"]] = {
            "type": got.get("ProtectedResourceType"),
            "arns": sorted(got.get("ProtectedResourceArns") or []),
            "role": got.get("IamRoleArn"),
            "overrides": lower_keys(got.get("RestoreMetadataOverrides")),
        }
    observed["selections"] = selections
    for selection, wanted in declared["selections"].items():
        found = selections.get(selection)
        if found is None:
            problems.append(f"selection {selection} is gone: {', '.join(wanted['arns'])} is no longer restore-tested")
        elif found != wanted:
            changed = sorted(k for k in wanted if found.get(k) != wanted[k])
            problems.append(f"selection {selection}: {', '.join(changed)} not the declared one")
    if problems:
        return fail(f"restore testing plan {name}: " + "; ".join(problems))
    return ok(f"restore testing plan {name}: the declared schedule, vault and {len(selections)} selection(s)")


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    if ctx.state is None:
        return
    locks = {str(lock.prop("backupVaultName")): lock for lock in ctx.state.of_type(LOCK)}
    for vault in ctx.state.of_type(VAULT):
        name = str(vault.prop("name"))
        lock = locks.get(name)
        declared = {
            "key": vault.prop("kmsKeyArn"),
            "min_retention": int(lock.prop("minRetentionDays")) if lock is not None else None,
        }
        yield ctx.check(
            VAULT_SPEC, name, vault.urn, declared, lambda observed, n=name, d=declared: _vault(ctx, n, d, observed)
        )
    for policy in ctx.state.of_type(VAULT_POLICY):
        name = str(policy.prop("backupVaultName"))
        document = parsed_json(policy.prop("policy"))
        yield ctx.check(
            VAULT_POLICY_SPEC,
            name,
            policy.urn,
            {"policy": "declared"},
            lambda observed, n=name, d=document: _vault_policy(ctx, n, d, observed),
        )
    for plan in ctx.state.of_type(PLAN):
        plan_id = str(plan.outputs.get("id") or plan.id)
        rules = [
            {
                "vault": r.get("targetVaultName"),
                "schedule": r.get("schedule"),
                "delete_after": int((r.get("lifecycle") or {}).get("deleteAfter") or 0) or None,
            }
            for r in plan.prop("rules") or []
            if isinstance(r, dict)
        ]
        declared = {"rules": rules}
        yield ctx.check(
            PLAN_SPEC, plan_id, plan.urn, declared, lambda observed, p=plan_id, d=declared: _plan(ctx, p, d, observed)
        )
        resources = sorted(
            {
                str(arn)
                for selection in ctx.state.of_type(SELECTION)
                if str(selection.prop("planId")) == plan_id
                for arn in selection.prop("resources") or []
            }
        )
        if resources:
            yield ctx.check(
                SELECTION_SPEC,
                plan_id,
                plan.urn,
                {"resources": resources},
                lambda observed, p=plan_id, r=resources: _selection(ctx, p, r, observed),
            )
    for plan in ctx.state.of_type(RESTORE_PLAN):
        name = str(plan.prop("name"))
        declared = {
            "schedule": plan.prop("scheduleExpression"),
            "vaults": sorted((plan.prop("recoveryPointSelection") or {}).get("includeVaults") or []),
            "selections": {
                str(s.prop("name")): {
                    "type": s.prop("protectedResourceType"),
                    "arns": sorted(s.prop("protectedResourceArns") or []),
                    "role": s.prop("iamRoleArn"),
                    "overrides": lower_keys(s.prop("restoreMetadataOverrides")),
                }
                for s in ctx.state.of_type(RESTORE_SELECTION)
                if str(s.prop("restoreTestingPlanName")) == name
            },
        }
        yield ctx.check(
            RESTORE_TESTS_SPEC,
            name,
            plan.urn,
            {"schedule": declared["schedule"], "selections": sorted(declared["selections"])},
            lambda observed, n=name, d=declared: _restore_tests(ctx, n, d, observed),
        )
