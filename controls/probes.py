"""Evidence facts computed from a stack state: which resources implement a control, and with what settings.

A probe answers "is it there, and how is it set?" and fills the placeholders of the implementation
statements (`{trail.name}`, `{key_rotation.period_days}`). Whether a setting is *good enough* is the
policy rules' job; each probe names the rules that judge the same resources (`PROBE_RULES`), so a row
citing a probe is downgraded when those rules fail. Probes read the same state for an offline synthesis
and for `pulumi stack export` of a real stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from controls.access_probes import ACCESS_PROBES
from controls.model import ProbeResult
from glz.state import Resource, StackState
from policies.rules.audit import ALARM_SIGNATURES

COMPONENT_PREFIX = "glz:"
DATA_TIER_EXCLUDED = {"audit", "access-logs"}


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    description: str
    fields: tuple[str, ...]
    rules: tuple[str, ...]
    compute: Callable[[StackState], tuple[bool, str, list[Resource], dict[str, str]]]


# --- helpers -------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if value is not None else {}


def physical_name(resource: Resource) -> str:
    """The name an operator sees in the AWS console, falling back to the Pulumi logical name."""
    for key in ("bucket", "name", "analyzerName", "alarmName"):
        value = resource.prop(key)
        if isinstance(value, str) and value and not (resource.type == "aws:s3/bucket:Bucket" and key != "bucket"):
            return value
    tags = resource.prop("tags") or {}
    if isinstance(tags, dict) and tags.get("Name"):
        return str(tags["Name"])
    return resource.id or resource.name


def component_of(state: StackState, resource: Resource) -> str:
    """The landing-zone component a resource belongs to, e.g. "AuditTrail audit" (nearest `glz:` parent)."""
    parent = resource.parent
    while parent:
        owner = state.by_urn.get(parent)
        if owner is None:
            break
        if owner.type.startswith(COMPONENT_PREFIX):
            return f"{owner.type.rsplit(':', 1)[-1]} {owner.name}"
        parent = owner.parent
    return "stack"


def _yes(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _list(names: Iterable[str]) -> str:
    items = sorted(dict.fromkeys(n for n in names if n))
    return ", ".join(items) if items else "none"


def _buckets(state: StackState) -> list[Resource]:
    return state.of_type("aws:s3/bucket:Bucket")


def _bucket_name(bucket: Resource) -> str:
    return str(bucket.prop("bucket") or bucket.name)


def _tier(bucket: Resource) -> str:
    return str((bucket.prop("tags") or {}).get("DataTier", ""))


def _data_buckets(state: StackState) -> list[Resource]:
    return [b for b in _buckets(state) if _tier(b) not in DATA_TIER_EXCLUDED]


def _siblings(state: StackState, typ: str) -> dict[str, Resource]:
    """Split S3 resources (encryption, versioning, ...) by the bucket name they configure."""
    return {str(r.prop("bucket")): r for r in state.of_type(typ)}


def _per_bucket(
    state: StackState, typ: str, ok: Callable[[Resource], bool], buckets: list[Resource] | None = None
) -> tuple[bool, list[Resource], list[str]]:
    buckets = _buckets(state) if buckets is None else buckets
    configs = _siblings(state, typ)
    good, missing = [], []
    for bucket in buckets:
        config = configs.get(_bucket_name(bucket))
        if config is not None and ok(config):
            good.append(config)
        else:
            missing.append(_bucket_name(bucket))
    return bool(buckets) and not missing, good, missing


def _coverage(what: str, good: list[Resource], missing: list[str], total: int) -> str:
    if not total:
        return f"No S3 buckets in the stack, so {what} is not in place."
    if missing:
        return f"{what} on {len(good)} of {total} buckets; missing on {_list(missing)}."
    return f"{what} on all {total} buckets."


# --- probes --------------------------------------------------------------------------------------


def _kms_keys(state: StackState):
    keys = state.of_type("aws:kms/key:Key")
    aliases = {str(a.prop("targetKeyId")): str(a.prop("name")) for a in state.of_type("aws:kms/alias:Alias")}
    described = []
    for key in keys:
        alias = aliases.get(str(key.id)) or aliases.get(str(key.prop("keyId"))) or key.name
        window = key.prop("deletionWindowInDays")
        described.append(
            f"{alias} ({(key.prop('tags') or {}).get('Purpose', 'general')}, deletion window {window} days)"
        )
    summary = (
        f"{len(keys)} customer-managed KMS keys: {'; '.join(described)}." if keys else "No customer-managed KMS keys."
    )
    return bool(keys), summary, keys, {"aliases": _list(aliases.values())}


def _key_rotation(state: StackState):
    keys = state.of_type("aws:kms/key:Key")
    rotating = [k for k in keys if _yes(k.prop("enableKeyRotation"))]
    periods = sorted({int(k.prop("rotationPeriodInDays") or 365) for k in rotating})
    off = [k.name for k in keys if k not in rotating]
    if not keys:
        summary = "No customer-managed KMS keys, so no key rotation."
    elif off:
        summary = f"Automatic rotation is enabled on {len(rotating)} of {len(keys)} keys; disabled on {_list(off)}."
    else:
        summary = f"Automatic rotation is enabled on all {len(keys)} keys, every {_list(map(str, periods))} days."
    return bool(keys) and not off, summary, keys, {"period_days": _list(map(str, periods))}


def _bucket_encryption(state: StackState):
    def ok(config: Resource) -> bool:
        rules = config.prop("rules") or []
        return any(
            (r.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") in ("aws:kms", "aws:kms:dsse")
            and (r.get("applyServerSideEncryptionByDefault") or {}).get("kmsMasterKeyId")
            for r in rules
        )

    total = len(_buckets(state))
    satisfied, good, missing = _per_bucket(
        state, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", ok
    )
    keys = {
        str((r.get("applyServerSideEncryptionByDefault") or {}).get("kmsMasterKeyId"))
        for c in good
        for r in (c.prop("rules") or [])
    }
    summary = _coverage(
        "SSE-KMS default encryption with a customer-managed key (bucket keys on, SSE-C blocked)", good, missing, total
    )
    return satisfied, summary, good, {"key": _list(keys)}


def _bucket_versioning(state: StackState):
    total = len(_buckets(state))
    satisfied, good, missing = _per_bucket(
        state,
        "aws:s3/bucketVersioning:BucketVersioning",
        lambda c: (c.prop("versioningConfiguration") or {}).get("status") == "Enabled",
    )
    return satisfied, _coverage("Versioning is enabled", good, missing, total), good, {}


_PAB = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _bucket_public_access_block(state: StackState):
    total = len(_buckets(state))
    satisfied, good, missing = _per_bucket(
        state,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        lambda c: all(_yes(c.prop(k)) for k in _PAB),
    )
    return satisfied, _coverage("All four S3 public access block settings are enabled", good, missing, total), good, {}


def _account_public_access_block(state: StackState):
    blocks = [
        r
        for r in state.of_type("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock")
        if all(_yes(r.prop(k)) for k in _PAB)
    ]
    summary = (
        "The account-level S3 public access block has all four settings on."
        if blocks
        else "No account-level S3 public access block in the stack."
    )
    return bool(blocks), summary, blocks, {}


def _policy_statements(resource: Resource) -> list[dict[str, Any]]:
    document = _json(resource.prop("policy"))
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _denies_condition(resource: Resource, key: str) -> bool:
    for statement in _policy_statements(resource):
        if statement.get("Effect") != "Deny":
            continue
        for body in (statement.get("Condition") or {}).values():
            if isinstance(body, dict) and any(k.lower() == key.lower() for k in body):
                return True
    return False


def _bucket_tls_only(state: StackState):
    total = len(_buckets(state))
    satisfied, good, missing = _per_bucket(
        state,
        "aws:s3/bucketPolicy:BucketPolicy",
        lambda p: _denies_condition(p, "aws:SecureTransport") and _denies_condition(p, "s3:TlsVersion"),
    )
    return (
        satisfied,
        _coverage("The bucket policy denies non-TLS requests and TLS below 1.2", good, missing, total),
        good,
        {},
    )


def _bucket_endpoint_only(state: StackState):
    data = _data_buckets(state)
    satisfied, good, missing = _per_bucket(
        state, "aws:s3/bucketPolicy:BucketPolicy", lambda p: _denies_condition(p, "aws:SourceVpce"), data
    )
    exempt: set[str] = set()
    for policy in good:
        for statement in _policy_statements(policy):
            for body in (statement.get("Condition") or {}).values():
                if isinstance(body, dict):
                    for name, value in body.items():
                        if name.lower() == "aws:principalarn":
                            exempt.update(value if isinstance(value, list) else [value])
    what = "Requests that do not arrive through the VPC's S3 gateway endpoint are denied"
    summary = _coverage(what, good, missing, len(data)).replace("buckets", "data buckets")
    return satisfied, summary, good, {"exempt": _list(exempt)}


def _bucket_access_logging(state: StackState):
    data = _data_buckets(state)
    satisfied, good, missing = _per_bucket(
        state, "aws:s3/bucketLogging:BucketLogging", lambda c: bool(c.prop("targetBucket")), data
    )
    targets = {str(c.prop("targetBucket")) for c in good}
    summary = _coverage(f"Server access logging to {_list(targets)}", good, missing, len(data)).replace(
        "buckets", "data buckets"
    )
    return satisfied, summary, good, {"target": _list(targets)}


def _bucket_ownership(state: StackState):
    total = len(_buckets(state))
    satisfied, good, missing = _per_bucket(
        state,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        lambda c: (c.prop("rule") or {}).get("objectOwnership") == "BucketOwnerEnforced",
    )
    return satisfied, _coverage("ACLs are disabled (BucketOwnerEnforced)", good, missing, total), good, {}


def _rule_text(rule: dict[str, Any]) -> str:
    parts = []
    for transition in rule.get("transitions") or []:
        parts.append(f"to {transition.get('storageClass')} after {transition.get('days')} d")
    if (rule.get("expiration") or {}).get("days"):
        parts.append(f"expire after {rule['expiration']['days']} d")
    return f"{rule.get('id')}: {', '.join(parts)}" if parts else ""


def _data_lifecycle(state: StackState):
    data = _data_buckets(state)
    satisfied, good, missing = _per_bucket(
        state,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        lambda c: any((r.get("abortIncompleteMultipartUpload") or {}) for r in (c.prop("rules") or [])),
        data,
    )
    tiering = []
    for config in good:
        texts = [t for t in (_rule_text(r) for r in config.prop("rules") or []) if t]
        if texts:
            tiering.append(f"{config.prop('bucket')} ({'; '.join(texts)})")
    summary = _coverage(
        "Lifecycle rules abort incomplete uploads and expire noncurrent versions", good, missing, len(data)
    ).replace("buckets", "data buckets")
    if tiering:
        summary += " Tiering: " + "; ".join(sorted(tiering)) + "."
    return satisfied, summary, good, {}


def _audit_log_immutability(state: StackState):
    locks = [
        r
        for r in state.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
        if ((r.prop("rule") or {}).get("defaultRetention") or {}).get("mode")
    ]
    if not locks:
        return (
            False,
            "No S3 Object Lock default retention on any bucket: audit logs are not immutable.",
            [],
            {"mode": "none", "days": "0"},
        )
    retention = (locks[0].prop("rule") or {}).get("defaultRetention") or {}
    days = retention.get("days") or (int(retention.get("years") or 0) * 365)
    summary = (
        f"Object Lock on {_list(str(r.prop('bucket')) for r in locks)}: {retention.get('mode')} mode, "
        f"default retention {days} days."
    )
    return True, summary, locks, {"mode": str(retention.get("mode")), "days": str(int(days))}


def _data_classification(state: StackState):
    from policies.framework import default_tags_of

    providers = [p for p in state.of_type("pulumi:providers:aws") if default_tags_of({**p.outputs, **p.inputs})]
    tags = default_tags_of({**providers[0].outputs, **providers[0].inputs}) if providers else {}
    value = tags.get("DataClassification")
    declared = str(state.stack_outputs().get("classification") or "")
    if not value:
        summary = "The AWS provider sets no DataClassification default tag."
    elif value not in CUI_MARKINGS:
        summary = (
            f"Every resource carries the default tag DataClassification={value} through the AWS provider, which is "
            f"not a CUI or PHI marking ({', '.join(CUI_MARKINGS)}): storage is not marked as holding CUI."
        )
    elif declared and value != declared:
        summary = f"The default tag DataClassification={value} differs from the stack's classification {declared}."
    else:
        summary = f"Every resource carries the default tag DataClassification={value} through the AWS provider."
    marked = bool(value) and value in CUI_MARKINGS and (not declared or value == declared)
    return marked, summary, providers, {"classification": str(value or "unset")}


def _fips_endpoints(state: StackState):
    """Whether the stack's own AWS provider calls FIPS endpoints (fipsEndpoints): what the state can show about
    FIPS-validated cryptography in transit. Clients that read and write the data choose their own endpoints."""
    providers = state.of_type("pulumi:providers:aws")
    fips = [p for p in providers if _yes(p.prop("useFipsEndpoint"))]
    summary = (
        "The stack's AWS provider uses the services' FIPS endpoints (fipsEndpoints), so every call that deploys "
        "or changes the landing zone goes over FIPS 140-validated TLS."
        if providers and len(fips) == len(providers)
        else "The stack's AWS provider uses the standard endpoints (fipsEndpoints is off): the calls that deploy "
        "and change the landing zone do not use FIPS 140-validated TLS endpoints."
    )
    on = bool(providers) and len(fips) == len(providers)
    return on, summary, providers, {"mode": "FIPS 140-validated endpoints" if on else "standard (non-FIPS) endpoints"}


def _eligible_services(state: StackState):
    """The AWS services the stack deploys, judged against AWS's HIPAA Eligible Services Reference as GLZ-PHI-001
    judges them: what keeps ePHI inside the services the AWS BAA covers."""
    from glz.gate import stack_view
    from policies.rules.eligibility import ELIGIBLE, Service, _in_scope

    judged = list(_in_scope(stack_view(state)))
    if not judged:
        return False, "The stack is classified public: its services are not judged against the AWS BAA.", [], {}
    services = {s.name: s for _urn, _typ, s in judged if isinstance(s, Service)}
    outside = sorted(name for name, s in services.items() if not s.allowed)
    unknown = sorted({s for _urn, _typ, s in judged if isinstance(s, str)})
    listed = sorted(name for name, s in services.items() if s.eligible)
    plane = sorted(name for name, s in services.items() if s.control_plane)
    summary = (
        f"The stack deploys {len(services)} AWS services: {', '.join(listed)} are on AWS's HIPAA Eligible Services "
        f"Reference of {ELIGIBLE.list_date}, which the AWS BAA covers"
        + (f"; {', '.join(plane)} are account control planes that hold no PHI" if plane else "")
        + "."
    )
    if outside:
        summary += f" Not covered by the AWS BAA: {', '.join(outside)}."
    if unknown:
        summary += f" Of unknown eligibility: {len(unknown)} resource types."
    # the summary names the services; listing every resource of the stack as this probe's would say nothing more
    return not outside and not unknown, summary, [], {"services": str(len(services))}


def _time_source(state: StackState):
    """Where the stack's hosts take their time from, as GLZ-NET-012 reads the VPC's DHCP option set."""
    from glz.gate import stack_view
    from policies.rules.network import DHCP_OPTIONS, time_service_problems

    problems = time_service_problems(stack_view(state))
    options = state.of_type(DHCP_OPTIONS)
    if not state.of_type("aws:ec2/vpc:Vpc"):
        return False, "No VPC in the stack.", [], {"servers": "none"}
    servers = _list(str(s) for o in options for s in (o.prop("ntpServers") or []))
    if problems:
        return False, "Time source: " + "; ".join(why for _urn, why in problems) + ".", options, {"servers": servers}
    summary = (
        f"The VPC's DHCP option set gives every host the Amazon Time Sync Service ({servers}) as its only NTP "
        "server, a service AWS runs on satellite-connected and atomic reference clocks in each Region; the records "
        "AWS services write carry its UTC time."
    )
    return True, summary, options, {"servers": servers}


def _finding_alerts(state: StackState):
    """Which findings and advisories reach people, as GLZ-LOG-013 follows sample events through the stack."""
    from glz.gate import stack_view
    from policies.rules.finding_alerts import LOG_GROUP, alert_gaps, required

    view = stack_view(state)
    gaps = alert_gaps(view)
    names = [k.name for k in required(view)]
    kinds = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    groups = [g for g in state.of_type(LOG_GROUP) if str(g.prop("name") or "").startswith("/aws/events/")]
    fields = {"kinds": kinds}
    if gaps:
        return False, "Not every finding reaches people: " + "; ".join(gaps) + ".", groups, fields
    summary = (
        f"{kinds[:1].upper()}{kinds[1:]} are recorded in log group{'s' if len(groups) > 1 else ''} {_list(physical_name(g) for g in groups)} through "
        "EventBridge rules and raise an alarm on a topic of the stack within five minutes."
    )
    return True, summary, groups, fields


def _run_path_problems(view, declared: dict, machines: list) -> list[str]:
    """Does a marker landing in a run folder start the workflow, and does the workflow write the table and notify
    the topic? Read from the rule's pattern (evaluated on sample S3 events), its target and the definition."""
    from policies.rules.event_patterns import PatternError, matches

    bucket = (view.outputs.get("dataBuckets") or {}).get(declared["intakeTier"])
    workflow = declared["workflow"]
    problems = []
    rules = {r.get("name"): r for r in view.of_type("aws:cloudwatch/eventRule:EventRule")}
    starting = {
        str(t.get("rule")) for t in view.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.get("arn") == workflow
    }
    for marker in declared["markers"]:
        event = {
            "source": "aws.s3",
            "detail-type": "Object Created",
            "detail": {"bucket": {"name": bucket}, "object": {"key": f"RUN0001/{marker}"}},
        }
        try:
            hit = [n for n, r in rules.items() if n in starting and matches(r.get("eventPattern"), event)]
        except PatternError as error:
            hit, problems = [], [*problems, f"a rule's pattern cannot be read ({error})"]
        if not hit:
            problems.append(f"no enabled rule starts the workflow when {marker} lands in {bucket}")
    for machine in machines:
        try:
            states = json.loads(str(machine.get("definition") or "{}")).get("States", {})
        except ValueError:
            states = {}
        resources = [(s.get("Resource"), s.get("Parameters") or {}) for s in states.values() if isinstance(s, dict)]
        if not any(
            r == "arn:aws:states:::dynamodb:putItem" and p.get("TableName") == declared["table"] for r, p in resources
        ):
            problems.append(f"the workflow does not record runs in table {declared['table']}")
        if not any(
            r == "arn:aws:states:::sns:publish" and p.get("TopicArn") == declared["topic"] for r, p in resources
        ):
            problems.append("the workflow does not notify the pipeline topic")
    return problems


def _stage_queue(view, machines: list, stage: str) -> str:
    """The job queue the workflow submits ``stage`` to (its Run-<stage> state), by name."""
    import json

    for machine in machines:
        try:
            task = json.loads(str(machine.get("definition")))["States"].get(f"Run-{stage}") or {}
        except (ValueError, AttributeError):
            continue
        arn = str((task.get("Parameters") or {}).get("JobQueue") or "")
        for queue in view.of_type("aws:batch/jobQueue:JobQueue"):
            if arn in (queue.get("arn"), queue.get("name")):
                return f"queue {queue.get('name')}"
    return "an unknown queue"


def _run_tracking(state: StackState):
    """What happens when a sequencing run finishes landing, as the state holds it (components/run_tracking):
    the rule and its pattern, the workflow and its logging, the runs table's protection."""
    from glz.gate import stack_view
    from policies.rules.datastores import recoverable
    from policies.rules.pipeline import workflow_history_encrypted, workflows_log, workflows_run_stack_jobs

    declared = state.stack_outputs().get("runTracking")
    if not isinstance(declared, dict):
        return False, "No run tracking: finished runs start nothing (runTracking.enabled is false).", [], {}
    view = stack_view(state)
    machines = [m for m in view.of_type("aws:sfn/stateMachine:StateMachine") if m.get("arn") == declared["workflow"]]
    tables = [t for t in view.of_type("aws:dynamodb/table:Table") if t.get("name") == declared["table"]]
    problems = [f"workflow: {p}" for m in machines for p in workflows_log.check_resource(m, view)]
    problems += [f"workflow: {p}" for m in machines for p in workflow_history_encrypted.check_resource(m, view)]
    problems += [f"runs table: {p}" for t in tables for p in recoverable.check_resource(t, view)]
    problems += [
        "runs table: not encrypted with a customer-managed key"
        for t in tables
        if not (t.get("serverSideEncryption") or {}).get("kmsKeyArn")
    ]
    if not machines or not tables:
        problems.append("the declared workflow or runs table is not in the state")
    problems += _run_path_problems(view, declared, machines)
    problems += [f"workflow: {p}" for m in machines for p in workflows_run_stack_jobs.check_resource(m, view)]
    stages = " -> ".join(f"{s} on {_stage_queue(view, machines, s)}" for s in declared["stages"])
    fields = {"stages": stages, "markers": " or ".join(declared["markers"]), "table": str(declared["table"])}
    if problems:
        return False, "Run tracking is incomplete: " + "; ".join(problems) + ".", [], fields
    summary = (
        f"A run folder in the {declared['intakeTier']} tier is complete when {fields['markers']} lands in it; an "
        f"EventBridge rule then starts workflow {physical_name(state.by_urn[machines[0].urn])}, which records the run "
        f"and each stage ({stages}, on AWS Batch) in table {declared['table']} (encrypted with a customer-managed "
        "key, point-in-time recovery, deletion protection), keeps its definition and execution history under a "
        "customer-managed key of the stack, logs failed states without their data to an encrypted log group and "
        "notifies the pipeline topic when a run fails."
    )
    resources = [state.by_urn[r.urn] for r in [*machines, *tables]]
    return True, summary, resources, fields


def _run_verification(state: StackState):
    """What stands between an uploaded run and the pipeline: the workflow's check of every object against the run's
    manifest (judged by GLZ-PIPE-005 on the definition), and how long it waits for the malware scan."""
    from glz.gate import stack_view
    from policies.rules.run_verification import runs_verified

    declared = state.stack_outputs().get("runTracking")
    fields = {"manifest": "none", "wait": "0"}
    if not isinstance(declared, dict):
        return False, "No run tracking: nothing checks an uploaded run before it is processed.", [], fields
    view = stack_view(state)
    machines = [m for m in view.of_type("aws:sfn/stateMachine:StateMachine") if m.get("arn") == declared["workflow"]]
    problems = [p for m in machines for p in runs_verified.check_resource(m, view)]
    if not machines or problems:
        why = "; ".join(problems) or "the declared workflow is not in the state"
        return False, f"Runs are not checked before the pipeline reads them: {why}.", [], fields
    flow = json.loads(str(machines[0].get("definition")))
    per_object = flow["States"]["VerifyRunObjects"]["ItemProcessor"]["States"]
    retry = (per_object["ReadChecksum"].get("Retry") or [{}])[0]
    minutes = int(retry.get("MaxAttempts", 0)) * int(retry.get("IntervalSeconds", 1)) // 60
    fields = {"manifest": str(declared.get("manifest")), "wait": str(minutes)}
    tagging = per_object["TagWithRun"]["Parameters"]["Tagging"]["TagSet"]
    scanned = any(t.get("Key") == SCAN_STATUS_TAG for t in tagging)
    bucket = str((state.stack_outputs().get("dataBuckets") or {}).get(declared["intakeTier"]))
    if scanned and bucket not in _s3_malware_protection(state)[3]["buckets"]:
        return (
            False,
            "Runs cannot pass their check: the workflow tags only objects a malware scan found clean, and nothing "
            f"scans {bucket} for malware.",
            [],
            fields,
        )
    present = (
        f"present, GuardDuty scanned it clean (the workflow waits up to {minutes} minutes)"
        if scanned
        else f"present (the workflow waits up to {minutes} minutes for it; no malware scan on this tier)"
    )
    summary = (
        f"Before any stage, workflow {physical_name(state.by_urn[machines[0].urn])} checks every file the run's "
        f"manifest ({fields['manifest']} in the run folder) lists: the object is {present}, and its CRC64NVME checksum "
        "is the manifest's; only then is it tagged with its run (SequencingRun). An object of the run folder the "
        "manifest does not list, or any failed check, fails the run and notifies the pipeline topic."
    )
    return True, summary, [state.by_urn[machines[0].urn]], fields


CUI_MARKINGS = ("controlled", "phi")
"""The classification values that mark CUI (controlled) or PHI, which is CUI too (components/settings.py)."""


def _private_network(state: StackState):
    vpcs = state.of_type("aws:ec2/vpc:Vpc")
    subnets = state.of_type("aws:ec2/subnet:Subnet")
    igws = state.of_type("aws:ec2/internetGateway:InternetGateway")
    nats = state.of_type("aws:ec2/natGateway:NatGateway")
    public = [s.name for s in subnets if _yes(s.prop("mapPublicIpOnLaunch"))]
    egress = str(state.stack_outputs().get("egress") or ("nat-gateway" if nats else "none"))
    cidrs = _list(str(v.prop("cidrBlock")) for v in vpcs)
    if not vpcs:
        return False, "No VPC in the stack.", [], {"cidr": "none", "egress": egress}
    from glz.gate import stack_view
    from policies.rules.network import reachability, to_declared_lab

    # What each subnet reaches, judged by its routes as GLZ-NET-008/009 judge them.
    view = stack_view(state)
    reaches = reachability(view)
    lab = [r for r in reaches if to_declared_lab(view, r)]
    unchosen = [r for r in reaches if not r.allowed and r not in lab]
    chosen = [r for r in reaches if r.allowed]
    if unchosen:
        paths = "; ".join(r.describe() for r in unchosen[:3]) + (
            f"; {len(unchosen) - 3} more" if len(unchosen) > 3 else ""
        )
        reach = f"routes the settings do not choose: {paths}"
    elif chosen:
        reach = (
            f"{len({r.subnet.urn for r in chosen})} subnets reach the internet only through the stack's NAT gateways"
        )
    else:
        reach = "no subnet has a route to the internet or to another network"
    if lab and not unchosen:
        reach += (
            f"; {len({r.subnet.urn for r in lab})} subnets route only the declared lab networks "
            "(onPremises.cidrs) to the stack's VPN gateway"
        )
    routed = _internet_routed_subnets(state, igws)
    private = [s for s in subnets if s.urn not in routed]
    summary = (
        f"VPC {_list(physical_name(v) for v in vpcs)} ({cidrs}) with {len(private)} private subnets"
        + (f" and {len(routed)} public subnets routed to an internet gateway (for the NAT gateways)" if routed else "")
        + f"{'' if not public else ', of which ' + _list(public) + ' assign public IPs'}; {reach}; "
        f"internet gateways: {len(igws)}, NAT gateways: {len(nats)} (egress setting: {egress})."
    )
    satisfied = not public and not unchosen and (not igws or egress != "none")
    return satisfied, summary, [*vpcs, *subnets], {"cidr": cidrs, "egress": egress}


def _internet_routed_subnets(state: StackState, igws: list[Resource]) -> set[str]:
    """URNs of the subnets whose route table sends traffic to an internet gateway: public, whatever their name."""
    gateway_ids = {str(g.id) for g in igws}
    tables = {
        str(r.prop("routeTableId"))
        for r in state.of_type("aws:ec2/route:Route")
        if str(r.prop("gatewayId")) in gateway_ids
    }
    tables |= {
        str(t.id)
        for t in state.of_type("aws:ec2/routeTable:RouteTable")
        if any(
            isinstance(route, dict) and str(route.get("gatewayId")) in gateway_ids for route in t.prop("routes") or []
        )
    }
    by_id = {str(s.id): s.urn for s in state.of_type("aws:ec2/subnet:Subnet")}
    return {
        by_id[str(a.prop("subnetId"))]
        for a in state.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if str(a.prop("routeTableId")) in tables and str(a.prop("subnetId")) in by_id
    }


def _flow_logs(state: StackState):
    logs = [f for f in state.of_type("aws:ec2/flowLog:FlowLog") if f.prop("trafficType") == "ALL"]
    groups = {str(g.prop("name")): g for g in state.of_type("aws:cloudwatch/logGroup:LogGroup")}
    retention = []
    for flow in logs:
        destination = str(flow.prop("logDestination") or "")
        group = groups.get(destination.split(":log-group:")[-1].rstrip(":*"))
        if group is not None:
            retention.append(str(group.prop("retentionInDays")))
    summary = (
        f"Flow logs capture ALL traffic of {_list(str(f.prop('vpcId')) for f in logs)} to "
        f"{_list(str(f.prop('logDestination')).split(':log-group:')[-1] for f in logs)} "
        f"(retention {_list(retention)} days)."
        if logs
        else "No VPC flow log capturing ALL traffic."
    )
    return bool(logs), summary, logs, {"retention_days": _list(retention)}


def _vpc_endpoints(state: StackState):
    endpoints = state.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    services = [
        ".".join(str(e.prop("serviceName")).split(".")[3:]) for e in endpoints
    ]  # com.amazonaws.<region>.<service>
    gateways = [s for e, s in zip(endpoints, services, strict=True) if e.prop("vpcEndpointType") == "Gateway"]
    interfaces = [s for e, s in zip(endpoints, services, strict=True) if e.prop("vpcEndpointType") != "Gateway"]
    summary = (
        f"{len(gateways)} gateway endpoints ({_list(gateways)}) with scoped endpoint policies and "
        f"{len(interfaces)} interface endpoints with private DNS ({_list(interfaces)})."
        if endpoints
        else "No VPC endpoints: AWS APIs would be reached over the internet."
    )
    has_s3 = "s3" in gateways
    return has_s3, summary, endpoints, {"services": _list(services)}


def _default_sg_closed(state: StackState):
    groups = [
        g
        for g in state.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
        if not g.prop("ingress") and not g.prop("egress")
    ]
    summary = (
        "The VPC's default security group is managed and has no ingress or egress rules."
        if groups
        else "The VPC's default security group is not managed, so its default rules remain."
    )
    return bool(groups), summary, groups, {}


def _endpoint_security_group(state: StackState):
    endpoint_sgs = {
        sg for e in state.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") for sg in e.prop("securityGroupIds") or []
    }
    rules = [
        r
        for r in state.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if str(r.prop("securityGroupId")) in endpoint_sgs
    ]
    groups = [g for g in state.of_type("aws:ec2/securityGroup:SecurityGroup") if g.id in endpoint_sgs]
    inline = [rule for g in groups for rule in g.prop("ingress") or []]
    ports = {(int(r.prop("fromPort") or 0), int(r.prop("toPort") or 0)) for r in rules} | {
        (int(r.get("fromPort") or 0), int(r.get("toPort") or 0)) for r in inline
    }
    only_https = bool(ports) and ports == {(443, 443)}
    summary = (
        f"Interface endpoints accept only HTTPS (443) from inside the VPC through {_list(physical_name(g) for g in groups)}."
        if only_https
        else f"Interface endpoint security groups allow ports {sorted(ports) or 'none'}."
    )
    return only_https, summary, [*groups, *rules], {}


def _trails(state: StackState) -> list[Resource]:
    return state.of_type("aws:cloudtrail/trail:Trail")


def _trail(state: StackState):
    from glz.gate import stack_view
    from policies.rules.audit import management_problem, trail_log_group, trail_logging, trail_problems

    trails = _trails(state)
    if not trails:
        return (
            False,
            "No CloudTrail trail in the stack.",
            [],
            {"name": "none", "multi_region": "no", "validation": "no", "kms_key": "none"},
        )
    stack = stack_view(state)
    views = [stack.by_urn[t.urn] for t in trails]
    view = next((v for v in views if not trail_problems(v)), views[0])
    trail = state.by_urn[view.urn]
    multi = _yes(trail.prop("isMultiRegionTrail"))
    validation = _yes(trail.prop("enableLogFileValidation"))
    logging = trail_logging(view)
    management = management_problem(view)
    key = str(trail.prop("kmsKeyId") or "none")
    name = physical_name(trail)
    group = trail_log_group(stack, view)
    caveat = "NOT LOGGING" if not logging else management
    summary = (
        f"CloudTrail trail {name}: logging {'on' if logging else 'OFF'}, "
        f"{'every management event (reads and writes)' if not management else management.upper()}, "
        f"multi-region {'yes' if multi else 'NO'}, log file validation {'yes' if validation else 'NO'}, encrypted "
        f"with {key}, delivered to {trail.prop('s3BucketName')} and CloudWatch Logs "
        f"{physical_name(state.by_urn[group.urn]) if group is not None else 'NONE'}."
    )
    fields = {
        "name": f"{name} ({caveat})" if caveat else name,
        "multi_region": "yes" if multi else "no",
        "validation": "yes" if validation else "no",
        "kms_key": key,
    }
    return multi and validation and logging and not management and key != "none", summary, trails, fields


def _trail_data_events(state: StackState):
    from glz.gate import stack_view
    from policies.rules.audit import BOTH, recorded_object_events

    stack = stack_view(state)
    trails = _trails(state)
    data = [_bucket_name(b) for b in _data_buckets(state)]
    sides = {_bucket_name(b): recorded_object_events(stack, stack.by_urn[b.urn]) for b in _data_buckets(state)}
    covered = [b for b in data if sides[b] == BOTH]
    partial = [f"{b} ({next(iter(sides[b]))}s only)" for b in data if sides[b] and sides[b] != BOTH]
    missing = [b for b in data if not sides[b]]
    if not trails:
        summary = "No CloudTrail trail, so no S3 data events are recorded."
    elif partial or missing:
        summary = (
            f"S3 object-level data events (reads and writes) are recorded for {_list(covered)}; "
            f"partly for {_list(partial)}; not for {_list(missing)}."
        )
    else:
        summary = f"S3 object-level data events (reads and writes) are recorded for all {len(data)} data buckets."
    done = bool(trails) and bool(data) and len(covered) == len(data)
    return done, summary, trails, {"buckets": _list(covered)}


def _trail_insights(state: StackState):
    from glz.gate import stack_view
    from policies.rules.audit import INSIGHT_TYPES, insight_types, insights_problem

    stack = stack_view(state)
    views = [stack.by_urn[t.urn] for t in _trails(state)]
    if not views:
        return (
            False,
            "No CloudTrail trail, so nothing analyzes management activity for unusual rates.",
            [],
            {"types": "none"},
        )
    view = next((v for v in views if insights_problem(v) is None), views[0])
    trail = state.by_urn[view.urn]
    problem = insights_problem(view)
    types = sorted(insight_types(view) & set(INSIGHT_TYPES))
    alarmed = any(
        "AWS Insight via CloudTrail" in str(rule.prop("eventPattern") or "")
        for rule in state.of_type("aws:cloudwatch/eventRule:EventRule")
    )
    if problem is None:
        summary = (
            f"CloudTrail Insights on trail {physical_name(trail)} compares the rate of management API calls and of "
            "API errors with the account's baseline and records unusual activity as Insights events"
            + (", whose start raises the security alarm." if alarmed else " (no alarm routes them).")
        )
    else:
        summary = (
            f"CloudTrail Insights: trail {physical_name(trail)} {problem}, so unusual API activity is not flagged."
        )
    return problem is None, summary, [trail], {"types": _list(types) if types else "none"}


def _log_encryption(state: StackState):
    groups = state.of_type("aws:cloudwatch/logGroup:LogGroup")
    encrypted = [g for g in groups if g.prop("kmsKeyId")]
    retention = sorted({int(g.prop("retentionInDays") or 0) for g in groups})
    summary = (
        f"{len(encrypted)} of {len(groups)} CloudWatch log groups ({_list(physical_name(g) for g in groups)}) are "
        f"encrypted with a customer-managed key; retention {_list(map(str, retention))} days."
        if groups
        else "No CloudWatch log groups in the stack."
    )
    ok = bool(groups) and len(encrypted) == len(groups) and 0 not in retention
    return ok, summary, groups, {"retention_days": _list(map(str, retention))}


def _security_alarms(state: StackState):
    from glz.gate import stack_view
    from policies.rules.audit import monitoring

    watch = monitoring(stack_view(state))
    alarms = [state.by_urn[a.urn] for a in watch.alarms]
    filters = [state.by_urn[f.urn] for f in watch.filters]
    topics = [state.by_urn[t.urn] for t in watch.topics]
    groups = [state.by_urn[g.urn] for g in watch.groups]
    encrypted = [t for t in topics if t.prop("kmsMasterKeyId")]
    if alarms:
        summary = (
            f"{len(alarms)} alarms on CloudWatch metric filters of the trail's log group "
            f"{_list(physical_name(g) for g in groups)} cover the {len(watch.covered)} CIS AWS Foundations monitoring "
            "events and notify the "
            f"{'KMS-encrypted ' if encrypted and len(encrypted) == len(topics) else ''}SNS topic "
            f"{_list(physical_name(t) for t in topics)}."
        )
        missing = [event for event in ALARM_SIGNATURES if event not in watch.covered]
        if missing:
            summary += f" Nothing alerts on {_list(missing)}."
    elif not groups:
        summary = "No CloudWatch security alarms: no logging trail delivers its management events to CloudWatch Logs."
    else:
        summary = "No CloudWatch security alarm goes off on a CIS monitoring event and notifies a topic."
    return (
        bool(alarms) and bool(encrypted) and len(watch.covered) == len(ALARM_SIGNATURES),
        summary,
        [*filters, *alarms, *topics],
        {
            "topic": _list(physical_name(t) for t in topics),
            "watches": _list(watch.covered) if watch.covered else "nothing",
        },
    )


def _config_recorder(state: StackState):
    from glz.gate import stack_view
    from policies.rules.account import (
        DELIVERY_CHANNEL,
        RECORDER,
        channels_to_audit_bucket,
        recorder_running,
        recorder_statuses,
        recording_problems,
    )

    stack = stack_view(state)
    every = stack.of_type(RECORDER)
    full = [r for r in every if not recording_problems(r)]
    running = [r for r in full if recorder_running(stack, r) is None]
    statuses = [s for r in running for s in recorder_statuses(stack, r)]
    channels = channels_to_audit_bucket(stack)
    others = [c for c in stack.of_type(DELIVERY_CHANNEL) if c not in channels]
    recorders = [state.by_urn[r.urn] for r in full]
    if recorders:
        summary = (
            f"AWS Config recorder {_list(physical_name(r) for r in recorders)} records all supported resource types "
            f"(global types included) continuously, {'running' if running else 'NOT running'}, delivering to "
            f"{_list(str(c.get('s3BucketName')) for c in channels) if channels else 'NO audit bucket'}"
            f"{' (also to ' + _list(str(c.get('s3BucketName')) for c in others) + ')' if others and channels else ''}."
        )
    elif every:
        problems = [f"{physical_name(state.by_urn[r.urn])} {p}" for r in every for p in recording_problems(r)]
        summary = f"The AWS Config recorder does not record everything: {'; '.join(problems)}."
    else:
        summary = "No AWS Config recorder for all resource types."
    resources = [*recorders, *(state.by_urn[s.urn] for s in statuses), *(state.by_urn[c.urn] for c in channels)]
    return bool(running and channels), summary, resources, {}


def _conformance_pack(state: StackState):
    packs = state.of_type("aws:cfg/conformancePack:ConformancePack")
    count = 0
    for pack in packs:
        count += str(pack.prop("templateBody") or "").count("AWS::Config::ConfigRule")
    summary = (
        f"AWS Config conformance pack {_list(physical_name(p) for p in packs)} evaluates {count} managed rules "
        "continuously."
        if packs
        else "No AWS Config conformance pack."
    )
    return bool(packs) and count > 0, summary, packs, {"rule_count": str(count)}


def _guardduty(state: StackState):
    from glz.gate import stack_view
    from policies.rules.account import (
        DETECTOR,
        DETECTOR_FEATURE,
        detector_features,
        guardduty_problems,
        legacy_datasources_off,
        publishing_frequency,
    )
    from policies.rules.audit import is_false, refers_to

    stack = stack_view(state)
    detectors = [d for d in stack.of_type(DETECTOR) if not is_false(d.get("enable"))]
    on = sorted(
        {
            name
            for d in detectors
            for name, status in detector_features(stack, d).items()
            if status == "ENABLED" and name not in legacy_datasources_off(d)
        }
    )
    features = [
        f
        for f in stack.of_type(DETECTOR_FEATURE)
        if f.get("name") in on and any(refers_to(f, "detectorId", d, "id") for d in detectors)
    ]
    every = {"FIFTEEN_MINUTES": "15 minutes", "ONE_HOUR": "hour", "SIX_HOURS": "6 hours"}
    frequency = _list(every.get(publishing_frequency(d), publishing_frequency(d)) for d in detectors)
    names = f"{', '.join(on) or 'no protection features'}; findings every {frequency}" if detectors else "none"
    if detectors:
        summary = (
            f"GuardDuty detector enabled with {', '.join(on) or 'no protection features'}, findings every {frequency}."
        )
    elif stack.of_type(DETECTOR):
        summary = "GuardDuty detector is SUSPENDED (enable false)."
    else:
        summary = "GuardDuty is not enabled by the stack."
    satisfied = bool(detectors) and not any(guardduty_problems(stack, d) for d in detectors)
    resources = [state.by_urn[r.urn] for r in [*detectors, *features]]
    return satisfied, summary, resources, {"features": names}


def _security_hub(state: StackState):
    from glz.gate import stack_view
    from policies.rules.account import HUB, disabled_controls, hub_subscriptions, missing_standards
    from policies.rules.audit import is_false

    stack = stack_view(state)
    hubs = stack.of_type(HUB)
    subscriptions, others, disabled, missing, manual = [], [], [], [], False
    for hub in hubs:
        mine, not_counted = hub_subscriptions(stack, hub)
        subscriptions += mine
        others += not_counted
        disabled += [what for _, what in disabled_controls(stack, mine)]
        missing += missing_standards(mine)
        manual = manual or is_false(hub.get("autoEnableControls"))
    names = _list(str(s.get("standardsArn")).split("standards/")[-1] for s in subscriptions)
    if disabled:
        names += f" (controls disabled: {_list(disabled)})"
    if not hubs:
        summary = "Security Hub is not enabled by the stack."
    else:
        summary = f"Security Hub is enabled with the standards {names}."
        if others:
            summary += f" Not counted: {'; '.join(others)}."
        if manual:
            summary += " New controls are NOT enabled automatically."
    satisfied = bool(hubs) and bool(subscriptions) and not (missing or disabled or manual)
    resources = [state.by_urn[r.urn] for r in [*hubs, *subscriptions]]
    return satisfied, summary, resources, {"standards": names}


def _access_analyzer(state: StackState):
    from glz.gate import stack_view
    from policies.rules.account import ANALYZER, analyzer_type, reports_external_access

    every = stack_view(state).of_type(ANALYZER)
    external = [a for a in every if reports_external_access(a)]
    analyzers = [state.by_urn[a.urn] for a in external]
    if analyzers:
        summary = (
            f"IAM Access Analyzer {_list(physical_name(a) for a in analyzers)} "
            f"({_list(analyzer_type(a) for a in external)}) reports external access to keys, buckets and roles."
        )
    elif every:
        summary = (
            f"IAM Access Analyzer {_list(physical_name(state.by_urn[a.urn]) for a in every)} "
            f"({_list(analyzer_type(a) for a in every)}) does not report external access."
        )
    else:
        summary = "No IAM Access Analyzer."
    return bool(analyzers), summary, analyzers, {}


def _unused_access(state: StackState):
    from glz.gate import stack_view
    from policies.rules.account import (
        ANALYZER,
        MAX_UNUSED_ACCESS_DAYS,
        UNUSED_ACCESS_TYPES,
        analyzer_type,
        unused_access_age,
        unused_access_exclusions,
    )

    stack = stack_view(state)
    found = [a for a in stack.of_type(ANALYZER) if analyzer_type(a) in UNUSED_ACCESS_TYPES]
    if not found:
        return False, "No IAM Access Analyzer reports unused roles, users or access keys.", [], {"days": "none"}
    ages = [unused_access_age(a) for a in found]
    days = min((a for a in ages if a is not None), default=None)
    hidden = [h for a in found for h in unused_access_exclusions(stack, a)]
    names = _list(physical_name(state.by_urn[a.urn]) for a in found)
    summary = (
        f"IAM Access Analyzer {names} reports every role, user, access key and password of the account unused for "
        f"{days if days is not None else 'an unset number of'} days."
    )
    if hidden:
        summary += f" It excludes {'; '.join(hidden)}."
    satisfied = days is not None and days <= MAX_UNUSED_ACCESS_DAYS and not hidden
    return satisfied, summary, [state.by_urn[a.urn] for a in found], {"days": str(days) if days else "unset"}


def _lab_path(state: StackState):
    """The lab's private path as the state holds it (components/onprem), judged by GLZ-NET-013 and the routes and
    security groups GLZ-NET-009/011 judge against the declared lab networks."""
    from glz.gate import stack_view
    from policies.rules.lab_path import VPN_CONNECTION, tunnel_problems
    from policies.rules.network import no_other_networks, traffic_inside

    declared = state.stack_outputs().get("onPremises")
    if not isinstance(declared, dict):
        return (
            False,
            "No private path from the lab: instruments upload over the internet, TLS only (onPremises is not set).",
            [],
            {"cidrs": "none"},
        )
    view = stack_view(state)
    connections = view.of_type(VPN_CONNECTION)
    problems = [f"VPN {c.name}: {p}" for c in connections for p in tunnel_problems(c, view)]
    problems += [v.message for v in no_other_networks.check_stack(view)]
    problems += [v.message for v in traffic_inside.check_stack(view) if "admits" in v.message]
    cidrs = ", ".join(str(c) for c in declared.get("cidrs") or [])
    if not connections:
        problems.append("the declared VPN connection is not in the state")
    if problems:
        return False, "The lab's private path is weakened: " + "; ".join(problems) + ".", [], {"cidrs": cidrs}
    summary = (
        f"The lab ({cidrs}) reaches the landing zone over an AWS Site-to-Site VPN whose tunnels accept only IKEv2, "
        "AES, SHA-2 and Diffie-Hellman groups 14 and up and log every negotiation to an encrypted log group; the "
        "private route tables carry exactly those networks to it, and no security group admits more of them."
    )
    return True, summary, [state.by_urn[c.urn] for c in connections], {"cidrs": cidrs}


def _instrument_intake(state: StackState):
    """Instruments' certificate-based uploads as the state holds them (components/intake): the anchor and its CRL,
    the profile's session length, each instrument's role, judged by GLZ-IAM-018."""
    from glz.gate import stack_view
    from policies.rules.instruments import PROFILE, TRUST_ANCHOR, crls, instrument_certificates

    declared = state.stack_outputs().get("intake")
    if not isinstance(declared, dict):
        return (
            False,
            "No instrument identities: instruments upload only through roles of people or collaborators "
            "(intake.instruments is empty).",
            [],
            {"instruments": "none", "session": "none"},
        )
    view = stack_view(state)
    problems = [v.message for v in instrument_certificates.check_stack(view)]
    instruments = declared.get("instruments") or {}
    names = ", ".join(
        f"{name} (CN {i.get('commonName')}, {i.get('tier')} tier under {i.get('prefix')})"
        for name, i in instruments.items()
    )
    fields = {"instruments": names or "none", "session": f"{declared.get('sessionSeconds')} seconds"}
    if problems:
        return False, "Instrument intake is weakened: " + "; ".join(problems) + ".", [], fields
    summary = (
        f"Instruments authenticate with X.509 certificates of the organization's CA through IAM Roles Anywhere "
        f"(the CA's CRL is imported, so a revoked certificate gets no credentials); each gets sessions of at most "
        f"{fields['session']} of its own role, assumable only with its certificate's CN, which may only put objects "
        f"under its prefix of a malware-scanned tier: {names}."
    )
    resources = [
        state.by_urn[r.urn] for r in [*view.of_type(TRUST_ANCHOR), *view.of_type(PROFILE), *(c for c, _ in crls(view))]
    ]
    return True, summary, resources, fields


INSPECTOR_TYPES = ("EC2", "ECR")
INSPECTOR_SCOPE = {
    "EC2": "EC2 (instances while they run)",
    "ECR": "ECR (images in the account's private registry, on push)",
    "LAMBDA": "Lambda functions",
    "LAMBDA_CODE": "Lambda function code",
    "CODE_REPOSITORY": "code repositories",
}


def _inspector(state: StackState):
    enablers = state.of_type("aws:inspector2/enabler:Enabler")
    accounts = sorted({str(a) for e in enablers for a in _json(e.prop("accountIds")) or []})
    types = {str(t) for e in enablers for t in _json(e.prop("resourceTypes")) or []}
    resource_types = ", ".join(sorted(types)) if types else "none"
    missing = [t for t in INSPECTOR_TYPES if t not in types]
    if not enablers:
        summary = (
            "Amazon Inspector is not enabled by the stack: instances and container images are not scanned for "
            "software vulnerabilities."
        )
    else:
        scope = " and ".join(INSPECTOR_SCOPE.get(t, t) for t in sorted(types)) or "nothing"
        summary = (
            f"Amazon Inspector scans {scope} of account {_list(accounts)} for known software vulnerabilities "
            "(CVEs) and rescans when new CVEs are published"
            + (f"; {', '.join(missing)} not covered." if missing else ".")
        )
    fields = {"resource_types": resource_types, "accounts": _list(accounts)}
    return bool(enablers) and not missing, summary, enablers, fields


MALWARE_PLAN = "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"
INTAKE_TAG, INTAKE_TAG_VALUE = "MalwareScan", "on-upload"
DEFAULT_INTAKE_TIERS = ("bcl", "fastq", "reference")
SCAN_STATUS_TAG = "GuardDutyMalwareScanStatus"


def _intake_buckets(state: StackState) -> list[Resource]:
    """Buckets tagged MalwareScan=on-upload (the default intake tiers when no bucket carries the tag),
    the same choice as policy rule GLZ-ACC-010."""
    data = _data_buckets(state)
    tags = [(b.prop("tags") or {}) for b in data]
    if any(INTAKE_TAG in t for t in tags):
        return [b for b, t in zip(data, tags, strict=True) if t.get(INTAKE_TAG) == INTAKE_TAG_VALUE]
    return [b for b in data if _tier(b) in DEFAULT_INTAKE_TIERS]


def _plan_tagging(plan: Resource) -> str:
    for action in _json(plan.prop("actions")) or []:
        for tagging in (action or {}).get("taggings") or (action or {}).get("tagging") or []:
            if tagging.get("status"):
                return str(tagging["status"])
    return "DISABLED"


def _s3_malware_protection(state: StackState):
    intake = _intake_buckets(state)
    plans = {
        str(((p.prop("protectedResource") or {}).get("s3Bucket") or {}).get("bucketName")): p
        for p in state.of_type(MALWARE_PLAN)
    }
    roles = {str(r.prop("arn") or r.outputs.get("arn")): r for r in state.of_type("aws:iam/role:Role")}
    policies = _siblings(state, "aws:s3/bucketPolicy:BucketPolicy")
    scanned, unscanned, used_plans, used_roles, tiers = [], [], [], [], []
    for bucket in intake:
        name = _bucket_name(bucket)
        plan = plans.get(name)
        prefixes = (
            ((plan.prop("protectedResource") or {}).get("s3Bucket") or {}).get("objectPrefixes") if plan else None
        )
        if plan is None or _plan_tagging(plan) != "ENABLED" or not plan.prop("role") or prefixes:
            unscanned.append(name)
            continue
        scanned.append(name)
        tiers.append(_tier(bucket))
        used_plans.append(plan)
        if str(plan.prop("role")) in roles:
            used_roles.append(roles[str(plan.prop("role"))])
    guarded = [
        n
        for n in scanned
        if n in policies and _denies_condition(policies[n], f"s3:ExistingObjectTag/{SCAN_STATUS_TAG}")
    ]
    findings = bool(state.of_type("aws:guardduty/detector:Detector"))
    if not intake:
        summary = "No data bucket is marked as receiving external files, so no upload is scanned for malware."
    elif not scanned:
        summary = (
            f"Files entering the landing zone ({_list(_bucket_name(b) for b in intake)}) are not scanned for "
            "malware by the stack."
        )
    else:
        summary = (
            f"GuardDuty Malware Protection for S3 scans every object and object version uploaded to the buckets "
            f"where external files enter ({_list(scanned)}) as it arrives, and tags it {SCAN_STATUS_TAG} with the "
            "result (NO_THREATS_FOUND, THREATS_FOUND, UNSUPPORTED, ACCESS_DENIED or FAILED)"
            + ("; each threat found is also a GuardDuty finding." if findings else ".")
        )
        if guarded:
            which = "these buckets" if guarded == scanned else _list(guarded)
            summary += (
                f" The policies of {which} refuse reads of objects tagged THREATS_FOUND (except by the admin role) "
                "and let only GuardDuty set or change the tag."
            )
        if unscanned:
            summary += f" Not scanned: {_list(unscanned)}."
    fields = {"buckets": _list(scanned), "tiers": _list(tiers), "unscanned": _list(unscanned)}
    return bool(intake) and not unscanned, summary, [*used_plans, *used_roles], fields


def _password_policy(state: StackState):
    policies = state.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    if not policies:
        return (
            False,
            "No IAM account password policy in the stack.",
            [],
            {"min_length": "none", "reuse": "none", "max_age": "none"},
        )
    p = policies[0]
    length, reuse, age = p.prop("minimumPasswordLength"), p.prop("passwordReusePrevention"), p.prop("maxPasswordAge")
    classes = [
        k.removeprefix("require").removesuffix("Characters").lower()
        for k in ("requireUppercaseCharacters", "requireLowercaseCharacters", "requireNumbers", "requireSymbols")
        if _yes(p.prop(k))
    ]
    summary = (
        f"IAM password policy: at least {length} characters with {', '.join(classes) or 'no character classes'}, "
        f"the last {reuse} passwords cannot be reused, maximum age {age} days."
    )
    fields = {"min_length": str(length), "reuse": str(reuse), "max_age": str(age)}
    return int(length or 0) >= 14, summary, policies, fields


def _network_acls(state: StackState):
    from glz.gate import stack_view
    from policies.rules.network import acl_problems, network_acls

    stack = stack_view(state)
    # GLZ-NET-010's verdicts: public sources only on the ephemeral ports, and only where answers come from them
    problems = acl_problems(stack) + [(v.urn, v.message) for v in network_acls.check_stack(stack)]
    acls = state.of_type("aws:ec2/networkAcl:NetworkAcl")
    defaults = state.of_type("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
    subnets = {str(s) for acl in acls for s in acl.prop("subnetIds") or []}
    if problems:
        summary = "Network ACLs: " + "; ".join(p for _, p in problems) + "."
    elif not acls:
        summary = "The VPC's default network ACL admits nothing, and no other ACL holds the subnets."
    else:
        summary = (
            f"Network ACL {_list(physical_name(a) for a in acls)} holds {len(subnets)} subnets: from outside the VPC it "
            "admits only answers on ports 1024-65535 (RDP refused first) and what the lab's networks may reach; the "
            "VPC's default network ACL admits nothing."
        )
    return not problems and bool(defaults), summary, acls + defaults, {"subnets": str(len(subnets))}


def _media_public_sharing(state: StackState):
    from glz.gate import stack_view
    from policies.rules.account import IMAGE_BPA, SNAPSHOT_BPA, media_sharing_problems

    problems = media_sharing_problems(stack_view(state))
    settings = state.of_type(SNAPSHOT_BPA) + state.of_type(IMAGE_BPA)
    states = {r.type: str(r.prop("state")) for r in settings}
    if problems:
        summary = (
            "Snapshots or machine images of the region can be made public: " + "; ".join(p for _, p in problems) + "."
        )
    else:
        summary = (
            "EBS snapshots and machine images (AMIs) of the region cannot be shared publicly: snapshot block public "
            f"access {states.get(SNAPSHOT_BPA, 'held by the organization')} (snapshots shared before count as "
            f"private too), AMI block public access {states.get(IMAGE_BPA, 'held by the organization')}."
        )
    fields = {"snapshots": states.get(SNAPSHOT_BPA, "none"), "images": states.get(IMAGE_BPA, "none")}
    return not problems, summary, settings, fields


def _security_contact(state: StackState):
    from glz.gate import stack_view
    from policies.rules.account import security_contacts

    own, _foreign = security_contacts(stack_view(state))
    if not own:
        return (
            False,
            "The stack sets no SECURITY alternate contact for the account, so AWS's security notices reach only the "
            "root user's email address.",
            [],
            {"name": "none", "email": "none"},
        )
    contacts = [state.by_urn[c.urn] for c in own]
    first = contacts[0]
    name, email = str(first.prop("name")), str(first.prop("emailAddress"))
    summary = (
        f"The account's SECURITY alternate contact is {name} ({first.prop('title')}, {email}, "
        f"{first.prop('phoneNumber')}): AWS sends its security notices about the account (abuse reports, exposed "
        "credentials) to them."
        if len(contacts) == 1
        else f"The SECURITY alternate contact is declared {len(contacts)} times; the last deployed one wins."
    )
    return len(contacts) == 1, summary, contacts, {"name": name, "email": email}


def _backups(state: StackState):
    """What AWS Backup copies out of the buckets and where it keeps the copies (components/backups), as computed
    by GLZ-BAK-001 (what the plans reach) and GLZ-BAK-002 (what guards the vault)."""
    from glz.gate import stack_view
    from policies.rules.backups import LOCK, PLAN, VAULT, covered_arns, declared_backed_up, vault_problems

    view = stack_view(state)
    declared = state.stack_outputs().get("backups")
    if not isinstance(declared, dict):
        return (
            False,
            "No backups: nothing copies the data out of its buckets (backups.enabled is false); object versions "
            "alone do not survive the deletion of a bucket or a compromised account.",
            [],
            {"vault": "none", "retention": "none", "resources": "none"},
        )
    covered = covered_arns(view)
    wanted = declared_backed_up(view)
    missing = [label for _, arn, label in wanted if arn not in covered]
    vaults = [v for v in view.of_type(VAULT) if v.get("name") == declared.get("vault")]
    problems = [p for v in vaults for p in vault_problems(view, v)]
    if not vaults:
        problems.append(f"the declared vault {declared.get('vault')} is not in the state")
    plans = view.of_type(PLAN)
    schedules = sorted(
        {
            str(r.get("schedule"))
            for p in plans
            for r in p.get("rules") or []
            if isinstance(r, dict) and r.get("schedule")
        }
    )
    locks = [lock for lock in view.of_type(LOCK) if lock.get("backupVaultName") == declared.get("vault")]
    mode = "compliance" if any(lock.get("changeableForDays") for lock in locks) else "governance"
    kept = sorted(
        {
            int((r.get("lifecycle") or {}).get("deleteAfter"))
            for p in plans
            for r in p.get("rules") or []
            if isinstance(r, dict) and (r.get("lifecycle") or {}).get("deleteAfter") is not None
        }
    )
    fields = {
        "vault": str(declared.get("vault")),
        "retention": " or ".join(f"{d} days" for d in kept) or "until deleted",
        "resources": _list(label for _, _, label in wanted),
    }
    copy = declared.get("copyVaultArn")
    summary = (
        f"AWS Backup copies {fields['resources']} on schedule {', '.join(schedules) or 'none'} (UTC) into vault "
        f"{fields['vault']}, kept {fields['retention']}"
        + (f" and copied to {copy}" if copy else " (no copy outside this region and account)")
        + f"; the vault is encrypted with a customer-managed key of the stack, under Vault Lock ({mode} mode), and "
        "its policy refuses deleting recovery points or shortening their retention to every principal but "
        "break-glass."
    )
    if missing or problems:
        why = [f"not backed up: {', '.join(missing)}"] if missing else []
        summary = "Backups are incomplete: " + "; ".join([*why, *problems]) + "."
    resources = [state.by_urn[r.urn] for r in [*vaults, *plans]]
    return not missing and not problems, summary, resources, fields


RESTORE_FAILED_EVENT = {
    "source": "aws.backup",
    "detail-type": "Restore Job State Change",
    "detail": {"status": "FAILED"},
}


def pattern_matches(pattern: Any, event: Any) -> bool:
    """Does an EventBridge event pattern match ``event``? Exact values in lists, nested objects and "$or" only
    (EventBridge User Guide, "Creating event patterns"); any other operator is taken as not matching."""
    if not isinstance(pattern, dict) or not isinstance(event, dict):
        return False
    for key, wanted in pattern.items():
        if key == "$or":
            if not any(pattern_matches(option, event) for option in wanted or []):
                return False
        elif isinstance(wanted, dict):
            if not pattern_matches(wanted, event.get(key)):
                return False
        elif not (isinstance(wanted, list) and event.get(key) in wanted):
            return False
    return True


def _restore_failures_alarmed(state: StackState) -> bool:
    """An enabled EventBridge rule of the stack matches a failed restore job (the alarm chain behind it is the
    finding_alerts probe's)."""
    for rule in state.of_type("aws:cloudwatch/eventRule:EventRule"):
        try:
            pattern = json.loads(str(rule.prop("eventPattern") or "null"))
        except ValueError:
            continue
        if rule.prop("state") in (None, "ENABLED") and pattern_matches(pattern, RESTORE_FAILED_EVENT):
            return True
    return False


def _restore_testing(state: StackState):
    """Whether the backups are ever restored: AWS Backup's restore tests of the backed-up table and file system, as
    GLZ-BAK-003 judges them, with their schedule and how long each restored copy lives."""
    from glz.gate import stack_view
    from policies.rules.backups import RESTORE_PLAN, RESTORE_SELECTION, restore_tested

    view = stack_view(state)
    plans = view.of_type(RESTORE_PLAN)
    selections = view.of_type(RESTORE_SELECTION)
    problems = [v.message for v in restore_tested.check_stack(view)]
    tested = sorted(
        {
            f"{s.get('protectedResourceType')} {', '.join(map(str, s.get('protectedResourceArns') or []))}"
            for s in selections
        }
    )
    fields = {
        "schedule": _list(str(p.get("scheduleExpression")) for p in plans),
        "resources": _list(tested),
        "hours": _list(str(s.get("validationWindowHours")) for s in selections),
    }
    if problems:
        summary = "Restore tests do not prove the backups can be restored: " + "; ".join(problems) + "."
    elif not selections:
        summary = (
            "No restore tests: the stack backs up no table or file system, and it does not restore-test S3 buckets "
            "(a test restore of a bucket would write the data into a new bucket outside the stack's guardrails)."
        )
    else:
        summary = (
            f"AWS Backup restores the latest recovery point of {fields['resources']} from the stack's vault on "
            f"schedule {fields['schedule']} (UTC) into a new copy encrypted with a customer-managed key of the stack, "
            f"keeps it {fields['hours']} hours and deletes it; "
            + (
                "an EventBridge rule of the stack records and alarms on a failed restore job."
                if _restore_failures_alarmed(state)
                else "no EventBridge rule of the stack matches a failed restore job, so a failed test is seen only in "
                "the AWS Backup console."
            )
            + " The S3 tiers are not restore-tested by the stack."
        )
    resources = [state.by_urn[r.urn] for r in [*plans, *selections]]
    return not problems and bool(selections), summary, resources, fields


def _ebs_default_encryption(state: StackState):
    enabled = [r for r in state.of_type("aws:ebs/encryptionByDefault:EncryptionByDefault") if _yes(r.prop("enabled"))]
    keys = state.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey")
    summary = (
        f"EBS encryption by default is on, with the default key {_list(str(k.prop('keyArn')) for k in keys)}."
        if enabled
        else "EBS encryption by default is not enabled by the stack."
    )
    return bool(enabled), summary, [*enabled, *keys], {}


def _roles(state: StackState, tag: str) -> list[Resource]:
    return [r for r in state.of_type("aws:iam/role:Role") if tag in (r.prop("tags") or {})]


def _trust_statements(role: Resource) -> list[dict[str, Any]]:
    document = _json(role.prop("assumeRolePolicy"))
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _has_condition(role: Resource, key: str) -> bool:
    for statement in _trust_statements(role):
        for body in (statement.get("Condition") or {}).values():
            if isinstance(body, dict) and any(k.lower() == key.lower() for k in body):
                return True
    return False


def _collaborator_roles(state: StackState):
    roles = _roles(state, "Collaborator")
    accounts = _list(str((r.prop("tags") or {}).get("CollaboratorAccount")) for r in roles)
    sessions = _list(str(r.prop("maxSessionDuration") or 3600) for r in roles)
    guarded = [
        r for r in roles if _has_condition(r, "sts:ExternalId") and _has_condition(r, "aws:MultiFactorAuthPresent")
    ]
    summary = (
        f"{len(roles)} collaborator roles ({_list(physical_name(r) for r in roles)}) trust only the partner accounts "
        f"{accounts}; {len(guarded)} require ExternalId and MFA; maximum session {sessions} seconds."
        if roles
        else "No collaborator roles: no external party has access."
    )
    # No collaborators means no external access at all: the strongest form of the control.
    return len(guarded) == len(roles), summary, roles, {"accounts": accounts, "max_session": sessions}


def _permission_boundaries(state: StackState):
    roles = _roles(state, "Collaborator")
    bounded = [r for r in roles if r.prop("permissionsBoundary")]
    summary = (
        f"{len(bounded)} of {len(roles)} collaborator roles have a permissions boundary limiting them to their tiers."
        if roles
        else "No collaborator roles, so no external party needs bounding."
    )
    return len(bounded) == len(roles), summary, bounded, {}


def _operator_roles(state: StackState):
    roles = _roles(state, "OperatorRole")
    kinds = {str((r.prop("tags") or {})["OperatorRole"]) for r in roles}
    guardrail = [
        p
        for p in state.of_type("aws:iam/rolePolicy:RolePolicy")
        if any(
            str(p.prop("role")) == physical_name(r) for r in roles if (r.prop("tags") or {})["OperatorRole"] == "admin"
        )
        and any(s.get("Effect") == "Deny" for s in _policy_statements(p))
    ]
    summary = (
        f"Operator roles {_list(physical_name(r) for r in roles)} separate administration from security audit; "
        f"{'the admin role has an explicit deny on the audit plane' if guardrail else 'the admin role has NO audit-plane deny'}."
        if roles
        else "No operator roles."
    )
    return {"admin", "security-auditor"} <= kinds and bool(guardrail), summary, [*roles, *guardrail], {}


def _mfa_required(state: StackState):
    roles = _roles(state, "Collaborator") + _roles(state, "OperatorRole")
    with_mfa = [r for r in roles if _has_condition(r, "aws:MultiFactorAuthPresent")]
    with_age = [r for r in with_mfa if _has_condition(r, "aws:MultiFactorAuthAge")]
    summary = (
        f"{len(with_mfa)} of {len(roles)} human-assumable roles require MFA in their trust policy "
        f"({len(with_age)} also bound the MFA age)."
        if roles
        else "No human-assumable roles in the stack."
    )
    return bool(roles) and len(with_mfa) == len(roles), summary, roles, {}


def _job_roles(state: StackState) -> list[Resource]:
    return [r for r in state.of_type("aws:iam/role:Role") if "-job-" in r.name]


def _least_privilege_jobs(state: StackState):
    roles = _job_roles(state)
    names = {physical_name(r) for r in roles}
    policies = [p for p in state.of_type("aws:iam/rolePolicy:RolePolicy") if str(p.prop("role")) in names]
    wildcard = [
        p.name
        for p in policies
        for s in _policy_statements(p)
        if s.get("Effect") == "Allow"
        and any(
            str(a) == "*" or str(a).endswith(":*")
            for a in (s.get("Action") if isinstance(s.get("Action"), list) else [s.get("Action")])
        )
    ]
    summary = (
        f"{len(roles)} Batch job roles ({_list(names)}) with inline policies scoped to their tiers' buckets"
        f"{'; wildcard actions in ' + _list(wildcard) if wildcard else ' and no wildcard actions'}."
        if roles
        else "No Batch job roles."
    )
    return bool(roles) and not wildcard, summary, [*roles, *policies], {}


def _launch_templates(state: StackState) -> list[Resource]:
    return state.of_type("aws:ec2/launchTemplate:LaunchTemplate")


def _compute_imdsv2(state: StackState):
    templates = _launch_templates(state)
    good = [
        t
        for t in templates
        if (t.prop("metadataOptions") or {}).get("httpTokens") == "required"
        and int((t.prop("metadataOptions") or {}).get("httpPutResponseHopLimit") or 1) == 1
    ]
    summary = (
        f"Launch template {_list(physical_name(t) for t in templates)}: IMDSv2 required on {len(good)} of "
        f"{len(templates)} (hop limit 1)."
        if templates
        else "No launch templates for compute."
    )
    return bool(templates) and len(good) == len(templates), summary, templates, {}


def _compute_encrypted_volumes(state: StackState):
    from glz.gate import stack_view
    from policies.rules.compute import snapshots_stay

    templates = _launch_templates(state)
    volumes = [m.get("ebs") or {} for t in templates for m in t.prop("blockDeviceMappings") or []]
    encrypted = [v for v in volumes if _yes(v.get("encrypted")) and v.get("kmsKeyId")]
    shared = [v.message for v in snapshots_stay.check_stack(stack_view(state))]
    summary = (
        f"{len(encrypted)} of {len(volumes)} launch-template volumes are encrypted with "
        f"{_list(str(v.get('kmsKeyId')) for v in encrypted)}"
        if volumes
        else "No launch-template volumes declared"
    ) + (
        f"; snapshots and images leave the account: {'; '.join(shared)}."
        if shared
        else "; no snapshot or image is shared with or copied for anyone outside the account."
    )
    return bool(volumes) and len(encrypted) == len(volumes) and not shared, summary, templates, {}


def _compute_isolation(state: StackState):
    from glz.gate import stack_view
    from policies.rules.compute import hardened_template, host_escapes, job_containers

    environments = state.of_type("aws:batch/computeEnvironment:ComputeEnvironment")
    group_ids = {g for e in environments for g in (e.prop("computeResources") or {}).get("securityGroupIds") or []}
    groups = [g for g in state.of_type("aws:ec2/securityGroup:SecurityGroup") if g.id in group_ids]
    ingress = [
        r
        for r in state.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if str(r.prop("securityGroupId")) in group_ids
    ] + [rule for g in groups for rule in g.prop("ingress") or []]
    summary = (
        f"{len(environments)} Batch compute environments ({_list(physical_name(e) for e in environments)}) run in "
        f"private subnets behind {_list(physical_name(g) for g in groups)} with "
        f"{'no ingress rules' if not ingress else str(len(ingress)) + ' ingress rules'}."
        if environments
        else "No Batch compute environments."
    )
    # Instances only from the hardened launch template; containers kept off their host (GLZ-CMP-010/009).
    stack = stack_view(state)
    launches = [
        f"{physical_name(e)} {m}"
        for e in environments
        for m in hardened_template.check_resource(stack.by_urn[e.urn], stack)
    ]
    escapes = [
        f"{physical_name(d)} {c.where} {escape}"
        for d in state.of_type("aws:batch/jobDefinition:JobDefinition")
        for c in job_containers(stack.by_urn[d.urn])
        for escape in host_escapes(c)
    ]
    if environments:
        summary += (
            f" Instances leave the hardened launch template: {'; '.join(launches[:3])}."
            if launches
            else " Every environment launches instances from the hardened launch template."
        )
        summary += (
            f" Job containers reach their host: {'; '.join(escapes[:3])}"
            f"{f' and {len(escapes) - 3} more' if len(escapes) > 3 else ''}."
            if escapes
            else " Job containers run unprivileged on a read-only root filesystem, with no root user, devices, "
            "added capabilities or host paths beyond the encrypted scratch volume."
        )
    satisfied = bool(environments) and bool(groups) and not ingress and not launches and not escapes
    return satisfied, summary, [*environments, *groups], {}


def _container_image_provenance(state: StackState):
    from glz.gate import stack_view
    from policies.rules.compute import image_of, image_problems, job_containers

    definitions = state.of_type("aws:batch/jobDefinition:JobDefinition")
    stack = stack_view(state)
    allowed = {str(v) for c in state.of_type("glz:compute:GenomicsCompute") for v in c.prop("allowedRegistries") or []}
    region = next((str(p.prop("region")) for p in state.of_type("pulumi:providers:aws") if p.prop("region")), None)
    images = [image_of(c) for d in definitions for c in job_containers(stack.by_urn[d.urn])]
    problems = [p for i in images for p in image_problems(i, stack.account_id, region, allowed)]
    good = [i for i in images if not image_problems(i, stack.account_id, region, allowed)]
    summary = (
        f"{len(good)} of {len(images)} job images come from the account's private ECR in its region, pinned by "
        f"digest or version tag ({_list(images)})" + (f"; {'; '.join(problems[:3])}." if problems else ".")
        if images
        else "No job definitions with container images."
    )
    return bool(images) and not problems, summary, definitions, {}


def _reference_efs(state: StackState):
    every = state.of_type("aws:efs/fileSystem:FileSystem")
    if not every:
        # EFS is optional: without it reference genomes are read from the encrypted S3 reference tier.
        return (
            True,
            "No EFS file system: reference data is read from the S3 reference tier.",
            [],
            {"transit": "There is no EFS file system to mount."},
        )
    systems = [f for f in every if _yes(f.prop("encrypted")) and f.prop("kmsKeyId")]
    backups = [
        b
        for b in state.of_type("aws:efs/backupPolicy:BackupPolicy")
        if (b.prop("backupPolicy") or {}).get("status") == "ENABLED"
    ]
    points = state.of_type("aws:efs/accessPoint:AccessPoint")
    from glz.gate import stack_view
    from policies.rules.compute import efs_in_transit

    transit = [v.message for v in efs_in_transit.check_stack(stack_view(state))]
    summary = (
        f"EFS {_list(physical_name(f) for f in every)}: {len(systems)} of {len(every)} encrypted with a customer "
        f"key, backups {'on' if backups else 'OFF'}, read-only access point {_list(physical_name(p) for p in points)}, "
        + (
            f"TLS or account boundary NOT enforced: {'; '.join(transit[:3])}."
            if transit
            else "the file system policy denies every access without TLS and grants no other account."
        )
    )
    satisfied = len(systems) == len(every) and bool(backups) and not transit
    in_transit = (
        f"The reference EFS does NOT enforce TLS for every mount: {'; '.join(transit[:3])}."
        if transit
        else "The reference EFS's file system policy refuses every mount without TLS."
    )
    return satisfied, summary, [*every, *backups, *points], {"transit": in_transit}


PROBES: dict[str, ProbeSpec] = {
    spec.name: spec
    for spec in (
        ProbeSpec(
            "kms_keys",
            "customer-managed KMS keys with aliases and deletion window",
            ("aliases",),
            ("GLZ-KMS-002", "GLZ-KMS-003", "GLZ-KMS-004"),
            _kms_keys,
        ),
        ProbeSpec(
            "key_rotation",
            "automatic rotation on every customer-managed key",
            ("period_days",),
            ("GLZ-KMS-001",),
            _key_rotation,
        ),
        ProbeSpec(
            "bucket_encryption",
            "SSE-KMS default encryption with a customer key on every bucket",
            ("key",),
            ("GLZ-S3-001", "GLZ-S3-006"),
            _bucket_encryption,
        ),
        ProbeSpec("bucket_versioning", "versioning on every bucket", (), ("GLZ-S3-002",), _bucket_versioning),
        ProbeSpec(
            "bucket_public_access_block",
            "all four public access block settings on every bucket",
            (),
            ("GLZ-S3-003", "GLZ-S3-007"),
            _bucket_public_access_block,
        ),
        ProbeSpec(
            "account_public_access_block",
            "account-level S3 public access block",
            (),
            ("GLZ-ACC-007",),
            _account_public_access_block,
        ),
        ProbeSpec(
            "bucket_tls_only", "bucket policies deny non-TLS and TLS < 1.2", (), ("GLZ-S3-005",), _bucket_tls_only
        ),
        ProbeSpec(
            "bucket_endpoint_only",
            "data buckets reachable only through the VPC endpoint",
            ("exempt",),
            ("GLZ-S3-012",),
            _bucket_endpoint_only,
        ),
        ProbeSpec(
            "bucket_access_logging",
            "server access logging of every data bucket",
            ("target",),
            ("GLZ-S3-008",),
            _bucket_access_logging,
        ),
        ProbeSpec("bucket_ownership_enforced", "ACLs disabled on every bucket", (), ("GLZ-S3-004",), _bucket_ownership),
        ProbeSpec(
            "data_lifecycle",
            "lifecycle tiering and housekeeping per data tier",
            (),
            ("GLZ-S3-009", "GLZ-S3-010", "GLZ-S3-011"),
            _data_lifecycle,
        ),
        ProbeSpec(
            "audit_log_immutability",
            "S3 Object Lock on the audit bucket",
            ("mode", "days"),
            ("GLZ-LOG-006",),
            _audit_log_immutability,
        ),
        ProbeSpec(
            "data_classification",
            "DataClassification default tag on every resource",
            ("classification",),
            (),
            _data_classification,
        ),
        ProbeSpec(
            "private_network",
            "private subnets only; no internet path unless egress is set",
            ("cidr", "egress"),
            ("GLZ-NET-004", "GLZ-NET-007", "GLZ-NET-008", "GLZ-NET-009", "GLZ-NET-010"),
            _private_network,
        ),
        ProbeSpec("flow_logs", "VPC flow logs of ALL traffic", ("retention_days",), ("GLZ-NET-001",), _flow_logs),
        ProbeSpec(
            "vpc_endpoints",
            "gateway and interface VPC endpoints",
            ("services",),
            ("GLZ-NET-005", "GLZ-NET-006"),
            _vpc_endpoints,
        ),
        ProbeSpec(
            "default_sg_closed", "the default security group has no rules", (), ("GLZ-NET-002",), _default_sg_closed
        ),
        ProbeSpec(
            "endpoint_security_group",
            "interface endpoints accept only HTTPS from the VPC",
            (),
            ("GLZ-NET-003",),
            _endpoint_security_group,
        ),
        ProbeSpec(
            "trail",
            "CloudTrail: logging, multi-region, validated, KMS-encrypted",
            ("name", "multi_region", "validation", "kms_key"),
            ("GLZ-LOG-001", "GLZ-LOG-002", "GLZ-LOG-003"),
            _trail,
        ),
        ProbeSpec(
            "trail_data_events",
            "CloudTrail S3 data events on the data buckets",
            ("buckets",),
            ("GLZ-LOG-004",),
            _trail_data_events,
        ),
        ProbeSpec(
            "network_acls",
            "network ACLs: default ACL closed, no SSH or RDP from the internet",
            ("subnets",),
            ("GLZ-NET-015", "GLZ-NET-010"),
            _network_acls,
        ),
        ProbeSpec(
            "media_public_sharing",
            "EBS snapshot and AMI block public access",
            ("snapshots", "images"),
            ("GLZ-ACC-015",),
            _media_public_sharing,
        ),
        ProbeSpec(
            "security_contact",
            "the account's SECURITY alternate contact",
            ("name", "email"),
            ("GLZ-ACC-014",),
            _security_contact,
        ),
        ProbeSpec(
            "trail_insights",
            "CloudTrail Insights on API call and error rates",
            ("types",),
            ("GLZ-LOG-014",),
            _trail_insights,
        ),
        ProbeSpec(
            "log_encryption",
            "CloudWatch log groups encrypted and retained",
            ("retention_days",),
            ("GLZ-LOG-005",),
            _log_encryption,
        ),
        ProbeSpec(
            "security_alarms",
            "CIS metric filters and alarms to an encrypted SNS topic",
            ("topic", "watches"),
            ("GLZ-LOG-007", "GLZ-LOG-008"),
            _security_alarms,
        ),
        ProbeSpec("config_recorder", "AWS Config recording all resource types", (), ("GLZ-ACC-002",), _config_recorder),
        ProbeSpec(
            "conformance_pack",
            "AWS Config conformance pack of the mapped managed rules",
            ("rule_count",),
            (),
            _conformance_pack,
        ),
        ProbeSpec("guardduty", "GuardDuty with S3 and malware protection", ("features",), ("GLZ-ACC-003",), _guardduty),
        ProbeSpec("security_hub", "Security Hub with standards", ("standards",), ("GLZ-ACC-004",), _security_hub),
        ProbeSpec("access_analyzer", "IAM Access Analyzer", (), ("GLZ-ACC-005",), _access_analyzer),
        ProbeSpec(
            "lab_path",
            "the lab's private path: a strong, logged Site-to-Site VPN carrying only the declared networks",
            ("cidrs",),
            ("GLZ-NET-013",),
            _lab_path,
        ),
        ProbeSpec(
            "instrument_intake",
            "instrument uploads with certificates (IAM Roles Anywhere), revocable and put-only",
            ("instruments", "session"),
            ("GLZ-IAM-018",),
            _instrument_intake,
        ),
        ProbeSpec(
            "unused_access",
            "IAM Access Analyzer findings for unused roles, users and keys",
            ("days",),
            ("GLZ-ACC-013",),
            _unused_access,
        ),
        ProbeSpec(
            "inspector",
            "Amazon Inspector vulnerability scanning of EC2 and ECR",
            ("resource_types", "accounts"),
            ("GLZ-ACC-009",),
            _inspector,
        ),
        ProbeSpec(
            "s3_malware_protection",
            "GuardDuty Malware Protection for S3 on the buckets where external files enter",
            ("buckets", "tiers", "unscanned"),
            ("GLZ-ACC-010", "GLZ-ACC-011"),
            _s3_malware_protection,
        ),
        ProbeSpec(
            "password_policy",
            "IAM account password policy",
            ("min_length", "reuse", "max_age"),
            ("GLZ-ACC-001",),
            _password_policy,
        ),
        ProbeSpec("ebs_default_encryption", "EBS encryption by default", (), ("GLZ-ACC-006",), _ebs_default_encryption),
        ProbeSpec(
            "collaborator_roles",
            "collaborator roles trusting only the partner, with ExternalId and MFA",
            ("accounts", "max_session"),
            ("GLZ-IAM-001", "GLZ-IAM-002", "GLZ-IAM-004", "GLZ-IAM-008"),
            _collaborator_roles,
        ),
        ProbeSpec(
            "permission_boundaries",
            "permissions boundary on every collaborator role",
            (),
            ("GLZ-IAM-007",),
            _permission_boundaries,
        ),
        ProbeSpec(
            "operator_roles",
            "separate admin and security-auditor roles",
            (),
            ("GLZ-IAM-005", "GLZ-IAM-006"),
            _operator_roles,
        ),
        ProbeSpec("mfa_required", "MFA in every human-assumable role's trust", (), ("GLZ-IAM-003",), _mfa_required),
        ProbeSpec(
            "least_privilege_jobs",
            "Batch job roles scoped to their tiers",
            (),
            ("GLZ-IAM-005", "GLZ-IAM-006"),
            _least_privilege_jobs,
        ),
        ProbeSpec("compute_imdsv2", "IMDSv2 required on compute", (), ("GLZ-CMP-001",), _compute_imdsv2),
        ProbeSpec(
            "compute_encrypted_volumes",
            "encrypted compute volumes that stay in the account",
            (),
            ("GLZ-CMP-002", "GLZ-CMP-011"),
            _compute_encrypted_volumes,
        ),
        ProbeSpec(
            "compute_isolation",
            "compute in private subnets without ingress",
            (),
            ("GLZ-CMP-003", "GLZ-NET-003", "GLZ-CMP-009", "GLZ-CMP-010"),
            _compute_isolation,
        ),
        ProbeSpec(
            "container_image_provenance",
            "job images from the private ECR, pinned",
            (),
            ("GLZ-CMP-006", "GLZ-CMP-007"),
            _container_image_provenance,
        ),
        ProbeSpec(
            "finding_alerts",
            "high and critical findings and AWS Health events raise alarms",
            ("kinds",),
            ("GLZ-LOG-013",),
            _finding_alerts,
        ),
        ProbeSpec(
            "backups",
            "AWS Backup copies of the irreplaceable data in a locked vault of the stack's key",
            ("vault", "retention", "resources"),
            ("GLZ-BAK-001", "GLZ-BAK-002"),
            _backups,
        ),
        ProbeSpec(
            "restore_testing",
            "the backed-up table and file system restored on a schedule, into copies under the stack's key",
            ("schedule", "resources", "hours"),
            ("GLZ-BAK-003",),
            _restore_testing,
        ),
        ProbeSpec(
            "run_tracking",
            "finished runs start the pipeline, tracked in an encrypted, recoverable table",
            ("stages", "markers", "table"),
            ("GLZ-PIPE-001", "GLZ-PIPE-003", "GLZ-PIPE-004", "GLZ-DATA-002"),
            _run_tracking,
        ),
        ProbeSpec(
            "run_verification",
            "uploaded runs checked against their manifest before the pipeline reads them",
            ("manifest", "wait"),
            ("GLZ-PIPE-005",),
            _run_verification,
        ),
        ProbeSpec(
            "time_source",
            "hosts keep time by the Amazon Time Sync Service",
            ("servers",),
            ("GLZ-NET-012",),
            _time_source,
        ),
        ProbeSpec(
            "eligible_services",
            "only services the AWS BAA covers",
            ("services",),
            ("GLZ-PHI-001", "GLZ-PHI-002"),
            _eligible_services,
        ),
        ProbeSpec(
            "fips_endpoints",
            "the stack deploys through FIPS 140-validated endpoints",
            ("mode",),
            (),
            _fips_endpoints,
        ),
        ProbeSpec(
            "reference_efs",
            "encrypted, backed-up, TLS-only EFS reference data",
            ("transit",),
            ("GLZ-CMP-008", "GLZ-CMP-012"),
            _reference_efs,
        ),
    )
}

# Access probes read the access model (controls/access_probes.py) and replace the form-based ones of the same name.
PROBES.update(
    {
        name: ProbeSpec(name, what, fields, rules, compute)
        for name, (what, fields, rules, compute) in ACCESS_PROBES.items()
    }
)

COMMON_FIELDS = ("names", "count", "summary")


ORGANIZATION_HELD = {
    "config_recorder": "awsConfig",
    "guardduty": "guardDuty",
    "security_hub": "securityHub",
    "access_analyzer": "accessAnalyzer",
    "unused_access": "unusedAccessAnalyzer",
    "inspector": "inspector",
    "password_policy": "passwordPolicy",
    "ebs_default_encryption": "ebsEncryptionByDefault",
    "security_contact": "securityContact",
}
"""Probe -> the accountServices key of the singleton it reads."""


def _organization_held(state: StackState, name: str) -> str | None:
    """The accountServices key when the stack leaves this probe's service to the organization."""
    from glz.gate import stack_view
    from policies.rules.account import organization_held

    key = ORGANIZATION_HELD.get(name)
    return key if key and organization_held(stack_view(state), key) else None


def run_probe(state: StackState, name: str) -> ProbeResult:
    spec = PROBES[name]
    held = _organization_held(state, name)
    if held:
        # nothing of it is in the stack: say who holds it and what checks it, claim nothing
        summary = (
            f"Provided by the organization (accountServices.{held}: organization): the stack creates nothing "
            "for it; `glz audit` checks in the account that it is on."
        )
        satisfied, resources, fields = False, [], {field: "held by the organization" for field in spec.fields}
    else:
        satisfied, summary, resources, fields = spec.compute(state)
    unique = list({r.urn: r for r in resources}.values())
    names = tuple(dict.fromkeys(physical_name(r) for r in unique))
    by_component: dict[str, list[str]] = {}
    for resource in unique:
        owner = component_of(state, resource)
        if owner != "stack":
            by_component.setdefault(owner, []).append(physical_name(resource))
    components = tuple(by_component)
    all_fields = {"names": ", ".join(names) or "none", "count": str(len(names)), "summary": summary, **fields}
    return ProbeResult(
        name=name,
        description=spec.description,
        satisfied=satisfied,
        summary=summary,
        resources=tuple(r.urn for r in unique),
        names=names,
        components=components,
        fields=all_fields,
        component_names=tuple((c, tuple(dict.fromkeys(found))) for c, found in by_component.items()),
    )


def run_all(state: StackState) -> dict[str, ProbeResult]:
    """Every probe once; rows share the results."""
    return {name: run_probe(state, name) for name in PROBES}
