"""CollaboratorAccess and OperatorRoles: trust, scoping, boundaries, revocation, separation of duties."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from components import access_policies
from components.access import CollaboratorAccess, OperatorRoles
from components.data_access import RUN_TAG_KEY
from components.settings import TIERS, Collaborator
from glz.state import SECRET_SIG, SECRET_SIG_KEY, Resource, StackState
from tests.harness import ACCOUNT, STACK, make_settings, synthesize

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

DATA_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
LOG_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/66666666-7777-8888-9999-000000000000"
AUDIT_BUCKET = f"arn:aws:s3:::glz-{STACK}-audit-{ACCOUNT}-us-east-1"
BUCKETS = {tier: f"arn:aws:s3:::glz-{STACK}-{tier}-{ACCOUNT}-us-east-1" for tier in TIERS}
VIA_S3 = "s3.us-east-1.amazonaws.com"

LAB_A = {
    "name": "lab-a",
    "accountId": "222233334444",
    "externalId": "lab-a-external-id-0001",
    "tiers": ["variants"],
    "prefixes": ["cohort-1/", "cohort-2/"],
}
LAB_B = {
    "name": "lab-b",
    "accountId": "444455556666",
    "externalId": "lab-b-external-id-0002",
    "access": "read-write",
    "tiers": ["alignments", "variants"],
    "principalArns": ["arn:aws:iam::444455556666:role/pipeline", "arn:aws:iam::444455556666:user/alice"],
    "requireMfa": False,
    "maxSessionSeconds": 7200,
}
LAB_C = {
    "name": "lab-c",
    "accountId": "555566667777",
    "externalId": "lab-c-external-id-0003",
    "access": "read-write",
    "tiers": ["fastq"],
    "runTags": ["RUN-2024-001", "RUN-2024-002"],
}
EXTERNAL_IDS = [LAB_A["externalId"], LAB_B["externalId"], LAB_C["externalId"]]
ADMINS = [f"arn:aws:iam::{ACCOUNT}:role/platform-admins"]


def _build(settings) -> None:
    CollaboratorAccess("collaborators", settings, STACK, data_key_arn=DATA_KEY, bucket_arns=BUCKETS)
    OperatorRoles(
        "operators",
        settings,
        STACK,
        audit_bucket_arn=AUDIT_BUCKET,
        log_key_arn=LOG_KEY,
        data_key_arn=DATA_KEY,
        data_bucket_arns=list(BUCKETS.values()),
    )


@pytest.fixture(scope="module")
def state() -> StackState:
    settings = make_settings(collaborators=[LAB_A, LAB_B, LAB_C], adminPrincipalArns=ADMINS)
    return synthesize(lambda: _build(settings), settings)


# ---- helpers ----------------------------------------------------------------------------------


def role(state: StackState, suffix: str) -> Resource:
    matches = [r for r in state.of_type(ROLE) if r.inputs["name"] == f"glz-{STACK}-{suffix}"]
    assert len(matches) == 1, suffix
    return matches[0]


def policy_doc(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def trust(state: StackState, suffix: str) -> dict[str, Any]:
    return policy_doc(role(state, suffix).inputs["assumeRolePolicy"])


def inline(state: StackState, resource_name: str) -> list[dict[str, Any]]:
    matches = [r for r in state.of_type(ROLE_POLICY) if r.name == resource_name]
    assert len(matches) == 1, resource_name
    return policy_doc(matches[0].inputs["policy"])["Statement"]


def boundary(state: StackState, collaborator: str) -> Resource:
    matches = [r for r in state.of_type(POLICY) if r.name == f"collaborators-{collaborator}-boundary"]
    assert len(matches) == 1
    return matches[0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def decide(statements: list[dict[str, Any]], action: str, resource: str) -> str:
    """Identity-policy evaluation ignoring conditions: explicit deny > allow > implicit deny."""

    def matches(statement: dict[str, Any]) -> bool:
        actions = [a.lower() for a in as_list(statement["Action"])]
        return any(fnmatch.fnmatchcase(action.lower(), a) for a in actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in as_list(statement["Resource"])
        )

    hits = [s["Effect"] for s in statements if matches(s)]
    if "Deny" in hits:
        return "Deny"
    return "Allow" if "Allow" in hits else "ImplicitDeny"


def actions_of(statements: list[dict[str, Any]], effect: str = "Allow") -> set[str]:
    return {a for s in statements if s["Effect"] == effect for a in as_list(s["Action"])}


def strip_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return "<secret>"
        return {k: strip_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


# ---- collaborators: roles and trust -----------------------------------------------------------


def test_one_role_per_collaborator_named_by_convention(state):
    names = {r.inputs["name"] for r in state.of_type(ROLE)}
    assert {f"glz-{STACK}-collab-{n}" for n in ("lab-a", "lab-b", "lab-c")} <= names


def test_trust_admits_only_the_collaborator_account_root(state):
    (statement,) = trust(state, "collab-lab-a")["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": "arn:aws:iam::222233334444:root"}


def test_trust_admits_exactly_the_listed_principals(state):
    (statement,) = trust(state, "collab-lab-b")["Statement"]
    assert statement["Principal"] == {"AWS": sorted(LAB_B["principalArns"])}
    assert statement["Action"] == "sts:AssumeRole"


@pytest.mark.parametrize(
    "suffix,external_id", [("collab-lab-a", LAB_A["externalId"]), ("collab-lab-b", LAB_B["externalId"])]
)
def test_trust_requires_the_external_id(state, suffix, external_id):
    (statement,) = trust(state, suffix)["Statement"]
    assert statement["Condition"]["StringEquals"] == {"sts:ExternalId": external_id}


@pytest.mark.parametrize("suffix", ["collab-lab-a", "collab-lab-b", "collab-lab-c"])
def test_trust_policy_is_a_secret_in_the_state(state, suffix):
    raw = role(state, suffix).raw
    for section in ("inputs", "outputs"):
        envelope = raw[section]["assumeRolePolicy"]
        assert isinstance(envelope, dict) and envelope.get(SECRET_SIG_KEY) == SECRET_SIG, section


def test_external_ids_appear_only_inside_secret_envelopes(state):
    public = json.dumps(strip_secrets(state.document))
    for external_id in EXTERNAL_IDS:
        assert external_id not in public


def test_mfa_required_by_default_with_bounded_age(state):
    conditions = trust(state, "collab-lab-a")["Statement"][0]["Condition"]
    assert conditions["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert conditions["NumericLessThan"] == {"aws:MultiFactorAuthAge": "3600"}


def test_mfa_condition_absent_when_switched_off(state):
    conditions = trust(state, "collab-lab-b")["Statement"][0]["Condition"]
    assert "Bool" not in conditions and "NumericLessThan" not in conditions
    assert set(conditions) == {"StringEquals"}


@pytest.mark.parametrize("suffix,seconds", [("collab-lab-a", 3600), ("collab-lab-b", 7200)])
def test_max_session_duration(state, suffix, seconds):
    assert role(state, suffix).inputs["maxSessionDuration"] == seconds


@pytest.mark.parametrize("collaborator", ["lab-a", "lab-b", "lab-c"])
def test_permissions_boundary_attached(state, collaborator):
    the_role = role(state, f"collab-{collaborator}")
    assert the_role.inputs["permissionsBoundary"] == boundary(state, collaborator).outputs["arn"]
    assert the_role.inputs["forceDetachPolicies"] is True


def test_boundary_caps_to_object_access_on_own_tiers(state):
    statements = policy_doc(boundary(state, "lab-b").inputs["policy"])["Statement"]
    assert all(s["Effect"] == "Allow" for s in statements)
    assert actions_of(statements) == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectTagging",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:AbortMultipartUpload",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
    resources = {r for s in statements for r in as_list(s["Resource"])}
    assert resources == {
        BUCKETS["alignments"],
        BUCKETS["variants"],
        f"{BUCKETS['alignments']}/*",
        f"{BUCKETS['variants']}/*",
        DATA_KEY,
    }
    read_only = policy_doc(boundary(state, "lab-a").inputs["policy"])["Statement"]
    assert not actions_of(read_only) & {"s3:PutObject", "s3:PutObjectTagging", "kms:GenerateDataKey"}


# ---- collaborators: what the grant allows -----------------------------------------------------


def _collaborator_documents(state):
    for name in ("lab-a", "lab-b", "lab-c"):
        yield name, "inline", inline(state, f"collaborators-{name}-data-access")
        yield name, "boundary", policy_doc(boundary(state, name).inputs["policy"])["Statement"]


def test_no_wildcard_actions_and_no_star_resource(state):
    for name, kind, statements in _collaborator_documents(state):
        for statement in statements:
            assert statement["Effect"] == "Allow", (name, kind)
            for action in as_list(statement["Action"]):
                assert "*" not in action and "?" not in action, (name, kind, action)
            resources = as_list(statement["Resource"])
            assert "*" not in resources, (name, kind, statement)
            if any(r.startswith("arn:aws:kms:") for r in resources):
                assert resources == [DATA_KEY]
                assert all(a.startswith("kms:") for a in as_list(statement["Action"]))


def test_never_delete_or_bucket_configuration(state):
    forbidden = {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketPolicy", "s3:DeleteBucket"}
    for name, kind, statements in _collaborator_documents(state):
        assert not actions_of(statements) & forbidden, (name, kind)
        assert decide(statements, "s3:DeleteObject", f"{BUCKETS['variants']}/cohort-1/x.vcf.gz") == "ImplicitDeny"


def test_read_collaborator_gets_read_actions_only(state):
    statements = inline(state, "collaborators-lab-a-data-access")
    assert actions_of(statements) == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectTagging",
        "kms:Decrypt",
    }


def test_read_write_collaborator_can_also_upload(state):
    statements = inline(state, "collaborators-lab-b-data-access")
    assert actions_of(statements) == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectTagging",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:AbortMultipartUpload",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
    obj = f"{BUCKETS['alignments']}/sample-1/reads.cram"
    assert decide(statements, "s3:PutObject", obj) == "Allow"
    assert decide(statements, "s3:PutObject", f"{BUCKETS['fastq']}/sample-1/r1.fastq.gz") == "ImplicitDeny"


def test_grant_names_only_the_allowed_buckets_and_prefixes(state):
    statements = inline(state, "collaborators-lab-a-data-access")
    s3_resources = {r for s in statements if s["Sid"] != "UseDataKeyThroughS3" for r in as_list(s["Resource"])}
    variants = BUCKETS["variants"]
    assert s3_resources == {variants, f"{variants}/cohort-1/*", f"{variants}/cohort-2/*"}
    assert decide(statements, "s3:GetObject", f"{variants}/cohort-1/s1.vcf.gz") == "Allow"
    assert decide(statements, "s3:GetObject", f"{variants}/cohort-3/s1.vcf.gz") == "ImplicitDeny"
    assert decide(statements, "s3:GetObject", f"{BUCKETS['alignments']}/cohort-1/s1.cram") == "ImplicitDeny"


def test_listing_is_limited_to_the_prefixes(state):
    listing = next(s for s in inline(state, "collaborators-lab-a-data-access") if s["Sid"] == "ListAllowedPrefixes")
    assert listing["Action"] == ["s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["cohort-1/*", "cohort-2/*"]}}


def test_whole_tier_listing_has_no_prefix_condition_but_only_its_buckets(state):
    listing = next(s for s in inline(state, "collaborators-lab-b-data-access") if s["Sid"] == "ListAllowedPrefixes")
    assert "Condition" not in listing
    assert listing["Resource"] == sorted([BUCKETS["alignments"], BUCKETS["variants"]])


def test_run_scoped_listing_covers_only_the_runs_folders(state):
    """Listing cannot be scoped by tag: a run-scoped grant lists <prefix><run>/ only, never other runs' keys."""
    listing = next(s for s in inline(state, "collaborators-lab-c-data-access") if s["Sid"] == "ListAllowedPrefixes")
    prefixes = listing["Condition"]["StringLike"]["s3:prefix"]
    assert all(any(p.endswith(f"{run}/*") for run in ("RUN-2024-001", "RUN-2024-002")) for p in prefixes)
    assert len(prefixes) == 2 * len(LAB_C.get("prefixes", [""]))


def test_run_tags_replace_the_untagged_read(state):
    statements = inline(state, "collaborators-lab-c-data-access")
    reads = [s for s in statements if "s3:GetObject" in as_list(s["Action"])]
    assert len(reads) == 1
    assert reads[0]["Condition"] == {
        "StringEquals": {f"s3:ExistingObjectTag/{RUN_TAG_KEY}": ["RUN-2024-001", "RUN-2024-002"]}
    }
    assert not any(s["Sid"] == "ReadObjects" for s in statements)


def test_run_tagged_writer_cannot_relabel_other_runs(state):
    statements = inline(state, "collaborators-lab-c-data-access")
    runs = ["RUN-2024-001", "RUN-2024-002"]
    for statement in statements:
        actions = as_list(statement["Action"])
        if "s3:PutObject" in actions:
            assert statement["Condition"] == {"StringEquals": {f"s3:RequestObjectTag/{RUN_TAG_KEY}": runs}}
        if "s3:PutObjectTagging" in actions:
            assert statement["Condition"]["StringEquals"] == {
                f"s3:ExistingObjectTag/{RUN_TAG_KEY}": runs,
                f"s3:RequestObjectTag/{RUN_TAG_KEY}": runs,
            }


@pytest.mark.parametrize(
    "collaborator,actions",
    [("lab-a", ["kms:Decrypt"]), ("lab-b", ["kms:Decrypt", "kms:GenerateDataKey"])],
)
def test_data_key_only_through_s3(state, collaborator, actions):
    statements = inline(state, f"collaborators-{collaborator}-data-access")
    (kms,) = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert kms["Action"] == actions
    assert kms["Resource"] == DATA_KEY
    assert kms["Condition"]["StringEquals"] == {"kms:ViaService": VIA_S3}
    contexts = kms["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
    assert all(c.startswith(tuple(BUCKETS.values())) for c in contexts)


def test_revocation_removes_role_boundary_and_grant():
    two = make_settings(collaborators=[LAB_A, LAB_B])
    one = make_settings(collaborators=[LAB_A])
    before = synthesize(
        lambda: CollaboratorAccess("collaborators", two, STACK, data_key_arn=DATA_KEY, bucket_arns=BUCKETS), two
    )
    after = synthesize(
        lambda: CollaboratorAccess("collaborators", one, STACK, data_key_arn=DATA_KEY, bucket_arns=BUCKETS), one
    )

    def lab_b_resources(state):
        return {r.name for r in state.resources if "lab-b" in r.name}

    assert lab_b_resources(before) == {
        "collaborators-lab-b",
        "collaborators-lab-b-boundary",
        "collaborators-lab-b-data-access",
    }
    assert lab_b_resources(after) == set()
    assert {r.inputs["name"] for r in after.of_type(ROLE)} == {f"glz-{STACK}-collab-lab-a"}
    assert len(after.of_type(POLICY)) == 1 and len(after.of_type(ROLE_POLICY)) == 1
    assert LAB_B["accountId"] not in json.dumps(after.document)


def test_no_collaborators_no_roles():
    settings = make_settings()
    state = synthesize(
        lambda: CollaboratorAccess("collaborators", settings, STACK, data_key_arn=DATA_KEY, bucket_arns=BUCKETS),
        settings,
    )
    assert not state.of_type(ROLE) and not state.of_type(POLICY)


def test_missing_bucket_for_a_tier_is_an_error():
    settings = make_settings(collaborators=[LAB_A])
    with pytest.raises(ValueError, match="variants"):
        CollaboratorAccess(
            "collaborators", settings, STACK, data_key_arn=DATA_KEY, bucket_arns={"fastq": BUCKETS["fastq"]}
        )


def test_policy_without_buckets_is_refused():
    collaborator = Collaborator.model_validate(LAB_A)
    with pytest.raises(ValueError, match="no buckets"):
        access_policies.collaborator_access_policy(collaborator, [], DATA_KEY, "us-east-1")


# ---- operators --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["admin", "security-auditor"])
def test_operator_roles_require_mfa_in_this_account(state, suffix):
    the_role = role(state, suffix)
    assert the_role.inputs["maxSessionDuration"] == 3600
    (statement,) = policy_doc(the_role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert statement["Condition"]["NumericLessThan"] == {"aws:MultiFactorAuthAge": "3600"}
    assert statement["Condition"]["StringEquals"] == {"aws:PrincipalAccount": ACCOUNT}
    for principal in as_list(statement["Principal"]["AWS"]):
        assert principal.startswith(f"arn:aws:iam::{ACCOUNT}:")


def test_admin_trusts_listed_principals_auditor_falls_back_to_account_root(state):
    admin = policy_doc(role(state, "admin").inputs["assumeRolePolicy"])["Statement"][0]
    auditor = policy_doc(role(state, "security-auditor").inputs["assumeRolePolicy"])["Statement"][0]
    assert admin["Principal"] == {"AWS": ADMINS[0]}
    assert auditor["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


def _attached(state, role_resource_name):
    return {r.inputs["policyArn"] for r in state.of_type(ATTACHMENT) if r.name.startswith(role_resource_name)}


def test_managed_policies(state):
    assert _attached(state, "operators-admin") == {"arn:aws:iam::aws:policy/AdministratorAccess"}
    assert _attached(state, "operators-auditor") == {"arn:aws:iam::aws:policy/SecurityAudit"}


def test_admin_access_waits_for_the_guardrail(state):
    attachment = next(r for r in state.of_type(ATTACHMENT) if r.name == "operators-admin-administrator-access")
    guardrail = next(r for r in state.of_type(ROLE_POLICY) if r.name == "operators-admin-guardrails")
    assert guardrail.urn in attachment.dependencies


@pytest.mark.parametrize(
    "action,resource",
    [
        ("cloudtrail:StopLogging", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/glz-{STACK}-trail"),
        ("cloudtrail:DeleteTrail", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/glz-{STACK}-trail"),
        ("cloudtrail:UpdateTrail", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/glz-{STACK}-trail"),
        ("cloudtrail:PutEventSelectors", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/glz-{STACK}-trail"),
        ("s3:DeleteBucket", AUDIT_BUCKET),
        ("s3:PutBucketPolicy", AUDIT_BUCKET),
        ("s3:DeleteBucketPolicy", AUDIT_BUCKET),
        ("s3:PutBucketObjectLockConfiguration", AUDIT_BUCKET),
        ("s3:PutLifecycleConfiguration", AUDIT_BUCKET),
        ("s3:PutBucketVersioning", AUDIT_BUCKET),
        ("s3:DeleteObjectVersion", f"{AUDIT_BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/x.json.gz"),
        ("s3:BypassGovernanceRetention", f"{AUDIT_BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/x.json.gz"),
        ("kms:ScheduleKeyDeletion", LOG_KEY),
        ("kms:DisableKey", LOG_KEY),
        ("kms:PutKeyPolicy", LOG_KEY),
        ("kms:ScheduleKeyDeletion", DATA_KEY),
        ("iam:DeleteRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-admin"),
        ("iam:DetachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-admin"),
        ("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-security-auditor"),
        ("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-security-auditor"),
    ],
)
def test_admin_cannot_tamper_with_the_audit_plane(state, action, resource):
    # AdministratorAccess allows everything; the guardrail's explicit deny must win.
    statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}, *inline(state, "operators-admin-guardrails")]
    assert decide(statements, action, resource) == "Deny"


def test_admin_guardrail_leaves_other_buckets_alone(state):
    statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}, *inline(state, "operators-admin-guardrails")]
    assert decide(statements, "s3:PutBucketPolicy", BUCKETS["variants"]) == "Allow"
    assert all(s["Effect"] == "Deny" for s in inline(state, "operators-admin-guardrails"))


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("action", ["s3:GetObject", "s3:GetObjectVersion"])
def test_auditor_cannot_read_data_buckets(state, tier, action):
    # Even with a read-everything policy attached later, the explicit deny holds.
    statements = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, *inline(state, "operators-auditor-evidence")]
    assert decide(statements, action, f"{BUCKETS[tier]}/sample-1/object") == "Deny"


def test_auditor_cannot_decrypt_with_the_data_key(state):
    statements = inline(state, "operators-auditor-evidence")
    deny = next(s for s in statements if s["Sid"] == "DenyDataDecryption")
    assert deny["Effect"] == "Deny" and deny["Action"] == ["kms:Decrypt"] and deny["Resource"] == DATA_KEY
    assert "Condition" not in deny


def test_auditor_reads_audit_evidence(state):
    statements = inline(state, "operators-auditor-evidence")
    assert decide(statements, "s3:GetObject", f"{AUDIT_BUCKET}/AWSLogs/{ACCOUNT}/x.json.gz") == "Allow"
    assert decide(statements, "s3:ListBucket", AUDIT_BUCKET) == "Allow"
    assert decide(statements, "cloudtrail:LookupEvents", "*") == "Allow"
    log_group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/glz/{STACK}/cloudtrail"
    assert decide(statements, "logs:FilterLogEvents", log_group) == "Allow"
    kms = next(s for s in statements if s["Sid"] == "DecryptAuditLogsThroughS3")
    assert kms["Resource"] == LOG_KEY
    assert kms["Condition"]["StringEquals"] == {"kms:ViaService": VIA_S3}


def test_auditor_allows_nothing_on_data_or_writes(state):
    statements = inline(state, "operators-auditor-evidence")
    allowed_resources = {r for s in statements if s["Effect"] == "Allow" for r in as_list(s["Resource"])}
    assert not any(r.startswith(tuple(BUCKETS.values())) for r in allowed_resources)
    assert DATA_KEY not in allowed_resources
    for action in actions_of(statements):
        verb = action.split(":", 1)[1]
        assert verb.startswith(("Get", "List", "Describe", "Lookup", "Filter", "StartQuery", "StopQuery", "Decrypt"))
