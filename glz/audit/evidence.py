"""The evidence file `glz matrix --evidence` joins to the control matrix through each check's probes."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from glz.audit.runner import AuditRun

SCHEMA = "glz-audit-evidence/1"
FILE_NAME = "audit-evidence.json"


def _tool_version() -> str:
    try:
        return version("genomics-landing-zone")
    except PackageNotFoundError:
        return "unknown"


def document(run: AuditRun) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generated_at": run.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": {"name": "glz", "version": _tool_version()},
        "stack": run.expected.stack,
        "state_source": run.expected.source,
        "state_sha256": run.expected.state_sha256,
        "account": run.identity.account,
        "region": run.region,
        "caller_arn": run.identity.arn,
        "endpoint_url": run.endpoint_url,
        "expected": {"account": run.expected.account, "region": run.expected.region},
        "checks": [result.to_json() for result in run.results],
        "summary": run.summary(),
    }


def write(run: AuditRun, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    path.write_text(json.dumps(document(run), indent=2, default=str) + "\n")
    return path
