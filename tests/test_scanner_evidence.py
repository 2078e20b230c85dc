"""`glz matrix --evidence` with Prowler's OCSF findings: each finding reaches the rows Prowler maps it to, beside the
project's own evidence, with explained failures apart; bad files are refused with the key and what is allowed."""

from __future__ import annotations

import copy
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from controls.catalog import HIPAA, R2, R3, load
from controls.render.html import render_html
from controls.render.oscal import render_ssp, validate_ssp
from controls.render.text import render_markdown, write_csv
from controls.scanner_evidence import (
    KNOWN_FINDINGS,
    explanation,
    hipaa_id,
    is_prowler_ocsf,
    load_known_findings,
    load_prowler_ocsf,
)
from glz.errors import UserInputError
from tests.conftest import ROOT, matrix_of

SCAN = ROOT / "tests" / "data" / "prowler-demo-frameworks.ocsf.json"
ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def scan_document() -> list:
    return json.loads(SCAN.read_text())


@pytest.fixture(scope="module")
def scanned_matrix(demo_state_document, scan_document):
    return matrix_of(demo_state_document, scanner=load_prowler_ocsf(SCAN, scan_document, ACCOUNT))


def _row(matrix, framework, rid):
    return next(r for r in matrix.rows[framework] if r.id == rid)


@pytest.mark.parametrize(
    ("prowler", "catalog_id"),
    [
        ("164_308_a_1_ii_d", "164.308(a)(1)(ii)(D)"),
        ("164_312_a_2_iv", "164.312(a)(2)(iv)"),
        ("164_308_a_8", "164.308(a)(8)"),
        ("164_312_b", "164.312(b)"),
    ],
)
def test_prowler_hipaa_ids_become_catalog_ids(prowler, catalog_id):
    assert hipaa_id(prowler) == catalog_id
    assert catalog_id in {r.id for r in load(HIPAA)}


def test_a_real_scan_loads_with_every_requirement_id_known(scan_document):
    evidence = load_prowler_ocsf(SCAN, scan_document, ACCOUNT)
    assert evidence.scanner == "Prowler 5.46.0"
    assert evidence.account == ACCOUNT
    assert evidence.scanned_at.startswith("2026-")
    assert len(evidence.findings) == len(scan_document)
    assert evidence.unmapped_ids == ()
    tagged = {framework for f in evidence.findings for framework, _ in f.requirements}
    assert tagged == {R2, HIPAA}  # Prowler maps no r3


def test_rows_carry_the_scanners_verdict_through_its_own_mapping(scanned_matrix):
    # 3.3.1 (event logging): Prowler's CloudWatch delivery check fails on the emulator (a moto gap, which explains
    # nothing on a real account, so it stays a failure) and the access-log bucket's own logging is explained
    row = _row(scanned_matrix, R2, "3.3.1")
    assert row.scanner.result == "failed"
    assert any(f.startswith("cloudtrail_cloudwatch_logging_enabled on ") for f in row.scanner.failed)
    assert any("s3_bucket_server_access_logging_enabled" in e and "(design: " in e for e in row.scanner.explained)
    assert row.scanner.passed > 0
    # 3.1.5 (least privilege): only the administrator policy fails, and the design explains it
    least = _row(scanned_matrix, R2, "3.1.5")
    assert least.scanner.result == "explained" and least.scanner.failed == ()
    # Prowler maps nothing to r3, nor to 3.2.1 (awareness training)
    assert all(r.scanner is None for r in scanned_matrix.rows[R3])
    assert _row(scanned_matrix, R2, "3.2.1").scanner is None
    # the project's own determination is not the scanner's: a second opinion, shown beside
    assert row.determination is not None


def test_a_new_failure_changes_the_row(demo_state_document, scan_document):
    """Turn one of Prowler's passes on 3.13.11 into a failure no explanation covers: that row says so."""
    changed = copy.deepcopy(scan_document)
    finding = next(
        f
        for f in changed
        if f["status_code"] == "PASS" and "3_13_11" in f["unmapped"]["compliance"].get("NIST-800-171-Revision-2", [])
    )
    before = matrix_of(demo_state_document, scanner=load_prowler_ocsf(SCAN, scan_document, ACCOUNT))
    finding["status_code"] = "FAIL"
    after = matrix_of(demo_state_document, scanner=load_prowler_ocsf(SCAN, changed, ACCOUNT))
    assert _row(before, R2, "3.13.11").scanner.result == "passed"
    changed_row = _row(after, R2, "3.13.11")
    assert changed_row.scanner.result == "failed"
    assert f"{finding['metadata']['event_code']} on {finding['resources'][0]['uid']}" in changed_row.scanner.failed


def test_every_output_shows_the_scanner(scanned_matrix, tmp_path):
    markdown = render_markdown(scanned_matrix)
    assert "Scanner evidence: Prowler 5.46.0" in markdown
    assert "Prowler 5.46.0: failed" in markdown and "Prowler 5.46.0: explained" in markdown
    path = write_csv(scanned_matrix, tmp_path / "m.csv")
    rows = list(csv.DictReader(path.open()))
    row = next(r for r in rows if r["ID"] == "3.1.5")
    assert row["Scanner findings"].startswith("explained: Prowler 5.46.0: ")
    html = render_html(scanned_matrix)
    assert 'data-scanner="failed"' in html and "In the account (audit, scanner)" in html
    ssp = render_ssp(scanned_matrix, R2)
    validate_ssp(ssp)
    requirement = next(
        r
        for r in ssp["system-security-plan"]["control-implementation"]["implemented-requirements"]
        if any(p["name"] == "requirement-id" and p["value"] == "3.3.1" for p in r["props"])
    )
    verdict = next(p for p in requirement["props"] if p["name"] == "scanner-verdict")
    assert verdict["value"] == "failed" and "cloudtrail_cloudwatch_logging_enabled" in verdict["remarks"]


def test_without_a_scan_no_scanner_column(demo_matrix, tmp_path):
    assert "Scanner findings" not in next(csv.reader(write_csv(demo_matrix, tmp_path / "m.csv").open()))
    assert "Scanner evidence" not in render_markdown(demo_matrix)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d[0].update(status_code="BROKEN"), "finding [0].status_code = 'BROKEN': allowed PASS, FAIL, MANUAL"),
        (lambda d: d[1].pop("metadata"), "finding [1] is not an OCSF finding as Prowler writes it"),
        (lambda d: d[2]["cloud"]["account"].update(uid="999999999999"), "account = 111122223333, 999999999999"),
    ],
)
def test_a_broken_scan_is_refused_with_what_is_wrong(scan_document, change, message):
    document = copy.deepcopy(scan_document)
    change(document)
    with pytest.raises(UserInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_prowler_ocsf(SCAN, document, ACCOUNT)


def test_the_cli_reads_both_kinds_of_evidence_and_refuses_others(tmp_path):
    """`glz matrix --evidence` takes a Prowler scan (exit 0, its column in the CSV) and refuses an unknown shape
    (exit 2, the shapes it takes)."""
    out = tmp_path / "out"
    matrix = [sys.executable, "-m", "glz.cli", "matrix", "--stack", "demo", "--no-checkov", "--out", str(out)]
    run = subprocess.run(
        [*matrix, "--evidence", str(SCAN), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    header = next(csv.reader((out / "control-matrix.csv").open()))
    assert "Scanner findings" in header
    other = tmp_path / "other.json"
    other.write_text(json.dumps([{"not": "prowler"}]))
    refused = subprocess.run(
        [*matrix, "--evidence", str(other)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert refused.returncode == 2
    assert f"--evidence {other}: schema = 'list'" in refused.stderr and "Prowler's OCSF findings" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_known_findings_explain_by_check_and_resource():
    known = load_known_findings()
    assert {k.kind for k in known} == {"moto-gap", "design", "organization", "open"}
    bucket = "arn:aws:s3:::glz-demo-bcl-111122223333-us-east-1"
    assert explanation("s3_bucket_event_notifications_enabled", bucket, known).kind == "moto-gap"
    other = "arn:aws:s3:::glz-demo-variants-111122223333-us-east-1"
    assert explanation("s3_bucket_event_notifications_enabled", other, known).kind == "design"
    role = "arn:aws:iam::111122223333:role/glz-demo-admin"
    assert explanation("iam_role_administratoraccess_policy", role, known).kind == "design"
    someone = "arn:aws:iam::111122223333:role/someone-else"
    assert explanation("iam_role_administratoraccess_policy", someone, known) is None
    assert explanation("a_check_nobody_explained", bucket, known) is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"check": "x", "kind": "excuse", "reason": "r"}, r"findings\[0\]\.kind = 'excuse': allowed moto-gap, design"),
        ({"check": "x", "kind": "design"}, r"findings\[0\]\.reason = None: a non-empty string is required"),
        ({"check": "x", "kind": "design", "reason": "r", "resource": "("}, r"findings\[0\]\.resource = '\('"),
    ],
)
def test_a_malformed_known_finding_names_its_key(tmp_path, entry, message):
    path = tmp_path / "known.yaml"
    path.write_text(json.dumps({"findings": [entry]}))
    with pytest.raises(UserInputError, match=message):
        load_known_findings(path)


def test_the_shipped_known_findings_load():
    assert KNOWN_FINDINGS.is_file() and len(load_known_findings()) >= 20
    assert is_prowler_ocsf(json.loads(SCAN.read_text()))
    assert not is_prowler_ocsf({"schema": "glz-audit-evidence/1"})


def test_the_scan_fixture_is_what_its_readme_says():
    readme = (Path(SCAN).parent / "README.md").read_text()
    assert SCAN.name in readme and "Prowler 5.46.0" in readme


def test_the_docs_table_is_the_known_findings_file():
    from controls.scanner_evidence import known_findings_markdown

    text = (ROOT / "docs" / "scanners.md").read_text()
    start, end = "<!-- known-findings:start -->", "<!-- known-findings:end -->"
    table = text[text.index(start) + len(start) : text.index(end)]
    assert table.strip() == known_findings_markdown().strip(), "regenerate docs/scanners.md's table from the file"
