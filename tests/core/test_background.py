"""``spare_time``: one thread at the lowest priority (its own, not the process's), and no wait on an error."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from bettercities.core import background


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_the_spare_thread_runs_at_the_lowest_priority_and_the_caller_keeps_its_own() -> None:
    before = _nice()
    with background.spare_time() as spare:
        assert spare.submit(_nice).result(timeout=10) == background.LOWEST
    assert _nice() == before
    assert os.getpriority(os.PRIO_PROCESS, 0) == before  # the process (its main thread) untouched


def test_the_block_waits_for_the_work_when_it_ends_normally() -> None:
    done: list[str] = []

    def work() -> str:
        time.sleep(0.2)
        done.append("hashed")
        return "hashed"

    with background.spare_time() as spare:
        future = spare.submit(work)
    assert done == ["hashed"] and future.result() == "hashed"


def test_an_error_in_the_block_is_raised_at_once_without_waiting_for_the_work() -> None:
    release = threading.Event()
    started = threading.Event()

    def work() -> None:
        started.set()
        release.wait(30)

    began = time.perf_counter()
    with pytest.raises(LookupError, match="refused"), background.spare_time() as spare:
        spare.submit(work)
        queued = spare.submit(work)
        started.wait(10)
        raise LookupError("refused")
    assert time.perf_counter() - began < 5  # the running work (waiting 30 s) was not awaited
    assert queued.cancelled()
    release.set()


def test_work_that_fails_reports_through_its_future() -> None:
    def broken() -> None:
        raise OSError("file gone")

    with background.spare_time() as spare:
        future = spare.submit(broken)
    with pytest.raises(OSError, match="file gone"):
        future.result()
