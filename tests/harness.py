"""Run Pulumi code under the project's recording mock runtime and get a StackState back.

Each call installs fresh mocks, so tests can build components with different settings in one
process. The same code path as `glz synth`, minus the stack file.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import pulumi
from pulumi.runtime import set_mocks
from pulumi.runtime.sync_await import _sync_await

from components.settings import Settings, parse_settings
from glz.mock_runtime import PlausibleMocks, RecordingMonitor
from glz.state import StackState
from glz.state_export import build_state

STACK = "test"
ACCOUNT = "111122223333"

BASE_CONFIG: dict[str, Any] = {
    "region": "us-east-1",
    "accountId": ACCOUNT,
    "deployerPrincipalArns": [f"arn:aws:iam::{ACCOUNT}:role/pulumi-deployer"],
    "compute": {
        "images": {
            "alignment": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa-mem2:2.2.1",
            "variantCalling": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/genomics/gatk:4.6.1.0",
        }
    },
}


def make_settings(**overrides: Any) -> Settings:
    """Valid settings: BASE_CONFIG plus overrides (config keys, camelCase)."""
    raw = {**BASE_CONFIG, **overrides}
    secret_keys = frozenset({"collaborators"}) if raw.get("collaborators") else frozenset()
    return parse_settings(raw, secret_keys=secret_keys)


def synthesize(build: Callable[[], Any], settings: Settings | None = None) -> StackState:
    """Run ``build()`` (which registers resources) under fresh mocks; return the state."""
    settings = settings or make_settings()
    mocks = PlausibleMocks(settings.account_id, settings.region, settings.partition)
    monitor = RecordingMonitor(mocks)
    set_mocks(mocks, project="genomics-landing-zone", stack=STACK, preview=False, monitor=monitor)
    build()
    _sync_await(pulumi.runtime.stack.wait_for_rpcs())
    return StackState(build_state(monitor.registrations, version("pulumi")))
