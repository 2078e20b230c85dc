"""The emulated account holds every resource the demo state declares that moto can hold (scanners and `glz audit`
see the account the state describes); what moto cannot hold is listed with the reason."""

from __future__ import annotations

import inspect
import re

from glz.state import StackState
from tests import audit_account
from tests.audit_account import CANNOT_HOLD, MotoAccount


def _declared_types(document: dict) -> set[str]:
    state = StackState(document, "demo")
    return {r.type for r in state.resources if r.type.startswith("aws:")}


def _provisioning_source() -> str:
    """The source of `provision` and of every helper it calls: what builds the account."""
    seen: dict[str, str] = {}
    pending = ["provision"]
    while pending:
        name = pending.pop()
        if name in seen or not inspect.isfunction(getattr(audit_account, name, None)):
            continue
        seen[name] = inspect.getsource(getattr(audit_account, name))
        pending += re.findall(r"\b([a-z_]+)\(", seen[name])
    return "".join(seen.values())


def test_every_declared_type_is_provisioned_or_listed_with_its_reason(demo_state_document):
    provisioning = _provisioning_source()
    declared = _declared_types(demo_state_document)
    missing = sorted(t for t in declared if f'"{t}"' not in provisioning and t not in CANNOT_HOLD)
    assert missing == [], "provision these in tests/audit_account.py, or list them in CANNOT_HOLD with the reason"
    held_anyway = sorted(t for t in CANNOT_HOLD if f'"{t}"' in provisioning)
    assert held_anyway == [], "provisioned, so no longer in CANNOT_HOLD"
    assert set(CANNOT_HOLD) <= declared, "CANNOT_HOLD names types the demo state does not declare"


def test_the_newly_held_resources_are_in_the_account(moto_demo_account: MotoAccount, demo_state_document):
    state = StackState(demo_state_document, "demo")
    ec2, efs, iam, sns = (moto_demo_account.client(s) for s in ("ec2", "efs", "iam", "sns"))
    associations = [
        a for table in ec2.describe_route_tables()["RouteTables"] for a in table["Associations"] if a.get("SubnetId")
    ]
    assert len(associations) >= len(state.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"))
    points = efs.describe_access_points()["AccessPoints"]
    assert len(points) == len(state.of_type("aws:efs/accessPoint:AccessPoint"))
    assert {p["RootDirectory"]["Path"] for p in points} == {
        a.prop("rootDirectory")["path"] for a in state.of_type("aws:efs/accessPoint:AccessPoint")
    }
    roles = {r["Path"] + r["RoleName"] for r in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]}
    for linked in state.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole"):
        service = linked.prop("awsServiceName")
        assert any(f"/aws-service-role/{service}/" in r for r in roles), service
    endpoints = {s["Endpoint"] for s in sns.list_subscriptions()["Subscriptions"]}
    assert {s.prop("endpoint") for s in state.of_type("aws:sns/topicSubscription:TopicSubscription")} <= endpoints
