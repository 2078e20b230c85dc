"""StackView's indexes answer exactly what a scan of the whole state answers, and a replicated state
(glz/scale.py, what benchmarks/bench_rules.py measures) keeps URNs, IDs and ARNs unique and its joins intact."""

from __future__ import annotations

import collections
import itertools
import json
from typing import Any

import pytest

from glz.gate import run_rules, stack_view
from glz.scale import copies_for, replicate
from glz.state import StackState
from policies.framework import AWS_PROVIDER, PHYSICAL_NAME_PROPS, StackView, View, default_tags_of, parse_json
from policies.rules import ALL_RULES

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


@pytest.fixture(scope="module")
def view(demo_state_document) -> StackView:
    return stack_view(StackState(demo_state_document))


def _scalars(props: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every scalar property, nested ones by their path of keys."""
    found = {}
    for key, value in props.items():
        if isinstance(value, dict):
            found.update(_scalars(value, (*prefix, key)))
        elif value is not None and not isinstance(value, list):
            found[(*prefix, key)] = value
    return found


def test_of_type_matches_a_scan_for_every_type(view):
    types = list(dict.fromkeys(r.type for r in view.resources))
    for typ in types:
        assert view.of_type(typ) == [r for r in view.resources if r.type == typ], typ
    assert view.of_type("aws:no/such:Type") == []
    for pair in itertools.combinations(types, 2):
        assert view.of_type(*pair) == [r for r in view.resources if r.type in pair], pair
    for rule in ALL_RULES:
        if rule.resource_types:
            expected = [r for r in view.resources if r.type in rule.resource_types]
            assert view.of_type(*rule.resource_types) == expected, rule.id


def test_lookups_return_new_lists(view):
    buckets = view.of_type(BUCKET)
    buckets.clear()
    assert view.of_type(BUCKET)
    policies = view.find_by_value(BUCKET_POLICY, "bucket", view.of_type(BUCKET)[0].get("bucket"))
    policies.clear()
    assert view.find_by_value(BUCKET_POLICY, "bucket", view.of_type(BUCKET)[0].get("bucket"))


def test_by_urn_and_by_arn_match_a_scan(view):
    for resource in view.resources:
        assert view.by_urn[resource.urn] is resource
    arns = {r.get("arn") for r in view.resources if isinstance(r.get("arn"), str) and r.get("arn")}
    assert len(arns) > 150
    for arn in arns:
        assert view.by_arn(arn) is next(r for r in view.resources if r.get("arn") == arn), arn
    assert view.by_arn("arn:aws:s3:::no-such-bucket") is None
    assert view.by_arn(None) is None


def _named_by_scan(view: StackView, typ: str, name: str) -> View | None:
    of_type = [r for r in view.resources if r.type == typ]
    physical = next((r for r in of_type if name in [r.get(p) for p in PHYSICAL_NAME_PROPS]), None)
    return physical or next((r for r in of_type if r.name == name), None)


def test_named_matches_a_scan(view):
    checked = 0
    for resource in view.resources:
        for name in {resource.name, *(resource.get(p) for p in PHYSICAL_NAME_PROPS)}:
            if isinstance(name, str) and name:
                assert view.named(resource.type, name) is _named_by_scan(view, resource.type, name), name
                checked += 1
    assert checked > 400
    bucket = view.of_type(BUCKET)[0]
    assert view.named(BUCKET, bucket.get("bucket")) is bucket
    assert view.named(BUCKET, "no-such-bucket") is None


def test_referencing_matches_a_scan(view):
    targets = {u for r in view.resources for urns in r.property_dependencies.values() for u in urns}
    targets |= {u for r in view.resources for u in r.dependencies}
    props = {p for r in view.resources for p in r.property_dependencies}
    assert len(targets) > 50 and "bucket" in props
    for urn in targets:
        anywhere = [
            r
            for r in view.resources
            if urn in r.dependencies or any(urn in urns for urns in r.property_dependencies.values())
        ]
        assert view.referencing(urn) == anywhere, urn
        for prop in props:
            expected = [r for r in view.resources if urn in (r.property_dependencies.get(prop) or [])]
            assert view.referencing(urn, prop) == expected, (urn, prop)
    assert view.referencing("urn:pulumi:demo::nothing") == []


def test_find_by_value_matches_a_scan_for_every_scalar_property(view):
    checked = 0
    for typ in dict.fromkeys(r.type for r in view.resources):
        of_type = [r for r in view.resources if r.type == typ]
        paths = {path: None for r in of_type for path in _scalars(r.props)}
        for path in paths:
            prop = path[0] if len(path) == 1 else path
            values = {_scalars(r.props).get(path) for r in of_type} - {None}
            for value in values:
                expected = [r for r in of_type if _scalars(r.props).get(path) == value]
                assert view.find_by_value(typ, prop, value) == expected, (typ, prop, value)
                checked += 1
    assert checked > 1000
    assert view.find_by_value(BUCKET, "bucket", None) == []
    assert view.find_by_value(BUCKET, "bucket", ["a", "list"]) == []
    admins = view.find_by_value("aws:iam/role:Role", ("tags", "OperatorRole"), "admin")
    assert [r.tags.get("OperatorRole") for r in admins] == ["admin"]


def _lists(props: dict[str, Any]) -> dict[str, list]:
    return {k: v for k, v in props.items() if isinstance(v, list) and v and all(isinstance(i, str) for i in v)}


def test_find_by_value_each_matches_list_elements_as_a_scan_does(view):
    checked = 0
    for typ in dict.fromkeys(r.type for r in view.resources):
        of_type = [r for r in view.resources if r.type == typ]
        for prop in {p for r in of_type for p in _lists(r.props)}:
            for value in {i for r in of_type for i in _lists(r.props).get(prop, [])}:
                expected = [r for r in of_type if value in (_lists(r.props).get(prop) or [])]
                assert view.find_by_value(typ, prop, value, each=True) == expected, (typ, prop, value)
                checked += 1
    assert checked > 20


def test_find_by_value_normalizes_both_sides():
    group = "aws:cloudwatch/logGroup:LogGroup"
    views = [
        View(group, "urn:a", "a", {"arn": "arn:aws:logs:us-east-1:1:log-group:/a:*"}),
        View(group, "urn:b", "b", {"arn": "arn:aws:logs:us-east-1:1:log-group:/b"}),
        View(group, "urn:c", "c", {"arn": ["arn:aws:logs:us-east-1:1:log-group:/a", "x"]}),
    ]
    stack = StackView(views)

    def bare(value):
        return str(value).removesuffix(":*")

    a = "arn:aws:logs:us-east-1:1:log-group:/a"
    assert stack.find_by_value(group, "arn", a) == []
    assert stack.find_by_value(group, "arn", a, normalize=bare) == [views[0]]
    assert stack.find_by_value(group, "arn", a + ":*", normalize=bare, each=True) == [views[0], views[2]]
    assert stack.find_by_value(group, "arn", "x", each=True) == [views[2]]
    assert stack.find_by_value(group, "arn", "x") == []


def test_linked_joins_buckets_with_their_siblings_as_a_scan_does(view):
    """The join pulumi-aws v7 bucket rules need: property dependency on the bucket, or its name."""
    sibling_types = {r.type for r in view.resources if r.type.startswith("aws:s3/bucket") and r.type != BUCKET}
    assert len(sibling_types) >= 7
    for bucket in view.of_type(BUCKET):
        name = bucket.get("bucket") or bucket.get("id") or bucket.name
        for typ in sibling_types:
            expected = [
                r
                for r in view.resources
                if r.type == typ
                and (bucket.urn in (r.property_dependencies.get("bucket") or []) or r.get("bucket") == name)
            ]
            assert view.linked(typ, "bucket", bucket.urn, name) == expected, (bucket.urn, typ)
            by_dependency = [r for r in expected if bucket.urn in (r.property_dependencies.get("bucket") or [])]
            assert view.linked(typ, "bucket", bucket.urn) == by_dependency


def test_linked_by_a_nested_value_finds_each_buckets_malware_plans(view):
    plan_type = "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"
    path = ("protectedResource", "s3Bucket", "bucketName")
    found = 0
    for bucket in view.of_type(BUCKET):
        name = bucket.get("bucket")
        expected = [
            p
            for p in view.resources
            if p.type == plan_type
            and (
                bucket.urn in (p.property_dependencies.get("protectedResource") or [])
                or ((p.get("protectedResource") or {}).get("s3Bucket") or {}).get("bucketName") == name
            )
        ]
        assert view.linked(plan_type, "protectedResource", bucket.urn, name, value_prop=path) == expected
        found += len(expected)
    assert found == len(view.of_type(plan_type)) > 0


def test_ordered_puts_lookups_and_their_copies_in_state_order(view):
    from dataclasses import replace

    buckets = view.of_type(BUCKET)
    copy = replace(buckets[0], props={**buckets[0].props, "tags": {"DataTier": "other"}})
    assert view.ordered([buckets[2], copy, buckets[1], buckets[2]]) == [copy, buckets[1], buckets[2]]


def test_stack_facts_are_the_providers(view, demo_state_document):
    providers = [r for r in view.resources if r.type == AWS_PROVIDER]
    allowed = parse_json(providers[0].props.get("allowedAccountIds"))
    assert view.account_id == str(allowed[0]) == "111122223333"
    assert view.default_tags == default_tags_of(providers[0].props)
    assert view.classification == view.default_tags.get("DataClassification", "phi") == "phi"
    tags = view.default_tags
    tags["DataClassification"] = "public"
    assert view.classification == "phi"
    assert view.anchor == next(r.urn for r in view.resources if r.type == "pulumi:pulumi:Stack")


def test_an_empty_or_partial_view_answers_like_a_scan():
    """CrossGuard builds a view of one resource (and its provider) per resource policy."""
    empty = StackView([])
    assert empty.of_type(BUCKET) == [] and empty.by_arn("x") is None and empty.named(BUCKET, "x") is None
    assert empty.account_id is None and empty.default_tags == {} and empty.classification == "phi"
    assert empty.anchor == "urn:pulumi:stack"
    bucket = View(BUCKET, "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", "b", {"bucket": "b-1"})
    single = StackView([bucket])
    assert single.named(BUCKET, "b-1") is bucket and single.named(BUCKET, "b") is bucket
    assert single.memo("k", lambda s: [len(s.resources)]) is single.memo("k", lambda s: [])


# --- replicated states ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replicated(demo_state_document) -> dict:
    return replicate(demo_state_document, 3)


def _shared(entry: dict) -> bool:
    return entry["type"] == "pulumi:pulumi:Stack" or entry["type"].startswith("pulumi:providers:")


def test_replicated_state_has_unique_urns_ids_and_arns(demo_state_document, replicated):
    original = demo_state_document["deployment"]["resources"]
    scaled = replicated["deployment"]["resources"]
    shared = sum(1 for e in original if _shared(e))
    assert len(scaled) == (len(original) - shared) * 3 + shared
    urns = [e["urn"] for e in scaled]
    assert len(set(urns)) == len(urns)

    def arns(entries):
        return {
            (e.get(section) or {}).get("arn")
            for e in entries
            for section in ("outputs", "inputs")
            if (e.get(section) or {}).get("arn")
        }

    assert len(arns(scaled)) == 3 * len(arns(e for e in original if not _shared(e)))
    ids = collections.Counter((e["type"], e.get("id")) for e in scaled if e.get("id"))
    assert len(ids) == 3 * len({(e["type"], e.get("id")) for e in original if e.get("id") and not _shared(e)}) + sum(
        1 for e in original if e.get("id") and _shared(e)
    )
    buckets = [(e.get("outputs") or {}).get("bucket") for e in scaled if e["type"] == BUCKET]
    assert len(set(buckets)) == len(buckets) == 3 * sum(1 for e in original if e["type"] == BUCKET)
    for entry in scaled:  # every reference stays inside the state
        for urn in [entry.get("parent"), *entry.get("dependencies", [])] + [
            u for urns in (entry.get("propertyDependencies") or {}).values() for u in urns
        ]:
            assert urn is None or urn in set(urns), (entry["urn"], urn)


def test_replicated_copies_join_their_own_siblings(replicated):
    view = stack_view(StackState(replicated))
    for policy in view.of_type(BUCKET_POLICY):
        by_dependency = [view.by_urn[u] for u in policy.property_dependencies.get("bucket") or []]
        by_name = view.find_by_value(BUCKET, "bucket", policy.get("bucket"))
        assert len(by_name) == 1 and by_dependency == by_name, policy.urn
        document = json.dumps(policy.json("policy"))
        assert f"arn:aws:s3:::{policy.get('bucket')}" in document


JOIN_RULES = (
    "GLZ-S3-001",
    "GLZ-S3-002",
    "GLZ-S3-003",
    "GLZ-S3-004",
    "GLZ-S3-008",
    "GLZ-S3-009",
    "GLZ-LOG-006",
    "GLZ-NET-001",
    "GLZ-NET-006",
    "GLZ-ACC-010",
    "GLZ-ACC-011",
)
"""Rules that join a resource with its siblings (by property dependency and by name) and nothing else:
a copy whose names were rewritten inconsistently would fail them. Rules over the access model may find
more in a replicated state, rightly: the copies share one account, so each copy's admin reaches the
other copies' audit buckets and keys."""


def test_replicated_state_gets_the_demos_subjects_and_join_findings_once_per_copy(demo_state_document, replicated):
    def outcome(document):
        result = run_rules(StackState(document), ALL_RULES, [])
        checked = collections.Counter(rule for rule, _, _ in result.checked)
        findings = collections.Counter(f.rule_id for f in result.findings)
        return checked, findings

    checked, findings = outcome(demo_state_document)
    scaled_checked, scaled_findings = outcome(replicated)
    for rule in ALL_RULES:
        expected = checked[rule.id] if rule.kind == "stack" else 3 * checked[rule.id]
        assert scaled_checked[rule.id] == expected, rule.id
    joins = [r.id for r in ALL_RULES if r.id in JOIN_RULES]
    assert len(joins) >= 8
    for rule_id in joins:
        assert scaled_findings[rule_id] == 3 * findings[rule_id], rule_id


def test_copies_for_comes_closest_to_the_size_asked(demo_state_document):
    for target in (5000, 20000):
        copies = copies_for(demo_state_document, target)
        per_copy = len(demo_state_document["deployment"]["resources"]) - 2
        assert abs(copies * per_copy + 2 - target) <= per_copy / 2
