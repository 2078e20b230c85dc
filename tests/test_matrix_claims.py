"""A sentence of the matrix is a claim: change the property in the state and the sentence changes with it.

Each case below once was a typed sentence (issue 15's overclaims): operator session length and MFA age, EFS
TLS, and the like. The demo matrix says one thing; the mutated state's matrix says what the mutation made
true, in the same rows."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from tests.conftest import matrix_of


def _resources(document: dict) -> list[dict]:
    return document["deployment"]["resources"]


def _role(document: dict, name: str) -> dict:
    return next(r for r in _resources(document) if r["type"] == "aws:iam/role:Role" and r["inputs"]["name"] == name)


def _statements(matrix, framework: str, ids: tuple[str, ...]) -> dict[str, str]:
    rows = {r.id: r for r in matrix.rows[framework]}
    return {rid: rows[rid].statement for rid in ids}


@pytest.fixture(scope="module")
def demo(demo_matrix):
    return demo_matrix


def _mutated(demo_state_document: dict, change: Callable[[dict], None]):
    document = copy.deepcopy(demo_state_document)
    change(document)
    return matrix_of(document)


def _longer_operator_sessions(document: dict) -> None:
    for name in ("glz-demo-admin", "glz-demo-security-auditor", "glz-demo-break-glass"):
        for props in (_role(document, name)["inputs"], _role(document, name)["outputs"]):
            props["maxSessionDuration"] = 7200


def _older_mfa(document: dict) -> None:
    for name in ("glz-demo-admin", "glz-demo-security-auditor", "glz-demo-break-glass"):
        role = _role(document, name)
        for props in (role["inputs"], role["outputs"]):
            trust = json.loads(props["assumeRolePolicy"])
            for statement in trust["Statement"]:
                statement["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"] = "43200"
            props["assumeRolePolicy"] = json.dumps(trust)


def _efs_without_tls(document: dict) -> None:
    policy = next(r for r in _resources(document) if r["type"] == "aws:efs/fileSystemPolicy:FileSystemPolicy")
    for props in (policy["inputs"], policy["outputs"]):
        parsed = json.loads(props["policy"])
        parsed["Statement"] = [s for s in parsed["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
        for statement in parsed["Statement"]:
            statement.get("Condition", {}).get("Bool", {}).pop("aws:SecureTransport", None)
        props["policy"] = json.dumps(parsed)


def _trail_silence_unwatched(document: dict) -> None:
    document["deployment"]["resources"] = [
        r for r in _resources(document) if not r["urn"].endswith("::audit-trail-silent")
    ]


CLAIMS = [
    (
        "operator session length",
        _longer_operator_sessions,
        [
            ("nist-800-171-r2", "3.1.11"),
            ("nist-800-171-r2", "3.1.5"),
            ("nist-800-171-r3", "03.13.09"),
            ("hipaa", "164.312(a)(2)(iii)"),
        ],
        "one hour",
        "2 hours",
    ),
    (
        "operator MFA age",
        _older_mfa,
        [("nist-800-171-r2", "3.5.3"), ("nist-800-171-r3", "03.05.01")],
        "one hour",
        "12 hours",
    ),
    (
        "EFS TLS",
        _efs_without_tls,
        [("nist-800-171-r3", "03.13.15"), ("nist-800-171-r3", "03.13.08")],
        "refuses every mount without TLS",
        "does NOT enforce TLS",
    ),
    (
        "logging failure alarmed",
        _trail_silence_unwatched,
        [("nist-800-171-r2", "3.3.4"), ("nist-800-171-r3", "03.03.04")],
        "receives no events for an hour",
        "Not alarmed",
    ),
]


@pytest.mark.parametrize(("what", "change", "rows", "before", "after"), CLAIMS, ids=[c[0] for c in CLAIMS])
def test_the_sentence_follows_the_property(demo, demo_state_document, what, change, rows, before, after):
    mutated = _mutated(demo_state_document, change)
    for framework, rid in rows:
        (was,) = _statements(demo, framework, (rid,)).values()
        (now,) = _statements(mutated, framework, (rid,)).values()
        assert before in was and after not in was, (rid, was)
        assert after in now, (rid, now)


def _classification(value: str) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        for resource in _resources(document):
            if resource["type"] == "pulumi:providers:aws":
                for props in (resource["inputs"], resource.get("outputs", {})):
                    tags = props.get("defaultTags")
                    if isinstance(tags, str):
                        parsed = json.loads(tags)
                        parsed["tags"]["DataClassification"] = value
                        props["defaultTags"] = json.dumps(parsed)
                    elif isinstance(tags, dict):
                        tags["tags"]["DataClassification"] = value

    return change


@pytest.mark.parametrize("value", ["public", "internal", "PHI "])
def test_a_tag_that_is_no_cui_marking_does_not_mark_storage(demo, demo_state_document, value):
    rows = (("nist-800-171-r2", "3.8.4"), ("nist-800-171-r3", "03.08.04"))
    mutated = _mutated(demo_state_document, _classification(value))
    for framework, rid in rows:
        before = next(r for r in demo.rows[framework] if r.id == rid)
        after = next(r for r in mutated.rows[framework] if r.id == rid)
        assert before.status == "Implemented (shared)" or before.status.startswith("Implemented"), before.status
        assert not after.status.startswith("Implemented"), after.status
        assert "not a CUI or PHI marking" in after.statement or "differs from" in after.statement


def _fips(document: dict) -> None:
    for resource in _resources(document):
        if resource["type"] == "pulumi:providers:aws":
            resource["inputs"]["useFipsEndpoint"] = "true"


def test_fips_in_transit_is_claimed_only_when_the_provider_uses_fips_endpoints(demo, demo_state_document):
    mutated = _mutated(demo_state_document, _fips)
    for framework, rid in (("nist-800-171-r2", "3.13.11"), ("nist-800-171-r3", "03.13.11")):
        before = next(r for r in demo.rows[framework] if r.id == rid)
        after = next(r for r in mutated.rows[framework] if r.id == rid)
        assert "do not use FIPS 140-validated TLS endpoints" in before.statement
        assert not before.status.startswith("Implemented"), before.status
        assert "uses the services' FIPS endpoints" in after.statement
        assert after.status.startswith("Implemented"), after.status


def _without_guardduty(document: dict) -> None:
    document["deployment"]["resources"] = [
        r for r in _resources(document) if not r["type"].startswith("aws:guardduty/")
    ]


# The one sentence that may name GuardDuty without it: the alarm on changes to the monitoring plane, which
# watches GuardDuty's API calls in CloudTrail whether or not a detector exists.
MONITORING_PLANE_ALARM = "every change to the monitoring plane (GuardDuty"


def _guardduty_sentences(matrix) -> list[tuple[str, str]]:
    import re

    found = []
    for row in matrix.all_rows():
        for sentence in re.split(r"(?<=[.;])\s", row.statement.replace(MONITORING_PLANE_ALARM, "")):
            if "GuardDuty" in sentence:
                found.append((row.id, sentence))
    return found


def test_without_guardduty_no_statement_says_it_watches(demo, demo_state_document):
    assert len(_guardduty_sentences(demo)) >= 20
    mutated = _mutated(demo_state_document, _without_guardduty)
    assert _guardduty_sentences(mutated) == []
    rows = {(r.framework, r.id): r for r in mutated.all_rows()}
    assert (
        "No GuardDuty" in " ".join(rows[("nist-800-171-r2", "3.14.6")].gaps) or rows[("nist-800-171-r2", "3.14.6")].gaps
    )
    # what is not GuardDuty's stays: the trail, Security Hub and the alarms
    assert "Trail glz-demo-trail delivers to CloudWatch Logs" in rows[("nist-800-171-r2", "3.3.5")].statement
    assert (
        "Security Hub aggregates findings from AWS Config and IAM Access Analyzer against"
        in rows[("nist-800-171-r2", "3.3.5")].statement
    )


@pytest.fixture(scope="module")
def nat_state_document(tmp_path_factory) -> dict:
    """The demo stack with NAT egress (its own project: two stacks of one account would conflict)."""
    import shutil

    from tests.conftest import ROOT, synthesized

    project = tmp_path_factory.mktemp("nat-egress")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    config = (ROOT / "Pulumi.demo.yaml").read_text()
    (project / "Pulumi.nat.yaml").write_text(config.replace("egress: none", "egress: nat-gateway"))
    return synthesized(project, "nat", project)


def test_public_subnets_are_not_counted_as_private(demo, nat_state_document):
    nat = matrix_of(nat_state_document)
    for matrix, expected in ((demo, "with 3 private subnets;"), (nat, "with 3 private subnets and 3 public subnets")):
        rows = {r.id: r for r in matrix.rows["nist-800-171-r2"]}
        assert expected in rows["3.13.1"].statement, rows["3.13.1"].statement


def _kind(responsibility: str) -> str:
    """landing-zone and shared are one kind: r3's organization-defined parameters make many of r2's
    landing-zone requirements shared without changing who builds the technical part."""
    return "technical" if responsibility in ("landing-zone", "shared") else responsibility


def test_r2_and_r3_agree_on_who_is_responsible_where_they_map():
    """Requirements with the same number in r2 and r3 (3.10.1 and 03.10.01) that r3 did not withdraw say the
    same thing; their responsibility is of one kind."""
    import yaml

    from controls import catalog
    from tests.conftest import ROOT

    r2 = yaml.safe_load((ROOT / "controls/mapping/nist_800_171_r2.yaml").read_text())["requirements"]
    r3 = yaml.safe_load((ROOT / "controls/mapping/nist_800_171_r3.yaml").read_text())["requirements"]
    active = {r.id for r in catalog.load(catalog.R3)}
    pairs, disagree = 0, []
    for rid, record in r2.items():
        family, group, number = rid.split(".")
        twin = f"0{family}.{int(group):02d}.{int(number):02d}"
        if twin in r3 and twin in active:
            pairs += 1
            if _kind(record["responsibility"]) != _kind(r3[twin]["responsibility"]):
                disagree.append((rid, record["responsibility"], twin, r3[twin]["responsibility"]))
    assert pairs >= 60
    assert disagree == []


def test_the_strict_count_counts_only_requirements_a_proven_rule_reads(demo_state_document, demo, monkeypatch):
    from controls import matrix as matrix_module
    from controls.mapping import load_all
    from policies.rules import RULES_BY_ID

    counts = tuple(demo.strict_count(fw) for fw in ("nist-800-171-r2", "nist-800-171-r3", "hipaa"))
    assert counts == (71, 64, 40)
    assert all(r.responsibility in ("landing-zone", "shared") for r in demo.all_rows() if r.strictly_automated)
    # with one proven rule, only the requirements that rule is written for count
    monkeypatch.setattr(matrix_module, "proven_rules", lambda: frozenset({"GLZ-LOG-001"}))
    counted = {r.id for r in matrix_of(demo_state_document).rows["nist-800-171-r2"] if r.strictly_automated}
    named = {rid for rid, record in load_all()["nist-800-171-r2"].items() if "GLZ-LOG-001" in record.rules}
    assert counted and counted <= set(RULES_BY_ID["GLZ-LOG-001"].requirements.r2) | named


def _unused_access_after_a_year(document: dict) -> None:
    analyzer = next(
        r
        for r in _resources(document)
        if r["type"] == "aws:accessanalyzer/analyzer:Analyzer" and r["inputs"]["type"] == "ACCOUNT_UNUSED_ACCESS"
    )
    for props in (analyzer["inputs"], analyzer["outputs"]):
        props["configuration"]["unusedAccess"]["unusedAccessAge"] = 365


def test_the_inactivity_period_is_the_analyzers(demo_state_document, demo):
    """3.5.6 and the r3 inactivity ODP say the analyzer's period; lengthen it and both say the new one."""
    before = _statements(demo, "nist-800-171-r2", ("3.5.6",))["3.5.6"]
    assert "unused for 90 days" in before
    r3 = {r.id: r for r in demo.rows["nist-800-171-r3"]}["03.01.01"]
    assert dict(r3.parameters)["A.03.01.01.ODP.01"].startswith("90 days without use")
    after = _mutated(demo_state_document, _unused_access_after_a_year)
    row = {r.id: r for r in after.rows["nist-800-171-r2"]}["3.5.6"]
    assert "unused for 365 days" in row.statement
    assert row.status != {r.id: r for r in demo.rows["nist-800-171-r2"]}["3.5.6"].status
    assert any("GLZ-ACC-013 failed" in gap for gap in row.gaps)
    changed = {r.id: r for r in after.rows["nist-800-171-r3"]}["03.01.01"]
    assert dict(changed.parameters)["A.03.01.01.ODP.01"].startswith("365 days without use")


def _rows_follow(demo, after, rows: set[tuple[str, str]], before_says: str, after_says: str, rule: str) -> None:
    """Each (framework, requirement) row says ``before_says`` on the demo and ``after_says`` (with ``rule`` among
    its gaps) once the property is weakened."""
    for framework, requirement in rows:
        before = {r.id: r for r in demo.rows[framework]}[requirement]
        assert before_says in before.statement, requirement
        row = {r.id: r for r in after.rows[framework]}[requirement]
        assert after_says in row.statement and before_says not in row.statement, requirement
        assert any(f"{rule} failed" in gap for gap in row.gaps), requirement


def _insights_off(document: dict) -> None:
    trail = next(r for r in _resources(document) if r["type"] == "aws:cloudtrail/trail:Trail")
    for props in (trail["inputs"], trail["outputs"]):
        props.pop("insightSelectors", None)


def test_unusual_activity_sentences_follow_the_trails_insights(demo_state_document, demo):
    """3.14.7, 03.14.06 and 164.308(a)(1)(ii)(D) say Insights flag unusual API activity only while the trail has them."""
    rows = {("nist-800-171-r2", "3.14.7"), ("nist-800-171-r3", "03.14.06"), ("hipaa", "164.308(a)(1)(ii)(D)")}
    after = _mutated(demo_state_document, _insights_off)
    _rows_follow(
        demo,
        after,
        rows,
        "records unusual activity as Insights events, whose start raises the security alarm",
        "has no CloudTrail Insights of type ApiCallRateInsight, ApiErrorRateInsight",
        "GLZ-LOG-014",
    )


def _support_detached(document: dict) -> None:
    document["deployment"]["resources"] = [
        r for r in _resources(document) if not r["urn"].endswith("::operators-support-access")
    ]


def test_incident_reporting_sentences_follow_the_support_role(demo_state_document, demo):
    """3.6.2, 03.06.02 and 164.308(a)(6)(ii) name the AWS Support role only while it can work cases."""
    rows = {("nist-800-171-r2", "3.6.2"), ("nist-800-171-r3", "03.06.02"), ("hipaa", "164.308(a)(6)(ii)")}
    after = _mutated(demo_state_document, _support_detached)
    _rows_follow(
        demo,
        after,
        rows,
        "worked with AWS Support by glz-demo-aws-support",
        "No role short of administrator can open AWS Support cases.",
        "GLZ-IAM-019",
    )


def test_the_security_official_row_follows_the_accounts_security_contact(demo_state_document, demo):
    """164.308(a)(2) names the declared contact; remove it and the row says AWS's notices reach only the root."""
    before = {r.id: r for r in demo.rows["hipaa"]}["164.308(a)(2)"]
    assert before.strictly_automated and "SECURITY alternate contact is Dana Whitfield" in before.statement

    def removed(document: dict) -> None:
        document["deployment"]["resources"] = [
            r for r in _resources(document) if r["type"] != "aws:account/alternativeContact:AlternativeContact"
        ]

    row = {r.id: r for r in _mutated(demo_state_document, removed).rows["hipaa"]}["164.308(a)(2)"]
    assert "reach only the root user's email address" in row.statement and "Dana Whitfield" not in row.statement
    assert any("GLZ-ACC-014 failed" in gap for gap in row.gaps)


def test_the_media_movement_record_follows_the_trail(demo_state_document, demo):
    """164.310(d)(2)(iii) says the trail keeps the movement record only while it logs management events."""
    before = {r.id: r for r in demo.rows["hipaa"]}["164.310(d)(2)(iii)"]
    assert before.strictly_automated and "every management event (reads and writes)" in before.statement

    def stopped(document: dict) -> None:
        trail = next(r for r in _resources(document) if r["type"] == "aws:cloudtrail/trail:Trail")
        for props in (trail["inputs"], trail["outputs"]):
            props["enableLogging"] = False

    row = {r.id: r for r in _mutated(demo_state_document, stopped).rows["hipaa"]}["164.310(d)(2)(iii)"]
    assert "logging OFF" in row.statement and row.status != before.status
    assert any("GLZ-LOG-001 failed" in gap for gap in row.gaps)


def test_media_rows_follow_snapshot_block_public_access(demo_state_document, demo):
    """164.310(d)(1), 3.1.22 and 03.01.22 say snapshots cannot be made public only while the setting blocks."""
    rows = {("hipaa", "164.310(d)(1)"), ("nist-800-171-r2", "3.1.22"), ("nist-800-171-r3", "03.01.22")}

    def unblocked(document: dict) -> None:
        setting = next(r for r in _resources(document) if r["type"].endswith(":SnapshotBlockPublicAccess"))
        for props in (setting["inputs"], setting["outputs"]):
            props["state"] = "unblocked"

    after = _mutated(demo_state_document, unblocked)
    _rows_follow(
        demo,
        after,
        rows,
        "cannot be shared publicly: snapshot block public access block-all-sharing",
        "EBS snapshot block public access is unblocked; only block-all-sharing blocks",
        "GLZ-ACC-015",
    )


def test_deny_by_default_rows_follow_the_network_acls(demo_state_document, demo):
    """3.13.6 and 03.13.06 say the default ACL admits nothing only while the stack manages it closed."""

    def unmanaged(document: dict) -> None:
        document["deployment"]["resources"] = [
            r for r in _resources(document) if r["type"] != "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
        ]

    _rows_follow(
        demo,
        _mutated(demo_state_document, unmanaged),
        {("nist-800-171-r2", "3.13.6"), ("nist-800-171-r3", "03.13.06")},
        "the VPC's default network ACL admits nothing",
        "the default network ACL is left as AWS creates it (all traffic in and out)",
        "GLZ-NET-015",
    )


def test_internet_egress_in_a_phi_stack_shows_on_the_boundary_rows(demo_state_document, demo):
    """A NAT gateway (egress: nat-gateway) is a finding on 3.13.6 / 03.13.06 / 164.312(e)(1), naming the setting."""

    def with_nat(document: dict) -> None:
        document["deployment"]["resources"].append(
            {
                "urn": "urn:pulumi:demo::genomics-landing-zone::aws:ec2/natGateway:NatGateway::added-nat",
                "type": "aws:ec2/natGateway:NatGateway",
                "custom": True,
                "id": "nat-0123",
                "inputs": {"subnetId": "subnet-74e2f5d528c6ec7c1"},
                "outputs": {"id": "nat-0123", "subnetId": "subnet-74e2f5d528c6ec7c1"},
            }
        )

    after = _mutated(demo_state_document, with_nat)
    for framework, requirement in {
        ("nist-800-171-r2", "3.13.6"),
        ("nist-800-171-r3", "03.13.06"),
        ("hipaa", "164.312(e)(1)"),
    }:
        before = {r.id: r for r in demo.rows[framework]}[requirement]
        row = {r.id: r for r in after.rows[framework]}[requirement]
        assert not any("GLZ-CFG-001" in gap for gap in before.gaps)
        assert any("GLZ-CFG-001 failed" in gap and "egress: nat-gateway" in gap for gap in row.gaps), requirement


def _unencrypted_launch_templates(document: dict) -> None:
    for resource in _resources(document):
        if resource["type"] == "aws:ec2/launchTemplate:LaunchTemplate":
            for props in (resource["inputs"], resource.get("outputs") or {}):
                for mapping in props.get("blockDeviceMappings") or []:
                    (mapping.get("ebs") or {}).update(encrypted="false")
                    (mapping.get("ebs") or {}).pop("kmsKeyId", None)


def test_media_sanitization_reads_the_encryption_of_every_medium(demo, demo_state_document):
    """3.8.3, 03.08.03 and 164.310(d)(2)(ii) count the same facts: media AWS reallocates held only ciphertext under
    the stack's keys. A launch template writing plain volumes changes all three rows alike."""
    rows = ("nist-800-171-r2", "3.8.3"), ("nist-800-171-r3", "03.08.03"), ("hipaa", "164.310(d)(2)(ii)")
    before = {(r.framework, r.id): r for r in demo.all_rows()}
    after = {(r.framework, r.id): r for r in _mutated(demo_state_document, _unencrypted_launch_templates).all_rows()}
    for key in rows:
        assert before[key].responsibility == "shared" and before[key].strictly_automated, key
        assert before[key].statement != after[key].statement, key
        assert before[key].status == "Implemented" and after[key].status != "Implemented", key
