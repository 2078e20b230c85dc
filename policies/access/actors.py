"""Who can make a request: the principals a stack's policies can be asked about, and how a policy's
Principal element names them in any of its forms.

An account actor stands for "any principal of that account": another account's administrators can give
any of their users or roles whatever identity permissions they like, so a grant to any principal in that
account is a grant to the account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policies.access.document import Principal, Statement, arn_matches

ACCOUNT_ID = re.compile(r"^\d{12}$")
IAM_ARN = re.compile(r"^arn:[\w-]+:(iam|sts)::(\d{12}|\*):(.*)$")
AN_UNKNOWN_ACCOUNT = "000000000000"  # stands for "an account nobody named": what '*' lets in
ROLE, USER, ACCOUNT, SERVICE, ANONYMOUS, FEDERATED = "role", "user", "account", "service", "anonymous", "federated"


@dataclass(frozen=True)
class Actor:
    kind: str
    name: str  # role/user ARN, account id, service principal, provider, or "anonymous"
    account: str | None = None
    urn: str | None = None  # the resource that defines it, for roles and users in the stack

    @property
    def arn(self) -> str | None:
        if self.kind in (ROLE, USER):
            return self.name
        if self.kind == ACCOUNT:
            return f"arn:aws:iam::{self.name}:root"
        return None

    def label(self) -> str:
        if self.kind in (ROLE, USER):
            return self.name
        if self.kind == ACCOUNT:
            return "anyone in an unnamed account" if self.name == AN_UNKNOWN_ACCOUNT else f"account {self.name}"
        if self.kind == ANONYMOUS:
            return "anyone (anonymous)"
        return f"{self.kind} {self.name}"


def account_of(value: str) -> str | None:
    """The account a principal value names: a bare id or the account field of an IAM/STS ARN."""
    if ACCOUNT_ID.match(value):
        return value
    match = IAM_ARN.match(value)
    return match.group(2) if match and match.group(2) != "*" else None


def role_of_session(value: str) -> str | None:
    """arn:aws:sts::A:assumed-role/R/S -> arn:aws:iam::A:role/R (a session of role R)."""
    match = re.match(r"^arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+$", value)
    return f"arn:{match.group(1)}:iam::{match.group(2)}:role/{match.group(3)}" if match else None


def names(principal: Principal, actor: Actor) -> str | None:
    """How ``principal`` names ``actor``: "direct" (the actor itself), "account" (its whole account, which
    delegates to the account's own IAM policies), or None."""
    value = principal.value
    if principal.kind == "*" or (principal.kind == "AWS" and value == "*"):
        return "direct"
    if principal.kind == "AWS":
        if actor.kind not in (ROLE, USER, ACCOUNT):
            return None
        account = account_of(value)
        if ACCOUNT_ID.match(value) or value.endswith(":root"):
            return "account" if account == actor.account else None
        if actor.kind == ACCOUNT:
            # a named user or role of that account, or a pattern over it, lets that account in
            return "direct" if account == actor.account or ("*" in value and _account_field_open(value)) else None
        session_role = role_of_session(value)
        target = session_role or value
        if "*" in target or "?" in target:
            return "direct" if arn_matches(target, actor.name) else None
        return "direct" if target.lower() == actor.name.lower() else None
    if principal.kind == "Service":
        return "direct" if actor.kind == SERVICE and (value == actor.name or arn_matches(value, actor.name)) else None
    if principal.kind == "Federated":
        return "direct" if actor.kind == FEDERATED and value == actor.name else None
    if principal.kind == "CanonicalUser":
        return "direct" if actor.kind == ANONYMOUS else None
    return None


def _account_field_open(value: str) -> bool:
    match = IAM_ARN.match(value)
    return bool(match) and match.group(2) == "*"


def statement_names(statement: Statement, actor: Actor) -> str | None:
    """Does a resource or trust statement's Principal/NotPrincipal element include ``actor``?"""
    if statement.not_principals:
        return None if any(names(p, actor) for p in statement.not_principals) else "direct"
    how = [names(p, actor) for p in statement.principals]
    if "direct" in how:
        return "direct"
    return "account" if "account" in how else None


def external_values(statement: Statement, own_account: str | None) -> list[str]:
    """Principal values of a statement that reach outside the account (other accounts, anyone, federated
    and web identities, canonical users); services are not external people."""
    found = []
    if statement.not_principals:
        return ["NotPrincipal (everyone except the named)"]
    for principal in statement.principals:
        if principal.kind == "*" or principal.value == "*":
            found.append("*")
        elif principal.kind == "AWS":
            account = account_of(principal.value)
            if account != own_account:
                found.append(principal.value)
        elif principal.kind in ("Federated", "CanonicalUser"):
            found.append(f"{principal.kind}:{principal.value}")
    return found
