"""Secure defaults turned off are findings, judged on what the stack then allows (issue 18).

Some settings weaken a control on purpose and no other rule fails for them, because the weaker form is allowed:
internet egress through NAT (`egress: nat-gateway`), reads of objects GuardDuty has not scanned yet
(`securityServices.scannedReadsOnly: false`) and public data (`classification: public`). Each is reported naming
the setting and the requirements it weakens: blocking (GLZ-CFG-001) in a phi stack, where it needs a suppression
with its reason, advisory (GLZ-CFG-002) where the classification allows it. The checks read the state, not the
settings: a NAT gateway or internet route added from outside the component counts the same.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.access import conditions as cond
from policies.access.model import model_of
from policies.framework import Requirements, StackView, Violation, stack_rule
from policies.rules import s3_support as s3
from policies.rules.account import intake_buckets, plans_for, scanner_roles
from policies.rules.data_access import DIRECT, is_break_glass
from policies.rules.network import EIGW, IGW, NAT

WEAKENED = Requirements(
    r2=("3.13.1", "3.13.6", "3.14.2"),
    r3=("03.13.01", "03.13.06", "03.14.02"),
    hipaa=("164.312(e)(1)", "164.308(a)(5)(ii)(B)"),
)


def _internet_egress(stack: StackView) -> list[tuple[str, str]]:
    gateways = stack.of_type(NAT, IGW, EIGW)
    if not gateways:
        return []
    names = ", ".join(sorted(str(g.get("id") or g.name) for g in gateways))
    return [
        (
            gateways[0].urn,
            f"egress: nat-gateway — the VPC has a path to the internet ({names}): 3.13.1/3.13.6 (boundary, deny by "
            "default), 164.312(e)(1). Keep egress: none (AWS APIs through the VPC endpoints), or suppress with the "
            "reason the workload needs the internet",
        )
    ]


UNSCANNED = {**DIRECT, "s3:existingobjecttag/guarddutymalwarescanstatus": cond.MISSING}
"""A read of an object that carries no scan-status tag yet (GuardDuty tags it once scanned)."""


def _unscanned_reads(stack: StackView) -> list[tuple[str, str]]:
    """On a scanned intake tier, a role other than its scanner and break-glass reads an object with no scan tag."""
    model = model_of(stack)
    found = []
    for bucket in intake_buckets(stack):
        plans = plans_for(stack, bucket)
        if not plans:
            continue  # unscanned tier: GLZ-ACC-010 reports the missing plan
        scanners = {str(r.get("arn")) for r in scanner_roles(stack, plans)}
        obj = f"arn:aws:s3:::{s3.bucket_name(bucket)}/glz-probe-run/unscanned.fastq.gz"
        readers = sorted(
            principal.actor.name
            for principal in model.principals.values()
            if principal.actor.kind == "role"
            and principal.actor.name not in scanners
            and not is_break_glass(stack, principal)
            and model.decide(principal.actor, "s3:GetObject", obj, UNSCANNED).allowed
        )
        if readers:
            found.append(
                (
                    bucket.urn,
                    f"securityServices.scannedReadsOnly: false — {', '.join(r.rsplit('/', 1)[-1] for r in readers)} "
                    f"can read objects of {s3.bucket_name(bucket)} before GuardDuty has scanned them: 3.14.2, "
                    "164.308(a)(5)(ii)(B) (malicious code). Keep scannedReadsOnly: true, or suppress with the reason",
                )
            )
    return found


def weakened_defaults(stack: StackView) -> list[tuple[str, str]]:
    """(urn, message) for each secure default the stack turns off."""
    found = _internet_egress(stack) + _unscanned_reads(stack)
    if stack.classification == "public":
        found.append(
            (
                stack.anchor,
                "classification: public — object-level data events, the longer retention and the deployer-only "
                "bucket configuration apply to controlled and phi data only: keep controlled and PHI data out of "
                "this stack",
            )
        )
    return found


@stack_rule(
    "GLZ-CFG-001",
    "secure-defaults-kept-for-phi",
    "high",
    WEAKENED,
    "In a phi stack keep egress: none and securityServices.scannedReadsOnly: true, or suppress the finding "
    "(policies/suppressions.yaml) with the reason and an expiry.",
)
def phi_defaults(stack: StackView) -> Iterator[Violation]:
    """PHI stacks keep every secure default; turning one off blocks until suppressed with a reason."""
    if stack.classification != "phi":
        return
    for urn, message in weakened_defaults(stack):
        yield Violation(urn, message)


@stack_rule(
    "GLZ-CFG-002",
    "weakened-defaults-reported",
    "low",
    WEAKENED,
    "Reported, not blocking, below phi: keep the secure default where the data allows it.",
    enforcement="advisory",
)
def other_defaults(stack: StackView) -> Iterator[Violation]:
    """Below phi, a secure default turned off is reported so the matrix and the reviewer see it."""
    if stack.classification == "phi":
        return
    for urn, message in weakened_defaults(stack):
        yield Violation(urn, message)
