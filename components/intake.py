"""InstrumentIntake: sequencers upload their runs with certificates, not people's credentials (issue 16).

IAM Roles Anywhere exchanges an instrument's X.509 certificate, issued by the organization's CA, for a one-hour
session of the instrument's own role. Resources: the trust anchor holding the CA certificate, the CA's CRL
imported for revocation (AWS::RolesAnywhere::CRL through the Cloud Control API), a profile vending sessions of at
most ``intake.sessionSeconds``, and per instrument a role whose trust names the anchor and the certificate's CN
and whose only permission is to put objects under ``<instrument>/`` of its scanned intake tier
(components/intake_policies holds the documents and the AWS facts they rely on).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components import intake_policies
from components.naming import base_name, role_name
from components.settings import Settings


class InstrumentIntake(pulumi.ComponentResource):
    """Attributes: ``trust_anchor``, ``crl``, ``profile``, ``roles`` and ``role_policies`` (instrument name ->)."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        bucket_arns: Mapping[str, pulumi.Input[str]],
        data_key_arn: pulumi.Input[str],
        s3_interface_endpoint_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``s3_interface_endpoint_id``: with a private path from the lab (onPremises), uploads must arrive
        through that S3 interface endpoint."""
        super().__init__("glz:intake:InstrumentIntake", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        intake = settings.intake
        if not intake.instruments or not intake.ca_certificate or not intake.crl:
            raise ValueError("InstrumentIntake needs intake.instruments, intake.caCertificate and intake.crl")
        self.trust_anchor = aws.rolesanywhere.TrustAnchor(
            f"{name}-trust-anchor",
            name=base_name(settings, stack, "instruments"),
            enabled=True,
            source=aws.rolesanywhere.TrustAnchorSourceArgs(
                source_type="CERTIFICATE_BUNDLE",
                source_data=aws.rolesanywhere.TrustAnchorSourceSourceDataArgs(
                    x509_certificate_data=intake.ca_certificate.strip() + "\n"
                ),
            ),
            opts=child,
        )
        crl_pem = intake.crl.strip() + "\n"
        self.crl = aws.cloudcontrol.Resource(
            f"{name}-crl",
            type_name=intake_policies.CRL_TYPE,
            desired_state=self.trust_anchor.arn.apply(
                lambda anchor: json.dumps(
                    {
                        "Name": base_name(settings, stack, "instruments-crl"),
                        "CrlData": crl_pem,
                        "TrustAnchorArn": anchor,
                        "Enabled": True,
                    },
                    sort_keys=True,
                )
            ),
            opts=child,
        )
        self.roles: dict[str, aws.iam.Role] = {}
        self.role_policies: dict[str, aws.iam.RolePolicy] = {}
        for instrument in intake.instruments:
            tier = settings.instrument_tier(instrument)
            role = self.roles[instrument.name] = aws.iam.Role(
                f"{name}-{instrument.name}",
                name=role_name(settings, stack, intake_policies.instrument_role_suffix(instrument.name)),
                description=f"Instrument {instrument.name} (certificate CN {instrument.common_name}): puts its runs "
                f"under {intake_policies.instrument_prefix(instrument.name)} of the {tier} tier",
                assume_role_policy=self.trust_anchor.arn.apply(
                    lambda anchor, cn=instrument.common_name: json.dumps(
                        intake_policies.instrument_trust_policy(anchor, cn), sort_keys=True
                    )
                ),
                max_session_duration=3600,  # IAM minimum; the profile vends at most intake.sessionSeconds (<= 3600)
                opts=child,
            )
            self.role_policies[instrument.name] = aws.iam.RolePolicy(
                f"{name}-{instrument.name}-policy",
                role=role.id,
                policy=pulumi.Output.all(bucket_arns[tier], data_key_arn, s3_interface_endpoint_id).apply(
                    lambda args, instrument=instrument: json.dumps(
                        intake_policies.instrument_upload_policy(
                            args[0],
                            intake_policies.instrument_prefix(instrument.name),
                            args[1],
                            settings.region,
                            list(instrument.source_ips),
                            args[2],
                        ),
                        sort_keys=True,
                    )
                ),
                opts=child,
            )
        self.profile = aws.rolesanywhere.Profile(
            f"{name}-profile",
            name=base_name(settings, stack, "instruments"),
            enabled=True,
            duration_seconds=intake.session_seconds,
            role_arns=[role.arn for role in self.roles.values()],
            opts=child,
        )
        self.register_outputs(
            {
                "trustAnchorArn": self.trust_anchor.arn,
                "profileArn": self.profile.arn,
                "instrumentRoles": {n: r.arn for n, r in self.roles.items()},
            }
        )
