"""control-matrix.csv (every framework in one sheet-like file) and control-matrix.md (for reviews in Git)."""

from __future__ import annotations

import csv
from pathlib import Path

from controls import catalog
from controls.determination import RESULTS, sprs_basis
from controls.model import Matrix, StackInfo
from controls.render.tabular import (
    ROW_COLUMNS,
    determination_text,
    evidence_columns,
    framework_records,
    rule_text,
)


def write_csv(matrix: Matrix, path: Path) -> Path:
    """One row per requirement of all three frameworks; framework-specific columns share one file."""
    columns = [*ROW_COLUMNS[:6], "DoD points", "Required/Addressable", *ROW_COLUMNS[6:]]
    columns += evidence_columns(matrix)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
        writer.writeheader()
        for framework in matrix.rows:
            for record in framework_records(matrix, framework)[1]:
                writer.writerow({c: record.get(c, "") for c in columns})
    return path


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def _scanner_evidence(info: StackInfo) -> list[str]:
    if not info.scanner:
        return []
    lines = [
        f"Scanner evidence: {info.scanner}, `{info.scanner_source}`, scanned "
        f"{info.scanner_scanned_at or 'at an unknown time'} (column “Scanner findings”: the scanner's checks mapped "
        "to each requirement by the scanner's own framework mapping; failures the project explains are listed apart).",
        "",
    ]
    if info.scanner_notes:
        lines += ["**Notes on the scanner evidence:**", "", *(f"- {note}" for note in info.scanner_notes), ""]
    return lines


def _live_evidence(info: StackInfo) -> list[str]:
    """The evidence paragraph of the header, with its notes (stale or mismatched evidence) as a list."""
    if not info.evidence_source:
        return _scanner_evidence(info)
    lines = [
        f"Live evidence: `{info.evidence_source}`, collected {info.evidence_generated_at or 'at an unknown time'} "
        "(column “Verified in account”).",
        "",
    ]
    if info.evidence_notes:
        lines += [
            "**Notes on the live evidence** (re-run `glz audit` against the current state to clear them):",
            "",
            *(f"- {note}" for note in info.evidence_notes),
            "",
        ]
    return lines + _scanner_evidence(info)


def render_markdown(matrix: Matrix) -> str:
    info, sprs = matrix.info, matrix.sprs
    lines = [
        f"# Control matrix: stack `{info.stack}`",
        "",
        f"Generated {info.generated_at} by glz {info.tool_version} from `{info.state_source}` "
        f"(SHA-256 `{info.state_sha256[:16]}…`). Account {info.account}, region {info.region}, "
        f"classification `{info.classification}`. Policy gate: {info.gate_summary}.",
        "",
        *_live_evidence(info),
        f"SPRS score (NIST 800-171 r2, DoD Assessment Methodology): **{sprs.score}** of {sprs.maximum} "
        f"({sprs_basis(sprs)}).",
        "",
        "| Framework | " + " | ".join(RESULTS) + " | Automated (strict) |",
        "|---|" + "---|" * (len(RESULTS) + 1),
    ]
    for framework, rows in matrix.rows.items():
        counts = matrix.determination_counts(framework)
        name = f"{catalog.FRAMEWORKS[framework].name} {catalog.FRAMEWORKS[framework].version}"
        strict = f"{matrix.strict_count(framework)} of {len(rows)}"
        lines.append(f"| {name} | " + " | ".join(str(counts[s]) for s in RESULTS) + f" | {strict} |")
    for framework, rows in matrix.rows.items():
        meta = catalog.FRAMEWORKS[framework]
        lines += [
            "",
            f"## {meta.name} {meta.version}",
            "",
            "| ID | Determination | Status | Responsibility | Implementation statement | Evidence |",
            "|---|---|---|---|---|---|",
        ]
        for row in rows:
            evidence = [rule_text(o) for o in row.rules] + row.config_rules
            if row.gaps:
                evidence += [f"GAP: {g}" for g in row.gaps]
            if row.deviations:
                evidence += [f"DEVIATION: {d}" for d in row.deviations]
            if row.verified is not None:
                evidence.append(f"Verified in account: {row.verified.result}")
            if row.scanner is not None:
                evidence.append(f"{row.scanner.scanner}: {row.scanner.result}")
            statement = row.statement
            if row.customer_actions:
                statement += f"\n**Customer actions:** {row.customer_actions}"
            evidence.append(determination_text(row))
            lines.append(
                f"| {row.id} | {row.determination.result if row.determination else ''} | {row.status} | "
                f"{row.responsibility_label} | {_cell(statement)} | {_cell(chr(10).join(evidence))} |"
            )
    return "\n".join(lines) + "\n"


def write_markdown(matrix: Matrix, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(matrix), encoding="utf-8")
    return path
