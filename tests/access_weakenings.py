"""Weakenings of the demo state for the access-model rules: each rule's violation written several
equivalent ways (principal forms, wildcard forms, Not* elements, the policy in another place, a resource
added from outside the component). Each entry names the rule it must trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.mutations import edit_secret_json, find, resources

Document = dict[str, Any]
Change = Callable[[Document], None]

ACCT = "111122223333"
FOREIGN = "999988887777"
PREFIX = "urn:pulumi:demo::genomics-landing-zone::"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
ADMIN = f"arn:aws:iam::{ACCT}:role/glz-demo-admin"
JOB_ROLE = f"arn:aws:iam::{ACCT}:role/glz-demo-batch-job-alignment"
VARIANTS = f"glz-demo-variants-{ACCT}-us-east-1"
RESULTS = f"glz-demo-results-{ACCT}-us-east-1"
AUDIT = f"glz-demo-audit-{ACCT}-us-east-1"


@dataclass(frozen=True)
class Weakening:
    name: str
    change: Change
    rule: str


def named(document: Document, typ: str, name: str) -> dict[str, Any]:
    found = [r for r in find(document, typ) if r["urn"].endswith(f"::{name}")]
    assert found, f"no {typ} named {name}"
    return found[0]


def policy(typ: str, name: str, edit: Callable[[dict], None], key: str = "policy") -> Change:
    """Edit a policy document (plain or secret) of the resource ``name``."""

    def change(document: Document) -> None:
        named(document, typ, name)  # fail loudly on a typo
        edit_secret_json(typ, f"{name}", key, edit)(document)

    return change


def statement(sid: str, edit: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        hits = [s for s in doc["Statement"] if s.get("Sid") == sid]
        assert hits, f"no statement {sid}"
        for s in hits:
            edit(s)

    return apply


def first_statement(edit: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        edit(doc["Statement"][0])

    return apply


def append(*new: dict) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        doc["Statement"].extend(json.loads(json.dumps(new)))

    return apply


def set_keys(**values: Any) -> Callable[[dict], None]:
    def apply(s: dict) -> None:
        for key, value in values.items():
            if value is None:
                s.pop(key, None)
            else:
                s[key] = value

    return apply


def set_prop(typ: str, name: str, key: str, value: Any) -> Change:
    def change(document: Document) -> None:
        resource = named(document, typ, name)
        for section in ("inputs", "outputs"):
            if value is None:
                resource.get(section, {}).pop(key, None)
            else:
                resource.setdefault(section, {})[key] = value

    return change


def add(typ: str, name: str, inputs: dict[str, Any], parent: str | None = None) -> Change:
    """A resource added from outside any component (urn at the stack's top level)."""

    def change(document: Document) -> None:
        stack = next(r for r in resources(document) if r["type"] == "pulumi:pulumi:Stack")
        outputs = {"id": name, **inputs}
        resources(document).append(
            {
                "urn": f"{PREFIX}{typ}::{name}",
                "type": typ,
                "custom": True,
                "id": name,
                "inputs": inputs,
                "outputs": outputs,
                "parent": parent or stack["urn"],
            }
        )

    return change


def attach(role_name: str, role: str, policy_arn: str) -> Change:
    return add(ATTACH, f"extra-{role_name}-{policy_arn.rsplit('/', 1)[-1]}", {"role": role, "policyArn": policy_arn})


def role(name: str, trust: dict, **extra: Any) -> Change:
    arn = f"arn:aws:iam::{ACCT}:role/{name}"
    return add(ROLE, name, {"name": name, "arn": arn, "assumeRolePolicy": json.dumps(trust), **extra})


def trust_of(principal: Any, action: str = "sts:AssumeRole", condition: dict | None = None) -> dict:
    s = {"Sid": "Added", "Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        s["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [s]}


def inline(role_name: str, role: str, *statements: dict) -> Change:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return add(ROLE_POLICY, f"extra-{role_name}-inline", {"role": role, "policy": json.dumps(document)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict:
    return {"Sid": "Added", "Effect": "Allow", "Action": action, "Resource": resource, **extra}


def combine(*changes: Change) -> Change:
    def change(document: Document) -> None:
        for c in changes:
            c(document)

    return change


# Read and write: the data buckets' purpose-read deny already refuses reads to anyone outside a tier's
# purpose, so a grant must carry a write (which it does not cover) to really open the bucket.
GRANTED = ["s3:GetObject", "s3:PutObject"]


def bucket_grant(bucket_policy: str, bucket: str, principal: Any, action: Any = GRANTED) -> Change:
    return policy(
        BUCKET_POLICY,
        bucket_policy,
        append(
            {
                "Sid": "Added",
                "Effect": "Allow",
                "Principal": principal,
                "Action": action,
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ),
    )


def exempt(arn: str) -> Callable[[dict], None]:
    """Add ``arn`` to a guardrail deny's ArnNotLike aws:PrincipalArn exemption (the bucket's own guard widened)."""

    def apply(st: dict) -> None:
        values = st["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
        st["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = [*([values] if isinstance(values, str) else values), arn]

    return apply


def open_to(principal: Any, **extra: Any) -> Callable[[dict], None]:
    """Trust ``principal`` and drop the account pin (aws:PrincipalAccount) that would keep outsiders out."""

    def apply(s: dict) -> None:
        s["Principal"] = principal
        s.get("Condition", {}).pop("StringEquals", None)
        s.update(extra)

    return apply


W = Weakening
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
FOREIGN_ROOT = f"arn:aws:iam::{FOREIGN}:root"
FOREIGN_ROLE = f"arn:aws:iam::{FOREIGN}:role/partner-analyst"
FOREIGN_SESSION = f"arn:aws:sts::{FOREIGN}:assumed-role/partner-analyst/jane"
COLLAB = "collaborators-pharmaco-analytics"

CORPUS: list[Weakening] = [
    # GLZ-IAM-001: a role anyone can assume, in every principal form
    W(
        "admin trust: Principal '*'",
        policy(ROLE, "operators-admin", first_statement(open_to("*")), "assumeRolePolicy"),
        "GLZ-IAM-001",
    ),
    W(
        "admin trust: AWS '*'",
        policy(ROLE, "operators-admin", first_statement(open_to({"AWS": "*"})), "assumeRolePolicy"),
        "GLZ-IAM-001",
    ),
    W(
        "admin trust: AWS ['*']",
        policy(ROLE, "operators-admin", first_statement(open_to({"AWS": ["*"]})), "assumeRolePolicy"),
        "GLZ-IAM-001",
    ),
    W(
        "job trust: NotPrincipal allow (everyone but one)",
        policy(
            ROLE,
            "compute-job-alignment",
            append({"Sid": "Np", "Effect": "Allow", "NotPrincipal": {"AWS": ADMIN}, "Action": "sts:AssumeRole"}),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-001",
    ),
    W(
        "new role: '*' with a condition that any caller satisfies",
        role("glz-demo-extra", trust_of("*", condition={"StringLike": {"aws:PrincipalArn": "*"}})),
        "GLZ-IAM-001",
    ),
    W(
        "admin trust: Action sts:* instead of AssumeRole, principal '*'",
        policy(ROLE, "operators-admin", first_statement(open_to({"AWS": "*"}, Action="sts:*")), "assumeRolePolicy"),
        "GLZ-IAM-001",
    ),
    # GLZ-IAM-002: another account without the ExternalId, whatever the form
    W(
        "collaborator trust: ExternalId dropped",
        policy(ROLE, COLLAB, first_statement(lambda s: s["Condition"].pop("StringEquals")), "assumeRolePolicy"),
        "GLZ-IAM-002",
    ),
    W(
        "collaborator trust: ExternalId only IfExists",
        policy(
            ROLE,
            COLLAB,
            first_statement(lambda s: s["Condition"].update(StringEqualsIfExists=s["Condition"].pop("StringEquals"))),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-002",
    ),
    W(
        "collaborator trust: ExternalId StringLike '*'",
        policy(
            ROLE,
            COLLAB,
            first_statement(lambda s: s["Condition"].update(StringEquals={}, StringLike={"sts:ExternalId": "*"})),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-002",
    ),
    W(
        "new role: bare foreign account id",
        role("glz-demo-partner", trust_of({"AWS": FOREIGN}, condition=MFA)),
        "GLZ-IAM-002",
    ),
    W(
        "new role: foreign assumed-role session",
        role("glz-demo-partner", trust_of({"AWS": FOREIGN_SESSION}, condition=MFA)),
        "GLZ-IAM-002",
    ),
    W(
        "new role: SAML federation",
        role(
            "glz-demo-saml",
            trust_of({"Federated": f"arn:aws:iam::{ACCT}:saml-provider/partner-idp"}, "sts:AssumeRoleWithSAML"),
        ),
        "GLZ-IAM-002",
    ),
    W(
        "new role: web identity (any Google account)",
        role("glz-demo-oidc", trust_of({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity")),
        "GLZ-IAM-002",
    ),
    # GLZ-IAM-003: people without MFA
    W(
        "admin trust: MFA dropped",
        policy(ROLE, "operators-admin", first_statement(lambda s: s["Condition"].pop("Bool")), "assumeRolePolicy"),
        "GLZ-IAM-003",
    ),
    W(
        "admin trust: MFA only IfExists",
        policy(
            ROLE,
            "operators-admin",
            first_statement(lambda s: s["Condition"].update(BoolIfExists=s["Condition"].pop("Bool"))),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-003",
    ),
    W(
        "admin trust: MFA key merely present (Null false)",
        policy(
            ROLE,
            "operators-admin",
            first_statement(lambda s: s["Condition"].update(Bool={}, Null={"aws:MultiFactorAuthPresent": "false"})),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-003",
    ),
    W(
        "auditor trust: a second statement without MFA",
        policy(
            ROLE,
            "operators-auditor",
            append(
                {
                    "Sid": "Extra",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-003",
    ),
    W(
        "new role: in-account user without MFA",
        role("glz-demo-ops", trust_of({"AWS": f"arn:aws:iam::{ACCT}:user/ops"})),
        "GLZ-IAM-003",
    ),
    # GLZ-IAM-004: more than one outside account
    W(
        "collaborator trust: a second account in the list",
        policy(
            ROLE,
            COLLAB,
            first_statement(
                lambda s: s.update(
                    Principal={"AWS": [s["Principal"]["AWS"], FOREIGN_ROOT]}
                    if isinstance(s["Principal"]["AWS"], str)
                    else {"AWS": [*s["Principal"]["AWS"], FOREIGN_ROOT]}
                )
            ),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-004",
    ),
    W(
        "collaborator trust: a second statement for another account's role",
        policy(
            ROLE,
            COLLAB,
            lambda d: d["Statement"].append({**d["Statement"][0], "Sid": "Second", "Principal": {"AWS": FOREIGN_ROLE}}),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-004",
    ),
    W(
        "collaborator trust: another account's session",
        policy(
            ROLE,
            COLLAB,
            lambda d: d["Statement"].append(
                {**d["Statement"][0], "Sid": "Second", "Principal": {"AWS": FOREIGN_SESSION}}
            ),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-004",
    ),
    # GLZ-IAM-005: whole services granted
    W(
        "job policy: s3:*",
        policy(ROLE_POLICY, "compute-job-alignment-policy", statement("WriteOutputTier", set_keys(Action="s3:*"))),
        "GLZ-IAM-005",
    ),
    W(
        "job policy: S3:* (case)",
        policy(ROLE_POLICY, "compute-job-alignment-policy", statement("WriteOutputTier", set_keys(Action=["S3:*"]))),
        "GLZ-IAM-005",
    ),
    W(
        "job policy: s?:*",
        policy(ROLE_POLICY, "compute-job-alignment-policy", statement("WriteOutputTier", set_keys(Action="s?:*"))),
        "GLZ-IAM-005",
    ),
    W(
        "job policy: NotAction allow",
        policy(
            ROLE_POLICY,
            "compute-job-alignment-policy",
            statement("WriteOutputTier", set_keys(Action=None, NotAction="iam:*")),
        ),
        "GLZ-IAM-005",
    ),
    W(
        "role inlinePolicies: '*'",
        set_prop(
            ROLE,
            "compute-job-alignment",
            "inlinePolicies",
            [{"name": "x", "policy": json.dumps({"Statement": [allow("*")]})}],
        ),
        "GLZ-IAM-005",
    ),
    W("boundary policy: iam:*", policy(POLICY, f"{COLLAB}-boundary", append(allow("iam:*"))), "GLZ-IAM-005"),
    # GLZ-IAM-006: data actions on resources outside the stack
    W(
        "job policy: objects on '*'",
        policy(ROLE_POLICY, "compute-job-alignment-policy", statement("ReadInputTiersObjects", set_keys(Resource="*"))),
        "GLZ-IAM-006",
    ),
    W(
        "job policy: arn:aws:s3:::*",
        policy(
            ROLE_POLICY,
            "compute-job-alignment-policy",
            statement("ReadInputTiersObjects", set_keys(Resource="arn:aws:s3:::*")),
        ),
        "GLZ-IAM-006",
    ),
    W(
        "job policy: arn:aws:s3:::*/*",
        policy(
            ROLE_POLICY,
            "compute-job-alignment-policy",
            statement("ReadInputTiersObjects", set_keys(Resource=["arn:aws:s3:::*/*"])),
        ),
        "GLZ-IAM-006",
    ),
    W(
        "job policy: arn:*:s3:::*",
        policy(
            ROLE_POLICY,
            "compute-job-alignment-policy",
            statement("ReadInputTiersObjects", set_keys(Resource="arn:*:s3:::*")),
        ),
        "GLZ-IAM-006",
    ),
    W(
        "job policy: NotResource",
        policy(
            ROLE_POLICY,
            "compute-job-alignment-policy",
            statement("ReadInputTiersObjects", set_keys(Resource=None, NotResource=f"arn:aws:s3:::{AUDIT}/*")),
        ),
        "GLZ-IAM-006",
    ),
    W(
        "job policy: data key by any key ARN",
        policy(
            ROLE_POLICY,
            "compute-job-alignment-policy",
            statement("UseDataKeyThroughS3", set_keys(Resource="arn:aws:kms:*:*:key/*")),
        ),
        "GLZ-IAM-006",
    ),
    # GLZ-IAM-007: a boundary that does not bound
    W(
        "boundary: AdministratorAccess",
        set_prop(ROLE, COLLAB, "permissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess"),
        "GLZ-IAM-007",
    ),
    W(
        "boundary: PowerUserAccess",
        set_prop(ROLE, COLLAB, "permissionsBoundary", "arn:aws:iam::aws:policy/PowerUserAccess"),
        "GLZ-IAM-007",
    ),
    W(
        "boundary: AmazonS3FullAccess",
        set_prop(ROLE, COLLAB, "permissionsBoundary", "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
        "GLZ-IAM-007",
    ),
    W(
        "boundary: document allows everything",
        policy(POLICY, f"{COLLAB}-boundary", lambda d: d.update(Statement=[allow("*")])),
        "GLZ-IAM-007",
    ),
    W("boundary: removed", set_prop(ROLE, COLLAB, "permissionsBoundary", None), "GLZ-IAM-007"),
    W(
        "boundary: a policy nobody can read",
        set_prop(ROLE, COLLAB, "permissionsBoundary", f"arn:aws:iam::{ACCT}:policy/elsewhere"),
        "GLZ-IAM-007",
    ),
    # GLZ-IAM-009: outside paths to data
    W(
        "variants policy: grant to a foreign root",
        bucket_grant("data-variants-policy", VARIANTS, {"AWS": FOREIGN_ROOT}),
        "GLZ-IAM-009",
    ),
    W(
        "variants policy: grant to a bare foreign account",
        bucket_grant("data-variants-policy", VARIANTS, {"AWS": FOREIGN}),
        "GLZ-IAM-009",
    ),
    W(
        "variants policy: grant to a foreign role",
        bucket_grant("data-variants-policy", VARIANTS, {"AWS": [FOREIGN_ROLE]}),
        "GLZ-IAM-009",
    ),
    W(
        "variants policy: grant to a foreign session",
        bucket_grant("data-variants-policy", VARIANTS, {"AWS": FOREIGN_SESSION}),
        "GLZ-IAM-009",
    ),
    W(
        "new role trusted by another account with MFA but no ExternalId, reading and writing variants",
        combine(
            role("glz-demo-partner", trust_of({"AWS": FOREIGN_ROOT}, condition=MFA)),
            inline("glz-demo-partner", "glz-demo-partner", allow(GRANTED, f"arn:aws:s3:::{VARIANTS}/*")),
        ),
        "GLZ-IAM-009",
    ),
    W(
        "collaborator may delete versions (policy, boundary and the bucket's own guard)",
        combine(
            policy(
                BUCKET_POLICY,
                "data-results-policy",
                statement(
                    "DenyVersionDestructionButBreakGlass",
                    exempt(f"arn:aws:iam::{ACCT}:role/glz-demo-collab-pharmaco-analytics"),
                ),
            ),
            policy(
                ROLE_POLICY,
                f"{COLLAB}-data-access",
                statement("WriteObjects", lambda s: s["Action"].append("s3:DeleteObjectVersion")),
            ),
            policy(
                POLICY,
                f"{COLLAB}-boundary",
                statement("BoundaryObjects", lambda s: s["Action"].append("s3:DeleteObjectVersion")),
            ),
        ),
        "GLZ-IAM-009",
    ),
    # GLZ-IAM-010: the audit plane silenced from inside the stack
    W(
        "job role gets AdministratorAccess",
        attach("job", "glz-demo-batch-job-alignment", "arn:aws:iam::aws:policy/AdministratorAccess"),
        "GLZ-IAM-010",
    ),
    W(
        "instance role gets PowerUserAccess",
        attach("instance", "glz-demo-batch-instance", "arn:aws:iam::aws:policy/PowerUserAccess"),
        "GLZ-IAM-010",
    ),
    W(
        "flow-logs role may delete log groups",
        policy(ROLE_POLICY, "network-flow-logs", append(allow("logs:Delete*"))),
        "GLZ-IAM-010",
    ),
    W(
        "job role inline (on the Role) stops Config",
        set_prop(
            ROLE,
            "compute-job-variant-calling",
            "inlinePolicies",
            [{"name": "x", "policy": json.dumps({"Statement": [allow("config:StopConfigurationRecorder")]})}],
        ),
        "GLZ-IAM-010",
    ),
    W(
        "admin guardrail: audit-plane deny removed",
        policy(
            ROLE_POLICY,
            "operators-admin-guardrails",
            lambda d: d.update(Statement=[s for s in d["Statement"] if s["Sid"] != "DenyAuditPlaneTampering"]),
        ),
        "GLZ-IAM-010",
    ),
    W(
        "admin guardrail: audit-plane deny narrowed to one ARN",
        policy(
            ROLE_POLICY,
            "operators-admin-guardrails",
            statement("DenyAuditPlaneTampering", set_keys(Resource=f"arn:aws:logs:us-east-1:{ACCT}:log-group:other")),
        ),
        "GLZ-IAM-010",
    ),
    W(
        "admin guardrail: audit-plane deny only in another region",
        policy(
            ROLE_POLICY,
            "operators-admin-guardrails",
            statement(
                "DenyAuditPlaneTampering", set_keys(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
            ),
        ),
        "GLZ-IAM-010",
    ),
    W(
        "new IAM user with PowerUserAccess",
        combine(
            add("aws:iam/user:User", "ops-user", {"name": "ops-user", "arn": f"arn:aws:iam::{ACCT}:user/ops-user"}),
            add(
                "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                "ops-user-power",
                {"user": "ops-user", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
            ),
        ),
        "GLZ-IAM-010",
    ),
    # GLZ-IAM-011: escalation by workload roles
    W(
        "job role: iam:PassRole on '*'",
        inline("job", "glz-demo-batch-job-alignment", allow("iam:PassRole")),
        "GLZ-IAM-011",
    ),
    W(
        "instance role: IAMFullAccess",
        attach("instance", "glz-demo-batch-instance", "arn:aws:iam::aws:policy/IAMFullAccess"),
        "GLZ-IAM-011",
    ),
    W(
        "job role: iam:Put* via NotResource",
        inline(
            "job",
            "glz-demo-batch-job-variant-calling",
            {"Sid": "x", "Effect": "Allow", "Action": "iam:Put*", "NotResource": ADMIN},
        ),
        "GLZ-IAM-011",
    ),
    W(
        "malware scan role: UpdateAssumeRolePolicy on roles/*",
        inline("scan", "glz-demo-malware-scan-bcl", allow("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCT}:role/*")),
        "GLZ-IAM-011",
    ),
    W(
        "new IAM user with IAMFullAccess",
        combine(
            add("aws:iam/user:User", "iam-user", {"name": "iam-user", "arn": f"arn:aws:iam::{ACCT}:user/iam-user"}),
            add(
                "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                "iam-user-full",
                {"user": "iam-user", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"},
            ),
        ),
        "GLZ-IAM-011",
    ),
    # GLZ-IAM-012: compute destroys, reads logs, exfiltrates
    W(
        "job role: delete versions of its output",
        combine(
            policy(
                ROLE_POLICY,
                "compute-job-alignment-policy",
                statement("WriteOutputTier", lambda s: s["Action"].append("s3:DeleteObjectVersion")),
            ),
            policy(
                BUCKET_POLICY,
                "data-alignments-policy",
                statement(
                    "DenyVersionDestructionButBreakGlass",
                    exempt(f"arn:aws:iam::{ACCT}:role/glz-demo-batch-job-alignment"),
                ),
            ),
        ),
        "GLZ-IAM-012",
    ),
    W(
        "job role: AmazonS3FullAccess",
        attach("job", "glz-demo-batch-job-alignment", "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
        "GLZ-IAM-012",
    ),
    W(
        "job role: reads the audit bucket",
        inline("job", "glz-demo-batch-job-alignment", allow("s3:GetObject", f"arn:aws:s3:::{AUDIT}/*")),
        "GLZ-IAM-012",
    ),
    W(
        "job role: decrypts with the log key",
        inline(
            "job",
            "glz-demo-batch-job-alignment",
            allow("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCT}:key/25bbd72c-7ba7-5f2f-b76f-4fe1f40880e0"),
        ),
        "GLZ-IAM-012",
    ),
    W(
        "instance role: writes anywhere",
        inline("instance", "glz-demo-batch-instance", allow("s3:PutObject", "arn:aws:s3:::*/*")),
        "GLZ-IAM-012",
    ),
    W(
        "job role: rewrites a tier's bucket policy",
        combine(
            inline(
                "job", "glz-demo-batch-job-variant-calling", allow("s3:PutBucketPolicy", f"arn:aws:s3:::{VARIANTS}")
            ),
            policy(
                BUCKET_POLICY,
                "data-variants-policy",
                statement(
                    "DenyConfigurationChangesButDeployer",
                    exempt(f"arn:aws:iam::{ACCT}:role/glz-demo-batch-job-variant-calling"),
                ),
            ),
        ),
        "GLZ-IAM-012",
    ),
    # GLZ-KMS-003: keys usable from outside
    W(
        "data key: Principal '*'",
        policy(
            KEY,
            "keys-data",
            append({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}),
        ),
        "GLZ-KMS-003",
    ),
    W(
        "data key: AWS ['*']",
        policy(
            KEY,
            "keys-data",
            append({"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:*", "Resource": "*"}),
        ),
        "GLZ-KMS-003",
    ),
    W(
        "data key: a foreign root",
        policy(
            KEY,
            "keys-data",
            append(
                {
                    "Sid": "Open",
                    "Effect": "Allow",
                    "Principal": {"AWS": FOREIGN_ROOT},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                }
            ),
        ),
        "GLZ-KMS-003",
    ),
    W(
        "log key: a foreign role",
        policy(
            KEY,
            "keys-logs",
            append(
                {
                    "Sid": "Open",
                    "Effect": "Allow",
                    "Principal": {"AWS": FOREIGN_ROLE},
                    "Action": ["kms:Decrypt", "kms:DescribeKey"],
                    "Resource": "*",
                }
            ),
        ),
        "GLZ-KMS-003",
    ),
    W(
        "data key: '*' limited to a foreign caller account",
        policy(
            KEY,
            "keys-data",
            append(
                {
                    "Sid": "Open",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": FOREIGN}},
                }
            ),
        ),
        "GLZ-KMS-003",
    ),
    W(
        "data key: a KMS grant to a foreign role",
        add(
            "aws:kms/grant:Grant",
            "partner-grant",
            {
                "keyId": "arn:aws:kms:us-east-1:111122223333:key/15d6ecc7-7957-5d84-b7a9-c692e83a8873",
                "granteePrincipal": FOREIGN_ROLE,
                "operations": ["Decrypt"],
            },
        ),
        "GLZ-KMS-003",
    ),
    # GLZ-S3-005: TLS deny present but narrowed
    W(
        "results TLS deny: only for the admin",
        policy(
            BUCKET_POLICY, "data-results-policy", statement("DenyInsecureTransport", set_keys(Principal={"AWS": ADMIN}))
        ),
        "GLZ-S3-005",
    ),
    W(
        "results TLS deny: bucket ARN only",
        policy(
            BUCKET_POLICY,
            "data-results-policy",
            statement("DenyInsecureTransport", set_keys(Resource=f"arn:aws:s3:::{RESULTS}")),
        ),
        "GLZ-S3-005",
    ),
    W(
        "results TLS deny: reads only",
        policy(
            BUCKET_POLICY, "data-results-policy", statement("DenyInsecureTransport", set_keys(Action="s3:GetObject"))
        ),
        "GLZ-S3-005",
    ),
    W(
        "results TLS deny: everyone except a job role (NotPrincipal)",
        policy(
            BUCKET_POLICY,
            "data-results-policy",
            statement("DenyInsecureTransport", set_keys(Principal=None, NotPrincipal={"AWS": JOB_ROLE})),
        ),
        "GLZ-S3-005",
    ),
    W(
        "audit TLS deny: condition inverted to true",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            statement("DenyInsecureTransport", set_keys(Condition={"Bool": {"aws:SecureTransport": "true"}})),
        ),
        "GLZ-S3-005",
    ),
    # GLZ-S3-006: encryption denies present but narrowed
    W(
        "results SSE deny: only for the admin",
        policy(
            BUCKET_POLICY, "data-results-policy", statement("DenyNonKmsEncryption", set_keys(Principal={"AWS": ADMIN}))
        ),
        "GLZ-S3-006",
    ),
    W(
        "results SSE deny: one prefix",
        policy(
            BUCKET_POLICY,
            "data-results-policy",
            statement("DenyNonKmsEncryption", set_keys(Resource=f"arn:aws:s3:::{RESULTS}/raw/*")),
        ),
        "GLZ-S3-006",
    ),
    W(
        "results key deny: another key accepted too",
        policy(
            BUCKET_POLICY,
            "data-results-policy",
            statement(
                "DenyOtherKmsKeys",
                lambda s: s["Condition"]["StringNotEqualsIfExists"].update(
                    {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": [
                            s["Condition"]["StringNotEqualsIfExists"]["s3:x-amz-server-side-encryption-aws-kms-key-id"],
                            f"arn:aws:kms:us-east-1:{'0' * 12}:key/00000000-0000-0000-0000-glzotherkey0",
                        ]
                    }
                ),
            ),
        ),
        "GLZ-S3-006",
    ),
    W(
        "results SSE deny: checks the customer-key header instead",
        policy(
            BUCKET_POLICY,
            "data-results-policy",
            statement(
                "DenyNonKmsEncryption",
                set_keys(
                    Condition={
                        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-customer-algorithm": "AES256"}
                    }
                ),
            ),
        ),
        "GLZ-S3-006",
    ),
    # GLZ-S3-007: buckets open to outsiders
    W(
        "access-log bucket: Principal '*' reads",
        bucket_grant("data-access-logs-policy", f"glz-demo-access-logs-{ACCT}-us-east-1", "*"),
        "GLZ-S3-007",
    ),
    W("audit bucket: AWS ['*'] reads", bucket_grant("audit-bucket-policy", AUDIT, {"AWS": ["*"]}), "GLZ-S3-007"),
    W(
        "audit bucket: a foreign account reads",
        bucket_grant("audit-bucket-policy", AUDIT, {"AWS": FOREIGN}),
        "GLZ-S3-007",
    ),
    W(
        "results bucket: a canonical user",
        bucket_grant(
            "data-results-policy",
            RESULTS,
            {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
        ),
        "GLZ-S3-007",
    ),
    W(
        "results bucket: NotPrincipal allow",
        policy(
            BUCKET_POLICY,
            "data-results-policy",
            append(
                {
                    "Sid": "Np",
                    "Effect": "Allow",
                    "NotPrincipal": {"AWS": ADMIN},
                    "Action": GRANTED,
                    "Resource": f"arn:aws:s3:::{RESULTS}/*",
                }
            ),
        ),
        "GLZ-S3-007",
    ),
    # GLZ-S3-012: endpoint-only deny present but narrowed
    W(
        "variants endpoint deny: exempts a foreign role",
        policy(
            BUCKET_POLICY,
            "data-variants-policy",
            statement(
                "DenyAccessOutsideVpcEndpoint",
                lambda s: s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(FOREIGN_ROLE),
            ),
        ),
        "GLZ-S3-012",
    ),
    W(
        "variants endpoint deny: exempts every role of the account",
        policy(
            BUCKET_POLICY,
            "data-variants-policy",
            statement(
                "DenyAccessOutsideVpcEndpoint",
                lambda s: s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(f"arn:aws:iam::{ACCT}:role/*"),
            ),
        ),
        "GLZ-S3-012",
    ),
    W(
        "variants endpoint deny: exempts a look-alike of the service-linked role path",
        policy(
            BUCKET_POLICY,
            "data-variants-policy",
            statement(
                "DenyAccessOutsideVpcEndpoint",
                lambda s: s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(
                    f"arn:aws:iam::{ACCT}:role/aws-service-role*"
                ),
            ),
        ),
        "GLZ-S3-012",
    ),
    W(
        "variants endpoint deny: exempts every account's service-linked roles and anything below them",
        policy(
            BUCKET_POLICY,
            "data-variants-policy",
            statement(
                "DenyAccessOutsideVpcEndpoint",
                lambda s: s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(
                    "arn:aws:iam::*:role/*service-role/*"
                ),
            ),
        ),
        "GLZ-S3-012",
    ),
    W(
        "variants endpoint deny: only for the admin",
        policy(
            BUCKET_POLICY,
            "data-variants-policy",
            statement("DenyAccessOutsideVpcEndpoint", set_keys(Principal={"AWS": ADMIN})),
        ),
        "GLZ-S3-012",
    ),
    W(
        "variants endpoint deny: bucket ARN only",
        policy(
            BUCKET_POLICY,
            "data-variants-policy",
            statement("DenyAccessOutsideVpcEndpoint", set_keys(Resource=f"arn:aws:s3:::{VARIANTS}")),
        ),
        "GLZ-S3-012",
    ),
    W(
        "variants endpoint deny: reads only",
        policy(
            BUCKET_POLICY,
            "data-variants-policy",
            statement("DenyAccessOutsideVpcEndpoint", set_keys(Action=["s3:GetObject"])),
        ),
        "GLZ-S3-012",
    ),
    W(
        "variants: tag removed and endpoint deny removed (identity by reference)",
        combine(
            set_prop(BUCKET, "data-variants", "tags", {}),
            policy(
                BUCKET_POLICY,
                "data-variants-policy",
                lambda d: d.update(Statement=[s for s in d["Statement"] if s["Sid"] != "DenyAccessOutsideVpcEndpoint"]),
            ),
        ),
        "GLZ-S3-012",
    ),
    W(
        "variants: tag says scratch and endpoint deny narrowed",
        combine(
            set_prop(BUCKET, "data-variants", "tags", {"DataTier": "scratch"}),
            policy(
                BUCKET_POLICY,
                "data-variants-policy",
                statement("DenyAccessOutsideVpcEndpoint", set_keys(Action=["s3:GetObject"])),
            ),
        ),
        "GLZ-S3-012",
    ),
    # GLZ-S3-013: buckets nobody classifies
    W(
        "a bucket added outside the components",
        add(BUCKET, "side-bucket", {"bucket": "glz-demo-side-bucket", "tags": {"DataTier": "variants"}}),
        "GLZ-S3-013",
    ),
    W("a bucket added with no tags", add(BUCKET, "side-bucket", {"bucket": "glz-demo-side-bucket"}), "GLZ-S3-013"),
    W(
        "a bucket tagged audit outside the audit trail",
        add(BUCKET, "side-bucket", {"bucket": "glz-demo-fake-audit", "tags": {"DataTier": "audit"}}),
        "GLZ-S3-013",
    ),
]
