"""`glz init --stack S`: start a stack's `Pulumi.<stack>.yaml` that validates, with every other setting listed.

The file holds what the stack cannot go without (account, region, classification, the deployer for controlled
and phi data, the operator principals given), compute off until a pipeline is described, and every other setting
of Pulumi.yaml as a commented line with its default and description, so the choices are in front of whoever edits
it. It is validated with the same rules `glz synth` applies before it is written; a bad value is bad input
(exit 2) and nothing is written. An existing file is never overwritten without --force.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

import yaml

from components.settings import SettingsError, parse_settings
from glz.errors import UserInputError
from glz.stack_files import PROJECT, STACK_NAME

PRINCIPAL_FLAGS = {
    "admin": "adminPrincipalArns",
    "auditor": "auditorPrincipalArns",
    "break_glass": "breakGlassPrincipalArns",
    "support": "supportPrincipalArns",
}


def _values(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {
        "accountId": args.account_id,
        "classification": args.classification,
        # no compute until the pipeline is described (pipeline.stages, or compute.images): docs/operator-runbook.md
        "compute": {"enabled": False},
        "runTracking": {"enabled": False},  # runs the stages, so it waits for compute too
    }
    if args.deployer:
        values["deployerPrincipalArns"] = list(args.deployer)
    for flag, key in PRINCIPAL_FLAGS.items():
        if getattr(args, flag):
            values[key] = list(getattr(args, flag))
    return values


def _commented(project: dict[str, Any], skip: set[str]) -> list[str]:
    """Every other setting as a commented line: its default and its description."""
    lines = [
        "",
        "  # --- every other setting, at its default: uncomment a line to change it (descriptions: Pulumi.yaml)",
    ]
    for key, spec in (project.get("config") or {}).items():
        if key in skip or ":" in key or not isinstance(spec, dict):
            continue
        default = spec.get("default")
        # a scalar dumps as "value\n...": the document end marker goes
        dumped = yaml.safe_dump(default, default_flow_style=True, width=10_000).removesuffix("...\n").strip()
        shown = dumped if default is not None else "(unset)"
        description = " ".join(str(spec.get("description", "")).split())
        lines.append(f"  # {PROJECT}:{key}: {shown}")
        lines += textwrap.wrap(description, 112, initial_indent="  #     ", subsequent_indent="  #     ")
    return lines


def render(project: dict[str, Any], region: str, values: dict[str, Any]) -> str:
    body = {"config": {"aws:region": region, **{f"{PROJECT}:{k}": v for k, v in values.items()}}}
    head = yaml.safe_dump(body, sort_keys=False, default_flow_style=False, width=120).rstrip("\n")
    notes = [
        "# Started by `glz init`. Next: `glz preflight --stack <stack>` against the account, then `glz check`.",
        "# Secrets (collaborator external IDs) go in with `pulumi config set --secret`.",
    ]
    return "\n".join([*notes, head, *_commented(project, set(values))]) + "\n"


def cmd_init(args: argparse.Namespace) -> int:
    from glz.cli import _project_dir
    from glz.console import output_for

    out = output_for(args)
    project_dir = _project_dir(args.project_dir)
    if not STACK_NAME.match(args.stack):
        raise UserInputError(f"--stack {args.stack!r}: stack names use letters, digits, '-', '_' and '.'")
    target = project_dir / f"Pulumi.{args.stack}.yaml"
    if target.exists() and not args.force:
        raise UserInputError(f"{target.name} exists already; nothing was written (--force replaces it)")
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    values = _values(args)
    try:
        parse_settings({"region": args.region, **values})
    except SettingsError as error:
        raise UserInputError(error.render(args.stack) + "\nnothing was written") from None
    text = render(project, args.region, values)
    partial = target.with_suffix(".yaml.tmp")
    partial.write_text(text)
    partial.replace(target)
    out.say(f"Started stack '{args.stack}' ({args.classification}, account {args.account_id}, {args.region}).")
    return out.finish(
        command="init",
        stack=args.stack,
        exit_code=0,
        verdict=f"WRITTEN: {target.name} validates; edit it, then run glz preflight and glz check --stack {args.stack}",
        summary={"classification": args.classification, "region": args.region, "accountId": args.account_id},
        written=[target],
        open_next=target,
    )


def add_parser(commands: argparse._SubParsersAction) -> None:
    from glz.console import add_output_options

    init = commands.add_parser("init", help="start Pulumi.<stack>.yaml: required settings, every other one listed")
    init.add_argument("--stack", required=True, help="stack name: writes Pulumi.<stack>.yaml")
    init.add_argument("--account-id", required=True, help="the 12-digit AWS account the stack deploys to")
    init.add_argument("--region", required=True, help="the AWS region, e.g. us-east-1")
    init.add_argument("--classification", default="phi", help="phi (default), controlled or public")
    init.add_argument(
        "--deployer", action="append", help="role that runs `pulumi up` (required for controlled and phi data)"
    )
    init.add_argument("--admin", action="append", help="principal that may assume the administrator role")
    init.add_argument("--auditor", action="append", help="principal that may assume the security-auditor role")
    init.add_argument("--break-glass", action="append", help="principal that may assume the break-glass role")
    init.add_argument("--support", action="append", help="principal that may assume the AWS Support role")
    init.add_argument("--force", action="store_true", help="replace an existing Pulumi.<stack>.yaml")
    add_output_options(init)
    init.set_defaults(func=cmd_init)
