"""`glz manifest`: write a sequencing run folder's manifest before it is uploaded.

The run workflow (components/run_workflow.verification_states) checks every object of an uploaded run against this
file: `path,crc64nvme` per file, the path under the run folder with '/' separators, the checksum as S3 reports it
(the full-object CRC64NVME, 8 bytes big-endian, base64). S3 keeps a CRC64NVME for an object uploaded with that
algorithm (`aws s3 cp --checksum-algorithm CRC64NVME`, boto3 ChecksumAlgorithm="CRC64NVME") and, for multipart
uploads, as a full-object checksum (Amazon S3 User Guide, "Checking object integrity"). The checksum is computed
with the AWS Common Runtime's CRC64NVME (awscrt), the implementation the AWS SDKs use.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
from pathlib import Path

from glz.errors import UserInputError

CHUNK = 8 * 1024 * 1024
HEADER = ("path", "crc64nvme")
DEFAULT_NAME = "manifest.csv"  # components.settings.RunTracking.manifest


def crc64nvme(path: Path) -> str:
    """The file's CRC64NVME in S3's form (base64 of the 8-byte big-endian value), read in 8 MiB chunks."""
    from awscrt.checksums import crc64nvme as update

    value = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            value = update(chunk, value)
    return base64.b64encode(value.to_bytes(8, "big")).decode()


def manifest_rows(folder: Path, name: str = DEFAULT_NAME) -> list[tuple[str, str]]:
    """(path under the folder, checksum) of every file below ``folder`` except the manifest itself, sorted."""
    rows = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = file.relative_to(folder).as_posix()
        if relative != name:
            rows.append((relative, crc64nvme(file)))
    return rows


def render(rows: list[tuple[str, str]]) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return text.getvalue()


def cmd_manifest(args: argparse.Namespace) -> int:
    from glz.console import output_for

    out = output_for(args)
    folder = Path(args.run_folder)
    if not folder.is_dir():
        raise UserInputError(f"run folder {str(folder)!r}: not a directory (give the local copy of the run folder)")
    if "/" in args.name or not args.name:
        raise UserInputError(f"--name {args.name!r}: a file name in the run folder (runTracking.manifest), no '/'")
    rows = manifest_rows(folder, args.name)
    if not rows:
        raise UserInputError(f"run folder {str(folder)!r} holds no files; nothing was written")
    target = folder / args.name
    partial = target.with_name(target.name + ".tmp")
    partial.write_text(render(rows))
    partial.replace(target)
    out.say(f"Listed {len(rows)} file(s) of run folder {folder.name} with their CRC64NVME checksums.")
    return out.finish(
        command="manifest",
        stack=None,
        exit_code=0,
        verdict=f"WRITTEN: {target}: upload the run with --checksum-algorithm CRC64NVME, this file, then the marker",
        summary={"files": len(rows)},
        written=[target],
        open_next=target,
    )


def add_parser(commands: argparse._SubParsersAction) -> None:
    from glz.console import add_output_options

    manifest = commands.add_parser(
        "manifest", help="write a run folder's manifest (each file's CRC64NVME) for the run workflow's check"
    )
    manifest.add_argument("run_folder", help="the local run folder, as it will be uploaded")
    manifest.add_argument("--name", default=DEFAULT_NAME, help="the manifest's file name (runTracking.manifest)")
    add_output_options(manifest)
    manifest.set_defaults(func=cmd_manifest)
