"""The cyclic garbage collector waits while an import runs, and comes back as it was."""

from __future__ import annotations

import gc
import threading

import pytest

from tests.test_imports import _csv, _row
from workbench import facts, observations
from workbench.gcpause import cyclic_gc_paused
from workbench.imports import ImportRejected


@pytest.fixture(autouse=True)
def _collector_left_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after():
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_comes_back_after_an_error():
    with pytest.raises(ValueError, match="refused"), cyclic_gc_paused():
        raise ValueError("refused")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with cyclic_gc_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_imports_in_two_threads_keep_it_off_until_the_last_ends():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with cyclic_gc_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with cyclic_gc_paused():
            second_in.set()
            first_out.wait(5)
            seen["after the first ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after the first ended": False}
    assert gc.isenabled()


def _collections_during(work) -> int:
    """How many times the collector ran while `work` did."""
    runs = []

    def count(phase, _info):
        if phase == "start":
            runs.append(1)

    gc.callbacks.append(count)
    try:
        work()
    finally:
        gc.callbacks.remove(count)
    return len(runs)


def test_an_observation_import_runs_without_a_collection(db, analyst):
    rows = [_row(n) for n in range(2000)]
    data = _csv(rows)
    # Control: checking the same rows outside an import makes the collector run again and again.
    assert _collections_during(lambda: [observations.normalise(db, 1, row) for row in rows]) > 2
    # The one collection owed may run as the collector comes back, in the import's last lines.
    assert _collections_during(lambda: observations.import_csv(db, analyst, "CASE-1", data)) <= 1
    assert gc.isenabled()


def test_a_fact_import_runs_without_a_collection_and_a_refused_one_restores_it(db, analyst):
    rows = "".join(f"P-0001,known_alias,Alias {n},school\n" for n in range(2000))
    data = ("person,attribute,value,source_agency\n" + rows).encode()
    assert _collections_during(lambda: facts.import_csv(db, analyst, "CASE-1", data)) <= 1
    with pytest.raises(ImportRejected):
        facts.import_csv(db, analyst, "CASE-1", b"person,attribute,value,source_agency\nP-0001,gender,,school\n")
    assert gc.isenabled()
