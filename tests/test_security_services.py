"""AccountSecurity: Config, GuardDuty, Security Hub, Access Analyzer, Inspector, password policy, EBS default
encryption and the account S3 public access block — all on by default, each off only by its flag."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from components import malware_policies
from components.data_lake import SecureBucket
from components.naming import bucket_name
from components.security_services import (
    SERVICE_KEYS,
    AccountSecurity,
    choose_standards,
    standard_substitutions,
)
from tests.harness import ACCOUNT, STACK, make_settings, synthesize

AUDIT_BUCKET = f"glz-{STACK}-audit-{ACCOUNT}-us-east-1"

RECORDER = "aws:cfg/recorder:Recorder"
DELIVERY = "aws:cfg/deliveryChannel:DeliveryChannel"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
HUB = "aws:securityhub/account:Account"
STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
ANALYZER_TYPE = "aws:accessanalyzer/analyzer:Analyzer"
# the two analyzers share a resource type; the tests tell them apart by the analyzer type they declare
ANALYZER = f"{ANALYZER_TYPE}#ACCOUNT"
UNUSED_ANALYZER = f"{ANALYZER_TYPE}#ACCOUNT_UNUSED_ACCESS"
INSPECTOR = "aws:inspector2/enabler:Enabler"
PASSWORD = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
EBS_KEY = "aws:ebs/defaultKmsKey:DefaultKmsKey"
S3_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
PLAN = "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
COMPONENT = "glz:security:AccountSecurity"

SERVICE_TYPES: dict[str, set[str]] = {
    "awsConfig": {RECORDER, DELIVERY, RECORDER_STATUS},
    "guardDuty": {DETECTOR, FEATURE},
    "securityHub": {HUB, STANDARD},
    "accessAnalyzer": {ANALYZER},
    "unusedAccessAnalyzer": {UNUSED_ANALYZER},
    "inspector": {INSPECTOR},
    "passwordPolicy": {PASSWORD},
    "ebsEncryptionByDefault": {EBS_DEFAULT, EBS_KEY},
    "s3AccountPublicAccessBlock": {S3_BLOCK},
    "snapshotBlockPublicAccess": {"aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess"},
    "imageBlockPublicAccess": {"aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess"},
    "malwareProtectionS3": {PLAN, ROLE, ROLE_POLICY},
}
ALL_TYPES = set().union(*SERVICE_TYPES.values())


def build(settings):
    """Synthesize keys, the intake buckets and AccountSecurity; return (state, component) so tests can read
    attributes."""
    built: dict[str, AccountSecurity] = {}

    def program():
        log_key = aws.kms.Key("logs", description="audit logs")
        compute_key = aws.kms.Key("compute", description="compute volumes")
        data_key = aws.kms.Key("data", description="genomic data")
        intake = {
            tier: SecureBucket(
                f"data-{tier}",
                physical_name=bucket_name(settings, STACK, tier),
                kms_key=data_key,
                rules=[],
                log_bucket=None,
                log_prefix="",
            )
            for tier in settings.intake_tiers
        }
        built["security"] = AccountSecurity(
            "security",
            settings,
            STACK,
            audit_bucket_name=AUDIT_BUCKET,
            log_key=log_key,
            compute_key=compute_key,
            intake_buckets=intake,
            data_key=data_key,
        )

    state = synthesize(program, settings)
    return state, built["security"]


@pytest.fixture(scope="module")
def default():
    return build(make_settings())


@pytest.fixture(scope="module")
def state(default):
    return default[0]


def kind(resource) -> str:
    """The resource type, with the analyzer type appended for IAM Access Analyzer analyzers."""
    if resource.type == ANALYZER_TYPE:
        return f"{ANALYZER_TYPE}#{resource.inputs.get('type')}"
    return resource.type


def one(state, typ):
    resources = [r for r in state.resources if kind(r) == typ]
    assert len(resources) == 1, f"expected one {typ}, got {[r.name for r in resources]}"
    return resources[0]


def key_arn(state, name):
    return next(r for r in state.of_type("aws:kms/key:Key") if r.name == name).outputs["arn"]


def types_present(state):
    return {kind(r) for r in state.resources} & ALL_TYPES


# ---- defaults --------------------------------------------------------------------------------


def test_defaults_create_every_service(state, default):
    assert types_present(state) == ALL_TYPES
    assert default[1].enabled == dict.fromkeys(SERVICE_KEYS.values(), True)


def test_every_service_is_a_child_of_the_component(state):
    component = one(state, COMPONENT)
    for resource in state.resources:
        if resource.type in ALL_TYPES:
            assert resource.parent == component.urn, resource.name


# ---- AWS Config ------------------------------------------------------------------------------


def test_recorder_records_all_types_including_global(state):
    recorder = one(state, RECORDER)
    group = recorder.inputs["recordingGroup"]
    assert group["allSupported"] is True
    assert group["includeGlobalResourceTypes"] is True
    assert not group.get("resourceTypes")
    assert not group.get("exclusionByResourceTypes")
    assert recorder.inputs["recordingMode"]["recordingFrequency"] == "CONTINUOUS"


def test_recorder_uses_config_service_linked_role(state):
    recorder = one(state, RECORDER)
    assert recorder.inputs["roleArn"] == (
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    )
    assert not state.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")


def test_delivery_channel_uses_audit_bucket_and_log_key(state):
    channel = one(state, DELIVERY)
    assert channel.inputs["s3BucketName"] == AUDIT_BUCKET
    assert channel.inputs["s3KeyPrefix"] == "config"
    assert channel.inputs["s3KmsKeyArn"] == key_arn(state, "logs")
    assert channel.inputs["snapshotDeliveryProperties"]["deliveryFrequency"] == "TwentyFour_Hours"
    assert channel.inputs["name"] == one(state, RECORDER).inputs["name"]


def test_recorder_is_started_after_the_delivery_channel_exists(state):
    recorder, channel, status = one(state, RECORDER), one(state, DELIVERY), one(state, RECORDER_STATUS)
    assert status.inputs["isEnabled"] is True
    assert status.inputs["name"] == recorder.inputs["name"]
    assert channel.urn in status.dependencies
    assert recorder.urn in channel.dependencies


# ---- GuardDuty -------------------------------------------------------------------------------


def test_guardduty_detector_enabled_with_fast_publishing(state):
    detector = one(state, DETECTOR)
    assert detector.inputs["enable"] is True
    assert detector.inputs["findingPublishingFrequency"] == "FIFTEEN_MINUTES"


def features(state):
    return {r.inputs["name"]: r for r in state.of_type(FEATURE)}


def test_guardduty_s3_and_malware_protection_enabled(state, default):
    detector = one(state, DETECTOR)
    found = features(state)
    assert set(found) == {"S3_DATA_EVENTS", "EBS_MALWARE_PROTECTION"}
    for feature in found.values():
        assert feature.inputs["status"] == "ENABLED"
        assert feature.inputs["detectorId"] == detector.id
    assert default[1].malware_protection is True


@pytest.mark.parametrize("region", ["us-gov-west-1", "us-gov-east-1"])
def test_malware_protection_skipped_where_region_lacks_it(region):
    state, security = build(make_settings(region=region))
    found = features(state)
    assert set(found) == {"S3_DATA_EVENTS"}
    assert found["S3_DATA_EVENTS"].inputs["status"] == "ENABLED"
    assert security.malware_protection is False
    assert one(state, COMPONENT).outputs["malwareProtection"] is False


# ---- GuardDuty Malware Protection for S3 -------------------------------------------------------

INTAKE = ("bcl", "fastq", "reference")


def plans(state):
    return {r.inputs["protectedResource"]["s3Bucket"]["bucketName"]: r for r in state.of_type(PLAN)}


def scan_role(state, tier):
    return next(r for r in state.of_type(ROLE) if r.inputs["name"] == f"glz-{STACK}-malware-scan-{tier}")


def test_one_plan_per_intake_bucket_with_tagging_and_no_prefixes(state, default):
    found = plans(state)
    assert sorted(found) == sorted(bucket_name(make_settings(), STACK, t) for t in INTAKE)
    for tier in INTAKE:
        plan = found[bucket_name(make_settings(), STACK, tier)]
        assert plan.inputs["actions"] == [{"taggings": [{"status": "ENABLED"}]}]
        assert "objectPrefixes" not in plan.inputs["protectedResource"]["s3Bucket"]
        assert plan.inputs["role"] == scan_role(state, tier).outputs["arn"]
        assert plan.inputs["role"] == f"arn:aws:iam::{ACCOUNT}:role/glz-{STACK}-malware-scan-{tier}"
        assert plan.inputs["tags"]["DataTier"] == tier
    assert sorted(default[1].malware_scan_buckets) == sorted(INTAKE)


def test_each_plan_waits_for_its_role_policy_and_bucket_policy(state):
    """GuardDuty tests its access when the plan is created; both policies must be in place by then."""
    role_policies = {r.inputs["role"]: r for r in state.of_type(ROLE_POLICY)}
    bucket_policies = {r.inputs["bucket"]: r for r in state.of_type(BUCKET_POLICY)}
    for bucket, plan in plans(state).items():
        role = next(r for r in state.of_type(ROLE) if r.outputs["arn"] == plan.inputs["role"])
        assert role_policies[role.inputs["name"]].urn in plan.dependencies
        assert bucket_policies[bucket].urn in plan.dependencies


def test_scan_role_trusts_only_guardduty_malware_protection_plans_of_this_account(state):
    for tier in INTAKE:
        role = scan_role(state, tier)
        assert json.loads(role.inputs["assumeRolePolicy"]) == malware_policies.trust_policy(make_settings())
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": "malware-protection-plan.guardduty.amazonaws.com"}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:malware-protection-plan/*"},
        }


def test_scan_role_policy_names_only_its_bucket_and_the_data_key(state):
    data_key = key_arn(state, "data")
    for tier in INTAKE:
        role = scan_role(state, tier)
        (policy,) = [p for p in state.of_type(ROLE_POLICY) if p.inputs["role"] == role.inputs["name"]]
        document = json.loads(policy.inputs["policy"])
        bucket = f"arn:aws:s3:::{bucket_name(make_settings(), STACK, tier)}"
        assert document == malware_policies.role_policy(make_settings(), bucket, data_key)
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert "*" not in resources
            for resource in resources:
                assert resource in (bucket, f"{bucket}/*", data_key) or resource.endswith(
                    (
                        ":rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*",
                        "/malware-protection-resource-validation-object",
                    )
                ), resource


def test_guardduty_off_keeps_the_malware_protection_plans():
    """Malware Protection for S3 works without a detector (tags, no findings); it has its own switch."""
    state, security = build(make_settings(securityServices={"guardDuty": False}))
    assert not state.of_type(DETECTOR)
    assert len(state.of_type(PLAN)) == 3 and security.enabled["malwareProtectionS3"] is True


def test_malware_scan_tiers_setting_and_read_write_collaborators_choose_the_buckets():
    writer = {
        "name": "lab-w",
        "accountId": "444455556666",
        "externalId": "a-long-external-id-0123456789",
        "access": "read-write",
        "tiers": ["results"],
    }
    settings = make_settings(securityServices={"malwareScanTiers": ["fastq"]}, collaborators=[writer])
    state, security = build(settings)
    assert sorted(plans(state)) == sorted(bucket_name(settings, STACK, t) for t in ("fastq", "results"))
    assert sorted(security.malware_scan_buckets) == ["fastq", "results"]


def test_malware_protection_off_creates_no_plan_role_or_policy():
    state, security = build(make_settings(securityServices={"malwareProtectionS3": False}))
    assert not state.of_type(PLAN) and not state.of_type(ROLE) and not state.of_type(ROLE_POLICY)
    assert security.malware_scan_buckets == {} and security.enabled["malwareProtectionS3"] is False
    assert one(state, COMPONENT).outputs["malwareScanBuckets"] == {}


def test_malware_protection_needs_the_intake_buckets_and_the_data_key():
    settings = make_settings()

    def program():
        key = aws.kms.Key("k", description="k")
        AccountSecurity("security", settings, STACK, audit_bucket_name=AUDIT_BUCKET, log_key=key, compute_key=key)

    with pytest.raises(ValueError, match="malwareProtectionS3 is on: AccountSecurity needs the intake buckets"):
        synthesize(program, settings)


# ---- Security Hub ----------------------------------------------------------------------------


def test_security_hub_account_settings(state):
    hub = one(state, HUB)
    assert hub.inputs["enableDefaultStandards"] is False
    assert hub.inputs["controlFindingGenerator"] == "SECURITY_CONTROL"
    assert hub.inputs["autoEnableControls"] is True


def test_default_standards_are_nist_800_171_and_foundational(state, default):
    arns = [r.inputs["standardsArn"] for r in state.of_type(STANDARD)]
    expected = [
        "arn:aws:securityhub:us-east-1::standards/nist-800-171/v/2.0.0",
        "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
    ]
    assert sorted(arns) == sorted(expected)
    assert default[1].security_hub_standard_arns == expected
    assert default[1].security_hub_substitutions == {}


def test_standards_subscriptions_depend_on_security_hub(state):
    hub = one(state, HUB)
    for subscription in state.of_type(STANDARD):
        assert hub.urn in subscription.dependencies


ALL_STANDARDS = ["nist-800-171", "nist-800-53-r5", "aws-foundational", "cis-3.0"]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (
            "eu-west-1",
            [
                "arn:aws:securityhub:eu-west-1::standards/nist-800-171/v/2.0.0",
                "arn:aws:securityhub:eu-west-1::standards/nist-800-53/v/5.0.0",
                "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0",
                "arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0",
            ],
        ),
        (
            "us-gov-west-1",
            [
                "arn:aws-us-gov:securityhub:us-gov-west-1::standards/nist-800-53/v/5.0.0",
                "arn:aws-us-gov:securityhub:us-gov-west-1::standards/aws-foundational-security-best-practices/v/1.0.0",
                "arn:aws-us-gov:securityhub:us-gov-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0",
            ],
        ),
    ],
)
def test_standard_arns_per_region(region, expected):
    settings = make_settings(region=region, securityHubStandards=ALL_STANDARDS)
    assert [c.arn for c in choose_standards(settings)] == expected


def test_nist_800_171_falls_back_to_800_53_where_unavailable():
    settings = make_settings(region="us-gov-east-1", securityHubStandards=["nist-800-171", "aws-foundational"])
    state, security = build(settings)
    nist_53 = "arn:aws-us-gov:securityhub:us-gov-east-1::standards/nist-800-53/v/5.0.0"
    arns = sorted(r.inputs["standardsArn"] for r in state.of_type(STANDARD))
    assert arns == sorted(
        [
            nist_53,
            "arn:aws-us-gov:securityhub:us-gov-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
        ]
    )
    assert not any("nist-800-171" in arn for arn in arns)
    assert security.security_hub_substitutions == {"nist-800-171": "nist-800-53-r5"}
    outputs = one(state, COMPONENT).outputs
    assert outputs["securityHubSubstitutions"] == {"nist-800-171": "nist-800-53-r5"}
    assert nist_53 in outputs["securityHubStandardArns"]


def test_fallback_and_explicit_800_53_subscribe_once():
    settings = make_settings(region="us-gov-west-1", securityHubStandards=["nist-800-53-r5", "nist-800-171"])
    assert [c.effective for c in choose_standards(settings)] == ["nist-800-53-r5"]
    assert standard_substitutions(settings) == {"nist-800-171": "nist-800-53-r5"}


def test_no_fallback_where_nist_800_171_is_offered():
    settings = make_settings(region="us-west-2", securityHubStandards=["nist-800-171"])
    assert standard_substitutions(settings) == {}
    assert [c.arn for c in choose_standards(settings)] == [
        "arn:aws:securityhub:us-west-2::standards/nist-800-171/v/2.0.0"
    ]


# ---- Access Analyzer, password policy, EBS, S3 -------------------------------------------------


def test_access_analyzer_covers_the_account(state):
    analyzer = one(state, ANALYZER)
    assert analyzer.inputs["type"] == "ACCOUNT"
    assert analyzer.inputs["analyzerName"] == f"glz-{STACK}-access-analyzer"


def test_unused_access_analyzer_reports_after_the_declared_days(state):
    analyzer = one(state, UNUSED_ANALYZER).inputs
    assert analyzer["analyzerName"] == f"glz-{STACK}-unused-access"
    assert analyzer["configuration"]["unusedAccess"] == {"unusedAccessAge": 90}, "no analysis rule: nothing excluded"
    shorter, _ = build(make_settings(securityServices={"unusedAccessDays": 35}))
    assert one(shorter, UNUSED_ANALYZER).inputs["configuration"]["unusedAccess"]["unusedAccessAge"] == 35


@pytest.mark.parametrize("days", [0, 91, "ninety"])
def test_unused_access_days_outside_1_to_90_is_refused(days):
    from components.settings import SettingsError

    with pytest.raises(SettingsError) as raised:
        make_settings(securityServices={"unusedAccessDays": days})
    assert "securityServices.unusedAccessDays" in str(raised.value)


def test_inspector_scans_ec2_and_ecr_of_this_account(state, default):
    enabler = one(state, INSPECTOR).inputs
    assert enabler["accountIds"] == [ACCOUNT]
    assert sorted(enabler["resourceTypes"]) == ["EC2", "ECR"]
    assert "LAMBDA" not in enabler["resourceTypes"]  # the stack deploys no Lambda functions
    assert default[1].inspector_resource_types == ["EC2", "ECR"]
    assert one(state, COMPONENT).outputs["inspectorResourceTypes"] == ["EC2", "ECR"]


def test_inspector_id_follows_the_provider_format(state):
    assert one(state, INSPECTOR).id == f"{ACCOUNT}-EC2:ECR"


def test_password_policy_values(state):
    policy = one(state, PASSWORD).inputs
    assert policy["minimumPasswordLength"] == 14
    assert policy["requireLowercaseCharacters"] is True
    assert policy["requireUppercaseCharacters"] is True
    assert policy["requireNumbers"] is True
    assert policy["requireSymbols"] is True
    assert policy["passwordReusePrevention"] == 24
    assert policy["maxPasswordAge"] == 90
    assert policy["allowUsersToChangePassword"] is True
    assert policy["hardExpiry"] is False


def test_password_max_age_follows_setting():
    state, _ = build(make_settings(passwordMaxAgeDays=60))
    assert one(state, PASSWORD).inputs["maxPasswordAge"] == 60


def test_ebs_encrypted_by_default_with_compute_key(state):
    assert one(state, EBS_DEFAULT).inputs["enabled"] is True
    assert one(state, EBS_KEY).inputs["keyArn"] == key_arn(state, "compute")


def test_account_public_access_block_sets_all_four_flags(state):
    block = one(state, S3_BLOCK).inputs
    assert block["accountId"] == ACCOUNT
    for flag in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"):
        assert block[flag] is True, flag


# ---- turning services off ----------------------------------------------------------------------


@pytest.mark.parametrize("service", list(SERVICE_TYPES))
def test_each_flag_removes_exactly_its_service(service):
    state, security = build(make_settings(securityServices={service: False}))
    assert types_present(state) == ALL_TYPES - SERVICE_TYPES[service]
    assert security.enabled == {key: key != service for key in SERVICE_KEYS.values()}
    assert one(state, COMPONENT).outputs["enabled"] == security.enabled


def test_security_hub_off_exposes_no_standards():
    state, security = build(make_settings(securityServices={"securityHub": False}))
    assert security.security_hub_standard_arns == []
    assert one(state, COMPONENT).outputs["securityHubStandardArns"] == []


def test_inspector_off_reports_no_resource_types():
    state, security = build(make_settings(securityServices={"inspector": False}))
    assert security.inspector is None
    assert security.inspector_resource_types == []
    assert one(state, COMPONENT).outputs["inspectorResourceTypes"] == []
    assert one(state, COMPONENT).outputs["enabled"]["inspector"] is False


def test_guard_duty_off_reports_no_malware_protection():
    _, security = build(make_settings(securityServices={"guardDuty": False}))
    assert security.malware_protection is False


def test_component_outputs_published(state, default):
    outputs = one(state, COMPONENT).outputs
    assert outputs["enabled"] == default[1].enabled
    assert outputs["securityHubStandardArns"] == default[1].security_hub_standard_arns
    assert outputs["configRecorderName"] == f"glz-{STACK}-config"
    assert outputs["guardDutyDetectorId"] == one(state, DETECTOR).id
    assert outputs["malwareScanBuckets"] == {t: bucket_name(make_settings(), STACK, t) for t in INTAKE}


# ---- accountServices: create | adopt | organization ---------------------------------------------

SINGLETON_TYPES = {key: types for key, types in SERVICE_TYPES.items() if key != "malwareProtectionS3"}
ADOPT = {
    "guardDuty": {"mode": "adopt", "id": "12abc34d567e8f4912ab3d45e6789012"},
    "awsConfig": {
        "mode": "adopt",
        "id": "aws-controltower-BaselineConfigRecorder",
        "deliveryChannel": "aws-controltower-BaselineConfigDeliveryChannel",
    },
    "accessAnalyzer": {"mode": "adopt", "id": "ConsoleAnalyzer-1"},
    "unusedAccessAnalyzer": {"mode": "adopt", "id": "UnusedAccess-ConsoleAnalyzer"},
    **{
        key: "adopt"
        for key in (
            "securityHub",
            "inspector",
            "passwordPolicy",
            "ebsEncryptionByDefault",
            "s3AccountPublicAccessBlock",
        )
    },
}
IMPORT_IDS = {
    DETECTOR: "12abc34d567e8f4912ab3d45e6789012",
    RECORDER: "aws-controltower-BaselineConfigRecorder",
    RECORDER_STATUS: "aws-controltower-BaselineConfigRecorder",
    DELIVERY: "aws-controltower-BaselineConfigDeliveryChannel",
    ANALYZER: "ConsoleAnalyzer-1",
    UNUSED_ANALYZER: "UnusedAccess-ConsoleAnalyzer",
    HUB: ACCOUNT,
    INSPECTOR: f"{ACCOUNT}-EC2:ECR",
    PASSWORD: "iam-account-password-policy",
    EBS_DEFAULT: "default",
    S3_BLOCK: ACCOUNT,
}


def test_organization_mode_creates_no_singleton_and_declares_each():
    keys = [*SINGLETON_TYPES, "securityContact"]
    state, component = build(make_settings(accountServices=dict.fromkeys(keys, "organization")))
    assert types_present(state) == SERVICE_TYPES["malwareProtectionS3"], "only the per-bucket plans remain"
    assert state.of_type("aws:cfg/conformancePack:ConformancePack"), "the pack is the stack's, even under Control Tower"
    assert not state.of_type(CONTACT)
    assert sorted(component.organization) == sorted(keys)
    assert component.modes == dict.fromkeys(keys, "organization")


CONTACT = "aws:account/alternativeContact:AlternativeContact"
OFFICIAL = {
    "name": "Dana W",
    "title": "Security Officer",
    "emailAddress": "iso@example.org",
    "phoneNumber": "+1 555 0100",
}


def test_the_security_contact_is_the_declared_official_and_adopt_imports_it():
    state, component = build(make_settings(securityContact=OFFICIAL))
    contact = one(state, CONTACT)
    assert {k: contact.inputs[k] for k in ("alternateContactType", *OFFICIAL)} == {
        "alternateContactType": "SECURITY",
        **OFFICIAL,
    }
    assert "accountId" not in contact.inputs  # the caller's own account
    assert "importID" not in contact.raw and component.modes["securityContact"] == "create"
    adopted, _ = build(make_settings(securityContact=OFFICIAL, accountServices={"securityContact": "adopt"}))
    assert one(adopted, CONTACT).raw.get("importID") == "SECURITY"
    assert not build(make_settings())[0].of_type(CONTACT), "no contact declared, none put"


def test_adopt_mode_imports_each_existing_singleton_and_keeps_it_on_destroy():
    state, _ = build(make_settings(accountServices=ADOPT))
    assert types_present(state) == ALL_TYPES
    for typ, import_id in IMPORT_IDS.items():
        resource = one(state, typ)
        assert resource.raw.get("importID") == import_id, typ
        assert resource.raw.get("retainOnDelete") is True, typ
    assert one(state, RECORDER).inputs["name"] == "aws-controltower-BaselineConfigRecorder"
    assert one(state, ANALYZER).inputs["analyzerName"] == "ConsoleAnalyzer-1"
    # features, standards, the EBS default key and the plans are the stack's own settings on top: created
    for typ in (FEATURE, STANDARD, EBS_KEY, PLAN):
        assert all("importID" not in r.raw for r in state.of_type(typ)), typ


def test_create_mode_imports_nothing(state):
    assert all("importID" not in r.raw and "retainOnDelete" not in r.raw for r in state.resources)


@pytest.mark.parametrize(
    ("services", "fragment"),
    [
        ({"guardDuty": "adopt"}, "guardDuty: adopt needs id (the detector id)"),
        ({"awsConfig": {"mode": "adopt"}}, "awsConfig: adopt needs id (the recorder name)"),
        ({"accessAnalyzer": "adopt"}, "accessAnalyzer: adopt needs id (the analyzer name)"),
        ({"guardDuty": "elsewhere"}, "accountServices.guardDuty.mode"),
    ],
)
def test_account_services_errors_name_the_key(services, fragment):
    from components.settings import SettingsError

    with pytest.raises(SettingsError) as raised:
        make_settings(accountServices=services)
    assert fragment in str(raised.value)


def test_held_service_must_stay_on():
    from components.settings import SettingsError

    with pytest.raises(SettingsError) as raised:
        make_settings(accountServices={"inspector": "organization"}, securityServices={"inspector": False})
    assert "accountServices.inspector = 'organization': securityServices.inspector is false" in str(raised.value)
