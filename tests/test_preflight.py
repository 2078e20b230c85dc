"""`glz preflight` against moto accounts: a fresh one, one whose security services are on (as under Control
Tower), one where the settings adopt them; every call it makes is a read the permissions file grants."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from glz import preflight
from glz.audit.session import AuditSession
from tests.audit_account import MOTO_ENV, REGION
from tests.harness import make_settings

ACCOUNT = MOTO_ENV["MOTO_ACCOUNT_ID"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def session():
    with pytest.MonkeyPatch.context() as patch:
        for key, value in MOTO_ENV.items():
            patch.setenv(key, value)
        with mock_aws():
            yield AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)


def _caller(session) -> str:
    return preflight._role_of(session.client("sts").get_caller_identity()["Arn"])


def _settings(session, **overrides):
    return make_settings(deployerPrincipalArns=[_caller(session)], interfaceEndpoints=["kms", "sts"], **overrides)


def _blockers(findings) -> dict[str, preflight.Finding]:
    return {f.topic: f for f in findings if f.level == preflight.BLOCKER}


def test_a_fresh_account_needs_nothing_but_its_settings(session):
    findings = preflight.run(session, _settings(session))
    assert _blockers(findings) == {}, preflight.render(findings)
    assert any(f.topic == "zones" and "us-east-1a = use1-az" in f.message for f in findings)


def test_services_already_on_are_blockers_naming_the_setting(session):
    client = session.client
    detector = client("guardduty").create_detector(Enable=True)["DetectorId"]
    client("securityhub").enable_security_hub(EnableDefaultStandards=False)
    client("config").put_configuration_recorder(
        ConfigurationRecorder={
            "name": "aws-controltower-BaselineConfigRecorder",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        }
    )
    client("iam").update_account_password_policy(MinimumPasswordLength=14)
    blockers = _blockers(preflight.run(session, _settings(session)))
    assert (
        blockers["guardDuty"].setting == f"accountServices.guardDuty: {{mode: adopt, id: {detector}}} (or organization)"
    )
    assert "aws-controltower-BaselineConfigRecorder" in blockers["awsConfig"].setting
    assert blockers["securityHub"].setting.startswith("accountServices.securityHub: adopt")
    assert blockers["passwordPolicy"].setting.startswith("accountServices.passwordPolicy: adopt")
    # adopting (or leaving to the organization) what is there clears them
    held = {
        "guardDuty": {"mode": "adopt", "id": detector},
        "awsConfig": "organization",
        "securityHub": "organization",
        "passwordPolicy": "adopt",
    }
    assert _blockers(preflight.run(session, _settings(session, accountServices=held))) == {}


def test_adopting_what_is_not_there_is_a_blocker(session):
    blockers = _blockers(
        preflight.run(
            session,
            _settings(
                session, accountServices={"securityHub": "adopt"}, serviceLinkedRoles={"autoScaling": "existing"}
            ),
        )
    )
    assert blockers["securityHub"].setting == "accountServices.securityHub: create"
    assert blockers["service-linked roles"].setting == "serviceLinkedRoles.autoScaling: create"


def test_an_existing_service_linked_role_must_be_adopted(session):
    session.client("iam").create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    blockers = _blockers(preflight.run(session, _settings(session)))
    assert blockers["service-linked roles"].setting == "serviceLinkedRoles.autoScaling: adopt"


def test_the_wrong_account_stops_everything(session):
    other = _settings(session).model_copy(update={"account_id": "444455556666"})
    findings = preflight.run(session, other)
    assert [f.level for f in findings] == [preflight.BLOCKER]
    assert "the stack deploys to 444455556666" in findings[0].message


def test_a_deployer_not_named_is_a_blocker(session):
    blockers = _blockers(preflight.run(session, make_settings(interfaceEndpoints=["kms"])))
    assert blockers["deployer"].setting == f"deployerPrincipalArns (add {_caller(session)})"


def test_fpga_needs_a_zone_of_the_stack_that_offers_f2(session):
    settings = _settings(
        session, fpga={"enabled": True, "amiId": "ami-0123456789abcdef0", "instanceTypes": ["f2.48xlarge"]}
    )
    (offered,) = [f for f in preflight.run(session, settings) if f.topic == "F2"]
    assert offered.level == preflight.READY and "offered in us-east-1a, us-east-1b" in offered.message

    def only_elsewhere(parsed, **_):  # an account whose F2 capacity is only in a zone the stack does not use
        parsed["InstanceTypeOfferings"] = [
            {"InstanceType": "f2.48xlarge", "LocationType": "availability-zone", "Location": "us-east-1f"}
        ]

    session.client("ec2").meta.events.register("after-call.ec2.DescribeInstanceTypeOfferings", only_elsewhere)
    (blocked,) = [f for f in preflight.run(session, settings) if f.topic == "F2"]
    assert blocked.level == preflight.BLOCKER
    assert "no zone of the stack (us-east-1a, us-east-1b) offers f2.48xlarge; offered in us-east-1f" in blocked.message
    assert "fpga.enabled: false" in blocked.setting


def test_every_call_is_a_read_the_permissions_file_grants(session):
    calls: set[tuple[str, str]] = set()
    session.events.register("before-call", lambda model, **_: calls.add((model.service_model.service_name, model.name)))
    settings = _settings(session, fpga={"enabled": True, "amiId": "ami-0123456789abcdef0"})
    preflight.run(session, settings)
    granted = json.loads((ROOT / "docs" / "preflight-permissions.json").read_text())["Statement"][0]["Action"]
    assert calls == set(preflight.IAM_ACTIONS)
    assert sorted(granted) == sorted(set(preflight.IAM_ACTIONS.values()))
    assert all(action.split(":", 1)[1].startswith(("Get", "List", "Describe")) for action in granted)


def test_the_command_exits_1_on_a_blocker_and_says_what_to_set(session, capsys):
    from glz.cli import main

    assert main(["--project-dir", str(ROOT), "preflight", "--stack", "demo"]) == 1
    out = capsys.readouterr().out
    assert "NOT READY" in out and "-> set deployerPrincipalArns (add" in out


def test_a_bad_stack_is_bad_input(session, capsys):
    from glz.cli import main

    assert main(["--project-dir", str(ROOT), "preflight", "--stack", "nosuchstack"]) == 2
    assert "no stack file Pulumi.nosuchstack.yaml" in capsys.readouterr().err


def test_a_control_tower_account_must_leave_config_to_the_organization(session):
    session.client("organizations").create_organization(FeatureSet="ALL")
    session.client("iam").create_role(RoleName=preflight.CONTROL_TOWER_ROLE, AssumeRolePolicyDocument="{}")
    blockers = _blockers(preflight.run(session, _settings(session)))
    assert blockers["Control Tower"].setting == "accountServices.awsConfig: organization"
    findings = preflight.run(session, _settings(session, accountServices={"awsConfig": "organization"}))
    assert "Control Tower" not in _blockers(findings)
    assert any(f.topic == "organization" and f.message.startswith("member of o-") for f in findings)


def test_quotas_the_first_deployment_uses(session):
    ec2 = session.client("ec2")
    findings = preflight.run(session, _settings(session))
    assert any(
        f.topic == "quotas" and f.level == preflight.READY and "VPCs: 1 of 5 used" in f.message for f in findings
    )
    for index in range(4):
        ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16")
    blockers = _blockers(preflight.run(session, _settings(session)))
    assert "5 VPCs already use the quota of 5" in blockers["quotas"].message
    # moto has no F instance quota: not readable is a note, never a pass or a guess
    settings = _settings(session, fpga={"enabled": True, "amiId": "ami-0123456789abcdef0"})
    notes = [f for f in preflight.run(session, settings) if f.topic == "quotas" and f.level == preflight.NOTE]
    assert any("F instance vCPU quota (L-74FC7D96)" in f.message for f in notes)
