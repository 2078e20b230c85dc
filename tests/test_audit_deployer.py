"""iam.deployer-permissions: the deployer role in the account holds only what `glz deployer-policy` computes.

The moto account's deployer role holds exactly the generated policies and passes. Widening it, written several
ways (AdministratorAccess attached, an inline NotAction, a service wildcard, a customer-managed policy's new
default version), fails and names what was added; a forbidden action is named as such; a missing role fails;
a user deployer is not verifiable, never passed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from glz.audit.checks import deployer
from glz.audit.context import AuditContext
from glz.audit.expected import from_state
from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS, CheckResult
from glz.state import StackState
from tests.audit_account import MotoAccount, shared_session

ACCOUNT = "111122223333"
ROLE = "pulumi-deployer"


@pytest.fixture
def account(moto_demo_account):
    return moto_demo_account


def judged(a: MotoAccount, state: StackState | None = None) -> list[CheckResult]:
    state = state or a.state
    ctx = AuditContext(shared_session(), from_state(state, "demo"), ACCOUNT, state)
    return list(deployer.run(ctx))


def _inline(document: dict) -> Callable[[MotoAccount], None]:
    def apply(a: MotoAccount) -> None:
        a.client("iam").put_role_policy(RoleName=ROLE, PolicyName="hotfix", PolicyDocument=json.dumps(document))

    return apply


def _allow(**statement) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", **statement}]}


def _attach(arn: str) -> Callable[[MotoAccount], None]:
    return lambda a: a.client("iam").attach_role_policy(RoleName=ROLE, PolicyArn=arn)


def _new_default_version(a: MotoAccount) -> None:
    iam = a.client("iam")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/glz-demo-deployer-1"
    current = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=current)["PolicyVersion"]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    document["Statement"][0]["Action"] = [*document["Statement"][0]["Action"], "s3:GetObject*"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)


def test_the_generated_policies_pass(account):
    (result,) = judged(account)
    assert result.result == PASS, result.reason
    assert result.resource == f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
    assert result.probes == ("deployer_scope",)


@pytest.mark.parametrize(
    ("widen", "named"),
    [
        (_attach("arn:aws:iam::aws:policy/AdministratorAccess"), "may "),
        (_attach("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"), "s3:getobject"),
        (_inline(_allow(NotAction=["iam:*", "organizations:*"])), "kms:encrypt"),
        (_inline(_allow(Action="s3:*")), "s3:getobject"),
        (_inline(_allow(Action=["S3:GetObj*"])), "s3:getobject"),
        (
            _inline(_allow(Action=["dynamodb:Scan"])),
            "holds 1 actions pulumi up of this stack never calls (e.g. dynamodb:scan)",
        ),
        (_new_default_version, "s3:getobject"),
    ],
)
def test_a_widened_deployer_fails_naming_what_was_added(account, widen, named):
    widen(account)
    (result,) = judged(account)
    assert result.result == FAIL
    assert named in result.reason, result.reason


def test_a_deny_on_everything_takes_a_grant_back(account):
    _inline(_allow(Action="dynamodb:Scan"))(account)
    account.client("iam").put_role_policy(
        RoleName=ROLE,
        PolicyName="guard",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}]}
        ),
    )
    (result,) = judged(account)
    assert result.result == PASS, result.reason


def test_a_missing_role_fails_and_a_user_deployer_is_not_verifiable(account):
    iam = account.client("iam")
    for attached in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=ROLE, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=ROLE)
    (result,) = judged(account)
    assert result.result == FAIL and "does not exist" in result.reason

    document = copy.deepcopy(account.deployed)
    stack = next(r for r in document["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack")
    stack["outputs"]["deployerPrincipalArns"] = [f"arn:aws:iam::{ACCOUNT}:user/ci"]
    (result,) = judged(account, StackState(document))
    assert result.result == NOT_VERIFIABLE and "not a role" in result.reason
