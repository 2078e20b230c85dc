"""docs/audit-permissions.json is exactly what the audit needs: every API call the audit makes (recorded
from botocore's events during a full run against moto) maps to an IAM action the policy allows, the
policy grants nothing else, and nothing in it can change the account."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from glz.audit.permissions import IAM_ACTIONS, iam_action
from glz.audit.session import AuditSession
from tests.audit_account import (
    MOTO_ENV,
    REGION,
    MotoAccount,
    answer_access_analyzer,
    answer_backup,
    answer_malware_protection_plans,
    answer_roles_anywhere,
    declared_malware_plans,
    declared_restore_tests,
)

POLICY_PATH = Path(__file__).resolve().parent.parent / "docs" / "audit-permissions.json"
# BatchGet* reads several items at once (IAM access level Read), e.g. inspector2:BatchGetAccountStatus; no AWS
# write operation starts with it.
READ_VERBS = ("Get", "List", "Describe", "BatchGet")


def policy() -> dict:
    return json.loads(POLICY_PATH.read_text())


def allowed_actions(document: dict) -> list[str]:
    patterns: list[str] = []
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        actions = statement["Action"]
        patterns += [actions] if isinstance(actions, str) else actions
    return patterns


def is_allowed(action: str, patterns: list[str]) -> bool:
    """IAM matching: case-insensitive, '*' and '?' wildcards."""
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


@pytest.fixture(scope="module")
def recorded_calls(demo_state_document) -> set[tuple[str, str]]:
    """(service, operation) of every request a full audit of the compliant account makes."""
    calls: set[tuple[str, str]] = set()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in MOTO_ENV.items():
            patch.setenv(key, value)
        with mock_aws():
            account = MotoAccount(demo_state_document)
            session = AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)
            session.events.register(
                "before-call", lambda model, **_: calls.add((model.service_model.service_name, model.name))
            )
            # moto has no Malware Protection for S3; stand in for it (after the recorder, which still sees the
            # calls), so GetMalwareProtectionPlan is reached as it is in a real account.
            answer_malware_protection_plans(session, declared_malware_plans(account.state))
            answer_access_analyzer(session, ["glz-demo-analyzer"])  # moto has none; reached as in a real account
            answer_roles_anywhere(session, account.state)  # nor IAM Roles Anywhere
            # nor vault access policies or backup selections
            policy = json.loads(account.state.of_type("aws:backup/vaultPolicy:VaultPolicy")[0].prop("policy"))
            selected = list(account.state.of_type("aws:backup/selection:Selection")[0].prop("resources"))
            answer_backup(session, policy, {"glz-backed-up": selected}, declared_restore_tests(account.state))
            account.audit(session)
    return calls


def test_the_audit_only_reads(recorded_calls):
    assert len(recorded_calls) >= 30
    writes = sorted(op for _, op in recorded_calls if not op.startswith((*READ_VERBS, "Head")))
    assert writes == []


def test_every_call_the_audit_makes_is_allowed_by_the_policy(recorded_calls):
    patterns = allowed_actions(policy())
    missing = sorted(
        f"{s}:{op} -> {iam_action(s, op)}" for s, op in recorded_calls if not is_allowed(iam_action(s, op), patterns)
    )
    assert missing == []


def test_every_call_has_a_translation(recorded_calls):
    untranslated = sorted(f"{s}:{op}" for s, op in recorded_calls if (s, op) not in IAM_ACTIONS)
    assert untranslated == []


def test_the_translation_table_has_no_stale_entries(recorded_calls):
    assert set(IAM_ACTIONS) == recorded_calls


def test_the_policy_grants_exactly_the_translated_actions_and_only_reads():
    actions = allowed_actions(policy())
    assert sorted(actions, key=str.lower) == sorted(set(IAM_ACTIONS.values()), key=str.lower)
    for action in actions:
        service, verb = action.split(":", 1)
        assert service and "*" not in action and "?" not in action, action
        assert verb.startswith(READ_VERBS), action


def test_s3_calls_use_their_documented_iam_names():
    assert iam_action("s3", "GetBucketEncryption") == "s3:GetEncryptionConfiguration"
    assert iam_action("s3", "GetPublicAccessBlock") == "s3:GetBucketPublicAccessBlock"
    assert iam_action("s3", "GetBucketLifecycleConfiguration") == "s3:GetLifecycleConfiguration"
    assert iam_action("s3", "HeadBucket") == "s3:ListBucket"
    assert iam_action("s3control", "GetPublicAccessBlock") == "s3:GetAccountPublicAccessBlock"


def test_the_checks_themselves_can_fail():
    """An unknown call has no translation, and a write action is not allowed by the policy."""
    with pytest.raises(KeyError, match="s3:PutBucketPolicy"):
        iam_action("s3", "PutBucketPolicy")
    patterns = allowed_actions(policy())
    assert not is_allowed("s3:PutBucketPolicy", patterns)
    assert is_allowed("s3:getbucketpolicy", patterns)
    assert is_allowed("s3:GetBucketPolicy", ["s3:Get*"]) and not is_allowed("s3:ListBucket", ["s3:Get*"])


# Needs no permission at all: AWS answers GetCallerIdentity for any valid credentials.
NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}
# What the audit needs beyond SecurityAudit, named in docs/auditor-guide.md as the grant to add: reading the
# Session Manager preferences' content (SecurityAudit has ssm:Describe* and ssm:ListDocuments, not GetDocument) and
# the restore tests (its AWS Backup reads name no restore testing action).
BEYOND_SECURITY_AUDIT = {
    "ssm:GetDocument",
    "backup:GetRestoreTestingPlan",
    "backup:ListRestoreTestingSelections",
    "backup:GetRestoreTestingSelection",
}


def test_aws_managed_security_audit_policy_allows_every_audit_action():
    """The guide tells operators an existing SecurityAudit role is enough; check that against the copy of
    the AWS managed policy moto ships (refreshed with each moto release), with IAM's wildcard matching."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    security_audit = json.loads(aws_managed_policies_data)["SecurityAudit"]["Document"]
    statements = security_audit["Statement"]
    statements = statements if isinstance(statements, list) else [statements]
    assert not [s for s in statements if s.get("Effect") != "Allow"], "SecurityAudit gained a Deny: re-read it"
    patterns = [
        pattern.lower()
        for statement in statements
        for pattern in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]
    policy = json.loads(POLICY_PATH.read_text())
    needed = {
        action
        for statement in policy["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    not_allowed = sorted(
        action
        for action in needed - NO_PERMISSION_NEEDED
        if not any(fnmatch.fnmatchcase(action.lower(), pattern) for pattern in patterns)
    )
    assert not_allowed == sorted(BEYOND_SECURITY_AUDIT), (
        f"SecurityAudit does not allow {not_allowed}: say so in docs/auditor-guide.md"
    )
    guide = (POLICY_PATH.parent / "auditor-guide.md").read_text()
    for action in BEYOND_SECURITY_AUDIT:
        assert f"`{action}`" in guide


def test_the_guide_counts_the_actions_the_policy_grants():
    """docs/auditor-guide.md says how many actions the audit needs; the number follows the policy."""
    guide = (POLICY_PATH.parent / "auditor-guide.md").read_text()
    count = len(allowed_actions(policy()))
    beyond = len(BEYOND_SECURITY_AUDIT)
    assert f"policy added): {count} `Get*`" in guide and f"also allows {count - beyond} of them (" in guide
