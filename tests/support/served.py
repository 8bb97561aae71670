"""Two small cities with every kind of object the web app links to, for tests that walk the whole app.

``build_two_cities`` makes city A (``alphaville``) and city B (``betaville``) through the library (see
``tests/web/citybuilder.py``) and adds, in city A, a dataset with restricted access rights holding the
indicator ``marker_share`` whose every observation is :data:`MARKER` — a number no other cell, sum or mean
of the fixture has, so a test can search any response for it (:data:`MARKER_PATTERN` matches the forms it
takes when formatted: ``97531.2468``, ``97.531,25``, ``97,531.2``, ``97 531`` …). The metadata of that
dataset and of a draft beside it are a second marker: their titles hold :data:`TITLE_MARKER` and their
steward's e-mail address is :data:`STEWARD_EMAIL` (:data:`METADATA_PATTERN` finds either). Both cities
also get a published public dataset, an index run, a priority set and an open outlier flag, so that every
route with a path parameter has a real object to show.
"""

from __future__ import annotations

import copy
import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bettercities.analysis.index.results import run_index
from bettercities.analysis.index.schemas import CompositeConfig
from bettercities.analysis.priority import service as priority
from bettercities.analysis.priority.evaluation import evaluate
from bettercities.analysis.priority.schemas import PriorityRule
from bettercities.areas import service as areas
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import AccessRights, DatasetSpec
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.indicators.schemas import Aggregation, IndicatorKind, IndicatorSpec
from bettercities.quality.models import OutlierFlag
from bettercities.storage.workspace import Workspace
from tests.web.citybuilder import build_city

CITY_A = "alphaville"
CITY_B = "betaville"
MARKER = 97531.2468
MARKER_INDICATOR = "marker_share"
MARKER_DATASET = "secret-survey"
PUBLIC_DATASET = "population"
DRAFT_DATASET = "draft-plan"
#: A word only the titles of city A's restricted and draft datasets hold.
TITLE_MARKER = "Quokkazensus"
#: The e-mail address of the steward of city A's restricted and draft datasets.
STEWARD_EMAIL = "secret.steward@alphaville.example"
METADATA_PATTERN = re.compile(f"{re.escape(TITLE_MARKER)}|{re.escape(STEWARD_EMAIL)}", re.IGNORECASE)
PRIORITY_SET = "Fokus"
#: The marker in any formatting: digits grouped by nothing, a dot, a comma, an (narrow) no-break space or
#: an apostrophe; also in exponent notation.
MARKER_PATTERN = re.compile(r"97[.,\u00a0\u202f ']?531|9\.7531\d*e\+?0?4", re.IGNORECASE)

MARKER_SPEC = IndicatorSpec(
    code=MARKER_INDICATOR,
    name_de="Markeranteil",
    name_en="Marker share",
    description_de="Nur für Mitglieder von Alphaville.",
    description_en="For members of Alphaville only.",
    unit="%",
    kind=IndicatorKind.VALUE,
    aggregation=Aggregation.WEIGHTED_MEAN,
    decimals=4,
    theme="labour",
)


@dataclass
class ServedCities:
    """What `build_two_cities` made: the ids a crawler fills path parameters with."""

    cities: list[str]
    levels: dict[str, list[str]]
    areas: dict[str, list[str]]  # city slug -> area codes of every level
    periods: list[str]
    indicators: list[str]
    datasets: dict[str, list[str]]
    run_ids: dict[str, int]
    flag_ids: dict[str, int]
    priority_sets: dict[str, list[str]] = field(default_factory=dict)
    goal_ids: dict[str, list[str]] = field(default_factory=dict)  # a public goal each; A's on the marker too


def _dataset(
    code: str, title: str, indicators: list[str], access: AccessRights, email: str | None = None
) -> DatasetSpec:
    return DatasetSpec(
        code=code,
        title_de=title,
        title_en=title,
        publisher="Statistikstelle",
        steward="Data Steward",
        steward_email=email,
        indicators=indicators,
        access_rights=access,
    )


def _publish(session: object, slug: str, code: str) -> None:
    for action in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
        approval.transition(session, slug, code, action, user="fixture")  # type: ignore[arg-type]


def build_two_cities(ws: Workspace) -> ServedCities:
    """Build cities A and B (see the module's docstring) in ``ws`` and return their ids."""
    built_a = build_city(ws, slug=CITY_A, name="Alphaville")
    built_b = build_city(ws, slug=CITY_B, name="Betaville", origin=(11.5, 48.1))
    run_ids: dict[str, int] = {}
    flag_ids: dict[str, int] = {}
    goal_ids: dict[str, list[str]] = {}
    with ws.database.session() as session:
        indicators.register_indicator(session, MARKER_SPEC)
        marker_id = session.scalar(select(Indicator.id).where(Indicator.code == MARKER_INDICATOR))
        city_a = areas.get_city(session, CITY_A)
        finest = areas.finest_level(session, city_a)
        assert finest is not None
        period_ids = {code: id_ for code, id_ in session.execute(select(Period.code, Period.id))}
        session.execute(
            insert(Observation),
            [
                {
                    "indicator_id": marker_id,
                    "area_id": area_id,
                    "period_id": period_ids[period],
                    "value": MARKER,
                    "suppressed": False,
                }
                for area_id in areas.area_codes(session, finest).values()
                for period in built_a.periods
            ],
        )
        secret = f"Geheime Umfrage {TITLE_MARKER}"
        restricted = _dataset(
            MARKER_DATASET, secret, [MARKER_INDICATOR], AccessRights.RESTRICTED, STEWARD_EMAIL
        )
        catalog.add_dataset(session, city_a, restricted)
        _publish(session, CITY_A, MARKER_DATASET)
        draft = f"Entwurf: {TITLE_MARKER} nach Schule (vertraulich)"
        catalog.add_dataset(
            session,
            city_a,
            _dataset(DRAFT_DATASET, draft, [MARKER_INDICATOR], AccessRights.PUBLIC, STEWARD_EMAIL),
        )
        for slug in (CITY_A, CITY_B):
            city = areas.get_city(session, slug)
            catalog.add_dataset(
                session,
                city,
                _dataset(PUBLIC_DATASET, "Bevölkerung", ["inhabitants", "green_space"], AccessRights.PUBLIC),
            )
            _publish(session, slug, PUBLIC_DATASET)
            config = CompositeConfig.model_validate(
                {
                    "method": "composite",
                    "name": f"{slug}-index",
                    "indicators": [
                        {"column": "unemployment"},
                        {"column": "green_space", "polarity": "higher_is_better"},
                    ],
                }
            )
            run = run_index(session, slug, config=config, level="planning_area", period="2022")
            run_ids[slug] = run.id
            rule = PriorityRule.model_validate(
                {
                    "name": "green",
                    "conditions": [
                        {"kind": "threshold", "indicator": "green_space", "op": ">=", "value": 10}
                    ],
                }
            )
            result = evaluate(session, slug, rule, level="planning_area", period="2022")
            priority.save_set(session, result, PRIORITY_SET, user="fixture")
            city_finest = areas.finest_level(session, city)
            assert city_finest is not None
            wanted = marker_id if slug == CITY_A else indicators.get_indicator(session, "green_space").id
            target = session.scalars(
                select(Observation)
                .where(
                    Observation.indicator_id == wanted,
                    Observation.area_id.in_(areas.area_codes(session, city_finest).values()),
                    Observation.is_current.is_(True),
                )
                .order_by(Observation.id)
                .limit(1)
            ).one()
            flag = OutlierFlag(
                city_id=city.id,
                observation_id=target.id,
                indicator_id=target.indicator_id,
                area_id=target.area_id,
                period_id=target.period_id,
                method="zscore",
                value=target.value,
                score=4.0,
                message="fixture",
            )
            session.add(flag)
            session.flush()
            flag_ids[slug] = flag.id
            goal_ids[slug] = [str(g) for g in _goals(session, slug)]
    with ws.database.reader() as session:
        indicator_codes = [i.code for i in indicators.list_indicators(session)]
    return ServedCities(
        cities=[CITY_A, CITY_B],
        levels={CITY_A: built_a.levels, CITY_B: built_b.levels},
        areas={
            CITY_A: [c for codes in built_a.areas.values() for c in codes],
            CITY_B: [c for codes in built_b.areas.values() for c in codes],
        },
        periods=built_a.periods,
        indicators=indicator_codes,
        datasets={CITY_A: [DRAFT_DATASET, MARKER_DATASET, PUBLIC_DATASET], CITY_B: [PUBLIC_DATASET]},
        run_ids=run_ids,
        flag_ids=flag_ids,
        priority_sets={CITY_A: [PRIORITY_SET], CITY_B: [PRIORITY_SET]},
        goal_ids=goal_ids,
    )


def _goals(session: Session, slug: str) -> list[int]:
    """A goal on unemployment in the city's priority set and, in city A, one on the marker indicator (in its
    restricted dataset: the public must not see that goal at all)."""
    from bettercities.goals import service as goals
    from bettercities.goals.schemas import AreaSelection, GoalIn

    wanted = [("unemployment", AreaSelection(kind="priority_set", value=PRIORITY_SET))]
    if slug == CITY_A:
        wanted.append((MARKER_INDICATOR, AreaSelection(kind="level", value="planning_area")))
    return [
        goals.add_goal(
            session, slug,
            GoalIn(title=f"{code} goal", indicator=code, areas=selection, target_change=-1.0,
                   deadline=date(2030, 12, 31), owner_unit="Fixture office"),
            actor="fixture",
        ).id
        for code, selection in wanted
    ]  # fmt: skip


#: Password of every user `add_user` creates (long enough for the accounts' password rule).
PASSWORD = "Correct-horse-battery-staple-9"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_user(ws: Workspace, username: str, roles: dict[str, str], *, platform_admin: bool = False) -> None:
    """Create ``username`` (password :data:`PASSWORD`) with ``roles`` {city slug: role}."""
    from bettercities import access as accounts

    with ws.database.session() as session:
        accounts.create_user(session, username, PASSWORD, platform_admin=platform_admin)
        for slug, role in roles.items():
            accounts.grant(session, username, slug, role)


def issue_token(ws: Workspace, username: str, *, write: bool = False, cities: list[str] | None = None) -> str:
    """A new API token of ``username`` (the raw ``bct_…`` secret)."""
    from bettercities import access as accounts

    with ws.database.session() as session:
        return accounts.issue_token(
            session, username, name=f"test {username}", write=write, cities=cities
        ).token


def csrf_of(html: str) -> str:
    """The ``csrf_token`` hidden field of a page's form."""
    found = _CSRF_FIELD.search(html)
    if found is None:
        raise AssertionError("the page has no form with a csrf_token field")
    return found.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> None:
    """Sign ``client`` (a TestClient or httpx client) in through the sign-in form, as a browser does."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, (
        f"sign-in of {username} failed: {response.status_code} {response.text[:300]}"
    )


#: The backends of the module-scoped workspaces of the whole-app tests (PostgreSQL marked ``postgres``).
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def module_workspace(request: pytest.FixtureRequest, folder: Path) -> Workspace:
    """A new workspace in ``folder`` on the backend ``request.param`` (a fresh PostgreSQL database of the
    session's server for ``"postgresql"``)."""
    url = None
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = server.create_database(f"bc_served_{uuid.uuid4().hex[:12]}", postgis=server.has_postgis())
    return Workspace.init(folder / "workspace", database_url=url)


#: backend -> (template workspace folder, its PostgreSQL database or None, what was built), per test process
_TEMPLATES: dict[str, tuple[Path, str | None, ServedCities]] = {}


def two_cities_workspace(
    request: pytest.FixtureRequest, folder: Path, backend: str | None = None
) -> tuple[Workspace, ServedCities]:
    """A new workspace in ``folder`` holding :func:`build_two_cities`'s cities, on ``backend`` (default
    ``request.param``), and what was built.

    The cities are built once per test process and backend, into a template (a workspace folder and, on
    PostgreSQL, its database), which every caller gets a copy of: the folder copied, the database cloned
    with ``CREATE DATABASE … TEMPLATE``. The same database a fresh build makes (the build is deterministic and
    the copy is a file-level one), for a fraction of the time: six modules each built the cities on each
    backend. A caller may change its copy freely; the returned :class:`ServedCities` is its own too.
    """
    backend = backend or request.param
    server = request.getfixturevalue("postgres_server") if backend == "postgresql" else None
    if backend not in _TEMPLATES:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        base = factory.mktemp(f"two-cities-{backend}") / "workspace"
        name = url = None
        if server is not None:
            name = f"bc_two_cities_{uuid.uuid4().hex[:12]}"
            url = server.create_database(name, postgis=server.has_postgis())
        template = Workspace.init(base, database_url=url)
        try:
            built = build_two_cities(template)
        finally:
            template.close()  # nobody may be connected to a template database while it is cloned
        _TEMPLATES[backend] = (base, name, built)
    base, name, built = _TEMPLATES[backend]
    url = None
    if server is not None and name is not None:
        url = server.clone_database(f"bc_served_{uuid.uuid4().hex[:12]}", template=name)
    path = folder / "workspace"
    shutil.copytree(base, path)
    return Workspace(path=path, database_url=url), copy.deepcopy(built)
