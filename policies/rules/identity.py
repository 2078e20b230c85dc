"""Identity: cross-account trust (account, ExternalId, MFA), no wildcard principals or actions."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies.framework import (
    Requirements,
    StackView,
    View,
    as_list,
    condition_values,
    names_anyone,
    principals,
    resource_rule,
    statements,
)

ROLE = ("aws:iam/role:Role",)
POLICIES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ACCESS = Requirements(
    r2=("3.1.1", "3.1.2"), r3=("03.01.01", "03.01.02"), hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)")
)
AUTHN = Requirements(r2=("3.5.3", "3.5.2"), r3=("03.05.03",), hipaa=("164.312(d)",))
LEAST_PRIVILEGE = Requirements(
    r2=("3.1.5", "3.1.7"), r3=("03.01.05", "03.01.07"), hipaa=("164.308(a)(3)(ii)(A)", "164.308(a)(4)(ii)(B)")
)
ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):")


def _trust(role: View) -> list[dict]:
    return [s for s in statements(role.json("assumeRolePolicy")) if s.get("Effect") == "Allow"]


def _external_accounts(statement: dict, own: str | None) -> set[str]:
    accounts = set()
    for principal in principals(statement):
        kind, _, value = principal.partition(":")
        if kind != "AWS":
            continue
        match = ACCOUNT_IN_ARN.match(value)
        account = match.group(1) if match else value if value.isdigit() else None
        if account and account != own:
            accounts.add(account)
    return accounts


@resource_rule(
    "GLZ-IAM-001",
    "trust-policy-no-wildcard-principal",
    ROLE,
    "critical",
    ACCESS,
    "Trust exactly the accounts or principals that need the role; never Principal '*'.",
)
def no_wildcard_trust(resource: View, stack: StackView) -> Iterator[str]:
    """No role can be assumed by anyone ('*')."""
    for statement in _trust(resource):
        if names_anyone(statement):
            yield f"trust statement {statement.get('Sid', '?')} admits Principal '*'"


@resource_rule(
    "GLZ-IAM-002",
    "cross-account-trust-requires-external-id",
    ROLE,
    "critical",
    ACCESS,
    "Add Condition StringEquals sts:ExternalId to cross-account trust statements (CollaboratorAccess does this).",
)
def external_id(resource: View, stack: StackView) -> Iterator[str]:
    """Roles trusted by other accounts require the agreed sts:ExternalId (confused-deputy protection)."""
    for statement in _trust(resource):
        if _external_accounts(statement, stack.account_id) and not condition_values(
            statement, "StringEquals", "sts:ExternalId"
        ):
            yield "cross-account trust without an sts:ExternalId condition"


@resource_rule(
    "GLZ-IAM-003",
    "human-role-trust-requires-mfa",
    ROLE,
    "high",
    AUTHN,
    "Add Condition Bool aws:MultiFactorAuthPresent true to trust statements for people.",
)
def mfa(resource: View, stack: StackView) -> Iterator[str]:
    """Roles assumed by people (collaborators, operators) require MFA."""
    # requireMfa: false on a collaborator is an explicit weakening: it fails here and needs a suppression.
    human = "OperatorRole" in resource.tags or "Collaborator" in resource.tags
    for statement in _trust(resource):
        cross = _external_accounts(statement, stack.account_id)
        if (human or cross) and [
            v for v in condition_values(statement, "Bool", "aws:MultiFactorAuthPresent") if str(v).lower() == "true"
        ] == []:
            yield "trust statement does not require MFA"


@resource_rule(
    "GLZ-IAM-004",
    "cross-account-trust-limited-to-collaborator",
    ROLE,
    "high",
    ACCESS,
    "Trust only the collaborator's account (or principals in it) named in the settings.",
)
def one_account(resource: View, stack: StackView) -> Iterator[str]:
    """A collaborator role is trusted by exactly one other account."""
    accounts = set()
    for statement in _trust(resource):
        accounts |= _external_accounts(statement, stack.account_id)
    if len(accounts) > 1:
        yield f"role is trusted by several accounts: {', '.join(sorted(accounts))}"
    expected = resource.tags.get("CollaboratorAccount")
    if expected and accounts and accounts != {expected}:
        yield f"role is trusted by {', '.join(sorted(accounts))}, not the collaborator's account {expected}"


def _allow_statements(view: View) -> list[dict]:
    return [s for s in statements(view.json("policy")) if s.get("Effect") == "Allow"]


@resource_rule(
    "GLZ-IAM-005",
    "no-wildcard-actions",
    POLICIES,
    "critical",
    LEAST_PRIVILEGE,
    "Name the actions the principal needs; never '*' or '<service>:*'.",
)
def no_wildcard_actions(resource: View, stack: StackView) -> Iterator[str]:
    """IAM policies name their actions: no '*' and no '<service>:*'."""
    for statement in _allow_statements(resource):
        for action in as_list(statement.get("Action")):
            if action == "*" or str(action).endswith(":*"):
                yield f"statement {statement.get('Sid', '?')} allows {action}"
        if statement.get("NotAction"):
            yield f"statement {statement.get('Sid', '?')} uses NotAction with Allow"


@resource_rule(
    "GLZ-IAM-006",
    "no-data-actions-on-every-resource",
    POLICIES,
    "high",
    LEAST_PRIVILEGE,
    "Scope S3 and KMS data actions to named buckets and keys.",
)
def scoped_resources(resource: View, stack: StackView) -> Iterator[str]:
    """Data actions (S3 objects, KMS decrypt) are scoped to named resources, not Resource '*'."""
    for statement in _allow_statements(resource):
        if "*" not in as_list(statement.get("Resource")):
            continue
        risky = [
            a
            for a in as_list(statement.get("Action"))
            if str(a).startswith(("s3:", "kms:Decrypt", "kms:GenerateDataKey"))
        ]
        if risky:
            yield f"statement {statement.get('Sid', '?')} allows {', '.join(risky)} on Resource '*'"


@resource_rule(
    "GLZ-IAM-007",
    "collaborator-role-has-permissions-boundary",
    ROLE,
    "medium",
    LEAST_PRIVILEGE,
    "Attach the landing zone's permissions boundary to every collaborator role.",
)
def boundary(resource: View, stack: StackView) -> Iterator[str]:
    """Collaborator roles carry a permissions boundary capping what any attached policy can grant."""
    if "Collaborator" in resource.tags and not resource.get("permissionsBoundary"):
        yield "collaborator role has no permissions boundary"


@resource_rule(
    "GLZ-IAM-008",
    "role-session-duration-bounded",
    ROLE,
    "low",
    Requirements(r2=("3.1.11",), r3=("03.01.11",), hipaa=("164.312(a)(2)(iii)",)),
    "Keep max_session_duration at 1 hour (12 hours at most).",
)
def session(resource: View, stack: StackView) -> Iterator[str]:
    """Role sessions end within 12 hours; people's sessions default to one hour."""
    duration = resource.get("maxSessionDuration")
    if duration is not None and float(duration) > 43200:
        yield f"max session duration {duration} s exceeds 12 hours"
