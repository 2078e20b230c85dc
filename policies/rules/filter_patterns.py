"""CloudWatch Logs JSON filter patterns, evaluated on CloudTrail events.

A metric filter watches an event only if its pattern matches that event, so the CIS monitoring check runs
each filter against sample CloudTrail records of the event it must catch instead of looking for a word in
the pattern (a pattern that needs two event names at once contains both words and matches nothing).
Syntax per "Filter pattern syntax for metric filters" (CloudWatch Logs User Guide): `{ ... }` around
`$.selector OP value` terms joined by `&&` and `||` with parentheses; `=` and `!=` on strings with `*`
wildcards, numeric comparisons, `NOT EXISTS`, `IS NULL`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from policies.access.catalog import glob

TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<and>&&)|(?P<or>\|\|)|(?P<sel>\$\.[\w.\[\]-]+)"
    r"|(?P<op>!=|>=|<=|=|>|<)|(?P<notexists>NOT\s+EXISTS)|(?P<isnull>IS\s+NULL)"
    r'|(?P<str>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()&|=!<>"]+))'
)

# CloudTrail records each CIS event must be caught on (CIS AWS Foundations Benchmark, monitoring section).
CIS_EVENTS: dict[str, list[dict[str, Any]]] = {
    "unauthorized API calls": [
        {
            "eventSource": "ec2.amazonaws.com",
            "eventName": "RunInstances",
            "errorCode": "Client.UnauthorizedOperation",
            "sourceIPAddress": "203.0.113.7",
        },
        {
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "errorCode": "AccessDenied",
            "sourceIPAddress": "203.0.113.7",
        },
    ],
    "console sign-in without MFA": [
        {
            "eventName": "ConsoleLogin",
            "eventSource": "signin.amazonaws.com",
            "additionalEventData": {"MFAUsed": "No"},
            "userIdentity": {"type": "IAMUser"},
            "responseElements": {"ConsoleLogin": "Success"},
        }
    ],
    "root account use": [{"eventName": "ListBuckets", "eventType": "AwsApiCall", "userIdentity": {"type": "Root"}}],
    "IAM policy changes": [
        {"eventSource": "iam.amazonaws.com", "eventName": name}
        for name in (
            "PutRolePolicy",
            "AttachRolePolicy",
            "CreatePolicyVersion",
            "DeleteGroupPolicy",
            "DetachUserPolicy",
        )
    ],
    "CloudTrail changes": [
        {"eventSource": "cloudtrail.amazonaws.com", "eventName": name}
        for name in ("StopLogging", "DeleteTrail", "UpdateTrail")
    ],
    "KMS key disable or deletion": [
        {"eventSource": "kms.amazonaws.com", "eventName": name} for name in ("DisableKey", "ScheduleKeyDeletion")
    ],
    "S3 bucket policy changes": [
        {"eventSource": "s3.amazonaws.com", "eventName": name}
        for name in ("PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl")
    ],
    "security group changes": [
        {"eventSource": "ec2.amazonaws.com", "eventName": name}
        for name in ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "CreateSecurityGroup")
    ],
    "network ACL changes": [
        {"eventSource": "ec2.amazonaws.com", "eventName": name}
        for name in ("CreateNetworkAclEntry", "ReplaceNetworkAclEntry")
    ],
    "route table changes": [
        {"eventSource": "ec2.amazonaws.com", "eventName": name} for name in ("CreateRoute", "ReplaceRoute")
    ],
    "VPC changes": [
        {"eventSource": "ec2.amazonaws.com", "eventName": name}
        for name in ("CreateVpc", "DeleteVpc", "CreateVpcPeeringConnection")
    ],
    "AWS Config changes": [
        {"eventSource": "config.amazonaws.com", "eventName": name}
        for name in ("StopConfigurationRecorder", "DeleteDeliveryChannel")
    ],
    "console authentication failures": [
        {"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "errorMessage": "Failed authentication"}
    ],
    "network gateway changes": [
        {"eventSource": "ec2.amazonaws.com", "eventName": name}
        for name in ("CreateInternetGateway", "AttachInternetGateway")
    ],
    "AWS Organizations changes": [
        {"eventSource": "organizations.amazonaws.com", "eventName": name}
        for name in ("LeaveOrganization", "CreateAccount")
    ],
}


class PatternError(ValueError):
    """A pattern this evaluator cannot read (it then watches nothing the gate can vouch for)."""


@lru_cache(maxsize=4096)
def _tokens(pattern: str) -> tuple[tuple[str, str], ...]:
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise PatternError("not a JSON filter pattern")
    body, found, position = text[1:-1], [], 0
    while position < len(body):
        if body[position:].strip() == "":
            break
        match = TOKEN.match(body, position)
        if not match or match.end() == position:
            raise PatternError(f"cannot read {body[position : position + 20]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return tuple(found)


def _value(event: dict[str, Any], selector: str) -> Any:
    current: Any = event
    for part in selector[2:].split("."):
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


_MISSING = object()


def _compare(actual: Any, op: str, expected: str) -> bool:
    if actual is _MISSING or actual is None:
        return op == "!="
    if op in ("=", "!="):
        hit = glob(expected, ignore_case=False).fullmatch(str(actual)) is not None
        return hit if op == "=" else not hit
    try:
        a, e = float(actual), float(expected)
    except (TypeError, ValueError):
        return False
    return {">": a > e, "<": a < e, ">=": a >= e, "<=": a <= e}[op]


Node = tuple  # ("or"|"and", [nodes]) | ("notexists"|"isnull", selector) | ("cmp", selector, op, expected)


class _Parser:
    """Reads a pattern's tokens once into a tree (``_compile``); ``_holds`` evaluates it per event."""

    def __init__(self, tokens: tuple[tuple[str, str], ...]):
        self.tokens, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind: str) -> str:
        if self.peek() != kind:
            raise PatternError(f"expected {kind}")
        self.i += 1
        return self.tokens[self.i - 1][1]

    def expression(self) -> Node:
        parts = [self.conjunction()]
        while self.peek() == "or":
            self.take("or")
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self) -> Node:
        parts = [self.term()]
        while self.peek() == "and":
            self.take("and")
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def term(self) -> Node:
        if self.peek() == "open":
            self.take("open")
            inner = self.expression()
            self.take("close")
            return inner
        selector = self.take("sel")
        if self.peek() == "notexists":
            self.take("notexists")
            return ("notexists", selector)
        if self.peek() == "isnull":
            self.take("isnull")
            return ("isnull", selector)
        op = self.take("op")
        kind = self.peek()
        raw = self.take(kind) if kind in ("str", "word") else ""
        return ("cmp", selector, op, raw[1:-1] if kind == "str" else raw)


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> Node | None:
    """The pattern's tree, or None when it cannot be read whole (then it matches nothing)."""
    try:
        parser = _Parser(_tokens(pattern))
        tree = parser.expression()
    except (PatternError, IndexError):
        return None
    return tree if parser.i == len(parser.tokens) else None


def _holds(node: Node, event: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "or":
        return any([_holds(part, event) for part in node[1]])
    if kind == "and":
        return all([_holds(part, event) for part in node[1]])
    if kind == "notexists":
        return _value(event, node[1]) is _MISSING
    if kind == "isnull":
        return _value(event, node[1]) is None
    return _compare(_value(event, node[1]), node[2], node[3])


def matches(pattern: str, event: dict[str, Any]) -> bool:
    """Does a JSON filter pattern match a CloudTrail event? Unreadable patterns match nothing."""
    tree = _compile(str(pattern))
    if tree is None:
        return False
    try:
        return _holds(tree, event)
    except (KeyError, IndexError):
        return False


@lru_cache(maxsize=4096)
def watches(pattern: str, event_name: str) -> bool:
    """Does the pattern catch every sample record of a CIS monitoring event?"""
    samples = CIS_EVENTS.get(event_name) or []
    return bool(samples) and all(matches(pattern, sample) for sample in samples)
