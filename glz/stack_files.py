"""Read Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands them to a program.

Offline, ``secure:`` values cannot be decrypted (that needs the stack's secrets provider), so
each one is replaced by a placeholder that stays marked secret, and the caller is told which.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.settings import PROJECT, SECRET_PLACEHOLDER_PREFIX
from glz.errors import UserInputError, load_yaml

STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass
class StackConfig:
    """Config as PULUMI_CONFIG would carry it, plus what was stood in for secrets."""

    project: str
    stack: str
    values: dict[str, Any]  # full key ("project:key") -> decoded value
    secret_keys: set[str] = field(default_factory=set)
    placeholders: list[str] = field(default_factory=list)

    def raw_settings(self) -> dict[str, Any]:
        """Values for components.settings.parse_settings (project keys unprefixed)."""
        raw: dict[str, Any] = {}
        for full_key, value in self.values.items():
            namespace, _, key = full_key.partition(":")
            if full_key == "aws:region":
                raw["region"] = value
            elif namespace == self.project:
                raw[key] = value
        return raw

    def secret_settings(self) -> frozenset[str]:
        return frozenset(k.partition(":")[2] for k in self.secret_keys if k.startswith(f"{self.project}:"))

    def pulumi_env(self) -> dict[str, str]:
        """PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS as the language host would set them."""
        # a key set to null in the stack file is unset, as validation saw it (never the text 'None')
        encoded = {key: _encode(value) for key, value in sorted(self.values.items()) if value is not None}
        return {
            "PULUMI_CONFIG": json.dumps(encoded, sort_keys=True),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(sorted(self.secret_keys)),
        }


def _encode(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _load_yaml(path: Path, what: str) -> Any:
    """Bounded and safe (glz.errors.load_yaml): at most 1 MiB, UTF-8, no alias bombs; C parser if available."""
    return load_yaml(path, what)


def _replace_secrets(value: Any, path: str, found: list[str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            found.append(path)
            slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")
            return f"{SECRET_PLACEHOLDER_PREFIX}{slug}"
        return {k: _replace_secrets(v, f"{path}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secrets(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def project_defaults(project_file: dict[str, Any]) -> dict[str, Any]:
    """Defaults declared in Pulumi.yaml's config block, keyed like stack config. ``default: null`` (an optional
    object such as onPremises) sets nothing: the program then sees the key unset, not the text 'None'."""
    defaults: dict[str, Any] = {}
    for key, spec in (project_file.get("config") or {}).items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(spec, dict) and spec.get("default") is not None:
            defaults[full_key] = spec["default"]
    return defaults


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    if not STACK_NAME.match(stack):
        raise UserInputError(f"--stack {stack!r}: stack names use letters, digits, '-', '_' and '.' (1-100 characters)")
    project_path = project_dir / "Pulumi.yaml"
    project_file = _load_yaml(project_path, "project file") or {}
    if not isinstance(project_file, dict):
        raise UserInputError(f"project file {project_path}: expected a mapping with 'name:' and 'config:'")
    if not isinstance(project_file.get("config") or {}, dict):
        raise UserInputError(f"project file {project_path}: 'config' must be a mapping of key: declaration")
    project = project_file.get("name", PROJECT)
    if not isinstance(project, str) or not STACK_NAME.match(project):
        raise UserInputError(
            f"project file {project_path}: name = {project!r}: a project name of letters, digits, '-', '_' and '.'"
        )
    stack_path = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_path.exists():
        available = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise UserInputError(
            f"--stack {stack!r}: no stack file {stack_path.name} in {project_dir}; "
            f"available stacks: {', '.join(available) or 'none'}"
        )
    stack_file = _load_yaml(stack_path, "stack config") or {}
    if not isinstance(stack_file, dict):
        raise UserInputError(f"{stack_path.name}: expected a mapping with a 'config:' block")
    config = stack_file.get("config") or {}
    if not isinstance(config, dict):
        raise UserInputError(f"{stack_path.name}: 'config' must be a mapping of key: value")
    unqualified = [k for k in config if ":" not in str(k)]
    if unqualified:
        raise UserInputError(
            f"{stack_path.name}: config key(s) {unqualified} have no namespace; write them as "
            f"'{project}:<key>' (or 'aws:<key>' for the AWS provider)"
        )
    values = project_defaults(project_file)
    secret_keys: set[str] = set()
    placeholders: list[str] = []
    for key, value in config.items():
        found: list[str] = []
        values[key] = _replace_secrets(value, key, found)
        if found:
            secret_keys.add(key)
            placeholders += found
    return StackConfig(project, stack, values, secret_keys, placeholders)
