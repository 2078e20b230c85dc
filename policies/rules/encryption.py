"""Customer-managed KMS keys: rotation, deletion window, key policies without wildcard principals."""

from __future__ import annotations

from collections.abc import Iterator

from policies.access.model import model_of
from policies.framework import Requirements, StackView, View, resource_rule

KEY = ("aws:kms/key:Key",)
KEY_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
)
KEY_MANAGEMENT = Requirements(r2=("3.13.10",), r3=("03.13.10",), hipaa=("164.312(a)(2)(iv)",))


def purpose_keys(stack: StackView, purpose: str) -> set[str]:
    """ARNs of the stack's keys for ``purpose`` (data, logs, compute), known by the EncryptionKeys child that
    defines them (`<keys>-<purpose>`); the Purpose tag only for a key no component owns."""
    found = set()
    for key in stack.of_type("aws:kms/key:Key"):
        owner = stack.by_urn.get(key.parent or "")
        if owner is not None and owner.type == "glz:security:EncryptionKeys":
            matches = key.name == f"{owner.name}-{purpose}"
        else:
            matches = key.tags.get("Purpose") == purpose
        if matches and key.get("arn"):
            found.add(str(key.get("arn")))
    return found


def own_keys(stack: StackView) -> set[str]:
    """Every way the stack's own KMS keys are named (ARN, key id, alias ARN and name): a key reference
    outside this set is an AWS-managed key or another account's, which the stack cannot hold to its policy."""
    found = {str(k.get(p)) for k in stack.of_type("aws:kms/key:Key") for p in ("arn", "keyId", "id") if k.get(p)}
    for alias in stack.of_type("aws:kms/alias:Alias"):
        found |= {str(alias.get(p)) for p in ("arn", "name") if alias.get(p)}
    return found


def foreign_key(stack: StackView, reference: object) -> str | None:
    """Why a key reference is not one of the stack's keys, or None when it is (or the stack has none)."""
    keys = own_keys(stack)
    if not reference or not keys or str(reference) in keys:
        return None
    if "alias/aws/" in str(reference):
        return f"{reference} is an AWS-managed key"
    return f"{reference} is not a key of the stack"


@resource_rule(
    "GLZ-KMS-001",
    "kms-key-rotation-enabled",
    (*KEY, "aws:kms/externalKey:ExternalKey"),
    "high",
    KEY_MANAGEMENT,
    "Set enable_key_rotation=True (EncryptionKeys does this by default).",
)
def key_rotation(resource: View, stack: StackView) -> Iterator[str]:
    """Customer-managed keys rotate their key material automatically (at most yearly); imported key material
    (an external key) cannot rotate automatically, so it does not belong in the landing zone."""
    if resource.type == "aws:kms/externalKey:ExternalKey":
        yield "imported key material cannot rotate automatically"
        return
    if resource.get("enableKeyRotation") is not True:
        yield "key rotation is off"
    period = resource.get("rotationPeriodInDays")
    if period is not None and float(period) > 365:
        yield f"rotation period is {period} days; at most 365"


@resource_rule(
    "GLZ-KMS-002",
    "kms-key-deletion-window-30-days",
    (
        *KEY,
        "aws:kms/replicaKey:ReplicaKey",
        "aws:kms/externalKey:ExternalKey",
        "aws:kms/replicaExternalKey:ReplicaExternalKey",
    ),
    "medium",
    KEY_MANAGEMENT,
    "Set deletion_window_in_days=30 so a scheduled deletion can be noticed and cancelled.",
)
def deletion_window(resource: View, stack: StackView) -> Iterator[str]:
    """Keys wait the maximum 30 days before deletion, so a mistaken or malicious deletion can be cancelled."""
    window = resource.get("deletionWindowInDays")
    if window is None or float(window) < 30:
        yield f"deletion window is {window} days; required: 30"


@resource_rule(
    "GLZ-KMS-003",
    "kms-key-policy-no-wildcard-principal",
    KEY,
    "critical",
    Requirements(r2=("3.1.1", "3.13.10"), r3=("03.01.01", "03.13.10"), hipaa=("164.312(a)(1)",)),
    "Name the account root and the exact service principals that need the key; never Principal '*', "
    "another account, or a grant to a principal outside the account.",
)
def key_policy_principals(resource: View, stack: StackView) -> Iterator[str]:
    """No one outside the account can use or manage the key: its key policy and grants admit only this
    account's principals and named AWS services, in whatever principal form they are written."""
    model = model_of(stack)
    arn = str(resource.get("arn") or resource.urn)
    for actor in model.external_actors():
        usable = [a for a in KEY_ACTIONS if model.decide(actor, a, arn)]
        if usable:
            decision = model.decide(actor, usable[0], arn)
            yield f"{actor.label()} can {', '.join(usable)} ({'; '.join(decision.because)})"


@resource_rule(
    "GLZ-KMS-004",
    "kms-key-symmetric-customer-managed",
    KEY,
    "medium",
    KEY_MANAGEMENT,
    "Use SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys for data at rest.",
)
def key_spec(resource: View, stack: StackView) -> Iterator[str]:
    """Data keys are symmetric encrypt/decrypt keys (the kind S3, EBS, EFS and CloudTrail can use)."""
    if resource.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        yield f"key spec is {resource.get('customerMasterKeySpec')}"
    if resource.get("keyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        yield f"key usage is {resource.get('keyUsage')}"
