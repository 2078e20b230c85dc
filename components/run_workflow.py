"""Pure documents for run tracking: the state machine (Amazon States Language), the EventBridge pattern that
recognises a finished run, and the IAM policies of the workflow and of the rule that starts it.

A sequencing run is a folder in the intake tier (`<run id>/...`); it is complete when a marker file the
instrument or its copy tool writes last lands in it (Illumina: `RTAComplete.txt` when the run finishes on the
instrument, `CopyComplete.txt` when the copy of the run folder is done). The workflow records the run and each
stage in the runs table, runs the configured stages one after the other on AWS Batch with the `.sync`
integration (Step Functions waits for the job to finish), and on any failure marks the run failed and publishes
to the pipeline topic.

AWS facts relied on:
- S3 sends "Object Created" events to EventBridge once the bucket's EventBridge notifications are on; the event's
  detail carries bucket.name and object.key (Amazon S3 User Guide, "Using EventBridge").
- Step Functions service integrations: `arn:aws:states:::dynamodb:putItem` / `updateItem`,
  `arn:aws:states:::batch:submitJob.sync` (waits for the job; the role needs batch:SubmitJob, DescribeJobs and
  TerminateJob and EventBridge rights on the managed rule StepFunctionsGetEventsForBatchJobsRule), and
  `arn:aws:states:::sns:publish` (Step Functions Developer Guide, "IAM policies for integrated services").
- Step Functions writes execution logs to CloudWatch Logs through log delivery, for which the role needs the
  logs:*LogDelivery*, PutResourcePolicy and DescribeResourcePolicies/LogGroups actions on "*" (Step Functions
  Developer Guide, "Logging using CloudWatch Logs").
- A Distributed Map reads its items from S3: a CSV file with a header row (`arn:aws:states:::s3:getObject`, ReaderConfig
  InputType CSV, CSVHeaderLocation FIRST_ROW; the role needs s3:GetObject) or a prefix's listing
  (`arn:aws:states:::s3:listObjectsV2`; s3:ListBucket); each item runs as a child execution of this state machine,
  for which the role needs states:StartExecution on it and states:DescribeExecution/StopExecution on its executions;
  ToleratedFailureCount 0 (the default) fails the Map state when any child fails
  (Step Functions Developer Guide, "Distributed Map state", "ItemReader", "IAM policies for Distributed Map").
- AWS SDK integrations `arn:aws:states:::aws-sdk:s3:getObjectAttributes` / `getObjectTagging` / `putObjectTagging`
  call the S3 API as the execution role. GetObjectAttributes returns the object's checksum (ChecksumCRC64NVME for a
  full-object CRC64NVME checksum, what S3 computes when the upload names none); it needs s3:GetObject(Version) and
  s3:GetObject(Version)Attributes (Amazon S3 API Reference, GetObjectAttributes). PutObjectTagging replaces the
  whole tag set.
- An EventBridge rule starts an execution with a role it assumes that may call states:StartExecution
  (EventBridge User Guide, "Step Functions state machine" targets).
- With a customer managed key, Step Functions encrypts the definition and the execution history under it, with the
  encryption context aws:states:stateMachineArn (API Reference, EncryptionConfiguration): the execution role needs
  kms:Decrypt and kms:GenerateDataKey on the key, and kms:GenerateDataKey with kms:EncryptionContext:SourceArn
  arn:<partition>:logs:<region>:<account>:* to deliver its logs, and the log delivery service needs kms:Decrypt in
  the key policy (what AWS CDK grants for a CMK state machine with logging, its integration test run in AWS);
  a caller of StartExecution needs kms:GenerateDataKey and kms:Decrypt, of StopExecution kms:Decrypt (the Step
  Functions team's review of aws-samples/aws-stepfunctions-examples#74).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components import naming
from components.data_access import RUN_TAG_KEY
from components.malware_policies import CLEAN, SCAN_STATUS_TAG, VERIFIED_TAG_KEY
from components.policy_document import Statement, document
from components.settings import Settings

STATES = "states.amazonaws.com"
EVENTS = "events.amazonaws.com"
RUN_ITEM = "RUN"
BATCH_EVENTS_RULE = "StepFunctionsGetEventsForBatchJobsRule"
"""The managed EventBridge rule Step Functions uses to learn that a `.sync` Batch job finished."""
WORKFLOW_ROLE = "run-workflow"
"""The workflow's role suffix (components.naming.role_arn): the intake bucket's policy names it."""
VERIFY_STAGE = "verify"
"""The runs table item (STAGE#verify) of the check of the run's objects against its manifest."""
VERIFY_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectTagging",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
)
"""What the workflow does to the intake tier's objects: read the manifest, read each object's checksum and tags,
tag it with the run id (never its content: object reads stay behind the scanned-clean guard)."""
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
)
"""The CloudWatch Logs vended-log delivery set-up a state machine's logging calls (the execution role at run time,
the deployer when it creates the state machine)."""


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline as the workflow runs it."""

    name: str
    job_definition_arn: str
    job_queue_arn: str


def success_path(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The states a run goes through when nothing fails, in order: StartAt, then each Next (a Choice's first
    choice). Ends at the first state without a Next, or before any state is visited twice."""
    states = definition.get("States") if isinstance(definition, dict) else None
    if not isinstance(states, dict):
        return []
    path: list[tuple[str, dict[str, Any]]] = []
    name = definition.get("StartAt")
    while isinstance(name, str) and name in states and name not in {n for n, _ in path}:
        state = states[name]
        path.append((name, state))
        choices = state.get("Choices") if state.get("Type") == "Choice" else None
        name = (choices[0].get("Next") if choices and isinstance(choices[0], dict) else None) or state.get("Next")
    return path


def run_pattern(bucket: str, markers: list[str]) -> dict[str, Any]:
    """An "Object Created" event of a marker file in a run folder (`<run id>/<marker>`) of the intake bucket."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [bucket]},
            "object": {"key": [{"wildcard": f"*/{marker}"} for marker in markers]},
        },
    }


def _verifies(settings: Settings) -> bool:
    tracking = settings.run_tracking
    return bool(settings.compute.enabled and tracking.enabled and tracking.manifest)


def verifying_role(settings: Settings, stack: str, tier: str) -> str | None:
    """The workflow's role where it checks and tags the runs landing in ``tier`` (the intake tier, with a manifest)."""
    if _verifies(settings) and tier == settings.run_tracking.intake_tier:
        return naming.role_arn(settings, stack, WORKFLOW_ROLE)
    return None


def reaching_role(settings: Settings, stack: str, tier: str) -> str | None:
    """The workflow's role where it touches ``tier``'s objects from Step Functions' network: the intake tier it checks
    and tags (verifying_role), the results tier it writes the checks' per-object results to (REPORT_TIER, under
    REPORT_PREFIX/, which ResultWriter reads back)."""
    if _verifies(settings) and tier == REPORT_TIER:
        return naming.role_arn(settings, stack, WORKFLOW_ROLE)
    return verifying_role(settings, stack, tier)


@dataclass(frozen=True)
class Verification:
    """The check of a run's objects against its manifest, before any stage (runTracking.manifest)."""

    manifest: str
    markers: tuple[str, ...]
    wait_minutes: int
    scanned: bool  # GuardDuty scans the intake tier: the scan tag is kept, and only clean objects are tagged
    report_bucket: str  # where each check's per-object results go (REPORT_TIER, under REPORT_PREFIX/<run id>/)


REPORT_TIER = "results"
REPORT_PREFIX = "verification"
"""Each Map writes its per-object results to the results tier (ResultWriter), under verification/<map run id>/: the
record of the check, and the only way a Map over tens of thousands of objects stays under Step Functions' 256 KiB
state payload (a Distributed Map returns every child's output otherwise, ResultPath null or not)."""


def _waiting(minutes: int) -> list[dict[str, Any]]:
    """Retry once a minute for ``minutes``: an object GuardDuty has not scanned clean yet is refused (the
    scanned-reads guard, the tagging guard), so retrying is how the workflow waits for the scan."""
    return [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 60, "MaxAttempts": minutes, "BackoffRate": 1}]


TRANSIENT = [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "MaxAttempts": 4, "BackoffRate": 2}]
"""A throttled or briefly failing S3 call is retried before it fails the run."""


def _distributed(start: str, states: dict[str, Any]) -> dict[str, Any]:
    return {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": start, "States": states}


def _report(check: Verification) -> dict[str, Any]:
    """Step Functions writes a Map run's results under <Prefix>/<map run id>/ (Developer Guide, "ResultWriter"): a
    fixed prefix, the map run (named in the execution's history) telling the runs apart."""
    return {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": check.report_bucket, "Prefix": REPORT_PREFIX},
    }


def verification_states(check: Verification, after: str) -> dict[str, Any]:
    """Verify every object the manifest lists (present, scanned clean, its CRC64NVME the manifest's) and tag that
    version with the run id; then fail on any object of the run folder whose current version does not carry the run
    (not in the manifest, or overwritten after its check). Each object is a child execution (a run has tens of
    thousands of files); any failed child fails the run (ToleratedFailureCount 0)."""
    not_clean = f"the object is missing, or GuardDuty did not scan it clean within {check.wait_minutes} minutes"
    # VerifiedBy names this execution, whose id nobody knows before the marker starts it: an uploader allowed to tag
    # its uploads with the run (a read-write collaborator granted the run) cannot make an unlisted object look checked
    tag_set: list[dict[str, Any]] = [
        {"Key": RUN_TAG_KEY, "Value.$": "$.run_id"},
        {"Key": VERIFIED_TAG_KEY, "Value.$": "$.execution"},
    ]
    if check.scanned:
        # PutObjectVersionTagging replaces the version's tag set: GuardDuty's result is kept, and the bucket policy
        # lets this role tag only versions scanned clean, keeping them clean (malware_policies.run_tagger_statements)
        tag_set.insert(0, {"Key": SCAN_STATUS_TAG, "Value": CLEAN})
    per_object = {
        "ReadChecksum": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:getObjectAttributes",
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key", "ObjectAttributes": ["Checksum"]},
            "ResultPath": "$.object",
            "Retry": _waiting(check.wait_minutes),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ObjectNotScannedClean"}],
            "Next": "ChecksumMatches",
        },
        "ChecksumMatches": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.object.Checksum.ChecksumCRC64NVME", "IsPresent": True},
                        {"Variable": "$.object.Checksum.ChecksumCRC64NVME", "StringEqualsPath": "$.crc64nvme"},
                        {"Variable": "$.object.VersionId", "IsPresent": True},
                    ],
                    "Next": "TagWithRun",
                }
            ],
            "Default": "ChecksumMismatch",
        },
        "TagWithRun": {
            # the version whose checksum was read, not whatever is current by now
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:putObjectTagging",
            "Parameters": {
                "Bucket.$": "$.bucket",
                "Key.$": "$.key",
                "VersionId.$": "$.object.VersionId",
                "Tagging": {"TagSet": tag_set},
            },
            "ResultPath": None,
            "Retry": _waiting(check.wait_minutes),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ObjectNotScannedClean"}],
            "Next": "Verified",
        },
        "Verified": {"Type": "Pass", "Parameters": {"key.$": "$.key", "version.$": "$.object.VersionId"}, "End": True},
        "ChecksumMismatch": {
            "Type": "Fail",
            "Error": "ChecksumMismatch",
            "Cause": "the object's CRC64NVME checksum is not the manifest's (altered, or uploaded without CRC64NVME)",
        },
        "ObjectNotScannedClean": {"Type": "Fail", "Error": "ObjectNotScannedClean", "Cause": not_clean},
    }
    per_listed = {
        "IsRunFile": {
            "Type": "Pass",
            "Parameters": {"run_file.$": "States.ArrayContains($.run_files, $.key)"},
            "ResultPath": "$.check",
            "Next": "RunFileOrPayload",
        },
        "RunFileOrPayload": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.check.run_file", "BooleanEquals": True, "Next": "RunFile"}],
            "Default": "ReadRunTag",
        },
        "RunFile": {"Type": "Succeed", "Comment": "the run's marker or manifest"},
        "ReadRunTag": {
            # the current version: an object overwritten after its check no longer carries the run
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:getObjectTagging",
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
            "ResultSelector": {"tags.$": "$.TagSet"},
            "ResultPath": "$.object",
            "Retry": TRANSIENT,
            "Next": "HasRunTag",
        },
        "HasRunTag": {
            "Type": "Pass",
            "Parameters": {"listed.$": "States.ArrayContains($.object.tags, $.verified_tag)"},
            "ResultPath": "$.check",
            "Next": "Listed",
        },
        "Listed": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.check.listed", "BooleanEquals": True, "Next": "InManifest"}],
            "Default": "UnlistedObject",
        },
        "InManifest": {"Type": "Pass", "Parameters": {"key.$": "$.key"}, "End": True},
        "UnlistedObject": {
            "Type": "Fail",
            "Error": "UnlistedObject",
            "Cause": "an object of the run folder is not in the run's manifest, or was overwritten after its check",
        },
    }
    failed = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"Failed-{VERIFY_STAGE}"}]
    run_files = [f"States.Format('{{}}/{name}', $.run_id)" for name in (check.manifest, *check.markers)]
    return {
        # the keys the check reads and writes, built once with intrinsic functions where AWS documents them (a Pass
        # state's Parameters), so the Maps' ItemReader and ResultWriter take plain paths
        "RunFolderKeys": {
            "Type": "Pass",
            "Parameters": {
                "manifest.$": f"States.Format('{{}}/{check.manifest}', $.run_id)",
                "prefix.$": "States.Format('{}/', $.run_id)",
                "run_files.$": f"States.Array({', '.join(run_files)})",
            },
            "ResultPath": "$.keys",
            "Next": "VerifyRunObjects",
        },
        "VerifyRunObjects": {
            "Type": "Map",
            "Label": "VerifyRunObjects",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.keys.manifest"},
            },
            "ItemSelector": {
                "bucket.$": "$.bucket",
                "run_id.$": "$.run_id",
                "execution.$": "$$.Execution.Id",
                "key.$": "States.Format('{}{}', $.keys.prefix, $$.Map.Item.Value.path)",
                "crc64nvme.$": "$$.Map.Item.Value.crc64nvme",
            },
            "ItemProcessor": _distributed("ReadChecksum", per_object),
            "MaxConcurrency": 100,
            "ToleratedFailureCount": 0,
            "ResultWriter": _report(check),
            "ResultPath": None,
            # the manifest itself is unreadable until GuardDuty scanned it clean
            "Retry": [
                {
                    "ErrorEquals": ["States.ItemReaderFailed"],
                    "IntervalSeconds": 60,
                    "MaxAttempts": check.wait_minutes,
                    "BackoffRate": 1,
                }
            ],
            "Catch": failed,
            "Next": "FindUnlistedObjects",
        },
        "FindUnlistedObjects": {
            "Type": "Map",
            "Label": "FindUnlistedObjects",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:listObjectsV2",
                "Parameters": {"Bucket.$": "$.bucket", "Prefix.$": "$.keys.prefix"},
            },
            "ItemSelector": {
                "bucket.$": "$.bucket",
                "verified_tag": {"Key": VERIFIED_TAG_KEY, "Value.$": "$$.Execution.Id"},
                "run_files.$": "$.keys.run_files",
                "key.$": "$$.Map.Item.Value.Key",
            },
            "ItemProcessor": _distributed("IsRunFile", per_listed),
            "MaxConcurrency": 100,
            "ToleratedFailureCount": 0,
            "ResultWriter": _report(check),
            "ResultPath": None,
            "Catch": failed,
            "Next": after,
        },
    }


def _ddb(
    action: str, parameters: dict[str, Any], next_state: str | None, catch: str | None = "RunFailed"
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": f"arn:aws:states:::dynamodb:{action}",
        "Parameters": parameters,
        "ResultPath": None,
        "Retry": [{"ErrorEquals": ["DynamoDB.AmazonDynamoDBException"], "MaxAttempts": 3, "BackoffRate": 2}],
    }
    if catch:
        state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": catch}]
    if next_state:
        state["Next"] = next_state
    else:
        state["End"] = True
    return state


def _status(
    table: str, item: str, status: str, next_state: str | None, catch: str | None = "RunFailed"
) -> dict[str, Any]:
    return _ddb(
        "updateItem",
        {
            "TableName": table,
            "Key": {"run_id": {"S.$": "$.run_id"}, "item": {"S": item}},
            "UpdateExpression": "SET #s = :s, updated = :t",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": status}, ":t": {"S.$": "$$.State.EnteredTime"}},
        },
        next_state,
        catch,
    )


def _stage_record(table: str, name: str, work: str, following: str) -> dict[str, Any]:
    """A stage's items in the runs table: RUNNING when it starts (then ``work``), then SUCCEEDED or FAILED."""
    return {
        f"Start-{name}": _ddb(
            "putItem",
            {
                "TableName": table,
                "Item": {
                    "run_id": {"S.$": "$.run_id"},
                    "item": {"S": f"STAGE#{name}"},
                    "status": {"S": "RUNNING"},
                    "started": {"S.$": "$$.State.EnteredTime"},
                },
            },
            work,
        ),
        f"Failed-{name}": _status(table, f"STAGE#{name}", "FAILED", "RunFailed"),
        f"Done-{name}": _status(table, f"STAGE#{name}", "SUCCEEDED", following),
    }


def definition(
    table: str,
    topic_arn: str,
    stages: list[Stage],
    submit_attempts: int = 3,
    verification: Verification | None = None,
) -> dict[str, Any]:
    """The run workflow. Its input is the S3 event EventBridge delivers; the run id is the folder name. With
    ``verification``, the run's objects are checked against its manifest and tagged before the first stage."""
    first_stage = f"Start-{stages[0].name}" if stages else "RunSucceeded"
    states: dict[str, Any] = {
        # a run folder is <run id>/ (an upload path of its own) or <instrument>/<run id>/ (an instrument's prefix,
        # components/instrument_intake): the run id is the folder path, its job label the same without '/'
        "ReadRun": {
            "Type": "Pass",
            "Parameters": {
                "bucket.$": "$.detail.bucket.name",
                "marker.$": "$.detail.object.key",
                "parts.$": "States.StringSplit($.detail.object.key, '/')",
            },
            "Next": "MeasureRunFolder",
        },
        "MeasureRunFolder": {
            "Type": "Pass",
            "Parameters": {
                "bucket.$": "$.bucket",
                "marker.$": "$.marker",
                "parts.$": "$.parts",
                "depth.$": "States.ArrayLength($.parts)",
            },
            "Next": "RunFolderLayout",
        },
        "RunFolderLayout": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.depth", "NumericEquals": 2, "Next": "RunFolderAtTop"},
                {"Variable": "$.depth", "NumericEquals": 3, "Next": "RunFolderOfInstrument"},
            ],
            "Default": "UnknownRunFolderLayout",
        },
        "RunFolderAtTop": {
            "Type": "Pass",
            "Parameters": {
                "bucket.$": "$.bucket",
                "marker.$": "$.marker",
                "run_id.$": "States.ArrayGetItem($.parts, 0)",
                "job_label.$": "States.ArrayGetItem($.parts, 0)",
            },
            "Next": "RecordRun",
        },
        "RunFolderOfInstrument": {
            "Type": "Pass",
            "Parameters": {
                "bucket.$": "$.bucket",
                "marker.$": "$.marker",
                "run_id.$": "States.Format('{}/{}', States.ArrayGetItem($.parts, 0), States.ArrayGetItem($.parts, 1))",
                "job_label.$": "States.Format('{}_{}', States.ArrayGetItem($.parts, 0), States.ArrayGetItem($.parts, 1))",
            },
            "Next": "RecordRun",
        },
        "UnknownRunFolderLayout": {
            "Type": "Fail",
            "Error": "UnknownRunFolderLayout",
            "Cause": "a marker must land at <run id>/<marker> or <instrument>/<run id>/<marker>",
        },
        "RecordRun": _ddb(
            "putItem",
            {
                "TableName": table,
                "Item": {
                    "run_id": {"S.$": "$.run_id"},
                    "item": {"S": RUN_ITEM},
                    "status": {"S": "RUNNING"},
                    "bucket": {"S.$": "$.bucket"},
                    "marker": {"S.$": "$.marker"},
                    "execution": {"S.$": "$$.Execution.Id"},
                    "started": {"S.$": "$$.State.EnteredTime"},
                },
                # a second marker of the same run (RTAComplete, then CopyComplete) starts no second run
                "ConditionExpression": "attribute_not_exists(run_id)",
            },
            f"Start-{VERIFY_STAGE}" if verification else first_stage,
            catch=None,
        ),
        "AlreadyTracked": {"Type": "Succeed", "Comment": "the run is tracked by an earlier execution"},
        # whatever fails on the way out, the failure is still published
        "RunFailed": _status(table, RUN_ITEM, "FAILED", "NotifyFailure", catch="NotifyFailure"),
        "NotifyFailure": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {
                "TopicArn": topic_arn,
                "Subject": "Sequencing run failed",
                "Message.$": "States.Format('Run {} failed; execution {}', $.run_id, $$.Execution.Id)",
            },
            "ResultPath": None,
            "Next": "Failed",
        },
        "Failed": {"Type": "Fail", "Error": "RunFailed", "Cause": "a stage failed; see the runs table"},
        "RunSucceeded": _status(table, RUN_ITEM, "SUCCEEDED", None),
    }
    states["RecordRun"]["Catch"] = [
        {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "Next": "AlreadyTracked"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RunFailed"},
    ]
    if verification:
        states |= _stage_record(table, VERIFY_STAGE, "RunFolderKeys", first_stage)
        states |= verification_states(verification, f"Done-{VERIFY_STAGE}")
    for index, stage in enumerate(stages):
        following = f"Start-{stages[index + 1].name}" if index + 1 < len(stages) else "RunSucceeded"
        states |= _stage_record(table, stage.name, f"Run-{stage.name}", following)
        states[f"Run-{stage.name}"] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::batch:submitJob.sync",
            "Parameters": {
                "JobName.$": f"States.Format('{{}}-{stage.name}', $.job_label)",
                "JobDefinition": stage.job_definition_arn,
                "JobQueue": stage.job_queue_arn,
                "ContainerOverrides": {
                    "Environment": [
                        {"Name": "RUN_ID", "Value.$": "$.run_id"},
                        {"Name": "INTAKE_BUCKET", "Value.$": "$.bucket"},
                    ]
                },
            },
            "ResultSelector": {"JobId.$": "$.JobId"},
            "ResultPath": f"$.jobs.{stage.name.replace('-', '_')}",
            # Batch retries the job itself (the job definition's retry strategy); this retries the submission
            "Retry": [{"ErrorEquals": ["Batch.AWSBatchException"], "MaxAttempts": submit_attempts, "BackoffRate": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"Failed-{stage.name}"}],
            "Next": f"Done-{stage.name}",
        }
    return {
        "Comment": "Sequencing run: record it, run each stage on AWS Batch, record the outcome",
        "StartAt": "ReadRun",
        "States": states,
    }


def workflow_key_statements(
    workflow_key_arn: str, machine_arn: str, sid: str, children: bool = False
) -> list[Statement]:
    """Use of the workflow's key for this state machine's data only (its encryption context). ``children``: also its
    Distributed Map child executions, whose state machine ARN carries the map run's label (`<machine>/<label>`, the
    form Step Functions gives them in metrics and execution ARNs; AWS documents no other context for them)."""
    context = "kms:EncryptionContext:aws:states:stateMachineArn"
    condition = (
        {"StringLike": {context: [machine_arn, f"{machine_arn}/*"]}}
        if children
        else {"StringEquals": {context: machine_arn}}
    )
    return [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": workflow_key_arn,
            "Condition": condition,
        }
    ]


def workflow_policy(
    table_arn: str,
    table_key_arn: str,
    topic_arn: str,
    topic_key_arn: str,
    stages: list[Stage],
    partition: str,
    region: str,
    account: str,
    workflow_key_arn: str,
    machine_arn: str,
    verified_bucket_arn: str | None = None,
    data_key_arn: str | None = None,
    report_bucket_arn: str | None = None,
) -> dict[str, Any]:
    """What the workflow does: write its own table, submit the stages' jobs, learn of their end, notify; read and
    write its own execution history under the workflow key; with ``verified_bucket_arn``, check and tag the run's
    objects in the intake bucket (verification_statements)."""
    statements: list[Statement] = [
        *workflow_key_statements(
            workflow_key_arn, machine_arn, "UseTheWorkflowKeyForThisWorkflow", children=bool(verified_bucket_arn)
        ),
        {
            # execution logs delivered under the workflow key
            "Sid": "EncryptExecutionLogs",
            "Effect": "Allow",
            "Action": "kms:GenerateDataKey",
            "Resource": workflow_key_arn,
            "Condition": {
                "StringEquals": {"kms:EncryptionContext:SourceArn": f"arn:{partition}:logs:{region}:{account}:*"}
            },
        },
        {
            "Sid": "TrackRuns",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": table_arn,
        },
        {
            "Sid": "SubmitStageJobs",
            "Effect": "Allow",
            "Action": "batch:SubmitJob",
            "Resource": sorted(
                {s.job_definition_arn for s in stages}
                | {s.job_definition_arn + ":*" for s in stages}
                | {s.job_queue_arn for s in stages}
            ),
        },
        {
            # DescribeJobs and TerminateJob take no resource-level permissions (Service Authorization Reference)
            "Sid": "FollowStageJobs",
            "Effect": "Allow",
            "Action": ["batch:DescribeJobs", "batch:TerminateJob"],
            "Resource": "*",
        },
        {
            "Sid": "LearnWhenJobsEnd",
            "Effect": "Allow",
            "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            "Resource": f"arn:{partition}:events:{region}:{account}:rule/{BATCH_EVENTS_RULE}",
        },
        {
            # item reads and writes decrypt the table key in the caller's name (DynamoDB Developer Guide, "Key policy
            # for a customer managed key"); only through DynamoDB
            "Sid": "UseTheTableKeyThroughDynamoDB",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": table_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
        },
        {"Sid": "NotifyFailures", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {
            # X-Ray trace writes take no resource-level permissions (Step Functions Developer Guide, "X-Ray")
            "Sid": "WriteTraces",
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            "Resource": "*",
        },
        {
            "Sid": "EncryptNotifications",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": topic_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}},
        },
        {
            # log delivery takes no resource-level permissions (Step Functions Developer Guide, "Logging")
            "Sid": "DeliverExecutionLogs",
            "Effect": "Allow",
            "Action": [*LOG_DELIVERY_ACTIONS, "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"],
            "Resource": "*",
        },
    ]
    if verified_bucket_arn:
        if not data_key_arn:
            raise ValueError("verifying a run's objects needs the data key (the manifest is encrypted with it)")
        statements += verification_statements(
            verified_bucket_arn, data_key_arn, machine_arn, region, report_bucket_arn or ""
        )
    return document(statements)


def verification_statements(
    bucket_arn: str, data_key_arn: str, machine_arn: str, region: str, report_bucket_arn: str
) -> list[Statement]:
    """The manifest check: read the manifest, each object's checksum and tags, tag it; list the run folder; run the
    Distributed Maps' child executions of this state machine; write their results (ResultWriter) to the report
    bucket under REPORT_PREFIX/ (the actions AWS's Distributed Map IAM page lists for ResultWriter, and the data key
    through S3 for that bucket)."""
    if not report_bucket_arn:
        raise ValueError("the check's results need a report bucket (ResultWriter)")
    reports = f"{report_bucket_arn}/{REPORT_PREFIX}/*"
    # its own executions (execution:<machine>:<name>) and the Distributed Maps' children
    # (execution:<machine>/<map run label>:<name>): Step Functions Developer Guide, "IAM policies for Distributed Map"
    execution = machine_arn.replace(":stateMachine:", ":execution:")
    executions = [f"{execution}:*", f"{execution}/*"]
    return [
        {
            "Sid": "VerifyAndTagRunObjects",
            "Effect": "Allow",
            "Action": list(VERIFY_OBJECT_ACTIONS),
            "Resource": f"{bucket_arn}/*",
        },
        {"Sid": "ListRunFolders", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
        # GetObjectAttributes without a version id needs s3:GetObject and s3:GetObjectAttributes, with one the Version
        # pair (Amazon S3 API Reference, GetObjectAttributes); a Distributed Map's CSV reader needs s3:GetObject
        {
            # the manifest is encrypted with the data key: decrypt it through S3, for this bucket only
            "Sid": "ReadManifestsThroughS3",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": data_key_arn,
            "Condition": {
                "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
            },
        },
        {
            "Sid": "WriteVerificationReports",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
            "Resource": reports,
        },
        {
            "Sid": "EncryptVerificationReportsThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": data_key_arn,
            "Condition": {
                "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [report_bucket_arn, reports]},
            },
        },
        {
            # a Distributed Map runs each item as a child execution of this state machine
            "Sid": "RunVerificationChildren",
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": machine_arn,
        },
        {
            "Sid": "FollowVerificationChildren",
            "Effect": "Allow",
            "Action": ["states:DescribeExecution", "states:StopExecution"],
            "Resource": executions,
        },
    ]


def service_trust(service: str, account: str, source_arn: str) -> dict[str, Any]:
    """A role only ``service`` acting for this account's named resource assumes (the confused-deputy guard)."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": source_arn},
                },
            }
        ]
    )


def start_policy(state_machine_arn: str, workflow_key_arn: str) -> dict[str, Any]:
    """The EventBridge rule's role starts executions of the run workflow and nothing else (the execution's input is
    encrypted under the workflow key)."""
    return document(
        [
            {
                "Sid": "StartRunWorkflow",
                "Effect": "Allow",
                "Action": "states:StartExecution",
                "Resource": state_machine_arn,
            },
            *workflow_key_statements(workflow_key_arn, state_machine_arn, "EncryptRunInputs"),
        ]
    )
