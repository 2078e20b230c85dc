"""The weakening corpus as a whole: at least 200 weakenings across every domain, each rule's violation written at
least three ways, each tagged with the rule it must trip.

Five corpora make it up: tests/test_mutations.py (MUTATIONS), tests/access_weakenings.py (CORPUS),
tests/more_weakenings.py (CORPUS), tests/test_mutations_services.py (FORMS) and
tests/test_mutations_network_compute.py (CASES). The others run their own entries; this module runs
tests/more_weakenings.py's and counts them all.
"""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from glz.gate import run_rules
from glz.state import StackState
from policies.rules import ALL_RULES
from tests.access_weakenings import Weakening
from tests.more_weakenings import CORPUS, GAPS
from tests.mutations import apply

TODAY = dt.date(2026, 11, 23)
MINIMUM_TOTAL = 200
MINIMUM_PER_RULE = 3


def failed(document: dict) -> set[str]:
    return run_rules(StackState(document), ALL_RULES, [], today=TODAY).failed_rule_ids()


def corpora() -> dict[str, list[str]]:
    """Corpus name -> the rule each of its weakenings must trip (one entry per weakening or form)."""
    from tests import access_weakenings, more_weakenings, test_mutations, test_mutations_network_compute
    from tests import test_mutations_services as services

    return {
        "tests/test_mutations.py MUTATIONS": [m.rule for m in test_mutations.MUTATIONS],
        "tests/access_weakenings.py CORPUS": [w.rule for w in access_weakenings.CORPUS],
        "tests/more_weakenings.py CORPUS": [w.rule for w in more_weakenings.CORPUS],
        "tests/test_mutations_services.py FORMS": [w.rule for w, _form, _change in services.FORMS],
        "tests/test_mutations_network_compute.py CASES": [case[0] for case in test_mutations_network_compute.CASES],
    }


def domain(rule_id: str) -> str:
    return rule_id.split("-")[1]


@pytest.mark.parametrize("weakening", CORPUS, ids=[f"{w.rule}: {w.name}" for w in CORPUS])
def test_weakening_trips_its_rule(demo_state_document, weakening: Weakening):
    weakened = apply(demo_state_document, weakening.change)
    assert weakened != demo_state_document, f"{weakening.name}: the change changed nothing"
    got = failed(weakened)
    assert weakening.rule in got, f"{weakening.name}: expected {weakening.rule}, got {sorted(got)}"


def test_the_clean_demo_trips_nothing(demo_state_document):
    assert failed(demo_state_document) == set()


def test_names_are_unique_and_rules_exist():
    names = [w.name for w in CORPUS] + [w.name for w, _why in GAPS]
    assert len(names) == len(set(names)), [n for n, c in collections.Counter(names).items() if c > 1]
    known = {r.id for r in ALL_RULES}
    assert {w.rule for w in CORPUS} | {w.rule for w, _why in GAPS} <= known


@pytest.mark.parametrize(("weakening", "why"), GAPS, ids=[f"{w.rule}: {w.name}" for w, _ in GAPS])
def test_known_gap_still_weakens_the_demo(demo_state_document, weakening: Weakening, why: str):
    """The known gaps stay applicable to the demo (they are kept for the rules to be fixed against)."""
    assert why
    assert apply(demo_state_document, weakening.change) != demo_state_document, weakening.name


def test_corpus_size_and_spread(capsys):
    by_corpus = corpora()
    rules = collections.Counter(rule for tags in by_corpus.values() for rule in tags)
    total = sum(rules.values())
    unknown = sorted(set(rules) - {r.id for r in ALL_RULES})
    thin = {r.id: rules[r.id] for r in ALL_RULES if rules[r.id] < MINIMUM_PER_RULE}

    domains: dict[str, list[str]] = collections.defaultdict(list)
    for rule in ALL_RULES:
        domains[domain(rule.id)].append(rule.id)
    lines = [
        "",
        "weakening corpus by domain",
        f"{'domain':<8}{'rules':>6}{'weakenings':>12}  fewest per rule",
    ]
    for name, ids in sorted(domains.items()):
        fewest = min(ids, key=lambda i: (rules[i], i))
        count = sum(rules[i] for i in ids)
        lines.append(f"{name:<8}{len(ids):>6}{count:>12}  {rules[fewest]} ({fewest})")
    lines.append(f"{'total':<8}{len(ALL_RULES):>6}{total:>12}")
    lines += [f"  {len(tags):>4}  {corpus}" for corpus, tags in by_corpus.items()]
    lines.append(f"known gaps kept out of the corpus (tests/more_weakenings.GAPS): {len(GAPS)}")
    with capsys.disabled():
        print("\n".join(lines))

    assert not unknown, f"weakenings tagged with rules that do not exist: {unknown}"
    assert total >= MINIMUM_TOTAL, f"{total} weakenings, fewer than {MINIMUM_TOTAL}"
    assert not thin, f"rules with fewer than {MINIMUM_PER_RULE} weakenings: {thin}"
    assert {domain(r) for r in rules} == set(domains), "a domain without weakenings"


def test_the_proven_rules_file_is_the_corpora():
    """controls/mapping/proven_rules.yaml (what the matrix's strict automated count reads) lists exactly the rules
    the corpora prove, with their number of weakenings; regenerate it from corpora() when a corpus changes."""
    import yaml

    from controls.mapping import PROVEN_RULES_FILE

    proven = collections.Counter(rule for tags in corpora().values() for rule in tags)
    assert yaml.safe_load(PROVEN_RULES_FILE.read_text())["rules"] == dict(sorted(proven.items()))
