"""SecureNetwork: a VPC whose private subnets reach AWS only through VPC endpoints, with every flow logged.

No internet gateway and no NAT unless the stack asks for ``egress: nat-gateway``; the default
security group is emptied so nothing lands in it by accident; flow logs of ALL traffic go to a
KMS-encrypted log group; S3 and DynamoDB gateway endpoints carry policies that confine traffic to
this landing zone's own resources.
"""

from __future__ import annotations

import ipaddress
import json
import math
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import network_policies
from components.naming import base_name, role_name
from components.network_acls import subnet_acls
from components.regions import AMAZON_TIME_SYNC, default_domain_name
from components.settings import Settings

MIN_SUBNET_PREFIX = 20
"""Private subnets are /20 (4,096 addresses) in a /16 or /17 VPC, smaller in smaller VPCs."""
SLOTS_PREFIX_BITS = 3
"""A VPC is cut into at least 2**3 = 8 equal slots, enough for six zones plus room for public subnets."""
PUBLIC_SUBNET_SHRINK_BITS = 4
AWS_SMALLEST_SUBNET = 28
FLOW_LOG_AGGREGATION_SECONDS = 60
HTTPS = 443
GATEWAY_SERVICES = ("s3", "dynamodb")


@dataclass(frozen=True)
class SubnetPlan:
    private: list[str]
    public: list[str]


def _placement(settings: Settings, zone: str) -> dict[str, str]:
    """Subnet placement by AZ ID when the stack lists them (the same physical zone in every account), else by
    name. aws.ec2.Subnet takes either ``availability_zone`` or ``availability_zone_id`` (pulumi-aws Subnet)."""
    return {"availability_zone_id": zone} if settings.zones_are_ids else {"availability_zone": zone}


def plan_subnets(vpc_cidr: str, zone_count: int, *, public: bool) -> SubnetPlan:
    """Carve one private subnet per zone from the start of the VPC and, with NAT egress, one small
    public subnet per zone from its end. Sizes follow the VPC prefix (/16 to /24), so every
    allowed VPC gets the same layout; raises ValueError when the subnets cannot fit."""
    vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    private_prefix = max(vpc.prefixlen + SLOTS_PREFIX_BITS, MIN_SUBNET_PREFIX)
    slots = list(vpc.subnets(new_prefix=private_prefix))
    if zone_count > len(slots):
        raise ValueError(f"vpcCidr {vpc_cidr} has room for {len(slots)} private subnets, not {zone_count}")
    private = [str(slot) for slot in slots[:zone_count]]
    if not public:
        return SubnetPlan(private, [])
    public_prefix = min(private_prefix + PUBLIC_SUBNET_SHRINK_BITS, AWS_SMALLEST_SUBNET)
    per_slot = 2 ** (public_prefix - private_prefix)
    needed_slots = math.ceil(zone_count / per_slot)
    if zone_count + needed_slots > len(slots):
        raise ValueError(
            f"vpcCidr {vpc_cidr} is too small for {zone_count} private and {zone_count} public subnets "
            "(egress: nat-gateway); use a larger VPC (/23 or bigger) or fewer availability zones"
        )
    spare = [sub for slot in slots[-needed_slots:] for sub in slot.subnets(new_prefix=public_prefix)]
    return SubnetPlan(private, [str(sub) for sub in spare[:zone_count]])


class SecureNetwork(pulumi.ComponentResource):
    """Private subnets per zone, endpoint-only egress by default, flow logs of all traffic."""

    vpc: aws.ec2.Vpc
    private_subnets: list[aws.ec2.Subnet]
    private_route_tables: list[aws.ec2.RouteTable]
    public_subnets: list[aws.ec2.Subnet]
    nat_gateways: list[aws.ec2.NatGateway]
    internet_gateway: aws.ec2.InternetGateway | None
    endpoint_security_group: aws.ec2.SecurityGroup
    s3_endpoint: aws.ec2.VpcEndpoint
    dynamodb_endpoint: aws.ec2.VpcEndpoint
    interface_endpoints: dict[str, aws.ec2.VpcEndpoint]
    flow_log: aws.ec2.FlowLog
    flow_log_group: aws.cloudwatch.LogGroup
    egress_mode: str

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        log_key: aws.kms.Key,
        opts: pulumi.ResourceOptions | None = None,
    ):
        # Plan first: a VPC too small for the layout fails before any resource is registered.
        plan = plan_subnets(settings.vpc_cidr, len(settings.zones), public=settings.egress == "nat-gateway")
        super().__init__("glz:network:SecureNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.egress_mode = settings.egress
        self.vpc = aws.ec2.Vpc(
            name,
            cidr_block=settings.vpc_cidr,
            enable_dns_support=True,  # interface endpoints with private DNS need both
            enable_dns_hostnames=True,
            instance_tenancy="default",
            tags={"Name": base_name(settings, stack, "vpc")},
            opts=child,
        )
        # Emptied default security group: anything launched without an explicit group gets no
        # traffic at all, instead of the AWS default "allow all within the group, all out".
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": base_name(settings, stack, "default-sg-unused")},
            opts=child,
        )
        # The VPC's time and name servers, written down rather than implied: the Amazon Time Sync Service every
        # host synchronizes its clock with (3.3.7) and the Amazon DNS server that resolves the interface
        # endpoints' private names. They are what the region's default option set implies ("DHCP option set
        # concepts", Amazon VPC User Guide), so hosts behave the same; the gate (GLZ-NET-012) can now read them.
        self.dhcp_options = aws.ec2.VpcDhcpOptions(
            f"{name}-dhcp",
            domain_name=default_domain_name(settings.region),
            domain_name_servers=["AmazonProvidedDNS"],
            ntp_servers=[AMAZON_TIME_SYNC],
            tags={"Name": base_name(settings, stack, "dhcp")},
            opts=child,
        )
        self.dhcp_association = aws.ec2.VpcDhcpOptionsAssociation(
            f"{name}-dhcp-association", vpc_id=self.vpc.id, dhcp_options_id=self.dhcp_options.id, opts=child
        )
        self._private_network(name, settings, stack, plan)
        self._egress(name, settings, stack, plan)
        self.subnet_acl, self.default_acl = subnet_acls(
            name, settings, stack, self.vpc, [*self.private_subnets, *self.public_subnets], self
        )
        self._flow_logs(name, settings, stack, log_key)
        self._endpoints(name, settings, stack)
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "privateSubnetIds": [s.id for s in self.private_subnets],
                "egressMode": self.egress_mode,
                "s3EndpointId": self.s3_endpoint.id,
                "flowLogGroup": self.flow_log_group.name,
            }
        )

    def _private_network(self, name: str, settings: Settings, stack: str, plan: SubnetPlan) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.private_subnets = []
        self.private_route_tables = []
        for zone, cidr in zip(settings.zones, plan.private, strict=True):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                **_placement(settings, zone),
                map_public_ip_on_launch=False,
                tags={"Name": base_name(settings, stack, f"private-{zone}"), "Tier": "private"},
                opts=child,
            )
            table = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                tags={"Name": base_name(settings, stack, f"private-{zone}"), "Tier": "private"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            self.private_subnets.append(subnet)
            self.private_route_tables.append(table)

    def _egress(self, name: str, settings: Settings, stack: str, plan: SubnetPlan) -> None:
        """Only with egress: nat-gateway: an internet gateway, a public subnet and NAT gateway per
        zone, and a default route from each private route table to its zone's NAT gateway."""
        child = pulumi.ResourceOptions(parent=self)
        self.public_subnets = []
        self.nat_gateways = []
        self.internet_gateway = None
        if settings.egress != "nat-gateway":
            return
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": base_name(settings, stack, "igw")}, opts=child
        )
        public_table = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=self.vpc.id,
            tags={"Name": base_name(settings, stack, "public"), "Tier": "public"},
            opts=child,
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.internet_gateway.id,
            opts=child,
        )
        for zone, cidr, private_table in zip(settings.zones, plan.public, self.private_route_tables, strict=True):
            subnet = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                **_placement(settings, zone),
                map_public_ip_on_launch=False,  # only the NAT gateway lives here, on its Elastic IP
                tags={"Name": base_name(settings, stack, f"public-{zone}"), "Tier": "public"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=subnet.id, route_table_id=public_table.id, opts=child
            )
            address = aws.ec2.Eip(
                f"{name}-nat-{zone}", domain="vpc", tags={"Name": base_name(settings, stack, f"nat-{zone}")}, opts=child
            )
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{zone}",
                allocation_id=address.id,
                subnet_id=subnet.id,
                connectivity_type="public",
                tags={"Name": base_name(settings, stack, f"nat-{zone}")},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.internet_gateway]),
            )
            aws.ec2.Route(
                f"{name}-private-{zone}-default",
                route_table_id=private_table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            self.public_subnets.append(subnet)
            self.nat_gateways.append(nat)

    def _flow_logs(self, name: str, settings: Settings, stack: str, log_key: aws.kms.Key) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/{settings.name_prefix}/{stack}/vpc-flow-logs",
            kms_key_id=log_key.arn,
            retention_in_days=settings.flow_log_retention_days,
            opts=child,
        )
        self.flow_log_role = aws.iam.Role(
            f"{name}-flow-logs",
            name=role_name(settings, stack, "vpc-flow-logs"),
            description="VPC Flow Logs delivery to the flow-log group",
            assume_role_policy=json.dumps(network_policies.flow_log_trust_policy(settings), sort_keys=True),
            opts=child,
        )
        self.flow_log_role_policy = aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=self.flow_log_role.id,
            policy=self.flow_log_group.arn.apply(
                lambda arn: json.dumps(network_policies.flow_log_role_policy(arn), sort_keys=True)
            ),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",  # accepted and rejected: rejected flows are the ones an investigation needs
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=self.flow_log_role.arn,
            max_aggregation_interval=FLOW_LOG_AGGREGATION_SECONDS,
            tags={"Name": base_name(settings, stack, "vpc-flow-log")},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.flow_log_role_policy]),
        )

    def _endpoints(self, name: str, settings: Settings, stack: str) -> None:
        child = pulumi.ResourceOptions(parent=self)
        region = settings.region
        route_table_ids = [t.id for t in self.private_route_tables]
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3-gateway",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=route_table_ids,
            policy=json.dumps(network_policies.s3_endpoint_policy(settings, stack), sort_keys=True),
            tags={"Name": base_name(settings, stack, "s3")},
            opts=child,
        )
        self.dynamodb_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-dynamodb-gateway",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=route_table_ids,
            policy=json.dumps(network_policies.dynamodb_endpoint_policy(settings), sort_keys=True),
            tags={"Name": base_name(settings, stack, "dynamodb")},
            opts=child,
        )
        # Interface endpoints answer HTTPS from inside the VPC; they never start connections, so
        # the group has no egress rule at all.
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            name=base_name(settings, stack, "vpc-endpoints"),
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            vpc_id=self.vpc.id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="HTTPS from the VPC",
                    protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    cidr_blocks=[settings.vpc_cidr],
                ),
                # the lab reaches the S3 interface endpoint over the Site-to-Site VPN (components/onprem)
                *(
                    [
                        aws.ec2.SecurityGroupIngressArgs(
                            description="HTTPS from the lab over the VPN",
                            protocol="tcp",
                            from_port=HTTPS,
                            to_port=HTTPS,
                            cidr_blocks=list(settings.on_premises.cidrs),
                        )
                    ]
                    if settings.on_premises
                    else []
                ),
            ],
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": base_name(settings, stack, "vpc-endpoints")},
            opts=child,
        )
        subnet_ids = [s.id for s in self.private_subnets]
        self.interface_endpoints = {}
        services = list(settings.interface_endpoints)
        if settings.on_premises and "s3" not in services:
            services.append("s3")  # the lab's private way to the buckets (components/onprem)
        gateways = {"s3": self.s3_endpoint, "dynamodb": self.dynamodb_endpoint}
        for service in services:
            dns_options, after, policy = None, [], None
            if service in GATEWAY_SERVICES:
                # A gateway endpoint for the same service exists: private DNS limited to inbound resolver
                # endpoints keeps the gateway serving the VPC and the interface endpoint serving the lab; AWS
                # refuses the flag until the gateway endpoint exists (VPC User Guide, "Private DNS for S3").
                dns_options = aws.ec2.VpcEndpointDnsOptionsArgs(private_dns_only_for_inbound_resolver_endpoint=True)
                after = [gateways[service]]
            if service == "s3":
                policy = json.dumps(network_policies.s3_endpoint_policy(settings, stack), sort_keys=True)
            elif service in network_policies.POLICY_SERVICES:
                policy = json.dumps(network_policies.interface_endpoint_policy(settings), sort_keys=True)
            self.interface_endpoints[service] = aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                dns_options=dns_options,
                policy=policy,
                subnet_ids=subnet_ids,
                security_group_ids=[self.endpoint_security_group.id],
                tags={"Name": base_name(settings, stack, service.replace(".", "-"))},
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )
