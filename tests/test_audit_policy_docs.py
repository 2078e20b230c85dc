"""Policy documents are compared by meaning: the spellings IAM treats alike compare equal, any change to a
grant does not."""

from __future__ import annotations

import json
from urllib.parse import quote

from glz.audit import policy_docs

DECLARED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadInputs",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": ["arn:aws:s3:::fastq/*", "arn:aws:s3:::reference/*"],
        },
        {
            "Sid": "UseKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": "arn:aws:kms:us-east-1:111122223333:key/k",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"kms:ViaService": "s3"}},
        },
    ],
}


def test_spellings_iam_treats_alike_mean_the_same():
    respelled = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "KMS:decrypt",
                "Resource": ["arn:aws:kms:us-east-1:111122223333:key/k"],
                "Condition": {"StringEquals": {"KMS:ViaService": ["s3"]}, "Bool": {"aws:securetransport": True}},
            },
            {
                "Sid": "Renamed",
                "Effect": "Allow",
                "Action": ["s3:GetObjectVersion", "s3:GetObject", "s3:GetObject"],
                "Resource": ["arn:aws:s3:::reference/*", "arn:aws:s3:::fastq/*"],
            },
        ],
    }
    assert policy_docs.same_meaning(DECLARED, respelled)
    assert policy_docs.differences(DECLARED, respelled) == {}
    # A JSON string, and IAM's URL-encoded JSON as it travels on the wire, read the same as the dict.
    assert policy_docs.same_meaning(json.dumps(DECLARED), quote(json.dumps(respelled)))
    single = {"Version": "2012-10-17", "Statement": DECLARED["Statement"][0]}
    assert policy_docs.same_meaning(single, {**single, "Statement": [single["Statement"]]})


def test_a_bare_account_principal_means_its_root_arn():
    bare = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}]}
    root = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]}, "Action": "sts:AssumeRole"}
        ]
    }
    assert policy_docs.same_meaning(bare, root)


def test_every_change_to_a_grant_is_a_difference():
    def changed(edit) -> dict:
        document = json.loads(json.dumps(DECLARED))
        edit(document["Statement"])
        return policy_docs.differences(DECLARED, document)

    widened = changed(lambda s: s.append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    assert widened == {"adds": ["Allow s3:* on *"]}
    assert policy_docs.describe_differences(widened) == "adds Allow s3:* on *"
    assert changed(lambda s: s[0]["Resource"].append("arn:aws:s3:::results/*"))
    assert changed(lambda s: s[0].update(Effect="Deny"))
    assert changed(lambda s: s[1]["Condition"].pop("Bool"))
    assert changed(lambda s: s[1]["Condition"]["StringEquals"].update({"kms:ViaService": "ec2"}))
    assert changed(lambda s: s[0]["Resource"].__setitem__(0, "arn:aws:s3:::FASTQ/*"))  # ARNs are case-sensitive
    dropped = changed(lambda s: s.pop(0))
    assert dropped == {
        "drops": ["Allow s3:GetObject,s3:GetObjectVersion on arn:aws:s3:::fastq/*,arn:aws:s3:::reference/*"]
    }
    assert policy_docs.differences(DECLARED, {**DECLARED, "Version": "2008-10-17"}) == {
        "version": ["2008-10-17 (declared 2012-10-17)"]
    }
    assert not policy_docs.same_meaning(DECLARED, {})
