"""What checkov knows about Terraform resource types: its catalog, and which types its checks read.

glz/tfplan.py gives every Pulumi AWS resource its Terraform type so that checkov's Terraform checks run
on a Pulumi stack. A resource whose type checkov does not know is silently passed over by checkov, so
the gate asks checkov itself (its own registries, read by a small script run in checkov's environment,
`.venv-checkov`, whose pins clash with pulumi's) and names every such resource in its notes:

- `catalog`: every Terraform AWS resource type checkov knows (`checkov.common.checks_infra.
  resources_types`, plus every type a check is registered for);
- `names`: check id -> checkov's title, for every Terraform resource, provider and graph check;
- `checks`: Terraform type -> ids of the checks that read it (resource checks from
  `checkov.terraform.checks.resource.registry`; graph checks from the terraform graph registry, for the
  types their conditions name, subjects and connected resources alike).

`NOT_IN_CHECKOV_CATALOG` declares, with a reason, the Terraform types pulumi-aws has that checkov's
catalog lacks; tests/test_checkov_coverage.py keeps it in step with the installed pulumi_aws and checkov.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from glz.disk_cache import cache_dir, read_json, write_json
from glz.tfplan import terraform_type

# Run by checkov's own interpreter: prints one JSON document on stdout.
REGISTRY_SCRIPT = r"""
import json
import logging

logging.disable(logging.CRITICAL)

from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.common.checks_infra.resources_types import resources_types
from checkov.terraform.checks.provider.registry import provider_registry
from checkov.terraform.checks.resource.registry import resource_registry
from checkov.version import version

catalog = set(resources_types["aws"])
checks = {}
names = {}
for resource_type, registered in resource_registry.checks.items():
    for check in registered:
        checks.setdefault(resource_type, set()).add(check.id)
        names[check.id] = check.name
for registered in provider_registry.checks.values():  # checks on the provider block (hard-coded keys)
    for check in registered:
        names[check.id] = check.name


def read_types(check):
    # The types a graph check's conditions read (subjects and connected resources); a `resource_type`
    # filter only narrows them, and its values can be checkov's expansion of "every AWS type".
    if check.attribute == "resource_type":
        return set()
    types = set(check.resource_types or ()) | set(check.connected_resources_types or ())
    if check.sub_checks:
        types = set()
        for sub_check in check.sub_checks:
            types |= read_types(sub_check)
    return types


graph = get_graph_checks_registry("terraform")
graph.load_checks()
for check in graph.checks:
    names[check.id] = check.name
    for resource_type in read_types(check):
        checks.setdefault(resource_type, set()).add(check.id)
aws = lambda t: t.startswith("aws_")
catalog |= {t for t in checks if aws(t)}
# What `checkov --list --framework terraform` prints, from the function that prints it: the gate's check
# catalog (names, entities, source links) without a second checkov process per run.
from checkov.docs_generator import get_checks

listing = {}
for check_id, _, entity, name, _, link in get_checks(["terraform"]):
    row = listing.setdefault(check_id, {"name": name, "types": set(), "link": link or None})
    row["types"].add(entity)
print(json.dumps({
    "version": version,
    "catalog": sorted(t for t in catalog if aws(t)),
    "checks": {t: sorted(ids) for t, ids in sorted(checks.items()) if aws(t)},
    "names": dict(sorted(names.items())),
    "listing": {i: {**row, "types": sorted(row["types"])} for i, row in sorted(listing.items())},
}))
"""

_NEWER_THAN_CATALOG = (
    "The Terraform AWS provider has this resource (it is in the provider's v6.58 resource index), but "
    "checkov 3.3's catalog of Terraform types predates it, so checkov has no check that reads it."
)
_NEWER_THAN_INDEX = (
    "The Terraform AWS provider added this resource after v6.58 and checkov 3.3's catalog predates it, so "
    "checkov has no check that reads it; the name is pulumi-aws's token rule (provider/tokens.go) inverted."
)

_DECLARED = {
    _NEWER_THAN_CATALOG: """
    aws_api_gateway_rest_api_put
    aws_apigatewayv2_routing_rule
    aws_appsync_api aws_appsync_channel_namespace
    aws_arcregionswitch_plan
    aws_arczonalshift_autoshift_observer_notification_status
    aws_arczonalshift_zonal_autoshift_configuration
    aws_athena_capacity_reservation
    aws_bedrock_evaluation_job aws_bedrock_foundation_model_agreement
    aws_bedrock_use_case_for_model_access
    aws_bedrockagent_flow aws_bedrockagent_prompt
    aws_bedrockagentcore_agent_runtime aws_bedrockagentcore_agent_runtime_endpoint
    aws_bedrockagentcore_api_key_credential_provider aws_bedrockagentcore_browser
    aws_bedrockagentcore_browser_profile aws_bedrockagentcore_code_interpreter
    aws_bedrockagentcore_evaluator aws_bedrockagentcore_gateway aws_bedrockagentcore_gateway_target
    aws_bedrockagentcore_harness aws_bedrockagentcore_memory aws_bedrockagentcore_memory_strategy
    aws_bedrockagentcore_oauth2_credential_provider aws_bedrockagentcore_online_evaluation_config
    aws_bedrockagentcore_policy aws_bedrockagentcore_policy_engine aws_bedrockagentcore_registry
    aws_bedrockagentcore_resource_policy aws_bedrockagentcore_token_vault_cmk
    aws_bedrockagentcore_workload_identity
    aws_billing_view
    aws_cloudfront_anycast_ip_list aws_cloudfront_connection_function aws_cloudfront_connection_group
    aws_cloudfront_distribution_tenant aws_cloudfront_multitenant_distribution
    aws_cloudfront_trust_store
    aws_cloudfrontkeyvaluestore_keys_exclusive
    aws_cloudwatch_alarm_mute_rule aws_cloudwatch_contributor_insight_rule
    aws_cloudwatch_contributor_managed_insight_rule aws_cloudwatch_log_s3_table_integration_source
    aws_cloudwatch_log_storage_tier_policy aws_cloudwatch_log_transformer aws_cloudwatch_otel_enrichment
    aws_cognito_log_delivery_configuration aws_cognito_managed_login_branding
    aws_connect_phone_number_contact_flow_association
    aws_controltower_baseline
    aws_dataexchange_event_action aws_dataexchange_revision_assets
    aws_dsql_cluster aws_dsql_cluster_peering
    aws_dynamodb_global_secondary_index
    aws_ebs_volume_copy
    aws_ec2_allowed_images_settings aws_ec2_default_credit_specification
    aws_ec2_local_gateway_route_table
    aws_ec2_local_gateway_route_table_virtual_interface_group_association
    aws_ec2_network_insights_access_scope aws_ec2_secondary_network aws_ec2_secondary_subnet
    aws_ec2_transit_gateway_metering_policy aws_ec2_transit_gateway_metering_policy_entry
    aws_ecr_pull_time_update_exclusion
    aws_ecs_daemon aws_ecs_daemon_task_definition aws_ecs_express_gateway_service
    aws_eks_capability
    aws_fis_target_account_configuration
    aws_fsx_s3_access_point_attachment
    aws_glue_catalog
    aws_iam_outbound_web_identity_federation
    aws_inspector2_filter
    aws_invoicing_invoice_unit
    aws_kinesis_account_settings
    aws_lakeformation_identity_center_configuration aws_lakeformation_lf_tag_expression
    aws_lakeformation_opt_in
    aws_lambda_capacity_provider aws_lambda_function_scaling_config
    aws_macie2_organization_configuration
    aws_mailmanager_rule_set aws_mailmanager_traffic_policy
    aws_msk_topic
    aws_nat_gateway_eip_association
    aws_neptunegraph_graph
    aws_network_interface_permission
    aws_networkfirewall_firewall_transit_gateway_attachment_accepter
    aws_networkfirewall_vpc_endpoint_association
    aws_networkflowmonitor_monitor aws_networkflowmonitor_scope
    aws_networkmanager_attachment_routing_policy_label aws_networkmanager_prefix_list_association
    aws_notifications_channel_association aws_notifications_event_rule
    aws_notifications_managed_notification_account_contact_association
    aws_notifications_managed_notification_additional_channel_association
    aws_notifications_notification_configuration aws_notifications_notification_hub
    aws_notifications_organizational_unit_association aws_notifications_organizations_access
    aws_notificationscontacts_email_contact
    aws_observabilityadmin_centralization_rule_for_organization
    aws_observabilityadmin_s3_table_integration aws_observabilityadmin_telemetry_enrichment
    aws_observabilityadmin_telemetry_evaluation
    aws_observabilityadmin_telemetry_evaluation_for_organization
    aws_observabilityadmin_telemetry_pipeline aws_observabilityadmin_telemetry_rule
    aws_observabilityadmin_telemetry_rule_for_organization
    aws_odb_cloud_autonomous_vm_cluster aws_odb_cloud_exadata_infrastructure aws_odb_cloud_vm_cluster
    aws_odb_network aws_odb_network_peering_connection
    aws_opensearch_application
    aws_opensearchserverless_collection_group
    aws_organizations_aws_service_access aws_organizations_tag
    aws_osis_pipeline_endpoint aws_osis_resource_policy
    aws_outposts_capacity_task
    aws_pinpointsmsvoicev2_event_destination aws_pinpointsmsvoicev2_pool
    aws_prometheus_anomaly_detector aws_prometheus_query_logging_configuration
    aws_prometheus_resource_policy aws_prometheus_scraper_logging_configuration
    aws_prometheus_workspace_configuration
    aws_qbusiness_application
    aws_quicksight_account_settings aws_quicksight_custom_permissions aws_quicksight_ip_restriction
    aws_quicksight_key_registration aws_quicksight_role_custom_permission aws_quicksight_role_membership
    aws_quicksight_user_custom_permission
    aws_ram_permission aws_ram_resource_share_associations_exclusive
    aws_rds_shard_group
    aws_redshift_idc_application aws_redshift_integration aws_redshift_namespace_registration
    aws_resiliencehubv2_policy
    aws_route53_records_exclusive
    aws_s3_bucket_abac aws_s3_bucket_metadata_configuration
    aws_s3control_directory_bucket_access_point_scope aws_s3control_multi_region_access_point_routes
    aws_s3files_access_point aws_s3files_file_system aws_s3files_file_system_policy
    aws_s3files_mount_target aws_s3files_synchronization_configuration
    aws_s3tables_table_bucket_replication aws_s3tables_table_replication
    aws_s3vectors_index aws_s3vectors_vector_bucket aws_s3vectors_vector_bucket_policy
    aws_sagemaker_algorithm aws_sagemaker_hub_content_reference aws_sagemaker_hyper_parameter_tuning_job
    aws_sagemaker_labeling_job aws_sagemaker_mlflow_app aws_sagemaker_model_card
    aws_sagemaker_model_card_export_job aws_sagemaker_training_job
    aws_savingsplans_savings_plan
    aws_secretsmanager_tag
    aws_securityhub_account_v2 aws_securityhub_aggregator_v2 aws_securityhub_automation_rule_v2
    aws_securityhub_connector_v2
    aws_servicequotas_auto_management
    aws_sesv2_tenant aws_sesv2_tenant_resource_association
    aws_ssoadmin_customer_managed_policy_attachments_exclusive
    aws_ssoadmin_managed_policy_attachments_exclusive aws_ssoadmin_region
    aws_timestreaminfluxdb_db_cluster
    aws_transfer_host_key aws_transfer_web_app aws_transfer_web_app_customization
    aws_uxc_account_customizations
    aws_vpc_encryption_control aws_vpc_route_server aws_vpc_route_server_endpoint
    aws_vpc_route_server_peer aws_vpc_route_server_propagation aws_vpc_route_server_vpc_association
    aws_vpc_security_group_rules_exclusive
    aws_vpclattice_domain_verification
    aws_vpn_concentrator
    aws_wafv2_api_key aws_wafv2_web_acl_rule aws_wafv2_web_acl_rule_group_association
    aws_workmail_default_domain aws_workmail_domain aws_workmail_group aws_workmail_organization
    aws_workmail_user
    aws_workspaces_pool
    aws_workspacesweb_browser_settings aws_workspacesweb_browser_settings_association
    aws_workspacesweb_data_protection_settings aws_workspacesweb_data_protection_settings_association
    aws_workspacesweb_identity_provider aws_workspacesweb_ip_access_settings
    aws_workspacesweb_ip_access_settings_association aws_workspacesweb_network_settings
    aws_workspacesweb_network_settings_association aws_workspacesweb_portal
    aws_workspacesweb_session_logger aws_workspacesweb_session_logger_association
    aws_workspacesweb_trust_store aws_workspacesweb_trust_store_association
    aws_workspacesweb_user_access_logging_settings
    aws_workspacesweb_user_access_logging_settings_association aws_workspacesweb_user_settings
    aws_workspacesweb_user_settings_association
    aws_xray_indexing_rule aws_xray_resource_policy aws_xray_trace_segment_destination
""",
    _NEWER_THAN_INDEX: """
    aws_accountaccess_application aws_accountaccess_entitlement
    aws_agentregistry_registry
    aws_bedrock_model_invocation_job
    aws_bedrockagentcore_gateway_rule
    aws_cloudwatch_resource_metrics_configuration
    aws_cloudwatchomni_domain aws_cloudwatchomni_space
    aws_datazone_policy_grant
    aws_devopsagent_agent_space
    aws_directory_service_ip_route aws_directory_service_ip_routes_exclusive
    aws_directoryservicedata_user
    aws_dms_data_provider aws_dms_instance_profile aws_dms_migration_project
    aws_dsql_cluster_policy
    aws_ec2_transit_gateway_policy_table_entry
    aws_fis_safety_lever_state
    aws_lambda_core_network_connector aws_lambda_resource_policy
    aws_lambdamicrovms_image aws_lambdamicrovms_microvm
    aws_mailmanager_archive aws_mailmanager_ingress_point aws_mailmanager_relay
    aws_msk_channel
    aws_neptunegraph_private_graph_endpoint
    aws_networkfirewall_container_association
    aws_odb_autonomous_database aws_odb_autonomous_database_secrets_manager_integration
    aws_odb_iam_role_association
    aws_pinpointsmsvoicev2_keyword aws_pinpointsmsvoicev2_resource_policy
    aws_pinpointsmsvoicev2_sender_id
    aws_pricingplanmanager_subscription
    aws_resiliencehubv2_assertion aws_resiliencehubv2_input_source aws_resiliencehubv2_service
    aws_resiliencehubv2_service_function aws_resiliencehubv2_system aws_resiliencehubv2_user_journey
    aws_securityhub_feature_v2
    aws_sesv2_multi_region_endpoint
""",
}

NOT_IN_CHECKOV_CATALOG: dict[str, str] = {
    tf_type: reason for reason, names in _DECLARED.items() for tf_type in names.split()
}
"""Terraform types of pulumi-aws resources that checkov's catalog lacks -> why checkov has no checks for them."""


class CheckovRegistryError(Exception):
    """checkov's registries could not be read (the checkov environment is broken)."""


@dataclass(frozen=True)
class CheckovRegistry:
    version: str
    catalog: frozenset[str]
    checks: dict[str, frozenset[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    listing: dict[str, dict] = field(default_factory=dict)  # check id -> {name, types, link}, as `--list` prints

    def knows(self, tf_type: str | None) -> bool:
        return tf_type is not None and tf_type in self.catalog

    def check_ids(self, tf_type: str | None) -> frozenset[str]:
        return self.checks.get(tf_type or "", frozenset())

    @classmethod
    def from_json(cls, document: dict) -> CheckovRegistry:
        return cls(
            version=str(document["version"]),
            catalog=frozenset(document["catalog"]),
            checks={t: frozenset(ids) for t, ids in document["checks"].items()},
            names=dict(document["names"]),
            listing=dict(document["listing"]),
        )


def checkov_python(checkov: Path) -> Path:
    """The interpreter behind a checkov executable: its `#!` line (pip writes one into every console
    script), else the `python` next to it."""
    checkov = Path(checkov)
    try:
        with checkov.open("rb") as stream:
            first = stream.readline(4096).decode("utf-8", "replace").strip()
    except OSError:
        first = ""
    if first.startswith("#!"):
        interpreter = Path(first[2:].split()[0])
        if interpreter.name.startswith("python") and os.access(interpreter, os.X_OK):
            return interpreter
    return checkov.parent / "python"


def start_registry(checkov: Path) -> subprocess.Popen[str]:
    """Start reading checkov's registries (a few seconds: checkov loads every check); see finish_registry."""
    return subprocess.Popen(
        [str(checkov_python(checkov)), "-c", REGISTRY_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )


def finish_registry(process: subprocess.Popen[str]) -> CheckovRegistry:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise CheckovRegistryError(f"reading checkov's registries failed; stderr ends with:\n{stderr[-2000:]}")
    try:
        return CheckovRegistry.from_json(json.loads(stdout.strip().splitlines()[-1]))
    except (json.JSONDecodeError, IndexError, KeyError, TypeError) as error:
        raise CheckovRegistryError(f"checkov's registries came back unreadable ({error})") from None


_CACHE: dict[str, CheckovRegistry] = {}


def load_registry(checkov: Path) -> CheckovRegistry:
    """checkov's registry, read once per executable (and per installed checkov version, on disk)."""
    key = str(checkov)
    if key not in _CACHE:
        registry = cached_registry(checkov)
        if registry is None:
            registry = finish_registry(start_registry(checkov))
            store_registry(checkov, registry)
        _CACHE[key] = registry
    return _CACHE[key]


def installed_version(checkov: Path) -> str | None:
    """The checkov version installed beside the executable, from its package metadata (no process started)."""
    root = checkov_python(checkov).parent.parent
    found = sorted(root.glob("lib/python*/site-packages/checkov-*.dist-info"))
    return found[-1].name.removeprefix("checkov-").removesuffix(".dist-info") if len(found) == 1 else None


def cache_file(checkov: Path) -> Path | None:
    """Where the registry of this checkov is kept: one file per checkov version and per REGISTRY_SCRIPT, in
    $XDG_CACHE_HOME/glz (default ~/.cache/glz); None when the version cannot be told without running checkov."""
    found = installed_version(checkov)
    if found is None:
        return None
    script = hashlib.sha256(REGISTRY_SCRIPT.encode()).hexdigest()[:12]
    return cache_dir() / f"checkov-registry-{found}-{script}.json"


def cached_registry(checkov: Path) -> CheckovRegistry | None:
    """The registry read earlier for this checkov version, or None (then checkov is asked; a damaged file too)."""
    path = cache_file(checkov)
    document = read_json(path) if path else None
    try:
        registry = CheckovRegistry.from_json(document) if document is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return registry if registry is not None and registry.version == installed_version(checkov) else None


def store_registry(checkov: Path, registry: CheckovRegistry) -> None:
    """Keep the registry for the next run (written whole, then renamed: parallel runs never read half a file)."""
    path = cache_file(checkov)
    if path is None or registry.version != installed_version(checkov):
        return
    document = {
        "version": registry.version,
        "catalog": sorted(registry.catalog),
        "checks": {t: sorted(ids) for t, ids in sorted(registry.checks.items())},
        "names": registry.names,
        "listing": registry.listing,
    }
    write_json(path, document)  # a read-only home only costs the next run the few seconds of reading checkov again


@dataclass(frozen=True)
class Coverage:
    """How checkov sees a set of Pulumi resource types."""

    unseen: dict[str, str]  # Pulumi type -> why checkov does not see it
    unchecked: dict[str, str]  # Pulumi type -> its Terraform type, which checkov knows but no check reads

    def notes(self) -> list[str]:
        notes = []
        if self.unseen:
            notes.append("not seen by checkov: " + ", ".join(f"{t} ({why})" for t, why in sorted(self.unseen.items())))
        if self.unchecked:
            notes.append(
                "seen by checkov, but none of its checks reads: "
                + ", ".join(f"{t} ({tf})" for t, tf in sorted(self.unchecked.items()))
            )
        return notes


def coverage(pulumi_types: Iterable[str], registry: CheckovRegistry) -> Coverage:
    """Which of these Pulumi resource types checkov does not see (no Terraform type, or one outside its
    catalog) and which it sees but has no check for. Providers are not resources checkov could check."""
    unseen: dict[str, str] = {}
    unchecked: dict[str, str] = {}
    for pulumi_type in sorted(set(pulumi_types)):
        if pulumi_type.startswith("pulumi:"):
            continue
        tf_type = terraform_type(pulumi_type)
        if tf_type is None:
            unseen[pulumi_type] = "no Terraform AWS resource type"
        elif not registry.knows(tf_type):
            declared = " (declared: checkov has no checks for this type)" if tf_type in NOT_IN_CHECKOV_CATALOG else ""
            unseen[pulumi_type] = f"{tf_type} is not in checkov {registry.version}'s catalog{declared}"
        elif not registry.check_ids(tf_type):
            unchecked[pulumi_type] = tf_type
    return Coverage(unseen, unchecked)
