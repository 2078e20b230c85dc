"""Markings: the tags people and tools read (DataClassification, DataTier, Purpose, role tags) say what the
stack really is.

The gate itself never trusts a tag to decide what a resource is (data tiers, keys and roles are known by
what points at them), but auditors, cost reports, tag-based access and the organization's own tooling do
read them: a tag that disagrees with the structure is a wrong CUI/PHI marking (NIST SP 800-171 3.8.4) and
a wrong inventory entry (3.4.1). So every marking is compared with the fact it names.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.framework import AWS_PROVIDER, Requirements, StackView, Violation, default_tags_of, stack_rule
from policies.rules import s3_support as s3

MARKING = Requirements(r2=("3.8.4", "3.4.1"), r3=("03.08.04", "03.04.10"), hipaa=("164.308(a)(1)(ii)(A)",))
KEYS_COMPONENT = "glz:security:EncryptionKeys"
PLAN = "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
OPERATOR_TAGS = {
    "adminRoleArn": "admin",
    "auditorRoleArn": "security-auditor",
    "breakGlassRoleArn": "break-glass",
    "supportRoleArn": "aws-support",
}


def _expect(found: dict[str, str], want: dict[str, str | None]) -> list[str]:
    wrong = []
    for key, value in want.items():
        have = found.get(key)
        if value is None and have is not None:
            wrong.append(f"{key}={have!r} marks what it is not")
        elif value is not None and have != value:
            wrong.append(f"{key} is {have!r}, the stack makes it {value!r}")
    return wrong


def _buckets(stack: StackView) -> Iterator[Violation]:
    tiers = s3.classify(stack)
    scanned = {
        str(((p.get("protectedResource") or {}).get("s3Bucket") or {}).get("bucketName")) for p in stack.of_type(PLAN)
    }
    for bucket in stack.of_type(s3.BUCKET):
        if bucket.urn not in tiers:
            continue  # GLZ-S3-013 reports buckets nothing classifies
        want: dict[str, str | None] = {"DataTier": tiers[bucket.urn]}
        if tiers[bucket.urn] in s3.DATA_TIERS:
            want["MalwareScan"] = "on-upload" if s3.bucket_name(bucket) in scanned else None
        wrong = _expect(bucket.tags, want)
        if wrong:
            yield Violation(bucket.urn, f"bucket {s3.bucket_name(bucket)}: {'; '.join(wrong)}")


def _keys(stack: StackView) -> Iterator[Violation]:
    for key in stack.of_type("aws:kms/key:Key"):
        owner = stack.by_urn.get(key.parent or "")
        if owner is None or owner.type != KEYS_COMPONENT or not key.name.startswith(f"{owner.name}-"):
            continue
        wrong = _expect(key.tags, {"Purpose": key.name[len(owner.name) + 1 :]})
        if wrong:
            yield Violation(key.urn, f"key {key.name}: {'; '.join(wrong)}")


def _roles(stack: StackView) -> Iterator[Violation]:
    outputs = stack.outputs
    grants = outputs.get("collaboratorGrants") if isinstance(outputs.get("collaboratorGrants"), dict) else {}
    collaborator_of = {str(arn): name for name, arn in (outputs.get("collaboratorRoles") or {}).items()}
    operator_of = {str(outputs[k]): tag for k, tag in OPERATOR_TAGS.items() if outputs.get(k)}
    scan_tier = {}
    tiers = {s3.bucket_name(b): s3.tier_of(b) for b in s3.classified_buckets(stack)}
    for plan in stack.of_type(PLAN):
        bucket = str(((plan.get("protectedResource") or {}).get("s3Bucket") or {}).get("bucketName"))
        scan_tier[str(plan.get("role"))] = tiers.get(bucket)
    for role in stack.of_type("aws:iam/role:Role"):
        arn = str(role.get("arn") or "")
        want: dict[str, str | None] = {
            "OperatorRole": operator_of.get(arn),
            "MalwareScanTier": scan_tier.get(arn),
            "Collaborator": collaborator_of.get(arn),
        }
        grant = grants.get(collaborator_of.get(arn, ""), {}) if collaborator_of.get(arn) else None
        if isinstance(grant, dict):
            want.update(
                CollaboratorAccount=str(grant.get("account")),
                CollaboratorAccess=str(grant.get("access")),
                RequireMfa=str(grant.get("requireMfa")).lower(),
            )
        elif not collaborator_of:
            want.pop("Collaborator")  # no outputs to compare with (a preview): nothing to judge
        wrong = _expect(role.tags, want)
        if wrong:
            yield Violation(role.urn, f"role {role.get('name') or role.name}: {'; '.join(wrong)}")


def _classification(stack: StackView) -> Iterator[Violation]:
    declared = stack.outputs.get("classification")
    if not declared:
        return
    for provider in stack.of_type(AWS_PROVIDER):
        have = default_tags_of(provider.props).get("DataClassification")
        if have != declared:
            yield Violation(
                provider.urn, f"default tag DataClassification is {have!r}; the stack is classified {declared!r}"
            )
    for resource in stack.resources:
        tags = resource.props.get("tags") if isinstance(resource.props.get("tags"), dict) else {}
        if "DataClassification" in tags and tags["DataClassification"] != declared:
            yield Violation(
                resource.urn,
                f"{resource.name}: tag DataClassification={tags['DataClassification']!r} overrides the stack's {declared!r}",
            )
    for template in stack.of_type(LAUNCH_TEMPLATE):
        for spec in template.get("tagSpecifications") or []:
            value = (spec.get("tags") or {}).get("DataClassification") if isinstance(spec, dict) else None
            if value != declared:
                yield Violation(
                    template.urn,
                    f"{template.name}: {spec.get('resourceType') if isinstance(spec, dict) else '?'} volumes are "
                    f"marked DataClassification={value!r}; the stack is classified {declared!r}",
                )


@stack_rule(
    "GLZ-TAG-001",
    "markings-match-the-stack",
    "medium",
    MARKING,
    "Leave the tags the components set (DataClassification, DataTier, MalwareScan, Purpose, OperatorRole, "
    "Collaborator*, RequireMfa, MalwareScanTier); change the settings instead, and the tags follow.",
)
def markings(stack: StackView) -> Iterator[Violation]:
    """Every marking says what the stack really is: the classification tag on every resource and volume
    equals the stack's classification, and bucket, key and role tags equal the tier, purpose and grant that
    the components' references give them."""
    yield from _classification(stack)
    yield from _buckets(stack)
    yield from _keys(stack)
    yield from _roles(stack)
