"""One of each account-level singleton per account and region: a service the stack leaves to the organization
(accountServices: organization, the organizationServices output) must not also be created by it, or
`pulumi up` fails on the second GuardDuty detector or Config recorder, or silently replaces the
organization's password policy, EBS default key or public access block."""

from __future__ import annotations

from collections.abc import Iterator

from policies.framework import Requirements, StackView, Violation, stack_rule
from policies.rules.account import SERVICE_OF_TYPE, organization_held


@stack_rule(
    "GLZ-ACC-012",
    "organization-services-not-created",
    "high",
    Requirements(r2=("3.4.1", "3.4.2"), r3=("03.04.01", "03.04.02"), hipaa=("164.308(a)(1)(ii)(D)",)),
    "Remove the resource, or set accountServices.<service> to create or adopt in Pulumi.<stack>.yaml.",
)
def organization_services_not_created(stack: StackView) -> Iterator[Violation]:
    """The stack creates no singleton of a service it declares held by the organization."""
    for typ, service in SERVICE_OF_TYPE.items():
        if not organization_held(stack, service):
            continue
        for resource in stack.of_type(typ):
            yield Violation(
                resource.urn,
                f"{resource.name} creates {service}, which the stack declares held by the organization "
                "(organizationServices): the account would get a second one, or the organization's would be replaced",
            )
