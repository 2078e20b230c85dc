"""Suppressions: rule id + resource pattern + a written reason (+ optional expiry).

A suppressed finding is still reported everywhere, marked suppressed with its reason; an expired
suppression no longer applies (and is itself reported); an unknown rule id is an error.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SENTENCE = re.compile(r"^[A-Z0-9].{19,}[.!?]$", re.DOTALL)


class SuppressionError(Exception):
    """The suppressions file is malformed; the message names the entry, the key and what is allowed."""


@dataclass(frozen=True)
class Suppression:
    rule: str
    resource: str  # fnmatch pattern on the URN (or the resource name)
    reason: str
    expires: dt.date | None = None

    def matches(self, rule_id: str, urn: str) -> bool:
        name = urn.rsplit("::", 1)[-1]
        return rule_id == self.rule and (
            fnmatch.fnmatchcase(urn, self.resource) or fnmatch.fnmatchcase(name, self.resource)
        )

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today


def parse(entries: Any, known_rules: set[str], source: str = "suppressions") -> list[Suppression]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise SuppressionError(f"{source}: expected a list of suppressions, got {type(entries).__name__}")
    problems: list[str] = []
    result: list[Suppression] = []
    for index, entry in enumerate(entries):
        where = f"{source}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with rule, resource, reason (and optional expires)")
            continue
        unknown = sorted(set(entry) - {"rule", "resource", "reason", "expires"})
        if unknown:
            problems.append(f"{where}: unknown key(s) {unknown}; allowed: rule, resource, reason, expires")
        rule = str(entry.get("rule", ""))
        if rule not in known_rules:
            problems.append(f"{where}.rule = {rule!r}: unknown rule id; see `glz rules` for the ids")
        resource = entry.get("resource")
        if not isinstance(resource, str) or not resource:
            problems.append(f"{where}.resource = {resource!r}: required, a URN or name pattern (fnmatch)")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not SENTENCE.match(reason.strip()):
            problems.append(
                f"{where}.reason = {reason!r}: required, at least one full sentence (20+ characters, capital "
                "first letter, ending with a period)"
            )
        expires = entry.get("expires")
        if expires is not None and not isinstance(expires, dt.date):
            try:
                expires = dt.date.fromisoformat(str(expires))
            except ValueError:
                problems.append(f"{where}.expires = {expires!r}: must be a date like 2027-01-31")
                expires = None
        if not problems:
            result.append(Suppression(rule, resource, reason.strip(), expires))
    if problems:
        raise SuppressionError("\n".join(problems))
    return result


def load(path: Path, known_rules: set[str]) -> list[Suppression]:
    if not path.exists():
        return []
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise SuppressionError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(document, dict):
        raise SuppressionError(f"{path}: expected a mapping with a 'suppressions:' list")
    return parse(document.get("suppressions"), known_rules, f"{path.name}:suppressions")
