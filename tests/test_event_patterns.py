"""The EventBridge pattern evaluator the gate judges alert routing with (policies/rules/event_patterns.py)."""

from __future__ import annotations

import pytest

from policies.rules.event_patterns import PatternError, matches

FINDING = {
    "source": "aws.securityhub",
    "detail-type": "Security Hub Findings - Imported",
    "detail": {
        "findings": [
            {"Severity": {"Label": "HIGH", "Normalized": 70}, "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE"}
        ]
    },
}
GUARDDUTY = {"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": {"severity": 8.0}}


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ({"source": ["aws.securityhub"]}, FINDING, True),
        ({"source": ["aws.guardduty"]}, FINDING, False),
        ({"detail": {"findings": {"Severity": {"Label": ["HIGH", "CRITICAL"]}}}}, FINDING, True),
        ({"detail": {"findings": {"Severity": {"Label": ["CRITICAL"]}}}}, FINDING, False),
        ({"detail": {"findings": {"Severity": {"Label": [{"anything-but": ["LOW", "MEDIUM"]}]}}}}, FINDING, True),
        ({"detail": {"findings": {"Severity": {"Label": [{"anything-but": "HIGH"}]}}}}, FINDING, False),
        ({"detail": {"findings": {"Severity": {"Normalized": [{"numeric": [">=", 70]}]}}}}, FINDING, True),
        ({"detail": {"findings": {"Severity": {"Normalized": [{"numeric": [">", 70, "<", 100]}]}}}}, FINDING, False),
        ({"detail-type": [{"prefix": "Security Hub"}]}, FINDING, True),
        ({"detail-type": [{"suffix": "Imported V2"}]}, FINDING, False),
        ({"detail-type": [{"wildcard": "Security*Imported"}]}, FINDING, True),
        ({"source": [{"equals-ignore-case": "AWS.SECURITYHUB"}]}, FINDING, True),
        ({"detail": {"findings": {"Note": [{"exists": False}]}}}, FINDING, True),
        ({"detail": {"findings": {"Note": [{"exists": True}]}}}, FINDING, False),
        ({"detail": {"severity": [{"numeric": [">=", 7]}]}}, GUARDDUTY, True),
        ({"detail": {"severity": [{"numeric": [">=", 9]}]}}, GUARDDUTY, False),
        ({"detail": {"severity": ["8"]}}, GUARDDUTY, False),  # a string is not the number 8
        ({"$or": [{"source": ["aws.health"]}, {"source": ["aws.guardduty"]}]}, GUARDDUTY, True),
        ({"$or": [{"source": ["aws.health"]}, {"detail-type": ["x"]}]}, GUARDDUTY, False),
        ('{"source": ["aws.guardduty"]}', GUARDDUTY, True),
    ],
)
def test_patterns_match_as_eventbridge_does(pattern, event, expected):
    assert matches(pattern, event) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "not json",
        {},
        {"source": "aws.guardduty"},  # a value must be a list of alternatives
        {"source": [{"cidr": "10.0.0.0/8"}]},  # an operator the gate does not read
        {"detail": {"severity": [{"numeric": [">=", "7"]}]}},
    ],
)
def test_unreadable_patterns_are_refused_not_guessed(pattern):
    with pytest.raises(PatternError):
        matches(pattern, GUARDDUTY)
