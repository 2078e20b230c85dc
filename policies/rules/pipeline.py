"""The pipeline's workflows and event routing (components/run_tracking): state machines log their failures to an
encrypted log group of the stack without the data they carry, and EventBridge hands events only to this
account's resources, through roles of the stack."""

from __future__ import annotations

import re
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
    if not destination.endswith(":*"):
        yield f"log destination {destination or 'none'} is not a log group ARN ending in ':*'"
    elif problem := encrypted_stack_log_group_problem(stack, destination):
        yield problem


HISTORY_AT_REST = Requirements(r2=("3.13.16",), r3=("03.13.08",), hipaa=("164.312(a)(2)(iv)",))
KEY = "aws:kms/key:Key"


@resource_rule(
    "GLZ-PIPE-004",
    "workflow-history-under-a-stack-key",
    (STATE_MACHINE,),
    "medium",
    HISTORY_AT_REST,
    "Keep the run workflow's encryption_configuration: type CUSTOMER_MANAGED_KMS_KEY with kms_key_id the stack's "
    "workflow key (components/run_tracking).",
)
def workflow_history_encrypted(resource: View, stack: StackView) -> Iterator[str]:
    """A state machine's definition and execution history (run ids, object keys, the inputs and outputs of every
    state) are encrypted under a customer-managed key of the stack, not only AWS's own."""
    encryption = block(resource.get("encryptionConfiguration"))
    kind = str(encryption.get("type") or "AWS_OWNED_KEY")
    if kind != "CUSTOMER_MANAGED_KMS_KEY":
        yield f"definition and execution history are encrypted with {kind}, not a customer-managed key of the stack"
        return
    key = str(encryption.get("kmsKeyId") or "")
    if not any(key in (str(k.get("arn")), str(k.get("keyId")), str(k.get("id"))) for k in stack.of_type(KEY)):
        yield f"definition and execution history are encrypted with {key or 'no key'}, not a key of the stack"


def encrypted_stack_log_group_problem(stack: StackView, arn: str) -> str | None:
    """Why logs sent to ``arn`` (with or without ':*') would not land in a log group of the stack encrypted with a
    customer-managed key, or None."""
    groups = [
        g for g in stack.of_type(LOG_GROUP) if str(g.get("arn") or "").removesuffix(":*") == arn.removesuffix(":*")
    ]
    if not groups:
        return f"logs go to {arn or 'nowhere'}, not a log group of the stack"
    if not groups[0].get("kmsKeyId"):
        return f"log group {label(groups[0])} is not encrypted with a customer-managed key"
    return None


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


# ---- what the workflow submits to AWS Batch ----------------------------------------------------------------

JOB_DEFINITION = "aws:batch/jobDefinition:JobDefinition"
JOB_QUEUE = "aws:batch/jobQueue:JobQueue"
COMPUTE_ENV = "aws:batch/computeEnvironment:ComputeEnvironment"
SUBMIT_JOB = "arn:aws:states:::batch:submitJob"
NVIDIA_IMAGE_TYPES = ("ECS_AL2023_NVIDIA", "ECS_AL2_NVIDIA")
GPU_FAMILIES = ("g4dn", "g5", "g6", "g6e", "p4d", "p5", "p5e")
"""NVIDIA instance families (components/settings.GPU_FAMILIES; the policy pack does not import the components, a
test keeps the two equal)."""
REVISION = re.compile(r"(:job-definition/[^:/]+):\d+$")
"""A job definition ARN's ':<revision>' (arn:...:job-definition/<name>:<revision>)."""
LEAST_FUNCTIONALITY = Requirements(r2=("3.4.6",), r3=("03.04.06",))


def _task_states(states: object) -> Iterator[dict]:
    """Every state of a States Language ``States`` object, including those of Parallel branches and Map
    processors."""
    if not isinstance(states, dict):
        return
    for state in states.values():
        if not isinstance(state, dict):
            continue
        yield state
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from _task_states(branch.get("States"))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _task_states(state[key].get("States"))


def batch_submissions(definition: object) -> Iterator[tuple[str, dict]]:
    """(state resource, parameters) of every Batch SubmitJob task in a state machine definition (a JSON string
    or object): the optimized integration in any of its forms (request-response, .sync, .waitForTaskToken)."""
    import json

    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except json.JSONDecodeError:
            return
    if not isinstance(definition, dict):
        return
    for state in _task_states(definition.get("States")):
        resource = str(state.get("Resource") or "")
        if state.get("Type") == "Task" and resource.split(":::", 1)[-1].startswith("batch:submitJob"):
            parameters = state.get("Parameters") or state.get("Arguments") or {}
            yield resource, parameters if isinstance(parameters, dict) else {}


def _named(resources: list[View], value: str, name_key: str) -> View | None:
    """The resource ``value`` names: its ARN (a job definition's with or without ':<revision>') or its name."""
    unrevised = REVISION.sub(r"\1", value)
    for resource in resources:
        arn, name = str(resource.get("arn") or ""), str(resource.get(name_key) or "")
        if value in (arn, name) or (arn and unrevised == REVISION.sub(r"\1", arn)):
            return resource
    return None


def _gpus(definition: View) -> int:
    from policies.rules.compute import job_containers

    total = 0
    for container in job_containers(definition):
        for requirement in container.props.get("resourceRequirements") or []:
            if isinstance(requirement, dict) and str(requirement.get("type")).upper() == "GPU":
                try:
                    total += int(requirement.get("value") or 0)
                except (TypeError, ValueError):
                    total += 1
    return total


def _gpu_environment(environment: View) -> bool:
    resources = block(environment.get("computeResources"))
    types = [str(t) for t in resources.get("instanceTypes") or []]
    images = [str(block(c).get("imageType")) for c in resources.get("ec2Configurations") or []]
    return (
        bool(types)
        and all(t.split(".", 1)[0] in GPU_FAMILIES for t in types)
        and bool(images)
        and all(i in NVIDIA_IMAGE_TYPES for i in images)
    )


@resource_rule(
    "GLZ-PIPE-003",
    "workflows-run-the-stacks-jobs",
    (STATE_MACHINE,),
    "high",
    LEAST_FUNCTIONALITY,
    "Let the workflow submit only the stack's job definitions, named in the definition, to the stack's job queues; "
    "a stage with GPUs to the gpu queue (pipeline.stages[].queue: gpu).",
)
def workflows_run_stack_jobs(resource: View, stack: StackView) -> Iterator[str]:
    """Every job a workflow submits is one the stack defines and the gate checked (its role, its container), sent
    to a queue of the stack whose compute can run it: a job chosen at run time, or defined elsewhere, runs code
    no one reviewed, and a GPU job on a queue without GPU instances never starts."""
    definitions, queues = stack.of_type(JOB_DEFINITION), stack.of_type(JOB_QUEUE)
    environments = stack.of_type(COMPUTE_ENV)
    for _, parameters in batch_submissions(resource.get("definition")):
        for key in ("JobDefinition", "JobQueue"):
            if f"{key}.$" in parameters:
                yield f"a task picks its {key} at run time ({parameters[f'{key}.$']}), not one of the stack's"
        definition = _named(definitions, str(parameters.get("JobDefinition") or ""), "name")
        queue = _named(queues, str(parameters.get("JobQueue") or ""), "name")
        if "JobDefinition" in parameters and definition is None:
            yield f"a task submits job definition {parameters['JobDefinition']}, which is not the stack's"
        if "JobQueue" in parameters and queue is None:
            yield f"a task submits to job queue {parameters['JobQueue']}, which is not the stack's"
        if definition is None or queue is None:
            continue
        orders = [block(o).get("computeEnvironment") for o in queue.get("computeEnvironmentOrders") or []]
        serving = [e for e in environments if e.get("arn") in orders or e.get("name") in orders]
        if _gpus(definition) and not (serving and all(_gpu_environment(e) for e in serving)):
            yield (
                f"job definition {label(definition)} asks for {_gpus(definition)} GPU(s) but queue {label(queue)} "
                "sends jobs to environments without NVIDIA GPU instances (the job would wait RUNNABLE)"
            )
