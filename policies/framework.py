"""The rule model shared by the CrossGuard pack and the offline runner.

Rules see a neutral view of resources (type, URN, camelCase props), so the same function runs
on `pulumi preview` arguments and on a `pulumi stack export` file. Rules import nothing from
Pulumi or the components: the pack's own environment needs only pulumi-policy and PyYAML.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

SEVERITIES = ("critical", "high", "medium", "low")
ENFORCEMENT = ("mandatory", "advisory")
STACK_TYPE = "pulumi:pulumi:Stack"
AWS_PROVIDER = "pulumi:providers:aws"
T = TypeVar("T")


@dataclass(frozen=True)
class Requirements:
    """What a rule evidences: NIST SP 800-171 r2 and r3 IDs and HIPAA citations."""

    r2: tuple[str, ...] = ()
    r3: tuple[str, ...] = ()
    hipaa: tuple[str, ...] = ()

    def tags(self) -> list[str]:
        return (
            [f"nist-800-171-r2:{i}" for i in self.r2]
            + [f"nist-800-171-r3:{i}" for i in self.r3]
            + [f"hipaa:{i}" for i in self.hipaa]
        )


@dataclass(frozen=True)
class View:
    """One resource as a rule sees it."""

    type: str
    urn: str
    name: str
    props: dict[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)

    def json(self, key: str) -> Any:
        """A JSON-document property (IAM/bucket/key policies) parsed, or {} when absent."""
        return parse_json(self.props.get(key))

    @property
    def tags(self) -> dict[str, str]:
        return self.props.get("tags") or {}


@dataclass(frozen=True)
class Violation:
    urn: str
    message: str


class StackView:
    """All resources of a stack, with the joins stack rules need.

    The state is indexed once: by type and URN when the view is built; by ARN, by name and by
    reference (property dependencies and dependencies) on first use; by property value per
    (type, property) on first use of that pair; the provider's account and tags on first read. Rules
    join through these lookups, so none needs a scan of the whole state inside a loop over resources.
    ``resources`` must not change after the view is built.
    """

    def __init__(self, resources: list[View], stack_urn: str = ""):
        self.resources = resources
        self.by_urn: dict[str, View] = {r.urn: r for r in resources}
        self._position: dict[int, int] = {}
        self._by_type: dict[str, list[View]] = {}
        for position, resource in enumerate(resources):
            self._position.setdefault(id(resource), position)
            self._by_type.setdefault(resource.type, []).append(resource)
        self.stack_urn = stack_urn or next((r.urn for r in self._by_type.get(STACK_TYPE, ())), "")
        self._of_types: dict[tuple[str, ...], list[View]] = {}
        self._by_arn: dict[str, View] | None = None
        self._by_name: dict[tuple[str, str], View] | None = None
        self._referencing: dict[tuple[str, str | None], list[View]] | None = None
        self._by_value: dict[tuple[Any, ...], dict[Any, list[View]]] = {}
        self._provider_facts: tuple[Any, str | None] | None = None
        self._memo: dict[Hashable, Any] = {}

    def of_type(self, *types: str) -> list[View]:
        """Resources of any of ``types``, in state order (a new list each call)."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        found = self._of_types.get(types)
        if found is None:
            found = self.ordered(r for typ in dict.fromkeys(types) for r in self._by_type.get(typ, ()))
            self._of_types[types] = found
        return list(found)

    def by_arn(self, arn: Any) -> View | None:
        """The resource whose ``arn`` property is ``arn`` (the first in state order), or None."""
        if self._by_arn is None:
            index: dict[str, View] = {}
            for resource in self.resources:
                value = resource.props.get("arn")
                if isinstance(value, str) and value:
                    index.setdefault(value, resource)
            self._by_arn = index
        return self._by_arn.get(arn) if isinstance(arn, str) else None

    def named(self, typ: str, name: Any) -> View | None:
        """The resource of ``typ`` called ``name``: by physical name (its ``bucket``, ``name`` or ``id``
        property, as an export names buckets, roles and most resources), else by logical name (the
        URN's last part). The first such resource in state order, or None."""
        if self._by_name is None:
            physical: dict[tuple[str, str], View] = {}
            logical: dict[tuple[str, str], View] = {}
            for resource in self.resources:
                for prop in PHYSICAL_NAME_PROPS:
                    value = resource.props.get(prop)
                    if isinstance(value, str) and value:
                        physical.setdefault((resource.type, value), resource)
                logical.setdefault((resource.type, resource.name), resource)
            for key, resource in logical.items():
                physical.setdefault(key, resource)
            self._by_name = physical
        return self._by_name.get((typ, name)) if isinstance(name, str) else None

    def referencing(self, urn: str, prop: str | None = None) -> list[View]:
        """Resources that point at ``urn``: through the property dependency ``prop`` when given, else
        through any property dependency or dependency. State order, each resource once."""
        if self._referencing is None:
            index: dict[tuple[str, str | None], list[View]] = {}
            for resource in self.resources:
                anywhere: dict[str, None] = {}
                for key, targets in (resource.property_dependencies or {}).items():
                    for target in dict.fromkeys(targets or ()):
                        index.setdefault((target, key), []).append(resource)
                        anywhere[target] = None
                anywhere.update(dict.fromkeys(resource.dependencies or ()))
                for target in anywhere:
                    index.setdefault((target, None), []).append(resource)
            self._referencing = index
        return list(self._referencing.get((urn, prop), ()))

    def find_by_value(
        self,
        typ: str,
        prop: str | tuple[str, ...],
        value: Any,
        *,
        each: bool = False,
        normalize: Callable[[Any], Any] | None = None,
    ) -> list[View]:
        """Resources of ``typ`` whose property ``prop`` equals ``value``, in state order; a tuple of
        keys reaches into nested objects (``("tags", "OperatorRole")``). A missing or None property
        never matches, nor does a list or object value, unless ``each``: then a list matches when one
        of its elements does. ``normalize`` is applied to the property's values and to ``value`` before
        comparing (say, stripping a log group ARN's ':*'); a value it maps to None is left out.
        Indexed on first use of each (type, prop, each, normalize)."""
        key = (typ, prop, each, normalize)
        index = self._by_value.get(key)
        if index is None:
            index = {}
            path = (prop,) if isinstance(prop, str) else tuple(prop)
            for resource in self._by_type.get(typ, ()):
                found = _dig(resource.props, path)
                values = found if each and isinstance(found, list) else [found]
                for item in dict.fromkeys(v for v in values if v is not None and not isinstance(v, (dict, list))):
                    normal = normalize(item) if normalize is not None else item
                    if normal is not None:
                        bucket = index.setdefault(normal, [])
                        if not bucket or bucket[-1] is not resource:
                            bucket.append(resource)
            self._by_value[key] = index
        if value is None:
            return []
        try:
            return list(index.get(normalize(value) if normalize is not None else value, ()))
        except TypeError:  # an unhashable value: a list or object never equals a scalar
            return []

    def linked(
        self, typ: str, prop: str, urn: str, value: Any = None, value_prop: str | tuple[str, ...] | None = None
    ) -> list[View]:
        """Resources of ``typ`` joined to a target: by property dependency ``prop`` on the target's
        ``urn`` (works in a preview, where names are unknown) or by ``value_prop`` (default ``prop``)
        equal to ``value``, the target's name, id or ARN (works on any export). State order, each once."""
        found = [r for r in self.referencing(urn, prop) if r.type == typ]
        if value is not None:
            found += self.find_by_value(typ, value_prop or prop, value)
        return self.ordered(found)

    def ordered(self, views: Iterable[View]) -> list[View]:
        """``views`` (results of several lookups) in state order, each once. A view made from one of the
        stack's (``dataclasses.replace``) takes its original's place, by URN."""
        unique = {id(v): v for v in views}
        return sorted(unique.values(), key=self._order_of)

    def ordered_position(self, view: View) -> int:
        """Where ``view`` stands in state order (to pick the first of a few lookups' results)."""
        return self._order_of(view)

    def _order_of(self, view: View) -> int:
        position = self._position.get(id(view))
        if position is None:  # not one of the stack's views: where its original is, else last
            position = self._position.get(id(self.by_urn.get(view.urn)), len(self.resources))
        return position

    def memo(self, key: Hashable, build: Callable[[StackView], T]) -> T:
        """``build(self)`` once per view and ``key``: for what rules derive from the whole stack (an
        index of their own, the access model, bucket tiers), so every rule and every resource shares it."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build(self)
            return value

    def _provider(self) -> tuple[Any, str | None]:
        if self._provider_facts is None:
            tags: Any = {}
            account: str | None = None
            for provider in self._by_type.get(AWS_PROVIDER, ()):
                if not tags:
                    tags = default_tags_of(provider.props)
                if account is None:
                    allowed = parse_json(provider.props.get("allowedAccountIds"))
                    if isinstance(allowed, list) and allowed:
                        account = str(allowed[0])
            self._provider_facts = (tags or {}, account)
        return self._provider_facts

    @property
    def default_tags(self) -> dict[str, str]:
        """The first AWS provider's default tags (a copy: callers may change it)."""
        tags = self._provider()[0]
        return dict(tags) if isinstance(tags, dict) else tags

    @property
    def classification(self) -> str:
        """From the provider's default tags; unknown stacks are treated as the strictest class."""
        return self._provider()[0].get("DataClassification", "phi")

    @property
    def account_id(self) -> str | None:
        """The account the stack is pinned to (the provider's allowedAccountIds)."""
        return self._provider()[1]

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack's outputs (what the program declares from its settings), {} when unknown (a preview)."""
        return next((dict(r.props) for r in self._by_type.get(STACK_TYPE, ())), {})

    @property
    def anchor(self) -> str:
        """Where stack-wide findings point: the stack resource's URN."""
        return self.stack_urn or "urn:pulumi:stack"


PHYSICAL_NAME_PROPS = ("bucket", "name", "id")
"""Properties that carry a resource's physical name, most specific first (StackView.named)."""


def _dig(props: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = props
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def default_tags_of(provider_props: dict[str, Any]) -> dict[str, str]:
    value = parse_json(provider_props.get("defaultTags"))
    if isinstance(value, dict):
        tags = value.get("tags") or {}
        return parse_json(tags) if isinstance(tags, str) else tags
    return {}


def summarize(items: list[str], limit: int = 4, separator: str = ", ") -> str:
    """The first ``limit`` items and how many more: finding messages stay readable on large stacks."""
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return separator.join(items[:limit]) + more


def parse_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if value is not None else {}


def principals(statement: dict[str, Any]) -> list[str]:
    """Every principal a statement names, as 'KIND:value' ('*' alone for Principal '*')."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [principal]
    return [f"{kind}:{v}" for kind, who in (principal or {}).items() for v in as_list(who)]


def names_anyone(statement: dict[str, Any]) -> bool:
    """True when a statement's principal is everyone: Principal '*' or {"<kind>": "*"}."""
    return any(p.rpartition(":")[2] == "*" for p in principals(statement))


def condition_values(statement: dict[str, Any], operator_suffix: str, key: str) -> list[Any]:
    """Values of condition ``key`` under any operator ending with ``operator_suffix`` (case-insensitive key)."""
    found: list[Any] = []
    for operator, body in (statement.get("Condition") or {}).items():
        if operator.endswith(operator_suffix) and isinstance(body, dict):
            for name, value in body.items():
                if name.lower() == key.lower():
                    found += as_list(value)
    return found


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


ResourceCheck = Callable[[View, StackView], Iterable[str]]
StackCheck = Callable[[StackView], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    description: str
    severity: str
    remediation: str
    requirements: Requirements
    resource_types: tuple[str, ...] = ()
    check_resource: ResourceCheck | None = None
    check_stack: StackCheck | None = None
    enforcement: str = "mandatory"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: severity {self.severity!r} not in {SEVERITIES}")
        if self.enforcement not in ENFORCEMENT:
            raise ValueError(f"{self.id}: enforcement {self.enforcement!r} not in {ENFORCEMENT}")
        if (self.check_resource is None) == (self.check_stack is None):
            raise ValueError(f"{self.id}: give exactly one of check_resource and check_stack")
        if self.check_resource is not None and not self.resource_types:
            raise ValueError(f"{self.id}: resource rules name the resource types they check")

    @property
    def kind(self) -> str:
        return "resource" if self.check_resource else "stack"

    def evaluate(self, stack: StackView) -> Iterator[tuple[str, list[Violation]]]:
        """Yield (subject URN, violations) for every subject checked, passing ones included."""
        if self.check_resource is not None:
            for resource in stack.of_type(*self.resource_types):
                messages = list(self.check_resource(resource, stack))
                yield resource.urn, [Violation(resource.urn, m) for m in messages]
        else:
            assert self.check_stack is not None
            yield stack.anchor, list(self.check_stack(stack))


def resource_rule(
    id: str,
    name: str,
    types: tuple[str, ...],
    severity: str,
    requirements: Requirements,
    remediation: str,
    enforcement: str = "mandatory",
) -> Callable[[ResourceCheck], Rule]:
    """Decorator: the function's docstring is the rule's description."""

    def wrap(check: ResourceCheck) -> Rule:
        return Rule(
            id,
            name,
            (check.__doc__ or "").strip(),
            severity,
            remediation,
            requirements,
            resource_types=types,
            check_resource=check,
            enforcement=enforcement,
        )

    return wrap


def stack_rule(
    id: str,
    name: str,
    severity: str,
    requirements: Requirements,
    remediation: str,
    enforcement: str = "mandatory",
) -> Callable[[StackCheck], Rule]:
    def wrap(check: StackCheck) -> Rule:
        return Rule(
            id,
            name,
            (check.__doc__ or "").strip(),
            severity,
            remediation,
            requirements,
            check_stack=check,
            enforcement=enforcement,
        )

    return wrap
