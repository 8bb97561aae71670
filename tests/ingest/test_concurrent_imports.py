"""Two imports revising the same cells at the same time (issue 10): serialised, never an IntegrityError.

Both imports read the stored revisions before either writes (a barrier holds them there); the second
must wait for the first and then plan against what the first wrote, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bettercities.indicators.models import Observation
from bettercities.ingest import revisions
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL, write

FIRST = "id;inhabitants;median_age\nB1;100;40\nB2;200;41\n"
REVISED = "id;inhabitants;median_age\nB1;110;40\nB2;210;42\n"
OPTIONS = ObservationImportOptions(level=LEVEL, period="31.12.2019")


def test_concurrent_imports_of_the_same_cells_are_serialised(
    city_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_observations(city_ws.database, CITY, write(tmp_path / "first.csv", FIRST), OPTIONS)
    revised = write(tmp_path / "revised.csv", REVISED)
    planned = threading.Barrier(2, timeout=2)
    plan = revisions.plan

    def plan_together(*args: Any) -> revisions.Plan:
        # both read the stored revisions before either writes, unless the lock keeps one out
        with contextlib.suppress(threading.BrokenBarrierError):
            planned.wait()
        return plan(*args)

    monkeypatch.setattr(revisions, "plan", plan_together)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(import_observations(city_ws.database, CITY, revised, OPTIONS))
        except BaseException as error:  # the test reports whatever escaped
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    # one import revised the three changed cells, the other found them unchanged
    assert sorted((r.revised, r.unchanged) for r in results) == [(0, 4), (3, 1)]
    with city_ws.database.reader() as session:
        stored = session.execute(
            select(Observation.revision, func.count()).group_by(Observation.revision)
        ).all()
        current = session.scalar(select(func.count()).where(Observation.is_current.is_(True)))
    assert dict(stored) == {1: 4, 2: 3} and current == 4
