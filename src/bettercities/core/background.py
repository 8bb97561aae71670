"""Work for a core the foreground leaves idle: a daemon thread at the lowest scheduling priority.

A checksum of a large input file is needed only late in a run (for the provenance), while the engine that
reads the same file keeps every core busy. Hashed in an ordinary thread, it takes its share of the cores
from the engine; at the lowest priority it runs when a core is idle (the single-threaded steps before and
after the engine's pass) and waits while the engine works. On Linux a thread's nice value is its own
(``setpriority(2)``: the "process" it names is the thread's id), so only the spare thread is lowered;
elsewhere, or where lowering is refused (a sandbox), it runs at normal priority. Raising a nice value needs
no privilege; lowering it again does, so work that the foreground ends up waiting for must not be left to
such a thread: the foreground takes it over (see :class:`bettercities.ingest.checksums.FileChecksum`).

The thread is a daemon: a run that fails, or a process that exits, does not wait for it.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

__all__ = ["LOWEST", "lower_priority", "spare_thread"]

#: The nice value of a spare thread (19: the lowest priority Linux knows).
LOWEST = 19


def lower_priority() -> bool:
    """Give the calling thread the lowest priority (Linux: nice 19 for this thread only); whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST)
    except OSError:  # refused (a sandbox's seccomp filter): normal priority, the work still runs
        return False
    return True


def spare_thread(work: Callable[[], object], *, name: str = "spare") -> threading.Thread:
    """Start ``work`` in a daemon thread at the lowest priority; the thread, started."""

    def run() -> None:
        lower_priority()
        work()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
