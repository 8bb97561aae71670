"""Typologies: the clustering kernel recovers constructed clusters; the service clusters stored profiles.

References: k-means minimises the within-cluster sum of squares (Lloyd 1982, IEEE Trans. Inf. Theory 28,
129-137; k-means++ starts: Arthur & Vassilvitskii 2007); Ward's hierarchical method merges the pair of
clusters that least increases it (Ward 1963, JASA 58, 236-244). On three well separated Gaussian blobs
(centres 10 standard deviations apart) both must find exactly the three blobs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bettercities.analysis.spatial.typology import ClusterMethod, cluster_labels, typology
from bettercities.core.errors import InvalidInput
from bettercities.storage.workspace import Workspace
from tests.support.berlin2019 import build_berlin_2019
from tests.web.citybuilder import build_city

CENTRES = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 5.0], [0.0, 10.0, -5.0]])
SIZES = (40, 25, 15)


def blobs(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(3), SIZES)
    points = CENTRES[truth] + rng.normal(0.0, 1.0, (len(truth), 3))
    order = rng.permutation(len(truth))
    return points[order], truth[order]


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to renaming the labels."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("method", list(ClusterMethod))
def test_three_constructed_clusters_are_recovered(method: ClusterMethod) -> None:
    points, truth = blobs()
    labels = cluster_labels(points, 3, method=method, seed=1)
    assert same_partition(labels, truth)
    # numbered by decreasing size: type 0 is the blob of 40
    assert np.bincount(labels).tolist() == list(SIZES)


def test_kmeans_equals_scikit_learn_directly() -> None:
    from sklearn.cluster import KMeans

    points, _ = blobs(seed=11)
    direct = KMeans(n_clusters=3, n_init=10, random_state=5).fit_predict(points)
    assert same_partition(cluster_labels(points, 3, seed=5), direct)


def test_labels_are_reproducible() -> None:
    points, _ = blobs(seed=4)
    assert cluster_labels(points, 4, seed=9).tolist() == cluster_labels(points, 4, seed=9).tolist()


def test_typology_of_stored_values(sqlite_workspace: Workspace) -> None:
    build_city(sqlite_workspace, slug="grid", levels=(("cell", "Zelle", "cell", (4, 4)),), years=(2021,))
    with sqlite_workspace.database.reader() as session:
        result = typology(session, "grid", ["unemployment", "green_space"], k=3, seed=2)
        ward = typology(session, "grid", ["unemployment", "green_space"], k=3, method="hierarchical")
        with pytest.raises(InvalidInput):
            typology(session, "grid", ["unemployment"], k=20)
    assert len(result.areas) == 16 and result.left_out == []
    assert sum(c.size for c in result.clusters) == 16 == sum(c.size for c in ward.clusters)
    assert [c.code for c in result.clusters] == ["1", "2", "3"]
    # profiles are cluster means of the z-scores: weighted by size they average to 0 for every indicator
    for code in result.indicators:
        assert sum(c.size * c.profile[code] for c in result.clusters) == pytest.approx(0, abs=1e-9)
    for cluster in result.clusters:
        members = [a for a in result.areas if a.cluster == cluster.code]
        assert cluster.means["unemployment"] == pytest.approx(
            np.mean([a.values["unemployment"] for a in members])
        )


@pytest.mark.slow
def test_berlin_2019_status_typology(sqlite_workspace: Workspace, open_data: Path) -> None:
    build_berlin_2019(sqlite_workspace, open_data)
    codes = [
        "s1_percentage_unemployed",
        "s3_percentage_transfer_payments_recipients",
        "s4_percentage_transfer_payments_recipients_below_15_years",
    ]
    with sqlite_workspace.database.reader() as session:
        result = typology(session, "berlin", codes, k=4, seed=1)
    assert len(result.areas) == 447 and result.left_out == ["09041403"]
    # the type with the highest unemployment profile also has the highest transfer-payment profile
    top = max(result.clusters, key=lambda c: c.profile[codes[0]])
    assert top.profile[codes[1]] == max(c.profile[codes[1]] for c in result.clusters)


def test_docstring_examples() -> None:
    import doctest

    from bettercities.analysis.index import kernels
    from bettercities.analysis.spatial import typology as module

    for mod in (module, kernels):
        result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0
