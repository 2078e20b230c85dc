"""A failed finding names its fix (issue 18): where it goes (the setting's line, or the component), what to do, the
requirements it evidences, and a suppression entry that the suppression file refuses until a real reason replaces
the placeholder, then accepts, covering exactly that finding."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from glz.checkov_runner import load_skips
from glz.errors import UserInputError
from glz.finding_fix import REASON_PLACEHOLDER, fix_for
from glz.gate import Finding, GateResult
from glz.reports import table, to_json
from policies import suppressions
from policies.rules import RULES_BY_ID
from tests.conftest import ROOT

TODAY = dt.date(2026, 12, 5)
STACK_URN = "urn:pulumi:demo::genomics-landing-zone::pulumi:pulumi:Stack::genomics-landing-zone-demo"
BUCKET_URN = (
    "urn:pulumi:demo::genomics-landing-zone::glz:data:GenomicsDataLake$glz:data:SecureBucket$aws:s3/bucket:Bucket"
    "::glz-demo-fastq"
)
REAL_REASON = "The sequencing core accepts this until the new intake bucket replaces it in the spring."


def _guardduty_missing() -> Finding:
    message = (
        "GuardDuty is not part of the stack (securityServices.guardDuty: true creates it; "
        "accountServices.guardDuty: organization declares it run by the organization)"
    )
    rule = RULES_BY_ID["GLZ-ACC-003"]
    return Finding(rule.id, rule.severity, STACK_URN, "pulumi:pulumi:Stack", message)


def test_a_finding_naming_a_setting_points_at_its_line_and_names_rule_and_requirements():
    fix = fix_for(_guardduty_missing(), RULES_BY_ID, "Pulumi.demo.yaml", ROOT, TODAY)
    assert fix.setting == "securityServices.guardDuty"
    lines = (ROOT / fix.file).read_text().splitlines()
    assert fix.line is not None and "securityServices" in lines[fix.line - 1]
    rule = RULES_BY_ID["GLZ-ACC-003"]
    assert fix.remediation == rule.remediation
    assert fix.requirements and all(any(i in r for r in fix.requirements) for i in rule.requirements.r2)


def test_a_finding_on_a_component_resource_points_at_the_component():
    rule = RULES_BY_ID["GLZ-S3-001"]
    finding = Finding(rule.id, rule.severity, BUCKET_URN, "aws:s3/bucket:Bucket", "bucket is not encrypted")
    fix = fix_for(finding, RULES_BY_ID, "Pulumi.demo.yaml", ROOT, TODAY)
    assert fix.file.startswith("components/") and fix.line and fix.setting is None


def _suppressions_file(tmp_path, entry_line: str):
    path = tmp_path / "suppressions.yaml"
    path.write_text("suppressions:\n  " + entry_line + "\n")
    return path


def test_the_suppression_snippet_is_refused_until_a_reason_is_written_then_covers_the_finding(tmp_path):
    finding = _guardduty_missing()
    fix = fix_for(finding, RULES_BY_ID, "Pulumi.demo.yaml", ROOT, TODAY)
    assert fix.suppression_file == "policies/suppressions.yaml"
    with pytest.raises(UserInputError, match="reason"):
        suppressions.load(_suppressions_file(tmp_path, fix.suppression), set(RULES_BY_ID), TODAY)
    written = fix.suppression.replace(REASON_PLACEHOLDER, REAL_REASON)
    (entry,) = suppressions.load(_suppressions_file(tmp_path, written), set(RULES_BY_ID), TODAY)
    assert entry.matches(finding.rule_id, finding.urn)
    assert not entry.matches(finding.rule_id, BUCKET_URN) and not entry.matches("GLZ-ACC-001", finding.urn)
    assert entry.expires == TODAY + dt.timedelta(days=90)


def test_a_checkov_finding_gets_a_skip_entry_that_needs_a_reason_too(tmp_path):
    finding = Finding("CKV_AWS_18", "high", BUCKET_URN, "aws:s3/bucket:Bucket", "access logging", source="checkov")
    fix = fix_for(finding, RULES_BY_ID, "Pulumi.demo.yaml", ROOT, TODAY)
    assert fix.suppression_file == "policies/checkov-skips.yaml" and fix.requirements == ()
    path = tmp_path / "skips.yaml"
    path.write_text(fix.suppression + "\n")
    with pytest.raises(UserInputError, match="reason"):
        load_skips(path, TODAY)
    path.write_text(fix.suppression.replace(REASON_PLACEHOLDER, REAL_REASON) + "\n")
    skip = load_skips(path, TODAY)["CKV_AWS_18"]
    assert skip.covers("aws_s3_bucket.glz_demo_fastq", BUCKET_URN)
    assert not skip.covers("aws_s3_bucket.other", BUCKET_URN.replace("glz-demo-fastq", "glz-demo-bcl"))


def test_a_cfn_lint_problem_offers_no_suppression():
    finding = Finding("CFN-LINT", "high", STACK_URN, "aws:cfg/conformancePack:ConformancePack", "E3001", "cfn-lint")
    fix = fix_for(finding, RULES_BY_ID, "Pulumi.demo.yaml", ROOT, TODAY)
    assert fix.suppression is None and fix.suppression_file is None


def test_the_text_and_json_reports_carry_the_fix_of_failed_findings_only():
    failed = _guardduty_missing()
    quiet = Finding("GLZ-S3-001", "high", BUCKET_URN, "aws:s3/bucket:Bucket", "x", suppressed_reason="accepted")
    result = GateResult(findings=[failed, quiet], checked=[("GLZ-ACC-003", STACK_URN, False)])
    text = table(result, "demo", (), list(RULES_BY_ID.values()), ROOT)
    assert "where: Pulumi.yaml:" in text or "where: Pulumi.demo.yaml:" in text
    assert "(setting securityServices.guardDuty)" in text
    assert f"fix: {RULES_BY_ID['GLZ-ACC-003'].remediation}" in text
    assert "requirements: r2 " in text and "or suppress (policies/suppressions.yaml): - {rule: GLZ-ACC-003" in text
    assert text.count("where: ") == 1  # the suppressed finding shows its reason, not a fix
    document = to_json(result, "demo", list(RULES_BY_ID.values()), (), ROOT)
    fixes = [f.get("fix") for f in document["findings"]]
    assert fixes[0]["setting"] == "securityServices.guardDuty" and fixes[0]["line"] and fixes[1] is None
    assert yaml.safe_load(fixes[0]["suppression"])[0]["rule"] == "GLZ-ACC-003"
    assert "where: " not in table(result, "demo")  # without the rules, the table is as before


def test_a_governance_audit_lock_points_at_the_setting_that_chose_it():
    """Issue 18: `auditObjectLockMode: GOVERNANCE` (allowed below phi) is a finding whose fix is that setting's line,
    not the component's source."""
    from glz.gate import run_rules
    from tests.harness import make_settings
    from tests.test_audit_trail import build

    settings = make_settings(
        classification="public", auditObjectLockMode="GOVERNANCE", auditObjectLockDays=400, auditLogRetentionDays=400
    )
    state, _ = build(settings)
    result = run_rules(state, [RULES_BY_ID["GLZ-LOG-006"]], [], TODAY)
    (finding,) = [f for f in result.findings if "GOVERNANCE mode" in f.message]
    fix = fix_for(finding, RULES_BY_ID, "Pulumi.demo.yaml", ROOT, TODAY)
    assert fix.setting == "auditObjectLockMode"
    assert fix.file in ("Pulumi.demo.yaml", "Pulumi.yaml") and fix.line
    assert "auditObjectLockMode" in (ROOT / fix.file).read_text().splitlines()[fix.line - 1]
