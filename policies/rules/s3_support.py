"""Joins a bucket with its split S3 resources (pulumi-aws v7 configures a bucket through siblings)."""

from __future__ import annotations

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
    preview, where names are unknown) or by the bucket name (works on any export)."""
    name = bucket_name(bucket)
    found = []
    for resource in stack.of_type(typ):
        linked = bucket.urn in (resource.property_dependencies.get("bucket") or [])
        if linked or (resource.get("bucket") is not None and resource.get("bucket") == name):
            found.append(resource)
    return found


def sibling(stack: StackView, bucket: View, typ: str) -> View | None:
    found = siblings(stack, bucket, typ)
    return found[0] if found else None


def tier_of(bucket: View) -> str | None:
    return bucket.tags.get("DataTier")


def data_buckets(stack: StackView) -> list[View]:
    return [b for b in stack.of_type(BUCKET) if tier_of(b) in DATA_TIERS]
