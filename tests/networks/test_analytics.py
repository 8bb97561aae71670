"""Participation analytics on a small world whose numbers are counted by hand: rates by country, size class
and urban-rural type with Wilson 95 % intervals (checked against the formula and, independently, scipy's
``binomtest(...).proportion_ci(method="wilson")``), under-representation, the participants, the CSV."""

from __future__ import annotations

import math
from datetime import date

import pytest
from scipy.stats import binomtest

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.networks import analytics
from bettercities.networks.schemas import MemberIn, Participation, ProgrammeIn
from bettercities.registry.models import RegistryRegion
from bettercities.storage.workspace import Workspace

#: slug, country, population, NUTS-3, urban-rural type of the NUTS-3
CITIES = (
    ("muenchen", "DE", 1_500_000, "DE212", "1"), ("krefeld", "DE", 227_000, "DEA14", "1"),
    ("freiburg", "DE", 230_000, "DE131", "2"), ("pirna", "DE", 37_000, "DED2F", "3"),
    ("arnsberg", "DE", 74_000, "DEA57", "2"), ("geestland", "DE", 18_800, "DE932", "3"),
    ("lyon", "FR", 516_000, "FRK26", "1"), ("strasbourg", "FR", 290_000, "FRF11", "1"),
    ("mulhouse", "FR", 108_000, "FRF12", "2"), ("sofia", "BG", 1_240_000, "BG411", "1"),
    ("basel", "CH", 177_000, "CH031", "1"), ("cinisello", "IT", 75_000, "ITC4C", "1"),
    ("arezzo", "IT", 99_000, "ITI18", "2"),
    *((f"pl-town-{i}", "PL", 6_000, "PL821", "3") for i in range(20)),
)  # fmt: skip
#: network -> members (Strasbourg takes part through the Eurométropole, an organisation linked to it)
MEMBERS = {
    "health": ("lyon", "muenchen"),
    "impact": ("cinisello",),
    "tandem-a": ("sofia", "krefeld"),
    "tandem-b": ("basel", "mulhouse", "freiburg"),
    "heart": ("muenchen",),
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Participation:
    ws = Workspace.init(tmp_path_factory.mktemp("participation"))
    with ws.database.session() as session:
        regions = {(nuts, kind) for *_, nuts, kind in CITIES}
        for nuts, kind in sorted(regions):
            session.add(
                RegistryRegion(nuts3_code=nuts, name=nuts, country=nuts[:2], urban_rural=kind, source="test")
            )
        for slug, country, population, nuts, _ in CITIES:
            spec = CitySpec(slug=slug, name=slug, country=country, population=population, nuts3_code=nuts)
            areas.create_city(session, spec)
        networks.create_programme(session, ProgrammeIn(slug="urbact", name="URBACT"))
        for slug, members in MEMBERS.items():
            networks.create_network(session, slug, name_de=slug, name_en=slug, programme="urbact")
            for city in members:
                networks.add_membership(session, slug, MemberIn(city=city, start=date(2023, 6, 1)))
        networks.add_membership(
            session,
            "health",
            MemberIn(
                organisation="Eurométropole de Strasbourg", country="FR",
                organisation_kind="metropolitan authority", city="strasbourg",
            ),
        )  # fmt: skip
        networks.add_membership(  # withdrawn: does not count
            session, "heart", MemberIn(city="arezzo", status="withdrawn", start=date(2023, 6, 1))
        )
    with ws.database.reader() as session:
        found = analytics.participation(session)
    ws.close()
    return found


def _wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_counts_by_hand(result: Participation) -> None:
    # 33 municipalities; 9 take part: lyon, muenchen, strasbourg (via its organisation), cinisello, sofia,
    # krefeld, basel, mulhouse, freiburg (arezzo's membership is withdrawn)
    assert (result.overall.municipalities, result.overall.participants) == (33, 9)
    groups = {(g.dimension, g.group): (g.municipalities, g.participants) for g in result.groups}
    assert groups == {
        ("country", "BG"): (1, 1), ("country", "CH"): (1, 1), ("country", "DE"): (6, 3),
        ("country", "FR"): (3, 3), ("country", "IT"): (2, 1), ("country", "PL"): (20, 0),
        ("size_class", "small-town"): (21, 0), ("size_class", "medium-town"): (4, 1),
        ("size_class", "city"): (5, 5), ("size_class", "large-city"): (3, 3),
        ("urban_rural", "1"): (7, 7), ("urban_rural", "2"): (4, 2), ("urban_rural", "3"): (22, 0),
    }  # fmt: skip
    top = result.participants[0]
    assert (top.city, top.networks, top.programmes) == ("muenchen", 2, 1)
    assert len(result.participants) == 9


def test_wilson_intervals_against_the_formula_and_scipy(result: Participation) -> None:
    for g in [result.overall, *result.groups]:
        low, high = _wilson_by_hand(g.participants, g.municipalities)
        ci = binomtest(g.participants, g.municipalities).proportion_ci(confidence_level=0.95, method="wilson")
        assert g.low == pytest.approx(low, abs=1e-9) == pytest.approx(ci.low, abs=1e-9)
        assert g.high == pytest.approx(high, abs=1e-9) == pytest.approx(ci.high, abs=1e-9)
    # 0 of 20: the upper bound is z^2 / (n + z^2) = 3.841459 / 23.841459 = 0.161125
    poland = next(g for g in result.groups if g.group == "PL")
    assert poland.high == pytest.approx(0.161125, abs=1e-6)


def test_under_represented_when_the_interval_lies_below_the_overall_rate(result: Participation) -> None:
    flagged = {(g.dimension, g.group) for g in result.groups if g.under_represented}
    # overall 9/33 = 0.2727; PL 0/20 (high 0.161), small towns 0/21 (high 0.155), rural 0/22 (high 0.149)
    assert flagged == {("country", "PL"), ("size_class", "small-town"), ("urban_rural", "3")}
    assert result.overall.rate == pytest.approx(9 / 33)


def test_csv(result: Participation) -> None:
    lines = analytics.rates_csv(result).splitlines()
    assert lines[0] == "dimension,group,municipalities,participants,rate,low,high,under_represented"
    assert lines[1].startswith("all,all,33,9,0.272727,")
    assert "country,PL,20,0,0.000000,0.000000,0.161125,yes" in lines
