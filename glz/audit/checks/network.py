"""Network: the declared VPC exists without undeclared internet paths, its flow logs are active, every
declared VPC endpoint is present, the default security group has no rules, the interface endpoints'
security group allows exactly the declared ingress, and the VPC's DHCP options still name the declared time and
name servers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_bool, as_int, parsed_json
from glz.audit.context import AuditContext
from glz.audit.expected import Declared
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok
from policies.framework import as_list

VPC = CheckSpec("ec2.vpc-exists", "Declared VPC exists with the declared CIDR", ("private_network",))
INTERNET = CheckSpec("ec2.no-internet-path", "No undeclared internet or NAT gateway on the VPC", ("private_network",))
FLOW_LOGS = CheckSpec("ec2.flow-logs", "VPC flow logs are active to the declared destination", ("flow_logs",))
ENDPOINT = CheckSpec("ec2.vpc-endpoint", "Declared VPC endpoint is present and available", ("vpc_endpoints",))
NO_DEFAULT_VPC = CheckSpec(
    "ec2.no-default-vpc", "The region has no default VPC (deleted as the runbook says)", ("private_network",)
)
NETWORK_ACL = CheckSpec(
    "ec2.network-acl", "Network ACL holds exactly the declared rules and subnets", ("network_acls",)
)
DEFAULT_SG = CheckSpec("ec2.default-sg-closed", "The VPC's default security group has no rules", ("default_sg_closed",))
ENDPOINT_SG = CheckSpec(
    "ec2.endpoint-security-group",
    "Interface endpoint security group allows only the declared ingress",
    ("endpoint_security_group",),
)

TIME_SOURCE = CheckSpec(
    "ec2.time-source",
    "The VPC's DHCP options still name only the Amazon Time Sync Service and the Amazon DNS server",
    ("time_source",),
)
DHCP_OPTIONS = "aws:ec2/vpcDhcpOptions:VpcDhcpOptions"
DHCP_ASSOCIATION = "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation"

GONE_STATES = {"deleted", "deleting", "Deleted", "Deleting"}


def _vpc_filter(vpc_id: str, name: str = "vpc-id") -> list[dict[str, Any]]:
    return [{"Name": name, "Values": [vpc_id]}]


def _vpc(ctx: AuditContext, vpc: Declared) -> Iterator[CheckResult]:
    cidr = vpc.prop("cidrBlock")

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none("ec2", "describe_vpcs", ("InvalidVpcID.NotFound",), VpcIds=[vpc.name])
        found = (answer or {}).get("Vpcs", [])
        if not found:
            ctx.absent.add(("vpc", vpc.name))
            observed["exists"] = False
            return fail(f"VPC {vpc.name} is declared in the state ({vpc.urn}) but does not exist in {ctx.region}")
        observed.update(exists=True, cidr=found[0].get("CidrBlock"))
        if cidr and observed["cidr"] != cidr:
            return fail(f"VPC {vpc.name} has CIDR {observed['cidr']}; declared {cidr}")
        return ok(f"{vpc.name} {observed['cidr']}")

    yield ctx.check(VPC, vpc.name, vpc.urn, {"exists": True, "cidr": cidr}, body)

    declared_igws = {d.name for d in ctx.expected.internet_gateways}
    declared_nats = {d.name for d in ctx.expected.nat_gateways}

    def internet(observed: dict[str, Any]) -> Verdict:
        ctx.require("vpc", vpc.name, f"VPC {vpc.name}")
        igws = ctx.call("ec2", "describe_internet_gateways", Filters=_vpc_filter(vpc.name, "attachment.vpc-id"))
        nats = ctx.call("ec2", "describe_nat_gateways", Filter=_vpc_filter(vpc.name))
        observed["internet_gateways"] = sorted(g["InternetGatewayId"] for g in igws.get("InternetGateways", []))
        observed["nat_gateways"] = sorted(
            n["NatGatewayId"] for n in nats.get("NatGateways", []) if n.get("State") not in ("deleted", "failed")
        )
        extra = sorted(set(observed["internet_gateways"]) - declared_igws) + sorted(
            set(observed["nat_gateways"]) - declared_nats
        )
        if extra:
            return fail(f"VPC {vpc.name} has undeclared internet path(s): {', '.join(extra)}")
        return ok("no undeclared internet or NAT gateway")

    expected = {"internet_gateways": sorted(declared_igws), "nat_gateways": sorted(declared_nats)}
    yield ctx.check(INTERNET, vpc.name, vpc.urn, expected, internet)


def _log_group_name(destination: str) -> str:
    """'arn:aws:logs:r:a:log-group:NAME[:*]' -> 'NAME'."""
    if ":log-group:" not in destination:
        return destination
    name = destination.split(":log-group:", 1)[1]
    return name[:-2] if name.endswith(":*") else name


def _flow_log(ctx: AuditContext, flow: Declared) -> CheckResult:
    vpc_id = str(flow.prop("vpcId"))
    expected = {
        "vpc": vpc_id,
        "traffic_type": flow.prop("trafficType"),
        "destination_type": flow.prop("logDestinationType", "cloud-watch-logs"),
        "destination": flow.prop("logDestination") or flow.prop("logGroupName"),
    }

    def destination_of(live: dict[str, Any]) -> str:
        if live.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs":
            return _log_group_name(str(live.get("LogGroupName") or live.get("LogDestination") or ""))
        return str(live.get("LogDestination") or "")

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("vpc", vpc_id, f"VPC {vpc_id}")
        answer = ctx.call("ec2", "describe_flow_logs", Filters=_vpc_filter(vpc_id, "resource-id"))
        want_destination = (
            _log_group_name(str(expected["destination"]))
            if expected["destination_type"] == "cloud-watch-logs"
            else str(expected["destination"])
        )
        live_logs = answer.get("FlowLogs", [])
        observed["flow_logs"] = [
            {
                "id": f.get("FlowLogId"),
                "traffic_type": f.get("TrafficType"),
                "destination": destination_of(f),
                "status": f.get("FlowLogStatus"),
                "delivery": f.get("DeliverLogsStatus"),
            }
            for f in live_logs
        ]
        match = next(
            (
                f
                for f in live_logs
                if f.get("TrafficType") == expected["traffic_type"] and destination_of(f) == want_destination
            ),
            None,
        )
        if match is None:
            return fail(
                f"VPC {vpc_id} has no flow log of {expected['traffic_type']} traffic to {want_destination} "
                f"(declared {flow.urn})"
            )
        if match.get("FlowLogStatus") != "ACTIVE":
            return fail(f"flow log {match.get('FlowLogId')} on {vpc_id} is {match.get('FlowLogStatus')}", drift=False)
        if match.get("DeliverLogsStatus") == "FAILED":
            return fail(
                f"flow log {match.get('FlowLogId')} on {vpc_id} cannot deliver: "
                f"{match.get('DeliverLogsErrorMessage', 'delivery failed')}",
                drift=False,
            )
        return ok(f"{match.get('FlowLogId')} ACTIVE, {expected['traffic_type']} traffic to {want_destination}")

    return ctx.check(FLOW_LOGS, vpc_id, flow.urn, expected, body)


def _endpoint(ctx: AuditContext, endpoint: Declared) -> CheckResult:
    vpc_id = str(endpoint.prop("vpcId"))
    kind = endpoint.prop("vpcEndpointType", "Gateway")
    expected: dict[str, Any] = {"service": endpoint.name, "type": kind, "vpc": vpc_id}
    if kind == "Interface" and endpoint.prop("privateDnsEnabled") is not None:
        expected["private_dns"] = as_bool(endpoint.prop("privateDnsEnabled"))
    declared_policy = parsed_json(endpoint.prop("policy")) if endpoint.prop("policy") else None
    if declared_policy is not None:
        expected["policy"] = "as declared"

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("vpc", vpc_id, f"VPC {vpc_id}")
        answer = ctx.call("ec2", "describe_vpc_endpoints", Filters=_vpc_filter(vpc_id))
        live = [
            e
            for e in answer.get("VpcEndpoints", [])
            if e.get("ServiceName") == endpoint.name and e.get("State") not in GONE_STATES
        ]
        if not live:
            observed["present"] = False
            return fail(f"VPC endpoint for {endpoint.name} is declared ({endpoint.urn}) but absent from VPC {vpc_id}")
        # S3 and DynamoDB can have a gateway and an interface endpoint in one VPC: compare like with like
        found = next((e for e in live if e.get("VpcEndpointType") == kind), live[0])
        observed.update(
            present=True, id=found.get("VpcEndpointId"), type=found.get("VpcEndpointType"), state=found.get("State")
        )
        if "private_dns" in expected:
            observed["private_dns"] = bool(found.get("PrivateDnsEnabled"))
        if observed["type"] != kind or observed.get("private_dns", True) != expected.get("private_dns", True):
            return fail(f"VPC endpoint {observed['id']} for {endpoint.name} differs from the state: {observed}")
        if declared_policy is not None:
            # anyone with ec2:ModifyVpcEndpoint can widen who may use the endpoint (GLZ-NET-005/014 in the state)
            observed["policy"] = (
                "as declared" if parsed_json(found.get("PolicyDocument")) == declared_policy else "other"
            )
            if observed["policy"] != "as declared":
                return fail(f"VPC endpoint {observed['id']} for {endpoint.name}: its policy is not the declared one")
        if observed["state"] not in ("available", "Available"):
            return fail(f"VPC endpoint {observed['id']} for {endpoint.name} is {observed['state']}", drift=False)
        return ok(f"{observed['id']} {observed['type']} available")

    return ctx.check(ENDPOINT, endpoint.name, endpoint.urn, expected, body)


def _default_sg(ctx: AuditContext, group: Declared) -> CheckResult | None:
    if group.prop("ingress") or group.prop("egress"):
        return None  # the state declares rules on purpose; nothing to hold the account to here
    vpc_id = str(group.prop("vpcId"))

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("vpc", vpc_id, f"VPC {vpc_id}")
        answer = ctx.call(
            "ec2",
            "describe_security_groups",
            Filters=[*_vpc_filter(vpc_id), {"Name": "group-name", "Values": ["default"]}],
        )
        groups = answer.get("SecurityGroups", [])
        if not groups:
            return fail(f"VPC {vpc_id} has no default security group", drift=False)
        live = groups[0]
        observed.update(
            id=live.get("GroupId"),
            ingress_rules=len(live.get("IpPermissions", [])),
            egress_rules=len(live.get("IpPermissionsEgress", [])),
        )
        if observed["ingress_rules"] or observed["egress_rules"]:
            return fail(
                f"default security group {observed['id']} of {vpc_id} has {observed['ingress_rules']} ingress and "
                f"{observed['egress_rules']} egress rules; the state declares none"
            )
        return ok(f"{observed['id']} has no rules")

    return ctx.check(DEFAULT_SG, vpc_id, group.urn, {"ingress_rules": 0, "egress_rules": 0}, body)


PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1", "-1": "-1"}
ACL_IMPLICIT_DENY = 32767


def _acl_rule(egress: bool, number: Any, protocol: Any, action: Any, cidr: Any, ports: tuple[Any, Any]) -> str:
    direction = "out" if egress else "in"
    protocol = PROTOCOLS.get(str(protocol).lower(), str(protocol).lower())
    span = "" if protocol == "-1" else f" {int(ports[0] or 0)}-{int(ports[1] or 0)}"
    return f"{direction} {int(number)} {str(action).lower()} {protocol}{span} {cidr}"


def _declared_acl_rules(acl: Declared) -> list[str]:
    return sorted(
        _acl_rule(
            egress,
            e.get("ruleNo"),
            e.get("protocol"),
            e.get("action"),
            e.get("cidrBlock"),
            (e.get("fromPort"), e.get("toPort")),
        )
        for egress, key in ((False, "ingress"), (True, "egress"))
        for e in acl.prop(key) or []
        if isinstance(e, dict)
    )


def _network_acl(ctx: AuditContext, acl: Declared) -> CheckResult:
    """Every rule of the live ACL is a declared one and none is missing (an allow added by hand, the RDP deny
    removed: drift), and it holds the declared subnets. DescribeNetworkAcls lists the implicit deny (rule 32767)
    too; it is every ACL's and not compared."""
    expected: dict[str, Any] = {"rules": _declared_acl_rules(acl)}
    if acl.prop("subnetIds"):
        expected["subnets"] = sorted(str(s) for s in acl.prop("subnetIds"))

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none(
            "ec2", "describe_network_acls", ("InvalidNetworkAclID.NotFound",), NetworkAclIds=[acl.name]
        )
        found = (answer or {}).get("NetworkAcls", [])
        if not found:
            return fail(f"network ACL {acl.name} is declared in the state ({acl.urn}) but does not exist")
        live = found[0]
        observed["rules"] = sorted(
            _acl_rule(
                e.get("Egress", False),
                e.get("RuleNumber"),
                e.get("Protocol"),
                e.get("RuleAction"),
                e.get("CidrBlock") or e.get("Ipv6CidrBlock"),
                ((e.get("PortRange") or {}).get("From"), (e.get("PortRange") or {}).get("To")),
            )
            for e in live.get("Entries", [])
            if e.get("RuleNumber") != ACL_IMPLICIT_DENY
        )
        if "subnets" in expected:
            observed["subnets"] = sorted(a.get("SubnetId") for a in live.get("Associations", []))
        extra = sorted(set(observed["rules"]) - set(expected["rules"]))
        missing = sorted(set(expected["rules"]) - set(observed["rules"]))
        loose = sorted(set(expected.get("subnets", [])) - set(observed.get("subnets", [])))
        if extra or missing or loose:
            parts = [f"rules not declared: {extra}"] if extra else []
            parts += [f"declared rules missing: {missing}"] if missing else []
            parts += [f"declared subnets not held: {loose}"] if loose else []
            return fail(f"network ACL {acl.name}: " + "; ".join(parts))
        return ok(
            f"{len(observed['rules'])} rules as declared" if observed["rules"] else "no rules (implicit deny only)"
        )

    return ctx.check(NETWORK_ACL, acl.name, acl.urn, expected, body)


def rule_text(protocol: Any, from_port: Any, to_port: Any, source: str) -> str:
    """One ingress permission as text, the same for the state's and the API's spelling: 'tcp 443-443 from X'."""
    proto = PROTOCOLS.get(str(protocol).lower(), str(protocol).lower())
    if proto == "-1":
        return f"all traffic from {source}"
    return f"{proto} {as_int(from_port)}-{as_int(to_port)} from {source}"


def _sources(rule: dict[str, Any], group_id: str) -> list[str]:
    """The sources of an inline ingress block or an aws:ec2 SecurityGroupRule (state spelling)."""
    found = [str(c) for c in as_list(rule.get("cidrBlocks"))]
    found += [str(c) for c in as_list(rule.get("ipv6CidrBlocks"))]
    found += [str(p) for p in as_list(rule.get("prefixListIds"))]
    found += [str(g) for g in as_list(rule.get("securityGroups"))]
    if rule.get("sourceSecurityGroupId"):
        found.append(str(rule["sourceSecurityGroupId"]))
    if as_bool(rule.get("self", False)):
        found.append(group_id)
    return found


def declared_ingress(ctx: AuditContext, group: Declared) -> list[str]:
    """Every ingress permission the state declares for a group: inline blocks and stand-alone rules."""
    rules = []
    for block in group.prop("ingress") or []:
        for source in _sources(block, group.name):
            rules.append(rule_text(block.get("protocol"), block.get("fromPort"), block.get("toPort"), source))
    for declared in ctx.expected.ingress_rules:
        if declared.name != group.name:
            continue
        rule = {**declared.resource.outputs, **declared.resource.inputs}
        protocol = rule.get("ipProtocol", rule.get("protocol"))
        sources = [
            str(rule[k]) for k in ("cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId") if rule.get(k)
        ]
        for source in sources or _sources(rule, group.name):
            rules.append(rule_text(protocol, rule.get("fromPort"), rule.get("toPort"), source))
    return sorted(set(rules))


def _live_ingress(rule: dict[str, Any]) -> str:
    source = (
        rule.get("CidrIpv4")
        or rule.get("CidrIpv6")
        or rule.get("PrefixListId")
        or (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
        or "?"
    )
    return rule_text(rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"), str(source))


def _endpoint_sg(ctx: AuditContext, group: Declared) -> CheckResult:
    vpc_id = str(group.prop("vpcId"))
    expected = {"ingress": declared_ingress(ctx, group)}

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("vpc", vpc_id, f"VPC {vpc_id}")
        answer = ctx.call_or_none(
            "ec2",
            "describe_security_groups",
            ("InvalidGroup.NotFound", "InvalidGroupId.NotFound"),
            GroupIds=[group.name],
        )
        if not (answer or {}).get("SecurityGroups"):
            observed["exists"] = False
            return fail(f"security group {group.name} of the interface endpoints is declared but does not exist")
        rules = ctx.call("ec2", "describe_security_group_rules", Filters=[{"Name": "group-id", "Values": [group.name]}])
        live = {
            r.get("SecurityGroupRuleId", ""): _live_ingress(r)
            for r in rules.get("SecurityGroupRules", [])
            if not r.get("IsEgress") and r.get("GroupId", group.name) == group.name
        }
        observed.update(exists=True, ingress=sorted(set(live.values())))
        extra = sorted(f"{text} ({rule_id})" for rule_id, text in live.items() if text not in expected["ingress"])
        missing = sorted(set(expected["ingress"]) - set(observed["ingress"]))
        problems = []
        if extra:
            problems.append(f"allows undeclared ingress {', '.join(extra)}")
        if missing:
            problems.append(f"lacks the declared ingress {', '.join(missing)}")
        if problems:
            return fail(f"security group {group.name} of the interface endpoints " + "; ".join(problems))
        return ok(", ".join(observed["ingress"]) or "no ingress, as declared")

    return ctx.check(ENDPOINT_SG, group.name, group.urn, expected, body)


def _declared_time_source(ctx: AuditContext, vpc_id: str) -> dict[str, list[str]] | None:
    """The NTP and DNS servers the state gives the VPC through its DHCP option set (None: it declares none)."""
    if ctx.state is None:
        return None
    options = {o.id: o for o in ctx.state.of_type(DHCP_OPTIONS)}
    for association in ctx.state.of_type(DHCP_ASSOCIATION):
        chosen = options.get(str(association.prop("dhcpOptionsId")))
        if str(association.prop("vpcId")) == vpc_id and chosen is not None:
            return {
                "ntp-servers": sorted(str(v) for v in chosen.prop("ntpServers") or []),
                "domain-name-servers": sorted(str(v) for v in chosen.prop("domainNameServers") or []),
            }
    return None


def _time_source(ctx: AuditContext, vpc: Declared) -> CheckResult | None:
    """Anyone with ec2:AssociateDhcpOptions can hand the VPC's hosts another time source; only the live VPC shows it."""
    declared = _declared_time_source(ctx, vpc.name)
    if declared is None:
        return None

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("vpc", vpc.name, f"VPC {vpc.name}")
        found = ctx.call("ec2", "describe_vpcs", VpcIds=[vpc.name]).get("Vpcs", [])
        options_id = (found[0] if found else {}).get("DhcpOptionsId") or "default"
        observed["dhcp_options"] = options_id
        if options_id == "default":
            return fail(f"VPC {vpc.name} has no DHCP option set: its hosts' time source is no longer declared")
        answer = ctx.call("ec2", "describe_dhcp_options", DhcpOptionsIds=[options_id]).get("DhcpOptions", [])
        live = {
            c["Key"]: sorted(str(v.get("Value")) for v in c.get("Values", []))
            for c in (answer[0] if answer else {}).get("DhcpConfigurations", [])
        }
        changed = [
            f"{key} {live.get(key, [])}, declared {value}"
            for key, value in declared.items()
            if live.get(key, []) != value
        ]
        observed.update({key: live.get(key, []) for key in declared})
        if changed:
            return fail(f"VPC {vpc.name} uses DHCP options {options_id} with " + "; ".join(changed))
        return ok(f"{options_id}: NTP {', '.join(live['ntp-servers'])}, DNS {', '.join(live['domain-name-servers'])}")

    return ctx.check(TIME_SOURCE, vpc.name, vpc.urn, declared, body)


def _no_default_vpc(ctx: AuditContext, beside: Declared) -> CheckResult:
    """No default VPC in the region: none of the landing zone runs there, and AWS leaves its default security group,
    network ACL and subnets open with no flow logs. Not declared by the state, so never drift; reported against the
    stack's own VPC (``beside``) of the same region."""

    def body(observed: dict[str, Any]) -> Verdict:
        found = ctx.call("ec2", "describe_vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}]).get("Vpcs", [])
        observed["default_vpcs"] = sorted(v.get("VpcId") for v in found)
        if found:
            return fail(
                f"{ctx.region} still has the default VPC {', '.join(observed['default_vpcs'])}: delete it "
                "(docs/operator-runbook.md, 'Delete the region's default VPC')",
                drift=False,
            )
        return ok(f"no default VPC in {ctx.region}")

    return ctx.check(NO_DEFAULT_VPC, ctx.region, beside.urn, {"default_vpcs": []}, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    if ctx.expected.vpcs:
        yield _no_default_vpc(ctx, ctx.expected.vpcs[0])
    for vpc in ctx.expected.vpcs:
        yield from _vpc(ctx, vpc)
        time_source = _time_source(ctx, vpc)
        if time_source is not None:
            yield time_source
    for flow in ctx.expected.flow_logs:
        yield _flow_log(ctx, flow)
    for endpoint in ctx.expected.endpoints:
        yield _endpoint(ctx, endpoint)
    for acl in ctx.expected.network_acls:
        yield _network_acl(ctx, acl)
    for group in ctx.expected.default_security_groups:
        result = _default_sg(ctx, group)
        if result is not None:
            yield result
    for group in ctx.expected.endpoint_security_groups:
        yield _endpoint_sg(ctx, group)
