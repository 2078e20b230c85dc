"""Questions over the access model: who outside reaches the data, who can blind the audit plane, who can
change IAM, and how far the compute roles reach.

Each rule asks the model (policies/access) what the stack's policies allow, so a weakening counts however it
is written: an AWS managed policy attached, an inline policy on the Role, NotAction, a wildcard ARN, a
deny narrowed to one principal. Actions are expanded from the IAM action catalog where a rule names a
family ("every Delete, Stop and Update action of CloudTrail").
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from policies.access import catalog
from policies.access import conditions as cond
from policies.access.actors import ROLE, Actor, statement_names
from policies.access.document import statements
from policies.access.model import AccessModel, Principal, model_of
from policies.framework import Requirements, StackView, Violation, stack_rule, summarize
from policies.rules import s3_support as s3
from policies.rules.encryption import purpose_keys
from policies.rules.identity import (
    requires_external_id,
    requires_mfa,
    requires_source_network,
    trust_statements,
    workload_collaborator,
)

OUTSIDE = Requirements(
    r2=("3.1.1", "3.1.2", "3.1.20"),
    r3=("03.01.01", "03.01.02", "03.01.20"),
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"),
)
AUDIT_PLANE = Requirements(
    r2=("3.3.8", "3.3.9", "3.3.1"), r3=("03.03.08", "03.03.03"), hipaa=("164.312(b)", "164.312(c)(1)")
)
PRIVILEGE = Requirements(
    r2=("3.1.5", "3.1.6", "3.1.7"), r3=("03.01.05", "03.01.06", "03.01.07"), hipaa=("164.308(a)(3)(ii)(A)",)
)
LEAST_PRIVILEGE = Requirements(
    r2=("3.1.5", "3.1.7", "3.1.3"), r3=("03.01.05", "03.01.07", "03.01.03"), hipaa=("164.308(a)(4)(ii)(B)",)
)
DIRECT = {"aws:securetransport": "true", "aws:viaawsservice": "false", "kms:viaservice": cond.MISSING}
"""A request the principal makes itself: over TLS, not through another AWS service, so KMS sees no ViaService."""
OBJECT_DATA = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion")

# Service -> the action-name prefixes that stop, delete, redirect or loosen that part of the audit plane.
# Expanded from the IAM action catalog, so a new "Delete..." action is covered the day AWS adds it.
AUDIT_PLANE_FAMILIES: dict[str, tuple[str, ...]] = {
    "cloudtrail": ("Delete", "Stop", "Update", "Put", "Remove", "Deregister"),
    "config": ("Delete", "Stop", "Put"),
    "guardduty": ("Delete", "Disable", "Disassociate", "Update", "Archive", "Stop"),
    "securityhub": ("Disable", "Delete", "BatchDisable", "Disassociate", "UpdateStandardsControl", "UpdateSecurityHub"),
    "inspector2": ("Disable", "Disassociate", "Delete"),
    "access-analyzer": ("Delete", "CreateArchiveRule", "UpdateArchiveRule", "ApplyArchiveRule"),
}
AUDIT_PLANE_ACTIONS: dict[str, tuple[str, ...]] = {
    "ec2": ("ec2:DeleteFlowLogs",),
    "account": ("account:PutAlternateContact", "account:DeleteAlternateContact"),
    "logs": (
        "logs:DeleteLogGroup",
        "logs:DeleteLogStream",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:DeleteMetricFilter",
        "logs:PutMetricFilter",
        "logs:DisassociateKmsKey",
        "logs:DeleteSubscriptionFilter",
        "logs:PutSubscriptionFilter",
    ),
    "cloudwatch": ("cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricAlarm"),
    "sns": ("sns:DeleteTopic", "sns:SetTopicAttributes", "sns:RemovePermission", "sns:AddPermission"),
    "kms": ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:DisableKeyRotation"),
    "s3": (
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutLifecycleConfiguration",
        "s3:PutBucketVersioning",
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutEncryptionConfiguration",
        "s3:DeleteBucket",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:BypassGovernanceRetention",
        "s3:PutObjectRetention",
    ),
}
# Types whose ARNs are the audit plane's resources, per service of the actions above.
AUDIT_PLANE_TYPES: dict[str, tuple[str, ...]] = {
    "cloudtrail": ("aws:cloudtrail/trail:Trail",),
    "guardduty": ("aws:guardduty/detector:Detector", "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"),
    "access-analyzer": ("aws:accessanalyzer/analyzer:Analyzer",),
    "ec2": ("aws:ec2/flowLog:FlowLog",),
    "logs": ("aws:cloudwatch/logGroup:LogGroup",),
    "cloudwatch": ("aws:cloudwatch/metricAlarm:MetricAlarm",),
    "sns": ("aws:sns/topic:Topic",),
}
IAM_PROBE_NAMES = ("role/glz-probe-new-role", "user/glz-probe-new-user", "policy/glz-probe-new-policy")


def audit_plane_actions() -> dict[str, list[str]]:
    """Service -> concrete actions that tamper with the audit plane (catalog-expanded)."""
    found = {svc: catalog.actions_where(svc, prefixes=prefixes) for svc, prefixes in AUDIT_PLANE_FAMILIES.items()}
    found.update({svc: list(actions) for svc, actions in AUDIT_PLANE_ACTIONS.items()})
    return found


def _audit_buckets(stack: StackView) -> list[str]:
    tiers = s3.classify(stack)
    return [s3.bucket_name(b) for b in stack.of_type(s3.BUCKET) if tiers.get(b.urn) in (s3.AUDIT_TIER, s3.LOG_TIER)]


def audit_plane_targets(stack: StackView) -> dict[str, list[str]]:
    """Service -> the ARNs of the stack's audit-plane resources ('*' where the service has no resource ARN)."""
    targets: dict[str, list[str]] = {}
    for service in audit_plane_actions():
        arns = []
        for typ in AUDIT_PLANE_TYPES.get(service, ()):
            arns += [str(r.get("arn")) for r in stack.of_type(typ) if r.get("arn")]
        if service == "kms":
            arns += _log_keys(stack)
        if service == "s3":
            for name in _audit_buckets(stack):
                arns += [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/AWSLogs/glz-probe"]
        targets[service] = arns or ["*"]
    return targets


Asks = dict[str, list[str]]  # action -> every ARN to try it on


def grouped(asks: list[tuple[str, str]]) -> Asks:
    """(action, ARN) asks by action, so many principals can be asked the same once-grouped questions."""
    by_action: Asks = {}
    for action, arn in asks:
        by_action.setdefault(action, []).append(arn)
    return by_action


def _first(model: AccessModel, actor: Actor, asks: list[tuple[str, str]] | Asks) -> list[str]:
    """The actions of ``asks`` the actor can perform on some of their resources. An action its own policies
    cannot grant is tried only on resources whose policy names the actor itself (keeps this linear)."""
    if not isinstance(asks, dict):
        asks = grouped(asks)
    own = model.principals.get(actor.name)
    found = []
    # without a resource policy naming it, a principal reaches only what its own policies may allow
    identity_only = own is not None and not model.direct_keys(actor)
    for action, arns in asks.items():
        if identity_only and not own.may(action):
            continue
        if own is not None and own.denied_everywhere(action):
            continue
        if any(model.decide(actor, action, arn, DIRECT) for arn in model.allowed_candidates(actor, action, arns)):
            found.append(action)
    return sorted(found)


@stack_rule(
    "GLZ-IAM-009",
    "no-outside-path-to-data",
    "critical",
    OUTSIDE,
    "Remove grants to other accounts, anyone or federated identities from bucket and key policies and KMS "
    "grants; admit outside people only through collaborator roles (ExternalId and MFA in the trust).",
)
def outside_paths(stack: StackView) -> Iterator[Violation]:
    """Nobody outside the account reads, writes or deletes data-tier objects except through a role whose
    trust requires the agreed ExternalId and MFA; nobody outside deletes object versions at all."""
    model = model_of(stack)
    outsiders = model.external_actors()
    for bucket in s3.data_buckets(stack):
        name = s3.bucket_name(bucket)
        problems = []
        for actor in outsiders:
            for path in model.paths(actor):
                if not model.may_touch_objects(path.actor, name):
                    continue
                asks = [(a, arn) for arn in model.object_probes(path.actor, name) for a in OBJECT_DATA]
                reached = _first(model, path.actor, asks)
                if not reached:
                    continue
                if not path.via:
                    problems.append(f"{actor.label()} directly: {summarize(reached)}")
                elif not _guarded_entry(model, actor, path.via[0]):
                    problems.append(f"{path.label()} without ExternalId and MFA: {summarize(reached)}")
                elif "s3:DeleteObjectVersion" in reached:
                    problems.append(f"{path.label()} can permanently delete object versions")
        if problems:
            yield Violation(bucket.urn, f"bucket {name}: reached from outside the account by {'; '.join(problems)}")


def _guarded_entry(model: AccessModel, actor: Actor, role_arn: str) -> bool:
    """Does every trust statement that admits ``actor`` into the role require the ExternalId and MFA?
    (Answered once per actor and role: every data bucket asks.)"""
    return model.stack.memo(("guarded entry", actor, role_arn), lambda _: _guarded(model, actor, role_arn))


def _guarded(model: AccessModel, actor: Actor, role_arn: str) -> bool:
    role = model.principals.get(role_arn)
    if role is None:
        return False
    view = model.stack.by_urn.get(role.actor.urn or "")
    admitting = [s for s in trust_statements(view) if model.can_assume(actor, _only(role, s))]
    # a declared workload collaborator is held by its source network instead of MFA (GLZ-IAM-003)
    workload = view is not None and workload_collaborator(view, model.stack)
    return bool(admitting) and all(
        requires_external_id(s) and (requires_mfa(s) or (workload and requires_source_network(s))) for s in admitting
    )


def _only(role: Principal, statement) -> Principal:
    return Principal(role.actor, role.identity, role.boundary, [statement])


def is_operator(stack: StackView, role: Principal) -> bool:
    """A role only people of this account assume, with MFA: every trust statement names principals of this
    account alone (no service, no other account) and cannot match without MFA."""
    view = stack.by_urn.get(role.actor.urn or "")
    if view is None or role.actor.kind != ROLE:
        return False
    trust = trust_statements(view)
    own = stack.account_id
    for statement in trust:
        if statement.not_principals or not statement.principals:
            return False
        for principal in statement.principals:
            if principal.kind != "AWS" or not principal.value.startswith((f"arn:aws:iam::{own}:", own or "-")):
                return False
        if not requires_mfa(statement):
            return False
    return bool(trust)


def is_break_glass(stack: StackView, role: Principal) -> bool:
    """The break-glass role the stack declares (its breakGlassRoleArn output), and only while people of this
    account assume it with MFA: the one principal the guardrails leave unbound (its use is alarmed, GLZ-LOG-010)."""
    declared = stack.outputs.get("breakGlassRoleArn")
    return bool(declared) and role.actor.name == declared and is_operator(stack, role)


@stack_rule(
    "GLZ-IAM-010",
    "audit-plane-cannot-be-silenced",
    "critical",
    AUDIT_PLANE,
    "Deny the audit-plane actions (components/access_policies.AUDIT_PLANE_TAMPER_ACTIONS) to every role the "
    "stack defines, the administrator included (break-glass alone is exempt, assumed with MFA and alarmed); "
    "changes go through the deployment pipeline.",
)
def audit_plane(stack: StackView) -> Iterator[Violation]:
    """No principal of the stack (or anyone who can assume one) can stop, delete, redirect or loosen any part
    of the audit plane: trail and its selectors, Config recorder and delivery, GuardDuty and its features,
    Security Hub and its standards, Inspector, Access Analyzer, flow logs, log groups, metric filters,
    alarms and their topic, the keys, and the audit and access-log buckets."""
    model = model_of(stack)
    targets = audit_plane_targets(stack)
    asks = grouped(
        [(action, arn) for svc, actions in audit_plane_actions().items() for action in actions for arn in targets[svc]]
    )
    for principal in model.principals.values():
        if is_break_glass(stack, principal):
            continue
        reached = _first(model, principal.actor, asks)
        if reached:
            yield Violation(
                principal.actor.urn or stack.anchor,
                f"{principal.actor.name} can tamper with the audit plane: {summarize(reached, 6)}",
            )


def iam_write_actions() -> list[str]:
    """Every IAM action that writes identities or permissions (catalog: Write and Permissions management)."""
    return list(_iam_write_actions())


@cache
def _iam_write_actions() -> tuple[str, ...]:
    return tuple(catalog.actions_where("iam", levels=("Write", "Permissions management")))


@stack_rule(
    "GLZ-IAM-011",
    "no-privilege-escalation",
    "critical",
    PRIVILEGE,
    "Only the operator roles (people of this account, with MFA) may change IAM; remove IAM write actions and "
    "AWS managed policies that grant them from workload, service and collaborator roles.",
)
def escalation(stack: StackView) -> Iterator[Violation]:
    """Only the administrator role (assumed by people of this account with MFA) can change IAM: no auditor,
    workload, service or collaborator role can create, edit or pass roles, users or policies, and so escalate."""
    model = model_of(stack)
    account = stack.account_id or "111111111111"
    generic = [f"arn:aws:iam::{account}:{name}" for name in IAM_PROBE_NAMES]
    admin = stack.outputs.get("adminRoleArn")
    for principal in model.principals.values():
        # the administrator role the stack declares (its adminRoleArn output), and only while people of this
        # account assume it with MFA; without that output (a preview), any such operator role
        if is_operator(stack, principal) and (not admin or principal.actor.name == admin):
            continue
        if is_break_glass(stack, principal):
            continue
        # a new role, user or policy, and every IAM ARN its own policies name (an existing role to edit)
        named = {r for s in principal.identity for r in s.resources if r.startswith("arn:aws:iam::")}
        probes = generic + sorted(r.replace("*", "glz-probe") for r in named)
        asks = [(action, arn) for action in iam_write_actions() for arn in probes]
        asks += [("sts:AssumeRole", f"arn:aws:iam::{account}:role/glz-probe-new-role")]
        reached = _first(model, principal.actor, asks)
        if reached:
            yield Violation(
                principal.actor.urn or stack.anchor,
                f"{principal.actor.name} is not the administrator role but can {summarize(reached, 6)}",
            )


@stack_rule(
    "GLZ-IAM-013",
    "resource-policies-closed-to-outsiders",
    "critical",
    OUTSIDE,
    "Name only this account's principals and AWS services (with aws:SourceAccount) in topic, queue, "
    "repository, file-system, function and secret policies; never '*', another account or a federated identity.",
)
def resource_policies_closed(stack: StackView) -> Iterator[Violation]:
    """No resource policy of the stack (SNS, SQS, ECR, EFS, Lambda, Secrets Manager; S3 and KMS have their
    own rules) admits anyone outside the account, in any principal form, unless its conditions keep them out."""
    model = model_of(stack)
    for key, policy in model.resource_policies.items():
        if key.startswith(("s3:", "kms:")):
            continue
        for statement in policy:
            if not statement.allow:
                continue
            admitted = [
                actor.label()
                for actor in model.external_actors()
                if statement_names(statement, actor)
                and cond.evaluate(statement.conditions, model.context_of(actor, DIRECT)) is not False
            ]
            if admitted:
                yield Violation(
                    model.policy_owners.get(key, stack.anchor),
                    f"{statement.label()} lets {', '.join(admitted)} "
                    f"{', '.join(statement.actions or statement.not_actions)}",
                )


RUN_TAG_KEY = "s3:existingobjecttag/sequencingrun"


def _collaborator_gaps(stack: StackView, model: AccessModel, grant: dict, role: Principal) -> list[str]:
    """What a collaborator role reaches beyond its grant: other tiers, other prefixes, other runs, writes
    for a read-only grant, listings without the prefix condition, principals beyond the named ones."""
    gaps: list[str] = []
    buckets = {s3.tier_of(b): s3.bucket_name(b) for b in s3.data_buckets(stack)}
    tiers, prefixes = set(grant.get("tiers") or ()), [p for p in grant.get("prefixes") or [""]]
    runs = list(grant.get("runTags") or ())
    whole_tier = "" in prefixes
    actor = role.actor
    shared_run = {RUN_TAG_KEY: runs[0] if runs else "glz-probe-run"}
    for tier, bucket in sorted(buckets.items()):
        inside = f"arn:aws:s3:::{bucket}/{prefixes[0]}glz-probe/object"
        if tier not in tiers:
            if model.decide(actor, "s3:GetObject", inside, {**DIRECT, **shared_run}) or model.decide(
                actor, "s3:ListBucket", f"arn:aws:s3:::{bucket}", {**DIRECT, "s3:prefix": prefixes[0]}
            ):
                gaps.append(f"tier {tier} is not granted but is reachable")
            continue
        if not whole_tier:
            outside = f"arn:aws:s3:::{bucket}/glz-probe-outside-the-grant/object"
            if model.decide(actor, "s3:GetObject", outside, {**DIRECT, RUN_TAG_KEY: runs[0] if runs else "x"}):
                gaps.append(f"{tier}: objects outside the granted prefixes are readable")
            if model.decide(actor, "s3:ListBucket", f"arn:aws:s3:::{bucket}", {**DIRECT, "s3:prefix": "glz-probe/"}):
                gaps.append(f"{tier}: keys outside the granted prefixes can be listed")
            if model.decide(actor, "s3:PutObject", outside, DIRECT):
                gaps.append(f"{tier}: objects outside the granted prefixes can be written")
        if runs and model.decide(actor, "s3:GetObject", inside, {**DIRECT, RUN_TAG_KEY: "glz-probe-other-run"}):
            gaps.append(f"{tier}: objects of runs not shared with it are readable")
        # another run's folder: an unrelated ID, and one that extends a granted ID (as the next run's would)
        other_runs = [f"{prefixes[0]}glz-probe-other-run/", f"{prefixes[0]}{runs[0]}X/"] if runs else []
        if any(_lists(model, actor, bucket, prefix) for prefix in other_runs):
            gaps.append(f"{tier}: keys of runs not shared with it can be listed")
        if (runs or not whole_tier) and _lists(model, actor, bucket, cond.MISSING):
            gaps.append(f"{tier}: the whole bucket can be listed (a request without a prefix is allowed)")
        if grant.get("access") == "read":
            writes = [a for a in ("s3:PutObject", "s3:DeleteObject") if model.decide(actor, a, inside, DIRECT)]
            if writes:
                gaps.append(f"{tier}: a read-only grant can {', '.join(writes)}")
    declared = set(grant.get("principals") or ())
    view = stack.by_urn.get(actor.urn or "")
    named = (
        {p.value for st in trust_statements(view) for p in st.principals if p.kind in ("AWS", "*")} if view else set()
    )
    extra = sorted(named - declared)
    if extra:
        gaps.append(f"trusted principals beyond the named ones: {', '.join(extra)}")
    return gaps


def _lists(model: AccessModel, actor: Actor, bucket: str, prefix: object) -> bool:
    return bool(model.decide(actor, "s3:ListBucket", f"arn:aws:s3:::{bucket}", {**DIRECT, "s3:prefix": prefix}))


@stack_rule(
    "GLZ-IAM-014",
    "collaborator-reach-matches-grant",
    "high",
    Requirements(
        r2=("3.1.1", "3.1.2", "3.1.3"),
        r3=("03.01.01", "03.01.02", "03.01.03"),
        hipaa=("164.308(a)(4)(ii)(B)", "164.312(a)(1)"),
    ),
    "Let CollaboratorAccess write the role's policy, boundary and trust from the collaborator's settings "
    "(tiers, prefixes, runTags, access, principalArns); do not widen them by hand or attach other policies.",
)
def collaborator_reach(stack: StackView) -> Iterator[Violation]:
    """Each collaborator role reaches exactly what its settings grant (the stack's collaboratorGrants output):
    no other tier, prefix or sequencing run, no writes for a read-only grant, and no trusted principal
    beyond the named ones, whichever policy, boundary or attachment would widen it."""
    outputs = stack.outputs
    grants, roles = outputs.get("collaboratorGrants"), outputs.get("collaboratorRoles")
    if not isinstance(grants, dict) or not isinstance(roles, dict):
        return
    model = model_of(stack)
    for name, grant in sorted(grants.items()):
        role = model.principals.get(str(roles.get(name)))
        if role is None or not isinstance(grant, dict):
            yield Violation(stack.anchor, f"collaborator {name}: its role {roles.get(name)} is not in the stack")
            continue
        gaps = _collaborator_gaps(stack, model, grant, role)
        if gaps:
            yield Violation(role.actor.urn or stack.anchor, f"collaborator {name}: {'; '.join(gaps)}")


DATA_READS = ("s3:GetObject", "s3:GetObjectVersion")


@stack_rule(
    "GLZ-IAM-015",
    "auditor-never-reads-genomic-data",
    "high",
    Requirements(
        r2=("3.1.4", "3.1.5"), r3=("03.01.04", "03.01.05"), hipaa=("164.308(a)(3)(ii)(A)", "164.308(a)(4)(ii)(B)")
    ),
    "Keep the auditor's explicit denies on reading data-tier objects and decrypting with the data key "
    "(OperatorRoles), covering every tier and the data key.",
)
def auditor_separation(stack: StackView) -> Iterator[Violation]:
    """Separation of duties: the security auditor cannot read genomic data or decrypt it, and this holds even
    if someone later grants it broad read access (its denies are checked against an allow-everything-read)."""
    auditor_arn = stack.outputs.get("auditorRoleArn")
    model = model_of(stack)
    auditor = model.principals.get(str(auditor_arn)) if auditor_arn else None
    if auditor is None:
        return
    broad = statements({"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "kms:Decrypt"], "Resource": "*"}]})
    probe = Principal(auditor.actor, auditor.identity + broad, auditor.boundary, auditor.trust)
    saved = model.principals[auditor.actor.name]
    model.principals[auditor.actor.name] = probe
    try:
        reached = [
            f"{action} on {s3.bucket_name(b)}"
            for b in s3.data_buckets(stack)
            for action in DATA_READS
            if model.decide(auditor.actor, action, f"arn:aws:s3:::{s3.bucket_name(b)}/glz-probe/object", DIRECT)
        ]
        reached += [
            f"kms:Decrypt with {key.rsplit('/', 1)[-1]}"
            for key in _data_keys(stack)
            if model.decide(auditor.actor, "kms:Decrypt", key, {**DIRECT, "kms:viaservice": "s3.amazonaws.com"})
        ]
    finally:
        model.principals[auditor.actor.name] = saved
    if reached:
        yield Violation(
            auditor.actor.urn or stack.anchor,
            f"given read access, the auditor could {summarize(reached, 5)}: its denies do not cover them",
        )


def _data_keys(stack: StackView) -> list[str]:
    declared = stack.outputs.get("kmsKeys") or {}
    found = purpose_keys(stack, "data")
    if isinstance(declared, dict) and declared.get("data"):
        found.add(str(declared["data"]))
    return sorted(found)


EFS_WRITES = ("elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess")


@stack_rule(
    "GLZ-IAM-016",
    "reference-file-system-read-only",
    "high",
    Requirements(r2=("3.1.5", "3.14.1"), r3=("03.01.05",), hipaa=("164.312(c)(1)",)),
    "Keep ReferenceData's file-system policy (ClientMount through the read-only access point, TLS only) and "
    "access point (non-root POSIX user); grant no ClientWrite or ClientRootAccess to jobs or the account.",
)
def reference_read_only(stack: StackView) -> Iterator[Violation]:
    """Jobs read reference genomes and cannot change them: the file-system policy grants write access to no one
    but the designated loader (one role, through its own non-root access point, used by one job definition
    alone) and root access to no one, no other compute role can write or act as root on it, and its access
    points never map to root."""
    from policies.rules.efs_writer import designated_writers, writer_of

    model = model_of(stack)
    roles = workload_roles(stack, model)
    writers = designated_writers(stack)
    writer_roles = {role for role, _ in writers}
    for fs in stack.of_type("aws:efs/fileSystem:FileSystem"):
        arn = str(fs.get("arn") or "")
        policy = model.resource_statements(arn)[0]
        for statement in policy:
            granted = [a for a in EFS_WRITES if statement.allow and statement.covers_action(a)]
            if granted and writer_of(stack, statement) not in writers:
                yield Violation(fs.urn, f"{statement.label()} grants {', '.join(granted)}")
        for principal in roles:
            reached = [a for a in EFS_WRITES if model.decide(principal.actor, a, arn, DIRECT)]
            if reached == ["elasticfilesystem:ClientWrite"] and principal.actor.name in writer_roles:
                continue  # the designated loader, writing only through its access point (efs_writer)
            if reached:
                yield Violation(fs.urn, f"{principal.actor.name} can {', '.join(reached)} on {fs.name}")
    for point in stack.of_type("aws:efs/accessPoint:AccessPoint"):
        user = point.get("posixUser") or {}
        if not user or str(user.get("uid")) in ("0", "0.0") or str(user.get("gid")) in ("0", "0.0"):
            yield Violation(point.urn, f"access point {point.name} maps clients to root (posixUser {user or 'unset'})")


COMPUTE_SERVICES = (
    "ecs-tasks.amazonaws.com",
    "ec2.amazonaws.com",
    "batch.amazonaws.com",
    "lambda.amazonaws.com",
    "states.amazonaws.com",
)


def workload_roles(stack: StackView, model: AccessModel) -> list[Principal]:
    """Roles that compute assumes (containers, instances, functions, workflows): known by their trust."""
    found = []
    for principal in model.principals.values():
        view = stack.by_urn.get(principal.actor.urn or "")
        if view is None or principal.actor.kind != ROLE:
            continue
        services = {p.value for s in trust_statements(view) for p in s.principals if p.kind == "Service"}
        if services & set(COMPUTE_SERVICES):
            found.append(principal)
    return found


@stack_rule(
    "GLZ-IAM-012",
    "compute-roles-cannot-destroy-or-exfiltrate",
    "high",
    LEAST_PRIVILEGE,
    "Keep job and instance roles to their stage's tiers: no permanent deletes or bucket-configuration "
    "changes on data tiers, no reads of audit or access logs, no use of the log key, no writes outside the stack.",
)
def compute_reach(stack: StackView) -> Iterator[Violation]:
    """Roles compute assumes can neither destroy data (delete versions, rewrite bucket policy, lifecycle or
    versioning), nor read the audit and access logs, nor use the log key, nor write to buckets outside the stack."""
    model = model_of(stack)
    asks: list[tuple[str, str]] = []
    for bucket in s3.data_buckets(stack):
        name = s3.bucket_name(bucket)
        asks += [("s3:DeleteObjectVersion", f"arn:aws:s3:::{name}/glz-probe/object")]
        asks += [
            (a, f"arn:aws:s3:::{name}")
            for a in (
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy",
                "s3:PutLifecycleConfiguration",
                "s3:PutBucketVersioning",
            )
        ]
    for name in _audit_buckets(stack):
        asks += [("s3:GetObject", f"arn:aws:s3:::{name}/AWSLogs/glz-probe")]
    for key in _log_keys(stack):
        asks += [("kms:Decrypt", key)]
    asks += [("s3:PutObject", "arn:aws:s3:::glz-probe-bucket-outside-the-stack/any-object")]
    by_action = grouped(asks)
    for principal in workload_roles(stack, model):
        reached = sorted(
            f"{a} on {arn.rsplit(':', 1)[-1]}"
            for a, arns in by_action.items()
            for arn in dict.fromkeys(model.allowed_candidates(principal.actor, a, arns))
            if model.decide(principal.actor, a, arn, DIRECT)
        )
        if reached:
            yield Violation(principal.actor.urn or stack.anchor, f"{principal.actor.name} can {summarize(reached, 5)}")


def _log_keys(stack: StackView) -> list[str]:
    """The log key: the key the trail encrypts with (by reference), and the EncryptionKeys `<keys>-logs` key."""
    found = {str(t.get("kmsKeyId")) for t in stack.of_type("aws:cloudtrail/trail:Trail") if t.get("kmsKeyId")}
    return sorted(found | purpose_keys(stack, "logs"))
