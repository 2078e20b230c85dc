"""GLZ-PHI-001/002: a phi or controlled stack deploys only HIPAA-eligible AWS services, and nothing the gate cannot
classify; the eligible-services list is data with its source and dates."""

from __future__ import annotations

import copy
import datetime as dt
import json
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml

from glz.gate import run_rules
from glz.state import StackState
from policies.framework import StackView, View
from policies.rules import RULES_BY_ID
from policies.rules import eligibility as el
from tests.mutations import resources

RULES = [RULES_BY_ID["GLZ-PHI-001"], RULES_BY_ID["GLZ-PHI-002"]]
LIGHTSAIL = "aws:lightsail/instance:Instance"  # Amazon Lightsail: not on AWS's HIPAA eligible list
UNMAPPED = "aws:notamodule/widget:Widget"


def gate(document):
    return run_rules(StackState(document), RULES, [], today=dt.date(2026, 11, 23))


def failed(result, rule_id):
    return [f for f in result.findings if f.rule_id == rule_id and f.status == "failed"]


def with_resource(document, typ, name):
    """The document plus one resource of ``typ`` at the top of the stack (the AWS provider's, for AWS types)."""
    changed = copy.deepcopy(document)
    items = resources(changed)
    stack = next(r for r in items if r["type"] == "pulumi:pulumi:Stack")
    prefix = stack["urn"].rsplit("::", 2)[0]
    resource = {
        "urn": f"{prefix}::{typ}::{name}",
        "custom": True,
        "type": typ,
        "id": name,
        "inputs": {},
        "outputs": {},
        "parent": stack["urn"],
    }
    if typ.startswith("aws:"):
        provider = next(r for r in items if r["type"] == "pulumi:providers:aws")
        resource["provider"] = f"{provider['urn']}::{provider['id']}"
    items.append(resource)
    return changed


def classified(document, value):
    """The document with the provider's DataClassification default tag set to ``value`` (None removes it)."""
    changed = copy.deepcopy(document)
    provider = next(r for r in resources(changed) if r["type"] == "pulumi:providers:aws")
    for section in ("inputs", "outputs"):
        raw = (provider.get(section) or {}).get("defaultTags")
        if raw is None:
            continue
        parsed = json.loads(raw) if isinstance(raw, str) else raw
        if value is None:
            parsed["tags"].pop("DataClassification", None)
        else:
            parsed["tags"]["DataClassification"] = value
        provider[section]["defaultTags"] = json.dumps(parsed) if isinstance(raw, str) else parsed
    return changed


def test_clean_demo_passes(demo_state_document):
    result = gate(demo_state_document)
    assert result.findings == []
    assert {rule for rule, _, passed in result.checked if passed} == {"GLZ-PHI-001", "GLZ-PHI-002"}


def test_demo_is_a_phi_stack(demo_state_document):
    """The demo is the strictest class, so the clean pass above is a real check, not a skipped one."""
    from glz.gate import stack_view

    assert stack_view(StackState(demo_state_document)).classification == "phi"


def _classified_type(resource: dict) -> str:
    """The type the rules classify: a Cloud Control resource by the CloudFormation type it creates."""
    from policies.framework import View

    if resource["type"] == el.CLOUD_CONTROL:
        return el.cloud_control_type(View(resource["type"], resource["urn"], "crl", resource["inputs"]))
    return resource["type"]


def test_mapping_covers_every_module_in_the_demo(demo_state_document):
    aws = [r for r in resources(demo_state_document) if r["type"].startswith("aws:")]
    for typ in sorted({_classified_type(r) for r in aws}):
        service = el.classify(typ)
        assert isinstance(service, el.Service), service
        assert service.allowed, f"{typ}: {service.name} is neither eligible nor control-plane"


def test_a_service_that_is_not_hipaa_eligible_fails(demo_state_document):
    result = gate(with_resource(demo_state_document, LIGHTSAIL, "notebook"))
    (finding,) = failed(result, "GLZ-PHI-001")
    assert finding.urn.endswith(f"::{LIGHTSAIL}::notebook")
    assert LIGHTSAIL in finding.message and "Amazon Lightsail" in finding.message
    assert "not HIPAA-eligible" in finding.message and "2026-05-22" in finding.message
    assert failed(result, "GLZ-PHI-002") == []
    assert not result.passed


def test_an_unmapped_module_cannot_be_classified_and_fails(demo_state_document):
    assert "notamodule" not in el.ELIGIBLE.modules
    result = gate(with_resource(demo_state_document, UNMAPPED, "mystery"))
    (finding,) = failed(result, "GLZ-PHI-002")
    assert finding.message.startswith(f"cannot classify {UNMAPPED}")
    assert "notamodule" in finding.message and "hipaa_eligible_services.yaml" in finding.message
    assert failed(result, "GLZ-PHI-001") == []
    assert not result.passed


@pytest.mark.parametrize("typ", ["random:index/randomId:RandomId", "aws:malformed", "command:local:Command"])
def test_other_packages_and_odd_tokens_cannot_be_classified(demo_state_document, typ):
    result = gate(with_resource(demo_state_document, typ, "other"))
    (finding,) = failed(result, "GLZ-PHI-002")
    assert finding.message.startswith(f"cannot classify {typ}")


@pytest.mark.parametrize("classification", ["controlled", None, "confidential"])
def test_controlled_unlabelled_and_unknown_classes_are_checked(demo_state_document, classification):
    """controlled is checked like phi; no DataClassification tag, or one the gate does not know, counts as phi."""
    document = classified(with_resource(demo_state_document, LIGHTSAIL, "notebook"), classification)
    assert failed(gate(document), "GLZ-PHI-001")


def test_a_public_stack_passes(demo_state_document):
    document = classified(
        with_resource(with_resource(demo_state_document, LIGHTSAIL, "notebook"), UNMAPPED, "mystery"), "public"
    )
    result = gate(document)
    assert result.findings == []
    assert result.passed


def test_components_and_pulumi_types_are_not_aws_resources():
    """pulumi:* and glz:* types are skipped, even ones the demo does not have."""
    stack = StackView(
        [View(type=t, urn=f"urn:{t}", name=t, props={}) for t in ("pulumi:providers:random", "glz:x:New")]
    )
    for rule in RULES:
        assert rule.check_stack is not None
        assert list(rule.check_stack(stack)) == []


def test_iam_is_control_plane_with_a_written_reason():
    for module in ("iam", "accessanalyzer"):
        service = el.ELIGIBLE.modules[module]
        assert not service.eligible and service.control_plane and service.allowed
        assert service.reason.strip()
    document = yaml.safe_load(el.DATA_FILE.read_text())
    control_plane = document["control_plane"]
    assert "IAM" in control_plane["statement"] and "STS" in control_plane["statement"]
    assert all(s["url"].startswith("https://") and s["says"] for s in control_plane["sources"])


def test_data_file_has_source_and_dates():
    assert el.ELIGIBLE.url == "https://aws.amazon.com/compliance/hipaa-eligible-services-reference/"
    assert el.ELIGIBLE.list_date == dt.date(2026, 5, 22)
    assert el.ELIGIBLE.retrieved >= el.ELIGIBLE.list_date
    source = yaml.safe_load(el.DATA_FILE.read_text())["source"]
    assert source["copy_used"].strip() and source["cross_checked"]
    assert len(el.ELIGIBLE.services) == 173  # the count the copy used gives for the May 22, 2026 list


def test_the_data_file_ships_with_the_policies_package():
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    assert '"data/*.yaml"' in pyproject.read_text()
    assert el.DATA_FILE.relative_to(Path(el.__file__).resolve().parent.parent) == Path(
        "data/hipaa_eligible_services.yaml"
    )


def test_every_module_is_a_pulumi_aws_module():
    """A typo in a module name would leave the real module unclassified; the names are the provider's own."""
    missing = [m for m in el.ELIGIBLE.modules if find_spec(f"pulumi_aws.{'lambda_' if m == 'lambda' else m}") is None]
    assert missing == []


def test_eligible_entries_name_listed_services_and_others_do_not():
    listed = {el.base_name(s) for s in el.ELIGIBLE.services}
    for service in el.ELIGIBLE.modules.values():
        assert (service.name in listed) == service.eligible, service


def broken(tmp_path, edit):
    document = yaml.safe_load(el.DATA_FILE.read_text())
    edit(document)
    path = tmp_path / "list.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["source"].pop("retrieved"), "source.retrieved must be a date"),
        (lambda d: d["source"].update(url="http://example.org"), "source.url"),
        (lambda d: d["modules"].update(lightsail={"service": "Amazon Lightsail", "eligible": True}), "not under"),
        (lambda d: d["modules"].update(s3={"service": "Amazon Simple Storage Service (S3)", "eligible": False}), "on"),
        (lambda d: d["modules"]["iam"].pop("reason"), "reason"),
        (lambda d: d["modules"]["s3"].update(eligble=True), "unknown keys"),
        (lambda d: d["services"].append("AWS Batch"), "twice"),
    ],
)
def test_the_loader_rejects_an_inconsistent_list(tmp_path, edit, message):
    with pytest.raises(ValueError, match=message):
        el.load(broken(tmp_path, edit))


@pytest.mark.parametrize(
    ("type_name", "rule"),
    [
        ("AWS::Lightsail::Instance", "GLZ-PHI-001"),  # a non-eligible service, created through Cloud Control
        ("AWS::Unheardof::Thing", "GLZ-PHI-002"),  # a service the file does not name
        ("not a type", "GLZ-PHI-002"),
    ],
)
def test_a_cloud_control_resource_is_judged_by_the_type_it_creates(demo_state_document, type_name, rule):
    document = copy.deepcopy(demo_state_document)
    crl = next(r for r in resources(document) if r["type"] == el.CLOUD_CONTROL)
    for props in (crl["inputs"], crl["outputs"]):
        props["typeName"] = type_name
    result = gate(document)
    assert {f.rule_id for f in result.findings if f.urn == crl["urn"]} == {rule}
