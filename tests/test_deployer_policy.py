"""`glz deployer-policy`: the deployer gets what `pulumi up` of the stack calls and nothing more (glz/deployer_policy).

Every resource type a component can create has its calls listed, every action named exists in the IAM catalog,
the demo's documents fit IAM's quotas, are scoped to the stack's names and deny data and key use; the check
that guards the documents refuses a forbidden grant however it is written; the documents follow the stack."""

from __future__ import annotations

import copy
import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pulumi_aws as aws
import pytest

from glz import deployer_policy
from glz.deployer_actions import DATA_ACTIONS, SERVICE_READS, TYPE_NEEDS
from glz.state import StackState
from policies.access import catalog

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"


def _constructed_types() -> set[str]:
    """The Pulumi type token of every aws.<module>.<Resource>( call in components/ (read from the resource
    class's own source, where it registers itself under its token)."""
    found = set()
    for path in (ROOT / "components").glob("*.py"):
        for module, name in re.findall(r"aws\.([a-z0-9]+)\.([A-Z][A-Za-z0-9]+)\(", path.read_text()):
            if name.endswith("Args"):
                continue
            source = inspect.getsource(getattr(getattr(aws, module), name))
            token = re.search(r"['\"](aws:[a-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)['\"]", source)
            assert token, f"aws.{module}.{name}"
            found.add(token.group(1))
    return found


@pytest.fixture(scope="module")
def demo(demo_state_document):
    state = StackState(demo_state_document)
    scope = deployer_policy.scope_of_state(state)
    return state, scope, deployer_policy.documents(scope, state)


def _statements(docs):
    return {s["Sid"]: s for d in docs for s in d["Statement"]}


def test_every_resource_type_the_components_create_has_its_calls_listed():
    constructed = _constructed_types()
    assert len(constructed) >= 60
    assert sorted(constructed - set(TYPE_NEEDS)) == []
    assert sorted(set(TYPE_NEEDS) - constructed) == []  # no entry for a type nothing creates


def test_every_action_named_exists_in_the_iam_catalog():
    named = {a for n in TYPE_NEEDS.values() for a in n.actions}
    named |= {a for reads in SERVICE_READS.values() for a in reads} | set(DATA_ACTIONS)
    assert [a for a in sorted(named) if not catalog.expand(a)] == []
    # a read wildcard never reaches data
    for reads in SERVICE_READS.values():
        for pattern in reads:
            assert not [a for a in DATA_ACTIONS if catalog.matches(pattern, a)], pattern


def test_the_demo_documents_pass_their_checks_and_fit_the_quotas(demo):
    _, _, docs = demo
    assert deployer_policy.problems(docs) == []
    assert 1 <= len(docs) <= deployer_policy.POLICIES_PER_ROLE
    for doc in docs:
        assert len(json.dumps(doc, separators=(",", ":"))) <= deployer_policy.POLICY_MAX_CHARACTERS
    needed = deployer_policy.required_actions(docs)
    for action in (
        "s3:createbucket",
        "kms:putkeypolicy",
        "cloudtrail:createtrail",
        "iam:passrole",
        "batch:createjobqueue",
    ):
        assert action in needed
    for action in ("s3:getobject", "kms:generatedatakey", "iam:createuser", "logs:getlogevents", "ec2:runinstances"):
        assert action not in needed


def test_grants_are_scoped_to_the_stacks_names(demo):
    state, _, docs = demo
    statements = _statements(docs)
    assert statements["ManageStackIdentities"]["Resource"] == sorted(
        [
            f"arn:aws:iam::{ACCOUNT}:{kind}/glz-{part}-*"
            for kind in ("instance-profile", "policy", "role")
            for part in ("2a97516c", "demo")
        ]
    )
    assert "iam:PassRole" not in statements["ManageStackResources"]["Action"]
    assert all(
        ":role/glz-" in r or ":role/aws-service-role/" in r for r in statements["PassOnlyTheStacksRoles"]["Resource"]
    )
    buckets = sorted(f"arn:aws:s3:::{r.prop('bucket')}" for r in state.of_type("aws:s3/bucket:Bucket"))
    assert statements["ManageStackBuckets"]["Resource"] == buckets
    attached = statements["AttachOnlyTheStacksPolicies"]["Condition"]["ArnLike"]["iam:PolicyARN"]
    assert (
        "arn:aws:iam::aws:policy/SecurityAudit" in attached and "arn:aws:iam::aws:policy/IAMFullAccess" not in attached
    )
    assert statements["DeleteOnlyUnretainedKeys"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/Purpose": ["compute", "workflow"]}  # the guarded and the vault keys stay
    }
    denied = statements["NeverGenomicDataOrAuditRecords"]
    assert denied["Effect"] == "Deny" and denied["Resource"] == [f"{b}/*" for b in buckets]
    keys = statements["NeverUseTheStacksKeys"]
    assert "kms:Decrypt" in keys["Action"] and keys["Condition"]["StringEquals"]["aws:ResourceTag/Purpose"] == [
        "compute"
    ]
    # the data key encrypts the runs table: usable by the deployer through DynamoDB only, denied otherwise
    tables = statements["NeverUseTheTableKeysButThroughDynamoDB"]
    assert tables["Action"] == keys["Action"] and tables["Condition"] == {
        "StringEquals": {"aws:ResourceTag/Purpose": ["data"]},
        "StringNotLike": {"kms:ViaService": "dynamodb.*.amazonaws.com"},
    }
    through = statements["EncryptTheStacksTablesThroughDynamoDB"]
    assert "kms:CreateGrant" in through["Action"] and through["Condition"]["StringLike"] == {
        "kms:ViaService": "dynamodb.*.amazonaws.com"
    }


def test_key_use_through_dynamodb_does_not_stand_for_key_use(demo):
    """The table-key grant counts as `kms:encrypt@dynamodb`: a role holding kms:Encrypt itself is still refused."""
    from glz.audit.checks.deployer import grants

    needed = deployer_policy.required_actions(demo[2])
    assert "kms:encrypt@dynamodb" in needed and "kms:encrypt" not in needed
    # the backup vault's key, through AWS Backup only, the same way
    assert "kms:generatedatakey@backup" in needed and "kms:generatedatakey" not in needed
    # and the run workflow's key, through Step Functions only
    assert "kms:generatedatakey@states" in needed and "kms:generatedatakey" not in needed
    allowed, _ = grants([{"Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}])
    assert "kms:encrypt" in allowed - needed


def _with(docs, sid: str | None, **statement):
    changed = copy.deepcopy(docs)
    if sid is None:
        changed[-1]["Statement"].append({"Sid": "Extra", "Effect": "Allow", "Resource": "*", **statement})
    else:
        target = next(s for d in changed for s in d["Statement"] if s["Sid"] == sid)
        target["Action"] = [*target["Action"], *statement["Action"]]
    return changed


@pytest.mark.parametrize(
    ("sid", "statement", "expected"),
    [
        ("ReadStackConfiguration", {"Action": ["s3:Get*"]}, "allows s3:GetObject"),
        ("ReadStackConfiguration", {"Action": ["S3:GETOBJECT"]}, "allows s3:GetObject"),
        ("ReadStackConfiguration", {"Action": ["s3:GetObjec?"]}, "allows s3:GetObject"),
        ("ManageStackResources", {"Action": ["kms:*"]}, "grants a whole service"),
        ("ManageStackResources", {"Action": ["kms:Re*"]}, "allows kms:ReEncryptFrom"),
        ("ManageStackResources", {"Action": ["*"]}, "grants a whole service"),
        ("ManageStackResources", {"Action": ["logs:Get*"]}, "allows logs:GetLogEvents"),
        ("ManageStackResources", {"Action": ["s3:GetBucketPolicyy"]}, "is not an IAM action"),
        ("TrailChecksTheAuditBucketKey", {"Action": ["kms:GenerateDataKey"]}, "allows kms:GenerateDataKey"),
        (None, {"NotAction": ["iam:*"], "Action": []}, "NotAction grants by exclusion"),
        (None, {"Action": ["iam:Create*"]}, "allows iam:CreateAccessKey, iam:CreateLoginProfile, iam:CreateUser"),
        (None, {"Action": ["ssm:S*"]}, "allows ssm:SendCommand, ssm:StartSession"),
    ],
)
def test_a_forbidden_grant_is_refused_however_it_is_written(demo, sid, statement, expected):
    _, _, docs = demo
    found = deployer_policy.problems(_with(docs, sid, **statement))
    assert any(expected in f for f in found), found


def test_oversized_and_too_many_documents_are_refused(demo):
    _, _, docs = demo
    big = copy.deepcopy(docs)
    big[0]["Statement"][0]["Action"] += sorted(catalog.expand("ec2:Describe*"))
    assert any("over the managed-policy limit" in f for f in deployer_policy.problems(big))
    assert any("over the 10 managed policies" in f for f in deployer_policy.problems(docs * 4))


def test_an_unknown_resource_type_is_named(demo_state_document):
    document = copy.deepcopy(demo_state_document)
    resources = document.get("deployment", document)["resources"]
    extra = copy.deepcopy(next(r for r in resources if r["type"] == "aws:sns/topic:Topic"))
    extra["type"] = "aws:sqs/queue:Queue"
    extra["urn"] = extra["urn"].replace("aws:sns/topic:Topic", "aws:sqs/queue:Queue") + "-extra"
    resources.append(extra)
    state = StackState(document)
    with pytest.raises(deployer_policy.UnknownResourceTypesError, match=r"aws:sqs/queue:Queue"):
        deployer_policy.documents(deployer_policy.scope_of_state(state), state)


def _run(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glz.cli", "--project-dir", str(project), "deployer-policy", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _project(root: Path, stack: str, config: str) -> Path:
    """A project holding one stack (two stacks of one account would conflict over the account services)."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, root / name)
    (root / f"Pulumi.{stack}.yaml").write_text(config)
    return root


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory) -> Path:
    return _project(tmp_path_factory.mktemp("demo-project"), "demo", (ROOT / "Pulumi.demo.yaml").read_text())


@pytest.fixture(scope="module")
def nat_project(tmp_path_factory) -> Path:
    config = (ROOT / "Pulumi.demo.yaml").read_text()
    assert "egress: none" in config
    return _project(
        tmp_path_factory.mktemp("nat-project"), "nat", config.replace("egress: none", "egress: nat-gateway")
    )


def test_the_command_writes_the_documents_and_says_how_to_attach_them(demo_project, tmp_path, demo):
    _, _, docs = demo
    result = _run(demo_project, "--stack", "demo", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    written = sorted(tmp_path.glob("deployer-policy-*.json"))
    assert [json.loads(p.read_text()) for p in written] == docs
    assert f"{len(docs)} managed policies" in result.stdout
    assert "aws iam attach-role-policy --role-name pulumi-deployer" in result.stdout
    as_json = _run(demo_project, "--stack", "demo", "--out", str(tmp_path / "j"), "--json")  # issue 18
    assert as_json.returncode == 0, as_json.stderr
    printed = json.loads(as_json.stdout)
    assert printed["summary"]["policies"] == len(docs) == len(printed["written"])
    assert sum(
        "aws iam attach-role-policy --role-name pulumi-deployer" in c for c in printed["summary"]["commands"]
    ) == (len(docs))


def test_the_documents_follow_the_stack(nat_project, tmp_path, demo):
    _, _, docs = demo
    result = _run(nat_project, "--stack", "nat", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    nat = deployer_policy.required_actions(json.loads(p.read_text()) for p in tmp_path.glob("deployer-policy-*.json"))
    demo_actions = deployer_policy.required_actions(docs)
    assert sorted(nat - demo_actions) == [
        "ec2:allocateaddress",
        "ec2:attachinternetgateway",
        "ec2:createinternetgateway",
        "ec2:createnatgateway",
        "ec2:deleteinternetgateway",
        "ec2:deletenatgateway",
        "ec2:detachinternetgateway",
        "ec2:disassociateaddress",
        "ec2:releaseaddress",
    ]  # ec2:ReplaceRoute too, but the demo's routes to the lab (onPremises) need it already


def test_bad_input_exits_2_naming_the_problem(demo_project):
    result = _run(demo_project, "--stack", "missing")
    assert result.returncode == 2
    assert "Pulumi.missing.yaml" in result.stderr and "Traceback" not in result.stderr


def test_the_matrix_statement_follows_the_stack(demo_state_document):
    from controls.access_probes import deployer_scope

    good, summary, _, fields = deployer_scope(StackState(copy.deepcopy(demo_state_document)))
    assert good and fields["deployers"] == "pulumi-deployer"
    count = len(deployer_policy.required_actions(deployer_policy.documents(*_scope_and_state(demo_state_document))))
    assert f"needs {count} actions" in summary and "its 8 buckets" in summary

    without = copy.deepcopy(demo_state_document)
    _stack(without)["outputs"]["deployerPrincipalArns"] = []
    good, summary, _, _ = deployer_scope(StackState(without))
    assert not good and summary.startswith("No deployer principal is named")

    more = copy.deepcopy(demo_state_document)
    resources = more["deployment"]["resources"]
    nat = copy.deepcopy(next(r for r in resources if r["type"] == "aws:ec2/vpc:Vpc"))
    nat["type"] = "aws:ec2/natGateway:NatGateway"
    nat["urn"] = nat["urn"].replace("aws:ec2/vpc:Vpc", "aws:ec2/natGateway:NatGateway") + "-nat"
    resources.append(nat)
    _, summary, _, _ = deployer_scope(StackState(more))
    assert f"needs {count + 2} actions" in summary  # CreateNatGateway, DeleteNatGateway


def _stack(document: dict) -> dict:
    return next(r for r in document["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack")


def _scope_and_state(document: dict):
    state = StackState(document)
    return deployer_policy.scope_of_state(state), state
