"""Errors the command line turns into a message and an exit code, never a traceback, and the bounded
readers that turn an unreadable input file into such an error.

Exit codes: 0 clean, 1 violations, 2 bad input, 3 internal error.

The readers depend on the standard library and PyYAML only, so the CrossGuard pack (which has neither
pydantic nor pulumi's SDK extras in its own environment) can use them for the suppressions file.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

MIB = 1024 * 1024
YAML_MAX_BYTES = 1 * MIB
"""Stack configs, suppressions and checkov skips are hand-written: a megabyte is far more than any needs."""
YAML_MAX_ALIASES = 50
"""YAML aliases (`*name`, including `<<: *name` merges) allowed in one file; an alias bomb needs many."""
YAML_MAX_NODES = 100_000
"""Nodes a YAML document may hold with every alias expanded: a few aliases nested deeply also explode."""
YAML_MAX_DEPTH = 100
"""Nesting depth of YAML collections (deeper documents are not configuration)."""


class UserInputError(Exception):
    """Bad input from the user (stack name, file, config): exit code 2."""

    exit_code = EXIT_BAD_INPUT


def _size(count: int) -> str:
    return f"{count / MIB:.0f} MiB" if count >= MIB else f"{count} bytes"


def read_text(path: Path | str, what: str, max_bytes: int, allow_empty: bool = False) -> str:
    """The file's text, or a UserInputError naming the file, what is wrong with it and what is allowed:
    missing, a directory, unreadable, empty, larger than `max_bytes` (checked while reading, so a pipe
    or a device is cut off too) or not UTF-8 (a UTF-8 byte-order mark is accepted)."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise UserInputError(f"{what} {path}: file not found") from None
    except IsADirectoryError:
        raise UserInputError(f"{what} {path}: is a directory; expected a file") from None
    except PermissionError:
        raise UserInputError(f"{what} {path}: permission denied; the file must be readable") from None
    except OSError as error:
        raise UserInputError(f"{what} {path}: cannot be read ({error.strerror or error})") from None
    if len(data) > max_bytes:
        raise UserInputError(f"{what} {path}: larger than {_size(max_bytes)}, the most allowed; refusing to read it")
    if not data.strip() and not allow_empty:
        raise UserInputError(f"{what} {path}: the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UserInputError(
            f"{what} {path}: encoded as UTF-16 (as PowerShell's `>` writes); only UTF-8 is allowed: "
            "re-create it with `| Out-File -Encoding utf8`"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UserInputError(
            f"{what} {path}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "only UTF-8 is allowed"
        ) from None


def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """yaml.safe_load on the C parser when PyYAML has it (the pure-Python one takes half a second on the
    mapping files, issue 17): for the YAML files the project ships; a user's file goes through load_yaml."""
    import yaml

    return yaml.load(text, Loader=_yaml_loader())


def _check_yaml_events(text: str, where: str) -> None:
    """Walk the event stream (no document is built) and refuse alias bombs and absurd nesting before
    PyYAML composes anything: an alias is cheap to write and exponential to expand."""
    import yaml
    from yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        ScalarEvent,
    )

    aliases = 0
    anchored: dict[str, int] = {}  # anchor -> node count with aliases expanded
    open_nodes: list[list[Any]] = [[0, None]]  # [node count, anchor] per open collection; [0] is the stream
    for event in yaml.parse(text, Loader=_yaml_loader()):
        if isinstance(event, AliasEvent):
            aliases += 1
            if aliases > YAML_MAX_ALIASES:
                raise UserInputError(
                    f"{where}: more than {YAML_MAX_ALIASES} YAML aliases (*name); refused as a possible alias bomb. "
                    "Write the values out instead of repeating anchors"
                )
            count = anchored.get(event.anchor or "", 1)
        elif isinstance(event, ScalarEvent):
            count = 1
            if event.anchor:
                anchored[event.anchor] = 1
        elif isinstance(event, CollectionStartEvent):
            open_nodes.append([1, event.anchor])
            if len(open_nodes) - 1 > YAML_MAX_DEPTH:
                raise UserInputError(f"{where}: nested more than {YAML_MAX_DEPTH} levels deep; refused")
            continue
        elif isinstance(event, CollectionEndEvent):
            count, anchor = open_nodes.pop()
            if anchor:
                anchored[anchor] = count
        else:
            continue
        open_nodes[-1][0] += count
        if open_nodes[-1][0] > YAML_MAX_NODES:
            raise UserInputError(
                f"{where}: more than {YAML_MAX_NODES} values once its aliases are expanded; "
                "refused as a possible alias bomb"
            )


def load_yaml(path: Path | str, what: str, max_bytes: int = YAML_MAX_BYTES) -> Any:
    """A YAML file parsed safely and within bounds: at most `max_bytes`, UTF-8, at most YAML_MAX_ALIASES
    aliases, YAML_MAX_NODES values with aliases expanded and YAML_MAX_DEPTH levels; the C parser
    (CSafeLoader) when PyYAML has it. An empty file is None. Every problem is a UserInputError naming
    the file."""
    import yaml

    path = Path(path)
    text = read_text(path, what, max_bytes, allow_empty=True)
    where = f"{what} {path}"
    try:
        _check_yaml_events(text, where)
        return yaml.load(text, Loader=_yaml_loader())  # CSafeLoader or SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        raise UserInputError(f"{where}: not valid YAML ({error})") from None
    except RecursionError:
        raise UserInputError(f"{where}: nested too deeply; refused") from None
