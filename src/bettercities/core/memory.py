"""How bulk work asks the kernel for memory: small pages for arrays that are written once and read once.

NumPy advises the kernel to back every array of 4 MB and more with transparent huge pages
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
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["small_pages"]

_lock = threading.Lock()
_active = 0
_before = False


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
    global _active, _before
    setter = None if "NUMPY_MADVISE_HUGEPAGE" in os.environ else _switch()
    if setter is None:
        yield
        return
    with _lock:
        if _active == 0:
            _before = setter(False)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                setter(_before)
