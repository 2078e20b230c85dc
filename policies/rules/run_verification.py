"""A sequencing run is checked before the pipeline touches it (components/run_workflow.verification_states): every
object its manifest lists is present, scanned clean and carries the manifest's CRC64NVME checksum before it is
tagged with the run, an object of the run folder the manifest does not list fails the run, and a failure of either
check fails the run before any job is submitted.

The rule reads the state machine's definition the way Step Functions runs it: the path a run takes when nothing
fails (each state's Next, a Choice's first choice), what each Catch and each Choice default leads to, and the Map
settings that decide whether one failed object fails the whole check (ToleratedFailureCount/Percentage, 0 by
default) or whether only some objects are read (ItemReader MaxItems)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from policies.framework import Requirements, StackView, View, resource_rule

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
RUN_TAG_KEY = "SequencingRun"  # components.data_access.RUN_TAG_KEY
VERIFIED_TAG_KEY = "VerifiedBy"  # components.malware_policies.VERIFIED_TAG_KEY
CHECKSUM = "ChecksumCRC64NVME"
TOLERANCE_KEYS = (
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)
VERIFIED_RUNS = Requirements(
    r2=("3.14.2",), r3=("03.14.02",), hipaa=("164.312(c)(1)", "164.312(c)(2)", "164.312(e)(2)(i)")
)


def _service_call(state: dict[str, Any]) -> str:
    """'batch:submitJob', 's3:putObjectTagging', ... of a Task (optimized and AWS SDK integrations alike)."""
    if state.get("Type") != "Task":
        return ""
    resource = str(state.get("Resource") or "").split(":::", 1)[-1]
    resource = resource.removeprefix("aws-sdk:")
    return resource.split(".", 1)[0]


def _next_states(state: dict[str, Any]) -> list[str]:
    """Where a state goes when it does not fail: its Next, a Choice's choices and default."""
    found = [state.get("Next")] if state.get("Next") else []
    if state.get("Type") == "Choice":
        found += [c.get("Next") for c in state.get("Choices") or [] if isinstance(c, dict)]
        found.append(state.get("Default"))
    return [str(n) for n in found if n]


def _reachable(states: dict[str, Any], start: str) -> list[dict[str, Any]]:
    """Every state reachable from ``start`` without failing (the Catch targets of a state are not followed)."""
    seen: dict[str, dict[str, Any]] = {}
    todo = [start]
    while todo:
        name = todo.pop()
        state = states.get(name)
        if name in seen or not isinstance(state, dict):
            continue
        seen[name] = state
        todo += _next_states(state)
    return list(seen.values())


def _only_fails(states: dict[str, Any], start: str | None, forbidden: tuple[str, ...]) -> bool:
    """Whatever happens from ``start``, no state calls one of ``forbidden`` and the way ends in a Fail state (a
    Succeed state, or a state that ends the execution without failing, would let the work go on as if checked)."""
    if not start or start not in states:
        return False
    reached = _reachable(states, start)
    if any(_service_call(s) in forbidden for s in reached):
        return False
    ends = [s for s in reached if not _next_states(s)]
    return bool(ends) and all(s.get("Type") == "Fail" for s in ends)


def _catches_fail(states: dict[str, Any], state: dict[str, Any], forbidden: tuple[str, ...]) -> bool:
    return all(
        _only_fails(states, str(c.get("Next") or ""), forbidden)
        for c in state.get("Catch") or []
        if isinstance(c, dict)
    )


def _calls(state: dict[str, Any], call: str) -> bool:
    """Whether the state, or a state nested in its Parallel branches or Map processor, is a Task calling ``call``."""
    if _service_call(state) == call:
        return True
    nested = [b.get("States") for b in state.get("Branches") or [] if isinstance(b, dict)]
    nested += [state[k].get("States") for k in ("ItemProcessor", "Iterator") if isinstance(state.get(k), dict)]
    return any(
        _calls(s, call) for group in nested if isinstance(group, dict) for s in group.values() if isinstance(s, dict)
    )


def _before_first(states: dict[str, Any], start: str, call: str) -> list[tuple[str, dict[str, Any]]]:
    """The states a run passes when nothing fails, in order, up to (not including) the first state calling ``call``,
    itself or in a nested branch or processor."""
    path: list[tuple[str, dict[str, Any]]] = []
    name: str | None = start
    while name and name in states and name not in {n for n, _ in path}:
        state = states[name]
        if _calls(state, call):
            return path
        path.append((name, state))
        choices = state.get("Choices") if state.get("Type") == "Choice" else None
        name = (choices[0].get("Next") if choices and isinstance(choices[0], dict) else None) or state.get("Next")
    return path


def _compares_checksum(rule: dict[str, Any]) -> bool:
    """A choice rule that holds only when the object's CRC64NVME equals the manifest's (an And may add more)."""
    if str(rule.get("Variable") or "").endswith(f".{CHECKSUM}") and "StringEqualsPath" in rule:
        return True
    return any(_compares_checksum(r) for r in rule.get("And") or [] if isinstance(r, dict))


def _map_problems(name: str, state: dict[str, Any], states: dict[str, Any]) -> Iterator[str]:
    for key in TOLERANCE_KEYS:
        if key in state and state[key] not in (0, "0"):
            yield f"Map {name} tolerates failed objects ({key} {state[key]}): a failed object does not fail the run"
    reader = state.get("ItemReader") if isinstance(state.get("ItemReader"), dict) else {}
    config = reader.get("ReaderConfig") if isinstance(reader.get("ReaderConfig"), dict) else {}
    for key in ("MaxItems", "MaxItemsPath"):
        if key in config:
            yield f"Map {name} reads only some objects (ItemReader {key} {config[key]})"
    if not _catches_fail(states, state, ("batch:submitJob",)):
        yield f"Map {name} catches a failure and goes on to the pipeline instead of failing the run"
    if not isinstance(state.get("ResultWriter"), dict):
        # a Distributed Map returns every child's output, ResultPath null or not; past 256 KiB the execution ends in
        # States.DataLimitExceeded, which no Catch handles (Step Functions Developer Guide, "Error handling")
        yield (
            f"Map {name} has no ResultWriter: every object's result stays in the execution, and a run of a few "
            "thousand files ends in States.DataLimitExceeded, which no Catch handles (the run is never marked failed)"
        )


def _verification_problems(name: str, state: dict[str, Any]) -> Iterator[str]:
    """The item processor of the manifest check: read the checksum, compare it, only then tag with the run."""
    processor = state.get("ItemProcessor") or state.get("Iterator") or {}
    inner = processor.get("States") if isinstance(processor.get("States"), dict) else {}
    start = str(processor.get("StartAt") or "")
    path = []
    node: str | None = start
    while node and node in inner and node not in {n for n, _ in path}:
        path.append((node, inner[node]))
        step = inner[node]
        if step.get("Type") == "Choice":
            # follow the choice that leads to tagging
            node = next(
                (
                    str(c.get("Next"))
                    for c in step.get("Choices") or []
                    if isinstance(c, dict)
                    and any(_service_call(s) == "s3:putObjectTagging" for s in _reachable(inner, str(c.get("Next"))))
                ),
                None,
            )
        else:
            node = step.get("Next")
    calls = [_service_call(s) for _, s in path]
    if "s3:putObjectTagging" not in calls:
        yield f"Map {name} never tags an object with its run"
        return
    tagging = next(s for _, s in path if _service_call(s) == "s3:putObjectTagging")
    tags = ((tagging.get("Parameters") or {}).get("Tagging") or {}).get("TagSet") or []
    if not any(isinstance(t, dict) and t.get("Key") == RUN_TAG_KEY for t in tags):
        yield f"Map {name} tags objects without the {RUN_TAG_KEY} tag"
    if not any(isinstance(t, dict) and t.get("Key") == VERIFIED_TAG_KEY and "Value.$" in t for t in tags):
        # the listing's proof that a version was checked: the run tag alone can be set by an uploader granted the run
        yield (
            f"Map {name} does not tag the checked version with {VERIFIED_TAG_KEY} (the execution): an upload tagged "
            f"with the run by its uploader would pass the listing unchecked"
        )
    parameters = tagging.get("Parameters") or {}
    if "VersionId.$" not in parameters and "VersionId" not in parameters:
        yield (
            f"Map {name} tags the current version, not the one whose checksum it read (a version written in between "
            "is tagged unchecked)"
        )
    upto = calls.index("s3:putObjectTagging")
    if "s3:getObjectAttributes" not in calls[:upto]:
        yield f"Map {name} tags an object without reading its checksum"
    for step_name, step in path[:upto]:
        if step.get("Type") != "Choice":
            continue
        for rule in step.get("Choices") or []:
            leads = _reachable(inner, str(rule.get("Next")))
            if any(_service_call(s) == "s3:putObjectTagging" for s in leads) and not _compares_checksum(rule):
                yield f"Map {name}: choice {step_name} tags an object without comparing its {CHECKSUM}"
        if not _only_fails(inner, step.get("Default"), ("s3:putObjectTagging",)):
            yield f"Map {name}: choice {step_name} lets an object whose checksum differs go on"
    if not any(
        s.get("Type") == "Choice" and any(_compares_checksum(r) for r in s.get("Choices") or []) for _, s in path[:upto]
    ):
        yield f"Map {name} tags an object without comparing its {CHECKSUM} with the manifest's"
    for step_name, step in inner.items():
        if isinstance(step, dict) and not _catches_fail(inner, step, ("s3:putObjectTagging",)):
            yield f"Map {name}: state {step_name} catches a failure and tags the object anyway"


def _unlisted_problems(name: str, state: dict[str, Any]) -> Iterator[str]:
    """The item processor of the listing: an object without its run's tag ends in a Fail state."""
    processor = state.get("ItemProcessor") or state.get("Iterator") or {}
    inner = processor.get("States") if isinstance(processor.get("States"), dict) else {}
    if not any(_service_call(s) == "s3:getObjectTagging" for s in inner.values() if isinstance(s, dict)):
        yield f"Map {name} never reads the objects' tags, so it cannot tell an unlisted object"
    listed = [s for s in inner.values() if isinstance(s, dict) and s.get("Type") == "Choice" and "Default" in s]
    if not listed or not any(_only_fails(inner, s.get("Default"), ()) for s in listed):
        yield f"Map {name} lets an object the manifest does not list pass"


def _reader(state: dict[str, Any]) -> tuple[str, str]:
    reader = state.get("ItemReader") if isinstance(state.get("ItemReader"), dict) else {}
    config = reader.get("ReaderConfig") if isinstance(reader.get("ReaderConfig"), dict) else {}
    return str(reader.get("Resource") or "").split(":::", 1)[-1], str(config.get("InputType") or "")


@resource_rule(
    "GLZ-PIPE-005",
    "runs-verified-against-their-manifest",
    (STATE_MACHINE,),
    "high",
    VERIFIED_RUNS,
    "Keep runTracking.manifest set (components/run_workflow.verification_states): before the first stage, a "
    "Distributed Map over the run's manifest reads each object's CRC64NVME, compares it and only then tags the "
    "object with its run, and a second one over the run folder fails on an object the manifest does not list; "
    "no tolerated failures, no MaxItems, every Catch ending the run.",
)
def runs_verified(resource: View, stack: StackView) -> Iterator[str]:
    """A workflow that submits jobs first proves the run is what was uploaded and scanned: no stage reads a file
    that is missing, altered in transit or storage, unscanned or infected, or that nobody listed."""
    definition = resource.get("definition")
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except json.JSONDecodeError:
            return  # GLZ-PIPE-003 and cfn-lint report a definition that is not JSON
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        return
    states = definition["States"]
    if not any(_calls(s, "batch:submitJob") for s in _reachable(states, str(definition.get("StartAt")))):
        return  # submits no job: nothing to protect
    before = _before_first(states, str(definition.get("StartAt")), "batch:submitJob")
    maps = [(n, s) for n, s in before if s.get("Type") == "Map"]
    manifest = [(n, s) for n, s in maps if _reader(s) == ("s3:getObject", "CSV")]
    listing = [(n, s) for n, s in maps if _reader(s)[0] == "s3:listObjectsV2"]
    if not manifest:
        yield "the first stage runs without checking the run's objects against a manifest (runTracking.manifest)"
    if not listing:
        yield "the first stage runs without looking for objects of the run folder the manifest does not list"
    for name, state in manifest:
        yield from _map_problems(name, state, states)
        yield from _verification_problems(name, state)
    for name, state in listing:
        yield from _map_problems(name, state, states)
        yield from _unlisted_problems(name, state)
