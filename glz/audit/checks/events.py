"""EventBridge rules: each declared rule (finding alerts, finished runs) still exists, is enabled, matches the
declared events and sends them to the declared target (the findings log group, the run workflow).

Anyone with events:DisableRule, PutRule or RemoveTargets can silence findings and AWS Health advisories without
touching the stack; the metric filters and alarms downstream (logs.metric-filter, cloudwatch.alarm) would then
see nothing and stay OK. Only the live rule shows it. SecurityAudit grants events:DescribeRule and
events:ListTargetsByRule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from glz.audit.compare import parsed_json
from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

FINDING_RULE = CheckSpec(
    "events.finding-rule",
    "EventBridge rule for findings and advisories is enabled, unchanged and targets the declared log group",
    ("finding_alerts",),
)
RUN_RULE = CheckSpec(
    "events.run-rule",
    "EventBridge rule for finished runs is enabled, unchanged and starts the declared workflow",
    ("run_tracking",),
)
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"


def _judge(ctx: AuditContext, name: str, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    rule = ctx.call_or_none("events", "describe_rule", ("ResourceNotFoundException",), Name=name)
    if rule is None:
        return fail(f"rule {name} does not exist: its events reach nobody")
    targets = ctx.call("events", "list_targets_by_rule", Rule=name).get("Targets", [])
    observed.update(
        state=rule.get("State"),
        pattern=parsed_json(rule.get("EventPattern")),
        targets=sorted(str(t.get("Arn")) for t in targets),
    )
    problems = []
    if observed["state"] != declared["state"]:
        problems.append(f"state {observed['state']}, declared {declared['state']}")
    if observed["pattern"] != declared["pattern"]:
        problems.append(f"event pattern {json.dumps(observed['pattern'], sort_keys=True)}, declared another")
    missing = sorted(set(declared["targets"]) - set(observed["targets"]))
    if missing:
        problems.append(f"no longer sends to {', '.join(missing)}")
    if problems:
        return fail(f"rule {name}: " + "; ".join(problems))
    return ok(f"rule {name} is {observed['state']} and sends to {', '.join(observed['targets'])}")


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    if ctx.state is None:
        return
    targets = ctx.state.of_type(EVENT_TARGET)
    for rule in ctx.state.of_type(EVENT_RULE):
        name = str(rule.prop("name"))
        declared = {
            "state": str(rule.prop("state") or "ENABLED"),
            "pattern": parsed_json(rule.prop("eventPattern")),
            "targets": sorted(str(t.prop("arn")) for t in targets if str(t.prop("rule")) == name),
        }
        starts_workflow = any(":states:" in t for t in declared["targets"])
        yield ctx.check(
            RUN_RULE if starts_workflow else FINDING_RULE,
            name,
            rule.urn,
            declared,
            lambda observed, name=name, declared=declared: _judge(ctx, name, declared, observed),
        )
