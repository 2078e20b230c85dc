"""GenomicsCompute: hardened Batch instances, AL2023 everywhere, spot/on-demand queues, F2-only FPGA,
a locked-down security group and least-privilege job roles."""

from __future__ import annotations

import base64
import json

import pytest

from components.compute import GenomicsCompute
from components.encryption_keys import EncryptionKeys
from components.settings import Fpga
from tests.harness import ACCOUNT, STACK, make_settings, synthesize

CE = "aws:batch/computeEnvironment:ComputeEnvironment"
QUEUE = "aws:batch/jobQueue:JobQueue"
JOB_DEF = "aws:batch/jobDefinition:JobDefinition"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"

VPC_CIDR = "10.40.0.0/16"
S3_PREFIX_LIST = "pl-63a5400a"
AMI = "ami-0123456789abcdef0"
BUCKETS = {
    t: f"arn:aws:s3:::glz-{STACK}-{t}-{ACCOUNT}-us-east-1" for t in ("fastq", "reference", "alignments", "variants")
}
FPGA_ON = {"enabled": True, "amiId": AMI, "placementGroup": True, "instanceTypes": ["f2.12xlarge"], "maxVcpus": 192}


def compute_config(**overrides):
    """The harness's compute settings (with images) plus overrides, as config keys."""
    return {**make_settings().compute.model_dump(by_alias=True), **overrides}


def build(settings, *, s3_prefix_list_id=S3_PREFIX_LIST, bucket_arns=None):
    def program():
        keys = EncryptionKeys("keys", settings, STACK)
        GenomicsCompute(
            "compute",
            settings,
            STACK,
            vpc_id="vpc-0abc",
            vpc_cidr=VPC_CIDR,
            subnet_ids=["subnet-a", "subnet-b"],
            s3_prefix_list_id=s3_prefix_list_id,
            compute_key=keys.compute,
            data_key_arn=keys.data.arn,
            log_key_arn=keys.logs.arn,
            bucket_arns=BUCKETS if bucket_arns is None else bucket_arns,
        )

    return synthesize(program, settings)


@pytest.fixture(scope="module")
def state():
    return build(make_settings(fpga=FPGA_ON))


@pytest.fixture(scope="module")
def plain():
    """Defaults: no FPGA, no reference EFS."""
    return build(make_settings())


def key_arn(state, purpose):
    key = next(r for r in state.of_type("aws:kms/key:Key") if r.inputs["tags"]["Purpose"] == purpose)
    return key.outputs["arn"]


def envs(state):
    return {r.inputs["name"].removeprefix(f"glz-{STACK}-batch-"): r for r in state.of_type(CE)}


def queues(state):
    return {r.inputs["name"].removeprefix(f"glz-{STACK}-"): r for r in state.of_type(QUEUE)}


def job_defs(state):
    return {r.inputs["name"].removeprefix(f"glz-{STACK}-"): r for r in state.of_type(JOB_DEF)}


def roles(state):
    return {r.inputs["name"].removeprefix(f"glz-{STACK}-"): r for r in state.of_type(ROLE)}


def role_policy(state, role_suffix):
    (policy,) = [r for r in state.of_type(ROLE_POLICY) if r.inputs["role"] == f"glz-{STACK}-{role_suffix}"]
    return json.loads(policy.inputs["policy"])["Statement"]


def as_list(value):
    return value if isinstance(value, list) else [value]


# ---- launch template ----------------------------------------------------------------------------


def launch_template(state):
    """The ECS instances' template (the FPGA environment has its own, see the FPGA tests)."""
    (template,) = [
        t for t in state.of_type("aws:ec2/launchTemplate:LaunchTemplate") if t.name == "compute-launch-template"
    ]
    return template


def test_imdsv2_required_and_containers_kept_off_instance_metadata(state):
    metadata = launch_template(state).inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpEndpoint"] == "enabled"
    assert metadata["httpPutResponseHopLimit"] == 1  # containers cannot reach the instance role


def test_root_and_scratch_volumes_are_encrypted_gp3_with_compute_key(state):
    mappings = {m["deviceName"]: m["ebs"] for m in launch_template(state).inputs["blockDeviceMappings"]}
    assert set(mappings) == {"/dev/xvda", "/dev/xvdb"}
    for device, ebs in mappings.items():
        assert ebs["encrypted"] == "true", device
        assert ebs["kmsKeyId"] == key_arn(state, "compute"), device
        assert ebs["volumeType"] == "gp3", device
        assert ebs["deleteOnTermination"] == "true", device
    assert mappings["/dev/xvda"]["volumeSize"] == 50
    assert mappings["/dev/xvdb"]["volumeSize"] == 500


def test_volume_sizes_follow_settings():
    state = build(make_settings(compute=compute_config(scratchVolumeGib=2000)))
    mappings = {m["deviceName"]: m["ebs"] for m in launch_template(state).inputs["blockDeviceMappings"]}
    assert mappings["/dev/xvdb"]["volumeSize"] == 2000


def test_no_network_interfaces_in_launch_template(state):
    """Batch places instances from the compute environment's subnets and security groups."""
    assert not launch_template(state).inputs.get("networkInterfaces")


def test_user_data_is_mime_multipart_and_mounts_scratch_offline(state):
    text = base64.b64decode(launch_template(state).inputs["userData"]).decode()
    assert text.startswith("MIME-Version: 1.0\n")
    assert 'Content-Type: multipart/mixed; boundary="' in text
    assert "text/x-shellscript" in text
    assert "mkfs.xfs" in text and "/dev/xvdb" in text and "mount -o noatime,nodev,nosuid" in text
    for fetch in ("curl", "wget", "yum ", "dnf ", "http://", "https://", "pip "):
        assert fetch not in text, f"user data must not need the internet: {fetch}"


# ---- instance role ------------------------------------------------------------------------------


def test_instance_role_trusted_by_ec2_with_managed_policies(state):
    role = roles(state)["batch-instance"]
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    attached = {
        r.inputs["policyArn"]
        for r in state.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.inputs["role"] == f"glz-{STACK}-batch-instance"
    }
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }
    (profile,) = state.of_type("aws:iam/instanceProfile:InstanceProfile")
    assert profile.inputs["role"] == f"glz-{STACK}-batch-instance"


def test_instance_role_can_use_compute_key_for_ebs(state):
    """Without these the instances never come up and jobs sit in RUNNABLE."""
    statements = role_policy(state, "batch-instance")
    compute = key_arn(state, "compute")
    ebs = next(s for s in statements if s["Sid"] == "UseComputeKeyForEbs")
    assert ebs["Resource"] == compute
    assert {"kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"} <= set(ebs["Action"])
    assert {"kms:ReEncryptFrom", "kms:ReEncryptTo"} <= set(ebs["Action"])
    grant = next(s for s in statements if s["Action"] == "kms:CreateGrant")
    assert grant["Resource"] == compute
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_instance_role_reaches_no_data_and_writes_job_logs_only(state):
    """Jobs share the host's network, so whatever the instance role holds a job can take: no S3, no data key."""
    statements = role_policy(state, "batch-instance")
    assert not [s for s in statements if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    assert not [s for s in statements if s["Resource"] == key_arn(state, "data")]
    logs = next(s for s in statements if s["Sid"] == "WriteJobLogs")
    assert all(
        r.startswith(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/batch/glz-{STACK}-jobs")
        for r in logs["Resource"]
    )


# ---- compute environments and queues ------------------------------------------------------------


def test_environments_are_managed_al2023_scale_to_zero(state):
    environments = envs(state)
    assert set(environments) == {"on-demand", "spot", "fpga"}
    profile_arn = f"arn:aws:iam::{ACCOUNT}:instance-profile/glz-{STACK}-batch-instance"
    (sg,) = [r for r in state.of_type(SG) if r.inputs["name"] == f"glz-{STACK}-batch-compute"]
    templates = {t.name: t for t in state.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    for key, env in environments.items():
        assert env.inputs["type"] == "MANAGED", key
        assert "serviceRole" not in env.inputs, f"{key}: use the AWSServiceRoleForBatch service-linked role"
        resources = env.inputs["computeResources"]
        assert [c["imageType"] for c in resources["ec2Configurations"]] == ["ECS_AL2023"], key
        assert resources["minVcpus"] == 0, key
        assert resources["subnets"] == ["subnet-a", "subnet-b"], key
        assert resources["securityGroupIds"] == [sg.id], key
        assert resources["instanceRole"] == profile_arn, key
        own = "compute-fpga-launch-template" if key == "fpga" else "compute-launch-template"
        assert resources["launchTemplate"]["launchTemplateId"] == templates[own].id, key


def test_allocation_strategies_and_limits(state):
    environments = envs(state)
    on_demand = environments["on-demand"].inputs["computeResources"]
    spot = environments["spot"].inputs["computeResources"]
    assert (on_demand["type"], on_demand["allocationStrategy"], on_demand["maxVcpus"]) == (
        "EC2",
        "BEST_FIT_PROGRESSIVE",
        256,
    )
    assert (spot["type"], spot["allocationStrategy"], spot["maxVcpus"]) == (
        "SPOT",
        "SPOT_PRICE_CAPACITY_OPTIMIZED",
        1024,
    )
    assert on_demand["instanceTypes"] == spot["instanceTypes"] == ["m7i", "c7i", "r7i"]


def _order(state, queue):
    by_arn = {r.outputs["arn"]: name for name, r in envs(state).items()}
    orders = sorted(queue.inputs["computeEnvironmentOrders"], key=lambda o: o["order"])
    return [(o["order"], by_arn[o["computeEnvironment"]]) for o in orders]


def test_queue_ordering(state):
    all_queues = queues(state)
    assert set(all_queues) == {"high-priority", "default", "fpga"}
    assert _order(state, all_queues["high-priority"]) == [(1, "on-demand")]
    assert _order(state, all_queues["default"]) == [(1, "spot"), (2, "on-demand")]
    assert _order(state, all_queues["fpga"]) == [(1, "fpga")]
    assert all_queues["high-priority"].inputs["priority"] > all_queues["default"].inputs["priority"]
    assert all(q.inputs["state"] == "ENABLED" for q in all_queues.values())


def test_fpga_environment_is_f2_on_the_configured_ami_in_a_cluster_placement_group(state):
    resources = envs(state)["fpga"].inputs["computeResources"]
    assert resources["instanceTypes"] == ["f2.12xlarge"]
    assert resources["ec2Configurations"] == [{"imageType": "ECS_AL2023", "imageIdOverride": AMI}]
    assert (resources["type"], resources["allocationStrategy"], resources["maxVcpus"]) == (
        "EC2",
        "BEST_FIT_PROGRESSIVE",
        192,
    )
    (group,) = state.of_type("aws:ec2/placementGroup:PlacementGroup")
    assert group.inputs["strategy"] == "cluster"
    assert resources["placementGroup"] == group.inputs["name"]


def test_fpga_without_placement_group():
    state = build(make_settings(fpga={**FPGA_ON, "placementGroup": False}))
    assert not state.of_type("aws:ec2/placementGroup:PlacementGroup")
    assert "placementGroup" not in envs(state)["fpga"].inputs["computeResources"]


def test_no_fpga_environment_or_queue_when_disabled(plain):
    assert set(envs(plain)) == {"on-demand", "spot"}
    assert set(queues(plain)) == {"high-priority", "default"}
    assert not plain.of_type("aws:ec2/placementGroup:PlacementGroup")


@pytest.mark.parametrize("instance_type", ["f1.2xlarge", "m7i.large"])
def test_non_f2_fpga_types_are_refused_even_past_settings_validation(instance_type):
    settings = make_settings()
    settings = settings.model_copy(
        update={
            "fpga": Fpga.model_construct(
                enabled=True, instance_types=[instance_type], ami_id=AMI, placement_group=False, max_vcpus=8
            )
        }
    )
    with pytest.raises(ValueError, match="only F2 types"):
        build(settings)


def test_missing_bucket_tier_is_refused():
    with pytest.raises(ValueError, match=r"bucket_arns lacks tier\(s\) \['variants'\]"):
        build(make_settings(), bucket_arns={k: v for k, v in BUCKETS.items() if k != "variants"})


# ---- security group -----------------------------------------------------------------------------


def _egress(state):
    return [r for r in state.of_type(EGRESS)]


def test_compute_security_group_has_no_ingress(state):
    (sg,) = [r for r in state.of_type(SG) if r.inputs["name"] == f"glz-{STACK}-batch-compute"]
    assert not sg.inputs.get("ingress")
    assert not sg.inputs.get("egress"), "egress is managed by separate rules"
    assert not [r for r in state.of_type(INGRESS) if r.inputs["securityGroupId"] == sg.id]
    assert not state.of_type(LEGACY_RULE)


def test_egress_only_https_to_vpc_and_s3_prefix_list(plain):
    rules = {
        (
            r.inputs["ipProtocol"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
            r.inputs.get("cidrIpv4"),
            r.inputs.get("prefixListId"),
        )
        for r in _egress(plain)
    }
    assert rules == {("tcp", 443, 443, VPC_CIDR, None), ("tcp", 443, 443, None, S3_PREFIX_LIST)}


def test_egress_without_s3_prefix_list():
    state = build(make_settings(), s3_prefix_list_id=None)
    assert [(r.inputs["fromPort"], r.inputs.get("cidrIpv4")) for r in _egress(state)] == [(443, VPC_CIDR)]


def test_nfs_egress_only_with_reference_efs(plain):
    assert 2049 not in {r.inputs["fromPort"] for r in _egress(plain)}
    state = build(make_settings(referenceData={"efs": True}))
    nfs = [r for r in _egress(state) if r.inputs["fromPort"] == 2049]
    assert [(r.inputs["toPort"], r.inputs["cidrIpv4"]) for r in nfs] == [(2049, VPC_CIDR)]
    assert all(r.inputs.get("cidrIpv4") != "0.0.0.0/0" for r in _egress(state))


# ---- job definitions and roles ------------------------------------------------------------------


def container(job_def):
    return json.loads(job_def.inputs["containerProperties"])


def test_job_definitions_use_configured_images_and_job_roles(state):
    definitions = job_defs(state)
    assert set(definitions) == {"alignment", "variant-calling"}
    images = make_settings().compute.images
    assert container(definitions["alignment"])["image"] == images.alignment
    assert container(definitions["variant-calling"])["image"] == images.variant_calling
    for key, definition in definitions.items():
        assert definition.inputs["type"] == "container"
        assert definition.inputs["platformCapabilities"] == ["EC2"]
        assert container(definition)["jobRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-batch-job-{key}"


def test_containers_are_unprivileged_with_read_only_root(state):
    for key, definition in job_defs(state).items():
        properties = container(definition)
        assert properties["privileged"] is False, key
        assert properties["readonlyRootFilesystem"] is True, key
        writable = {m["containerPath"] for m in properties["mountPoints"] if not m["readOnly"]}
        assert writable == {"/scratch", "/tmp"}, key


def test_retry_on_host_failure_exit_otherwise_and_timeout(state):
    for key, definition in job_defs(state).items():
        retry = definition.inputs["retryStrategy"]
        assert retry["attempts"] == 3, key
        assert retry["evaluateOnExits"] == [
            {"action": "RETRY", "onStatusReason": "Host EC2*"},
            {"action": "EXIT", "onReason": "*"},
        ], key
        assert definition.inputs["timeout"]["attemptDurationSeconds"] == 1440 * 60, key


def test_attempts_and_timeout_follow_settings():
    state = build(make_settings(compute=compute_config(jobAttempts=5, jobTimeoutMinutes=90)))
    for definition in job_defs(state).values():
        assert definition.inputs["retryStrategy"]["attempts"] == 5
        assert definition.inputs["timeout"]["attemptDurationSeconds"] == 5400


def test_jobs_log_to_an_encrypted_log_group(state):
    (group,) = [g for g in state.of_type("aws:cloudwatch/logGroup:LogGroup") if "/aws/batch/" in g.inputs["name"]]
    assert group.inputs["kmsKeyId"] == key_arn(state, "logs")
    assert group.inputs["retentionInDays"] == make_settings().audit_log_retention_days
    for definition in job_defs(state).values():
        logging = container(definition)["logConfiguration"]
        assert logging["logDriver"] == "awslogs"
        assert logging["options"]["awslogs-group"] == group.inputs["name"]


def test_job_roles_trusted_by_ecs_tasks_of_this_account_only(state):
    for key in ("alignment", "variant-calling"):
        (statement,) = json.loads(roles(state)[f"batch-job-{key}"].inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:*"},
        }


@pytest.mark.parametrize(
    ("key", "reads", "writes"),
    [
        ("alignment", {"fastq", "reference"}, {"alignments"}),
        ("variant-calling", {"alignments", "reference"}, {"variants"}),
    ],
)
def test_job_roles_least_privilege(state, key, reads, writes):
    statements = role_policy(state, f"batch-job-{key}")
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"wildcard action {action}"
        assert "*" not in as_list(statement["Resource"]), statement["Sid"]
    bucket_of = {arn: tier for tier, arn in BUCKETS.items()}

    def tiers(prefix):
        found = set()
        for statement in statements:
            if any(a.startswith(prefix) for a in as_list(statement["Action"])):
                found |= {bucket_of[r.removesuffix("/*")] for r in as_list(statement["Resource"])}
        return found

    assert tiers("s3:Get") == reads
    assert tiers("s3:Put") == writes
    assert not any(a.startswith("s3:Delete") for s in statements for a in as_list(s["Action"]))
    kms = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert [s["Resource"] for s in kms] == [key_arn(state, "data")]
    assert kms[0]["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def test_no_reference_efs_unless_enabled(plain):
    assert not plain.of_type("aws:efs/fileSystem:FileSystem")
    for definition in job_defs(plain).values():
        assert not [v for v in container(definition)["volumes"] if "efsVolumeConfiguration" in v]


def test_component_records_the_settings_the_gate_reads(state, plain):
    """GLZ-CMP-006 and GLZ-CMP-010 read the allowed registries and AMIs from the component, not from tags."""
    (component,) = state.of_type("glz:compute:GenomicsCompute")
    assert component.outputs["approvedAmiIds"] == [AMI]
    assert component.outputs["allowedRegistries"] == []
    (without_fpga,) = plain.of_type("glz:compute:GenomicsCompute")
    assert without_fpga.outputs["approvedAmiIds"] == []
    registries = build(make_settings(compute=compute_config(allowedRegistries=["quay.io"])))
    (allowing,) = registries.of_type("glz:compute:GenomicsCompute")
    assert allowing.outputs["allowedRegistries"] == ["quay.io"]


def test_fpga_environment_has_its_own_launch_template_for_its_ami():
    """The F2 AMI has its own root device, and /scratch is the instance store: a template of its own, as
    hardened (IMDSv2 hop 1, every volume encrypted with the compute key) as the ECS one."""
    state = build(make_settings(fpga={**FPGA_ON, "rootDeviceName": "/dev/sda1"}))
    templates = {t.name: t for t in state.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    fpga, default = templates["compute-fpga-launch-template"], templates["compute-launch-template"]
    assert [m["deviceName"] for m in fpga.inputs["blockDeviceMappings"]] == ["/dev/sda1"]
    assert all(m["ebs"]["encrypted"] == "true" and m["ebs"]["kmsKeyId"] for m in fpga.inputs["blockDeviceMappings"])
    assert fpga.inputs["metadataOptions"] == default.inputs["metadataOptions"]
    script = base64.b64decode(fpga.inputs["userData"]).decode()
    assert "Amazon EC2 NVMe Instance Storage" in script and "/dev/xvdb" not in script
    environments = {e.name: e for e in state.of_type(CE)}
    assert fpga.urn in environments["compute-fpga"].property_dependencies["computeResources"]
    assert default.urn not in environments["compute-fpga"].property_dependencies["computeResources"]
    assert fpga.urn not in environments["compute-on-demand"].property_dependencies["computeResources"]


def test_session_manager_preferences_stream_every_session_encrypted(state):
    """The hosts run the SSM Agent (Session Manager, Inspector's agent scans): the account's preferences send
    every session to the encrypted session log group, and encrypt the session data with the compute key."""
    (document,) = state.of_type("aws:ssm/document:Document")
    assert document.inputs["name"] == "SSM-SessionManagerRunShell" and document.inputs["documentType"] == "Session"
    inputs = json.loads(document.inputs["content"])["inputs"]
    group = next(g for g in state.of_type("aws:cloudwatch/logGroup:LogGroup") if "sessions" in g.inputs["name"])
    assert inputs["cloudWatchLogGroupName"] == group.inputs["name"]
    assert inputs["cloudWatchEncryptionEnabled"] is True and inputs["cloudWatchStreamingEnabled"] is True
    assert inputs["kmsKeyId"] == key_arn(state, "compute")
    assert group.inputs["kmsKeyId"] == key_arn(state, "logs")
    stream = next(s for s in role_policy(state, "batch-instance") if s["Sid"] == "StreamSessionLogs")
    assert stream["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":log-stream:*"]


def test_existing_session_preferences_are_left_alone():
    """sessionPreferences: existing creates no document (one per account and region); the log group stays."""
    settings = make_settings(compute=compute_config(sessionPreferences="existing"))
    built = build(settings)
    assert not built.of_type("aws:ssm/document:Document")
    assert any("sessions" in g.inputs["name"] for g in built.of_type("aws:cloudwatch/logGroup:LogGroup"))


def test_jobs_run_as_a_non_root_user_and_only_root_reaches_imds(state):
    """Batch jobs on EC2 share the host's network (host mode), so IMDS's hop limit does not stop them: the boot
    script lets only root (the ECS and SSM agents) reach IMDS, and every job runs as a non-root user."""
    import base64
    from types import SimpleNamespace

    from policies.rules.compute import imds_guarded

    for template in state.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        script = base64.b64decode(template.inputs["userData"]).decode()
        assert "iptables -w -I OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT" in script
        assert script.index("iptables") > script.index("set -euo pipefail")  # before anything can fail later
        assert imds_guarded(SimpleNamespace(get=template.inputs.get))
    for definition in job_defs(state).values():
        assert container(definition)["user"] == "1000"
