"""checkov's registry is read once per checkov version and kept on disk, so a gate run starts one checkov process
(issue 17); a damaged file or another version's is never used."""

from __future__ import annotations

from pathlib import Path

import pytest

from glz import checkov_registry as registry
from glz.checkov_runner import find_checkov

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def checkov(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(registry, "_CACHE", {})
    return find_checkov(ROOT)


def test_the_registry_is_read_once_per_checkov_version(checkov, monkeypatch):
    first = registry.load_registry(checkov)
    path = registry.cache_file(checkov)
    assert path is not None and path.exists() and first.version in path.name
    monkeypatch.setattr(registry, "_CACHE", {})

    def no_process(_checkov):
        raise AssertionError("checkov was started although its registry is on disk")

    monkeypatch.setattr(registry, "start_registry", no_process)
    again = registry.load_registry(checkov)
    assert again == first and "aws_s3_bucket" in again.catalog and again.check_ids("aws_s3_bucket")


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: text.replace('"version": "', '"version": "0.0.0-', 1),  # another version's registry
        lambda text: "[]",
    ],
)
def test_a_damaged_or_foreign_file_is_not_used(checkov, damage):
    registry.load_registry(checkov)
    path = registry.cache_file(checkov)
    path.write_text(damage(path.read_text()))
    assert registry.cached_registry(checkov) is None


def test_the_registry_holds_the_catalog_checkov_list_prints(checkov):
    """The gate takes checkov's catalog (names, entities, source links) from the registry instead of starting
    `checkov --list` beside every scan (issue 17): the two must be the same catalog."""
    import subprocess

    from glz.checkov_runner import CHECKOV_PROCESS_ENV, _parse_catalog, catalog_of

    listed = subprocess.run(
        [str(checkov), "--list", "--framework", "terraform", "--skip-download"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **CHECKOV_PROCESS_ENV},
        check=True,
    ).stdout
    from_list = _parse_catalog(listed)
    from_registry = catalog_of(registry.load_registry(checkov).listing)
    assert len(from_list) > 1000 and "CKV_AWS_19" in from_list and "CKV2_AWS_6" in from_list
    assert from_registry == from_list


def test_a_gate_run_starts_one_checkov_process(checkov, monkeypatch, tmp_path, demo_state_document):
    """With the registry on disk, the gate's scan is the only checkov process: no `--list` beside it."""
    from glz import checkov_runner
    from glz.gate import GateResult, add_checkov
    from glz.state import StackState

    registry.load_registry(checkov)
    started: list[list[str]] = []
    real_run = checkov_runner._run

    def recording_run(command):
        started.append(command)
        return real_run(command)

    monkeypatch.setattr(checkov_runner, "_run", recording_run)
    monkeypatch.setattr(checkov_runner, "_CATALOGS", {})
    monkeypatch.setattr(registry, "start_registry", lambda _c: pytest.fail("registry read although cached"))
    state = StackState(demo_state_document, "demo-state.json")
    result = GateResult()
    add_checkov(result, state, tmp_path, ROOT)
    assert [c for c in started if "--list" in c] == []
    assert len(started) == 1 and "-f" in started[0]
    assert any(check_id.startswith("CKV_AWS_") for check_id, _, _ in result.checked)
