"""The offline policy gate: the CrossGuard rules run over a stack state, with suppressions applied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from glz.state import StackState
from policies.framework import Rule, StackView, View
from policies.suppressions import Suppression


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str
    urn: str
    resource_type: str
    message: str
    source: str = "glz"  # glz | checkov
    enforcement: str = "mandatory"
    suppressed_reason: str | None = None

    @property
    def status(self) -> str:
        return "suppressed" if self.suppressed_reason else "failed"

    @property
    def blocking(self) -> bool:
        return self.suppressed_reason is None and self.enforcement == "mandatory"


@dataclass
class GateResult:
    findings: list[Finding] = field(default_factory=list)
    checked: list[tuple[str, str, bool]] = field(default_factory=list)  # (rule id, subject URN, passed)
    expired: list[Suppression] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.expired and not any(f.blocking for f in self.findings)

    def failed_rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings if f.status == "failed"}


def stack_view(state: StackState) -> StackView:
    """A stack state seen as the CrossGuard pack would see it (inputs over outputs)."""
    views = [
        View(
            type=r.type,
            urn=r.urn,
            name=r.name,
            props={**r.outputs, **r.inputs},
            parent=r.parent,
            dependencies=r.dependencies,
            property_dependencies=r.property_dependencies,
        )
        for r in state.resources
    ]
    return StackView(views)


def _suppression_for(suppressions: list[Suppression], rule_id: str, urn: str, today: dt.date) -> Suppression | None:
    for suppression in suppressions:
        if not suppression.expired(today) and suppression.matches(rule_id, urn):
            return suppression
    return None


def run_rules(
    state: StackState, rules: list[Rule], suppressions: list[Suppression], today: dt.date | None = None
) -> GateResult:
    today = today or dt.date.today()
    view = stack_view(state)
    types = {r.urn: r.type for r in view.resources}
    result = GateResult(expired=[s for s in suppressions if s.expired(today)])
    for rule in rules:
        for subject, violations in rule.evaluate(view):
            result.checked.append((rule.id, subject, not violations))
            for violation in violations:
                suppression = _suppression_for(suppressions, rule.id, violation.urn, today)
                result.findings.append(
                    Finding(
                        rule_id=rule.id,
                        severity=rule.severity,
                        urn=violation.urn,
                        resource_type=types.get(violation.urn, "stack"),
                        message=violation.message,
                        enforcement=rule.enforcement,
                        suppressed_reason=suppression.reason if suppression else None,
                    )
                )
    return result
