"""details_json reads and writes exactly what json.loads and json.dumps(sort_keys, ensure_ascii=False)
do: the same values, the same stored text, the same errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench import details_json

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)
)
DETAILS = st.dictionaries(st.text(), VALUES, max_size=8)


@given(details=DETAILS)
def test_write_is_json_dumps_sorted_and_unescaped(details):
    assert details_json.write(details) == json.dumps(details, sort_keys=True, ensure_ascii=False)


@given(details=DETAILS)
def test_read_gives_back_what_write_stored(details):
    text = details_json.write(details)
    assert details_json.read(text) == json.loads(text)


@given(text=st.text(alphabet=st.sampled_from(list('{}[]",:0123456789.eE-+ \t\ntruefalsn\\u')), max_size=30))
def test_read_of_any_text_is_json_loads(text):
    text = text.strip()
    try:
        expected = json.loads(text)
    except json.JSONDecodeError as e:
        with pytest.raises(json.JSONDecodeError) as raised:
            details_json.read(text)
        assert (raised.value.msg, raised.value.pos) == (e.msg, e.pos)
    else:
        assert details_json.read(text) == expected


@pytest.mark.parametrize(
    "text", ['{"a": 1} x', '{"a": 1}}', "", "nope", '{"a": 1', '{"a": 1}  \n', '["a"]', "12", '"text"']
)
def test_read_words_trailing_and_missing_values_as_json_loads(text):
    try:
        expected = json.loads(text)
    except json.JSONDecodeError as e:
        with pytest.raises(json.JSONDecodeError, match=e.msg):
            details_json.read(text)
    else:
        assert details_json.read(text) == expected


def test_write_refuses_what_json_cannot_hold():
    with pytest.raises(TypeError):
        details_json.write({"when": object()})
    with pytest.raises(TypeError):
        details_json.write({(1, 2): "a tuple key"})
