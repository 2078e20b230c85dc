"""Pure documents for instrument uploads through IAM Roles Anywhere (components/intake).

AWS facts relied on (IAM Roles Anywhere User Guide, "Trust model" and "Trust policy"):
- A role Roles Anywhere may assume trusts the service principal rolesanywhere.amazonaws.com for sts:AssumeRole,
  sts:TagSession and sts:SetSourceIdentity; ``aws:SourceArn`` (ArnEquals) names the trust anchor, so a certificate
  of another anchor in the account (another CA) cannot assume it, and the certificate's subject arrives as the
  session tag ``aws:PrincipalTag/x509Subject/CN``.
- The session lasts the profile's durationSeconds; a role whose MaxSessionDuration is shorter refuses the session.
- Revocation works only through CRLs imported for the anchor (ImportCrl; CRL distribution points and OCSP are not
  called). The CloudFormation type AWS::RolesAnywhere::CRL imports one; pulumi-aws has no resource of its own for
  it, so the stack creates it through the Cloud Control API (aws.cloudcontrol.Resource).
- Uploads: s3:PutObject covers PutObject and the multipart calls (CreateMultipartUpload, UploadPart,
  CompleteMultipartUpload; Amazon S3 User Guide, "Policy actions for Amazon S3"). The bucket's default encryption
  (SSE-KMS with the data key) encrypts them and its policy refuses any other encryption header, so the role's
  policy requires no header: UploadPart requests carry none, and a condition on one would refuse every multipart
  upload. A multipart upload with SSE-KMS needs kms:GenerateDataKey and kms:Decrypt on the key (Amazon S3 User
  Guide, "Multipart upload and permissions"), here only through S3.
"""

from __future__ import annotations

from typing import Any

from components.policy_document import Statement, document

ROLES_ANYWHERE = "rolesanywhere.amazonaws.com"
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")
CN_TAG = "aws:PrincipalTag/x509Subject/CN"
CRL_TYPE = "AWS::RolesAnywhere::CRL"


def instrument_role_suffix(name: str) -> str:
    """naming.role_name suffix of an instrument's role."""
    return f"instrument-{name}"


def instrument_prefix(name: str) -> str:
    """Where an instrument's run folders go in its tier: <instrument>/<run id>/... (components/run_workflow reads
    the run id from that layout)."""
    return f"{name}/"


def instrument_trust_policy(trust_anchor_arn: str, common_name: str) -> dict[str, Any]:
    """Only a certificate of this anchor's CA whose subject CN is the instrument's may assume the role."""
    return document(
        [
            {
                "Sid": "InstrumentCertificateOfThisAnchor",
                "Effect": "Allow",
                "Principal": {"Service": ROLES_ANYWHERE},
                "Action": list(ASSUME_ACTIONS),
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": trust_anchor_arn},
                    "StringEquals": {CN_TAG: common_name},
                },
            }
        ]
    )


def instrument_upload_policy(
    bucket_arn: str,
    prefix: str,
    data_key_arn: str,
    region: str,
    source_ips: list[str],
    s3_interface_endpoint_id: str | None = None,
) -> dict[str, Any]:
    """Put objects under the instrument's prefix, encrypted with the data key; nothing else (no read, list,
    delete or tagging), from the lab's addresses when they are given. With the lab's private path, only through
    the S3 interface endpoint: requests through a VPC endpoint carry aws:SourceVpce and aws:VpcSourceIp, not
    aws:SourceIp (IAM User Guide, global condition keys)."""
    network: dict[str, Any] = {"IpAddress": {"aws:SourceIp": list(source_ips)}} if source_ips else {}
    if s3_interface_endpoint_id:
        network = {"StringEquals": {"aws:SourceVpce": s3_interface_endpoint_id}}
        if source_ips:
            network["IpAddress"] = {"aws:VpcSourceIp": list(source_ips)}
    statements: list[Statement] = [
        {
            "Sid": "PutRunFilesUnderOwnPrefix",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{prefix}*",
            **({"Condition": network} if network else {}),
        },
        {
            "Sid": "EncryptWithDataKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": data_key_arn,
            # no network condition here: S3 calls KMS for the upload in the caller's name (forward access
            # sessions), where the caller's addresses and endpoint are not the request's; kms:ViaService limits the
            # key to those S3 calls, which the statement above already bounds
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        },
    ]
    return document(statements)
