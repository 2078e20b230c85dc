"""OSCAL System Security Plans (JSON) for one stack, one per framework, validated before they are written.

Why OSCAL: assessors' tools (and GRC platforms) import an SSP in OSCAL instead of retyping a spreadsheet. Every file
is checked with compliance-trestle's pydantic models (`trestle.oscal.ssp.SystemSecurityPlan`, OSCAL
`trestle.oscal.OSCAL_VERSION`, 1.2.1 for trestle 5.2), plus what the schema cannot see: unique uuids and the
cross-references this module makes (roles, components, back-matter anchors), so a file that would not load in
an OSCAL tool is never written.

Baselines (`import-profile`):
- r3: NIST publishes the official OSCAL catalog of SP 800-171 Rev. 3 (usnistgov/oscal-content, the source of
  controls/catalogs); the href is that catalog's JSON. OSCAL 1.2 allows a catalog as the baseline directly.
- r2 and HIPAA: there is no official OSCAL catalog or profile. The href is the authoritative publication (NIST's
  publication page, the eCFR text of 45 CFR 164 subpart C) with a remark saying so, and the control ids follow
  the documented rule below, so a tool can still join on them.

Control ids (`control-id` must be an OSCAL token: it starts with a letter or "_", then letters, digits, ".", "-",
"_"; "3.1.1" and "164.312(a)(1)" are not tokens):
- r3: the official catalog's id, "SP_800_171_" + the requirement number: 03.01.01 -> SP_800_171_03.01.01.
- r2: the same pattern with the revision spelled out: 3.1.1 -> SP_800_171_R2_3.1.1.
- HIPAA: "HIPAA_" + the section, each parenthesised paragraph as "_" + its label:
  164.308(a)(1)(ii)(A) -> HIPAA_164.308_a_1_ii_A.
All three are reversible, and the original id is also kept in a `requirement-id` prop.

By-components sit directly on each implemented requirement, not under statement parts: r2 and HIPAA have no
catalog with statement part ids to point at, and one shape for all three keeps consumers simple.

Statuses: OSCAL records implementation status only on `by-components`, with the states implemented, partial,
planned, alternative and not-applicable. Each implemented requirement has one primary by-component (this system for
landing-zone, shared and not-applicable rows; the organization's processes for customer rows; AWS for inherited
rows) whose state maps the matrix status (STATE_BY_STATUS); the exact matrix status is also a `status` prop in the
project namespace NS. Customer actions are a by-component of the organization's processes with the system owner as
responsible role. UUIDs are uuid5 of the stack, account, framework and subject, so reruns do not churn them; only the
document uuid also depends on the state's hash, because a different state is a different revision.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.ssp import SystemSecurityPlan

from controls.catalog import FRAMEWORKS, HIPAA, R2, R3
from controls.model import (
    CUSTOMER,
    IMPLEMENTED,
    INHERITED,
    NOT_APPLICABLE,
    NOT_IMPLEMENTED,
    PARTIAL,
    Matrix,
    ProbeResult,
    Row,
)
from glz.json_text import write_indented

# Namespace of the project's own props: an absolute URI (trestle types `ns` as a pydantic AnyUrl). Props OSCAL
# itself defines ("virtual") carry no ns.
NS = "https://github.com/genomics-landing-zone/ns"
_UUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, NS)

SSP_FRAMEWORKS = (R2, R3, HIPAA)
R3_CATALOG_URL = (
    "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-171/rev3/json/"
    "NIST_SP800-171_rev3_catalog.json"
)

STATE_BY_STATUS = {
    IMPLEMENTED: "implemented",
    PARTIAL: "partial",
    NOT_IMPLEMENTED: "planned",  # nothing in place yet: the gap has to be closed
    CUSTOMER: "planned",  # the organization must still do (and evidence) it; this file cannot claim it done
    INHERITED: "implemented",  # by AWS, on the AWS component
    NOT_APPLICABLE: "not-applicable",
}

# FIPS 199 levels per data classification (components/settings.py CLASSIFICATIONS): confidentiality, integrity,
# availability. CUI and ePHI are moderate confidentiality data; research pipelines tolerate a day's outage.
IMPACT_BY_CLASSIFICATION = {
    "public": ("fips-199-low", "fips-199-moderate", "fips-199-low"),
    "controlled": ("fips-199-moderate", "fips-199-moderate", "fips-199-low"),
    "phi": ("fips-199-moderate", "fips-199-moderate", "fips-199-low"),
}

INFORMATION_TYPE_BY_CLASSIFICATION = {
    "public": ("Public genomic reference data", "Openly published reference genomes and annotations.", ()),
    "controlled": (
        "Controlled-access genomic data (CUI)",
        "Sequencing data (BCL, FASTQ, alignments, variants) under data-use agreements: Controlled Unclassified"
        " Information, CUI Registry category Genetic Information.",
        ("GENETIC",),
    ),
    "phi": (
        "Genomic data with electronic protected health information (ePHI, CUI)",
        "Sequencing data (BCL, FASTQ, alignments, variants) linked to individuals: ePHI under 45 CFR 160.103 and"
        " Controlled Unclassified Information, CUI Registry categories Genetic Information and Health Information.",
        ("GENETIC", "HLTH"),
    ),
}

ROLES = {
    "system-owner": "System owner (the organization operating the stack)",
    "maintainer": "Landing-zone maintainers",
    "prepared-by": "Prepared by",
    "provider": "Cloud service provider",
    "admin": "Administrator",
    "security-auditor": "Security auditor",
    "collaborator": "External collaborator",
}


class OscalValidationError(ValueError):
    """An SSP that OSCAL tools would reject; the message names the offending field."""


def control_id(framework: str, requirement_id: str) -> str:
    """The OSCAL control-id of a requirement (rules in the module docstring)."""
    if framework == R3:
        return f"SP_800_171_{requirement_id}"
    if framework == R2:
        return f"SP_800_171_R2_{requirement_id}"
    if framework == HIPAA:
        return "HIPAA_" + requirement_id.replace(")(", "_").replace("(", "_").replace(")", "")
    raise KeyError(f"unknown framework {framework!r}; known: {', '.join(SSP_FRAMEWORKS)}")


def _line(text: str) -> str:
    """Prop values and titles are one line without outer spaces in OSCAL."""
    return " ".join(str(text).split())


def _prop(name: str, value: Any, remarks: str = "", cls: str = "", ns: str | None = NS) -> dict[str, Any]:
    prop: dict[str, Any] = {"name": name, "value": _line(value) or "none"}
    if ns:
        prop["ns"] = ns
    if cls:
        prop["class"] = cls
    if remarks.strip():
        prop["remarks"] = remarks.strip()
    return prop


class _Ids:
    """Deterministic uuids scoped to one stack and account."""

    def __init__(self, matrix: Matrix) -> None:
        self.scope = f"{matrix.info.project}/{matrix.info.stack}/{matrix.info.account}"

    def __call__(self, *parts: str) -> str:
        return str(uuid.uuid5(_UUID_NS, "/".join((self.scope, *parts))))


def _metadata(matrix: Matrix, framework: str, ids: _Ids) -> dict[str, Any]:
    info, fw = matrix.info, FRAMEWORKS[framework]
    org, maintainers, aws = ids("party", "organization"), ids("party", "maintainers"), ids("party", "aws")
    return {
        "title": f"System Security Plan: {info.project} stack {info.stack} ({info.account}, {info.region})"
        f" against {fw.name} {fw.version}",
        "last-modified": info.generated_at,
        "version": f"{info.tool_version}+state.{info.state_sha256[:12]}",
        "oscal-version": OSCAL_VERSION,
        "props": [
            _prop("generated-by", f"glz {info.tool_version}"),
            _prop("gate", "passed" if info.gate_passed else "failed", remarks=info.gate_summary),
        ],
        "roles": [{"id": role, "title": title} for role, title in ROLES.items()],
        "parties": [
            {
                "uuid": org,
                "type": "organization",
                "name": f"Organization operating {info.project} stack {info.stack} (AWS account {info.account})",
                "remarks": "Replace with the organization's legal name and contacts before submission.",
            },
            {"uuid": maintainers, "type": "organization", "name": f"{info.project} maintainers"},
            {"uuid": aws, "type": "organization", "name": "Amazon Web Services", "short-name": "AWS"},
        ],
        "responsible-parties": [
            {"role-id": "system-owner", "party-uuids": [org]},
            {"role-id": "maintainer", "party-uuids": [maintainers]},
            {"role-id": "prepared-by", "party-uuids": [maintainers]},
            {"role-id": "provider", "party-uuids": [aws]},
        ],
    }


def _import_profile(framework: str) -> dict[str, Any]:
    fw = FRAMEWORKS[framework]
    if framework == R3:
        return {
            "href": R3_CATALOG_URL,
            "remarks": f"Official NIST OSCAL catalog of {fw.name} {fw.version}; every active requirement is in scope.",
        }
    rule = {
        R2: "SP_800_171_R2_ + the requirement number (3.1.1 -> SP_800_171_R2_3.1.1)",
        HIPAA: "HIPAA_ + the section, each paragraph as _label (164.308(a)(1)(i) -> HIPAA_164.308_a_1_i)",
    }[framework]
    return {
        "href": catalog_filename(framework),
        "remarks": f"No official OSCAL catalog or profile exists for {fw.name} {fw.version}; the href is the OSCAL"
        f" catalog glz generates beside this file from its shipped catalog (authoritative text: {fw.reference_url})."
        f" Control ids: {rule}.",
    }


def catalog_filename(framework: str) -> str:
    """The generated OSCAL catalog an r2 or HIPAA SSP imports (controls/render/oscal_catalog.py)."""
    return f"control-matrix-catalog-{framework}.json"


def _system_characteristics(matrix: Matrix, framework: str, ids: _Ids) -> dict[str, Any]:
    info = matrix.info
    if info.classification not in IMPACT_BY_CLASSIFICATION:
        raise OscalValidationError(
            f"system-characteristics.security-sensitivity-level: classification {info.classification!r} is not one"
            f" of {', '.join(IMPACT_BY_CLASSIFICATION)}"
        )
    conf, integ, avail = IMPACT_BY_CLASSIFICATION[info.classification]
    title, description, cui = INFORMATION_TYPE_BY_CLASSIFICATION[info.classification]
    components = sorted({c for row in matrix.rows[framework] for c in row.components})
    return {
        "system-ids": [
            {"identifier-type": "https://ietf.org/rfc/rfc4122", "id": ids("system")},
            {"identifier-type": f"{NS}/pulumi-stack", "id": f"{info.project}/{info.stack}"},
            {"identifier-type": f"{NS}/aws-account", "id": info.account},
        ],
        "system-name": f"{info.project} {info.stack}",
        "system-name-short": info.stack,
        "description": f"AWS landing zone for genomic data built by the {info.project} Pulumi stack {info.stack}"
        f" in AWS account {info.account}, region {info.region}, data classification {info.classification}.",
        "props": [_prop("data-classification", info.classification)],
        "security-sensitivity-level": max(
            (conf, integ, avail), key=("fips-199-low", "fips-199-moderate", "fips-199-high").index
        ),
        "system-information": {
            "information-types": [
                {
                    "uuid": ids("information-type", info.classification),
                    "title": title,
                    "description": description,
                    **({"props": [_prop("cui-category", c) for c in cui]} if cui else {}),
                    "confidentiality-impact": {"base": conf},
                    "integrity-impact": {"base": integ},
                    "availability-impact": {"base": avail},
                }
            ]
        },
        "security-impact-level": {
            "security-objective-confidentiality": conf,
            "security-objective-integrity": integ,
            "security-objective-availability": avail,
        },
        "status": {"state": "operational"},
        "authorization-boundary": {
            "description": f"AWS account {info.account}, region {info.region}: every resource of stack {info.stack}"
            f" ({len(matrix.resources)} resources, see inventory-items) in the landing-zone components "
            + (", ".join(components) or "none")
            + ". AWS's infrastructure below the service APIs is inherited; the organization's people, endpoints"
            " and processes are outside the stack and covered by customer responsibilities.",
        },
    }


def _iam_roles(matrix: Matrix, marker: str) -> list[str]:
    return sorted(
        r.name
        for r in matrix.resources
        if r.type == "aws:iam/role:Role" and (marker in r.name or r.component.lower().startswith(marker))
    )


def _users(matrix: Matrix, ids: _Ids) -> list[dict[str, Any]]:
    users = []
    for role, title, marker, what in (
        ("admin", "Administrators", "admin", "operate the landing zone; denied changes to the audit plane"),
        ("security-auditor", "Security auditors", "auditor", "read audit logs and security findings"),
        ("collaborator", "Collaborators", "collab", "partner accounts reading and writing their assigned tiers"),
    ):
        roles = _iam_roles(matrix, marker)
        user: dict[str, Any] = {
            "uuid": ids("user", role),
            "title": title,
            "description": f"People who assume the {role} IAM role(s) with MFA to {what}.",
            "role-ids": [role],
        }
        if roles:
            user["props"] = [_prop("iam-role", name) for name in roles]
        users.append(user)
    return users


def _component_uuids(matrix: Matrix, framework: str, ids: _Ids) -> dict[str, str]:
    names = dict.fromkeys(c for row in matrix.rows[framework] for c in row.components)
    return {name: ids("component", name) for name in names}


def _system_implementation(matrix: Matrix, framework: str, ids: _Ids, lz: dict[str, str]) -> dict[str, Any]:
    info = matrix.info
    components = [
        {
            "uuid": ids("component", "this-system"),
            "type": "this-system",
            "title": f"{info.project} {info.stack}",
            "description": f"The landing zone as a whole: stack {info.stack} in {info.account}/{info.region}.",
            "status": {"state": "operational"},
        },
        *(
            {
                "uuid": uid,
                "type": "service",
                "title": _line(name),
                "description": f"Landing-zone component {name}: AWS resources the stack creates and configures.",
                "props": [_prop("pulumi-component", name)],
                "status": {"state": "operational"},
                "responsible-roles": [{"role-id": "maintainer"}],
            }
            for name, uid in lz.items()
        ),
        {
            "uuid": ids("component", "aws"),
            "type": "service",
            "title": "AWS (inherited)",
            "description": "Amazon Web Services: physical, environmental and infrastructure controls under the"
            " shared responsibility model (AWS SOC 2, FedRAMP and HITRUST reports via AWS Artifact).",
            "status": {"state": "operational"},
            "responsible-roles": [{"role-id": "provider"}],
        },
        {
            "uuid": ids("component", "organization"),
            "type": "process-procedure",
            "title": "Organization policies and procedures",
            "description": "Policies, training, personnel, physical and incident-response processes of the"
            " organization operating the stack (customer responsibilities).",
            "status": {"state": "operational"},
            "responsible-roles": [{"role-id": "system-owner"}],
        },
    ]
    this_system = ids("component", "this-system")
    items = [
        {
            "uuid": ids("inventory", res.urn),
            "description": f"{res.type} {res.name}",
            "props": [
                _prop("pulumi-urn", res.urn),
                _prop("resource-type", res.type),
                _prop("physical-name", res.name),
                _prop("virtual", "yes", ns=None),
            ],
            "implemented-components": [{"component-uuid": lz.get(res.component, this_system)}],
        }
        for res in matrix.resources
    ]
    out: dict[str, Any] = {}
    if info.leveraged:
        # OSCAL orders leveraged-authorizations first in system-implementation; the party is AWS (metadata)
        out["leveraged-authorizations"] = [
            {
                "uuid": ids("leveraged", auth.package_id),
                "title": auth.title,
                "props": [_prop("fedramp-package-id", auth.package_id)],
                "party-uuid": ids("party", "aws"),
                "date-authorized": auth.date_authorized,
                "remarks": f"Recorded by the organization in its attestation file ({auth.source}).",
            }
            for auth in info.leveraged
        ]
    out.update({"users": _users(matrix, ids), "components": components})
    if items:
        out["inventory-items"] = items
    return out


def _state(row: Row) -> str:
    if row.status not in STATE_BY_STATUS:
        raise OscalValidationError(
            f"implemented-requirement {row.id}: status {row.status!r} is not one of {', '.join(STATE_BY_STATUS)}"
        )
    return STATE_BY_STATUS[row.status]


def _status_remarks(row: Row) -> str:
    parts = [f"Matrix status: {row.status}."]
    parts += [f"Gap: {gap}" for gap in row.gaps]
    parts += [f"Deviation: {dev}" for dev in row.deviations]
    if row.justification:
        parts.append(f"Justification: {row.justification}")
    return "\n\n".join(parts)


def _probe_props(probes: list[ProbeResult], component: str | None = None) -> list[dict[str, Any]]:
    """One `probe` prop per probe: with its finding and resources for the whole stack, or, for ``component``, only
    that component's resources."""
    return [
        _prop(
            "probe",
            p.name,
            cls="satisfied" if p.satisfied else "not-satisfied",
            remarks=(
                p.summary + (f"\n\nResources: {', '.join(p.names)}" if p.names else "")
                if component is None
                else f"Resources of {component}: {', '.join(p.names_in(component)) or 'none named'}"
            ),
        )
        for p in probes
    ]


def component_findings(row: Row, component: str) -> str:
    """What the row's probes read of one component: each probe's check, its verdict (a probe judges the whole
    stack) and the component's own resources it read. The probe's stack-wide finding is stated once per
    requirement, in the this-system part: repeated in every component's part, it made the SSP grow as
    components x resources (95 MB per SSP at 6,862 replicated resources; issue 17)."""
    return "\n\n".join(
        f"{p.description} (probe {p.name}: {'satisfied' if p.satisfied else 'not satisfied'} across the stack); "
        f"{component}'s resources it read: {', '.join(p.names_in(component)) or 'none named'}."
        for p in row.probes
        if component in p.components
    )


def _component_by(row: Row, name: str, uid: str, ids: _Ids, framework: str) -> dict[str, Any]:
    probes = [p for p in row.probes if name in p.components]
    satisfied = sum(p.satisfied for p in probes)
    state = "implemented" if satisfied == len(probes) else "partial" if satisfied else "planned"
    return {
        "component-uuid": uid,
        "uuid": ids("by-component", framework, row.id, name),
        "description": component_findings(row, name) or f"{name} contributes to {row.id}.",
        "props": _probe_props(probes, name),
        "implementation-status": {"state": state, "remarks": f"{satisfied} of {len(probes)} probes satisfied."},
        "responsible-roles": [{"role-id": "maintainer"}],
    }


def _organization_status(row: Row) -> dict[str, str] | None:
    """The organization's part as OSCAL can state it: implemented when attested, planned only when a plan is
    recorded, not-applicable when attested so; otherwise no state at all (OSCAL has no "not assessed", and
    "planned" would assert a plan nobody made)."""
    found = row.determination
    if found is not None and found.result == "Met" and row.responsibility in ("customer", "shared"):
        return {"state": "implemented", "remarks": "; ".join(b for b in found.basis if b.startswith("organization:"))}
    if row.plan is not None:
        plan = row.plan
        return {
            "state": "planned",
            "remarks": f"Plan: {plan.milestone or 'milestone not set'}; owner {plan.owner or 'not set'}; due {plan.due or 'not set'}.",
        }
    if found is not None and found.result == "Not applicable":
        return {"state": "not-applicable", "remarks": "; ".join(found.basis)}
    return None


def _with_status(component: dict[str, Any], status: dict[str, str] | None, unassessed: str) -> dict[str, Any]:
    if status is not None:
        component["implementation-status"] = status
    else:
        component["remarks"] = unassessed
    return component


NOT_ASSESSED_REMARK = "Not assessed: the organization has not attested this part (compliance/<stack>.yaml)."


def _by_components(row: Row, framework: str, ids: _Ids, lz: dict[str, str]) -> list[dict[str, Any]]:
    state, remarks = _state(row), _status_remarks(row)
    this_system, aws, org = ids("component", "this-system"), ids("component", "aws"), ids("component", "organization")
    statement = row.statement.strip() or row.justification.strip() or row.title
    out: list[dict[str, Any]] = []
    if row.responsibility == "inherited":
        out.append(
            {
                "component-uuid": aws,
                "uuid": ids("by-component", framework, row.id, "aws"),
                "description": statement,
                "implementation-status": {"state": state, "remarks": remarks},
                "inherited": [
                    {
                        "uuid": ids("inherited", framework, row.id),
                        "description": row.justification.strip() or statement,
                        "responsible-roles": [{"role-id": "provider"}],
                    }
                ],
                "responsible-roles": [{"role-id": "provider"}],
            }
        )
    elif row.responsibility == "customer":
        actions = row.customer_actions.strip()
        out.append(
            _with_status(
                {
                    "component-uuid": org,
                    "uuid": ids("by-component", framework, row.id, "organization"),
                    "description": statement + (f"\n\nCustomer actions: {actions}" if actions else ""),
                    "responsible-roles": [{"role-id": "system-owner"}],
                },
                _organization_status(row),
                NOT_ASSESSED_REMARK,
            )
        )
    else:
        this_part: dict[str, Any] = {
            "component-uuid": this_system,
            "uuid": ids("by-component", framework, row.id, "this-system"),
            "description": statement,
        }
        if row.probes:  # each probe's finding for the whole stack, once (the components' parts name their share)
            this_part["props"] = _probe_props(row.probes)
        this_part["implementation-status"] = {"state": state, "remarks": remarks}
        this_part["responsible-roles"] = [{"role-id": "maintainer"}]
        out.append(this_part)
        out += [_component_by(row, name, lz[name], ids, framework) for name in row.components]
        if row.customer_actions.strip():
            out.append(
                _with_status(
                    {
                        "component-uuid": org,
                        "uuid": ids("by-component", framework, row.id, "organization"),
                        "description": f"Customer actions: {row.customer_actions.strip()}",
                        "responsible-roles": [{"role-id": "system-owner"}],
                    },
                    _organization_status(row),
                    NOT_ASSESSED_REMARK,
                )
            )
    return out


_RESPONSIBLE = {
    "landing-zone": ("maintainer",),
    "shared": ("maintainer", "system-owner"),
    "customer": ("system-owner",),
    "inherited": ("provider",),
    "not-applicable": ("system-owner",),
}


def _requirement(
    row: Row, framework: str, ids: _Ids, lz: dict[str, str], refs: dict[str, str], notes: tuple[str, ...] = ()
) -> dict[str, Any]:
    props = [
        _prop("requirement-id", row.id),
        _prop("status", row.status),
        _prop("responsibility", row.responsibility, remarks=row.responsibility_label),
        _prop("family", f"{row.family_id} {row.family}"),
        _prop("automated", "yes" if row.automated else "no"),
        _prop("automated-strict", "yes" if row.strictly_automated else "no"),
    ]
    if row.determination is not None:
        found = row.determination
        props.append(
            _prop(
                "determination",
                found.result,
                remarks="\n\n".join(
                    [
                        *([f"Why: {found.reason}"] if found.reason else []),
                        *found.basis,
                        f"Methods: {', '.join(found.methods)}",
                    ]
                ),
            )
        )
    if row.dod_points is not None:
        props.append(_prop("dod-assessment-points", row.dod_points))
    if row.hipaa_status:
        props.append(_prop("hipaa-implementation-specification", row.hipaa_status))
    for rule in row.rules:
        detail = f"{rule.title}: {rule.outcome}, {rule.checked} checked, {rule.failed} failed."
        detail += "".join(f"\n\n{m}" for m in rule.messages)
        detail += "".join(f"\n\nSuppressed: {r}" for r in rule.suppression_reasons)
        props.append(_prop("policy-rule", rule.rule_id, cls=rule.outcome, remarks=detail))
    props += [_prop("aws-config-rule", rule) for rule in row.config_rules]
    links = [{"href": f"#{refs['state']}", "rel": "evidence", "text": "Stack state the matrix was computed from"}]
    if row.verified is not None:
        remarks = row.verified.detail + _evidence_remarks(notes)
        props.append(_prop("account-verification", row.verified.result, remarks=remarks))
        props += [_prop("audit-check", check) for check in row.verified.check_ids]
        if "evidence" in refs:
            links.append({"href": f"#{refs['evidence']}", "rel": "evidence", "text": "glz audit evidence"})
    if row.scanner is not None:
        props.append(_prop("scanner-verdict", row.scanner.result, remarks=row.scanner.detail))
    implemented: dict[str, Any] = {
        "uuid": ids("implemented-requirement", framework, row.id),
        "control-id": control_id(framework, row.id),
        "props": props,
        "links": links,
    }
    if row.parameters:
        # r3 ODPs the stack's settings fix (controls/mapping/r3_parameters.yaml), by the imported catalog's param ids
        implemented["set-parameters"] = [{"param-id": pid, "values": [value]} for pid, value in row.parameters]
    return {
        **implemented,
        "responsible-roles": [{"role-id": role} for role in _RESPONSIBLE.get(row.responsibility, ("system-owner",))],
        "by-components": _by_components(row, framework, ids, lz),
        "remarks": _line(row.title),
    }


def _evidence_remarks(notes: tuple[str, ...]) -> str:
    """The matrix's notes on the live evidence (stale, other state, no hash) as markup paragraphs, or ''."""
    return "".join(f"\n\nNote on the live evidence: {note}." for note in notes)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _back_matter(matrix: Matrix, framework: str, ids: _Ids) -> tuple[dict[str, Any], dict[str, str]]:
    info, fw = matrix.info, FRAMEWORKS[framework]
    refs = {"state": ids("resource", "state"), "framework": ids("resource", framework)}
    resources = [
        {
            "uuid": refs["state"],
            "title": "Pulumi stack state",
            "description": f"State of stack {info.stack} the control matrix was computed from.",
            "rlinks": [
                {
                    "href": info.state_source,
                    "media-type": "application/json",
                    "hashes": [{"algorithm": "SHA-256", "value": info.state_sha256}],
                }
            ],
        },
        {
            "uuid": refs["framework"],
            "title": f"{fw.name} {fw.version}: {fw.title}",
            "rlinks": [{"href": fw.reference_url}, *([{"href": R3_CATALOG_URL}] if framework == R3 else [])],
        },
    ]
    if info.evidence_source:
        refs["evidence"] = ids("resource", "evidence")
        digest = _sha256(Path(info.evidence_source))
        rlink: dict[str, Any] = {"href": info.evidence_source, "media-type": "application/json"}
        if digest:
            rlink["hashes"] = [{"algorithm": "SHA-256", "value": digest}]
        resource: dict[str, Any] = {
            "uuid": refs["evidence"],
            "title": "glz audit evidence",
            "description": "What `glz audit` observed in the AWS account, joined to the rows by probe.",
            "rlinks": [rlink],
        }
        if info.evidence_notes:
            resource["remarks"] = _evidence_remarks(info.evidence_notes).strip()
        resources.append(resource)
    return {"resources": resources}, refs


def render_ssp(matrix: Matrix, framework: str) -> dict[str, Any]:
    """The OSCAL SSP document (`{"system-security-plan": ...}`) of one framework; not yet validated."""
    if framework not in SSP_FRAMEWORKS or framework not in matrix.rows:
        raise KeyError(f"framework {framework!r} is not in the matrix; known: {', '.join(matrix.rows)}")
    ids = _Ids(matrix)
    lz = _component_uuids(matrix, framework, ids)
    back_matter, refs = _back_matter(matrix, framework, ids)
    fw = FRAMEWORKS[framework]
    return {
        "system-security-plan": {
            "uuid": ids("ssp", framework, matrix.info.state_sha256),
            "metadata": _metadata(matrix, framework, ids),
            "import-profile": _import_profile(framework),
            "system-characteristics": _system_characteristics(matrix, framework, ids),
            "system-implementation": _system_implementation(matrix, framework, ids, lz),
            "control-implementation": {
                "description": f"How stack {matrix.info.stack} meets {fw.name} {fw.version}, computed by glz from"
                " the stack state and the policy gate (see the back-matter). Statuses: prop `status` in namespace"
                f" {NS} and implementation-status on each requirement's first by-component.",
                "implemented-requirements": [
                    _requirement(row, framework, ids, lz, refs, matrix.info.evidence_notes)
                    for row in matrix.rows[framework]
                ],
            },
            "back-matter": back_matter,
        }
    }


def _where(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(document)"


def _check_unique_uuids(node: Any, where: str, seen: dict[str, str]) -> None:
    """OSCAL uuids identify one subject each; the schema cannot see a repeat."""
    if isinstance(node, dict):
        if isinstance(node.get("uuid"), str):
            if node["uuid"] in seen:
                raise OscalValidationError(f"{where}.uuid: {node['uuid']} is already used at {seen[node['uuid']]}")
            seen[node["uuid"]] = where
        for key, value in node.items():
            _check_unique_uuids(value, f"{where}.{key}", seen)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_unique_uuids(value, f"{where}.{i}", seen)


def _check_references(ssp: dict[str, Any]) -> None:
    """Cross-references the schema cannot check: roles, components and back-matter anchors must exist."""
    roles = {role["id"] for role in ssp["metadata"].get("roles", [])}
    impl = ssp["system-implementation"]
    components = {c["uuid"] for c in impl["components"]}
    anchors = {f"#{r['uuid']}" for r in ssp.get("back-matter", {}).get("resources", [])}
    for i, req in enumerate(ssp["control-implementation"]["implemented-requirements"]):
        where = f"system-security-plan.control-implementation.implemented-requirements.{i} ({req['control-id']})"
        for role in req.get("responsible-roles", []):
            if role["role-id"] not in roles:
                raise OscalValidationError(f"{where}.responsible-roles: role-id {role['role-id']!r} is undefined")
        for link in req.get("links", []):
            if link["href"].startswith("#") and link["href"] not in anchors:
                raise OscalValidationError(f"{where}.links: href {link['href']!r} is not a back-matter resource")
        for by in req.get("by-components", []):
            if by["component-uuid"] not in components:
                raise OscalValidationError(f"{where}.by-components: component-uuid {by['component-uuid']} is undefined")
    for user in impl.get("users", []):
        for role in user.get("role-ids", []):
            if role not in roles:
                raise OscalValidationError(f"system-security-plan.system-implementation.users: role {role!r} undefined")


def validate_model(model: Any, document: dict[str, Any], key: str, what: str) -> Any:
    """Validate `document[key]` with a trestle OSCAL model; OscalValidationError names the first fields."""
    try:
        return model.model_validate(document[key])
    except ValidationError as exc:
        errors = exc.errors()
        detail = "; ".join(f"{key}.{_where(e)}: {e['msg']}" for e in errors[:5])
        raise OscalValidationError(f"invalid OSCAL {what}: {detail}") from exc


def validate_ssp(document: dict[str, Any]) -> SystemSecurityPlan:
    """Validate an SSP document with trestle's OSCAL models; raises OscalValidationError naming the field."""
    if set(document) != {"system-security-plan"}:
        raise OscalValidationError(
            f"(document): expected the single key 'system-security-plan', got {sorted(document)}"
        )
    try:
        model = SystemSecurityPlan.model_validate(document["system-security-plan"])
    except ValidationError as exc:
        errors = exc.errors()
        detail = "; ".join(f"system-security-plan.{_where(e)}: {e['msg']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise OscalValidationError(f"invalid OSCAL SSP: {detail}{more}") from exc
    _check_unique_uuids(document["system-security-plan"], "system-security-plan", {})
    _check_references(document["system-security-plan"])
    return model


def ssp_filename(framework: str) -> str:
    return f"control-matrix-ssp-{framework}.json"


def write_ssps(matrix: Matrix, out_dir: Path) -> list[Path]:
    """Render, validate and write one SSP per framework; nothing is written unless all three validate."""
    documents = {}
    from controls.render.oscal_catalog import CATALOG_FRAMEWORKS, render_catalog, validate_catalog

    for framework in SSP_FRAMEWORKS:
        document = render_ssp(matrix, framework)
        validate_ssp(document)
        documents[framework] = document
    catalogs = {}
    for framework in CATALOG_FRAMEWORKS:
        catalogs[framework] = render_catalog(framework, matrix.info.generated_at, matrix.info.tool_version)
        validate_catalog(catalogs[framework])
        imported = {c["id"] for g in catalogs[framework]["catalog"]["groups"] for c in g["controls"]}
        used = {
            r["control-id"]
            for r in documents[framework]["system-security-plan"]["control-implementation"]["implemented-requirements"]
        }
        if used - imported:
            raise OscalValidationError(
                f"{ssp_filename(framework)}: control ids not in its catalog: {sorted(used - imported)}"
            )
    return write_documents(documents, out_dir, ssp_filename) + write_documents(catalogs, out_dir, catalog_filename)


def write_documents(documents: dict[str, dict[str, Any]], out_dir: Path, filename: Any) -> list[Path]:
    """Write validated OSCAL documents, one per framework, as `filename(framework)` in out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for framework, document in documents.items():
        path = out_dir / filename(framework)
        write_indented(path, document, ensure_ascii=False)
        paths.append(path)
    return paths
