"""`glz diff`: what a change does to compliance before it is deployed (NIST 800-171 3.4.4, security impact analysis).

The base is the state deployed (a `pulumi stack export` file, or an earlier `glz synth`); the change is the stack as
configured now (--stack, synthesized offline) or another state file. Both go through the same own rules and the same
matrix (checkov left out: its findings follow the same resources), and the difference is printed: gate findings
that appear or go, requirements whose status changes, requirements whose statement changes with the same status
(what the stack does for them changed), resources added, removed and changed (the properties that differ; JSON
documents such as policies compared as parsed). As text, as JSON (--json) or as Markdown for a pull-request comment
(--markdown). Exit 1 when the change adds a blocking finding or lowers a requirement's status, 0 otherwise: a
pipeline can ask for a reviewer's approval then.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUS_ORDER = ("Implemented", "Partially implemented", "Not implemented")
"""controls/model.py's technical statuses, better first; the others (customer, inherited, not applicable) are not
compared as better or worse."""


@dataclass
class Impact:
    new_findings: list[str] = field(default_factory=list)
    gone_findings: list[str] = field(default_factory=list)
    worse: list[str] = field(default_factory=list)
    better: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    restated: list[str] = field(default_factory=list)
    new_advisory: list[str] = field(default_factory=list)  # advisory findings: listed, never a regression
    gone_advisory: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.new_findings or self.worse)

    def as_dict(self) -> dict[str, Any]:
        return {
            "regressed": self.regressed,
            "newFindings": self.new_findings,
            "goneFindings": self.gone_findings,
            "worseRequirements": self.worse,
            "betterRequirements": self.better,
            "addedResources": self.added,
            "removedResources": self.removed,
            "changedResources": self.changed,
            "restatedRequirements": self.restated,
            "newAdvisoryFindings": self.new_advisory,
            "goneAdvisoryFindings": self.gone_advisory,
        }


def _assess(state):
    from controls.matrix import build_matrix
    from glz.gate import run_rules
    from policies.rules import ALL_RULES

    gate = run_rules(state, ALL_RULES, [], today=dt.date.today())
    return gate, build_matrix(state, gate, ALL_RULES, "diff")


def _rank(status: str) -> int | None:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else None


def impact(base, change) -> Impact:
    """The compliance difference between two stack states (glz.state.StackState)."""
    base_gate, base_matrix = _assess(base)
    gate, matrix = _assess(change)

    def failed(result, blocking: bool) -> set[str]:
        return {
            f"{f.rule_id} {f.urn}: {f.message}"
            for f in result.findings
            if f.status == "failed" and f.blocking == blocking
        }

    found, before = failed(gate, True), failed(base_gate, True)
    advisory, advisory_before = failed(gate, False), failed(base_gate, False)
    result = Impact(
        new_findings=sorted(found - before),
        gone_findings=sorted(before - found),
        new_advisory=sorted(advisory - advisory_before),
        gone_advisory=sorted(advisory_before - advisory),
    )
    old_rows = {(r.framework, r.id): r for r in base_matrix.all_rows()}
    for row in matrix.all_rows():
        old = old_rows.get((row.framework, row.id))
        if old is not None and old.status == row.status and old.statement != row.statement:
            result.restated.append(f"{row.framework} {row.id} {row.title} ({row.status})")
        if old is None or old.status == row.status:
            continue
        line = f"{row.framework} {row.id} {row.title}: {old.status} -> {row.status}"
        was, now = _rank(old.status), _rank(row.status)
        if was is not None and now is not None:
            (result.worse if now > was else result.better).append(line)
    urns_before = {r.urn: r.type for r in base.resources if r.custom}
    urns_now = {r.urn: r.type for r in change.resources if r.custom}
    result.added = sorted(f"{t} {u.rsplit('::', 1)[-1]}" for u, t in urns_now.items() if u not in urns_before)
    result.removed = sorted(f"{t} {u.rsplit('::', 1)[-1]}" for u, t in urns_before.items() if u not in urns_now)
    inputs_before = {r.urn: r.inputs for r in base.resources if r.custom}
    for resource in change.resources:
        if resource.custom and resource.urn in inputs_before:
            keys = changed_keys(inputs_before[resource.urn], resource.inputs)
            if keys:
                result.changed.append(f"{resource.type} {resource.urn.rsplit('::', 1)[-1]}: {', '.join(keys)}")
    result.changed.sort()
    return result


def _comparable(value: Any) -> Any:
    """A JSON document held as a string (a policy, a definition) as the object it means; anything else as is."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The input properties whose values differ (added or removed ones included), JSON strings compared parsed."""
    return sorted(k for k in set(before) | set(after) if _comparable(before.get(k)) != _comparable(after.get(k)))


def _sections(result: Impact) -> list[tuple[str, list[str]]]:
    return [
        ("Blocking findings the change adds", result.new_findings),
        ("Requirements the change weakens", result.worse),
        ("Advisory findings the change adds (they do not block)", result.new_advisory),
        ("Blocking findings the change removes", result.gone_findings),
        ("Advisory findings the change removes", result.gone_advisory),
        ("Requirements the change strengthens", result.better),
        ("Requirements whose statement changes (same status)", result.restated),
        ("Resources added", result.added),
        ("Resources removed", result.removed),
        ("Resources changed (properties)", result.changed),
    ]


def _verdict(result: Impact) -> str:
    return "The change " + ("REGRESSES compliance" if result.regressed else "does not weaken compliance") + "."


def render(result: Impact) -> str:
    lines = []
    for title, items in _sections(result):
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {item}" for item in items]
    lines.append(_verdict(result))
    return "\n".join(lines)


def render_markdown(result: Impact) -> str:
    """A pull-request comment: the verdict first, each non-empty section a list (long ones folded)."""
    mark = ":x:" if result.regressed else ":white_check_mark:"
    lines = ["### Compliance impact (`glz diff`)", "", f"{mark} **{_verdict(result)}**", ""]
    for title, items in _sections(result):
        if not items:
            continue
        entries = [f"- `{item}`" for item in items]
        if len(items) > 10:
            lines += [f"<details><summary>{title} ({len(items)})</summary>", "", *entries, "", "</details>", ""]
        else:
            lines += [f"**{title} ({len(items)})**", "", *entries, ""]
    return "\n".join(lines).rstrip() + "\n"


USAGE = "give OLD NEW (each a state file or a stack name), or --base STATE with --stack NAME or --state FILE"


def _synthesized(project_dir: Path, stack: str, where: Path):
    """A stack synthesized offline in its own process (Pulumi's mocks are process-global: one synthesis each)."""
    import subprocess
    import sys

    from glz.errors import UserInputError
    from glz.state import StackState

    out = where / stack
    command = [sys.executable, "-m", "glz.cli", "--project-dir", str(project_dir), "synth", "--stack", stack]
    done = subprocess.run(
        [*command, "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise UserInputError(f"stack {stack!r} could not be synthesized: {done.stderr.strip() or done.stdout.strip()}")
    return StackState.load(out / "state.json")


def _state_of(reference: str, which: str, project_dir: Path, where: Path):
    """OLD or NEW: a state file when one is there, else a stack of the project (Pulumi.<name>.yaml)."""
    from glz.errors import UserInputError
    from glz.state import StackState

    if Path(reference).is_file():
        state = StackState.load(Path(reference))
        state.require_plaintext()
        return state
    if (project_dir / f"Pulumi.{reference}.yaml").is_file():
        return _synthesized(project_dir, reference, where)
    raise UserInputError(
        f"{which} {reference!r}: neither a state file nor a stack of {project_dir} (no Pulumi.{reference}.yaml)"
    )


def _states(args: argparse.Namespace, project_dir: Path):
    import tempfile

    from glz.cli import _state_and_stack
    from glz.errors import UserInputError
    from glz.state import StackState

    positional = [value for value in (args.old, args.new) if value is not None]
    keyed = args.base is not None or args.stack is not None or args.state is not None
    if positional and keyed:
        raise UserInputError(f"glz diff: OLD NEW and --base/--stack/--state are two ways to say it; {USAGE}")
    if positional:
        if len(positional) != 2:
            raise UserInputError(f"glz diff: NEW is missing; {USAGE}")
        with tempfile.TemporaryDirectory(prefix="glz-diff-") as where:
            return (
                _state_of(args.old, "OLD", project_dir, Path(where)),
                _state_of(args.new, "NEW", project_dir, Path(where)),
            )
    if args.base is None or (args.stack is None and args.state is None):
        raise UserInputError(f"glz diff: nothing to compare; {USAGE}")
    if not Path(args.base).is_file():
        raise UserInputError(f"--base {args.base}: no such state file")
    base = StackState.load(Path(args.base))
    base.require_plaintext()
    change, _stack = _state_and_stack(args, project_dir)
    return base, change


def cmd_diff(args: argparse.Namespace) -> int:
    from glz.cli import _project_dir

    project_dir = _project_dir(args.project_dir)
    base, change = _states(args, project_dir)
    result = impact(base, change)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    elif args.markdown:
        print(render_markdown(result), end="")
    else:
        print(render(result))
    return 1 if result.regressed else 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    diff = commands.add_parser(
        "diff",
        help="what a change does to compliance: gate findings and requirement statuses, base state vs the change "
        "(exit 1 when it adds a blocking finding or weakens a requirement)",
    )
    diff.add_argument(
        "old", nargs="?", help="before the change: a state file (`pulumi stack export`) or a stack name (synthesized)"
    )
    diff.add_argument("new", nargs="?", help="after the change: a state file or a stack name")
    diff.add_argument("--base", help="the state deployed now (`pulumi stack export` file); with --stack or --state")
    source = diff.add_mutually_exclusive_group()
    source.add_argument("--stack", help="the change: Pulumi.<stack>.yaml as configured now, synthesized offline")
    source.add_argument("--state", help="the change: another state file")
    output = diff.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the difference as JSON")
    output.add_argument("--markdown", action="store_true", help="print the difference as a pull-request comment")
    diff.set_defaults(func=cmd_diff)
