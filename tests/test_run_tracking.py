"""Run tracking (components/run_tracking): the workflow definition is valid States Language, a run's marker starts
it and nothing else does, every job it submits is one of the stack's, and under moto the workflow records the run
and its first stage, and on a failed stage marks both failed and notifies.

moto's Step Functions interpreter runs the DynamoDB and SNS integrations, but its Batch integration hands the
task's parameters to boto3 without turning Step Functions' PascalCase names (JobDefinition, JobQueue) into the
API's, so the first stage's submission fails there; the test takes that failure as the failed stage it is and
checks what the workflow does with it. That the submission names a job definition and queue of the stack is
checked on the definition itself."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from components.run_workflow import Stage, definition, success_path
from controls.conformance_pack import lint_template
from policies.rules.event_patterns import matches

ACCOUNT = "111122223333"


def _resources(document: dict, typ: str) -> list[dict]:
    return [r for r in document["deployment"]["resources"] if r["type"] == typ]


def _workflow(document: dict) -> dict:
    (machine,) = _resources(document, "aws:sfn/stateMachine:StateMachine")
    return machine


def _template(definition_: dict) -> str:
    return yaml.safe_dump(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "RunWorkflow": {
                    "Type": "AWS::StepFunctions::StateMachine",
                    "Properties": {
                        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/glz-demo-run-workflow",
                        "Definition": definition_,
                    },
                }
            },
        }
    )


def test_the_workflow_definition_is_valid_states_language(demo_state_document):
    """cfn-lint validates a state machine's Definition against the Amazon States Language schema (E3601)."""
    workflow = json.loads(_workflow(demo_state_document)["inputs"]["definition"])
    assert lint_template(_template(workflow)) == []
    broken = json.loads(json.dumps(workflow))
    broken["States"]["RecordRun"]["Next"] = "NoSuchState"
    del broken["States"]["ReadRun"]["Next"]
    problems = lint_template(_template(broken))
    assert problems and all(p.startswith("E") for p in problems)


def test_the_gate_lints_every_state_machine_definition(demo_state_document):
    """A definition Step Functions would refuse at `pulumi up` fails the gate (CFN-LINT), wherever it comes from."""
    import copy

    from glz.gate import add_cfn_lint, run_rules
    from glz.state import StackState
    from policies.rules import ALL_RULES

    def lint(document: dict):
        state = StackState(document)
        result = run_rules(state, ALL_RULES, [])
        add_cfn_lint(result, state)
        return [f for f in result.findings if f.rule_id == "CFN-LINT"]

    assert lint(demo_state_document) == []
    broken = copy.deepcopy(demo_state_document)
    machine = _workflow(broken)
    flow = json.loads(machine["inputs"]["definition"])
    flow["States"]["RunSucceeded"]["Type"] = "Taks"
    machine["inputs"]["definition"] = machine["outputs"]["definition"] = json.dumps(flow)
    found = lint(broken)
    assert found and all(f.urn == machine["urn"] and "state machine definition" in f.message for f in found)


def test_every_stage_the_workflow_submits_is_a_job_definition_and_queue_of_the_stack(demo_state_document):
    workflow = json.loads(_workflow(demo_state_document)["inputs"]["definition"])
    definitions = {
        r["outputs"]["arn"] for r in _resources(demo_state_document, "aws:batch/jobDefinition:JobDefinition")
    }
    queues = {r["outputs"]["arn"] for r in _resources(demo_state_document, "aws:batch/jobQueue:JobQueue")}
    # the states in the order a successful run goes through them (StartAt, then each Next)
    path = [state for _, state in success_path(workflow)]
    submits = [s for s in path if s.get("Resource") == "arn:aws:states:::batch:submitJob.sync"]
    everywhere = [
        s for s in workflow["States"].values() if s.get("Resource") == "arn:aws:states:::batch:submitJob.sync"
    ]
    assert len(submits) == len(everywhere) == 3
    assert [s["Parameters"]["JobDefinition"].rsplit("/", 1)[-1] for s in submits] == [
        "glz-demo-demultiplex:1",
        "glz-demo-alignment:1",
        "glz-demo-variant-calling:1",
    ]
    # each stage on the queue its setting names: demultiplex on-demand (high-priority), the rest spot (default)
    assert [s["Parameters"]["JobQueue"].rsplit("/", 1)[-1] for s in submits] == [
        "glz-demo-high-priority",
        "glz-demo-default",
        "glz-demo-default",
    ]
    assert all(
        s["Parameters"]["JobDefinition"] in definitions and s["Parameters"]["JobQueue"] in queues for s in submits
    )
    # every failure path ends in the failed run and its notification
    for name, state in workflow["States"].items():
        if state.get("Type") == "Task" and name != "NotifyFailure":
            assert state.get("Catch"), name


def _s3_event(bucket: str, key: str) -> dict:
    return {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": bucket}, "object": {"key": key}},
    }


@pytest.mark.parametrize(
    ("key", "starts"),
    [
        ("RUN0001/CopyComplete.txt", True),
        ("240101_A00123_0042_BHXYZ/RTAComplete.txt", True),
        ("RUN0001/Data/Intensities/BaseCalls/L001/C1.1/L001_1.cbcl", False),
        ("RUN0001/CopyComplete.txt.tmp", False),
        ("RUN0001/SampleSheet.csv", False),
    ],
)
def test_only_a_marker_in_the_intake_bucket_starts_the_workflow(demo_state_document, key, starts):
    outputs = next(r for r in demo_state_document["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack")[
        "outputs"
    ]
    (rule,) = [
        r for r in _resources(demo_state_document, "aws:cloudwatch/eventRule:EventRule") if "run-complete" in r["urn"]
    ]
    pattern = rule["inputs"]["eventPattern"]
    intake = outputs["dataBuckets"][outputs["runTracking"]["intakeTier"]]
    assert matches(pattern, _s3_event(intake, key)) is starts
    assert not matches(pattern, _s3_event(outputs["dataBuckets"]["results"], "RUN0001/CopyComplete.txt"))


def test_a_workflow_without_stages_records_the_run_and_succeeds():
    flow = definition("runs", "arn:aws:sns:us-east-1:111122223333:pipeline", [])
    assert flow["States"]["RecordRun"]["Next"] == "RunSucceeded"
    one = definition("runs", "arn:aws:sns:us-east-1:111122223333:p", [Stage("align", "arn:def:1", "arn:queue")])
    assert one["States"]["Done-align"]["Next"] == "RunSucceeded"


def _finished(sfn, execution: str) -> str:
    """The execution's status once it stops running (moto runs it in a thread)."""
    for _ in range(100):
        status = sfn.describe_execution(executionArn=execution)["status"]
        if status != "RUNNING":
            return status
        time.sleep(0.1)
    return status


def test_under_moto_the_workflow_tracks_the_run_and_handles_a_failed_stage(demo_state_document, monkeypatch):
    from moto import mock_aws

    from tests.audit_account import MOTO_ENV, MotoAccount

    for key, value in MOTO_ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "batch": {"use_docker": False}}):
        account = MotoAccount(demo_state_document)
        sfn = account.client("stepfunctions")
        workflow, bucket = account.output("runTracking", "workflow"), account.output("dataBuckets", "bcl")
        # a run whose manifest matches (tests/test_run_verification.py checks the runs that do not); moto applies the
        # bucket policy's denies without their conditions, so it is taken off
        s3 = account.client("s3")
        for name in (bucket, account.output("dataBuckets", "results")):
            s3.delete_bucket_policy(Bucket=name)
        put = s3.put_object(Bucket=bucket, Key="RUN0001/RunInfo.xml", Body=b"<RunInfo/>", ChecksumAlgorithm="CRC64NVME")
        manifest = f"path,crc64nvme\nRunInfo.xml,{put['ChecksumCRC64NVME']}\n"
        s3.put_object(Bucket=bucket, Key="RUN0001/manifest.csv", Body=manifest.encode())
        execution = sfn.start_execution(
            stateMachineArn=workflow, name="first", input=json.dumps(_s3_event(bucket, "RUN0001/CopyComplete.txt"))
        )["executionArn"]
        status = _finished(sfn, execution)
        items = {
            i["item"]["S"]: i
            for i in account.client("dynamodb").scan(TableName=account.output("runTracking", "table"))["Items"]
        }
        history = sfn.get_execution_history(executionArn=execution)["events"]
        # a second marker of the same run starts no second run
        again = sfn.start_execution(
            stateMachineArn=workflow, name="second", input=json.dumps(_s3_event(bucket, "RUN0001/RTAComplete.txt"))
        )["executionArn"]
        second = _finished(sfn, again)
    assert status == "FAILED"
    run = items["RUN"]
    assert run["run_id"]["S"] == "RUN0001" and run["bucket"]["S"] == bucket
    assert run["marker"]["S"] == "RUN0001/CopyComplete.txt" and run["status"]["S"] == "FAILED"
    assert items["STAGE#demultiplex"]["status"]["S"] == "FAILED"
    assert "STAGE#alignment" not in items  # the pipeline stopped at the failed stage
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert entered[:12] == [
        "ReadRun",
        "MeasureRunFolder",
        "RunFolderLayout",
        "RunFolderAtTop",
        "RecordRun",
        "Start-verify",
        "RunFolderKeys",
        "VerifyRunObjects",
        "FindUnlistedObjects",
        "Done-verify",
        "Start-demultiplex",
        "Run-demultiplex",
    ]
    assert entered[-3:] == ["RunFailed", "NotifyFailure", "Failed"]
    published = [e for e in history if e.get("taskSucceededEventDetails", {}).get("resource") == "publish"]
    assert published, "the failure was not published to the pipeline topic"
    assert second == "SUCCEEDED"  # AlreadyTracked
