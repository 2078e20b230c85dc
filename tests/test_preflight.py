"""`glz preflight` against moto accounts: a fresh one, one whose security services are on (as under Control
Tower), one where the settings adopt them; every call it makes is a read the permissions file grants."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from glz import preflight
from glz.audit.session import AuditSession
from tests.audit_account import MOTO_ENV, REGION, delete_default_vpc
from tests.harness import make_settings

ACCOUNT = MOTO_ENV["MOTO_ACCOUNT_ID"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def session():
    with pytest.MonkeyPatch.context() as patch:
        for key, value in MOTO_ENV.items():
            patch.setenv(key, value)
        with mock_aws():
            session = AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)
            _simulate(session, denied_by_scp=())
            yield session


def _simulate(session, denied_by_scp=(), region_denied=None):
    """moto has no IAM policy simulator: answer SimulatePrincipalPolicy the way IAM does for an account whose
    SCPs deny ``denied_by_scp`` (or every action outside ``region_denied``'s complement) and allow the rest."""

    def answer(params, **_):
        body = params["body"]  # the query-protocol form of the request
        region = body["ContextEntries.member.1.ContextKeyValues.member.1"]
        actions = [v for k, v in sorted(body.items(), key=lambda kv: kv[0]) if k.startswith("ActionNames.member.")]
        results = []
        for action in actions:
            blocked = action in denied_by_scp or (region_denied is not None and region == region_denied)
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": "*",
                    "EvalDecision": "explicitDeny" if blocked else "allowed",
                    "OrganizationsDecisionDetail": {"AllowedByOrganizations": not blocked},
                }
            )
        return SimpleNamespace(status_code=200, headers={}), {"EvaluationResults": results, "IsTruncated": False}

    events = session.client("iam").meta.events
    events.unregister("before-call.iam.SimulatePrincipalPolicy", unique_id="glz-simulator")
    events.register("before-call.iam.SimulatePrincipalPolicy", answer, unique_id="glz-simulator")


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
    ids = {z["ZoneName"]: z["ZoneId"] for z in session.client("ec2").describe_availability_zones()["AvailabilityZones"]}
    stack = ", ".join(sorted(f"{ids[n]} ({n})" for n in ("us-east-1a", "us-east-1b")))
    assert offered.level == preflight.READY and f"offered in {stack}" in offered.message

    def only_elsewhere(parsed, **_):  # an account whose F2 capacity is only in a zone the stack does not use
        parsed["InstanceTypeOfferings"] = [
            {"InstanceType": "f2.48xlarge", "LocationType": "availability-zone-id", "Location": ids["us-east-1f"]}
        ]

    session.client("ec2").meta.events.register("after-call.ec2.DescribeInstanceTypeOfferings", only_elsewhere)
    (blocked,) = [f for f in preflight.run(session, settings) if f.topic == "F2"]
    assert blocked.level == preflight.BLOCKER
    assert (
        f"no zone of the stack ({stack}) offers f2.48xlarge; offered in {ids['us-east-1f']} (us-east-1f)"
        in blocked.message
    )
    assert "fpga.enabled: false" in blocked.setting


def test_every_call_is_a_read_the_permissions_file_grants(session):
    calls: set[tuple[str, str]] = set()

    def record(model, **_):
        calls.add((model.service_model.service_name, model.name))

    session.events.register("before-call", record)
    iam_events = session.client("iam").meta.events  # created before, by the fixture
    iam_events.register("before-call", record)
    iam_events.register_first("before-call.iam.SimulatePrincipalPolicy", record)  # ahead of the simulator
    settings = _settings(session, fpga={"enabled": True, "amiId": "ami-0123456789abcdef0"})
    preflight.run(session, settings)
    granted = json.loads((ROOT / "docs" / "preflight-permissions.json").read_text())["Statement"][0]["Action"]
    assert calls == set(preflight.IAM_ACTIONS)
    assert sorted(granted) == sorted(set(preflight.IAM_ACTIONS.values()))
    # reads only; iam:SimulatePrincipalPolicy is a Read-level action (it evaluates policies, changes nothing)
    assert all(action.split(":", 1)[1].startswith(("Get", "List", "Describe", "Simulate")) for action in granted)


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


def test_an_scp_that_denies_a_deploy_action_is_a_blocker(session):
    _simulate(session, denied_by_scp=("iam:CreateRole", "guardduty:CreateDetector"))
    blockers = _blockers(preflight.run(session, _settings(session)))
    assert (
        "deny " in blockers["SCPs"].message and "guardduty:CreateDetector, iam:CreateRole" in blockers["SCPs"].message
    )
    # a region deny (Control Tower's region guardrail) refuses everything in the stack's region
    _simulate(session, region_denied=REGION)
    assert "ec2:CreateVpc" in _blockers(preflight.run(session, _settings(session)))["SCPs"].message
    # GuardDuty held by the organization: its create is no longer the stack's, so not simulated
    _simulate(session, denied_by_scp=("guardduty:CreateDetector",))
    held = _settings(session, accountServices={"guardDuty": "organization"})
    assert "SCPs" not in _blockers(preflight.run(session, held))


def test_an_opt_in_region_not_enabled_is_a_blocker(session):
    def not_opted_in(parsed, **_):
        parsed["Regions"] = [{"RegionName": REGION, "OptInStatus": "not-opted-in"}]

    session.client("ec2").meta.events.register("after-call.ec2.DescribeRegions", not_opted_in)
    assert _blockers(preflight.run(session, _settings(session)))["region"].setting.startswith("region")


def test_zones_by_id_are_checked_against_the_account(session):
    ids = {z["ZoneName"]: z["ZoneId"] for z in session.client("ec2").describe_availability_zones()["AvailabilityZones"]}
    by_name = preflight.run(session, _settings(session))
    (pin,) = [f for f in by_name if f.topic == "zones" and f.level == preflight.NOTE]
    assert f"availabilityZoneIds: [{ids['us-east-1a']}, {ids['us-east-1b']}]" in pin.message
    chosen = [ids["us-east-1c"], ids["us-east-1d"]]
    findings = preflight.run(session, _settings(session, availabilityZoneIds=chosen))
    assert _blockers(findings) == {}, preflight.render(findings)
    assert any(f.topic == "zones" and f"us-east-1c = {chosen[0]}" in f.message for f in findings)
    fpga = {"enabled": True, "amiId": "ami-0123456789abcdef0", "instanceTypes": ["f2.12xlarge"]}

    def only_in_1a(parsed, **_):  # offerings answered by AZ ID, as the stack asks for them
        parsed["InstanceTypeOfferings"] = [
            {"InstanceType": "f2.12xlarge", "LocationType": "availability-zone-id", "Location": ids["us-east-1a"]}
        ]

    session.client("ec2").meta.events.register("after-call.ec2.DescribeInstanceTypeOfferings", only_in_1a)
    blocked = _blockers(preflight.run(session, _settings(session, availabilityZoneIds=chosen, fpga=fpga)))["F2"]
    assert f"offered in {ids['us-east-1a']} (us-east-1a)" in blocked.message
    assert blocked.setting.startswith("availabilityZoneIds")


def test_batch_limits_leave_room_for_the_stack(session):
    findings = preflight.run(session, _settings(session))
    assert any(
        f.topic == "quotas" and "Batch compute environments: 0 of 50 used, the stack adds 2" in f.message
        for f in findings
    )

    def full(parsed, **_):
        parsed["computeEnvironments"] = [{"computeEnvironmentName": f"ce{i}"} for i in range(49)]

    session.client("batch").meta.events.register("after-call.batch.DescribeComputeEnvironments", full)
    blockers = _blockers(preflight.run(session, _settings(session)))
    assert "49 Batch compute environments exist; the stack adds 2" in blockers["quotas"].message


def test_existing_session_manager_preferences_must_be_left_alone_or_removed(session):
    session.client("ssm").create_document(
        Name="SSM-SessionManagerRunShell",
        DocumentType="Session",
        DocumentFormat="JSON",
        Content=json.dumps({"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {}}),
    )
    blocker = _blockers(preflight.run(session, _settings(session)))["Session Manager"]
    assert blocker.setting.startswith("compute.sessionPreferences: existing")
    compute = {**_settings(session).compute.model_dump(by_alias=True), "sessionPreferences": "existing"}
    assert "Session Manager" not in _blockers(preflight.run(session, _settings(session, compute=compute)))


def test_the_default_vpc_is_named_with_the_way_to_delete_it(session):
    findings = {f.topic: f for f in preflight.run(session, _settings(session))}
    note = findings["default VPC"]  # moto gives every region one, as AWS does
    assert note.level == preflight.NOTE and "Delete the region's default VPC" in note.message
    delete_default_vpc(session.client("ec2"))  # as the runbook says
    after = {f.topic: f for f in preflight.run(session, _settings(session))}
    assert after["default VPC"].level == preflight.READY
