"""Inputs never crash and never fail open: stack states, ciphertext exports and stack configs.

Every bad input ends with exit 2 and a message naming the file, the JSON path or key, the value and
what is allowed; never a traceback, never a pass.
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from pathlib import Path

import pytest

from glz.cli import main
from glz.errors import UserInputError
from glz.state import SECRET_SIG, SECRET_SIG_KEY, STATE_MAX_BYTES, StackState
from tests.conftest import ROOT

P = "urn:pulumi:prod::genomics-landing-zone::"


def entry(**fields):
    resource = {"urn": f"{P}aws:kms/key:Key::keys-data", "type": "aws:kms/key:Key", "custom": True, "id": "k1"}
    resource.update(fields)
    return resource


def document(*entries, version=3):
    return {"version": version, "deployment": {"resources": list(entries) or [entry()]}}


def check(argv, capsys):
    """Run `glz` in this process: (exit code, stdout, stderr)."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def gate(path: Path, capsys, *extra: str):
    return check(["check", "--state", str(path), "--no-checkov", "--out", str(path.parent / "out"), *extra], capsys)


def write(tmp_path: Path, value, name="state.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return path


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "(top level): expected an object with 'version' and 'deployment', got a list"),
        ({"deployment": {"resources": [entry()]}}, "version: missing; allowed: 3"),
        (document(version=4), "version: 4 is not a deployment version this tool reads; allowed: 3"),
        (document(version="3"), "version: '3' is not a deployment version this tool reads; allowed: 3"),
        (document(version=True), "version: True is not a deployment version"),
        ({"version": 3}, "deployment: missing; expected an object holding 'resources'"),
        ({"version": 3, "deployment": []}, "deployment: expected an object, got a list"),
        ({"version": 3, "deployment": {}}, "deployment.resources: missing; expected a list of resources"),
        ({"version": 3, "deployment": {"resources": {}}}, "deployment.resources: expected a list of resources, got an"),
        (document("urn:x"), "deployment.resources[0]: expected an object with 'urn' and 'type', got a string"),
        (document({"type": "aws:kms/key:Key"}), "deployment.resources[0].urn: expected a string, got null"),
        (document(entry(urn=7)), "deployment.resources[0].urn: expected a string, got a number"),
        (
            document(entry(urn="arn:aws:kms:us-east-1:1:key/x")),
            "deployment.resources[0].urn: 'arn:aws:kms:us-east-1:1:key/x' is not a Pulumi URN; allowed: "
            "urn:pulumi:<stack>::<project>::<type>::<name>",
        ),
        (document(entry(type=None)), "deployment.resources[0].type: expected a string, got null"),
        (
            document(entry(type="aws:s3/bucket:Bucket")),
            "deployment.resources[0].type: 'aws:s3/bucket:Bucket' differs from the type in its URN, 'aws:kms/key:Key'",
        ),
        (document(entry(custom="yes")), "deployment.resources[0].custom: expected a boolean, got a string"),
        (document(entry(id=5)), "deployment.resources[0].id: expected a string, got a number"),
        (document(entry(inputs=[])), "deployment.resources[0].inputs: expected an object, got a list"),
        (document(entry(outputs="{}")), "deployment.resources[0].outputs: expected an object, got a string"),
        (document(entry(parent=1)), "deployment.resources[0].parent: expected a URN string, got a number"),
        (document(entry(provider=[])), "deployment.resources[0].provider: expected a provider reference string"),
        (document(entry(dependencies="x")), "deployment.resources[0].dependencies: expected a list of URN strings"),
        (document(entry(dependencies=[P + "a", 2])), "deployment.resources[0].dependencies[1]: expected a URN string"),
        (
            document(entry(propertyDependencies=[])),
            "deployment.resources[0].propertyDependencies: expected an object of URN lists, got a list",
        ),
        (
            document(entry(propertyDependencies={"bucket": "x"})),
            "deployment.resources[0].propertyDependencies.bucket: expected a list of URN strings, got a string",
        ),
        (
            document(entry(outputs={"policy": {SECRET_SIG_KEY: SECRET_SIG, "plaintext": "{not json"}})),
            "deployment.resources[0].outputs.policy.plaintext: a secret's plaintext is not valid JSON",
        ),
        (
            document(entry(outputs={"policy": {SECRET_SIG_KEY: SECRET_SIG, "plaintext": 3}})),
            "deployment.resources[0].outputs.policy.plaintext: expected a string of JSON, got a number",
        ),
        (
            document(entry(outputs={"x": [{SECRET_SIG_KEY: SECRET_SIG}]})),
            "deployment.resources[0].outputs.x[0]: a secret with neither 'plaintext' nor 'ciphertext'",
        ),
    ],
)
def test_a_state_of_the_wrong_shape_names_the_json_path(tmp_path, capsys, value, message):
    path = write(tmp_path, value)
    with pytest.raises(UserInputError) as error:
        StackState.load(path)
    assert str(error.value).startswith(f"{path}: not a stack state as `pulumi stack export` writes it:")
    assert message in str(error.value)
    code, out, err = gate(path, capsys)
    assert code == 2 and message in err and "Traceback" not in err and out == ""


def test_every_shape_problem_is_listed_up_to_a_limit(tmp_path):
    broken = [entry(urn=f"{P}aws:kms/key:Key::k{i}", inputs=[]) for i in range(25)]
    with pytest.raises(UserInputError) as error:
        StackState.load(write(tmp_path, document(*broken)))
    text = str(error.value)
    assert "deployment.resources[0].inputs" in text and "deployment.resources[19].inputs" in text
    assert "deployment.resources[20].inputs" not in text and "... and 5 more problem(s)" in text


def test_the_demo_state_and_optional_nulls_are_accepted(tmp_path, demo_state_document):
    state = StackState.load(write(tmp_path, demo_state_document))
    assert len(state.resources) == len(demo_state_document["deployment"]["resources"]) and not state.ciphertext
    # Fields Pulumi leaves out (or a Go encoder writes as null) are absent, not errors.
    bare = StackState.load(write(tmp_path, document(entry(inputs=None, parent=None, dependencies=None)), "b.json"))
    assert bare.resources[0].inputs == {} and bare.resources[0].dependencies == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        (b'{"version": 3, "deployment": {"resources": []}, "x": "\xff\xfe"}', "not UTF-8 text (byte 0xff at offset"),
        ('{"version": 3}'.encode("utf-16"), "encoded as UTF-16"),
        (b'{"version": 3, "deployment": {"resources": [', "not valid JSON"),
        (b'{"version": NaN, "deployment": {"resources": []}}', "NaN is not a JSON value"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=["empty", "blank", "latin-1", "utf-16", "truncated", "nan", "deep"],
)
def test_unreadable_state_files_are_bad_input(tmp_path, capsys, content, message):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    code, _out, err = gate(path, capsys)
    assert code == 2, err
    assert err.startswith(f"error: --state {path}: ") and message in err and "Traceback" not in err


def test_a_directory_or_a_missing_file_is_bad_input(tmp_path, capsys):
    code, _, err = gate(tmp_path, capsys)
    assert code == 2 and f"--state {tmp_path}: is a directory; expected a file" in err
    code, _, err = gate(tmp_path / "missing.json", capsys)
    assert code == 2 and "missing.json: file not found" in err


def test_a_huge_state_is_refused_without_reading_it(tmp_path, capsys):
    path = tmp_path / "huge.json"
    with path.open("wb") as stream:  # sparse: the size is there, the disk blocks are not
        stream.truncate(STATE_MAX_BYTES + 1)
    started = time.monotonic()
    code, _, err = gate(path, capsys)
    assert code == 2 and "larger than 256 MiB, the most allowed" in err
    assert time.monotonic() - started < 5


def _with_ciphertext(document: dict) -> dict:
    """What `pulumi stack export` without --show-secrets writes for the collaborator trust policies."""
    document = copy.deepcopy(document)
    for resource in document["deployment"]["resources"]:
        for section in ("inputs", "outputs"):
            for key, value in (resource.get(section) or {}).items():
                if isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG:
                    resource[section][key] = {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": "AAAAv1:c2VjcmV0"}
    return document


def test_a_state_exported_without_show_secrets_is_refused_by_the_gate(tmp_path, capsys, demo_state_document):
    exported = _with_ciphertext(demo_state_document)
    path = write(tmp_path, exported)
    state = StackState.load(path)
    assert len(state.ciphertext) >= 2  # still readable for `glz audit`, which compares what it can
    for argv in (
        ["check", "--state", str(path), "--no-checkov", "--out", str(tmp_path / "out")],
        ["matrix", "--state", str(path), "--no-checkov", "--out", str(tmp_path / "out")],
    ):
        code, _out, err = check(argv, capsys)
        assert code == 2, err
        assert "exported without --show-secrets" in err
        assert "run `pulumi stack export --show-secrets > state.json`" in err
        assert "outputs.assumeRolePolicy (collaborators-" in err and "deployment.resources[" in err
        assert not (tmp_path / "out" / "policy-report.json").exists()


def test_the_plaintext_export_of_the_same_state_passes_the_gate(tmp_path, capsys, demo_state_document):
    code, out, err = gate(write(tmp_path, demo_state_document), capsys)
    assert "exported without --show-secrets" not in err
    assert code in (0, 1) and "stack 'demo'" in out  # the verdict is the rules' business, not this test's


@pytest.fixture
def project(tmp_path) -> Path:
    """A project directory with the real Pulumi.yaml, for stack config files under test."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


ALIAS_BOMB = """\
config:
  aws:region: us-east-1
  genomics-landing-zone:lol0: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  genomics-landing-zone:lol1: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  genomics-landing-zone:lol2: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  genomics-landing-zone:lol3: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  genomics-landing-zone:lol4: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  genomics-landing-zone:lol5: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  genomics-landing-zone:lol6: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  genomics-landing-zone:lol7: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  genomics-landing-zone:lol8: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def synth(project: Path, stack: str, capsys):
    return check(["--project-dir", str(project), "synth", "--stack", stack, "--out", str(project / "out")], capsys)


def test_a_yaml_alias_bomb_in_a_stack_config_is_refused_at_once(project, capsys):
    from glz.stack_files import read_stack_config

    (project / "Pulumi.bomb.yaml").write_text(ALIAS_BOMB)  # 9^9 = 387,420,489 'lol's when expanded
    started = time.monotonic()
    with pytest.raises(UserInputError, match="alias bomb"):
        read_stack_config(project, "bomb")
    elapsed = time.monotonic() - started
    assert elapsed < 0.5, f"took {elapsed:.2f} s"
    code, _out, err = synth(project, "bomb", capsys)
    assert code == 2, err
    assert f"stack config {project / 'Pulumi.bomb.yaml'}: more than" in err and "alias bomb" in err
    assert not (project / "out").exists()


def test_many_aliases_are_refused_even_when_they_expand_little(project, capsys):
    lines = ["config:", "  aws:region: &r us-east-1"] + [f"  genomics-landing-zone:k{i}: *r" for i in range(51)]
    (project / "Pulumi.many.yaml").write_text("\n".join(lines) + "\n")
    code, _, err = synth(project, "many", capsys)
    assert code == 2 and "more than 50 YAML aliases" in err and "Pulumi.many.yaml" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"config:\n  aws:region: us-east-1\n#" + b"x" * (1024 * 1024), "larger than 1 MiB, the most allowed"),
        (b"config:\n  aws:region: \xe9u-east-1\n", "not UTF-8 text (byte 0xe9 at offset"),
        (b"config:\n  aws:region: [unclosed\n", "not valid YAML"),
        (b"config: !!python/object:os.system ls\n", "not valid YAML"),
        (b"config:\n  x: " + b"[" * 101 + b"]" * 101 + b"\n", "nested more than 100 levels deep"),
    ],
    ids=["huge", "latin-1", "syntax", "python-tag", "deep"],
)
def test_unreadable_stack_configs_are_bad_input_naming_the_file(project, capsys, content, message):
    (project / "Pulumi.bad.yaml").write_bytes(content)
    code, _, err = synth(project, "bad", capsys)
    assert code == 2, err
    assert f"stack config {project / 'Pulumi.bad.yaml'}: " in err and message in err and "Traceback" not in err


def test_a_stack_config_that_is_a_directory_is_bad_input(project, capsys):
    (project / "Pulumi.dir.yaml").mkdir()
    code, _, err = synth(project, "dir", capsys)
    assert code == 2 and "Pulumi.dir.yaml: is a directory; expected a file" in err


def test_a_project_file_of_the_wrong_shape_is_bad_input(project, capsys):
    (project / "Pulumi.yaml").write_text("- name\n- runtime\n")
    (project / "Pulumi.demo.yaml").write_text("config:\n  aws:region: us-east-1\n")
    code, _, err = synth(project, "demo", capsys)
    assert code == 2 and "project file" in err and "expected a mapping with 'name:' and 'config:'" in err
