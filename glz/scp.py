"""`glz scp --stack S`: the service control policy that closes what only an SCP can close.

Inside one account an IAM administrator can always create a new role without the admin guardrail. The
resource policies already bind such a role for data, keys and audit records (components/data_guardrails,
key_policies, audit_policies); the trail, Config, GuardDuty, Security Hub, Inspector, Access Analyzer, flow
logs, log groups, metric filters and alarms have no resource policy to do that. An SCP attached to the
account (or its OU) denies those actions to every principal of the account except the deployer roles and
break-glass. Service-linked roles are outside SCPs (AWS Organizations User Guide, "Service control
policies": SCPs do not affect service-linked roles), so the services keep working.

The document is checked before it is printed: at most 5,120 characters (the Organizations quota for an SCP),
no Allow, and every exempt principal a full role ARN of this account.
"""

from __future__ import annotations

import json
from typing import Any

from components import access_policies, naming
from components.settings import Settings

SCP_MAX_CHARACTERS = 5120
"""AWS Organizations quotas: maximum size of a service control policy document."""


CONTROL_TOWER_ROLE = "AWSControlTowerExecution"
"""The role Control Tower manages an enrolled account's Config and CloudTrail baseline with (Control Tower User
Guide, "Roles"); Control Tower's own guardrail SCPs exempt it the same way. It exists only in enrolled accounts."""


def exempt_roles(settings: Settings, stack: str) -> list[str]:
    """Who may still change the audit plane: the deployer roles (`pulumi up`), break-glass, and Control Tower."""
    deployers = [a for a in settings.deployer_principal_arns if ":role/" in a]
    tower = f"arn:{settings.partition}:iam::{settings.account_id}:role/{CONTROL_TOWER_ROLE}"
    return sorted({*deployers, naming.break_glass_arn(settings, stack), tower})


def document(settings: Settings, stack: str) -> dict[str, Any]:
    actions = sorted({*access_policies.TRAIL_TAMPER_ACTIONS, *access_policies.AUDIT_PLANE_TAMPER_ACTIONS})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyAuditPlaneChangesButDeployerAndBreakGlass",
                "Effect": "Deny",
                "Action": actions,
                "Resource": "*",
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": exempt_roles(settings, stack)}},
            }
        ],
    }


def problems(policy: dict[str, Any], account_id: str) -> list[str]:
    """Why the document could not be attached as written (empty: it can)."""
    found = []
    size = len(json.dumps(policy, separators=(",", ":")))
    if size > SCP_MAX_CHARACTERS:
        found.append(f"{size} characters, over the SCP limit of {SCP_MAX_CHARACTERS}")
    for statement in policy["Statement"]:
        if statement.get("Effect") != "Deny":
            found.append(f"statement {statement.get('Sid')} is not a Deny")
        for arn in statement.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalArn", []):
            if not arn.startswith(f"arn:aws:iam::{account_id}:role/") or "*" in arn:
                found.append(f"exempt principal {arn} is not a full role ARN of account {account_id}")
    return found


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "scp", help="print the service control policy that keeps every other principal off the audit plane"
    )
    parser.add_argument("--stack", required=True, help="reads Pulumi.<stack>.yaml")
    parser.set_defaults(func=cmd_scp)


def cmd_scp(args: Any) -> int:
    from glz.cli import _project_dir
    from glz.errors import UserInputError
    from glz.stack_files import read_stack_config
    from glz.synth import validate

    settings = validate(read_stack_config(_project_dir(args.project_dir), args.stack))
    policy = document(settings, args.stack)
    found = problems(policy, settings.account_id)
    if found:
        raise UserInputError("the service control policy cannot be attached as written: " + "; ".join(found))
    print(json.dumps(policy, indent=2))
    return 0
