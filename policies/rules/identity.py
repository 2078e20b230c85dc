"""Identity: who may assume each role, and what the stack's own policy documents grant, judged by meaning.

Trust statements are read in every form IAM accepts (`*`, `{"AWS": ["*"]}`, account ids, root ARNs, role,
user and assumed-role session ARNs, federated and web identities, NotPrincipal, NotAction); conditions are
evaluated (policies/access/conditions.py), so "requires an ExternalId" means "the statement cannot match a
request without the agreed ExternalId", not "some key of that name appears".
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.access import catalog
from policies.access import conditions as cond
from policies.access.actors import ACCOUNT, AN_UNKNOWN_ACCOUNT, Actor, account_of, external_values
from policies.access.document import Statement, statements
from policies.access.model import ASSUME_ACTIONS, model_of
from policies.framework import Requirements, StackView, View, resource_rule

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
# Object data and key use: what "data actions" means for GLZ-IAM-006.
DATA_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:RestoreObject",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:CreateGrant",
    "s3:ListBucket",
    "s3:ListBucketVersions",
)
SERVICE_ONLY = "Service"


_TRUST: dict[int, tuple[View, list[Statement]]] = {}


def trust_statements(role: View) -> list[Statement]:
    """The Allow statements of a role's trust policy that let someone assume it (parsed once per view:
    several rules ask of every role)."""
    entry = _TRUST.get(id(role))
    if entry is None or entry[0] is not role:
        if len(_TRUST) > 100_000:  # views of stacks checked earlier in this process
            _TRUST.clear()
        found = [s for s in statements(role.get("assumeRolePolicy"), "trust policy") if s.allow and _assumes(s)]
        entry = _TRUST[id(role)] = (role, found)
    return list(entry[1])


def _assumes(statement: Statement) -> bool:
    return any(statement.covers_action(a) for a in ASSUME_ACTIONS) or statement.covers_action("sts:TagSession")


def _holds_without(statement: Statement, **request: object) -> bool | None:
    """Could the statement's conditions on these keys (':' written '__') match a request carrying ``request``?
    Only the named keys are judged, so an unrelated unknown key does not hide the answer."""
    context = {k.replace("__", ":").lower(): v for k, v in request.items()}
    only = {
        operator: {key: values for key, values in body.items() if key.lower() in context}
        for operator, body in statement.conditions.items()
    }
    return cond.evaluate({op: body for op, body in only.items() if body}, context)


def instance_roles(stack: StackView) -> list[Actor]:
    """Roles EC2 instances assume (a Service principal ec2.* in their trust)."""
    model = model_of(stack)
    found = []
    for principal in model.principals.values():
        view = stack.by_urn.get(principal.actor.urn or "")
        if view is None or principal.actor.kind != "role":
            continue
        services = {p.value for st in trust_statements(view) for p in st.principals if p.kind == "Service"}
        if any(s.startswith("ec2.") for s in services):
            found.append(principal.actor)
    return found


def requires_external_id(statement: Statement) -> bool:
    return _holds_without(statement, sts__ExternalId=cond.MISSING) is False and (
        _holds_without(statement, sts__ExternalId="glz-guess-of-an-attacker") is not True
    )


def requires_mfa(statement: Statement) -> bool:
    return (
        _holds_without(statement, aws__MultiFactorAuthPresent=cond.MISSING) is False
        and _holds_without(statement, aws__MultiFactorAuthPresent="false") is False
    )


def _people(statement: Statement, stack: StackView) -> list[str]:
    """Principals of a trust statement that are people or other accounts (not AWS services, and not roles
    of this stack that only services assume)."""
    model = model_of(stack)
    found = []
    if statement.not_principals:
        return ["NotPrincipal (everyone except the named)"]
    for principal in statement.principals:
        if principal.kind == SERVICE_ONLY:
            continue
        own = model.principals.get(principal.value)
        if (
            own is not None
            and own.trust
            and all(p.kind == SERVICE_ONLY for s in own.trust for p in s.principals if s.allow)
        ):
            continue  # a workload role of this stack (job, service role) chaining into another
        found.append(f"{principal.kind}:{principal.value}" if principal.kind != "*" else "*")
    return found


@resource_rule(
    "GLZ-IAM-001",
    "trust-policy-no-wildcard-principal",
    ROLE,
    "critical",
    ACCESS,
    "Trust exactly the accounts or principals that need the role; never Principal '*', {'AWS': '*'}, an "
    "account wildcard or NotPrincipal.",
)
def no_wildcard_trust(resource: View, stack: StackView) -> Iterator[str]:
    """No role can be assumed by anyone: no principal form that admits accounts nobody named."""
    model = model_of(stack)
    role = model.principal(resource.urn)
    if role is None:
        return
    for stranger in (Actor(ACCOUNT, AN_UNKNOWN_ACCOUNT, AN_UNKNOWN_ACCOUNT),):
        decision = model.can_assume(stranger, role)
        if decision:
            yield f"any AWS account can assume the role ({', '.join(decision.because)})"


@resource_rule(
    "GLZ-IAM-002",
    "cross-account-trust-requires-external-id",
    ROLE,
    "critical",
    ACCESS,
    "Add Condition StringEquals sts:ExternalId to every statement trusting another account "
    "(CollaboratorAccess does this); federated and web identities cannot carry one: admit outside people "
    "through collaborator roles only.",
)
def external_id(resource: View, stack: StackView) -> Iterator[str]:
    """Every statement trusting principals outside the account (any form) requires the agreed sts:ExternalId."""
    for statement in trust_statements(resource):
        outside = _admits_outsiders(statement, stack)
        if not outside:
            continue
        federated = [v for v in outside if v.startswith(("Federated:", "CanonicalUser:"))]
        if federated:
            yield f"trust statement {statement.sid} admits {', '.join(federated)}: an identity provider's users, no ExternalId"
        elif not requires_external_id(statement):
            yield f"trust statement {statement.sid} admits {', '.join(outside)} without requiring the sts:ExternalId"


def _admits_outsiders(statement: Statement, stack: StackView) -> list[str]:
    """Principal values of a trust statement that reach outside the account, unless its conditions already
    keep every outsider out (e.g. '*' pinned to this account with aws:PrincipalAccount)."""
    outside = external_values(statement, stack.account_id)
    if not outside:
        return []
    model = model_of(stack)
    context_free = [s for s in outside if s.startswith(("Federated:", "CanonicalUser:"))]
    for actor in model.external_actors():
        if cond.evaluate(statement.conditions, model.context_of(actor)) is not False:
            return outside
    return context_free


@resource_rule(
    "GLZ-IAM-003",
    "human-role-trust-requires-mfa",
    ROLE,
    "high",
    AUTHN,
    "Add Condition Bool aws:MultiFactorAuthPresent true to trust statements for people (requireMfa in the "
    "collaborator or operator settings).",
)
def mfa(resource: View, stack: StackView) -> Iterator[str]:
    """Roles assumed by people or other accounts require MFA in every trust statement that admits them. A
    collaborator declared a workload (its grant's principalKind) cannot present MFA; its statements must admit
    only named roles and only from restricted source addresses instead."""
    # requireMfa: false on a people collaborator is an explicit weakening: it fails here and needs a suppression.
    workload = workload_collaborator(resource, stack)
    for statement in trust_statements(resource):
        people = _people(statement, stack)
        if not people or requires_mfa(statement):
            continue
        if workload and all(":role/" in p for p in people) and requires_source_network(statement):
            continue
        yield f"trust statement {statement.sid} admits {', '.join(people)} without MFA"


# Addresses across the IPv4 space: a statement that admits none of them admits only the ranges it names.
SOURCE_PROBES = ("1.2.3.4", "8.8.8.8", "100.64.0.1", "192.0.2.77", "203.0.113.250", "223.255.255.1")


def requires_source_network(statement: Statement) -> bool:
    """Does the statement fail for a request without aws:SourceIp and for addresses across the internet?"""
    return _holds_without(statement, aws__SourceIp=cond.MISSING) is False and all(
        _holds_without(statement, aws__SourceIp=ip) is False for ip in SOURCE_PROBES
    )


def _collaborators_by_arn(stack: StackView) -> dict[str, str]:
    roles = stack.outputs.get("collaboratorRoles") or {}
    found: dict[str, str] = {}
    if isinstance(roles, dict):
        for name, arn in roles.items():
            found.setdefault(str(arn), name)
    return found


def collaborator_by_arn(stack: StackView) -> dict[str, str]:
    """Role ARN -> collaborator name from the stack outputs (the first name for an ARN, as a scan would find):
    one index per view, not a scan of the outputs per role."""
    return stack.memo("collaborator by role ARN", _collaborators_by_arn)


def workload_collaborator(resource: View, stack: StackView) -> bool:
    grants = stack.outputs.get("collaboratorGrants") or {}
    name = collaborator_by_arn(stack).get(str(resource.get("arn") or ""))
    grant = grants.get(name) if isinstance(grants, dict) and name else None
    return isinstance(grant, dict) and grant.get("principalKind") == "workload"


@resource_rule(
    "GLZ-IAM-004",
    "cross-account-trust-limited-to-collaborator",
    ROLE,
    "high",
    ACCESS,
    "Trust only the collaborator's account (or principals in it) named in the settings.",
)
def one_account(resource: View, stack: StackView) -> Iterator[str]:
    """A role is trusted by at most one other account, in whatever form its principals are written."""
    accounts: set[str] = set()
    for statement in trust_statements(resource):
        for value in external_values(statement, stack.account_id):
            account = account_of(value.removeprefix("AWS:"))
            accounts.add(account or value)
    if len(accounts) > 1:
        yield f"role is trusted by several accounts or open principals: {', '.join(sorted(accounts))}"
    expected = resource.tags.get("CollaboratorAccount")
    if expected and accounts and accounts != {expected}:
        yield f"role is trusted by {', '.join(sorted(accounts))}, not the collaborator's account {expected}"


def written_documents(resource: View) -> list[Statement]:
    """The identity policy documents a resource writes: its `policy`, or a role's inline policies."""
    if resource.type == ROLE[0]:
        found = []
        for inline in resource.get("inlinePolicies") or []:
            if isinstance(inline, dict):
                found += statements(inline.get("policy"), f"inline policy {inline.get('name', '?')}")
        return found
    return statements(resource.get("policy"))


@resource_rule(
    "GLZ-IAM-005",
    "no-wildcard-actions",
    (*POLICIES, *ROLE),
    "critical",
    LEAST_PRIVILEGE,
    "Name the actions the principal needs; never a pattern that grants a whole service ('*', 's3:*', "
    "'s?:*') and never Allow with NotAction.",
)
def no_wildcard_actions(resource: View, stack: StackView) -> Iterator[str]:
    """IAM policies name their actions: no pattern granting every action of a service, no NotAction allow."""
    for statement in written_documents(resource):
        if not statement.allow:
            continue
        if statement.not_actions:
            yield f"statement {statement.sid} allows everything except {', '.join(statement.not_actions)} (NotAction)"
            continue
        for action in statement.actions:
            services = catalog.whole_services(action)
            if services:
                shown = f"every action of {len(services)} services" if len(services) > 3 else ", ".join(services)
                yield f"statement {statement.sid} allows {action} ({shown})"


def _outside_probes(stack: StackView) -> dict[str, str]:
    """Resources that are certainly not the stack's: a statement covering them is not scoped to it."""
    region = model_of(stack).region
    account = stack.account_id or "111111111111"
    return {
        "s3": "arn:aws:s3:::glz-probe-bucket-outside-the-stack/any-object",
        "s3-bucket": "arn:aws:s3:::glz-probe-bucket-outside-the-stack",
        "kms": f"arn:aws:kms:{region}:{account}:key/00000000-0000-0000-0000-glzprobe0000",
    }


def _probe_for(action: str, probes: dict[str, str]) -> str:
    if action.startswith("s3:List"):
        return probes["s3-bucket"]
    return probes[action.split(":")[0]]


@resource_rule(
    "GLZ-IAM-006",
    "no-data-actions-on-every-resource",
    (*POLICIES, *ROLE),
    "high",
    LEAST_PRIVILEGE,
    "Scope S3 object and KMS key actions to the stack's named buckets, prefixes and keys (no '*', "
    "'arn:aws:s3:::*', '*/*' or NotResource).",
)
def scoped_resources(resource: View, stack: StackView) -> Iterator[str]:
    """Data actions (S3 objects and listings, KMS key use) reach only named resources: the statement must not cover a
    bucket or key outside the stack, whatever wildcard form or NotResource it uses."""
    probes = _outside_probes(stack)
    for statement in written_documents(resource):
        if not statement.allow:
            continue
        risky = sorted({a for a in DATA_ACTIONS if statement.covers_action(a)})
        reached = [a for a in risky if statement.covers_resource(_probe_for(a, probes))]
        if reached:
            yield f"statement {statement.sid} allows {', '.join(reached)} on resources outside the stack"


def _boundary_leaks(boundary: list[Statement], stack: StackView) -> list[str]:
    probes = _outside_probes(stack)
    account = stack.account_id or "111111111111"
    asks = [
        ("s3:GetObject", probes["s3"]),
        ("s3:PutObject", probes["s3"]),
        ("kms:Decrypt", probes["kms"]),
        ("iam:PassRole", f"arn:aws:iam::{account}:role/glz-probe-any-role"),
        ("iam:CreateAccessKey", f"arn:aws:iam::{account}:user/glz-probe-any-user"),
        ("sts:AssumeRole", f"arn:aws:iam::{account}:role/glz-probe-any-role"),
        ("cloudtrail:StopLogging", "*"),
        ("ec2:RunInstances", "*"),
    ]
    leaks = []
    for action, arn in asks:
        allowed = [s for s in boundary if s.allow and s.covers_action(action) and s.covers_resource(arn)]
        denied = [s for s in boundary if s.deny and s.covers_action(action) and s.covers_resource(arn)]
        if allowed and not denied:
            leaks.append(action)
    return leaks


@resource_rule(
    "GLZ-IAM-007",
    "collaborator-role-has-permissions-boundary",
    ROLE,
    "medium",
    LEAST_PRIVILEGE,
    "Attach the landing zone's permissions boundary (the collaborator's tiers only) to every role another "
    "account can assume; an AWS managed or allow-all policy is not a boundary.",
)
def boundary(resource: View, stack: StackView) -> Iterator[str]:
    """Roles other accounts assume carry a permissions boundary that really caps them to the stack's data."""
    model = model_of(stack)
    role = model.principal(resource.urn)
    cross = any(external_values(s, stack.account_id) for s in trust_statements(resource))
    if role is None or not (cross or "Collaborator" in resource.tags):
        return
    if role.boundary is None:
        yield "role assumed from another account has no permissions boundary"
        return
    if not role.boundary and role.unresolved:
        yield f"permissions boundary {resource.get('permissionsBoundary')} is not a policy the gate can read"
        return
    leaks = _boundary_leaks(role.boundary, stack)
    if leaks:
        yield f"permissions boundary {resource.get('permissionsBoundary')} does not cap {', '.join(leaks)}"


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
