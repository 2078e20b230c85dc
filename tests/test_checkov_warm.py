"""glz.checkov_warm with a stand-in checkov package: arguments arrive intact, a cancelled process never scans."""

from __future__ import annotations

import sys
from pathlib import Path

from glz.checkov_warm import WarmCheckov, interpreter_of, start

FAKE_MAIN = """\
import json, sys
class Checkov:
    def __init__(self, argv=sys.argv[1:]):
        self.argv = argv
    def run(self):
        print(json.dumps({"argv": self.argv, "sys_argv": sys.argv}))
        return 1
"""


def _fake_checkov(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    package = tmp_path / "site" / "checkov"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(FAKE_MAIN)
    script = tmp_path / "bin" / "checkov"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nfrom checkov.main import Checkov\n")
    script.chmod(0o755)
    return script, {"PYTHONPATH": str(tmp_path / "site")}


def test_the_arguments_reach_checkov_as_given(tmp_path):
    script, env = _fake_checkov(tmp_path)
    warm = WarmCheckov(script, env)
    code, out, _err = warm.run(["-f", "plan with space.json", "--framework", "terraform_plan"])
    assert code == 1
    assert '"argv": ["-f", "plan with space.json", "--framework", "terraform_plan"]' in out
    assert '"sys_argv": ["checkov", "-f", "plan with space.json"' in out


def test_a_cancelled_warm_checkov_exits_without_scanning(tmp_path):
    script, env = _fake_checkov(tmp_path)
    warm = WarmCheckov(script, env)
    warm.cancel()
    assert warm.process.returncode == 0  # the stand-in prints its arguments only when it scans; nothing came
    warm.cancel()  # twice is harmless


def test_only_python_console_scripts_are_warmed(tmp_path):
    binary = tmp_path / "checkov"
    binary.write_bytes(b"\x7fELF\x02\x01")
    assert interpreter_of(binary) is None and start(binary, {}) is None
    shell = tmp_path / "checkov.sh"
    shell.write_text('#!/bin/sh\nexec checkov "$@"\n')
    assert interpreter_of(shell) is None
    assert interpreter_of(tmp_path / "missing") is None
    script, _env = _fake_checkov(tmp_path)
    assert interpreter_of(script) == Path(sys.executable)
