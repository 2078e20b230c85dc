"""benchmarks/bench_gate.py's report (issue 17): the targets and the per-resource table are computed from the figures,
so a figure past its limit reads NOT met and a marginal cost that grows reads not flat. No timing happens here."""

from __future__ import annotations

import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_gate


def _sizes(check_ratio: float, seconds_2000: float, peak_5000: int, growth: float = 1.0) -> list[dict]:
    results = []
    for resources in (345, 1000, 2000, 5000):
        per = 0.002 * (growth if resources == 5000 else 1.0)
        matrix_no_checkov = seconds_2000 if resources == 2000 else 1.0 + per * resources
        results.append(
            {
                "label": str(resources),
                "kind": "synthesized",
                "resources": resources,
                "steps": {
                    "glz check --stack": {
                        "median": 1.0 + per * resources,
                        "min": 0,
                        "max": 0,
                        "peak_mib": peak_5000 - 300 if resources == 5000 else 200,
                        "tree_mib": peak_5000 if resources == 5000 else 200,
                        "vs_checkov": check_ratio,
                    },
                    "glz matrix --stack": {"median": 2.0, "min": 0, "max": 0, "peak_mib": 200, "vs_checkov": 1.5},
                    "glz matrix --stack --no-checkov": {
                        "median": matrix_no_checkov,
                        "min": 0,
                        "max": 0,
                        "peak_mib": 200,
                        "vs_checkov": 1.0,
                    },
                },
            }
        )
    return results


def test_targets_met_and_not_met_follow_the_figures():
    met = "\n".join(bench_gate.targets(_sizes(1.27, 8.0, 900)))
    assert met.count("| met |") == 5 and "NOT met" not in met
    missed = "\n".join(bench_gate.targets(_sizes(1.7, 11.0, 1100)))
    assert missed.count("NOT met") == 3 and "800 MiB (glz check --stack, 5,000 resources) | met" in missed
    heavy = "\n".join(bench_gate.targets(_sizes(1.27, 8.0, 1400)))
    assert "1100 MiB (glz check --stack, 5,000 resources) | NOT met" in heavy  # the largest process too
    assert "1.70x (glz check --stack, 345 resources)" in missed and "1100 MiB" in missed
    assert "all its processes at once" in missed  # the whole gate: glz and its checkov child side by side


def test_a_size_not_measured_is_said_so():
    quick = [r for r in _sizes(1.27, 8.0, 900) if r["resources"] < 5000]
    text = "\n".join(bench_gate.targets(quick))
    assert "not measured in this run" in text
    assert "three synthesized sizes" in bench_gate.per_resource(quick[:2])[0]


def test_flatness_reads_the_marginal_cost():
    flat = "\n".join(bench_gate.per_resource(_sizes(1.27, 5.0, 900)))
    assert "| glz check --stack |" in flat
    check_line = next(line for line in flat.splitlines() if line.startswith("| glz check --stack |"))
    assert check_line.endswith("| yes |")
    steep = "\n".join(bench_gate.per_resource(_sizes(1.27, 5.0, 900, growth=3.0)))
    check_line = next(line for line in steep.splitlines() if line.startswith("| glz check --stack |"))
    assert check_line.endswith("| no |")
