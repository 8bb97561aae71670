"""The vectorised conditional permutation inference gives esda's p-values, equal and not approximately.

Reference: :func:`esda.crand.crand` (esda 2.9, the routine :class:`esda.Moran_Local` and :class:`esda.G_Local`
call) with ``alternative="directed"``, the same seed and the same statistic functions
(``esda.moran._moran_local_crand``, ``esda.getisord._g_local_star_crand``), called on the same data. The
data: libpysal's bundled Columbus crime (49 areas, queen weights), a 20 x 20 lattice of rounded values (ties
between draws and observed statistics are frequent, so a different summation order would show), and a
weights set with an island.
"""

from __future__ import annotations

from pathlib import Path

import esda
import libpysal
import numpy as np
import pytest
from esda.crand import crand
from esda.getisord import _g_local_star_crand
from esda.moran import _moran_local_crand
from libpysal.weights import W, lat2W

from bettercities.analysis.spatial import statistics as spatial
from bettercities.analysis.spatial.inference import conditional_pseudo_p
from bettercities.analysis.spatial.schemas import WeightsSpec


def _columbus() -> tuple[np.ndarray, W]:
    layer = spatial.read_geodata(Path(libpysal.examples.get_path("columbus.json")))
    return np.asarray(layer.attributes["CRIME"], dtype=float), spatial.build_weights(layer, WeightsSpec())


def _lattice() -> tuple[np.ndarray, W]:
    y = np.round(np.random.default_rng(5).normal(3.0, 1.0, 400))  # a handful of distinct values
    return y, lat2W(20, 20, rook=False)


def _island() -> tuple[np.ndarray, W]:
    return np.array([1.0, 3.0, 2.0, 7.0, 4.0]), W(
        {0: [1], 1: [0, 2], 2: [1, 4], 3: [], 4: [2]}, silence_warnings=True
    )


@pytest.mark.parametrize("data", [_columbus, _lattice, _island], ids=["columbus", "lattice", "island"])
def test_equal_to_esda_crand(data) -> None:  # type: ignore[no-untyped-def]
    y, w = data()
    w.transform = "r"
    lisa = esda.Moran_Local(y, w, transformation="r", permutations=0, n_jobs=1)
    scaling = (len(y) - 1) / float((lisa.z * lisa.z).sum())
    ours = conditional_pseudo_p(
        lisa.z, lisa.w.sparse, lisa.Is, statistic="moran", scaling=scaling, permutations=999, seed=11
    )
    theirs, _ = crand(lisa.z, lisa.w, lisa.Is, 999, False, 1, _moran_local_crand, None, 11, 0, "directed")
    np.testing.assert_array_equal(ours, np.asarray(theirs, dtype=float))

    gi = esda.G_Local(y, spatial.w_binary(w), transform="R", star=1.0, permutations=0, n_jobs=1)
    total = float(y.sum())
    ours = conditional_pseudo_p(
        y, gi.w.sparse, gi.Gs, statistic="gi_star", scaling=total, permutations=999, seed=11
    )
    theirs, _ = crand(y, gi.w, gi.Gs, 999, False, 1, _g_local_star_crand, total, 11, 0, "directed")
    np.testing.assert_array_equal(ours, np.asarray(theirs, dtype=float))


def test_the_weights_are_left_as_they_were() -> None:
    y, w = _lattice()
    w.transform = "r"
    before = w.sparse.copy()
    z = (y - y.mean()) / y.std()
    conditional_pseudo_p(z, w.sparse, z, statistic="moran", scaling=1.0, permutations=9, seed=1)
    assert (w.sparse != before).nnz == 0


def test_no_permutations_no_p_values() -> None:
    y, w = _island()
    p = conditional_pseudo_p(y, w.sparse, y, statistic="moran", scaling=1.0, permutations=0, seed=1)
    assert np.isnan(p).all()
