"""Exit codes: 0 clean, 1 violations, 2 bad input, 3 internal error; a closed pipe ends quietly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import glz.cli
from glz.cli import EXIT_BROKEN_PIPE, main
from glz.errors import EXIT_BAD_INPUT, EXIT_INTERNAL
from tests.conftest import ROOT


def test_an_internal_error_exits_3_with_the_log_path_and_no_traceback(tmp_path, capsys, monkeypatch):
    def broken(args):
        raise KeyError("a rule looked up a key that is not there")

    monkeypatch.setattr(glz.cli, "cmd_rules", broken)
    (tmp_path / "Pulumi.yaml").write_text("name: genomics-landing-zone\n")
    code = main(["--project-dir", str(tmp_path), "rules"])
    out, err = capsys.readouterr()
    log = tmp_path / "build" / "glz-error.log"
    assert code == EXIT_INTERNAL == 3
    assert err.startswith("internal error: KeyError: 'a rule looked up a key that is not there'\n")
    assert f"the traceback is in {log}" in err and "Exit code 3" in err
    assert "Traceback" not in err and out == ""
    logged = log.read_text()
    assert logged.startswith("Traceback (most recent call last):") and "in broken" in logged


def test_an_internal_error_in_a_subprocess_shows_no_traceback(tmp_path):
    program = (
        "import sys, glz.cli\n"
        "def broken(args):\n"
        "    raise RuntimeError('boom')\n"
        "glz.cli.cmd_rules = broken\n"
        "sys.exit(glz.cli.main(['rules']))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert "internal error: RuntimeError: boom" in result.stderr and "Traceback" not in result.stderr


def test_bad_arguments_and_bad_input_exit_2(tmp_path, capsys):
    assert main(["check"]) == EXIT_BAD_INPUT  # argparse: one of --stack/--state is required
    assert "one of the arguments --stack --state is required" in capsys.readouterr().err
    assert main(["--project-dir", str(tmp_path), "synth", "--stack", "demo"]) == EXIT_BAD_INPUT
    assert "no Pulumi.yaml there" in capsys.readouterr().err
    assert main(["synth", "--stack", "../etc"]) == EXIT_BAD_INPUT
    assert "stack names use letters, digits" in capsys.readouterr().err


def test_a_stack_name_from_the_state_cannot_leave_the_build_directory(tmp_path, capsys):
    state = tmp_path / "state.json"
    urn = "urn:pulumi:..::genomics-landing-zone::pulumi:pulumi:Stack::genomics-landing-zone-x"
    state.write_text(
        json.dumps({"version": 3, "deployment": {"resources": [{"urn": urn, "type": "pulumi:pulumi:Stack"}]}})
    )
    assert main(["check", "--state", str(state), "--no-checkov"]) == EXIT_BAD_INPUT
    assert "stack name '..' in the stack's URN is not a Pulumi stack name" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "usage: glz" in capsys.readouterr().out


def _closed_pipe(*argv: str) -> tuple[int, str]:
    """Run glz with its stdout a pipe nobody reads: the reader is gone before glz writes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "glz.cli", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()
    err = process.stderr.read()
    return process.wait(timeout=600), err


def test_a_closed_pipe_ends_quietly():
    code, err = _closed_pipe("rules")
    assert code == EXIT_BROKEN_PIPE == 141
    assert err == ""


@pytest.mark.parametrize("command", ["rules", "rules --markdown"])
def test_piping_into_head_prints_the_first_line_and_no_error(command):
    result = subprocess.run(
        ["bash", "-c", f'set -o pipefail; {sys.executable} -m glz.cli {command} | head -1; echo "rc=$?"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    first, status = result.stdout.splitlines()
    assert first.startswith(("GLZ-", "| id |"))
    assert status in ("rc=0", "rc=141")  # 141 when glz was still writing as head left
    assert result.stderr == ""


def test_synth_into_head_is_quiet(tmp_path):
    result = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m glz.cli synth --stack demo --out {tmp_path} | head -1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.stdout.startswith("Synthesized stack 'demo' offline")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "BrokenPipeError" not in result.stderr


def test_the_matrix_of_a_failing_stack_writes_every_report_and_exits_1(tmp_path, demo_state_document):
    """`glz matrix` (and so `make run`) fails when the gate does, after writing the matrix and the gate's reports."""
    import copy

    document = copy.deepcopy(demo_state_document)
    profile = next(r for r in document["deployment"]["resources"] if r["type"] == "aws:rolesanywhere/profile:Profile")
    for props in (profile["inputs"], profile["outputs"]):
        props["durationSeconds"] = 43200  # GLZ-IAM-018
    state = tmp_path / "state.json"
    state.write_text(json.dumps(document))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "glz.cli", "matrix", "--state", str(state), "--no-checkov", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("FAILED: control matrix for stack")
    assert "see policy-report.txt" in result.stdout and "Open next: " in result.stdout
    for name in ("control-matrix.xlsx", "control-matrix.html", "policy-report.json", "policy-report.sarif"):
        assert (out / name).is_file(), name
    report = json.loads((out / "policy-report.json").read_text())
    assert "GLZ-IAM-018" in json.dumps(report)


def test_version_and_the_project_dir_after_the_subcommand(capsys, tmp_path):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"glz {version('genomics-landing-zone')}"
    # --project-dir after the subcommand names the project as before it does: a bad one is bad input (2)
    assert main(["preflight", "--stack", "demo", "--project-dir", str(tmp_path / "nowhere")]) == EXIT_BAD_INPUT
    assert "nowhere" in capsys.readouterr().err


def test_an_unknown_setting_suggests_the_one_meant():
    from components.settings import SettingsError
    from tests.harness import make_settings

    with pytest.raises(SettingsError) as raised:
        make_settings(securityServices={"guardDutty": False})
    assert "securityServices.guardDutty = False: unknown setting; did you mean 'guardDuty'?" in str(raised.value)
    with pytest.raises(SettingsError) as raised:
        make_settings(zzzz=1)
    assert "did you mean" not in str(raised.value)


@pytest.mark.parametrize(
    ("arguments", "expected"), [(["synth", "--stack", "demo", "--json"], 0), (["check", "--state", "missing.json"], 2)]
)
def test_the_command_ends_without_teardown_but_keeps_its_output_and_code(tmp_path, arguments, expected):
    """`glz` ends with os._exit after main() (issue 17: tearing the interpreter down took a second after a
    synthesis); buffered output to a file still arrives whole and the exit code is main()'s."""
    stdout, stderr = tmp_path / "out.txt", tmp_path / "err.txt"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.run(
            [sys.executable, "-m", "glz.cli", *arguments, "--out", str(tmp_path / "build")],
            cwd=ROOT,
            stdout=out,
            stderr=err,
            timeout=300,
        )
    assert process.returncode == expected
    if expected == 0:
        document = json.loads(stdout.read_text())
        assert document["exitCode"] == 0 and document["summary"]["resources"] > 300
        assert (tmp_path / "build" / "state.json").exists()
    else:
        assert "missing.json" in stderr.read_text()
