"""Run tracking in the account: the run workflow still logs its failures without their data to the declared log
group and runs the declared definition with the declared role; the runs table is still encrypted with the
declared key, recoverable to any point and protected from deletion.

Anyone with states:UpdateStateMachine can point the workflow at other jobs or switch its logging off, and anyone
with dynamodb:UpdateTable / UpdateContinuousBackups can drop the table's protection, without touching the stack.
SecurityAudit grants states:DescribeStateMachine, dynamodb:DescribeTable and DescribeContinuousBackups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from glz.audit.compare import as_bool, parsed_json
from glz.audit.context import AuditContext, error_code
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

WORKFLOW = CheckSpec(
    "states.run-workflow",
    "The run workflow runs the declared definition and logs failures without data to the declared log group",
    ("run_tracking",),
)
RUNS_TABLE = CheckSpec(
    "dynamodb.runs-table",
    "The runs table is encrypted with the declared key, recoverable to any point and protected from deletion",
    ("run_tracking",),
)
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
TABLE = "aws:dynamodb/table:Table"


# Reading a definition encrypted under a customer managed key takes kms:Decrypt on it, which an audit role need not
# have: without it the definition is read as metadata only and not compared (said in the result, never passed over)
KMS_DENIED = ("KmsAccessDeniedException", "AccessDeniedException", "KmsInvalidStateException")


def _describe(ctx: AuditContext, arn: str) -> tuple[dict[str, Any] | None, bool]:
    """(DescribeStateMachine's answer, whether its definition could be read)."""
    missing = ("StateMachineDoesNotExist",)
    try:
        return ctx.call_or_none("stepfunctions", "describe_state_machine", missing, stateMachineArn=arn), True
    except ClientError as error:
        if error_code(error) not in KMS_DENIED:
            raise
    live = ctx.call_or_none(
        "stepfunctions", "describe_state_machine", missing, stateMachineArn=arn, includedData="METADATA_ONLY"
    )
    return live, False


def _workflow(ctx: AuditContext, arn: str, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    live, readable = _describe(ctx, arn)
    if live is None:
        return fail(f"workflow {arn} does not exist: finished runs start nothing")
    logging = live.get("loggingConfiguration") or {}
    destinations = [
        str(((d.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")) or "") for d in logging.get("destinations", [])
    ]
    observed.update(
        level=logging.get("level"),
        include_execution_data=bool(logging.get("includeExecutionData")),
        destinations=destinations,
        role=live.get("roleArn"),
        definition_unchanged=parsed_json(live.get("definition")) == declared["definition"] if readable else None,
        encryption=live.get("encryptionConfiguration") or {"type": "AWS_OWNED_KEY"},
    )
    problems = []
    if observed["level"] != declared["level"]:
        problems.append(f"logging level {observed['level']}, declared {declared['level']}")
    if observed["include_execution_data"] and not declared["include_execution_data"]:
        problems.append("execution data is now logged")
    if declared["destination"] not in destinations:
        problems.append(f"logs go to {', '.join(destinations) or 'nowhere'}, declared {declared['destination']}")
    if observed["role"] != declared["role"]:
        problems.append(f"runs as {observed['role']}, declared {declared['role']}")
    if readable and not observed["definition_unchanged"]:
        problems.append("its definition is not the declared one (other states, jobs or queues)")
    encryption = observed["encryption"]
    if (encryption.get("type"), encryption.get("kmsKeyId")) != (declared["encryption"], declared["key"]):
        problems.append(
            f"encrypted with {encryption.get('kmsKeyId') or encryption.get('type')}, declared {declared['key'] or 'none'}"
        )
    if problems:
        return fail(f"workflow {arn}: " + "; ".join(problems))
    definition = "declared definition" if readable else "definition NOT compared (no kms:Decrypt on its key)"
    return ok(
        f"workflow {arn}: {definition}, {observed['level']} logging without execution data, encrypted as declared"
    )


def _table(ctx: AuditContext, name: str, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    live = ctx.call_or_none("dynamodb", "describe_table", ("ResourceNotFoundException",), TableName=name)
    if live is None:
        return fail(f"runs table {name} does not exist")
    table = live.get("Table") or {}
    sse = table.get("SSEDescription") or {}
    backups = ctx.call("dynamodb", "describe_continuous_backups", TableName=name).get(
        "ContinuousBackupsDescription", {}
    )
    pitr = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
    observed.update(
        kms_key=sse.get("KMSMasterKeyArn"),
        sse_status=sse.get("Status"),
        deletion_protection=as_bool(table.get("DeletionProtectionEnabled")),
        point_in_time_recovery=pitr,
    )
    problems = []
    if observed["sse_status"] != "ENABLED" or observed["kms_key"] != declared["kms_key"]:
        problems.append(f"encrypted with {observed['kms_key'] or 'an AWS key'}, declared {declared['kms_key']}")
    if not observed["deletion_protection"]:
        problems.append("deletion protection is off")
    if pitr != "ENABLED":
        problems.append(f"point-in-time recovery is {pitr or 'off'}")
    if problems:
        return fail(f"runs table {name}: " + "; ".join(problems))
    return ok(f"runs table {name}: encrypted with the declared key, point-in-time recovery, deletion protection")


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    if ctx.state is None:
        return
    for machine in ctx.state.of_type(STATE_MACHINE):
        arn = str(machine.outputs.get("arn") or machine.id)
        logging = machine.prop("loggingConfiguration") or {}
        declared = {
            "level": logging.get("level", "OFF"),
            "include_execution_data": as_bool(logging.get("includeExecutionData")),
            "destination": str(logging.get("logDestination") or ""),
            "role": machine.prop("roleArn"),
            "definition": parsed_json(machine.prop("definition")),
            "encryption": (machine.prop("encryptionConfiguration") or {}).get("type", "AWS_OWNED_KEY"),
            "key": (machine.prop("encryptionConfiguration") or {}).get("kmsKeyId"),
        }
        shown = {k: v for k, v in declared.items() if k != "definition"}
        yield ctx.check(
            WORKFLOW, arn, machine.urn, shown, lambda observed, arn=arn, d=declared: _workflow(ctx, arn, d, observed)
        )
    for table in ctx.state.of_type(TABLE):
        name = str(table.prop("name"))
        declared = {
            "kms_key": (table.prop("serverSideEncryption") or {}).get("kmsKeyArn"),
            "deletion_protection": True,
            "point_in_time_recovery": "ENABLED",
        }
        yield ctx.check(
            RUNS_TABLE, name, table.urn, declared, lambda observed, n=name, d=declared: _table(ctx, n, d, observed)
        )
