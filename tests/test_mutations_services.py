"""Services judged by what they do (issue 12): a service that exists but does not do its job fails its rule,
however the weakening is written.

Each weakening below comes in at least three equivalent forms; every form must fail the named rule on a
copy of the demo state, and the clean demo must pass. The last tests flip a property and watch the control
matrix's sentence change with it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from glz.gate import run_rules
from glz.state import StackState
from policies.rules import ALL_RULES
from tests.conftest import ROOT, matrix_of
from tests.mutations import apply, find, remove

Change = Callable[[dict], None]
TODAY = dt.date(2026, 11, 23)
ACCOUNT, REGION = "111122223333", "us-east-1"
PROJECT = "urn:pulumi:demo::genomics-landing-zone::"

HUB = "aws:securityhub/account:Account"
SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
STANDARDS_CONTROL = "aws:securityhub/standardsControl:StandardsControl"
CONTROL_ASSOCIATION = "aws:securityhub/standardsControlAssociation:StandardsControlAssociation"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
BUCKET = "aws:s3/bucket:Bucket"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"

STANDARDS = f"arn:aws:securityhub:{REGION}::standards"
NIST = f"{STANDARDS}/nist-800-171/v/2.0.0"
FOUNDATIONAL = f"{STANDARDS}/aws-foundational-security-best-practices/v/1.0.0"
BCL = f"arn:aws:s3:::glz-demo-bcl-{ACCOUNT}-{REGION}"
AUDIT_BUCKET = f"glz-demo-audit-{ACCOUNT}-{REGION}"
ACCESS_LOG_BUCKET = f"glz-demo-access-logs-{ACCOUNT}-{REGION}"
RESULTS_BUCKET = f"glz-demo-results-{ACCOUNT}-{REGION}"
FLOW_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/glz/demo/vpc-flow-logs"


# ---- ways to change a state ----------------------------------------------------------------------


def props(typ: str, where: str = "", /, _every: bool = False, **values: Any) -> Change:
    """Set properties (inputs and outputs) of the first resource of ``typ`` named *where*; None deletes."""

    def mutate(document: dict) -> None:
        for resource in find(document, typ, where)[: None if _every else 1]:
            for section in ("inputs", "outputs"):
                target = resource.get(section)
                if target is None:
                    continue
                for key, value in values.items():
                    if value is None:
                        target.pop(key, None)
                    else:
                        target[key] = value

    return mutate


def props_all(typ: str, /, **values: Any) -> Change:
    """Set properties of every resource of ``typ``."""
    return props(typ, "", True, **values)


def unlink(typ: str, name: str = "", *keys: str, dependencies: bool = False) -> Change:
    """Drop property dependencies (``keys``, or all) and, optionally, the dependencies of matching resources."""

    def mutate(document: dict) -> None:
        for resource in find(document, typ, name):
            deps = resource.get("propertyDependencies") or {}
            for key in keys or list(deps):
                deps.pop(key, None)
            if dependencies:
                resource["dependencies"] = []

    return mutate


def edit(typ: str, name: str, key: str, change: Callable[[Any], Any]) -> Change:
    """Replace property ``key`` of the first matching resource with ``change(current value)``."""

    def mutate(document: dict) -> None:
        resource = find(document, typ, name)[0]
        for section in ("inputs", "outputs"):
            target = resource.get(section) or {}
            if key in target or section == "inputs":
                target[key] = change(json.loads(json.dumps(target.get(key))))

    return mutate


def add(typ: str, name: str, inputs: dict, component: str = "glz:security:AccountSecurity", **links: Any) -> Change:
    """Add a resource the way an export lists it (a child of ``component``)."""

    def mutate(document: dict) -> None:
        parent = next(
            r["urn"] for r in document["deployment"]["resources"] if r["type"] == component and "$" not in r["urn"]
        )
        template = find(document, DETECTOR)[0]
        document["deployment"]["resources"].append(
            {
                "urn": f"{PROJECT}{component}${typ}::{name}",
                "custom": True,
                "id": name,
                "type": typ,
                "inputs": dict(inputs),
                "outputs": dict(inputs),
                "parent": parent,
                "provider": template["provider"],
                "dependencies": list(links.get("dependencies", [])),
                "propertyDependencies": dict(links.get("property_dependencies", {})),
            }
        )

    return mutate


def chain(*changes: Change) -> Change:
    def mutate(document: dict) -> None:
        for change in changes:
            change(document)

    return mutate


def duplicate(typ: str, name: str, new_name: str, **values: Any) -> Change:
    """Add a copy of a resource under another logical name, with ``values`` changed."""

    def mutate(document: dict) -> None:
        original = find(document, typ, name)[0]
        copy = json.loads(json.dumps(original))
        copy["urn"] = original["urn"].rsplit("::", 1)[0] + f"::{new_name}"
        for section in ("inputs", "outputs"):
            copy.get(section, {}).update(values)
        document["deployment"]["resources"].append(copy)

    return mutate


def rename(old: str, new: str) -> Change:
    """Rename a resource's logical name everywhere it is referenced (URNs, dependencies)."""

    def mutate(document: dict) -> None:
        text = json.dumps(document["deployment"]).replace(old, new)
        document["deployment"] = json.loads(text)

    return mutate


def selector(*fields: dict, name: str = "selector") -> dict:
    return {"name": name, "fieldSelectors": list(fields)}


def field(name: str, **operators: list[str]) -> dict:
    return {"field": name, **operators}


MANAGEMENT = field("eventCategory", equals=["Management"])
DATA = field("eventCategory", equals=["Data"])
OBJECTS = field("resources.type", equals=["AWS::S3::Object"])


def advanced(*selectors: dict) -> Change:
    return props(TRAIL, "audit", advancedEventSelectors=list(selectors))


def basic(*selectors: dict) -> Change:
    return props(TRAIL, "audit", advancedEventSelectors=None, eventSelectors=list(selectors))


def demo_data_arns(document: dict) -> list[str]:
    trail = find(document, TRAIL, "audit")[0]
    (arns,) = [
        f["startsWiths"]
        for s in trail["inputs"]["advancedEventSelectors"]
        for f in s["fieldSelectors"]
        if f["field"] == "resources.ARN"
    ]
    return list(arns)


def data_selector(*extra: dict, arns: Callable[[list[str]], list[str]] = lambda a: a, **arn_ops: Any) -> Change:
    """Keep the management selector; replace the data selector by one on (a transformation of) the demo ARNs."""

    def mutate(document: dict) -> None:
        starts = arns(demo_data_arns(document))
        arn = field("resources.ARN", startsWiths=starts, **arn_ops) if starts else None
        fields = [DATA, OBJECTS, *([arn] if arn else []), *extra]
        advanced(selector(MANAGEMENT), selector(*fields))(document)

    return mutate


def data_selector_with_arn_field(arn_field: Callable[[list[str]], dict], *extra: dict) -> Change:
    def mutate(document: dict) -> None:
        arn = arn_field(demo_data_arns(document))
        advanced(selector(MANAGEMENT), selector(DATA, OBJECTS, arn, *extra))(document)

    return mutate


def basic_data(read_write: str) -> Change:
    def mutate(document: dict) -> None:
        basic(
            {
                "includeManagementEvents": True,
                "readWriteType": read_write,
                "dataResources": [{"type": "AWS::S3::Object", "values": demo_data_arns(document)}],
            }
        )(document)

    return mutate


def management_selector(*extra: dict) -> Change:
    """Replace the demo's management selector (the first) by one with ``extra`` fields."""
    return edit(TRAIL, "audit", "advancedEventSelectors", lambda s: [selector(MANAGEMENT, *extra), *s[1:]])


def lifecycle_rule(name: str, rule: dict) -> Change:
    return edit(LIFECYCLE, name, "rules", lambda rules: [*rules, rule])


def replace_in(typ: str, name: str, key: str, old: str, new: str) -> Change:
    return edit(typ, name, key, lambda value: value.replace(old, new))


# ---- the weakenings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weakening:
    name: str
    rule: str
    forms: dict[str, Change]


CIS = f"{STANDARDS}/cis-aws-foundations-benchmark/v/3.0.0"
PCI = f"{STANDARDS}/pci-dss/v/3.2.1"
HUB_URN = f"{PROJECT}glz:security:AccountSecurity$aws:securityhub/account:Account::security-securityhub"

WEAKENINGS = [
    Weakening(
        "Security Hub has no standard of its own",
        "GLZ-ACC-004",
        {
            "subscriptions removed": remove(SUBSCRIPTION),
            "subscriptions not tied to the hub": unlink(SUBSCRIPTION, dependencies=True),
            "subscriptions in another region": props_all(SUBSCRIPTION, region="eu-west-1"),
            "standards of another region": chain(
                *(
                    replace_in(SUBSCRIPTION, n, "standardsArn", f":{REGION}:", ":us-west-2:")
                    for n in ("nist-800-171", "aws-foundational")
                )
            ),
        },
    ),
    Weakening(
        "a required Security Hub standard is missing",
        "GLZ-ACC-004",
        {
            "NIST 800-171 subscription removed": remove(SUBSCRIPTION, "nist-800-171"),
            "NIST 800-171 swapped for CIS": props(SUBSCRIPTION, "nist-800-171", standardsArn=CIS),
            "Foundational swapped for PCI DSS": props(SUBSCRIPTION, "aws-foundational", standardsArn=PCI),
            "NIST 800-171 subscribed in another region": props(SUBSCRIPTION, "nist-800-171", region="eu-west-1"),
        },
    ),
    Weakening(
        "Security Hub controls switched off",
        "GLZ-ACC-004",
        {
            "new controls not enabled": props(HUB, "securityhub", autoEnableControls=False),
            "a Foundational control disabled": add(
                STANDARDS_CONTROL,
                "security-control-s3-1",
                {
                    "standardsControlArn": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:control/"
                    "aws-foundational-security-best-practices/v/1.0.0/S3.1",
                    "controlStatus": "DISABLED",
                    "disabledReason": "noise",
                },
                dependencies=[HUB_URN],
            ),
            "a control given only a disabled reason": add(
                STANDARDS_CONTROL,
                "security-control-cloudtrail-1",
                {
                    "standardsControlArn": f"arn:aws:securityhub:{REGION}:{ACCOUNT}:control/"
                    "aws-foundational-security-best-practices/v/1.0.0/CloudTrail.1",
                    "disabledReason": "covered elsewhere",
                },
            ),
            "a NIST control association disabled": add(
                CONTROL_ASSOCIATION,
                "security-nist-iam-1",
                {
                    "standardsArn": NIST,
                    "securityControlId": "IAM.1",
                    "associationStatus": "DISABLED",
                    "updatedReason": "noise",
                },
            ),
        },
    ),
    Weakening(
        "the access analyzer reports no external access",
        "GLZ-ACC-005",
        {
            kind: props(ANALYZER, "access-analyzer", type=kind)
            for kind in (
                "ACCOUNT_UNUSED_ACCESS",
                "ORGANIZATION_UNUSED_ACCESS",
                "ACCOUNT_INTERNAL_ACCESS",
                "ORGANIZATION_INTERNAL_ACCESS",
            )
        },
    ),
    Weakening(
        "GuardDuty is suspended",
        "GLZ-ACC-003",
        {
            "enable false": props(DETECTOR, "guardduty", enable=False),
            "enable 'false'": props(DETECTOR, "guardduty", enable="false"),
            "detector removed, features left": remove(DETECTOR),
        },
    ),
    Weakening(
        "GuardDuty publishes findings late",
        "GLZ-ACC-003",
        {
            "every hour": props(DETECTOR, "guardduty", findingPublishingFrequency="ONE_HOUR"),
            "every six hours": props(DETECTOR, "guardduty", findingPublishingFrequency="SIX_HOURS"),
            "the default (six hours)": props(DETECTOR, "guardduty", findingPublishingFrequency=None),
        },
    ),
    Weakening(
        "GuardDuty S3 protection off",
        "GLZ-ACC-003",
        {
            "feature DISABLED": props(FEATURE, "s3-data-events", status="DISABLED"),
            "feature removed": remove(FEATURE, "s3-data-events"),
            "feature attached to another detector": props(
                FEATURE, "s3-data-events", detectorId="12abc34d567e8fa901bc2d34e56789f0"
            ),
            "legacy datasources turn it off": props(DETECTOR, "guardduty", datasources={"s3Logs": {"enable": False}}),
            "a second, DISABLED feature for it": duplicate(
                FEATURE, "s3-data-events", "security-guardduty-s3-off", status="DISABLED"
            ),
        },
    ),
    Weakening(
        "GuardDuty EBS malware scanning off",
        "GLZ-ACC-003",
        {
            "feature DISABLED": props(FEATURE, "ebs-malware", status="DISABLED"),
            "feature removed": remove(FEATURE, "ebs-malware"),
            "feature swapped for runtime monitoring": props(FEATURE, "ebs-malware", name="RUNTIME_MONITORING"),
            "legacy datasources turn it off": props(
                DETECTOR,
                "guardduty",
                datasources={"malwareProtection": {"scanEc2InstanceWithFindings": {"ebsVolumes": {"enable": False}}}},
            ),
        },
    ),
    Weakening(
        "AWS Config leaves resource types out",
        "GLZ-ACC-002",
        {
            "IAM roles excluded": props(
                RECORDER,
                "config-recorder",
                recordingGroup={
                    "allSupported": False,
                    "exclusionByResourceTypes": [{"resourceTypes": ["AWS::IAM::Role"]}],
                    "recordingStrategies": [{"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}],
                },
            ),
            "only listed types": props(
                RECORDER,
                "config-recorder",
                recordingGroup={"allSupported": False, "resourceTypes": ["AWS::S3::Bucket", "AWS::EC2::Instance"]},
            ),
            "inclusion strategy": props(
                RECORDER,
                "config-recorder",
                recordingGroup={
                    "allSupported": True,
                    "includeGlobalResourceTypes": True,
                    "recordingStrategies": [{"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}],
                },
            ),
            "global types left out": props(
                RECORDER, "config-recorder", recordingGroup={"allSupported": True, "includeGlobalResourceTypes": False}
            ),
        },
    ),
    Weakening(
        "AWS Config recorder not running",
        "GLZ-ACC-002",
        {
            "isEnabled false": props(RECORDER_STATUS, "config-recorder-status", isEnabled=False),
            "isEnabled 'false'": props(RECORDER_STATUS, "config-recorder-status", isEnabled="false"),
            "status removed": remove(RECORDER_STATUS),
            "status for another recorder": props(RECORDER_STATUS, "config-recorder-status", name="other-recorder"),
        },
    ),
    Weakening(
        "AWS Config records only daily",
        "GLZ-ACC-002",
        {
            "DAILY for everything": props(RECORDER, "config-recorder", recordingMode={"recordingFrequency": "DAILY"}),
            "DAILY for IAM roles": props(
                RECORDER,
                "config-recorder",
                recordingMode={
                    "recordingFrequency": "CONTINUOUS",
                    "recordingModeOverride": {"recordingFrequency": "DAILY", "resourceTypes": ["AWS::IAM::Role"]},
                },
            ),
            "DAILY for buckets (list form)": props(
                RECORDER,
                "config-recorder",
                recordingMode={
                    "recordingModeOverrides": [{"recordingFrequency": "DAILY", "resourceTypes": ["AWS::S3::Bucket"]}]
                },
            ),
        },
    ),
    Weakening(
        "AWS Config delivers elsewhere",
        "GLZ-ACC-002",
        {
            "a bucket outside the stack": props(CHANNEL, "config-delivery", s3BucketName="someone-elses-bucket"),
            "the access-log bucket": props(CHANNEL, "config-delivery", s3BucketName=ACCESS_LOG_BUCKET),
            "a data bucket": props(CHANNEL, "config-delivery", s3BucketName=RESULTS_BUCKET),
        },
    ),
    Weakening(
        "the trail is not logging",
        "GLZ-LOG-001",
        {
            "enableLogging false": props(TRAIL, "audit", enableLogging=False),
            "enableLogging 'false'": props(TRAIL, "audit", enableLogging="false"),
            "isLogging false": props(TRAIL, "audit", isLogging=False),
        },
    ),
    Weakening(
        "the trail drops management events",
        "GLZ-LOG-001",
        {
            "advanced: reads only": management_selector(field("readOnly", equals=["true"])),
            "advanced: writes only (NotEquals)": management_selector(field("readOnly", notEquals=["true"])),
            "advanced: management selector removed": edit(TRAIL, "audit", "advancedEventSelectors", lambda s: s[1:]),
            "advanced: KMS events excluded": management_selector(field("eventSource", notEquals=["kms.amazonaws.com"])),
            "basic: includeManagementEvents false": basic({"includeManagementEvents": False, "readWriteType": "All"}),
            "basic: write-only": basic({"includeManagementEvents": True, "readWriteType": "WriteOnly"}),
            "basic: KMS events excluded": basic(
                {"readWriteType": "All", "excludeManagementEventSources": ["kms.amazonaws.com"]}
            ),
        },
    ),
    Weakening(
        "data events miss reads, writes or buckets",
        "GLZ-LOG-004",
        {
            "writes only": data_selector(field("readOnly", equals=["false"])),
            "reads only": data_selector(field("readOnly", equals=["true"])),
            "one prefix of each bucket": data_selector(arns=lambda a: [f"{x}incoming/" for x in a]),
            "Equals instead of StartsWith": data_selector_with_arn_field(lambda a: field("resources.ARN", equals=a)),
            "only some event names": data_selector(field("eventName", equals=["GetObject", "PutObject"])),
            "the BCL bucket excluded": data_selector(notStartsWiths=[f"{BCL}/"]),
            "VCF objects excluded": data_selector(notEndsWiths=[".vcf.gz"]),
            "a shorter bucket name's prefix": data_selector(
                arns=lambda a: [x if "bcl" not in x else "arn:aws:s3:::glz-demo-bc/" for x in a]
            ),
            "Lambda instead of S3": advanced(
                selector(MANAGEMENT), selector(DATA, field("resources.type", equals=["AWS::Lambda::Function"]))
            ),
            "basic selector, reads only": basic_data("ReadOnly"),
            "basic selector, writes only": basic_data("WriteOnly"),
            "selected by a trail that is not logging": props(TRAIL, "audit", enableLogging=False),
        },
    ),
    Weakening(
        "the CIS filters do not see the trail",
        "GLZ-LOG-007",
        {
            "trail delivers to the flow-log group": props(TRAIL, "audit", cloudWatchLogsGroupArn=f"{FLOW_GROUP_ARN}:*"),
            "trail delivers nowhere": chain(
                props(TRAIL, "audit", cloudWatchLogsGroupArn=None, cloudWatchLogsRoleArn=None),
                unlink(TRAIL, "audit", "cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn"),
            ),
            "trail delivers to a group outside the stack": props(
                TRAIL, "audit", cloudWatchLogsGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/elsewhere:*"
            ),
            "no role to deliver with": chain(
                props(TRAIL, "audit", cloudWatchLogsRoleArn=None), unlink(TRAIL, "audit", "cloudWatchLogsRoleArn")
            ),
            "log group of the Infrequent Access class": props(
                LOG_GROUP, "audit-logs", logGroupClass="INFREQUENT_ACCESS"
            ),
            "filters moved to the flow-log group": props_all(FILTER, logGroupName="/glz/demo/vpc-flow-logs"),
        },
    ),
    Weakening(
        "a CIS alarm does not reach the security topic",
        "GLZ-LOG-007",
        {
            "actions disabled": props(ALARM, "cloudtrail-changes", actionsEnabled=False),
            "actions disabled ('false')": props(ALARM, "root-account-usage", actionsEnabled="false"),
            "a topic in another account": chain(
                props(ALARM, "iam-policy-changes", alarmActions=["arn:aws:sns:us-east-1:999999999999:sink"]),
                unlink(ALARM, "iam-policy-changes", "alarmActions"),
            ),
            "no action": chain(
                props(ALARM, "vpc-changes", alarmActions=[]), unlink(ALARM, "vpc-changes", "alarmActions")
            ),
            "fires only at 10 events": props(ALARM, "aws-config-changes", threshold=10),
            "compares the wrong way": props(ALARM, "security-group-changes", comparisonOperator="LessThanThreshold"),
            "needs three periods with events": props(ALARM, "network-acl-changes", evaluationPeriods=3),
            "filter counts zero": edit(
                FILTER, "route-table-changes", "metricTransformation", lambda m: {**m, "value": "0"}
            ),
        },
    ),
    Weakening(
        "the trail's log group is kept under six years",
        "GLZ-LOG-005",
        {
            "two years": props(LOG_GROUP, "audit-logs", retentionInDays=731),
            "five years": props(LOG_GROUP, "audit-logs", retentionInDays=1827),
            "DELIVERY class (two days)": props(LOG_GROUP, "audit-logs", logGroupClass="DELIVERY"),
            "renamed, kept one year": chain(
                rename("LogGroup::audit-logs", "LogGroup::api-activity"),
                rename("/glz/demo/cloudtrail", "/glz/demo/api-activity"),
                props(LOG_GROUP, "api-activity", retentionInDays=365),
            ),
        },
    ),
    Weakening(
        "flow logs are kept under a year",
        "GLZ-LOG-005",
        {
            "90 days": props(LOG_GROUP, "network-flow-logs", retentionInDays=90),
            "180 days": props(LOG_GROUP, "network-flow-logs", retentionInDays=180),
            "DELIVERY class": props(LOG_GROUP, "network-flow-logs", logGroupClass="DELIVERY"),
        },
    ),
    Weakening(
        "flow logs go where the stack cannot see",
        "GLZ-LOG-005",
        {
            "a log group outside the stack": props(
                FLOW_LOG, "network-flow-log", logDestination=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/elsewhere"
            ),
            "a bucket outside the stack": props(
                FLOW_LOG,
                "network-flow-log",
                logDestinationType="s3",
                logDestination="arn:aws:s3:::someone-elses-bucket/flow/",
            ),
            "another account": props(
                FLOW_LOG,
                "network-flow-log",
                deliverCrossAccountRole="arn:aws:iam::999999999999:role/flow-log-delivery",
            ),
        },
    ),
    Weakening(
        "audit Object Lock can be lifted or is short",
        "GLZ-LOG-006",
        {
            "GOVERNANCE mode": edit(
                LOCK,
                "audit-bucket",
                "rule",
                lambda r: {"defaultRetention": {**r["defaultRetention"], "mode": "GOVERNANCE"}},
            ),
            "one year, in years": edit(
                LOCK, "audit-bucket", "rule", lambda r: {"defaultRetention": {"mode": "COMPLIANCE", "years": 1}}
            ),
            "2000 days": edit(
                LOCK, "audit-bucket", "rule", lambda r: {"defaultRetention": {"mode": "COMPLIANCE", "days": 2000}}
            ),
            "no default retention": props(LOCK, "audit-bucket", rule=None),
            "Object Lock off on the bucket": props(BUCKET, "audit-bucket", objectLockEnabled=False),
            "GOVERNANCE on a bucket with its tier tag removed": chain(
                props(BUCKET, "audit-bucket", tags={"Name": "records"}),
                edit(
                    LOCK,
                    "audit-bucket",
                    "rule",
                    lambda r: {"defaultRetention": {**r["defaultRetention"], "mode": "GOVERNANCE"}},
                ),
            ),
        },
    ),
    Weakening(
        "log buckets expire records early",
        "GLZ-LOG-006",
        {
            "audit records after a year": lifecycle_rule(
                "audit-bucket",
                {"id": "expire", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": 365}},
            ),
            "audit trail files after 30 days": lifecycle_rule(
                "audit-bucket",
                {"id": "trail", "status": "Enabled", "filter": {"prefix": "AWSLogs/"}, "expiration": {"days": 30}},
            ),
            "audit records on a date": lifecycle_rule(
                "audit-bucket",
                {"id": "purge", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"date": "2027-01-01"}},
            ),
            "access logs after a year": edit(
                LIFECYCLE,
                "access-logs",
                "rules",
                lambda rules: [{**r, "expiration": {"days": 365}} if r["id"] == "tiering" else r for r in rules],
            ),
            "access logs after a year, their tier tag removed": chain(
                props(BUCKET, "data-access-logs", tags={"Name": "logs"}),
                edit(
                    LIFECYCLE,
                    "access-logs",
                    "rules",
                    lambda rules: [{**r, "expiration": {"days": 365}} if r["id"] == "tiering" else r for r in rules],
                ),
            ),
            "access logs after 2000 days": edit(
                LIFECYCLE,
                "access-logs",
                "rules",
                lambda rules: [{**r, "expiration": {"days": 2000}} if r["id"] == "tiering" else r for r in rules],
            ),
        },
    ),
    Weakening(
        "the trail writes to a bucket without Object Lock",
        "GLZ-LOG-006",
        {
            "a bucket outside the stack": props(TRAIL, "audit", s3BucketName="someone-elses-bucket"),
            "the access-log bucket": props(TRAIL, "audit", s3BucketName=ACCESS_LOG_BUCKET),
            "a data bucket": props(TRAIL, "audit", s3BucketName=RESULTS_BUCKET),
        },
    ),
]

FORMS = [(w, form, change) for w in WEAKENINGS for form, change in w.forms.items()]


SERVICE_RULES = [r for r in ALL_RULES if r.id in {w.rule for w in WEAKENINGS}]
"""The rules under test (the others are slow and judge other things; the clean demo passes all of them)."""


def _gate(document: dict, rules: list = SERVICE_RULES):
    return run_rules(StackState(document), rules, [], today=TODAY)


@pytest.fixture(scope="module")
def clean(demo_state_document):
    result = _gate(demo_state_document, ALL_RULES)
    assert result.failed_rule_ids() == set(), [f.message for f in result.findings if f.status == "failed"]
    return demo_state_document


def test_the_clean_demo_passes_every_service_rule(clean):
    assert {r.id for r in ALL_RULES} >= {w.rule for w in WEAKENINGS}


def test_every_weakening_comes_in_at_least_three_forms():
    thin = [w.name for w in WEAKENINGS if len(w.forms) < 3]
    assert not thin, thin


@pytest.mark.parametrize(("weakening", "form", "change"), FORMS, ids=[f"{w.name}: {form}" for w, form, _ in FORMS])
def test_each_form_fails_the_rule(clean, weakening, form, change):
    result = _gate(apply(clean, change))
    failed = result.failed_rule_ids()
    assert weakening.rule in failed, f"{weakening.name} ({form}): expected {weakening.rule}, got {sorted(failed)}"
    assert not result.passed


# ---- constants the rules keep in step with the components -----------------------------------------


def test_rule_constants_match_what_the_components_promise():
    from components import security_services
    from components.settings import HIPAA_RETENTION_DAYS, Settings
    from policies.rules import account, audit

    assert account.REGIONS_WITHOUT_EBS_MALWARE_PROTECTION == security_services.REGIONS_WITHOUT_EBS_MALWARE_PROTECTION
    assert account.PUBLISHING_FREQUENCY == security_services.GUARDDUTY_PUBLISHING_FREQUENCY
    assert (account.S3_PROTECTION, account.EBS_MALWARE_PROTECTION) == (
        security_services.S3_PROTECTION,
        security_services.MALWARE_PROTECTION,
    )
    assert audit.HIPAA_DAYS == HIPAA_RETENTION_DAYS
    from components import audit_trail

    assert audit.INSIGHT_TYPES == audit_trail.INSIGHT_TYPES
    defaults = Settings.model_fields["security_hub_standards"].default_factory()
    for standard in defaults:
        path = security_services.STANDARD_PATHS[standard]
        assert any(
            path.startswith(prefix) for prefixes in account.REQUIRED_STANDARDS.values() for prefix in prefixes
        ), standard
    for fallback in security_services.STANDARD_FALLBACKS.values():
        path = security_services.STANDARD_PATHS[fallback]
        assert any(path.startswith(p) for p in account.REQUIRED_STANDARDS[next(iter(account.REQUIRED_STANDARDS))])
    rules = yaml.safe_load(Path(ROOT, "controls/mapping/config_rules.yaml").read_text())["rules"]
    (retention,) = [r for r in rules if r["identifier"] == "CW_LOGGROUP_RETENTION_PERIOD_CHECK"]
    assert int(retention["parameters"]["MinRetentionTime"]) == audit.MIN_LOG_RETENTION_DAYS


def test_ebs_malware_scanning_is_not_required_where_guardduty_lacks_it(clean):
    gov = apply(
        clean,
        remove(FEATURE, "ebs-malware"),
        lambda d: [
            p["inputs"].update(region="us-gov-west-1")
            for p in d["deployment"]["resources"]
            if p["type"] == "pulumi:providers:aws"
        ],
    )
    assert "GLZ-ACC-003" not in _gate(gov).failed_rule_ids()


def test_equivalent_clean_forms_pass(clean):
    """Judged by meaning, not form: a trail with no selectors records every management event, and the read and
    write halves of data events in two selectors add up to both."""

    def split_reads_and_writes(document):
        arns = demo_data_arns(document)
        arn = field("resources.ARN", startsWiths=arns)
        advanced(
            selector(MANAGEMENT, field("readOnly", equals=["true"])),
            selector(MANAGEMENT, field("readOnly", equals=["false"])),
            selector(DATA, OBJECTS, arn, field("readOnly", equals=["true"])),
            selector(DATA, OBJECTS, arn, field("readOnly", equals=["false"])),
        )(document)

    forms = {
        "read and write halves": split_reads_and_writes,
        "basic selectors, All": basic_data("All"),
        "enable left to its default": props(DETECTOR, "guardduty", enable=None),
        "analyzer type left to its default (ACCOUNT)": props(ANALYZER, "access-analyzer", type=None),
        "organization analyzer": props(ANALYZER, "access-analyzer", type="ORGANIZATION"),
        "NIST 800-53 r5 instead of 800-171": props(
            SUBSCRIPTION, "nist-800-171", standardsArn=f"{STANDARDS}/nist-800-53/v/5.0.0"
        ),
    }
    for name, change in forms.items():
        failed = _gate(apply(clean, change)).failed_rule_ids()
        assert not failed, f"{name}: {sorted(failed)}"


# ---- the matrix says what the services do -------------------------------------------------------------


def _statements(matrix) -> str:
    return "\n".join(row.statement for row in matrix.all_rows())


@pytest.fixture(scope="module")
def clean_statements(clean):
    return _statements(matrix_of(clean))


@pytest.mark.parametrize(
    ("change", "before", "after"),
    [
        (
            props(ANALYZER, "access-analyzer", type="ACCOUNT_UNUSED_ACCESS"),
            "Analyzer glz-demo-access-analyzer",
            "Analyzer none",
        ),
        (
            props(DETECTOR, "guardduty", findingPublishingFrequency="SIX_HOURS"),
            "findings every 15 minutes",
            "findings every 6 hours",
        ),
        (
            props(FEATURE, "s3-data-events", status="DISABLED"),
            "EBS_MALWARE_PROTECTION, S3_DATA_EVENTS;",
            "(EBS_MALWARE_PROTECTION; findings",
        ),
        (unlink(SUBSCRIPTION, dependencies=True), "nist-800-171/v/2.0.0", "standards none"),
        (
            props(RECORDER_STATUS, "config-recorder-status", isEnabled=False),
            "continuously, running, delivering",
            "NOT running",
        ),
        (
            props(CHANNEL, "config-delivery", s3BucketName=ACCESS_LOG_BUCKET),
            f"delivering to {AUDIT_BUCKET}",
            "NO audit bucket",
        ),
        (
            edit(TRAIL, "audit", "advancedEventSelectors", lambda s: s[1:]),
            "trail glz-demo-trail records",
            "glz-demo-trail (records no management events)",
        ),
        (data_selector(field("readOnly", equals=["false"])), "glz-demo-bcl-", "reads and writes on none"),
        (
            props(ALARM, "cloudtrail-changes", actionsEnabled=False),
            "cover the 15 CIS AWS Foundations monitoring events",
            "Nothing alerts on CloudTrail changes",
        ),
    ],
    ids=[
        "analyzer type",
        "GuardDuty frequency",
        "GuardDuty S3 protection",
        "Security Hub subscriptions untied",
        "Config recorder stopped",
        "Config delivery",
        "trail management events",
        "data events write-only",
        "alarm actions disabled",
    ],
)
def test_the_matrix_sentence_follows_the_property(clean, clean_statements, change, before, after):
    assert before in clean_statements and after not in clean_statements
    statements = _statements(matrix_of(apply(clean, change)))
    assert after in statements
    assert statements != clean_statements
