"""The gate against its floor: each step as a whole process, several times, checkov alone on the same plan measured
the same way, ratios pair by pair (issue 17).

Run: `make bench` (all sizes) or .venv/bin/python benchmarks/bench_gate.py [--quick] [--runs N] [--reuse]
(needs `make checkov-env`). It writes benchmarks/results.md (the table the docs cite) and build/bench/gate.json.

Sizes: the demo config with more collaborators, synthesized offline (about 200, 500, 1,000, 2,000 and 5,000
resources; benchmarks/bench_rules.py builds them), and the demo state replicated with unique names (about 20,000).
Steps, each a fresh process: `glz synth`, `glz check --no-checkov` (own rules and cfn-lint on the state), checkov
alone (the exact command the gate runs, on the plan the gate wrote), and, from the config as a user runs them,
`glz check --stack` (synthesis and the whole gate), `glz matrix --stack` (that and every output) and `glz matrix
--stack --no-checkov`; on the replicated state, `glz check` and `glz matrix` read the state. Per step: median, min
and max wall seconds, the peak RSS of the largest process (the step's process or one it started, read from /proc
while it runs) and the peak of all its processes' RSS at once. Ratios: run i of a step over run i of checkov alone,
then the median. After the table: µs per resource and the marginal µs per added resource of every step, and issue
17's targets against the figures. Not a test: the figures belong to the machine they were taken on.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
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
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_rules  # noqa: E402  (the scaled states)

from glz.checkov_runner import CHECKOV_PROCESS_ENV  # noqa: E402

PY = sys.executable
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
OUT = ROOT / "build" / "bench"
RESULTS = ROOT / "benchmarks" / "results.md"
SYNTH_TARGETS = (200, 500, 1000, 2000, 5000)  # synthesized from the demo config with more collaborators
REPLICA_TARGETS = (20000,)  # the demo state replicated with unique names
QUICK_SYNTH_TARGETS = (200, 2000)
ENV = {**os.environ, "GLZ_CHECKOV": str(CHECKOV), **CHECKOV_PROCESS_ENV}  # checkov alone runs as the gate runs it


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo += children.get(current, [])
    return found


def _status_kib(pid: int, field: str) -> int:
    """A memory figure of /proc/<pid>/status in KiB (VmHWM: the peak RSS, VmRSS: the RSS now); 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(command: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS KiB of the largest process in the tree, peak of the tree's RSS summed over its
    processes at one moment) of one whole-process run. The sum is what the machine must hold while glz and its
    checkov child run side by side; it counts shared pages once per process, so it errs high; sampled every 50 ms."""
    peak = tree = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def watch() -> None:
        nonlocal peak, tree
        while not done.is_set():
            pids = _descendants(process.pid)
            for pid in pids:
                peak = max(peak, _status_kib(pid, "VmHWM"))
            tree = max(tree, sum(_status_kib(pid, "VmRSS") for pid in pids))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    watcher.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{stderr.decode()[-2000:]}")
    return elapsed, peak, max(tree, peak)


def synth_project(extra: int, where: Path) -> Path:
    """A project directory holding the scaled config as stack `demo` (the demo's suppressions and checkov skips
    then apply to it as they do to the demo), for the steps that start from the config."""
    where.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, where / name)
    (where / "policies").mkdir(exist_ok=True)
    for name in ("suppressions.yaml", "checkov-skips.yaml"):
        shutil.copy(ROOT / "policies" / name, where / "policies" / name)
    config = bench_rules.scaled_config(extra)
    (where / "Pulumi.demo.yaml").write_text(yaml.dump(config, Dumper=bench_rules._NoAliases, sort_keys=False))
    return where


def steps(state: dict, work: Path) -> dict[str, list[str]]:
    """The steps timed on one state. A synthesized size is also run from its config, as a user runs it: `glz check
    --stack` and `glz matrix --stack` (synthesis, gate and outputs in one process, the issue's targets) and `glz matrix
    --stack --no-checkov` (synthesis + own rules + matrix, the 2,000-resource target)."""
    out = work / "out"
    glz = [PY, "-m", "glz.cli"]
    checkov_alone = [
        str(CHECKOV),
        "-f",
        str(out / "plan.json"),
        "--framework",
        "terraform_plan",
        "-o",
        "json",
        "--compact",
        "--skip-download",
    ]
    state_path = str(state["path"])
    if state["kind"] != "synthesized":
        return {
            "glz check --no-checkov": [*glz, "check", "--state", state_path, "--no-checkov", "--out", str(out)],
            "checkov alone": checkov_alone,
            "glz check": [*glz, "check", "--state", state_path, "--out", str(out / "c")],
            "glz matrix": [*glz, "matrix", "--state", state_path, "--out", str(out / "m")],
        }
    label = state["label"]
    extra = int(label.split("+", 1)[1].split()[0]) if "+" in label else 0
    project = synth_project(extra, work / "project")
    on_project = [*glz, "--project-dir", str(project)]
    return {
        "glz synth": [*on_project, "synth", "--stack", "demo", "--out", str(work / "s")],
        "glz check --no-checkov": [*glz, "check", "--state", state_path, "--no-checkov", "--out", str(out)],
        "checkov alone": checkov_alone,
        "glz check --stack": [*on_project, "check", "--stack", "demo", "--out", str(work / "c")],
        "glz matrix --stack": [*on_project, "matrix", "--stack", "demo", "--out", str(work / "m")],
        "glz matrix --stack --no-checkov": [
            *on_project,
            "matrix",
            "--stack",
            "demo",
            "--no-checkov",
            "--out",
            str(work / "n"),
        ],
    }


def write_gate_plan(state_path: Path, plan: Path) -> None:
    """The plan checkov alone scans: what the gate writes for the same state (glz.tfplan.write_plan). The gate's own
    runs write theirs elsewhere, so this one is there before the first run and stays the same."""
    from glz.state import StackState
    from glz.tfplan import write_plan

    plan.parent.mkdir(parents=True, exist_ok=True)
    write_plan(StackState.load(Path(state_path)), plan)
    if len(json.loads(plan.read_text())["planned_values"]["root_module"]["resources"]) < 100:
        raise SystemExit(f"{plan}: the plan checkov alone would scan holds almost nothing")


def measure(state: dict, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        commands = steps(state, work)
        write_gate_plan(state["path"], work / "out" / "plan.json")
        timings: dict[str, list[float]] = {name: [] for name in commands}
        peaks: dict[str, int] = dict.fromkeys(commands, 0)
        trees: dict[str, int] = dict.fromkeys(commands, 0)
        for _ in range(runs):  # interleaved, so a slow spell of the machine hits every step alike
            for name, command in commands.items():
                seconds, kib, tree_kib = run(command)
                timings[name].append(seconds)
                peaks[name] = max(peaks[name], kib)
                trees[name] = max(trees[name], tree_kib)
    floor = timings["checkov alone"]
    result: dict[str, Any] = {
        "label": state["label"],
        "kind": state["kind"],
        "resources": state["resources"],
        "steps": {},
    }
    for name, values in timings.items():
        ratios = [value / base for value, base in zip(values, floor, strict=True)]
        result["steps"][name] = {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "peak_mib": round(peaks[name] / 1024),
            "tree_mib": round(trees[name] / 1024),
            "vs_checkov": statistics.median(ratios),
        }
    return result


def markdown(results: list[dict], runs: int) -> str:
    lines = [
        "# Gate benchmark",
        "",
        f"Written by `make bench` (benchmarks/bench_gate.py) on {time.strftime('%Y-%m-%d')}: {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; {runs} runs per step, interleaved; wall seconds "
        "as median (min-max); peak MiB: peak RSS of the largest process; all MiB: the peak of the RSS of all the "
        "step's processes at once (glz and its checkov child side by side); ratio = median of run i / checkov alone "
        "run i. checkov alone runs with the gate's environment (glz.checkov_runner.CHECKOV_PROCESS_ENV).",
        "",
        "| resources | state | step | seconds | peak MiB | all MiB | vs checkov alone |",
        "|---:|---|---|---|---:|---:|---:|",
    ]
    for result in results:
        for name, step in result["steps"].items():
            lines.append(
                f"| {result['resources']:,} | {result['label']} | {name} | {step['median']:.2f} "
                f"({step['min']:.2f}-{step['max']:.2f}) | {step['peak_mib']} | {step.get('tree_mib', '')} "
                f"| {step['vs_checkov']:.2f}x |"
            )
    lines += ["", *per_resource(results), "", *targets(results)]
    return "\n".join(lines) + "\n"


def _nearest(results: list[dict], resources: int, within: int) -> dict | None:
    """The synthesized size closest to ``resources``, or None when none lies within ``within`` of it."""
    candidates = [r for r in results if r["kind"] == "synthesized"]
    found = min(candidates, key=lambda r: abs(r["resources"] - resources), default=None)
    return found if found is not None and abs(found["resources"] - resources) <= within else None


def per_resource(results: list[dict]) -> list[str]:
    """Microseconds per resource of each step across the synthesized sizes: the plain quotient, and the marginal
    cost (the time one more resource adds, between consecutive sizes), which leaves out the fixed start-up (Python
    and checkov imports) that dominates a small stack. Flat means every marginal within ±30 % of their median."""
    series = sorted((r for r in results if r["kind"] == "synthesized"), key=lambda r: r["resources"])
    if len(series) < 3:
        return ["(per-resource flatness needs three synthesized sizes or more: run without --quick)"]
    lines = [
        "Per resource, synthesized sizes "
        f"{series[0]['resources']:,} to {series[-1]['resources']:,}: µs per resource (median / resources) and the "
        "marginal µs per added resource between consecutive sizes; flat = every marginal within ±30 % of their median.",
        "",
        "| step | µs per resource | marginal µs per added resource | flat |",
        "|---|---|---|---|",
    ]
    for name in series[0]["steps"]:
        plain = [r["steps"][name]["median"] / r["resources"] * 1e6 for r in series]
        marginal = [
            (b["steps"][name]["median"] - a["steps"][name]["median"]) / (b["resources"] - a["resources"]) * 1e6
            for a, b in itertools.pairwise(series)
        ]
        middle = statistics.median(marginal)
        flat = middle > 0 and all(abs(m - middle) <= 0.3 * middle for m in marginal)
        lines.append(
            f"| {name} | {' / '.join(f'{v:.0f}' for v in plain)} | {' / '.join(f'{v:.0f}' for v in marginal)} | "
            f"{'yes' if flat else 'no'} |"
        )
    return lines


def targets(results: list[dict]) -> list[str]:
    """Issue 17's targets against this run's figures."""
    rows = []

    def row(goal: str, result: dict | None, step: str, field: str, limit: float, unit: str) -> None:
        if result is None or step not in result["steps"]:
            rows.append(f"| {goal} | not measured in this run | |")
            return
        value = result["steps"][step][field]
        shown = f"{value:.2f}{unit}" if unit != " MiB" else f"{value}{unit}"
        rows.append(
            f"| {goal} | {shown} ({step}, {result['resources']:,} resources) | {'met' if value <= limit else 'NOT met'} |"
        )

    demo = min((r for r in results if r["kind"] == "synthesized"), key=lambda r: r["resources"], default=None)
    row("glz check --stack demo ≤ 1.6x checkov alone", demo, "glz check --stack", "vs_checkov", 1.6, "x")
    row("glz matrix --stack demo ≤ 1.8x checkov alone", demo, "glz matrix --stack", "vs_checkov", 1.8, "x")
    row(
        "2,000 resources: synth + rules + matrix without checkov ≤ 10 s",
        _nearest(results, 2000, within=500),
        "glz matrix --stack --no-checkov",
        "median",
        10.0,
        " s",
    )
    near_5000 = _nearest(results, 5000, within=1000)
    row("5,000 resources: the gate's largest process ≤ 1 GiB", near_5000, "glz check --stack", "peak_mib", 1024, " MiB")
    row(
        "5,000 resources: the whole gate's peak memory (all its processes at once) ≤ 1 GiB",
        near_5000,
        "glz check --stack",
        "tree_mib",
        1024,
        " MiB",
    )
    return ["| target | measured | |", "|---|---|---|", *rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 200 and 2,000 resources only")
    parser.add_argument("--runs", type=int, default=3, help="runs per step (default 3)")
    parser.add_argument("--reuse", action="store_true", help="reuse scaled states already in build/bench/states")
    parser.add_argument(
        "--sizes", help="synthesized sizes, comma-separated (default 200,500,1000,2000,5000; with --quick 200,2000)"
    )
    parser.add_argument("--replicated", help="replicated sizes, comma-separated (default 20000; none with --quick)")
    args = parser.parse_args()
    if not CHECKOV.exists():
        raise SystemExit("checkov is not installed: run `make checkov-env` first")
    synth = QUICK_SYNTH_TARGETS if args.quick else SYNTH_TARGETS
    replicas = () if args.quick else REPLICA_TARGETS
    if args.sizes is not None:
        synth = tuple(int(size) for size in args.sizes.split(",") if size)
    if args.replicated is not None:
        replicas = tuple(int(size) for size in args.replicated.split(",") if size)
    states = bench_rules.build_states(synth, replicas, args.reuse)
    results = []
    for state in states:
        print(f"measuring {state['label']} ({state['resources']:,} resources)", file=sys.stderr)
        results.append(measure(state, args.runs))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gate.json").write_text(json.dumps(results, indent=2))
    RESULTS.write_text(markdown(results, args.runs))
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
