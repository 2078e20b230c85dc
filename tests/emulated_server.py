"""Serve the emulated account over HTTP: a moto server holding a stack's deployed form, for real scanners.

`tests/audit_account.provision` builds the account in-process for the audit tests; scanners such as Prowler are
programs with their own boto3, so they need the same account behind an endpoint (`AWS_ENDPOINT_URL`).

    python -m tests.emulated_server build/demo/state.json [--port 5055]

prints `ready http://127.0.0.1:PORT` once the account is built, then serves until it is stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

from tests.audit_account import MOTO_ENV, REGION

ACCOUNT_HOST_PREFIX = re.compile(r"//\d{12}\.")


def drop_account_host_prefix(request: Any, **_: Any) -> None:
    """S3 Control's endpoint rules put the account id in front of the host (`111122223333.127.0.0.1`), which
    names no host on a loopback server; the request goes to the server itself, as AWS's DNS would send it."""
    request.url = ACCOUNT_HOST_PREFIX.sub("//", request.url)


def build(state_path: Path, url: str) -> None:
    """Provision the account the state declares into the moto server at `url`."""
    import boto3
    from botocore.config import Config

    from tests.audit_account import provision

    session = boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing"
    )
    session._session.register("before-sign.s3-control", drop_account_host_prefix)
    config = Config(s3={"addressing_style": "path"})
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, region_name=REGION, endpoint_url=url, config=config)
        return clients[service]

    provision(json.loads(state_path.read_text(encoding="utf-8")), client)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state", type=Path, help="a stack state written by `glz synth` (build/<stack>/state.json)")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    if not args.state.is_file():
        print(f"error: state {args.state}: file not found", file=sys.stderr)
        return 2
    os.environ.update(MOTO_ENV)  # before moto is imported: its account id and loading settings
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    build(args.state, url)
    print(f"ready {url}", flush=True)
    threading.Event().wait()  # until killed
    return 0


if __name__ == "__main__":
    sys.exit(main())
