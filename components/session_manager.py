"""Session Manager preferences: every shell session on a Batch host (whose scratch holds PHI) is streamed to
an encrypted log group kept as long as the audit logs.

The hosts run the SSM Agent anyway (AmazonSSMManagedInstanceCore: Session Manager for troubleshooting, and
Amazon Inspector's agent-based EC2 scanning). Session Manager reads its account-wide preferences from the
Session document named SSM-SessionManagerRunShell (Systems Manager User Guide, "Session document schema";
the console's Preferences page writes the same document), so it is one per account and region:
``compute.sessionPreferences: existing`` leaves a document someone else manages alone (the gate's GLZ-CMP-017
then asks for a suppression naming who keeps sessions logged).

The SSM Agent writes the session log with the instance profile's credentials, so the instance role gets
exactly the log-stream writes on this group, plus logs:DescribeLogGroups, which the agent uses to check that
the group is encrypted when cloudWatchEncryptionEnabled is true.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import pulumi
import pulumi_aws as aws

from components.monitoring import audit_log_group
from components.naming import base_name
from components.policy_document import Statement
from components.settings import Settings

PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
MAX_SESSION_MINUTES = "60"


def notice_command(notice: str) -> str:
    """The Linux shell-profile command that prints the system use notice when a session starts (Session document
    schema: shellProfile runs its commands at the start of each session; "Configure shell profiles")."""
    return f"printf '%s\\n' {shlex.quote(notice)}"


def preferences(log_group_name: str, session_key_arn: str, idle_minutes: int, notice: str) -> dict[str, Any]:
    """The Session document content: CloudWatch Logs, encrypted and streamed; no S3 copy (the audit bucket
    accepts records only from the delivering services), no run-as, bounded sessions, and the session data
    itself encrypted with ``session_key_arn`` on top of TLS (Systems Manager User Guide, "Enable KMS key
    encryption of session data": the user starting a session needs kms:GenerateDataKey on the key, the
    instance kms:Decrypt). The compute key serves: the instance role already decrypts with it for EBS.
    A session idle for ``idle_minutes`` ends (idleSessionTimeout, 1-60), and each one starts by printing the
    system use notice."""
    return {
        "schemaVersion": "1.0",
        "description": "Session Manager preferences (genomics landing zone): every session logged, encrypted",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": "",
            "s3KeyPrefix": "",
            "s3EncryptionEnabled": True,
            "cloudWatchLogGroupName": log_group_name,
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": True,
            "kmsKeyId": session_key_arn,
            "runAsEnabled": False,
            "runAsDefaultUser": "",
            "idleSessionTimeout": str(idle_minutes),
            "maxSessionDuration": MAX_SESSION_MINUTES,
            "shellProfile": {"windows": "", "linux": notice_command(notice)},
        },
    }


def instance_statements(log_group_arn: str) -> list[Statement]:
    """What the SSM Agent on a host needs to stream session output to the group."""
    return [
        {
            "Sid": "StreamSessionLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
        },
        {"Sid": "CheckSessionLogEncryption", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
    ]


class SessionLogging(pulumi.ComponentResource):
    """The encrypted session log group and, unless compute.sessionPreferences is ``existing``, the preferences
    document pointing every session at it."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        log_key_arn: pulumi.Input[str],
        session_key_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("glz:compute:SessionLogging", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # what people typed on hosts holding PHI: kept like the audit logs
        self.log_group = audit_log_group(
            f"{name}-sessions", f"/aws/ssm/{base_name(settings, stack, 'sessions')}", settings, log_key_arn, child
        )
        self.document = None
        if settings.compute.session_preferences == "create":
            self.document = aws.ssm.Document(
                f"{name}-preferences",
                name=PREFERENCES_DOCUMENT,
                document_type="Session",
                document_format="JSON",
                content=pulumi.Output.all(self.log_group.name, session_key_arn).apply(
                    lambda args: json.dumps(
                        preferences(
                            args[0], args[1], settings.compute.session_idle_minutes, settings.system_use_notice
                        ),
                        sort_keys=True,
                    )
                ),
                opts=child,
            )
        self.register_outputs({"sessionLogGroup": self.log_group.name})
