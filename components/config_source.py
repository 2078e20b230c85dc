"""Read the stack's settings from the Pulumi runtime (real `pulumi up` or the offline mock run)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components.settings import PROJECT, Settings, parse_settings


def _decode(value: Any) -> Any:
    """Pulumi hands object and list values to programs as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def raw_config() -> tuple[dict[str, Any], frozenset[str]]:
    """All of this project's config keys (without the project prefix) and which are secret."""
    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    raw: dict[str, Any] = {}
    secrets: set[str] = set()
    for full_key, value in merged.items():
        namespace, _, key = full_key.partition(":")
        if full_key == "aws:region":
            raw["region"] = value
        elif namespace == PROJECT:
            raw[key] = _decode(value)
            if full_key in secret_keys or runtime_config.is_config_secret(full_key):
                secrets.add(key)
    return raw, frozenset(secrets)


def load_settings() -> Settings:
    """Validated settings, or a RunError that lists every problem (the CLI shows no traceback)."""
    from components.settings import SettingsError

    raw, secret_keys = raw_config()
    try:
        return parse_settings(raw, secret_keys=secret_keys)
    except SettingsError as error:
        raise pulumi.RunError(error.render(pulumi.get_stack())) from None
