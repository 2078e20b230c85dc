"""The policy gate on the demo stack: clean baseline, suppressions, reports, CrossGuard adapters."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

from glz.gate import run_rules
from glz.reports import to_junit, to_sarif
from glz.state import StackState
from policies.rules import ALL_RULES, RULES_BY_ID
from policies.suppressions import SuppressionError, parse
from tests.conftest import ROOT
from tests.mutations import apply, set_input

KEY = "aws:kms/key:Key"


def gate(document, suppressions=()):
    return run_rules(StackState(document), ALL_RULES, list(suppressions), today=dt.date(2026, 11, 23))


def test_demo_stack_passes_every_rule(demo_state_document):
    result = gate(demo_state_document)
    assert [f for f in result.findings if f.status == "failed"] == []
    assert result.passed
    checked_rules = {rule for rule, _, _ in result.checked}
    assert checked_rules == {r.id for r in ALL_RULES}


def test_rules_are_complete_descriptions():
    for rule in ALL_RULES:
        assert rule.id.startswith("GLZ-") and rule.description and rule.remediation, rule.id
        assert rule.requirements.r2 or rule.requirements.hipaa, f"{rule.id} evidences nothing"


def rotation_off(document):
    return apply(document, set_input(KEY, "keys-data", ["enableKeyRotation"], False))


def suppression(
    rule="GLZ-KMS-001",
    resource="keys-data",
    reason="Rotation is handled by an external HSM process.",
    expires="2027-06-30",
):
    entry = {"rule": rule, "resource": resource, "reason": reason, "expires": expires}
    return parse([entry], set(RULES_BY_ID), today=dt.date(2026, 11, 23))


def test_suppressed_finding_is_reported_with_reason_and_does_not_fail(demo_state_document):
    result = gate(rotation_off(demo_state_document), suppression())
    (finding,) = [f for f in result.findings if f.rule_id == "GLZ-KMS-001"]
    assert finding.status == "suppressed"
    assert finding.suppressed_reason == "Rotation is handled by an external HSM process."
    assert result.passed


def test_expired_suppression_fails_the_gate(demo_state_document):
    result = gate(rotation_off(demo_state_document), suppression(expires="2026-01-01"))
    assert not result.passed
    assert result.expired
    assert any(f.rule_id == "GLZ-KMS-001" and f.status == "failed" for f in result.findings)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"rule": "GLZ-NOPE-1", "resource": "*", "reason": "A perfectly good reason for this."}, "unknown rule id"),
        ({"rule": "GLZ-KMS-001", "resource": "*", "reason": "ok"}, "full sentence"),
        ({"rule": "GLZ-KMS-001", "resource": "*"}, "full sentence"),
        ({"rule": "GLZ-KMS-001", "reason": "A perfectly good reason for this."}, "resource"),
        (
            {"rule": "GLZ-KMS-001", "resource": "*", "reason": "A perfectly good reason for this.", "expires": "soon"},
            "date",
        ),
        (
            {"rule": "GLZ-KMS-001", "resource": "*", "reason": "A perfectly good reason for this.", "owner": "me"},
            "unknown key",
        ),
    ],
)
def test_bad_suppressions_are_errors(entry, message):
    with pytest.raises(SuppressionError, match=message):
        parse([entry], set(RULES_BY_ID))


def test_sarif_report_structure(demo_state_document):
    result = gate(rotation_off(demo_state_document), suppression(resource="nothing-matches"))
    sarif = to_sarif(result, ALL_RULES, "Pulumi.demo.yaml", "0.1.0")
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    (finding,) = [r for r in run["results"] if r["ruleId"] == "GLZ-KMS-001"]
    assert finding["level"] == "error"
    assert run["tool"]["driver"]["rules"][finding["ruleIndex"]]["id"] == "GLZ-KMS-001"
    assert finding["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith("::keys-data")


def test_junit_report_counts(demo_state_document):
    result = gate(rotation_off(demo_state_document))
    root = ET.fromstring(to_junit(result, "demo"))
    suite = root.find("testsuite")
    assert int(suite.get("failures")) == 1
    assert int(suite.get("tests")) == len(result.checked)
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed[0].get("classname") == "GLZ-KMS-001"


def test_check_cli_on_a_state_file_exit_codes(demo_state_document, tmp_path):
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(demo_state_document))
    weak = tmp_path / "weak.json"
    weak.write_text(json.dumps(rotation_off(demo_state_document)))

    def check(path):
        return subprocess.run(
            [sys.executable, "-m", "glz.cli", "check", "--state", str(path), "--out", str(tmp_path / "out")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )

    ok = check(clean)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for name in ("policy-report.txt", "policy-report.json", "policy-report.sarif", "policy-report.junit.xml"):
        assert (tmp_path / "out" / name).exists()
    bad = check(weak)
    assert bad.returncode == 1
    assert "GLZ-KMS-001" in bad.stdout
    report = json.loads((tmp_path / "out" / "policy-report.json").read_text())
    assert report["passed"] is False
    missing = check(tmp_path / "missing.json")
    assert missing.returncode == 2 and "file not found" in missing.stderr
    (tmp_path / "junk.json").write_text("{}")
    junk = check(tmp_path / "junk.json")
    assert junk.returncode == 2 and "not a stack state" in junk.stderr


def test_crossguard_resource_policy_reports_the_same_violation():
    from pulumi_policy import PolicyResourceOptions, ResourceValidationArgs

    from policies.crossguard import build_policies

    (policy,) = build_policies([RULES_BY_ID["GLZ-KMS-001"]])
    reported = []
    options = PolicyResourceOptions(False, [], None, [], None, [])
    args = ResourceValidationArgs(
        KEY, {"enableKeyRotation": False}, "urn:pulumi:s::p::aws:kms/key:Key::k", "k", options, None
    )
    policy.validate(args, lambda message, urn=None: reported.append(message))
    assert reported == ["GLZ-KMS-001: key rotation is off"]
    good = ResourceValidationArgs(
        KEY, {"enableKeyRotation": True, "rotationPeriodInDays": 365}, "urn:x", "k", options, None
    )
    reported.clear()
    policy.validate(good, lambda message, urn=None: reported.append(message))
    assert reported == []


def test_crossguard_stack_policy_joins_split_bucket_resources():
    from pulumi_policy import PolicyResource, PolicyResourceOptions, StackValidationArgs

    from policies.crossguard import build_policies

    (policy,) = build_policies([RULES_BY_ID["GLZ-S3-002"]])
    options = PolicyResourceOptions(False, [], None, [], None, [])
    bucket = PolicyResource("aws:s3/bucket:Bucket", {"bucket": "b1"}, "urn:b1", "b1", options, None, None, [], {})
    suspended = PolicyResource(
        "aws:s3/bucketVersioning:BucketVersioning",
        {"versioningConfiguration": {"status": "Suspended"}},
        "urn:v1",
        "v1",
        options,
        None,
        None,
        [bucket],
        {"bucket": [bucket]},
    )
    reported = []
    policy.validate(StackValidationArgs([bucket, suspended]), lambda message, urn=None: reported.append((message, urn)))
    assert reported == [("GLZ-S3-002: bucket b1: versioning is Suspended", "urn:b1")]


def _acc_009_failures(document):
    return [f.message for f in gate(document).findings if f.rule_id == "GLZ-ACC-009" and f.status == "failed"]


def test_inspector_is_required_only_where_the_stack_runs_batch_compute(demo_state_document):
    from tests.mutations import remove

    inspector = "aws:inspector2/enabler:Enabler"
    compute = "aws:batch/computeEnvironment:ComputeEnvironment"
    assert _acc_009_failures(demo_state_document) == []
    assert _acc_009_failures(apply(demo_state_document, remove(inspector))) == [
        "Amazon Inspector is not part of the stack, but it runs Batch compute"
    ]
    assert _acc_009_failures(apply(demo_state_document, remove(inspector), remove(compute))) == []
    lambda_only = set_input(inspector, "security-inspector", ["resourceTypes"], ["LAMBDA"])
    assert _acc_009_failures(apply(demo_state_document, lambda_only)) == [
        "Amazon Inspector does not scan EC2, ECR for the stack's account"
    ]


def test_crossguard_stack_policy_checks_inspector_coverage():
    from pulumi_policy import PolicyResource, PolicyResourceOptions, StackValidationArgs

    from policies.crossguard import build_policies

    (policy,) = build_policies([RULES_BY_ID["GLZ-ACC-009"]])
    options = PolicyResourceOptions(False, [], None, [], None, [])

    def resource(typ, props, urn):
        return PolicyResource(typ, props, urn, urn, options, None, None, [], {})

    provider = resource("pulumi:providers:aws", {"allowedAccountIds": '["111122223333"]'}, "urn:provider")
    compute = resource("aws:batch/computeEnvironment:ComputeEnvironment", {"name": "ce"}, "urn:ce")
    enabler = resource(
        "aws:inspector2/enabler:Enabler", {"accountIds": ["111122223333"], "resourceTypes": ["EC2"]}, "urn:inspector"
    )
    reported = []
    policy.validate(
        StackValidationArgs([provider, compute, enabler]), lambda message, urn=None: reported.append((message, urn))
    )
    assert reported == [("GLZ-ACC-009: Amazon Inspector does not scan ECR for the stack's account", "urn:inspector")]
    other = resource(
        "aws:inspector2/enabler:Enabler", {"accountIds": ["999999999999"], "resourceTypes": ["EC2", "ECR"]}, "urn:o"
    )
    reported.clear()
    policy.validate(
        StackValidationArgs([provider, compute, other]), lambda message, urn=None: reported.append((message, urn))
    )
    assert (
        "GLZ-ACC-009: Inspector enabler names accounts ['999999999999'], not the stack's 111122223333",
        "urn:o",
    ) in (reported)


def test_check_cli_runs_checkov_and_fails_on_its_findings(demo_state_document, tmp_path):
    """An unencrypted bucket fails both the project's rule and checkov's, in one gate run."""
    from tests.mutations import remove

    weak = tmp_path / "unencrypted.json"
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    weak.write_text(json.dumps(apply(demo_state_document, remove(sse, "data-variants-encryption"))))
    result = subprocess.run(
        [sys.executable, "-m", "glz.cli", "check", "--state", str(weak), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((tmp_path / "out" / "policy-report.json").read_text())
    failed = {(f["source"], f["rule"]) for f in report["findings"] if f["status"] == "failed"}
    assert ("glz", "GLZ-S3-001") in failed
    assert any(source == "checkov" for source, _ in failed), failed
    assert (tmp_path / "out" / "plan.json").exists()


def test_docs_rules_table_is_current():
    from glz.cli import rules_markdown

    text = (ROOT / "docs" / "policy-gate.md").read_text()
    table = text.split("<!-- rules:start -->\n", 1)[1].split("\n<!-- rules:end -->", 1)[0]
    assert table.strip() == rules_markdown().strip(), "regenerate with `glz rules --markdown`"


def test_gate_lints_the_deployed_conformance_pack(demo_state_document):
    """`glz check` runs cfn-lint on the pack the stack deploys: clean on the demo, blocking when broken."""
    import copy

    import yaml

    from glz.gate import CFN_LINT_CHECK, CONFORMANCE_PACK_TYPE, add_cfn_lint
    from tests.mutations import find

    clean = run_rules(StackState(demo_state_document), [], [])
    add_cfn_lint(clean, StackState(demo_state_document))
    assert [c for c in clean.checked if c[0] == CFN_LINT_CHECK and c[2]], "the demo pack was not linted"
    assert clean.passed and not clean.findings

    broken = copy.deepcopy(demo_state_document)
    pack = find(broken, CONFORMANCE_PACK_TYPE)[0]
    template = yaml.safe_load(pack["inputs"]["templateBody"])
    first_rule = next(iter(template["Resources"].values()))
    first_rule["Properties"]["EvaluationCadence"] = "hourly"  # not a ConfigRule property
    for section in ("inputs", "outputs"):
        if "templateBody" in pack.get(section, {}):
            pack[section]["templateBody"] = yaml.safe_dump(template, sort_keys=False)
    result = run_rules(StackState(broken), [], [])
    add_cfn_lint(result, StackState(broken))
    assert not result.passed
    [finding] = result.findings
    assert finding.source == "cfn-lint" and finding.blocking
    assert "E3002" in finding.message and "EvaluationCadence" in finding.message


def test_sarif_results_point_at_the_component_that_builds_the_resource(demo_state_document):
    """A finding on a key points at the line registering EncryptionKeys; the same finding keeps its fingerprint
    from run to run, and different findings differ."""
    from glz.sarif_locations import component_sources

    result = gate(rotation_off(demo_state_document))
    first = to_sarif(result, ALL_RULES, "Pulumi.demo.yaml", "0.1.0")["runs"][0]["results"]
    again = to_sarif(gate(rotation_off(demo_state_document)), ALL_RULES, "Pulumi.demo.yaml", "0.1.0")["runs"][0]
    (finding,) = [r for r in first if r["ruleId"] == "GLZ-KMS-001"]
    physical = finding["locations"][0]["physicalLocation"]
    path, line = component_sources()["glz:security:EncryptionKeys"]
    assert physical == {"artifactLocation": {"uri": path}, "region": {"startLine": line}}
    assert 'super().__init__("glz:security:EncryptionKeys"' in (ROOT / path).read_text().splitlines()[line - 1]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in again["results"]]


def test_sarif_results_outside_components_point_at_the_stack_file(demo_state_document):
    document = json.loads(json.dumps(demo_state_document))
    document["deployment"]["resources"] = [
        r for r in document["deployment"]["resources"] if r["type"] != "aws:cloudtrail/trail:Trail"
    ]
    run = to_sarif(gate(document), ALL_RULES, "Pulumi.demo.yaml", "0.1.0")["runs"][0]
    (missing,) = [r for r in run["results"] if r["ruleId"] == "GLZ-LOG-001"]
    assert missing["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "Pulumi.demo.yaml"}}
    fingerprints = [r["partialFingerprints"]["glzFinding/v1"] for r in run["results"]]
    assert len(fingerprints) == len(set(fingerprints))


def _stack_output(document: dict, key: str, value) -> dict:
    changed = json.loads(json.dumps(document))
    stack = next(r for r in changed["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack")
    if value is None:
        stack["outputs"].pop(key, None)
    else:
        stack["outputs"][key] = value
    return changed


def test_sarif_findings_that_name_a_setting_point_at_the_line_that_sets_it(demo_state_document, tmp_path):
    """A finding naming a setting ("backups.enabled is false") points at that setting's line in the stack file when
    the stack sets it, else at its default in Pulumi.yaml; a finding naming none keeps the component's line."""
    document = _stack_output(demo_state_document, "backups", None)  # backups switched off
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    stack_lines = (ROOT / "Pulumi.demo.yaml").read_text().splitlines()
    (project / "Pulumi.demo.yaml").write_text("\n".join(stack_lines) + "\n")
    run = to_sarif(gate(document), ALL_RULES, "Pulumi.demo.yaml", "0.1.0", project_dir=project)["runs"][0]
    (finding,) = [r for r in run["results"] if r["ruleId"] == "GLZ-BAK-001"]
    default_line = next(
        i for i, line in enumerate((ROOT / "Pulumi.yaml").read_text().splitlines(), 1) if line == "  backups:"
    )
    assert finding["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "Pulumi.yaml"},
        "region": {"startLine": default_line},
    }
    # the stack sets it: its own line there, the nested key's
    (project / "Pulumi.demo.yaml").write_text(
        "\n".join([*stack_lines, "  genomics-landing-zone:backups:", "    tiers: [bcl]", "    enabled: false"]) + "\n"
    )
    run = to_sarif(gate(document), ALL_RULES, "Pulumi.demo.yaml", "0.1.0", project_dir=project)["runs"][0]
    (finding,) = [r for r in run["results"] if r["ruleId"] == "GLZ-BAK-001"]
    assert finding["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "Pulumi.demo.yaml"},
        "region": {"startLine": len(stack_lines) + 3},
    }
    # without the project (or for a finding naming no setting) the component or the stack file, as before
    run = to_sarif(gate(rotation_off(demo_state_document)), ALL_RULES, "Pulumi.demo.yaml", "0.1.0", project_dir=project)
    (key,) = [r for r in run["runs"][0]["results"] if r["ruleId"] == "GLZ-KMS-001"]
    assert key["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "components/encryption_keys.py"


def test_a_service_switched_off_points_at_its_setting_line(demo_state_document, tmp_path):
    """securityServices.guardDuty: false in the stack file: the GuardDuty finding names the setting, and the SARIF
    result points at the line that turned it off."""
    document = copy.deepcopy(demo_state_document)
    document["deployment"]["resources"] = [
        r
        for r in document["deployment"]["resources"]
        if not r["type"].startswith(("aws:guardduty/detector:", "aws:guardduty/detectorFeature:"))
    ]
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    lines = (ROOT / "Pulumi.demo.yaml").read_text().splitlines()
    lines += ["  genomics-landing-zone:securityServices:", "    guardDuty: false"]
    (project / "Pulumi.demo.yaml").write_text("\n".join(lines) + "\n")
    result = gate(document)
    (finding,) = [f for f in result.findings if f.rule_id == "GLZ-ACC-003"]
    assert "securityServices.guardDuty: true creates it" in finding.message
    run = to_sarif(result, ALL_RULES, "Pulumi.demo.yaml", "0.1.0", project_dir=project)["runs"][0]
    (located,) = [r for r in run["results"] if r["ruleId"] == "GLZ-ACC-003"]
    assert located["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "Pulumi.demo.yaml"},
        "region": {"startLine": len(lines)},
    }
