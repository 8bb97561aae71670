"""Typologies: areas clustered by their standardised indicator profile (k-means or hierarchical).

:func:`cluster_labels` is the pure kernel (scikit-learn's k-means, scipy's hierarchical clustering);
:func:`typology` reads the published values of several indicators for the areas of a city level and
period, z-standardises each indicator over the areas that have all of them, clusters, and returns a typed
:class:`TypologyResult` with a profile (mean z-score per indicator) per cluster. Pages, API and CLI call it.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bettercities.analysis.index import kernels
from bettercities.analysis.spatial.service import resolve
from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity
from bettercities.indicators import service as indicators
from bettercities.publication import Audience

__all__ = [
    "ClusterMethod",
    "TypologyArea",
    "TypologyCluster",
    "TypologyResult",
    "cluster_labels",
    "typology",
]

#: Qualitative colours for up to 10 types (ColorBrewer "Set3"-like, readable on white).
TYPE_COLOURS = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e",
    "#e6ab02", "#a6761d", "#666666", "#1f78b4", "#b15928",
)  # fmt: skip
MAX_TYPES = len(TYPE_COLOURS)


class ClusterMethod(StrEnum):
    """How areas are grouped."""

    KMEANS = "kmeans"
    HIERARCHICAL = "hierarchical"


class TypologyCluster(BaseModel):
    """One type: its size and profile (mean z-score and mean raw value of every indicator)."""

    code: str
    size: int
    colour: str
    profile: dict[str, float] = Field(description="Mean z-score per indicator.")
    means: dict[str, float] = Field(description="Mean published value per indicator.")


class TypologyArea(BaseModel):
    area_id: str
    name: str
    cluster: str
    values: dict[str, float]


class TypologyResult(BaseModel):
    """Areas of a city level grouped into ``k`` types by their standardised indicator profile."""

    city: str
    period: str
    level: str
    indicators: list[str]
    method: ClusterMethod
    k: int
    seed: int
    clusters: list[TypologyCluster]
    areas: list[TypologyArea]
    within_ss: float = Field(description="Within-cluster sum of squared z-score distances.")
    left_out: list[str] = Field(default_factory=list, description="Areas missing a value of some indicator.")
    report: Report = Field(default_factory=Report)


def cluster_labels(
    matrix: npt.ArrayLike, k: int, *, method: ClusterMethod = ClusterMethod.KMEANS, seed: int = 1
) -> npt.NDArray[np.int64]:
    r"""Cluster the rows of ``matrix`` into ``k`` groups; labels ``0..k-1`` numbered by decreasing size.

    k-means (Lloyd's algorithm with k-means++ starts, 10 restarts; :class:`sklearn.cluster.KMeans`) or
    agglomerative clustering with Ward's criterion (Ward 1963, JASA 58, 236-244;
    :func:`scipy.cluster.hierarchy.linkage`, cut into ``k`` groups by
    :func:`~scipy.cluster.hierarchy.fcluster`). Both minimise the within-cluster sum of squares
    :math:`\sum_c \sum_{i \in c} \lVert x_i - \bar x_c \rVert^2`.
    Ties in size keep the order of first appearance, so labels are deterministic for a given seed.

    Examples
    --------
    >>> cluster_labels([[0.0], [0.1], [5.0], [5.1], [5.2]], 2).tolist()
    [1, 1, 0, 0, 0]
    """
    x = np.asarray(matrix, dtype=float)
    if method == ClusterMethod.KMEANS:
        from sklearn.cluster import KMeans

        raw = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        raw = fcluster(linkage(x, method="ward"), t=k, criterion="maxclust") - 1
    found, first, counts = np.unique(raw, return_index=True, return_counts=True)
    order = sorted(range(len(found)), key=lambda j: (-counts[j], first[j]))
    relabel = {int(found[j]): new for new, j in enumerate(order)}
    return np.array([relabel[int(r)] for r in raw], dtype=np.int64)


def typology(
    session: Session,
    slug: str,
    indicator_codes: list[str],
    *,
    period: str | None = None,
    level: str | None = None,
    k: int = 4,
    method: ClusterMethod = ClusterMethod.KMEANS,
    seed: int = 1,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
) -> TypologyResult:
    """Types of the areas of a city level by their z-standardised profile of ``indicator_codes``.

    Values published for ``audience`` (and the viewer's ``networks``) only; withheld and suppressed cells
    count as missing; areas missing any indicator are left out and
    reported. Each indicator is z-standardised (population standard deviation) over the kept areas, so
    every indicator weighs the same.
    """
    if len(indicator_codes) < 1:
        raise InvalidInput("a typology needs at least one indicator")
    if not 2 <= k <= MAX_TYPES:
        raise InvalidInput(f"k must be between 2 and {MAX_TYPES}")
    city, first, chosen_period, chosen_level = resolve(
        session, slug, indicator_codes[0], period=period, level=level
    )
    names = {a.code: a.name for a in areas.areas_of_level(session, chosen_level, at=chosen_period.end_date)}
    columns: dict[str, dict[str, float]] = {}
    for code in indicator_codes:
        indicator = first if code == first.code else indicators.get_indicator(session, code)
        values, _ = indicators.level_values(
            session, indicator, chosen_period, chosen_level, audience=audience, networks=networks
        )
        columns[code] = {v.area_code: v.value for v in values if v.value is not None and not v.suppressed}
        names.update({v.area_code: v.area_name for v in values})
    report = Report(source=f"{slug}/{chosen_level.code}/{chosen_period.code}")
    kept = sorted(code for code in names if all(code in col for col in columns.values()))
    left_out = sorted(set(names) - set(kept))
    for code in left_out:
        report.add(
            Problem(
                code="no-value",
                severity=Severity.WARNING,
                message="a value of some indicator is missing; left out of the typology",
                value=code,
            )
        )
    if len(kept) < k:
        raise InvalidInput(f"only {len(kept)} areas have every indicator; fewer than k = {k}", report)
    raw = np.column_stack([[columns[c][a] for a in kept] for c in indicator_codes])
    z = np.column_stack([kernels.zscore(raw[:, j]) for j in range(raw.shape[1])])
    labels = cluster_labels(z, k, method=method, seed=seed)
    clusters, within = [], 0.0
    for label in range(int(labels.max()) + 1):
        members = labels == label
        centre = z[members].mean(axis=0)
        within += float(((z[members] - centre) ** 2).sum())
        clusters.append(
            TypologyCluster(
                code=str(label + 1),
                size=int(members.sum()),
                colour=TYPE_COLOURS[label],
                profile={c: float(v) for c, v in zip(indicator_codes, centre, strict=True)},
                means={c: float(v) for c, v in zip(indicator_codes, raw[members].mean(axis=0), strict=True)},
            )
        )
    return TypologyResult(
        city=city.slug,
        period=chosen_period.code,
        level=chosen_level.code,
        indicators=list(indicator_codes),
        method=method,
        k=k,
        seed=seed,
        clusters=clusters,
        areas=[
            TypologyArea(
                area_id=code,
                name=names[code],
                cluster=str(int(labels[i]) + 1),
                values={c: float(raw[i, j]) for j, c in enumerate(indicator_codes)},
            )
            for i, code in enumerate(kept)
        ],
        within_ss=within,
        left_out=left_out,
        report=report,
    )
