"""Account security services: password policy, Config, GuardDuty, Security Hub, Access Analyzer, Inspector,
GuardDuty Malware Protection for S3, EBS and S3 account defaults. A service turned off in the settings shows up here, to be suppressed with a
reason where an organization runs it centrally."""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from policies.framework import (
    Requirements,
    StackView,
    View,
    Violation,
    as_list,
    parse_json,
    principals,
    stack_rule,
    statements,
)
from policies.rules import s3_support as s3

PASSWORD = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"


def _present(stack: StackView, typ: str, what: str) -> Iterator[Violation]:
    if not stack.of_type(typ):
        yield Violation(stack.anchor, f"{what} is not part of the stack")


@stack_rule(
    "GLZ-ACC-001",
    "iam-password-policy",
    "medium",
    Requirements(r2=("3.5.7", "3.5.8"), r3=("03.05.07",), hipaa=("164.308(a)(5)(ii)(D)",)),
    "Keep the account password policy: 14+ characters, all classes, reuse prevention 24, max age set.",
)
def password_policy(stack: StackView) -> Iterator[Violation]:
    """IAM user passwords are long, complex, not reused and expire."""
    policies = stack.of_type(PASSWORD)
    yield from _present(stack, PASSWORD, "the account password policy")
    for policy in policies:
        problems = []
        if float(policy.get("minimumPasswordLength") or 0) < 14:
            problems.append(f"minimum length {policy.get('minimumPasswordLength')}")
        for flag in ("requireLowercaseCharacters", "requireUppercaseCharacters", "requireNumbers", "requireSymbols"):
            if policy.get(flag) is not True:
                problems.append(f"{flag} off")
        if float(policy.get("passwordReusePrevention") or 0) < 24:
            problems.append(f"reuse prevention {policy.get('passwordReusePrevention')}")
        if not policy.get("maxPasswordAge"):
            problems.append("no maximum age")
        if problems:
            yield Violation(policy.urn, "password policy too weak: " + ", ".join(problems))


@stack_rule(
    "GLZ-ACC-002",
    "aws-config-records-everything",
    "high",
    Requirements(r2=("3.4.1", "3.4.3"), r3=("03.04.01", "03.04.03"), hipaa=("164.308(a)(1)(ii)(D)",)),
    "Record all supported resource types including global ones, with a delivery channel.",
)
def config_recorder(stack: StackView) -> Iterator[Violation]:
    """AWS Config records every resource type (global ones included) as configuration evidence."""
    recorders = stack.of_type("aws:cfg/recorder:Recorder")
    yield from _present(stack, "aws:cfg/recorder:Recorder", "the AWS Config recorder")
    yield from _present(stack, "aws:cfg/deliveryChannel:DeliveryChannel", "the AWS Config delivery channel")
    for recorder in recorders:
        group = recorder.get("recordingGroup") or {}
        if group.get("allSupported") is not True or group.get("includeGlobalResourceTypes") is not True:
            yield Violation(recorder.urn, "recorder does not record all resource types including global ones")


@stack_rule(
    "GLZ-ACC-003",
    "guardduty-enabled",
    "high",
    Requirements(
        r2=("3.14.6", "3.14.7", "3.14.2"),
        r3=("03.14.06", "03.14.02"),
        hipaa=("164.308(a)(1)(ii)(D)", "164.308(a)(5)(ii)(B)"),
    ),
    "Enable the GuardDuty detector with S3 protection.",
)
def guardduty(stack: StackView) -> Iterator[Violation]:
    """GuardDuty watches the account for threats, with S3 protection."""
    detectors = stack.of_type("aws:guardduty/detector:Detector")
    yield from _present(stack, "aws:guardduty/detector:Detector", "GuardDuty")
    for detector in detectors:
        if detector.get("enable") is False:
            yield Violation(detector.urn, "GuardDuty detector is disabled")
    features = {f.get("name"): f for f in stack.of_type("aws:guardduty/detectorFeature:DetectorFeature")}
    if detectors and (features.get("S3_DATA_EVENTS") or {}).get("status") != "ENABLED":
        yield Violation(stack.anchor, "GuardDuty S3 protection is not enabled")


@stack_rule(
    "GLZ-ACC-004",
    "security-hub-with-standards",
    "medium",
    Requirements(r2=("3.12.1", "3.12.3", "3.11.2"), r3=("03.12.01", "03.12.03", "03.11.02"), hipaa=("164.308(a)(8)",)),
    "Enable Security Hub with the NIST SP 800-171 (or 800-53) and AWS Foundational standards.",
)
def security_hub(stack: StackView) -> Iterator[Violation]:
    """Security Hub continuously assesses the account against NIST and AWS best-practice standards."""
    yield from _present(stack, "aws:securityhub/account:Account", "Security Hub")
    if stack.of_type("aws:securityhub/account:Account") and not stack.of_type(
        "aws:securityhub/standardsSubscription:StandardsSubscription"
    ):
        yield Violation(stack.anchor, "Security Hub has no standard enabled")


@stack_rule(
    "GLZ-ACC-005",
    "access-analyzer-present",
    "medium",
    Requirements(r2=("3.1.1", "3.11.2"), r3=("03.01.01", "03.11.02"), hipaa=("164.308(a)(1)(ii)(A)",)),
    "Create an IAM Access Analyzer for the account.",
)
def access_analyzer(stack: StackView) -> Iterator[Violation]:
    """IAM Access Analyzer flags resources shared outside the account."""
    yield from _present(stack, "aws:accessanalyzer/analyzer:Analyzer", "IAM Access Analyzer")


@stack_rule(
    "GLZ-ACC-006",
    "ebs-encryption-by-default",
    "high",
    Requirements(r2=("3.13.16",), r3=("03.13.08",), hipaa=("164.312(a)(2)(iv)",)),
    "Enable EBS encryption by default with the compute key.",
)
def ebs_default(stack: StackView) -> Iterator[Violation]:
    """Every new EBS volume in the region is encrypted, whoever creates it."""
    settings = stack.of_type("aws:ebs/encryptionByDefault:EncryptionByDefault")
    yield from _present(stack, "aws:ebs/encryptionByDefault:EncryptionByDefault", "EBS encryption by default")
    for setting in settings:
        if setting.get("enabled") is False:
            yield Violation(setting.urn, "EBS encryption by default is disabled")


@stack_rule(
    "GLZ-ACC-007",
    "s3-account-public-access-block",
    "high",
    Requirements(r2=("3.1.22",), r3=("03.01.22",), hipaa=("164.312(a)(1)",)),
    "Enable all four account-level S3 public access block settings.",
)
def account_pab(stack: StackView) -> Iterator[Violation]:
    """No bucket in the account can be made public, including ones created outside this stack."""
    typ = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
    yield from _present(stack, typ, "the account-level S3 public access block")
    for block in stack.of_type(typ):
        off = [
            f
            for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
            if block.get(f) is not True
        ]
        if off:
            yield Violation(block.urn, f"account public access block flags off: {', '.join(off)}")


CONFORMANCE_PACK = "aws:cfg/conformancePack:ConformancePack"


def _config_rule_owners(template: object) -> list[str]:
    """Source owners of the AWS::Config::ConfigRule resources in a conformance pack template."""
    try:
        document = yaml.safe_load(template) if isinstance(template, str) else None
    except yaml.YAMLError:
        return []
    resources = (document or {}).get("Resources") or {} if isinstance(document, dict) else {}
    return [
        str(((body or {}).get("Properties") or {}).get("Source", {}).get("Owner"))
        for body in resources.values()
        if isinstance(body, dict) and body.get("Type") == "AWS::Config::ConfigRule"
    ]


@stack_rule(
    "GLZ-ACC-008",
    "aws-config-conformance-pack",
    "medium",
    Requirements(r2=("3.12.1", "3.12.3"), r3=("03.12.01", "03.12.03"), hipaa=("164.308(a)(8)",)),
    "Deploy the generated conformance pack (controls/mapping) beside the AWS Config recorder.",
)
def conformance_pack(stack: StackView) -> Iterator[Violation]:
    """The managed rules the control matrix names run continuously in the account, not only in CI."""
    if not stack.of_type("aws:cfg/recorder:Recorder"):
        return  # GLZ-ACC-002 reports the missing recorder; a pack cannot run without one
    packs = stack.of_type(CONFORMANCE_PACK)
    yield from _present(stack, CONFORMANCE_PACK, "the AWS Config conformance pack")
    for pack in packs:
        owners = _config_rule_owners(pack.get("templateBody"))
        if not owners:
            yield Violation(pack.urn, "conformance pack template has no AWS Config rules")
        elif any(owner != "AWS" for owner in owners):
            yield Violation(pack.urn, "conformance pack contains rules not owned by AWS (custom code to review)")


INSPECTOR = "aws:inspector2/enabler:Enabler"
COMPUTE_ENVIRONMENT = "aws:batch/computeEnvironment:ComputeEnvironment"
INSPECTOR_REQUIRED_TYPES = ("EC2", "ECR")
"""What the Batch compute runs on (EC2 hosts) and from (private ECR images)."""


@stack_rule(
    "GLZ-ACC-009",
    "inspector-vulnerability-scanning",
    "high",
    Requirements(r2=("3.11.2", "3.14.1"), r3=("03.11.02", "03.14.01"), hipaa=("164.308(a)(1)(ii)(A)",)),
    "Enable Amazon Inspector (aws.inspector2.Enabler) for the stack's account with resource types EC2 and ECR.",
)
def inspector(stack: StackView) -> Iterator[Violation]:
    """Where the stack runs Batch compute, Amazon Inspector scans its EC2 hosts and ECR images for known CVEs."""
    if not stack.of_type(COMPUTE_ENVIRONMENT):
        return  # no hosts or pipeline images to scan
    enablers = stack.of_type(INSPECTOR)
    if not enablers:
        yield Violation(stack.anchor, "Amazon Inspector is not part of the stack, but it runs Batch compute")
        return
    account = stack.account_id
    covered: set[str] = set()
    for enabler in enablers:
        accounts = {str(a) for a in as_list(parse_json(enabler.get("accountIds")))}
        if account is not None and account not in accounts:
            yield Violation(
                enabler.urn, f"Inspector enabler names accounts {sorted(accounts)}, not the stack's {account}"
            )
            continue
        covered |= {str(t) for t in as_list(parse_json(enabler.get("resourceTypes")))}
    missing = [t for t in INSPECTOR_REQUIRED_TYPES if t not in covered]
    if missing:
        yield Violation(enablers[0].urn, f"Amazon Inspector does not scan {', '.join(missing)} for the stack's account")


MALWARE_PLAN = "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"
ROLE = "aws:iam/role:Role"
MALWARE_SCAN_SERVICE = "malware-protection-plan.guardduty.amazonaws.com"
INTAKE_TAG, INTAKE_TAG_VALUE = "MalwareScan", "on-upload"
DEFAULT_INTAKE_TIERS = ("bcl", "fastq", "reference")
"""Where external files land when no bucket says so by tag (a state written before the tag existed)."""


def intake_buckets(stack: StackView) -> list[View]:
    """Data buckets that receive files from outside the landing zone: those tagged MalwareScan=on-upload
    (GenomicsDataLake tags Settings.intake_tiers); when no data bucket carries the tag at all, the default
    intake tiers."""
    data = s3.data_buckets(stack)
    if any(INTAKE_TAG in b.tags for b in data):
        return [b for b in data if b.tags.get(INTAKE_TAG) == INTAKE_TAG_VALUE]
    return [b for b in data if s3.tier_of(b) in DEFAULT_INTAKE_TIERS]


def plan_bucket(plan: View) -> str | None:
    return ((plan.get("protectedResource") or {}).get("s3Bucket") or {}).get("bucketName")


def plan_tagging(plan: View) -> str:
    """ENABLED or DISABLED (the API's default when no tagging action is given)."""
    for action in as_list(plan.get("actions")):
        for tagging in as_list(action.get("taggings") or action.get("tagging")):
            if tagging.get("status"):
                return str(tagging["status"])
    return "DISABLED"


def plans_for(stack: StackView, bucket: View) -> list[View]:
    """Plans protecting ``bucket``: linked by property dependency (a preview) or by bucket name (any export)."""
    name = s3.bucket_name(bucket)
    return [
        p
        for p in stack.of_type(MALWARE_PLAN)
        if bucket.urn in (p.property_dependencies.get("protectedResource") or []) or plan_bucket(p) == name
    ]


def _role_of(stack: StackView, plan: View) -> View | None:
    linked = plan.property_dependencies.get("role") or []
    return next((r for r in stack.of_type(ROLE) if r.urn in linked or r.get("arn") == plan.get("role")), None)


@stack_rule(
    "GLZ-ACC-010",
    "s3-malware-protection-on-intake-buckets",
    "high",
    Requirements(r2=("3.14.2", "3.14.5"), r3=("03.14.02",), hipaa=("164.308(a)(5)(ii)(B)",)),
    "Keep securityServices.malwareProtectionS3 on: AccountSecurity gives every intake bucket (tag MalwareScan="
    "on-upload) a GuardDuty Malware Protection plan with object tagging ENABLED, no object prefixes, and a scan "
    "role trusted by malware-protection-plan.guardduty.amazonaws.com.",
)
def s3_malware_protection(stack: StackView) -> Iterator[Violation]:
    """Buckets where external files enter have GuardDuty scan every upload for malware and tag it with the result."""
    for bucket in intake_buckets(stack):
        name = s3.bucket_name(bucket)
        plans = plans_for(stack, bucket)
        if not plans:
            yield Violation(
                bucket.urn, f"bucket {name} receives external files but has no GuardDuty Malware Protection plan"
            )
            continue
        for plan in plans:
            where = f"Malware Protection plan for bucket {name}"
            if plan_tagging(plan) != "ENABLED":
                yield Violation(plan.urn, f"{where} does not tag scanned objects (tagging {plan_tagging(plan)})")
            prefixes = as_list((plan.get("protectedResource") or {}).get("s3Bucket", {}).get("objectPrefixes"))
            if prefixes:
                yield Violation(plan.urn, f"{where} scans only the prefixes {sorted(prefixes)}, not every upload")
            if not plan.get("role") and not plan.property_dependencies.get("role"):
                yield Violation(plan.urn, f"{where} has no IAM role to scan and tag with")
                continue
            role = _role_of(stack, plan)
            trusted = [p for s in statements(role.json("assumeRolePolicy")) for p in principals(s)] if role else []
            if role is not None and f"Service:{MALWARE_SCAN_SERVICE}" not in trusted:
                yield Violation(plan.urn, f"{where} uses role {role.name}, which {MALWARE_SCAN_SERVICE} cannot assume")
