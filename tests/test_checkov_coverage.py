"""checkov sees every resource, and its results reach the control matrix.

The Terraform types glz/tfplan.py gives Pulumi resources are checked against checkov's own registry
of Terraform types (read inside .venv-checkov by glz/checkov_registry.py) for every resource type of
the installed pulumi_aws; the checkov checks that run on the demo stack are checked against
controls/mapping/checkov.yaml; a flipped checkov result changes the matrix rows it evidences.

These tests fail, never skip, when the checkov environment is missing: `make checkov-env`.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from controls import catalog
from controls.mapping import MappingError, checkov_mapping, load_all, load_checkov_mapping
from controls.matrix import build_matrix
from controls.model import IMPLEMENTED, PARTIAL
from glz.checkov_registry import NOT_IN_CHECKOV_CATALOG, CheckovRegistry, coverage, load_registry
from glz.checkov_runner import find_checkov
from glz.errors import UserInputError
from glz.gate import Finding, add_checkov, run_rules
from glz.state import StackState
from glz.tfplan import TYPE_ALIASES, terraform_type
from policies.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent

# Terraform types in checkov's catalog that no resource of the installed pulumi_aws has, and why.
# Every other type checkov knows must be the Terraform type of some pulumi-aws resource, which is what
# catches a mapping that invents a name where checkov knows the real one (aws_rds_instance for
# aws_db_instance).
CHECKOV_TYPES_WITHOUT_PULUMI: dict[str, str] = {
    "aws_az_info": "checkov's pseudo-type for availability-zone data, not a resource",
    "aws_caller_info": "checkov's pseudo-type for the caller identity, not a resource",
    "aws_region_info": "checkov's pseudo-type for region data, not a resource",
    "aws_root": "checkov's pseudo-type for the account root user, not a Terraform resource",
    "aws_root_access_key": "checkov's pseudo-type for root access keys, not a Terraform resource",
    "aws_iam_policy_document": "a Terraform data source, which Pulumi calls as a function",
    "aws_ec2_spot_fleet_request": (
        "not a Terraform type: checkov's graph check CKV2_AWS_5 names it; the resource is aws_spot_fleet_request"
    ),
    "aws_db_security_group": "EC2-Classic, removed from the Terraform AWS provider v5 and pulumi-aws v6",
    "aws_elasticache_security_group": "EC2-Classic, removed from the Terraform AWS provider v5 and pulumi-aws v6",
    "aws_redshift_security_group": "EC2-Classic, removed from the Terraform AWS provider v5 and pulumi-aws v6",
    "aws_macie_member_account_association": "Macie Classic, retired by AWS and removed from the provider",
    "aws_macie_s3_bucket_association": "Macie Classic, retired by AWS and removed from the provider",
    "aws_simpledb_domain": "SimpleDB, removed from the Terraform AWS provider v6 and pulumi-aws v7",
    "aws_worklink_fleet": "WorkLink, retired by AWS and removed from the provider",
    "aws_worklink_website_certificate_authority_association": "WorkLink, retired by AWS and removed from the provider",
}
# OpsWorks Stacks reached end of life in 2024; the provider and pulumi-aws v7 removed every resource.
REMOVED_SERVICES = {"opsworks": "OpsWorks Stacks, end of life in May 2024, removed from the provider"}


@pytest.fixture(scope="session")
def checkov() -> Path:
    try:
        return find_checkov()
    except UserInputError as error:
        pytest.fail(f"checkov is required for these tests: {error}", pytrace=False)


@pytest.fixture(scope="session")
def registry(checkov) -> CheckovRegistry:
    return load_registry(checkov)


@cache
def pulumi_aws_resources() -> dict[str, type]:
    """Every resource class of the installed pulumi_aws: type token -> class. Subpackages are loaded
    lazily by pulumi_aws, so each is forced to load before its classes are read."""
    import pulumi
    import pulumi_aws

    found: dict[str, type] = {}
    for module in pkgutil.iter_modules(pulumi_aws.__path__):
        if not module.ispkg or module.name == "config":  # config: provider settings, no resources
            continue
        package = importlib.import_module(f"pulumi_aws.{module.name}")
        package._utilities  # noqa: B018 - any attribute access loads a lazy pulumi module
        for value in vars(package).values():
            if isinstance(value, type) and issubclass(value, pulumi.CustomResource):
                found.setdefault(value.pulumi_type, value)
    return found


def test_pulumi_aws_enumeration_is_the_whole_provider(demo_state_document):
    resources = pulumi_aws_resources()
    assert len(resources) > 1500
    assert all(token.startswith("aws:") for token in resources)
    demo_types = {r["type"] for r in demo_state_document["deployment"]["resources"] if r["custom"]}
    assert {t for t in demo_types if t.startswith("aws:")} <= set(resources)


def test_every_demo_resource_is_seen_and_checked_by_checkov(demo_state_document, registry):
    """No declaration allowed here: each AWS resource of the demo stack has a Terraform type in
    checkov's catalog, and most are read by at least one check."""
    demo_types = {r["type"] for r in demo_state_document["deployment"]["resources"] if r["custom"]}
    result = coverage(demo_types, registry)
    assert not result.unseen, result.unseen
    checked = {t for t in demo_types if registry.check_ids(terraform_type(t))}
    assert len(checked) > len(demo_types) / 2
    for pulumi_type, tf_type in {
        "aws:s3/bucket:Bucket": "aws_s3_bucket",
        "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
        "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    }.items():
        assert terraform_type(pulumi_type) == tf_type and registry.check_ids(tf_type)


def test_every_pulumi_aws_type_is_in_checkovs_catalog_or_declared(registry):
    problems = []
    for token in sorted(pulumi_aws_resources()):
        tf_type = terraform_type(token)
        if tf_type is None:
            problems.append(f"{token}: no Terraform type")
        elif not registry.knows(tf_type) and tf_type not in NOT_IN_CHECKOV_CATALOG:
            problems.append(f"{token} -> {tf_type}: not in checkov {registry.version}'s catalog, not declared")
    assert not problems, "\n".join(problems)


def test_declarations_are_current(registry):
    """A declared type is still unknown to checkov and still the type of a pulumi-aws resource; each
    declaration says why checkov has no checks for it."""
    mapped = {terraform_type(token) for token in pulumi_aws_resources()}
    known_now = sorted(t for t in NOT_IN_CHECKOV_CATALOG if registry.knows(t))
    assert not known_now, f"checkov now knows these; remove them from NOT_IN_CHECKOV_CATALOG: {known_now}"
    stale = sorted(set(NOT_IN_CHECKOV_CATALOG) - mapped)
    assert not stale, f"no pulumi-aws resource maps to these any more: {stale}"
    for tf_type, reason in NOT_IN_CHECKOV_CATALOG.items():
        assert "checkov has no check" in reason and reason.endswith("."), tf_type


def test_every_aws_type_checkov_knows_has_its_pulumi_resource(registry):
    """The other direction: a Terraform type checkov checks that no Pulumi type maps to would be a
    resource checkov never sees (the mapping produced a name of its own instead)."""
    mapped = {terraform_type(token) for token in pulumi_aws_resources()}
    modules = {token.split(":")[1].split("/")[0] for token in pulumi_aws_resources()}
    unexplained = []
    for tf_type in sorted(registry.catalog - mapped):
        service = tf_type.split("_")[1]
        if tf_type in CHECKOV_TYPES_WITHOUT_PULUMI:
            continue
        if service in REMOVED_SERVICES and service not in modules:
            continue
        unexplained.append(tf_type)
    assert not unexplained, f"checkov knows these but no pulumi-aws type maps to them: {unexplained}"
    assert not set(CHECKOV_TYPES_WITHOUT_PULUMI) & mapped, "an exception here is mapped after all: remove it"


_DEPRECATED = re.compile(r'"""(\w+) is deprecated: \S*?(\w+) has been deprecated in favor of (\S+?)\.(\w+)"""')


def _sdk_aliases() -> dict[str, str]:
    """Deprecated resource classes and the class replacing them, from the classes' own deprecation
    messages (`s3.BucketV2 has been deprecated in favor of s3.Bucket`)."""
    import pulumi_aws

    aliases = {}
    for token, cls in pulumi_aws_resources().items():
        source = Path(sys.modules[cls.__module__].__file__).read_text(encoding="utf-8")
        for match in _DEPRECATED.finditer(source):
            if match[1] != cls.__name__:
                continue
            module = match[3].removeprefix("aws.").split("/")[0]
            replacement = getattr(importlib.import_module(f"pulumi_aws.{module}"), match[4])
            aliases[token] = replacement.pulumi_type
    assert pulumi_aws.s3.BucketV2.pulumi_type in aliases
    return aliases


def test_alias_types_map_like_the_classes_that_replace_them():
    aliases = _sdk_aliases()
    assert aliases == TYPE_ALIASES
    for alias, replacement in aliases.items():
        assert terraform_type(alias) == terraform_type(replacement)


def test_coverage_names_unseen_and_unchecked_types(registry):
    declared = next(t for t in pulumi_aws_resources() if terraform_type(t) in NOT_IN_CHECKOV_CATALOG)
    unchecked = next(
        t
        for t in sorted(pulumi_aws_resources())
        if registry.knows(terraform_type(t)) and not registry.check_ids(terraform_type(t))
    )
    result = coverage(
        [declared, unchecked, "aws:s3/bucket:Bucket", "random:index/randomId:RandomId", "pulumi:providers:aws"],
        registry,
    )
    assert set(result.unseen) == {declared, "random:index/randomId:RandomId"}
    assert "declared: checkov has no checks for this type" in result.unseen[declared]
    assert result.unseen["random:index/randomId:RandomId"] == "no Terraform AWS resource type"
    assert result.unchecked == {unchecked: terraform_type(unchecked)}
    notes = result.notes()
    assert notes[0].startswith("not seen by checkov: ") and declared in notes[0]
    assert unchecked in notes[1]


def _extra_resource(document: dict, typ: str, name: str, inputs: dict) -> str:
    stack = next(r for r in document["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack")
    prefix = stack["urn"].rsplit("::", 2)[0]
    urn = f"{prefix}::{typ}::{name}"
    document["deployment"]["resources"].append(
        {"urn": urn, "custom": True, "type": typ, "id": name, "inputs": inputs, "outputs": dict(inputs)}
    )
    return urn


def test_glz_check_names_resources_checkov_does_not_see(demo_state_document, tmp_path, checkov):
    """The gate output and the JSON report name the Pulumi types checkov cannot see (a small stack:
    the demo's stack, provider and one bucket, plus a type checkov's catalog lacks and a non-AWS one)."""
    document = copy.deepcopy(demo_state_document)
    resources = document["deployment"]["resources"]
    bucket = next(r for r in resources if r["type"] == "aws:s3/bucket:Bucket")
    document["deployment"]["resources"] = [
        r for r in resources if r["type"] in ("pulumi:pulumi:Stack", "pulumi:providers:aws") or r is bucket
    ]
    unseen = "aws:bedrock/agentcoreGateway:AgentcoreGateway"
    assert terraform_type(unseen) in NOT_IN_CHECKOV_CATALOG
    _extra_resource(document, unseen, "research-gateway", {"name": "research-gateway"})
    _extra_resource(document, "random:index/randomId:RandomId", "suffix", {"byteLength": 4})
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps(document))
    ran = subprocess.run(
        [sys.executable, "-m", "glz.cli", "check", "--state", str(state_path), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "GLZ_CHECKOV": str(checkov)},
    )
    assert ran.returncode in (0, 1), ran.stderr
    note = next(line for line in ran.stdout.splitlines() if line.startswith("note: not seen by checkov: "))
    assert unseen in note and "random:index/randomId:RandomId" in note and "aws_bedrockagentcore_gateway" in note
    assert "aws:s3/bucket:Bucket" not in note
    report = json.loads((tmp_path / "out" / "policy-report.json").read_text())
    assert any(n.startswith("not seen by checkov: ") and unseen in n for n in report["notes"])


# --- checkov's results in the control matrix -------------------------------------------------


@pytest.fixture(scope="module")
def demo_gate(demo_state_document, tmp_path_factory):
    """The demo stack's gate as `glz matrix` computes it: own rules and the real checkov."""
    state = StackState(copy.deepcopy(demo_state_document), "demo-state.json")
    gate = run_rules(state, ALL_RULES, [])
    add_checkov(gate, state, tmp_path_factory.mktemp("checkov-gate"), ROOT)
    return state, gate


def _checkov_ids(gate) -> set[str]:
    return {c[0] for c in gate.checked if c[0].startswith("CKV")} | {
        f.rule_id for f in gate.findings if f.source == "checkov"
    }


def test_every_check_that_runs_on_the_demo_is_mapped_or_not_mapped(demo_gate):
    mapping = checkov_mapping()
    ran = _checkov_ids(demo_gate[1])
    assert len(ran) > 50
    missing = sorted(ran - set(mapping.checks) - set(mapping.not_mapped))
    assert not missing, f"add these to controls/mapping/checkov.yaml (checks or not_mapped, with why): {missing}"
    for reason in mapping.not_mapped.values():
        assert len(reason.split()) >= 10 and reason.endswith(".")


def test_mapping_names_are_checkovs_titles(registry):
    mapping = checkov_mapping()
    wrong = {
        cid: (c.name, registry.names.get(cid)) for cid, c in mapping.checks.items() if registry.names.get(cid) != c.name
    }
    assert not wrong, wrong
    assert set(mapping.not_mapped) <= set(registry.names)


def test_mapped_requirements_are_rows_that_show_rule_outcomes():
    records = load_all()
    for check in checkov_mapping().checks.values():
        assert any(check.requirements.values()), check.check_id
        for framework, ids in check.requirements.items():
            for rid in ids:
                assert records[framework][rid].responsibility in ("landing-zone", "shared"), (check.check_id, rid)


def test_mapping_file_problems_are_reported(tmp_path):
    import shutil

    for name in ("nist_800_171_r2.yaml", "nist_800_171_r3.yaml", "hipaa.yaml"):
        shutil.copy(ROOT / "controls" / "mapping" / name, tmp_path / name)
    (tmp_path / "checkov.yaml").write_text(
        "checks:\n"
        "  CKV_AWS_145:\n    name: x\n    r2: ['3.99.1']\n    why: too short\n"
        "  CKV_AWS_9:\n    name: Password expiry\n    r2: ['3.1.8']\n"
        "    why: Password expiry is something the organization configures for its users.\n"
        "  NOT_A_CHECK: {}\n"
        "not_mapped:\n  CKV_AWS_145: The same check cannot be both mapped and not mapped at once.\n"
    )
    with pytest.raises(MappingError) as error:
        load_checkov_mapping(tmp_path)
    message = str(error.value)
    assert "'3.99.1' is not a requirement of nist-800-171-r2" in message
    assert "why 'too short'" in message
    assert "3.1.8 is a customer requirement" in message
    assert "NOT_A_CHECK: not a checkov AWS check id" in message
    assert "CKV_AWS_145: also mapped under checks" in message


def _row(matrix, framework: str, requirement_id: str):
    return next(r for r in matrix.rows[framework] if r.id == requirement_id)


def _outcome(row, check_id: str):
    return next(o for o in row.rules if o.rule_id == check_id)


def test_checkov_outcomes_reach_the_rows_they_evidence(demo_gate):
    state, gate = demo_gate
    matrix = build_matrix(state, gate, ALL_RULES, "demo")
    mapping = checkov_mapping()
    for check_id, check in mapping.checks.items():
        for framework, ids in check.requirements.items():
            for rid in ids:
                assert check_id in [o.rule_id for o in _row(matrix, framework, rid).rules], (check_id, rid)
    passed = _outcome(_row(matrix, catalog.R2, "3.13.16"), "CKV_AWS_145")
    assert passed.outcome == "passed" and passed.checked == len(state.of_type("aws:s3/bucket:Bucket"))
    assert passed.title == f"checkov: {mapping.checks['CKV_AWS_145'].name}"
    # A check skipped for one named resource is a deviation with its reason on the rows it evidences.
    skipped = {f.rule_id: f.suppressed_reason for f in gate.findings if f.source == "checkov" and f.suppressed_reason}
    scoped = next(cid for cid in sorted(skipped) if cid in mapping.checks)
    framework, rid = next((fw, ids[0]) for fw, ids in mapping.checks[scoped].requirements.items() if ids)
    row = _row(matrix, framework, rid)
    assert _outcome(row, scoped).outcome == "suppressed"
    assert f"{scoped} suppressed: {skipped[scoped]}" in row.deviations
    # Checkov findings in the findings sheet carry the requirements of the mapping.
    entry = next(f for f in matrix.findings if f.rule_id == scoped)
    assert set(entry.requirements) == set(mapping.checks[scoped].tags())


def test_without_checkov_the_rows_carry_no_checkov_outcomes(demo_matrix):
    assert not [o for row in demo_matrix.all_rows() for o in row.rules if o.rule_id.startswith("CKV")]


def test_flipping_one_checkov_result_changes_its_rows(demo_gate):
    """CKV_AWS_145 fails on one bucket: every row it evidences shows the failure and turns partial
    where it was implemented; rows it does not evidence keep their status."""
    state, gate = demo_gate
    before = build_matrix(state, gate, ALL_RULES, "demo")
    bucket = state.of_type("aws:s3/bucket:Bucket")[0].urn
    flipped = dataclasses.replace(gate, checked=list(gate.checked), findings=list(gate.findings))
    position = flipped.checked.index(("CKV_AWS_145", bucket, True))
    flipped.checked[position] = ("CKV_AWS_145", bucket, False)
    message = "Ensure that S3 buckets are encrypted with KMS by default"
    flipped.findings.append(Finding("CKV_AWS_145", "high", bucket, "aws:s3/bucket:Bucket", message, "checkov"))
    after = build_matrix(state, flipped, ALL_RULES, "demo")

    tags = set(checkov_mapping().checks["CKV_AWS_145"].tags())
    changed = 0
    for framework in catalog.FRAMEWORKS:
        for old, new in zip(before.rows[framework], after.rows[framework], strict=True):
            if f"{framework}:{old.id}" in tags:
                assert _outcome(old, "CKV_AWS_145").outcome == "passed"
                outcome = _outcome(new, "CKV_AWS_145")
                assert (outcome.outcome, outcome.failed) == ("failed", 1)
                assert f"CKV_AWS_145 failed: {message}" in new.gaps
                if old.status == IMPLEMENTED:
                    assert new.status == PARTIAL
                    changed += 1
            else:
                assert (new.status, new.gaps) == (old.status, old.gaps), old.id
    assert changed, "CKV_AWS_145 evidences no implemented row, so the flip proves nothing"
