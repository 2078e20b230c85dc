"""`glz diff`: a change's compliance impact against the deployed state (3.4.4), by the gate and the matrix."""

from __future__ import annotations

import copy
import json

import pytest

from glz.cli import main
from glz.diff import impact
from glz.state import StackState


def _profile_sessions(document: dict, seconds: int) -> dict:
    changed = copy.deepcopy(document)
    for r in changed["deployment"]["resources"]:
        if r["type"] == "aws:rolesanywhere/profile:Profile":
            r["inputs"]["durationSeconds"] = r["outputs"]["durationSeconds"] = seconds
    return changed


@pytest.fixture(scope="module")
def weakened(demo_state_document):
    return _profile_sessions(demo_state_document, 43200)


def test_a_weakening_change_names_the_finding_and_the_requirements_it_lowers(demo_state_document, weakened):
    result = impact(StackState(demo_state_document, "base"), StackState(weakened, "change"))
    assert result.regressed
    assert [f.split(" ", 1)[0] for f in result.new_findings] == ["GLZ-IAM-018"]
    assert any(
        line.startswith("nist-800-171-r3 03.05.02") and "Implemented -> Partially implemented" in line
        for line in result.worse
    )
    assert result.added == result.removed == result.gone_findings == result.better == []


def test_the_reverse_change_strengthens_and_passes(demo_state_document, weakened):
    result = impact(StackState(weakened, "base"), StackState(demo_state_document, "change"))
    assert not result.regressed
    assert [f.split(" ", 1)[0] for f in result.gone_findings] == ["GLZ-IAM-018"]
    assert any("03.05.02" in line and "Partially implemented -> Implemented" in line for line in result.better)


def test_added_and_removed_resources_are_listed(demo_state_document):
    changed = copy.deepcopy(demo_state_document)
    changed["deployment"]["resources"] = [
        r for r in changed["deployment"]["resources"] if r["type"] != "aws:route53/resolverEndpoint:ResolverEndpoint"
    ]
    result = impact(StackState(demo_state_document, "base"), StackState(changed, "change"))
    assert result.removed == ["aws:route53/resolverEndpoint:ResolverEndpoint lab-resolver"] and result.added == []


def test_the_command_exits_1_on_a_regression_0_otherwise_2_on_bad_input(
    tmp_path, capsys, demo_state_document, weakened
):
    base, change = tmp_path / "base.json", tmp_path / "change.json"
    base.write_text(json.dumps(demo_state_document))
    change.write_text(json.dumps(weakened))
    assert main(["diff", "--base", str(base), "--state", str(change)]) == 1
    assert "The change REGRESSES compliance." in capsys.readouterr().out
    assert main(["diff", "--base", str(change), "--state", str(base), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["regressed"] is False and printed["goneFindings"]
    assert main(["diff", "--base", str(tmp_path / "missing.json"), "--state", str(base)]) == 2
    assert "--base" in capsys.readouterr().err


def _longer_scan_wait(document: dict) -> dict:
    changed = copy.deepcopy(document)
    for r in changed["deployment"]["resources"]:
        if r["type"] == "aws:sfn/stateMachine:StateMachine":
            for section in ("inputs", "outputs"):
                flow = json.loads(r[section]["definition"])
                flow["States"]["VerifyRunObjects"]["ItemProcessor"]["States"]["ReadChecksum"]["Retry"][0][
                    "MaxAttempts"
                ] = 240
                r[section]["definition"] = json.dumps(flow)
    return changed


def test_changed_properties_and_restated_requirements_are_listed(demo_state_document, weakened):
    result = impact(StackState(demo_state_document, "base"), StackState(weakened, "change"))
    assert result.changed == ["aws:rolesanywhere/profile:Profile intake-profile: durationSeconds"]
    waits = impact(StackState(demo_state_document, "base"), StackState(_longer_scan_wait(demo_state_document), "c"))
    assert waits.changed == ["aws:sfn/stateMachine:StateMachine runs-workflow: definition"]
    # the run check's statement names the wait: same status, another statement
    assert any(line.startswith("nist-800-171-r2 3.14.2 ") for line in waits.restated)
    assert not waits.regressed and waits.worse == waits.new_findings == []


def test_a_document_written_another_way_is_no_change(demo_state_document):
    rewritten = copy.deepcopy(demo_state_document)
    for r in rewritten["deployment"]["resources"]:
        if r["type"] == "aws:s3/bucketPolicy:BucketPolicy":
            r["inputs"]["policy"] = json.dumps(json.loads(r["inputs"]["policy"]), indent=4, sort_keys=True)
    result = impact(StackState(demo_state_document, "base"), StackState(rewritten, "change"))
    assert result.changed == [] and result.restated == []


def test_markdown_for_a_pull_request_comment(tmp_path, capsys, demo_state_document, weakened):
    base, change = tmp_path / "base.json", tmp_path / "change.json"
    base.write_text(json.dumps(demo_state_document))
    change.write_text(json.dumps(weakened))
    assert main(["diff", "--base", str(base), "--state", str(change), "--markdown"]) == 1
    text = capsys.readouterr().out
    assert text.startswith("### Compliance impact (`glz diff`)\n\n:x: **The change REGRESSES compliance.**")
    assert "**Blocking findings the change adds (1)**" in text and "- `GLZ-IAM-018 " in text
    assert "Resources changed (properties)" in text
    assert main(["diff", "--base", str(base), "--state", str(change), "--markdown", "--json"]) == 2


def test_old_and_new_as_positional_state_files_or_stack_names(tmp_path, capsys, demo_state_document, weakened):
    """Issue 18: `glz diff OLD NEW`, each a state file or a stack of the project (synthesized in its own process)."""
    from tests.conftest import ROOT

    base, change = tmp_path / "base.json", tmp_path / "change.json"
    base.write_text(json.dumps(demo_state_document))
    change.write_text(json.dumps(weakened))
    assert main(["diff", str(base), str(change)]) == 1
    assert "GLZ-IAM-018" in capsys.readouterr().out
    assert main(["--project-dir", str(ROOT), "diff", "demo", str(change), "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert [f.split(" ", 1)[0] for f in printed["newFindings"]] == ["GLZ-IAM-018"]
    assert main(["--project-dir", str(ROOT), "diff", str(change), "demo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["goneFindings"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["diff", "nowhere-stack", "{base}"], "OLD 'nowhere-stack': neither a state file nor a stack"),
        (["diff", "{base}"], "NEW is missing"),
        (["diff", "{base}", "{base}", "--state", "{base}"], "two ways to say it"),
        (["diff"], "nothing to compare"),
        (["diff", "--base", "{base}"], "nothing to compare"),
    ],
)
def test_diff_arguments_that_do_not_name_two_states_exit_2(tmp_path, capsys, demo_state_document, arguments, message):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(demo_state_document))
    assert main([a.replace("{base}", str(base)) for a in arguments]) == 2
    assert message in capsys.readouterr().err
