"""Shared fixtures: one offline synthesis of the demo stack per test session (per xdist worker)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def synthesized(out: Path, stack: str = "demo", project: Path = ROOT) -> dict:
    """A stack's state as `glz synth` writes it (synthesis is one per process, so a subprocess)."""
    result = subprocess.run(
        [sys.executable, "-m", "glz.cli", "--project-dir", str(project), "synth", "--stack", stack, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads((out / "state.json").read_text())


@pytest.fixture(scope="session")
def demo_state_document(tmp_path_factory) -> dict:
    """The demo stack's state as `glz synth` writes it."""
    return synthesized(tmp_path_factory.mktemp("demo-state"))


def matrix_of(document: dict, suppressions: list | None = None, evidence=None, attestations=None, scanner=None):
    """The control matrix of a state document, with the project's own rules (checkov left out for speed)."""
    import datetime as dt

    from controls.matrix import build_matrix
    from glz.gate import run_rules
    from glz.state import StackState
    from policies.rules import ALL_RULES

    state = StackState(document, "demo-state.json")
    gate = run_rules(state, ALL_RULES, list(suppressions or []), today=dt.date(2026, 11, 23))
    when = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    return build_matrix(
        state, gate, ALL_RULES, "demo", evidence=evidence, generated_at=when, attestations=attestations, scanner=scanner
    )


@pytest.fixture(scope="session")
def demo_matrix(demo_state_document):
    """The demo stack's control matrix (own rules only); renderers are tested on it."""
    return matrix_of(demo_state_document)


@pytest.fixture
def moto_demo_account(demo_state_document, monkeypatch):
    """A fresh moto account holding the demo stack as deployed (tests/audit_account.py), for one test to change."""
    from moto import mock_aws

    from tests.audit_account import MOTO_ENV, MotoAccount

    for key, value in MOTO_ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield MotoAccount(demo_state_document)
