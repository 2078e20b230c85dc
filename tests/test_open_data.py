"""Registry of Open Data (openDataBuckets): the named buckets' objects are readable by the pipeline jobs and
through the S3 endpoint, read-only and by exact name; with none named, nothing outside the stack is."""

from __future__ import annotations

import json

import pytest

from components import compute_policies
from components.settings import SettingsError
from tests.test_settings import make_settings


def _statements(document: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in document["Statement"]}


def test_named_buckets_are_read_only_by_exact_name_for_jobs_and_the_endpoint():
    from components import compute_policies, network_policies

    settings = make_settings(openDataBuckets=["1000genomes", "giab"])
    endpoint = _statements(network_policies.s3_endpoint_policy(settings, "demo"))["RegistryOfOpenDataReadOnly"]
    assert endpoint["Action"] == "s3:GetObject"
    assert endpoint["Resource"] == ["arn:aws:s3:::1000genomes/*", "arn:aws:s3:::giab/*"]
    spec = compute_policies.job_specs(settings)[0]
    job = compute_policies.job_role_policy(
        spec,
        region="us-east-1",
        bucket_arns={t: f"arn:aws:s3:::x-{t}" for t in (*spec.reads, *spec.writes)},
        data_key_arn="arn:aws:kms:us-east-1:111122223333:key/k",
        open_data_object_arns=network_policies.open_data_object_arns(settings),
    )
    assert _statements(job)["ReadOpenData"] == {
        "Sid": "ReadOpenData",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": ["arn:aws:s3:::1000genomes/*", "arn:aws:s3:::giab/*"],
    }


def test_the_demo_reads_1000_genomes_and_nothing_else_outside_the_stack(demo_state_document):
    (endpoint,) = [
        r
        for r in demo_state_document["deployment"]["resources"]
        if r["type"] == "aws:ec2/vpcEndpoint:VpcEndpoint"
        and r["inputs"].get("vpcEndpointType") == "Gateway"
        and "s3" in r["inputs"]["serviceName"]
    ]
    statements = _statements(json.loads(endpoint["inputs"]["policy"]))
    assert statements["RegistryOfOpenDataReadOnly"]["Resource"] == ["arn:aws:s3:::1000genomes/*"]
    settings = make_settings()
    from components import network_policies

    assert "RegistryOfOpenDataReadOnly" not in _statements(network_policies.s3_endpoint_policy(settings, "demo"))


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (["1000genomes", "1000genomes"], "names a bucket twice"),
        (["broad-*"], "not S3 bucket names"),
        (["My_Bucket"], "not S3 bucket names"),
    ],
)
def test_bad_bucket_names_are_named(value, named):
    with pytest.raises(SettingsError) as raised:
        make_settings(openDataBuckets=value)
    assert "openDataBuckets" in str(raised.value) and named in str(raised.value)


FA = "1000genomes/technical/reference/GRCh38_reference_genome/GRCh38_full_analysis_set_plus_decoy_hla.fa"
LOADER = {"efs": True, "loaderImage": "111122223333.dkr.ecr.us-east-1.amazonaws.com/genomics/reference-loader:1.0.0"}


@pytest.mark.parametrize(
    ("reference", "buckets", "key", "allowed"),
    [
        (
            {**LOADER, "openDataObjects": ["giab/release/x.vcf.gz"]},
            ["1000genomes"],
            "referenceData.openDataObjects[0] = 'giab/release/x.vcf.gz'",
            "not in openDataBuckets (1000genomes)",
        ),
        (
            {**LOADER, "openDataObjects": ["1000genomes/technical/*.fa"]},
            ["1000genomes"],
            "referenceData.openDataObjects",
            "no wildcard",
        ),
        (
            {**LOADER, "openDataObjects": ["1000genomes/a b; rm -rf /reference"]},
            ["1000genomes"],
            "referenceData.openDataObjects",
            "<bucket>/<key>",
        ),
        (
            {**LOADER, "openDataObjects": ["1000genomes/../x"]},
            ["1000genomes"],
            "referenceData.openDataObjects",
            "no '..'",
        ),
        (
            {"efs": True, "openDataObjects": [FA]},
            ["1000genomes"],
            "referenceData.openDataObjects",
            "needs referenceData.efs true and referenceData.loaderImage",
        ),
    ],
)
def test_open_data_objects_the_loader_cannot_fetch_are_refused(reference, buckets, key, allowed):
    with pytest.raises(SettingsError) as raised:
        make_settings(referenceData=reference, openDataBuckets=buckets)
    assert any(key in line and allowed in line for line in str(raised.value).splitlines()), str(raised.value)


def test_the_loader_copies_exactly_the_named_objects_and_may_read_only_those():
    settings = make_settings(
        referenceData={**LOADER, "openDataObjects": [FA, FA + ".fai"]}, openDataBuckets=["1000genomes"]
    )
    command = compute_policies.reference_loader_command(settings, "glz-test-reference")
    assert command[:2] == ["sh", "-c"]
    assert f"aws s3 cp s3://{FA} /reference/open-data/{FA} --only-show-errors" in command[2]
    assert command[2].startswith("set -e; aws s3 sync s3://glz-test-reference/ /reference/")
    policy = compute_policies.reference_loader_policy(
        region="us-east-1",
        reference_bucket_arn="arn:aws:s3:::glz-test-reference",
        data_key_arn="arn:aws:kms:us-east-1:111122223333:key/k",
        file_system_arn="arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1",
        access_point_arn="arn:aws:elasticfilesystem:us-east-1:111122223333:access-point/fsap-1",
        open_data_object_arns=[f"arn:aws:s3:::{FA}", f"arn:aws:s3:::{FA}.fai"],
    )
    assert _statements(policy)["ReadOpenDataObjects"] == {
        "Sid": "ReadOpenDataObjects",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::{FA}", f"arn:aws:s3:::{FA}.fai"],
    }
    without = make_settings(referenceData=LOADER)
    assert compute_policies.reference_loader_command(without, "b") == [
        "aws",
        "s3",
        "sync",
        "s3://b/",
        "/reference/",
        "--only-show-errors",
    ]
