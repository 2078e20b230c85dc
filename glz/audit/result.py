"""The outcome of one check: what was expected, what was observed, and what that means."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS = "pass"
FAIL = "fail"
NOT_VERIFIABLE = "not-verifiable"
RESULTS = (PASS, FAIL, NOT_VERIFIABLE)


@dataclass(frozen=True)
class CheckSpec:
    """A kind of check; one spec runs once per declared resource it applies to."""

    id: str
    title: str
    probes: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """What a check body decided; drift means the account differs from what the state declares."""

    result: str
    reason: str = ""
    drift: bool = False


def ok(reason: str = "") -> Verdict:
    return Verdict(PASS, reason)


def fail(reason: str, *, drift: bool = True) -> Verdict:
    """A failed check; drift=False for operational faults the state cannot declare (e.g. INVALID status)."""
    return Verdict(FAIL, reason, drift)


def unverifiable(reason: str) -> Verdict:
    return Verdict(NOT_VERIFIABLE, reason)


@dataclass
class CheckResult:
    id: str
    title: str
    resource: str
    urn: str | None
    probes: tuple[str, ...]
    result: str
    drift: bool
    reason: str
    expected: dict[str, Any] = field(default_factory=dict)
    observed: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "resource": self.resource,
            "urn": self.urn,
            "probes": list(self.probes),
            "result": self.result,
            "drift": self.drift,
            "reason": self.reason,
            "expected": self.expected,
            "observed": self.observed,
        }
