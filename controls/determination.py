"""Determinations: Met, Not met, Not applicable or Not assessed for each requirement, with what each rests on.

An assessor's question is not "is it implemented by someone" but "is it met, on what evidence, examined how"
(NIST SP 800-171A: examine, interview, test). A row's determination follows from three sources:

- the stack: the row's probes and policy rules hold (its status is Implemented) - tested;
- the account: the `glz audit` checks behind the row's probes did not fail - tested; a failed check is drift and
  makes the requirement Not met whatever the stack says;
- the organization: the attestation of the customer action (controls/attestations.py) is done and not past its
  review date - examined and interviewed.

A landing-zone requirement needs the first two; a customer requirement the third; a shared one all of them.
Without an attestation the organization's part is Not assessed, never assumed. Inherited requirements are Met
on AWS's attestations (SOC 2, FedRAMP), which the assessor examines.

The SPRS score (DoD Assessment Methodology v1.2.1) is 110 minus the points of every r2 requirement not Met;
3.5.3 and 3.13.11 deduct their partial values where the methodology allows them.
"""

from __future__ import annotations

import datetime as dt

from controls.attestations import NOT_APPLICABLE, NOT_DONE, Attestation, Attestations
from controls.model import IMPLEMENTED, Determination, Plan, Row, SprsScore

MET, NOT_MET, NOT_APPLICABLE_RESULT, NOT_ASSESSED = "Met", "Not met", "Not applicable", "Not assessed"
RESULTS = (MET, NOT_MET, NOT_APPLICABLE_RESULT, NOT_ASSESSED)
OPEN = (NOT_MET, NOT_ASSESSED)
"""Determinations that need a plan of action (the POA&M lists them)."""
EXAMINE, INTERVIEW, TEST = "examine", "interview", "test"

FIPS_PROBE = "fips_endpoints"
PARTIAL_POINTS = {"3.5.3": 3, "3.13.11": 3}
"""DoD Assessment Methodology v1.2.1, Annex A: 3.5.3 deducts 3 instead of 5 when MFA is implemented for remote
and privileged users but not all users; 3.13.11 deducts 3 instead of 5 when encryption is employed but is not
FIPS-validated."""


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def _stack_part(row: Row) -> tuple[bool, list[str], str]:
    """(holds, basis, reason) of the stack's and the account's evidence."""
    basis = []
    passed = [o.rule_id for o in row.rules if o.outcome == "passed"]
    held = [p.name for p in row.probes if p.satisfied]
    if held or passed:
        basis.append(
            "stack: "
            + "; ".join(
                part
                for part in (
                    f"probes {', '.join(held)}" if held else "",
                    f"rules {', '.join(passed)} pass" if passed else "",
                )
                if part
            )
        )
    if row.verified is not None and row.verified.result == "failed":
        return False, basis, f"drift: the live account check failed ({row.verified.detail})"
    if row.verified is not None and row.verified.result == "verified":
        basis.append(f"account: {row.verified.detail}")
    if row.status != IMPLEMENTED:
        return False, basis, "; ".join(row.gaps) or f"the stack's part is {row.status.lower()}"
    return True, basis, ""


def _attested(attestation: Attestation | None, today: dt.date) -> tuple[str | None, str, str]:
    """(outcome, basis, reason): outcome 'met', 'not-applicable', 'not-met' or None (not assessed)."""
    if attestation is None:
        return None, "", "the organization's part is not attested (attestation file)"
    if attestation.status == NOT_APPLICABLE:
        return "not-applicable", f"organization: not applicable ({attestation.justification})", ""
    if attestation.status == NOT_DONE:
        return "not-met", "", "the organization attests its part is not done"
    if attestation.overdue(today):
        return "not-met", "", f"attestation by {attestation.by} was due for review on {attestation.next_review}"
    basis = f"organization: attested by {attestation.by} on {attestation.date} ({attestation.evidence}); review {attestation.next_review}"
    return "met", basis, ""


def determine(row: Row, attestation: Attestation | None, today: dt.date) -> Determination:
    if row.responsibility == "not-applicable":
        return Determination(NOT_APPLICABLE_RESULT, (row.justification,), (EXAMINE,))
    if row.responsibility == "inherited":
        return Determination(MET, (f"AWS: {_first_sentence(row.justification)}",), (EXAMINE,))
    methods: list[str] = []
    basis: list[str] = []
    if row.responsibility in ("landing-zone", "shared"):
        holds, stack_basis, reason = _stack_part(row)
        basis += stack_basis
        methods += [TEST, EXAMINE]
        if not holds:
            return Determination(NOT_MET, tuple(basis), tuple(methods), reason)
        if row.responsibility == "landing-zone":
            return Determination(MET, tuple(basis), tuple(methods))
    outcome, attested_basis, reason = _attested(attestation, today)
    methods += [m for m in (EXAMINE, INTERVIEW) if m not in methods]
    if attested_basis:
        basis.append(attested_basis)
    if outcome == "met" or (outcome == "not-applicable" and row.responsibility == "shared"):
        return Determination(MET, tuple(basis), tuple(methods))
    if outcome == "not-applicable":
        return Determination(NOT_APPLICABLE_RESULT, tuple(basis), (EXAMINE,))
    if outcome == "not-met":
        return Determination(NOT_MET, tuple(basis), tuple(methods), reason)
    return Determination(NOT_ASSESSED, tuple(basis), tuple(methods), reason)


def determine_all(rows: list[Row], attestations: Attestations | None, today: dt.date) -> None:
    for row in rows:
        found = attestations.get(row.framework, row.id) if attestations else None
        row.determination = determine(row, found, today)
        if row.determination.result in OPEN and found is not None and (found.milestone or found.owner or found.due):
            row.plan = Plan(found.milestone, found.owner, found.due.isoformat() if found.due else "")


def _partial(row: Row) -> int | None:
    """The methodology's partial deduction where the evidence shows the partial case, else None."""
    drift = row.verified is not None and row.verified.result == "failed"
    if row.id == "3.13.11" and not drift and row.gaps and all(g.startswith(f"{FIPS_PROBE}:") for g in row.gaps):
        return PARTIAL_POINTS["3.13.11"]  # encrypted (KMS, TLS), not through FIPS-validated endpoints
    if row.id == "3.5.3" and not drift and row.status == IMPLEMENTED:
        return PARTIAL_POINTS["3.5.3"]  # every role people assume requires MFA; the organization's users unattested
    return None


def sprs(rows: list[Row], attestations: Attestations | None) -> SprsScore:
    """110 minus the points of every r2 requirement whose determination is not Met or Not applicable."""
    deductions = []
    for row in rows:
        if row.determination is None or row.determination.result in (MET, NOT_APPLICABLE_RESULT):
            continue
        points = int(row.dod_points or 0)
        partial = _partial(row)
        why = row.determination.reason or row.determination.result
        if partial is not None and partial < points:
            deductions.append((row.id, partial, f"partial: {why}"))
        else:
            deductions.append((row.id, points, why))
    return SprsScore(
        maximum=len(rows),
        score=len(rows) - sum(points for _, points, _ in deductions),
        deductions=tuple(deductions),
        attestations=attestations.source if attestations else None,
    )


def sprs_basis(score: SprsScore, brief: bool = False) -> str:
    """One sentence on what the score counts, for every output's summary (brief: the console's)."""
    charged = [(rid, points) for rid, points, _ in score.deductions if points]
    deducted = (
        f"{len(charged)} requirements deduct {sum(p for _, p in charged)} points"
        if brief
        else ", ".join(f"{rid} -{points}" for rid, points in charged) or "none"
    )
    source = (
        f"attestations from {score.attestations}"
        if score.attestations
        else "no attestation file, so every customer part counts as not assessed"
    )
    return f"{source}; deductions: {deducted}"
