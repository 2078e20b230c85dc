"""`glz audit`: the subcommand's arguments and what it does with them."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    audit = commands.add_parser(
        "audit",
        help="read the deployed account (read-only) and check it against the stack state; writes audit-evidence.json",
    )
    source = audit.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="synthesize Pulumi.<stack>.yaml offline for what is expected")
    source.add_argument("--state", help="a `pulumi stack export` file of the deployed stack (recommended)")
    audit.add_argument("--region", help="region to read (default: the profile's, else the state's)")
    audit.add_argument("--profile", help="AWS profile of the security-auditor role (docs/audit-permissions.json)")
    audit.add_argument("--endpoint-url", help="AWS endpoint override (e.g. a moto server for tests)")
    audit.add_argument("--out", help="evidence directory (default: build/<stack>)")
    audit.add_argument("--strict", action="store_true", help="exit 1 when any check is not verifiable")
    audit.add_argument(
        "--only",
        action="append",
        choices=("fail", "not-verifiable", "pass"),
        help="list only these results (repeatable); counts and the requirement roll-up still cover every check",
    )
    from glz.console import add_output_options

    add_output_options(audit)
    audit.set_defaults(func=cmd_audit)
    return audit


def _base_dir(args: argparse.Namespace) -> Path:
    """The project directory when there is one, else the current directory (audit of a bare state file)."""
    path = Path(args.project_dir).resolve()
    return path if (path / "Pulumi.yaml").exists() else Path.cwd()


def cmd_audit(args: argparse.Namespace) -> int:
    from glz.audit import evidence, report
    from glz.audit.expected import from_state
    from glz.audit.runner import run_audit
    from glz.audit.session import AuditSession
    from glz.cli import _project_dir, _state_and_stack

    project_dir = _project_dir(args.project_dir) if args.stack else _base_dir(args)
    state, stack = _state_and_stack(args, project_dir)
    declared = from_state(state, stack)
    session = AuditSession.open(
        profile=args.profile, region=args.region, endpoint_url=args.endpoint_url, default_region=declared.region
    )
    run = run_audit(state, session, stack)
    out_dir = Path(args.out) if args.out else project_dir / "build" / stack
    from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS
    from glz.console import output_for

    out = output_for(args)
    path = evidence.write(run, out_dir)
    *details, counts = report.table(run, tuple(args.only or ())).splitlines()
    for line in details:
        out.say(line)
    code = run.exit_code(strict=args.strict)
    s = run.summary()
    return out.finish(
        command="audit",
        stack=stack,
        exit_code=code,
        verdict=f"{'PASSED' if code == 0 else 'FAILED'}: audit of stack '{stack}' in account "
        f"{run.identity.account}: {counts}",
        summary={
            "account": run.identity.account,
            "region": run.region,
            "checks": len(run.results),
            "pass": s[PASS],
            "fail": s[FAIL],
            "drift": s["drift"],
            "notVerifiable": s[NOT_VERIFIABLE],
            "failed": [
                {"check": r.id, "resource": r.resource, "reason": r.reason, "drift": r.drift}
                for r in run.results
                if r.result == FAIL
            ],
        },
        written=[path],
        open_next=None,
        next_step=f"glz matrix --stack {stack} --evidence {path}   (the live evidence in the matrix)"
        if args.stack
        else f"glz matrix --state {args.state} --evidence {path}   (the live evidence in the matrix)",
    )
