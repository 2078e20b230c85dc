"""IAM statements that grant access to genomic data by sequencing run (object tags)."""

from __future__ import annotations

from typing import Any

RUN_TAG_KEY = "SequencingRun"
"""Object tag carrying the sequencing run ID; pipelines tag every object they write with it."""


def run_tag_read_statement(
    bucket_arns: list[str],
    run_ids: list[str],
    prefixes: list[str] | None = None,
    sid: str = "ReadObjectsOfSequencingRuns",
) -> dict[str, Any]:
    """Allow reading only objects tagged with one of ``run_ids`` (s3:ExistingObjectTag).

    Listing is granted separately (ListBucket cannot be scoped by tag); this statement decides
    which objects can actually be read.
    """
    if not run_ids:
        raise ValueError("run_ids must name at least one sequencing run")
    if any("*" in run or "?" in run for run in run_ids):
        raise ValueError("run_ids must be literal run IDs, not patterns")
    prefixes = prefixes or [""]
    resources = sorted(f"{arn}/{prefix}*" for arn in bucket_arns for prefix in prefixes)
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"],
        "Resource": resources,
        "Condition": {"StringEquals": {f"s3:ExistingObjectTag/{RUN_TAG_KEY}": sorted(run_ids)}},
    }
