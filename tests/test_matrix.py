"""The control matrix is computed, not typed: change the stack and the rows change with it."""

from __future__ import annotations

import copy
import csv
import json
import re
import shutil
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from controls import catalog
from controls.evidence import load_evidence
from controls.mapping import MappingError, load_all, load_framework, mapped_config_rules
from controls.model import (
    CUSTOMER,
    IMPLEMENTED,
    INHERITED,
    NOT_APPLICABLE,
    NOT_IMPLEMENTED,
    PARTIAL,
    RESPONSIBILITY_LABELS,
    STATUSES,
)
from controls.probes import PROBES
from controls.render.html import render_html
from controls.render.oscal import control_id, render_ssp, validate_ssp
from controls.render.text import render_markdown
from controls.render.xlsx import write_xlsx
from glz.errors import UserInputError
from glz.state import StackState
from policies.suppressions import parse
from tests.conftest import ROOT, matrix_of
from tests.mutations import apply, remove, set_input

COUNTS = {catalog.R2: 110, catalog.R3: 97, catalog.HIPAA: 68}


def rows_by_id(matrix, framework):
    return {row.id: row for row in matrix.rows[framework]}


def test_every_requirement_has_a_row_with_status_and_responsibility(demo_matrix):
    for framework, count in COUNTS.items():
        rows = demo_matrix.rows[framework]
        assert len(rows) == count
        assert [r.id for r in rows] == [r.id for r in catalog.load(framework)]
        for row in rows:
            assert row.status in STATUSES, row.id
            assert row.responsibility in RESPONSIBILITY_LABELS, row.id
            assert row.statement and "{" not in row.statement, row.id


# The demo deploys through the standard endpoints (fipsEndpoints off), so FIPS-validated cryptography in transit
# is not shown and 3.13.11 stays partial; every other technical row is implemented.
DEMO_PARTIAL = {"3.13.11", "03.13.11"}


def test_demo_stack_implements_its_technical_rows(demo_matrix):
    """The demo stack passes every rule, so no landing-zone row may show a gap but the ones its settings choose."""
    for row in demo_matrix.all_rows():
        if row.responsibility in ("landing-zone", "shared"):
            if row.id in DEMO_PARTIAL:
                assert row.status == PARTIAL and [g.split(":")[0] for g in row.gaps] == ["fips_endpoints"], row.gaps
                continue
            assert row.status == IMPLEMENTED, (row.framework, row.id, row.gaps)
            assert row.automated and (row.probes or row.rules)
        else:
            assert row.status in (CUSTOMER, INHERITED, NOT_APPLICABLE)
            assert not row.probes


def test_statuses_follow_responsibility(demo_matrix):
    fixed = {"customer": CUSTOMER, "inherited": INHERITED, "not-applicable": NOT_APPLICABLE}
    for row in demo_matrix.all_rows():
        if row.responsibility in fixed:
            assert row.status == fixed[row.responsibility]
        if row.responsibility in ("customer", "shared"):
            assert len(row.customer_actions) > 40, (row.id, row.customer_actions)
        if row.responsibility in ("inherited", "not-applicable"):
            assert row.justification, row.id


def test_removing_the_trail_drops_audit_rows_from_implemented(demo_state_document, demo_matrix):
    without_trail = apply(demo_state_document, remove("aws:cloudtrail/trail:Trail"))
    matrix = matrix_of(without_trail)
    before, after = rows_by_id(demo_matrix, catalog.R2), rows_by_id(matrix, catalog.R2)
    for requirement in ("3.3.1", "3.3.2"):
        assert before[requirement].status == IMPLEMENTED
        assert after[requirement].status in (PARTIAL, NOT_IMPLEMENTED)
        assert any("trail" in gap.lower() for gap in after[requirement].gaps)
    # Every row that cites the trail probe changed; no row without it did.
    changed = {
        r.id
        for r in matrix.all_rows()
        if r.status != IMPLEMENTED and r.responsibility in ("landing-zone", "shared") and r.id not in DEMO_PARTIAL
    }
    citing = {r.id for r in matrix.all_rows() if any(p.name in ("trail", "trail_data_events") for p in r.probes)}
    citing |= {
        r.id
        for r in matrix.all_rows()
        if any(o.rule_id.startswith("GLZ-LOG-00") and o.outcome == "failed" for o in r.rules)
    }
    assert changed == citing


def test_disabling_key_rotation_changes_exactly_the_rows_that_rely_on_it(demo_state_document, demo_matrix):
    weakened = apply(demo_state_document, set_input("aws:kms/key:Key", "keys-data", ["enableKeyRotation"], False))
    matrix = matrix_of(weakened)
    changed = {
        (r.framework, r.id)
        for r, before in zip(matrix.all_rows(), demo_matrix.all_rows(), strict=True)
        if r.status != before.status
    }
    relying = {
        (r.framework, r.id)
        for r in matrix.all_rows()
        if any(p.name == "key_rotation" for p in r.probes) or any(o.rule_id == "GLZ-KMS-001" for o in r.rules)
    }
    assert changed and changed == relying
    assert ("nist-800-171-r2", "3.13.10") in changed
    row = rows_by_id(matrix, catalog.R2)["3.13.10"]
    assert row.status == PARTIAL
    assert any(o.rule_id == "GLZ-KMS-001" and o.outcome == "failed" for o in row.rules)
    assert "disabled on keys-data" in " ".join(row.gaps)


def test_a_suppressed_failure_shows_its_reason(demo_state_document):
    weakened = apply(demo_state_document, set_input("aws:kms/key:Key", "keys-data", ["enableKeyRotation"], False))
    reason = "The data key is imported key material, which AWS cannot rotate; rotated by hand each year (CR-1234)."
    suppressions = parse(
        [{"rule": "GLZ-KMS-001", "resource": "keys-data", "reason": reason, "expires": "2027-06-30"}],
        {"GLZ-KMS-001"},
    )
    matrix = matrix_of(weakened, suppressions)
    row = rows_by_id(matrix, catalog.R2)["3.13.10"]
    assert row.status == PARTIAL
    assert any(reason in d for d in row.deviations)
    assert any(f.status == "suppressed" and f.reason == reason for f in matrix.findings)


def test_statement_names_the_actual_resources(demo_state_document):
    renamed = apply(demo_state_document, set_input("aws:cloudtrail/trail:Trail", "audit", ["name"], "org-cui-trail"))
    row = rows_by_id(matrix_of(renamed), catalog.R2)["3.3.1"]
    assert "org-cui-trail" in row.statement
    assert "org-cui-trail" in row.resources


def test_rows_without_any_of_their_evidence_are_not_implemented(demo_state_document):
    stripped = apply(
        demo_state_document,
        remove("aws:cloudtrail/trail:Trail"),
        remove("aws:cloudwatch/logGroup:LogGroup"),
        remove("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
        remove("aws:cloudwatch/metricAlarm:MetricAlarm"),
    )
    matrix = matrix_of(stripped)
    not_implemented = [r for r in matrix.all_rows() if r.status == NOT_IMPLEMENTED]
    assert not_implemented
    for row in not_implemented:
        assert all(not p.satisfied for p in row.probes) or not row.probes


def test_without_attestations_the_sprs_score_deducts_every_unattested_requirement(demo_state_document, demo_matrix):
    """No attestation file: the organization's parts are not assessed and deduct their full points; the
    landing-zone and inherited rows the stack shows as met deduct nothing (controls/determination.py)."""
    sprs = demo_matrix.sprs
    assert sprs.maximum == 110 and sprs.attestations is None
    unmet = [r for r in demo_matrix.rows[catalog.R2] if r.determination.result not in ("Met", "Not applicable")]
    assert {r.id for r in unmet} == {rid for rid, _, _ in sprs.deductions}
    assert all(r.responsibility in ("customer", "shared") or r.id == "3.13.11" for r in unmet)
    assert sprs.score == 110 - sum(points for _, points, _ in sprs.deductions)
    weakened = matrix_of(apply(demo_state_document, remove("aws:cloudtrail/trail:Trail")))
    assert weakened.sprs.score < sprs.score
    assert {"3.3.1", "3.3.2"} <= {rid for rid, _, _ in weakened.sprs.deductions}


def test_resources_sheet_links_resources_to_requirements(demo_matrix):
    by_type = {}
    for resource in demo_matrix.resources:
        by_type.setdefault(resource.type, []).append(resource)
    trail = by_type["aws:cloudtrail/trail:Trail"][0]
    assert "nist-800-171-r2:3.3.1" in trail.requirements and trail.component == "AuditTrail audit"
    assert all(r.requirements for r in by_type["aws:kms/key:Key"])


def evidence_file(
    tmp_path, checks, account="111122223333", region="us-east-1", generated_at="2026-11-23T12:00:00Z", **extra
):
    path = tmp_path / "evidence.json"
    path.write_text(
        json.dumps(
            {
                "schema": "glz-audit-evidence/1",
                "generated_at": generated_at,
                "account": account,
                "region": region,
                "checks": checks,
                **extra,
            }
        )
    )
    return path


TRAIL_NOT_LOGGING = {
    "id": "cloudtrail.logging",
    "resource": "glz-demo-trail",
    "probes": ["trail"],
    "result": "fail",
    "reason": "trail is not logging",
    "drift": True,
}


def test_evidence_adds_the_verified_column(tmp_path, demo_state_document):
    checks = [
        TRAIL_NOT_LOGGING,
        {"id": "kms.rotation", "resource": "alias/glz-demo-data", "probes": ["key_rotation"], "result": "pass"},
        {
            "id": "guardduty.enabled",
            "resource": "detector",
            "probes": ["guardduty"],
            "result": "not-verifiable",
            "reason": "AccessDenied on guardduty:ListDetectors",
        },
    ]
    evidence = load_evidence(evidence_file(tmp_path, checks), "111122223333")
    matrix = matrix_of(demo_state_document, evidence=evidence)
    rows = matrix.all_rows()
    for row in rows:
        names = {p.name for p in row.probes}
        assert row.verified is not None
        if "trail" in names:
            assert row.verified.result == "failed" and "trail is not logging" in row.verified.detail
        elif "guardduty" in names:
            assert row.verified.result == "not-verifiable"
        elif "key_rotation" in names:
            assert row.verified.result == "verified" and row.verified.check_ids == ("kms.rotation",)
        else:
            assert row.verified.result == "not-checked"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"schema": "something-else"}, "schema = 'something-else'"),
        ({"schema": "glz-audit-evidence/1", "checks": [{"result": "maybe"}]}, "checks[0].result = 'maybe'"),
        ({"schema": "glz-audit-evidence/1", "account": "999999999999", "checks": []}, "account = '999999999999'"),
    ],
)
def test_bad_evidence_is_refused_with_the_key_and_value(tmp_path, content, message):
    path = tmp_path / "e.json"
    path.write_text(json.dumps(content))
    with pytest.raises(UserInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_evidence(path, "111122223333")


def test_evidence_from_another_region_is_refused(tmp_path):
    path = evidence_file(tmp_path, [], region="eu-west-1")
    with pytest.raises(UserInputError) as error:
        load_evidence(path, "111122223333", "us-east-1")
    assert str(error.value) == (
        f"--evidence {path}: region = 'eu-west-1': the stack is deployed to region 'us-east-1'; "
        "give evidence collected from that region"
    )
    assert load_evidence(path, "111122223333").region == "eu-west-1"  # no region to compare with: loaded


KEY_ROTATION_CHECK = {
    "id": "kms.rotation",
    "resource": "alias/glz-demo-data",
    "probes": ["key_rotation"],
    "result": "pass",
}


def _state_sha256(document):
    return StackState(document, "demo-state.json").sha256()


def _matrix_with_evidence(tmp_path, document, **fields):
    evidence = load_evidence(evidence_file(tmp_path, [KEY_ROTATION_CHECK], **fields), "111122223333", "us-east-1")
    return matrix_of(document, evidence=evidence)


def _summary_sheet(matrix, tmp_path):
    path = write_xlsx(matrix, tmp_path / "control-matrix.xlsx")
    sheet = load_workbook(path)["Summary"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}, sheet


def test_fresh_evidence_of_the_same_state_has_no_notes(tmp_path, demo_state_document):
    sha = _state_sha256(demo_state_document)
    for collected in ("2026-11-23T11:00:00Z", "2026-10-24T12:00:00Z"):  # an hour and exactly 30 days before
        matrix = _matrix_with_evidence(tmp_path, demo_state_document, state_sha256=sha, generated_at=collected)
        assert matrix.info.state_sha256 == sha
        assert matrix.info.evidence_notes == ()
    facts, _ = _summary_sheet(matrix, tmp_path)
    assert facts["Live evidence"] == f"{tmp_path / 'evidence.json'} (collected 2026-10-24T12:00:00Z)"
    assert facts["Live evidence notes"].startswith("none: collected against this state")
    assert "Notes on the live evidence" not in render_markdown(matrix)
    assert 'id="evidence-notes"' not in render_html(matrix)
    ssp = render_ssp(matrix, catalog.R2)["system-security-plan"]
    assert "Note on the live evidence" not in json.dumps(ssp)


def test_evidence_of_another_state_is_noted_wherever_the_evidence_is_summarised(tmp_path, demo_state_document):
    sha = _state_sha256(demo_state_document)
    other = "0123456789ab" + "f" * 52
    matrix = _matrix_with_evidence(tmp_path, demo_state_document, state_sha256=other)
    note = (
        f"collected against a different state (SHA-256 0123456789ab… vs {sha[:12]}… of this matrix's state): "
        "resources may have changed since"
    )
    assert matrix.info.evidence_notes == (note,)
    verified = [row for row in matrix.rows[catalog.R2] if row.verified.result == "verified"]
    assert verified  # a note, not an error: the rows the evidence covers are still verified

    facts, sheet = _summary_sheet(matrix, tmp_path)
    assert facts["Live evidence notes"] == f"• {note}"
    notes_cell = next(row[1] for row in sheet.iter_rows() if row[0].value == "Live evidence notes")
    assert notes_cell.fill.fgColor.rgb.endswith("FFEB9C")

    markdown = render_markdown(matrix)
    header = markdown.split("\n## ", 1)[0]
    assert f"Live evidence: `{tmp_path / 'evidence.json'}`, collected 2026-11-23T12:00:00Z" in header
    assert f"- {note}" in header

    html = render_html(matrix)
    notes_html = html.split('id="evidence-notes"', 1)[1].split("</div>", 1)[0]
    assert "<li>collected against a different state (SHA-256 0123456789ab… vs " in notes_html
    assert html.index('id="evidence-notes"') < html.index("</header>")

    ssp = render_ssp(matrix, catalog.R2)
    validate_ssp(ssp)
    resources = {r["title"]: r for r in ssp["system-security-plan"]["back-matter"]["resources"]}
    assert resources["glz audit evidence"]["remarks"] == f"Note on the live evidence: {note}."
    requirement = next(
        r
        for r in ssp["system-security-plan"]["control-implementation"]["implemented-requirements"]
        if r["control-id"] == control_id(catalog.R2, verified[0].id)
    )
    verification = next(p for p in requirement["props"] if p["name"] == "account-verification")
    assert verification["remarks"].endswith(f"Note on the live evidence: {note}.")


def test_old_evidence_and_evidence_without_a_state_hash_are_noted(tmp_path, demo_state_document):
    sha = _state_sha256(demo_state_document)
    old = _matrix_with_evidence(tmp_path, demo_state_document, state_sha256=sha, generated_at="2026-10-09T12:00:00Z")
    assert old.info.evidence_notes == ("collected 45 days before the matrix was generated",)
    assert "- collected 45 days before the matrix was generated" in render_markdown(old)

    unhashed = _matrix_with_evidence(tmp_path, demo_state_document)
    assert unhashed.info.evidence_notes == ("the evidence has no state hash (written by an older glz)",)
    html = render_html(unhashed)
    assert "<li>the evidence has no state hash (written by an older glz)</li>" in html

    undated = _matrix_with_evidence(tmp_path, demo_state_document, state_sha256=sha, generated_at="")
    assert undated.info.evidence_notes == ("the evidence does not say when it was collected (generated_at = '')",)


def test_mapping_covers_every_requirement_once():
    mapping = load_all()
    for framework, count in COUNTS.items():
        assert len(mapping[framework]) == count
    assert 0 < len(mapped_config_rules()) <= 130


def test_mapping_errors_name_the_requirement_and_value(tmp_path):
    import yaml

    for name in ("nist_800_171_r2.yaml", "config_rules.yaml"):
        shutil.copy(ROOT / "controls" / "mapping" / name, tmp_path / name)
    document = yaml.safe_load((tmp_path / "nist_800_171_r2.yaml").read_text())
    document["requirements"]["3.3.1"]["probes"] = ["trial"]
    document["requirements"]["3.3.2"]["responsibility"] = "vendor"
    del document["requirements"]["3.1.1"]
    (tmp_path / "nist_800_171_r2.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(MappingError) as error:
        load_framework(catalog.R2, tmp_path)
    text = str(error.value)
    assert "3.3.1: probes: unknown probe 'trial'" in text
    assert "3.3.2: responsibility = 'vendor'" in text
    assert "3.1.1: no mapping record" in text


def test_technical_rows_are_backed_by_automated_checks(demo_matrix):
    technical = [r for r in demo_matrix.all_rows() if r.responsibility in ("landing-zone", "shared")]
    assert technical and all(r.probes or r.rules for r in technical)
    assert {p.name for r in technical for p in r.probes} <= set(PROBES)


def run_glz(*args):
    return subprocess.run(
        [sys.executable, "-m", "glz.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def matrix_outputs(tmp_path_factory, demo_state_document):
    out = tmp_path_factory.mktemp("matrix")
    state = out / "state.json"
    state.write_text(json.dumps(demo_state_document))
    result = run_glz("matrix", "--state", str(state), "--no-checkov", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def test_glz_matrix_writes_every_output(matrix_outputs):
    out, stdout = matrix_outputs
    for name in (
        "control-matrix.xlsx",
        "control-matrix.csv",
        "control-matrix.md",
        "control-matrix.html",
        "conformance-pack.yaml",
    ):
        assert (out / name).stat().st_size > 1000, name
    assert sorted(p.name for p in out.glob("control-matrix-ssp-*.json")) == [
        "control-matrix-ssp-hipaa.json",
        "control-matrix-ssp-nist-800-171-r2.json",
        "control-matrix-ssp-nist-800-171-r3.json",
    ]
    assert "SPRS score:" in stdout


def test_xlsx_has_the_sheets_rows_and_usability_settings(matrix_outputs, demo_matrix):
    workbook = load_workbook(matrix_outputs[0] / "control-matrix.xlsx")
    assert workbook.sheetnames == [
        "Summary",
        "NIST 800-171 r2",
        "NIST 800-171 r3",
        "HIPAA",
        "Plan of action",
        "Objectives r2 (800-171A)",
        "Objectives r3 (800-171A r3)",
        "Parameters r3 (ODPs)",
        "Resources",
        "Findings",
        "Suppressions",
    ]
    # SP 800-171A r3: 422 assessment objectives and 88 ODP statements of the 97 active requirements
    r3_objectives = workbook["Objectives r3 (800-171A r3)"]
    assert r3_objectives.max_row == 422 + 88 + 1
    r3_rows = {r.id: r for r in demo_matrix.rows["nist-800-171-r3"]}
    by_id = {row[0]: row for row in r3_objectives.iter_rows(min_row=2, values_only=True)}
    assert by_id["A.03.01.11"][2] == (
        "a user session is terminated automatically after a Session Manager session without input for 15 minutes; "
        "an operator role session reaching its maximum of one hour."
    )
    assert by_id["A.03.01.11"][3] == r3_rows["03.01.11"].determination.result
    assert "[organization-defined time period]" in by_id["A.03.01.10.a"][2]
    parameters = {row[0]: row for row in workbook["Parameters r3 (ODPs)"].iter_rows(min_row=2, values_only=True)}
    assert len(parameters) == 88
    assert parameters["A.03.05.12.ODP.01"][3] == "every 90 days for IAM user passwords (the stack creates no IAM users)"
    assert (
        parameters["A.03.01.08.ODP.01"][3] in ("", None)
        and parameters["A.03.01.08.ODP.01"][4] == "the organization (SSP)"
    )
    open_rows = [r for r in demo_matrix.all_rows() if r.determination.result in ("Not met", "Not assessed")]
    assert workbook["Plan of action"].max_row == len(open_rows) + 1
    objectives = workbook["Objectives r2 (800-171A)"]
    assert objectives.max_row == 320 + 1
    row_31_1 = next(r for r in demo_matrix.rows["nist-800-171-r2"] if r.id == "3.1.1")
    first = [c.value for c in objectives[2]]
    assert first[:4] == ["3.1.1[a]", "3.1.1", "authorized users are identified.", row_31_1.determination.result]
    for title, count in (("NIST 800-171 r2", 110), ("NIST 800-171 r3", 97), ("HIPAA", 68)):
        sheet = workbook[title]
        assert sheet.max_row == count + 1
        assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref.startswith("A1:")
        header = [c.value for c in sheet[1]]
        status = header.index("Status")
        assert all(row[status] in STATUSES for row in sheet.iter_rows(min_row=2, values_only=True))
        assert sheet.cell(2, header.index("Implementation statement") + 1).alignment.wrap_text
        assert sheet.column_dimensions["A"].width >= 10
    assert workbook["Resources"].max_row == len(demo_matrix.resources) + 1
    assert workbook["Findings"].max_row == 1  # the demo stack has no failing finding
    summary = [row for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]]
    assert any(str(row[0]).startswith("SPRS score") for row in summary)


def test_csv_and_markdown_hold_every_row(matrix_outputs):
    out = matrix_outputs[0]
    with (out / "control-matrix.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(COUNTS.values())
    assert all(r["Status"] in STATUSES and r["Responsibility"] for r in rows)
    markdown = (out / "control-matrix.md").read_text()
    assert markdown.count("\n| 3.") >= 110 and "| 164.312(b) |" in markdown


def matrix_with_evidence(state, out, evidence):
    """`glz matrix` on a state file with an evidence file, gate without checkov."""
    return run_glz("matrix", "--state", str(state), "--no-checkov", "--out", str(out), "--evidence", str(evidence))


def test_glz_matrix_bad_evidence_exits_2_without_traceback(tmp_path, matrix_outputs):
    out = matrix_outputs[0]
    bad = tmp_path / "evidence.json"
    bad.write_text("{not json")
    result = matrix_with_evidence(out / "state.json", tmp_path, bad)
    assert result.returncode == 2
    assert "--evidence" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "control-matrix.xlsx").exists()


def test_glz_matrix_refuses_evidence_from_another_region_with_exit_2(tmp_path, matrix_outputs):
    out = matrix_outputs[0]
    evidence = evidence_file(tmp_path, [], region="eu-west-1")
    result = matrix_with_evidence(out / "state.json", tmp_path, evidence)
    assert result.returncode == 2
    assert f"--evidence {evidence}: region = 'eu-west-1': the stack is deployed to region 'us-east-1'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "control-matrix.xlsx").exists()


def test_glz_matrix_warns_about_stale_evidence_and_still_writes(tmp_path, matrix_outputs, demo_state_document):
    out = matrix_outputs[0]
    evidence = evidence_file(tmp_path, [KEY_ROTATION_CHECK], generated_at="2020-01-01T00:00:00Z")
    result = matrix_with_evidence(out / "state.json", tmp_path, evidence)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith(f"warning: evidence {evidence}: ")]
    assert len(warnings) == 2
    assert warnings[0].endswith("the evidence has no state hash (written by an older glz)")
    assert re.search(r"collected \d+ days before the matrix was generated$", warnings[1])
    assert "the evidence has no state hash" in (tmp_path / "control-matrix.md").read_text()


def test_matrix_is_deterministic_apart_from_the_timestamp(demo_state_document):
    first, second = matrix_of(copy.deepcopy(demo_state_document)), matrix_of(copy.deepcopy(demo_state_document))
    assert [(r.id, r.status, r.statement) for r in first.all_rows()] == [
        (r.id, r.status, r.statement) for r in second.all_rows()
    ]


def test_every_xlsx_sheet_prints_legibly(matrix_outputs):
    """Landscape, all columns across one page width, the header row on every page, sheet and page in the footer."""
    workbook = load_workbook(matrix_outputs[0] / "control-matrix.xlsx")
    for sheet in workbook.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1, sheet.title
        assert sheet.page_setup.fitToHeight == 0, sheet.title
        assert sheet.print_title_rows in ("1:1", "$1:$1"), sheet.title  # openpyxl reads it back absolute
        assert sheet.oddFooter.right.text == "Page &P of &N" and sheet.oddFooter.left.text == "&A", sheet.title


def test_live_evidence_is_rolled_up_in_the_summary_sheet_and_the_html_filter(tmp_path, demo_state_document):
    """Issue 18: counts of verified, failed, not verifiable and not checked rows per framework (model, Summary
    sheet, HTML note), and a Live evidence filter whose values are the rows' own; a passing trail changes them."""
    checks = [TRAIL_NOT_LOGGING, KEY_ROTATION_CHECK]
    evidence = load_evidence(evidence_file(tmp_path, checks), "111122223333")
    matrix = matrix_of(demo_state_document, evidence=evidence)
    counts = matrix.verification_counts("nist-800-171-r2")
    rows = matrix.rows["nist-800-171-r2"]
    assert counts == {
        result: sum(1 for row in rows if row.verified.result == result)
        for result in ("verified", "failed", "not-verifiable", "not-checked")
    }
    assert counts["failed"] > 0 and counts["verified"] > 0 and sum(counts.values()) == len(rows)
    facts, _ = _summary_sheet(matrix, tmp_path)
    shown = facts["Live evidence: NIST 800-171 r2"]
    assert shown.startswith(f"verified {counts['verified']}, failed {counts['failed']},")
    html = render_html(matrix)
    assert 'id="filter-verified"' in html and '<option value="failed">failed</option>' in html
    assert html.count('data-verified="failed"') >= counts["failed"]
    assert 'id="live-evidence-counts"' in html and f"failed {counts['failed']}" in html

    logging = {**TRAIL_NOT_LOGGING, "result": "pass", "reason": ""}
    (tmp_path / "again").mkdir()
    healed = matrix_of(
        demo_state_document, evidence=load_evidence(evidence_file(tmp_path / "again", [logging]), "111122223333")
    )
    assert healed.verification_counts("nist-800-171-r2")["failed"] == 0
    assert matrix_of(demo_state_document).verification_counts("nist-800-171-r2") is None
    assert 'id="live-evidence-counts"' not in render_html(matrix_of(demo_state_document))
