"""Deterministic, collision-free physical names derived from the settings and the stack."""

from __future__ import annotations

import hashlib

from components.settings import Settings

S3_NAME_LIMIT = 63


def base_name(settings: Settings, stack: str, suffix: str) -> str:
    """`<prefix>-<stack>-<suffix>`: readable in the console and unique per stack."""
    return f"{settings.name_prefix}-{stack}-{suffix}"


def bucket_name(settings: Settings, stack: str, tier: str) -> str:
    """Globally unique S3 name; the stack part is hashed when the full name would be too long."""
    tail = f"{tier}-{settings.account_id}-{settings.region}"
    name = f"{settings.name_prefix}-{stack}-{tail}"
    if len(name) <= S3_NAME_LIMIT:
        return name
    digest = hashlib.sha256(stack.encode()).hexdigest()[:8]
    return f"{settings.name_prefix}-{digest}-{tail}"


def arn(settings: Settings, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    return ":".join(
        [
            "arn",
            settings.partition,
            service,
            settings.region if region else "",
            settings.account_id if account else "",
            resource,
        ]
    )


def account_root(settings: Settings) -> str:
    return f"arn:{settings.partition}:iam::{settings.account_id}:root"


def role_name(settings: Settings, stack: str, suffix: str) -> str:
    """IAM role names are fixed by convention so bucket policies can name them before they exist
    (IAM limit: 64 characters; the stack part is hashed when needed)."""
    name = f"{settings.name_prefix}-{stack}-{suffix}"
    if len(name) <= 64:
        return name
    digest = hashlib.sha256(stack.encode()).hexdigest()[:8]
    return f"{settings.name_prefix}-{digest}-{suffix}"[:64]


def role_arn(settings: Settings, stack: str, suffix: str) -> str:
    return f"arn:{settings.partition}:iam::{settings.account_id}:role/{role_name(settings, stack, suffix)}"


ADMIN_ROLE = "admin"
AUDITOR_ROLE = "security-auditor"
BREAK_GLASS_ROLE = "break-glass"
SUPPORT_ROLE = "aws-support"


def break_glass_arn(settings: Settings, stack: str) -> str:
    """The one role every guardrail exempts (components.access.OperatorRoles creates it)."""
    return role_arn(settings, stack, BREAK_GLASS_ROLE)


def stack_role_patterns(settings: Settings, stack: str) -> list[str]:
    """ARN patterns covering every role this stack names with role_name (either form: plain or hashed stack)."""
    return stack_iam_patterns(settings.partition, settings.account_id, settings.name_prefix, stack, "role")


def stack_iam_patterns(partition: str, account_id: str, name_prefix: str, stack: str, kind: str) -> list[str]:
    """ARN patterns of the IAM ``kind`` (role, policy, instance-profile) this stack names, plain or hashed."""
    digest = hashlib.sha256(stack.encode()).hexdigest()[:8]
    prefix = f"arn:{partition}:iam::{account_id}:{kind}/{name_prefix}"
    return sorted({f"{prefix}-{stack}-*", f"{prefix}-{digest}-*"})


def collaborator_role_suffix(collaborator_name: str) -> str:
    return f"collab-{collaborator_name}"
