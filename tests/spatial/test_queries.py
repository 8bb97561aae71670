"""The spatial queries that the API, the pages and the CLI share: permalink parameters, loose weight
options, and one result whichever face runs them."""

from __future__ import annotations

import pytest

from bettercities.analysis.spatial import service as spatial_service
from bettercities.analysis.spatial.queries import SpatialQuery, TypologyQuery
from bettercities.analysis.spatial.schemas import WeightsKind, WeightsSpec
from bettercities.analysis.spatial.typology import ClusterMethod
from bettercities.core.errors import InvalidInput
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.views.reader import Reader
from tests.spatial.test_spatial_service import LATTICE
from tests.web.citybuilder import build_city


def test_permalinks_leave_the_defaults_out() -> None:
    assert SpatialQuery(indicator="x").params() == {
        "indicator": "x", "period": None, "level": None, "weights": None, "k": None, "threshold": None,
        "permutations": None, "seed": None, "alpha": None,
    }  # fmt: skip
    knn = SpatialQuery(indicator="x", weights=WeightsSpec(kind=WeightsKind.KNN, k=3), permutations=99)
    assert knn.params()["weights"] == "knn" and knn.params()["k"] == 3 and knn.params()["permutations"] == 99
    types = TypologyQuery(indicators=["a", "b"], k=3, method=ClusterMethod.HIERARCHICAL)
    assert types.params() == {
        "indicator": ["a", "b"], "period": None, "level": None, "k": 3, "method": "hierarchical",
        "seed": None,
    }  # fmt: skip


def test_loose_weight_options_are_checked() -> None:
    assert WeightsSpec.of("knn", k=2) == WeightsSpec(kind=WeightsKind.KNN, k=2)
    with pytest.raises(InvalidInput, match=r"^invalid weights: .*threshold"):
        WeightsSpec.of("distance-band")
    with pytest.raises(InvalidInput, match=r"^invalid weights: "):
        WeightsSpec.of("hexagonal")


def test_a_query_gives_the_service_result_for_its_audience(workspace: Workspace) -> None:
    build_city(workspace, slug="lattice", levels=LATTICE, years=(2021,))
    query = SpatialQuery(indicator="green_space", weights=WeightsSpec(kind=WeightsKind.ROOK), seed=7)
    with workspace.database.reader() as session:
        ran = query.run(Reader(session, audience=Audience.PUBLIC), "lattice")
        direct = spatial_service.analyse(
            session, "lattice", "green_space", weights=WeightsSpec(kind=WeightsKind.ROOK), seed=7
        )
    assert ran == direct and ran.n == 9
