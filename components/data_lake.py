"""GenomicsDataLake: one encrypted, versioned, private bucket per data tier, plus an access-log bucket.

Each tier gets its own bucket so lifecycle, access grants and audit events follow the data's
value: FASTQ is regenerable and expires, VCF is small and precious and stays in Standard.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from components import bucket_policies, data_guardrails, malware_policies, policy_document
from components.naming import bucket_name
from components.settings import PRECIOUS_TIERS, STORAGE_CLASS_BY_KEY, TIERS, Settings, TierLifecycle

LOG_TIER = "access-logs"
AUDIT_TIER = "audit"
"""The audit bucket (AuditTrail) also writes its server access logs to the access-log bucket."""
ExtraStatements = Callable[[str], pulumi.Input[list[dict[str, Any]]]]


PRECIOUS_NONCURRENT_GLACIER_DAYS = 30


def noncurrent_days(settings: Settings, precious: bool) -> int:
    """How long an overwritten or deleted version is kept: on a precious tier (PRECIOUS_TIERS) for the
    retention period (auditLogRetentionDays, at least noncurrentVersionExpiryDays), so a writer who overwrites
    a variant call cannot make the old one expire; elsewhere noncurrentVersionExpiryDays."""
    if precious:
        return max(settings.noncurrent_version_expiry_days, settings.audit_log_retention_days)
    return settings.noncurrent_version_expiry_days


def lifecycle_rules(
    tier: TierLifecycle, settings: Settings, *, precious: bool = False
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Housekeeping rules every bucket gets, then the tier's tiering rule if it has one."""
    everything = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=everything,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=settings.abort_incomplete_multipart_upload_days
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=everything,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=noncurrent_days(settings, precious)
            ),
            # kept for years on a precious tier: the old versions wait in Glacier Instant Retrieval
            noncurrent_version_transitions=(
                [
                    aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
                        noncurrent_days=PRECIOUS_NONCURRENT_GLACIER_DAYS, storage_class="GLACIER_IR"
                    )
                ]
                if precious
                else None
            ),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True),
        ),
    ]
    transitions = [
        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(storage_class=STORAGE_CLASS_BY_KEY[key], days=days)
        for key, days in tier.transitions()
        if days is not None
    ]
    if transitions or tier.expire_after_days is not None:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="tiering",
                status="Enabled",
                filter=everything,
                transitions=transitions or None,
                expiration=(
                    aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=tier.expire_after_days)
                    if tier.expire_after_days is not None
                    else None
                ),
            )
        )
    return rules


class SecureBucket(pulumi.ComponentResource):
    """A bucket with every guard on: SSE-KMS with bucket keys, versioning, all four public-access
    blocks, BucketOwnerEnforced, TLS-only and expected-key policy, lifecycle, access logging, and
    Object Lock when a default retention is given."""

    def __init__(
        self,
        name: str,
        *,
        physical_name: str,
        kms_key: aws.kms.Key,
        rules: list[aws.s3.BucketLifecycleConfigurationRuleArgs],
        log_bucket: aws.s3.Bucket | None,
        log_prefix: str,
        extra_statements: ExtraStatements | None = None,
        object_lock: aws.s3.BucketObjectLockConfigurationRuleArgs | None = None,
        tags: dict[str, str] | None = None,
        sse_s3_prefixes: tuple[str, ...] = (),
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``sse_s3_prefixes``: key prefixes an AWS service writes with SSE-S3 whatever the bucket default
        (CloudTrail digest files); see bucket_policies.deny_unexpected_encryption."""
        super().__init__("glz:data:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name,
            bucket=physical_name,
            # Object Lock can only be chosen when the bucket is created.
            object_lock_enabled=True if object_lock is not None else None,
            force_destroy=False,
            tags=tags,
            opts=child,
        )
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=kms_key.arn
                    ),
                    bucket_key_enabled=True,
                    blocked_encryption_types=["SSE-C"],
                )
            ],
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        self.object_lock = None
        if object_lock is not None:
            self.object_lock = aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=self.bucket.id,
                object_lock_enabled="Enabled",
                rule=object_lock,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
            )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        self.logging = None
        if log_bucket is not None:
            self.logging = aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=self.bucket.id,
                target_bucket=log_bucket.id,
                target_prefix=log_prefix,
                target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                    partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                        partition_date_source="EventTime"
                    )
                ),
                opts=child,
            )
        extra: pulumi.Input[list[dict[str, Any]]] = []
        if extra_statements is not None:
            extra = self.bucket.arn.apply(extra_statements)
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, kms_key.arn, extra).apply(
                lambda args: json.dumps(
                    policy_document.document(
                        bucket_policies.deny_insecure_transport(args[0])
                        + bucket_policies.deny_unexpected_encryption(args[0], args[1], sse_s3_prefixes)
                        + list(args[2])
                    ),
                    sort_keys=True,
                )
            ),
            # After the public-access block (a policy applied before it could briefly be public) and
            # the lifecycle (a policy may freeze lifecycle changes, as the audit bucket's does).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block, self.lifecycle]),
        )
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn})


class GenomicsDataLake(pulumi.ComponentResource):
    """Buckets for BCL, FASTQ, BAM/CRAM, VCF/gVCF, reference genomes and results, all logging to
    one access-log bucket, all encrypted with the data key."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        data_key: aws.kms.Key,
        *,
        extra_statements: ExtraStatements | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("glz:data:GenomicsDataLake", name, None, opts)
        log_bucket_name = bucket_name(settings, stack, LOG_TIER)
        tier_names = {tier: bucket_name(settings, stack, tier) for tier in TIERS}
        partition = settings.partition
        log_sources = [*tier_names.values(), bucket_name(settings, stack, AUDIT_TIER)]
        source_arns = [f"arn:{partition}:s3:::{n}" for n in log_sources]

        def log_delivery(arn: str) -> list[dict[str, Any]]:
            return [
                bucket_policies.allow_access_log_delivery(arn, source_arns, settings.account_id),
                *data_guardrails.access_log_statements(settings, stack, arn),
            ]

        self.access_logs = SecureBucket(
            f"{name}-{LOG_TIER}",
            physical_name=log_bucket_name,
            kms_key=data_key,
            rules=lifecycle_rules(
                TierLifecycle(glacier_after_days=90, expire_after_days=max(settings.audit_log_retention_days, 91)),
                settings,
            ),
            log_bucket=None,  # the log bucket does not log into itself (it would loop)
            log_prefix="",
            extra_statements=log_delivery,
            tags={"DataTier": LOG_TIER},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.tiers: dict[str, SecureBucket] = {}
        for tier in TIERS:
            intake_tags = (
                {malware_policies.INTAKE_TAG: malware_policies.INTAKE_TAG_VALUE}
                if tier in settings.intake_tiers
                else {}
            )
            self.tiers[tier] = SecureBucket(
                f"{name}-{tier}",
                physical_name=tier_names[tier],
                kms_key=data_key,
                rules=lifecycle_rules(settings.lifecycle.for_tier(tier), settings, precious=tier in PRECIOUS_TIERS),
                log_bucket=self.access_logs.bucket,
                log_prefix=f"{tier}/",
                extra_statements=extra_statements,
                tags={"DataTier": tier, **intake_tags},
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                "buckets": {tier: b.bucket.bucket for tier, b in self.tiers.items()},
                "accessLogBucket": self.access_logs.bucket.bucket,
            }
        )

    def bucket_arns(self) -> dict[str, pulumi.Output[str]]:
        return {tier: b.bucket.arn for tier, b in self.tiers.items()}

    def intake(self, settings: Settings) -> dict[str, SecureBucket]:
        """The buckets where files from outside the landing zone land (Settings.intake_tiers)."""
        return {tier: self.tiers[tier] for tier in settings.intake_tiers}
