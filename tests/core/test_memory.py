"""``small_pages``: NumPy's huge page advice off inside the block, back after it, counted across threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from bettercities.core import memory


def _advice() -> bool:
    """NumPy's current setting (its setter returns the previous one)."""
    setter = memory._switch()
    assert setter is not None, "NumPy has no _set_madvise_hugepage"
    current = setter(True)
    setter(current)
    return current


@pytest.fixture(autouse=True)
def _advised(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    setter = memory._switch()
    assert setter is not None
    before = setter(True)
    yield
    setter(before)


def test_off_inside_and_restored_after() -> None:
    with memory.small_pages():
        assert _advice() is False
        np.ones(2_000_000).sum()  # a 16 MB array: allocated without the advice
    assert _advice() is True


def test_restored_after_an_error() -> None:
    with pytest.raises(RuntimeError), memory.small_pages():
        raise RuntimeError("boom")
    assert _advice() is True


def test_a_setting_that_was_off_stays_off() -> None:
    setter = memory._switch()
    assert setter is not None
    setter(False)
    with memory.small_pages():
        assert _advice() is False
    assert _advice() is False


def _after_the_first_of_two_overlapping_blocks(block: Callable[[], Any], probe: Callable[[], Any]) -> Any:
    """Two threads run ``block()``; the second enters while the first is inside and, still inside itself,
    calls ``probe()`` once the first has left. Returns what ``probe`` saw."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[Any] = []

    def first() -> None:
        with block():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with block():
            second_in.set()
            first_out.wait(5)
            seen.append(probe())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(seen) == 1, "the second block did not see the first one leave"
    return seen[0]


def test_overlapping_blocks_in_threads_restore_when_the_last_ends() -> None:
    assert _after_the_first_of_two_overlapping_blocks(memory.small_pages, _advice) is False
    assert _advice() is True


def test_an_operators_environment_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    with memory.small_pages():
        assert _advice() is True


def test_the_import_reads_and_validates_with_small_pages(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from bettercities.ingest import service
    from bettercities.ingest.schemas import ObservationImportOptions

    seen: list[bool] = []

    def read_table(*args: object, **kwargs: object) -> None:
        seen.append(_advice())
        raise LookupError("stop after the reading")

    monkeypatch.setattr(service.readers, "read_table", read_table)
    csv = tmp_path / "values.csv"
    csv.write_text("area,indicator,period,value\n1,x,2024,1\n", encoding="utf-8")
    options = ObservationImportOptions(level="planning_area", layout="long", id_column="area")
    with pytest.raises(LookupError):
        service.import_observations_in(None, None, "city", csv, options)  # type: ignore[arg-type]
    assert seen == [False]
    assert _advice() is True


# -- older objects frozen ------------------------------------------------------------------------------------


@pytest.fixture
def unfrozen():
    """The test session freezes what it imported (tests/conftest.py): undone for the test, redone after."""
    import gc

    frozen = gc.get_freeze_count()
    gc.unfreeze()
    yield
    if frozen:
        gc.freeze()


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_older_objects_leave_the_collectors_sight_and_come_back(unfrozen: None) -> None:
    import gc
    import weakref

    assert gc.get_freeze_count() == 0
    older = _Node()
    with memory.older_objects_frozen():
        assert gc.get_freeze_count() > 0
        newer = _Node()
        gone = weakref.ref(newer)
        kept = weakref.ref(older)
        del newer, older
        gc.collect()
        assert gone() is None  # the block's own cycles are collected as usual
        assert kept() is not None  # an older cycle waits: it is out of sight
        assert gc.get_freeze_count() > 0  # (frozen objects freed by reference counting leave the count)
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert kept() is None  # back in sight after the block, and collected


def test_an_applications_own_freeze_is_kept(unfrozen: None) -> None:
    import gc
    import weakref

    gc.freeze()
    try:
        later = _Node()  # made after the application's freeze, before the block
        gone = weakref.ref(later)
        with memory.older_objects_frozen():
            del later
            gc.collect()
            assert gone() is None  # the block froze nothing more
        assert gc.get_freeze_count() > 0  # and undid nothing
    finally:
        gc.unfreeze()


def test_overlapping_frozen_blocks_in_threads_unfreeze_when_the_last_ends(unfrozen: None) -> None:
    import gc

    frozen = _after_the_first_of_two_overlapping_blocks(memory.older_objects_frozen, gc.get_freeze_count)
    assert frozen > 0
    assert gc.get_freeze_count() == 0
