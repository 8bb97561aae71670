"""What the demo offers on its first start (issue 12): a stored social index run and a public priority set
derived from it, the city page's links to every analysis the visitor may open, and empty states that say
what to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from bettercities.access.policy import Principal, Role
from bettercities.analysis.index import results
from bettercities.analysis.priority import service as priority
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.demo.generator import generate_demo_city
from bettercities.demo.service import build_demo
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.views.reader import Reader
from bettercities.views.schemas import ViewState
from bettercities.views.service import city_view
from bettercities.web import create_app
from tests.demo.goals_by_hand import by_hand
from tests.support.demos import built_demo

SEED, AREAS = 2026, 120
STATUS = ("unemployment", "transfer_benefits", "child_poverty")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    # a copy of the demo as build_demo made it, once per test run (tests/support/demos.py): the browser's
    # first-start test serves the same demo
    folder = Path(tmp_path_factory.mktemp("first-start")) / "demo"
    workspace, _ = built_demo(tmp_path_factory, folder, seed=SEED, n_planning_areas=AREAS)
    with workspace.database.session() as session:  # a city with no data at all, for the empty states
        areas.create_city(session, CitySpec(slug="leerstadt", name="Leerstadt", country="DE"))
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def client(demo: Workspace) -> TestClient:
    return TestClient(create_app(demo))


def expected_status_classes(*, without: frozenset[str] = frozenset()) -> dict[str, str]:
    """The MSS status classes of the generated planning areas in the last year, computed here from the
    generator's output: z-scores (population standard deviation) of the three status indicators over the
    areas with at least 300 inhabitants, summed and z-standardised again; classes below -1 (1), up to +1 (2),
    up to +1.5 (3), above (4) (MSS 2021 method notes, Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen
    Berlin). ``without``: areas left out of the input (what the public's result is computed on)."""
    demo = generate_demo_city(seed=SEED, n_planning_areas=AREAS)
    obs = demo.observations[demo.observations["period_code"] == demo.periods[-1]]
    wide = obs.pivot(index="area_code", columns="indicator_code", values="value")
    wide = wide[(wide["inhabitants"] >= 300) & ~wide.index.isin(sorted(without))]

    def z(x: np.ndarray) -> np.ndarray:
        return (x - x.mean()) / x.std(ddof=0)

    index = z(sum(z(wide[c].to_numpy(float)) for c in STATUS))
    classes = np.select([index < -1, index <= 1, index <= 1.5], ["1", "2", "3"], "4")
    return dict(zip(wide.index, classes, strict=True))


def test_the_demo_stores_the_status_index_of_its_latest_year(demo: Workspace) -> None:
    with demo.database.reader() as session:
        runs = results.list_runs(session, "auenstedt")
        assert [(r.name, r.method, r.level, r.period) for r in runs] == [
            ("demo-social-status 2024", "composite", "planning_area", "2024")
        ]
        stored = results.get_run(session, runs[0].id)
    classes = {a.area_id: a.class_code for a in stored.result.areas if a.scored}  # type: ignore[attr-defined]
    assert classes == expected_status_classes()
    assert stored.user == "bettercities demo"


def test_the_public_priority_set_rests_on_published_values_only(demo: Workspace) -> None:
    with demo.database.reader() as session:
        run = results.get_run(session, results.list_runs(session, "auenstedt")[0].id)
        sets = priority.list_sets(session, "auenstedt", audience=Audience.PUBLIC)
        expected = [("low-status-2024", Audience.PUBLIC, [run.id])]
        assert [(s.name, s.audience, s.runs) for s in sets] == expected
        chosen = {a.area_id for a in priority.get_set(session, "auenstedt", "low-status-2024").areas}
    withheld = frozenset(run.inputs.suppressed_areas)
    assert withheld, "the demo has areas with withheld inputs: the public set must leave them out"
    public = expected_status_classes(without=withheld)
    assert chosen == {code for code, cls in public.items() if cls in ("3", "4")}
    assert chosen and not chosen & withheld


def test_a_second_build_stores_nothing_again(demo: Workspace) -> None:
    assert not build_demo(demo, seed=SEED, n_planning_areas=AREAS).built
    with demo.database.reader() as session:
        assert len(results.list_runs(session, "auenstedt")) == 1
        assert len(priority.list_sets(session, "auenstedt")) == 1


TEAM = {"quality-outliers", "quality-rules", "quality-history", "import", "audit"}


@pytest.mark.parametrize(
    ("role", "team"),
    [
        (None, set()),
        (Role.VIEWER, set()),
        (Role.ANALYST, {"quality-outliers", "quality-rules", "quality-history"}),
        (Role.STEWARD, {"quality-outliers", "quality-rules", "quality-history", "import"}),
        (Role.CITY_ADMIN, TEAM),
    ],
)
def test_the_city_page_links_every_analysis_the_visitor_may_open(
    demo: Workspace, role: Role | None, team: set[str]
) -> None:
    with demo.database.reader() as session:
        city = areas.get_city(session, "auenstedt")
        run = results.list_runs(session, "auenstedt")[0]
        roles = {} if role is None else {city.id: role}
        principal = Principal() if role is None else Principal(user_id=1, name="u", city_roles=roles)
        view = city_view(Reader(session, principal=principal), "auenstedt", ViewState(lang="en"))
    links = {link.key: link for link in view.links}
    assert set(links) - TEAM == {
        "index-run", "index-runs", "spatial", "typology", "priority", "change", "compare",
        "goals", "scorecard", "plans", "consultations", "interventions", "peers", "catalog", "inventory",
        "responsibilities", "privacy", "crosswalks",
    }  # fmt: skip
    assert set(links) & TEAM == team
    assert links["index-run"].href == f"/cities/auenstedt/index-runs/{run.id}"
    assert links["index-run"].detail == run.name
    shown = f"indicator={view.indicator.code}&period={view.period.code}&level={view.level.code}"
    assert links["spatial"].href == f"/cities/auenstedt/spatial?{shown}"
    # the typology groups by the index's inputs; the priority page opens on the rule that fits the run
    assert links["typology"].href.startswith(
        "/cities/auenstedt/typology?indicator=unemployment&indicator=transfer_benefits&indicator=child_poverty&"
    )
    assert links["priority"].href == "/cities/auenstedt/priority?rule=low-status"


def test_every_linked_page_opens(client: TestClient) -> None:
    view = client.get("/cities/auenstedt.json").json()
    for link in view["links"]:
        assert client.get(link["href"]).status_code == 200, link


def test_the_goals_plan_and_round_pages_have_content_on_the_first_start(client: TestClient) -> None:
    goals = client.get("/api/cities/auenstedt/goals").json()  # the public's
    rounds = client.get("/api/cities/auenstedt/consultations").json()
    assert len(goals) == 3 and [r["status"] for r in rounds] == ["closed"]
    results = f"/cities/auenstedt/consultations/{rounds[0]['id']}/results"
    for path, content in (
        ("/cities/auenstedt/scorecard", [g["title"] for g in goals]),
        ("/cities/auenstedt/goals", [g["title"] for g in goals]),
        ("/cities/auenstedt/plans", ["Integrierter Handlungsplan für die Fördergebiete"]),
        ("/cities/auenstedt/consultations", [rounds[0]["title"]]),
        ("/cities/auenstedt/interventions", ["Quartiersmanagement in den Gebieten mit niedrigem Status"]),
        (results, [rounds[0]["title"], *(i["title"] for i in rounds[0]["items"])]),
    ):
        page = client.get(f"{path}?lang=en")
        assert page.status_code == 200, path
        assert all(text in page.text for text in content), path


def test_the_demo_goals_statuses_come_from_its_data(client: TestClient) -> None:
    # on 120 areas only one indicator improved in the priority set: the on-track goal is the whole city's
    goals = client.get("/api/cities/auenstedt/goals").json()
    generated = generate_demo_city(seed=SEED, n_planning_areas=AREAS)
    found = {}
    for goal in goals:
        baseline, latest, status = by_hand(generated, goal, 2024)
        assert goal["baseline"]["value"] == pytest.approx(baseline, rel=1e-9)
        assert goal["latest"]["value"] == pytest.approx(latest, rel=1e-9)
        found[goal["status"]] = goal["areas"]["kind"]
        assert status == goal["status"]
    assert found == {"achieved": "priority_set", "on_track": "level", "off_track": "priority_set"}


def test_the_priority_page_says_why_no_area_is_chosen(client: TestClient) -> None:
    # the default rule needs dynamics classes, which the demo's status index does not have
    page = client.get("/cities/auenstedt/priority?lang=en")
    assert page.status_code == 200
    text = page.text
    assert "Why no area is chosen" in text
    low = sum(cls in ("3", "4") for cls in expected_status_classes().values())
    with_withheld = client.get("/cities/auenstedt/priority.json?rule=low-status").json()
    # per condition: the areas of status class 3 or 4 the public sees, and none of dynamics class '-'
    assert f"<strong>{len(with_withheld['areas'])}</strong>" in text and "<strong>0</strong>" in text
    assert len(with_withheld["areas"]) <= low
    assert 'id="fitting-rule" href="/cities/auenstedt/priority?rule=low-status&amp;lang=en"' in text


def test_empty_states_say_what_to_do(client: TestClient) -> None:
    for lang, words in (("en", "No index run yet"), ("de", "Noch keine Indexberechnung")):
        page = client.get(f"/cities/leerstadt/priority?lang={lang}")
        assert page.status_code == 200  # was a 404
        assert words in page.text and "bettercities index run --city leerstadt" in page.text
    # the page of a city without data says what to do and links the pages it has (was a 404)
    city = client.get("/cities/leerstadt?lang=en")
    assert city.status_code == 200 and 'id="city-empty"' in city.text
    assert "bettercities import areas AREAS.geojson --city leerstadt" in city.text
    for key in ("index-runs", "priority", "catalog", "privacy"):
        assert f'data-link="{key}"' in city.text
    assert 'data-link="spatial"' not in city.text  # nothing to cluster yet
    assert client.get("/cities/leerstadt.json").status_code == 404  # the JSON twin: no indicator with data
    runs = client.get("/cities/leerstadt/index-runs?lang=en")
    assert runs.status_code == 200 and 'id="no-runs"' in runs.text
    assert "bettercities index run --city leerstadt" in runs.text
    # the JSON twin keeps its answer: there is no index run to read
    assert client.get("/cities/leerstadt/priority.json").status_code == 404


def test_a_handler_may_pass_the_breadcrumbs() -> None:
    from starlette.requests import Request

    from bettercities.web.templating import PageContext, Templates

    env = Templates().envs["de"]
    request = Request({"type": "http", "method": "GET", "path": "/x", "query_string": b"", "headers": []})
    child = env.from_string('{% extends "base.html" %}{% block content %}<h1>x</h1>{% endblock %}')
    page = PageContext(request, "de")
    html = child.render(page=page, request=request, breadcrumbs=[("Städte", "/cities?lang=de"), ("x", None)])
    start = html.index('<nav class="breadcrumbs')
    trail = html[start : html.index("</nav>", start)]
    assert 'aria-label="Brotkrümelnavigation"' in trail  # the label in the page's language
    assert '<li><a href="/cities?lang=de">Städte</a></li>' in trail
    assert '<li aria-current="page">x</li>' in trail
    # without the value, no trail
    assert '<nav class="breadcrumbs' not in env.from_string('{% extends "base.html" %}').render(
        page=page, request=request
    )
