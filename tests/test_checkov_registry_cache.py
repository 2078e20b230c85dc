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
