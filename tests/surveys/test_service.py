"""Surveys on both backends: loading, versions, responses checked on the server, respondents, results with
small groups withheld, gaps. Expected numbers are counted by hand from tests/surveys/world.py."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bettercities.audit.models import AuditEntry
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.storage.workspace import Workspace
from bettercities.surveys import service
from bettercities.surveys.practice import shipped_path
from bettercities.surveys.schemas import SurveyStatus
from tests.surveys import world


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    with workspace.database.session() as session:
        world.build(session)
    return workspace


def test_load_respond_and_count(ws: Workspace, tmp_path: Path) -> None:
    with ws.database.reader() as session:
        survey = service.get_survey(session, "practice")
        assert (survey.programme, survey.status, survey.current_version) == ("prog", SurveyStatus.OPEN, 1)
        assert survey.title["de"] == "Sozialdaten in der Praxis der Kommunen"
        assert service.count_respondents(session, survey_slug="practice") == 5
        assert service.count_respondents(session, programme_slug="prog") == 5
        assert (
            service.count_respondents(session, programme_slug="prog", until=date.today() - timedelta(1)) == 0
        )
        bonn = service.get_response(session, "practice", "bonn")
        assert bonn is not None and bonn.answers["finest_level"] == "small_area" and bonn.version == 1
        # every write audited: the survey, its version and the five responses
        tables = set(session.scalars(select(AuditEntry.entity)))
        assert {"survey", "survey_version", "survey_response"} <= tables
    with ws.database.session() as session:
        again = service.load_survey(session, shipped_path(), slug="practice", by="test")
        assert (again.version, again.new_version) == (1, False)
        changed = tmp_path / "changed.xlsx"
        book = load_workbook(shipped_path())
        book["survey"]["C3"] = "Zu welchen Themen erheben Sie Sozialdaten?"
        book.save(changed)
        loaded = service.load_survey(session, changed, slug="practice", by="test")
        assert (loaded.version, loaded.new_version) == (2, True)
        # a changed response is tied to the version it answers
        out = service.respond(
            session, "practice", "aue", world.COMMON | world.ANSWERS["aue"] | {"staff": "2"}, by="test"
        )
        assert out.version == 2
        assert service.get_response(session, "practice", "bonn").version == 1  # type: ignore[union-attr]


def test_server_side_checks(ws: Workspace) -> None:
    with ws.database.session() as session:
        with pytest.raises(InvalidInput) as refused:
            service.respond(
                session,
                "practice",
                "fano",
                world.COMMON | {"topics": "labour", "small_area": "yes", "staff": "900"},
                by="test",
                lang="de",
            )
        codes = {(p.column, p.code) for p in refused.value.report.problems}  # type: ignore[union-attr]
        # finest_level is required once small_area = yes; 900 breaks the constraint 0..200
        assert codes == {("finest_level", "survey-required"), ("staff", "survey-constraint")}
        assert "0 bis 200" in str(refused.value)
        # a skipped question's answer is dropped: small_area = no hides finest_level
        out = service.respond(
            session,
            "practice",
            "fano",
            world.COMMON | {"topics": "labour", "small_area": "no", "finest_level": "block", "staff": "4"},
            by="test",
        )
        assert "finest_level" not in out.answers
        long = world.COMMON | {
            "topics": "labour",
            "small_area": "no",
            "staff": "4",
            "priorities": "regularly",
            "priority_example": "x" * 5000,
        }
        with pytest.raises(InvalidInput) as too_long:
            service.respond(session, "practice", "fano", long, by="test")
        assert [p.code for p in too_long.value.report.problems] == ["survey-invalid-answer"]  # type: ignore[union-attr]
        service.set_status(session, "practice", SurveyStatus.CLOSED)
        with pytest.raises(Conflict):
            service.respond(session, "practice", "fano", world.COMMON, by="test")


def test_results_withhold_small_groups(ws: Workspace) -> None:
    with ws.database.reader() as session:
        overall = service.results(session, "practice")
        topics = next(q for q in overall.questions if q.name == "topics")
        (group,) = topics.groups
        # labour: aue, bonn, dessau = 3 of 5; poverty: aue, bonn, celle = 3; education: empoli = 1
        counts = {a.answer: a.count for a in group.answers}
        assert (counts["labour"], counts["poverty"], counts["education"]) == (3, 3, 1)
        assert group.answers[0].share == pytest.approx(3 / 5)
        staff = next(q for q in overall.questions if q.name == "staff")
        assert staff.groups[0].mean == pytest.approx((1 + 12 + 2 + 3 + 0) / 5)
        # countries: DE 4 respondents, IT 1 (empoli) -> IT withheld; then DE alone would reveal IT from the
        # total, so DE is withheld too (secondary)
        by_country = service.results(session, "practice", group_by="country")
        assert by_country.withheld_groups == ["DE", "IT"]
        de = next(g for g in by_country.questions[0].groups if g.group == "DE")
        assert de.withheld and de.reason == "secondary" and de.answers == [] and de.respondents is None
        # the network north (aue, bonn, celle, dessau answered): its aggregate, and by size class within it:
        # small-town aue (1) withheld, medium-town celle+dessau (2) withheld, city bonn (1) withheld
        north = service.results(session, "practice", group_by="network:north")
        assert north.respondents == 4 and north.withheld_groups == []
        sizes = service.results(session, "practice", group_by="size_class", network="north")
        assert sorted(sizes.withheld_groups) == ["city", "medium-town", "small-town"]
        by_network = service.results(session, "practice", group_by="network")
        # north 4, south: celle, empoli = 2 -> withheld; north then secondary
        assert by_network.groups == ["north", "south"] and by_network.withheld_groups == ["north", "south"]


def test_gaps_say_plainly_when_not_using(ws: Workspace) -> None:
    with ws.database.reader() as session:
        gaps = service.gaps(session, "practice", "celle")
    assert not gaps.uses_bettercities and gaps.note == "not-using"
    rows = {r.topic: r for r in gaps.rows}
    assert (
        rows["poverty"].says_collects
        and rows["poverty"].finding == "unknown"
        and rows["poverty"].held is None
    )
    assert rows["health"].says_needs and rows["health"].finding == "need"
