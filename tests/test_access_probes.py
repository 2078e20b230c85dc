"""Matrix sentences from the access model change when the permission changes, and only then."""

from __future__ import annotations

import pytest

from controls.probes import run_probe
from glz.state import StackState
from tests.access_weakenings import CORPUS, set_prop
from tests.mutations import apply

BY_NAME = {w.name: w.change for w in CORPUS}


@pytest.mark.parametrize(
    ("weakening", "probe", "now_says"),
    [
        ("job role gets AdministratorAccess", "operator_roles", "CAN tamper with the audit plane"),
        ("instance role: IAMFullAccess", "operator_roles", "other than the administrator can change IAM"),
        ("variants policy: grant to a foreign root", "outside_access", "paths from outside the account"),
        ("results TLS deny: bucket ARN only", "bucket_tls_only", "not on glz-demo-results"),
        ("admin trust: MFA dropped", "mfa_required", "4 of 5"),
        ("boundary: AdministratorAccess", "permission_boundaries", "1 of 2"),
        ("job role: delete versions of its output", "least_privilege_jobs", "can destroy data"),
        ("collaborator trust: ExternalId dropped", "collaborator_roles", "1 require the ExternalId"),
        ("variants endpoint deny: reads only", "bucket_endpoint_only", "not on glz-demo-variants"),
    ],
)
def test_sentence_follows_the_permission(demo_state_document, weakening, probe, now_says):
    before = run_probe(StackState(demo_state_document), probe)
    after = run_probe(StackState(apply(demo_state_document, BY_NAME[weakening])), probe)
    assert before.satisfied and not after.satisfied
    assert now_says not in before.summary and now_says in after.summary, after.summary


def test_a_tag_alone_changes_no_access_sentence(demo_state_document):
    retagged = apply(demo_state_document, set_prop("aws:s3/bucket:Bucket", "data-variants", "tags", {}))
    for probe in ("bucket_endpoint_only", "collaborator_roles", "least_privilege_jobs", "outside_access"):
        assert (
            run_probe(StackState(retagged), probe).summary == run_probe(StackState(demo_state_document), probe).summary
        )
