"""Cached API responses (web/caching.py): ETag, Last-Modified and 304 without recomputing; Cache-Control by
audience; the cache never hands one audience's values to another (a suppressed cell stays withheld); the
anonymous visitor's answers and pages served in front of the router exactly as the route answers them."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import bettercities.web.api.indicators as indicators_api
from bettercities.areas import service as areas_service
from bettercities.core.settings import Settings
from bettercities.storage.versioning import mark_changed
from bettercities.storage.workspace import Workspace
from bettercities.web import caching, create_app, templating
from bettercities.web.caching import etag_matches
from tests.web.citybuilder import LEVELS, build_city
from tests.web.conftest import SUPPRESSED, add_user, issue_token

URL = "/api/cities/testville/observations"
INDICATOR, AREA, PERIOD = SUPPRESSED
PARAMS = {"indicator": INDICATOR, "period": PERIOD, "level": "planning_area"}
SETTINGS = Settings(cache_max_age=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Workspace, dict]]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("caching")) / "ws")
    # 2 districts of 16 planning areas: a page of them is large enough to be sent gzipped
    levels = (LEVELS[0], (*LEVELS[1][:3], (4, 4)))
    build_city(workspace, levels=levels, suppress=(SUPPRESSED,))
    add_user(workspace, "vera", {"testville": "viewer"})  # a member: restricted data, no suppressed cells
    add_user(workspace, "ada", {"testville": "analyst"})  # the data team: suppressed cells too
    tokens = {name: {"Authorization": f"Bearer {issue_token(workspace, name)}"} for name in ("vera", "ada")}
    with TestClient(create_app(workspace, settings=SETTINGS)) as client:
        yield client, workspace, tokens
    workspace.close()


def _value(response: object) -> float | None:
    items = response.json()["items"]  # type: ignore[attr-defined]
    return next(item["value"] for item in items if item["area_code"] == AREA)


def test_etag_and_last_modified_answer_304_without_recomputing(
    served: tuple[TestClient, Workspace, dict],
) -> None:
    client, workspace, _ = served
    first = client.get(URL, params={**PARAMS, "page_size": 2})
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == f"public, max-age={SETTINGS.cache_max_age}"
    modified = parsedate_to_datetime(first.headers["last-modified"])

    responses, values = client.app.state.responses, client.app.state.caches.values  # type: ignore[attr-defined]
    misses = (responses.misses, values.misses)
    again = client.get(URL, params={**PARAMS, "page_size": 2}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["last-modified"] == first.headers["last-modified"]
    assert (responses.misses, values.misses) == misses  # nothing computed, nothing serialised
    assert client.get(URL, params={**PARAMS, "page_size": 2}).json() == first.json()
    assert (responses.misses, values.misses) == misses  # the same bytes again
    # another query of the same data is another representation
    other = client.get(URL, params={**PARAMS, "page_size": 3}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag

    with workspace.database.session() as session:  # a write: the data version moves on
        mark_changed(session)
    changed = client.get(URL, params={**PARAMS, "page_size": 2}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert parsedate_to_datetime(changed.headers["last-modified"]) >= modified


def test_gzip_is_served_from_the_cache_and_vary_is_stated_once(
    served: tuple[TestClient, Workspace, dict],
) -> None:
    client, _, _ = served
    params = {**PARAMS, "level": "district"}  # too small for gzip
    small = client.get(URL, params=params)
    assert "content-encoding" not in small.headers
    assert small.headers["vary"] == "Authorization, Cookie"
    plain = client.get(URL, params={"indicator": "inhabitants"}, headers={"Accept-Encoding": "identity"})
    packed = client.get(URL, params={"indicator": "inhabitants"}, headers={"Accept-Encoding": "gzip"})
    assert len(plain.content) >= 2048 and packed.headers["content-encoding"] == "gzip"
    assert packed.json() == plain.json()  # httpx decodes the gzip
    for response in (plain, packed):
        vary = [v.strip() for v in response.headers["vary"].split(",")]
        assert sorted(vary) == ["Accept-Encoding", "Authorization", "Cookie"]
    assert plain.headers["etag"] == packed.headers["etag"]  # weak: one representation, two encodings


def test_audiences_never_share_an_entry(served: tuple[TestClient, Workspace, dict]) -> None:
    """The data team first (sees the suppressed cell), then the public and a member: both get it withheld
    from their own entries; a member's ETag is not the public's, and signed-in answers are private."""
    client, _, tokens = served
    client.app.state.responses.clear()  # type: ignore[attr-defined]
    team = client.get(URL, params=PARAMS, headers=tokens["ada"])
    public = client.get(URL, params=PARAMS)
    member = client.get(URL, params=PARAMS, headers=tokens["vera"])
    assert _value(team) is not None
    assert _value(public) is None and _value(member) is None
    assert len({team.headers["etag"], public.headers["etag"], member.headers["etag"]}) == 3
    assert len(client.app.state.responses) == 3  # type: ignore[attr-defined]
    assert team.headers["cache-control"] == member.headers["cache-control"] == "private, no-store"
    assert public.headers["cache-control"].startswith("public, max-age=")
    # the public's ETag does not validate the team's copy, nor the team's the public's
    crossed = client.get(
        URL, params=PARAMS, headers={**tokens["ada"], "If-None-Match": public.headers["etag"]}
    )
    assert crossed.status_code == 200 and _value(crossed) is not None
    crossed = client.get(URL, params=PARAMS, headers={"If-None-Match": team.headers["etag"]})
    assert crossed.status_code == 200 and _value(crossed) is None


def test_if_none_match_lists_and_wildcards() -> None:
    assert etag_matches('"a", W/"b"', 'W/"b"') and etag_matches('W/"b"', 'W/"b"')
    assert etag_matches("*", 'W/"x"') and etag_matches('"b"', 'W/"b"')
    assert not etag_matches('W/"c"', 'W/"b"') and not etag_matches(None, 'W/"b"')


def _same(a: httpx.Response, b: httpx.Response) -> None:
    """Status, body and every header but the per-request ones."""
    assert (a.status_code, a.content) == (b.status_code, b.content)
    per_request = {"date", "x-request-id"}
    assert {k: v for k, v in a.headers.items() if k not in per_request} == {
        k: v for k, v in b.headers.items() if k not in per_request
    }


def _calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[tuple]:
    """The arguments of every call of ``owner.name`` from now on (the function still runs)."""
    calls: list[tuple] = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_the_anonymous_answer_is_served_in_front_of_the_route_exactly_as_the_route_answers(
    served: tuple[TestClient, Workspace, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, workspace, tokens = served
    client.app.state.responses.clear()  # type: ignore[attr-defined]
    routed = _calls(monkeypatch, indicators_api, "cached_json")
    big = {"indicator": "inhabitants"}  # sent gzipped to whoever takes it
    variants = [
        (big, {"Accept-Encoding": "gzip"}),
        (big, {"Accept-Encoding": "identity"}),
        ({**PARAMS, "level": "district"}, {}),  # small: never gzipped
    ]
    for params, headers in variants:
        by_route = client.get(URL, params=params, headers=headers)
        assert len(routed) == 1, "the first anonymous request of a URL is answered by the route"
        in_front = client.get(URL, params=params, headers=headers)
        assert len(routed) == 1, "the next one is answered in front of the route"
        _same(by_route, in_front)
        not_modified = client.get(
            URL, params=params, headers={**headers, "If-None-Match": by_route.headers["etag"]}
        )
        assert not_modified.status_code == 304 and len(routed) == 1
        routed.clear()
        client.app.state.responses.clear()  # type: ignore[attr-defined]
        _same(
            client.get(URL, params=params, headers={**headers, "If-None-Match": by_route.headers["etag"]}),
            not_modified,
        )
        routed.clear()

    # a signed-in caller always goes to the route (its audience may see more) and gets a private answer
    member = client.get(URL, params=PARAMS, headers=tokens["vera"])
    assert routed and member.headers["cache-control"] == "private, no-store"
    # a write moves the data stamp: the stored answer is not served, the route computes the new one
    first = client.get(URL, params=PARAMS)
    routed.clear()
    with workspace.database.session() as session:
        mark_changed(session)
    after = client.get(URL, params=PARAMS)
    assert len(routed) == 1 and after.headers["etag"] != first.headers["etag"]
    _value(after)  # the suppressed cell is still withheld from the public
    assert _value(after) is None


def test_the_anonymous_page_is_kept_per_language_and_stamp_and_never_for_a_member(
    served: tuple[TestClient, Workspace, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, workspace, tokens = served
    client.app.state.responses.clear()  # type: ignore[attr-defined]
    rendered = _calls(monkeypatch, templating.Templates, "render")
    client.cookies.clear()  # the module's client: no language chosen earlier
    page = "/cities/testville"
    for headers in ({"Accept-Encoding": "gzip"}, {"Accept-Encoding": "identity"}):
        by_route = client.get(page, headers=headers)
        assert by_route.status_code == 200 and len(rendered) == 1
        in_front = client.get(page, headers=headers)
        assert len(rendered) == 1, "the next anonymous visit is answered in front of the route"
        _same(by_route, in_front)
        rendered.clear()
        client.app.state.responses.clear()  # type: ignore[attr-defined]
    english = client.get(page, headers={"Accept-Language": "en"})
    german = client.get(page, headers={"Accept-Language": "de"})
    assert len(rendered) == 2, "each language is its own page"
    assert (english.headers["content-language"], german.headers["content-language"]) == ("en", "de")
    assert client.get(page, headers={"Accept-Language": "de"}).text == german.text and len(rendered) == 2
    # the language cookie decides as the route would: a German cookie gets the German page
    assert client.get(page, headers={"Cookie": "lang=de"}).text == german.text and len(rendered) == 2
    rendered.clear()
    # ?lang= sets the language cookie, the same for everyone who follows that URL: kept with it
    chosen = client.get(page, params={"lang": "en"})
    client.cookies.clear()
    again = client.get(page, params={"lang": "en"})
    client.cookies.clear()
    assert len(rendered) == 1 and chosen.headers["set-cookie"].startswith("lang=en")
    _same(chosen, again)
    rendered.clear()
    # a member's page always comes from the route
    for _ in range(2):
        client.get(page, headers=tokens["vera"])
    assert len(rendered) == 2
    rendered.clear()
    # the sign-in form carries a per-browser token: never kept
    for _ in range(2):
        assert client.get("/login").status_code == 200
    assert len(rendered) == 2
    rendered.clear()
    # a write moves the data stamp; an answer older than PAGE_SECONDS is not served either
    client.get(page)
    assert not rendered, "kept from a visit above"
    with workspace.database.session() as session:
        mark_changed(session)
    client.get(page)
    assert len(rendered) == 1
    monkeypatch.setattr(caching, "PAGE_SECONDS", -1.0)
    client.app.state.responses.clear()  # type: ignore[attr-defined]
    client.get(page)
    client.get(page)
    assert len(rendered) == 3


def test_an_anonymous_api_answer_without_etag_is_kept_too(
    served: tuple[TestClient, Workspace, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any API list the anonymous visitor reads (not only those of cached_json) is answered in front of the
    router after the route answered it once, until the data stamp moves; never for a member."""
    client, workspace, tokens = served
    client.app.state.responses.clear()  # type: ignore[attr-defined]
    client.cookies.clear()
    calls = _calls(monkeypatch, areas_service, "list_levels")
    url = "/api/cities/testville/levels"
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == 200 and len(calls) == 1
    _same(first, second)
    client.get(url, headers=tokens["vera"])
    client.get(url, headers=tokens["vera"])
    assert len(calls) == 3, "a member's answer always comes from the route"
    with workspace.database.session() as session:
        mark_changed(session)
    client.get(url)
    assert len(calls) == 4
