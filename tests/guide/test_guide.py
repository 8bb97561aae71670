"""The guide builder on one small world (SQLite): ``bettercities guide build`` writes a PDF whose pages, read
back as images with ``pdftoppm`` (and as text with ``pdftotext``), hold the four chapters and a figure drawn
from the data; the figures' numbers are recomputed from the world; a guide without a survey says so; a guide
is stored and rebuilt; refusals name the item; the page, its JSON twin and the PDF route answer in German
and English."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.cli.main import app
from bettercities.core.errors import InvalidInput
from bettercities.core.settings import Settings
from bettercities.guide import service
from bettercities.guide.chapters import Chapter, chapter_of_section
from bettercities.guide.models import Guide
from bettercities.guide.schemas import GuideIn, GuideItemIn
from bettercities.hub import service as hub
from bettercities.hub.schemas import EventIn, PracticeIn
from bettercities.networks.schemas import MemberIn, ProgrammeIn
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) not installed: scripts/install-system-deps",
)
#: (slug, name, country): two German and one French member, all three answer the survey (its minimum is 3)
CITIES = (("aachen", "Aachen", "DE"), ("bonn", "Bonn", "DE"), ("lille", "Lille", "FR"))
TITLES_EN = (
    "What do you collect?",
    "How is it collected and managed?",
    "How do you use it for priorities and goals?",
    "How do you measure impact?",
)
BAR = (29, 78, 216)  # guide.charts.FILL, #1d4ed8


def _answers(session) -> dict:  # type: ignore[no-untyped-def]
    """An answer to every select and number question of the shipped survey (the first choice)."""
    from bettercities.surveys import service as surveys

    def walk(items):  # type: ignore[no-untyped-def]
        for item in items:
            yield from walk(item.items) if item.kind == "group" else [item]

    answers: dict = {}
    for item in walk(surveys.definition(session, "practice").items):
        if item.kind == "select_one":
            answers[item.name] = item.choices[0].name
        elif item.kind == "select_multiple":
            answers[item.name] = [item.choices[0].name]
        elif item.kind == "integer":
            answers[item.name] = "5"
    return answers


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    from bettercities.surveys import service as surveys
    from bettercities.surveys.practice import shipped_path
    from bettercities.surveys.schemas import SurveyStatus

    ws = Workspace.init(tmp_path_factory.mktemp("guide"))
    with ws.database.session() as session:
        for slug, name, country in CITIES:
            areas.create_city(session, CitySpec(slug=slug, name=name, country=country))
        networks.create_programme(session, ProgrammeIn(slug="urbact-iv", name="URBACT IV"))
        networks.create_programme(session, ProgrammeIn(slug="quiet", name="Quiet programme"))
        networks.create_network(session, "social-data", name_de="Sozialdaten", name_en="Social data",
                                programme="urbact-iv")  # fmt: skip
        for slug, _name, _country in CITIES:
            networks.add_membership(session, "social-data", MemberIn(city=slug, role="partner",
                                                                     start=date(2025, 1, 1)))  # fmt: skip
        hub.add_practice(session, PracticeIn(
            slug="aachen-monitoring", title="Small-area monitoring", city="aachen", network="social-data",
            summary="Aachen publishes social indicators for every district.", results="One set of figures.",
        ), by="test")  # fmt: skip
        hub.add_event(session, EventIn(
            slug="webinar-4", title="Measuring impact", held_on=date(2026, 2, 19), programme="urbact-iv",
            topic="Comparison areas", recommendations=["Plan the evaluation before the measure starts."],
        ), by="test")  # fmt: skip
        surveys.load_survey(session, shipped_path(), slug="practice", programme_slug="urbact-iv", by="test")
        surveys.set_status(session, "practice", SurveyStatus.OPEN, by="test")
        answers = _answers(session)
        for slug, _name, _country in CITIES:
            surveys.respond(session, "practice", slug, answers, by="test")
        service.save_guide(session, GuideIn(
            slug="social-data-guide", programme="urbact-iv", title_de="Leitfaden Sozialdaten",
            title_en="Social data guide",
            intros={Chapter.COLLECT: {"de": "Was Städte erheben.", "en": "What cities collect."}},
            practices=[GuideItemIn(slug="aachen-monitoring", chapter=Chapter.COLLECT)],
            events=[GuideItemIn(slug="webinar-4", chapter=Chapter.IMPACT)],
        ), by="test")  # fmt: skip
        quiet = GuideIn(
            slug="quiet-guide", programme="quiet", title_de="Stiller Leitfaden", title_en="Quiet guide"
        )
        service.save_guide(session, quiet, by="test")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def built(world: Workspace, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("guide-out")
    pdf, html = out / "guide.pdf", out / "guide.html"
    args = [
        "guide",
        "build",
        "--programme",
        "urbact-iv",
        "--out",
        str(pdf),
        "--lang",
        "en",
        "--html",
        str(html),
    ]
    result = CliRunner().invoke(app, [*args, "--workspace", str(world.path)])
    assert result.exit_code == 0, result.output
    return pdf, html


@needs_poppler
def test_the_pdf_pages_hold_the_four_chapters_and_a_figure(built: tuple[Path, Path], tmp_path: Path) -> None:
    from PIL import Image

    pdf, _html = built
    assert pdf.read_bytes().startswith(b"%PDF-")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")  # fmt: skip
    chapter_pages = []
    for n, title in enumerate(TITLES_EN, 1):
        found = [i for i, p in enumerate(pages) if f"Chapter {n}: {title}" in " ".join(p.split())]
        assert found, title
        chapter_pages.append(found[0])
    assert chapter_pages == sorted(chapter_pages)  # in the order of the four questions
    figure_page = next(i for i, p in enumerate(pages) if "The programme in figures" in p) + 1
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) >= 5  # contents, the programme in figures, four chapters (one per page at least)

    def bar_pixels(path: Path) -> int:
        pixels = np.asarray(Image.open(path).convert("RGB"), dtype=int)
        return int((np.abs(pixels - np.array(BAR)).max(axis=2) <= 24).sum())

    assert bar_pixels(images[figure_page - 1]) > 50  # the bars of the members-by-country figure
    for i in chapter_pages:  # each chapter's page is drawn (its heading and text are ink on the image)
        grey = np.asarray(Image.open(images[i]).convert("L"))
        assert (grey < 128).mean() > 0.003


def test_the_figures_are_the_data(world: Workspace, built: tuple[Path, Path]) -> None:
    _pdf, html = built
    text = html.read_text(encoding="utf-8")
    assert "Source: bettercities, memberships of the networks of URBACT IV as recorded on" in text
    with world.database.reader() as session:
        guide = service.build_guide(session, "social-data-guide", lang="en")
    (members,) = guide.overview
    assert members.rows == [("DE", "2"), ("FR", "1")]  # aachen, bonn | lille (the world above)
    collect = guide.chapters[0]
    assert collect.intro == "What cities collect."
    assert [p.slug for p in collect.practices] == ["aachen-monitoring"]
    topics = next(f for f in collect.survey.figures if f.title.startswith("On which topics"))
    # all three municipalities answered the first topic: 3 of 3 = 100 %, the others 0 of 3
    assert topics.rows[0][1] == "100%" and all(v == "0%" for _label, v in topics.rows[1:])
    assert collect.survey.respondents == 3
    assert "3 responding municipalities" in topics.source
    impact = guide.chapters[3]
    assert [r.text for r in impact.recommendations] == ["Plan the evaluation before the measure starts."]
    assert all(c.survey.figures for c in guide.chapters)  # every section has a select question


def test_a_guide_without_survey_says_so(world: Workspace) -> None:
    with world.database.reader() as session:
        guide = service.build_guide(session, "quiet-guide", lang="de")
    assert guide.overview == []  # no memberships: no figure, not an empty one
    for chapter in guide.chapters:
        assert (
            chapter.survey.note
            == "Das Programm hat keine Umfrage; dieses Kapitel zeigt daher keine Umfrageergebnisse."
        )
    assert guide.chapters[0].title == "Was erheben Sie?"


def test_stored_guides_and_refusals(world: Workspace) -> None:
    with world.database.session() as session:
        before = session.query(Guide).filter_by(slug="social-data-guide").one().updated_at
        again = service.get_guide(session, "social-data-guide")
        spec = GuideIn.model_validate(again.model_dump(exclude={"created_by"}))
        service.save_guide(session, spec, by="test")  # the same selection: nothing changes
        assert session.query(Guide).filter_by(slug="social-data-guide").one().updated_at == before
        with pytest.raises(InvalidInput) as refused:
            service.save_guide(session, spec.model_copy(update={
                "practices": [GuideItemIn(slug="nowhere", chapter=Chapter.USE)],
                "intros": {Chapter.USE: {"fr": "non"}},
            }), by="test")  # fmt: skip
        problems = {(p.code, p.column, p.value) for p in refused.value.report.problems}
        assert problems == {
            ("guide-unknown-item", "practices", "nowhere"),
            ("guide-invalid-intro", "intros", "fr"),
        }
        with pytest.raises(InvalidInput):
            service.build_guide(session, "social-data-guide", lang="fr")


def test_chapter_of_a_survey_section() -> None:
    assert chapter_of_section("3. How do you use it for priorities and goals?", 0) is Chapter.USE
    assert chapter_of_section("Impact", 3) is Chapter.IMPACT
    assert chapter_of_section(None, 4) is None


def test_the_cli_saves_and_shows_a_guide(world: Workspace, tmp_path: Path) -> None:
    spec = {"slug": "cli-guide", "programme": "urbact-iv", "title_de": "T", "title_en": "T",
            "events": [{"slug": "webinar-4", "chapter": "manage"}]}  # fmt: skip
    (tmp_path / "g.json").write_text(json.dumps(spec))
    result = CliRunner().invoke(
        app, ["guide", "save", str(tmp_path / "g.json"), "--workspace", str(world.path)]
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["guide", "show", "cli-guide", "--workspace", str(world.path)])
    assert json.loads(result.output)["events"] == [{"slug": "webinar-4", "chapter": "manage"}]
    (tmp_path / "bad.json").write_text(json.dumps({**spec, "events": [{"slug": "x", "chapter": "nope"}]}))
    result = CliRunner().invoke(
        app, ["guide", "save", str(tmp_path / "bad.json"), "--workspace", str(world.path)]
    )
    assert result.exit_code == 2 and "chapter" in result.output


@pytest.fixture(scope="module")
def client(world: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(world, settings=Settings(default_language="en"))) as test_client:
        yield test_client


def test_the_guide_page_its_twin_and_pdf(client: TestClient) -> None:
    page = client.get("/programmes/urbact-iv/guide", params={"guide": "social-data-guide"})
    assert page.status_code == 200, page.text
    assert all(title in page.text for title in TITLES_EN) and "<svg" in page.text
    german = client.get("/programmes/urbact-iv/guide", params={"lang": "de", "guide": "social-data-guide"})
    assert "Kapitel 1: Was erheben Sie?" in german.text
    twin = client.get("/programmes/urbact-iv/guide.json", params={"guide": "social-data-guide"}).json()
    assert [c["code"] for c in twin["chapters"]] == ["collect", "manage", "use", "impact"]
    pdf = client.get("/programmes/quiet/guide.pdf", params={"lang": "de"})  # the small one: no figures
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert client.get("/programmes/nowhere/guide").status_code == 404
    assert client.get("/programmes/quiet/guide", params={"guide": "social-data-guide"}).status_code == 422
