"""The pipeline's workflows and event routing (components/run_tracking): state machines log their failures to an
encrypted log group of the stack without the data they carry, and EventBridge hands events only to this
account's resources, through roles of the stack."""

from __future__ import annotations

from collections.abc import Iterator

from policies.framework import Requirements, StackView, View, resource_rule
from policies.rules.audit import Referents, block, is_false, label

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
LOG_LEVELS = ("ALL", "ERROR", "FATAL")

WORKFLOW_LOGS = Requirements(r2=("3.3.1", "3.3.2"), r3=("03.03.01", "03.03.03"), hipaa=("164.312(b)",))
IN_ACCOUNT = Requirements(r2=("3.1.3", "3.13.1"), r3=("03.01.03", "03.13.01"), hipaa=("164.312(e)(1)",))


@resource_rule(
    "GLZ-PIPE-001",
    "workflows-log-failures-without-data",
    (STATE_MACHINE,),
    "medium",
    WORKFLOW_LOGS,
    "Keep the run workflow's logging_configuration: level ERROR (or ALL), include_execution_data false, "
    "log_destination '<log group ARN>:*' of a stack log group encrypted with the log key.",
)
def workflows_log(resource: View, stack: StackView) -> Iterator[str]:
    """Every state machine records its failures in an encrypted log group of the stack, and never the execution
    data (run inputs and outputs may name samples), so the record exists and holds no PHI."""
    logging = block(resource.get("loggingConfiguration"))
    level = str(logging.get("level") or "OFF").upper()
    if level not in LOG_LEVELS:
        yield f"execution logging is {level}: failed executions leave no record"
        return
    if not is_false(logging.get("includeExecutionData")):
        yield "execution logs include the execution data (inputs and outputs may name samples)"
    destination = str(logging.get("logDestination") or "")
    groups = [
        g
        for g in stack.of_type(LOG_GROUP)
        if str(g.get("arn") or "").removesuffix(":*") == destination.removesuffix(":*")
    ]
    if not destination.endswith(":*"):
        yield f"log destination {destination or 'none'} is not a log group ARN ending in ':*'"
    elif not groups:
        yield f"logs go to {destination}, not a log group of the stack"
    elif not groups[0].get("kmsKeyId"):
        yield f"log group {label(groups[0])} is not encrypted with a customer-managed key"


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


@resource_rule(
    "GLZ-PIPE-002",
    "events-stay-in-the-account",
    (EVENT_TARGET,),
    "high",
    IN_ACCOUNT,
    "Point EventBridge targets only at this account's resources (no other account's event bus, no API "
    "destination), with a role of the stack where the target needs one.",
)
def events_in_account(resource: View, stack: StackView) -> Iterator[str]:
    """An EventBridge target hands events (object keys of genomic data, run ids) only to this account's
    resources, never to another account's bus or an HTTP endpoint."""
    arn = str(resource.get("arn") or "")
    account = stack.account_id
    if ":api-destination/" in arn or arn.startswith(("http://", "https://")):
        yield f"target {arn} sends events to an HTTP endpoint outside AWS"
    elif account and _account_of(arn) not in (account, None, ""):
        yield f"target {arn} is in account {_account_of(arn)}, not this account {account}"
    elif not arn:
        yield "target has no ARN"
    role = resource.get("roleArn")
    if role and not Referents(stack.of_type(ROLE), "arn").referred_by(resource, "roleArn"):
        yield f"target uses role {role}, not a role of the stack"
