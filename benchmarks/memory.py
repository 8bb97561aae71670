"""Peak memory of the current process, as the benchmarks report it."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB.

    ``VmHWM`` from ``/proc/self/status`` belongs to the process's own address space. ``ru_maxrss``
    is kept across ``exec`` on Linux, so a child started from a large parent (``benchmarks/run.py``
    after the page benchmark) would report the parent's peak; it is only the fallback elsewhere.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
