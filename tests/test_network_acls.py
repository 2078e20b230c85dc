"""The subnet ACL's entries: what passes the boundary, with and without the lab, and judged by first match."""

from __future__ import annotations

import ipaddress

from components.network_acls import RDP, entries


def _first(rules, port: int, source: str, protocol: str = "tcp") -> str:
    address = ipaddress.ip_address(source)
    for rule in sorted(rules, key=lambda r: r.rule_no):
        if rule.protocol not in ("-1", protocol):
            continue
        if rule.protocol != "-1" and not rule.from_port <= port <= rule.to_port:
            continue
        if address in ipaddress.ip_network(rule.cidr_block):
            return rule.action
    return "deny"


def test_outside_the_vpc_only_answers_pass_and_rdp_never():
    ingress, egress = entries("10.40.0.0/16", [])
    assert _first(ingress, 443, "10.40.3.4") == "allow"  # endpoints and EFS inside the VPC
    assert _first(ingress, 2049, "10.40.3.4") == "allow"
    assert _first(ingress, 50000, "52.216.8.1") == "allow"  # S3's answer through the gateway endpoint
    assert _first(ingress, RDP, "52.216.8.1") == "deny"
    assert _first(ingress, 22, "52.216.8.1") == "deny"
    assert _first(ingress, 443, "52.216.8.1") == "deny"
    assert _first(ingress, 53, "10.200.0.9", "udp") == "deny"  # no lab declared
    assert _first(egress, 443, "52.216.8.1") == "allow"
    assert _first(egress, 80, "52.216.8.1") == "deny"
    assert _first(egress, 40000, "10.40.3.4") == "allow"


def test_the_lab_reaches_https_and_dns_and_gets_its_answers():
    ingress, egress = entries("10.40.0.0/16", ["10.200.0.0/16", "192.168.10.0/24"])
    for lab in ("10.200.0.9", "192.168.10.7"):
        assert _first(ingress, 443, lab) == "allow"
        assert _first(ingress, 53, lab, "udp") == "allow" and _first(ingress, 53, lab) == "allow"
        assert _first(ingress, 22, lab) == "deny"
        assert _first(egress, 51000, lab) == "allow" and _first(egress, 51000, lab, "udp") == "allow"
    numbers = [r.rule_no for r in ingress]
    assert len(numbers) == len(set(numbers)) and len(ingress) <= 20  # AWS's default limit per direction
