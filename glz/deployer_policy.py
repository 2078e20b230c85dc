"""`glz deployer-policy --stack S`: the IAM policies the role that runs `pulumi up` needs, and nothing more.

Computed from the synthesized stack: every resource type it declares adds the writes its lifecycle calls
(glz/deployer_actions.TYPE_NEEDS) and its service's reads. Scoped where IAM can scope:
- IAM writes only on this stack's roles, policies and instance profiles (names `<prefix>-<stack>-*`, either
  form naming.role_name uses); `iam:PassRole` only of those roles and the service-linked roles the stack
  uses; `iam:AttachRolePolicy` only of the managed policies the stack attaches (``iam:PolicyARN``);
  `iam:CreateServiceLinkedRole` only for the services the stack turns on (``iam:AWSServiceName``);
- S3 bucket writes only on the stack's buckets;
- key deletion only of keys the stack does not retain (``aws:ResourceTag/Purpose``: KMS supports resource
  tags as conditions on key operations, AWS KMS Developer Guide, "ABAC for AWS KMS"); the data and log keys'
  own policies refuse it to the deployer anyway.
The last statements deny reading or changing the stack's objects, using or disabling its keys, reading log
contents and creating people's credentials, whatever else the role is given (an explicit Deny wins over any
Allow).

The documents are checked before they are written: every action exists in the IAM catalog, no Allow matches a
forbidden action, no `*` action or Not* element, each document within the 6,144-character managed-policy
quota (IAM User Guide, "IAM and AWS STS quotas": whitespace not counted) and at most 10 documents (the default
managed policies per role).

What it cannot narrow: the deployer manages every role of the stack, the admin and break-glass roles
included, so it can give one of them more. That is why every use of a deployer raises `deployer-used`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import naming
from components.settings import Settings
from glz.deployer_actions import (
    DATA_ACTIONS,
    ELSEWHERE_ACTIONS,
    KEY_USE_ACTIONS,
    OBJECT_ACTIONS,
    SERVICE_READS,
    TYPE_NEEDS,
)
from glz.state import StackState
from policies.access import catalog

POLICY_MAX_CHARACTERS = 6144
"""IAM quota: managed policy size, whitespace excluded."""
POLICIES_PER_ROLE = 10
"""IAM quota: managed policies attached to a role (default; can be raised to 20)."""

ACCOUNT_LEVEL_ACTIONS = frozenset(
    {
        # No resource type in the Service Authorization Reference: only Resource "*" authorizes them.
        "s3:PutAccountPublicAccessBlock",
        "iam:UpdateAccountPasswordPolicy",
        "iam:DeleteAccountPasswordPolicy",
    }
)


class UnknownResourceTypesError(Exception):
    """The stack declares resource types whose API calls the table does not know."""


def _services_principals(value: Any) -> set[str]:
    document = json.loads(value) if isinstance(value, str) else value or {}
    found = set()
    for statement in document.get("Statement", []) if isinstance(document, dict) else []:
        service = (statement.get("Principal") or {}).get("Service") if isinstance(statement, dict) else None
        found |= {service} if isinstance(service, str) else set(service or ())
    return found


@dataclass(frozen=True)
class Scope:
    """Where the stack's names live: enough to scope ARNs, from the settings or from a state alone."""

    partition: str
    account_id: str
    name_prefix: str
    stack: str

    def iam(self, kind: str) -> list[str]:
        return naming.stack_iam_patterns(self.partition, self.account_id, self.name_prefix, self.stack, kind)


def scope_of_settings(settings: Settings, stack: str) -> Scope:
    return Scope(settings.partition, settings.account_id, settings.name_prefix, stack)


def scope_of_state(state: StackState) -> Scope | None:
    """The scope a state records (None for a state without the outputs, e.g. an older export)."""
    outputs = state.stack_outputs()
    stack = next((r.urn.split("::")[0].removeprefix("urn:pulumi:") for r in state.resources), "")
    account, prefix, region = (str(outputs.get(k) or "") for k in ("accountId", "namePrefix", "region"))
    if not (stack and account and prefix):
        return None
    return Scope("aws-us-gov" if region.startswith("us-gov-") else "aws", account, prefix, stack)


def statements(scope: Scope, state: StackState) -> list[dict[str, Any]]:
    """The deployer's statements for this stack (raises UnknownResourceTypes for an unmapped type)."""
    types = {r.type for r in state.resources if r.custom and r.type.startswith("aws:")}
    unknown = sorted(t for t in types if t not in TYPE_NEEDS)
    if unknown:
        raise UnknownResourceTypesError(", ".join(unknown))
    needs = [TYPE_NEEDS[t] for t in sorted(types)]
    writes = sorted({a for n in needs for a in n.actions})
    services = sorted({a.split(":")[0] for a in writes})
    reads = sorted({a for s in services for a in SERVICE_READS.get(s, ())})
    linked = sorted(
        {s for n in needs for s in n.service_linked}
        | {
            str(r.prop("awsServiceName"))
            for r in state.resources
            if r.type.endswith("serviceLinkedRole:ServiceLinkedRole")
        }
    )
    account = f"arn:{scope.partition}:iam::{scope.account_id}"
    roles = scope.iam("role")

    def is_iam(action: str) -> bool:
        return action.startswith("iam:")

    def is_s3_bucket(action: str) -> bool:
        return action.startswith("s3:") and action not in ACCOUNT_LEVEL_ACTIONS

    anywhere = [a for a in writes if not is_iam(a) and not is_s3_bucket(a)]
    out: list[dict[str, Any]] = [
        {"Sid": "ReadStackConfiguration", "Effect": "Allow", "Action": reads, "Resource": "*"},
        {"Sid": "ManageStackResources", "Effect": "Allow", "Action": anywhere, "Resource": "*"},
    ]
    buckets = sorted({str(r.prop("bucket")) for r in state.resources if r.type == "aws:s3/bucket:Bucket"})
    bucket_writes = [a for a in writes if is_s3_bucket(a)]
    if bucket_writes and buckets:
        out.append(
            {
                "Sid": "ManageStackBuckets",
                "Effect": "Allow",
                "Action": bucket_writes,
                "Resource": [f"arn:{scope.partition}:s3:::{b}" for b in buckets],
            }
        )
    special = {"iam:AttachRolePolicy", "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole"}
    iam_writes = [a for a in writes if is_iam(a) and a not in ACCOUNT_LEVEL_ACTIONS and a not in special]
    if iam_writes:
        out.append(
            {
                "Sid": "ManageStackIdentities",
                "Effect": "Allow",
                "Action": iam_writes,
                "Resource": sorted(
                    {
                        *roles,
                        *scope.iam("policy"),
                        *scope.iam("instance-profile"),
                    }
                ),
            }
        )
    if "iam:AttachRolePolicy" in writes:
        attached = {
            str(r.prop("policyArn"))
            for r in state.resources
            if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
            and str(r.prop("policyArn")).startswith(f"arn:{scope.partition}:iam::aws:policy/")
        }
        out.append(
            {
                "Sid": "AttachOnlyTheStacksPolicies",
                "Effect": "Allow",
                "Action": ["iam:AttachRolePolicy"],
                "Resource": roles,
                "Condition": {"ArnLike": {"iam:PolicyARN": sorted({*attached, *scope.iam("policy")})}},
            }
        )
    account_level = [a for a in writes if a in ACCOUNT_LEVEL_ACTIONS]
    if account_level:
        out.append({"Sid": "AccountSettings", "Effect": "Allow", "Action": account_level, "Resource": "*"})
    if any(n.passes_role for n in needs):
        out.append(
            {
                "Sid": "PassOnlyTheStacksRoles",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": sorted({*roles, *(f"{account}:role/aws-service-role/{s}/*" for s in linked)}),
            }
        )
    if linked:
        out.append(
            {
                "Sid": "TurnOnTheStacksServices",
                "Effect": "Allow",
                "Action": ["iam:CreateServiceLinkedRole"],
                "Resource": f"{account}:role/aws-service-role/*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": linked}},
            }
        )
        if "iam:DeleteServiceLinkedRole" in writes:
            out.append(
                {
                    "Sid": "RemoveTheStacksServiceLinkedRoles",
                    "Effect": "Allow",
                    "Action": ["iam:DeleteServiceLinkedRole"],
                    "Resource": [f"{account}:role/aws-service-role/{s}/*" for s in linked],
                }
            )
    if _trail_checks_bucket_key(state):
        out.append(
            {
                "Sid": TRAIL_KEY_SID,
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/Purpose": [TRAIL_KEY_PURPOSE]}},
            }
        )
    for service in SERVICE_KEYS:
        purposes = service.purposes(state)
        if purposes:
            out.append(
                {
                    "Sid": service.allow_sid,
                    "Effect": "Allow",
                    "Action": list(service.actions),
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:ResourceTag/Purpose": purposes},
                        "StringLike": {"kms:ViaService": f"{service.service}.*.amazonaws.com"},
                    },
                }
            )
    unretained = _key_purposes(state, unretained_only=True)
    if unretained:
        out.append(
            {
                "Sid": "DeleteOnlyUnretainedKeys",
                "Effect": "Allow",
                "Action": ["kms:ScheduleKeyDeletion"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/Purpose": unretained}},
            }
        )
    out += _denies(scope, state, buckets)
    return [s for s in out if s["Action"]]


TRAIL_KEY_PURPOSE = "logs"
TRAIL_KEY_SID = "TrailChecksTheAuditBucketKey"


def _keys_named_by(state: StackState, arns: set[str]) -> list[str]:
    """Purpose tags of the stack's keys whose ARN is in ``arns``."""
    return sorted(
        {
            str(k.prop("tags")["Purpose"])
            for k in state.of_type("aws:kms/key:Key")
            if (k.prop("tags") or {}).get("Purpose") and str(k.outputs.get("arn")) in arns
        }
    )


@dataclass(frozen=True)
class ServiceKeys:
    """Keys a service uses in the deployer's name while it creates the resources they encrypt: the deployer may use
    them through that service only (kms:ViaService), and its key-use deny exempts requests that service makes."""

    service: str  # kms:ViaService prefix, and the `<action>@<service>` mark of required_actions
    resource_type: str
    key_of: Callable[[Any], Any]  # the resource's key ARN, from its properties
    allow_sid: str
    deny_sid: str
    actions: tuple[str, ...]

    def purposes(self, state: StackState) -> list[str]:
        """Purpose tags of the keys the stack's resources of this type are encrypted with."""
        arns = {str(self.key_of(r)) for r in state.of_type(self.resource_type) if self.key_of(r)}
        return _keys_named_by(state, arns)


SERVICE_KEYS = (
    # DynamoDB encrypts a table with a customer managed key in its creator's name: it needs these on the key
    # (DynamoDB Developer Guide, "Key policy for a customer managed key")
    ServiceKeys(
        "dynamodb",
        "aws:dynamodb/table:Table",
        lambda t: (t.prop("serverSideEncryption") or {}).get("kmsKeyArn"),
        "EncryptTheStacksTablesThroughDynamoDB",
        "NeverUseTheTableKeysButThroughDynamoDB",
        (
            "kms:CreateGrant",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:GenerateDataKey",
        ),
    ),
    # AWS Backup uses a vault's key in its creator's name when the vault is created (kms:CreateGrant, Decrypt,
    # GenerateDataKey; AWS re:Post, "Why do I get an Access Denied error when I try to create an AWS Backup vault?")
    ServiceKeys(
        "backup",
        "aws:backup/vault:Vault",
        lambda v: v.prop("kmsKeyArn"),
        "EncryptTheStacksVaultsThroughAwsBackup",
        "NeverUseTheVaultKeysButThroughAwsBackup",
        ("kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey", "kms:RetireGrant"),
    ),
    # Step Functions encrypts a state machine's definition under its customer managed key in the name of whoever
    # creates, updates or describes it (components/run_workflow, "AWS facts relied on")
    ServiceKeys(
        "states",
        "aws:sfn/stateMachine:StateMachine",
        lambda m: (m.prop("encryptionConfiguration") or {}).get("kmsKeyId"),
        "EncryptTheStacksWorkflowsThroughStepFunctions",
        "NeverUseTheWorkflowKeysButThroughStepFunctions",
        ("kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"),
    ),
)

"""CloudTrail: "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are required
to create or update a trail with SSE-KMS encryption enabled" (AWS CloudTrail User Guide, "Configure AWS KMS key
policies for CloudTrail"). The audit bucket uses a bucket key with the log key, so the deployer may decrypt with
that key; the audit bucket's objects and the log groups' contents stay denied to it, so there is nothing it can
read with it."""


def _trail_checks_bucket_key(state: StackState) -> bool:
    trails = [r for r in state.resources if r.type == "aws:cloudtrail/trail:Trail" and r.prop("kmsKeyId")]
    keyed = [
        r
        for r in state.resources
        if r.type.endswith("BucketServerSideEncryptionConfiguration")
        and any(isinstance(rule, dict) and rule.get("bucketKeyEnabled") for rule in r.prop("rules") or [])
    ]
    return bool(trails and keyed)


def _key_purposes(state: StackState, unretained_only: bool = False) -> list[str]:
    """The Purpose tags of the stack's keys (of the keys `pulumi destroy` deletes, with ``unretained_only``)."""
    return sorted(
        {
            str(r.prop("tags")["Purpose"])
            for r in state.of_type("aws:kms/key:Key")
            if (r.prop("tags") or {}).get("Purpose") and not (unretained_only and r.raw.get("retainOnDelete"))
        }
    )


def _denies(scope: Scope, state: StackState, buckets: list[str]) -> list[dict[str, Any]]:
    """What no other grant to the deployer may add. Scoped to this stack's buckets and keys, so Pulumi's own
    backend bucket and secrets-provider key (the organization's, granted in their own policies) stay usable."""
    purposes = _key_purposes(state)
    out: list[dict[str, Any]] = [
        {"Sid": "NeverPeoplesAccessOrLogContents", "Effect": "Deny", "Action": list(ELSEWHERE_ACTIONS), "Resource": "*"}
    ]
    if buckets:
        out.append(
            {
                "Sid": "NeverGenomicDataOrAuditRecords",
                "Effect": "Deny",
                "Action": list(OBJECT_ACTIONS),
                "Resource": [f"arn:{scope.partition}:s3:::{b}/*" for b in buckets],
            }
        )
    if purposes:
        # The keys are told apart by their Purpose tag (KMS evaluates aws:ResourceTag on key operations);
        # removing or rewriting that tag is refused too, so the deny cannot be stepped around.
        checked = [p for p in purposes if p == TRAIL_KEY_PURPOSE and _trail_checks_bucket_key(state)]
        through: list[tuple[ServiceKeys, list[str]]] = []
        taken = set(checked)
        for service in SERVICE_KEYS:
            mine = [p for p in service.purposes(state) if p not in taken]
            taken |= set(mine)
            through.append((service, mine))
        plain = [p for p in purposes if p not in taken]
        out += [
            {
                "Sid": "NeverUseTheStacksKeys",
                "Effect": "Deny",
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/Purpose": plain}},
            },
            # the same deny, except through the service for the keys it uses in the deployer's name
            *(
                {
                    "Sid": service.deny_sid,
                    "Effect": "Deny",
                    "Action": list(KEY_USE_ACTIONS),
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:ResourceTag/Purpose": mine},
                        "StringNotLike": {"kms:ViaService": f"{service.service}.*.amazonaws.com"},
                    },
                }
                for service, mine in through
                if mine
            ),
            *(
                [
                    {
                        "Sid": "NeverUseTheLogKeyButForTheTrailsCheck",
                        "Effect": "Deny",
                        "Action": [a for a in KEY_USE_ACTIONS if a != "kms:Decrypt"],
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:ResourceTag/Purpose": checked}},
                    }
                ]
                if checked
                else []
            ),
            {
                "Sid": "NeverRetagTheStacksKeys",
                "Effect": "Deny",
                "Action": ["kms:TagResource", "kms:UntagResource"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:ResourceTag/Purpose": purposes},
                    "ForAnyValue:StringEquals": {"aws:TagKeys": ["Purpose"]},
                },
            },
        ]
    return out


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def documents(scope: Scope, state: StackState) -> list[dict[str, Any]]:
    """The statements packed into as few managed-policy documents as the size quota allows (a statement
    too large alone is split by actions)."""
    pieces: list[dict[str, Any]] = []
    for statement in statements(scope, state):
        actions = list(statement["Action"])
        chunk: list[str] = []
        for action in actions:
            trial = {**statement, "Action": [*chunk, action]}
            if chunk and _size({"Version": "2012-10-17", "Statement": [trial]}) > POLICY_MAX_CHARACTERS - 200:
                pieces.append({**statement, "Action": chunk})
                chunk = []
            chunk.append(action)
        pieces.append({**statement, "Action": chunk})
    for index, piece in enumerate(pieces):
        if sum(1 for p in pieces if p["Sid"] == piece["Sid"]) > 1:
            piece["Sid"] = f"{piece['Sid']}{index}"
    docs: list[dict[str, Any]] = []
    for piece in pieces:
        if docs and _size({**docs[-1], "Statement": [*docs[-1]["Statement"], piece]}) <= POLICY_MAX_CHARACTERS:
            docs[-1]["Statement"].append(piece)
        else:
            docs.append({"Version": "2012-10-17", "Statement": [piece]})
    return docs


def _patterns(statement: dict[str, Any]) -> list[str]:
    value = statement.get("Action", [])
    return [value] if isinstance(value, str) else list(value)


def problems(docs: Iterable[dict[str, Any]]) -> list[str]:
    """Why the documents could not be attached as written, or would grant too much (empty: fine)."""
    docs = list(docs)
    found = []
    if len(docs) > POLICIES_PER_ROLE:
        found.append(f"{len(docs)} documents, over the {POLICIES_PER_ROLE} managed policies a role holds by default")
    for number, doc in enumerate(docs, 1):
        size = _size(doc)
        if size > POLICY_MAX_CHARACTERS:
            found.append(
                f"document {number}: {size} characters, over the managed-policy limit of {POLICY_MAX_CHARACTERS}"
            )
        for statement in doc["Statement"]:
            sid = statement.get("Sid", "?")
            for element in ("NotAction", "NotResource", "NotPrincipal"):
                if element in statement:
                    found.append(f"statement {sid}: {element} grants by exclusion")
            for pattern in _patterns(statement):
                if pattern == "*" or pattern.endswith(":*"):
                    found.append(f"statement {sid}: {pattern} grants a whole service")
                elif not catalog.expand(pattern):
                    found.append(f"statement {sid}: {pattern} is not an IAM action (Service Authorization Reference)")
                elif statement.get("Effect") == "Allow":
                    forbidden = sorted(
                        a
                        for a in DATA_ACTIONS
                        if catalog.matches(pattern, a)
                        and (sid, a) != (TRAIL_KEY_SID, "kms:Decrypt")
                        and not any(sid == k.allow_sid and a in k.actions for k in SERVICE_KEYS)
                    )
                    if forbidden:
                        found.append(f"statement {sid}: {pattern} allows {', '.join(forbidden)}")
    return found


KEY_USE_SERVICES = tuple(k.service for k in SERVICE_KEYS)
"""The services through which the deployer's key use is allowed (SERVICE_KEYS): such key use is marked
`<action>@<service>` (`kms:decrypt@dynamodb`), so it never stands for the action itself."""


def through_service(statement: dict[str, Any]) -> str | None:
    """The one service an Allow holds for (kms:ViaService <service>.* on every value), among KEY_USE_SERVICES."""
    condition = statement.get("Condition") or {}
    values = [
        v
        for operator in ("StringLike", "StringEquals")
        for key, v in (condition.get(operator) or {}).items()
        if key.lower() == "kms:viaservice"
    ]
    flat = [str(x) for v in values for x in (v if isinstance(v, list) else [v])]
    for service in KEY_USE_SERVICES:
        if flat and all(x.startswith(f"{service}.") for x in flat):
            return service
    return None


def required_actions(docs: Iterable[dict[str, Any]]) -> frozenset[str]:
    """Every concrete action the documents allow somewhere (lower case), for comparing a role's grants; key use
    allowed only through a service as `<action>@<service>` (KEY_USE_SERVICES)."""
    allowed: set[str] = set()
    for doc in docs:
        for statement in doc["Statement"]:
            if statement.get("Effect") == "Allow":
                via = through_service(statement)
                for pattern in _patterns(statement):
                    allowed |= {
                        f"{a.lower()}@{via}" if via and a.startswith("kms:") else a.lower()
                        for a in catalog.expand(pattern)
                    }
    return frozenset(allowed)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "deployer-policy",
        help="write the IAM policies the role that runs `pulumi up` needs for this stack, and nothing more",
    )
    parser.add_argument("--stack", required=True, help="synthesizes Pulumi.<stack>.yaml offline")
    parser.add_argument("--out", help="output directory (default: build/<stack>/deployer-policy)")
    from glz.console import add_output_options

    add_output_options(parser)
    parser.set_defaults(func=cmd_deployer_policy)


def cmd_deployer_policy(args: Any) -> int:
    from glz.cli import _project_dir
    from glz.errors import UserInputError
    from glz.synth import synthesize, validate

    project_dir = _project_dir(args.project_dir)
    result = synthesize(project_dir, args.stack)
    settings = validate(result.config)
    try:
        docs = documents(scope_of_settings(settings, args.stack), StackState(result.state))
    except UnknownResourceTypesError as error:
        raise UserInputError(
            f"stack {args.stack} declares resource types whose API calls glz does not know: {error}. Add what their "
            "create, update and delete call to glz/deployer_actions.TYPE_NEEDS, or grant them to the deployer by hand"
        ) from None
    found = problems(docs)
    if found:
        raise RuntimeError("the generated deployer policy fails its own checks: " + "; ".join(found))
    out = Path(args.out) if args.out else project_dir / "build" / args.stack / "deployer-policy"
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("deployer-policy-*.json"):
        stale.unlink()
    role = (
        settings.deployer_principal_arns[0].rsplit("/", 1)[-1]
        if settings.deployer_principal_arns
        else "<deployer-role>"
    )
    from glz.console import output_for

    output = output_for(args)
    output.say(f"{len(docs)} managed policies for the deployer of stack {args.stack}:")
    written, commands = [], []
    for number, doc in enumerate(docs, 1):
        path = out / f"deployer-policy-{number}.json"
        path.write_text(json.dumps(doc, indent=2) + "\n")
        name = f"{settings.name_prefix}-{args.stack}-deployer-{number}"
        steps = [
            f"aws iam create-policy --policy-name {name} --policy-document file://{path}",
            f"aws iam attach-role-policy --role-name {role} "
            f"--policy-arn arn:{settings.partition}:iam::{settings.account_id}:policy/{name}",
        ]
        output.say(f"  {path}")
        for step in steps:
            output.say(f"    {step}")
        written.append(path)
        commands += steps
    return output.finish(
        command="deployer-policy",
        stack=args.stack,
        exit_code=0,
        verdict=f"WRITTEN: {len(docs)} managed policies for the deployer of stack {args.stack}",
        summary={"policies": len(docs), "commands": commands},
        written=written,
    )
