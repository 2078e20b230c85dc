"""`glz`: synthesize, check and document the landing zone from the command line.

Exit codes: 0 success, 1 the job ran and found a problem (or failed internally), 2 bad input.
"""

from __future__ import annotations

import argparse
import collections
import sys
import traceback
from pathlib import Path

from glz.errors import UserInputError


def _project_dir(value: str) -> Path:
    path = Path(value).resolve()
    if not (path / "Pulumi.yaml").exists():
        raise UserInputError(f"--project-dir {value!r}: no Pulumi.yaml there")
    return path


def cmd_synth(args: argparse.Namespace) -> int:
    from glz.synth import synthesize

    project_dir = _project_dir(args.project_dir)
    out_dir = Path(args.out or project_dir / "build" / args.stack)
    result = synthesize(project_dir, args.stack, out_dir)
    resources = result.state["deployment"]["resources"]
    by_type = collections.Counter(r["type"] for r in resources if r["custom"])
    print(f"Synthesized stack '{args.stack}' offline (Pulumi mock runtime): {len(resources)} resources")
    width = max((len(t) for t in by_type), default=10)
    for typ, count in sorted(by_type.items()):
        print(f"  {typ:<{width}}  {count}")
    if result.config.placeholders:
        print(
            "Note: secure values cannot be decrypted offline; these stand in as placeholders, "
            "still marked secret in the state: " + ", ".join(result.config.placeholders)
        )
    print(f"Wrote {result.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glz", description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", default=".", help="directory holding Pulumi.yaml (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)
    synth = commands.add_parser("synth", help="run the Pulumi program offline and write build/<stack>/state.json")
    synth.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    synth.add_argument("--out", help="output directory (default: build/<stack>)")
    synth.set_defaults(func=cmd_synth)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UserInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        log = Path("build") / "glz-error.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc())
        print(f"error: {type(error).__name__}: {error} (details in {log})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
