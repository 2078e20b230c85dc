"""The index-based joins proposed for the rule helpers that scan the whole state per resource.

Not part of the gate: `bench_rules.py --mode fixes` patches these into the rule modules in its
child process, to measure what the fixes would give and to check they find exactly what the
committed rules find (same subjects, same findings, byte for byte). The rule modules belong to their
owners; each function here says which one it replaces and how, so the owner can apply it there.
Rule bodies are not patched: the hot spots left in them are listed in docs/benchmarks.md.
"""

from __future__ import annotations

import hashlib
import inspect
import weakref
from collections.abc import Iterator

import yaml

from policies.framework import StackView, View, condition_values, principals, statements
from policies.rules import account
from policies.rules import s3_support as s3


def siblings(stack: StackView, bucket: View, typ: str) -> list[View]:
    """s3_support.siblings: was a scan of every ``typ`` resource per bucket (buckets x siblings)."""
    return stack.linked(typ, "bucket", bucket.urn, s3.bucket_name(bucket))


def plans_for(stack: StackView, bucket: View) -> list[View]:
    """account.plans_for: was a scan of every Malware Protection plan per intake bucket."""
    return stack.linked(
        account.MALWARE_PLAN,
        "protectedResource",
        bucket.urn,
        s3.bucket_name(bucket),
        value_prop=("protectedResource", "s3Bucket", "bucketName"),
    )


def _role_of(stack: StackView, plan: View) -> View | None:
    """account._role_of: was a scan of every role per plan, and once per plan *per plan* in GLZ-ACC-010's
    ``scanned`` set (plans^2 x roles). By URN, then by ARN; the first in state order, as before. (A plan
    without a role no longer matches a role without an ARN: the scan compared None == None.)"""
    linked = [stack.by_urn[u] for u in plan.property_dependencies.get("role") or [] if u in stack.by_urn]
    found = [r for r in linked if r.type == account.ROLE] + stack.find_by_value(account.ROLE, "arn", plan.get("role"))
    ordered = stack.ordered(found)
    return ordered[0] if ordered else None


def _attached_to(stack: StackView, typ: str, role: View) -> list[View]:
    """account._attached_to: was a scan of every attachment or inline policy per scan role."""
    return stack.linked(typ, "role", role.urn, role.get("name") or None)


_NAMED: weakref.WeakKeyDictionary[StackView, tuple[list[str], dict[str, list[int]], dict[str, list[int]]]] = (
    weakref.WeakKeyDictionary()
)


def _named_in_bucket_policies(stack: StackView) -> tuple[list[str], dict[str, list[int]], dict[str, list[int]]]:
    """Once per stack: data buckets with a policy, and which of them name each principal ARN (exactly,
    and by the role name after ':role/', for roles whose ARN is not known yet)."""
    if stack not in _NAMED:
        names: list[str] = []
        by_arn: dict[str, list[int]] = {}
        by_role_name: dict[str, list[int]] = {}
        for bucket in s3.data_buckets(stack):
            policy = s3.sibling(stack, bucket, s3.POLICY)
            if policy is None:
                continue
            index = len(names)
            names.append(s3.bucket_name(bucket))
            named = {
                str(p)
                for statement in statements(policy.json("policy"))
                for p in [
                    *condition_values(statement, "ArnNotLike", "aws:PrincipalArn"),
                    *condition_values(statement, "ArnNotEquals", "aws:PrincipalArn"),
                    *[q.partition(":")[2] for q in principals(statement)],
                ]
            }
            for entry in named:
                by_arn.setdefault(entry, []).append(index)
                _head, found, tail = entry.rpartition(":role/")
                if found:
                    by_role_name.setdefault(tail, []).append(index)
        _NAMED[stack] = (names, by_arn, by_role_name)
    return _NAMED[stack]


def _exempt_elsewhere(stack: StackView, role: View, scanned: set[str]) -> Iterator[str]:
    """account._exempt_elsewhere: was, per scan role, every data bucket's policy found by a scan and
    parsed again (roles x buckets x policies). Now the policies are read once per stack and the
    role is looked up by ARN (or by name, before its ARN is known), as account._names_role compares."""
    names, by_arn, by_role_name = _named_in_bucket_policies(stack)
    if role.get("arn"):
        hits = by_arn.get(role.get("arn"), [])
    elif role.get("name"):
        hits = by_role_name.get(role.get("name"), [])
    else:
        hits = []
    for index in sorted(set(hits)):
        if names[index] not in scanned:
            yield names[index]


def _config_rule_owners(template: object) -> list[str]:
    """account._config_rule_owners: the same, parsed with libyaml (yaml.CSafeLoader) when PyYAML has it:
    the pure-Python parser spends ~35 ms per conformance pack, most of the gate's time on a small stack."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(template, Loader=loader) if isinstance(template, str) else None
    except yaml.YAMLError:
        return []
    resources = (document or {}).get("Resources") or {} if isinstance(document, dict) else {}
    return [
        str(((body or {}).get("Properties") or {}).get("Source", {}).get("Owner"))
        for body in resources.values()
        if isinstance(body, dict) and body.get("Type") == "AWS::Config::ConfigRule"
    ]


PATCHES = (
    # (module, function, sha256 prefix of the source these fixes were written against, replacement)
    (s3, "siblings", "004be114a7f1e4e2", siblings),
    (account, "plans_for", "33c5c3fa39c7d2cd", plans_for),
    (account, "_role_of", "8c16d6e9685fc9f7", _role_of),
    (account, "_attached_to", "c313a63ea7ba5761", _attached_to),
    (account, "_exempt_elsewhere", "621593d8f6473f5c", _exempt_elsewhere),
    (account, "_config_rule_owners", "621120cbe0fa12a7", _config_rule_owners),
)


def source_sha(function: object) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def apply() -> tuple[list[str], list[str]]:
    """Patch the helpers into the rule modules (this process only): (patched, skipped). A helper whose
    source is no longer the one these fixes replace (its owner changed it, or applied the fix) is left
    alone, so the benchmark never measures a stale copy of a rule."""
    patched, skipped = [], []
    for module, name, sha, function in PATCHES:
        original = getattr(module, name, None)
        where = f"{module.__name__}.{name}"
        if original is not None and source_sha(original) == sha:
            setattr(module, name, function)
            patched.append(where)
        else:
            skipped.append(where)
    return patched, skipped
