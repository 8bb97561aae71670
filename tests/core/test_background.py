"""``spare_thread``: a daemon thread at the lowest priority (its own, not the process's)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from bettercities.core import background


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_the_spare_thread_runs_at_the_lowest_priority_and_the_caller_keeps_its_own() -> None:
    before = _nice()
    if before >= background.LOWEST:
        pytest.skip("the tests already run at the lowest priority: nothing to lower")
    seen: list[int] = []
    thread = background.spare_thread(lambda: seen.append(_nice()))
    thread.join(10)
    assert seen == [background.LOWEST]  # lowered from the caller's (a thread starts with its creator's)
    assert thread.daemon  # a failed run or an exiting process does not wait for it
    assert _nice() == before  # the caller's own thread untouched
    others: list[int] = []
    plain = threading.Thread(target=lambda: others.append(_nice()))
    plain.start()
    plain.join(10)
    assert others == [before]  # and so is every other thread it starts


def test_a_refused_priority_still_runs_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object) -> None:
        raise PermissionError("setpriority refused by the sandbox")

    monkeypatch.setattr(background.os, "setpriority", refused)
    seen: list[str] = []
    background.spare_thread(lambda: seen.append("ran")).join(10)
    assert seen == ["ran"]
    assert background.lower_priority() is False
