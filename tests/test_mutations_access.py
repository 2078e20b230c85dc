"""The access-model rules fail on every weakening of tests/access_weakenings.py, each written several ways."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from glz.gate import run_rules
from glz.state import StackState
from policies.rules import ALL_RULES
from tests.access_weakenings import CORPUS, Weakening
from tests.mutations import apply

TODAY = dt.date(2026, 11, 23)


def failed(document: dict) -> set[str]:
    return run_rules(StackState(document), ALL_RULES, [], today=TODAY).failed_rule_ids()


def test_every_access_rule_has_three_forms():
    counts = collections.Counter(w.rule for w in CORPUS)
    assert counts and min(counts.values()) >= 3, counts


@pytest.mark.parametrize("weakening", CORPUS, ids=[w.name for w in CORPUS])
def test_weakening_trips_its_rule(demo_state_document, weakening: Weakening):
    weakened = apply(demo_state_document, weakening.change)
    assert weakened != demo_state_document, f"{weakening.name}: the change changed nothing"
    got = failed(weakened)
    assert weakening.rule in got, f"{weakening.name}: expected {weakening.rule}, got {sorted(got)}"


def test_kill_rate_printed(demo_state_document, capsys):
    killed = sum(w.rule in failed(apply(demo_state_document, w.change)) for w in CORPUS)
    with capsys.disabled():
        print(
            f"\naccess-model corpus kill rate (own rules, no checkov): {killed}/{len(CORPUS)} = {killed / len(CORPUS):.0%}"
        )
    assert killed == len(CORPUS)
