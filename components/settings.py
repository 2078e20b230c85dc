"""The typed model of a stack's configuration, validated before any resource is registered.

Every setting a cloud admin can put in ``Pulumi.<stack>.yaml`` lives here, with its default.
``Pulumi.yaml`` declares the same keys (a test keeps the two in step). Validation collects every
problem at once and names the key, the bad value and what is allowed, so a bad stack file costs
one round trip, not five.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.regions import AZ_ID_PREFIX, FIPS_REGIONS, REGION_ZONES

PROJECT = "genomics-landing-zone"

TIERS: tuple[str, ...] = ("bcl", "fastq", "alignments", "variants", "reference", "results")
"""Data tiers, in the order data flows through a sequencing pipeline."""

TIER_DESCRIPTIONS: dict[str, str] = {
    "bcl": "raw sequencer output (BCL run folders)",
    "fastq": "demultiplexed reads (FASTQ)",
    "alignments": "aligned reads (BAM/CRAM)",
    "variants": "variant calls (VCF/gVCF)",
    "reference": "reference genomes and indexes",
    "results": "pipeline results and reports",
}

# Tiers whose objects must never expire: variants are the smallest and most valuable output,
# reference genomes are read by every job.
NON_EXPIRING_TIERS = frozenset({"variants", "reference"})

CLASSIFICATIONS = ("public", "controlled", "phi")

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy).
CLOUDWATCH_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
HIPAA_RETENTION_DAYS = 2190
"""45 CFR 164.316(b)(2)(i): keep required documentation six years."""

DEFAULT_INTERFACE_ENDPOINTS = (
    "kms",
    "sts",
    "logs",
    "monitoring",
    "ecr.api",
    "ecr.dkr",
    "ecs",
    "ecs-agent",
    "ecs-telemetry",
    "batch",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "ec2",
)

SECURITY_HUB_STANDARDS = ("nist-800-171", "nist-800-53-r5", "aws-foundational", "cis-3.0")

ACCOUNT_ID = re.compile(r"^\d{12}$")
NAME = re.compile(r"^[a-z][a-z0-9-]{1,14}[a-z0-9]$")
COLLABORATOR_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
PREFIX = re.compile(r"^([A-Za-z0-9!_.'()-]+/)*$")
RUN_ID = re.compile(r"^[A-Za-z0-9_.:/=+@-]{1,256}$")
AMI_ID = re.compile(r"^ami-[0-9a-f]{8,17}$")
ECR_IMAGE = re.compile(
    r"^(?P<registry>(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com)"
    r"/(?P<repo>[a-z0-9][a-z0-9._/-]*)(:(?P<tag>[\w][\w.-]{0,127})|@sha256:[0-9a-f]{64})$"
)
IMAGE = re.compile(r"^(?P<registry>[a-z0-9.-]+(:\d+)?)/[a-z0-9][a-z0-9._/-]*(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$")
PRINCIPAL_ARN = re.compile(r"^arn:aws(-us-gov|-cn)?:iam::(?P<account>\d{12}):(role|user)/[\w+=,.@/-]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ENDPOINT_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
F2_TYPES = ("f2.6xlarge", "f2.12xlarge", "f2.48xlarge")

SECRET_PLACEHOLDER_PREFIX = "offline-placeholder-"


class SettingsError(Exception):
    """Raised with every problem in a stack's settings, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))

    def render(self, stack: str | None = None) -> str:
        where = f" in stack '{stack}'" if stack else ""
        lines = [f"{len(self.problems)} invalid setting(s){where}; nothing was created:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def _check_account_id(value: Any) -> str:
    text = str(value)
    if isinstance(value, (int, float)):
        raise ValueError(
            "must be a quoted 12-digit string (YAML reads an unquoted number as an integer and drops leading zeros)"
        )
    if not ACCOUNT_ID.match(text):
        raise ValueError("must be an AWS account ID: exactly 12 digits")
    return text


class TierLifecycle(_Model):
    """When objects of one tier move to colder storage classes or expire (days after creation)."""

    standard_ia_after_days: int | None = None
    glacier_ir_after_days: int | None = None
    glacier_after_days: int | None = None
    deep_archive_after_days: int | None = None
    expire_after_days: int | None = None

    @field_validator("*")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be a positive number of days (1 or more)")
        return value

    @field_validator("standard_ia_after_days")
    @classmethod
    def _ia_minimum(cls, value: int | None) -> int | None:
        if value is not None and value < 30:
            raise ValueError(
                "must be at least 30: S3 keeps objects in Standard for 30 days before a transition to Standard-IA"
            )
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TierLifecycle:
        steps = [(alias, days) for alias, days in self.transitions() if days is not None]
        if self.expire_after_days is not None:
            steps.append(("expireAfterDays", self.expire_after_days))
        for (earlier, earlier_days), (later, later_days) in itertools.pairwise(steps):
            if later_days <= earlier_days:
                raise ValueError(
                    f"{later} ({later_days}) must be greater than {earlier} ({earlier_days}): "
                    "storage classes go Standard-IA -> Glacier IR -> Glacier -> Deep Archive -> expiry"
                )
        if self.standard_ia_after_days is not None:
            for alias, days in self.transitions()[1:]:
                if days is not None and days < self.standard_ia_after_days + 30:
                    raise ValueError(
                        f"{alias} ({days}) must be at least 30 days after standardIaAfterDays "
                        f"({self.standard_ia_after_days}): S3 keeps objects 30 days in Standard-IA"
                    )
        return self

    def transitions(self) -> list[tuple[str, int | None]]:
        """(config key, days) for each storage-class transition, coldest last."""
        return [
            ("standardIaAfterDays", self.standard_ia_after_days),
            ("glacierIrAfterDays", self.glacier_ir_after_days),
            ("glacierAfterDays", self.glacier_after_days),
            ("deepArchiveAfterDays", self.deep_archive_after_days),
        ]


STORAGE_CLASS_BY_KEY = {
    "standardIaAfterDays": "STANDARD_IA",
    "glacierIrAfterDays": "GLACIER_IR",
    "glacierAfterDays": "GLACIER",
    "deepArchiveAfterDays": "DEEP_ARCHIVE",
}

DEFAULT_LIFECYCLE: dict[str, dict[str, int]] = {
    "bcl": {"glacierAfterDays": 30},
    "fastq": {"expireAfterDays": 90},
    "alignments": {"standardIaAfterDays": 30},
    "variants": {},
    "reference": {},
    "results": {"standardIaAfterDays": 90},
}


class Lifecycle(_Model):
    """Per-tier lifecycle; a tier given in config replaces that tier's defaults."""

    bcl: TierLifecycle = TierLifecycle(**DEFAULT_LIFECYCLE["bcl"])
    fastq: TierLifecycle = TierLifecycle(**DEFAULT_LIFECYCLE["fastq"])
    alignments: TierLifecycle = TierLifecycle(**DEFAULT_LIFECYCLE["alignments"])
    variants: TierLifecycle = TierLifecycle()
    reference: TierLifecycle = TierLifecycle()
    results: TierLifecycle = TierLifecycle(**DEFAULT_LIFECYCLE["results"])

    @field_validator("variants", "reference")
    @classmethod
    def _never_expire(cls, value: TierLifecycle) -> TierLifecycle:
        if value.expire_after_days is not None:
            raise ValueError(
                "expireAfterDays is not allowed on this tier: variant calls and reference genomes "
                "are kept (transitions to colder storage are allowed)"
            )
        return value

    def for_tier(self, tier: str) -> TierLifecycle:
        return getattr(self, tier)


class Collaborator(_Model):
    """An external lab that reaches chosen data tiers through a cross-account role."""

    name: str
    account_id: str
    external_id: SecretStr
    access: Literal["read", "read-write"] = "read"
    tiers: list[str]
    prefixes: list[str] = Field(default_factory=lambda: [""])
    principal_arns: list[str] = Field(default_factory=list)
    run_tags: list[str] = Field(default_factory=list)
    require_mfa: bool = True
    max_session_seconds: int = 3600
    # people sign in with MFA; a workload role (a pipeline in the partner's account) cannot present MFA, so it
    # is held to its named roles and the partner's source addresses instead (sourceIps)
    principal_kind: Literal["people", "workload"] = "people"
    source_ips: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not COLLABORATOR_NAME.match(value):
            raise ValueError("must be 3-32 characters: lowercase letters, digits and '-', starting with a letter")
        return value

    _account = field_validator("account_id", mode="before")(lambda cls, v: _check_account_id(v))

    @field_validator("external_id", mode="before")
    @classmethod
    def _external_id(cls, value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not EXTERNAL_ID.match(text):
            raise ValueError("must be 2-1224 characters from letters, digits and +=,.@:/-_ (sts:ExternalId)")
        if len(text) < 16 and not text.startswith(SECRET_PLACEHOLDER_PREFIX):
            raise ValueError("must be at least 16 characters so it cannot be guessed")
        return value

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"must name at least one tier from {', '.join(TIERS)}")
        unknown = [t for t in value if t not in TIERS]
        if unknown:
            raise ValueError(f"unknown tier(s) {unknown}; allowed: {', '.join(TIERS)}")
        return value

    @field_validator("prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not PREFIX.match(p)]
        if bad:
            raise ValueError(
                f"bad prefix(es) {bad}: each is '' (whole tier) or path segments ending in '/', "
                "no wildcards, no leading '/'"
            )
        return value or [""]

    @field_validator("run_tags")
    @classmethod
    def _run_tags(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if not RUN_ID.match(r)]
        if bad:
            raise ValueError(f"bad sequencing-run ID(s) {bad}: 1-256 characters, no wildcards")
        return value

    @field_validator("max_session_seconds")
    @classmethod
    def _session(cls, value: int) -> int:
        if not 3600 <= value <= 43200:
            raise ValueError("must be between 3600 (1 hour) and 43200 (12 hours) seconds")
        return value

    @field_validator("source_ips")
    @classmethod
    def _source_ips(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"{cidr!r} is not an IP address or CIDR range like 198.51.100.0/24") from None
            if network.prefixlen < 8:
                raise ValueError(f"{cidr!r} admits too much of the internet; allowed: /8 or narrower ranges")
        return value

    @model_validator(mode="after")
    def _workload(self) -> Collaborator:
        if self.principal_kind == "workload":
            if self.require_mfa:
                raise ValueError(
                    "requireMfa = True: a workload role cannot present MFA (aws:MultiFactorAuthPresent is absent "
                    "from its sessions), so it could never assume this role; set requireMfa: false and sourceIps"
                )
            if not self.source_ips or not self.principal_arns:
                raise ValueError(
                    "principalKind = 'workload' needs principalArns (the partner's workload roles) and sourceIps "
                    "(the partner's egress ranges): they replace MFA in the trust policy"
                )
        elif self.source_ips:
            raise ValueError("sourceIps is only for principalKind: workload (people are held by MFA)")
        return self

    @model_validator(mode="after")
    def _principals_in_account(self) -> Collaborator:
        for arn in self.principal_arns:
            match = PRINCIPAL_ARN.match(arn)
            if not match or match.group("account") != self.account_id:
                raise ValueError(
                    f"principalArns entry {arn!r} must be an IAM role or user ARN in the "
                    f"collaborator's own account {self.account_id}"
                )
        return self


PRECIOUS_TIERS: tuple[str, ...] = ("variants", "reference", "results")
"""Tiers that cannot be regenerated cheaply: their overwritten versions are kept for the retention period
(data_lake.noncurrent_days), not noncurrentVersionExpiryDays."""

DEFAULT_MALWARE_SCAN_TIERS: tuple[str, ...] = ("bcl", "fastq", "reference")
"""Tiers where files from outside the landing zone land: BCL run folders uploaded from the sequencers,
FASTQ delivered by sequencing providers and collaborators, and reference genomes downloaded from public
repositories. Alignments and variants are written by the landing zone's own jobs from those; results
are too, unless a read-write collaborator uploads there (Settings.intake_tiers adds such tiers)."""


class ServiceLinkedRoleModes(_Model):
    """Per service-linked role the stack's policies name: `create` (a fresh account), `adopt` (import the
    existing role), `existing` (only name it). See components/service_linked_roles.py; `glz preflight` says
    which one an account needs."""

    auto_scaling: Literal["create", "adopt", "existing"] = "create"
    config: Literal["create", "adopt", "existing"] = "create"


SINGLETON_MODES = ("create", "adopt", "organization")


class ServiceMode(_Model):
    """How the stack holds one account-level singleton: `create` it, `adopt` the one the account has (Pulumi
    import), or leave it to the `organization` (Control Tower, a delegated administrator): created nowhere
    here, declared in the stack outputs, checked live by `glz audit`. ``id`` is what adopt imports where AWS
    names it (GuardDuty: the detector id; AWS Config: the recorder's name; Access Analyzer: the analyzer's
    name); ``deliveryChannel`` the existing Config delivery channel's name (default "default")."""

    mode: Literal["create", "adopt", "organization"] = "create"
    id: str | None = None
    delivery_channel: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"mode": value} if isinstance(value, str) else value


class AccountServices(_Model):
    """Per account-level singleton (see ServiceMode); keys as under securityServices."""

    aws_config: ServiceMode = ServiceMode()
    guard_duty: ServiceMode = ServiceMode()
    security_hub: ServiceMode = ServiceMode()
    access_analyzer: ServiceMode = ServiceMode()
    unused_access_analyzer: ServiceMode = ServiceMode()
    inspector: ServiceMode = ServiceMode()
    password_policy: ServiceMode = ServiceMode()
    ebs_encryption_by_default: ServiceMode = ServiceMode()
    s3_account_public_access_block: ServiceMode = ServiceMode()
    snapshot_block_public_access: ServiceMode = ServiceMode()
    image_block_public_access: ServiceMode = ServiceMode()
    security_contact: ServiceMode = ServiceMode()

    @model_validator(mode="after")
    def _ids_for_adopt(self) -> AccountServices:
        needs_id = {
            "guard_duty": "the detector id",
            "aws_config": "the recorder name",
            "access_analyzer": "the analyzer name",
            "unused_access_analyzer": "the analyzer name",
        }
        missing = [
            f"{to_camel(field)}: adopt needs id ({what})"
            for field, what in needs_id.items()
            if getattr(self, field).mode == "adopt" and not getattr(self, field).id
        ]
        if missing:
            raise ValueError("; ".join(missing) + "; `glz preflight` or the console shows it")
        settings_only = [
            to_camel(field)
            for field in ("snapshot_block_public_access", "image_block_public_access")
            if getattr(self, field).mode == "adopt"
        ]
        if settings_only:
            raise ValueError(
                f"{', '.join(settings_only)}: adopt is not offered (a region setting the stack sets over whatever "
                "the account has); allowed: create, or organization where a declarative policy holds it"
            )
        return self


PHONE = re.compile(r"^[\s0-9()+-]{1,25}$")
CONTACT_EMAIL = re.compile(r"^[\w+=.#|!&-]+@[\w.-]+\.\w+$")


class SecurityContact(_Model):
    """The account's SECURITY alternate contact: who AWS tells about security matters (abuse reports, exposed
    credentials, security notifications). Lengths and patterns are the AWS Account Management API's
    (AlternateContact: name 1-64, title 1-50, email 1-254, phone 1-25 of digits, spaces and ()+-)."""

    name: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=50)
    email_address: str = Field(max_length=254)
    phone_number: str

    @field_validator("email_address")
    @classmethod
    def _email(cls, value: str) -> str:
        if not CONTACT_EMAIL.match(value):
            raise ValueError("must be an email address (AWS accepts letters, digits and +=.#|!&- before the @)")
        return value

    @field_validator("phone_number")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not PHONE.match(value):
            raise ValueError("must be 1-25 digits, spaces and ( ) + - (e.g. +1 555 0100)")
        return value


DEFAULT_UNUSED_ACCESS_DAYS = 90
MAX_UNUSED_ACCESS_DAYS = 90
"""IAM Access Analyzer accepts 1-365 days (API reference, UnusedAccessConfiguration.unusedAccessAge); the
stack allows at most 90, the period commonly defined for NIST 800-171 3.5.6 (and the policy gate's limit)."""


class SecurityServices(_Model):
    """Account security services; turn one off only where an organization runs it centrally."""

    aws_config: bool = True
    guard_duty: bool = True
    security_hub: bool = True
    access_analyzer: bool = True
    unused_access_analyzer: bool = True
    unused_access_days: int = Field(default=DEFAULT_UNUSED_ACCESS_DAYS, ge=1, le=MAX_UNUSED_ACCESS_DAYS)
    inspector: bool = True
    password_policy: bool = True
    ebs_encryption_by_default: bool = True
    s3_account_public_access_block: bool = True
    # EBS snapshots and AMIs cannot be shared publicly from the region (block public access)
    snapshot_block_public_access: bool = True
    image_block_public_access: bool = True
    malware_protection_s3: bool = True
    malware_scan_tiers: list[str] = Field(default_factory=lambda: list(DEFAULT_MALWARE_SCAN_TIERS))
    scanned_reads_only: bool = True  # scanned tiers serve only NO_THREATS_FOUND objects (data_guardrails)

    @field_validator("malware_scan_tiers")
    @classmethod
    def _scan_tiers(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(
                f"must name at least one tier from {', '.join(TIERS)}; to scan none, set "
                "securityServices.malwareProtectionS3 to false (the policy gate then reports it)"
            )
        unknown = [t for t in value if t not in TIERS]
        if unknown:
            raise ValueError(f"unknown tier(s) {unknown}; allowed: {', '.join(TIERS)}")
        if len(set(value)) != len(value):
            raise ValueError(f"lists a tier twice; allowed: {', '.join(TIERS)}, each once")
        return value


class ComputeImages(_Model):
    alignment: str
    variant_calling: str


class Compute(_Model):
    """AWS Batch compute for container pipelines."""

    enabled: bool = True
    instance_types: list[str] = Field(default_factory=lambda: ["m7i", "c7i", "r7i"])
    on_demand_max_vcpus: int = 256
    spot_max_vcpus: int = 1024
    images: ComputeImages | None = None
    allowed_registries: list[str] = Field(default_factory=list)
    job_timeout_minutes: int = 1440
    job_attempts: int = 3
    root_volume_gib: int = 50
    scratch_volume_gib: int = 500
    # Session Manager preferences (SSM-SessionManagerRunShell, one per account and region): create them here
    # (every session streamed to an encrypted log group), or leave an existing document alone
    session_preferences: Literal["create", "existing"] = "create"
    # minutes of inactivity after which Session Manager ends a session (idleSessionTimeout; the
    # organization-defined period of 3.1.10 / 03.01.10 and HIPAA automatic logoff)
    session_idle_minutes: int = 15

    @field_validator("session_idle_minutes")
    @classmethod
    def _idle(cls, value: int) -> int:
        """Session document schema (Systems Manager User Guide): idleSessionTimeout takes 1-60 minutes; the
        gate (GLZ-CMP-018) accepts at most 30, so a session left open is ended within half an hour."""
        if not 1 <= value <= MAX_SESSION_IDLE_MINUTES:
            raise ValueError(f"must be between 1 and {MAX_SESSION_IDLE_MINUTES} minutes")
        return value

    @field_validator("instance_types")
    @classmethod
    def _no_fpga_here(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must list at least one instance type or family")
        fpga = [t for t in value if t.startswith(("f1", "f2"))]
        if fpga:
            raise ValueError(f"{fpga} are FPGA types; put them under fpga.instanceTypes")
        return value

    @field_validator("on_demand_max_vcpus", "spot_max_vcpus")
    @classmethod
    def _vcpus(cls, value: int) -> int:
        if not 1 <= value <= 100000:
            raise ValueError("must be between 1 and 100000 vCPUs")
        return value

    @field_validator("job_timeout_minutes")
    @classmethod
    def _timeout(cls, value: int) -> int:
        if not 1 <= value <= 20160:
            raise ValueError("must be between 1 and 20160 minutes (14 days)")
        return value

    @field_validator("job_attempts")
    @classmethod
    def _attempts(cls, value: int) -> int:
        if not 1 <= value <= 10:
            raise ValueError("must be between 1 and 10 (AWS Batch retry strategy limit)")
        return value

    @field_validator("root_volume_gib", "scratch_volume_gib")
    @classmethod
    def _volume(cls, value: int) -> int:
        if not 30 <= value <= 16384:
            raise ValueError("must be between 30 and 16384 GiB (gp3 limits, AL2023 root minimum)")
        return value


class Fpga(_Model):
    """An FPGA compute environment for accelerated pipelines (EC2 F2)."""

    enabled: bool = False
    instance_types: list[str] = Field(default_factory=lambda: ["f2.6xlarge"])
    ami_id: str | None = None
    # the FPGA AMI's root device (aws ec2 describe-images --image-ids <amiId> --query 'Images[0].RootDeviceName'):
    # the FPGA environment's own launch template encrypts that device, not the ECS AMI's /dev/xvda
    root_device_name: Literal["/dev/xvda", "/dev/sda1"] = "/dev/xvda"
    placement_group: bool = False
    max_vcpus: int = 96

    @field_validator("instance_types")
    @classmethod
    def _f2_only(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"must list at least one of {', '.join(F2_TYPES)}")
        for item in value:
            if item.startswith("f1"):
                raise ValueError(
                    f"{item!r}: EC2 F1 instances were retired on 2025-12-20; use the F2 family ({', '.join(F2_TYPES)})"
                )
            if item not in F2_TYPES:
                raise ValueError(f"{item!r} is not an F2 instance type; allowed: {', '.join(F2_TYPES)}")
        return value

    @field_validator("ami_id")
    @classmethod
    def _ami(cls, value: str | None) -> str | None:
        if value is not None and not AMI_ID.match(value):
            raise ValueError("must be an AMI ID like ami-0123456789abcdef0")
        return value

    @field_validator("max_vcpus")
    @classmethod
    def _vcpus(cls, value: int) -> int:
        if not 1 <= value <= 10000:
            raise ValueError("must be between 1 and 10000 vCPUs")
        return value


class ReferenceData(_Model):
    """Optional shared EFS file system with reference genomes, mounted read-only by jobs. ``loader_image``
    (an ECR image with the AWS CLI) adds the one writer: a reference-loader job that copies the reference
    bucket onto the file system through its own access point."""

    efs: bool = False
    loader_image: str | None = None
    # Registry of Open Data objects ("<bucket>/<key>", the bucket one of openDataBuckets) the loader copies onto
    # the file system under /reference/open-data/<bucket>/<key>: a reference genome build, its index files
    open_data_objects: list[str] = Field(default_factory=list)

    @field_validator("open_data_objects")
    @classmethod
    def _objects(cls, value: list[str]) -> list[str]:
        bad = [o for o in value if not OPEN_DATA_OBJECT.match(o) or "/../" in f"/{o}/" or "//" in o]
        if bad:
            raise ValueError(
                f"{bad}: name each object as <bucket>/<key> (key: letters, digits and . _ - + = /; no wildcard, "
                "no '..'): the loader copies exactly these and its role may read nothing else"
            )
        if len(set(value)) != len(value):
            raise ValueError("names an object twice")
        if len(value) > 50:
            raise ValueError(f"{len(value)} objects; allowed: at most 50")
        return value


MAX_SESSION_IDLE_MINUTES = 30
MAX_NOTICE_CHARACTERS = 1500
DEFAULT_SYSTEM_USE_NOTICE = (
    "NOTICE: This system holds Controlled Unclassified Information and protected health information. Use is "
    "limited to authorized users for authorized purposes. Activity is monitored and recorded; by continuing you "
    "consent to this monitoring. Unauthorized use or disclosure may lead to disciplinary action and civil or "
    "criminal penalties."
)
"""A generic notice; the organization replaces it with the text its counsel approves (customer action of 3.1.9)."""


PIPELINE_STAGES: tuple[str, ...] = ("alignment", "variant-calling")
"""The stages a stack without ``pipeline`` runs, in order, built from compute.images (``Settings.stages``)."""
STAGE_QUEUES: tuple[str, ...] = ("spot", "on-demand", "fpga", "gpu")
"""Where a stage runs: spot (the default job queue: spot first, on-demand once spot is full), on-demand (the
high-priority queue, never interrupted), fpga (EC2 F2, fpga.enabled) or gpu (NVIDIA instances, gpu.enabled)."""
STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")
"""2-24 characters: the stage names the job definition, its role (<prefix>-<stack>-batch-job-<name>, at most 64
characters) and the workflow's states."""
GPU_FAMILIES: tuple[str, ...] = ("g4dn", "g5", "g6", "g6e", "p4d", "p5", "p5e")
"""NVIDIA families for the GPU environment (imageType ECS_AL2023_NVIDIA). AWS Batch: a GPU job on an environment
whose instance types are not GPU types stays RUNNABLE (Batch User Guide, "GPU jobs"); p3 and g3 are left out, the
AL2023 NVIDIA image does not support them."""
MARKER = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
S3_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
OPEN_DATA_OBJECT = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[A-Za-z0-9._+=/-]{1,900}$")
"""<bucket>/<key>: the characters a shell and an IAM resource ARN take literally (no wildcard, quote or space)."""


class PipelineStage(_Model):
    """One pipeline stage: a container job on AWS Batch that reads some tiers and writes one."""

    name: str
    image: str
    reads: list[str]
    writes: str
    vcpus: int = Field(ge=1, le=192)
    memory_mib: int = Field(ge=1024, le=2_000_000)
    queue: Literal["spot", "on-demand", "fpga", "gpu"] = "spot"
    gpus: int = Field(default=0, ge=0, le=8)
    timeout_minutes: int | None = Field(default=None, ge=1, le=20160)
    attempts: int | None = Field(default=None, ge=1, le=10)
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not STAGE_NAME.match(value):
            raise ValueError("must be 2-24 characters: lowercase letters, digits and '-', starting with a letter")
        return value

    @field_validator("reads")
    @classmethod
    def _reads(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TIERS]
        if not value or unknown:
            raise ValueError(f"{unknown or 'empty'}: list the tiers the stage reads; allowed: {', '.join(TIERS)}")
        if len(set(value)) != len(value):
            raise ValueError("lists a tier twice")
        return value

    @field_validator("writes")
    @classmethod
    def _writes(cls, value: str) -> str:
        writable = [t for t in TIERS if t != "reference"]
        if value not in writable:
            raise ValueError(
                f"allowed: {', '.join(writable)} (the reference tier is written by the reference loader only)"
            )
        return value


class Pipeline(_Model):
    """The pipeline's stages, in the order a run goes through them."""

    stages: list[PipelineStage] = Field(min_length=1, max_length=20)

    @field_validator("stages")
    @classmethod
    def _unique(cls, value: list[PipelineStage]) -> list[PipelineStage]:
        names = [s.name for s in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"stage name(s) {twice} used twice; each stage needs its own name")
        return value


class Gpu(_Model):
    """A GPU compute environment (NVIDIA, the ECS-optimized Amazon Linux 2023 NVIDIA image) and its job queue."""

    enabled: bool = False
    instance_types: list[str] = Field(default_factory=lambda: ["g6.xlarge", "g6.2xlarge", "g6.4xlarge"])
    max_vcpus: int = Field(default=64, ge=1, le=100000)

    @field_validator("instance_types")
    @classmethod
    def _nvidia(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"must list at least one instance type of {', '.join(GPU_FAMILIES)}")
        bad = [t for t in value if t.split(".", 1)[0] not in GPU_FAMILIES]
        if bad:
            raise ValueError(
                f"{bad}: not NVIDIA GPU types the AL2023 NVIDIA image supports; allowed families: "
                f"{', '.join(GPU_FAMILIES)}"
            )
        return value


COMMON_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$")
"""An instrument certificate's subject CN as the trust policy compares it: 1-64 characters (X.520 ub-common-name),
no wildcard, quote or '/' (the session tag x509Subject/CN joins multi-valued fields with '/')."""
MAX_INSTRUMENT_SESSION_SECONDS = 3600


class Instrument(_Model):
    """A sequencer (or its upload host) with a certificate from the organization's CA: its own role, which may only
    put objects under its prefix of one scanned intake tier."""

    name: str
    common_name: str
    tier: str | None = None  # default: runTracking.intakeTier
    source_ips: list[str] = Field(default_factory=list)  # the lab's egress addresses; empty: any (the CA vouches)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not STAGE_NAME.match(value):
            raise ValueError("must be 2-24 characters: lowercase letters, digits and '-', starting with a letter")
        return value

    @field_validator("common_name")
    @classmethod
    def _cn(cls, value: str) -> str:
        if not COMMON_NAME.match(value):
            raise ValueError("must be the certificate's subject CN: 1-64 letters, digits, spaces and . _ @ -")
        return value

    @field_validator("tier")
    @classmethod
    def _tier(cls, value: str | None) -> str | None:
        if value is not None and value not in TIERS:
            raise ValueError(f"unknown tier; allowed: {', '.join(TIERS)}")
        return value

    @field_validator("source_ips")
    @classmethod
    def _ips(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError as error:
                raise ValueError(f"{cidr!r} is not a CIDR block like 198.51.100.0/24 ({error})") from None
        return value


class OnPremises(_Model):
    """A private path from the lab to the landing zone (components/onprem): an AWS Site-to-Site VPN to the VPC,
    the S3 interface endpoint and a Route 53 Resolver inbound endpoint, so uploads never cross the internet."""

    cidrs: list[str]
    customer_gateway_ip: str
    bgp_asn: int | None = Field(default=None, ge=1, le=4294967294)  # none: static routes to cidrs

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list the lab's networks (private CIDR blocks) that reach the landing zone")
        private = [ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
        for cidr in value:
            try:
                network = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as error:
                raise ValueError(f"{cidr!r} is not an IPv4 CIDR block like 10.200.0.0/16 ({error})") from None
            if not any(network.subnet_of(p) for p in private):
                raise ValueError(f"{cidr!r} is not a private network (10/8, 172.16/12, 192.168/16)")
        return value

    @field_validator("customer_gateway_ip")
    @classmethod
    def _public(cls, value: str) -> str:
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError:
            raise ValueError("must be the lab VPN device's public IPv4 address") from None
        internal = [
            ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
        ]
        if any(address in n for n in internal) or address.is_loopback or address.is_link_local or address.is_multicast:
            raise ValueError("must be a public IPv4 address (the lab VPN device's internet-facing address)")
        return value


class Intake(_Model):
    """Instrument uploads with IAM Roles Anywhere: a trust anchor holding the organization's CA certificate, its
    CRL imported for revocation, a profile vending short sessions, a role per instrument (components/intake)."""

    ca_certificate: str | None = None  # PEM of the CA that issues the instruments' certificates
    crl: str | None = None  # PEM CRL of that CA; Roles Anywhere revokes only through imported CRLs
    session_seconds: int = Field(default=MAX_INSTRUMENT_SESSION_SECONDS, ge=900, le=MAX_INSTRUMENT_SESSION_SECONDS)
    instruments: list[Instrument] = Field(default_factory=list)

    @field_validator("instruments")
    @classmethod
    def _unique(cls, value: list[Instrument]) -> list[Instrument]:
        for what, values in (("name", [i.name for i in value]), ("commonName", [i.common_name for i in value])):
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"{what} {twice} used twice; each instrument needs its own")
        return value


DEFAULT_BACKUP_TIERS: tuple[str, ...] = ("bcl", "variants", "results")
"""Backed up by default: the raw sequencer output (irreplaceable once the instrument's copy is purged) and the
variant calls and results people depend on; fastq and alignments are recomputed from bcl, the reference is
downloaded again."""
BACKUP_SCHEDULE = re.compile(r"^cron\([^()]+\)$")
BACKUP_VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$")


class Backups(_Model):
    """Copies of the irreplaceable data outside its bucket (components/backups): AWS Backup with a vault of its
    own key, locked, refusing recovery point deletion to all but break-glass."""

    enabled: bool = True
    tiers: list[str] = Field(default_factory=lambda: list(DEFAULT_BACKUP_TIERS))
    audit_bucket: bool = True  # the audit records (CloudTrail, AWS Config) too
    runs_table: bool = True  # the run-tracking table, when run tracking is on
    schedule: str = "cron(0 5 * * ? *)"  # daily, 05:00 UTC
    retention_days: int = Field(default=35, ge=7, le=36500)
    # governance: only principals allowed backup:DeleteBackupVaultLockConfiguration may unlock (the vault policy
    # leaves that to break-glass); compliance: nobody, ever, once the 3-day grace time has passed
    lock: Literal["governance", "compliance", "none"] = "governance"
    lock_min_retention_days: int = Field(default=7, ge=1, le=36500)
    # another region's or account's vault that receives a copy of every recovery point
    copy_vault_arn: str | None = None
    copy_retention_days: int | None = Field(default=None, ge=7, le=36500)
    # AWS Backup restore testing of the backed-up table and file system (components/restore_tests); null: none
    restore_test_schedule: str | None = "cron(0 6 1 * ? *)"  # 06:00 UTC on the 1st of every month
    restore_test_validation_hours: int = Field(default=24, ge=1, le=168)  # the restored copy lives this long

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if t not in TIERS]
        if bad:
            raise ValueError(f"{bad}: unknown tiers; allowed: {', '.join(TIERS)}")
        if len(set(value)) != len(value):
            raise ValueError("names a tier twice")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not BACKUP_SCHEDULE.match(value):
            raise ValueError("must be an AWS Backup cron expression like cron(0 5 * * ? *) (UTC)")
        return value

    @field_validator("restore_test_schedule")
    @classmethod
    def _restore_test_schedule(cls, value: str | None) -> str | None:
        if value is not None and not BACKUP_SCHEDULE.match(value):
            raise ValueError("must be a cron expression like cron(0 6 1 * ? *) (UTC), or null for no restore tests")
        return value

    @field_validator("copy_vault_arn")
    @classmethod
    def _copy_vault(cls, value: str | None) -> str | None:
        if value is not None and not BACKUP_VAULT_ARN.match(value):
            raise ValueError("must be a backup vault ARN like arn:aws:backup:us-west-2:111122223333:backup-vault:dr")
        return value

    @model_validator(mode="after")
    def _retention(self) -> Backups:
        # a locked vault fails every backup job whose retention is shorter than its minimum (AWS Backup API
        # Reference, PutBackupVaultLockConfiguration: minRetentionDays)
        if self.lock != "none" and self.lock_min_retention_days > self.retention_days:
            raise ValueError(
                f"lockMinRetentionDays {self.lock_min_retention_days} is longer than retentionDays "
                f"{self.retention_days}: the locked vault would fail every backup job"
            )
        if self.copy_retention_days is not None and self.copy_vault_arn is None:
            raise ValueError("copyRetentionDays is set without copyVaultArn")
        return self


class RunTracking(_Model):
    """Recognise a finished sequencing run and run the pipeline on it (components/run_tracking)."""

    enabled: bool = True
    # the tier run folders (<run id>/...) land in; its EventBridge notifications are switched on
    intake_tier: str = "fastq"
    # files written last into a run folder (Illumina: CopyComplete.txt after the copy, RTAComplete.txt on the
    # instrument); the first to land starts the run, later ones start nothing
    markers: list[str] = Field(default_factory=lambda: ["CopyComplete.txt", "RTAComplete.txt"])
    # the stages a finished run goes through, in order (names of pipeline.stages); empty: every stage
    stages: list[str] = Field(default_factory=list)
    # the run's manifest, a CSV file in the run folder written before the marker: a header row `path,crc64nvme`,
    # then each file of the run (its path under the run folder, its full-object CRC64NVME checksum in base64 as S3
    # reports it). Before any stage runs, the workflow checks every listed object against it, tags each with the
    # run id, and fails the run on a missing, unscanned, infected, altered or unlisted object. null: no check
    # (the gate's GLZ-PIPE-005 refuses that)
    manifest: str | None = "manifest.csv"
    # how long the workflow waits for GuardDuty to scan an object of the run clean before it fails the run
    scan_wait_minutes: int = Field(default=120, ge=1, le=1440)

    @field_validator("intake_tier")
    @classmethod
    def _tier(cls, value: str) -> str:
        if value not in TIERS:
            raise ValueError(f"unknown tier; allowed: {', '.join(TIERS)}")
        return value

    @field_validator("markers")
    @classmethod
    def _markers(cls, value: list[str]) -> list[str]:
        bad = [m for m in value if not MARKER.match(m)]
        if not value or bad:
            raise ValueError(
                f"{bad or 'empty'}: list 1 or more file names (letters, digits, '.', '_', '-'; no '/' or wildcard)"
            )
        if len(set(value)) != len(value):
            raise ValueError("names a marker twice")
        return value

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("names a stage twice")
        return value

    @field_validator("manifest")
    @classmethod
    def _manifest(cls, value: str | None) -> str | None:
        if value is not None and not MARKER.match(value):
            raise ValueError("a file name (letters, digits, '.', '_', '-'; no '/' or wildcard), or null for no check")
        return value

    @model_validator(mode="after")
    def _manifest_is_no_marker(self) -> RunTracking:
        if self.manifest is not None and self.manifest in self.markers:
            raise ValueError(f"manifest {self.manifest!r} is also a marker: the manifest must land before the marker")
        return self


class Settings(_Model):
    """Everything a stack can configure. Field aliases are the Pulumi config keys."""

    region: str
    account_id: str
    name_prefix: str = "glz"
    classification: Literal["public", "controlled", "phi"] = "phi"
    tags: dict[str, str] = Field(default_factory=dict)
    vpc_cidr: str = "10.40.0.0/16"
    availability_zone_count: int = 2
    availability_zone_ids: list[str] = Field(default_factory=list)
    egress: Literal["none", "nat-gateway"] = "none"
    fips_endpoints: bool = False
    # shown at the start of every Session Manager session on the stack's hosts (3.1.9 / 03.01.09)
    system_use_notice: str = DEFAULT_SYSTEM_USE_NOTICE
    interface_endpoints: list[str] = Field(default_factory=lambda: list(DEFAULT_INTERFACE_ENDPOINTS))
    flow_log_retention_days: int = 365
    audit_log_retention_days: int = 2557
    audit_object_lock_days: int = 2190
    audit_object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "COMPLIANCE"
    # CloudTrail Insights (API call rate and error rate) on the stack's trail: unusual management activity is
    # recorded as Insights events and alarmed (3.14.7)
    trail_insights: bool = True
    lifecycle: Lifecycle = Lifecycle()
    noncurrent_version_expiry_days: int = 90
    abort_incomplete_multipart_upload_days: int = 7
    collaborators: list[Collaborator] = Field(default_factory=list)
    admin_principal_arns: list[str] = Field(default_factory=list)
    auditor_principal_arns: list[str] = Field(default_factory=list)
    deployer_principal_arns: list[str] = Field(default_factory=list)
    break_glass_principal_arns: list[str] = Field(default_factory=list)
    support_principal_arns: list[str] = Field(default_factory=list)
    # the security official (45 CFR 164.308(a)(2)) as the account's SECURITY alternate contact
    security_contact: SecurityContact | None = None
    security_services: SecurityServices = SecurityServices()
    service_linked_roles: ServiceLinkedRoleModes = ServiceLinkedRoleModes()
    account_services: AccountServices = AccountServices()
    security_hub_standards: list[str] = Field(default_factory=lambda: ["nist-800-171", "aws-foundational"])
    password_max_age_days: int = 90
    alarm_email: str | None = None
    compute: Compute = Compute()
    fpga: Fpga = Fpga()
    gpu: Gpu = Gpu()
    pipeline: Pipeline | None = None
    intake: Intake = Intake()
    on_premises: OnPremises | None = None
    reference_data: ReferenceData = ReferenceData()
    run_tracking: RunTracking = RunTracking()
    backups: Backups = Backups()
    # Registry of Open Data buckets (1000 Genomes, GIAB, reference genomes) in the stack's region that pipeline
    # jobs may read objects of, by exact name, through the S3 gateway endpoint
    open_data_buckets: list[str] = Field(default_factory=list)

    @field_validator("open_data_buckets")
    @classmethod
    def _open_data(cls, value: list[str]) -> list[str]:
        bad = [b for b in value if not S3_BUCKET_NAME.match(b) or ".." in b]
        if bad:
            raise ValueError(f"{bad}: not S3 bucket names (3-63 lowercase letters, digits, '.', '-'; no wildcard)")
        if len(set(value)) != len(value):
            raise ValueError("names a bucket twice")
        if len(value) > 20:
            raise ValueError(f"{len(value)} buckets; allowed: at most 20 (each one widens the S3 endpoint)")
        return value

    _account = field_validator("account_id", mode="before")(lambda cls, v: _check_account_id(v))

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in REGION_ZONES:
            raise ValueError(f"unsupported region; supported: {', '.join(sorted(REGION_ZONES))}")
        return value

    @field_validator("name_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("must be 3-16 characters: lowercase letters, digits and '-', starting with a letter")
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as error:
            raise ValueError(f"must be an IPv4 network like 10.40.0.0/16 ({error})") from None
        private = [ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
        if not any(network.subnet_of(p) for p in private):
            raise ValueError("must be inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)")
        if not 16 <= network.prefixlen <= 24:
            raise ValueError("prefix length must be between /16 and /24")
        return value

    @field_validator("availability_zone_count")
    @classmethod
    def _zones(cls, value: int) -> int:
        if not 2 <= value <= 6:
            raise ValueError("must be between 2 and 6")
        return value

    @field_validator("availability_zone_ids")
    @classmethod
    def _zone_ids(cls, ids: list[str], info: ValidationInfo) -> list[str]:
        """AZ IDs name the same physical zone in every account (names do not), so F2 and endpoint offerings
        checked by `glz preflight` hold for the stack wherever it is deployed."""
        region = info.data.get("region")
        if not ids or region not in AZ_ID_PREFIX:
            return ids
        prefix = AZ_ID_PREFIX[region]
        wrong = [z for z in ids if not re.fullmatch(rf"{prefix}-az[1-9][0-9]?", str(z))]
        if wrong:
            raise ValueError(
                f"{', '.join(map(str, wrong))} not an AZ ID of {region}; allowed: {prefix}-az1, {prefix}-az2, ... "
                "(`glz preflight` prints this account's zone name -> AZ ID map)"
            )
        if len(set(ids)) != len(ids) or not 2 <= len(ids) <= 6:
            raise ValueError("allowed: 2 to 6 distinct AZ IDs")
        return ids

    @field_validator("fips_endpoints")
    @classmethod
    def _fips(cls, value: bool, info: ValidationInfo) -> bool:
        """The provider's calls then use FIPS 140-validated TLS endpoints, which AWS offers in US East/West,
        GovCloud (US) and Canada (Central) only ("FIPS endpoints", AWS General Reference; the SDKs do not check)."""
        region = str(info.data.get("region") or "")
        if value and region not in FIPS_REGIONS:
            raise ValueError(f"no FIPS endpoints in {region}; allowed where AWS offers them: {', '.join(FIPS_REGIONS)}")
        return value

    @field_validator("system_use_notice")
    @classmethod
    def _notice(cls, value: str) -> str:
        text = value.strip()
        if not 20 <= len(text) <= MAX_NOTICE_CHARACTERS:
            raise ValueError(f"must be 20 to {MAX_NOTICE_CHARACTERS} characters of text (got {len(text)})")
        if any(not (c.isprintable() or c == "\n") for c in text):
            raise ValueError("must be printable text (letters, digits, punctuation, spaces and line breaks only)")
        return text

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoints(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(
                "must list at least one service: private subnets have no internet route, so "
                f"compute needs interface endpoints (default: {', '.join(DEFAULT_INTERFACE_ENDPOINTS)})"
            )
        bad = [s for s in value if not ENDPOINT_SERVICE.match(s)]
        if bad:
            raise ValueError(f"bad service name(s) {bad}: use the short name, e.g. 'ecr.api'")
        if len(set(value)) != len(value):
            raise ValueError("lists a service twice")
        return value

    @field_validator("flow_log_retention_days", "audit_log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int) -> int:
        if value not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(
                "must be a CloudWatch Logs retention value: " + ", ".join(str(d) for d in CLOUDWATCH_RETENTION_DAYS)
            )
        return value

    @field_validator("audit_object_lock_days")
    @classmethod
    def _lock_days(cls, value: int) -> int:
        if not 1 <= value <= 36500:
            raise ValueError("must be between 1 and 36500 days")
        return value

    @field_validator("noncurrent_version_expiry_days")
    @classmethod
    def _noncurrent(cls, value: int) -> int:
        if not 1 <= value <= 3650:
            raise ValueError("must be between 1 and 3650 days")
        return value

    @field_validator("abort_incomplete_multipart_upload_days")
    @classmethod
    def _multipart(cls, value: int) -> int:
        if not 1 <= value <= 30:
            raise ValueError("must be between 1 and 30 days")
        return value

    @field_validator(
        "admin_principal_arns",
        "auditor_principal_arns",
        "deployer_principal_arns",
        "break_glass_principal_arns",
        "support_principal_arns",
    )
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not PRINCIPAL_ARN.match(a)]
        if bad:
            raise ValueError(f"bad principal ARN(s) {bad}: use arn:aws:iam::<account>:role/<name> or user/<name>")
        return value

    @field_validator("security_hub_standards")
    @classmethod
    def _standards(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in SECURITY_HUB_STANDARDS]
        if unknown:
            raise ValueError(f"unknown standard(s) {unknown}; allowed: {', '.join(SECURITY_HUB_STANDARDS)}")
        return value

    @field_validator("password_max_age_days")
    @classmethod
    def _max_age(cls, value: int) -> int:
        if not 1 <= value <= 365:
            raise ValueError("must be between 1 and 365 days")
        return value

    @field_validator("alarm_email", mode="before")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value == "":
            return None
        if value is not None and not EMAIL.match(str(value)):
            raise ValueError("must be an email address")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = [k for k in value if k.lower().startswith("aws:")]
        if reserved:
            raise ValueError(f"tag keys {reserved} use the reserved 'aws:' prefix")
        return value

    # ---- derived facts the components share -------------------------------------------------

    @property
    def zones(self) -> list[str]:
        """The availability zones this stack spreads subnets over: the AZ IDs when ``availabilityZoneIds`` is
        set (see ``zones_are_ids``), otherwise the first zone names of the region."""
        if self.availability_zone_ids:
            return list(self.availability_zone_ids)
        return REGION_ZONES[self.region][: self.availability_zone_count]

    @property
    def zones_are_ids(self) -> bool:
        return bool(self.availability_zone_ids)

    @property
    def partition(self) -> str:
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    @property
    def intake_tiers(self) -> list[str]:
        """Tiers that receive files from outside the landing zone, in TIERS order: the configured
        securityServices.malwareScanTiers plus every tier a read-write collaborator uploads to (a
        collaborator's files are external by definition). These buckets carry the MalwareScan tag and,
        with securityServices.malwareProtectionS3 on, a GuardDuty Malware Protection plan."""
        wanted = set(self.security_services.malware_scan_tiers)
        for collaborator in self.collaborators:
            if collaborator.access == "read-write":
                wanted |= set(collaborator.tiers)
        return [tier for tier in TIERS if tier in wanted]

    def instrument_tier(self, instrument: Instrument) -> str:
        """The tier an instrument uploads to: its own ``tier``, else the run-tracking intake tier."""
        return instrument.tier or self.run_tracking.intake_tier

    @property
    def stages(self) -> list[PipelineStage]:
        """The pipeline's stages: ``pipeline.stages``, or, without it, alignment and variant calling on the
        compute.images (the stages a stack had before pipelines were settings)."""
        if self.pipeline is not None:
            return list(self.pipeline.stages)
        images = self.compute.images
        if images is None:
            return []
        return [
            PipelineStage(
                name="alignment",
                image=images.alignment,
                reads=["fastq", "reference"],
                writes="alignments",
                vcpus=16,
                memory_mib=61440,  # fits a 64 GiB instance after the ECS agent's reservation
                description="align reads (FASTQ) to the reference, write BAM/CRAM",
            ),
            PipelineStage(
                name="variant-calling",
                image=images.variant_calling,
                reads=["alignments", "reference"],
                writes="variants",
                vcpus=8,
                memory_mib=30720,
                description="call variants from BAM/CRAM, write VCF/gVCF",
            ),
        ]

    @property
    def run_stages(self) -> list[PipelineStage]:
        """The stages a finished run goes through: runTracking.stages in that order, else every stage."""
        by_name = {s.name: s for s in self.stages}
        if not self.run_tracking.stages:
            return list(by_name.values())
        return [by_name[n] for n in self.run_tracking.stages if n in by_name]

    @property
    def requires_data_events(self) -> bool:
        """Controlled-access and PHI data need object-level audit records."""
        return self.classification in ("controlled", "phi")


def _did_you_mean(loc: tuple[Any, ...]) -> str | None:
    """The known key closest to an unknown one at the same level (``loc`` leads to it through the models)."""
    import difflib

    model: Any = Settings
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(_snake(str(part)))
        if field is None:
            return None
        annotation = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            inner = getattr(candidate, "__args__", None)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
            if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel):
                model = inner[0]  # list[Model]
                break
        else:
            return None
    known = [to_camel(name) for name in model.model_fields]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return close[0] if close else None


def _location(loc: tuple[Any, ...]) -> str:
    """('collaborators', 0, 'accountId') -> 'collaborators[0].accountId'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(("function-", "constrained-")):
            continue
        else:
            text += ("." if text else "") + str(part)
    return text


def _describe_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "[secret]"
    if isinstance(value, dict) and not value:
        return "{}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


_ALIAS_TO_KEY = {"region": "aws:region"}


def _config_key(location: str) -> str:
    head, _, rest = location.partition(".")
    bracket = head.find("[")
    root = head if bracket < 0 else head[:bracket]
    if root in _ALIAS_TO_KEY:
        return _ALIAS_TO_KEY[root] + head[len(root) :] + ("." + rest if rest else "")
    return f"{PROJECT}:{location}"


def _cross_checks(raw: dict[str, Any]) -> list[str]:
    """Rules that join two settings; run on raw values so they report alongside field errors."""
    problems: list[str] = []
    classification = raw.get("classification", "phi")
    if classification == "phi":
        for key in ("auditLogRetentionDays", "auditObjectLockDays"):
            default = Settings.model_fields[_snake(key)].default
            try:
                days = int(raw.get(key, default))
            except (TypeError, ValueError):
                continue
            if days < HIPAA_RETENTION_DAYS:
                allowed = (
                    ", ".join(str(d) for d in CLOUDWATCH_RETENTION_DAYS if d >= HIPAA_RETENTION_DAYS)
                    if key == "auditLogRetentionDays"
                    else f"{HIPAA_RETENTION_DAYS} or more"
                )
                problems.append(
                    f"{PROJECT}:{key} = {days!r}: must be at least {HIPAA_RETENTION_DAYS} days "
                    f"(6 years, HIPAA 164.316(b)(2)(i)) when classification is 'phi'; allowed: {allowed}"
                )
    services, modes = raw.get("securityServices") or {}, raw.get("accountServices") or {}
    if isinstance(services, dict) and isinstance(modes, dict):
        for key, value in modes.items():
            mode = value if isinstance(value, str) else (value or {}).get("mode") if isinstance(value, dict) else None
            if mode in ("adopt", "organization") and services.get(key) is False:
                problems.append(
                    f"{PROJECT}:accountServices.{key} = {mode!r}: securityServices.{key} is false; turn it on "
                    f"(the service is wanted, only who holds it changes) or leave accountServices.{key} out"
                )
    if classification in ("phi", "controlled") and not raw.get("deployerPrincipalArns"):
        # The data buckets' endpoint-only deny exempts only named principals: without the role that runs
        # `pulumi up`, the deployment locks itself out of the buckets it manages (policy, lifecycle,
        # versioning) on this and every later update or destroy.
        problems.append(
            f"{PROJECT}:deployerPrincipalArns = "
            f"{'missing' if raw.get('deployerPrincipalArns') is None else _describe_value(raw['deployerPrincipalArns'])}"
            f": required when classification is {classification!r}; list the role or user that runs `pulumi up` "
            "(glz init: --deployer) "
            "(arn:aws:iam::<account>:role/<name>), or the data buckets' endpoint-only deny locks it out"
        )
    region = raw.get("region")
    count = raw.get("availabilityZoneCount", 2)
    if region in REGION_ZONES:
        try:
            count_int = int(count)
        except (TypeError, ValueError):
            count_int = 0
        zones = REGION_ZONES[region]
        if 2 <= count_int <= 6 and count_int > len(zones):
            problems.append(
                f"{PROJECT}:availabilityZoneCount = {count!r}: region {region} has only "
                f"{len(zones)} zones ({', '.join(zones)}); allowed: 2 to {len(zones)}"
            )
    account = str(raw.get("accountId", ""))
    collaborators = raw.get("collaborators") or []
    if isinstance(collaborators, list):
        names = [c.get("name") for c in collaborators if isinstance(c, dict)]
        for name in sorted({n for n in names if n and names.count(n) > 1}):
            problems.append(f"{PROJECT}:collaborators: name {name!r} is used twice; names must be unique")
        for index, collaborator in enumerate(collaborators):
            if isinstance(collaborator, dict) and str(collaborator.get("accountId")) == account:
                problems.append(
                    f"{PROJECT}:collaborators[{index}].accountId = {account!r}: is this landing "
                    "zone's own account; collaborators are other accounts (use adminPrincipalArns "
                    "for people in this account)"
                )
    fpga = raw.get("fpga") or {}
    if isinstance(fpga, dict) and str(fpga.get("enabled", False)).lower() == "true" and not fpga.get("amiId"):
        problems.append(
            f"{PROJECT}:fpga.amiId = {'missing' if fpga.get('amiId') is None else repr(fpga.get('amiId'))}: required "
            "when fpga.enabled is true; F2 pipelines need an "
            "explicit AMI with the FPGA runtime (subscribe to a Marketplace AMI first, or the "
            "compute environment goes INVALID)"
        )
    compute = raw.get("compute") or {}
    tracking = raw.get("runTracking") or {}
    compute_off = isinstance(compute, dict) and str(compute.get("enabled", True)).lower() == "false"
    if compute_off and isinstance(tracking, dict) and str(tracking.get("enabled", True)).lower() != "false":
        problems.append(
            f"{PROJECT}:runTracking.enabled = True: needs compute (compute.enabled is false), which runs the "
            "stages; set runTracking.enabled: false or turn compute on"
        )
    pipeline = raw.get("pipeline")
    if isinstance(compute, dict) and compute.get("enabled", True) is not False:
        images = compute.get("images")
        if pipeline is not None and images:
            problems.append(
                f"{PROJECT}:compute.images = {_describe_value(images)}: pipeline.stages names each stage's image; "
                "remove compute.images (it only describes the two default stages of a stack without pipeline)"
            )
        elif pipeline is None and not images:
            problems.append(
                f"{PROJECT}:compute.images = {'missing' if images is None else _describe_value(images)}: required "
                "when compute is enabled and pipeline is not set; give "
                "{alignment: <ECR image URI>, variantCalling: <ECR image URI>}, or list pipeline.stages"
            )
        elif isinstance(images, dict):
            allowed_registries = compute.get("allowedRegistries") or []
            for key in ("alignment", "variantCalling"):
                problem = _image_problem(images.get(key), account, allowed_registries)
                if problem:
                    problems.append(f"{PROJECT}:compute.images.{key} = {images.get(key)!r}: {problem}")
        problems += _pipeline_problems(raw, account, compute.get("allowedRegistries") or [])
        reference = raw.get("referenceData") or {}
        problems += _open_data_object_problems(raw, reference)
        loader = reference.get("loaderImage") if isinstance(reference, dict) else None
        if loader is not None:
            problem = _image_problem(loader, account, compute.get("allowedRegistries") or [])
            if problem:
                problems.append(f"{PROJECT}:referenceData.loaderImage = {loader!r}: {problem}")
    problems += _intake_problems(raw)
    problems += _on_premises_problems(raw)
    problems += _security_contact_problems(raw)
    return problems


def _security_contact_problems(raw: dict[str, Any]) -> list[str]:
    """The contact is set here (create, adopt) or by the organization, never both: PutAlternateContact from two
    places leaves whichever ran last."""
    held = raw.get("accountServices") or {}
    mode = held.get("securityContact") if isinstance(held, dict) else None
    mode = mode.get("mode") if isinstance(mode, dict) else mode
    contact = raw.get("securityContact")
    if mode == "organization" and contact is not None:
        return [
            f"{PROJECT}:securityContact = {_describe_value(contact)}: must be left out when "
            "accountServices.securityContact is organization (the management account sets the contact); remove "
            "securityContact, or set accountServices.securityContact to create"
        ]
    if mode == "adopt" and contact is None:
        return [
            f"{PROJECT}:securityContact = missing: required when accountServices.securityContact is adopt (the "
            "stack imports the account's SECURITY contact and must declare what it holds)"
        ]
    return []


def _on_premises_problems(raw: dict[str, Any]) -> list[str]:
    """Lab networks that would collide with the VPC's own addresses (routes to them could not exist)."""
    section = raw.get("onPremises")
    cidrs = section.get("cidrs") if isinstance(section, dict) else None
    if not isinstance(cidrs, list):
        return []
    try:
        vpc = ipaddress.IPv4Network(str(raw.get("vpcCidr", "10.40.0.0/16")))
    except ValueError:
        return []
    problems = []
    lab = []
    for cidr in cidrs:
        try:
            lab.append(ipaddress.IPv4Network(str(cidr)))
        except ValueError:
            continue
    intake = raw.get("intake") if isinstance(raw.get("intake"), dict) else {}
    for index, instrument in enumerate(intake.get("instruments") or []):
        for ip in (instrument.get("sourceIps") or []) if isinstance(instrument, dict) else []:
            try:
                inside = any(ipaddress.ip_network(str(ip)).subnet_of(n) for n in lab)
            except (TypeError, ValueError):
                continue
            if not inside:
                problems.append(
                    f"{PROJECT}:intake.instruments[{index}].sourceIps = {instrument.get('sourceIps')!r}: {ip} is not "
                    f"in onPremises.cidrs; through the VPN the lab's own addresses arrive ({', '.join(map(str, cidrs))})"
                )
    for index, cidr in enumerate(cidrs):
        try:
            overlaps = ipaddress.IPv4Network(str(cidr)).overlaps(vpc)
        except ValueError:
            continue
        if overlaps:
            problems.append(
                f"{PROJECT}:onPremises.cidrs[{index}] = {cidr!r}: overlaps vpcCidr {vpc}; the lab's networks and "
                "the VPC need distinct addresses"
            )
    return problems


def _intake_problems(raw: dict[str, Any]) -> list[str]:
    """Instrument uploads that could not be trusted or revoked, or would land where nothing scans them."""
    import datetime as dt

    from components.certificates import ca_certificate_problem, crl_problem

    intake = raw.get("intake")
    instruments = intake.get("instruments") if isinstance(intake, dict) else None
    if not isinstance(instruments, list) or not instruments:
        return []
    problems: list[str] = []
    today = dt.date.today()
    ca, crl = intake.get("caCertificate"), intake.get("crl")
    given = isinstance(ca, str) and bool(ca.strip())
    ca_problem = ca_certificate_problem(ca, today) if given else None
    if not given:
        problems.append(
            f"{PROJECT}:intake.caCertificate = missing: required with instruments; the PEM of the CA "
            "that issues their certificates (IAM Roles Anywhere trust anchor)"
        )
    elif ca_problem:
        problems.append(f"{PROJECT}:intake.caCertificate = [PEM]: {ca_problem}")
    if not isinstance(crl, str) or not crl.strip():
        problems.append(
            f"{PROJECT}:intake.crl = missing: required with instruments; the PEM CRL of the CA (IAM "
            "Roles Anywhere revokes a certificate only through an imported CRL)"
        )
    elif given and not ca_problem and (problem := crl_problem(crl, ca, today)):
        problems.append(f"{PROJECT}:intake.crl = [PEM]: {problem}")
    services = raw.get("securityServices") or {}
    tracking = raw.get("runTracking") or {}
    scan_tiers = services.get("malwareScanTiers") if isinstance(services, dict) else None
    scanned = list(scan_tiers) if isinstance(scan_tiers, list) else list(DEFAULT_MALWARE_SCAN_TIERS)
    default_tier = tracking.get("intakeTier", "fastq") if isinstance(tracking, dict) else "fastq"
    for index, instrument in enumerate(instruments):
        if not isinstance(instrument, dict):
            continue
        tier = instrument.get("tier") or default_tier
        if tier not in scanned:
            problems.append(
                f"{PROJECT}:intake.instruments[{index}].tier = {tier!r}: instrument uploads land only in scanned "
                f"tiers (securityServices.malwareScanTiers: {', '.join(scanned)})"
            )
    return problems


def _open_data_object_problems(raw: dict[str, Any], reference: Any) -> list[str]:
    """Open-data objects the loader could not fetch: a bucket not in openDataBuckets, or no loader to run."""
    objects = reference.get("openDataObjects") if isinstance(reference, dict) else None
    if not isinstance(objects, list) or not objects:
        return []
    problems = []
    buckets = raw.get("openDataBuckets") or []
    for index, item in enumerate(objects):
        bucket = str(item).split("/", 1)[0]
        if bucket not in buckets:
            problems.append(
                f"{PROJECT}:referenceData.openDataObjects[{index}] = {item!r}: bucket {bucket!r} is not in "
                f"openDataBuckets ({', '.join(map(str, buckets)) or 'none'}); list it there first"
            )
    if not (str(reference.get("efs", False)).lower() == "true" and reference.get("loaderImage")):
        problems.append(
            f"{PROJECT}:referenceData.openDataObjects = {_describe_value(objects)}: needs referenceData.efs true and "
            "referenceData.loaderImage, the job that copies them"
        )
    return problems


def _on(section: Any) -> bool:
    return isinstance(section, dict) and str(section.get("enabled", False)).lower() == "true"


def _pipeline_problems(raw: dict[str, Any], account: str, allowed_registries: list[str]) -> list[str]:
    """Stages that cannot run as configured: an image from elsewhere, a queue the stack does not build, a tier
    no one fills before the stage reads it, a run-tracking stage that is not in the pipeline."""
    pipeline = raw.get("pipeline")
    tracking = raw.get("runTracking") or {}
    stages = pipeline.get("stages") if isinstance(pipeline, dict) else None
    if pipeline is None:
        stages = [{"name": name} for name in PIPELINE_STAGES]
    if not isinstance(stages, list):
        return []
    problems: list[str] = []
    services = raw.get("securityServices") or {}
    scan_tiers = services.get("malwareScanTiers") if isinstance(services, dict) else None
    landed = set(scan_tiers if isinstance(scan_tiers, list) else DEFAULT_MALWARE_SCAN_TIERS) | {"reference"}
    landed.add(str(tracking.get("intakeTier", "fastq")) if isinstance(tracking, dict) else "fastq")
    for collaborator in raw.get("collaborators") or []:
        if isinstance(collaborator, dict) and collaborator.get("access") == "read-write":
            landed |= {str(t) for t in collaborator.get("tiers") or []}
    built = {"fpga": _on(raw.get("fpga")), "gpu": _on(raw.get("gpu"))}
    written: set[str] = set()
    for index, stage in enumerate(stages):
        if not isinstance(stage, dict):
            continue
        where = f"{PROJECT}:pipeline.stages[{index}]"
        if "image" in stage:
            problem = _image_problem(stage.get("image"), account, allowed_registries)
            if problem:
                problems.append(f"{where}.image = {stage.get('image')!r}: {problem}")
        queue = stage.get("queue", "spot")
        if queue in built and not built[queue]:
            problems.append(
                f"{where}.queue = {queue!r}: the stack builds no {queue} environment ({queue}.enabled is false); "
                f"allowed: spot, on-demand{''.join(f', {q}' for q, on in built.items() if on)}"
            )
        gpus = stage.get("gpus", 0)
        if queue == "gpu" and gpus in (0, None):
            problems.append(f"{where}.gpus = {gpus!r}: the stage runs on the gpu queue; set the GPUs it needs (1-8)")
        elif queue != "gpu" and isinstance(gpus, int) and gpus > 0:
            problems.append(f"{where}.gpus = {gpus!r}: GPUs only on the gpu queue; set queue: gpu (and gpu.enabled)")
        for tier in stage.get("reads") or []:
            if tier in TIERS and tier not in landed | written:
                problems.append(
                    f"{where}.reads = {stage.get('reads')!r}: no earlier stage writes {tier!r} and files from "
                    f"outside land only in {', '.join(t for t in TIERS if t in landed)}; put the stage that "
                    f"writes {tier!r} first, or add {tier!r} to securityServices.malwareScanTiers"
                )
        if isinstance(stage.get("writes"), str):
            written.add(stage["writes"])
    names = [s.get("name") for s in stages if isinstance(s, dict)]
    wanted = tracking.get("stages") if isinstance(tracking, dict) else None
    for name in wanted if isinstance(wanted, list) else []:
        if name not in names:
            problems.append(
                f"{PROJECT}:runTracking.stages = {wanted!r}: {name!r} is not a pipeline stage; allowed: "
                f"{', '.join(str(n) for n in names)}"
            )
    return problems


def _image_problem(image: Any, account: str, allowed_registries: list[str]) -> str | None:
    if not isinstance(image, str):
        return "required: an ECR image URI in this account"
    ecr = ECR_IMAGE.match(image)
    # Without a valid accountId (reported once, on its own line) an image cannot be judged against it: one root
    # cause, one line (issue 18), so only the image's form is checked here.
    if ecr and (ecr.group("account") == account or not re.fullmatch(r"\d{12}", account)):
        return None
    generic = IMAGE.match(image)
    if generic and generic.group("registry") in allowed_registries:
        return None
    return (
        f"must be an ECR image in this account ({account}.dkr.ecr.<region>.amazonaws.com/<repo>:<tag> "
        "or @sha256:<digest>); other registries only when listed in compute.allowedRegistries"
    )


def _snake(alias: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", alias).lower()


def _plaintext_external_ids(raw: dict[str, Any]) -> list[str]:
    """Pulumi marks the whole `collaborators` key secret when any one external ID is, so its secret flag says
    nothing about the others. Offline, each secure: value is a placeholder (glz.stack_files): once one
    collaborator's external ID is, every other one written in plain text is named here."""
    collaborators = raw.get("collaborators")
    if not isinstance(collaborators, list):
        return []
    ids = [c.get("externalId") if isinstance(c, dict) else None for c in collaborators]
    if not any(isinstance(v, str) and v.startswith(SECRET_PLACEHOLDER_PREFIX) for v in ids):
        return []
    return [
        f"{PROJECT}:collaborators[{index}].externalId = [plain text]: stored unencrypted beside secret ones; set it "
        f"with `pulumi config set --secret --path 'collaborators[{index}].externalId' <value>`"
        for index, value in enumerate(ids)
        if value is not None and not (isinstance(value, str) and value.startswith(SECRET_PLACEHOLDER_PREFIX))
    ]


def parse_settings(raw: dict[str, Any], *, secret_keys: frozenset[str] = frozenset()) -> Settings:
    """Validate raw config values (Pulumi config keys without the project prefix).

    ``secret_keys`` are the keys Pulumi holds as secrets; collaborator external IDs must be one.
    Raises SettingsError listing every problem.
    """
    problems: list[str] = []
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        settings = None
        for item in error.errors():
            location = _location(item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown setting; see Pulumi.yaml for the settings this project reads"
                if guess := _did_you_mean(item["loc"]):
                    message = f"unknown setting; did you mean {guess!r}? (Pulumi.yaml lists the settings)"
            elif item["type"] == "missing":
                message = "required setting is missing"
            shown = "[secret]" if location.endswith("externalId") else _describe_value(item.get("input"))
            if item["type"] == "missing":
                shown = "missing"  # pydantic's input here is the parent object, not a value of this key
            problems.append(f"{_config_key(location)} = {shown}: {message}")
    problems += _cross_checks(raw)
    problems += _plaintext_external_ids(raw)
    if raw.get("collaborators") and "collaborators" not in secret_keys:
        problems.append(
            f"{PROJECT}:collaborators: external IDs must be stored as secrets; set each with "
            f"`pulumi config set --secret --path 'collaborators[N].externalId' <value>`"
        )
    if problems:
        raise SettingsError(sorted(dict.fromkeys(problems)))
    assert settings is not None
    return settings
