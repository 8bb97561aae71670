"""Spatial statistics against published references, on libpysal's bundled Columbus example.

The Columbus data (Anselin 1988, *Spatial Econometrics*, 49 neighbourhoods, crime per 1,000
households) ship inside the libpysal package (``libpysal/examples/columbus``): nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import libpysal
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from bettercities.analysis.spatial import statistics as spatial
from bettercities.analysis.spatial.schemas import WeightsKind, WeightsSpec
from bettercities.core.errors import InvalidInput

COLUMBUS = Path(libpysal.examples.get_path("columbus.json"))
# Reference: GeoDa, Columbus CRIME with first-order queen contiguity (row-standardised):
# Moran's I = 0.500 (0.5002), the value quoted in issue 4 and in GeoDa's Moran scatter plot of the
# Columbus crime data (Anselin, Syabri & Kho 2006, "GeoDa: An Introduction to Spatial Data Analysis",
# Geographical Analysis 38, 5-22). Cross-checked below against the GeoDa-written columbus.gal file.
GEODA_MORAN_CRIME_QUEEN = 0.500


@pytest.fixture(scope="module")
def columbus() -> spatial.Layer:
    assert COLUMBUS.is_file()  # bundled with the installed package
    return spatial.read_geodata(COLUMBUS)


def test_moran_on_columbus_matches_geoda(columbus: spatial.Layer) -> None:
    result = spatial.moran(columbus, "CRIME", permutations=999, seed=1)
    assert pytest.approx(GEODA_MORAN_CRIME_QUEEN, abs=5e-4) == result.I
    assert result.expected_I == pytest.approx(-1 / 48)
    assert result.n == 49
    assert result.p_sim == pytest.approx(0.001)  # no permutation reaches I
    assert result.z_sim is not None and result.z_sim > 4
    again = spatial.moran(columbus, "CRIME", permutations=999, seed=1)
    assert again.z_sim == result.z_sim  # reproducible with a seed


def test_queen_weights_equal_the_geoda_gal_file(columbus: spatial.Layer) -> None:
    ours = spatial.build_weights(columbus, WeightsSpec(kind=WeightsKind.QUEEN))
    gal = libpysal.io.open(libpysal.examples.get_path("columbus.gal")).read()
    # columbus.gal numbers the areas 1..49 in file order; our ids are row numbers 0..48.
    for area, neighbours in gal.neighbors.items():
        assert sorted(int(n) - 1 for n in neighbours) == sorted(
            int(n) for n in ours.neighbors[str(int(area) - 1)]
        )


def test_moran_by_hand_with_the_gal_weights(columbus: spatial.Layer) -> None:
    gal = libpysal.io.open(libpysal.examples.get_path("columbus.gal")).read()
    y = np.asarray(columbus.attributes["CRIME"], dtype=float)
    n = len(y)
    w = np.zeros((n, n))
    for area, neighbours in gal.neighbors.items():
        for other in neighbours:
            w[int(area) - 1, int(other) - 1] = 1.0
    w = w / w.sum(axis=1, keepdims=True)
    z = y - y.mean()
    by_hand = n / w.sum() * (z @ w @ z) / (z @ z)
    assert pytest.approx(by_hand, rel=1e-12) == spatial.moran(columbus, "CRIME", permutations=0).I


@pytest.mark.parametrize(
    ("spec", "mean_neighbours"),
    [
        (WeightsSpec(kind=WeightsKind.QUEEN), 4.816),
        (WeightsSpec(kind=WeightsKind.ROOK), 4.082),
        (WeightsSpec(kind=WeightsKind.KNN, k=4), 4.0),
    ],
)
def test_weights_kinds(columbus: spatial.Layer, spec: WeightsSpec, mean_neighbours: float) -> None:
    w = spatial.build_weights(columbus, spec)
    assert w.n == 49
    assert w.mean_neighbors == pytest.approx(mean_neighbours, abs=1e-3)
    assert list(w.id_order) == columbus.ids  # values and weights in the same (file) order


def test_distance_band_needs_a_threshold(columbus: spatial.Layer) -> None:
    with pytest.raises(ValueError, match="threshold"):
        WeightsSpec(kind=WeightsKind.DISTANCE_BAND)
    w = spatial.build_weights(columbus, WeightsSpec(kind=WeightsKind.DISTANCE_BAND, threshold=1.5))
    assert w.n == 49 and w.mean_neighbors > 1


def test_lisa_and_gi_star(columbus: spatial.Layer) -> None:
    result = spatial.local_moran(columbus, "CRIME", permutations=999, seed=1)
    assert len(result.areas) == 49
    for area in result.areas:
        assert area.cluster == (area.quadrant if area.p_sim is not None and area.p_sim < 0.05 else "ns")
        assert area.hotspot in {"hot", "cold", "ns"}
        if area.cluster == "HH":
            assert area.value > float(np.mean(columbus.attributes["CRIME"]))
    clusters = {a.cluster for a in result.areas}
    assert {"HH", "LL"} <= clusters  # Columbus crime: high-crime core, low-crime periphery
    # Significant high-high LISA clusters are hot spots of Gi* in this data set.
    assert all(a.hotspot == "hot" for a in result.areas if a.cluster == "HH")


def test_missing_variable_is_a_reported_problem(columbus: spatial.Layer) -> None:
    with pytest.raises(InvalidInput) as caught:
        spatial.moran(columbus, "NOPE")
    assert caught.value.report is not None
    assert caught.value.report.problems[0].column == "NOPE"


def test_cli_moran_prints_json(cli_app: typer.Typer) -> None:
    args = ["spatial", "moran", "--geodata", str(COLUMBUS), "--variable", "CRIME", "--weights", "queen"]
    outcome = CliRunner().invoke(cli_app, [*args, "--permutations", "999", "--seed", "1"])
    assert outcome.exit_code == 0, outcome.output
    payload = json.loads(outcome.stdout)
    assert {"I", "expected_I", "p_sim", "z_sim"} <= payload.keys()
    assert "local" not in payload
    assert round(payload["I"], 3) == GEODA_MORAN_CRIME_QUEEN

    local = CliRunner().invoke(cli_app, [*args, "--permutations", "99", "--seed", "1", "--local"])
    assert local.exit_code == 0, local.output
    areas = json.loads(local.stdout)["local"]
    assert len(areas) == 49
    assert {a["cluster"] for a in areas} <= {"HH", "LL", "HL", "LH", "ns"}


def test_cli_moran_reports_a_missing_variable(cli_app: typer.Typer) -> None:
    outcome = CliRunner().invoke(
        cli_app, ["spatial", "moran", "--geodata", str(COLUMBUS), "--variable", "NOPE"]
    )
    assert outcome.exit_code == 2
    assert "NOPE" in outcome.output


def test_duplicate_ids_in_geodata_are_refused_with_their_rows(open_data: Path) -> None:
    path = open_data / "berlin-mss-2019" / "berlin_planning_areas_until_2020.geojson"
    with pytest.raises(InvalidInput) as caught:
        spatial.read_geodata(path)
    assert caught.value.report is not None
    [problem] = caught.value.report.errors
    assert (problem.code, problem.value, problem.row) == ("duplicate-key", "06010102", 205)
    assert "features 124, 205" in problem.message
    merged = spatial.read_geodata(path, duplicates="merge")
    assert len(merged.ids) == 447 and merged.report.warnings


def _berlin_2019_layer(path: Path) -> spatial.Layer:
    """The 2019 planning areas with the one wrong id corrected.

    Feature 124 carries the id ``06010102`` (Schloßstraße in Steglitz, feature 205) but lies in
    Charlottenburg between ``04030416`` and ``04030518``: it is Schloßstraße ``04030417``, the id the
    MSS tables list at that place and which the geometry file otherwise lacks.
    """
    import shapely.geometry

    features = json.loads(path.read_text("utf-8"))["features"]
    ids = [str(f["properties"]["id"]) for f in features]
    assert ids[123] == "06010102" and "04030417" not in ids
    ids[123] = "04030417"
    return spatial.Layer(ids=ids, geometries=[shapely.geometry.shape(f["geometry"]) for f in features])


def test_moran_on_berlin_mss_2019_status(open_data: Path, mss_2019_input: Path) -> None:
    """The MSS 2019 status index on the planning-area polygons is strongly clustered."""
    from bettercities.analysis import compute_index_file
    from bettercities.analysis.index.schemas import MssAreaScore

    result = compute_index_file(mss_2019_input, config="berlin-mss-2019", id_column="id")
    status = {a.area_id: a.status_index for a in result.scored if isinstance(a, MssAreaScore)}
    layer = _berlin_2019_layer(open_data / "berlin-mss-2019" / "berlin_planning_areas_until_2020.geojson")
    keep = [i for i, area in enumerate(layer.ids) if area in status]
    scored = spatial.Layer(
        ids=[layer.ids[i] for i in keep],
        geometries=[layer.geometries[i] for i in keep],
        attributes={"status": np.array([status[layer.ids[i]] for i in keep])},
    )
    moran = spatial.moran(scored, "status", permutations=99, seed=1, local=True)
    assert moran.n == 436
    assert moran.I > 0.4 and moran.p_sim == pytest.approx(0.01)  # I = 0.443 (queen, status index)
    assert moran.local is not None and {a.cluster for a in moran.local} >= {"HH", "LL"}
