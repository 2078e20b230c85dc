"""How the own rules (`glz.gate.run_rules` with `policies.rules.ALL_RULES`, no checkov) scale with the stack.

Run: .venv/bin/python benchmarks/bench_rules.py [--json] [--quick] [--reuse] [--by-rule] [--profile]

It builds the scaled states itself, in build/bench/states/:

- synthesized: the demo config (Pulumi.demo.yaml) with more collaborators (and more pipelines, when the
  settings have a `pipelines` list), synthesized offline like `glz synth`, for about 200, 500, 1,000 and
  2,000 resources (an institute with 50 collaborators and 10 pipelines is about 2,000);
- replicated: the demo state copied with unique URNs, names, IDs and ARNs (glz/scale.py) to about 5,000
  and 20,000 resources (an organization's stacks together).

Each state is checked in a fresh child process, several times (5; 3 from 10,000 resources): the table
gives the rules' seconds (building the StackView and running every rule; median, min, max), microseconds
per resource, the child's whole wall time (interpreter start, imports, reading the state, rules) and its
peak RSS (VmHWM). Each run hashes what the rules found (subjects and findings), so runs at two commits
can be compared on their results through build/bench/rules.json (--json). `--by-rule` adds each rule's
microseconds per resource; `--profile` writes a cProfile listing to build/bench/.
Not a test: figures depend on the machine; the shape (flat microseconds per resource) is what to watch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
OUT = ROOT / "build" / "bench"
STATES = OUT / "states"
PROJECT = "genomics-landing-zone"
SYNTH_TARGETS = (200, 500, 1000, 2000)
REPLICA_TARGETS = (5000, 20000)
QUICK_SYNTH_TARGETS = (200, 500)
QUICK_REPLICA_TARGETS = (2000,)
COLLABORATORS_PER_PIPELINE = 5  # the institute: 50 collaborators, 10 pipelines
TODAY = "2026-11-23"


# --- scaled states ---------------------------------------------------------------------------------


def scaled_config(extra_collaborators: int) -> dict[str, Any]:
    """Pulumi.demo.yaml with ``extra_collaborators`` more collaborators (unique names and accounts, the
    demo's collaborators as templates, in turn) and one more pipeline per five, where the settings
    have a pipelines list."""
    stack = yaml.safe_load((ROOT / "Pulumi.demo.yaml").read_text())
    config = stack["config"]
    key = f"{PROJECT}:collaborators"
    templates = list(config.get(key) or [])
    if extra_collaborators and templates:
        extra = []
        for i in range(extra_collaborators):
            account = f"{500000000000 + i}"
            template = templates[i % len(templates)]
            arns = [f"arn:aws:iam::{account}:{arn.split(':', 5)[5]}" for arn in template.get("principalArns", [])]
            extra.append({**template, "name": f"lab-{i:04d}", "accountId": account, "principalArns": arns})
        config[key] = templates + extra
    pipelines_key = f"{PROJECT}:pipelines"
    pipelines = config.get(pipelines_key)
    if isinstance(pipelines, list) and pipelines and all(isinstance(p, dict) and "name" in p for p in pipelines):
        more = extra_collaborators // COLLABORATORS_PER_PIPELINE
        config[pipelines_key] = pipelines + [
            {**pipelines[i % len(pipelines)], "name": f"{pipelines[i % len(pipelines)]['name'][:20]}-{i:03d}"}
            for i in range(more)
        ]
    return stack


class _NoAliases(yaml.SafeDumper):
    """Writes shared values out in full: the stack config reader refuses YAML aliases beyond a few."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def synthesize(extra_collaborators: int, path: Path) -> Path:
    """Synthesize the scaled config in a child process (Pulumi's mocks are process-global), like `glz synth`."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(ROOT / name, project / name)
        (project / "Pulumi.bench.yaml").write_text(
            yaml.dump(scaled_config(extra_collaborators), Dumper=_NoAliases, sort_keys=False)
        )
        out = project / "out"
        result = subprocess.run(
            [PY, "-m", "glz.cli", "--project-dir", str(project), "synth", "--stack", "bench", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"synthesis with {extra_collaborators} extra collaborators failed:\n{result.stderr}")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(out / "state.json", path)
    return path


def count(path: Path) -> int:
    return len(json.loads(path.read_text())["deployment"]["resources"])


def build_states(synth_targets: tuple[int, ...], replica_targets: tuple[int, ...], reuse: bool) -> list[dict]:
    """[{label, kind, path, resources}] for every size; a state already there is reused with --reuse."""
    from glz.scale import copies_for, replicate

    def cached(path: Path, make) -> Path:
        if reuse and path.exists():
            return path
        print(f"  building {path.relative_to(ROOT)}", file=sys.stderr)
        return make(path)

    demo = cached(STATES / "synth-demo.json", lambda p: synthesize(0, p))
    base = count(demo)
    probe = cached(STATES / "synth-plus-10.json", lambda p: synthesize(10, p))
    per_collaborator = max((count(probe) - base) / 10, 1.0)
    states = []
    for target in synth_targets:
        extra = max(0, round((target - base) / per_collaborator))
        path = demo if extra == 0 else cached(STATES / f"synth-plus-{extra}.json", lambda p, e=extra: synthesize(e, p))
        states.append({"label": f"synth +{extra} collaborators", "kind": "synthesized", "path": path})
    document = json.loads(demo.read_text())
    for target in replica_targets:
        copies = copies_for(document, target)

        def make(path: Path, copies: int = copies) -> Path:
            path.write_text(json.dumps(replicate(document, copies)))
            return path

        states.append(
            {
                "label": f"demo x{copies}",
                "kind": "replicated",
                "path": cached(STATES / f"replicated-x{copies}.json", make),
            }
        )
    for state in states:
        state["resources"] = count(state["path"])
    return states


# --- measuring -----------------------------------------------------------------------------------


def peak_rss_kib() -> int:
    """This process's peak RSS since it started its program: VmHWM of /proc/self/status. Not ru_maxrss,
    which Linux carries over from the parent's memory when subprocess forks (or vforks) before exec, so
    it would report the benchmark's own peak, states and all, for every child."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(state_path: str, by_rule: bool, profile: str | None) -> None:
    """One measurement, in a fresh process: imports, read the state, build the view and run every rule."""
    import datetime as dt

    started = time.perf_counter()
    from glz.gate import run_rules, stack_view
    from glz.state import StackState
    from policies.rules import ALL_RULES

    imported = time.perf_counter()
    state = StackState.load(Path(state_path))
    loaded = time.perf_counter()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu = time.process_time()
    result = run_rules(state, ALL_RULES, [], today=dt.date.fromisoformat(TODAY))
    ran = time.perf_counter()
    cpu = time.process_time() - cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        with open(profile, "w") as stream:
            stats = pstats.Stats(profiler, stream=stream)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats(r"policies|controls", 40)
    per_rule: dict[str, float] = {}
    if by_rule:
        view = stack_view(state)
        try:  # the access model is built by the first rule that asks; time it on its own
            from policies.access.model import model_of
        except ImportError:
            pass
        else:
            start = time.perf_counter()
            model_of(view)
            per_rule["(access model)"] = time.perf_counter() - start
        for rule in ALL_RULES:
            start = time.perf_counter()
            for _ in rule.evaluate(view):
                pass
            per_rule[rule.id] = time.perf_counter() - start
    peak_kib = peak_rss_kib()
    outcome = json.dumps(
        [sorted(result.checked), sorted((f.rule_id, f.urn, f.message) for f in result.findings)], sort_keys=True
    )
    print(
        json.dumps(
            {
                "resources": len(state.resources),
                "import_s": imported - started,
                "load_s": loaded - imported,
                "rules_s": ran - loaded,
                "rules_cpu_s": cpu,
                "peak_kib": peak_kib,
                "findings": len(result.findings),
                "checked": len(result.checked),
                "outcome_sha256": hashlib.sha256(outcome.encode()).hexdigest(),
                "per_rule_s": per_rule,
            }
        )
    )


def run_child(state: Path, by_rule: bool = False, profile: Path | None = None) -> dict:
    args = [PY, str(Path(__file__).resolve()), "--child", str(state)]
    if by_rule:
        args.append("--by-rule")
    if profile is not None:
        args += ["--profile-out", str(profile)]
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"rules on {state} failed:\n{stderr}")
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["wall_s"] = wall
    return figures


def measure(state: Path, runs: int, budget: float, timeout: float) -> dict:
    """``runs`` runs, or one when the first takes longer than ``budget`` seconds (the target is missed
    anyway); a run longer than ``timeout`` seconds is stopped and the size reported as "> timeout"."""
    samples = [_run_with_rusage(state, timeout)]
    if samples[0]["wall_s"] <= budget:
        samples += [_run_with_rusage(state, timeout) for _ in range(runs - 1)]
    finished = [s for s in samples if not s.get("timed_out")]
    row: dict[str, Any] = {"runs": len(samples), "timed_out": len(finished) < len(samples)}
    finished_peaks = [s["peak_kib"] for s in samples if "peak_kib" in s]
    row["peak_mib"] = max(finished_peaks or [s["maxrss_kib"] for s in samples]) / 1024
    if not finished:
        return {**row, "resources": None, "timeout_s": timeout}
    rules = [s["rules_s"] for s in finished]
    resources = finished[0]["resources"]
    return {
        **row,
        "resources": resources,
        "rules_median_s": statistics.median(rules),
        "rules_min_s": min(rules),
        "rules_max_s": max(rules),
        "us_per_resource": statistics.median(rules) / resources * 1e6,
        "rules_cpu_median_s": statistics.median(s["rules_cpu_s"] for s in finished),
        "process_median_s": statistics.median(s["wall_s"] for s in finished),
        "load_median_s": statistics.median(s["load_s"] for s in finished),
        "findings": finished[0]["findings"],
        "checked": finished[0]["checked"],
        "outcome_sha256": finished[0]["outcome_sha256"],
    }


def _run_with_rusage(state: Path, timeout: float) -> dict:
    """One child run, killed after ``timeout`` seconds. Its peak RSS is the one it reports (VmHWM); os.wait4's
    ru_maxrss is kept only for a run that timed out (and includes the benchmark's own memory)."""
    args = [PY, str(Path(__file__).resolve()), "--child", str(state)]
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if wall >= timeout and process.returncode != 0:
            return {"timed_out": True, "wall_s": wall, "maxrss_kib": usage.ru_maxrss}
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"rules on {state} failed:\n{err.read()}")
        figures = json.loads(out.read().strip().splitlines()[-1])
    figures["wall_s"] = wall
    figures["maxrss_kib"] = usage.ru_maxrss
    return figures


# --- output --------------------------------------------------------------------------------------

HEADER = (
    f"{'state':<28}{'resources':>10}{'runs':>5}{'median s':>10}{'min s':>9}{'max s':>9}{'µs/res':>9}"
    f"{'cpu s':>9}{'process s':>11}{'peak MiB':>10}{'findings':>9}"
)


def table(rows: list[dict]) -> str:
    lines = ["own rules", HEADER]
    for row in rows:
        if row.get("resources") is None:
            lines.append(
                f"{row['label']:<28}{row['expected_resources']:>10}{row['runs']:>5}{'> ' + str(int(row['timeout_s'])):>10}"
                f"{'':>36}{row['peak_mib']:>10.0f}"
            )
            continue
        lines.append(
            f"{row['label']:<28}{row['resources']:>10}{row['runs']:>5}{row['rules_median_s']:>10.3f}"
            f"{row['rules_min_s']:>9.3f}{row['rules_max_s']:>9.3f}{row['us_per_resource']:>9.0f}"
            f"{row['rules_cpu_median_s']:>9.3f}{row['process_median_s']:>11.2f}{row['peak_mib']:>10.0f}"
            f"{row['findings']:>9}"
        )
    done = [r for r in rows if r.get("resources")]
    smallest = min(done, key=lambda r: r["resources"], default=None)
    for kind in ("synthesized", "replicated"):
        series = [r for r in done if r["kind"] == kind or r is smallest]
        if len(series) > 1:
            per = [r["us_per_resource"] for r in series]
            ratio = max(per) / min(per)
            sizes = f"{min(r['resources'] for r in series):,} to {max(r['resources'] for r in series):,}"
            lines.append(
                f"µs per resource, {kind} {sizes}: largest / smallest {ratio:.2f}"
                f" ({'within' if ratio <= 1.3 / 0.7 else 'outside'} ±30 %)"
            )
    return "\n".join(lines)


def by_rule_table(states: list[dict], largest: int) -> str:
    """Each rule's microseconds per resource at every size up to ``largest`` resources, worst first."""
    states = [s for s in states if s["resources"] <= largest]
    columns = []
    for state in states:
        figures = run_child(state["path"], by_rule=True)
        columns.append({k: v / figures["resources"] * 1e6 for k, v in figures["per_rule_s"].items()})
    rules = sorted(columns[0], key=lambda r: -(columns[-1].get(r, 0)))
    lines = ["µs per resource by rule", f"{'rule':<14}" + "".join(f"{s['resources']:>10}" for s in states)]
    for rule in rules:
        lines.append(f"{rule:<14}" + "".join(f"{c.get(rule, 0):>10.2f}" for c in columns))
    return "\n".join(lines)


def rules_fingerprint() -> str:
    """What the measured code is: every Python file under policies/ and controls/."""
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("policies/**/*.py"), *ROOT.glob("controls/**/*.py")]):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=5, help="runs per size (3 from 10,000 resources)")
    parser.add_argument(
        "--budget", type=float, default=120.0, help="one run only where the first takes longer (seconds)"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="stop a run after this many seconds")
    parser.add_argument("--quick", action="store_true", help="small sizes only (about 200, 500 and 2,000)")
    parser.add_argument("--reuse", action="store_true", help="reuse states already in build/bench/states/")
    parser.add_argument("--by-rule", action="store_true", help="also each rule's µs per resource")
    parser.add_argument("--by-rule-max", type=int, default=5000, help="largest state --by-rule times")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest state -> build/bench/profile.txt")
    parser.add_argument("--json", action="store_true", help="also write build/bench/rules.json")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.by_rule, args.profile_out)
        return

    synth_targets = QUICK_SYNTH_TARGETS if args.quick else SYNTH_TARGETS
    replica_targets = QUICK_REPLICA_TARGETS if args.quick else REPLICA_TARGETS
    states = build_states(synth_targets, replica_targets, args.reuse)
    before = rules_fingerprint()
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "rules_changed_in_worktree": bool(_git("status", "--porcelain", "--", "policies", "controls")),
        "rules_sha256": before,
        "rows": [],
    }
    for state in states:
        runs = min(args.runs, 3) if state["resources"] >= 10000 else args.runs
        row = {
            "label": state["label"],
            "kind": state["kind"],
            "expected_resources": state["resources"],
            **measure(state["path"], runs, args.budget, args.timeout),
        }
        report["rows"].append(row)
        took = f"{row['rules_median_s']:.3f} s" if row.get("resources") else f"> {args.timeout:.0f} s"
        print(f"  {row['label']:<28} {took}", file=sys.stderr)
    print(table(report["rows"]))
    print()
    report["rules_changed_during_run"] = rules_fingerprint() != before
    if report["rules_changed_during_run"]:
        print("WARNING: policies/ or controls/ changed while the benchmark ran; the figures mix versions")
    if args.by_rule:
        report["by_rule"] = by_rule_table(states, args.by_rule_max)
        print(report["by_rule"])
        print()
    if args.profile:
        OUT.mkdir(parents=True, exist_ok=True)
        target = OUT / "profile.txt"
        run_child(states[-1]["path"], profile=target)
        print(f"cProfile of {states[-1]['label']}: {target.relative_to(ROOT)}")
    if args.json:
        OUT.mkdir(parents=True, exist_ok=True)
        target = OUT / "rules.json"
        target.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
