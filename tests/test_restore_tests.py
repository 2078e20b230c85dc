"""Restore tests (components/restore_tests): what the stack builds, how GLZ-BAK-003 reads a schedule and an event
pattern, that an equivalent selection written outside the component passes, and that the HIPAA row's sentence
follows the plan. The weakenings that must fail are in tests/more_weakenings.py."""

from __future__ import annotations

import copy
import json

import pytest

from components.backup_policies import RESTORE_TEST_TABLES, restore_test_role_limits
from components.restore_tests import overrides
from components.settings import SettingsError, parse_settings
from controls.probes import RESTORE_FAILED_EVENT, pattern_matches
from glz.gate import stack_view
from glz.state import StackState
from policies.access.model import model_of
from policies.rules.backups import at_least_monthly, restore_tested
from tests.conftest import matrix_of
from tests.mutations import find
from tests.test_backups import BASE

TEST_ROW = "164.308(a)(7)(ii)(D)"
PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"


def _findings(document: dict) -> list[str]:
    return [v.message for v in restore_tested.check_stack(stack_view(StackState(document)))]


@pytest.mark.parametrize(
    ("expression", "monthly"),
    [
        ("cron(0 6 1 * ? *)", True),
        ("cron(0 6 ? * MON *)", True),
        ("cron(0 6 ? * 2#1 *)", True),
        ("rate(7 days)", True),
        ("rate(31 days)", True),
        ("rate(12 hours)", True),
        ("rate(32 days)", False),
        ("cron(0 6 1 1,7 ? *)", False),
        ("cron(0 6 1 */2 ? *)", False),
        ("cron(0 6 1 * ? 2027)", False),
        ("cron(0 6 1 *)", False),
        ("at(2027-01-01T00:00:00)", False),
        ("", False),
    ],
)
def test_at_least_monthly_reads_the_schedule(expression, monthly):
    assert at_least_monthly(expression) is monthly


def test_the_demo_restore_tests_the_table_and_the_file_system(demo_state_document):
    selections = {s["inputs"]["protectedResourceType"]: s["inputs"] for s in find(demo_state_document, SELECTION)}
    assert set(selections) == {"DynamoDB", "EFS"}
    keys = {k["outputs"]["arn"] for k in find(demo_state_document, "aws:kms/key:Key")}
    assert selections["DynamoDB"]["restoreMetadataOverrides"]["encryptionType"] == "KMS"
    assert selections["DynamoDB"]["restoreMetadataOverrides"]["kmsMasterKeyArn"] in keys
    assert selections["EFS"]["restoreMetadataOverrides"]["kmsKeyId"] in keys
    (plan,) = find(demo_state_document, PLAN)
    assert plan["inputs"]["recoveryPointSelection"]["includeVaults"] == [
        "arn:aws:backup:us-east-1:111122223333:backup-vault:glz-demo-backups"
    ]
    assert _findings(demo_state_document) == []


def test_an_equivalent_selection_from_outside_the_component_passes(demo_state_document):
    """Meaning, not place: the runs table's selection re-added at the stack's top level, with '*' for its ARN and
    the override keys in another case, still proves the restore."""
    document = copy.deepcopy(demo_state_document)
    resources = document["deployment"]["resources"]
    original = next(r for r in resources if r["type"] == SELECTION and r["urn"].endswith("runs_table"))
    resources.remove(original)
    moved = copy.deepcopy(original)
    key = original["inputs"]["restoreMetadataOverrides"]["kmsMasterKeyArn"]
    for section in ("inputs", "outputs"):
        moved[section]["protectedResourceArns"] = ["*"]
        moved[section]["restoreMetadataOverrides"] = {"EncryptionType": "kms", "KMSMasterKeyArn": key}
    moved["urn"] = moved["urn"].rsplit("::", 1)[0].split("$")[0] + "$" + SELECTION + "::outside"
    resources.append(moved)
    assert _findings(document) == []


def test_the_restore_role_cannot_touch_the_live_runs_table(demo_state_document):
    """The restores policy allows item reads and writes on every table; the role's limits leave only the test
    copies, judged by the access model."""
    model = model_of(stack_view(StackState(demo_state_document)))
    actor = model.principals["arn:aws:iam::111122223333:role/glz-demo-restore-test"].actor
    live = "arn:aws:dynamodb:us-east-1:111122223333:table/glz-demo-runs"
    copy_of_it = "arn:aws:dynamodb:us-east-1:111122223333:table/awsbackup-restore-test-1234"
    for action in ("dynamodb:GetItem", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem"):
        assert not model.decide(actor, action, live), action
    assert model.decide(actor, "dynamodb:Scan", copy_of_it)
    assert model.decide(actor, "dynamodb:RestoreTableFromAwsBackup", copy_of_it)
    assert not model.decide(actor, "iam:PassRole", "arn:aws:iam::111122223333:role/glz-demo-admin")
    limits = restore_test_role_limits(parse_settings(BASE))
    assert RESTORE_TEST_TABLES in json.dumps(limits)


def test_overrides_name_the_key_per_resource_type():
    assert overrides("DynamoDB", "k") == {"encryptionType": "KMS", "kmsMasterKeyArn": "k"}
    assert overrides("EFS", "k") == {"kmsKeyId": "k"}


def test_restore_failures_match_the_backup_failure_pattern():
    from components.finding_alerts import BACKUP_JOB_FAILURES

    assert pattern_matches(BACKUP_JOB_FAILURES.pattern, RESTORE_FAILED_EVENT)
    completed = {**RESTORE_FAILED_EVENT, "detail": {"status": "COMPLETED"}}
    assert not pattern_matches(BACKUP_JOB_FAILURES.pattern, completed)
    failed_backup = {"source": "aws.backup", "detail-type": "Backup Job State Change", "detail": {"state": "FAILED"}}
    assert pattern_matches(BACKUP_JOB_FAILURES.pattern, failed_backup)
    # the restore shape uses "status": a pattern reading "state" for restores would never match
    wrong = {"source": ["aws.backup"], "detail-type": ["Restore Job State Change"], "detail": {"state": ["FAILED"]}}
    assert not pattern_matches(wrong, RESTORE_FAILED_EVENT)


@pytest.mark.parametrize(
    ("backups", "message"),
    [
        ({"restoreTestSchedule": "monthly"}, "backups.restoreTestSchedule = 'monthly': must be a cron expression"),
        ({"restoreTestValidationHours": 0}, "backups.restoreTestValidationHours = 0: Input should be greater than"),
        ({"restoreTestValidationHours": 200}, "backups.restoreTestValidationHours = 200: Input should be less than"),
    ],
)
def test_bad_restore_test_settings_name_the_key(backups, message):
    with pytest.raises(SettingsError) as error:
        parse_settings({**BASE, "backups": backups})
    assert message in str(error.value)


def _yearly(document: dict) -> None:
    for plan in find(document, PLAN):
        for section in ("inputs", "outputs"):
            plan[section]["scheduleExpression"] = "cron(0 6 1 1 ? *)"


def _no_restore_alarm(document: dict) -> None:
    for rule in find(document, "aws:cloudwatch/eventRule:EventRule"):
        for section in ("inputs", "outputs"):
            pattern = json.loads(rule[section]["eventPattern"])
            if pattern.get("source") == ["aws.backup"]:
                pattern["$or"] = [o for o in pattern["$or"] if o["detail-type"] != ["Restore Job State Change"]]
                rule[section]["eventPattern"] = json.dumps(pattern)


def test_the_hipaa_row_follows_the_plan(demo_state_document, demo_matrix):
    before = {r.id: r for r in demo_matrix.rows["hipaa"]}[TEST_ROW]
    assert before.responsibility == "shared" and before.strictly_automated
    assert "on schedule cron(0 6 1 * ? *)" in before.statement and not before.gaps
    assert "records and alarms on a failed restore job" in before.statement
    yearly = copy.deepcopy(demo_state_document)
    _yearly(yearly)
    after = {r.id: r for r in matrix_of(yearly).rows["hipaa"]}[TEST_ROW]
    assert "runs less often than every 31 days" in after.statement
    assert any("GLZ-BAK-003 failed" in gap for gap in after.gaps)
    assert after.status != before.status
    silent = copy.deepcopy(demo_state_document)
    _no_restore_alarm(silent)
    quiet = {r.id: r for r in matrix_of(silent).rows["hipaa"]}[TEST_ROW]
    assert "no EventBridge rule of the stack matches a failed restore job" in quiet.statement
