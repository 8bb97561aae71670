"""Built demo cities shared by the test modules: ``build_demo`` with the same parameters runs once a run.

Many modules need "the demo city" as a fixture (the catalogue, the German walk, the browser tests, privacy
and microdata tests); each used to build it again (1.7 s of CPU for 60 areas, 7 s for the full demo, more
with its analyses). :func:`built_demo` builds the demo once per parameter set into a cache folder
shared by the test processes (pytest-xdist's workers sit under one base temporary folder), guarded by a
file lock, and hands each caller a **copy** of that workspace folder: tests may change their copy freely.

Tests of the build itself (``tests/demo/test_service.py``, the real CLI in ``tests/demo/test_cli.py``, and
the second build on a copy in ``tests/demo/test_first_start.py``) keep calling it directly.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from bettercities.demo.service import DemoSummary, build_demo
from bettercities.storage.workspace import Workspace

__all__ = ["built_demo"]


def _cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker has its own base (…/pytest-N/popen-gw0); their parent is the run's.
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-cache"
    root.mkdir(exist_ok=True)
    return root


def built_demo(
    tmp_path_factory: pytest.TempPathFactory, folder: Path, **params: int
) -> tuple[Workspace, DemoSummary]:
    """A copy, in ``folder``, of a SQLite workspace holding the demo built with ``params`` (the keyword
    arguments of ``build_demo``), and the build's summary."""
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    root = _cache_root(tmp_path_factory)
    cached = root / key
    done = cached / "summary.pickle"
    with (root / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building the same demo right now
        if not done.exists():
            shutil.rmtree(cached, ignore_errors=True)  # a build interrupted half-way
            built = Workspace.init(cached / "workspace")
            try:
                summary = build_demo(built, **params)
            finally:
                built.close()  # the last connection closes: SQLite folds its WAL into the file
            done.write_bytes(pickle.dumps(summary))
    summary = pickle.loads(done.read_bytes())
    shutil.copytree(cached / "workspace", folder)
    return Workspace(path=folder), summary
