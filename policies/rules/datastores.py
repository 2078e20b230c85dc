"""Data stores added beside the buckets (RDS, DynamoDB, EFS): encrypted with a customer-managed key, never
public, recoverable. The landing zone builds none but EFS, so these catch what is added from outside."""

from __future__ import annotations

from collections.abc import Iterator

from policies.framework import Requirements, StackView, View, Violation, resource_rule, stack_rule
from policies.rules.audit import block

DATABASES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
OTHER_DATABASES = (
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:docdb/cluster:Cluster",
    "aws:neptune/cluster:Cluster",
    "aws:redshift/cluster:Cluster",
)
AT_REST = Requirements(
    r2=("3.13.16", "3.13.1"), r3=("03.13.08", "03.13.01"), hipaa=("164.312(a)(2)(iv)", "164.312(a)(1)")
)
RECOVERY = Requirements(r2=("3.8.9",), r3=("03.08.09",), hipaa=("164.308(a)(7)(ii)(A)",))


def _true(value: object) -> bool:
    return str(value).lower() == "true"


@stack_rule(
    "GLZ-DATA-001",
    "databases-encrypted-and-private",
    "critical",
    AT_REST,
    "Set storage_encrypted=True with a customer-managed kms_key_id and publicly_accessible=False (RDS); "
    "server_side_encryption with a customer-managed key (DynamoDB).",
)
def databases(stack: StackView) -> Iterator[Violation]:
    """Databases encrypt at rest under a customer-managed key and are never reachable from the internet (a
    stack with none passes: the landing zone builds none, this catches one added beside it)."""
    for resource in stack.of_type(*DATABASES, *OTHER_DATABASES, "aws:dynamodb/table:Table"):
        for message in _database_problems(resource):
            yield Violation(resource.urn, f"{resource.name}: {message}")


def _database_problems(resource: View) -> Iterator[str]:
    if resource.type == "aws:dynamodb/table:Table":
        sse = resource.get("serverSideEncryption") or {}
        if not _true(sse.get("enabled")) or not sse.get("kmsKeyArn"):
            yield "table is not encrypted with a customer-managed key"
        return
    if resource.type == "aws:rds/clusterInstance:ClusterInstance":
        if _true(resource.get("publiclyAccessible")):
            yield "cluster instance is publicly accessible"
        return  # storage encryption is the cluster's
    encrypted = (
        resource.get("encrypted")
        if resource.type == "aws:redshift/cluster:Cluster"
        else resource.get("storageEncrypted")
    )
    if not _true(encrypted):
        yield "storage is not encrypted"
    elif not resource.get("kmsKeyId"):
        yield "storage uses the AWS-managed key, not a customer-managed one"
    if _true(resource.get("publiclyAccessible")):
        yield "database is publicly accessible"


@resource_rule(
    "GLZ-DATA-002",
    "data-stores-recoverable",
    (*DATABASES, "aws:efs/fileSystem:FileSystem", "aws:dynamodb/table:Table"),
    "medium",
    RECOVERY,
    "Keep the EFS backup policy ENABLED (ReferenceData); give databases at least 7 days of automated backups; "
    "DynamoDB tables point-in-time recovery and deletion protection.",
)
def recoverable(resource: View, stack: StackView) -> Iterator[str]:
    """File systems are in AWS Backup and databases keep automated backups, so a loss can be undone."""
    if resource.type == "aws:dynamodb/table:Table":
        if not _true(block(resource.get("pointInTimeRecovery")).get("enabled")):
            yield "point-in-time recovery is off"
        if not _true(resource.get("deletionProtectionEnabled")):
            # DeleteTable would remove the table and its continuous backups at once (DynamoDB Developer Guide,
            # "Using deletion protection")
            yield "deletion protection is off: one DeleteTable call removes the table and its backups"
        return
    if resource.type == "aws:efs/fileSystem:FileSystem":
        policies = [
            p
            for p in stack.of_type("aws:efs/backupPolicy:BackupPolicy")
            if p.get("fileSystemId") in (resource.get("id"), resource.get("arn"))
            or resource.urn in (p.property_dependencies.get("fileSystemId") or [])
        ]
        if not any(((p.get("backupPolicy") or {}).get("status")) == "ENABLED" for p in policies):
            yield "file system has no ENABLED backup policy"
        return
    days = resource.get("backupRetentionPeriod")
    if days is None or float(days) < 7:
        yield f"automated backups kept {days or 0} days (at least 7)"
