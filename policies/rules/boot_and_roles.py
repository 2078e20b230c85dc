"""What runs on compute beyond the image, and with whose permissions: launch-template user data that pulls
code from the network at boot, and pipeline stages that share one job role.

Image provenance (GLZ-CMP-004/006) vouches for what an instance or container starts from; user data that
downloads and runs a script replaces that with whatever the URL serves on the day. Per-stage job roles
(GLZ-IAM-012 judges each role's reach) only hold while each stage runs with its own role: a stage given
another stage's role gets that stage's tiers.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.parser
import gzip
import re
from collections.abc import Iterator

from policies.framework import Requirements, StackView, View, Violation, resource_rule, stack_rule
from policies.rules.compute import JOB_DEFINITION, LAUNCH_TEMPLATE, Container, job_containers

PROVENANCE = Requirements(r2=("3.4.8", "3.14.2", "3.4.1"), r3=("03.04.08", "03.04.01"), hipaa=("164.308(a)(5)(ii)(B)",))
LEAST_PRIVILEGE = Requirements(r2=("3.1.5", "3.1.7"), r3=("03.01.05", "03.01.07"), hipaa=("164.308(a)(4)(ii)(B)",))

# Commands that fetch from the network, and cloud-init forms that do (include-url, #include, write_files
# with a source URL). Shell is not parsed: any fetch at boot is a finding, run or not, since the private
# subnets have no internet route by design and the component's boot script fetches nothing.
FETCHERS = re.compile(
    r"(?<![\w-])(curl|wget|fetch|aria2c|Invoke-WebRequest|Invoke-RestMethod|iwr|irm|Start-BitsTransfer"
    r"|git\s+clone|pip3?\s+install|npm\s+install|docker\s+pull|aws\s+s3\s+(cp|sync)|aws\s+s3api\s+get-object)(?![\w-])",
    re.IGNORECASE,
)
URL = re.compile(r"\b(https?|ftp|s3)://[^\s'\"]+", re.IGNORECASE)
INCLUDE_TYPES = ("text/x-include-url", "text/x-include-once-url")


def boot_texts(user_data: object) -> list[str]:
    """The parts of a launch template's user data as text: base64 decoded, gunzipped, MIME parts split."""
    if not isinstance(user_data, str) or not user_data.strip():
        return []
    try:
        raw = base64.b64decode(user_data, validate=False)
    except (binascii.Error, ValueError):
        raw = user_data.encode()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError:
            return [raw.decode("latin-1")]
    text = raw.decode("utf-8", errors="replace")
    if "MIME-Version" not in text[:500] and "Content-Type" not in text[:500]:
        return [text]
    message = email.message_from_string(text)
    parts = []
    for part in message.walk() if message.is_multipart() else [message]:
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        body = payload.decode("utf-8", errors="replace")
        if part.get_content_type() in INCLUDE_TYPES:
            body = "#include\n" + body
        parts.append(body)
    return parts


def fetches(text: str) -> list[str]:
    """Lines of a boot script or cloud-config that fetch from the network."""
    found = []
    lines = text.splitlines()
    including = bool(lines) and lines[0].strip().lower() in ("#include", "#include-once")
    for line in lines:
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not stripped.startswith("#include")):
            continue
        if (
            FETCHERS.search(stripped)
            or (including and URL.search(stripped))
            or re.search(r"source:\s*\S*://", stripped)
        ):
            found.append(stripped[:120])
    return found


@resource_rule(
    "GLZ-CMP-015",
    "boot-script-fetches-nothing",
    LAUNCH_TEMPLATE,
    "high",
    PROVENANCE,
    "Bake what instances need into the AMI (or the container image) and keep the launch template's user data to "
    "local setup: no curl, wget, package or pip installs, S3 copies or cloud-init includes at boot.",
)
def boot_fetches_nothing(resource: View, stack: StackView) -> Iterator[str]:
    """Instances start only from what the image holds: the launch template's user data downloads nothing."""
    for text in boot_texts(resource.get("userData")):
        for line in fetches(text):
            yield f"user data fetches from the network at boot: {line!r}"


def _job_role(container: Container) -> str | None:
    """The role a container's job runs with: jobRoleArn, or the ECS task's taskRoleArn."""
    role = container.props.get("jobRoleArn") or container.task.get("taskRoleArn")
    return str(role) if role else None


@stack_rule(
    "GLZ-CMP-016",
    "one-job-role-per-stage",
    "high",
    LEAST_PRIVILEGE,
    "Give every pipeline stage (job definition) its own job role, as GenomicsCompute does "
    "(`<stack>-batch-job-<stage>`); never point one stage at another stage's role.",
)
def one_role_per_stage(stack: StackView) -> Iterator[Violation]:
    """Each pipeline stage runs with a role of its own: no job role serves two job definitions (revisions of
    one definition share its name), so a stage never holds another stage's tiers."""
    users: dict[str, dict[str, View]] = {}
    for definition in stack.of_type(*JOB_DEFINITION):
        name = str(definition.get("name") or definition.name)
        for container in job_containers(definition):
            role = _job_role(container)
            if role:
                users.setdefault(role, {}).setdefault(name, definition)
    for role, definitions in users.items():
        if len(definitions) > 1:
            names = sorted(definitions)
            for name in names[1:]:
                yield Violation(
                    definitions[name].urn,
                    f"job definition {name} runs with job role {role}, which job definition {names[0]} uses too",
                )
