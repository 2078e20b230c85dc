"""Build an AWS account (moto) that matches a stack state, the way `pulumi up` would have, for the audit tests.

`provision` creates every resource the audit checks from the state's own declarations and returns the
state as it would read after deployment: AWS assigns ids (KMS keys, VPC, endpoints, flow log, launch
template...) that the synthesized state can only guess, so those ids are substituted throughout.
What moto cannot create is left out and listed in MOTO_GAPS (the audit must report those checks as
not verifiable, never as passed).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import boto3

from glz import deployer_policy
from glz.audit.runner import AuditRun, run_audit
from glz.audit.session import AuditSession
from glz.state import Resource, StackState

Client = Callable[[str], Any]

# Calls moto 5.2 does not implement, found by running them (in-process they raise NotImplementedError or
# answer HTTP 404 "Not yet implemented"); the checks that need them are not verifiable against moto.
MOTO_GAPS = {
    "accessanalyzer.analyzer": "moto has no IAM Access Analyzer backend: ListAnalyzers answers 404 Not yet implemented",
    "accessanalyzer.unused-access": "moto has no IAM Access Analyzer backend (ListAnalyzers answers 404)",
    "rolesanywhere.trust-anchor": "moto has no IAM Roles Anywhere backend (GetTrustAnchor is not implemented)",
    "ec2.vpn-tunnels": "moto's CreateVpnConnection ignores Options: DescribeVpnConnections answers no TunnelOptions",
    "rolesanywhere.profile": "moto has no IAM Roles Anywhere backend (GetProfile is not implemented)",
    "securityhub.standard": "moto implements neither BatchEnableStandards nor GetEnabledStandards (404 Not yet implemented)",
    "ec2.ebs-default-key": "moto implements ModifyEbsDefaultKmsKeyId but not GetEbsDefaultKmsKeyId (NotImplementedError)",
    "s3.sse-c-blocked": "moto drops BlockedEncryptionTypes from PutBucketEncryption, so GetBucketEncryption never reports it",
    "accessanalyzer.bucket-analysis": "moto has no IAM Access Analyzer backend (ListAnalyzers answers 404)",
    "cloudwatch.alarm-delivery": "moto does not implement DescribeAlarmHistory (NotImplementedError)",
    "ec2.snapshot-block-public-access": "moto implements no snapshot block public access (GetSnapshotBlockPublicAccessState)",
    "ec2.image-block-public-access": "moto implements no AMI block public access (GetImageBlockPublicAccessState)",
    "backup.vault-policy": "moto implements no GetBackupVaultAccessPolicy (NotImplementedError)",
    "backup.selection": "moto implements no CreateBackupSelection or ListBackupSelections (NotImplementedError)",
    "backup.restore-tests": "moto implements no restore testing (GetRestoreTestingPlan)",
    "guardduty.s3-malware-protection": (
        "moto has no GuardDuty Malware Protection for S3: Create-, List- and GetMalwareProtectionPlan answer "
        "404 Not yet implemented"
    ),
}

# Resource types of the state the emulated account cannot hold, and why (every other type is provisioned;
# tests/test_emulated_account.py holds the two lists together).
CANNOT_HOLD = {
    "aws:cfg/conformancePack:ConformancePack": "moto implements no PutConformancePack (only the organization form)",
    "aws:securityhub/standardsSubscription:StandardsSubscription": "moto implements no BatchEnableStandards",
    "aws:accessanalyzer/analyzer:Analyzer": "moto has no IAM Access Analyzer backend",
    "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess": "moto implements no snapshot block public access",
    "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess": "moto implements no AMI block public access",
    "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan": (
        "moto has no Malware Protection for S3 (the audit tests stand in for its API: answer_malware_protection_plans)"
    ),
    "aws:rolesanywhere/trustAnchor:TrustAnchor": "moto has no Roles Anywhere backend (answer_roles_anywhere stands in)",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": (
        "moto implements no restore testing (CreateRestoreTestingPlan); answer_backup stands in for its reads"
    ),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": (
        "moto implements no restore testing (CreateRestoreTestingSelection); answer_backup stands in for its reads"
    ),
    "aws:rolesanywhere/profile:Profile": "moto has no Roles Anywhere backend (answer_roles_anywhere stands in)",
    "aws:ec2/placementGroup:PlacementGroup": "moto implements no CreatePlacementGroup (NotImplementedError)",
    "aws:backup/vaultPolicy:VaultPolicy": "moto implements no PutBackupVaultAccessPolicy",
    "aws:backup/selection:Selection": "moto implements no CreateBackupSelection",
    "aws:cloudcontrol/resource:Resource": "the Roles Anywhere CRL, through Cloud Control: moto has no Roles Anywhere backend",
}

BATCH_SERVICE_ROLE = "glz-test-batch-service"
REGION = "us-east-1"
# Fake credentials and moto settings; the demo state expects account 111122223333.
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "MOTO_ACCOUNT_ID": "111122223333",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # 2,600 default AMIs cost a second per account
    # AWS managed policies (AdministratorAccess, SecurityAudit...) exist only when loaded: ~0.2 s per account.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}


@functools.cache
def shared_boto() -> boto3.Session:
    """One boto3 session for the whole test run: service models load once, clients are cheap."""
    return boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing"
    )


@functools.cache
def shared_client(service: str) -> Any:
    """Clients are reusable across mock_aws contexts (moto intercepts every client created after its import)."""
    return shared_boto().client(service, region_name=REGION)


@functools.cache
def shared_session() -> AuditSession:
    """The audit's session for in-process runs; it keeps only clients, so tests can share it."""
    return AuditSession(boto=shared_boto(), region=REGION)


class MotoAccount:
    """A provisioned moto account and the deployed state that describes it."""

    def __init__(self, document: dict[str, Any]):
        self.deployed = provision(document, shared_client)
        self.state = StackState(self.deployed, "deployed-state.json")

    @staticmethod
    def client(service: str) -> Any:
        return shared_client(service)

    def audit(self, session: AuditSession | None = None) -> AuditRun:
        return run_audit(self.state, session or shared_session(), "demo")

    def output(self, *path: str) -> Any:
        value: Any = self.state.stack_outputs()
        for key in path:
            value = value[key]
        return value

    def physical(self, typ: str, name: str) -> Any:
        """The id of a declared resource by its logical name (e.g. the flow log's)."""
        return next(r.id for r in self.state.of_type(typ) if r.name == name)


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


class _Ids:
    """Ids the synthesized state guessed -> ids the account assigned; substitution for later inputs."""

    def __init__(self) -> None:
        self.map: dict[str, str] = {}

    def add(self, old: Any, new: str) -> None:
        if old and str(old) != new:
            self.map[str(old)] = new

    def sub(self, value: Any) -> Any:
        if isinstance(value, str):
            for old, new in self.map.items():
                value = value.replace(old, new)
            return value
        if isinstance(value, dict):
            return {k: self.sub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.sub(v) for v in value]
        return value


def _bool(value: Any) -> bool:
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _keys(state: StackState, client: Client, ids: _Ids) -> None:
    kms = client("kms")
    for key in state.of_type("aws:kms/key:Key"):
        # with the declared key policy, as `pulumi up` creates it (its guardrail denies are judged live)
        policy = key.prop("policy")
        extra = {"Policy": policy} if isinstance(policy, str) and policy else {}
        new = kms.create_key(Description=key.prop("description", ""), **extra)["KeyMetadata"]["KeyId"]
        ids.add(key.id, new)
        if _bool(key.prop("enableKeyRotation")):
            kms.enable_key_rotation(KeyId=new, RotationPeriodInDays=int(key.prop("rotationPeriodInDays", 365)))
    for alias in state.of_type("aws:kms/alias:Alias"):
        kms.create_alias(AliasName=alias.prop("name"), TargetKeyId=ids.sub(alias.prop("targetKeyId")))


def _iam(state: StackState, client: Client, ids: _Ids) -> None:
    iam = client("iam")
    for policy in state.of_type("aws:iam/policy:Policy"):
        iam.create_policy(PolicyName=policy.prop("name"), PolicyDocument=ids.sub(policy.prop("policy")))
    for role in state.of_type("aws:iam/role:Role"):
        params: dict[str, Any] = {
            "RoleName": role.prop("name"),
            "AssumeRolePolicyDocument": ids.sub(role.prop("assumeRolePolicy")),
        }
        if role.prop("maxSessionDuration"):
            params["MaxSessionDuration"] = int(role.prop("maxSessionDuration"))
        if role.prop("permissionsBoundary"):
            params["PermissionsBoundary"] = role.prop("permissionsBoundary")
        iam.create_role(**params)
    for linked in state.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole"):
        iam.create_service_linked_role(AWSServiceName=linked.prop("awsServiceName"))
    for profile in state.of_type("aws:iam/instanceProfile:InstanceProfile"):
        iam.create_instance_profile(InstanceProfileName=profile.prop("name"))
        iam.add_role_to_instance_profile(InstanceProfileName=profile.prop("name"), RoleName=profile.prop("role"))
    # The emulator's own Batch service role (moto needs one); confused-deputy safe as the AWS Batch User Guide's
    # "Cross-service confused deputy prevention" shows, so scanners see no weakness the stack does not have.
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "batch.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": state.stack_outputs()["accountId"]}},
            }
        ]
    }
    iam.create_role(RoleName=BATCH_SERVICE_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    policy = state.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    if policy:
        settings = {
            _pascal(k): (_bool(v) if isinstance(v, bool | str) else int(v)) for k, v in policy[0].inputs.items()
        }
        iam.update_account_password_policy(**settings)
    for contact in state.of_type("aws:account/alternativeContact:AlternativeContact"):
        client("account").put_alternate_contact(
            AlternateContactType=contact.prop("alternateContactType"),
            Name=contact.prop("name"),
            Title=contact.prop("title"),
            EmailAddress=contact.prop("emailAddress"),
            PhoneNumber=contact.prop("phoneNumber"),
        )


def _role_policies(state: StackState, client: Client, ids: _Ids) -> None:
    """Inline policies and managed-policy attachments, last: their documents name resources created after the
    roles (keys, buckets, log groups), with the ids the account assigned."""
    iam = client("iam")
    for policy in state.of_type("aws:iam/rolePolicy:RolePolicy"):
        role = policy.prop("role")
        name = policy.prop("name") or str(policy.id).removeprefix(f"{role}:")
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=ids.sub(policy.prop("policy")))
    for role in state.of_type("aws:iam/role:Role"):
        for entry in role.prop("inlinePolicies") or []:
            if entry.get("name"):
                iam.put_role_policy(
                    RoleName=role.prop("name"), PolicyName=entry["name"], PolicyDocument=ids.sub(entry["policy"])
                )
        for arn in role.prop("managedPolicyArns") or []:
            iam.attach_role_policy(RoleName=role.prop("name"), PolicyArn=arn)
    for attachment in state.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        iam.attach_role_policy(RoleName=attachment.prop("role"), PolicyArn=attachment.prop("policyArn"))


def _session_preferences(state: StackState, client: Client, ids: _Ids) -> None:
    """The Session document with the account's real key id (its content names the session key)."""
    for document in state.of_type("aws:ssm/document:Document"):
        client("ssm").create_document(
            Name=document.prop("name"),
            Content=ids.sub(document.prop("content")),
            DocumentType=document.prop("documentType"),
            DocumentFormat=document.prop("documentFormat") or "JSON",
        )


def _finding_alerts(state: StackState, client: Client, ids: _Ids) -> None:
    """The EventBridge rules, their log-group targets and the log group's delivery policy."""
    logs, events = client("logs"), client("events")
    for policy in state.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy"):
        logs.put_resource_policy(
            policyName=policy.prop("policyName"), policyDocument=ids.sub(policy.prop("policyDocument"))
        )
    for rule in state.of_type("aws:cloudwatch/eventRule:EventRule"):
        arn = events.put_rule(
            Name=rule.prop("name"),
            EventPattern=rule.prop("eventPattern"),
            State=rule.prop("state") or "ENABLED",
            Description=rule.prop("description") or "",
        )["RuleArn"]
        ids.add(rule.outputs.get("arn"), arn)
    for target in state.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        spec = {"Id": target.prop("targetId"), "Arn": ids.sub(target.prop("arn"))}
        if target.prop("roleArn"):
            spec["RoleArn"] = ids.sub(target.prop("roleArn"))
        events.put_targets(Rule=target.prop("rule"), Targets=[spec])


def _run_tracking(state: StackState, client: Client, ids: _Ids) -> None:
    """The runs table, the workflow and the intake bucket's EventBridge notifications."""
    dynamodb, sfn, s3 = client("dynamodb"), client("stepfunctions"), client("s3")
    for table in state.of_type("aws:dynamodb/table:Table"):
        keys = [("HASH", table.prop("hashKey")), ("RANGE", table.prop("rangeKey"))]
        sse = table.prop("serverSideEncryption") or {}
        dynamodb.create_table(
            TableName=table.prop("name"),
            BillingMode=table.prop("billingMode") or "PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": name, "KeyType": kind} for kind, name in keys if name],
            AttributeDefinitions=[
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in table.prop("attributes")
            ],
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": ids.sub(sse.get("kmsKeyArn"))},
            DeletionProtectionEnabled=_bool(table.prop("deletionProtectionEnabled")),
        )
        if _bool((table.prop("pointInTimeRecovery") or {}).get("enabled")):
            dynamodb.update_continuous_backups(
                TableName=table.prop("name"),
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
    for machine in state.of_type("aws:sfn/stateMachine:StateMachine"):
        logging = machine.prop("loggingConfiguration") or {}
        arn = sfn.create_state_machine(
            name=machine.prop("name"),
            definition=ids.sub(machine.prop("definition")),
            roleArn=ids.sub(machine.prop("roleArn")),
            type=machine.prop("type") or "STANDARD",
            loggingConfiguration={
                "level": logging.get("level", "OFF"),
                "includeExecutionData": _bool(logging.get("includeExecutionData")),
                "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": ids.sub(logging.get("logDestination"))}}],
            },
            tracingConfiguration={"enabled": _bool((machine.prop("tracingConfiguration") or {}).get("enabled"))},
            **(
                {
                    "encryptionConfiguration": {
                        "type": encryption["type"],
                        **({"kmsKeyId": ids.sub(encryption["kmsKeyId"])} if encryption.get("kmsKeyId") else {}),
                    }
                }
                if (encryption := machine.prop("encryptionConfiguration") or {})
                else {}
            ),
        )["stateMachineArn"]
        ids.add(machine.outputs.get("arn"), arn)
    for notification in state.of_type("aws:s3/bucketNotification:BucketNotification"):
        if _bool(notification.prop("eventbridge")):
            s3.put_bucket_notification_configuration(
                Bucket=notification.prop("bucket"),
                NotificationConfiguration={"EventBridgeConfiguration": {}},
            )


def _deployer(state: StackState, client: Client) -> None:
    """The role that runs `pulumi up`, as the runbook sets it up: trusted by the account, holding exactly the
    managed policies `glz deployer-policy` writes for this stack."""
    iam = client("iam")
    scope = deployer_policy.scope_of_state(state)
    docs = deployer_policy.documents(scope, state)
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{scope.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    for arn in state.stack_outputs().get("deployerPrincipalArns") or []:
        role = str(arn).rsplit("/", 1)[-1]
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        for number, doc in enumerate(docs, 1):
            name = f"{scope.name_prefix}-{scope.stack}-deployer-{number}"
            policy = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
            iam.attach_role_policy(RoleName=role, PolicyArn=policy)


def _log_groups(state: StackState, client: Client, ids: _Ids) -> None:
    logs = client("logs")
    for group in state.of_type("aws:cloudwatch/logGroup:LogGroup"):
        logs.create_log_group(logGroupName=group.prop("name"), kmsKeyId=ids.sub(group.prop("kmsKeyId")))
        if group.prop("retentionInDays"):
            logs.put_retention_policy(
                logGroupName=group.prop("name"), retentionInDays=int(group.prop("retentionInDays"))
            )


ACL_PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}


def _acl_entries(ec2: Any, acl_id: str, acl: Resource) -> None:
    for egress, key in ((False, "ingress"), (True, "egress")):
        for entry in acl.prop(key) or []:
            ec2.create_network_acl_entry(
                NetworkAclId=acl_id,
                RuleNumber=int(entry["ruleNo"]),
                Protocol=ACL_PROTOCOLS.get(str(entry["protocol"]), str(entry["protocol"])),
                RuleAction=entry["action"],
                Egress=egress,
                CidrBlock=entry["cidrBlock"],
                PortRange={"From": int(entry["fromPort"]), "To": int(entry["toPort"])},
            )


def _network_acls(state: StackState, ec2: Any, ids: _Ids) -> None:
    """The subnet ACL with its entries and subnets (moved off the default ACL), and the default ACL emptied of
    AWS's allow-all rules (100 in and out) as DefaultNetworkAcl leaves it."""
    for acl in state.of_type("aws:ec2/networkAcl:NetworkAcl"):
        new = ec2.create_network_acl(VpcId=ids.sub(acl.prop("vpcId")))["NetworkAcl"]["NetworkAclId"]
        ids.add(acl.id, new)
        _acl_entries(ec2, new, acl)
        for subnet in ids.sub(acl.prop("subnetIds") or []):
            held = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
            association = next(
                a["NetworkAclAssociationId"] for a in held["NetworkAcls"][0]["Associations"] if a["SubnetId"] == subnet
            )
            ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=new)
    for default in state.of_type("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"):
        acl_id = ids.sub(default.prop("defaultNetworkAclId"))
        ids.add(default.id, acl_id)
        live = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
        for entry in live["Entries"]:
            if entry["RuleNumber"] != ACL_DEFAULT_RULE:
                ec2.delete_network_acl_entry(
                    NetworkAclId=acl_id, RuleNumber=entry["RuleNumber"], Egress=entry["Egress"]
                )
        _acl_entries(ec2, acl_id, default)


ACL_DEFAULT_RULE = 32767
"""The implicit deny every ACL ends with (DescribeNetworkAcls lists it; it cannot be changed)."""


def delete_default_vpc(ec2: Any) -> None:
    """What the runbook asks of every region the stack uses: the default VPC (moto creates one) deleted."""
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
        vpc_id = vpc["VpcId"]
        for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
        for gateway in gateways["InternetGateways"]:
            ec2.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
            ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
        ec2.delete_vpc(VpcId=vpc_id)


def _network(state: StackState, client: Client, ids: _Ids) -> None:
    ec2 = client("ec2")
    delete_default_vpc(ec2)
    for vpc in state.of_type("aws:ec2/vpc:Vpc"):
        new = ec2.create_vpc(CidrBlock=vpc.prop("cidrBlock"))["Vpc"]["VpcId"]
        ids.add(vpc.id, new)
        groups = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [new]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"]
        ids.add(vpc.outputs.get("defaultSecurityGroupId"), groups[0]["GroupId"])
        acls = ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [new]}, {"Name": "default", "Values": ["true"]}]
        )["NetworkAcls"]
        ids.add(vpc.outputs.get("defaultNetworkAclId"), acls[0]["NetworkAclId"])
    for options in state.of_type("aws:ec2/vpcDhcpOptions:VpcDhcpOptions"):
        settings = {
            "domain-name": [options.prop("domainName")],
            "domain-name-servers": options.prop("domainNameServers"),
            "ntp-servers": options.prop("ntpServers"),
        }
        configurations = [{"Key": k, "Values": [str(v) for v in vs]} for k, vs in settings.items() if vs and vs[0]]
        ids.add(options.id, ec2.create_dhcp_options(DhcpConfigurations=configurations)["DhcpOptions"]["DhcpOptionsId"])
    for association in state.of_type("aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation"):
        ec2.associate_dhcp_options(
            DhcpOptionsId=ids.sub(association.prop("dhcpOptionsId")), VpcId=ids.sub(association.prop("vpcId"))
        )
    for subnet in state.of_type("aws:ec2/subnet:Subnet"):
        new = ec2.create_subnet(
            VpcId=ids.sub(subnet.prop("vpcId")),
            CidrBlock=subnet.prop("cidrBlock"),
            AvailabilityZone=subnet.prop("availabilityZone"),
        )["Subnet"]["SubnetId"]
        ids.add(subnet.id, new)
        # moto answers MapPublicIpOnLaunch true for a new subnet; the state says what the stack sets
        public = _bool(subnet.prop("mapPublicIpOnLaunch"))
        ec2.modify_subnet_attribute(SubnetId=new, MapPublicIpOnLaunch={"Value": public})
    for table in state.of_type("aws:ec2/routeTable:RouteTable"):
        ids.add(table.id, ec2.create_route_table(VpcId=ids.sub(table.prop("vpcId")))["RouteTable"]["RouteTableId"])
    for association in state.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        ec2.associate_route_table(
            RouteTableId=ids.sub(association.prop("routeTableId")), SubnetId=ids.sub(association.prop("subnetId"))
        )
    for group in state.of_type("aws:ec2/securityGroup:SecurityGroup"):
        new = ec2.create_security_group(
            GroupName=group.prop("name"), Description=group.prop("description"), VpcId=ids.sub(group.prop("vpcId"))
        )["GroupId"]
        ids.add(group.id, new)
    _security_group_rules(state, ec2, ids)
    for default in state.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        live = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [ids.sub(default.prop("vpcId"))]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"][0]
        ids.add(default.id, live["GroupId"])
        if not default.prop("egress") and live["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=live["GroupId"], IpPermissions=live["IpPermissionsEgress"])
        if not default.prop("ingress") and live["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=live["GroupId"], IpPermissions=live["IpPermissions"])
    _network_acls(state, ec2, ids)
    for gateway in state.of_type("aws:ec2/vpnGateway:VpnGateway"):
        new = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        ec2.attach_vpn_gateway(VpcId=ids.sub(gateway.prop("vpcId")), VpnGatewayId=new)
        ids.add(gateway.id, new)
    for route in state.of_type("aws:ec2/route:Route"):
        ec2.create_route(
            RouteTableId=ids.sub(route.prop("routeTableId")),
            DestinationCidrBlock=route.prop("destinationCidrBlock"),
            GatewayId=ids.sub(route.prop("gatewayId")),
        )
    for customer in state.of_type("aws:ec2/customerGateway:CustomerGateway"):
        new = ec2.create_customer_gateway(
            Type="ipsec.1", PublicIp=customer.prop("ipAddress"), BgpAsn=int(customer.prop("bgpAsn") or 65000)
        )["CustomerGateway"]["CustomerGatewayId"]
        ids.add(customer.id, new)
    for connection in state.of_type("aws:ec2/vpnConnection:VpnConnection"):
        new = ec2.create_vpn_connection(
            Type="ipsec.1",
            CustomerGatewayId=ids.sub(connection.prop("customerGatewayId")),
            VpnGatewayId=ids.sub(connection.prop("vpnGatewayId")),
        )["VpnConnection"]["VpnConnectionId"]
        ids.add(connection.id, new)
    for endpoint in state.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        params: dict[str, Any] = {
            "VpcId": ids.sub(endpoint.prop("vpcId")),
            "ServiceName": endpoint.prop("serviceName"),
            "VpcEndpointType": endpoint.prop("vpcEndpointType"),
        }
        for state_key, api_key in (
            ("subnetIds", "SubnetIds"),
            ("securityGroupIds", "SecurityGroupIds"),
            ("routeTableIds", "RouteTableIds"),
        ):
            if endpoint.prop(state_key):
                params[api_key] = ids.sub(endpoint.prop(state_key))
        if endpoint.prop("privateDnsEnabled") is not None:
            params["PrivateDnsEnabled"] = _bool(endpoint.prop("privateDnsEnabled"))
        if endpoint.prop("policy"):
            params["PolicyDocument"] = ids.sub(endpoint.prop("policy"))
        created = ec2.create_vpc_endpoint(**params)["VpcEndpoint"]
        ids.add(endpoint.id, created["VpcEndpointId"])
        # AWS gives an interface endpoint's network interfaces its security groups; moto's carry none
        for interface in created.get("NetworkInterfaceIds") or []:
            if params.get("SecurityGroupIds"):
                ec2.modify_network_interface_attribute(NetworkInterfaceId=interface, Groups=params["SecurityGroupIds"])
    for resolver in state.of_type("aws:route53/resolverEndpoint:ResolverEndpoint"):
        client("route53resolver").create_resolver_endpoint(
            CreatorRequestId=resolver.id,
            Name=resolver.prop("name"),
            Direction=resolver.prop("direction"),
            SecurityGroupIds=ids.sub(resolver.prop("securityGroupIds")),
            IpAddresses=[{"SubnetId": ids.sub(a["subnetId"])} for a in resolver.prop("ipAddresses")],
        )
    for flow in state.of_type("aws:ec2/flowLog:FlowLog"):
        answer = ec2.create_flow_logs(
            ResourceIds=[ids.sub(flow.prop("vpcId"))],
            ResourceType="VPC",
            TrafficType=flow.prop("trafficType"),
            **flow_log_destination(flow.prop("logDestinationType"), flow.prop("logDestination")),
            DeliverLogsPermissionArn=flow.prop("iamRoleArn"),
            MaxAggregationInterval=int(flow.prop("maxAggregationInterval", 600)),
        )
        ids.add(flow.id, answer["FlowLogIds"][0])
    if state.of_type("aws:ebs/encryptionByDefault:EncryptionByDefault"):
        ec2.enable_ebs_encryption_by_default()
    for key in state.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey"):
        ec2.modify_ebs_default_kms_key_id(KmsKeyId=ids.sub(key.prop("keyArn")))


def _permission(rule: dict[str, Any], group_id: str) -> dict[str, Any]:
    """A state rule (inline block, aws:vpc or aws:ec2 rule resource, ids substituted) -> an IpPermission."""
    protocol = str(rule.get("ipProtocol", rule.get("protocol")))
    permission: dict[str, Any] = {"IpProtocol": "-1" if protocol in ("-1", "all") else protocol}
    if permission["IpProtocol"] != "-1":
        permission.update(FromPort=int(rule["fromPort"]), ToPort=int(rule["toPort"]))
    described = {"Description": rule["description"]} if rule.get("description") else {}
    cidrs = [*(rule.get("cidrBlocks") or []), *([rule["cidrIpv4"]] if rule.get("cidrIpv4") else [])]
    groups = [*(rule.get("securityGroups") or [])]
    for key in ("referencedSecurityGroupId", "sourceSecurityGroupId"):
        if rule.get(key):
            groups.append(rule[key])
    if _bool(rule.get("self", False)):
        groups.append(group_id)
    if cidrs:
        permission["IpRanges"] = [{"CidrIp": c, **described} for c in cidrs]
    if groups:
        permission["UserIdGroupPairs"] = [{"GroupId": g, **described} for g in groups]
    return permission


def _security_group_rules(state: StackState, ec2: Any, ids: _Ids) -> None:
    """Rules as `pulumi up` leaves them: AWS's default allow-all egress removed (the provider does that for
    every group it creates), then the inline blocks and the stand-alone rule resources."""
    for group in state.of_type("aws:ec2/securityGroup:SecurityGroup"):
        group_id = ids.sub(group.id)
        live = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        if live["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=live["IpPermissionsEgress"])
        for rule in ids.sub(group.prop("ingress") or []):
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[_permission(rule, group_id)])
        for rule in ids.sub(group.prop("egress") or []):
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[_permission(rule, group_id)])
    rules = [
        *(("ingress", r) for r in state.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")),
        *(("egress", r) for r in state.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")),
        *((r.prop("type"), r) for r in state.of_type("aws:ec2/securityGroupRule:SecurityGroupRule")),
    ]
    for direction, resource in rules:
        rule = ids.sub(resource.inputs)
        authorize = (
            ec2.authorize_security_group_ingress if direction == "ingress" else ec2.authorize_security_group_egress
        )
        authorize(GroupId=rule["securityGroupId"], IpPermissions=[_permission(rule, rule["securityGroupId"])])


def flow_log_destination(kind: str, destination: str) -> dict[str, str]:
    """CloudWatch Logs destinations by group name (moto checks the group exists only when given its name)."""
    if kind == "cloud-watch-logs":
        return {"LogDestinationType": kind, "LogGroupName": destination.split(":log-group:", 1)[1].removesuffix(":*")}
    return {"LogDestinationType": kind, "LogDestination": destination}


def lifecycle_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """State lifecycle rules (camelCase) -> PutBucketLifecycleConfiguration rules."""
    converted = []
    for rule in rules:
        out: dict[str, Any] = {
            "ID": rule["id"],
            "Status": rule["status"],
            "Filter": {"Prefix": rule["filter"]["prefix"]},
        }
        if "abortIncompleteMultipartUpload" in rule:
            out["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": int(rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"])
            }
        if "expiration" in rule:
            expiration = rule["expiration"]
            out["Expiration"] = (
                {"Days": int(expiration["days"])}
                if "days" in expiration
                else {"ExpiredObjectDeleteMarker": _bool(expiration["expiredObjectDeleteMarker"])}
            )
        if "noncurrentVersionExpiration" in rule:
            out["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(rule["noncurrentVersionExpiration"]["noncurrentDays"])
            }
        if "transitions" in rule:
            out["Transitions"] = [
                {"Days": int(t["days"]), "StorageClass": t["storageClass"]} for t in rule["transitions"]
            ]
        if "noncurrentVersionTransitions" in rule:
            out["NoncurrentVersionTransitions"] = [
                {"NoncurrentDays": int(t["noncurrentDays"]), "StorageClass": t["storageClass"]}
                for t in rule["noncurrentVersionTransitions"]
            ]
        converted.append(out)
    return converted


def _buckets(state: StackState, client: Client, ids: _Ids, account: str) -> None:
    s3 = client("s3")
    for bucket in state.of_type("aws:s3/bucket:Bucket"):
        s3.create_bucket(
            Bucket=bucket.prop("bucket"), ObjectLockEnabledForBucket=_bool(bucket.prop("objectLockEnabled"))
        )

    def each(typ: str) -> list[Any]:
        return state.of_type(typ)

    for policy in each("aws:s3/bucketPolicy:BucketPolicy"):
        s3.put_bucket_policy(Bucket=policy.prop("bucket"), Policy=ids.sub(policy.prop("policy")))
    for block in each("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        s3.put_public_access_block(
            Bucket=block.prop("bucket"),
            PublicAccessBlockConfiguration={
                _pascal(k): _bool(block.prop(k))
                for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
            },
        )
    for ownership in each("aws:s3/bucketOwnershipControls:BucketOwnershipControls"):
        s3.put_bucket_ownership_controls(
            Bucket=ownership.prop("bucket"),
            OwnershipControls={"Rules": [{"ObjectOwnership": ownership.prop("rule")["objectOwnership"]}]},
        )
    for encryption in each("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
        rules = []
        for rule in encryption.prop("rules"):
            default = rule["applyServerSideEncryptionByDefault"]
            converted: dict[str, Any] = {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": default["sseAlgorithm"],
                    "KMSMasterKeyID": ids.sub(default["kmsMasterKeyId"]),
                },
                "BucketKeyEnabled": _bool(rule.get("bucketKeyEnabled")),
            }
            if rule.get("blockedEncryptionTypes"):
                converted["BlockedEncryptionTypes"] = {"EncryptionType": rule["blockedEncryptionTypes"]}
            rules.append(converted)
        s3.put_bucket_encryption(Bucket=encryption.prop("bucket"), ServerSideEncryptionConfiguration={"Rules": rules})
    for versioning in each("aws:s3/bucketVersioning:BucketVersioning"):
        s3.put_bucket_versioning(
            Bucket=versioning.prop("bucket"),
            VersioningConfiguration={"Status": versioning.prop("versioningConfiguration")["status"]},
        )
    for lifecycle in each("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        s3.put_bucket_lifecycle_configuration(
            Bucket=lifecycle.prop("bucket"), LifecycleConfiguration={"Rules": lifecycle_rules(lifecycle.prop("rules"))}
        )
    for lock in each("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"):
        retention = lock.prop("rule")["defaultRetention"]
        s3.put_object_lock_configuration(
            Bucket=lock.prop("bucket"),
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": retention["mode"], "Days": int(retention["days"])}},
            },
        )
    for logging in each("aws:s3/bucketLogging:BucketLogging"):
        s3.put_bucket_logging(
            Bucket=logging.prop("bucket"),
            BucketLoggingStatus={
                "LoggingEnabled": {
                    "TargetBucket": logging.prop("targetBucket"),
                    "TargetPrefix": logging.prop("targetPrefix"),
                }
            },
        )
    for block in each("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"):
        client("s3control").put_public_access_block(
            AccountId=account,
            PublicAccessBlockConfiguration={
                _pascal(k): _bool(block.prop(k))
                for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
            },
        )


FIELD_OPERATORS = {
    "equals": "Equals",
    "startsWiths": "StartsWith",
    "endsWiths": "EndsWith",
    "notEquals": "NotEquals",
    "notStartsWiths": "NotStartsWith",
    "notEndsWiths": "NotEndsWith",
}


def advanced_selectors(selectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """State advancedEventSelectors -> PutEventSelectors AdvancedEventSelectors."""
    return [
        {
            "Name": s["name"],
            "FieldSelectors": [
                {"Field": f["field"], **{FIELD_OPERATORS[k]: v for k, v in f.items() if k in FIELD_OPERATORS}}
                for f in s["fieldSelectors"]
            ],
        }
        for s in selectors
    ]


def _trail(state: StackState, client: Client, ids: _Ids) -> None:
    cloudtrail = client("cloudtrail")
    for trail in state.of_type("aws:cloudtrail/trail:Trail"):
        cloudtrail.create_trail(
            Name=trail.prop("name"),
            S3BucketName=trail.prop("s3BucketName"),
            IsMultiRegionTrail=_bool(trail.prop("isMultiRegionTrail")),
            EnableLogFileValidation=_bool(trail.prop("enableLogFileValidation")),
            IncludeGlobalServiceEvents=_bool(trail.prop("includeGlobalServiceEvents")),
            KmsKeyId=ids.sub(trail.prop("kmsKeyId")),
            CloudWatchLogsLogGroupArn=trail.prop("cloudWatchLogsGroupArn"),
            CloudWatchLogsRoleArn=trail.prop("cloudWatchLogsRoleArn"),
        )
        cloudtrail.put_event_selectors(
            TrailName=trail.prop("name"),
            AdvancedEventSelectors=advanced_selectors(trail.prop("advancedEventSelectors")),
        )
        insights = [{"InsightType": i["insightType"]} for i in trail.prop("insightSelectors") or []]
        if insights:
            cloudtrail.put_insight_selectors(TrailName=trail.prop("name"), InsightSelectors=insights)
        if _bool(trail.prop("enableLogging", True)):
            cloudtrail.start_logging(Name=trail.prop("name"))


# LogMetricFilter / MetricAlarm state keys -> PutMetricAlarm parameters, passed when the state declares them.
ALARM_PARAMETERS = {
    "alarmDescription": "AlarmDescription",
    "actionsEnabled": "ActionsEnabled",
    "alarmActions": "AlarmActions",
    "okActions": "OKActions",
    "insufficientDataActions": "InsufficientDataActions",
    "metricName": "MetricName",
    "namespace": "Namespace",
    "statistic": "Statistic",
    "period": "Period",
    "evaluationPeriods": "EvaluationPeriods",
    "threshold": "Threshold",
    "comparisonOperator": "ComparisonOperator",
    "treatMissingData": "TreatMissingData",
}


def _alarms(state: StackState, client: Client, ids: _Ids) -> None:
    sns = client("sns")
    for topic in state.of_type("aws:sns/topic:Topic"):
        attributes = {"KmsMasterKeyId": ids.sub(topic.prop("kmsMasterKeyId"))} if topic.prop("kmsMasterKeyId") else {}
        ids.add(topic.id, sns.create_topic(Name=topic.prop("name"), Attributes=attributes)["TopicArn"])
    for policy in state.of_type("aws:sns/topicPolicy:TopicPolicy"):
        sns.set_topic_attributes(
            TopicArn=ids.sub(policy.prop("arn")), AttributeName="Policy", AttributeValue=ids.sub(policy.prop("policy"))
        )
    logs = client("logs")
    for metric_filter in state.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter"):
        transformation = metric_filter.prop("metricTransformation")
        logs.put_metric_filter(
            logGroupName=metric_filter.prop("logGroupName"),
            filterName=metric_filter.prop("name"),
            filterPattern=metric_filter.prop("pattern"),
            metricTransformations=[
                {
                    "metricName": transformation["name"],
                    "metricNamespace": transformation["namespace"],
                    "metricValue": str(transformation["value"]),
                }
            ],
        )
    cloudwatch = client("cloudwatch")
    for alarm in state.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        params = {api: ids.sub(alarm.prop(key)) for key, api in ALARM_PARAMETERS.items() if alarm.prop(key) is not None}
        for key in ("Period", "EvaluationPeriods"):
            if key in params:
                params[key] = int(params[key])
        if "Threshold" in params:
            params["Threshold"] = float(params["Threshold"])
        if "ActionsEnabled" in params:
            params["ActionsEnabled"] = _bool(params["ActionsEnabled"])
        cloudwatch.put_metric_alarm(AlarmName=alarm.prop("name"), **params)


def _reference_data(state: StackState, client: Client, ids: _Ids) -> None:
    efs = client("efs")
    backups = {
        str(policy.prop("fileSystemId"))
        for policy in state.of_type("aws:efs/backupPolicy:BackupPolicy")
        if (policy.prop("backupPolicy") or {}).get("status") == "ENABLED"
    }
    for system in state.of_type("aws:efs/fileSystem:FileSystem"):
        params: dict[str, Any] = {
            "CreationToken": system.prop("creationToken"),
            "Encrypted": _bool(system.prop("encrypted")),
            "PerformanceMode": system.prop("performanceMode", "generalPurpose"),
            "ThroughputMode": system.prop("throughputMode", "bursting"),
            # moto has no PutBackupPolicy (NotImplementedError), which is how Pulumi's BackupPolicy resource
            # turns backups on; CreateFileSystem's Backup=True enables the same automatic backup policy.
            "Backup": system.id in backups,
        }
        if system.prop("kmsKeyId"):
            params["KmsKeyId"] = ids.sub(system.prop("kmsKeyId"))
        ids.add(system.id, efs.create_file_system(**params)["FileSystemId"])
    for target in state.of_type("aws:efs/mountTarget:MountTarget"):
        efs.create_mount_target(
            FileSystemId=ids.sub(target.prop("fileSystemId")),
            SubnetId=ids.sub(target.prop("subnetId")),
            SecurityGroups=ids.sub(target.prop("securityGroups") or []),
        )
    for point in state.of_type("aws:efs/accessPoint:AccessPoint"):
        user, root = point.prop("posixUser") or {}, point.prop("rootDirectory") or {}
        creation = root.get("creationInfo") or {}
        efs.create_access_point(
            FileSystemId=ids.sub(point.prop("fileSystemId")),
            PosixUser={"Uid": int(user["uid"]), "Gid": int(user["gid"])},
            RootDirectory={
                "Path": root["path"],
                "CreationInfo": {
                    "OwnerUid": int(creation["ownerUid"]),
                    "OwnerGid": int(creation["ownerGid"]),
                    "Permissions": str(creation["permissions"]),
                },
            },
        )
    for policy in state.of_type("aws:efs/fileSystemPolicy:FileSystemPolicy"):
        efs.put_file_system_policy(
            FileSystemId=ids.sub(policy.prop("fileSystemId")),
            Policy=ids.sub(policy.prop("policy")),
            BypassPolicyLockoutSafetyCheck=_bool(policy.prop("bypassPolicyLockoutSafetyCheck", False)),
        )


def _security_services(state: StackState, client: Client, ids: _Ids) -> None:
    config = client("config")
    for recorder in state.of_type("aws:cfg/recorder:Recorder"):
        group = recorder.prop("recordingGroup")
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": recorder.prop("name"),
                "roleARN": recorder.prop("roleArn"),
                "recordingGroup": {
                    "allSupported": _bool(group["allSupported"]),
                    "includeGlobalResourceTypes": _bool(group["includeGlobalResourceTypes"]),
                },
            }
        )
    for channel in state.of_type("aws:cfg/deliveryChannel:DeliveryChannel"):
        config.put_delivery_channel(
            DeliveryChannel={
                "name": channel.prop("name"),
                "s3BucketName": channel.prop("s3BucketName"),
                "s3KeyPrefix": channel.prop("s3KeyPrefix"),
                "s3KmsKeyArn": ids.sub(channel.prop("s3KmsKeyArn")),
            }
        )
    for status in state.of_type("aws:cfg/recorderStatus:RecorderStatus"):
        if _bool(status.prop("isEnabled")):
            config.start_configuration_recorder(ConfigurationRecorderName=status.prop("name"))
    features = [
        {"Name": f.prop("name"), "Status": f.prop("status")}
        for f in state.of_type("aws:guardduty/detectorFeature:DetectorFeature")
    ]
    for detector in state.of_type("aws:guardduty/detector:Detector"):
        new = client("guardduty").create_detector(
            Enable=_bool(detector.prop("enable")),
            FindingPublishingFrequency=detector.prop("findingPublishingFrequency"),
            Features=features,
        )["DetectorId"]
        ids.add(detector.id, new)
    if state.of_type("aws:securityhub/account:Account"):
        client("securityhub").enable_security_hub(EnableDefaultStandards=False)
        # Standards subscriptions: moto has no BatchEnableStandards (see MOTO_GAPS).
    # Malware Protection for S3 plans: moto has no CreateMalwareProtectionPlan (see MOTO_GAPS); their scan
    # roles are created by _iam with the other roles. answer_malware_protection_plans stands in for the API.
    for enabler in state.of_type("aws:inspector2/enabler:Enabler"):
        client("inspector2").enable(
            accountIds=[str(a) for a in enabler.prop("accountIds")],
            resourceTypes=[str(t) for t in enabler.prop("resourceTypes")],
        )


def _compute(state: StackState, client: Client, ids: _Ids, account: str) -> None:
    ec2 = client("ec2")
    for template in state.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        options = template.prop("metadataOptions")
        data = {
            "MetadataOptions": {
                "HttpTokens": options["httpTokens"],
                "HttpPutResponseHopLimit": int(options["httpPutResponseHopLimit"]),
                "HttpEndpoint": options["httpEndpoint"],
            },
            "BlockDeviceMappings": [
                {
                    "DeviceName": m["deviceName"],
                    "Ebs": {
                        "Encrypted": _bool(m["ebs"]["encrypted"]),
                        "KmsKeyId": ids.sub(m["ebs"]["kmsKeyId"]),
                        "VolumeSize": int(m["ebs"]["volumeSize"]),
                        "VolumeType": m["ebs"]["volumeType"],
                        "DeleteOnTermination": _bool(m["ebs"]["deleteOnTermination"]),
                    },
                }
                for m in template.prop("blockDeviceMappings")
            ],
        }
        if template.prop("userData"):
            data["UserData"] = template.prop("userData")
        answer = ec2.create_launch_template(LaunchTemplateName=template.prop("name"), LaunchTemplateData=data)
        ids.add(template.id, answer["LaunchTemplate"]["LaunchTemplateId"])
    batch = client("batch")
    for environment in state.of_type("aws:batch/computeEnvironment:ComputeEnvironment"):
        batch.create_compute_environment(**compute_environment_request(environment.inputs, ids.sub, account))
    for definition in state.of_type("aws:batch/jobDefinition:JobDefinition"):
        arn = batch.register_job_definition(**job_definition_request(ids.sub(definition.inputs)))["jobDefinitionArn"]
        ids.add(definition.outputs.get("arn"), arn)
    for queue in state.of_type("aws:batch/jobQueue:JobQueue"):
        arn = batch.create_job_queue(
            jobQueueName=queue.prop("name"),
            state=queue.prop("state") or "ENABLED",
            priority=int(queue.prop("priority")),
            computeEnvironmentOrder=[
                {"order": int(o["order"]), "computeEnvironment": ids.sub(o["computeEnvironment"])}
                for o in queue.prop("computeEnvironmentOrders")
            ],
        )["jobQueueArn"]
        ids.add(queue.outputs.get("arn"), arn)


def job_definition_request(inputs: dict[str, Any]) -> dict[str, Any]:
    """State job definition inputs -> RegisterJobDefinition parameters (containerProperties is a JSON string in
    the state; the provider's `evaluateOnExits` is the API's `evaluateOnExit`)."""
    request: dict[str, Any] = {"jobDefinitionName": inputs["name"], "type": inputs["type"]}
    if inputs.get("containerProperties"):
        request["containerProperties"] = json.loads(inputs["containerProperties"])
    for key in ("platformCapabilities", "tags"):
        if inputs.get(key):
            request[key] = inputs[key]
    if inputs.get("propagateTags") is not None:
        request["propagateTags"] = _bool(inputs["propagateTags"])
    if inputs.get("timeout"):
        request["timeout"] = {"attemptDurationSeconds": int(inputs["timeout"]["attemptDurationSeconds"])}
    strategy = inputs.get("retryStrategy")
    if strategy:
        request["retryStrategy"] = {
            "attempts": int(strategy["attempts"]),
            "evaluateOnExit": strategy.get("evaluateOnExits") or [],
        }
    return request


def compute_environment_request(inputs: dict[str, Any], sub: Callable[[Any], Any], account: str) -> dict[str, Any]:
    """State compute environment inputs -> CreateComputeEnvironment parameters."""
    resources = sub(inputs["computeResources"])
    renamed = {"maxVcpus": "maxvCpus", "minVcpus": "minvCpus", "desiredVcpus": "desiredvCpus"}
    request = {renamed.get(k, k): v for k, v in resources.items() if k not in ("ec2Configurations", "placementGroup")}
    request["ec2Configuration"] = resources.get("ec2Configurations", [])
    return {
        "computeEnvironmentName": inputs["name"],
        "type": inputs["type"],
        "state": inputs["state"],
        "serviceRole": f"arn:aws:iam::{account}:role/{BATCH_SERVICE_ROLE}",
        "computeResources": request,
    }


MALWARE_PLAN_OPERATIONS = ("ListMalwareProtectionPlans", "GetMalwareProtectionPlan")


def declared_malware_plans(state: StackState) -> list[dict[str, Any]]:
    """GetMalwareProtectionPlan answers for the plans the state declares, as GuardDuty would give them for a
    working deployment (ACTIVE, the declared role, bucket and tagging)."""
    plans = []
    for plan in state.of_type("aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"):
        s3_bucket = (plan.prop("protectedResource") or {}).get("s3Bucket") or {}
        status = plan.prop("actions")[0]["taggings"][0]["status"]
        plans.append(
            {
                "MalwareProtectionPlanId": str(plan.id),
                "Arn": plan.prop("arn"),
                "Role": plan.prop("role"),
                "ProtectedResource": {
                    "S3Bucket": {
                        "BucketName": s3_bucket["bucketName"],
                        "ObjectPrefixes": s3_bucket.get("objectPrefixes") or [],
                    }
                },
                "Actions": {"Tagging": {"Status": status}},
                "Status": "ACTIVE",
            }
        )
    return plans


def answer_malware_protection_plans(session: AuditSession, plans: list[dict[str, Any]]) -> None:
    """Answer ListMalwareProtectionPlans and GetMalwareProtectionPlan, which moto lacks, from ``plans``
    (GetMalwareProtectionPlan answers plus their MalwareProtectionPlanId) before the request is sent.

    Registered on the generic before-call event, so handlers registered before it (the permissions test's
    call recorder) still see each call; an unknown plan ID answers 404 like GuardDuty's ResourceNotFound."""
    from botocore.awsrequest import AWSResponse

    by_id = {p["MalwareProtectionPlanId"]: p for p in plans}

    def handler(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.service_model.service_name != "guardduty" or model.name not in MALWARE_PLAN_OPERATIONS:
            return None
        if model.name == "ListMalwareProtectionPlans":
            listed = [{"MalwareProtectionPlanId": plan_id} for plan_id in by_id]
            return AWSResponse("https://guardduty", 200, {}, None), {"MalwareProtectionPlans": listed}
        plan_id = str(params.get("url_path", "")).rsplit("/", 1)[-1]
        if plan_id not in by_id:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": f"no plan {plan_id}"}}
            return AWSResponse("https://guardduty", 404, {}, None), error
        answer = {k: v for k, v in by_id[plan_id].items() if k != "MalwareProtectionPlanId"}
        return AWSResponse("https://guardduty", 200, {}, None), answer

    session.events.register("before-call", handler)


def answer_access_analyzer(
    session: AuditSession,
    names: list[str],
    errors: dict[str, str] | None = None,
    unused: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Answer ListAnalyzers (the ``names``, ACTIVE account analyzers; ``unused``: name -> the unusedAccess
    configuration of an ACCOUNT_UNUSED_ACCESS analyzer) and GetAnalyzedResource (analyzed; with the error in
    ``errors`` for a bucket named there), which moto lacks, before the request is sent. Registered on the
    generic before-call event, so earlier handlers (the permissions test's recorder) still see each call."""
    from botocore.awsrequest import AWSResponse

    errors = errors or {}
    unused = unused or {}

    def handler(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.service_model.service_name != "accessanalyzer":
            return None
        if model.name == "ListAnalyzers":
            kind = params["query_string"].get("type", "ACCOUNT")  # rest-json: the query as a dict
            listed = [
                {"arn": f"arn:aws:access-analyzer:{REGION}:111122223333:analyzer/{n}", "name": n, "status": "ACTIVE"}
                for n in (names if kind == "ACCOUNT" else [])
            ]
            listed += [
                {
                    "arn": f"arn:aws:access-analyzer:{REGION}:111122223333:analyzer/{n}",
                    "name": n,
                    "status": "ACTIVE",
                    "type": kind,
                    "configuration": {"unusedAccess": configuration},
                }
                for n, configuration in (unused.items() if kind == "ACCOUNT_UNUSED_ACCESS" else [])
            ]
            return AWSResponse("https://access-analyzer", 200, {}, None), {"analyzers": listed}
        if model.name == "GetAnalyzedResource":
            arn = str(params["query_string"]["resourceArn"])
            resource = {"resourceArn": arn, "isPublic": False, "analyzedAt": "2026-12-01T00:00:00Z"}
            bucket = arn.rsplit(":", 1)[-1]
            if bucket in errors:
                resource["error"] = errors[bucket]
            return AWSResponse("https://access-analyzer", 200, {}, None), {"resource": resource}
        return None

    session.events.register("before-call", handler)


def declared_restore_tests(state: StackState) -> dict[str, Any]:
    """The restore testing plans and selections of the state, as GetRestoreTestingPlan and
    GetRestoreTestingSelection answer them: plan name -> {"plan": ..., "selections": {name: ...}}."""
    plans: dict[str, Any] = {}
    for plan in state.of_type("aws:backup/restoreTestingPlan:RestoreTestingPlan"):
        points = plan.prop("recoveryPointSelection") or {}
        plans[str(plan.prop("name"))] = {
            "plan": {
                "RestoreTestingPlanName": plan.prop("name"),
                "ScheduleExpression": plan.prop("scheduleExpression"),
                "RecoveryPointSelection": {
                    "Algorithm": points.get("algorithm"),
                    "IncludeVaults": list(points.get("includeVaults") or []),
                    "RecoveryPointTypes": list(points.get("recoveryPointTypes") or []),
                    "SelectionWindowDays": points.get("selectionWindowDays"),
                },
            },
            "selections": {},
        }
    for selection in state.of_type("aws:backup/restoreTestingSelection:RestoreTestingSelection"):
        plans[str(selection.prop("restoreTestingPlanName"))]["selections"][str(selection.prop("name"))] = {
            "RestoreTestingSelectionName": selection.prop("name"),
            "ProtectedResourceType": selection.prop("protectedResourceType"),
            "ProtectedResourceArns": list(selection.prop("protectedResourceArns") or []),
            "IamRoleArn": selection.prop("iamRoleArn"),
            "RestoreMetadataOverrides": dict(selection.prop("restoreMetadataOverrides") or {}),
        }
    return plans


def answer_backup(
    session: AuditSession,
    policy: Any,
    selections: dict[str, list[str]],
    restore_tests: dict[str, Any] | None = None,
) -> None:
    """Answer GetBackupVaultAccessPolicy (``policy``, a document or None for "no policy"), ListBackupSelections /
    GetBackupSelection (selection id -> resource ARNs) and, given ``restore_tests`` (declared_restore_tests' shape),
    the restore testing reads, which moto lacks, before the request is sent."""
    from botocore.awsrequest import AWSResponse

    def restore_testing(model: Any, params: dict[str, Any]) -> Any:
        plan = (restore_tests or {}).get(str(params["url_path"]).split("/")[3])
        if plan is None:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": "no such restore testing plan"}}
            return AWSResponse("https://backup", 404, {}, None), error
        if model.name == "GetRestoreTestingPlan":
            return AWSResponse("https://backup", 200, {}, None), {"RestoreTestingPlan": plan["plan"]}
        if model.name == "ListRestoreTestingSelections":
            listed = [{"RestoreTestingSelectionName": name} for name in plan["selections"]]
            return AWSResponse("https://backup", 200, {}, None), {"RestoreTestingSelections": listed}
        chosen = plan["selections"][str(params["url_path"]).rsplit("/", 1)[-1]]
        return AWSResponse("https://backup", 200, {}, None), {"RestoreTestingSelection": chosen}

    def handler(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.service_model.service_name != "backup":
            return None
        if "RestoreTesting" in model.name and restore_tests is not None:
            return restore_testing(model, params)
        if model.name == "GetBackupVaultAccessPolicy":
            if policy is None:
                error = {"Error": {"Code": "ResourceNotFoundException", "Message": "no policy"}}
                return AWSResponse("https://backup", 404, {}, None), error
            return AWSResponse("https://backup", 200, {}, None), {"Policy": json.dumps(policy)}
        if model.name == "ListBackupSelections":
            listed = [{"SelectionId": s, "SelectionName": s} for s in selections]
            return AWSResponse("https://backup", 200, {}, None), {"BackupSelectionsList": listed}
        if model.name == "GetBackupSelection":
            chosen = str(params["url_path"]).rsplit("/", 1)[-1]
            return AWSResponse("https://backup", 200, {}, None), {"BackupSelection": {"Resources": selections[chosen]}}
        return None

    session.events.register("before-call", handler)


def _backups(state: StackState, client: Client, ids: _Ids) -> None:
    """The vault (with the declared key), its lock and the plan; moto holds no vault policy or selection."""
    backup = client("backup")
    for vault in state.of_type("aws:backup/vault:Vault"):
        params = {"BackupVaultName": vault.prop("name")}
        if vault.prop("kmsKeyArn"):
            params["EncryptionKeyArn"] = ids.sub(vault.prop("kmsKeyArn"))
        backup.create_backup_vault(**params)
    for lock in state.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration"):
        params = {
            "BackupVaultName": lock.prop("backupVaultName"),
            "MinRetentionDays": int(lock.prop("minRetentionDays")),
        }
        if lock.prop("maxRetentionDays"):
            params["MaxRetentionDays"] = int(lock.prop("maxRetentionDays"))
        if lock.prop("changeableForDays"):
            params["ChangeableForDays"] = int(lock.prop("changeableForDays"))
        backup.put_backup_vault_lock_configuration(**params)
    for plan in state.of_type("aws:backup/plan:Plan"):
        rules = [
            {
                "RuleName": r["ruleName"],
                "TargetBackupVaultName": r["targetVaultName"],
                "ScheduleExpression": r["schedule"],
                **(
                    {"Lifecycle": {"DeleteAfterDays": int(r["lifecycle"]["deleteAfter"])}} if r.get("lifecycle") else {}
                ),
            }
            for r in plan.prop("rules") or []
        ]
        new = backup.create_backup_plan(BackupPlan={"BackupPlanName": plan.prop("name"), "Rules": rules})
        ids.add(plan.outputs.get("id") or plan.id, new["BackupPlanId"])


def provision(document: dict[str, Any], client: Client) -> dict[str, Any]:
    """Create the declared landing zone; return the state document with the account's real ids."""
    state = StackState(document, "<demo state>")
    account = state.stack_outputs()["accountId"]
    ids = _Ids()
    _keys(state, client, ids)
    _iam(state, client, ids)
    _log_groups(state, client, ids)
    _alarms(state, client, ids)
    _network(state, client, ids)
    _reference_data(state, client, ids)
    _buckets(state, client, ids, account)
    _trail(state, client, ids)
    _security_services(state, client, ids)
    _compute(state, client, ids, account)
    _role_policies(state, client, ids)
    _session_preferences(state, client, ids)
    _run_tracking(state, client, ids)
    _finding_alerts(state, client, ids)
    _deployer(state, client)
    _backups(state, client, ids)
    for subscription in state.of_type("aws:sns/topicSubscription:TopicSubscription"):
        client("sns").subscribe(
            TopicArn=ids.sub(subscription.prop("topic")),
            Protocol=subscription.prop("protocol"),
            Endpoint=subscription.prop("endpoint"),
        )
    return json.loads(ids.sub(json.dumps(document)))


def answer_roles_anywhere(
    session: AuditSession, state: StackState, *, crl_enabled: bool = True, duration_seconds: int | None = None
) -> None:
    """Answer GetTrustAnchor, ListCrls and GetProfile (moto has no IAM Roles Anywhere) from the declared anchor and
    profile, as a real account holding the stack would; ``crl_enabled`` and ``duration_seconds`` stand in for
    drift. Registered on the generic before-call event like the other stand-ins."""
    from botocore.awsrequest import AWSResponse

    anchors = {
        str(a.outputs.get("arn")).rsplit("/", 1)[-1]: a
        for a in state.of_type("aws:rolesanywhere/trustAnchor:TrustAnchor")
    }
    profiles = {
        str(p.outputs.get("arn")).rsplit("/", 1)[-1]: p for p in state.of_type("aws:rolesanywhere/profile:Profile")
    }

    def handler(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.service_model.service_name != "rolesanywhere":
            return None
        ok = AWSResponse("https://rolesanywhere", 200, {}, None)
        if model.name == "GetTrustAnchor":
            anchor = anchors[str(params["url_path"]).rsplit("/", 1)[-1]]
            source = anchor.prop("source") or {}
            body = {
                "trustAnchorArn": anchor.outputs["arn"],
                "enabled": True,
                "source": {
                    "sourceType": source.get("sourceType"),
                    "sourceData": {"x509CertificateData": (source.get("sourceData") or {}).get("x509CertificateData")},
                },
            }
            return ok, {"trustAnchor": body}
        if model.name == "ListCrls":
            crls = [
                {"crlArn": f"{a.outputs['arn']}-crl", "trustAnchorArn": a.outputs["arn"], "enabled": crl_enabled}
                for a in anchors.values()
            ]
            return ok, {"crls": crls}
        if model.name == "GetProfile":
            profile = profiles[str(params["url_path"]).rsplit("/", 1)[-1]]
            seconds = duration_seconds or profile.prop("durationSeconds")
            body = {
                "profileArn": profile.outputs["arn"],
                "enabled": True,
                "durationSeconds": seconds,
                "roleArns": list(profile.prop("roleArns") or []),
            }
            return ok, {"profile": body}
        return None

    session.events.register("before-call", handler)
