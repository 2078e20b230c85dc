"""Suppressions and checkov skips that cannot switch the gate off: expiry, wildcards, reasons."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from glz.checkov_runner import DEFAULT_SKIP_FILE, find_checkov, load_skips
from glz.cli import main
from glz.errors import UserInputError
from glz.gate import run_rules
from glz.reports import table, to_json, to_junit, to_sarif
from glz.state import StackState
from policies.rules import ALL_RULES, RULES_BY_ID
from policies.suppressions import SuppressionError, load, max_expiry, parse, reason_problem
from tests.conftest import ROOT
from tests.mutations import apply, set_input

TODAY = dt.date(2026, 12, 4)
REASON = "The data key holds imported key material, which AWS cannot rotate; it is rotated by hand each year."
OTHER_REASON = "Keys of the scratch tier hold only regenerable intermediates, and they are destroyed after each run."


def entry(**fields):
    suppression = {"rule": "GLZ-KMS-001", "resource": "keys-data", "reason": REASON, "expires": "2027-06-30"}
    suppression.update(fields)
    return {k: v for k, v in suppression.items() if v is not None}


def parse_one(today=TODAY, **fields):
    return parse([entry(**fields)], set(RULES_BY_ID), today=today)


def problem(**fields) -> str:
    with pytest.raises(SuppressionError) as error:
        parse_one(**fields)
    return str(error.value)


# --- expires ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("<missing>", "suppressions[0].expires = None: required, a date (YYYY-MM-DD) no later than 2027-12-04"),
        ("soon", "suppressions[0].expires = 'soon': not a date"),
        ("2027-02-30", "suppressions[0].expires = '2027-02-30': not a real date"),
        ("20270630", "suppressions[0].expires = '20270630': not a date"),
        (dt.date(2027, 12, 5), "suppressions[0].expires = datetime.date(2027, 12, 5): more than one year ahead"),
        ("2099-01-01", "suppressions[0].expires = '2099-01-01': more than one year ahead"),
        (dt.datetime(2027, 1, 1, 12, 0), "a timestamp; a date (YYYY-MM-DD)"),
        (20270630, "not a date"),
    ],
)
def test_expires_is_required_real_and_at_most_a_year_ahead(expires, message):
    fields = {"expires": None} if expires == "<missing>" else {"expires": expires}
    assert message in problem(**fields)


def test_expiry_boundaries():
    assert parse_one(expires="2027-12-04")[0].expires == dt.date(2027, 12, 4)  # exactly one year
    assert parse_one(expires=dt.date(2027, 1, 31))[0].expires == dt.date(2027, 1, 31)  # YAML's own dates
    assert max_expiry(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


def test_a_past_expiry_loads_and_fails_the_gate(demo_state_document):
    (old,) = parse_one(expires="2026-01-01")
    assert old.expired(TODAY)
    weakened = apply(demo_state_document, set_input("aws:kms/key:Key", "keys-data", ["enableKeyRotation"], False))
    result = run_rules(StackState(weakened), ALL_RULES, [old], today=TODAY)
    assert result.expired == [old] and not result.passed
    assert any(f.rule_id == "GLZ-KMS-001" and f.status == "failed" for f in result.findings)


# --- wildcards need a type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    ["*", "**", "?*", "urn:*", "urn:pulumi:*", "*::*", "urn:pulumi:prod::*", "urn:pulumi:prod*", "*-*", "[u]*"],
)
def test_a_pattern_matching_every_resource_needs_a_type(pattern):
    message = problem(resource=pattern)
    assert f"suppressions[0].resource = {pattern!r}: matches every resource; allowed only together with `type:`" in (
        message
    )
    (typed,) = parse_one(resource=pattern, type="aws:kms/key:Key")
    assert typed.blanket and typed.type == "aws:kms/key:Key"


@pytest.mark.parametrize(
    "pattern", ["keys-data", "keys-*", "*data*", "urn:pulumi:*::*::aws:kms/key:Key::*", "*::keys-*", "*Key*"]
)
def test_a_pattern_naming_part_of_a_resource_is_not_a_blanket(pattern):
    (suppression,) = parse_one(resource=pattern)
    assert not suppression.blanket


@pytest.mark.parametrize("typ", ["Bucket", "aws:s3/*:Bucket", "aws:s3/bucket:*", 3, ""])
def test_type_is_a_pulumi_type_token(typ):
    assert f"suppressions[0].type = {typ!r}: allowed: a Pulumi resource type such as aws:s3/bucket:Bucket" in problem(
        type=typ
    )


def test_the_type_restricts_what_a_suppression_covers(demo_state_document):
    weakened = apply(demo_state_document, set_input("aws:kms/key:Key", "keys-data", ["enableKeyRotation"], False))
    state = StackState(weakened)

    def status(suppression):
        result = run_rules(state, ALL_RULES, suppression, today=TODAY)
        return [f.status for f in result.findings if f.rule_id == "GLZ-KMS-001"]

    assert status(parse_one(resource="*", type="aws:s3/bucket:Bucket")) == ["failed"]
    assert status(parse_one(resource="*", type="aws:kms/key:Key")) == ["suppressed"]
    assert status(parse_one(resource="keys-data", type="aws:s3/bucket:Bucket")) == ["failed"]
    stack_level = parse_one(rule="GLZ-KMS-001", resource="*", type="pulumi:pulumi:Stack")
    assert stack_level[0].matches("GLZ-KMS-001", "urn:pulumi:p::genomics-landing-zone::pulumi:pulumi:Stack::x")


# --- reasons ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        (None, "required, a string"),
        ("n/a", "3 characters, fewer than 40"),
        ("Not applicable.", "fewer than 40"),
        ("False positive, accepted risk, temporary, see ticket SEC-1234.", "words once filler"),
        ("Accepted risk, see ticket SEC-1234 for the details of this decision.", "only 7 words once filler"),
        ("TODO: explain why the data key may keep its key material for longer.", "holds a placeholder (TODO)"),
        ("Rotation is handled elsewhere, TBD which team owns the key material.", "holds a placeholder (TBD)"),
        ("the data key holds imported key material, which AWS cannot rotate.", "does not start with a capital"),
        ("The data key holds imported key material, which AWS cannot rotate", "does not end with a period"),
        ("Imported-key-material-that-AWS-cannot-rotate-by-itself-here.", "1 words, fewer than 8"),
        ("Key key key key key key key key key key key key key key.", "fewer than 6 different words"),
        ("The reason is in https://wiki.example.com/security/decisions/kms-1234 now.", "words once filler"),
    ],
)
def test_a_reason_must_be_a_real_sentence(reason, why):
    message = problem(reason=reason)
    assert f"suppressions[0].reason = {reason!r}: " in message and why in message
    assert "a reason is a full sentence of at least 8 words and 40 characters" in message


def test_filler_inside_a_real_explanation_is_fine():
    reason = "This is a false positive: the bucket policy denies every principal outside the account."
    assert reason_problem(reason) is None
    assert parse_one(reason=reason)[0].reason == reason


def test_one_reason_copied_to_another_rule_is_refused():
    entries = [entry(), entry(rule="GLZ-KMS-002"), entry(resource="keys-logs")]
    with pytest.raises(SuppressionError) as error:
        parse(entries, set(RULES_BY_ID), today=TODAY)
    assert str(error.value) == (
        "suppressions[1].reason: the same reason as suppressions[0] (rule GLZ-KMS-001); each rule needs a reason "
        "of its own"
    )  # the same rule on another resource (entry 2) may repeat its reason
    entries[1]["reason"] = OTHER_REASON
    assert len(parse(entries, set(RULES_BY_ID), today=TODAY)) == 3


# --- the file: all errors at once, naming the file ------------------------------------------------


def test_every_problem_of_the_file_is_reported_at_once(tmp_path):
    path = tmp_path / "suppressions.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "suppressions": [
                    {"rule": "GLZ-NOPE-1", "resource": "*", "reason": "n/a", "owner": "me"},
                    entry(expires="2030-01-01"),
                    "GLZ-KMS-001",
                ]
            }
        )
    )
    with pytest.raises(SuppressionError) as error:
        load(path, set(RULES_BY_ID), today=TODAY)
    lines = str(error.value).splitlines()
    prefix = f"{path}: suppressions"
    assert lines == [
        f"{prefix}[0]: unknown key(s) ['owner']; allowed: rule, resource, type, reason, expires",
        f"{prefix}[0].rule = 'GLZ-NOPE-1': unknown rule id; allowed: an id `glz rules` lists",
        f"{prefix}[0].resource = '*': matches every resource; allowed only together with `type:` (a Pulumi resource "
        "type such as aws:s3/bucket:Bucket) that restricts it",
        lines[3],
        f"{prefix}[0].expires = None: required, a date (YYYY-MM-DD) no later than 2027-12-04, one year from today",
        f"{prefix}[1].expires = '2030-01-01': more than one year ahead; a date (YYYY-MM-DD) no later than "
        "2027-12-04, one year from today (renew it when it expires)",
        f"{prefix}[2]: expected a mapping with rule, resource, reason, expires (and optional type)",
    ]
    assert lines[3].startswith(f"{prefix}[0].reason = 'n/a': 3 characters, fewer than 40;")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("suppresions: []\n", "expected a mapping with one key, 'suppressions:', holding a list"),
        ("suppressions: {rule: GLZ-KMS-001}\n", "expected a list of suppressions, got dict"),
        ("a: &a [x, x, x, x, x, x, x, x]\n" + "".join(f"b{i}: &b{i} [*a, *a, *a, *a]\n" for i in range(60)), "aliases"),
    ],
)
def test_a_malformed_file_is_bad_input(tmp_path, content, message):
    path = tmp_path / "suppressions.yaml"
    path.write_text(content)
    with pytest.raises(SuppressionError, match=re.escape(message)) as error:
        load(path, set(RULES_BY_ID), today=TODAY)
    assert str(path) in str(error.value)


def test_the_checked_in_files_and_the_documented_examples_pass():
    assert load(ROOT / "policies" / "suppressions.yaml", set(RULES_BY_ID), today=TODAY) == []
    skips = load_skips(DEFAULT_SKIP_FILE, today=TODAY)
    assert skips and all(not s.expired(TODAY) and s.expires <= max_expiry(TODAY) for s in skips.values())
    assert all(s.type for s in skips.values() if s.blanket)
    docs = (ROOT / "docs" / "policy-gate.md").read_text()
    section = docs.split("## Suppressions", 1)[1]
    example = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    documented = parse(example["suppressions"], set(RULES_BY_ID), today=TODAY)
    assert [s.blanket for s in documented] == [False, True]


def test_cli_refuses_a_bad_suppressions_file_with_exit_2(tmp_path, capsys, demo_state_document):
    state = tmp_path / "state.json"
    state.write_text(json.dumps(demo_state_document))
    bad = tmp_path / "mine.yaml"
    bad.write_text(yaml.safe_dump({"suppressions": [entry(reason="False positive.")]}))
    argv = ["check", "--state", str(state), "--no-checkov", "--out", str(tmp_path / "out"), "--suppressions"]
    assert main([*argv, str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"error: {bad}: suppressions[0].reason = 'False positive.'" in err and "Traceback" not in err
    assert main([*argv, str(tmp_path / "missing.yaml")]) == 2  # named on the command line: must exist
    assert "missing.yaml: file not found" in capsys.readouterr().err


# --- blanket suppressions are in every report's summary -------------------------------------------


def test_blanket_suppressions_are_listed_in_every_report(tmp_path, capsys, demo_state_document):
    weakened = apply(demo_state_document, set_input("aws:kms/key:Key", "keys-data", ["enableKeyRotation"], False))
    state = tmp_path / "state.json"
    state.write_text(json.dumps(weakened))
    mine = tmp_path / "mine.yaml"
    blanket = entry(resource="*", type="aws:kms/key:Key", expires=max_expiry(dt.date.today()).isoformat())
    mine.write_text(yaml.safe_dump({"suppressions": [blanket]}))
    out = tmp_path / "out"
    code = main(["check", "--state", str(state), "--no-checkov", "--out", str(out), "--suppressions", str(mine)])
    stdout = capsys.readouterr().out
    assert code in (0, 1), stdout  # the verdict depends on every rule; the blanket is what is tested here
    expected = f"GLZ-KMS-001 on every aws:kms/key:Key (resource '*'), expires {blanket['expires']}: {REASON}"
    assert f"blanket suppression: {expected}" in stdout and "1 blanket suppressions" in stdout
    assert f"blanket suppression: {expected}" in (out / "policy-report.txt").read_text()
    listed = {
        "source": "suppressions",
        "rule": "GLZ-KMS-001",
        "type": "aws:kms/key:Key",
        "resource": "*",
        "reason": REASON,
        "expires": blanket["expires"],
    }
    report = json.loads((out / "policy-report.json").read_text())
    assert report["summary"]["blanketSuppressions"] == [listed]
    (kms,) = [f for f in report["findings"] if f["rule"] == "GLZ-KMS-001"]
    assert kms["status"] == "suppressed" and kms["reason"] == REASON
    sarif = json.loads((out / "policy-report.sarif").read_text())
    assert sarif["runs"][0]["properties"]["blanketSuppressions"] == [listed]
    junit = ET.parse(out / "policy-report.junit.xml").getroot().find("testsuite")
    assert junit[0].tag == "properties"
    assert [(p.get("name"), p.get("value")) for p in junit[0]] == [("blanket-suppressions", expected)]


def test_reports_without_blanket_suppressions_say_so(demo_state_document):
    result = run_rules(StackState(demo_state_document), ALL_RULES, [], today=TODAY)
    assert "0 blanket suppressions" in table(result, "demo")
    assert to_json(result, "demo", ALL_RULES)["summary"]["blanketSuppressions"] == []
    assert to_sarif(result, ALL_RULES, "Pulumi.demo.yaml", "0")["runs"][0]["properties"]["blanketSuppressions"] == []
    assert ET.fromstring(to_junit(result, "demo")).find("testsuite/properties") is None


# --- checkov skips: the same rules -----------------------------------------------------------------

SKIP_REASON = "Cross-region replication is out of scope for a landing zone that lives in a single region."


def skips_file(tmp_path: Path, entries: dict) -> Path:
    path = tmp_path / "checkov-skips.yaml"
    path.write_text(yaml.safe_dump(entries, sort_keys=False))
    return path


def skip_problem(tmp_path, **fields) -> str:
    skip = {"reason": SKIP_REASON, "expires": "2027-06-30", "type": "aws:s3/bucket:Bucket"}
    skip.update(fields)
    with pytest.raises(UserInputError) as error:
        load_skips(skips_file(tmp_path, {"CKV_AWS_144": {k: v for k, v in skip.items() if v is not None}}), TODAY)
    return str(error.value)


def test_checkov_skips_follow_the_same_rules(tmp_path):
    where = f"{tmp_path / 'checkov-skips.yaml'}: CKV_AWS_144 (entry 0)"
    assert f"{where}.expires = None: required" in skip_problem(tmp_path, expires=None)
    assert f"{where}.expires = '2028-06-30': more than one year ahead" in skip_problem(tmp_path, expires="2028-06-30")
    assert f"{where}.reason = 'Not applicable.': " in skip_problem(tmp_path, reason="Not applicable.")
    assert f"{where}.resources = (left out): covers every resource; allowed only together with `type:`" in (
        skip_problem(tmp_path, type=None)
    )
    assert f"{where}.resources = ['*_*']: covers every resource" in skip_problem(tmp_path, type=None, resources=["*_*"])
    assert f"{where}.type = 'aws_s3_bucket': allowed: a Pulumi resource type" in (
        skip_problem(tmp_path, type="aws_s3_bucket")
    )
    path = skips_file(tmp_path, {"CKV_AWS_144": SKIP_REASON})
    with pytest.raises(UserInputError, match=r"CKV_AWS_144 \(entry 0\) = .*expected a mapping"):
        load_skips(path, TODAY)


def test_checkov_skip_reasons_are_not_copied_between_checks(tmp_path):
    skip = {"reason": SKIP_REASON, "expires": "2027-06-30", "type": "aws:s3/bucket:Bucket"}
    with pytest.raises(UserInputError, match=r"CKV2_AWS_62 \(entry 1\)\.reason: the same reason as CKV_AWS_144"):
        load_skips(skips_file(tmp_path, {"CKV_AWS_144": skip, "CKV2_AWS_62": skip}), TODAY)


def test_a_checkov_skip_covers_only_its_type_and_resources(tmp_path):
    typed = {"reason": SKIP_REASON, "expires": "2027-06-30", "type": "aws:s3/bucket:Bucket"}
    named = {
        "reason": "The admin role needs AdministratorAccess because it deploys every service of the stack.",
        "expires": "2027-06-30",
        "resources": ["operators-admin-*"],
    }
    skips = load_skips(skips_file(tmp_path, {"CKV_AWS_144": typed, "CKV_AWS_274": named}), TODAY)
    bucket = "urn:pulumi:demo::genomics-landing-zone::glz:data:SecureBucket$aws:s3/bucket:Bucket::data-bcl"
    trail = "urn:pulumi:demo::genomics-landing-zone::aws:cloudtrail/trail:Trail::audit"
    assert skips["CKV_AWS_144"].blanket and skips["CKV_AWS_144"].covers("aws_s3_bucket.data_bcl", bucket)
    assert not skips["CKV_AWS_144"].covers("aws_cloudtrail.audit", trail)
    assert not skips["CKV_AWS_144"].covers("aws_s3_bucket.x", None)  # no URN, no type: not covered
    assert not skips["CKV_AWS_274"].blanket
    assert skips["CKV_AWS_274"].covers(
        "aws_iam_role_policy_attachment.x", "urn:pulumi:d::p::a:b/c:D::operators-admin-x"
    )
    assert not skips["CKV_AWS_274"].covers("aws_iam_role_policy_attachment.y", "urn:pulumi:d::p::a:b/c:D::other")


def test_an_expired_checkov_skip_fails_the_gate(tmp_path, capsys, monkeypatch, demo_state_document):
    """End to end with the real checkov: the expired skip no longer hides its failures, and the gate
    reports it as expired and fails (exit 1); the blanket skips are in the report."""
    try:
        checkov = find_checkov()
    except UserInputError as error:
        pytest.fail(f"checkov is required for this test: {error}", pytrace=False)
    project = tmp_path / "project"
    (project / "policies").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    skips = yaml.safe_load(DEFAULT_SKIP_FILE.read_text())
    skips["CKV_AWS_144"]["expires"] = dt.date(2026, 1, 31)
    (project / "policies" / "checkov-skips.yaml").write_text(yaml.safe_dump(skips))
    state = tmp_path / "state.json"
    state.write_text(json.dumps(demo_state_document))
    out = tmp_path / "out"
    monkeypatch.setenv("GLZ_CHECKOV", str(checkov))
    code = main(["--project-dir", str(project), "check", "--state", str(state), "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 1, stdout
    report = json.loads((out / "policy-report.json").read_text())
    assert [s["rule"] for s in report["expiredSuppressions"]] == ["CKV_AWS_144"]
    assert report["expiredSuppressions"][0]["expires"] == "2026-01-31"
    assert any(f["rule"] == "CKV_AWS_144" and f["status"] == "failed" for f in report["findings"])
    blanket_rules = {b["rule"] for b in report["summary"]["blanketSuppressions"]}
    assert {"CKV2_AWS_62", "CKV2_AWS_3", "CKV_AWS_252"} <= blanket_rules
