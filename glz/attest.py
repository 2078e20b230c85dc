"""`glz attest --stack S`: start and check the organization's attestation file (compliance/<stack>.yaml).

`--init` writes a file listing every requirement with a customer part, each `not-done`, its customer action as
a comment; it never overwrites an existing file unless `--force` is given. Without `--init` the file is
checked: a problem in it is bad input (exit 2, every problem named); an attestation past its review date is a
finding (exit 1); otherwise exit 0 with the counts per framework.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("attest", help="start or check the organization's attestations of customer actions")
    parser.add_argument("--stack", required=True, help="the stack the attestations are for")
    parser.add_argument("--file", help="the attestation file (default: compliance/<stack>.yaml)")
    parser.add_argument("--init", action="store_true", help="write a new file listing every customer action")
    parser.add_argument("--force", action="store_true", help="with --init: replace an existing file")
    from glz.console import add_output_options

    add_output_options(parser)
    parser.set_defaults(func=cmd_attest)


def cmd_attest(args: Any) -> int:
    from controls.attestations import (
        NOT_APPLICABLE,
        NOT_DONE,
        AttestationError,
        attestable,
        default_path,
        load,
        template,
    )
    from glz.cli import _project_dir
    from glz.console import output_for
    from glz.errors import UserInputError

    out = output_for(args)
    path = Path(args.file) if args.file else default_path(_project_dir(args.project_dir), args.stack)
    if args.init:
        if path.exists() and not args.force:
            raise UserInputError(f"{path} exists; pass --force to replace it (its attestations would be lost)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template(args.stack))
        total = sum(len(records) for records in attestable().values())
        return out.finish(
            command="attest",
            stack=args.stack,
            exit_code=0,
            verdict=f"WRITTEN: {total} customer actions to attest (every one not-done)",
            summary={"customerActions": total},
            written=[path],
            open_next=path,
            next_step=f"fill it in, then glz attest --stack {args.stack}",
        )
    if not path.exists():
        raise UserInputError(f"{path} does not exist; start it with `glz attest --stack {args.stack} --init`")
    today = dt.date.today()
    try:
        found = load(path, args.stack, today)
    except AttestationError as error:
        raise UserInputError(str(error)) from None
    counts: dict[str, dict[str, int]] = {}
    for framework, records in attestable().items():
        entries = [a for a in found.entries.values() if a.framework == framework]
        counts[framework] = {
            "done": sum(1 for a in entries if a.current(today)),
            "notDone": sum(1 for a in entries if a.status == NOT_DONE),
            "notApplicable": sum(1 for a in entries if a.status == NOT_APPLICABLE),
            "notRecorded": len(records) - len(entries),
            "total": len(records),
        }
        c = counts[framework]
        out.say(
            f"{framework}: {c['done']} done, {c['notDone']} not done, {c['notApplicable']} not applicable, "
            f"{c['notRecorded']} not recorded (of {c['total']})"
        )
    overdue = found.overdue(today)
    for attestation in overdue:
        out.say(
            f"overdue: {attestation.framework} {attestation.requirement}: review was due {attestation.next_review} "
            f"(attested by {attestation.by} on {attestation.date})"
        )
    return out.finish(
        command="attest",
        stack=args.stack,
        exit_code=1 if overdue else 0,
        verdict=f"{'OVERDUE' if overdue else 'CURRENT'}: {path.name}: {len(overdue)} attestation(s) past review",
        summary={
            "frameworks": counts,
            "overdue": [
                {"framework": a.framework, "requirement": a.requirement, "nextReview": str(a.next_review)}
                for a in overdue
            ],
        },
        written=[],
    )
