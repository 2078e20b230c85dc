"""Account security services: password policy, Config, GuardDuty, Security Hub, Access Analyzer, Inspector,
GuardDuty Malware Protection for S3, EBS and S3 account defaults. A service turned off in the settings shows up here, to be suppressed with a
reason where an organization runs it centrally."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib.resources import files

import yaml

from policies.access import conditions as cond
from policies.access.actors import ROLE as ACTOR_ROLE
from policies.access.actors import Actor, account_of
from policies.access.model import model_of
from policies.framework import (
    Requirements,
    StackView,
    View,
    Violation,
    as_list,
    condition_values,
    names_anyone,
    parse_json,
    principals,
    stack_rule,
    statements,
)
from policies.rules import s3_support as s3
from policies.rules.audit import audit_buckets, is_false, is_true, label, refers_to, region_of
from policies.rules.audit import block as nested
from policies.rules.encryption import foreign_key

PASSWORD = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"


SERVICE_OF_TYPE = {
    PASSWORD: "passwordPolicy",
    "aws:cfg/recorder:Recorder": "awsConfig",
    "aws:cfg/deliveryChannel:DeliveryChannel": "awsConfig",
    "aws:guardduty/detector:Detector": "guardDuty",
    "aws:securityhub/account:Account": "securityHub",
    "aws:accessanalyzer/analyzer:Analyzer": "accessAnalyzer",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": "ebsEncryptionByDefault",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": "s3AccountPublicAccessBlock",
    "aws:inspector2/enabler:Enabler": "inspector",
    "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess": "snapshotBlockPublicAccess",
    "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess": "imageBlockPublicAccess",
}
"""Singleton type -> its accountServices key."""


def organization_held(stack: StackView, service: str) -> bool:
    """Does the stack declare ``service`` held by the organization (accountServices: organization)? The gate
    cannot see it offline: it takes the declaration, the matrix says so, and `glz audit` checks it is on."""
    return service in {str(s) for s in as_list(stack.outputs.get("organizationServices"))}


def _present(stack: StackView, typ: str, what: str) -> Iterator[Violation]:
    """The service's resource is in the stack, or declared held by the organization; the finding names the setting
    that creates it, so the report points at its line in Pulumi.<stack>.yaml (glz/sarif_locations)."""
    service = SERVICE_OF_TYPE.get(typ, "")
    if not stack.of_type(typ) and not organization_held(stack, service):
        fix = (
            f" (securityServices.{service}: true creates it; accountServices.{service}: organization declares it "
            "run by the organization)"
            if service
            else ""
        )
        yield Violation(stack.anchor, f"{what} is not part of the stack{fix}")


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


RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
ALL_SUPPORTED = "ALL_SUPPORTED_RESOURCE_TYPES"
CONTINUOUS = "CONTINUOUS"


def recording_problems(recorder: View) -> list[str]:
    """What a recorder leaves out. pulumi-aws v7 Recorder: allSupported defaults to true; global types only
    with includeGlobalResourceTypes true; exclusionByResourceTypes, resourceTypes and a recordingStrategy
    other than ALL_SUPPORTED_RESOURCE_TYPES narrow it; recordingFrequency DAILY (for all or, through
    recordingModeOverride, some types) keeps one configuration item a day instead of every change."""
    group = nested(recorder.get("recordingGroup"))
    problems = []
    listed = sorted(map(str, as_list(group.get("resourceTypes"))))
    if listed:
        problems.append(f"records only {', '.join(listed)}")
    elif is_false(group.get("allSupported")):
        problems.append("does not record all supported resource types")
    if not is_true(group.get("includeGlobalResourceTypes")):
        problems.append("leaves out global resource types (IAM users, roles, groups and policies)")
    excluded = sorted(
        str(t)
        for entry in as_list(group.get("exclusionByResourceTypes"))
        for t in as_list(nested(entry).get("resourceTypes"))
    )
    if excluded or as_list(group.get("exclusionByResourceTypes")):
        problems.append(f"excludes {', '.join(excluded) or 'resource types'}")
    strategies = [
        str(nested(s).get("useOnly"))
        for s in as_list(group.get("recordingStrategies")) + as_list(group.get("recordingStrategy"))
        if nested(s).get("useOnly")
    ]
    narrowed = sorted({s for s in strategies if s != ALL_SUPPORTED})
    if narrowed:
        problems.append(f"records by strategy {', '.join(narrowed)}")
    mode = nested(recorder.get("recordingMode"))
    if str(mode.get("recordingFrequency") or CONTINUOUS) != CONTINUOUS:
        problems.append(f"records only {mode.get('recordingFrequency')}, not every change")
    overrides = [
        nested(o) for o in as_list(mode.get("recordingModeOverride")) + as_list(mode.get("recordingModeOverrides"))
    ]
    daily = sorted(
        str(t)
        for o in overrides
        if str(o.get("recordingFrequency") or CONTINUOUS) != CONTINUOUS
        for t in as_list(o.get("resourceTypes"))
    )
    if daily:
        problems.append(f"records {', '.join(daily)} only daily")
    return problems


def recorder_statuses(stack: StackView, recorder: View) -> list[View]:
    """The RecorderStatus resources that start or stop ``recorder`` (by its name)."""
    return [s for s in stack.of_type(RECORDER_STATUS) if refers_to(s, "name", recorder, "name", "id")]


def recorder_running(stack: StackView, recorder: View) -> str | None:
    """Why the recorder does not run, or None: a recorder records nothing until a RecorderStatus with
    isEnabled true starts it."""
    statuses = recorder_statuses(stack, recorder)
    if not statuses:
        return "is never started (no RecorderStatus for it)"
    if not all(is_true(s.get("isEnabled")) for s in statuses):
        return "is stopped (RecorderStatus isEnabled false)"
    return None


def channels_to_audit_bucket(stack: StackView) -> list[View]:
    """Delivery channels that deliver to an audit bucket of the stack (Object-Locked with the trail's files)."""
    buckets = audit_buckets(stack)
    return [
        c
        for c in stack.of_type(DELIVERY_CHANNEL)
        if any(refers_to(c, "s3BucketName", b, "bucket", "id") for b in buckets)
    ]


@stack_rule(
    "GLZ-ACC-002",
    "aws-config-records-everything",
    "high",
    Requirements(r2=("3.4.1", "3.4.3"), r3=("03.04.01", "03.04.03"), hipaa=("164.308(a)(1)(ii)(D)",)),
    "Record all supported resource types including global ones, continuously, with no exclusions; start the "
    "recorder (RecorderStatus isEnabled true) and deliver to the audit bucket.",
)
def config_recorder(stack: StackView) -> Iterator[Violation]:
    """AWS Config records every resource type (global ones included), is running and delivers to the audit bucket."""
    recorders = stack.of_type(RECORDER)
    yield from _present(stack, RECORDER, "the AWS Config recorder")
    yield from _present(stack, DELIVERY_CHANNEL, "the AWS Config delivery channel")
    for recorder in recorders:
        for problem in recording_problems(recorder):
            yield Violation(recorder.urn, f"recorder {label(recorder)} {problem}")
        stopped = recorder_running(stack, recorder)
        if stopped:
            yield Violation(recorder.urn, f"recorder {label(recorder)} {stopped}")
    channels = stack.of_type(DELIVERY_CHANNEL)
    if channels and not channels_to_audit_bucket(stack):
        for channel in channels:
            yield Violation(
                channel.urn,
                f"delivery channel {label(channel)} delivers to {channel.get('s3BucketName')}, not the audit "
                f"bucket ({', '.join(s3.bucket_name(b) for b in audit_buckets(stack)) or 'none in the stack'})",
            )


DETECTOR = "aws:guardduty/detector:Detector"
DETECTOR_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
PUBLISHING_FREQUENCY = "FIFTEEN_MINUTES"
DEFAULT_PUBLISHING_FREQUENCY = "SIX_HOURS"
"""pulumi-aws v7 Detector: findingPublishingFrequency "otherwise defaults to SIX_HOURS"."""
S3_PROTECTION, EBS_MALWARE_PROTECTION = "S3_DATA_EVENTS", "EBS_MALWARE_PROTECTION"
REGIONS_WITHOUT_EBS_MALWARE_PROTECTION = frozenset(
    {"us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1", "ap-east-2"}
)
"""As components/security_services.py (rules import nothing from the components; a test keeps them equal):
where AccountSecurity does not turn on EBS malware scanning because GuardDuty does not offer it."""


def required_features(stack: StackView, detector: View) -> tuple[str, ...]:
    """The protection features AccountSecurity turns on for a detector in its region."""
    if region_of(stack, detector) in REGIONS_WITHOUT_EBS_MALWARE_PROTECTION:
        return (S3_PROTECTION,)
    return (S3_PROTECTION, EBS_MALWARE_PROTECTION)


def detector_features(stack: StackView, detector: View) -> dict[str, str]:
    """Feature name -> status of the DetectorFeature resources attached to ``detector`` (its id, or a
    property dependency on it); one DISABLED resource for a name wins over an ENABLED one."""
    statuses: dict[str, str] = {}
    for feature in stack.of_type(DETECTOR_FEATURE):
        if not refers_to(feature, "detectorId", detector, "id"):
            continue
        name, status = str(feature.get("name")), str(feature.get("status") or "DISABLED").upper()
        statuses[name] = status if statuses.get(name, "ENABLED") == "ENABLED" else statuses[name]
    return statuses


def publishing_frequency(detector: View) -> str:
    return str(detector.get("findingPublishingFrequency") or DEFAULT_PUBLISHING_FREQUENCY)


def legacy_datasources_off(detector: View) -> list[str]:
    """Protections the deprecated ``datasources`` block turns off (it and DetectorFeature set the same thing)."""
    sources = nested(detector.get("datasources"))
    off = []
    if is_false(nested(sources.get("s3Logs")).get("enable")):
        off.append(S3_PROTECTION)
    malware = nested(
        nested(nested(sources.get("malwareProtection")).get("scanEc2InstanceWithFindings")).get("ebsVolumes")
    )
    if is_false(malware.get("enable")):
        off.append(EBS_MALWARE_PROTECTION)
    return off


def guardduty_problems(stack: StackView, detector: View) -> list[str]:
    """What keeps a detector from doing what AccountSecurity sets up."""
    problems = []
    if is_false(detector.get("enable")):
        problems.append("is suspended (enable false)")
    frequency = publishing_frequency(detector)
    if frequency != PUBLISHING_FREQUENCY:
        problems.append(f"publishes updated findings every {frequency}, not every FIFTEEN_MINUTES")
    features = detector_features(stack, detector)
    legacy = legacy_datasources_off(detector)
    for name in required_features(stack, detector):
        if name in legacy:
            problems.append(f"has {name} turned off by the legacy datasources block")
        elif name not in features:
            problems.append(f"has no {name} feature attached")
        elif features[name] != "ENABLED":
            problems.append(f"has {name} {features[name]}")
    return problems


@stack_rule(
    "GLZ-ACC-003",
    "guardduty-enabled",
    "high",
    Requirements(
        r2=("3.14.6", "3.14.7", "3.14.2"),
        r3=("03.14.06", "03.14.02"),
        hipaa=("164.308(a)(1)(ii)(D)", "164.308(a)(5)(ii)(B)"),
    ),
    "Keep the AccountSecurity detector: enable true, findingPublishingFrequency FIFTEEN_MINUTES, DetectorFeature "
    "S3_DATA_EVENTS and (where offered) EBS_MALWARE_PROTECTION with status ENABLED and detector_id the "
    "detector's id; no legacy datasources block turning them off.",
)
def guardduty(stack: StackView) -> Iterator[Violation]:
    """GuardDuty is on and reports within 15 minutes, with S3 protection and (where offered) EBS malware scans."""
    yield from _present(stack, DETECTOR, "GuardDuty")
    for detector in stack.of_type(DETECTOR):
        for problem in guardduty_problems(stack, detector):
            yield Violation(detector.urn, f"GuardDuty detector {problem}")


HUB = "aws:securityhub/account:Account"
SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
STANDARDS_CONTROL = "aws:securityhub/standardsControl:StandardsControl"
CONTROL_ASSOCIATION = "aws:securityhub/standardsControlAssociation:StandardsControlAssociation"
REQUIRED_STANDARDS: dict[str, tuple[str, ...]] = {
    "NIST SP 800-171 (or NIST SP 800-53 r5, its superset)": ("standards/nist-800-171/", "standards/nist-800-53/"),
    "AWS Foundational Security Best Practices": ("standards/aws-foundational-security-best-practices/",),
}
"""What AccountSecurity subscribes by default (securityHubStandards: nist-800-171, aws-foundational; NIST
SP 800-53 r5 where the region lacks 800-171), by the path of the standard's ARN."""


def standard_path(arn: object) -> str:
    """'standards/nist-800-171/v/2.0.0' of arn:aws:securityhub:<region>::standards/nist-800-171/v/2.0.0."""
    return str(arn or "").split(":", 5)[-1]


def _arn_region(arn: object) -> str:
    parts = str(arn or "").split(":")
    return parts[3] if len(parts) > 3 else ""


def hub_subscriptions(stack: StackView, hub: View) -> tuple[list[View], list[str]]:
    """(subscriptions that subscribe ``hub``, why each other one does not). One belongs to the hub when it
    depends on the Security Hub account resource (BatchEnableStandards fails until Security Hub is on, so a
    subscription without that dependency is for another hub or races it) and is in the hub's region, with a
    standard of that region."""
    region = region_of(stack, hub)
    mine, others = [], []
    for subscription in stack.of_type(SUBSCRIPTION):
        arn = subscription.get("standardsArn")
        path = standard_path(arn)
        own_region = region_of(stack, subscription)
        tied = hub.urn in subscription.dependencies or any(
            hub.urn in (urns or []) for urns in subscription.property_dependencies.values()
        )
        if not tied:
            others.append(f"{path} (not tied to the Security Hub account resource)")
        elif region and own_region and own_region != region:
            others.append(f"{path} (in {own_region}, the hub in {region})")
        elif region and _arn_region(arn) and _arn_region(arn) != region:
            others.append(f"{path} (a standard of {_arn_region(arn)}, the hub in {region})")
        else:
            mine.append(subscription)
    return mine, others


def disabled_controls(stack: StackView, subscriptions: list[View]) -> list[tuple[View, str]]:
    """Controls switched off in a subscribed standard: (resource, 'control in standard')."""
    paths = {standard_path(s.get("standardsArn")) for s in subscriptions}
    found = []
    for control in stack.of_type(STANDARDS_CONTROL):
        arn = str(control.get("standardsControlArn") or "")
        standard, _, control_id = arn.partition(":control/")[2].rpartition("/")
        disabled = str(control.get("controlStatus") or "").upper() == "DISABLED" or control.get("disabledReason")
        if disabled and f"standards/{standard}" in paths:
            found.append((control, f"{control_id} in standards/{standard}"))
    for association in stack.of_type(CONTROL_ASSOCIATION):
        path = standard_path(association.get("standardsArn"))
        if str(association.get("associationStatus") or "").upper() == "DISABLED" and path in paths:
            found.append((association, f"{association.get('securityControlId')} in {path}"))
    return found


def missing_standards(subscriptions: list[View]) -> list[str]:
    paths = [standard_path(s.get("standardsArn")) for s in subscriptions]
    return [
        name
        for name, prefixes in REQUIRED_STANDARDS.items()
        if not any(path.startswith(prefix) for path in paths for prefix in prefixes)
    ]


@stack_rule(
    "GLZ-ACC-004",
    "security-hub-with-standards",
    "medium",
    Requirements(r2=("3.12.1", "3.12.3", "3.11.2"), r3=("03.12.01", "03.12.03", "03.11.02"), hipaa=("164.308(a)(8)",)),
    "Enable Security Hub (auto_enable_controls true) and subscribe, depending on it and in its region, the NIST "
    "SP 800-171 (or 800-53 r5) and AWS Foundational standards; do not disable their controls.",
)
def security_hub(stack: StackView) -> Iterator[Violation]:
    """Security Hub continuously assesses the account against NIST and AWS best-practice standards."""
    yield from _present(stack, HUB, "Security Hub")
    for hub in stack.of_type(HUB):
        if is_false(hub.get("autoEnableControls")):
            yield Violation(
                hub.urn, "Security Hub does not enable new controls of its standards (autoEnableControls false)"
            )
        subscriptions, others = hub_subscriptions(stack, hub)
        missing = missing_standards(subscriptions)
        if missing:
            note = f"; not counted: {'; '.join(others)}" if others else ""
            yield Violation(hub.urn, f"Security Hub is not subscribed to {', '.join(missing)}{note}")
        for control, what in disabled_controls(stack, subscriptions):
            yield Violation(
                control.urn, f"Security Hub control {what} is disabled, so the account is not assessed on it"
            )


ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
EXTERNAL_ACCESS_TYPES = ("ACCOUNT", "ORGANIZATION")
"""Analyzer types that report access from outside the zone of trust. ACCOUNT_UNUSED_ACCESS /
ORGANIZATION_UNUSED_ACCESS report unused roles, keys and permissions, ACCOUNT_INTERNAL_ACCESS /
ORGANIZATION_INTERNAL_ACCESS access from inside (IAM Access Analyzer API reference: external, internal and
unused access analyzers); pulumi-aws v7 Analyzer type defaults to ACCOUNT."""


def analyzer_type(analyzer: View) -> str:
    return str(analyzer.get("type") or "ACCOUNT")


def reports_external_access(analyzer: View) -> bool:
    return analyzer_type(analyzer) in EXTERNAL_ACCESS_TYPES


@stack_rule(
    "GLZ-ACC-005",
    "access-analyzer-present",
    "medium",
    Requirements(r2=("3.1.1", "3.11.2"), r3=("03.01.01", "03.11.02"), hipaa=("164.308(a)(1)(ii)(A)",)),
    "Create an IAM Access Analyzer of type ACCOUNT (or ORGANIZATION) for the account.",
)
def access_analyzer(stack: StackView) -> Iterator[Violation]:
    """IAM Access Analyzer flags resources shared outside the account."""
    analyzers = stack.of_type(ANALYZER)
    yield from _present(stack, ANALYZER, "IAM Access Analyzer")
    if analyzers and not any(reports_external_access(a) for a in analyzers):
        for analyzer in analyzers:
            yield Violation(
                analyzer.urn,
                f"analyzer {label(analyzer)} is of type {analyzer_type(analyzer)}, which does not report access "
                "from outside the account (types ACCOUNT or ORGANIZATION do)",
            )


UNUSED_ACCESS_TYPES = ("ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS")
MAX_UNUSED_ACCESS_DAYS = 90
"""The longest inactivity the gate accepts before an unused role, user or key is reported (3.5.6's defined
period; IAM Access Analyzer itself accepts 1-365 days)."""


def unused_access_age(analyzer: View) -> int | None:
    """Days without use after which ``analyzer`` reports an entity (configuration.unusedAccess.unusedAccessAge);
    None when unset or unreadable (AWS then applies its own default, which the stack does not rely on)."""
    age = nested(nested(analyzer.get("configuration")).get("unusedAccess")).get("unusedAccessAge")
    try:
        return int(age) if age is not None else None
    except (TypeError, ValueError):
        return None


def unused_access_exclusions(stack: StackView, analyzer: View) -> list[str]:
    """What the analyzer's analysis rule hides that belongs to this account: any resource-tag exclusion (any role
    or user, including one added later outside the stack, can carry the tag) and any exclusion of this account."""
    rule = nested(nested(nested(analyzer.get("configuration")).get("unusedAccess")).get("analysisRule"))
    hidden = []
    for exclusion in as_list(rule.get("exclusions")):
        exclusion = nested(exclusion)
        tags = [t for t in as_list(exclusion.get("resourceTags")) if t]
        accounts = {str(a) for a in as_list(exclusion.get("accountIds"))}
        if tags:
            hidden.append(f"entities tagged {tags}")
        if accounts and (stack.account_id in accounts or not stack.account_id):
            hidden.append(f"account {', '.join(sorted(accounts))}")
    return hidden


@stack_rule(
    "GLZ-ACC-013",
    "unused-access-analyzer",
    "medium",
    Requirements(r2=("3.5.6",), r3=("03.01.01",)),
    f"Keep an IAM Access Analyzer unused-access analyzer (securityServices.unusedAccessAnalyzer) reporting roles, "
    f"users and keys unused for at most {MAX_UNUSED_ACCESS_DAYS} days (securityServices.unusedAccessDays), "
    "excluding nothing of the account.",
)
def unused_access_analyzer(stack: StackView) -> Iterator[Violation]:
    """Identifiers unused for the defined period are reported, so they can be disabled (3.5.6)."""
    if organization_held(stack, "unusedAccessAnalyzer"):
        return
    analyzers = [a for a in stack.of_type(ANALYZER) if analyzer_type(a) in UNUSED_ACCESS_TYPES]
    if not analyzers:
        yield Violation(
            stack.anchor,
            "no IAM Access Analyzer of type ACCOUNT_UNUSED_ACCESS (or ORGANIZATION_UNUSED_ACCESS): nothing reports "
            "roles, users and access keys left unused",
        )
    for analyzer in analyzers:
        age = unused_access_age(analyzer)
        if age is None or age > MAX_UNUSED_ACCESS_DAYS:
            shown = "unset" if age is None else f"{age} days"
            yield Violation(
                analyzer.urn,
                f"analyzer {label(analyzer)} reports unused access after {shown}; at most "
                f"{MAX_UNUSED_ACCESS_DAYS} days (securityServices.unusedAccessDays)",
            )
        for hidden in unused_access_exclusions(stack, analyzer):
            yield Violation(analyzer.urn, f"analyzer {label(analyzer)} excludes {hidden} from unused-access findings")


CONTACT = "aws:account/alternativeContact:AlternativeContact"


def security_contacts(stack: StackView) -> tuple[list[View], list[str]]:
    """(this account's SECURITY alternate contacts, the other accounts that SECURITY contacts are set for).
    Without accountId a contact is the caller's account's (Account Management API, PutAlternateContact)."""
    own, foreign = [], []
    for contact in stack.of_type(CONTACT):
        if contact.get("alternateContactType") != "SECURITY":
            continue
        account = str(contact.get("accountId") or "")
        if account and account != stack.account_id:
            foreign.append(account)
        else:
            own.append(contact)
    return own, sorted(set(foreign))


@stack_rule(
    "GLZ-ACC-014",
    "security-contact",
    "medium",
    Requirements(hipaa=("164.308(a)(2)", "164.308(a)(6)(ii)")),
    "Set securityContact (name, title, emailAddress, phoneNumber of the security official): the account's SECURITY "
    "alternate contact, declared once; or accountServices.securityContact: organization where the management "
    "account sets it.",
)
def security_contact(stack: StackView) -> Iterator[Violation]:
    """AWS's security notices about the account (abuse, exposed credentials) reach the named security official."""
    if organization_held(stack, "securityContact"):
        return
    own, foreign = security_contacts(stack)
    if not own:
        elsewhere = f" (one is set for account {', '.join(foreign)}, not this one)" if foreign else ""
        yield Violation(
            stack.anchor,
            "no SECURITY alternate contact for this account: AWS's security notices reach only the root email"
            + elsewhere,
        )
    elif len(own) > 1:
        for contact in own:
            yield Violation(
                contact.urn,
                f"the SECURITY contact is declared {len(own)} times; each deployment leaves whichever was put last "
                f"({', '.join(str(c.get('emailAddress')) for c in own)})",
            )


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
    for default_key in stack.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey"):
        problem = foreign_key(stack, default_key.get("keyArn"))
        if problem:
            yield Violation(default_key.urn, f"default EBS key: {problem}")


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


SNAPSHOT_BPA = "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"
IMAGE_BPA = "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess"
MEDIA_BLOCKS = {
    # type: (what, the state that blocks; EC2 API Reference, EnableSnapshotBlockPublicAccess and
    # EnableImageBlockPublicAccess: block-new-sharing for snapshots would leave earlier public shares public)
    SNAPSHOT_BPA: ("EBS snapshot block public access", "block-all-sharing"),
    IMAGE_BPA: ("AMI block public access", "block-new-sharing"),
}


def media_sharing_problems(stack: StackView) -> list[tuple[str, str]]:
    """(urn, problem) for each region setting that lets snapshots or images become public."""
    problems = []
    for typ, (what, blocking) in MEDIA_BLOCKS.items():
        if organization_held(stack, SERVICE_OF_TYPE[typ]):
            continue
        settings = stack.of_type(typ)
        if not settings:
            problems.append((stack.anchor, f"{what} is not part of the stack"))
        for setting in settings:
            if setting.get("state") != blocking:
                problems.append((setting.urn, f"{what} is {setting.get('state') or 'unset'}; only {blocking} blocks"))
    return problems


@stack_rule(
    "GLZ-ACC-015",
    "media-public-sharing-blocked",
    "high",
    Requirements(r2=("3.1.22", "3.8.2"), r3=("03.01.22",), hipaa=("164.310(d)(1)",)),
    "Keep securityServices.snapshotBlockPublicAccess and imageBlockPublicAccess on: EBS snapshot block public "
    "access in block-all-sharing and AMI block public access in block-new-sharing (or accountServices: "
    "organization where a declarative policy sets them).",
)
def media_public_sharing(stack: StackView) -> Iterator[Violation]:
    """Copies of the stack's volumes (snapshots, images of Batch hosts) cannot leave the account publicly."""
    for urn, problem in media_sharing_problems(stack):
        yield Violation(urn, problem)


CONFORMANCE_PACK = "aws:cfg/conformancePack:ConformancePack"


def _config_rule_owners(template: object) -> list[str]:
    """Source owners of the AWS::Config::ConfigRule resources in a conformance pack template."""
    try:
        document = _parsed(template) if isinstance(template, str) else None
    except yaml.YAMLError:
        return []
    resources = (document or {}).get("Resources") or {} if isinstance(document, dict) else {}
    return [
        str(((body or {}).get("Properties") or {}).get("Source", {}).get("Owner"))
        for body in resources.values()
        if isinstance(body, dict) and body.get("Type") == "AWS::Config::ConfigRule"
    ]


def _config_rule_parameters(template: object) -> dict[str, dict[str, str]]:
    """SourceIdentifier -> InputParameters (as strings) of every managed rule in a pack template."""
    try:
        document = _parsed(template) if isinstance(template, str) else None
    except yaml.YAMLError:
        return {}
    resources = (document or {}).get("Resources") or {} if isinstance(document, dict) else {}
    found = {}
    for body in resources.values():
        properties = (body or {}).get("Properties") or {} if isinstance(body, dict) else {}
        identifier = (properties.get("Source") or {}).get("SourceIdentifier")
        if identifier:
            parameters = properties.get("InputParameters") or {}
            found[str(identifier)] = (
                {str(k): str(v) for k, v in parameters.items()} if isinstance(parameters, dict) else {}
            )
    return found


@lru_cache(maxsize=64)
def _parsed(template: str) -> object:
    """A pack template parsed once (with the C loader where PyYAML has it): three checks read each one."""
    return yaml.load(template, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


EXPECTED_PACK = "mapping/conformance_pack_expected.json"


def pack_expectations() -> dict[str, dict]:
    """What the deployed pack must hold, derived from the mapping files: every managed rule the framework
    mappings name, with the parameters of the project's rule catalog, and each rule's catalog Scope. Kept
    compiled in controls/mapping/conformance_pack_expected.json (parsing the mappings cost more than the
    rules of a small stack); tests/test_conformance_pack.py fails when the file no longer matches them.
    Regenerate: python -m policies.rules.write_pack_expectations."""
    mapping = files("controls").joinpath("mapping")
    rules = _parsed(mapping.joinpath("config_rules.yaml").read_text())["rules"]
    catalog = {str(r["identifier"]): {str(k): str(v) for k, v in (r.get("parameters") or {}).items()} for r in rules}
    named: set[str] = set()
    for framework in ("nist_800_171_r2", "nist_800_171_r3", "hipaa"):
        requirements = _parsed(mapping.joinpath(f"{framework}.yaml").read_text()).get("requirements") or {}
        for record in requirements.values():
            named.update(str(i) for i in (record or {}).get("config_rules") or [])
    return {
        "rules": {i: catalog.get(i, {}) for i in sorted(named)},
        "scopes": {str(r["identifier"]): sorted(map(str, r.get("scope") or ())) for r in rules},
    }


@cache
def _compiled_pack() -> dict[str, dict]:
    return json.loads(files("controls").joinpath(EXPECTED_PACK).read_text())


def _expected_pack() -> dict[str, dict[str, str]]:
    """Managed rule -> parameters the deployed pack must hold (see pack_expectations)."""
    return _compiled_pack()["rules"]


def _catalog_scopes() -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in _compiled_pack()["scopes"].items()}


def _pack_scope_problems(template: object) -> list[str]:
    """Managed rules whose Scope differs from the catalog's: narrowed to one resource or tag (or to other
    types), a rule evaluates nothing the matrix relies on."""
    try:
        document = _parsed(template) if isinstance(template, str) else None
    except yaml.YAMLError:
        return []
    resources = (document or {}).get("Resources") or {} if isinstance(document, dict) else {}
    problems = []
    for body in resources.values():
        properties = (body or {}).get("Properties") or {} if isinstance(body, dict) else {}
        identifier = str((properties.get("Source") or {}).get("SourceIdentifier"))
        scope = properties.get("Scope") or {}
        if identifier not in _catalog_scopes() or not isinstance(scope, dict):
            continue
        types = tuple(sorted(map(str, scope.get("ComplianceResourceTypes") or ())))
        narrowed = [k for k in scope if k != "ComplianceResourceTypes"]
        if narrowed or types != _catalog_scopes()[identifier]:
            problems.append(f"{identifier} (scope {scope})")
    return problems


@stack_rule(
    "GLZ-ACC-008",
    "aws-config-conformance-pack",
    "medium",
    Requirements(r2=("3.12.1", "3.12.3"), r3=("03.12.01", "03.12.03"), hipaa=("164.308(a)(8)",)),
    "Deploy the generated conformance pack (controls/mapping) beside the AWS Config recorder.",
)
def conformance_pack(stack: StackView) -> Iterator[Violation]:
    """The managed rules the control matrix names run continuously in the account, not only in CI: every one
    of them, with the parameters the rule catalog sets."""
    if not stack.of_type("aws:cfg/recorder:Recorder") and not organization_held(stack, "awsConfig"):
        return  # GLZ-ACC-002 reports the missing recorder; a pack cannot run without one
    packs = stack.of_type(CONFORMANCE_PACK)
    yield from _present(stack, CONFORMANCE_PACK, "the AWS Config conformance pack")
    expected = _expected_pack()
    for pack in packs:
        owners = _config_rule_owners(pack.get("templateBody"))
        if not owners:
            yield Violation(pack.urn, "conformance pack template has no AWS Config rules")
        elif any(owner != "AWS" for owner in owners):
            yield Violation(pack.urn, "conformance pack contains rules not owned by AWS (custom code to review)")
        deployed = _config_rule_parameters(pack.get("templateBody"))
        missing = sorted(set(expected) - set(deployed))
        if missing:
            yield Violation(pack.urn, f"conformance pack lacks rules the control matrix names: {', '.join(missing)}")
        scoped = _pack_scope_problems(pack.get("templateBody"))
        if scoped:
            yield Violation(
                pack.urn, f"conformance pack rules evaluate less than the catalog says: {', '.join(scoped)}"
            )
        changed = sorted(i for i in set(expected) & set(deployed) if deployed[i] != expected[i])
        for identifier in changed:
            yield Violation(
                pack.urn,
                f"conformance pack rule {identifier} runs with {deployed[identifier]}, not the catalog's {expected[identifier]}",
            )


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
    if not enablers and organization_held(stack, "inspector"):
        return
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
    return stack.linked(
        MALWARE_PLAN,
        "protectedResource",
        bucket.urn,
        s3.bucket_name(bucket),
        value_prop=("protectedResource", "s3Bucket", "bucketName"),
    )


def _role_of(stack: StackView, plan: View) -> View | None:
    """The plan's role: by property dependency (a preview) or by ARN (any export); the first in state order."""
    linked = [stack.by_urn[u] for u in plan.property_dependencies.get("role") or [] if u in stack.by_urn]
    found = [r for r in linked if r.type == ROLE] + stack.find_by_value(ROLE, "arn", plan.get("role"))
    return stack.ordered(found)[0] if found else None


def scanner_roles(stack: StackView, plans: list[View]) -> list[View]:
    """The roles of the given malware protection plans (those found)."""
    return [r for r in (_role_of(stack, p) for p in plans) if r is not None]


def _scanned_by(stack: StackView) -> dict[str, set[str]]:
    """Role URN -> the buckets its plans protect (every plan's role looked up once)."""
    found: dict[str, set[str]] = {}
    for plan in stack.of_type(MALWARE_PLAN):
        role = _role_of(stack, plan)
        if role is not None:
            found.setdefault(role.urn, set()).add(plan_bucket(plan) or "")
    return found


ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KMS_KEY = "aws:kms/key:Key"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PLAN_SOURCE_ARN = re.compile(r"^arn:aws[\w-]*:guardduty:[a-z0-9-]+:(\d{12}):malware-protection-plan/")
MANAGED_RULE_NAME = "rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3"
VALIDATION_OBJECT = "malware-protection-resource-validation-object"
SCAN_ROLE_ACTIONS = frozenset(
    {
        "events:putrule",
        "events:deleterule",
        "events:puttargets",
        "events:removetargets",
        "events:describerule",
        "events:listtargetsbyrule",
        "s3:getobject",
        "s3:getobjectversion",
        "s3:getobjecttagging",
        "s3:getobjectversiontagging",
        "s3:putobjecttagging",
        "s3:putobjectversiontagging",
        "s3:getbucketnotification",
        "s3:putbucketnotification",
        "s3:listbucket",
        "s3:putobject",
        "kms:decrypt",
        "kms:generatedatakey",
    }
)
"""What AWS documents for a Malware Protection for S3 role (lower case: IAM compares actions ignoring case)."""


def _names_role(entry: str, role: View) -> bool:
    """Whether a principal ARN in a policy is ``role`` (by ARN, or by name where the ARN is not known yet)."""
    if role.get("arn"):
        return entry == role.get("arn")
    return bool(entry and role.get("name")) and entry.endswith(f":role/{role.get('name')}")


def _trust_problems(role: View, account: str | None) -> list[str]:
    """What is missing from the scan role's trust: the service itself, then the confused-deputy guard
    (aws:SourceAccount = the stack's account, aws:SourceArn = Malware Protection plans of that account)."""
    allows = [
        s
        for s in statements(role.json("assumeRolePolicy"))
        if s.get("Effect") == "Allow" and f"Service:{MALWARE_SCAN_SERVICE}" in principals(s)
    ]
    if not allows:
        return [f"which {MALWARE_SCAN_SERVICE} cannot assume"]
    problems = []
    for statement in allows:
        accounts = [str(a) for a in condition_values(statement, "StringEquals", "aws:SourceAccount")]
        arns = [
            str(a)
            for operator in ("ArnLike", "ArnEquals")
            for a in condition_values(statement, operator, "aws:SourceArn")
        ]
        if not accounts or any(not a.isdigit() or (account and a != account) for a in accounts):
            problems.append(f"whose trust does not require aws:SourceAccount = {account or 'the stack account'}")
        matches = [PLAN_SOURCE_ARN.match(a) for a in arns]
        if not arns or any(m is None or (account and m.group(1) != account) for m in matches):
            problems.append(
                "whose trust does not limit aws:SourceArn to Malware Protection plans of "
                f"{account or 'the stack account'}"
            )
    return sorted(set(problems))


def _bucket_of(resource: str) -> tuple[str, str] | None:
    """(bucket, key pattern) of an S3 ARN; None for anything else."""
    if ":s3:::" not in resource:
        return None
    bucket, _, key = resource.split(":s3:::", 1)[1].partition("/")
    return bucket, key


def _attached_to(stack: StackView, typ: str, role: View) -> list[View]:
    """Resources of ``typ`` on ``role``: linked by property dependency (a preview) or by role name (any export)."""
    return stack.linked(typ, "role", role.urn, role.get("name") or None)


def _scope_problems(stack: StackView, role: View, bucket_name: str) -> list[str]:
    """How the scan role's permissions reach beyond what GuardDuty needs for ``bucket_name``."""
    problems = []
    data_keys = {str(k.get("arn")) for k in stack.of_type(KMS_KEY) if k.tags.get("Purpose") == "data" and k.get("arn")}
    for attachment in _attached_to(stack, ROLE_POLICY_ATTACHMENT, role):
        problems.append(f"has the managed policy {attachment.get('policyArn')} attached")
    for policy in _attached_to(stack, ROLE_POLICY, role):
        for statement in statements(policy.json("policy")):
            if statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid", "?")
            if statement.get("NotAction") or statement.get("NotResource"):
                problems.append(f"statement {sid} uses NotAction or NotResource")
                continue
            actions = [str(a).lower() for a in as_list(statement.get("Action"))]
            extra = sorted(a for a in actions if a not in SCAN_ROLE_ACTIONS)
            if extra:
                problems.append(f"statement {sid} allows {', '.join(extra)}, which scanning does not need")
            for resource in (str(r) for r in as_list(statement.get("Resource"))):
                s3_resource = _bucket_of(resource)
                if s3_resource is not None:
                    bucket, key = s3_resource
                    if bucket != bucket_name:
                        problems.append(f"statement {sid} reaches S3 resource {resource}, beyond bucket {bucket_name}")
                    elif "s3:putobject" in actions and key != VALIDATION_OBJECT:
                        problems.append(f"statement {sid} lets it write {resource}, not only the validation object")
                elif ":kms:" in resource and ":key/" in resource and "*" not in resource:
                    if data_keys and resource not in data_keys:
                        problems.append(f"statement {sid} uses the key {resource}, not the data key")
                    if not condition_values(statement, "StringEquals", "kms:ViaService"):
                        problems.append(f"statement {sid} uses the key {resource} outside S3 (no kms:ViaService)")
                elif ":events:" in resource and f":{MANAGED_RULE_NAME}" in resource:
                    continue
                else:
                    problems.append(f"statement {sid} reaches {resource}, beyond bucket {bucket_name} and its key")
    return problems


def _policy_principals(stack: StackView) -> dict[str, list[str]]:
    """Principal entry (ARN or pattern) named in a data bucket's policy -> those buckets, in bucket order:
    read once, not once per scan role."""
    found: dict[str, list[str]] = {}
    for bucket in s3.data_buckets(stack):
        name = s3.bucket_name(bucket)
        policy = s3.sibling(stack, bucket, s3.POLICY)
        if policy is None:
            continue
        for statement in statements(policy.json("policy")):
            for entry in [
                *condition_values(statement, "ArnNotLike", "aws:PrincipalArn"),
                *condition_values(statement, "ArnNotEquals", "aws:PrincipalArn"),
                *[q.partition(":")[2] for q in principals(statement)],
            ]:
                buckets = found.setdefault(str(entry), [])
                if name not in buckets:
                    buckets.append(name)
    return found


def _exempt_elsewhere(stack: StackView, role: View, scanned: set[str]) -> Iterator[str]:
    """Data buckets, other than the ones the role scans, whose policy names the scan role."""
    index = stack.memo("data bucket policy principals", _policy_principals)
    if role.get("arn"):
        named = set(index.get(str(role.get("arn")), []))
    else:  # a preview: the ARN is not known yet, the name is
        named = {b for entry, buckets in index.items() if _names_role(entry, role) for b in buckets}
    for bucket in s3.data_buckets(stack):
        name = s3.bucket_name(bucket)
        if name in named and name not in scanned:
            yield name


@stack_rule(
    "GLZ-ACC-010",
    "s3-malware-protection-on-intake-buckets",
    "high",
    Requirements(r2=("3.14.2", "3.14.5"), r3=("03.14.02",), hipaa=("164.308(a)(5)(ii)(B)",)),
    "Keep securityServices.malwareProtectionS3 on: AccountSecurity gives every intake bucket (tag MalwareScan="
    "on-upload) a GuardDuty Malware Protection plan with object tagging ENABLED, no object prefixes, and a scan "
    "role trusted only by malware-protection-plan.guardduty.amazonaws.com for plans of the stack's account "
    "(aws:SourceAccount, aws:SourceArn), whose policy (components/malware_policies.role_policy) reaches only "
    "that bucket, the data key through S3 and GuardDuty's managed EventBridge rule, and which only that "
    "bucket's policy exempts from the VPC-endpoint deny.",
)
def s3_malware_protection(stack: StackView) -> Iterator[Violation]:
    """Buckets where external files enter have GuardDuty scan and tag every upload, with a role scoped to that bucket."""
    account = stack.account_id
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
            if role is None:
                if plan.get("role"):
                    yield Violation(
                        plan.urn,
                        f"{where} uses role {plan.get('role')}, which the stack does not define (its trust and "
                        "permissions go unchecked)",
                    )
                continue
            for problem in _trust_problems(role, account):
                yield Violation(plan.urn, f"{where} uses role {role.name}, {problem}")
            for problem in _scope_problems(stack, role, name):
                yield Violation(role.urn, f"scan role {role.name} of bucket {name}: {problem}")
            scanned = stack.memo("buckets scanned by role", _scanned_by).get(role.urn, set())
            for other in _exempt_elsewhere(stack, role, scanned | {name}):
                yield Violation(
                    role.urn, f"scan role {role.name} of bucket {name} is also named in the policy of bucket {other}"
                )


SCAN_STATUS_TAG = "GuardDutyMalwareScanStatus"
EXISTING_SCAN_TAG = f"s3:ExistingObjectTag/{SCAN_STATUS_TAG}".lower()
INFECTED = "THREATS_FOUND"
READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
SET_TAG_ACTIONS = ("s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectVersionTagging")
RETAG_ACTIONS = (
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
)
EXEMPTION_OPERATORS = ("ArnNotLike", "ArnNotEquals")


def _covers(statement: dict, actions: tuple[str, ...], bucket_name: str) -> bool:
    """A Deny for everyone that covers ``actions`` on every object of the bucket."""
    if statement.get("Effect") != "Deny" or not names_anyone(statement) or statement.get("NotAction"):
        return False
    patterns = [str(a).lower() for a in as_list(statement.get("Action"))]
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    on_objects = any(
        r == "*" or fnmatch.fnmatchcase(f"{bucket_name}/any-object", r.split(":s3:::", 1)[-1]) for r in resources
    )
    return on_objects and all(any(fnmatch.fnmatchcase(a.lower(), p) for p in patterns) for a in actions)


def _split_condition(statement: dict) -> tuple[list[str], dict[str, dict[str, list[str]]]]:
    """(principal ARNs exempted through aws:PrincipalArn, every other condition as operator -> key -> values)."""
    exempt: list[str] = []
    other: dict[str, dict[str, list[str]]] = {}
    for operator, body in (statement.get("Condition") or {}).items():
        for key, value in (body or {}).items():
            values = [str(v) for v in as_list(value)]
            if operator in EXEMPTION_OPERATORS and key.lower() == "aws:principalarn":
                exempt += values
            else:
                other.setdefault(operator, {})[key.lower()] = values
    return exempt, other


def _exemption_problem(exempt: list[str], allowed: list[View], what: str) -> str | None:
    loose = sorted(e for e in exempt if "*" in e or "?" in e or not any(_names_role(e, r) for r in allowed))
    if loose:
        return f"{what} exempts {', '.join(loose)}"
    return None


def _only(other: dict[str, dict[str, list[str]]], operator: str, key: str) -> list[str] | None:
    """The values of the statement's single non-exemption condition, if it is ``operator`` on ``key``."""
    if list(other) == [operator] and list(other[operator]) == [key]:
        return other[operator][key]
    return None


def _is_read_guard(other: dict[str, dict[str, list[str]]]) -> bool:
    return INFECTED in (_only(other, "StringEquals", EXISTING_SCAN_TAG) or [])


def _is_set_guard(other: dict[str, dict[str, list[str]]]) -> bool:
    # ForAnyValue: a request without tags has no keys and passes; one naming the key in any case is refused.
    keys = _only(other, "ForAnyValue:StringEqualsIgnoreCase", "s3:requestobjecttagkeys") or []
    return SCAN_STATUS_TAG.lower() in [k.lower() for k in keys]


def _is_retag_guard(other: dict[str, dict[str, list[str]]]) -> bool:
    return _only(other, "StringLike", EXISTING_SCAN_TAG) == ["*"] or _only(other, "Null", EXISTING_SCAN_TAG) == [
        "false"
    ]


RUN_TAG_KEY = "SequencingRun"  # components.data_access.RUN_TAG_KEY
CLEAN = "NO_THREATS_FOUND"


def _tag_request(existing: str | None, keys: list[str], scan: str | None) -> dict[str, object]:
    """A tagging request's context: the object's scan tag now (None: not scanned), the request's tag keys and the
    scan tag value it asks for (None: absent)."""
    return {
        EXISTING_SCAN_TAG: cond.MISSING if existing is None else existing,
        "s3:requestobjecttagkeys": keys,
        f"s3:requestobjecttag/{SCAN_STATUS_TAG}".lower(): cond.MISSING if scan is None else scan,
    }


FORGERIES: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("uploads an object labelled clean", "s3:PutObject", _tag_request(None, [SCAN_STATUS_TAG], CLEAN)),
    (
        "labels an unscanned object clean",
        "s3:PutObjectTagging",
        _tag_request(None, [SCAN_STATUS_TAG, RUN_TAG_KEY], CLEAN),
    ),
    (
        "relabels an infected object clean",
        "s3:PutObjectTagging",
        _tag_request(INFECTED, [SCAN_STATUS_TAG, RUN_TAG_KEY], CLEAN),
    ),
    ("strips an infected object's result", "s3:PutObjectTagging", _tag_request(INFECTED, [RUN_TAG_KEY], None)),
    ("drops a clean object's result", "s3:PutObjectTagging", _tag_request(CLEAN, [RUN_TAG_KEY], None)),
    (
        "changes a clean object's result",
        "s3:PutObjectTagging",
        _tag_request(CLEAN, [SCAN_STATUS_TAG, RUN_TAG_KEY], INFECTED),
    ),
    (
        "adds a look-alike of the scan tag",
        "s3:PutObjectTagging",
        _tag_request(CLEAN, [SCAN_STATUS_TAG, SCAN_STATUS_TAG.lower()], CLEAN),
    ),
    ("adds a tag other than the run's", "s3:PutObjectTagging", _tag_request(CLEAN, [SCAN_STATUS_TAG, "Owner"], CLEAN)),
    ("retags an older version", "s3:PutObjectVersionTagging", _tag_request(INFECTED, [SCAN_STATUS_TAG], CLEAN)),
    ("removes a scanned object's tags", "s3:DeleteObjectTagging", _tag_request(INFECTED, [], None)),
    ("removes a scanned version's tags", "s3:DeleteObjectVersionTagging", _tag_request(INFECTED, [], None)),
)
"""Requests that would forge, change or drop GuardDuty's result. A role the scan-tag guards exempt beyond the
scanner and the investigators (the run workflow, which tags clean objects with their run) is accepted only
when the bucket policy still refuses it every one of them."""


def _other_stack_role(stack: StackView, entry: str, allowed: list[View]) -> bool:
    """A literal ARN of a role the stack defines, other than the guard's own exempted roles."""
    if "*" in entry or "?" in entry or any(_names_role(entry, r) for r in allowed):
        return False
    return any(_names_role(entry, r) for r in stack.of_type(ROLE))


def _unconstrained(stack: StackView, bucket_name: str, arn: str) -> list[str]:
    """The forgeries the bucket policy's denies do not surely refuse ``arn`` (the access model's evaluation)."""
    model = model_of(stack)
    actor = Actor(ACTOR_ROLE, arn, account_of(arn))
    target = f"arn:aws:s3:::{bucket_name}/glz-probe/object"
    return [what for what, action, scenario in FORGERIES if not model.resource_denies(actor, action, target, scenario)]


def _guard_problems(stack: StackView, bucket: View, scanners: list[View]) -> list[str]:
    name = s3.bucket_name(bucket)
    policy = s3.sibling(stack, bucket, s3.POLICY)
    if policy is None:
        return ["is missing, so nothing guards the scan-status tag"]
    if policy.get("policy") is None:
        return []  # not known yet (a preview before the bucket exists)
    # break-glass investigates quarantined objects; the day-to-day admin reads no genomic data (data_guardrails)
    investigators = [r for r in stack.of_type(ROLE) if r.tags.get("OperatorRole") == "break-glass"]
    guards = {
        "read": (READ_ACTIONS, _is_read_guard, scanners + investigators),
        "set": (SET_TAG_ACTIONS, _is_set_guard, scanners),
        "retag": (RETAG_ACTIONS, _is_retag_guard, scanners + investigators),
    }
    missing = {
        "read": f"does not deny reading objects tagged {SCAN_STATUS_TAG}={INFECTED} ({', '.join(READ_ACTIONS)})",
        "set": (
            f"does not deny uploads and retags that set the {SCAN_STATUS_TAG} tag (ForAnyValue:StringEqualsIgnoreCase "
            f"on s3:RequestObjectTagKeys; {', '.join(SET_TAG_ACTIONS)})"
        ),
        "retag": f"does not deny changing or removing the tags of scanned objects ({', '.join(RETAG_ACTIONS)})",
    }
    policy_statements = statements(policy.json("policy"))
    problems = []
    for guard, (actions, matches, allowed) in guards.items():
        candidates = [
            (statement, exempt)
            for statement in policy_statements
            for exempt, other in [_split_condition(statement)]
            if _covers(statement, actions, name) and matches(other)
        ]
        verdicts = []
        for statement, exempt in candidates:
            where = f"statement {statement.get('Sid', '?')} ({guard} guard)"
            taggers = [e for e in exempt if guard != "read" and _other_stack_role(stack, e, allowed)]
            loose = {t: _unconstrained(stack, name, t) for t in taggers}
            verdicts.append(
                _exemption_problem([e for e in exempt if e not in taggers], allowed, where)
                or next(
                    (
                        f"{where} exempts {t}, which it does not keep from a forgery: it {', '.join(w)}"
                        for t, w in loose.items()
                        if w
                    ),
                    None,
                )
            )
        if not candidates:
            problems.append(missing[guard])
        elif all(verdicts):  # every statement that would guard exempts more than the roles it may
            problems.append(str(verdicts[0]))
    return problems


@stack_rule(
    "GLZ-ACC-011",
    "malware-scan-tag-guards-on-intake-buckets",
    "high",
    Requirements(r2=("3.14.2", "3.14.5"), r3=("03.14.02",), hipaa=("164.308(a)(5)(ii)(B)", "164.312(c)(1)")),
    "Keep the intake bucket statements of components/malware_policies.intake_bucket_statements: Deny "
    "s3:GetObject/GetObjectVersion of objects tagged GuardDutyMalwareScanStatus=THREATS_FOUND (except the scan "
    "role and the break-glass role), Deny uploads and retags whose tag keys include GuardDutyMalwareScanStatus "
    "(ForAnyValue:StringEqualsIgnoreCase, except the scan role), and Deny changing or removing the tags of "
    "scanned objects (except the scan role and the break-glass role); exempt named roles only, never a pattern.",
)
def malware_scan_tag_guards(stack: StackView) -> Iterator[Violation]:
    """Only GuardDuty sets the scan tag, only it or investigators change it; THREATS_FOUND objects are unreadable."""
    for bucket in intake_buckets(stack):
        plans = plans_for(stack, bucket)
        if not plans:
            continue  # GLZ-ACC-010 reports the missing plan; without scans there is no tag to guard
        scanners = scanner_roles(stack, plans)
        for problem in _guard_problems(stack, bucket, scanners):
            yield Violation(bucket.urn, f"intake bucket {s3.bucket_name(bucket)}: bucket policy {problem}")
