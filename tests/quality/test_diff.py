"""Revision diffs between two imports and two revision numbers; the import history."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.indicators.models import Observation
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.publication import Audience
from bettercities.quality import diff, outliers
from bettercities.quality.models import OutlierFlag
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL, build_city


@pytest.fixture
def city_ws(workspace: Workspace) -> Workspace:
    build_city(workspace)
    return workspace


def _imports(ws: Workspace, tmp_path: Path) -> list[int]:
    files = [
        "id,period,inhabitants,median_age\nB1,2019,100,40\nB2,2019,80,41\nB3,2019,60,\n",
        # B1 changes, B2 unchanged, B3 gets an age, B4 is new; B3's inhabitants become suppressed
        "id,period,inhabitants,median_age,suppressed\nB1,2019,110,40,\nB2,2019,80,41,\n"
        "B3,2019,,42,x\nB4,2019,50,39,\n",
    ]
    ids = []
    for number, text in enumerate(files, start=1):
        path = tmp_path / f"delivery{number}.csv"
        path.write_text(text)
        result = import_observations(
            ws.database, CITY, path, ObservationImportOptions(level=LEVEL), user="loader"
        )
        assert result.batch_id is not None
        ids.append(result.batch_id)
    return ids


def test_diff_between_two_imports(city_ws: Workspace, tmp_path: Path) -> None:
    first, second = _imports(city_ws, tmp_path)
    with city_ws.database.reader() as session:
        found = diff.diff(session, diff.DiffFilter(city=CITY, from_batch=first, to_batch=second))
        back = diff.diff(session, diff.DiffFilter(city=CITY, from_batch=second, to_batch=first))
        only = diff.diff(
            session, diff.DiffFilter(city=CITY, indicator="inhabitants", from_batch=first, to_batch=second)
        )
    assert [(e.area, e.indicator) for e in found.added] == [
        ("B4", "inhabitants"),
        ("B3", "median_age"),
        ("B4", "median_age"),
    ]
    changed = {(e.area, e.indicator): e for e in found.changed}
    assert set(changed) == {("B1", "inhabitants"), ("B3", "inhabitants")}
    b1 = changed[("B1", "inhabitants")]
    assert (b1.old, b1.new, b1.difference, b1.old_revision, b1.new_revision) == (100, 110, 10, 1, 2)
    assert b1.changed == ["value"]
    assert changed[("B3", "inhabitants")].changed == ["value", "suppressed"]
    assert found.removed == [] and found.unchanged == 3  # B1's age, B2's two values
    assert {(e.area, e.indicator) for e in back.removed} == {(e.area, e.indicator) for e in found.added}
    assert only.counts == {"added": 1, "changed": 2, "removed": 0, "unchanged": 1}
    with city_ws.database.reader() as session:
        public = diff.diff(
            session,
            diff.DiffFilter(city=CITY, from_batch=first, to_batch=second, audience=Audience.PUBLIC),
        )
    hidden = next(e for e in public.changed if (e.area, e.indicator) == ("B3", "inhabitants"))
    assert hidden.new is None and hidden.difference is None  # suppressed: never published


def test_diff_between_revision_numbers_includes_corrections(city_ws: Workspace, tmp_path: Path) -> None:
    _imports(city_ws, tmp_path)
    with city_ws.database.session() as session:
        # a flag put in the queue by hand (B2's inhabitants); its correction is a revision like any other
        rows = session.scalars(select(Observation).where(Observation.is_current.is_(True))).all()
        target = next(o for o in rows if o.value == 80)
        session.add(
            OutlierFlag(
                city_id=areas.get_city(session, CITY).id,
                observation_id=target.id,
                indicator_id=target.indicator_id,
                area_id=target.area_id,
                period_id=target.period_id,
                method="zscore",
                value=80,
                score=4.0,
                message="by hand",
            )
        )
        session.flush()
        [queued] = outliers.list_flags(session, CITY)
        outliers.resolve_flag(session, CITY, queued.id, action="correct", value=82.5, user="steward")
    with city_ws.database.reader() as session:
        found = diff.diff(
            session, diff.DiffFilter(city=CITY, indicator="inhabitants", from_revision=1, to_revision=2)
        )
        history = diff.import_history(session, CITY, indicator="inhabitants")
    assert {(e.area, e.old, e.new) for e in found.changed} == {
        ("B1", 100, 110),
        ("B2", 80, 82.5),
        ("B3", 60, None),
    }
    assert found.added == [] and found.removed == []
    assert [(h.file_name, h.inserted, h.revised) for h in history] == [
        ("delivery2.csv", 1, 2),
        ("delivery1.csv", 3, 0),
    ]
    assert history[0].previous_batch == history[1].batch_id and history[1].previous_batch is None


def test_invalid_diffs_are_refused(city_ws: Workspace, tmp_path: Path) -> None:
    first, _ = _imports(city_ws, tmp_path)
    with city_ws.database.reader() as session:
        with pytest.raises(InvalidInput):
            diff.diff(session, diff.DiffFilter(city=CITY, from_batch=first, to_revision=2))
        with pytest.raises(InvalidInput):
            diff.diff(session, diff.DiffFilter(city=CITY, from_batch=first))
        with pytest.raises(NotFound):
            diff.diff(session, diff.DiffFilter(city=CITY, from_batch=first, to_batch=999))
