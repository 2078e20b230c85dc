"""The service-linked roles the stack's policies name, present before those policies are applied.

KMS refuses a key policy whose principal does not exist ("MalformedPolicyDocumentException: ... invalid
principals"), and AWS Config refuses a recorder whose role does not exist. A brand-new account has neither
the EC2 Auto Scaling role (the compute key names it; AWS creates it on first Auto Scaling use) nor the AWS
Config role (API users create it themselves). An account where the service was ever used has it, and
creating it again fails. So each role has a setting (`serviceLinkedRoles` in Pulumi.<stack>.yaml):

- `create`: the stack creates it (aws.iam.ServiceLinkedRole) and the policies naming it wait for it;
- `adopt`: the stack imports the existing role (Pulumi import by ARN) and keeps it on destroy;
- `existing`: the stack only names it; `glz preflight` and `glz audit` must find it.

Role names and paths: IAM User Guide, "Using service-linked roles" pages of EC2 Auto Scaling
(AWSServiceRoleForAutoScaling) and AWS Config (AWSServiceRoleForConfig).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.settings import Settings


@dataclass(frozen=True)
class LinkedRole:
    key: str  # the serviceLinkedRoles setting
    service: str  # AWSServiceName
    path: str  # role path and name under role/


AUTO_SCALING = LinkedRole(
    "autoScaling",
    "autoscaling.amazonaws.com",
    "aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
)
CONFIG = LinkedRole("config", "config.amazonaws.com", "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
ROLES = (AUTO_SCALING, CONFIG)


def role_arn(settings: Settings, role: LinkedRole) -> str:
    return f"arn:{settings.partition}:iam::{settings.account_id}:role/{role.path}"


def mode_of(settings: Settings, role: LinkedRole) -> str:
    return str(getattr(settings.service_linked_roles, "auto_scaling" if role is AUTO_SCALING else "config"))


class ServiceLinkedRoles(pulumi.ComponentResource):
    """Creates or adopts each needed service-linked role per its setting; ``depends(role)`` is what a
    resource naming the role must wait for (nothing for a role left `existing`)."""

    def __init__(
        self, name: str, settings: Settings, needed: tuple[LinkedRole, ...], opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("glz:security:ServiceLinkedRoles", name, None, opts)
        self.settings = settings
        self.roles: dict[str, aws.iam.ServiceLinkedRole] = {}
        self.existing: list[str] = []
        for role in needed:
            mode = mode_of(settings, role)
            if mode == "existing":
                self.existing.append(role_arn(settings, role))
                continue
            adopt = mode == "adopt"
            self.roles[role.key] = aws.iam.ServiceLinkedRole(
                f"{name}-{role.key}",
                aws_service_name=role.service,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    import_=role_arn(settings, role) if adopt else None,
                    retain_on_delete=adopt,  # an adopted role served the account before the stack and after it
                ),
            )
        self.register_outputs({})

    def depends(self, role: LinkedRole) -> list[pulumi.Resource]:
        found = self.roles.get(role.key)
        return [found] if found is not None else []
