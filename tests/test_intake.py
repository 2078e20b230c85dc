"""Instrument uploads with IAM Roles Anywhere (issue 16): certificates of the organization's CA, revocable through
the imported CRL, buy an hour of a role that may only put run files under the instrument's prefix of a scanned
tier; bad PEM and bad settings are refused before anything is created."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest

from components.settings import SettingsError
from tests.conftest import matrix_of
from tests.harness import make_settings
from tests.test_run_tracking import _s3_event

CERTS = Path(__file__).resolve().parent / "data" / "certificates"
CA, CRL = (CERTS / "ca.pem").read_text(), (CERTS / "crl.pem").read_text()
NOVASEQ = {"name": "novaseq-x-01", "commonName": "novaseq-x-01.lab.example.org"}


def intake(**overrides):
    return {"caCertificate": CA, "crl": CRL, "instruments": [NOVASEQ], **overrides}


@pytest.mark.parametrize(
    ("config", "key", "allowed"),
    [
        (intake(crl=None), "intake.crl = missing", "revokes a certificate only through an imported CRL"),
        (intake(crl=(CERTS / "other-crl.pem").read_text()), "intake.crl = [PEM]", "not by the trust anchor's CA"),
        (intake(crl=(CERTS / "stale-crl.pem").read_text()), "intake.crl = [PEM]", "stale: its next update was due"),
        (intake(caCertificate=(CERTS / "leaf.pem").read_text()), "intake.caCertificate = [PEM]", "CA:TRUE is required"),
        (
            intake(caCertificate="-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"),
            "intake.caCertificate = [PEM]",
            "not a PEM X.509 certificate",
        ),
        (
            intake(instruments=[{**NOVASEQ, "tier": "alignments"}]),
            "intake.instruments[0].tier = 'alignments'",
            "land only in scanned tiers",
        ),
        (
            intake(instruments=[NOVASEQ, {**NOVASEQ, "name": "novaseq-x-02"}]),
            "intake.instruments",
            "commonName ['novaseq-x-01.lab.example.org'] used twice",
        ),
        (
            intake(instruments=[{**NOVASEQ, "commonName": "*.lab.example.org"}]),
            "intake.instruments[0].commonName",
            "the certificate's subject CN",
        ),
        (
            intake(instruments=[{**NOVASEQ, "sourceIps": ["lab"]}]),
            "intake.instruments[0].sourceIps",
            "is not a CIDR block",
        ),
        (intake(sessionSeconds=43200), "intake.sessionSeconds = 43200", "less than or equal to 3600"),
    ],
)
def test_instrument_settings_that_cannot_be_trusted_are_refused(config, key, allowed):
    with pytest.raises(SettingsError) as raised:
        make_settings(intake=config)
    lines = str(raised.value).splitlines()
    assert any(key in line and allowed in line for line in lines), str(raised.value)
    if "caCertificate" in key:
        assert not any("intake.crl" in line for line in lines), "one line per root cause"


def _of(document: dict, typ: str) -> list[dict]:
    return [r for r in document["deployment"]["resources"] if r["type"] == typ]


def test_the_demo_instrument_role_trusts_only_its_certificate_and_may_only_put(demo_state_document):
    (role,) = [
        r
        for r in _of(demo_state_document, "aws:iam/role:Role")
        if r["inputs"]["name"].endswith("instrument-novaseq-x-01")
    ]
    (anchor,) = _of(demo_state_document, "aws:rolesanywhere/trustAnchor:TrustAnchor")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Sid": "InstrumentCertificateOfThisAnchor",
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            "Condition": {
                "ArnEquals": {"aws:SourceArn": anchor["outputs"]["arn"]},
                "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "novaseq-x-01.lab.example.org"},
            },
        }
    ]
    (policy,) = [
        r
        for r in _of(demo_state_document, "aws:iam/rolePolicy:RolePolicy")
        if r["inputs"]["role"] == role["outputs"]["id"]
    ]
    statements = {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    assert statements["PutRunFilesUnderOwnPrefix"]["Action"] == "s3:PutObject"
    assert statements["PutRunFilesUnderOwnPrefix"]["Resource"].endswith("-bcl-111122223333-us-east-1/novaseq-x-01/*")
    # the demo's lab path (onPremises): through the S3 interface endpoint, from the sequencer's subnet
    assert statements["PutRunFilesUnderOwnPrefix"]["Condition"]["IpAddress"] == {"aws:VpcSourceIp": ["10.200.12.0/24"]}
    (crl,) = _of(demo_state_document, "aws:cloudcontrol/resource:Resource")
    desired = json.loads(crl["inputs"]["desiredState"])
    assert crl["inputs"]["typeName"] == "AWS::RolesAnywhere::CRL"
    assert desired["TrustAnchorArn"] == anchor["outputs"]["arn"] and desired["Enabled"] is True
    assert desired["CrlData"].startswith("-----BEGIN X509 CRL-----")  # PEM text, as the CRL handler takes it
    (profile,) = _of(demo_state_document, "aws:rolesanywhere/profile:Profile")
    assert profile["inputs"]["durationSeconds"] == 3600 and profile["inputs"]["roleArns"] == [role["outputs"]["arn"]]


def test_the_intake_bucket_lets_the_instrument_in_from_the_lab(demo_state_document):
    """The BCL bucket's endpoint-only deny exempts the instrument's role (it uploads from the lab, not the VPC);
    no other bucket does."""
    exempting = []
    for policy in _of(demo_state_document, "aws:s3/bucketPolicy:BucketPolicy"):
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
            if statement.get("Sid") == "DenyAccessOutsideVpcEndpoint":
                exempt = statement["Condition"].get("ArnNotLike", {}).get("aws:PrincipalArn", [])
                if any(a.endswith("instrument-novaseq-x-01") for a in exempt):
                    exempting.append(policy["inputs"]["bucket"])
    assert exempting == ["glz-demo-bcl-111122223333-us-east-1"]


def test_the_matrix_sentence_follows_the_crl(demo_state_document, demo_matrix):
    row = {r.id: r for r in demo_matrix.rows["nist-800-171-r3"]}["03.05.02"]
    assert "the CA's CRL is imported" in row.statement
    document = copy.deepcopy(demo_state_document)
    document["deployment"]["resources"] = [
        r for r in document["deployment"]["resources"] if r["type"] != "aws:cloudcontrol/resource:Resource"
    ]
    changed = {r.id: r for r in matrix_of(document).rows["nist-800-171-r3"]}["03.05.02"]
    assert "the CA's CRL is imported" not in changed.statement
    assert "has no enabled CRL imported" in changed.statement
    assert changed.status != row.status


def _finished(sfn, execution: str) -> dict:
    for _ in range(200):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("the execution did not finish")


def test_under_moto_a_run_under_an_instrument_prefix_is_tracked_by_its_folder(demo_state_document, monkeypatch):
    from moto import mock_aws

    from tests.audit_account import MOTO_ENV, MotoAccount

    for key, value in MOTO_ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "batch": {"use_docker": False}}):
        account = MotoAccount(demo_state_document)
        sfn = account.client("stepfunctions")
        workflow, bucket = account.output("runTracking", "workflow"), account.output("dataBuckets", "bcl")
        marker = "novaseq-x-01/20261204_LH00123_0042_A22XYZLT3/CopyComplete.txt"
        # the run's one file and its manifest (moto applies the bucket policy's denies without their conditions)
        s3 = account.client("s3")
        for name in (bucket, account.output("dataBuckets", "results")):
            s3.delete_bucket_policy(Bucket=name)
        folder = marker.rsplit("/", 1)[0]
        put = s3.put_object(
            Bucket=bucket, Key=f"{folder}/RunInfo.xml", Body=b"<RunInfo/>", ChecksumAlgorithm="CRC64NVME"
        )
        manifest = f"path,crc64nvme\nRunInfo.xml,{put['ChecksumCRC64NVME']}\n"
        s3.put_object(Bucket=bucket, Key=f"{folder}/manifest.csv", Body=manifest.encode())
        run = sfn.start_execution(
            stateMachineArn=workflow, name="instrument", input=json.dumps(_s3_event(bucket, marker))
        )
        deep = sfn.start_execution(
            stateMachineArn=workflow, name="deep", input=json.dumps(_s3_event(bucket, "a/b/c/CopyComplete.txt"))
        )
        _finished(sfn, run["executionArn"])
        refused = _finished(sfn, deep["executionArn"])
        items = account.client("dynamodb").scan(TableName=account.output("runTracking", "table"))["Items"]
        history = sfn.get_execution_history(executionArn=run["executionArn"])["events"]
    runs = {i["run_id"]["S"] for i in items if i["item"]["S"] == "RUN"}
    assert runs == {"novaseq-x-01/20261204_LH00123_0042_A22XYZLT3"}
    submitted = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])
        for e in history
        if e.get("taskScheduledEventDetails", {}).get("resource") == "submitJob.sync"
    ]
    assert submitted and submitted[0]["JobName"] == "novaseq-x-01_20261204_LH00123_0042_A22XYZLT3-demultiplex"
    assert refused["status"] == "FAILED" and refused.get("error") == "UnknownRunFolderLayout"


LAB = {"cidrs": ["10.200.0.0/16"], "customerGatewayIp": "203.0.113.10"}


@pytest.mark.parametrize(
    ("lab", "extra", "key", "allowed"),
    [
        ({**LAB, "cidrs": ["10.40.128.0/20"]}, {}, "onPremises.cidrs[0] = '10.40.128.0/20'", "overlaps vpcCidr"),
        ({**LAB, "cidrs": ["8.8.8.0/24"]}, {}, "onPremises.cidrs", "not a private network"),
        ({**LAB, "customerGatewayIp": "10.1.1.1"}, {}, "onPremises.customerGatewayIp", "public IPv4 address"),
        ({**LAB, "bgpAsn": 0}, {}, "onPremises.bgpAsn = 0", "greater than or equal to 1"),
        (
            LAB,
            {"intake": intake(instruments=[{**NOVASEQ, "sourceIps": ["198.51.100.0/24"]}])},
            "intake.instruments[0].sourceIps",
            "is not in onPremises.cidrs",
        ),
    ],
)
def test_a_lab_path_that_cannot_work_is_refused(lab, extra, key, allowed):
    with pytest.raises(SettingsError) as raised:
        make_settings(onPremises=lab, **extra)
    assert any(key in line and allowed in line for line in str(raised.value).splitlines()), str(raised.value)


def test_the_demo_lab_path_is_strong_logged_and_routes_only_the_lab(demo_state_document):
    (vpn,) = _of(demo_state_document, "aws:ec2/vpnConnection:VpnConnection")
    for number in (1, 2):
        assert vpn["inputs"][f"tunnel{number}IkeVersions"] == ["ikev2"]
        assert vpn["inputs"][f"tunnel{number}Phase1DhGroupNumbers"] == [20, 19, 14]
        assert vpn["inputs"][f"tunnel{number}LogOptions"]["cloudwatchLogOptions"]["logEnabled"] is True
    routes = [
        r
        for r in _of(demo_state_document, "aws:ec2/route:Route")
        if r["urn"].endswith(("-0", "-1", "-2")) and "::lab-route" in r["urn"]
    ]
    assert {r["inputs"]["destinationCidrBlock"] for r in routes} == {"10.200.0.0/16"} and len(routes) == 3
    assert not _of(demo_state_document, "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation")
    endpoints = [
        r
        for r in _of(demo_state_document, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if r["inputs"]["serviceName"].endswith(".s3") and r["inputs"]["vpcEndpointType"] == "Interface"
    ]
    assert len(endpoints) == 1
    assert endpoints[0]["inputs"]["dnsOptions"]["privateDnsOnlyForInboundResolverEndpoint"] is True
    assert json.loads(endpoints[0]["inputs"]["policy"])["Statement"], "the S3 interface endpoint has the stack's policy"
    (role_policy,) = [
        r
        for r in _of(demo_state_document, "aws:iam/rolePolicy:RolePolicy")
        if r["inputs"]["role"].endswith("instrument-novaseq-x-01")
    ]
    put = next(
        s for s in json.loads(role_policy["inputs"]["policy"])["Statement"] if s["Sid"] == "PutRunFilesUnderOwnPrefix"
    )
    assert put["Condition"] == {
        "StringEquals": {"aws:SourceVpce": endpoints[0]["outputs"]["id"]},
        "IpAddress": {"aws:VpcSourceIp": ["10.200.12.0/24"]},
    }
    (resolver,) = _of(demo_state_document, "aws:route53/resolverEndpoint:ResolverEndpoint")
    assert resolver["inputs"]["direction"] == "INBOUND" and len(resolver["inputs"]["ipAddresses"]) == 2


def test_the_3_1_12_sentence_follows_the_tunnels(demo_state_document, demo_matrix):
    row = {r.id: r for r in demo_matrix.rows["nist-800-171-r2"]}["3.1.12"]
    assert "accept only IKEv2" in row.statement
    document = copy.deepcopy(demo_state_document)
    (vpn,) = _of(document, "aws:ec2/vpnConnection:VpnConnection")
    for props in (vpn["inputs"], vpn["outputs"]):
        props["tunnel2IkeVersions"] = ["ikev1", "ikev2"]
    changed = {r.id: r for r in matrix_of(document).rows["nist-800-171-r2"]}["3.1.12"]
    assert "accept only IKEv2" not in changed.statement and "tunnel 2: ikeVersions allows ikev1" in changed.statement
    assert changed.status != row.status


def test_without_a_lab_path_the_instrument_is_held_to_its_public_addresses():
    from components.intake_policies import instrument_upload_policy

    policy = instrument_upload_policy(
        "arn:aws:s3:::b", "n/", "arn:aws:kms:us-east-1:111122223333:key/k", "us-east-1", ["198.51.100.0/24"]
    )
    put = next(s for s in policy["Statement"] if s["Sid"] == "PutRunFilesUnderOwnPrefix")
    assert put["Condition"] == {"IpAddress": {"aws:SourceIp": ["198.51.100.0/24"]}}
    kms = next(s for s in policy["Statement"] if s["Sid"] == "EncryptWithDataKeyThroughS3")
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
