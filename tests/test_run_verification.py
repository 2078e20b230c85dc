"""A sequencing run is checked against its manifest before any stage (components/run_workflow.verification_states):
under moto the workflow tags the objects the manifest lists with their run, leaves an altered object untagged and
fails its check, and finds an object the manifest does not list; the intake bucket's policy lets the workflow's role
add the run tag only to objects scanned clean, keeping them clean (judged by the access model); `glz manifest`
writes the file the check reads.

moto applies a bucket policy's Deny statements without their conditions, so the run tests take the intake bucket's
policy off; the tests further down judge that policy with the access model. moto runs each item of a Distributed Map as a child execution but does not fail the Map when one fails (it logs
"ToleratedFailureCount declarations currently have no effect"), so the tests read the outcome of each child from the
map run's counts and the objects' tags, and the rule GLZ-PIPE-005 checks on the definition that a failed child fails
the run (ToleratedFailureCount 0, AWS's default: Step Functions Developer Guide, "Setting failure thresholds")."""

from __future__ import annotations

import base64
import copy
import json
import time
from pathlib import Path

import pytest

from components import malware_policies
from components.run_workflow import Stage, Verification, definition
from components.settings import SettingsError, parse_settings
from glz.gate import stack_view
from glz.manifest import crc64nvme, manifest_rows, render
from glz.state import StackState
from policies.access.actors import ROLE, Actor
from policies.access.model import model_of
from policies.rules.account import FORGERIES, _tag_request
from tests.test_run_tracking import _finished, _s3_event

ACCOUNT = "111122223333"
RUN = "RUN0001"
WORKFLOW_ROLE = f"arn:aws:iam::{ACCOUNT}:role/glz-demo-run-workflow"
CLEAN_TAG = f"{malware_policies.SCAN_STATUS_TAG}={malware_policies.CLEAN}"
FILES = {"RunInfo.xml": b"<RunInfo/>", "Data/Intensities/BaseCalls/L001/C1.1/L001_1.cbcl": b"\x00\x01" * 4096}


def _crc(data: bytes) -> str:
    from awscrt.checksums import crc64nvme as update

    return base64.b64encode(update(data).to_bytes(8, "big")).decode()


def _run_the_workflow(
    document: dict,
    monkeypatch,
    uploads: dict[str, bytes],
    listed: dict[str, bytes],
    preset: dict[str, str] | None = None,
) -> dict:
    """Upload ``uploads`` into the demo intake bucket's run folder (scanned clean, as GuardDuty would tag them), a
    manifest listing ``listed``, then the marker; run the workflow on the marker's event."""
    from moto import mock_aws

    from tests.audit_account import MOTO_ENV, MotoAccount

    for key, value in MOTO_ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "batch": {"use_docker": False}}):
        account = MotoAccount(document)
        s3, sfn = account.client("s3"), account.client("stepfunctions")
        bucket = account.output("dataBuckets", account.output("runTracking", "intakeTier"))
        # moto applies a bucket policy's Deny without its conditions (the endpoint-only deny refuses every request
        # here); what the policy lets the workflow's role do is judged by the access model below
        reports = account.output("dataBuckets", "results")
        for name in (bucket, reports):
            s3.delete_bucket_policy(Bucket=name)
        for path, data in uploads.items():
            tags = "&".join(t for t in (CLEAN_TAG, (preset or {}).get(path)) if t)
            s3.put_object(Bucket=bucket, Key=f"{RUN}/{path}", Body=data, ChecksumAlgorithm="CRC64NVME", Tagging=tags)
        manifest = "path,crc64nvme\n" + "".join(f"{p},{_crc(d)}\n" for p, d in listed.items())
        s3.put_object(Bucket=bucket, Key=f"{RUN}/manifest.csv", Body=manifest.encode(), Tagging=CLEAN_TAG)
        s3.put_object(Bucket=bucket, Key=f"{RUN}/CopyComplete.txt", Body=b"", Tagging=CLEAN_TAG)
        execution = sfn.start_execution(
            stateMachineArn=account.output("runTracking", "workflow"),
            name="verify",
            input=json.dumps(_s3_event(bucket, f"{RUN}/CopyComplete.txt")),
        )["executionArn"]
        status = _finished(sfn, execution)
        history = sfn.get_execution_history(executionArn=execution)["events"]
        runs = {e["mapRunStartedEventDetails"]["mapRunArn"]: None for e in history if "mapRunStartedEventDetails" in e}
        time.sleep(0.2)
        counts = [sfn.describe_map_run(mapRunArn=arn)["executionCounts"] for arn in runs]
        tags = {
            path: {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=f"{RUN}/{path}")["TagSet"]}
            for path in uploads
        }
        written = [o["Key"] for o in s3.list_objects_v2(Bucket=reports, Prefix="verification/").get("Contents", [])]
        items = {
            i["item"]["S"]: i["status"]["S"]
            for i in account.client("dynamodb").scan(TableName=account.output("runTracking", "table"))["Items"]
        }
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    return {"status": status, "entered": entered, "counts": counts, "tags": tags, "items": items, "reports": written}


def test_a_run_that_matches_its_manifest_is_tagged_and_its_first_stage_submitted(demo_state_document, monkeypatch):
    result = _run_the_workflow(demo_state_document, monkeypatch, FILES, FILES)
    assert result["entered"][5:10] == [
        "Start-verify",
        "RunFolderKeys",
        "VerifyRunObjects",
        "FindUnlistedObjects",
        "Done-verify",
    ]
    # each check's per-object results land in the results tier (ResultWriter), not in the execution
    assert result["reports"] and all(k.startswith("verification/") for k in result["reports"])
    assert "Run-demultiplex" in result["entered"]  # the first stage was submitted (moto's Batch then fails it)
    assert result["items"]["STAGE#verify"] == "SUCCEEDED"
    verify, unlisted = result["counts"]
    assert verify["total"] == verify["succeeded"] == len(FILES) and verify["failed"] == 0
    assert unlisted["failed"] == 0 and unlisted["total"] == len(FILES) + 2  # the files, the manifest, the marker
    # every object keeps GuardDuty's clean result and now carries its run and the execution that checked it
    verified = {t.pop("VerifiedBy") for t in result["tags"].values()}
    assert len(verified) == 1 and next(iter(verified)).endswith(":execution:glz-demo-runs:verify")
    assert all(
        t == {malware_policies.SCAN_STATUS_TAG: malware_policies.CLEAN, "SequencingRun": RUN}
        for t in result["tags"].values()
    )


def test_an_altered_object_is_not_tagged_and_fails_its_check(demo_state_document, monkeypatch):
    altered = dict(FILES, **{"RunInfo.xml": b"<RunInfo changed='in transit'/>"})
    result = _run_the_workflow(demo_state_document, monkeypatch, altered, FILES)
    verify, unlisted = result["counts"]
    assert verify["failed"] == 1 and verify["succeeded"] == len(FILES) - 1
    assert "SequencingRun" not in result["tags"]["RunInfo.xml"]
    assert result["tags"]["Data/Intensities/BaseCalls/L001/C1.1/L001_1.cbcl"]["SequencingRun"] == RUN
    # and the listing finds the untagged object too
    assert unlisted["failed"] == 1


def test_an_unlisted_object_its_uploader_tagged_with_the_run_still_fails_the_listing(demo_state_document, monkeypatch):
    """A read-write collaborator granted the run must tag its uploads SequencingRun=<run>: the run tag alone proves
    nothing, the listing looks for the checking execution's VerifiedBy tag, which nobody can know beforehand."""
    smuggled = {"Data/smuggled.bin": b"not from the instrument"}
    result = _run_the_workflow(
        demo_state_document,
        monkeypatch,
        dict(FILES, **smuggled),
        FILES,
        preset={"Data/smuggled.bin": f"SequencingRun={RUN}"},
    )
    verify, unlisted = result["counts"]
    assert verify["failed"] == 0 and unlisted["failed"] == 1


def test_an_object_the_manifest_does_not_list_fails_the_listing(demo_state_document, monkeypatch):
    extra = dict(FILES, **{"Data/smuggled.bin": b"not from the instrument"})
    result = _run_the_workflow(demo_state_document, monkeypatch, extra, FILES)
    verify, unlisted = result["counts"]
    assert verify["failed"] == 0 and unlisted["failed"] == 1
    assert "SequencingRun" not in result["tags"]["Data/smuggled.bin"]


# ---- what the intake bucket's policy lets the workflow's role do (the access model) ------------------------------


def _denied(document: dict, arn: str, action: str, scenario: dict) -> bool:
    model = model_of(stack_view(StackState(document)))
    target = f"arn:aws:s3:::glz-demo-bcl-{ACCOUNT}-us-east-1/{RUN}/RunInfo.xml"
    return bool(model.resource_denies(Actor(ROLE, arn, ACCOUNT), action, target, scenario))


def test_the_workflow_may_add_the_run_tag_to_clean_objects_and_forge_nothing(demo_state_document):
    keep_clean = _tag_request(
        malware_policies.CLEAN, ["GuardDutyMalwareScanStatus", "SequencingRun", "VerifiedBy"], "NO_THREATS_FOUND"
    )
    for action in ("s3:PutObjectTagging", "s3:PutObjectVersionTagging"):  # the current version, or the one checked
        assert not _denied(demo_state_document, WORKFLOW_ROLE, action, keep_clean), action
    for what, action, scenario in FORGERIES:
        assert _denied(demo_state_document, WORKFLOW_ROLE, action, scenario), what
    # nobody else may do even what the workflow may
    admin = f"arn:aws:iam::{ACCOUNT}:role/glz-demo-admin"
    assert _denied(demo_state_document, admin, "s3:PutObjectTagging", keep_clean)


def test_the_tagger_constraints_may_be_written_another_way(demo_state_document):
    """GLZ-ACC-011 judges what the statements refuse, not how they are written: ArnLike for ArnEquals, the four
    constraints folded differently, still pass."""
    from tests.mutations import find
    from tests.test_malware_protection import _failed

    rewritten = copy.deepcopy(demo_state_document)
    for resource in find(rewritten, "aws:s3/bucketPolicy:BucketPolicy", "data-bcl-policy"):
        for section in ("inputs", "outputs"):
            policy = json.loads(resource[section]["policy"])
            for statement in policy["Statement"]:
                if statement["Sid"].startswith("DenyRunTagg"):
                    statement["Condition"]["ArnLike"] = statement["Condition"].pop("ArnEquals")
            resource[section]["policy"] = json.dumps(policy)
    assert _failed(rewritten, "GLZ-ACC-011") == []


# ---- the definition and the settings --------------------------------------------------------------------------------


def test_without_a_manifest_the_workflow_goes_straight_to_the_first_stage():
    stages = [Stage("align", "arn:def:1", "arn:queue")]
    plain = definition("runs", "arn:aws:sns:us-east-1:111122223333:p", stages)
    assert plain["States"]["RecordRun"]["Next"] == "Start-align" and "VerifyRunObjects" not in plain["States"]
    checked = definition(
        "runs",
        "arn:aws:sns:us-east-1:111122223333:p",
        stages,
        verification=Verification("m.csv", ("Done.txt",), 30, False, "reports-bucket"),
    )
    assert checked["States"]["RecordRun"]["Next"] == "Start-verify"
    assert checked["States"]["Done-verify"]["Next"] == "Start-align"
    per_object = checked["States"]["VerifyRunObjects"]["ItemProcessor"]["States"]
    # an unscanned tier: only the run tag, no scan result to keep
    assert per_object["TagWithRun"]["Parameters"]["Tagging"]["TagSet"] == [
        {"Key": "SequencingRun", "Value.$": "$.run_id"},
        {"Key": "VerifiedBy", "Value.$": "$.execution"},
    ]
    assert per_object["ReadChecksum"]["Retry"][0]["MaxAttempts"] == 30


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("runs/manifest.csv", "runTracking.manifest = 'runs/manifest.csv'"),
        ("CopyComplete.txt", "is also a marker"),
    ],
)
def test_a_manifest_name_that_cannot_work_is_refused(manifest, message):
    with pytest.raises(SettingsError) as error:
        parse_settings({"region": "us-east-1", "accountId": ACCOUNT, "runTracking": {"manifest": manifest}})
    assert message in error.value.render("demo")


def test_the_demo_run_workflow_waits_for_the_scan_as_configured(demo_state_document):
    (machine,) = [
        r for r in demo_state_document["deployment"]["resources"] if r["type"] == "aws:sfn/stateMachine:StateMachine"
    ]
    flow = json.loads(machine["inputs"]["definition"])
    verify = flow["States"]["VerifyRunObjects"]
    assert verify["Retry"][0] == {
        "ErrorEquals": ["States.ItemReaderFailed"],
        "IntervalSeconds": 60,
        "MaxAttempts": 120,
        "BackoffRate": 1,
    }
    assert verify["ToleratedFailureCount"] == 0 and "MaxItems" not in verify["ItemReader"]["ReaderConfig"]


# ---- glz manifest ---------------------------------------------------------------------------------------------------


def test_glz_manifest_lists_every_file_with_the_checksum_s3_reports(tmp_path: Path):
    for path, data in FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    (tmp_path / "manifest.csv").write_text("stale")
    rows = manifest_rows(tmp_path)
    assert rows == sorted((p, _crc(d)) for p, d in FILES.items())  # the manifest itself is not listed
    assert crc64nvme(tmp_path / "RunInfo.xml") == _crc(FILES["RunInfo.xml"])
    assert render(rows).splitlines()[0] == "path,crc64nvme"


def test_glz_manifest_refuses_what_is_not_a_run_folder(tmp_path: Path, capsys):
    from glz.cli import main

    assert main(["manifest", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["manifest", str(tmp_path)]) == 2
    assert not (tmp_path / "manifest.csv").exists()


# ---- the matrix says what the workflow checks -----------------------------------------------------------------------


def _statement(document: dict, framework: str, requirement: str) -> str:
    from tests.conftest import matrix_of

    (row,) = [r for r in matrix_of(document).rows[framework] if r.id == requirement]
    return row.statement


def _edit_workflow(document: dict, edit) -> dict:
    changed = copy.deepcopy(document)
    (machine,) = [r for r in changed["deployment"]["resources"] if r["type"] == "aws:sfn/stateMachine:StateMachine"]
    for section in ("inputs", "outputs"):
        flow = json.loads(machine[section]["definition"])
        edit(flow["States"])
        machine[section]["definition"] = json.dumps(flow)
    return changed


def test_the_integrity_statements_follow_the_workflow(demo_state_document):
    before = _statement(demo_state_document, "hipaa", "164.312(c)(2)")
    assert "checks every file the run's manifest (manifest.csv in the run folder) lists" in before
    assert "waits up to 120 minutes" in before
    tolerant = _edit_workflow(
        demo_state_document, lambda s: s["VerifyRunObjects"].update(ToleratedFailurePercentage=100)
    )
    after = _statement(tolerant, "hipaa", "164.312(c)(2)")
    assert "checks every file" not in after
    assert "Runs are not checked before the pipeline reads them" in after and "tolerates failed objects" in after

    def longer(states: dict) -> None:
        states["VerifyRunObjects"]["ItemProcessor"]["States"]["ReadChecksum"]["Retry"][0]["MaxAttempts"] = 240

    assert "waits up to 240 minutes" in _statement(
        _edit_workflow(demo_state_document, longer), "nist-800-171-r2", "3.14.2"
    )


def test_the_policy_pack_copies_of_the_tag_keys_are_the_components():
    from components import data_access
    from policies.rules import account, run_verification

    assert run_verification.VERIFIED_TAG_KEY == malware_policies.VERIFIED_TAG_KEY
    assert run_verification.RUN_TAG_KEY == account.RUN_TAG_KEY == data_access.RUN_TAG_KEY
    assert account.SCAN_STATUS_TAG == malware_policies.SCAN_STATUS_TAG and account.CLEAN == malware_policies.CLEAN
