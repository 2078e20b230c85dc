"""A moto account built to match the demo stack passes every audit check, except the calls moto does not
implement, which must come out not-verifiable (never passed); the evidence file follows the contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from glz.audit import evidence, report
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
from glz.audit.expected import from_state
from glz.audit.result import FAIL, NOT_VERIFIABLE, PASS, CheckSpec
from glz.audit.session import AuditSession
from tests.audit_account import (
    MOTO_ENV,
    MOTO_GAPS,
    REGION,
    MotoAccount,
    answer_access_analyzer,
    answer_backup,
    answer_malware_protection_plans,
    answer_roles_anywhere,
    declared_malware_plans,
    declared_restore_tests,
)
from tests.conftest import matrix_of

ALL_SPECS = {
    value.id: value
    for module in (
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
        pipeline,
        s3,
        security_services,
        service_reach,
        sessions,
    )
    for value in vars(module).values()
    if isinstance(value, CheckSpec)
}
# The probe names of the evidence contract (docs: /tmp/glz/common.md, controls/probes.py).
CONTRACT_PROBES = set(
    [
        "kms_keys",
        "key_rotation",
        "bucket_encryption",
        "bucket_versioning",
        "bucket_public_access_block",
        "account_public_access_block",
        "bucket_tls_only",
        "bucket_endpoint_only",
        "bucket_access_logging",
        "bucket_ownership_enforced",
        "data_lifecycle",
        "audit_log_immutability",
        "data_classification",
        "private_network",
        "flow_logs",
        "vpc_endpoints",
        "default_sg_closed",
        "network_acls",  # GLZ-NET-015; ec2.network-acl evidences it
        "endpoint_security_group",
        "trail",
        "trail_data_events",
        "trail_insights",  # GLZ-LOG-014; cloudtrail.insights evidences it
        "log_encryption",
        "security_alarms",
        "config_recorder",
        "conformance_pack",
        "guardduty",
        "s3_malware_protection",
        "security_hub",
        "access_analyzer",
        "unused_access",  # GLZ-ACC-013; accessanalyzer.unused-access evidences it
        "lab_path",  # GLZ-NET-013; ec2.vpn-tunnels evidences it
        "instrument_intake",  # GLZ-IAM-018; rolesanywhere.trust-anchor and rolesanywhere.profile evidence it
        "inspector",
        "password_policy",
        "security_contact",  # GLZ-ACC-014; account.security-contact evidences it
        "media_public_sharing",  # GLZ-ACC-015; ec2.snapshot- and ec2.image-block-public-access evidence it
        "ebs_default_encryption",
        "collaborator_roles",
        "permission_boundaries",
        "operator_roles",
        "mfa_required",
        "least_privilege_jobs",
        "compute_imdsv2",
        "compute_encrypted_volumes",
        "compute_isolation",
        "container_image_provenance",
        "reference_efs",
        "data_guardrails",  # controls/access_probes.py; iam.effective-access evidences it (GLZ-S3-017/018, KMS-005)
        "guardrail_alarms",  # controls/access_probes.py (GLZ-LOG-010/011)
        "session_logging",  # controls/access_probes.py (GLZ-CMP-017); ssm.session-preferences evidences it
        "session_controls",  # controls/access_probes.py (GLZ-CMP-018); ssm.session-preferences evidences it
        "time_source",  # GLZ-NET-012; ec2.time-source evidences it
        "finding_alerts",  # GLZ-LOG-013; events.finding-rule evidences it
        "run_tracking",  # GLZ-PIPE-001, GLZ-DATA-002; states.run-workflow, dynamodb.runs-table, events.run-rule
        "backups",  # GLZ-BAK-001/002; backup.vault, backup.vault-policy, backup.plan, backup.selection
        "restore_testing",  # GLZ-BAK-003; backup.restore-tests
        "deployer_scope",  # controls/access_probes.py; iam.deployer-permissions evidences it
        "outside_access",  # controls/access_probes.py; iam.effective-access evidences it (GLZ-IAM-009, S3-007, KMS-003)
    ]
)


@pytest.fixture(scope="module")
def deployed(demo_state_document):
    """One compliant account for the whole module: these tests only read it."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in MOTO_ENV.items():
            patch.setenv(key, value)
        with mock_aws():
            yield MotoAccount(demo_state_document)


@pytest.fixture(scope="module")
def compliant_run(deployed):
    return deployed.audit()


def test_every_check_passes_except_the_documented_moto_gaps(compliant_run):
    results = compliant_run.results
    assert [r for r in results if r.result == FAIL] == []
    unverifiable = [r for r in results if r.result == NOT_VERIFIABLE]
    assert {r.id for r in unverifiable} == set(MOTO_GAPS)
    reasons = {
        "accessanalyzer.analyzer": "ListAnalyzers failed: 404: Not yet implemented",
        "accessanalyzer.unused-access": "ListAnalyzers failed: 404: Not yet implemented",
        "rolesanywhere.trust-anchor": "GetTrustAnchor failed",
        "ec2.vpn-tunnels": "the answer holds no tunnel options",
        "rolesanywhere.profile": "GetProfile failed",
        "securityhub.standard": "GetEnabledStandards failed: 404: Not yet implemented",
        "ec2.ebs-default-key": "does not implement this call: The get_ebs_default_kms_key_id action",
        "s3.sse-c-blocked": "did not report BlockedEncryptionTypes",
        "guardduty.s3-malware-protection": "ListMalwareProtectionPlans failed: 404: Not yet implemented",
        "accessanalyzer.bucket-analysis": "ListAnalyzers failed: 404: Not yet implemented",
        "cloudwatch.alarm-delivery": "does not implement this call: The describe_alarm_history action",
        "ec2.snapshot-block-public-access": "The get_snapshot_block_public_access_state action has not been implemented",
        "ec2.image-block-public-access": "The get_image_block_public_access_state action has not been implemented",
        "backup.vault-policy": "GetBackupVaultAccessPolicy failed: 404: Not yet implemented",
        "backup.selection": "does not implement this call: The list_backup_selections action",
        "backup.restore-tests": "GetRestoreTestingPlan failed: 404: Not yet implemented",
    }
    for result in unverifiable:
        assert reasons[result.id] in result.reason, (result.id, result.reason)
        assert result.drift is False
    assert compliant_run.exit_code() == 0
    assert compliant_run.exit_code(strict=True) == 1


def test_every_kind_of_check_ran_and_every_declared_resource_was_looked_at(compliant_run, deployed):
    assert {r.id for r in compliant_run.results} == set(ALL_SPECS)
    resources = {r.resource for r in compliant_run.results}
    expected = from_state(deployed.state)
    declared = (
        [b.name for b in expected.buckets]
        + [k.arn for k in expected.keys]
        + [t.name for t in expected.trails]
        + [e.name for e in expected.endpoints]
        + [r.name for r in expected.roles]
        + [c.name for c in expected.compute_environments]
        + [g.name for g in expected.log_groups]
    )
    assert len(declared) == 8 + 5 + 1 + 17 + 6 + 3 + 9  # roles: admin, auditor, break-glass, support, 2 collaborators;
    # keys: data, logs, compute, backup vault, run workflow; endpoints: 16 and the lab's S3 interface endpoint; log groups: trail,
    # flow logs, job logs, session logs, security findings, run workflow, failed jobs, failed backups, the lab VPN's
    # tunnel logs
    assert set(declared) <= resources
    # The security alarms are read from the state, however many it declares (CIS 4.1-4.15 in the demo).
    # one filter per event alarm; the trail-silent heartbeat reads AWS/Logs IncomingLogEvents, no filter
    assert len(expected.metric_filters) + 1 == len(expected.alarms) >= 12
    assert len(expected.alarm_topics) == 2  # the security topic and the pipeline topic (failed jobs)
    assert len(expected.endpoint_security_groups) == len(expected.file_systems) == 1
    assert len(expected.efs_backup_policies) == 1
    new_kinds = {
        "logs.metric-filter": [f.name for f in expected.metric_filters],
        "cloudwatch.alarm": [a.name for a in expected.alarms],
        "sns.topic-encryption": [t.name for t in expected.alarm_topics],
        "ec2.endpoint-security-group": [g.name for g in expected.endpoint_security_groups],
        "efs.encryption": [f.name for f in expected.file_systems],
        "efs.backup": [b.name for b in expected.efs_backup_policies],
        "iam.role-permissions": [r.name for r in expected.roles + expected.service_roles],
        "iam.service-role-trust": [r.name for r in expected.service_roles],
        "iam.managed-policy": [p.name for p in expected.policies],
        "batch.job-definition": [d.name for d in expected.job_definitions],
        "events.finding-rule": [
            r.prop("name")
            for r in deployed.state.of_type("aws:cloudwatch/eventRule:EventRule")
            if r.prop("name") != "glz-demo-run-complete"
        ],
        "events.run-rule": ["glz-demo-run-complete"],
        "states.run-workflow": [m.outputs["arn"] for m in deployed.state.of_type("aws:sfn/stateMachine:StateMachine")],
        "dynamodb.runs-table": ["glz-demo-runs"],
    }
    assert len(expected.policies) == 2  # the collaborators' permissions boundaries
    assert len(expected.job_definitions) == 4  # demultiplex, alignment, variant calling, the reference loader
    assert len(expected.service_roles) == 16  # log delivery (2), Batch instance and jobs (5), malware scans (4),
    # the instrument's (trusted by IAM Roles Anywhere),
    # the run workflow and the rule that starts it (2), AWS Backup's backups and its restore tests (2)
    for check, names in new_kinds.items():
        assert sorted(r.resource for r in compliant_run.results if r.id == check) == sorted(names), check


def test_checks_name_contract_probes_and_the_state_resources_they_read(compliant_run, deployed):
    from controls.probes import PROBES

    urns = {r.urn for r in deployed.state.resources}
    for result in compliant_run.results:
        assert result.probes and set(result.probes) <= CONTRACT_PROBES, result.id
        assert set(result.probes) <= set(PROBES), result.id
        assert result.urn in urns, result


def test_the_evidence_file_follows_the_contract(compliant_run, deployed, tmp_path):
    path = evidence.write(compliant_run, tmp_path)
    assert path.name == "audit-evidence.json"
    document = json.loads(path.read_text())
    assert document["schema"] == "glz-audit-evidence/1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["generated_at"])
    assert document["tool"]["name"] == "glz" and document["tool"]["version"]
    assert (document["stack"], document["account"], document["region"]) == ("demo", "111122223333", REGION)
    assert document["expected"] == {"account": "111122223333", "region": REGION}
    assert document["caller_arn"].startswith("arn:aws:sts::111122223333:") or ":111122223333:" in document["caller_arn"]
    assert document["state_source"] == "deployed-state.json"
    # The control matrix of the same state records the same hash, so it can tell evidence of another state.
    assert document["state_sha256"] == matrix_of(deployed.state.document).info.state_sha256
    assert re.fullmatch(r"[0-9a-f]{64}", document["state_sha256"])
    fields = {"id", "title", "resource", "urn", "probes", "result", "drift", "reason", "expected", "observed"}
    for check in document["checks"]:
        assert set(check) == fields
        assert check["result"] in (PASS, FAIL, NOT_VERIFIABLE)
    summary = document["summary"]
    assert summary == {
        PASS: sum(c["result"] == PASS for c in document["checks"]),
        FAIL: 0,
        NOT_VERIFIABLE: sum(c["result"] == NOT_VERIFIABLE for c in document["checks"]),
        "drift": 0,
    }
    assert summary[PASS] > 120


def test_observed_values_are_recorded_for_passing_checks(compliant_run):
    by_key = {(r.id, r.resource): r for r in compliant_run.results}
    trail = by_key[("cloudtrail.data-events", "glz-demo-trail")]
    assert len(trail.observed["read"]) == 6 and trail.observed["read"] == trail.observed["write"]
    rotation = next(r for r in compliant_run.results if r.id == "kms.rotation")
    assert rotation.observed == {"enabled": True}
    imds = by_key[("batch.imdsv2", "glz-demo-batch-spot")]
    assert imds.observed["http_tokens"] == "required" and imds.observed["hop_limit"] == 1
    alarm = by_key[("cloudwatch.alarm", "glz-demo-root-account-usage")]
    assert alarm.observed["actions_enabled"] is True
    assert (
        alarm.observed["alarm_actions"]
        == alarm.expected["alarm_actions"]
        == ["arn:aws:sns:us-east-1:111122223333:glz-demo-security-alarms"]
    )
    sg = next(r for r in compliant_run.results if r.id == "ec2.endpoint-security-group")
    assert (
        sorted(sg.observed["ingress"])
        == sorted(sg.expected["ingress"])
        == [
            "tcp 443-443 from 10.200.0.0/16",  # the lab, over the VPN (onPremises)
            "tcp 443-443 from 10.40.0.0/16",
        ]
    )
    backup = next(r for r in compliant_run.results if r.id == "efs.backup")
    assert backup.observed == {"status": "ENABLED"}
    job = by_key[("iam.role-permissions", "glz-demo-batch-job-alignment")]
    assert (
        job.observed["inline_policies"] == job.expected["inline_policies"] and len(job.expected["inline_policies"]) == 1
    )
    assert job.observed["managed_policies"] == job.expected["managed_policies"] == []
    instance = by_key[("iam.role-permissions", "glz-demo-batch-instance")]
    assert instance.observed["managed_policies"] == [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    ]
    admin = by_key[("iam.role-permissions", "glz-demo-admin")]
    assert admin.observed == {
        "inline_policies": ["separation-of-duties"],
        "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
    }
    scan = by_key[("iam.service-role-trust", "glz-demo-malware-scan-bcl")]
    assert scan.observed["trust_policy"] == scan.expected["trust_policy"]
    assert scan.probes == ("s3_malware_protection",)
    boundary = by_key[("iam.managed-policy", "glz-demo-collab-broad-variant-lab-boundary")]
    assert boundary.probes == ("permission_boundaries",)
    assert (
        boundary.observed["default_version"] == "v1" and boundary.observed["document"] == boundary.expected["document"]
    )
    alignment = by_key[("batch.job-definition", "glz-demo-alignment")]
    assert alignment.probes == ("container_image_provenance", "least_privilege_jobs")
    assert alignment.expected == {
        "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/bwa-mem2:2.2.1",
        "job_role": "arn:aws:iam::111122223333:role/glz-demo-batch-job-alignment",
        "privileged": False,
        "readonly_root_filesystem": True,
        "user": "1000",  # jobs never run as root: the hosts let only root reach IMDS
        "timeout_seconds": 86400,
        "retry": {
            "attempts": 3,
            "evaluate_on_exit": [
                {"action": "RETRY", "onStatusReason": "Host EC2*"},
                {"action": "EXIT", "onReason": "*"},
            ],
        },
    }
    assert {k: alignment.observed[k] for k in alignment.expected} == alignment.expected
    assert alignment.observed["revision"] == 1
    inspector = by_key[("inspector.enabled", "111122223333/us-east-1")]
    assert inspector.result == PASS
    assert inspector.expected == {"ec2": "ENABLED", "ecr": "ENABLED"}
    assert inspector.observed == {"account": "ENABLED", "ec2": "ENABLED", "ecr": "ENABLED"}


def test_the_table_lists_every_check_with_a_summary(compliant_run):
    text = report.table(compliant_run)
    assert "Audit of stack 'demo' in account 111122223333 (us-east-1)" in text
    assert len([line for line in text.splitlines() if line.startswith(("pass ", "not-verifiable", "FAIL"))]) == len(
        compliant_run.results
    )
    assert text.rstrip().endswith(f"of {len(compliant_run.results)} checks")


def _fresh_session() -> AuditSession:
    return AuditSession(boto=boto3.Session(region_name=REGION), region=REGION)


def _deny(operation: str, only: dict | None = None):
    """A hook refusing one call (optionally only for some parameters) as IAM would."""

    def handler(params, **_):
        if only is None or all(params.get(k) == v for k, v in only.items()):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not for you"}}, operation)

    return handler


def test_access_denied_on_one_call_makes_only_its_checks_not_verifiable(deployed):
    session = _fresh_session()
    data_key = deployed.output("kmsKeys", "data")
    session.events.register("before-parameter-build.s3.GetBucketPolicy", _deny("GetBucketPolicy"))
    session.events.register(
        "before-parameter-build.kms.GetKeyRotationStatus", _deny("GetKeyRotationStatus", {"KeyId": data_key})
    )
    run = deployed.audit(session)
    denied = {(r.id, r.resource) for r in run.results if r.result == NOT_VERIFIABLE and "access denied" in r.reason}
    buckets = [b.name for b in from_state(deployed.state).buckets]
    data_buckets = set(deployed.output("dataBuckets").values())
    assert denied == (
        {("s3.tls-only", b) for b in buckets}
        | {("s3.endpoint-only", b) for b in data_buckets}
        | {("kms.rotation", data_key)}
        # the access-model rules that read bucket policies cannot be judged on the live documents either
        | {("iam.effective-access", rule) for rule, reads in access.RULE_INPUTS.items() if access.BUCKET in reads}
    )
    for result in run.results:
        if (result.id, result.resource) in denied:
            assert "AccessDenied" in result.reason and "docs/audit-permissions.json" in result.reason
    assert [r for r in run.results if r.result == FAIL] == []
    assert run.exit_code() == 0


def test_the_auditor_guide_describes_every_check():
    guide = (Path(__file__).resolve().parent.parent / "docs" / "auditor-guide.md").read_text()
    section = guide.split("## Live evidence from the account (`glz audit`)", 1)[1]
    every = set(ALL_SPECS) | {spec.id for spec in vars(organization).values() if isinstance(spec, CheckSpec)}
    assert [spec for spec in sorted(every) if f"`{spec}`" not in section] == []
    for gap in MOTO_GAPS:
        assert f"`{gap}`" in section.split("### Limits", 1)[1]


def _rewrite_inspector_answer(rewrite):
    """An after-call hook that edits BatchGetAccountStatus's parsed answer (moto cannot produce these states)."""

    def handler(parsed, **_):
        rewrite(parsed)

    return handler


def test_inspector_states_moto_cannot_produce(deployed):
    """A failed account entry is not verifiable; ENABLING fails without drift; SUSPENDED is drift."""

    def failed(parsed):
        parsed["accounts"] = []
        parsed["failedAccounts"] = [
            {"accountId": "111122223333", "errorCode": "ACCESS_DENIED", "errorMessage": "not for you"}
        ]

    def status(value):
        def edit(parsed):
            parsed["accounts"][0]["resourceState"]["ecr"]["status"] = value

        return edit

    outcomes = {}
    for name, rewrite in (("failed", failed), ("enabling", status("ENABLING")), ("suspended", status("SUSPENDED"))):
        session = _fresh_session()
        session.events.register("after-call.inspector2.BatchGetAccountStatus", _rewrite_inspector_answer(rewrite))
        (result,) = [r for r in deployed.audit(session).results if r.id == "inspector.enabled"]
        outcomes[name] = result
    assert outcomes["failed"].result == NOT_VERIFIABLE and "ACCESS_DENIED: not for you" in outcomes["failed"].reason
    assert outcomes["enabling"].result == FAIL and outcomes["enabling"].drift is False
    assert "ecr ENABLING" in outcomes["enabling"].reason
    assert outcomes["suspended"].result == FAIL and outcomes["suspended"].drift is True
    assert "111122223333/us-east-1" in outcomes["suspended"].reason and "ecr SUSPENDED" in outcomes["suspended"].reason


# ---- GuardDuty Malware Protection for S3 (not in moto: its answers are stood in for) ----------------------


def _malware_results(deployed, plans):
    session = _fresh_session()
    answer_malware_protection_plans(session, plans)
    return {r.resource: r for r in deployed.audit(session).results if r.id == "guardduty.s3-malware-protection"}


def test_malware_protection_is_never_passed_without_the_api(compliant_run, deployed):
    """Against plain moto every declared plan is not verifiable (moto has no such API), never passed."""
    results = [r for r in compliant_run.results if r.id == "guardduty.s3-malware-protection"]
    declared = sorted(p.name for p in from_state(deployed.state).malware_protection_plans)
    assert sorted(r.resource for r in results) == declared == sorted(deployed.output("malwareScanBuckets").values())
    assert all(r.result == NOT_VERIFIABLE and r.drift is False for r in results)


def test_malware_protection_passes_when_every_declared_plan_is_active_and_tagging(deployed):
    results = _malware_results(deployed, declared_malware_plans(deployed.state))
    assert len(results) == 4 and all(r.result == PASS for r in results.values())
    fastq = results[deployed.output("dataBuckets", "fastq")]
    assert fastq.expected == {
        "status": "ACTIVE",
        "tagging": "ENABLED",
        "role": "arn:aws:iam::111122223333:role/glz-demo-malware-scan-fastq",
        "object_prefixes": [],
    }
    assert {k: fastq.observed[k] for k in fastq.expected} == fastq.expected


def test_malware_protection_drift_and_faults(deployed):
    """A missing plan, tagging turned off, a narrowed plan or another role is drift; a WARNING plan is a fault."""
    plans = {p["ProtectedResource"]["S3Bucket"]["BucketName"]: p for p in declared_malware_plans(deployed.state)}
    bcl, fastq, reference, results_ = (
        deployed.output("dataBuckets", t) for t in ("bcl", "fastq", "reference", "results")
    )
    plans[fastq]["Actions"]["Tagging"]["Status"] = "DISABLED"
    plans[reference]["Status"] = "WARNING"
    plans[reference]["StatusReasons"] = [{"Code": "ROLE_PERMISSIONS_MISSING", "Message": "cannot tag"}]
    plans[bcl]["ProtectedResource"]["S3Bucket"]["ObjectPrefixes"] = ["incoming/"]
    del plans[results_]
    outcome = _malware_results(deployed, list(plans.values()))
    assert outcome[fastq].result == FAIL and outcome[fastq].drift is True
    assert "tagging DISABLED instead of ENABLED" in outcome[fastq].reason
    assert outcome[reference].result == FAIL and outcome[reference].drift is False
    assert "is WARNING (ROLE_PERMISSIONS_MISSING: cannot tag)" in outcome[reference].reason
    assert outcome[bcl].result == FAIL and outcome[bcl].drift is True
    assert "object_prefixes ['incoming/'] instead of none" in outcome[bcl].reason
    assert outcome[results_].result == FAIL and outcome[results_].drift is True
    assert f"no GuardDuty Malware Protection plan protects bucket {results_}" in outcome[results_].reason


def test_malware_protection_with_another_role_is_drift(deployed):
    plans = declared_malware_plans(deployed.state)
    plans[0]["Role"] = "arn:aws:iam::111122223333:role/someone-else"
    outcome = _malware_results(deployed, plans)
    changed = outcome[plans[0]["ProtectedResource"]["S3Bucket"]["BucketName"]]
    assert changed.result == FAIL and changed.drift is True
    assert "role arn:aws:iam::111122223333:role/someone-else instead of" in changed.reason


def test_digest_delivery_errors_fail_the_trail(deployed):
    """moto reports no digest errors; a real one (digests refused by the bucket policy) fails the check."""
    session = _fresh_session()

    def refuse(parsed, **_):
        parsed["LatestDigestDeliveryError"] = "AccessDenied"

    session.events.register("after-call.cloudtrail.GetTrailStatus", refuse)
    (result,) = [r for r in deployed.audit(session).results if r.id == "cloudtrail.digest-delivery"]
    assert result.result == FAIL and "cannot deliver digest files: AccessDenied" in result.reason
    (clean,) = [r for r in deployed.audit().results if r.id == "cloudtrail.digest-delivery"]
    assert clean.result == PASS


def _answer(session: AuditSession, service: str, operation: str, respond) -> None:
    """Answer one call moto does not implement the way AWS would (a before-call hook short-circuits it)."""
    from types import SimpleNamespace

    session.client(service).meta.events.register(
        f"before-call.{service}.{operation}",
        lambda **kwargs: (SimpleNamespace(status_code=200, headers={}), respond(**kwargs)),
    )


def _history(summary: str):
    def respond(params, **_):
        return {"AlarmHistoryItems": [{"HistoryItemType": "Action", "HistorySummary": summary, "HistoryData": "{}"}]}

    return respond


def _delivery(deployed, session) -> list:
    """The delivery check of the security topic (the pipeline topic has its own)."""
    results = [r for r in deployed.audit(session).results if r.id == "cloudwatch.alarm-delivery"]
    assert len(results) == 2  # the security topic and the pipeline topic
    return [r for r in results if "security-alarms" in r.resource]


def test_alarm_actions_that_fail_to_reach_the_topic_fail_the_delivery_check(deployed):
    """An action CloudWatch could not run (the topic's key refused it) fails; a delivered one passes."""
    session = _fresh_session()
    _answer(session, "cloudwatch", "DescribeAlarmHistory", _history("Failed to execute action arn:aws:sns:x"))
    (failed,) = _delivery(deployed, session)
    assert failed.result == FAIL and "Failed to execute action" in failed.reason
    session = _fresh_session()
    _answer(session, "cloudwatch", "DescribeAlarmHistory", _history("Successfully executed action arn:aws:sns:x"))
    (delivered,) = _delivery(deployed, session)
    assert delivered.result == PASS and "delivered to" in delivered.reason
    session = _fresh_session()
    _answer(session, "cloudwatch", "DescribeAlarmHistory", lambda **_: {"AlarmHistoryItems": []})
    (quiet,) = _delivery(deployed, session)
    assert quiet.result == NOT_VERIFIABLE and "set-alarm-state" in quiet.reason


def test_a_bucket_config_cannot_read_fails(deployed):
    session = _fresh_session()
    bucket = "glz-demo-fastq-111122223333-us-east-1"

    def unreadable(parsed, **_):
        items = parsed.get("baseConfigurationItems", [])
        for item in items:
            if item.get("resourceId") == bucket:
                item["supplementaryConfiguration"] = {}

    session.client("config").meta.events.register("after-call.config.BatchGetResourceConfig", unreadable)
    results = {r.resource: r for r in deployed.audit(session).results if r.id == "config.bucket-items"}
    assert results[bucket].result == FAIL and "could not read it" in results[bucket].reason
    assert all(r.result == PASS for name, r in results.items() if name != bucket)


def test_a_bucket_the_analyzer_has_not_analyzed_fails(deployed):
    session = _fresh_session()
    bucket = "glz-demo-fastq-111122223333-us-east-1"
    answer_access_analyzer(session, ["glz"], errors={bucket: "ACCESS_DENIED"})
    results = {r.resource: r for r in deployed.audit(session).results if r.id == "accessanalyzer.bucket-analysis"}
    assert results[bucket].result == FAIL and "could not analyze" in results[bucket].reason
    assert all(r.result == PASS for name, r in results.items() if name != bucket)


@pytest.mark.parametrize(
    ("configuration", "verdict", "reason"),
    [
        ({"unusedAccessAge": 90}, PASS, "90 days, no exclusions"),
        ({"unusedAccessAge": 30}, PASS, "30 days"),  # stricter than declared
        ({"unusedAccessAge": 180}, FAIL, "unused for 180 days; declared 90"),
        (
            {"unusedAccessAge": 90, "analysisRule": {"exclusions": [{"resourceTags": [{"team": "pipeline"}]}]}},
            FAIL,
            "excludes 1 set(s)",
        ),
        (None, FAIL, "does not exist"),
    ],
)
def test_the_unused_access_analyzer_is_compared_with_the_declared_days(deployed, configuration, verdict, reason):
    """moto has no Access Analyzer: ListAnalyzers' answer is stood in for, as the account would give it."""
    session = _fresh_session()
    name = next(a.name for a in from_state(deployed.state).analyzers if a.prop("type") == "ACCOUNT_UNUSED_ACCESS")
    answer_access_analyzer(session, ["glz"], unused={name: configuration} if configuration else {})
    [result] = [r for r in deployed.audit(session).results if r.id == "accessanalyzer.unused-access"]
    assert result.result == verdict and reason in result.reason
    assert result.drift is (verdict == FAIL)


@pytest.mark.parametrize(
    ("drift", "check", "verdict", "reason"),
    [
        ({}, "rolesanywhere.trust-anchor", PASS, "enabled, declared CA, 1 enabled CRL(s)"),
        ({}, "rolesanywhere.profile", PASS, "sessions of at most 3600 s"),
        ({"crl_enabled": False}, "rolesanywhere.trust-anchor", FAIL, "revoked certificates get credentials"),
        ({"duration_seconds": 43200}, "rolesanywhere.profile", FAIL, "sessions of 43200 s, declared 3600"),
    ],
)
def test_instrument_identities_are_compared_with_the_declared_ones(deployed, drift, check, verdict, reason):
    """moto has no IAM Roles Anywhere: its answers are stood in for, as the account would give them."""
    session = _fresh_session()
    answer_roles_anywhere(session, deployed.state, **drift)
    [result] = [r for r in deployed.audit(session).results if r.id == check]
    assert result.result == verdict and reason in result.reason, result.reason


def _tunnel_options(document_state, weaken=None):
    """An after-call hook filling DescribeVpnConnections' TunnelOptions from the declared connection (moto drops
    them), as AWS answers; ``weaken`` edits the first tunnel's options first."""
    (connection,) = document_state.of_type("aws:ec2/vpnConnection:VpnConnection")

    def tunnel(number):
        prop = connection.prop
        options = {
            "IkeVersions": [{"Value": v} for v in prop(f"tunnel{number}IkeVersions")],
            "Phase1EncryptionAlgorithms": [{"Value": v} for v in prop(f"tunnel{number}Phase1EncryptionAlgorithms")],
            "Phase2EncryptionAlgorithms": [{"Value": v} for v in prop(f"tunnel{number}Phase2EncryptionAlgorithms")],
            "Phase1IntegrityAlgorithms": [{"Value": v} for v in prop(f"tunnel{number}Phase1IntegrityAlgorithms")],
            "Phase2IntegrityAlgorithms": [{"Value": v} for v in prop(f"tunnel{number}Phase2IntegrityAlgorithms")],
            "Phase1DHGroupNumbers": [{"Value": v} for v in prop(f"tunnel{number}Phase1DhGroupNumbers")],
            "Phase2DHGroupNumbers": [{"Value": v} for v in prop(f"tunnel{number}Phase2DhGroupNumbers")],
            "LogOptions": {
                "CloudWatchLogOptions": {
                    "LogEnabled": True,
                    "LogGroupArn": prop(f"tunnel{number}LogOptions")["cloudwatchLogOptions"]["logGroupArn"],
                }
            },
        }
        if number == 1 and weaken:
            weaken(options)
        return options

    def hook(parsed, **_):
        for found in parsed.get("VpnConnections", []):
            found.setdefault("Options", {})["TunnelOptions"] = [tunnel(1), tunnel(2)]

    return hook


@pytest.mark.parametrize(
    ("weaken", "verdict", "reason"),
    [
        (None, PASS, "both tunnels as declared"),
        (lambda o: o["IkeVersions"].append({"Value": "ikev1"}), FAIL, "tunnel 1 IkeVersions is ['ikev1', 'ikev2']"),
        (lambda o: o["Phase1DHGroupNumbers"].append({"Value": 2}), FAIL, "tunnel 1 Phase1DhGroupNumbers"),
        (
            lambda o: o["LogOptions"]["CloudWatchLogOptions"].update(LogEnabled=False),
            FAIL,
            "tunnel 1 LogGroup is unset",
        ),
    ],
)
def test_the_lab_vpn_tunnels_are_compared_with_the_declared_options(deployed, weaken, verdict, reason):
    """moto keeps no tunnel options: AWS's answer is stood in for, as it would come from the account."""
    session = _fresh_session()
    session.client("ec2").meta.events.register(
        "after-call.ec2.DescribeVpnConnections", _tunnel_options(deployed.state, weaken)
    )
    [result] = [r for r in deployed.audit(session).results if r.id == "ec2.vpn-tunnels"]
    assert result.result == verdict and reason in result.reason, result.reason


@pytest.mark.parametrize(
    ("live", "verdict", "reason"),
    [
        (["ApiCallRateInsight", "ApiErrorRateInsight"], PASS, "ApiCallRateInsight, ApiErrorRateInsight"),
        (["ApiErrorRateInsight"], FAIL, "does not analyze Insights of type ApiCallRateInsight"),
        ([], FAIL, "ApiCallRateInsight, ApiErrorRateInsight (declared)"),
    ],
)
def test_trail_insights_are_compared_with_the_declared_types(deployed, live, verdict, reason):
    """Insights turned off (PutInsightSelectors with fewer types) after deployment is drift."""
    session = _fresh_session()

    def rewrite(parsed, **_):
        parsed["InsightSelectors"] = [{"InsightType": t} for t in live]

    session.client("cloudtrail").meta.events.register("after-call.cloudtrail.GetInsightSelectors", rewrite)
    [result] = [r for r in deployed.audit(session).results if r.id == "cloudtrail.insights"]
    assert result.result == verdict and reason in result.reason
    assert result.drift is (verdict == FAIL)


@pytest.mark.parametrize(
    ("live", "verdict", "reason"),
    [
        (None, PASS, "Dana Whitfield <security-officer@example.org>"),
        ({"Name": "Someone Else", "EmailAddress": "x@example.net"}, FAIL, "the SECURITY contact is Someone Else"),
    ],
)
def test_the_security_contact_is_compared_with_the_declared_one(deployed, live, verdict, reason):
    session = _fresh_session()
    if live is not None:

        def rewrite(parsed, **_):
            parsed["AlternateContact"].update(live)

        session.client("account").meta.events.register("after-call.account.GetAlternateContact", rewrite)
    [result] = [r for r in deployed.audit(session).results if r.id == "account.security-contact"]
    assert result.result == verdict and reason in result.reason
    assert result.drift is (verdict == FAIL)


@pytest.mark.parametrize(
    ("check", "operation", "answer", "verdict", "reason"),
    [
        (
            "ec2.snapshot-block-public-access",
            "GetSnapshotBlockPublicAccessState",
            {"State": "block-all-sharing"},
            PASS,
            "block-all-sharing",
        ),
        (
            "ec2.snapshot-block-public-access",
            "GetSnapshotBlockPublicAccessState",
            {"State": "block-new-sharing"},
            FAIL,
            "block-new-sharing; declared block-all-sharing",
        ),
        (
            "ec2.snapshot-block-public-access",
            "GetSnapshotBlockPublicAccessState",
            {"State": "unblocked"},
            FAIL,
            "unblocked; declared",
        ),
        (
            "ec2.image-block-public-access",
            "GetImageBlockPublicAccessState",
            {"ImageBlockPublicAccessState": "block-new-sharing"},
            PASS,
            "block-new-sharing",
        ),
        (
            "ec2.image-block-public-access",
            "GetImageBlockPublicAccessState",
            {"ImageBlockPublicAccessState": "unblocked"},
            FAIL,
            "unblocked; declared block-new-sharing",
        ),
    ],
)
def test_media_block_public_access_is_compared_with_the_declared_state(
    deployed, check, operation, answer, verdict, reason
):
    """moto has neither setting: EC2's answer is stood in for, as the account would give it."""
    session = _fresh_session()
    _answer(session, "ec2", operation, lambda **_: answer)
    [result] = [r for r in deployed.audit(session).results if r.id == check]
    assert result.result == verdict and reason in result.reason
    assert result.drift is (verdict == FAIL)


def test_a_default_vpc_left_in_the_region_fails_but_is_not_drift(deployed):
    """The emulated account deleted it as the runbook says; an account that kept one is reported, not as drift."""
    from types import SimpleNamespace

    session = _fresh_session()

    def keep_default(params, **_):
        if "is-default" in str(params):  # the serialized request: Filter.1.Name=is-default
            return SimpleNamespace(status_code=200, headers={}), {
                "Vpcs": [{"VpcId": "vpc-0default", "IsDefault": True}]
            }
        return None

    session.client("ec2").meta.events.register("before-call.ec2.DescribeVpcs", keep_default)
    [result] = [r for r in deployed.audit(session).results if r.id == "ec2.no-default-vpc"]
    assert result.result == FAIL and not result.drift
    assert "still has the default VPC vpc-0default" in result.reason


def test_the_table_rolls_failed_checks_up_to_requirements_and_filters_rows(deployed):
    """A drifted trail (Insights off) names the requirements its probe's statements carry; --only lists fewer rows
    but the counts still cover every check."""
    from glz.audit import report

    session = _fresh_session()

    def rewrite(parsed, **_):
        parsed["InsightSelectors"] = []

    session.client("cloudtrail").meta.events.register("after-call.cloudtrail.GetInsightSelectors", rewrite)
    run = deployed.audit(session)
    text = report.table(run)
    assert "Requirements whose live evidence failed (3):" in text
    assert "  cloudtrail.insights: 164.308(a)(1)(ii)(D) (HIPAA), 3.14.7 (r2), 03.14.06 (r3)" in text
    only = report.table(run, ("fail",))
    listed = [line for line in only.splitlines() if line.startswith(("FAIL", "pass", "not-verifiable"))]
    assert listed and all(line.startswith("FAIL") for line in listed)
    assert f"of {len(run.results)} checks (1 listed: fail)" in only


# --- backups: the vault and plan are in moto; the vault policy and selections are AWS Backup's answers stood in for


def _declared_backups(deployed) -> tuple[dict, list[str]]:
    state = deployed.state
    policy = json.loads(state.of_type("aws:backup/vaultPolicy:VaultPolicy")[0].prop("policy"))
    resources = list(state.of_type("aws:backup/selection:Selection")[0].prop("resources"))
    return policy, resources


def _backup_results(deployed, session) -> dict[str, object]:
    return {r.id: r for r in deployed.audit(session).results if r.id.startswith("backup.")}


def test_backups_pass_with_the_declared_policy_and_selection(deployed):
    policy, resources = _declared_backups(deployed)
    session = _fresh_session()
    answer_backup(session, policy, {"glz-backed-up": resources}, declared_restore_tests(deployed.state))
    results = _backup_results(deployed, session)
    assert {k: r.result for k, r in results.items()} == dict.fromkeys(
        ("backup.vault", "backup.vault-policy", "backup.plan", "backup.selection", "backup.restore-tests"), PASS
    )


def _restore_plan(tests: dict) -> dict:
    (plan,) = tests.values()
    return plan


def _yearly(tests: dict) -> None:
    _restore_plan(tests)["plan"]["ScheduleExpression"] = "cron(0 6 1 1 ? *)"


def _runs_table_untested(tests: dict) -> None:
    _restore_plan(tests)["selections"].pop("runs_table")


def _restored_under_aws_key(tests: dict) -> None:
    _restore_plan(tests)["selections"]["runs_table"]["RestoreMetadataOverrides"] = {"encryptionType": "Default"}


def _other_vault(tests: dict) -> None:
    _restore_plan(tests)["plan"]["RecoveryPointSelection"]["IncludeVaults"] = ["*"]


def _plan_deleted(tests: dict) -> None:
    tests.clear()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_yearly, "schedule cron(0 6 1 1 ? *), declared cron(0 6 1 * ? *)"),
        (_runs_table_untested, "selection runs_table is gone"),
        (_restored_under_aws_key, "selection runs_table: overrides not the declared one"),
        (_other_vault, "takes recovery points from ['*']"),
        (_plan_deleted, "does not exist: the backups are never restored"),
    ],
)
def test_restore_test_drift_fails(deployed, change, reason):
    """moto has no restore testing: AWS Backup's answers are stood in for, changed as someone outside the stack
    would change the plan."""
    policy, resources = _declared_backups(deployed)
    tests = declared_restore_tests(deployed.state)
    change(tests)
    session = _fresh_session()
    answer_backup(session, policy, {"glz-backed-up": resources}, tests)
    result = _backup_results(deployed, session)["backup.restore-tests"]
    assert result.result == FAIL and reason in result.reason, result.reason


@pytest.mark.parametrize(
    ("change", "check", "reason"),
    [
        (lambda policy, resources: (None, resources), "backup.vault-policy", "has no access policy"),
        (
            lambda policy, resources: ({**policy, "Statement": policy["Statement"][1:]}, resources),
            "backup.vault-policy",
            "not the declared one",
        ),
        (lambda policy, resources: (policy, resources[1:]), "backup.selection", "no longer selects"),
    ],
)
def test_backup_drift_the_state_cannot_see_fails(deployed, change, check, reason):
    policy, resources = change(*_declared_backups(deployed))
    session = _fresh_session()
    answer_backup(session, policy, {"glz-backed-up": resources})
    result = _backup_results(deployed, session)[check]
    assert result.result == FAIL and reason in result.reason


def test_an_unlocked_vault_and_a_deleted_plan_fail(deployed):
    """What moto holds, changed as someone outside the stack would: the lock removed, the plan deleted."""
    from types import SimpleNamespace

    from botocore.exceptions import ClientError

    session = _fresh_session()
    client = session.client("backup")

    def unlocked(params, **_):
        return SimpleNamespace(status_code=200, headers={}), {
            "BackupVaultName": "glz-demo-backups",
            "EncryptionKeyArn": deployed.state.of_type("aws:backup/vault:Vault")[0].prop("kmsKeyArn"),
            "Locked": False,
        }

    def deleted(params, **_):
        error = {"Error": {"Code": "ResourceNotFoundException", "Message": "no such plan"}}
        raise ClientError(error, "GetBackupPlan")

    client.meta.events.register("before-call.backup.DescribeBackupVault", unlocked)
    client.meta.events.register("before-call.backup.GetBackupPlan", deleted)
    results = {r.id: r for r in deployed.audit(session).results if r.id in ("backup.vault", "backup.plan")}
    assert results["backup.vault"].result == FAIL and "Vault Lock is off" in results["backup.vault"].reason
    assert results["backup.plan"].result == FAIL and "does not exist" in results["backup.plan"].reason


def test_a_workflow_definition_the_audit_role_cannot_decrypt_is_said_not_compared(deployed):
    """Without kms:Decrypt on the workflow key the definition is read as metadata only: logging, role and encryption
    are still compared, and the result says the definition was not."""
    from botocore.exceptions import ClientError

    session = _fresh_session()

    def no_decrypt(params, **_):
        if "METADATA_ONLY" not in str(params):
            error = {"Error": {"Code": "KmsAccessDeniedException", "Message": "not authorized to kms:Decrypt"}}
            raise ClientError(error, "DescribeStateMachine")
        return None

    session.client("stepfunctions").meta.events.register("before-call.sfn.DescribeStateMachine", no_decrypt)
    [result] = [r for r in deployed.audit(session).results if r.id == "states.run-workflow"]
    assert result.result == PASS and "definition NOT compared" in result.reason
    assert result.observed["definition_unchanged"] is None


def test_a_workflow_no_longer_under_its_key_fails(deployed):
    from types import SimpleNamespace

    session = _fresh_session()
    machine = deployed.state.of_type("aws:sfn/stateMachine:StateMachine")[0]
    logging = machine.prop("loggingConfiguration")

    def aws_owned(params, **_):
        return SimpleNamespace(status_code=200, headers={}), {
            "stateMachineArn": machine.outputs["arn"],
            "name": machine.prop("name"),
            "definition": machine.prop("definition"),
            "roleArn": machine.prop("roleArn"),
            "type": "STANDARD",
            "creationDate": "2026-12-01T00:00:00Z",
            "loggingConfiguration": {
                "level": logging["level"],
                "includeExecutionData": False,
                "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": logging["logDestination"]}}],
            },
            "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
        }

    session.client("stepfunctions").meta.events.register("before-call.sfn.DescribeStateMachine", aws_owned)
    [result] = [r for r in deployed.audit(session).results if r.id == "states.run-workflow"]
    assert result.result == FAIL and "encrypted with AWS_OWNED_KEY" in result.reason
