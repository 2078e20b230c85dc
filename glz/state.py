"""Read a stack state (`pulumi stack export` shape) the way every offline tool needs it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glz.errors import UserInputError

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


class SecretValue(str):
    """A secret whose plaintext is not in the state (exported without --show-secrets)."""


def reveal(value: Any) -> Any:
    """Unwrap secret envelopes: plaintext ones become their value, ciphertext ones a SecretValue."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            if "plaintext" in value:
                return reveal(json.loads(value["plaintext"]))
            return SecretValue("[secret]")
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def decode_json(value: Any) -> Any:
    """IAM and bucket policies are JSON strings in the state; parse them when they are."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


@dataclass(frozen=True)
class Resource:
    urn: str
    type: str
    name: str
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str | None
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, list[str]]
    raw: dict[str, Any]

    def prop(self, key: str, default: Any = None) -> Any:
        """An input if set, else the output (a real export may lack inputs for some resources)."""
        if key in self.inputs:
            return self.inputs[key]
        return self.outputs.get(key, default)


class StackState:
    """Resources of one stack, indexed by URN and type, secrets unwrapped for analysis."""

    def __init__(self, document: dict[str, Any], source: str = "<memory>"):
        self.document = document
        self.source = source
        try:
            entries = document["deployment"]["resources"] or []
        except (KeyError, TypeError):
            raise UserInputError(
                f"{source}: not a stack state: expected 'deployment.resources' as written by `pulumi stack export`"
            ) from None
        self.resources: list[Resource] = []
        for entry in entries:
            if not isinstance(entry, dict) or "urn" not in entry or "type" not in entry:
                raise UserInputError(f"{source}: a resource entry lacks 'urn' or 'type'")
            self.resources.append(
                Resource(
                    urn=entry["urn"],
                    type=entry["type"],
                    name=entry["urn"].rsplit("::", 1)[-1],
                    custom=bool(entry.get("custom", False)),
                    id=entry.get("id"),
                    inputs=reveal(entry.get("inputs") or {}),
                    outputs=reveal(entry.get("outputs") or {}),
                    parent=entry.get("parent"),
                    dependencies=tuple(entry.get("dependencies") or ()),
                    property_dependencies=entry.get("propertyDependencies") or {},
                    raw=entry,
                )
            )
        self.by_urn = {r.urn: r for r in self.resources}

    @classmethod
    def load(cls, path: Path) -> StackState:
        try:
            document = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise UserInputError(f"--state {path}: file not found") from None
        except json.JSONDecodeError as error:
            raise UserInputError(f"--state {path}: not valid JSON ({error})") from None
        return cls(document, str(path))

    def sha256(self) -> str:
        """The state's fingerprint: what the matrix records and `glz audit` writes, to tell whether they match."""
        return hashlib.sha256(json.dumps(self.document, sort_keys=True).encode()).hexdigest()

    def of_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r.type == typ]

    def stack_outputs(self) -> dict[str, Any]:
        for resource in self.resources:
            if resource.type == "pulumi:pulumi:Stack":
                return resource.outputs
        return {}

    def children(self, parent_urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == parent_urn]
