"""Instrument uploads through IAM Roles Anywhere (components/intake): a certificate of the organization's CA, still
unrevoked, of the instrument's own CN, buys at most an hour of a role that can only put run files into a scanned
intake tier.

Judged by meaning: the trust statement is evaluated (policies/access/conditions.py) with a certificate of another
anchor and with another CN, so any form that admits them fails; what the role may do is asked of the access model
(identity, boundary and bucket policies together), so a grant added in a managed policy, an inline block or a
bucket policy counts the same as one in the stack's inline policy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from policies.access import conditions as cond
from policies.access.document import statements as parse_statements
from policies.access.model import model_of
from policies.framework import Requirements, StackView, View, Violation, stack_rule
from policies.rules import s3_support as s3
from policies.rules.audit import is_false

TRUST_ANCHOR = "aws:rolesanywhere/trustAnchor:TrustAnchor"
PROFILE = "aws:rolesanywhere/profile:Profile"
CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"
ROLE = "aws:iam/role:Role"
ROLES_ANYWHERE = "rolesanywhere.amazonaws.com"
CRL_TYPE = "AWS::RolesAnywhere::CRL"
MAX_SESSION_SECONDS = 3600
FOREIGN_ANCHOR = "arn:aws:rolesanywhere:us-east-1:999999999999:trust-anchor/00000000-0000-0000-0000-000000000000"
FOREIGN_CN = "glz-probe-not-an-instrument"
FORBIDDEN = ("s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectTagging")
DEVICES = Requirements(r2=("3.5.1", "3.5.2"), r3=("03.05.02",), hipaa=("164.312(d)", "164.312(a)(1)"))


def _enabled(resource: View) -> bool:
    return not is_false(resource.get("enabled"))


def crls(stack: StackView) -> list[tuple[View, dict]]:
    """(resource, desired state) of every CRL the stack imports through Cloud Control."""
    found = []
    for resource in stack.of_type(CLOUD_CONTROL):
        if resource.get("typeName") != CRL_TYPE:
            continue
        try:
            state = json.loads(str(resource.get("desiredState") or "{}"))
        except json.JSONDecodeError:
            state = {}
        found.append((resource, state if isinstance(state, dict) else {}))
    return found


def _admits_service(statement) -> bool:
    return any(p.anyone or (p.kind == "Service" and p.value == ROLES_ANYWHERE) for p in statement.principals)


def roles_anywhere_roles(stack: StackView) -> list[tuple[View, list]]:
    """(role, its Allow trust statements naming Roles Anywhere) for every role Roles Anywhere may assume."""
    found = []
    for role in stack.of_type(ROLE):
        trust = [s for s in parse_statements(role.get("assumeRolePolicy"), "trust") if s.allow and _admits_service(s)]
        if trust:
            found.append((role, trust))
    return found


def _named_common_names(statement) -> list[str]:
    """The CNs a trust statement's conditions name (each a certificate the statement may be meant for), and one it
    does not name."""
    named = [
        str(value)
        for body in statement.conditions.values()
        for key, values in body.items()
        if key.lower() == "aws:principaltag/x509subject/cn"
        for value in values
    ]
    return [*named, FOREIGN_CN]


def _certificate_admitted(statement, anchor: str, common_name: str) -> bool:
    """Could a session of ``anchor`` with certificate CN ``common_name`` assume through this statement? An
    undecidable condition counts as admitting (it does not exclude the certificate)."""
    context = {
        "aws:sourcearn": anchor,
        "aws:principaltag/x509subject/cn": common_name,
        "aws:sourceaccount": anchor.split(":")[4],
        "aws:principalisawsservice": "true",
    }
    return cond.evaluate(statement.conditions, context) is not False


@stack_rule(
    "GLZ-IAM-018",
    "instrument-certificates-revocable-and-scoped",
    "high",
    DEVICES,
    "Keep each trust anchor's CRL imported and enabled (intake.crl), profiles at most 3600 seconds "
    "(intake.sessionSeconds), instrument role trust naming the stack's anchor (aws:SourceArn) and the certificate's "
    "CN (aws:PrincipalTag/x509Subject/CN), and instrument roles able only to put objects into scanned intake tiers "
    "(components/intake_policies).",
)
def instrument_certificates(stack: StackView) -> Iterator[Violation]:
    """A revoked or foreign certificate gets no credentials, a session lasts at most an hour, and an instrument's
    role cannot read, delete or re-tag data, nor write where uploads are not scanned."""
    anchors = [a for a in stack.of_type(TRUST_ANCHOR) if _enabled(a)]
    imported = crls(stack)
    for anchor in anchors:
        # the CRL's TrustAnchorArn when the state knows it; in a preview, where it is not yet known, the
        # dependency of its desired state on the anchor
        revoking = [
            c
            for c, state in imported
            if str(state.get("TrustAnchorArn") or "") in (anchor.get("arn"), anchor.get("id"))
            or (not state and anchor.urn in (c.property_dependencies.get("desiredState") or ()))
        ]
        live = [
            c
            for c, state in imported
            if c in revoking and state.get("Enabled") is not False and str(state.get("CrlData") or "").strip()
        ]
        if not live:
            yield Violation(
                anchor.urn,
                f"trust anchor {anchor.get('name')} has no enabled CRL imported: a revoked instrument certificate "
                "still gets credentials (IAM Roles Anywhere checks only imported CRLs)",
            )
    for profile in stack.of_type(PROFILE):
        seconds = profile.get("durationSeconds")
        if _enabled(profile) and seconds is not None and int(seconds) > MAX_SESSION_SECONDS:
            yield Violation(
                profile.urn,
                f"profile {profile.get('name')} vends {seconds}-second sessions; at most {MAX_SESSION_SECONDS}",
            )
    anchor_arns = [str(a.get("arn")) for a in anchors if a.get("arn")]
    model = model_of(stack)
    actors = {actor.name: actor for actor in model.stack_actors()}
    scanned = {str(b) for b in (stack.outputs.get("malwareScanBuckets") or {}).values()}
    for role, trust in roles_anywhere_roles(stack):
        name = role.get("name")
        for statement in trust:
            names = _named_common_names(statement)
            if any(_certificate_admitted(statement, FOREIGN_ANCHOR, cn) for cn in names):
                problem = "admits certificates of another trust anchor (aws:SourceArn does not pin the stack's anchor)"
            elif any(_certificate_admitted(statement, arn, FOREIGN_CN) for arn in anchor_arns):
                problem = (
                    "admits any certificate of the anchor (no aws:PrincipalTag/x509Subject/CN names the instrument)"
                )
            else:
                continue
            yield Violation(role.urn, f"role {name}: {statement.label()} {problem}")
        actor = actors.get(str(role.get("arn")))
        if actor is None:
            continue
        for bucket in s3.data_buckets(stack):
            bucket_name = s3.bucket_name(bucket)
            objects = model.object_probes(actor, bucket_name)
            reached = sorted({a for a in FORBIDDEN for o in objects if model.decide(actor, a, o)})
            if reached:
                yield Violation(role.urn, f"instrument role {name} may {', '.join(reached)} in bucket {bucket_name}")
            if bucket_name not in scanned and any(model.decide(actor, "s3:PutObject", o) for o in objects):
                yield Violation(
                    role.urn,
                    f"instrument role {name} may put objects into {bucket_name}, where uploads are not scanned",
                )
