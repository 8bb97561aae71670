"""Bounds on what one request may cost (issue 10): body size, seeds, analysis budget, rate limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from bettercities.access.policy import Role
from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app, limits
from tests.web.citybuilder import BuiltCity
from tests.web.conftest import SETTINGS, add_user, issue_token

MIB = 1024 * 1024
CHUNK = 64 * 1024


def _post_streamed(
    app: object, total: int, *, headers: dict[str, str] | None = None
) -> tuple[httpx.Response, int]:
    """POST ``total`` bytes of a JSON string to the priority route in 64 KiB chunks; returns the response and
    how many chunks the app pulled."""
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        pulled += 1
        yield b'{"name": "'
        sent = 0
        while sent < total:
            pulled += 1
            yield b"x" * CHUNK
            sent += CHUNK
        yield b'", "conditions": []}'

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(
                "/api/cities/testville/priority",
                content=body(),
                headers={"content-type": "application/json", **(headers or {})},
            )

    return asyncio.run(run()), pulled


def test_a_streamed_150_mb_anonymous_body_is_refused_before_it_is_read(
    sqlite_workspace: Workspace, sqlite_city: BuiltCity
) -> None:
    # issue 10, reproduction 4: a 150 MB anonymous rule was read whole, answered 200 and echoed back
    app = create_app(sqlite_workspace, settings=SETTINGS)
    response, pulled = _post_streamed(app, 150 * MIB)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["title"] == "Content too large"
    assert "256 KiB" in problem["detail"]
    # refused once it passed 256 KiB: the app pulled 5 of the 2,400 chunks, not the 150 MB
    assert pulled <= 256 * 1024 // CHUNK + 2


def test_a_declared_length_above_the_limit_is_refused_before_any_byte_is_read(
    sqlite_workspace: Workspace, sqlite_city: BuiltCity
) -> None:
    app = create_app(sqlite_workspace, settings=SETTINGS)
    response, pulled = _post_streamed(app, 150 * MIB, headers={"content-length": str(150 * MIB + 30)})
    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert pulled == 0


def test_writers_may_send_more_and_read_only_tokens_do_not(
    sqlite_workspace: Workspace, sqlite_city: BuiltCity
) -> None:
    add_user(sqlite_workspace, "writer", {"testville": Role.STEWARD})
    write = issue_token(sqlite_workspace, "writer", write=True)
    read = issue_token(sqlite_workspace, "writer", write=False)
    app = create_app(sqlite_workspace, settings=SETTINGS)
    # 512 KiB: above the anonymous limit, far below a writer's
    big = {"name": "x" * (512 * 1024), "conditions": []}
    with TestClient(app) as client:
        assert client.post("/api/cities/testville/priority", json=big).status_code == 413
        refused = client.post(
            "/api/cities/testville/priority", json=big, headers={"Authorization": f"Bearer {read}"}
        )
        assert refused.status_code == 413
        passed = client.post(
            "/api/cities/testville/priority", json=big, headers={"Authorization": f"Bearer {write}"}
        )
        # past the size check: the schema judges it now (an empty rule, a name too long)
        assert passed.status_code == 422, passed.text[:300]


@pytest.mark.parametrize("size", [0, 10, 200 * 1024])
def test_bodies_within_the_limit_pass(sqlite_workspace: Workspace, sqlite_city: BuiltCity, size: int) -> None:
    app = create_app(sqlite_workspace, settings=SETTINGS)
    rule = {
        "name": "n" * min(size, 100),
        "title": "t" * size if size else None,
        "conditions": [{"kind": "threshold", "indicator": "unemployment", "op": ">", "value": 1}],
    }
    with TestClient(app) as client:
        response = client.post("/api/cities/testville/priority", json=rule)
    assert response.status_code in (200, 422), response.text[:300]
    assert response.status_code != 413


# -- seeds and field lengths (issue 10, reproduction 7: a seed outside numpy's range answered 500) ----------

SEEDS_OUT_OF_RANGE = [-1, 2**32, 2**63]
LISA = {"kind": "lisa", "indicator": "unemployment", "permutations": 99}


@pytest.mark.parametrize("seed", SEEDS_OUT_OF_RANGE)
@pytest.mark.parametrize(
    "path",
    [
        "/api/cities/testville/spatial?indicator=unemployment&permutations=99&seed={seed}",
        "/cities/testville/spatial.json?indicator=unemployment&permutations=99&seed={seed}",
        "/api/cities/testville/typology?indicator=unemployment&indicator=inhabitants&seed={seed}",
        "/cities/testville/typology.json?indicator=unemployment&indicator=inhabitants&seed={seed}",
    ],
)
def test_a_seed_outside_numpys_range_is_refused_with_422(
    sqlite_client: TestClient, path: str, seed: int
) -> None:
    response = sqlite_client.get(path.format(seed=seed))
    assert response.status_code == 422, response.text[:300]
    assert "seed" in response.json()["detail"]


@pytest.mark.parametrize("seed", SEEDS_OUT_OF_RANGE)
@pytest.mark.parametrize("kind", ["lisa", "hotspot"])
def test_a_posted_rule_with_a_seed_outside_numpys_range_is_refused_with_422(
    sqlite_client: TestClient, kind: str, seed: int
) -> None:
    rule = {"name": "r", "conditions": [{**LISA, "kind": kind, "seed": seed}]}
    response = sqlite_client.post("/api/cities/testville/priority", json=rule)
    assert response.status_code == 422, response.text[:300]
    assert "seed" in response.json()["detail"]


def test_the_largest_seed_numpy_takes_still_works(sqlite_client: TestClient) -> None:
    path = "/api/cities/testville/spatial?indicator=unemployment&permutations=99&seed={seed}"
    assert sqlite_client.get(path.format(seed=0)).status_code == 200
    assert sqlite_client.get(path.format(seed=2**32 - 1)).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"name": "n" * 201, "conditions": [LISA]},
        {"name": "r", "title": "t" * 2001, "conditions": [LISA]},
        {"name": "r", "conditions": [{**LISA, "indicator": "i" * 81}]},
        {"name": "r", "conditions": [{"kind": "index-class", "classes": ["3"] * 21}]},
        {
            "name": "r",
            "conditions": [{"kind": "threshold", "indicator": "u", "op": ">", "value": 1}],
            "level": "l" * 81,
        },
    ],
)
def test_free_text_of_a_posted_rule_is_bounded(sqlite_client: TestClient, rule: dict) -> None:
    # issue 10, reproduction 4: the name of a posted rule was echoed back at any length
    response = sqlite_client.post("/api/cities/testville/priority", json=rule)
    assert response.status_code == 422, response.text[:300]
    assert len(response.content) < 10_000


def test_long_codes_in_a_query_list_are_a_422_not_a_500(sqlite_client: TestClient) -> None:
    response = sqlite_client.get(
        f"/api/cities/testville/typology?indicator=unemployment&indicator={'x' * 81}"
    )
    assert response.status_code == 422, response.text[:300]


# -- the CPU budget of an anonymous caller's analyses (issue 10, reproduction 4: 50 LISA conditions × 9,999
# permutations cost 30 s of CPU) ----------------------------------------------------------------------------

#: Testville has 8 planning areas: 3 × 999 × 8 = 23,976 draws pass, 3 × 9,999 × 8 = 239,976 do not.
BUDGET = Settings(default_language="de", analysis_budget_anonymous=100_000)


@pytest.fixture
def budgeted(sqlite_workspace: Workspace, sqlite_city: BuiltCity) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_workspace, settings=BUDGET)) as client:
        yield client


def test_an_anonymous_spatial_analysis_above_the_budget_is_refused(budgeted: TestClient) -> None:
    path = "/api/cities/testville/spatial?indicator=unemployment&permutations={}"
    response = budgeted.get(path.format(9999))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "analysis_budget_anonymous" in detail and "100,000" in detail and "239,976" in detail
    assert budgeted.get(path.format(999)).status_code == 200
    assert (
        budgeted.get("/cities/testville/spatial.json?indicator=unemployment&permutations=9999").status_code
        == 422
    )


def test_an_anonymous_rule_above_the_budget_is_refused_before_it_is_computed(budgeted: TestClient) -> None:
    lisa = {"kind": "lisa", "indicator": "unemployment", "permutations": 9999}
    rule = {"name": "expensive", "combine": "any", "conditions": [lisa] * 50}
    started = time.perf_counter()
    response = budgeted.post("/api/cities/testville/priority", json=rule)
    assert response.status_code == 422
    assert time.perf_counter() - started < 2
    detail = response.json()["detail"]
    assert "499,950 permutations" in detail and "analysis_budget_anonymous" in detail
    # nested groups count too
    nested = {"name": "n", "conditions": [{"kind": "group", "conditions": [lisa] * 2}]}
    assert budgeted.post("/api/cities/testville/priority", json=nested).status_code == 422
    cheap = {"name": "cheap", "conditions": [{**lisa, "permutations": 999}]}
    assert budgeted.post("/api/cities/testville/priority", json=cheap).status_code == 200


def test_signed_in_callers_have_no_analysis_budget(sqlite_workspace: Workspace, budgeted: TestClient) -> None:
    add_user(sqlite_workspace, "reader", {"testville": Role.VIEWER})
    token = issue_token(sqlite_workspace, "reader")
    response = budgeted.get(
        "/api/cities/testville/spatial?indicator=unemployment&permutations=9999",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200


# -- rate limits of the expensive routes (issue 10, reproduction 4: no rate limit anywhere) -----------------

RATED = Settings(default_language="de", rate_limit_anonymous="3/minute", rate_limit_signed_in="5/minute")


@pytest.fixture
def rated(sqlite_workspace: Workspace, sqlite_city: BuiltCity) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_workspace, settings=RATED)) as client:
        yield client


def test_an_anonymous_client_is_limited_on_expensive_routes_with_retry_after(rated: TestClient) -> None:
    path = "/api/cities/testville/typology?indicator=unemployment&indicator=inhabitants"
    assert [rated.get(path).status_code for _ in range(3)] == [200, 200, 200]
    refused = rated.get("/cities/testville/typology.json?indicator=unemployment&indicator=inhabitants")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    problem = refused.json()
    assert problem["title"] == "Too many requests" and "3 per 1 minute" in problem["detail"]
    # posts count too, and cheap routes are not counted
    assert rated.post("/api/cities/testville/priority", json={"name": "r"}).status_code == 429
    assert rated.get("/api/cities/testville").status_code == 200


def test_a_signed_in_user_is_counted_per_account_with_their_own_limit(
    sqlite_workspace: Workspace, rated: TestClient
) -> None:
    add_user(sqlite_workspace, "busy", {"testville": Role.VIEWER})
    headers = {"Authorization": f"Bearer {issue_token(sqlite_workspace, 'busy')}"}
    path = "/api/cities/testville/typology?indicator=unemployment&indicator=inhabitants"
    for _ in range(3):  # the anonymous clients' count is used up …
        rated.get(path)
    assert rated.get(path).status_code == 429
    # … the user's is their own, and larger
    assert [rated.get(path, headers=headers).status_code for _ in range(5)] == [200] * 5
    assert rated.get(path, headers=headers).status_code == 429


def test_the_default_limits_are_set_and_a_bad_notation_fails_at_start(sqlite_workspace: Workspace) -> None:
    assert Settings().rate_limit_anonymous and Settings().rate_limit_signed_in
    with pytest.raises(ValueError, match="rate_limit"):
        create_app(sqlite_workspace, settings=Settings(rate_limit_anonymous="often")).build_middleware_stack()


@pytest.mark.parametrize(
    ("method", "path", "counted"),
    [
        ("GET", "/api/cities/berlin/spatial", True),
        ("GET", "/cities/berlin/spatial.json", True),
        ("GET", "/cities/berlin/priority", True),
        ("POST", "/api/cities/berlin/priority", True),
        ("POST", "/cities/berlin/priority-sets", True),
        ("POST", "/cities/berlin/import", True),
        ("POST", "/api/cities/berlin/datasets/x/observations", True),
        ("GET", "/cities/berlin", False),
        ("GET", "/api/cities/berlin/priority-sets", False),
        ("GET", "/cities/berlin/import", False),
    ],
)
def test_which_routes_are_expensive(method: str, path: str, counted: bool) -> None:
    assert limits.expensive(method, path) is counted
