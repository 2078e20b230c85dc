"""The plan of action and milestones: every requirement not met or not assessed, with the organization's plan.

One OSCAL POA&M per framework (control-matrix-poam-<framework>.json), importing that framework's SSP, validated
with compliance-trestle's model before it is written, and the same items as the xlsx sheet "Plan of action".
Each item has an observation (why it is open, with the SP 800-171A methods behind it), a risk (open, with the
plan's due date as its deadline) and, when the attestation file records one, a planned remediation naming the
milestone and owner. Items without a plan say so: nothing is invented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trestle.oscal.poam import PlanOfActionAndMilestones

from controls.catalog import FRAMEWORKS
from controls.determination import OPEN
from controls.model import Matrix, Row
from controls.render.oscal import (
    NS,
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

POAM_COLUMNS = (
    "Framework",
    "ID",
    "Requirement",
    "Determination",
    "Weakness",
    "Milestone",
    "Owner",
    "Due",
    "DoD points",
)
NO_PLAN = "no plan recorded (attestation file: milestone, owner, due)"


def open_rows(matrix: Matrix, framework: str) -> list[Row]:
    return [r for r in matrix.rows[framework] if r.determination is not None and r.determination.result in OPEN]


def poam_records(matrix: Matrix) -> list[dict[str, str | int]]:
    records: list[dict[str, str | int]] = []
    for framework in matrix.rows:
        for row in open_rows(matrix, framework):
            plan = row.plan
            records.append(
                {
                    "Framework": f"{FRAMEWORKS[framework].name} {FRAMEWORKS[framework].version}",
                    "ID": row.id,
                    "Requirement": row.title,
                    "Determination": row.determination.result,
                    "Weakness": row.determination.reason,
                    "Milestone": plan.milestone if plan else NO_PLAN,
                    "Owner": plan.owner if plan else "",
                    "Due": plan.due if plan else "",
                    "DoD points": int(row.dod_points or 0) if row.dod_points is not None else "",
                }
            )
    return records


def _methods(row: Row) -> list[str]:
    return [m.upper() for m in row.determination.methods] or ["UNKNOWN"]


def _item(row: Row, framework: str, ids: _Ids, collected: str) -> tuple[dict, dict, dict]:
    observation_id = ids("poam-observation", framework, row.id)
    risk_id = ids("poam-risk", framework, row.id)
    weakness = row.determination.reason or row.determination.result
    observation = {
        "uuid": observation_id,
        "title": f"{row.id} {row.determination.result}",
        "description": weakness,
        "methods": _methods(row),
        "collected": collected,
        "remarks": "\n\n".join(row.determination.basis) or "No evidence of the organization's part.",
    }
    risk: dict[str, Any] = {
        "uuid": risk_id,
        "title": f"{row.id} {_line(row.title)} is {row.determination.result.lower()}",
        "description": _line(row.text),
        "statement": weakness,
        "status": "open",
    }
    if row.plan is not None:
        if row.plan.due:
            risk["deadline"] = f"{row.plan.due}T23:59:59Z"
        risk["remediations"] = [
            {
                "uuid": ids("poam-remediation", framework, row.id),
                "lifecycle": "planned",
                "title": row.plan.milestone or "Milestone not set",
                "description": f"Owner: {row.plan.owner or 'not set'}; due {row.plan.due or 'not set'}.",
            }
        ]
    item = {
        "uuid": ids("poam-item", framework, row.id),
        "title": f"{row.id}: {_line(row.title)}",
        "description": weakness,
        "props": [
            _prop("requirement-id", row.id),
            _prop("control-id", control_id(framework, row.id)),
            _prop("determination", row.determination.result),
            *([_prop("dod-assessment-points", row.dod_points)] if row.dod_points is not None else []),
        ],
        "related-observations": [{"observation-uuid": observation_id}],
        "related-risks": [{"risk-uuid": risk_id}],
        "remarks": f"Plan: {row.plan.milestone}" if row.plan else f"Plan: {NO_PLAN}.",
    }
    return observation, risk, item


def render_poam(matrix: Matrix, framework: str) -> dict[str, Any]:
    ids = _Ids(matrix)
    metadata = _metadata(matrix, framework, ids)
    fw = FRAMEWORKS[framework]
    metadata["title"] = (
        f"Plan of action and milestones: {matrix.info.project} stack {matrix.info.stack} against {fw.name} {fw.version}"
    )
    observations, risks, items = [], [], []
    for row in open_rows(matrix, framework):
        observation, risk, item = _item(row, framework, ids, matrix.info.generated_at)
        observations.append(observation)
        risks.append(risk)
        items.append(item)
    body: dict[str, Any] = {
        "uuid": ids("poam", framework, matrix.info.state_sha256),
        "metadata": metadata,
        "import-ssp": {"href": ssp_filename(framework)},
        "system-id": {"identifier-type": "https://ietf.org/rfc/rfc4122", "id": ids("system")},
        "poam-items": items
        or [
            {
                "uuid": ids("poam-item", framework, "none"),
                "title": "No open items",
                "description": f"Every requirement of {fw.name} {fw.version} is met or not applicable.",
                "props": [_prop("open-items", 0, ns=NS)],
            }
        ],
    }
    if observations:
        body["observations"] = observations
        body["risks"] = risks
    return {"plan-of-action-and-milestones": body}


def validate_poam(document: dict[str, Any]) -> PlanOfActionAndMilestones:
    return validate_model(PlanOfActionAndMilestones, document, "plan-of-action-and-milestones", "POA&M")


def poam_filename(framework: str) -> str:
    return f"control-matrix-poam-{framework}.json"


def write_poams(matrix: Matrix, out_dir: Path) -> list[Path]:
    documents = {framework: render_poam(matrix, framework) for framework in SSP_FRAMEWORKS}
    for document in documents.values():
        validate_poam(document)
    return write_documents(documents, out_dir, poam_filename)
