"""The independent red-team corpus (tests/redteam): single-change weakenings the gate must catch.

The corpus was written without looking at the gate's rules or its own mutation suite. The kill-rate
threshold is deliberately strict: it fails until the rules catch the same weakening written in the
other forms the corpus uses. `python -m tests.redteam.run` prints every miss.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt

import pytest

from tests.redteam.run import Gate, evaluate
from tests.redteam.weakenings import DOMAINS, WEAKENINGS

KILL_RATE_REQUIRED = 0.95
TODAY = dt.date(2026, 11, 23)


def test_clean_demo_passes_the_own_rules(demo_state_document):
    from glz.gate import run_rules
    from glz.state import StackState
    from policies.rules import ALL_RULES
    from tests.redteam.run import load_suppressions

    result = run_rules(StackState(copy.deepcopy(demo_state_document)), ALL_RULES, load_suppressions(), today=TODAY)
    blocking = [(f.rule_id, f.urn, f.message) for f in result.findings if f.blocking]
    assert not blocking, blocking


def test_corpus_shape():
    ids = [w.id for w in WEAKENINGS]
    assert len(ids) == len(set(ids)), "weakening ids must be unique"
    assert len(WEAKENINGS) >= 120
    per_domain = collections.Counter(w.domain for w in WEAKENINGS)
    assert set(per_domain) == set(DOMAINS)
    assert all(count >= 3 for count in per_domain.values()), per_domain
    assert all(w.description and len(w.description) < 160 for w in WEAKENINGS)


@pytest.mark.parametrize("weakening", WEAKENINGS, ids=[w.id for w in WEAKENINGS])
def test_weakening_applies_and_changes_the_state(weakening, demo_state_document):
    from glz.state import StackState

    document = copy.deepcopy(demo_state_document)
    weakening.apply(document)
    assert document != demo_state_document, f"{weakening.id} left the state unchanged"
    StackState(document)  # still a readable stack state
    urns = [r["urn"] for r in document["deployment"]["resources"]]
    assert len(urns) == len(set(urns)), f"{weakening.id} registered a duplicate URN"


def test_gate_kills_the_red_team_corpus(demo_state_document):
    report = evaluate(demo_state_document, gate=Gate(today=TODAY))
    print()
    print(report.summary())
    assert report.kill_rate >= KILL_RATE_REQUIRED, (
        f"red-team kill rate {report.kill_rate:.1%} (required {KILL_RATE_REQUIRED:.0%}); missed:\n"
        + "\n".join(f"  {o.weakening.domain}/{o.weakening.id}: {o.weakening.description}" for o in report.missed())
    )
