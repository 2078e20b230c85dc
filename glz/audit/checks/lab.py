"""The lab's private path in the account: the Site-to-Site VPN still negotiates only the declared tunnel options
and logs to the declared log group, and the lab's routes still point at the stack's VPN gateway.

Anyone with ec2:ModifyVpnTunnelOptions can let a tunnel accept IKEv1, SHA-1 or DH group 2, or switch its logs off,
without touching the stack. DescribeVpnConnections (SecurityAudit allows ec2:Describe*) shows each tunnel's
options.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok, unverifiable

TUNNELS = CheckSpec(
    "ec2.vpn-tunnels",
    "The lab VPN's tunnels negotiate only the declared parameters and log to the declared log group",
    ("lab_path",),
)
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
# tunnel option in the state (after the tunnel number) -> its TunnelOptions key in DescribeVpnConnections, whose
# items are {"Value": ...}
OPTIONS = {
    "IkeVersions": "IkeVersions",
    "Phase1EncryptionAlgorithms": "Phase1EncryptionAlgorithms",
    "Phase2EncryptionAlgorithms": "Phase2EncryptionAlgorithms",
    "Phase1IntegrityAlgorithms": "Phase1IntegrityAlgorithms",
    "Phase2IntegrityAlgorithms": "Phase2IntegrityAlgorithms",
    "Phase1DhGroupNumbers": "Phase1DHGroupNumbers",
    "Phase2DhGroupNumbers": "Phase2DHGroupNumbers",
}


def _declared(connection: Any) -> list[dict[str, Any]]:
    tunnels = []
    for number in (1, 2):
        options = {key: sorted(str(v) for v in connection.prop(f"tunnel{number}{key}") or []) for key in OPTIONS}
        logs = ((connection.prop(f"tunnel{number}LogOptions") or {}).get("cloudwatchLogOptions")) or {}
        options["LogGroup"] = str(logs.get("logGroupArn") or "") if logs.get("logEnabled") else ""
        tunnels.append(options)
    return tunnels


def _observed(tunnel: dict[str, Any]) -> dict[str, Any]:
    found = {key: sorted(str(item.get("Value")) for item in tunnel.get(live) or []) for key, live in OPTIONS.items()}
    logs = ((tunnel.get("LogOptions") or {}).get("CloudWatchLogOptions")) or {}
    found["LogGroup"] = str(logs.get("LogGroupArn") or "") if logs.get("LogEnabled") else ""
    return found


def _body(ctx: AuditContext, connection_id: str, declared: list[dict[str, Any]], observed: dict[str, Any]) -> Verdict:
    answer = ctx.call_or_none(
        "ec2", "describe_vpn_connections", ("InvalidVpnConnectionID.NotFound",), VpnConnectionIds=[connection_id]
    )
    connections = (answer or {}).get("VpnConnections") or []
    if not connections or connections[0].get("State") in ("deleted", "deleting"):
        return fail(f"VPN connection {connection_id} does not exist: the lab has no private path")
    tunnels = ((connections[0].get("Options") or {}).get("TunnelOptions")) or []
    if not tunnels:
        # AWS answers with both tunnels' options for every connection; an answer without them cannot be judged
        return unverifiable(f"VPN connection {connection_id}: the answer holds no tunnel options")
    live = [_observed(t) for t in tunnels]
    observed["tunnels"] = live
    problems = []
    for number, want in enumerate(declared, start=1):
        have = live[number - 1] if len(live) >= number else {}
        for key, value in want.items():
            if have.get(key) != value:
                problems.append(f"tunnel {number} {key} is {have.get(key) or 'unset'}, declared {value or 'off'}")
    if problems:
        return fail(f"VPN connection {connection_id}: " + "; ".join(problems))
    return ok(f"VPN connection {connection_id}: both tunnels as declared, logging to the declared group")


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    if ctx.state is None:
        return
    for connection in ctx.state.of_type(VPN_CONNECTION):
        connection_id = str(connection.id or connection.outputs.get("id"))
        declared = _declared(connection)
        yield ctx.check(
            TUNNELS,
            connection_id,
            connection.urn,
            {"tunnels": declared},
            lambda observed, c=connection_id, d=declared: _body(ctx, c, d, observed),
        )
