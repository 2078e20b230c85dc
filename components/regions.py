"""Availability zones per supported region, so zone counts can be checked before deployment.

Zone names are the ones every account sees in these regions (us-west-1 and ca-central-1 skip a
letter). A deployment still asks AWS for the zones it gets; this table only bounds the count.

Names map to different physical zones in each account; AZ IDs (``use1-az4``) are the same in every account
("AZ IDs for cross-account consistency", AWS RAM User Guide, "Availability Zone IDs for your AWS resources").
``availabilityZoneIds`` places subnets by ID; ``AZ_ID_PREFIX`` is the region part every ID of a region starts
with. Which IDs offer F2 or an endpoint service AWS publishes only through its APIs
(DescribeInstanceTypeOfferings with LocationType availability-zone-id, DescribeVpcEndpointServices), not as
a document, so `glz preflight` reads them from the account instead of a table here.
"""

REGION_ZONES: dict[str, list[str]] = {
    "us-east-1": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
    "us-east-2": ["us-east-2a", "us-east-2b", "us-east-2c"],
    "us-west-1": ["us-west-1a", "us-west-1c"],
    "us-west-2": ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
    "ca-central-1": ["ca-central-1a", "ca-central-1b", "ca-central-1d"],
    "eu-west-1": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    "eu-west-2": ["eu-west-2a", "eu-west-2b", "eu-west-2c"],
    "eu-central-1": ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
    "ap-northeast-1": ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"],
    "ap-southeast-2": ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"],
    "us-gov-west-1": ["us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"],
    "us-gov-east-1": ["us-gov-east-1a", "us-gov-east-1b", "us-gov-east-1c"],
}

AZ_ID_PREFIX: dict[str, str] = {
    "us-east-1": "use1",
    "us-east-2": "use2",
    "us-west-1": "usw1",
    "us-west-2": "usw2",
    "ca-central-1": "cac1",
    "eu-west-1": "euw1",
    "eu-west-2": "euw2",
    "eu-central-1": "euc1",
    "ap-northeast-1": "apne1",
    "ap-southeast-2": "apse2",
    "us-gov-west-1": "usgw1",
    "us-gov-east-1": "usge1",
}


FIPS_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "us-gov-west-1",
    "us-gov-east-1",
)
"""Regions with FIPS 140-validated service endpoints: US East/West, GovCloud (US) and Canada (Central) (AWS
General Reference, "FIPS endpoints"; https://aws.amazon.com/compliance/fips/, "FIPS endpoints by service")."""


AMAZON_TIME_SYNC = "169.254.169.123"
"""The Amazon Time Sync Service's IPv4 address in every VPC ("Set the time reference on your EC2 instance to use
the local Amazon Time Sync Service", Amazon EC2 User Guide)."""


def default_domain_name(region: str) -> str:
    """The domain name of the region's default DHCP option set: ec2.internal in us-east-1, else
    <region>.compute.internal ("DHCP option set concepts", Amazon VPC User Guide; EC2 instance hostnames)."""
    return "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
