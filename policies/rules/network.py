"""Network isolation: flow logs, default security group, ingress, endpoints, egress."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies.framework import (
    Requirements,
    StackView,
    View,
    Violation,
    as_list,
    principals,
    resource_rule,
    stack_rule,
    statements,
)

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
BUCKET = "aws:s3/bucket:Bucket"
BOUNDARY = Requirements(r2=("3.13.1", "3.13.5"), r3=("03.13.01",), hipaa=("164.312(e)(1)",))
DENY_DEFAULT = Requirements(r2=("3.13.6",), r3=("03.13.06",), hipaa=("164.312(e)(1)",))
MONITORING = Requirements(r2=("3.3.1", "3.13.1"), r3=("03.03.01", "03.13.01"), hipaa=("164.312(b)",))
FLOW_CONTROL = Requirements(r2=("3.1.3", "3.13.1"), r3=("03.01.03", "03.13.01"), hipaa=("164.312(e)(1)",))
OPEN = ("0.0.0.0/0", "::/0")
REQUIRED_INTERFACE_SERVICES = ("kms", "sts", "logs", "ecr.api", "ecr.dkr", "ecs", "batch")


def _linked(resource: View, prop: str, target: View) -> bool:
    return target.urn in (resource.property_dependencies.get(prop) or []) or (
        resource.get(prop) is not None and resource.get(prop) == target.get("id")
    )


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
        logs = [f for f in stack.of_type(FLOW_LOG) if _linked(f, "vpcId", vpc)]
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


@stack_rule(
    "GLZ-NET-003",
    "no-ingress-from-anywhere",
    "critical",
    BOUNDARY,
    "Limit ingress to the VPC CIDR or to security groups; never 0.0.0.0/0 or ::/0.",
)
def no_open_ingress(stack: StackView) -> Iterator[Violation]:
    """No security group admits traffic from 0.0.0.0/0 or ::/0."""
    for sg in stack.of_type("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        for rule in as_list(sg.get("ingress")):
            if set(as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))) & set(OPEN):
                yield Violation(sg.urn, f"ingress port {rule.get('fromPort')} open to the internet")
    for rule in stack.of_type("aws:ec2/securityGroupRule:SecurityGroupRule"):
        if rule.get("type") == "ingress" and set(
            as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))
        ) & set(OPEN):
            yield Violation(rule.urn, "ingress rule open to the internet")
    for rule in stack.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if rule.get("cidrIpv4") in OPEN or rule.get("cidrIpv6") in OPEN:
            yield Violation(rule.urn, "ingress rule open to the internet")


@resource_rule(
    "GLZ-NET-004",
    "subnets-private",
    ("aws:ec2/subnet:Subnet",),
    "high",
    BOUNDARY,
    "Set map_public_ip_on_launch=False on subnets that hold workloads.",
)
def private_subnets(resource: View, stack: StackView) -> Iterator[str]:
    """Subnets never hand out public IP addresses on launch."""
    if resource.get("mapPublicIpOnLaunch") is True:
        yield "subnet maps public IPs on launch"


READ_ONLY_OBJECT_ACTIONS = frozenset({"s3:getobject", "s3:getobjectversion"})
"""What the S3 endpoint may allow on buckets the landing zone does not own (compared ignoring case, as IAM does)."""
AWS_OWNED_SUFFIXED_BUCKET = re.compile(r"^al2023-repos-[a-z]{2}(-gov)?-[a-z]+-\d-\*$")
"""The one AWS-owned bucket the endpoint names by pattern: the Amazon Linux 2023 repository bucket of a
region, whose name ends in a suffix AWS chooses (al2023-repos-<region>-*)."""


def _bucket_and_key(resource: str) -> tuple[str, str | None]:
    """(bucket, key or None) of an S3 ARN; ('*', None) for '*' and ARNs of other services."""
    if ":s3:::" not in resource:
        return "*", None
    bucket, slash, key = resource.split(":s3:::", 1)[1].partition("/")
    return bucket, key if slash else None


@stack_rule(
    "GLZ-NET-005",
    "s3-gateway-endpoint-restricted",
    "high",
    FLOW_CONTROL,
    "Give every VPC an S3 gateway endpoint whose policy lists this landing zone's buckets, not '*', and allows "
    "other buckets only read-only (s3:GetObject) by exact name (components/network_policies.s3_endpoint_policy).",
)
def s3_endpoint(stack: StackView) -> Iterator[Violation]:
    """Each VPC's S3 gateway endpoint names buckets, not '*'; other owners' buckets are read-only, by exact name."""
    own = {str(b.get("bucket") or b.get("id") or "") for b in stack.of_type(BUCKET)} - {""}
    for vpc in stack.of_type(VPC):
        endpoints = [
            e
            for e in stack.of_type(ENDPOINT)
            if _linked(e, "vpcId", vpc) and str(e.get("serviceName", "")).endswith(".s3")
        ]
        if not endpoints:
            yield Violation(vpc.urn, "VPC has no S3 gateway endpoint")
        for endpoint in endpoints:
            document = endpoint.json("policy")
            allows = [s for s in statements(document) if s.get("Effect") == "Allow"]
            if not allows:
                yield Violation(endpoint.urn, "S3 endpoint has no restrictive policy (defaults to full access)")
            for statement in allows:
                sid = statement.get("Sid", "?")
                resources = [str(r) for r in as_list(statement.get("Resource"))]
                if statement.get("NotResource") or statement.get("NotAction"):
                    yield Violation(endpoint.urn, f"S3 endpoint statement {sid} uses NotResource or NotAction")
                if any(_bucket_and_key(r)[0] in ("*", "") for r in resources):
                    yield Violation(endpoint.urn, f"S3 endpoint statement {sid} allows every bucket")
                    continue
                if (
                    "*" in principals(statement)
                    and statement.get("Action") in ("*", "s3:*")
                    and not statement.get("Resource")
                ):
                    yield Violation(endpoint.urn, "S3 endpoint allows everything")
                # Buckets of others: a compromised job must not be able to write (or list) there, and a
                # pattern would match buckets anyone can create, e.g. to receive data in request keys.
                foreign = [r for r in resources if _bucket_and_key(r)[0] not in own]
                if not foreign or not own:
                    continue
                actions = {str(a).lower() for a in as_list(statement.get("Action"))}
                if not actions <= READ_ONLY_OBJECT_ACTIONS:
                    yield Violation(
                        endpoint.urn,
                        f"S3 endpoint statement {sid} allows {', '.join(sorted(actions - READ_ONLY_OBJECT_ACTIONS))} "
                        f"on buckets outside the landing zone ({', '.join(foreign)}); allow only s3:GetObject there",
                    )
                for resource in foreign:
                    bucket, key = _bucket_and_key(resource)
                    if key is None:
                        yield Violation(
                            endpoint.urn, f"S3 endpoint statement {sid} names the bucket {resource}, not its objects"
                        )
                    if ("*" in bucket or "?" in bucket) and not AWS_OWNED_SUFFIXED_BUCKET.match(bucket):
                        yield Violation(
                            endpoint.urn,
                            f"S3 endpoint statement {sid} names buckets by the pattern {bucket}, which matches "
                            "buckets anyone can create",
                        )


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
        for endpoint in stack.of_type(ENDPOINT):
            if _linked(endpoint, "vpcId", vpc) and endpoint.get("vpcEndpointType") == "Interface":
                services[str(endpoint.get("serviceName", "")).split(".", 3)[-1]] = endpoint
        missing = [s for s in REQUIRED_INTERFACE_SERVICES if s not in services]
        if missing:
            yield Violation(vpc.urn, f"no interface endpoint for {', '.join(missing)}")
        for service, endpoint in sorted(services.items()):
            if endpoint.get("privateDnsEnabled") is not True:
                yield Violation(endpoint.urn, f"{service} endpoint has private DNS off")


@stack_rule(
    "GLZ-NET-007",
    "no-internet-path-without-explicit-egress",
    "high",
    BOUNDARY,
    "Remove the internet gateway, or set egress: nat-gateway so the choice is explicit and visible.",
)
def no_internet_path(stack: StackView) -> Iterator[Violation]:
    """An internet gateway exists only with NAT egress chosen explicitly (egress: nat-gateway)."""
    nat = stack.of_type("aws:ec2/natGateway:NatGateway")
    for gateway in stack.of_type("aws:ec2/internetGateway:InternetGateway"):
        if not nat:
            yield Violation(gateway.urn, "internet gateway without the explicit NAT egress setting")
