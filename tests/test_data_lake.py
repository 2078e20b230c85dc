"""GenomicsDataLake: every bucket private, encrypted with the data key, versioned, logged, tiered."""

from __future__ import annotations

import json

import pytest

from components.data_access import RUN_TAG_KEY, run_tag_read_statement
from components.data_lake import GenomicsDataLake
from components.encryption_keys import EncryptionKeys
from components.settings import TIERS
from tests.harness import ACCOUNT, STACK, make_settings, synthesize

ALL_BUCKETS = [*TIERS, "access-logs"]


def build(settings):
    def program():
        keys = EncryptionKeys("keys", settings, STACK)
        GenomicsDataLake("data", settings, STACK, keys.data)

    return synthesize(program, settings)


@pytest.fixture(scope="module")
def state():
    return build(make_settings(lifecycle={"alignments": {"standardIaAfterDays": 45}}))


def bucket_names(state):
    return {r.inputs["bucket"]: r for r in state.of_type("aws:s3/bucket:Bucket")}


def per_bucket(state, typ):
    """Sibling resource of each bucket, keyed by tier (from the bucket name)."""
    result = {}
    for resource in state.of_type(typ):
        bucket = resource.inputs["bucket"]
        tier = bucket.removeprefix(f"glz-{STACK}-").removesuffix(f"-{ACCOUNT}-us-east-1")
        assert tier not in result, f"two {typ} for {tier}"
        result[tier] = resource
    return result


def data_key_arn(state):
    key = next(r for r in state.of_type("aws:kms/key:Key") if r.inputs["tags"]["Purpose"] == "data")
    return key.outputs["arn"]


def test_one_bucket_per_tier_plus_access_logs(state):
    names = bucket_names(state)
    assert sorted(names) == sorted(f"glz-{STACK}-{t}-{ACCOUNT}-us-east-1" for t in ALL_BUCKETS)
    assert all(r.inputs["forceDestroy"] is False for r in names.values())


def test_sse_kms_with_data_key_and_bucket_keys(state):
    encryption = per_bucket(
        state, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert set(encryption) == set(ALL_BUCKETS)
    for tier, resource in encryption.items():
        (rule,) = resource.inputs["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms", tier
        assert default["kmsMasterKeyId"] == data_key_arn(state), tier
        assert rule["bucketKeyEnabled"] is True, tier


def test_versioning_enabled(state):
    versioning = per_bucket(state, "aws:s3/bucketVersioning:BucketVersioning")
    assert set(versioning) == set(ALL_BUCKETS)
    assert all(v.inputs["versioningConfiguration"]["status"] == "Enabled" for v in versioning.values())


def test_all_four_public_access_blocks(state):
    blocks = per_bucket(state, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert set(blocks) == set(ALL_BUCKETS)
    for block in blocks.values():
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            assert block.inputs[flag] is True, flag


def test_bucket_owner_enforced(state):
    ownership = per_bucket(state, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert set(ownership) == set(ALL_BUCKETS)
    assert all(o.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced" for o in ownership.values())


def statements(policy_resource):
    return {s["Sid"]: s for s in json.loads(policy_resource.inputs["policy"])["Statement"]}


def test_policies_deny_plain_http_and_unexpected_encryption(state):
    policies = per_bucket(state, "aws:s3/bucketPolicy:BucketPolicy")
    assert set(policies) == set(ALL_BUCKETS)
    for tier, policy in policies.items():
        sids = statements(policy)
        tls = sids["DenyInsecureTransport"]
        assert tls["Effect"] == "Deny" and tls["Action"] == "s3:*"
        assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert sids["DenyNonKmsEncryption"]["Condition"]["StringNotEqualsIfExists"] == {
            "s3:x-amz-server-side-encryption": "aws:kms"
        }
        assert sids["DenyOtherKmsKeys"]["Condition"]["StringNotEqualsIfExists"] == {
            "s3:x-amz-server-side-encryption-aws-kms-key-id": data_key_arn(state)
        }, tier


def test_policy_waits_for_public_access_block(state):
    policies = per_bucket(state, "aws:s3/bucketPolicy:BucketPolicy")
    blocks = per_bucket(state, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for tier, policy in policies.items():
        assert blocks[tier].urn in policy.dependencies


def test_log_bucket_accepts_only_this_landing_zones_access_logs(state):
    delivery = statements(per_bucket(state, "aws:s3/bucketPolicy:BucketPolicy")["access-logs"])[
        "AllowS3ServerAccessLogDelivery"
    ]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert len(delivery["Condition"]["ArnLike"]["aws:SourceArn"]) == len(TIERS) + 1  # + the audit bucket


def test_every_data_tier_logs_to_the_access_log_bucket(state):
    logging = per_bucket(state, "aws:s3/bucketLogging:BucketLogging")
    assert set(logging) == set(TIERS)  # the log bucket does not log into itself
    for tier, resource in logging.items():
        assert resource.inputs["targetBucket"] == f"glz-{STACK}-access-logs-{ACCOUNT}-us-east-1"
        assert resource.inputs["targetPrefix"] == f"{tier}/"


def rules(state):
    return {
        tier: {r["id"]: r for r in res.inputs["rules"]}
        for tier, res in per_bucket(state, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").items()
    }


def test_housekeeping_rules_on_every_bucket(state):
    for tier, by_id in rules(state).items():
        assert by_id["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
        noncurrent = by_id["expire-noncurrent-versions"]
        if tier in ("variants", "reference", "results"):  # precious: kept for the retention period, in Glacier IR
            assert noncurrent["noncurrentVersionExpiration"]["noncurrentDays"] == 2557, tier
            assert noncurrent["noncurrentVersionTransitions"] == [{"noncurrentDays": 30, "storageClass": "GLACIER_IR"}]
        else:
            assert noncurrent["noncurrentVersionExpiration"]["noncurrentDays"] == 90, tier
            assert not noncurrent.get("noncurrentVersionTransitions"), tier


def transitions(rule):
    return {t["storageClass"]: t["days"] for t in rule.get("transitions") or []}


def test_genomics_tiering(state):
    by_tier = rules(state)
    assert transitions(by_tier["bcl"]["tiering"]) == {"GLACIER": 30}
    assert by_tier["fastq"]["tiering"]["expiration"]["days"] == 90
    assert transitions(by_tier["alignments"]["tiering"]) == {"STANDARD_IA": 45}  # the configured interval
    assert "tiering" not in by_tier["variants"]  # VCF stays in Standard, never expires
    assert "tiering" not in by_tier["reference"]


def test_intervals_are_configurable():
    settings = make_settings(lifecycle={"bcl": {"glacierAfterDays": 7, "deepArchiveAfterDays": 120}})
    by_tier = rules(build(settings))
    assert transitions(by_tier["bcl"]["tiering"]) == {"GLACIER": 7, "DEEP_ARCHIVE": 120}


def test_run_tag_statement_scopes_reads_to_runs():
    statement = run_tag_read_statement(["arn:aws:s3:::b"], ["RUN-2", "RUN-1"], ["cohort/"])
    assert statement["Condition"] == {"StringEquals": {f"s3:ExistingObjectTag/{RUN_TAG_KEY}": ["RUN-1", "RUN-2"]}}
    assert statement["Resource"] == ["arn:aws:s3:::b/cohort/*"]
    assert set(statement["Action"]) == {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"}
    with pytest.raises(ValueError):
        run_tag_read_statement(["arn:aws:s3:::b"], ["RUN-*"])
    with pytest.raises(ValueError):
        run_tag_read_statement(["arn:aws:s3:::b"], [])
