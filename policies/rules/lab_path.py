"""The lab's private path (components/onprem): Site-to-Site VPN tunnels negotiate only strong parameters and log
to an encrypted log group of the stack.

AWS Site-to-Site VPN accepts, unless a tunnel option narrows it, IKEv1, SHA-1 and Diffie-Hellman groups 2 and 5
(AWS Site-to-Site VPN User Guide, "Tunnel options"): an option left out is the weak default, so every list must be
set and hold only IKEv2, AES, SHA-2 and DH groups 14 and up. Tunnel logs record each IKE negotiation and tunnel
state change, the record of remote access the lab's path needs.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.framework import Requirements, StackView, View, as_list, resource_rule
from policies.rules.audit import block
from policies.rules.pipeline import encrypted_stack_log_group_problem

VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
STRONG = {
    "ikeVersions": {"ikev2"},
    "phase1EncryptionAlgorithms": {"AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"},
    "phase2EncryptionAlgorithms": {"AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"},
    "phase1IntegrityAlgorithms": {"SHA2-256", "SHA2-384", "SHA2-512"},
    "phase2IntegrityAlgorithms": {"SHA2-256", "SHA2-384", "SHA2-512"},
    "phase1DhGroupNumbers": {str(n) for n in range(14, 25)},
    "phase2DhGroupNumbers": {str(n) for n in range(14, 25)},
}
"""Tunnel option -> the values the gate accepts (an unset option is AWS's default list, which holds weak ones)."""
REMOTE_ACCESS = Requirements(
    r2=("3.13.8", "3.1.13", "3.1.12"), r3=("03.13.08", "03.01.12"), hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)")
)


def tunnel_problems(resource: View, stack: StackView) -> Iterator[str]:
    for number in (1, 2):
        for option, allowed in STRONG.items():
            values = [str(v) for v in as_list(resource.get(f"tunnel{number}{option[0].upper()}{option[1:]}"))]
            if not values:
                yield f"tunnel {number}: {option} unset, so AWS's defaults (weak ones included) apply"
            elif weak := sorted(set(values) - allowed):
                yield f"tunnel {number}: {option} allows {', '.join(weak)}"
        logs = block(block(resource.get(f"tunnel{number}LogOptions")).get("cloudwatchLogOptions"))
        if logs.get("logEnabled") is not True:
            yield f"tunnel {number}: tunnel logs are off (no record of IKE negotiations and tunnel state)"
        elif problem := encrypted_stack_log_group_problem(stack, str(logs.get("logGroupArn") or "")):
            yield f"tunnel {number}: {problem}"


@resource_rule(
    "GLZ-NET-013",
    "lab-vpn-strong-and-logged",
    (VPN_CONNECTION,),
    "high",
    REMOTE_ACCESS,
    "Set every tunnel option as components/onprem does (IKEv2; AES or AES-GCM; SHA-2; DH groups 14-24) and keep "
    "both tunnels logging to the stack's encrypted log group.",
)
def lab_vpn(resource: View, stack: StackView) -> Iterator[str]:
    """The lab's VPN negotiates only strong cryptography, and every tunnel's negotiations are logged."""
    yield from tunnel_problems(resource, stack)
