"""Run Prowler, unpatched, against the emulated account; run with the Prowler environment's Python.

    .venv-prowler/bin/python tests/prowler_launch.py aws --region us-east-1 ...   (AWS_ENDPOINT_URL set)

The one change is in the transport, not in any check: S3 Control requests carry the account id in front of the
host (`111122223333.127.0.0.1`), which names no host on a loopback server, so the prefix is dropped before the
request is sent (tests/emulated_server.py does the same for the provisioning). Standalone: the project's
packages are not importable from Prowler's environment.
"""

import re
import sys

import botocore.httpsession

ACCOUNT_HOST_PREFIX = re.compile(r"//\d{12}\.")
_send = botocore.httpsession.URLLib3Session.send


def _send_to_the_emulator(self, request):  # type: ignore[no-untyped-def]
    request.url = ACCOUNT_HOST_PREFIX.sub("//", request.url)
    return _send(self, request)


botocore.httpsession.URLLib3Session.send = _send_to_the_emulator

if __name__ == "__main__":
    from prowler.__main__ import prowler

    sys.exit(prowler())
