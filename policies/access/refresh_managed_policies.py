"""Refresh the AWS managed policy snapshot the access model reads: `python -m policies.access.refresh_managed_policies`.

Source: moto's copy of every AWS managed policy (`moto.iam.aws_managed_policies`), which moto regenerates
from a real account with `make aws_managed_policies` and ships with each release. The gate cannot ask
IAM at check time (no account offline, and the CrossGuard pack's environment must stay small), so the
documents are kept here, one compressed SQLite row per policy, with the moto version they came from. A test compares the snapshot
with the installed moto for the policies the landing zone attaches.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from contextlib import closing
from importlib.metadata import version
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent / "data" / "aws_managed_policies.sqlite"


def moto_documents() -> dict[str, dict]:
    """ARN -> {"document", "version"} for every AWS managed policy in the installed moto."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies = json.loads(aws_managed_policies_data)
    return {
        f"arn:aws:iam::aws:policy{entry.get('Path', '/')}{name}": {
            # kept as JSON text: the gate decodes only the few documents a stack attaches
            "document": json.dumps(entry["Document"], sort_keys=True, separators=(",", ":")),
            "version": entry.get("DefaultVersionId"),
        }
        for name, entry in sorted(policies.items())
    }


def main() -> None:
    documents = moto_documents()
    source = f"moto {version('moto')} (moto/iam/aws_managed_policies.py)"
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.unlink(missing_ok=True)
    # one zlib-compressed row per policy, read on demand by policies.access.model.ManagedPolicies
    with closing(sqlite3.connect(SNAPSHOT)) as db:
        db.execute("CREATE TABLE policies (arn TEXT PRIMARY KEY, entry BLOB NOT NULL)")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('source', ?)", (source,))
        db.executemany(
            "INSERT INTO policies VALUES (?, ?)",
            [
                (arn, zlib.compress(json.dumps(entry, sort_keys=True, separators=(",", ":")).encode(), 9))
                for arn, entry in sorted(documents.items())
            ],
        )
        db.commit()
        db.execute("VACUUM")
    print(f"wrote {len(documents)} AWS managed policies from {source} to {SNAPSHOT}")


if __name__ == "__main__":
    main()
