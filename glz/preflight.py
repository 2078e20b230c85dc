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
    ("ec2", "DescribeRegions"): "ec2:DescribeRegions",
    ("iam", "SimulatePrincipalPolicy"): "iam:SimulatePrincipalPolicy",
    ("batch", "DescribeComputeEnvironments"): "batch:DescribeComputeEnvironments",
    ("batch", "DescribeJobQueues"): "batch:DescribeJobQueues",
    ("ssm", "DescribeDocument"): "ssm:DescribeDocument",
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
        except NotImplementedError as error:  # an emulator (moto) without the operation: unreadable, a note
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
    # imported here: it imports pulumi_aws, which `glz check --state` would otherwise load only to build the parser
    from components import service_linked_roles as slr

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


def region(account: Account, settings: Settings) -> Iterator[Finding]:
    """The stack's region is enabled for the account: an opt-in region not opted in refuses every call."""
    answer = account.call("ec2", "describe_regions", AllRegions=True, RegionNames=[settings.region])
    if isinstance(answer, Exception):
        yield Finding(NOTE, "region", f"could not read the opt-in status of {settings.region}: {_code(answer)}")
        return
    status = next((r.get("OptInStatus") for r in answer.get("Regions", [])), None)
    if status == "not-opted-in":
        yield Finding(
            BLOCKER,
            "region",
            f"{settings.region} is an opt-in region this account has not enabled",
            "region (or enable it: Account Management > Regions)",
        )
    else:
        yield Finding(READY, "region", f"{settings.region}: {status or 'enabled'}")


def _zone_ids(account: Account) -> dict[str, str] | Exception:
    """Zone name -> AZ ID for every zone of the region as this account maps them."""
    answer = account.call("ec2", "describe_availability_zones")
    if isinstance(answer, Exception):
        return answer
    return {z["ZoneName"]: z["ZoneId"] for z in answer.get("AvailabilityZones", [])}


def zones(account: Account, settings: Settings) -> Iterator[Finding]:
    """The stack's zones as AZ IDs (listed, or this account's mapping of the names); where F2 and each endpoint
    service are offered, compared by AZ ID, since names map to different physical zones in each account."""
    ids_of = _zone_ids(account)
    if isinstance(ids_of, Exception):
        yield Finding(NOTE, "zones", f"could not map the zones: {_code(ids_of)}")
        return
    names_of = {zone_id: name for name, zone_id in ids_of.items()}
    if settings.zones_are_ids:
        stack_ids = list(settings.zones)
        unknown = [z for z in stack_ids if z not in names_of]
        if unknown:
            yield Finding(
                BLOCKER,
                "zones",
                f"{', '.join(unknown)} not a zone of {settings.region} in this account "
                f"(it has {', '.join(sorted(names_of))})",
                "availabilityZoneIds",
            )
            return
    else:
        stack_ids = [ids_of.get(name, "?") for name in settings.zones]
        yield Finding(
            NOTE,
            "zones",
            "zones are chosen by name, which is a different physical zone in each account; pin these with "
            f"availabilityZoneIds: [{', '.join(stack_ids)}]",
        )

    def shown(zone_ids) -> str:
        return ", ".join(f"{z} ({names_of.get(z, '?')})" for z in sorted(zone_ids))

    yield Finding(READY, "zones", ", ".join(f"{names_of.get(z, '?')} = {z}" for z in stack_ids))
    if settings.fpga.enabled:
        offered = account.call(
            "ec2",
            "describe_instance_type_offerings",
            LocationType="availability-zone-id",
            Filters=[{"Name": "instance-type", "Values": list(settings.fpga.instance_types)}],
        )
        where = (
            set()
            if isinstance(offered, Exception)
            else {o["Location"] for o in offered.get("InstanceTypeOfferings", [])}
        )
        inside = where & set(stack_ids)
        if not inside:
            yield Finding(
                BLOCKER,
                "F2",
                f"no zone of the stack ({shown(stack_ids)}) offers {', '.join(settings.fpga.instance_types)}"
                + (f"; offered in {shown(where)}" if where else " in this region"),
                "availabilityZoneIds (a zone that offers it), or fpga.enabled: false",
            )
        else:
            yield Finding(READY, "F2", f"{', '.join(settings.fpga.instance_types)} offered in {shown(inside)}")
    services = [f"com.amazonaws.{settings.region}.{s}" for s in settings.interface_endpoints]
    answer = account.call("ec2", "describe_vpc_endpoint_services", ServiceNames=services)
    if isinstance(answer, Exception):
        yield Finding(NOTE, "endpoints", f"could not read the endpoint services: {_code(answer)}")
        return
    details = {
        d["ServiceName"]: {ids_of.get(name, name) for name in d.get("AvailabilityZones", [])}
        for d in answer.get("ServiceDetails", [])
    }
    for service in services:
        missing = set(stack_ids) - details.get(service, set())
        if service not in details:
            yield Finding(BLOCKER, "endpoints", f"{service} is not offered in {settings.region}", "interfaceEndpoints")
        elif missing:
            yield Finding(
                BLOCKER,
                "endpoints",
                f"{service} is not offered in {shown(missing)}",
                "interfaceEndpoints or availabilityZoneIds",
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


# One create per service the first `pulumi up` touches: enough to see an SCP that denies a service or the region
# (Control Tower's region deny, a "no IAM roles" guardrail). IAM's simulator applies the SCPs of the simulated
# principal's account and reports them in OrganizationsDecisionDetail.AllowedByOrganizations (IAM API Reference,
# SimulatePrincipalPolicy and OrganizationsDecisionDetail).
DEPLOY_ACTIONS = (
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
    "ec2:CreateFlowLogs",
    "kms:CreateKey",
    "kms:PutKeyPolicy",
    "s3:CreateBucket",
    "s3:PutBucketPolicy",
    "s3:PutBucketObjectLockConfiguration",
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:PassRole",
    "cloudtrail:CreateTrail",
    "logs:CreateLogGroup",
    "sns:CreateTopic",
    "cloudwatch:PutMetricAlarm",
    "batch:CreateComputeEnvironment",
    "elasticfilesystem:CreateFileSystem",
)
SERVICE_ACTIONS = {
    "guard_duty": "guardduty:CreateDetector",
    "security_hub": "securityhub:EnableSecurityHub",
    "aws_config": "config:PutConfigurationRecorder",
    "access_analyzer": "access-analyzer:CreateAnalyzer",
    "unused_access_analyzer": "access-analyzer:CreateAnalyzer",
    "inspector": "inspector2:Enable",
}


def _deploy_actions(settings: Settings) -> list[str]:
    """The actions to simulate: the fixed set plus each security service the stack itself turns on."""
    actions = list(DEPLOY_ACTIONS)
    for field, action in SERVICE_ACTIONS.items():
        if getattr(settings.security_services, field, False) and _mode(settings, field) != "organization":
            actions.append(action)
    return actions


def service_control_policies(account: Account, settings: Settings) -> Iterator[Finding]:
    """Simulate the deploying principal on one create per service, in the stack's region: an action the
    organization's SCPs deny is a blocker (a member account cannot read its SCPs, but the simulator applies
    them); one its own policies do not allow is a note (they may allow it on the stack's resources only)."""
    caller = account.call("sts", "get_caller_identity")
    principal = "" if isinstance(caller, Exception) else _role_of(caller["Arn"])
    if ":role/" not in principal and ":user/" not in principal:
        yield Finding(NOTE, "SCPs", f"cannot simulate {principal or 'the caller'}: only IAM roles and users can be")
        return
    answer = account.call(
        "iam",
        "simulate_principal_policy",
        PolicySourceArn=principal,
        ActionNames=_deploy_actions(settings),
        ContextEntries=[
            {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": [settings.region], "ContextKeyType": "string"}
        ],
    )
    if isinstance(answer, Exception):
        yield Finding(NOTE, "SCPs", f"could not simulate the deployer's actions: {_code(answer)}")
        return
    results = answer.get("EvaluationResults", [])
    denied = sorted(
        r["EvalActionName"]
        for r in results
        if (r.get("OrganizationsDecisionDetail") or {}).get("AllowedByOrganizations") is False
    )
    if denied:
        yield Finding(
            BLOCKER,
            "SCPs",
            f"the organization's service control policies deny {principal} {', '.join(denied)} in {settings.region}",
            "nothing in the settings: ask the organization for an SCP exception for this account or role "
            "(or turn the service off / set accountServices.<service>: organization)",
        )
    not_allowed = sorted(
        r["EvalActionName"] for r in results if r.get("EvalDecision") != "allowed" and r["EvalActionName"] not in denied
    )
    if not_allowed:
        yield Finding(
            NOTE, "SCPs", f"{principal}'s own policies do not allow {', '.join(not_allowed)} on every resource"
        )
    if not denied:
        yield Finding(READY, "SCPs", f"no SCP denies the {len(results)} simulated deploy actions in {settings.region}")


def session_preferences(account: Account, settings: Settings) -> Iterator[Finding]:
    """Session Manager preferences are one document per account and region (SSM-SessionManagerRunShell; the
    console's Preferences page creates it): creating it where it exists fails."""
    from components.session_manager import PREFERENCES_DOCUMENT

    if not settings.compute.enabled:
        return
    answer = account.call("ssm", "describe_document", Name=PREFERENCES_DOCUMENT)
    exists = not isinstance(answer, Exception)
    if isinstance(answer, Exception) and _code(answer) != "InvalidDocument":
        yield Finding(NOTE, "Session Manager", f"could not read {PREFERENCES_DOCUMENT}: {_code(answer)}")
        return
    mode = settings.compute.session_preferences
    if exists and mode == "create":
        yield Finding(
            BLOCKER,
            "Session Manager",
            f"the account already has Session Manager preferences ({PREFERENCES_DOCUMENT})",
            "compute.sessionPreferences: existing (and keep sessions logged there), or delete the document so "
            "the stack's preferences replace it",
        )
    elif not exists and mode == "existing":
        yield Finding(
            NOTE,
            "Session Manager",
            f"no {PREFERENCES_DOCUMENT} in the account: with sessionPreferences: existing nothing logs sessions",
            "compute.sessionPreferences: create",
        )
    else:
        yield Finding(
            READY, "Session Manager", f"{PREFERENCES_DOCUMENT} {'exists' if exists else 'absent'}, setting {mode}"
        )


BATCH_LIMIT = 50
"""Compute environments and job queues per account and region; fixed (AWS Batch User Guide, "AWS Batch service
quotas": 50 compute environments, 50 job queues; not in Service Quotas, so counted here)."""


def batch(account: Account, settings: Settings) -> Iterator[Finding]:
    """Room for the stack's compute environments and job queues under Batch's fixed per-region limits."""
    from components.compute import environment_keys

    if not settings.compute.enabled:
        return
    wanted = len(environment_keys(settings))
    for what, operation, key in (
        ("compute environments", "describe_compute_environments", "computeEnvironments"),
        ("job queues", "describe_job_queues", "jobQueues"),
    ):
        answer = account.call("batch", operation)
        if isinstance(answer, Exception):
            yield Finding(NOTE, "quotas", f"could not count the Batch {what}: {_code(answer)}")
            continue
        used = len(answer.get(key, []))
        if used + wanted > BATCH_LIMIT:
            yield Finding(
                BLOCKER,
                "quotas",
                f"{used} Batch {what} exist; the stack adds {wanted}, over the fixed limit of {BATCH_LIMIT}",
                "fpga.enabled: false (one fewer), or remove unused ones",
            )
        else:
            yield Finding(READY, "quotas", f"Batch {what}: {used} of {BATCH_LIMIT} used, the stack adds {wanted}")


def default_vpc(account: Account, settings: Settings) -> Iterator[Finding]:
    """The region's default VPC, which nothing of the landing zone uses: AWS creates it with a default security
    group and network ACL that let everything in, public subnets and no flow logs, and scanners (CIS AWS
    Foundations 5.x, Prowler) flag it. Not a blocker: the runbook says how to delete it."""
    answer = account.call("ec2", "describe_vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])
    if isinstance(answer, Exception):
        yield Finding(NOTE, "default VPC", f"could not read the default VPC: {_code(answer)}")
        return
    found = answer.get("Vpcs", [])
    if not found:
        yield Finding(READY, "default VPC", f"none in {settings.region}")
        return
    vpc = found[0]
    yield Finding(
        NOTE,
        "default VPC",
        f"{vpc.get('VpcId')} ({vpc.get('CidrBlock')}) in {settings.region} is left as AWS creates it (open default "
        "security group and ACL, no flow logs) and the stack does not use it: delete it "
        "(docs/operator-runbook.md, 'Delete the region's default VPC'); `glz audit` checks it is gone",
    )


CHECKS = (
    identity,
    region,
    organization,
    service_control_policies,
    service_linked_roles,
    singletons,
    session_preferences,
    zones,
    quotas,
    batch,
    default_vpc,
)


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
    from glz.console import add_output_options

    add_output_options(parser)
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
    from glz.console import output_for

    out = output_for(args)
    findings = run(session, settings)
    *details, verdict = render(findings).splitlines()
    for line in details:
        out.say(line)
    return out.finish(
        command="preflight",
        stack=args.stack,
        exit_code=1 if any(f.level == BLOCKER for f in findings) else 0,
        verdict=verdict,
        summary={
            "findings": [
                {"level": f.level, "topic": f.topic, "message": f.message, "setting": f.setting or None}
                for f in findings
            ]
        },
        written=[],
    )
