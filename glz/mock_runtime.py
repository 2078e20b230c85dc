"""Pulumi's mock runtime, extended to record what `pulumi stack export` would hold.

The stock MockMonitor keeps only URN, ID and state. A deployment's state also needs each
resource's parent, provider, dependencies and property dependencies, so this monitor records the
registration requests themselves.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.settings import get_project, get_stack

from glz.mock_outputs import OutputFactory

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    order: int = 0
    import_id: str = ""  # the import resource option: what `pulumi up` adopts instead of creating
    retain_on_delete: bool = False


def stack_urn() -> str:
    return f"urn:pulumi:{get_stack()}::{get_project()}::{STACK_TYPE}::{get_project()}-{get_stack()}"


class PlausibleMocks(Mocks):
    """Answers resource registrations with outputs AWS would plausibly return."""

    def __init__(self, account_id: str, region: str, partition: str = "aws"):
        self.factory = OutputFactory(account_id, region, partition)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return self.factory.build(args.typ, args.name, args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"the landing zone must not call data sources offline, but it called {args.token}")


class RecordingMonitor(MockMonitor):
    """A MockMonitor that records every registration the way the engine would store it."""

    def __init__(self, mocks: Mocks, *, strict: bool = False):
        super().__init__(mocks)
        self.strict = strict
        self.registrations: dict[str, Registration] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack out of its children's URNs.
        if parent.endswith(f"::{STACK_TYPE}::{get_project()}-{get_stack()}") or type_ == STACK_TYPE:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        inputs = rpc.deserialize_properties(request.object)
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            provider=request.provider,
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                key: sorted(set(value.urns)) for key, value in request.propertyDependencies.items() if value.urns
            },
            inputs=inputs if request.custom else {},
            import_id=str(getattr(request, "importId", "") or ""),
            retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
        )
        if request.custom and response.urn in self.resources:
            resource = self.resources[response.urn]
            registration.id = resource.id
            registration.outputs = dict(resource.state)
        with self._lock:
            if self.strict and response.urn in self.registrations:
                # The engine refuses duplicate URNs; a mock must not silently merge two resources.
                raise ValueError(f"duplicate resource URN {response.urn}: two resources share a type, parent and name")
            registration.order = len(self.registrations)
            self.registrations[response.urn] = registration
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        outputs = rpc.deserialize_properties(request.outputs)
        with self._lock:
            if request.urn in self.registrations:
                self.registrations[request.urn].outputs = outputs
        return super().RegisterResourceOutputs(request)
