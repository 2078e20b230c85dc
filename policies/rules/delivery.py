"""Deliveries the stack's own guardrails must not block: a deny written to keep people out can also refuse
an AWS service the stack relies on, and then a control silently stops working while every check of its
settings still passes.

CloudTrail writes digest files with SSE-S3 whatever the trail's KMS key
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html);
a bucket policy that refuses every upload not asking for SSE-KMS refuses them, and log file validation
(GLZ-LOG-002) is on in name only. The delivery path and headers follow "CloudTrail digest file structure"
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html).
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.access.actors import SERVICE, Actor
from policies.access.model import model_of
from policies.framework import Requirements, StackView, Violation, stack_rule

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
