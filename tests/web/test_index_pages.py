"""Index run pages, JSON twins and API on a stored Berlin MSS 2019 run."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bettercities.access.policy import Role
from bettercities.analysis import parse_config
from bettercities.analysis.index import results
from bettercities.analysis.index.inputs import index_input
from bettercities.analysis.index.results import run_index, store_result
from bettercities.analysis.index.service import compute_index
from bettercities.areas import service as areas
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.mss_runs import LEVEL, PERIOD, build_berlin_2019, official_classes
from tests.web.conftest import SUPPRESSED, SignIn


@pytest.fixture(scope="module")
def berlin_client(
    tmp_path_factory: pytest.TempPathFactory, open_data: Path
) -> Iterator[tuple[TestClient, int]]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("index-pages")) / "berlin")
    build_berlin_2019(workspace, open_data)
    with workspace.database.session() as session:
        run = run_index(
            session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD, name="MSS 2019"
        )
    with TestClient(create_app(workspace)) as client:
        yield client, run.id
    workspace.close()


@pytest.fixture(scope="module")
def berlin_runs(
    tmp_path_factory: pytest.TempPathFactory, open_data: Path
) -> Iterator[tuple[TestClient, dict[str, int]]]:
    """Berlin 2019 with three runs: the MSS, a fictitious later MSS edition in which 01011101's
    unemployment share is six times as high, and a composite index (status indicators, quantiles)."""
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("index-change")) / "berlin")
    build_berlin_2019(workspace, open_data)
    with workspace.database.session() as session:
        first = run_index(session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD, name="MSS")
        data = index_input(session, "berlin", level=LEVEL, period=PERIOD, indicators=INDICATORS)
        frame = data.frame.copy()
        row = frame["area_id"] == "01011101"
        frame.loc[row, "s1_percentage_unemployed"] *= 6
        frame.loc[row, "d1_percentage_unemployed"] += 5
        later = compute_index(
            frame, config="berlin-mss-2019", id_column="area_id", population_column="inhabitants"
        )
        city = areas.get_city(session, "berlin")
        second = store_result(session, city, later, name="MSS later", inputs=data.provenance)
        composite = run_index(
            session, "berlin", config=parse_config(COMPOSITE), level=LEVEL, period=PERIOD, name="Composite"
        )
        ids = {"first": first.id, "second": second.id, "composite": composite.id}
    with TestClient(create_app(workspace)) as client:
        yield client, ids
    workspace.close()


INDICATORS = [
    "s1_percentage_unemployed",
    "s3_percentage_transfer_payments_recipients",
    "s4_percentage_transfer_payments_recipients_below_15_years",
    "d1_percentage_unemployed",
    "d3_percentage_transfer_payments_recipients",
    "d4_percentage_transfer_payments_recipients_below_15_years",
]
COMPOSITE = {
    "method": "composite",
    "name": "status-quintiles",
    "population_column": "inhabitants",
    "min_population": 300,
    "indicators": [{"column": c} for c in INDICATORS[:3]],
    "classes": {"scheme": "quantiles", "k": 5},
}


def drawn(html: str, prefix: str = "classmap") -> Counter[str]:
    svg = html[html.index(f'aria-labelledby="{prefix}-title"') :]
    svg = svg[: svg.index("</svg>")]
    return Counter(re.findall(r'<path class="area"[^>]*data-category="([^"]*)"', svg))


def test_run_page_shows_the_official_classes(berlin_client: tuple[TestClient, int], open_data: Path) -> None:
    client, run_id = berlin_client
    official = Counter(s for s, _d in official_classes(open_data).values())
    page = client.get(f"/cities/berlin/index-runs/{run_id}?lang=en")
    assert page.status_code == 200 and 'id="robustness-summary"' in page.text
    counts = drawn(page.text)
    assert {k: v for k, v in counts.items() if k} == dict(official)
    assert counts[""] == 448 - 436  # not scored or without data: hatched
    dynamics = drawn(client.get(f"/cities/berlin/index-runs/{run_id}?view=dynamics").text)
    assert {k: v for k, v in dynamics.items() if k} == dict(
        Counter(d for _s, d in official_classes(open_data).values())
    )
    combined = client.get(f"/cities/berlin/index-runs/{run_id}.json?view=combined").json()
    assert len(combined["classes"]) == 12 and sum(c["count"] for c in combined["classes"]) == 436
    german = client.get(f"/cities/berlin/index-runs/{run_id}?lang=de").text
    assert "Robustheit" in german and "Statusindex" in german


def test_an_unscored_area_s_note_is_said_in_the_reader_s_language(
    berlin_client: tuple[TestClient, int],
) -> None:
    """The run stores codes (few-inhabitants; 01011102 has 196 inhabitants, below the MSS 2019 minimum of
    300: Senatsverwaltung, MSS 2019 method notes); the map says them in words of the page's language."""
    client, run_id = berlin_client
    stored = client.get(f"/cities/berlin/index-runs/{run_id}.json").json()["run"]["result"]["areas"]
    (area,) = [a for a in stored if a["area_id"] == "01011102"]
    assert area["note"] == "few-inhabitants" and area["population"] == 196
    german = client.get(f"/cities/berlin/index-runs/{run_id}?lang=de").text
    assert "weniger als 300 Einwohnerinnen und Einwohner (196)" in german
    assert "few-inhabitants" not in german and "fewer than" not in german
    english = client.get(f"/cities/berlin/index-runs/{run_id}?lang=en").text
    assert "fewer than 300 inhabitants (196)" in english and "few-inhabitants" not in english


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


def test_robustness_is_computed_once_per_data_version(
    berlin_client: tuple[TestClient, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run page, its JSON twin and the API share one memo (keyed by run, options, data version)."""
    client, run_id = berlin_client
    calls: list[int] = []
    original = results.robustness

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(results, "robustness", counted)
    first = client.get(f"/cities/berlin/index-runs/{run_id}?distance=0.37")
    assert first.status_code == 200 and len(calls) == 1
    second = client.get(f"/cities/berlin/index-runs/{run_id}?distance=0.37&view=dynamics")
    assert second.status_code == 200 and len(calls) == 1  # not recomputed
    api = client.get(f"/api/index-runs/{run_id}?distance=0.37").json()
    assert api["robustness"]["distance"] == 0.37 and len(calls) == 1
    client.get(f"/cities/berlin/index-runs/{run_id}.json?distance=0.38")
    assert len(calls) == 2  # other options: computed once more


def test_composite_run_page_shows_robustness(berlin_runs: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = berlin_runs
    view = client.get(f"/cities/berlin/index-runs/{ids['composite']}.json").json()
    assert view["view"] == "index" and view["robustness"]["breaks"] == "rederived"
    (summary,) = view["robustness"]["summary"]
    assert (
        summary["part"] == "index" and summary["scored"] == 438 and summary["loo_changed"] > 0
    )  # no exclusion list
    page = client.get(f"/cities/berlin/index-runs/{ids['composite']}?lang=de")
    assert page.status_code == 200 and 'id="robustness-summary"' in page.text
    assert "Quantilgrenzen werden in jeder Variante neu bestimmt." in page.text
    assert sum(drawn(page.text).values()) == 448


def test_change_page_map_and_transition_matrix(berlin_runs: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = berlin_runs
    query = f"before={ids['first']}&after={ids['second']}"
    twin = client.get(f"/cities/berlin/index-runs/change.json?{query}").json()
    view = twin["view"]
    status = next(t for t in view["change"]["transitions"] if t["part"] == "status")
    assert status["classed"] == 436 and view["part"] == "status"
    assert view["moves"]["01011101"] == "worse"  # 2 (mittel) -> 3 or 4: a later status class is worse
    assert view["counts"]["worse"] >= 1 and sum(view["counts"].values()) == 436
    assert [r["id"] for r in twin["runs"]] == [ids["composite"], ids["second"], ids["first"]]
    page = client.get(f"/cities/berlin/index-runs/change?{query}&lang=en")
    assert page.status_code == 200
    moves = drawn(page.text, "changemap")
    assert moves["worse"] == view["counts"]["worse"] and moves["same"] == view["counts"]["same"]
    assert moves[""] == 448 - 436
    table = page.text[page.text.index('id="transition-status"') :]
    table = table[: table.index("</table>")]
    assert "<caption>" in table and table.count('<th scope="row">') == 5  # 4 classes and the total
    cells = [int(n) for n in re.findall(r'<td class="num[^"]*">(\d+)</td>', table)]
    assert sum(cells[:20]) == 2 * 436  # 4 x (4 + row total)
    assert 'data-area="01011101"' in page.text
    german = client.get(f"/cities/berlin/index-runs/change?{query}&lang=de").text
    assert "Übergangsmatrix" in german and "Schlechtere Klasse" in german
    dynamics = client.get(f"/cities/berlin/index-runs/change.json?{query}&part=dynamics").json()
    assert dynamics["view"]["part"] == "dynamics"


def test_change_defaults_api_and_refusals(berlin_runs: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = berlin_runs
    default = client.get("/cities/berlin/index-runs/change.json").json()["view"]
    # newest run (composite) and the newest earlier run of the same method: none -> no pair
    assert default is None
    assert 'id="no-pair"' in client.get("/cities/berlin/index-runs/change").text
    api = client.get(
        f"/api/cities/berlin/index-change?before={ids['first']}&after={ids['second']}&part=dynamics"
    ).json()
    assert api["part"] == "dynamics" and len(api["change"]["transitions"]) == 2
    mixed = client.get(f"/api/cities/berlin/index-change?before={ids['first']}&after={ids['composite']}")
    assert mixed.status_code == 422 and "same city and method" in mixed.json()["detail"]
    wrong_part = client.get(
        f"/api/cities/berlin/index-change?before={ids['first']}&after={ids['second']}&part=index"
    )
    assert wrong_part.status_code == 422 and "part" in wrong_part.json()["detail"]
    assert client.get(f"/api/cities/berlin/index-change?before=999&after={ids['second']}").status_code == 404
    assert (
        client.get(
            f"/cities/other/index-runs/change.json?before={ids['first']}&after={ids['second']}"
        ).status_code
        == 404
    )
    assert client.get("/api/cities/berlin/index-change?before=1&after=2&part=nonsense").status_code == 422
    assert 'id="change-link"' in client.get("/cities/berlin/index-runs").text
    half = client.get(f"/cities/berlin/index-runs/change.json?before={ids['first']}")
    assert half.status_code == 422 and "both runs" in half.json()["detail"]


# -- withheld areas (a suppressed input value) ------------------------------------------------------------

TESTVILLE_INDEX = {
    "method": "composite",
    "name": "testville-index",
    "population_column": "inhabitants",
    "indicators": [{"column": "unemployment"}, {"column": "green_space", "polarity": "higher_is_better"}],
    "classes": {"scheme": "quantiles", "k": 2},
}


def test_withheld_areas_have_no_scores_for_the_public(
    client: TestClient, workspace: Workspace, signed_in: SignIn
) -> None:
    """0102's unemployment in 2022 is suppressed: the public sees no score, class, robustness row or move of
    it on the run and change pages and in the API; the city's data team sees them."""
    area = SUPPRESSED[1]
    with workspace.database.session() as session:
        config = parse_config(TESTVILLE_INDEX)
        first = run_index(session, "testville", config=config, level="planning_area", period="2021").id
        second = run_index(session, "testville", config=config, level="planning_area", period="2022").id
    run = client.get(f"/cities/testville/index-runs/{second}.json").json()
    (hidden,) = [a for a in run["run"]["result"]["areas"] if a["area_id"] == area]
    assert hidden["index"] is None and hidden["class_code"] is None and not hidden["components"]
    assert run["area_classes"][area] is None
    assert area not in {a["area_id"] for a in run["robustness"]["areas"]}
    api = client.get(f"/api/index-runs/{second}").json()
    assert area not in {a["area_id"] for a in api["robustness"]["areas"]}
    query = f"before={first}&after={second}"
    change = client.get(f"/cities/testville/index-runs/change.json?{query}").json()["view"]
    assert change["moves"][area] is None
    (moved,) = [a for a in change["change"]["areas"] if a["area_id"] == area]
    assert moved["after"]["index"] is None and moved["after_index"]["index"] is None
    # 0102 and 0101 (withheld beside it by secondary suppression, issue 11) are not classed for the public
    assert change["change"]["transitions"][0]["classed"] == 6
    assert client.get(f"/api/cities/testville/index-change?{query}").json()["moves"][area] is None
    page = client.get(f"/cities/testville/index-runs/change?{query}")
    assert page.status_code == 200 and f'data-area="{area}"' not in page.text
    run_page = client.get(f"/cities/testville/index-runs/{second}?lang=de").text
    assert "geheim gehalten (ein Eingangswert ist gesperrt)" in run_page
    assert "withheld (a suppressed" not in run_page and "; withheld" not in run_page
    team = signed_in(Role.STEWARD)
    internal = team.get(f"/cities/testville/index-runs/change.json?{query}").json()["view"]
    assert internal["moves"][area] is not None and internal["change"]["transitions"][0]["classed"] == 8
    view = team.get(f"/cities/testville/index-runs/{second}.json").json()
    assert view["area_classes"][area] is not None
    assert area in {a["area_id"] for a in view["robustness"]["areas"]}
