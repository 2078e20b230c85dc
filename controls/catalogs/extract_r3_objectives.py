"""Extract SP 800-171A Rev. 3 determination statements and the organization-defined parameters from NIST's
official OSCAL catalog of SP 800-171 Rev. 3 into nist_800_171_r3_objectives.json (run once per catalog version;
nothing runs it at build or test time, see SOURCES.md):

    python controls/catalogs/extract_r3_objectives.py path/to/NIST_SP800-171_rev3_catalog.oscal.xml

Each requirement's determination statements are its `assessment-objective` parts (A.03.01.10.a ...) and, first,
one statement per ODP ("the time period ... is defined", the parameter's guideline; a selection's statement is
"one or more of ... is selected"), as SP 800-171A Rev. 3 lists them. ODP placeholders stay `{{id}}`."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUT = Path(__file__).resolve().parent / "nist_800_171_r3_objectives.json"
ORIGIN = (
    "github.com/usnistgov/oscal-content, branch develop @ 3b3cdee8f9f9f3e9f18dd70d89a58d6287ae433f, "
    "src/nist.gov/SP800-171/rev3/xml/NIST_SP800-171_rev3_catalog.xml"
)


def _text(element: ET.Element | None) -> str:
    if element is None:
        return ""
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag.endswith("}insert"):
                parts.append("{{" + str(child.get("id-ref")) + "}}")
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _natural(key: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]


def extract(xml: Path) -> dict[str, object]:
    root = ET.parse(xml).getroot()
    ns = root.tag.split("}")[0] + "}"
    meta = root.find(f"{ns}metadata")
    parameters: dict[str, dict[str, object]] = {}
    objectives: dict[str, list[dict[str, str]]] = {}
    for control in root.iter(f"{ns}control"):
        if control.get("class") != "requirement":
            continue
        requirement = str(control.get("id")).removeprefix("SP_800_171_")
        found: list[dict[str, str]] = []
        for param in control.findall(f"{ns}param"):
            pid = str(param.get("id"))
            label = next((str(p.get("value")) for p in param.findall(f"{ns}prop") if p.get("name") == "label"), pid)
            select = param.find(f"{ns}select")
            choices = [_text(c) for c in select.findall(f"{ns}choice")] if select is not None else []
            usage = _text(param.find(f"{ns}usage"))
            guideline = _text(param.find(f"{ns}guideline/{ns}p"))
            parameters[pid] = {
                "requirement": requirement,
                "label": label,
                "usage": usage,
                "choices": choices,
                "how_many": str(select.get("how-many") or "one") if select is not None else "",
            }
            text = guideline or (
                f"one or more of the following is selected: {'; '.join(choices)}" if choices else f"{usage} is defined"
            )
            found.append({"id": label, "text": text, "kind": "parameter"})
        statements = [
            {"id": str(p.get("id")).removeprefix("assessment-objective_DS-"), "text": _text(p), "kind": "statement"}
            for p in control.findall(f"{ns}part")
            if p.get("name") == "assessment-objective"
        ]
        objectives[requirement] = found + sorted(statements, key=lambda o: _natural(o["id"]))
    return {
        "source": {
            "file": xml.name,
            "sha256": hashlib.sha256(xml.read_bytes()).hexdigest(),
            "origin": ORIGIN,
            "catalog_version": _text(meta.find(f"{ns}version")) if meta is not None else "",
            "last_modified": _text(meta.find(f"{ns}last-modified")) if meta is not None else "",
        },
        "parameters": dict(sorted(parameters.items(), key=lambda kv: _natural(kv[0]))),
        "objectives": dict(sorted(objectives.items())),
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(extract(Path(sys.argv[1])), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")
