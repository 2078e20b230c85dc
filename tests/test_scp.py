"""`glz scp`: the service control policy for what no resource policy can guard (the trail, Config, GuardDuty,
Security Hub, Inspector, Access Analyzer, flow logs, log groups, metric filters, alarms)."""

from __future__ import annotations

import json
from pathlib import Path

from glz import scp
from policies.access import conditions as cond
from policies.access.document import statements
from tests.harness import ACCOUNT, STACK, make_settings

ROOT = Path(__file__).resolve().parent.parent


def _denies(policy: dict, action: str, principal_arn: str) -> bool:
    context = {"aws:principalarn": principal_arn}
    return any(
        s.deny and s.covers_action(action) and cond.evaluate(s.compiled_conditions(), context) is True
        for s in statements(policy)
    )


def test_it_denies_the_audit_plane_to_everyone_but_the_deployer_and_break_glass():
    settings = make_settings()
    policy = scp.document(settings, STACK)
    assert scp.problems(policy, ACCOUNT) == []
    fresh = f"arn:aws:iam::{ACCOUNT}:role/created-by-an-admin-tomorrow"
    for action in (
        "cloudtrail:StopLogging",
        "config:StopConfigurationRecorder",
        "guardduty:DeleteDetector",
        "ec2:DeleteFlowLogs",
        "logs:DeleteLogGroup",
        "cloudwatch:DeleteAlarms",
        "securityhub:DisableSecurityHub",
    ):
        assert _denies(policy, action, fresh), action
        assert _denies(policy, action, f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-admin"), action
        for exempt in (*settings.deployer_principal_arns, f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-break-glass"):
            assert not _denies(policy, action, exempt), (action, exempt)
    assert not _denies(policy, "s3:GetObject", fresh)  # data is the bucket policies' job


def test_a_document_over_the_scp_size_limit_or_with_a_wildcard_exemption_is_refused():
    policy = scp.document(make_settings(), STACK)
    policy["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(f"arn:aws:iam::{ACCOUNT}:role/*")
    assert any("not a full role ARN" in p for p in scp.problems(policy, ACCOUNT))
    policy["Statement"][0]["Action"] = [f"svc:Action{i:05d}" for i in range(400)]
    assert any("over the SCP limit of 5120" in p for p in scp.problems(policy, ACCOUNT))


def test_the_command_prints_the_demo_policy(capsys):
    from glz.cli import main

    assert main(["--project-dir", str(ROOT), "scp", "--stack", "demo"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [
        "arn:aws:iam::111122223333:role/AWSControlTowerExecution",
        "arn:aws:iam::111122223333:role/glz-demo-break-glass",
        "arn:aws:iam::111122223333:role/pulumi-deployer",
    ]
