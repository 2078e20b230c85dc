"""Security alarms (CIS AWS Foundations): every declared metric filter is on its log group with the declared
pattern and metric, every declared alarm watches that metric and notifies the declared topic, and the alarm
topic is encrypted with the declared key. The alarms are read from the state, whatever their number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from glz.audit.compare import as_bool, as_int, same_key
from glz.audit.context import AuditContext
from glz.audit.expected import Declared
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok, unverifiable

METRIC_FILTER = CheckSpec(
    "logs.metric-filter",
    "Metric filter is on the declared log group with the declared pattern and metric",
    ("security_alarms",),
)
ALARM = CheckSpec(
    "cloudwatch.alarm",
    "Alarm watches the declared metric and notifies the declared topic, actions enabled",
    ("security_alarms",),
)
TOPIC = CheckSpec(
    "sns.topic-encryption", "Alarm topic exists, KMS-encrypted with the declared key", ("security_alarms",)
)
DELIVERY = CheckSpec(
    "cloudwatch.alarm-delivery",
    "Alarm actions reach the encrypted topic (no failed action in the alarms' history)",
    ("security_alarms",),
)


def normalised_pattern(pattern: Any) -> str:
    """Filter patterns compared without regard to runs of whitespace."""
    return " ".join(str(pattern or "").split())


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _metric_filter(ctx: AuditContext, declared: Declared) -> CheckResult:
    group = str(declared.prop("logGroupName") or "")
    transformation = declared.prop("metricTransformation") or {}
    if isinstance(transformation, list):  # older schemas keep a one-element list
        transformation = transformation[0] if transformation else {}
    expected = {
        "log_group": group,
        "pattern": normalised_pattern(declared.prop("pattern")),
        "metric": transformation.get("name"),
        "namespace": transformation.get("namespace"),
    }
    if transformation.get("value") is not None:
        expected["value"] = str(transformation["value"])

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("log-group", group, f"log group {group}")
        answer = ctx.call_or_none("logs", "describe_metric_filters", ("ResourceNotFoundException",), logGroupName=group)
        if answer is None:
            observed["log_group_exists"] = False
            return fail(f"metric filter {declared.name}: its log group {group} does not exist")
        live = next((f for f in answer.get("metricFilters", []) if f.get("filterName") == declared.name), None)
        if live is None:
            observed["exists"] = False
            return fail(f"metric filter {declared.name} is declared on {group} ({declared.urn}) but does not exist")
        metric = (live.get("metricTransformations") or [{}])[0]
        observed.update(
            exists=True,
            pattern=normalised_pattern(live.get("filterPattern")),
            metric=metric.get("metricName"),
            namespace=metric.get("metricNamespace"),
        )
        if "value" in expected:
            observed["value"] = str(metric.get("metricValue"))
        differs = [
            k for k in ("pattern", "metric", "namespace", "value") if k in observed and observed[k] != expected[k]
        ]
        if differs:
            detail = "; ".join(f"{k} {observed[k]!r}, declared {expected[k]!r}" for k in differs)
            return fail(f"metric filter {declared.name} on {group} differs from the state: {detail}")
        return ok(f"on {group}, counts {observed['namespace']}/{observed['metric']}")

    return ctx.check(METRIC_FILTER, declared.name, declared.urn, expected, body)


# (state key, DescribeAlarms key, conversion) of the settings compared when the state declares them.
ALARM_SETTINGS = (
    ("metricName", "MetricName", str),
    ("namespace", "Namespace", str),
    ("statistic", "Statistic", str),
    ("period", "Period", as_int),
    ("evaluationPeriods", "EvaluationPeriods", as_int),
    ("threshold", "Threshold", _as_float),
    ("comparisonOperator", "ComparisonOperator", str),
)


def _alarm(ctx: AuditContext, declared: Declared) -> CheckResult:
    expected: dict[str, Any] = {
        "actions_enabled": as_bool(declared.prop("actionsEnabled", True)),
        "alarm_actions": sorted(str(a) for a in declared.prop("alarmActions") or []),
    }
    for state_key, _, convert in ALARM_SETTINGS:
        if declared.prop(state_key) is not None:
            expected[state_key] = convert(declared.prop(state_key))

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call("cloudwatch", "describe_alarms", AlarmNames=[declared.name])
        live = next((a for a in answer.get("MetricAlarms", []) if a.get("AlarmName") == declared.name), None)
        if live is None:
            observed["exists"] = False
            return fail(f"alarm {declared.name} is declared ({declared.urn}) but does not exist in {ctx.region}")
        observed.update(
            exists=True,
            actions_enabled=bool(live.get("ActionsEnabled")),
            alarm_actions=sorted(live.get("AlarmActions") or []),
        )
        for state_key, api_key, convert in ALARM_SETTINGS:
            if state_key in expected:
                observed[state_key] = convert(live.get(api_key)) if live.get(api_key) is not None else None
        problems = []
        if expected["actions_enabled"] and not observed["actions_enabled"]:
            problems.append("its actions are disabled")
        missing = sorted(set(expected["alarm_actions"]) - set(observed["alarm_actions"]))
        if missing:
            problems.append(f"it no longer notifies {', '.join(missing)}")
        problems += [
            f"{key} {observed[key]!r}, declared {expected[key]!r}"
            for key, _, _ in ALARM_SETTINGS
            if key in expected and observed[key] != expected[key]
        ]
        if problems:
            return fail(f"alarm {declared.name} differs from the state: " + "; ".join(problems))
        return ok(f"{observed.get('namespace')}/{observed.get('metricName')} -> {', '.join(observed['alarm_actions'])}")

    return ctx.check(ALARM, declared.name, declared.urn, expected, body)


DELIVERY_WINDOW_DAYS = 30


def _action_failed(item: dict[str, Any]) -> bool:
    """An Action history item for an action CloudWatch could not run: its summary reads "Failed to execute
    action ..." and its HistoryData JSON carries actionState "Failed" (either is enough)."""
    try:
        data = json.loads(item.get("HistoryData") or "{}")
    except ValueError:
        data = {}
    state = data.get("actionState") if isinstance(data, dict) else None
    return str(item.get("HistorySummary", "")).startswith("Failed") or state == "Failed"


def _delivery(ctx: AuditContext, declared: Declared) -> CheckResult:
    """Alarm actions reach the topic: CloudWatch records each action it runs in the alarm's history, and one it
    could not run (e.g. the topic's KMS key refused CloudWatch) as "Failed to execute action". Reading history
    is read-only; the runbook's test notification (aws cloudwatch set-alarm-state) gives a new stack an entry."""
    topic = declared.name
    alarms = sorted(a.name for a in ctx.expected.alarms if topic in [str(x) for x in a.prop("alarmActions") or []])
    expected = {"failed_actions": [], "alarms": alarms}

    def body(observed: dict[str, Any]) -> Verdict:
        since = datetime.now(UTC) - timedelta(days=DELIVERY_WINDOW_DAYS)
        failed, delivered = [], []
        for alarm in alarms:
            answer = ctx.call(
                "cloudwatch", "describe_alarm_history", AlarmName=alarm, HistoryItemType="Action", StartDate=since
            )
            for item in answer.get("AlarmHistoryItems", []):
                summary = str(item.get("HistorySummary", ""))
                (failed if _action_failed(item) else delivered).append(f"{alarm}: {summary}")
        observed.update(failed_actions=failed, delivered=len(delivered))
        if failed:
            return fail(
                f"alarm actions to {topic} failed: {failed[0]}" + (f" (+{len(failed) - 1})" if failed[1:] else "")
            )
        if not delivered:
            return unverifiable(
                f"no alarm action to {topic} in the last {DELIVERY_WINDOW_DAYS} days; send the runbook's test "
                "notification (aws cloudwatch set-alarm-state) and audit again"
            )
        return ok(f"{len(delivered)} alarm action(s) delivered to {topic} in the last {DELIVERY_WINDOW_DAYS} days")

    return ctx.check(DELIVERY, topic, declared.urn, expected, body)


def _topic(ctx: AuditContext, declared: Declared) -> CheckResult:
    key = declared.prop("kmsMasterKeyId")
    expected = {"exists": True, "kms_key": key}

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none(
            "sns", "get_topic_attributes", ("NotFound", "NotFoundException"), TopicArn=declared.name
        )
        if answer is None:
            observed["exists"] = False
            return fail(f"SNS topic {declared.name} is declared ({declared.urn}) but does not exist")
        observed.update(exists=True, kms_key=(answer.get("Attributes") or {}).get("KmsMasterKeyId") or None)
        if not key:
            return ok(f"exists; the state declares no KMS key (encrypted with {observed['kms_key'] or 'none'})")
        if not same_key(observed["kms_key"], key, ctx.expected.aliases_of(key)):
            return fail(
                f"SNS topic {declared.name} is encrypted with {observed['kms_key'] or 'no KMS key'}; declared {key}"
            )
        return ok(f"encrypted with {observed['kms_key']}")

    return ctx.check(TOPIC, declared.name, declared.urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for declared in ctx.expected.metric_filters:
        yield _metric_filter(ctx, declared)
    for declared in ctx.expected.alarms:
        yield _alarm(ctx, declared)
    for declared in ctx.expected.alarm_topics:
        yield _topic(ctx, declared)
        yield _delivery(ctx, declared)
