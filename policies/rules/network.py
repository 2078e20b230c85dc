"""Network isolation: flow logs, default security group, ingress, endpoints, egress and what every subnet reaches.

Address ranges are judged by the addresses they admit (``ipaddress``), never by how they are written:
``0.0.0.0/1`` plus ``128.0.0.0/1`` is the whole internet, and any range that is not inside RFC 1918
(IPv4) or the unique-local range fc00::/7 (IPv6) holds public addresses. Route targets and prefix lists
are recognised by reference to a stack resource or by a literal ID (``igw-``, ``nat-``, ``tgw-``...).
Whether internet egress is allowed is read from the settings as the network component records them
(SecureNetwork's ``egressMode`` output, else the stack's ``egress`` output), never from a tag a
resource sets on itself.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from policies.access import catalog
from policies.access.document import statements as normalized
from policies.framework import (
    STACK_TYPE,
    Requirements,
    StackView,
    View,
    Violation,
    as_list,
    resource_rule,
    stack_rule,
)

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_POLICY = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"
BUCKET = "aws:s3/bucket:Bucket"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
MAIN_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
PROPAGATION = "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation"
IGW = "aws:ec2/internetGateway:InternetGateway"
IGW_ATTACHMENT = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
SECURE_NETWORK = "glz:network:SecureNetwork"
NAT_EGRESS = "nat-gateway"
"""The one value of the `egress` setting that allows internet egress (components/settings.py)."""

BOUNDARY = Requirements(r2=("3.13.1", "3.13.5"), r3=("03.13.01",), hipaa=("164.312(e)(1)",))
DENY_DEFAULT = Requirements(r2=("3.13.6",), r3=("03.13.06",), hipaa=("164.312(e)(1)",))
MONITORING = Requirements(r2=("3.3.1", "3.13.1"), r3=("03.03.01", "03.13.01"), hipaa=("164.312(b)",))
FLOW_CONTROL = Requirements(r2=("3.1.3", "3.13.1"), r3=("03.01.03", "03.13.01"), hipaa=("164.312(e)(1)",))
EGRESS_BY_EXCEPTION = Requirements(r2=("3.13.1", "3.13.6"), r3=("03.13.01", "03.13.06"), hipaa=("164.312(e)(1)",))
REQUIRED_INTERFACE_SERVICES = ("kms", "sts", "logs", "ecr.api", "ecr.dkr", "ecs", "batch")
SETTINGS_FILE = "Pulumi.<stack>.yaml"

# Pulumi CrossGuard's placeholders for values a preview does not know yet (pulumi_policy/proxy.py): two
# unknown IDs are not the same resource, so they never join.
UNKNOWN = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


# ---- joins ----------------------------------------------------------------------------------------


def _known(value: Any) -> str | None:
    """A property value usable to join on: a non-empty string that is not a preview placeholder."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value)
        return text if text and text not in UNKNOWN else None
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _linked(resource: View, prop: str, target: View) -> bool:
    """``resource.prop`` points at ``target``: by property dependency, or by value equal to its id."""
    if target.urn in (resource.property_dependencies.get(prop) or []):
        return True
    value = _known(resource.get(prop))
    return value is not None and value in _identities(target)


def _identities(view: View) -> set[str]:
    """The values other resources use to name ``view``: its id and ARN, and for a default route table or
    network ACL the id of the VPC default it adopts."""
    found = {_known(view.get(key)) for key in ("id", "arn", "defaultRouteTableId", "defaultNetworkAclId")}
    return {v for v in found if v}


class _Index:
    """The stack's resources by every identity (id, ARN) and by physical name, built once per stack."""

    def __init__(self, stack: StackView):
        self.stack = stack
        self.by_identity: dict[str, View] = {}
        self.position: dict[str, int] = {}
        self.types: dict[str, list[View]] = {}
        for position, resource in enumerate(stack.resources):
            self.position.setdefault(resource.urn, position)
            self.types.setdefault(resource.type, []).append(resource)
            for identity in _identities(resource):
                self.by_identity.setdefault(identity, resource)
        self._pointing: dict[tuple[str, str], dict[str, list[View]]] = {}

    def of_type(self, *types: str) -> list[View]:
        found = [r for t in dict.fromkeys(types) for r in self.types.get(t, ())]
        return sorted(found, key=lambda r: self.position[r.urn]) if len(types) > 1 else found

    def pointing_at(self, typ: str, prop: str, keys: Iterable[str]) -> list[View]:
        """Resources of ``typ`` whose ``prop`` names one of ``keys`` (URNs by property dependency, or
        IDs by value), in state order."""
        index = self._pointing.get((typ, prop))
        if index is None:
            index = {}
            for resource in self.types.get(typ, ()):
                # the value when the state has one; the dependency only where the value is not known (a preview)
                value = _known(resource.get(prop))
                names = {value} if value is not None else set(resource.property_dependencies.get(prop) or [])
                for name in names:
                    index.setdefault(name, []).append(resource)
            self._pointing[(typ, prop)] = index
        found = {r.urn: r for key in keys for r in index.get(key, ())}
        return sorted(found.values(), key=lambda r: self.position[r.urn])

    def linked_to(self, typ: str, prop: str, target: View) -> list[View]:
        """Resources of ``typ`` whose ``prop`` points at ``target`` (as ``_linked`` judges one pair)."""
        return self.pointing_at(typ, prop, {target.urn} | _identities(target))

    def resolve(self, resource: View, prop: str, value: Any, types: Iterable[str] = ()) -> View | None:
        """The stack resource ``value`` (a property of ``resource``) names: by id or ARN, else, for a value a
        preview does not know, by the property dependency of ``prop`` on a resource of one of ``types``."""
        known = _known(value)
        if known is not None:
            return self.by_identity.get(known)
        wanted = set(types)
        for urn in resource.property_dependencies.get(prop) or []:
            target = self.stack.by_urn.get(urn)
            if target is not None and (not wanted or target.type in wanted):
                return target
        return None


def _index(stack: StackView) -> _Index:
    cached = getattr(stack, "_glz_network_index", None)
    if cached is None:
        cached = _Index(stack)
        stack._glz_network_index = cached  # type: ignore[attr-defined]
    return cached


def _vpc_of(stack: StackView, resource: View, prop: str = "vpcId") -> View | None:
    return _index(stack).resolve(resource, prop, resource.get(prop), (VPC,))


# ---- address space ----------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PRIVATE_RANGES: tuple[Network, ...] = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("fc00::/7"),  # IPv6 unique local addresses, the RFC 1918 of IPv6
)


def parse_cidr(value: Any) -> Network | None:
    """A CIDR (or a bare address, as a /32 or /128) as a network; None when unreadable."""
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return None


def is_private(network: Network) -> bool:
    """Inside one private range. A block that is in none of them holds public addresses: a CIDR block
    spanning two private ranges necessarily spans the public addresses between them."""
    return any(network.version == p.version and network.subnet_of(p) for p in PRIVATE_RANGES)  # type: ignore[arg-type]


def public_part(networks: Iterable[Network]) -> list[Network]:
    """The public addresses of ``networks``: what is left once the private ranges are taken out."""
    return subtract(networks, PRIVATE_RANGES)


def subtract(networks: Iterable[Network], minus: Iterable[Network]) -> list[Network]:
    """Address set difference, as a list of disjoint networks."""
    result = list(networks)
    for cut in minus:
        remaining: list[Network] = []
        for network in result:
            if network.version != cut.version or not network.overlaps(cut):
                remaining.append(network)
            elif network.subnet_of(cut):  # type: ignore[arg-type]
                continue
            else:
                remaining.extend(network.address_exclude(cut))  # type: ignore[arg-type]
        result = remaining
    return result


def describe(networks: Iterable[Network], limit: int = 3) -> str:
    items = [str(n) for n in networks]
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


@dataclass(frozen=True)
class AddressSet:
    """Destinations or sources of a rule: known networks, or unknown (a prefix list outside the stack,
    an unreadable CIDR), which counts as everything."""

    networks: tuple[Network, ...] = ()
    unknown: tuple[str, ...] = ()

    def public(self) -> list[Network]:
        return public_part(self.networks)

    @property
    def admits_public(self) -> bool:
        return bool(self.unknown) or bool(self.public())

    def label(self) -> str:
        parts = [describe(self.networks)] if self.networks else []
        return ", ".join(parts + [f"{u} (contents unknown to the stack)" for u in self.unknown])


def _prefix_list_entries(stack: StackView, reference: View, prop: str, value: Any) -> AddressSet:
    """The CIDRs of a managed prefix list, by reference to one in the stack (its inline entries and its
    ManagedPrefixListEntry resources); a prefix list the stack does not define is unknown."""
    prefix_list = _index(stack).resolve(reference, prop, value, (PREFIX_LIST,))
    label = str(_known(value) or "a prefix list")
    if prefix_list is None or prefix_list.type != PREFIX_LIST:
        return AddressSet(unknown=(label,))
    cidrs = [e.get("cidr") for e in as_list(prefix_list.get("entries")) if isinstance(e, dict)]
    cidrs += [e.get("cidr") for e in _index(stack).linked_to(PREFIX_LIST_ENTRY, "prefixListId", prefix_list)]
    return _address_set(cidrs)


def _address_set(cidrs: Iterable[Any]) -> AddressSet:
    networks, unknown = [], []
    for cidr in cidrs:
        if cidr in (None, ""):
            continue
        network = parse_cidr(cidr)
        if network is None:
            unknown.append(f"unreadable CIDR {cidr!r}")
        else:
            networks.append(network)
    return AddressSet(tuple(networks), tuple(unknown))


# ---- the egress setting -----------------------------------------------------------------------------


def egress_setting(stack: StackView, vpc: View | None) -> str:
    """The `egress` setting that governs ``vpc``: the egressMode the SecureNetwork component owning it
    recorded from the settings; else the stack's `egress` output; else "none" (the secure default)."""
    components = [c for c in _index(stack).of_type(SECURE_NETWORK) if c.get("egressMode")]
    if vpc is not None:
        parent = vpc.parent
        while parent:
            owner = stack.by_urn.get(parent)
            if owner is None:
                break
            if owner.type == SECURE_NETWORK:
                return str(owner.get("egressMode") or "none")
            parent = owner.parent
    if len(components) == 1 and (vpc is None or vpc.parent is None):
        return str(components[0].get("egressMode"))
    outputs = next((r.props for r in _index(stack).of_type(STACK_TYPE)), {})
    return str(outputs.get("egress") or "none")


# ---- rules ------------------------------------------------------------------------------------------


@stack_rule(
    "GLZ-NET-001",
    "vpc-flow-logs-all-traffic",
    "high",
    MONITORING,
    "Add an aws.ec2.FlowLog with traffic_type ALL for the VPC (SecureNetwork does this).",
)
def flow_logs(stack: StackView) -> Iterator[Violation]:
    """Every VPC records flow logs of ALL traffic (accepted and rejected)."""
    for vpc in stack.of_type(VPC):
        logs = _index(stack).linked_to(FLOW_LOG, "vpcId", vpc)
        if not logs:
            yield Violation(vpc.urn, "VPC has no flow log")
        elif not any(f.get("trafficType") == "ALL" for f in logs):
            yield Violation(vpc.urn, f"flow logs record {sorted({f.get('trafficType') for f in logs})}, not ALL")


@resource_rule(
    "GLZ-NET-002",
    "default-security-group-has-no-rules",
    ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",),
    "high",
    DENY_DEFAULT,
    "Manage the default security group with no ingress and no egress rules.",
)
def default_sg(resource: View, stack: StackView) -> Iterator[str]:
    """The VPC's default security group allows nothing, so nothing lands in it by accident with open rules."""
    if as_list(resource.get("ingress")):
        yield "default security group has ingress rules"
    if as_list(resource.get("egress")):
        yield "default security group has egress rules"
    identities = {str(resource.get(k)) for k in ("id", "arn") if resource.get(k)}
    for rule in stack.of_type(SG_INGRESS_RULE, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", SG_RULE):
        if str(rule.get("securityGroupId")) in identities or (
            resource.urn in (rule.property_dependencies.get("securityGroupId") or [])
            and rule.get("securityGroupId") is None
        ):
            yield f"rule {rule.name} added to the default security group"


def _sources(stack: StackView, rule: View, entry: dict[str, Any], prop: str) -> AddressSet:
    """Every source address an ingress entry admits: its IPv4 and IPv6 CIDRs and its prefix lists."""
    cidrs = as_list(entry.get("cidrBlocks")) + as_list(entry.get("ipv6CidrBlocks"))
    cidrs += [entry.get("cidrIpv4"), entry.get("cidrIpv6")]
    found = _address_set(cidrs)
    networks, unknown = list(found.networks), list(found.unknown)
    for prefix_list in as_list(entry.get("prefixListIds")) + as_list(entry.get("prefixListId")):
        entries = _prefix_list_entries(stack, rule, prop, prefix_list)
        networks += entries.networks
        unknown += entries.unknown
    return AddressSet(tuple(networks), tuple(unknown))


def _public_sources(sources: AddressSet) -> str:
    """The declared ranges that hold public addresses, as written (0.0.0.0/1, 128.0.0.0/1), and unknown ones."""
    parts = [describe(n for n in sources.networks if not is_private(n))] if sources.admits_public else []
    parts = [p for p in parts if p]
    parts += [f"{u} (contents unknown to the stack)" for u in sources.unknown]
    return ", ".join(parts)


@stack_rule(
    "GLZ-NET-003",
    "no-ingress-from-public-addresses",
    "critical",
    BOUNDARY,
    "Limit ingress to the VPC CIDR (vpcCidr in Pulumi.<stack>.yaml) or to security groups; never a range "
    "with public addresses (0.0.0.0/0, ::/0, 0.0.0.0/1, 1.0.0.0/8, ...) or a prefix list the stack does not define.",
)
def no_open_ingress(stack: StackView) -> Iterator[Violation]:
    """No security group admits traffic from a public address range (only RFC 1918 / fc00::/7 sources)."""
    for group in stack.of_type(SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for entry in as_list(group.get("ingress")):
            if isinstance(entry, dict):
                sources = _sources(stack, group, entry, "ingress")
                if sources.admits_public:
                    yield Violation(
                        group.urn,
                        f"ingress port {entry.get('fromPort')} admits public addresses: {_public_sources(sources)}",
                    )
    for rule in stack.of_type(SG_RULE):
        if str(rule.get("type", "")).lower() == "ingress":
            sources = _sources(stack, rule, rule.props, "prefixListIds")
            if sources.admits_public:
                yield Violation(rule.urn, f"ingress rule admits public addresses: {_public_sources(sources)}")
    for rule in stack.of_type(SG_INGRESS_RULE):
        sources = _sources(stack, rule, rule.props, "prefixListId")
        if sources.admits_public:
            yield Violation(rule.urn, f"ingress rule admits public addresses: {_public_sources(sources)}")


@resource_rule(
    "GLZ-NET-004",
    "subnets-private",
    (SUBNET,),
    "high",
    BOUNDARY,
    "Set map_public_ip_on_launch=False and assign_ipv6_address_on_creation=False on subnets that hold workloads.",
)
def private_subnets(resource: View, stack: StackView) -> Iterator[str]:
    """Subnets never hand out public IPv4 or (globally routable) IPv6 addresses on launch."""
    if _truthy(resource.get("mapPublicIpOnLaunch")):
        yield "subnet maps public IPs on launch"
    if _truthy(resource.get("assignIpv6AddressOnCreation")):
        yield "subnet assigns a globally routable IPv6 address to every network interface it launches"
    if _truthy(resource.get("mapCustomerOwnedIpOnLaunch")):
        yield "subnet maps customer-owned IPs (an on-premises network's addresses) on launch"


READ_ONLY_OBJECT_ACTIONS = frozenset({"s3:getobject", "s3:getobjectversion"})
"""What the S3 endpoint may allow on buckets the landing zone does not own (compared ignoring case, as IAM does)."""
AWS_OWNED_SUFFIXED_BUCKET = re.compile(r"^al2023-repos-[a-z]{2}(-gov)?-[a-z]+-\d-\*$")
"""The one AWS-owned bucket the endpoint names by pattern: the Amazon Linux 2023 repository bucket of a
region, whose name ends in a suffix AWS chooses (al2023-repos-<region>-*)."""
S3_SERVICE = re.compile(r"(^|\.)s3(express|-global|-outposts)?(\.|$)")
"""S3 endpoint services, gateway or interface: com.amazonaws.<region>.s3, s3express, s3-global.accesspoint."""


def _bucket_and_key(resource: str) -> tuple[str, str | None]:
    """(bucket, key or None) of an S3 ARN; ('*', None) for '*' and ARNs of other services."""
    if ":s3:::" not in resource:
        return "*", None
    bucket, slash, key = resource.split(":s3:::", 1)[1].partition("/")
    return bucket, key if slash else None


def _every_bucket(bucket: str) -> bool:
    """A bucket pattern made of wildcards only ('*', '?*', '**') matches every bucket name."""
    return bucket == "" or (set(bucket) <= {"*", "?"} and "*" in bucket)


def _granted_actions(pattern: str) -> set[str]:
    """The actions an action pattern grants, lower-cased, wildcards expanded by the IAM catalog (an
    unknown action is kept as written). A wildcard over services ('*', '*:Get*') grants more than any
    read-only set, so it is kept as written."""
    service = pattern.partition(":")[0]
    if ("*" in pattern or "?" in pattern) and not ("*" in service or "?" in service):
        expanded = {a.lower() for a in catalog.expand(pattern)}
        if expanded:
            return expanded
    return {pattern.lower()}


def endpoint_policies_in_force(stack: StackView, endpoint: View) -> list[tuple[View, Any]]:
    """The policies in force on an endpoint: a VpcEndpointPolicy resource replaces the inline policy."""
    separate = _index(stack).linked_to(ENDPOINT_POLICY, "vpcEndpointId", endpoint)
    if separate:
        return [(p, p.get("policy")) for p in separate]
    return [(endpoint, endpoint.get("policy"))]


def _endpoint_policy_problems(document: Any, own: set[str]) -> Iterator[str]:
    found = normalized(document)
    allows = [s for s in found if s.allow]
    if not allows:
        yield "S3 endpoint has no restrictive policy (defaults to full access)"
    for statement in allows:
        sid = statement.sid
        if statement.not_resources or statement.not_actions or statement.not_principals:
            yield f"S3 endpoint statement {sid} uses NotResource, NotAction or NotPrincipal"
            continue
        resources = list(statement.resources) or ["*"]  # no Resource element: every resource
        if any(_every_bucket(_bucket_and_key(r)[0]) for r in resources):
            yield f"S3 endpoint statement {sid} allows every bucket"
            continue
        # Buckets of others: a compromised job must not be able to write (or list) there, and a
        # pattern would match buckets anyone can create, e.g. to receive data in request keys.
        foreign = [r for r in resources if _bucket_and_key(r)[0] not in own]
        if not foreign or not own:
            continue
        wider = [a for a in statement.actions if not _granted_actions(a) <= READ_ONLY_OBJECT_ACTIONS]
        if wider:
            yield (
                f"S3 endpoint statement {sid} allows {', '.join(wider)} "
                f"on buckets outside the landing zone ({', '.join(foreign)}); allow only s3:GetObject there"
            )
        for resource in foreign:
            bucket, key = _bucket_and_key(resource)
            if key is None:
                yield f"S3 endpoint statement {sid} names the bucket {resource}, not its objects"
            if ("*" in bucket or "?" in bucket) and not AWS_OWNED_SUFFIXED_BUCKET.match(bucket):
                yield (
                    f"S3 endpoint statement {sid} names buckets by the pattern {bucket}, which matches "
                    "buckets anyone can create"
                )


@stack_rule(
    "GLZ-NET-005",
    "s3-endpoint-restricted",
    "high",
    FLOW_CONTROL,
    "Give every VPC an S3 gateway endpoint whose policy lists this landing zone's buckets, not '*', and allows "
    "other buckets only read-only (s3:GetObject) by exact name (components/network_policies.s3_endpoint_policy); "
    "the same for any S3 interface endpoint and any aws.ec2.VpcEndpointPolicy that replaces a policy.",
)
def s3_endpoint(stack: StackView) -> Iterator[Violation]:
    """Each VPC's S3 endpoints (gateway or interface) name buckets, not '*'; other owners' buckets are read-only, by exact name."""
    own = {str(b.get("bucket") or b.get("id") or "") for b in stack.of_type(BUCKET)} - {""}
    endpoints = [e for e in stack.of_type(ENDPOINT) if S3_SERVICE.search(str(e.get("serviceName", "")))]
    s3_urns = {e.urn for e in endpoints}
    for vpc in stack.of_type(VPC):
        if not any(e.urn in s3_urns for e in _index(stack).linked_to(ENDPOINT, "vpcId", vpc)):
            yield Violation(vpc.urn, "VPC has no S3 gateway endpoint")
    for endpoint in endpoints:
        for holder, document in endpoint_policies_in_force(stack, endpoint):
            for problem in _endpoint_policy_problems(document, own):
                yield Violation(holder.urn, problem)


@stack_rule(
    "GLZ-NET-006",
    "interface-endpoints-cover-compute-and-audit",
    "medium",
    FLOW_CONTROL,
    "Keep interface endpoints (private DNS on) for kms, sts, logs, ecr.api, ecr.dkr, ecs and batch.",
)
def interface_endpoints(stack: StackView) -> Iterator[Violation]:
    """Private subnets reach the AWS APIs compute and audit need through interface endpoints with private DNS."""
    for vpc in stack.of_type(VPC):
        services = {}
        for endpoint in _index(stack).linked_to(ENDPOINT, "vpcId", vpc):
            if endpoint.get("vpcEndpointType") == "Interface":
                services[str(endpoint.get("serviceName", "")).split(".", 3)[-1]] = endpoint
        missing = [s for s in REQUIRED_INTERFACE_SERVICES if s not in services]
        if missing:
            yield Violation(vpc.urn, f"no interface endpoint for {', '.join(missing)}")
        for service, endpoint in sorted(services.items()):
            if endpoint.get("privateDnsEnabled") is not True:
                yield Violation(endpoint.urn, f"{service} endpoint has private DNS off")


@stack_rule(
    "GLZ-NET-007",
    "no-internet-gateway-without-explicit-egress",
    "high",
    BOUNDARY,
    f"Remove the gateway, or set egress: nat-gateway in {SETTINGS_FILE} so the choice is explicit and visible.",
)
def no_internet_path(stack: StackView) -> Iterator[Violation]:
    """Internet, egress-only and NAT gateways exist only where the settings choose egress: nat-gateway."""
    vpcs = stack.of_type(VPC)
    only_vpc = vpcs[0] if len(vpcs) == 1 else None

    def setting_for(resource: View, prop: str = "vpcId") -> str:
        vpc = _vpc_of(stack, resource, prop)
        if vpc is None and prop == "vpcId":
            for attachment in _index(stack).linked_to(IGW_ATTACHMENT, "internetGatewayId", resource):
                vpc = _vpc_of(stack, attachment)
                break
        return egress_setting(stack, vpc or only_vpc)

    for gateway in stack.of_type(IGW):
        if setting_for(gateway) != NAT_EGRESS:
            yield Violation(gateway.urn, "internet gateway without the explicit NAT egress setting")
    for gateway in stack.of_type(EIGW):
        yield Violation(
            gateway.urn, "egress-only internet gateway: IPv6 internet egress is not a setting of this stack"
        )
    for nat in stack.of_type(NAT):
        subnet = _index(stack).resolve(nat, "subnetId", nat.get("subnetId"), (SUBNET,))
        vpc = _vpc_of(stack, subnet) if subnet is not None else _vpc_of(stack, nat)
        if egress_setting(stack, vpc or only_vpc) != NAT_EGRESS:
            yield Violation(nat.urn, "NAT gateway without the explicit NAT egress setting")


# ---- what each subnet reaches ----------------------------------------------------------------------

LOCAL = "local"
INTERNET_GATEWAY = "internet gateway"
EGRESS_ONLY_GATEWAY = "egress-only internet gateway"
NAT_GATEWAY = "NAT gateway"
TRANSIT_GATEWAY = "transit gateway"
PEERING = "VPC peering connection"
VPN_GATEWAY = "virtual private gateway"
VPN_GATEWAY_TYPE = "aws:ec2/vpnGateway:VpnGateway"
NETWORK_INTERFACE = "network interface"
INSTANCE = "instance"
CARRIER_GATEWAY = "carrier gateway"
LOCAL_GATEWAY = "local gateway"
CORE_NETWORK = "Cloud WAN core network"
GWLB_ENDPOINT = "Gateway Load Balancer endpoint"
ODB_NETWORK = "Oracle Database@AWS network"
UNKNOWN_TARGET = "unknown target"
INTERNET_TARGETS = frozenset({INTERNET_GATEWAY, EGRESS_ONLY_GATEWAY, NAT_GATEWAY})

TARGET_TYPES = {
    IGW: INTERNET_GATEWAY,
    EIGW: EGRESS_ONLY_GATEWAY,
    NAT: NAT_GATEWAY,
    "aws:ec2transitgateway/transitGateway:TransitGateway": TRANSIT_GATEWAY,
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": PEERING,
    "aws:ec2/vpnGateway:VpnGateway": VPN_GATEWAY,
    "aws:ec2/networkInterface:NetworkInterface": NETWORK_INTERFACE,
    "aws:ec2/instance:Instance": INSTANCE,
    "aws:ec2/carrierGateway:CarrierGateway": CARRIER_GATEWAY,
    ENDPOINT: GWLB_ENDPOINT,
}
LITERAL_TARGETS = (
    ("igw-", INTERNET_GATEWAY),
    ("eigw-", EGRESS_ONLY_GATEWAY),
    ("nat-", NAT_GATEWAY),
    ("tgw-", TRANSIT_GATEWAY),
    ("pcx-", PEERING),
    ("vgw-", VPN_GATEWAY),
    ("eni-", NETWORK_INTERFACE),
    ("i-", INSTANCE),
    ("cagw-", CARRIER_GATEWAY),
    ("lgw-", LOCAL_GATEWAY),
    ("vpce-", GWLB_ENDPOINT),
)
TARGET_PROPS = {
    "gatewayId": INTERNET_GATEWAY,  # an internet or a virtual private gateway: unknown ones count as internet
    "egressOnlyGatewayId": EGRESS_ONLY_GATEWAY,
    "natGatewayId": NAT_GATEWAY,
    "transitGatewayId": TRANSIT_GATEWAY,
    "vpcPeeringConnectionId": PEERING,
    "networkInterfaceId": NETWORK_INTERFACE,
    "instanceId": INSTANCE,
    "carrierGatewayId": CARRIER_GATEWAY,
    "localGatewayId": LOCAL_GATEWAY,
    "coreNetworkArn": CORE_NETWORK,
    "vpcEndpointId": GWLB_ENDPOINT,
    "odbNetworkArn": ODB_NETWORK,
}


@dataclass(frozen=True)
class Target:
    kind: str
    label: str
    resource: View | None = None  # the stack resource, when the route names one


@dataclass(frozen=True)
class RouteEntry:
    """One route of a table: where it sends which destinations, and which resource declares it."""

    declared_by: View
    destinations: AddressSet
    target: Target
    prefix: int | None = None  # the destination's prefix length (None for prefix lists)


@dataclass(frozen=True)
class Reach:
    """A subnet reaches the internet or another network through one route."""

    subnet: View
    table: str
    route: RouteEntry
    destinations: AddressSet  # what the route carries once more specific routes are taken out
    internet: bool  # it carries public addresses
    other_network: bool  # its target is another network (transit gateway, peering, VPN, appliance...)
    allowed: bool  # internet egress the settings chose (NAT gateway egress with egress: nat-gateway)

    def describe(self) -> str:
        return (
            f"subnet {subnet_label(self.subnet)} sends {self.route.destinations.label()} to "
            f"{self.route.target.kind} {self.route.target.label} (route table {self.table})"
        )


def subnet_label(subnet: View) -> str:
    tags = subnet.tags if isinstance(subnet.tags, dict) else {}
    return str(tags.get("Name") or _known(subnet.get("id")) or subnet.name)


def _target(stack: StackView, declared_by: View, route: dict[str, Any], inline: bool) -> Target | None:
    """What a route points at; None for the VPC's local route (or no target at all)."""
    index = _index(stack)
    for prop, default_kind in TARGET_PROPS.items():
        value = route.get(prop)
        if value in (None, ""):
            continue
        known = _known(value)
        if known == LOCAL:
            return None
        # An inline route's references are recorded for the whole `routes` list, so only its value says
        # which resource it names; a separate Route's property dependency names its target exactly.
        resource = index.resolve(declared_by, prop, value, TARGET_TYPES) if known or not inline else None
        if resource is not None and resource.type in TARGET_TYPES:
            label = _known(resource.get("id")) or resource.name
            return Target(TARGET_TYPES[resource.type], label, resource)
        for prefix, kind in LITERAL_TARGETS:
            if known is not None and known.startswith(prefix):
                return Target(kind, known)
        if known is not None and prop == "gatewayId":
            return Target(UNKNOWN_TARGET, known)
        return Target(default_kind, known or f"(a {default_kind} not yet known)")
    return None


def _destinations(stack: StackView, declared_by: View, route: dict[str, Any], inline: bool) -> AddressSet:
    cidrs = [route.get(k) for k in ("destinationCidrBlock", "destinationIpv6CidrBlock", "cidrBlock", "ipv6CidrBlock")]
    found = _address_set(cidrs)
    prefix_list = route.get("destinationPrefixListId")
    if prefix_list not in (None, ""):
        entries = _prefix_list_entries(
            stack, declared_by, "routes" if inline else "destinationPrefixListId", prefix_list
        )
        return AddressSet(found.networks + entries.networks, found.unknown + entries.unknown)
    return found


def _entries(stack: StackView, declared_by: View, route: dict[str, Any], inline: bool) -> list[RouteEntry]:
    target = _target(stack, declared_by, route, inline)
    if target is None:
        return []
    destinations = _destinations(stack, declared_by, route, inline)
    if not destinations.networks and not destinations.unknown:
        destinations = AddressSet(unknown=("a destination not yet known",))
    if destinations.unknown or len(destinations.networks) != 1:
        return [RouteEntry(declared_by, destinations, target)]
    (network,) = destinations.networks
    return [RouteEntry(declared_by, destinations, target, network.prefixlen)]


@dataclass
class _Table:
    label: str
    keys: set[str]  # URNs and IDs that name the table
    view: View | None
    vpc: View | None
    main_of: View | None = None  # the VPC whose main table this is


def _tables(stack: StackView) -> list[_Table]:
    tables: list[_Table] = []
    for table in stack.of_type(ROUTE_TABLE, DEFAULT_ROUTE_TABLE):
        vpc = _vpc_of(stack, table)
        if table.type == DEFAULT_ROUTE_TABLE and vpc is None:
            vpc = _index(stack).resolve(table, "defaultRouteTableId", table.get("defaultRouteTableId"), (VPC,))
        tags = table.tags if isinstance(table.tags, dict) else {}
        label = str(tags.get("Name") or table.name)
        entry = _Table(label, {table.urn} | _identities(table), table, vpc)
        if table.type == DEFAULT_ROUTE_TABLE:
            entry.main_of = vpc
        tables.append(entry)
    for vpc in stack.of_type(VPC):
        chosen = None
        for association in _index(stack).linked_to(MAIN_ASSOCIATION, "vpcId", vpc):
            chosen = next((t for t in tables if _table_named(association, "routeTableId", t)), None)
        if chosen is not None:
            chosen.main_of = vpc
            continue
        adopted = next((t for t in tables if t.main_of is vpc), None)
        vpc_keys = {k for k in (_known(vpc.get("mainRouteTableId")), _known(vpc.get("defaultRouteTableId"))) if k}
        if adopted is not None:
            adopted.keys |= vpc_keys
        else:
            tables.append(_Table(f"main route table of {vpc.name}", vpc_keys | {vpc.urn}, None, vpc, vpc))
    return tables


def _table_named(resource: View, prop: str, table: _Table) -> bool:
    dependencies = set(resource.property_dependencies.get(prop) or [])
    if dependencies & table.keys:
        return True
    value = _known(resource.get(prop))
    return value is not None and value in table.keys


def _routes(stack: StackView, table: _Table) -> list[RouteEntry]:
    entries: list[RouteEntry] = []
    if table.view is not None:
        for route in as_list(table.view.get("routes")):
            if isinstance(route, dict):
                entries += _entries(stack, table.view, route, inline=True)
        for vgw in as_list(table.view.get("propagatingVgws")):
            entries.append(
                RouteEntry(
                    table.view, AddressSet(unknown=("routes the VPN propagates",)), Target(VPN_GATEWAY, str(vgw))
                )
            )
    for route in _index(stack).pointing_at(ROUTE, "routeTableId", table.keys):
        entries += _entries(stack, route, route.props, inline=False)
    for propagation in _index(stack).pointing_at(PROPAGATION, "routeTableId", table.keys):
        gateway = _known(propagation.get("vpnGatewayId")) or "a virtual private gateway"
        entries.append(
            RouteEntry(propagation, AddressSet(unknown=("routes the VPN propagates",)), Target(VPN_GATEWAY, gateway))
        )
    return entries


def _effective(route: RouteEntry, entries: list[RouteEntry], local: list[Network]) -> AddressSet:
    """What a route carries: its destinations minus those of more specific routes (longest prefix wins,
    the VPC's own CIDR included as the local route)."""
    if route.destinations.unknown or route.prefix is None:
        return route.destinations
    more_specific = [n for other in entries if other is not route for n in other.destinations.networks]
    more_specific += local
    carried = subtract(
        route.destinations.networks,
        [
            n
            for n in more_specific
            if n.prefixlen > route.prefix and n.version == route.destinations.networks[0].version
        ],
    )
    return AddressSet(tuple(carried))


def _subnet_hosts_nat(stack: StackView, subnet: View) -> bool:
    return bool(_index(stack).linked_to(NAT, "subnetId", subnet))


def _allowed(stack: StackView, subnet: View, vpc: View | None, reach_target: Target) -> bool:
    """Internet egress the settings chose: with egress: nat-gateway, through a NAT gateway of the stack,
    or, from the subnets that hold those NAT gateways, through the stack's internet gateway."""
    if egress_setting(stack, vpc) != NAT_EGRESS or reach_target.resource is None:
        return False
    gateway = reach_target.resource
    if gateway.type == NAT:
        return str(gateway.get("connectivityType") or "public") == "public"
    if gateway.type == IGW:
        return _subnet_hosts_nat(stack, subnet)
    return False


def lab_networks(stack: StackView) -> tuple[list[Network], set[str]]:
    """The lab's networks and VPN gateway the settings declare (stack output onPremises; components/onprem)."""
    declared = stack.outputs.get("onPremises")
    if not isinstance(declared, dict):
        return [], set()
    return _networks(str(c) for c in as_list(declared.get("cidrs"))), {str(declared.get("vpnGateway") or "")} - {""}


def to_declared_lab(stack: StackView, reach: Reach) -> bool:
    """Does this route carry only known addresses of the declared lab, to the stack's own VPN gateway?"""
    lab, gateways = lab_networks(stack)
    target = reach.route.target
    if not lab or target.kind != VPN_GATEWAY or target.resource is None or target.resource.type != VPN_GATEWAY_TYPE:
        return False
    if _known(target.resource.get("id")) not in gateways:
        return False
    carried = reach.destinations
    return not carried.unknown and all(
        any(n.version == lab_net.version and n.subnet_of(lab_net) for lab_net in lab)
        for n in carried.networks  # type: ignore[arg-type]
    )


def reachability(stack: StackView) -> list[Reach]:
    """Every route by which a subnet of the stack reaches the internet or another network (cached per stack)."""
    cached = getattr(stack, "_glz_reachability", None)
    if cached is not None:
        return cached
    tables = _tables(stack)
    routes = {id(t): _routes(stack, t) for t in tables}
    by_key: dict[str, _Table] = {}
    main: dict[str, list[_Table]] = {}
    for table in tables:
        for key in table.keys:
            by_key.setdefault(key, table)
        if table.main_of is not None:
            main.setdefault(table.main_of.urn, []).append(table)
    found: list[Reach] = []
    for subnet in stack.of_type(SUBNET):
        vpc = _vpc_of(stack, subnet)
        chosen: list[_Table] = []
        for association in _index(stack).linked_to(ASSOCIATION, "subnetId", subnet):
            names = list(association.property_dependencies.get("routeTableId") or [])
            names.append(_known(association.get("routeTableId")) or "")
            for table in (by_key.get(n) for n in names):
                if table is not None and all(table is not t for t in chosen):
                    chosen.append(table)
        if not chosen and vpc is not None:
            chosen = main.get(vpc.urn, [])
        local = [n for n in [parse_cidr(vpc.get("cidrBlock"))] if n is not None] if vpc is not None else []
        for table in chosen:
            entries = routes[id(table)]
            for route in entries:
                carried = _effective(route, entries, local)
                if not carried.networks and not carried.unknown:
                    continue
                internet = carried.admits_public
                kind = route.target.kind
                other = kind not in (INTERNET_GATEWAY, EGRESS_ONLY_GATEWAY) and (
                    kind != NAT_GATEWAY or (not internet and _private_nat(route.target))
                )
                if not internet and not other:
                    continue
                allowed = internet and not other and _allowed(stack, subnet, vpc, route.target)
                found.append(Reach(subnet, table.label, route, carried, internet, other, allowed))
    stack._glz_reachability = found  # type: ignore[attr-defined]
    return found


def _private_nat(target: Target) -> bool:
    """A private NAT gateway connects to other networks (through a transit or virtual private gateway);
    a NAT gateway outside the stack may be one."""
    if target.resource is None:
        return True
    return str(target.resource.get("connectivityType") or "public") == "private"


@stack_rule(
    "GLZ-NET-008",
    "no-internet-route-without-explicit-egress",
    "high",
    EGRESS_BY_EXCEPTION,
    f"Remove the route (aws.ec2.Route or a route table's routes) to the internet-facing target, or set egress: "
    f"nat-gateway in {SETTINGS_FILE} so SecureNetwork routes private subnets through its own NAT gateways.",
)
def no_internet_route(stack: StackView) -> Iterator[Violation]:
    """No subnet routes public addresses anywhere but through the stack's NAT gateways, and only with egress: nat-gateway."""
    for reach in reachability(stack):
        if reach.internet and not reach.allowed:
            yield Violation(
                reach.route.declared_by.urn, f"{reach.describe()}: internet egress the settings do not choose"
            )


@stack_rule(
    "GLZ-NET-009",
    "no-route-to-other-networks",
    "high",
    FLOW_CONTROL,
    "Remove routes and VPN route propagation to transit gateways, peering connections, VPN gateways, network "
    f"interfaces and instances: connecting other networks is not a setting of this landing zone ({SETTINGS_FILE} "
    "has none), so data leaves only through the VPC endpoints.",
)
def no_other_networks(stack: StackView) -> Iterator[Violation]:
    """No subnet routes to another network (transit gateway, peering, VPN, appliance, private NAT), except the
    lab the settings declare (onPremises): known destinations inside its networks, through the stack's own VPN
    gateway."""
    for reach in reachability(stack):
        if reach.other_network and not to_declared_lab(stack, reach):
            yield Violation(reach.route.declared_by.urn, f"{reach.describe()}: another network")


ALL_PROTOCOLS = frozenset({"-1", "all"})
RETURN_TRAFFIC_PROTOCOLS = frozenset({"6", "tcp", "17", "udp"})
EPHEMERAL_PORTS = (1024, 65535)


@dataclass(frozen=True)
class _AclRule:
    number: int
    allow: bool
    protocol: str
    ports: tuple[int, int]
    sources: AddressSet
    declared_by: View


def _port(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _acl_rule(view: View, entry: dict[str, Any], number_key: str, action_key: str) -> _AclRule:
    return _AclRule(
        _port(entry.get(number_key), 0),
        str(entry.get(action_key, "")).lower() == "allow",
        str(entry.get("protocol", "-1")).lower(),
        (_port(entry.get("fromPort"), 0), _port(entry.get("toPort"), 65535)),
        _address_set([entry.get("cidrBlock"), entry.get("ipv6CidrBlock")]),
        view,
    )


def _acl_inbound(stack: StackView, acl: View | None, standalone: list[View]) -> list[_AclRule]:
    rules = []
    if acl is not None:
        rules = [_acl_rule(acl, e, "ruleNo", "action") for e in as_list(acl.get("ingress")) if isinstance(e, dict)]
    for rule in standalone:
        if not _truthy(rule.get("egress")):
            rules.append(_acl_rule(rule, rule.props, "ruleNumber", "ruleAction"))
    return sorted(rules, key=lambda r: r.number)


def _has_gateway_endpoint(stack: StackView, vpc: View | None) -> bool:
    """Does ``vpc`` route to a gateway endpoint (S3, DynamoDB), whose answers come from public addresses?"""
    return vpc is not None and any(
        e.get("vpcEndpointType", "Gateway") == "Gateway" for e in _index(stack).linked_to(ENDPOINT, "vpcId", vpc)
    )


def _return_traffic(rule: _AclRule) -> bool:
    return rule.protocol in RETURN_TRAFFIC_PROTOCOLS and rule.ports[0] >= EPHEMERAL_PORTS[0]


@stack_rule(
    "GLZ-NET-010",
    "network-acls-admit-no-public-addresses",
    "high",
    BOUNDARY,
    "Remove network ACL ingress rules that allow public source ranges (0.0.0.0/0, ::/0, 0.0.0.0/1, ...); allow "
    "public sources only on the ephemeral ports 1024-65535 (return traffic), and only where answers come from public "
    f"addresses: egress: nat-gateway in {SETTINGS_FILE}, or a gateway endpoint (S3 answers from its public ranges).",
)
def network_acls(stack: StackView) -> Iterator[Violation]:
    """No network ACL allows inbound traffic from public addresses (rules judged in order, first match wins),
    except answers on the ephemeral ports where they come from public addresses: through NAT, or from S3 through
    the gateway endpoint, whose prefix list holds public ranges (Amazon VPC User Guide, gateway endpoints: ACLs
    must allow traffic to and from the service's ranges)."""
    acls = stack.of_type(NACL, DEFAULT_NACL)
    rules = stack.of_type(NACL_RULE)
    claimed: set[str] = set()
    groups: list[tuple[View | None, list[View]]] = []
    for acl in acls:
        mine = _index(stack).linked_to(NACL_RULE, "networkAclId", acl)
        claimed |= {r.urn for r in mine}
        groups.append((acl, mine))
    groups += [(None, [r]) for r in rules if r.urn not in claimed]
    for acl, standalone in groups:
        vpc = _vpc_of(stack, acl) if acl is not None else None
        nat_egress = egress_setting(stack, vpc) == NAT_EGRESS or _has_gateway_endpoint(stack, vpc)
        decided: list[Network] = []  # sources an earlier all-traffic rule already allowed or denied
        for rule in _acl_inbound(stack, acl, standalone):
            everything = rule.protocol in ALL_PROTOCOLS
            if rule.allow:
                admitted = AddressSet(tuple(subtract(rule.sources.networks, decided)), rule.sources.unknown)
                if admitted.admits_public and not (nat_egress and _return_traffic(rule)):
                    traffic = (
                        "all traffic"
                        if everything
                        else f"protocol {rule.protocol} ports {rule.ports[0]}-{rule.ports[1]}"
                    )
                    yield Violation(
                        rule.declared_by.urn,
                        f"network ACL rule {rule.number} allows inbound {traffic} from public addresses: "
                        f"{_public_sources(rule.sources)}",
                    )
            if everything:
                decided += rule.sources.networks


ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
PUBLIC_PROBE = ipaddress.ip_address("203.0.113.10")
"""A public address (TEST-NET-3) standing for any host on the internet."""
TCP_PROTOCOLS = frozenset({"6", "tcp"})


def acl_admits(rules: list[_AclRule], port: int, source: Any = PUBLIC_PROBE) -> _AclRule | None:
    """The rule that decides TCP ``port`` from ``source`` when it allows it (first match by rule number), else None
    (denied by a rule, or by the implicit deny)."""
    for rule in rules:
        if rule.protocol not in ALL_PROTOCOLS | TCP_PROTOCOLS:
            continue
        if rule.protocol in TCP_PROTOCOLS and not rule.ports[0] <= port <= rule.ports[1]:
            continue
        if not (rule.sources.unknown or any(source in n for n in rule.sources.networks)):
            continue
        return rule if rule.allow else None
    return None


def _default_acls(stack: StackView) -> dict[str, View]:
    """defaultNetworkAclId -> the DefaultNetworkAcl resource that manages it."""
    return {str(a.get("defaultNetworkAclId")): a for a in stack.of_type(DEFAULT_NACL) if a.get("defaultNetworkAclId")}


def acl_problems(stack: StackView) -> list[tuple[str, str]]:
    """(urn, problem): a VPC whose default ACL is left as AWS creates it or admits traffic, and any ACL of the
    stack (its own rules and NetworkAclRule resources added to it) that admits SSH or RDP from the internet."""
    problems = []
    managed = _default_acls(stack)
    for vpc in stack.of_type(VPC):
        default_id = str(vpc.get("defaultNetworkAclId") or "")
        acl = managed.get(default_id) if default_id else next(iter(managed.values()), None)
        if acl is None:
            problems.append((vpc.urn, "the default network ACL is left as AWS creates it (all traffic in and out)"))
            continue
        entries = [e for key in ("ingress", "egress") for e in as_list(acl.get(key)) if isinstance(e, dict)]
        added = _index(stack).linked_to(NACL_RULE, "networkAclId", acl)
        allowing = [e for e in entries if str(e.get("action", "")).lower() == "allow"]
        allowing += [r.props for r in added if str(r.get("ruleAction", "")).lower() == "allow"]
        if allowing:
            problems.append(
                (acl.urn, f"the default network ACL keeps {len(allowing)} allow rule(s); it should admit nothing")
            )
    for acl in stack.of_type(NACL, DEFAULT_NACL):
        rules = _acl_inbound(stack, acl, _index(stack).linked_to(NACL_RULE, "networkAclId", acl))
        for port, name in ADMIN_PORTS.items():
            rule = acl_admits(rules, port)
            if rule is not None:
                problems.append(
                    (
                        rule.declared_by.urn,
                        f"network ACL rule {rule.number} admits {name} (TCP {port}) from the internet",
                    )
                )
    return problems


@stack_rule(
    "GLZ-NET-015",
    "network-acls-default-closed-no-admin-ports",
    "high",
    Requirements(r2=("3.13.1", "3.13.6"), r3=("03.13.01", "03.13.06"), hipaa=("164.312(e)(1)",)),
    "Keep components/network_acls: the VPC's default network ACL managed with no rules (DefaultNetworkAcl), and no "
    "ACL admitting SSH (22) or RDP (3389) from the internet: deny 3389 before any rule that allows the ephemeral "
    "ports from 0.0.0.0/0.",
)
def acl_boundary(stack: StackView) -> Iterator[Violation]:
    """Traffic is denied by default at the subnet boundary (CIS AWS Foundations 5.1 for the admin ports)."""
    for urn, problem in acl_problems(stack):
        yield Violation(urn, problem)


SG_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"


def _rule_cidrs(rule: Any) -> list[str]:
    if not isinstance(rule, dict):
        return []
    return [str(c) for key in ("cidrBlocks", "ipv6CidrBlocks") for c in (rule.get(key) or [])] + [
        str(rule[key]) for key in ("cidrIpv4", "cidrIpv6") if rule.get(key)
    ]


def _networks(cidrs: Iterable[str]) -> list[Network]:
    found = []
    for cidr in cidrs:
        try:
            found.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    return found


def _group_rules(stack: StackView, direction: str) -> list[tuple[View, list[str]]]:
    """(resource holding the rule, CIDRs) for every ingress or egress rule, inline or separate."""
    found: list[tuple[View, list[str]]] = []
    for group in _index(stack).of_type(SECURITY_GROUP):
        for rule in group.get(direction) or []:
            found.append((group, _rule_cidrs(rule)))
    separate = SG_EGRESS_RULE if direction == "egress" else SG_INGRESS_RULE
    for rule in _index(stack).of_type(separate):
        found.append((rule, _rule_cidrs(rule.props)))
    for rule in _index(stack).of_type(SG_RULE):
        if rule.get("type") == direction:
            found.append((rule, _rule_cidrs(rule.props)))
    return found


@stack_rule(
    "GLZ-NET-011",
    "traffic-stays-inside-the-landing-zone",
    "high",
    EGRESS_BY_EXCEPTION,
    "Keep security-group egress inside the VPC (public destinations only with `egress: nat-gateway` in "
    f"{SETTINGS_FILE}), admit only the stack's security groups or the VPC's own addresses, reach only AWS "
    "services through interface endpoints, and peer with no other account's VPC.",
)
def traffic_inside(stack: StackView) -> Iterator[Violation]:
    """Traffic stays in the landing zone: security groups send to public addresses only when NAT egress was
    chosen and admit nothing wider than the VPC's own address space; interface endpoints lead only to AWS
    services, not to another party's PrivateLink service, and a DynamoDB endpoint only to this account's tables;
    no VPC peers with another account."""
    index = _index(stack)
    vpcs = index.of_type(VPC)
    nat = (
        any(egress_setting(stack, v) == NAT_EGRESS for v in vpcs) if vpcs else egress_setting(stack, None) == NAT_EGRESS
    )
    own = _networks(str(v.get("cidrBlock")) for v in vpcs if v.get("cidrBlock"))
    lab, _gateways = lab_networks(stack)
    own = [*own, *lab] if own else own  # the declared lab's networks are the landing zone's too
    for holder, cidrs in _group_rules(stack, "egress"):
        public = [str(n) for n in _networks(cidrs) if not is_private(n)]
        if public and not nat:
            yield Violation(
                holder.urn, f"{holder.name}: egress to public addresses {', '.join(public)} without NAT egress chosen"
            )
    for holder, cidrs in _group_rules(stack, "ingress"):
        wider = [
            str(n)
            for n in _networks(cidrs)
            if is_private(n) and own and not any(n.version == o.version and n.subnet_of(o) for o in own)  # type: ignore[arg-type]
        ]
        if wider:
            yield Violation(holder.urn, f"{holder.name}: admits {', '.join(wider)}, wider than the VPC's own addresses")
    region = next((str(p.get("region")) for p in index.of_type("pulumi:providers:aws") if p.get("region")), "us-east-1")
    foreign_table = f"arn:aws:dynamodb:{region}:000000000000:table/glz-probe"  # a table of an account nobody named
    for endpoint in index.of_type(ENDPOINT):
        service = str(endpoint.get("serviceName") or "")
        if ".vpce-svc-" in service or service.startswith("com.amazonaws.vpce."):
            yield Violation(endpoint.urn, f"endpoint {endpoint.name} leads to another party's service {service}")
        elif service.endswith(".dynamodb"):
            # like S3's, a DynamoDB endpoint without a scoped policy carries data to any account's tables
            found = normalized(endpoint.get("policy")) if endpoint.get("policy") else []
            if not found or any(
                s.allow and s.covers_action("dynamodb:PutItem") and s.covers_resource(foreign_table) for s in found
            ):
                yield Violation(
                    endpoint.urn, f"endpoint {endpoint.name} lets data into other accounts' DynamoDB tables"
                )
    for accepter in index.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"):
        owner = accepter.get("peerOwnerId")
        if not owner or str(owner) != stack.account_id:
            yield Violation(accepter.urn, f"{accepter.name} accepts a peering from account {owner or 'unknown'}")
    for peering in index.of_type(PEERING):
        owner = peering.get("peerOwnerId")
        if owner and str(owner) != stack.account_id:
            yield Violation(peering.urn, f"{peering.name} peers with a VPC of account {owner}")


# ---- time and name service ----------------------------------------------------------------------------

DHCP_OPTIONS = "aws:ec2/vpcDhcpOptions:VpcDhcpOptions"
DHCP_ASSOCIATION = "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation"
TIME_SYNC = frozenset({"169.254.169.123", "fd00:ec2::123"})
"""The Amazon Time Sync Service's addresses in a VPC (IPv4, and IPv6 on Nitro instances): Amazon EC2 User Guide,
"Set the time reference on your EC2 instance to use the local Amazon Time Sync Service"."""
AMAZON_DNS = "AmazonProvidedDNS"
CLOCKS = Requirements(r2=("3.3.7",), r3=("03.03.07",), hipaa=())


def time_service_problems(stack: StackView) -> list[tuple[str, str]]:
    """(URN, why) for each VPC of the stack whose hosts are not told to keep time by the Amazon Time Sync Service
    through an option set of the stack, or are told to resolve names elsewhere than the Amazon DNS server."""
    index = _index(stack)
    found = []
    for vpc in stack.of_type(VPC):
        associations = index.linked_to(DHCP_ASSOCIATION, "vpcId", vpc)
        sets = {
            o.urn: o
            for a in associations
            if (o := index.resolve(a, "dhcpOptionsId", a.get("dhcpOptionsId"), (DHCP_OPTIONS,))) is not None
        }
        where = f"VPC {vpc.name}"
        if not associations:
            found.append((vpc.urn, f"{where} has no DHCP option set of the stack: its time source is not declared"))
            continue
        if len(associations) > 1:
            found.append((vpc.urn, f"{where} has {len(associations)} DHCP option associations; AWS keeps only one"))
            continue
        if not sets:
            found.append(
                (vpc.urn, f"{where} uses DHCP options {associations[0].get('dhcpOptionsId')}, not a set of the stack")
            )
            continue
        options = next(iter(sets.values()))
        servers = [str(s).strip() for s in as_list(options.get("ntpServers"))]
        if not servers:
            found.append((options.urn, f"{where}: the option set names no NTP server"))
        elif set(servers) - TIME_SYNC:
            others = ", ".join(sorted(set(servers) - TIME_SYNC))
            found.append(
                (options.urn, f"{where}: hosts may take their time from {others}, not the Amazon Time Sync Service")
            )
        dns = [str(s).strip() for s in as_list(options.get("domainNameServers"))]
        if dns != [AMAZON_DNS]:
            found.append(
                (
                    options.urn,
                    f"{where}: names are resolved by {', '.join(dns) or 'no server'}, not only {AMAZON_DNS} (the "
                    "interface endpoints' private names resolve only through the Amazon DNS server)",
                )
            )
    return found


@stack_rule(
    "GLZ-NET-012",
    "hosts-keep-amazon-time",
    "medium",
    CLOCKS,
    "Keep the network component's DHCP option set on the VPC: ntpServers only 169.254.169.123 (the Amazon Time "
    "Sync Service) and domainNameServers AmazonProvidedDNS.",
)
def hosts_keep_amazon_time(stack: StackView) -> Iterator[Violation]:
    """Every VPC of the stack hands its hosts the Amazon Time Sync Service as their only time source."""
    for urn, why in time_service_problems(stack):
        yield Violation(urn, why)
