"""Write every form of the matrix into build/<stack>/: xlsx, csv, md, html, OSCAL SSPs and POA&Ms,
the CMMC Level 2 and NIH views, conformance pack."""

from __future__ import annotations

from pathlib import Path

from controls.model import Matrix

BASENAME = "control-matrix"
CONFORMANCE_PACK_FILE = "conformance-pack.yaml"


class OutputError(RuntimeError):
    """A generated artifact failed its own validation (OSCAL schema, cfn-lint)."""


def write_conformance_pack(matrix: Matrix, out_dir: Path) -> Path:
    """The pack the landing zone deploys, written beside the matrix and linted with cfn-lint."""
    from controls.conformance_pack import conformance_pack_template, lint_template

    template = conformance_pack_template(matrix.config_rules)
    problems = lint_template(template)
    if problems:
        raise OutputError("cfn-lint found problems in the generated conformance pack:\n  " + "\n  ".join(problems))
    path = out_dir / CONFORMANCE_PACK_FILE
    path.write_text(template, encoding="utf-8")
    return path


def write_all(matrix: Matrix, out_dir: Path) -> list[Path]:
    from controls.render.assessment import write_assessment
    from controls.render.component_definition import write_component_definition
    from controls.render.html import render_html
    from controls.render.oscal import write_ssps
    from controls.render.poam import write_poams
    from controls.render.text import write_csv, write_markdown
    from controls.render.views import write_views
    from controls.render.xlsx import write_xlsx

    out_dir.mkdir(parents=True, exist_ok=True)
    html = out_dir / f"{BASENAME}.html"
    html.write_text(render_html(matrix), encoding="utf-8")
    return [
        write_xlsx(matrix, out_dir / f"{BASENAME}.xlsx"),
        write_csv(matrix, out_dir / f"{BASENAME}.csv"),
        write_markdown(matrix, out_dir / f"{BASENAME}.md"),
        html,
        *write_ssps(matrix, out_dir),
        *write_poams(matrix, out_dir),
        *write_component_definition(matrix, out_dir),
        *write_assessment(matrix, out_dir),
        *write_views(matrix, out_dir),
        write_conformance_pack(matrix, out_dir),
    ]
