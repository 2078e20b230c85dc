"""Stack state -> Terraform plan JSON, so checkov's Terraform rules run on a Pulumi stack.

Pulumi's classic AWS provider is bridged from the Terraform AWS provider: every `aws:` resource is a
Terraform resource under another name, with camelCase properties, pluralized list blocks and
single-block lists flattened to objects. Undoing those three renamings gives the `values` a real
`terraform show -json` plan would hold, which is what checkov's `terraform_plan` framework parses:

- `planned_values.root_module.resources[]` with `address`, `type`, `name`, `values` (snake_case,
  nested blocks as lists of objects, map attributes such as `tags` left as maps, JSON policies as
  strings);
- `resource_changes[]` (every resource is a `create`);
- `configuration.root_module.resources[].expressions.<attr>.references`, built from Pulumi's
  `propertyDependencies`, which is how checkov's graph checks join an `aws_s3_bucket` with its
  encryption, versioning, public-access-block and logging resources.

The plan also carries a `glz` section (ignored by Terraform tools) mapping each address back to
the Pulumi URN, so findings can be reported against the stack's own resources.
"""

from __future__ import annotations

import json
import re
from typing import Any

from glz.json_text import write_indented
from glz.state import Resource, StackState

FORMAT_VERSION = "1.2"
# checkov only requires the key to be present; this is the Terraform release the format matches.
TERRAFORM_VERSION = "1.9.8"
PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"

# How pulumi-aws names a Terraform resource (provider/tokens.go, `moduleMap` and the token strategy):
# `aws_<prefix><rest>` becomes `aws:<module>/<camel(rest)>:<Camel(rest)>`, where <prefix> is a key of
# `moduleMap` matched as plain text. Undoing it needs the Terraform prefix of each Pulumi module
# (below, where the two differ), the sub-services glued to that prefix without an underscore
# (`aws_bedrockagent_agent` -> `aws:bedrock/agentAgent`), and the resources pulumi-aws names by hand
# (TYPE_OVERRIDES). tests/test_checkov_coverage.py checks every resource type of the installed
# pulumi_aws against checkov's catalog of Terraform types.

# Pulumi module -> Terraform type prefix after "aws_", where the two differ.
MODULE_PREFIXES: dict[str, str] = {
    "amp": "prometheus",
    "apigateway": "api_gateway",
    "bcmdata": "bcmdataexports",
    "bedrockfoundation": "bedrock_foundation",
    "bedrockmodel": "bedrock_model",
    "cfg": "config",
    "cloudcontrol": "cloudcontrolapi",
    "cloudhsmv2": "cloudhsm_v2",
    "costexplorer": "ce",
    "directconnect": "dx",
    "directoryservice": "directory_service",
    "ec2clientvpn": "ec2_client_vpn",
    "ec2transitgateway": "ec2_transit_gateway",
    "elasticbeanstalk": "elastic_beanstalk",
    "mediaconvert": "media_convert",
    "mediapackage": "media_package",
    "mediapackagev2": "media_packagev2",
    "mediastore": "media_store",
    "opensearchingest": "osis",
    "resourceexplorer": "resourceexplorer2",
    "route53recoverycontrol": "route53recoverycontrolconfig",
    "serverlessrepository": "serverlessapplicationrepository",
    "servicediscovery": "service_discovery",
}

# Terraform services whose prefix is the Pulumi module's with a suffix glued on, so the first word of
# the Pulumi name joins the prefix: aws_bedrockagentcore_gateway -> aws:bedrock/agentcoreGateway.
GLUED_SUBSERVICES: dict[str, tuple[str, ...]] = {
    "bedrock": ("agentcore", "agent"),
    "chime": ("sdkvoice",),
    "cloudfront": ("keyvaluestore",),
    "docdb": ("elastic",),
    "lex": ("v2models",),
    "notifications": ("contacts",),
    "opensearch": ("serverless",),
    "pinpoint": ("smsvoicev2",),
    "resiliencehub": ("v2",),
    "route53": ("profiles",),
    "s3": ("files", "vectors"),
    "servicecatalog": ("appregistry",),
    "ssm": ("contacts", "incidents", "quicksetup"),
}

# ec2 resources named by hand in pulumi-aws drop the prefix (aws:ec2/vpc:Vpc -> aws_vpc); these keep it.
EC2_KEEPS_PREFIX = frozenset(
    {
        "allowedImagesSettings",
        "availabilityZoneGroup",
        "capacityBlockReservation",
        "capacityReservation",
        "carrierGateway",
        "defaultCreditSpecification",
        "fleet",
        "imageBlockPublicAccess",
        "instanceMetadataDefaults",
        "localGatewayRoute",
        "localGatewayRouteTable",
        "localGatewayRouteTableVirtualInterfaceGroupAssociation",
        "localGatewayRouteTableVpcAssociation",
        "managedPrefixList",
        "managedPrefixListEntry",
        "networkInsightsAccessScope",
        "networkInsightsAnalysis",
        "networkInsightsPath",
        "secondaryNetwork",
        "secondarySubnet",
        "serialConsoleAccess",
        "subnetCidrReservation",
        "tag",
        "trafficMirrorFilter",
        "trafficMirrorFilterRule",
        "trafficMirrorSession",
        "trafficMirrorTarget",
    }
)

# rds resources whose Terraform name starts with aws_db_ (the others keep aws_rds_).
RDS_DB_PREFIX = frozenset(
    {
        "clusterSnapshot",
        "eventSubscription",
        "instance",
        "instanceAutomatedBackupsReplication",
        "optionGroup",
        "parameterGroup",
        "proxy",
        "proxyDefaultTargetGroup",
        "proxyEndpoint",
        "proxyTarget",
        "snapshot",
        "snapshotCopy",
        "subnetGroup",
    }
)

# Resources pulumi-aws names by hand (its resource overrides; bridge metadata `renames.resources`),
# and aliases: a deprecated Pulumi class for the same Terraform resource maps to that resource.
TYPE_OVERRIDES: dict[str, str] = {
    "aws:account/alternativeContact:AlternativeContact": "aws_account_alternate_contact",
    "aws:alb/loadBalancer:LoadBalancer": "aws_alb",
    "aws:apigateway/response:Response": "aws_api_gateway_gateway_response",
    "aws:appconfig/eventIntegration:EventIntegration": "aws_appintegrations_event_integration",
    "aws:appsync/dataSource:DataSource": "aws_appsync_datasource",
    "aws:appsync/graphQLApi:GraphQLApi": "aws_appsync_graphql_api",
    "aws:autoscaling/tag:Tag": "aws_autoscaling_group_tag",
    "aws:cloudformation/cloudFormationType:CloudFormationType": "aws_cloudformation_type",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:cloudwatch/internetMonitor:InternetMonitor": "aws_internetmonitor_monitor",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:cfg/recorderStatus:RecorderStatus": "aws_config_configuration_recorder_status",
    "aws:cfg/rule:Rule": "aws_config_config_rule",
    "aws:codeartifact/domainPermissions:DomainPermissions": "aws_codeartifact_domain_permissions_policy",
    "aws:codedeploy/application:Application": "aws_codedeploy_app",
    "aws:codepipeline/pipeline:Pipeline": "aws_codepipeline",
    "aws:cognito/identityPoolRoleAttachment:IdentityPoolRoleAttachment": "aws_cognito_identity_pool_roles_attachment",
    "aws:controltower/controlTowerControl:ControlTowerControl": "aws_controltower_control",
    "aws:datasync/efsLocation:EfsLocation": "aws_datasync_location_efs",
    "aws:datasync/fsxOpenZfsFileSystem:FsxOpenZfsFileSystem": "aws_datasync_location_fsx_openzfs_file_system",
    "aws:datasync/locationFsxLustre:LocationFsxLustre": "aws_datasync_location_fsx_lustre_file_system",
    "aws:datasync/locationFsxWindows:LocationFsxWindows": "aws_datasync_location_fsx_windows_file_system",
    "aws:datasync/nfsLocation:NfsLocation": "aws_datasync_location_nfs",
    "aws:datasync/s3Location:S3Location": "aws_datasync_location_s3",
    "aws:directconnect/hostedTransitVirtualInterfaceAcceptor:HostedTransitVirtualInterfaceAcceptor": (
        "aws_dx_hosted_transit_virtual_interface_accepter"
    ),
    "aws:directconnect/linkAggregationGroup:LinkAggregationGroup": "aws_dx_lag",
    "aws:directoryservice/serviceRegion:ServiceRegion": "aws_directory_service_region",
    "aws:ec2/dedicatedHost:DedicatedHost": "aws_ec2_host",
    "aws:ec2/networkInterfaceSecurityGroupAttachment:NetworkInterfaceSecurityGroupAttachment": (
        "aws_network_interface_sg_attachment"
    ),
    "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions": "aws_vpc_peering_connection_options",
    "aws:ec2/securityGroupAssociation:SecurityGroupAssociation": "aws_vpc_endpoint_security_group_association",
    "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple": (
        "aws_vpc_endpoint_service_allowed_principal"
    ),
    "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint": "aws_ec2_instance_connect_endpoint",
    "aws:ec2transitgateway/instanceState:InstanceState": "aws_ec2_instance_state",
    "aws:ec2transitgateway/transitGateway:TransitGateway": "aws_ec2_transit_gateway",
    "aws:elb/appCookieStickinessPolicy:AppCookieStickinessPolicy": "aws_app_cookie_stickiness_policy",
    "aws:elb/listenerPolicy:ListenerPolicy": "aws_load_balancer_listener_policy",
    "aws:elb/loadBalancer:LoadBalancer": "aws_elb",
    "aws:elb/loadBalancerBackendServerPolicy:LoadBalancerBackendServerPolicy": "aws_load_balancer_backend_server_policy",
    "aws:elb/loadBalancerCookieStickinessPolicy:LoadBalancerCookieStickinessPolicy": "aws_lb_cookie_stickiness_policy",
    "aws:elb/loadBalancerPolicy:LoadBalancerPolicy": "aws_load_balancer_policy",
    "aws:elb/sslNegotiationPolicy:SslNegotiationPolicy": "aws_lb_ssl_negotiation_policy",
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem": "aws_fsx_openzfs_file_system",
    "aws:fsx/openZfsSnapshot:OpenZfsSnapshot": "aws_fsx_openzfs_snapshot",
    "aws:fsx/openZfsVolume:OpenZfsVolume": "aws_fsx_openzfs_volume",
    "aws:glue/mLTransform:MLTransform": "aws_glue_ml_transform",
    "aws:guardduty/iPSet:IPSet": "aws_guardduty_ipset",
    "aws:guardduty/threatIntelSet:ThreatIntelSet": "aws_guardduty_threatintelset",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:iam/sshKey:SshKey": "aws_iam_user_ssh_key",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:licensemanager/licenseGrant:LicenseGrant": "aws_licensemanager_grant",
    "aws:licensemanager/licenseGrantAccepter:LicenseGrantAccepter": "aws_licensemanager_grant_accepter",
    "aws:location/routeCalculation:RouteCalculation": "aws_location_route_calculator",
    "aws:macie/customDataIdentifier:CustomDataIdentifier": "aws_macie2_custom_data_identifier",
    "aws:macie/findingsFilter:FindingsFilter": "aws_macie2_findings_filter",
    "aws:rds/instanceDesiredState:InstanceDesiredState": "aws_rds_instance_state",
    "aws:rds/roleAssociation:RoleAssociation": "aws_db_instance_role_association",
    "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec": "aws_route53_hosted_zone_dnssec",
    "aws:route53/resolverDnsSecConfig:ResolverDnsSecConfig": "aws_route53_resolver_dnssec_config",
    "aws:s3/analyticsConfiguration:AnalyticsConfiguration": "aws_s3_bucket_analytics_configuration",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:s3/inventory:Inventory": "aws_s3_bucket_inventory",
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": (
        "aws_serverlessapplicationrepository_cloudformation_stack"
    ),
    "aws:ses/mailFrom:MailFrom": "aws_ses_domain_mail_from",
    "aws:sns/dataProtectionPolicy:DataProtectionPolicy": "aws_sns_topic_data_protection_policy",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "aws_sqs_queue_redrive_allow_policy",
    "aws:sqs/redrivePolicy:RedrivePolicy": "aws_sqs_queue_redrive_policy",
    "aws:storagegateway/cachesIscsiVolume:CachesIscsiVolume": "aws_storagegateway_cached_iscsi_volume",
    "aws:waf/ipSet:IpSet": "aws_waf_ipset",
    "aws:wafregional/ipSet:IpSet": "aws_wafregional_ipset",
}

# Deprecated Pulumi classes for the same Terraform resource as their replacement (the class's own
# deprecation message names it; tests/test_checkov_coverage.py reads those messages): alias -> replacement.
TYPE_ALIASES: dict[str, str] = {
    "aws:ec2/encryptionControl:EncryptionControl": "aws:ec2/vpcEncryptionControl:VpcEncryptionControl",
    "aws:lambda/microvmsImage:MicrovmsImage": "aws:lambdamicrovms/image:Image",
    "aws:s3/bucketAccelerateConfigurationV2:BucketAccelerateConfigurationV2": (
        "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration"
    ),
    "aws:s3/bucketAclV2:BucketAclV2": "aws:s3/bucketAcl:BucketAcl",
    "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2": (
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
    ),
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ),
    "aws:s3/bucketLoggingV2:BucketLoggingV2": "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": (
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
    ),
    "aws:s3/bucketRequestPaymentConfigurationV2:BucketRequestPaymentConfigurationV2": (
        "aws:s3/bucketRequestPaymentConfiguration:BucketRequestPaymentConfiguration"
    ),
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ),
    "aws:s3/bucketV2:BucketV2": "aws:s3/bucket:Bucket",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2": (
        "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration"
    ),
}

# Attributes whose Terraform type is a map: keys are data (tag names, variable names), kept
# verbatim and not turned into blocks.
MAP_ATTRIBUTES = frozenset({"tags", "tags_all", "variables", "labels", "environment_variables"})

# Terraform block names that are plural in Terraform itself, so not singularized back.
PLURAL_BLOCKS = frozenset(
    {
        "block_device_mappings",
        "elastic_gpu_specifications",
        "exclusion_by_resource_types",
        "network_interfaces",
        "tag_specifications",
    }
)

# Top-level blocks that are plural in Terraform for one resource type only (elsewhere Pulumi's "actions"
# is Terraform's "action", e.g. aws_lb_listener_rule).
TYPE_PLURAL_BLOCKS: dict[str, frozenset[str]] = {
    "aws_guardduty_malware_protection_plan": frozenset({"actions"}),
}

# Lists of primitives that Pulumi pluralized (snake_case Pulumi name -> Terraform name).
PRIMITIVE_LIST_RENAMES: dict[str, str] = {
    "instance_types": "instance_type",
    "starts_withs": "starts_with",
    "ends_withs": "ends_with",
    "not_starts_withs": "not_starts_with",
    "not_ends_withs": "not_ends_with",
}

# Output attributes a reference most likely points at, best first.
_REFERENCE_ATTRIBUTES = ("id", "arn", "name", "bucket", "keyId", "targetKeyArn")

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def snake(name: str) -> str:
    """camelCase -> snake_case the way the bridge maps Terraform names (ec2Configurations -> ec2_configurations)."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def singular(name: str) -> str:
    """Undo the bridge's pluralization of a list block name (rules -> rule, policies -> policy)."""
    if name in PLURAL_BLOCKS:
        return name
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def terraform_type(pulumi_type: str) -> str | None:
    """`aws:s3/bucketVersioning:BucketVersioning` -> `aws_s3_bucket_versioning`; None for non-AWS
    types (providers, components, the stack), which have no Terraform counterpart."""
    pulumi_type = TYPE_ALIASES.get(pulumi_type, pulumi_type)
    if pulumi_type in TYPE_OVERRIDES:
        return TYPE_OVERRIDES[pulumi_type]
    parts = pulumi_type.split(":")
    if len(parts) != 3 or parts[0] != "aws" or "/" not in parts[1]:
        return None
    module, member = parts[1].split("/", 1)
    prefix = MODULE_PREFIXES.get(module, module)
    if module == "ec2":
        prefix = "ec2" if member in EC2_KEEPS_PREFIX else ""
    elif module == "rds" and member in RDS_DB_PREFIX:
        prefix = "db"
    name = snake(member)
    for subservice in GLUED_SUBSERVICES.get(module, ()):
        if name.startswith(subservice + "_"):
            return f"aws_{prefix}{name}"
    return "_".join(p for p in ("aws", prefix, name) if p)


def _is_list_of_dicts(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def attribute_name(key: str, value: Any, tf_type: str | None = None) -> str:
    """The Terraform attribute name of a Pulumi property, given its value (its shape says whether
    the bridge pluralized it) and, for a top-level property, the resource's Terraform type."""
    name = snake(key)
    if _is_list_of_dicts(value):
        return name if name in TYPE_PLURAL_BLOCKS.get(tf_type or "", frozenset()) else singular(name)
    if isinstance(value, list):
        return PRIMITIVE_LIST_RENAMES.get(name, name)
    return name


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def convert_value(key: str, value: Any) -> Any:
    """One Pulumi property value -> its Terraform plan value (`key` is the Terraform name)."""
    if key in MAP_ATTRIBUTES and isinstance(value, dict):
        return {str(k): _number(v) for k, v in value.items()}
    if isinstance(value, dict):
        return [convert_values(value)]
    if _is_list_of_dicts(value):
        return [convert_values(v) for v in value]
    if isinstance(value, list):
        return [_number(v) for v in value]
    return _number(value)


def convert_values(props: dict[str, Any], tf_type: str | None = None) -> dict[str, Any]:
    """Pulumi properties (camelCase, objects for single blocks) -> Terraform values (``tf_type`` for a
    resource's top-level properties)."""
    values: dict[str, Any] = {}
    for key, value in props.items():
        if key.startswith("__"):  # engine bookkeeping such as __meta, not a provider attribute
            continue
        name = attribute_name(key, value, tf_type)
        values[name] = convert_value(name, value)
    return values


def _provider_for(resource: Resource, providers: dict[str, Resource]) -> Resource | None:
    reference = resource.raw.get("provider")
    if isinstance(reference, str) and "::" in reference:
        return providers.get(reference.rsplit("::", 1)[0])
    if len(providers) == 1:
        return next(iter(providers.values()))
    return None


def _default_tags(provider: Resource | None) -> dict[str, str]:
    if provider is None:
        return {}
    raw = provider.prop("defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    tags = raw.get("tags") if isinstance(raw, dict) else None
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


def resource_addresses(state: StackState) -> dict[str, str]:
    """URN -> Terraform address (`<type>.<name>`) for every AWS resource of the stack; names are the
    Pulumi names made identifiers, made unique within a type."""
    addresses: dict[str, str] = {}
    taken: set[str] = set()
    for resource in state.resources:
        if not resource.custom:
            continue
        tf_type = terraform_type(resource.type)
        if tf_type is None:
            continue
        base = _NOT_IDENTIFIER.sub("_", resource.name) or "resource"
        if not (base[0].isalpha() or base[0] == "_"):
            base = f"r_{base}"
        name, counter = base, 1
        while f"{tf_type}.{name}" in taken:
            counter += 1
            name = f"{base}_{counter}"
        address = f"{tf_type}.{name}"
        taken.add(address)
        addresses[resource.urn] = address
    return addresses


def _reference_targets(dependency: Resource) -> dict[str, str]:
    """String value -> the dependency's attribute holding it (first of id, arn, name ... wins)."""
    targets: dict[str, str] = {}
    if isinstance(dependency.id, str) and dependency.id:
        targets[dependency.id] = "id"
    for key in _REFERENCE_ATTRIBUTES:
        value = dependency.outputs.get(key, dependency.inputs.get(key))
        if isinstance(value, str) and value and value not in targets:
            targets[value] = snake(key)
    return targets


def _find_references(value: Any, targets: dict[str, str], address: str) -> Any:
    """Expressions for `value` that point at `address`: {"references": [...]} where a scalar (or a
    list of scalars) holds one of the dependency's attributes, a list of per-block expressions for
    blocks, or None when the value does not mention the dependency."""
    if isinstance(value, str):
        attribute = targets.get(value)
        return {"references": [f"{address}.{attribute}", address]} if attribute else None
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        blocks = []
        found = False
        for block in value:
            block_expressions = {}
            for key, item in block.items():
                if key in MAP_ATTRIBUTES:
                    continue
                expression = _find_references(item, targets, address)
                if expression is not None:
                    block_expressions[key] = expression
                    found = True
            blocks.append(block_expressions)
        return blocks if found else None
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item in targets:
                return {"references": [f"{address}.{targets[item]}", address]}
    return None


def _merge(existing: Any, new: Any) -> Any:
    if existing is None:
        return new
    if isinstance(existing, dict) and isinstance(new, dict):
        return {
            "references": existing["references"] + [r for r in new["references"] if r not in existing["references"]]
        }
    if isinstance(existing, list) and isinstance(new, list):
        merged = []
        for left, right in zip(existing, new, strict=True):
            block = dict(left)
            for key, expression in right.items():
                block[key] = _merge(block.get(key), expression)
            merged.append(block)
        return merged
    return existing


def _expressions(
    resource: Resource, values: dict[str, Any], addresses: dict[str, str], state: StackState
) -> dict[str, Any]:
    """Terraform configuration expressions from Pulumi's propertyDependencies: for each property
    that depends on another AWS resource, the references a Terraform config would carry."""
    expressions: dict[str, Any] = {}
    props = {**resource.outputs, **resource.inputs}
    for prop, dependency_urns in sorted(resource.property_dependencies.items()):
        attribute = attribute_name(prop, props.get(prop), terraform_type(resource.type))
        for urn in dependency_urns:
            address = addresses.get(urn)
            dependency = state.by_urn.get(urn)
            if address is None or dependency is None:
                continue
            expression = _find_references(values.get(attribute), _reference_targets(dependency), address)
            if expression is None:
                expression = {"references": [f"{address}.id", address]}
            if isinstance(expression, list) and not _is_list_of_dicts(values.get(attribute)):
                expression = {"references": [f"{address}.id", address]}
            current = expressions.get(attribute)
            if current is not None and type(current) is not type(expression):
                continue
            expressions[attribute] = _merge(current, expression)
    return expressions


def state_to_plan(state: StackState) -> dict[str, Any]:
    """A Terraform plan JSON (format 1.2) of every AWS resource in the stack, all planned as creates."""
    addresses = resource_addresses(state)
    providers = {r.urn: r for r in state.resources if r.type == "pulumi:providers:aws"}
    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    configuration: list[dict[str, Any]] = []
    for resource in state.resources:
        address = addresses.get(resource.urn)
        if address is None:
            continue
        tf_type, name = address.split(".", 1)
        # Inputs are what the program asked for; outputs add computed attributes (arn, id).
        values = convert_values({**resource.outputs, **resource.inputs}, tf_type)
        if "tags" in values and "tags_all" not in values:
            values["tags_all"] = {**_default_tags(_provider_for(resource, providers)), **(values["tags"] or {})}
        planned.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": PROVIDER_NAME,
                "schema_version": 0,
                "values": values,
                "sensitive_values": {},
            }
        )
        changes.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": PROVIDER_NAME,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": {},
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            }
        )
        configuration.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_config_key": "aws",
                "expressions": _expressions(resource, values, addresses, state),
                "schema_version": 0,
            }
        )
    provider_config: dict[str, Any] = {"aws": {"name": "aws", "full_name": PROVIDER_NAME, "expressions": {}}}
    glz_addresses = {address: urn for urn, address in addresses.items()}
    if len(providers) == 1:
        provider = next(iter(providers.values()))
        glz_addresses["aws.default"] = provider.urn  # checkov's address for the provider block
        region = provider.prop("region")
        if isinstance(region, str):
            provider_config["aws"]["expressions"]["region"] = {"constant_value": region}
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"provider_config": provider_config, "root_module": {"resources": configuration}},
        "glz": {"source": state.source, "addresses": glz_addresses},
    }


def write_plan(state: StackState, path: Any) -> dict[str, Any]:
    """Convert and write the plan as JSON; returns the plan."""
    from pathlib import Path

    plan = state_to_plan(state)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_indented(Path(path), plan, sort_keys=True)
    return plan
