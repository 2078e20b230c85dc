"""A second opinion on the matrix rows: Prowler's OCSF findings, joined through Prowler's own framework mapping.

Prowler tags each finding with the requirements its check serves (`unmapped.compliance`, e.g.
``"NIST-800-171-Revision-2": ["3_1_1"]``, ``"HIPAA": ["164_312_b"]``); those tags, not ours, put a finding on a
row, so the row shows what the scanner thinks beside what the project's own probes and `glz audit` computed.
Prowler has no NIST SP 800-171 r3 mapping: r3 rows get no scanner evidence.

A failed check that `controls/scanners/prowler-known-findings.yaml` explains (a design deviation, an
organization-level control, an open issue, or an emulator gap) is shown with its explanation; the rest are
unexplained failures, which is what an assessor should read first.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from controls import catalog
from glz.errors import UserInputError, safe_load

if TYPE_CHECKING:
    from controls.model import Row, ScannerVerdict

KNOWN_FINDINGS = Path(__file__).parent / "scanners" / "prowler-known-findings.yaml"
KINDS = ("moto-gap", "design", "organization", "open")
STATUSES = ("PASS", "FAIL", "MANUAL")
# Prowler's framework names in `unmapped.compliance` -> the matrix's framework keys
PROWLER_FRAMEWORKS = {"NIST-800-171-Revision-2": catalog.R2, "HIPAA": catalog.HIPAA}


@dataclass(frozen=True)
class KnownFinding:
    check: str
    kind: str
    reason: str
    resource: str | None = None  # regular expression searched in the resource ARN; None: any

    def explains(self, check: str, resource: str) -> bool:
        return check == self.check and (self.resource is None or re.search(self.resource, resource) is not None)


def load_known_findings(path: Path = KNOWN_FINDINGS) -> tuple[KnownFinding, ...]:
    """The explained findings; a malformed entry is an error naming its index and key."""
    document = safe_load(path.read_text(encoding="utf-8")) or {}
    known = []
    for index, raw in enumerate(document.get("findings") or []):
        where = f"{path}: findings[{index}]"
        if not isinstance(raw, dict):
            raise UserInputError(f"{where}: expected a mapping with check, kind and reason")
        for key in ("check", "kind", "reason"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise UserInputError(f"{where}.{key} = {raw.get(key)!r}: a non-empty string is required")
        if raw["kind"] not in KINDS:
            raise UserInputError(f"{where}.kind = {raw['kind']!r}: allowed {', '.join(KINDS)}")
        resource = raw.get("resource")
        if resource is not None:
            try:
                re.compile(resource)
            except re.error as error:
                raise UserInputError(f"{where}.resource = {resource!r}: not a regular expression ({error})") from None
        known.append(KnownFinding(raw["check"], raw["kind"], " ".join(raw["reason"].split()), resource))
    return tuple(known)


def explanation(check: str, resource: str, known: tuple[KnownFinding, ...]) -> KnownFinding | None:
    return next((k for k in known if k.explains(check, resource)), None)


@dataclass(frozen=True)
class ScannerFinding:
    check: str
    status: str  # PASS | FAIL | MANUAL
    resource: str
    detail: str
    requirements: tuple[tuple[str, str], ...]  # (matrix framework key, requirement id)


@dataclass(frozen=True)
class ScannerEvidence:
    source: str
    scanner: str  # e.g. "Prowler 5.46.0"
    scanned_at: str  # ISO 8601, the earliest finding's time
    account: str
    findings: tuple[ScannerFinding, ...]
    unmapped_ids: tuple[str, ...] = ()  # requirement ids the scanner named that the catalogs do not hold


def hipaa_id(prowler_id: str) -> str:
    """Prowler's ``164_308_a_1_ii_d`` -> the catalog's ``164.308(a)(1)(ii)(D)``: paragraph levels are
    (a) letter, (1) number, (ii) roman numeral, (D) capital letter."""
    part, section, *levels = prowler_id.split("_")
    return f"{part}.{section}" + "".join(
        f"({level.upper() if depth == 3 else level})" for depth, level in enumerate(levels)
    )


def _requirement(framework: str, prowler_id: str) -> str:
    return prowler_id.replace("_", ".") if framework == catalog.R2 else hipaa_id(prowler_id)


def is_prowler_ocsf(document: Any) -> bool:
    """Prowler writes a JSON array of OCSF Detection Findings whose metadata.product.name is "Prowler"."""
    return (
        isinstance(document, list)
        and bool(document)
        and isinstance(document[0], dict)
        and str(((document[0].get("metadata") or {}).get("product") or {}).get("name", "")).lower() == "prowler"
    )


def load_prowler_ocsf(path: Path, document: list[Any], expected_account: str | None = None) -> ScannerEvidence:
    """Read Prowler's `-M json-ocsf` output; refuse another account's scan or a finding of an unknown shape."""
    where = f"--evidence {path}"
    known_ids = {framework: {r.id for r in catalog.load(framework)} for framework in PROWLER_FRAMEWORKS.values()}
    findings, unmapped, accounts, times, versions = [], set(), set(), [], set()
    for index, raw in enumerate(document):
        try:
            check = str(raw["metadata"]["event_code"])
            status = str(raw["status_code"])
            resources = raw.get("resources") or [{}]
            compliance = (raw.get("unmapped") or {}).get("compliance") or {}
            versions.add(str(raw["metadata"]["product"].get("version", "")))
            accounts.add(str((raw.get("cloud") or {}).get("account", {}).get("uid", "")))
            times.append(str((raw.get("finding_info") or {}).get("created_time_dt", "")))
        except (KeyError, TypeError, AttributeError):
            raise UserInputError(f"{where}: finding [{index}] is not an OCSF finding as Prowler writes it") from None
        if status not in STATUSES:
            raise UserInputError(f"{where}: finding [{index}].status_code = {status!r}: allowed {', '.join(STATUSES)}")
        requirements = []
        for name, framework in PROWLER_FRAMEWORKS.items():
            for prowler_id in compliance.get(name) or ():
                requirement = _requirement(framework, str(prowler_id))
                if requirement in known_ids[framework]:
                    requirements.append((framework, requirement))
                else:
                    unmapped.add(f"{name} {prowler_id}")
        findings.append(
            ScannerFinding(
                check=check,
                status=status,
                resource=str(resources[0].get("uid", "")),
                detail=str(raw.get("status_detail") or raw.get("message") or ""),
                requirements=tuple(requirements),
            )
        )
    accounts.discard("")
    if expected_account and accounts and accounts != {expected_account}:
        raise UserInputError(
            f"{where}: account = {', '.join(sorted(accounts))}: the stack is pinned to account {expected_account!r}; "
            "give a scan of that account"
        )
    return ScannerEvidence(
        source=str(path),
        scanner="Prowler " + ", ".join(sorted(v for v in versions if v)),
        scanned_at=min((t for t in times if t), default=""),
        account=next(iter(accounts), ""),
        findings=tuple(findings),
        unmapped_ids=tuple(sorted(unmapped)),
    )


def scanner_verdict(row: Row, evidence: ScannerEvidence, known: tuple[KnownFinding, ...]) -> ScannerVerdict | None:
    """The scanner's findings mapped to this row, or None when the scanner maps none of its checks here."""
    from controls.model import ScannerVerdict

    mine = [f for f in evidence.findings if (row.framework, row.id) in f.requirements]
    if not mine:
        return None
    failed, explained = [], []
    for finding in (f for f in mine if f.status == "FAIL"):
        why = explanation(finding.check, finding.resource, known)
        where = f"{finding.check} on {finding.resource}"
        if why is None or why.kind == "moto-gap":
            failed.append(where)  # an emulator gap explains nothing on a real account
        else:
            explained.append(f"{where} ({why.kind}: {why.reason})")
    return ScannerVerdict(
        scanner=evidence.scanner,
        passed=sum(1 for f in mine if f.status == "PASS"),
        failed=tuple(dict.fromkeys(failed)),
        explained=tuple(dict.fromkeys(explained)),
        manual=sum(1 for f in mine if f.status == "MANUAL"),
    )


def scanner_notes(evidence: ScannerEvidence, generated_at: dt.datetime) -> tuple[str, ...]:
    notes = []
    if evidence.unmapped_ids:
        notes.append(f"requirement ids the catalogs do not hold: {', '.join(evidence.unmapped_ids)}")
    try:
        scanned = dt.datetime.fromisoformat(evidence.scanned_at)
    except ValueError:
        return (*notes, f"the scan does not say when it ran ({evidence.scanned_at!r})")
    scanned = scanned if scanned.tzinfo else scanned.replace(tzinfo=dt.UTC)
    if generated_at - scanned > dt.timedelta(days=30):
        notes.append(f"scanned {(generated_at - scanned).days} days before the matrix was generated")
    return tuple(notes)


KIND_LABELS = {
    "moto-gap": "emulator gap",
    "design": "design deviation",
    "organization": "organization's account",
    "open": "open weakness",
}


def known_findings_markdown(known: tuple[KnownFinding, ...] | None = None) -> str:
    """The table of docs/scanners.md, from the file the tests and the matrix read."""
    rows = ["| Prowler check | resource | kind | why |", "|---|---|---|---|"]
    for k in known if known is not None else load_known_findings():
        resource = (f"`{k.resource}`" if k.resource else "any").replace("|", r"\|")
        rows.append(f"| `{k.check}` | {resource} | {KIND_LABELS[k.kind]} | {k.reason} |")
    return "\n".join(rows) + "\n"
