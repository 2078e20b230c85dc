"""Two landing zones in one account and region cannot both create the account's singletons: the second
`pulumi up` fails (one GuardDuty detector, one Config recorder per region) or silently takes over the first's
(password policy, EBS default key). Stack files side by side in a project say where each stack deploys, so the
conflict is caught before anything is created: the later stack must adopt or leave the service to the
organization (accountServices in Pulumi.<stack>.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic.alias_generators import to_camel

from components.settings import AccountServices
from glz.errors import UserInputError

PROJECT = "genomics-landing-zone"
SINGLETONS = tuple(to_camel(field) for field in AccountServices.model_fields)
"""The accountServices keys (config spelling)."""


def _creates(values: dict[str, Any]) -> set[str]:
    """The singletons a stack's config creates (on in securityServices, create in accountServices)."""
    services = values.get(f"{PROJECT}:securityServices") or {}
    modes = values.get(f"{PROJECT}:accountServices") or {}
    found = set()
    for key in SINGLETONS:
        if isinstance(services, dict) and services.get(key) is False:
            continue
        if key == "securityContact" and not values.get(f"{PROJECT}:securityContact"):
            continue  # no contact declared, none put
        mode = modes.get(key, "create") if isinstance(modes, dict) else "create"
        mode = mode.get("mode", "create") if isinstance(mode, dict) else mode
        if mode == "create":
            found.add(key)
    return found


def _where(values: dict[str, Any]) -> tuple[str, str]:
    return str(values.get(f"{PROJECT}:accountId") or ""), str(values.get("aws:region") or "")


def conflicts(stack: str, values: dict[str, Any], siblings: dict[str, dict[str, Any]]) -> list[str]:
    """Problems (key, value, what is allowed) when another stack file deploys to the same account and region
    and creates a singleton this one also creates."""
    account, region = _where(values)
    if not account or not region:
        return []
    mine = _creates(values)
    problems = []
    for other, other_values in sorted(siblings.items()):
        if other == stack or _where(other_values) != (account, region):
            continue
        for key in sorted(mine & _creates(other_values)):
            problems.append(
                f"{PROJECT}:accountServices.{key} = 'create': stack '{other}' (Pulumi.{other}.yaml) already creates "
                f"it in account {account}, {region}; allowed here: adopt (with the existing id) or organization"
            )
    return problems


def sibling_values(project_dir: Path, stack: str, read) -> dict[str, dict[str, Any]]:
    """Config values of the other stack files in the project (``read(project_dir, name)`` -> StackConfig);
    one that cannot be read is skipped here (its own `glz synth` reports it)."""
    found = {}
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        if name == stack:
            continue
        try:
            found[name] = read(project_dir, name).values
        except UserInputError:  # another stack's broken file is that stack's error, reported by its own synth
            continue
    return found
