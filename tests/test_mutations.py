"""Mutation suite: each single-property weakening of the demo stack makes the right rule fail.

This is what proves the gate keeps the components' promises: remove one guard and the gate says
which rule broke, on which resource.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from glz.gate import run_rules
from glz.state import StackState
from policies.rules import ALL_RULES
from tests.mutations import apply, drop_condition, drop_statement, edit_json, edit_secret_json, remove, set_input

B = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
KEY = "aws:kms/key:Key"
TRAIL = "aws:cloudtrail/trail:Trail"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
CE = "aws:batch/computeEnvironment:ComputeEnvironment"
JOB = "aws:batch/jobDefinition:JobDefinition"
INSPECTOR = "aws:inspector2/enabler:Enabler"
MALWARE_PLAN = "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"


@dataclass(frozen=True)
class Mutation:
    name: str
    change: object
    rule: str


def _add_vcf_expiry(document):
    resource = next(
        r
        for r in document["deployment"]["resources"]
        if r["type"] == LIFECYCLE and r["urn"].endswith("data-variants-lifecycle")
    )
    for section in ("inputs", "outputs"):
        resource[section]["rules"].append(
            {"id": "expire-vcf", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": 365}}
        )


LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


def _job_container(**changes):
    def mutate(document):
        import json

        for resource in document["deployment"]["resources"]:
            if resource["type"] == "aws:batch/jobDefinition:JobDefinition" and resource["urn"].endswith("alignment"):
                for section in ("inputs", "outputs"):
                    container = json.loads(resource[section]["containerProperties"])
                    container.update(changes)
                    resource[section]["containerProperties"] = json.dumps(container)

    return mutate


def _job_image(image):
    return _job_container(image=image)


def _public_grant(document):
    edit_json(
        POLICY,
        "data-results-policy",
        "policy",
        lambda d: d["Statement"].append(
            {
                "Sid": "Oops",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "*",
            }
        ),
    )(document)


def _wildcard_key_principal(document):
    edit_json(
        KEY,
        "keys-data",
        "policy",
        lambda d: d["Statement"].append(
            {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
        ),
    )(document)


ACCOUNT = "111122223333"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _statement(typ, name, key, sid, change):
    """Change the statement ``sid`` of a JSON policy property in place."""

    def edit(document):
        (statement,) = [s for s in document["Statement"] if s.get("Sid") == sid]
        change(statement)

    return edit_json(typ, name, key, edit)


def _condition(operator, key, value):
    """Set Condition[operator][key] of a statement."""
    return lambda statement: statement["Condition"].setdefault(operator, {}).update({key: value})


def _rename_operator(old, new):
    return lambda statement: statement["Condition"].update({new: statement["Condition"].pop(old)})


def _replace_exemption(old, new):
    def change(statement):
        exempt = statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
        statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = [new if a == old else a for a in exempt]
        assert old in exempt, f"{old} is not exempt"

    return change


def _scan_role(tier):
    return f"arn:aws:iam::{ACCOUNT}:role/glz-demo-malware-scan-{tier}"


def _add_actions(*actions):
    return lambda statement: statement.update(Action=[*statement["Action"], *actions])


def _add_resources(*resources):
    return lambda statement: statement.update(Resource=[*statement["Resource"], *resources])


MUTATIONS = [
    Mutation("key rotation off", set_input(KEY, "keys-data", ["enableKeyRotation"], False), "GLZ-KMS-001"),
    Mutation("rotation period 2 years", set_input(KEY, "keys-logs", ["rotationPeriodInDays"], 730), "GLZ-KMS-001"),
    Mutation("deletion window 7 days", set_input(KEY, "keys-compute", ["deletionWindowInDays"], 7), "GLZ-KMS-002"),
    Mutation("key policy Principal *", _wildcard_key_principal, "GLZ-KMS-003"),
    Mutation("asymmetric key", set_input(KEY, "keys-data", ["customerMasterKeySpec"], "RSA_2048"), "GLZ-KMS-004"),
    Mutation(
        "SSE to AES256",
        set_input(
            SSE, "data-fastq-encryption", ["rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm"], "AES256"
        ),
        "GLZ-S3-001",
    ),
    Mutation("SSE config removed", remove(SSE, "data-alignments-encryption"), "GLZ-S3-001"),
    Mutation(
        "SSE-KMS with AWS-managed key",
        set_input(
            SSE, "data-variants-encryption", ["rules", 0, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"], None
        ),
        "GLZ-S3-001",
    ),
    Mutation(
        "bucket keys off", set_input(SSE, "data-bcl-encryption", ["rules", 0, "bucketKeyEnabled"], False), "GLZ-S3-001"
    ),
    Mutation(
        "versioning suspended",
        set_input(VERSIONING, "data-variants-versioning", ["versioningConfiguration", "status"], "Suspended"),
        "GLZ-S3-002",
    ),
    Mutation("versioning removed", remove(VERSIONING, "data-results-versioning"), "GLZ-S3-002"),
    Mutation("blockPublicAcls off", set_input(PAB, "data-bcl-public", ["blockPublicAcls"], False), "GLZ-S3-003"),
    Mutation("blockPublicPolicy off", set_input(PAB, "data-fastq-public", ["blockPublicPolicy"], False), "GLZ-S3-003"),
    Mutation(
        "ignorePublicAcls off", set_input(PAB, "data-alignments-public", ["ignorePublicAcls"], False), "GLZ-S3-003"
    ),
    Mutation(
        "restrictPublicBuckets off",
        set_input(PAB, "data-variants-public", ["restrictPublicBuckets"], False),
        "GLZ-S3-003",
    ),
    Mutation("public access block removed", remove(PAB, "data-reference-public"), "GLZ-S3-003"),
    Mutation(
        "ACLs re-enabled",
        set_input(OWNERSHIP, "data-results-ownership", ["rule", "objectOwnership"], "ObjectWriter"),
        "GLZ-S3-004",
    ),
    Mutation(
        "TLS deny removed",
        edit_json(POLICY, "data-variants-policy", "policy", drop_statement("DenyInsecureTransport")),
        "GLZ-S3-005",
    ),
    Mutation("bucket policy removed", remove(POLICY, "data-fastq-policy"), "GLZ-S3-005"),
    Mutation(
        "non-KMS upload allowed",
        edit_json(POLICY, "data-bcl-policy", "policy", drop_statement("DenyNonKmsEncryption")),
        "GLZ-S3-006",
    ),
    Mutation(
        "other KMS key allowed",
        edit_json(POLICY, "data-bcl-policy", "policy", drop_statement("DenyOtherKmsKeys")),
        "GLZ-S3-006",
    ),
    Mutation("public grant in bucket policy", _public_grant, "GLZ-S3-007"),
    Mutation("access logging removed", remove(LOGGING, "data-variants-logging"), "GLZ-S3-008"),
    Mutation("lifecycle removed", remove(LIFECYCLE, "data-results-lifecycle"), "GLZ-S3-009"),
    Mutation("VCF expiry rule added", _add_vcf_expiry, "GLZ-S3-010"),
    Mutation(
        "endpoint-only deny removed",
        edit_json(POLICY, "data-alignments-policy", "policy", drop_statement("DenyAccessOutsideVpcEndpoint")),
        "GLZ-S3-012",
    ),
    Mutation("trail single-region", set_input(TRAIL, "audit", ["isMultiRegionTrail"], False), "GLZ-LOG-001"),
    Mutation("trail removed", remove(TRAIL, "audit"), "GLZ-LOG-001"),
    Mutation("log file validation off", set_input(TRAIL, "audit", ["enableLogFileValidation"], False), "GLZ-LOG-002"),
    Mutation("trail without KMS", set_input(TRAIL, "audit", ["kmsKeyId"], None), "GLZ-LOG-003"),
    Mutation("data events dropped", set_input(TRAIL, "audit", ["advancedEventSelectors"], []), "GLZ-LOG-004"),
    Mutation("log group unencrypted", set_input(LOG_GROUP, "network-flow-logs", ["kmsKeyId"], None), "GLZ-LOG-005"),
    Mutation("audit log retention 1 year", set_input(LOG_GROUP, "audit-logs", ["retentionInDays"], 365), "GLZ-LOG-005"),
    Mutation(
        "Object Lock retention 1 year",
        set_input(LOCK, "audit-bucket-object-lock", ["rule", "defaultRetention", "days"], 365),
        "GLZ-LOG-006",
    ),
    Mutation("alarm metric filters removed", remove("aws:cloudwatch/logMetricFilter:LogMetricFilter"), "GLZ-LOG-007"),
    Mutation(
        "failed console sign-in filter removed",
        remove("aws:cloudwatch/logMetricFilter:LogMetricFilter", "console-authentication-failures"),
        "GLZ-LOG-007",
    ),
    Mutation(
        "alarm topic unencrypted",
        set_input("aws:sns/topic:Topic", "audit-alarms", ["kmsMasterKeyId"], None),
        "GLZ-LOG-008",
    ),
    Mutation("flow log removed", remove("aws:ec2/flowLog:FlowLog"), "GLZ-NET-001"),
    Mutation(
        "flow log accepted-only",
        set_input("aws:ec2/flowLog:FlowLog", "network-flow-log", ["trafficType"], "ACCEPT"),
        "GLZ-NET-001",
    ),
    Mutation(
        "default SG allows ingress",
        set_input(
            DEFAULT_SG,
            "network-default-sg",
            ["ingress"],
            [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
        ),
        "GLZ-NET-002",
    ),
    Mutation(
        "ingress 0.0.0.0/0",
        set_input(
            SG,
            "compute-sg",
            ["ingress"],
            [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}],
        ),
        "GLZ-NET-003",
    ),
    Mutation(
        "subnet maps public IPs",
        set_input("aws:ec2/subnet:Subnet", "network-private-us-east-1a", ["mapPublicIpOnLaunch"], True),
        "GLZ-NET-004",
    ),
    Mutation("S3 endpoint policy open", set_input(ENDPOINT, "network-s3-gateway", ["policy"], None), "GLZ-NET-005"),
    Mutation("KMS interface endpoint removed", remove(ENDPOINT, "network-kms"), "GLZ-NET-006"),
    Mutation("private DNS off", set_input(ENDPOINT, "network-sts", ["privateDnsEnabled"], False), "GLZ-NET-006"),
    Mutation(
        "ExternalId condition removed",
        edit_secret_json(ROLE, "collaborators-broad-variant-lab", "assumeRolePolicy", drop_condition("sts:ExternalId")),
        "GLZ-IAM-002",
    ),
    Mutation(
        "MFA condition removed",
        edit_secret_json(
            ROLE, "collaborators-broad-variant-lab", "assumeRolePolicy", drop_condition("aws:MultiFactorAuthPresent")
        ),
        "GLZ-IAM-003",
    ),
    Mutation(
        "wildcard principal in trust",
        edit_secret_json(
            ROLE,
            "collaborators-broad-variant-lab",
            "assumeRolePolicy",
            lambda d: d["Statement"][0].update(Principal={"AWS": "*"}),
        ),
        "GLZ-IAM-001",
    ),
    Mutation(
        "trust widened to a second account",
        edit_secret_json(
            ROLE,
            "collaborators-broad-variant-lab",
            "assumeRolePolicy",
            lambda d: d["Statement"][0].update(
                Principal={"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::999999999999:root"]}
            ),
        ),
        "GLZ-IAM-004",
    ),
    Mutation(
        "Action * in a role policy",
        edit_json(
            ROLE_POLICY,
            "compute-job-alignment-policy",
            "policy",
            lambda d: d["Statement"].append({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        ),
        "GLZ-IAM-005",
    ),
    Mutation(
        "s3 on Resource *",
        edit_json(
            ROLE_POLICY,
            "collaborators-broad-variant-lab-data-access",
            "policy",
            lambda d: d["Statement"].append({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        ),
        "GLZ-IAM-006",
    ),
    Mutation(
        "permissions boundary removed",
        set_input(ROLE, "collaborators-broad-variant-lab", ["permissionsBoundary"], None),
        "GLZ-IAM-007",
    ),
    Mutation(
        "IMDSv1 allowed",
        set_input(LT, "compute-launch-template", ["metadataOptions", "httpTokens"], "optional"),
        "GLZ-CMP-001",
    ),
    Mutation(
        "unencrypted EBS",
        set_input(LT, "compute-launch-template", ["blockDeviceMappings", 1, "ebs", "encrypted"], "false"),
        "GLZ-CMP-002",
    ),
    Mutation(
        "public IP on instances",
        set_input(LT, "compute-launch-template", ["networkInterfaces"], [{"associatePublicIpAddress": "true"}]),
        "GLZ-CMP-003",
    ),
    Mutation(
        "compute env on AL2",
        set_input(CE, "compute-spot", ["computeResources", "ec2Configurations", 0, "imageType"], "ECS_AL2"),
        "GLZ-CMP-004",
    ),
    Mutation(
        "FPGA on F1",
        set_input(CE, "compute-fpga", ["computeResources", "instanceTypes"], ["f1.2xlarge"]),
        "GLZ-CMP-005",
    ),
    Mutation("image from Docker Hub", _job_image("docker.io/broadinstitute/gatk:latest"), "GLZ-CMP-006"),
    Mutation("privileged container", _job_container(privileged=True), "GLZ-CMP-007"),
    Mutation(
        "EFS unencrypted",
        set_input("aws:efs/fileSystem:FileSystem", "compute-reference", ["encrypted"], False),
        "GLZ-CMP-008",
    ),
    Mutation(
        "password length 8",
        set_input(
            "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
            "security-password-policy",
            ["minimumPasswordLength"],
            8,
        ),
        "GLZ-ACC-001",
    ),
    Mutation(
        "Config without global types",
        set_input(
            "aws:cfg/recorder:Recorder",
            "security-config-recorder",
            ["recordingGroup", "includeGlobalResourceTypes"],
            False,
        ),
        "GLZ-ACC-002",
    ),
    Mutation("GuardDuty removed", remove("aws:guardduty/detector:Detector"), "GLZ-ACC-003"),
    Mutation("Security Hub removed", remove("aws:securityhub/account:Account"), "GLZ-ACC-004"),
    Mutation("Access Analyzer removed", remove("aws:accessanalyzer/analyzer:Analyzer"), "GLZ-ACC-005"),
    Mutation(
        "EBS default encryption off",
        set_input("aws:ebs/encryptionByDefault:EncryptionByDefault", "security-ebs", ["enabled"], False),
        "GLZ-ACC-006",
    ),
    Mutation(
        "account public access block off",
        set_input(
            "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "security-s3", ["blockPublicPolicy"], False
        ),
        "GLZ-ACC-007",
    ),
    Mutation("conformance pack removed", remove("aws:cfg/conformancePack:ConformancePack"), "GLZ-ACC-008"),
    Mutation(
        "conformance pack emptied",
        set_input("aws:cfg/conformancePack:ConformancePack", "security", ["templateBody"], "Resources: {}\n"),
        "GLZ-ACC-008",
    ),
    Mutation("Inspector removed", remove(INSPECTOR), "GLZ-ACC-009"),
    Mutation(
        "Inspector without ECR",
        set_input(INSPECTOR, "security-inspector", ["resourceTypes"], ["EC2"]),
        "GLZ-ACC-009",
    ),
    Mutation(
        "Inspector enabled for another account",
        set_input(INSPECTOR, "security-inspector", ["accountIds"], ["999999999999"]),
        "GLZ-ACC-009",
    ),
    Mutation(
        "malware protection plan removed from the fastq bucket",
        remove(MALWARE_PLAN, "malware-scan-fastq"),
        "GLZ-ACC-010",
    ),
    Mutation(
        "malware scan tagging disabled",
        set_input(MALWARE_PLAN, "malware-scan-bcl", ["actions", 0, "taggings", 0, "status"], "DISABLED"),
        "GLZ-ACC-010",
    ),
    Mutation(
        "malware scan narrowed to a prefix",
        set_input(
            MALWARE_PLAN, "malware-scan-reference", ["protectedResource", "s3Bucket", "objectPrefixes"], ["incoming/"]
        ),
        "GLZ-ACC-010",
    ),
    Mutation(
        "scan role trust without aws:SourceArn",
        edit_json(ROLE, "malware-scan-fastq", "assumeRolePolicy", drop_condition("aws:SourceArn")),
        "GLZ-ACC-010",
    ),
    Mutation(
        "scan role trust without aws:SourceAccount",
        edit_json(ROLE, "malware-scan-bcl", "assumeRolePolicy", drop_condition("aws:SourceAccount")),
        "GLZ-ACC-010",
    ),
    Mutation(
        "scan role trusts plans of any account",
        _statement(
            ROLE,
            "malware-scan-reference",
            "assumeRolePolicy",
            "GuardDutyMalwareProtectionPlansOnly",
            _condition("ArnLike", "aws:SourceArn", "arn:aws:guardduty:*:*:malware-protection-plan/*"),
        ),
        "GLZ-ACC-010",
    ),
    Mutation(
        "scan role trusted by EC2",
        _statement(
            ROLE,
            "malware-scan-results",
            "assumeRolePolicy",
            "GuardDutyMalwareProtectionPlansOnly",
            lambda s: s.update(Principal={"Service": "ec2.amazonaws.com"}),
        ),
        "GLZ-ACC-010",
    ),
    Mutation(
        "scan role reads every object (Resource *)",
        _statement(
            ROLE_POLICY, "malware-scan-bcl-policy", "policy", "AllowMalwareScan", lambda s: s.update(Resource="*")
        ),
        "GLZ-ACC-010",
    ),
    Mutation(
        "scan role tags objects of every bucket",
        _statement(
            ROLE_POLICY,
            "malware-scan-fastq-policy",
            "policy",
            "AllowPostScanTag",
            lambda s: s.update(Resource="arn:aws:s3:::*/*"),
        ),
        "GLZ-ACC-010",
    ),
    Mutation(
        "scan role uses any KMS key",
        _statement(
            ROLE_POLICY,
            "malware-scan-reference-policy",
            "policy",
            "AllowDecryptForMalwareScan",
            lambda s: s.update(Resource="*"),
        ),
        "GLZ-ACC-010",
    ),
    Mutation(
        "scan role may delete objects",
        _statement(
            ROLE_POLICY, "malware-scan-results-policy", "policy", "AllowMalwareScan", _add_actions("s3:DeleteObject")
        ),
        "GLZ-ACC-010",
    ),
    Mutation(
        "fastq scan role exempt from the endpoint deny on the variants bucket",
        _statement(
            POLICY,
            "data-variants-policy",
            "policy",
            "DenyAccessOutsideVpcEndpoint",
            lambda s: s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(_scan_role("fastq")),
        ),
        "GLZ-ACC-010",
    ),
    Mutation(
        "endpoint deny exempts every malware-scan role by pattern",
        _statement(
            POLICY,
            "data-fastq-policy",
            "policy",
            "DenyAccessOutsideVpcEndpoint",
            _replace_exemption(_scan_role("fastq"), f"arn:aws:iam::{ACCOUNT}:role/glz-demo-malware-scan-*"),
        ),
        "GLZ-S3-012",
    ),
    Mutation(
        "reads of THREATS_FOUND objects allowed",
        edit_json(POLICY, "data-fastq-policy", "policy", drop_statement("DenyReadingObjectsWithThreats")),
        "GLZ-ACC-011",
    ),
    Mutation(
        "anyone may set the scan-status tag",
        edit_json(POLICY, "data-bcl-policy", "policy", drop_statement("DenyScanStatusTagFromAnyoneButGuardDuty")),
        "GLZ-ACC-011",
    ),
    Mutation(
        "anyone may strip the scan-status tag",
        edit_json(POLICY, "data-reference-policy", "policy", drop_statement("DenyRetaggingScannedObjects")),
        "GLZ-ACC-011",
    ),
    Mutation(
        "tag-setting deny with ForAllValues (a second tag slips through)",
        _statement(
            POLICY,
            "data-results-policy",
            "policy",
            "DenyScanStatusTagFromAnyoneButGuardDuty",
            _rename_operator("ForAnyValue:StringEqualsIgnoreCase", "ForAllValues:StringEqualsIgnoreCase"),
        ),
        "GLZ-ACC-011",
    ),
    Mutation(
        "tag-setting deny compares the key case-sensitively",
        _statement(
            POLICY,
            "data-fastq-policy",
            "policy",
            "DenyScanStatusTagFromAnyoneButGuardDuty",
            _rename_operator("ForAnyValue:StringEqualsIgnoreCase", "ForAnyValue:StringEquals"),
        ),
        "GLZ-ACC-011",
    ),
    Mutation(
        "tag-setting deny exempts the admin role",
        _statement(
            POLICY,
            "data-bcl-policy",
            "policy",
            "DenyScanStatusTagFromAnyoneButGuardDuty",
            lambda s: s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(
                f"arn:aws:iam::{ACCOUNT}:role/glz-demo-admin"
            ),
        ),
        "GLZ-ACC-011",
    ),
    Mutation(
        "THREATS_FOUND read deny exempts every role",
        _statement(
            POLICY,
            "data-fastq-policy",
            "policy",
            "DenyReadingObjectsWithThreats",
            _replace_exemption(f"arn:aws:iam::{ACCOUNT}:role/glz-demo-break-glass", f"arn:aws:iam::{ACCOUNT}:role/*"),
        ),
        "GLZ-ACC-011",
    ),
    Mutation(
        "THREATS_FOUND read deny misses object versions",
        _statement(
            POLICY,
            "data-bcl-policy",
            "policy",
            "DenyReadingObjectsWithThreats",
            lambda s: s.update(Action=["s3:GetObject"]),
        ),
        "GLZ-ACC-011",
    ),
    Mutation(
        "retag deny exempts a collaborator",
        _statement(
            POLICY,
            "data-results-policy",
            "policy",
            "DenyRetaggingScannedObjects",
            lambda s: s["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(
                f"arn:aws:iam::{ACCOUNT}:role/glz-demo-collab-pharmaco-analytics"
            ),
        ),
        "GLZ-ACC-011",
    ),
    Mutation(
        "S3 endpoint lets anyone write to the AWS-owned buckets",
        _statement(
            ENDPOINT,
            "network-s3-gateway",
            "policy",
            "AwsOwnedPackageAndImageLayerBuckets",
            lambda s: s.update(Action=["s3:GetObject", "s3:PutObject"]),
        ),
        "GLZ-NET-005",
    ),
    Mutation(
        "S3 endpoint reads objects of every bucket",
        _statement(
            ENDPOINT,
            "network-s3-gateway",
            "policy",
            "AwsOwnedPackageAndImageLayerBuckets",
            _add_resources("arn:aws:s3:::*/*"),
        ),
        "GLZ-NET-005",
    ),
    Mutation(
        "S3 endpoint names SSM buckets by pattern",
        _statement(
            ENDPOINT,
            "network-s3-gateway",
            "policy",
            "AwsOwnedPackageAndImageLayerBuckets",
            _add_resources("arn:aws:s3:::aws-ssm-*/*"),
        ),
        "GLZ-NET-005",
    ),
    Mutation(
        "S3 endpoint names the AL2023 repositories of every region",
        _statement(
            ENDPOINT,
            "network-s3-gateway",
            "policy",
            "AwsOwnedPackageAndImageLayerBuckets",
            _add_resources("arn:aws:s3:::al2023-repos-*/*"),
        ),
        "GLZ-NET-005",
    ),
    Mutation(
        "S3 endpoint allows s3:* on a bucket outside the landing zone",
        _statement(
            ENDPOINT,
            "network-s3-gateway",
            "policy",
            "LandingZoneBucketsOnly",
            _add_resources("arn:aws:s3:::exfil-drop-bucket", "arn:aws:s3:::exfil-drop-bucket/*"),
        ),
        "GLZ-NET-005",
    ),
    Mutation("network gateway filter removed", remove(FILTER, "network-gateway-changes"), "GLZ-LOG-007"),
    Mutation("Organizations filter removed", remove(FILTER, "organizations-changes"), "GLZ-LOG-007"),
    Mutation("Organizations alarm removed", remove(ALARM, "organizations-changes"), "GLZ-LOG-007"),
    Mutation("console sign-in failure alarm removed", remove(ALARM, "console-authentication-failures"), "GLZ-LOG-007"),
]


@pytest.fixture(scope="module")
def baseline(demo_state_document):
    result = run_rules(StackState(demo_state_document), ALL_RULES, [], today=dt.date(2026, 11, 23))
    assert result.failed_rule_ids() == set(), "the demo stack must be clean before mutating it"
    return demo_state_document


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_weakening_fails_the_right_rule(baseline, mutation):
    weakened = apply(baseline, mutation.change)
    result = run_rules(StackState(weakened), ALL_RULES, [], today=dt.date(2026, 11, 23))
    assert mutation.rule in result.failed_rule_ids(), (
        f"{mutation.name}: expected {mutation.rule}, got {result.failed_rule_ids()}"
    )
    assert not result.passed or mutation.rule in {r.id for r in ALL_RULES if r.enforcement == "advisory"}


def test_suite_is_large_enough():
    assert len(MUTATIONS) >= 40, f"only {len(MUTATIONS)} mutations; the issue asks for at least 40"


def test_kill_rate_is_100_percent_and_every_killer_names_a_requirement(baseline, capsys):
    """All mutations in one pass: print the kill rate; any survivor fails the suite."""
    from policies.rules import RULES_BY_ID

    survivors = []
    for mutation in MUTATIONS:
        result = run_rules(StackState(apply(baseline, mutation.change)), ALL_RULES, [], today=dt.date(2026, 11, 23))
        if mutation.rule not in result.failed_rule_ids():
            survivors.append(mutation.name)
        assert RULES_BY_ID[mutation.rule].requirements.tags(), f"{mutation.rule} names no requirement"
    killed = len(MUTATIONS) - len(survivors)
    with capsys.disabled():
        print(f"\nmutation kill rate: {killed}/{len(MUTATIONS)} = {100 * killed / len(MUTATIONS):.0f}%")
    assert not survivors, f"mutations not caught: {survivors}"
