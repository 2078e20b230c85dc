"""Gate reports: a readable table, JSON, SARIF 2.1.0 (code-scanning UIs) and JUnit XML (CI test views).

Every report's summary lists the blanket suppressions (suppressions and checkov skips on every resource
of a type), with rule, type and reason, whether or not they matched a finding: they are the entries
that could hide the most, so nobody should have to go looking for them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from glz.finding_fix import Fix, fix_for, resource_name
from glz.gate import CFN_LINT_CHECK, Finding, GateResult
from glz.sarif_locations import FINGERPRINT, finding_location, fingerprint
from policies.framework import Rule
from policies.suppressions import BlanketSuppression

SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _checked_by(result: GateResult, rules: Sequence[Rule]) -> str:
    """What ran, counted as the JSON report counts it: the own rules (all of them, as policy-report.json's
    summary.rules), then checkov's checks that ran and cfn-lint, each named."""
    ran = {rule for rule, _, _ in result.checked}
    checkov = len({r for r in ran if r.startswith("CKV")})
    own = len(rules) if rules else len({r for r in ran if not r.startswith("CKV") and r != CFN_LINT_CHECK})
    parts = [f"{own} rules"]
    if checkov:
        parts.append(f"{checkov} checkov checks")
    if CFN_LINT_CHECK in ran:
        parts.append("cfn-lint")
    return " + ".join(parts)


def _fix_lines(fix: Fix, indent: str) -> list[str]:
    """Under a failed finding: where the fix goes, what to do, what it evidences, or how to suppress it."""
    where = fix.where + (f" (setting {fix.setting})" if fix.setting else "")
    lines = [f"{indent}where: {where}"]
    if fix.remediation:
        lines.append(f"{indent}fix: {fix.remediation}")
    if fix.requirements:
        lines.append(f"{indent}requirements: {', '.join(fix.requirements)}")
    if fix.suppression:
        lines.append(f"{indent}or suppress ({fix.suppression_file}): {fix.suppression}")
    return lines


def table(
    result: GateResult,
    stack: str,
    blanket: Sequence[BlanketSuppression] = (),
    rules: Sequence[Rule] = (),
    project_dir: Path | None = None,
) -> str:
    """The readable report. With ``rules``, every failed finding is followed by its fix (glz.finding_fix): the
    setting's line or the component, the rule's remediation, the requirements, a suppression entry."""
    by_id = {rule.id: rule for rule in rules}
    failed = [f for f in result.findings if f.status == "failed"]
    suppressed = [f for f in result.findings if f.status == "suppressed"]
    lines = []
    if result.findings:
        width = max(len(f.rule_id) for f in result.findings)
        lines.append(f"{'STATUS':<10} {'SEVERITY':<8} {'RULE':<{width}}  RESOURCE: MESSAGE")
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
        for finding in sorted(result.findings, key=lambda f: (f.status, order.get(f.severity, 9), f.rule_id, f.urn)):
            status = finding.status if finding.enforcement == "mandatory" else f"{finding.status}*"
            line = f"{status:<10} {finding.severity:<8} {finding.rule_id:<{width}}  {resource_name(finding.urn)}: {finding.message}"
            indent = f"{'':<10} {'':<8} {'':<{width}}  "
            if finding.suppressed_reason:
                line += f"\n{indent}reason: {finding.suppressed_reason}"
            lines.append(line)
            if rules and finding.status == "failed":
                lines += _fix_lines(fix_for(finding, by_id, f"Pulumi.{stack}.yaml", project_dir), indent)
    for suppression in result.expired:
        lines.append(
            f"expired    -        {suppression.rule}  {suppression.resource}: suppression expired {suppression.expires}"
        )
    for note in result.notes:
        lines.append(f"note: {note}")
    for entry in blanket:
        lines.append(
            f"blanket {'suppression' if entry.source == 'suppressions' else 'checkov skip'}: {entry.describe()}"
        )
    verdict = "PASSED" if result.passed else "FAILED"
    lines.append(
        f"{verdict}: stack '{stack}': {_checked_by(result, rules)}, {len(result.checked)} checks, {len(failed)} failed, "
        f"{len(suppressed)} suppressed, {len(result.expired)} expired suppressions, "
        f"{len(blanket)} blanket suppressions (* = advisory)"
    )
    return "\n".join(lines)


def _finding_json(finding: Finding, fix: Fix | None = None) -> dict[str, Any]:
    return {
        "rule": finding.rule_id,
        "source": finding.source,
        "severity": finding.severity,
        "enforcement": finding.enforcement,
        "status": finding.status,
        "urn": finding.urn,
        "resourceType": finding.resource_type,
        "message": finding.message,
        "reason": finding.suppressed_reason,
        **({"fix": fix.to_json()} if fix is not None else {}),
    }


def to_json(
    result: GateResult,
    stack: str,
    rules: list[Rule],
    blanket: Sequence[BlanketSuppression] = (),
    project_dir: Path | None = None,
) -> dict[str, Any]:
    """The JSON report; a failed finding carries its fix (glz.finding_fix) when ``project_dir`` is given."""
    by_id = {rule.id: rule for rule in rules}

    def fix(finding: Finding) -> Fix | None:
        if project_dir is None or finding.status != "failed":
            return None
        return fix_for(finding, by_id, f"Pulumi.{stack}.yaml", project_dir)

    return {
        "stack": stack,
        "passed": result.passed,
        "summary": {
            "rules": len(rules),
            "checks": len(result.checked),
            "failed": sum(1 for f in result.findings if f.status == "failed"),
            "suppressed": sum(1 for f in result.findings if f.status == "suppressed"),
            "expiredSuppressions": len(result.expired),
            "blanketSuppressions": [entry.to_json() for entry in blanket],
        },
        "findings": [_finding_json(f, fix(f)) for f in result.findings],
        "expiredSuppressions": [
            {"rule": s.rule, "resource": s.resource, "type": s.type, "reason": s.reason, "expires": str(s.expires)}
            for s in result.expired
        ],
        "notes": result.notes,
    }


def _physical_location(urn: str, message: str, stack_file: str, project_dir: Path | None) -> dict[str, Any]:
    uri, line = finding_location(urn, message, stack_file, project_dir)
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line is not None:
        physical["region"] = {"startLine": line}
    return physical


def to_sarif(
    result: GateResult,
    rules: list[Rule],
    stack_file: str,
    version: str,
    blanket: Sequence[BlanketSuppression] = (),
    project_dir: Path | None = None,
) -> dict[str, Any]:
    """SARIF 2.1.0; with ``project_dir``, a finding that names a setting points at the line that sets it."""
    described = {r.id: r for r in rules}
    extra_ids = sorted({f.rule_id for f in result.findings} - set(described))
    driver_rules = [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.description.splitlines()[0] if rule.description else rule.name},
            "fullDescription": {"text": rule.description or rule.name},
            "help": {"text": rule.remediation},
            "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
            "properties": {
                "tags": ["security", *rule.requirements.tags()],
                "security-severity": SECURITY_SEVERITY[rule.severity],
            },
        }
        for rule in rules
    ] + [{"id": rule_id, "shortDescription": {"text": rule_id}} for rule_id in extra_ids]
    index = {entry["id"]: i for i, entry in enumerate(driver_rules)}
    results = []
    for finding in result.findings:
        entry: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": SARIF_LEVEL.get(finding.severity, "warning"),
            "message": {"text": f"{resource_name(finding.urn)}: {finding.message}"},
            "locations": [
                {
                    "physicalLocation": _physical_location(finding.urn, finding.message, stack_file, project_dir),
                    "logicalLocations": [
                        {"fullyQualifiedName": finding.urn, "name": resource_name(finding.urn), "kind": "resource"}
                    ],
                }
            ],
            "partialFingerprints": {FINGERPRINT: fingerprint(finding.rule_id, finding.urn, finding.message)},
            "properties": {"resourceType": finding.resource_type, "source": finding.source},
        }
        if finding.suppressed_reason:
            entry["suppressions"] = [{"kind": "external", "justification": finding.suppressed_reason}]
        results.append(entry)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "glz-policy-gate",
                        "version": version,
                        "informationUri": "https://github.com/genomics-landing-zone",
                        "rules": driver_rules,
                    }
                },
                "results": results,
                "properties": {"blanketSuppressions": [entry.to_json() for entry in blanket]},
            }
        ],
    }


def to_junit(result: GateResult, stack: str, blanket: Sequence[BlanketSuppression] = ()) -> str:
    findings: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in result.findings:
        findings[(finding.rule_id, finding.urn)].append(finding)
    cases: list[tuple[str, str, list[Finding]]] = []
    seen = set()
    for rule_id, subject, _ in result.checked:
        related = [f for (r, _u), fs in findings.items() if r == rule_id for f in fs if f.urn == subject]
        cases.append((rule_id, subject, related))
        seen.add((rule_id, subject))
    for (rule_id, urn), fs in sorted(findings.items()):
        if (rule_id, urn) not in seen:  # stack rules report on many resources under one check
            cases.append((rule_id, urn, fs))
    suite = ET.Element("testsuite", name=f"glz policy gate: {stack}")
    if blanket:
        properties = ET.SubElement(suite, "properties")
        for entry in blanket:
            ET.SubElement(properties, "property", name=f"blanket-{entry.source}", value=entry.describe())
    failures = skipped = 0
    for rule_id, subject, related in cases:
        case = ET.SubElement(suite, "testcase", classname=rule_id, name=resource_name(subject))
        blocking = [f for f in related if f.status == "failed"]
        quiet = [f for f in related if f.status == "suppressed"]
        if blocking:
            failures += 1
            failure = ET.SubElement(case, "failure", message=blocking[0].message, type=blocking[0].severity)
            failure.text = "\n".join(f"{resource_name(f.urn)}: {f.message}" for f in blocking)
        elif quiet:
            skipped += 1
            ET.SubElement(case, "skipped", message=f"suppressed: {quiet[0].suppressed_reason}")
    for suppression in result.expired:
        failures += 1
        case = ET.SubElement(
            suite, "testcase", classname="suppressions", name=f"{suppression.rule} {suppression.resource}"
        )
        ET.SubElement(case, "failure", message=f"suppression expired on {suppression.expires}", type="expired")
    suite.set("tests", str(len(cases) + len(result.expired)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_all(
    result: GateResult,
    rules: list[Rule],
    stack: str,
    out_dir: Path,
    version: str,
    blanket: Sequence[BlanketSuppression] = (),
    project_dir: Path | None = None,
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    sarif = to_sarif(result, rules, f"Pulumi.{stack}.yaml", version, blanket, project_dir)
    paths = {
        "policy-report.txt": table(result, stack, blanket, rules, project_dir) + "\n",
        "policy-report.json": json.dumps(to_json(result, stack, rules, blanket, project_dir), indent=2, sort_keys=True)
        + "\n",
        "policy-report.sarif": json.dumps(sarif, indent=2) + "\n",
        "policy-report.junit.xml": to_junit(result, stack, blanket),
    }
    written = []
    for name, text in paths.items():
        path = out_dir / name
        path.write_text(text)
        written.append(path)
    return written
