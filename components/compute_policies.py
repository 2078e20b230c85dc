"""Pure documents for AWS Batch compute: IAM trust and permission policies, container properties, user data.

Plain functions over ARNs and names (strings), so the component, the tests and the policy rules read
one definition of "what a pipeline job may touch". No statement uses a wildcard action, and every S3
or KMS statement names its resources.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from components.policy_document import Statement, document

if TYPE_CHECKING:
    from components.settings import PipelineStage, Settings

INSTANCE_ROLE_SUFFIX = "batch-instance"
"""Role name suffix (naming.role_name) of the EC2 instance role of every Batch compute environment."""

SCRATCH_DEVICE = "/dev/xvdb"
SCRATCH_MOUNT = "/scratch"
REFERENCE_MOUNT = "/reference"
REFERENCE_VOLUME = "reference"

# Managed policies the Batch container instance needs: the ECS agent (register, pull from ECR,
# awslogs) and Session Manager, so operators debug instances without SSH or inbound rules.
INSTANCE_MANAGED_POLICIES = (
    "service-role/AmazonEC2ContainerServiceforEC2Role",
    "AmazonSSMManagedInstanceCore",
)


@dataclass(frozen=True)
class JobSpec:
    """One job definition: which tiers it reads, which it writes, its size and where it runs."""

    key: str
    role_suffix: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    vcpus: int
    memory_mib: int
    description: str
    image: str = ""
    queue: str = "spot"  # settings.STAGE_QUEUES
    gpus: int = 0
    timeout_minutes: int | None = None  # None: compute.jobTimeoutMinutes
    attempts: int | None = None  # None: compute.jobAttempts


JOB_QUEUE_OF_STAGE_QUEUE = {"spot": "default", "on-demand": "high-priority", "fpga": "fpga", "gpu": "gpu"}
"""A stage's queue setting -> the job queue it is submitted to (components/compute.GenomicsCompute.job_queues)."""


def stage_spec(stage: PipelineStage) -> JobSpec:
    """A pipeline stage as the job it runs: its own role (batch-job-<name>), definition and queue."""
    return JobSpec(
        key=stage.name,
        role_suffix=f"batch-job-{stage.name}",
        reads=tuple(stage.reads),
        writes=(stage.writes,),
        vcpus=stage.vcpus,
        memory_mib=stage.memory_mib,
        description=stage.description or f"read {', '.join(stage.reads)}, write {stage.writes}",
        image=stage.image,
        queue=stage.queue,
        gpus=stage.gpus,
        timeout_minutes=stage.timeout_minutes,
        attempts=stage.attempts,
    )


def job_specs(settings: Settings) -> tuple[JobSpec, ...]:
    """The stack's pipeline stages as jobs, in pipeline order (settings.stages)."""
    return tuple(stage_spec(stage) for stage in settings.stages)


def ec2_trust_policy() -> dict[str, Any]:
    """EC2 instances assume the instance role. No aws:SourceAccount condition: EC2 does not send one
    when it delivers instance-profile credentials, and the condition would lock the instances out.
    Only principals of this account with iam:PassRole on the role can attach it to an instance."""
    return document(
        [
            {
                "Sid": "Ec2AssumesInstanceRole",
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def ecs_tasks_trust_policy(partition: str, region: str, account_id: str) -> dict[str, Any]:
    """Only ECS tasks launched in this account and region (the Batch jobs) assume a job role;
    the source conditions stop another account's tasks from borrowing it (confused deputy)."""
    return document(
        [
            {
                "Sid": "EcsTasksAssumeJobRole",
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account_id}:*"},
                },
            }
        ]
    )


def _via_s3(region: str) -> dict[str, Any]:
    return {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}


def s3_read_statements(sid: str, bucket_arns: list[str]) -> list[Statement]:
    """List and read objects of the given buckets (and nothing else)."""
    return [
        {
            "Sid": f"{sid}List",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": sorted(bucket_arns),
        },
        {
            "Sid": f"{sid}Objects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectTagging"],
            "Resource": sorted(f"{arn}/*" for arn in bucket_arns),
        },
    ]


def s3_write_statement(sid: str, bucket_arns: list[str]) -> Statement:
    """Write (and tag with the sequencing run) new objects; no delete, no ACL or policy changes."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging"],
        "Resource": sorted(f"{arn}/*" for arn in bucket_arns),
    }


def instance_role_policy(
    *, log_group_arn: str, compute_key_arn: str, session_statements: list[Statement] = ()
) -> dict[str, Any]:
    """What the container instance needs beyond the managed policies (the ECS agent's and Session Manager's):
    job logs and the compute key for its EBS volumes, and no genomic data.

    Batch jobs on EC2 run in the host's network namespace (AWS Batch User Guide, "Networking modes for AWS
    Batch jobs": ECS-EC2 simple jobs use host mode), where neither the IMDS hop limit nor ECS's
    DOCKER-USER iptables rule (bridge mode only) keeps a container from the instance role's credentials, so
    the instance role must be worth nothing to a job: every data grant lives in the job roles.

    The EBS statements matter most: instances boot with volumes encrypted by the compute key, and
    without Decrypt/GenerateDataKeyWithoutPlaintext and a grant for attached volumes the instance
    never joins the cluster and jobs sit in RUNNABLE.
    """
    return document(
        [
            {
                "Sid": "WriteJobLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
            },
            {
                "Sid": "UseComputeKeyForEbs",
                "Effect": "Allow",
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                ],
                "Resource": compute_key_arn,
            },
            {
                "Sid": "GrantComputeKeyToAttachedVolumes",
                "Effect": "Allow",
                "Action": "kms:CreateGrant",
                "Resource": compute_key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            *session_statements,
        ]
    )


def job_role_policy(
    spec: JobSpec,
    *,
    region: str,
    bucket_arns: dict[str, str],
    data_key_arn: str,
    file_system_arn: str | None = None,
    access_point_arn: str | None = None,
    open_data_object_arns: list[str] | None = None,
) -> dict[str, Any]:
    """Least privilege for one pipeline stage: read its input tiers, write its output tier, use the
    data key only through S3, (with reference EFS) mount it read-only through the access point, and read the
    objects of the declared Registry of Open Data buckets."""
    missing = sorted({*spec.reads, *spec.writes} - set(bucket_arns))
    if missing:
        raise ValueError(f"job {spec.key!r} needs bucket ARNs for tier(s) {missing}")
    statements = [
        *s3_read_statements("ReadInputTiers", [bucket_arns[t] for t in spec.reads]),
        s3_write_statement("WriteOutputTier", [bucket_arns[t] for t in spec.writes]),
        {
            "Sid": "UseDataKeyThroughS3",
            "Effect": "Allow",
            # Decrypt reads inputs; GenerateDataKey encrypts outputs (multipart uploads need both).
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": data_key_arn,
            "Condition": _via_s3(region),
        },
    ]
    if open_data_object_arns:
        statements.append(
            {"Sid": "ReadOpenData", "Effect": "Allow", "Action": "s3:GetObject", "Resource": open_data_object_arns}
        )
    if file_system_arn is not None:
        if access_point_arn is None:
            raise ValueError("access_point_arn is required with file_system_arn")
        statements.append(
            {
                "Sid": "MountReferenceReadOnly",
                "Effect": "Allow",
                "Action": "elasticfilesystem:ClientMount",
                "Resource": file_system_arn,
                "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn}},
            }
        )
    return document(statements)


REFERENCE_LOADER = JobSpec(
    key="reference-loader",
    role_suffix="batch-job-reference-loader",
    reads=("reference",),
    writes=(),
    vcpus=2,
    memory_mib=4096,
    description="copy reference genomes from the reference bucket onto the reference file system",
)
"""The one writer of the reference file system (not a pipeline stage: no tier written, not in job_specs)."""
OPEN_DATA_MOUNT = f"{REFERENCE_MOUNT}/open-data"


def reference_loader_command(settings: Settings, reference_bucket: str) -> list[str]:
    """Sync the reference bucket onto the file system, then copy each named Registry of Open Data object to
    /reference/open-data/<bucket>/<key>. The object names are validated (settings OPEN_DATA_OBJECT: no quote,
    space or wildcard), so the shell takes them literally."""
    steps = [f"aws s3 sync s3://{reference_bucket}/ {REFERENCE_MOUNT}/ --only-show-errors"]
    steps += [
        f"aws s3 cp s3://{item} {OPEN_DATA_MOUNT}/{item} --only-show-errors"
        for item in settings.reference_data.open_data_objects
    ]
    if len(steps) == 1:
        return ["aws", "s3", "sync", f"s3://{reference_bucket}/", f"{REFERENCE_MOUNT}/", "--only-show-errors"]
    return ["sh", "-c", "set -e; " + "; ".join(steps)]


def reference_loader_policy(
    *,
    region: str,
    reference_bucket_arn: str,
    data_key_arn: str,
    file_system_arn: str,
    access_point_arn: str,
    open_data_object_arns: list[str] | None = None,
) -> dict[str, Any]:
    """Read the reference bucket, decrypt through S3, mount and write the file system only through the
    loader's access point; and read the named Registry of Open Data objects, nothing else of them."""
    open_data: list[Statement] = (
        [{"Sid": "ReadOpenDataObjects", "Effect": "Allow", "Action": "s3:GetObject", "Resource": open_data_object_arns}]
        if open_data_object_arns
        else []
    )
    return document(
        [
            *open_data,
            *s3_read_statements("ReadReferenceTier", [reference_bucket_arn]),
            {
                "Sid": "DecryptReferenceThroughS3",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": data_key_arn,
                "Condition": _via_s3(region),
            },
            {
                "Sid": "WriteReferenceThroughLoaderAccessPoint",
                "Effect": "Allow",
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": file_system_arn,
                "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn}},
            },
        ]
    )


def container_properties(
    spec: JobSpec,
    *,
    image: str,
    job_role_arn: str,
    log_group_name: str,
    region: str,
    file_system_id: str | None = None,
    access_point_id: str | None = None,
    reference_writable: bool = False,
    command: list[str] | None = None,
) -> dict[str, Any]:
    """Container job: read-only root filesystem, not privileged, scratch (and /tmp) on the encrypted
    scratch volume, logs to the encrypted job log group, reference EFS mounted over TLS: read-only, except
    for the reference loader (``reference_writable``, through its own access point)."""
    volumes: list[dict[str, Any]] = [
        {"name": "scratch", "host": {"sourcePath": SCRATCH_MOUNT}},
        {"name": "tmp", "host": {"sourcePath": f"{SCRATCH_MOUNT}/tmp"}},
    ]
    mount_points: list[dict[str, Any]] = [
        {"sourceVolume": "scratch", "containerPath": SCRATCH_MOUNT, "readOnly": False},
        # Tools write temporary files to /tmp; the root filesystem stays read-only.
        {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False},
    ]
    if file_system_id is not None:
        volumes.append(
            {
                "name": REFERENCE_VOLUME,
                "efsVolumeConfiguration": {
                    "fileSystemId": file_system_id,
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": access_point_id, "iam": "ENABLED"},
                },
            }
        )
        mount_points.append(
            {"sourceVolume": REFERENCE_VOLUME, "containerPath": REFERENCE_MOUNT, "readOnly": not reference_writable}
        )
    extra: dict[str, Any] = {"command": command} if command else {}
    return {
        **extra,
        "image": image,
        "jobRoleArn": job_role_arn,
        # GPUs: the ECS agent pins them to the container and selects the NVIDIA runtime; no device mapping or
        # privilege is needed (Amazon ECS Developer Guide, "Specifying GPUs in a task definition")
        "resourceRequirements": [
            {"type": "VCPU", "value": str(spec.vcpus)},
            {"type": "MEMORY", "value": str(spec.memory_mib)},
            *([{"type": "GPU", "value": str(spec.gpus)}] if spec.gpus else []),
        ],
        "readonlyRootFilesystem": True,
        "privileged": False,
        "user": str(JOB_UID),
        "environment": [{"name": "TMPDIR", "value": "/tmp"}, {"name": "SCRATCH_DIR", "value": SCRATCH_MOUNT}],
        "volumes": volumes,
        "mountPoints": mount_points,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group_name,
                "awslogs-region": region,
                "awslogs-stream-prefix": spec.key,
            },
        },
    }


USER_DATA_BOUNDARY = "==GLZ-BATCH-BOUNDARY=="

SCRATCH_SCRIPT = f"""#!/bin/bash
# Format and mount the encrypted scratch volume at {SCRATCH_MOUNT}. Local tools only: the
# private subnets have no internet route, so nothing here may download anything.
set -euo pipefail
device={SCRATCH_DEVICE}
# On Nitro instances the volume is an NVMe device; udev (amazon-ec2-utils) adds the {SCRATCH_DEVICE}
# link from the block device mapping. Wait for it rather than guess the NVMe name.
for _ in $(seq 1 60); do
  [ -e "$device" ] && break
  sleep 1
done
if [ ! -e "$device" ]; then
  echo "scratch volume $device did not appear" >&2
  exit 1
fi
if ! blkid "$device" >/dev/null 2>&1; then
  mkfs.xfs -q "$device"
fi
mkdir -p {SCRATCH_MOUNT}
mount -o noatime,nodev,nosuid "$device" {SCRATCH_MOUNT}
echo "$device {SCRATCH_MOUNT} xfs noatime,nodev,nosuid,nofail 0 2" >> /etc/fstab
mkdir -p {SCRATCH_MOUNT}/tmp
chmod 1777 {SCRATCH_MOUNT} {SCRATCH_MOUNT}/tmp
"""


INSTANCE_STORE_SCRIPT = """#!/bin/bash
# F2 instances carry local NVMe instance store: /scratch lives there, so FPGA AMIs need no udev link for an
# EBS scratch volume. AWS encrypts instance store NVMe data at rest with XTS-AES-256 in the instance's
# hardware (EC2 User Guide, "Data protection: instance store volumes"). Local tools only: nothing downloads.
set -euo pipefail
device=$(lsblk -dpno NAME,MODEL | awk '/Amazon EC2 NVMe Instance Storage/ {print $1; exit}')
if [ -z "$device" ]; then
  echo "no NVMe instance store device for /scratch" >&2
  exit 1
fi
mkfs.xfs -f -q "$device"
mkdir -p /scratch
mount -o noatime,nodev,nosuid "$device" /scratch
mkdir -p /scratch/tmp
chmod 1777 /scratch /scratch/tmp
"""
"""The FPGA environment's boot script: the first instance store device (the model string is how the NVMe
driver names instance store, EC2 User Guide, "Amazon EBS and NVMe"), formatted on every boot since instance
store starts empty."""


JOB_UID = 1000
"""Every job container runs as this user (the reference readers' uid), never root: see IMDS_GUARD."""

IMDS_GUARD = """# Batch jobs on EC2 share the host's network namespace (AWS Batch User Guide, "Networking modes for AWS Batch
# jobs": host mode), where the IMDS hop limit and ECS's DOCKER-USER rule (bridge mode only) do not keep a
# container from the instance role. Only root reaches IMDS: the ECS and SSM agents run as root, jobs run as a
# non-root user (job definitions' user; gate rules GLZ-CMP-009/010), so a job cannot take the instance role.
iptables -w -I OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT
"""


def user_data(script: str = SCRATCH_SCRIPT) -> str:
    """Launch-template user data as AWS Batch requires it: MIME multi-part, base64 encoded
    (Batch adds its own part with the ECS cluster configuration). IMDS_GUARD runs first in every script."""
    strict = "set -euo pipefail\n"
    if strict not in script:
        raise ValueError("boot scripts start with `set -euo pipefail`, after which the IMDS guard goes")
    script = script.replace(strict, strict + IMDS_GUARD, 1)
    mime = (
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{USER_DATA_BOUNDARY}"\n'
        "\n"
        f"--{USER_DATA_BOUNDARY}\n"
        'Content-Type: text/x-shellscript; charset="us-ascii"\n'
        "\n"
        f"{script}"
        f"--{USER_DATA_BOUNDARY}--\n"
    )
    return base64.b64encode(mime.encode()).decode()
