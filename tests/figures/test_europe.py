"""figures/europe.py: the projection against the published EPSG example, every point and link drawn with its
labels, sizes by area, points outside the extent named, the country outlines read and cut right, the clear
error without the outlines, deterministic and fast output; and scripts/install-boundaries (offline, on a
tarball made here)."""

from __future__ import annotations

import base64
import hashlib
import importlib.machinery
import importlib.util
import io
import json
import math
import re
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from bettercities.figures import europe

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]

WORDS = europe.EuropeWords(
    title="#vernetztinEuropa: the tandems",
    description="Twelve cities in six tandems.",
    population="Population",
    no_population="Population not known",
    outside="Not on the map",
    links="Tandem partners",
    credit="Country outlines: Natural Earth (public domain), via world-atlas 2.0.2 (ISC)",
    groups={"de": "German cities", "partner": "Partner cities"},
)

# Coordinates rounded from the cities' GeoNames entries; populations rounded (inputs only: the tests check
# what the map does with them, not the figures themselves).
POINTS = [
    europe.EuropePoint("sofia", "Sofia", 23.32, 42.70, 1_236_000, "/cities/sofia", "partner"),
    europe.EuropePoint("krefeld", "Krefeld", 6.56, 51.33, 227_000, "/cities/krefeld", "de"),
    europe.EuropePoint("arezzo", "Arezzo", 11.88, 43.46, 99_000, "/cities/arezzo", "partner"),
    europe.EuropePoint("hamm", "Hamm", 7.82, 51.68, 180_000, "/cities/hamm", "de"),
    europe.EuropePoint("vari", "Vari Voula Vouliagmeni", 23.78, 37.84, None, None, "partner"),
    europe.EuropePoint("geestland", "Geestland", 8.73, 53.63, 31_000, None, "de"),
    europe.EuropePoint("utrecht", "Utrecht", 5.12, 52.09, 361_000, "/cities/utrecht", "partner"),
    europe.EuropePoint("muenchen", "München", 11.58, 48.14, 1_512_000, "/cities/muenchen", "de"),
    europe.EuropePoint("alba-iulia", "Alba Iulia", 23.58, 46.07, 64_000, "/cities/alba-iulia", "partner"),
    europe.EuropePoint("arnsberg", "Arnsberg", 8.06, 51.40, 73_000, "/cities/arnsberg", "de"),
    europe.EuropePoint("basel", "Basel", 7.59, 47.56, 173_000, "/cities/basel", "partner"),
    europe.EuropePoint("mulhouse", "Mulhouse", 7.34, 47.75, 108_000, "/cities/mulhouse", "partner"),
    europe.EuropePoint("freiburg", "Freiburg im Breisgau", 7.85, 47.99, 231_000, "/cities/freiburg", "de"),
    # outside the extent: named in the description, not drawn
    europe.EuropePoint("saint-denis", "Saint-Denis (La Réunion)", 55.45, -20.88, 153_000, None, None),
]
LINKS = [
    europe.EuropeLink("sofia", "krefeld", "Sofia – Krefeld"),
    europe.EuropeLink("arezzo", "hamm", "Arezzo – Hamm"),
    europe.EuropeLink("vari", "geestland", "Vari Voula Vouliagmeni – Geestland"),
    europe.EuropeLink("utrecht", "muenchen", "Utrecht – München"),
    europe.EuropeLink("alba-iulia", "arnsberg", "Alba Iulia – Arnsberg"),
    europe.EuropeLink("basel", "mulhouse", "Basel – Mulhouse"),
    europe.EuropeLink("mulhouse", "freiburg", "Mulhouse – Freiburg"),
    europe.EuropeLink("sofia", "saint-denis", "Sofia – Saint-Denis"),  # one end outside: not drawn
]


@pytest.fixture(scope="module")
def svg() -> str:
    return europe.europe_map(POINTS, LINKS, words=WORDS, id_prefix="tandems")


@pytest.fixture(scope="module")
def root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def classed(root: ET.Element, css: str) -> list[ET.Element]:
    return [e for e in root.iter() if css in (e.get("class") or "").split()]


# -- the projection ----------------------------------------------------------------------------------------


def test_projection_matches_the_published_epsg_example() -> None:
    # IOGP Publication 373-7-2, Geomatics Guidance Note 7 part 2 (Coordinate Conversions and
    # Transformations), Lambert Azimuthal Equal Area (EPSG method 9820), worked example for ETRS89 / LAEA
    # Europe (EPSG:3035): latitude 50°00'00.000"N, longitude 5°00'00.000"E -> E = 3962799.45 m,
    # N = 2999718.85 m.
    x, y = europe.to_laea([5.0], [50.0])
    assert x[0] == pytest.approx(3_962_799.45, abs=0.01)
    assert y[0] == pytest.approx(2_999_718.85, abs=0.01)
    # The projection's natural origin (52° N, 10° E) is its false origin (EPSG:3035 parameters:
    # false easting 4 321 000 m, false northing 3 210 000 m).
    x, y = europe.to_laea([10.0], [52.0])
    assert (x[0], y[0]) == (pytest.approx(4_321_000.0, abs=0.001), pytest.approx(3_210_000.0, abs=0.001))


def test_the_pipeline_is_epsg_3035() -> None:
    """The written-out pipeline gives what PROJ's own EPSG:4326 -> EPSG:3035 transformation gives."""
    from pyproj import Transformer

    epsg = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)
    lon = [-24.5, -9.14, 5.0, 10.0, 13.40, 23.32, 33.04, 31.6, 27.5]
    lat = [65.5, 38.72, 50.0, 52.0, 52.52, 42.70, 34.68, 62.9, 70.1]
    x, y = europe.to_laea(lon, lat)
    ex, ey = epsg.transform(lon, lat)
    assert x == pytest.approx(list(ex), abs=0.001)
    assert y == pytest.approx(list(ey), abs=0.001)


def test_a_point_is_drawn_where_the_projection_puts_it() -> None:
    # the EPSG example point in the frame by hand: 800 units across the extent's 4 250 000 m
    k = 800 / (6_700_000 - 2_450_000)
    expected = ((3_962_799.45 - 2_450_000) * k, (5_450_000 - 2_999_718.85) * k)
    point = europe.EuropePoint("p", "P", 5.0, 50.0, 1000, None, None)
    root = ET.fromstring(europe.europe_map([point], [], words=WORDS))
    (point,) = classed(root, "point")
    circle = point.find(f"{SVG}circle")
    assert (float(circle.get("cx")), float(circle.get("cy"))) == (
        pytest.approx(expected[0], abs=0.06),
        pytest.approx(expected[1], abs=0.06),
    )


# -- the drawing -------------------------------------------------------------------------------------------


def test_the_svg_has_a_title_and_a_description(root: ET.Element) -> None:
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "tandems-title tandems-desc"
    assert root.find(f"{SVG}title").get("id") == "tandems-title"
    assert root.find(f"{SVG}title").text == WORDS.title
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == "tandems-desc"
    assert desc.text.startswith(WORDS.description)
    assert "Not on the map: Saint-Denis (La Réunion)." in desc.text
    assert WORDS.credit in [e.text for e in classed(root, "credit")]


def test_every_point_is_drawn_with_its_labels_and_is_focusable(root: ET.Element) -> None:
    points = {e.get("data-key"): e for e in classed(root, "point")}
    assert set(points) == {p.key for p in POINTS} - {"saint-denis"}
    for p in POINTS[:-1]:
        element = points[p.key]
        label = element.get("aria-label")
        assert label.startswith(f"{p.label}: ")
        assert WORDS.groups[p.group] in label
        (title,) = element.iter(f"{SVG}title")
        assert title.text == label
        if p.href:
            assert element.tag == f"{SVG}a" and element.get("href") == p.href
        else:
            assert element.tag == f"{SVG}g" and element.get("tabindex") == "0"
    assert points["sofia"].get("aria-label") == "Sofia: Population 1\u202f236\u202f000 – Partner cities"
    assert points["vari"].get("aria-label") == "Vari Voula Vouliagmeni: Population not known – Partner cities"


def test_every_link_inside_the_map_is_drawn_with_its_label(root: ET.Element) -> None:
    lines = classed(root, "link")
    drawn = {(e.get("data-a"), e.get("data-b")): e.find(f"{SVG}title").text for e in lines}
    assert drawn == {(link.a, link.b): link.label for link in LINKS[:-1]}


def test_area_is_proportional_to_population(root: ET.Element) -> None:
    radius = {
        e.get("data-key"): float(e.find(f"{SVG}circle").get("r"))
        for e in classed(root, "point")
        if e.find(f"{SVG}circle") is not None
    }
    assert radius["muenchen"] == europe.R_MAX  # the most populous city of the map
    for key, population in (("sofia", 1_236_000), ("krefeld", 227_000), ("utrecht", 361_000)):
        assert (radius[key] / radius["muenchen"]) ** 2 == pytest.approx(population / 1_512_000, abs=0.01)
    assert radius["geestland"] == europe.R_MIN  # 18 × √(31 000 / 1 512 000) = 2.6: drawn at the minimum
    # a city without a population is a hollow square, not a circle
    (vari,) = [e for e in classed(root, "point") if e.get("data-key") == "vari"]
    assert vari.find(f"{SVG}circle") is None
    assert vari.find(f"{SVG}rect").get("fill") == "#ffffff"


def test_the_legend_names_sizes_symbols_groups_and_links(root: ET.Element) -> None:
    sizes = [int(e.get("data-population")) for e in classed(root, "legend-size")]
    assert sizes == [1_000_000, 200_000, 50_000]  # round values below 1.5 M, 1.5 M / 6 and 1.5 M / 30
    assert [e.find(f"{SVG}text").text for e in classed(root, "legend-no-population")] == [WORDS.no_population]
    groups = [e.find(f"{SVG}text").text for e in classed(root, "legend-group")]
    assert groups == ["German cities", "Partner cities"]  # in the order the words give
    assert [e.find(f"{SVG}text").text for e in classed(root, "legend-link")] == ["Tandem partners"]
    colours = {
        e.get("data-key"): (e.find(f"{SVG}circle") if e.find(f"{SVG}circle") is not None else None)
        for e in classed(root, "point")
    }
    assert colours["muenchen"].get("fill") == europe.GROUP_COLOURS[0]
    assert colours["sofia"].get("fill") == europe.GROUP_COLOURS[1]


def test_legend_sizes() -> None:
    assert europe._legend_sizes([31_000, 1_512_000]) == [1_000_000, 200_000, 50_000]
    assert europe._legend_sizes([5_000, 20_000, 640_000]) == [500_000, 100_000, 20_000]
    assert europe._legend_sizes([100_000, 5_970_000]) == [5_000_000, 500_000]  # 100 000 < R_MIN's 165 833
    assert europe._legend_sizes([200_000, 250_000]) == [200_000]  # 20 000 far below the smallest city
    assert europe._legend_sizes([250_000]) == [200_000]
    assert europe._legend_sizes([]) == []


def test_rows_for_the_table_beside_the_map() -> None:
    rows = {row.key: row for row in europe.europe_rows(POINTS, LINKS)}
    assert list(rows) == [p.key for p in POINTS]
    assert rows["mulhouse"].partners == ("Basel", "Freiburg im Breisgau")
    assert rows["sofia"].partners == ("Krefeld", "Saint-Denis (La Réunion)")
    assert rows["saint-denis"].on_map is False
    assert all(row.on_map for key, row in rows.items() if key != "saint-denis")
    assert rows["vari"].population is None and rows["vari"].href is None


def test_bad_keys_are_refused() -> None:
    twice = [POINTS[0], POINTS[0]]
    with pytest.raises(ValueError, match="two points have the key 'sofia'"):
        europe.europe_map(twice, [], words=WORDS)
    with pytest.raises(ValueError, match="names 'nowhere'"):
        europe.europe_map(POINTS[:2], [europe.EuropeLink("sofia", "nowhere", "x")], words=WORDS)


def test_an_empty_map_still_has_outlines_and_credit() -> None:
    root = ET.fromstring(europe.europe_map([], [], words=WORDS))
    assert len(classed(root, "countries")[0]) > 40
    assert not classed(root, "point") and not classed(root, "legend-size")


def test_without_groups_or_populations() -> None:
    points = [
        europe.EuropePoint("a", "A", 13.4, 52.5, None),
        europe.EuropePoint("b", "B", 2.35, 48.86, None),
        europe.EuropePoint("nan", "Nowhere", float("nan"), 50.0, 1000),  # no coordinates: not on the map
    ]
    root = ET.fromstring(europe.europe_map(points, [], words=WORDS))
    marks = [e.find(f"{SVG}rect") for e in classed(root, "point")]
    assert [m.get("stroke") for m in marks] == [
        europe.POINT_COLOUR
    ] * 2  # one colour when there are no groups
    assert not classed(root, "legend-size") and not classed(root, "legend-group")
    assert not classed(root, "legend-link")
    assert len(classed(root, "legend-no-population")) == 1
    assert root.find(f"{SVG}desc").text.endswith("Not on the map: Nowhere.")


def test_output_is_deterministic(svg: str) -> None:
    assert europe.europe_map(POINTS, LINKS, words=WORDS, id_prefix="tandems") == svg
    assert europe.europe_map(list(reversed(POINTS)), LINKS, words=WORDS, id_prefix="tandems") == svg


def test_sixty_points_render_in_a_few_milliseconds() -> None:
    points = [
        europe.EuropePoint(f"c{i}", f"City {i}", -8 + (i * 37 % 38), 37 + (i * 13 % 27), 5_000 + i * 40_000,
                           f"/cities/c{i}", "ab"[i % 2])
        for i in range(60)
    ]  # fmt: skip
    links = [europe.EuropeLink(f"c{i}", f"c{i + 1}", f"{i}") for i in range(0, 60, 2)]
    europe.europe_map(points, links, words=WORDS)  # the outlines are built by the fixtures or here
    times = []
    for _ in range(5):
        start = time.perf_counter()
        svg = europe.europe_map(points, links, words=WORDS)
        times.append(time.perf_counter() - start)
    assert sorted(times)[2] < 0.05  # measured ≈ 2–3 ms on a shared 2-core machine
    assert len(svg.encode()) < 100_000  # measured ≈ 68 kB, nearly all of it the outlines


# -- the outlines ------------------------------------------------------------------------------------------


def _polygons(d: str) -> list:
    import shapely

    polygons = []
    for start, steps in _rings(d):
        coords = [start]
        for dx, dy in steps:
            coords.append((coords[-1][0] + dx, coords[-1][1] + dy))
        if len(coords) >= 3:
            polygons.append(shapely.Polygon(coords))
    return polygons


def _rings(d: str) -> list[tuple[tuple[float, float], list[tuple[float, float]]]]:
    """The rings of path data written as ``Mx yl dx dy … z``: the start and the steps."""
    rings = []
    for start, steps in re.findall(r"M([^lz]+)l([^z]*)z", d):
        x, y = (float(v) for v in start.split())
        numbers = [float(v) for v in steps.split()]
        rings.append(((x, y), list(zip(numbers[0::2], numbers[1::2], strict=True))))
    return rings


def test_the_outlines_are_europes_and_cut_right() -> None:
    import shapely

    base = europe.basemap()
    names = {name for name, _ in base.paths}
    assert {"Iceland", "Portugal", "Cyprus", "Finland", "Germany", "Malta", "Russia"} <= names
    assert "Brazil" not in names and "Japan" not in names
    by_name = dict(base.paths)

    def where(lon: float, lat: float) -> shapely.Point:
        x, y = europe.to_laea([lon], [lat])
        return shapely.Point(europe._frame(x[0], y[0]))

    def country_at(lon: float, lat: float) -> set[str]:
        point = where(lon, lat)
        return {name for name, d in by_name.items() if any(p.buffer(0).contains(point) for p in _polygons(d))}

    assert country_at(13.40, 52.52) == {"Germany"}  # Berlin
    assert country_at(-21.9, 64.15) == {"Iceland"}  # Reykjavík
    assert country_at(33.04, 34.68) == {"Cyprus"}  # Limassol
    assert country_at(37.62, 55.75) == {"Russia"}  # Moscow
    # Russia crosses the antimeridian: its ring, cut without care, spans the Norwegian Sea and the Arctic
    assert country_at(-5.0, 68.0) == set()
    assert country_at(20.0, 73.5) == set()  # Barents Sea
    assert country_at(-15.0, 45.0) == set()  # Atlantic
    for _, d in base.paths:  # every vertex inside the frame
        for polygon in _polygons(d):
            x0, y0, x1, y1 = polygon.bounds
            assert x0 >= -0.05 and x1 <= europe.WIDTH + 0.05 and y0 >= -0.05 and y1 <= base.height + 0.05


def test_rings_are_written_relative_without_drift() -> None:
    import numpy as np

    coords = np.array([[10.04, 20.06], [10.16, 20.14], [10.28, 19.97], [10.04, 20.06]])
    assert europe._ring(coords) == "M10 20.1l0.2 0 0.1 -0.1z"
    # walked back, the steps land on every rounded point
    ((start, steps),) = _rings(europe._ring(coords))
    x, y = start
    for (dx, dy), expected in zip(steps, [(10.2, 20.1), (10.3, 20.0)], strict=True):
        x, y = round(x + dx, 6), round(y + dy, 6)
        assert (x, y) == expected


def test_missing_outlines_give_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(europe, "DATA_DIR", tmp_path / "world-atlas")
    with pytest.raises(europe.BoundariesMissing, match=r"not installed .*make bootstrap"):
        europe.europe_map(POINTS, LINKS, words=WORDS)


def test_unreadable_outlines_give_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "world-atlas"
    folder.mkdir()
    (folder / europe.BOUNDARIES_FILE).write_text('{"type": "Topology", "objects": {', encoding="utf-8")
    monkeypatch.setattr(europe, "DATA_DIR", folder)
    with pytest.raises(europe.BoundariesMissing, match=r"cannot be read .*install-boundaries --force"):
        europe.europe_map(POINTS, LINKS, words=WORDS)


# -- scripts/install-boundaries ----------------------------------------------------------------------------


def _script() -> ModuleType:
    path = ROOT / "scripts" / "install-boundaries"
    loader = importlib.machinery.SourceFileLoader("install_boundaries", str(path))
    spec = importlib.util.spec_from_loader("install_boundaries", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _Response(io.BytesIO):
    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def test_install_boundaries_checks_the_integrity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script()
    data = _tarball(
        {"countries-50m.json": b"{}", "LICENSE": b"ISC", "package.json": b"{}", "countries-10m.json": b"big"}
    )
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    served = {"tarball": data, "calls": 0}

    def urlopen(url: str, timeout: float) -> _Response:
        served["calls"] += 1
        assert url == "https://registry.npmjs.org/world-atlas/-/world-atlas-2.0.2.tgz"
        return _Response(served["tarball"])

    target = tmp_path / "data" / "world-atlas"
    monkeypatch.setattr(script, "TARGET", target)
    monkeypatch.setattr(script, "STAMP", target / "installed.json")
    monkeypatch.setattr(script, "INTEGRITY", integrity)
    monkeypatch.setattr(script.urllib.request, "urlopen", urlopen)
    monkeypatch.delenv("npm_config_registry", raising=False)

    assert script.main([]) == 0
    assert sorted(p.name for p in target.iterdir()) == [
        "LICENSE", "countries-50m.json", "installed.json", "package.json"
    ]  # fmt: skip
    assert json.loads((target / "installed.json").read_text())["integrity"] == integrity
    assert script.main([]) == 0 and served["calls"] == 1  # installed: nothing downloaded

    failures = {"left": 1}

    def flaky(url: str, timeout: float) -> _Response:
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("connection reset")
        return urlopen(url, timeout)

    monkeypatch.setattr(script.urllib.request, "urlopen", flaky)
    monkeypatch.setattr(script.time, "sleep", lambda seconds: None)
    assert script.main(["--force"]) == 0 and served["calls"] == 2  # one failure, then installed again

    served["tarball"] = data + b"tampered"
    with pytest.raises(SystemExit, match="does not match its sha512 integrity"):
        script.main(["--force"])
    assert (target / "countries-50m.json").read_bytes() == b"{}"  # the installed files are left as they were


def test_the_pinned_version_is_the_one_the_map_names() -> None:
    script = _script()
    assert (script.PACKAGE, script.VERSION) == ("world-atlas", "2.0.2")
    assert script.TARGET == europe.DATA_DIR
    assert europe.BOUNDARIES_FILE in script.MEMBERS
    assert f"world-atlas {script.VERSION}" in WORDS.credit
    assert math.isclose(europe.WIDTH, 800.0)


# -- the pages' words --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "label", "credit"),
    [
        ("de", "Sofia: Einwohner 1.236.000 – Partnerstädte", "Ländergrenzen: Natural Earth (gemeinfrei)"),
        ("en", "Sofia: Population 1,236,000 – Partner cities", "Country outlines: Natural Earth (public"),
    ],
)
def test_the_pages_words_in_german_and_english(lang: str, label: str, credit: str) -> None:
    from types import SimpleNamespace

    from bettercities.web import figures as page_figures
    from bettercities.web import formatting

    page = SimpleNamespace(lang=lang, num=lambda value, decimals: formatting.number(value, decimals, lang))
    groups = {"partner": "Partnerstädte" if lang == "de" else "Partner cities"}
    markup = page_figures.europe_map(POINTS, LINKS, page, title="T", description="D.", groups=groups)
    root = ET.fromstring(str(markup))
    labels = {e.get("data-key"): e.get("aria-label") for e in classed(root, "point")}
    assert labels["sofia"] == label
    assert classed(root, "credit")[0].text.startswith(credit)
    legend = [e.find(f"{SVG}text").text for e in classed(root, "legend-link")]
    assert legend == (["Verbundene Städte"] if lang == "de" else ["Linked cities"])
