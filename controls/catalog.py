"""Typed loaders for the requirement catalogs shipped in controls/catalogs/.

One `Requirement` shape for all three frameworks, so the control matrix, the policy rules' tags
(`nist-800-171-r2:3.1.1`, `nist-800-171-r3:03.01.01`, `hipaa:164.312(a)(1)`) and the renderers can join on
(framework, id) without caring where a requirement came from. Framework-specific facts live in `extra`.
Provenance of the data is in controls/catalogs/SOURCES.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_DIR = Path(__file__).parent / "catalogs"

R2 = "nist-800-171-r2"
R3 = "nist-800-171-r3"
HIPAA = "hipaa"


@dataclass(frozen=True)
class Framework:
    """What a catalog is and where its authoritative text lives."""

    key: str
    name: str
    version: str
    title: str
    reference_url: str
    data_file: str


FRAMEWORKS: dict[str, Framework] = {
    R2: Framework(
        key=R2,
        name="NIST SP 800-171",
        version="Rev. 2",
        title="Protecting Controlled Unclassified Information in Nonfederal Systems and Organizations",
        reference_url="https://csrc.nist.gov/pubs/sp/800/171/r2/upd1/final",
        data_file="nist_800_171_r2_requirements.json",
    ),
    R3: Framework(
        key=R3,
        name="NIST SP 800-171",
        version="Rev. 3",
        title="Protecting Controlled Unclassified Information in Nonfederal Systems and Organizations",
        reference_url="https://csrc.nist.gov/pubs/sp/800/171/r3/final",
        data_file="nist_800_171_r3_requirements.json",
    ),
    HIPAA: Framework(
        key=HIPAA,
        name="HIPAA Security Rule",
        version="45 CFR 164.308-316 (as amended 2013)",
        title="Security Standards for the Protection of Electronic Protected Health Information",
        reference_url="https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C",
        data_file="hipaa_security_rule.json",
    ),
}

# Withdrawal notes printed in SP 800-171 Rev. 3 for the withdrawn requirements whose content went nowhere.
# The official OSCAL catalog carries no link for these six, so without this table they would look orphaned.
WITHDRAWAL_REASONS: dict[str, str] = {
    "03.05.06": "Consistency with SP 800-53.",
    "03.05.08": "Consistency with SP 800-53.",
    "03.05.09": "Consistency with SP 800-53.",
    "03.07.01": "Recategorized as NCO.",
    "03.13.02": "Recategorized as NCO.",
    "03.13.14": "Technology-specific.",
}

# 164.316(b)(1) keeps its text in sub-paragraphs (i) and (ii), which the source file dropped; eCFR text.
HIPAA_TEXT_FILLS: dict[str, str] = {
    "164.316(b)(1)": (
        "(i) Maintain the policies and procedures implemented to comply with this subpart in written (which may be"
        " electronic) form; and (ii) If an action, activity or assessment is required by this subpart to be"
        " documented, maintain a written (which may be electronic) record of the action, activity, or assessment."
    ),
}

_REL_TEXT = {"incorporated_into": "Incorporated into", "addressed_by": "Addressed by"}


@dataclass(frozen=True)
class Requirement:
    """One requirement, standard or implementation specification.

    kind: r2 "basic" | "derived"; r3 "requirement" | "withdrawn"; HIPAA "standard" | "implementation_specification".
    extra (framework-specific):
      r2: dod_points, nist_800_53_r4, objectives [{id, text}], discussion, source_note
      r3: withdrawn, withdrawal_links [{rel, to}], withdrawal_reason, odp_count, objective_count, has_discussion,
          objectives [{id, text, kind}] (SP 800-171A r3 determination statements: ODP statements, then objectives)
      HIPAA: section, status ("required" | "addressable" | None for standards), parent (standard id or None), note
    """

    id: str
    framework: str
    family_id: str
    family: str
    title: str
    text: str
    kind: str
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def key(self) -> str:
        """The tag form used by policy rules, e.g. "nist-800-171-r2:3.1.1"."""
        return f"{self.framework}:{self.id}"


@dataclass(frozen=True)
class Family:
    """A requirement family (NIST) or a safeguard section (HIPAA)."""

    id: str
    name: str


@cache
def _raw(framework: str) -> dict[str, Any]:
    return json.loads((CATALOG_DIR / FRAMEWORKS[framework].data_file).read_text(encoding="utf-8"))


R3_OBJECTIVES_FILE = "nist_800_171_r3_objectives.json"
"""SP 800-171A Rev. 3 determination statements and the ODPs, from NIST's OSCAL catalog (SOURCES.md)."""


@cache
def _r3_objectives() -> dict[str, Any]:
    return json.loads((CATALOG_DIR / R3_OBJECTIVES_FILE).read_text(encoding="utf-8"))


def r3_parameters() -> dict[str, dict[str, Any]]:
    """ODP id (A.03.01.10.ODP.02) -> its requirement, label, usage ("organization-defined time period") and
    choices for a selection."""
    return _r3_objectives()["parameters"]


def load_r2() -> list[Requirement]:
    """NIST SP 800-171 Rev. 2: 110 requirements with 800-53 r4 mapping, 800-171A objectives and DoD points."""
    return [
        Requirement(
            id=r["id"],
            framework=R2,
            family_id=r["family_id"],
            family=r["family"],
            title=r["requirement"],  # Rev. 2 has no titles
            text=r["requirement"],
            kind=r["type"],
            extra={
                "dod_points": int(r["dod_assessment_methodology_points"]),
                "nist_800_53_r4": list(r["nist_800_53_r4_mapping"]),
                "objectives": [dict(o) for o in r["assessment_objectives_800_171A"]],
                "discussion": r["discussion"],
                "source_note": r["source_note"],
            },
        )
        for r in _raw(R2)["requirements"]
    ]


def _withdrawal_text(req_id: str, links: list[dict[str, str]]) -> str:
    if not links:
        return WITHDRAWAL_REASONS[req_id]
    parts = []
    for rel in _REL_TEXT:
        targets = [link["to"] for link in links if link["rel"] == rel]
        if targets:
            parts.append(f"{_REL_TEXT[rel]} {', '.join(targets)}.")
    return " ".join(parts)


def load_r3(include_withdrawn: bool = False) -> list[Requirement]:
    """NIST SP 800-171 Rev. 3: the 97 active requirements, or all 130 IDs with `include_withdrawn`.

    A withdrawn requirement's text says where it went ("Incorporated into 03.01.12."), as in the publication;
    its `extra["withdrawal_links"]` holds the same links as data, or `withdrawal_reason` when there is none.
    """
    out = []
    for r in _raw(R3)["requirements"]:
        withdrawn = bool(r["withdrawn"])
        if withdrawn and not include_withdrawn:
            continue
        links = [{"rel": link["rel"], "to": link["to"]} for link in r["withdrawal_links"]]
        out.append(
            Requirement(
                id=r["id"],
                framework=R3,
                family_id=r["family_id"],
                family=r["family"],
                title="Withdrawn" if withdrawn else r["title"],
                text=_withdrawal_text(r["id"], links) if withdrawn else r["requirement"],
                kind="withdrawn" if withdrawn else "requirement",
                extra={
                    "withdrawn": withdrawn,
                    "withdrawal_links": links,
                    "withdrawal_reason": WITHDRAWAL_REASONS.get(r["id"]) if withdrawn else None,
                    "odp_count": int(r["odp_count"]),
                    "objective_count": int(r["assessment_objectives"]),
                    # determination statements: one per ODP ("... is defined"), then the assessment objectives
                    "objectives": [] if withdrawn else [dict(o) for o in _r3_objectives()["objectives"][r["id"]]],
                    "has_discussion": bool(r["has_discussion"]),
                },
            )
        )
    return out


def load_hipaa() -> list[Requirement]:
    """HIPAA Security Rule 164.308-316: 22 standards and 46 implementation specifications."""
    return [
        Requirement(
            id=r["id"],
            framework=HIPAA,
            family_id=r["section"],
            family=r["safeguard"],
            title=r["title"],
            text=r["text"] or HIPAA_TEXT_FILLS[r["id"]],
            kind=r["kind"],
            extra={
                "section": r["section"],
                "status": r["status"],
                "parent": r.get("standard"),
                "note": r.get("note"),
            },
        )
        for r in _raw(HIPAA)["items"]
    ]


def load(framework: str, include_withdrawn: bool = False) -> list[Requirement]:
    """Any catalog by its framework key (see FRAMEWORKS)."""
    if framework == R2:
        return load_r2()
    if framework == R3:
        return load_r3(include_withdrawn=include_withdrawn)
    if framework == HIPAA:
        return load_hipaa()
    raise KeyError(f"unknown framework {framework!r}; known: {', '.join(FRAMEWORKS)}")


def index(requirements: list[Requirement]) -> dict[str, Requirement]:
    """Requirements by id; raises on a duplicate id rather than silently keeping one."""
    out: dict[str, Requirement] = {}
    for req in requirements:
        if req.id in out:
            raise ValueError(f"duplicate requirement id {req.framework}:{req.id}")
        out[req.id] = req
    return out


def families(requirements: list[Requirement]) -> list[Family]:
    """Distinct families in catalog order."""
    seen: dict[str, Family] = {}
    for req in requirements:
        seen.setdefault(req.family_id, Family(req.family_id, req.family))
    return list(seen.values())


def dod_points_total(requirements: list[Requirement] | None = None) -> int:
    """DoD Assessment Methodology maximum deduction for Rev. 2 requirements (313 for the whole catalog)."""
    reqs = load_r2() if requirements is None else requirements
    return sum(int(req.extra["dod_points"]) for req in reqs)
