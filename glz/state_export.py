"""Write recorded registrations in the shape of `pulumi stack export` (deployment version 3)."""

from __future__ import annotations

import heapq
import json
from typing import Any

from pulumi.runtime import rpc

from glz.mock_runtime import Registration
from glz.state import SECRET_SIG, SECRET_SIG_KEY


def _plain(value: Any) -> Any:
    """Deserialized Pulumi values -> JSON, keeping secrets in the state file's secret envelope."""
    if rpc.is_rpc_secret(value):
        return {
            SECRET_SIG_KEY: SECRET_SIG,
            "plaintext": json.dumps(_plain(rpc.unwrap_rpc_secret(value)), sort_keys=True),
        }
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return str(value)


def _topological(registrations: dict[str, Registration]) -> list[Registration]:
    """Parents, providers and dependencies first, as the engine stores them; ties by URN so the
    file is identical however the asynchronous registrations interleaved."""
    edges: dict[str, set[str]] = {urn: set() for urn in registrations}
    for urn, reg in registrations.items():
        prerequisites = set(reg.dependencies)
        if reg.parent:
            prerequisites.add(reg.parent)
        if reg.provider:
            prerequisites.add(reg.provider.rsplit("::", 1)[0])
        edges[urn] = {p for p in prerequisites if p in registrations and p != urn}
    waiting = {urn: len(prereqs) for urn, prereqs in edges.items()}
    dependents: dict[str, list[str]] = {urn: [] for urn in registrations}
    for urn, prereqs in edges.items():
        for prerequisite in prereqs:
            dependents[prerequisite].append(urn)
    ready = [urn for urn, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[Registration] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(registrations[urn])
        for dependent in dependents[urn]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(ordered) != len(registrations):
        raise RuntimeError("dependency cycle among registered resources")
    return ordered


def _resource(reg: Registration) -> dict[str, Any]:
    entry: dict[str, Any] = {"urn": reg.urn, "custom": reg.custom}
    if reg.custom and reg.id is not None:
        entry["id"] = reg.id
    entry["type"] = reg.type
    if reg.custom or reg.inputs:
        entry["inputs"] = _plain(reg.inputs)
    if reg.outputs:
        entry["outputs"] = _plain(reg.outputs)
    if reg.parent:
        entry["parent"] = reg.parent
    if reg.provider:
        entry["provider"] = reg.provider
    if reg.dependencies:
        entry["dependencies"] = reg.dependencies
    if reg.property_dependencies:
        entry["propertyDependencies"] = dict(sorted(reg.property_dependencies.items()))
    # as `pulumi stack export` writes them (apitype.ResourceV3 importID, retainOnDelete)
    if reg.import_id:
        entry["importID"] = reg.import_id
    if reg.retain_on_delete:
        entry["retainOnDelete"] = True
    return entry


def build_state(registrations: dict[str, Registration], pulumi_version: str) -> dict[str, Any]:
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "1970-01-01T00:00:00Z", "magic": "", "version": f"v{pulumi_version}"},
            "resources": [_resource(reg) for reg in _topological(registrations)],
        },
    }
