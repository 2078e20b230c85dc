"""Run tracking: a sequencing run that finishes landing in the intake tier starts the pipeline, and the runs table
records it and each stage (components/run_workflow holds the documents and the AWS facts they rely on).

Resources: the runs table (DynamoDB, encrypted with the data key, point-in-time recovery, deletion protection),
the pipeline topic (encrypted with the log key) the workflow notifies on failure, the workflow (a Step Functions
standard state machine logging errors, without execution data, to an encrypted log group; its definition and
execution history under a key of its own), its role, EventBridge
notifications on the intake bucket, and the rule (with its role) that starts the workflow on a run's marker file.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components import key_policies, run_workflow
from components.encryption_keys import KeyPurpose, customer_managed_key
from components.monitoring import audit_log_group
from components.naming import base_name, bucket_name, role_name
from components.settings import Settings

WORKFLOW_KEY_PURPOSE = "workflow"


class RunTracking(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: Settings,
        stack: str,
        *,
        intake_bucket: pulumi.Input[str],
        data_key_arn: pulumi.Input[str],
        log_key_arn: pulumi.Input[str],
        job_definitions: dict[str, aws.batch.JobDefinition],
        job_queues: dict[str, aws.batch.JobQueue],
        intake_scanned: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("glz:pipeline:RunTracking", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tracking = settings.run_tracking
        partition, region, account = settings.partition, settings.region, settings.account_id
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=base_name(settings, stack, "runs"),
            billing_mode="PAY_PER_REQUEST",
            hash_key="run_id",
            range_key="item",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name="run_id", type="S"),
                aws.dynamodb.TableAttributeArgs(name="item", type="S"),
            ],
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=data_key_arn),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=True,
            opts=child,
        )
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=base_name(settings, stack, "pipeline"), kms_master_key_id=log_key_arn, opts=child
        )
        self.log_group = audit_log_group(
            f"{name}-log",
            f"/aws/vendedlogs/states/{base_name(settings, stack, 'runs')}",  # the prefix AWS recommends for
            settings,  # vended logs keeps the account's CloudWatch Logs resource policy small
            log_key_arn,
            child,
        )
        machine_name = base_name(settings, stack, "runs")
        machine_arn = f"arn:{partition}:states:{region}:{account}:stateMachine:{machine_name}"
        # the workflow's own key: its definition and execution history (run ids, object keys) under a customer
        # managed key the deployer may use through Step Functions only (the data key refuses it)
        self.key = customer_managed_key(
            f"{name}-key",
            settings,
            stack,
            KeyPurpose(WORKFLOW_KEY_PURPOSE, "the run workflow's definition and execution history (Step Functions)"),
            key_policies.workflow_key_policy(settings),
            child,
        )
        self.key_alias = aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{base_name(settings, stack, WORKFLOW_KEY_PURPOSE)}",
            target_key_id=self.key.key_id,
            opts=child,
        )
        verification = (
            run_workflow.Verification(
                tracking.manifest,
                tuple(tracking.markers),
                tracking.scan_wait_minutes,
                intake_scanned,
                bucket_name(settings, stack, run_workflow.REPORT_TIER),
            )
            if tracking.manifest
            else None
        )
        # fixed by name: the intake bucket's policy admits the workflow before either exists
        verified_bucket = (
            f"arn:{partition}:s3:::{bucket_name(settings, stack, tracking.intake_tier)}" if verification else None
        )
        report_bucket = f"arn:{partition}:s3:::{verification.report_bucket}" if verification else None
        # each stage on its own queue (pipeline.stages[].queue): the run's stages, in order
        stages = [(s.name, job_definitions[s.name], job_queues[s.name]) for s in settings.run_stages]
        self.role = aws.iam.Role(
            f"{name}-workflow-role",
            name=role_name(settings, stack, run_workflow.WORKFLOW_ROLE),
            assume_role_policy=json.dumps(run_workflow.service_trust(run_workflow.STATES, account, machine_arn)),
            max_session_duration=3600,
            opts=child,
        )
        resolved = pulumi.Output.all(
            self.table.arn,
            self.table.name,
            self.topic.arn,
            log_key_arn,
            data_key_arn,
            self.key.arn,
            *[d.arn for _, d, _ in stages],
            *[q.arn for _, _, q in stages],
        )

        def stage_list(a: list[str]) -> list[run_workflow.Stage]:
            definitions, queues = a[6 : 6 + len(stages)], a[6 + len(stages) :]
            return [
                run_workflow.Stage(key, definition, queue)
                for (key, _, _), definition, queue in zip(stages, definitions, queues, strict=True)
            ]

        self.role_policy = aws.iam.RolePolicy(
            f"{name}-workflow-policy",
            role=self.role.id,
            policy=resolved.apply(
                lambda a: json.dumps(
                    run_workflow.workflow_policy(
                        a[0],
                        a[4],
                        a[2],
                        a[3],
                        stage_list(a),
                        partition,
                        region,
                        account,
                        a[5],
                        machine_arn,
                        verified_bucket,
                        a[4] if verification else None,
                        report_bucket,
                    ),
                    sort_keys=True,
                )
            ),
            opts=child,
        )
        self.state_machine = aws.sfn.StateMachine(
            f"{name}-workflow",
            name=machine_name,
            type="STANDARD",
            role_arn=self.role.arn,
            definition=resolved.apply(
                lambda a: json.dumps(
                    run_workflow.definition(a[1], a[2], stage_list(a), verification=verification), sort_keys=True
                )
            ),
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                level="ERROR",
                include_execution_data=False,  # run ids and keys only in the table, never sample data in logs
                log_destination=self.log_group.arn.apply(lambda arn: f"{arn}:*"),
            ),
            # X-Ray traces hold state names and timings, never the execution data
            tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=True),
            encryption_configuration=aws.sfn.StateMachineEncryptionConfigurationArgs(
                type="CUSTOMER_MANAGED_KMS_KEY", kms_key_id=self.key.arn, kms_data_key_reuse_period_seconds=300
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )
        self.notifications = aws.s3.BucketNotification(
            f"{name}-intake-events", bucket=intake_bucket, eventbridge=True, opts=child
        )
        rule_name = base_name(settings, stack, "run-complete")
        rule_arn = f"arn:{partition}:events:{region}:{account}:rule/{rule_name}"
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-run-complete",
            name=rule_name,
            description="A sequencing run's marker file landed: start the run workflow",
            event_pattern=pulumi.Output.from_input(intake_bucket).apply(
                lambda bucket: json.dumps(run_workflow.run_pattern(bucket, list(tracking.markers)), sort_keys=True)
            ),
            state="ENABLED",
            opts=child,
        )
        self.start_role = aws.iam.Role(
            f"{name}-start-role",
            name=role_name(settings, stack, "run-start"),
            assume_role_policy=json.dumps(run_workflow.service_trust(run_workflow.EVENTS, account, rule_arn)),
            max_session_duration=3600,
            opts=child,
        )
        self.start_policy = aws.iam.RolePolicy(
            f"{name}-start-policy",
            role=self.start_role.id,
            policy=pulumi.Output.all(self.state_machine.arn, self.key.arn).apply(
                lambda a: json.dumps(run_workflow.start_policy(a[0], a[1]))
            ),
            opts=child,
        )
        self.target = aws.cloudwatch.EventTarget(
            f"{name}-run-complete",
            rule=self.rule.name,
            target_id="run-workflow",
            arn=self.state_machine.arn,
            role_arn=self.start_role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.start_policy]),
        )
        self.register_outputs({"runsTable": self.table.name, "runWorkflow": self.state_machine.arn})
