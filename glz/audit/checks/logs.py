"""CloudWatch Logs: every declared log group exists, encrypted with the declared key, with its retention."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_int, same_key
from glz.audit.context import AuditContext
from glz.audit.expected import Declared
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

LOG_GROUP = CheckSpec(
    "logs.log-group", "Log group exists, KMS-encrypted, with the declared retention", ("log_encryption",)
)


def _log_group(ctx: AuditContext, group: Declared) -> CheckResult:
    expected = {"kms_key": group.prop("kmsKeyId"), "retention_days": as_int(group.prop("retentionInDays"))}

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call("logs", "describe_log_groups", logGroupNamePrefix=group.name)
        live = next((g for g in answer.get("logGroups", []) if g.get("logGroupName") == group.name), None)
        if live is None:
            ctx.absent.add(("log-group", group.name))
            observed["exists"] = False
            return fail(f"log group {group.name} is declared in the state but does not exist")
        observed.update(kms_key=live.get("kmsKeyId"), retention_days=live.get("retentionInDays"))
        problems = []
        if expected["kms_key"] and not same_key(observed["kms_key"], expected["kms_key"]):
            problems.append(f"encrypted with {observed['kms_key'] or 'the service key only'}")
        if expected["retention_days"] and observed["retention_days"] != expected["retention_days"]:
            problems.append(f"retention {observed['retention_days'] or 'never expire'} days")
        if problems:
            return fail(f"log group {group.name} differs from the state: " + "; ".join(problems))
        return ok(f"KMS-encrypted, {observed['retention_days']} days")

    return ctx.check(LOG_GROUP, group.name, group.urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for group in ctx.expected.log_groups:
        yield _log_group(ctx, group)
