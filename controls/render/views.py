"""Views users must file: the CMMC Level 2 self-assessment view and the NIH controlled-access data summary.

Both are layouts of the same matrix (determinations, SPRS score, plans), written beside it as Markdown:

- control-matrix-cmmc-l2.md: CMMC Level 2 is NIST SP 800-171 Rev. 2's 110 requirements and SP 800-171A's 320
  objectives, scored by the DoD Assessment Methodology (32 CFR 170.24). Practices are named as the CMMC
  Assessment Guide Level 2 names them: the family's two-letter domain, ".L2-", the requirement number
  (3.1.1 -> AC.L2-3.1.1).
- control-matrix-nih-summary.md: one page for an institution attesting, for NIH controlled-access genomic data
  (NOT-OD-24-157), that the system meets NIST SP 800-171: what the stack evidences, what the institution
  attests, and what is open.
"""

from __future__ import annotations

from pathlib import Path

from controls import catalog
from controls.determination import MET, NOT_APPLICABLE_RESULT, OPEN, sprs_basis
from controls.model import Matrix, Row

DOMAINS = {
    "3.1": "AC",
    "3.2": "AT",
    "3.3": "AU",
    "3.4": "CM",
    "3.5": "IA",
    "3.6": "IR",
    "3.7": "MA",
    "3.8": "MP",
    "3.9": "PS",
    "3.10": "PE",
    "3.11": "RA",
    "3.12": "CA",
    "3.13": "SC",
    "3.14": "SI",
}
"""SP 800-171 Rev. 2 families and their CMMC domains (CMMC Assessment Guide Level 2, practice naming)."""


def practice_id(requirement_id: str) -> str:
    family = requirement_id.rsplit(".", 1)[0]
    return f"{DOMAINS[family]}.L2-{requirement_id}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_cmmc(matrix: Matrix) -> str:
    info, sprs = matrix.info, matrix.sprs
    rows = matrix.rows[catalog.R2]
    counts = matrix.determination_counts(catalog.R2)
    objectives = sum(len(r.objectives) for r in rows)
    lines = [
        f"# CMMC Level 2 self-assessment view: stack `{info.stack}`",
        "",
        f"Account {info.account}, region {info.region}; generated {info.generated_at} by glz {info.tool_version} "
        f"from `{info.state_source}`.",
        "",
        f"- SPRS score: **{sprs.score}** of {sprs.maximum} ({sprs_basis(sprs)}).",
        f"- Practices: {len(rows)}; " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".",
        f"- Assessment objectives (SP 800-171A): {objectives}, each determined with its practice.",
        "- A practice is MET only on evidence: the stack's checks, the account's live checks and the "
        "organization's attestations (docs/attestations.md); NOT MET and NOT ASSESSED practices are in the plan "
        "of action (control-matrix-poam-nist-800-171-r2.json).",
        "",
        "| Practice | Points | Determination | Objectives | Why not met / plan |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        found = row.determination
        detail = ""
        if found is not None and found.result in OPEN:
            detail = found.reason
            if row.plan is not None:
                detail += f" Plan: {row.plan.milestone} ({row.plan.owner}, due {row.plan.due or 'not set'})."
        lines.append(
            f"| {practice_id(row.id)} | {row.dod_points or 0} | {found.result if found else ''} | "
            f"{', '.join(o for o, _ in row.objectives)} | {_cell(detail)} |"
        )
    return "\n".join(lines) + "\n"


def _by_result(rows: list[Row], *results: str) -> list[Row]:
    return [r for r in rows if r.determination is not None and r.determination.result in results]


def render_nih(matrix: Matrix) -> str:
    info, sprs = matrix.info, matrix.sprs
    rows = matrix.rows[catalog.R2]
    stack_met = [r for r in _by_result(rows, MET) if r.responsibility == "landing-zone"]
    attested = [r for r in _by_result(rows, MET) if r.responsibility in ("shared", "customer")]
    inherited = [r for r in _by_result(rows, MET) if r.responsibility == "inherited"]
    open_rows = _by_result(rows, *OPEN)
    lines = [
        f"# NIH controlled-access data: security summary for stack `{info.stack}`",
        "",
        "For an institution attesting that the system holding NIH controlled-access genomic data meets NIST SP "
        "800-171 (NIH NOT-OD-24-157). Computed from the control matrix; the attestation itself is the "
        "institution's.",
        "",
        f"**System**: AWS account {info.account}, region {info.region}, data classification "
        f"`{info.classification}`; policy gate {info.gate_summary}. SPRS score **{sprs.score}** of {sprs.maximum}.",
        "",
        f"**What the stack evidences** ({len(stack_met)} requirements met by checks of the deployed configuration):"
        f" {', '.join(r.id for r in stack_met) or 'none'}.",
        "",
        f"**What AWS provides** ({len(inherited)} requirements, AWS's SOC 2 and FedRAMP reports): "
        f"{', '.join(r.id for r in inherited) or 'none'}.",
        "",
        f"**What the institution attests** ({len(attested)} requirements met with a current attestation): "
        f"{', '.join(r.id for r in attested) or 'none'}.",
        "",
        f"**Open items** ({len(open_rows)} requirements not met or not assessed; the plan of action lists each):",
        "",
    ]
    lines += [f"- {r.id} {r.determination.result}: {r.determination.reason}" for r in open_rows] or ["- none"]
    not_applicable = _by_result(rows, NOT_APPLICABLE_RESULT)
    if not_applicable:
        lines += ["", f"**Not applicable**: {', '.join(r.id for r in not_applicable)}."]
    return "\n".join(lines) + "\n"


def write_views(matrix: Matrix, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (
        ("control-matrix-cmmc-l2.md", render_cmmc(matrix)),
        ("control-matrix-nih-summary.md", render_nih(matrix)),
    ):
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
