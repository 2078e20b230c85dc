"""Shell sessions on hosts that hold PHI are logged: if any instance role of the stack lets its hosts take
Session Manager sessions (judged by the access model: the role may open the ssmmessages control channel),
the account's Session Manager preferences (the Session document SSM-SessionManagerRunShell) must stream
every session to an encrypted log group of the stack and encrypt the session data with a key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import yaml

from policies.access.model import model_of
from policies.framework import Requirements, StackView, Violation, stack_rule
from policies.rules.data_access import DIRECT
from policies.rules.identity import instance_roles

DOCUMENT = "aws:ssm/document:Document"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PREFERENCES = "SSM-SessionManagerRunShell"
SESSIONS = Requirements(
    r2=("3.1.12", "3.3.1", "3.1.20"), r3=("03.01.12", "03.03.01"), hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)")
)


def session_hosts(stack: StackView) -> list[str]:
    """Instance roles (trusted by EC2) whose hosts can take Session Manager sessions."""
    model = model_of(stack)
    return sorted(
        actor.name
        for actor in instance_roles(stack)
        if model.decide(actor, "ssmmessages:CreateControlChannel", "*", DIRECT)
    )


def _content(document: Any) -> dict[str, Any]:
    text = document.get("content")
    if isinstance(text, dict):
        return text
    try:
        if str(document.get("documentFormat") or "JSON").upper() == "YAML":
            parsed = yaml.safe_load(str(text))
        else:
            parsed = json.loads(str(text))
    except (ValueError, yaml.YAMLError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def preference_problems(stack: StackView) -> list[str]:
    """Why sessions on the stack's hosts could go unlogged (empty: every session is logged and encrypted)."""
    hosts = session_hosts(stack)
    if not hosts:
        return []
    documents = [
        d
        for d in stack.of_type(DOCUMENT)
        if str(d.get("name")) == PREFERENCES and str(d.get("documentType")) == "Session"
    ]
    if not documents:
        return [
            f"hosts of {', '.join(hosts)} take Session Manager sessions, but the stack does not set the Session "
            f"Manager preferences ({PREFERENCES}): nothing shows their sessions are logged"
        ]
    inputs = _content(documents[0]).get("inputs") or {}
    problems = []
    group_name = str(inputs.get("cloudWatchLogGroupName") or "")
    groups = {str(g.get("name")): g for g in stack.of_type(LOG_GROUP)}
    group = groups.get(group_name)
    if not group_name:
        problems.append("sessions are not sent to CloudWatch Logs (no cloudWatchLogGroupName)")
    elif group is None:
        problems.append(f"sessions go to log group {group_name}, which the stack does not define")
    elif not group.get("kmsKeyId"):
        problems.append(f"session log group {group_name} is not encrypted with a customer-managed key")
    if not _true(inputs.get("cloudWatchEncryptionEnabled")):
        problems.append("cloudWatchEncryptionEnabled is off (sessions may log to an unencrypted group)")
    if not inputs.get("kmsKeyId"):
        problems.append("session data is not encrypted with a KMS key (kmsKeyId empty)")
    return problems


@stack_rule(
    "GLZ-CMP-017",
    "host-sessions-logged",
    "high",
    SESSIONS,
    "Keep compute.sessionPreferences: create (components/session_manager): the SSM-SessionManagerRunShell "
    "document streams sessions to the encrypted session log group with cloudWatchEncryptionEnabled and a "
    "kmsKeyId. With sessionPreferences: existing, suppress this rule naming who keeps sessions logged.",
)
def host_sessions_logged(stack: StackView) -> Iterator[Violation]:
    """Every Session Manager session on a host that holds PHI is streamed to an encrypted log group."""
    for problem in preference_problems(stack):
        yield Violation(stack.anchor, problem)
