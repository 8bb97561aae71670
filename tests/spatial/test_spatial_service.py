"""Spatial statistics on stored data: plumbing checked against hand computations and against esda directly.

References: Moran's I,
:math:`I = \\frac{n}{S_0}\\frac{\\sum_i\\sum_j w_{ij} z_i z_j}{\\sum_i z_i^2}` (Moran 1950,
Biometrika 37, 17-23; with row-standardised weights :math:`S_0 = n`); LISA and its conditional permutation
inference (Anselin 1995, Geographical Analysis 27, 93-115), as implemented by esda (Rey & Anselin 2007,
PySAL, Review of Regional Studies 37, 5-27), which we wrap and compare against on the same data and weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bettercities.analysis.spatial import service as spatial_service
from bettercities.analysis.spatial.schemas import WeightsSpec
from bettercities.analysis.spatial.statistics import ALTERNATIVE
from bettercities.core.errors import NotFound
from bettercities.storage.workspace import Workspace
from tests.support.berlin2019 import build_berlin_2019, file_layer
from tests.web.citybuilder import build_city

LATTICE = (("cell", "Zelle", "cell", (3, 3)),)
# Codes of the 3 x 3 lattice built by citybuilder: row by row from the south-west corner.
#   07 08 09
#   04 05 06
#   01 02 03
ROOK = {
    "01": ["02", "04"], "02": ["01", "03", "05"], "03": ["02", "06"],
    "04": ["01", "05", "07"], "05": ["02", "04", "06", "08"], "06": ["03", "05", "09"],
    "07": ["04", "08"], "08": ["05", "07", "09"], "09": ["06", "08"],
}  # fmt: skip


@pytest.fixture
def lattice(workspace: Workspace) -> Workspace:
    build_city(workspace, slug="lattice", levels=LATTICE, years=(2021,))
    return workspace


def hand_moran(values: dict[str, float], neighbours: dict[str, list[str]]) -> float:
    """Moran's I with row-standardised weights written out: sum_i z_i * mean(z_j, j ~ i) / sum_i z_i^2."""
    codes = sorted(values)
    y = np.array([values[c] for c in codes])
    z = dict(zip(codes, y - y.mean(), strict=True))
    cross = sum(z[i] * sum(z[j] for j in neighbours[i]) / len(neighbours[i]) for i in codes)
    return float(cross / sum(v * v for v in z.values()))


def test_moran_on_a_hand_made_lattice(lattice: Workspace) -> None:
    with lattice.database.reader() as session:
        result = spatial_service.analyse(
            session, "lattice", "green_space", period="2021", weights=WeightsSpec(kind="rook"), seed=7
        )
    # citybuilder: green_space = 5 + 2.5 * (position % 5) in 2021, positions 0..8 in code order
    values = {f"{i + 1:02d}": 5.0 + 2.5 * (i % 5) for i in range(9)}
    assert [a.area_id for a in result.areas] == sorted(values)
    assert [a.value for a in result.areas] == [values[c] for c in sorted(values)]
    assert result.n == 9 and result.mean_neighbors == pytest.approx(24 / 9)
    assert result.moran is not None
    assert result.moran.I == pytest.approx(hand_moran(values, ROOK), abs=1e-12)  # noqa: SIM300
    assert result.moran.expected_I == pytest.approx(-1 / 8)
    assert 0 < (result.moran.p_sim or 0) <= 1
    # the scatter plot: the slope of lag on z is Moran's I (row-standardised weights)
    z = np.array([a.z for a in result.areas])
    lag = np.array([a.lag for a in result.areas])
    assert float(z @ lag / (z @ z)) == pytest.approx(result.moran.I)
    assert sum(result.cluster_counts.values()) == 9 and sum(result.hotspot_counts.values()) == 9


# esda's classes still warn that their default alternative will change; the references below take their
# simulations and apply the alternative we use (ALTERNATIVE) themselves, so the default does not matter
ESDA_DEFAULT = "ignore:The alternative hypothesis:DeprecationWarning"


@pytest.mark.filterwarnings(ESDA_DEFAULT)
def test_lisa_and_gi_star_equal_esda_on_the_same_lattice(lattice: Workspace) -> None:
    import esda
    from esda.significance import calculate_significance
    from libpysal.weights import W

    with lattice.database.reader() as session:
        result = spatial_service.analyse(
            session, "lattice", "green_space", period="2021", weights=WeightsSpec(kind="rook"), seed=3,
            permutations=199,
        )  # fmt: skip
    codes = sorted(ROOK)
    y = np.array([a.value for a in result.areas])
    w = W(ROOK, id_order=codes)
    w.transform = "r"
    lisa = esda.Moran_Local(y, w, permutations=199, seed=3, n_jobs=1)
    np.testing.assert_allclose([a.local_i for a in result.areas], lisa.Is)
    reference = calculate_significance(lisa.Is, lisa.rlisas, alternative=ALTERNATIVE)
    np.testing.assert_allclose([a.p_sim for a in result.areas], reference, rtol=1e-6)
    binary = W(ROOK, id_order=codes)
    gi = esda.G_Local(y, binary, transform="R", star=1.0, permutations=199, seed=3, n_jobs=1)
    np.testing.assert_allclose([a.gi_star_z for a in result.areas], gi.Zs)
    reference = calculate_significance(gi.Gs, gi.rGs, alternative=ALTERNATIVE)
    np.testing.assert_allclose([a.gi_star_p_sim for a in result.areas], reference, rtol=1e-6)


def test_distance_weights_are_in_metres(lattice: Workspace) -> None:
    # cells are 0.2/3 deg wide (~4.5 km at 52.5 N) and 0.1/3 deg high (~3.7 km): a 4 km band links rows only
    with lattice.database.reader() as session:
        band = spatial_service.analyse(
            session, "lattice", "green_space", weights=WeightsSpec(kind="distance-band", threshold=4000),
            permutations=9,
        )  # fmt: skip
        knn = spatial_service.analyse(session, "lattice", "green_space", weights=WeightsSpec(kind="knn", k=2))
    assert band.mean_neighbors == pytest.approx(12 / 9)
    assert knn.mean_neighbors == 2


def test_unknown_names_are_not_found(lattice: Workspace) -> None:
    with lattice.database.reader() as session, pytest.raises(NotFound):
        spatial_service.analyse(session, "lattice", "green_space", level="nowhere")


@pytest.mark.slow
@pytest.mark.filterwarnings(ESDA_DEFAULT)
def test_berlin_2019_lisa_counts_equal_esda(sqlite_workspace: Workspace, open_data: Path) -> None:
    import esda
    from esda.significance import calculate_significance
    from libpysal.weights import Queen

    variable = "s3_percentage_transfer_payments_recipients"
    build_berlin_2019(sqlite_workspace, open_data)
    with sqlite_workspace.database.reader() as session:
        result = spatial_service.analyse(session, "berlin", variable, seed=1)
    ids, geometries, values = file_layer(open_data, variable)
    assert [a.area_id for a in result.areas] == ids and len(ids) == 447
    assert result.left_out == sorted(set(result.left_out)) and len(result.left_out) == 1
    w = Queen.from_iterable(geometries, ids=ids)
    w.transform = "r"
    y = np.array(values)
    lisa = esda.Moran_Local(y, w, permutations=999, seed=1, n_jobs=1)
    p_sim = calculate_significance(lisa.Is, lisa.rlisas, alternative=ALTERNATIVE)
    quadrant = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    expected = {c: 0 for c in ("HH", "LL", "LH", "HL", "ns")}
    for q, p in zip(lisa.q, p_sim, strict=True):
        expected[quadrant[int(q)] if p < 0.05 else "ns"] += 1
    assert result.cluster_counts == expected
    assert expected["HH"] > 0 and expected["LL"] > 0
    assert result.moran is not None
    assert result.moran.I == pytest.approx(esda.Moran(y, w, permutations=0).I, abs=1e-12)  # noqa: SIM300


def test_weights_are_built_once_per_data_version(lattice: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from bettercities.analysis.spatial import statistics
    from bettercities.storage import versioning

    builds: list[int] = []
    build = statistics.build_weights
    monkeypatch.setattr(statistics, "build_weights", lambda *a, **k: builds.append(1) or build(*a, **k))
    spatial_service._weights.clear()
    spec = WeightsSpec(kind="rook")

    def twice() -> list[tuple[float | None, float | None]]:
        results = []
        for _ in range(2):  # e.g. the page and its JSON twin, or a LISA and a Gi* rule of a priority set
            with lattice.database.reader() as session:
                result = spatial_service.analyse(
                    session, "lattice", "green_space", period="2021", weights=spec
                )
            results.append([(a.p_sim, a.gi_star_p_sim) for a in result.areas])
        assert results[0] == results[1]
        return results[0]

    first = twice()
    assert len(builds) == 1
    with lattice.database.session() as session:  # any committed write is a new data version
        versioning.mark_changed(session)
    assert twice() == first and len(builds) == 2
