"""The reference file system's one writer, known by reference: a file-system policy statement that lets exactly
one role write through exactly one access point (mapped to a non-root user), and that role is the job role of
one job definition alone, which mounts the file system through that access point and no other. Every other
write path (another role, another access point, root access, a second job using the role) stays a finding
of GLZ-IAM-016 and GLZ-CMP-012."""

from __future__ import annotations

from policies.access.document import Statement
from policies.access.document import statements as normalized
from policies.framework import StackView, as_list
from policies.rules.compute import JOB_DEFINITION, job_containers

FILE_SYSTEM_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"


def _single(statement: Statement, key: str, operators: tuple[str, ...]) -> str | None:
    values = [
        v
        for operator, body in statement.conditions.items()
        if operator in operators
        for k, vs in body.items()
        if k.lower() == key
        for v in vs
    ]
    return values[0] if len(values) == 1 else None


def _non_root(point) -> bool:
    user = point.get("posixUser") or {}
    return bool(user) and str(user.get("uid")) not in ("0", "0.0") and str(user.get("gid")) not in ("0", "0.0")


def writer_of(stack: StackView, statement: Statement) -> tuple[str, str] | None:
    """(role ARN, access point id) when ``statement`` is a write grant of the designated-writer form."""
    if not statement.allow or statement.covers_action("elasticfilesystem:ClientRootAccess"):
        return None
    if not statement.covers_action("elasticfilesystem:ClientWrite"):
        return None
    point_arn = _single(statement, "elasticfilesystem:accesspointarn", ("StringEquals",))
    role = _single(statement, "aws:principalarn", ("ArnEquals", "StringEquals"))
    points = [p for p in stack.of_type(ACCESS_POINT) if p.get("arn") == point_arn]
    if not (role and points and _non_root(points[0])):
        return None
    return role, str(points[0].get("id"))


def _volumes_by_role(stack: StackView) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """(role -> job definition names, role -> access point ids its jobs mount, access point id -> roles)."""
    definitions: dict[str, set[str]] = {}
    mounts: dict[str, set[str]] = {}
    users: dict[str, set[str]] = {}
    for definition in stack.of_type(*JOB_DEFINITION):
        name = str(definition.get("name") or definition.name)
        for container in job_containers(definition):
            role = str(container.props.get("jobRoleArn") or container.task.get("taskRoleArn") or "")
            definitions.setdefault(role, set()).add(name)
            for volume in as_list(container.volumes):
                config = volume.get("efsVolumeConfiguration") if isinstance(volume, dict) else None
                if isinstance(config, dict):
                    point = str((config.get("authorizationConfig") or {}).get("accessPointId"))
                    mounts.setdefault(role, set()).add(point)
                    users.setdefault(point, set()).add(role)
    return definitions, mounts, users


def designated_writers(stack: StackView) -> set[tuple[str, str]]:
    """Every (role ARN, access point id) pair that is the one writer of a file system, by the rules above."""
    return stack.memo("designated EFS writers", _designated)


def _designated(stack: StackView) -> set[tuple[str, str]]:
    definitions, mounts, users = _volumes_by_role(stack)
    found = set()
    for policy in stack.of_type(FILE_SYSTEM_POLICY):
        for statement in normalized(policy.get("policy")):
            pair = writer_of(stack, statement)
            if pair is None:
                continue
            role, point = pair
            one_job = len(definitions.get(role, set())) == 1
            only_through_point = mounts.get(role, set()) == {point}
            point_is_its_own = users.get(point, set()) == {role}
            if one_job and only_through_point and point_is_its_own:
                found.add(pair)
    return found
