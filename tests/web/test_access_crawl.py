"""Crawl every GET route of the app as four principals and look for a value only city A's members may see.

City A holds, in a dataset with restricted access rights, the indicator ``marker_share`` whose every value
is :data:`~tests.support.served.MARKER` (``tests/support/served.py``). The routes come from the app itself
(``app.routes``), so a new route is crawled without editing this test; every path parameter is filled with
real ids of *both* cities (so city B's ids also meet city A's paths) from :data:`PATH_VALUES`, a table keyed
by the parameter's name — a parameter the table does not know fails the test, naming it. Each URL is also
requested with the query variants of :data:`QUERY_VARIANTS` the route accepts (the marker indicator,
levels, periods, English number formatting …).

The marker must never appear for the anonymous visitor, for a steward of city B (signed in) or for a read
token of that steward; a viewer of city A must see it on the indicator's values page and in the API (so the
test can fail). A second marker, the metadata of city A's restricted and draft datasets (a word of their
titles and their steward's e-mail address, :data:`~tests.support.served.METADATA_PATTERN`), follows the same
rule: nobody but city A's members sees it, and a viewer of city A sees it in the catalogue, the
responsibilities and the stewardship API.
"""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from bettercities.core.settings import Settings
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from bettercities.web.jobs import ImportRequest, JobKind
from tests.support.served import (
    BACKENDS,
    CITY_A,
    CITY_B,
    MARKER,
    MARKER_INDICATOR,
    MARKER_PATTERN,
    METADATA_PATTERN,
    STEWARD_EMAIL,
    TITLE_MARKER,
    ServedCities,
    add_user,
    issue_token,
    sign_in,
    two_cities_workspace,
)

pytestmark = pytest.mark.slow


@dataclass
class Ids:
    """The ids a crawl fills path parameters with (of both cities)."""

    data: ServedCities
    job_ids: list[str] = field(default_factory=list)

    def union(self, per_city: dict[str, list[str]]) -> list[str]:
        return sorted({v for values in per_city.values() for v in values})


def _code(path: str, ids: Ids) -> list[str]:
    """``{code}`` names an area, an indicator or a dataset, told by the path segment before it."""
    before = path.split("{code}")[0].rstrip("/").rsplit("/", 1)[-1]
    if before == "areas":
        return ["01", "0101"]  # a district and a planning area (both cities have these codes)
    if before == "indicators":
        return ids.data.indicators
    if before in ("datasets", "catalog") or path.startswith("/catalog/{slug}/"):
        return ids.union(ids.data.datasets)
    if before == "crosswalks":
        return ["lor-2025"]  # the served cities have no crosswalk: the routes answer 404 without a value
    raise LookupError(f"{{code}} after {before!r}")


#: Path parameter name -> its values for a route path. A new name must be added here.
PATH_VALUES: dict[str, Callable[[str, Ids], list[str]]] = {
    "slug": lambda path, ids: ids.data.cities,
    "code": _code,
    "run_id": lambda path, ids: [str(i) for i in sorted(ids.data.run_ids.values())],
    "flag_id": lambda path, ids: [str(i) for i in sorted(ids.data.flag_ids.values())],
    "name": lambda path, ids: ids.union(ids.data.priority_sets),
    "job_id": lambda path, ids: ids.job_ids,
    "fmt": lambda path, ids: ["ttl", "jsonld", "rdf", "nt"],
    "period": lambda path, ids: ids.data.periods,
    "level": lambda path, ids: ["district", "planning_area"],
    # the served cities hold no plans: every plan or action id answers 404, with nothing to leak
    "plan_id": lambda path, ids: ["1"],
    "action_id": lambda path, ids: ["1"],
    "goal_id": lambda path, ids: ids.union(ids.data.goal_ids),
    # the served cities hold no consultation round: a round id answers 404; an invitation token is random
    # (32 bytes) and stored as its hash, so a well-formed guess answers 404 too
    "round_id": lambda path, ids: ["1"],
    "token": lambda path, ids: ["bcc_" + "A" * 43],
    # the served cities hold no interventions: an intervention or evaluation id answers 404 (the register's
    # own tests show that a withheld cell never reaches a public run: tests/impact/test_register.py)
    "intervention_id": lambda path, ids: ["1"],
    "evaluation_id": lambda path, ids: ["1"],
    # network pages are keyed by a network's slug (``slug`` above: a city's slug answers 404 there)
    "membership_id": lambda path, ids: ["1"],
    # a survey's pages name the municipality a response or gap analysis is of (the served cities have no
    # survey: ``slug`` gives a city's slug, so those routes answer 404; tests/surveys covers who sees what)
    "city": lambda path, ids: ids.data.cities,
    # the served cities hold no calls for participation: a call or an application answers 404 (who sees an
    # application and its scores: tests/calls/test_web.py, tests/browser/test_call_to_tandem.py)
    "call": lambda path, ids: ["no-call"],
    "application_id": lambda path, ids: ["1"],
}

#: Query parameter name -> values to try (each alone, on top of ``indicator=<marker>`` where accepted).
QUERY_VARIANTS: dict[str, list[str]] = {
    "level": ["district", "planning_area"],
    "period": ["2021", "2022"],
    "area": ["01", "0101"],
    "lang": ["en"],
    "view": ["dynamics", "combined"],
    "status": ["open"],
    "public_only": ["false"],
    "from_revision": ["1"],
    "format": ["csv", "geojson", "xlsx", "json"],
}


def query_params(route: APIRoute) -> set[str]:
    """Names of the query parameters of ``route`` and of its dependencies."""
    names: set[str] = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        names.update(p.name for p in dependant.query_params)
        stack.extend(dependant.dependencies)
    return names


def get_routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    """(path, query parameter names) of every GET route of ``app`` (static file mounts aside)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            continue
        if "GET" not in (context.methods or set()):
            continue
        path = context.path
        assert path is not None
        if isinstance(route, APIRoute):
            yield path, query_params(route)
        elif isinstance(route, Route):
            yield path, set()
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")


def urls(app: FastAPI, ids: Ids, skip: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Every URL to crawl, and the ``route: parameter`` pairs the table does not know; ``skip`` names query
    variants left out."""
    found: list[str] = []
    unknown: list[str] = []
    for path, query in get_routes(app):
        names = re.findall(r"{(\w+)(?::\w+)?}", path)
        choices = []
        for name in names:
            if name not in PATH_VALUES:
                unknown.append(f"{path}: {name}")
                break
            try:
                choices.append(PATH_VALUES[name](path, ids))
            except LookupError as error:
                unknown.append(f"{path}: {error}")
                break
        else:
            for values in itertools.product(*choices):
                concrete = path
                for name, value in zip(names, values, strict=True):
                    concrete = re.sub(r"{" + name + r"(?::\w+)?}", value, concrete, count=1)
                found.extend(_variants(concrete, query, ids, skip))
    return found, unknown


def _variants(url: str, query: set[str], ids: Ids, skip: frozenset[str] = frozenset()) -> list[str]:
    base: dict[str, str] = {}
    out = [url]
    if "indicator" in query:
        base = {"indicator": MARKER_INDICATOR}
        out.append(f"{url}?{urlencode(base)}")
    for name, values in QUERY_VARIANTS.items():
        if name in query and name not in skip:
            out.extend(f"{url}?{urlencode(base | {name: value})}" for value in values)
    if {"before", "after"} <= query:  # comparisons of two runs, also of two cities' runs
        runs = sorted(ids.data.run_ids.values())
        out.extend(f"{url}?{urlencode({'before': b, 'after': a})}" for b in runs for a in runs)
    return out


def body_text(content: bytes, media_type: str) -> str:
    """The response as text; the XML parts of a zipped office file (xlsx) too, and a PDF's text (its
    streams are compressed and its fonts subset: read with poppler's pdftotext, which the PDF tests need)."""
    if content[:4] == b"%PDF":
        extracted = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
        return extracted.stdout.decode("utf-8", "replace")
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return content.decode("utf-8", "replace")


@dataclass
class Visit:
    url: str
    status: int
    marker: bool
    excerpt: str = ""
    #: the second marker: a restricted dataset's title or its steward's e-mail address (an excerpt)
    metadata: str = ""
    #: which of the two the response holds
    kinds: frozenset[str] = frozenset()


@dataclass
class CrawlResult:
    visits: dict[str, list[Visit]]
    unknown: list[str]

    def with_marker(self, principal: str) -> list[Visit]:
        return [v for v in self.visits[principal] if v.marker]

    def with_metadata(self, principal: str) -> list[Visit]:
        return [v for v in self.visits[principal] if v.metadata]


def crawl(client: TestClient, targets: list[str], headers: dict[str, str] | None = None) -> list[Visit]:
    visits = []
    for url in targets:
        response = client.get(url, headers=headers or {}, follow_redirects=False)
        text = body_text(response.content, response.headers.get("content-type", ""))
        found = MARKER_PATTERN.search(text)
        excerpt = text[max(found.start() - 80, 0) : found.end() + 40] if found else ""
        metadata = METADATA_PATTERN.search(text)
        seen = text[max(metadata.start() - 80, 0) : metadata.end() + 40] if metadata else ""
        kinds = frozenset(m for m in (TITLE_MARKER, STEWARD_EMAIL) if m.lower() in text.lower())
        visits.append(Visit(url, response.status_code, found is not None, excerpt, seen, kinds))
    return visits


#: The principals a crawl visits as.
PRINCIPALS = ("anonymous", "token of B's steward", "A's viewer", "B's steward")


def build_crawl(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    principals: tuple[str, ...] = PRINCIPALS,
    skip: frozenset[str] = frozenset(),
) -> Iterator[CrawlResult]:
    """The two cities on the backend ``request.param`` (a copy of the process's template), crawled as
    ``principals`` (default: all four) without the query variants ``skip``; cleaned up after."""
    workspace, data = two_cities_workspace(request, tmp_path_factory.mktemp("crawl"))
    add_user(workspace, "viewer-a", {CITY_A: "viewer"})
    add_user(workspace, "steward-b", {CITY_B: "steward"})
    token_b = issue_token(workspace, "steward-b")
    app = create_app(workspace, settings=Settings(default_language="de", page_size=50, max_page_size=100))
    ids = Ids(data)
    for slug in (CITY_A, CITY_B):  # one finished import job per city, its file holding the marker in A
        content = f"id,marker_share\n0101,{MARKER if slug == CITY_A else 12.5}\n".encode()
        wanted = ObservationImportOptions(level="planning_area", period="2022")
        upload = ImportRequest(
            kind=JobKind.OBSERVATIONS, city=slug, file_name="delivery.csv", observations=wanted
        )
        job = app.state.jobs.create(upload, content)
        app.state.jobs.run(job.id)
        ids.job_ids.append(job.id)
    targets, unknown = urls(app, ids, skip)
    visits: dict[str, list[Visit]] = {}
    with TestClient(app) as anonymous:
        if "anonymous" in principals:
            visits["anonymous"] = crawl(anonymous, targets)
        if "token of B's steward" in principals:
            visits["token of B's steward"] = crawl(anonymous, targets, {"Authorization": f"Bearer {token_b}"})
    for principal, username in (("A's viewer", "viewer-a"), ("B's steward", "steward-b")):
        if principal not in principals:
            continue
        with TestClient(app) as client:
            sign_in(client, username)
            visits[principal] = crawl(client, targets)
    yield CrawlResult(visits, unknown)
    app.state.jobs.shutdown()
    workspace.close()


@pytest.fixture(scope="module", params=BACKENDS[:1])  # PostgreSQL: test_access_crawl_postgresql.py
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrawlResult]:
    yield from build_crawl(request, tmp_path_factory)


def test_every_path_parameter_is_known(crawled: CrawlResult) -> None:
    assert not crawled.unknown, (
        f"path parameters the crawl cannot fill (add them to PATH_VALUES): {crawled.unknown}"
    )


def test_the_crawl_reaches_the_pages(crawled: CrawlResult) -> None:
    anonymous = crawled.visits["anonymous"]
    assert len(anonymous) > 300
    ok = {v.url for v in anonymous if v.status == 200}
    assert (
        f"/cities/{CITY_A}" in ok and f"/api/cities/{CITY_A}/observations?indicator={MARKER_INDICATOR}" in ok
    )
    viewer = {v.url for v in crawled.visits["A's viewer"] if v.status == 200}
    assert len(viewer) > len(ok) * 0.8


def test_no_server_errors(crawled: CrawlResult) -> None:
    errors = [
        f"{who}: {v.url} {v.status}"
        for who, visits in crawled.visits.items()
        for v in visits
        if v.status >= 500
    ]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("principal", ["anonymous", "B's steward", "token of B's steward"])
def test_the_marker_never_reaches_outsiders(crawled: CrawlResult, principal: str) -> None:
    leaks = [f"{v.url} [{v.status}]: …{v.excerpt}…" for v in crawled.with_marker(principal)]
    assert not leaks, f"city A's restricted value reached {principal}:\n" + "\n".join(leaks)


def test_a_viewer_of_a_sees_the_marker(crawled: CrawlResult) -> None:
    seen = {v.url for v in crawled.with_marker("A's viewer")}
    assert f"/cities/{CITY_A}/indicators/{MARKER_INDICATOR}" in seen
    assert f"/api/cities/{CITY_A}/observations?indicator={MARKER_INDICATOR}" in seen
    assert f"/cities/{CITY_A}/indicators/{MARKER_INDICATOR}.json" in seen


@pytest.mark.parametrize("principal", ["anonymous", "B's steward", "token of B's steward"])
def test_restricted_metadata_never_reach_outsiders(crawled: CrawlResult, principal: str) -> None:
    """Reproduction 2 of issue 10: responsibilities, stewardship and inventory listed the titles, steward and
    e-mail of restricted and draft datasets to everyone."""
    leaks = [f"{v.url} [{v.status}]: …{v.metadata}…" for v in crawled.with_metadata(principal)]
    assert not leaks, f"city A's restricted dataset metadata reached {principal}:\n" + "\n".join(leaks)


def test_a_viewer_of_a_sees_the_restricted_metadata(crawled: CrawlResult) -> None:
    seen = {v.url: v.kinds for v in crawled.with_metadata("A's viewer")}
    for url in (
        f"/cities/{CITY_A}/responsibilities",
        f"/cities/{CITY_A}/responsibilities.json",
        f"/api/cities/{CITY_A}/stewardship",
        f"/cities/{CITY_A}/catalog.json",
    ):
        assert url in seen, f"{url} does not show city A's restricted datasets to A's viewer"
    assert seen[f"/api/cities/{CITY_A}/stewardship"] == {TITLE_MARKER, STEWARD_EMAIL}


def test_a_new_route_is_crawled_and_an_unknown_parameter_named(tmp_path: Path) -> None:
    workspace = Workspace.init(tmp_path / "workspace")
    app = create_app(workspace)

    @app.get("/cities/{slug}/novelty")
    def novelty(slug: str) -> dict[str, str]:
        return {"slug": slug}

    @app.get("/mystery/{riddle}")
    def mystery(riddle: str) -> dict[str, str]:
        return {"riddle": riddle}

    data = ServedCities(cities=[CITY_A], levels={}, areas={}, periods=[], indicators=[], datasets={},
                        run_ids={}, flag_ids={})  # fmt: skip
    found, unknown = urls(app, Ids(data))
    assert f"/cities/{CITY_A}/novelty" in found
    assert unknown == ["/mystery/{riddle}: riddle"]
    workspace.close()
