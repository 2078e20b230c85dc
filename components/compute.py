"""GenomicsCompute: AWS Batch for container pipelines (alignment, variant calling), on spot and
on-demand EC2, plus an optional FPGA (EC2 F2) environment for accelerated pipelines.

Instances run in private subnets with no public IP, IMDSv2 only, EBS encrypted with the compute
key, and a security group with no ingress whose egress reaches only the VPC endpoints (and EFS).
Each pipeline stage gets a job role that reads its input tiers and writes its output tier, nothing more.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components import compute_policies, naming, network_policies, session_manager
from components.compute_policies import (
    INSTANCE_MANAGED_POLICIES,
    INSTANCE_ROLE_SUFFIX,
    JOB_QUEUE_OF_STAGE_QUEUE,
    SCRATCH_DEVICE,
    JobSpec,
    job_specs,
)
from components.monitoring import audit_log_group
from components.naming import base_name, role_arn, role_name
from components.reference_data import ReferenceData
from components.session_manager import SessionLogging
from components.settings import F2_TYPES, Settings

IMAGE_TYPE = "ECS_AL2023"
GPU_IMAGE_TYPE = "ECS_AL2023_NVIDIA"
"""The ECS-optimized Amazon Linux 2023 NVIDIA image (Ec2Configuration.imageType, AWS Batch API Reference)."""
ROOT_DEVICE = "/dev/xvda"  # root device of the ECS-optimized Amazon Linux 2023 AMI
HTTPS_PORT = 443
NFS_PORT = 2049
QUEUE_PRIORITY = {"high-priority": 100, "fpga": 50, "gpu": 50, "default": 10}

# A spot reclaim or a failed host shows as "Host EC2 (instance i-...) terminated."; those attempts
# are retried, any other failure (a pipeline error) exits at once instead of burning attempts.
EVALUATE_ON_EXIT = (
    {"action": "RETRY", "on_status_reason": "Host EC2*"},
    {"action": "EXIT", "on_reason": "*"},
)


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True)


def required_tiers(settings: Settings) -> set[str]:
    """Tiers whose bucket ARNs the compute needs: the reference tier (instances) and every job's tiers."""
    return {"reference"} | {t for spec in job_specs(settings) for t in (*spec.reads, *spec.writes)}


def check_inputs(settings: Settings, bucket_arns: dict[str, Any]) -> None:
    """Fail before anything is registered; settings validation catches these first for stack files,
    this guards programs that build Settings some other way."""
    problems = []
    if not settings.stages:
        problems.append("no pipeline stages: set pipeline.stages, or compute.images for the two default stages")
    missing = sorted(required_tiers(settings) - set(bucket_arns))
    if missing:
        problems.append(f"bucket_arns lacks tier(s) {missing}")
    if settings.fpga.enabled:
        not_f2 = [t for t in settings.fpga.instance_types if t not in F2_TYPES]
        if not settings.fpga.instance_types or not_f2:
            problems.append(
                f"fpga.instanceTypes {not_f2 or '[]'}: only F2 types are allowed ({', '.join(F2_TYPES)}); "
                "EC2 F1 was retired on 2025-12-20"
            )
        if not settings.fpga.ami_id:
            problems.append("fpga.amiId is required when fpga.enabled is true")
    if problems:
        raise ValueError("GenomicsCompute: " + "; ".join(problems))


def environment_keys(settings: Settings) -> list[str]:
    """The Batch compute environments (and, one each, job queues) the stack creates; `glz preflight` counts
    them against Batch's fixed per-region limits."""
    return [
        "on-demand",
        "spot",
        *(["fpga"] if settings.fpga.enabled else []),
        *(["gpu"] if settings.gpu.enabled else []),
    ]


class GenomicsCompute(pulumi.ComponentResource):
    """Batch compute environments (on-demand, spot, optional FPGA), job queues, job definitions,
    their IAM roles, launch template, security group and encrypted job log group.

    With ``settings.reference_data.efs`` the component also builds the ReferenceData file system
    (it needs the compute security group, and the job definitions need its IDs) and mounts it
    read-only in every job at /reference.
    """

    launch_template: aws.ec2.LaunchTemplate
    instance_role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile
    security_group: aws.ec2.SecurityGroup
    job_log_group: aws.cloudwatch.LogGroup
    reference_data: ReferenceData | None

    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        vpc_id: pulumi.Input[str],
        vpc_cidr: str,
        subnet_ids: list[pulumi.Input[str]],
        s3_prefix_list_id: pulumi.Input[str] | None,
        compute_key: aws.kms.Key,
        data_key_arn: pulumi.Input[str],
        log_key_arn: pulumi.Input[str],
        bucket_arns: dict[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        check_inputs(settings, bucket_arns)
        if not subnet_ids:
            raise ValueError("GenomicsCompute: subnet_ids must list at least one private subnet")
        super().__init__("glz:compute:GenomicsCompute", name, None, opts)
        self._settings = settings
        self._stack = stack
        self._child = pulumi.ResourceOptions(parent=self)

        self._security_group(name, vpc_id, vpc_cidr, s3_prefix_list_id)
        # Job logs can carry sample identifiers (PHI) and are evidence of what ran on which data:
        # keep them as long as the audit logs (HIPAA: 6 years for phi stacks).
        self.job_log_group = audit_log_group(
            f"{name}-jobs", f"/aws/batch/{base_name(settings, stack, 'jobs')}", settings, log_key_arn, self._child
        )
        self._launch_template(name, compute_key)
        self.sessions = SessionLogging(
            f"{name}-session-manager",
            settings,
            stack,
            log_key_arn=log_key_arn,
            session_key_arn=compute_key.arn,
            opts=self._child,
        )
        self._instance_role(name, compute_key)

        self.reference_data = None
        if settings.reference_data.efs:
            self.reference_data = ReferenceData(
                f"{name}-reference",
                settings,
                stack,
                vpc_id=vpc_id,
                subnet_ids=subnet_ids,
                compute_security_group_id=self.security_group.id,
                data_key_arn=data_key_arn,
                loader_role_arn=(
                    role_arn(settings, stack, compute_policies.REFERENCE_LOADER.role_suffix)
                    if settings.reference_data.loader_image
                    else None
                ),
                opts=self._child,
            )

        self._compute_environments(name, subnet_ids)
        self._job_queues(name)
        self._jobs(name, data_key_arn, bucket_arns)
        self.reference_loader: aws.batch.JobDefinition | None = None
        if self.reference_data is not None and self.reference_data.loader_access_point is not None:
            self._reference_loader(name, data_key_arn, bucket_arns)
        self.register_outputs(
            {
                "computeEnvironments": {k: ce.arn for k, ce in self.compute_environments.items()},
                "jobQueues": {k: q.arn for k, q in self.job_queues.items()},
                "jobDefinitions": {k: d.arn for k, d in self.job_definitions.items()},
                "jobLogGroup": self.job_log_group.name,
                "securityGroupId": self.security_group.id,
                # The settings the policy gate needs to tell an allowed choice from a weakening
                # (GLZ-CMP-006: other registries; GLZ-CMP-010: AMI overrides), recorded by the component
                # that applies them rather than tagged onto the resources themselves.
                "allowedRegistries": list(settings.compute.allowed_registries),
                "approvedAmiIds": [settings.fpga.ami_id] if settings.fpga.enabled and settings.fpga.ami_id else [],
            }
        )

    # ---- network ---------------------------------------------------------------------------------

    def _security_group(
        self, name: str, vpc_id: pulumi.Input[str], vpc_cidr: str, s3_prefix_list_id: pulumi.Input[str] | None
    ) -> None:
        """No ingress at all (Session Manager replaces SSH); egress only HTTPS to the interface
        endpoints in the VPC and to S3 through its gateway endpoint, plus NFS when EFS is on.
        DNS, instance metadata and time sync are link-local and not subject to security groups."""
        settings, stack = self._settings, self._stack
        group_name = base_name(settings, stack, "batch-compute")
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=group_name,
            description="AWS Batch instances: no ingress; egress to VPC endpoints only",
            vpc_id=vpc_id,
            tags={"Name": group_name},
            opts=self._child,
        )
        rules: list[tuple[str, dict[str, Any]]] = [
            (
                "https-to-vpc-endpoints",
                {"port": HTTPS_PORT, "cidr_ipv4": vpc_cidr, "description": "HTTPS to interface VPC endpoints"},
            )
        ]
        if s3_prefix_list_id is not None:
            rules.append(
                (
                    "https-to-s3",
                    {
                        "port": HTTPS_PORT,
                        "prefix_list_id": s3_prefix_list_id,
                        "description": "HTTPS to S3 through the gateway endpoint (data tiers, ECR layers)",
                    },
                )
            )
        if settings.reference_data.efs:
            rules.append(
                (
                    "nfs-to-vpc",
                    {"port": NFS_PORT, "cidr_ipv4": vpc_cidr, "description": "NFS to the reference EFS mount targets"},
                )
            )
        self.egress_rules: dict[str, aws.vpc.SecurityGroupEgressRule] = {}
        for key, rule in rules:
            port = rule.pop("port")
            self.egress_rules[key] = aws.vpc.SecurityGroupEgressRule(
                f"{name}-sg-{key}",
                security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                opts=self._child,
                **rule,
            )

    # ---- instances -------------------------------------------------------------------------------

    def _launch_template(self, name: str, compute_key: aws.kms.Key) -> None:
        """IMDSv2 only, hop limit 1 so containers cannot reach the instance role (they get task-role
        credentials from ECS); root and scratch gp3 volumes encrypted with the compute key. No network interfaces here: Batch sets
        subnets and security groups from the compute environment, and the private subnets assign
        no public IP (a launch template network interface conflicts with Batch's own). The FPGA environment
        gets its own template: its AMI has its own root device, and /scratch is the F2 instance store."""
        settings = self._settings
        self.launch_template = self._hardened_template(
            f"{name}-launch-template",
            "batch",
            "AWS Batch instances: IMDSv2, encrypted gp3 root and scratch volumes",
            [(ROOT_DEVICE, settings.compute.root_volume_gib), (SCRATCH_DEVICE, settings.compute.scratch_volume_gib)],
            compute_policies.user_data(),
            compute_key,
        )
        self.fpga_launch_template: aws.ec2.LaunchTemplate | None = None
        if settings.fpga.enabled:
            self.fpga_launch_template = self._hardened_template(
                f"{name}-fpga-launch-template",
                "batch-fpga",
                "AWS Batch F2 instances: IMDSv2, encrypted gp3 root volume, scratch on the NVMe instance store",
                [(settings.fpga.root_device_name, settings.compute.root_volume_gib)],
                compute_policies.user_data(compute_policies.INSTANCE_STORE_SCRIPT),
                compute_key,
            )

    def _hardened_template(
        self,
        resource_name: str,
        suffix: str,
        description: str,
        volumes: list[tuple[str, int]],
        user_data: str,
        compute_key: aws.kms.Key,
    ) -> aws.ec2.LaunchTemplate:
        settings, stack = self._settings, self._stack
        physical = base_name(settings, stack, suffix)
        volume_tags = {"Name": f"{physical}-volume", "DataClassification": settings.classification}

        def volume(device: str, size: int) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
            return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=device,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_type="gp3",
                    volume_size=size,
                    encrypted="true",
                    kms_key_id=compute_key.arn,
                    delete_on_termination="true",
                ),
            )

        return aws.ec2.LaunchTemplate(
            resource_name,
            name=physical,
            description=description,
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,  # containers get task-role credentials from ECS, never the instance role
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[volume(device, size) for device, size in volumes],
            user_data=user_data,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="volume", tags=volume_tags),
            ],
            opts=self._child,
        )

    def _instance_role(self, name: str, compute_key: aws.kms.Key) -> None:
        settings, stack = self._settings, self._stack
        physical = role_name(settings, stack, INSTANCE_ROLE_SUFFIX)
        self.instance_role = aws.iam.Role(
            f"{name}-instance-role",
            name=physical,
            description="AWS Batch container instances (ECS agent, Session Manager, EBS key; no data)",
            assume_role_policy=_json(compute_policies.ec2_trust_policy()),
            opts=self._child,
        )
        self.instance_role_attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-instance-role-{policy.rsplit('/', 1)[-1]}",
                role=self.instance_role.name,
                policy_arn=f"arn:{settings.partition}:iam::aws:policy/{policy}",
                opts=self._child,
            )
            for policy in INSTANCE_MANAGED_POLICIES
        ]
        self.instance_role_policy = aws.iam.RolePolicy(
            f"{name}-instance-role-policy",
            role=self.instance_role.name,
            policy=pulumi.Output.all(
                log_group_arn=self.job_log_group.arn,
                compute_key_arn=compute_key.arn,
                session_log_group_arn=self.sessions.log_group.arn,
            ).apply(
                lambda args: _json(
                    compute_policies.instance_role_policy(
                        log_group_arn=args["log_group_arn"],
                        compute_key_arn=args["compute_key_arn"],
                        session_statements=session_manager.instance_statements(args["session_log_group_arn"]),
                    )
                )
            ),
            opts=self._child,
        )
        self.instance_profile = aws.iam.InstanceProfile(
            f"{name}-instance-profile",
            name=physical,
            role=self.instance_role.name,
            opts=self._child,
        )

    # ---- Batch -----------------------------------------------------------------------------------

    def _compute_environment(
        self,
        key: str,
        name: str,
        subnet_ids: list[pulumi.Input[str]],
        *,
        type_: str,
        allocation_strategy: str,
        max_vcpus: int,
        instance_types: list[str],
        image_id_override: str | None = None,
        placement_group: pulumi.Input[str] | None = None,
        template: aws.ec2.LaunchTemplate | None = None,
        image_type: str = IMAGE_TYPE,
    ) -> aws.batch.ComputeEnvironment:
        """A managed EC2 environment. ``service_role`` is omitted on purpose: Batch then uses its
        service-linked role AWSServiceRoleForBatch, which also enables in-place infrastructure updates."""
        settings, stack = self._settings, self._stack
        physical = base_name(settings, stack, f"batch-{key}")
        template = template or self.launch_template
        return aws.batch.ComputeEnvironment(
            f"{name}-{key}",
            name=physical,
            type="MANAGED",
            state="ENABLED",
            compute_resources=aws.batch.ComputeEnvironmentComputeResourcesArgs(
                type=type_,
                allocation_strategy=allocation_strategy,
                min_vcpus=0,  # scale to zero when the queues are empty
                max_vcpus=max_vcpus,
                instance_types=instance_types,
                subnets=subnet_ids,
                security_group_ids=[self.security_group.id],
                instance_role=self.instance_profile.arn,
                launch_template=aws.batch.ComputeEnvironmentComputeResourcesLaunchTemplateArgs(
                    launch_template_id=template.id,
                    version=template.latest_version.apply(str),
                ),
                ec2_configurations=[
                    aws.batch.ComputeEnvironmentComputeResourcesEc2ConfigurationArgs(
                        image_type=image_type, image_id_override=image_id_override
                    )
                ],
                placement_group=placement_group,
                tags={"Name": physical, "DataClassification": settings.classification},
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                # An environment created before its instance role can use the compute key goes INVALID.
                depends_on=[*self.instance_role_attachments, self.instance_role_policy],
            ),
        )

    def _compute_environments(self, name: str, subnet_ids: list[pulumi.Input[str]]) -> None:
        settings = self._settings
        compute = settings.compute
        self.compute_environments: dict[str, aws.batch.ComputeEnvironment] = {
            "on-demand": self._compute_environment(
                "on-demand",
                name,
                subnet_ids,
                type_="EC2",
                allocation_strategy="BEST_FIT_PROGRESSIVE",
                max_vcpus=compute.on_demand_max_vcpus,
                instance_types=list(compute.instance_types),
            ),
            "spot": self._compute_environment(
                "spot",
                name,
                subnet_ids,
                type_="SPOT",
                allocation_strategy="SPOT_PRICE_CAPACITY_OPTIMIZED",
                max_vcpus=compute.spot_max_vcpus,
                instance_types=list(compute.instance_types),
            ),
        }
        self.placement_group: aws.ec2.PlacementGroup | None = None
        if settings.fpga.enabled:
            if settings.fpga.placement_group:
                self.placement_group = aws.ec2.PlacementGroup(
                    f"{name}-fpga-placement",
                    name=base_name(settings, self._stack, "fpga"),
                    strategy="cluster",
                    opts=self._child,
                )
            self.compute_environments["fpga"] = self._compute_environment(
                "fpga",
                name,
                subnet_ids,
                type_="EC2",
                allocation_strategy="BEST_FIT_PROGRESSIVE",
                max_vcpus=settings.fpga.max_vcpus,
                instance_types=list(settings.fpga.instance_types),
                image_id_override=settings.fpga.ami_id,
                placement_group=self.placement_group.name if self.placement_group else None,
                template=self.fpga_launch_template,
            )
        if settings.gpu.enabled:
            # the hardened launch template fits: the AL2023 NVIDIA image's root device is /dev/xvda too
            self.compute_environments["gpu"] = self._compute_environment(
                "gpu",
                name,
                subnet_ids,
                type_="EC2",
                allocation_strategy="BEST_FIT_PROGRESSIVE",
                max_vcpus=settings.gpu.max_vcpus,
                instance_types=list(settings.gpu.instance_types),
                image_type=GPU_IMAGE_TYPE,
            )

    def _job_queue(self, key: str, name: str, order: list[str]) -> aws.batch.JobQueue:
        return aws.batch.JobQueue(
            f"{name}-queue-{key}",
            name=base_name(self._settings, self._stack, key),
            state="ENABLED",
            priority=QUEUE_PRIORITY[key],
            compute_environment_orders=[
                aws.batch.JobQueueComputeEnvironmentOrderArgs(
                    order=index, compute_environment=self.compute_environments[ce].arn
                )
                for index, ce in enumerate(order, start=1)
            ],
            opts=self._child,
        )

    def _job_queues(self, name: str) -> None:
        """high-priority: on-demand only (no interruptions); default: spot first, on-demand once the
        spot environment is at its maxVcpus (Batch does not fall back merely because spot capacity is
        scarce); fpga: the FPGA environment alone."""
        self.job_queues: dict[str, aws.batch.JobQueue] = {
            "high-priority": self._job_queue("high-priority", name, ["on-demand"]),
            "default": self._job_queue("default", name, ["spot", "on-demand"]),
        }
        for key in ("fpga", "gpu"):
            if key in self.compute_environments:
                self.job_queues[key] = self._job_queue(key, name, [key])

    def stage_queue(self, stage: str) -> aws.batch.JobQueue:
        """The job queue a pipeline stage runs on (its ``queue`` setting)."""
        spec = next(s for s in job_specs(self._settings) if s.key == stage)
        return self.job_queues[JOB_QUEUE_OF_STAGE_QUEUE[spec.queue]]

    # ---- jobs ------------------------------------------------------------------------------------

    def _jobs(self, name: str, data_key_arn: pulumi.Input[str], bucket_arns: dict[str, pulumi.Input[str]]) -> None:
        reference = self.reference_data
        efs: dict[str, pulumi.Input[str]] = {}
        if reference is not None:
            efs = {
                "file_system_arn": reference.file_system.arn,
                "access_point_arn": reference.access_point.arn,
                "file_system_id": reference.file_system.id,
                "access_point_id": reference.access_point.id,
            }
        self.job_roles: dict[str, aws.iam.Role] = {}
        self.job_role_policies: dict[str, aws.iam.RolePolicy] = {}
        self.job_definitions: dict[str, aws.batch.JobDefinition] = {}
        for spec in job_specs(self._settings):
            role = self._job_role(
                name,
                spec,
                pulumi.Output.all(
                    arns=bucket_arns, data_key_arn=data_key_arn, efs={k: efs[k] for k in efs if k.endswith("_arn")}
                ).apply(lambda args, spec=spec: _json(self._job_policy(spec, args))),
            )
            self._job_definition(
                name,
                spec,
                pulumi.Output.all(role_arn=role.arn, log_group=self.job_log_group.name, efs=efs).apply(
                    lambda args, spec=spec: _json(self._container(spec, spec.image, args))
                ),
            )

    def _job_role(self, name: str, spec: JobSpec, policy: pulumi.Input[str]) -> aws.iam.Role:
        """A job's own role (trusted by ECS tasks of this account) and its inline policy."""
        settings = self._settings
        role = aws.iam.Role(
            f"{name}-job-{spec.key}",
            name=role_name(settings, self._stack, spec.role_suffix),
            description=f"AWS Batch {spec.key} jobs: {spec.description}",
            assume_role_policy=_json(
                compute_policies.ecs_tasks_trust_policy(settings.partition, settings.region, settings.account_id)
            ),
            opts=self._child,
        )
        self.job_roles[spec.key] = role
        self.job_role_policies[spec.key] = aws.iam.RolePolicy(
            f"{name}-job-{spec.key}-policy", role=role.name, policy=policy, opts=self._child
        )
        return role

    def _job_definition(self, name: str, spec: JobSpec, container: pulumi.Input[str]) -> aws.batch.JobDefinition:
        """A container job definition with the stack's retry rules and timeout."""
        settings = self._settings
        definition = self.job_definitions[spec.key] = aws.batch.JobDefinition(
            f"{name}-job-definition-{spec.key}",
            name=base_name(settings, self._stack, spec.key),
            type="container",
            platform_capabilities=["EC2"],
            propagate_tags=True,
            container_properties=container,
            retry_strategy=aws.batch.JobDefinitionRetryStrategyArgs(
                attempts=spec.attempts or settings.compute.job_attempts,
                evaluate_on_exits=[
                    aws.batch.JobDefinitionRetryStrategyEvaluateOnExitArgs(**rule) for rule in EVALUATE_ON_EXIT
                ],
            ),
            timeout=aws.batch.JobDefinitionTimeoutArgs(
                attempt_duration_seconds=(spec.timeout_minutes or settings.compute.job_timeout_minutes) * 60
            ),
            tags={"Pipeline": spec.key},
            opts=self._child,
        )
        return definition

    def _reference_loader(
        self, name: str, data_key_arn: pulumi.Input[str], bucket_arns: dict[str, pulumi.Input[str]]
    ) -> None:
        """The reference file system's one writer: a job that syncs the reference bucket onto it through the
        loader access point (run it after uploading a genome build: `aws batch submit-job --job-definition
        <stack>-reference-loader --job-queue <stack>-default`)."""
        settings, stack = self._settings, self._stack
        spec, reference = compute_policies.REFERENCE_LOADER, self.reference_data
        assert reference is not None and reference.loader_access_point is not None
        if "reference" not in bucket_arns:
            raise ValueError("the reference loader needs the reference bucket's ARN (bucket_arns['reference'])")
        role = self._job_role(
            name,
            spec,
            pulumi.Output.all(
                bucket=bucket_arns["reference"],
                key=data_key_arn,
                fs=reference.file_system.arn,
                point=reference.loader_access_point.arn,
            ).apply(
                lambda a: _json(
                    compute_policies.reference_loader_policy(
                        region=settings.region,
                        reference_bucket_arn=a["bucket"],
                        data_key_arn=a["key"],
                        file_system_arn=a["fs"],
                        access_point_arn=a["point"],
                        open_data_object_arns=[
                            f"arn:{settings.partition}:s3:::{item}"
                            for item in settings.reference_data.open_data_objects
                        ],
                    )
                )
            ),
        )
        image = str(settings.reference_data.loader_image)
        bucket_name = naming.bucket_name(settings, stack, "reference")
        self.reference_loader = self._job_definition(
            name,
            spec,
            pulumi.Output.all(
                role_arn=role.arn,
                log_group=self.job_log_group.name,
                fs=reference.file_system.id,
                point=reference.loader_access_point.id,
            ).apply(
                lambda a: _json(
                    compute_policies.container_properties(
                        spec,
                        image=image,
                        job_role_arn=a["role_arn"],
                        log_group_name=a["log_group"],
                        region=settings.region,
                        file_system_id=a["fs"],
                        access_point_id=a["point"],
                        reference_writable=True,
                        command=compute_policies.reference_loader_command(settings, bucket_name),
                    )
                )
            ),
        )

    def _job_policy(self, spec: JobSpec, args: dict[str, Any]) -> dict[str, Any]:
        return compute_policies.job_role_policy(
            spec,
            region=self._settings.region,
            bucket_arns=args["arns"],
            data_key_arn=args["data_key_arn"],
            file_system_arn=args["efs"].get("file_system_arn"),
            access_point_arn=args["efs"].get("access_point_arn"),
            open_data_object_arns=network_policies.open_data_object_arns(self._settings),
        )

    def _container(self, spec: JobSpec, image: str, args: dict[str, Any]) -> dict[str, Any]:
        return compute_policies.container_properties(
            spec,
            image=image,
            job_role_arn=args["role_arn"],
            log_group_name=args["log_group"],
            region=self._settings.region,
            file_system_id=args["efs"].get("file_system_id"),
            access_point_id=args["efs"].get("access_point_id"),
        )
