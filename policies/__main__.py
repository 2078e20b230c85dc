"""The CrossGuard policy pack: `pulumi preview --policy-pack policies`.

The rules live in importable modules (policies/rules) and also run offline in `glz check`.
"""

import sys
from pathlib import Path

PACK_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(PACK_DIR.parent))  # make the `policies` package importable from the pack dir

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies import suppressions as suppression_file  # noqa: E402
from policies.crossguard import build_policies  # noqa: E402
from policies.rules import ALL_RULES, RULES_BY_ID  # noqa: E402

PolicyPack(
    name="genomics-landing-zone",
    description="NIST SP 800-171 and HIPAA guardrails for the genomics landing zone",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(ALL_RULES, suppression_file.load(PACK_DIR / "suppressions.yaml", set(RULES_BY_ID))),
)
