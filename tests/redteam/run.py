"""Run the red-team corpus against the policy gate and report what it misses.

    python -m tests.redteam.run                 # own rules only (fast)
    python -m tests.redteam.run --checkov       # the full gate: own rules, cfn-lint and checkov
    python -m tests.redteam.run --json out.json # also write every outcome as JSON

The clean demo state is build/demo/state.json (synthesized offline when missing, or with --synth).
Each weakening is applied to its own deep copy; it counts as caught when the gate reports a blocking
finding (rule or check id + resource URN) that the clean demo does not have. A weakening the gate
crashes on is reported as an error and counted as missed.
"""

from __future__ import annotations

import argparse
import collections
import copy
import datetime as dt
import json
import subprocess
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.redteam.weakenings import DOMAINS, WEAKENINGS, Weakening

ROOT = Path(__file__).resolve().parents[2]
STACK = "demo"

FindingKey = tuple[str, str, str]  # (source, rule or check id, URN)


@dataclass
class Outcome:
    weakening: Weakening
    caught: bool
    new_findings: list[dict] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict:
        return {
            "id": self.weakening.id,
            "domain": self.weakening.domain,
            "description": self.weakening.description,
            "caught": self.caught,
            "caught_by": sorted({f"{f['source']}:{f['rule']}" for f in self.new_findings}),
            "new_findings": self.new_findings,
            "error": self.error,
        }


@dataclass
class Report:
    outcomes: list[Outcome]
    mode: str

    @property
    def kill_rate(self) -> float:
        return sum(o.caught for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def by_domain(self) -> dict[str, list[Outcome]]:
        grouped: dict[str, list[Outcome]] = collections.defaultdict(list)
        for outcome in self.outcomes:
            grouped[outcome.weakening.domain].append(outcome)
        return {d: grouped[d] for d in DOMAINS if d in grouped}

    def missed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.caught]

    def summary(self) -> str:
        lines = [f"Red-team corpus against the gate ({self.mode}): {len(self.outcomes)} weakenings"]
        width = max(len(d) for d in DOMAINS)
        for domain, outcomes in self.by_domain().items():
            caught = sum(o.caught for o in outcomes)
            lines.append(f"  {domain:<{width}}  {caught:>3}/{len(outcomes):<3}  {caught / len(outcomes):6.1%}")
        caught = sum(o.caught for o in self.outcomes)
        lines.append(f"  {'total':<{width}}  {caught:>3}/{len(self.outcomes):<3}  {self.kill_rate:6.1%}")
        missed = self.missed()
        if missed:
            lines.append(f"Missed ({len(missed)}):")
            for domain, outcomes in self.by_domain().items():
                domain_missed = [o for o in outcomes if not o.caught]
                if not domain_missed:
                    continue
                lines.append(f"  [{domain}]")
                for outcome in domain_missed:
                    note = f"  (gate error: {outcome.error})" if outcome.error else ""
                    lines.append(f"    {outcome.weakening.id}: {outcome.weakening.description}{note}")
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {
            "mode": self.mode,
            "total": len(self.outcomes),
            "caught": sum(o.caught for o in self.outcomes),
            "kill_rate": round(self.kill_rate, 4),
            "domains": {
                domain: {
                    "total": len(outcomes),
                    "caught": sum(o.caught for o in outcomes),
                    "kill_rate": round(sum(o.caught for o in outcomes) / len(outcomes), 4),
                }
                for domain, outcomes in self.by_domain().items()
            },
            "outcomes": [o.as_json() for o in self.outcomes],
        }


def load_clean_document(project_dir: Path = ROOT, *, synth: bool = False) -> dict:
    """The demo stack state: build/demo/state.json, synthesized offline when missing (or asked)."""
    path = project_dir / "build" / STACK / "state.json"
    if synth or not path.exists():
        subprocess.run(
            [sys.executable, "-m", "glz.cli", "--project-dir", str(project_dir), "synth", "--stack", STACK],
            cwd=project_dir,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return json.loads(path.read_text())


def load_suppressions(project_dir: Path = ROOT) -> list:
    from policies import suppressions as suppression_file
    from policies.rules import RULES_BY_ID

    path = project_dir / "policies" / "suppressions.yaml"
    if not path.exists():
        return []
    return suppression_file.load(path, set(RULES_BY_ID))


class Gate:
    """The gate as `glz check` runs it: own rules with suppressions, and with checkov also cfn-lint and checkov."""

    def __init__(self, project_dir: Path = ROOT, *, checkov: bool = False, today: dt.date | None = None):
        self.project_dir = project_dir
        self.checkov = checkov
        self.today = today or dt.date.today()
        self.suppressions = load_suppressions(project_dir)

    @property
    def mode(self) -> str:
        return "own rules, cfn-lint and checkov" if self.checkov else "own rules"

    def findings(self, document: dict) -> dict[FindingKey, str]:
        """Blocking findings of a state document, keyed by (source, id, URN), with their message."""
        from glz.gate import add_cfn_lint, add_checkov, run_rules
        from glz.state import StackState
        from policies.rules import ALL_RULES

        state = StackState(document, "redteam-state.json")
        result = run_rules(state, ALL_RULES, self.suppressions, today=self.today)
        if self.checkov:
            add_cfn_lint(result, state)
            with tempfile.TemporaryDirectory(prefix="glz-redteam-") as out_dir:
                add_checkov(result, state, Path(out_dir), self.project_dir)
        return {(f.source, f.rule_id, f.urn): f.message for f in result.findings if f.blocking}


def apply_weakening(weakening: Weakening, clean: dict) -> dict:
    document = copy.deepcopy(clean)
    weakening.apply(document)
    return document


def evaluate(
    clean: dict, weakenings: list[Weakening] | None = None, *, gate: Gate | None = None, jobs: int = 1
) -> Report:
    gate = gate or Gate()
    weakenings = WEAKENINGS if weakenings is None else weakenings
    baseline = gate.findings(copy.deepcopy(clean))

    def one(weakening: Weakening) -> Outcome:
        try:
            document = apply_weakening(weakening, clean)
        except Exception as error:  # a broken weakening is the corpus's bug, not a gate miss
            raise RuntimeError(f"weakening {weakening.id} does not apply: {error!r}") from error
        try:
            findings = gate.findings(document)
        except Exception as error:
            detail = traceback.format_exception_only(type(error), error)[-1].strip()
            return Outcome(weakening, caught=False, error=detail)
        new = [
            {"source": source, "rule": rule, "urn": urn, "message": message}
            for (source, rule, urn), message in sorted(findings.items())
            if (source, rule, urn) not in baseline
        ]
        return Outcome(weakening, caught=bool(new), new_findings=new)

    if jobs > 1:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(one, weakenings))
    else:
        outcomes = [one(w) for w in weakenings]
    return Report(outcomes, gate.mode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.redteam.run", description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", action="store_true", help="run the full gate (adds cfn-lint and checkov)")
    parser.add_argument("--json", metavar="PATH", help="write every outcome as JSON")
    parser.add_argument("--synth", action="store_true", help="re-synthesize build/demo/state.json first")
    parser.add_argument("--only", metavar="ID", action="append", help="run only these weakening ids (repeatable)")
    parser.add_argument("--jobs", type=int, default=0, help="parallel gate runs (default: 1, or 8 with --checkov)")
    parser.add_argument("--fail-under", type=float, help="exit 1 when the kill rate is below this (0..1)")
    args = parser.parse_args(argv)

    clean = load_clean_document(synth=args.synth)
    weakenings = [w for w in WEAKENINGS if not args.only or w.id in args.only]
    jobs = args.jobs or (8 if args.checkov else 1)
    report = evaluate(clean, weakenings, gate=Gate(checkov=args.checkov), jobs=jobs)
    print(report.summary())
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_json(), indent=2) + "\n")
        print(f"Wrote {args.json}")
    if args.fail_under is not None and report.kill_rate < args.fail_under:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
