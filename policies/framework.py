"""The rule model shared by the CrossGuard pack and the offline runner.

Rules see a neutral view of resources (type, URN, camelCase props), so the same function runs
on `pulumi preview` arguments and on a `pulumi stack export` file. Rules import nothing from
Pulumi or the components: the pack's own environment needs only pulumi-policy and PyYAML.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low")
ENFORCEMENT = ("mandatory", "advisory")
STACK_TYPE = "pulumi:pulumi:Stack"
AWS_PROVIDER = "pulumi:providers:aws"


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
    """All resources of a stack, with the joins stack rules need."""

    def __init__(self, resources: list[View], stack_urn: str = ""):
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}
        self.stack_urn = stack_urn or next((r.urn for r in resources if r.type == STACK_TYPE), "")

    def of_type(self, *types: str) -> list[View]:
        return [r for r in self.resources if r.type in types]

    @property
    def default_tags(self) -> dict[str, str]:
        for provider in self.of_type(AWS_PROVIDER):
            tags = default_tags_of(provider.props)
            if tags:
                return tags
        return {}

    @property
    def classification(self) -> str:
        """From the provider's default tags; unknown stacks are treated as the strictest class."""
        return self.default_tags.get("DataClassification", "phi")

    @property
    def account_id(self) -> str | None:
        """The account the stack is pinned to (the provider's allowedAccountIds)."""
        for provider in self.of_type(AWS_PROVIDER):
            allowed = parse_json(provider.props.get("allowedAccountIds"))
            if isinstance(allowed, list) and allowed:
                return str(allowed[0])
        return None

    @property
    def anchor(self) -> str:
        """Where stack-wide findings point: the stack resource's URN."""
        return self.stack_urn or "urn:pulumi:stack"


def default_tags_of(provider_props: dict[str, Any]) -> dict[str, str]:
    value = parse_json(provider_props.get("defaultTags"))
    if isinstance(value, dict):
        tags = value.get("tags") or {}
        return parse_json(tags) if isinstance(tags, str) else tags
    return {}


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
