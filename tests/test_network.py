"""SecureNetwork: private-only subnets, endpoint-only egress by default, flow logs of ALL traffic,
least-privilege endpoint policies and roles, and the VPC-endpoint-only bucket guard."""

from __future__ import annotations

import ipaddress
import itertools
import json

import pytest

from components.data_lake import LOG_TIER
from components.encryption_keys import EncryptionKeys
from components.network import SecureNetwork, plan_subnets
from components.network_policies import vpc_endpoint_only_statement
from components.settings import DEFAULT_INTERFACE_ENDPOINTS, TIERS
from tests.harness import ACCOUNT, STACK, make_settings, synthesize

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ROUTE = "aws:ec2/route:Route"
IGW = "aws:ec2/internetGateway:InternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REGION = "us-east-1"


def build(settings):
    built = {}

    def program():
        keys = EncryptionKeys("keys", settings, STACK)
        built["network"] = SecureNetwork("net", settings, STACK, keys.logs)

    state = synthesize(program, settings)
    return state, built["network"]


@pytest.fixture(scope="module")
def default():
    settings = make_settings()
    state, network = build(settings)
    return settings, state, network


@pytest.fixture(scope="module")
def nat():
    settings = make_settings(egress="nat-gateway", availabilityZoneCount=3, vpcCidr="10.50.0.0/18")
    state, network = build(settings)
    return settings, state, network


def one(state, typ):
    (resource,) = state.of_type(typ)
    return resource


def logs_key_arn(state):
    key = next(r for r in state.of_type("aws:kms/key:Key") if r.inputs["tags"]["Purpose"] == "logs")
    return key.outputs["arn"]


def by_id(state, typ):
    return {r.id: r for r in state.of_type(typ)}


# ---- VPC and subnets --------------------------------------------------------------------------


def test_vpc_has_dns_support_and_hostnames(default):
    settings, state, _ = default
    vpc = one(state, VPC)
    assert vpc.inputs["cidrBlock"] == settings.vpc_cidr
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True


@pytest.mark.parametrize("fixture", ["default", "nat"])
def test_one_private_subnet_per_zone_inside_the_vpc(request, fixture):
    settings, state, network = request.getfixturevalue(fixture)
    vpc = ipaddress.IPv4Network(settings.vpc_cidr)
    private = [s for s in state.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "private"]
    assert sorted(s.inputs["availabilityZone"] for s in private) == sorted(settings.zones)
    networks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in private]
    assert all(n.subnet_of(vpc) for n in networks)
    assert all(not a.overlaps(b) for a, b in itertools.combinations(networks, 2))
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in private)
    assert len(network.private_subnets) == len(settings.zones)


def test_zones_by_az_id_place_every_subnet_by_id():
    """availabilityZoneIds: the same physical zones in every account (names differ per account), so each subnet,
    private and public, is placed by availabilityZoneId and carries no zone name."""
    settings = make_settings(availabilityZoneIds=["use1-az4", "use1-az6", "use1-az1"], egress="nat-gateway")
    state, _ = build(settings)
    subnets = state.of_type(SUBNET)
    assert len(subnets) == 6
    assert all("availabilityZone" not in s.inputs for s in subnets)
    placed = sorted(s.inputs["availabilityZoneId"] for s in subnets)
    assert placed == sorted(["use1-az4", "use1-az6", "use1-az1"] * 2)


def test_private_subnets_are_slash_20_in_a_slash_16(default):
    _, state, _ = default
    assert {s.inputs["cidrBlock"] for s in state.of_type(SUBNET)} == {"10.40.0.0/20", "10.40.16.0/20"}


@pytest.mark.parametrize("fixture", ["default", "nat"])
def test_private_route_table_per_zone_associated_with_its_subnet(request, fixture):
    settings, state, network = request.getfixturevalue(fixture)
    tables = by_id(state, ROUTE_TABLE)
    subnets = by_id(state, SUBNET)
    private_tables = {i for i, t in tables.items() if t.inputs["tags"]["Tier"] == "private"}
    assert len(private_tables) == len(settings.zones) == len(network.private_route_tables)
    pairs = {
        (subnets[a.inputs["subnetId"]].inputs["availabilityZone"], a.inputs["routeTableId"])
        for a in state.of_type(ASSOCIATION)
        if subnets[a.inputs["subnetId"]].inputs["tags"]["Tier"] == "private"
    }
    assert len(pairs) == len(settings.zones)
    assert {table for _, table in pairs} == private_tables


# ---- egress -----------------------------------------------------------------------------------


def test_no_internet_path_by_default(default):
    _, state, network = default
    assert network.egress_mode == "none"
    assert state.of_type(IGW) == [] and state.of_type(NAT) == [] and state.of_type(EIP) == []
    assert state.of_type(ROUTE) == []
    assert all(s.inputs["tags"]["Tier"] == "private" for s in state.of_type(SUBNET))
    for table in state.of_type(ROUTE_TABLE):
        assert not table.inputs.get("routes"), "private route tables carry only the local route"


def test_nat_gateway_egress_has_one_nat_per_zone(nat):
    settings, state, network = nat
    assert network.egress_mode == "nat-gateway"
    igw = one(state, IGW)
    assert igw.inputs["vpcId"] == one(state, VPC).id
    subnets = by_id(state, SUBNET)
    nats = state.of_type(NAT)
    assert len(nats) == len(settings.zones) == len(state.of_type(EIP))
    nat_zones = [subnets[n.inputs["subnetId"]].inputs["availabilityZone"] for n in nats]
    assert sorted(nat_zones) == sorted(settings.zones)
    for gateway in nats:
        assert subnets[gateway.inputs["subnetId"]].inputs["tags"]["Tier"] == "public"
        assert gateway.inputs["allocationId"] in {e.id for e in state.of_type(EIP)}
    public = [s for s in subnets.values() if s.inputs["tags"]["Tier"] == "public"]
    assert len(public) == len(settings.zones)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in public)


def test_nat_routes_stay_in_their_zone(nat):
    settings, state, _ = nat
    subnets = by_id(state, SUBNET)
    tables = by_id(state, ROUTE_TABLE)
    nats = by_id(state, NAT)
    zone_of_table = {
        a.inputs["routeTableId"]: subnets[a.inputs["subnetId"]].inputs["availabilityZone"]
        for a in state.of_type(ASSOCIATION)
        if tables[a.inputs["routeTableId"]].inputs["tags"]["Tier"] == "private"
    }
    private_routes = [r for r in state.of_type(ROUTE) if r.inputs["routeTableId"] in zone_of_table]
    assert len(private_routes) == len(settings.zones)
    for route in private_routes:
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        nat_zone = subnets[nats[route.inputs["natGatewayId"]].inputs["subnetId"]].inputs["availabilityZone"]
        assert nat_zone == zone_of_table[route.inputs["routeTableId"]]
    (public_route,) = [r for r in state.of_type(ROUTE) if r.inputs["routeTableId"] not in zone_of_table]
    assert public_route.inputs["gatewayId"] == one(state, IGW).id


# ---- security groups --------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["default", "nat"])
def test_default_security_group_has_no_rules(request, fixture):
    _, state, _ = request.getfixturevalue(fixture)
    group = one(state, DEFAULT_SG)
    assert group.inputs["vpcId"] == one(state, VPC).id
    assert group.inputs.get("ingress", []) == []
    assert group.inputs.get("egress", []) == []


def test_endpoint_security_group_allows_https_from_the_vpc_only(default):
    settings, state, network = default
    group = one(state, SECURITY_GROUP)
    (rule,) = group.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert rule["cidrBlocks"] == [settings.vpc_cidr]
    assert not rule.get("ipv6CidrBlocks") and not rule.get("securityGroups") and not rule.get("self")
    assert group.inputs["egress"] == []
    assert network.endpoint_security_group is not None


@pytest.mark.parametrize("fixture", ["default", "nat"])
def test_no_security_group_rule_allows_the_internet_in(request, fixture):
    _, state, _ = request.getfixturevalue(fixture)
    for group in state.of_type(SECURITY_GROUP) + state.of_type(DEFAULT_SG):
        for rule in group.inputs.get("ingress") or []:
            assert "0.0.0.0/0" not in (rule.get("cidrBlocks") or []), group.name
            assert "::/0" not in (rule.get("ipv6CidrBlocks") or []), group.name
    for rule in state.of_type("aws:ec2/securityGroupRule:SecurityGroupRule"):
        if rule.inputs["type"] == "ingress":
            assert "0.0.0.0/0" not in (rule.inputs.get("cidrBlocks") or []), rule.name
    for rule in state.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        assert rule.inputs.get("cidrIpv4") != "0.0.0.0/0" and rule.inputs.get("cidrIpv6") != "::/0", rule.name


# ---- flow logs --------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["default", "nat"])
def test_flow_log_captures_all_traffic_to_the_encrypted_log_group(request, fixture):
    settings, state, network = request.getfixturevalue(fixture)
    flow_log = one(state, FLOW_LOG)
    (group,) = [g for g in state.of_type(LOG_GROUP) if g.inputs["name"].endswith("vpc-flow-logs")]
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["vpcId"] == one(state, VPC).id
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert "logGroupName" not in flow_log.inputs
    assert group.inputs["kmsKeyId"] == logs_key_arn(state)
    assert group.inputs["retentionInDays"] == settings.flow_log_retention_days
    role = one(state, ROLE)
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"]
    assert network.flow_log_group is not None and network.flow_log is not None


def test_flow_log_retention_follows_settings():
    settings = make_settings(flowLogRetentionDays=731)
    state, _ = build(settings)
    (group,) = state.of_type(LOG_GROUP)
    assert group.inputs["retentionInDays"] == 731


def test_flow_log_role_trusted_only_by_vpc_flow_logs_for_this_account(default):
    _, state, _ = default
    trust = json.loads(one(state, ROLE).inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].startswith(f"arn:aws:ec2:{REGION}:{ACCOUNT}:")


def test_flow_log_role_writes_only_its_log_group(default):
    _, state, _ = default
    group_arn = one(state, LOG_GROUP).outputs["arn"]
    policy = one(state, ROLE_POLICY)
    assert policy.inputs["role"] == one(state, ROLE).id
    statement, listing = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Resource"]) == sorted([group_arn, f"{group_arn}:*"])
    assert all(a.startswith("logs:") and "*" not in a for a in statement["Action"])
    # every permission the VPC Flow Logs guide lists for the delivery role, writes on the one group only
    assert set(statement["Action"]) == {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    }
    # DescribeLogGroups has no resource type (a List action): the only grant on "*"
    assert listing == {"Sid": "FindLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"}


# ---- gateway endpoints ------------------------------------------------------------------------


def gateway(state, service):
    (endpoint,) = [
        r
        for r in state.of_type(ENDPOINT)
        if r.inputs["serviceName"] == f"com.amazonaws.{REGION}.{service}" and r.inputs["vpcEndpointType"] == "Gateway"
    ]
    return endpoint


@pytest.mark.parametrize("service", ["s3", "dynamodb"])
def test_gateway_endpoints_serve_every_private_route_table(default, service):
    _, state, _ = default
    endpoint = gateway(state, service)
    private_tables = {t.id for t in state.of_type(ROUTE_TABLE) if t.inputs["tags"]["Tier"] == "private"}
    assert set(endpoint.inputs["routeTableIds"]) == private_tables
    assert endpoint.inputs["vpcId"] == one(state, VPC).id


def expected_bucket_arns():
    names = [f"glz-{STACK}-{tier}-{ACCOUNT}-{REGION}" for tier in (*TIERS, LOG_TIER, "audit")]
    return [f"arn:aws:s3:::{n}" for n in names]


def test_s3_endpoint_policy_limited_to_landing_zone_and_aws_owned_buckets(default):
    _, state, network = default
    endpoint = gateway(state, "s3")
    assert network.s3_endpoint is not None
    own, aws_owned = json.loads(endpoint.inputs["policy"])["Statement"]
    buckets = expected_bucket_arns()
    assert own["Effect"] == "Allow"
    assert sorted(own["Resource"]) == sorted(buckets + [f"{b}/*" for b in buckets])
    assert own["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
    assert aws_owned["Action"] == "s3:GetObject"
    assert sorted(aws_owned["Resource"]) == sorted(
        [
            f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*",
            f"arn:aws:s3:::al2023-repos-{REGION}-*/*",
            f"arn:aws:s3:::amazonlinux-2-repos-{REGION}/*",
            f"arn:aws:s3:::aws-ssm-{REGION}/*",
            f"arn:aws:s3:::amazon-ssm-{REGION}/*",
            f"arn:aws:s3:::aws-ssm-document-attachments-{REGION}/*",
            f"arn:aws:s3:::{REGION}-birdwatcher-prod/*",
        ]
    )
    for statement in (own, aws_owned):
        assert "*" not in statement["Resource"] and "arn:aws:s3:::*" not in statement["Resource"]


def test_dynamodb_endpoint_policy_limited_to_this_account_and_region(default):
    _, state, _ = default
    (statement,) = json.loads(gateway(state, "dynamodb").inputs["policy"])["Statement"]
    assert statement["Resource"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}


# ---- interface endpoints ----------------------------------------------------------------------


def interface_endpoints(state):
    return {
        r.inputs["serviceName"].removeprefix(f"com.amazonaws.{REGION}."): r
        for r in state.of_type(ENDPOINT)
        if r.inputs["vpcEndpointType"] == "Interface"
    }


def test_interface_endpoint_per_configured_service(default):
    settings, state, network = default
    found = interface_endpoints(state)
    assert sorted(found) == sorted(DEFAULT_INTERFACE_ENDPOINTS) == sorted(settings.interface_endpoints)
    assert sorted(network.interface_endpoints) == sorted(found)
    private_subnets = {s.id for s in state.of_type(SUBNET)}
    group = one(state, SECURITY_GROUP)
    for service, endpoint in found.items():
        assert endpoint.inputs["privateDnsEnabled"] is True, service
        assert set(endpoint.inputs["subnetIds"]) == private_subnets, service
        assert endpoint.inputs["securityGroupIds"] == [group.id], service


def test_interface_endpoints_follow_settings_and_coexist_with_gateways():
    settings = make_settings(interfaceEndpoints=["kms", "s3", "logs"])
    state, _ = build(settings)
    found = interface_endpoints(state)
    assert sorted(found) == ["kms", "logs", "s3"]
    assert found["s3"].inputs["dnsOptions"]["privateDnsOnlyForInboundResolverEndpoint"] is True
    assert gateway(state, "s3").inputs["vpcEndpointType"] == "Gateway"


def test_interface_endpoints_only_in_private_subnets_with_nat(nat):
    _, state, _ = nat
    private = {s.id for s in state.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "private"}
    for endpoint in interface_endpoints(state).values():
        assert set(endpoint.inputs["subnetIds"]) == private


# ---- subnet planning --------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", range(16, 25))
@pytest.mark.parametrize("zones", range(2, 7))
@pytest.mark.parametrize("public", [False, True])
def test_subnet_plan_fits_every_allowed_vpc(prefix, zones, public):
    cidr = f"10.40.0.0/{prefix}"
    if public and prefix == 24 and zones == 6:
        with pytest.raises(ValueError, match="too small"):
            plan_subnets(cidr, zones, public=public)
        return
    plan = plan_subnets(cidr, zones, public=public)
    vpc = ipaddress.IPv4Network(cidr)
    private = [ipaddress.IPv4Network(c) for c in plan.private]
    public_nets = [ipaddress.IPv4Network(c) for c in plan.public]
    assert len(private) == zones and len(public_nets) == (zones if public else 0)
    everything = private + public_nets
    assert all(n.subnet_of(vpc) for n in everything)
    assert all(not a.overlaps(b) for a, b in itertools.combinations(everything, 2))
    # Room for every default interface endpoint's network interface plus compute, and AWS's /28 floor.
    assert all(n.prefixlen <= 27 for n in private)
    assert all(n.prefixlen <= 28 for n in public_nets)
    assert all(n.prefixlen >= 20 for n in private)


def test_subnet_plan_error_fails_before_any_resource():
    settings = make_settings(vpcCidr="10.40.0.0/24", availabilityZoneCount=6, egress="nat-gateway")
    with pytest.raises(ValueError, match=r"vpcCidr 10\.40\.0\.0/24 is too small"):
        SecureNetwork("net", settings, STACK, log_key=None)  # type: ignore[arg-type]


# ---- VPC-endpoint-only bucket guard -----------------------------------------------------------

BUCKET = f"arn:aws:s3:::glz-{STACK}-variants-{ACCOUNT}-{REGION}"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-admin"


def test_vpc_endpoint_only_statement_denies_requests_outside_the_endpoint():
    statement = vpc_endpoint_only_statement(BUCKET, "vpce-0123456789abcdef0", [ADMIN])
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Action"] == "s3:*"
    assert statement["Resource"] == [BUCKET, f"{BUCKET}/*"]
    condition = statement["Condition"]
    assert condition["StringNotEquals"] == {"aws:SourceVpce": "vpce-0123456789abcdef0"}
    assert condition["ArnNotLike"] == {"aws:PrincipalArn": [ADMIN]}
    assert condition["Bool"] == {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"}
    json.dumps(statement)  # a plain JSON-serializable statement for extra_statements


def test_vpc_endpoint_only_statement_without_exemptions_omits_arn_not_like():
    statement = vpc_endpoint_only_statement(BUCKET, "vpce-0123456789abcdef0", [])
    assert "ArnNotLike" not in statement["Condition"]
    assert statement["Condition"]["StringNotEquals"] == {"aws:SourceVpce": "vpce-0123456789abcdef0"}


def test_vpc_endpoint_only_statement_deduplicates_exemptions():
    other = f"arn:aws:iam::{ACCOUNT}:role/deployer"
    statement = vpc_endpoint_only_statement(BUCKET, "vpce-0123456789abcdef0", [other, ADMIN, other])
    assert statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == sorted([ADMIN, other])


@pytest.mark.parametrize(
    ("bucket", "vpce", "exempt"),
    [
        (BUCKET, "vpce-1", ["*"]),
        (BUCKET, "vpce-1", ["someone"]),
        (BUCKET, "vpce-1", ["arn:aws:iam::111122223333:role/glz-demo-malware-scan-*"]),
        (BUCKET, "vpce-1", ["arn:aws:iam::111122223333:role/glz-demo-admin?"]),
        (BUCKET, "vpc-1", []),
        (f"{BUCKET}/*", "vpce-1", []),
        ("my-bucket", "vpce-1", []),
    ],
)
def test_vpc_endpoint_only_statement_rejects_inputs_that_would_weaken_it(bucket, vpce, exempt):
    with pytest.raises(ValueError):
        vpc_endpoint_only_statement(bucket, vpce, exempt)


def test_vpc_endpoint_only_statement_fits_the_data_lake_hook():
    """The lead passes it through GenomicsDataLake(extra_statements=...); the deny lands in every tier."""
    from components.data_lake import GenomicsDataLake

    settings = make_settings()

    def program():
        keys = EncryptionKeys("keys", settings, STACK)
        GenomicsDataLake(
            "data",
            settings,
            STACK,
            keys.data,
            extra_statements=lambda arn: [vpc_endpoint_only_statement(arn, "vpce-0123456789abcdef0", [ADMIN])],
        )

    state = synthesize(program, settings)
    tier_policies = [p for p in state.of_type("aws:s3/bucketPolicy:BucketPolicy") if LOG_TIER not in p.inputs["bucket"]]
    assert len(tier_policies) == len(TIERS)
    for policy in tier_policies:
        sids = [s["Sid"] for s in json.loads(policy.inputs["policy"])["Statement"]]
        assert "DenyAccessOutsideVpcEndpoint" in sids


def test_ssm_agent_buckets_follow_the_region():
    """Inspector's SSM plugin comes through Distributor; every SSM bucket is the region's own."""
    from components.network_policies import ssm_agent_bucket_object_arns

    arns = ssm_agent_bucket_object_arns(make_settings(region="eu-west-1"))
    assert "arn:aws:s3:::eu-west-1-birdwatcher-prod/*" in arns
    assert len(arns) == 4 and all("eu-west-1" in arn for arn in arns)


def test_endpoint_only_deny_exempts_this_accounts_service_linked_roles_only():
    """AWS Config and Access Analyzer read the buckets through service-linked roles from outside the VPC."""
    from components.network_policies import vpc_endpoint_only_statement

    statement = vpc_endpoint_only_statement(
        "arn:aws:s3:::b", "vpce-0123456789abcdef0", ["arn:aws:iam::111122223333:role/deployer"], "111122223333"
    )
    exempt = statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    assert exempt == [
        "arn:aws:iam::111122223333:role/deployer",
        "arn:aws:iam::111122223333:role/aws-service-role/*",
    ]
    without_account = vpc_endpoint_only_statement("arn:aws:s3:::b", "vpce-0123456789abcdef0", [])
    assert "ArnNotLike" not in without_account["Condition"]


def test_interface_endpoints_that_take_a_policy_admit_only_this_account(demo_state_document):
    """Issue 19: no endpoint admits another account's principals; an endpoint whose service supports only the
    full-access policy gets none (CreateVpcEndpoint refuses a custom one there)."""
    import json as _json

    from components.network_policies import POLICY_SERVICES
    from policies.rules import endpoint_policies

    assert endpoint_policies.POLICY_SERVICES == POLICY_SERVICES
    interface = [
        r
        for r in demo_state_document["deployment"]["resources"]
        if r["type"] == "aws:ec2/vpcEndpoint:VpcEndpoint" and r["inputs"]["vpcEndpointType"] == "Interface"
    ]
    for endpoint in interface:
        service = endpoint["inputs"]["serviceName"].split(".", 3)[-1]
        policy = endpoint["inputs"].get("policy")
        if service in POLICY_SERVICES:
            statements = _json.loads(policy)["Statement"]
            assert statements[0]["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}, service
            assert endpoint_policies.outsider_admitted(policy, "111122223333") == [], service
        elif service != "s3":
            assert not policy, f"{service} takes only the full-access policy"
