"""Security findings and AWS advisories reach people (components/finding_alerts.py).

Judged by following sample events through the stack as AWS would: an enabled EventBridge rule on the default
bus whose pattern matches the event (policies/rules/event_patterns.py), a target that is a log group of the
stack, a CloudWatch Logs resource policy that lets EventBridge write there for that rule, a metric filter on the
group whose pattern matches the event, and an alarm on that metric that goes off on the first event and notifies
a topic of the stack. Any broken link is named; a pattern the gate cannot read is a finding, never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policies.access import conditions as cond
from policies.access.document import arn_matches, statements
from policies.framework import Requirements, StackView, View, Violation, stack_rule
from policies.rules.audit import (
    METRIC_ALARM,
    METRIC_FILTER,
    TOPIC,
    Referents,
    alarm_problem,
    counts_events,
    fires_problem,
    is_false,
    label,
    metric_of,
    refers_to,
)
from policies.rules.event_patterns import PatternError
from policies.rules.event_patterns import matches as pattern_matches
from policies.rules.filter_patterns import matches as filter_matches

EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
EVENTS = "events.amazonaws.com"
JOB_QUEUE = "aws:batch/jobQueue:JobQueue"

REPORTING = Requirements(
    r2=("3.14.3", "3.6.2", "3.14.6"),
    r3=("03.14.03", "03.06.02", "03.14.06"),
    hipaa=("164.308(a)(6)(ii)", "164.308(a)(1)(ii)(D)"),
)
"""Failed jobs ride along: they are incidents of the pipeline, reported the same way."""


def _finding(label_: str, product: str = "Security Hub") -> dict[str, Any]:
    return {
        "source": "aws.securityhub",
        "detail-type": "Security Hub Findings - Imported",
        "detail": {
            "findings": [
                {
                    "ProductName": product,
                    "Severity": {"Label": label_},
                    "Workflow": {"Status": "NEW"},
                    "RecordState": "ACTIVE",
                    "Title": "sample finding",
                }
            ]
        },
    }


def _guardduty(severity: float) -> dict[str, Any]:
    return {"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": {"severity": severity}}


def _health(service: str, code: str, category: str) -> dict[str, Any]:
    return {
        "source": "aws.health",
        "detail-type": "AWS Health Event",
        "detail": {"service": service, "eventTypeCode": code, "eventTypeCategory": category},
    }


@dataclass(frozen=True)
class Kind:
    """What must reach people, with sample events of it (the shapes the services' user guides give)."""

    name: str
    samples: tuple[dict[str, Any], ...]


SECURITY_HUB = Kind(
    "high and critical Security Hub findings",
    (_finding("HIGH"), _finding("CRITICAL"), _finding("HIGH", "GuardDuty"), _finding("CRITICAL", "Inspector")),
)
GUARDDUTY = Kind("high and critical GuardDuty findings", (_guardduty(7.0), _guardduty(8.9), _guardduty(9.5)))
HEALTH = Kind(
    "AWS Health events",
    (
        _health("SECURITY", "AWS_SECURITY_NOTIFICATION", "accountNotification"),
        _health("EC2", "AWS_EC2_OPERATIONAL_ISSUE", "issue"),
    ),
)


def _failed_job(queue_arn: str) -> dict[str, Any]:
    return {
        "source": "aws.batch",
        "detail-type": "Batch Job State Change",
        "detail": {"status": "FAILED", "jobQueue": queue_arn, "jobName": "RUN0001-alignment"},
    }


def required(stack: StackView) -> list[Kind]:
    """Security Hub findings where Security Hub is on (it carries GuardDuty's), GuardDuty's own without it, AWS
    Health always, and failed jobs of every job queue of the stack. Without the stack's outputs (a preview), both
    services count as on."""
    services = stack.outputs.get("securityServices")
    on = services if isinstance(services, dict) else {"securityHub": True, "guardDuty": True}
    kinds = [SECURITY_HUB] if on.get("securityHub") else []
    if on.get("guardDuty") and not on.get("securityHub"):
        kinds.append(GUARDDUTY)
    queues = sorted(str(q.get("arn")) for q in stack.of_type(JOB_QUEUE) if q.get("arn"))
    if queues:
        kinds.append(Kind("failed Batch jobs", tuple(_failed_job(q) for q in queues)))
    return [*kinds, HEALTH]


def _enabled(rule: View) -> bool:
    state = str(rule.get("state") or "ENABLED").upper()
    return state.startswith("ENABLED") and not is_false(rule.get("isEnabled"))


def _default_bus(resource: View) -> bool:
    bus = str(resource.get("eventBusName") or "default")
    return bus == "default" or bus.endswith(":event-bus/default")


def _writable(stack: StackView, group: View, rule: View) -> bool:
    """Does a CloudWatch Logs resource policy of the stack let EventBridge write the rule's events to the group?"""
    group_arn = str(group.get("arn") or "").removesuffix(":*")
    stream = f"{group_arn}:log-stream:glz-probe"
    context = {"aws:sourcearn": str(rule.get("arn") or ""), "aws:sourceaccount": stack.account_id or ""}
    allowed = denied = False
    for policy in stack.of_type(LOG_POLICY):
        for statement in statements(policy.get("policyDocument")):
            names = any(p.kind == "Service" and arn_matches(p.value, EVENTS) for p in statement.principals) or any(
                p.anyone for p in statement.principals
            )
            if not names or not statement.covers_action("logs:PutLogEvents") or not statement.covers_resource(stream):
                continue
            holds = cond.evaluate(statement.conditions, context)
            if statement.deny and holds is not False:
                denied = True
            elif statement.allow and holds is True:
                allowed = True
    return allowed and not denied


def _broken_link(stack: StackView, event: dict[str, Any], topics: Referents) -> tuple[str | None, list[str]]:
    """(None, []) when the event reaches an alarm on a topic of the stack; else the furthest link it reaches
    and why it goes no further. Unreadable patterns are reported separately."""
    unreadable: list[str] = []
    rules = []
    for rule in stack.of_type(EVENT_RULE):
        if not (_enabled(rule) and _default_bus(rule)):
            continue
        try:
            if pattern_matches(rule.get("eventPattern"), event):
                rules.append(rule)
        except PatternError as error:
            unreadable.append(f"rule {label(rule)}: event pattern cannot be read ({error})")
    if not rules:
        return "no enabled EventBridge rule on the default bus matches it", unreadable
    groups = stack.of_type(LOG_GROUP)
    filters = stack.of_type(METRIC_FILTER)
    alarms = stack.of_type(METRIC_ALARM)
    furthest = ""
    for rule in rules:
        targets = [t for t in stack.of_type(EVENT_TARGET) if refers_to(t, "rule", rule, "name", "id")]
        destinations = [g for t in targets for g in groups if _targets_group(t, g)]
        if not destinations:
            furthest = furthest or f"rule {label(rule)} matches it but delivers it to no log group of the stack"
            continue
        for group in destinations:
            if not _writable(stack, group, rule):
                furthest = (
                    f"rule {label(rule)} targets log group {label(group)}, but no CloudWatch Logs resource policy "
                    "of the stack lets EventBridge write there for that rule"
                )
                continue
            counted = [
                f
                for f in filters
                if refers_to(f, "logGroupName", group, "name", "id")
                and counts_events(f)
                and filter_matches(str(f.get("pattern") or ""), event)
            ]
            if not counted:
                furthest = f"it is recorded in log group {label(group)}, but no metric filter there counts it"
                continue
            metrics = {metric_of(f) for f in counted}
            watching = [a for a in alarms if metric_of(a) in metrics]
            if any(alarm_problem(a, topics) is None and fires_problem(a) is None for a in watching):
                return None, unreadable
            furthest = (
                f"it is counted in log group {label(group)}, but no alarm on that metric goes off on the first "
                "event and notifies a topic of the stack"
            )
    return furthest, unreadable


def _targets_group(target: View, group: View) -> bool:
    if not _default_bus(target):
        return False
    arn = str(target.get("arn") or "")
    if arn.endswith(":*"):
        return False  # EventBridge delivers nothing to a log group ARN written with ':*'
    return refers_to(target, "arn", group, "arn")


def alert_gaps(stack: StackView) -> list[str]:
    """What of each required kind does not reach people, one line per kind (empty: everything does)."""
    topics = Referents(stack.of_type(TOPIC), "arn", "id")
    gaps = []
    for kind in required(stack):
        for event in kind.samples:
            broken, unreadable = _broken_link(stack, event, topics)
            if broken:
                sample = json.dumps(event["detail"], sort_keys=True)[:90]
                gaps.append(f"{kind.name} (e.g. {sample}) reach nobody: {broken}")
                gaps += unreadable
                break
    return list(dict.fromkeys(gaps))


@stack_rule(
    "GLZ-LOG-013",
    "findings-and-advisories-reach-people",
    "high",
    REPORTING,
    "Keep components/finding_alerts (FindingAlerts): enabled EventBridge rules for HIGH/CRITICAL Security Hub "
    "findings (GuardDuty's severity >= 7 without Security Hub) and AWS Health events, targeting the "
    "security-findings log group, its resource policy for events.amazonaws.com, and metric filters and alarms "
    "notifying the security topic.",
)
def findings_reach_people(stack: StackView) -> Iterator[Violation]:
    """High and critical findings and AWS Health advisories are recorded and raise an alarm on a topic of the stack."""
    for gap in alert_gaps(stack):
        yield Violation(stack.anchor, gap)
