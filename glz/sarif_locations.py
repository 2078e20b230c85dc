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


PROJECT_PREFIX = "genomics-landing-zone:"
SETTING_END = r"(?=:\s|:$| = | is )"  # how findings write a setting and its value: "egress: nat-gateway", "x is false"


@lru_cache(maxsize=4)
def config_keys(project_file: Path) -> tuple[str, ...]:
    """The top-level settings Pulumi.yaml declares (its `config:` keys without the project prefix)."""
    import yaml

    config = (yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}).get("config") or {}
    return tuple(sorted((k for k in config if ":" not in k), key=len, reverse=True))


def setting_named(message: str, keys: tuple[str, ...]) -> list[str] | None:
    """The setting a finding names as the thing to change ("egress: nat-gateway", "backups.enabled is false"), as
    its key path, or None when the message names none."""
    if not keys:
        return None
    pattern = rf"(?<![\w.-])({'|'.join(map(re.escape, keys))})((?:\.[A-Za-z][A-Za-z0-9]*)*){SETTING_END}"
    match = re.search(pattern, message)
    if match is None:
        return None
    return [match.group(1), *[p for p in match.group(2).split(".") if p]]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _nested_line(lines: list[str], start: int, path: list[str]) -> int:
    """Index of the deepest line of ``path`` below ``start`` (a YAML mapping block), as far as the file sets it."""
    found = start
    for segment in path:
        base = _indent(lines[found])
        for index in range(found + 1, len(lines)):
            line = lines[index]
            if line.strip() and _indent(line) <= base:
                return found
            if line.strip().startswith(f"{segment}:"):
                found = index
                break
        else:
            return found
    return found


def setting_location(path: list[str], project_dir: Path, stack_file: str) -> tuple[str, int] | None:
    """Where ``path`` is set: its line in the stack file, else its default's line in Pulumi.yaml."""
    stack_path = project_dir / stack_file
    if stack_path.is_file():
        lines = stack_path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            if line.strip().startswith(f"{PROJECT_PREFIX}{path[0]}:"):
                return stack_file, _nested_line(lines, index, path[1:]) + 1
    project = project_dir / "Pulumi.yaml"
    if project.is_file():
        lines = project.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            if _indent(line) == 2 and line.strip().startswith(f"{path[0]}:"):
                return "Pulumi.yaml", index + 1
    return None


def finding_location(
    urn: str, message: str, stack_file: str, project_dir: Path | None = None
) -> tuple[str, int | None]:
    """Where a fix goes: the line of the setting the message names (the stack file's, or the default in
    Pulumi.yaml), else the component that builds the resource, else the stack file."""
    if project_dir is not None and (project_dir / "Pulumi.yaml").is_file():
        path = setting_named(message, config_keys(project_dir / "Pulumi.yaml"))
        if path is not None:
            found = setting_location(path, project_dir, stack_file)
            if found is not None:
                return found
    return location(urn, stack_file)
