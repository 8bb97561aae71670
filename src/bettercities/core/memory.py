"""Memory for bulk work: small pages for arrays used once (NumPy's and Arrow's), and a collector that
leaves older objects alone.

**Small pages.** NumPy advises the kernel to back every array of 4 MB and more with transparent huge pages
(``madvise(MADV_HUGEPAGE)``; NumPy's "Global state" guide, "madvise hugepage on Linux"). That pays for
large arrays that are read over and over (fewer TLB misses). An import touches each of its arrays once or
twice: what costs there is getting fresh memory at all, and a huge page is handed out whole, 2 MB zeroed
at the first touch, often memory the machine (or a virtual machine's host) has not backed yet. On the
2-core VM of ``benchmarks/import_postgres.py`` (Linux, ``transparent_hugepage`` ``madvise``), reading,
reshaping and validating a million-row file took 0.60 s in a new process with NumPy's advice (0.42 s of
it in the kernel) and 0.39 s without it (0.17 s in the kernel), in three alternating pairs of runs.

Arrow does the same through its default memory pool: pyarrow's wheels allocate with mimalloc, which
reserves a 1 GiB arena advised for huge pages (``strace``: one ``madvise(…, 1073741824, MADV_HUGEPAGE)``)
and hands freed memory back to the kernel within milliseconds (``MADV_DONTNEED``), so that the next
allocation faults it in again. With the kernel's default ``defrag`` setting (``madvise``) each such fault
may also compact memory first, and the kernel time of reading and reshaping the same file swung between
0.00 and 0.21 s from run to run. In four fresh processes each, the PostgreSQL import of a million rows
(``benchmarks/import_postgres.py``'s workspace and file) took 1.57–1.86 s with mimalloc (mean 1.71) and
1.48–1.57 s with Arrow's system pool (mean 1.51; ``ARROW_DEFAULT_MEMORY_POOL=system``), jemalloc in between
(1.55–1.62 s).

:func:`small_pages` switches NumPy's advice off for a block and makes Arrow's system pool (the C library's
``malloc``) the default pool, and restores both after. Buffers remember the pool they came from, so
arrays made before or inside the block are freed correctly whenever they go. What the pool setting
reaches: the CSV reader and the compute functions (in a million-row import 95 MB at the peak); Arrow's
conversions to NumPy (``to_numpy`` with a copy) keep allocating from the C++ library's own default, still
mimalloc (1 MB at the peak), so mimalloc's arena is still reserved, but little of it is touched. The C
library keeps some of the freed memory for the next allocations: after a million-row import a process
held about 70 MB more than with mimalloc (not a leak: ``malloc_trim`` gives it back, and the next import
reuses it). Both settings are
process-wide (NumPy keeps one flag, Arrow one default pool): blocks running at the same time in several
threads are counted, and the settings come back when the last one ends. An explicit
``NUMPY_MADVISE_HUGEPAGE`` or ``ARROW_DEFAULT_MEMORY_POOL`` in the environment is the operator's choice
and is left alone.

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
_pool = _Shared()
_freeze = _Shared()


def _switch() -> Callable[[bool], bool] | None:
    """NumPy's setter of its huge page advice (returns the previous setting); ``None`` where there is none."""
    try:
        from numpy._core import multiarray  # NumPy 2
    except ImportError:  # pragma: no cover - NumPy 1.26
        from numpy.core import multiarray  # type: ignore[no-redef]
    setter: Callable[[bool], bool] | None = getattr(multiarray, "_set_madvise_hugepage", None)
    return setter


def _system_pool() -> Callable[[], object] | None:
    """Make Arrow's system pool the default; how to undo it (``None``: it already was, or the operator set
    the pool in the environment)."""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return None
    import pyarrow as pa

    before = pa.default_memory_pool()
    if before.backend_name == "system":
        return None
    pa.set_memory_pool(pa.system_memory_pool())
    return lambda: pa.set_memory_pool(before)


@contextmanager
def small_pages() -> Iterator[None]:
    """Run the block without NumPy's huge page advice and with Arrow's system memory pool (see the module's
    text)."""
    setter = None if "NUMPY_MADVISE_HUGEPAGE" in os.environ else _switch()

    def no_advice() -> Callable[[], object] | None:
        if setter is None:
            return None
        before = setter(False)
        return lambda: setter(before)

    with _advice.held(no_advice), _pool.held(_system_pool):
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
