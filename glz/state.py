"""Read a stack state (`pulumi stack export` shape) the way every offline tool needs it."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glz.errors import MIB, UserInputError, read_text

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

STATE_VERSIONS = (3,)
"""`pulumi stack export` has written deployment version 3 since Pulumi 1.x; no other shape is read."""
STATE_MAX_BYTES = 256 * MIB
"""A landing zone's state is a few megabytes; a larger file is not a state this tool should load."""
MAX_DEPTH = 200
"""Nesting allowed inside a resource's inputs and outputs."""
MAX_PROBLEMS = 20
"""Shape problems listed in one message (the count of the rest follows)."""
URN = re.compile(r"^urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::(?P<type>[^:]+(?::[^:]+)*)::(?P<name>.+)$", re.S)
SHOW_SECRETS = "pulumi stack export --show-secrets > state.json"


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


def json_kind(value: Any) -> str:
    """The JSON name of a parsed value's kind, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def urn_type(urn: str) -> str | None:
    """The resource type a URN names (its own type, not its parents'), or None if it is not a URN."""
    match = URN.match(urn) if isinstance(urn, str) else None
    return match["type"].rsplit("$", 1)[-1] if match else None


class _Shape:
    """Collects shape problems by JSON path, and reveals secrets while walking values."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.ciphertext: list[str] = []

    def problem(self, path: str, text: str) -> None:
        self.problems.append(f"{path}: {text}")

    def expect(self, value: Any, path: str, kinds: tuple[type, ...], wanted: str, optional: bool = True) -> bool:
        """True when `value` has one of `kinds` (a missing or null optional value is fine, and False)."""
        if value is None and optional:
            return False
        if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
            return True
        self.problem(path, f"expected {wanted}, got {json_kind(value)}")
        return False

    def reveal(self, value: Any, path: str, where: str, depth: int = 0) -> Any:
        """`reveal` that reports bad envelopes and ciphertext by path instead of failing or hiding them."""
        if depth > MAX_DEPTH:
            self.problem(path, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(value, dict):
            if value.get(SECRET_SIG_KEY) == SECRET_SIG:
                if "plaintext" in value:
                    plaintext = value["plaintext"]
                    if not isinstance(plaintext, str):
                        self.problem(f"{path}.plaintext", f"expected a string of JSON, got {json_kind(plaintext)}")
                        return None
                    try:
                        inner = json.loads(plaintext)
                    except (json.JSONDecodeError, RecursionError):
                        self.problem(f"{path}.plaintext", "a secret's plaintext is not valid JSON")
                        return None
                    return self.reveal(inner, path, where, depth + 1)
                if "ciphertext" in value:
                    self.ciphertext.append(f"{path} ({where})")
                    return SecretValue("[secret]")
                self.problem(path, "a secret with neither 'plaintext' nor 'ciphertext'")
                return None
            return {k: self.reveal(v, f"{path}.{k}", where, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.reveal(v, f"{path}[{i}]", where, depth + 1) for i, v in enumerate(value)]
        return value

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if not self.expect(value, path, (list,), "a list of URN strings"):
            return ()
        good = True
        for index, item in enumerate(value):
            good &= self.expect(item, f"{path}[{index}]", (str,), "a URN string", optional=False)
        return tuple(value) if good else ()


def decode_json(value: Any) -> Any:
    """IAM and bucket policies are JSON strings in the state; parse them when they are."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


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
    """Resources of one stack, indexed by URN and type, secrets unwrapped for analysis.

    Every field read here is checked for shape first; a document of the wrong shape is a UserInputError
    naming the JSON path of each problem (never a traceback, never a silently empty stack). `load`
    also requires `version` (only 3, what `pulumi stack export` writes); documents built in memory by
    this project's own code may leave it out. Secrets exported without --show-secrets are kept as
    SecretValue and listed in `ciphertext`; `require_plaintext` refuses such a state.
    """

    def __init__(self, document: dict[str, Any], source: str = "<memory>", require_version: bool = False):
        self.document = document
        self.source = source
        shape = _Shape()
        entries = self._entries(document, shape, require_version)
        self.resources: list[Resource] = []
        for index, entry in enumerate(entries):
            resource = self._resource(entry, f"deployment.resources[{index}]", shape)
            if resource is not None:
                self.resources.append(resource)
        if shape.problems:
            shown = shape.problems[:MAX_PROBLEMS]
            more = len(shape.problems) - len(shown)
            raise UserInputError(
                f"{source}: not a stack state as `pulumi stack export` writes it:\n  "
                + "\n  ".join(shown)
                + (f"\n  ... and {more} more problem(s)" if more else "")
            )
        self.ciphertext: list[str] = shape.ciphertext
        self.by_urn = {r.urn: r for r in self.resources}

    @staticmethod
    def _entries(document: Any, shape: _Shape, require_version: bool) -> list[Any]:
        if not isinstance(document, dict):
            shape.problem(
                "(top level)", f"expected an object with 'version' and 'deployment', got {json_kind(document)}"
            )
            return []
        allowed = " or ".join(str(v) for v in STATE_VERSIONS)
        if "version" in document or require_version:
            version = document.get("version")
            if version is None:
                shape.problem(
                    "version", f"missing; allowed: {allowed} (the deployment version `pulumi stack export` writes)"
                )
            elif isinstance(version, bool) or version not in STATE_VERSIONS:
                shape.problem(
                    "version",
                    f"{version!r} is not a deployment version this tool reads; allowed: {allowed} "
                    "(what `pulumi stack export` writes)",
                )
        deployment = document.get("deployment")
        if deployment is None:
            shape.problem("deployment", "missing; expected an object holding 'resources'")
            return []
        if not shape.expect(deployment, "deployment", (dict,), "an object"):
            return []
        entries = deployment.get("resources")
        if entries is None:
            shape.problem(
                "deployment.resources", "missing; expected a list of resources (an empty stack has nothing to check)"
            )
            return []
        if not shape.expect(entries, "deployment.resources", (list,), "a list of resources"):
            return []
        return entries

    @staticmethod
    def _resource(entry: Any, path: str, shape: _Shape) -> Resource | None:
        if not shape.expect(entry, path, (dict,), "an object with 'urn' and 'type'", optional=False):
            return None
        before = len(shape.problems)
        urn = entry.get("urn")
        typ = entry.get("type")
        if shape.expect(urn, f"{path}.urn", (str,), "a string", optional=False) and not URN.match(urn):
            shape.problem(
                f"{path}.urn", f"{urn!r} is not a Pulumi URN; allowed: urn:pulumi:<stack>::<project>::<type>::<name>"
            )
        if shape.expect(typ, f"{path}.type", (str,), "a string", optional=False):
            named = urn_type(urn)
            if named is not None and named != typ:
                shape.problem(f"{path}.type", f"{typ!r} differs from the type in its URN, {named!r}")
        where = urn.rsplit("::", 1)[-1] if isinstance(urn, str) else path
        shape.expect(entry.get("custom"), f"{path}.custom", (bool,), "a boolean")
        shape.expect(entry.get("id"), f"{path}.id", (str,), "a string")
        shape.expect(entry.get("parent"), f"{path}.parent", (str,), "a URN string")
        shape.expect(entry.get("provider"), f"{path}.provider", (str,), "a provider reference string")
        sections = {}
        for section in ("inputs", "outputs"):
            value = entry.get(section)
            if shape.expect(value, f"{path}.{section}", (dict,), "an object"):
                sections[section] = shape.reveal(value, f"{path}.{section}", where)
            else:
                sections[section] = {}
        dependencies = shape.strings(entry.get("dependencies"), f"{path}.dependencies")
        property_dependencies: dict[str, list[str]] = {}
        raw_property_dependencies = entry.get("propertyDependencies")
        if shape.expect(raw_property_dependencies, f"{path}.propertyDependencies", (dict,), "an object of URN lists"):
            for key, urns in raw_property_dependencies.items():
                property_dependencies[key] = list(shape.strings(urns, f"{path}.propertyDependencies.{key}"))
        if len(shape.problems) > before:
            return None
        return Resource(
            urn=urn,
            type=typ,
            name=urn.rsplit("::", 1)[-1],
            custom=bool(entry.get("custom", False)),
            id=entry.get("id"),
            inputs=sections["inputs"],
            outputs=sections["outputs"],
            parent=entry.get("parent"),
            dependencies=dependencies,
            property_dependencies=property_dependencies,
            raw=entry,
        )

    @classmethod
    def load(cls, path: Path) -> StackState:
        """A `pulumi stack export` file: bounded in size, UTF-8, JSON, of the right shape, version 3."""
        text = read_text(path, "--state", STATE_MAX_BYTES)
        try:
            document = json.loads(text, parse_constant=_no_constant)
        except ValueError as error:  # json.JSONDecodeError, or NaN/Infinity, which JSON does not have
            raise UserInputError(f"--state {path}: not valid JSON ({error})") from None
        except RecursionError:
            raise UserInputError(f"--state {path}: JSON nested too deeply to be a stack state") from None
        return cls(document, str(path), require_version=True)

    def require_plaintext(self) -> None:
        """Refuse a state whose secrets are ciphertext: rules cannot judge what they cannot read, and
        a rule that finds nothing to object to would pass."""
        if not self.ciphertext:
            return
        shown = self.ciphertext[:5]
        more = len(self.ciphertext) - len(shown)
        raise UserInputError(
            f"{self.source}: exported without --show-secrets: {len(self.ciphertext)} secret value(s) hold only "
            f"ciphertext, which the gate cannot check; run `{SHOW_SECRETS}` and check that file. "
            "Ciphertext at: " + "; ".join(shown) + (f"; and {more} more" if more else "")
        )

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
