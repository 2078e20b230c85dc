"""What `pulumi up`, `pulumi refresh` and `pulumi destroy` call, per resource type the components create.

pulumi-aws v7 is the Terraform AWS provider v6 underneath: each resource's create, read, update and delete
call the service APIs listed here (the provider's resource code, e.g. `internal/service/s3/bucket.go`), and
each API call is authorized as the IAM action the Service Authorization Reference names for it (the catalog
in policies/access/catalog.py checks every name). Read-only calls of one service are listed once per service
in SERVICE_READS, so the table below holds the writes.

Beyond an API's own action, some calls are authorized twice (cited where the table uses them):
- ``passes_role``: the call hands a role to a service, which IAM authorizes as ``iam:PassRole`` on that role
  (IAM User Guide, "Grant a user permissions to pass a role to an AWS service"); AWS Batch names it for the
  compute environment's instance role and the job definition's job and execution roles (AWS Batch User
  Guide, "IAM policy examples"), VPC Flow Logs for the delivery role (Amazon VPC User Guide, "IAM roles for
  publishing flow logs to CloudWatch Logs"), GuardDuty for the Malware Protection plan's role, CloudTrail for
  the CloudWatch Logs role, IAM's AddRoleToInstanceProfile for the role it adds.
- ``service_linked``: the first use of a service in an account creates its service-linked role, which IAM
  authorizes as ``iam:CreateServiceLinkedRole`` for that service name (IAM User Guide, "Service-linked role
  permissions").
- EFS mount targets create a network interface in the caller's name (Amazon EFS API Reference,
  CreateMountTarget: "also requires permissions for ... ec2:CreateNetworkInterface").
- Interface endpoints with private DNS associate the VPC with an AWS-owned private hosted zone
  (``route53:AssociateVPCWithHostedZone``, AWS PrivateLink Guide, "Identity and access management").
"""

from __future__ import annotations

from dataclasses import dataclass

from components.run_workflow import LOG_DELIVERY_ACTIONS


@dataclass(frozen=True)
class Needs:
    """The write actions one resource type's lifecycle calls, and what they hand to services."""

    actions: tuple[str, ...]
    passes_role: bool = False
    service_linked: tuple[str, ...] = ()


EC2_TAGS = ("ec2:CreateTags", "ec2:DeleteTags")
SG_RULES = (
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:ModifySecurityGroupRules",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    *EC2_TAGS,
)
IAM_ROLE_READS = ("iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole")
S3_BUCKET_TAGS = ("s3:PutBucketTagging",)

ACL_ENTRIES = (
    "ec2:CreateNetworkAclEntry",
    "ec2:DeleteNetworkAclEntry",
    "ec2:ReplaceNetworkAclEntry",
    "ec2:ReplaceNetworkAclAssociation",
    *EC2_TAGS,
)

TYPE_NEEDS: dict[str, Needs] = {
    "aws:accessanalyzer/analyzer:Analyzer": Needs(
        (
            "access-analyzer:CreateAnalyzer",
            "access-analyzer:UpdateAnalyzer",
            "access-analyzer:DeleteAnalyzer",
            "access-analyzer:TagResource",
            "access-analyzer:UntagResource",
        ),
        service_linked=("access-analyzer.amazonaws.com",),
    ),
    # Terraform's aws_account_alternate_contact: Put on create and update, Delete on destroy
    "aws:account/alternativeContact:AlternativeContact": Needs(
        ("account:PutAlternateContact", "account:DeleteAlternateContact")
    ),
    # region settings: Enable sets the state, Disable on destroy
    "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess": Needs(
        ("ec2:EnableSnapshotBlockPublicAccess", "ec2:DisableSnapshotBlockPublicAccess")
    ),
    "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess": Needs(
        ("ec2:EnableImageBlockPublicAccess", "ec2:DisableImageBlockPublicAccess")
    ),
    "aws:batch/computeEnvironment:ComputeEnvironment": Needs(
        (
            "batch:CreateComputeEnvironment",
            "batch:UpdateComputeEnvironment",
            "batch:DeleteComputeEnvironment",
            "batch:TagResource",
            "batch:UntagResource",
        ),
        passes_role=True,
        service_linked=("batch.amazonaws.com",),
    ),
    "aws:batch/jobDefinition:JobDefinition": Needs(
        ("batch:RegisterJobDefinition", "batch:DeregisterJobDefinition", "batch:TagResource", "batch:UntagResource"),
        passes_role=True,
    ),
    "aws:batch/jobQueue:JobQueue": Needs(
        (
            "batch:CreateJobQueue",
            "batch:UpdateJobQueue",
            "batch:DeleteJobQueue",
            "batch:TagResource",
            "batch:UntagResource",
        )
    ),
    "aws:cfg/conformancePack:ConformancePack": Needs(
        # The pack's rules are created by AWS Config's conformance-pack service-linked role, not the caller.
        ("config:PutConformancePack", "config:DeleteConformancePack"),
        service_linked=("config-conforms.amazonaws.com",),
    ),
    "aws:cfg/deliveryChannel:DeliveryChannel": Needs(("config:PutDeliveryChannel", "config:DeleteDeliveryChannel")),
    "aws:cfg/recorder:Recorder": Needs(
        ("config:PutConfigurationRecorder", "config:DeleteConfigurationRecorder"),
        passes_role=True,
        service_linked=("config.amazonaws.com",),
    ),
    "aws:cfg/recorderStatus:RecorderStatus": Needs(
        ("config:StartConfigurationRecorder", "config:StopConfigurationRecorder")
    ),
    "aws:cloudtrail/trail:Trail": Needs(
        (
            "cloudtrail:CreateTrail",
            "cloudtrail:UpdateTrail",
            "cloudtrail:DeleteTrail",
            "cloudtrail:StartLogging",
            "cloudtrail:StopLogging",
            "cloudtrail:PutEventSelectors",
            "cloudtrail:PutInsightSelectors",
            "cloudtrail:AddTags",
            "cloudtrail:RemoveTags",
        ),
        passes_role=True,
    ),
    "aws:cloudwatch/logGroup:LogGroup": Needs(
        (
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:AssociateKmsKey",
            "logs:DisassociateKmsKey",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:TagLogGroup",
            "logs:UntagLogGroup",
        )
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": Needs(("logs:PutMetricFilter", "logs:DeleteMetricFilter")),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": Needs(
        ("logs:PutResourcePolicy", "logs:DeleteResourcePolicy")
    ),
    "aws:cloudwatch/eventRule:EventRule": Needs(
        (
            "events:PutRule",
            "events:DeleteRule",
            "events:EnableRule",
            "events:DisableRule",
            "events:TagResource",
            "events:UntagResource",
        )
    ),
    "aws:cloudwatch/eventTarget:EventTarget": Needs(("events:PutTargets", "events:RemoveTargets"), passes_role=True),
    "aws:dynamodb/table:Table": Needs(
        (
            "dynamodb:CreateTable",
            "dynamodb:DeleteTable",
            "dynamodb:UpdateTable",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
        )
    ),
    "aws:sfn/stateMachine:StateMachine": Needs(
        (
            "states:CreateStateMachine",
            "states:UpdateStateMachine",
            "states:DeleteStateMachine",
            "states:TagResource",
            "states:UntagResource",
            # log delivery to the execution log group is set up in the caller's name
            *LOG_DELIVERY_ACTIONS,
        ),
        passes_role=True,
    ),
    "aws:s3/bucketNotification:BucketNotification": Needs(("s3:PutBucketNotification",)),
    # IAM Roles Anywhere (Service Authorization Reference, "AWS Identity and Access Management Roles Anywhere"):
    # the first trust anchor creates the service-linked role AWSServiceRoleForRolesAnywhere; CreateProfile passes
    # the instrument roles to rolesanywhere.amazonaws.com
    "aws:rolesanywhere/trustAnchor:TrustAnchor": Needs(
        (
            "rolesanywhere:CreateTrustAnchor",
            "rolesanywhere:UpdateTrustAnchor",
            "rolesanywhere:DeleteTrustAnchor",
            "rolesanywhere:EnableTrustAnchor",
            "rolesanywhere:DisableTrustAnchor",
            "rolesanywhere:TagResource",
            "rolesanywhere:UntagResource",
        ),
        service_linked=("rolesanywhere.amazonaws.com",),
    ),
    "aws:rolesanywhere/profile:Profile": Needs(
        (
            "rolesanywhere:CreateProfile",
            "rolesanywhere:UpdateProfile",
            "rolesanywhere:DeleteProfile",
            "rolesanywhere:EnableProfile",
            "rolesanywhere:DisableProfile",
            "rolesanywhere:TagResource",
            "rolesanywhere:UntagResource",
        ),
        passes_role=True,
    ),
    # Cloud Control creates the CRL (AWS::RolesAnywhere::CRL) in the caller's name: its own calls (prefix
    # cloudformation) and the type's handler permissions (the type's registry schema: ImportCrl ... DeleteCrl)
    "aws:cloudcontrol/resource:Resource": Needs(
        (
            "cloudformation:CreateResource",
            "cloudformation:UpdateResource",
            "cloudformation:DeleteResource",
            "cloudformation:GetResourceRequestStatus",
            "rolesanywhere:ImportCrl",
            "rolesanywhere:UpdateCrl",
            "rolesanywhere:EnableCrl",
            "rolesanywhere:DisableCrl",
            "rolesanywhere:DeleteCrl",
            "rolesanywhere:TagResource",
            "rolesanywhere:UntagResource",
        )
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Needs(
        ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource")
    ),
    "aws:ebs/defaultKmsKey:DefaultKmsKey": Needs(("ec2:ModifyEbsDefaultKmsKeyId", "ec2:ResetEbsDefaultKmsKeyId")),
    "aws:ebs/encryptionByDefault:EncryptionByDefault": Needs(
        ("ec2:EnableEbsEncryptionByDefault", "ec2:DisableEbsEncryptionByDefault")
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Needs(SG_RULES),
    # the default ACL's rules are replaced (entries deleted and created), its subnets re-associated on destroy
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": Needs(ACL_ENTRIES),
    "aws:ec2/networkAcl:NetworkAcl": Needs(("ec2:CreateNetworkAcl", "ec2:DeleteNetworkAcl", *ACL_ENTRIES)),
    "aws:ec2/eip:Eip": Needs(("ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DisassociateAddress", *EC2_TAGS)),
    "aws:ec2/flowLog:FlowLog": Needs(("ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", *EC2_TAGS), passes_role=True),
    "aws:ec2/internetGateway:InternetGateway": Needs(
        (
            "ec2:CreateInternetGateway",
            "ec2:DeleteInternetGateway",
            "ec2:AttachInternetGateway",
            "ec2:DetachInternetGateway",
            *EC2_TAGS,
        )
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": Needs(
        (
            "ec2:CreateLaunchTemplate",
            "ec2:CreateLaunchTemplateVersion",
            "ec2:ModifyLaunchTemplate",
            "ec2:DeleteLaunchTemplate",
            "ec2:DeleteLaunchTemplateVersions",
            *EC2_TAGS,
        )
    ),
    "aws:ec2/natGateway:NatGateway": Needs(("ec2:CreateNatGateway", "ec2:DeleteNatGateway", *EC2_TAGS)),
    "aws:ec2/placementGroup:PlacementGroup": Needs(("ec2:CreatePlacementGroup", "ec2:DeletePlacementGroup", *EC2_TAGS)),
    "aws:ec2/route:Route": Needs(("ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute")),
    # the lab's private path (components/onprem)
    "aws:ec2/vpnGateway:VpnGateway": Needs(
        ("ec2:CreateVpnGateway", "ec2:AttachVpnGateway", "ec2:DetachVpnGateway", "ec2:DeleteVpnGateway", *EC2_TAGS)
    ),
    "aws:ec2/customerGateway:CustomerGateway": Needs(
        ("ec2:CreateCustomerGateway", "ec2:DeleteCustomerGateway", *EC2_TAGS)
    ),
    "aws:ec2/vpnConnection:VpnConnection": Needs(
        (
            "ec2:CreateVpnConnection",
            "ec2:ModifyVpnConnection",
            "ec2:ModifyVpnConnectionOptions",
            "ec2:ModifyVpnTunnelOptions",
            "ec2:DeleteVpnConnection",
            *EC2_TAGS,
            # tunnel logs are vended logs, set up in the caller's name (CloudWatch Logs User Guide, "Enable
            # logging from AWS services")
            *LOG_DELIVERY_ACTIONS,
        )
    ),
    "aws:ec2/vpnConnectionRoute:VpnConnectionRoute": Needs(
        ("ec2:CreateVpnConnectionRoute", "ec2:DeleteVpnConnectionRoute")
    ),
    "aws:route53/resolverEndpoint:ResolverEndpoint": Needs(
        (
            "route53resolver:CreateResolverEndpoint",
            "route53resolver:UpdateResolverEndpoint",
            "route53resolver:DeleteResolverEndpoint",
            "route53resolver:AssociateResolverEndpointIpAddress",
            "route53resolver:DisassociateResolverEndpointIpAddress",
            "route53resolver:TagResource",
            "route53resolver:UntagResource",
            # the endpoint's network interfaces are created in the caller's name (Route 53 Developer Guide,
            # "Required permissions for Resolver")
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:CreateNetworkInterfacePermission",
        )
    ),
    "aws:ec2/routeTable:RouteTable": Needs(
        ("ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:DeleteRoute", *EC2_TAGS)
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Needs(
        ("ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation")
    ),
    "aws:ec2/securityGroup:SecurityGroup": Needs(("ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", *SG_RULES)),
    "aws:ec2/subnet:Subnet": Needs(("ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", *EC2_TAGS)),
    "aws:ec2/vpc:Vpc": Needs(("ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", *EC2_TAGS)),
    "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": Needs(("ec2:CreateDhcpOptions", "ec2:DeleteDhcpOptions", *EC2_TAGS)),
    # deleting the association re-associates the region's default option set
    "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation": Needs(("ec2:AssociateDhcpOptions",)),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Needs(
        (
            "ec2:CreateVpcEndpoint",
            "ec2:ModifyVpcEndpoint",
            "ec2:DeleteVpcEndpoints",
            "route53:AssociateVPCWithHostedZone",
            *EC2_TAGS,
        )
    ),
    "aws:efs/accessPoint:AccessPoint": Needs(
        (
            "elasticfilesystem:CreateAccessPoint",
            "elasticfilesystem:DeleteAccessPoint",
            "elasticfilesystem:TagResource",
            "elasticfilesystem:UntagResource",
        )
    ),
    "aws:efs/backupPolicy:BackupPolicy": Needs(("elasticfilesystem:PutBackupPolicy",)),
    "aws:efs/fileSystem:FileSystem": Needs(
        (
            "elasticfilesystem:CreateFileSystem",
            "elasticfilesystem:UpdateFileSystem",
            "elasticfilesystem:DeleteFileSystem",
            "elasticfilesystem:PutLifecycleConfiguration",
            "elasticfilesystem:TagResource",
            "elasticfilesystem:UntagResource",
        ),
        service_linked=("elasticfilesystem.amazonaws.com",),
    ),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": Needs(
        ("elasticfilesystem:PutFileSystemPolicy", "elasticfilesystem:DeleteFileSystemPolicy")
    ),
    "aws:efs/mountTarget:MountTarget": Needs(
        (
            "elasticfilesystem:CreateMountTarget",
            "elasticfilesystem:DeleteMountTarget",
            "elasticfilesystem:ModifyMountTargetSecurityGroups",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
        )
    ),
    "aws:guardduty/detector:Detector": Needs(
        (
            "guardduty:CreateDetector",
            "guardduty:UpdateDetector",
            "guardduty:DeleteDetector",
            "guardduty:TagResource",
            "guardduty:UntagResource",
        ),
        service_linked=("guardduty.amazonaws.com",),
    ),
    # EBS_MALWARE_PROTECTION scans through its own service-linked role (AmazonGuardDutyFullAccess names both).
    "aws:guardduty/detectorFeature:DetectorFeature": Needs(
        ("guardduty:UpdateDetector",), service_linked=("malware-protection.guardduty.amazonaws.com",)
    ),
    "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan": Needs(
        (
            "guardduty:CreateMalwareProtectionPlan",
            "guardduty:UpdateMalwareProtectionPlan",
            "guardduty:DeleteMalwareProtectionPlan",
            "guardduty:TagResource",
            "guardduty:UntagResource",
        ),
        passes_role=True,
    ),
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": Needs(
        ("iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy")
    ),
    "aws:iam/instanceProfile:InstanceProfile": Needs(
        (
            "iam:CreateInstanceProfile",
            "iam:DeleteInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:TagInstanceProfile",
            "iam:UntagInstanceProfile",
        ),
        passes_role=True,
    ),
    "aws:iam/policy:Policy": Needs(
        (
            "iam:CreatePolicy",
            "iam:DeletePolicy",
            "iam:CreatePolicyVersion",
            "iam:DeletePolicyVersion",
            "iam:TagPolicy",
            "iam:UntagPolicy",
        )
    ),
    "aws:iam/role:Role": Needs(
        (
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:DeleteRolePermissionsBoundary",
            "iam:TagRole",
            "iam:UntagRole",
        )
    ),
    "aws:iam/rolePolicy:RolePolicy": Needs(("iam:PutRolePolicy", "iam:DeleteRolePolicy")),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Needs(("iam:AttachRolePolicy", "iam:DetachRolePolicy")),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": Needs(
        ("iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:UpdateRoleDescription")
    ),
    "aws:inspector2/enabler:Enabler": Needs(
        ("inspector2:Enable", "inspector2:Disable"),
        service_linked=("inspector2.amazonaws.com", "agentless.inspector2.amazonaws.com"),
    ),
    "aws:kms/alias:Alias": Needs(("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias")),
    # AWS Backup (Service Authorization Reference, "AWS Backup"): CreateBackupVault also needs
    # backup-storage:MountCapsule, and AWS Backup uses the vault's key in the caller's name (AWS re:Post, "Why do I
    # get an Access Denied error when I try to create an AWS Backup vault?"): the key statement of the deployer
    # policy allows that through AWS Backup only (deployer_policy.SERVICE_KEYS)
    "aws:backup/vault:Vault": Needs(
        (
            "backup:CreateBackupVault",
            "backup:DeleteBackupVault",
            "backup-storage:MountCapsule",
            "backup:TagResource",
            "backup:UntagResource",
        )
    ),
    "aws:backup/vaultPolicy:VaultPolicy": Needs(
        ("backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy")
    ),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": Needs(
        ("backup:PutBackupVaultLockConfiguration", "backup:DeleteBackupVaultLockConfiguration")
    ),
    "aws:backup/plan:Plan": Needs(
        (
            "backup:CreateBackupPlan",
            "backup:UpdateBackupPlan",
            "backup:DeleteBackupPlan",
            "backup:TagResource",
            "backup:UntagResource",
        )
    ),
    # CreateBackupSelection passes the backup role to AWS Backup
    "aws:backup/selection:Selection": Needs(
        ("backup:CreateBackupSelection", "backup:DeleteBackupSelection"), passes_role=True
    ),
    # AWS Backup creates the restore testing service-linked role with the first plan (components/restore_tests)
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": Needs(
        (
            "backup:CreateRestoreTestingPlan",
            "backup:UpdateRestoreTestingPlan",
            "backup:DeleteRestoreTestingPlan",
            "backup:TagResource",
            "backup:UntagResource",
        ),
        service_linked=("restore-testing.backup.amazonaws.com",),
    ),
    # CreateRestoreTestingSelection passes the restore test role to AWS Backup
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": Needs(
        (
            "backup:CreateRestoreTestingSelection",
            "backup:UpdateRestoreTestingSelection",
            "backup:DeleteRestoreTestingSelection",
        ),
        passes_role=True,
    ),
    "aws:kms/key:Key": Needs(
        (
            "kms:CreateKey",
            "kms:PutKeyPolicy",
            "kms:EnableKeyRotation",
            "kms:UpdateKeyDescription",
            "kms:TagResource",
            "kms:UntagResource",
        )
    ),
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": Needs(("s3:PutAccountPublicAccessBlock",)),
    "aws:s3/bucket:Bucket": Needs(
        (
            "s3:CreateBucket",
            "s3:DeleteBucket",
            # Object Lock is turned on at creation (CreateBucket with x-amz-bucket-object-lock-enabled).
            "s3:PutBucketObjectLockConfiguration",
            "s3:PutBucketVersioning",
            *S3_BUCKET_TAGS,
        )
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Needs(("s3:PutLifecycleConfiguration",)),
    "aws:s3/bucketLogging:BucketLogging": Needs(("s3:PutBucketLogging",)),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": Needs(
        ("s3:PutBucketObjectLockConfiguration",)
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Needs(("s3:PutBucketOwnershipControls",)),
    "aws:s3/bucketPolicy:BucketPolicy": Needs(("s3:PutBucketPolicy", "s3:DeleteBucketPolicy")),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Needs(("s3:PutBucketPublicAccessBlock",)),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Needs(
        ("s3:PutEncryptionConfiguration",)
    ),
    "aws:s3/bucketVersioning:BucketVersioning": Needs(("s3:PutBucketVersioning",)),
    "aws:securityhub/account:Account": Needs(
        (
            "securityhub:EnableSecurityHub",
            "securityhub:DisableSecurityHub",
            "securityhub:UpdateSecurityHubConfiguration",
            "securityhub:TagResource",
            "securityhub:UntagResource",
        ),
        service_linked=("securityhub.amazonaws.com",),
    ),
    "aws:securityhub/standardsSubscription:StandardsSubscription": Needs(
        ("securityhub:BatchEnableStandards", "securityhub:BatchDisableStandards")
    ),
    "aws:sns/topic:Topic": Needs(
        ("sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource")
    ),
    "aws:sns/topicPolicy:TopicPolicy": Needs(("sns:SetTopicAttributes",)),
    "aws:sns/topicSubscription:TopicSubscription": Needs(
        ("sns:Subscribe", "sns:Unsubscribe", "sns:SetSubscriptionAttributes")
    ),
    "aws:ssm/document:Document": Needs(
        (
            "ssm:CreateDocument",
            "ssm:UpdateDocument",
            "ssm:UpdateDocumentDefaultVersion",
            "ssm:DeleteDocument",
            "ssm:AddTagsToResource",
            "ssm:RemoveTagsFromResource",
        )
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Needs(SG_RULES),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Needs(SG_RULES),
}

# The reads refresh and every update call, per service the stack touches: what each resource's Terraform read
# function calls. Wildcards only where every action they match is configuration metadata (the policy's own
# check refuses any pattern that matches a DATA_ACTIONS entry).
SERVICE_READS: dict[str, tuple[str, ...]] = {
    "backup": (
        "backup:DescribeBackupVault",
        "backup:GetBackupVaultAccessPolicy",
        "backup:GetBackupPlan",
        "backup:GetBackupSelection",
        # the provider reads a restore testing plan and selection back after each create and on refresh
        # (terraform-provider-aws, internal/service/backup/restore_testing_plan.go, restore_testing_selection.go)
        "backup:GetRestoreTestingPlan",
        "backup:GetRestoreTestingSelection",
        "backup:ListTags",
    ),
    "access-analyzer": (
        "access-analyzer:GetAnalyzer",
        "access-analyzer:ListAnalyzers",
        "access-analyzer:ListTagsForResource",
    ),
    "account": ("account:GetAlternateContact",),
    "batch": (
        "batch:DescribeComputeEnvironments",
        "batch:DescribeJobDefinitions",
        "batch:DescribeJobQueues",
        "batch:ListTagsForResource",
    ),
    "cloudtrail": (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrail",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetInsightSelectors",
        "cloudtrail:ListTags",
    ),
    "cloudwatch": ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
    "config": (
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
        "config:DescribeConformancePacks",
        "config:DescribeConformancePackStatus",
    ),
    "ec2": (
        "ec2:Describe*",
        "ec2:GetEbsDefaultKmsKeyId",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:GetImageBlockPublicAccessState",
        "ec2:GetSnapshotBlockPublicAccessState",
    ),
    "elasticfilesystem": ("elasticfilesystem:Describe*", "elasticfilesystem:ListTagsForResource"),
    "guardduty": (
        "guardduty:GetDetector",
        "guardduty:ListDetectors",
        "guardduty:GetMalwareProtectionPlan",
        "guardduty:ListMalwareProtectionPlans",
        "guardduty:ListTagsForResource",
    ),
    "iam": (
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetInstanceProfile",
        "iam:GetAccountPasswordPolicy",
        "iam:GetServiceLinkedRoleDeletionStatus",
        "iam:ListPolicyVersions",
        "iam:ListRoleTags",
        "iam:ListPolicyTags",
        "iam:ListInstanceProfileTags",
        "iam:ListEntitiesForPolicy",
        *IAM_ROLE_READS,
    ),
    "inspector2": ("inspector2:BatchGetAccountStatus",),
    "kms": (
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
        "kms:ListAliases",
    ),
    "dynamodb": (
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:DescribeTimeToLive",
        "dynamodb:ListTagsOfResource",
    ),
    "events": ("events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource"),
    "states": ("states:DescribeStateMachine", "states:ListTagsForResource"),
    "rolesanywhere": (
        "rolesanywhere:GetTrustAnchor",
        "rolesanywhere:GetProfile",
        "rolesanywhere:GetCrl",
        "rolesanywhere:ListTagsForResource",
    ),
    "cloudformation": ("cloudformation:GetResource",),
    "route53resolver": (
        "route53resolver:GetResolverEndpoint",
        "route53resolver:ListResolverEndpointIpAddresses",
        "route53resolver:ListTagsForResource",
    ),
    "logs": (
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        "logs:DescribeMetricFilters",
        "logs:ListTagsForResource",
        "logs:ListTagsLogGroup",
    ),
    "route53": (),
    "s3": (
        "s3:GetBucket*",
        "s3:GetAccelerateConfiguration",
        "s3:GetEncryptionConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetAccountPublicAccessBlock",
        "s3:ListBucket",  # HeadBucket (Amazon S3 API Reference: "you must have the s3:ListBucket permission")
    ),
    "securityhub": (
        "securityhub:DescribeHub",
        "securityhub:GetEnabledStandards",
        "securityhub:DescribeStandards",
        "securityhub:ListTagsForResource",
    ),
    "sns": (
        "sns:GetTopicAttributes",
        "sns:GetSubscriptionAttributes",
        "sns:ListTagsForResource",
        "sns:ListSubscriptionsByTopic",
    ),
    "ssm": ("ssm:DescribeDocument", "ssm:GetDocument", "ssm:DescribeDocumentPermission", "ssm:ListTagsForResource"),
}

# What the deployer must never be able to do, whatever the stack holds: read or change genomic data and
# audit records, use the stack's keys, or reach into people's identities and hosts. Every Allow of the
# generated policy is checked against these, its last statements deny them, and `glz audit` reports a
# deployer role allowed any of them.
OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:RestoreObject",
)
KEY_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:CreateGrant",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
)
ELSEWHERE_ACTIONS = (
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:StartLiveTail",
    "ssm:StartSession",
    "ssm:SendCommand",
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientWrite",
    "elasticfilesystem:ClientRootAccess",
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
)
DATA_ACTIONS = (*OBJECT_ACTIONS, *KEY_USE_ACTIONS, *ELSEWHERE_ACTIONS)
