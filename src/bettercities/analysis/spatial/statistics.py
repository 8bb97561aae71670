"""Spatial statistics wrapping esda and libpysal: weights, global Moran's I, LISA, Getis-Ord Gi*.

Nothing here re-implements a statistic; this module turns geodata into libpysal weights without
geopandas (geometries are read with pyogrio's raw reader into shapely objects), calls esda, and
returns typed results. esda and libpysal are imported lazily (they are heavy).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from bettercities.analysis.spatial.inference import Statistic, conditional_pseudo_p
from bettercities.analysis.spatial.schemas import (
    LocalArea,
    LocalResult,
    MoranResult,
    WeightsKind,
    WeightsSpec,
    WeightsSummary,
)
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity

if TYPE_CHECKING:
    from libpysal.weights import W

QUADRANTS: dict[int, Literal["HH", "LH", "LL", "HL"]] = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}

#: The alternative hypothesis of the local statistics' conditional permutation test (esda's ``alternative``).
#: ``directed``: the tail of the reference distribution is the one the observed statistic lies in, and
#: ``p = (min(M, R - M) + 1) / (R + 1)`` with ``M`` the R simulated values at or above it. That is GeoDa's
#: pseudo p-value for LISA and Gi*, and esda's behaviour before its announced change of default; esda's
#: ``two-sided`` would roughly double every p-value (a cluster at ``directed`` p < 0.05 is one at
#: ``two-sided`` p < 0.10). Set explicitly so that an esda release cannot change the maps silently.
ALTERNATIVE = "directed"


@dataclass
class Layer:
    """Geometries (shapely) with their ids and attributes, as read from a geodata file."""

    ids: list[str]
    geometries: list[Any]
    attributes: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    source: str | None = None
    crs: str | None = None
    report: Report = field(default_factory=Report)


def read_geodata(
    path: str | Path, *, id_column: str | None = None, duplicates: Literal["error", "merge"] = "error"
) -> Layer:
    """Read any OGR vector file (GeoJSON, GeoPackage, shapefile …) without geopandas.

    Ids come from ``id_column`` (as text), else from an ``id`` attribute, else are row numbers.
    Features sharing an id are refused (:class:`InvalidInput` naming the rows) unless
    ``duplicates="merge"`` unites them into one area (for files that split an area into parts).
    """
    import pyogrio.raw
    import shapely

    meta, _fids, wkb, fields = pyogrio.raw.read(str(path))
    names = [str(n) for n in meta["fields"]]
    attributes = dict(zip(names, fields, strict=True))
    source = str(path)
    if id_column is not None and id_column not in attributes:
        report = Report(source=source)
        report.add(
            Problem(
                code="missing-column", message="id column not in the geodata", file=source, column=id_column
            )
        )
        raise InvalidInput(f"{source}: id column {id_column!r} not found", report)
    key = id_column or ("id" if "id" in attributes else None)
    ids = [str(v) for v in attributes[key]] if key else [str(i) for i in range(len(wkb))]
    layer = Layer(
        ids=ids,
        geometries=list(shapely.from_wkb(wkb)),
        attributes=attributes,
        source=source,
        crs=meta.get("crs"),
        report=Report(source=source),
    )
    return _merge_duplicates(layer, key, merge=duplicates == "merge")


def _merge_duplicates(layer: Layer, key: str | None, *, merge: bool) -> Layer:
    """One area per id: features sharing an id are an error, or merged with a warning.

    Real boundary files contain such slips: the Berlin planning areas until 2020 give the id
    ``06010102`` (Schloßstraße, Steglitz) also to Schloßstraße in Charlottenburg (``04030417``).
    Merging would be wrong there, so it must be asked for. Attributes come from the first feature.
    """
    import shapely

    first: dict[str, int] = {}
    parts: dict[str, list[int]] = {}
    for row, area_id in enumerate(layer.ids):
        first.setdefault(area_id, row)
        parts.setdefault(area_id, []).append(row)
    if len(first) == len(layer.ids):
        return layer
    for area_id, rows in parts.items():
        if len(rows) > 1:
            layer.report.add(
                Problem(
                    code="duplicate-key",
                    severity=Severity.WARNING if merge else Severity.ERROR,
                    message=f"{len(rows)} features share this id (features "
                    f"{', '.join(str(r + 1) for r in rows)})"
                    + ("; their geometries were merged" if merge else ""),
                    file=layer.source,
                    row=rows[1] + 1,
                    column=key,
                    value=area_id,
                )
            )
    if not merge:
        raise InvalidInput(f"{layer.source}: {layer.report.summary()}", layer.report)
    keep = sorted(first.values())
    geometries = [shapely.union_all([layer.geometries[r] for r in parts[layer.ids[k]]]) for k in keep]
    return Layer(
        ids=[layer.ids[k] for k in keep],
        geometries=geometries,
        attributes={name: values[keep] for name, values in layer.attributes.items()},
        source=layer.source,
        crs=layer.crs,
        report=layer.report,
    )


def build_weights(layer: Layer, spec: WeightsSpec) -> W:
    """libpysal weights of ``spec.kind`` from the layer's geometries, transformed per ``spec.transform``.

    Contiguity (queen: a shared point; rook: a shared edge) uses the polygons; distance band and
    k nearest neighbours use centroids, in the layer's coordinate units (project first for metres).
    """
    import shapely
    from libpysal import weights

    if spec.kind in (WeightsKind.QUEEN, WeightsKind.ROOK):
        cls = weights.Queen if spec.kind == WeightsKind.QUEEN else weights.Rook
        w = cls.from_iterable(layer.geometries, ids=layer.ids, silence_warnings=True)
    else:
        centroids = shapely.centroid(np.asarray(layer.geometries, dtype=object))
        coords = np.column_stack([shapely.get_x(centroids), shapely.get_y(centroids)])
        if spec.kind == WeightsKind.KNN:
            if spec.k >= len(layer.ids):  # libpysal fails with an IndexError
                raise InvalidInput(
                    f"{layer.source}: k = {spec.k} nearest neighbours need more than {spec.k} areas; "
                    f"the layer has {len(layer.ids)}"
                )
            w = weights.KNN.from_array(coords, k=spec.k, ids=layer.ids, silence_warnings=True)
        else:
            w = weights.DistanceBand.from_array(
                coords, threshold=spec.threshold, binary=spec.binary, ids=layer.ids, silence_warnings=True
            )
    # libpysal orders string ids lexicographically by default; the values follow the file order.
    w.id_order = list(layer.ids)
    w.transform = spec.transform
    return w


def summarise(w: W, kind: WeightsKind) -> WeightsSummary:
    return WeightsSummary(
        kind=kind, n=int(w.n), mean_neighbors=float(w.mean_neighbors), islands=[str(i) for i in w.islands]
    )


def _values(layer: Layer, variable: str) -> tuple[npt.NDArray[np.float64], Report]:
    report = Report(source=layer.source, problems=list(layer.report.problems))
    if variable not in layer.attributes:
        report.add(
            Problem(
                code="missing-column",
                message="variable not in the geodata",
                file=layer.source,
                column=variable,
            )
        )
        raise InvalidInput(f"{layer.source}: variable {variable!r} not found", report)
    raw = layer.attributes[variable]
    values = np.full(len(raw), np.nan)
    for i, cell in enumerate(raw):
        with suppress(TypeError, ValueError):
            values[i] = float(cell)
        if not np.isfinite(values[i]):
            report.add(
                Problem(
                    code="type-error",
                    message="not a finite number",
                    file=layer.source,
                    row=i + 1,
                    column=variable,
                    value=None if cell is None else str(cell),
                )
            )
    if not report.ok:
        raise InvalidInput(f"{layer.source}: {report.summary()}", report)
    return values, report


@contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    # esda's global Moran draws from numpy's global generator; seed it, then restore its state.
    state = np.random.get_state()
    if seed is not None:
        np.random.seed(seed)
    try:
        yield
    finally:
        if seed is not None:
            np.random.set_state(state)


def w_binary(w: W) -> W:
    """A binary copy of ``w`` (Gi* is defined on binary weights plus the self-weight)."""
    from libpysal.weights import W as Weights

    copy = Weights(w.neighbors, id_order=list(w.id_order), silence_warnings=True)
    copy.transform = "b"
    return copy


def _pseudo_p(
    z: npt.NDArray[np.float64],
    w: W,
    observed: npt.NDArray[np.float64],
    statistic: Statistic,
    scaling: float,
    permutations: int,
    seed: int | None,
) -> npt.NDArray[np.float64]:
    """Conditional permutation pseudo p-values of local statistics ``observed`` (:data:`ALTERNATIVE`).

    The numbers of :func:`esda.crand.crand` (same draws, same arithmetic), vectorised over the areas:
    see :mod:`bettercities.analysis.spatial.inference`.
    """
    return conditional_pseudo_p(
        z, w.sparse, observed, statistic=statistic, scaling=scaling, permutations=permutations, seed=seed
    )


def local_statistics(
    y: npt.NDArray[np.float64],
    w: W,
    ids: list[str],
    *,
    permutations: int,
    seed: int | None,
    alpha: float,
    gi_star: bool = True,
) -> list[LocalArea]:
    r"""LISA (Anselin 1995) and Getis-Ord :math:`G_i^*` (Getis & Ord 1992; Ord & Getis 1995) per area.

    LISA: :math:`I_i = z_i \sum_j w_{ij} z_j / m_2` (:class:`esda.Moran_Local`); an area is in cluster
    HH/LL/HL/LH when ``p_sim < alpha``, else ``ns``. Gi*: standardised :math:`G_i^*` with the area itself
    among its neighbours (:class:`esda.G_Local` with ``star=True``); hot when significant and ``z > 0``.
    Both ``p_sim`` are conditional permutation pseudo p-values (the numbers of :func:`esda.crand.crand`,
    the routine the two classes call, computed by :mod:`~bettercities.analysis.spatial.inference`) with
    the :data:`ALTERNATIVE` hypothesis set explicitly: with :math:`M` of the :math:`R` simulated
    statistics of area :math:`i` at or above the observed one,
    :math:`p_i = (\min(M, R - M) + 1) / (R + 1)` (GeoDa's pseudo p-value).

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> w = lat2W(3, 3)
    >>> y = np.array([1., 1., 5., 1., 1., 5., 5., 5., 5.])
    >>> [a.quadrant for a in local_statistics(y, w, [str(i) for i in range(9)],
    ...  permutations=99, seed=1, alpha=0.05)][:3]
    ['LL', 'LL', 'HL']
    """
    import esda

    # The statistics from the classes (without their permutations: esda 2.9's classes take no
    # ``alternative``), the inference from the same routine they call, with the same arguments and seed.
    lisa = esda.Moran_Local(y, w, transformation=w.transform, permutations=0, n_jobs=1)
    scaling = (len(y) - 1) / float((lisa.z * lisa.z).sum())  # esda's crand: (n - 1) / sum z^2
    lisa_p = _pseudo_p(lisa.z, lisa.w, lisa.Is, "moran", scaling, permutations, seed)
    gi = gi_p = None
    if gi_star:
        # star=1.0: the area itself counts as a neighbour with weight 1 before row standardisation.
        gi = esda.G_Local(y, w_binary(w), transform="R", star=1.0, permutations=0, n_jobs=1)
        gi_p = _pseudo_p(y, gi.w, gi.Gs, "gi_star", float(y.sum()), permutations, seed)
    areas = []
    for i, area_id in enumerate(ids):
        quadrant = QUADRANTS[int(lisa.q[i])]
        p = float(lisa_p[i])
        area = LocalArea(
            area_id=area_id,
            value=float(y[i]),
            local_i=float(lisa.Is[i]),
            quadrant=quadrant,
            p_sim=p,
            cluster=quadrant if p < alpha else "ns",
        )
        if gi is not None and gi_p is not None:
            z, gp = float(gi.Zs[i]), float(gi_p[i])
            area.gi_star_z, area.gi_star_p_sim = z, gp
            area.hotspot = ("hot" if z > 0 else "cold") if gp < alpha else "ns"
        areas.append(area)
    return areas


def moran(
    layer: Layer,
    variable: str,
    *,
    weights: WeightsSpec | None = None,
    permutations: int = 999,
    seed: int | None = None,
    local: bool = False,
    alpha: float = 0.05,
    w: W | None = None,
) -> MoranResult:
    r"""Global Moran's I of ``variable`` with permutation inference (:class:`esda.Moran`).

    .. math:: I = \frac{n}{S_0} \frac{\sum_i \sum_j w_{ij} z_i z_j}{\sum_i z_i^2},
              \qquad E[I] = -\frac{1}{n-1}

    ``w``: the layer's weights of ``weights`` when the caller has them already (built once, shared).
    ``p_sim`` is the one-sided pseudo p-value of ``permutations`` random relabellings
    (``(M + 1) / (permutations + 1)``), ``z_sim`` the standardised I against them. Reference:
    Moran (1950), Biometrika 37, 17-23; Anselin (1995), Geographical Analysis 27, 93-115.

    Examples
    --------
    >>> import libpysal
    >>> layer = read_geodata(libpysal.examples.get_path("columbus.json"))
    >>> round(moran(layer, "CRIME", permutations=99, seed=1).I, 4)
    0.5002
    """
    import esda

    spec = weights or WeightsSpec()
    values, report = _values(layer, variable)
    if w is None:
        w = build_weights(layer, spec)
    summary = summarise(w, spec.kind)
    if summary.islands:
        report.add(
            Problem(
                code="islands",
                severity=Severity.WARNING,
                file=layer.source,
                message=f"{len(summary.islands)} areas have no neighbours: "
                + ", ".join(summary.islands[:20]),
            )
        )
    with _seeded(seed):
        m = esda.Moran(values, w, transformation=spec.transform, permutations=permutations)
    local_areas = None
    if local:
        local_areas = local_statistics(
            values, w, layer.ids, permutations=permutations, seed=seed, alpha=alpha
        )
    return MoranResult(
        variable=variable,
        n=int(w.n),
        weights=summary,
        permutations=permutations,
        seed=seed,
        I=float(m.I),
        expected_I=float(m.EI),
        variance_I_norm=float(m.VI_norm),
        z_norm=float(m.z_norm),
        p_norm=float(m.p_norm),
        p_sim=float(m.p_sim) if permutations else None,
        z_sim=float(m.z_sim) if permutations else None,
        alpha=alpha,
        local=local_areas,
        report=report,
    )


def local_moran(
    layer: Layer,
    variable: str,
    *,
    weights: WeightsSpec | None = None,
    permutations: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
) -> LocalResult:
    """LISA clusters and Getis-Ord Gi* hot/cold spots of ``variable`` for every area."""
    spec = weights or WeightsSpec()
    values, report = _values(layer, variable)
    w = build_weights(layer, spec)
    areas = local_statistics(values, w, layer.ids, permutations=permutations, seed=seed, alpha=alpha)
    return LocalResult(
        variable=variable,
        n=int(w.n),
        weights=summarise(w, spec.kind),
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        areas=areas,
        report=report,
    )
