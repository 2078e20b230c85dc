"""iam.effective-access: the gate's access-model rules run on the live account's documents (glz/audit/checks/access.py).

On a moto account built from the demo state every rule gives the live documents the same result as the declared
ones. A drift made through boto3 (AdministratorAccess on a job role, a bucket policy granting a foreign account,
a role that can stop the Config recorder, a key policy opened to another account, a trust without ExternalId),
each written several ways, fails exactly the rule that judges it, naming the resource; documents the audit
cannot read make a rule not verifiable, never passed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from glz.audit.checks import GROUPS, access
from glz.audit.context import AuditContext
from glz.audit.expected import from_state
from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS, CheckResult
from glz.audit.session import AuditSession
from policies.rules import RULES_BY_ID
from tests.audit_account import MOTO_ENV, REGION, MotoAccount, shared_session

ACCOUNT = "111122223333"
FOREIGN = "999999999999"
JOB_ROLE = "glz-demo-batch-job-alignment"
INSTANCE_ROLE = "glz-demo-batch-instance"
FLOW_LOG_ROLE = "glz-demo-vpc-flow-logs"
COLLABORATOR = "glz-demo-collab-broad-variant-lab"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture
def moto_env(monkeypatch):
    for key, value in MOTO_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def account(demo_state_document, moto_env):
    with mock_aws():
        yield MotoAccount(demo_state_document)


def effective(a: MotoAccount, session: AuditSession | None = None) -> dict[str, CheckResult]:
    """Only this check, in a context of its own (it must not depend on the other checks having run): rule id ->
    result."""
    ctx = AuditContext(session or shared_session(), from_state(a.state, "demo"), ACCOUNT, a.state)
    return {r.resource: r for r in access.run(ctx)}


def failing(results: dict[str, CheckResult]) -> set[str]:
    return {rule for rule, r in results.items() if r.result == FAIL}


# ---- drifts, each written several ways ------------------------------------------------------------------------


def _document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def inline(role: str, action, resource="*") -> Callable[[MotoAccount], None]:
    def apply(a: MotoAccount) -> None:
        a.client("iam").put_role_policy(
            RoleName=role,
            PolicyName="console-hotfix",
            PolicyDocument=_document({"Effect": "Allow", "Action": action, "Resource": resource}),
        )

    return apply


def customer_managed(role: str, action) -> Callable[[MotoAccount], None]:
    """A policy created and attached outside the stack: the audit reads its default version."""

    def apply(a: MotoAccount) -> None:
        iam = a.client("iam")
        document = _document({"Effect": "Allow", "Action": action, "Resource": "*"})
        arn = iam.create_policy(PolicyName="console-hotfix", PolicyDocument=document)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)

    return apply


def attach(role: str, arn: str) -> Callable[[MotoAccount], None]:
    return lambda a: a.client("iam").attach_role_policy(RoleName=role, PolicyArn=arn)


def bucket_statement(tier: str, principal, action, condition: dict | None = None) -> Callable[[MotoAccount], None]:
    def apply(a: MotoAccount) -> None:
        s3 = a.client("s3")
        name = a.output("dataBuckets", tier)
        policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        statement = {
            "Sid": "PartnerAccess",
            "Effect": "Allow",
            "Principal": principal,
            "Action": action,
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        }
        if condition:
            statement["Condition"] = condition
        policy["Statement"].append(statement)
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))

    return apply


def key_statement(purpose: str, principal, action) -> Callable[[MotoAccount], None]:
    def apply(a: MotoAccount) -> None:
        kms = a.client("kms")
        key = a.output("kmsKeys", purpose)
        policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        policy["Statement"].append(
            {"Sid": "Partner", "Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}
        )
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))

    return apply


def trust_condition(change: Callable[[dict], None]) -> Callable[[MotoAccount], None]:
    def apply(a: MotoAccount) -> None:
        iam = a.client("iam")
        document = iam.get_role(RoleName=COLLABORATOR)["Role"]["AssumeRolePolicyDocument"]
        change(document["Statement"][0]["Condition"])
        iam.update_assume_role_policy(RoleName=COLLABORATOR, PolicyDocument=json.dumps(document))

    return apply


def _drop_external_id(condition: dict) -> None:
    del condition["StringEquals"]["sts:ExternalId"]
    if not condition["StringEquals"]:
        del condition["StringEquals"]


def _any_external_id(condition: dict) -> None:
    condition["StringEquals"].pop("sts:ExternalId")
    condition.setdefault("StringLike", {})["sts:ExternalId"] = "*"
    if not condition["StringEquals"]:
        del condition["StringEquals"]


@dataclass(frozen=True)
class Drift:
    name: str
    apply: Callable[[MotoAccount], None]
    rule: str  # the rule that must fail (others may fail too: a broad grant is more than one finding)
    names: Callable[[MotoAccount], list[str]]  # what the reason must name besides the rule


def bucket(tier: str) -> Callable[[MotoAccount], list[str]]:
    return lambda a: [a.output("dataBuckets", tier), f"account {FOREIGN}"]


def data_key(a: MotoAccount) -> list[str]:
    return [a.output("kmsKeys", "data")]


DRIFTS = [
    # AdministratorAccess on a job role: the AWS managed policy, an inline '*', a customer-managed '*'.
    Drift(
        "job role: AdministratorAccess attached",
        attach(JOB_ROLE, ADMINISTRATOR_ACCESS),
        "GLZ-IAM-011",
        lambda a: [JOB_ROLE],
    ),
    Drift("job role: inline Allow * on *", inline(JOB_ROLE, "*"), "GLZ-IAM-011", lambda a: [JOB_ROLE]),
    Drift("job role: customer-managed Allow *", customer_managed(JOB_ROLE, "*"), "GLZ-IAM-011", lambda a: [JOB_ROLE]),
    Drift("job role: inline iam:* and more", inline(JOB_ROLE, ["iam:*", "s3:*"]), "GLZ-IAM-011", lambda a: [JOB_ROLE]),
    # A bucket policy statement granting a foreign account: root ARN, bare account id, '*' pinned to the account.
    Drift(
        # writes: a read grant alone is refused by the bucket's purpose-read deny (GLZ-S3-017)
        "variants bucket: foreign root ARN may write",
        bucket_statement("variants", {"AWS": f"arn:aws:iam::{FOREIGN}:root"}, "s3:PutObject"),
        "GLZ-S3-007",
        bucket("variants"),
    ),
    Drift(
        "results bucket: foreign account id gets s3:*",
        bucket_statement("results", {"AWS": FOREIGN}, "s3:*"),
        "GLZ-S3-007",
        bucket("results"),
    ),
    Drift(
        "fastq bucket: '*' limited to the foreign account by condition",
        bucket_statement(
            "fastq", "*", ["s3:GetObject", "s3:ListBucket"], {"StringEquals": {"aws:PrincipalAccount": FOREIGN}}
        ),
        "GLZ-S3-007",
        bucket("fastq"),
    ),
    Drift(
        "variants bucket: a role of the foreign account may write (GLZ-IAM-009 too)",
        bucket_statement("variants", {"AWS": [f"arn:aws:iam::{FOREIGN}:role/analyst"]}, ["s3:PutObject"]),
        "GLZ-IAM-009",
        bucket("variants"),
    ),
    # A role inline policy that can stop the Config recorder: exact action, a Stop* pattern, a managed policy.
    Drift(
        "job role: inline config:StopConfigurationRecorder",
        inline(JOB_ROLE, "config:StopConfigurationRecorder"),
        "GLZ-IAM-010",
        lambda a: [JOB_ROLE, "config:StopConfigurationRecorder"],
    ),
    Drift(
        "instance role: inline config:Stop*",
        inline(INSTANCE_ROLE, "config:Stop*"),
        "GLZ-IAM-010",
        lambda a: [INSTANCE_ROLE, "config:StopConfigurationRecorder"],
    ),
    Drift(
        "flow-log role: customer-managed config:StopConfigurationRecorder",
        customer_managed(FLOW_LOG_ROLE, ["config:StopConfigurationRecorder"]),
        "GLZ-IAM-010",
        lambda a: [FLOW_LOG_ROLE, "config:StopConfigurationRecorder"],
    ),
    # A key policy opened to another account: its root, and everyone.
    Drift(
        "data key: foreign root may decrypt",
        key_statement("data", {"AWS": f"arn:aws:iam::{FOREIGN}:root"}, "kms:Decrypt"),
        "GLZ-KMS-003",
        lambda a: [*data_key(a), f"account {FOREIGN}", "kms:Decrypt"],
    ),
    Drift(
        "data key: anyone may decrypt",
        key_statement("data", "*", ["kms:Decrypt", "kms:GenerateDataKey"]),
        "GLZ-KMS-003",
        lambda a: [*data_key(a), "anyone (anonymous)"],
    ),
    # The collaborator trust without its ExternalId: the condition deleted, or any value accepted.
    Drift(
        "collaborator trust: ExternalId condition deleted",
        trust_condition(_drop_external_id),
        "GLZ-IAM-002",
        lambda a: [COLLABORATOR],
    ),
    Drift(
        "collaborator trust: any ExternalId (StringLike *)",
        trust_condition(_any_external_id),
        "GLZ-IAM-002",
        lambda a: [COLLABORATOR],
    ),
]


def test_every_drift_kind_is_written_at_least_two_ways():
    by_rule: dict[str, int] = {}
    for drift in DRIFTS:
        by_rule[drift.rule] = by_rule.get(drift.rule, 0) + 1
    assert by_rule.pop("GLZ-IAM-009") == 1  # a variant of the foreign-account bucket grants, judged by another rule
    assert all(count >= 2 for count in by_rule.values()), by_rule


@pytest.mark.parametrize("drift", DRIFTS, ids=[d.name for d in DRIFTS])
def test_a_drift_fails_the_rule_that_judges_it_naming_the_resource(account, drift):
    drift.apply(account)
    results = effective(account)
    result = results[drift.rule]
    assert result.result == FAIL and result.drift, result
    assert result.reason.startswith("live account: ") and f"({drift.rule})" in result.reason
    for name in drift.names(account):
        assert name in result.reason, (name, result.reason)
    assert result.observed["new_findings"] and all(f["message"] for f in result.observed["new_findings"])
    assert result.expected["declared_findings"] == []
    # nothing the drift does not touch fails: the rules that judge no document of its kind still pass
    kind = {"GLZ-IAM-011": access.IDENTITY, "GLZ-IAM-010": access.IDENTITY, "GLZ-IAM-002": access.TRUST}.get(drift.rule)
    if drift.rule.startswith("GLZ-S3") or drift.rule == "GLZ-IAM-009":
        kind = access.BUCKET
    elif drift.rule == "GLZ-KMS-003":
        kind = access.KEY
    untouched = [rule for rule, reads in access.RULE_INPUTS.items() if kind not in reads]
    assert [rule for rule in untouched if results[rule].result != PASS] == []


def test_the_bucket_drifts_name_both_outside_access_rules(account):
    bucket_statement("variants", {"AWS": FOREIGN}, "s3:PutObject")(account)
    results = effective(account)
    assert failing(results) == {"GLZ-S3-007", "GLZ-IAM-009"}
    name = account.output("dataBuckets", "variants")
    assert results["GLZ-S3-007"].reason == (
        f"live account: bucket {name}: account {FOREIGN} can s3:PutObject (GLZ-S3-007)"
    )
    assert results["GLZ-S3-007"].probes == ("bucket_public_access_block", "outside_access")


def test_the_config_recorder_drift_reads_like_the_rule(account):
    inline(JOB_ROLE, "config:StopConfigurationRecorder")(account)
    results = effective(account)
    assert failing(results) == {"GLZ-IAM-010"}
    assert results["GLZ-IAM-010"].reason == (
        f"live account: arn:aws:iam::{ACCOUNT}:role/{JOB_ROLE} can tamper with the audit plane: "
        "config:StopConfigurationRecorder (GLZ-IAM-010)"
    )
    assert results["GLZ-IAM-010"].observed["undeclared_documents"] == [
        f"inline policy console-hotfix of role {JOB_ROLE}"
    ]


def test_an_undeclared_customer_managed_policy_is_read_and_judged_itself(account):
    customer_managed(JOB_ROLE, "*")(account)
    results = effective(account)
    assert {"GLZ-IAM-005", "GLZ-IAM-010", "GLZ-IAM-011", "GLZ-IAM-012"} <= failing(results)
    assert "live account: policy console-hotfix: statement #0 allows *" in results["GLZ-IAM-005"].reason
    arn = f"arn:aws:iam::{ACCOUNT}:policy/console-hotfix"
    assert f"policy {arn}" in results["GLZ-IAM-005"].observed["undeclared_documents"]


# ---- compliant, registered, and identical results ---------------------------------------------------------------


def test_the_compliant_account_passes_every_rule(account):
    results = effective(account)
    assert list(results) == [rule for rule in access.RULE_INPUTS if rule in RULES_BY_ID]
    assert "GLZ-IAM-013" not in results  # its documents (topic, queue, ... policies) are not read
    for rule, result in results.items():
        assert result.result == PASS, result
        assert result.reason == f"{rule} on the live documents: no finding, as on the declared ones"
        assert result.expected["reads"] == sorted(access.RULE_INPUTS[rule])
        assert result.observed["live_findings"] == result.expected["declared_findings"] == []
        assert all(result.observed["documents_read"][k] > 0 for k in access.RULE_INPUTS[rule]), result.observed
        assert "not_read" not in result.observed
    state_urns = {r.urn for r in account.state.resources}
    assert {r.urn for r in results.values()} <= state_urns  # the stack resource
    read = results["GLZ-IAM-010"].observed["documents_read"]
    assert read == {
        access.BUCKET: 8,
        # inline policies (the reference loader's, the three stages', the instrument's, the run workflow's and
        # its starter's, the backup role's and the restore test role's limits included), the two collaborator
        # boundaries
        access.IDENTITY: 20 + 2,
        access.KEY: 5,  # data, logs, compute, the backup vault's, the run workflow's
        # break-glass, the AWS Support role, a role per stage, the instrument's, the run workflow's and its
        # starter's, the backup role's, the restore test role's
        access.TRUST: 22,
    }


def test_it_is_registered_and_runs_in_the_full_audit(account):
    assert GROUPS[-1] is access.run
    run = account.audit()
    mine = [r for r in run.results if r.id == "iam.effective-access"]
    assert [r.resource for r in mine] == list(access.RULE_INPUTS)
    assert all(r.result == PASS for r in mine)
    attach(JOB_ROLE, ADMINISTRATOR_ACCESS)(account)
    run = account.audit()
    failed = {(r.id, r.resource) for r in run.results if r.result == FAIL}
    assert ("iam.role-permissions", JOB_ROLE) in failed
    assert {rule for check, rule in failed if check == "iam.effective-access"} == {
        "GLZ-IAM-010",
        "GLZ-IAM-011",
        "GLZ-IAM-012",
        "GLZ-IAM-016",
    }
    assert run.exit_code() == 1


def test_every_rule_names_matrix_probes():
    from controls.probes import PROBES

    for rule in access.RULE_INPUTS:
        assert rule in RULES_BY_ID, rule
        probes = access.probes_of(rule)
        assert probes and set(probes) <= set(PROBES), rule
        assert set(probes) >= {name for name, spec in PROBES.items() if rule in spec.rules}


STOP_RECORDER = {
    "Sid": "ConsoleHotfix",
    "Effect": "Allow",
    "Action": "config:StopConfigurationRecorder",
    "Resource": "*",
}


def _declare_stop_recorder(document: dict) -> dict:
    """The demo state with the alignment job's own policy granting config:StopConfigurationRecorder (as if a
    deployment carried it under a suppression)."""
    document = copy.deepcopy(document)
    for resource in document["deployment"]["resources"]:
        if resource["type"] == "aws:iam/rolePolicy:RolePolicy" and resource["urn"].endswith(
            "compute-job-alignment-policy"
        ):
            for side in ("inputs", "outputs"):
                if "policy" in resource.get(side, {}):
                    policy = json.loads(resource[side]["policy"])
                    policy["Statement"].append(STOP_RECORDER)
                    resource[side]["policy"] = json.dumps(policy)
    return document


def test_a_finding_the_state_declares_too_passes_and_one_the_account_lost_is_noted(demo_state_document, moto_env):
    with mock_aws():
        a = MotoAccount(_declare_stop_recorder(demo_state_document))
        results = effective(a)
        result = results["GLZ-IAM-010"]
        assert len(result.expected["declared_findings"]) == 1
        assert "config:StopConfigurationRecorder" in result.expected["declared_findings"][0]
        assert result.result == PASS, result
        assert (
            result.reason
            == "GLZ-IAM-010 on the live documents: the 1 declared finding and no other, as on the declared ones"
        )
        assert failing(results) == set()
        # the account drops the grant the state declares: less access is no failure, and it is noted
        iam = a.client("iam")
        name = iam.list_role_policies(RoleName=JOB_ROLE)["PolicyNames"][0]
        document = iam.get_role_policy(RoleName=JOB_ROLE, PolicyName=name)["PolicyDocument"]
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "ConsoleHotfix"]
        iam.put_role_policy(RoleName=JOB_ROLE, PolicyName=name, PolicyDocument=json.dumps(document))
        result = effective(a)["GLZ-IAM-010"]
        assert result.result == PASS and result.observed["live_findings"] == []
        assert len(result.observed["declared_findings_not_live"]) == 1


def test_a_deleted_role_keeps_its_declared_documents_and_fails_nothing_here(account):
    iam = account.client("iam")
    for name in iam.list_role_policies(RoleName=FLOW_LOG_ROLE)["PolicyNames"]:
        iam.delete_role_policy(RoleName=FLOW_LOG_ROLE, PolicyName=name)
    iam.delete_role(RoleName=FLOW_LOG_ROLE)
    results = effective(account)
    assert failing(results) == set()
    assert f"role {FLOW_LOG_ROLE}" in results["GLZ-IAM-010"].observed["not_in_account_declared_kept"]


def test_a_bucket_policy_on_a_bucket_the_state_gave_none_is_read(demo_state_document, moto_env):
    """The results bucket's policy removed from the state; the account has one, granting a foreign account."""
    document = copy.deepcopy(demo_state_document)
    document["deployment"]["resources"] = [
        r
        for r in document["deployment"]["resources"]
        if not (r["type"] == "aws:s3/bucketPolicy:BucketPolicy" and r["urn"].endswith("::data-results-policy"))
    ]
    with mock_aws():
        a = MotoAccount(document)
        name = a.output("dataBuckets", "results")
        grant = {
            "Effect": "Allow",
            "Principal": {"AWS": FOREIGN},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
        a.client("s3").put_bucket_policy(Bucket=name, Policy=_document(grant))
        results = effective(a)
        assert f"bucket policy of {name}" in results["GLZ-S3-007"].observed["undeclared_documents"]
        assert results["GLZ-S3-007"].result == FAIL
        assert f"live account: bucket {name}: account {FOREIGN} can s3:GetObject" in results["GLZ-S3-007"].reason
        assert results["GLZ-S3-007"].expected["declared_findings"] == []


# ---- documents the audit cannot read ---------------------------------------------------------------------------


def _session_denying(*operations: str) -> AuditSession:
    session = AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)

    def refuse(operation: str):
        def handler(**_):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not for you"}}, operation)

        return handler

    for operation in operations:
        service = "kms" if operation == "GetKeyPolicy" else "s3" if operation == "GetBucketPolicy" else "iam"
        session.events.register(f"before-parameter-build.{service}.{operation}", refuse(operation))
    return session


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("GetRolePolicy", access.IDENTITY),
        ("ListAttachedRolePolicies", access.IDENTITY),
        ("GetRole", access.TRUST),
        ("GetBucketPolicy", access.BUCKET),
        ("GetKeyPolicy", access.KEY),
    ],
)
def test_an_unreadable_document_makes_its_rules_not_verifiable_never_passed(account, operation, kind):
    results = effective(account, _session_denying(operation))
    for rule, result in results.items():
        reads = access.RULE_INPUTS[rule]
        # GetRole also gives the permissions boundaries, which are identity policies
        unread = kind in reads or (operation == "GetRole" and access.IDENTITY in reads)
        if unread:
            assert result.result == NOT_VERIFIABLE, result
            assert "access denied" in result.reason and "docs/audit-permissions.json" in result.reason
            assert f"{operation} was refused" in result.reason
        else:
            assert result.result == PASS, result
        assert result.result != FAIL


def test_a_new_finding_still_fails_when_other_documents_are_unread(account):
    attach(JOB_ROLE, ADMINISTRATOR_ACCESS)(account)
    results = effective(account, _session_denying("GetBucketPolicy"))
    result = results["GLZ-IAM-011"]
    assert result.result == FAIL and JOB_ROLE in result.reason
    assert "bucket policies partly unread: the declared ones stood in for them" in result.reason
    assert results["GLZ-S3-005"].result == NOT_VERIFIABLE
    assert results["GLZ-IAM-001"].result == PASS


def test_without_the_state_every_rule_is_not_verifiable(account):
    ctx = AuditContext(shared_session(), from_state(account.state, "demo"), ACCOUNT)
    results = list(access.run(ctx))
    assert results and all(r.result == NOT_VERIFIABLE and "without the stack state" in r.reason for r in results)


def test_a_live_document_the_rules_choke_on_is_not_verifiable(account, monkeypatch):
    def broken(rule, view):
        if view is not ctx_docs["declared"]:
            raise ValueError("odd document")
        return []

    ctx_docs: dict = {}
    real = access.live_documents

    def remember(ctx):
        docs = real(ctx)
        ctx_docs["declared"] = docs.declared
        return docs

    monkeypatch.setattr(access, "live_documents", remember)
    monkeypatch.setattr(access, "findings", broken)
    results = effective(account)
    assert all(r.result == NOT_VERIFIABLE for r in results.values())
    assert "could not be evaluated on the live documents: ValueError: odd document" in results["GLZ-IAM-001"].reason


def _live_key_policy(a: MotoAccount, purpose: str, edit: Callable[[dict], None]) -> None:
    kms = a.client("kms")
    key = a.output("kmsKeys", purpose).rsplit("/", 1)[1]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    edit(policy)
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))


def _live_bucket_policy(a: MotoAccount, tier: str, edit: Callable[[dict], None]) -> None:
    s3 = a.client("s3")
    name = a.output("dataBuckets", tier)
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    edit(policy)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def _without(sid: str) -> Callable[[dict], None]:
    return lambda policy: policy.update(Statement=[s for s in policy["Statement"] if s.get("Sid") != sid])


def test_a_live_key_losing_its_destruction_guard_fails_the_guardrail_rule(account):
    """Someone with kms:PutKeyPolicy (the deployer, break-glass) drops the deny in the account: the live audit
    judges the live key policy with the gate's rule, however the deny was removed."""
    _live_key_policy(account, "logs", _without("DenyKeyDestructionButBreakGlass"))
    results = effective(account)
    assert failing(results) == {"GLZ-KMS-005"}
    assert "logs key" in results["GLZ-KMS-005"].reason and "kms:ScheduleKeyDeletion" in results["GLZ-KMS-005"].reason


def test_a_live_bucket_whose_purpose_deny_admits_the_admin_fails(account):
    def admit_admin(policy: dict) -> None:
        for statement in policy["Statement"]:
            if statement.get("Sid") == "DenyObjectReadsOutsidePurpose":
                statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(
                    f"arn:aws:iam::{ACCOUNT}:role/glz-demo-admin"
                )

    _live_bucket_policy(account, "variants", admit_admin)
    _live_bucket_policy(account, "fastq", _without("DenyVersionDestructionButBreakGlass"))
    results = effective(account)
    assert failing(results) >= {"GLZ-S3-017", "GLZ-S3-018"}
    assert "glz-demo-admin" in results["GLZ-S3-017"].reason
