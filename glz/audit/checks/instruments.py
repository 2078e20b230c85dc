"""Instrument identities in the account (IAM Roles Anywhere): the trust anchor is enabled and still holds the
declared CA, an enabled CRL is imported for it, and the profile vends sessions no longer than declared.

Anyone with rolesanywhere:DisableCrl, DeleteCrl or UpdateProfile can make a revoked certificate work again or
lengthen sessions without touching the stack. The calls (GetTrustAnchor, ListCrls, GetProfile) are reads any
auditor role with rolesanywhere:Get*/List* may make.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

ANCHOR = CheckSpec(
    "rolesanywhere.trust-anchor",
    "The instruments' trust anchor is enabled, holds the declared CA and has an enabled CRL imported",
    ("instrument_intake",),
)
PROFILE = CheckSpec(
    "rolesanywhere.profile",
    "The instruments' profile is enabled for the declared roles with sessions no longer than declared",
    ("instrument_intake",),
)
TRUST_ANCHOR = "aws:rolesanywhere/trustAnchor:TrustAnchor"
PROFILE_TYPE = "aws:rolesanywhere/profile:Profile"


def _pem(text: Any) -> str:
    return "\n".join(line.strip() for line in str(text or "").strip().splitlines())


def _anchor(ctx: AuditContext, arn: str, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    anchor_id = arn.rsplit("/", 1)[-1]
    live = ctx.call_or_none(
        "rolesanywhere", "get_trust_anchor", ("ResourceNotFoundException",), trustAnchorId=anchor_id
    )
    if live is None:
        return fail(f"trust anchor {arn} does not exist: instruments cannot upload")
    anchor = live.get("trustAnchor") or {}
    source = ((anchor.get("source") or {}).get("sourceData") or {}).get("x509CertificateData")
    crls = [
        c
        for c in ctx.call("rolesanywhere", "list_crls").get("crls", [])
        if c.get("trustAnchorArn") == arn and c.get("enabled")
    ]
    observed.update(enabled=bool(anchor.get("enabled")), same_ca=_pem(source) == _pem(declared["ca"]), crls=len(crls))
    problems = []
    if not observed["enabled"]:
        problems.append("it is disabled")
    if not observed["same_ca"]:
        problems.append("it holds another CA certificate than the declared one")
    if not crls:
        problems.append("no enabled CRL is imported for it: revoked certificates get credentials")
    if problems:
        return fail(f"trust anchor {arn}: " + "; ".join(problems))
    return ok(f"trust anchor {arn}: enabled, declared CA, {len(crls)} enabled CRL(s)")


def _profile(ctx: AuditContext, arn: str, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    live = ctx.call_or_none(
        "rolesanywhere", "get_profile", ("ResourceNotFoundException",), profileId=arn.rsplit("/", 1)[-1]
    )
    if live is None:
        return fail(f"profile {arn} does not exist: instruments cannot upload")
    profile = live.get("profile") or {}
    observed.update(
        enabled=bool(profile.get("enabled")),
        duration_seconds=profile.get("durationSeconds"),
        roles=sorted(profile.get("roleArns") or []),
    )
    problems = []
    if int(observed["duration_seconds"] or 3600) > declared["duration_seconds"]:
        problems.append(f"sessions of {observed['duration_seconds']} s, declared {declared['duration_seconds']}")
    extra = sorted(set(observed["roles"]) - set(declared["roles"]))
    if extra:
        problems.append(f"it also vends roles {', '.join(extra)}")
    if problems:
        return fail(f"profile {arn}: " + "; ".join(problems))
    state = "enabled" if observed["enabled"] else "disabled (instruments cannot upload)"
    return ok(f"profile {arn}: {state}, sessions of at most {observed['duration_seconds'] or 3600} s")


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    if ctx.state is None:
        return
    for anchor in ctx.state.of_type(TRUST_ANCHOR):
        arn = str(anchor.outputs.get("arn") or anchor.id)
        source = (anchor.prop("source") or {}).get("sourceData") or {}
        declared = {"ca": source.get("x509CertificateData"), "enabled": True, "crl": "enabled"}
        shown = {"enabled": True, "same_ca": True, "crls": ">= 1"}
        yield ctx.check(
            ANCHOR, arn, anchor.urn, shown, lambda observed, a=arn, d=declared: _anchor(ctx, a, d, observed)
        )
    for profile in ctx.state.of_type(PROFILE_TYPE):
        arn = str(profile.outputs.get("arn") or profile.id)
        declared = {
            "duration_seconds": int(profile.prop("durationSeconds") or 3600),
            "roles": sorted(profile.prop("roleArns") or []),
        }
        yield ctx.check(
            PROFILE,
            arn,
            profile.urn,
            json.loads(json.dumps(declared)),
            lambda observed, a=arn, d=declared: _profile(ctx, a, d, observed),
        )
