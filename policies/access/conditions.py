"""Condition blocks evaluated in three values: True, False, or None when the stack does not fix the key.

The rules never guess an unknown key: an Allow whose condition is unknown is still a path (reported as
conditional), a Deny whose condition is unknown is not counted on. Semantics follow the IAM reference
("Condition operators", "...IfExists", "ForAllValues/ForAnyValue", "Null"): keys within an operator and
operators within a block are ANDed, values of one key are ORed; a negated operator matches when no value
matches, and a missing key makes a positive operator false and a negated one true.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

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


def _match(base: str, actual: str, expected: str) -> bool | None:
    if isinstance(actual, PartialArn):
        parts = expected.split(":")
        named = parts[4] if len(parts) > 5 else ""
        return False if named.isdigit() and named != actual.account else None
    if base in ("StringEquals", "StringNotEquals", "BinaryEquals"):
        return actual == expected
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"):
        return catalog.glob(expected, ignore_case=False).fullmatch(actual) is not None
    if base == "Bool":
        return actual.lower() == expected.lower()
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


def _operator(raw: str) -> tuple[str, str, bool]:
    """'ForAnyValue:StringLikeIfExists' -> ('ForAnyValue', 'StringLike', True)."""
    qualifier, _, rest = raw.rpartition(":")
    if_exists = rest.endswith("IfExists")
    return qualifier, rest.removesuffix("IfExists"), if_exists


def _key(base: str, qualifier: str, if_exists: bool, actual: object, expected: list[str]) -> bool | None:
    if base == "Null":
        if actual is None:
            return None
        want_missing = any(v.lower() == "true" for v in expected)
        return (actual is MISSING) == want_missing
    if actual is None:
        return None
    negated = base in NEGATED
    if actual is MISSING:
        if if_exists or qualifier == "ForAllValues":
            return True
        return negated
    values = actual if isinstance(actual, list) else [actual]
    results = [[_match(base, a if isinstance(a, PartialArn) else str(a), e) for e in expected] for a in values]
    if any(r is None for row in results for r in row):
        return None
    hits = [any(row) for row in results]
    if qualifier == "ForAllValues":
        return all(not h for h in hits) if negated else all(hits)
    if negated:
        return not any(hits)
    return any(hits)


def evaluate(conditions: Mapping[str, Mapping[str, list[str]]], context: Context) -> bool | None:
    """True when the block holds, False when it cannot, None when a key it needs is unknown."""
    unknown = False
    for raw_operator, body in conditions.items():
        qualifier, base, if_exists = _operator(raw_operator)
        for key, expected in body.items():
            result = _key(base, qualifier, if_exists, context.get(key.lower()), expected)
            if result is False:
                return False
            if result is None:
                unknown = True
    return None if unknown else True


def keys(conditions: Mapping[str, Mapping[str, list[str]]]) -> set[str]:
    return {key.lower() for body in conditions.values() for key in body}
