"""LandingZone: the whole environment for one stack, composed from the building blocks."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components import access_policies, data_guardrails, malware_policies, naming, run_workflow
from components import service_linked_roles as slr
from components.access import CollaboratorAccess, OperatorRoles
from components.audit_trail import AuditTrail
from components.backup_policies import BACKUP_ROLE, backs_up
from components.backups import Backups
from components.compute import GenomicsCompute
from components.data_lake import GenomicsDataLake
from components.encryption_keys import EncryptionKeys
from components.finding_alerts import BACKUP_JOB_FAILURES, FindingAlerts, batch_job_failures
from components.intake import InstrumentIntake
from components.intake_policies import instrument_prefix, instrument_role_suffix
from components.network import SecureNetwork
from components.network_policies import AUDIT_TIER, vpc_endpoint_only_statement
from components.onprem import OnPremisesPath
from components.reference_data import ReferenceData
from components.restore_tests import DYNAMODB, EFS, Tested
from components.run_tracking import RunTracking
from components.security_services import AccountSecurity
from components.settings import PROJECT, TIERS, Settings


def provider_for(settings: Settings, stack: str) -> aws.Provider:
    """An explicit provider pinned to the configured account and region.

    ``allowed_account_ids`` makes `pulumi up` refuse to run with credentials for any other
    account, and default tags label every resource with its stack and data classification.
    """
    tags = {
        "Project": PROJECT,
        "Stack": stack,
        "DataClassification": settings.classification,
        "ManagedBy": "pulumi",
        **settings.tags,
    }
    return aws.Provider(
        "aws",
        region=settings.region,
        allowed_account_ids=[settings.account_id],
        default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
        # fipsEndpoints: every call `pulumi up` makes goes to the services' FIPS endpoints (3.13.11).
        use_fips_endpoint=settings.fips_endpoints or None,
    )


def scans_uploads(settings: Settings, tier: str | None) -> bool:
    """Whether GuardDuty Malware Protection for S3 scans this tier's bucket."""
    return settings.security_services.malware_protection_s3 and tier in settings.intake_tiers


def endpoint_exempt_principals(settings: Settings, stack: str, tier: str | None = None) -> list[str]:
    """Principals that reach the data buckets from outside the VPC, each named: operators
    (console and break-glass work), collaborators (their own accounts), the deployer roles
    that run `pulumi up` (without them a deployment locks itself out of the buckets' settings) and,
    on a scanned intake bucket only, that bucket's GuardDuty malware-scan role (GuardDuty reads and
    tags the objects from its own network, never through this VPC) and the roles of the instruments that upload
    to it (from the lab, over TLS; their role may only put objects under their own prefix) and, on the run-tracking
    intake bucket, the run workflow's role (Step Functions reads checksums and tags objects from its own network)."""
    roles = [naming.ADMIN_ROLE, naming.AUDITOR_ROLE, naming.BREAK_GLASS_ROLE] + [
        naming.collaborator_role_suffix(c.name) for c in settings.collaborators
    ]
    if tier is not None and backs_up(settings, tier):
        roles.append(BACKUP_ROLE)  # AWS Backup reads the objects from its own network, never through this VPC
    exempt = {naming.role_arn(settings, stack, suffix) for suffix in roles} | set(settings.deployer_principal_arns)
    if tier is not None and scans_uploads(settings, tier):
        exempt.add(malware_policies.scan_role_arn(settings, stack, tier))
    workflow = run_workflow.reaching_role(settings, stack, tier) if tier is not None else None
    if workflow:
        exempt.add(workflow)  # Step Functions calls S3 as the workflow's role from its own network
    exempt |= {
        naming.role_arn(settings, stack, instrument_role_suffix(i.name))
        for i in settings.intake.instruments
        if tier is not None and settings.instrument_tier(i) == tier
    }
    return sorted(exempt)


def data_bucket_statements(settings: Settings, stack: str, tier: str | None, bucket_arn: str, vpce_id: str) -> list:
    """The landing zone's own statements of a data-tier bucket policy: the VPC-endpoint-only deny and,
    on a scanned intake bucket, the guards that make GuardDuty's scan-status tag trustworthy."""
    statements = [
        vpc_endpoint_only_statement(
            bucket_arn, vpce_id, endpoint_exempt_principals(settings, stack, tier), settings.account_id
        )
    ]
    if tier is None:
        return statements
    scanned = scans_uploads(settings, tier)
    statements += data_guardrails.data_tier_statements(settings, stack, tier, bucket_arn, scanned)
    if scanned:
        verifier = run_workflow.verifying_role(settings, stack, tier)
        statements += malware_policies.intake_bucket_statements(
            bucket_arn,
            malware_policies.scan_role_arn(settings, stack, tier),
            [naming.break_glass_arn(settings, stack)],
            run_taggers=[verifier] if verifier else [],
        )
    return statements


class LandingZone:
    """Builds every component in dependency order and collects the stack outputs."""

    def __init__(self, settings: Settings, stack: str):
        self.settings = settings
        self.stack = stack
        provider = provider_for(settings, stack)
        opts = pulumi.ResourceOptions(providers={"aws": provider})
        config_here = (
            settings.security_services.aws_config and settings.account_services.aws_config.mode != "organization"
        )
        needed = (slr.AUTO_SCALING, slr.CONFIG) if config_here else (slr.AUTO_SCALING,)
        self.service_linked_roles = slr.ServiceLinkedRoles("service-linked-roles", settings, needed, opts=opts)
        self.keys = EncryptionKeys(
            "keys",
            settings,
            stack,
            waits_for={"compute": self.service_linked_roles.depends(slr.AUTO_SCALING)},
            opts=opts,
        )
        self.network = SecureNetwork("network", settings, stack, self.keys.logs, opts=opts)
        vpce_id = self.network.s3_endpoint.id
        self.on_premises: OnPremisesPath | None = None
        if settings.on_premises is not None:
            self.on_premises = OnPremisesPath(
                "lab",
                settings,
                stack,
                vpc_id=self.network.vpc.id,
                private_subnet_ids=[s.id for s in self.network.private_subnets],
                private_route_table_ids=[t.id for t in self.network.private_route_tables],
                log_key_arn=self.keys.logs.arn,
                opts=opts,
            )
        # Bucket names are fixed by the settings, so each policy's ARN says which tier it guards.
        tier_of = {f"arn:{settings.partition}:s3:::{naming.bucket_name(settings, stack, t)}": t for t in TIERS}
        self.data_lake = GenomicsDataLake(
            "data",
            settings,
            stack,
            self.keys.data,
            extra_statements=lambda arn: vpce_id.apply(
                lambda vpce: data_bucket_statements(settings, stack, tier_of.get(arn), arn, vpce)
            ),
            opts=opts,
        )
        bucket_arns = self.data_lake.bucket_arns()
        self.audit = AuditTrail(
            "audit",
            settings,
            stack,
            self.keys.logs,
            list(bucket_arns.values()),
            access_log_bucket=self.data_lake.access_logs.bucket,
            opts=opts,
        )
        self.security = AccountSecurity(
            "security",
            settings,
            stack,
            audit_bucket_name=self.audit.audit_bucket.bucket,
            log_key=self.keys.logs,
            compute_key=self.keys.compute,
            intake_buckets=self.data_lake.intake(settings),
            data_key=self.keys.data,
            config_role_ready=self.service_linked_roles.depends(slr.CONFIG),
            opts=opts,
        )
        self.finding_alerts = FindingAlerts(
            "findings", settings, stack, log_key_arn=self.keys.logs.arn, topic_arn=self.audit.alarm_topic.arn, opts=opts
        )
        self.collaborators = CollaboratorAccess(
            "collaborators", settings, stack, data_key_arn=self.keys.data.arn, bucket_arns=bucket_arns, opts=opts
        )
        self.operators = OperatorRoles(
            "operators",
            settings,
            stack,
            audit_bucket_arn=self.audit.audit_bucket.arn,
            log_key_arn=self.keys.logs.arn,
            data_key_arn=self.keys.data.arn,
            data_bucket_arns=[*bucket_arns.values(), self.data_lake.access_logs.bucket.arn],
            access_log_bucket_arn=self.data_lake.access_logs.bucket.arn,
            opts=opts,
        )
        self.compute: GenomicsCompute | None = None
        self.reference: ReferenceData | None = None
        if settings.compute.enabled:
            self.compute = GenomicsCompute(
                "compute",
                settings,
                stack,
                vpc_id=self.network.vpc.id,
                vpc_cidr=settings.vpc_cidr,
                subnet_ids=[s.id for s in self.network.private_subnets],
                s3_prefix_list_id=self.network.s3_endpoint.prefix_list_id,
                compute_key=self.keys.compute,
                data_key_arn=self.keys.data.arn,
                log_key_arn=self.keys.logs.arn,
                bucket_arns=bucket_arns,
                opts=opts,
            )
            self.reference = self.compute.reference_data  # built by the compute: they depend on each other
        self.intake: InstrumentIntake | None = None
        if settings.intake.instruments:
            self.intake = InstrumentIntake(
                "intake",
                settings,
                stack,
                bucket_arns=bucket_arns,
                data_key_arn=self.keys.data.arn,
                s3_interface_endpoint_id=(
                    self.network.interface_endpoints["s3"].id if settings.on_premises is not None else None
                ),
                opts=opts,
            )
        self.run_tracking: RunTracking | None = None
        if self.compute is not None and settings.run_tracking.enabled:
            self.run_tracking = RunTracking(
                "runs",
                settings,
                stack,
                intake_bucket=self.data_lake.tiers[settings.run_tracking.intake_tier].bucket.bucket,
                data_key_arn=self.keys.data.arn,
                log_key_arn=self.keys.logs.arn,
                job_definitions=self.compute.job_definitions,
                job_queues={s.name: self.compute.stage_queue(s.name) for s in settings.run_stages},
                intake_scanned=scans_uploads(settings, settings.run_tracking.intake_tier),
                opts=opts,
            )
        self.job_failure_alerts: FindingAlerts | None = None
        if self.compute is not None:
            # a failed job alarms whether a workflow submitted it or a person did; to the pipeline topic when
            # runs are tracked, else to the security topic
            self.job_failure_alerts = FindingAlerts(
                "job-failures",
                settings,
                stack,
                log_key_arn=self.keys.logs.arn,
                topic_arn=self.run_tracking.topic.arn if self.run_tracking else self.audit.alarm_topic.arn,
                chosen=[batch_job_failures(settings, stack)],
                group="batch-job-failures",
                opts=opts,
            )

        self.backups: Backups | None = None
        if settings.backups.enabled:
            backed_up = [self.data_lake.tiers[t].bucket.arn for t in settings.backups.tiers]
            restore_tested: list[Tested] = []  # restored into new copies under the data key, like the originals
            if settings.backups.audit_bucket:
                backed_up.append(self.audit.audit_bucket.arn)
            if settings.backups.runs_table and self.run_tracking is not None:
                backed_up.append(self.run_tracking.table.arn)
                restore_tested.append(Tested("runs_table", DYNAMODB, self.run_tracking.table.arn, self.keys.data.arn))
            if self.reference is not None:
                backed_up.append(self.reference.file_system.arn)  # the reference file system, with the tiers
                restore_tested.append(
                    Tested("reference_files", EFS, self.reference.file_system.arn, self.keys.data.arn)
                )
            self.backups = Backups(
                "backups", settings, stack, resource_arns=backed_up, restore_tested=restore_tested, opts=opts
            )
            # a failed, aborted or expired backup or copy job alarms on the security topic
            self.backup_alerts = FindingAlerts(
                "backup-failures",
                settings,
                stack,
                log_key_arn=self.keys.logs.arn,
                topic_arn=self.audit.alarm_topic.arn,
                chosen=[BACKUP_JOB_FAILURES],
                group="backup-job-failures",
                opts=opts,
            )

    def outputs(self) -> dict[str, Any]:
        settings = self.settings
        outputs: dict[str, Any] = {
            "accountId": settings.account_id,
            "region": settings.region,
            "classification": settings.classification,
            "kmsKeys": {"data": self.keys.data.arn, "logs": self.keys.logs.arn, "compute": self.keys.compute.arn},
            "dataBuckets": {tier: b.bucket.bucket for tier, b in self.data_lake.tiers.items()},
            "accessLogBucket": self.data_lake.access_logs.bucket.bucket,
            "auditBucket": self.audit.audit_bucket.bucket,
            "trailArn": self.audit.trail.arn,
            "findingsLogGroup": self.finding_alerts.log_group.name,
            "vpcId": self.network.vpc.id,
            "egress": self.network.egress_mode,
            "securityServices": self.security.enabled,
            # Per account-level singleton: create | adopt | organization. The gate takes an organization
            # service as provided there (it cannot see it offline); `glz audit` checks it is on.
            "accountServices": self.security.modes,
            "organizationServices": self.security.organization,
            "securityHubStandards": self.security.security_hub_standard_arns,
            "malwareScanBuckets": self.security.malware_scan_buckets,
            "collaboratorRoles": {name: role.arn for name, role in self.collaborators.roles.items()},
            # What each collaborator was granted in the settings: the gate (GLZ-IAM-014) compares the role's
            # effective reach with it, so a widened policy or trust is caught, however it is written.
            "collaboratorGrants": {
                c.name: {
                    "account": c.account_id,
                    "access": c.access,
                    "tiers": list(c.tiers),
                    "prefixes": list(c.prefixes),
                    "runTags": list(c.run_tags),
                    "principals": access_policies.collaborator_principals(c, settings.partition),
                    "requireMfa": c.require_mfa,
                    "principalKind": c.principal_kind,
                    "sourceIps": sorted(c.source_ips),
                }
                for c in settings.collaborators
            },
            # The principals that run `pulumi up`: the gate (GLZ-S3-015) checks no data-bucket deny refuses them.
            "deployerPrincipalArns": list(settings.deployer_principal_arns),
            # the foreign buckets the S3 endpoint and the job roles may read (GLZ-NET-005 holds them to this list)
            "openDataBuckets": list(settings.open_data_buckets),
            # Service-linked roles the stack names but neither creates nor adopts (serviceLinkedRoles:
            # existing): preflight and the live audit must find them (GLZ-IAM-017 reads this).
            "existingServiceLinkedRoles": list(self.service_linked_roles.existing),
            "adminRoleArn": self.operators.admin_role.arn,
            "auditorRoleArn": self.operators.auditor_role.arn,
            "breakGlassRoleArn": self.operators.break_glass_role.arn,
            "supportRoleArn": self.operators.support_role.arn,
            "auditBucketName": naming.bucket_name(settings, self.stack, AUDIT_TIER),
            # How the stack's IAM names begin (naming.role_name): `glz deployer-policy`, its matrix probe and
            # `glz audit` scope the deployer's IAM grants to them.
            "namePrefix": settings.name_prefix,
        }
        if self.compute is not None:
            # What the session preferences must say (GLZ-CMP-018 compares the document with them).
            outputs["sessionIdleMinutes"] = settings.compute.session_idle_minutes
            outputs["systemUseNotice"] = settings.system_use_notice
            outputs["jobQueues"] = {name: q.arn for name, q in self.compute.job_queues.items()}
            outputs["computeEnvironments"] = {name: ce.arn for name, ce in self.compute.compute_environments.items()}
        if self.run_tracking is not None:
            outputs["runTracking"] = {
                "table": self.run_tracking.table.name,
                "workflow": self.run_tracking.state_machine.arn,
                "topic": self.run_tracking.topic.arn,
                "intakeTier": settings.run_tracking.intake_tier,
                "markers": list(settings.run_tracking.markers),
                "stages": [s.name for s in settings.run_stages],
                "manifest": settings.run_tracking.manifest,
            }
        if self.reference is not None:
            outputs["referenceFileSystemId"] = self.reference.file_system.id
        if self.backups is not None:
            # what the gate, the matrix and `glz audit` hold the backups to
            backups = settings.backups
            outputs["backups"] = {
                "vault": self.backups.vault.name,
                "plan": self.backups.plan.id,
                "role": self.backups.role.arn,
                "key": self.backups.key.arn,
                "tiers": list(backups.tiers),
                "auditBucket": backups.audit_bucket,
                "runsTable": backups.runs_table and self.run_tracking is not None,
                "referenceFileSystem": self.reference is not None,
                "retentionDays": backups.retention_days,
                "lock": backups.lock,
                "copyVaultArn": backups.copy_vault_arn,
                "restoreTests": self.backups.restore_tests is not None,
            }
        if self.on_premises is not None:
            # what the gate admits as the lab's path (policies/rules/network.py, lab_networks): routes to these
            # networks through this gateway, security groups admitting them
            outputs["onPremises"] = {
                "cidrs": list(settings.on_premises.cidrs),
                "vpnGateway": self.on_premises.vpn_gateway.id,
                "vpnConnection": self.on_premises.vpn_connection.id,
                "resolverEndpoint": self.on_premises.resolver_endpoint.id,
            }
        if self.intake is not None:
            outputs["intake"] = {
                "trustAnchor": self.intake.trust_anchor.arn,
                "profile": self.intake.profile.arn,
                "sessionSeconds": settings.intake.session_seconds,
                "instruments": {
                    i.name: {
                        "role": self.intake.roles[i.name].arn,
                        "commonName": i.common_name,
                        "tier": settings.instrument_tier(i),
                        "prefix": instrument_prefix(i.name),
                    }
                    for i in settings.intake.instruments
                },
            }
        return outputs
