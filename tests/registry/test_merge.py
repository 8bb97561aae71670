"""The registry's merge on tiny copies of the real source files (tests/data/registry): one city per real
city, GeoNames' English names kept as aliases, districts create no city, successions, slugs, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput
from bettercities.registry import service
from bettercities.registry.models import CityStatistic, RegistryAlias, RegistryRegion
from bettercities.registry.names import city_slug, name_key
from bettercities.storage.workspace import Workspace

DATA = Path(__file__).parents[1] / "data" / "registry"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A workspace with the four tiny files imported in the documented order (regions, Urban Audit,
    GeoNames, indicators)."""
    ws = Workspace.init(tmp_path_factory.mktemp("registry") / "ws")
    with ws.database.session() as session:
        service.import_regions(session, DATA / "nuts3.geojson")
        service.import_urban_audit(session, DATA / "urban_audit_cities.csv")
        service.import_geonames(session, DATA / "geonames_cities.csv")
        service.import_indicators(session, DATA / "indicators.csv")
    yield ws
    ws.close()


def _count(session, name: str, country: str) -> int:  # type: ignore[no-untyped-def]
    return sum(
        1
        for c in session.scalars(select(City).where(City.country == country))
        if name_key(c.name) == name_key(name)
    )


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("Berlin", "DE"),
        ("München", "DE"),
        ("Krefeld", "DE"),
        ("Arnsberg", "DE"),
        ("Geestland", "DE"),
        ("Pirna", "DE"),
        ("Sofia", "BG"),
    ],
)
def test_each_real_city_exists_exactly_once(imported: Workspace, name: str, country: str) -> None:
    with imported.database.reader() as session:
        assert _count(session, name, country) == 1
        assert service.find_city(session, name, country) is not None


def test_identifiers_are_not_shared_and_the_english_names_are_aliases(imported: Workspace) -> None:
    with imported.database.reader() as session:
        for column in (City.urau_code, City.geonames_id):
            dups = session.execute(
                select(column, func.count())
                .where(column.is_not(None))
                .group_by(column)
                .having(func.count() > 1)
            ).all()
            assert dups == []
        munich = service.find_city(session, "Munich", "DE")
        assert munich is not None and munich.slug == "muenchen" and munich.name == "München"
        assert (munich.urau_code, munich.geonames_id) == ("DE003C", 2867714)
        athens = service.find_city(session, "Athens", "GR")  # ISO GR -> Eurostat EL
        assert athens is not None and athens.urau_code == "EL001C" and athens.geonames_id == 264371
        tampere = service.find_city(session, "Tampere", "FI")
        assert (
            tampere is not None and tampere.urau_code == "FI002C"
        )  # "Tampere/Tammerfors", point 15.5 km off
        frankenthal = service.find_city(session, "Frankenthal", "DE")
        worms = service.find_city(session, "Worms", "DE")
        assert (
            frankenthal is not None
            and frankenthal.urau_code == "DE067C"
            and frankenthal.geonames_id == 2925550
        )
        assert worms is not None and worms.urau_code is None  # a neighbour, not Frankenthal (Pfalz)


def test_districts_of_a_city_create_no_city(imported: Workspace) -> None:
    with imported.database.reader() as session:
        names = set(session.scalars(select(City.name)))
        # Köpenick is named after Berlin; Spandau lies in Berlin's NUTS-3 region, which is the city;
        # Hamburg-Nord is named after Hamburg
        assert not {"Berlin Köpenick", "Spandau", "Hamburg-Nord"} & names
        assert _count(session, "Berlin", "DE") == 1
        assert "Potsdam" in names  # a neighbour outside Berlin's region is a city


def test_a_succession_renames_its_predecessor(imported: Workspace) -> None:
    with imported.database.reader() as session:
        geestland = service.find_city(session, "Geestland", "DE")
        assert geestland is not None and geestland.geonames_id == 2881276 and geestland.slug == "geestland"
        kinds = dict(
            session.execute(
                select(RegistryAlias.name, RegistryAlias.kind).where(RegistryAlias.city_id == geestland.id)
            ).all()
        )
        assert kinds["Langen"] == "former" and kinds["Bad Bederkesa"] == "member"
        # the other Langen (Hessen, 38,785 inhabitants) is the Langen
        langen = service.find_city(session, "Langen", "DE")
        assert langen is not None and langen.geonames_id == 2881279 and langen.slug == "langen"


def test_nuts3_and_urban_rural_type(imported: Workspace) -> None:
    with imported.database.reader() as session:
        pirna = service.find_city(session, "Pirna", "DE")
        assert pirna is not None and pirna.nuts3_code == "DED2F"  # Sächsische Schweiz-Osterzgebirge
        # URBN_TYPE of DED2F in nuts3_2021_population_typologies.geojson is "1"; of DEA57 (Arnsberg) "2"
        assert service.urban_rural(session, pirna) == "1"
        arnsberg = service.find_city(session, "Arnsberg", "DE")
        assert arnsberg is not None and arnsberg.nuts3_code == "DEA57"
        assert service.urban_rural(session, arnsberg) == "2"
        berlin = service.find_city(session, "Berlin", "DE")
        assert berlin is not None and service.urban_rural(session, berlin) == "1"
        assert session.scalar(select(func.count()).select_from(RegistryRegion)) == 13


def test_indicators_are_imported_with_their_years(imported: Workspace) -> None:
    with imported.database.reader() as session:
        berlin = service.find_city(session, "Berlin", "DE")
        assert berlin is not None
        stats = {s.code: (s.year, s.value) for s in service.statistics(session, [berlin.id])}
        # the value and year of row DE001C of indicators.csv (a copy of the Eurostat file), read from it
        row = (DATA / "indicators.csv").read_text().splitlines()
        header = row[0].split(",")
        values = dict(zip(header, next(r for r in row if r.startswith("DE001C,")).split(","), strict=False))
        assert stats["unemploymentPct"] == (
            int(values["unemploymentPct_year"]),
            float(values["unemploymentPct"]),
        )
        assert (
            session.scalar(
                select(func.count()).select_from(CityStatistic).where(CityStatistic.city_id == berlin.id)
            )
            >= 10
        )


def test_a_second_import_changes_nothing(imported: Workspace) -> None:
    with imported.database.session() as session:
        before = session.scalar(select(func.count()).select_from(City))
        again = service.import_geonames(session, DATA / "geonames_cities.csv")
        ua = service.import_urban_audit(session, DATA / "urban_audit_cities.csv")
        assert (again.created, again.updated, again.aliases) == (0, 0, 0)
        assert (ua.created, ua.updated) == (0, 0)
        assert session.scalar(select(func.count()).select_from(City)) == before
        session.rollback()


def test_a_bad_file_is_refused_by_row_and_column_and_nothing_is_written(
    tmp_path: Path, sqlite_workspace: Workspace
) -> None:
    text = (DATA / "geonames_cities.csv").read_text().splitlines()
    text[2] = text[2].replace("52.52437", "north")  # Berlin's latitude, row 3 (header = row 1)
    bad = tmp_path / "geonames.csv"
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(InvalidInput) as caught, sqlite_workspace.database.session() as session:
        service.import_geonames(session, bad)
    report = caught.value.report
    assert report is not None
    problem = report.errors[0]
    assert (problem.code, problem.file, problem.row, problem.column) == (
        "registry-not-a-number",
        "geonames.csv",
        3,
        "lat",
    )
    with sqlite_workspace.database.reader() as session:
        assert session.scalar(select(func.count()).select_from(City)) == 0
    missing = tmp_path / "ua.csv"
    missing.write_text("urau_code,name\nDE001C,Berlin\n")
    with pytest.raises(InvalidInput) as caught, sqlite_workspace.database.session() as session:
        service.import_urban_audit(session, missing)
    assert {p.column for p in caught.value.report.errors} >= {"lat", "lon", "country"}  # type: ignore[union-attr]


def test_implausible_values_are_flagged_not_imported(tmp_path: Path, sqlite_workspace: Workspace) -> None:
    from bettercities.registry.sources import read_indicators, validate_statistic

    # the collected file's unit glitch: a median income of 1,690,302 (EUR per year is at most 200,000)
    assert validate_statistic("medianIncome", 1_690_302, 2018) is not None
    assert validate_statistic("medianIncome", 25_549, 2008) is None
    assert validate_statistic("unemploymentPct", 7.1, None) == "no year"
    text = (
        "urau_code,medianIncome,medianIncome_year,unemploymentPct,unemploymentPct_year\n"
        "DE001C,1690302,2018,7.1,2020\n"
    )
    path = tmp_path / "ind.csv"
    path.write_text(text)
    values, flags = read_indicators(path.read_bytes(), "ind.csv")
    assert [(v.code, v.value) for v in values] == [("unemploymentPct", 7.1)]
    assert [(f.code, f.row) for f in flags] == [("medianIncome", 2)]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("München", "muenchen"),
        ("Bielsko-Biała", "bielsko-biala"),
        ("Düsseldorf", "duesseldorf"),
        ("Straße", "strasse"),
        ("Alba Iulia", "alba-iulia"),
        ("'s-Gravenhage", "s-gravenhage"),
        ("Łódź", "lodz"),
    ],
)
def test_slugs(name: str, slug: str) -> None:
    assert city_slug(name, "XX") == slug


def test_slug_clashes_take_the_country_then_the_geonames_id() -> None:
    from bettercities.registry.merge import unique_slug

    taken = {"langen"}
    assert unique_slug("Langen", "DE", 2881276, taken) == "langen-de"
    assert unique_slug("Langen", "DE", 2881277, taken) == "langen-2881277"


@pytest.mark.parametrize(
    ("population", "code"),
    [
        (None, None),
        (5_000, "small-town"),
        (19_999, "small-town"),
        (20_000, "medium-town"),
        (99_999, "medium-town"),
        (100_000, "city"),
        (499_999, "city"),
        (500_000, "large-city"),
    ],
)
def test_size_classes(population: int | None, code: str | None) -> None:
    assert service.size_class(population) == code
