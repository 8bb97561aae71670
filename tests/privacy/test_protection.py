"""Protection of a small city on both backends: the planted case (a district with one planning area of 2
benefit recipients and published siblings), marks for the data team against the public, the weighted-mean
rule, and protection computed once per data version.

Expected cells are worked out by hand in the comments from the data below (no earlier output of the code).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Observation
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.privacy import protection
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace


def square(x: float, y: float) -> dict:
    s = 0.01
    return {"type": "Polygon", "coordinates": [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]]}


SPECS = [
    IndicatorSpec(code="inhabitants", name_de="E", name_en="I", kind="count", aggregation="sum", decimals=0),
    IndicatorSpec(code="recipients", name_de="L", name_en="R", kind="count", aggregation="sum", decimals=0),
    IndicatorSpec(
        code="recipient_share",
        name_de="Anteil",
        name_en="Share",
        kind="share",
        aggregation="ratio",
        factor=100,
        numerator_code="recipients",
        denominator_code="inhabitants",
    ),
    IndicatorSpec(code="mean_age", name_de="Alter", name_en="Age", aggregation="weighted_mean"),
]
PARENT = {"P1": "D", "P2": "D", "P3": "D", "Q1": "E", "Q2": "E"}
#: planning area: (inhabitants, recipients, mean age)
PLANTED = {
    "P1": (100, 2, 40.0),
    "P2": (200, 10, 42.0),
    "P3": (300, 20, 44.0),
    "Q1": (150, 15, 39.0),
    "Q2": (250, 25, 41.0),
}


def build(session: Session, data: Mapping[str, tuple[int, int, float]]) -> None:
    city = areas.create_city(session, CitySpec(slug="p", name="P", country="DE"))
    district = areas.ensure_level(session, city, LevelSpec(code="district", name_de="B", name_en="D"))
    planning = areas.ensure_level(
        session, city, LevelSpec(code="planning_area", name_de="P", name_en="P", parent="district")
    )
    areas.add_areas(
        session,
        city,
        district,
        [AreaSpec(code=c, name=c, geometry=square(13 + i, 52)) for i, c in enumerate("DE")],
    )
    areas.add_areas(
        session,
        city,
        planning,
        [
            AreaSpec(code=c, name=c, parent_code=PARENT[c], geometry=square(13 + i / 10, 52))
            for i, c in enumerate(data)
        ],
    )
    ids = {s.code: indicators.register_indicator(session, s).id for s in SPECS}
    period = indicators.ensure_periods(session, [parse_period("2024")])["2024"]
    area_ids = areas.area_codes(session, planning)
    for code, (inh, rec, age) in data.items():
        cell = {"area_id": area_ids[code], "period_id": period}
        session.add_all(
            [
                Observation(indicator_id=ids["inhabitants"], value=inh, **cell),
                Observation(indicator_id=ids["recipients"], value=rec, **cell),
                Observation(
                    indicator_id=ids["recipient_share"],
                    value=100 * rec / inh,
                    numerator=rec,
                    denominator=inh,
                    **cell,
                ),
                Observation(indicator_id=ids["mean_age"], value=age, **cell),
            ]
        )
    session.flush()


def values(session: Session, code: str, level: str, audience: Audience) -> dict[str, tuple]:
    city = areas.get_city(session, "p")
    out, _ = indicators.level_values(
        session,
        indicators.get_indicator(session, code),
        indicators.get_period(session, "2024"),
        areas.get_level(session, city, level),
        audience=audience,
    )
    return {v.area_code: (v.value, v.suppressed, v.protection) for v in out}


def city_value(session: Session, code: str, audience: Audience) -> tuple:
    city = areas.get_city(session, "p")
    point = indicators.city_values(
        session, city, indicators.get_indicator(session, code), audience=audience
    ).points[0]
    return point.value, point.suppressed, point.protection


def test_planted_case_area_and_a_complement_withheld_district_total_published(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        build(session, PLANTED)
    with workspace.database.reader() as session:
        public = values(session, "recipients", "planning_area", Audience.PUBLIC)
        # P1's 2 recipients are below the default threshold 3: withheld.
        assert public["P1"] == (None, True, None)
        # D = 32 is published, so one sibling of P1 must be withheld too, else 32 - 10 - 20 = 2 reveals P1.
        withheld_siblings = [c for c in ("P2", "P3") if public[c][1]]
        assert len(withheld_siblings) == 1
        # the cheapest complement (cost = value + 1) is P2 with 10 recipients
        assert withheld_siblings == ["P2"]
        assert public["Q1"] == (15.0, False, None) and public["Q2"] == (25.0, False, None)
        # the district totals and the city total stay published: D = 2 + 10 + 20, E = 15 + 25, city = 72
        assert values(session, "recipients", "district", Audience.PUBLIC) == {
            "D": (32.0, False, None),
            "E": (40.0, False, None),
        }
        assert city_value(session, "recipients", Audience.PUBLIC) == (72.0, False, None)
        # the share of P1 and of its complement is withheld with them (its numerator is)
        shares = values(session, "recipient_share", "planning_area", Audience.PUBLIC)
        assert shares["P1"][1] and shares["P2"][1] and not shares["P3"][1]
        assert shares["P3"][0] == pytest.approx(100 * 20 / 300)
        # district share D = 100 * 32 / 600, published
        assert values(session, "recipient_share", "district", Audience.PUBLIC)["D"][0] == pytest.approx(
            100 * 32 / 600
        )
        # the city's members see what the public sees
        assert values(session, "recipients", "planning_area", Audience.MEMBER)["P1"] == (None, True, None)
        # the data team sees raw values, marked
        internal = values(session, "recipients", "planning_area", Audience.INTERNAL)
        assert internal["P1"] == (2.0, False, "primary (frequency)")
        assert internal["P2"] == (10.0, False, "secondary")
        assert internal["P3"] == (20.0, False, None)


def test_withheld_weight_not_recoverable_from_public_weighted_means(workspace: Workspace) -> None:
    # P1 has 2 inhabitants. With P1's and P2's mean ages and D's population-weighted mean age public, the
    # weights follow: mD = (p1 m1 + p2 m2 + p3 m3) / (p1 + p2 + p3) is linear in the weights, so together with
    # the published totals the withheld p1 = 2 could be solved. The weighted means over a withheld weight must
    # be withheld themselves (the old code published D's and the city's mean age).
    data = dict(PLANTED, P1=(2, 0, 40.0))
    with workspace.database.session() as session:
        build(session, data)
    with workspace.database.reader() as session:
        inhabitants = values(session, "inhabitants", "planning_area", Audience.PUBLIC)
        assert inhabitants["P1"] == (None, True, None)
        means = values(session, "mean_age", "district", Audience.PUBLIC)
        assert means["D"] == (None, True, None)
        # E's inputs are all published: (150 * 39 + 250 * 41) / 400 = 40.25
        assert means["E"][0] == pytest.approx(40.25)
        assert city_value(session, "mean_age", Audience.PUBLIC)[:2] == (None, True)
        # the data team sees D's raw mean (2*40 + 200*42 + 300*44) / 502, marked
        internal = values(session, "mean_age", "district", Audience.INTERNAL)["D"]
        assert internal[0] == pytest.approx((2 * 40 + 200 * 42 + 300 * 44) / 502)
        assert internal[2] == "secondary"


def test_protection_computed_once_per_data_version(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        build(session, PLANTED)
    before = protection.computations()
    with workspace.database.reader() as session:
        for audience in (Audience.PUBLIC, Audience.INTERNAL):
            for level in ("planning_area", "district"):
                values(session, "recipients", level, audience)
            city_value(session, "recipients", audience)
    assert protection.computations() == before + 1
    with workspace.database.session() as session:  # a write: a new data version
        obs = session.query(Observation).filter(Observation.value == 25.0).one()
        obs.value = 26.0
    with workspace.database.reader() as session:
        assert values(session, "recipients", "district", Audience.PUBLIC)["E"][0] == 41.0
        values(session, "recipients", "planning_area", Audience.PUBLIC)
    assert protection.computations() == before + 2


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_protection_is_computed_in_the_background_before_any_read_and_again_after_a_write(
    sqlite_workspace: Workspace,
) -> None:
    from bettercities.privacy import service

    with sqlite_workspace.database.session() as session:
        build(session, PLANTED)
        city_id = areas.get_city(session, "p").id
    protection.clear()

    def ready() -> bool:
        with sqlite_workspace.database.reader() as session:
            return protection.is_cached(session, city_id)

    assert not ready()
    stop = threading.Event()
    thread = threading.Thread(
        target=service.keep_warm, args=(sqlite_workspace.database.reader, stop), kwargs={"interval": 0.05}
    )
    thread.start()
    try:
        assert wait_until(ready), "no protection computed without a read"
        with sqlite_workspace.database.session() as session:  # a write: a new data version
            obs = session.query(Observation).filter(Observation.value == 25.0).one()
            obs.value = 26.0
        assert wait_until(ready), "protection not computed again after the write"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_the_web_app_protects_every_city_at_start_without_a_request(sqlite_workspace: Workspace) -> None:
    from fastapi.testclient import TestClient

    from bettercities.web.app import create_app

    with sqlite_workspace.database.session() as session:
        build(session, PLANTED)
        city_id = areas.get_city(session, "p").id
    protection.clear()
    with TestClient(create_app(sqlite_workspace, warm=True)):
        assert "bettercities-protection" in {t.name for t in threading.enumerate()}
        with sqlite_workspace.database.reader() as session:
            assert wait_until(lambda: protection.is_cached(session, city_id))


def test_the_warm_up_protects_only_cities_with_areas(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace with Europe's registry holds thousands of cities without areas (no cells to protect): the
    warm-up skips them (each computation queried the observations; ~20 s after every start of the demo)."""
    from bettercities.privacy import service

    with sqlite_workspace.database.session() as session:
        build(session, PLANTED)
        city_id = areas.get_city(session, "p").id
        for n in range(3):
            areas.create_city(session, CitySpec(slug=f"registry-{n}", name=f"R{n}", country="DE"))
    protection.clear()
    computed: list[tuple[str, int]] = []
    compute = protection.compute

    def counted(session: Session, city: int, **kwargs):  # type: ignore[no-untyped-def]
        computed.append((str(session.get_bind().engine.url), city))
        return compute(session, city, **kwargs)

    monkeypatch.setattr(protection, "compute", counted)
    assert service.warm(sqlite_workspace.database.reader) == 1
    # (a warm-up thread of another test's app in this process may compute its own workspace's cities)
    url = str(sqlite_workspace.database.engine.url)
    assert [city for where, city in computed if where == url] == [city_id]


def test_the_collector_is_paused_while_rows_are_read_but_not_while_the_solver_runs(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compute() pauses Python's cyclic garbage collector (process-wide) while it reads rows and builds
    tables, not during the solver's rounds, which can take many seconds (other threads' cycles would pile
    up), and leaves the collector as it found it, also after an error and when the app had switched it off."""
    import gc

    from bettercities.privacy import secondary

    with sqlite_workspace.database.session() as session:
        build(session, PLANTED)
    seen: list[bool] = []
    solve = secondary.protect

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return solve(*args, **kwargs)

    monkeypatch.setattr(secondary, "protect", watched)
    with sqlite_workspace.database.reader() as session:
        city_id = session.scalar(select(City.id))
        assert gc.isenabled()
        protection.compute(session, city_id)
        assert seen and all(seen) and gc.isenabled()
        gc.disable()  # switched off by the app: compute() neither switches it on nor leaves it on
        try:
            seen.clear()
            protection.compute(session, city_id)
            assert seen and not any(seen) and not gc.isenabled()
        finally:
            gc.enable()

        def failing(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("solver failed")

        monkeypatch.setattr(secondary, "protect", failing)
        with pytest.raises(RuntimeError, match="solver failed"):
            protection.compute(session, city_id)
        assert gc.isenabled()
