"""The IAM policy document shape every *_policies module builds, defined once."""

from __future__ import annotations

from typing import Any

Statement = dict[str, Any]
Document = dict[str, Any]


def document(statements: list[Statement]) -> Document:
    """A policy in the 2012-10-17 language version, the one that supports policy variables."""
    return {"Version": "2012-10-17", "Statement": statements}
