"""The computed control matrix as plain data: what every renderer (xlsx, csv, md, html, OSCAL) reads.

Renderers never compute a status or look at the stack themselves; they only lay out a `Matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Statuses, in the order auditors expect to see them.
IMPLEMENTED = "Implemented"
PARTIAL = "Partially implemented"
NOT_IMPLEMENTED = "Not implemented"
CUSTOMER = "Customer responsibility"
INHERITED = "Inherited"
NOT_APPLICABLE = "Not applicable"
STATUSES = (IMPLEMENTED, PARTIAL, NOT_IMPLEMENTED, CUSTOMER, INHERITED, NOT_APPLICABLE)

# Responsibility keys used in the mapping files, with the label shown to auditors.
RESPONSIBILITY_LABELS = {
    "landing-zone": "Landing zone",
    "shared": "Shared (landing zone + organization)",
    "customer": "Customer organization",
    "inherited": "Inherited from AWS",
    "not-applicable": "Not applicable",
}


@dataclass(frozen=True)
class ProbeResult:
    """One evidence fact computed from the stack state."""

    name: str
    description: str
    satisfied: bool
    summary: str
    resources: tuple[str, ...] = ()  # URNs
    names: tuple[str, ...] = ()  # physical names, as the AWS console shows them
    components: tuple[str, ...] = ()  # component resources the evidence belongs to, e.g. "AuditTrail audit"
    fields: dict[str, str] = field(default_factory=dict)
    component_names: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (component, physical names of its resources)

    def names_in(self, component: str) -> tuple[str, ...]:
        """Physical names of the resources this probe read that belong to ``component``."""
        return next((names for name, names in self.component_names if name == component), ())


@dataclass(frozen=True)
class RuleOutcome:
    """What the policy gate said about one rule that evidences a requirement."""

    rule_id: str
    title: str
    outcome: str  # passed | failed | suppressed | not-evaluated
    checked: int  # subjects checked
    failed: int
    messages: tuple[str, ...] = ()
    suppression_reasons: tuple[str, ...] = ()


VERIFICATION_RESULTS = ("verified", "failed", "not-verifiable", "not-checked")


@dataclass(frozen=True)
class AccountVerification:
    """What `glz audit` observed in the account for a row's probes (None on a row when no evidence was given)."""

    result: str  # verified | failed | not-verifiable | not-checked
    detail: str
    check_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScannerVerdict:
    """What one scanner found on a row's requirement, through its own mapping."""

    scanner: str
    passed: int
    failed: tuple[str, ...]  # "check on resource" of failures no known finding explains
    explained: tuple[str, ...]  # "check on resource (kind: reason)"
    manual: int

    @property
    def result(self) -> str:
        if self.failed:
            return "failed"
        if self.explained:
            return "explained"
        return "passed" if self.passed else "manual"

    @property
    def detail(self) -> str:
        parts = [f"{self.scanner}: {self.passed} passed"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed ({'; '.join(self.failed)})")
        if self.explained:
            parts.append(f"{len(self.explained)} failed and explained ({'; '.join(self.explained)})")
        if self.manual:
            parts.append(f"{self.manual} manual")
        return ", ".join(parts)


@dataclass
class Row:
    framework: str
    id: str
    family_id: str
    family: str
    title: str
    text: str
    kind: str
    responsibility: str  # key of RESPONSIBILITY_LABELS
    status: str
    statement: str
    customer_actions: str
    justification: str
    probes: list[ProbeResult]
    rules: list[RuleOutcome]
    config_rules: list[str]
    gaps: list[str]
    deviations: list[str]
    verified: AccountVerification | None = None
    scanner: ScannerVerdict | None = None  # a scanner's findings through its own mapping (controls.scanner_evidence)
    determination: Determination | None = None
    plan: Plan | None = None  # only for a requirement not met whose attestation records a plan
    dod_points: int | None = None  # NIST 800-171 r2 only
    hipaa_status: str | None = None  # required | addressable (HIPAA specifications only)
    objectives: tuple[tuple[str, str], ...] = ()  # SP 800-171A determination statements (id, text); r2 and r3
    parameters: tuple[tuple[str, str], ...] = ()  # r3 ODPs the stack sets: (ODP id, value)
    strictly_automated: bool = False  # a rule tagged with the requirement is proven by a weakening test

    @property
    def responsibility_label(self) -> str:
        return RESPONSIBILITY_LABELS[self.responsibility]

    @property
    def resources(self) -> list[str]:
        """Physical names of the resources that implement the row, in probe order, without repeats."""
        return list(dict.fromkeys(name for probe in self.probes for name in probe.names))

    @property
    def components(self) -> list[str]:
        return list(dict.fromkeys(c for probe in self.probes for c in probe.components))

    @property
    def automated(self) -> bool:
        """Backed by at least one automated check: a probe, a policy rule or an AWS Config rule."""
        return bool(self.probes or self.rules or self.config_rules)


@dataclass(frozen=True)
class ResourceEntry:
    urn: str
    type: str
    name: str  # physical name when known, else the Pulumi logical name
    component: str
    requirements: tuple[str, ...]  # "nist-800-171-r2:3.3.1", ...


@dataclass(frozen=True)
class FindingEntry:
    rule_id: str
    source: str  # glz | checkov
    severity: str
    resource: str
    resource_type: str
    message: str
    status: str  # failed | suppressed
    reason: str  # suppression reason ("" when failed)
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Determination:
    """Met, Not met, Not applicable or Not assessed, and what it rests on (controls/determination.py)."""

    result: str
    basis: tuple[str, ...]  # what the result rests on, one item per source
    methods: tuple[str, ...]  # SP 800-171A assessment methods that produced the evidence
    reason: str = ""  # for anything but Met: what is missing or failed


@dataclass(frozen=True)
class Plan:
    """The organization's plan of action for a requirement not met (from its attestation file)."""

    milestone: str
    owner: str
    due: str  # YYYY-MM-DD, or "" when none is recorded


@dataclass(frozen=True)
class SprsScore:
    """The DoD Assessment Methodology score for r2: 110 minus the points of every requirement not Met."""

    maximum: int
    score: int
    deductions: tuple[tuple[str, int, str], ...]  # requirement, points, why
    attestations: str | None  # the attestation file read, None when there was none


@dataclass(frozen=True)
class LeveragedAuthorization:
    """An authorization of AWS the organization's SSP leverages (FedRAMP), as its attestation file records it."""

    title: str
    package_id: str
    date_authorized: str  # YYYY-MM-DD, from the FedRAMP Marketplace listing
    source: str  # where the organization read it


@dataclass(frozen=True)
class StackInfo:
    stack: str
    project: str
    account: str
    region: str
    classification: str
    state_source: str
    state_sha256: str
    generated_at: str  # ISO 8601 UTC
    tool_version: str
    gate_passed: bool
    gate_summary: str
    evidence_source: str | None = None
    evidence_generated_at: str | None = None  # when `glz audit` collected the evidence, as the file says
    evidence_notes: tuple[str, ...] = ()  # sentences on stale or mismatched evidence (controls.evidence)
    scanner: str | None = None  # e.g. "Prowler 5.46.0", when a scanner's findings were given
    scanner_source: str | None = None
    scanner_scanned_at: str | None = None
    scanner_notes: tuple[str, ...] = ()
    leveraged: tuple[LeveragedAuthorization, ...] = ()  # from the attestation file; the SSPs list them


@dataclass
class Matrix:
    info: StackInfo
    rows: dict[str, list[Row]]  # framework key -> rows in catalog order
    resources: list[ResourceEntry]
    findings: list[FindingEntry]
    sprs: SprsScore
    config_rules: list[str]  # identifiers in the conformance pack

    def all_rows(self) -> list[Row]:
        return [row for rows in self.rows.values() for row in rows]

    def determination_counts(self, framework: str) -> dict[str, int]:
        from controls.determination import RESULTS

        counts = dict.fromkeys(RESULTS, 0)
        for row in self.rows[framework]:
            if row.determination is not None:
                counts[row.determination.result] += 1
        return counts

    def verification_counts(self, framework: str) -> dict[str, int] | None:
        """Rows by what `glz audit` observed (verified, failed, not-verifiable, not-checked), or None without live
        evidence."""
        if not any(row.verified is not None for row in self.rows[framework]):
            return None
        counts = dict.fromkeys(VERIFICATION_RESULTS, 0)
        for row in self.rows[framework]:
            if row.verified is not None:
                counts[row.verified.result] += 1
        return counts

    def strict_count(self, framework: str) -> int:
        """Requirements a proven rule reads (controls/mapping/proven_rules.yaml), of the framework's total."""
        return sum(1 for row in self.rows[framework] if row.strictly_automated)

    def status_counts(self, framework: str) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for row in self.rows[framework]:
            counts[row.status] += 1
        return counts
