"""Condition blocks evaluated in three values: True, False, or None when the stack does not fix the key.

The rules never guess an unknown key: an Allow whose condition is unknown is still a path (reported as
conditional), a Deny whose condition is unknown is not counted on. Semantics follow the IAM reference
("Condition operators", "...IfExists", "ForAllValues/ForAnyValue", "Null"): keys within an operator and
operators within a block are ANDed, values of one key are ORed; a negated operator matches when no value
matches, and a missing key makes a positive operator false and a negated one true.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from functools import lru_cache

from policies.access import catalog

MISSING = object()  # the request does not carry the key at all
Context = Mapping[str, object]  # lower-case key -> str | list[str] | MISSING; absent = unknown

NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
}


class PartialArn(str):
    """A principal ARN known only by its account (someone in another account): an ARN condition can still
    be decided when every pattern names a different account."""

    account: str = ""

    @classmethod
    def of(cls, account: str) -> PartialArn:
        value = cls(f"arn:aws:iam::{account}:*")
        value.account = account
        return value


def _named_account(pattern: str) -> str:
    parts = pattern.split(":")
    return parts[4] if len(parts) > 5 else ""


class Values:
    """One operator's expected values, compiled once (a set for exact forms, one regex for the wildcard
    forms) with a memo per actual value: a stack's policies repeat the same long exemption lists (every
    collaborator role named in each data bucket's deny), and every rule asks them of every principal."""

    __slots__ = ("base", "exact", "expected", "memo", "named_accounts", "partial_open", "regex")

    def __init__(self, base: str, expected: tuple[str, ...]):
        self.base = base
        self.expected = expected
        self.memo: dict[object, bool | None] = {}
        wild = base in LIKE
        folded = base in FOLDED
        literal = [e for e in expected if not (wild and ("*" in e or "?" in e))]
        self.exact = frozenset(e.lower() for e in literal) if folded else frozenset(literal)
        patterns = [e for e in expected if wild and ("*" in e or "?" in e)]
        self.regex = (
            re.compile("|".join(f"(?:{catalog.glob(e, ignore_case=False).pattern})" for e in patterns), re.DOTALL)
            if patterns
            else None
        )
        # a principal known only by its account is decided only when every value names another account
        self.named_accounts = frozenset(_named_account(e) for e in expected)
        self.partial_open = any(not a.isdigit() for a in self.named_accounts)

    def any_match(self, actual: str) -> bool | None:
        """Does ``actual`` match any expected value (None: not decidable here)?"""
        key: object = ("partial", actual.account) if isinstance(actual, PartialArn) else actual
        try:
            return self.memo[key]
        except KeyError:
            pass
        result = self.memo[key] = self._any_match(actual)
        return result

    def _any_match(self, actual: str) -> bool | None:
        base = self.base
        if isinstance(actual, PartialArn):
            return None if self.partial_open or actual.account in self.named_accounts else False
        if base in EXACT:
            return actual in self.exact
        if base in FOLDED:
            return actual.lower() in self.exact
        if base in LIKE:
            return actual in self.exact or (self.regex is not None and self.regex.fullmatch(actual) is not None)
        results = [_match(base, actual, e) for e in self.expected]
        return None if any(r is None for r in results) else any(results)


EXACT = {"StringEquals", "StringNotEquals", "BinaryEquals"}
FOLDED = {"StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "Bool"}
LIKE = {"StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"}


def _match(base: str, actual: str, expected: str) -> bool | None:
    """The operators without a set or regex form: numbers and addresses, one expected value at a time."""
    if base.startswith("Numeric"):
        try:
            a, e = float(actual), float(expected)
        except ValueError:
            return None
        op = base.removeprefix("Numeric").removeprefix("Not")
        return {
            "Equals": a == e,
            "LessThan": a < e,
            "LessThanEquals": a <= e,
            "GreaterThan": a > e,
            "GreaterThanEquals": a >= e,
        }.get(op)
    if base in ("IpAddress", "NotIpAddress"):
        try:
            return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
        except ValueError:
            return None
    return None  # Date operators and anything unknown: not decided here


@lru_cache(maxsize=65536)
def values(base: str, expected: tuple[str, ...]) -> Values:
    return Values(base, expected)


@lru_cache(maxsize=4096)
def _operator(raw: str) -> tuple[str, str, bool]:
    """'ForAnyValue:StringLikeIfExists' -> ('ForAnyValue', 'StringLike', True)."""
    qualifier, _, rest = raw.rpartition(":")
    if_exists = rest.endswith("IfExists")
    return qualifier, rest.removesuffix("IfExists"), if_exists


Compiled = tuple[tuple[str, str, bool, str, Values], ...]  # (qualifier, base, IfExists, key, values) per key


def compile_block(conditions: Mapping[str, Mapping[str, list[str]]]) -> Compiled:
    """A condition block in the shape ``evaluate`` reads fastest; statements keep theirs (Statement.compiled)."""
    found = []
    for raw_operator, body in conditions.items():
        qualifier, base, if_exists = _operator(raw_operator)
        for key, expected in body.items():
            found.append((qualifier, base, if_exists, key.lower(), values(base, tuple(expected))))
    return tuple(found)


def _key(base: str, qualifier: str, if_exists: bool, actual: object, expected: Values) -> bool | None:
    if base == "Null":
        if actual is None:
            return None
        want_missing = any(v.lower() == "true" for v in expected.expected)
        return (actual is MISSING) == want_missing
    if actual is None:
        return None
    negated = base in NEGATED
    if actual is MISSING:
        if if_exists or qualifier == "ForAllValues":
            return True
        return negated
    if isinstance(actual, list):
        hits = [expected.any_match(a if isinstance(a, PartialArn) else str(a)) for a in actual]
    else:
        hits = [expected.any_match(actual if isinstance(actual, PartialArn) else str(actual))]
    if None in hits:
        return None
    if qualifier == "ForAllValues":
        return all(not h for h in hits) if negated else all(hits)
    if negated:
        # ForAnyValue with a negated operator: some request value matches none of the condition's values (IAM User
        # Guide, "Set operators for multivalued context keys"); a single value reads the same either way
        return not all(hits) if qualifier == "ForAnyValue" else not any(hits)
    return any(hits)


def evaluate(conditions: Mapping[str, Mapping[str, list[str]]] | Compiled, context: Context) -> bool | None:
    """True when the block holds, False when it cannot, None when a key it needs is unknown."""
    compiled = conditions if isinstance(conditions, tuple) else compile_block(conditions)
    unknown = False
    for qualifier, base, if_exists, key, expected in compiled:
        result = _key(base, qualifier, if_exists, context.get(key), expected)
        if result is False:
            return False
        if result is None:
            unknown = True
    return None if unknown else True


def keys(conditions: Mapping[str, Mapping[str, list[str]]]) -> set[str]:
    return {key.lower() for body in conditions.values() for key in body}
