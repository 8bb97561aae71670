"""Memory for bulk work: small pages for arrays used once, and a collector that leaves older objects alone.

**Small pages.** NumPy advises the kernel to back every array of 4 MB and more with transparent huge pages
(``madvise(MADV_HUGEPAGE)``; NumPy's "Global state" guide, "madvise hugepage on Linux"). That pays for
large arrays that are read over and over (fewer TLB misses). An import touches each of its arrays once or
twice: what costs there is getting fresh memory at all, and a huge page is handed out whole, 2 MB zeroed
at the first touch, often memory the machine (or a virtual machine's host) has not backed yet. On the
2-core VM of ``benchmarks/import_postgres.py`` (Linux, ``transparent_hugepage`` ``madvise``), reading,
reshaping and validating a million-row file took 0.60 s in a new process with NumPy's advice (0.42 s of
it in the kernel) and 0.39 s without it (0.17 s in the kernel), in three alternating pairs of runs.

:func:`small_pages` switches the advice off for a block and restores it after. It is process-wide
(NumPy keeps one flag): blocks running at the same time in several threads are counted, and the advice
comes back when the last one ends. An explicit ``NUMPY_MADVISE_HUGEPAGE`` in the environment is the
operator's choice and is left alone.

**Older objects left alone.** Python's cyclic garbage collector walks every tracked object of its oldest
generation whenever enough new objects have piled up. A batch step that makes a few hundred thousand
objects (rows, keys, frames) triggers such walks, and after heavy libraries are imported (Ibis, SciPy,
SQLAlchemy, pandas: a million objects and more) each walk costs about 0.1 s, for objects that outlive the
step anyway. :func:`older_objects_frozen` moves the objects that exist when a block starts out of the
collector's sight (``gc.freeze``) and back when it ends (``gc.unfreeze``): the block's own objects are
collected as usual, and nothing is freed that would not be; a cycle among the older objects that becomes
garbage meanwhile waits for the next collection after the block. In ``bettercities microdata aggregate``
(100 million records, 4 levels, 4 alternating pairs of runs) it saved 0.12 s of 3.5 s.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["older_objects_frozen", "small_pages"]


class _Shared:
    """A process-wide setting that blocks in several threads share: the first block to enter applies it,
    the last one to leave undoes it. ``apply`` returns how to undo it, or ``None`` when it found nothing to
    do (then nothing is undone either)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blocks = 0
        self._undo: Callable[[], object] | None = None

    @contextmanager
    def held(self, apply: Callable[[], Callable[[], object] | None]) -> Iterator[None]:
        with self._lock:
            if self._blocks == 0:
                self._undo = apply()
            self._blocks += 1
        try:
            yield
        finally:
            with self._lock:
                self._blocks -= 1
                if self._blocks == 0 and self._undo is not None:
                    self._undo()
                    self._undo = None


_advice = _Shared()
_freeze = _Shared()


def _switch() -> Callable[[bool], bool] | None:
    """NumPy's setter of its huge page advice (returns the previous setting); ``None`` where there is none."""
    try:
        from numpy._core import multiarray  # NumPy 2
    except ImportError:  # pragma: no cover - NumPy 1.26
        from numpy.core import multiarray  # type: ignore[no-redef]
    setter: Callable[[bool], bool] | None = getattr(multiarray, "_set_madvise_hugepage", None)
    return setter


@contextmanager
def small_pages() -> Iterator[None]:
    """Run the block without NumPy's huge page advice (see the module's text)."""
    setter = None if "NUMPY_MADVISE_HUGEPAGE" in os.environ else _switch()
    if setter is None:
        yield
        return

    def apply() -> Callable[[], object]:
        before = setter(False)
        return lambda: setter(before)

    with _advice.held(apply):
        yield


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Run the block with the objects that exist when it starts out of the cyclic collector's walks (see
    the module's text). Process-wide: blocks running at the same time in several threads are counted, and
    the objects come back when the last one ends. An application that froze objects itself (``gc.freeze``
    after start-up, say) keeps them frozen: the block then changes nothing. A freeze the application makes
    while a block runs (in another thread) is undone when the block ends: ``gc.unfreeze`` knows no owner."""

    def apply() -> Callable[[], object] | None:
        if gc.get_freeze_count():  # the application froze objects itself: its choice
            return None
        gc.freeze()
        return gc.unfreeze

    with _freeze.held(apply):
        yield
