"""Network ACLs: the subnets' stateless boundary, and the VPC's default ACL closed.

Security groups already decide what each host may reach; the ACL is the second, subnet-level layer a scanner
(CIS AWS Foundations 5.1, Prowler's ec2_networkacl_* checks) and NIST 800-171 3.13.6 (deny by default, allow by
exception) look for. One ACL holds every subnet of the stack:

- inside the VPC, everything (security groups govern it: endpoints, EFS, the NAT gateways' forwarding);
- from outside, only answers to connections the hosts opened (TCP 1024-65535: the S3 gateway endpoint answers
  from S3's public addresses, NAT egress from the internet), never RDP (3389, inside that range, denied first);
  no ICMP from outside: path MTU over the VPN rests on the customer gateway clamping TCP's segment size, which
  AWS asks of it (Site-to-Site VPN User Guide, customer gateway device requirements: MSS 1379 bytes);
- to outside, only HTTPS (S3 through its gateway endpoint, NAT egress);
- with onPremises, the lab's networks may reach HTTPS (the S3 interface endpoint) and DNS (the Resolver inbound
  endpoint), and the answers go back to them.

ACLs are stateless, so each answer needs its own rule (Amazon VPC User Guide, "Control subnet traffic with
network access control lists": ephemeral ports 1024-65535 cover every client). Traffic to the Amazon DNS
server, instance metadata and the Amazon Time Sync Service is not filtered by ACLs (same guide).

The default ACL keeps no rule at all, so a subnet created later outside the stack gets no traffic until
someone associates it deliberately (its only entry is the implicit deny).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pulumi
import pulumi_aws as aws

from components.naming import base_name
from components.settings import Settings

ANYWHERE = "0.0.0.0/0"
EPHEMERAL = (1024, 65535)
HTTPS, DNS, RDP = 443, 53, 3389


@dataclass(frozen=True)
class Entry:
    """One ACL entry, as NetworkAcl's ingress/egress blocks take it."""

    rule_no: int
    action: str
    protocol: str
    cidr_block: str
    from_port: int = 0
    to_port: int = 0

    def args(self) -> dict[str, object]:
        return asdict(self)


def entries(vpc_cidr: str, lab_cidrs: list[str]) -> tuple[list[Entry], list[Entry]]:
    """(ingress, egress) of the stack's subnet ACL; lower rule numbers are evaluated first."""
    ingress = [
        Entry(100, "allow", "-1", vpc_cidr),
        Entry(110, "deny", "tcp", ANYWHERE, RDP, RDP),
        Entry(120, "allow", "tcp", ANYWHERE, *EPHEMERAL),
    ]
    egress = [
        Entry(100, "allow", "-1", vpc_cidr),
        Entry(110, "allow", "tcp", ANYWHERE, HTTPS, HTTPS),
    ]
    for index, cidr in enumerate(lab_cidrs):
        base = 200 + 10 * index
        ingress += [
            Entry(base, "allow", "tcp", cidr, HTTPS, HTTPS),
            Entry(base + 1, "allow", "tcp", cidr, DNS, DNS),
            Entry(base + 2, "allow", "udp", cidr, DNS, DNS),
        ]
        egress += [
            Entry(base, "allow", "tcp", cidr, *EPHEMERAL),
            Entry(base + 1, "allow", "udp", cidr, *EPHEMERAL),
        ]
    return ingress, egress


def subnet_acls(
    name: str,
    settings: Settings,
    stack: str,
    vpc: aws.ec2.Vpc,
    subnets: list[aws.ec2.Subnet],
    parent: pulumi.Resource,
) -> tuple[aws.ec2.NetworkAcl, aws.ec2.DefaultNetworkAcl]:
    """The stack's subnet ACL (every subnet given) and the VPC's default ACL emptied."""
    child = pulumi.ResourceOptions(parent=parent)
    labs = list(settings.on_premises.cidrs) if settings.on_premises is not None else []
    ingress, egress = entries(settings.vpc_cidr, labs)
    acl = aws.ec2.NetworkAcl(
        f"{name}-subnets-acl",
        vpc_id=vpc.id,
        subnet_ids=[s.id for s in subnets],
        ingress=[aws.ec2.NetworkAclIngressArgs(**e.args()) for e in ingress],
        egress=[aws.ec2.NetworkAclEgressArgs(**e.args()) for e in egress],
        tags={"Name": base_name(settings, stack, "subnets-acl")},
        opts=child,
    )
    # No ingress or egress blocks: pulumi-aws removes every rule of the default ACL, leaving its implicit deny
    # (aws.ec2.DefaultNetworkAcl). Its subnets are the ones no other ACL holds: none, once `acl` has them all.
    default = aws.ec2.DefaultNetworkAcl(
        f"{name}-default-acl",
        default_network_acl_id=vpc.default_network_acl_id,
        tags={"Name": base_name(settings, stack, "default-acl-unused")},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[acl]),
    )
    return acl, default
