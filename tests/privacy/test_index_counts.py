"""An index run publishes nothing that depends on a withheld input value (issue 11).

Two Testville workspaces (``tests/web/citybuilder.py``) differ only in the value, numerator and denominator of
the one suppressed cell (unemployment of planning area 0102 in 2022). The same index runs on both. Before the
fix the public saw the run's class counts over all areas ("67 vs 68 areas 'hoch'") and the published areas'
index values standardised with the withheld value (z-scores use the mean and spread of every area), so the
two workspaces published different runs; now every public answer about the runs — JSON API, the pages' JSON
twins, CSV/GeoJSON/XLSX exports — is the same byte for byte, and so are the spatial statistics, the typology
and the priority evaluation of the planning areas (they read published values and the run's public result),
while the data team's answers differ (the test sees the secret's effect where it may).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update

from bettercities.analysis import parse_config
from bettercities.analysis.index import exports, results
from bettercities.analysis.index import service as index_service
from bettercities.analysis.index.results import get_run, published_run, run_index
from bettercities.indicators.models import Indicator, Observation
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.testville_mss import CONFIG as MSS_CONFIG
from tests.web.citybuilder import build_city
from tests.web.conftest import SETTINGS, SUPPRESSED

COMPOSITE = {
    "method": "composite",
    "name": "testville-composite",
    "population_column": "inhabitants",
    "indicators": [{"column": "unemployment"}, {"column": "green_space", "polarity": "higher_is_better"}],
    "classes": {"scheme": "quantiles", "k": 3},
}
FIXED_TIME = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class _Clock(datetime):
    @classmethod
    def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
        return FIXED_TIME


def _city(path: Path, secret: float) -> Workspace:
    """Testville with the suppressed cell holding ``secret`` (and a numerator and denominator to match)."""
    ws = Workspace.init(path)
    build_city(ws, suppress=(SUPPRESSED,))
    with ws.database.session() as session:
        session.execute(
            update(Observation)
            .where(Observation.suppressed.is_(True))
            .values(value=secret, numerator=secret * 10, denominator=1000.0)
        )
        for config in (MSS_CONFIG, COMPOSITE):
            run_index(session, "testville", config=parse_config(config), level="planning_area", period="2022")
    return ws


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Workspace]]:
    """Two workspaces differing only in the secret cell (runs stamped with one time, so bytes compare);
    the tests only read them."""
    tmp = tmp_path_factory.mktemp("twins")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_service, "datetime", _Clock)
        a, b = _city(tmp / "a", 77.777), _city(tmp / "b", 3.25)
    yield a, b
    a.close()
    b.close()


URLS = [
    "/api/cities/testville/index-runs",
    "/cities/testville/index-runs.json",
    "/api/index-runs/1",
    "/api/index-runs/1?view=dynamics",
    "/api/index-runs/1?view=combined",
    "/api/index-runs/2",
    "/cities/testville/index-runs/1.json",
    "/cities/testville/index-runs/2.json",
    "/api/cities/testville/index-change?before=1&after=1",
    # spatial statistics, typology and priority sets at the planning areas read the published values only
    "/api/cities/testville/spatial?indicator=unemployment&period=2022&permutations=99",
    "/api/cities/testville/typology?indicator=unemployment&indicator=green_space&period=2022&k=3",
    "/api/cities/testville/priority",
    "/cities/testville/priority.json",
]


def _answers(ws: Workspace) -> dict[str, bytes]:
    with TestClient(create_app(ws, settings=SETTINGS)) as client:
        out = {}
        for url in URLS:
            response = client.get(url)
            assert response.status_code == 200, (url, response.text[:300])
            out[url] = response.content
        return out


def _exports(ws: Workspace, folder: Path, audience: Audience) -> dict[str, bytes]:
    folder.mkdir()
    out = {}
    with ws.database.session() as session:
        for run in (1, 2):
            for fmt in ("csv", "geojson", "xlsx"):
                path = folder / f"{run}.{fmt}"
                exports.export_run(session, run, path, audience=audience)
                if fmt == "xlsx":  # the zip holds file times: compare the cells
                    book = load_workbook(io.BytesIO(path.read_bytes()))
                    cells = [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book]
                    out[path.name] = json.dumps(cells, default=str).encode()
                else:
                    out[path.name] = path.read_bytes()
    return out


def test_public_run_is_the_same_whatever_the_withheld_value(
    twins: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    a, b = twins
    public_a, public_b = _answers(a), _answers(b)
    for url in URLS:
        assert public_a[url] == public_b[url], f"{url} depends on the withheld value"
    assert _exports(a, tmp_path / "ea", Audience.PUBLIC) == _exports(b, tmp_path / "eb", Audience.PUBLIC)
    # the data team's run does depend on it (so the comparison above can see a difference)
    internal_a = _exports(a, tmp_path / "ia", Audience.INTERNAL)
    internal_b = _exports(b, tmp_path / "ib", Audience.INTERNAL)
    assert internal_a["1.csv"] != internal_b["1.csv"] and internal_a["2.csv"] != internal_b["2.csv"]


def test_public_class_counts_tally_the_published_areas(twins: tuple[Workspace, Workspace]) -> None:
    a, _ = twins
    with TestClient(create_app(a, settings=SETTINGS)) as client:
        runs = client.get("/api/cities/testville/index-runs").json()
        for listed in runs:
            view = client.get(f"/api/index-runs/{listed['id']}").json()
            shown = view["area_classes"]
            withheld = [code for code, cls in shown.items() if cls is None]
            assert listed["withheld"] == len(withheld) >= 1 and SUPPRESSED[1] in withheld
            for part, counts in listed["class_counts"].items():
                assert sum(c["count"] for c in counts) == listed["scored"] == len(shown) - len(withheld), part
            status = next(iter(listed["class_counts"].values()))
            tally = {c["code"]: c["count"] for c in status}
            mine = {c: list(shown.values()).count(c) for c in tally}
            assert tally == mine
            assert {c["code"]: c["count"] for c in view["classes"]} == mine


def test_restricted_input_withholds_every_count(
    twins: tuple[Workspace, Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose input indicator the public may not see: every area withheld, every class count 0."""
    a, _ = twins
    with a.database.session() as session:
        green = session.query(Indicator).filter_by(code="green_space").one().id
        monkeypatch.setattr(results, "withheld_indicators", lambda *_, **__: frozenset({green}))
        shown = published_run(session, get_run(session, 2), Audience.PUBLIC)
        assert shown.withheld == shown.areas == 8 and shown.scored == 0
        assert all(c.count == 0 for counts in shown.class_counts.values() for c in counts)
        assert shown.result.breaks == {} and not any(x.scored for x in shown.result.areas)
        assert get_run(session, 2).scored == 8  # the data team's run is whole
