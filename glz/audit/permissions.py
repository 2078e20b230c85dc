"""The IAM action behind every API call the audit makes, for docs/audit-permissions.json and its test.

Most actions are `<service prefix>:<Operation>`, but not all (S3 especially), so the table is explicit:
a call the audit starts making without an entry here fails the permissions test.
"""

from __future__ import annotations

# (botocore service name, API operation name) -> IAM action
IAM_ACTIONS: dict[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("backup", "DescribeBackupVault"): "backup:DescribeBackupVault",
    ("backup", "GetBackupVaultAccessPolicy"): "backup:GetBackupVaultAccessPolicy",
    ("backup", "GetBackupPlan"): "backup:GetBackupPlan",
    ("backup", "ListBackupSelections"): "backup:ListBackupSelections",
    ("backup", "GetBackupSelection"): "backup:GetBackupSelection",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketVersioning"): "s3:GetBucketVersioning",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketPolicy"): "s3:GetBucketPolicy",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetBucketLogging"): "s3:GetBucketLogging",
    ("s3", "GetBucketOwnershipControls"): "s3:GetBucketOwnershipControls",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("kms", "DescribeKey"): "kms:DescribeKey",
    ("kms", "GetKeyRotationStatus"): "kms:GetKeyRotationStatus",
    ("kms", "ListAliases"): "kms:ListAliases",
    ("kms", "GetKeyPolicy"): "kms:GetKeyPolicy",
    ("cloudtrail", "GetTrail"): "cloudtrail:GetTrail",
    ("cloudtrail", "GetTrailStatus"): "cloudtrail:GetTrailStatus",
    ("cloudtrail", "GetEventSelectors"): "cloudtrail:GetEventSelectors",
    ("cloudtrail", "GetInsightSelectors"): "cloudtrail:GetInsightSelectors",
    ("ec2", "GetSnapshotBlockPublicAccessState"): "ec2:GetSnapshotBlockPublicAccessState",
    ("ec2", "DescribeNetworkAcls"): "ec2:DescribeNetworkAcls",
    ("ec2", "GetImageBlockPublicAccessState"): "ec2:GetImageBlockPublicAccessState",
    ("account", "GetAlternateContact"): "account:GetAlternateContact",
    ("logs", "DescribeLogGroups"): "logs:DescribeLogGroups",
    ("logs", "DescribeMetricFilters"): "logs:DescribeMetricFilters",
    ("cloudwatch", "DescribeAlarms"): "cloudwatch:DescribeAlarms",
    ("cloudwatch", "DescribeAlarmHistory"): "cloudwatch:DescribeAlarmHistory",
    ("config", "BatchGetResourceConfig"): "config:BatchGetResourceConfig",
    ("accessanalyzer", "GetAnalyzedResource"): "access-analyzer:GetAnalyzedResource",
    ("sns", "GetTopicAttributes"): "sns:GetTopicAttributes",
    ("ec2", "DescribeVpcs"): "ec2:DescribeVpcs",
    ("ec2", "DescribeDhcpOptions"): "ec2:DescribeDhcpOptions",
    ("events", "DescribeRule"): "events:DescribeRule",
    ("stepfunctions", "DescribeStateMachine"): "states:DescribeStateMachine",
    ("rolesanywhere", "GetTrustAnchor"): "rolesanywhere:GetTrustAnchor",
    ("ec2", "DescribeVpnConnections"): "ec2:DescribeVpnConnections",
    ("rolesanywhere", "ListCrls"): "rolesanywhere:ListCrls",
    ("rolesanywhere", "GetProfile"): "rolesanywhere:GetProfile",
    ("dynamodb", "DescribeTable"): "dynamodb:DescribeTable",
    ("dynamodb", "DescribeContinuousBackups"): "dynamodb:DescribeContinuousBackups",
    ("events", "ListTargetsByRule"): "events:ListTargetsByRule",
    ("ec2", "DescribeInternetGateways"): "ec2:DescribeInternetGateways",
    ("ec2", "DescribeNatGateways"): "ec2:DescribeNatGateways",
    ("ec2", "DescribeFlowLogs"): "ec2:DescribeFlowLogs",
    ("ec2", "DescribeVpcEndpoints"): "ec2:DescribeVpcEndpoints",
    ("ec2", "DescribeSecurityGroups"): "ec2:DescribeSecurityGroups",
    ("ec2", "DescribeSecurityGroupRules"): "ec2:DescribeSecurityGroupRules",
    ("ec2", "GetEbsEncryptionByDefault"): "ec2:GetEbsEncryptionByDefault",
    ("ec2", "GetEbsDefaultKmsKeyId"): "ec2:GetEbsDefaultKmsKeyId",
    ("ec2", "DescribeLaunchTemplateVersions"): "ec2:DescribeLaunchTemplateVersions",
    ("config", "DescribeConfigurationRecorders"): "config:DescribeConfigurationRecorders",
    ("config", "DescribeConfigurationRecorderStatus"): "config:DescribeConfigurationRecorderStatus",
    ("config", "DescribeDeliveryChannels"): "config:DescribeDeliveryChannels",
    ("guardduty", "ListDetectors"): "guardduty:ListDetectors",
    ("guardduty", "GetDetector"): "guardduty:GetDetector",
    ("guardduty", "ListMalwareProtectionPlans"): "guardduty:ListMalwareProtectionPlans",
    ("guardduty", "GetMalwareProtectionPlan"): "guardduty:GetMalwareProtectionPlan",
    ("securityhub", "DescribeHub"): "securityhub:DescribeHub",
    ("securityhub", "GetEnabledStandards"): "securityhub:GetEnabledStandards",
    ("accessanalyzer", "ListAnalyzers"): "access-analyzer:ListAnalyzers",
    ("inspector2", "BatchGetAccountStatus"): "inspector2:BatchGetAccountStatus",
    ("iam", "GetAccountPasswordPolicy"): "iam:GetAccountPasswordPolicy",
    ("iam", "GetRole"): "iam:GetRole",
    ("iam", "ListRolePolicies"): "iam:ListRolePolicies",
    ("iam", "GetRolePolicy"): "iam:GetRolePolicy",
    ("iam", "ListAttachedRolePolicies"): "iam:ListAttachedRolePolicies",
    ("iam", "GetPolicy"): "iam:GetPolicy",
    ("iam", "GetPolicyVersion"): "iam:GetPolicyVersion",
    ("batch", "DescribeComputeEnvironments"): "batch:DescribeComputeEnvironments",
    ("batch", "DescribeJobDefinitions"): "batch:DescribeJobDefinitions",
    ("efs", "DescribeFileSystems"): "elasticfilesystem:DescribeFileSystems",
    ("efs", "DescribeBackupPolicy"): "elasticfilesystem:DescribeBackupPolicy",
    ("ssm", "GetDocument"): "ssm:GetDocument",
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action an API call needs; KeyError names the call when the table lacks it."""
    try:
        return IAM_ACTIONS[(service, operation)]
    except KeyError:
        raise KeyError(f"no IAM action recorded for {service}:{operation}; add it to IAM_ACTIONS") from None
