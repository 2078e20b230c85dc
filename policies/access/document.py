"""Policy statements in one normalized shape, whatever form the JSON took.

IAM accepts a string or a list for Action, Resource and principal values, `Not*` forms of each, and
`Principal: "*"` or `{"AWS": "*"}`; rules must not care which was written. A statement here answers
`covers_action`, `covers_resource` and `principal_match` by meaning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from policies.access import catalog
from policies.access import conditions as cond

PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")
_CONDITIONS = ("compiled conditions",)  # memo key that no action name can collide with


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse(value: Any) -> Any:
    """A policy document from a JSON string or an already-parsed object; {} when unreadable."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
        if isinstance(value, str):  # a JSON string holding a JSON document (secret envelopes)
            return parse(value)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Principal:
    """One principal element: kind AWS/Service/Federated/CanonicalUser or '*' (Principal: "*")."""

    kind: str
    value: str

    @property
    def anyone(self) -> bool:
        return self.value == "*"


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: tuple[Principal, ...] = ()
    not_principals: tuple[Principal, ...] = ()
    has_principal: bool = False
    conditions: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    sid: str = "?"
    source: str = ""  # where it lives: "bucket policy of x", "inline policy y of role z", ...
    _memo: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def deny(self) -> bool:
        return self.effect == "Deny"

    def covers_action(self, action: str) -> bool:
        """Memoized per statement, and across statements with the same Action list: rules ask the same few
        hundred actions of every statement, and hundreds of collaborator roles carry the same lists."""
        known = self._memo.get(action)
        if known is None:
            known = self._memo[action] = covers_action(self.actions, self.not_actions, action)
        return known

    def compiled_conditions(self) -> cond.Compiled:
        """The Condition block compiled once (sets and one regex per operator, see conditions.Values)."""
        known = self._memo.get(_CONDITIONS)
        if known is None:
            known = self._memo[_CONDITIONS] = cond.compile_block(self.conditions)
        return known

    def covers_resource(self, arn: str) -> bool:
        """Resource patterns match case-sensitively except the service and partition parts (IAM's rule
        for ARNs); a statement with neither element (trust policies) covers its own resource."""
        key = ("resource", arn)
        known = self._memo.get(key)
        if known is None:
            known = self._memo[key] = self._covers_resource(arn)
        return known

    def _covers_resource(self, arn: str) -> bool:
        if self.not_resources:
            return not any(arn_matches(p, arn) for p in self.not_resources)
        if not self.resources:
            return True
        return any(arn_matches(p, arn) for p in self.resources)

    def label(self) -> str:
        return f"statement {self.sid} ({self.source})" if self.source else f"statement {self.sid}"


@lru_cache(maxsize=262144)
def covers_action(actions: tuple[str, ...], not_actions: tuple[str, ...], action: str) -> bool:
    """Does a statement with this Action (or NotAction) list cover ``action``?"""
    if not_actions:
        return not catalog.any_matches(not_actions, action)
    return catalog.any_matches(actions, action)


def arn_matches(pattern: str, arn: str) -> bool:
    pattern = str(pattern)
    if pattern == "*":
        return True
    return catalog.glob(pattern, ignore_case=False).fullmatch(arn) is not None


def _principals(value: Any) -> tuple[tuple[Principal, ...], bool]:
    if value is None:
        return (), False
    if isinstance(value, str):
        return (Principal("*", value),), True
    if not isinstance(value, dict):
        return (), True
    found = []
    for kind, who in value.items():
        for item in as_list(who):
            found.append(Principal(str(kind), str(item)))
    return tuple(found), True


def _conditions(value: Any) -> dict[str, dict[str, list[str]]]:
    if not isinstance(value, dict):
        return {}
    found: dict[str, dict[str, list[str]]] = {}
    for operator, body in value.items():
        if isinstance(body, dict):
            found[str(operator)] = {str(k): [_text(v) for v in as_list(vs)] for k, vs in body.items()}
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def statements(document: Any, source: str = "") -> list[Statement]:
    """Every statement of a policy document, normalized; malformed entries are skipped."""
    document = parse(document)
    found = []
    for index, raw in enumerate(as_list(document.get("Statement"))):
        if not isinstance(raw, dict):
            continue
        principals, has_principal = _principals(raw.get("Principal"))
        not_principals, has_not = _principals(raw.get("NotPrincipal"))
        found.append(
            Statement(
                effect=str(raw.get("Effect", "")),
                actions=tuple(str(a) for a in as_list(raw.get("Action"))),
                not_actions=tuple(str(a) for a in as_list(raw.get("NotAction"))),
                resources=tuple(str(r) for r in as_list(raw.get("Resource"))),
                not_resources=tuple(str(r) for r in as_list(raw.get("NotResource"))),
                principals=principals,
                not_principals=not_principals,
                has_principal=has_principal or has_not,
                conditions=_conditions(raw.get("Condition")),
                sid=str(raw.get("Sid") or f"#{index}"),
                source=source,
            )
        )
    return found


def allow_statements(items: Iterable[Statement]) -> list[Statement]:
    return [s for s in items if s.allow]
