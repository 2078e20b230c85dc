"""Work the stack's own guardrails must not block: a deny written to keep people out can also refuse an AWS
service the stack relies on (digest delivery, AWS Config and Access Analyzer reading the buckets through
their service-linked roles) or the deployment itself, and then a control silently stops working, or the
next `pulumi up` fails, while every check of the settings still passes.

CloudTrail writes digest files with SSE-S3 whatever the trail's KMS key
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html);
a bucket policy that refuses every upload not asking for SSE-KMS refuses them, and log file validation
(GLZ-LOG-002) is on in name only. The delivery path and headers follow "CloudTrail digest file structure"
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html).
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.access.actors import ROLE, SERVICE, USER, Actor, account_of
from policies.access.conditions import MISSING
from policies.access.model import model_of
from policies.framework import Requirements, StackView, Violation, as_list, stack_rule
from policies.rules import s3_support as s3
from policies.rules.account import organization_held

# A request from outside the landing zone's VPC endpoint (CI, the console, an AWS service's own network)
OUTSIDE_VPC = {
    "aws:securetransport": "true",
    "s3:tlsversion": "1.3",
    "aws:sourcevpce": MISSING,
    "aws:sourcevpc": MISSING,
    "aws:principalisawsservice": "false",
    "aws:viaawsservice": "false",
}
# Service-linked roles that read every bucket's policy and settings (IAM User Guide, each service's
# "Using service-linked roles" page: AWSServiceRoleForConfig, AWSServiceRoleForAccessAnalyzer).
READERS = {
    "AWS Config": (
        "aws:cfg/recorder:Recorder",
        "awsConfig",
        "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
    ),
    "IAM Access Analyzer": (
        "aws:accessanalyzer/analyzer:Analyzer",
        "accessAnalyzer",
        "aws-service-role/access-analyzer.amazonaws.com/AWSServiceRoleForAccessAnalyzer",
    ),
}
PERIMETER = Requirements(r2=("3.4.1", "3.3.1"), r3=("03.04.01", "03.03.01"), hipaa=("164.308(a)(1)(ii)(D)",))
PROTECT_AUDIT = Requirements(r2=("3.3.8", "3.3.1"), r3=("03.03.08", "03.03.01"), hipaa=("164.312(c)(1)", "164.312(b)"))
TRAIL = "aws:cloudtrail/trail:Trail"
CLOUDTRAIL = "cloudtrail.amazonaws.com"


def digest_request(stack: StackView, trail) -> tuple[str, dict[str, object]]:
    """(the object ARN of a digest file of ``trail``, the request keys CloudTrail sends with it)."""
    account = stack.account_id or "111111111111"
    model = model_of(stack)
    prefix = str(trail.get("s3KeyPrefix") or "").strip("/")
    key = f"{prefix + '/' if prefix else ''}AWSLogs/{account}/CloudTrail-Digest/{model.region}/2026/01/01/"
    key += f"{account}_CloudTrail-Digest_{model.region}_glz-probe_{model.region}_20260101T000000Z.json.gz"
    scenario = {
        "aws:securetransport": "true",
        "s3:tlsversion": "1.3",
        "aws:principalisawsservice": "true",
        "aws:sourceaccount": account,
        "aws:sourcearn": str(trail.get("arn") or ""),
        "s3:x-amz-server-side-encryption": "AES256",
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    return f"arn:aws:s3:::{trail.get('s3BucketName')}/{key}", scenario


@stack_rule(
    "GLZ-LOG-009",
    "cloudtrail-digests-can-be-delivered",
    "high",
    PROTECT_AUDIT,
    "Exempt the digest prefix (AWSLogs/<account>/CloudTrail-Digest/) from the audit bucket's SSE-KMS-only deny "
    "and allow SSE-S3 there (components/bucket_policies.deny_unexpected_encryption sse_s3_prefixes).",
)
def digests_delivered(stack: StackView) -> Iterator[Violation]:
    """Every trail with log file validation can deliver its digest files: no Deny of its bucket's policy
    refuses CloudTrail's SSE-S3 upload under the digest prefix."""
    model = model_of(stack)
    cloudtrail = Actor(SERVICE, CLOUDTRAIL)
    for trail in stack.of_type(TRAIL):
        if trail.get("enableLogFileValidation") is not True or not trail.get("s3BucketName"):
            continue
        arn, scenario = digest_request(stack, trail)
        denies = model.resource_denies(cloudtrail, "s3:PutObject", arn, scenario)
        if denies:
            yield Violation(
                trail.urn,
                f"trail {trail.get('name') or trail.name}: CloudTrail's digest files (SSE-S3) are refused by "
                f"{', '.join(s.label() for s in denies)}, so log file validation has nothing to validate",
            )


def _actor(arn: str) -> Actor:
    return Actor(USER if ":user/" in arn else ROLE, arn, account_of(arn))


@stack_rule(
    "GLZ-S3-015",
    "deployer-not-locked-out",
    "high",
    PERIMETER,
    "Set deployerPrincipalArns in Pulumi.<stack>.yaml to the role or user that runs `pulumi up`; the data "
    "buckets' endpoint-only deny names it as an exception (components/network_policies.vpc_endpoint_only_statement).",
)
def deployer_not_locked_out(stack: StackView) -> Iterator[Violation]:
    """In a phi or controlled stack, the principals that run `pulumi up` (the deployerPrincipalArns output)
    are named, and no data bucket's policy refuses them from outside the VPC: the next update or destroy can
    still manage every bucket."""
    buckets = s3.data_buckets(stack)
    if stack.classification not in ("phi", "controlled") or not buckets:
        return
    deployers = [str(a) for a in as_list(stack.outputs.get("deployerPrincipalArns")) if a]
    if not deployers:
        yield Violation(
            stack.anchor,
            "no deployer principal is named (deployerPrincipalArns): the data buckets' endpoint-only deny refuses "
            "the role that runs `pulumi up` on every later update or destroy",
        )
        return
    model = model_of(stack)
    for bucket in buckets:
        arn = f"arn:aws:s3:::{s3.bucket_name(bucket)}"
        refused = [d for d in deployers if model.resource_denies(_actor(d), "s3:PutBucketPolicy", arn, OUTSIDE_VPC)]
        if refused:
            yield Violation(
                bucket.urn,
                f"bucket {s3.bucket_name(bucket)}: its policy refuses the deployer {', '.join(refused)} from outside "
                "the VPC endpoint, so `pulumi up` cannot manage it",
            )


@stack_rule(
    "GLZ-S3-016",
    "service-linked-readers-not-refused",
    "high",
    PERIMETER,
    "Exempt this account's service-linked roles (arn:aws:iam::<account>:role/aws-service-role/*) from the "
    "endpoint-only deny, as vpc_endpoint_only_statement does with the account id.",
)
def service_readers(stack: StackView) -> Iterator[Violation]:
    """AWS Config and IAM Access Analyzer, where the stack or the organization runs them, can read every data bucket's policy and settings
    through their service-linked roles: no Deny refuses them, so neither is blind on the PHI buckets."""
    account = stack.account_id or "111111111111"
    wanted = [
        (name, path)
        for name, (typ, service, path) in READERS.items()
        if stack.of_type(typ) or organization_held(stack, service)
    ]
    model = model_of(stack)
    for bucket in s3.data_buckets(stack):
        arn = f"arn:aws:s3:::{s3.bucket_name(bucket)}"
        blind = [
            key
            for key, path in wanted
            if model.resource_denies(
                _actor(f"arn:aws:iam::{account}:role/{path}"), "s3:GetBucketPolicy", arn, OUTSIDE_VPC
            )
        ]
        if blind:
            yield Violation(
                bucket.urn,
                f"bucket {s3.bucket_name(bucket)}: its policy refuses the service-linked role of "
                f"{', '.join(blind)}, which then cannot evaluate the bucket",
            )


SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
RECORDER = "aws:cfg/recorder:Recorder"


def _named_service_linked_roles(stack: StackView) -> dict[str, list[str]]:
    """Service-linked role ARN of this account -> where the stack names it (policy principals, recorders)."""
    model = model_of(stack)
    account = stack.account_id or ""
    found: dict[str, list[str]] = {}
    every = [s for policy in model.resource_policies.values() for s in policy]
    every += [s for p in model.principals.values() for s in p.trust]
    for statement in every:
        for principal in statement.principals:
            value = principal.value
            if principal.kind == "AWS" and f":{account}:role/aws-service-role/" in value and "*" not in value:
                found.setdefault(value, []).append(f"{statement.label()}")
    for recorder in stack.of_type(RECORDER):
        arn = str(recorder.get("roleArn") or "")
        if "/aws-service-role/" in arn:
            found.setdefault(arn, []).append(f"Config recorder {recorder.get('name') or recorder.name}")
    return found


@stack_rule(
    "GLZ-IAM-017",
    "named-service-linked-roles-exist",
    "high",
    Requirements(r2=("3.4.1",), r3=("03.04.01",), hipaa=("164.308(a)(1)(ii)(B)",)),
    "Set serviceLinkedRoles.<role> in Pulumi.<stack>.yaml: create (a fresh account), adopt (import the role the "
    "account has) or existing (`glz preflight` confirms it); components/service_linked_roles.py.",
)
def named_roles_exist(stack: StackView) -> Iterator[Violation]:
    """Every service-linked role a policy or a recorder of the stack names is created or adopted by the stack,
    or declared as already in the account (the existingServiceLinkedRoles output): KMS refuses a key policy
    naming a principal that does not exist, and a fresh account has none of them."""
    # a ServiceLinkedRole resource stands for its service's role (its ARN is known only after creation)
    provided = {str(r.get("arn")) for r in stack.of_type(SERVICE_LINKED_ROLE) if r.get("arn")}
    services = {str(r.get("awsServiceName")) for r in stack.of_type(SERVICE_LINKED_ROLE)}
    declared = {str(a) for a in as_list(stack.outputs.get("existingServiceLinkedRoles")) if a}
    for arn, places in sorted(_named_service_linked_roles(stack).items()):
        service = arn.split("/aws-service-role/", 1)[1].split("/", 1)[0]
        if arn in provided or arn in declared or service in services:
            continue
        yield Violation(
            stack.anchor,
            f"{arn} is named by {', '.join(places[:3])} but the stack neither creates nor adopts it and does not "
            "declare it as existing: in an account without it, the policy or recorder is refused",
        )
