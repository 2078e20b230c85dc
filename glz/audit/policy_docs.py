"""Reading IAM-style policy documents (bucket policies, trust policies) the same way for state and account."""

from __future__ import annotations

import json
from typing import Any

from glz.audit.compare import as_list


def parse(document: Any) -> dict[str, Any]:
    """A policy as a dict, whether the API returned a JSON string or boto3 already decoded it."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
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
