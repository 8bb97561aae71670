"""A small survey world: the practice survey, six municipalities in two networks of a programme, responses."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.networks.schemas import ProgrammeIn
from bettercities.surveys import service
from bettercities.surveys.practice import shipped_path
from bettercities.surveys.schemas import SurveyStatus

#: (slug, country, population): four German cities (two of them under 100,000), two Italian
CITIES = (
    ("aue", "DE", 15_000),
    ("bonn", "DE", 330_000),
    ("celle", "DE", 70_000),
    ("dessau", "DE", 75_000),
    ("empoli", "IT", 48_000),
    ("fano", "IT", 60_000),
)

#: answers per city: collect topics, small-area data, staff, priorities, needs
ANSWERS = {
    "aue": {"topics": "labour poverty", "small_area": "no", "staff": "1", "needs": "housing"},
    "bonn": {
        "topics": "labour poverty housing",
        "small_area": "yes",
        "finest_level": "small_area",
        "staff": "12",
    },
    "celle": {"topics": "poverty", "small_area": "no", "staff": "2", "needs": "poverty health"},
    "dessau": {"topics": "labour", "small_area": "yes", "finest_level": "district", "staff": "3"},
    "empoli": {"topics": "education", "small_area": "no", "staff": "0", "needs": "labour"},
}

COMMON = {"sources": "statistics_office", "priorities": "never", "goals": "no", "measures_impact": "no"}


def build(session: Session) -> None:
    """Cities, programme ``prog`` with networks ``north`` (aue, bonn, celle, dessau) and ``south`` (empoli,
    fano, celle), the practice survey as ``practice`` of ``prog``, opened, five responses (fano none)."""
    for slug, country, population in CITIES:
        areas.create_city(
            session, CitySpec(slug=slug, name=slug.title(), country=country, population=population)
        )
    networks.create_programme(session, ProgrammeIn(slug="prog", name="Programme"))
    for slug, members in (
        ("north", ("aue", "bonn", "celle", "dessau")),
        ("south", ("empoli", "fano", "celle")),
    ):
        networks.create_network(session, slug, name_de=slug.title(), name_en=slug.title(), programme="prog")
        for member in members:
            networks.add_city(session, slug, member, joined=date(2022, 1, 1))
    service.load_survey(session, shipped_path(), slug="practice", programme_slug="prog", by="test")
    service.set_status(session, "practice", SurveyStatus.OPEN, by="test")
    for city, answers in ANSWERS.items():
        service.respond(session, "practice", city, COMMON | answers, by="test")
