"""Python's cyclic garbage collector held off while a bulk import runs.

An import builds a few objects per row that live until the import ends (the rows, their checked
values, the claims and findings) and forms no reference cycles among them. The collector cannot
know that: every few hundred new objects it scans the young ones, and as the survivors pile up it
scans the whole heap again and again, a few per cent of an import's time for nothing.
Reference counting still frees everything as usual; only the search for cycles waits until the
import is over. Imports run in threads of one process (Streamlit's sessions), and the collector is
one per process, so the pause is counted: the collector comes back when the last import ends, and
only if it was on when the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_holders = 0
_resume = False  # whether the collector was on when the first holder paused it


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    global _holders, _resume
    with _lock:
        if _holders == 0:
            _resume = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _resume:
                gc.enable()
