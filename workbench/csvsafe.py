"""CSV that a spreadsheet cannot turn against its reader (OWASP CSV injection).

A cell that begins with = + - @, a tab or a carriage return can run as a formula in Excel or
LibreOffice; such cells get a leading single quote. Fields are quoted and embedded quotes
doubled (RFC 4180), lines end CRLF, and the text is UTF-8 with a byte-order mark so that Excel
reads accents and non-Latin names right.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def frame_to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return ("\ufeff" + frame_to_csv(frame)).encode("utf-8")
