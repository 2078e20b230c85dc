"""Backups (components/backups): settings refused with the key and what is allowed; the rules judge the vault
policy by meaning (equivalent forms pass, narrowed ones fail in the corpus); the probe's sentence follows the plan;
the data buckets let the backup role read only the tiers it copies."""

from __future__ import annotations

import copy
import json

import pytest

from components import data_guardrails
from components.backup_policies import backup_role_arn, vault_policy
from components.settings import SettingsError, parse_settings
from controls.probes import PROBES
from glz.gate import stack_view
from glz.state import StackState
from policies.rules.backups import backed_up, vault_guarded
from tests.mutations import find

DEPLOYER = "arn:aws:iam::111122223333:role/pulumi-deployer"
BASE = {
    "region": "us-east-1",
    "accountId": "111122223333",
    "compute": {"enabled": False},
    "runTracking": {"enabled": False},
    "deployerPrincipalArns": [DEPLOYER],
}


@pytest.mark.parametrize(
    ("backups", "message"),
    [
        ({"tiers": ["fastq", "raw"]}, "genomics-landing-zone:backups.tiers = ['fastq', 'raw']: ['raw']: unknown tiers"),
        ({"schedule": "daily"}, "backups.schedule = 'daily': must be an AWS Backup cron expression"),
        ({"retentionDays": 3}, "backups.retentionDays = 3: Input should be greater than or equal to 7"),
        (
            {"retentionDays": 10, "lockMinRetentionDays": 30},
            "lockMinRetentionDays 30 is longer than retentionDays 10: the locked vault would fail every backup job",
        ),
        ({"copyRetentionDays": 90}, "copyRetentionDays is set without copyVaultArn"),
        ({"copyVaultArn": "arn:aws:s3:::not-a-vault"}, "backups.copyVaultArn = 'arn:aws:s3:::not-a-vault': must be"),
        ({"lock": "forever"}, "backups.lock = 'forever': Input should be 'governance', 'compliance' or 'none'"),
    ],
)
def test_bad_backup_settings_name_the_key_and_what_is_allowed(backups, message):
    with pytest.raises(SettingsError) as error:
        parse_settings({**BASE, "backups": backups})
    assert message in str(error.value)


def test_the_backup_role_reads_only_the_tiers_it_copies():
    settings = parse_settings({**BASE, "backups": {"tiers": ["variants"]}})
    role = backup_role_arn(settings, "demo")
    assert role in data_guardrails.object_readers(settings, "demo", "variants", scanned=False)
    assert role not in data_guardrails.object_readers(settings, "demo", "results", scanned=False)
    off = parse_settings({**BASE, "backups": {"enabled": False}})
    assert backup_role_arn(off, "demo") not in data_guardrails.object_readers(off, "demo", "variants", scanned=False)


def _vault_policy(document: dict) -> dict:
    return json.loads(find(document, "aws:backup/vaultPolicy:VaultPolicy")[0]["inputs"]["policy"])


def _with_vault_policy(document: dict, policy: dict) -> dict:
    changed = copy.deepcopy(document)
    for section in ("inputs", "outputs"):
        find(changed, "aws:backup/vaultPolicy:VaultPolicy")[0][section]["policy"] = json.dumps(policy)
    return changed


def _violations(rule, document: dict) -> list[str]:
    return [v.message for v in rule.check_stack(stack_view(StackState(document, "demo")))]


def test_the_demo_vault_and_its_backups_pass(demo_state_document):
    assert _violations(vault_guarded, demo_state_document) == []
    assert _violations(backed_up, demo_state_document) == []


def test_a_vault_policy_written_another_way_with_the_same_meaning_passes(demo_state_document):
    """One deny of backup:Delete* (covering both deletions) plus the retention change, each to everyone but
    break-glass, refuses the same requests as the component's statements."""
    policy = _vault_policy(demo_state_document)
    glass = next(s for s in policy["Statement"] if s["Sid"] == "DenyRecoveryPointDestructionButBreakGlass")
    condition = glass["Condition"]
    rewritten = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "backup:Delete*",
                "Resource": "*",
                "Condition": condition,
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["backup:UpdateRecoveryPointLifecycle"],
                "Resource": "*",
                "Condition": condition,
            },
        ],
    }
    assert _violations(vault_guarded, _with_vault_policy(demo_state_document, rewritten)) == []


def test_a_public_stack_may_go_without_backups(demo_state_document):
    changed = copy.deepcopy(demo_state_document)
    stack = find(changed, "pulumi:pulumi:Stack")[0]
    stack["outputs"].pop("backups")
    assert _violations(backed_up, changed) and "backups.enabled is false" in _violations(backed_up, changed)[0]
    stack["outputs"]["classification"] = "public"
    assert _violations(backed_up, changed) == []


def test_the_probe_sentence_follows_the_plan(demo_state_document):
    state = StackState(demo_state_document, "demo")
    ok, summary, _, fields = PROBES["backups"].compute(state)
    assert ok and "on schedule cron(0 5 * * ? *)" in summary and fields["retention"] == "35 days"
    changed = copy.deepcopy(demo_state_document)
    plan = find(changed, "aws:backup/plan:Plan")[0]
    for section in ("inputs", "outputs"):
        plan[section]["rules"][0]["lifecycle"] = {"deleteAfter": 1}
    ok, summary, _, _ = PROBES["backups"].compute(StackState(changed, "demo"))
    assert not ok and summary.startswith("Backups are incomplete: not backed up: bucket glz-demo-audit")


def test_the_vault_policy_exempts_the_deployer_from_changes_only():
    settings = parse_settings(BASE)
    statements = {s["Sid"]: s for s in vault_policy(settings, "demo")["Statement"]}
    deployer = DEPLOYER
    assert deployer in statements["DenyVaultChangesButDeployer"]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    for sid in ("DenyRecoveryPointDestructionButBreakGlass", "DenyVaultDestructionButBreakGlass"):
        assert deployer not in statements[sid]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
