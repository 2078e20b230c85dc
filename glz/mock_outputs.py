"""Plausible provider outputs for the offline run: IDs, ARNs and names derived from the inputs,
the stack's account and region, and a hash of the resource's identity (so runs are identical)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/networkAcl:NetworkAcl": "acl-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "acl-",
    "aws:ec2/placementGroup:PlacementGroup": "pg-",
    "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": "dopt-",
    "aws:efs/fileSystem:FileSystem": "fs-",
    "aws:efs/accessPoint:AccessPoint": "fsap-",
    "aws:efs/mountTarget:MountTarget": "fsmt-",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgr-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
}

HANDLERS = {
    "aws:kms/key:Key": "_key",
    "aws:kms/alias:Alias": "_alias",
    "aws:s3/bucket:Bucket": "_bucket",
    "aws:iam/role:Role": "_role",
    "aws:iam/policy:Policy": "_policy",
    "aws:iam/instanceProfile:InstanceProfile": "_instance_profile",
    "aws:cloudwatch/logGroup:LogGroup": "_log_group",
    "aws:cloudtrail/trail:Trail": "_trail",
    "aws:sns/topic:Topic": "_topic",
    "aws:ec2/vpc:Vpc": "_vpc",
    "aws:ec2/launchTemplate:LaunchTemplate": "_launch_template",
    "aws:batch/computeEnvironment:ComputeEnvironment": "_compute_environment",
    "aws:batch/jobQueue:JobQueue": "_job_queue",
    "aws:batch/jobDefinition:JobDefinition": "_job_definition",
    "aws:cloudwatch/eventRule:EventRule": "_event_rule",
    "aws:sfn/stateMachine:StateMachine": "_state_machine",
    "aws:dynamodb/table:Table": "_table",
    "aws:guardduty/detector:Detector": "_detector",
    "aws:efs/fileSystem:FileSystem": "_file_system",
    "aws:efs/accessPoint:AccessPoint": "_access_point",
    "aws:accessanalyzer/analyzer:Analyzer": "_analyzer",
    "aws:securityhub/account:Account": "_security_hub",
    "aws:securityhub/standardsSubscription:StandardsSubscription": "_standards_subscription",
    "aws:inspector2/enabler:Enabler": "_inspector_enabler",
    "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan": "_malware_protection_plan",
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "_default_network_acl",
    "aws:backup/vault:Vault": "_backup_vault",
    "aws:backup/plan:Plan": "_backup_plan",
    "aws:backup/selection:Selection": "_backup_selection",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "_restore_testing_plan",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": "_restore_testing_selection",
}

NAME_INPUTS = ("name", "bucket", "functionName", "roleName", "topicName")


def digest(seed: str, length: int = 17) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


class OutputFactory:
    """Builds (id, outputs) for a resource the way AWS would name it."""

    def __init__(self, account_id: str, region: str, partition: str = "aws"):
        self.account = account_id
        self.region = region
        self.partition = partition

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return ":".join(
            ["arn", self.partition, service, self.region if region else "", self.account if account else "", resource]
        )

    def build(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        seed = f"{typ}::{name}"
        outputs = dict(inputs)
        given = next((inputs[k] for k in NAME_INPUTS if isinstance(inputs.get(k), str)), None)
        physical = given or f"{name}-{digest(seed, 7)}"
        if typ.startswith("pulumi:providers:"):
            return str(uuid.uuid5(uuid.NAMESPACE_URL, seed)), outputs
        resource_id = ID_PREFIXES[typ] + digest(seed) if typ in ID_PREFIXES else physical
        outputs.setdefault("id", resource_id)
        handler = HANDLERS.get(typ)
        if handler is not None:
            resource_id = getattr(self, handler)(outputs, physical, seed) or resource_id
        elif "arn" not in outputs and typ.startswith("aws:"):
            module = typ.split(":")[1].split("/")[0]
            outputs["arn"] = self.arn(module, f"{typ.split(':')[-1].lower()}/{resource_id}")
        outputs["id"] = resource_id
        return resource_id, outputs

    # Handlers fill in what AWS computes for one resource type; HANDLERS maps type -> handler.

    def _default_network_acl(self, outputs: dict[str, Any], physical: str, seed: str) -> str | None:
        """The provider's ID of a DefaultNetworkAcl is the default ACL's own ID (pulumi-aws DefaultNetworkAcl)."""
        return str(outputs["defaultNetworkAclId"]) if outputs.get("defaultNetworkAclId") else None

    def _key(self, out: dict[str, Any], physical: str, seed: str) -> str:
        key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
        out.update(keyId=key_id, arn=self.arn("kms", f"key/{key_id}"))
        return key_id

    def _alias(self, out: dict[str, Any], physical: str, seed: str) -> str:
        out.update(arn=self.arn("kms", physical), targetKeyArn=self.arn("kms", f"key/{out.get('targetKeyId', '')}"))
        return physical

    def _bucket(self, out: dict[str, Any], physical: str, seed: str) -> str:
        out.update(
            bucket=physical,
            arn=self.arn("s3", physical, region=False, account=False),
            bucketDomainName=f"{physical}.s3.amazonaws.com",
            bucketRegionalDomainName=f"{physical}.s3.{self.region}.amazonaws.com",
            region=self.region,
            hostedZoneId="Z3AQBSTGFYJSTF",
        )
        return physical

    def _role(self, out: dict[str, Any], physical: str, seed: str) -> str:
        path = out.get("path") or "/"
        out.update(
            name=physical,
            arn=self.arn("iam", f"role{path}{physical}", region=False),
            uniqueId="AROA" + digest(seed, 17).upper(),
        )
        return physical

    def _policy(self, out: dict[str, Any], physical: str, seed: str) -> str:
        arn = self.arn("iam", f"policy/{physical}", region=False)
        out.update(name=physical, arn=arn, policyId="ANPA" + digest(seed, 17).upper())
        return arn

    def _log_group(self, out: dict[str, Any], physical: str, seed: str) -> str:
        out.update(name=physical, arn=self.arn("logs", f"log-group:{physical}"))
        return physical

    def _trail(self, out: dict[str, Any], physical: str, seed: str) -> str:
        arn = self.arn("cloudtrail", f"trail/{physical}")
        out.update(name=physical, arn=arn, homeRegion=self.region)
        return arn

    def _topic(self, out: dict[str, Any], physical: str, seed: str) -> str:
        arn = self.arn("sns", physical)
        out.update(name=physical, arn=arn)
        return arn

    def _vpc(self, out: dict[str, Any], physical: str, seed: str) -> None:
        vpc_id = "vpc-" + digest(seed)
        out.update(
            arn=self.arn("ec2", f"vpc/{vpc_id}"),
            defaultSecurityGroupId="sg-" + digest(seed + "sg"),
            defaultNetworkAclId="acl-" + digest(seed + "acl"),
            defaultRouteTableId="rtb-" + digest(seed + "rtb"),
            mainRouteTableId="rtb-" + digest(seed + "rtb"),
            ownerId=self.account,
        )

    def _compute_environment(self, out: dict[str, Any], physical: str, seed: str) -> str:
        arn = self.arn("batch", f"compute-environment/{physical}")
        out.update(
            name=physical,
            arn=arn,
            ecsClusterArn=self.arn("ecs", f"cluster/{physical}"),
            status="VALID",
            state=out.get("state", "ENABLED"),
        )
        return arn

    def _job_queue(self, out: dict[str, Any], physical: str, seed: str) -> str:
        arn = self.arn("batch", f"job-queue/{physical}")
        out.update(name=physical, arn=arn)
        return arn

    def _job_definition(self, out: dict[str, Any], physical: str, seed: str) -> str:
        arn = self.arn("batch", f"job-definition/{physical}:1")
        out.update(name=physical, arn=arn, revision=1)
        return arn

    def _event_rule(self, out: dict[str, Any], physical: str, seed: str) -> str:
        out.update(name=physical, arn=self.arn("events", f"rule/{physical}"))
        return physical

    def _state_machine(self, out: dict[str, Any], physical: str, seed: str) -> str:
        arn = self.arn("states", f"stateMachine:{physical}")
        out.update(name=physical, arn=arn, status="ACTIVE")
        return arn

    def _backup_vault(self, out: dict[str, Any], physical: str, seed: str) -> str:
        # the vault's name is its id; its ARN (AWS Backup API Reference, DescribeBackupVault)
        out.update(name=physical, arn=self.arn("backup", f"backup-vault:{physical}"))
        return physical

    def _backup_plan(self, out: dict[str, Any], physical: str, seed: str) -> str:
        # AWS assigns a plan a UUID; its ARN ends in it
        plan_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
        out.update(arn=self.arn("backup", f"backup-plan:{plan_id}"), version=digest(seed, 32))
        return plan_id

    def _backup_selection(self, out: dict[str, Any], physical: str, seed: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))

    def _restore_testing_plan(self, out: dict[str, Any], physical: str, seed: str) -> str:
        # the plan's name is its id (the provider imports it by name); AWS appends a suffix to the ARN
        # (AWS Backup API Reference, CreateRestoreTestingPlan: RestoreTestingPlanArn)
        out.update(name=physical, arn=self.arn("backup", f"restore-testing-plan:{physical}-{digest(seed, 8)}"))
        return physical

    def _restore_testing_selection(self, out: dict[str, Any], physical: str, seed: str) -> str:
        # the provider's id is "<selection name>:<plan name>" (its import form)
        return f"{physical}:{out.get('restoreTestingPlanName')}"

    def _table(self, out: dict[str, Any], physical: str, seed: str) -> str:
        out.update(name=physical, arn=self.arn("dynamodb", f"table/{physical}"))
        return physical

    def _detector(self, out: dict[str, Any], physical: str, seed: str) -> str:
        detector_id = digest(seed, 32)
        out.update(arn=self.arn("guardduty", f"detector/{detector_id}"), accountId=self.account)
        return detector_id

    def _file_system(self, out: dict[str, Any], physical: str, seed: str) -> str:
        fs_id = "fs-" + digest(seed)
        out.update(
            arn=self.arn("elasticfilesystem", f"file-system/{fs_id}"),
            dnsName=f"{fs_id}.efs.{self.region}.amazonaws.com",
        )
        return fs_id

    def _access_point(self, out: dict[str, Any], physical: str, seed: str) -> str:
        ap_id = "fsap-" + digest(seed)
        out.update(
            arn=self.arn("elasticfilesystem", f"access-point/{ap_id}"),
            fileSystemArn=self.arn("elasticfilesystem", f"file-system/{out.get('fileSystemId', '')}"),
            ownerId=self.account,
        )
        return ap_id

    def _analyzer(self, out: dict[str, Any], physical: str, seed: str) -> str:
        name = out.get("analyzerName", physical)
        out.update(arn=self.arn("access-analyzer", f"analyzer/{name}"))
        return name

    def _launch_template(self, out: dict[str, Any], physical: str, seed: str) -> str:
        lt_id = "lt-" + digest(seed)
        out.update(
            name=out.get("name", physical),
            arn=self.arn("ec2", f"launch-template/{lt_id}"),
            latestVersion=1,
            defaultVersion=1,
        )
        return lt_id

    def _instance_profile(self, out: dict[str, Any], physical: str, seed: str) -> str:
        out.update(name=physical, arn=self.arn("iam", f"instance-profile/{physical}", region=False))
        return physical

    def _security_hub(self, out: dict[str, Any], physical: str, seed: str) -> str:
        out.update(arn=self.arn("securityhub", "hub/default"))
        return self.account

    def _standards_subscription(self, out: dict[str, Any], physical: str, seed: str) -> str:
        standard = str(out.get("standardsArn", "")).split("::", 1)[-1].removeprefix("standards/")
        return self.arn("securityhub", f"subscription/{standard}")

    def _inspector_enabler(self, out: dict[str, Any], physical: str, seed: str) -> str:
        """The provider's id: sorted account ids and resource types, e.g. `111122223333-EC2:ECR` (no ARN)."""
        accounts = ":".join(sorted(str(a) for a in out.get("accountIds") or []))
        types = ":".join(sorted(str(t) for t in out.get("resourceTypes") or []))
        return f"{accounts}-{types}"

    def _malware_protection_plan(self, out: dict[str, Any], physical: str, seed: str) -> str:
        """A plan ID like AWS's (20 hex characters), its ARN and the ACTIVE status of a working plan."""
        plan_id = digest(seed, 20)
        out.update(arn=self.arn("guardduty", f"malware-protection-plan/{plan_id}"), status="ACTIVE")
        return plan_id
