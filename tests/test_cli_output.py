"""What glz prints: relative paths and what to open next, one verdict line with --quiet, one JSON document with
--json, no escape codes when stdout and stderr are not terminals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _glz(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glz.cli", "--project-dir", str(ROOT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.fixture(scope="module")
def state_file(demo_state_document, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("state") / "demo.json"
    path.write_text(json.dumps(demo_state_document))
    return path


def test_json_mode_prints_one_document_with_relative_files(state_file, tmp_path):
    out = tmp_path / "reports"
    done = _glz("check", "--state", str(state_file), "--no-checkov", "--out", str(out), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # the whole of stdout is the document
    assert document["command"] == "check" and document["exitCode"] == 0 and document["summary"]["passed"] is True
    assert document["summary"]["failed"] == 0 and document["summary"]["checks"] > 300
    assert "reports/policy-report.sarif" in document["written"]
    assert all(not Path(f).is_absolute() and (tmp_path / f).exists() for f in document["written"])
    assert "\x1b[" not in done.stdout + done.stderr


def test_quiet_mode_prints_the_verdict_only(state_file, tmp_path):
    done = _glz("check", "--state", str(state_file), "--no-checkov", "--out", str(tmp_path), "--quiet")
    assert done.returncode == 0 and done.stdout.count("\n") == 1
    assert done.stdout.startswith("PASSED: stack 'demo':")


def test_a_failing_gate_says_so_in_every_mode_and_points_at_the_report(demo_state_document, tmp_path):
    document = json.loads(json.dumps(demo_state_document))
    document["deployment"]["resources"] = [
        r for r in document["deployment"]["resources"] if r["type"] != "aws:cloudtrail/trail:Trail"
    ]
    path = tmp_path / "weak.json"
    path.write_text(json.dumps(document))
    text = _glz("check", "--state", str(path), "--no-checkov", "--out", str(tmp_path / "r"), cwd=tmp_path)
    assert text.returncode == 1
    assert text.stdout.rstrip().splitlines()[-1].startswith("FAILED: stack")
    assert "Open next: r/policy-report.txt" in text.stdout
    as_json = json.loads(
        _glz("check", "--state", str(path), "--no-checkov", "--out", str(tmp_path / "r"), "--json").stdout
    )
    assert as_json["exitCode"] == 1 and any(b["rule"] == "GLZ-LOG-001" for b in as_json["summary"]["blocking"])


def test_quiet_and_json_exclude_each_other(state_file):
    done = _glz("check", "--state", str(state_file), "--quiet", "--json")
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


def test_matrix_json_carries_the_strict_counts_and_opens_the_html(state_file, tmp_path):
    done = _glz("matrix", "--state", str(state_file), "--no-checkov", "--out", str(tmp_path / "m"), "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    frameworks = document["summary"]["frameworks"]
    assert set(frameworks) == {"nist-800-171-r2", "nist-800-171-r3", "hipaa"}
    assert frameworks["nist-800-171-r2"]["requirements"] == 110 and frameworks["hipaa"]["automatedStrict"] > 30
    assert document["openNext"].endswith("m/control-matrix.html")


@pytest.mark.parametrize(("no_color", "spins"), [("", True), ("1", False)])
def test_no_color_turns_the_spinner_off_on_a_terminal(monkeypatch, no_color, spins):
    """NO_COLOR (no-color.org) asks for plain output: on a terminal the step runs without the spinner."""
    from rich.console import Console

    from glz.console import Output

    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    shown: list[str] = []
    output = Output("text")
    monkeypatch.setattr(output.progress, "status", lambda label, **_: shown.append(label) or _Nothing())
    with output.step("synthesizing"):
        pass
    assert (shown == ["synthesizing"]) is spins


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False
