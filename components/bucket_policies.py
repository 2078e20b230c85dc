"""Bucket policy statements shared by every bucket the landing zone creates.

Pure functions over ARNs (plain strings), so the component, the tests and the policy rules agree on
one definition of "TLS-only" and "only the expected KMS key".
"""

from __future__ import annotations

from components.policy_document import Statement

SSE_HEADER = "s3:x-amz-server-side-encryption"
SSE_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"


def deny_insecure_transport(bucket_arn: str) -> list[Statement]:
    """Refuse plain HTTP and TLS older than 1.2 for every request, whoever makes it."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]


def deny_unexpected_encryption(bucket_arn: str, key_arn: str, sse_s3_prefixes: tuple[str, ...] = ()) -> list[Statement]:
    """Refuse uploads that ask for anything but SSE-KMS with this bucket's key.

    Uploads that send no encryption header get the bucket default (SSE-KMS, same key), which is
    why the conditions use ...IfExists: the bucket default is the guarantee, the deny closes the
    only way around it (a request choosing another algorithm or another key).

    ``sse_s3_prefixes`` are key prefixes where an AWS service writes with SSE-S3 whatever the bucket
    says: CloudTrail encrypts digest files with SSE-S3 even when log files use SSE-KMS
    (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html),
    so the audit bucket lets SSE-S3 (AES256) through under the digest prefix, and nothing weaker.
    """
    objects = f"{bucket_arn}/*"
    exempt = [f"{bucket_arn}/{prefix}*" for prefix in sse_s3_prefixes]
    not_kms: Statement = {
        "Sid": "DenyNonKmsEncryption",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:PutObject",
        "Condition": {"StringNotEqualsIfExists": {SSE_HEADER: "aws:kms"}},
    }
    # NotResource in a bucket policy still only governs this bucket's resources
    not_kms.update({"NotResource": [bucket_arn, *exempt]} if exempt else {"Resource": objects})
    statements = [
        not_kms,
        {
            "Sid": "DenyOtherKmsKeys",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {"StringNotEqualsIfExists": {SSE_KEY_HEADER: key_arn}},
        },
    ]
    if exempt:
        statements.append(
            {
                "Sid": "DenyUnencryptedDigests",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:PutObject",
                "Resource": exempt,
                "Condition": {"StringNotEqualsIfExists": {SSE_HEADER: ["AES256", "aws:kms"]}},
            }
        )
    return statements


def allow_access_log_delivery(log_bucket_arn: str, source_bucket_arns: list[str], account_id: str) -> Statement:
    """S3 server access log delivery, only from this landing zone's buckets in this account."""
    return {
        "Sid": "AllowS3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": sorted(source_bucket_arns)},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    }
