"""Effective access in the account: the policy gate's access-model rules, run on the account's own documents.

The other IAM, S3 and KMS checks compare each live document with its declared one. This check asks what the
live documents *allow* taken together: it builds a copy of the stack view (glz.gate.stack_view) in which every
document the audit reads replaces the declared one (role trust policies, session lengths and permissions
boundaries; inline policies; attached managed policies and the default versions of customer-managed ones;
bucket policies; key policies), runs the access-model rules (policies/access) over the declared view and over
the live one, and reports every finding the live documents produce that the declared ones do not. A policy
nobody declared (an inline policy added by hand, AdministratorAccess attached, a customer-managed policy
created and attached outside the stack, a bucket policy on a bucket the state gave none) is part of the live
view too, so it is judged like any other.

One result per rule, under the rule's id. A finding present live but not in the declared state fails (drift),
naming the resource and the rule's message; the same findings on both sides pass (a finding the state itself
has is the gate's, with its suppression); a rule that reads a document the audit could not read is not
verifiable, never passed. Documents of resources that are not in the account keep their declared form: the
existence checks report those, and a missing role or bucket grants nothing a declared one would not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from glz.audit import policy_docs
from glz.audit.context import CALL_ERRORS, AuditContext, describe_error, error_code
from glz.audit.expected import DeclaredRole
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok, unverifiable
from glz.gate import stack_view
from glz.state import SecretValue
from policies.access.model import (
    BUCKET_POLICY_T,
    BUCKET_T,
    KEY_T,
    POLICY_ATTACH_T,
    POLICY_T,
    ROLE_ATTACH_T,
    ROLE_POLICY_T,
    ROLE_T,
    aws_managed_policies,
)
from policies.framework import Rule, StackView, View

# What the live documents are, by kind; a rule is verifiable only when every kind it reads was read.
TRUST = "trust policies"  # GetRole: the trust policy, session length and permissions boundary of each role
IDENTITY = "identity policies"  # inline policies, attached managed policies, customer-managed default versions
BUCKET = "bucket policies"
KEY = "key policies"
EVERYTHING = frozenset({TRUST, IDENTITY, BUCKET, KEY})

# The access-model rules whose inputs the audit reads, and which kinds of document each one reads. GLZ-IAM-013
# is left to the gate: it judges topic, queue, repository, file-system, function and secret policies, which the
# audit does not read. GLZ-IAM-016 reads the file-system policy and access points from the state; the compute
# roles' own policies, which decide whether a job can write to the reference file system, are the live ones.
RULE_INPUTS: dict[str, frozenset[str]] = {
    "GLZ-IAM-001": frozenset({TRUST}),
    "GLZ-IAM-002": frozenset({TRUST}),
    "GLZ-IAM-003": frozenset({TRUST}),
    "GLZ-IAM-004": frozenset({TRUST}),
    "GLZ-IAM-005": frozenset({IDENTITY}),
    "GLZ-IAM-006": frozenset({IDENTITY}),
    "GLZ-IAM-007": frozenset({TRUST, IDENTITY}),
    "GLZ-IAM-008": frozenset({TRUST}),
    "GLZ-IAM-009": EVERYTHING,
    "GLZ-IAM-010": EVERYTHING,
    "GLZ-IAM-011": EVERYTHING,
    "GLZ-IAM-012": EVERYTHING,
    "GLZ-IAM-014": EVERYTHING,
    "GLZ-IAM-015": EVERYTHING,
    "GLZ-IAM-016": frozenset({TRUST, IDENTITY}),
    "GLZ-S3-005": frozenset({BUCKET}),
    "GLZ-S3-006": frozenset({BUCKET}),
    "GLZ-S3-007": frozenset({BUCKET, TRUST}),
    "GLZ-S3-012": frozenset({BUCKET}),
    "GLZ-S3-014": frozenset({BUCKET}),
    "GLZ-KMS-003": frozenset({KEY, TRUST}),
    # the guardrails in the buckets' and keys' own policies; every role is asked, break-glass known by its trust
    "GLZ-S3-017": EVERYTHING,
    "GLZ-S3-018": EVERYTHING,
    "GLZ-KMS-005": EVERYTHING,
    "GLZ-LOG-012": EVERYTHING,
}

# Its probes are those of the matrix that name the rule (controls/probes.py), so a failure lands on the rows the
# rule evidences; these stand in for a rule no probe names, and the spec's own for anything else.
FALLBACK_PROBES = {"GLZ-IAM-016": ("reference_efs",), "GLZ-S3-014": ("audit_log_immutability",)}
EFFECTIVE_ACCESS = CheckSpec(
    "iam.effective-access",
    "The live policies allow nothing the declared ones do not (the gate's access-model rules, run on the account)",
    ("operator_roles",),
)

NO_SUCH_ENTITY = ("NoSuchEntity", "NoSuchEntityException")
NO_SUCH_BUCKET = ("NoSuchBucket", "404", "NotFound")
NO_SUCH_KEY = ("NotFoundException",)


@cache
def probes_of(rule_id: str) -> tuple[str, ...]:
    """The matrix probes that name ``rule_id``; FALLBACK_PROBES, else the spec's, when none does."""
    from controls.probes import PROBES  # imported here: the matrix imports the audit's evidence, not the reverse

    named = tuple(name for name, spec in PROBES.items() if rule_id in spec.rules)
    return named or FALLBACK_PROBES.get(rule_id, EFFECTIVE_ACCESS.probes)


def _text(document: Any) -> str:
    """A live document in the form the state keeps documents (a JSON string), whatever the API returned."""
    return json.dumps(policy_docs.parse(document), sort_keys=True)


@dataclass
class LiveDocuments:
    """The declared view, the live one, and how the live one was made."""

    declared: StackView
    live: StackView
    read: dict[str, int] = field(default_factory=dict)  # kind -> documents read from the account
    unread: dict[str, list[str]] = field(default_factory=dict)  # kind -> why some could not be read
    kept: list[str] = field(default_factory=list)  # resources not in the account: declared documents kept
    undeclared: list[str] = field(default_factory=list)  # documents the account has and the state does not declare

    def summary(self, kinds: Iterable[str]) -> dict[str, Any]:
        kinds = sorted(kinds)
        found: dict[str, Any] = {"documents_read": {k: self.read.get(k, 0) for k in kinds}}
        unread = {k: self.unread[k] for k in kinds if self.unread.get(k)}
        if unread:
            found["not_read"] = unread
        if self.undeclared:
            found["undeclared_documents"] = list(self.undeclared)
        if self.kept:
            found["not_in_account_declared_kept"] = list(self.kept)
        return found


class _Builder:
    """Reads the live documents and writes them into a copy of the declared view."""

    def __init__(self, ctx: AuditContext, declared: StackView):
        self.ctx = ctx
        self.declared = declared
        self.views: dict[str, View] = {v.urn: v for v in declared.resources}
        self.extra: list[View] = []
        self.docs = LiveDocuments(declared, declared)
        parts = declared.stack_urn.split("::")
        self.urn_prefix = "::".join(parts[:2]) if len(parts) >= 2 else "urn:pulumi:live::glz"
        self.live_attached: dict[str, set[str]] = {}  # role name -> attached ARNs, for roles whose list was read
        self.boundaries: set[str] = set()

    # ---- bookkeeping ------------------------------------------------------------------------------

    def _read(self, kind: str) -> None:
        self.docs.read[kind] = self.docs.read.get(kind, 0) + 1

    def _unread(self, kind: str, what: str, error: Exception) -> None:
        self.docs.unread.setdefault(kind, []).append(f"{what}: {describe_error(error)}")

    def _set(self, urn: str, **props: Any) -> None:
        """Replace props of a view; a None value removes the prop (the account has no such document)."""
        view = self.views[urn]
        merged = dict(view.props)
        for key, value in props.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        self.views[urn] = replace(view, props=merged)

    def _drop(self, urn: str) -> None:
        self.views.pop(urn, None)

    def _synthetic(self, typ: str, name: str, props: dict[str, Any], depends: dict[str, list[str]]) -> None:
        urn = f"{self.urn_prefix}::{typ}::glz-live-{name}"
        self.extra.append(View(typ, urn, f"glz-live-{name}", props, property_dependencies=depends))

    def _of_type(self, typ: str) -> list[View]:
        return [v for v in self.views.values() if v.type == typ]

    # ---- roles ------------------------------------------------------------------------------------

    def _targets(self, view: View, role: DeclaredRole) -> bool:
        linked = role.urn in (view.property_dependencies.get("role") or [])
        named = str(view.get("role") or "")
        return linked or named == role.name or named.endswith(f"/{role.name}")  # a name or a role ARN

    @staticmethod
    def _inline_name(view: View, role: str) -> str:
        name = view.get("name")
        if name and not isinstance(name, SecretValue):
            return str(name)
        ident = str(view.get("id") or view.name)
        return ident.split(":", 1)[1] if ident.startswith(f"{role}:") else ident

    def role(self, role: DeclaredRole) -> None:
        if role.urn not in self.views:
            return
        if ("role", role.name) in self.ctx.absent:
            self.docs.kept.append(f"role {role.name}")
            return
        try:
            answer = self.ctx.call_or_none("iam", "get_role", NO_SUCH_ENTITY, RoleName=role.name)
        except CALL_ERRORS as error:
            self._unread(TRUST, f"role {role.name}", error)
            self._unread(IDENTITY, f"permissions boundary of role {role.name}", error)
        else:
            if answer is None:
                self.docs.kept.append(f"role {role.name}")
                return
            live = answer["Role"]
            boundary = (live.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            self._set(
                role.urn,
                assumeRolePolicy=_text(live.get("AssumeRolePolicyDocument")),
                maxSessionDuration=live.get("MaxSessionDuration"),
                permissionsBoundary=str(boundary) if boundary else None,  # None: no boundary in the account
            )
            if boundary:
                self.boundaries.add(str(boundary))
            self._read(TRUST)
        self._inline(role)
        self._attached(role)

    def _inline(self, role: DeclaredRole) -> None:
        ctx = self.ctx
        try:
            names = ctx.call("iam", "list_role_policies", RoleName=role.name).get("PolicyNames", [])
            live = {
                name: _text(
                    ctx.call("iam", "get_role_policy", RoleName=role.name, PolicyName=name).get("PolicyDocument")
                )
                for name in names
            }
        except CALL_ERRORS as error:
            self._unread(IDENTITY, f"inline policies of role {role.name}", error)
            return
        self.docs.read[IDENTITY] = self.docs.read.get(IDENTITY, 0) + len(live)
        placed: set[str] = set()
        for view in self._of_type(ROLE_POLICY_T):
            if not self._targets(view, role):
                continue
            name = self._inline_name(view, role.name)
            if name in live and name not in placed:
                self._set(view.urn, policy=live[name])
                placed.add(name)
            else:
                self._drop(view.urn)  # gone from the account (or a second declaration of the same name)
        entries = []
        for entry in self.views[role.urn].get("inlinePolicies") or []:
            if not isinstance(entry, dict) or not entry.get("name") or isinstance(entry["name"], SecretValue):
                entries.append(entry)  # the provider's empty placeholder
            elif str(entry["name"]) in live and str(entry["name"]) not in placed:
                entries.append({**entry, "policy": live[str(entry["name"])]})
                placed.add(str(entry["name"]))
        for name in sorted(set(live) - placed):
            entries.append({"name": name, "policy": live[name]})
            self.docs.undeclared.append(f"inline policy {name} of role {role.name}")
        self._set(role.urn, inlinePolicies=entries or None)

    def _attached(self, role: DeclaredRole) -> None:
        try:
            answer = self.ctx.call("iam", "list_attached_role_policies", RoleName=role.name)
        except CALL_ERRORS as error:
            self._unread(IDENTITY, f"managed policies attached to role {role.name}", error)
            return
        self.live_attached[role.name] = {str(p.get("PolicyArn")) for p in answer.get("AttachedPolicies", [])}

    def attachments(self, roles: list[DeclaredRole]) -> None:
        """Declared attachments the account no longer has are dropped; attachments it has that the state does
        not declare go onto the role's managedPolicyArns."""
        placed: dict[str, set[str]] = {name: set() for name in self.live_attached}
        by_name = {r.name: r for r in roles}
        for view in self._of_type(ROLE_ATTACH_T):
            role = next((r for r in roles if r.name in self.live_attached and self._targets(view, r)), None)
            if role is None:
                continue
            arn = str(view.get("policyArn") or "")
            if arn in self.live_attached[role.name]:
                placed[role.name].add(arn)
            else:
                self._drop(view.urn)
        for view in self._of_type(POLICY_ATTACH_T):
            arn = str(view.get("policyArn") or "")
            kept = []
            for name in view.get("roles") or []:
                short = str(name).rsplit("/", 1)[-1]
                if short not in self.live_attached:
                    kept.append(name)
                elif arn in self.live_attached[short]:
                    kept.append(name)
                    placed[short].add(arn)
            self._set(view.urn, roles=kept)
        for name, attached in self.live_attached.items():
            role = by_name[name]
            declared = [str(a) for a in self.views[role.urn].get("managedPolicyArns") or [] if a]
            arns = [a for a in declared if a in attached]
            placed[name] |= set(arns)
            for arn in sorted(attached - placed[name]):
                arns.append(arn)
                self.docs.undeclared.append(f"managed policy {arn} attached to role {name}")
            self._set(role.urn, managedPolicyArns=arns or None)

    # ---- managed policies -------------------------------------------------------------------------

    def _default_version(self, arn: str) -> str | None:
        """The default version's document of a managed policy; None when the policy does not exist."""
        answer = self.ctx.call_or_none("iam", "get_policy", NO_SUCH_ENTITY, PolicyArn=arn)
        if answer is None:
            return None
        version = str(answer["Policy"].get("DefaultVersionId") or "")
        live = self.ctx.call("iam", "get_policy_version", PolicyArn=arn, VersionId=version)["PolicyVersion"]
        return _text(live.get("Document"))

    def managed_policies(self) -> None:
        declared: set[str] = set()
        for policy in self.ctx.expected.policies:
            declared.add(policy.arn)
            if policy.urn not in self.views:
                continue
            try:
                document = self._default_version(policy.arn)
            except CALL_ERRORS as error:
                self._unread(IDENTITY, f"policy {policy.name}", error)
                continue
            if document is None:
                self.docs.kept.append(f"policy {policy.name}")
                continue
            self._set(policy.urn, policy=document, arn=policy.arn)
            self._read(IDENTITY)
        known = aws_managed_policies()
        referenced = self.boundaries.union(*self.live_attached.values())
        for arn in sorted(referenced - declared):
            if arn in known:
                continue  # AWS managed: the model reads the same snapshot the gate does
            name = arn.rsplit("/", 1)[-1]
            try:
                document = self._default_version(arn)
            except CALL_ERRORS as error:
                self._unread(IDENTITY, f"policy {arn}", error)
                continue
            if document is None:
                self.docs.unread.setdefault(IDENTITY, []).append(f"policy {arn}: referenced by a role, not found")
                continue
            self._synthetic(POLICY_T, name, {"name": name, "arn": arn, "policy": document}, {})
            self.docs.undeclared.append(f"policy {arn}")
            self._read(IDENTITY)

    # ---- buckets and keys -------------------------------------------------------------------------

    def buckets(self) -> None:
        for bucket in self.ctx.expected.buckets:
            if bucket.urn not in self.views:
                continue
            if ("bucket", bucket.name) in self.ctx.absent:
                self.docs.kept.append(f"bucket {bucket.name}")
                continue
            try:
                answer = self.ctx.call_or_none("s3", "get_bucket_policy", ("NoSuchBucketPolicy",), Bucket=bucket.name)
            except ClientError as error:
                if error_code(error) in NO_SUCH_BUCKET:
                    self.docs.kept.append(f"bucket {bucket.name}")
                else:
                    self._unread(BUCKET, f"bucket {bucket.name}", error)
                continue
            except CALL_ERRORS as error:
                self._unread(BUCKET, f"bucket {bucket.name}", error)
                continue
            self._read(BUCKET)
            siblings = [
                v
                for v in self._of_type(BUCKET_POLICY_T)
                if bucket.urn in (v.property_dependencies.get("bucket") or []) or v.get("bucket") == bucket.name
            ]
            self._set(bucket.urn, policy=None)  # the bucket's own (deprecated) policy prop: the live one is below
            if answer is None:
                for sibling in siblings:
                    self._drop(sibling.urn)
                continue
            document = _text(answer.get("Policy"))
            if siblings:
                self._set(siblings[0].urn, policy=document)
                for sibling in siblings[1:]:
                    self._drop(sibling.urn)
            else:
                self._synthetic(
                    BUCKET_POLICY_T,
                    f"{bucket.name}-policy",
                    {"bucket": bucket.name, "policy": document},
                    {"bucket": [bucket.urn]},
                )
                self.docs.undeclared.append(f"bucket policy of {bucket.name}")

    def keys(self) -> None:
        for key in self.ctx.expected.keys:
            if key.urn not in self.views:
                continue
            if ("kms-key", key.key_id) in self.ctx.absent:
                self.docs.kept.append(f"KMS key {key.arn}")
                continue
            try:
                answer = self.ctx.call_or_none(
                    "kms", "get_key_policy", NO_SUCH_KEY, KeyId=key.arn, PolicyName="default"
                )
            except CALL_ERRORS as error:
                self._unread(KEY, f"KMS key {key.arn}", error)
                continue
            if answer is None:
                self.docs.kept.append(f"KMS key {key.arn}")
                continue
            self._set(key.urn, policy=_text(answer.get("Policy")))
            self._read(KEY)

    def build(self) -> LiveDocuments:
        roles = self.ctx.expected.roles + self.ctx.expected.service_roles
        for role in roles:
            self.role(role)
        self.attachments(roles)
        self.managed_policies()
        self.buckets()
        self.keys()
        self.docs.live = StackView([*self.views.values(), *self.extra], stack_urn=self.declared.stack_urn)
        return self.docs


def live_documents(ctx: AuditContext) -> LiveDocuments | None:
    """The declared and live views, built once per audit (None when the audit was given no stack state)."""
    if ctx.state is None:
        return None
    cached = getattr(ctx, "_live_documents", None)
    if cached is None:
        cached = _Builder(ctx, stack_view(ctx.state)).build()
        ctx._live_documents = cached
    return cached


Finding = tuple[str, str]  # (subject URN, message)
SHOWN = 5  # new findings spelled out in a reason; all of them are in observed.new_findings


def findings(rule: Rule, view: StackView) -> list[Finding]:
    return sorted({(v.urn, v.message) for _, violations in rule.evaluate(view) for v in violations})


SUBJECT_WORDS = {
    ROLE_T: ("role", "name"),
    BUCKET_T: ("bucket", "bucket"),
    KEY_T: ("KMS key", "arn"),
    POLICY_T: ("policy", "name"),
    ROLE_POLICY_T: ("inline policy", "name"),
    BUCKET_POLICY_T: ("bucket policy of", "bucket"),
}


def subject(view: StackView, urn: str) -> str:
    """'role glz-demo-admin', 'bucket x', 'the account' (the stack) for a finding's subject."""
    resource = view.by_urn.get(urn)
    if resource is None or urn == view.anchor:
        return "the account"
    word, key = SUBJECT_WORDS.get(resource.type, (resource.type.rsplit(":", 1)[-1], "name"))
    return f"{word} {resource.get(key) or resource.name}"


def _describe(view: StackView, rule_id: str, found: Finding) -> str:
    urn, message = found
    who = subject(view, urn)
    name = who.rsplit(" ", 1)[-1]
    shown = message if who == "the account" or name in message else f"{who}: {message}"
    return f"live account: {shown} ({rule_id})"


def _rule_check(ctx: AuditContext, rule: Rule) -> CheckResult:
    kinds = RULE_INPUTS[rule.id]
    spec = replace(EFFECTIVE_ACCESS, probes=probes_of(rule.id))
    expected: dict[str, Any] = {"rule": rule.id, "rule_name": rule.name, "reads": sorted(kinds)}
    docs = live_documents(ctx)
    declared: list[Finding] = []
    if docs is not None:
        declared = findings(rule, docs.declared)
        expected["declared_findings"] = [message for _, message in declared]
    urn = docs.declared.anchor if docs is not None else None

    def body(observed: dict[str, Any]) -> Verdict:
        if docs is None:
            return unverifiable(f"{rule.id}: the audit was run without the stack state, so there is nothing to compare")
        observed.update(docs.summary(kinds))
        try:
            live = findings(rule, docs.live)
        except Exception as error:  # a rule must never turn an odd live document into a pass or a crash
            return unverifiable(
                f"{rule.id} could not be evaluated on the live documents: {type(error).__name__}: {error}"
            )
        observed["live_findings"] = [message for _, message in live]
        new = [f for f in live if f not in declared]
        not_read = {k: docs.unread[k] for k in sorted(kinds) if docs.unread.get(k)}
        if new:
            observed["new_findings"] = [{"subject": subject(docs.live, u), "urn": u, "message": m} for u, m in new]
            shown = "; ".join(_describe(docs.live, rule.id, f) for f in new[:SHOWN])
            more = f"; and {len(new) - SHOWN} more (observed.new_findings)" if len(new) > SHOWN else ""
            note = f" ({', '.join(not_read)} partly unread: the declared ones stood in for them)" if not_read else ""
            return fail(shown + more + note)
        if not_read:
            reasons = [r for k in not_read for r in not_read[k]]
            more = f"; and {len(reasons) - SHOWN} more (observed.not_read)" if len(reasons) > SHOWN else ""
            return unverifiable(
                f"{rule.id} reads {', '.join(not_read)} the audit could not read: {'; '.join(reasons[:SHOWN])}{more}"
            )
        gone = [f for f in declared if f not in live]
        if gone:
            observed["declared_findings_not_live"] = [m for _, m in gone]
        count = len(live)
        what = "no finding" if not count else f"the {count} declared finding{'s' if count > 1 else ''} and no other"
        return ok(f"{rule.id} on the live documents: {what}, as on the declared ones")

    return ctx.check(spec, rule.id, urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    from policies.rules import RULES_BY_ID

    for rule_id in RULE_INPUTS:
        rule = RULES_BY_ID.get(rule_id)
        if rule is not None:
            yield _rule_check(ctx, rule)
