"""Every principal of the demo stack, and what the access model says it can do to each data tier, the audit
plane and the keys: the table in docs/operator-runbook.md ("Roles: who can do what"), computed.

A change that lets a role read a tier outside its purpose, destroy history, stop the trail or disable a key
changes a row here; so does one that locks a role out of its own work.
"""

from __future__ import annotations

import copy
import json

import pytest

from glz import deployer_policy
from glz.gate import stack_view
from glz.state import StackState
from policies.access.actors import ROLE, Actor
from policies.access.model import model_of
from policies.rules import data_access
from policies.rules import s3_support as s3
from policies.rules.encryption import purpose_keys

ACCOUNT = "111122223333"
ALL = ("alignments", "bcl", "fastq", "reference", "results", "variants")

# role (without the glz-demo- prefix) -> tiers it reads, tiers where it can delete versions,
# whether it can stop the trail, whether it can schedule deletion of the data or log key
EXPECTED = {
    "admin": ((), (), False, False),
    "security-auditor": ((), (), False, False),
    "break-glass": (ALL, ALL, True, True),
    "batch-job-alignment": (("fastq", "reference"), (), False, False),
    "batch-job-variant-calling": (("alignments", "reference"), (), False, False),
    "batch-job-reference-loader": (("reference",), (), False, False),
    "batch-instance": ((), (), False, False),
    "malware-scan-bcl": (("bcl",), (), False, False),
    "malware-scan-fastq": (("fastq",), (), False, False),
    "malware-scan-reference": (("reference",), (), False, False),
    "malware-scan-results": (("results",), (), False, False),
    "collab-broad-variant-lab": (("results", "variants"), (), False, False),
    "collab-pharmaco-analytics": (("results",), (), False, False),
    # the run workflow submits jobs and writes the runs table; it and the rule's role that starts it read nothing
    # the intake tier (manifests and checksums, once scanned clean) and its own reports (results, verification/)
    "run-workflow": (("bcl", "results"), (), False, False),
    "run-start": ((), (), False, False),
    # holding exactly what `glz deployer-policy` writes: it runs the trail (so it can stop it, which the
    # deployer-used alarm reports), but reads no tier, destroys no history and cannot delete the guarded keys
    "pulumi-deployer": ((), (), True, False),
}


def with_deployer(document: dict) -> dict:
    """The demo state plus the deployer role as the runbook sets it up: the `glz deployer-policy` documents as
    its policies (the role is the organization's, so the stack's own state does not hold it)."""
    document = copy.deepcopy(document)
    resources = document["deployment"]["resources"]
    state = StackState(document)
    docs = deployer_policy.documents(deployer_policy.scope_of_state(state), state)
    admin = next(r for r in resources if r["type"] == "aws:iam/role:Role" and r["inputs"]["name"] == "glz-demo-admin")
    role = copy.deepcopy(admin)
    arn = f"arn:aws:iam::{ACCOUNT}:role/pulumi-deployer"
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        ]
    }
    role["urn"] = role["urn"].replace("::operators-admin", "::pulumi-deployer")
    role["id"] = "pulumi-deployer"
    for props in (role["inputs"], role["outputs"]):
        props.update(name="pulumi-deployer", assumeRolePolicy=json.dumps(trust), arn=arn)
        props.pop("inlinePolicies", None)
        props.pop("managedPolicyArns", None)
    role["inputs"].pop("arn")
    resources.append(role)
    for number, doc in enumerate(docs, 1):
        policy = {
            "custom": True,
            "type": "aws:iam/rolePolicy:RolePolicy",
            "urn": f"urn:pulumi:demo::genomics-landing-zone::aws:iam/rolePolicy:RolePolicy::deployer-{number}",
            "id": f"pulumi-deployer:deployer-{number}",
            "inputs": {"name": f"deployer-{number}", "role": "pulumi-deployer", "policy": json.dumps(doc)},
            "outputs": {"name": f"deployer-{number}", "role": "pulumi-deployer", "policy": json.dumps(doc)},
        }
        resources.append(policy)
    return document


@pytest.fixture(scope="module")
def demo(demo_state_document):
    view = stack_view(StackState(with_deployer(demo_state_document)))
    return view, model_of(view)


def _can(model, actor: Actor, action: str, targets: list[str]) -> bool:
    return any(model.decide(actor, action, t, data_access.DIRECT) for t in targets)


def _row(view, model, actor: Actor) -> tuple:
    def tiers(action: str) -> tuple[str, ...]:
        found = []
        for bucket in s3.data_buckets(view):
            name = s3.bucket_name(bucket)
            probes = model.object_probes(actor, name)
            if _can(model, actor, action, probes):
                found.append(s3.tier_of(bucket))
        return tuple(sorted(found))

    trail = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/glz-demo-trail"
    keys = sorted(purpose_keys(view, "data") | purpose_keys(view, "logs"))
    return (
        tiers("s3:GetObject"),
        tiers("s3:DeleteObjectVersion"),
        bool(model.decide(actor, "cloudtrail:StopLogging", trail, data_access.DIRECT)),
        _can(model, actor, "kms:ScheduleKeyDeletion", keys),
    )


def test_every_role_can_do_what_the_runbook_table_says(demo):
    view, model = demo
    actual = {}
    for principal in model.principals.values():
        name = principal.actor.name.rsplit("/", 1)[-1].removeprefix("glz-demo-")
        if name in EXPECTED:
            actual[name] = _row(view, model, principal.actor)
    assert actual == EXPECTED


def test_a_role_created_later_and_the_deployer_are_refused_by_the_resources_themselves(demo):
    """Whatever their IAM policies will say: the buckets and keys refuse them (only their denies decide)."""
    view, model = demo
    for arn in (
        f"arn:aws:iam::{ACCOUNT}:role/someone-creates-this-tomorrow",
        f"arn:aws:iam::{ACCOUNT}:role/pulumi-deployer",
    ):
        actor = Actor(ROLE, arn, ACCOUNT)
        for bucket in s3.data_buckets(view):
            target = f"arn:aws:s3:::{s3.bucket_name(bucket)}/any/object"
            assert model.resource_denies(actor, "s3:GetObject", target, data_access.DIRECT), (arn, target)
            assert model.resource_denies(actor, "s3:DeleteObjectVersion", target, data_access.DIRECT), (arn, target)
        for key in purpose_keys(view, "data") | purpose_keys(view, "logs"):
            assert model.resource_denies(actor, "kms:ScheduleKeyDeletion", key, {"aws:viaawsservice": "false"})


def test_the_admin_cannot_make_another_role_its_own(demo):
    """Editing a role's trust is how an administrator would borrow its reach: every role of the stack, the
    deployer (which may rewrite bucket policies) and the roles that may assume break-glass are denied to it."""
    _view, model = demo
    admin = model.principals[f"arn:aws:iam::{ACCOUNT}:role/glz-demo-admin"].actor
    for role in (
        "glz-demo-batch-job-alignment",
        "glz-demo-collab-broad-variant-lab",
        "glz-demo-break-glass",
        "pulumi-deployer",
        "security-officers",
    ):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
        assert not model.decide(admin, "iam:UpdateAssumeRolePolicy", arn, data_access.DIRECT), role
        assert not model.decide(admin, "iam:PutRolePolicy", arn, data_access.DIRECT), role
    # an unrelated role of the account stays the admin's to manage
    assert model.decide(
        admin, "iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/lab-tools", data_access.DIRECT
    )
