"""What a live audit means for the matrix: the requirements each failed or unverifiable check reaches.

A check names the probes whose claims it verifies (``CheckSpec.probes``); the mapping names the requirements whose
statements those probes compute. A failed check therefore weakens exactly those requirements, and `glz audit`
lists them under its table, so the reader sees "3.13.6 (r2), 03.13.06 (r3): ec2.network-acl failed" instead of
working it out from the check ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from controls.mapping import load_all
from controls.matrix import FIXED_STATUS
from glz.audit.result import CheckResult

FRAMEWORK_LABELS = {"nist-800-171-r2": "r2", "nist-800-171-r3": "r3", "hipaa": "HIPAA"}


@lru_cache(maxsize=1)
def _by_probe() -> dict[str, tuple[tuple[str, str], ...]]:
    index: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for framework, records in load_all().items():
        for requirement, record in records.items():
            if record.responsibility in FIXED_STATUS:
                continue  # customer, inherited, not applicable: the matrix reads no probe for these rows
            for probe in record.probes:
                index[probe].append((framework, requirement))
    return {probe: tuple(keys) for probe, keys in index.items()}


def requirements_of(probes: Iterable[str]) -> list[tuple[str, str]]:
    """(framework, requirement id) of every mapping record whose statement one of ``probes`` computes."""
    index = _by_probe()
    return sorted({key for probe in probes for key in index.get(probe, ())})


def rollup(results: Iterable[CheckResult], outcome: str) -> dict[tuple[str, str], list[str]]:
    """(framework, requirement) -> the ids of the checks with ``outcome`` that reach it."""
    reached: dict[tuple[str, str], set[str]] = defaultdict(set)
    for result in results:
        if result.result != outcome:
            continue
        for key in requirements_of(result.probes):
            reached[key].add(result.id)
    return {key: sorted(checks) for key, checks in sorted(reached.items())}


def rollup_lines(results: list[CheckResult], outcome: str, title: str) -> list[str]:
    reached = rollup(results, outcome)
    if not reached:
        return []
    by_checks: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for (framework, requirement), checks in reached.items():
        by_checks[tuple(checks)].append(f"{requirement} ({FRAMEWORK_LABELS.get(framework, framework)})")
    lines = ["", f"{title} ({len(reached)}):"]
    for checks, requirements in sorted(by_checks.items()):
        lines.append(f"  {', '.join(checks)}: {', '.join(requirements)}")
    return lines
