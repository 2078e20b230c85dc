"""The data-path drawing is generated from the state and follows it: the access model draws every arrow."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from glz.diagram import data_path
from glz.state import StackState

ROOT = Path(__file__).resolve().parent.parent


def _drawing(document: dict) -> str:
    return data_path(StackState(document, "demo-state.json"))


def test_the_architecture_doc_shows_the_demos_drawing(demo_state_document):
    doc = (ROOT / "docs" / "architecture.md").read_text()
    shown = doc.split("<!-- data-path:start -->\n```mermaid\n", 1)[1].split("```\n<!-- data-path:end -->", 1)[0]
    assert shown == _drawing(demo_state_document), "regenerate the drawing in docs/architecture.md"


def test_the_drawing_names_the_run_path_and_each_stage_in_order(demo_state_document):
    drawing = _drawing(demo_state_document)
    assert drawing.startswith("flowchart LR\n")
    assert 'sequencer -->|"run folder, then CopyComplete.txt or RTAComplete.txt"| tier_bcl' in drawing
    assert 'tier_bcl -.->|"Object Created: marker"| rule_glz_demo_run_complete --> workflow_glz_demo_runs' in drawing
    order = [drawing.index(f"-->|{n}| stage_glz_demo_{s}") for n, s in ((1, "demultiplex"), (2, "alignment"))]
    assert order == sorted(order)
    assert '"1. glz-demo-demultiplex<br/>Batch queue glz-demo-high-priority"' in drawing
    assert 'tier_bcl -->|"reads"| stage_glz_demo_demultiplex' in drawing
    assert 'stage_glz_demo_demultiplex -->|"writes"| tier_fastq' in drawing
    assert 'collaborator_pharmaco_analytics -->|"writes"| tier_results' in drawing
    assert 'collaborator_broad_variant_lab -->|"writes"|' not in drawing  # read-only collaborator


def test_an_arrow_goes_when_the_policy_that_allows_it_goes(demo_state_document):
    """Take the demultiplex role's read of the BCL tier away (its policy, not a setting): the arrow goes."""
    document = copy.deepcopy(demo_state_document)
    policy = next(
        r
        for r in document["deployment"]["resources"]
        if r["type"] == "aws:iam/rolePolicy:RolePolicy" and r["inputs"].get("role") == "glz-demo-batch-job-demultiplex"
    )
    for props in (policy["inputs"], policy["outputs"]):
        parsed = json.loads(props["policy"])
        parsed["Statement"] = [s for s in parsed["Statement"] if not str(s.get("Sid", "")).startswith("ReadInputTiers")]
        props["policy"] = json.dumps(parsed)
    drawing = _drawing(document)
    assert 'tier_bcl -->|"reads"| stage_glz_demo_demultiplex' not in drawing
    assert 'stage_glz_demo_demultiplex -->|"writes"| tier_fastq' in drawing
