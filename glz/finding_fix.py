"""What a failed finding asks of whoever reads it (issue 18): where the fix goes (the setting's line in
`Pulumi.<stack>.yaml`, its default in `Pulumi.yaml`, or the component that builds the resource), what to do (the
rule's remediation), which requirements the rule evidences, and the entry that would suppress it instead, with the
fields the suppression file demands (a reason in the reader's own words and an expiry date)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from glz.gate import CFN_LINT_CHECK, Finding
from glz.sarif_locations import config_keys, finding_location, setting_named
from policies.framework import Rule

SUPPRESSION_DAYS = 90  # the snippet's expiry: a quarter, well inside the suppression file's one-year limit
# refused by the suppression file's checks (TODO) until someone writes the real reason: a pasted snippet suppresses
# nothing by itself
REASON_PLACEHOLDER = "TODO: in a sentence of your own, why this finding is accepted and until when."


@dataclass(frozen=True)
class Fix:
    file: str
    line: int | None
    setting: str | None  # the key path the finding names ("egress", "securityServices.guardDuty"), if any
    remediation: str | None
    requirements: tuple[str, ...]  # "r2 3.13.1", "r3 03.13.01", "HIPAA 164.312(e)(1)"
    suppression: str | None  # one YAML line for the file below, or None where nothing may suppress it
    suppression_file: str | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "setting": self.setting,
            "remediation": self.remediation,
            "requirements": list(self.requirements),
            "suppressionFile": self.suppression_file,
            "suppression": self.suppression,
        }


def resource_name(urn: str) -> str:
    """The resource's own name, the last part of its URN (what reports show and suppressions match)."""
    return urn.rsplit("::", 1)[-1]


def _requirements(rule: Rule | None) -> tuple[str, ...]:
    if rule is None:
        return ()
    found = rule.requirements
    return (
        *(f"r2 {i}" for i in found.r2),
        *(f"r3 {i}" for i in found.r3),
        *(f"HIPAA {i}" for i in found.hipaa),
    )


def _suppression(finding: Finding, expires: dt.date) -> tuple[str | None, str | None]:
    """(file, one-line YAML entry) that would suppress the finding; cfn-lint problems are never suppressed."""
    reason = json.dumps(REASON_PLACEHOLDER)
    name = json.dumps(resource_name(finding.urn))
    if finding.source == "cfn-lint" or finding.rule_id == CFN_LINT_CHECK:
        return None, None
    if finding.source == "checkov":
        return (
            "policies/checkov-skips.yaml",
            f"{finding.rule_id}: {{reason: {reason}, expires: {expires.isoformat()}, resources: [{name}]}}",
        )
    return (
        "policies/suppressions.yaml",
        f"- {{rule: {finding.rule_id}, resource: {name}, reason: {reason}, expires: {expires.isoformat()}}}",
    )


def fix_for(
    finding: Finding,
    rules: dict[str, Rule],
    stack_file: str,
    project_dir: Path | None,
    today: dt.date | None = None,
) -> Fix:
    rule = rules.get(finding.rule_id)
    file, line = finding_location(finding.urn, finding.message, stack_file, project_dir)
    setting = None
    if project_dir is not None and (project_dir / "Pulumi.yaml").is_file():
        path = setting_named(finding.message, config_keys(project_dir / "Pulumi.yaml"))
        setting = ".".join(path) if path else None
    suppression_file, suppression = _suppression(finding, (today or dt.date.today()) + dt.timedelta(SUPPRESSION_DAYS))
    return Fix(
        file=file,
        line=line,
        setting=setting,
        remediation=rule.remediation if rule else None,
        requirements=_requirements(rule),
        suppression=suppression,
        suppression_file=suppression_file,
    )
