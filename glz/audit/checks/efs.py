"""EFS (the optional reference file system): each declared file system exists, encrypted with the declared
key, and its automatic backups are in the declared state. No declared file system, no results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_bool, same_key
from glz.audit.context import AuditContext
from glz.audit.expected import Declared
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

ENCRYPTION = CheckSpec(
    "efs.encryption", "EFS file system exists, encrypted with the declared KMS key", ("reference_efs",)
)
BACKUP = CheckSpec("efs.backup", "EFS automatic backups are as declared", ("reference_efs",))


def _encryption(ctx: AuditContext, system: Declared) -> CheckResult:
    key = system.prop("kmsKeyId")
    expected = {"exists": True, "encrypted": as_bool(system.prop("encrypted")), "kms_key": key}

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none("efs", "describe_file_systems", ("FileSystemNotFound",), FileSystemId=system.name)
        found = [f for f in (answer or {}).get("FileSystems", []) if f.get("LifeCycleState") != "deleted"]
        if not found:
            ctx.absent.add(("efs", system.name))
            observed["exists"] = False
            return fail(f"EFS file system {system.name} is declared ({system.urn}) but does not exist in {ctx.region}")
        live = found[0]
        observed.update(exists=True, encrypted=bool(live.get("Encrypted")), kms_key=live.get("KmsKeyId"))
        if observed["encrypted"] != expected["encrypted"]:
            state = "encrypted" if observed["encrypted"] else "not encrypted"
            return fail(f"EFS file system {system.name} is {state}, unlike the state")
        if key and not same_key(observed["kms_key"], key, ctx.expected.aliases_of(key)):
            return fail(f"EFS file system {system.name} is encrypted with {observed['kms_key']}; declared {key}")
        return ok(f"encrypted with {observed['kms_key']}" if observed["encrypted"] else "not encrypted, as declared")

    return ctx.check(ENCRYPTION, system.name, system.urn, expected, body)


def _backup(ctx: AuditContext, policy: Declared) -> CheckResult:
    status = str((policy.prop("backupPolicy") or {}).get("status") or "")
    expected = {"status": status}

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("efs", policy.name, f"EFS file system {policy.name}")
        answer = ctx.call_or_none("efs", "describe_backup_policy", ("PolicyNotFound",), FileSystemId=policy.name)
        # No backup policy at all means automatic backups are off.
        observed["status"] = ((answer or {}).get("BackupPolicy") or {}).get("Status") or "DISABLED"
        if answer is None:
            observed["policy"] = "none"
        live_on = observed["status"] in ("ENABLED", "ENABLING")
        if live_on != (status in ("ENABLED", "ENABLING")):
            return fail(
                f"automatic backups of EFS file system {policy.name} are {observed['status']}; declared {status}"
            )
        return ok(observed["status"])

    return ctx.check(BACKUP, policy.name, policy.urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for system in ctx.expected.file_systems:
        yield _encryption(ctx, system)
    for policy in ctx.expected.efs_backup_policies:
        yield _backup(ctx, policy)
