"""What the stack state declares, indexed the way the audit looks resources up in the account.

Everything the audit expects comes from here (names, ids, ARNs, settings), so the same audit works for
any stack of the project; a resource type the state does not declare is simply not checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from glz.audit import policy_docs
from glz.errors import UserInputError
from glz.state import Resource, SecretValue, StackState, decode_json

# Bucket settings are separate resources in pulumi-aws; the key names the check that reads them.
BUCKET_SETTING_TYPES = {
    "aws:s3/bucketServerSideEncryptionConfiguration": "encryption",
    "aws:s3/bucketVersioning": "versioning",
    "aws:s3/bucketPublicAccessBlock": "public_access_block",
    "aws:s3/bucketPolicy": "policy",
    "aws:s3/bucketLifecycleConfiguration": "lifecycle",
    "aws:s3/bucketLogging": "logging",
    "aws:s3/bucketOwnershipControls": "ownership",
    "aws:s3/bucketObjectLockConfiguration": "object_lock",
}


def _module_type(resource: Resource) -> str:
    """'aws:s3/bucketVersioningV2:BucketVersioningV2' -> 'aws:s3/bucketVersioning' (V1 and V2 alike)."""
    module = resource.type.rsplit(":", 1)[0]
    return module[:-2] if module.endswith("V2") else module


@dataclass(frozen=True)
class Declared:
    """One declared resource: the name or id to find it by in the account, and its state entry."""

    name: str
    resource: Resource

    @property
    def urn(self) -> str:
        return self.resource.urn

    def prop(self, key: str, default: Any = None) -> Any:
        return self.resource.prop(key, default)


@dataclass(frozen=True)
class DeclaredBucket:
    name: str
    resource: Resource
    settings: dict[str, Resource] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return self.resource.urn


@dataclass(frozen=True)
class DeclaredKey:
    key_id: str
    arn: str
    resource: Resource
    aliases: tuple[str, ...]

    @property
    def urn(self) -> str:
        return self.resource.urn


@dataclass(frozen=True)
class DeclaredRole:
    """A declared IAM role: people assume collaborator (cross-account) and operator (this account) roles; AWS
    services assume the others (kind "service": Batch jobs and instances, malware scans, log delivery...)."""

    name: str
    kind: str  # "collaborator" | "operator" | "service"
    resource: Resource
    trust: dict[str, Any] | None  # None when the state holds the trust policy only as a secret
    tags: dict[str, str]
    purpose: str = ""  # what the role is for (ROLE_PURPOSES values, or the kind); names the probes its checks verify
    # Inline policies by name -> document (None when the state holds the document only as a secret).
    inline_policies: dict[str, Any] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()  # ARNs of the managed policies attached to it

    @property
    def urn(self) -> str:
        return self.resource.urn


@dataclass(frozen=True)
class DeclaredPolicy:
    """A declared customer-managed IAM policy (aws:iam/policy:Policy), e.g. a collaborator's permissions boundary."""

    name: str
    arn: str
    resource: Resource
    document: dict[str, Any] | None  # None when the state holds the document only as a secret

    @property
    def urn(self) -> str:
        return self.resource.urn


@dataclass(frozen=True)
class DeclaredJobDefinition:
    """A declared AWS Batch job definition, by name; its container properties parsed from the state's JSON."""

    name: str
    resource: Resource
    container: dict[str, Any] | None  # None when not declared (or held only as a secret)

    @property
    def urn(self) -> str:
        return self.resource.urn

    def prop(self, key: str, default: Any = None) -> Any:
        return self.resource.prop(key, default)


@dataclass
class Expected:
    stack: str
    source: str
    account: str
    region: str
    egress: str
    buckets: list[DeclaredBucket]
    keys: list[DeclaredKey]
    trails: list[Declared]
    log_groups: list[Declared]
    vpcs: list[Declared]
    flow_logs: list[Declared]
    endpoints: list[Declared]
    default_security_groups: list[Declared]
    internet_gateways: list[Declared]
    nat_gateways: list[Declared]
    account_public_access_block: Declared | None
    ebs_encryption_by_default: Declared | None
    ebs_default_key: Declared | None
    config_recorders: list[Declared]
    recorder_statuses: list[Declared]
    delivery_channels: list[Declared]
    guardduty_detectors: list[Declared]
    guardduty_features: list[Declared]
    security_hub: Declared | None
    security_hub_standards: list[Declared]
    analyzers: list[Declared]
    password_policy: Declared | None
    roles: list[DeclaredRole]  # the human-assumable ones (collaborators, operators)
    compute_environments: list[Declared]
    launch_templates: dict[str, Declared]
    metric_filters: list[Declared] = field(default_factory=list)
    security_contacts: list[Declared] = field(default_factory=list)  # SECURITY alternate contacts
    network_acls: list[Declared] = field(default_factory=list)  # NetworkAcl and DefaultNetworkAcl, by ACL id
    alarms: list[Declared] = field(default_factory=list)
    alarm_topics: list[Declared] = field(default_factory=list)
    endpoint_security_groups: list[Declared] = field(default_factory=list)
    ingress_rules: list[Declared] = field(default_factory=list)
    file_systems: list[Declared] = field(default_factory=list)
    efs_backup_policies: list[Declared] = field(default_factory=list)
    inspector_enablers: list[Declared] = field(default_factory=list)
    malware_protection_plans: list[Declared] = field(default_factory=list)
    service_roles: list[DeclaredRole] = field(default_factory=list)  # every other declared role
    policies: list[DeclaredPolicy] = field(default_factory=list)  # customer-managed policies
    job_definitions: list[DeclaredJobDefinition] = field(default_factory=list)
    # accountServices keys the stack leaves to the organization: nothing declared, checked live on their own
    organization_services: list[str] = field(default_factory=list)
    state_sha256: str = ""  # StackState.sha256(): the control matrix of the same state records the same hash

    def aliases_of(self, key: Any) -> tuple[str, ...]:
        """The declared aliases of a declared key named by id or ARN (none for another key)."""
        wanted = str(key or "").rsplit("key/", 1)[-1]
        return next((k.aliases for k in self.keys if k.key_id == wanted), ())

    @property
    def data_event_buckets(self) -> dict[str, list[str]]:
        """Per trail name: the buckets whose object-level events its selectors declare."""
        return {t.name: declared_data_event_buckets(t.resource) for t in self.trails}


def _one(resources: list[Resource]) -> Resource | None:
    return resources[0] if resources else None


def _json_list(value: Any) -> list[str]:
    value = decode_json(value)
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value or []]


def _account_and_region(state: StackState) -> tuple[str, str]:
    outputs = state.stack_outputs()
    accounts: list[str] = []
    regions: list[str] = []
    for provider in state.of_type("pulumi:providers:aws"):
        accounts += _json_list(provider.prop("allowedAccountIds"))
        if provider.prop("region"):
            regions.append(str(provider.prop("region")))
    account = str(outputs.get("accountId") or "") or (accounts[0] if len(set(accounts)) == 1 else "")
    region = str(outputs.get("region") or "") or (regions[0] if regions else "")
    if not account:
        raise UserInputError(
            f"{state.source}: the state does not say which AWS account it was deployed to (no stack output "
            "'accountId' and no single aws provider 'allowedAccountIds'); the audit will not guess"
        )
    if not region:
        raise UserInputError(
            f"{state.source}: the state does not say which region it was deployed to (no stack output 'region' "
            "and no aws provider 'region')"
        )
    return account, region


def _physical(resource: Resource, *keys: str) -> str:
    for key in keys:
        value = resource.prop(key)
        if value and not isinstance(value, SecretValue):
            return str(value)
    return str(resource.id or resource.name)


def _declared(state: StackState, typ: str, *keys: str) -> list[Declared]:
    return [Declared(_physical(r, *keys), r) for r in state.of_type(typ)]


def _buckets(state: StackState) -> list[DeclaredBucket]:
    settings: dict[str, dict[str, Resource]] = {}
    for resource in state.resources:
        kind = BUCKET_SETTING_TYPES.get(_module_type(resource))
        if kind and resource.prop("bucket"):
            settings.setdefault(str(resource.prop("bucket")), {})[kind] = resource
    buckets = [r for r in state.resources if _module_type(r) == "aws:s3/bucket"]
    declared = []
    for bucket in buckets:
        name = _physical(bucket, "bucket")
        declared.append(DeclaredBucket(name, bucket, settings.get(name, {})))
    return declared


def _keys(state: StackState) -> list[DeclaredKey]:
    aliases: dict[str, list[str]] = {}
    for alias in state.of_type("aws:kms/alias:Alias"):
        target = str(alias.prop("targetKeyId") or "")
        aliases.setdefault(target.rsplit("/", 1)[-1], []).append(str(alias.prop("name") or alias.id))
    keys = []
    for key in state.of_type("aws:kms/key:Key"):
        key_id = str(key.outputs.get("keyId") or key.id or "")
        arn = str(key.outputs.get("arn") or key_id)
        keys.append(DeclaredKey(key_id, arn, key, tuple(sorted(aliases.get(key_id, [])))))
    return keys


# The service a role trusts -> what the role is for (a role's purpose names the probes its checks verify).
ROLE_PURPOSES = {
    "ecs-tasks.amazonaws.com": "batch-job",
    "ec2.amazonaws.com": "batch-instance",
    "batch.amazonaws.com": "batch-service",
    "malware-protection-plan.guardduty.amazonaws.com": "malware-scan",
    "vpc-flow-logs.amazonaws.com": "flow-logs",
    "cloudtrail.amazonaws.com": "cloudtrail-logs",
    "config.amazonaws.com": "config",
}
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"


def _role_name(value: Any) -> str:
    """A role reference ('name' or 'arn:aws:iam::a:role/path/name') -> the role name."""
    text = str(value or "")
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text


def _policy_document(value: Any) -> dict[str, Any] | None:
    """A declared policy document as a dict; None when the state holds it only as a secret."""
    if isinstance(value, SecretValue):
        return None
    document = decode_json(value)
    return document if isinstance(document, dict) else None


def _role_policy_name(policy: Resource, role: str) -> str:
    """The inline policy's name: its `name`, else its id (pulumi-aws ids are 'role:name'; an auto-named policy
    has the generated name as id)."""
    name = policy.prop("name")
    if name and not isinstance(name, SecretValue):
        return str(name)
    ident = str(policy.id or policy.name)
    return ident.split(":", 1)[1] if ident.startswith(f"{role}:") else ident


def _role_permissions(state: StackState) -> dict[str, tuple[dict[str, Any], set[str]]]:
    """Per role name: its declared inline policies (name -> document) and managed policy ARNs, from the
    stand-alone resources (RolePolicy, RolePolicyAttachment, PolicyAttachment)."""
    found: dict[str, tuple[dict[str, Any], set[str]]] = {}

    def of(role: str) -> tuple[dict[str, Any], set[str]]:
        return found.setdefault(role, ({}, set()))

    for policy in state.of_type(ROLE_POLICY):
        role = _role_name(policy.prop("role"))
        of(role)[0][_role_policy_name(policy, role)] = _policy_document(policy.prop("policy"))
    for attachment in state.of_type(ROLE_POLICY_ATTACHMENT):
        of(_role_name(attachment.prop("role")))[1].add(str(attachment.prop("policyArn")))
    for attachment in state.of_type(POLICY_ATTACHMENT):
        for role in attachment.prop("roles") or []:
            of(_role_name(role))[1].add(str(attachment.prop("policyArn")))
    return found


def _purpose(kind: str, tags: dict[str, str], trust: dict[str, Any] | None) -> str:
    if kind != "service":
        return kind
    if "MalwareScanTier" in tags:
        return "malware-scan"
    trusted = [p for s in policy_docs.statements(trust or {}) for p in policy_docs.principals(s)]
    services = [p.split(":", 1)[1] for p in trusted if p.startswith("Service:")]
    return next((ROLE_PURPOSES[s] for s in services if s in ROLE_PURPOSES), "service")


DEFAULT_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"


def _all_roles(state: StackState) -> list[DeclaredRole]:
    outputs = state.stack_outputs()
    collaborator_arns = set((outputs.get("collaboratorRoles") or {}).values())
    operator_arns = {outputs.get(k) for k in ("adminRoleArn", "auditorRoleArn", "supportRoleArn")} - {None}
    permissions = _role_permissions(state)
    roles = []
    for role in state.of_type("aws:iam/role:Role"):
        tags = {str(k): str(v) for k, v in (role.prop("tags") or {}).items()}
        arn = role.outputs.get("arn")
        if "Collaborator" in tags or arn in collaborator_arns:
            kind = "collaborator"
        elif "OperatorRole" in tags or arn in operator_arns:
            kind = "operator"
        else:
            kind = "service"
        name = _physical(role, "name")
        trust = _policy_document(role.prop("assumeRolePolicy"))
        inline, managed = permissions.get(name, ({}, set()))
        inline = dict(inline)
        # Policies declared on the role itself; a refreshed export may repeat the stand-alone ones here, and an
        # empty entry (no name) is the provider's placeholder for "none".
        for entry in role.prop("inlinePolicies") or []:
            if isinstance(entry, dict) and entry.get("name") and not isinstance(entry["name"], SecretValue):
                inline.setdefault(str(entry["name"]), _policy_document(entry.get("policy")))
        managed = managed | {str(a) for a in role.prop("managedPolicyArns") or [] if a}
        roles.append(
            DeclaredRole(
                name=name,
                kind=kind,
                resource=role,
                trust=trust,
                tags=tags,
                purpose=_purpose(kind, tags, trust),
                inline_policies=inline,
                managed_policies=tuple(sorted(managed)),
            )
        )
    return roles


def _policies(state: StackState, account: str) -> list[DeclaredPolicy]:
    policies = []
    for policy in state.of_type("aws:iam/policy:Policy"):
        name = _physical(policy, "name")
        arn = policy.outputs.get("arn") or policy.id
        if not (isinstance(arn, str) and arn.startswith("arn:")):
            path = str(policy.prop("path") or "/")
            arn = f"arn:aws:iam::{account}:policy{path}{name}"
        policies.append(DeclaredPolicy(name, str(arn), policy, _policy_document(policy.prop("policy"))))
    return policies


def _job_definitions(state: StackState) -> list[DeclaredJobDefinition]:
    definitions = []
    for definition in state.of_type("aws:batch/jobDefinition:JobDefinition"):
        container = definition.prop("containerProperties")
        container = None if isinstance(container, SecretValue) else decode_json(container)
        definitions.append(
            DeclaredJobDefinition(
                _physical(definition, "name"), definition, container if isinstance(container, dict) else None
            )
        )
    return definitions


ALARM_ACTION_KEYS = ("alarmActions", "okActions", "insufficientDataActions")
INGRESS_RULE_TYPES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)


def _alarm_topics(state: StackState, alarms: list[Declared]) -> list[Declared]:
    """The declared SNS topics that a declared alarm notifies (by ARN)."""
    actions = {str(a) for alarm in alarms for key in ALARM_ACTION_KEYS for a in alarm.prop(key) or []}
    topics = [Declared(_physical(t, "arn"), t) for t in state.of_type("aws:sns/topic:Topic")]
    return [t for t in topics if t.name in actions]


def _endpoint_security_groups(state: StackState) -> list[Declared]:
    """The declared security groups attached to interface VPC endpoints."""
    attached = {
        str(sg)
        for endpoint in state.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if endpoint.prop("vpcEndpointType", "Gateway") == "Interface"
        for sg in endpoint.prop("securityGroupIds") or []
    }
    groups = [Declared(_physical(g, "id"), g) for g in state.of_type("aws:ec2/securityGroup:SecurityGroup")]
    return [g for g in groups if g.name in attached]


def _ingress_rules(state: StackState) -> list[Declared]:
    """Stand-alone ingress rule resources, each under the id of the group it belongs to."""
    rules = []
    for typ in INGRESS_RULE_TYPES:
        for rule in state.of_type(typ):
            if typ.startswith("aws:ec2/") and rule.prop("type") != "ingress":
                continue
            rules.append(Declared(str(rule.prop("securityGroupId") or ""), rule))
    return rules


def declared_data_event_buckets(trail: Resource) -> list[str]:
    """Bucket names named by the trail's S3 object data-event selectors (advanced or basic)."""
    names: list[str] = []
    for selector in trail.prop("advancedEventSelectors") or []:
        fields = {f.get("field"): f for f in selector.get("fieldSelectors") or []}
        if "Data" not in (fields.get("eventCategory") or {}).get("equals", []):
            continue
        if "AWS::S3::Object" not in (fields.get("resources.type") or {}).get("equals", []):
            continue
        arn_field = fields.get("resources.ARN") or {}
        for value in [*arn_field.get("startsWiths", []), *arn_field.get("equals", [])]:
            names.append(bucket_of_arn(value))
    for selector in trail.prop("eventSelectors") or []:
        for data in selector.get("dataResources") or []:
            if data.get("type") == "AWS::S3::Object":
                names += [bucket_of_arn(v) for v in data.get("values") or []]
    return sorted({n for n in names if n})


def bucket_of_arn(value: str) -> str:
    """'arn:aws:s3:::bucket/prefix' -> 'bucket' ('' for the all-buckets ARN)."""
    return value.split(":::", 1)[-1].split("/", 1)[0] if ":::" in value else ""


MALWARE_PROTECTION_PLAN = "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan"


def _malware_protection_plans(state: StackState) -> list[Declared]:
    """Declared Malware Protection for S3 plans, each under the name of the bucket it protects (plan IDs are
    assigned by GuardDuty, and the audit finds a plan by its bucket)."""
    plans = []
    for plan in state.of_type(MALWARE_PROTECTION_PLAN):
        bucket = ((plan.prop("protectedResource") or {}).get("s3Bucket") or {}).get("bucketName")
        plans.append(Declared(str(bucket or plan.id or plan.name), plan))
    return plans


def _stack_name(state: StackState, stack: str) -> str:
    return stack or next((r.urn.split(":")[2] for r in state.resources if r.type == "pulumi:pulumi:Stack"), "")


def from_state(state: StackState, stack: str = "") -> Expected:
    """Read the declared landing zone out of a stack state (as `glz synth` or `pulumi stack export` wrote it)."""
    account, region = _account_and_region(state)
    outputs = state.stack_outputs()

    def of(typ: str, *keys: str) -> list[Declared]:
        return _declared(state, typ, *keys)

    def single(typ: str, *keys: str) -> Declared | None:
        found = of(typ, *keys)
        return found[0] if found else None

    launch_templates = {d.resource.id or d.name: d for d in of("aws:ec2/launchTemplate:LaunchTemplate", "name")}
    alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm", "name")
    roles = _all_roles(state)
    return Expected(
        stack=_stack_name(state, stack),
        source=state.source,
        account=account,
        region=region,
        egress=str(outputs.get("egress") or "none"),
        buckets=_buckets(state),
        keys=_keys(state),
        trails=of("aws:cloudtrail/trail:Trail", "name"),
        log_groups=of("aws:cloudwatch/logGroup:LogGroup", "name"),
        vpcs=[Declared(str(r.id), r) for r in state.of_type("aws:ec2/vpc:Vpc")],
        flow_logs=[Declared(str(r.id), r) for r in state.of_type("aws:ec2/flowLog:FlowLog")],
        endpoints=of("aws:ec2/vpcEndpoint:VpcEndpoint", "serviceName"),
        default_security_groups=[
            Declared(str(r.id), r) for r in state.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
        ],
        internet_gateways=[Declared(str(r.id), r) for r in state.of_type("aws:ec2/internetGateway:InternetGateway")],
        nat_gateways=[Declared(str(r.id), r) for r in state.of_type("aws:ec2/natGateway:NatGateway")],
        account_public_access_block=single("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"),
        ebs_encryption_by_default=single("aws:ebs/encryptionByDefault:EncryptionByDefault"),
        ebs_default_key=single("aws:ebs/defaultKmsKey:DefaultKmsKey"),
        config_recorders=of("aws:cfg/recorder:Recorder", "name"),
        recorder_statuses=of("aws:cfg/recorderStatus:RecorderStatus", "name"),
        delivery_channels=of("aws:cfg/deliveryChannel:DeliveryChannel", "name"),
        guardduty_detectors=[Declared(str(r.id), r) for r in state.of_type("aws:guardduty/detector:Detector")],
        guardduty_features=of("aws:guardduty/detectorFeature:DetectorFeature", "name"),
        security_hub=single("aws:securityhub/account:Account"),
        security_hub_standards=of("aws:securityhub/standardsSubscription:StandardsSubscription", "standardsArn"),
        analyzers=of("aws:accessanalyzer/analyzer:Analyzer", "analyzerName"),
        password_policy=single("aws:iam/accountPasswordPolicy:AccountPasswordPolicy"),
        roles=[r for r in roles if r.kind != "service"],
        compute_environments=of("aws:batch/computeEnvironment:ComputeEnvironment", "name", "computeEnvironmentName"),
        launch_templates=launch_templates,
        metric_filters=of("aws:cloudwatch/logMetricFilter:LogMetricFilter", "name"),
        network_acls=[
            Declared(str(r.prop("defaultNetworkAclId") or r.id), r)
            for r in [*state.of_type("aws:ec2/networkAcl:NetworkAcl"), *state.of_type(DEFAULT_ACL)]
        ],
        security_contacts=[
            d
            for d in of("aws:account/alternativeContact:AlternativeContact", "emailAddress")
            if d.prop("alternateContactType") == "SECURITY"
        ],
        alarms=alarms,
        alarm_topics=_alarm_topics(state, alarms),
        endpoint_security_groups=_endpoint_security_groups(state),
        ingress_rules=_ingress_rules(state),
        file_systems=[Declared(str(r.id), r) for r in state.of_type("aws:efs/fileSystem:FileSystem")],
        efs_backup_policies=of("aws:efs/backupPolicy:BackupPolicy", "fileSystemId"),
        inspector_enablers=[Declared(str(r.id), r) for r in state.of_type("aws:inspector2/enabler:Enabler")],
        malware_protection_plans=_malware_protection_plans(state),
        service_roles=[r for r in roles if r.kind == "service"],
        policies=_policies(state, account),
        job_definitions=_job_definitions(state),
        organization_services=[str(s) for s in outputs.get("organizationServices") or []],
        state_sha256=state.sha256(),
    )


def describe(expected: Expected) -> str:
    """One line for the report header: how much the state declares."""
    counts: Iterable[tuple[str, int]] = (
        ("buckets", len(expected.buckets)),
        ("keys", len(expected.keys)),
        ("trails", len(expected.trails)),
        ("endpoints", len(expected.endpoints)),
        ("roles", len(expected.roles) + len(expected.service_roles)),
        ("compute environments", len(expected.compute_environments)),
    )
    return ", ".join(f"{n} {what}" for what, n in counts)
