"""An OSCAL component definition of the landing zone: each component, and what it implements for which requirement.

Organizations assemble their own SSP from component definitions (compliance-trestle's `author` workflows);
this one lists every landing-zone component the matrix's probes found in the stack (AuditTrail, EncryptionKeys,
SecureNetwork, ...), with one control implementation per framework whose implemented requirements are the rows
the component evidences, described by the probes that read it: each probe's check, its verdict (a probe judges the
whole stack) and the component's own resources it read. The sources are the catalogs
the SSPs import (NIST's official r3 catalog; the generated r2 and HIPAA catalogs). Validated with trestle's
ComponentDefinition model before it is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trestle.oscal.component import ComponentDefinition

from controls.catalog import FRAMEWORKS, R3
from controls.model import Matrix, Row
from controls.render.oscal import (
    R3_CATALOG_URL,
    SSP_FRAMEWORKS,
    _Ids,
    _metadata,
    _prop,
    catalog_filename,
    component_findings,
    control_id,
    validate_model,
    write_documents,
)

FILENAME = "control-matrix-component-definition.json"


def _source(framework: str) -> str:
    return R3_CATALOG_URL if framework == R3 else catalog_filename(framework)


def _description(row: Row, component: str) -> str:
    return component_findings(row, component) or row.statement


def render_component_definition(matrix: Matrix) -> dict[str, Any]:
    ids = _Ids(matrix)
    metadata = _metadata(matrix, R3, ids)
    metadata["title"] = f"Component definition: {matrix.info.project} stack {matrix.info.stack} landing-zone components"
    names = sorted({c for framework in SSP_FRAMEWORKS for row in matrix.rows[framework] for c in row.components})
    components = []
    for name in names:
        kind = name.split(" ", 1)[0]
        implementations = []
        for framework in SSP_FRAMEWORKS:
            rows = [r for r in matrix.rows[framework] if name in r.components]
            if not rows:
                continue
            fw = FRAMEWORKS[framework]
            implementations.append(
                {
                    "uuid": ids("component-definition", name, framework),
                    "source": _source(framework),
                    "description": f"What {name} implements for {fw.name} {fw.version}.",
                    "implemented-requirements": [
                        {
                            "uuid": ids("component-definition", name, framework, row.id),
                            "control-id": control_id(framework, row.id),
                            "description": _description(row, name),
                            "props": [
                                _prop("requirement-id", row.id),
                                _prop("responsibility", row.responsibility, remarks=row.responsibility_label),
                            ],
                        }
                        for row in rows
                    ],
                }
            )
        components.append(
            {
                "uuid": ids("component-definition", name),
                "type": "software",
                "title": name,
                "description": f"The landing zone's {kind} component ({name}) in stack {matrix.info.stack}, a Pulumi"
                f" component resource of type glz:*:{kind}.",
                "purpose": "Provides the security properties listed per requirement for genomic data on AWS.",
                "control-implementations": implementations,
            }
        )
    return {
        "component-definition": {
            "uuid": ids("component-definition", matrix.info.state_sha256),
            "metadata": metadata,
            "components": components,
        }
    }


def validate_component_definition(document: dict[str, Any]) -> ComponentDefinition:
    return validate_model(ComponentDefinition, document, "component-definition", "component definition")


def write_component_definition(matrix: Matrix, out_dir: Path) -> list[Path]:
    document = render_component_definition(matrix)
    validate_component_definition(document)
    return write_documents({"all": document}, out_dir, lambda _framework: FILENAME)
