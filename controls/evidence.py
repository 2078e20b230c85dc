"""Live evidence from `glz audit`, joined to matrix rows through the probe names each check verifies."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glz.errors import UserInputError

if TYPE_CHECKING:
    from controls.model import AccountVerification, Row

SCHEMA = "glz-audit-evidence/1"
RESULTS = ("pass", "fail", "not-verifiable")
# Evidence older than this, counted back from the matrix's generated_at, gets a note: the account may have changed.
STALE_AFTER_DAYS = 30


@dataclass(frozen=True)
class EvidenceCheck:
    id: str
    title: str
    resource: str
    probes: tuple[str, ...]
    result: str
    drift: bool
    reason: str


@dataclass(frozen=True)
class Evidence:
    source: str
    generated_at: str
    account: str
    region: str
    checks: tuple[EvidenceCheck, ...]
    state_sha256: str | None = None  # None in files written before glz recorded it


def read_json(path: Path) -> Any:
    """An --evidence file's JSON; a missing file or bad JSON is bad input naming the file."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(f"--evidence {path}: file not found") from None
    except json.JSONDecodeError as error:
        raise UserInputError(f"--evidence {path}: not valid JSON ({error})") from None


def load_evidence(
    path: Path, expected_account: str | None = None, expected_region: str | None = None, document: Any = None
) -> Evidence:
    """Read an evidence file (``document``: its JSON, already read); refuse one from another account or region than
    the stack's, or of an unknown shape."""
    where = f"--evidence {path}"
    if document is None:
        document = read_json(path)
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        found = document.get("schema") if isinstance(document, dict) else type(document).__name__
        raise UserInputError(f"{where}: schema = {found!r}: expected {SCHEMA!r} as written by `glz audit`")
    checks = []
    for index, raw in enumerate(document.get("checks") or []):
        if not isinstance(raw, dict) or raw.get("result") not in RESULTS:
            value = raw.get("result") if isinstance(raw, dict) else raw
            raise UserInputError(f"{where}: checks[{index}].result = {value!r}: allowed {', '.join(RESULTS)}")
        checks.append(
            EvidenceCheck(
                id=str(raw.get("id", "")),
                title=str(raw.get("title", "")),
                resource=str(raw.get("resource", "")),
                probes=tuple(str(p) for p in raw.get("probes") or ()),
                result=str(raw["result"]),
                drift=bool(raw.get("drift", False)),
                reason=str(raw.get("reason") or ""),
            )
        )
    account = str(document.get("account", ""))
    if expected_account and account and account != expected_account:
        raise UserInputError(
            f"{where}: account = {account!r}: the stack is pinned to account {expected_account!r}; "
            "give evidence collected from that account"
        )
    region = str(document.get("region", ""))
    if expected_region and region and region != expected_region:
        raise UserInputError(
            f"{where}: region = {region!r}: the stack is deployed to region {expected_region!r}; "
            "give evidence collected from that region"
        )
    state_sha256 = document.get("state_sha256")
    return Evidence(
        source=str(path),
        generated_at=str(document.get("generated_at", "")),
        account=account,
        region=region,
        checks=tuple(checks),
        state_sha256=str(state_sha256) if state_sha256 else None,
    )


def _parse_time(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def evidence_notes(evidence: Evidence, state_sha256: str, generated_at: dt.datetime) -> tuple[str, ...]:
    """What an auditor must know before trusting the evidence for this matrix: not errors, the matrix is written.

    The evidence may have been collected against another version of the state (resources added, renamed or
    removed since), long before the matrix, or by a glz that did not record the state's hash.
    """
    notes = []
    if not evidence.state_sha256:
        notes.append("the evidence has no state hash (written by an older glz)")
    elif evidence.state_sha256 != state_sha256:
        notes.append(
            f"collected against a different state (SHA-256 {evidence.state_sha256[:12]}… vs "
            f"{state_sha256[:12]}… of this matrix's state): resources may have changed since"
        )
    collected = _parse_time(evidence.generated_at)
    if collected is None:
        notes.append(f"the evidence does not say when it was collected (generated_at = {evidence.generated_at!r})")
    elif generated_at - collected > dt.timedelta(days=STALE_AFTER_DAYS):
        days = (generated_at - collected).days
        notes.append(f"collected {days} days before the matrix was generated")
    return tuple(notes)


def verification_for(row: Row, evidence: Evidence) -> AccountVerification:
    """Aggregate the account checks behind a row's probes: every one must pass to call the row verified."""
    from controls.model import AccountVerification

    names = {p.name for p in row.probes}
    if not names:
        return AccountVerification("not-checked", "Not observable in the account (organizational or inherited).")
    checks = [c for c in evidence.checks if names.intersection(c.probes)]
    if not checks:
        return AccountVerification("not-checked", "No account check covers this requirement's evidence.")
    ids = tuple(dict.fromkeys(c.id for c in checks))
    failed = [c for c in checks if c.result == "fail"]
    unknown = [c for c in checks if c.result == "not-verifiable"]
    if failed:
        detail = "; ".join(f"{c.id} on {c.resource}: {c.reason}" for c in failed)
        return AccountVerification("failed", f"{len(failed)} of {len(checks)} checks failed: {detail}", ids)
    if unknown:
        detail = "; ".join(f"{c.id} on {c.resource}: {c.reason}" for c in unknown)
        return AccountVerification(
            "not-verifiable", f"{len(checks) - len(unknown)} passed, {len(unknown)} not verifiable: {detail}", ids
        )
    return AccountVerification("verified", f"{len(checks)} checks passed in account {evidence.account}", ids)
