"""S3: every declared bucket exists with the encryption, versioning, public access block, policy,
lifecycle, logging, ownership and Object Lock settings the state declares; the account-level block."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit import policy_docs
from glz.audit.compare import as_bool, as_int, same_key
from glz.audit.context import AuditContext
from glz.audit.expected import DeclaredBucket
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok, unverifiable
from glz.state import Resource
from policies.framework import as_list

BUCKET_PROBES = (
    "bucket_encryption",
    "bucket_versioning",
    "bucket_public_access_block",
    "bucket_tls_only",
    "bucket_access_logging",
    "data_lifecycle",
)
EXISTS = CheckSpec("s3.bucket-exists", "Declared bucket exists", BUCKET_PROBES)
ENCRYPTION = CheckSpec(
    "s3.default-encryption", "Default encryption is SSE-KMS with the declared key", ("bucket_encryption",)
)
SSE_C = CheckSpec("s3.sse-c-blocked", "Uploads with customer-provided keys (SSE-C) are blocked", ("bucket_encryption",))
VERSIONING = CheckSpec("s3.versioning", "Versioning is enabled", ("bucket_versioning",))
PAB = CheckSpec(
    "s3.public-access-block", "All four public access block settings are on", ("bucket_public_access_block",)
)
TLS = CheckSpec("s3.tls-only", "Bucket policy denies requests without TLS (and TLS < 1.2)", ("bucket_tls_only",))
ENDPOINT = CheckSpec(
    "s3.endpoint-only", "Bucket policy denies access outside the VPC endpoint", ("bucket_endpoint_only",)
)
LIFECYCLE = CheckSpec("s3.lifecycle", "Lifecycle rules are the declared ones", ("data_lifecycle",))
LOGGING = CheckSpec("s3.access-logging", "Server access logging to the declared target", ("bucket_access_logging",))
OWNERSHIP = CheckSpec(
    "s3.ownership-enforced", "ACLs are disabled (object ownership enforced)", ("bucket_ownership_enforced",)
)
OBJECT_LOCK = CheckSpec("s3.object-lock", "Object Lock default retention as declared", ("audit_log_immutability",))
ACCOUNT_PAB = CheckSpec(
    "s3.account-public-access-block", "Account-level S3 public access block is on", ("account_public_access_block",)
)

PAB_FIELDS = {
    "blockPublicAcls": "BlockPublicAcls",
    "blockPublicPolicy": "BlockPublicPolicy",
    "ignorePublicAcls": "IgnorePublicAcls",
    "restrictPublicBuckets": "RestrictPublicBuckets",
}
NO_SUCH_BUCKET = ("NoSuchBucket", "404", "NotFound")


def _exists(ctx: AuditContext, bucket: DeclaredBucket) -> CheckResult:
    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none("s3", "head_bucket", NO_SUCH_BUCKET, Bucket=bucket.name)
        observed["exists"] = answer is not None
        if answer is None:
            ctx.absent.add(("bucket", bucket.name))
            return fail(
                f"bucket {bucket.name} is declared in the state ({bucket.urn}) but does not exist in the account"
            )
        if answer.get("BucketRegion"):
            observed["region"] = answer["BucketRegion"]
        return ok(f"bucket {bucket.name} exists")

    return ctx.check(EXISTS, bucket.name, bucket.urn, {"exists": True}, body)


def _encryption(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> Iterator[CheckResult]:
    rule = (as_list(setting.prop("rules")) or [{}])[0]
    default = rule.get("applyServerSideEncryptionByDefault") or {}
    expected = {
        "algorithm": default.get("sseAlgorithm"),
        "kms_key": default.get("kmsMasterKeyId"),
        "bucket_key": as_bool(rule.get("bucketKeyEnabled")),
    }
    keys = {k.key_id: k.aliases for k in ctx.expected.keys}

    def rules() -> list[dict[str, Any]] | None:
        ctx.require("bucket", bucket.name, f"bucket {bucket.name}")
        answer = ctx.call_or_none(
            "s3", "get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",), Bucket=bucket.name
        )
        return None if answer is None else answer["ServerSideEncryptionConfiguration"].get("Rules", [])

    def body(observed: dict[str, Any]) -> Verdict:
        found = rules()
        if found is None:
            observed["default_encryption"] = None
            return fail(f"bucket {bucket.name} has no default encryption configuration")
        live = found[0] if found else {}
        by_default = live.get("ApplyServerSideEncryptionByDefault") or {}
        observed.update(
            algorithm=by_default.get("SSEAlgorithm"),
            kms_key=by_default.get("KMSMasterKeyID"),
            bucket_key=bool(live.get("BucketKeyEnabled")),
        )
        problems = []
        if observed["algorithm"] != expected["algorithm"]:
            problems.append(f"algorithm {observed['algorithm']} instead of {expected['algorithm']}")
        if expected["kms_key"]:
            declared_key = str(expected["kms_key"])
            aliases = keys.get(declared_key.rsplit("/", 1)[-1], ())
            if not same_key(observed["kms_key"], declared_key, aliases):
                problems.append(f"key {observed['kms_key'] or 'AWS managed'} instead of {declared_key}")
        if expected["bucket_key"] and not observed["bucket_key"]:
            problems.append("S3 Bucket Keys off")
        if problems:
            return fail(f"bucket {bucket.name} default encryption differs from the state: " + "; ".join(problems))
        return ok(f"SSE-KMS with {observed['kms_key']}")

    yield ctx.check(ENCRYPTION, bucket.name, setting.urn, expected, body)

    blocked = sorted(as_list(rule.get("blockedEncryptionTypes")))
    if not blocked:
        return

    def blocked_body(observed: dict[str, Any]) -> Verdict:
        found = rules()
        if found is None:
            return fail(f"bucket {bucket.name} has no default encryption configuration, so nothing is blocked")
        live = found[0] if found else {}
        if "BlockedEncryptionTypes" not in live:
            return unverifiable(
                f"GetBucketEncryption on {bucket.name} did not report BlockedEncryptionTypes (the endpoint predates "
                "SSE-C blocking or returns nothing when unset), so whether SSE-C is blocked cannot be read"
            )
        observed["blocked"] = sorted(live["BlockedEncryptionTypes"].get("EncryptionType", []))
        missing = sorted(set(blocked) - set(observed["blocked"]))
        if missing:
            return fail(f"bucket {bucket.name} does not block {', '.join(missing)} uploads")
        return ok(f"blocked: {', '.join(observed['blocked'])}")

    yield ctx.check(SSE_C, bucket.name, setting.urn, {"blocked": blocked}, blocked_body)


def _versioning(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> CheckResult:
    status = (setting.prop("versioningConfiguration") or {}).get("status", "Enabled")

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("bucket", bucket.name, f"bucket {bucket.name}")
        live = ctx.call("s3", "get_bucket_versioning", Bucket=bucket.name).get("Status", "Disabled")
        observed["status"] = live
        if live != status:
            return fail(f"versioning on bucket {bucket.name} is {live}; the state declares {status}")
        return ok(f"versioning {live}")

    return ctx.check(VERSIONING, bucket.name, setting.urn, {"status": status}, body)


def _public_access_block(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> CheckResult:
    expected = {name: as_bool(setting.prop(name)) for name in PAB_FIELDS}

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("bucket", bucket.name, f"bucket {bucket.name}")
        answer = ctx.call_or_none(
            "s3", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",), Bucket=bucket.name
        )
        if answer is None:
            observed["configured"] = False
            return fail(f"bucket {bucket.name} has no public access block")
        live = answer["PublicAccessBlockConfiguration"]
        observed.update({name: bool(live.get(api)) for name, api in PAB_FIELDS.items()})
        off = [name for name, want in expected.items() if want and not observed[name]]
        if off:
            return fail(f"bucket {bucket.name} public access block has {', '.join(off)} off")
        return ok("all four settings on")

    return ctx.check(PAB, bucket.name, setting.urn, expected, body)


def _covers_bucket_and_objects(resources: list[str], bucket: str) -> bool:
    if "*" in resources:
        return True
    return any(r.endswith(f":::{bucket}") for r in resources) and any(r.endswith(f":::{bucket}/*") for r in resources)


def _tls_requirements(document: Any, bucket: str) -> dict[str, Any]:
    """What a bucket policy denies about transport: non-TLS requests, and TLS below a version."""
    found: dict[str, Any] = {"deny_insecure_transport": False, "min_tls_version": None}
    for statement in policy_docs.statements(document):
        if statement.get("Effect") != "Deny" or not policy_docs.is_everyone(statement):
            continue
        if not {"s3:*", "*"} & set(policy_docs.actions(statement)):
            continue
        if not _covers_bucket_and_objects([str(r) for r in as_list(statement.get("Resource"))], bucket):
            continue
        conditions = policy_docs.conditions(statement)
        if conditions.get(("Bool", "aws:securetransport")) == ["false"]:
            found["deny_insecure_transport"] = True
        tls = conditions.get(("NumericLessThan", "s3:tlsversion"))
        if tls:
            found["min_tls_version"] = tls[0]
    return found


def _policy(ctx: AuditContext, bucket: DeclaredBucket) -> dict[str, Any] | None:
    ctx.require("bucket", bucket.name, f"bucket {bucket.name}")
    answer = ctx.call_or_none("s3", "get_bucket_policy", ("NoSuchBucketPolicy",), Bucket=bucket.name)
    return None if answer is None else policy_docs.parse(answer.get("Policy"))


def _tls_only(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> CheckResult | None:
    expected = _tls_requirements(setting.prop("policy"), bucket.name)
    if not expected["deny_insecure_transport"] and not expected["min_tls_version"]:
        return None

    def body(observed: dict[str, Any]) -> Verdict:
        live = _policy(ctx, bucket)
        if live is None:
            observed["policy"] = None
            return fail(f"bucket {bucket.name} has no bucket policy, so requests without TLS are not denied")
        observed.update(_tls_requirements(live, bucket.name))
        problems = []
        if expected["deny_insecure_transport"] and not observed["deny_insecure_transport"]:
            problems.append("no statement denies aws:SecureTransport=false")
        want = expected["min_tls_version"]
        if want and (observed["min_tls_version"] is None or float(observed["min_tls_version"]) < float(want)):
            problems.append(f"no statement denies TLS below {want}")
        if problems:
            return fail(f"bucket {bucket.name} policy: " + "; ".join(problems))
        return ok("denies non-TLS requests" + (f" and TLS < {want}" if want else ""))

    return ctx.check(TLS, bucket.name, setting.urn, expected, body)


def _endpoint_restriction(document: Any) -> dict[str, Any]:
    """The VPC endpoint(s) a Deny statement requires, and the principals exempted from it."""
    for statement in policy_docs.statements(document):
        if statement.get("Effect") != "Deny":
            continue
        conditions = policy_docs.conditions(statement)
        endpoints = conditions.get(("StringNotEquals", "aws:sourcevpce"))
        if endpoints:
            exempt = conditions.get(("ArnNotLike", "aws:principalarn"), [])
            return {"endpoints": endpoints, "exempt_principals": exempt}
    return {"endpoints": [], "exempt_principals": []}


def _endpoint_only(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> CheckResult | None:
    expected = _endpoint_restriction(setting.prop("policy"))
    if not expected["endpoints"]:
        return None

    def body(observed: dict[str, Any]) -> Verdict:
        live = _policy(ctx, bucket)
        if live is None:
            observed["policy"] = None
            return fail(f"bucket {bucket.name} has no bucket policy, so access is not limited to the VPC endpoint")
        observed.update(_endpoint_restriction(live))
        if observed["endpoints"] != expected["endpoints"]:
            return fail(
                f"bucket {bucket.name} policy limits access to endpoints {observed['endpoints'] or 'none'}; "
                f"the state declares {expected['endpoints']}"
            )
        extra = sorted(set(observed["exempt_principals"]) - set(expected["exempt_principals"]))
        if extra:
            return fail(f"bucket {bucket.name} policy exempts undeclared principals: {', '.join(extra)}")
        return ok(f"only through {', '.join(observed['endpoints'])}")

    return ctx.check(ENDPOINT, bucket.name, setting.urn, expected, body)


def _lower_first(key: str) -> str:
    return "id" if key == "ID" else key[:1].lower() + key[1:]


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_lower_first(k): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def normalize_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule from the state (camelCase) or the API (PascalCase) in one comparable shape."""
    rule = _camel(rule)
    expiration = rule.get("expiration") or {}
    noncurrent = rule.get("noncurrentVersionExpiration") or {}
    prefix = (rule.get("filter") or {}).get("prefix", rule.get("prefix", "")) or ""
    return {
        "id": rule.get("id"),
        "status": rule.get("status"),
        "prefix": prefix,
        "transitions": sorted((as_int(t.get("days")), t.get("storageClass")) for t in as_list(rule.get("transitions"))),
        "expiration_days": as_int(expiration.get("days")),
        "expire_delete_markers": as_bool(expiration.get("expiredObjectDeleteMarker")),
        "noncurrent_days": as_int(noncurrent.get("noncurrentDays")),
        "noncurrent_transitions": sorted(
            (as_int(t.get("noncurrentDays")), t.get("storageClass"))
            for t in as_list(rule.get("noncurrentVersionTransitions"))
        ),
        "abort_incomplete_days": as_int((rule.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation")),
    }


def _lifecycle(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> CheckResult:
    declared = {r["id"]: r for r in (normalize_rule(x) for x in as_list(setting.prop("rules")))}
    expected = {"rules": list(declared.values())}

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("bucket", bucket.name, f"bucket {bucket.name}")
        answer = ctx.call_or_none(
            "s3", "get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",), Bucket=bucket.name
        )
        if answer is None:
            observed["rules"] = []
            return fail(f"bucket {bucket.name} has no lifecycle configuration")
        live = {r["id"]: r for r in (normalize_rule(x) for x in answer.get("Rules", []))}
        observed["rules"] = list(live.values())
        problems = [f"rule {i} missing" for i in declared if i not in live]
        problems += [f"rule {i} differs" for i in declared if i in live and live[i] != declared[i]]
        problems += [f"undeclared rule {i}" for i in live if i not in declared]
        if problems:
            return fail(f"bucket {bucket.name} lifecycle differs from the state: " + "; ".join(problems))
        return ok(f"{len(live)} rules as declared")

    return ctx.check(LIFECYCLE, bucket.name, setting.urn, expected, body)


def _logging(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> CheckResult:
    expected = {"target_bucket": setting.prop("targetBucket"), "target_prefix": setting.prop("targetPrefix", "")}

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("bucket", bucket.name, f"bucket {bucket.name}")
        enabled = ctx.call("s3", "get_bucket_logging", Bucket=bucket.name).get("LoggingEnabled")
        if not enabled:
            observed["enabled"] = False
            return fail(f"server access logging is off on bucket {bucket.name}")
        observed.update(target_bucket=enabled.get("TargetBucket"), target_prefix=enabled.get("TargetPrefix", ""))
        if observed != expected:
            return fail(
                f"bucket {bucket.name} logs to {observed['target_bucket']}/{observed['target_prefix']}; the state "
                f"declares {expected['target_bucket']}/{expected['target_prefix']}"
            )
        return ok(f"logs to {observed['target_bucket']}/{observed['target_prefix']}")

    return ctx.check(LOGGING, bucket.name, setting.urn, expected, body)


def _ownership(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> CheckResult:
    want = (setting.prop("rule") or {}).get("objectOwnership")

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("bucket", bucket.name, f"bucket {bucket.name}")
        answer = ctx.call_or_none(
            "s3", "get_bucket_ownership_controls", ("OwnershipControlsNotFoundError",), Bucket=bucket.name
        )
        rules = (answer or {}).get("OwnershipControls", {}).get("Rules", [])
        observed["object_ownership"] = rules[0].get("ObjectOwnership") if rules else None
        if observed["object_ownership"] != want:
            return fail(f"bucket {bucket.name} object ownership is {observed['object_ownership']}; declared {want}")
        return ok(str(want))

    return ctx.check(OWNERSHIP, bucket.name, setting.urn, {"object_ownership": want}, body)


def _object_lock(ctx: AuditContext, bucket: DeclaredBucket, setting: Resource) -> CheckResult:
    retention = (setting.prop("rule") or {}).get("defaultRetention") or {}
    expected = {"enabled": True, "mode": retention.get("mode"), "days": as_int(retention.get("days"))}

    def body(observed: dict[str, Any]) -> Verdict:
        ctx.require("bucket", bucket.name, f"bucket {bucket.name}")
        answer = ctx.call_or_none(
            "s3", "get_object_lock_configuration", ("ObjectLockConfigurationNotFoundError",), Bucket=bucket.name
        )
        config = (answer or {}).get("ObjectLockConfiguration") or {}
        live = (config.get("Rule") or {}).get("DefaultRetention") or {}
        observed.update(
            enabled=config.get("ObjectLockEnabled") == "Enabled", mode=live.get("Mode"), days=as_int(live.get("Days"))
        )
        if observed != expected:
            return fail(
                f"bucket {bucket.name} Object Lock is {observed}; the state declares {expected['mode']} "
                f"for {expected['days']} days"
            )
        return ok(f"{observed['mode']} {observed['days']} days")

    return ctx.check(OBJECT_LOCK, bucket.name, setting.urn, expected, body)


def _account_pab(ctx: AuditContext) -> Iterator[CheckResult]:
    declared = ctx.expected.account_public_access_block
    if declared is None:
        return
    expected = {name: as_bool(declared.prop(name)) for name in PAB_FIELDS}

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none(
            "s3control", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",), AccountId=ctx.account
        )
        if answer is None:
            observed["configured"] = False
            return fail(f"account {ctx.account} has no account-level S3 public access block")
        live = answer["PublicAccessBlockConfiguration"]
        observed.update({name: bool(live.get(api)) for name, api in PAB_FIELDS.items()})
        off = [name for name, want in expected.items() if want and not observed[name]]
        if off:
            return fail(f"account {ctx.account} public access block has {', '.join(off)} off")
        return ok("all four settings on")

    yield ctx.check(ACCOUNT_PAB, ctx.account, declared.urn, expected, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    for bucket in ctx.expected.buckets:
        yield _exists(ctx, bucket)
        settings = bucket.settings
        if "encryption" in settings:
            yield from _encryption(ctx, bucket, settings["encryption"])
        if "versioning" in settings:
            yield _versioning(ctx, bucket, settings["versioning"])
        if "public_access_block" in settings:
            yield _public_access_block(ctx, bucket, settings["public_access_block"])
        if "policy" in settings:
            for result in (_tls_only(ctx, bucket, settings["policy"]), _endpoint_only(ctx, bucket, settings["policy"])):
                if result is not None:
                    yield result
        if "lifecycle" in settings:
            yield _lifecycle(ctx, bucket, settings["lifecycle"])
        if "logging" in settings:
            yield _logging(ctx, bucket, settings["logging"])
        if "ownership" in settings:
            yield _ownership(ctx, bucket, settings["ownership"])
        if "object_lock" in settings:
            yield _object_lock(ctx, bucket, settings["object_lock"])
    yield from _account_pab(ctx)
