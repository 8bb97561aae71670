"""``small_pages``: NumPy's huge page advice off and Arrow's system pool the default inside the block, both
back after it, counted across threads; ``older_objects_frozen``."""

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


def _pool() -> str:
    """The backend of Arrow's current default memory pool."""
    import pyarrow as pa

    return str(pa.default_memory_pool().backend_name)


@pytest.fixture(autouse=True)
def _advised(monkeypatch: pytest.MonkeyPatch):
    """NumPy's advice on and a pool other than the system's the default (pyarrow's wheels: mimalloc) for
    the test, whatever the machine had; both put back after."""
    import pyarrow as pa

    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    setter = memory._switch()
    assert setter is not None
    before = setter(True)
    pool = pa.default_memory_pool()
    # jemalloc first: not the wheels' default, so that putting back a hard-coded default would fail
    pools = (pa.jemalloc_memory_pool, pa.mimalloc_memory_pool)
    other = next((make() for make in pools if _built(make)), None)
    if other is None:
        pytest.skip("this pyarrow has no pool but the system's")
    pa.set_memory_pool(other)
    yield
    setter(before)
    pa.set_memory_pool(pool)


def _built(make: Callable[[], Any]) -> bool:
    import pyarrow as pa

    try:
        make()
    except (pa.ArrowNotImplementedError, NotImplementedError):
        return False
    return True


def test_off_inside_and_restored_after() -> None:
    before = _pool()
    with memory.small_pages():
        assert _advice() is False
        assert _pool() == "system"
        np.ones(2_000_000).sum()  # a 16 MB array: allocated without the advice
    assert _advice() is True
    assert _pool() == before != "system"


def test_arrow_buffers_made_inside_outlive_the_block() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    outside = pa.array(np.arange(1_000_000))
    with memory.small_pages():
        inside = pc.add(outside, 1)  # allocated from the system pool
        assert pa.system_memory_pool().bytes_allocated() >= inside.nbytes
    combined = pc.add(inside, outside)  # after the block: the default pool again
    assert combined[999_999].as_py() == 2 * 999_999 + 1
    held = pa.system_memory_pool().bytes_allocated()
    del inside
    assert pa.system_memory_pool().bytes_allocated() < held  # freed to the pool it came from


def test_restored_after_an_error() -> None:
    before = _pool()
    with pytest.raises(RuntimeError), memory.small_pages():
        raise RuntimeError("boom")
    assert _advice() is True
    assert _pool() == before


def test_a_pool_that_cannot_be_switched_leaves_the_advice_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OSError("no pool")

    monkeypatch.setattr(memory, "_system_pool", broken)
    with pytest.raises(OSError, match="no pool"), memory.small_pages():
        pass
    assert _advice() is True
    with pytest.raises(OSError, match="no pool"), memory.small_pages():  # and the next block tries again
        pass


def test_a_pool_that_cannot_be_put_back_still_gets_the_advice_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def stuck() -> None:
        raise OSError("stuck")

    monkeypatch.setattr(memory, "_system_pool", lambda: stuck)
    with pytest.raises(OSError, match="stuck"), memory.small_pages():
        assert _advice() is False
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
    before = _pool()
    seen = _after_the_first_of_two_overlapping_blocks(memory.small_pages, lambda: (_advice(), _pool()))
    assert seen == (False, "system")
    assert _advice() is True
    assert _pool() == before


def test_an_operators_environment_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _pool()
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    with memory.small_pages():
        assert _advice() is True
        assert _pool() == "system"  # the other setting is still applied
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", before)
    with memory.small_pages():
        assert _advice() is False
        assert _pool() == before
    assert _pool() == before


def test_the_import_reads_and_validates_with_small_pages(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from bettercities.ingest import service
    from bettercities.ingest.schemas import ObservationImportOptions

    seen: list[tuple[bool, str]] = []

    def read_table(*args: object, **kwargs: object) -> None:
        seen.append((_advice(), _pool()))
        raise LookupError("stop after the reading")

    monkeypatch.setattr(service.readers, "read_table", read_table)
    csv = tmp_path / "values.csv"
    csv.write_text("area,indicator,period,value\n1,x,2024,1\n", encoding="utf-8")
    options = ObservationImportOptions(level="planning_area", layout="long", id_column="area")
    with pytest.raises(LookupError):
        service.import_observations_in(None, None, "city", csv, options)  # type: ignore[arg-type]
    assert seen == [(False, "system")]
    assert _advice() is True
    assert _pool() != "system"


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
