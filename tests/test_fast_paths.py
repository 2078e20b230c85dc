"""The faster paths of issue 17 give what the slower ones gave: the C YAML parser on every file the project ships,
one cfn-lint runner shared by every template of a process, and cfn-lint's findings kept on disk between runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controls import conformance_pack
from glz.errors import safe_load

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_YAML = sorted(
    path
    for folder in ("controls", "policies", "components")
    for path in (ROOT / folder).rglob("*.yaml")
    if ".venv" not in path.parts
)


def test_the_c_parser_is_the_one_used():
    assert hasattr(yaml, "CSafeLoader"), "PyYAML without libyaml: safe_load falls back to the pure-Python parser"


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_yaml_reads_the_same_with_the_c_parser(path):
    text = path.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.safe_load(text)


def test_there_are_shipped_yaml_files():
    names = {p.name for p in SHIPPED_YAML}
    assert len(SHIPPED_YAML) >= 5 and "proven_rules.yaml" in names


BROKEN_PACK = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Rule:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: s3-bucket-versioning-enabled
      Source:
        Owner: AWS
        SourceIdentifier: S3_BUCKET_VERSIONING_ENABLED
        Colour: blue
  Unused:
    Type: AWS::Config::ConfigRule
"""

MACHINE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Workflow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/workflow
      Definition:
        StartAt: Missing
        States:
          Done: {Type: Succeed}
"""


def _fresh(text: str) -> list[str]:
    """What cfnlint.api.lint reports, a new runner (and rule set) per call, in the form lint_template prints."""
    from cfnlint.api import ManualArgs, lint

    config = ManualArgs(include_checks=["I"], include_experimental=False, regions=["us-east-1"])
    return [f"{m.rule.id} {m.rule.severity}: {m.message} (line {m.linenumber})" for m in lint(text, config=config)]


@pytest.fixture
def cold_cache(tmp_path, monkeypatch):
    """An empty disk cache, and none of this process's lint results in memory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    conformance_pack._lint.cache_clear()
    yield tmp_path / "cache" / "glz" / "cfn-lint"
    conformance_pack._lint.cache_clear()
    conformance_pack._runner.cache_clear()  # made lazily again, in the directory the next test runs in


def test_a_shared_cfn_lint_runner_reports_what_a_fresh_one_does(cold_cache):
    conformance_pack._runner.cache_clear()
    shared = [conformance_pack.lint_template(text) for text in (BROKEN_PACK, MACHINE, BROKEN_PACK + "\n# again\n")]
    assert shared[0] and shared[1], "both templates are broken: the comparison must compare findings"
    assert shared == [_fresh(text) for text in (BROKEN_PACK, MACHINE, BROKEN_PACK + "\n# again\n")]
    assert conformance_pack._runner.cache_info().currsize == 1


def test_a_template_that_does_not_parse_is_reported(cold_cache):
    problems = conformance_pack.lint_template("Resources: [unclosed\n")
    assert problems and problems == _fresh("Resources: [unclosed\n")


def _refuse_to_lint(*_args):
    raise AssertionError("cfn-lint ran: the disk cache was not used")


def test_findings_kept_on_disk_are_the_findings_and_spare_the_next_run_cfn_lint(cold_cache, monkeypatch):
    first = conformance_pack.lint_template(BROKEN_PACK)
    assert first == _fresh(BROKEN_PACK) and len(list(cold_cache.glob("*.json"))) == 1
    conformance_pack._lint.cache_clear()  # as a new process would start
    monkeypatch.setattr(conformance_pack, "_run_cfn_lint", _refuse_to_lint)
    assert conformance_pack.lint_template(BROKEN_PACK) == first
    with pytest.raises(AssertionError, match="cfn-lint ran"):  # another text, another region: not the same answer
        conformance_pack.lint_template(BROKEN_PACK, regions=("eu-west-1",))


def test_a_damaged_cache_file_is_linted_again_and_rewritten(cold_cache):
    expected = conformance_pack.lint_template(MACHINE)
    (path,) = cold_cache.glob("*.json")
    for damage in ("{not json", '{"a": 1}', "[1, 2]"):
        path.write_text(damage)
        conformance_pack._lint.cache_clear()
        assert conformance_pack.lint_template(MACHINE) == expected
        assert path.read_text().startswith('["')


def test_another_cfn_lint_version_or_a_cfnlintrc_is_another_key(cold_cache, tmp_path, monkeypatch):
    """The key names all cfn-lint's answer depends on: its version, and a project .cfnlintrc it merges into its
    options (here one that ignores the rule the pack breaks, so the findings really differ)."""
    import importlib.metadata

    plain = conformance_pack.lint_cache_file(BROKEN_PACK, ("us-east-1",), False)
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "0.0.1" if name == "cfn-lint" else real_version(name)
    )
    assert conformance_pack.lint_cache_file(BROKEN_PACK, ("us-east-1",), False) != plain
    monkeypatch.setattr(importlib.metadata, "version", real_version)
    options = conformance_pack.RUNNER_OPTIONS
    monkeypatch.setattr(conformance_pack, "RUNNER_OPTIONS", {"include_checks": []})  # the runner's own options
    assert conformance_pack.lint_cache_file(BROKEN_PACK, ("us-east-1",), False) != plain
    monkeypatch.setattr(conformance_pack, "RUNNER_OPTIONS", options)

    findings = conformance_pack.lint_template(BROKEN_PACK)
    ignored = findings[0].split()[0]
    project = tmp_path / "project"
    project.mkdir()
    (project / ".cfnlintrc").write_text(f"ignore_checks:\n  - {ignored}\n")
    monkeypatch.chdir(project)
    assert conformance_pack.lint_cache_file(BROKEN_PACK, ("us-east-1",), False) != plain
    conformance_pack._lint.cache_clear()
    conformance_pack._runner.cache_clear()  # a runner reads the .cfnlintrc files when it is made
    with_rc = conformance_pack.lint_template(BROKEN_PACK)
    assert with_rc == _fresh(BROKEN_PACK) and not any(f.startswith(ignored + " ") for f in with_rc)


ISO_TIME = __import__("re").compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|\+00:00)")


def _comparable(path: Path) -> object:
    """A written file with its generation time blanked: the xlsx as its cell values, the rest as text."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path)
        return {
            sheet.title: [[ISO_TIME.sub("T", str(v)) if v is not None else None for v in row] for row in sheet.values]
            for sheet in book.worksheets
        }
    return ISO_TIME.sub("T", path.read_text(encoding="utf-8"))


def test_glz_matrix_writes_what_the_library_writes(tmp_path, demo_state_document):
    """`glz matrix` runs the probes while checkov scans, freezes the collector after loading and ends with os._exit
    (issue 17); its files are those the library writes from the same state, but for the generation time."""
    import datetime as dt
    import json
    import subprocess
    import sys
    from importlib.metadata import version

    from controls.matrix import build_matrix
    from controls.outputs import write_all as write_matrix
    from glz.diagram import data_path_markdown
    from glz.gate import add_cfn_lint, run_rules
    from glz.reports import write_all as write_reports
    from glz.state import StackState
    from policies import suppressions
    from policies.rules import ALL_RULES, RULES_BY_ID

    source = tmp_path / "state.json"
    source.write_text(json.dumps(demo_state_document))
    by_cli = tmp_path / "cli"
    process = subprocess.run(
        [sys.executable, "-m", "glz.cli", "matrix", "--state", str(source), "--no-checkov", "--out", str(by_cli)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == 0, process.stderr

    state = StackState.load(source)
    today = dt.date.today()
    found = suppressions.load(ROOT / "policies" / "suppressions.yaml", set(RULES_BY_ID), today)
    gate = run_rules(state, ALL_RULES, found, today)
    add_cfn_lint(gate, state)
    blanket = [s.as_blanket() for s in found if s.blanket]
    stack = "demo"  # from the stack's URN, as glz reads it
    by_library = tmp_path / "library"
    write_reports(gate, ALL_RULES, stack, by_library, version("genomics-landing-zone"), blanket, ROOT)
    write_matrix(build_matrix(state, gate, ALL_RULES, stack), by_library)
    (by_library / "data-path.md").write_text(data_path_markdown(state, stack))

    names = sorted(p.name for p in by_cli.iterdir())
    assert names == sorted(p.name for p in by_library.iterdir()) and len(names) > 15
    for name in names:
        assert _comparable(by_cli / name) == _comparable(by_library / name), name


def test_the_probes_find_the_same_on_a_view_the_rules_already_used(demo_state_document):
    """One StackView per state, shared by the rules and the probes (issue 17): what the rules memoized (the access
    model's decisions, deny groups, indexes) changes no probe's finding."""
    from controls.probes import run_all
    from glz.gate import run_rules, stack_view
    from glz.state import StackState
    from policies.rules import ALL_RULES

    shared = StackState(demo_state_document)
    run_rules(shared, ALL_RULES, [])
    view = stack_view(shared)
    assert view is stack_view(shared) and view._memo, "the rules left memoized answers on the shared view"
    after_rules = run_all(shared)
    fresh = run_all(StackState(demo_state_document))
    assert after_rules == fresh and len(fresh) > 50
