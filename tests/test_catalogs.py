"""The shipped requirement catalogs are complete and internally consistent.

Counts are the published ones (SP 800-171 r2: 110 in 14 families; r3: 97 active in 17 families, 33 withdrawn;
HIPAA 164.308-316: 22 standards, 46 implementation specifications), so a truncated or edited copy fails here.
"""

from __future__ import annotations

from collections import Counter

import pytest

from controls import catalog
from controls.catalog import FRAMEWORKS, HIPAA, R2, R3, Requirement

ALL = {
    R2: catalog.load_r2,
    R3: lambda: catalog.load_r3(include_withdrawn=True),
    HIPAA: catalog.load_hipaa,
}


@pytest.mark.parametrize("framework", sorted(ALL))
def test_every_id_once_and_well_formed(framework: str) -> None:
    reqs = ALL[framework]()
    counts = Counter(r.id for r in reqs)
    assert [i for i, n in counts.items() if n > 1] == []
    assert len(catalog.index(reqs)) == len(reqs)
    for r in reqs:
        assert r.framework == framework
        assert r.id and r.family_id and r.family and r.title and r.text and r.kind
        assert r.key == f"{framework}:{r.id}"


def test_index_rejects_duplicates() -> None:
    one = catalog.load_r2()[0]
    with pytest.raises(ValueError, match="duplicate"):
        catalog.index([one, one])


def test_r2_counts_types_and_families() -> None:
    reqs = catalog.load_r2()
    assert len(reqs) == 110
    assert Counter(r.kind for r in reqs) == {"basic": 30, "derived": 80}
    fams = catalog.families(reqs)
    assert len(fams) == 14
    assert [f.id for f in fams] == [f"3.{n}" for n in range(1, 15)]
    assert all(r.id.startswith(r.family_id + ".") for r in reqs)


def test_r2_dod_points_sum_to_313() -> None:
    reqs = catalog.load_r2()
    assert catalog.dod_points_total() == 313
    assert catalog.dod_points_total(reqs) == 313
    assert {r.extra["dod_points"] for r in reqs} == {0, 1, 3, 5}
    by_id = catalog.index(reqs)
    assert by_id["3.12.4"].extra["dod_points"] == 0  # the SSP: no value, no assessment without it
    assert by_id["3.1.1"].extra["dod_points"] == 5


def test_r2_mapping_and_objectives() -> None:
    reqs = catalog.load_r2()
    by_id = catalog.index(reqs)
    # Known gaps in the source data (see controls/catalogs/SOURCES.md); fail if they grow.
    assert [r.id for r in reqs if not r.extra["nist_800_53_r4"]] == ["3.12.4"]
    # SP 800-171A's 320 objectives, every requirement at least one (15 completed from SP 800-171A, SOURCES.md)
    assert [r.id for r in reqs if not r.extra["objectives"]] == []
    objectives = [o["id"] for r in reqs for o in r.extra["objectives"]]
    assert len(objectives) == len(set(objectives)) == 320
    counts = {r.id: len(r.extra["objectives"]) for r in reqs}
    assert (counts["3.1.1"], counts["3.11.2"], counts["3.13.8"], counts["3.1.9"], counts["3.11.3"]) == (6, 5, 3, 2, 2)
    letters = [o["id"][len(r.id) :] for r in reqs for o in r.extra["objectives"]]
    assert all(x.startswith("[") and x.endswith("]") for x in letters)
    assert all(o["id"].startswith(r.id + "[") and o["text"] for r in reqs for o in r.extra["objectives"])
    assert by_id["3.1.1"].extra["nist_800_53_r4"] == ["AC-2", "AC-3", "AC-17"]
    assert by_id["3.1.9"].extra["source_note"]


def test_r3_counts_and_families() -> None:
    active = catalog.load_r3()
    everything = catalog.load_r3(include_withdrawn=True)
    withdrawn = [r for r in everything if r.extra["withdrawn"]]
    assert len(active) == 97
    assert len(withdrawn) == 33
    assert len(everything) == 130
    assert all(r.kind == "requirement" and not r.extra["withdrawn"] for r in active)
    assert all(r.kind == "withdrawn" for r in withdrawn)
    assert len(catalog.families(active)) == 17
    assert len(catalog.families(everything)) == 17
    assert [f.id for f in catalog.families(active)] == [f"03.{n:02d}" for n in range(1, 18)]


def test_r3_withdrawn_are_accounted_for() -> None:
    """Each withdrawn ID links to the active requirements that took it over, or has a published reason."""
    everything = catalog.load_r3(include_withdrawn=True)
    active_ids = {r.id for r in everything if not r.extra["withdrawn"]}
    withdrawn = [r for r in everything if r.extra["withdrawn"]]
    for r in withdrawn:
        links = r.extra["withdrawal_links"]
        assert links or r.extra["withdrawal_reason"], r.id
        assert {link["to"] for link in links} <= active_ids, r.id
        assert {link["rel"] for link in links} <= {"incorporated_into", "addressed_by"}
    linked = [r for r in withdrawn if r.extra["withdrawal_links"]]
    unlinked = {r.id for r in withdrawn if not r.extra["withdrawal_links"]}
    assert len(linked) == 27
    # The official OSCAL has no successor for exactly these; the reason table must not drift from the data.
    assert unlinked == set(catalog.WITHDRAWAL_REASONS)


def test_r3_withdrawal_text_reads_like_the_publication() -> None:
    by_id = catalog.index(catalog.load_r3(include_withdrawn=True))
    assert by_id["03.01.14"].text == "Incorporated into 03.01.12."
    assert by_id["03.04.07"].text == "Incorporated into 03.04.06, 03.04.08."
    assert by_id["03.13.14"].text == "Technology-specific."
    assert by_id["03.12.04"].extra["withdrawal_links"] == [{"rel": "incorporated_into", "to": "03.15.02"}]
    assert by_id["03.01.01"].title == "Account Management"
    assert by_id["03.01.01"].extra["withdrawal_reason"] is None


def test_hipaa_counts_status_and_parents() -> None:
    reqs = catalog.load_hipaa()
    assert len(reqs) == 68
    standards = {r.id: r for r in reqs if r.kind == "standard"}
    specs = [r for r in reqs if r.kind == "implementation_specification"]
    assert len(standards) == 22
    assert len(specs) == 46
    assert all(r.extra["status"] is None and r.extra["parent"] is None for r in standards.values())
    assert Counter(r.extra["status"] for r in specs) == {"required": 24, "addressable": 22}
    for spec in specs:
        parent = standards.get(spec.extra["parent"])
        assert parent is not None, spec.id
        assert parent.family_id == spec.family_id == spec.extra["section"], spec.id
    fams = catalog.families(reqs)
    assert [f.id for f in fams] == ["164.308", "164.310", "164.312", "164.314", "164.316"]
    by_id = catalog.index(reqs)
    assert by_id["164.312(a)(2)(iv)"].extra["status"] == "addressable"
    assert by_id["164.316(b)(1)"].text.startswith("(i) Maintain the policies and procedures")
    assert set(catalog.HIPAA_TEXT_FILLS) <= set(by_id)


def test_frameworks_metadata_and_dispatch() -> None:
    assert set(FRAMEWORKS) == {R2, R3, HIPAA}
    for key, fw in FRAMEWORKS.items():
        assert fw.key == key
        assert fw.reference_url.startswith("https://")
        assert (catalog.CATALOG_DIR / fw.data_file).is_file()
        assert catalog.load(key)
    assert len(catalog.load(R3, include_withdrawn=True)) == 130
    with pytest.raises(KeyError):
        catalog.load("iso-27001")


def test_policy_rule_tags_resolve() -> None:
    """Every requirement a policy rule claims to evidence exists in the catalogs (r3: active, not withdrawn)."""
    from policies.rules import ALL_RULES

    keys = {r.key for loader in (catalog.load_r2, catalog.load_r3, catalog.load_hipaa) for r in loader()}
    claimed = {tag for rule in ALL_RULES for tag in rule.requirements.tags()}
    assert claimed, "no policy requirements found"
    assert claimed <= keys, sorted(claimed - keys)


def test_requirement_is_hashable_and_frozen() -> None:
    r: Requirement = catalog.load_r2()[0]
    assert hash(r) == hash(catalog.load_r2()[0])
    with pytest.raises(AttributeError):
        r.id = "x"  # type: ignore[misc]


def test_r3_determination_statements_are_the_official_catalogs():
    """SP 800-171A r3: 422 assessment objectives and one statement per ODP (88), for the 97 active requirements,
    extracted from NIST's OSCAL catalog whose digest SOURCES.md records."""
    import json

    from controls.catalog import CATALOG_DIR, R3_OBJECTIVES_FILE, r3_parameters

    source = json.loads((CATALOG_DIR / R3_OBJECTIVES_FILE).read_text())["source"]
    assert source["sha256"] in (CATALOG_DIR / "SOURCES.md").read_text()
    active = catalog.load(R3)
    statements = [o for r in active for o in r.extra["objectives"]]
    assert len([o for o in statements if o["kind"] == "statement"]) == sum(r.extra["objective_count"] for r in active)
    assert len([o for o in statements if o["kind"] == "statement"]) == 422
    assert len([o for o in statements if o["kind"] == "parameter"]) == len(r3_parameters()) == 88
    assert len({o["id"] for o in statements}) == len(statements)
    device_lock = next(r for r in active if r.id == "03.01.10").extra["objectives"]
    assert [o["id"] for o in device_lock] == [
        "A.03.01.10.ODP[01]",
        "A.03.01.10.ODP[02]",
        "A.03.01.10.a",
        "A.03.01.10.b",
        "A.03.01.10.c",
    ]
    assert device_lock[2]["text"] == "access to the system is prevented by {{A.03.01.10.ODP.01}}."


def test_a_parameter_value_for_an_unknown_odp_or_probe_field_is_refused(tmp_path):
    from controls.mapping import MappingError, r3_parameter_templates

    bad = tmp_path / "r3_parameters.yaml"
    bad.write_text(
        "parameters:\n"
        "  A.03.01.11.ODP.07: ten minutes\n"
        "  A.03.13.09.ODP.01: '{session_controls.idle_seconds} seconds'\n"
        "  A.03.05.12.ODP.01: ''\n"
    )
    with pytest.raises(MappingError) as error:
        r3_parameter_templates(bad)
    text = str(error.value)
    assert "parameters.A.03.01.11.ODP.07: not an ODP of SP 800-171 Rev. 3" in text
    assert "{session_controls.idle_seconds}: allowed fields" in text
    assert "parameters.A.03.05.12.ODP.01: the value template must be text" in text
