"""`glz preflight`: a read-only look at the target account before the first `pulumi up`.

Each finding says what the account has and which setting of Pulumi.<stack>.yaml to change. Blockers are what
would make `pulumi up` fail or take over something the account already runs; notes are worth knowing. Every
call is a Describe/Get/List in docs/preflight-permissions.json (tests/test_preflight.py keeps the file and
the code in step). Exit 0 ready, 1 a blocker, 2 bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from components import service_linked_roles as slr
from components.settings import Settings

BLOCKER, NOTE, READY = "blocker", "note", "ready"

# (botocore service, operation) -> the IAM action it needs: docs/preflight-permissions.json grants exactly these
IAM_ACTIONS: dict[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("iam", "GetRole"): "iam:GetRole",
    ("iam", "GetAccountPasswordPolicy"): "iam:GetAccountPasswordPolicy",
    ("guardduty", "ListDetectors"): "guardduty:ListDetectors",
    ("config", "DescribeConfigurationRecorders"): "config:DescribeConfigurationRecorders",
    ("config", "DescribeDeliveryChannels"): "config:DescribeDeliveryChannels",
    ("securityhub", "DescribeHub"): "securityhub:DescribeHub",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("ec2", "DescribeAvailabilityZones"): "ec2:DescribeAvailabilityZones",
    ("ec2", "DescribeInstanceTypeOfferings"): "ec2:DescribeInstanceTypeOfferings",
    ("ec2", "DescribeVpcEndpointServices"): "ec2:DescribeVpcEndpointServices",
    ("organizations", "DescribeOrganization"): "organizations:DescribeOrganization",
    ("ec2", "DescribeVpcs"): "ec2:DescribeVpcs",
    ("service-quotas", "GetServiceQuota"): "servicequotas:GetServiceQuota",
}


@dataclass(frozen=True)
class Finding:
    level: str  # blocker | note | ready
    topic: str
    message: str
    setting: str = ""  # what to change in Pulumi.<stack>.yaml, where there is something to change


class Account:
    """Read-only calls on one session; an error answer is returned as the exception, never raised."""

    def __init__(self, session: Any):
        self.session = session

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any] | Exception:
        try:
            return getattr(self.session.client(service), operation)(**params)
        except (ClientError, BotoCoreError) as error:
            return error


def _code(error: Exception) -> str:
    return error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else type(error).__name__


def _mode(settings: Settings, field: str) -> str:
    return str(getattr(settings.account_services, field).mode)


def identity(account: Account, settings: Settings) -> Iterator[Finding]:
    answer = account.call("sts", "get_caller_identity")
    if isinstance(answer, Exception):
        yield Finding(BLOCKER, "credentials", f"the credentials were refused: {_code(answer)}")
        return
    if answer["Account"] != settings.account_id:
        yield Finding(
            BLOCKER,
            "credentials",
            f"the credentials are for account {answer['Account']}, the stack deploys to {settings.account_id}",
            "accountId (or use the target account's credentials)",
        )
        return
    yield Finding(READY, "credentials", f"{answer['Arn']} in account {answer['Account']}")
    caller = _role_of(answer["Arn"])
    if settings.classification in ("phi", "controlled") and caller not in settings.deployer_principal_arns:
        yield Finding(
            BLOCKER,
            "deployer",
            f"the deploying principal {caller} is not in deployerPrincipalArns: the data buckets' endpoint-only "
            "deny would refuse it on the next update",
            f"deployerPrincipalArns (add {caller})",
        )


def _role_of(arn: str) -> str:
    """The IAM principal behind a caller ARN: arn:aws:sts::A:assumed-role/R/S -> arn:aws:iam::A:role/R (a role
    session, as `pulumi up` from CI runs); an sts user form -> the iam user; other ARNs as they are."""
    parts = arn.split(":")
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("user/"):
        return f"arn:{parts[1]}:iam::{parts[4]}:{parts[5]}"
    return arn


def service_linked_roles(account: Account, settings: Settings) -> Iterator[Finding]:
    needed = [slr.AUTO_SCALING]
    if settings.security_services.aws_config and _mode(settings, "aws_config") != "organization":
        needed.append(slr.CONFIG)
    for role in needed:
        name = role.path.rsplit("/", 1)[-1]
        answer = account.call("iam", "get_role", RoleName=name)
        exists = not isinstance(answer, Exception)
        if isinstance(answer, Exception) and _code(answer) not in ("NoSuchEntity", "NoSuchEntityException"):
            yield Finding(NOTE, "service-linked roles", f"could not read {name}: {_code(answer)}")
            continue
        mode = slr.mode_of(settings, role)
        if exists and mode == "create":
            yield Finding(
                BLOCKER,
                "service-linked roles",
                f"{name} exists; creating it again fails",
                f"serviceLinkedRoles.{role.key}: adopt",
            )
        elif not exists and mode in ("adopt", "existing"):
            yield Finding(
                BLOCKER,
                "service-linked roles",
                f"{name} does not exist; the policies naming it would be refused",
                f"serviceLinkedRoles.{role.key}: create",
            )
        else:
            yield Finding(READY, "service-linked roles", f"{name} {'exists' if exists else 'absent'}, setting {mode}")


def _singleton(service: str, field: str, what: str, found: str | None, adopt: str) -> Callable[[Settings], Finding]:
    def judge(settings: Settings) -> Finding:
        if not getattr(settings.security_services, field):
            return Finding(
                NOTE, service, f"{what}: off in securityServices{'; the account has ' + found if found else ''}"
            )
        mode = _mode(settings, field)
        if found and mode == "create":
            return Finding(BLOCKER, service, f"the account already has {found}", f"accountServices.{service}: {adopt}")
        if not found and mode in ("adopt", "organization"):
            return Finding(
                BLOCKER,
                service,
                f"{what} is not on in this account, but the setting says {mode}",
                f"accountServices.{service}: create",
            )
        return Finding(READY, service, f"{what}: {found or 'none yet'}, setting {mode}")

    return judge


def singletons(account: Account, settings: Settings) -> Iterator[Finding]:
    detectors = account.call("guardduty", "list_detectors")
    ids = [] if isinstance(detectors, Exception) else detectors.get("DetectorIds", [])
    yield _singleton(
        "guardDuty",
        "guard_duty",
        "GuardDuty",
        f"detector {ids[0]}" if ids else None,
        f"{{mode: adopt, id: {ids[0]}}} (or organization)" if ids else "",
    )(settings)
    recorders = account.call("config", "describe_configuration_recorders")
    names = [] if isinstance(recorders, Exception) else [r["name"] for r in recorders.get("ConfigurationRecorders", [])]
    channels = account.call("config", "describe_delivery_channels")
    channel = None if isinstance(channels, Exception) else next(iter(channels.get("DeliveryChannels", [])), None)
    yield _singleton(
        "awsConfig",
        "aws_config",
        "AWS Config",
        f"recorder {names[0]}" if names else None,
        f"{{mode: adopt, id: {names[0]}, deliveryChannel: {channel['name'] if channel else 'default'}}} (or organization)"
        if names
        else "",
    )(settings)
    hub = account.call("securityhub", "describe_hub")
    yield _singleton(
        "securityHub",
        "security_hub",
        "Security Hub",
        None if isinstance(hub, Exception) else "Security Hub enabled",
        "adopt (or organization)",
    )(settings)
    policy = account.call("iam", "get_account_password_policy")
    yield _singleton(
        "passwordPolicy",
        "password_policy",
        "the password policy",
        None if isinstance(policy, Exception) else "a password policy",
        "adopt (or organization)",
    )(settings)
    block = account.call("s3control", "get_public_access_block", AccountId=settings.account_id)
    yield _singleton(
        "s3AccountPublicAccessBlock",
        "s3_account_public_access_block",
        "the account public access block",
        None if isinstance(block, Exception) else "an account public access block",
        "adopt (or organization)",
    )(settings)


def zones(account: Account, settings: Settings) -> Iterator[Finding]:
    """The stack's zones by name, as this account maps them to AZ IDs; where F2 and each endpoint service are
    offered (the offerings are per AZ ID, and names map to different IDs in each account)."""
    answer = account.call("ec2", "describe_availability_zones", ZoneNames=settings.zones)
    if isinstance(answer, Exception):
        yield Finding(NOTE, "zones", f"could not map the zones: {_code(answer)}")
        return
    ids = {z["ZoneName"]: z["ZoneId"] for z in answer.get("AvailabilityZones", [])}
    yield Finding(READY, "zones", ", ".join(f"{n} = {ids.get(n, '?')}" for n in settings.zones))
    if settings.fpga.enabled:
        offered = account.call(
            "ec2",
            "describe_instance_type_offerings",
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": list(settings.fpga.instance_types)}],
        )
        where = (
            set()
            if isinstance(offered, Exception)
            else {o["Location"] for o in offered.get("InstanceTypeOfferings", [])}
        )
        inside = sorted(where & set(settings.zones))
        if not inside:
            yield Finding(
                BLOCKER,
                "F2",
                f"no zone of the stack ({', '.join(settings.zones)}) offers {', '.join(settings.fpga.instance_types)}"
                + (f"; offered in {', '.join(sorted(where))}" if where else " in this region"),
                "availabilityZoneCount (or another region), or fpga.enabled: false",
            )
        else:
            yield Finding(READY, "F2", f"{', '.join(settings.fpga.instance_types)} offered in {', '.join(inside)}")
    services = [f"com.amazonaws.{settings.region}.{s}" for s in settings.interface_endpoints]
    answer = account.call("ec2", "describe_vpc_endpoint_services", ServiceNames=services)
    if isinstance(answer, Exception):
        yield Finding(NOTE, "endpoints", f"could not read the endpoint services: {_code(answer)}")
        return
    details = {d["ServiceName"]: set(d.get("AvailabilityZones", [])) for d in answer.get("ServiceDetails", [])}
    for service in services:
        missing = sorted(set(settings.zones) - details.get(service, set()))
        if service not in details:
            yield Finding(BLOCKER, "endpoints", f"{service} is not offered in {settings.region}", "interfaceEndpoints")
        elif missing:
            yield Finding(
                BLOCKER,
                "endpoints",
                f"{service} is not offered in {', '.join(missing)}",
                "interfaceEndpoints or availabilityZoneCount",
            )


CONTROL_TOWER_ROLE = "AWSControlTowerExecution"
"""The role Control Tower creates in every account it enrolls (AWS Control Tower User Guide, "Roles")."""


def organization(account: Account, settings: Settings) -> Iterator[Finding]:
    """Organizations membership and Control Tower enrolment: what the organization may already hold here."""
    answer = account.call("organizations", "describe_organization")
    if isinstance(answer, Exception):
        if _code(answer) == "AWSOrganizationsNotInUseException":
            yield Finding(READY, "organization", "not in an AWS Organization: every service is the stack's to create")
        else:
            yield Finding(NOTE, "organization", f"could not read the organization: {_code(answer)}")
        return
    org = answer.get("Organization", {})
    yield Finding(READY, "organization", f"member of {org.get('Id')} (management account {org.get('MasterAccountId')})")
    enrolled = not isinstance(account.call("iam", "get_role", RoleName=CONTROL_TOWER_ROLE), Exception)
    if enrolled and settings.security_services.aws_config and _mode(settings, "aws_config") == "create":
        yield Finding(
            BLOCKER,
            "Control Tower",
            f"the account is enrolled in Control Tower ({CONTROL_TOWER_ROLE} exists), which runs AWS Config here",
            "accountServices.awsConfig: organization",
        )
    elif enrolled:
        yield Finding(READY, "Control Tower", "enrolled; AWS Config is left to it")


# Service Quotas codes (Service Quotas console, "Amazon VPC" and "Amazon EC2"): VPCs per Region, interface
# VPC endpoints per VPC, Running On-Demand F instances (vCPUs).
VPCS_PER_REGION = ("vpc", "L-F678F1CE")
INTERFACE_ENDPOINTS_PER_VPC = ("vpc", "L-29B6F2EB")
F_INSTANCE_VCPUS = ("ec2", "L-74FC7D96")


def _quota(account: Account, code: tuple[str, str]) -> float | None:
    answer = account.call("service-quotas", "get_service_quota", ServiceCode=code[0], QuotaCode=code[1])
    return None if isinstance(answer, Exception) else float(answer["Quota"]["Value"])


def quotas(account: Account, settings: Settings) -> Iterator[Finding]:
    """The quotas the stack's first deployment uses: one more VPC, its interface endpoints, the F2 vCPUs."""
    vpcs = account.call("ec2", "describe_vpcs")
    used = None if isinstance(vpcs, Exception) else len(vpcs.get("Vpcs", []))
    limit = _quota(account, VPCS_PER_REGION)
    if limit is None or used is None:
        yield Finding(NOTE, "quotas", f"could not read the VPC quota ({VPCS_PER_REGION[1]}) or the VPCs in use")
    elif used + 1 > limit:
        yield Finding(
            BLOCKER,
            "quotas",
            f"{used} VPCs already use the quota of {limit:g} in {settings.region}",
            f"nothing in the settings: raise Service Quotas {VPCS_PER_REGION[1]}",
        )
    else:
        yield Finding(READY, "quotas", f"VPCs: {used} of {limit:g} used, the stack adds 1")
    endpoints = len(settings.interface_endpoints)
    limit = _quota(account, INTERFACE_ENDPOINTS_PER_VPC)
    if limit is not None and endpoints > limit:
        yield Finding(
            BLOCKER,
            "quotas",
            f"{endpoints} interface endpoints exceed the per-VPC quota of {limit:g}",
            "interfaceEndpoints",
        )
    if settings.fpga.enabled:
        limit = _quota(account, F_INSTANCE_VCPUS)
        if limit is None:
            yield Finding(NOTE, "quotas", f"could not read the F instance vCPU quota ({F_INSTANCE_VCPUS[1]})")
        elif limit < settings.fpga.max_vcpus:
            yield Finding(
                BLOCKER,
                "quotas",
                f"the F instance vCPU quota is {limit:g}, fpga.maxVcpus is {settings.fpga.max_vcpus}",
                f"fpga.maxVcpus (or raise Service Quotas {F_INSTANCE_VCPUS[1]})",
            )


CHECKS = (identity, organization, service_linked_roles, singletons, zones, quotas)


def run(session: Any, settings: Settings) -> list[Finding]:
    account = Account(session)
    findings = []
    for check in CHECKS:
        findings += list(check(account, settings))
        if findings and findings[0].topic == "credentials" and findings[0].level == BLOCKER:
            break  # another account's answers would mislead
    return findings


def render(findings: list[Finding]) -> str:
    lines = []
    for level in (BLOCKER, NOTE, READY):
        for finding in (f for f in findings if f.level == level):
            change = f"  -> set {finding.setting}" if finding.setting else ""
            lines.append(f"{level:<8} {finding.topic:<22} {finding.message}{change}")
    blockers = sum(f.level == BLOCKER for f in findings)
    lines.append(
        f"{'NOT READY' if blockers else 'READY'}: {blockers} blocker(s), {sum(f.level == NOTE for f in findings)} note(s)"
    )
    return "\n".join(lines)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "preflight", help="read the target account (read-only) before the first `pulumi up` and say what to set"
    )
    parser.add_argument("--stack", required=True, help="reads Pulumi.<stack>.yaml")
    parser.add_argument("--profile", help="AWS profile of the deploying role (docs/preflight-permissions.json)")
    parser.add_argument("--region", help="region (default: the stack's)")
    parser.add_argument("--endpoint-url", help="AWS endpoint override (e.g. a moto server for tests)")
    parser.set_defaults(func=cmd_preflight)


def cmd_preflight(args: Any) -> int:
    from glz.audit.session import AuditSession
    from glz.cli import _project_dir
    from glz.stack_files import read_stack_config
    from glz.synth import validate

    settings = validate(read_stack_config(_project_dir(args.project_dir), args.stack))
    session = AuditSession.open(
        profile=args.profile, region=args.region or settings.region, endpoint_url=args.endpoint_url, default_region=None
    )
    findings = run(session, settings)
    print(render(findings))
    return 1 if any(f.level == BLOCKER for f in findings) else 0
