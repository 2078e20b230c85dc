"""EncryptionKeys: one customer-managed KMS key per purpose, so a grant on one cannot read another."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import key_policies
from components.naming import base_name, break_glass_arn
from components.settings import Settings

DELETION_WINDOW_DAYS = 30
ROTATION_PERIOD_DAYS = 365


@dataclass(frozen=True)
class KeyPurpose:
    name: str
    description: str


PURPOSES = (
    KeyPurpose("data", "genomic data tiers (S3, EFS)"),
    KeyPurpose("logs", "audit logs (CloudTrail, CloudWatch Logs, SNS, AWS Config)"),
    KeyPurpose("compute", "compute volumes (EBS on AWS Batch instances)"),
)


def customer_managed_key(
    resource_name: str, settings: Settings, stack: str, purpose: KeyPurpose, policy: dict, opts: pulumi.ResourceOptions
) -> aws.kms.Key:
    """One symmetric key as every key of the stack is made: rotated yearly, 30-day deletion window, single-region,
    the lockout check on, tagged with its purpose (the deployer policy tells keys apart by that tag)."""
    return aws.kms.Key(
        resource_name,
        description=f"{base_name(settings, stack, purpose.name)}: {purpose.description}",
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        enable_key_rotation=True,
        rotation_period_in_days=ROTATION_PERIOD_DAYS,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        multi_region=False,
        bypass_policy_lockout_safety_check=False,
        policy=json.dumps(policy, sort_keys=True),
        tags={"Purpose": purpose.name},
        opts=opts,
    )


class EncryptionKeys(pulumi.ComponentResource):
    """Customer-managed keys for data, audit logs and compute volumes: rotation on, 30-day
    deletion window, an alias each, and key policies naming exactly the services that need them."""

    data: aws.kms.Key
    logs: aws.kms.Key
    compute: aws.kms.Key

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        waits_for: dict[str, list[pulumi.Resource]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``waits_for``: per key purpose, what its policy names and must exist first (KMS refuses a policy
        naming a principal that does not exist yet): the compute key waits for the Auto Scaling role."""
        super().__init__("glz:security:EncryptionKeys", name, None, opts)
        waits_for = waits_for or {}
        policies = {
            "data": key_policies.data_key_policy(settings),
            "logs": key_policies.log_key_policy(settings),
            "compute": key_policies.compute_key_policy(settings),
        }
        break_glass = break_glass_arn(settings, stack)
        for purpose_name in key_policies.GUARDED_PURPOSES:
            policies[purpose_name]["Statement"] += key_policies.guardrail_statements(settings, break_glass)
        self.aliases: dict[str, aws.kms.Alias] = {}
        for purpose in PURPOSES:
            key = customer_managed_key(
                f"{name}-{purpose.name}",
                settings,
                stack,
                purpose,
                policies[purpose.name],
                # A guarded key refuses ScheduleKeyDeletion to the deployer: `pulumi destroy` leaves it (deleting
                # it is break-glass's decision, never a side effect of tearing the stack down).
                pulumi.ResourceOptions(
                    parent=self,
                    depends_on=waits_for.get(purpose.name) or None,
                    retain_on_delete=purpose.name in key_policies.GUARDED_PURPOSES,
                ),
            )
            setattr(self, purpose.name, key)
            self.aliases[purpose.name] = aws.kms.Alias(
                f"{name}-{purpose.name}-alias",
                name=f"alias/{base_name(settings, stack, purpose.name)}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {
                "dataKeyArn": self.data.arn,
                "logsKeyArn": self.logs.arn,
                "computeKeyArn": self.compute.arn,
            }
        )
