"""Matrix probes that read the access model (policies/access), the same model the gate's rules ask.

Each probe answers what the stack allows (who outside can reach which tier, who can silence the audit
plane, whom each role trusts and whether the guard conditions hold) rather than whether a key of the right
name appears, so a sentence in the matrix changes when the permission changes, however it was written.
The registry at the bottom (``ACCESS_PROBES``) replaces the form-based probes of the same names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glz import deployer_policy
from glz.gate import stack_view
from glz.state import Resource, StackState
from policies.access import catalog
from policies.access.model import AccessModel, model_of
from policies.framework import StackView
from policies.rules import data_access, guardrails, identity, sessions, storage
from policies.rules import s3_support as s3

Outcome = tuple[bool, str, list[Resource], dict[str, str]]


def _model(state: StackState) -> AccessModel:
    return model_of(stack_view(state))


def _resources(state: StackState, urns: list[str]) -> list[Resource]:
    return [state.by_urn[u] for u in urns if u in state.by_urn]


def _names(items: list[str]) -> str:
    return ", ".join(sorted(items)) or "none"


def _role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _violations(view: StackView, *rules) -> list[Any]:
    return [v for rule in rules for _, found in rule.evaluate(view) for v in found]


def bucket_tls_only(state: StackState) -> Outcome:
    view = stack_view(state)
    failing = {v.urn for v in _violations(view, storage.tls_only)}
    buckets = view.of_type(s3.BUCKET)
    good = [b for b in buckets if b.urn not in failing]
    missing = [s3.bucket_name(b) for b in buckets if b.urn in failing]
    what = (
        "The bucket policy refuses requests without TLS or over TLS below 1.2 from every principal (this "
        "account's, other accounts', anonymous)"
    )
    summary = (
        f"{what} on all {len(buckets)} buckets."
        if not missing
        else f"{what} on {len(good)} of {len(buckets)} buckets; not on {_names(missing)}."
    )
    return bool(buckets) and not missing, summary, _resources(state, [b.urn for b in good]), {}


def bucket_endpoint_only(state: StackState) -> Outcome:
    view = stack_view(state)
    data = s3.data_buckets(view)
    failing = {v.urn for v in _violations(view, storage.vpc_endpoint_only)}
    good = [b for b in data if b.urn not in failing]
    exempt: set[str] = set()
    model = _model(state)
    outside = {"aws:securetransport": "true", "aws:viaawsservice": "false", "aws:sourcevpce": "vpce-0glzprobe"}
    for bucket in good:
        arn = f"arn:aws:s3:::{s3.bucket_name(bucket)}/glz-probe/object"
        for actor in model.stack_actors():
            if not model.resource_denies(actor, "s3:GetObject", arn, outside):
                exempt.add(_role_name(actor.name))
    what = (
        "Requests that do not arrive through the VPC's S3 gateway endpoint are refused for every principal "
        "but the named exceptions"
    )
    missing = [s3.bucket_name(b) for b in data if b.urn in failing]
    summary = (
        f"{what} on all {len(data)} data buckets."
        if not missing
        else f"{what} on {len(good)} of {len(data)} data buckets; not on {_names(missing)}."
    )
    return bool(data) and not missing, summary, _resources(state, [b.urn for b in good]), {"exempt": _names(exempt)}


def _collaborators(view: StackView, model: AccessModel) -> list[Any]:
    """Collaborator roles: declared in the collaboratorRoles output, else every role another account trusts."""
    declared = view.outputs.get("collaboratorRoles")
    if isinstance(declared, dict):
        return [model.principals[str(a)] for a in declared.values() if str(a) in model.principals]
    return [
        p
        for p in model.principals.values()
        if any(
            identity.external_values(s, view.account_id) for s in identity.trust_statements(view.by_urn[p.actor.urn])
        )
    ]


def collaborator_roles(state: StackState) -> Outcome:
    view, model = stack_view(state), _model(state)
    roles = _collaborators(view, model)
    accounts, guarded, reach = set(), [], []
    for role in roles:
        trust = identity.trust_statements(view.by_urn[role.actor.urn])
        outside = [s for s in trust if identity.external_values(s, view.account_id)]
        for statement in outside:
            for value in identity.external_values(statement, view.account_id):
                accounts.add(identity.account_of(value.removeprefix("AWS:")) or value)
        # people with MFA; a declared workload collaborator with its source addresses instead (GLZ-IAM-003)
        workload = identity.workload_collaborator(view.by_urn[role.actor.urn], view)
        if outside and all(
            identity.requires_external_id(s)
            and (identity.requires_mfa(s) or (workload and identity.requires_source_network(s)))
            for s in outside
        ):
            guarded.append(role)
        tiers = sorted(
            s3.tier_of(b)
            for b in s3.data_buckets(view)
            if any(
                model.decide(role.actor, "s3:GetObject", arn, data_access.DIRECT | {data_access.RUN_TAG_KEY: run})
                for arn in model.object_probes(role.actor, s3.bucket_name(b))
                for run in _runs(view, role.actor.name)
            )
        )
        reach.append(f"{_role_name(role.actor.name)} reads {', '.join(tiers) or 'no tier'}")
    sessions = _names([str(view.by_urn[r.actor.urn].get("maxSessionDuration") or 3600) for r in roles])
    gaps = _violations(view, data_access.collaborator_reach, data_access.outside_paths)
    summary = (
        f"{len(roles)} collaborator roles trust only the partner accounts {_names(list(accounts))}; "
        f"{len(guarded)} require the ExternalId and MFA (a workload role: its source addresses) in every "
        "statement admitting them; by the access model "
        f"{'; '.join(reach)}; "
        + (
            "each reaches exactly its granted tiers, prefixes and runs"
            if not gaps
            else f"{len(gaps)} reach beyond their grant"
        )
        + f"; maximum session {sessions} seconds."
        if roles
        else "No collaborator roles: no external party has access."
    )
    satisfied = len(guarded) == len(roles) and not gaps
    return (
        satisfied,
        summary,
        _resources(state, [r.actor.urn for r in roles]),
        {
            "accounts": _names(list(accounts)),
            "max_session": sessions,
        },
    )


def _runs(view: StackView, role_arn: str) -> list[str]:
    grant = (view.outputs.get("collaboratorGrants") or {}).get(identity.collaborator_by_arn(view).get(role_arn, ""), {})
    return list(grant.get("runTags") or []) or ["glz-probe-run"]


def permission_boundaries(state: StackState) -> Outcome:
    view, model = stack_view(state), _model(state)
    roles = _collaborators(view, model)
    failing = {v.urn for v in _violations(view, identity.boundary)}
    bounded = [r for r in roles if r.boundary is not None and r.actor.urn not in failing]
    summary = (
        f"{len(bounded)} of {len(roles)} collaborator roles have a permissions boundary that caps them to the "
        "stack's data (checked by evaluating it against buckets, keys and IAM actions outside their grant)."
        if roles
        else "No collaborator roles, so no external party needs bounding."
    )
    return len(bounded) == len(roles), summary, _resources(state, [r.actor.urn for r in bounded]), {}


def duration(seconds: int) -> str:
    """Seconds as a matrix sentence says them: 3600 -> 'one hour', 5400 -> '90 minutes', 7200 -> '2 hours'."""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "one hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


IAM_DEFAULT_SESSION_SECONDS = 3600
"""A role without MaxSessionDuration issues sessions of at most one hour (IAM API Reference, CreateRole)."""


def _session_limits(view: StackView, operators: list[Any]) -> tuple[str, str]:
    """The longest session an operator role issues, and the oldest MFA sign-in its trust accepts."""
    sessions, ages = [], []
    for principal in operators:
        role = view.by_urn[principal.actor.urn]
        sessions.append(int(role.get("maxSessionDuration") or IAM_DEFAULT_SESSION_SECONDS))
        for statement in identity.trust_statements(role):
            limits = [
                int(float(value))
                for operator, pairs in statement.conditions.items()
                if operator.startswith("NumericLessThan")
                for key, values in pairs.items()
                if key.lower() == "aws:multifactorauthage"
                for value in values
            ]
            ages.append(max(limits) if limits else None)
    session = duration(max(sessions)) if sessions else "none"
    age = "unbounded" if not ages or None in ages else duration(max(a for a in ages if a is not None))
    return session, age


def operator_roles(state: StackState) -> Outcome:
    view, model = stack_view(state), _model(state)
    outputs = view.outputs
    operators = [p for p in model.principals.values() if data_access.is_operator(view, p)]
    tamper = _violations(view, data_access.audit_plane)
    escalate = _violations(view, data_access.escalation)
    checked = sum(len(a) for a in data_access.audit_plane_actions().values())
    admin = outputs.get("adminRoleArn")
    summary = (
        f"Operator roles {_names([_role_name(p.actor.name) for p in operators])} are assumed only by people of "
        f"this account with MFA; the administrator is {_role_name(str(admin)) if admin else 'not declared'}. "
        + (
            f"By the access model no role of the stack can stop, delete or redirect any part of the audit plane "
            f"({checked} actions checked, the administrator included)"
            if not tamper
            else f"{len(tamper)} roles CAN tamper with the audit plane"
        )
        + (
            "; only the administrator can change IAM."
            if not escalate
            else f"; {len(escalate)} roles other than the administrator can change IAM."
        )
        if operators
        else "No operator roles."
    )
    kinds = {str(view.by_urn[p.actor.urn].tags.get("OperatorRole")) for p in operators}
    session, mfa_age = _session_limits(view, operators)
    return (
        bool(operators) and not tamper and not escalate and len(kinds) >= 2,
        summary,
        _resources(state, [p.actor.urn for p in operators]),
        {"session_limit": session, "mfa_age": mfa_age},
    )


def support_role(state: StackState) -> Outcome:
    """Operator roles other than the administrator and break-glass that can work AWS Support cases (GLZ-IAM-019)."""
    from policies.rules.support import support_roles

    view = stack_view(state)
    found = support_roles(view)
    urns = [p.actor.urn for p in _model(state).principals.values() if p.actor.name in found and p.actor.urn]
    summary = (
        f"Incidents can be reported to and worked with AWS Support by {_names([_role_name(a) for a in found])}, "
        "which people of this account assume with MFA and which is not the administrator."
        if found
        else "No role short of administrator can open AWS Support cases."
    )
    return bool(found), summary, _resources(state, urns), {"roles": _names([_role_name(a) for a in found])}


def mfa_required(state: StackState) -> Outcome:
    """Roles people or other accounts assume: MFA in every admitting trust statement; a collaborator declared a
    workload (principalKind) instead admits only named roles from restricted source addresses (GLZ-IAM-003)."""
    view, model = stack_view(state), _model(state)
    people, workloads = [], []
    for principal in model.principals.values():
        role = view.by_urn[principal.actor.urn]
        trust = identity.trust_statements(role) if principal.actor.kind == "role" else []
        admitting = [s for s in trust if identity._people(s, view)]
        if not admitting:
            continue
        if identity.workload_collaborator(role, view):
            held = all(identity.requires_mfa(s) or identity.requires_source_network(s) for s in admitting) and all(
                ":role/" in p for s in admitting for p in identity._people(s, view)
            )
            workloads.append((principal, held))
        else:
            people.append((principal, all(identity.requires_mfa(s) for s in admitting)))
    with_mfa = [p for p, ok in people if ok]
    held = [p for p, ok in workloads if ok]
    summary = (
        f"{len(with_mfa)} of {len(people)} roles that people or other accounts assume cannot be assumed without MFA "
        "(every trust statement admitting them evaluates false without it)"
        + (
            f"; {len(held)} of {len(workloads)} workload collaborator roles admit only the partner's named roles "
            "from its source addresses (a role session cannot present MFA)"
            if workloads
            else ""
        )
        + "."
        if people or workloads
        else "No human-assumable roles in the stack."
    )
    everyone = people + workloads
    return (
        bool(everyone) and len(with_mfa) == len(people) and len(held) == len(workloads),
        summary,
        _resources(state, [p.actor.urn for p, _ in everyone]),
        {},
    )


def least_privilege_jobs(state: StackState) -> Outcome:
    view, model = stack_view(state), _model(state)
    roles = data_access.workload_roles(view, model)
    wildcard = [
        _role_name(r.actor.name)
        for r in roles
        for s in r.identity
        if s.allow and (s.not_actions or any(catalog.whole_services(a) for a in s.actions))
    ]
    reach = []
    for role in roles:
        reads = _tiers_with(view, model, role, "s3:GetObject")
        writes = _tiers_with(view, model, role, "s3:PutObject")
        if reads or writes:
            reach.append(f"{_role_name(role.actor.name)} reads {reads or 'nothing'}, writes {writes or 'nothing'}")
    harmful = _violations(view, data_access.compute_reach)
    summary = (
        f"{len(roles)} compute roles; by the access model {'; '.join(reach) or 'none reaches a data tier'}"
        f"{'; whole-service grants in ' + _names(wildcard) if wildcard else '; no whole-service grants'}"
        f"{'; ' + str(len(harmful)) + ' can destroy data, read logs or write outside the stack' if harmful else ''}."
        if roles
        else "No compute roles."
    )
    return bool(roles) and not wildcard and not harmful, summary, _resources(state, [r.actor.urn for r in roles]), {}


def _tiers_with(view: StackView, model: AccessModel, role, action: str) -> str:
    tiers = [
        s3.tier_of(b)
        for b in s3.data_buckets(view)
        if model.decide(role.actor, action, f"arn:aws:s3:::{s3.bucket_name(b)}/glz-probe/object", data_access.DIRECT)
    ]
    return ", ".join(sorted(tiers))


def outside_access(state: StackState) -> Outcome:
    view, model = stack_view(state), _model(state)
    problems = _violations(view, data_access.outside_paths, data_access.resource_policies_closed)
    problems += _violations(view, storage.no_public_grants)
    outsiders = [a for a in model.external_actors() if a.kind == "account" and a.name != "000000000000"]
    summary = (
        f"By the access model, nobody outside account {view.account_id} reaches a data tier, key or resource "
        f"policy except through collaborator roles that require the ExternalId and MFA (accounts named: "
        f"{_names([a.name for a in outsiders])})."
        if not problems
        else f"{len(problems)} paths from outside the account reach the stack's data or resources directly or "
        "through roles without ExternalId and MFA."
    )
    return not problems, summary, [], {"accounts": _names([a.name for a in outsiders])}


def data_guardrails(state: StackState) -> Outcome:
    """Who reads each tier, by the access model, and which resource-policy guardrails hold (their rules)."""
    view, model = stack_view(state), _model(state)
    readers = {}
    for bucket in s3.data_buckets(view):
        name = s3.bucket_name(bucket)
        readers[s3.tier_of(bucket)] = _names(
            [
                _role_name(p.actor.name)
                for p in model.principals.values()
                if any(
                    model.decide(p.actor, "s3:GetObject", target, data_access.DIRECT)
                    for target in model.object_probes(p.actor, name)
                )
            ]
        )
    checks = {
        "object reads outside a tier's purpose": guardrails.purpose_reads,
        "version deletion and bucket reconfiguration": guardrails.history_guarded,
        "disabling or deleting the data and log keys": guardrails.keys_indestructible,
        "forged audit records": guardrails.audit_records_unforgeable,
    }
    failing = [what for what, rule in checks.items() if _violations(view, rule)]
    held = [what for what in checks if what not in failing]
    deployer = bool(view.outputs.get("deployerPrincipalArns"))
    summary = (
        f"By the access model, the buckets' and keys' own policies refuse {', '.join(held) or 'nothing'} to every "
        "principal (roles created later and other accounts included) except break-glass"
        f"{' and, for reconfiguration, the deployer' if deployer else ''}"
        f"{'; not enforced: ' + ', '.join(failing) if failing else ''}. Readers per tier: "
        + "; ".join(f"{tier}: {names}" for tier, names in sorted(readers.items()))
        + "."
    )
    return (
        bool(readers) and not failing,
        summary,
        [],
        {"readers": "; ".join(f"{t}: {n}" for t, n in sorted(readers.items()))},
    )


def guardrail_alarms(state: StackState) -> Outcome:
    """Whether break-glass, deployer use, monitoring-plane changes and the trail's silence raise an alarm."""
    view = stack_view(state)
    missing = [
        str(v.message) for v in _violations(view, guardrails.guardrail_events_alarmed, guardrails.trail_silence_alarmed)
    ]
    summary = (
        "An alarm notifies the security topic on every break-glass assumption, every use of a deployer, every "
        "change to the monitoring plane (GuardDuty, Security Hub, Inspector, Access Analyzer, flow logs, log "
        "groups, metric filters, alarms, their topic, key policies), and when the trail's log group receives no "
        "events for an hour (missing data is breaching)."
        if not missing
        else "Not alarmed: " + "; ".join(missing) + "."
    )
    return not missing, summary, [], {}


def session_logging(state: StackState) -> Outcome:
    """Whether Session Manager sessions on the stack's hosts are streamed to an encrypted log group."""
    view = stack_view(state)
    hosts = sessions.session_hosts(view)
    problems = sessions.preference_problems(view)
    if not hosts:
        return True, "No host of the stack takes Session Manager sessions.", [], {}
    summary = (
        f"Hosts of {_names([_role_name(h) for h in hosts])} take Session Manager sessions; the account's "
        "preferences (SSM-SessionManagerRunShell) stream every session to an encrypted log group of the stack and "
        "encrypt the session data with a KMS key."
        if not problems
        else "Session Manager sessions may go unlogged: " + "; ".join(problems) + "."
    )
    return not problems, summary, [], {}


def session_controls(state: StackState) -> Outcome:
    """What a person sees and how long an idle session lasts on the stack's hosts (GLZ-CMP-018's reading)."""
    view = stack_view(state)
    hosts = sessions.session_hosts(view)
    idle, notice, problems = sessions.session_controls(view)
    if not hosts:
        return True, "No host of the stack takes Session Manager sessions.", [], {"idle_minutes": "n/a"}
    fields = {"idle_minutes": str(idle) if idle is not None else "unknown"}
    if problems:
        return False, "Session Manager sessions: " + "; ".join(problems) + ".", [], fields
    first = notice.split(". ")[0].rstrip(".") if notice else ""
    summary = (
        f"Every Session Manager session on hosts of {_names([_role_name(h) for h in hosts])} starts by printing the "
        f'system use notice ("{first}. ...") and ends after {idle} minutes without input (SSM-SessionManagerRunShell: '
        "shellProfile and idleSessionTimeout)."
    )
    return True, summary, [], fields


def deployer_scope(state: StackState) -> Outcome:
    """What the deployer needs for this stack (glz/deployer_policy): counted from the state's resource types,
    scoped to its names, with the denies that keep data and keys out of reach."""
    deployers = [str(a) for a in state.stack_outputs().get("deployerPrincipalArns") or [] if a]
    scope = deployer_policy.scope_of_state(state)
    if not deployers or scope is None:
        return (
            False,
            "No deployer principal is named (deployerPrincipalArns), so nothing bounds the identity that runs "
            "`pulumi up`.",
            [],
            {"deployers": "none"},
        )
    try:
        docs = deployer_policy.documents(scope, state)
    except deployer_policy.UnknownResourceTypesError as unknown:
        return (
            False,
            f"The deployer's permissions cannot be computed: unknown resource types {unknown}.",
            [],
            {"deployers": _names([_role_name(d) for d in deployers])},
        )
    found = deployer_policy.problems(docs)
    statements = [s for d in docs for s in d["Statement"]]
    denied = sorted({a for s in statements if s["Effect"] == "Deny" for a in s["Action"]})
    buckets = {r for s in statements if s["Sid"].startswith("ManageStackBuckets") for r in s["Resource"]}
    summary = (
        f"The deployer ({_names([_role_name(d) for d in deployers])}) needs "
        f"{len(deployer_policy.required_actions(docs))} actions for this stack; `glz deployer-policy` writes them "
        f"as {len(docs)} managed policies: IAM changes only to the stack's own roles, policies and instance "
        f"profiles, roles passed only from the stack, bucket changes only to its {len(buckets)} buckets, and "
        f"explicit denies of {len(denied)} actions (object reads and writes in those buckets, use of the stack's "
        "keys, log contents, people's credentials)."
        if not found
        else "The generated deployer policy fails its own checks: " + "; ".join(found) + "."
    )
    return not found, summary, [], {"deployers": _names([_role_name(d) for d in deployers])}


ACCESS_PROBES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], Callable[[StackState], Outcome]]] = {
    "bucket_tls_only": ("bucket policies deny non-TLS and TLS < 1.2 to everyone", (), ("GLZ-S3-005",), bucket_tls_only),
    "bucket_endpoint_only": (
        "data buckets reachable only through the VPC endpoint",
        ("exempt",),
        ("GLZ-S3-012",),
        bucket_endpoint_only,
    ),
    "collaborator_roles": (
        "collaborator roles trusting only the partner, with ExternalId and MFA, reaching only their grant",
        ("accounts", "max_session"),
        ("GLZ-IAM-001", "GLZ-IAM-002", "GLZ-IAM-004", "GLZ-IAM-008", "GLZ-IAM-009", "GLZ-IAM-014"),
        collaborator_roles,
    ),
    "permission_boundaries": (
        "a permissions boundary that caps every collaborator role",
        (),
        ("GLZ-IAM-007",),
        permission_boundaries,
    ),
    "operator_roles": (
        "separate admin and security-auditor roles; nobody silences the audit plane",
        ("session_limit", "mfa_age"),
        ("GLZ-IAM-005", "GLZ-IAM-006", "GLZ-IAM-010", "GLZ-IAM-011", "GLZ-IAM-015"),
        operator_roles,
    ),
    "mfa_required": ("MFA in every human-assumable role's trust", (), ("GLZ-IAM-003",), mfa_required),
    "support_role": (
        "an operator role, not the administrator, that works AWS Support cases",
        ("roles",),
        ("GLZ-IAM-019",),
        support_role,
    ),
    "least_privilege_jobs": (
        "compute roles scoped to their stage's tiers",
        (),
        ("GLZ-IAM-005", "GLZ-IAM-006", "GLZ-IAM-012"),
        least_privilege_jobs,
    ),
    "data_guardrails": (
        "data buckets and keys refuse reads outside a purpose, history destruction and key destruction to all "
        "but break-glass",
        ("readers",),
        ("GLZ-S3-017", "GLZ-S3-018", "GLZ-KMS-005", "GLZ-LOG-012"),
        data_guardrails,
    ),
    "session_logging": (
        "Session Manager sessions on the hosts streamed to an encrypted log group",
        (),
        ("GLZ-CMP-017",),
        session_logging,
    ),
    "session_controls": (
        "Session Manager sessions show the system use notice and end when idle",
        ("idle_minutes",),
        ("GLZ-CMP-018",),
        session_controls,
    ),
    "guardrail_alarms": (
        "break-glass, deployer use, monitoring-plane changes and a silent trail raise alarms",
        (),
        ("GLZ-LOG-010", "GLZ-LOG-011"),
        guardrail_alarms,
    ),
    "deployer_scope": (
        "the deployer's permissions: what `pulumi up` of this stack needs, data and keys denied",
        ("deployers",),
        ("GLZ-S3-015",),
        deployer_scope,
    ),
    "outside_access": (
        "nobody outside the account reaches data except through guarded collaborator roles",
        ("accounts",),
        ("GLZ-IAM-009", "GLZ-IAM-013", "GLZ-S3-007", "GLZ-KMS-003"),
        outside_access,
    ),
}
