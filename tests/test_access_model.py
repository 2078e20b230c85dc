"""The access model: conditions, principal forms, IAM's evaluation, the action catalog, and rules that give
the same verdict for every equivalent way of writing a policy (property-based, with hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.access import catalog
from policies.access import conditions as cond
from policies.access.actors import ACCOUNT, ANONYMOUS, FEDERATED, ROLE, SERVICE, Actor, names
from policies.access.document import Principal, statements
from policies.access.model import AccessModel
from policies.framework import StackView, View
from policies.rules import identity, storage

ACCT = "111122223333"
OTHER = "999988887777"
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/job"
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


# ---- conditions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "context", "expected"),
    [
        ({"StringEquals": {"sts:ExternalId": ["x"]}}, {"sts:externalid": "x"}, True),
        ({"StringEquals": {"sts:ExternalId": ["x"]}}, {"sts:externalid": cond.MISSING}, False),
        ({"StringEqualsIfExists": {"sts:ExternalId": ["x"]}}, {"sts:externalid": cond.MISSING}, True),
        ({"StringNotEquals": {"aws:SourceVpce": ["vpce-1"]}}, {"aws:sourcevpce": cond.MISSING}, True),
        ({"StringNotEquals": {"aws:SourceVpce": ["vpce-1"]}}, {"aws:sourcevpce": "vpce-1"}, False),
        ({"StringLike": {"s3:prefix": ["cohort/*"]}}, {"s3:prefix": "cohort/a"}, True),
        ({"Bool": {"aws:SecureTransport": ["false"]}}, {"aws:securetransport": "false"}, True),
        ({"Bool": {"aws:SecureTransport": ["false"]}}, {}, None),
        ({"Null": {"aws:MultiFactorAuthPresent": ["true"]}}, {"aws:multifactorauthpresent": cond.MISSING}, True),
        ({"Null": {"aws:MultiFactorAuthPresent": ["false"]}}, {"aws:multifactorauthpresent": "false"}, True),
        ({"NumericLessThan": {"s3:TlsVersion": ["1.2"]}}, {"s3:tlsversion": "1.1"}, True),
        ({"NumericLessThan": {"s3:TlsVersion": ["1.2"]}}, {"s3:tlsversion": "1.3"}, False),
        ({"ArnNotLike": {"aws:PrincipalArn": [ROLE_ARN]}}, {"aws:principalarn": ROLE_ARN}, False),
        ({"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCT}:role/*"]}}, {"aws:principalarn": ROLE_ARN}, False),
        (
            {"ArnNotLike": {"aws:PrincipalArn": [ROLE_ARN]}},
            {"aws:principalarn": cond.PartialArn.of(OTHER)},
            True,
        ),
        (
            {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{OTHER}:role/x"]}},
            {"aws:principalarn": cond.PartialArn.of(OTHER)},
            None,
        ),
        (
            {"ForAnyValue:StringEqualsIgnoreCase": {"s3:RequestObjectTagKeys": ["Scan"]}},
            {"s3:requestobjecttagkeys": ["a", "scan"]},
            True,
        ),
        ({"StringEquals": {"a:b": ["1"]}, "Bool": {"c:d": ["true"]}}, {"a:b": "2"}, False),
    ],
)
def test_conditions_three_valued(block, context, expected):
    parsed = statements({"Statement": [{"Effect": "Allow", "Action": "*", "Condition": block}]})[0]
    assert cond.evaluate(parsed.conditions, context) is expected


# ---- principals ---------------------------------------------------------------------------------

ROLE_ACTOR = Actor(ROLE, ROLE_ARN, ACCT)
FOREIGN = Actor(ACCOUNT, OTHER, OTHER)


@pytest.mark.parametrize(
    ("principal", "actor", "how"),
    [
        (Principal("*", "*"), ANONYMOUS_ACTOR := Actor(ANONYMOUS, "anonymous"), "direct"),
        (Principal("AWS", "*"), FOREIGN, "direct"),
        (Principal("AWS", OTHER), FOREIGN, "account"),
        (Principal("AWS", f"arn:aws:iam::{OTHER}:root"), FOREIGN, "account"),
        (Principal("AWS", f"arn:aws:iam::{OTHER}:role/x"), FOREIGN, "direct"),
        (Principal("AWS", f"arn:aws:sts::{OTHER}:assumed-role/x/s"), FOREIGN, "direct"),
        (Principal("AWS", f"arn:aws:iam::{OTHER}:root"), ROLE_ACTOR, None),
        (Principal("AWS", f"arn:aws:iam::{ACCT}:root"), ROLE_ACTOR, "account"),
        (Principal("AWS", ROLE_ARN), ROLE_ACTOR, "direct"),
        (Principal("AWS", f"arn:aws:sts::{ACCT}:assumed-role/job/session"), ROLE_ACTOR, "direct"),
        (Principal("Service", "ec2.amazonaws.com"), Actor(SERVICE, "ec2.amazonaws.com"), "direct"),
        (Principal("Service", "ec2.amazonaws.com"), FOREIGN, None),
        (Principal("Federated", "accounts.google.com"), Actor(FEDERATED, "accounts.google.com"), "direct"),
        (Principal("CanonicalUser", "abc"), ANONYMOUS_ACTOR, "direct"),
    ],
)
def test_principal_forms(principal, actor, how):
    assert names(principal, actor) == how


# ---- evaluation ---------------------------------------------------------------------------------


def _stack(*resources: View) -> StackView:
    provider = View(
        "pulumi:providers:aws", "urn:p", "aws", {"allowedAccountIds": json.dumps([ACCT]), "region": "us-east-1"}
    )
    return StackView([provider, *resources])


def _role(name: str, trust: dict, inline: list[dict] | None = None, boundary: str | None = None) -> View:
    props = {"name": name, "arn": f"arn:aws:iam::{ACCT}:role/{name}", "assumeRolePolicy": json.dumps(trust)}
    if inline:
        props["inlinePolicies"] = [{"name": "p", "policy": json.dumps({"Statement": inline})}]
    if boundary:
        props["permissionsBoundary"] = boundary
    return View("aws:iam/role:Role", f"urn:role:{name}", name, props)


def _bucket(name: str, policy: list[dict]) -> list[View]:
    return [
        View("aws:s3/bucket:Bucket", f"urn:bucket:{name}", name, {"bucket": name}),
        View(
            "aws:s3/bucketPolicy:BucketPolicy",
            f"urn:policy:{name}",
            f"{name}-policy",
            {"bucket": name, "policy": json.dumps({"Statement": policy})},
        ),
    ]


SERVICE_TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}
READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}


def test_identity_allow_and_explicit_deny_wins():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}
    model = AccessModel(_stack(_role("job", SERVICE_TRUST, [READ]), *_bucket("data", [])))
    actor = model.principals[f"arn:aws:iam::{ACCT}:role/job"].actor
    assert model.decide(actor, "s3:GetObject", "arn:aws:s3:::data/x")
    model = AccessModel(_stack(_role("job", SERVICE_TRUST, [READ]), *_bucket("data", [deny])))
    assert not model.decide(actor, "s3:GetObject", "arn:aws:s3:::data/x")


def test_boundary_intersects_identity():
    boundary = View(
        "aws:iam/policy:Policy",
        "urn:b",
        "b",
        {"name": "b", "arn": f"arn:aws:iam::{ACCT}:policy/b", "policy": json.dumps({"Statement": [READ]})},
    )
    write = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}
    model = AccessModel(_stack(boundary, _role("job", SERVICE_TRUST, [write], f"arn:aws:iam::{ACCT}:policy/b")))
    actor = model.principals[f"arn:aws:iam::{ACCT}:role/job"].actor
    assert model.decide(actor, "s3:GetObject", "arn:aws:s3:::data/x")
    assert not model.decide(actor, "s3:PutObject", "arn:aws:s3:::data/x")
    assert not model.decide(actor, "s3:GetObject", "arn:aws:s3:::elsewhere/x")


def test_aws_managed_policy_documents_are_read():
    model = AccessModel(_stack(_role("job", SERVICE_TRUST)))
    job = model.principals[f"arn:aws:iam::{ACCT}:role/job"]
    model._attach(job, "arn:aws:iam::aws:policy/AdministratorAccess")
    assert model.decide(job.actor, "cloudtrail:StopLogging", "*")
    model._attach(job, "arn:aws:iam::aws:policy/NoSuchPolicy")
    assert job.unresolved == ["arn:aws:iam::aws:policy/NoSuchPolicy"]


def test_cross_account_needs_the_resource_policy():
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::data/*",
    }
    closed = AccessModel(_stack(*_bucket("data", [])))
    opened = AccessModel(_stack(*_bucket("data", [grant])))
    assert not closed.decide(FOREIGN, "s3:GetObject", "arn:aws:s3:::data/x")
    assert opened.decide(FOREIGN, "s3:GetObject", "arn:aws:s3:::data/x")
    assert not opened.decide(Actor(ACCOUNT, "123412341234", "123412341234"), "s3:GetObject", "arn:aws:s3:::data/x")


def test_kms_needs_the_key_policy_even_with_identity_allow():
    use = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    for key_policy, expected in (
        (
            [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
            True,
        ),
        (
            [{"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "kms:*", "Resource": "*"}],
            False,
        ),
    ):
        key = View(
            "aws:kms/key:Key",
            "urn:key",
            "key",
            {"arn": f"arn:aws:kms:us-east-1:{ACCT}:key/k1", "policy": json.dumps({"Statement": key_policy})},
        )
        model = AccessModel(_stack(key, _role("job", SERVICE_TRUST, [use])))
        actor = model.principals[f"arn:aws:iam::{ACCT}:role/job"].actor
        assert bool(model.decide(actor, "kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCT}:key/k1")) is expected


def test_role_assumption_paths_cross_accounts():
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OTHER},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "e"}},
            }
        ]
    }
    model = AccessModel(_stack(_role("partner", trust, [READ]), *_bucket("data", [])))
    paths = model.who_can("s3:GetObject", "arn:aws:s3:::data/x", actors=model.external_actors())
    assert [(p.actor.name, p.via) for p in paths] == [(OTHER, (f"arn:aws:iam::{ACCT}:role/partner",))]
    assert paths[0].decision.conditional  # the ExternalId is the outsider's to supply: reported, not guessed


# ---- catalog ------------------------------------------------------------------------------------


def test_catalog_judges_patterns_by_the_actions_they_match():
    assert catalog.whole_services("s3:*") == ["s3"]
    assert catalog.whole_services("S3:*") == ["s3"]
    assert catalog.whole_services("s3:Get*") == []
    assert "s3" in catalog.whole_services("s?:*")
    assert catalog.known("kms:Decrypt") and not catalog.known("kms:Decrypts")
    assert "s3:GetObject" in catalog.expand("s3:Get*Object")
    assert "cloudtrail:StopLogging" in catalog.actions_where("cloudtrail", prefixes=("Stop",))


# ---- the same verdict for every equivalent form (property-based) ---------------------------------


def _case(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if f else c.lower() for c, f in zip(text, flips + [False] * len(text), strict=False))


@st.composite
def whole_service_actions(draw) -> list[str]:
    """An action list granting every action of S3, in one of IAM's equivalent spellings, among others."""
    service = _case("s3", draw(st.lists(st.booleans(), min_size=2, max_size=2)))
    wildcard = draw(st.sampled_from(["*", "?*", "**", "*?", "*" * 3]))
    noise = draw(st.lists(st.sampled_from(["kms:Decrypt", "s3:GetObject", "logs:PutLogEvents"]), max_size=3))
    actions = [*noise, f"{service}:{wildcard}"]
    return draw(st.permutations(actions))


@st.composite
def every_bucket_resources(draw) -> list[str]:
    """A resource list that covers objects of buckets outside the stack, in equivalent ARN forms."""
    wide = draw(
        st.sampled_from(
            ["*", "arn:aws:s3:::*", "arn:aws:s3:::*/*", "arn:*:s3:::*", "arn:aws:s3:::?*/*", "arn:aws:s3:::*/?*"]
        )
    )
    named = draw(st.lists(st.sampled_from(["arn:aws:s3:::data/*", "arn:aws:s3:::data"]), max_size=2))
    return draw(st.permutations([*named, wide]))


def _role_policy(statement: dict) -> tuple[View, StackView]:
    view = View(
        "aws:iam/rolePolicy:RolePolicy",
        "urn:rp",
        "rp",
        {"role": "job", "policy": json.dumps({"Statement": [statement]})},
    )
    return view, _stack(_role("job", SERVICE_TRUST), view)


@PROPERTY
@given(actions=whole_service_actions(), as_string=st.booleans())
def test_whole_service_grants_fail_in_every_spelling(actions, as_string):
    action = actions[-1] if as_string else actions
    view, stack = _role_policy(
        {"Effect": "Allow", "Action": action if as_string else actions, "Resource": "arn:aws:s3:::data/*"}
    )
    if as_string and not catalog.whole_services(action):
        return  # the drawn single action is one of the noise actions: not a whole-service grant
    assert list(identity.no_wildcard_actions.check_resource(view, stack))


@PROPERTY
@given(resources=every_bucket_resources())
def test_object_reads_on_every_bucket_fail_in_every_form(resources):
    view, stack = _role_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources})
    assert list(identity.scoped_resources.check_resource(view, stack))


@PROPERTY
@given(
    resources=st.lists(
        st.sampled_from(["arn:aws:s3:::data/*", "arn:aws:s3:::data/run-?/*", "arn:aws:s3:::data"]), min_size=1
    )
)
def test_named_resources_pass_in_every_form(resources):
    view, stack = _role_policy({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": resources})
    assert not list(identity.scoped_resources.check_resource(view, stack))


EVERYONE = st.sampled_from(["*", {"AWS": "*"}, {"AWS": ["*"]}, {"AWS": ["*", f"arn:aws:iam::{ACCT}:root"]}])


@PROPERTY
@given(principal=EVERYONE, action=st.sampled_from(["s3:GetObject", "s3:Get*", "s3:*", ["s3:GetObject"]]))
def test_public_bucket_grants_fail_in_every_form(principal, action):
    grant = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "arn:aws:s3:::data/*"}
    stack = _stack(*_bucket("data", [grant]))
    assert list(storage.no_public_grants.check_stack(stack))


FOREIGN_FORMS = st.sampled_from(
    [OTHER, f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{OTHER}:role/x", f"arn:aws:sts::{OTHER}:assumed-role/x/y"]
)


@PROPERTY
@given(value=FOREIGN_FORMS, as_list=st.booleans(), with_mfa=st.booleans())
def test_cross_account_trust_without_external_id_fails_in_every_form(value, as_list, with_mfa):
    statement = {"Effect": "Allow", "Principal": {"AWS": [value] if as_list else value}, "Action": "sts:AssumeRole"}
    if with_mfa:
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    role = _role("partner", {"Statement": [statement]})
    assert list(identity.external_id.check_resource(role, _stack(role)))
    statement["Condition"] = {
        **statement.get("Condition", {}),
        "StringEquals": {"sts:ExternalId": "agreed-id-1234567890"},
    }
    guarded = _role("partner", {"Statement": [statement]})
    assert not list(identity.external_id.check_resource(guarded, _stack(guarded)))


def test_managed_policy_snapshot_matches_the_installed_moto_for_what_the_stack_attaches(demo_state_document):
    """The snapshot is moto's copy (refresh_managed_policies); documents are kept as JSON text."""
    from policies.access.model import aws_managed_policies
    from policies.access.refresh_managed_policies import moto_documents

    attached = {
        str(arn)
        for r in demo_state_document["deployment"]["resources"]
        for arn in [
            *((r.get("outputs") or {}).get("managedPolicyArns") or []),
            (r.get("outputs") or {}).get("policyArn"),
            (r.get("outputs") or {}).get("permissionsBoundary"),
        ]
        if isinstance(arn, str) and arn.startswith("arn:aws:iam::aws:policy/")
    }
    assert attached, "the demo attaches AWS managed policies"
    snapshot, moto = aws_managed_policies(), moto_documents()
    for arn in attached:
        assert isinstance(snapshot[arn]["document"], str)
        assert json.loads(snapshot[arn]["document"]) == json.loads(moto[arn]["document"])
