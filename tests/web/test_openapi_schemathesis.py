"""schemathesis against the running app: every operation of ``/api/openapi.json``, a bounded number of
generated requests each, sent anonymously and with two API tokens; no 5xx, no response that violates the
schema.

The app is served by uvicorn on loopback (``tests/support/net.py``) over two small cities with every kind of
object the API names (``tests/support/served.py``). Path parameters are drawn from the real ids most of the
time (so requests reach the handlers' logic, not only their 404s) and left as generated otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.net import ServerThread
from tests.support.served import CITY_B, ServedCities, add_user, issue_token, two_cities_workspace

pytestmark = pytest.mark.slow

#: Generated requests per operation (~100 operations). Each is sent as every principal of :data:`PRINCIPALS`
#: in turn: generating a request costs several times more than answering it (schemathesis' strategies), so one
#: generation serves all three.
MAX_EXAMPLES = 8

#: Who sends each request: no one (the published view), a write token of B's steward (403 in city A, its own
#: city's handlers) and a write token of a platform admin (every route answers in full, the audit log too).
PRINCIPALS = ("anonymous", "steward token", "admin token")

#: Formats of the DCAT export (``/catalog/{slug}.{fmt}``).
RDF_FORMATS = ["ttl", "jsonld", "rdf", "nt"]


def real_values(data: ServedCities, path: str, name: str) -> list[Any] | None:
    """The real values of path parameter ``name`` of ``path`` (None: keep what schemathesis generates)."""
    if name == "slug":
        return data.cities
    if name == "code":
        if "/areas/" in path:
            return sorted({c for codes in data.areas.values() for c in codes})
        if "/indicators/" in path:
            return data.indicators
        if "/datasets/" in path or path.startswith("/catalog/") or "/catalog/" in path:
            return sorted({c for codes in data.datasets.values() for c in codes})
    if name == "run_id":
        return sorted(data.run_ids.values())
    if name == "flag_id":
        return sorted(data.flag_ids.values())
    if name == "name":
        return sorted({n for names in data.priority_sets.values() for n in names})
    if name == "fmt":
        return RDF_FORMATS
    return None


@pytest.fixture(scope="module")
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, ServedCities, Workspace]]:
    workspace, data = two_cities_workspace(request, tmp_path_factory.mktemp("schemathesis"), "sqlite")
    app = create_app(workspace, settings=Settings(default_language="en", page_size=20, max_page_size=50))
    with ServerThread(app, probe_path="/api/openapi.json") as server:
        yield server.url, data, workspace
    workspace.close()


def token_headers(
    workspace: Workspace, username: str, roles: dict[str, str], *, admin: bool = False
) -> dict[str, str]:
    """The bearer header of a new read-and-write token of a new user with ``roles``."""
    add_user(workspace, username, roles, platform_admin=admin)
    return {"Authorization": f"Bearer {issue_token(workspace, username, write=True)}"}


@pytest.fixture(scope="module")
def principals(served: tuple[str, ServedCities, Workspace]) -> dict[str, dict[str, str]]:
    """The request headers of each of :data:`PRINCIPALS`."""
    return {
        "anonymous": {},
        "steward token": token_headers(served[2], "schema-steward", {CITY_B: "steward"}),
        "admin token": token_headers(served[2], "schema-admin", {}, admin=True),
    }


def path_parameter_hook(data: ServedCities) -> Any:
    """A ``flatmap_path_parameters`` hook: mostly real ids, now and then what schemathesis made up."""

    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        path = context.operation.path
        strategies: dict[str, Any] = {}
        for name, generated in (path_parameters or {}).items():
            values = real_values(data, path, name)
            if values is None:
                strategies[name] = st.just(generated)
            else:
                strategies[name] = st.one_of(
                    st.sampled_from(values), st.sampled_from(values), st.just(generated)
                )
        return st.fixed_dictionaries(strategies)

    return flatmap_path_parameters


def test_api_conforms_to_its_schema(
    served: tuple[str, ServedCities, Workspace], principals: dict[str, dict[str, str]]
) -> None:
    """Every operation, ``MAX_EXAMPLES`` generated requests each, each sent as every principal; all failures
    are reported together."""
    url, data, _ = served
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
    schema.hook(path_parameter_hook(data))
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):  # an operation schemathesis cannot read is a failure too
            failures.append(f"invalid operation: {result.err()}")
            continue
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(hooks=schema.hooks))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            errors = []
            for who, headers in principals.items():  # every principal, even after one failed
                try:
                    case.call_and_validate(
                        base_url=url,
                        headers=headers,
                        checks=[not_a_server_error, response_schema_conformance],
                        timeout=60,
                    )
                except Exception as exc:
                    errors.append(f"as {who}: {exc}")
            if errors:
                raise AssertionError("\n".join(errors))

        try:
            check()
        except Exception as exc:  # every operation's failure is reported, not only the first
            failures.append(f"{operation.label}: {exc}")
    assert operations > 40, f"only {operations} operations in the schema"
    assert not failures, "\n\n".join(failures)


# -- regressions of what schemathesis found ----------------------------------------------------------------


def test_timestamps_carry_their_offset(served: tuple[str, ServedCities, Workspace]) -> None:
    """SQLite hands naive datetimes back; results read them as UTC (``core.timestamps.UtcDateTime``)."""
    url = served[0]
    [kept] = requests.get(f"{url}/api/cities/{CITY_B}/priority-sets", timeout=30).json()
    assert datetime.fromisoformat(kept["created_at"]).utcoffset() == timedelta(0)
    [run] = requests.get(f"{url}/api/cities/{CITY_B}/index-runs", timeout=30).json()
    assert datetime.fromisoformat(run["computed_at"]).utcoffset() == timedelta(0)
    admin = token_headers(served[2], "timestamp-admin", {}, admin=True)
    logged = requests.get(f"{url}/api/cities/{CITY_B}/audit", headers=admin, timeout=30).json()["items"]
    assert logged and all(datetime.fromisoformat(e["at"]).utcoffset() == timedelta(0) for e in logged)


def test_a_path_outside_latin_1_is_a_404_page(served: tuple[str, ServedCities, Workspace]) -> None:
    """The page's ``Link`` header carries its path percent-encoded (a header value is Latin-1)."""
    response = requests.get(f"{served[0]}/catalog/m%C3%BCnchen%F0%9F%8F%99.nt", timeout=30)
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert "/catalog/m%C3%BCnchen%F0%9F%8F%99.nt.json" in response.headers["link"]


def test_the_bounding_box_schema_is_valid_openapi_3_1(served: tuple[str, ServedCities, Workspace]) -> None:
    schema = requests.get(f"{served[0]}/api/openapi.json", timeout=30).json()
    [array, _null] = schema["components"]["schemas"]["AreaDetail"]["properties"]["bbox"]["anyOf"]
    assert array["items"] == {"type": "number"} and array["minItems"] == array["maxItems"] == 4


@pytest.mark.parametrize(
    "path",
    [
        "/api/index-runs/{big}",
        "/cities/alphaville/index-runs/{big}.json",
        "/cities/alphaville/index-runs/{big}",
    ],
)
def test_ids_beyond_64_bits_are_refused(served: tuple[str, ServedCities, Workspace], path: str) -> None:
    """An id no database integer holds is a 422 (SQLite's driver raised OverflowError: a 500)."""
    response = requests.get(served[0] + path.format(big=2**64), timeout=30)
    assert response.status_code == 422


def test_a_page_beyond_any_offset_is_refused(served: tuple[str, ServedCities, Workspace]) -> None:
    """A page number whose offset no 64-bit integer holds is a 422 (it was a 500 on SQLite); the largest
    allowed page is an empty page."""
    admin = token_headers(served[2], "page-admin", {}, admin=True)
    too_far = requests.get(f"{served[0]}/api/audit?page=19725111572131270656", headers=admin, timeout=30)
    assert too_far.status_code == 422
    last = requests.get(f"{served[0]}/api/audit?page={2**31 - 1}", headers=admin, timeout=30)
    assert last.status_code == 200 and last.json()["items"] == []


def test_goal_ids_beyond_64_bits_in_a_body_are_refused(served: tuple[str, ServedCities, Workspace]) -> None:
    """A body's id no database integer holds is a 422 (a practice linking goal 2**64 was a 500 on SQLite)."""
    admin = token_headers(served[2], "practice-admin", {}, admin=True)
    practice = {"slug": "big-goal", "title": "Big goal", "summary": "s", "language": "en", "goals": [2**64]}
    response = requests.post(f"{served[0]}/api/hub/practices", json=practice, headers=admin, timeout=30)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-2:] == ["goals", 0]  # the id, not another field
