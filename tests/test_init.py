"""glz init: a stack file that validates and lists every setting; bad values and existing files are bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "444455556666"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/ci"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for name in ("__main__.py", "components"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def _glz(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glz.cli", "--project-dir", str(project), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _init(project: Path, *extra: str) -> subprocess.CompletedProcess:
    return _glz(project, "init", "--stack", "lab", "--account-id", ACCOUNT, "--region", "us-east-1", *extra)


def test_the_started_file_synthesizes_and_lists_every_setting(project):
    done = _init(project, "--deployer", DEPLOYER, "--admin", f"arn:aws:iam::{ACCOUNT}:role/admins")
    assert done.returncode == 0, done.stderr
    text = (project / "Pulumi.lab.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    assert config["genomics-landing-zone:accountId"] == ACCOUNT
    assert config["genomics-landing-zone:deployerPrincipalArns"] == [DEPLOYER]
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key in declared:
        if ":" not in key and key != "region":
            assert f"genomics-landing-zone:{key}:" in text, key  # set, or listed commented with its default
    synth = _glz(project, "synth", "--stack", "lab", "--quiet")
    assert synth.returncode == 0 and synth.stdout.startswith("SYNTHESIZED: stack 'lab'"), synth.stderr


def test_an_existing_file_is_kept_unless_forced(project):
    (project / "Pulumi.lab.yaml").write_text("config: {}\n")
    refused = _init(project, "--deployer", DEPLOYER)
    assert refused.returncode == 2 and "exists already; nothing was written" in refused.stderr
    assert (project / "Pulumi.lab.yaml").read_text() == "config: {}\n"
    forced = _init(project, "--deployer", DEPLOYER, "--force")
    assert forced.returncode == 0 and "accountId" in (project / "Pulumi.lab.yaml").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--account-id", "12345", "--deployer", DEPLOYER), "accountId = '12345'"),
        (("--classification", "secret", "--deployer", DEPLOYER), "classification = 'secret'"),
        ((), "deployerPrincipalArns"),  # phi without the role that deploys
        (("--region", "mars-north-1", "--deployer", DEPLOYER), "region = 'mars-north-1'"),
    ],
)
def test_bad_values_are_named_and_nothing_is_written(project, extra, message):
    base = ["init", "--stack", "lab", "--account-id", ACCOUNT, "--region", "us-east-1"]
    args = base + list(extra)  # a later --account-id or --region replaces the first
    done = _glz(project, *args)
    assert done.returncode == 2 and message in done.stderr and "nothing was written" in done.stderr, done.stderr
    assert not (project / "Pulumi.lab.yaml").exists()
