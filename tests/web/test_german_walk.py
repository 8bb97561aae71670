"""Walk every page of the demo city in German, as the anonymous visitor and as an administrator, and fail
on English the visitor should not see (issue 12, point 5).

The walk starts at ``/`` and ``/cities/auenstedt`` and follows the links of each page (as a visitor clicks
through), so pages added later are walked without editing this test; it opens one URL per route and set of
query parameters (the 60 area profiles look alike). On every German page it looks at the text a visitor
reads (``<code>`` aside: identifiers such as indicator codes are shown as such on purpose) for

(a) **untranslated messages**: any msgid of the German catalog whose translation differs from it, verbatim
    (an English msgid that is also a German word or phrase of the catalog, ``Status``, is left out);
(b) **raw codes** of the vocabularies pages must show as labels (:mod:`bettercities.web.vocabularies`:
    themes, frequencies, access rights, states, level kinds, problem codes …), as a whole word.

The demo is built once per module, small (60 planning areas, two years).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from bettercities.web.i18n import LOCALE_DIR
from bettercities.web.vocabularies import VOCABULARIES, label
from tests.support.demos import built_demo
from tests.web.conftest import add_user, sign_in

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)

SLUG = "auenstedt"
START = ["/", f"/cities/{SLUG}", "/surveys"]
#: Elements whose text the visitor does not read as prose: scripts, styles, identifiers in ``<code>`` and
#: machine text in ``<pre>`` (a rule's JSON).
SKIPPED = {"script", "style", "code", "pre"}


class _Page(HTMLParser):
    """The links and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.parts: list[str] = []
        #: the open elements whose text is skipped (the outermost skipped one and its namesakes inside it)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        # text marked as English on purpose (a cited English source title) is not an untranslated message
        if tag in SKIPPED or attributes.get("lang") == "en" or (self.stack and tag == self.stack[-1]):
            self.stack.append(tag)
        href = attributes.get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag == self.stack[-1]:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.stack:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


@dataclass
class Walk:
    """The German pages one principal reached: URL -> (status, visible text)."""

    pages: dict[str, tuple[int, str]] = field(default_factory=dict)


def _route_of(app: FastAPI) -> list[tuple[re.Pattern[str], str]]:
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path:
            found.append((re.compile(context.original_route.path_regex.pattern), context.path))
    return found


def walk(client: TestClient, app: FastAPI) -> Walk:
    """Follow the links from :data:`START`: one URL per route and set of query parameter names."""
    routes = _route_of(app)
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = list(START)
    result = Walk()
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        template = next((path for regex, path in routes if regex.match(parts.path)), parts.path)
        key = (template, frozenset(name for name, _ in parse_qsl(parts.query)))
        if key in seen:
            continue
        seen.add(key)
        response = client.get(url, follow_redirects=False)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page = _Page()
        page.feed(response.text)
        result.pages[url] = (response.status_code, page.text)
        for href in page.links:
            link = urlsplit(href)
            if link.scheme or link.netloc or not link.path.startswith("/"):
                continue
            if link.path.startswith(("/api", "/static", "/logout")) or link.path.endswith(".json"):
                continue
            query = [(k, v) for k, v in parse_qsl(link.query) if k != "lang"]
            queue.append(link.path + (f"?{urlencode(query)}" if query else ""))
    return result


def programme_with_impact_logic(workspace: Workspace) -> None:
    """Issue 16: #vernetztinEuropa with two of its tandems and the demo's impact logic, so that the walk
    reaches a programme's pages and its impact logic from the navigation (the city demo has no programme)."""
    from datetime import date

    from bettercities import networks
    from bettercities.demo.impact_logic import PROGRAMME, load_impact_logic
    from bettercities.networks.schemas import ProgrammeIn

    with workspace.database.session() as session:
        networks.create_programme(
            session, ProgrammeIn(slug=PROGRAMME, name="#vernetztinEuropa", start=date(2022, 5, 17),
                                 end=date(2024, 12, 31)),
        )  # fmt: skip
        for slug in ("tandem-sofia-krefeld", "tandem-arezzo-hamm"):
            networks.create_network(
                session, slug, name_de=slug, name_en=slug, programme=PROGRAMME, kind="tandem",
                start=date(2022, 5, 17),
            )  # fmt: skip
    load_impact_logic(workspace)


def survey_of_the_demo_city(workspace: Workspace) -> None:
    """Issue 16: the practice survey, open, with the demo city's response, so that the walk reaches the
    survey, its results, the response form and the gap analysis (the city's admin speaks for it)."""
    from bettercities.demo.surveys import answers_for
    from bettercities.surveys import service as surveys
    from bettercities.surveys.practice import shipped_path
    from bettercities.surveys.schemas import SurveyStatus

    with workspace.database.session() as session:
        surveys.load_survey(session, shipped_path(), slug="practice-survey", by="test")
        surveys.set_status(session, "practice-survey", SurveyStatus.OPEN)
        surveys.respond(session, "practice-survey", SLUG, answers_for(SLUG, 0), by="test")


def hub_and_guide(workspace: Workspace) -> None:
    """Issue 16: the demo's hub (three practices of the demo city, the four URBACT webinars) and its guide, so
    that the walk reaches /hub (from the navigation), a practice, an event and the guide."""
    from bettercities import networks
    from bettercities.demo.hub import PROGRAMME, load_hub
    from bettercities.networks.schemas import ProgrammeIn

    with workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=PROGRAMME, name="URBACT IV"))
    load_hub(workspace, SLUG)


def call_and_tandems(workspace: Workspace) -> None:
    """Issue 16: the demo's #vernetztinEuropa call and its tandems' kick-off and workshop (on the two tandems
    of :func:`programme_with_impact_logic`), so that the walk reaches the programme's calls, the call, its
    application form and applications (the admin coordinates) and a tandem's page."""
    from bettercities.demo.calls import load_calls

    load_calls(workspace)


@pytest.fixture(scope="module")
def walks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Walk]]:
    folder = tmp_path_factory.mktemp("german-walk") / "workspace"
    workspace, _ = built_demo(tmp_path_factory, folder, n_planning_areas=60, first_year=2023, last_year=2024)
    add_user(workspace, "chefin", {SLUG: "city_admin"}, platform_admin=True)
    survey_of_the_demo_city(workspace)
    programme_with_impact_logic(workspace)
    hub_and_guide(workspace)
    call_and_tandems(workspace)
    app = create_app(workspace, settings=Settings(default_language="de"))
    found = {}
    with TestClient(app) as anonymous:
        found["anonymous"] = walk(anonymous, app)
    with TestClient(app) as admin:
        sign_in(admin, "chefin")
        found["admin"] = walk(admin, app)
    yield found
    app.state.jobs.shutdown()
    workspace.close()


def _catalog(language: str) -> dict[str, str]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if isinstance(m.id, str) and m.id and m.string}


def _words(text: str) -> re.Pattern[str]:
    """``text`` as a whole word or phrase (placeholders match any short text)."""
    pieces = [re.escape(piece) for piece in re.split(r"\{\w+\}", text)]
    return re.compile(r"(?<![\w-])" + r".{1,60}?".join(pieces) + r"(?![\w-])")


@cache
def untranslated_patterns() -> dict[str, re.Pattern[str]]:
    """The msgids a German page must not show: translated differently, and no German word or phrase of the
    catalog themselves."""
    german = _catalog("de")
    translations = "\n".join(german.values())
    return {
        msgid: _words(msgid)
        for msgid, text in german.items()
        if text != msgid and msgid.strip() and not _words(msgid).search(translations)
    }


@cache
def raw_code_patterns() -> dict[str, re.Pattern[str]]:
    """The codes of the vocabularies whose German label differs from them."""
    return {
        code: re.compile(r"(?<![\w/-])" + re.escape(code) + r"(?![\w/-])")
        for name, vocabulary in VOCABULARIES.items()
        for code in vocabulary
        if label(code, name, "de") != code and len(code) > 2
    }


#: English still shown, outside this test's pages, as (path prefix, string): each with the place to fix it.
KNOWN: set[tuple[str, str]] = {
    # an entry of the hub in its own language (the demo's URBACT webinars are English) in the page's <title>,
    # which cannot be marked lang="en" as its body is (templates/hub/event.html)
    ("/hub/events/", "webinar"),
    ("/hub/events/", "What do you collect?"),
    ("/hub/events/", "How is it collected and managed?"),
    ("/hub/events/", "How do you use it for priorities and goals?"),
    ("/hub/events/", "How do you measure impact?"),
    # the comparison form's hint writes a level code as an example (templates/areas/compare.html)
    (f"/cities/{SLUG}/compare", "district"),
    # the peers form (templates/peers/peers.html): the programme's own name "European Urban Initiative –
    # Innovative Actions", and the languages as ISO 639-1 codes ("no" is Norwegian; names would be better)
    (f"/cities/{SLUG}/peers", "Actions"),
    (f"/cities/{SLUG}/peers", "no"),
}


def findings(walked: Walk, patterns: dict[str, re.Pattern[str]]) -> list[str]:
    out = []
    for url, (_, text) in walked.pages.items():
        for what, pattern in patterns.items():
            if any(url.startswith(prefix) and what == known for prefix, known in KNOWN):
                continue
            if re.split(r"\{\w+\}", what)[0] not in text:  # cheap test first: the regex only where it may hit
                continue
            found = pattern.search(text)
            if found:
                start, end = max(found.start() - 60, 0), found.end() + 40
                out.append(f"{url}: {what!r} in …{text[start:end]}…")
    return out


@pytest.mark.parametrize("principal", ["anonymous", "admin"])
def test_the_walk_reaches_the_pages(walks: dict[str, Walk], principal: str) -> None:
    pages = walks[principal].pages
    assert all(status < 500 for status, _ in pages.values()), [u for u, (s, _) in pages.items() if s >= 500]
    ok = {url.split("?")[0] for url, (status, _) in pages.items() if status == 200}
    assert {f"/cities/{SLUG}", f"/cities/{SLUG}/privacy"} <= ok
    assert {f"/cities/{SLUG}/spatial", f"/cities/{SLUG}/index-runs", f"/cities/{SLUG}/catalog"} <= ok
    assert any(url.startswith(f"/cities/{SLUG}/areas/") for url in ok)
    assert any(url.startswith(f"/cities/{SLUG}/indicators/") for url in ok)
    assert {"/surveys", "/surveys/practice-survey", "/surveys/practice-survey/results"} <= ok  # issue 16
    assert "/programmes/vernetztineuropa/impact-logic" in ok  # issue 16, from the programme's page
    assert {"/hub", "/programmes/urbact-iv/guide"} <= ok  # issue 16, from the navigation and the hub
    assert {url.split("/")[2] for url in ok if url.startswith("/hub/")} == {"practices", "events"}
    # issue 16: the programme's calls (from the programme's page), the call, a tandem (from its network page)
    assert {"/programmes/vernetztineuropa/calls", "/calls/vernetztineuropa-2021"} <= ok
    assert "/tandems/tandem-arezzo-hamm" in ok
    if principal == "admin":  # the data team's pages, reached by links
        team = ["inventory", "responsibilities", "quality/outliers", "quality/rules", "audit", "import"]
        assert {f"/cities/{SLUG}/{page}" for page in team} <= ok
        assert "/calls/vernetztineuropa-2021/applications" in ok  # the admin coordinates every programme


@pytest.mark.parametrize("principal", ["anonymous", "admin"])
def test_no_untranslated_english(walks: dict[str, Walk], principal: str) -> None:
    found = findings(walks[principal], untranslated_patterns())
    assert not found, "English on German pages:\n" + "\n".join(found)


@pytest.mark.parametrize("principal", ["anonymous", "admin"])
def test_no_raw_codes(walks: dict[str, Walk], principal: str) -> None:
    found = findings(walks[principal], raw_code_patterns())
    assert not found, "codes instead of labels on German pages:\n" + "\n".join(found)


def test_the_checks_can_fail() -> None:
    """Both checks find what they look for (else the walk's silence would prove nothing)."""
    page = Walk({"/x": (200, "Thema labour · Aktualisierung ANNUAL · Sign in")})
    assert any("'labour'" in f for f in findings(page, raw_code_patterns()))
    assert any("'ANNUAL'" in f for f in findings(page, raw_code_patterns()))
    assert any("'Sign in'" in f for f in findings(page, untranslated_patterns()))
    assert not findings(Walk({"/x": (200, "Thema Arbeitsmarkt, jährlich")}), raw_code_patterns())


def test_every_label_is_translated() -> None:
    """Every label of the vocabularies has a German translation (and an English entry) in the catalogs."""
    german, english = _catalog("de"), _catalog("en")
    labels = {message for vocabulary in VOCABULARIES.values() for message in vocabulary.values()}
    assert not sorted(labels - set(german)), "labels without German translation"
    assert not sorted(labels - set(english)), "labels missing in the English catalog"


def test_labels_of_codes() -> None:
    assert label("ANNUAL", "frequency", "de") == "jährlich"
    assert label("ANNUAL", "frequency", "en") == "annual"
    assert label("small_area", "level_kind", "de") == "kleinräumige Gebiete"
    assert label("unknown-area", "problem", "de") == "Unbekanntes Gebiet"
    assert label("a city's own theme", "theme", "de") == "a city's own theme"  # no label: shown as it is
    assert label(None, "theme", "de") == "–"


def test_the_quality_rule_labels_are_the_shipped_rules() -> None:
    """The labels of the shipped quality rules are their titles in the rule files (a renamed rule fails)."""
    import yaml

    import bettercities.quality

    rules = Path(bettercities.quality.__file__).parent / "data" / "rules"
    shipped = {
        rule["code"]: rule.get("name")
        for path in rules.glob("*.yaml")
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    }
    assert VOCABULARIES["quality_rule"] == {code: shipped[code] for code in VOCABULARIES["quality_rule"]}
    german = label("warmest-above-coldest", "quality_rule", "de")
    assert german == "Der wärmste Monat ist wärmer als der kälteste"
