"""Reading IAM-style policy documents (bucket policies, trust policies, role policies) the same way for state
and account, and comparing two of them by meaning rather than by spelling."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from policies.framework import as_list


def parse(document: Any) -> dict[str, Any]:
    """A policy as a dict, whether the API returned a JSON string, IAM's URL-encoded JSON (GetRolePolicy and
    GetRole answer that way on the wire; boto3 decodes it, other clients may not) or boto3's dict."""
    if isinstance(document, str):
        for text in (document, unquote(document)):
            try:
                document = json.loads(text)
                break
            except json.JSONDecodeError:
                continue
        else:
            return {}
    return document if isinstance(document, dict) else {}


def statements(document: Any) -> list[dict[str, Any]]:
    return [s for s in as_list(parse(document).get("Statement")) if isinstance(s, dict)]


def actions(statement: dict[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def principals(statement: dict[str, Any]) -> list[str]:
    """Every principal of a statement as 'Type:value' ('*' for everyone)."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    found = []
    for kind, values in principal.items():
        for value in as_list(values):
            found.append("*" if value == "*" else f"{kind}:{value}")
    return found


def is_everyone(statement: dict[str, Any]) -> bool:
    return principals(statement) == ["*"]


def conditions(statement: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """{(operator, key lower-cased): [values as strings]}; condition keys are case-insensitive in IAM."""
    found: dict[tuple[str, str], list[str]] = {}
    for operator, block in (statement.get("Condition") or {}).items():
        boolean = operator.startswith("Bool")
        for key, values in (block or {}).items():
            texts = (str(v).lower() if boolean or isinstance(v, bool) else str(v) for v in as_list(values))
            found[(operator, key.lower())] = sorted(texts)
    return found


def redacted(document: Any) -> Any:
    """A copy safe to put in evidence: ExternalId values are secrets shared with the partner."""
    if isinstance(document, dict):
        return {k: ("<redacted>" if k.lower() == "sts:externalid" else redacted(v)) for k, v in document.items()}
    if isinstance(document, list):
        return [redacted(v) for v in document]
    return document


# ---- comparing documents by meaning --------------------------------------------------------------------------

# Element keys whose value is a set of strings: a string and a one-element list mean the same, order is free.
_SET_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def _strings(value: Any, lower: bool = False) -> list[str]:
    return sorted({str(v).lower() if lower else str(v) for v in as_list(value)})


def _principal(value: Any) -> Any:
    """'*' stays '*'; {'AWS': '111122223333'} is stored by IAM as the account's root ARN, so it compares so."""
    if not isinstance(value, dict):
        return str(value)
    found: dict[str, list[str]] = {}
    for kind, values in value.items():
        texts = {str(v) for v in as_list(values)}
        if kind == "AWS":
            texts = {f"arn:aws:iam::{t}:root" if _ACCOUNT_ID.match(t) else t for t in texts}
        found[str(kind)] = sorted(texts)
    return found


def normal_statement(statement: dict[str, Any]) -> str:
    """One statement in a canonical spelling: Sid dropped (a label, not a grant); Action/NotAction lower-cased
    (IAM matches actions case-insensitively); sets sorted; condition keys lower-cased, boolean values too."""
    normal: dict[str, Any] = {}
    for key, value in statement.items():
        if key == "Sid":
            continue
        if key in _SET_KEYS:
            normal[key] = _strings(value, lower=key.endswith("Action"))
        elif key in _PRINCIPAL_KEYS:
            normal[key] = _principal(value)
        elif key == "Condition":
            normal[key] = sorted([operator, name, values] for (operator, name), values in conditions(statement).items())
        else:
            normal[key] = value
    return json.dumps(normal, sort_keys=True, default=str)


def normal_form(document: Any) -> dict[str, Any]:
    """A whole document in canonical spelling: Statement a dict or a list alike, statement order and duplicates
    irrelevant; a missing Version is IAM's default, 2008-10-17."""
    parsed = parse(document)
    return {
        "Version": str(parsed.get("Version") or "2008-10-17"),
        "Statement": sorted({normal_statement(s) for s in statements(parsed)}),
    }


def same_meaning(declared: Any, live: Any) -> bool:
    return normal_form(declared) == normal_form(live)


def summary(statement: dict[str, Any]) -> str:
    """'Allow s3:* on *' / 'Allow sts:AssumeRole for AWS:arn:...:root (with conditions)' for reasons."""
    parts = [str(statement.get("Effect", "?"))]
    if "NotAction" in statement:
        parts.append("all but " + ",".join(_strings(statement["NotAction"])))
    else:
        parts.append(",".join(_strings(statement.get("Action"))) or "nothing")
    if principals(statement):
        parts.append("for " + ",".join(sorted(principals(statement))))
    if "NotPrincipal" in statement:
        parts.append("for all but " + json.dumps(statement["NotPrincipal"], sort_keys=True))
    if "Resource" in statement:
        parts.append("on " + ",".join(_strings(statement["Resource"])))
    if "NotResource" in statement:
        parts.append("on all but " + ",".join(_strings(statement["NotResource"])))
    if statement.get("Condition"):
        parts.append("(with conditions)")
    return " ".join(parts)


def differences(declared: Any, live: Any) -> dict[str, list[str]]:
    """The statements the live document adds and the declared ones it lacks (by meaning), summarised; the
    Version when it differs. Empty when the two documents mean the same."""
    want = {normal_statement(s): s for s in statements(declared)}
    have = {normal_statement(s): s for s in statements(live)}
    found: dict[str, list[str]] = {}
    added = sorted(summary(s) for key, s in have.items() if key not in want)
    dropped = sorted(summary(s) for key, s in want.items() if key not in have)
    if added:
        found["adds"] = added
    if dropped:
        found["drops"] = dropped
    want_version, have_version = normal_form(declared)["Version"], normal_form(live)["Version"]
    if want_version != have_version:
        found["version"] = [f"{have_version} (declared {want_version})"]
    return found


def describe_differences(found: dict[str, list[str]]) -> str:
    """'adds Allow s3:* on *; drops Allow s3:GetObject on arn:...' for a reason."""
    return "; ".join(f"{what} {', '.join(items)}" for what, items in found.items())
