"""glz.json_text writes what json.dumps(indent=2) writes, for every JSON value hypothesis can think of."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glz.json_text import dumps_indented, indented_bytes, write_indented

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
KEYS = st.text() | st.integers(min_value=-5, max_value=5) | st.booleans() | st.none()
DOCUMENTS = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=5), max_leaves=30
)


@settings(max_examples=600, deadline=None)
@given(DOCUMENTS, st.booleans(), st.booleans())
def test_the_same_text_as_json_dumps(document, sort_keys, ensure_ascii):
    try:
        expected = json.dumps(document, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    except TypeError:  # json cannot sort keys of mixed types: neither can the caller then
        return
    assert dumps_indented(document, sort_keys=sort_keys, ensure_ascii=ensure_ascii) == expected
    try:
        encoded = expected.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no file can hold it, written either way
        return
    assert indented_bytes(document, sort_keys=sort_keys, ensure_ascii=ensure_ascii) == encoded


@pytest.mark.parametrize(
    "document",
    [
        {"big": 1e16, "small": 1e-07, "plain": 0.5},
        [1e300, -2.5e-10],
        {"é": "ünïcode", "emoji": "\U0001f9ec"},
        {"lone": "\ud800"},
        {1: "int key", "2": "str key"},
        {"huge": 2**64 + 1},
        {"a": {"b": [1, 2, {"c": []}], "d": {}}, "e": None},
    ],
    ids=["exponents", "exponents-in-list", "non-ascii", "surrogate", "int-key", "bigint", "nested"],
)
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_the_forms_orjson_writes_otherwise_are_handed_to_json(document, ensure_ascii):
    assert dumps_indented(document, ensure_ascii=ensure_ascii) == json.dumps(
        document, indent=2, ensure_ascii=ensure_ascii
    )


def test_a_real_matrix_document_is_written_by_the_fast_path(demo_state_document, monkeypatch):
    """The demo state (what synth writes) does not fall back: the speed is real, not a silent json.dumps."""
    calls = []
    real = json.dumps
    monkeypatch.setattr(json, "dumps", lambda *a, **k: calls.append(1) or real(*a, **k))
    text = dumps_indented(demo_state_document, sort_keys=True)
    assert not calls and text == real(demo_state_document, indent=2, sort_keys=True)


def test_non_finite_floats_are_written_as_null_not_as_non_json_tokens():
    assert json.loads(dumps_indented({"x": math.nan, "y": math.inf}, ensure_ascii=False)) == {"x": None, "y": None}


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_a_written_file_holds_the_bytes_write_text_of_json_dumps_would(tmp_path, ensure_ascii):
    document = {"name": "séquençage \U0001f9ec", "values": [1, 2.5, None, True], "nested": {"k": "v"}}
    fast, slow = tmp_path / "fast.json", tmp_path / "slow.json"
    write_indented(fast, document, ensure_ascii=ensure_ascii)
    slow.write_text(json.dumps(document, indent=2, ensure_ascii=ensure_ascii) + "\n", encoding="utf-8")
    assert fast.read_bytes() == slow.read_bytes()
