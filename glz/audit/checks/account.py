"""Account-wide settings: the IAM password policy, EBS encryption by default (with its key) and the SECURITY
alternate contact."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glz.audit.compare import as_bool, as_int, same_key
from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok

PASSWORD_POLICY = CheckSpec(
    "iam.password-policy", "Account password policy is at least as strict as declared", ("password_policy",)
)
EBS_DEFAULT = CheckSpec("ec2.ebs-encryption-by-default", "EBS encryption by default is on", ("ebs_default_encryption",))
SNAPSHOT_BPA = CheckSpec(
    "ec2.snapshot-block-public-access",
    "EBS snapshots cannot be shared publicly (block public access as declared)",
    ("media_public_sharing",),
)
IMAGE_BPA = CheckSpec(
    "ec2.image-block-public-access",
    "AMIs cannot be shared publicly (block public access as declared)",
    ("media_public_sharing",),
)
# state type -> (check, EC2 API call, the answer's field)
MEDIA_BLOCKS = {
    "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess": (
        SNAPSHOT_BPA,
        "get_snapshot_block_public_access_state",
        "State",
    ),
    "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess": (
        IMAGE_BPA,
        "get_image_block_public_access_state",
        "ImageBlockPublicAccessState",
    ),
}
SECURITY_CONTACT = CheckSpec(
    "account.security-contact", "The SECURITY alternate contact is the declared one", ("security_contact",)
)
EBS_KEY = CheckSpec("ec2.ebs-default-key", "EBS default encryption uses the declared key", ("ebs_default_encryption",))

# state field -> (API field, how the observed value must relate to the declared one)
PASSWORD_FIELDS = {
    "minimumPasswordLength": ("MinimumPasswordLength", "at-least"),
    "passwordReusePrevention": ("PasswordReusePrevention", "at-least"),
    "maxPasswordAge": ("MaxPasswordAge", "at-most"),
    "requireSymbols": ("RequireSymbols", "required"),
    "requireNumbers": ("RequireNumbers", "required"),
    "requireUppercaseCharacters": ("RequireUppercaseCharacters", "required"),
    "requireLowercaseCharacters": ("RequireLowercaseCharacters", "required"),
    "allowUsersToChangePassword": ("AllowUsersToChangePassword", "equal"),
    "hardExpiry": ("HardExpiry", "equal"),
}


def _weaker(rule: str, declared: Any, live: Any) -> bool:
    if rule == "at-least":
        return as_int(live) is None or as_int(live) < as_int(declared)
    if rule == "at-most":
        return as_int(live) is None or as_int(live) > as_int(declared)
    if rule == "required":
        return as_bool(declared) and not as_bool(live)
    return as_bool(declared) != as_bool(live)


def _password_policy(ctx: AuditContext) -> Iterator[CheckResult]:
    declared = ctx.expected.password_policy
    if declared is None:
        return
    expected = {field: declared.prop(field) for field in PASSWORD_FIELDS if declared.prop(field) is not None}

    def body(observed: dict[str, Any]) -> Verdict:
        answer = ctx.call_or_none("iam", "get_account_password_policy", ("NoSuchEntity", "NoSuchEntityException"))
        if answer is None:
            observed["configured"] = False
            return fail(f"account {ctx.account} has no IAM password policy (AWS defaults apply)")
        live = answer["PasswordPolicy"]
        observed.update({field: live.get(PASSWORD_FIELDS[field][0]) for field in expected})
        weaker = [
            f"{field} {observed[field]} (declared {want})"
            for field, want in expected.items()
            if _weaker(PASSWORD_FIELDS[field][1], want, observed[field])
        ]
        if weaker:
            return fail(f"password policy of account {ctx.account} is weaker than declared: " + "; ".join(weaker))
        return ok(
            f"minimum length {observed.get('minimumPasswordLength')}, reuse {observed.get('passwordReusePrevention')}"
        )

    yield ctx.check(PASSWORD_POLICY, ctx.account, declared.urn, expected, body)


def _ebs(ctx: AuditContext) -> Iterator[CheckResult]:
    declared = ctx.expected.ebs_encryption_by_default
    if declared is not None and as_bool(declared.prop("enabled", True)):

        def body(observed: dict[str, Any]) -> Verdict:
            observed["enabled"] = bool(ctx.call("ec2", "get_ebs_encryption_by_default").get("EbsEncryptionByDefault"))
            if not observed["enabled"]:
                return fail(f"EBS encryption by default is off in {ctx.account}/{ctx.region}")
            return ok("on")

        yield ctx.check(EBS_DEFAULT, f"{ctx.account}/{ctx.region}", declared.urn, {"enabled": True}, body)
    key = ctx.expected.ebs_default_key
    if key is not None:
        want = key.prop("keyArn")

        def key_body(observed: dict[str, Any]) -> Verdict:
            observed["kms_key"] = ctx.call("ec2", "get_ebs_default_kms_key_id").get("KmsKeyId")
            if not same_key(observed["kms_key"], want):
                return fail(
                    f"EBS default encryption in {ctx.account}/{ctx.region} uses {observed['kms_key']}; declared {want}"
                )
            return ok(str(observed["kms_key"]))

        yield ctx.check(EBS_KEY, f"{ctx.account}/{ctx.region}", key.urn, {"kms_key": want}, key_body)


def _security_contact(ctx: AuditContext) -> Iterator[CheckResult]:
    """AWS's security notices go to whoever GetAlternateContact names; someone else there is drift (a notice
    about exposed credentials reaches the wrong person)."""
    for declared in ctx.expected.security_contacts:
        expected = {"name": declared.prop("name"), "email": declared.prop("emailAddress")}

        def body(observed: dict[str, Any], expected: dict[str, Any] = expected) -> Verdict:
            answer = ctx.call_or_none(
                "account", "get_alternate_contact", ("ResourceNotFoundException",), AlternateContactType="SECURITY"
            )
            if answer is None:
                observed.update(name=None, email=None)
                return fail(f"account {ctx.account} has no SECURITY alternate contact")
            live = answer["AlternateContact"]
            observed.update(name=live.get("Name"), email=live.get("EmailAddress"))
            if observed != expected:
                return fail(f"the SECURITY contact is {observed['name']} <{observed['email']}>; declared {expected}")
            return ok(f"{observed['name']} <{observed['email']}>")

        yield ctx.check(SECURITY_CONTACT, ctx.account, declared.urn, expected, body)


def _media_blocks(ctx: AuditContext) -> Iterator[CheckResult]:
    """The region's snapshot and AMI block public access states (GetSnapshotBlockPublicAccessState,
    GetImageBlockPublicAccessState); a weaker state than declared (unblocked, or block-new-sharing for
    snapshots, which makes earlier public shares public again) is drift."""
    for typ, (spec, call, field) in MEDIA_BLOCKS.items():
        for declared in ctx.state.of_type(typ):
            want = declared.prop("state")

            def body(observed: dict[str, Any], call: str = call, field: str = field, want: Any = want) -> Verdict:
                observed["state"] = ctx.call("ec2", call).get(field)
                if observed["state"] != want:
                    return fail(f"{ctx.account}/{ctx.region}: {observed['state']}; declared {want}")
                return ok(str(want))

            yield ctx.check(spec, f"{ctx.account}/{ctx.region}", declared.urn, {"state": want}, body)


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    yield from _password_policy(ctx)
    yield from _media_blocks(ctx)
    yield from _security_contact(ctx)
    yield from _ebs(ctx)
