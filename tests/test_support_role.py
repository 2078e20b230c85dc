"""GLZ-IAM-019 by meaning: the same grant written another way passes; the administrator alone does not count."""

from __future__ import annotations

from tests.access_weakenings import ACCT, ADMIN, allow, attach, combine, inline
from tests.more_weakenings import SUPPORT_ROLE
from tests.mutations import apply, remove
from tests.test_corpus import failed

ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def test_the_demo_support_role_passes(demo_state_document):
    assert "GLZ-IAM-019" not in failed(demo_state_document)


def test_support_granted_inline_instead_of_the_managed_policy_passes(demo_state_document):
    inline_grant = combine(
        remove(ATTACH, "operators-support-access"),
        inline("support", SUPPORT_ROLE, allow("support:*")),
    )
    assert "GLZ-IAM-019" not in failed(apply(demo_state_document, inline_grant))


def test_the_administrator_alone_does_not_count(demo_state_document):
    """AdministratorAccess includes support:*, but CIS 1.17 asks for case handling without administrator rights."""
    without = apply(
        demo_state_document,
        combine(
            remove(ATTACH, "operators-support-access"),
            attach("admin", ADMIN.rsplit("/", 1)[-1], "arn:aws:iam::aws:policy/AWSSupportAccess"),
        ),
    )
    assert "GLZ-IAM-019" in failed(without)
    assert ACCT in ADMIN
