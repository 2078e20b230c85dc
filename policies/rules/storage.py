"""S3 buckets: encryption with the right key, versioning, no public access, TLS-only, logging, lifecycle.

pulumi-aws v7 splits a bucket's configuration into sibling resources, so these are stack rules
that join each bucket with its siblings; a missing sibling is a violation, not a pass.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.access.actors import ACCOUNT, AN_UNKNOWN_ACCOUNT, statement_names
from policies.access.conditions import MISSING
from policies.access.document import statements as normalized
from policies.access.model import model_of
from policies.framework import Requirements, StackView, View, Violation, as_list, stack_rule, statements, summarize
from policies.rules import s3_support as s3
from policies.rules.encryption import purpose_keys

AT_REST = Requirements(r2=("3.13.16", "3.8.9"), r3=("03.13.08",), hipaa=("164.312(a)(2)(iv)", "164.312(e)(2)(ii)"))
IN_TRANSIT = Requirements(r2=("3.13.8", "3.13.15"), r3=("03.13.08",), hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)"))
PUBLIC = Requirements(r2=("3.1.22", "3.13.1"), r3=("03.01.22", "03.13.01"), hipaa=("164.312(a)(1)",))
BACKUP = Requirements(r2=("3.8.9",), r3=("03.08.09",), hipaa=("164.308(a)(7)(ii)(A)", "164.312(c)(1)"))
AUDIT = Requirements(r2=("3.3.1", "3.3.2"), r3=("03.03.01", "03.03.03"), hipaa=("164.312(b)",))
RETENTION = Requirements(r2=("3.8.9",), r3=("03.08.09",), hipaa=("164.308(a)(7)(ii)(A)", "164.310(d)(2)(iv)"))


def _each_bucket(stack: StackView, check) -> Iterator[Violation]:
    for bucket in stack.of_type(s3.BUCKET):
        for message in check(bucket):
            yield Violation(bucket.urn, f"bucket {s3.bucket_name(bucket)}: {message}")


@stack_rule(
    "GLZ-S3-001",
    "s3-bucket-sse-kms-customer-key",
    "critical",
    AT_REST,
    "Give the bucket a BucketServerSideEncryptionConfiguration with sse_algorithm aws:kms, a customer-managed "
    "key ARN and bucket_key_enabled=True.",
)
def sse_kms(stack: StackView) -> Iterator[Violation]:
    """Every bucket encrypts by default with SSE-KMS under a customer-managed key, with S3 bucket keys."""
    data_keys = purpose_keys(stack, "data")
    tiers = s3.classify(stack)

    def check(bucket: View) -> Iterator[str]:
        configs = s3.siblings(stack, bucket, s3.ENCRYPTION)  # a second one may be the one applied last
        if not configs:
            yield "no default encryption configuration"
            return
        rules = [r for config in configs for r in as_list(config.get("rules"))]
        if not rules:
            yield "encryption configuration has no rule"
        for rule in rules:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                yield f"default encryption is {default.get('sseAlgorithm')!r}, not SSE-KMS"
            elif not default.get("kmsMasterKeyId"):
                yield "SSE-KMS without a customer-managed key (uses the AWS-managed aws/s3 key)"
            elif tiers.get(bucket.urn) in s3.DATA_TIERS and data_keys and default["kmsMasterKeyId"] not in data_keys:
                yield "data tier is not encrypted with the landing zone's data key"
            if rule.get("bucketKeyEnabled") is not True:
                yield "S3 bucket keys are off"

    yield from _each_bucket(stack, check)


@stack_rule(
    "GLZ-S3-002",
    "s3-bucket-versioning-enabled",
    "high",
    BACKUP,
    "Add a BucketVersioning with status Enabled.",
)
def versioning(stack: StackView) -> Iterator[Violation]:
    """Every bucket keeps versions, so an overwrite or delete can be undone."""

    def check(bucket: View) -> Iterator[str]:
        configs = s3.siblings(stack, bucket, s3.VERSIONING)
        statuses = [(c.get("versioningConfiguration") or {}).get("status") for c in configs] or [None]
        for status in statuses:
            if status != "Enabled":
                yield f"versioning is {status or 'not configured'}"

    yield from _each_bucket(stack, check)


PUBLIC_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_rule(
    "GLZ-S3-003",
    "s3-bucket-public-access-blocked",
    "critical",
    PUBLIC,
    "Add a BucketPublicAccessBlock with all four flags true.",
)
def public_access_block(stack: StackView) -> Iterator[Violation]:
    """Every bucket blocks public ACLs and policies with all four public-access-block settings."""

    def check(bucket: View) -> Iterator[str]:
        blocks = s3.siblings(stack, bucket, s3.PUBLIC_ACCESS_BLOCK)
        if not blocks:
            yield "no public access block"
            return
        off = sorted({flag for block in blocks for flag in PUBLIC_FLAGS if block.get(flag) is not True})
        if off:
            yield f"public access block flags off: {', '.join(off)}"

    yield from _each_bucket(stack, check)


@stack_rule(
    "GLZ-S3-004",
    "s3-bucket-owner-enforced",
    "medium",
    PUBLIC,
    "Add BucketOwnershipControls with object_ownership BucketOwnerEnforced (disables ACLs).",
)
def ownership(stack: StackView) -> Iterator[Violation]:
    """Every bucket disables ACLs (BucketOwnerEnforced), so access is decided by policies alone."""

    def check(bucket: View) -> Iterator[str]:
        values = [(c.get("rule") or {}).get("objectOwnership") for c in s3.siblings(stack, bucket, s3.OWNERSHIP)]
        for value in values or [None]:
            if value != "BucketOwnerEnforced":
                yield f"object ownership is {value or 'not configured'}; ACLs stay enabled"

    yield from _each_bucket(stack, check)


def _policy_statements(stack: StackView, bucket: View) -> list[dict]:
    policy = s3.sibling(stack, bucket, s3.POLICY)
    return statements(policy.json("policy")) if policy else []


OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion")
BUCKET_ACTIONS = ("s3:ListBucket", "s3:PutBucketPolicy")
PRECIOUS = ("variants", "reference", "results")  # components.settings.PRECIOUS_TIERS
DIRECT_TLS = {"aws:securetransport": "true", "aws:viaawsservice": "false", "s3:tlsversion": "1.3"}
OUTDATED_TLS = ("1.0", "1.1")


def _requests(bucket: View) -> list[tuple[str, str]]:
    """(action, ARN) pairs that stand for everything one can do to a bucket and its objects."""
    name = s3.bucket_name(bucket)
    objects = f"arn:aws:s3:::{name}/glz-probe/object"
    return [(a, objects) for a in OBJECT_ACTIONS] + [(a, f"arn:aws:s3:::{name}") for a in BUCKET_ACTIONS]


def _unguarded(
    stack: StackView, bucket: View, scenario: dict, requests: list[tuple[str, str]], actors=None
) -> list[str]:
    """Requests (by probe and stack principals) that no Deny of the bucket policy surely refuses."""
    model = model_of(stack)
    arn = f"arn:aws:s3:::{s3.bucket_name(bucket)}"
    if actors is None:
        # principals no Deny of the policy names behave like the probe principal of the account (only Deny
        # statements decide what is refused): ask only those the denies name
        named = model.mentioned_in(arn, effect="Deny")
        actors = list({a.name: a for a in model.probe_actors() + named}.values())
    missed_by: dict[str, list[str]] = {}
    for group in model.alike_for_denies(arn, actors):
        missed = [a for a, target in requests if not model.resource_denies(group[0], a, target, scenario)]
        for actor in group:
            missed_by[actor.name] = missed
    return [f"{actor.label()} ({', '.join(missed_by[actor.name])})" for actor in actors if missed_by[actor.name]]


@stack_rule(
    "GLZ-S3-005",
    "s3-bucket-tls-only",
    "high",
    IN_TRANSIT,
    "Add a Deny s3:* statement for every principal on the bucket and its objects with Condition Bool "
    "aws:SecureTransport false (SecureBucket does this).",
)
def tls_only(stack: StackView) -> Iterator[Violation]:
    """Every bucket policy refuses requests without TLS or over TLS older than 1.2, from every principal, on
    the bucket and its objects."""

    def check(bucket: View) -> Iterator[str]:
        gaps = _unguarded(stack, bucket, {"aws:securetransport": "false"}, _requests(bucket))
        if gaps:
            yield f"requests without TLS are not denied for {summarize(gaps, 3, '; ')}"
        for version in OUTDATED_TLS:
            gaps = _unguarded(stack, bucket, {**DIRECT_TLS, "s3:tlsversion": version}, _requests(bucket))
            if gaps:
                yield f"requests over TLS {version} are not denied for {summarize(gaps, 3, '; ')}"
                break

    yield from _each_bucket(stack, check)


@stack_rule(
    "GLZ-S3-006",
    "s3-bucket-denies-unexpected-encryption",
    "high",
    AT_REST,
    "Add Deny s3:PutObject statements for s3:x-amz-server-side-encryption other than aws:kms and for other "
    "KMS key IDs (see components/bucket_policies.py).",
)
def expected_encryption(stack: StackView) -> Iterator[Violation]:
    """Every bucket policy refuses uploads that ask for another algorithm or another KMS key, from anyone."""
    model = model_of(stack)
    other_key = f"arn:aws:kms:{model.region}:{AN_UNKNOWN_ACCOUNT}:key/00000000-0000-0000-0000-glzotherkey0"
    cases = {
        "SSE-S3 (AES256)": {"s3:x-amz-server-side-encryption": "AES256"},
        "another KMS key": {
            "s3:x-amz-server-side-encryption": "aws:kms",
            "s3:x-amz-server-side-encryption-aws-kms-key-id": other_key,
        },
    }

    def check(bucket: View) -> Iterator[str]:
        # any object, and one where CloudTrail delivers log files (only its digests may be SSE-S3)
        name = s3.bucket_name(bucket)
        account = stack.account_id or "111111111111"
        put = [
            ("s3:PutObject", f"arn:aws:s3:::{name}/glz-probe/object"),
            ("s3:PutObject", f"arn:aws:s3:::{name}/AWSLogs/{account}/CloudTrail/{model.region}/glz-probe.json.gz"),
        ]
        for what, headers in cases.items():
            gaps = _unguarded(stack, bucket, {**DIRECT_TLS, **headers}, put)
            if gaps:
                yield f"uploads asking for {what} are not denied for {summarize(gaps, 3, '; ')}"

    yield from _each_bucket(stack, check)


@stack_rule(
    "GLZ-S3-007",
    "s3-bucket-no-public-grants",
    "critical",
    PUBLIC,
    "Remove bucket-policy statements that grant anyone, another account or a federated identity; outside "
    "people reach data through collaborator roles only.",
)
def no_public_grants(stack: StackView) -> Iterator[Violation]:
    """No bucket policy lets anyone outside the account in: not '*', not another account, in any form."""
    model = model_of(stack)

    def check(bucket: View) -> Iterator[str]:
        requests = _requests(bucket) + [(a, arn) for a, arn in _granted_requests(stack, bucket)]
        policy = model.resource_statements(f"arn:aws:s3:::{s3.bucket_name(bucket)}")[0]
        for actor in model.external_actors():
            if not any(s.allow and statement_names(s, actor) for s in policy):
                continue  # outsiders get in only through the bucket policy
            allowed = sorted({a for a, arn in requests if model.decide(actor, a, arn, DIRECT_TLS)})
            if allowed:
                yield f"{actor.label()} can {', '.join(allowed)}"

    yield from _each_bucket(stack, check)


def _granted_requests(stack: StackView, bucket: View) -> list[tuple[str, str]]:
    """Object ARNs the bucket policy itself names (prefix-scoped grants), instantiated as probes."""
    name = s3.bucket_name(bucket)
    found = []
    for statement in normalized(
        s3.sibling(stack, bucket, s3.POLICY).get("policy") if s3.sibling(stack, bucket, s3.POLICY) else None
    ):
        for pattern in statement.resources:
            if pattern.startswith(f"arn:aws:s3:::{name}/"):
                arn = pattern.replace("*", "glz-probe").replace("?", "x")
                found += [(a, arn) for a in OBJECT_ACTIONS]
    return found


@stack_rule(
    "GLZ-S3-008",
    "s3-data-bucket-access-logging",
    "medium",
    AUDIT,
    "Add a BucketLogging to the access-log bucket for every data tier; keep forceDestroy false.",
)
def access_logging(stack: StackView) -> Iterator[Violation]:
    """Every data-tier bucket writes server access logs to the landing zone's access-log bucket (known by
    reference), and cannot be emptied by a stack destroy (forceDestroy off)."""
    tiers = s3.classify(stack)
    log_buckets = {s3.bucket_name(b) for b in stack.of_type(s3.BUCKET) if tiers.get(b.urn) == s3.LOG_TIER}
    log_urns = {b.urn for b in stack.of_type(s3.BUCKET) if tiers.get(b.urn) == s3.LOG_TIER}
    for bucket in s3.data_buckets(stack):
        configs = s3.siblings(stack, bucket, s3.LOGGING)
        if not configs:
            yield Violation(bucket.urn, f"bucket {s3.bucket_name(bucket)}: server access logging is off")
        for config in configs:
            # the name when the state has it; the dependency only where the name is not known yet (a preview)
            target = config.get("targetBucket")
            linked = set(config.property_dependencies.get("targetBucket") or [])
            if not (target in log_buckets if isinstance(target, str) and target else linked & log_urns):
                yield Violation(
                    bucket.urn,
                    f"bucket {s3.bucket_name(bucket)}: access logs go to {config.get('targetBucket')}, not the "
                    "landing zone's access-log bucket",
                )
        if str(bucket.get("forceDestroy")).lower() == "true":
            yield Violation(
                bucket.urn, f"bucket {s3.bucket_name(bucket)}: forceDestroy empties it, versions included, on destroy"
            )


def _rule_sets(stack: StackView, bucket: View) -> list[list[dict]]:
    """The enabled rules of each lifecycle configuration of a bucket (S3 keeps whichever is applied last)."""
    return [
        [r for r in as_list(c.get("rules")) if r.get("status") == "Enabled"]
        for c in s3.siblings(stack, bucket, s3.LIFECYCLE)
    ]


def _rules(stack: StackView, bucket: View) -> list[dict]:
    return [r for rules in _rule_sets(stack, bucket) for r in rules]


@stack_rule(
    "GLZ-S3-009",
    "s3-bucket-lifecycle-housekeeping",
    "low",
    BACKUP,
    "Keep the abort-incomplete-multipart-uploads and expire-noncurrent-versions lifecycle rules.",
)
def housekeeping(stack: StackView) -> Iterator[Violation]:
    """Every bucket aborts incomplete multipart uploads and expires noncurrent versions."""

    def check(bucket: View) -> Iterator[str]:
        for rules in _rule_sets(stack, bucket) or [[]]:
            if not any(r.get("abortIncompleteMultipartUpload") for r in rules):
                yield "no rule aborts incomplete multipart uploads"
            if not any(r.get("noncurrentVersionExpiration") for r in rules):
                yield "no rule expires noncurrent versions"

    yield from _each_bucket(stack, check)


@stack_rule(
    "GLZ-S3-010",
    "s3-tiering-keeps-variants-and-reference",
    "high",
    RETENTION,
    "Remove expiration from the variants and reference tiers; VCF is the highest-value output and reference "
    "genomes are read by every job. On variants, reference and results keep noncurrent versions at least as "
    "long as the audit retention (six years for PHI, else one year).",
)
def keep_variants(stack: StackView) -> Iterator[Violation]:
    """Variant calls (VCF/gVCF) and reference genomes never expire, and on the precious tiers (variants,
    reference, results) an overwritten or deleted version is kept for the retention period, so a writer
    cannot destroy history by overwriting; regenerable tiers may expire."""
    floor = 2190 if stack.classification == "phi" else 365
    for bucket in s3.data_buckets(stack):
        tier = s3.tier_of(bucket)
        if tier not in PRECIOUS:
            continue
        for rule in _rules(stack, bucket):
            expiration = rule.get("expiration") or {}
            if tier in ("variants", "reference") and (expiration.get("days") or expiration.get("date")):
                yield Violation(
                    bucket.urn, f"bucket {s3.bucket_name(bucket)}: lifecycle rule {rule.get('id')!r} expires objects"
                )
            if str(rule.get("status", "Enabled")) != "Enabled":
                continue
            for noncurrent in as_list(rule.get("noncurrentVersionExpiration")):
                days = (noncurrent or {}).get("noncurrentDays")
                if days is not None and float(days) < floor:
                    yield Violation(
                        bucket.urn,
                        f"bucket {s3.bucket_name(bucket)}: lifecycle rule {rule.get('id')!r} deletes overwritten "
                        f"versions after {float(days):.0f} days, under the {floor} days the stack keeps records",
                    )


@stack_rule(
    "GLZ-S3-011",
    "s3-data-tiers-have-lifecycle-tiering",
    "low",
    RETENTION,
    "Restore the tier's lifecycle rule (BCL to Glacier, FASTQ expiry, BAM to Standard-IA).",
    enforcement="advisory",
)
def tiering_present(stack: StackView) -> Iterator[Violation]:
    """Raw, read and alignment tiers move to colder storage or expire, as the genomics tiering intends."""
    for bucket in s3.data_buckets(stack):
        if s3.tier_of(bucket) not in ("bcl", "fastq", "alignments"):
            continue
        if not any(r.get("transitions") or (r.get("expiration") or {}).get("days") for r in _rules(stack, bucket)):
            yield Violation(bucket.urn, f"bucket {s3.bucket_name(bucket)}: no transition or expiry rule")


@stack_rule(
    "GLZ-S3-012",
    "s3-data-tiers-vpc-endpoint-only",
    "high",
    Requirements(r2=("3.1.3", "3.13.1"), r3=("03.01.03", "03.13.01"), hipaa=("164.312(e)(1)", "164.312(a)(1)")),
    "Add the endpoint-only Deny (components/network_policies.vpc_endpoint_only_statement) to every data bucket, "
    "naming each principal that must reach it from outside the VPC (full ARNs in this account, no wildcards).",
)
def vpc_endpoint_only(stack: StackView) -> Iterator[Violation]:
    """Data-tier buckets refuse requests that do not come through the landing zone's S3 VPC endpoint, from
    every principal except named ones of this account: any other principal of the account, another account
    and an anonymous caller are all refused on the bucket and its objects."""
    model = model_of(stack)
    outside = {**DIRECT_TLS, "aws:sourcevpce": MISSING, "aws:sourcevpc": MISSING, "aws:principalisawsservice": "false"}
    # through an endpoint that is not the landing zone's (another VPC, another account's)
    elsewhere = {**outside, "aws:sourcevpce": "vpce-0glzprobe0elsewhere", "aws:sourcevpc": "vpc-0glzprobe0elsewhere"}
    for bucket in s3.data_buckets(stack):
        gaps = _unguarded(stack, bucket, outside, _requests(bucket), actors=model.probe_actors())
        gaps += [
            f"{g} via another VPC endpoint"
            for g in _unguarded(stack, bucket, elsewhere, _requests(bucket), actors=model.probe_actors())
        ]
        # outside accounts no Deny names are refused exactly like the unnamed account probed above
        named = {a.name for a in model.mentioned_in(f"arn:aws:s3:::{s3.bucket_name(bucket)}", effect="Deny")}
        for actor in model.external_actors():
            if actor.name not in {a.name for a in model.probe_actors()} and (
                actor.kind != ACCOUNT or actor.name in named
            ):
                missed = [a for a, arn in _requests(bucket) if not model.resource_denies(actor, a, arn, outside)]
                if missed:
                    gaps.append(f"{actor.label()} ({', '.join(missed)})")
        if gaps:
            yield Violation(
                bucket.urn,
                f"bucket {s3.bucket_name(bucket)}: requests from outside the VPC endpoint are not denied for "
                f"{summarize(gaps, 3, '; ')}",
            )


@stack_rule(
    "GLZ-S3-013",
    "s3-every-bucket-classified",
    "high",
    Requirements(r2=("3.8.4", "3.1.22"), r3=("03.08.04",), hipaa=("164.308(a)(1)(ii)(A)",)),
    "Create buckets through GenomicsDataLake or SecureBucket so the gate knows what they hold; a bucket "
    "nothing classifies is assumed to hold the stack's most sensitive data.",
)
def every_bucket_classified(stack: StackView) -> Iterator[Violation]:
    """In a phi or controlled stack every bucket is known by what points at it (data lake tier, audit trail,
    access logs); a bucket the gate cannot classify is a finding, not a silent pass."""
    if stack.classification == "public":
        return
    for bucket in s3.unclassified_buckets(stack):
        yield Violation(
            bucket.urn,
            f"bucket {s3.bucket_name(bucket)}: no component of the landing zone owns it, so the gate cannot "
            "tell which data it holds",
        )


AUDIT_DESTRUCTION = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutLifecycleConfiguration",
    "s3:DeleteBucket",
)


@stack_rule(
    "GLZ-S3-014",
    "s3-audit-records-indestructible",
    "high",
    Requirements(r2=("3.3.8", "3.3.1"), r3=("03.03.08", "03.03.03"), hipaa=("164.312(c)(1)", "164.316(b)(2)(i)")),
    "Keep the audit bucket's DenyAuditRecordDestruction statement (AuditTrail): Deny to every principal, on "
    "the bucket and its objects, without conditions.",
)
def audit_records_indestructible(stack: StackView) -> Iterator[Violation]:
    """The audit bucket's own policy refuses deleting records or versions, bypassing retention, shortening
    lifecycle and deleting the bucket to every principal: administrators in or outside the stack included."""
    tiers = s3.classify(stack)
    for bucket in stack.of_type(s3.BUCKET):
        if tiers.get(bucket.urn) != s3.AUDIT_TIER:
            continue
        name = s3.bucket_name(bucket)
        requests = [(a, f"arn:aws:s3:::{name}/AWSLogs/glz-probe") for a in AUDIT_DESTRUCTION[:3]]
        requests += [(a, f"arn:aws:s3:::{name}") for a in AUDIT_DESTRUCTION[3:]]
        gaps = _unguarded(stack, bucket, DIRECT_TLS, requests)
        if gaps:
            yield Violation(bucket.urn, f"bucket {name}: audit records can be destroyed by {summarize(gaps, 3, '; ')}")
