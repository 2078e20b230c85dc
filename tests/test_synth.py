"""`glz synth`: the real program offline, deterministic, secrets kept secret, bad input exit 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from glz.sibling_stacks import SINGLETONS
from glz.state import SECRET_SIG, SECRET_SIG_KEY, StackState

ROOT = Path(__file__).resolve().parent.parent
GLZ = [sys.executable, "-m", "glz.cli"]


def glz(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GLZ, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = glz("synth", "--stack", "demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "state.json", result


def test_writes_stack_export_shape(demo):
    path, _ = demo
    document = json.loads(path.read_text())
    assert document["version"] == 3
    resources = document["deployment"]["resources"]
    assert resources[0]["type"] == "pulumi:pulumi:Stack"
    for resource in resources:
        assert {"urn", "type", "custom"} <= set(resource)
        if resource["custom"] and not resource["type"].startswith("pulumi:providers:"):
            assert {"id", "inputs", "outputs", "parent", "provider"} <= set(resource), resource["urn"]
    assert any(r.get("propertyDependencies") for r in resources)
    assert any(r.get("dependencies") for r in resources)


def test_outputs_are_plausible(demo):
    state = StackState.load(demo[0])
    for key in state.of_type("aws:kms/key:Key"):
        assert key.outputs["arn"].startswith("arn:aws:kms:us-east-1:111122223333:key/")
    for bucket in state.of_type("aws:s3/bucket:Bucket"):
        assert bucket.outputs["arn"] == f"arn:aws:s3:::{bucket.inputs['bucket']}"
    outputs = state.stack_outputs()
    assert outputs["accountId"] == "111122223333"
    assert set(outputs["dataBuckets"]) == {"bcl", "fastq", "alignments", "variants", "reference", "results"}


def test_two_runs_are_byte_identical(demo, tmp_path):
    first, _ = demo
    result = glz("synth", "--stack", "demo", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "state.json").read_bytes() == first.read_bytes()


def _synthesized_in_child_as(script: str, out: Path, first: Path) -> None:
    """Run ``script`` (a synthesis with one speed-up undone) in a fresh interpreter: it succeeds and writes the same
    state bytes as the demo's."""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (out / "state.json").read_bytes() == first.read_bytes()


def test_the_garbage_collector_pause_changes_nothing_written(demo, tmp_path):
    """Synthesis runs with the cyclic collector off (issue 17); with it kept on, the state is the same bytes, and
    the collector is on again once synthesis is done."""
    first, _ = demo
    script = (
        "import gc, sys\n"
        "import glz.synth as synth\n"
        "kept_on = type('KeptOn', (), {'isenabled': staticmethod(gc.isenabled), 'enable': staticmethod(gc.enable),"
        " 'disable': staticmethod(lambda: None)})\n"
        "synth.gc = kept_on\n"
        "from glz.cli import main\n"
        f"code = main(['synth', '--stack', 'demo', '--out', {str(tmp_path)!r}])\n"
        "assert gc.isenabled()\n"
        "sys.exit(code)\n"
    )
    _synthesized_in_child_as(script, tmp_path, first)


def test_skipping_pulumis_stack_traces_changes_nothing_written(demo, tmp_path):
    """The mock run does not let Pulumi walk the stack at each registration (issue 17); with the walk kept, the state
    is the same bytes, and Pulumi's own hook is back once synthesis is done."""
    first, _ = demo
    script = (
        "import sys\n"
        "import glz.synth as synth\n"
        "from pulumi.runtime import resource\n"
        "real = resource._get_stack_trace\n"
        "calls = []\n"
        "def counted():\n"
        "    calls.append(1)\n"
        "    return real()\n"
        "synth._without_stack_traces = lambda: None\n"
        "resource._get_stack_trace = counted\n"
        "from glz.cli import main\n"
        f"code = main(['synth', '--stack', 'demo', '--out', {str(tmp_path)!r}, '--quiet'])\n"
        "assert len(calls) > 300, len(calls)\n"
        "sys.exit(code)\n"
    )
    _synthesized_in_child_as(script, tmp_path, first)


def test_the_stack_trace_hook_is_restored_after_synthesis():
    from pulumi.runtime import resource

    from glz import synth

    real = resource._get_stack_trace
    saved = synth._without_stack_traces()
    assert saved is real and resource._get_stack_trace is not real
    synth._restore_stack_traces(saved)
    assert resource._get_stack_trace is real


def test_secret_placeholders_stay_secret_and_are_announced(demo):
    path, result = demo
    assert "cannot be decrypted offline" in result.stdout
    assert "collaborators[0].externalId" in result.stdout
    text = path.read_text()
    # Placeholders only ever appear inside a secret envelope.
    document = json.loads(text)

    def walk(value, inside_secret=False):
        if isinstance(value, dict):
            secret = value.get(SECRET_SIG_KEY) == SECRET_SIG
            for item in value.values():
                walk(item, inside_secret or secret)
        elif isinstance(value, list):
            for item in value:
                walk(item, inside_secret)
        elif isinstance(value, str) and "offline-placeholder-" in value:
            assert inside_secret, value

    walk(document)


BAD_STACK = """\
config:
  aws:region: us-east-1
  genomics-landing-zone:accountId: "12345"
  genomics-landing-zone:lifecycle:
    alignments:
      standardIaAfterDays: 10
  genomics-landing-zone:fpga:
    enabled: true
    amiId: ami-0abcdef1234567890
    instanceTypes: [f1.2xlarge]
  genomics-landing-zone:compute:
    images:
      alignment: 123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1
      variantCalling: 123456789012.dkr.ecr.us-east-1.amazonaws.com/b:1
"""


@pytest.fixture
def project_copy(tmp_path):
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_bad_stack_file_exit_2_all_errors_no_traceback(project_copy):
    (project_copy / "Pulumi.bad.yaml").write_text(BAD_STACK)
    result = glz("--project-dir", str(project_copy), "synth", "--stack", "bad")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "accountId = '12345'" in result.stderr
    assert "lifecycle.alignments.standardIaAfterDays = 10" in result.stderr
    assert "f1.2xlarge" in result.stderr and "retired" in result.stderr
    assert "nothing was created" in result.stderr
    assert not (project_copy / "build" / "bad" / "state.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["synth", "--stack", "nope"], "no stack file Pulumi.nope.yaml"),
        (["synth", "--stack", "../etc"], "stack names use letters"),
    ],
)
def test_bad_arguments_exit_2(args, message):
    result = glz(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unparseable_stack_file(project_copy):
    (project_copy / "Pulumi.broken.yaml").write_text("config: [unclosed\n")
    result = glz("--project-dir", str(project_copy), "synth", "--stack", "broken")
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr


def test_missing_argument_is_usage_error():
    result = glz("synth")
    assert result.returncode == 2
    assert "--stack" in result.stderr


def test_synthesized_state_is_named_relative_to_the_project(project_copy):
    """Reports cite the state as build/<stack>/state.json, not the generating machine's absolute path."""
    import argparse

    from glz.cli import _state_and_stack

    shutil.copy(ROOT / "Pulumi.demo.yaml", project_copy / "Pulumi.demo.yaml")
    state, stack = _state_and_stack(argparse.Namespace(state=None, stack="demo"), project_copy)
    assert stack == "demo"
    assert state.source == "build/demo/state.json"
    assert (project_copy / state.source).is_file()


def _project_with(tmp_path, stacks: dict[str, dict]) -> Path:
    """A project dir with the real Pulumi.yaml and the given stack configs (demo's, with overrides)."""
    import shutil

    import yaml

    root = Path(__file__).resolve().parent.parent
    project = tmp_path / "project"
    project.mkdir(parents=True)
    shutil.copy(root / "Pulumi.yaml", project / "Pulumi.yaml")
    demo = yaml.safe_load((root / "Pulumi.demo.yaml").read_text())
    for name, overrides in stacks.items():
        config = {**demo["config"], **{f"genomics-landing-zone:{k}": v for k, v in overrides.items()}}
        config = {k: v for k, v in config.items() if v is not None}  # None: leave the demo's setting out
        (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))
    return project


def test_a_second_landing_zone_in_the_same_account_must_adopt_or_defer(tmp_path):
    from glz import sibling_stacks
    from glz.stack_files import read_stack_config

    project = _project_with(tmp_path, {"first": {}, "second": {}, "other-account": {"accountId": "444455556666"}})
    config = read_stack_config(project, "second")
    problems = sibling_stacks.conflicts(
        "second", config.values, sibling_stacks.sibling_values(project, "second", read_stack_config)
    )
    assert len(problems) == len(sibling_stacks.SINGLETONS) == 12
    assert all("stack 'first' (Pulumi.first.yaml) already creates it" in p for p in problems)
    assert any(p.startswith("genomics-landing-zone:accountServices.guardDuty = 'create'") for p in problems)
    # adopting or deferring every singleton clears it; another account never conflicts
    held = {"accountServices": {k: "organization" for k in sibling_stacks.SINGLETONS}}
    project = _project_with(
        tmp_path / "b", {"first": {}, "second": held, "other-account": {"accountId": "444455556666"}}
    )
    config = read_stack_config(project, "second")
    assert (
        sibling_stacks.conflicts(
            "second", config.values, sibling_stacks.sibling_values(project, "second", read_stack_config)
        )
        == []
    )


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        (
            "tower",
            {"accountServices": dict.fromkeys(SINGLETONS, "organization"), "securityContact": None},
        ),
        (
            "adopted",
            {
                "accountServices": {
                    "guardDuty": {"mode": "adopt", "id": "12abc34d567e8f4912ab3d45e6789012"},
                    "awsConfig": {"mode": "adopt", "id": "default"},
                    "accessAnalyzer": {"mode": "adopt", "id": "ConsoleAnalyzer-1"},
                    "securityHub": "adopt",
                    "inspector": "adopt",
                },
                "serviceLinkedRoles": {"autoScaling": "adopt", "config": "existing"},
            },
        ),
    ],
)
def test_demo_variants_per_account_mode_synthesize_and_pass_the_gate(tmp_path, stack, overrides):
    """A Control Tower-like account (the organization holds every singleton) and an account whose services
    are already on (adopted): the demo synthesizes in both and the own rules find nothing."""
    import datetime as dt

    from glz.gate import run_rules
    from glz.state import StackState
    from policies.rules import ALL_RULES

    root = Path(__file__).resolve().parent.parent
    project = _project_with(tmp_path, {stack: overrides})
    for name in ("__main__.py", "components"):
        (project / name).symlink_to(root / name)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "glz.cli", "--project-dir", str(project), "synth", "--stack", stack, "--out", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    state = StackState.load(out / "state.json")
    gate = run_rules(state, ALL_RULES, [], today=dt.date(2026, 11, 23))
    assert gate.failed_rule_ids() == set(), [f.message for f in gate.findings][:3]
