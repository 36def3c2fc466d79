"""A kind's details as the JSON a version stores: read and written for every row of an import.

One encoder, made once with the options every version is stored with (sorted keys, UTF-8 as it
is), through the json module's public interface only: what `write` gives is exactly
`json.dumps(value, sort_keys=True, ensure_ascii=False)` (tests/test_details_json.py).
"""

from __future__ import annotations

import json

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def read(text: str):
    """`json.loads(text)`: a version's stored details."""
    return json.loads(text)


def write(value) -> str:
    """`json.dumps(value, sort_keys=True, ensure_ascii=False)`."""
    return _ENCODER.encode(value)
