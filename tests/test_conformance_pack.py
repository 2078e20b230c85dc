"""The AWS Config conformance pack: catalog integrity, template shape, AWS limits, and cfn-lint."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controls.conformance_pack import (
    CATALOG_FILE,
    MAX_RULES_PER_PACK,
    MAX_TEMPLATE_BODY_BYTES,
    PERIODIC_FREQUENCY,
    ConfigRule,
    ConformancePackError,
    conformance_pack_template,
    lint_template,
    load_config_rule_catalog,
)
from glz.errors import UserInputError


@pytest.fixture(scope="module")
def catalog():
    return load_config_rule_catalog()


@pytest.fixture(scope="module")
def full_template(catalog) -> str:
    return conformance_pack_template(catalog)


@pytest.fixture(scope="module")
def full_lint(full_template) -> list[str]:
    return lint_template(full_template)


def _resources(text: str) -> dict:
    return yaml.safe_load(text)["Resources"]


def _fake_catalog(count: int) -> dict[str, ConfigRule]:
    """A catalog larger than any real pack, to reach the 130-rule limit without inventing real rules."""
    rules = {}
    for n in range(count):
        word = "".join(chr(ord("a") + int(d)) for d in f"{n:03d}")  # 0 -> aaa: keeps logical IDs unique
        rules[f"FAKE_{word.upper()}"] = ConfigRule(
            identifier=f"FAKE_{word.upper()}",
            name=f"fake-{word}",
            description="Test rule.",
            trigger="configuration-change",
            source="test",
        )
    return rules


# ---- the catalog ---------------------------------------------------------------------------


def test_catalog_size_and_identifiers(catalog):
    assert 0 < len(catalog) <= 100
    assert len(catalog) <= MAX_RULES_PER_PACK, "the whole catalog must fit in one pack"
    for identifier, rule in catalog.items():
        assert identifier == rule.identifier
        assert identifier == identifier.upper() and " " not in identifier
        assert rule.name == rule.name.lower() and "_" not in rule.name
        assert rule.logical_id.isalnum() and rule.logical_id[0].isupper()
    assert len({r.name for r in catalog.values()}) == len(catalog)


def test_every_parameter_value_is_a_non_empty_string(catalog):
    # Read the raw YAML too: the loader would reject a non-string, this proves the file itself is right.
    raw = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    for entry in raw["rules"]:
        for name, value in (entry.get("parameters") or {}).items():
            assert isinstance(name, str) and isinstance(value, str) and value, (entry["identifier"], name, value)
    with_parameters = [r for r in catalog.values() if r.parameters]
    assert len(with_parameters) >= 10


def test_parameters_agree_with_what_the_stack_deploys(catalog):
    """Config rules must not flag the landing zone's own settings as non-compliant."""
    from components import security_services
    from components.settings import CLOUDWATCH_RETENTION_DAYS

    password = catalog["IAM_PASSWORD_POLICY"].parameters
    assert password["MinimumPasswordLength"] == str(security_services.MINIMUM_PASSWORD_LENGTH)
    assert password["PasswordReusePrevention"] == str(security_services.PASSWORD_REUSE_PREVENTION)
    assert catalog["VPC_FLOW_LOGS_ENABLED"].parameters == {"trafficType": "ALL"}
    assert (
        int(catalog["CW_LOGGROUP_RETENTION_PERIOD_CHECK"].parameters["MinRetentionTime"]) in CLOUDWATCH_RETENTION_DAYS
    )


def test_periodic_rules_have_no_scope_and_every_source_is_named(catalog):
    raw = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    references = raw["references"]
    for rule in catalog.values():
        if rule.periodic:
            assert rule.scope == (), rule.identifier
        assert rule.source and all(key.strip() in references for key in rule.source.split(","))


def test_catalog_errors_name_the_entry_and_field(tmp_path: Path):
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "references: {guide: x}\n"
        "rules:\n"
        "  - {identifier: CLOUD_TRAIL_ENABLED, name: cloudtrail-enabled, description: d, trigger: periodic,\n"
        "     source: guide, parameters: {maxAge: 90}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConformancePackError, match=r"CLOUD_TRAIL_ENABLED.*maxAge.*90.*strings"):
        load_config_rule_catalog(bad)
    bad.write_text(
        "references: {guide: x}\n"
        "rules:\n"
        "  - {identifier: CLOUD_TRAIL_ENABLED, name: cloudtrail-enabled, description: d, trigger: daily,\n"
        "     source: guide}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConformancePackError, match=r"trigger = 'daily'.*periodic"):
        load_config_rule_catalog(bad)


# ---- the template --------------------------------------------------------------------------


def test_template_from_the_whole_catalog_has_one_valid_rule_per_identifier(catalog, full_template):
    document = yaml.safe_load(full_template)
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"
    assert document["Description"]
    resources = document["Resources"]
    assert len(resources) == len(catalog)
    assert list(resources) == sorted(resources)
    by_identifier = {r["Properties"]["Source"]["SourceIdentifier"]: (lid, r) for lid, r in resources.items()}
    assert set(by_identifier) == set(catalog)
    for identifier, (logical_id, resource) in by_identifier.items():
        rule = catalog[identifier]
        props = resource["Properties"]
        assert logical_id.isalnum()
        assert resource["Type"] == "AWS::Config::ConfigRule"
        assert props["Source"] == {"Owner": "AWS", "SourceIdentifier": identifier}
        assert props["ConfigRuleName"] == rule.name
        assert props["Description"] == rule.description
        assert props.get("InputParameters", {}) == dict(rule.parameters)
        assert all(isinstance(v, str) for v in props.get("InputParameters", {}).values())
        assert props.get("Scope", {}).get("ComplianceResourceTypes", []) == list(rule.scope)
        # AWS rejects MaximumExecutionFrequency on rules triggered only by configuration changes.
        if rule.periodic:
            assert props["MaximumExecutionFrequency"] == PERIODIC_FREQUENCY
        else:
            assert "MaximumExecutionFrequency" not in props


def test_whole_catalog_template_lints_with_zero_errors_and_zero_warnings(full_lint, full_template):
    errors_and_warnings = [m for m in full_lint if m[0] in "EW"]
    assert errors_and_warnings == []
    assert full_lint == [], "informational cfn-lint checks are on too"
    assert len(full_template.encode("utf-8")) <= MAX_TEMPLATE_BODY_BYTES


def test_experimental_lint_adds_only_informational_advice(full_template):
    matches = lint_template(full_template, experimental=True)
    assert all(m.startswith("I") and " informational: " in m for m in matches), matches


def test_the_linter_is_live_and_catches_broken_templates(full_template):
    bad_property = full_template.replace("      Source:\n", "      Bogus: 1\n      Source:\n", 1)
    problems = lint_template(bad_property)
    assert any(p.startswith("E3002") and "Bogus" in p for p in problems), problems

    owner_wrong_type = full_template.replace("Owner: AWS", "Owner: [AWS]", 1)
    assert any(p.startswith("E") for p in lint_template(owner_wrong_type))

    no_source = yaml.safe_load(full_template)
    first = next(iter(no_source["Resources"].values()))
    del first["Properties"]["Source"]
    assert any("Source" in p and p.startswith("E") for p in lint_template(yaml.safe_dump(no_source)))

    long_description = full_template.replace("Description: Active IAM", "Description: " + "x" * 300, 1)
    assert any(p.startswith("E") and "long" in p for p in lint_template(long_description))


def test_output_is_deterministic_whatever_the_input_order(catalog):
    identifiers = sorted(catalog)
    forward = conformance_pack_template(identifiers)
    backward = conformance_pack_template(reversed(identifiers))
    with_duplicates = conformance_pack_template(identifiers + identifiers[:5])
    assert forward == backward == with_duplicates
    assert conformance_pack_template(identifiers) == forward


def test_subset_contains_exactly_the_requested_rules(catalog):
    chosen = ["S3_BUCKET_SSL_REQUESTS_ONLY", "CLOUD_TRAIL_ENABLED", "IAM_PASSWORD_POLICY"]
    resources = _resources(conformance_pack_template(chosen))
    assert sorted(r["Properties"]["Source"]["SourceIdentifier"] for r in resources.values()) == sorted(chosen)
    assert lint_template(conformance_pack_template(chosen)) == []


def test_prefix_is_prepended_to_every_rule_name_and_validated(catalog):
    resources = _resources(conformance_pack_template(["CLOUD_TRAIL_ENABLED", "ENCRYPTED_VOLUMES"], prefix="glz-demo-"))
    assert sorted(r["Properties"]["ConfigRuleName"] for r in resources.values()) == [
        "glz-demo-cloudtrail-enabled",
        "glz-demo-encrypted-volumes",
    ]
    with pytest.raises(ConformancePackError, match=r"prefix = 'Bad Prefix'"):
        conformance_pack_template(["CLOUD_TRAIL_ENABLED"], prefix="Bad Prefix")
    with pytest.raises(ConformancePackError, match="128 characters"):
        conformance_pack_template(["CLOUD_TRAIL_ENABLED"], prefix="a" * 120)


# ---- limits and bad input -------------------------------------------------------------------


def test_unknown_identifier_is_an_error_naming_it(catalog):
    with pytest.raises(ConformancePackError) as info:
        conformance_pack_template(["CLOUD_TRAIL_ENABLED", "NOT_A_REAL_RULE", "cloudtrail-enabled"])
    message = str(info.value)
    assert "NOT_A_REAL_RULE" in message and "cloudtrail-enabled" in message
    assert "CLOUD_TRAIL_ENABLED," not in message  # known ones are not reported
    assert isinstance(info.value, UserInputError) and info.value.exit_code == 2


def test_more_than_130_rules_is_an_error():
    fake = _fake_catalog(MAX_RULES_PER_PACK + 1)
    with pytest.raises(
        ConformancePackError, match=rf"{MAX_RULES_PER_PACK + 1} AWS Config rules.*at most {MAX_RULES_PER_PACK}"
    ):
        conformance_pack_template(fake, catalog=fake)


def test_exactly_130_rules_is_allowed():
    fake = _fake_catalog(MAX_RULES_PER_PACK)
    resources = _resources(conformance_pack_template(fake, catalog=fake))
    assert len(resources) == MAX_RULES_PER_PACK


def test_empty_pack_is_an_error():
    with pytest.raises(ConformancePackError, match="at least one rule"):
        conformance_pack_template([])


def test_template_body_size_limit(catalog):
    rule = catalog["CLOUD_TRAIL_ENABLED"]
    big = {
        f"FAKE_{n}": ConfigRule(
            identifier=f"FAKE_{n}",
            name=f"fake-{chr(97 + n // 26)}{chr(97 + n % 26)}",
            description="x" * 250,
            trigger=rule.trigger,
            source="test",
            parameters={f"p{i}": "y" * 200 for i in range(3)},
        )
        for n in range(MAX_RULES_PER_PACK)
    }
    with pytest.raises(ConformancePackError, match=rf"at most {MAX_TEMPLATE_BODY_BYTES} bytes"):
        conformance_pack_template(big, catalog=big)


def test_compiled_pack_expectations_match_the_mapping_files():
    """The gate reads controls/mapping/conformance_pack_expected.json; it must say what the mappings say.
    After editing controls/mapping/*.yaml: python -m policies.rules.write_pack_expectations."""
    import json
    from importlib.resources import files

    from policies.rules.account import EXPECTED_PACK, pack_expectations

    compiled = json.loads(files("controls").joinpath(EXPECTED_PACK).read_text())
    assert compiled == json.loads(json.dumps(pack_expectations()))
    assert compiled["rules"], "the mappings name managed Config rules"
