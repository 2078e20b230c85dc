"""ssm.session-preferences: the live SSM-SessionManagerRunShell document still logs every session as declared.

Passes on the moto account built from the demo state; each way of switching logging off in the account (another
log group, CloudWatch encryption off, the key removed, the document deleted, a longer idle timeout, the notice
removed) fails naming the change; a
role without ssm:GetDocument (SecurityAudit alone) makes it not verifiable, never passed."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest

from glz.audit.checks import sessions
from glz.audit.context import AuditContext
from glz.audit.expected import from_state
from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS, CheckResult
from glz.audit.session import AuditSession
from tests.audit_account import REGION, MotoAccount, shared_session

ACCOUNT = "111122223333"
NAME = "SSM-SessionManagerRunShell"


@pytest.fixture
def account(moto_demo_account):
    return moto_demo_account


def judged(a: MotoAccount, session: AuditSession | None = None) -> CheckResult:
    ctx = AuditContext(session or shared_session(), from_state(a.state, "demo"), ACCOUNT, a.state)
    (result,) = sessions.run(ctx)
    return result


def _edit(**inputs) -> Callable[[MotoAccount], None]:
    def apply(a: MotoAccount) -> None:
        ssm = a.client("ssm")
        content = json.loads(ssm.get_document(Name=NAME)["Content"])
        content["inputs"].update(inputs)
        version = ssm.update_document(Name=NAME, Content=json.dumps(content), DocumentVersion="$LATEST")
        ssm.update_document_default_version(
            Name=NAME, DocumentVersion=version["DocumentDescription"]["DocumentVersion"]
        )

    return apply


def test_the_declared_preferences_pass(account):
    result = judged(account)
    assert result.result == PASS, result.reason
    assert result.probes == ("session_logging", "session_controls")
    assert result.expected["cloudWatchLogGroupName"] == "/aws/ssm/glz-demo-sessions"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_edit(cloudWatchLogGroupName="/tmp/elsewhere"), "cloudWatchLogGroupName is '/tmp/elsewhere'"),
        (_edit(cloudWatchLogGroupName=""), "cloudWatchLogGroupName is ''"),
        (_edit(cloudWatchEncryptionEnabled=False), "cloudWatchEncryptionEnabled is False"),
        (_edit(cloudWatchEncryptionEnabled="false"), "cloudWatchEncryptionEnabled is 'false'"),
        (_edit(kmsKeyId=""), "kmsKeyId is ''"),
        (lambda a: a.client("ssm").delete_document(Name=NAME), "does not exist"),
        (_edit(idleSessionTimeout="60"), "idleSessionTimeout is '60', declared '15'"),
        (_edit(shellProfile={"linux": "", "windows": ""}), "shellProfile.linux is ''"),
    ],
)
def test_switching_logging_off_in_the_account_fails(account, change, named):
    change(account)
    result = judged(account)
    assert result.result == FAIL
    assert named in result.reason, result.reason
    assert result.drift is True


def test_without_get_document_it_is_not_verifiable(account):
    from botocore.awsrequest import AWSResponse

    session = AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)

    def deny(model, params, **_):
        if model.name == "GetDocument":
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform ssm:GetDocument"}}
            return AWSResponse("https://ssm", 400, {}, None), error
        return None

    session.boto.events.register("before-call", deny)
    result = judged(account, session)
    assert result.result == NOT_VERIFIABLE
    assert "AccessDenied" in result.reason
