"""Compute: IMDSv2, encrypted EBS, no public IPs, AL2023, F2-only FPGA, image provenance, EFS encryption."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies.framework import Requirements, StackView, View, as_list, parse_json, resource_rule

LAUNCH_TEMPLATE = ("aws:ec2/launchTemplate:LaunchTemplate",)
COMPUTE_ENV = ("aws:batch/computeEnvironment:ComputeEnvironment",)
JOB_DEFINITION = ("aws:batch/jobDefinition:JobDefinition",)
CONFIG = Requirements(r2=("3.4.2", "3.13.1"), r3=("03.04.02",), hipaa=("164.312(a)(1)",))
AT_REST = Requirements(r2=("3.13.16",), r3=("03.13.08",), hipaa=("164.312(a)(2)(iv)",))
SUPPORTED = Requirements(r2=("3.4.1", "3.14.1"), r3=("03.04.01", "03.14.01"), hipaa=("164.308(a)(5)(ii)(B)",))
PROVENANCE = Requirements(r2=("3.4.8", "3.14.2"), r3=("03.04.08",), hipaa=("164.308(a)(5)(ii)(B)",))
ECR = re.compile(r"^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/")
F2 = ("f2.6xlarge", "f2.12xlarge", "f2.48xlarge")


@resource_rule(
    "GLZ-CMP-001",
    "launch-template-imdsv2",
    LAUNCH_TEMPLATE,
    "high",
    CONFIG,
    "Set metadata_options.http_tokens='required'.",
)
def imdsv2(resource: View, stack: StackView) -> Iterator[str]:
    """Instances require IMDSv2 session tokens, closing the SSRF path to instance credentials."""
    if (resource.get("metadataOptions") or {}).get("httpTokens") != "required":
        yield "instance metadata allows IMDSv1 (http_tokens is not 'required')"


@resource_rule(
    "GLZ-CMP-002",
    "launch-template-ebs-encrypted",
    LAUNCH_TEMPLATE,
    "high",
    AT_REST,
    "Set encrypted='true' and kms_key_id to the compute key on every block device mapping.",
)
def ebs(resource: View, stack: StackView) -> Iterator[str]:
    """Root and scratch volumes are encrypted with the customer-managed compute key."""
    mappings = as_list(resource.get("blockDeviceMappings"))
    if not mappings:
        yield "no block device mappings: volumes fall back to the AMI's settings"
    for mapping in mappings:
        volume = mapping.get("ebs") or {}
        if str(volume.get("encrypted")).lower() != "true":
            yield f"volume {mapping.get('deviceName')} is not encrypted"
        elif not volume.get("kmsKeyId"):
            yield f"volume {mapping.get('deviceName')} uses the AWS-managed EBS key"


@resource_rule(
    "GLZ-CMP-003",
    "launch-template-no-public-ip",
    LAUNCH_TEMPLATE,
    "high",
    CONFIG,
    "Do not associate public IP addresses; compute lives in private subnets.",
)
def public_ip(resource: View, stack: StackView) -> Iterator[str]:
    """Compute instances never get a public IP address."""
    for interface in as_list(resource.get("networkInterfaces")):
        if str(interface.get("associatePublicIpAddress")).lower() == "true":
            yield "network interface associates a public IP"


def _ec2_configurations(resource: View) -> list[dict]:
    return as_list((resource.get("computeResources") or {}).get("ec2Configurations"))


@resource_rule(
    "GLZ-CMP-004",
    "batch-ecs-al2023",
    COMPUTE_ENV,
    "medium",
    SUPPORTED,
    "Set compute_resources.ec2_configurations[].image_type='ECS_AL2023' explicitly.",
)
def al2023(resource: View, stack: StackView) -> Iterator[str]:
    """Managed EC2 compute environments run the supported ECS-optimized Amazon Linux 2023."""
    if (resource.get("computeResources") or {}).get("type") in ("FARGATE", "FARGATE_SPOT"):
        return
    types = [c.get("imageType") for c in _ec2_configurations(resource)]
    if not types or any(t != "ECS_AL2023" for t in types):
        yield f"image type is {types or 'unset (defaults to an older AMI family)'}, not ECS_AL2023"


@resource_rule(
    "GLZ-CMP-005",
    "fpga-f2-only",
    COMPUTE_ENV,
    "high",
    SUPPORTED,
    "Use F2 instance types (f2.6xlarge, f2.12xlarge, f2.48xlarge); F1 was retired on 2025-12-20.",
)
def f2_only(resource: View, stack: StackView) -> Iterator[str]:
    """FPGA compute uses F2 instances only (F1 is retired)."""
    types = as_list((resource.get("computeResources") or {}).get("instanceTypes"))
    fpga = [t for t in types if str(t).startswith("f")]
    for instance_type in fpga:
        if instance_type not in F2:
            yield f"FPGA instance type {instance_type} is not F2"
    if fpga and not any(c.get("imageIdOverride") for c in _ec2_configurations(resource)):
        yield "FPGA compute environment without an explicit AMI"


@resource_rule(
    "GLZ-CMP-006",
    "job-images-from-own-ecr",
    JOB_DEFINITION,
    "high",
    PROVENANCE,
    "Push pipeline images to ECR in this account and reference them by tag or digest.",
)
def image_provenance(resource: View, stack: StackView) -> Iterator[str]:
    """Job images come from ECR in this account (other registries only when explicitly allowed)."""
    container = parse_json(resource.get("containerProperties")) or {}
    image = str(container.get("image", ""))
    match = ECR.match(image)
    allowed = resource.tags.get("AllowedRegistry")
    if match and (stack.account_id is None or match.group(1) == stack.account_id):
        return
    if allowed and image.startswith(allowed + "/"):
        return
    yield f"image {image or '(none)'} is not from ECR in this account"


@resource_rule(
    "GLZ-CMP-007",
    "job-definition-unprivileged-bounded",
    JOB_DEFINITION,
    "medium",
    Requirements(r2=("3.1.7", "3.4.6"), r3=("03.01.07", "03.04.06"), hipaa=("164.308(a)(4)(ii)(B)",)),
    "Run containers unprivileged with a timeout and a retry strategy.",
)
def job_bounds(resource: View, stack: StackView) -> Iterator[str]:
    """Jobs run unprivileged, time out, and retry only on infrastructure failures."""
    container = parse_json(resource.get("containerProperties")) or {}
    if container.get("privileged") is True:
        yield "container runs privileged"
    if not (resource.get("timeout") or {}).get("attemptDurationSeconds"):
        yield "job has no timeout"
    if not (resource.get("retryStrategy") or {}).get("evaluateOnExits"):
        yield "retries are not limited to host (spot) terminations"


@resource_rule(
    "GLZ-CMP-008",
    "efs-encrypted",
    ("aws:efs/fileSystem:FileSystem",),
    "high",
    AT_REST,
    "Set encrypted=True and kms_key_id to the data key.",
)
def efs(resource: View, stack: StackView) -> Iterator[str]:
    """Reference-data file systems are encrypted with the customer-managed data key."""
    if resource.get("encrypted") is not True:
        yield "file system is not encrypted"
    elif not resource.get("kmsKeyId"):
        yield "file system uses the AWS-managed EFS key"
