"""Services the stack leaves to the organization (accountServices: organization) are checked in the account
itself: off fails, on passes, and a call moto does not implement is not-verifiable, never passed."""

from __future__ import annotations

import pytest
from moto import mock_aws

from glz.audit.checks.organization import SPECS
from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS
from glz.audit.runner import run_audit
from glz.state import StackState
from tests.audit_account import MOTO_ENV, REGION, shared_client, shared_session

ACCOUNT = MOTO_ENV["MOTO_ACCOUNT_ID"]
HELD = sorted(SPECS)


def _state(held: list[str]) -> StackState:
    """A state that declares only the stack, its provider and the services the organization holds."""
    document = {
        "version": 3,
        "deployment": {
            "manifest": {"time": "1970-01-01T00:00:00Z", "magic": "", "version": "v3"},
            "resources": [
                {
                    "urn": "urn:pulumi:org::genomics-landing-zone::pulumi:pulumi:Stack::genomics-landing-zone-org",
                    "custom": False,
                    "type": "pulumi:pulumi:Stack",
                    "outputs": {"accountId": ACCOUNT, "region": REGION, "organizationServices": held},
                },
                {
                    "urn": "urn:pulumi:org::genomics-landing-zone::pulumi:providers:aws::aws",
                    "custom": True,
                    "id": "provider-id",
                    "type": "pulumi:providers:aws",
                    "inputs": {"region": REGION, "allowedAccountIds": [ACCOUNT]},
                    "outputs": {"region": REGION, "allowedAccountIds": [ACCOUNT]},
                },
            ],
        },
    }
    return StackState(document, "org-state.json")


@pytest.fixture
def account():
    with pytest.MonkeyPatch.context() as patch:
        for key, value in MOTO_ENV.items():
            patch.setenv(key, value)
        with mock_aws():
            yield


def _by_service(run) -> dict[str, object]:
    ids = {spec.id: service for service, spec in SPECS.items()}
    return {ids[r.id]: r for r in run.results if r.id in ids}


def test_every_held_service_is_checked_and_off_fails(account):
    results = _by_service(run_audit(_state(HELD), shared_session(), "org"))
    assert set(results) == set(HELD)
    for service, result in results.items():
        if service in ("accessAnalyzer", "unusedAccessAnalyzer"):
            assert result.result == NOT_VERIFIABLE, "moto has no Access Analyzer backend: never a pass"
        else:
            assert result.result == FAIL, f"{service}: {result.reason}"


def test_held_services_that_are_on_pass(account):
    client = shared_client
    client("guardduty").create_detector(Enable=True)
    client("securityhub").enable_security_hub(EnableDefaultStandards=False)
    client("inspector2").enable(accountIds=[ACCOUNT], resourceTypes=["EC2", "ECR"])
    client("iam").update_account_password_policy(MinimumPasswordLength=14)
    client("ec2").enable_ebs_encryption_by_default()
    client("s3control").put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    config = client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "aws-controltower-BaselineConfigRecorder",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        }
    )
    client("s3").create_bucket(Bucket="org-config-bucket")
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "org-config-bucket"})
    config.start_configuration_recorder(ConfigurationRecorderName="aws-controltower-BaselineConfigRecorder")

    results = _by_service(run_audit(_state(HELD), shared_session(), "org"))
    for service, result in results.items():
        if service in ("accessAnalyzer", "unusedAccessAnalyzer"):
            assert result.result == NOT_VERIFIABLE
        else:
            assert result.result == PASS, f"{service}: {result.reason}"


def test_nothing_held_nothing_checked(account):
    assert _by_service(run_audit(_state([]), shared_session(), "org")) == {}
