"""Shared fixtures: one offline synthesis of the demo stack per test session (per xdist worker)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_state_document(tmp_path_factory) -> dict:
    """The demo stack's state as `glz synth` writes it (synthesis is one per process, so a subprocess)."""
    out = tmp_path_factory.mktemp("demo-state")
    result = subprocess.run(
        [sys.executable, "-m", "glz.cli", "synth", "--stack", "demo", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads((out / "state.json").read_text())
