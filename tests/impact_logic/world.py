"""A small world for the impact-logic tests: programme "vie" with three tandems of two cities each — two
started on 17 May 2022 (as #vernetztinEuropa's did), one on 1 March 2024, after the as-of day the tests ask
about (31 January 2024) — a network of another programme, and a logic of three boxes."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.impact_logic import service
from bettercities.impact_logic.schemas import BoxIn, LinkIn, MeasureIn, ValueIn
from bettercities.networks.schemas import MemberIn, ProgrammeIn

AS_OF = date(2024, 1, 31)
TANDEMS = (
    ("tandem-sofia-krefeld", ("sofia", "krefeld"), date(2022, 5, 17)),
    ("tandem-arezzo-hamm", ("arezzo", "hamm"), date(2022, 5, 17)),
    ("tandem-utrecht-muenchen", ("utrecht", "muenchen"), date(2024, 3, 1)),  # after AS_OF
)
CITIES = ("sofia", "krefeld", "arezzo", "hamm", "utrecht", "muenchen", "lyon")


def build(session: Session) -> None:
    for slug in CITIES:
        areas.create_city(session, CitySpec(slug=slug, name=slug.title(), country="DE"))
    networks.create_programme(
        session,
        ProgrammeIn(slug="vie", name="#vernetztinEuropa", start=date(2022, 5, 17), end=date(2024, 12, 31)),
    )
    networks.create_programme(session, ProgrammeIn(slug="other", name="Another programme"))
    for slug, cities, start in TANDEMS:
        networks.create_network(
            session, slug, name_de=slug, name_en=slug, programme="vie", kind="tandem", start=start,
            end=date(2024, 12, 31),
        )  # fmt: skip
        for city in cities:
            networks.add_membership(session, slug, MemberIn(city=city, role="tandem partner", start=start))
    networks.create_network(
        session, "tandem-elsewhere", name_de="x", name_en="x", programme="other", kind="tandem",
        start=date(2021, 1, 1),
    )  # fmt: skip
    networks.add_membership(session, "tandem-elsewhere", MemberIn(city="lyon", start=date(2021, 1, 1)))
    service.add_box(session, "vie", BoxIn(key="call", stage="inputs", title_de="Aufruf", title_en="Call"))
    service.add_box(
        session, "vie", BoxIn(key="tandems", stage="outputs", title_de="Tandems", title_en="Tandems formed")
    )
    service.add_box(
        session, "vie", BoxIn(key="lasting", stage="impact", title_de="Vernetzung", title_en="Networking")
    )
    service.link_boxes(session, "vie", LinkIn(source="call", target="tandems"))
    service.link_boxes(session, "vie", LinkIn(source="tandems", target="lasting"))
    service.add_measure(
        session, "vie", MeasureIn(key="formed", box="tandems", code="tandems_formed", target=6)
    )
    service.add_measure(
        session, "vie", MeasureIn(key="continuing", box="lasting", label_de="Weiter", label_en="Continuing")
    )
    service.record_value(
        session, "vie", "continuing", ValueIn(day=date(2023, 6, 1), value=1, source="survey")
    )
    service.record_value(
        session, "vie", "continuing", ValueIn(day=date(2024, 6, 1), value=2, source="survey")
    )
