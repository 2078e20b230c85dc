"""The deployer roles (deployerPrincipalArns): what they hold in the account, against what `pulumi up` of this
stack needs (glz/deployer_policy, the same documents `glz deployer-policy` writes).

Judged by action, whatever the wording: every Allow of the role's inline and attached managed policies is
expanded through the IAM action catalog (wildcards, `NotAction`), minus what an unconditional Deny on every
resource takes away. Fails when the role may use any forbidden action (object reads and writes, key use,
log contents, people's credentials) or holds actions the stack's lifecycle never calls. Resource scoping is
not compared: an action counts once it is allowed anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit import policy_docs
from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok, unverifiable
from glz.deployer_actions import DATA_ACTIONS
from glz.deployer_policy import (
    KEY_USE_SERVICES,
    UnknownResourceTypesError,
    documents,
    required_actions,
    scope_of_state,
    through_service,
)
from policies.access import catalog

DEPLOYER = CheckSpec(
    "iam.deployer-permissions",
    "Deployer role holds only what pulumi up of this stack needs, and no data or key use",
    ("deployer_scope",),
)
SHOWN = 8


def grants(docs: list[Any]) -> tuple[set[str], set[str]]:
    """(allowed, denied everywhere) concrete actions, lower case, of a role's policy documents. Key use allowed
    only through DynamoDB counts as `<action>@dynamodb`, so it never stands in for the action itself."""
    allowed: set[str] = set()
    denied: set[str] = set()
    for document in docs:
        for statement in policy_docs.statements(document):
            if "Action" in statement:
                matched = {a.lower() for p in policy_docs.actions(statement) for a in catalog.expand(p)}
            else:
                excluded = statement.get("NotAction")
                excluded = [excluded] if isinstance(excluded, str) else list(excluded or [])
                matched = {a.lower() for a in catalog.expand("*") if not catalog.any_matches(tuple(excluded), a)}
            if statement.get("Effect") == "Allow":
                if via := through_service(statement):
                    matched = {f"{a}@{via}" if a.startswith("kms:") else a for a in matched}
                allowed |= matched
            elif statement.get("Resource") in ("*", ["*"]) and not statement.get("Condition"):
                denied |= matched
    return allowed, denied


def _role_documents(ctx: AuditContext, name: str) -> list[Any]:
    docs = []
    for policy in ctx.call("iam", "list_role_policies", RoleName=name).get("PolicyNames", []):
        docs.append(ctx.call("iam", "get_role_policy", RoleName=name, PolicyName=policy)["PolicyDocument"])
    for attached in ctx.call("iam", "list_attached_role_policies", RoleName=name).get("AttachedPolicies", []):
        arn = attached["PolicyArn"]
        version = ctx.call("iam", "get_policy", PolicyArn=arn)["Policy"]["DefaultVersionId"]
        docs.append(
            ctx.call("iam", "get_policy_version", PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        )
    return docs


def _judge(ctx: AuditContext, arn: str, needed: frozenset[str], observed: dict[str, Any]) -> Verdict:
    if ":role/" not in arn:
        return unverifiable(f"{arn} is not a role: a user's group policies are not read; use a deployer role")
    name = arn.rsplit("/", 1)[-1]
    exists = ctx.call_or_none("iam", "get_role", ("NoSuchEntity", "NoSuchEntityException"), RoleName=name)
    if exists is None:
        return fail(f"the deployer role {name} does not exist in account {ctx.account}")
    allowed, denied = grants(_role_documents(ctx, name))
    denied |= {f"{a}@{service}" for a in denied for service in KEY_USE_SERVICES}
    effective = allowed - denied
    forbidden = sorted(a.lower() for a in DATA_ACTIONS if a.lower() in effective - needed)
    # Examples from the services the stack uses first: `s3:putbucketacl` says more than `a4b:approveskill`.
    used = {a.split(":")[0] for a in needed}
    excess = sorted(effective - needed, key=lambda a: (a.split(":")[0] not in used, a))
    observed.update({"allowed": len(effective), "forbidden": forbidden, "excess": len(excess)})
    problems = []
    if forbidden:
        problems.append(f"may {', '.join(forbidden[:SHOWN])}{' ...' if len(forbidden) > SHOWN else ''}")
    if excess:
        problems.append(
            f"holds {len(excess)} actions pulumi up of this stack never calls (e.g. {', '.join(excess[:SHOWN])})"
        )
    if problems:
        return fail(
            f"deployer role {name} " + "; ".join(problems) + "; attach what `glz deployer-policy` writes instead"
        )
    missing = len(needed - effective)
    return ok(
        f"deployer role {name}: {len(effective)} actions, all among the {len(needed)} `glz deployer-policy` grants"
        + (f" ({missing} of them not held)" if missing else "")
    )


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    state = ctx.state
    scope = scope_of_state(state) if state is not None else None
    if state is None or scope is None:
        return
    stack_urn = next((r.urn for r in state.resources if r.type == "pulumi:pulumi:Stack"), None)
    deployers = [str(a) for a in state.stack_outputs().get("deployerPrincipalArns") or [] if a]
    if not deployers:
        return
    try:
        needed: frozenset[str] | None = required_actions(documents(scope, state))
    except UnknownResourceTypesError as unknown:
        needed, reason = None, f"the state declares resource types glz does not know the API calls of: {unknown}"
    for arn in deployers:
        if needed is None:
            yield ctx.check(DEPLOYER, arn, stack_urn, {}, lambda observed: unverifiable(reason))
            continue
        yield ctx.check(
            DEPLOYER,
            arn,
            stack_urn,
            {"actions": len(needed)},
            lambda observed, arn=arn: _judge(ctx, arn, needed, observed),
        )
