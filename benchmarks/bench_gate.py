"""Wall time of synth, the own rules, checkov, the whole `glz check` and `glz matrix`, demo vs a scaled stack.

Run: .venv/bin/python benchmarks/bench_gate.py  (needs `make checkov-env`). Not a test: figures vary
with the machine; the ratios are what to watch. How the own rules alone scale, from 200 to 20,000
resources: benchmarks/bench_rules.py (docs/benchmarks.md).

The scaled stack is the demo with 50 collaborators and 6 availability zones. The settings model has
a fixed set of six data tiers, so "20 extra tiers" is approximated by the collaborators' roles,
boundaries and policies, which grow the state the same way (more resources joined by stack rules).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    env = {**os.environ, "GLZ_CHECKOV": str(ROOT / ".venv-checkov" / "bin" / "checkov")}
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr}")
    return elapsed


class NoAliases(yaml.SafeDumper):
    """Writes shared values out in full: the stack config reader refuses more than a few YAML aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def scaled_project(tmp: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp / name)
    shutil.copytree(ROOT / "policies", tmp / "policies")
    stack = yaml.safe_load((ROOT / "Pulumi.demo.yaml").read_text())
    config = stack["config"]
    config["genomics-landing-zone:availabilityZoneCount"] = 6
    template = config["genomics-landing-zone:collaborators"][0]
    config["genomics-landing-zone:collaborators"] = [
        {
            **template,
            "name": f"lab-{i:02d}",
            "accountId": f"{500000000000 + i}",
            "principalArns": [f"arn:aws:iam::{500000000000 + i}:role/analysts"],
        }
        for i in range(50)
    ]
    (tmp / "Pulumi.scaled.yaml").write_text(yaml.dump(stack, Dumper=NoAliases, sort_keys=False))
    return tmp


def measure(project: Path, stack: str) -> dict[str, float]:
    glz = [PY, "-m", "glz.cli", "--project-dir", str(project)]
    out = project / "build" / stack
    figures = {"synth": timed([*glz, "synth", "--stack", stack, "--out", str(out)], ROOT)}
    state = out / "state.json"
    figures["own rules"] = timed([*glz, "check", "--state", str(state), "--no-checkov", "--out", str(out)], ROOT)
    figures["check (rules + checkov)"] = timed([*glz, "check", "--state", str(state), "--out", str(out)], ROOT)
    figures["checkov"] = figures["check (rules + checkov)"] - figures["own rules"]
    figures["whole glz check --stack"] = timed([*glz, "check", "--stack", stack, "--out", str(out)], ROOT)
    figures["matrix (own rules)"] = timed(
        [*glz, "matrix", "--state", str(state), "--no-checkov", "--out", str(out)], ROOT
    )
    import json

    figures["resources"] = len(json.loads(state.read_text())["deployment"]["resources"])
    return figures


def main() -> None:
    demo = measure(ROOT, "demo")
    with tempfile.TemporaryDirectory() as tmp:
        scaled = measure(scaled_project(Path(tmp)), "scaled")
    print(f"{'step':<26}{'demo':>10}{'scaled':>10}{'ratio':>8}")
    for key in demo:
        ratio = scaled[key] / demo[key] if demo[key] else float("nan")
        unit = "" if key == "resources" else " s"
        print(f"{key:<26}{demo[key]:>8.1f}{unit:2}{scaled[key]:>8.1f}{unit:2}{ratio:>7.2f}x")


if __name__ == "__main__":
    main()
