"""Helpers to weaken one property of a stack state, the way a careless change would."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

Document = dict[str, Any]


def resources(document: Document) -> list[dict[str, Any]]:
    return document["deployment"]["resources"]


def find(document: Document, typ: str, name_contains: str = "") -> list[dict[str, Any]]:
    found = [r for r in resources(document) if r["type"] == typ and name_contains in r["urn"].rsplit("::", 1)[-1]]
    assert found, f"no {typ} named *{name_contains}* in the state"
    return found


def set_input(typ: str, name_contains: str, path: list[Any], value: Any) -> Callable[[Document], None]:
    """Set inputs[path] (and the same output) on the first matching resource; value None deletes."""

    def mutate(document: Document) -> None:
        resource = find(document, typ, name_contains)[0]
        for section in ("inputs", "outputs"):
            target = resource.get(section)
            if target is None:
                continue
            for key in path[:-1]:
                target = target[key]
            if value is None:
                target.pop(path[-1], None)
            else:
                target[path[-1]] = value

    return mutate


def remove(typ: str, name_contains: str = "") -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        doomed = {r["urn"] for r in find(document, typ, name_contains)}
        document["deployment"]["resources"] = [r for r in resources(document) if r["urn"] not in doomed]

    return mutate


def edit_json(typ: str, name_contains: str, key: str, edit: Callable[[Any], None]) -> Callable[[Document], None]:
    """Edit a JSON-string property (a policy document) of the first matching resource."""

    def mutate(document: Document) -> None:
        resource = find(document, typ, name_contains)[0]
        for section in ("inputs", "outputs"):
            if key in (resource.get(section) or {}):
                parsed = json.loads(resource[section][key])
                edit(parsed)
                resource[section][key] = json.dumps(parsed)

    return mutate


def drop_statement(sid: str) -> Callable[[Any], None]:
    def edit(document: Any) -> None:
        before = len(document["Statement"])
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
        assert len(document["Statement"]) < before, f"no statement {sid}"

    return edit


def apply(document: Document, *mutations: Callable[[Document], None]) -> Document:
    copy_ = copy.deepcopy(document)
    for mutation in mutations:
        mutation(copy_)
    return copy_


def edit_secret_json(typ: str, name_contains: str, key: str, edit: Callable[[Any], None]) -> Callable[[Document], None]:
    """Like edit_json for a property held in a secret envelope (trust policies with an ExternalId)."""
    from glz.state import SECRET_SIG, SECRET_SIG_KEY

    def mutate(document: Document) -> None:
        resource = find(document, typ, name_contains)[0]
        for section in ("inputs", "outputs"):
            value = (resource.get(section) or {}).get(key)
            if value is None:
                continue
            secret = isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG
            text = json.loads(value["plaintext"]) if secret else value
            parsed = json.loads(text)
            edit(parsed)
            text = json.dumps(parsed)
            resource[section][key] = {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(text)} if secret else text

    return mutate


def drop_condition(key: str) -> Callable[[Any], None]:
    """Remove condition ``key`` from every statement of a policy document."""

    def edit(document: Any) -> None:
        removed = False
        for statement in document["Statement"]:
            for operator in list(statement.get("Condition") or {}):
                if key in statement["Condition"][operator]:
                    del statement["Condition"][operator][key]
                    removed = True
                    if not statement["Condition"][operator]:
                        del statement["Condition"][operator]
        assert removed, f"no condition {key}"

    return edit
