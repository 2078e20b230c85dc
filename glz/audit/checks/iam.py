"""IAM roles. Roles people assume: the trust policy in the account names only the declared principals and keeps
every declared condition (ExternalId, MFA, MFA age, principal account); session length and the permissions
boundary are as declared. ExternalId values never reach the evidence. Every declared role: its inline policies
and attached managed policies are exactly the declared ones, the inline documents meaning the same as declared;
roles AWS services assume keep exactly their declared trust policy. Every declared customer-managed policy (the
collaborators' permissions boundaries) exists and its default version means the same as the declared document."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from glz.audit import policy_docs
from glz.audit.compare import as_bool, as_int
from glz.audit.context import AuditContext
from glz.audit.expected import DeclaredPolicy, DeclaredRole
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

COLLABORATOR_TRUST = CheckSpec(
    "iam.collaborator-trust",
    "Collaborator role trusts only the declared partner principals, with ExternalId and MFA",
    ("collaborator_roles", "mfa_required"),
)
OPERATOR_TRUST = CheckSpec(
    "iam.operator-trust",
    "Operator role trusts only the declared principals, with MFA",
    ("operator_roles", "mfa_required"),
)
BOUNDARY = CheckSpec(
    "iam.permissions-boundary", "Collaborator role has the declared permissions boundary", ("permission_boundaries",)
)
# The probes of these two depend on the role's purpose (PURPOSE_PROBES); the spec's own are the fallback.
ROLE_PERMISSIONS = CheckSpec(
    "iam.role-permissions",
    "Role has exactly the declared inline policies (same meaning) and attached managed policies",
    ("least_privilege_jobs",),
)
SERVICE_ROLE_TRUST = CheckSpec(
    "iam.service-role-trust",
    "Service role's trust policy means the same as the declared one",
    ("least_privilege_jobs",),
)
# Its probes depend on how the declared roles use the policy (_policy_probes); the spec's own are the fallback.
MANAGED_POLICY = CheckSpec(
    "iam.managed-policy",
    "Customer-managed policy exists and its default version means the same as the declared document",
    ("least_privilege_jobs",),
)

# What a role is for (expected.ROLE_PURPOSES) -> the matrix probes its permissions and trust bear on. Batch
# instance and service roles, and roles of no known purpose, fall under least_privilege_jobs: the probe of the
# rows saying every role the stack creates gets only what its function needs (3.1.5, 3.5.1, 164.308(a)(4)(i)).
PURPOSE_PROBES: dict[str, tuple[str, ...]] = {
    "collaborator": ("collaborator_roles",),
    "operator": ("operator_roles",),
    "batch-job": ("least_privilege_jobs",),
    "batch-instance": ("least_privilege_jobs",),
    "batch-service": ("least_privilege_jobs",),
    "malware-scan": ("s3_malware_protection",),
    "flow-logs": ("flow_logs",),
    "cloudtrail-logs": ("trail",),
    "config": ("config_recorder",),
}
NO_SUCH_ENTITY = ("NoSuchEntity", "NoSuchEntityException")

ANY_VALUE = None  # a required condition whose value the state does not reveal (secret trust policy)
NUMERIC_AT_MOST = {"NumericLessThan", "NumericLessThanEquals"}


def _grants_assume(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    return any(a == "*" or a.lower().startswith(("sts:assumerole", "sts:*")) for a in policy_docs.actions(statement))


Requirement = dict[tuple[str, str], list[str] | None]


def _declared_grants(role: DeclaredRole) -> tuple[dict[str, Requirement], set[str]]:
    """principal -> required conditions, and the accounts trusted when only tags are known."""
    if role.trust is not None:
        grants: dict[str, Requirement] = {}
        for statement in filter(_grants_assume, policy_docs.statements(role.trust)):
            for principal in policy_docs.principals(statement):
                grants[principal] = dict(policy_docs.conditions(statement))
        return grants, set()
    # The state holds the trust policy only as a secret: fall back to what the tags declare.
    required: Requirement = {("StringEquals", "sts:externalid"): ANY_VALUE}
    if as_bool(role.tags.get("RequireMfa", "true")):
        required[("Bool", "aws:multifactorauthpresent")] = ["true"]
    accounts = {role.tags["CollaboratorAccount"]} if role.tags.get("CollaboratorAccount") else set()
    return {f"account:{a}": required for a in accounts}, accounts


def _account_of(principal: str) -> str:
    value = principal.split(":", 1)[-1]
    return value.split(":")[4] if value.startswith("arn:") and value.count(":") >= 5 else value


def _condition_gaps(required: Requirement, present: dict[tuple[str, str], list[str]]) -> list[str]:
    gaps = []
    for (operator, key), want in required.items():
        have = present.get((operator, key))
        shown = "sts:ExternalId" if key == "sts:externalid" else key
        if have is None:
            gaps.append(f"condition {operator} {shown} removed")
        elif want is ANY_VALUE:
            continue
        elif operator in NUMERIC_AT_MOST and len(have) == 1 and len(want) == 1:
            if (as_int(have[0]) or 0) > (as_int(want[0]) or 0):
                gaps.append(f"condition {operator} {shown} loosened to {have[0]} (declared {want[0]})")
        elif have != want:
            gaps.append(f"condition {operator} {shown} has a different value than declared")
    return gaps


def _existing_role(ctx: AuditContext, role: DeclaredRole, observed: dict[str, Any]) -> dict[str, Any] | None:
    """GetRole for the role's first check; a missing role is recorded, so its other checks say why they cannot
    read it (ctx.require) instead of failing again."""
    answer = ctx.call_or_none("iam", "get_role", NO_SUCH_ENTITY, RoleName=role.name)
    if answer is None:
        ctx.absent.add(("role", role.name))
        observed["exists"] = False
        return None
    return answer["Role"]


def _missing(role: DeclaredRole) -> Verdict:
    return fail(f"role {role.name} is declared in the state ({role.urn}) but does not exist")


def _trust(ctx: AuditContext, role: DeclaredRole) -> CheckResult:
    grants, accounts = _declared_grants(role)
    max_session = as_int(role.resource.prop("maxSessionDuration"))
    spec = COLLABORATOR_TRUST if role.kind == "collaborator" else OPERATOR_TRUST
    expected: dict[str, Any] = {
        "principals": sorted(grants),
        "conditions": {p: sorted(f"{op} {key}" for op, key in req) for p, req in grants.items()},
    }
    if max_session:
        expected["max_session_seconds"] = max_session

    def allowed(principal: str) -> Requirement | None:
        if principal in grants:
            return grants[principal]
        if accounts and _account_of(principal) in accounts:
            return next(iter(grants.values()))
        return None

    def body(observed: dict[str, Any]) -> Verdict:
        live = _existing_role(ctx, role, observed)
        if live is None:
            return _missing(role)
        document = policy_docs.parse(live.get("AssumeRolePolicyDocument"))
        observed["max_session_seconds"] = live.get("MaxSessionDuration")
        observed["trust_policy"] = policy_docs.redacted(document)
        problems: list[str] = []
        trusted: set[str] = set()
        for statement in filter(_grants_assume, policy_docs.statements(document)):
            present = policy_docs.conditions(statement)
            for principal in policy_docs.principals(statement):
                required = allowed(principal)
                if required is None:
                    problems.append(f"trust widened: principal {principal} is not declared in the state")
                    continue
                trusted.add(principal)
                problems += [f"{principal}: {gap}" for gap in _condition_gaps(required, present)]
        observed["principals"] = sorted(trusted)
        if not accounts:
            problems += [f"declared principal {p} is no longer trusted" for p in sorted(set(grants) - trusted)]
        elif not trusted:
            problems.append(f"no principal of account(s) {', '.join(sorted(accounts))} is trusted any more")
        if max_session and (observed["max_session_seconds"] or 0) > max_session:
            problems.append(f"maximum session {observed['max_session_seconds']} s exceeds the declared {max_session} s")
        if problems:
            return fail(f"role {role.name}: " + "; ".join(problems))
        return ok(f"trusts {', '.join(sorted(trusted))} with the declared conditions")

    return ctx.check(spec, role.name, role.urn, expected, body)


def _boundary(ctx: AuditContext, role: DeclaredRole) -> CheckResult | None:
    want = role.resource.prop("permissionsBoundary")
    if not want:
        return None

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("role", role.name, f"role {role.name}")
        live = ctx.call("iam", "get_role", RoleName=role.name)["Role"]
        observed["boundary"] = (live.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if observed["boundary"] != want:
            return fail(f"role {role.name} has permissions boundary {observed['boundary'] or 'none'}; declared {want}")
        return ok(str(want))

    return ctx.check(BOUNDARY, role.name, role.urn, {"boundary": want}, body)


def _spec_for(spec: CheckSpec, role: DeclaredRole) -> CheckSpec:
    return replace(spec, probes=PURPOSE_PROBES.get(role.purpose, spec.probes))


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _permissions(ctx: AuditContext, role: DeclaredRole) -> CheckResult:
    """The role's inline and attached managed policies. For a service role this is its first check, so it is
    the one that finds the role missing; a person's role was already looked up by its trust check."""
    declared_inline = role.inline_policies
    expected: dict[str, Any] = {
        "inline_policies": sorted(declared_inline),
        "managed_policies": list(role.managed_policies),
    }
    secret = sorted(name for name, document in declared_inline.items() if document is None)
    if secret:
        expected["documents_not_compared"] = secret

    def body(observed: dict[str, Any]) -> Verdict:
        if role.kind == "service":
            if _existing_role(ctx, role, observed) is None:
                return _missing(role)
        else:
            ctx.require("role", role.name, f"role {role.name}")
        names = sorted(ctx.call("iam", "list_role_policies", RoleName=role.name).get("PolicyNames", []))
        live = {
            name: policy_docs.parse(
                ctx.call("iam", "get_role_policy", RoleName=role.name, PolicyName=name).get("PolicyDocument")
            )
            for name in names
        }
        attached = sorted(
            str(p.get("PolicyArn"))
            for p in ctx.call("iam", "list_attached_role_policies", RoleName=role.name).get("AttachedPolicies", [])
        )
        observed.update(inline_policies=names, managed_policies=attached)
        problems: list[str] = []
        extra = [n for n in names if n not in declared_inline]
        if extra:
            observed["undeclared_inline"] = {
                n: [policy_docs.summary(s) for s in policy_docs.statements(live[n])] for n in extra
            }
            problems += [
                f"undeclared inline policy {n} ({'; '.join(observed['undeclared_inline'][n]) or 'empty'})"
                for n in extra
            ]
        missing = sorted(set(declared_inline) - set(names))
        if missing:
            observed["missing_inline"] = missing
            problems += [f"declared inline policy {n} is missing" for n in missing]
        changed = {
            n: policy_docs.differences(declared_inline[n], live[n])
            for n in names
            if n in declared_inline and declared_inline[n] is not None
        }
        changed = {n: found for n, found in changed.items() if found}
        if changed:
            observed["changed_inline"] = changed
            problems += [
                f"inline policy {n} differs from the declared document: {policy_docs.describe_differences(found)}"
                for n, found in changed.items()
            ]
        extra_attached = [a for a in attached if a not in role.managed_policies]
        if extra_attached:
            observed["undeclared_managed"] = extra_attached
            problems += [f"undeclared managed policy {a} attached" for a in extra_attached]
        detached = [a for a in role.managed_policies if a not in attached]
        if detached:
            observed["missing_managed"] = detached
            problems += [f"declared managed policy {a} is not attached" for a in detached]
        if problems:
            return fail(f"role {role.name}: " + "; ".join(problems))
        note = f"; document of {', '.join(secret)} not compared (a secret in the state)" if secret else ""
        inline_text = ", ".join(names) or "none"
        managed_text = ", ".join(_short(a) for a in attached) or "none"
        return ok(f"inline {inline_text}; managed {managed_text}; as declared{note}")

    return ctx.check(_spec_for(ROLE_PERMISSIONS, role), role.name, role.urn, expected, body)


def _service_trust(ctx: AuditContext, role: DeclaredRole) -> CheckResult | None:
    """The live trust policy of a service role means the same as the declared one. A trust policy the state
    holds only as a secret leaves nothing to compare, so no result (rather than a pass that verified nothing)."""
    if role.trust is None:
        return None
    declared = role.trust
    expected = {"trust_policy": policy_docs.redacted(declared)}

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("role", role.name, f"role {role.name}")
        live = ctx.call("iam", "get_role", RoleName=role.name)["Role"]
        document = policy_docs.parse(live.get("AssumeRolePolicyDocument"))
        observed["trust_policy"] = policy_docs.redacted(document)
        found = policy_docs.differences(declared, document)
        if found:
            observed["differences"] = found
            return fail(
                f"role {role.name}: trust policy differs from the declared one: "
                + policy_docs.describe_differences(found)
            )
        trusted = sorted({p for s in policy_docs.statements(document) for p in policy_docs.principals(s)})
        return ok(f"trusts {', '.join(trusted) or 'no principal'} as declared")

    return ctx.check(_spec_for(SERVICE_ROLE_TRUST, role), role.name, role.urn, expected, body)


def _policy_probes(ctx: AuditContext, policy: DeclaredPolicy) -> tuple[str, ...]:
    """A policy bears on what it limits or grants: permission_boundaries when a declared role has it as its
    boundary; the probes of the roles it is attached to (by their purpose); else the spec's fallback."""
    roles = ctx.expected.roles + ctx.expected.service_roles
    probes: list[str] = []
    if any(r.resource.prop("permissionsBoundary") == policy.arn for r in roles):
        probes.append("permission_boundaries")
    for role in roles:
        if policy.arn in role.managed_policies:
            probes += PURPOSE_PROBES.get(role.purpose, ROLE_PERMISSIONS.probes)
    return tuple(dict.fromkeys(probes)) or MANAGED_POLICY.probes


def _managed_policy(ctx: AuditContext, policy: DeclaredPolicy) -> CheckResult:
    """GetPolicy for the default version's id, GetPolicyVersion for its document (IAM returns it URL-encoded;
    policy_docs.parse reads it either way), compared by meaning. Other versions grant nothing until made the
    default, so only the default is compared."""
    expected: dict[str, Any] = {"arn": policy.arn}
    if policy.document is None:
        expected["document_not_compared"] = True
    else:
        expected["document"] = policy_docs.redacted(policy.document)

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none("iam", "get_policy", NO_SUCH_ENTITY, PolicyArn=policy.arn)
        if answer is None:
            observed["exists"] = False
            return fail(f"policy {policy.name} is declared in the state ({policy.urn}) but {policy.arn} does not exist")
        version = str(answer["Policy"].get("DefaultVersionId") or "")
        observed["default_version"] = version
        live = ctx.call("iam", "get_policy_version", PolicyArn=policy.arn, VersionId=version)["PolicyVersion"]
        document = policy_docs.parse(live.get("Document"))
        observed["document"] = policy_docs.redacted(document)
        if policy.document is None:
            return ok(f"{policy.arn} exists (default version {version}); document not compared (a secret in the state)")
        found = policy_docs.differences(policy.document, document)
        if found:
            observed["differences"] = found
            return fail(
                f"policy {policy.name}: default version {version} differs from the declared document: "
                + policy_docs.describe_differences(found)
            )
        return ok(f"default version {version} means the same as declared")

    spec = replace(MANAGED_POLICY, probes=_policy_probes(ctx, policy))
    return ctx.check(spec, policy.name, policy.urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for role in ctx.expected.roles:
        yield _trust(ctx, role)
        if role.kind == "collaborator":
            result = _boundary(ctx, role)
            if result is not None:
                yield result
        yield _permissions(ctx, role)
    for role in ctx.expected.service_roles:
        yield _permissions(ctx, role)
        trust = _service_trust(ctx, role)
        if trust is not None:
            yield trust
    for policy in ctx.expected.policies:
        yield _managed_policy(ctx, policy)
