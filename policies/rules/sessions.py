"""Shell sessions on hosts that hold PHI are logged: if any instance role of the stack lets its hosts take
Session Manager sessions (judged by the access model: the role may open the ssmmessages control channel),
the account's Session Manager preferences (the Session document SSM-SessionManagerRunShell) must stream
every session to an encrypted log group of the stack and encrypt the session data with a key."""

from __future__ import annotations

import json
import shlex
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


DEFAULT_IDLE_MINUTES = 20
"""Session Manager's idle timeout when the preferences name none ("Specify an idle session timeout value")."""
MAX_IDLE_MINUTES = 30
PRINTERS = ("echo", "printf")
CLEARERS = ("clear", "reset", "tput")
SESSION_CONTROLS = Requirements(
    r2=("3.1.9", "3.1.10", "3.1.11"),
    r3=("03.01.09", "03.01.10", "03.01.11"),
    hipaa=("164.312(a)(2)(iii)",),
)


def _commands(profile: str) -> list[list[str]]:
    """The shell profile's simple commands, split as sh splits them on newlines, ';', '&&' and '||'."""
    lexer = shlex.shlex(profile.replace("\n", " ; "), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    try:
        for token in lexer:
            if token and set(token) <= set(";&|"):
                commands.append([])
            else:
                commands[-1].append(token)
    except ValueError:  # unbalanced quotes: sh would refuse the profile, so nothing is shown
        return []
    return [c for c in commands if c]


def shown_notice(profile: str) -> str | None:
    """The text the session's shell profile prints and leaves on screen (None: no notice stays visible)."""
    shown = None
    for command in _commands(profile):
        if command[0] in PRINTERS:
            words = command[1:]
            while words and words[0].startswith("-") and len(words) > 1:
                words = words[1:]  # echo -e, printf --
            if command[0] == "printf" and len(words) > 1:
                words = words[1:]  # the format; the notice is its argument
            shown = " ".join(words).strip() or shown
        elif command[0] in CLEARERS:
            shown = None  # the screen is cleared after the notice
    return shown


def idle_minutes(inputs: dict[str, Any]) -> int | None:
    """Minutes of inactivity after which a session ends (None: a value Session Manager refuses)."""
    value = inputs.get("idleSessionTimeout")
    if value in (None, ""):
        return DEFAULT_IDLE_MINUTES
    try:
        minutes = int(str(value).strip())
    except ValueError:
        return None
    return minutes if 1 <= minutes <= 60 else None


def session_controls(stack: StackView) -> tuple[int | None, str | None, list[str]]:
    """(idle minutes, notice shown, problems) of the Session Manager preferences on the stack's hosts."""
    if not session_hosts(stack):
        return None, None, []
    documents = [
        d
        for d in stack.of_type(DOCUMENT)
        if str(d.get("name")) == PREFERENCES and str(d.get("documentType")) == "Session"
    ]
    if not documents:
        return None, None, [f"the stack does not set the Session Manager preferences ({PREFERENCES})"]
    inputs = _content(documents[0]).get("inputs") or {}
    outputs = stack.outputs
    declared_idle = outputs.get("sessionIdleMinutes")
    declared_notice = str(outputs.get("systemUseNotice") or "").strip()
    problems = []
    idle = idle_minutes(inputs)
    limit = min(MAX_IDLE_MINUTES, int(declared_idle)) if str(declared_idle).isdigit() else MAX_IDLE_MINUTES
    if idle is None:
        problems.append(f"idleSessionTimeout {inputs.get('idleSessionTimeout')!r} is not 1-60 minutes")
    elif idle > limit:
        problems.append(
            f"an idle session ends only after {idle} minutes (idleSessionTimeout), more than the {limit} declared"
        )
    profile = (inputs.get("shellProfile") or {}).get("linux") if isinstance(inputs.get("shellProfile"), dict) else ""
    notice = shown_notice(str(profile or ""))
    if notice is None or len(notice) < 20:
        problems.append("sessions start without a system use notice (shellProfile.linux prints none that stays)")
    elif declared_notice and " ".join(declared_notice.split()) not in " ".join(notice.split()):
        problems.append("sessions start with a notice other than the declared systemUseNotice")
    return idle, notice, problems


@stack_rule(
    "GLZ-CMP-018",
    "sessions-show-notice-and-end-when-idle",
    "medium",
    SESSION_CONTROLS,
    "Keep compute.sessionPreferences: create with systemUseNotice and compute.sessionIdleMinutes (at most 30): the "
    "SSM-SessionManagerRunShell document prints the notice from shellProfile.linux and ends idle sessions "
    "(idleSessionTimeout). With sessionPreferences: existing, suppress this rule naming who keeps them set.",
)
def sessions_show_notice_and_end_when_idle(stack: StackView) -> Iterator[Violation]:
    """Every shell session on the stack's hosts starts with the system use notice and ends when left idle."""
    for problem in session_controls(stack)[2]:
        yield Violation(stack.anchor, problem)
