"""EncryptionKeys: separate CMKs, rotation, deletion window, aliases, least-privilege key policies."""

from __future__ import annotations

import json

import pytest

from components.encryption_keys import EncryptionKeys
from tests.harness import ACCOUNT, STACK, make_settings, synthesize

KEY = "aws:kms/key:Key"


@pytest.fixture(scope="module")
def state():
    settings = make_settings()
    return synthesize(lambda: EncryptionKeys("keys", settings, STACK), settings)


def keys_by_purpose(state):
    return {r.inputs["tags"]["Purpose"]: r for r in state.of_type(KEY)}


def test_three_separate_customer_managed_keys(state):
    keys = keys_by_purpose(state)
    assert set(keys) == {"data", "logs", "compute"}
    assert len({k.id for k in keys.values()}) == 3


@pytest.mark.parametrize("purpose", ["data", "logs", "compute"])
def test_rotation_and_deletion_window(state, purpose):
    key = keys_by_purpose(state)[purpose]
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.inputs["rotationPeriodInDays"] == 365
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert key.inputs["multiRegion"] is False


def test_each_key_has_an_alias(state):
    aliases = {r.inputs["name"] for r in state.of_type("aws:kms/alias:Alias")}
    assert aliases == {f"alias/glz-{STACK}-data", f"alias/glz-{STACK}-logs", f"alias/glz-{STACK}-compute"}


def _statements(key, effect="Allow"):
    return [s for s in json.loads(key.inputs["policy"])["Statement"] if s["Effect"] == effect]


def _principals(statement):
    principal = statement["Principal"]
    assert principal != "*", statement  # an Allow never names everyone
    values = []
    for kind, who in principal.items():
        values += [f"{kind}:{w}" for w in (who if isinstance(who, list) else [who])]
    return values


@pytest.mark.parametrize("purpose", ["data", "logs", "compute"])
def test_no_wildcard_principal_and_account_administers(state, purpose):
    statements = _statements(keys_by_purpose(state)[purpose])
    everyone = [p for s in statements for p in _principals(s)]
    assert not any(p.endswith(":*") for p in everyone)
    assert f"AWS:arn:aws:iam::{ACCOUNT}:root" in everyone


def _service_principals(key):
    return {p.split(":", 1)[1] for s in _statements(key) for p in _principals(s) if p.startswith("Service:")}


def test_log_key_grants_cloudtrail_and_cloudwatch_logs_only_with_conditions(state):
    key = keys_by_purpose(state)["logs"]
    services = _service_principals(key)
    assert {"cloudtrail.amazonaws.com", "logs.us-east-1.amazonaws.com"} <= services
    for statement in _statements(key):
        if "Service" in statement["Principal"]:
            assert statement.get("Condition"), f"service statement without condition: {statement['Sid']}"


def test_compute_key_grants_autoscaling_service_linked_role(state):
    key = keys_by_purpose(state)["compute"]
    principals = {p for s in _statements(key) for p in _principals(s)}
    slr = f"AWS:arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert slr in principals
    grant = next(s for s in _statements(key) if s["Action"] == "kms:CreateGrant")
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert not _service_principals(key)


@pytest.mark.parametrize("purpose", ["data", "logs"])
def test_guarded_keys_refuse_destruction_to_all_but_break_glass(state, purpose):
    """The guardrail denies name everyone ("*") and exempt only full ARNs: break-glass for destruction, the
    deployer and break-glass for policy changes; AWS services acting as themselves are outside them."""
    denies = {s["Sid"]: s for s in _statements(keys_by_purpose(state)[purpose], "Deny")}
    glass = f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-break-glass"
    destruction = denies["DenyKeyDestructionButBreakGlass"]
    assert destruction["Principal"] == "*"
    assert set(destruction["Action"]) == {"kms:DisableKey", "kms:DisableKeyRotation", "kms:ScheduleKeyDeletion"}
    assert destruction["Condition"]["ArnNotLike"] == {"aws:PrincipalArn": [glass]}
    policy = denies["DenyKeyPolicyChangesButDeployer"]
    assert policy["Action"] == "kms:PutKeyPolicy"
    assert policy["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == sorted(
        [glass, *make_settings().deployer_principal_arns]
    )
    assert not _statements(keys_by_purpose(state)["compute"], "Deny")


def test_guarded_keys_are_kept_on_destroy(state):
    """Their policies refuse ScheduleKeyDeletion to the deployer, so Pulumi leaves them on destroy."""
    retained = {k.inputs["tags"]["Purpose"] for k in state.of_type("aws:kms/key:Key") if k.raw.get("retainOnDelete")}
    assert retained == {"data", "logs"}


def test_data_key_grants_no_service_but_s3_log_delivery(state):
    assert _service_principals(keys_by_purpose(state)["data"]) == {"logging.s3.amazonaws.com"}
