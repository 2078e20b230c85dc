"""The data path of a stack as a Mermaid flowchart, drawn from its state (issue 16's architecture drawing).

Nothing here is typed by hand: the tiers are the stack's data buckets, the run path is the EventBridge rule and
the state machine the state declares, the stages are the jobs the workflow submits (in the order a run goes
through them, with the queue each is sent to), and every read and write arrow is a decision of the access model
(policies/access: identity, boundary and bucket policies together), so the drawing changes when the policies
do. GitHub and most Markdown viewers render Mermaid; no Graphviz binary is needed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from glz.state import StackState

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
JOB_DEFINITION = "aws:batch/jobDefinition:JobDefinition"
JOB_QUEUE = "aws:batch/jobQueue:JobQueue"


def _id(kind: str, name: str) -> str:
    return f"{kind}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


def _label(*lines: str) -> str:
    return "<br/>".join(line.replace('"', "'") for line in lines if line)


def _workflow_path(definition: Any) -> list[dict[str, Any]]:
    """The states a successful run goes through (components/run_workflow.success_path)."""
    from components.run_workflow import success_path

    try:
        parsed = json.loads(definition) if isinstance(definition, str) else definition
    except ValueError:
        return []
    return [state for _, state in success_path(parsed)]


def _access(state: StackState):
    """(model, data buckets by tier, a function telling what a role may do to a bucket's objects)."""
    from glz.gate import stack_view
    from policies.rules import s3_support as s3
    from policies.rules.data_access import model_of

    view = stack_view(state)
    model = model_of(view)
    actors = {actor.name: actor for actor in model.stack_actors()}
    tiers = {tier: bucket for tier, bucket in (state.stack_outputs().get("dataBuckets") or {}).items()}
    known = {s3.bucket_name(b) for b in s3.data_buckets(view)}

    def may(role_arn: str, bucket: str, action: str) -> bool:
        actor = actors.get(role_arn)
        if actor is None:
            return False
        objects = model.object_probes(actor, bucket) if bucket in known else [f"arn:aws:s3:::{bucket}/object"]
        # any object the role's or the bucket's statements single out (a collaborator's prefix) counts
        return any(model.decide(actor, action, arn) for arn in objects)

    return tiers, may


def data_path(state: StackState) -> str:
    """The Mermaid flowchart (without the code fence) of what lands where and what reads and writes it."""
    outputs = state.stack_outputs()
    tiers, may = _access(state)
    scanned = set(outputs.get("malwareScanBuckets") or {})
    lines = ["flowchart LR"]
    for tier, bucket in tiers.items():
        lines.append(
            f'  {_id("tier", tier)}[("{_label(f"{tier} tier", bucket, "malware-scanned" if tier in scanned else "")}")]'
        )
    tracking = outputs.get("runTracking") if isinstance(outputs.get("runTracking"), dict) else None
    definitions = {r.outputs.get("arn"): r for r in state.of_type(JOB_DEFINITION)}
    queues = {r.outputs.get("arn"): r for r in state.of_type(JOB_QUEUE)}
    staged: list[tuple[str, str]] = []  # (job role, node)
    if tracking:
        intake = tracking.get("intakeTier")
        lines.append('  sequencer(["Sequencer or uploader"])')
        lines.append(
            f'  sequencer -->|"run folder, then {" or ".join(tracking.get("markers") or [])}"| {_id("tier", intake)}'
        )
        machines = [m for m in state.of_type(STATE_MACHINE) if m.outputs.get("arn") == tracking.get("workflow")]
        starters = [
            t for t in state.of_type(EVENT_TARGET) if machines and t.inputs.get("arn") == machines[0].outputs.get("arn")
        ]
        for machine in machines[:1]:
            workflow = _id("workflow", str(machine.outputs.get("name")))
            lines.append(f'  {workflow}{{{{"{_label("Step Functions workflow", str(machine.outputs.get("name")))}"}}}}')
            for target in starters:
                rule = str(target.inputs.get("rule"))
                node = _id("rule", rule)
                lines.append(f'  {node}>"{_label("EventBridge rule", rule)}"]')
                lines.append(f'  {_id("tier", intake)} -.->|"Object Created: marker"| {node} --> {workflow}')
            lines.append(
                f'  {workflow} -->|"run and stage records"| table[("{_label("DynamoDB runs table", str(tracking.get("table")))}")]'
            )
            lines.append(f'  {workflow} -.->|"run failed"| topic(["{_label("SNS pipeline topic")}"])')
            tasks = [
                s
                for s in _workflow_path(machine.outputs.get("definition") or machine.inputs.get("definition"))
                if str(s.get("Resource", "")).endswith(":batch:submitJob.sync")
            ]
            for order, task in enumerate(tasks, start=1):
                parameters = task.get("Parameters") or {}
                definition = definitions.get(parameters.get("JobDefinition"))
                queue = queues.get(parameters.get("JobQueue"))
                if definition is None:
                    continue
                name = str(definition.inputs.get("name"))
                node = _id("stage", name)
                queue_name = str(queue.inputs.get("name")) if queue else "a queue outside the stack"
                lines.append(f'  {node}["{_label(f"{order}. {name}", f"Batch queue {queue_name}")}"]')
                lines.append(f"  {workflow} -->|{order}| {node}")
                role = json.loads(definition.inputs.get("containerProperties") or "{}").get("jobRoleArn", "")
                staged.append((role, node))
    for definition in state.of_type(JOB_DEFINITION):
        role = json.loads(definition.inputs.get("containerProperties") or "{}").get("jobRoleArn", "")
        if role and role not in {r for r, _ in staged}:
            node = _id("job", str(definition.inputs.get("name")))
            lines.append(f'  {node}["{_label(str(definition.inputs.get("name")), "Batch job, submitted by hand")}"]')
            staged.append((role, node))
    intake = outputs.get("intake") if isinstance(outputs.get("intake"), dict) else {}
    for instrument, declared in sorted((intake.get("instruments") or {}).items()):
        node = _id("instrument", instrument)
        cn = declared.get("commonName")
        label = _label(f"instrument {instrument}", f"certificate CN {cn}", "IAM Roles Anywhere")
        lines.append(f'  {node}(["{label}"])')
        staged.append((str(declared.get("role")), node))
    for collaborator, role in sorted((outputs.get("collaboratorRoles") or {}).items()):
        node = _id("collaborator", collaborator)
        lines.append(f'  {node}(["{_label(f"collaborator {collaborator}", "cross-account role")}"])')
        staged.append((role, node))
    for role, node in staged:
        for tier, bucket in tiers.items():
            if may(role, bucket, "s3:GetObject"):
                lines.append(f'  {_id("tier", tier)} -->|"reads"| {node}')
            if may(role, bucket, "s3:PutObject"):
                lines.append(f'  {node} -->|"writes"| {_id("tier", tier)}')
        for bucket in outputs.get("openDataBuckets") or []:
            if may(role, bucket, "s3:GetObject"):
                open_node = _id("opendata", bucket)
                lines.append(f'  {open_node}[("{_label("Registry of Open Data", bucket, "read-only")}")]')
                lines.append(f'  {open_node} -->|"reads"| {node}')
    return "\n".join(dict.fromkeys(lines)) + "\n"


def data_path_markdown(state: StackState, stack: str) -> str:
    return (
        f"# Data path of stack {stack}\n\n"
        "Generated by `glz matrix` from the stack state: every read and write arrow is what the access model lets "
        "that role do (identity, boundary and bucket policies together).\n\n"
        f"```mermaid\n{data_path(state)}```\n"
    )
