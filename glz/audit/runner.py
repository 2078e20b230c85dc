"""Run the audit: confirm the credentials point at the declared account and region, then every check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from glz.audit.checks import GROUPS
from glz.audit.context import AuditContext
from glz.audit.expected import Expected, from_state
from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS, CheckResult
from glz.audit.session import AuditSession, Identity
from glz.errors import UserInputError
from glz.state import StackState


class TargetMismatchError(UserInputError):
    """The credentials or region point somewhere other than where the state was deployed: exit 2, no checks."""


@dataclass
class AuditRun:
    expected: Expected
    identity: Identity
    region: str
    endpoint_url: str | None
    results: list[CheckResult]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def summary(self) -> dict[str, int]:
        counts = {PASS: 0, FAIL: 0, NOT_VERIFIABLE: 0, "drift": 0}
        for result in self.results:
            counts[result.result] += 1
            counts["drift"] += int(result.drift)
        return counts

    def exit_code(self, strict: bool = False) -> int:
        """0 all pass (not-verifiable tolerated unless strict), 1 any fail or drift."""
        summary = self.summary()
        if summary[FAIL] or summary["drift"]:
            return 1
        return 1 if strict and summary[NOT_VERIFIABLE] else 0


def verify_target(session: AuditSession, expected: Expected) -> Identity:
    """Compare the caller's account and the session region with the state before reading anything else."""
    identity = session.identity()
    problems = []
    if identity.account != expected.account:
        problems.append(
            f"the credentials belong to account {identity.account} ({identity.arn}) but {expected.source} was "
            f"deployed to account {expected.account}; use --profile for a role in {expected.account}"
        )
    if session.region != expected.region:
        problems.append(
            f"the audit would read region {session.region} but the stack was deployed to {expected.region}; "
            f"pass --region {expected.region}"
        )
    if problems:
        raise TargetMismatchError("wrong target, no checks were run: " + "; ".join(problems))
    return identity


def run_audit(state: StackState, session: AuditSession, stack: str = "") -> AuditRun:
    expected = from_state(state, stack)
    identity = verify_target(session, expected)
    ctx = AuditContext(session, expected, identity.account, state)
    results = [result for group in GROUPS for result in group(ctx)]
    return AuditRun(expected, identity, session.region, session.endpoint_url, results)
