"""The boto3 session the audit reads the account with: profile, region, endpoint, standard retries.

Every failure to even start talking to AWS (no credentials, unknown profile, unreachable endpoint,
rejected keys) becomes a UserInputError with what to change, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from glz.errors import UserInputError

# Standard retries back off on throttling and transient errors; the timeouts keep an unreachable
# endpoint from hanging the audit for minutes.
CLIENT_CONFIG = Config(
    retries={"mode": "standard"},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="glz-audit",
)


def single_host(endpoint_url: str) -> Callable[..., None]:
    """A before-sign hook keeping S3 Control requests on a custom endpoint's host.

    S3 Control's endpoint rules put the account id in front of the host ('111122223333.127.0.0.1'),
    which a custom endpoint (moto, LocalStack, a proxy) cannot resolve; real AWS endpoints are untouched.
    """
    host = urlparse(endpoint_url).netloc

    def handler(request: Any, **_: Any) -> None:
        parsed = urlparse(request.url)
        prefix, _, rest = parsed.netloc.partition(".")
        if rest == host and prefix.isdigit():
            request.url = parsed._replace(netloc=host).geturl()

    return handler


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str


def _endpoint(value: str | None) -> str | None:
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserInputError(f"--endpoint-url {value!r}: expected an http(s) URL such as http://127.0.0.1:5000")
    return value


@dataclass
class AuditSession:
    """One boto3 session and its clients, all with the same region, endpoint and retry settings."""

    boto: boto3.Session
    region: str
    endpoint_url: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def open(
        cls,
        *,
        profile: str | None,
        region: str | None,
        endpoint_url: str | None,
        default_region: str | None,
    ) -> AuditSession:
        """--region wins, then the profile/environment region, then the region the state declares."""
        endpoint = _endpoint(endpoint_url)
        try:
            boto = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound:
            raise UserInputError(
                f"--profile {profile!r}: no such profile in the AWS config files (~/.aws/config, ~/.aws/credentials)"
            ) from None
        chosen = region or boto.region_name or default_region
        if not chosen:
            raise UserInputError("no AWS region: pass --region (the state does not declare one either)")
        if endpoint:
            boto.events.register("before-sign.s3-control", single_host(endpoint))
        return cls(boto=boto, region=chosen, endpoint_url=endpoint)

    @property
    def events(self) -> Any:
        """The botocore event system every client of this session emits on (used to record calls)."""
        return self.boto.events

    def client(self, service: str) -> Any:
        if service not in self._clients:
            try:
                self._clients[service] = self.boto.client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=CLIENT_CONFIG,
                )
            except NoRegionError:
                raise UserInputError("no AWS region: pass --region") from None
        return self._clients[service]

    def identity(self) -> Identity:
        """Who the credentials belong to; the first call, so credential problems surface here."""
        where = self.endpoint_url or f"AWS STS in {self.region}"
        try:
            answer = self.client("sts").get_caller_identity()
        except (NoCredentialsError, PartialCredentialsError):
            raise UserInputError(
                "no AWS credentials found: pass --profile, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE) for the security-auditor role"
            ) from None
        except EndpointConnectionError as error:
            raise UserInputError(f"cannot reach {where}: {error}") from None
        except ClientError as error:
            info = error.response.get("Error", {})
            raise UserInputError(
                f"the credentials were rejected by {where}: {info.get('Code')}: {info.get('Message')}"
            ) from None
        except BotoCoreError as error:
            raise UserInputError(f"cannot ask {where} who the credentials belong to: {error}") from None
        return Identity(account=answer["Account"], arn=answer["Arn"])
