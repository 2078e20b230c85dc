"""Compute and its storage escape hatches: IMDSv2, encrypted EBS, no public IPs, AL2023, F2-only FPGA, image
provenance, containers kept off the host, the hardened launch template, snapshots and replicas that stay in
the account, EFS encryption and TLS.

Every job container is read wherever a job definition can declare one: ``containerProperties``,
``ecsProperties`` (task containers), ``eksProperties`` (pod containers and init containers) and
``nodeProperties`` (each node range). What the settings allow beyond the defaults (other registries, the
FPGA AMI) is read from the GenomicsCompute component's record of the settings, never from a tag a
resource sets on itself.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from policies.access.actors import account_of
from policies.access.document import Statement
from policies.access.document import statements as normalized
from policies.framework import (
    AWS_PROVIDER,
    Requirements,
    StackView,
    View,
    Violation,
    as_list,
    parse_json,
    resource_rule,
    stack_rule,
)
from policies.rules import s3_support
from policies.rules.encryption import foreign_key

LAUNCH_TEMPLATE = ("aws:ec2/launchTemplate:LaunchTemplate",)
COMPUTE_ENV = ("aws:batch/computeEnvironment:ComputeEnvironment",)
JOB_DEFINITION = ("aws:batch/jobDefinition:JobDefinition",)
INSTANCE = "aws:ec2/instance:Instance"
EIP = "aws:ec2/eip:Eip"
EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
FILE_SYSTEM_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
GENOMICS_COMPUTE = "glz:compute:GenomicsCompute"
SETTINGS_FILE = "Pulumi.<stack>.yaml"
PLACEHOLDER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""What a CrossGuard preview shows for a string it does not know yet (pulumi_policy/proxy.py)."""

CONFIG = Requirements(r2=("3.4.2", "3.13.1"), r3=("03.04.02",), hipaa=("164.312(a)(1)",))
AT_REST = Requirements(r2=("3.13.16",), r3=("03.13.08",), hipaa=("164.312(a)(2)(iv)",))
SUPPORTED = Requirements(r2=("3.4.1", "3.14.1"), r3=("03.04.01", "03.14.01"), hipaa=("164.308(a)(5)(ii)(B)",))
PROVENANCE = Requirements(r2=("3.4.8", "3.14.2"), r3=("03.04.08",), hipaa=("164.308(a)(5)(ii)(B)",))
LEAST_PRIVILEGE = Requirements(
    r2=("3.1.7", "3.4.6", "3.13.4"),
    r3=("03.01.07", "03.04.06", "03.13.04"),
    hipaa=("164.308(a)(4)(ii)(B)", "164.312(a)(1)"),
)
BASELINE = Requirements(r2=("3.4.1", "3.4.2"), r3=("03.04.01", "03.04.02"), hipaa=("164.308(a)(5)(ii)(B)",))
STAYS_INSIDE = Requirements(r2=("3.1.1", "3.1.3"), r3=("03.01.01", "03.01.03"), hipaa=("164.312(a)(1)",))
IN_TRANSIT = Requirements(
    r2=("3.13.8", "3.1.1"), r3=("03.13.08", "03.01.01"), hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)", "164.312(a)(1)")
)

ECR_HOST = re.compile(
    r"^(?P<account>\d{12})\.(dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?"
    r"|dkr-ecr(-fips)?\.(?P<region2>[a-z0-9-]+)\.on\.aws)(:443)?$"
)
"""An ECR registry host: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn] or the dual-stack
<account>.dkr-ecr[-fips].<region>.on.aws (Amazon ECR User Guide, "Amazon ECR private registry")."""
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
VERSION_TAG = re.compile(r"^v?\d[\w.+-]*$")
"""A tag that names a version (2.2.1, 4.6.1.0, v1.2-cuda12). `latest`, `stable`, `main` or no tag at all
name whatever was pushed last, so they fail; a digest pins the image whatever its tag."""
F2 = ("f2.6xlarge", "f2.12xlarge", "f2.48xlarge")
AL2023_IMAGE_TYPES = ("ECS_AL2023", "ECS_AL2023_NVIDIA")
SCRATCH_MOUNT = "/scratch"
"""The encrypted scratch volume the launch template's user data mounts nodev,nosuid (compute_policies.SCRATCH_MOUNT;
a test keeps them equal): the one host path a job may mount."""
ALLOWED_DEVICES: frozenset[str] = frozenset()
"""Host devices a job may map: none. The component maps no device (the F2 environment's FPGA runtime lives in
its AMI, and no job definition needs /dev access); a device is a host escape like a privileged container."""


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _region(stack: StackView) -> str | None:
    for provider in stack.of_type(AWS_PROVIDER):
        if provider.get("region"):
            return str(provider.get("region"))
    return None


def _settings_record(stack: StackView, key: str) -> set[str]:
    """What the GenomicsCompute component recorded from the settings (allowedRegistries, approvedAmiIds)."""
    return {str(v) for c in stack.of_type(GENOMICS_COMPUTE) for v in as_list(c.get(key)) if v}


@resource_rule(
    "GLZ-CMP-001",
    "launch-template-imdsv2",
    LAUNCH_TEMPLATE,
    "high",
    CONFIG,
    "Set metadata_options.http_tokens='required' and http_put_response_hop_limit=1.",
)
def imdsv2(resource: View, stack: StackView) -> Iterator[str]:
    """Instances require IMDSv2 session tokens with a hop limit of 1, closing the SSRF and container paths to instance credentials."""
    options = resource.get("metadataOptions") or {}
    if options.get("httpTokens") != "required":
        yield "instance metadata allows IMDSv1 (http_tokens is not 'required')"
    try:
        hops = int(options.get("httpPutResponseHopLimit") or 1)
    except (TypeError, ValueError):
        hops = 2
    if hops > 1:
        yield f"instance metadata answers {hops} network hops away, so containers reach the instance role"


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
        elif foreign_key(stack, volume.get("kmsKeyId")):
            yield f"volume {mapping.get('deviceName')}: {foreign_key(stack, volume.get('kmsKeyId'))}"


def _identities_of(stack: StackView, *types: str) -> set[str]:
    return {str(r.get(p)) for r in stack.of_type(*types) for p in ("id", "arn", "name") if r.get(p)}


def _nat_allocation(stack: StackView, eip: View) -> bool:
    """An Elastic IP that a NAT gateway of the stack uses (egress: nat-gateway), not a host's address."""
    return any(
        eip.urn in (nat.property_dependencies.get("allocationId") or [])
        or (nat.get("allocationId") and nat.get("allocationId") == eip.get("id"))
        for nat in stack.of_type(NAT)
    )


@resource_rule(
    "GLZ-CMP-003",
    "compute-no-public-ip",
    (*LAUNCH_TEMPLATE, INSTANCE, EIP, EIP_ASSOCIATION, *JOB_DEFINITION),
    "high",
    CONFIG,
    "Do not associate public IP addresses (launch templates, instances, Elastic IPs, Fargate jobs' "
    "assignPublicIp); compute lives in private subnets.",
)
def public_ip(resource: View, stack: StackView) -> Iterator[str]:
    """Compute instances never get a public IP address (IPv4 or IPv6, on launch or by an Elastic IP)."""
    if resource.type in (*LAUNCH_TEMPLATE, INSTANCE):
        interfaces = as_list(resource.get("networkInterfaces"))
        if resource.type == INSTANCE:
            interfaces.append(resource.props)
        for interface in interfaces:
            if not isinstance(interface, dict):
                continue
            if str(interface.get("associatePublicIpAddress")).lower() == "true":
                yield "network interface associates a public IP"
            if as_list(interface.get("ipv6Addresses")) or _count(interface.get("ipv6AddressCount")):
                yield "network interface gets a globally routable IPv6 address"
            if _truthy(interface.get("associateCarrierIpAddress")):
                yield "network interface associates a carrier (public) IP"
    elif resource.type == EIP:
        if (resource.get("instance") or resource.get("networkInterface")) and not _nat_allocation(stack, resource):
            yield "Elastic IP attached to an instance or network interface"
    elif resource.type == EIP_ASSOCIATION:
        yield "Elastic IP association gives an instance or network interface a public IP"
    else:
        for container in job_containers(resource):
            network = container.props.get("networkConfiguration") or container.task.get("networkConfiguration") or {}
            if isinstance(network, dict) and str(network.get("assignPublicIp", "")).upper() == "ENABLED":
                yield f"{container.where} assigns a public IP (networkConfiguration.assignPublicIp ENABLED)"


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 1


def _ec2_configurations(resource: View) -> list[dict]:
    return as_list((resource.get("computeResources") or {}).get("ec2Configurations"))


@resource_rule(
    "GLZ-CMP-004",
    "batch-ecs-al2023",
    COMPUTE_ENV,
    "medium",
    SUPPORTED,
    "Set compute_resources.ec2_configurations[].image_type='ECS_AL2023' explicitly (ECS_AL2023_NVIDIA for the GPU "
    "environment).",
)
def al2023(resource: View, stack: StackView) -> Iterator[str]:
    """Managed EC2 compute environments run the supported ECS-optimized Amazon Linux 2023 (Batch ends AL2 AMIs on
    2026-06-30; AWS Batch User Guide, "Migrating from ECS AL2 to ECS AL2023")."""
    if (resource.get("computeResources") or {}).get("type") in ("FARGATE", "FARGATE_SPOT"):
        return
    types = [c.get("imageType") for c in _ec2_configurations(resource)]
    if not types or any(t not in AL2023_IMAGE_TYPES for t in types):
        yield f"image type is {types or 'unset (defaults to an older AMI family)'}, not ECS_AL2023 (or ECS_AL2023_NVIDIA)"


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


# ---- job containers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    """One container a job definition runs, with the volumes and task/pod settings around it."""

    where: str
    props: dict[str, Any]
    volumes: list[dict[str, Any]] = field(default_factory=list)
    task: dict[str, Any] = field(default_factory=dict)
    kubernetes: bool = False


def _dict(value: Any) -> dict[str, Any]:
    parsed = parse_json(value)
    return parsed if isinstance(parsed, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    """A list of objects (or one object) as a list; nothing for an absent or empty value."""
    parsed = parse_json(value)
    if isinstance(parsed, dict):
        return [parsed] if parsed else []
    return [v for v in as_list(parsed) if isinstance(v, dict) and v]


def _ecs_containers(ecs: dict[str, Any], where: str) -> list[Container]:
    found = []
    for i, task in enumerate(_dicts(ecs.get("taskProperties"))):
        for j, container in enumerate(_dicts(task.get("containers"))):
            found.append(
                Container(f"{where}.taskProperties[{i}].containers[{j}]", container, _dicts(task.get("volumes")), task)
            )
    return found


def _eks_containers(eks: dict[str, Any], where: str) -> list[Container]:
    pod = _dict(eks.get("podProperties"))
    found = []
    for key in ("containers", "initContainers"):
        for i, container in enumerate(_dicts(pod.get(key))):
            found.append(
                Container(f"{where}.podProperties.{key}[{i}]", container, _dicts(pod.get("volumes")), pod, True)
            )
    return found


def job_containers(resource: View) -> list[Container]:
    """Every container a job definition declares, in any of its forms."""
    found = []
    container = _dict(resource.get("containerProperties"))
    if container:
        found.append(Container("containerProperties", container, _dicts(container.get("volumes")), container))
    found += _ecs_containers(_dict(resource.get("ecsProperties")), "ecsProperties")
    found += _eks_containers(_dict(resource.get("eksProperties")), "eksProperties")
    node = _dict(resource.get("nodeProperties"))
    for i, group in enumerate(_dicts(node.get("nodeRangeProperties"))):
        where = f"nodeProperties.nodeRangeProperties[{i}]"
        inner = _dict(group.get("container"))
        if inner:
            found.append(Container(f"{where}.container", inner, _dicts(inner.get("volumes")), inner))
        found += _ecs_containers(_dict(group.get("ecsProperties")), f"{where}.ecsProperties")
        found += _eks_containers(_dict(group.get("eksProperties")), f"{where}.eksProperties")
    return found


def image_of(container: Container) -> str:
    return str(container.props.get("image") or "")


@dataclass(frozen=True)
class ImageReference:
    registry: str
    repository: str
    tag: str | None
    digest: str | None


def parse_image(image: str) -> ImageReference:
    """Docker's reference grammar: the first path part is a registry host when it has a '.' or ':' or is
    'localhost' (otherwise Docker Hub); a tag follows the last ':' of the last part, a digest an '@'."""
    name, _, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first.lower(), rest
    else:
        registry, path = "docker.io", name
    last = path.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else None
    repository = path[: len(path) - len(tag) - 1] if tag is not None else path
    return ImageReference(registry, repository, tag, digest or None)


def image_problems(image: str, account: str | None, region: str | None, allowed: set[str]) -> list[str]:
    """Why an image is not from this account's ECR (or an allowed registry) or is not pinned."""
    if not image:
        return ["no image"]
    reference = parse_image(image)
    problems = []
    ecr = ECR_HOST.match(reference.registry)
    if ecr:
        image_region = ecr.group("region") or ecr.group("region2")
        if account is not None and ecr.group("account") != account:
            problems.append(
                f"image {image} is from ECR in account {ecr.group('account')}, not this account ({account})"
            )
        elif region is not None and image_region != region:
            problems.append(f"image {image} is from ECR in {image_region}, not this stack's region ({region})")
    elif reference.registry not in allowed:
        problems.append(f"image {image} is from {reference.registry}, not ECR in this account")
    if reference.digest is not None:
        if not DIGEST.match(reference.digest):
            problems.append(f"image {image} has a malformed digest")
    elif reference.tag is None or not VERSION_TAG.match(reference.tag):
        problems.append(
            f"image {image} is not pinned: tag {reference.tag or '(none, i.e. latest)'} can be moved to another "
            "image; pin a digest (@sha256:...) or a version tag"
        )
    return problems


@resource_rule(
    "GLZ-CMP-006",
    "job-images-from-own-ecr-pinned",
    JOB_DEFINITION,
    "high",
    PROVENANCE,
    f"Push pipeline images to ECR in this account and region and set compute.images.<stage> in {SETTINGS_FILE} to "
    "<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<digest> (or a version tag, never latest); another "
    "registry only when listed in compute.allowedRegistries.",
)
def image_provenance(resource: View, stack: StackView) -> Iterator[str]:
    """Job images come from ECR in this account and region (other registries only when the settings allow them), pinned by digest or version tag."""
    containers = job_containers(resource)
    if not containers:
        yield "job definition declares no container image"
    allowed = _settings_record(stack, "allowedRegistries")
    region = _region(stack)
    for container in containers:
        for problem in image_problems(image_of(container), stack.account_id, region, allowed):
            yield f"{container.where}: {problem}" if len(containers) > 1 else problem


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
    for container in job_containers(resource):
        security = container.props.get("securityContext") or {}
        if _truthy(container.props.get("privileged")) or _truthy(security.get("privileged")):
            yield "container runs privileged"
    if not (resource.get("timeout") or {}).get("attemptDurationSeconds"):
        yield "job has no timeout"
    exits = (resource.get("retryStrategy") or {}).get("evaluateOnExits")
    if not exits:
        yield "retries are not limited to host (spot) terminations"
    for condition in as_list(exits):
        if not isinstance(condition, dict) or str(condition.get("action", "")).upper() != "RETRY":
            continue
        patterns = [str(condition.get(k)) for k in ("onReason", "onStatusReason", "onExitCode") if condition.get(k)]
        if not patterns or all(p.strip("*") == "" for p in patterns):
            yield "a RETRY condition matches every failure, not only host terminations"


@resource_rule(
    "GLZ-CMP-008",
    "efs-encrypted",
    (FILE_SYSTEM,),
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
    elif foreign_key(stack, resource.get("kmsKeyId")):
        yield f"file system key {foreign_key(stack, resource.get('kmsKeyId'))}"


def _host_path_allowed(path: Any) -> bool:
    """Only the scratch volume (and below it); the path is normalised first, so /scratch/../ is '/'."""
    normal = posixpath.normpath("/" + str(path).strip().lstrip("/"))
    return normal == SCRATCH_MOUNT or normal.startswith(SCRATCH_MOUNT + "/")


def _root_user(user: Any) -> bool:
    """uid 0 by name or number, with or without a group ("root", "0", "0:0", "root:users")."""
    return str(user).split(":", 1)[0].strip().lower() in ("root", "0")


def host_escapes(container: Container) -> Iterator[str]:
    """Ways a container reaches its host: each one as good as a privileged container."""
    props, task = container.props, container.task
    security = props.get("securityContext") if isinstance(props.get("securityContext"), dict) else {}
    if _truthy(props.get("privileged")) or _truthy(security.get("privileged")):
        yield "runs privileged"
    if _truthy(security.get("allowPrivilegeEscalation")):
        yield "allows privilege escalation (setuid binaries gain root)"
    if container.kubernetes:
        read_only = security.get("readOnlyRootFilesystem", security.get("readOnlyRootFileSystem"))
        if not _truthy(read_only):
            yield "root filesystem is writable (securityContext.readOnlyRootFilesystem is not true)"
        if "runAsUser" in security and str(security.get("runAsUser")).strip() == "0":
            yield "runs as root (securityContext.runAsUser 0)"
        if "runAsNonRoot" in security and not _truthy(security.get("runAsNonRoot")):
            yield "may run as root (securityContext.runAsNonRoot false)"
    else:
        if not _truthy(props.get("readonlyRootFilesystem")):
            yield "root filesystem is writable (readonlyRootFilesystem is not true)"
        if props.get("user") in (None, ""):
            # in the host's network namespace, a root job reaches IMDS and the instance role (the launch
            # template's IMDS guard lets only root through)
            yield "runs as its image's user, which may be root (no user set)"
        elif _root_user(props.get("user")):
            yield f"runs as root (user {props.get('user')!r})"
    linux = props.get("linuxParameters") if isinstance(props.get("linuxParameters"), dict) else {}
    for device in as_list(linux.get("devices")):
        path = device.get("hostPath") if isinstance(device, dict) else device
        if str(path) not in ALLOWED_DEVICES:
            yield f"maps the host device {path}"
    capabilities = linux.get("capabilities") if isinstance(linux.get("capabilities"), dict) else {}
    added = as_list(capabilities.get("add"))
    if added:
        yield f"adds kernel capabilities {', '.join(str(c) for c in added)}"
    for volume in container.volumes:
        host = volume.get("host") if isinstance(volume.get("host"), dict) else None
        path = (host or {}).get("sourcePath")
        if path in (None, "") and isinstance(volume.get("hostPath"), dict):
            path = volume["hostPath"].get("path")
        if path not in (None, "") and not _host_path_allowed(path):
            yield f"mounts the host path {path} (volume {volume.get('name')})"
    for key in ("networkMode", "ipcMode", "pidMode"):
        if str(task.get(key, "")).lower() == "host":
            yield f"shares the host's {key[:-4]} namespace ({key} host)"
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if _truthy(task.get(key)):
            yield f"shares the host's namespace ({key} true)"


@resource_rule(
    "GLZ-CMP-009",
    "job-containers-stay-off-the-host",
    JOB_DEFINITION,
    "high",
    LEAST_PRIVILEGE,
    "Keep job containers as components/compute_policies.container_properties builds them: privileged false, "
    "readonlyRootFilesystem true, user a non-root uid (set, never root/0), no devices or added capabilities, host volumes only under "
    "/scratch, no host network/IPC/PID namespace. A pipeline stage is a JobSpec, not a setting.",
)
def host_access(resource: View, stack: StackView) -> Iterator[str]:
    """Job containers cannot reach their host: unprivileged, read-only root, not root, no devices, capabilities or host paths beyond scratch."""
    for container in job_containers(resource):
        for escape in host_escapes(container):
            yield f"{container.where} {escape}"


# ---- compute environments -----------------------------------------------------------------------------


IMDS_GUARD = re.compile(
    r"iptables\s[^\n]*-I\s+OUTPUT\b[^\n]*-d\s+169\.254\.169\.254(?:/32)?\b[^\n]*-m\s+owner\s+!\s+--uid-owner\s+0\b"
    r"[^\n]*-j\s+(?:REJECT|DROP)\b"
)


def imds_guarded(template: View | dict[str, Any]) -> bool:
    """Does the template's boot script (base64 MIME user data) let only root reach IMDS? Batch jobs share the
    host's network, so this, with non-root job users, is what keeps a job from the instance role."""
    import base64
    import binascii

    raw = template.get("userData")
    if not raw:
        return False
    try:
        text = base64.b64decode(str(raw), validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        text = str(raw)
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return bool(IMDS_GUARD.search("\n".join(lines)))


def _launch_template_of(stack: StackView, environment: View, reference: dict[str, Any]) -> View | None:
    template_id, template_name = reference.get("launchTemplateId"), reference.get("launchTemplateName")
    found = []
    if template_id:
        found += stack.find_by_value(LAUNCH_TEMPLATE[0], "id", template_id)
        found += stack.find_by_value(LAUNCH_TEMPLATE[0], "arn", template_id)
    if template_name:
        found += stack.find_by_value(LAUNCH_TEMPLATE[0], "name", template_name)
    if found:
        return stack.ordered(found)[0]
    if template_id or template_name:
        known = [v for v in (template_id, template_name) if isinstance(v, str) and not v.startswith(PLACEHOLDER)]
        if known:
            return None
    # A preview does not know the template's id yet: the reference is the property dependency.
    dependencies = set(environment.property_dependencies.get("computeResources") or [])
    return next((t for t in stack.of_type(*LAUNCH_TEMPLATE) if t.urn in dependencies), None)


def _version_problem(template: View, version: Any) -> str | None:
    latest = template.get("latestVersion")
    version = str(version or "$Default")
    if version == "$Latest":
        return None
    if version == "$Default":
        default = template.get("defaultVersion")
        if _truthy(template.get("updateDefaultVersion")) or latest is None or str(default) == str(latest):
            return None
        return f"uses default version {default} of {template.get('name')}, not its latest (hardened) version {latest}"
    if latest is None or version == str(latest) or version.startswith(PLACEHOLDER):
        return None
    return f"pins version {version} of {template.get('name')}, not its latest (hardened) version {latest}"


@resource_rule(
    "GLZ-CMP-010",
    "compute-environments-use-the-hardened-launch-template",
    COMPUTE_ENV,
    "high",
    BASELINE,
    "Keep compute_resources.launch_template on the stack's hardened launch template (GenomicsCompute builds it: "
    "IMDSv2 hop limit 1, encrypted volumes, no public IP, user data that lets only root reach IMDS) at its latest "
    "version, managed EC2 only, and override the "
    f"AMI only with fpga.amiId from {SETTINGS_FILE}.",
)
def hardened_template(resource: View, stack: StackView) -> Iterator[str]:
    """Compute environments launch instances only from the stack's hardened launch template, with AMIs the settings name."""
    if str(resource.get("type", "MANAGED")).upper() == "UNMANAGED":
        yield "unmanaged compute environment: its instances are launched outside the hardened launch template"
        return
    compute = resource.get("computeResources") or {}
    if not compute:
        yield "no computeResources: instances would not come from the hardened launch template"
        return
    if compute.get("type") in ("FARGATE", "FARGATE_SPOT"):
        yield (
            f"{compute.get('type')} compute runs no launch template: task storage is not encrypted with the "
            "compute key and the settings offer EC2 compute only"
        )
        return
    reference = compute.get("launchTemplate") or {}
    if not reference:
        yield "no launch template: instances get the AMI's defaults (IMDSv1, unencrypted or AWS-key volumes)"
    else:
        template = _launch_template_of(stack, resource, reference)
        if template is None:
            named = reference.get("launchTemplateId") or reference.get("launchTemplateName")
            yield f"launch template {named} is not one of this stack's hardened launch templates"
        else:
            weaknesses = [m for rule in (imdsv2, ebs, public_ip) for m in rule.check_resource(template, stack)]
            if not imds_guarded(template):
                weaknesses.append("its user data does not keep non-root processes (jobs) from IMDS")
            if weaknesses:
                yield f"launch template {template.get('name') or template.name} is not hardened: {'; '.join(weaknesses)}"
            problem = _version_problem(template, reference.get("version"))
            if problem:
                yield problem
            if template.get("imageId"):
                amis = [("launch template imageId", template.get("imageId"))]
                yield from _ami_problems(stack, amis)
    amis = [("ec2Configurations imageIdOverride", c.get("imageIdOverride")) for c in _ec2_configurations(resource)]
    amis.append(("computeResources imageId", compute.get("imageId")))
    yield from _ami_problems(stack, amis)
    # the network and identity the instances get must be the stack's own, by value
    for prop, types, what in (
        ("securityGroupIds", ("aws:ec2/securityGroup:SecurityGroup",), "security group"),
        ("subnets", ("aws:ec2/subnet:Subnet",), "subnet"),
        ("instanceRole", ("aws:iam/instanceProfile:InstanceProfile",), "instance profile"),
    ):
        known = _identities_of(stack, *types)
        foreign = [str(v) for v in as_list(compute.get(prop)) if v and str(v) not in known]
        if foreign:
            yield f"runs with {what} {', '.join(foreign)}, which the stack does not define"


def _ami_problems(stack: StackView, amis: list[tuple[str, Any]]) -> Iterator[str]:
    approved = _settings_record(stack, "approvedAmiIds")
    for where, ami in amis:
        if ami not in (None, "") and str(ami) not in approved and not str(ami).startswith(PLACEHOLDER):
            yield f"{where} {ami} is not an AMI the settings name (fpga.amiId)"


# ---- data that leaves ---------------------------------------------------------------------------------

SNAPSHOT_PERMISSION = "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"
AMI_PERMISSION = "aws:ec2/amiLaunchPermission:AmiLaunchPermission"
SNAPSHOT_COPY = "aws:ebs/snapshotCopy:SnapshotCopy"
AMI_COPY = "aws:ec2/amiCopy:AmiCopy"
SNAPSHOT_PUBLIC_ACCESS = "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"


@stack_rule(
    "GLZ-CMP-011",
    "ebs-snapshots-and-images-stay-in-the-account",
    "high",
    STAYS_INSIDE,
    "Remove snapshot create-volume permissions and AMI launch permissions for other accounts, groups or "
    "organizations, and snapshot or AMI copies: the scratch and root volumes hold genomic data, and sharing "
    f"them is not a setting of this landing zone ({SETTINGS_FILE} has none).",
)
def snapshots_stay(stack: StackView) -> Iterator[Violation]:
    """No EBS snapshot or AMI is shared with, or copied for, anyone outside the account."""
    own = stack.account_id
    for permission in stack.of_type(SNAPSHOT_PERMISSION):
        account = permission.get("accountId")
        if own is None or str(account) != own:
            yield Violation(permission.urn, f"snapshot {permission.get('snapshotId')} shared with account {account}")
    for permission in stack.of_type(AMI_PERMISSION):
        for key in ("group", "organizationArn", "organizationalUnitArn"):
            if permission.get(key):
                yield Violation(
                    permission.urn, f"AMI {permission.get('imageId')} shared with {key} {permission.get(key)}"
                )
        account = permission.get("accountId")
        if account and (own is None or str(account) != own):
            yield Violation(permission.urn, f"AMI {permission.get('imageId')} shared with account {account}")
    for copy in stack.of_type(SNAPSHOT_COPY, AMI_COPY):
        source = copy.get("sourceSnapshotId") or copy.get("sourceAmiId")
        yield Violation(copy.urn, f"copies {source} (from {copy.get('sourceRegion') or copy.get('sourceAmiRegion')})")
    for setting in stack.of_type(SNAPSHOT_PUBLIC_ACCESS):
        if str(setting.get("state", "")).lower() == "unblocked":
            yield Violation(setting.urn, "EBS snapshot block public access is off (state unblocked)")


SECURE_TRANSPORT = "aws:securetransport"
CLIENT_ACTIONS = (
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientWrite",
    "elasticfilesystem:ClientRootAccess",
)


def _tls_deny(statement: Statement, file_system_arn: str | None) -> bool:
    """A Deny of every client action, for every principal, whenever aws:SecureTransport is false, and
    under no other condition (an extra condition key would narrow who is denied)."""
    if not statement.deny or statement.not_principals or not statement.principals:
        return False
    if not any(p.anyone for p in statement.principals):
        return False
    if not all(statement.covers_action(a) for a in CLIENT_ACTIONS):
        return False
    if file_system_arn and not statement.covers_resource(file_system_arn):
        return False
    keys = [(op, key, values) for op, body in statement.conditions.items() for key, values in body.items()]
    if len(keys) != 1:
        return False
    operator, key, values = keys[0]
    return (
        operator.lower() in ("bool", "boolifexists")
        and key.lower() == SECURE_TRANSPORT
        and [v.lower() for v in values] == ["false"]
    )


def _own_only(statement: Statement, own: str) -> bool:
    """An allow to '*' that its conditions confine to principals of this account."""
    for operator, body in statement.conditions.items():
        for key, values in body.items():
            name = key.lower()
            account = operator in ("StringEquals", "StringEqualsIgnoreCase") and name == "aws:principalaccount"
            arn = operator in ("ArnEquals", "ArnLike", "StringEquals", "StringLike") and name == "aws:principalarn"
            if account and values and all(v == own for v in values):
                return True
            if arn and values and all(account_of(v) == own for v in values):
                return True
    return False


def _foreign_grants(statement: Statement, own: str | None) -> list[str]:
    found = []
    if statement.not_principals:
        return ["everyone but the NotPrincipal list"]
    for principal in statement.principals:
        value = principal.value
        if principal.anyone:
            if own is None or not _own_only(statement, own):
                found.append("*")
        elif principal.kind == "AWS":
            if own is None or account_of(value) != own:
                found.append(value)
        elif principal.kind in ("Federated", "CanonicalUser"):
            found.append(f"{principal.kind}:{value}")
    return found


def _linked(resource: View, prop: str, target: View) -> bool:
    value = resource.get(prop)
    return target.urn in (resource.property_dependencies.get(prop) or []) or (
        value not in (None, "", PLACEHOLDER) and value in (target.get("id"), target.get("arn"))
    )


def _designated_writers(stack: StackView) -> set[tuple[str, str]]:
    from policies.rules.efs_writer import designated_writers  # efs_writer reads this module's job helpers

    return designated_writers(stack)


@stack_rule(
    "GLZ-CMP-012",
    "efs-tls-only-and-own-account",
    "high",
    IN_TRANSIT,
    "Keep the reference file system policy as components/reference_data.file_system_policy writes it (Deny '*' "
    "to every principal when aws:SecureTransport is false; mounts only for the job roles of this account), "
    "mount it with transitEncryption ENABLED, and leave referenceData.efs in "
    f"{SETTINGS_FILE} as the only switch.",
)
def efs_in_transit(stack: StackView) -> Iterator[Violation]:
    """Every EFS file system denies access without TLS to everyone, grants no other account, and jobs mount it over TLS."""
    own = stack.account_id
    policies = stack.of_type(FILE_SYSTEM_POLICY)
    for file_system in stack.of_type(FILE_SYSTEM):
        mine = [p for p in policies if _linked(p, "fileSystemId", file_system)]
        if not mine:
            yield Violation(file_system.urn, "no file system policy: clients may mount without TLS")
        arn = file_system.get("arn") if isinstance(file_system.get("arn"), str) else None
        for policy in mine:
            found = normalized(policy.get("policy"))
            if not any(_tls_deny(s, arn) for s in found):
                yield Violation(
                    policy.urn,
                    "policy lacks the TLS deny (Deny every action to every principal when aws:SecureTransport is false)",
                )
            for statement in found:
                if statement.allow:
                    outside = _foreign_grants(statement, own)
                    if outside:
                        yield Violation(policy.urn, f"statement {statement.sid} grants {', '.join(outside)}")
    access_points = _identities_of(stack, "aws:efs/accessPoint:AccessPoint")
    for definition in stack.of_type(*JOB_DEFINITION):
        for container in job_containers(definition):
            for volume in container.volumes:
                config = volume.get("efsVolumeConfiguration")
                if not isinstance(config, dict):
                    continue
                if str(config.get("transitEncryption", "DISABLED")).upper() != "ENABLED":
                    yield Violation(
                        definition.urn,
                        f"{container.where} mounts EFS {config.get('fileSystemId')} without transit encryption",
                    )
                point = (config.get("authorizationConfig") or {}).get("accessPointId")
                if access_points and str(point) not in access_points:
                    yield Violation(
                        definition.urn,
                        f"{container.where} mounts EFS {config.get('fileSystemId')} without the stack's access point",
                    )
                role = str(container.props.get("jobRoleArn") or container.task.get("taskRoleArn") or "")
                if (role, str(point)) in _designated_writers(stack):
                    continue  # the reference loader writes, through its own access point (efs_writer)
                for mount in _dicts(container.props.get("mountPoints")):
                    if mount.get("sourceVolume") == volume.get("name") and not _truthy(mount.get("readOnly")):
                        yield Violation(
                            definition.urn, f"{container.where} mounts {mount.get('containerPath')} (EFS) writable"
                        )


REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
LOG_TIERS = frozenset({s3_support.LOG_TIER, s3_support.AUDIT_TIER})


def _replication_rules(resource: View) -> list[dict[str, Any]]:
    if resource.type == REPLICATION:
        return _dicts(resource.get("rules"))
    return _dicts(_dict(resource.get("replicationConfiguration")).get("rules"))


@stack_rule(
    "GLZ-CMP-013",
    "data-replicates-only-inside-the-stack",
    "high",
    STAYS_INSIDE,
    "Remove the S3 replication of the data-tier bucket (aws.s3.BucketReplicationConfig) or point it at a bucket of "
    f"this stack; replicas in other accounts or buckets are not a setting of this landing zone ({SETTINGS_FILE} has "
    "none; collaborators get read access through their roles).",
)
def replication_stays(stack: StackView) -> Iterator[Violation]:
    """Data-tier buckets replicate only to buckets of this stack in this account."""
    tiers = s3_support.classify(stack)
    buckets = stack.of_type(s3_support.BUCKET)
    names = {s3_support.bucket_name(b): b for b in buckets}
    sources = stack.of_type(REPLICATION) + [b for b in buckets if _replication_rules(b)]
    for config in sources:
        source = config if config.type == s3_support.BUCKET else None
        if source is None:
            source = names.get(str(config.get("bucket"))) or next(
                (b for b in buckets if b.urn in (config.property_dependencies.get("bucket") or [])), None
            )
        if source is not None and tiers.get(source.urn) in LOG_TIERS:
            continue  # the audit and access-log buckets are records about data, not data
        referenced = set(config.property_dependencies.get("rules") or []) | set(
            config.property_dependencies.get("replicationConfiguration") or []
        )
        for rule in _replication_rules(config):
            if str(rule.get("status", "Enabled")).lower() != "enabled":
                continue
            for destination in _dicts(rule.get("destination")) + _dicts(rule.get("destinations")):
                yield from _destination_problems(stack, config, destination, names, referenced, buckets)


def _destination_problems(
    stack: StackView,
    config: View,
    destination: dict[str, Any],
    names: dict[str, View],
    referenced: set[str],
    buckets: list[View],
) -> Iterator[Violation]:
    own = stack.account_id
    account = destination.get("account") or destination.get("accountId")
    target = str(destination.get("bucket") or "")
    name = target.split(":::", 1)[1] if ":::" in target else target
    if account and (own is None or str(account) != own):
        yield Violation(config.urn, f"replicates to {target} in account {account}")
    if name in names:
        return
    if (not name or name.startswith(PLACEHOLDER)) and any(b.urn in referenced for b in buckets):
        return  # a preview: the destination is a bucket of the stack, named once it exists
    yield Violation(config.urn, f"replicates to {target or '(unnamed bucket)'}, which is not a bucket of this stack")


@stack_rule(
    "GLZ-CMP-014",
    "job-logs-stay-in-the-stack",
    "medium",
    Requirements(r2=("3.3.1", "3.13.16"), r3=("03.03.03", "03.13.08"), hipaa=("164.312(b)",)),
    "Keep the job definitions' awslogs driver on the stack's encrypted job log group (GenomicsCompute sets it).",
)
def job_logs(stack: StackView) -> Iterator[Violation]:
    """Job output, which can echo genomic data, goes to a log group of the stack (encrypted with its key and
    kept as long as it promises), never to a group outside it or to another log driver."""
    groups = {
        str(g.get(p)) for g in stack.of_type("aws:cloudwatch/logGroup:LogGroup") for p in ("name", "id") if g.get(p)
    }
    for definition in stack.of_type(*JOB_DEFINITION):
        for container in job_containers(definition):
            config = _dict(container.props.get("logConfiguration"))
            driver = config.get("logDriver")
            options = _dict(config.get("options"))
            group = options.get("awslogs-group")
            region = options.get("awslogs-region")
            if region and _region(stack) and str(region) != _region(stack):
                yield Violation(definition.urn, f"{container.where} logs to region {region}, outside the stack's")
            if str(options.get("awslogs-create-group", "")).lower() == "true":
                yield Violation(definition.urn, f"{container.where} lets the log driver create its own group")
            if driver != "awslogs":
                yield Violation(
                    definition.urn, f"{container.where} logs with {driver or 'the default driver'}, not awslogs"
                )
            elif not group or str(group) not in groups:
                yield Violation(
                    definition.urn,
                    f"{container.where} logs to {group or 'the default /aws/batch/job group'}, not a log group of the stack",
                )
