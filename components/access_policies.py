"""IAM policy documents for collaborator and operator roles.

Pure functions over plain strings (ARNs, IDs), so the components, the tests and the policy rules share
one definition of "what a collaborator may touch" and "what an operator may never do". Collaborator
documents never use a wildcard action and never pair ``Resource: "*"`` with a non-KMS action.
"""

from __future__ import annotations

from typing import Any

from components.data_access import RUN_TAG_KEY, run_tag_read_statement
from components.policy_document import Document, Statement, document
from components.settings import Collaborator

MFA_MAX_AGE_SECONDS = 3600
"""A session may only be started within an hour of the MFA sign-in it rests on."""

OPERATOR_SESSION_SECONDS = 3600
"""Operator (admin, auditor) sessions last one hour: short-lived privileged credentials."""

READ_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion")
WRITE_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectTagging")
LIST_ACTIONS = ("s3:ListBucket",)

# Actions on the audit plane nobody in day-to-day operation may perform (separation of duties).
TRAIL_TAMPER_ACTIONS = (
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
)
AUDIT_BUCKET_TAMPER_ACTIONS = (
    "s3:BypassGovernanceRetention",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutBucketLogging",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
)
# Everything else that silences the audit plane, as IAM patterns (the gate's GLZ-IAM-010 expands its own list
# from the IAM action catalog and checks these denies by evaluation, not by comparing lists).
AUDIT_PLANE_TAMPER_ACTIONS = (
    "cloudtrail:Delete*",
    "cloudtrail:Deregister*",
    "cloudtrail:Put*",
    "cloudtrail:Remove*",
    "cloudtrail:Stop*",
    "cloudtrail:Update*",
    "config:Delete*",
    "config:Put*",
    "config:Stop*",
    "guardduty:Archive*",
    "guardduty:Delete*",
    "guardduty:Disable*",
    "guardduty:Disassociate*",
    "guardduty:Stop*",
    "guardduty:Update*",
    "securityhub:BatchDisable*",
    "securityhub:Delete*",
    "securityhub:Disable*",
    "securityhub:Disassociate*",
    "securityhub:UpdateSecurityHubConfiguration",
    "securityhub:UpdateStandardsControl",
    "inspector2:Delete*",
    "inspector2:Disable*",
    "inspector2:Disassociate*",
    "access-analyzer:ApplyArchiveRule",
    "access-analyzer:CreateArchiveRule",
    "access-analyzer:Delete*",
    "access-analyzer:UpdateAnalyzer",
    "access-analyzer:UpdateArchiveRule",
    # the SECURITY alternate contact: who AWS tells about abuse and exposed credentials
    "account:DeleteAlternateContact",
    "account:PutAlternateContact",
    "ec2:DeleteFlowLogs",
    "logs:DeleteLogGroup",
    "logs:DeleteLogStream",
    "logs:DeleteMetricFilter",
    "logs:DeleteRetentionPolicy",
    "logs:DeleteSubscriptionFilter",
    "logs:DisassociateKmsKey",
    "logs:PutMetricFilter",
    "logs:PutRetentionPolicy",
    "logs:PutSubscriptionFilter",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
    "cloudwatch:PutMetricAlarm",
    "sns:AddPermission",
    "sns:DeleteTopic",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
)
KEY_TAMPER_ACTIONS = (
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
)
OPERATOR_ROLE_TAMPER_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
)
DATA_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")


def _principal_list(arns: list[str]) -> str | list[str]:
    arns = sorted(arns)
    return arns[0] if len(arns) == 1 else arns


def _mfa_conditions() -> dict[str, dict[str, str]]:
    # MultiFactorAuthPresent is absent (so the Bool test fails) for long-term access keys;
    # MultiFactorAuthAge bounds how stale the MFA sign-in may be.
    return {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": str(MFA_MAX_AGE_SECONDS)},
    }


def s3_via_service(region: str) -> str:
    return f"s3.{region}.amazonaws.com"


# ---- collaborators ----------------------------------------------------------------------------


def collaborator_principals(collaborator: Collaborator, partition: str) -> list[str]:
    """Exactly the listed principals, or the collaborator account's root (its admins decide who)."""
    if collaborator.principal_arns:
        return sorted(collaborator.principal_arns)
    return [f"arn:{partition}:iam::{collaborator.account_id}:root"]


def collaborator_trust_policy(collaborator: Collaborator, external_id: str, partition: str) -> Document:
    """Only the collaborator's account (or its listed principals) may assume, with the external ID
    (confused-deputy guard) and, unless switched off, a recent MFA sign-in."""
    conditions: dict[str, dict[str, Any]] = {"StringEquals": {"sts:ExternalId": external_id}}
    if collaborator.require_mfa:
        conditions.update(_mfa_conditions())
    if collaborator.source_ips:
        # a workload's AssumeRole call comes from the partner's egress addresses (aws:SourceIp, IAM global
        # condition keys); MFA cannot be asked of a role session
        conditions["IpAddress"] = {"aws:SourceIp": sorted(collaborator.source_ips)}
    return document(
        [
            {
                "Sid": "CollaboratorAssumesWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": _principal_list(collaborator_principals(collaborator, partition))},
                "Action": "sts:AssumeRole",
                "Condition": conditions,
            }
        ]
    )


def _object_resources(bucket_arns: list[str], prefixes: list[str]) -> list[str]:
    return sorted(f"{arn}/{prefix}*" for arn in bucket_arns for prefix in prefixes)


def _whole_tier(prefixes: list[str]) -> bool:
    return "" in prefixes


def _kms_via_s3(
    sid: str, actions: list[str], data_key_arn: str, bucket_arns: list[str], region: str, effect: str = "Allow"
) -> Statement:
    """KMS use only as S3 decrypts/encrypts objects of the named buckets (bucket keys put the bucket
    ARN in the encryption context; without them it is the object ARN)."""
    contexts = sorted([*bucket_arns, *(f"{arn}/*" for arn in bucket_arns)])
    return {
        "Sid": sid,
        "Effect": effect,
        "Action": sorted(actions),
        "Resource": data_key_arn,
        "Condition": {
            "StringEquals": {"kms:ViaService": s3_via_service(region)},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": contexts},
        },
    }


def collaborator_access_policy(
    collaborator: Collaborator, bucket_arns: list[str], data_key_arn: str, region: str
) -> Document:
    """The inline grant: list, read (optionally only objects of the named sequencing runs) and, for
    read-write, upload into exactly the collaborator's tiers and prefixes. No delete, no bucket
    configuration, no wildcard actions."""
    if not bucket_arns:
        raise ValueError(f"collaborator {collaborator.name!r} has no buckets to grant")
    buckets = sorted(bucket_arns)
    prefixes = sorted(set(collaborator.prefixes)) if not _whole_tier(collaborator.prefixes) else [""]
    objects = _object_resources(buckets, prefixes)
    listing: Statement = {"Sid": "ListAllowedPrefixes", "Effect": "Allow", "Action": list(LIST_ACTIONS)}
    listing["Resource"] = buckets
    if collaborator.run_tags:
        # ListBucket cannot be scoped by object tag, so a run-scoped grant lists only the runs' own folders
        # (<prefix><run ID>/): the keys of runs not shared with it stay out of its listings
        runs = sorted(collaborator.run_tags)
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{p}{run}/*" for p in prefixes for run in runs]}}
    elif not _whole_tier(prefixes):
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}
    statements: list[Statement] = [listing]
    if collaborator.run_tags:
        statements.append(run_tag_read_statement(buckets, collaborator.run_tags, prefixes))
    else:
        statements.append(
            {"Sid": "ReadObjects", "Effect": "Allow", "Action": list(READ_OBJECT_ACTIONS), "Resource": objects}
        )
    kms_actions = ["kms:Decrypt"]
    if collaborator.access == "read-write":
        kms_actions.append("kms:GenerateDataKey")
        statements += _write_statements(collaborator, objects)
    statements.append(_kms_via_s3("UseDataKeyThroughS3", kms_actions, data_key_arn, buckets, region))
    return document(statements)


def _write_statements(collaborator: Collaborator, objects: list[str]) -> list[Statement]:
    """Uploads. With run tags, every upload must carry one of the collaborator's runs and retagging
    is limited to their own runs, so a writer cannot relabel another run's object to read it."""
    if not collaborator.run_tags:
        return [{"Sid": "WriteObjects", "Effect": "Allow", "Action": list(WRITE_OBJECT_ACTIONS), "Resource": objects}]
    runs = sorted(collaborator.run_tags)
    request_tag = f"s3:RequestObjectTag/{RUN_TAG_KEY}"
    existing_tag = f"s3:ExistingObjectTag/{RUN_TAG_KEY}"
    return [
        {
            "Sid": "WriteObjectsOfSequencingRuns",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": objects,
            "Condition": {"StringEquals": {request_tag: runs}},
        },
        {
            "Sid": "RetagObjectsWithinSequencingRuns",
            "Effect": "Allow",
            "Action": ["s3:PutObjectTagging"],
            "Resource": objects,
            "Condition": {"StringEquals": {existing_tag: runs, request_tag: runs}},
        },
        {"Sid": "AbortOwnUploads", "Effect": "Allow", "Action": ["s3:AbortMultipartUpload"], "Resource": objects},
    ]


def collaborator_boundary_policy(
    collaborator: Collaborator, bucket_arns: list[str], data_key_arn: str, region: str
) -> Document:
    """The permissions boundary: whatever is later attached to the role, it can never exceed object
    read (and write, for read-write) and listing on its tier buckets, and the data key through S3."""
    buckets = sorted(bucket_arns)
    object_actions = list(READ_OBJECT_ACTIONS)
    kms_actions = ["kms:Decrypt"]
    if collaborator.access == "read-write":
        object_actions += WRITE_OBJECT_ACTIONS
        kms_actions.append("kms:GenerateDataKey")
    return document(
        [
            {"Sid": "BoundaryList", "Effect": "Allow", "Action": list(LIST_ACTIONS), "Resource": buckets},
            {
                "Sid": "BoundaryObjects",
                "Effect": "Allow",
                "Action": sorted(object_actions),
                "Resource": [f"{arn}/*" for arn in buckets],
            },
            _kms_via_s3("BoundaryDataKeyThroughS3", kms_actions, data_key_arn, buckets, region),
        ]
    )


# ---- operators --------------------------------------------------------------------------------


def operator_trust_policy(principal_arns: list[str], account_id: str, partition: str) -> Document:
    """People in this account only (the listed principals, or the account root so IAM policies
    decide), always with a recent MFA sign-in."""
    principals = sorted(principal_arns) or [f"arn:{partition}:iam::{account_id}:root"]
    conditions: dict[str, dict[str, str]] = {"StringEquals": {"aws:PrincipalAccount": account_id}}
    conditions.update(_mfa_conditions())
    return document(
        [
            {
                "Sid": "OperatorsInThisAccountWithMfa",
                "Effect": "Allow",
                "Principal": {"AWS": _principal_list(principals)},
                "Action": "sts:AssumeRole",
                "Condition": conditions,
            }
        ]
    )


def admin_guardrail_policy(
    audit_bucket_arns: list[str],
    log_key_arn: str,
    data_key_arn: str,
    protected_role_arns: list[str],
    data_bucket_arns: list[str] = (),
) -> Document:
    """Explicit denies that hold over any allow: the administrator cannot blind the audit trail or any other
    part of the audit plane (Config, GuardDuty, Security Hub, Inspector, Access Analyzer, flow logs, log
    groups, metric filters, alarms and their topic), destroy or rewrite the audit and access-log buckets,
    disable the keys, edit any role of the stack (its trust included, so it cannot make a job or collaborator
    role its own), or read or decrypt genomic data. What it is denied here, break-glass does."""
    statements: list[Statement] = [
        {"Sid": "DenyTrailTampering", "Effect": "Deny", "Action": list(TRAIL_TAMPER_ACTIONS), "Resource": "*"},
        {
            "Sid": "DenyAuditPlaneTampering",
            "Effect": "Deny",
            "Action": list(AUDIT_PLANE_TAMPER_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "DenyAuditBucketTampering",
            "Effect": "Deny",
            "Action": list(AUDIT_BUCKET_TAMPER_ACTIONS),
            "Resource": sorted(arn for bucket in audit_bucket_arns for arn in (bucket, f"{bucket}/*")),
        },
        {
            "Sid": "DenyKeyDestruction",
            "Effect": "Deny",
            "Action": list(KEY_TAMPER_ACTIONS),
            "Resource": sorted([log_key_arn, data_key_arn]),
        },
        {
            "Sid": "DenyOperatorRoleChanges",
            "Effect": "Deny",
            "Action": list(OPERATOR_ROLE_TAMPER_ACTIONS),
            "Resource": sorted(protected_role_arns),
        },
    ]
    if data_bucket_arns:
        statements += [
            {
                "Sid": "DenyGenomicDataReads",
                "Effect": "Deny",
                "Action": list(DATA_READ_ACTIONS),
                "Resource": sorted(f"{bucket}/*" for bucket in data_bucket_arns),
            },
            {"Sid": "DenyGenomicDataDecryption", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": data_key_arn},
        ]
    return document(statements)


def auditor_policy(
    audit_bucket_arn: str,
    log_key_arn: str,
    data_key_arn: str,
    data_bucket_arns: list[str],
    *,
    region: str,
    account_id: str,
    partition: str,
) -> Document:
    """Read the audit evidence (audit bucket, trails, this account's log groups); never the genomic
    data: explicit denies on data objects and the data key hold even if a broader policy is attached."""
    log_groups = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
    data_objects = sorted(f"{arn}/*" for arn in data_bucket_arns)
    statements: list[Statement] = [
        {"Sid": "ListAuditBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": audit_bucket_arn},
        {
            "Sid": "ReadAuditObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"{audit_bucket_arn}/*",
        },
        _kms_via_s3("DecryptAuditLogsThroughS3", ["kms:Decrypt"], log_key_arn, [audit_bucket_arn], region),
        {
            # These read APIs have no resource-level permissions; they only read audit metadata.
            "Sid": "ListTrails",
            "Effect": "Allow",
            "Action": ["cloudtrail:DescribeTrails", "cloudtrail:ListTrails", "cloudtrail:LookupEvents"],
            "Resource": "*",
        },
        {
            "Sid": "ReadTrails",
            "Effect": "Allow",
            "Action": [
                "cloudtrail:GetEventSelectors",
                "cloudtrail:GetInsightSelectors",
                "cloudtrail:GetTrail",
                "cloudtrail:GetTrailStatus",
            ],
            "Resource": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*",
        },
        {
            "Sid": "ReadLogGroups",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:StartQuery"],
            "Resource": log_groups,
        },
        {
            # Listing groups and fetching query results have no resource-level permissions.
            "Sid": "ListLogGroupsAndQueries",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogGroups", "logs:DescribeQueries", "logs:GetQueryResults", "logs:StopQuery"],
            "Resource": "*",
        },
        {
            "Sid": "DenyDataDecryption",
            "Effect": "Deny",
            "Action": ["kms:Decrypt"],
            "Resource": data_key_arn,
        },
    ]
    if data_objects:
        statements.append(
            {
                "Sid": "DenyReadingGenomicData",
                "Effect": "Deny",
                "Action": list(DATA_READ_ACTIONS),
                "Resource": data_objects,
            }
        )
    return document(statements)
