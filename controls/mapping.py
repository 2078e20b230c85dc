"""The requirement mapping (controls/mapping/*.yaml): who is responsible for each requirement and how it is evidenced.

The mapping is the only hand-written part of the matrix, and it holds no results: it names probes, rules
and AWS Config rules, and a statement *template*. Loading validates it completely, so a typo in a probe
name or a missing requirement fails loudly instead of producing a quietly wrong matrix.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from controls import catalog
from controls.model import RESPONSIBILITY_LABELS
from glz.errors import safe_load

MAPPING_DIR = Path(__file__).parent / "mapping"
MAPPING_FILES = {
    catalog.R2: "nist_800_171_r2.yaml",
    catalog.R3: "nist_800_171_r3.yaml",
    catalog.HIPAA: "hipaa.yaml",
}
TECHNICAL = ("landing-zone", "shared")
CHECKOV_FILE = "checkov.yaml"
CHECKOV_CHECK_ID = re.compile(r"^CKV2?_AWS_\d+$")
CHECKOV_FRAMEWORK_KEYS = {"r2": catalog.R2, "r3": catalog.R3, "hipaa": catalog.HIPAA}
CHECKOV_WHY = re.compile(r"^[A-Z].{39,}[.)]$", re.S)
"""A reason: a sentence of its own, 40 characters or more, starting with a capital, ending with a period."""

# Real managed rules that would report this landing zone's own design as non-compliant forever. An
# always-red rule teaches people to ignore red, so the mapping may not name them; the policy rule in
# each reason checks the property precisely instead.
CONFLICTING_CONFIG_RULES = {
    "S3_BUCKET_DEFAULT_LOCK_ENABLED": "checks every bucket, but only the audit bucket uses Object Lock (GLZ-LOG-006)",
    "CLOUDTRAIL_S3_DATAEVENTS_ENABLED": (
        "without stack-specific bucket names it wants data events on every bucket; GLZ-LOG-004 checks the data tiers"
    ),
    "S3_BUCKET_LOGGING_ENABLED": "flags the access-log bucket, which must not log to itself (GLZ-S3-008)",
    "IAM_NO_INLINE_POLICY_CHECK": "role policies are inline by design, each scoped to one role (GLZ-IAM-005)",
}


class MappingError(ValueError):
    """The mapping files are inconsistent with the catalogs, probes or rules."""


@dataclass(frozen=True)
class MappingRecord:
    framework: str
    requirement_id: str
    responsibility: str
    probes: tuple[str, ...]
    statement: str
    rules: tuple[str, ...]
    config_rules: tuple[str, ...]
    customer_actions: str
    justification: str


CONDITIONAL = re.compile(r"\[\[(\w+)\.(\w+)\|(.*?)\]\]", re.DOTALL)
"""A sentence shown only when a probe field is present: `[[guardduty.count| GuardDuty watches ...]]` says
nothing about GuardDuty when the stack has no detector, instead of claiming it watches."""
ABSENT_VALUES = frozenset({"", "0", "none", "no", "false", "unset"})


def render_conditionals(template: str, fields: dict[str, dict[str, str]]) -> str:
    """Keep each conditional sentence whose field is present, drop the others (then the placeholders fill)."""

    def pick(match: re.Match[str]) -> str:
        probe, field_name, text = match.groups()
        value = str(fields.get(probe, {}).get(field_name, "")).strip().lower()
        return text if value not in ABSENT_VALUES else ""

    shown = re.sub(r"\s{2,}", " ", CONDITIONAL.sub(pick, template))
    return re.sub(r"\s+([,.;])", r"\1", shown).strip()


def placeholders(template: str) -> list[tuple[str, str]]:
    """(probe, field) pairs used by a statement template like "{trail.name}" or a condition `[[trail.count| ...]]`."""
    found = [(probe, field_name) for probe, field_name, _ in CONDITIONAL.findall(template)]
    for _, field_name, _, _ in string.Formatter().parse(template):
        if field_name is None:
            continue
        probe, _, attribute = field_name.partition(".")
        found.append((probe, attribute))
    return found


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _validate(record: MappingRecord, problems: list[str]) -> None:
    from controls.conformance_pack import load_config_rule_catalog
    from controls.probes import COMMON_FIELDS, PROBES
    from policies.rules import RULES_BY_ID

    where = f"{record.framework}:{record.requirement_id}"
    if record.responsibility not in RESPONSIBILITY_LABELS:
        problems.append(
            f"{where}: responsibility = {record.responsibility!r}: allowed {', '.join(RESPONSIBILITY_LABELS)}"
        )
    if not record.statement:
        problems.append(f"{where}: statement is empty")
    if record.responsibility in TECHNICAL and not record.probes and not record.rules:
        problems.append(f"{where}: a {record.responsibility} requirement needs at least one probe or rule")
    if record.responsibility in ("shared", "customer") and not record.customer_actions:
        problems.append(f"{where}: customer_actions are required for {record.responsibility} requirements")
    if record.responsibility in ("inherited", "not-applicable") and not record.justification:
        problems.append(f"{where}: justification is required for {record.responsibility} requirements")
    for probe in record.probes:
        if probe not in PROBES:
            problems.append(f"{where}: probes: unknown probe {probe!r}; known: {', '.join(PROBES)}")
    for probe, attribute in placeholders(record.statement):
        if probe not in PROBES:
            problems.append(f"{where}: statement placeholder {{{probe}.{attribute}}}: unknown probe {probe!r}")
        elif attribute not in COMMON_FIELDS + PROBES[probe].fields:
            allowed = ", ".join(COMMON_FIELDS + PROBES[probe].fields)
            problems.append(f"{where}: statement placeholder {{{probe}.{attribute}}}: allowed fields {allowed}")
    for rule_id in record.rules:
        if rule_id not in RULES_BY_ID:
            problems.append(f"{where}: rules: unknown policy rule {rule_id!r}")
    known_config = load_config_rule_catalog()
    for identifier in record.config_rules:
        if identifier in CONFLICTING_CONFIG_RULES:
            problems.append(
                f"{where}: config_rules: {identifier!r} conflicts with the design: {CONFLICTING_CONFIG_RULES[identifier]}"
            )
        elif identifier not in known_config:
            problems.append(f"{where}: config_rules: {identifier!r} is not in controls/mapping/config_rules.yaml")


def _records(framework: str, path: Path) -> list[MappingRecord]:
    try:
        document = safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file missing") from None
    except yaml.YAMLError as error:
        raise MappingError(f"{path}: not valid YAML ({error})") from None
    if document.get("framework") != framework:
        raise MappingError(f"{path}: framework = {document.get('framework')!r}: expected {framework!r}")
    records = []
    for requirement_id, body in (document.get("requirements") or {}).items():
        body = body or {}
        records.append(
            MappingRecord(
                framework=framework,
                requirement_id=str(requirement_id),
                responsibility=str(body.get("responsibility", "")),
                probes=tuple(body.get("probes") or ()),
                statement=_text(body.get("statement")),
                rules=tuple(body.get("rules") or ()),
                config_rules=tuple(body.get("config_rules") or ()),
                customer_actions=_text(body.get("customer_actions")),
                justification=_text(body.get("justification")),
            )
        )
    return records


def load_framework(framework: str, directory: Path = MAPPING_DIR) -> dict[str, MappingRecord]:
    """One framework's mapping, validated: exactly one record per catalog requirement."""
    path = directory / MAPPING_FILES[framework]
    records = _records(framework, path)
    requirement_ids = [r.id for r in catalog.load(framework)]
    problems: list[str] = []
    seen: dict[str, MappingRecord] = {}
    for record in records:
        if record.requirement_id in seen:
            problems.append(f"{framework}:{record.requirement_id}: mapped twice")
        seen[record.requirement_id] = record
        if record.requirement_id not in requirement_ids:
            problems.append(f"{framework}:{record.requirement_id}: not a requirement of the catalog")
        _validate(record, problems)
    for requirement_id in requirement_ids:
        if requirement_id not in seen:
            problems.append(f"{framework}:{requirement_id}: no mapping record")
    if problems:
        raise MappingError(f"{path}: {len(problems)} problems:\n  " + "\n  ".join(problems))
    return {rid: seen[rid] for rid in requirement_ids}


@cache
def load_all() -> dict[str, dict[str, MappingRecord]]:
    return {framework: load_framework(framework) for framework in MAPPING_FILES}


def mapped_config_rules() -> list[str]:
    """Every AWS Config managed rule the mapping names: the conformance pack's content."""
    return sorted({c for records in load_all().values() for r in records.values() for c in r.config_rules})


@dataclass(frozen=True)
class CheckovMapping:
    """A checkov check and the requirements its outcome evidences (controls/mapping/checkov.yaml)."""

    check_id: str
    name: str  # checkov's own title of the check
    requirements: dict[str, tuple[str, ...]]  # framework -> requirement ids
    why: str

    def tags(self) -> list[str]:
        return [f"{framework}:{rid}" for framework, ids in self.requirements.items() for rid in ids]


@dataclass(frozen=True)
class CheckovMappingFile:
    checks: dict[str, CheckovMapping]
    not_mapped: dict[str, str]  # check id -> why its outcome evidences no requirement

    def for_requirement(self, framework: str, requirement_id: str) -> list[str]:
        return [c.check_id for c in self.checks.values() if requirement_id in c.requirements.get(framework, ())]


def load_checkov_mapping(directory: Path = MAPPING_DIR) -> CheckovMappingFile:
    """checkov check id -> the requirements it evidences, validated against the catalogs and the
    requirement mapping: every requirement exists and is one the landing zone (or it and the
    organization) implements, so the check's outcome shows on a row that reports rule outcomes."""
    path = directory / CHECKOV_FILE
    try:
        document = safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file missing") from None
    except yaml.YAMLError as error:
        raise MappingError(f"{path}: not valid YAML ({error})") from None
    problems: list[str] = []
    unknown = sorted(set(document) - {"checks", "not_mapped"})
    if unknown:
        problems.append(f"{path}: unknown key(s) {unknown}; allowed: checks, not_mapped")
    records = load_all() if directory == MAPPING_DIR else {fw: load_framework(fw, directory) for fw in MAPPING_FILES}
    checks: dict[str, CheckovMapping] = {}
    for check_id, body in (document.get("checks") or {}).items():
        where = f"{path}: checks: {check_id}"
        if not isinstance(check_id, str) or not CHECKOV_CHECK_ID.match(check_id):
            problems.append(f"{where}: not a checkov AWS check id (like CKV_AWS_145 or CKV2_AWS_6)")
            continue
        body = body if isinstance(body, dict) else {}
        extra = sorted(set(body) - {"name", "why", *CHECKOV_FRAMEWORK_KEYS})
        if extra:
            problems.append(f"{where}: unknown key(s) {extra}; allowed: name, r2, r3, hipaa, why")
        name, why = _text(body.get("name")), _text(body.get("why"))
        if not name:
            problems.append(f"{where}: name is required (checkov's title of the check)")
        if not CHECKOV_WHY.match(why):
            problems.append(f"{where}: why {why!r}: a sentence saying why the check evidences these requirements")
        requirements: dict[str, tuple[str, ...]] = {}
        for key, framework in CHECKOV_FRAMEWORK_KEYS.items():
            ids = body.get(key) or []
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                problems.append(f"{where}: {key} = {ids!r}: a list of quoted requirement ids")
                continue
            for rid in ids:
                record = records[framework].get(rid)
                if record is None:
                    problems.append(f"{where}: {key}: {rid!r} is not a requirement of {framework}")
                elif record.responsibility not in TECHNICAL:
                    problems.append(
                        f"{where}: {key}: {rid} is a {record.responsibility} requirement; its row shows no "
                        "check outcomes, so map the check to a landing-zone or shared requirement"
                    )
            requirements[framework] = tuple(ids)
        if not any(requirements.values()):
            problems.append(f"{where}: names no requirement; list it under not_mapped with the reason instead")
        checks[check_id] = CheckovMapping(check_id, name, requirements, why)
    not_mapped: dict[str, str] = {}
    for check_id, reason in (document.get("not_mapped") or {}).items():
        where = f"{path}: not_mapped: {check_id}"
        if not isinstance(check_id, str) or not CHECKOV_CHECK_ID.match(check_id):
            problems.append(f"{where}: not a checkov AWS check id (like CKV_AWS_145 or CKV2_AWS_6)")
            continue
        if check_id in checks:
            problems.append(f"{where}: also mapped under checks; a check is either mapped or not")
        reason = _text(reason)
        if not CHECKOV_WHY.match(reason):
            problems.append(f"{where}: reason {reason!r}: a sentence saying why the check evidences no requirement")
        not_mapped[check_id] = reason
    if problems:
        raise MappingError(f"{path}: {len(problems)} problems:\n  " + "\n  ".join(problems))
    return CheckovMappingFile(checks, not_mapped)


@cache
def checkov_mapping() -> CheckovMappingFile:
    return load_checkov_mapping()


R3_PARAMETERS_FILE = MAPPING_DIR / "r3_parameters.yaml"


@cache
def r3_parameter_templates(path: Path = R3_PARAMETERS_FILE) -> dict[str, str]:
    """ODP id -> value template (controls/mapping/r3_parameters.yaml), checked against the catalog's ODPs and the
    probes' fields: a typo stops the matrix with the id at fault rather than leaving an ODP silently unset."""
    from controls.catalog import r3_parameters
    from controls.probes import COMMON_FIELDS, PROBES

    document = safe_load(path.read_text()) or {}
    entries = document.get("parameters") if isinstance(document, dict) else None
    if not isinstance(entries, dict):
        raise MappingError(f"{path}: expected a mapping 'parameters' of ODP id -> value template")
    known = r3_parameters()
    problems = []
    for pid, template in entries.items():
        where = f"{path}: parameters.{pid}"
        if pid not in known:
            problems.append(f"{where}: not an ODP of SP 800-171 Rev. 3 (like A.03.01.11.ODP.01)")
        if not isinstance(template, str) or not template.strip():
            problems.append(f"{where}: the value template must be text")
            continue
        for probe, attribute in placeholders(template):
            if probe not in PROBES:
                problems.append(f"{where}: placeholder {{{probe}.{attribute}}}: unknown probe {probe!r}")
            elif attribute not in COMMON_FIELDS + PROBES[probe].fields:
                allowed = ", ".join(COMMON_FIELDS + PROBES[probe].fields)
                problems.append(f"{where}: placeholder {{{probe}.{attribute}}}: allowed fields {allowed}")
    if problems:
        raise MappingError(f"{path}: {len(problems)} problems:\n  " + "\n  ".join(problems))
    return {str(pid): " ".join(str(t).split()) for pid, t in entries.items()}


PROVEN_RULES_FILE = MAPPING_DIR / "proven_rules.yaml"


@cache
def proven_rules() -> frozenset[str]:
    """Rules a test proves fail when their property is weakened (the corpora of tests/test_corpus.py)."""
    document = safe_load(PROVEN_RULES_FILE.read_text())
    return frozenset(document["rules"])
