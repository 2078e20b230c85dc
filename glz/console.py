"""What a command shows: a spinner per long step on a terminal, its summary, the files it wrote (relative to where
it was run) and what to open next. For CI, ``--quiet`` prints only the verdict line and ``--json`` one JSON document
on stdout (nothing else there). Spinners and colour appear only on a terminal and never with NO_COLOR: rich, the
library drawing them, honours both, and they go to stderr so stdout stays the report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

MODES = ("text", "quiet", "json")


def shown_path(path: Path, base: Path | None = None) -> str:
    """``path`` relative to ``base`` (default: the working directory) when it lies below it, else as given."""
    base = (base or Path.cwd()).resolve()
    resolved = Path(path).resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else str(path)


@dataclass
class Output:
    """One command's output in the chosen mode (text | quiet | json)."""

    mode: str = "text"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"output mode {self.mode!r}; allowed: {', '.join(MODES)}")
        self.progress = Console(stderr=True, highlight=False, no_color=bool(os.environ.get("NO_COLOR")))

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """A spinner with ``label`` while the block runs (text mode on a terminal, without NO_COLOR, only: NO_COLOR
        asks for plain output, and a spinner is animation by colour and cursor moves)."""
        if self.mode == "text" and self.progress.is_terminal and not os.environ.get("NO_COLOR"):
            with self.progress.status(label, spinner="dots"):
                yield
        else:
            yield

    def say(self, text: str = "") -> None:
        """A line of the text summary (printed in text mode only)."""
        if self.mode == "text":
            print(text)

    def finish(
        self,
        *,
        command: str,
        stack: str | None,
        exit_code: int,
        verdict: str,
        summary: dict[str, Any],
        written: list[Path],
        open_next: Path | None = None,
        next_step: str | None = None,
    ) -> int:
        """The end of every command: what was written, what to open next and the command to run next, or the JSON
        document. The verdict is green when the command succeeded and red when not, on a terminal without
        NO_COLOR only."""
        files = [shown_path(p) for p in written]
        if self.mode == "json":
            document = {
                "command": command,
                "stack": stack,
                "exitCode": exit_code,
                "verdict": verdict,
                "summary": summary,
                "written": files,
                "openNext": shown_path(open_next) if open_next else None,
                "nextStep": next_step,
            }
            print(json.dumps(document, indent=2, sort_keys=True))
            return exit_code
        if self.mode == "quiet":
            print(verdict)
            return exit_code
        folders = sorted({str(Path(f).parent) for f in files})
        if len(folders) == 1 and files:
            print(f"Wrote {len(files)} file(s) to {folders[0]}/: " + ", ".join(Path(f).name for f in files))
        elif files:
            print("Wrote " + ", ".join(files))
        if open_next is not None:
            print(f"Open next: {shown_path(open_next)}")
        if next_step is not None:
            print(f"Next: {next_step}")
        self._verdict(verdict, exit_code)
        return exit_code

    def _verdict(self, verdict: str, exit_code: int) -> None:
        screen = Console(highlight=False)
        if screen.is_terminal and not os.environ.get("NO_COLOR"):
            screen.print(verdict, style="bold green" if exit_code == 0 else "bold red", markup=False)
        else:
            print(verdict)


def add_output_options(parser: Any) -> None:
    """--quiet and --json on a subcommand (mutually exclusive)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quiet", action="store_true", help="print only the verdict line (for CI logs)")
    group.add_argument("--json", action="store_true", help="print one JSON document (verdict, counts, files)")


def output_for(args: Any) -> Output:
    return Output("json" if getattr(args, "json", False) else "quiet" if getattr(args, "quiet", False) else "text")
