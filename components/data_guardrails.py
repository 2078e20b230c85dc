"""Guardrails in the data buckets' own policies, so no IAM administrator can remove them from a role.

Identity policies bind only the roles they are attached to; an administrator can always create a fresh
role. A bucket policy's Deny binds every principal of every account, so what must hold for everyone is
written here, each with its one named exception:

- object reads: only the roles whose purpose is to read the tier (the pipeline stages that take it as
  input, the reference loader on the reference tier, the tier's malware scanner, AWS Backup's role on
  backed-up tiers, the run workflow on the intake tier (manifests and checksums), the collaborators
  granted it) and break-glass;
- on a scanned intake tier (securityServices.scannedReadsOnly): only objects GuardDuty tagged
  NO_THREATS_FOUND, except for the scanner and break-glass; unscanned, FAILED, UNSUPPORTED and
  ACCESS_DENIED objects stay quarantined until scanned;
- history: deleting an object version, and so permanently destroying it, is break-glass only;
- bucket configuration: the policy, lifecycle, versioning and the bucket itself change only through the
  deployer (`pulumi up`) or break-glass (only when deployerPrincipalArns names the deployer; without it
  the deployment would lock itself out).

Each exception is an ``ArnNotLike aws:PrincipalArn`` of full ARNs (no wildcards, which would exempt roles
created later). Requests AWS services make as themselves carry no principal ARN; ``aws:PrincipalIsAWSService``
keeps them out of these denies (S3 server access logging, for one).
"""

from __future__ import annotations

from components import backup_policies, compute_policies, malware_policies, naming, run_workflow
from components.policy_document import Statement
from components.settings import Settings

OBJECT_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
HISTORY_DESTRUCTION_ACTIONS = ("s3:DeleteObjectVersion",)
CONFIGURATION_ACTIONS = (
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
)


def object_readers(settings: Settings, stack: str, tier: str, scanned: bool) -> list[str]:
    """The roles whose purpose is to read ``tier`` (break-glass excluded: every guardrail adds it)."""
    roles: set[str] = set()
    if settings.compute.enabled:
        roles |= {
            naming.role_arn(settings, stack, spec.role_suffix)
            for spec in compute_policies.job_specs(settings)
            if tier in spec.reads
        }
        if tier == "reference" and settings.reference_data.efs and settings.reference_data.loader_image:
            roles.add(naming.role_arn(settings, stack, compute_policies.REFERENCE_LOADER.role_suffix))
    if scanned:
        roles.add(malware_policies.scan_role_arn(settings, stack, tier))
    if backup_policies.backs_up(settings, tier):
        roles.add(backup_policies.backup_role_arn(settings, stack))  # AWS Backup copies every object
    workflow = run_workflow.reaching_role(settings, stack, tier)
    if workflow:
        roles.add(workflow)  # manifests and checksums once scanned clean; its own reports (verification/ only)
    roles |= {
        naming.role_arn(settings, stack, naming.collaborator_role_suffix(c.name))
        for c in settings.collaborators
        if tier in c.tiers
    }
    return sorted(roles)


def _deny(sid: str, actions: tuple[str, ...], resource: str, exempt: list[str], **conditions: dict) -> Statement:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": list(actions),
        "Resource": resource,
        "Condition": {
            **conditions,
            "ArnNotLike": {"aws:PrincipalArn": sorted(set(exempt))},
            "Bool": {"aws:PrincipalIsAWSService": "false"},
        },
    }


def configuration_statement(settings: Settings, stack: str, bucket_arn: str) -> list[Statement]:
    """Bucket policy, lifecycle, versioning and deletion: deployer and break-glass only (none without a deployer)."""
    if not settings.deployer_principal_arns:
        return []
    exempt = [*settings.deployer_principal_arns, naming.break_glass_arn(settings, stack)]
    return [_deny("DenyConfigurationChangesButDeployer", CONFIGURATION_ACTIONS, bucket_arn, exempt)]


def history_statement(settings: Settings, stack: str, bucket_arn: str) -> Statement:
    return _deny(
        "DenyVersionDestructionButBreakGlass",
        HISTORY_DESTRUCTION_ACTIONS,
        f"{bucket_arn}/*",
        [naming.break_glass_arn(settings, stack)],
    )


def data_tier_statements(settings: Settings, stack: str, tier: str, bucket_arn: str, scanned: bool) -> list[Statement]:
    """The guardrails of one data-tier bucket (``scanned``: GuardDuty Malware Protection scans it)."""
    objects = f"{bucket_arn}/*"
    glass = naming.break_glass_arn(settings, stack)
    statements = [
        _deny(
            "DenyObjectReadsOutsidePurpose",
            OBJECT_READ_ACTIONS,
            objects,
            [*object_readers(settings, stack, tier, scanned), glass],
        ),
        history_statement(settings, stack, bucket_arn),
        *configuration_statement(settings, stack, bucket_arn),
    ]
    if scanned and settings.security_services.scanned_reads_only:
        statements.append(
            _deny(
                "DenyReadingObjectsNotScannedClean",
                OBJECT_READ_ACTIONS,
                objects,
                [malware_policies.scan_role_arn(settings, stack, tier), glass],
                # A missing tag (not scanned yet) matches StringNotEquals: unscanned objects are refused too.
                StringNotEquals={f"s3:ExistingObjectTag/{malware_policies.SCAN_STATUS_TAG}": malware_policies.CLEAN},
            )
        )
    return statements


def access_log_statements(settings: Settings, stack: str, bucket_arn: str) -> list[Statement]:
    """The access-log bucket: its records are evidence like the audit bucket's; nobody but break-glass
    deletes them early (lifecycle expiry after the audit retention still applies), and its configuration
    changes only through the deployer."""
    return [
        _deny(
            "DenyAccessLogDestructionButBreakGlass",
            ("s3:DeleteObject", *HISTORY_DESTRUCTION_ACTIONS),
            f"{bucket_arn}/*",
            [naming.break_glass_arn(settings, stack)],
        ),
        *configuration_statement(settings, stack, bucket_arn),
    ]
