"""Network reachability and compute/storage escape hatches: every weakening fails its rule in every form.

Each rule is attacked in at least three equivalent forms (a literal ID or a reference to a stack resource, an
inline list or a separate resource, one CIDR or a set of CIDRs that covers the same addresses), because a
rule answers what the stack allows, not how it was written. CIDR covers of the whole internet are generated
with ``ipaddress`` (0.0.0.0/0 split unevenly into 2..8 blocks). Clean forms that allow nothing pass.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from collections.abc import Callable
from typing import Any

import pytest

from glz.gate import run_rules
from glz.state import StackState
from policies.rules import ALL_RULES, RULES_BY_ID
from tests.mutations import apply, edit_json, find, remove, resources, set_input

Mutation = Callable[[dict], None]
TODAY = dt.date(2026, 11, 23)
PROJECT = "genomics-landing-zone"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # a value a preview does not know yet
OTHER_ACCOUNT = "999988887777"

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
RT = "aws:ec2/routeTable:RouteTable"
DEFAULT_RT = "aws:ec2/defaultRouteTable:DefaultRouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
IGW_ATTACHMENT = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
PROPAGATION = "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation"
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_POLICY = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
EIP = "aws:ec2/eip:Eip"
EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation"
CE = "aws:batch/computeEnvironment:ComputeEnvironment"
JOB = "aws:batch/jobDefinition:JobDefinition"
SNAPSHOT_PERMISSION = "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"
AMI_PERMISSION = "aws:ec2/amiLaunchPermission:AmiLaunchPermission"
SNAPSHOT_COPY = "aws:ebs/snapshotCopy:SnapshotCopy"
AMI_COPY = "aws:ec2/amiCopy:AmiCopy"
SNAPSHOT_PUBLIC_ACCESS = "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"
EFS = "aws:efs/fileSystem:FileSystem"
EFS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
BUCKET = "aws:s3/bucket:Bucket"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
SECURE_NETWORK = "glz:network:SecureNetwork"
COMPUTE = "glz:compute:GenomicsCompute"

PRIVATE_1A = "network-private-us-east-1a"
PRIVATE_1B = "network-private-us-east-1b"
PRIVATE_1C = "network-private-us-east-1c"


# ---- building blocks ----------------------------------------------------------------------------------


def _output(document: dict, typ: str, name: str, key: str) -> Any:
    resource = find(document, typ, name)[0]
    return {**(resource.get("outputs") or {}), **(resource.get("inputs") or {})}.get(key)


def add(typ: str, name: str, props: dict | None = None, refs: dict | None = None, id_: str | None = None) -> Mutation:
    """Add a resource to the stack. ``refs`` maps a property to (type, name, output key): the property takes
    that resource's output (or, with key None, a value a preview does not know) and records the dependency."""

    def mutate(document: dict) -> None:
        values = json.loads(json.dumps(props or {}))
        dependencies: dict[str, list[str]] = {}
        for prop, (target_type, target_name, key) in (refs or {}).items():
            target = find(document, target_type, target_name)[0]
            values[prop] = UNKNOWN if key is None else _output(document, target_type, target_name, key)
            dependencies.setdefault(prop, []).append(target["urn"])
        # a component-only build (tests.test_network.build) may have no Stack resource: then no parent
        stack = next((r["urn"] for r in resources(document) if r["type"] == "pulumi:pulumi:Stack"), None)
        identity = id_ or f"{name}-0123456789"
        resources(document).append(
            {
                "urn": f"urn:pulumi:demo::{PROJECT}::{typ}::{name}",
                "type": typ,
                "custom": True,
                "id": identity,
                **({"parent": stack} if stack else {}),
                "inputs": values,
                "outputs": {**values, "id": identity},
                "propertyDependencies": dependencies,
                "dependencies": sorted({u for us in dependencies.values() for u in us}),
            }
        )

    return mutate


def route(name: str, table: str = PRIVATE_1A, **props: Any) -> Mutation:
    return add(ROUTE, name, props, refs={"routeTableId": (RT, table, "id")})


def route_to_resource(name: str, target_prop: str, target: tuple[str, str], table: str = PRIVATE_1A, **props):
    return add(ROUTE, name, props, refs={"routeTableId": (RT, table, "id"), target_prop: (*target, "id")})


def rogue_igw(name: str = "rogue-igw", **tags: str) -> Mutation:
    return add(IGW, name, {"tags": tags}, refs={"vpcId": (VPC, "network", "id")}, id_="igw-0f00f00f00f00f00f")


def without_association(subnet: str) -> Mutation:
    return remove(ASSOCIATION, subnet)


def set_outputs(typ: str, name: str, key: str, value: Any) -> Mutation:
    def mutate(document: dict) -> None:
        find(document, typ, name)[0].setdefault("outputs", {})[key] = value

    return mutate


def internet_cover(parts: int) -> list[str]:
    """0.0.0.0/0 split into ``parts`` blocks of uneven size (always split the largest block)."""
    blocks = [ipaddress.ip_network("0.0.0.0/0")]
    while len(blocks) < parts:
        blocks.sort(key=lambda n: n.prefixlen)
        blocks = [*blocks[0].subnets(prefixlen_diff=1), *blocks[1:]]
    assert sum(b.num_addresses for b in blocks) == 2**32
    return sorted(str(b) for b in blocks)


def job(name: str, edit: Callable[[dict], None], prop: str = "containerProperties") -> Mutation:
    """Edit the container properties of a job definition (both sections, as an export has them)."""

    def mutate(document: dict) -> None:
        resource = find(document, JOB, name)[0]
        for section in ("inputs", "outputs"):
            container = json.loads(resource[section]["containerProperties"])
            edited = edit(container)
            if prop == "containerProperties":
                resource[section]["containerProperties"] = json.dumps(container)
            else:
                resource[section][prop] = edited if prop == "eksProperties" else json.dumps(edited)

    return mutate


def container(**changes: Any) -> Mutation:
    return job("alignment", lambda c: c.update(changes))


def ecs_form(**changes: Any) -> Mutation:
    """The same job as ecsProperties: a task with the container and its volumes."""

    def edit(c: dict) -> dict:
        task_container = {k: v for k, v in c.items() if k != "volumes"} | {"name": "main", "essential": True}
        task_container.update(changes)
        return {"taskProperties": [{"containers": [task_container], "volumes": c.get("volumes", [])}]}

    return job("variant-calling", edit, "ecsProperties")


def eks_form(container_changes: dict | None = None, **pod_changes: Any) -> Mutation:
    def edit(c: dict) -> dict:
        main = {
            "name": "main",
            "image": c["image"],
            "securityContext": {"readOnlyRootFilesystem": True, "runAsNonRoot": True, "privileged": False},
        }
        main.update(container_changes or {})
        return {"podProperties": {"containers": [main], **pod_changes}}

    return job("variant-calling", edit, "eksProperties")


def volume(source: str) -> Mutation:
    def edit(c: dict) -> None:
        c["volumes"].append({"name": "host", "host": {"sourcePath": source}})
        c["mountPoints"].append({"sourceVolume": "host", "containerPath": "/host", "readOnly": True})

    return job("alignment", edit)


def statement(typ: str, name: str, key: str, sid: str, change: Callable[[dict], None]) -> Mutation:
    def edit(document: dict) -> None:
        change(next(s for s in document["Statement"] if s.get("Sid") == sid))

    return edit_json(typ, name, key, edit)


def s3_endpoint(sid: str, change: Callable[[dict], None]) -> Mutation:
    return statement(ENDPOINT, "network-s3-gateway", "policy", sid, change)


def efs_policy(edit: Callable[[dict], None]) -> Mutation:
    return edit_json(EFS_POLICY, "compute-reference-policy", "policy", edit)


def efs_statement(sid: str, change: Callable[[dict], None]) -> Mutation:
    return statement(EFS_POLICY, "compute-reference-policy", "policy", sid, change)


def compute_environment(name: str, path: list, value: Any) -> Mutation:
    return set_input(CE, name, ["computeResources", *path], value)


def replication(name: str, destination: dict, source: str = "data-variants") -> Mutation:
    return add(
        REPLICATION,
        name,
        {"rules": [{"id": "copy", "status": "Enabled", "filter": {}, "destination": destination}]},
        refs={"bucket": (BUCKET, source, "bucket")},
    )


SPLITS = {n: internet_cover(n) for n in range(2, 9)}

# ---- the weakenings -------------------------------------------------------------------------------------

CASES: list[tuple[str, str, Mutation | list[Mutation]]] = [
    # GLZ-NET-008: a subnet reaches the internet without egress: nat-gateway
    (
        "GLZ-NET-008",
        "default route to a literal internet gateway",
        route("igw", destinationCidrBlock="0.0.0.0/0", gatewayId="igw-0123456789abcdef0"),
    ),
    (
        "GLZ-NET-008",
        "two halves of the internet to a stack internet gateway by reference",
        [
            rogue_igw(),
            route_to_resource("half-1", "gatewayId", (IGW, "rogue-igw"), destinationCidrBlock="0.0.0.0/1"),
            route_to_resource("half-2", "gatewayId", (IGW, "rogue-igw"), destinationCidrBlock="128.0.0.0/1"),
        ],
    ),
    (
        "GLZ-NET-008",
        "inline route to a literal NAT gateway",
        set_input(RT, PRIVATE_1B, ["routes"], [{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-0123456789abcdef0"}]),
    ),
    (
        "GLZ-NET-008",
        "one public range through an internet gateway",
        route("dns", destinationCidrBlock="8.8.8.0/24", gatewayId="igw-0123456789abcdef0"),
    ),
    (
        "GLZ-NET-008",
        "IPv6 default route to an egress-only gateway",
        route("v6", destinationIpv6CidrBlock="::/0", egressOnlyGatewayId="eigw-0123456789abcdef0"),
    ),
    (
        "GLZ-NET-008",
        "a prefix list of unknown contents through an internet gateway",
        route("pl", destinationPrefixListId="pl-63a5400a", gatewayId="igw-0123456789abcdef0"),
    ),
    (
        "GLZ-NET-008",
        "a new main route table with a default route, for a subnet without its own table",
        [
            add(
                RT,
                "rogue-main",
                {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789abcdef0"}]},
                refs={"vpcId": (VPC, "network", "id")},
                id_="rtb-0aaaaaaaaaaaaaaaa",
            ),
            add(
                MAIN_ASSOCIATION,
                "rogue-main",
                refs={"vpcId": (VPC, "network", "id"), "routeTableId": (RT, "rogue-main", "id")},
            ),
            without_association(PRIVATE_1A),
        ],
    ),
    (
        "GLZ-NET-008",
        "the adopted default route table routes to the internet, and a subnet falls back to it",
        [
            add(
                DEFAULT_RT,
                "adopted",
                {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789abcdef0"}]},
                refs={"defaultRouteTableId": (VPC, "network", "defaultRouteTableId")},
            ),
            without_association(PRIVATE_1C),
        ],
    ),
    (
        "GLZ-NET-008",
        "a route added to the VPC's unmanaged main route table",
        [
            add(
                ROUTE,
                "main",
                {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789abcdef0"},
                refs={"routeTableId": (VPC, "network", "mainRouteTableId")},
            ),
            without_association(PRIVATE_1B),
        ],
    ),
    (
        "GLZ-NET-008",
        "a NAT gateway tagged as approved egress while egress is none",
        [
            add(
                NAT,
                "tagged-nat",
                {"connectivityType": "public", "tags": {"Egress": "nat-gateway", "Approved": "true"}},
                refs={"subnetId": (SUBNET, PRIVATE_1C, "id")},
                id_="nat-0bbbbbbbbbbbbbbbb",
            ),
            route_to_resource("to-tagged-nat", "natGatewayId", (NAT, "tagged-nat"), destinationCidrBlock="0.0.0.0/0"),
        ],
    ),
    (
        "GLZ-NET-008",
        "a preview: table and gateway known only by reference",
        [
            rogue_igw(),
            add(
                ROUTE,
                "preview",
                {"destinationCidrBlock": "0.0.0.0/0"},
                refs={"routeTableId": (RT, PRIVATE_1A, None), "gatewayId": (IGW, "rogue-igw", None)},
            ),
        ],
    ),
    (
        "GLZ-NET-008",
        "the internet through an appliance instance",
        route("appliance", destinationCidrBlock="0.0.0.0/0", instanceId="i-0123456789abcdef0"),
    ),
    *[
        (
            "GLZ-NET-008",
            f"0.0.0.0/0 as {n} routes to an internet gateway",
            [
                route(f"split-{i}", destinationCidrBlock=c, gatewayId="igw-0123456789abcdef0")
                for i, c in enumerate(cover)
            ],
        )
        for n, cover in SPLITS.items()
    ],
    # GLZ-NET-009: a subnet reaches another network
    (
        "GLZ-NET-009",
        "private ranges to a literal transit gateway",
        route("tgw", destinationCidrBlock="10.0.0.0/8", transitGatewayId="tgw-0123456789abcdef0"),
    ),
    (
        "GLZ-NET-009",
        "a peering connection of the stack, by reference",
        [
            add(
                PEERING,
                "partner",
                {"peerVpcId": "vpc-0ccccccccccccccc0", "peerOwnerId": OTHER_ACCOUNT},
                refs={"vpcId": (VPC, "network", "id")},
                id_="pcx-0123456789abcdef0",
            ),
            route_to_resource(
                "peer", "vpcPeeringConnectionId", (PEERING, "partner"), destinationCidrBlock="192.168.0.0/16"
            ),
        ],
    ),
    (
        "GLZ-NET-009",
        "VPN routes propagated into a private table",
        set_input(RT, PRIVATE_1A, ["propagatingVgws"], ["vgw-0123456789abcdef0"]),
    ),
    (
        "GLZ-NET-009",
        "a VPN route propagation resource",
        add(
            PROPAGATION, "vpn", {"vpnGatewayId": "vgw-0123456789abcdef0"}, refs={"routeTableId": (RT, PRIVATE_1B, "id")}
        ),
    ),
    (
        "GLZ-NET-009",
        "an inline route to a network interface",
        set_input(
            RT, PRIVATE_1C, ["routes"], [{"cidrBlock": "172.16.0.0/12", "networkInterfaceId": "eni-0123456789abcdef0"}]
        ),
    ),
    (
        "GLZ-NET-009",
        "a private NAT gateway towards an on-premises range",
        [
            add(
                NAT,
                "private-nat",
                {"connectivityType": "private"},
                refs={"subnetId": (SUBNET, PRIVATE_1C, "id")},
                id_="nat-0cccccccccccccccc",
            ),
            route_to_resource("onprem", "natGatewayId", (NAT, "private-nat"), destinationCidrBlock="192.168.0.0/16"),
        ],
    ),
    # GLZ-NET-007: gateways the settings do not choose
    ("GLZ-NET-007", "an internet gateway in the VPC", rogue_igw()),
    ("GLZ-NET-007", "an internet gateway tagged as chosen", rogue_igw(Egress="nat-gateway")),
    (
        "GLZ-NET-007",
        "a detached internet gateway attached separately",
        [
            add(IGW, "detached", {}, id_="igw-0dddddddddddddddd"),
            add(
                IGW_ATTACHMENT,
                "detached",
                refs={"vpcId": (VPC, "network", "id"), "internetGatewayId": (IGW, "detached", "id")},
            ),
        ],
    ),
    (
        "GLZ-NET-007",
        "a NAT gateway tagged as chosen",
        add(NAT, "tagged", {"tags": {"Egress": "nat-gateway"}}, refs={"subnetId": (SUBNET, PRIVATE_1A, "id")}),
    ),
    ("GLZ-NET-007", "an egress-only internet gateway", add(EIGW, "v6", refs={"vpcId": (VPC, "network", "id")})),
    # GLZ-NET-003: security groups admitting public sources
    (
        "GLZ-NET-003",
        "inline ingress from both halves of the internet",
        set_input(
            SG,
            "compute-sg",
            ["ingress"],
            [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]}],
        ),
    ),
    (
        "GLZ-NET-003",
        "an ingress rule from 1.0.0.0/8",
        add(
            SG_INGRESS,
            "one-slash-eight",
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "1.0.0.0/8"},
            refs={"securityGroupId": (SG, "compute-sg", "id")},
        ),
    ),
    (
        "GLZ-NET-003",
        "a legacy rule from ::/0",
        add(
            SG_RULE,
            "v6",
            {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]},
            refs={"securityGroupId": (SG, "network-endpoints", "id")},
        ),
    ),
    (
        "GLZ-NET-003",
        "ingress from a prefix list the stack does not define",
        add(
            SG_INGRESS,
            "pl",
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "prefixListId": "pl-02cd2c6b"},
            refs={"securityGroupId": (SG, "compute-sg", "id")},
        ),
    ),
    (
        "GLZ-NET-003",
        "ingress from a stack prefix list holding a public range",
        [
            add(
                PREFIX_LIST,
                "partners",
                {
                    "addressFamily": "IPv4",
                    "maxEntries": 5,
                    "entries": [{"cidr": "10.1.0.0/16"}, {"cidr": "203.0.113.0/24"}],
                },
                id_="pl-0eeeeeeeeeeeeeeee",
            ),
            add(
                SG_INGRESS,
                "partners",
                {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
                refs={"securityGroupId": (SG, "compute-sg", "id"), "prefixListId": (PREFIX_LIST, "partners", "id")},
            ),
        ],
    ),
    *[
        (
            "GLZ-NET-003",
            f"0.0.0.0/0 as {n} ingress CIDRs",
            set_input(
                SG,
                "compute-reference-efs",
                ["ingress"],
                [{"protocol": "tcp", "fromPort": 2049, "toPort": 2049, "cidrBlocks": cover}],
            ),
        )
        for n, cover in SPLITS.items()
    ],
    # GLZ-NET-010: network ACLs admitting public sources
    (
        "GLZ-NET-010",
        "a network ACL allowing everything in",
        add(
            NACL,
            "open",
            {
                "ingress": [
                    {
                        "ruleNo": 100,
                        "action": "allow",
                        "protocol": "-1",
                        "fromPort": 0,
                        "toPort": 0,
                        "cidrBlock": "0.0.0.0/0",
                    }
                ]
            },
            refs={"vpcId": (VPC, "network", "id")},
        ),
    ),
    (
        "GLZ-NET-010",
        "the default network ACL allowing IPv6 in",
        add(
            DEFAULT_NACL,
            "default",
            {
                "ingress": [
                    {
                        "ruleNo": 100,
                        "action": "allow",
                        "protocol": "-1",
                        "fromPort": 0,
                        "toPort": 0,
                        "ipv6CidrBlock": "::/0",
                    }
                ]
            },
            refs={"vpcId": (VPC, "network", "id"), "defaultNetworkAclId": (VPC, "network", "defaultNetworkAclId")},
        ),
    ),
    (
        "GLZ-NET-010",
        "a separate ACL rule for half the internet",
        add(
            NACL_RULE,
            "half",
            {
                "networkAclId": "acl-0123456789abcdef0",
                "egress": False,
                "ruleNumber": 100,
                "ruleAction": "allow",
                "protocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "cidrBlock": "0.0.0.0/1",
            },
        ),
    ),
    (
        "GLZ-NET-010",
        "a deny of the private ranges before an allow of everything",
        add(
            NACL,
            "narrow-deny",
            {
                "ingress": [
                    {
                        "ruleNo": 90,
                        "action": "deny",
                        "protocol": "-1",
                        "fromPort": 0,
                        "toPort": 0,
                        "cidrBlock": "10.0.0.0/8",
                    },
                    {
                        "ruleNo": 100,
                        "action": "allow",
                        "protocol": "-1",
                        "fromPort": 0,
                        "toPort": 0,
                        "cidrBlock": "0.0.0.0/0",
                    },
                ]
            },
            refs={"vpcId": (VPC, "network", "id")},
        ),
    ),
    (
        "GLZ-NET-010",
        "an ACL rule joined to its ACL by reference",
        [
            add(
                NACL,
                "joined",
                {
                    "ingress": [
                        {
                            "ruleNo": 100,
                            "action": "deny",
                            "protocol": "-1",
                            "fromPort": 0,
                            "toPort": 0,
                            "cidrBlock": "10.0.0.0/8",
                        }
                    ]
                },
                refs={"vpcId": (VPC, "network", "id")},
            ),
            add(
                NACL_RULE,
                "ssh",
                {
                    "egress": False,
                    "ruleNumber": 200,
                    "ruleAction": "allow",
                    "protocol": "6",
                    "fromPort": 22,
                    "toPort": 22,
                    "cidrBlock": "198.51.100.0/24",
                },
                refs={"networkAclId": (NACL, "joined", "id")},
            ),
        ],
    ),
    *[
        (
            "GLZ-NET-010",
            f"0.0.0.0/0 as {n} ACL allow rules",
            add(
                NACL,
                f"split-{n}",
                {
                    "ingress": [
                        {
                            "ruleNo": 100 + i,
                            "action": "allow",
                            "protocol": "-1",
                            "fromPort": 0,
                            "toPort": 0,
                            "cidrBlock": c,
                        }
                        for i, c in enumerate(cover)
                    ]
                },
                refs={"vpcId": (VPC, "network", "id")},
            ),
        )
        for n, cover in SPLITS.items()
    ],
    # GLZ-NET-004: subnets handing out public addresses
    ("GLZ-NET-004", "map public IPs on launch", set_input(SUBNET, PRIVATE_1A, ["mapPublicIpOnLaunch"], True)),
    (
        "GLZ-NET-004",
        "map public IPs on launch, as a string",
        set_input(SUBNET, PRIVATE_1B, ["mapPublicIpOnLaunch"], "true"),
    ),
    (
        "GLZ-NET-004",
        "assign IPv6 addresses on creation",
        set_input(SUBNET, PRIVATE_1C, ["assignIpv6AddressOnCreation"], True),
    ),
    # GLZ-NET-005: S3 endpoint policies that open others' buckets
    (
        "GLZ-NET-005",
        "every bucket as arn:aws:s3:::*",
        s3_endpoint("LandingZoneBucketsOnly", lambda s: s["Resource"].append("arn:aws:s3:::*")),
    ),
    (
        "GLZ-NET-005",
        "every object as arn:aws:s3:::*/*",
        s3_endpoint("AwsOwnedPackageAndImageLayerBuckets", lambda s: s.update(Resource="arn:aws:s3:::*/*")),
    ),
    (
        "GLZ-NET-005",
        "a pattern made of wildcards only",
        s3_endpoint("LandingZoneBucketsOnly", lambda s: s.update(Resource=["arn:aws:s3:::?*", "arn:aws:s3:::?*/*"])),
    ),
    (
        "GLZ-NET-005",
        "NotResource instead of Resource",
        s3_endpoint("LandingZoneBucketsOnly", lambda s: s.update(NotResource=s.pop("Resource"))),
    ),
    (
        "GLZ-NET-005",
        "a statement with no Resource at all",
        s3_endpoint("LandingZoneBucketsOnly", lambda s: s.pop("Resource")),
    ),
    (
        "GLZ-NET-005",
        "NotPrincipal instead of Principal",
        s3_endpoint("AwsOwnedPackageAndImageLayerBuckets", lambda s: s.update(NotPrincipal=s.pop("Principal"))),
    ),
    (
        "GLZ-NET-005",
        "write to another bucket with an action pattern",
        s3_endpoint("AwsOwnedPackageAndImageLayerBuckets", lambda s: s.update(Action=["s3:Get*", "s3:Put*"])),
    ),
    (
        "GLZ-NET-005",
        "a separate endpoint policy resource replaces the inline one",
        add(
            ENDPOINT_POLICY,
            "open",
            {
                "policy": json.dumps(
                    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
                )
            },
            refs={"vpcEndpointId": (ENDPOINT, "network-s3-gateway", "id")},
        ),
    ),
    (
        "GLZ-NET-005",
        "an S3 interface endpoint with the default full-access policy",
        add(
            ENDPOINT,
            "s3-interface",
            {"serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Interface"},
            refs={"vpcId": (VPC, "network", "id")},
        ),
    ),
    # GLZ-CMP-001: the container path to the instance role
    (
        "GLZ-CMP-001",
        "metadata hop limit 2",
        set_input(LT, "compute-launch-template", ["metadataOptions", "httpPutResponseHopLimit"], 2),
    ),
    (
        "GLZ-CMP-001",
        "metadata hop limit as a string",
        set_input(LT, "compute-launch-template", ["metadataOptions", "httpPutResponseHopLimit"], "3"),
    ),
    (
        "GLZ-CMP-001",
        "IMDSv1 allowed",
        set_input(LT, "compute-launch-template", ["metadataOptions", "httpTokens"], "optional"),
    ),
    # GLZ-CMP-003: public addresses on compute
    (
        "GLZ-CMP-003",
        "launch template associates a public IP",
        set_input(LT, "compute-launch-template", ["networkInterfaces"], [{"associatePublicIpAddress": "true"}]),
    ),
    (
        "GLZ-CMP-003",
        "launch template gives an IPv6 address",
        set_input(LT, "compute-launch-template", ["networkInterfaces"], [{"ipv6AddressCount": 1}]),
    ),
    (
        "GLZ-CMP-003",
        "an instance with a public IP",
        add(
            INSTANCE,
            "bastion",
            {"ami": "ami-0abcdef1234567890", "instanceType": "t3.micro", "associatePublicIpAddress": True},
        ),
    ),
    (
        "GLZ-CMP-003",
        "an Elastic IP attached to an instance",
        add(EIP, "bastion", {"domain": "vpc", "instance": "i-0123456789abcdef0"}),
    ),
    (
        "GLZ-CMP-003",
        "an Elastic IP association",
        add(
            EIP_ASSOCIATION,
            "bastion",
            {"allocationId": "eipalloc-0123456789abcdef0", "instanceId": "i-0123456789abcdef0"},
        ),
    ),
    (
        "GLZ-CMP-003",
        "a Fargate job assigning a public IP",
        container(networkConfiguration={"assignPublicIp": "ENABLED"}),
    ),
    # GLZ-CMP-006: image origin and pinning
    ("GLZ-CMP-006", "an image from Docker Hub", container(image="broadinstitute/gatk:4.6.1.0")),
    (
        "GLZ-CMP-006",
        "ECR of another account",
        container(image=f"{OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa-mem2:2.2.1"),
    ),
    (
        "GLZ-CMP-006",
        "ECR of another region",
        container(image="111122223333.dkr.ecr.eu-west-1.amazonaws.com/genomics/bwa-mem2:2.2.1"),
    ),
    (
        "GLZ-CMP-006",
        "a look-alike host",
        container(image="111122223333.dkr.ecr.us-east-1.amazonaws.com.evil.example/genomics/bwa-mem2:2.2.1"),
    ),
    (
        "GLZ-CMP-006",
        "own ECR with :latest",
        container(image="111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa-mem2:latest"),
    ),
    (
        "GLZ-CMP-006",
        "own ECR with no tag",
        container(image="111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa-mem2"),
    ),
    (
        "GLZ-CMP-006",
        "own ECR with a moving tag",
        container(image="111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa-mem2:stable"),
    ),
    (
        "GLZ-CMP-006",
        "another registry allowed by a tag the job definition sets on itself",
        [
            container(image="quay.io/biocontainers/bwa-mem2:2.2.1"),
            set_input(JOB, "alignment", ["tags"], {"AllowedRegistry": "quay.io"}),
        ],
    ),
    ("GLZ-CMP-006", "the same image in ecsProperties", ecs_form(image="docker.io/library/ubuntu:latest")),
    ("GLZ-CMP-006", "the same image in eksProperties", eks_form({"image": "public.ecr.aws/ubuntu/ubuntu:latest"})),
    # GLZ-CMP-009: containers reaching their host
    ("GLZ-CMP-009", "privileged", container(privileged=True)),
    ("GLZ-CMP-009", "privileged as a string", container(privileged="true")),
    ("GLZ-CMP-009", "privileged in ecsProperties", ecs_form(privileged=True)),
    (
        "GLZ-CMP-009",
        "privileged in eksProperties",
        eks_form({"securityContext": {"privileged": True, "readOnlyRootFilesystem": True}}),
    ),
    ("GLZ-CMP-009", "the Docker socket", volume("/var/run/docker.sock")),
    ("GLZ-CMP-009", "the host root", volume("/")),
    ("GLZ-CMP-009", "a path that climbs out of scratch", volume("/scratch/../etc")),
    (
        "GLZ-CMP-009",
        "a host path in an EKS pod",
        eks_form(volumes=[{"name": "host", "hostPath": {"path": "/var/lib/kubelet"}}]),
    ),
    (
        "GLZ-CMP-009",
        "a host device",
        container(linuxParameters={"devices": [{"hostPath": "/dev/mem", "permissions": ["READ"]}]}),
    ),
    ("GLZ-CMP-009", "a device in ecsProperties", ecs_form(linuxParameters={"devices": [{"hostPath": "/dev/sda"}]})),
    ("GLZ-CMP-009", "SYS_ADMIN added", container(linuxParameters={"capabilities": {"add": ["SYS_ADMIN"]}})),
    ("GLZ-CMP-009", "ALL capabilities added", ecs_form(linuxParameters={"capabilities": {"add": ["ALL"]}})),
    (
        "GLZ-CMP-009",
        "NET_ADMIN as CAP_NET_ADMIN",
        container(linuxParameters={"capabilities": {"add": ["CAP_NET_ADMIN"]}}),
    ),
    ("GLZ-CMP-009", "user root", container(user="root")),
    ("GLZ-CMP-009", "user 0", container(user="0")),
    ("GLZ-CMP-009", "user 0:0", ecs_form(user="0:0")),
    (
        "GLZ-CMP-009",
        "runAsUser 0 in EKS",
        eks_form({"securityContext": {"runAsUser": 0, "readOnlyRootFilesystem": True}}),
    ),
    ("GLZ-CMP-009", "writable root filesystem", container(readonlyRootFilesystem=False)),
    ("GLZ-CMP-009", "root filesystem setting removed", job("alignment", lambda c: c.pop("readonlyRootFilesystem"))),
    ("GLZ-CMP-009", "writable root in ecsProperties", ecs_form(readonlyRootFilesystem=False)),
    ("GLZ-CMP-009", "host network in EKS", eks_form(hostNetwork=True)),
    (
        "GLZ-CMP-009",
        "host PID namespace in ecsProperties",
        job(
            "variant-calling",
            lambda c: {
                "taskProperties": [{"containers": [{**c, "name": "main"}], "pidMode": "host", "volumes": c["volumes"]}]
            },
            "ecsProperties",
        ),
    ),
    (
        "GLZ-CMP-009",
        "host IPC namespace in ecsProperties",
        job(
            "variant-calling",
            lambda c: {
                "taskProperties": [{"containers": [{**c, "name": "main"}], "ipcMode": "host", "volumes": c["volumes"]}]
            },
            "ecsProperties",
        ),
    ),
    # GLZ-CMP-010: instances outside the hardened launch template
    ("GLZ-CMP-010", "launch template removed", compute_environment("compute-spot", ["launchTemplate"], None)),
    (
        "GLZ-CMP-010",
        "another template by id",
        compute_environment(
            "compute-on-demand", ["launchTemplate"], {"launchTemplateId": "lt-0fffffffffffffff0", "version": "$Latest"}
        ),
    ),
    (
        "GLZ-CMP-010",
        "another template by name",
        compute_environment(
            "compute-fpga", ["launchTemplate"], {"launchTemplateName": "someone-elses-template", "version": "$Default"}
        ),
    ),
    (
        "GLZ-CMP-010",
        "a second, weak template of the stack by reference",
        [
            add(
                LT,
                "weak-template",
                {"name": "glz-demo-weak", "metadataOptions": {"httpTokens": "optional"}, "latestVersion": 1},
                id_="lt-0eeeeeeeeeeeeeeee",
            ),
            compute_environment(
                "compute-spot", ["launchTemplate"], {"launchTemplateId": "lt-0eeeeeeeeeeeeeeee", "version": "1"}
            ),
        ],
    ),
    (
        "GLZ-CMP-010",
        "an old version of the hardened template",
        [
            set_outputs(LT, "compute-launch-template", "latestVersion", 4),
            compute_environment("compute-spot", ["launchTemplate", "version"], "2"),
        ],
    ),
    (
        "GLZ-CMP-010",
        "an AMI the settings do not name",
        compute_environment("compute-on-demand", ["ec2Configurations", 0, "imageIdOverride"], "ami-0123456789abcdef0"),
    ),
    (
        "GLZ-CMP-010",
        "an AMI in the deprecated imageId",
        compute_environment("compute-spot", ["imageId"], "ami-0fedcba9876543210"),
    ),
    (
        "GLZ-CMP-010",
        "an AMI in the launch template",
        set_input(LT, "compute-launch-template", ["imageId"], "ami-0123456789abcdef0"),
    ),
    ("GLZ-CMP-010", "an unmanaged environment", set_input(CE, "compute-spot", ["type"], "UNMANAGED")),
    ("GLZ-CMP-010", "Fargate", compute_environment("compute-on-demand", ["type"], "FARGATE")),
    # GLZ-CMP-011: snapshots and images that leave the account
    (
        "GLZ-CMP-011",
        "a snapshot shared with another account",
        add(SNAPSHOT_PERMISSION, "share", {"snapshotId": "snap-0123456789abcdef0", "accountId": OTHER_ACCOUNT}),
    ),
    (
        "GLZ-CMP-011",
        "an AMI made public",
        add(AMI_PERMISSION, "public", {"imageId": "ami-0123456789abcdef0", "group": "all"}),
    ),
    (
        "GLZ-CMP-011",
        "an AMI shared with an organization",
        add(
            AMI_PERMISSION,
            "org",
            {
                "imageId": "ami-0123456789abcdef0",
                "organizationArn": "arn:aws:organizations::999988887777:organization/o-abc",
            },
        ),
    ),
    (
        "GLZ-CMP-011",
        "an AMI shared with another account",
        add(AMI_PERMISSION, "account", {"imageId": "ami-0123456789abcdef0", "accountId": OTHER_ACCOUNT}),
    ),
    (
        "GLZ-CMP-011",
        "a snapshot copy",
        add(
            SNAPSHOT_COPY,
            "copy",
            {"sourceSnapshotId": "snap-0123456789abcdef0", "sourceRegion": "us-east-1", "encrypted": True},
        ),
    ),
    (
        "GLZ-CMP-011",
        "an AMI copy",
        add(AMI_COPY, "copy", {"sourceAmiId": "ami-0123456789abcdef0", "sourceAmiRegion": "us-east-1"}),
    ),
    (
        "GLZ-CMP-011",
        "snapshot public sharing unblocked",
        add(SNAPSHOT_PUBLIC_ACCESS, "unblocked", {"state": "unblocked"}),
    ),
    # GLZ-CMP-012: EFS without TLS or open to others
    (
        "GLZ-CMP-012",
        "TLS deny removed",
        efs_policy(lambda d: d.update(Statement=[s for s in d["Statement"] if s["Effect"] != "Deny"])),
    ),
    (
        "GLZ-CMP-012",
        "TLS deny narrowed by an extra condition",
        efs_statement(
            "DenyInsecureTransport",
            lambda s: s["Condition"].update(StringEquals={"aws:PrincipalAccount": OTHER_ACCOUNT}),
        ),
    ),
    (
        "GLZ-CMP-012",
        "TLS deny for one role only",
        efs_statement(
            "DenyInsecureTransport",
            lambda s: s.update(Principal={"AWS": "arn:aws:iam::111122223333:role/glz-demo-batch-job-alignment"}),
        ),
    ),
    (
        "GLZ-CMP-012",
        "TLS deny of ClientWrite only",
        efs_statement("DenyInsecureTransport", lambda s: s.update(Action="elasticfilesystem:ClientWrite")),
    ),
    (
        "GLZ-CMP-012",
        "TLS deny that never applies",
        efs_statement("DenyInsecureTransport", lambda s: s.update(Condition={"Bool": {"aws:SecureTransport": "true"}})),
    ),
    ("GLZ-CMP-012", "file system policy removed", remove(EFS_POLICY)),
    (
        "GLZ-CMP-012",
        "mounts granted to another account",
        efs_statement(
            "ReadOnlyMountThroughAccessPoint",
            lambda s: s.update(Principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}),
        ),
    ),
    (
        "GLZ-CMP-012",
        "mounts granted to anyone",
        efs_statement(
            "ReadOnlyMountThroughAccessPoint", lambda s: s.update(Principal="*") or s["Condition"].pop("ArnEquals")
        ),
    ),
    (
        "GLZ-CMP-012",
        "mounts granted to a bare account id",
        efs_policy(
            lambda d: d["Statement"].append(
                {
                    "Sid": "Partner",
                    "Effect": "Allow",
                    "Principal": {"AWS": OTHER_ACCOUNT},
                    "Action": "elasticfilesystem:ClientMount",
                }
            )
        ),
    ),
    (
        "GLZ-CMP-012",
        "a job mounts EFS without transit encryption",
        job("alignment", lambda c: c["volumes"][2]["efsVolumeConfiguration"].update(transitEncryption="DISABLED")),
    ),
    (
        "GLZ-CMP-012",
        "a job mounts EFS with the default (no) transit encryption",
        job("alignment", lambda c: c["volumes"][2]["efsVolumeConfiguration"].pop("transitEncryption")),
    ),
    # GLZ-CMP-013: replicas outside the stack
    (
        "GLZ-CMP-013",
        "replication to a bucket outside the stack",
        replication("out", {"bucket": "arn:aws:s3:::exfil-drop-bucket"}),
    ),
    (
        "GLZ-CMP-013",
        "replication to another account",
        replication(
            "account", {"bucket": "arn:aws:s3:::glz-demo-results-111122223333-us-east-1", "account": OTHER_ACCOUNT}
        ),
    ),
    (
        "GLZ-CMP-013",
        "replication of a bucket named by its literal name",
        add(
            REPLICATION,
            "literal",
            {
                "bucket": "glz-demo-fastq-111122223333-us-east-1",
                "rules": [{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::partner-archive"}}],
            },
        ),
    ),
    (
        "GLZ-CMP-013",
        "legacy inline replication on the bucket",
        set_input(
            BUCKET,
            "data-bcl",
            ["replicationConfiguration"],
            {
                "role": "arn:aws:iam::111122223333:role/r",
                "rules": [{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::partner-archive"}}],
            },
        ),
    ),
]

CLEAN: list[tuple[str, str, Mutation | list[Mutation]]] = [
    (
        "GLZ-NET-008",
        "private range through an internet gateway carries no internet",
        route("private-igw", destinationCidrBlock="10.99.0.0/16", gatewayId="igw-0123456789abcdef0"),
    ),
    (
        "GLZ-NET-008",
        "a default route in a table no subnet uses",
        add(
            RT,
            "unused",
            {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789abcdef0"}]},
            refs={"vpcId": (VPC, "network", "id")},
        ),
    ),
    (
        "GLZ-NET-008",
        "the explicit local route",
        set_input(RT, PRIVATE_1A, ["routes"], [{"cidrBlock": "10.40.0.0/16", "gatewayId": "local"}]),
    ),
    (
        "GLZ-NET-003",
        "ingress from the private ranges",
        set_input(
            SG,
            "compute-sg",
            ["ingress"],
            [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8", "172.16.0.0/12"]}],
        ),
    ),
    (
        "GLZ-NET-010",
        "deny everything first, then allow everything",
        add(
            NACL,
            "closed",
            {
                "ingress": [
                    {
                        "ruleNo": 100,
                        "action": "deny",
                        "protocol": "-1",
                        "fromPort": 0,
                        "toPort": 0,
                        "cidrBlock": "0.0.0.0/0",
                    },
                    {
                        "ruleNo": 200,
                        "action": "allow",
                        "protocol": "-1",
                        "fromPort": 0,
                        "toPort": 0,
                        "cidrBlock": "0.0.0.0/0",
                    },
                ]
            },
            refs={"vpcId": (VPC, "network", "id")},
        ),
    ),
    (
        "GLZ-CMP-006",
        "own ECR pinned by digest",
        container(image="111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa-mem2@sha256:" + "ab" * 32),
    ),
    (
        "GLZ-CMP-006",
        "a registry the settings allow",
        [
            container(image="quay.io/biocontainers/bwa-mem2:2.2.1"),
            set_outputs(COMPUTE, "compute", "allowedRegistries", ["quay.io"]),
        ],
    ),
    ("GLZ-CMP-009", "another folder of the scratch volume", volume("/scratch/cache/")),
    ("GLZ-CMP-009", "a non-root user", container(user="1000:1000")),
    (
        "GLZ-CMP-010",
        "the launch template at $Latest",
        compute_environment("compute-spot", ["launchTemplate", "version"], "$Latest"),
    ),
    (
        "GLZ-CMP-011",
        "a snapshot shared with this account only",
        add(SNAPSHOT_PERMISSION, "self", {"snapshotId": "snap-0123456789abcdef0", "accountId": "111122223333"}),
    ),
    (
        "GLZ-CMP-013",
        "replication between buckets of the stack",
        replication("inside", {"bucket": "arn:aws:s3:::glz-demo-results-111122223333-us-east-1"}),
    ),
    (
        "GLZ-CMP-013",
        "the audit bucket replicated to a log-archive account",
        replication(
            "archive", {"bucket": "arn:aws:s3:::org-log-archive", "account": OTHER_ACCOUNT}, source="audit-bucket"
        ),
    ),
]


def _mutations(change: Mutation | list[Mutation]) -> list[Mutation]:
    return change if isinstance(change, list) else [change]


def gate(document: dict):
    return run_rules(StackState(document), ALL_RULES, [], today=TODAY)


@pytest.fixture(scope="module")
def baseline(demo_state_document):
    assert gate(demo_state_document).failed_rule_ids() == set(), "the demo stack must be clean before mutating it"
    return demo_state_document


@pytest.mark.parametrize(("rule", "name", "change"), CASES, ids=[f"{r}: {n}" for r, n, _ in CASES])
def test_weakening_fails_its_rule(baseline, rule, name, change):
    result = gate(apply(baseline, *_mutations(change)))
    assert rule in result.failed_rule_ids(), f"{name}: expected {rule}, got {sorted(result.failed_rule_ids())}"


@pytest.mark.parametrize(("rule", "name", "change"), CLEAN, ids=[f"{r}: {n}" for r, n, _ in CLEAN])
def test_what_allows_nothing_passes(baseline, rule, name, change):
    result = gate(apply(baseline, *_mutations(change)))
    assert rule not in result.failed_rule_ids(), [f.message for f in result.findings if f.rule_id == rule]


NEW_RULES = (
    "GLZ-NET-008",
    "GLZ-NET-009",
    "GLZ-NET-010",
    "GLZ-CMP-009",
    "GLZ-CMP-010",
    "GLZ-CMP-011",
    "GLZ-CMP-012",
    "GLZ-CMP-013",
)
WIDENED = ("GLZ-NET-003", "GLZ-NET-004", "GLZ-NET-005", "GLZ-NET-007", "GLZ-CMP-001", "GLZ-CMP-003", "GLZ-CMP-006")


def test_every_rule_is_attacked_in_at_least_three_forms():
    for rule in NEW_RULES + WIDENED:
        assert sum(1 for r, _, _ in CASES if r == rule) >= 3, rule


def test_new_rules_name_requirements_and_a_setting():
    for rule_id in NEW_RULES:
        rule = RULES_BY_ID[rule_id]
        assert rule.requirements.r2 and rule.requirements.r3 and rule.requirements.hipaa, rule_id
        assert "Pulumi.<stack>.yaml" in rule.remediation or "components/" in rule.remediation, rule_id


def test_internet_covers_cover_everything():
    for n, cover in SPLITS.items():
        networks = [ipaddress.ip_network(c) for c in cover]
        assert len(networks) == n
        assert list(ipaddress.collapse_addresses(networks)) == [ipaddress.ip_network("0.0.0.0/0")]


def test_scratch_path_is_the_components():
    from components.compute_policies import SCRATCH_MOUNT
    from policies.rules import compute

    assert compute.SCRATCH_MOUNT == SCRATCH_MOUNT


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/gatk:4.6.1.0", True),
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/gatk:v4.6", True),
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/gatk@sha256:" + "0" * 64, True),
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/gatk:latest@sha256:" + "0" * 64, True),
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com:443/genomics/gatk:4.6.1.0", True),
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/gatk:latest", False),
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/gatk", False),
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/gatk:nightly", False),
    ],
)
def test_image_pinning(image, pinned):
    from policies.rules.compute import image_problems

    assert (image_problems(image, "111122223333", "us-east-1", set()) == []) is pinned


def test_a_stack_that_chose_nat_egress_passes_and_the_same_network_without_the_choice_fails():
    """SecureNetwork with egress: nat-gateway: its NAT routes and internet gateway pass; the same resources
    with the recorded setting flipped to none fail, whatever the resources' own tags say."""
    from tests.harness import make_settings
    from tests.test_network import build

    settings = make_settings(egress="nat-gateway", availabilityZoneCount=3, vpcCidr="10.50.0.0/18")
    state, _ = build(settings)
    rules = [RULES_BY_ID[r] for r in ("GLZ-NET-007", "GLZ-NET-008", "GLZ-NET-009", "GLZ-NET-010", "GLZ-CMP-003")]
    chosen = run_rules(state, rules, [], today=TODAY)
    assert chosen.failed_rule_ids() == set(), [f.message for f in chosen.findings if f.status == "failed"]
    # As a deployed export shows it, the NAT gateway's Elastic IP is associated with the gateway's interface.
    deployed = apply(
        state.document, set_outputs(EIP, "net-nat-us-east-1a", "networkInterface", "eni-0123456789abcdef0")
    )
    assert run_rules(StackState(deployed), rules, [], today=TODAY).failed_rule_ids() == set()
    flipped = apply(state.document, set_outputs(SECURE_NETWORK, "net", "egressMode", "none"))
    failed = run_rules(StackState(flipped), rules, [], today=TODAY).failed_rule_ids()
    assert {"GLZ-NET-007", "GLZ-NET-008"} <= failed
    # With the choice made, a private subnet's direct route to the internet gateway is still not NAT egress.
    direct = apply(
        state.document,
        add(
            ROUTE,
            "direct",
            {"destinationCidrBlock": "0.0.0.0/0"},
            refs={"routeTableId": (RT, "net-private-us-east-1a", "id"), "gatewayId": (IGW, "net-igw", "id")},
        ),
    )
    assert "GLZ-NET-008" in run_rules(StackState(direct), rules, [], today=TODAY).failed_rule_ids()


def _probe(matrix, name: str):
    return next(p for row in matrix.all_rows() for p in row.probes if p.name == name)


@pytest.mark.parametrize(
    ("probe", "change", "words"),
    [
        (
            "private_network",
            route("igw", destinationCidrBlock="0.0.0.0/0", gatewayId="igw-0123456789abcdef0"),
            "igw-0123456789abcdef0",
        ),
        ("compute_isolation", volume("/var/run/docker.sock"), "/var/run/docker.sock"),
        ("container_image_provenance", container(image="docker.io/library/ubuntu:latest"), "docker.io"),
        (
            "reference_efs",
            efs_policy(lambda d: d.update(Statement=[s for s in d["Statement"] if s["Effect"] != "Deny"])),
            "NOT enforced",
        ),
        (
            "compute_encrypted_volumes",
            add(SNAPSHOT_PERMISSION, "share", {"snapshotId": "snap-0123456789abcdef0", "accountId": OTHER_ACCOUNT}),
            OTHER_ACCOUNT,
        ),
    ],
)
def test_matrix_sentence_follows_the_property(demo_state_document, demo_matrix, probe, change, words):
    from tests.conftest import matrix_of

    before = _probe(demo_matrix, probe)
    after = _probe(matrix_of(apply(demo_state_document, change)), probe)
    assert before.satisfied and not after.satisfied
    assert after.summary != before.summary and words in after.summary and words not in before.summary
