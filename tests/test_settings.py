"""Settings validation: every bad input named with key, value and what is allowed; all at once."""

from __future__ import annotations

import pytest

from components.settings import Settings, SettingsError, parse_settings
from tests.harness import BASE_CONFIG, make_settings

P = "genomics-landing-zone:"


def problems(**overrides):
    with pytest.raises(SettingsError) as caught:
        raw = {**BASE_CONFIG, **overrides}
        parse_settings(raw, secret_keys=frozenset({"collaborators"}))
    return caught.value.problems


def collaborator(**overrides):
    return {
        "name": "lab-a",
        "accountId": "444455556666",
        "externalId": "a-long-external-id-0123456789",
        "tiers": ["variants"],
        **overrides,
    }


BAD_INPUTS = [
    ({"accountId": "12345"}, f"{P}accountId = '12345'", "exactly 12 digits"),
    ({"accountId": 111122223333}, f"{P}accountId = 111122223333", "quoted 12-digit string"),
    ({"vpcCidr": "8.8.0.0/16"}, f"{P}vpcCidr = '8.8.0.0/16'", "private range"),
    ({"vpcCidr": "10.0.0.0/8"}, f"{P}vpcCidr = '10.0.0.0/8'", "/16 and /24"),
    ({"vpcCidr": "10.0.0.1/16"}, f"{P}vpcCidr = '10.0.0.1/16'", "IPv4 network"),
    ({"availabilityZoneCount": 1}, f"{P}availabilityZoneCount = 1", "between 2 and 6"),
    ({"availabilityZoneCount": 7}, f"{P}availabilityZoneCount = 7", "between 2 and 6"),
    ({"region": "us-west-1", "availabilityZoneCount": 3}, f"{P}availabilityZoneCount = 3", "only 2 zones"),
    ({"availabilityZoneIds": ["usw2-az1", "usw2-az2"]}, f"{P}availabilityZoneIds = ", "not an AZ ID of us-east-1"),
    ({"availabilityZoneIds": ["us-east-1a", "use1-az2"]}, f"{P}availabilityZoneIds = ", "allowed: use1-az1, use1-az2"),
    ({"availabilityZoneIds": ["use1-az1", "use1-az1"]}, f"{P}availabilityZoneIds = ", "2 to 6 distinct AZ IDs"),
    ({"region": "eu-west-1", "fipsEndpoints": True}, f"{P}fipsEndpoints = True", "no FIPS endpoints in eu-west-1"),
    ({"fipsEndpoints": "yes please"}, f"{P}fipsEndpoints = 'yes please'", "valid boolean"),
    ({"availabilityZoneIds": ["use1-az1"]}, f"{P}availabilityZoneIds = ['use1-az1']", "2 to 6 distinct AZ IDs"),
    ({"region": "mars-north-1"}, "aws:region = 'mars-north-1'", "supported: "),
    ({"classification": "secret"}, f"{P}classification = 'secret'", "'public', 'controlled' or 'phi'"),
    (
        {"lifecycle": {"alignments": {"standardIaAfterDays": 10}}},
        "lifecycle.alignments.standardIaAfterDays = 10",
        "at least 30",
    ),
    ({"lifecycle": {"bcl": {"glacierAfterDays": 0}}}, "lifecycle.bcl.glacierAfterDays = 0", "positive"),
    (
        {"lifecycle": {"results": {"standardIaAfterDays": 60, "glacierAfterDays": 40}}},
        "lifecycle.results",
        "glacierAfterDays (40) must be greater than standardIaAfterDays (60)",
    ),
    (
        {"lifecycle": {"results": {"standardIaAfterDays": 60, "glacierAfterDays": 70}}},
        "lifecycle.results",
        "at least 30 days after standardIaAfterDays",
    ),
    (
        {"lifecycle": {"bcl": {"glacierAfterDays": 200, "expireAfterDays": 100}}},
        "lifecycle.bcl",
        "expireAfterDays (100) must be greater than glacierAfterDays (200)",
    ),
    ({"lifecycle": {"variants": {"expireAfterDays": 365}}}, "lifecycle.variants", "expireAfterDays is not allowed"),
    ({"lifecycle": {"fastqs": {}}}, "lifecycle.fastqs", "unknown setting"),
    ({"auditLogRetentionDays": 365}, f"{P}auditLogRetentionDays = 365", "HIPAA 164.316(b)(2)(i)"),
    ({"auditLogRetentionDays": 2190}, f"{P}auditLogRetentionDays = 2190", "CloudWatch Logs retention value"),
    ({"auditObjectLockDays": 1000}, f"{P}auditObjectLockDays = 1000", "at least 2190 days"),
    ({"flowLogRetentionDays": 100}, f"{P}flowLogRetentionDays = 100", "CloudWatch Logs retention value"),
    ({"interfaceEndpoints": []}, f"{P}interfaceEndpoints = []", "at least one service"),
    ({"runTracking": {"intakeTier": "raw"}}, "runTracking.intakeTier = 'raw'", "unknown tier; allowed: bcl, fastq"),
    ({"runTracking": {"markers": ["runs/CopyComplete.txt"]}}, "runTracking.markers", "no '/' or wildcard"),
    (
        {"runTracking": {"stages": ["variant-calling", "demultiplex"]}},
        "runTracking.stages",
        "'demultiplex' is not a pipeline stage; allowed: alignment, variant-calling",
    ),
    ({"compute": {"enabled": False}}, "runTracking.enabled = True", "needs compute (compute.enabled is false)"),
    ({"runTracking": {"queue": "fpga"}}, "runTracking.queue = 'fpga'", "unknown setting"),
    ({"systemUseNotice": "Authorized use"}, f"{P}systemUseNotice = 'Authorized use'", "20 to 1500 characters"),
    ({"systemUseNotice": "Authorized use only\x07 beep beep"}, f"{P}systemUseNotice", "must be printable text"),
    (
        {"compute": {"sessionIdleMinutes": 45, "images": BASE_CONFIG["compute"]["images"]}},
        "compute.sessionIdleMinutes = 45",
        "between 1 and 30 minutes",
    ),
    (
        {"fpga": {"enabled": True, "amiId": "ami-0abcdef1234567890", "instanceTypes": ["f1.2xlarge"]}},
        "fpga.instanceTypes",
        "F1 instances were retired",
    ),
    (
        {"fpga": {"enabled": True, "amiId": "ami-0abcdef1234567890", "instanceTypes": ["p5.48xlarge"]}},
        "fpga.instanceTypes",
        "not an F2 instance type",
    ),
    ({"fpga": {"enabled": True}}, f"{P}fpga.amiId = missing", "required when fpga.enabled"),
    ({"fpga": {"amiId": "ubuntu"}}, "fpga.amiId = 'ubuntu'", "AMI ID"),
    (
        {"compute": {"images": {"alignment": "docker.io/biocontainers/bwa:0.7", "variantCalling": "x"}}},
        "compute.images.alignment",
        "other registries only when listed",
    ),
    ({"compute": {}}, f"{P}compute.images = missing", "required when compute is enabled"),
    (
        {"compute": {"instanceTypes": ["f2.6xlarge"], "images": BASE_CONFIG["compute"]["images"]}},
        "compute.instanceTypes",
        "FPGA types",
    ),
    ({"collaborators": [collaborator(accountId="9999")]}, "collaborators[0].accountId = '9999'", "12 digits"),
    (
        {"collaborators": [collaborator(accountId=BASE_CONFIG["accountId"])]},
        "collaborators[0].accountId",
        "own account",
    ),
    ({"collaborators": [collaborator(access="admin")]}, "collaborators[0].access = 'admin'", "'read' or 'read-write'"),
    ({"collaborators": [collaborator(tiers=["vcf"])]}, "collaborators[0].tiers", "allowed: bcl, fastq"),
    ({"collaborators": [collaborator(externalId="short")]}, "collaborators[0].externalId = [secret]", "at least 16"),
    ({"collaborators": [collaborator(prefixes=["*"])]}, "collaborators[0].prefixes", "no wildcards"),
    ({"collaborators": [collaborator(maxSessionSeconds=86400)]}, "collaborators[0].maxSessionSeconds = 86400", "43200"),
    ({"collaborators": [collaborator(), collaborator()]}, "collaborators", "used twice"),
    (
        {"collaborators": [collaborator(principalArns=["arn:aws:iam::111122223333:role/x"])]},
        "collaborators[0]",
        "collaborator's own account 444455556666",
    ),
    ({"securityHubStandards": ["pci"]}, "securityHubStandards", "allowed: nist-800-171"),
    (
        {"securityServices": {"malwareScanTiers": ["bcl", "raw"]}},
        f"{P}securityServices.malwareScanTiers = ['bcl', 'raw']",
        "unknown tier(s) ['raw']; allowed: bcl, fastq, alignments, variants, reference, results",
    ),
    (
        {"securityServices": {"malwareScanTiers": []}},
        f"{P}securityServices.malwareScanTiers = []",
        "set securityServices.malwareProtectionS3 to false",
    ),
    (
        {"securityServices": {"malwareScanTiers": ["fastq", "fastq"]}},
        f"{P}securityServices.malwareScanTiers = ['fastq', 'fastq']",
        "lists a tier twice",
    ),
    (
        {"securityServices": {"malwareProtectionS3": "sometimes"}},
        f"{P}securityServices.malwareProtectionS3 = 'sometimes'",
        "valid boolean",
    ),
    ({"alarmEmail": "nobody"}, "alarmEmail = 'nobody'", "email address"),
    (
        {"accountServices": {"snapshotBlockPublicAccess": "adopt"}},
        f"{P}accountServices",
        "snapshotBlockPublicAccess: adopt is not offered",
    ),
    (
        {
            "securityContact": {
                **{"name": "A", "title": "ISO", "emailAddress": "a@example.org", "phoneNumber": "+1 555 0100"},
                "phoneNumber": "call me",
            }
        },
        f"{P}securityContact.phoneNumber = 'call me'",
        "digits, spaces and ( ) + -",
    ),
    (
        {
            "securityContact": {
                **{"name": "A", "title": "ISO", "emailAddress": "a@example.org", "phoneNumber": "+1 555 0100"},
                "emailAddress": "nobody",
            }
        },
        f"{P}securityContact.emailAddress = 'nobody'",
        "must be an email address",
    ),
    (
        {"securityContact": {"name": "A", "emailAddress": "a@example.org", "phoneNumber": "1"}},
        f"{P}securityContact.title = missing",
        "",
    ),
    (
        {
            "securityContact": {
                "name": "A",
                "title": "ISO",
                "emailAddress": "a@example.org",
                "phoneNumber": "+1 555 0100",
            },
            "accountServices": {"securityContact": "organization"},
        },
        f"{P}securityContact = ",
        "must be left out when accountServices.securityContact is organization",
    ),
    ({"tags": {"aws:owner": "x"}}, "tags", "reserved 'aws:' prefix"),
    ({"namePrefix": "GLZ"}, "namePrefix = 'GLZ'", "lowercase"),
    ({"bogusKey": 1}, f"{P}bogusKey = 1", "unknown setting"),
]


@pytest.mark.parametrize(("overrides", "where", "message"), BAD_INPUTS, ids=[b[1] for b in BAD_INPUTS])
def test_bad_input_is_named_with_value_and_allowed(overrides, where, message):
    found = problems(**overrides)
    matching = [p for p in found if where in p and message in p]
    assert matching, f"expected a problem naming {where!r} with {message!r}, got {found}"


def test_all_problems_reported_together():
    found = problems(
        accountId="12345",
        lifecycle={"alignments": {"standardIaAfterDays": 10}},
        fpga={"enabled": True, "amiId": "ami-0abcdef1234567890", "instanceTypes": ["f1.2xlarge"]},
        auditLogRetentionDays=365,
    )
    assert len(found) >= 4
    joined = "\n".join(found)
    for key in ("accountId", "standardIaAfterDays", "f1.2xlarge", "auditLogRetentionDays"):
        assert key in joined


def test_external_ids_must_be_secrets():
    raw = {**BASE_CONFIG, "collaborators": [collaborator()]}
    with pytest.raises(SettingsError, match="must be stored as secrets"):
        parse_settings(raw, secret_keys=frozenset())


def test_external_id_is_not_printed_in_errors():
    secret = "do-not-print-this-secret-value!!"  # '!' is not allowed, so validation fails
    found = problems(collaborators=[collaborator(externalId=secret)])
    assert not any(secret in p for p in found)


def test_defaults_implement_genomics_tiering():
    settings = make_settings()
    lifecycle = settings.lifecycle
    assert lifecycle.bcl.glacier_after_days is not None
    assert lifecycle.fastq.expire_after_days is not None
    assert lifecycle.alignments.standard_ia_after_days == 30
    assert all(days is None for _, days in lifecycle.variants.transitions())
    assert lifecycle.variants.expire_after_days is None
    assert settings.classification == "phi"
    assert settings.egress == "none"


def test_public_classification_allows_short_retention():
    settings = make_settings(classification="public", auditLogRetentionDays=365, auditObjectLockDays=365)
    assert settings.audit_log_retention_days == 365


def test_top_level_values_arrive_as_strings_from_pulumi():
    settings = make_settings(availabilityZoneCount="3", fpga={"enabled": "false"})
    assert settings.availability_zone_count == 3
    assert settings.zones == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_every_setting_is_declared_in_pulumi_yaml():
    import pathlib

    import yaml

    declared = yaml.safe_load(pathlib.Path("Pulumi.yaml").read_text())["config"]
    aliases = {field.alias or name for name, field in Settings.model_fields.items()}
    aliases.discard("region")
    assert aliases <= set(declared), sorted(aliases - set(declared))
    assert "aws:region" in declared
    for name, field in Settings.model_fields.items():
        alias = field.alias or name
        spec = declared.get(alias) or {}
        if "default" in spec and isinstance(field.default, (int, str)) and field.default is not None:
            assert spec["default"] == field.default, alias
    for name, field in Settings.model_fields.items():
        alias = field.alias or name
        if alias in declared and field.is_required() is False:
            assert "default" in declared[alias], f"{alias}: optional settings need a default in Pulumi.yaml"


def test_every_security_service_key_is_described_in_pulumi_yaml():
    """securityServices is one object in Pulumi.yaml; its description names each key the model reads."""
    import pathlib

    import yaml

    from components.settings import SecurityServices

    description = yaml.safe_load(pathlib.Path("Pulumi.yaml").read_text())["config"]["securityServices"]["description"]
    keys = [field.alias or name for name, field in SecurityServices.model_fields.items()]
    assert [k for k in keys if k not in description] == []


def test_intake_tiers_default_and_read_write_collaborators():
    from components.settings import DEFAULT_MALWARE_SCAN_TIERS

    assert make_settings().intake_tiers == ["bcl", "fastq", "reference"] == list(DEFAULT_MALWARE_SCAN_TIERS)
    assert make_settings().security_services.malware_protection_s3 is True
    writer = collaborator(name="lab-w", access="read-write", tiers=["results", "bcl"])
    reader = collaborator(name="lab-r", tiers=["variants"])
    settings = make_settings(collaborators=[writer, reader], securityServices={"malwareScanTiers": ["fastq"]})
    # TIERS order; the read-only collaborator's tier is not an intake tier
    assert settings.intake_tiers == ["bcl", "fastq", "results"]


@pytest.mark.parametrize("classification", ["phi", "controlled"])
def test_deployer_required_where_the_endpoint_only_deny_applies(classification):
    raw = {k: v for k, v in BASE_CONFIG.items() if k != "deployerPrincipalArns"}
    with pytest.raises(SettingsError) as raised:
        make_settings(**{**raw, "classification": classification, "deployerPrincipalArns": []})
    assert "genomics-landing-zone:deployerPrincipalArns = []: required when classification" in str(raised.value)


def test_deployer_optional_for_public_data():
    assert make_settings(
        classification="public", auditLogRetentionDays=365, auditObjectLockDays=365, deployerPrincipalArns=[]
    )


def test_a_plaintext_external_id_beside_a_secret_one_is_named():
    """Pulumi marks all of `collaborators` secret when one external ID is; offline the secure: ones are
    placeholders, so a plain one next to them is found and named by index, its value never shown."""
    secret = collaborator(externalId="offline-placeholder-collaborators-0-externalId")
    plain = collaborator(name="lab-b", externalId="a-plain-text-external-id-0123")
    found = problems(collaborators=[secret, plain])
    assert found == [
        f"{P}collaborators[1].externalId = [plain text]: stored unencrypted beside secret ones; set it with "
        "`pulumi config set --secret --path 'collaborators[1].externalId' <value>`"
    ]
    assert not any("a-plain-text-external-id" in p for p in found)
    make_settings(collaborators=[secret, {**secret, "name": "lab-b"}])  # all secret: accepted


def test_a_workload_collaborator_is_held_by_its_source_network_not_mfa():
    """A role session cannot present MFA: a workload with requireMfa true could never assume its role."""
    workload = collaborator(
        principalKind="workload",
        principalArns=["arn:aws:iam::444455556666:role/pipeline"],
        sourceIps=["198.51.100.0/24"],
    )
    assert any("cannot present MFA" in p for p in problems(collaborators=[workload]))
    assert any(
        "needs principalArns" in p for p in problems(collaborators=[{**workload, "requireMfa": False, "sourceIps": []}])
    )
    assert any(
        "too much of the internet" in p
        for p in problems(collaborators=[{**workload, "requireMfa": False, "sourceIps": ["0.0.0.0/0"]}])
    )
    assert any(
        "only for principalKind: workload" in p
        for p in problems(collaborators=[collaborator(sourceIps=["198.51.100.0/24"])])
    )
    settings = make_settings(collaborators=[{**workload, "requireMfa": False}])
    assert settings.collaborators[0].source_ips == ["198.51.100.0/24"]


@pytest.mark.parametrize("account", [None, "12345"])
def test_a_missing_or_malformed_account_is_one_problem_not_one_per_image(account):
    """Issue 18: one line per root cause. Images are judged against accountId; without a valid one they are not
    reported as in another account (the accountId line is the one fix)."""
    raw = {key: value for key, value in BASE_CONFIG.items() if key != "accountId"}
    if account is not None:
        raw["accountId"] = account
    image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa:1.0"
    raw["compute"] = {"images": {"alignment": image, "variantCalling": image}}
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, secret_keys=frozenset({"collaborators"}))
    found = caught.value.problems
    assert [p for p in found if "accountId" in p] and not [p for p in found if "images" in p], found
    assert len(found) == 1, found


def test_an_image_of_another_account_is_still_refused_when_the_account_is_valid():
    image = "999999999999.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa:1.0"
    found = problems(compute={"images": {"alignment": image, "variantCalling": image}})
    assert [p for p in found if "compute.images.alignment" in p and "ECR image in this account" in p]
