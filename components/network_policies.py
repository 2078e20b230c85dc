"""Policy documents for the network: VPC endpoint policies, the flow-log role, the endpoint-only bucket guard.

Pure functions over settings and plain-string ARNs, so the component, the tests and the offline
policy rules share one definition of "only this landing zone's buckets" and "only through the VPC".
"""

from __future__ import annotations

from typing import Any

from components.data_lake import LOG_TIER
from components.naming import bucket_name
from components.policy_document import Statement, document
from components.settings import TIERS, Settings

AUDIT_TIER = "audit"
"""Suffix of the audit bucket's name (naming.bucket_name(settings, stack, AUDIT_TIER))."""

FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"


def landing_zone_bucket_names(settings: Settings, stack: str) -> list[str]:
    """Every bucket this landing zone creates: the data tiers, the access-log bucket, the audit bucket."""
    return [bucket_name(settings, stack, tier) for tier in (*TIERS, LOG_TIER, AUDIT_TIER)]


def aws_owned_bucket_object_arns(settings: Settings) -> list[str]:
    """S3 buckets owned by AWS that workloads in private subnets must reach through the S3 gateway endpoint."""
    partition, region = settings.partition, settings.region
    return [
        # ECR stores image layers in this AWS-owned bucket; `docker pull` from ECR downloads layers
        # from it through presigned URLs, so without it Batch jobs cannot start their containers.
        f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*",
        # Amazon Linux 2023 package repositories (dnf) used by the ECS-optimized AL2023 AMI for
        # security patches; the bucket name carries a per-region suffix, hence the wildcard.
        f"arn:{partition}:s3:::al2023-repos-{region}-*/*",
        # Amazon Linux 2 package repositories (yum), for AL2-based images and AMIs.
        f"arn:{partition}:s3:::amazonlinux-2-repos-{region}/*",
        *ssm_agent_bucket_object_arns(settings),
    ]


def ssm_agent_bucket_object_arns(settings: Settings) -> list[str]:
    """The AWS-managed buckets SSM Agent reads through a VPC endpoint: its own updates and SSM documents
    (aws-ssm-, amazon-ssm-), and Distributor packages (document attachments and the distribution
    service), which is how Amazon Inspector installs its scanning plugin on the Batch hosts."""
    partition, region = settings.partition, settings.region
    # Systems Manager User Guide, "SSM Agent communications with AWS managed S3 buckets". Distributor's
    # bucket is aws-ssm-distributor-file-<region> in af-south-1 and eu-south-1, which settings do not
    # support yet; add that case with those regions.
    distribution = f"{region}-birdwatcher-prod"
    return [
        f"arn:{partition}:s3:::aws-ssm-{region}/*",
        f"arn:{partition}:s3:::amazon-ssm-{region}/*",
        f"arn:{partition}:s3:::aws-ssm-document-attachments-{region}/*",
        f"arn:{partition}:s3:::{distribution}/*",
    ]


POLICY_SERVICES: tuple[str, ...] = ("kms", "sts", "logs", "monitoring", "ecr.api", "ecr.dkr", "ec2", "batch", "ecs")
"""Interface endpoint services documented to take a VPC endpoint policy (the PrivateLink guide's former "supports
endpoint policies" table; AWS Batch and Amazon ECS user guides, "VPC endpoint policy"). A custom policy on a
service that supports only full access fails CreateVpcEndpoint ("only supports the full-access endpoint policy"),
so ecs-agent, ecs-telemetry, ssm, ssmmessages and ec2messages, undocumented, keep AWS's full-access policy;
`aws ec2 describe-vpc-endpoint-services` (VpcEndpointPolicySupported) tells for a region."""


def interface_endpoint_policy(settings: Settings) -> dict[str, Any]:
    """Through the landing zone's interface endpoints, only principals of this account, and AWS services acting
    on their own: stolen credentials of another account cannot use the VPC's private path to AWS APIs (data
    exfiltration to another account's KMS key, log group or queue). aws:PrincipalAccount takes exact values only
    (PrivateLink guide, "Control access to VPC endpoints using endpoint policies")."""
    return document(
        [
            {
                "Sid": "OnlyThisAccountsPrincipals",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": settings.account_id}},
            },
            {
                "Sid": "AwsServicesOnTheirOwn",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}},
            },
        ]
    )


def s3_endpoint_policy(settings: Settings, stack: str) -> dict[str, Any]:
    """The S3 gateway endpoint reaches this landing zone's buckets (for principals of this account)
    and read-only the AWS-owned package and image-layer buckets; nothing else, so a compromised job
    cannot copy genomic data to a bucket someone else owns."""
    partition = settings.partition
    own = [f"arn:{partition}:s3:::{name}" for name in landing_zone_bucket_names(settings, stack)]
    return document(
        [
            {
                "Sid": "LandingZoneBucketsOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": sorted(own + [f"{arn}/*" for arn in own]),
                "Condition": {"StringEquals": {"aws:PrincipalAccount": settings.account_id}},
            },
            {
                # Presigned layer URLs and the public repositories are not signed by this account's
                # principals, so this statement cannot carry the aws:PrincipalAccount condition; it
                # is read-only and names exact AWS-owned buckets instead.
                "Sid": "AwsOwnedPackageAndImageLayerBuckets",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": aws_owned_bucket_object_arns(settings),
            },
            *(
                [
                    {
                        # The Registry of Open Data buckets the settings name: objects read, by exact bucket name;
                        # a gateway endpoint reaches buckets of its own region only
                        "Sid": "RegistryOfOpenDataReadOnly",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:GetObject",
                        "Resource": open_data_object_arns(settings),
                    }
                ]
                if settings.open_data_buckets
                else []
            ),
        ]
    )


def open_data_object_arns(settings: Settings) -> list[str]:
    return [f"arn:{settings.partition}:s3:::{name}/*" for name in settings.open_data_buckets]


def dynamodb_endpoint_policy(settings: Settings) -> dict[str, Any]:
    """The DynamoDB gateway endpoint reaches only tables in this account and region."""
    return document(
        [
            {
                "Sid": "ThisAccountTablesOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "dynamodb:*",
                "Resource": f"arn:{settings.partition}:dynamodb:{settings.region}:{settings.account_id}:table/*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": settings.account_id}},
            }
        ]
    )


def flow_log_trust_policy(settings: Settings) -> dict[str, Any]:
    """Only the VPC Flow Logs service, acting for this account's flow logs, may assume the role
    (the confused-deputy guard AWS documents for vpc-flow-logs)."""
    partition, region, account = settings.partition, settings.region, settings.account_id
    return document(
        [
            {
                "Sid": "VpcFlowLogsOnly",
                "Effect": "Allow",
                "Principal": {"Service": FLOW_LOGS_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account}:vpc-flow-log/*"},
                },
            }
        ]
    )


def flow_log_role_policy(log_group_arn: str) -> dict[str, Any]:
    """Write flow-log records into the one flow-log group, nothing else.

    The VPC Flow Logs guide ("IAM role for publishing flow logs to CloudWatch Logs",
    https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html) lists CreateLogGroup,
    CreateLogStream, PutLogEvents, DescribeLogGroups and DescribeLogStreams; without all of them delivery
    fails while the deployment succeeds. DescribeLogGroups has no resource type in the Service Authorization
    Reference (a List action), so it takes "*"; every write stays on the one group.
    """
    group = log_group_arn.removesuffix(":*")
    return document(
        [
            {
                "Sid": "WriteFlowLogGroupOnly",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [group, f"{group}:*"],
            },
            {"Sid": "FindLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        ]
    )


def service_linked_roles(bucket_arn: str) -> str:
    """The ARN pattern of this account's service-linked roles (IAM keeps them under /aws-service-role/)."""
    partition = bucket_arn.split(":")[1]
    return f"arn:{partition}:iam::{{account}}:role/aws-service-role/*"


def vpc_endpoint_only_statement(
    bucket_arn: str, vpce_id: str, exempt_principal_arns: list[str], account_id: str | None = None
) -> Statement:
    """Deny every S3 request on a bucket that does not arrive through the VPC endpoint ``vpce_id``.

    With ``account_id``, this account's service-linked roles are exempt too: AWS Config and IAM Access
    Analyzer read bucket policies and settings through them from outside any VPC, and
    aws:PrincipalIsAWSService is false for a service-linked role's requests. AWS's data-perimeter examples
    exempt them the same way (aws-samples/data-perimeter-policy-examples, resource_based_policies:
    ArnNotLikeIfExists aws:PrincipalArn arn:aws:iam::*:role/aws-service-role/*); only AWS services
    create roles under that path and their trust names only the service.

    Exempt: the named principals (give at least the role that runs `pulumi up` and the admin role,
    because ``s3:*`` includes bucket-management actions such as s3:PutBucketPolicy, and
    cross-account collaborator roles, whose requests never traverse this VPC) and AWS services
    acting on their own (S3 log delivery) or on a principal's behalf (e.g. KMS, Athena).
    """
    if not bucket_arn.startswith("arn:") or bucket_arn.endswith("/*"):
        raise ValueError(f"bucket_arn must be a bucket ARN like arn:aws:s3:::name, got {bucket_arn!r}")
    if not vpce_id.startswith("vpce-"):
        raise ValueError(f"vpce_id must be a VPC endpoint ID like vpce-0123456789abcdef0, got {vpce_id!r}")
    # ArnNotLike treats * and ? as wildcards: a pattern would exempt every principal it matches, including
    # ones created later (another bucket's malware-scan role, a job role), so only full ARNs are accepted.
    wildcard = [arn for arn in exempt_principal_arns if "*" in arn or "?" in arn or not arn.startswith("arn:")]
    if wildcard:
        raise ValueError(
            f"exempt_principal_arns must be full principal ARNs; {wildcard} would exempt more than named principals"
        )
    condition: dict[str, Any] = {
        "StringNotEquals": {"aws:SourceVpce": vpce_id},
        "Bool": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
    }
    exempt = sorted(set(exempt_principal_arns))
    if account_id:
        exempt.append(service_linked_roles(bucket_arn).format(account=account_id))
    if exempt:
        # With no exempt principals the key is left out rather than given an empty list, whose
        # meaning in a negated condition operator is easy to get wrong.
        condition["ArnNotLike"] = {"aws:PrincipalArn": exempt}
    return {
        "Sid": "DenyAccessOutsideVpcEndpoint",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": condition,
    }
