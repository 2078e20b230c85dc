"""The matrix as flat records: one shape shared by the xlsx sheets, the CSV and the Markdown."""

from __future__ import annotations

from controls import catalog
from controls.model import Matrix, Row, RuleOutcome

ROW_COLUMNS = (
    "Framework",
    "ID",
    "Family",
    "Requirement",
    "Determination",
    "Status",
    "Responsibility",
    "Implementation statement",
    "Determination basis",
    "Resources",
    "Components",
    "Policy rules",
    "AWS Config rules",
    "Gaps",
    "Deviations (suppressed)",
    "Customer actions",
    "Justification",
)
EXTRA_COLUMNS = {catalog.R2: ("DoD points",), catalog.HIPAA: ("Required/Addressable",), catalog.R3: ()}
VERIFIED_COLUMN = "Verified in account"
SCANNER_COLUMN = "Scanner findings"


def rule_text(outcome: RuleOutcome) -> str:
    detail = f"{outcome.checked} checked" if outcome.outcome == "passed" else outcome.outcome
    if outcome.outcome == "failed":
        detail = f"failed on {outcome.failed} of {outcome.checked}"
    return f"{outcome.rule_id} ({detail})"


def determination_text(row: Row) -> str:
    """What the determination rests on, how it was assessed, and for anything but Met what is missing."""
    found = row.determination
    if found is None:
        return ""
    lines = [*found.basis, f"methods: {', '.join(found.methods)}"]
    if found.reason:
        lines.insert(0, f"why: {found.reason}")
    return "\n".join(lines)


def has_evidence(matrix: Matrix) -> bool:
    return any(row.verified is not None for row in matrix.all_rows())


def has_scanner(matrix: Matrix) -> bool:
    return matrix.info.scanner is not None


def evidence_columns(matrix: Matrix) -> tuple[str, ...]:
    """The columns live evidence adds: `glz audit`'s verification, a scanner's second opinion."""
    return ((VERIFIED_COLUMN,) if has_evidence(matrix) else ()) + ((SCANNER_COLUMN,) if has_scanner(matrix) else ())


def scanner_text(row: Row) -> str:
    return f"{row.scanner.result}: {row.scanner.detail}" if row.scanner else ""


def row_columns(framework: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    return ROW_COLUMNS[:6] + EXTRA_COLUMNS[framework] + ROW_COLUMNS[6:] + extra


def row_record(row: Row, extra: tuple[str, ...]) -> dict[str, str | int]:
    record: dict[str, str | int] = {
        "Framework": catalog.FRAMEWORKS[row.framework].name + " " + catalog.FRAMEWORKS[row.framework].version,
        "ID": row.id,
        "Family": f"{row.family_id} {row.family}",
        "Requirement": row.text if row.title == row.text else f"{row.title}: {row.text}",
        "Determination": row.determination.result if row.determination else "",
        "Status": row.status,
        "Responsibility": row.responsibility_label,
        "Implementation statement": row.statement,
        "Determination basis": determination_text(row),
        "Resources": "\n".join(row.resources),
        "Components": "\n".join(row.components),
        "Policy rules": "\n".join(rule_text(o) for o in row.rules),
        "AWS Config rules": "\n".join(row.config_rules),
        "Gaps": "\n".join(row.gaps),
        "Deviations (suppressed)": "\n".join(row.deviations),
        "Customer actions": row.customer_actions,
        "Justification": row.justification,
    }
    if row.framework == catalog.R2:
        record["DoD points"] = int(row.dod_points or 0)
    if row.framework == catalog.HIPAA:
        record["Required/Addressable"] = row.hipaa_status or "standard"
    if VERIFIED_COLUMN in extra:
        verified = row.verified
        record[VERIFIED_COLUMN] = f"{verified.result}: {verified.detail}" if verified else ""
    if SCANNER_COLUMN in extra:
        record[SCANNER_COLUMN] = scanner_text(row)
    return record


def framework_records(matrix: Matrix, framework: str) -> tuple[tuple[str, ...], list[dict[str, str | int]]]:
    extra = evidence_columns(matrix)
    return row_columns(framework, extra), [row_record(r, extra) for r in matrix.rows[framework]]


OBJECTIVE_COLUMNS = ("Objective", "Requirement", "Determine if", "Determination", "Basis")


def objective_records(matrix: Matrix, framework: str = catalog.R2) -> list[dict[str, str | int]]:
    """Every SP 800-171A determination statement of the framework (r2's 320 objectives; r3's ODP and objective
    statements, the ODPs the stack sets filled in) with its requirement's determination: the evidence the matrix
    holds is per requirement, so each statement is determined with its requirement and says so."""
    records: list[dict[str, str | int]] = []
    for row in matrix.rows.get(framework, []):
        for objective, text in row.objectives:
            records.append(
                {
                    "Objective": objective,
                    "Requirement": row.id,
                    "Determine if": text,
                    "Determination": row.determination.result if row.determination else "",
                    "Basis": f"determined with requirement {row.id}\n{determination_text(row)}",
                }
            )
    return records


PARAMETER_COLUMNS = ("ODP", "Requirement", "Organization-defined", "Value", "Set by")


def parameter_records(matrix: Matrix) -> list[dict[str, str | int]]:
    """Every SP 800-171 Rev. 3 ODP: the value the stack's settings fix, or the organization's to define."""
    stack = {pid: value for row in matrix.rows.get(catalog.R3, []) for pid, value in row.parameters}
    active = {row.id for row in matrix.rows.get(catalog.R3, [])}
    return [
        {
            "ODP": pid,
            "Requirement": spec["requirement"],
            "Organization-defined": spec["usage"] or "selection: " + "; ".join(spec["choices"]),
            "Value": stack.get(pid, ""),
            "Set by": "stack settings (controls/mapping/r3_parameters.yaml)"
            if pid in stack
            else "the organization (SSP)",
        }
        for pid, spec in catalog.r3_parameters().items()
        if spec["requirement"] in active
    ]
