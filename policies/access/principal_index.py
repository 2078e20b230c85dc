"""Statements indexed by the principals they name, so asking about one actor reads only the statements
that could name it.

A stack with hundreds of collaborators has hundreds of trust policies and resource-policy statements,
each naming one role or account; scanning all of them for every actor makes every rule quadratic. The
index is a superset filter: it returns every statement that could name the actor (always the open ones:
`*`, wildcard ARNs over any account, `NotPrincipal`), and `actors.statement_names` still decides exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Generic, TypeVar

from policies.access.actors import (
    ACCOUNT,
    ACCOUNT_ID,
    ANONYMOUS,
    FEDERATED,
    ROLE,
    SERVICE,
    USER,
    Actor,
    account_of,
    role_of_session,
)
from policies.access.document import Principal, Statement

T = TypeVar("T")
Key = tuple[str, str]


def _keys(principal: Principal) -> list[Key] | None:
    """The index keys an actor must look up to find ``principal``; None when it may name anyone."""
    value = principal.value
    if principal.kind == "*" or value == "*":
        return None
    if principal.kind == "AWS":
        account = account_of(value)
        if ACCOUNT_ID.match(value) or value.endswith(":root"):
            return [("root", account or value)]  # the whole account: names its principals through its IAM
        if "*" in value or "?" in value:
            # a pattern over one account's principals names that account's roles and users and the account
            return [("account", account)] if account else None
        target = role_of_session(value) or value
        keys = [("arn", target.lower())]
        return [*keys, ("named-in", account)] if account else keys
    if principal.kind == "Service":
        return None if "*" in value or "?" in value else [("service", value)]
    if principal.kind == "Federated":
        return [("federated", value)]
    if principal.kind == "CanonicalUser":
        return [("anonymous", "")]
    return []  # a kind IAM does not know names nobody


def lookups(actor: Actor, direct_only: bool = False) -> list[Key]:
    """The keys under which a statement naming ``actor`` (in any form) is filed; with ``direct_only``, only
    those naming the actor itself (not its whole account through the account's own IAM policies)."""
    if actor.kind in (ROLE, USER):
        keys = [("arn", actor.name.lower()), ("account", actor.account or "")]
        return keys if direct_only else [*keys, ("root", actor.account or "")]
    if actor.kind == ACCOUNT:
        keys = [("account", actor.name), ("named-in", actor.name)]
        return keys if direct_only else [*keys, ("root", actor.name)]
    if actor.kind == SERVICE:
        return [("service", actor.name)]
    if actor.kind == FEDERATED:
        return [("federated", actor.name)]
    if actor.kind == ANONYMOUS:
        return [("anonymous", "")]
    return []


class PrincipalIndex(Generic[T]):
    """(statement, payload) entries; ``candidates(actor)`` gives, in entry order, the payloads of every
    statement that could name the actor."""

    def __init__(self, entries: Iterable[tuple[Statement, T]]):
        self.payloads: list[T] = []
        self.open: list[int] = []
        self.by_key: dict[Key, list[int]] = defaultdict(list)
        self._memo: dict[tuple[str, str, bool], list[T]] = {}
        for position, (statement, payload) in enumerate(entries):
            self.payloads.append(payload)
            if not statement.has_principal:
                continue  # an identity statement names no principal: never a candidate
            if statement.not_principals:
                self.open.append(position)
                continue
            keys: set[Key] = set()
            for principal in statement.principals:
                found = _keys(principal)
                if found is None:
                    self.open.append(position)
                    break
                keys.update(found)
            else:
                for key in keys:
                    self.by_key[key].append(position)

    def candidates(self, actor: Actor, direct_only: bool = False) -> list[T]:
        memo_key = (actor.kind, actor.name, direct_only)
        known = self._memo.get(memo_key)
        if known is None:
            positions = set(self.open)
            for key in lookups(actor, direct_only):
                positions.update(self.by_key.get(key, ()))
            known = self._memo[memo_key] = [self.payloads[p] for p in sorted(positions)]
        return known
