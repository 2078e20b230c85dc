"""Determinations and attestations: Met only on evidence, one SPRS score, bad attestation files refused.

With no attestation file the organization's parts are Not assessed; with a complete, current file every
requirement of the demo is Met but 3.13.11 (the demo does not deploy through FIPS endpoints), and the SPRS
score a test recomputes from the catalog's points alone is 110 - 3. An attestation not done, overdue, or a
failed live check makes the requirement Not met; a bad file is refused naming the key, value and what is
allowed, by the library, `glz attest` and `glz matrix`."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from controls import attestations as att
from controls import catalog
from controls.evidence import load_evidence
from tests.conftest import ROOT, matrix_of

TODAY = dt.date(2026, 11, 23)  # matrix_of's generation date
PLANNED = {"status": "not-done", "milestone": "Awareness module live", "owner": "Training lead", "due": "2027-03-31"}


def _complete(overrides: dict | None = None) -> dict:
    """Every customer action attested done, reviewed a year from now."""
    entries = {
        framework: {
            rid: {
                "status": "done",
                "by": "R. Osei (ISSO)",
                "date": "2026-10-01",
                "evidence": f"SSP section {rid}",
                "next_review": "2027-10-01",
            }
            for rid in records
        }
        for framework, records in att.attestable().items()
    }
    for (framework, rid), body in (overrides or {}).items():
        entries[framework][rid] = body
    return {"version": 1, "stack": "demo", "attestations": entries}


def _parsed(document: dict) -> att.Attestations:
    return att.parse(document, "compliance/demo.yaml", "demo", TODAY)


def _row(matrix, framework: str, rid: str):
    return next(r for r in matrix.rows[framework] if r.id == rid)


@pytest.fixture(scope="module")
def attested(demo_state_document):
    return matrix_of(demo_state_document, attestations=_parsed(_complete()))


def test_without_attestations_the_organizations_part_is_not_assessed(demo_matrix):
    for row in demo_matrix.all_rows():
        result = row.determination.result
        if row.responsibility == "customer":
            assert result == "Not assessed" and "not attested" in row.determination.reason
        elif row.responsibility == "landing-zone":
            assert result == "Met" and "test" in row.determination.methods, row.id
        elif row.responsibility == "inherited":
            assert result == "Met" and row.determination.basis[0].startswith("AWS: ")
    assert _row(demo_matrix, catalog.R2, "3.13.11").determination.result == "Not met"


def test_a_complete_attestation_file_gives_one_score_recomputed_from_the_catalog(attested):
    not_met = [r for r in attested.all_rows() if r.determination.result not in ("Met", "Not applicable")]
    assert [(r.framework, r.id) for r in not_met] == [(catalog.R2, "3.13.11"), (catalog.R3, "03.13.11")]
    # independently: 110 minus the catalog's points of each r2 requirement not met, at the methodology's partial
    # value for 3.13.11 (encryption employed, not FIPS-validated: 3 instead of 5)
    source = json.loads((ROOT / "controls/catalogs/nist_800_171_r2_requirements.json").read_text())
    points = {r["id"]: r["dod_assessment_methodology_points"] for r in source["requirements"]}
    assert points["3.13.11"] == 5 and len(points) == 110
    assert attested.sprs.score == 110 - 3 == 107
    assert attested.sprs.deductions == (("3.13.11", 3, attested.sprs.deductions[0][2]),)
    row = _row(attested, catalog.R2, "3.1.1")
    assert row.determination.result == "Met"
    assert any(b.startswith("organization: attested by R. Osei (ISSO) on 2026-10-01") for b in row.determination.basis)
    assert set(row.determination.methods) == {"test", "examine", "interview"}


def test_not_done_overdue_and_not_applicable_attestations(demo_state_document):
    overdue = {
        "status": "done",
        "by": "A. B.",
        "date": "2025-01-10",
        "evidence": "ticket 7",
        "next_review": "2026-01-10",
    }
    document = _complete(
        {
            (catalog.R2, "3.2.1"): {"status": "not-done"},
            (catalog.R2, "3.6.1"): overdue,
            (catalog.R2, "3.8.5"): {"status": "not-applicable", "justification": "the lab ships no media"},
        }
    )
    matrix = matrix_of(demo_state_document, attestations=_parsed(document))
    assert _row(matrix, catalog.R2, "3.2.1").determination.result == "Not met"
    late = _row(matrix, catalog.R2, "3.6.1").determination
    assert late.result == "Not met" and "due for review on 2026-01-10" in late.reason
    assert _row(matrix, catalog.R2, "3.8.5").determination.result == "Not applicable"
    points = {r.id: r.extra["dod_points"] for r in catalog.load_r2()}
    assert matrix.sprs.score == 110 - 3 - points["3.2.1"] - points["3.6.1"]


def test_a_failed_live_check_makes_the_requirement_not_met(tmp_path, demo_state_document):
    from tests.test_matrix import TRAIL_NOT_LOGGING, evidence_file

    checks = [TRAIL_NOT_LOGGING]
    evidence = load_evidence(evidence_file(tmp_path, checks), "111122223333")
    matrix = matrix_of(demo_state_document, evidence=evidence, attestations=_parsed(_complete()))
    row = _row(matrix, catalog.R2, "3.3.1")
    assert row.status == "Implemented"  # the stack still declares the trail
    assert row.determination.result == "Not met" and "drift" in row.determination.reason
    assert "3.3.1" in {rid for rid, _, _ in matrix.sprs.deductions}


def test_a_shared_row_whose_stack_part_fails_is_not_met_even_when_attested(demo_state_document):
    from tests.test_matrix import apply, remove

    weakened = apply(demo_state_document, remove("aws:cloudtrail/trail:Trail"))
    row = _row(matrix_of(weakened, attestations=_parsed(_complete())), catalog.R2, "3.3.2")
    assert row.responsibility == "shared" and row.determination.result == "Not met"
    assert "trail" in row.determination.reason.lower()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["attestations"].update({"nist-800-171-r4": {}}),
            "attestations.nist-800-171-r4: unknown framework",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"].update({"3.1.99": {"status": "done"}}),
            "attestations.nist-800-171-r2.3.1.99: no such requirement",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"].update({"3.13.1 ": {"status": "done"}}),
            "did you mean 3.13.1?",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"].update({"3.3.1": {"status": "done"}}),
            "its responsibility is landing-zone",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"]["3.1.1"].update({"status": "dun"}),
            "3.1.1.status = 'dun': allowed done, not-done, not-applicable",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"]["3.1.1"].pop("evidence"),
            "3.1.1.evidence: required when status is done",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"]["3.1.1"].update({"date": "2027-01-01"}),
            "3.1.1.date = 2027-01-01: in the future",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"]["3.1.1"].update({"next_review": "2026-09-01"}),
            "3.1.1.next_review = 2026-09-01: must come after date 2026-10-01",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"]["3.1.1"].update({"date": "1st of May"}),
            "3.1.1.date = '1st of May': not a date; allowed: YYYY-MM-DD",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"]["3.1.1"].update({"reviewer": "x"}),
            "3.1.1.reviewer: unknown field",
        ),
        (
            lambda d: d["attestations"]["nist-800-171-r2"].update({"3.8.5": {"status": "not-applicable"}}),
            "3.8.5.justification: required when status is not-applicable",
        ),
        (lambda d: d.update({"stack": "prod"}), "stack = 'prod': this file is for another stack"),
        (lambda d: d.update({"version": 2}), "version = 2: allowed 1"),
    ],
)
def test_a_bad_attestation_file_names_the_key_the_value_and_what_is_allowed(change, message):
    document = _complete()
    change(document)
    with pytest.raises(att.AttestationError) as raised:
        _parsed(document)
    assert any(message in problem for problem in raised.value.problems), raised.value.problems


def _glz(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glz.cli", "--project-dir", str(project), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_glz_attest_init_check_and_overdue(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    path = tmp_path / "compliance" / "demo.yaml"
    first = _glz(tmp_path, "attest", "--stack", "demo", "--init")
    assert first.returncode == 0, first.stderr
    assert path.exists() and "customer actions to attest" in first.stdout
    again = _glz(tmp_path, "attest", "--stack", "demo", "--init")
    assert again.returncode == 2 and "pass --force" in again.stderr
    checked = _glz(tmp_path, "attest", "--stack", "demo")
    assert checked.returncode == 0 and "nist-800-171-r2: 0 done, 101 not done" in checked.stdout
    document = yaml.safe_load(path.read_text())
    document["attestations"]["nist-800-171-r2"]["3.1.1"] = {
        "status": "done",
        "by": "A. B.",
        "date": "2024-01-01",
        "evidence": "x",
        "next_review": "2025-01-01",
    }
    path.write_text(yaml.safe_dump(document))
    late = _glz(tmp_path, "attest", "--stack", "demo")
    assert late.returncode == 1 and "overdue: nist-800-171-r2 3.1.1: review was due 2025-01-01" in late.stdout
    as_json = _glz(tmp_path, "attest", "--stack", "demo", "--json")  # issue 18: one document for CI
    assert as_json.returncode == 1, as_json.stderr
    printed = json.loads(as_json.stdout)
    assert printed["exitCode"] == 1 and printed["verdict"].startswith("OVERDUE")
    assert printed["summary"]["overdue"] == [
        {"framework": "nist-800-171-r2", "requirement": "3.1.1", "nextReview": "2025-01-01"}
    ]
    r2 = printed["summary"]["frameworks"]["nist-800-171-r2"]
    assert r2["notDone"] == r2["total"] - 1 and r2["done"] == 0
    document["attestations"]["nist-800-171-r2"]["3.1.1"]["status"] = "finished"
    path.write_text(yaml.safe_dump(document))
    bad = _glz(tmp_path, "attest", "--stack", "demo")
    assert bad.returncode == 2 and "3.1.1.status = 'finished'" in bad.stderr and "Traceback" not in bad.stderr


def test_the_template_lists_every_customer_action_once_and_parses():
    document = yaml.safe_load(att.template("demo"))
    parsed = _parsed(document)
    assert len(parsed.entries) == sum(len(r) for r in att.attestable().values()) >= 200
    assert {a.status for a in parsed.entries.values()} == {"not-done"}


def test_the_ssp_states_the_organizations_part_only_as_attested(demo_state_document, demo_matrix):
    from controls.render.oscal import control_id, render_ssp

    def organization_part(matrix, rid):
        document = render_ssp(matrix, catalog.R2)
        requirements = document["system-security-plan"]["control-implementation"]["implemented-requirements"]
        req = next(r for r in requirements if r["control-id"] == control_id(catalog.R2, rid))
        determination = next(p for p in req["props"] if p["name"] == "determination")
        return req["by-components"][0], determination

    unattested, determination = organization_part(demo_matrix, "3.2.1")
    assert "implementation-status" not in unattested and determination["value"] == "Not assessed"
    matrix = matrix_of(demo_state_document, attestations=_parsed(_complete({(catalog.R2, "3.2.1"): PLANNED})))
    part, determination = organization_part(matrix, "3.2.1")
    assert part["implementation-status"]["state"] == "planned"
    assert "Awareness module live; owner Training lead; due 2027-03-31" in part["implementation-status"]["remarks"]
    assert determination["value"] == "Not met"
    done, determination = organization_part(matrix, "3.2.2")
    assert done["implementation-status"]["state"] == "implemented" and determination["value"] == "Met"


def test_the_poam_lists_every_open_requirement_with_its_plan(tmp_path, demo_state_document, demo_matrix):
    from controls.render.poam import poam_records, render_poam, validate_poam, write_poams

    matrix = matrix_of(demo_state_document, attestations=_parsed(_complete({(catalog.R2, "3.2.1"): PLANNED})))
    document = render_poam(matrix, catalog.R2)
    validate_poam(document)
    body = document["plan-of-action-and-milestones"]
    assert body["import-ssp"]["href"] == "control-matrix-ssp-nist-800-171-r2.json"
    titles = [item["title"].split(":")[0] for item in body["poam-items"]]
    assert titles == ["3.2.1", "3.13.11"]
    risk = next(r for r in body["risks"] if r["title"].startswith("3.2.1"))
    assert risk["deadline"].startswith("2027-03-31") and risk["remediations"][0]["title"] == "Awareness module live"
    fips = next(r for r in body["risks"] if r["title"].startswith("3.13.11"))
    assert "remediations" not in fips and "fips_endpoints" in fips["statement"]
    records = [
        r for r in poam_records(matrix) if r["Framework"].startswith("NIST SP 800-171 Rev. 2") or r["ID"] == "3.2.1"
    ]
    assert {r["ID"] for r in records} >= {"3.2.1", "3.13.11"}
    # without attestations every customer part is open, and each is an item
    paths = write_poams(demo_matrix, tmp_path)
    assert len(paths) == 3
    r2 = json.loads(paths[0].read_text())["plan-of-action-and-milestones"]
    open_r2 = [r for r in demo_matrix.rows[catalog.R2] if r.determination.result in ("Not met", "Not assessed")]
    assert len(r2["poam-items"]) == len(open_r2) > 90


def test_the_cmmc_and_nih_views_follow_the_determinations(demo_state_document, demo_matrix):
    from controls.render.views import practice_id, render_cmmc, render_nih

    assert (practice_id("3.1.1"), practice_id("3.10.1"), practice_id("3.14.7")) == (
        "AC.L2-3.1.1",
        "PE.L2-3.10.1",
        "SI.L2-3.14.7",
    )
    attested = matrix_of(demo_state_document, attestations=_parsed(_complete()))
    cmmc = render_cmmc(attested)
    assert "SPRS score: **107** of 110" in cmmc and "Assessment objectives (SP 800-171A): 320" in cmmc
    assert cmmc.count("| AC.L2-3.1.") == 22 and "| SC.L2-3.13.11 | 5 | Not met |" in cmmc
    nih = render_nih(attested)
    assert "Open items** (1 requirements" in nih and "- 3.13.11 Not met: fips_endpoints" in nih
    unattested = render_nih(demo_matrix)
    assert "What the institution attests** (0 requirements" in unattested


def test_the_component_definition_lists_what_each_component_implements(tmp_path, demo_matrix):
    from trestle.oscal.component import ComponentDefinition

    from controls.render.component_definition import write_component_definition
    from controls.render.oscal import control_id

    (path,) = write_component_definition(demo_matrix, tmp_path)
    document = json.loads(path.read_text())["component-definition"]
    ComponentDefinition.model_validate(document)
    components = {c["title"]: c for c in document["components"]}
    trail = components["AuditTrail audit"]
    r2 = next(
        ci for ci in trail["control-implementations"] if ci["source"] == "control-matrix-catalog-nist-800-171-r2.json"
    )
    implemented = {r["control-id"] for r in r2["implemented-requirements"]}
    expected = {
        control_id(catalog.R2, r.id) for r in demo_matrix.rows[catalog.R2] if "AuditTrail audit" in r.components
    }
    assert implemented == expected and control_id(catalog.R2, "3.3.1") in implemented


def test_the_html_matrix_shows_the_determinations(demo_state_document):
    from controls.render.html import render_html

    html = render_html(matrix_of(demo_state_document, attestations=_parsed(_complete())))
    assert 'id="determination-counts"' in html and "Met 109, Not met 1" in html
    assert html.count('data-determination="Not met" data-family-id') == 2  # the rows of 3.13.11 and 03.13.11


def test_assessment_results_are_written_only_from_account_evidence(tmp_path, demo_state_document, demo_matrix):
    from trestle.oscal.assessment_plan import AssessmentPlan
    from trestle.oscal.assessment_results import AssessmentResults

    from controls.render.assessment import write_assessment
    from controls.render.oscal_catalog import render_catalog
    from tests.test_matrix import TRAIL_NOT_LOGGING, evidence_file

    assert write_assessment(demo_matrix, tmp_path / "none") == []
    checks = [
        TRAIL_NOT_LOGGING,
        {"id": "kms.rotation", "resource": "alias/glz-demo-data", "probes": ["key_rotation"], "result": "pass"},
    ]
    evidence = load_evidence(evidence_file(tmp_path, checks), "111122223333")
    matrix = matrix_of(demo_state_document, evidence=evidence, attestations=_parsed(_complete()))
    names = [p.name for p in write_assessment(matrix, tmp_path / "out")]
    assert len(names) == 6
    plan = json.loads((tmp_path / "out" / "control-matrix-ap-nist-800-171-r2.json").read_text())["assessment-plan"]
    AssessmentPlan.model_validate(plan)
    assert plan["import-ssp"]["href"] == "control-matrix-ssp-nist-800-171-r2.json"
    results = json.loads((tmp_path / "out" / "control-matrix-ar-nist-800-171-r2.json").read_text())[
        "assessment-results"
    ]
    AssessmentResults.model_validate(results)
    assert results["import-ap"]["href"] == "control-matrix-ap-nist-800-171-r2.json"
    (result,) = results["results"]
    assert result["start"] == "2026-11-23T12:00:00Z" and len(result["findings"]) == 110
    by_title = {f["title"].split(" ")[0]: f for f in result["findings"]}
    trail = by_title["3.3.1"]
    assert trail["target"]["status"]["state"] == "not-satisfied" and "drift" in trail["description"]
    observation = next(
        o for o in result["observations"] if o["uuid"] == trail["related-observations"][0]["observation-uuid"]
    )
    assert observation["methods"] == ["TEST"] and "trail is not logging" in observation["description"]
    assert by_title["3.1.1"]["target"]["status"]["state"] == "satisfied"
    # every target is a statement part of the catalog the SSP imports
    catalog_r2 = render_catalog(catalog.R2, "2026-11-23T12:00:00Z", "test")["catalog"]
    statements = {
        p["id"] for g in catalog_r2["groups"] for c in g["controls"] for p in c["parts"] if p["name"] == "statement"
    }
    assert {f["target"]["target-id"] for f in result["findings"]} <= statements


LEVERAGED = {
    "title": "AWS US East/West",
    "package_id": "AGENCYAMAZONEW",
    "date_authorized": "2016-06-21",
    "source": "FedRAMP Marketplace, read 2026-11-30",
}


def test_a_leveraged_authorization_the_organization_records_is_in_every_ssp(demo_state_document):
    from trestle.oscal.ssp import SystemSecurityPlan

    from controls.render.oscal import render_ssp, validate_ssp

    document = _complete()
    document["leveraged_authorizations"] = [LEVERAGED]
    matrix = matrix_of(demo_state_document, attestations=_parsed(document))
    for framework in (catalog.R2, catalog.R3, catalog.HIPAA):
        ssp = render_ssp(matrix, framework)
        validate_ssp(ssp)
        SystemSecurityPlan.model_validate(ssp["system-security-plan"])
        (leveraged,) = ssp["system-security-plan"]["system-implementation"]["leveraged-authorizations"]
        assert leveraged["title"] == "AWS US East/West" and leveraged["date-authorized"] == "2016-06-21"
        parties = {p["uuid"]: p for p in ssp["system-security-plan"]["metadata"]["parties"]}
        assert parties[leveraged["party-uuid"]]["name"].startswith("Amazon Web Services")
    # without one recorded, the SSP claims none
    plain = render_ssp(matrix_of(demo_state_document, attestations=_parsed(_complete())), catalog.R2)
    assert "leveraged-authorizations" not in plain["system-security-plan"]["system-implementation"]


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({**LEVERAGED, "date_authorized": "soon"}, "leveraged_authorizations[0].date_authorized = 'soon': not a date"),
        ({**LEVERAGED, "date_authorized": "2027-06-01"}, "date_authorized = 2027-06-01: in the future"),
        ({k: v for k, v in LEVERAGED.items() if k != "package_id"}, "leveraged_authorizations[0]: package_id missing"),
        ({**LEVERAGED, "level": "High"}, "unknown key(s) level; allowed: title, package_id, date_authorized, source"),
    ],
)
def test_a_bad_leveraged_authorization_is_named(entry, named):
    document = _complete()
    document["leveraged_authorizations"] = [entry]
    with pytest.raises(att.AttestationError) as raised:
        _parsed(document)
    assert named in str(raised.value)
