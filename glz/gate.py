"""The offline policy gate: the CrossGuard rules run over a stack state, with suppressions applied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from glz.errors import UserInputError
from glz.state import StackState

if TYPE_CHECKING:
    from glz.checkov_warm import WarmCheckov
from policies.framework import Rule, StackView, View
from policies.suppressions import Suppression


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str
    urn: str
    resource_type: str
    message: str
    source: str = "glz"  # glz | checkov | cfn-lint
    enforcement: str = "mandatory"
    suppressed_reason: str | None = None

    @property
    def status(self) -> str:
        return "suppressed" if self.suppressed_reason else "failed"

    @property
    def blocking(self) -> bool:
        return self.suppressed_reason is None and self.enforcement == "mandatory"


@dataclass
class GateResult:
    findings: list[Finding] = field(default_factory=list)
    checked: list[tuple[str, str, bool]] = field(default_factory=list)  # (rule id, subject URN, passed)
    expired: list[Suppression] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.expired and not any(f.blocking for f in self.findings)

    def failed_rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings if f.status == "failed"}


def stack_view(state: StackState) -> StackView:
    """A stack state seen as the CrossGuard pack would see it (inputs over outputs).

    Built once per state: the rules, the matrix probes and the data-path diagram share the view and what it
    memoizes (the access model, the indexes), since a StackState does not change after it is built (issue 17:
    36 rebuilds cost a second at 5,000 resources)."""
    cached = state.__dict__.get("_glz_view")
    if cached is not None:
        return cached
    views = [
        View(
            type=r.type,
            urn=r.urn,
            name=r.name,
            props={**r.outputs, **r.inputs},
            parent=r.parent,
            dependencies=r.dependencies,
            property_dependencies=r.property_dependencies,
        )
        for r in state.resources
    ]
    view = state._glz_view = StackView(views)  # type: ignore[attr-defined]
    return view


def _suppression_for(suppressions: list[Suppression], rule_id: str, urn: str, today: dt.date) -> Suppression | None:
    for suppression in suppressions:
        if not suppression.expired(today) and suppression.matches(rule_id, urn):
            return suppression
    return None


def run_rules(
    state: StackState, rules: list[Rule], suppressions: list[Suppression], today: dt.date | None = None
) -> GateResult:
    today = today or dt.date.today()
    view = stack_view(state)
    types = {r.urn: r.type for r in view.resources}
    result = GateResult(expired=[s for s in suppressions if s.expired(today)])
    for rule in rules:
        for subject, violations in rule.evaluate(view):
            result.checked.append((rule.id, subject, not violations))
            for violation in violations:
                suppression = _suppression_for(suppressions, rule.id, violation.urn, today)
                result.findings.append(
                    Finding(
                        rule_id=rule.id,
                        severity=rule.severity,
                        urn=violation.urn,
                        resource_type=types.get(violation.urn, "stack"),
                        message=violation.message,
                        enforcement=rule.enforcement,
                        suppressed_reason=suppression.reason if suppression else None,
                    )
                )
    return result


def add_checkov(
    result: GateResult, state: StackState, out_dir: Path, project_dir: Path, warm: WarmCheckov | None = None
) -> None:
    """Run checkov on the same state (exported as a Terraform plan) and fold its results into the gate:
    an unskipped failure blocks, a skipped check is reported as suppressed with its reason. The notes
    name every resource type checkov does not see (no Terraform type in its catalog), so a resource
    that escapes checkov is never silent."""
    from glz.checkov_registry import (
        CheckovRegistryError,
        cached_registry,
        coverage,
        finish_registry,
        start_registry,
        store_registry,
    )
    from glz.checkov_runner import CheckovError, catalog_of, find_checkov, run_checkov
    from glz.tfplan import write_plan

    checkov = find_checkov(project_dir)
    plan = out_dir / "plan.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    write_plan(state, plan)
    registry = cached_registry(checkov)  # kept on disk per checkov version: no second checkov process
    registry_process = None if registry else start_registry(checkov)  # else read the catalog while it scans

    def catalog():
        """checkov's catalog from the registry (read beside the scan the first time), not from `--list`."""
        nonlocal registry, registry_process
        if registry is None:
            process, registry_process = registry_process, None
            try:
                registry = finish_registry(process)
            except CheckovRegistryError as error:
                raise UserInputError(f"checkov at {checkov}: {error}") from None
            store_registry(checkov, registry)
        return catalog_of(registry.listing)

    try:
        usable = warm if warm is not None and warm.executable == checkov else None
        if warm is not None and usable is None:
            warm.cancel()
        scan = run_checkov(plan, project_dir / "policies" / "checkov-skips.yaml", checkov, warm=usable, catalog=catalog)
    except BaseException as error:
        if registry_process is not None:
            registry_process.kill()
            registry_process.communicate()
        if isinstance(error, CheckovError):
            raise UserInputError(f"checkov could not scan {plan}: {error}") from None
        raise
    types = {r.urn: r.type for r in state.resources}
    for finding in scan.passed:
        result.checked.append((finding.check_id, finding.urn or finding.address, True))
    for finding in scan.failed:
        urn = finding.urn or finding.address
        result.checked.append((finding.check_id, urn, False))
        result.findings.append(
            Finding(
                finding.check_id, "high", urn, types.get(urn, finding.address), finding.check_name, source="checkov"
            )
        )
    for skipped in scan.skipped:
        for urn in skipped.urns or skipped.addresses:
            result.findings.append(
                Finding(
                    skipped.check_id,
                    "low",
                    urn,
                    types.get(urn, "checkov"),
                    skipped.check_name,
                    source="checkov",
                    suppressed_reason=skipped.reason,
                )
            )
    result.notes.append(
        f"checkov {scan.checkov_version}: {len(scan.passed)} passed, {len(scan.failed)} failed, "
        f"{len(scan.skipped)} checks skipped with a reason ({scan.duration_seconds:.1f} s)"
    )
    result.notes.extend(coverage((r.type for r in state.resources if r.custom), registry).notes())


CONFORMANCE_PACK_TYPE = "aws:cfg/conformancePack:ConformancePack"
CFN_LINT_CHECK = "CFN-LINT"


def add_cfn_lint(result: GateResult, state: StackState) -> None:
    """Lint every conformance pack template the stack deploys with cfn-lint: errors, warnings and
    informational matches all block, because AWS Config rejects a broken pack only at deploy time."""
    from importlib.metadata import version

    from controls.conformance_pack import lint_template
    from controls.matrix import stack_facts

    region = stack_facts(state, "").region
    regions = (region,) if region != "unknown" else ("us-east-1",)
    packs = [r for r in state.resources if r.type == CONFORMANCE_PACK_TYPE]
    problems_total = 0
    for pack in packs:
        body = pack.inputs.get("templateBody") or pack.outputs.get("templateBody")
        if not isinstance(body, str) or not body.strip():
            continue  # GLZ-ACC-008 reports a pack without a template body
        problems = lint_template(body, regions=regions)
        result.checked.append((CFN_LINT_CHECK, pack.urn, not problems))
        problems_total += len(problems)
        for problem in problems:
            result.findings.append(
                Finding(
                    CFN_LINT_CHECK, "high", pack.urn, pack.type, f"conformance pack template: {problem}", "cfn-lint"
                )
            )
    machines = [r for r in state.resources if r.type == STATE_MACHINE_TYPE]
    for machine in machines:
        problems = lint_state_machine(machine.inputs.get("definition") or machine.outputs.get("definition"), regions)
        result.checked.append((CFN_LINT_CHECK, machine.urn, not problems))
        problems_total += len(problems)
        for problem in problems:
            result.findings.append(
                Finding(
                    CFN_LINT_CHECK,
                    "high",
                    machine.urn,
                    machine.type,
                    f"state machine definition: {problem}",
                    "cfn-lint",
                )
            )
    result.notes.append(
        f"cfn-lint {version('cfn-lint')}: {len(packs)} conformance pack template(s), {len(machines)} state machine "
        f"definition(s), {problems_total} problem(s)"
    )


STATE_MACHINE_TYPE = "aws:sfn/stateMachine:StateMachine"


def lint_state_machine(definition: object, regions: tuple[str, ...]) -> list[str]:
    """cfn-lint's States Language validation (E3601) of one state machine definition, placed in a minimal
    AWS::StepFunctions::StateMachine template: Step Functions refuses a broken definition only at deploy time."""
    import json

    import yaml

    from controls.conformance_pack import lint_template

    try:
        parsed = json.loads(definition) if isinstance(definition, str) else definition
    except ValueError as error:
        return [f"not JSON: {error}"]
    if not isinstance(parsed, dict):
        return ["not a States Language object"]
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Workflow": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": "arn:aws:iam::111122223333:role/workflow", "Definition": parsed},
            }
        },
    }
    return lint_template(yaml.safe_dump(template), regions=regions)
