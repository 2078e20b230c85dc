"""The OSCAL SSPs validate with compliance-trestle's models and carry every matrix row with its status."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter

import pytest
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.ssp import SystemSecurityPlan

from controls.catalog import HIPAA, R2, R3, load
from controls.model import (
    STATUSES,
    AccountVerification,
    Matrix,
    ProbeResult,
    ResourceEntry,
    Row,
    RuleOutcome,
    SprsScore,
    StackInfo,
)
from controls.render.oscal import (
    NS,
    OscalValidationError,
    control_id,
    render_ssp,
    validate_ssp,
    write_ssps,
)

CATALOG_COUNTS = {R2: 110, R3: 97, HIPAA: 68}
# The contract, written out independently of the module's table.
EXPECTED_STATE = {
    "Implemented": "implemented",
    "Partially implemented": "partial",
    "Not implemented": "planned",
    "Inherited": "implemented",
    "Not applicable": "not-applicable",
}
RESPONSIBILITY_BY_STATUS = {
    "Implemented": "landing-zone",
    "Partially implemented": "shared",
    "Not implemented": "landing-zone",
    "Customer responsibility": "customer",
    "Inherited": "inherited",
    "Not applicable": "not-applicable",
}


def _hand_built_matrix(tmp_path) -> Matrix:
    """Every catalog requirement, statuses cycling through all six, probes on two components, evidence on some."""
    evidence = tmp_path / "evidence.json"
    evidence.write_text('{"schema": "glz-audit-evidence/1"}\n')
    trail = ProbeResult(
        name="trail",
        description="CloudTrail trail",
        satisfied=True,
        summary="Trail glz-demo-trail logs all regions with log file validation.",
        resources=("urn:pulumi:demo::genomics-landing-zone::aws:cloudtrail/trail:Trail::audit-trail",),
        names=("glz-demo-trail",),
        components=("AuditTrail audit",),
    )
    rotation = ProbeResult(
        name="key_rotation",
        description="KMS key rotation",
        satisfied=False,
        summary="Rotation is off on key glz-demo-data.",
        names=("glz-demo-data",),
        components=("EncryptionKeys keys",),
    )
    rule = RuleOutcome(rule_id="GLZ-LOG-001", title="Trail is multi-region", outcome="passed", checked=1, failed=0)
    rows: dict[str, list[Row]] = {}
    for framework in CATALOG_COUNTS:
        rows[framework] = []
        for i, req in enumerate(load(framework)):
            status = STATUSES[i % len(STATUSES)]
            responsibility = RESPONSIBILITY_BY_STATUS[status]
            technical = responsibility in ("landing-zone", "shared")
            rows[framework].append(
                Row(
                    framework=framework,
                    id=req.id,
                    family_id=req.family_id,
                    family=req.family,
                    title=req.title,
                    text=req.text,
                    kind=req.kind,
                    responsibility=responsibility,
                    status=status,
                    statement=f"Statement for {req.id}.",
                    customer_actions="Train staff yearly; keep records 6 years."
                    if responsibility in ("shared", "customer")
                    else "",
                    justification="AWS data centers (SOC 2)."
                    if responsibility in ("inherited", "not-applicable")
                    else "",
                    probes=[trail, rotation] if technical else [],
                    rules=[rule] if technical else [],
                    config_rules=["CLOUD_TRAIL_ENABLED"] if technical else [],
                    gaps=["key_rotation not satisfied"] if status == "Partially implemented" else [],
                    deviations=[],
                    verified=AccountVerification("verified", "trail observed", ("cloudtrail.logging",))
                    if i % 4 == 0
                    else None,
                    dod_points=int(req.extra["dod_points"]) if framework == R2 else None,
                    hipaa_status=req.extra.get("status") if framework == HIPAA else None,
                )
            )
    info = StackInfo(
        stack="demo",
        project="genomics-landing-zone",
        account="111122223333",
        region="us-east-1",
        classification="phi",
        state_source="build/demo/state.json",
        state_sha256="ab" * 32,
        generated_at="2026-11-23T19:40:00Z",
        tool_version="0.1.0",
        gate_passed=True,
        gate_summary="54 rules passed",
        evidence_source=str(evidence),
    )
    resources = [
        ResourceEntry(
            urn="urn:pulumi:demo::genomics-landing-zone::aws:cloudtrail/trail:Trail::audit-trail",
            type="aws:cloudtrail/trail:Trail",
            name="glz-demo-trail",
            component="AuditTrail audit",
            requirements=("nist-800-171-r2:3.3.1",),
        ),
        ResourceEntry(
            urn="urn:pulumi:demo::genomics-landing-zone::aws:iam/role:Role::operators-admin",
            type="aws:iam/role:Role",
            name="glz-demo-admin",
            component="OperatorRoles operators",
            requirements=(),
        ),
    ]
    sprs = SprsScore(maximum=110, score=110, deductions=(), attestations=None)
    return Matrix(info=info, rows=rows, resources=resources, findings=[], sprs=sprs, config_rules=[])


@pytest.fixture()
def hand_matrix(tmp_path) -> Matrix:
    return _hand_built_matrix(tmp_path)


@pytest.fixture()
def matrix(demo_matrix) -> Matrix:
    """The demo stack's matrix: the SSPs must validate on real content, not only on the hand-built one."""
    return demo_matrix


def _requirements(document: dict) -> list[dict]:
    return document["system-security-plan"]["control-implementation"]["implemented-requirements"]


def _prop(item: dict, name: str) -> list[str]:
    return [p["value"] for p in item.get("props", []) if p["name"] == name and p.get("ns") == NS]


def test_written_ssps_validate_after_a_json_round_trip(matrix, tmp_path):
    paths = write_ssps(matrix, tmp_path / "out")
    assert [p.name for p in paths] == [f"control-matrix-ssp-{fw}.json" for fw in (R2, R3, HIPAA)] + [
        f"control-matrix-catalog-{fw}.json" for fw in (R2, HIPAA)
    ]
    for path, framework in zip(paths[:3], (R2, R3, HIPAA), strict=True):
        text = path.read_text(encoding="utf-8")
        model = SystemSecurityPlan.model_validate_json(json.dumps(json.loads(text)["system-security-plan"]))
        assert model.metadata.oscal_version.root.root == OSCAL_VERSION
        assert len(model.control_implementation.implemented_requirements) == CATALOG_COUNTS[framework]
        # Serialising the model and reading it back must not lose a requirement either.
        again = SystemSecurityPlan.model_validate_json(model.model_dump_json(by_alias=True, exclude_none=True))
        assert len(again.control_implementation.implemented_requirements) == CATALOG_COUNTS[framework]
        ssp = json.loads(text)["system-security-plan"]
        components = {c["title"] for c in ssp["system-implementation"]["components"]}
        assert {c for row in matrix.rows[framework] for c in row.components} <= components
        assert len(ssp["system-implementation"]["inventory-items"]) == len(matrix.resources)
        state = ssp["back-matter"]["resources"][0]["rlinks"][0]["hashes"][0]["value"]
        assert state == matrix.info.state_sha256


@pytest.mark.parametrize("framework", [R2, R3, HIPAA])
def test_one_implemented_requirement_per_catalog_requirement(matrix, framework):
    document = render_ssp(matrix, framework)
    validate_ssp(document)
    control_ids = [req["control-id"] for req in _requirements(document)]
    assert len(control_ids) == len(set(control_ids)) == CATALOG_COUNTS[framework] == len(load(framework))
    assert [_prop(req, "requirement-id") for req in _requirements(document)] == [[r.id] for r in load(framework)]


def test_r3_control_ids_are_the_official_catalog_ids(matrix):
    # The official NIST OSCAL catalog (v1.0.0 XML in ../shared/catalogs, v1.1.0 JSON on oscal-content main) names
    # requirement 03.01.01 "SP_800_171_03.01.01", family 03.01 "SP_800_171_03.01".
    ids = [req["control-id"] for req in _requirements(render_ssp(matrix, R3))]
    assert ids == [f"SP_800_171_{r.id}" for r in load(R3)]
    assert all(re.fullmatch(r"SP_800_171_03\.\d\d\.\d\d", i) for i in ids)


def test_r3_parameters_the_stack_fixes_are_set_parameters_of_the_official_catalog(matrix, demo_state_document):
    """The r3 SSP sets the ODPs the settings fix, by the param ids of NIST's catalog; the value follows the state."""
    from controls.catalog import r3_parameters
    from tests.conftest import matrix_of

    document = render_ssp(matrix, R3)
    validate_ssp(document)
    by_control = {req["control-id"]: req for req in _requirements(document)}
    session = by_control["SP_800_171_03.01.11"]["set-parameters"]
    assert session == [
        {
            "param-id": "A.03.01.11.ODP.01",
            "values": [
                "a Session Manager session without input for 15 minutes; an operator role session reaching its "
                "maximum of one hour"
            ],
        }
    ]
    params = [p["param-id"] for req in _requirements(document) for p in req.get("set-parameters", [])]
    assert params and set(params) <= set(r3_parameters())
    assert not any("set-parameters" in req for req in _requirements(render_ssp(matrix, R2)))
    # the value is computed: a longer idle timeout in the deployed preferences shows in the parameter
    changed = copy.deepcopy(demo_state_document)
    for resource in changed["deployment"]["resources"]:
        if resource["type"] == "aws:ssm/document:Document":
            for section in ("inputs", "outputs"):
                content = json.loads(resource[section]["content"])
                content["inputs"]["idleSessionTimeout"] = "25"
                resource[section]["content"] = json.dumps(content)
    values = dict(next(r for r in matrix_of(changed).rows[R3] if r.id == "03.01.11").parameters)
    assert values["A.03.01.11.ODP.01"].startswith("a Session Manager session without input for 25 minutes")


def test_control_id_rules():
    assert control_id(R3, "03.13.11") == "SP_800_171_03.13.11"
    assert control_id(R2, "3.1.1") == "SP_800_171_R2_3.1.1"
    assert control_id(HIPAA, "164.308(a)(1)(ii)(A)") == "HIPAA_164.308_a_1_ii_A"
    assert control_id(HIPAA, "164.316(b)(1)") == "HIPAA_164.316_b_1"
    hipaa_ids = [control_id(HIPAA, r.id) for r in load(HIPAA)]
    assert len(set(hipaa_ids)) == len(hipaa_ids) == 68


@pytest.mark.parametrize("framework", [R2, R3, HIPAA])
def test_every_row_status_maps_into_the_ssp(hand_matrix, framework):
    document = render_ssp(hand_matrix, framework)
    by_control = {req["control-id"]: req for req in _requirements(document)}
    seen = Counter()
    for row in hand_matrix.rows[framework]:
        req = by_control[control_id(framework, row.id)]
        assert _prop(req, "status") == [row.status]
        assert _prop(req, "responsibility") == [row.responsibility]
        primary = req["by-components"][0]
        if row.status == "Customer responsibility":
            # the organization's part claims no state until it is attested (no plan asserted that nobody made)
            assert "implementation-status" not in primary and "Not assessed" in primary["remarks"], row.id
        else:
            assert primary["implementation-status"]["state"] == EXPECTED_STATE[row.status], row.id
            assert row.status in primary["implementation-status"]["remarks"]
        seen[row.status] += 1
    assert set(seen) == set(STATUSES)  # the hand-built matrix exercises every status


def test_requirement_content_reaches_the_ssp(hand_matrix):
    document = render_ssp(hand_matrix, R2)
    ssp = document["system-security-plan"]
    components = {c["uuid"]: c for c in ssp["system-implementation"]["components"]}
    titles = {c["title"] for c in components.values()}
    assert {"AuditTrail audit", "EncryptionKeys keys", "AWS (inherited)"} <= titles
    assert [c["type"] for c in components.values()].count("this-system") == 1
    rows = {row.id: row for row in hand_matrix.rows[R2]}
    for req in _requirements(document):
        row = rows[_prop(req, "requirement-id")[0]]
        descriptions = " ".join(b["description"] for b in req["by-components"])
        assert row.statement in descriptions
        if row.customer_actions:
            org = [b for b in req["by-components"] if components[b["component-uuid"]]["type"] == "process-procedure"]
            assert org and row.customer_actions in org[0]["description"]
            assert org[0]["responsible-roles"] == [{"role-id": "system-owner"}]
        if row.responsibility == "inherited":
            assert components[req["by-components"][0]["component-uuid"]]["title"] == "AWS (inherited)"
        assert _prop(req, "policy-rule") == [r.rule_id for r in row.rules]
        assert _prop(req, "aws-config-rule") == row.config_rules
        assert _prop(req, "account-verification") == ([row.verified.result] if row.verified else [])
        if row.probes:
            keys = next(
                b for b in req["by-components"] if components[b["component-uuid"]]["title"] == "EncryptionKeys keys"
            )
            assert keys["implementation-status"]["state"] == "planned"  # its only probe is not satisfied
    assert ssp["metadata"]["last-modified"] == hand_matrix.info.generated_at
    assert ssp["metadata"]["oscal-version"] == OSCAL_VERSION
    ids = [s["id"] for s in ssp["system-characteristics"]["system-ids"]]
    assert "111122223333" in ids and "genomics-landing-zone/demo" in ids
    assert "111122223333" in ssp["system-characteristics"]["authorization-boundary"]["description"]
    assert "ePHI" in ssp["system-characteristics"]["system-information"]["information-types"][0]["title"]
    items = ssp["system-implementation"]["inventory-items"]
    assert [_prop(i, "pulumi-urn")[0] for i in items] == [r.urn for r in hand_matrix.resources]
    admins = next(u for u in ssp["system-implementation"]["users"] if u["role-ids"] == ["admin"])
    assert _prop(admins, "iam-role") == ["glz-demo-admin"]
    resources = {r["title"]: r for r in ssp["back-matter"]["resources"]}
    state_hash = resources["Pulumi stack state"]["rlinks"][0]["hashes"][0]
    assert state_hash == {"algorithm": "SHA-256", "value": hand_matrix.info.state_sha256}
    assert resources["glz audit evidence"]["rlinks"][0]["hashes"][0]["algorithm"] == "SHA-256"


def test_import_profile_per_framework(hand_matrix):
    assert render_ssp(hand_matrix, R3)["system-security-plan"]["import-profile"]["href"].endswith(
        "nist.gov/SP800-171/rev3/json/NIST_SP800-171_rev3_catalog.json"
    )
    for framework in (R2, HIPAA):
        profile = render_ssp(hand_matrix, framework)["system-security-plan"]["import-profile"]
        assert (
            profile["href"] == f"control-matrix-catalog-{framework}.json" and "No official OSCAL" in profile["remarks"]
        )


def test_the_r2_and_hipaa_imports_resolve_to_validated_catalogs(matrix, tmp_path):
    """The href of each generated SSP's import names a file written beside it, an OSCAL catalog that validates
    and holds every control id the SSP implements; the r2 catalog carries the 320 SP 800-171A objectives."""
    from trestle.oscal.catalog import Catalog

    out = tmp_path / "out"
    write_ssps(matrix, out)
    for framework in (R2, HIPAA):
        ssp = json.loads((out / f"control-matrix-ssp-{framework}.json").read_text())["system-security-plan"]
        target = out / ssp["import-profile"]["href"]
        document = json.loads(target.read_text())
        Catalog.model_validate(document["catalog"])
        controls = {c["id"]: c for g in document["catalog"]["groups"] for c in g["controls"]}
        used = {r["control-id"] for r in ssp["control-implementation"]["implemented-requirements"]}
        assert used == set(controls) and len(used) == CATALOG_COUNTS[framework]
    r2 = json.loads((out / f"control-matrix-catalog-{R2}.json").read_text())["catalog"]
    objectives = [
        o
        for g in r2["groups"]
        for c in g["controls"]
        for part in c["parts"]
        if part["name"] == "assessment-objective"
        for o in part["parts"]
    ]
    assert len(objectives) == 320


def _break(document: dict, how: str) -> dict:
    broken = copy.deepcopy(document)
    ssp = broken["system-security-plan"]
    if how == "missing system-characteristics":
        del ssp["system-characteristics"]
    elif how == "bad uuid":
        _requirements(broken)[3]["uuid"] = "not-a-uuid"
    elif how == "control-id not a token":
        _requirements(broken)[0]["control-id"] = "3.1.1"
    elif how == "unknown field":
        ssp["system-implementation"]["colour"] = "blue"
    elif how == "duplicate uuid":
        _requirements(broken)[1]["uuid"] = _requirements(broken)[0]["uuid"]
    elif how == "undefined component":
        _requirements(broken)[0]["by-components"][0]["component-uuid"] = "00000000-0000-4000-8000-000000000000"
    elif how == "undefined role":
        _requirements(broken)[0]["responsible-roles"] = [{"role-id": "nobody"}]
    elif how == "bad datetime":
        ssp["metadata"]["last-modified"] = "2026-11-23 19:40"  # no time zone
    return broken


@pytest.mark.parametrize(
    ("how", "field"),
    [
        ("missing system-characteristics", "system-characteristics"),
        ("bad uuid", "implemented-requirements.3.uuid"),
        ("control-id not a token", "control-id"),
        ("unknown field", "colour"),
        ("duplicate uuid", "implemented-requirements.1.uuid"),
        ("bad datetime", "last-modified"),
        ("undefined component", "component-uuid"),
        ("undefined role", "role-id"),
    ],
)
def test_broken_ssp_fails_validation_naming_the_field(hand_matrix, how, field):
    document = render_ssp(hand_matrix, R2)
    validate_ssp(document)  # the unbroken one passes
    with pytest.raises(OscalValidationError, match=field.replace(".", r"\.")):
        validate_ssp(_break(document, how))


def test_nothing_is_written_when_a_framework_fails(hand_matrix, tmp_path):
    hand_matrix.rows[HIPAA][0].status = "Done"  # not a matrix status
    with pytest.raises(OscalValidationError, match="Done"):
        write_ssps(hand_matrix, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_uuids_are_stable_across_renders(hand_matrix, tmp_path):
    first = render_ssp(hand_matrix, R3)
    second = render_ssp(_hand_built_matrix(tmp_path), R3)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    uuids = [req["uuid"] for req in _requirements(first)]
    assert len(set(uuids)) == len(uuids)
    # Another framework uses other uuids for the same subjects' requirements; another state changes only the doc uuid.
    assert not set(uuids) & {req["uuid"] for req in _requirements(render_ssp(hand_matrix, R2))}
    hand_matrix.info = type(hand_matrix.info)(**{**hand_matrix.info.__dict__, "state_sha256": "cd" * 32})
    changed = render_ssp(hand_matrix, R3)
    assert changed["system-security-plan"]["uuid"] != first["system-security-plan"]["uuid"]
    assert [req["uuid"] for req in _requirements(changed)] == uuids


def _parts(document: dict) -> tuple[dict[str, str], list[tuple[dict, dict]]]:
    """(component uuid -> title, every (requirement, by-component) pair) of an SSP."""
    ssp = document["system-security-plan"]
    titles = {c["uuid"]: c["title"] for c in ssp["system-implementation"]["components"]}
    return titles, [(req, by) for req in _requirements(document) for by in req["by-components"]]


def test_each_probe_finding_is_stated_once_and_a_component_part_names_its_own_resources(matrix):
    """The this-system part carries every probe's finding for the whole stack; a component's part names the probe,
    its verdict and only that component's resources."""
    rows = {control_id(R2, row.id): row for row in matrix.rows[R2]}
    titles, parts = _parts(render_ssp(matrix, R2))
    checked_components = 0
    for req, by in parts:
        row = rows[req["control-id"]]
        title = titles[by["component-uuid"]]
        if title == f"{matrix.info.project} {matrix.info.stack}" and row.probes:
            remarks = [p["remarks"] for p in by["props"] if p["name"] == "probe"]
            assert [r.split("\n\n")[0] for r in remarks] == [p.summary for p in row.probes], row.id
        elif any(title in p.components for p in row.probes):
            checked_components += 1
            others = {n for p in row.probes for n in p.names} - {n for p in row.probes for n in p.names_in(title)}
            text = by["description"] + " ".join(p.get("remarks", "") for p in by.get("props", []))
            assert not [n for n in others if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)], (row.id, title)
            for probe in (p for p in row.probes if title in p.components):
                assert f"probe {probe.name}: " in by["description"] and all(
                    n in by["description"] for n in probe.names_in(title)
                )
    assert checked_components > 20


def test_the_ssp_grows_with_the_stack_not_with_components_times_resources(demo_state_document):
    """Twice the copies of the demo stack: the largest requirement of the SSP about twice as large (it was four
    times: every component's part repeated the probes' sentences about every resource)."""
    from controls.render.component_definition import render_component_definition
    from glz.scale import replicate
    from tests.conftest import matrix_of

    sizes, definitions = [], []
    for copies in (2, 4):
        matrix = matrix_of(replicate(demo_state_document, copies))
        sizes.append(max(len(json.dumps(req)) for req in _requirements(render_ssp(matrix, R2))))
        definitions.append(len(json.dumps(render_component_definition(matrix))))
    assert sizes[1] < 2.6 * sizes[0], sizes
    assert definitions[1] < 2.6 * definitions[0], definitions
