"""A kind's details as the JSON a version stores: read and written for every row of an import.

`json.loads` and `json.dumps` wrap the json module's C scanner and encoder in a few Python calls
each time (and `dumps` with options builds a new encoder per call). These two functions call the
C parts, made once, directly; what they give is exactly what `json.loads(text)` and
`json.dumps(value, sort_keys=True, ensure_ascii=False)` give (tests/test_details_json.py), and
wherever the fast path does not apply they are those calls.
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
_SCAN = json.JSONDecoder().scan_once
# No circular-reference markers: details are built from JSON or a form's values, never cyclic
# (a cycle would end in RecursionError rather than ValueError).
_ENCODE = (
    c_make_encoder(None, _ENCODER.default, encode_basestring, None, ": ", ", ", True, False, True)
    if c_make_encoder is not None
    else None
)


def read(text: str):
    """`json.loads(text)`, for text already stripped of surrounding whitespace."""
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:  # nothing JSON at the start: json.loads words the error
        return json.loads(text)
    if end != len(text):  # more after the value: json.loads skips trailing space or words the error
        return json.loads(text)
    return value


def write(value) -> str:
    """`json.dumps(value, sort_keys=True, ensure_ascii=False)`."""
    if _ENCODE is None or not isinstance(value, dict):
        return _ENCODER.encode(value)
    return "".join(_ENCODE(value, 0))
