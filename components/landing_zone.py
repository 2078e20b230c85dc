"""LandingZone: the whole environment for one stack, composed from the building blocks."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.data_lake import GenomicsDataLake
from components.encryption_keys import EncryptionKeys
from components.settings import PROJECT, Settings


def provider_for(settings: Settings, stack: str) -> aws.Provider:
    """An explicit provider pinned to the configured account and region.

    ``allowed_account_ids`` makes `pulumi up` refuse to run with credentials for any other
    account, and default tags label every resource with its stack and data classification.
    """
    tags = {
        "Project": PROJECT,
        "Stack": stack,
        "DataClassification": settings.classification,
        "ManagedBy": "pulumi",
        **settings.tags,
    }
    return aws.Provider(
        "aws",
        region=settings.region,
        allowed_account_ids=[settings.account_id],
        default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
    )


class LandingZone:
    """Builds every component in dependency order and collects the stack outputs."""

    def __init__(self, settings: Settings, stack: str):
        self.settings = settings
        self.stack = stack
        provider = provider_for(settings, stack)
        opts = pulumi.ResourceOptions(providers={"aws": provider})
        self.keys = EncryptionKeys("keys", settings, stack, opts=opts)
        self.data_lake = GenomicsDataLake("data", settings, stack, self.keys.data, opts=opts)

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "accountId": self.settings.account_id,
            "region": self.settings.region,
            "classification": self.settings.classification,
            "kmsKeys": {
                "data": self.keys.data.arn,
                "logs": self.keys.logs.arn,
                "compute": self.keys.compute.arn,
            },
            "dataBuckets": {tier: b.bucket.bucket for tier, b in self.data_lake.tiers.items()},
            "accessLogBucket": self.data_lake.access_logs.bucket.bucket,
        }
