"""The impact logic's library: automatic measures recomputed independently with a plain count on the stored
rows (the acceptance: the values are computed from the stored data), the trend at quarter ends, manual
values as of a day, the refusals with their problem codes, and a measure whose domain is not available."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.impact_logic import measures, service
from bettercities.impact_logic.schemas import BoxChange, BoxIn, LinkIn, MeasureIn, ValueIn
from bettercities.networks.models import Network, Programme
from bettercities.storage.workspace import Workspace
from tests.impact_logic.world import AS_OF, build


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path_factory.mktemp("impact-logic"))
    with workspace.database.session() as session:
        build(session)
    yield workspace
    workspace.close()


def _measure(result, key):  # type: ignore[no-untyped-def]
    return next(m for b in result.boxes for m in b.measures if m.key == key)


def test_tandems_formed_is_the_stored_count(ws: Workspace) -> None:
    with ws.database.reader() as session:
        result = service.logic(session, "vie", on=AS_OF)
        # independent recount: networks of kind "tandem" of programme "vie" that started by the day
        expected = session.scalar(
            select(func.count(Network.id))
            .join(Programme, Programme.id == Network.programme_id)
            .where(Programme.slug == "vie", Network.kind == "tandem", Network.start <= AS_OF)
        )
        later = service.logic(session, "vie", on=date(2024, 12, 31))
    assert expected == 2  # the third tandem started on 1 March 2024, the other programme's is not counted
    formed = _measure(result, "formed")
    assert (formed.available, formed.current, formed.current_day, formed.target) == (True, expected, AS_OF, 6)
    assert _measure(later, "formed").current == 3


def test_trend_at_quarter_ends(ws: Workspace) -> None:
    assert service.quarter_ends(date(2024, 1, 31), 3) == [
        date(2023, 6, 30),
        date(2023, 9, 30),
        date(2023, 12, 31),
    ]
    assert service.quarter_ends(date(2024, 3, 31), 2) == [date(2023, 12, 31), date(2024, 3, 31)]
    with ws.database.reader() as session:
        result = service.logic(session, "vie", on=date(2024, 6, 30), quarters=10)
    formed = _measure(result, "formed")
    assert [p.day for p in formed.trend][:2] == [date(2022, 3, 31), date(2022, 6, 30)]
    assert [p.value for p in formed.trend] == [0, 2, 2, 2, 2, 2, 2, 2, 3, 3]
    # a manual measure: the last value entered for a day up to then, with its source
    continuing = _measure(result, "continuing")
    assert [p.value for p in continuing.trend][-6:] == [None, 1, 1, 1, 1, 2]  # 2023-03-31 … 2024-06-30
    assert (continuing.current, continuing.current_day, continuing.source) == (2, date(2024, 6, 1), "survey")


def test_default_day_is_the_programmes_last_day_once_it_has_ended(ws: Workspace) -> None:
    with ws.database.reader() as session:
        result = service.logic(session, "vie")
    assert result.on == date(2024, 12, 31) and result.quarters[-1] == date(2024, 12, 31)
    # the trend from the quarter before the start (17 May 2022) on: 2022-03-31 … 2024-12-31, 12 quarter ends
    assert (result.quarters[0], len(result.quarters)) == (date(2022, 3, 31), 12)
    assert [p.value for p in result.boxes[1].measures[0].trend][:2] == [0, 2]
    assert service.default_quarters(None, date(2024, 1, 1)) == 8
    assert service.default_quarters(date(2024, 2, 1), date(2024, 3, 1)) == 4
    assert [b.key for b in result.boxes] == ["call", "tandems", "lasting"]
    assert [(link.source, link.target) for link in result.links] == [
        ("call", "tandems"),
        ("tandems", "lasting"),
    ]


def test_municipalities_reached_counts_members_by_their_start(ws: Workspace) -> None:
    with ws.database.reader() as session:
        programme = session.scalar(select(Programme).where(Programme.slug == "vie"))
        assert programme is not None
        assert len(measures.member_city_ids(session, programme, AS_OF)) == 4
        assert len(measures.member_city_ids(session, programme, date(2024, 12, 31))) == 6


def _code(error: pytest.ExceptionInfo) -> str:  # type: ignore[type-arg]
    return error.value.report.problems[0].code


def test_refusals_name_their_problem(ws: Workspace) -> None:
    with ws.database.session() as session:
        with pytest.raises(InvalidInput) as backward:
            service.link_boxes(session, "vie", LinkIn(source="lasting", target="call"))
        with pytest.raises(Conflict) as twice:
            service.link_boxes(session, "vie", LinkIn(source="call", target="tandems"))
        with pytest.raises(Conflict) as taken:
            service.add_box(session, "vie", BoxIn(key="call", stage="inputs", title_de="x", title_en="x"))
        with pytest.raises(InvalidInput) as unknown:
            service.add_measure(session, "vie", MeasureIn(key="x", box="call", code="happiness"))
        with pytest.raises(InvalidInput) as label:
            service.add_measure(session, "vie", MeasureIn(key="x", box="call", label_de="nur deutsch"))
        with pytest.raises(InvalidInput) as computed:
            service.record_value(session, "vie", "formed", ValueIn(day=AS_OF, value=9, source="guess"))
        with pytest.raises(InvalidInput) as moved:
            service.update_box(session, "vie", "tandems", BoxChange(stage="impact"))
        with pytest.raises(NotFound):
            service.add_measure(session, "vie", MeasureIn(key="x", box="nowhere", code="tandems_formed"))
    assert [_code(e) for e in (backward, twice, taken, unknown, label, computed, moved)] == [
        "logic-backward-link", "logic-duplicate-link", "logic-duplicate-key", "logic-unknown-code",
        "logic-missing-label", "logic-automatic-value", "logic-backward-link",
    ]  # fmt: skip


def test_a_measure_whose_domain_is_missing_is_not_available_and_has_no_value(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = measures.import_module

    def missing(name: str):  # type: ignore[no-untyped-def]
        if name == "bettercities.surveys.service":
            raise ImportError("no module named 'bettercities.surveys'")
        return real(name)

    monkeypatch.setattr(measures, "import_module", missing)
    with ws.database.session() as session:
        service.add_measure(
            session, "vie", MeasureIn(key="respondents", box="call", code="survey_respondents")
        )
        result = service.logic(session, "vie", on=AS_OF, quarters=2)
        session.rollback()
    respondents = _measure(result, "respondents")
    assert (respondents.available, respondents.current) == (False, None)
    assert "surveys" in (respondents.unavailable_reason or "")
    assert [p.value for p in respondents.trend] == [None, None]
    codes = {c.code: c.available for c in service.measure_codes()}
    assert codes["survey_respondents"] is False and codes["tandems_formed"] is True
