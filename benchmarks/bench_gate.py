"""The gate against its floor: each step as a whole process, several times, checkov alone on the same plan measured
the same way, ratios pair by pair (issue 17).

Run: `make bench` (all sizes) or .venv/bin/python benchmarks/bench_gate.py [--quick] [--runs N] [--reuse]
(needs `make checkov-env`). It writes benchmarks/results.md (the table the docs cite) and build/bench/gate.json.

Sizes: the demo config with more collaborators, synthesized offline (about 200, 500, 1,000 and 2,000 resources;
benchmarks/bench_rules.py builds them), and the demo state replicated with unique names (about 5,000 and 20,000).
Steps, each a fresh process: `glz synth` (synthesized sizes), `glz check --no-checkov` (own rules and cfn-lint),
checkov alone (the exact command the gate runs, on the plan the gate wrote), `glz check` (the whole gate) and
`glz matrix` (gate and every output). Per step: median, min and max wall seconds and the peak RSS of the largest
process (the step's process or one it started, read from /proc while it runs). Ratios: run i of a step over run i
of checkov alone, then the median. Not a test: the figures belong to the machine they were taken on.
"""

from __future__ import annotations

import argparse
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

PY = sys.executable
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
OUT = ROOT / "build" / "bench"
RESULTS = ROOT / "benchmarks" / "results.md"
ENV = {**os.environ, "GLZ_CHECKOV": str(CHECKOV), "BC_SKIP_MAPPING": "TRUE"}


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


def _hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(command: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS KiB of the largest process in the tree) of one whole-process run."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            for pid in _descendants(process.pid):
                peak = max(peak, _hwm_kib(pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    watcher.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{stderr.decode()[-2000:]}")
    return elapsed, peak


def synth_project(extra: int, where: Path) -> Path:
    """A project directory holding the scaled config as stack `bench` (for timing `glz synth`)."""
    where.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, where / name)
    config = bench_rules.scaled_config(extra)
    (where / "Pulumi.bench.yaml").write_text(yaml.dump(config, Dumper=bench_rules._NoAliases, sort_keys=False))
    return where


def steps(state: dict, work: Path) -> dict[str, list[str]]:
    out = work / "out"
    glz = [PY, "-m", "glz.cli"]
    commands = {
        "glz check --no-checkov": [*glz, "check", "--state", str(state["path"]), "--no-checkov", "--out", str(out)],
        "checkov alone": [
            str(CHECKOV),
            "-f",
            str(out / "plan.json"),
            "--framework",
            "terraform_plan",
            "-o",
            "json",
            "--compact",
            "--skip-download",
        ],
        "glz check": [*glz, "check", "--state", str(state["path"]), "--out", str(out)],
        "glz matrix": [*glz, "matrix", "--state", str(state["path"]), "--out", str(out)],
    }
    if state["kind"] == "synthesized":
        label = state["label"]
        extra = int(label.split("+", 1)[1].split()[0]) if "+" in label else 0
        project = synth_project(extra, work / "project")
        commands = {
            "glz synth": [*glz, "--project-dir", str(project), "synth", "--stack", "bench", "--out", str(work / "s")],
            **commands,
        }
    return commands


def measure(state: dict, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        commands = steps(state, work)
        run(commands["glz check --no-checkov"])  # writes the plan checkov alone reads
        timings: dict[str, list[float]] = {name: [] for name in commands}
        peaks: dict[str, int] = dict.fromkeys(commands, 0)
        for _ in range(runs):  # interleaved, so a slow spell of the machine hits every step alike
            for name, command in commands.items():
                seconds, kib = run(command)
                timings[name].append(seconds)
                peaks[name] = max(peaks[name], kib)
    floor = timings["checkov alone"]
    result: dict[str, Any] = {"label": state["label"], "resources": state["resources"], "steps": {}}
    for name, values in timings.items():
        ratios = [value / base for value, base in zip(values, floor, strict=True)]
        result["steps"][name] = {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "peak_mib": round(peaks[name] / 1024),
            "vs_checkov": statistics.median(ratios),
        }
    return result


def markdown(results: list[dict], runs: int) -> str:
    lines = [
        "# Gate benchmark",
        "",
        f"Written by `make bench` (benchmarks/bench_gate.py) on {time.strftime('%Y-%m-%d')}: {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; {runs} runs per step, interleaved; wall seconds "
        "as median (min-max); peak RSS of the largest process; ratio = median of run i / checkov alone run i.",
        "",
        "| resources | state | step | seconds | peak MiB | vs checkov alone |",
        "|---:|---|---|---|---:|---:|",
    ]
    for result in results:
        for name, step in result["steps"].items():
            lines.append(
                f"| {result['resources']:,} | {result['label']} | {name} | {step['median']:.2f} "
                f"({step['min']:.2f}-{step['max']:.2f}) | {step['peak_mib']} | {step['vs_checkov']:.2f}x |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 and 500 resources only")
    parser.add_argument("--runs", type=int, default=3, help="runs per step (default 3)")
    parser.add_argument("--reuse", action="store_true", help="reuse scaled states already in build/bench/states")
    args = parser.parse_args()
    if not CHECKOV.exists():
        raise SystemExit("checkov is not installed: run `make checkov-env` first")
    synth = bench_rules.QUICK_SYNTH_TARGETS if args.quick else bench_rules.SYNTH_TARGETS
    replicas = () if args.quick else bench_rules.REPLICA_TARGETS
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
