"""Registry of Open Data (openDataBuckets): the named buckets' objects are readable by the pipeline jobs and
through the S3 endpoint, read-only and by exact name; with none named, nothing outside the stack is."""

from __future__ import annotations

import json

import pytest

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
