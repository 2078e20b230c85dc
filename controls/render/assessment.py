"""OSCAL assessment plan and assessment results, written when the matrix is given `glz audit` evidence.

The results are the assessment the matrix records: per requirement, a finding whose target is the
requirement's statement, `satisfied` only when its determination is Met, with the observations behind it: the
live account checks (method TEST, collected when `glz audit` ran) and the determination's basis. OSCAL requires
results to import an assessment plan, so a minimal plan is written beside them: it imports the framework's SSP
and reviews every control (the audit's checks are the plan). Both are validated with compliance-trestle's
models before they are written. Without evidence nothing is written: there was no assessment of the account.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults

from controls.catalog import FRAMEWORKS, R3
from controls.determination import MET
from controls.model import Matrix, Row
from controls.render.oscal import (
    SSP_FRAMEWORKS,
    _Ids,
    _line,
    _metadata,
    _prop,
    control_id,
    ssp_filename,
    validate_model,
    write_documents,
)

INCLUDE_ALL = {"control-selections": [{"include-all": {}}]}


def plan_filename(framework: str) -> str:
    return f"control-matrix-ap-{framework}.json"


def results_filename(framework: str) -> str:
    return f"control-matrix-ar-{framework}.json"


def statement_id(framework: str, requirement_id: str) -> str:
    """The id of the requirement's statement part in the catalog the SSP imports: NIST's r3 catalog names them
    statement_03.01.01; the generated r2 and HIPAA catalogs <control-id>_smt (controls/render/oscal_catalog.py)."""
    return f"statement_{requirement_id}" if framework == R3 else f"{control_id(framework, requirement_id)}_smt"


def render_plan(matrix: Matrix, framework: str) -> dict[str, Any]:
    ids = _Ids(matrix)
    metadata = _metadata(matrix, framework, ids)
    fw = FRAMEWORKS[framework]
    metadata["title"] = (
        f"Assessment plan: {matrix.info.project} stack {matrix.info.stack} against {fw.name} {fw.version}"
    )
    return {
        "assessment-plan": {
            "uuid": ids("assessment-plan", framework, matrix.info.state_sha256),
            "metadata": metadata,
            "import-ssp": {"href": ssp_filename(framework)},
            "reviewed-controls": {
                **INCLUDE_ALL,
                "description": "Every requirement: the stack's checks (policy gate, probes), the account's read-only"
                " checks (`glz audit`, docs/auditor-guide.md) and the organization's attestations.",
            },
        }
    }


def _observation(row: Row, framework: str, ids: _Ids, collected: str) -> dict[str, Any] | None:
    if row.verified is None or row.verified.result == "not-checked":
        return None
    return {
        "uuid": ids("ar-observation", framework, row.id),
        "title": f"{row.id}: account checks {row.verified.result}",
        "description": row.verified.detail,
        "methods": ["TEST"],
        "types": ["control-objective"],
        "collected": collected,
        "props": [_prop("audit-check", check) for check in row.verified.check_ids],
    }


def _finding(row: Row, framework: str, ids: _Ids, observation: dict[str, Any] | None) -> dict[str, Any]:
    found = row.determination
    met = found is not None and found.result == MET
    finding: dict[str, Any] = {
        "uuid": ids("ar-finding", framework, row.id),
        "title": f"{row.id} {found.result if found else 'not determined'}",
        "description": "\n\n".join(
            [*([f"Why: {found.reason}"] if found and found.reason else []), *(found.basis if found else ())]
        )
        or _line(row.title),
        "props": [_prop("determination", found.result if found else "none")],
        "target": {
            "type": "statement-id",
            "target-id": statement_id(framework, row.id),
            "status": {"state": "satisfied" if met else "not-satisfied"},
        },
    }
    if observation is not None:
        finding["related-observations"] = [{"observation-uuid": observation["uuid"]}]
    return finding


def render_results(matrix: Matrix, framework: str) -> dict[str, Any]:
    ids = _Ids(matrix)
    info = matrix.info
    metadata = _metadata(matrix, framework, ids)
    fw = FRAMEWORKS[framework]
    metadata["title"] = f"Assessment results: {info.project} stack {info.stack} against {fw.name} {fw.version}"
    collected = info.evidence_generated_at or info.generated_at
    observations, findings = [], []
    for row in matrix.rows[framework]:
        observation = _observation(row, framework, ids, collected)
        if observation is not None:
            observations.append(observation)
        findings.append(_finding(row, framework, ids, observation))
    result: dict[str, Any] = {
        "uuid": ids("ar-result", framework, info.state_sha256, collected),
        "title": f"glz audit of account {info.account} ({info.region}) and the matrix's determinations",
        "description": f"Evidence {info.evidence_source}, collected {collected}; determinations as of {info.generated_at}.",
        "start": collected,
        "end": info.generated_at,
        "reviewed-controls": INCLUDE_ALL,
        "findings": findings,
    }
    if observations:
        result["observations"] = observations
    if info.evidence_notes:
        result["remarks"] = "\n\n".join(info.evidence_notes)
    return {
        "assessment-results": {
            "uuid": ids("assessment-results", framework, info.state_sha256, collected),
            "metadata": metadata,
            "import-ap": {"href": plan_filename(framework)},
            "results": [result],
        }
    }


def write_assessment(matrix: Matrix, out_dir: Path) -> list[Path]:
    """The plan and results per framework, only when the matrix has account evidence."""
    if not matrix.info.evidence_source:
        return []
    plans = {fw: render_plan(matrix, fw) for fw in SSP_FRAMEWORKS}
    results = {fw: render_results(matrix, fw) for fw in SSP_FRAMEWORKS}
    for framework in SSP_FRAMEWORKS:
        validate_model(AssessmentPlan, plans[framework], "assessment-plan", "assessment plan")
        validate_model(AssessmentResults, results[framework], "assessment-results", "assessment results")
    return write_documents(plans, out_dir, plan_filename) + write_documents(results, out_dir, results_filename)
