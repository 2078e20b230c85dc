"""HIPAA eligibility: a phi or controlled stack deploys only services the AWS BAA covers, and nothing the gate
cannot classify. The list is data (policies/data/hipaa_eligible_services.yaml, with its source and dates);
an AWS module the file does not name is a finding, never a silent pass. A stack without a DataClassification
tag, or with a value the gate does not know, is judged as phi; only a public stack is exempt."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from glz.errors import safe_load
from policies.framework import Requirements, StackView, View, Violation, stack_rule

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "hipaa_eligible_services.yaml"
NOT_RESOURCES = ("pulumi", "glz")
"""Packages whose types hold no cloud data: the Pulumi engine's stack and providers, this project's components
(their AWS children are checked one by one)."""
AWS_TYPE = re.compile(r"^aws:(?P<module>[a-z0-9]+)/[A-Za-z0-9]+:[A-Za-z0-9]+$")


@dataclass(frozen=True)
class Service:
    """What one pulumi-aws module is, by AWS's HIPAA Eligible Services Reference."""

    module: str
    name: str
    eligible: bool
    control_plane: bool = False
    reason: str = ""

    @property
    def allowed(self) -> bool:
        """Eligible, or an account control-plane service that never holds PHI."""
        return self.eligible or self.control_plane


@dataclass(frozen=True)
class EligibleServices:
    url: str
    list_date: dt.date
    retrieved: dt.date
    services: tuple[str, ...]
    modules: dict[str, Service]


def base_name(listed: str) -> str:
    """A listed service's name without its bracketed exclusions ('AWS Shield [Standard and Advanced]')."""
    return listed.split(" [", 1)[0].strip()


def load(path: Path = DATA_FILE) -> EligibleServices:
    """Read and check the list; a broken file stops the gate with the key at fault, rather than passing."""
    where = str(path)
    try:
        document = safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{where}: cannot read the HIPAA eligible services list: {error}") from error
    if not isinstance(document, dict):
        raise ValueError(f"{where}: expected a mapping with source, services and modules")
    source = document.get("source")
    if not isinstance(source, dict):
        raise ValueError(f"{where}: source must say where the list comes from (url, list_date, retrieved)")
    url = source.get("url")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(f"{where}: source.url must be the https address of the list, got {url!r}")
    dates = {key: source.get(key) for key in ("list_date", "retrieved")}
    for key, value in dates.items():
        if not isinstance(value, dt.date):
            raise ValueError(f"{where}: source.{key} must be a date (YYYY-MM-DD), got {value!r}")
    if dates["retrieved"] < dates["list_date"]:
        raise ValueError(f"{where}: source.retrieved {dates['retrieved']} is before source.list_date")
    services = document.get("services")
    if not isinstance(services, list) or not services or not all(isinstance(s, str) and s for s in services):
        raise ValueError(f"{where}: services must be the list's service names, one string each")
    listed = {base_name(s) for s in services}
    if len(listed) != len(services):
        raise ValueError(f"{where}: services names a service twice")
    modules = document.get("modules")
    if not isinstance(modules, dict) or not modules:
        raise ValueError(f"{where}: modules must map pulumi-aws module names to services")
    return EligibleServices(
        url,
        dates["list_date"],
        dates["retrieved"],
        tuple(services),
        {str(name): _service(where, str(name), body, listed) for name, body in modules.items()},
    )


def _service(where: str, module: str, body: Any, listed: set[str]) -> Service:
    at = f"{where}: modules.{module}"
    if not isinstance(body, dict):
        raise ValueError(f"{at}: expected a mapping with service and eligible")
    unknown = sorted(set(body) - {"service", "eligible", "control_plane", "reason", "note"})
    if unknown:
        raise ValueError(f"{at}: unknown keys {unknown}; allowed: service, eligible, control_plane, reason, note")
    name, eligible, control_plane = body.get("service"), body.get("eligible"), body.get("control_plane", False)
    if not isinstance(name, str) or not name:
        raise ValueError(f"{at}.service must be the AWS service name, got {name!r}")
    if not isinstance(eligible, bool) or not isinstance(control_plane, bool):
        raise ValueError(f"{at}: eligible and control_plane must be true or false")
    if eligible and name not in listed:
        raise ValueError(f"{at}: eligible, but {name!r} is not under services (the list)")
    if not eligible and name in listed:
        raise ValueError(f"{at}: not eligible, but {name!r} is on the list")
    reason = body.get("reason") or ""
    if control_plane and (eligible or not isinstance(reason, str) or not reason.strip()):
        raise ValueError(f"{at}: a control-plane entry is not eligible and says in reason why it holds no PHI")
    return Service(module, name, eligible, control_plane, str(reason))


ELIGIBLE = load()

# The AWS BAA is the "satisfactory assurance" of 164.308(b)(1), in the contract 164.314(a)(1) requires, and it covers
# only the listed services. AWS is an external system (3.1.20, 03.01.20) providing external system services that
# must meet the organization's requirements (03.16.03). GLZ-PHI-002 adds the component inventory (3.4.1, 03.04.10):
# a resource nobody classified is one nobody checked against the BAA.
REQUIREMENTS = Requirements(
    r2=("3.1.20",),
    r3=("03.01.20", "03.16.03"),
    hipaa=("164.308(b)(1)", "164.314(a)(1)"),
)


def classify(typ: str) -> Service | str:
    """The service of an AWS type token, or why the gate cannot tell (a sentence starting 'cannot classify')."""
    match = AWS_TYPE.match(typ)
    if match is None:
        package = typ.split(":", 1)[0]
        if package == "aws":
            return f"cannot classify {typ}: not an aws:<module>/<resource>:<Type> token"
        return (
            f"cannot classify {typ}: package {package!r} is not AWS, Pulumi or a glz component, so where it "
            "keeps data is unknown"
        )
    service = ELIGIBLE.modules.get(match["module"])
    if service is None:
        return (
            f"cannot classify {typ}: module {match['module']!r} is not in "
            f"policies/data/{DATA_FILE.name}, so its HIPAA eligibility is unknown"
        )
    return service


CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"
CFN_TYPE = re.compile(r"^AWS::(?P<service>[A-Za-z0-9]+)::[A-Za-z0-9]+$")
CFN_SERVICE_MODULES = {"stepfunctions": "sfn", "logs": "cloudwatch", "events": "cloudwatch"}
"""CloudFormation service names whose pulumi-aws module is not their lowercase form."""


def cloud_control_type(resource: View) -> str:
    """The pulumi-aws type a Cloud Control resource stands for, by the CloudFormation type it creates
    (AWS::RolesAnywhere::CRL -> aws:rolesanywhere/...): the service holding the data is that type's, not Cloud
    Control's, which only provisions it."""
    match = CFN_TYPE.match(str(resource.get("typeName") or ""))
    if match is None:
        return f"aws:cloudcontrol-unknown/{resource.get('typeName')}:Resource"
    service = match["service"].lower()
    return f"aws:{CFN_SERVICE_MODULES.get(service, service)}/{match.group(0).split('::')[-1].lower()}:Resource"


def _in_scope(stack: StackView) -> Iterator[tuple[str, str, Service | str]]:
    """(URN, type, classification) of every resource the rules judge, in a stack that may hold PHI or CUI."""
    if stack.classification == "public":
        return
    for resource in stack.resources:
        if resource.type.split(":", 1)[0] in NOT_RESOURCES:
            continue
        typ = cloud_control_type(resource) if resource.type == CLOUD_CONTROL else resource.type
        yield resource.urn, typ, classify(typ)


@stack_rule(
    "GLZ-PHI-001",
    "hipaa-eligible-services-only",
    "high",
    REQUIREMENTS,
    "Keep ePHI and CUI in services on AWS's HIPAA Eligible Services Reference: remove the resource, move it to a "
    "stack classified public, or, if AWS has since listed the service, update policies/data/"
    "hipaa_eligible_services.yaml (the list, its list_date and retrieved date, and the module's entry).",
)
def eligible_services_only(stack: StackView) -> Iterator[Violation]:
    """In phi and controlled stacks every AWS resource belongs to a service on AWS's HIPAA eligible list."""
    for urn, typ, service in _in_scope(stack):
        if isinstance(service, Service) and not service.allowed:
            yield Violation(
                urn,
                f"{typ} is a resource of {service.name}, which is not HIPAA-eligible (not on AWS's HIPAA Eligible "
                f"Services Reference of {ELIGIBLE.list_date}, so the AWS BAA does not cover it) in a "
                f"{stack.classification} stack",
            )


@stack_rule(
    "GLZ-PHI-002",
    "every-resource-classified",
    "high",
    Requirements(
        r2=(*REQUIREMENTS.r2, "3.4.1"),
        r3=(*REQUIREMENTS.r3, "03.04.10"),
        hipaa=REQUIREMENTS.hipaa,
    ),
    "Look the service up in AWS's HIPAA Eligible Services Reference and add its pulumi-aws module to policies/data/"
    "hipaa_eligible_services.yaml (service name as listed, eligible, and for a service that holds no PHI "
    "control_plane with the reason); resources of other providers need a public stack or a written suppression.",
)
def every_resource_classified(stack: StackView) -> Iterator[Violation]:
    """In phi and controlled stacks the gate knows every resource's service; one it cannot classify fails."""
    for urn, _typ, service in _in_scope(stack):
        if isinstance(service, str):
            yield Violation(urn, f"{service} (in a {stack.classification} stack)")
