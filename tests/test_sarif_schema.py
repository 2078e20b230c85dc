"""The gate's SARIF report is valid SARIF 2.1.0: checked against the standard's JSON schema, not against our own
idea of its shape. Code scanning (GitHub, Azure DevOps) refuses or silently drops what the schema refuses.

The schema is SchemaStore's sarif-2.1.0-rtm.5.json, as Microsoft's @microsoft/jest-sarif package ships it; `make
sarif-schema` (a prerequisite of `make test`) fetches it from the npm registry."""

from __future__ import annotations

import copy
import hashlib
import json

import jsonschema
import pytest

from glz.gate import Finding
from glz.reports import to_sarif
from policies.rules import ALL_RULES
from tests.conftest import ROOT
from tests.test_gate import gate, rotation_off, suppression

SCHEMA = ROOT / ".sarif-schema" / "sarif-2.1.0-rtm.5.json"
SCHEMA_SHA256 = "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    assert SCHEMA.exists(), f"{SCHEMA.relative_to(ROOT)} is missing: run `make sarif-schema`"
    data = SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, "the SARIF schema is not the pinned one"
    schema = json.loads(data)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(validator, sarif: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in validator.iter_errors(sarif)]


def _report(demo_state_document, project_dir=None) -> dict:
    """A report with every kind of result: a failure, a suppressed one, a checkov finding the rules don't describe,
    one pointed at a component's source, one at a setting's line."""
    document = rotation_off(demo_state_document)
    result = gate(document, suppression(rule="GLZ-KMS-001", resource="keys-data"))
    failing = gate(document)
    result.findings += [f for f in failing.findings if f.status == "failed"]
    result.findings.append(
        Finding(
            rule_id="CKV_AWS_7",
            severity="high",
            urn=result.findings[0].urn,
            resource_type="aws:kms/key:Key",
            message="Ensure rotation for customer created CMKs is enabled",
            source="checkov",
        )
    )
    return to_sarif(result, ALL_RULES, "Pulumi.demo.yaml", "0.1.0", project_dir=project_dir)


def test_the_report_is_valid_sarif(demo_state_document, validator, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.demo.yaml"):
        (project / name).write_text((ROOT / name).read_text())
    sarif = _report(demo_state_document, project_dir=project)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"GLZ-KMS-001", "CKV_AWS_7"}
    assert any(r.get("suppressions") for r in results), "the report should hold a suppressed result"
    assert _errors(validator, sarif) == []


def test_the_clean_demo_report_is_valid_sarif(demo_state_document, validator):
    assert _errors(validator, to_sarif(gate(demo_state_document), ALL_RULES, "Pulumi.demo.yaml", "0.1.0")) == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda s: s.update(version="2.0.0"),
        lambda s: s["runs"][0]["results"][0].update(level="fatal"),
        lambda s: s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(startLine=0),
        lambda s: s["runs"][0]["tool"]["driver"].pop("name"),
        lambda s: s["runs"][0]["results"][0].update(message="a bare string"),
    ],
    ids=["version", "level", "line-zero", "no-tool-name", "message-not-object"],
)
def test_the_schema_check_refuses_what_code_scanning_refuses(demo_state_document, validator, break_it):
    """The check itself can fail: each of these is a report GitHub code scanning would reject."""
    sarif = copy.deepcopy(_report(demo_state_document))
    break_it(sarif)
    assert _errors(validator, sarif) != []


def test_suppressed_results_carry_their_reason(demo_state_document):
    sarif = _report(demo_state_document)
    (suppressed,) = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed["suppressions"] == [
        {"kind": "external", "justification": "Rotation is handled by an external HSM process."}
    ]
