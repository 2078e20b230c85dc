"""Adapters from the shared rules to Pulumi CrossGuard policies (used by policies/__main__.py).

Kept apart from __main__.py because building a PolicyPack starts a server and blocks; tests build
the policies here and call their validate functions directly.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.framework import AWS_PROVIDER, Rule, StackView, View
from policies.suppressions import Suppression

NIST_R2 = PolicyComplianceFramework(
    name="NIST SP 800-171",
    version="Rev. 2",
    specification="Protecting Controlled Unclassified Information in Nonfederal Systems and Organizations",
)


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return _plain(value.value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _resource_stack(args: ResourceValidationArgs) -> tuple[View, StackView]:
    resource = View(args.resource_type, args.urn, args.name, _plain(dict(args.props)))
    views = [resource]
    if args.provider is not None and args.provider.resource_type == AWS_PROVIDER:
        views.append(View(AWS_PROVIDER, args.provider.urn, args.provider.name, _plain(dict(args.provider.props))))
    return resource, StackView(views)


def _stack(args: StackValidationArgs) -> StackView:
    views = [
        View(
            type=r.resource_type,
            urn=r.urn,
            name=r.name,
            props=_plain(dict(r.props)),
            parent=r.parent.urn if r.parent is not None else None,
            dependencies=tuple(d.urn for d in r.dependencies),
            property_dependencies={k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()},
        )
        for r in args.resources
    ]
    return StackView(views)


def _suppressed(suppressions: list[Suppression], rule: Rule, urn: str) -> bool:
    import datetime as dt

    today = dt.date.today()
    return any(s.matches(rule.id, urn) and not s.expired(today) for s in suppressions)


def to_policy(rule: Rule, suppressions: list[Suppression] | None = None):
    """One CrossGuard policy for one rule; suppressed findings are not reported to the engine."""
    suppressions = suppressions or []
    common = {
        "name": rule.name,
        "description": f"{rule.id}: {rule.description}",
        "enforcement_level": EnforcementLevel(rule.enforcement),
        "severity": Severity(rule.severity),
        "framework": PolicyComplianceFramework(
            name=NIST_R2.name,
            version=NIST_R2.version,
            specification=NIST_R2.specification,
            reference=", ".join(rule.requirements.r2) or None,
        ),
        "tags": [rule.id, *rule.requirements.tags()],
        "remediation_steps": rule.remediation,
    }
    if rule.check_resource is not None:
        check = rule.check_resource

        def validate_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if args.resource_type not in rule.resource_types:
                return
            resource, stack = _resource_stack(args)
            if _suppressed(suppressions, rule, args.urn):
                return
            for message in check(resource, stack):
                report_violation(f"{rule.id}: {message}", args.urn)

        return ResourceValidationPolicy(validate=validate_resource, **common)

    check_stack = rule.check_stack

    def validate_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for violation in check_stack(_stack(args)):
            if not _suppressed(suppressions, rule, violation.urn):
                report_violation(f"{rule.id}: {violation.message}", violation.urn or None)

    return StackValidationPolicy(validate=validate_stack, **common)


def build_policies(rules: list[Rule], suppressions: list[Suppression] | None = None) -> list[Any]:
    return [to_policy(rule, suppressions) for rule in rules]
