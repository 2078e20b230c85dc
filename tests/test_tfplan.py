"""Stack state -> Terraform plan JSON: type names, attribute names, blocks vs maps, references.

No checkov here: these pin the conversion itself (tests/test_checkov.py runs the real checkov).
"""

from __future__ import annotations

import json

import pytest

from components.data_lake import GenomicsDataLake
from components.encryption_keys import EncryptionKeys
from glz.state import StackState
from glz.tfplan import (
    PROVIDER_NAME,
    attribute_name,
    convert_values,
    snake,
    state_to_plan,
    terraform_type,
)
from tests.harness import STACK, make_settings, synthesize

P = "urn:pulumi:test::genomics-landing-zone::"


@pytest.mark.parametrize(
    ("pulumi_type", "tf_type"),
    [
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:s3/bucketVersioning:BucketVersioning", "aws_s3_bucket_versioning"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws_s3_bucket_server_side_encryption_configuration",
        ),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws_s3_bucket_public_access_block"),
        ("aws:kms/key:Key", "aws_kms_key"),
        ("aws:iam/rolePolicy:RolePolicy", "aws_iam_role_policy"),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws_iam_role_policy_attachment"),
        ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws_cloudwatch_metric_alarm"),
        ("aws:cloudtrail/trail:Trail", "aws_cloudtrail"),
        ("aws:cfg/recorder:Recorder", "aws_config_configuration_recorder"),
        ("aws:cfg/recorderStatus:RecorderStatus", "aws_config_configuration_recorder_status"),
        ("aws:cfg/deliveryChannel:DeliveryChannel", "aws_config_delivery_channel"),
        ("aws:cfg/rule:Rule", "aws_config_config_rule"),
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:ec2/vpcEndpoint:VpcEndpoint", "aws_vpc_endpoint"),
        ("aws:ec2/flowLog:FlowLog", "aws_flow_log"),
        ("aws:ec2/launchTemplate:LaunchTemplate", "aws_launch_template"),
        ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws_default_security_group"),
        ("aws:ec2/tag:Tag", "aws_ec2_tag"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
        ("aws:batch/computeEnvironment:ComputeEnvironment", "aws_batch_compute_environment"),
        ("aws:guardduty/detectorFeature:DetectorFeature", "aws_guardduty_detector_feature"),
        ("aws:ebs/encryptionByDefault:EncryptionByDefault", "aws_ebs_encryption_by_default"),
        ("aws:efs/fileSystem:FileSystem", "aws_efs_file_system"),
        ("aws:inspector2/enabler:Enabler", "aws_inspector2_enabler"),
        ("aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan", "aws_guardduty_malware_protection_plan"),
        # rds: the older resources are aws_db_*, the rest aws_rds_*
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:rds/subnetGroup:SubnetGroup", "aws_db_subnet_group"),
        ("aws:rds/cluster:Cluster", "aws_rds_cluster"),
        # modules whose Terraform prefix differs
        ("aws:apigateway/restApi:RestApi", "aws_api_gateway_rest_api"),
        ("aws:directconnect/gateway:Gateway", "aws_dx_gateway"),
        ("aws:costexplorer/costCategory:CostCategory", "aws_ce_cost_category"),
        ("aws:amp/workspace:Workspace", "aws_prometheus_workspace"),
        ("aws:cfg/conformancePack:ConformancePack", "aws_config_conformance_pack"),
        # sub-services glued to the prefix
        ("aws:bedrock/agentAgent:AgentAgent", "aws_bedrockagent_agent"),
        ("aws:opensearch/serverlessCollection:ServerlessCollection", "aws_opensearchserverless_collection"),
        ("aws:bedrock/guardrail:Guardrail", "aws_bedrock_guardrail"),
        # named by hand in pulumi-aws
        ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
        ("aws:alb/loadBalancer:LoadBalancer", "aws_alb"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws_iam_openid_connect_provider"),
        ("aws:ec2transitgateway/transitGateway:TransitGateway", "aws_ec2_transit_gateway"),
        # deprecated aliases map like the class replacing them
        ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
        ("aws:s3/bucketVersioningV2:BucketVersioningV2", "aws_s3_bucket_versioning"),
    ],
)
def test_type_mapping(pulumi_type, tf_type):
    """Examples of each naming rule; tests/test_checkov_coverage.py checks every pulumi-aws type
    against checkov's catalog."""
    assert terraform_type(pulumi_type) == tf_type


@pytest.mark.parametrize(
    "pulumi_type",
    ["pulumi:pulumi:Stack", "pulumi:providers:aws", "glz:data:SecureBucket", "random:index/randomId:RandomId"],
)
def test_non_aws_types_have_no_terraform_type(pulumi_type):
    assert terraform_type(pulumi_type) is None


@pytest.mark.parametrize(
    ("camel", "snake_case"),
    [
        ("kmsMasterKeyId", "kms_master_key_id"),
        ("blockPublicAcls", "block_public_acls"),
        ("ec2Configurations", "ec2_configurations"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
        ("s3BucketName", "s3_bucket_name"),
        ("bucket", "bucket"),
    ],
)
def test_snake_case(camel, snake_case):
    assert snake(camel) == snake_case


@pytest.mark.parametrize(
    ("key", "value", "name"),
    [
        ("rules", [{"id": "a"}], "rule"),  # pluralized list block -> Terraform's singular block name
        ("transitions", [{"days": 1}], "transition"),
        ("inlinePolicies", [{"name": "x"}], "inline_policy"),
        ("ec2Configurations", [{"imageType": "ECS_AL2023"}], "ec2_configuration"),
        ("blockDeviceMappings", [{"deviceName": "/dev/xvda"}], "block_device_mappings"),  # plural in Terraform too
        ("blockedEncryptionTypes", ["SSE-C"], "blocked_encryption_types"),  # list attribute, already plural
        ("instanceTypes", ["m7i"], "instance_type"),  # a set attribute the bridge pluralized
        ("startsWiths", ["arn:aws:s3:::b/"], "starts_with"),
        ("versioningConfiguration", {"status": "Enabled"}, "versioning_configuration"),
        ("address", "10.0.0.0", "address"),
    ],
)
def test_attribute_names(key, value, name):
    assert attribute_name(key, value) == name


def test_single_blocks_become_lists_and_maps_stay_maps():
    values = convert_values(
        {
            "versioningConfiguration": {"status": "Enabled"},
            "tags": {"DataTier": "bcl", "CostCenter": "genomics"},
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:k"},
                    "bucketKeyEnabled": True,
                    "filter": {"and": {"tags": {"RunId": "R1"}, "prefix": "x/"}},
                }
            ],
            "policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
            "days": 7.0,
            "__meta": '{"schema_version": "0"}',
        }
    )
    assert values["versioning_configuration"] == [{"status": "Enabled"}]
    # Map attributes keep their keys verbatim (tag names are data, not property names).
    assert values["tags"] == {"DataTier": "bcl", "CostCenter": "genomics"}
    rule = values["rule"][0]
    assert rule["apply_server_side_encryption_by_default"] == [
        {"sse_algorithm": "aws:kms", "kms_master_key_id": "arn:k"}
    ]
    assert rule["bucket_key_enabled"] is True
    assert rule["filter"] == [{"and": [{"tags": {"RunId": "R1"}, "prefix": "x/"}]}]
    # JSON documents stay strings, as Terraform plans hold them; checkov parses them itself.
    assert isinstance(values["policy"], str) and json.loads(values["policy"])["Version"] == "2012-10-17"
    assert values["days"] == 7 and isinstance(values["days"], int)
    assert "__meta" not in values


def _entry(typ, name, inputs, parent="", deps=None, id_=None, custom=True, outputs=None):
    qualified = f"{parent}${typ}" if parent else typ
    return {
        "urn": f"{P}{qualified}::{name}",
        "custom": custom,
        "type": typ,
        "id": id_,
        "inputs": inputs,
        "outputs": outputs if outputs is not None else dict(inputs),
        "propertyDependencies": deps or {},
    }


@pytest.fixture
def small_state():
    bucket = _entry("aws:s3/bucket:Bucket", "data-bcl", {"bucket": "b-bcl", "tags": {"DataTier": "bcl"}}, id_="b-bcl")
    bucket["outputs"]["arn"] = "arn:aws:s3:::b-bcl"
    key = _entry("aws:kms/key:Key", "keys-data", {"description": "data"}, id_="k1")
    key["outputs"]["arn"] = "arn:aws:kms:us-east-1:111122223333:key/k1"
    sse = _entry(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "data-bcl-encryption",
        {
            "bucket": "b-bcl",
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "kmsMasterKeyId": "arn:aws:kms:us-east-1:111122223333:key/k1",
                        "sseAlgorithm": "aws:kms",
                    }
                }
            ],
        },
        deps={"bucket": [bucket["urn"]], "rules": [key["urn"]]},
        id_="b-bcl",
    )
    policy = _entry(
        "aws:s3/bucketPolicy:BucketPolicy",
        "data-bcl-policy",
        {"bucket": "b-bcl", "policy": json.dumps({"Statement": [{"Resource": "arn:aws:s3:::b-bcl/*"}]})},
        deps={"bucket": [bucket["urn"]], "policy": [key["urn"]]},
        id_="b-bcl",
    )
    provider = _entry(
        "pulumi:providers:aws",
        "aws",
        {"region": "us-east-1", "defaultTags": json.dumps({"tags": {"Stack": "test", "DataTier": "default"}})},
        id_="p1",
    )
    component = _entry("glz:data:SecureBucket", "data-bcl", {}, custom=False)
    stack = _entry("pulumi:pulumi:Stack", "genomics-landing-zone-test", {}, custom=False)
    entries = [stack, provider, component, key, bucket, sse, policy]
    return StackState({"version": 3, "deployment": {"resources": entries}})


def test_plan_shape(small_state):
    plan = state_to_plan(small_state)
    assert plan["format_version"] and plan["terraform_version"]
    resources = plan["planned_values"]["root_module"]["resources"]
    assert [r["address"] for r in resources] == [
        "aws_kms_key.keys_data",
        "aws_s3_bucket.data_bcl",
        "aws_s3_bucket_server_side_encryption_configuration.data_bcl_encryption",
        "aws_s3_bucket_policy.data_bcl_policy",
    ]  # providers, components and the stack have no Terraform counterpart
    for resource in resources:
        assert resource["mode"] == "managed"
        assert resource["provider_name"] == PROVIDER_NAME
        assert resource["address"] == f"{resource['type']}.{resource['name']}"
    changes = {c["address"]: c for c in plan["resource_changes"]}
    assert set(changes) == {r["address"] for r in resources}
    assert all(c["change"]["actions"] == ["create"] for c in changes.values())
    assert plan["glz"]["addresses"]["aws_s3_bucket.data_bcl"] == f"{P}aws:s3/bucket:Bucket::data-bcl"
    assert plan["glz"]["addresses"]["aws.default"] == f"{P}pulumi:providers:aws::aws"


def test_tags_all_merges_provider_default_tags(small_state):
    plan = state_to_plan(small_state)
    bucket = next(r for r in plan["planned_values"]["root_module"]["resources"] if r["type"] == "aws_s3_bucket")
    assert bucket["values"]["tags"] == {"DataTier": "bcl"}
    assert bucket["values"]["tags_all"] == {"Stack": "test", "DataTier": "bcl"}  # resource tags win


def test_references_from_property_dependencies(small_state):
    config = {r["address"]: r for r in state_to_plan(small_state)["configuration"]["root_module"]["resources"]}
    sse = config["aws_s3_bucket_server_side_encryption_configuration.data_bcl_encryption"]["expressions"]
    # `bucket` holds the bucket's id: a top-level reference, as `bucket = aws_s3_bucket.x.id` gives.
    assert sse["bucket"] == {"references": ["aws_s3_bucket.data_bcl.id", "aws_s3_bucket.data_bcl"]}
    # The key ARN sits inside the rule block: the reference lands on the nested attribute.
    assert sse["rule"] == [
        {
            "apply_server_side_encryption_by_default": [
                {"kms_master_key_id": {"references": ["aws_kms_key.keys_data.arn", "aws_kms_key.keys_data"]}}
            ]
        }
    ]
    policy = config["aws_s3_bucket_policy.data_bcl_policy"]["expressions"]
    # A dependency only visible inside a JSON string still yields a reference on that attribute.
    assert policy["policy"] == {"references": ["aws_kms_key.keys_data.id", "aws_kms_key.keys_data"]}


def test_names_are_identifiers_and_unique():
    a = _entry("aws:s3/bucket:Bucket", "data-bcl", {"bucket": "one"}, parent="glz:data:SecureBucket")
    b = _entry("aws:s3/bucket:Bucket", "data.bcl", {"bucket": "two"}, parent="glz:audit:AuditTrail")
    c = _entry("aws:s3/bucket:Bucket", "1st", {"bucket": "three"})
    plan = state_to_plan(StackState({"deployment": {"resources": [a, b, c]}}))
    names = [r["name"] for r in plan["planned_values"]["root_module"]["resources"]]
    assert names == ["data_bcl", "data_bcl_2", "r_1st"]


@pytest.fixture(scope="module")
def lake_plan():
    settings = make_settings()

    def program():
        keys = EncryptionKeys("keys", settings, STACK)
        GenomicsDataLake("data", settings, STACK, keys.data)

    return state_to_plan(synthesize(program, settings))


BUCKET_CHILDREN = [
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_logging",
]


@pytest.mark.parametrize("tf_type", BUCKET_CHILDREN)
def test_data_lake_children_reference_their_bucket(lake_plan, tf_type):
    """checkov's graph checks join a bucket to its sibling resources through these references."""
    values = {r["address"]: r["values"] for r in lake_plan["planned_values"]["root_module"]["resources"]}
    buckets = {v["bucket"]: a for a, v in values.items() if a.startswith("aws_s3_bucket.")}
    config = [r for r in lake_plan["configuration"]["root_module"]["resources"] if r["type"] == tf_type]
    assert config
    for resource in config:
        bucket_address = buckets[values[resource["address"]]["bucket"]]
        assert resource["expressions"]["bucket"]["references"] == [f"{bucket_address}.id", bucket_address]


def test_data_lake_logging_targets_the_access_log_bucket(lake_plan):
    config = [r for r in lake_plan["configuration"]["root_module"]["resources"] if r["type"] == "aws_s3_bucket_logging"]
    assert len(config) == 6
    for resource in config:
        assert resource["expressions"]["target_bucket"]["references"] == [
            "aws_s3_bucket.data_access_logs.id",
            "aws_s3_bucket.data_access_logs",
        ]


def test_data_lake_encryption_values_in_terraform_shape(lake_plan):
    for resource in lake_plan["planned_values"]["root_module"]["resources"]:
        if resource["type"] != "aws_s3_bucket_server_side_encryption_configuration":
            continue
        (rule,) = resource["values"]["rule"]
        (default,) = rule["apply_server_side_encryption_by_default"]
        assert default["sse_algorithm"] == "aws:kms"
        assert default["kms_master_key_id"].startswith("arn:aws:kms:")


def test_malware_protection_plan_blocks_keep_terraforms_names():
    """Terraform's block is `actions` (plural) holding `tagging`; Pulumi v7 calls them actions/taggings."""
    props = {
        "actions": [{"taggings": [{"status": "ENABLED"}]}],
        "protectedResource": {"s3Bucket": {"bucketName": "b"}},
        "role": "arn:aws:iam::111122223333:role/scan",
    }
    values = convert_values(props, "aws_guardduty_malware_protection_plan")
    assert values["actions"] == [{"tagging": [{"status": "ENABLED"}]}]
    assert values["protected_resource"] == [{"s3_bucket": [{"bucket_name": "b"}]}]
    assert attribute_name("actions", [{"type": "forward"}], "aws_lb_listener_rule") == "action"
