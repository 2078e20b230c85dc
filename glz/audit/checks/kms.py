"""KMS: every declared customer-managed key exists, is enabled, rotates, and keeps its aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_bool, as_int
from glz.audit.context import AuditContext
from glz.audit.expected import DeclaredKey
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

KEY_ENABLED = CheckSpec("kms.key-enabled", "Customer-managed key exists and is enabled", ("kms_keys",))
ROTATION = CheckSpec("kms.rotation", "Automatic key rotation is enabled", ("key_rotation",))
ALIASES = CheckSpec("kms.aliases", "Declared aliases point at the key", ("kms_keys",))


def _key_enabled(ctx: AuditContext, key: DeclaredKey) -> CheckResult:
    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none("kms", "describe_key", ("NotFoundException",), KeyId=key.arn)
        if answer is None:
            ctx.absent.add(("kms-key", key.key_id))
            observed["exists"] = False
            return fail(f"KMS key {key.arn} is declared in the state but does not exist in the account")
        meta = answer["KeyMetadata"]
        observed.update(state=meta.get("KeyState"), manager=meta.get("KeyManager"))
        if meta.get("DeletionDate"):
            observed["deletion_date"] = str(meta["DeletionDate"])
        if observed["state"] != "Enabled":
            return fail(f"KMS key {key.arn} is {observed['state']}")
        if observed["manager"] != "CUSTOMER":
            return fail(f"KMS key {key.arn} is managed by {observed['manager']}, not the customer")
        return ok("Enabled, customer managed")

    return ctx.check(KEY_ENABLED, key.arn, key.urn, {"state": "Enabled", "manager": "CUSTOMER"}, body)


def _rotation(ctx: AuditContext, key: DeclaredKey) -> CheckResult:
    expected: dict[str, Any] = {"enabled": as_bool(key.resource.prop("enableKeyRotation"))}
    period = as_int(key.resource.prop("rotationPeriodInDays"))
    if period:
        expected["period_days"] = period

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("kms-key", key.key_id, f"KMS key {key.arn}")
        answer = ctx.call("kms", "get_key_rotation_status", KeyId=key.arn)
        observed["enabled"] = bool(answer.get("KeyRotationEnabled"))
        if "RotationPeriodInDays" in answer:
            observed["period_days"] = answer["RotationPeriodInDays"]
        if observed["enabled"] != expected["enabled"]:
            return fail(
                f"automatic rotation of KMS key {key.arn} is {'on' if observed['enabled'] else 'off'}; the state "
                f"declares {'on' if expected['enabled'] else 'off'}"
            )
        if period and "period_days" in observed and observed["period_days"] != period:
            return fail(f"KMS key {key.arn} rotates every {observed['period_days']} days; declared {period}")
        note = "" if "period_days" in observed or not period else " (the endpoint did not report the period)"
        return ok(f"rotation {'on' if observed['enabled'] else 'off'}{note}")

    return ctx.check(ROTATION, key.arn, key.urn, expected, body)


def _aliases(ctx: AuditContext, key: DeclaredKey) -> CheckResult:
    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("kms-key", key.key_id, f"KMS key {key.arn}")
        answer = ctx.call("kms", "list_aliases", KeyId=key.arn)
        observed["aliases"] = sorted(a["AliasName"] for a in answer.get("Aliases", []))
        missing = sorted(set(key.aliases) - set(observed["aliases"]))
        if missing:
            return fail(f"KMS key {key.arn} lacks the declared alias(es) {', '.join(missing)}")
        return ok(", ".join(observed["aliases"]))

    return ctx.check(ALIASES, key.arn, key.urn, {"aliases": list(key.aliases)}, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for key in ctx.expected.keys:
        yield _key_enabled(ctx, key)
        if key.resource.prop("enableKeyRotation") is not None:
            yield _rotation(ctx, key)
        if key.aliases:
            yield _aliases(ctx, key)
