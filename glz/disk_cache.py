"""Results kept between runs in $XDG_CACHE_HOME/glz (default ~/.cache/glz), for work whose answer depends only on
what its key names: checkov's check registry (keyed by checkov's version) and cfn-lint's findings on a template
(keyed by the text, the options, cfn-lint's version and any .cfnlintrc it would read). A missing, damaged or
unwritable cache only costs the work again; it never changes an answer (issue 17)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "glz"


def digest(*parts: Any) -> str:
    """A stable key for ``parts`` (anything JSON can write)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def read_json(path: Path) -> Any | None:
    """The document at ``path``, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json(path: Path, document: Any) -> None:
    """Written whole, then renamed, so a parallel run never reads half a file; a read-only home is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(document))
        os.replace(partial, path)
    except OSError:
        pass
