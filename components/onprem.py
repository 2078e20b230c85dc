"""OnPremisesPath: the lab reaches the landing zone privately (issue 16), so instrument uploads never cross the
internet: an AWS Site-to-Site VPN to the VPC (IKEv2, AES-GCM or AES-256, SHA-2, DH groups 14 and up, tunnel logs
to an encrypted log group), routes to exactly the lab's networks on the private route tables (no route
propagation), and a Route 53 Resolver
inbound endpoint so the lab resolves the S3 interface endpoint's private names (the network component builds the
endpoint and opens it to the lab's networks).

AWS facts relied on (AWS Site-to-Site VPN User Guide, "Tunnel options for your Site-to-Site VPN connection" and
"Site-to-Site VPN logs"; Route 53 Developer Guide, "Values that you specify when you create or edit inbound
endpoints"): tunnel options default to IKEv1 and IKEv2, SHA-1 and DH groups 2 and 5 among others unless set, so
the stack sets every list; phase 1 accepts DH groups 2 and 14-24, phase 2 also 5; tunnel logs go to CloudWatch
Logs as vended logs (the caller's logs:CreateLogDelivery and PutResourcePolicy add the delivery policy); an inbound
endpoint needs at least two IP addresses and a security group admitting TCP and UDP 53 from the querying networks,
and its security group cannot be changed later.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.monitoring import audit_log_group
from components.naming import base_name
from components.settings import Settings

IKE_VERSIONS = ["ikev2"]
ENCRYPTION = ["AES256-GCM-16", "AES256"]
INTEGRITY = ["SHA2-384", "SHA2-256"]
DH_GROUPS = [20, 19, 14]
DNS_PORT = 53
DEFAULT_BGP_ASN = 65000


class OnPremisesPath(pulumi.ComponentResource):
    """Attributes: ``vpn_gateway``, ``customer_gateway``, ``vpn_connection``, ``tunnel_log_group``,
    ``resolver_endpoint`` and its ``resolver_security_group``."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        vpc_id: pulumi.Input[str],
        private_subnet_ids: list[pulumi.Input[str]],
        private_route_table_ids: list[pulumi.Input[str]],
        log_key_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("glz:network:OnPremisesPath", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        lab = settings.on_premises
        if lab is None:
            raise ValueError("OnPremisesPath needs settings.on_premises")
        if len(private_subnet_ids) < 2:
            raise ValueError(
                "OnPremisesPath needs two private subnets (the resolver endpoint takes one address in each)"
            )
        self.vpn_gateway = aws.ec2.VpnGateway(
            f"{name}-vpn-gateway", vpc_id=vpc_id, tags={"Name": base_name(settings, stack, "lab")}, opts=child
        )
        self.customer_gateway = aws.ec2.CustomerGateway(
            f"{name}-customer-gateway",
            type="ipsec.1",
            ip_address=lab.customer_gateway_ip,
            bgp_asn=str(lab.bgp_asn or DEFAULT_BGP_ASN),
            tags={"Name": base_name(settings, stack, "lab")},
            opts=child,
        )
        self.tunnel_log_group = audit_log_group(
            f"{name}-tunnel-logs",
            f"/aws/vendedlogs/vpn/{base_name(settings, stack, 'lab')}",
            settings,
            log_key_arn,
            child,
        )
        tunnel: dict[str, object] = {}
        for number in (1, 2):
            tunnel |= {
                f"tunnel{number}_ike_versions": IKE_VERSIONS,
                f"tunnel{number}_phase1_encryption_algorithms": ENCRYPTION,
                f"tunnel{number}_phase2_encryption_algorithms": ENCRYPTION,
                f"tunnel{number}_phase1_integrity_algorithms": INTEGRITY,
                f"tunnel{number}_phase2_integrity_algorithms": INTEGRITY,
                f"tunnel{number}_phase1_dh_group_numbers": DH_GROUPS,
                f"tunnel{number}_phase2_dh_group_numbers": DH_GROUPS,
                # the same block for either tunnel (a dict stands for VpnConnectionTunnel{1,2}LogOptionsArgs)
                f"tunnel{number}_log_options": {
                    "cloudwatch_log_options": {
                        "log_enabled": True,
                        "log_group_arn": self.tunnel_log_group.arn,
                        "log_output_format": "json",
                    }
                },
            }
        static = lab.bgp_asn is None
        self.vpn_connection = aws.ec2.VpnConnection(
            f"{name}-vpn",
            type="ipsec.1",
            vpn_gateway_id=self.vpn_gateway.id,
            customer_gateway_id=self.customer_gateway.id,
            static_routes_only=static,
            tags={"Name": base_name(settings, stack, "lab")},
            opts=child,
            **tunnel,
        )
        self.routes = (
            [
                aws.ec2.VpnConnectionRoute(
                    f"{name}-vpn-route-{index}",
                    vpn_connection_id=self.vpn_connection.id,
                    destination_cidr_block=cidr,
                    opts=child,
                )
                for index, cidr in enumerate(lab.cidrs)
            ]
            if static
            else []
        )
        # explicit routes to the declared lab networks, not route propagation: BGP could advertise any prefix
        # (a default route included) into the private route tables; these carry exactly onPremises.cidrs
        self.vpc_routes = [
            aws.ec2.Route(
                f"{name}-route-{table_index}-{index}",
                route_table_id=table,
                destination_cidr_block=cidr,
                gateway_id=self.vpn_gateway.id,
                opts=child,
            )
            for table_index, table in enumerate(private_route_table_ids)
            for index, cidr in enumerate(lab.cidrs)
        ]
        self.resolver_security_group = aws.ec2.SecurityGroup(
            f"{name}-resolver",
            name=base_name(settings, stack, "lab-dns"),
            description="Route 53 Resolver inbound endpoint: DNS from the lab's networks only",
            vpc_id=vpc_id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description=f"DNS over {protocol.upper()} from the lab",
                    protocol=protocol,
                    from_port=DNS_PORT,
                    to_port=DNS_PORT,
                    cidr_blocks=list(lab.cidrs),
                )
                for protocol in ("tcp", "udp")
            ],
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": base_name(settings, stack, "lab-dns")},
            opts=child,
        )
        self.resolver_endpoint = aws.route53.ResolverEndpoint(
            f"{name}-resolver",
            name=base_name(settings, stack, "lab-dns"),
            direction="INBOUND",
            security_group_ids=[self.resolver_security_group.id],
            ip_addresses=[
                aws.route53.ResolverEndpointIpAddressArgs(subnet_id=subnet) for subnet in private_subnet_ids[:2]
            ],
            protocols=["Do53"],
            opts=child,
        )
        self.register_outputs(
            {
                "vpnGatewayId": self.vpn_gateway.id,
                "vpnConnectionId": self.vpn_connection.id,
                "resolverEndpointId": self.resolver_endpoint.id,
                "tunnelLogGroup": self.tunnel_log_group.name,
            }
        )
