"""Joins a bucket with its split S3 resources (pulumi-aws v7 configures a bucket through siblings)."""

from __future__ import annotations

from dataclasses import replace

from policies.framework import StackView, View

BUCKET = "aws:s3/bucket:Bucket"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"

DATA_TIERS = frozenset({"bcl", "fastq", "alignments", "variants", "reference", "results"})


def bucket_name(bucket: View) -> str:
    return bucket.get("bucket") or bucket.get("id") or bucket.name


def siblings(stack: StackView, bucket: View, typ: str) -> list[View]:
    """Resources of ``typ`` configuring ``bucket``: linked by property dependency (works in a
    preview, where names are unknown) or by the bucket name (works on any export). Index lookups."""
    return stack.linked(typ, "bucket", bucket.urn, bucket_name(bucket))


def sibling(stack: StackView, bucket: View, typ: str) -> View | None:
    found = siblings(stack, bucket, typ)
    return found[0] if found else None


DATA_LAKE = "glz:data:GenomicsDataLake"
SECURE_BUCKET = "glz:data:SecureBucket"
AUDIT_TRAIL = "glz:audit:AuditTrail"
LOG_TIER = "access-logs"
AUDIT_TIER = "audit"


def tier_of(bucket: View) -> str | None:
    """The tier of a bucket as classified by ``data_buckets``/``classify`` (they return views whose
    DataTier is the structural one); on any other view, its own tag."""
    return bucket.tags.get("DataTier")


def classify(stack: StackView) -> dict[str, str]:
    """Bucket URN -> tier, known by what points at the bucket, not by a tag it sets on itself: the data
    lake component that owns it (its SecureBucket child is named `<lake>-<tier>`), the audit trail that
    owns the audit bucket, and the stack's `dataBuckets`/`accessLogBucket`/`auditBucket` outputs. A tag
    is read only for a bucket nothing else classifies (a CrossGuard resource-level view has no parents)."""
    cached = getattr(stack, "_bucket_tiers", None)
    if cached is not None:
        return cached
    outputs = stack.outputs
    named = {
        str(v): t for t, v in (outputs.get("dataBuckets") or {}).items() if isinstance(outputs.get("dataBuckets"), dict)
    }
    for key, tier in (("accessLogBucket", LOG_TIER), ("auditBucket", AUDIT_TIER)):
        if outputs.get(key):
            named[str(outputs[key])] = tier
    tiers: dict[str, str] = {}
    for bucket in stack.of_type(BUCKET):
        tier = _structural_tier(stack, bucket) or named.get(bucket_name(bucket))
        if tier is None and not bucket.parent:
            tier = bucket.tags.get("DataTier")
        if tier:
            tiers[bucket.urn] = tier
    stack._bucket_tiers = tiers
    return tiers


def _structural_tier(stack: StackView, bucket: View) -> str | None:
    owner = stack.by_urn.get(bucket.parent or "")
    if owner is None or owner.type != SECURE_BUCKET:
        return None
    component = stack.by_urn.get(owner.parent or "")
    if component is not None and component.type == DATA_LAKE:
        prefix = f"{component.name}-"
        return owner.name[len(prefix) :] if owner.name.startswith(prefix) else None
    if component is not None and component.type == AUDIT_TRAIL:
        return AUDIT_TIER
    return None


def _as_tier(bucket: View, tier: str) -> View:
    if bucket.tags.get("DataTier") == tier:
        return bucket
    return replace(bucket, props={**bucket.props, "tags": {**bucket.tags, "DataTier": tier}})


def classified_buckets(stack: StackView) -> list[View]:
    """Every bucket with its structural tier (see ``classify``) as its DataTier."""
    tiers = classify(stack)
    return [_as_tier(b, tiers[b.urn]) for b in stack.of_type(BUCKET) if b.urn in tiers]


def data_buckets(stack: StackView) -> list[View]:
    """The data-tier buckets, classified by reference; removing or changing a tag changes nothing here."""
    return [b for b in classified_buckets(stack) if tier_of(b) in DATA_TIERS]


def unclassified_buckets(stack: StackView) -> list[View]:
    tiers = classify(stack)
    return [b for b in stack.of_type(BUCKET) if b.urn not in tiers]
