"""Compute the control matrix from a stack state, the policy gate's results and (optionally) live evidence.

Nothing here is typed per requirement: a row's status follows from its mapping record (responsibility,
probes, rules), the probes' view of the state and the gate's findings, checkov's included (its checks
reach rows through controls/mapping/checkov.yaml). Remove the trail from a state and every row that
cites the `trail` probe or a CloudTrail rule changes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from controls import catalog, determination
from controls.attestations import Attestations
from controls.determination import determine_all
from controls.evidence import Evidence, evidence_notes, verification_for
from controls.mapping import (
    CheckovMappingFile,
    MappingRecord,
    checkov_mapping,
    load_all,
    mapped_config_rules,
    proven_rules,
    r3_parameter_templates,
    render_conditionals,
)
from controls.model import (
    CUSTOMER,
    IMPLEMENTED,
    INHERITED,
    NOT_APPLICABLE,
    NOT_IMPLEMENTED,
    PARTIAL,
    FindingEntry,
    Matrix,
    ProbeResult,
    ResourceEntry,
    Row,
    RuleOutcome,
    StackInfo,
)
from controls.probes import PROBES, component_of, physical_name, run_all
from controls.scanner_evidence import ScannerEvidence, load_known_findings, scanner_notes, scanner_verdict
from glz.gate import GateResult, stack_view
from glz.state import StackState
from policies.framework import Rule

FIXED_STATUS = {"customer": CUSTOMER, "inherited": INHERITED, "not-applicable": NOT_APPLICABLE}


class _Fields:
    """A probe's fields for str.format: `{trail.name}`."""

    def __init__(self, fields: dict[str, str]):
        self.__dict__.update(fields)


def _requirement_ids(rule: Rule, framework: str) -> tuple[str, ...]:
    req = rule.requirements
    return {catalog.R2: req.r2, catalog.R3: req.r3, catalog.HIPAA: req.hipaa}[framework]


def _by_rule(gate: GateResult) -> tuple[dict[str, list], dict[str, list]]:
    """The gate's checks and findings grouped by rule id, once per gate result: the matrix asks for the outcomes
    of some 800 rule ids over 275 rows (issue 17: scanning every result for every rule of every row)."""
    cached = getattr(gate, "_glz_by_rule", None)
    if cached is None or cached[0] != (len(gate.checked), len(gate.findings)):
        checked: dict[str, list] = {}
        findings: dict[str, list] = {}
        for check in gate.checked:
            checked.setdefault(check[0], []).append(check)
        for finding in gate.findings:
            findings.setdefault(finding.rule_id, []).append(finding)
        cached = ((len(gate.checked), len(gate.findings)), checked, findings)
        gate._glz_by_rule = cached  # type: ignore[attr-defined]
    return cached[1], cached[2]


def _rule_outcomes(rule_ids: list[str], titles: dict[str, str], gate: GateResult) -> list[RuleOutcome]:
    outcomes = []
    checked_by_rule, findings_by_rule = _by_rule(gate)
    for rule_id in rule_ids:
        checked = checked_by_rule.get(rule_id, [])
        findings = findings_by_rule.get(rule_id, [])
        failed = [f for f in findings if f.status == "failed"]
        suppressed = [f for f in findings if f.status == "suppressed"]
        if failed:
            outcome = "failed"
        elif suppressed:
            outcome = "suppressed"
        elif checked:
            outcome = "passed"
        else:
            outcome = "not-evaluated"
        outcomes.append(
            RuleOutcome(
                rule_id=rule_id,
                title=titles[rule_id],
                outcome=outcome,
                checked=len(checked),
                failed=len(failed),
                messages=tuple(f.message for f in failed),
                suppression_reasons=tuple(dict.fromkeys(f.suppressed_reason or "" for f in suppressed)),
            )
        )
    return outcomes


def _status(record: MappingRecord, probes: list[ProbeResult], outcomes: list[RuleOutcome]) -> str:
    if record.responsibility in FIXED_STATUS:
        return FIXED_STATUS[record.responsibility]
    missing = [p for p in probes if not p.satisfied]
    failed = [o for o in outcomes if o.outcome == "failed"]
    suppressed = [o for o in outcomes if o.outcome == "suppressed"]
    evaluated = [o for o in outcomes if o.outcome != "not-evaluated"]
    if probes and len(missing) == len(probes):
        return NOT_IMPLEMENTED
    if not probes and evaluated and len(failed) == len(evaluated):
        return NOT_IMPLEMENTED
    if missing or failed or suppressed:
        return PARTIAL
    return IMPLEMENTED


def _render(template: str, probes: dict[str, ProbeResult]) -> str:
    shown = render_conditionals(template, {name: result.fields for name, result in probes.items()})
    return shown.format_map({name: _Fields(result.fields) for name, result in probes.items()})


def checkov_ran(gate: GateResult) -> bool:
    """Whether the gate includes checkov's results (not with `--no-checkov`)."""
    return any(f.source == "checkov" for f in gate.findings) or any(
        rule_id.startswith(("CKV_", "CKV2_")) for rule_id, _, _ in gate.checked
    )


ODP = re.compile(r"\{\{(A\.\d\d\.\d\d\.\d\d\.ODP\.\d\d)\}\}")


def _parameter_values(req: catalog.Requirement, probes: dict[str, ProbeResult]) -> dict[str, str]:
    """The requirement's ODPs the stack sets (controls/mapping/r3_parameters.yaml), rendered from the probes."""
    if req.framework != catalog.R3:
        return {}
    known = catalog.r3_parameters()
    return {
        pid: _render(template, probes).rstrip(". ")
        for pid, template in r3_parameter_templates().items()
        if known[pid]["requirement"] == req.id
    }


def odp_text(pid: str, values: dict[str, str], depth: int = 0) -> str:
    """An ODP as a determination statement shows it: the stack's value, else what the organization defines."""
    if pid in values:
        return values[pid]
    spec = catalog.r3_parameters().get(pid, {})
    if spec.get("choices") and depth < 3:
        choices = "; ".join(ODP.sub(lambda m: odp_text(m.group(1), values, depth + 1), c) for c in spec["choices"])
        return f"[selection ({spec.get('how_many') or 'one'}): {choices}]"
    return f"[{spec.get('usage') or 'organization-defined value'}]"


def _objectives(req: catalog.Requirement, values: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """SP 800-171A determination statements: r2's as published; r3's with each ODP shown by ``odp_text``."""
    found = req.extra.get("objectives", ())
    if req.framework == catalog.R2:
        return tuple((o["id"], o["text"]) for o in found)
    if req.framework == catalog.R3:
        return tuple((o["id"], ODP.sub(lambda m: odp_text(m.group(1), values), o["text"])) for o in found)
    return ()


def _row(
    req: catalog.Requirement,
    record: MappingRecord,
    probe_results: dict[str, ProbeResult],
    rules: dict[str, Rule],
    gate: GateResult,
    checkov: CheckovMappingFile | None = None,
) -> Row:
    """One requirement's row. `checkov`: the checkov check mapping when the gate ran checkov, so the
    checks that evidence the requirement count like the landing zone's own rules."""
    technical = record.responsibility not in FIXED_STATUS
    probes = [probe_results[name] for name in record.probes] if technical else []
    rule_ids: list[str] = []
    titles = {rule_id: rule.name for rule_id, rule in rules.items()}
    strict = False
    if technical:
        rule_ids += [rule_id for rule_id, rule in rules.items() if req.id in _requirement_ids(rule, req.framework)]
        rule_ids += list(record.rules)
        # strict: a rule written for this requirement (tagged with it, or named by its record) that a weakening
        # test proves fails when the property is removed; rules reached only through probes do not count
        strict = bool(set(rule_ids) & proven_rules())
        rule_ids += [rule_id for name in record.probes for rule_id in PROBES[name].rules]
        if checkov is not None:
            rule_ids += checkov.for_requirement(req.framework, req.id)
            titles.update({check_id: f"checkov: {c.name}" for check_id, c in checkov.checks.items()})
    outcomes = _rule_outcomes(list(dict.fromkeys(rule_ids)), titles, gate)
    parameters = _parameter_values(req, probe_results)
    gaps = [f"{p.name}: {p.summary}" for p in probes if not p.satisfied]
    gaps += [f"{o.rule_id} failed: {'; '.join(o.messages)}" for o in outcomes if o.outcome == "failed"]
    deviations = [
        f"{o.rule_id} suppressed: {reason}"
        for o in outcomes
        if o.outcome == "suppressed"
        for reason in o.suppression_reasons
    ]
    return Row(
        framework=req.framework,
        id=req.id,
        family_id=req.family_id,
        family=req.family,
        title=req.title,
        text=req.text,
        kind=req.kind,
        responsibility=record.responsibility,
        status=_status(record, probes, outcomes),
        statement=_render(record.statement, probe_results),
        customer_actions=record.customer_actions,
        justification=record.justification,
        probes=probes,
        rules=outcomes,
        config_rules=list(record.config_rules),
        gaps=gaps,
        deviations=deviations,
        dod_points=req.extra.get("dod_points") if req.framework == catalog.R2 else None,
        hipaa_status=req.extra.get("status") if req.framework == catalog.HIPAA else None,
        strictly_automated=strict,
        objectives=_objectives(req, parameters),
        parameters=tuple(parameters.items()),
    )


def _resources(
    state: StackState, rows: list[Row], rules: dict[str, Rule], gate: GateResult, checkov: CheckovMappingFile
) -> list[ResourceEntry]:
    serves: dict[str, set[str]] = {}
    for row in rows:
        for probe in row.probes:
            for urn in probe.resources:
                serves.setdefault(urn, set()).add(f"{row.framework}:{row.id}")
    for rule_id, urn, _passed in gate.checked:
        if rule_id in rules:
            tags = rules[rule_id].requirements.tags()
        elif rule_id in checkov.checks:
            tags = checkov.checks[rule_id].tags()
        else:
            continue
        if urn in state.by_urn:
            serves.setdefault(urn, set()).update(tags)
    order = {fw: {r.id: i for i, r in enumerate(catalog.load(fw))} for fw in catalog.FRAMEWORKS}

    def sort_key(tag: str) -> tuple[int, int]:
        framework, _, rid = tag.partition(":")
        return list(catalog.FRAMEWORKS).index(framework), order[framework].get(rid, 0)

    return [
        ResourceEntry(
            urn=r.urn,
            type=r.type,
            name=physical_name(r),
            component=component_of(state, r),
            requirements=tuple(sorted(serves.get(r.urn, ()), key=sort_key)),
        )
        for r in state.resources
        if r.custom and not r.type.startswith("pulumi:providers:")
    ]


def _findings(
    gate: GateResult, rules: dict[str, Rule], state: StackState, checkov: CheckovMappingFile
) -> list[FindingEntry]:
    out = []
    for f in gate.findings:
        resource = state.by_urn.get(f.urn)
        if f.rule_id in rules:
            requirements = tuple(rules[f.rule_id].requirements.tags())
        elif f.source == "checkov" and f.rule_id in checkov.checks:
            requirements = tuple(checkov.checks[f.rule_id].tags())
        else:
            requirements = ()
        out.append(
            FindingEntry(
                rule_id=f.rule_id,
                source=f.source,
                severity=f.severity,
                resource=physical_name(resource) if resource else f.urn,
                resource_type=f.resource_type,
                message=f.message,
                status=f.status,
                reason=f.suppressed_reason or "",
                requirements=requirements,
            )
        )
    return out


@dataclass(frozen=True)
class StackFacts:
    stack: str
    project: str
    account: str
    region: str
    classification: str


def stack_facts(state: StackState, stack: str) -> StackFacts:
    view = stack_view(state)
    outputs = state.stack_outputs()
    stack_urn = view.stack_urn
    project = stack_urn.split("::")[1] if stack_urn.count("::") >= 2 else ""
    region = str(outputs.get("region") or "")
    if not region:
        for provider in state.of_type("pulumi:providers:aws"):
            region = str(provider.prop("region") or "")
    return StackFacts(
        stack=stack,
        project=project,
        account=str(view.account_id or outputs.get("accountId") or "unknown"),
        region=region or "unknown",
        classification=view.classification,
    )


def _tool_version() -> str:
    try:
        return version("genomics-landing-zone")
    except PackageNotFoundError:
        return "0+unknown"


def build_matrix(
    state: StackState,
    gate: GateResult,
    rules: list[Rule],
    stack: str,
    evidence: Evidence | None = None,
    generated_at: dt.datetime | None = None,
    attestations: Attestations | None = None,
    scanner: ScannerEvidence | None = None,
    probe_results: dict | None = None,
) -> Matrix:
    """``probe_results``: run_all(state), when the caller ran the probes already (they need no gate result, so
    `glz matrix` runs them while checkov scans)."""
    by_id = {rule.id: rule for rule in rules}
    probe_results = run_all(state) if probe_results is None else probe_results
    checkov = checkov_mapping()
    row_checkov = checkov if checkov_ran(gate) else None
    rows: dict[str, list[Row]] = {}
    for framework, records in load_all().items():
        reqs = catalog.load(framework)
        rows[framework] = [_row(req, records[req.id], probe_results, by_id, gate, row_checkov) for req in reqs]
    if evidence is not None:
        for row in (row for framework_rows in rows.values() for row in framework_rows):
            row.verified = verification_for(row, evidence)
    if scanner is not None:
        known = load_known_findings()
        for row in (row for framework_rows in rows.values() for row in framework_rows):
            row.scanner = scanner_verdict(row, scanner, known)
    facts = stack_facts(state, stack)
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    determine_all([row for framework_rows in rows.values() for row in framework_rows], attestations, when.date())
    blocking = sum(1 for f in gate.findings if f.blocking)
    suppressed = sum(1 for f in gate.findings if f.status == "suppressed")
    state_sha256 = state.sha256()
    info = StackInfo(
        stack=facts.stack,
        project=facts.project,
        account=facts.account,
        region=facts.region,
        classification=facts.classification,
        state_source=state.source,
        state_sha256=state_sha256,
        generated_at=when.isoformat().replace("+00:00", "Z"),
        tool_version=_tool_version(),
        gate_passed=gate.passed,
        gate_summary=(
            f"{'PASSED' if gate.passed else 'FAILED'}: {len(gate.checked)} checks, {blocking} blocking findings, "
            f"{suppressed} suppressed"
        ),
        evidence_source=evidence.source if evidence else None,
        evidence_generated_at=evidence.generated_at if evidence else None,
        evidence_notes=evidence_notes(evidence, state_sha256, when) if evidence else (),
        leveraged=attestations.leveraged if attestations else (),
        scanner=scanner.scanner if scanner else None,
        scanner_source=scanner.source if scanner else None,
        scanner_scanned_at=scanner.scanned_at if scanner else None,
        scanner_notes=scanner_notes(scanner, when) if scanner else (),
    )
    all_rows = [row for framework_rows in rows.values() for row in framework_rows]
    return Matrix(
        info=info,
        rows=rows,
        resources=_resources(state, all_rows, by_id, gate, checkov),
        findings=_findings(gate, by_id, state, checkov),
        sprs=determination.sprs(rows[catalog.R2], attestations),
        config_rules=mapped_config_rules(),
    )


def summary_by_family(matrix: Matrix, framework: str) -> list[dict[str, Any]]:
    """Coverage per family: counts per status and the share the landing zone implements."""
    from controls.model import STATUSES

    out: list[dict[str, Any]] = []
    for family in catalog.families(catalog.load(framework)):
        rows = [r for r in matrix.rows[framework] if r.family_id == family.id]
        counts = {status: sum(1 for r in rows if r.status == status) for status in STATUSES}
        out.append({"family_id": family.id, "family": family.name, "total": len(rows), **counts})
    return out
