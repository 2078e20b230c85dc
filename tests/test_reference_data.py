"""ReferenceData: encrypted, backed-up EFS that jobs mount read-only, over TLS, only from compute."""

from __future__ import annotations

import json

import pytest

from components.compute import GenomicsCompute
from components.encryption_keys import EncryptionKeys
from components.reference_data import ReferenceData, file_system_policy
from tests.harness import ACCOUNT, STACK, make_settings, synthesize

COMPUTE_SG = "sg-0compute"
SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]
READERS = [
    f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-batch-job-alignment",
    f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-batch-job-variant-calling",
]


@pytest.fixture(scope="module")
def state():
    settings = make_settings(referenceData={"efs": True})

    def program():
        keys = EncryptionKeys("keys", settings, STACK)
        ReferenceData(
            "reference",
            settings,
            STACK,
            vpc_id="vpc-0abc",
            subnet_ids=SUBNETS,
            compute_security_group_id=COMPUTE_SG,
            data_key_arn=keys.data.arn,
        )

    return synthesize(program, settings)


def data_key_arn(state):
    key = next(r for r in state.of_type("aws:kms/key:Key") if r.inputs["tags"]["Purpose"] == "data")
    return key.outputs["arn"]


def file_system(state):
    (fs,) = state.of_type("aws:efs/fileSystem:FileSystem")
    return fs


def efs_group(state):
    (group,) = state.of_type("aws:ec2/securityGroup:SecurityGroup")
    return group


def test_encrypted_with_data_key(state):
    fs = file_system(state)
    assert fs.inputs["encrypted"] is True
    assert fs.inputs["kmsKeyId"] == data_key_arn(state)


def test_performance_throughput_and_lifecycle(state):
    fs = file_system(state)
    assert fs.inputs["performanceMode"] == "generalPurpose"
    assert fs.inputs["throughputMode"] == "elastic"
    assert {"transitionToIa": "AFTER_30_DAYS"} in fs.inputs["lifecyclePolicies"]
    assert {"transitionToPrimaryStorageClass": "AFTER_1_ACCESS"} in fs.inputs["lifecyclePolicies"]


def test_backups_enabled(state):
    (backup,) = state.of_type("aws:efs/backupPolicy:BackupPolicy")
    assert backup.inputs["fileSystemId"] == file_system(state).id
    assert backup.inputs["backupPolicy"] == {"status": "ENABLED"}


def test_mount_target_per_subnet_behind_efs_group(state):
    targets = state.of_type("aws:efs/mountTarget:MountTarget")
    assert sorted(t.inputs["subnetId"] for t in targets) == SUBNETS
    assert all(t.inputs["securityGroups"] == [efs_group(state).id] for t in targets)
    assert all(t.inputs["fileSystemId"] == file_system(state).id for t in targets)


def test_nfs_only_from_compute_security_group(state):
    group = efs_group(state)
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")
    rules = state.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [(r.inputs["securityGroupId"], r.inputs["referencedSecurityGroupId"]) for r in rules] == [
        (group.id, COMPUTE_SG)
    ]
    (rule,) = rules
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 2049, 2049)
    assert "cidrIpv4" not in rule.inputs and "prefixListId" not in rule.inputs
    assert not state.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")


def test_read_only_access_point_at_reference_as_unprivileged_user(state):
    (point,) = state.of_type("aws:efs/accessPoint:AccessPoint")
    assert point.inputs["fileSystemId"] == file_system(state).id
    assert point.inputs["rootDirectory"]["path"] == "/reference"
    assert point.inputs["posixUser"]["uid"] != 0 and point.inputs["posixUser"]["gid"] != 0


def policy(state):
    (resource,) = state.of_type("aws:efs/fileSystemPolicy:FileSystemPolicy")
    assert resource.inputs["fileSystemId"] == file_system(state).id
    assert resource.inputs["bypassPolicyLockoutSafetyCheck"] is False
    return json.loads(resource.inputs["policy"])["Statement"]


def test_policy_denies_non_tls(state):
    deny = next(s for s in policy(state) if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "*"
    assert deny["Resource"] == file_system(state).outputs["arn"]


def test_policy_allows_only_read_only_mounts_through_access_point_by_job_roles(state):
    allows = [s for s in policy(state) if s["Effect"] == "Allow"]
    actions = {a for s in allows for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert actions == {"elasticfilesystem:ClientMount"}  # no ClientWrite, no ClientRootAccess
    (allow,) = allows
    (point,) = state.of_type("aws:efs/accessPoint:AccessPoint")
    assert allow["Condition"]["StringEquals"] == {"elasticfilesystem:AccessPointArn": point.outputs["arn"]}
    assert allow["Condition"]["Bool"]["aws:SecureTransport"] == "true"
    assert allow["Condition"]["ArnEquals"] == {"aws:PrincipalArn": READERS}
    assert allow["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


def test_policy_needs_a_reader():
    with pytest.raises(ValueError, match="reader_arns"):
        file_system_policy("arn:fs", "arn:ap", "arn:root", [])


# ---- wired into GenomicsCompute -----------------------------------------------------------------


@pytest.fixture(scope="module")
def with_compute():
    return _compute_state(make_settings(referenceData={"efs": True}))


def _compute_state(settings):
    """GenomicsCompute (with its reference file system) synthesized on its own."""

    def program():
        keys = EncryptionKeys("keys", settings, STACK)
        GenomicsCompute(
            "compute",
            settings,
            STACK,
            vpc_id="vpc-0abc",
            vpc_cidr="10.40.0.0/16",
            subnet_ids=SUBNETS,
            s3_prefix_list_id="pl-63a5400a",
            compute_key=keys.compute,
            data_key_arn=keys.data.arn,
            log_key_arn=keys.logs.arn,
            bucket_arns={t: f"arn:aws:s3:::b-{t}" for t in ("fastq", "reference", "alignments", "variants")},
        )

    return synthesize(program, settings)


def test_compute_builds_one_file_system_open_to_its_security_group(with_compute):
    assert len(with_compute.of_type("aws:efs/fileSystem:FileSystem")) == 1
    (compute_sg,) = [
        g
        for g in with_compute.of_type("aws:ec2/securityGroup:SecurityGroup")
        if g.inputs["name"].endswith("batch-compute")
    ]
    (rule,) = with_compute.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == compute_sg.id


def test_jobs_mount_reference_read_only_over_tls_with_iam(with_compute):
    (fs,) = with_compute.of_type("aws:efs/fileSystem:FileSystem")
    (point,) = with_compute.of_type("aws:efs/accessPoint:AccessPoint")
    definitions = with_compute.of_type("aws:batch/jobDefinition:JobDefinition")
    assert len(definitions) == 2
    for definition in definitions:
        properties = json.loads(definition.inputs["containerProperties"])
        (volume,) = [v for v in properties["volumes"] if "efsVolumeConfiguration" in v]
        efs = volume["efsVolumeConfiguration"]
        assert efs["fileSystemId"] == fs.id
        assert efs["transitEncryption"] == "ENABLED"
        assert efs["authorizationConfig"] == {"accessPointId": point.id, "iam": "ENABLED"}
        (mount,) = [m for m in properties["mountPoints"] if m["sourceVolume"] == volume["name"]]
        assert mount == {"sourceVolume": volume["name"], "containerPath": "/reference", "readOnly": True}


def test_job_roles_may_mount_only_through_the_access_point(with_compute):
    (fs,) = with_compute.of_type("aws:efs/fileSystem:FileSystem")
    (point,) = with_compute.of_type("aws:efs/accessPoint:AccessPoint")
    job_policies = [
        json.loads(r.inputs["policy"])
        for r in with_compute.of_type("aws:iam/rolePolicy:RolePolicy")
        if "batch-job-" in r.inputs["role"]
    ]
    assert len(job_policies) == 2
    for document in job_policies:
        (mount,) = [s for s in document["Statement"] if str(s["Action"]).startswith("elasticfilesystem:")]
        assert mount["Action"] == "elasticfilesystem:ClientMount"
        assert mount["Resource"] == fs.outputs["arn"]
        assert mount["Condition"] == {"StringEquals": {"elasticfilesystem:AccessPointArn": point.outputs["arn"]}}


LOADER_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/genomics/reference-loader:1.0.0"


@pytest.fixture(scope="module")
def with_loader():
    return _compute_state(make_settings(referenceData={"efs": True, "loaderImage": LOADER_IMAGE}))


def test_the_loader_is_the_one_writer_through_its_own_access_point(with_loader):
    points = {p.name: p for p in with_loader.of_type("aws:efs/accessPoint:AccessPoint")}
    loader, reader = points["compute-reference-loader"], points["compute-reference-read-only"]
    assert loader.inputs["posixUser"] == {"uid": 1001, "gid": 1000}
    assert loader.inputs["rootDirectory"]["creationInfo"] == reader.inputs["rootDirectory"]["creationInfo"]
    document = json.loads(one(with_loader, "aws:efs/fileSystemPolicy:FileSystemPolicy").inputs["policy"])
    writes = [s for s in document["Statement"] if "elasticfilesystem:ClientWrite" in str(s.get("Action"))]
    assert len(writes) == 1
    (write,) = writes
    assert write["Condition"]["StringEquals"] == {"elasticfilesystem:AccessPointArn": loader.outputs["arn"]}
    assert write["Condition"]["ArnEquals"] == {
        "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-batch-job-reference-loader"
    }
    assert "ClientRootAccess" not in json.dumps(document)
    definitions = {d.name: d for d in with_loader.of_type("aws:batch/jobDefinition:JobDefinition")}
    props = json.loads(definitions["compute-job-definition-reference-loader"].inputs["containerProperties"])
    (volume,) = [v for v in props["volumes"] if "efsVolumeConfiguration" in v]
    assert volume["efsVolumeConfiguration"]["authorizationConfig"]["accessPointId"] == loader.id
    assert [m["readOnly"] for m in props["mountPoints"] if m["containerPath"] == "/reference"] == [False]
    assert props["command"][:3] == ["aws", "s3", "sync"] and props["readonlyRootFilesystem"] is True
    for name, definition in definitions.items():
        if name != "compute-job-definition-reference-loader":
            other = json.loads(definition.inputs["containerProperties"])
            assert loader.id not in json.dumps(other), name


def test_without_a_loader_image_nobody_writes(with_compute):
    document = json.loads(one(with_compute, "aws:efs/fileSystemPolicy:FileSystemPolicy").inputs["policy"])
    assert "ClientWrite" not in json.dumps(document)
    assert len(with_compute.of_type("aws:efs/accessPoint:AccessPoint")) == 1


def one(state, typ):
    (found,) = state.of_type(typ)
    return found
