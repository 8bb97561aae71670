"""Index run pages, JSON twins and API on a stored Berlin MSS 2019 run."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bettercities.analysis.results import run_index
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.analysis.mss_runs import LEVEL, PERIOD, build_berlin_2019, official_classes


@pytest.fixture(scope="module")
def berlin_client(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[TestClient, int]]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("index-pages")) / "berlin")
    build_berlin_2019(workspace, shared_data)
    with workspace.database.session() as session:
        run = run_index(
            session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD, name="MSS 2019"
        )
    with TestClient(create_app(workspace)) as client:
        yield client, run.id
    workspace.close()


def drawn(html: str, prefix: str = "classmap") -> Counter[str]:
    svg = html[html.index(f'aria-labelledby="{prefix}-title"') :]
    svg = svg[: svg.index("</svg>")]
    return Counter(re.findall(r'<path class="area"[^>]*data-category="([^"]*)"', svg))


def test_run_page_shows_the_official_classes(
    berlin_client: tuple[TestClient, int], shared_data: Path
) -> None:
    client, run_id = berlin_client
    official = Counter(s for s, _d in official_classes(shared_data).values())
    page = client.get(f"/cities/berlin/index-runs/{run_id}?lang=en")
    assert page.status_code == 200 and 'id="robustness-summary"' in page.text
    counts = drawn(page.text)
    assert {k: v for k, v in counts.items() if k} == dict(official)
    assert counts[""] == 448 - 436  # not scored or without data: hatched
    dynamics = drawn(client.get(f"/cities/berlin/index-runs/{run_id}?view=dynamics").text)
    assert {k: v for k, v in dynamics.items() if k} == dict(
        Counter(d for _s, d in official_classes(shared_data).values())
    )
    combined = client.get(f"/cities/berlin/index-runs/{run_id}.json?view=combined").json()
    assert len(combined["classes"]) == 12 and sum(c["count"] for c in combined["classes"]) == 436
    german = client.get(f"/cities/berlin/index-runs/{run_id}?lang=de").text
    assert "Robustheit" in german and "Statusindex" in german


def test_json_twins_and_api(berlin_client: tuple[TestClient, int]) -> None:
    client, run_id = berlin_client
    listed = client.get("/cities/berlin/index-runs.json").json()
    assert [r["name"] for r in listed["runs"]] == ["MSS 2019"]
    assert "MSS 2019" in client.get("/cities/berlin/index-runs").text
    assert client.get("/api/cities/berlin/index-runs").json()[0]["scored"] == 436
    view = client.get(f"/api/index-runs/{run_id}?distance=0.2").json()
    assert view["view"] == "status" and view["robustness"]["distance"] == 0.2
    assert {s["part"] for s in view["robustness"]["summary"]} == {"status", "dynamics"}
    assert view["run"]["inputs"]["period"] == PERIOD
    assert client.get(f"/cities/other/index-runs/{run_id}.json").status_code == 404
    assert client.get("/api/index-runs/999").status_code == 404
    assert client.get(f"/api/index-runs/{run_id}?view=nonsense").status_code == 422
