"""ReferenceData: a shared EFS file system of reference genomes that pipeline jobs mount read-only.

Every job reads the same 1-5 GB reference and its indexes; one encrypted file system saves each job
the download. Jobs reach it only over TLS, only from the compute security group, only through a
read-only access point.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.compute_policies import REFERENCE_MOUNT, job_specs
from components.naming import account_root, base_name, role_arn
from components.settings import Settings

NFS_PORT = 2049
READER_UID = 1000
READER_GID = 1000
LOADER_UID = 1001  # owns the reference directory: readers (uid 1000) read it, only the loader writes
LOADER_ROLE_SUFFIX = "batch-job-reference-loader"


def file_system_policy(
    file_system_arn: str,
    access_point_arn: str,
    account_root_arn: str,
    reader_arns: list[str],
    loader: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Deny any access without TLS; allow the named readers to mount through the read-only access point and
    nothing more. ``loader`` (role ARN, its access point ARN) is the one writer: ClientWrite, only through its
    own access point, only for that role. No statement grants ClientRootAccess."""
    if not reader_arns:
        raise ValueError("reader_arns must name at least one IAM role")
    writer = []
    if loader is not None:
        loader_role, loader_point = loader
        writer = [
            {
                "Sid": "LoaderWritesThroughItsAccessPoint",
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn},
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": file_system_arn,
                "Condition": {
                    "Bool": {"aws:SecureTransport": "true", "elasticfilesystem:AccessedViaMountTarget": "true"},
                    "StringEquals": {"elasticfilesystem:AccessPointArn": loader_point},
                    "ArnEquals": {"aws:PrincipalArn": loader_role},
                },
            }
        ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            *writer,
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "ReadOnlyMountThroughAccessPoint",
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn},
                "Action": "elasticfilesystem:ClientMount",
                "Resource": file_system_arn,
                "Condition": {
                    "Bool": {"aws:SecureTransport": "true", "elasticfilesystem:AccessedViaMountTarget": "true"},
                    "StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn},
                    "ArnEquals": {"aws:PrincipalArn": sorted(reader_arns)},
                },
            },
        ],
    }


def default_reader_arns(settings: Settings, stack: str) -> list[str]:
    """The pipeline job roles; their names are fixed by convention, so no dependency on compute."""
    return [role_arn(settings, stack, spec.role_suffix) for spec in job_specs(settings)]


class ReferenceData(pulumi.ComponentResource):
    """Encrypted EFS (data key, elastic throughput, IA lifecycle, AWS Backup), a mount target per
    subnet behind an NFS-only security group, a TLS-only read-only policy and a read-only access point."""

    file_system: aws.efs.FileSystem
    access_point: aws.efs.AccessPoint
    security_group: aws.ec2.SecurityGroup

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: list[pulumi.Input[str]],
        compute_security_group_id: pulumi.Input[str],
        data_key_arn: pulumi.Input[str],
        reader_arns: list[str] | None = None,
        loader_role_arn: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``loader_role_arn``: the reference-loader job's role (by its conventional name); with it, a writer
        access point the file-system policy lets only that role write through."""
        super().__init__("glz:data:ReferenceData", name, None, opts)
        if not subnet_ids:
            raise ValueError("ReferenceData needs at least one subnet for a mount target")
        child = pulumi.ResourceOptions(parent=self)
        physical = base_name(settings, stack, "reference")
        readers = reader_arns if reader_arns is not None else default_reader_arns(settings, stack)

        self.file_system = aws.efs.FileSystem(
            name,
            creation_token=physical,
            encrypted=True,
            kms_key_id=data_key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            lifecycle_policies=[
                # References are read in bursts (a new genome build, a re-analysis); files untouched for
                # 30 days move to Infrequent Access and come back on first read.
                aws.efs.FileSystemLifecyclePolicyArgs(transition_to_ia="AFTER_30_DAYS"),
                aws.efs.FileSystemLifecyclePolicyArgs(transition_to_primary_storage_class="AFTER_1_ACCESS"),
            ],
            tags={"Name": physical, "DataTier": "reference"},
            opts=child,
        )
        self.backup_policy = aws.efs.BackupPolicy(
            f"{name}-backup",
            file_system_id=self.file_system.id,
            backup_policy=aws.efs.BackupPolicyBackupPolicyArgs(status="ENABLED"),
            opts=child,
        )

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-efs",
            name=base_name(settings, stack, "reference-efs"),
            description="EFS mount targets of the reference file system: NFS from Batch compute only",
            vpc_id=vpc_id,
            tags={"Name": base_name(settings, stack, "reference-efs")},
            opts=child,
        )
        # No egress rule: NFS replies are allowed by connection tracking, and the provider removes
        # the default allow-all egress rule of a new group.
        self.nfs_ingress = aws.vpc.SecurityGroupIngressRule(
            f"{name}-nfs-from-compute",
            security_group_id=self.security_group.id,
            referenced_security_group_id=compute_security_group_id,
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            description="NFS (TLS via efs-utils) from the Batch compute security group",
            opts=child,
        )
        self.mount_targets = [
            aws.efs.MountTarget(
                f"{name}-mount-{index}",
                file_system_id=self.file_system.id,
                subnet_id=subnet_id,
                security_groups=[self.security_group.id],
                opts=child,
            )
            for index, subnet_id in enumerate(subnet_ids)
        ]

        self.access_point = aws.efs.AccessPoint(
            f"{name}-read-only",
            file_system_id=self.file_system.id,
            # Every request through the access point runs as this unprivileged user, whatever the
            # container's user; the directory is created owned by root, readable by everyone.
            posix_user=aws.efs.AccessPointPosixUserArgs(uid=READER_UID, gid=READER_GID),
            root_directory=aws.efs.AccessPointRootDirectoryArgs(
                path=REFERENCE_MOUNT,
                creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                    owner_uid=LOADER_UID, owner_gid=READER_GID, permissions="0755"
                ),
            ),
            tags={"Name": f"{physical}-read-only", "Access": "read-only"},
            opts=child,
        )
        self.loader_access_point: aws.efs.AccessPoint | None = None
        if loader_role_arn is not None:
            # The directory's owner: writes as the loader user, never root; readers only read (0755)
            self.loader_access_point = aws.efs.AccessPoint(
                f"{name}-loader",
                file_system_id=self.file_system.id,
                posix_user=aws.efs.AccessPointPosixUserArgs(uid=LOADER_UID, gid=READER_GID),
                root_directory=aws.efs.AccessPointRootDirectoryArgs(
                    path=REFERENCE_MOUNT,
                    creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                        owner_uid=LOADER_UID, owner_gid=READER_GID, permissions="0755"
                    ),
                ),
                tags={"Name": f"{physical}-loader", "Access": "write"},
                opts=child,
            )
        root = account_root(settings)
        loader_point = self.loader_access_point.arn if self.loader_access_point else None
        self.policy = aws.efs.FileSystemPolicy(
            f"{name}-policy",
            file_system_id=self.file_system.id,
            bypass_policy_lockout_safety_check=False,
            policy=pulumi.Output.all(self.file_system.arn, self.access_point.arn, loader_point).apply(
                lambda args: json.dumps(
                    file_system_policy(
                        args[0], args[1], root, readers, (loader_role_arn, args[2]) if args[2] else None
                    ),
                    sort_keys=True,
                )
            ),
            opts=child,
        )
        self.register_outputs(
            {
                "fileSystemId": self.file_system.id,
                "fileSystemArn": self.file_system.arn,
                "accessPointId": self.access_point.id,
                "accessPointArn": self.access_point.arn,
                "securityGroupId": self.security_group.id,
            }
        )
