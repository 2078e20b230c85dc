"""AWS Batch: every declared compute environment is VALID and in its declared state, subnets and security
groups; the launch template version it actually uses requires IMDSv2 and encrypts every EBS volume. Every declared
job definition's latest ACTIVE revision runs the declared image, as the declared job role, unprivileged, with the
declared root filesystem, user, timeout and retry strategy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_bool, as_int, same_key
from glz.audit.context import AuditContext
from glz.audit.expected import Declared, DeclaredJobDefinition
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok
from policies.framework import as_list

ENVIRONMENT = CheckSpec(
    "batch.compute-environment",
    "Compute environment is VALID, in its declared state, subnets and security groups",
    ("compute_isolation",),
)
IMDSV2 = CheckSpec("batch.imdsv2", "Launch template requires IMDSv2 (HttpTokens required)", ("compute_imdsv2",))
IMDS_GUARD = CheckSpec(
    "batch.imds-guard",
    "Launch template's boot script lets only root reach IMDS (jobs share the host's network)",
    ("compute_imdsv2",),
)
VOLUMES = CheckSpec(
    "batch.encrypted-volumes",
    "Launch template encrypts every EBS volume with the declared key",
    ("compute_encrypted_volumes",),
)

JOB_DEFINITION = CheckSpec(
    "batch.job-definition",
    "Latest ACTIVE job definition revision has the declared image, job role, privileges, user, timeout and retries",
    ("container_image_provenance", "least_privilege_jobs"),
)


def _environments(ctx: AuditContext) -> dict[str, dict[str, Any]]:
    names = sorted(d.name for d in ctx.expected.compute_environments)
    answer = ctx.call("batch", "describe_compute_environments", computeEnvironments=names)
    return {e["computeEnvironmentName"]: e for e in answer.get("computeEnvironments", [])}


def _live_environment(ctx: AuditContext, name: str) -> dict[str, Any]:
    ctx.require("compute-environment", name, f"compute environment {name}")
    return _environments(ctx)[name]


def _template_version(ctx: AuditContext, environment: dict[str, Any]) -> dict[str, Any]:
    """The launch template data the environment really uses (its template reference, resolved)."""
    reference = (environment.get("computeResources") or {}).get("launchTemplate") or {}
    if not reference:
        return {"reference": None, "data": None}
    version = str(reference.get("version") or "$Default")
    params: dict[str, Any] = {"Versions": [version]}
    if reference.get("launchTemplateId"):
        params["LaunchTemplateId"] = reference["launchTemplateId"]
    else:
        params["LaunchTemplateName"] = reference.get("launchTemplateName")
    answer = ctx.call_or_none(
        "ec2",
        "describe_launch_template_versions",
        (
            "InvalidLaunchTemplateId.NotFound",
            "InvalidLaunchTemplateName.NotFoundException",
            "InvalidLaunchTemplateId.VersionNotFound",
        ),
        **params,
    )
    versions = (answer or {}).get("LaunchTemplateVersions", [])
    if not versions:
        return {"reference": reference, "data": None}
    return {
        "reference": reference,
        "template": f"{versions[0].get('LaunchTemplateId')} v{versions[0].get('VersionNumber')}",
        "data": versions[0].get("LaunchTemplateData") or {},
    }


def _no_template(environment: str, template: dict[str, Any]) -> Verdict:
    if template["reference"] is None:
        return fail(f"compute environment {environment} uses no launch template (instances get the AMI defaults)")
    return fail(f"compute environment {environment} uses launch template {template['reference']}, which does not exist")


def _declared_template(ctx: AuditContext, environment: Declared) -> Declared | None:
    reference = (environment.prop("computeResources") or {}).get("launchTemplate") or {}
    template_id = reference.get("launchTemplateId")
    if template_id in ctx.expected.launch_templates:
        return ctx.expected.launch_templates[template_id]
    by_name = {d.name: d for d in ctx.expected.launch_templates.values()}
    return by_name.get(reference.get("launchTemplateName"))


def _environment(ctx: AuditContext, environment: Declared) -> CheckResult:
    resources = environment.prop("computeResources") or {}
    reference = resources.get("launchTemplate") or {}
    expected = {
        "status": "VALID",
        "state": environment.prop("state", "ENABLED"),
        "subnets": sorted(as_list(resources.get("subnets"))),
        "security_groups": sorted(as_list(resources.get("securityGroupIds"))),
        "launch_template": {
            k: reference.get(k) for k in ("launchTemplateId", "launchTemplateName", "version") if reference.get(k)
        },
    }

    def body(observed: dict[str, Any]) -> Verdict:
        live = _environments(ctx).get(environment.name)
        if live is None:
            ctx.absent.add(("compute-environment", environment.name))
            observed["exists"] = False
            return fail(f"compute environment {environment.name} is declared ({environment.urn}) but does not exist")
        live_resources = live.get("computeResources") or {}
        live_reference = live_resources.get("launchTemplate") or {}
        observed.update(
            status=live.get("status"),
            state=live.get("state"),
            subnets=sorted(live_resources.get("subnets", [])),
            security_groups=sorted(live_resources.get("securityGroupIds", [])),
            launch_template={k: live_reference.get(k) for k in expected["launch_template"]},
        )
        if live.get("statusReason"):
            observed["status_reason"] = live["statusReason"]
        drift = [k for k in ("state", "subnets", "security_groups", "launch_template") if observed[k] != expected[k]]
        if drift:
            return fail(f"compute environment {environment.name} differs from the state in: {', '.join(drift)}")
        if observed["status"] != "VALID":
            return fail(
                f"compute environment {environment.name} is {observed['status']}: {live.get('statusReason', '')}",
                drift=False,
            )
        return ok(f"VALID, {observed['state']}")

    return ctx.check(ENVIRONMENT, environment.name, environment.urn, expected, body)


def _imdsv2(ctx: AuditContext, environment: Declared) -> CheckResult:
    declared = _declared_template(ctx, environment)
    options = (declared.prop("metadataOptions") if declared else None) or {}
    expected: dict[str, Any] = {"http_tokens": options.get("httpTokens", "required")}
    hop_limit = as_int(options.get("httpPutResponseHopLimit"))
    if hop_limit:
        expected["hop_limit"] = hop_limit

    def body(observed: dict[str, Any]) -> Verdict:
        template = _template_version(ctx, _live_environment(ctx, environment.name))
        observed["launch_template"] = template.get("template") or template["reference"]
        if template["data"] is None:
            return _no_template(environment.name, template)
        live = template["data"].get("MetadataOptions") or {}
        observed.update(http_tokens=live.get("HttpTokens", "optional"), hop_limit=live.get("HttpPutResponseHopLimit"))
        if observed["http_tokens"] != "required":
            return fail(
                f"launch template {observed['launch_template']} of {environment.name} allows IMDSv1 "
                f"(HttpTokens {observed['http_tokens']})"
            )
        if hop_limit and (observed["hop_limit"] or 1) > hop_limit:
            return fail(
                f"launch template {observed['launch_template']} hop limit {observed['hop_limit']} exceeds "
                f"the declared {hop_limit}"
            )
        return ok(f"{observed['launch_template']}: HttpTokens required")

    urn = declared.urn if declared else environment.urn
    return ctx.check(IMDSV2, environment.name, urn, expected, body)


def _imds_guard(ctx: AuditContext, environment: Declared) -> CheckResult:
    from policies.rules.compute import imds_guarded

    declared = _declared_template(ctx, environment)
    expected = {"guarded": True}

    def body(observed: dict[str, Any]) -> Verdict:
        template = _template_version(ctx, _live_environment(ctx, environment.name))
        observed["launch_template"] = template.get("template") or template["reference"]
        if template["data"] is None:
            return _no_template(environment.name, template)
        user_data = template["data"].get("UserData")
        observed["guarded"] = imds_guarded({"userData": user_data})
        if not observed["guarded"]:
            return fail(
                f"launch template {observed['launch_template']} of {environment.name}: the boot script no longer "
                "keeps non-root processes (jobs) from IMDS, so a job can take the instance role"
            )
        return ok(f"{observed['launch_template']}: only root reaches IMDS")

    urn = declared.urn if declared else environment.urn
    return ctx.check(IMDS_GUARD, environment.name, urn, expected, body)


def _volumes(ctx: AuditContext, environment: Declared) -> CheckResult | None:
    declared = _declared_template(ctx, environment)
    mappings = as_list(declared.prop("blockDeviceMappings")) if declared else []
    if not mappings:
        return None
    expected_devices = {m.get("deviceName"): (m.get("ebs") or {}).get("kmsKeyId") for m in mappings if m.get("ebs")}
    expected = {"encrypted": True, "devices": expected_devices}

    def body(observed: dict[str, Any]) -> Verdict:
        template = _template_version(ctx, _live_environment(ctx, environment.name))
        observed["launch_template"] = template.get("template") or template["reference"]
        if template["data"] is None:
            return _no_template(environment.name, template)
        live = {
            m.get("DeviceName"): m.get("Ebs") or {}
            for m in template["data"].get("BlockDeviceMappings", [])
            if "Ebs" in m
        }
        observed["devices"] = {
            name: {"encrypted": bool(ebs.get("Encrypted")), "kms_key": ebs.get("KmsKeyId")}
            for name, ebs in live.items()
        }
        problems = [f"{name} not encrypted" for name, ebs in observed["devices"].items() if not ebs["encrypted"]]
        for name, key in expected_devices.items():
            if name not in observed["devices"]:
                problems.append(f"declared volume {name} missing")
            elif key and not same_key(observed["devices"][name]["kms_key"], key):
                problems.append(f"{name} encrypted with {observed['devices'][name]['kms_key'] or 'the default key'}")
        if problems:
            return fail(f"launch template {observed['launch_template']} of {environment.name}: " + "; ".join(problems))
        return ok(f"{len(live)} volumes encrypted with the declared key")

    urn = declared.urn if declared else environment.urn
    return ctx.check(VOLUMES, environment.name, urn, expected, body)


def _retry(strategy: Any, exits_key: str) -> dict[str, Any] | None:
    """A retry strategy (the state's `evaluateOnExits` or the API's `evaluateOnExit`) in one spelling; the order
    of the exit conditions matters (the first match decides), the case of their action does not."""
    if not isinstance(strategy, dict) or not strategy:
        return None
    exits = []
    for condition in as_list(strategy.get(exits_key)):
        if isinstance(condition, dict):
            exits.append({k: (str(v).upper() if k == "action" else str(v)) for k, v in condition.items() if v})
    return {"attempts": as_int(strategy.get("attempts")), "evaluate_on_exit": exits}


def _timeout(timeout: Any) -> int | None:
    return as_int((timeout or {}).get("attemptDurationSeconds")) if isinstance(timeout, dict) else None


def _job_settings(container: dict[str, Any] | None, timeout: Any, retry: dict[str, Any] | None) -> dict[str, Any]:
    """The security-relevant settings of a job definition, the same way for the state and the API."""
    settings: dict[str, Any] = {}
    if container is not None:
        settings.update(
            image=container.get("image"),
            job_role=container.get("jobRoleArn") or None,
            privileged=as_bool(container.get("privileged", False)),
            readonly_root_filesystem=as_bool(container.get("readonlyRootFilesystem", False)),
            user=container.get("user") or None,
        )
    return {**settings, "timeout_seconds": _timeout(timeout), "retry": retry}


def _job_definition(ctx: AuditContext, definition: DeclaredJobDefinition) -> CheckResult:
    container = definition.container
    declared = _job_settings(
        container, definition.prop("timeout"), _retry(definition.prop("retryStrategy"), "evaluateOnExits")
    )
    # The root filesystem and user are compared only when the state declares them.
    compared = [
        k
        for k in declared
        if not (k == "readonly_root_filesystem" and "readonlyRootFilesystem" not in (container or {}))
        and not (k == "user" and not (container or {}).get("user"))
    ]
    expected = {k: declared[k] for k in compared}
    if container is None:
        expected["container_not_compared"] = True
    declared_revision = as_int(definition.resource.outputs.get("revision"))

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call("batch", "describe_job_definitions", jobDefinitionName=definition.name, status="ACTIVE").get(
            "jobDefinitions", []
        )
        active = [d for d in answer if d.get("jobDefinitionName") == definition.name and d.get("status") == "ACTIVE"]
        if not active:
            observed["active_revisions"] = 0
            return fail(f"job definition {definition.name} is declared ({definition.urn}) but has no ACTIVE revision")
        latest = max(active, key=lambda d: as_int(d.get("revision")) or 0)
        revision = as_int(latest.get("revision"))
        live = _job_settings(
            latest.get("containerProperties") if container is not None else None,
            latest.get("timeout"),
            _retry(latest.get("retryStrategy"), "evaluateOnExit"),
        )
        observed.update(revision=revision, arn=latest.get("jobDefinitionArn"))
        observed.update({k: live.get(k) for k in compared})
        differing = [k for k in compared if observed[k] != expected[k]]
        of_revision = f"job definition {definition.name} revision {revision}"
        if declared_revision and revision != declared_revision:
            of_revision += f" (the state records revision {declared_revision})"
        if differing:
            shown = "; ".join(f"{k} {observed[k]!r} (declared {expected[k]!r})" for k in differing)
            return fail(f"{of_revision} differs from the state in: {shown}")
        note = "; container properties not compared (not declared)" if container is None else ""
        return ok(f"{of_revision}: {expected.get('image') or 'settings'} as declared{note}")

    return ctx.check(JOB_DEFINITION, definition.name, definition.urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for environment in ctx.expected.compute_environments:
        yield _environment(ctx, environment)
        if as_bool((environment.prop("computeResources") or {}).get("launchTemplate")):
            yield _imdsv2(ctx, environment)
            yield _imds_guard(ctx, environment)
            volumes = _volumes(ctx, environment)
            if volumes is not None:
                yield volumes
    for definition in ctx.expected.job_definitions:
        yield _job_definition(ctx, definition)
