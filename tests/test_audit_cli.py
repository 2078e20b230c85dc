"""`glz audit` as a user runs it: end to end against a moto server on 127.0.0.1, and the bad-input paths
(no credentials, unreachable endpoint, wrong account, ...) end with a clear message and exit 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from glz.audit.session import single_host
from glz.state import StackState
from tests.audit_account import MOTO_ENV, MOTO_GAPS, REGION, provision

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(MOTO_ENV, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, **extra)
    return env


def _glz(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glz.cli", "--project-dir", str(ROOT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def moto_server():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server_account(moto_server, demo_state_document, tmp_path_factory):
    """The compliant account, provisioned through the server's endpoint; the deployed state on disk."""
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    session.events.register("before-sign.s3-control", single_host(moto_server))
    clients: dict = {}

    def client(service: str):
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=moto_server)
        return clients[service]

    deployed = provision(demo_state_document, client)
    path = tmp_path_factory.mktemp("deployed") / "state.json"
    path.write_text(json.dumps(deployed))
    return path, client


def test_end_to_end_pass_then_drift(moto_server, server_account, tmp_path):
    state, client = server_account
    out = tmp_path / "evidence"
    args = ("audit", "--state", str(state), "--endpoint-url", moto_server, "--region", REGION, "--out", str(out))
    passed = _glz(*args, env=_env(), cwd=tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Traceback" not in passed.stderr
    document = json.loads((out / "audit-evidence.json").read_text())
    assert document["account"] == "111122223333" and document["endpoint_url"] == moto_server
    assert document["state_sha256"] == StackState.load(state).sha256()
    assert document["summary"]["fail"] == 0 and document["summary"]["drift"] == 0
    assert {c["id"] for c in document["checks"] if c["result"] == "not-verifiable"} == set(MOTO_GAPS)
    assert document["summary"]["pass"] == len(document["checks"]) - document["summary"]["not-verifiable"]
    assert "0 fail (0 drift from the state)" in passed.stdout

    client("cloudtrail").stop_logging(Name="glz-demo-trail")
    drifted = _glz(*args, env=_env(), cwd=tmp_path)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    document = json.loads((out / "audit-evidence.json").read_text())
    failed = [c for c in document["checks"] if c["result"] == "fail"]
    assert [(c["id"], c["resource"], c["drift"]) for c in failed] == [("cloudtrail.logging", "glz-demo-trail", True)]
    assert "FAIL (drift)    cloudtrail.logging" in drifted.stdout
    assert "trail glz-demo-trail is not logging" in drifted.stdout
    as_json = _glz(*args, "--json", env=_env(), cwd=tmp_path)  # issue 18: one document for CI
    assert as_json.returncode == 1, as_json.stderr
    printed = json.loads(as_json.stdout)
    assert printed["command"] == "audit" and printed["verdict"].startswith("FAILED")
    assert printed["summary"]["fail"] == 1 and printed["summary"]["drift"] == 1
    assert [(f["check"], f["resource"], f["drift"]) for f in printed["summary"]["failed"]] == [
        ("cloudtrail.logging", "glz-demo-trail", True)
    ]
    assert printed["written"] and printed["written"][0].endswith("audit-evidence.json")


def test_a_wrong_account_is_reported_first_with_exit_2(moto_server, server_account, tmp_path):
    state, _ = server_account
    # The server's account is fixed when it starts, so the state says another account instead.
    document = json.loads(Path(state).read_text())
    for entry in document["deployment"]["resources"]:
        if entry["type"] == "pulumi:pulumi:Stack":
            entry["outputs"]["accountId"] = "210987654321"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(document))
    result = _glz(
        "audit",
        "--state",
        str(other),
        "--endpoint-url",
        moto_server,
        "--region",
        REGION,
        "--out",
        str(tmp_path / "x"),
        env=_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "error: wrong target, no checks were run" in result.stderr
    assert "account 111122223333" in result.stderr and "account 210987654321" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("extra_args", "env_change", "message"),
    [
        (
            (),
            {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": ""},
            "no AWS credentials found",
        ),
        (("--endpoint-url", "http://127.0.0.1:{closed}"), {}, "cannot reach http://127.0.0.1:"),
        (("--endpoint-url", "localhost:5000"), {}, "--endpoint-url 'localhost:5000': expected an http(s) URL"),
        (("--profile", "nobody"), {}, "--profile 'nobody': no such profile"),
    ],
    ids=["no-credentials", "unreachable-endpoint", "bad-endpoint-url", "unknown-profile"],
)
def test_bad_input_ends_with_a_message_and_exit_2(demo_state_document, tmp_path, extra_args, env_change, message):
    state = tmp_path / "state.json"
    state.write_text(json.dumps(demo_state_document))
    closed = _free_port()
    args = [a.format(closed=closed) for a in extra_args]
    env = _env()
    for key, value in env_change.items():
        env.pop(key) if value == "" else env.__setitem__(key, value)
    result = _glz("audit", "--state", str(state), "--region", REGION, *args, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_state_file_is_bad_input(tmp_path):
    result = _glz("audit", "--state", str(tmp_path / "nope.json"), env=_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert "--state" in result.stderr and "file not found" in result.stderr
