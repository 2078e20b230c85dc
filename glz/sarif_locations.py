"""Where a SARIF result points, so code scanning files each finding under the file a fix touches.

A finding on a resource a component builds points at the line of `components/` that registers that component,
found from the finding's URN alone: its type chain names every enclosing component
(``glz:data:GenomicsDataLake$glz:data:SecureBucket$aws:s3/bucket:Bucket``), and the innermost one is where the
resource is written. Stack-wide findings, and resources added outside any component, point at the stack file
(``Pulumi.<stack>.yaml``), where the settings are. Each result also carries a fingerprint of its rule, resource
and problem, stable from run to run, so the same finding is recognised rather than filed again.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

COMPONENTS = Path(__file__).resolve().parent.parent / "components"
REGISTRATION = re.compile(r'super\(\)\.__init__\(\s*"(glz:[^"]+)"')
FINGERPRINT = "glzFinding/v1"


@lru_cache(maxsize=1)
def component_sources() -> dict[str, tuple[str, int]]:
    """Component type token -> (its module relative to the project, the line that registers it)."""
    found: dict[str, tuple[str, int]] = {}
    for path in sorted(COMPONENTS.glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = REGISTRATION.search(line)
            if match:
                found.setdefault(match.group(1), (f"components/{path.name}", number))
    return found


def enclosing_component(urn: str) -> str | None:
    """The innermost component of the landing zone in the URN's type chain, or None."""
    parts = urn.split("::")
    if len(parts) < 4:
        return None
    known = component_sources()
    return next((typ for typ in reversed(parts[2].split("$")) if typ in known), None)


def location(urn: str, stack_file: str) -> tuple[str, int | None]:
    """(artifact URI relative to the project, start line or None) for a finding on ``urn``."""
    component = enclosing_component(urn)
    if component is None:
        return stack_file, None
    return component_sources()[component]


def fingerprint(rule_id: str, urn: str, message: str) -> str:
    """Stable across runs for the same rule, resource and problem: numbers in the message (counts, days, sizes)
    are left out, so a finding whose details change is still the same alert; two problems on one resource are
    two."""
    problem = re.sub(r"\d+", "#", message)
    return hashlib.sha256(f"{rule_id}\n{urn}\n{problem}".encode()).hexdigest()[:32]
