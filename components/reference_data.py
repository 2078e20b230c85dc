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

from components.compute_policies import JOB_SPECS, REFERENCE_MOUNT
from components.naming import account_root, base_name, role_arn
from components.settings import Settings

NFS_PORT = 2049
READER_UID = 1000
READER_GID = 1000


def file_system_policy(
    file_system_arn: str, access_point_arn: str, account_root_arn: str, reader_arns: list[str]
) -> dict[str, Any]:
    """Deny any access without TLS; allow the named readers to mount through the access point and
    nothing more. No statement grants ClientWrite or ClientRootAccess, so every mount is read-only."""
    if not reader_arns:
        raise ValueError("reader_arns must name at least one IAM role")
    return {
        "Version": "2012-10-17",
        "Statement": [
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
    return [role_arn(settings, stack, spec.role_suffix) for spec in JOB_SPECS]


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
        opts: pulumi.ResourceOptions | None = None,
    ):
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
                    owner_uid=0, owner_gid=0, permissions="0755"
                ),
            ),
            tags={"Name": f"{physical}-read-only", "Access": "read-only"},
            opts=child,
        )
        root = account_root(settings)
        self.policy = aws.efs.FileSystemPolicy(
            f"{name}-policy",
            file_system_id=self.file_system.id,
            bypass_policy_lockout_safety_check=False,
            policy=pulumi.Output.all(self.file_system.arn, self.access_point.arn).apply(
                lambda args: json.dumps(file_system_policy(args[0], args[1], root, readers), sort_keys=True)
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
