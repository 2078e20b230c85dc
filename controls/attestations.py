"""Attestations: what the organization records it has done for each customer action, per stack.

The stack can prove only its technical part. For every requirement whose responsibility is `customer` or
`shared`, the organization records in `compliance/<stack>.yaml` who did the customer action, when, where the
evidence is, and when it is next reviewed (schema in docs/attestations.md). The determinations
(controls/determination.py) read it: a shared requirement is Met only when the stack's part holds and the
organization's part is attested and current.

A bad file is bad input: every problem is named with its key, its value and what is allowed; nothing is
guessed. An attestation past its review date is reported as overdue, and no longer counts as done.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from controls import catalog
from controls.mapping import load_all
from controls.model import LeveragedAuthorization

SCHEMA_VERSION = 1
DONE, NOT_DONE, NOT_APPLICABLE = "done", "not-done", "not-applicable"
STATUSES = (DONE, NOT_DONE, NOT_APPLICABLE)
ATTESTABLE = ("customer", "shared")
REQUIRED_WHEN_DONE = ("by", "date", "evidence", "next_review")
FIELDS = ("status", "by", "date", "evidence", "next_review", "justification", "milestone", "owner", "due")
"""milestone, owner and due: the plan of action for a part not done yet (the POA&M reads them)."""


class AttestationError(Exception):
    """The attestation file cannot be used as written (every problem, one per line)."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Attestation:
    framework: str
    requirement: str
    status: str
    by: str = ""
    date: dt.date | None = None
    evidence: str = ""
    next_review: dt.date | None = None
    justification: str = ""
    milestone: str = ""
    owner: str = ""
    due: dt.date | None = None

    def overdue(self, today: dt.date) -> bool:
        return self.status == DONE and self.next_review is not None and self.next_review < today

    def current(self, today: dt.date) -> bool:
        """Done and not past its review date: what a determination may count as met."""
        return self.status == DONE and not self.overdue(today)


@dataclass(frozen=True)
class Attestations:
    source: str
    stack: str
    entries: dict[tuple[str, str], Attestation]
    leveraged: tuple[LeveragedAuthorization, ...] = ()

    def get(self, framework: str, requirement: str) -> Attestation | None:
        return self.entries.get((framework, requirement))

    def overdue(self, today: dt.date) -> list[Attestation]:
        return [a for a in self.entries.values() if a.overdue(today)]


def default_path(project_dir: Path, stack: str) -> Path:
    return project_dir / "compliance" / f"{stack}.yaml"


def attestable() -> dict[str, dict[str, Any]]:
    """framework -> requirement id -> mapping record, for every requirement with a customer part."""
    return {
        framework: {rid: record for rid, record in records.items() if record.responsibility in ATTESTABLE}
        for framework, records in load_all().items()
    }


def _date(value: Any, where: str, problems: list[str]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where} = {value!r}: not a date; allowed: YYYY-MM-DD")
        return None


def _entry(framework: str, rid: str, body: Any, where: str, today: dt.date, problems: list[str]) -> Attestation | None:
    if not isinstance(body, dict):
        problems.append(f"{where} = {body!r}: expected a mapping with {', '.join(FIELDS)}")
        return None
    for key in body:
        if key not in FIELDS:
            hint = difflib.get_close_matches(str(key), FIELDS, n=1)
            problems.append(
                f"{where}.{key}: unknown field{f' (did you mean {hint[0]}?)' if hint else ''}; allowed: {', '.join(FIELDS)}"
            )
    status = body.get("status")
    if status not in STATUSES:
        problems.append(f"{where}.status = {status!r}: allowed {', '.join(STATUSES)}")
        return None
    dates = {
        k: _date(body[k], f"{where}.{k}", problems) for k in ("date", "next_review", "due") if body.get(k) is not None
    }
    if status == DONE:
        for key in REQUIRED_WHEN_DONE:
            if body.get(key) in (None, ""):
                problems.append(f"{where}.{key}: required when status is done")
    if status == NOT_APPLICABLE and not body.get("justification"):
        problems.append(f"{where}.justification: required when status is not-applicable")
    attested_on, review = dates.get("date"), dates.get("next_review")
    if attested_on and attested_on > today:
        problems.append(f"{where}.date = {attested_on}: in the future (today is {today})")
    if attested_on and review and review <= attested_on:
        problems.append(f"{where}.next_review = {review}: must come after date {attested_on}")
    return Attestation(
        framework=framework,
        requirement=rid,
        status=status,
        by=str(body.get("by") or ""),
        date=attested_on,
        evidence=str(body.get("evidence") or ""),
        next_review=review,
        justification=str(body.get("justification") or ""),
        milestone=str(body.get("milestone") or ""),
        owner=str(body.get("owner") or ""),
        due=dates.get("due"),
    )


def parse(document: Any, source: str, stack: str, today: dt.date) -> Attestations:
    """Validate a loaded attestation document; AttestationError lists every problem."""
    path = Path(source)
    problems: list[str] = []
    if not isinstance(document, dict):
        raise AttestationError(
            path, [f"(top level) = {type(document).__name__}: expected a mapping with version, stack, attestations"]
        )
    if document.get("version") != SCHEMA_VERSION:
        problems.append(f"version = {document.get('version')!r}: allowed {SCHEMA_VERSION}")
    if document.get("stack") != stack:
        problems.append(f"stack = {document.get('stack')!r}: this file is for another stack; expected {stack!r}")
    body = document.get("attestations")
    if not isinstance(body, dict):
        problems.append(f"attestations = {body!r}: expected a mapping of framework -> requirement -> attestation")
        raise AttestationError(path, problems)
    known = attestable()
    entries: dict[tuple[str, str], Attestation] = {}
    for framework, requirements in body.items():
        if framework not in catalog.FRAMEWORKS:
            problems.append(f"attestations.{framework}: unknown framework; allowed {', '.join(catalog.FRAMEWORKS)}")
            continue
        if not isinstance(requirements, dict):
            problems.append(f"attestations.{framework} = {requirements!r}: expected a mapping of requirement ids")
            continue
        records = load_all()[framework]
        for rid, entry in requirements.items():
            rid = str(rid)
            where = f"attestations.{framework}.{rid}"
            if rid not in records:
                hint = difflib.get_close_matches(rid, list(records), n=1)
                problems.append(f"{where}: no such requirement{f' (did you mean {hint[0]}?)' if hint else ''}")
                continue
            if rid not in known[framework]:
                problems.append(
                    f"{where}: its responsibility is {records[rid].responsibility}, with no customer action to attest; "
                    f"allowed: requirements whose responsibility is {' or '.join(ATTESTABLE)}"
                )
                continue
            found = _entry(framework, rid, entry, where, today, problems)
            if found is not None:
                entries[(framework, rid)] = found
    leveraged = _leveraged(document.get("leveraged_authorizations"), today, problems)
    if problems:
        raise AttestationError(path, problems)
    return Attestations(source=source, stack=stack, entries=entries, leveraged=leveraged)


LEVERAGED_FIELDS = ("title", "package_id", "date_authorized", "source")


def _leveraged(body: Any, today: dt.date, problems: list[str]) -> tuple[LeveragedAuthorization, ...]:
    """The AWS authorizations the SSP leverages: the organization reads each from the FedRAMP Marketplace (the
    tool cannot know which offering and date the organization relies on)."""
    if body is None:
        return ()
    if not isinstance(body, list):
        problems.append(f"leveraged_authorizations = {body!r}: expected a list of {{{', '.join(LEVERAGED_FIELDS)}}}")
        return ()
    found = []
    for index, entry in enumerate(body):
        where = f"leveraged_authorizations[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} = {entry!r}: expected a mapping with {', '.join(LEVERAGED_FIELDS)}")
            continue
        unknown = sorted(set(map(str, entry)) - set(LEVERAGED_FIELDS))
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(LEVERAGED_FIELDS)}")
        missing = [k for k in LEVERAGED_FIELDS if not str(entry.get(k) or "").strip()]
        if missing:
            problems.append(f"{where}: {', '.join(missing)} missing; all of {', '.join(LEVERAGED_FIELDS)} are needed")
            continue
        date = _date(entry.get("date_authorized"), f"{where}.date_authorized", problems)
        if date is not None and date > today:
            problems.append(f"{where}.date_authorized = {date}: in the future")
            continue
        if date is not None:
            found.append(
                LeveragedAuthorization(
                    title=str(entry["title"]).strip(),
                    package_id=str(entry["package_id"]).strip(),
                    date_authorized=date.isoformat(),
                    source=str(entry["source"]).strip(),
                )
            )
    return tuple(found)


def load(path: Path, stack: str, today: dt.date | None = None) -> Attestations:
    today = today or dt.date.today()
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise AttestationError(path, [f"cannot be read: {error.strerror or error}"]) from None
    except yaml.YAMLError as error:
        raise AttestationError(path, [f"not YAML: {str(error).splitlines()[0]}"]) from None
    return parse(document, str(path), stack, today)


def _folded(text: str, indent: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(" ".join(text.split()), 110, initial_indent=indent, subsequent_indent=indent))


def template(stack: str) -> str:
    """A file listing every requirement with a customer part, each not done, its customer action as a comment."""
    lines = [
        f"# Attestations for stack {stack}: what the organization has done for each customer action.",
        "# Schema: docs/attestations.md. For each requirement set status (done | not-done | not-applicable);",
        "# for done also by, date, evidence and next_review (YYYY-MM-DD); for not-applicable a justification.",
        "# `glz attest --stack S` checks this file; `glz matrix` reads it into the determinations.",
        f"version: {SCHEMA_VERSION}",
        f"stack: {stack}",
        "# The AWS authorizations the system security plan leverages, read from the FedRAMP Marketplace",
        "# (marketplace.fedramp.gov): e.g. AWS US East/West (Moderate) or AWS GovCloud (US) (High). Uncomment and",
        "# fill in from the listing of the offering your regions belong to; the SSPs list each one.",
        "# leveraged_authorizations:",
        "#   - title: AWS US East/West",
        "#     package_id: <FedRAMP package ID from the listing>",
        "#     date_authorized: <YYYY-MM-DD from the listing>",
        "#     source: FedRAMP Marketplace, read <YYYY-MM-DD>",
        "attestations:",
    ]
    for framework, records in attestable().items():
        lines.append(f"  {framework}:")
        for rid, record in records.items():
            lines.append(f'    "{rid}":  # {record.responsibility}')
            lines.append(_folded(record.customer_actions, "      # "))
            lines.append("      status: not-done")
    return "\n".join(lines) + "\n"
