"""Drift: each change made to a compliant (moto) account behind the state's back fails exactly the checks
that look at what changed, with drift=true and a reason naming the resource; nothing else fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from glz.audit.expected import from_state
from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS
from glz.audit.runner import TargetMismatchError, run_audit
from glz.audit.session import AuditSession
from glz.errors import UserInputError
from glz.state import SECRET_SIG, SECRET_SIG_KEY, StackState
from tests.audit_account import MOTO_ENV, REGION, MotoAccount, shared_session

Expected = set[tuple[str, str]]


@pytest.fixture
def moto_env(monkeypatch):
    for key, value in MOTO_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def account(demo_state_document, moto_env):
    with mock_aws():
        yield MotoAccount(demo_state_document)


def bucket(a: MotoAccount, tier: str) -> str:
    return a.output("dataBuckets", tier)


def key(a: MotoAccount, purpose: str) -> str:
    return a.output("kmsKeys", purpose)


COLLABORATOR = "glz-demo-collab-broad-variant-lab"
ADMIN = "glz-demo-admin"
TRAIL = "glz-demo-trail"


def _trust(a: MotoAccount, role: str) -> dict:
    return a.client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]


def _set_trust(a: MotoAccount, role: str, document: dict) -> None:
    a.client("iam").update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(document))


def widen_collaborator_trust(a: MotoAccount) -> None:
    document = _trust(a, COLLABORATOR)
    document["Statement"][0]["Principal"]["AWS"] = [
        "arn:aws:iam::444455556666:role/variant-analysts",
        "arn:aws:iam::999999999999:root",
    ]
    _set_trust(a, COLLABORATOR, document)


def drop_mfa(a: MotoAccount) -> None:
    document = _trust(a, COLLABORATOR)
    del document["Statement"][0]["Condition"]["Bool"]
    _set_trust(a, COLLABORATOR, document)


def change_external_id(a: MotoAccount) -> None:
    document = _trust(a, COLLABORATOR)
    document["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = "guessable"
    _set_trust(a, COLLABORATOR, document)


def widen_admin_trust(a: MotoAccount) -> None:
    document = _trust(a, ADMIN)
    document["Statement"][0]["Principal"] = {"AWS": "*"}
    _set_trust(a, ADMIN, document)


JOB_ROLE = "glz-demo-batch-job-alignment"
INSTANCE_ROLE = "glz-demo-batch-instance"
SCAN_ROLE = "glz-demo-malware-scan-bcl"
FLOW_LOG_ROLE = "glz-demo-vpc-flow-logs"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def _inline_policies(a: MotoAccount, role: str) -> dict[str, dict]:
    iam = a.client("iam")
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    return {n: iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"] for n in names}


def widen_job_policy(a: MotoAccount) -> None:
    """A 'temporary' console fix: the alignment job may now do anything to any bucket."""
    ((name, document),) = _inline_policies(a, JOB_ROLE).items()
    document["Statement"].append({"Sid": "Debug", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    a.client("iam").put_role_policy(RoleName=JOB_ROLE, PolicyName=name, PolicyDocument=json.dumps(document))


def add_instance_role_policy(a: MotoAccount) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::*/*"}],
    }
    a.client("iam").put_role_policy(
        RoleName=INSTANCE_ROLE, PolicyName="debug-data-access", PolicyDocument=json.dumps(document)
    )


def trust_account_root(a: MotoAccount, role: str) -> None:
    document = _trust(a, role)
    document["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}
    )
    _set_trust(a, role, document)


def remove_tls_statement(a: MotoAccount) -> None:
    s3 = a.client("s3")
    name = bucket(a, "variants")
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def change_lifecycle(a: MotoAccount) -> None:
    s3 = a.client("s3")
    name = bucket(a, "fastq")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    for rule in rules:
        if rule["ID"] == "tiering":
            rule["Expiration"] = {"Days": 3650}
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})


def narrow_data_events(a: MotoAccount) -> None:
    cloudtrail = a.client("cloudtrail")
    selectors = cloudtrail.get_event_selectors(TrailName=TRAIL)["AdvancedEventSelectors"]
    for selector in selectors:
        for field in selector["FieldSelectors"]:
            if field["Field"] == "resources.ARN":
                field["StartsWith"] = [v for v in field["StartsWith"] if "-bcl-" not in v]
    cloudtrail.put_event_selectors(TrailName=TRAIL, AdvancedEventSelectors=selectors)


def delete_bucket(a: MotoAccount) -> None:
    a.client("s3").delete_bucket(Bucket=bucket(a, "variants"))


def delete_endpoint(a: MotoAccount, service: str) -> None:
    ec2 = a.client("ec2")
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "service-name", "Values": [service]}])["VpcEndpoints"]
    ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"] for e in endpoints])


def open_endpoint(a: MotoAccount, service: str) -> None:
    ec2 = a.client("ec2")
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "service-name", "Values": [service]}])["VpcEndpoints"]
    everyone = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    for endpoint in endpoints:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(everyone))


def attach_internet_gateway(a: MotoAccount) -> None:
    ec2 = a.client("ec2")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=a.output("vpcId"))


def open_default_sg(a: MotoAccount) -> None:
    ec2 = a.client("ec2")
    group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [a.output("vpcId")]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )


def acl_id(a: MotoAccount, name: str) -> str:
    typ = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl" if "default" in name else "aws:ec2/networkAcl:NetworkAcl"
    return a.physical(typ, name)


def ssh_on_acl(name: str):
    def change(a: MotoAccount) -> None:
        a.client("ec2").create_network_acl_entry(
            NetworkAclId=acl_id(a, name),
            RuleNumber=50,
            Protocol="6",
            RuleAction="allow",
            Egress=False,
            CidrBlock="0.0.0.0/0",
            PortRange={"From": 22, "To": 22},
        )

    return change


METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def metric_filter(a: MotoAccount, logical: str) -> str:
    return a.physical(METRIC_FILTER, logical)


def alarm(a: MotoAccount, logical: str) -> str:
    return a.physical(ALARM, logical)


def alarm_topic(a: MotoAccount) -> str:
    return a.physical("aws:sns/topic:Topic", "audit-alarms")


def endpoint_sg(a: MotoAccount) -> str:
    return a.physical("aws:ec2/securityGroup:SecurityGroup", "network-endpoints")


def file_system(a: MotoAccount) -> str:
    return a.output("referenceFileSystemId")


def weaken_metric_filter(a: MotoAccount) -> None:
    """Root usage counted only when it comes from the console: API calls as root go unnoticed."""
    logs = a.client("logs")
    declared = next(r for r in a.state.of_type(METRIC_FILTER) if r.name == "audit-root-account-usage")
    live = logs.describe_metric_filters(
        logGroupName=declared.prop("logGroupName"), filterNamePrefix=declared.prop("name")
    )["metricFilters"][0]
    # AWS's PutMetricFilter replaces a filter of the same name; moto 5.2 adds a second one, so delete first.
    logs.delete_metric_filter(logGroupName=live["logGroupName"], filterName=live["filterName"])
    logs.put_metric_filter(
        logGroupName=live["logGroupName"],
        filterName=live["filterName"],
        filterPattern='{ $.userIdentity.type = "Root" && $.eventType = "AwsConsoleSignIn" }',
        metricTransformations=live["metricTransformations"],
    )


def remove_alarm_notification(a: MotoAccount) -> None:
    """The alarm re-put without its SNS action: it still changes state, but nobody hears of it."""
    cloudwatch = a.client("cloudwatch")
    live = cloudwatch.describe_alarms(AlarmNames=[alarm(a, "audit-iam-policy-changes")])["MetricAlarms"][0]
    keys = ("AlarmName", "ActionsEnabled", "MetricName", "Namespace", "Statistic", "Period", "EvaluationPeriods")
    cloudwatch.put_metric_alarm(
        **{k: live[k] for k in keys},
        Threshold=live["Threshold"],
        ComparisonOperator=live["ComparisonOperator"],
        AlarmActions=[],
    )


def vpc(a: MotoAccount) -> str:
    return a.output("vpcId")


def reassociate_dhcp(servers: list[str] | None) -> Callable[[MotoAccount], None]:
    """Hand the VPC another DHCP option set (public NTP servers), or the region default (None)."""

    def apply(a: MotoAccount) -> None:
        ec2 = a.client("ec2")
        if servers is None:
            ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc(a))
            return
        options = ec2.create_dhcp_options(
            DhcpConfigurations=[
                {"Key": "ntp-servers", "Values": servers},
                {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]},
            ]
        )["DhcpOptions"]["DhcpOptionsId"]
        ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=vpc(a))

    return apply


def finding_rule(a: MotoAccount, key: str = "security-hub-findings") -> str:
    return f"glz-demo-{key}"


def narrow_finding_rule(a: MotoAccount) -> None:
    """Only CRITICAL findings forwarded: HIGH ones reach nobody, and every alarm downstream stays OK."""
    events = a.client("events")
    rule = events.describe_rule(Name=finding_rule(a))
    pattern = json.loads(rule["EventPattern"])
    pattern["detail"]["findings"]["Severity"]["Label"] = ["CRITICAL"]
    events.put_rule(Name=finding_rule(a), EventPattern=json.dumps(pattern), State="ENABLED")


def workflow(a: MotoAccount) -> str:
    return a.output("runTracking", "workflow")


def log_execution_data(a: MotoAccount) -> None:
    """The run workflow now logs every state with its inputs and outputs (sample and run identifiers)."""
    sfn = a.client("stepfunctions")
    live = sfn.describe_state_machine(stateMachineArn=workflow(a))
    logging = {**live["loggingConfiguration"], "level": "ALL", "includeExecutionData": True}
    sfn.update_state_machine(stateMachineArn=workflow(a), loggingConfiguration=logging)


def open_endpoint_sg(a: MotoAccount) -> None:
    a.client("ec2").authorize_security_group_ingress(
        GroupId=endpoint_sg(a),
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )


def close_endpoint_https(a: MotoAccount) -> None:
    ec2 = a.client("ec2")
    group = ec2.describe_security_groups(GroupIds=[endpoint_sg(a)])["SecurityGroups"][0]
    ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])


def disable_efs_backups(a: MotoAccount) -> None:
    """moto has no PutBackupPolicy (NotImplementedError), so the file system's backup flag is cleared in
    moto's backend directly: DescribeBackupPolicy then answers as for a file system without backups."""
    from moto.efs.models import efs_backends

    efs_backends[a.output("accountId")][REGION].file_systems_by_id[file_system(a)]._backup = False


def detector_id(a: MotoAccount) -> str:
    return a.client("guardduty").list_detectors()["DetectorIds"][0]


def replace_compute_environment(a: MotoAccount, name: str, data: dict) -> None:
    """Recreate a compute environment on a new launch template version, as a hand fix in the console would."""
    from tests.audit_account import compute_environment_request

    ec2, batch = a.client("ec2"), a.client("batch")
    template = a.physical("aws:ec2/launchTemplate:LaunchTemplate", "compute-launch-template")
    current = ec2.describe_launch_template_versions(LaunchTemplateId=template, Versions=["1"])
    merged = {**current["LaunchTemplateVersions"][0]["LaunchTemplateData"], **data}
    version = ec2.create_launch_template_version(LaunchTemplateId=template, LaunchTemplateData=merged)
    number = str(version["LaunchTemplateVersion"]["VersionNumber"])
    environment = next(
        r for r in a.state.of_type("aws:batch/computeEnvironment:ComputeEnvironment") if r.prop("name") == name
    )
    batch.update_compute_environment(computeEnvironment=name, state="DISABLED")
    batch.delete_compute_environment(computeEnvironment=name)
    request = compute_environment_request(environment.inputs, lambda v: v, a.output("accountId"))
    request["computeResources"]["launchTemplate"] = {"launchTemplateId": template, "version": number}
    batch.create_compute_environment(**request)


def imdsv1(a: MotoAccount) -> None:
    replace_compute_environment(
        a, "glz-demo-batch-spot", {"MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 1}}
    )


def imds_open_to_jobs(a: MotoAccount) -> None:
    """A new template version whose boot script lost the IMDS guard (a hand-edited user data)."""
    import base64

    ec2 = a.client("ec2")
    template = a.physical("aws:ec2/launchTemplate:LaunchTemplate", "compute-launch-template")
    current = ec2.describe_launch_template_versions(LaunchTemplateId=template, Versions=["1"])
    script = base64.b64decode(current["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    opened = "".join(line for line in script.splitlines(True) if "169.254.169.254" not in line)
    replace_compute_environment(a, "glz-demo-batch-spot", {"UserData": base64.b64encode(opened.encode()).decode()})


def unencrypted_scratch(a: MotoAccount) -> None:
    replace_compute_environment(
        a,
        "glz-demo-batch-on-demand",
        {
            "BlockDeviceMappings": [
                {
                    "DeviceName": "/dev/xvda",
                    "Ebs": {"Encrypted": True, "KmsKeyId": key(a, "compute"), "VolumeSize": 50},
                },
                {"DeviceName": "/dev/xvdb", "Ebs": {"Encrypted": False, "VolumeSize": 500}},
            ]
        },
    )


BOUNDARY_POLICY = "glz-demo-collab-broad-variant-lab-boundary"
JOB_DEFINITION = "glz-demo-alignment"
OTHER_JOB_ROLE = "arn:aws:iam::111122223333:role/glz-demo-batch-job-variant-calling"


def policy_arn(a: MotoAccount, name: str) -> str:
    return f"arn:aws:iam::{a.output('accountId')}:policy/{name}"


def default_document(a: MotoAccount, name: str) -> dict:
    iam = a.client("iam")
    version = iam.get_policy(PolicyArn=policy_arn(a, name))["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=policy_arn(a, name), VersionId=version)["PolicyVersion"]["Document"]


def new_default_version(a: MotoAccount, name: str, document: dict) -> None:
    a.client("iam").create_policy_version(
        PolicyArn=policy_arn(a, name), PolicyDocument=json.dumps(document), SetAsDefault=True
    )


def widen_boundary(a: MotoAccount) -> None:
    """A new default version of the collaborator's boundary that lets the role do anything to any bucket."""
    document = default_document(a, BOUNDARY_POLICY)
    document["Statement"].append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    new_default_version(a, BOUNDARY_POLICY, document)


def latest_job_definition(a: MotoAccount, name: str) -> dict:
    active = a.client("batch").describe_job_definitions(jobDefinitionName=name, status="ACTIVE")["jobDefinitions"]
    return max(active, key=lambda d: d["revision"])


def register_revision(a: MotoAccount, name: str, **container: object) -> int:
    """A new revision registered outside Pulumi (console's "create revision"): the latest one, some container
    properties changed."""
    latest = latest_job_definition(a, name)
    keys = ("jobDefinitionName", "type", "platformCapabilities", "propagateTags", "retryStrategy", "timeout", "tags")
    request = {k: latest[k] for k in keys if k in latest}
    request["containerProperties"] = {**latest["containerProperties"], **container}
    return a.client("batch").register_job_definition(**request)["revision"]


def access(*rules: str) -> Expected:
    """iam.effective-access lines: the access-model rules whose live result the drift changes."""
    return {("iam.effective-access", rule) for rule in rules}


@dataclass(frozen=True)
class Drift:
    name: str
    apply: Callable[[MotoAccount], None]
    failing: Callable[[MotoAccount], Expected]


DRIFTS = [
    Drift(
        "bucket encryption removed",
        lambda a: a.client("s3").delete_bucket_encryption(Bucket=bucket(a, "bcl")),
        # With no encryption configuration, nothing blocks SSE-C uploads either.
        lambda a: {("s3.default-encryption", bucket(a, "bcl")), ("s3.sse-c-blocked", bucket(a, "bcl"))},
    ),
    Drift(
        "bucket encryption downgraded to SSE-S3",
        lambda a: a.client("s3").put_bucket_encryption(
            Bucket=bucket(a, "fastq"),
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        ),
        lambda a: {("s3.default-encryption", bucket(a, "fastq"))},
    ),
    Drift(
        "versioning suspended",
        lambda a: a.client("s3").put_bucket_versioning(
            Bucket=bucket(a, "alignments"), VersioningConfiguration={"Status": "Suspended"}
        ),
        lambda a: {("s3.versioning", bucket(a, "alignments"))},
    ),
    Drift(
        "public access block removed",
        lambda a: a.client("s3").delete_public_access_block(Bucket=bucket(a, "results")),
        lambda a: {("s3.public-access-block", bucket(a, "results"))},
    ),
    Drift(
        "TLS-only statement removed",
        remove_tls_statement,
        lambda a: {("s3.tls-only", bucket(a, "variants"))} | access("GLZ-S3-005"),
    ),
    Drift(
        "access logging removed",
        lambda a: a.client("s3").put_bucket_logging(Bucket=bucket(a, "fastq"), BucketLoggingStatus={}),
        lambda a: {("s3.access-logging", bucket(a, "fastq"))},
    ),
    Drift(
        "lifecycle removed",
        lambda a: a.client("s3").delete_bucket_lifecycle(Bucket=bucket(a, "bcl")),
        lambda a: {("s3.lifecycle", bucket(a, "bcl"))},
    ),
    Drift(
        "bucket deleted",
        delete_bucket,
        lambda a: {("s3.bucket-exists", bucket(a, "variants"))},
    ),
    Drift(
        "trail stopped",
        lambda a: a.client("cloudtrail").stop_logging(Name=TRAIL),
        lambda a: {("cloudtrail.logging", TRAIL)},
    ),
    Drift(
        "data events dropped for the BCL bucket",
        narrow_data_events,
        lambda a: {("cloudtrail.data-events", TRAIL)},
    ),
    Drift(
        "key rotation disabled",
        lambda a: a.client("kms").disable_key_rotation(KeyId=key(a, "data")),
        lambda a: {("kms.rotation", key(a, "data"))},
    ),
    Drift(
        "flow log deleted",
        lambda a: a.client("ec2").delete_flow_logs(
            FlowLogIds=[a.physical("aws:ec2/flowLog:FlowLog", "network-flow-log")]
        ),
        lambda a: {("ec2.flow-logs", a.output("vpcId"))},
    ),
    Drift(
        "STS interface endpoint deleted",
        lambda a: delete_endpoint(a, "com.amazonaws.us-east-1.sts"),
        lambda a: {("ec2.vpc-endpoint", "com.amazonaws.us-east-1.sts")},
    ),
    Drift(
        "KMS endpoint opened to every account",
        lambda a: open_endpoint(a, "com.amazonaws.us-east-1.kms"),
        lambda a: {("ec2.vpc-endpoint", "com.amazonaws.us-east-1.kms")},
    ),
    Drift(
        "GuardDuty disabled",
        lambda a: a.client("guardduty").update_detector(DetectorId=detector_id(a), Enable=False),
        lambda a: {("guardduty.detector", "us-east-1")},
    ),
    Drift(
        "Inspector disabled for ECR",
        lambda a: a.client("inspector2").disable(accountIds=[a.output("accountId")], resourceTypes=["ECR"]),
        lambda a: {("inspector.enabled", "111122223333/us-east-1")},
    ),
    Drift(
        "Config recorder stopped",
        lambda a: a.client("config").stop_configuration_recorder(ConfigurationRecorderName="glz-demo-config"),
        lambda a: {("config.recording", "glz-demo-config")},
    ),
    Drift(
        "password policy weakened",
        lambda a: a.client("iam").update_account_password_policy(
            MinimumPasswordLength=8,
            RequireSymbols=True,
            RequireNumbers=True,
            RequireUppercaseCharacters=True,
            RequireLowercaseCharacters=True,
            AllowUsersToChangePassword=True,
            MaxPasswordAge=90,
            PasswordReusePrevention=24,
        ),
        lambda a: {("iam.password-policy", "111122223333")},
    ),
    Drift(
        "collaborator trust widened to another account",
        widen_collaborator_trust,
        lambda a: {("iam.collaborator-trust", COLLABORATOR)} | access("GLZ-IAM-004", "GLZ-IAM-014"),
    ),
    Drift(
        "admin role trusts everyone",
        widen_admin_trust,
        # not GLZ-IAM-009: the admin reads no genomic data (its guardrail and the buckets' purpose deny), so
        # whoever assumes it reaches none either
        lambda a: {("iam.operator-trust", ADMIN)} | access("GLZ-IAM-007", "GLZ-IAM-011"),
    ),
    Drift(
        "job role's inline policy widened to s3:* on *",
        widen_job_policy,
        lambda a: (
            {("iam.role-permissions", JOB_ROLE)} | access("GLZ-IAM-005", "GLZ-IAM-006", "GLZ-IAM-010", "GLZ-IAM-012")
        ),
    ),
    Drift(
        "AdministratorAccess attached to a collaborator role",
        lambda a: a.client("iam").attach_role_policy(RoleName=COLLABORATOR, PolicyArn=ADMINISTRATOR_ACCESS),
        lambda a: {("iam.role-permissions", COLLABORATOR)} | access("GLZ-IAM-014"),
    ),
    Drift(
        "undeclared inline policy on the Batch instance role",
        add_instance_role_policy,
        lambda a: {("iam.role-permissions", INSTANCE_ROLE)} | access("GLZ-IAM-006", "GLZ-IAM-012"),
    ),
    Drift(
        "admin role's separation-of-duties deny deleted",
        lambda a: a.client("iam").delete_role_policy(RoleName=ADMIN, PolicyName="separation-of-duties"),
        lambda a: {("iam.role-permissions", ADMIN)} | access("GLZ-IAM-010"),
    ),
    Drift(
        "malware scan role trusts the account root",
        lambda a: trust_account_root(a, SCAN_ROLE),
        lambda a: {("iam.service-role-trust", SCAN_ROLE)} | access("GLZ-IAM-003"),
    ),
    Drift(
        "security metric filter deleted",
        lambda a: a.client("logs").delete_metric_filter(
            logGroupName="/glz/demo/cloudtrail", filterName=metric_filter(a, "audit-cloudtrail-changes")
        ),
        lambda a: {("logs.metric-filter", metric_filter(a, "audit-cloudtrail-changes"))},
    ),
    Drift(
        "metric filter pattern narrowed",
        weaken_metric_filter,
        lambda a: {("logs.metric-filter", metric_filter(a, "audit-root-account-usage"))},
    ),
    Drift(
        "alarm actions disabled",
        lambda a: a.client("cloudwatch").disable_alarm_actions(AlarmNames=[alarm(a, "audit-root-account-usage")]),
        lambda a: {("cloudwatch.alarm", alarm(a, "audit-root-account-usage"))},
    ),
    Drift(
        "alarm topic KMS key removed",
        lambda a: a.client("sns").set_topic_attributes(
            TopicArn=alarm_topic(a), AttributeName="KmsMasterKeyId", AttributeValue=""
        ),
        lambda a: {("sns.topic-encryption", alarm_topic(a))},
    ),
    Drift(
        "endpoint security group opened to SSH from anywhere",
        open_endpoint_sg,
        lambda a: {("ec2.endpoint-security-group", endpoint_sg(a))},
    ),
    Drift(
        "the VPC handed a DHCP option set with public NTP servers",
        reassociate_dhcp(["129.6.15.28", "132.163.97.1"]),
        lambda a: {("ec2.time-source", vpc(a))},
    ),
    Drift(
        "the VPC put back on the region's default DHCP options",
        reassociate_dhcp(None),
        lambda a: {("ec2.time-source", vpc(a))},
    ),
    Drift(
        "Security Hub findings rule disabled",
        lambda a: a.client("events").disable_rule(Name=finding_rule(a)),
        lambda a: {("events.finding-rule", finding_rule(a))},
    ),
    Drift(
        "Security Hub findings rule narrowed to CRITICAL",
        narrow_finding_rule,
        lambda a: {("events.finding-rule", finding_rule(a))},
    ),
    Drift(
        "AWS Health rule's target removed",
        lambda a: a.client("events").remove_targets(
            Rule=finding_rule(a, "health-events"), Ids=["security-findings-log"]
        ),
        lambda a: {("events.finding-rule", finding_rule(a, "health-events"))},
    ),
    Drift(
        "run workflow logs its execution data",
        log_execution_data,
        lambda a: {("states.run-workflow", workflow(a))},
    ),
    Drift(
        "runs table deletion protection switched off",
        lambda a: a.client("dynamodb").update_table(TableName="glz-demo-runs", DeletionProtectionEnabled=False),
        lambda a: {("dynamodb.runs-table", "glz-demo-runs")},
    ),
    Drift(
        "runs table point-in-time recovery switched off",
        lambda a: a.client("dynamodb").update_continuous_backups(
            TableName="glz-demo-runs", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
        ),
        lambda a: {("dynamodb.runs-table", "glz-demo-runs")},
    ),
    Drift(
        "finished-run rule disabled",
        lambda a: a.client("events").disable_rule(Name="glz-demo-run-complete"),
        lambda a: {("events.run-rule", "glz-demo-run-complete")},
    ),
    Drift(
        "EFS backups disabled",
        disable_efs_backups,
        lambda a: {("efs.backup", file_system(a))},
    ),
    Drift(
        "collaborator boundary's new default version allows s3:* on *",
        widen_boundary,
        lambda a: {("iam.managed-policy", BOUNDARY_POLICY)} | access("GLZ-IAM-005", "GLZ-IAM-006", "GLZ-IAM-007"),
    ),
    Drift(
        "job definition revision with another image",
        lambda a: register_revision(a, JOB_DEFINITION, image="docker.io/someone/bwa-mem2:latest"),
        lambda a: {("batch.job-definition", JOB_DEFINITION)},
    ),
    Drift(
        "job definition revision running privileged",
        lambda a: register_revision(a, JOB_DEFINITION, privileged=True),
        lambda a: {("batch.job-definition", JOB_DEFINITION)},
    ),
    Drift(
        "job definition revision with another pipeline's job role",
        lambda a: register_revision(a, JOB_DEFINITION, jobRoleArn=OTHER_JOB_ROLE),
        lambda a: {("batch.job-definition", JOB_DEFINITION)},
    ),
    Drift(
        "launch template allows IMDSv1",
        imdsv1,
        # The environment now points at another template version than the state (drift), and that version
        # accepts IMDSv1.
        lambda a: {("batch.compute-environment", "glz-demo-batch-spot"), ("batch.imdsv2", "glz-demo-batch-spot")},
    ),
    Drift(
        "launch template lets jobs reach IMDS",
        imds_open_to_jobs,
        lambda a: {("batch.compute-environment", "glz-demo-batch-spot"), ("batch.imds-guard", "glz-demo-batch-spot")},
    ),
]

# Checks whose failure paths are covered together, in one account: the drifts touch disjoint resources,
# so the failing set must be exactly the union of what each drift fails.
MORE_DRIFTS = [
    Drift(
        "bucket encrypted with another key",
        lambda a: a.client("s3").put_bucket_encryption(
            Bucket=bucket(a, "results"),
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key(a, "logs"),
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        ),
        lambda a: {("s3.default-encryption", bucket(a, "results"))},
    ),
    Drift(
        "bucket policy deleted",
        lambda a: a.client("s3").delete_bucket_policy(Bucket=bucket(a, "reference")),
        lambda a: (
            {("s3.tls-only", bucket(a, "reference")), ("s3.endpoint-only", bucket(a, "reference"))}
            | access("GLZ-S3-005", "GLZ-S3-006", "GLZ-S3-012", "GLZ-S3-017", "GLZ-S3-018")
        ),
    ),
    Drift(
        "ACLs re-enabled",
        lambda a: a.client("s3").put_bucket_ownership_controls(
            Bucket=bucket(a, "results"), OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        ),
        lambda a: {("s3.ownership-enforced", bucket(a, "results"))},
    ),
    Drift(
        "account public access block removed",
        lambda a: a.client("s3control").delete_public_access_block(AccountId=a.output("accountId")),
        lambda a: {("s3.account-public-access-block", a.output("accountId"))},
    ),
    Drift(
        "log file validation off",
        lambda a: a.client("cloudtrail").update_trail(Name=TRAIL, EnableLogFileValidation=False),
        lambda a: {("cloudtrail.log-validation", TRAIL)},
    ),
    Drift(
        "key disabled",
        lambda a: a.client("kms").disable_key(KeyId=key(a, "compute").rsplit("/", 1)[1]),  # moto wants the id
        lambda a: {("kms.key-enabled", key(a, "compute"))},
    ),
    Drift(
        "key alias deleted",
        lambda a: a.client("kms").delete_alias(AliasName="alias/glz-demo-logs"),
        lambda a: {("kms.aliases", key(a, "logs"))},
    ),
    Drift(
        "log group retention shortened",
        lambda a: a.client("logs").put_retention_policy(logGroupName="/glz/demo/cloudtrail", retentionInDays=7),
        lambda a: {("logs.log-group", "/glz/demo/cloudtrail")},
    ),
    Drift(
        "default security group opened",
        open_default_sg,
        lambda a: {("ec2.default-sg-closed", a.output("vpcId"))},
    ),
    Drift(
        "SSH from anywhere added to the subnet ACL",
        ssh_on_acl("network-subnets-acl"),
        lambda a: {("ec2.network-acl", acl_id(a, "network-subnets-acl"))},
    ),
    Drift(
        "the RDP deny removed from the subnet ACL",
        lambda a: a.client("ec2").delete_network_acl_entry(
            NetworkAclId=acl_id(a, "network-subnets-acl"), RuleNumber=110, Egress=False
        ),
        lambda a: {("ec2.network-acl", acl_id(a, "network-subnets-acl"))},
    ),
    Drift(
        "an allow rule put back on the default ACL",
        ssh_on_acl("network-default-acl"),
        lambda a: {("ec2.network-acl", acl_id(a, "network-default-acl"))},
    ),
    Drift(
        "EBS encryption by default turned off",
        lambda a: a.client("ec2").disable_ebs_encryption_by_default(),
        lambda a: {("ec2.ebs-encryption-by-default", "111122223333/us-east-1")},
    ),
    Drift(
        "GuardDuty detector deleted",
        lambda a: a.client("guardduty").delete_detector(DetectorId=detector_id(a)),
        lambda a: {
            ("guardduty.detector", "us-east-1"),
            ("guardduty.feature", "S3_DATA_EVENTS"),
            ("guardduty.feature", "EBS_MALWARE_PROTECTION"),
        },
    ),
    Drift(
        "collaborator permissions boundary removed",
        lambda a: a.client("iam").delete_role_permissions_boundary(RoleName=COLLABORATOR),
        lambda a: {("iam.permissions-boundary", COLLABORATOR)} | access("GLZ-IAM-007"),
    ),
    Drift(
        "compute environment disabled",
        lambda a: a.client("batch").update_compute_environment(
            computeEnvironment="glz-demo-batch-fpga", state="DISABLED"
        ),
        lambda a: {("batch.compute-environment", "glz-demo-batch-fpga")},
    ),
    Drift(
        "launch template scratch volume unencrypted",
        unencrypted_scratch,
        lambda a: {
            ("batch.compute-environment", "glz-demo-batch-on-demand"),
            ("batch.encrypted-volumes", "glz-demo-batch-on-demand"),
        },
    ),
    Drift(
        "FASTQ expiry stretched to ten years",
        change_lifecycle,
        lambda a: {("s3.lifecycle", bucket(a, "fastq"))},
    ),
    Drift(
        "trail made single-region",
        lambda a: a.client("cloudtrail").update_trail(Name=TRAIL, IsMultiRegionTrail=False),
        lambda a: {("cloudtrail.multi-region", TRAIL)},
    ),
    Drift(
        "internet gateway attached",
        attach_internet_gateway,
        lambda a: {("ec2.no-internet-path", a.output("vpcId"))},
    ),
    Drift(
        "Security Hub disabled",
        lambda a: a.client("securityhub").disable_security_hub(),
        lambda a: {("securityhub.hub", "us-east-1")},
    ),
    Drift(
        "password policy deleted",
        lambda a: a.client("iam").delete_account_password_policy(),
        lambda a: {("iam.password-policy", "111122223333")},
    ),
    Drift(
        "collaborator MFA condition removed",
        drop_mfa,
        lambda a: {("iam.collaborator-trust", COLLABORATOR)} | access("GLZ-IAM-003", "GLZ-IAM-009"),
    ),
    Drift(
        "alarm no longer notifies the SNS topic",
        remove_alarm_notification,
        lambda a: {("cloudwatch.alarm", alarm(a, "audit-iam-policy-changes"))},
    ),
    Drift(
        "alarm deleted",
        lambda a: a.client("cloudwatch").delete_alarms(AlarmNames=[alarm(a, "audit-vpc-changes")]),
        lambda a: {("cloudwatch.alarm", alarm(a, "audit-vpc-changes"))},
    ),
    Drift(
        "alarm threshold raised",
        lambda a: a.client("cloudwatch").put_metric_alarm(
            AlarmName=alarm(a, "audit-security-group-changes"),
            ActionsEnabled=True,
            AlarmActions=[alarm_topic(a)],
            MetricName="SecurityGroupChanges",
            Namespace="GLZ/Security",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=50.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        ),
        lambda a: {("cloudwatch.alarm", alarm(a, "audit-security-group-changes"))},
    ),
    Drift(
        "endpoint security group lost its HTTPS rule",
        close_endpoint_https,
        lambda a: {("ec2.endpoint-security-group", endpoint_sg(a))},
    ),
    Drift(
        "Batch instance role's SSM managed policy detached",
        lambda a: a.client("iam").detach_role_policy(
            RoleName=INSTANCE_ROLE, PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
        ),
        lambda a: {("iam.role-permissions", INSTANCE_ROLE)},
    ),
    Drift(
        "flow-log role trusts the account root",
        lambda a: trust_account_root(a, FLOW_LOG_ROLE),
        lambda a: {("iam.service-role-trust", FLOW_LOG_ROLE)} | access("GLZ-IAM-003"),
    ),
    Drift(
        "auditor role also gets AdministratorAccess",
        lambda a: a.client("iam").attach_role_policy(
            RoleName="glz-demo-security-auditor", PolicyArn=ADMINISTRATOR_ACCESS
        ),
        lambda a: {("iam.role-permissions", "glz-demo-security-auditor")} | access("GLZ-IAM-010", "GLZ-IAM-011"),
    ),
]


@pytest.mark.parametrize("drift", DRIFTS, ids=[d.name for d in DRIFTS])
def test_drift_fails_exactly_the_checks_that_read_it(account, drift):
    drift.apply(account)
    run = account.audit()
    failed = [r for r in run.results if r.result == FAIL]
    assert {(r.id, r.resource) for r in failed} == drift.failing(account)
    for result in failed:
        assert result.drift, result
        assert result.resource in result.reason, result.reason
    assert run.exit_code() == 1


def test_a_deleted_bucket_leaves_its_other_checks_not_verifiable_not_passed(account):
    delete_bucket(account)
    name = bucket(account, "variants")
    others = [r for r in account.audit().results if r.resource == name and r.id != "s3.bucket-exists"]
    assert {r.id for r in others} >= {"s3.default-encryption", "s3.versioning", "s3.tls-only", "s3.lifecycle"}
    for result in others:
        assert result.result == NOT_VERIFIABLE
        assert "does not exist" in result.reason


def test_a_deleted_trail_fails_its_existence_check_and_leaves_the_rest_not_verifiable(account):
    account.client("cloudtrail").delete_trail(Name=TRAIL)
    run = account.audit()
    assert {(r.id, r.resource) for r in run.results if r.result == FAIL} == {("cloudtrail.trail-exists", TRAIL)}
    others = [r for r in run.results if r.resource == TRAIL and r.id != "cloudtrail.trail-exists"]
    assert len(others) == 9  # every other trail check, digest delivery and Insights included
    assert all(r.result == NOT_VERIFIABLE and f"trail {TRAIL}" in r.reason for r in others)


def test_a_deleted_log_group_leaves_its_metric_filters_not_verifiable(account):
    account.client("logs").delete_log_group(logGroupName="/glz/demo/cloudtrail")
    run = account.audit()
    assert {(r.id, r.resource) for r in run.results if r.result == FAIL} == {("logs.log-group", "/glz/demo/cloudtrail")}
    filters = [r for r in run.results if r.id == "logs.metric-filter"]
    assert len(filters) == len(account.state.of_type(METRIC_FILTER))
    on_trail_group = [
        f for f in account.state.of_type(METRIC_FILTER) if f.prop("logGroupName") == "/glz/demo/cloudtrail"
    ]
    assert len(on_trail_group) >= 12 and len(on_trail_group) < len(filters)  # the finding alerts' filters are elsewhere
    blind = [r for r in filters if r.result == NOT_VERIFIABLE and "log group /glz/demo/cloudtrail" in r.reason]
    assert len(blind) == len(on_trail_group)
    assert all(r.result == PASS for r in filters if r not in blind)


def test_a_deleted_file_system_fails_once_and_leaves_its_backup_check_not_verifiable(account):
    efs = account.client("efs")
    for target in efs.describe_mount_targets(FileSystemId=file_system(account))["MountTargets"]:
        efs.delete_mount_target(MountTargetId=target["MountTargetId"])  # AWS refuses to delete a mounted one
    efs.delete_file_system(FileSystemId=file_system(account))
    run = account.audit()
    name = file_system(account)
    assert {(r.id, r.resource) for r in run.results if r.result == FAIL} == {("efs.encryption", name)}
    backup = next(r for r in run.results if r.id == "efs.backup")
    assert backup.result == NOT_VERIFIABLE and f"EFS file system {name}" in backup.reason


def _redeclare_file_system_key(document: dict, key_arn: str) -> dict:
    document = json.loads(json.dumps(document))
    for entry in document["deployment"]["resources"]:
        if entry["type"] == "aws:efs/fileSystem:FileSystem":
            for part in ("inputs", "outputs"):
                entry[part]["kmsKeyId"] = key_arn
    return document


def test_a_file_system_on_another_key_than_declared_fails_only_efs_encryption(account):
    # An EFS key cannot change in place, so the account and the state disagree the other way round: the
    # state declares the logs key for the file system created with the data key.
    state = StackState(_redeclare_file_system_key(account.deployed, key(account, "logs")), "state.json")
    run = run_audit(state, shared_session(), "demo")
    failed = [r for r in run.results if r.result == FAIL]
    assert [(r.id, r.resource) for r in failed] == [("efs.encryption", file_system(account))]
    assert failed[0].drift and key(account, "data") in failed[0].reason


def test_a_state_without_a_file_system_has_no_efs_checks(account):
    document = json.loads(json.dumps(account.deployed))
    document["deployment"]["resources"] = [
        e for e in document["deployment"]["resources"] if not e["type"].startswith("aws:efs/")
    ]
    run = run_audit(StackState(document, "state.json"), shared_session(), "demo")
    assert [r for r in run.results if r.id.startswith("efs.")] == []
    # The account's deployer still holds the EFS calls this state no longer needs: that, and only that, fails.
    failed = [r for r in run.results if r.result == FAIL]
    assert [r.id for r in failed] == ["iam.deployer-permissions"]
    assert "elasticfilesystem:createfilesystem" in failed[0].reason


def test_a_changed_external_id_fails_the_trust_check_without_leaking_either_value(account):
    change_external_id(account)
    run = account.audit()
    assert {(r.id, r.resource) for r in run.results if r.result == FAIL} == {("iam.collaborator-trust", COLLABORATOR)}
    trust = next(r for r in run.results if r.id == "iam.collaborator-trust" and r.resource == COLLABORATOR)
    assert trust.drift
    text = json.dumps(trust.to_json())
    assert "guessable" not in text and "offline-placeholder" not in text
    assert "sts:ExternalId has a different value than declared" in trust.reason


def test_more_drifts_at_once_fail_exactly_the_union_of_their_checks(account):
    for drift in MORE_DRIFTS:
        drift.apply(account)
    expected = set().union(*(drift.failing(account) for drift in MORE_DRIFTS))
    failed = [r for r in account.audit().results if r.result == FAIL]
    assert {(r.id, r.resource) for r in failed} == expected
    assert all(r.drift and r.resource in r.reason for r in failed)


def test_a_wrong_account_stops_the_audit_before_any_check(demo_state_document, moto_env, monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "123456789012")
    session = AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)
    calls: list[str] = []
    session.events.register("before-call", lambda model, **_: calls.append(model.name))
    with mock_aws(), pytest.raises(TargetMismatchError) as caught:
        run_audit(StackState(demo_state_document, "state.json"), session, "demo")
    message = str(caught.value)
    assert "account 123456789012" in message and "deployed to account 111122223333" in message
    assert caught.value.exit_code == 2
    assert calls == ["GetCallerIdentity"]


def test_a_wrong_region_stops_the_audit_before_any_check(demo_state_document, moto_env):
    session = AuditSession(boto=boto3.Session(region_name="eu-west-1"), region="eu-west-1")
    with mock_aws(), pytest.raises(TargetMismatchError, match="pass --region us-east-1"):
        run_audit(StackState(demo_state_document, "state.json"), session, "demo")


def test_a_state_that_does_not_name_its_account_is_rejected(demo_state_document):
    document = json.loads(json.dumps(demo_state_document))
    for entry in document["deployment"]["resources"]:
        if entry["type"] == "pulumi:pulumi:Stack":
            entry["outputs"].pop("accountId")
        if entry["type"] == "pulumi:providers:aws":
            for part in ("inputs", "outputs"):
                entry.get(part, {}).pop("allowedAccountIds", None)
    with pytest.raises(UserInputError, match="does not say which AWS account"):
        from_state(StackState(document, "bare.json"))


def _hide_trust_policies(document: dict) -> dict:
    """What `pulumi stack export` without --show-secrets gives when a trust policy embeds a secret."""
    document = json.loads(json.dumps(document))
    for entry in document["deployment"]["resources"]:
        if entry["type"] == "aws:iam/role:Role" and "Collaborator" in (entry["inputs"].get("tags") or {}):
            for part in ("inputs", "outputs"):
                entry[part]["assumeRolePolicy"] = {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": "AAAA"}
    return document


def test_a_secret_trust_policy_is_checked_against_the_declared_partner_account(account):
    hidden = StackState(_hide_trust_policies(account.deployed), "exported.json")
    run = run_audit(hidden, shared_session(), "demo")
    trust = [r for r in run.results if r.id == "iam.collaborator-trust"]
    assert len(trust) == 2 and all(r.result == PASS for r in trust)
    role = "glz-demo-collab-pharmaco-analytics"
    iam_client = account.client("iam")
    document = iam_client.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    document["Statement"][0]["Principal"]["AWS"] = "arn:aws:iam::999999999999:root"
    iam_client.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(document))
    failed = [r for r in run_audit(hidden, shared_session(), "demo").results if r.result == FAIL]
    # iam.effective-access judges the live trust itself: trusted by another account than the partner's, and
    # (a workload collaborator, held by named roles and source addresses instead of MFA) by a whole account
    assert [(r.id, r.resource) for r in failed] == [
        ("iam.collaborator-trust", role),
        *sorted(access("GLZ-IAM-003", "GLZ-IAM-004", "GLZ-IAM-014")),
    ]
    assert "999999999999" in failed[0].reason and "777788889999" in failed[0].reason


# ---- role permissions and service-role trust --------------------------------------------------------------


def _result(run, check: str, resource: str):
    return next(r for r in run.results if r.id == check and r.resource == resource)


def test_role_permission_drift_is_named_in_the_reason_and_the_observed_values(account):
    widen_job_policy(account)
    account.client("iam").attach_role_policy(RoleName=COLLABORATOR, PolicyArn=ADMINISTRATOR_ACCESS)
    add_instance_role_policy(account)
    account.client("iam").delete_role_policy(RoleName=ADMIN, PolicyName="separation-of-duties")
    run = account.audit()
    job = _result(run, "iam.role-permissions", JOB_ROLE)
    assert job.probes == ("least_privilege_jobs",)
    assert "inline policy compute-job-alignment-policy-" in job.reason and "adds Allow s3:* on *" in job.reason
    assert list(job.observed["changed_inline"].values()) == [{"adds": ["Allow s3:* on *"]}]
    collaborator = _result(run, "iam.role-permissions", COLLABORATOR)
    assert f"undeclared managed policy {ADMINISTRATOR_ACCESS} attached" in collaborator.reason
    assert collaborator.observed["undeclared_managed"] == [ADMINISTRATOR_ACCESS]
    assert collaborator.probes == ("collaborator_roles",)
    instance = _result(run, "iam.role-permissions", INSTANCE_ROLE)
    assert "undeclared inline policy debug-data-access (Allow s3:GetObject,s3:PutObject on arn:aws:s3:::*/*)" in (
        instance.reason
    )
    assert list(instance.observed["undeclared_inline"]) == ["debug-data-access"]
    admin = _result(run, "iam.role-permissions", ADMIN)
    assert "declared inline policy separation-of-duties is missing" in admin.reason
    assert admin.observed["missing_inline"] == ["separation-of-duties"] and admin.probes == ("operator_roles",)


def test_a_widened_service_trust_names_the_new_principal(account):
    trust_account_root(account, SCAN_ROLE)
    trust = _result(account.audit(), "iam.service-role-trust", SCAN_ROLE)
    assert trust.result == FAIL and trust.drift and trust.probes == ("s3_malware_protection",)
    assert "adds Allow sts:AssumeRole for AWS:arn:aws:iam::111122223333:root" in trust.reason


def _respell(document: dict, upper_actions: bool = True) -> dict:
    """The same grants spelled differently: statements reversed, one-element lists as strings (and a single
    statement as a dict), Sids renamed, action names in another case (moto refuses that in trust policies)."""
    statements = []
    for statement in reversed(document["Statement"]):
        statement = dict(statement)
        for key in ("Action", "Resource"):
            if isinstance(statement.get(key), list):
                values = list(reversed(statement[key]))
                statement[key] = values[0] if len(values) == 1 else values
        if upper_actions and isinstance(statement.get("Action"), str):
            statement["Action"] = statement["Action"].upper()
        if "Sid" in statement:
            statement["Sid"] = "Respelled" + str(len(statements))
        statements.append(statement)
    return {**document, "Statement": statements[0] if len(statements) == 1 else statements}


def test_a_policy_spelled_differently_but_meaning_the_same_passes(account):
    iam = account.client("iam")
    for role in [ADMIN, COLLABORATOR, JOB_ROLE, INSTANCE_ROLE, SCAN_ROLE, FLOW_LOG_ROLE]:
        for name, document in _inline_policies(account, role).items():
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(_respell(document)))
    _set_trust(account, JOB_ROLE, _respell(_trust(account, JOB_ROLE), upper_actions=False))
    run = account.audit()
    assert [r for r in run.results if r.result == FAIL] == []
    assert _result(run, "iam.service-role-trust", JOB_ROLE).result == PASS


def test_a_deleted_service_role_fails_once_and_leaves_its_trust_not_verifiable(account):
    iam = account.client("iam")
    for name in _inline_policies(account, JOB_ROLE):
        iam.delete_role_policy(RoleName=JOB_ROLE, PolicyName=name)
    iam.delete_role(RoleName=JOB_ROLE)
    run = account.audit()
    failed = [r for r in run.results if r.result == FAIL]
    assert [(r.id, r.resource) for r in failed] == [("iam.role-permissions", JOB_ROLE)]
    assert "does not exist" in failed[0].reason and failed[0].drift
    trust = _result(run, "iam.service-role-trust", JOB_ROLE)
    assert trust.result == NOT_VERIFIABLE and f"role {JOB_ROLE} does not exist" in trust.reason


def test_a_deleted_collaborator_role_fails_only_its_trust_check(account):
    iam = account.client("iam")
    role = "glz-demo-collab-pharmaco-analytics"
    for name in _inline_policies(account, role):
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    iam.delete_role(RoleName=role)
    run = account.audit()
    assert {(r.id, r.resource) for r in run.results if r.result == FAIL} == {("iam.collaborator-trust", role)}
    for check in ("iam.permissions-boundary", "iam.role-permissions"):
        assert _result(run, check, role).result == NOT_VERIFIABLE


def _hide_service_secrets(document: dict) -> dict:
    """An export where the scan role's trust policy and the alignment job's policy are ciphertext only."""
    document = json.loads(json.dumps(document))
    hidden = {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": "AAAA"}
    for entry in document["deployment"]["resources"]:
        if entry["type"] == "aws:iam/role:Role" and entry["inputs"].get("name") == SCAN_ROLE:
            for part in ("inputs", "outputs"):
                entry[part]["assumeRolePolicy"] = hidden
        if entry["type"] == "aws:iam/rolePolicy:RolePolicy" and entry["inputs"].get("role") == JOB_ROLE:
            for part in ("inputs", "outputs"):
                entry[part]["policy"] = hidden
    return document


def test_secret_service_policies_are_not_compared_and_never_passed_as_compared(account):
    hidden = StackState(_hide_service_secrets(account.deployed), "exported.json")
    run = run_audit(hidden, shared_session(), "demo")
    assert [r for r in run.results if r.result == FAIL] == []
    # Nothing to compare the scan role's live trust with: no result rather than a pass that verified nothing.
    assert [r for r in run.results if r.id == "iam.service-role-trust" and r.resource == SCAN_ROLE] == []
    assert _result(run, "iam.role-permissions", SCAN_ROLE).result == PASS
    job = _result(run, "iam.role-permissions", JOB_ROLE)
    assert job.result == PASS and "not compared (a secret in the state)" in job.reason
    assert job.expected["documents_not_compared"] == job.expected["inline_policies"]
    # The policy's name is still compared: an extra one is drift even when the declared document is secret.
    widen = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    account.client("iam").put_role_policy(RoleName=JOB_ROLE, PolicyName="extra", PolicyDocument=json.dumps(widen))
    failed = [r for r in run_audit(hidden, shared_session(), "demo").results if r.result == FAIL]
    assert [(r.id, r.resource) for r in failed] == [
        ("iam.role-permissions", JOB_ROLE),
        *sorted(access("GLZ-IAM-005", "GLZ-IAM-006", "GLZ-IAM-010", "GLZ-IAM-012")),
    ]


# ---- customer-managed policies and job definitions ---------------------------------------------------------


def test_a_widened_boundary_names_the_added_statement(account):
    widen_boundary(account)
    result = _result(account.audit(), "iam.managed-policy", BOUNDARY_POLICY)
    assert result.result == FAIL and result.drift and result.probes == ("permission_boundaries",)
    assert "default version v2 differs from the declared document: adds Allow s3:* on *" in result.reason
    assert result.observed["default_version"] == "v2"
    assert result.observed["differences"] == {"adds": ["Allow s3:* on *"]}


def test_a_reworded_boundary_version_meaning_the_same_passes(account):
    for policy in from_state(account.state).policies:
        new_default_version(account, policy.name, _respell(default_document(account, policy.name)))
    run = account.audit()
    assert [r for r in run.results if r.result == FAIL] == []
    results = [r for r in run.results if r.id == "iam.managed-policy"]
    assert len(results) == 2 and all(r.result == PASS and r.observed["default_version"] == "v2" for r in results)


def test_a_url_encoded_policy_version_is_read_as_iam_sends_it(account):
    """IAM sends the document URL-encoded; boto3 decodes it, other clients may not: either way it compares."""
    from urllib.parse import quote

    def encode(parsed, **_):
        parsed["PolicyVersion"]["Document"] = quote(json.dumps(parsed["PolicyVersion"]["Document"]))

    session = AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)
    session.events.register("after-call.iam.GetPolicyVersion", encode)
    results = [r for r in account.audit(session).results if r.id == "iam.managed-policy"]
    assert len(results) == 2 and all(r.result == PASS for r in results)
    widen_boundary(account)
    session = AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)
    session.events.register("after-call.iam.GetPolicyVersion", encode)
    failed = [r for r in account.audit(session).results if r.result == FAIL]
    assert [(r.id, r.resource) for r in failed] == [
        ("iam.managed-policy", BOUNDARY_POLICY),
        *sorted(access("GLZ-IAM-005", "GLZ-IAM-006", "GLZ-IAM-007")),
    ]


def test_a_deleted_boundary_policy_fails_its_check_and_the_boundary_check(account):
    iam = account.client("iam")
    iam.delete_role_permissions_boundary(RoleName=COLLABORATOR)
    iam.delete_policy(PolicyArn=policy_arn(account, BOUNDARY_POLICY))
    run = account.audit()
    failed = {(r.id, r.resource): r for r in run.results if r.result == FAIL}
    assert set(failed) == {
        ("iam.managed-policy", BOUNDARY_POLICY),
        ("iam.permissions-boundary", COLLABORATOR),
    } | access("GLZ-IAM-007")
    assert "does not exist" in failed[("iam.managed-policy", BOUNDARY_POLICY)].reason


def _hide_policy_documents(document: dict) -> dict:
    document = json.loads(json.dumps(document))
    for entry in document["deployment"]["resources"]:
        if entry["type"] == "aws:iam/policy:Policy":
            for part in ("inputs", "outputs"):
                entry[part]["policy"] = {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": "AAAA"}
    return document


def test_a_secret_policy_document_is_not_compared_but_its_existence_is(account):
    widen_boundary(account)
    hidden = StackState(_hide_policy_documents(account.deployed), "exported.json")
    result = _result(run_audit(hidden, shared_session(), "demo"), "iam.managed-policy", BOUNDARY_POLICY)
    assert result.result == PASS and "document not compared (a secret in the state)" in result.reason
    assert result.expected["document_not_compared"] is True and "document" not in result.expected


def test_job_definition_drift_is_reported_by_field(account):
    revision = register_revision(
        account, JOB_DEFINITION, image="docker.io/someone/bwa-mem2:latest", privileged=True, jobRoleArn=OTHER_JOB_ROLE
    )
    result = _result(account.audit(), "batch.job-definition", JOB_DEFINITION)
    assert result.result == FAIL and result.drift
    assert result.probes == ("container_image_provenance", "least_privilege_jobs")
    assert f"revision {revision} (the state records revision 1) differs from the state in:" in result.reason
    assert "image 'docker.io/someone/bwa-mem2:latest' (declared '111122223333.dkr.ecr." in result.reason
    assert "privileged True (declared False)" in result.reason
    assert f"job_role '{OTHER_JOB_ROLE}'" in result.reason
    assert result.observed["revision"] == revision and result.observed["privileged"] is True
    assert "timeout_seconds" not in result.reason and "retry" not in result.reason


def test_only_the_latest_active_revision_counts(account):
    batch = account.client("batch")
    revision = register_revision(account, JOB_DEFINITION, privileged=True)
    batch.deregister_job_definition(jobDefinition=f"{JOB_DEFINITION}:{revision}")
    result = _result(account.audit(), "batch.job-definition", JOB_DEFINITION)
    assert result.result == PASS and result.observed["revision"] == 1
    batch.deregister_job_definition(jobDefinition=f"{JOB_DEFINITION}:1")
    run = account.audit()
    failed = [r for r in run.results if r.result == FAIL]
    assert [(r.id, r.resource) for r in failed] == [("batch.job-definition", JOB_DEFINITION)]
    assert "has no ACTIVE revision" in failed[0].reason and failed[0].drift


def test_more_retries_or_no_timeout_is_drift(account):
    batch = account.client("batch")
    latest = latest_job_definition(account, JOB_DEFINITION)
    keys = ("jobDefinitionName", "type", "containerProperties", "platformCapabilities", "propagateTags", "tags")
    batch.register_job_definition(**{k: latest[k] for k in keys}, retryStrategy={"attempts": 10, "evaluateOnExit": []})
    result = _result(account.audit(), "batch.job-definition", JOB_DEFINITION)
    assert result.result == FAIL
    assert "timeout_seconds None (declared 86400)" in result.reason
    assert "retry {'attempts': 10, 'evaluate_on_exit': []}" in result.reason


def test_a_declared_user_is_compared_only_when_declared(account):
    # the demo declares uid 1000 (jobs never root); a revision running as root is drift
    register_revision(account, JOB_DEFINITION, user="0")
    result = _result(account.audit(), "batch.job-definition", JOB_DEFINITION)
    assert result.result == FAIL and "user '0' (declared '1000')" in result.reason
    # a state that declares no user compares none: another revision's user passes
    undeclared = json.loads(json.dumps(account.deployed))
    for entry in undeclared["deployment"]["resources"]:
        if entry["type"] == "aws:batch/jobDefinition:JobDefinition" and entry["inputs"]["name"] == JOB_DEFINITION:
            for part in ("inputs", "outputs"):
                container = json.loads(entry[part]["containerProperties"])
                container.pop("user", None)
                entry[part]["containerProperties"] = json.dumps(container)
    state = StackState(undeclared, "state.json")
    assert _result(run_audit(state, shared_session(), "demo"), "batch.job-definition", JOB_DEFINITION).result == PASS


@pytest.mark.parametrize(
    ("change", "acl", "reason"),
    [
        (
            ssh_on_acl("network-subnets-acl"),
            "network-subnets-acl",
            "rules not declared: ['in 50 allow tcp 22-22 0.0.0.0/0']",
        ),
        (
            lambda a: a.client("ec2").delete_network_acl_entry(
                NetworkAclId=acl_id(a, "network-subnets-acl"), RuleNumber=110, Egress=False
            ),
            "network-subnets-acl",
            "declared rules missing: ['in 110 deny tcp 3389-3389 0.0.0.0/0']",
        ),
        (ssh_on_acl("network-default-acl"), "network-default-acl", "rules not declared"),
    ],
)
def test_each_acl_drift_alone_fails_its_acl(account, change, acl, reason):
    change(account)
    failed = [r for r in account.audit().results if r.result == FAIL]
    assert [(r.id, r.resource) for r in failed] == [("ec2.network-acl", acl_id(account, acl))]
    assert reason in failed[0].reason and failed[0].drift
