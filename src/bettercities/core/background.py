"""Work for a core the foreground leaves idle: one thread at the lowest scheduling priority.

A checksum of a large input file is needed only at the end of a run (for the provenance), while the
engine that reads the same file keeps every core busy. Hashed in an ordinary thread, it takes its share
of the cores from the engine; at the lowest priority it runs when a core is idle (the single-threaded
steps before and after the engine's pass) and waits while the engine works. On Linux a thread's nice
value is its own (``setpriority(2)``: the "process" it names is the thread's id), so only the spare
thread is lowered; elsewhere it runs at normal priority. Raising a nice value needs no privilege.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

__all__ = ["LOWEST", "spare_time"]

#: The nice value of the spare thread (19: the lowest priority Linux knows).
LOWEST = 19


def _lower() -> None:
    if sys.platform.startswith("linux"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST)


@contextmanager
def spare_time() -> Iterator[ThreadPoolExecutor]:
    """An executor of one low-priority thread. When the block ends normally it waits for the submitted
    work; when it ends with an error it does not (queued work is cancelled, running work finishes on
    its own and its result is dropped)."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spare", initializer=_lower)
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
