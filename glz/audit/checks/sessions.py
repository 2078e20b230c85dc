"""Session Manager preferences: the account's SSM-SessionManagerRunShell document still streams every session to
the declared encrypted log group, with CloudWatch encryption on and the declared KMS key for session data, and
still prints the declared system use notice and ends idle sessions after the declared minutes.

Anyone with ssm:UpdateDocument can switch session logging off without touching the stack; only the live
document shows it. Reading a document's content needs ssm:GetDocument, which the AWS managed SecurityAudit
policy does not grant (it has ssm:Describe* and ssm:ListDocuments only): docs/auditor-guide.md names it as the
one action to add to a SecurityAudit role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from glz.audit.context import AuditContext
from glz.audit.result import CheckResult, CheckSpec, Verdict, fail, ok
from policies.rules.sessions import PREFERENCES

SESSION_PREFERENCES = CheckSpec(
    "ssm.session-preferences",
    "Session Manager preferences still log every session, show the notice and end idle sessions",
    ("session_logging", "session_controls"),
)
DOCUMENT = "aws:ssm/document:Document"
COMPARED = (
    "cloudWatchLogGroupName",
    "cloudWatchEncryptionEnabled",
    "kmsKeyId",
    "idleSessionTimeout",
    "shellProfile.linux",
)


def _inputs(content: Any) -> dict[str, Any]:
    """The document's inputs, with the Linux shell profile flattened to ``shellProfile.linux``."""
    try:
        parsed = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        return {}
    inputs = parsed.get("inputs") if isinstance(parsed, dict) else None
    if not isinstance(inputs, dict):
        return {}
    profile = inputs.get("shellProfile")
    return {**inputs, "shellProfile.linux": profile.get("linux") if isinstance(profile, dict) else None}


def _judge(ctx: AuditContext, declared: dict[str, Any], observed: dict[str, Any]) -> Verdict:
    answer = ctx.call_or_none("ssm", "get_document", ("InvalidDocument",), Name=PREFERENCES)
    if answer is None:
        return fail(f"{PREFERENCES} does not exist: sessions use the account defaults and are not logged")
    if str(answer.get("DocumentFormat") or "JSON").upper() != "JSON":
        return fail(f"{PREFERENCES} is {answer.get('DocumentFormat')}, not the declared JSON document")
    live = _inputs(answer.get("Content"))
    observed.update({key: live.get(key) for key in COMPARED})
    changed = [
        f"{key} is {live.get(key)!r}, declared {declared.get(key)!r}"
        for key in COMPARED
        if str(live.get(key)).lower() != str(declared.get(key)).lower()
    ]
    if changed:
        return fail(f"{PREFERENCES}: " + "; ".join(changed))
    return ok(
        f"sessions stream to {live['cloudWatchLogGroupName']}, encrypted, session data under the declared key; "
        f"they open with the declared notice and end after {live.get('idleSessionTimeout')} idle minutes"
    )


def run(ctx: AuditContext) -> Iterator[CheckResult]:
    if ctx.state is None:
        return
    for document in ctx.state.of_type(DOCUMENT):
        if document.prop("name") != PREFERENCES:
            continue
        declared = _inputs(document.prop("content"))
        yield ctx.check(
            SESSION_PREFERENCES,
            PREFERENCES,
            document.urn,
            {key: declared.get(key) for key in COMPARED},
            lambda observed, declared=declared: _judge(ctx, declared, observed),
        )
