"""AccountSecurity: the account-wide detective and preventive services a NIST 800-171 / HIPAA
environment relies on — AWS Config, GuardDuty, Security Hub, IAM Access Analyzer, Amazon Inspector
vulnerability scanning, GuardDuty Malware Protection for S3 on the intake buckets, the IAM password
policy, EBS encryption by default and the account-level S3 public access block.

Every service is on by default. Each one can be turned off only through its own setting under
``securityServices`` (for an organization that runs it centrally), and what is on or off is
exposed as ``enabled`` so the stack outputs and the control matrix show it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import malware_policies, service_linked_roles
from components.data_lake import SecureBucket
from components.naming import base_name, role_name
from components.settings import AccountServices, SecurityContact, SecurityServices, Settings
from controls.conformance_pack import conformance_pack_template
from controls.mapping import mapped_config_rules

# ---- AWS Config ---------------------------------------------------------------------------

CONFIG_SLR_PATH = service_linked_roles.CONFIG.path
"""The recorder's role: created, adopted or only named per serviceLinkedRoles.config (see
components/service_linked_roles.py: a fresh account has no such role, an account where Config ran has)."""

CONFIG_KEY_PREFIX = "config"
CONFIG_SNAPSHOT_FREQUENCY = "TwentyFour_Hours"

# ---- GuardDuty ----------------------------------------------------------------------------

GUARDDUTY_PUBLISHING_FREQUENCY = "FIFTEEN_MINUTES"
S3_PROTECTION = "S3_DATA_EVENTS"
MALWARE_PROTECTION = "EBS_MALWARE_PROTECTION"

REGIONS_WITHOUT_EBS_MALWARE_PROTECTION = frozenset(
    {"us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1", "ap-east-2"}
)
"""Where GuardDuty Malware Protection for EC2 is not offered. Source: the AWS Config managed rule
``guardduty-malware-protection-enabled`` is documented as available in "all supported AWS regions
except China (Beijing), AWS GovCloud (US-East), AWS GovCloud (US-West), Asia Pacific (Taipei),
China (Ningxia)" (AWS Config developer guide). Enabling the feature there fails the deployment,
so it is skipped and ``malware_protection`` reports False."""

# ---- Security Hub -------------------------------------------------------------------------

CONTROL_FINDING_GENERATOR = "SECURITY_CONTROL"

STANDARD_PATHS: dict[str, str] = {
    "nist-800-171": "standards/nist-800-171/v/2.0.0",
    "nist-800-53-r5": "standards/nist-800-53/v/5.0.0",
    "aws-foundational": "standards/aws-foundational-security-best-practices/v/1.0.0",
    "cis-3.0": "standards/cis-aws-foundations-benchmark/v/3.0.0",
}
"""Security Hub standards by setting value (ARNs as listed for ``securityhub.StandardsSubscription``)."""

REGIONS_WITHOUT_STANDARD: dict[str, frozenset[str]] = {
    "nist-800-171": frozenset({"us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1"}),
}
"""Where a standard is not offered. NIST SP 800-171 r2 arrived in Security Hub in 2025; no region
list for it was found, so this assumes it follows the AWS Config NIST 800-171 conformance pack,
which AWS documents as unavailable in GovCloud (US-East/US-West); China is assumed likewise.
Check ``aws securityhub describe-standards`` in the target region and edit this table if AWS
adds the standard there."""

STANDARD_FALLBACKS: dict[str, str] = {"nist-800-171": "nist-800-53-r5"}
"""NIST SP 800-171 r2 derives from SP 800-53, so the r5 standard checks a superset of its controls."""


def conformance_pack_body() -> str:
    """The AWS Config managed rules the control mapping names, so the matrix's continuous monitoring is real."""
    return conformance_pack_template(mapped_config_rules())


@dataclass(frozen=True)
class StandardChoice:
    """A requested Security Hub standard and the one actually subscribed in this region."""

    requested: str
    effective: str
    arn: str

    @property
    def substituted(self) -> bool:
        return self.requested != self.effective


def standard_arn(settings: Settings, standard: str) -> str:
    return f"arn:{settings.partition}:securityhub:{settings.region}::{STANDARD_PATHS[standard]}"


def effective_standard(settings: Settings, standard: str) -> str:
    """The standard itself, or its fallback where the stack's region does not offer it."""
    if settings.region in REGIONS_WITHOUT_STANDARD.get(standard, frozenset()):
        return STANDARD_FALLBACKS[standard]
    return standard


def standard_substitutions(settings: Settings) -> dict[str, str]:
    """Requested standard -> the fallback subscribed instead in this region."""
    return {
        requested: effective_standard(settings, requested)
        for requested in settings.security_hub_standards
        if effective_standard(settings, requested) != requested
    }


def choose_standards(settings: Settings) -> list[StandardChoice]:
    """The standards to subscribe, in the configured order, each replaced by its fallback where the
    region lacks it; a standard requested twice (directly and as a fallback) is subscribed once."""
    choices: list[StandardChoice] = []
    seen: set[str] = set()
    for requested in settings.security_hub_standards:
        effective = effective_standard(settings, requested)
        if effective not in seen:
            seen.add(effective)
            choices.append(StandardChoice(requested, effective, standard_arn(settings, effective)))
    return choices


UNUSED_ACCESS_TYPE = "ACCOUNT_UNUSED_ACCESS"


# ---- Amazon Inspector (NIST 800-171 3.11.2, 3.14.1) ------------------------------------------

INSPECTOR_RESOURCE_TYPES: tuple[str, ...] = ("EC2", "ECR")
"""What Inspector scans for software vulnerabilities (CVEs): the Batch hosts (EC2) and the pipeline
images in the account's private ECR, which are the only places this landing zone runs code. LAMBDA
and LAMBDA_CODE are left out: the stack deploys no Lambda functions, and switching on a paid scan of
functions other teams own is their account owner's decision, not this stack's."""


# ---- GuardDuty Malware Protection for S3 (NIST 800-171 3.14.2, 3.14.5) ---------------------

MALWARE_SCAN_POLICY_NAME = "guardduty-malware-protection-s3"
TAGGING_ENABLED = "ENABLED"
"""GuardDuty tags every scanned object GuardDutyMalwareScanStatus=<result>; the bucket policies and
downstream jobs act on that tag, so tagging is always on."""


# ---- IAM password policy (NIST 800-171 3.5.7-3.5.8, CIS 1.8-1.9) ---------------------------

MINIMUM_PASSWORD_LENGTH = 14
PASSWORD_REUSE_PREVENTION = 24

SNAPSHOT_BLOCK_STATE = "block-all-sharing"
IMAGE_BLOCK_STATE = "block-new-sharing"
SECURITY_CONTACT_KEY = "securityContact"
"""accountServices key of the SECURITY alternate contact (not a securityServices switch: its setting is the
contact itself, securityContact)."""

ACCOUNT_SERVICE_FIELDS = frozenset(AccountServices.model_fields)
"""The account-level singletons accountServices places (create | adopt | organization)."""

SERVICE_KEYS: dict[str, str] = {
    "aws_config": "awsConfig",
    "guard_duty": "guardDuty",
    "security_hub": "securityHub",
    "access_analyzer": "accessAnalyzer",
    "unused_access_analyzer": "unusedAccessAnalyzer",
    "inspector": "inspector",
    "password_policy": "passwordPolicy",
    "ebs_encryption_by_default": "ebsEncryptionByDefault",
    "s3_account_public_access_block": "s3AccountPublicAccessBlock",
    "snapshot_block_public_access": "snapshotBlockPublicAccess",
    "image_block_public_access": "imageBlockPublicAccess",
    "malware_protection_s3": "malwareProtectionS3",
}
"""Service field -> the config key under ``securityServices`` (also the key in ``enabled``)."""


class AccountSecurity(pulumi.ComponentResource):
    """Account-wide security services for one region, each on unless its setting turns it off.

    Attributes for other components and stack outputs: ``enabled`` (config key -> on/off),
    ``inspector_resource_types`` (what Amazon Inspector scans; empty when it is off),
    ``security_hub_standard_arns`` (ARNs actually subscribed), ``security_hub_substitutions``
    (requested standard -> fallback used in this region), ``malware_protection`` (EBS malware scans),
    ``malware_scan_buckets`` (tier -> bucket name with a Malware Protection for S3 plan) and the
    resources themselves (None or empty when their service is off).
    """

    recorder: aws.cfg.Recorder | None = None
    delivery_channel: aws.cfg.DeliveryChannel | None = None
    recorder_status: aws.cfg.RecorderStatus | None = None
    conformance_pack: aws.cfg.ConformancePack | None = None
    detector: aws.guardduty.Detector | None = None
    security_hub: aws.securityhub.Account | None = None
    access_analyzer: aws.accessanalyzer.Analyzer | None = None
    unused_access_analyzer: aws.accessanalyzer.Analyzer | None = None
    inspector: aws.inspector2.Enabler | None = None
    password_policy: aws.iam.AccountPasswordPolicy | None = None
    ebs_encryption: aws.ebs.EncryptionByDefault | None = None
    ebs_default_key: aws.ebs.DefaultKmsKey | None = None
    s3_public_access_block: aws.s3.AccountPublicAccessBlock | None = None
    security_contact: aws.account.AlternativeContact | None = None
    snapshot_block_public_access: aws.ebs.SnapshotBlockPublicAccess | None = None
    image_block_public_access: aws.ec2.ImageBlockPublicAccess | None = None

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        audit_bucket_name: pulumi.Input[str],
        log_key: aws.kms.Key,
        compute_key: aws.kms.Key,
        intake_buckets: Mapping[str, SecureBucket] | None = None,
        data_key: aws.kms.Key | None = None,
        config_role_ready: list[pulumi.Resource] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``config_role_ready``: what the Config recorder waits for (the service-linked role it names,
        when the stack creates or adopts it)."""
        super().__init__("glz:security:AccountSecurity", name, None, opts)
        self._config_role_ready = list(config_role_ready or [])
        self._name = name
        self._settings = settings
        self._stack = stack
        services: SecurityServices = settings.security_services
        self.enabled: dict[str, bool] = {key: bool(getattr(services, field)) for field, key in SERVICE_KEYS.items()}
        self.detector_features: dict[str, aws.guardduty.DetectorFeature] = {}
        self.standards_subscriptions: dict[str, aws.securityhub.StandardsSubscription] = {}
        self.security_hub_standard_arns: list[str] = []
        self.security_hub_substitutions: dict[str, str] = {}
        self.malware_protection = False
        self.inspector_resource_types: list[str] = list(INSPECTOR_RESOURCE_TYPES) if services.inspector else []
        self.malware_scan_roles: dict[str, aws.iam.Role] = {}
        self.malware_scan_role_policies: dict[str, aws.iam.RolePolicy] = {}
        self.malware_protection_plans: dict[str, aws.guardduty.MalwareProtectionPlan] = {}
        self.malware_scan_buckets: dict[str, pulumi.Output[str]] = {}
        # singletons the organization holds: created nowhere here, declared in the outputs, checked live
        self.organization: list[str] = [
            key
            for field, key in SERVICE_KEYS.items()
            if getattr(services, field) and field in ACCOUNT_SERVICE_FIELDS and self._mode(field) == "organization"
        ]
        self.modes: dict[str, str] = {
            key: self._mode(field) for field, key in SERVICE_KEYS.items() if field in ACCOUNT_SERVICE_FIELDS
        }
        self.modes[SECURITY_CONTACT_KEY] = self._mode("security_contact")
        if self._mode("security_contact") == "organization":
            self.organization.append(SECURITY_CONTACT_KEY)
        elif settings.security_contact is not None:
            self._security_contact(settings.security_contact)

        if services.aws_config:
            self._config(audit_bucket_name, log_key)
        if services.guard_duty and self._mode("guard_duty") != "organization":
            self._guard_duty()
        if services.security_hub and self._mode("security_hub") != "organization":
            self._security_hub()
        if services.access_analyzer and self._mode("access_analyzer") != "organization":
            adopted = settings.account_services.access_analyzer.id
            self.access_analyzer = aws.accessanalyzer.Analyzer(
                f"{name}-access-analyzer",
                analyzer_name=adopted or base_name(settings, stack, "access-analyzer"),
                type="ACCOUNT",
                opts=self._held("access_analyzer", adopted),
            )
        if services.unused_access_analyzer and self._mode("unused_access_analyzer") != "organization":
            self._unused_access_analyzer(services.unused_access_days)
        if services.inspector and self._mode("inspector") != "organization":
            # ECR enhanced scanning: images on push and again when a new CVE affects them. EC2: running
            # instances; the Batch hosts are SSM-managed (AmazonSSMManagedInstanceCore and the ssm
            # endpoints), which agent-based scanning needs, but they are short-lived, so their coverage
            # is worth a look in Inspector. Findings reach Security Hub when both are on in the account.
            self.inspector = aws.inspector2.Enabler(
                f"{name}-inspector",
                account_ids=[settings.account_id],
                resource_types=list(INSPECTOR_RESOURCE_TYPES),
                # import id: account ids, then resource types sorted, ':'-joined (pulumi-aws Enabler docs)
                opts=self._held("inspector", f"{settings.account_id}-{':'.join(sorted(INSPECTOR_RESOURCE_TYPES))}"),
            )
        if services.malware_protection_s3:
            if intake_buckets is None or data_key is None:
                raise ValueError(
                    "securityServices.malwareProtectionS3 is on: AccountSecurity needs the intake buckets "
                    "(intake_buckets) and the data key they are encrypted with (data_key)"
                )
            self._malware_protection_s3(intake_buckets, data_key)
        if services.password_policy and self._mode("password_policy") != "organization":
            self.password_policy = aws.iam.AccountPasswordPolicy(
                f"{name}-password-policy",
                minimum_password_length=MINIMUM_PASSWORD_LENGTH,
                require_lowercase_characters=True,
                require_uppercase_characters=True,
                require_numbers=True,
                require_symbols=True,
                password_reuse_prevention=PASSWORD_REUSE_PREVENTION,
                max_password_age=settings.password_max_age_days,
                allow_users_to_change_password=True,
                hard_expiry=False,
                opts=self._held("password_policy", "iam-account-password-policy"),
            )
        if services.ebs_encryption_by_default and self._mode("ebs_encryption_by_default") != "organization":
            self.ebs_encryption = aws.ebs.EncryptionByDefault(
                f"{name}-ebs-encryption-by-default",
                enabled=True,
                opts=self._held("ebs_encryption_by_default", "default"),
            )
            self.ebs_default_key = aws.ebs.DefaultKmsKey(
                f"{name}-ebs-default-key", key_arn=compute_key.arn, opts=self._child()
            )
        if services.s3_account_public_access_block and self._mode("s3_account_public_access_block") != "organization":
            self.s3_public_access_block = aws.s3.AccountPublicAccessBlock(
                f"{name}-s3-public-access-block",
                account_id=settings.account_id,
                block_public_acls=True,
                ignore_public_acls=True,
                block_public_policy=True,
                restrict_public_buckets=True,
                opts=self._held("s3_account_public_access_block", settings.account_id),
            )

        self._media_block_public_access(services)

        self.register_outputs(
            {
                "enabled": self.enabled,
                "accountServices": self.modes,
                "organizationServices": self.organization,
                "securityHubStandardArns": self.security_hub_standard_arns,
                "securityHubSubstitutions": self.security_hub_substitutions,
                "malwareProtection": self.malware_protection,
                "configRecorderName": self.recorder.name if self.recorder else None,
                "guardDutyDetectorId": self.detector.id if self.detector else None,
                "accessAnalyzerArn": self.access_analyzer.arn if self.access_analyzer else None,
                "unusedAccessAnalyzerArn": self.unused_access_analyzer.arn if self.unused_access_analyzer else None,
                "inspectorResourceTypes": self.inspector_resource_types,
                "malwareScanBuckets": self.malware_scan_buckets,
            }
        )

    def _unused_access_analyzer(self, days: int) -> None:
        """IAM Access Analyzer's unused-access analysis (NIST 800-171 3.5.6): a finding for every role, user,
        access key, password and permission of the account not used for ``days`` days, so identifiers that
        outlive their need (a collaborator whose project ended, a forgotten user) are found and removed. No
        analysis rule excludes anything. It is charged per role and user analyzed each month (IAM Access
        Analyzer pricing), and its findings reach Security Hub when both are on. Type and configuration:
        pulumi-aws accessanalyzer.Analyzer (type ACCOUNT_UNUSED_ACCESS, configuration.unusedAccess)."""
        adopted = self._settings.account_services.unused_access_analyzer.id
        self.unused_access_analyzer = aws.accessanalyzer.Analyzer(
            f"{self._name}-unused-access-analyzer",
            analyzer_name=adopted or base_name(self._settings, self._stack, "unused-access"),
            type=UNUSED_ACCESS_TYPE,
            configuration=aws.accessanalyzer.AnalyzerConfigurationArgs(
                unused_access=aws.accessanalyzer.AnalyzerConfigurationUnusedAccessArgs(unused_access_age=days)
            ),
            opts=self._held("unused_access_analyzer", adopted),
        )

    def _media_block_public_access(self, services: SecurityServices) -> None:
        """EBS snapshots and AMIs of the region cannot be made public. Snapshots: block-all-sharing, which also
        keeps snapshots shared publicly before from being public (block-new-sharing would leave them public;
        EC2 API Reference, EnableSnapshotBlockPublicAccess). Images: block-new-sharing, the only blocking state
        (EnableImageBlockPublicAccess). Both are region settings of the account; where an AWS Organizations
        declarative policy sets them the account cannot change them, so accountServices offers organization."""
        if services.snapshot_block_public_access and self._mode("snapshot_block_public_access") != "organization":
            self.snapshot_block_public_access = aws.ebs.SnapshotBlockPublicAccess(
                f"{self._name}-snapshot-block-public-access", state=SNAPSHOT_BLOCK_STATE, opts=self._child()
            )
        if services.image_block_public_access and self._mode("image_block_public_access") != "organization":
            self.image_block_public_access = aws.ec2.ImageBlockPublicAccess(
                f"{self._name}-image-block-public-access", state=IMAGE_BLOCK_STATE, opts=self._child()
            )

    def _security_contact(self, contact: SecurityContact) -> None:
        """The security official as the account's SECURITY alternate contact (45 CFR 164.308(a)(2); CIS AWS
        Foundations 1.2). PutAlternateContact replaces whatever the account had. In an account of an AWS
        Organization it works only once trusted access for AWS Account Management is enabled (Account Management
        API Reference, PutAlternateContact); where the management account sets contacts, declare
        accountServices.securityContact: organization instead. Adopt imports the existing one ("SECURITY")."""
        self.security_contact = aws.account.AlternativeContact(
            f"{self._name}-security-contact",
            alternate_contact_type="SECURITY",
            name=contact.name,
            title=contact.title,
            email_address=contact.email_address,
            phone_number=contact.phone_number,
            opts=self._held("security_contact", "SECURITY"),
        )

    def _child(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=depends_on)

    def _mode(self, field: str) -> str:
        return str(getattr(self._settings.account_services, field).mode)

    def _held(self, field: str, import_id: str | None, depends_on: list[pulumi.Resource] | None = None):
        """Options for a singleton per accountServices: adopt imports ``import_id`` (Pulumi's import option:
        the settings must match what the account has for the import to succeed) and keeps the resource on
        destroy, since it served the account before the stack."""
        adopt = self._mode(field) == "adopt"
        return pulumi.ResourceOptions(
            parent=self, depends_on=depends_on, import_=import_id if adopt else None, retain_on_delete=adopt
        )

    def _config(self, audit_bucket_name: pulumi.Input[str], log_key: aws.kms.Key) -> None:
        """Record every supported resource type, global ones (IAM) included, continuously; deliver
        snapshots and history to the audit bucket encrypted with the log key."""
        settings, name = self._settings, self._name
        held = settings.account_services.aws_config
        if held.mode == "organization":
            # Control Tower or a delegated administrator runs Config here: only the pack is the stack's
            self.conformance_pack = aws.cfg.ConformancePack(
                f"{name}-conformance-pack",
                name=base_name(settings, self._stack, "controls"),
                template_body=conformance_pack_body(),
                opts=self._child(),
            )
            return
        recorder_name = held.id or base_name(settings, self._stack, "config")
        channel_name = (held.delivery_channel or "default") if held.mode == "adopt" else recorder_name
        self.recorder = aws.cfg.Recorder(
            f"{name}-config-recorder",
            name=recorder_name,
            role_arn=service_linked_roles.role_arn(settings, service_linked_roles.CONFIG),
            recording_group=aws.cfg.RecorderRecordingGroupArgs(
                all_supported=True,
                include_global_resource_types=True,
            ),
            recording_mode=aws.cfg.RecorderRecordingModeArgs(recording_frequency="CONTINUOUS"),
            opts=self._held("aws_config", recorder_name, self._config_role_ready),
        )
        # Config rejects a delivery channel until a recorder exists, and a recorder cannot start
        # without a delivery channel: recorder -> channel -> status.
        self.delivery_channel = aws.cfg.DeliveryChannel(
            f"{name}-config-delivery",
            name=channel_name,
            s3_bucket_name=audit_bucket_name,
            s3_key_prefix=CONFIG_KEY_PREFIX,
            s3_kms_key_arn=log_key.arn,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency=CONFIG_SNAPSHOT_FREQUENCY
            ),
            opts=self._held("aws_config", channel_name, [self.recorder]),
        )
        self.recorder_status = aws.cfg.RecorderStatus(
            f"{name}-config-recorder-status",
            name=self.recorder.name,
            is_enabled=True,
            opts=self._held("aws_config", recorder_name, [self.delivery_channel]),
        )
        self.conformance_pack = aws.cfg.ConformancePack(
            f"{name}-conformance-pack",
            name=base_name(settings, self._stack, "controls"),
            template_body=conformance_pack_body(),
            opts=self._child([self.recorder_status]),
        )

    def _guard_duty(self) -> None:
        """A detector publishing findings every 15 minutes, with S3 data-event protection and, where
        the region offers it, malware scanning of EBS volumes (the Batch instances' disks)."""
        settings, name = self._settings, self._name
        self.detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency=GUARDDUTY_PUBLISHING_FREQUENCY,
            opts=self._held("guard_duty", settings.account_services.guard_duty.id),
        )
        features = [S3_PROTECTION]
        self.malware_protection = settings.region not in REGIONS_WITHOUT_EBS_MALWARE_PROTECTION
        if self.malware_protection:
            features.append(MALWARE_PROTECTION)
        # Runtime Monitoring is not enabled: its EC2 agent needs SSM management of the Batch hosts
        # and a guardduty-data VPC endpoint, which this landing zone does not provision.
        for feature in features:
            self.detector_features[feature] = aws.guardduty.DetectorFeature(
                f"{name}-guardduty-{feature.lower().replace('_', '-')}",
                detector_id=self.detector.id,
                name=feature,
                status="ENABLED",
                opts=self._child(),
            )

    def _malware_protection_s3(self, intake_buckets: Mapping[str, SecureBucket], data_key: aws.kms.Key) -> None:
        """One Malware Protection for S3 plan per intake bucket, with object tagging on, and a scan role per
        bucket whose policy names only that bucket and the data key.

        Independent of the GuardDuty detector: the plans scan and tag with or without it; with it (the
        default) each threat found is also a GuardDuty finding in Security Hub. The data key's policy lets
        the role in through the account statement (IAM policies decide), so the key policy does not name
        the role: KMS rejects a key policy naming a role that does not exist yet, and the key comes first.
        """
        settings, name, stack = self._settings, self._name, self._stack
        trust = json.dumps(malware_policies.trust_policy(settings), sort_keys=True)
        for tier, secure_bucket in intake_buckets.items():
            bucket = secure_bucket.bucket
            role = aws.iam.Role(
                f"{name}-malware-scan-{tier}",
                name=role_name(settings, stack, malware_policies.scan_role_suffix(tier)),
                description=f"GuardDuty Malware Protection for S3: scans and tags new objects of the {tier} bucket",
                assume_role_policy=trust,
                max_session_duration=3600,
                force_detach_policies=True,
                tags={"MalwareScanTier": tier},
                opts=self._child(),
            )
            policy = aws.iam.RolePolicy(
                f"{name}-malware-scan-{tier}-policy",
                name=MALWARE_SCAN_POLICY_NAME,
                role=role.name,
                policy=pulumi.Output.all(bucket.arn, data_key.arn).apply(
                    lambda args: json.dumps(malware_policies.role_policy(settings, args[0], args[1]), sort_keys=True)
                ),
                opts=self._child(),
            )
            # GuardDuty checks its access when the plan is created (it writes the validation object), so
            # the plan waits for the role's policy and for the bucket policy that exempts the role from
            # the VPC-endpoint-only deny.
            waits_for: list[pulumi.Resource] = [policy, secure_bucket.policy]
            self.malware_protection_plans[tier] = aws.guardduty.MalwareProtectionPlan(
                f"{name}-malware-scan-{tier}-plan",
                role=role.arn,
                protected_resource=aws.guardduty.MalwareProtectionPlanProtectedResourceArgs(
                    s3_bucket=aws.guardduty.MalwareProtectionPlanProtectedResourceS3BucketArgs(
                        bucket_name=bucket.bucket
                    )
                ),
                actions=[
                    aws.guardduty.MalwareProtectionPlanActionArgs(
                        taggings=[aws.guardduty.MalwareProtectionPlanActionTaggingArgs(status=TAGGING_ENABLED)]
                    )
                ],
                tags={"Name": base_name(settings, stack, f"malware-scan-{tier}"), "DataTier": tier},
                opts=self._child(waits_for),
            )
            self.malware_scan_roles[tier] = role
            self.malware_scan_role_policies[tier] = policy
            self.malware_scan_buckets[tier] = bucket.bucket

    def _security_hub(self) -> None:
        """Security Hub with consolidated control findings and only the configured standards
        (the default ones are not switched on behind the admin's back)."""
        name = self._name
        self.security_hub = aws.securityhub.Account(
            f"{name}-securityhub",
            enable_default_standards=False,
            control_finding_generator=CONTROL_FINDING_GENERATOR,
            auto_enable_controls=True,
            opts=self._held("security_hub", self._settings.account_id),
        )
        self.security_hub_substitutions.update(standard_substitutions(self._settings))
        for requested, fallback in self.security_hub_substitutions.items():
            pulumi.log.warn(
                f"Security Hub standard '{requested}' is not offered in {self._settings.region}; "
                f"subscribing '{fallback}' instead",
                resource=self,
            )
        for choice in choose_standards(self._settings):
            self.security_hub_standard_arns.append(choice.arn)
            self.standards_subscriptions[choice.effective] = aws.securityhub.StandardsSubscription(
                f"{name}-standard-{choice.effective}",
                standards_arn=choice.arn,
                opts=self._child([self.security_hub]),
            )
