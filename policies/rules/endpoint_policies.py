"""Interface VPC endpoints admit only this account's principals (issue 19's Prowler finding: the endpoints had no
policy, so any principal of any account could use the VPC's private path to AWS APIs, e.g. to write data into
another account's log group, queue or KMS-encrypted object).

Judged by meaning: every statement in force (the endpoint's policy or a VpcEndpointPolicy resource that replaces
it) is evaluated for a principal of another account (policies/access/conditions.py), so a wildcard, a NotPrincipal,
a second open statement or a condition naming another account all count the same.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.access import conditions as cond
from policies.access.document import statements as normalized
from policies.framework import Requirements, StackView, View, resource_rule
from policies.rules.network import endpoint_policies_in_force

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
POLICY_SERVICES = ("kms", "sts", "logs", "monitoring", "ecr.api", "ecr.dkr", "ec2", "batch", "ecs")
"""Interface endpoint services documented to take an endpoint policy (components/network_policies.POLICY_SERVICES;
the policy pack does not import the components, a test keeps the two equal)."""
OUTSIDER = "999999999999"
FLOW = Requirements(r2=("3.13.1", "3.1.3"), r3=("03.13.01", "03.01.03"), hipaa=("164.312(e)(1)",))


def service_of(endpoint: View) -> str:
    """com.amazonaws.<region>.<service> -> <service> (ecr.api keeps its dot)."""
    return str(endpoint.get("serviceName") or "").split(".", 3)[-1]


def _context(account: str) -> dict[str, object]:
    return {
        "aws:principalaccount": account,
        "aws:principalarn": f"arn:aws:iam::{account}:role/stolen",
        "aws:principalisawsservice": "false",
        "aws:principalorgid": "o-outsider0000",
        "aws:sourceaccount": cond.MISSING,
    }


def _names(principal, account: str) -> bool:
    value = principal.value
    return principal.anyone or value == account or f":{account}:" in value


def outsider_admitted(document: object, account: str | None) -> list[str]:
    """The statements of ``document`` through which a principal of another account gets in (as labels): a
    principal of an account nobody named, and of each other account a statement names."""
    statements = normalized(document)
    named = {
        p.value.split(":")[4] if p.value.startswith("arn:") else p.value
        for s in statements
        for p in s.principals
        if not p.anyone and (p.value.startswith("arn:") or p.value.isdigit())
    }
    outsiders = sorted({OUTSIDER, *named} - {account or ""})
    admitted = []
    for outsider in outsiders:
        context = _context(outsider)
        denied = any(
            s.deny and any(_names(p, outsider) for p in s.principals) and cond.evaluate(s.conditions, context) is True
            for s in statements
        )
        if denied:
            continue
        admitted += [
            s.sid
            for s in statements
            if s.allow
            and (s.not_principals or any(_names(p, outsider) for p in s.principals))
            and cond.evaluate(s.conditions, context) is not False
        ]
    return sorted(set(admitted))


@resource_rule(
    "GLZ-NET-014",
    "interface-endpoints-this-account-only",
    (ENDPOINT,),
    "high",
    FLOW,
    "Give interface endpoints of services that take a policy the policy of components/network_policies."
    "interface_endpoint_policy (aws:PrincipalAccount = this account, and AWS services on their own).",
)
def interface_endpoints_own_account(resource: View, stack: StackView) -> Iterator[str]:
    """A principal of another account cannot use the VPC's interface endpoints."""
    if resource.get("vpcEndpointType") != "Interface" or service_of(resource) not in POLICY_SERVICES:
        return
    for holder, document in endpoint_policies_in_force(stack, resource):
        if not normalized(document):
            yield f"{service_of(resource)} endpoint has no policy: AWS's default admits any principal of any account"
            continue
        admitted = outsider_admitted(document, stack.account_id)
        if admitted:
            where = "" if holder is resource else f" (policy {holder.name})"
            yield f"{service_of(resource)} endpoint admits principals of other accounts through {', '.join(admitted)}{where}"
