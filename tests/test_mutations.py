"""Mutation suite: each single-property weakening of the demo stack makes the right rule fail.

This is what proves the gate keeps the components' promises: remove one guard and the gate says
which rule broke, on which resource.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from glz.gate import run_rules
from glz.state import StackState
from policies.rules import ALL_RULES
from tests.mutations import apply, drop_statement, edit_json, remove, set_input

B = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
KEY = "aws:kms/key:Key"


@dataclass(frozen=True)
class Mutation:
    name: str
    change: object
    rule: str


def _add_vcf_expiry(document):
    resource = next(
        r for r in document["deployment"]["resources"] if r["type"] == LIFECYCLE and r["urn"].endswith("data-variants-lifecycle")
    )
    for section in ("inputs", "outputs"):
        resource[section]["rules"].append(
            {"id": "expire-vcf", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": 365}}
        )


def _public_grant(document):
    edit_json(POLICY, "data-results-policy", "policy", lambda d: d["Statement"].append(
        {"Sid": "Oops", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    ))(document)


def _wildcard_key_principal(document):
    edit_json(KEY, "keys-data", "policy", lambda d: d["Statement"].append(
        {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    ))(document)


MUTATIONS = [
    Mutation("key rotation off", set_input(KEY, "keys-data", ["enableKeyRotation"], False), "GLZ-KMS-001"),
    Mutation("rotation period 2 years", set_input(KEY, "keys-logs", ["rotationPeriodInDays"], 730), "GLZ-KMS-001"),
    Mutation("deletion window 7 days", set_input(KEY, "keys-compute", ["deletionWindowInDays"], 7), "GLZ-KMS-002"),
    Mutation("key policy Principal *", _wildcard_key_principal, "GLZ-KMS-003"),
    Mutation("asymmetric key", set_input(KEY, "keys-data", ["customerMasterKeySpec"], "RSA_2048"), "GLZ-KMS-004"),
    Mutation(
        "SSE to AES256",
        set_input(SSE, "data-fastq-encryption", ["rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm"], "AES256"),
        "GLZ-S3-001",
    ),
    Mutation("SSE config removed", remove(SSE, "data-alignments-encryption"), "GLZ-S3-001"),
    Mutation(
        "SSE-KMS with AWS-managed key",
        set_input(SSE, "data-variants-encryption", ["rules", 0, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"], None),
        "GLZ-S3-001",
    ),
    Mutation("bucket keys off", set_input(SSE, "data-bcl-encryption", ["rules", 0, "bucketKeyEnabled"], False), "GLZ-S3-001"),
    Mutation(
        "versioning suspended",
        set_input(VERSIONING, "data-variants-versioning", ["versioningConfiguration", "status"], "Suspended"),
        "GLZ-S3-002",
    ),
    Mutation("versioning removed", remove(VERSIONING, "data-results-versioning"), "GLZ-S3-002"),
    Mutation("blockPublicAcls off", set_input(PAB, "data-bcl-public", ["blockPublicAcls"], False), "GLZ-S3-003"),
    Mutation("blockPublicPolicy off", set_input(PAB, "data-fastq-public", ["blockPublicPolicy"], False), "GLZ-S3-003"),
    Mutation("ignorePublicAcls off", set_input(PAB, "data-alignments-public", ["ignorePublicAcls"], False), "GLZ-S3-003"),
    Mutation("restrictPublicBuckets off", set_input(PAB, "data-variants-public", ["restrictPublicBuckets"], False), "GLZ-S3-003"),
    Mutation("public access block removed", remove(PAB, "data-reference-public"), "GLZ-S3-003"),
    Mutation(
        "ACLs re-enabled",
        set_input(OWNERSHIP, "data-results-ownership", ["rule", "objectOwnership"], "ObjectWriter"),
        "GLZ-S3-004",
    ),
    Mutation("TLS deny removed", edit_json(POLICY, "data-variants-policy", "policy", drop_statement("DenyInsecureTransport")), "GLZ-S3-005"),
    Mutation("bucket policy removed", remove(POLICY, "data-fastq-policy"), "GLZ-S3-005"),
    Mutation("non-KMS upload allowed", edit_json(POLICY, "data-bcl-policy", "policy", drop_statement("DenyNonKmsEncryption")), "GLZ-S3-006"),
    Mutation("other KMS key allowed", edit_json(POLICY, "data-bcl-policy", "policy", drop_statement("DenyOtherKmsKeys")), "GLZ-S3-006"),
    Mutation("public grant in bucket policy", _public_grant, "GLZ-S3-007"),
    Mutation("access logging removed", remove(LOGGING, "data-variants-logging"), "GLZ-S3-008"),
    Mutation("lifecycle removed", remove(LIFECYCLE, "data-results-lifecycle"), "GLZ-S3-009"),
    Mutation("VCF expiry rule added", _add_vcf_expiry, "GLZ-S3-010"),
]


@pytest.fixture(scope="module")
def baseline(demo_state_document):
    result = run_rules(StackState(demo_state_document), ALL_RULES, [], today=dt.date(2026, 11, 23))
    assert result.failed_rule_ids() == set(), "the demo stack must be clean before mutating it"
    return demo_state_document


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_weakening_fails_the_right_rule(baseline, mutation):
    weakened = apply(baseline, mutation.change)
    result = run_rules(StackState(weakened), ALL_RULES, [], today=dt.date(2026, 11, 23))
    assert mutation.rule in result.failed_rule_ids(), f"{mutation.name}: expected {mutation.rule}, got {result.failed_rule_ids()}"
    assert not result.passed or mutation.rule in {r.id for r in ALL_RULES if r.enforcement == "advisory"}


def test_suite_is_large_enough():
    assert len(MUTATIONS) >= 40, f"only {len(MUTATIONS)} mutations; the issue asks for at least 40"
