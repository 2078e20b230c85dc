"""Amazon EventBridge event patterns, evaluated on sample events.

A rule forwards an event only if its pattern matches it, so the gate runs each pattern against sample events
of what must be forwarded (a HIGH Security Hub finding, an AWS Health security notification) instead of
looking for a word in the pattern. Semantics per "Amazon EventBridge event patterns" and "Content filtering"
(EventBridge User Guide): every field of the pattern must match; a field's value is a list of alternatives;
an event array matches when one of its values does; an object under an array is matched against each element.
Operators read here: literal values, prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric,
exists and $or. A pattern with anything else is unreadable and matches nothing the gate can vouch for.
"""

from __future__ import annotations

import json
import re
from typing import Any

_MISSING = object()


class PatternError(ValueError):
    """A pattern this evaluator cannot read."""


def _wildcard(pattern: str, value: str) -> bool:
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), value, re.DOTALL) is not None


def _numeric(conditions: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if len(conditions) % 2:
        raise PatternError(f"numeric {conditions!r}: operators and numbers come in pairs")
    checks = {"<": value.__lt__, "<=": value.__le__, "=": value.__eq__, ">": value.__gt__, ">=": value.__ge__}
    for op, bound in zip(conditions[::2], conditions[1::2], strict=True):
        if op not in checks or isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise PatternError(f"numeric {conditions!r}: not an operator and a number")
        if not checks[op](bound):
            return False
    return True


def _one(matcher: Any, value: Any) -> bool:
    """Does one alternative of a pattern field match one (scalar) event value?"""
    if not isinstance(matcher, dict):
        return value is not _MISSING and matcher == value and type(matcher) is type(value)
    if len(matcher) != 1:
        raise PatternError(f"{matcher!r}: one operator per alternative")
    ((op, arg),) = matcher.items()
    if op == "exists":
        return (value is not _MISSING) == bool(arg)
    if value is _MISSING:
        return False
    if op == "prefix":
        if isinstance(arg, dict) and set(arg) == {"equals-ignore-case"}:
            return isinstance(value, str) and value.lower().startswith(str(arg["equals-ignore-case"]).lower())
        return isinstance(value, str) and isinstance(arg, str) and value.startswith(arg)
    if op == "suffix":
        return isinstance(value, str) and isinstance(arg, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(value, str) and isinstance(arg, str) and value.lower() == arg.lower()
    if op == "wildcard":
        return isinstance(value, str) and isinstance(arg, str) and _wildcard(arg, value)
    if op == "numeric":
        return _numeric(list(arg) if isinstance(arg, list) else [], value)
    if op == "anything-but":
        alternatives = arg if isinstance(arg, list) else [arg]
        return not any(_one(a, value) for a in alternatives)
    raise PatternError(f"operator {op!r} is not read by the gate")


def _field(alternatives: Any, value: Any) -> bool:
    if not isinstance(alternatives, list):
        raise PatternError(f"{alternatives!r}: a pattern field's value is a list of alternatives")
    values = value if isinstance(value, list) else [value]
    if value is _MISSING or (isinstance(value, list) and not value):
        values = [_MISSING]
    return any(_one(matcher, v) for matcher in alternatives for v in values)


def _object(pattern: dict[str, Any], event: Any) -> bool:
    if isinstance(event, list):
        return any(_object(pattern, element) for element in event)
    for key, wanted in pattern.items():
        if key == "$or":
            if not isinstance(wanted, list) or not wanted:
                raise PatternError("$or takes a list of patterns")
            if not any(_object(p, event) for p in wanted):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(wanted, dict):
            if value is _MISSING or not _object(wanted, value):
                return False
        elif not _field(wanted, value):
            return False
    return True


def parse(pattern: Any) -> dict[str, Any]:
    """The pattern as an object (a rule stores it as a JSON string)."""
    try:
        parsed = json.loads(pattern) if isinstance(pattern, str) else pattern
    except ValueError as error:
        raise PatternError(f"not JSON: {error}") from None
    if not isinstance(parsed, dict) or not parsed:
        raise PatternError("an event pattern is a non-empty JSON object")
    return parsed


def matches(pattern: Any, event: dict[str, Any]) -> bool:
    """Does an EventBridge event pattern match the event? Raises PatternError when it cannot be read."""
    return _object(parse(pattern), event)
