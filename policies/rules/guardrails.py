"""Guardrails an IAM administrator cannot remove from a role: the data buckets' and keys' own policies refuse
reads outside a purpose, history destruction, configuration changes and key destruction to every principal
but the named exceptions, and the alarms catch what the guardrails leave possible (break-glass, the deployer,
changes to the monitoring plane, a silent trail).

Each rule asks the access model whether the resource policy surely refuses the request, for a principal of
this account the stack does not define (what an administrator creates tomorrow), another account, an
anonymous caller, every role of the stack and every deployer, so a deny written another way (NotPrincipal,
another condition operator, a wider exemption) is judged by what it refuses, not by its form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from policies.access.actors import Actor
from policies.access.model import AccessModel, model_of
from policies.framework import Requirements, StackView, View, Violation, as_list, stack_rule, summarize
from policies.rules import audit
from policies.rules import s3_support as s3
from policies.rules.data_access import is_break_glass
from policies.rules.encryption import purpose_keys
from policies.rules.filter_patterns import matches
from policies.rules.identity import instance_roles
from policies.rules.storage import DIRECT_TLS, _unguarded

PURPOSE_READS = Requirements(
    r2=("3.1.1", "3.1.2", "3.1.5"),
    r3=("03.01.01", "03.01.02", "03.01.05"),
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"),
)
INTEGRITY = Requirements(
    r2=("3.8.9", "3.3.8"), r3=("03.08.09", "03.03.08"), hipaa=("164.312(c)(1)", "164.308(a)(7)(ii)(A)")
)
KEYS = Requirements(r2=("3.13.10", "3.3.8"), r3=("03.13.10", "03.03.08"), hipaa=("164.312(a)(2)(iv)", "164.312(c)(1)"))
WATCHED = Requirements(
    r2=("3.3.4", "3.3.5", "3.3.9", "3.1.7"),
    r3=("03.03.04", "03.03.05", "03.01.07"),
    hipaa=("164.308(a)(1)(ii)(D)", "164.312(b)"),
)

READS = ("s3:GetObject", "s3:GetObjectVersion")
CONFIGURATION = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:DeleteBucket",
)
KEY_DESTRUCTION = ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation")


def _deployers(stack: StackView) -> list[str]:
    return [str(a) for a in as_list(stack.outputs.get("deployerPrincipalArns")) if a]


def _actors(model: AccessModel, stack: StackView, resource: str, *, stack_roles: bool, deployers: bool) -> list[Actor]:
    """Probe principals (this account's unknown principal, another account, anonymous, wildcard probes), the
    operators the stack declares, optionally every stack role, and the deployers as the policies name them.
    Break-glass is never among them: it is the one exception."""
    glass = stack.outputs.get("breakGlassRoleArn")
    chosen: dict[str, Actor] = {a.name: a for a in model.probe_actors()}
    operators = {str(stack.outputs.get(k) or "") for k in ("adminRoleArn", "auditorRoleArn")} - {""}
    for principal in model.principals.values():
        if is_break_glass(stack, principal) or principal.actor.name == glass:
            continue
        if stack_roles or principal.actor.name in operators:
            chosen[principal.actor.name] = principal.actor
    if deployers:
        wanted = set(_deployers(stack))
        chosen.update({a.name: a for a in model.mentioned_in(resource) if a.name in wanted})
    return list(chosen.values())


def _buckets(stack: StackView, tiers: Iterable[str]) -> list[View]:
    wanted = set(tiers)
    return [b for b in s3.classified_buckets(stack) if s3.tier_of(b) in wanted]


@stack_rule(
    "GLZ-S3-017",
    "data-reads-only-for-their-purpose",
    "critical",
    PURPOSE_READS,
    "Keep the data buckets' DenyObjectReadsOutsidePurpose statement (components/data_guardrails): Deny "
    "s3:GetObject/GetObjectVersion to every principal except the roles that read the tier and break-glass, "
    "named by full ARN.",
)
def purpose_reads(stack: StackView) -> Iterator[Violation]:
    """No principal outside a tier's purpose reads its objects, whatever its IAM policies say: a role an
    administrator creates, another account, the administrator, the auditor, the deployer and the compute
    instance role (whose credentials a job on the host can take) are refused by the bucket's own policy."""
    model = model_of(stack)
    for bucket in _buckets(stack, s3.DATA_TIERS):
        name = s3.bucket_name(bucket)
        arn = f"arn:aws:s3:::{name}"
        # instance roles too: Batch jobs share their host's network, so whatever such a role can read a job
        # container can take (its credentials are one IMDS call away)
        actors = _actors(model, stack, arn, stack_roles=False, deployers=True) + instance_roles(stack)
        gaps = _unguarded(stack, bucket, DIRECT_TLS, [(a, f"{arn}/glz-probe-object") for a in READS], actors)
        if gaps:
            yield Violation(
                bucket.urn, f"bucket {name}: objects can be read outside their purpose by {summarize(gaps, 3, '; ')}"
            )


@stack_rule(
    "GLZ-S3-018",
    "data-history-and-configuration-guarded",
    "high",
    INTEGRITY,
    "Keep the DenyVersionDestructionButBreakGlass and DenyConfigurationChangesButDeployer statements "
    "(components/data_guardrails) on every data and access-log bucket: s3:DeleteObjectVersion for everyone but "
    "break-glass; policy, lifecycle, versioning and bucket deletion for everyone but the deployer and break-glass.",
)
def history_guarded(stack: StackView) -> Iterator[Violation]:
    """Nobody but break-glass destroys an object version of a data tier or an access log, and nobody but the
    deployer and break-glass rewrites a bucket's policy, lifecycle or versioning, or deletes it: the stack's
    own roles, the administrator and any role created later included."""
    model = model_of(stack)
    deployers = bool(_deployers(stack))
    for bucket in _buckets(stack, {*s3.DATA_TIERS, s3.LOG_TIER}):
        name = s3.bucket_name(bucket)
        arn = f"arn:aws:s3:::{name}"
        destroy = ["s3:DeleteObjectVersion"] + (["s3:DeleteObject"] if s3.tier_of(bucket) == s3.LOG_TIER else [])
        everyone = _actors(model, stack, arn, stack_roles=True, deployers=True)
        gaps = _unguarded(stack, bucket, DIRECT_TLS, [(a, f"{arn}/glz-probe-object") for a in destroy], everyone)
        if gaps:
            yield Violation(bucket.urn, f"bucket {name}: history can be destroyed by {summarize(gaps, 3, '; ')}")
        if not deployers:
            continue  # without a named deployer the configuration deny would lock `pulumi up` out
        others = _actors(model, stack, arn, stack_roles=True, deployers=False)
        gaps = _unguarded(stack, bucket, DIRECT_TLS, [(a, arn) for a in CONFIGURATION], others)
        if gaps:
            yield Violation(
                bucket.urn, f"bucket {name}: its policy or lifecycle can be rewritten by {summarize(gaps, 3, '; ')}"
            )


@stack_rule(
    "GLZ-KMS-005",
    "keys-indestructible-but-break-glass",
    "critical",
    KEYS,
    "Keep the data and log keys' DenyKeyDestructionButBreakGlass (and, with a deployer, "
    "DenyKeyPolicyChangesButDeployer) statements (components/key_policies.guardrail_statements).",
)
def keys_indestructible(stack: StackView) -> Iterator[Violation]:
    """The data and log keys' own policies refuse disabling them, their rotation or scheduling their deletion
    to everyone but break-glass, and rewriting their policy to everyone but the deployer and break-glass."""
    model = model_of(stack)
    deployers = bool(_deployers(stack))
    for purpose in ("data", "logs"):
        for key in sorted(purpose_keys(stack, purpose)):
            asks = [(a, _actors(model, stack, key, stack_roles=True, deployers=True)) for a in KEY_DESTRUCTION]
            if deployers:
                asks.append(("kms:PutKeyPolicy", _actors(model, stack, key, stack_roles=True, deployers=False)))
            gaps = sorted(
                {
                    f"{actor.label()} ({action})"
                    for action, actors in asks
                    for actor in actors
                    if not model.resource_denies(actor, action, key, {"aws:viaawsservice": "false"})
                }
            )
            if gaps:
                owner = model.key_arns.get(key) or stack.anchor
                yield Violation(
                    owner, f"{purpose} key {key} can be destroyed or re-policied by {summarize(gaps, 3, '; ')}"
                )


def _sample_events(stack: StackView) -> dict[str, list[dict]]:
    """CloudTrail records each guardrail alarm must catch (sts and the monitoring plane's services)."""
    events: dict[str, list[dict]] = {}
    glass = stack.outputs.get("breakGlassRoleArn")
    if glass:
        events["break-glass assumption"] = [
            {
                "eventSource": "sts.amazonaws.com",
                "eventName": "AssumeRole",
                "requestParameters": {"roleArn": str(glass), "roleSessionName": "incident-42"},
            }
        ]
    deployers = _deployers(stack)
    if deployers:
        events["deployer use"] = [
            {
                "eventSource": "sts.amazonaws.com",
                "eventName": "AssumeRole",
                "requestParameters": {"roleArn": arn, "roleSessionName": "pulumi"},
            }
            if ":role/" in arn
            else {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy", "userIdentity": {"arn": arn}}
            for arn in deployers
        ]
    events["monitoring-plane change"] = [
        {"eventSource": source, "eventName": name}
        for source, name in (
            ("guardduty.amazonaws.com", "DeleteDetector"),
            ("guardduty.amazonaws.com", "UpdateDetector"),
            ("securityhub.amazonaws.com", "DisableSecurityHub"),
            ("securityhub.amazonaws.com", "BatchDisableStandards"),
            ("inspector2.amazonaws.com", "Disable"),
            ("access-analyzer.amazonaws.com", "DeleteAnalyzer"),
            ("ec2.amazonaws.com", "DeleteFlowLogs"),
            ("logs.amazonaws.com", "DeleteLogGroup"),
            ("logs.amazonaws.com", "DeleteMetricFilter"),
            ("logs.amazonaws.com", "PutRetentionPolicy"),
            ("monitoring.amazonaws.com", "DeleteAlarms"),
            ("monitoring.amazonaws.com", "DisableAlarmActions"),
            ("sns.amazonaws.com", "DeleteTopic"),
            ("sns.amazonaws.com", "SetTopicAttributes"),
            ("kms.amazonaws.com", "PutKeyPolicy"),
        )
    ]
    return events


def _working_alarms(stack: StackView, seen: audit.Monitoring, samples: list[dict]) -> list[View]:
    """Alarms that go off on the first of these events and notify a topic of the stack: their metric counts
    a filter on the trail's log group whose pattern matches every sample."""
    filters = [f for f in seen.filters if all(matches(str(f.get("pattern", "")), e) for e in samples)]
    metrics = {audit.metric_of(f) for f in filters if audit.counts_events(f)}
    topics = stack.of_type(audit.TOPIC)
    return [
        a
        for a in stack.of_type(audit.METRIC_ALARM)
        if audit.metric_of(a) in metrics and audit.alarm_problem(a, topics) is None and audit.fires_problem(a) is None
    ]


@stack_rule(
    "GLZ-LOG-010",
    "guardrail-events-alarmed",
    "high",
    WATCHED,
    "Keep the AuditTrail guardrail alarms (components/audit_policies.guardrail_alarms): break-glass-assumed, "
    "deployer-used, detective-services-changes and logging-plane-changes, each a metric filter on the trail's log group and an alarm "
    "that fires on one event and notifies the security topic.",
)
def guardrail_events_alarmed(stack: StackView) -> Iterator[Violation]:
    """Every break-glass assumption, every use of a deployer and every change to the monitoring plane raises
    an alarm: judged by matching sample CloudTrail records against the filters, whatever their wording."""
    seen = audit.monitoring(stack)
    if not seen.groups:
        return  # GLZ-LOG-007 reports a trail that feeds no log group
    for what, samples in _sample_events(stack).items():
        missed = [e for e in samples if not _working_alarms(stack, seen, [e])]
        if missed:
            names = sorted({str(e.get("requestParameters", {}).get("roleArn") or e["eventName"]) for e in missed})
            yield Violation(stack.anchor, f"no alarm goes off on {what}: {summarize(names, 4)}")


@stack_rule(
    "GLZ-LOG-011",
    "trail-silence-alarmed",
    "high",
    WATCHED,
    "Keep the AuditTrail trail-silent alarm: AWS/Logs IncomingLogEvents of the trail's log group, "
    "LessThanThreshold 1 over at most a day, treatMissingData breaching, notifying the security topic.",
)
def trail_silence_alarmed(stack: StackView) -> Iterator[Violation]:
    """Event-count alarms read a stopped trail or a deleted log group as OK (no data); one alarm must read the
    trail's own silence as ALARM, so deleting the alarms' input cannot silence them."""
    seen = audit.monitoring(stack)
    if not seen.groups:
        return
    topics = stack.of_type(audit.TOPIC)
    groups = {str(g.get("name") or g.get("id")) for g in seen.groups}
    for alarm in stack.of_type(audit.METRIC_ALARM):
        dimensions = alarm.get("dimensions") or {}
        if (
            alarm.get("namespace") == "AWS/Logs"
            and alarm.get("metricName") == "IncomingLogEvents"
            and str(dimensions.get("LogGroupName")) in groups
            and str(alarm.get("treatMissingData")) == "breaching"
            and str(alarm.get("comparisonOperator")) in ("LessThanThreshold", "LessThanOrEqualToThreshold")
            and float(alarm.get("threshold") or 0)
            >= (1 if alarm.get("comparisonOperator") == "LessThanThreshold" else 0)
            and float(alarm.get("period") or 0) * float(alarm.get("evaluationPeriods") or 1) <= 86400
            and audit.alarm_problem(alarm, topics) is None
        ):
            return
    yield Violation(
        stack.anchor,
        f"no alarm reads silence of the trail's log group ({', '.join(sorted(groups))}) as ALARM: deleting the "
        "trail or its log group would leave every security alarm quietly OK",
    )


@stack_rule(
    "GLZ-LOG-012",
    "audit-records-unforgeable",
    "high",
    INTEGRITY,
    "Keep the audit bucket's DenyRecordsNotFromDeliveringServices statement (components/audit_policies): Deny "
    "s3:PutObject on the bucket's objects whenever aws:PrincipalIsAWSService is false.",
)
def audit_records_unforgeable(stack: StackView) -> Iterator[Violation]:
    """Nobody adds objects under the audit bucket's CloudTrail and Config prefixes but the delivering services:
    no role of the stack (break-glass included), no role created later, no other account."""
    model = model_of(stack)
    for bucket in _buckets(stack, {s3.AUDIT_TIER}):
        name = s3.bucket_name(bucket)
        account = stack.account_id or "111111111111"
        keys = [
            f"AWSLogs/{account}/CloudTrail/us-east-1/2026/12/04/forged.json.gz",
            f"config/AWSLogs/{account}/Config/forged",
        ]
        actors = list(
            {a.name: a for a in [*model.probe_actors(), *(p.actor for p in model.principals.values())]}.values()
        )
        requests = [("s3:PutObject", f"arn:aws:s3:::{name}/{key}") for key in keys]
        gaps = _unguarded(stack, bucket, DIRECT_TLS, requests, actors)
        if gaps:
            yield Violation(bucket.urn, f"audit bucket {name}: records can be forged by {summarize(gaps, 3, '; ')}")
