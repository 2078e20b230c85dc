"""AWS Support during an incident: a role people assume to work cases with AWS without administrator rights.

CIS AWS Foundations 1.17 asks for a role with AWSSupportAccess; judged by meaning here: some operator role (people
of this account, with MFA) other than the administrator and break-glass can open, answer and resolve Support cases,
however the permission is granted (AWS managed policy, inline or customer managed policy).
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.access.model import model_of
from policies.framework import Requirements, StackView, Violation, stack_rule
from policies.rules.data_access import is_break_glass, is_operator

CASE_ACTIONS = ("support:CreateCase", "support:AddCommunicationToCase", "support:DescribeCases", "support:ResolveCase")
"""What working a case takes (Service Authorization Reference, AWS Support); Support actions take Resource '*'."""


def support_roles(stack: StackView) -> list[str]:
    """Operator roles, neither the declared administrator nor break-glass, that may perform every case action."""
    model = model_of(stack)
    admin = stack.outputs.get("adminRoleArn")
    found = []
    for principal in model.principals.values():
        if not is_operator(stack, principal) or is_break_glass(stack, principal) or principal.actor.name == admin:
            continue
        if all(model.decide(principal.actor, action, "*").allowed for action in CASE_ACTIONS):
            found.append(principal.actor.name)
    return sorted(found)


@stack_rule(
    "GLZ-IAM-019",
    "aws-support-role",
    "low",
    Requirements(r2=("3.6.1", "3.6.2"), r3=("03.06.02",), hipaa=("164.308(a)(6)(ii)",)),
    "Keep the AWS Support operator role (components/access.OperatorRoles, supportPrincipalArns): people of this "
    "account, with MFA, can create, answer, read and resolve AWS Support cases (AWSSupportAccess) without being "
    "the administrator.",
)
def support_role(stack: StackView) -> Iterator[Violation]:
    """Incidents can be reported to and worked with AWS by people who are not administrators."""
    if not support_roles(stack):
        yield Violation(
            stack.anchor,
            "no operator role other than the administrator and break-glass can work AWS Support cases "
            f"({', '.join(CASE_ACTIONS)})",
        )
