"""Small value comparisons shared by the checks (keys named by id, ARN or alias; state strings vs API types)."""

from __future__ import annotations

import json
from typing import Any


def key_id(value: Any) -> str:
    """'arn:aws:kms:r:a:key/ID' and 'ID' -> 'ID'; aliases stay as they are ('alias/x')."""
    text = str(value or "")
    if ":alias/" in text:
        return "alias/" + text.split(":alias/", 1)[1]
    return text.rsplit("key/", 1)[-1] if "key/" in text else text


def same_key(observed: Any, declared: Any, aliases: tuple[str, ...] = ()) -> bool:
    """Whether an observed key reference names the declared key (by id, ARN or one of its aliases)."""
    seen, want = key_id(observed), key_id(declared)
    return bool(seen) and (seen == want or seen in aliases)


def as_bool(value: Any) -> bool:
    """Pulumi state keeps some booleans as strings ("true")."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parsed_json(text: Any) -> Any:
    """A JSON document the API returns as a string (event patterns, state machine definitions) as an object, so
    two spellings of one document compare equal; text that is not JSON stays as it is."""
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return text
