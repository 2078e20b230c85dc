"""Offline synthesis: run the real Pulumi program under the mock runtime and export its state.

No Pulumi CLI, no AWS credentials, no network: the same `__main__.py` a cloud admin deploys runs
against Pulumi's mock monitor, and the recorded registrations are written as `pulumi stack export`
would write them, so every offline tool works the same on a real stack's export.
"""

from __future__ import annotations

import gc
import os
import runpy
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from components.settings import SettingsError, parse_settings
from glz import sibling_stacks
from glz.errors import UserInputError
from glz.stack_files import StackConfig, read_stack_config


@dataclass
class SynthResult:
    state: dict[str, Any]
    config: StackConfig
    path: Path | None = None


def validate(config: StackConfig):
    """Settings problems are bad input (exit 2), reported before anything is registered."""
    try:
        return parse_settings(config.raw_settings(), secret_keys=config.secret_settings())
    except SettingsError as error:
        raise UserInputError(error.render(config.stack)) from None


def run_program(project_dir: Path, config: StackConfig) -> dict[str, Any]:
    """Run `__main__.py` once under mocks and return the exported state. One run per process:
    Pulumi's mock settings are process-global."""
    import pulumi
    from pulumi.runtime import get_root_resource, set_mocks
    from pulumi.runtime.sync_await import _sync_await

    from glz.mock_runtime import PlausibleMocks, RecordingMonitor
    from glz.state_export import build_state

    settings = validate(config)
    os.environ.update(config.pulumi_env())
    mocks = PlausibleMocks(settings.account_id, settings.region, settings.partition)
    monitor = RecordingMonitor(mocks, strict=True)
    set_mocks(mocks, project=config.project, stack=config.stack, preview=False, monitor=monitor)
    program = project_dir / "__main__.py"
    sys.path.insert(0, str(project_dir))
    # The mock run builds tens of thousands of small objects that all live until it ends, so the cyclic garbage
    # collector only rescans them (issue 17 profiled a third of synthesis there); it is off for the run and
    # restored after, and the state written is the same byte for byte (tests/test_synth.py).
    collecting = gc.isenabled()
    gc.disable()
    stack_trace = _without_stack_traces()
    try:
        runpy.run_path(str(program), run_name="__main__")
        root = get_root_resource()
        if root is not None:
            # set_mocks registered the root stack before the program ran; register again so
            # the program's exports become the stack's outputs, as in a real deployment.
            root._outputs_registered = False
            root._finish()
        _sync_await(pulumi.runtime.stack.wait_for_rpcs())
    finally:
        sys.path.remove(str(project_dir))
        _restore_stack_traces(stack_trace)
        if collecting:
            gc.enable()
    return build_state(monitor.registrations, version("pulumi"))


def _without_stack_traces():
    """Pulumi walks the Python stack (traceback.extract_stack, reading source lines) at every registration to send
    the engine a source position; the mock monitor drops it and the state never holds one, and it was a tenth of a
    2,000-resource synthesis (issue 17). Off for the mock run only: `pulumi up` keeps it. Returns what to restore
    (None when this Pulumi has no such hook: then nothing is changed)."""
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    real = getattr(resource, "_get_stack_trace", None)
    if real is None:
        return None
    resource._get_stack_trace = source_pb2.StackTrace
    return real


def _restore_stack_traces(real) -> None:
    if real is not None:
        from pulumi.runtime import resource

        resource._get_stack_trace = real


def synthesize(project_dir: Path, stack: str, out_dir: Path | None = None) -> SynthResult:
    from glz.json_text import write_indented

    config = read_stack_config(project_dir, stack)
    problems = sibling_stacks.conflicts(
        stack, config.values, sibling_stacks.sibling_values(project_dir, stack, read_stack_config)
    )
    if problems:
        raise UserInputError("; ".join(problems))
    state = run_program(project_dir, config)
    result = SynthResult(state, config)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        result.path = out_dir / "state.json"
        write_indented(result.path, state, sort_keys=True)  # json.dumps(state, indent=2, sort_keys=True) + newline
    return result
