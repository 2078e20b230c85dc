"""`glz`: synthesize, check and document the landing zone from the command line.

Exit codes: 0 success, 1 the job ran and found a problem (violations), 2 bad input (a message naming
the key or file, the value and what is allowed), 3 internal error (a bug: the traceback goes to
build/glz-error.log, never to the terminal). Output cut short by a closed pipe (`glz rules | head -1`)
ends quietly with 141, as a process killed by SIGPIPE would.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import gc
import json
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from glz.console import add_output_options, output_for
from glz.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, UserInputError

if TYPE_CHECKING:
    from controls.evidence import Evidence
    from controls.scanner_evidence import ScannerEvidence

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`
ERROR_LOG = Path("build") / "glz-error.log"


def _project_dir(value: str) -> Path:
    path = Path(value).resolve()
    if not (path / "Pulumi.yaml").exists():
        raise UserInputError(f"--project-dir {value!r}: no Pulumi.yaml there")
    return path


def cmd_synth(args: argparse.Namespace) -> int:
    from glz.synth import synthesize

    out = output_for(args)
    project_dir = _project_dir(args.project_dir)
    out_dir = Path(args.out or project_dir / "build" / args.stack)
    with out.step(f"Synthesizing stack '{args.stack}' offline"):
        result = synthesize(project_dir, args.stack, out_dir)
    resources = result.state["deployment"]["resources"]
    by_type = collections.Counter(r["type"] for r in resources if r["custom"])
    out.say(f"Synthesized stack '{args.stack}' offline (Pulumi mock runtime): {len(resources)} resources")
    width = max((len(t) for t in by_type), default=10)
    for typ, count in sorted(by_type.items()):
        out.say(f"  {typ:<{width}}  {count}")
    if result.config.placeholders:
        out.say(
            "Note: secure values cannot be decrypted offline; these stand in as placeholders, "
            "still marked secret in the state: " + ", ".join(result.config.placeholders)
        )
    return out.finish(
        command="synth",
        stack=args.stack,
        exit_code=0,
        verdict=f"SYNTHESIZED: stack '{args.stack}': {len(resources)} resources",
        summary={"resources": len(resources), "byType": dict(sorted(by_type.items()))},
        written=[result.path],
        open_next=None,
        next_step=f"glz check --stack {args.stack}   (the policy gate on this stack)",
    )


def _state_and_stack(args: argparse.Namespace, project_dir: Path):
    """--stack synthesizes offline; --state reads any `pulumi stack export` file."""
    from glz.stack_files import STACK_NAME
    from glz.state import StackState

    if args.state:
        state = StackState.load(Path(args.state))
        state.require_plaintext()  # a gate over ciphertext would pass what it cannot read
        stack_urn = next((r.urn for r in state.resources if r.type == "pulumi:pulumi:Stack"), "")
        # The stack name becomes the report directory build/<stack>: it must not leave build/.
        if stack_urn:
            stack = stack_urn.split(":")[2]
        else:  # no Stack resource: name the reports after the file
            stack = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(args.state).stem).strip(".-")[:100] or "state"
        if not STACK_NAME.match(stack) or stack in (".", ".."):
            raise UserInputError(
                f"--state {args.state}: stack name {stack!r} in the stack's URN is not a Pulumi stack name; "
                "allowed: letters, digits, '-', '_' and '.' (1-100 characters)"
            )
        return state, stack
    from glz.synth import synthesize

    result = synthesize(project_dir, args.stack, project_dir / "build" / args.stack)
    # Reports name the state relative to the project, so a matrix built on one machine does not carry
    # that machine's directory layout to the auditor.
    path = result.path.resolve()
    source = path.relative_to(project_dir.resolve()) if path.is_relative_to(project_dir.resolve()) else path
    return StackState(result.state, source.as_posix()), args.stack


def _start_checkov(state, out_dir: Path, project_dir: Path, warm=None):
    """checkov beside the own rules (issue 17): its scan is a separate process waiting on I/O here, so it runs on
    the other core while this process runs the rules and cfn-lint. A future whose result is a GateResult holding
    only checkov's part (added to the gate's in the same order as before)."""
    from concurrent.futures import ThreadPoolExecutor

    from glz.gate import GateResult, add_checkov

    def scan() -> GateResult:
        part = GateResult()
        add_checkov(part, state, out_dir, project_dir, warm)
        return part

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkov")
    future = pool.submit(scan)
    pool.shutdown(wait=False)  # returns now; the scan goes on, and the interpreter joins it before exiting
    return future


def _warm_checkov(args: argparse.Namespace, project_dir: Path):
    """checkov's interpreter started before synthesis, so its import runs on the other core meanwhile (issue 17);
    None with --no-checkov."""
    if getattr(args, "no_checkov", False):
        return None
    from glz.checkov_runner import warm_checkov

    return warm_checkov(project_dir)


def _run_gate(args: argparse.Namespace, project_dir: Path, state, out_dir: Path, warm=None, meanwhile=None):
    """The policy gate as `glz check` runs it: own rules with suppressions, cfn-lint on the conformance
    pack, then checkov unless --no-checkov. Returns the result and the blanket suppressions (and
    checkov skips) every report lists; an expired checkov skip fails the gate like an expired
    suppression. ``meanwhile``: work that needs no gate result, done before waiting for checkov's scan."""
    from glz.checkov_runner import load_skips
    from glz.gate import add_cfn_lint, run_rules
    from policies import suppressions as suppression_file
    from policies.rules import ALL_RULES, RULES_BY_ID

    today = dt.date.today()
    path = Path(args.suppressions) if args.suppressions else project_dir / "policies" / "suppressions.yaml"
    suppressions = suppression_file.load(path, set(RULES_BY_ID), today, required=bool(args.suppressions))
    blanket = [s.as_blanket() for s in suppressions if s.blanket]
    skips = {} if args.no_checkov else load_skips(project_dir / "policies" / "checkov-skips.yaml", today)
    blanket += [skip.as_blanket(check_id) for check_id, skip in sorted(skips.items()) if skip.blanket]
    checkov = None if args.no_checkov else _start_checkov(state, out_dir, project_dir, warm)
    result = run_rules(state, ALL_RULES, suppressions, today)
    add_cfn_lint(result, state)
    if meanwhile is not None:
        meanwhile()
    if checkov is not None:
        scanned = checkov.result()  # re-raises what the scan raised (bad input: exit 2)
        result.findings += scanned.findings
        result.checked += scanned.checked
        result.notes += scanned.notes
        result.expired += [
            suppression_file.Suppression(
                check_id, ", ".join(skip.resources or ("*",)), skip.reason, skip.expires, skip.type, skip.blanket
            )
            for check_id, skip in sorted(skips.items())
            if skip.expired(today)
        ]
    return result, blanket


def cmd_check(args: argparse.Namespace) -> int:
    from importlib.metadata import version

    from glz.reports import table, write_all
    from policies.rules import ALL_RULES

    out = output_for(args)
    project_dir = _project_dir(args.project_dir)
    state, stack, warm = _load(args, project_dir, out)
    out_dir = Path(args.out) if args.out else project_dir / "build" / stack
    with out.step(_gate_label(args)):
        result, blanket = _run_gate(args, project_dir, state, out_dir, warm)
    written = write_all(result, ALL_RULES, stack, out_dir, version("genomics-landing-zone"), blanket, project_dir)
    *details, verdict = table(result, stack, blanket, ALL_RULES, project_dir).splitlines()
    for line in details:
        out.say(line)
    return out.finish(
        command="check",
        stack=stack,
        exit_code=0 if result.passed else 1,
        verdict=verdict,
        summary=_gate_summary(result, blanket, stack, project_dir),
        written=written,
        open_next=None if result.passed else out_dir / "policy-report.txt",
        next_step=f"glz matrix {_source_option(args)}   (the control matrix)" if result.passed else None,
    )


def _source_option(args: argparse.Namespace) -> str:
    return f"--stack {args.stack}" if args.stack else f"--state {args.state}"


def _gate_label(args: argparse.Namespace) -> str:
    return "Running the policy gate (own rules, cfn-lint" + ("" if args.no_checkov else ", checkov") + ")"


def _gate_summary(result, blanket, stack: str, project_dir: Path) -> dict:
    """The gate's counts and blocking findings with their fixes (glz.finding_fix), for --json."""
    from glz.finding_fix import fix_for
    from policies.rules import RULES_BY_ID

    failed = [f for f in result.findings if f.status == "failed"]
    return {
        "passed": result.passed,
        "rules": len({rule for rule, _, _ in result.checked}),
        "checks": len(result.checked),
        "failed": len(failed),
        "suppressed": sum(1 for f in result.findings if f.status == "suppressed"),
        "expiredSuppressions": len(result.expired),
        "blanketSuppressions": len(blanket),
        "blocking": [
            {
                "rule": f.rule_id,
                "severity": f.severity,
                "resource": f.urn,
                "message": f.message,
                "fix": fix_for(f, RULES_BY_ID, f"Pulumi.{stack}.yaml", project_dir).to_json(),
            }
            for f in failed
            if f.blocking
        ],
    }


_ENDS_WITH_EXIT = False  # set by run(): this process is the `glz` command and ends with os._exit


def _settle(young_threshold: int | None = None) -> None:
    """In the `glz` command only (not when main() is called in-process, as the tests do): everything built so far
    (Pulumi's objects from the mock run, the state, then the gate's results) lives until the process ends, so the
    cyclic collector need not rescan it on every later collection (gc.freeze); and the gate and the matrix build
    large long-lived structures (views, the access model, rows) that young-generation passes would only rescan, so
    those run a hundred times less often. Issue 17: a fifth of the gate and matrix at 2,000 resources; cycles are
    still collected."""
    if not _ENDS_WITH_EXIT:
        return
    gc.freeze()
    if young_threshold is not None:
        _, middle, old = gc.get_threshold()
        gc.set_threshold(young_threshold, middle, old)


def _load(args: argparse.Namespace, project_dir: Path, out):
    """The stack state (synthesized or read), with checkov already importing beside it (issue 17)."""
    warm = _warm_checkov(args, project_dir)
    try:
        with out.step(f"Synthesizing stack '{args.stack}' offline" if args.stack else f"Reading {args.state}"):
            state, stack = _state_and_stack(args, project_dir)
    except BaseException:
        if warm is not None:
            warm.cancel()
        raise
    _settle(young_threshold=100_000)
    return state, stack, warm


def _attestations(args: argparse.Namespace, project_dir: Path, stack: str):
    """--attestations, else compliance/<stack>.yaml when it exists; a bad file is bad input (exit 2)."""
    from controls.attestations import AttestationError, default_path, load

    path = Path(args.attestations) if args.attestations else default_path(project_dir, stack)
    if not args.attestations and not path.exists():
        return None
    try:
        return load(path, stack)
    except AttestationError as error:
        raise UserInputError(str(error)) from None


def _evidence_files(
    paths: list[str], account: str | None, region: str | None
) -> tuple[Evidence | None, ScannerEvidence | None]:
    """Each --evidence file by its shape: `glz audit`'s evidence, or a scanner's findings (Prowler's OCSF JSON)."""
    from controls.evidence import SCHEMA, load_evidence, read_json
    from controls.scanner_evidence import is_prowler_ocsf, load_prowler_ocsf

    evidence = scanner = None
    for text in paths:
        path = Path(text)
        document = read_json(path)
        if isinstance(document, dict) and document.get("schema") == SCHEMA:
            if evidence is not None:
                raise UserInputError(f"--evidence {path}: a second `glz audit` evidence file; give one")
            evidence = load_evidence(path, account, region, document)
        elif is_prowler_ocsf(document):
            if scanner is not None:
                raise UserInputError(f"--evidence {path}: a second scanner file; give one")
            scanner = load_prowler_ocsf(path, document, account)
        else:
            found = document.get("schema") if isinstance(document, dict) else type(document).__name__
            raise UserInputError(
                f"--evidence {path}: schema = {found!r}: expected {SCHEMA!r} as written by `glz audit`, "
                "or Prowler's OCSF findings (prowler aws -M json-ocsf)"
            )
    return evidence, scanner


def _import_writers() -> None:
    """The matrix writers' libraries (openpyxl, compliance-trestle's OSCAL models: about half a second) imported
    while checkov still scans on the other core, instead of after it (issue 17)."""
    import controls.outputs
    import controls.render.component_definition
    import controls.render.oscal
    import controls.render.poam
    import controls.render.xlsx  # noqa: F401
    import glz.diagram
    import glz.reports  # noqa: F401


def cmd_matrix(args: argparse.Namespace) -> int:
    from controls.determination import sprs_basis
    from controls.mapping import MappingError
    from controls.matrix import build_matrix, stack_facts
    from controls.model import STATUSES
    from controls.outputs import write_all as write_matrix
    from policies.rules import ALL_RULES

    out = output_for(args)
    project_dir = _project_dir(args.project_dir)
    state, stack, warm = _load(args, project_dir, out)
    out_dir = Path(args.out) if args.out else project_dir / "build" / stack
    facts = stack_facts(state, stack)
    known = [value if value != "unknown" else None for value in (facts.account, facts.region)]
    evidence, scanner = _evidence_files(args.evidence or [], *known)
    attestations = _attestations(args, project_dir, stack)
    probes: dict = {}

    def meanwhile() -> None:
        """What needs no gate result, done while checkov scans on the other core (issue 17)."""
        from controls.probes import run_all

        probes.update(run_all(state))
        _import_writers()

    with out.step(_gate_label(args)):
        gate, blanket = _run_gate(args, project_dir, state, out_dir, warm, meanwhile=meanwhile)
    _settle()  # the gate's results and the probes live until the end too
    try:
        with out.step("Building the control matrix"):
            matrix = build_matrix(
                state,
                gate,
                ALL_RULES,
                stack,
                evidence=evidence,
                attestations=attestations,
                scanner=scanner,
                probe_results=probes,
            )
    except MappingError as error:
        raise UserInputError(str(error)) from None
    from importlib.metadata import version

    from glz.reports import write_all as write_gate_reports

    # the gate's own reports beside the matrix: the matrix cites its findings, CI reads them
    with out.step("Writing the reports (xlsx, HTML, OSCAL, ...)"):
        written = write_gate_reports(
            gate, ALL_RULES, stack, out_dir, version("genomics-landing-zone"), blanket, project_dir
        )
        written += write_matrix(matrix, out_dir)
        from glz.diagram import data_path_markdown

        diagram = out_dir / "data-path.md"
        diagram.write_text(data_path_markdown(state, stack))
        written.append(diagram)
    out.say(
        f"Control matrix for stack '{stack}' (account {matrix.info.account}, {matrix.info.region}); "
        f"policy gate {matrix.info.gate_summary}"
    )
    width = max(len(s) for s in STATUSES)
    summary: dict = {"gate": _gate_summary(gate, blanket, stack, project_dir), "frameworks": {}}
    for framework, rows in matrix.rows.items():
        counts = matrix.status_counts(framework)
        out.say(f"  {framework}: {len(rows)} requirements")
        for status in STATUSES:
            if counts[status]:
                out.say(f"    {status:<{width}}  {counts[status]}")
    for framework in matrix.rows:
        counts = matrix.determination_counts(framework)
        out.say(f"  {framework} determinations: " + ", ".join(f"{r} {n}" for r, n in counts.items() if n))
        out.say(f"  {framework} automated (strict): {matrix.strict_count(framework)} of {len(matrix.rows[framework])}")
        summary["frameworks"][framework] = {
            "requirements": len(matrix.rows[framework]),
            "statuses": {k: v for k, v in matrix.status_counts(framework).items() if v},
            "determinations": {k: v for k, v in counts.items() if v},
            "automatedStrict": matrix.strict_count(framework),
        }
    out.say(f"  SPRS score: {matrix.sprs.score} of {matrix.sprs.maximum} ({sprs_basis(matrix.sprs, brief=True)})")
    summary["sprs"] = {"score": matrix.sprs.score, "maximum": matrix.sprs.maximum}
    if evidence is not None:
        verified = sum(1 for row in matrix.all_rows() if row.verified and row.verified.result == "verified")
        out.say(f"  Live evidence from account {evidence.account} ({evidence.source}):")
        summary["verifiedRows"] = verified
        summary["liveEvidence"] = {}
        for framework in matrix.rows:
            counts = matrix.verification_counts(framework) or {}
            out.say(f"    {framework}: " + ", ".join(f"{result} {n}" for result, n in counts.items()) + " rows")
            summary["liveEvidence"][framework] = counts
        for note in matrix.info.evidence_notes:
            print(f"warning: evidence {evidence.source}: {note}", file=sys.stderr)
    if scanner is not None:
        verdicts = collections.Counter(row.scanner.result for row in matrix.all_rows() if row.scanner)
        out.say(
            f"  {scanner.scanner} on {sum(verdicts.values())} rows: "
            + ", ".join(f"{result} {n}" for result, n in sorted(verdicts.items()))
            + f" (scan {scanner.source})"
        )
        summary["scanner"] = {"name": scanner.scanner, "rows": dict(sorted(verdicts.items()))}
        for note in matrix.info.scanner_notes:
            print(f"warning: scanner evidence {scanner.source}: {note}", file=sys.stderr)
    # every report is written either way; the exit code tells CI (and `make run`) whether the gate failed
    passed = gate.passed
    return out.finish(
        command="matrix",
        stack=stack,
        exit_code=0 if passed else 1,
        verdict=(
            f"{'PASSED' if passed else 'FAILED'}: control matrix for stack '{stack}' written; policy gate "
            f"{matrix.info.gate_summary}" + ("" if passed else "; see policy-report.txt")
        ),
        summary=summary,
        written=written,
        open_next=out_dir / ("control-matrix.html" if passed else "policy-report.txt"),
    )


def rules_markdown() -> str:
    """The rules table for docs/policy-gate.md (kept in step by a test)."""
    from policies.rules import ALL_RULES

    lines = [
        "| id | severity | enforcement | what it checks | NIST 800-171 r2 | r3 | HIPAA |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in ALL_RULES:
        req = rule.requirements
        lines.append(
            f"| {rule.id} | {rule.severity} | {rule.enforcement} | {' '.join(rule.description.split())} | {', '.join(req.r2)} "
            f"| {', '.join(req.r3)} | {', '.join(req.hipaa)} |"
        )
    return "\n".join(lines)


def cmd_rules(args: argparse.Namespace) -> int:
    from policies.rules import ALL_RULES

    if args.markdown:
        print(rules_markdown())
        return 0
    if args.json:
        document = [
            {
                "id": rule.id,
                "name": rule.name,
                "severity": rule.severity,
                "enforcement": rule.enforcement,
                "kind": rule.kind,
                "description": rule.description,
                "remediation": rule.remediation,
                "requirements": {
                    "nist-800-171-r2": list(rule.requirements.r2),
                    "nist-800-171-r3": list(rule.requirements.r3),
                    "hipaa": list(rule.requirements.hipaa),
                },
            }
            for rule in ALL_RULES
        ]
        print(json.dumps(document, indent=2))
        return 0
    for rule in ALL_RULES:
        print(f"{rule.id:<12} {rule.severity:<8} {rule.enforcement:<9} {rule.kind:<8} {rule.name}")
        print(f"{'':<12} {rule.description}")
        print(f"{'':<12} evidences: {', '.join(rule.requirements.tags())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(prog="glz", description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", default=".", help="directory holding Pulumi.yaml (default: .)")
    parser.add_argument("--version", action="version", version=f"glz {version('genomics-landing-zone')}")
    commands = parser.add_subparsers(dest="command", required=True)
    synth = commands.add_parser("synth", help="run the Pulumi program offline and write build/<stack>/state.json")
    synth.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    synth.add_argument("--out", help="output directory (default: build/<stack>)")
    add_output_options(synth)
    synth.set_defaults(func=cmd_synth)
    check = commands.add_parser("check", help="run the policy gate on a stack (exit 1 on violations)")
    source = check.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="synthesize Pulumi.<stack>.yaml offline, then check it")
    source.add_argument("--state", help="check a `pulumi stack export` file")
    check.add_argument("--suppressions", help="suppressions file (default: policies/suppressions.yaml)")
    check.add_argument("--out", help="report directory (default: build/<stack>)")
    check.add_argument("--no-checkov", action="store_true", help="run only the project's own rules")
    add_output_options(check)
    check.set_defaults(func=cmd_check)
    matrix = commands.add_parser(
        "matrix",
        help="generate the control matrix (xlsx, csv, md, html, OSCAL) and the gate's reports for a stack "
        "(exit 1 when the gate fails, after writing them all)",
    )
    source = matrix.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="synthesize Pulumi.<stack>.yaml offline, then document it")
    source.add_argument("--state", help="document a `pulumi stack export` file")
    matrix.add_argument(
        "--evidence",
        action="append",
        help="live evidence, repeatable: `glz audit`'s evidence file (the 'verified in account' column) and/or "
        "Prowler's OCSF findings (`prowler aws -M json-ocsf`: the 'scanner findings' column)",
    )
    matrix.add_argument("--suppressions", help="suppressions file (default: policies/suppressions.yaml)")
    matrix.add_argument(
        "--attestations", help="the organization's attestations (default: compliance/<stack>.yaml when it exists)"
    )
    matrix.add_argument("--out", help="output directory (default: build/<stack>)")
    matrix.add_argument("--no-checkov", action="store_true", help="leave checkov's findings out of the matrix")
    add_output_options(matrix)
    matrix.set_defaults(func=cmd_matrix)
    rules = commands.add_parser("rules", help="list the policy rules and what they evidence")
    shape = rules.add_mutually_exclusive_group()
    shape.add_argument("--markdown", action="store_true", help="print the rules table in Markdown")
    shape.add_argument("--json", action="store_true", help="print every rule as JSON (id, requirements, fix)")
    rules.set_defaults(func=cmd_rules)
    from glz.attest import add_parser as add_attest_parser
    from glz.audit.cli import add_parser as add_audit_parser
    from glz.deployer_policy import add_parser as add_deployer_policy_parser
    from glz.diff import add_parser as add_diff_parser
    from glz.init import add_parser as add_init_parser
    from glz.manifest import add_parser as add_manifest_parser
    from glz.preflight import add_parser as add_preflight_parser
    from glz.scp import add_parser as add_scp_parser

    add_audit_parser(commands)
    add_preflight_parser(commands)
    add_scp_parser(commands)
    add_deployer_policy_parser(commands)
    add_attest_parser(commands)
    add_diff_parser(commands)
    add_init_parser(commands)
    add_manifest_parser(commands)
    for command in commands.choices.values():
        # the global option after the subcommand too (`glz check --stack demo --project-dir ../lz`); SUPPRESS keeps
        # a value given before the subcommand when this one is absent
        command.add_argument("--project-dir", default=argparse.SUPPRESS, help="directory holding Pulumi.yaml")
    return parser


def _write_error_log(args: argparse.Namespace | None) -> Path | None:
    """The traceback of an internal error, in <project-dir>/build/glz-error.log (else the temp dir)."""
    project_dir = Path(getattr(args, "project_dir", None) or ".")
    for log in (project_dir / ERROR_LOG, Path(tempfile.gettempdir()) / ERROR_LOG.name):
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
            return log
        except OSError:
            continue
    return None


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run one command. Exit codes: 0 success, 1 violations, 2 bad input, 3 internal error (see the
    module docstring); never a traceback on the terminal."""
    args = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        code = args.func(args)
        sys.stdout.flush()
        return code
    except UserInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130
    except SystemExit as exit_:  # argparse: --help (0) and usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
    except Exception as error:
        log = _write_error_log(args)
        where = f"the traceback is in {log}" if log else "the traceback could not be written to a log file"
        print(
            f"internal error: {type(error).__name__}: {error}\n"
            f"This is a bug in glz, not a problem with the input; {where}. Exit code {EXIT_INTERNAL}.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def run() -> None:
    """The `glz` command: main(), then the process ends without tearing the interpreter down. Freeing a
    synthesized stack's objects one by one took about a second of every `glz check --stack` (issue 17). By
    then every file is written and closed and every child process waited for; the streams are flushed here."""
    global _ENDS_WITH_EXIT
    _ENDS_WITH_EXIT = True
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
