"""The demo's city networks: the programmes, the four URBACT IV Action Planning Networks named in issue 15
(One Health 4 Cities, U.R. Impact, NextGen YouthWork, Cities@Heart) and the six #vernetztinEuropa
peer-learning tandems with their members, from the small attributed files the package carries
(``networks/data/demo_*.csv``; README there), never from outside it.

The members are matched to the registry's cities (loaded by :mod:`bettercities.demo.registry` before this
step) through the same import as ``bettercities import memberships``. The change of U.R. Impact's partner list
is kept as history: the list of an earlier copy of its URBACT page is imported first, then the current list,
which withdraws Szabolcs 05 and Bucharest 6th district (status ``withdrawn``, no end date: the page does not
say when they left) and adds Bielsko-Biała and Bovec. Idempotent: a second run finds the networks and adds
nothing.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from importlib import resources

from pydantic import BaseModel
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.areas.schemas import CitySpec
from bettercities.networks import service as networks
from bettercities.networks.importing import import_memberships
from bettercities.networks.models import Network, Programme
from bettercities.networks.schemas import ProgrammeIn
from bettercities.registry.names import city_slug
from bettercities.registry.service import find_city
from bettercities.storage.workspace import Workspace

__all__ = ["DemoNetworksSummary", "load_networks"]

#: Why the U.R. Impact members of the earlier page copy are withdrawn (kept with the change).
CHANGE_REASON = (
    "The URBACT page of U.R. Impact now lists Bielsko-Biała and Bovec where an earlier copy of the page "
    "listed Szabolcs 05 and Bucharest 6th district. The date of the change is not stated, so none is "
    "recorded."
)


class DemoNetworksSummary(BaseModel):
    """What the step added (nothing on a second run)."""

    built: bool
    programmes: int
    networks: int
    memberships: int
    places_added: list[str]
    unmatched: list[str]


def _data(name: str) -> str:
    return resources.files("bettercities.networks").joinpath(f"data/{name}").read_text("utf-8")


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _add_places(workspace: Workspace) -> list[str]:
    """The members the registry lacks, as cities with GeoNames' coordinates and population."""
    added = []
    with workspace.database.session() as session:
        for row in csv.DictReader(io.StringIO(_data("demo_places.csv"))):
            if find_city(session, row["name"], row["country"]) is not None:
                continue
            geonames_id = int(row["geonames_id"])
            if session.scalar(select(City.id).where(City.geonames_id == geonames_id)) is not None:
                continue
            slug = city_slug(row["name"], row["country"])
            if session.scalar(select(City.id).where(City.slug == slug)) is not None:
                slug = f"{slug}-{row['country'].lower()}"
            spec = CitySpec(
                slug=slug,
                name=row["name"],
                country=row["country"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                population=int(row["population"]) if row["population"] else None,
            )
            areas.create_city(session, spec)
            city = session.scalar(select(City).where(City.slug == slug))
            assert city is not None
            city.geonames_id = geonames_id
            added.append(slug)
    return added


def load_networks(workspace: Workspace) -> DemoNetworksSummary:
    """Add the demo's programmes, networks and memberships to ``workspace`` (a second call adds nothing)."""
    with workspace.database.reader() as session:
        if session.scalar(select(Network.id).where(Network.name_en == "U.R. Impact")) is not None:
            return DemoNetworksSummary(
                built=False, programmes=0, networks=0, memberships=0, places_added=[], unmatched=[]
            )
    places = _add_places(workspace)
    with workspace.database.session() as session:
        programmes = 0
        for row in csv.DictReader(io.StringIO(_data("demo_programmes.csv"))):
            if session.scalar(select(Programme.id).where(Programme.slug == row["slug"])) is None:
                networks.create_programme(
                    session,
                    ProgrammeIn(
                        slug=row["slug"], name=row["name"], url=row["url"] or None,
                        description=row["description"] or None, start=_day(row["start"]),
                        end=_day(row["end"]),
                    ),
                )  # fmt: skip
                programmes += 1
        earlier, _ = import_memberships(
            session, _data("demo_memberships_earlier.csv"), "demo_memberships_earlier.csv"
        )
        current, report = import_memberships(
            session,
            _data("demo_memberships.csv"),
            "demo_memberships.csv",
            withdraw_missing=True,
            withdraw_reason=CHANGE_REASON,
        )
    return DemoNetworksSummary(
        built=True,
        programmes=programmes,
        networks=len(earlier.networks_created) + len(current.networks_created),
        memberships=earlier.memberships_added + current.memberships_added,
        places_added=places,
        unmatched=[p.value or "" for p in report.problems if p.code == "network-unmatched-member"],
    )
