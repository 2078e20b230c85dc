"""The audit's checks, one module per service area; each `run(ctx)` yields one result per declared resource."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from glz.audit.checks import (
    access,
    account,
    alarms,
    backups,
    batch,
    cloudtrail,
    deployer,
    efs,
    events,
    iam,
    instruments,
    kms,
    lab,
    logs,
    network,
    organization,
    pipeline,
    s3,
    security_services,
    service_reach,
    sessions,
)
from glz.audit.context import AuditContext
from glz.audit.result import CheckResult

GROUPS: tuple[Callable[[AuditContext], Iterator[CheckResult]], ...] = (
    kms.run,
    s3.run,
    cloudtrail.run,
    logs.run,
    alarms.run,
    network.run,
    security_services.run,
    organization.run,
    service_reach.run,
    account.run,
    iam.run,
    deployer.run,
    batch.run,
    efs.run,
    sessions.run,
    events.run,
    pipeline.run,
    backups.run,
    instruments.run,
    lab.run,
    access.run,  # last: it reads the documents the checks above already fetched (AuditContext memoises calls)
)
