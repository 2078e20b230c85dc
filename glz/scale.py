"""Scaled copies of a stack state, for benchmarks and scale tests (not used by the gate itself).

`replicate` repeats every resource of a state (but the stack and its providers, which the copies
share) with unique URNs, names, IDs and ARNs, rewriting every string that embeds one of them
consistently: a copy's bucket policy names the copy's bucket, its sibling resources join it by
property dependency and by name, its roles trust and are attached as in the original. Rules that join
resources find in every copy what they find in the original. The copies share one AWS account, so rules
over the access model may find more: each copy's roles can reach the other copies' resources.
"""

from __future__ import annotations

import copy as copying
import json
import re
from collections.abc import Iterable
from typing import Any

SHARED_TYPES = ("pulumi:pulumi:Stack",)
SHARED_TYPE_PREFIXES = ("pulumi:providers:",)
GENERATED_ID = re.compile(r"(^|[-/:])[0-9a-f]{7,}$")
"""A physical ID the provider (or the mock runtime) generated: vpc-0abc…, a key's UUID, name-1a2b3c4."""
URN = re.compile(r"urn:pulumi:[^\"\\]+")
TOKEN_EDGE_BEFORE = r"(?<![0-9A-Za-z_])"
TOKEN_EDGE_AFTER = r"(?![0-9A-Za-z_])"


def resources_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["deployment"]["resources"]


def _shared(entry: dict[str, Any]) -> bool:
    return entry["type"] in SHARED_TYPES or entry["type"].startswith(SHARED_TYPE_PREFIXES)


def stack_and_project(document: dict[str, Any]) -> tuple[str, str]:
    """(stack, project) from the first URN: urn:pulumi:<stack>::<project>::…"""
    head = resources_of(document)[0]["urn"].split("::")
    return head[0].removeprefix("urn:pulumi:"), head[1]


def account_ids(document: dict[str, Any]) -> set[str]:
    """Accounts the providers are pinned to: never rewritten (the copies live in the same account)."""
    found = set()
    for entry in resources_of(document):
        if entry["type"].startswith(SHARED_TYPE_PREFIXES):
            props = {**(entry.get("outputs") or {}), **(entry.get("inputs") or {})}
            allowed = props.get("allowedAccountIds")
            if isinstance(allowed, str) and allowed.startswith("["):
                allowed = json.loads(allowed)
            found |= {str(a) for a in allowed or []}
    return found


def name_prefixes(entries: Iterable[dict[str, Any]], stack: str) -> list[str]:
    """Prefixes every physical name of the stack starts with: '<namePrefix>-<stack>' (bucket, role,
    trail names) and '<namePrefix>/<stack>' (in log group paths), found from the stack's bucket names."""
    prefixes = set()
    for entry in entries:
        if entry["type"] == "aws:s3/bucket:Bucket":
            name = str((entry.get("outputs") or {}).get("bucket") or entry.get("id") or "")
            head, found, _ = name.partition(f"-{stack}-")
            if found and head:
                prefixes |= {f"{head}-{stack}", f"{head}/{stack}"}
    return sorted(prefixes)


def generated_ids(entries: Iterable[dict[str, Any]], keep: set[str]) -> list[str]:
    """Physical IDs of the copied resources that the provider generated (and strings embed as such)."""
    found = set()
    for entry in entries:
        outputs = entry.get("outputs") or {}
        for value in (entry.get("id"), outputs.get("id")):
            if isinstance(value, str) and GENERATED_ID.search(value) and not any(k in value for k in keep):
                found.add(value)
    return sorted(found, key=lambda v: (-len(v), v))


class Replicator:
    """Makes copy k of a state's resources; copy 0 is the original."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        entries = resources_of(document)
        self.shared = [e for e in entries if _shared(e)]
        self.template = [e for e in entries if not _shared(e)]
        self.stack, self.project = stack_and_project(document)
        keep = account_ids(document)
        self.prefixes = name_prefixes(self.template, self.stack)
        self.ids = generated_ids(self.template, keep | set(self.prefixes))
        self.urns = {e["urn"] for e in self.template}
        tokens = sorted([*self.prefixes, *self.ids], key=lambda v: (-len(v), v))
        alternatives = "|".join(re.escape(t) for t in tokens) or r"(?!x)x"
        self.pattern = re.compile(f"{URN.pattern}|{TOKEN_EDGE_BEFORE}(?:{alternatives}){TOKEN_EDGE_AFTER}")
        self.text = json.dumps(self.template)

    def urn(self, urn: str, k: int) -> str:
        return f"{urn}-r{k}" if urn in self.urns else urn

    def token(self, token: str, k: int) -> str:
        if token in self.prefixes:
            return f"{token}{k}"  # glz-demo -> glz-demo7: glz-demo7-audit-…, /glz/demo7/cloudtrail
        return f"{token}r{k}"  # vpc-0a1b2c3d -> vpc-0a1b2c3dr7 (keeps every character class of the ID)

    def copy(self, k: int) -> list[dict[str, Any]]:
        if k == 0:
            return copying.deepcopy(self.template)

        def rewrite(match: re.Match[str]) -> str:
            text = match.group(0)
            if text.startswith("urn:pulumi:"):
                return self.urn(text, k)
            return self.token(text, k)

        entries = json.loads(self.pattern.sub(rewrite, self.text))
        for original, entry in zip(self.template, entries, strict=True):
            _make_unique(original, entry, k)
        return entries


def _make_unique(original: dict[str, Any], entry: dict[str, Any], k: int) -> None:
    """IDs and ARNs no token reached (a hub's 'default', a feature's name): suffix them in place, so
    every copy's ARN is its own. Nothing references these, so nothing else needs rewriting."""
    same_id = entry.get("id") is not None and entry.get("id") == original.get("id")
    if same_id:
        entry["id"] = f"{entry['id']}-r{k}"
    for section in ("outputs", "inputs"):
        props, before = entry.get(section) or {}, original.get(section) or {}
        if same_id and "id" in props and props["id"] == before.get("id"):
            props["id"] = entry["id"]
        if isinstance(props.get("arn"), str) and props["arn"] == before.get("arn"):
            props["arn"] = f"{props['arn']}-r{k}"


def replicate(document: dict[str, Any], copies: int) -> dict[str, Any]:
    """A state with ``copies`` copies of every resource (copy 0 is the original) but the shared stack
    and providers: (resources - shared) * copies + shared resources."""
    if copies < 1:
        raise ValueError("copies must be at least 1")
    replicator = Replicator(document)
    entries = list(copying.deepcopy(replicator.shared))
    for k in range(copies):
        entries += replicator.copy(k)
    scaled = copying.deepcopy({**document, "deployment": {**document["deployment"], "resources": []}})
    scaled["deployment"]["resources"] = entries
    return scaled


def copies_for(document: dict[str, Any], resources: int) -> int:
    """How many copies come closest to ``resources`` resources."""
    entries = resources_of(document)
    shared = sum(1 for e in entries if _shared(e))
    per_copy = max(len(entries) - shared, 1)
    return max(1, round((resources - shared) / per_copy))
