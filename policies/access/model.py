"""The access model of a stack: every principal, every policy wherever it lives, and IAM's evaluation.

Built once per stack (``model_of``) and read by the gate's rules, the matrix probes and `glz audit`.
Evaluation follows AWS's policy evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny in any policy wins; within the account an identity-based Allow (cut to the permissions
boundary where there is one) or a resource-based Allow naming the principal grants; across accounts the
resource policy must allow too (the other account is assumed to grant its own principals anything);
KMS keys need their key policy (or a grant) in every case
(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html). Conditions are
evaluated where the stack fixes their value and reported, never guessed, where it does not.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from policies.access import catalog
from policies.access import conditions as cond
from policies.access.actors import (
    ACCOUNT,
    AN_UNKNOWN_ACCOUNT,
    ANONYMOUS,
    FEDERATED,
    ROLE,
    SERVICE,
    USER,
    Actor,
    account_of,
    statement_names,
)
from policies.access.document import Statement, as_list, covers_action, statements
from policies.access.principal_index import PrincipalIndex

ROLE_T = "aws:iam/role:Role"
USER_T = "aws:iam/user:User"
GROUP_T = "aws:iam/group:Group"
POLICY_T = "aws:iam/policy:Policy"
ROLE_POLICY_T = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY_T = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY_T = "aws:iam/groupPolicy:GroupPolicy"
ROLE_ATTACH_T = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
USER_ATTACH_T = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_ATTACH_T = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
POLICY_ATTACH_T = "aws:iam/policyAttachment:PolicyAttachment"
GROUP_MEMBERSHIP_T = "aws:iam/groupMembership:GroupMembership"
USER_GROUPS_T = "aws:iam/userGroupMembership:UserGroupMembership"
BUCKET_T = "aws:s3/bucket:Bucket"
BUCKET_POLICY_T = "aws:s3/bucketPolicy:BucketPolicy"
KEY_T = "aws:kms/key:Key"
GRANT_T = "aws:kms/grant:Grant"
TOPIC_T = "aws:sns/topic:Topic"
VAULT_T = "aws:backup/vault:Vault"
VAULT_POLICY_T = "aws:backup/vaultPolicy:VaultPolicy"
TOPIC_POLICY_T = "aws:sns/topicPolicy:TopicPolicy"
QUEUE_T = "aws:sqs/queue:Queue"
QUEUE_POLICY_T = "aws:sqs/queuePolicy:QueuePolicy"
REPOSITORY_POLICY_T = "aws:ecr/repositoryPolicy:RepositoryPolicy"
EFS_POLICY_T = "aws:efs/fileSystemPolicy:FileSystemPolicy"
LAMBDA_PERMISSION_T = "aws:lambda/permission:Permission"
SECRET_POLICY_T = "aws:secretsmanager/secretPolicy:SecretPolicy"
# This account's service-linked roles as a pattern: IAM creates them under /aws-service-role/ for a service
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html); a guardrail may exempt
# them, as AWS's data-perimeter examples do, without exempting any principal someone could create.
SERVICE_LINKED_ROLES = re.compile(r"^arn:[\w-]+:iam::(\d{12}|\*):role/aws-service-role/\*$")
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")


MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


class ManagedPolicies(Mapping[str, Any]):
    """ARN -> {"document": JSON text, "version"} of every AWS managed policy, read from the snapshot one
    policy at a time (SQLite, one zlib-compressed row per policy: a stack attaches a handful of 1,500, and
    decoding them all cost more than the rules of a small stack). Snapshot from moto; see
    refresh_managed_policies."""

    def __init__(self, path: str):
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._read: dict[str, Any] = {}
        self._names: frozenset[str] | None = None
        self.source = self._db.execute("SELECT value FROM meta WHERE key = 'source'").fetchone()[0]

    def __getitem__(self, arn: str) -> Any:
        if arn not in self._read:
            row = self._db.execute("SELECT entry FROM policies WHERE arn = ?", (arn,)).fetchone()
            if row is None:
                raise KeyError(arn)
            self._read[arn] = json.loads(zlib.decompress(row[0]))
        return self._read[arn]

    def _all(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(arn for (arn,) in self._db.execute("SELECT arn FROM policies"))
        return self._names

    def __contains__(self, arn: object) -> bool:
        return arn in self._read or arn in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._all()))

    def __len__(self) -> int:
        return len(self._all())


@lru_cache(maxsize=1)
def backup_vault_keys(region: str, account: str, vault: str) -> tuple[str, str]:
    """(the vault's ARN, a probe ARN standing for any recovery point in the vault)."""
    return (
        f"arn:aws:backup:{region}:{account}:backup-vault:{vault}",
        f"arn:aws:backup:{region}:{account}:recovery-point:glz-probe-{vault}",
    )


def aws_managed_policies() -> ManagedPolicies:
    """Every AWS managed policy by ARN (documents stay unread until a stack attaches them)."""
    return ManagedPolicies(str(SNAPSHOT_PATH))


SNAPSHOT_PATH = Path(__file__).resolve().parent / "data" / "aws_managed_policies.sqlite"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    conditional: bool = False  # the Allow depends on a condition the stack does not fix
    because: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


DENIED = Decision(False)


@dataclass
class Principal:
    """A role or user of the stack with every policy that applies to it."""

    actor: Actor
    identity: list[Statement] = field(default_factory=list)
    boundary: list[Statement] | None = None
    trust: list[Statement] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # attached policy ARNs whose document is unknown
    props: dict[str, Any] = field(default_factory=dict)
    _may: dict[object, Any] = field(default_factory=dict, repr=False)

    def denied_everywhere(self, action: str) -> bool:
        """Does an unconditional Deny on Resource '*' in its own policies refuse ``action`` on everything?"""
        shape = self._may.get(_DENY_SHAPE)
        if shape is None:
            shape = self._may[_DENY_SHAPE] = tuple(
                (s.actions, s.not_actions)
                for s in self.identity + (self.boundary or [])
                if s.deny and not s.conditions and s.resources == ("*",)
            )
        return _any_covers(shape, action)

    def may(self, action: str) -> bool:
        """Could any identity statement allow ``action`` at all (a cheap filter before full evaluation)?
        Answered once per distinct set of Action lists: hundreds of collaborator roles share a few."""
        shape = self._may.get(_ALLOW_SHAPE)
        if shape is None:
            shape = self._may[_ALLOW_SHAPE] = tuple((s.actions, s.not_actions) for s in self.identity if s.allow)
        return _any_covers(shape, action)


_DENY_SHAPE, _ALLOW_SHAPE = ("deny shape",), ("allow shape",)


@lru_cache(maxsize=262144)
def _any_covers(shape: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...], action: str) -> bool:
    plain, negated = _split_shape(shape)
    return catalog.any_matches(plain, action) or any(covers_action((), not_actions, action) for not_actions in negated)


@lru_cache(maxsize=65536)
def _split_shape(
    shape: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...],
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """(every Action pattern of the statements, matched as one set; each NotAction list on its own)."""
    plain = tuple(dict.fromkeys(a for actions, not_actions in shape if not not_actions for a in actions))
    return plain, tuple(not_actions for _, not_actions in shape if not_actions)


@lru_cache(maxsize=65536)
def _resource_matcher(shape: tuple[tuple[tuple[str, ...], bool], ...]) -> re.Pattern[str] | bool | None:
    """One regex for every Resource pattern of some Allow statements; True when one covers anything
    (NotResource, no Resource element, '*'); None when there is no statement."""
    if not shape:
        return None
    patterns = []
    for resources, negated in shape:
        if negated or not resources or "*" in resources:
            return True
        patterns += [catalog.glob(str(p), ignore_case=False).pattern for p in resources]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.DOTALL)


def could_cover_prefix(pattern: str, prefix: str) -> bool:
    """Could an ARN pattern match some ARN that starts with ``prefix`` (IAM wildcards, case-sensitive)?"""
    for position, char in enumerate(pattern):
        if char in "*?" or position >= len(prefix):
            return True
        if char != prefix[position]:
            return False
    return len(pattern) >= len(prefix)


@dataclass(frozen=True)
class Path:
    """How an actor reaches a permission: directly or by assuming the listed roles in turn."""

    actor: Actor
    via: tuple[str, ...]
    decision: Decision

    def label(self) -> str:
        hops = " -> ".join(self.via)
        return f"{self.actor.label()} via {hops}" if hops else self.actor.label()


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


class AccessModel:
    def __init__(self, stack: Any):
        self.stack = stack
        self.account: str | None = stack.account_id
        provider = next(iter(stack.of_type("pulumi:providers:aws")), None)
        self.region: str = str((provider.get("region") if provider else None) or "us-east-1")
        self.principals: dict[str, Principal] = {}  # ARN -> principal of the stack
        self.by_urn: dict[str, Principal] = {}
        self.resource_policies: dict[str, list[Statement]] = defaultdict(list)  # resource key -> statements
        self.aliases: dict[str, str] = {}  # resource ARN -> the key its policy is stored under
        self.policy_owners: dict[str, str] = {}  # resource key -> URN of the resource that holds the policy
        self.bucket_names: dict[str, str] = {}  # bucket name -> URN
        self.key_arns: dict[str, str] = {}  # key ARN or id -> URN
        self.grants: list[tuple[str, Actor | None, str, list[str]]] = []  # key ARN, grantee, value, ops
        self.managed: dict[str, list[Statement]] = {}
        self.mentioned_accounts: set[str] = set()
        self.mentioned_federated: set[str] = set()
        self.mentioned_services: set[str] = set()
        self.pattern_probes: dict[str, Actor] = {}
        self._indexes: dict[int, tuple[list[Statement], PrincipalIndex[Statement]]] = {}
        self._policy_keys: dict[str, tuple[str, str | None]] = {}
        self._memo: dict[tuple, Any] = {}  # decide, resource_denies, context_of and paths, by their arguments
        self._build()
        self._trust_index: PrincipalIndex[str] = PrincipalIndex(  # trust statement -> ARN of its role
            (s, arn) for arn, p in self.principals.items() if p.actor.kind == ROLE for s in p.trust
        )

    # ---- building -------------------------------------------------------------------------------

    def _view_name(self, view: Any) -> str:
        return str(view.get("name") or view.get("id") or view.name)

    def _build(self) -> None:
        stack = self.stack
        self._customer_policies()
        names: dict[str, str] = {}  # role/user/group name or ARN -> principal ARN
        for typ, kind in ((ROLE_T, ROLE), (USER_T, USER)):
            for view in stack.of_type(typ):
                name = self._view_name(view)
                path = str(view.get("path") or "/")
                arn = str(view.get("arn") or f"arn:aws:iam::{self.account}:{kind}{path}{name}")
                principal = Principal(Actor(kind, arn, self.account, view.urn), props=view.props)
                if kind == ROLE:
                    principal.trust = statements(view.get("assumeRolePolicy"), f"trust policy of {name}")
                    for inline in as_list(view.get("inlinePolicies")):
                        if isinstance(inline, dict) and inline.get("policy"):
                            principal.identity += statements(
                                inline["policy"], f"inline policy {inline.get('name', '?')} of role {name}"
                            )
                    for policy_arn in as_list(view.get("managedPolicyArns")):
                        self._attach(principal, str(policy_arn))
                boundary = view.get("permissionsBoundary")
                if boundary:
                    principal.boundary = self._managed_document(str(boundary), principal)
                self.principals[arn] = principal
                self.by_urn[view.urn] = principal
                for key in (name, arn, str(view.get("id") or "")):
                    if key:
                        names[key] = arn
        groups = self._groups(names)
        self._inline(ROLE_POLICY_T, "role", names)
        self._inline(USER_POLICY_T, "user", names)
        for view in stack.of_type(ROLE_ATTACH_T, USER_ATTACH_T):
            target = self._target(view, "role" if view.type == ROLE_ATTACH_T else "user", names)
            if target:
                self._attach(target, str(view.get("policyArn") or ""))
        for view in stack.of_type(POLICY_ATTACH_T):
            for key in ("roles", "users"):
                for name in as_list(view.get(key)):
                    principal = self.principals.get(names.get(str(name), ""))
                    if principal:
                        self._attach(principal, str(view.get("policyArn") or ""))
            for group in as_list(view.get("groups")):
                for member in groups.get(str(group), {}).get("members", []):
                    self._attach(member, str(view.get("policyArn") or ""))
        self._resource_policies()
        self._mentions()

    def _customer_policies(self) -> None:
        for view in self.stack.of_type(POLICY_T):
            path = str(view.get("path") or "/")
            arn = str(view.get("arn") or f"arn:aws:iam::{self.account}:policy{path}{self._view_name(view)}")
            self.managed[arn] = statements(view.get("policy"), f"managed policy {self._view_name(view)}")

    def _managed_document(self, arn: str, principal: Principal) -> list[Statement]:
        if arn in self.managed:
            return self.managed[arn]
        document = aws_managed_policies().get(arn)
        if document is not None:
            self.managed[arn] = statements(document["document"], f"AWS managed policy {arn.rsplit('/', 1)[-1]}")
            return self.managed[arn]
        principal.unresolved.append(arn)
        return []

    def _attach(self, principal: Principal, arn: str) -> None:
        if arn:
            principal.identity += self._managed_document(arn, principal)

    def _target(self, view: Any, key: str, names: dict[str, str]) -> Principal | None:
        linked = (view.property_dependencies.get(key) or [None])[0]
        if linked in self.by_urn:
            return self.by_urn[linked]
        return self.principals.get(names.get(str(view.get(key) or ""), ""))

    def _inline(self, typ: str, key: str, names: dict[str, str]) -> None:
        for view in self.stack.of_type(typ):
            target = self._target(view, key, names)
            if target is not None:
                target.identity += statements(
                    view.get("policy"), f"inline policy {view.get('name') or view.name} of {target.actor.name}"
                )

    def _groups(self, names: dict[str, str]) -> dict[str, dict[str, Any]]:
        groups: dict[str, dict[str, Any]] = {}
        for view in self.stack.of_type(GROUP_T):
            groups[self._view_name(view)] = {"members": [], "urn": view.urn}
        for view in self.stack.of_type(GROUP_MEMBERSHIP_T):
            group = groups.setdefault(str(view.get("group")), {"members": []})
            group["members"] += [self.principals[names[u]] for u in map(str, as_list(view.get("users"))) if u in names]
        for view in self.stack.of_type(USER_GROUPS_T):
            user = self.principals.get(names.get(str(view.get("user")), ""))
            for name in as_list(view.get("groups")):
                if user:
                    groups.setdefault(str(name), {"members": []})["members"].append(user)
        for view in self.stack.of_type(GROUP_POLICY_T):
            for member in groups.get(str(view.get("group")), {}).get("members", []):
                member.identity += statements(view.get("policy"), f"inline policy of group {view.get('group')}")
        for view in self.stack.of_type(GROUP_ATTACH_T):
            for member in groups.get(str(view.get("group")), {}).get("members", []):
                self._attach(member, str(view.get("policyArn") or ""))
        return groups

    def _resource_policies(self) -> None:
        stack = self.stack
        for view in stack.of_type(BUCKET_T):
            self.bucket_names[str(view.get("bucket") or view.get("id") or view.name)] = view.urn
            if view.get("policy"):
                self.resource_policies[f"s3:{view.get('bucket')}"] += statements(
                    view.get("policy"), f"bucket policy of {view.get('bucket')}"
                )
        by_urn = {urn: name for name, urn in self.bucket_names.items()}
        for view in stack.of_type(BUCKET_POLICY_T):
            linked = (view.property_dependencies.get("bucket") or [None])[0]
            bucket = by_urn.get(linked) or str(view.get("bucket") or "")
            self.resource_policies[f"s3:{bucket}"] += statements(view.get("policy"), f"bucket policy of {bucket}")
        for view in stack.of_type(KEY_T):
            arn = str(view.get("arn") or "")
            for key in {arn, str(view.get("keyId") or ""), str(view.get("id") or "")} - {""}:
                self.key_arns[key] = view.urn
            self.resource_policies[f"kms:{view.urn}"] = statements(view.get("policy"), f"key policy of {view.name}")
        for view in stack.of_type(TOPIC_T, QUEUE_T, "aws:secretsmanager/secret:Secret"):
            if view.get("policy"):
                key = str(view.get("arn") or view.urn)
                self.resource_policies[key] += statements(view.get("policy"), f"policy of {view.name}")
                self.policy_owners[key] = view.urn
        for view in stack.of_type(TOPIC_POLICY_T):
            key = str(view.get("arn"))
            self.resource_policies[key] += statements(view.get("policy"), f"topic policy {view.name}")
            self.policy_owners[key] = view.urn
        # A backup vault's access policy governs the vault and the recovery points in it; a recovery point's ARN does
        # not name its vault, so one probe ARN per vault stands for "any recovery point in it" (a statement scoped to
        # the vault's ARN alone does not reach them, as in AWS).
        region = str(stack.outputs.get("region") or "")
        for view in stack.of_type(VAULT_POLICY_T):
            for key in backup_vault_keys(region, self.account, str(view.get("backupVaultName"))):
                self.resource_policies[key] += statements(view.get("policy"), f"vault access policy {view.name}")
                self.policy_owners[key] = view.urn
        for view in stack.of_type("aws:ecr/registryPolicy:RegistryPolicy"):
            self.resource_policies["ecr-registry"] += statements(view.get("policy"), f"registry policy {view.name}")
            self.policy_owners["ecr-registry"] = view.urn
        for view in stack.of_type(QUEUE_POLICY_T, REPOSITORY_POLICY_T, EFS_POLICY_T, SECRET_POLICY_T):
            target = view.get("queueUrl") or view.get("repository") or view.get("fileSystemId") or view.get("secretArn")
            self.resource_policies[str(target)] += statements(view.get("policy"), f"resource policy {view.name}")
            self.policy_owners[str(target)] = view.urn
        for view in stack.of_type("aws:efs/fileSystem:FileSystem"):
            if view.get("arn") and view.get("id"):
                self.aliases[str(view.get("arn"))] = str(view.get("id"))
        for view in stack.of_type(LAMBDA_PERMISSION_T):
            principal = str(view.get("principal") or "")
            kind = "Service" if principal.endswith(".amazonaws.com") else "AWS"
            document = {
                "Statement": [
                    {
                        "Sid": view.name,
                        "Effect": "Allow",
                        "Principal": {kind: principal},
                        "Action": view.get("action") or "lambda:InvokeFunction",
                        "Resource": "*",
                    }
                ]
            }
            self.resource_policies[str(view.get("function"))] += statements(document, f"lambda permission {view.name}")
            self.policy_owners.setdefault(str(view.get("function")), view.urn)
        for view in stack.of_type(GRANT_T):
            key = str(view.get("keyId") or "")
            linked = (view.property_dependencies.get("keyId") or [None])[0]
            key_urn = linked if linked in self.key_arns.values() else self.key_arns.get(key)
            grantee = str(view.get("granteePrincipal") or "")
            operations = [f"kms:{op}" for op in as_list(view.get("operations"))]
            document = {
                "Statement": [
                    {
                        "Sid": f"grant {view.name}",
                        "Effect": "Allow",
                        "Principal": {"AWS": grantee},
                        "Action": operations,
                    }
                ]
            }
            self.resource_policies[f"kms:{key_urn or key}"] += statements(document, f"KMS grant {view.name}")

    def _mentions(self) -> None:
        everything = [s for p in self.principals.values() for s in p.trust] + [
            s for policy in self.resource_policies.values() for s in policy
        ]
        for statement in everything:
            for body in statement.conditions.values():
                for key, values in body.items():
                    if key.lower() in ("aws:principalarn", "aws:principalaccount"):
                        for value in values:
                            self._pattern_probe(value)
                            account = account_of(value)
                            if account and account != self.account:
                                self.mentioned_accounts.add(account)
            for principal in statement.principals + statement.not_principals:
                if principal.kind == "AWS":
                    self._pattern_probe(principal.value)
                    account = account_of(principal.value)
                    if account and account != self.account:
                        self.mentioned_accounts.add(account)
                elif principal.kind == "Federated":
                    self.mentioned_federated.add(principal.value)
                elif principal.kind == "Service":
                    self.mentioned_services.add(principal.value)

    def _pattern_probe(self, value: str) -> None:
        """A principal a wildcard ARN would also match, though the stack never defines it (one created later)."""
        if ("*" not in value and "?" not in value) or not value.startswith("arn:"):
            return
        if SERVICE_LINKED_ROLES.match(value):
            return  # only AWS services create roles under /aws-service-role/, each trusting its service only
        arn = value.replace("*", "glz-probe").replace("?", "x")
        account = account_of(arn)
        kind = USER if ":user/" in arn else ROLE
        if arn not in self.principals and account:
            self.pattern_probes[arn] = Actor(kind, arn, account)

    # ---- actors ---------------------------------------------------------------------------------

    def stack_actors(self) -> list[Actor]:
        return [p.actor for p in self.principals.values()]

    def external_actors(self) -> list[Actor]:
        """Everyone outside the account the stack's policies could let in."""
        known = self._memo.get(("external",))
        if known is None:
            known = self._memo[("external",)] = self._external_actors()
        return list(known)

    def _external_actors(self) -> list[Actor]:
        actors = [Actor(ACCOUNT, a, a) for a in sorted(self.mentioned_accounts)]
        actors.append(Actor(ACCOUNT, AN_UNKNOWN_ACCOUNT, AN_UNKNOWN_ACCOUNT))
        actors += [Actor(FEDERATED, f) for f in sorted(self.mentioned_federated)]
        actors.append(Actor(ANONYMOUS, "anonymous"))
        return actors

    def context_of(self, actor: Actor, scenario: Mapping[str, object] | None = None) -> dict[str, object]:
        """What IAM knows about a request from ``actor``; ``scenario`` fixes request keys (TLS, endpoint).
        The same dict is returned for the same question: callers read it, never change it."""
        memo_key = ("context", actor, _scenario_key(scenario))
        known = self._memo.get(memo_key)
        if known is None:
            known = self._memo[memo_key] = self._context_of(actor, scenario)
        return known

    def _context_of(self, actor: Actor, scenario: Mapping[str, object] | None) -> dict[str, object]:
        context: dict[str, object] = {
            "aws:principalisawsservice": "true" if actor.kind == SERVICE else "false",
            "aws:principalservicename": actor.name if actor.kind == SERVICE else cond.MISSING,
        }
        if actor.kind in (ROLE, USER):
            context["aws:principalarn"] = actor.name
            context["aws:principalaccount"] = actor.account or cond.MISSING
            context["kms:calleraccount"] = actor.account or cond.MISSING
        elif actor.kind == ACCOUNT:
            context["aws:principalarn"] = cond.PartialArn.of(actor.account or AN_UNKNOWN_ACCOUNT)
            context["aws:principalaccount"] = actor.account or cond.MISSING
            context["kms:calleraccount"] = actor.account or cond.MISSING
        elif actor.kind in (ANONYMOUS, SERVICE):
            context["aws:principalarn"] = cond.MISSING
            context["aws:principalaccount"] = cond.MISSING
        if actor.kind != SERVICE:
            # set only when a service acts for a resource (IAM global condition keys reference)
            context["aws:sourceaccount"] = cond.MISSING
            context["aws:sourcearn"] = cond.MISSING
        for key, value in (scenario or {}).items():
            context[key.lower()] = value
        return context

    # ---- evaluation -----------------------------------------------------------------------------

    def resource_statements(self, resource: str) -> tuple[list[Statement], str | None]:
        """The resource-based policy that governs ``resource`` and the account that owns it."""
        key, owner = self.policy_key(resource)
        return self.resource_policies.get(key, []), owner

    def policy_key(self, resource: str) -> tuple[str, str | None]:
        """(where the policy of ``resource`` is filed in ``resource_policies``, the account that owns it)."""
        known = self._policy_keys.get(resource)
        if known is None:
            known = self._policy_keys[resource] = self._policy_key(resource)
        return known

    def _policy_key(self, resource: str) -> tuple[str, str | None]:
        if resource.startswith("arn:aws:s3:::") or resource.startswith("arn:aws-us-gov:s3:::"):
            bucket = resource.split(":::", 1)[1].split("/", 1)[0]
            return f"s3:{bucket}", self.account if bucket in self.bucket_names else None
        if ":kms:" in resource:
            urn = self.key_arns.get(resource) or self.key_arns.get(resource.rsplit("/", 1)[-1])
            return f"kms:{urn or resource}", _arn_account(resource)
        return self.aliases.get(resource, resource), _arn_account(resource)

    def direct_keys(self, actor: Actor) -> frozenset[str]:
        """The resource policies (by ``policy_key``) with an Allow naming ``actor`` itself: the only ones that
        grant it anything its own policies do not."""
        memo_key = ("direct keys", actor)
        known = self._memo.get(memo_key)
        if known is None:
            index = self._memo.get(("allow index",))
            if index is None:
                index = self._memo[("allow index",)] = PrincipalIndex(
                    (s, key) for key, policy in self.resource_policies.items() for s in policy if s.allow
                )
            found = set()
            for key in dict.fromkeys(index.candidates(actor, direct_only=True)):
                if any(s.allow and statement_names(s, actor) == "direct" for s in self.resource_policies[key]):
                    found.add(key)
            known = self._memo[memo_key] = frozenset(found)
        return known

    def allowed_candidates(self, actor: Actor, action: str, resources: Iterable[str]) -> list[str]:
        """The resources of ``resources`` on which ``actor`` could be allowed ``action`` at all: those an
        identity Allow covering the action could match (one compiled pattern per set of Resource lists), and
        those whose policy names the actor itself. ``decide`` on any other is surely a denial, so rules that
        ask one principal about many resources filter with this first."""
        own = self.principals.get(actor.name) if actor.kind in (ROLE, USER) else None
        if own is None:
            return list(resources)
        matcher = None
        if own.may(action):
            matcher = _resource_matcher(
                tuple((s.resources, bool(s.not_resources)) for s in own.identity if s.allow and s.covers_action(action))
            )
        if matcher is True:
            return list(resources)
        direct = self.direct_keys(actor)
        if matcher is None and not direct:
            return []
        return [
            r
            for r in resources
            if (matcher is not None and matcher.fullmatch(r)) or (direct and self.policy_key(r)[0] in direct)
        ]

    @staticmethod
    def _applies(statement: Statement, action: str, resource: str, context: Mapping[str, object]) -> tuple[bool, bool]:
        """(covers, conditional) for a statement already known to name the actor."""
        if not statement.covers_action(action) or not statement.covers_resource(resource):
            return False, False
        result = cond.evaluate(statement.compiled_conditions(), context)
        if result is False:
            return False, False
        return True, result is None

    def _collect(
        self, items: Iterable[Statement], actor: Actor | None, action: str, resource: str, context: Mapping
    ) -> tuple[list[Statement], list[tuple[Statement, bool, str]]]:
        """(denies that surely apply, allows that may apply with (conditional, how the principal is named))."""
        denies, allows = [], []
        if actor is not None:
            items = self._candidates(items, actor)
        for statement in items:
            how = "direct"
            if actor is not None:  # a resource-based or trust policy: the statement must name the actor
                how = statement_names(statement, actor) if statement.has_principal else None
                if how is None:
                    continue
            covers, conditional = self._applies(statement, action, resource, context)
            if not covers:
                continue
            if statement.deny and not conditional:
                denies.append(statement)
            elif statement.allow:
                allows.append((statement, conditional, how))
        return denies, allows

    def _candidates(self, items: list[Statement], actor: Actor) -> list[Statement]:
        """The statements of a resource or trust policy that could name ``actor`` (all of a short one)."""
        if len(items) <= 8:
            return items
        entry = self._indexes.get(id(items))
        if entry is None or entry[0] is not items:
            entry = self._indexes[id(items)] = (items, PrincipalIndex((s, s) for s in items))
        return entry[1].candidates(actor)

    def decide(
        self, actor: Actor, action: str, resource: str, scenario: Mapping[str, object] | None = None
    ) -> Decision:
        """Can ``actor`` perform ``action`` on ``resource`` (an ARN), by the stack's policies alone?"""
        memo_key = ("decide", actor, action, resource, _scenario_key(scenario))
        known = self._memo.get(memo_key)
        if known is None:
            known = self._memo[memo_key] = self._decide(actor, action, resource, scenario)
        return known

    def _decide(self, actor: Actor, action: str, resource: str, scenario: Mapping[str, object] | None) -> Decision:
        own = self.principals.get(actor.name) if actor.kind in (ROLE, USER) else None
        res_statements, owner = self.resource_statements(resource)
        if own is not None and not own.may(action) and not self.could_grant_directly(actor, resource):
            # nothing in its own policies, and without them only a resource statement naming the principal
            # itself grants (one naming its account delegates to the identity side: see below)
            return DENIED
        context = self.context_of(actor, scenario)
        r_denies, r_allows = self._collect(res_statements, actor, action, resource, context)
        if own is not None:
            i_denies, i_allows = self._collect(own.identity, None, action, resource, context)
            b_denies, b_allows = (
                self._collect(own.boundary, None, action, resource, context) if own.boundary is not None else ([], [])
            )
        else:
            i_denies, i_allows, b_denies, b_allows = [], [], [], []
        denies = r_denies + i_denies + b_denies
        if denies:
            return Decision(False, because=tuple(s.label() for s in denies))
        if own is not None:
            identity_ok = bool(i_allows) and (own.boundary is None or bool(b_allows))
        else:
            identity_ok = actor.kind in (ACCOUNT,) and actor.account != self.account  # another account's own IAM
        identity_conditional = any(c for _, c, _ in i_allows) or any(c for _, c, _ in b_allows)
        direct = [(s, c) for s, c, how in r_allows if how == "direct"]
        via_account = [(s, c) for s, c, how in r_allows if how == "account"]
        is_key = ":kms:" in resource
        same_account = owner is not None and actor.account == owner
        if is_key:
            if direct:
                return Decision(True, all(c for _, c in direct), tuple(s.label() for s, _ in direct))
            if via_account and identity_ok:
                return Decision(
                    True,
                    identity_conditional or all(c for _, c in via_account),
                    tuple(s.label() for s, _ in via_account) + tuple(s.label() for s, _, _ in i_allows),
                )
            return DENIED
        if same_account and own is not None:
            if identity_ok:
                return Decision(True, identity_conditional, tuple(s.label() for s, _, _ in i_allows))
            if direct and (own.boundary is None or b_allows):
                return Decision(True, all(c for _, c in direct), tuple(s.label() for s, _ in direct))
            return DENIED
        if owner is None and own is not None:
            # a resource outside the stack: only the identity side is ours to judge
            return (
                Decision(True, identity_conditional, tuple(s.label() for s, _, _ in i_allows))
                if identity_ok
                else DENIED
            )
        grants = direct + (via_account if identity_ok or actor.kind == ACCOUNT else [])
        if grants and (own is None or identity_ok):
            return Decision(True, all(c for _, c in grants), tuple(s.label() for s, _ in grants))
        return DENIED

    def could_grant_directly(self, actor: Actor, resource: str) -> bool:
        """Could the resource's policy grant ``actor`` anything without its own policies' help (an Allow
        whose principal names the actor itself, not only its account)?"""
        memo_key = ("direct", actor.name, resource)
        known = self._memo.get(memo_key)
        if known is None:
            items = self._candidates(self.resource_statements(resource)[0], actor)
            known = self._memo[memo_key] = any(s.allow and statement_names(s, actor) == "direct" for s in items)
        return known

    def mentioned_in(self, resource: str, effect: str | None = None) -> list[Actor]:
        """Stack principals and outside accounts the resource's policy names (in a principal element or a
        condition value): the only ones a guardrail there can treat differently from any other principal of
        the account or any unnamed account. ``effect="Deny"`` reads only the Deny statements (what decides
        whether a guardrail refuses someone)."""
        memo_key = ("mentioned", resource, effect)
        known = self._memo.get(memo_key)
        if known is None:
            chosen = [s for s in self.resource_statements(resource)[0] if effect is None or s.effect == effect]
            values = {p.value.lower() for s in chosen for p in s.principals + s.not_principals}
            values |= {v.lower() for s in chosen for body in s.conditions.values() for vs in body.values() for v in vs}
            text = " ".join(sorted(values))
            found = self._names_within(values)
            named = self._principals_named(found)
            known = self._memo[memo_key] = named + [
                a for a in self.external_actors() if a.kind == ACCOUNT and a.name in text
            ]
        return list(known)

    def _principals_named(self, lowered_names: set[str]) -> list[Actor]:
        """The stack's principals whose lower-cased name is in ``lowered_names``, in principal order (an index
        lookup, not a pass over every principal per resource policy)."""
        index = self._memo.get(("principals by lowered name",))
        if index is None:
            index = {}
            for position, principal in enumerate(self.principals.values()):
                index.setdefault(principal.actor.name.lower(), []).append((position, principal.actor))
            self._memo[("principals by lowered name",)] = index
        return [actor for _, actor in sorted(pair for name in lowered_names for pair in index.get(name, ()))]

    def _names_within(self, values: Iterable[str]) -> set[str]:
        """Lower-cased names of the stack's principals that occur in any of ``values``, whole or inside a
        longer value (a session ARN, a pattern): looked up at every 'arn:' of a value, by the lengths the
        names have, so the cost follows the values, not values x principals."""
        lowered = self._memo.get(("lowered names",))
        if lowered is None:
            names = {p.actor.name.lower() for p in self.principals.values()}
            lowered = self._memo[("lowered names",)] = (names, sorted({len(n) for n in names}))
        names, lengths = lowered
        found = set()
        for value in values:
            start = value.find("arn:")
            while start != -1:
                found.update(value[start : start + size] for size in lengths if value[start : start + size] in names)
                start = value.find("arn:", start + 1)
        return found

    def resource_denies(
        self, actor: Actor, action: str, resource: str, scenario: Mapping[str, object] | None = None
    ) -> list[Statement]:
        """The resource-policy Deny statements that surely refuse this request (guardrails such as TLS-only,
        endpoint-only and encryption denies are judged by this: present is not enough, they must apply)."""
        memo_key = ("denies", actor, action, resource, _scenario_key(scenario))
        known = self._memo.get(memo_key)
        if known is None:
            context = self.context_of(actor, scenario)
            known, _ = self._collect(self.resource_statements(resource)[0], actor, action, resource, context)
            self._memo[memo_key] = known
        return list(known)

    def alike_for_denies(self, resource: str, actors: Iterable[Actor]) -> list[list[Actor]]:
        """``actors`` grouped so that the resource policy's Deny statements treat everyone in a group the
        same in every request: each statement names them alike and each condition value matches their
        request keys alike. ``resource_denies`` then needs one member per group (a data bucket's deny that
        exempts hundreds of named roles is asked once, not once per role)."""
        actors = tuple(actors)
        memo_key = ("alike", resource, actors)  # the TLS, TLS-version and endpoint rules ask the same question
        known = self._memo.get(memo_key)
        if known is None:
            known = self._memo[memo_key] = self._alike_for_denies(resource, actors)
        return [list(group) for group in known]

    def _alike_for_denies(self, resource: str, actors: tuple[Actor, ...]) -> list[list[Actor]]:
        denies = [s for s in self.resource_statements(resource)[0] if s.deny]
        groups: dict[tuple, list[Actor]] = {}
        for actor in actors:
            context = self.context_of(actor)
            signature: list[object] = [actor.kind]
            for statement in denies:
                signature.append(statement_names(statement, actor) if statement.has_principal else "direct")
                for _, _, _, key, values in statement.compiled_conditions():
                    actual = context.get(key)
                    if actual is None or actual is cond.MISSING:
                        signature.append(actual is None)
                    elif isinstance(actual, list):
                        signature.append(tuple(values.any_match(str(a)) for a in actual))
                    else:
                        signature.append(
                            values.any_match(actual if isinstance(actual, cond.PartialArn) else str(actual))
                        )
            groups.setdefault(tuple(signature), []).append(actor)
        return list(groups.values())

    def may_touch_objects(self, actor: Actor, bucket: str) -> bool:
        """Could any Allow that can apply to ``actor`` (its identity statements, the bucket-policy statements
        that could name it) cover some object of ``bucket``? When none can, no request of the actor on the
        bucket's objects is allowed, whatever the action."""
        memo_key = ("touch", actor, bucket)
        known = self._memo.get(memo_key)
        if known is None:
            own = self.principals.get(actor.name) if actor.kind in (ROLE, USER) else None
            items = [s for s in self._candidates(self.resource_policies.get(f"s3:{bucket}", []), actor) if s.allow]
            prefix = f"arn:aws:s3:::{bucket}/"
            known = any(
                s.not_resources or not s.resources or any(could_cover_prefix(p, prefix) for p in s.resources)
                for s in items
            )
            if not known and own is not None:
                anywhere, buckets = self._identity_object_reach(own)
                known = anywhere or bucket in buckets
            self._memo[memo_key] = known
        return known

    def _identity_object_reach(self, own: Principal) -> tuple[bool, frozenset[str]]:
        """(could an identity Allow of ``own`` cover objects of any bucket, the buckets whose objects its
        literal S3 object patterns cover): ``could_cover_prefix`` over every bucket, worked out once."""
        memo_key = ("object reach", own.actor.name)
        known = self._memo.get(memo_key)
        if known is None:
            anywhere, buckets = False, set()
            for statement in own.identity:
                if not statement.allow:
                    continue
                if statement.not_resources or not statement.resources:
                    anywhere = True
                    break
                for pattern in statement.resources:
                    if pattern.startswith("arn:aws:s3:::"):
                        bucket, slash, _ = pattern[len("arn:aws:s3:::") :].partition("/")
                        if "*" in bucket or "?" in bucket:
                            anywhere = True
                        elif slash:
                            buckets.add(bucket)
                    elif "*" in pattern or "?" in pattern:
                        anywhere = True  # '*', 'arn:aws:s3*', 'arn:*': conservative, decide() is exact
            known = self._memo[memo_key] = (anywhere, frozenset(buckets))
        return known

    def object_probes(self, actor: Actor, bucket: str) -> list[str]:
        """Object ARNs that stand for every object of ``bucket`` as far as ``actor`` is concerned: a generic
        one plus one per object pattern in a statement that can apply to the actor (its own identity and
        boundary statements, the bucket-policy statements that could name it). No other statement can tell
        the actor's requests for one object from another's."""
        memo_key = ("objects", actor, bucket)
        known = self._memo.get(memo_key)
        if known is None:
            own = self.principals.get(actor.name) if actor.kind in (ROLE, USER) else None
            items = list(self._candidates(self.resource_policies.get(f"s3:{bucket}", []), actor))
            if own is not None:
                items += own.identity + (own.boundary or [])
            prefix = f"arn:aws:s3:::{bucket}/"
            probes = {f"{prefix}glz-probe/object"}
            for statement in items:
                for pattern in statement.resources + statement.not_resources:
                    if pattern.startswith(prefix):
                        probes.add(pattern.replace("*", "glz-probe").replace("?", "x"))
            known = self._memo[memo_key] = sorted(probes)
        return list(known)

    def probe_actors(self) -> list[Actor]:
        """One of each kind of requester a guardrail must stop: a principal of this account that the stack
        does not define, an account nobody named, and an anonymous caller."""
        own = self.account or "111111111111"
        return [
            Actor(ROLE, f"arn:aws:iam::{own}:role/glz-probe-any-principal", own),
            Actor(ACCOUNT, AN_UNKNOWN_ACCOUNT, AN_UNKNOWN_ACCOUNT),
            Actor(ANONYMOUS, "anonymous"),
            *self.pattern_probes.values(),
        ]

    # ---- role assumption ------------------------------------------------------------------------

    def can_assume(self, actor: Actor, role: Principal) -> Decision:
        """Can ``actor`` assume ``role`` (trust policy, and for this account's principals their own policy)?"""
        if actor.name == role.actor.name:
            return DENIED
        context = self.context_of(actor)
        found: list[tuple[Statement, bool, str]] = []
        for action in ASSUME_ACTIONS:
            denies, allows = self._collect(role.trust, actor, action, role.actor.name, context)
            if denies:
                return DENIED
            found += allows
        if not found:
            return DENIED
        conditional = all(c for _, c, _ in found)
        labels = tuple(s.label() for s, _, _ in found)
        if actor.kind in (ROLE, USER) and (
            all(how == "account" for _, _, how in found) or actor.account != self.account
        ):
            own = self.decide(actor, "sts:AssumeRole", role.actor.name)
            if not own:
                return DENIED
            conditional = conditional or own.conditional
        return Decision(True, conditional, labels)

    def paths(self, actor: Actor, max_hops: int = 4) -> list[Path]:
        """The actor itself and every role it can reach by assuming roles in turn. Only roles whose trust
        could name the one assuming are tried (the trust index), so this stays linear in the stack."""
        memo_key = ("paths", actor, max_hops)
        known = self._memo.get(memo_key)
        if known is None:
            known = self._memo[memo_key] = self._paths(actor, max_hops)
        return list(known)

    def _paths(self, actor: Actor, max_hops: int) -> list[Path]:
        found = [Path(actor, (), Decision(True))]
        frontier = [(actor, (), False)]
        seen = {actor.name}
        for _ in range(max_hops):
            nxt = []
            for current, via, conditional in frontier:
                for arn in dict.fromkeys(self._trust_index.candidates(current)):
                    role = self.principals[arn]
                    if role.actor.name in seen:
                        continue
                    decision = self.can_assume(current, role)
                    if decision:
                        seen.add(role.actor.name)
                        hop = (*via, role.actor.name)
                        both = conditional or decision.conditional
                        found.append(Path(role.actor, hop, Decision(True, both, decision.because)))
                        nxt.append((role.actor, hop, both))
            frontier = nxt
        return found

    def who_can(
        self,
        action: str,
        resource: str,
        actors: Iterable[Actor] | None = None,
        scenario: Mapping[str, object] | None = None,
    ) -> list[Path]:
        """Every actor (stack principals and outsiders, by default) that can perform ``action`` on
        ``resource``, directly or through roles it can assume."""
        result = []
        for actor in actors if actors is not None else self.stack_actors() + self.external_actors():
            for path in self.paths(actor):
                decision = self.decide(path.actor, action, resource, scenario)
                if decision:
                    conditional = decision.conditional or path.decision.conditional
                    result.append(Path(actor, path.via, Decision(True, conditional, decision.because)))
                    break
        return result

    def principal(self, urn: str) -> Principal | None:
        return self.by_urn.get(urn)


def _scenario_key(scenario: Mapping[str, object] | None) -> tuple:
    """A memo key for a scenario (the same keys in another order only miss the memo)."""
    if not scenario:
        return ()
    key = tuple(scenario.items())
    try:
        hash(key)
    except TypeError:
        key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in scenario.items())
    return key


def model_of(stack: Any) -> AccessModel:
    """The stack's access model, built once per StackView and shared by every rule that asks."""
    model = getattr(stack, "_access_model", None)
    if model is None:
        model = AccessModel(stack)
        stack._access_model = model
    return model
