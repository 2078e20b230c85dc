"""Who may reach the landing zone: cross-account collaborator roles and the operator roles.

Collaborators get one role each, scoped to exactly the tiers and prefixes the config names, capped
by a permissions boundary; removing a collaborator from the config deletes its role, boundary and
grant on the next `pulumi up`, which is how access is revoked. Operators (administrator, security
auditor) are people in this account who must sign in with MFA; the two roles are split so the
people who run the environment cannot silence its audit trail, and auditors cannot read the data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components import access_policies, naming
from components.settings import Collaborator, Settings

DATA_ACCESS_POLICY_NAME = "genomic-data-access"
GUARDRAIL_POLICY_NAME = "separation-of-duties"
AUDITOR_POLICY_NAME = "audit-evidence-read"
SUPPORT_POLICY_NAME = "AWSSupportAccess"


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True)


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


class CollaboratorAccess(pulumi.ComponentResource):
    """One cross-account role per configured collaborator: external ID and (by default) MFA to
    assume, a permissions boundary, and an inline grant naming only its buckets and prefixes."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        data_key_arn: pulumi.Input[str],
        bucket_arns: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("glz:access:CollaboratorAccess", name, None, opts)
        self.roles: dict[str, aws.iam.Role] = {}
        self.boundaries: dict[str, aws.iam.Policy] = {}
        self.policies: dict[str, aws.iam.RolePolicy] = {}
        for collaborator in settings.collaborators:
            missing = sorted(set(collaborator.tiers) - set(bucket_arns))
            if missing:
                raise ValueError(f"collaborator {collaborator.name!r}: no bucket ARN given for tier(s) {missing}")
            self._collaborator(name, settings, stack, collaborator, bucket_arns, data_key_arn)
        self.register_outputs({"roleArns": {n: r.arn for n, r in self.roles.items()}})

    def _collaborator(
        self,
        name: str,
        settings: Settings,
        stack: str,
        collaborator: Collaborator,
        bucket_arns: Mapping[str, pulumi.Input[str]],
        data_key_arn: pulumi.Input[str],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        logical = f"{name}-{collaborator.name}"
        role_name = naming.role_name(settings, stack, naming.collaborator_role_suffix(collaborator.name))
        tiers = sorted(set(collaborator.tiers))
        arns = pulumi.Output.all(*[bucket_arns[tier] for tier in tiers])
        # Tags let the policy gate tell people's roles from service roles without the settings.
        tags = {
            "Collaborator": collaborator.name,
            "CollaboratorAccess": collaborator.access,
            "CollaboratorAccount": collaborator.account_id,
            "RequireMfa": str(collaborator.require_mfa).lower(),
        }

        boundary = aws.iam.Policy(
            f"{logical}-boundary",
            name=f"{role_name}-boundary",
            description=f"Permissions boundary for collaborator {collaborator.name}: {', '.join(tiers)} tiers only",
            policy=pulumi.Output.all(arns, data_key_arn).apply(
                lambda args: _json(
                    access_policies.collaborator_boundary_policy(collaborator, list(args[0]), args[1], settings.region)
                )
            ),
            tags=tags,
            opts=child,
        )
        # The external ID is a shared secret: keep the whole trust policy a secret in the state.
        trust = pulumi.Output.secret(collaborator.external_id.get_secret_value()).apply(
            lambda external_id: _json(
                access_policies.collaborator_trust_policy(collaborator, external_id, settings.partition)
            )
        )
        role = aws.iam.Role(
            logical,
            name=role_name,
            description=(
                f"Cross-account access for collaborator {collaborator.name} "
                f"({collaborator.access} on {', '.join(tiers)})"
            ),
            assume_role_policy=trust,
            max_session_duration=collaborator.max_session_seconds,
            permissions_boundary=boundary.arn,
            # Revocation must succeed even if someone attached a policy by hand.
            force_detach_policies=True,
            tags=tags,
            opts=child,
        )
        grant = aws.iam.RolePolicy(
            f"{logical}-data-access",
            name=DATA_ACCESS_POLICY_NAME,
            role=role.name,
            policy=pulumi.Output.all(arns, data_key_arn).apply(
                lambda args: _json(
                    access_policies.collaborator_access_policy(collaborator, list(args[0]), args[1], settings.region)
                )
            ),
            opts=child,
        )
        self.roles[collaborator.name] = role
        self.boundaries[collaborator.name] = boundary
        self.policies[collaborator.name] = grant


class OperatorRoles(pulumi.ComponentResource):
    """The administrator, security-auditor and break-glass roles, for people in this account signing in with MFA.

    Administrator: the AWS managed AdministratorAccess policy plus an inline explicit-deny guardrail.
    A hand-scoped allow list was considered and rejected: running this landing zone touches IAM,
    KMS, S3, EC2, Batch, EFS, CloudTrail, Config, GuardDuty, Security Hub and more, and any list
    that can run it includes IAM write, which makes the scoping cosmetic. The guardrail is what
    matters: denies win over any allow, so the administrator cannot stop or reconfigure CloudTrail or
    any other part of the audit plane, delete or rewrite the audit bucket, disable the log or data keys,
    edit any role of the stack (including its own guardrail), or read or decrypt genomic data. Changes
    to the audit plane go through the deployment pipeline's own identity. An IAM administrator can still
    create a fresh role without the guardrail: the resource policies close what matters there (the data
    buckets refuse object reads and history destruction to anyone outside their purpose, the keys refuse
    deletion and disabling to all but break-glass), and an Organizations SCP can close the rest.

    Break-glass: AdministratorAccess with no guardrail, assumed with MFA for at most an hour; the
    resource policies name it as the one exception, and every assumption raises an alarm
    (audit_policies.break_glass_alarm).

    AWS Support: the AWS managed AWSSupportAccess policy (support:* only), so the people who open and follow
    cases with AWS during an incident need no administrator rights (CIS AWS Foundations 1.17).

    Auditor: AWS managed SecurityAudit plus reads of the audit bucket (decrypting through S3 with the
    log key), CloudTrail and this account's log groups, and explicit denies on reading any data
    bucket object or decrypting with the data key.
    """

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        audit_bucket_arn: pulumi.Input[str],
        log_key_arn: pulumi.Input[str],
        data_key_arn: pulumi.Input[str],
        data_bucket_arns: list[pulumi.Input[str]],
        access_log_bucket_arn: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("glz:access:OperatorRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        partition, account = settings.partition, settings.account_id
        # every role of the stack, its own and break-glass included, and the roles that deploy or may assume
        # break-glass: the admin must not make any of them its own (a deployer's trust edited to the admin would
        # let it rewrite the bucket policies the deployer may change)
        outside_roles = [
            a for a in (*settings.deployer_principal_arns, *settings.break_glass_principal_arns) if ":role/" in a
        ]
        protected_roles = sorted({*naming.stack_role_patterns(settings, stack), *outside_roles})

        def operator_role(logical: str, role: str, principals: list[str], description: str) -> aws.iam.Role:
            """People of this account, with MFA, for at most an hour; tagged with the operator role it is."""
            return aws.iam.Role(
                f"{name}-{logical}",
                name=naming.role_name(settings, stack, role),
                description=description,
                assume_role_policy=_json(access_policies.operator_trust_policy(principals, account, partition)),
                max_session_duration=access_policies.OPERATOR_SESSION_SECONDS,
                force_detach_policies=True,
                tags={"OperatorRole": role},
                opts=child,
            )

        self.admin_role = operator_role(
            "admin",
            naming.ADMIN_ROLE,
            settings.admin_principal_arns,
            "Landing zone administrator (MFA, 1 hour); cannot tamper with the audit trail",
        )
        self.admin_guardrails = aws.iam.RolePolicy(
            f"{name}-admin-guardrails",
            name=GUARDRAIL_POLICY_NAME,
            role=self.admin_role.name,
            policy=pulumi.Output.all(
                log_key_arn, data_key_arn, audit_bucket_arn, access_log_bucket_arn, *data_bucket_arns
            ).apply(
                lambda args: _json(
                    access_policies.admin_guardrail_policy(
                        [a for a in args[2:4] if a], args[0], args[1], protected_roles, list(args[4:])
                    )
                )
            ),
            opts=child,
        )
        # Granted only once the guardrail is in place, so the role is never unguarded.
        self.admin_access = aws.iam.RolePolicyAttachment(
            f"{name}-admin-administrator-access",
            role=self.admin_role.name,
            policy_arn=managed_policy_arn(partition, "AdministratorAccess"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.admin_guardrails]),
        )

        self.auditor_role = operator_role(
            "auditor",
            naming.AUDITOR_ROLE,
            settings.auditor_principal_arns,
            "Security auditor (MFA, 1 hour): reads configuration and audit evidence, never genomic data",
        )
        self.auditor_policy = aws.iam.RolePolicy(
            f"{name}-auditor-evidence",
            name=AUDITOR_POLICY_NAME,
            role=self.auditor_role.name,
            policy=pulumi.Output.all(audit_bucket_arn, log_key_arn, data_key_arn, *data_bucket_arns).apply(
                lambda args: _json(
                    access_policies.auditor_policy(
                        args[0],
                        args[1],
                        args[2],
                        list(args[3:]),
                        region=settings.region,
                        account_id=account,
                        partition=partition,
                    )
                )
            ),
            opts=child,
        )
        self.auditor_access = aws.iam.RolePolicyAttachment(
            f"{name}-auditor-security-audit",
            role=self.auditor_role.name,
            policy_arn=managed_policy_arn(partition, "SecurityAudit"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.auditor_policy]),
        )
        self.break_glass_role = operator_role(
            "break-glass",
            naming.BREAK_GLASS_ROLE,
            settings.break_glass_principal_arns,
            "Break-glass (MFA, 1 hour, every assumption alarmed): the only role past the guardrails",
        )
        self.break_glass_access = aws.iam.RolePolicyAttachment(
            f"{name}-break-glass-administrator-access",
            role=self.break_glass_role.name,
            policy_arn=managed_policy_arn(partition, "AdministratorAccess"),
            opts=child,
        )
        self.support_role = operator_role(
            "support",
            naming.SUPPORT_ROLE,
            settings.support_principal_arns,
            "AWS Support cases (MFA, 1 hour): opens and follows cases with AWS, nothing else",
        )
        self.support_access = aws.iam.RolePolicyAttachment(
            f"{name}-support-access",
            role=self.support_role.name,
            policy_arn=managed_policy_arn(partition, SUPPORT_POLICY_NAME),
            opts=child,
        )
        self.register_outputs(
            {
                "adminRoleArn": self.admin_role.arn,
                "supportRoleArn": self.support_role.arn,
                "auditorRoleArn": self.auditor_role.arn,
                "breakGlassRoleArn": self.break_glass_role.arn,
            }
        )
