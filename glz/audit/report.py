"""The readable table `glz audit` prints: failures first, then what could not be verified, then passes."""

from __future__ import annotations

from glz.audit.expected import describe
from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS
from glz.audit.rollup import rollup_lines
from glz.audit.runner import AuditRun

ORDER = {FAIL: 0, NOT_VERIFIABLE: 1, PASS: 2}
NOTE_WIDTH = 110


def _label(result: str, drift: bool) -> str:
    if result == FAIL:
        return "FAIL (drift)" if drift else "FAIL"
    return result


def table(run: AuditRun, only: tuple[str, ...] = ()) -> str:
    """``only``: the results to list (pass, fail, not-verifiable); the counts and the requirement roll-up always
    cover every check."""
    rows = sorted(
        (r for r in run.results if not only or r.result in only), key=lambda r: (ORDER[r.result], r.id, r.resource)
    )
    id_width = max((len(r.id) for r in rows), default=5)
    resource_width = min(max((len(r.resource) for r in rows), default=8), 48)
    lines = [
        f"Audit of stack '{run.expected.stack}' in account {run.identity.account} ({run.region}) as {run.identity.arn}",
        f"Declared in {run.expected.source}: {describe(run.expected)}",
        "",
        f"{'RESULT':<15} {'CHECK':<{id_width}} {'RESOURCE':<{resource_width}} NOTE",
    ]
    for r in rows:
        note = r.reason if len(r.reason) <= NOTE_WIDTH else r.reason[: NOTE_WIDTH - 3] + "..."
        resource = r.resource if len(r.resource) <= resource_width else "..." + r.resource[-(resource_width - 3) :]
        lines.append(f"{_label(r.result, r.drift):<15} {r.id:<{id_width}} {resource:<{resource_width}} {note}")
    s = run.summary()
    lines += rollup_lines(run.results, FAIL, "Requirements whose live evidence failed")
    lines += rollup_lines(run.results, NOT_VERIFIABLE, "Requirements with live checks not verifiable")
    lines += [
        "",
        f"{s[PASS]} pass, {s[FAIL]} fail ({s['drift']} drift from the state), {s[NOT_VERIFIABLE]} not verifiable "
        f"of {len(run.results)} checks" + (f" ({len(rows)} listed: {', '.join(only)})" if only else ""),
    ]
    return "\n".join(lines)
