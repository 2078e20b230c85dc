"""IAM roles people assume: the trust policy in the account names only the declared principals and keeps
every declared condition (ExternalId, MFA, MFA age, principal account); session length and the
permissions boundary are as declared. ExternalId values never reach the evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit import policy_docs
from glz.audit.compare import as_bool, as_int
from glz.audit.context import AuditContext
from glz.audit.expected import DeclaredRole
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
        answer = ctx.call_or_none("iam", "get_role", ("NoSuchEntity", "NoSuchEntityException"), RoleName=role.name)
        if answer is None:
            ctx.absent.add(("role", role.name))
            observed["exists"] = False
            return fail(f"role {role.name} is declared in the state ({role.urn}) but does not exist")
        live = answer["Role"]
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


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for role in ctx.expected.roles:
        yield _trust(ctx, role)
        if role.kind == "collaborator":
            result = _boundary(ctx, role)
            if result is not None:
                yield result
