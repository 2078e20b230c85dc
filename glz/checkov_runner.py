"""Run checkov (third-party Terraform rules) on a stack's Terraform-plan JSON, as a program.

checkov pins old boto3 and `packaging<24`, which would drag pulumi back, so it lives in its own
environment (`.venv-checkov`, made by `make checkov-env` from `checkov-requirements.txt`) and is
called as a subprocess. Its JSON report is parsed into findings that point back at Pulumi URNs.

Checks that do not apply to this landing zone are listed, each with a written reason and an expiry,
in `policies/checkov-skips.yaml`, and reported as skipped with the reason, never silently dropped:

    CKV_AWS_274:
      reason: A reason, a real sentence of its own (policies.suppressions.reason_problem).
      expires: 2027-11-30                                   # required, at most one year ahead
      resources: [operators-admin-administrator-access]     # optional: fnmatch patterns
      type: aws:iam/rolePolicyAttachment:RolePolicyAttachment  # optional: a Pulumi resource type

`resources` are fnmatch patterns on the Pulumi resource name, its URN or the Terraform address; `type`
restricts the skip to resources of that Pulumi type. Without `resources`, or with patterns that match
every resource, the skip is a *blanket* skip: it must name a `type`, and every report lists it. checkov
always runs every check; a failure is skipped only when a skip covers its resource, so a check keeps
guarding every resource its skip does not name. An expired skip no longer applies and fails the gate.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glz.checkov_warm import WarmCheckov
from glz.checkov_warm import start as start_warm
from glz.errors import UserInputError, load_yaml
from glz.state import urn_type
from policies.suppressions import (
    REASON_RULES,
    BlanketSuppression,
    check_expires,
    check_type,
    matches_every_resource,
    reason_key,
    reason_problem,
)

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_SKIP_FILE = PROJECT_DIR / "policies" / "checkov-skips.yaml"
CHECKOV_ENV_VAR = "GLZ_CHECKOV"
CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")
# Offline and deterministic: no guideline/mapping download from the vendor's platform (with
# --skip-download); the check's source link from the catalog stands in for the guideline.
# CHECKOV_MAX_IAC_FILE_SIZE=0: checkov reads a JSON file above this size with json.loads (every object's line numbers
# 0) instead of its CloudFormation YAML loader, which makes every JSON value a node object with its source marks
# (checkov/cloudformation/parser/cfn_yaml.py `load`; the variable is read in checkov/common/util/consts.py and named
# by checkov's own log message, not in its docs, so tests/test_checkov.py pins both that it still selects json.loads
# and that the findings are the same either way). The gate never reads checkov's line numbers (findings map to URNs
# by address). At 5,001 resources checkov's peak falls from 1,258 MiB to 925 MiB and its time from 44 s to 26 s
# (issue 17). Only the tfplan and Kubernetes JSON parsers read the limit.
CHECKOV_PROCESS_ENV = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_MAX_IAC_FILE_SIZE": "0"}


class CheckovError(Exception):
    """checkov ran but did not produce a usable report (crash, parse errors in the plan)."""


@dataclass(frozen=True)
class CheckovFinding:
    """One check evaluated on one resource."""

    check_id: str
    check_name: str
    address: str  # Terraform address in the plan, e.g. aws_s3_bucket.data_bcl
    urn: str | None  # the Pulumi resource it came from
    guideline: str | None  # checkov's guideline URL, else the check's source


@dataclass(frozen=True)
class SkippedCheck:
    """A check skipped on purpose, with the skip file's reason. `addresses`: the resources that failed
    it and that the skip covers."""

    check_id: str
    check_name: str
    reason: str
    addresses: tuple[str, ...]
    urns: tuple[str, ...]


@dataclass
class CheckovResult:
    """One checkov run: findings by outcome, the skips applied, and how long checkov took."""

    passed: list[CheckovFinding]
    failed: list[CheckovFinding]
    skipped: list[SkippedCheck]
    checkov_version: str
    resource_count: int
    duration_seconds: float
    command: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)  # check ids whose skip expired (not applied)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class CatalogEntry:
    check_id: str
    name: str
    resource_types: frozenset[str]
    link: str | None


def find_checkov(project_dir: Path = PROJECT_DIR) -> Path:
    """The checkov executable: $GLZ_CHECKOV, else <project>/.venv-checkov/bin/checkov."""
    configured = os.environ.get(CHECKOV_ENV_VAR)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise UserInputError(f"{CHECKOV_ENV_VAR}={configured!r}: no executable checkov there")
        return path
    path = project_dir / ".venv-checkov" / "bin" / "checkov"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise UserInputError(
            f"checkov not found at {path}: create its environment with `make checkov-env` "
            f"(python3 -m venv .venv-checkov && .venv-checkov/bin/pip install -r checkov-requirements.txt), "
            f"or set {CHECKOV_ENV_VAR} to a checkov executable"
        )
    return path


@dataclass(frozen=True)
class Skip:
    reason: str
    resources: tuple[str, ...] | None = None  # None: every resource (of `type`); else fnmatch patterns
    expires: dt.date | None = None
    type: str | None = None  # a Pulumi resource type: only resources of that type are covered
    blanket: bool = False  # covers every resource (of `type`)

    def covers(self, address: str, urn: str | None) -> bool:
        if self.type is not None and (urn is None or urn_type(urn) != self.type):
            return False
        if self.resources is None:
            return True
        return _patterns_cover(self.resources, address, urn)

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def as_blanket(self, check_id: str) -> BlanketSuppression:
        resource = ", ".join(self.resources) if self.resources else "*"
        return BlanketSuppression("checkov-skips", check_id, self.type or "*", resource, self.reason, self.expires)


def _patterns_cover(patterns: tuple[str, ...], address: str, urn: str | None) -> bool:
    names = [address] + ([urn, urn.rsplit("::", 1)[-1]] if urn else [])
    return any(fnmatch.fnmatchcase(n, pattern) for n in names for pattern in patterns)


SKIP_KEYS = ("reason", "expires", "type", "resources")


def load_skips(path: Path, today: dt.date | None = None) -> dict[str, Skip]:
    """check id -> Skip from the skip file, every problem reported at once (naming the file, the entry's
    index and check id, the key, the value and what is allowed). The rules are the suppressions' rules
    (policies/suppressions.py): a real reason, an expiry at most a year ahead, a `type` for a blanket
    skip. Ids are checked against checkov's catalog by run_checkov."""
    today = today or dt.date.today()
    document = load_yaml(path, "checkov skip file")
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise UserInputError(f"{path}: expected a mapping of checkov check id -> {{reason, expires, ...}}")
    problems: list[str] = []
    skips: dict[str, Skip] = {}
    reasons: dict[str, str] = {}  # reason -> first check id giving it
    for index, (check_id, entry) in enumerate(document.items()):
        where = f"{path}: {check_id} (entry {index})"
        if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
            problems.append(f"{path}: entry {index}: {check_id!r} is not a checkov check id (like CKV_AWS_144)")
            continue
        if not isinstance(entry, dict):
            problems.append(
                f"{where} = {_short(entry)}: expected a mapping with {', '.join(SKIP_KEYS)} "
                "(reason and expires required; a bare reason cannot carry the expiry)"
            )
            continue
        before = len(problems)
        unknown = sorted(set(map(str, entry)) - set(SKIP_KEYS))
        if unknown:
            problems.append(f"{where}: unknown key(s) {unknown}; allowed: {', '.join(SKIP_KEYS)}")
        resources: tuple[str, ...] | None = None
        if "resources" in entry:
            patterns = entry.get("resources")
            if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
                problems.append(
                    f"{where}.resources = {_short(patterns)}: a non-empty list of patterns on the Pulumi "
                    "resource name, URN or Terraform address (or leave it out, with a `type`, for every resource "
                    "of that type)"
                )
            else:
                resources = tuple(patterns)
        typ = entry.get("type")
        if typ is not None and check_type(typ):
            problems.append(f"{where}.type = {_short(typ)}: allowed: {check_type(typ)}")
        blanket = resources is None or matches_every_resource(
            resources, lambda urn, _name, address, patterns=resources: _patterns_cover(patterns, address, urn)
        )
        if blanket and typ is None and len(problems) == before:
            shown = "(left out)" if resources is None else repr(list(resources))
            problems.append(
                f"{where}.resources = {shown}: covers every resource; allowed only together with `type:` "
                "(a Pulumi resource type such as aws:s3/bucket:Bucket) that restricts the skip"
            )
        reason = entry.get("reason")
        problem = reason_problem(reason)
        if problem:
            problems.append(f"{where}.reason = {_short(reason)}: {problem}; {REASON_RULES}")
        else:
            first = reasons.setdefault(reason_key(reason), check_id)
            if first != check_id:
                problems.append(f"{where}.reason: the same reason as {first}; each check needs a reason of its own")
        expires, expiry_problem = check_expires(entry.get("expires"), today)
        if expiry_problem:
            problems.append(f"{where}.expires = {_short(entry.get('expires'))}: {expiry_problem}")
        if len(problems) == before:
            skips[check_id] = Skip(" ".join(reason.split()), resources, expires, typ, blanket)
    if problems:
        raise UserInputError("\n".join(problems))
    return skips


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def warm_checkov(project_dir: Path = PROJECT_DIR) -> WarmCheckov | None:
    """checkov's interpreter started now, importing while the caller synthesizes; None when checkov is not
    installed or not a Python script (the scan then starts it as before and reports what is missing)."""
    try:
        executable = find_checkov(project_dir)
    except (CheckovError, UserInputError):
        return None
    return start_warm(executable, CHECKOV_PROCESS_ENV)


def _run(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **CHECKOV_PROCESS_ENV},
    )


_CATALOGS: dict[str, dict[str, CatalogEntry]] = {}


def _parse_catalog(text: str) -> dict[str, CatalogEntry]:
    """`checkov --list` prints a table: | # | Id | Type | Entity | Policy | IaC | Resource Link |."""
    rows: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 7 or not CHECK_ID.match(cells[1]):
            continue
        check_id, entity, name, link = cells[1], cells[3], cells[4], cells[6]
        row = rows.setdefault(check_id, {"name": name, "types": set(), "link": link or None})
        row["types"].add(entity)
    return {
        check_id: CatalogEntry(check_id, row["name"], frozenset(row["types"]), row["link"])
        for check_id, row in rows.items()
    }


def catalog_of(listing: dict[str, dict[str, Any]]) -> dict[str, CatalogEntry]:
    """The catalog from the registry's copy of `checkov --list` (glz.checkov_registry's ``listing``), the names
    stripped as the printed table's cells are (a few checkov titles end in a space)."""
    return {
        check_id: CatalogEntry(check_id, row["name"].strip(), frozenset(row["types"]), row["link"])
        for check_id, row in listing.items()
    }


def _report(stdout: str, stderr: str) -> dict[str, Any]:
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError:
        raise CheckovError(f"checkov did not print a JSON report; stderr ends with:\n{stderr[-2000:]}") from None
    if isinstance(document, list):
        document = next((d for d in document if d.get("check_type") == "terraform_plan"), {})
    if not isinstance(document, dict):
        raise CheckovError("checkov's JSON report has an unexpected shape")
    summary = document.get("summary", document)
    if summary.get("parsing_errors"):
        raise CheckovError(f"checkov could not parse the plan: {document.get('results', {}).get('parsing_errors')}")
    return document


def run_checkov(
    plan_path: Path,
    skip_file: Path | None = DEFAULT_SKIP_FILE,
    checkov: Path | None = None,
    today: dt.date | None = None,
    warm: WarmCheckov | None = None,
    catalog: Callable[[], dict[str, CatalogEntry]] | None = None,
) -> CheckovResult:
    """Run checkov's terraform_plan framework on a plan written by glz.tfplan and parse the result.
    Skips apply to the failures they cover; expired skips apply to nothing (and are listed). ``warm``: a
    checkov process started earlier for this executable (glz.checkov_warm), which then runs the scan.
    ``catalog``: checkov's check catalog, asked for after the scan (the gate's comes from the registry kept
    on disk, glz.checkov_registry); without it, `checkov --list` runs beside the scan once per process."""
    plan_path = Path(plan_path)
    try:
        plan = json.loads(plan_path.read_text())
    except FileNotFoundError:
        raise UserInputError(f"{plan_path}: plan file not found") from None
    except json.JSONDecodeError as error:
        raise UserInputError(f"{plan_path}: not valid JSON ({error})") from None
    urns: dict[str, str] = plan.get("glz", {}).get("addresses", {})
    today = today or dt.date.today()
    all_skips = load_skips(skip_file, today) if skip_file is not None else {}
    skips = {check_id: skip for check_id, skip in all_skips.items() if not skip.expired(today)}
    executable = str(checkov or find_checkov())

    command = [executable, "-f", str(plan_path), "--framework", "terraform_plan", "-o", "json", "--compact"]
    command += ["--skip-download"]
    started = time.monotonic()
    # The catalog (names, resource types, source links) comes from `--list`: run alongside the
    # scan the first time, then remembered for this executable.
    listing = (
        None
        if catalog is not None or executable in _CATALOGS
        else _run([executable, "--list", "--framework", "terraform", "--skip-download"])
    )
    if warm is not None:
        returncode, scan_out, scan_err = warm.run(command[1:])
    else:
        scan = _run(command)
        scan_out, scan_err = scan.communicate()
        returncode = scan.returncode
    if listing is not None:
        list_out, list_err = listing.communicate()
        if listing.returncode != 0:
            raise CheckovError(f"`checkov --list` failed; stderr ends with:\n{list_err[-2000:]}")
        _CATALOGS[executable] = _parse_catalog(list_out)
    duration = time.monotonic() - started
    known_checks = catalog() if catalog is not None else _CATALOGS[executable]
    unknown = sorted(set(all_skips) - set(known_checks))
    if unknown:
        raise UserInputError(
            f"{skip_file}: unknown checkov check id(s) {', '.join(unknown)}: not in checkov's Terraform catalog "
            f"(`{executable} --list --framework terraform`)"
        )
    if returncode not in (0, 1):
        raise CheckovError(f"checkov exited with {returncode}; stderr ends with:\n{scan_err[-2000:]}")
    document = _report(scan_out, scan_err)
    results = document.get("results", {})

    def finding(entry: dict[str, Any]) -> CheckovFinding:
        address = entry.get("resource_address") or entry.get("resource", "")
        check_id = entry["check_id"]
        known = known_checks.get(check_id)
        return CheckovFinding(
            check_id=check_id,
            check_name=entry.get("check_name") or (known.name if known else ""),
            address=address,
            urn=urns.get(address),
            guideline=entry.get("guideline") or (known.link if known else None),
        )

    failed = [finding(e) for e in results.get("failed_checks", [])]
    skipped = []
    for check_id, skip in sorted(skips.items()):
        # checkov ran the check everywhere: the failures on resources the skip covers are skipped
        covered = sorted(f.address for f in failed if f.check_id == check_id and skip.covers(f.address, f.urn))
        failed = [f for f in failed if not (f.check_id == check_id and f.address in covered)]
        skipped.append(
            SkippedCheck(
                check_id,
                known_checks[check_id].name,
                skip.reason,
                tuple(covered),
                tuple(urns[a] for a in covered if a in urns),
            )
        )
    summary = document.get("summary", document)
    return CheckovResult(
        passed=sorted((finding(e) for e in results.get("passed_checks", [])), key=_order),
        failed=sorted(failed, key=_order),
        skipped=skipped,
        checkov_version=str(summary.get("checkov_version", "")),
        resource_count=int(summary.get("resource_count", 0)),
        duration_seconds=round(duration, 2),
        command=command,
        expired=sorted(check_id for check_id, skip in all_skips.items() if skip.expired(today)),
    )


def _order(finding: CheckovFinding) -> tuple[str, str]:
    return (finding.check_id, finding.address)
