"""checkov started before it has a plan to scan, so its import overlaps the synthesis (issue 17).

Most of a checkov run on the demo is Python importing checkov (about 1.7 s of 2.9 s CPU, measured: `python -c
"import checkov.main"` against a whole scan). The gate cannot scan before the stack is synthesized, but it can
start checkov's interpreter first: this process imports checkov on the other core while glz synthesizes, then
waits for its arguments on stdin and runs what the `checkov` console script runs (``Checkov().run()``, with the
arguments passed explicitly: its ``argv`` default is read from sys.argv when checkov is imported), so the report
is the same as a cold start's. Nothing is sent when the gate stops early: the process then sees
end of input and exits without scanning.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

# Runs in checkov's own environment (stdlib and checkov only): nothing of glz is importable there.
WARM_SCRIPT = """\
import json, sys, warnings
warnings.simplefilter("ignore", category=SyntaxWarning)
from checkov.main import Checkov
line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
arguments = json.loads(line)
sys.argv = ["checkov", *arguments]
sys.exit(Checkov(argv=arguments).run())
"""


def interpreter_of(executable: Path) -> Path | None:
    """The Python a console script runs on (its shebang), or None when it is not a Python script."""
    try:
        with open(executable, "rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    command = first[2:].decode(errors="replace").strip().split()
    if not command or "python" not in Path(command[0]).name:
        return None
    path = Path(command[0])
    return path if path.exists() else None


class WarmCheckov:
    """One checkov process, importing now, scanning when ``run`` hands it its arguments."""

    def __init__(self, executable: Path, env: dict[str, str]):
        python = interpreter_of(executable)
        if python is None:
            raise ValueError(f"{executable} is not a Python console script")
        self.executable = executable
        self.process = subprocess.Popen(
            [str(python), "-c", WARM_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )

    def run(self, arguments: list[str]) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of checkov run with ``arguments``; the process is used up."""
        out, err = self.process.communicate(json.dumps(arguments) + "\n")
        return self.process.returncode, out, err

    def cancel(self) -> None:
        """The gate stopped before scanning: end the process without a scan."""
        if self.process.poll() is None:
            try:
                self.process.communicate("", timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()


def start(executable: Path, env: dict[str, str]) -> WarmCheckov | None:
    """A warm checkov for ``executable``, or None where it cannot be warmed (the gate then starts it cold)."""
    try:
        return WarmCheckov(executable, env)
    except (ValueError, OSError):
        return None
