"""Pipelines as settings (issue 16): stages validated with the key, the value and what is allowed; each stage its
own job definition, role and queue; a GPU environment for GPU stages; the gate holds every stage to what the
stack defines."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml

from components.settings import SettingsError
from tests.conftest import ROOT, synthesized
from tests.harness import ACCOUNT, make_settings

P = "genomics-landing-zone:"
ECR = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/genomics"


def stage(name: str, reads: list[str], writes: str, **extra) -> dict:
    return {
        "name": name,
        "image": f"{ECR}/{name}:1.0.0",
        "reads": reads,
        "writes": writes,
        "vcpus": 4,
        "memoryMib": 8192,
        **extra,
    }


GERMLINE = [
    stage("demultiplex", ["bcl"], "fastq"),
    stage("alignment", ["fastq", "reference"], "alignments"),
    stage("variant-calling", ["alignments", "reference"], "variants"),
]


def settings_with(stages: list[dict], **overrides):
    config = {"compute": {}, "pipeline": {"stages": stages}, **overrides}
    return make_settings(**config)


@pytest.mark.parametrize(
    ("stages", "overrides", "key", "allowed"),
    [
        (
            [stage("call", ["alignments"], "variants")],
            {},
            "pipeline.stages[0].reads = ['alignments']",
            "no earlier stage writes 'alignments'",
        ),
        (
            [stage("call", ["variants"], "results"), stage("make", ["fastq"], "variants")],
            {},
            "pipeline.stages[0].reads",
            "put the stage that writes 'variants' first",
        ),
        (
            [stage("x", ["fastq"], "alignments", queue="gpu", gpus=1)],
            {},
            "pipeline.stages[0].queue = 'gpu'",
            "gpu.enabled is false",
        ),
        (
            [stage("x", ["fastq"], "alignments", queue="fpga")],
            {},
            "pipeline.stages[0].queue = 'fpga'",
            "allowed: spot, on-demand",
        ),
        (
            [stage("x", ["fastq"], "alignments", queue="gpu")],
            {"gpu": {"enabled": True}},
            "pipeline.stages[0].gpus = 0",
            "set the GPUs it needs (1-8)",
        ),
        (
            [stage("x", ["fastq"], "alignments", gpus=2)],
            {},
            "pipeline.stages[0].gpus = 2",
            "GPUs only on the gpu queue",
        ),
        (
            [stage("x", ["fastq"], "alignments", queue="tpu")],
            {},
            "pipeline.stages[0].queue = 'tpu'",
            "'spot', 'on-demand', 'fpga' or 'gpu'",
        ),
        (
            [{**stage("x", ["fastq"], "alignments"), "image": "docker.io/biocontainers/bwa:latest"}],
            {},
            "pipeline.stages[0].image = 'docker.io/biocontainers/bwa:latest'",
            "compute.allowedRegistries",
        ),
        (
            [stage("x", ["fastq"], "reference")],
            {},
            "pipeline.stages[0].writes = 'reference'",
            "written by the reference loader only",
        ),
        ([stage("Align_1", ["fastq"], "alignments")], {}, "pipeline.stages[0].name = 'Align_1'", "2-24 characters"),
        (
            [stage("a1", ["fastq"], "alignments"), stage("a1", ["fastq"], "alignments")],
            {},
            "pipeline.stages",
            "['a1'] used twice",
        ),
        (
            GERMLINE,
            {"runTracking": {"stages": ["demultiplex", "dragen"]}},
            "runTracking.stages",
            "'dragen' is not a pipeline stage; allowed: demultiplex, alignment, variant-calling",
        ),
        (
            [{k: v for k, v in stage("x", ["fastq"], "alignments").items() if k != "vcpus"}],
            {},
            "pipeline.stages[0].vcpus = missing",
            "required setting is missing",
        ),
    ],
)
def test_a_stage_that_cannot_run_is_refused_with_its_key_and_what_is_allowed(stages, overrides, key, allowed):
    with pytest.raises(SettingsError) as raised:
        settings_with(stages, **overrides)
    lines = [line for line in str(raised.value).splitlines() if key in line]
    assert lines and any(allowed in line for line in lines), str(raised.value)


def test_images_and_a_pipeline_together_are_refused():
    with pytest.raises(SettingsError) as raised:
        make_settings(pipeline={"stages": GERMLINE})  # BASE_CONFIG also sets compute.images
    assert f"{P}compute.images" in str(raised.value) and "remove compute.images" in str(raised.value)


def test_reads_of_tiers_collaborators_upload_to_are_allowed():
    collaborator = {
        "name": "seq-provider",
        "accountId": "444455556666",
        "externalId": "ext-1234567890abcdef",
        "access": "read-write",
        "tiers": ["alignments"],
        "principalArns": ["arn:aws:iam::444455556666:role/uploader"],
    }
    settings = settings_with([stage("call", ["alignments", "reference"], "variants")], collaborators=[collaborator])
    assert [s.name for s in settings.stages] == ["call"]


def test_without_a_pipeline_the_stages_are_the_two_default_ones():
    settings = make_settings()
    assert [(s.name, s.reads, s.writes) for s in settings.stages] == [
        ("alignment", ["fastq", "reference"], "alignments"),
        ("variant-calling", ["alignments", "reference"], "variants"),
    ]
    assert settings.stages[0].image.endswith("bwa-mem2:2.2.1")


# ---- a stack with a GPU stage, synthesized and gated --------------------------------------------------------


@pytest.fixture(scope="module")
def gpu_stack(tmp_path_factory) -> dict:
    """The demo with a GPU environment and a GPU variant-calling stage (a DeepVariant-like caller)."""
    project = tmp_path_factory.mktemp("gpu-project")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    demo = yaml.safe_load((ROOT / "Pulumi.demo.yaml").read_text())
    config = copy.deepcopy(demo["config"])
    stages = config[f"{P}pipeline"]["stages"]
    stages[-1] = stage(
        "gpu-calling", ["alignments", "reference"], "variants", queue="gpu", gpus=1, vcpus=8, memoryMib=30720
    )
    config[f"{P}gpu"] = {"enabled": True, "instanceTypes": ["g6.2xlarge", "g5.2xlarge"], "maxVcpus": 32}
    (project / "Pulumi.gpu.yaml").write_text(yaml.safe_dump({**demo, "config": config}))
    return synthesized(tmp_path_factory.mktemp("gpu-state"), "gpu", project)


def _of(document: dict, typ: str) -> list[dict]:
    return [r for r in document["deployment"]["resources"] if r["type"] == typ]


def test_the_gpu_stage_gets_gpus_on_nvidia_instances(gpu_stack):
    environments = {r["inputs"]["name"]: r for r in _of(gpu_stack, "aws:batch/computeEnvironment:ComputeEnvironment")}
    gpu = environments["glz-gpu-batch-gpu"]["inputs"]["computeResources"]
    assert gpu["instanceTypes"] == ["g6.2xlarge", "g5.2xlarge"] and gpu["maxVcpus"] == 32
    assert [c["imageType"] for c in gpu["ec2Configurations"]] == ["ECS_AL2023_NVIDIA"]
    definitions = {r["inputs"]["name"]: r for r in _of(gpu_stack, "aws:batch/jobDefinition:JobDefinition")}
    container = json.loads(definitions["glz-gpu-gpu-calling"]["inputs"]["containerProperties"])
    assert {"type": "GPU", "value": "1"} in container["resourceRequirements"]
    assert container["privileged"] is False and "devices" not in container.get("linuxParameters", {})
    queues = {r["inputs"]["name"] for r in _of(gpu_stack, "aws:batch/jobQueue:JobQueue")}
    assert "glz-gpu-gpu" in queues


def test_each_stage_has_a_role_that_reads_only_its_inputs_and_writes_only_its_output(gpu_stack):
    policies = {r["inputs"]["role"]: r for r in _of(gpu_stack, "aws:iam/rolePolicy:RolePolicy")}
    policy = json.loads(policies["glz-gpu-batch-job-demultiplex"]["inputs"]["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    reads = (
        json.dumps(statements["ReadInputTiersObjects"])
        if "ReadInputTiersObjects" in statements
        else json.dumps([s for sid, s in statements.items() if sid.startswith("ReadInputTiers")])
    )
    assert "-bcl-" in reads and "-fastq-" not in reads
    assert "-fastq-" in json.dumps(statements["WriteOutputTier"]) and "-bcl-" not in json.dumps(
        statements["WriteOutputTier"]
    )


def test_the_gpu_stack_passes_the_gate_and_a_gpu_job_on_a_cpu_queue_fails_it(gpu_stack):
    from tests.conftest import matrix_of

    clean = matrix_of(gpu_stack)
    failed = [o for rows in clean.rows.values() for r in rows for o in r.rules if o.outcome == "failed"]
    assert failed == []
    moved = copy.deepcopy(gpu_stack)
    (machine,) = _of(moved, "aws:sfn/stateMachine:StateMachine")
    default_queue = next(
        r["outputs"]["arn"]
        for r in _of(moved, "aws:batch/jobQueue:JobQueue")
        if r["inputs"]["name"] == "glz-gpu-default"
    )
    for props in (machine["inputs"], machine["outputs"]):
        definition = json.loads(props["definition"])
        definition["States"]["Run-gpu-calling"]["Parameters"]["JobQueue"] = default_queue
        props["definition"] = json.dumps(definition)
    from glz.gate import run_rules
    from glz.state import StackState
    from policies.rules import ALL_RULES

    gate = run_rules(StackState(moved, "moved.json"), ALL_RULES, [])
    messages = [f.message for f in gate.findings if f.rule_id == "GLZ-PIPE-003"]
    assert messages and "asks for 1 GPU(s) but queue glz-gpu-default" in messages[0]


def test_the_demo_runs_the_germline_pipeline_from_the_bcl_tier(demo_state_document):
    (machine,) = _of(demo_state_document, "aws:sfn/stateMachine:StateMachine")
    states = json.loads(machine["inputs"]["definition"])["States"]
    assert [k for k in states if k.startswith("Run-")] == ["Run-alignment", "Run-demultiplex", "Run-variant-calling"]
    rules = _of(demo_state_document, "aws:cloudwatch/eventRule:EventRule")
    run_rule = next(r for r in rules if "Object Created" in r["inputs"].get("eventPattern", ""))
    bucket = json.loads(run_rule["inputs"]["eventPattern"])["detail"]["bucket"]["name"][0]
    assert "-bcl-" in bucket
    assert Path(ROOT / "Pulumi.demo.yaml").read_text().count("- name: ") >= 3


def test_the_gate_and_the_settings_agree_on_gpu_families():
    from components.settings import GPU_FAMILIES
    from policies.rules import pipeline

    assert pipeline.GPU_FAMILIES == GPU_FAMILIES
