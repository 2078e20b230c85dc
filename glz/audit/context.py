"""What every check gets: memoised read-only API calls, and a runner that turns errors into verdicts.

A refused call (AccessDenied and kin) or any other API error marks only the check that needed it
"not-verifiable", with the reason; the audit goes on. Calls are memoised, so several checks reading
the same answer (e.g. one trail) cost one call and share its outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from glz.audit.expected import Expected
from glz.audit.result import NOT_VERIFIABLE, CheckResult, CheckSpec, Verdict, unverifiable
from glz.audit.session import AuditSession
from glz.state import StackState

# What a failed call can raise; each makes only the check that needed the call not-verifiable.
# ResponseParserError: the endpoint answered something that is not the API's format (e.g. a bare HTTP 500).
CALL_ERRORS = (ClientError, BotoCoreError, ResponseParserError, NotImplementedError)

# Error codes AWS services use when a principal lacks a permission.
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthorizationErrorException",
        "NotAuthorized",
        "Forbidden",
        "403",
    }
)


class DependencyMissingError(Exception):
    """Raised by a check body when something it depends on is already known to be absent."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def describe_error(error: Exception) -> str:
    """A sentence for the evidence: which call failed and why."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code, message = info.get("Code", ""), info.get("Message", "")
        if code in ACCESS_DENIED_CODES:
            return (
                f"access denied: {error.operation_name} was refused ({code}: {message}); the audit role needs "
                "the read-only permissions in docs/audit-permissions.json"
            )
        return f"{error.operation_name} failed: {code}: {message}".rstrip(": ")
    if isinstance(error, NotImplementedError):
        return f"the endpoint does not implement this call: {error}"
    if isinstance(error, ResponseParserError):
        return f"the endpoint's answer could not be read: {str(error).splitlines()[0]}"
    return f"{type(error).__name__}: {error}"


class AuditContext:
    def __init__(self, session: AuditSession, expected: Expected, account: str, state: StackState | None = None):
        self.session = session
        self.expected = expected
        self.state = state  # the whole stack state, for checks that judge it as a whole (checks/access.py)
        self.account = account
        self.region = session.region
        self.partition = "aws-us-gov" if str(self.region).startswith("us-gov-") else "aws"
        self._answers: dict[tuple[str, str, str], Any] = {}
        self.absent: set[tuple[str, str]] = set()  # (kind, name) found missing by an existence check

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """One read-only call (all pages when the API paginates), memoised with its outcome."""
        key = (service, operation, json.dumps(params, sort_keys=True, default=str))
        if key not in self._answers:
            try:
                client = self.session.client(service)
                if client.can_paginate(operation):
                    answer = client.get_paginator(operation).paginate(**params).build_full_result()
                else:
                    answer = getattr(client, operation)(**params)
                answer.pop("ResponseMetadata", None)
                self._answers[key] = answer
            except CALL_ERRORS as error:
                self._answers[key] = error
        answer = self._answers[key]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def call_or_none(self, service: str, operation: str, missing: tuple[str, ...], **params: Any) -> dict | None:
        """Like call, but None when the error code says the thing does not exist."""
        try:
            return self.call(service, operation, **params)
        except ClientError as error:
            if error_code(error) in missing:
                return None
            raise

    def require(self, kind: str, name: str, what: str) -> None:
        """Stop a dependent check when an existence check already found the resource missing."""
        if (kind, name) in self.absent:
            raise DependencyMissingError(
                f"{what} does not exist (see the {kind} existence check), so this cannot be read"
            )

    def check(
        self,
        spec: CheckSpec,
        resource: str,
        urn: str | None,
        expected: dict[str, Any],
        body: Callable[[dict[str, Any]], Verdict],
    ) -> CheckResult:
        """Run one check body; API errors become not-verifiable with the reason, never an exception."""
        observed: dict[str, Any] = {}
        try:
            verdict = body(observed)
        except DependencyMissingError as missing:
            verdict = unverifiable(str(missing))
        except CALL_ERRORS as error:
            verdict = unverifiable(describe_error(error))
        return CheckResult(
            id=spec.id,
            title=spec.title,
            resource=resource,
            urn=urn,
            probes=spec.probes,
            result=verdict.result,
            drift=verdict.drift if verdict.result != NOT_VERIFIABLE else False,
            reason=verdict.reason,
            expected=expected,
            observed=observed,
        )
