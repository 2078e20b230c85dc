"""Every rule of the gate, collected from the domain modules."""

from __future__ import annotations

from importlib import import_module

from policies.framework import Rule

DOMAINS = (
    "encryption",
    "storage",
    "network",
    "audit",
    "identity",
    "compute",
    "account",
    "eligibility",
    "data_access",
    "markings",
    "datastores",
    "boot_and_roles",
    "delivery",
    "singletons",
    "guardrails",
    "sessions",
    "finding_alerts",
    "pipeline",
    "instruments",
    "lab_path",
    "endpoint_policies",
    "support",
    "secure_defaults",
    "backups",
    "run_verification",
)


def _collect() -> list[Rule]:
    rules: list[Rule] = []
    for domain in DOMAINS:
        try:
            module = import_module(f"policies.rules.{domain}")
        except ModuleNotFoundError as error:
            if error.name == f"policies.rules.{domain}":
                continue
            raise
        rules += [value for value in vars(module).values() if isinstance(value, Rule)]
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate rule ids: {duplicates}")
    return sorted(rules, key=lambda r: r.id)


ALL_RULES: list[Rule] = _collect()
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in ALL_RULES}
