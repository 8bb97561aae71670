"""Spatial statistics on stored data: weights from a level's stored geometries; Moran, LISA and Gi*.

The statistics themselves are :mod:`~bettercities.analysis.spatial.statistics` (esda/libpysal); this module
only reads the published values of an indicator for the areas of a city level and period
(:func:`bettercities.indicators.service.level_values`, which applies the publication step), joins them with
the stored GeoJSON geometries of those areas, and returns a typed :class:`SpatialAnalysis`. Pages, the
JSON API and the CLI all call :func:`analyse`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from bettercities.analysis.spatial import statistics as spatial
from bettercities.analysis.spatial.schemas import (
    CLUSTERS,
    HOTSPOTS,
    GlobalMoran,
    SpatialAnalysis,
    SpatialArea,
    WeightsKind,
    WeightsSpec,
)
from bettercities.areas import service as areas
from bettercities.areas.models import City, SpatialLevel
from bettercities.core.errors import NotFound
from bettercities.core.problems import Problem, Report, Severity
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Period
from bettercities.publication import Audience
from bettercities.storage import versioning

__all__ = ["analyse", "level_layer", "level_weights", "resolve"]

#: metres per degree of latitude (mean); longitudes are scaled by cos(mean latitude)
METRES_PER_DEGREE = 111_195.0

#: Weights of the layers analysed last, by what they are built from. Contiguity of 10,000 polygons
#: takes seconds; the page, its JSON twin and every LISA or Gi* condition of the priority rules on the
#: same level, period and areas then share one build.
WEIGHTS_KEPT = 16
_weights: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_weights_lock = threading.Lock()


def resolve(
    session: Session, slug: str, indicator_code: str, *, period: str | None = None, level: str | None = None
) -> tuple[City, Indicator, Period, SpatialLevel]:
    """The city, indicator, period (default: the latest with data) and level (default: the finest)."""
    city = areas.get_city(session, slug)
    indicator = indicators.get_indicator(session, indicator_code)
    if period is None:
        periods = indicators.list_periods(session, city, indicator)
        if not periods:
            raise NotFound("period with data", f"{slug}/{indicator_code}")
        period = periods[-1].code
    chosen_period = indicators.get_period(session, period)
    if level is None:
        finest = areas.finest_level(session, city)
        if finest is None:
            raise NotFound("spatial level", slug)
        chosen_level = finest
    else:
        chosen_level = areas.get_level(session, city, level)
    return city, indicator, chosen_period, chosen_level


def _metres(geometries: list[Any]) -> list[Any]:
    """Geometries in approximate metres (equirectangular about the mean latitude; exact enough in a city)."""
    import shapely

    array = np.asarray(geometries, dtype=object)
    lat0 = float(np.mean(shapely.get_y(shapely.centroid(array))))
    kx = METRES_PER_DEGREE * math.cos(math.radians(lat0))

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([coords[:, 0] * kx, coords[:, 1] * METRES_PER_DEGREE])

    return list(shapely.transform(array, project))


def level_layer(
    session: Session, level: SpatialLevel, period: Period, values: dict[str, float], *, metres: bool = False
) -> tuple[spatial.Layer, dict[str, str], Report]:
    """A :class:`~bettercities.analysis.spatial.statistics.Layer` of the areas of ``level`` valid at the
    period's end
    that have both a geometry and a value, ordered by area code; also the names and a report of the
    areas left out (no value or no geometry)."""
    import shapely

    report = Report(source=f"{level.code}/{period.code}")
    rows = [a for a in areas.areas_of_level(session, level, at=period.end_date)]
    rows.sort(key=lambda a: a.code)
    ids, texts, names = [], [], {}
    for area in rows:
        names[area.code] = area.name
        if area.code not in values:
            report.add(
                Problem(
                    code="no-value",
                    severity=Severity.WARNING,
                    message="no published value; left out of the spatial statistics",
                    value=area.code,
                )
            )
        elif not area.geometry:
            report.add(
                Problem(
                    code="no-geometry",
                    severity=Severity.WARNING,
                    message="no stored geometry; left out of the spatial statistics",
                    value=area.code,
                )
            )
        else:
            ids.append(area.code)
            texts.append(area.geometry)
    geometries = list(shapely.from_geojson(texts)) if texts else []
    if metres and geometries:
        geometries = _metres(geometries)
    layer = spatial.Layer(
        ids=ids,
        geometries=geometries,
        attributes={"value": np.array([values[i] for i in ids], dtype=float)},
        source=report.source,
        crs="approximate metres" if metres else "EPSG:4326",
        report=report,
    )
    return layer, names, report


def level_weights(
    session: Session, level: SpatialLevel, period: Period, layer: spatial.Layer, spec: WeightsSpec
) -> Any:
    """The weights of ``layer`` (the areas of ``level`` at ``period``), built once per data version.

    Keyed by the database, its data version (any committed write changes it), the level, the period,
    the areas in the layer and the weights' specification; a session with uncommitted writes builds
    its own. Each call gets its own :class:`libpysal.weights.W` over the shared neighbours (a copy
    costs well under a millisecond), so that a caller's transform does not change another's.
    """
    from libpysal.weights import W

    if versioning.has_changes(session):
        return spatial.build_weights(layer, spec)
    key = (
        str(session.get_bind().engine.url),
        versioning.current_version(session),
        level.id,
        period.id,
        spec.model_dump_json(),
        tuple(layer.ids),
    )
    with _weights_lock:
        built = _weights.get(key)
        if built is not None:
            _weights.move_to_end(key)
    if built is None:
        built = spatial.build_weights(layer, spec)
        with _weights_lock:
            _weights[key] = built
            while len(_weights) > WEIGHTS_KEPT:
                _weights.popitem(last=False)
    w = W(built.neighbors, built.transformations["O"], id_order=list(built.id_order), silence_warnings=True)
    w.transform = spec.transform
    return w


def analyse(
    session: Session,
    slug: str,
    indicator_code: str,
    *,
    period: str | None = None,
    level: str | None = None,
    weights: WeightsSpec | None = None,
    permutations: int = 999,
    seed: int | None = 1,
    alpha: float = 0.05,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
) -> SpatialAnalysis:
    r"""Global Moran's I, LISA clusters and Getis-Ord Gi* of an indicator over the areas of a city level.

    Values are the ones of ``period`` published for ``audience`` (and the viewer's ``networks``); withheld and
    suppressed cells are left out, like areas without a value or a geometry; each is reported. Contiguity
    weights (queen, rook) come from the stored polygons; distance band and k nearest neighbours from their
    centroids in approximate metres, so a distance band ``threshold`` is in metres. Permutation inference is
    seeded (``seed``), so results are reproducible. The statistics are those of
    :func:`~.statistics.moran` (Moran 1950; Anselin 1995; Getis & Ord 1992); the Moran
    scatter plot pairs each standardised value :math:`z_i` with its spatial lag :math:`\sum_j w_{ij} z_j`
    (row-standardised weights).
    """
    from libpysal.weights import lag_spatial

    spec = weights or WeightsSpec()
    city, indicator, chosen_period, chosen_level = resolve(
        session, slug, indicator_code, period=period, level=level
    )
    published, _ = indicators.level_values(
        session, indicator, chosen_period, chosen_level, audience=audience, networks=networks
    )
    values = {v.area_code: v.value for v in published if v.value is not None and not v.suppressed}
    layer, names, report = level_layer(
        session,
        chosen_level,
        chosen_period,
        values,
        metres=spec.kind in (WeightsKind.DISTANCE_BAND, WeightsKind.KNN),
    )
    state = {
        "city": city.slug,
        "indicator": indicator.code,
        "period": chosen_period.code,
        "level": chosen_level.code,
        "weights": spec,
        "permutations": permutations,
        "seed": seed,
        "alpha": alpha,
    }
    if len(layer.ids) < 3:
        report.add(Problem(code="too-few-areas", message="fewer than 3 areas with a value and a geometry"))
        return SpatialAnalysis(**state, n=len(layer.ids), areas=[], report=report)
    w = level_weights(session, chosen_level, chosen_period, layer, spec)
    result = spatial.moran(
        layer, "value", weights=spec, permutations=permutations, seed=seed, local=True, alpha=alpha, w=w
    )
    y = layer.attributes["value"]
    z = (y - y.mean()) / y.std(ddof=0) if y.std(ddof=0) > 0 else np.zeros_like(y)
    w.transform = "r"
    lag = lag_spatial(w, z)
    report.extend(p for p in result.report.problems if p not in report.problems)
    spatial_areas = [
        SpatialArea(
            **local.model_dump(), name=names.get(local.area_id, local.area_id), z=float(zi), lag=float(li)
        )
        for local, zi, li in zip(result.local or [], z, lag, strict=True)
    ]
    return SpatialAnalysis(
        **state,
        n=result.n,
        moran=GlobalMoran(
            I=result.I,
            expected_I=result.expected_I,
            p_sim=result.p_sim,
            z_sim=result.z_sim,
            p_norm=result.p_norm,
            z_norm=result.z_norm,
        ),
        mean_neighbors=result.weights.mean_neighbors,
        islands=result.weights.islands,
        areas=spatial_areas,
        cluster_counts={c: sum(a.cluster == c for a in spatial_areas) for c in CLUSTERS},
        hotspot_counts={h: sum(a.hotspot == h for a in spatial_areas) for h in HOTSPOTS},
        left_out=[str(p.value) for p in report.problems if p.code in ("no-value", "no-geometry")],
        report=report,
    )
