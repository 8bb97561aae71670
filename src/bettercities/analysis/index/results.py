"""Stored index runs: an index computed on stored observations, kept as derived data with provenance.

A run records the method, the full configuration, the input provenance (city, level, period, each
indicator's revisions and import batches), the time, the user and the bettercities version, and one
row per area with its index values and classes. :func:`run_index` is the one function behind the
library, ``bettercities index run`` and the web pages.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bettercities.analysis.index.config import load_config
from bettercities.analysis.index.inputs import IndexInput, InputProvenance, index_input
from bettercities.analysis.index.methods import get_method
from bettercities.analysis.index.models import IndexRun, IndexRunArea
from bettercities.analysis.index.robustness import RobustnessResult, robustness
from bettercities.analysis.index.schemas import (
    AreaScore,
    ClassCount,
    CompositeAreaScore,
    IndexConfigBase,
    IndexResult,
    MssAreaScore,
    MssConfig,
    UnscoredReason,
)
from bettercities.analysis.index.service import compute_index
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.audit import recording as audit
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Report
from bettercities.core.timestamps import UtcDateTime
from bettercities.indicators.models import Indicator
from bettercities.publication import Audience, publish_scores, withheld_indicators


class RunSummary(BaseModel):
    """One stored index run as listed: what, where, when, by whom, and its class counts."""

    id: int
    city: str
    name: str
    method: str
    level: str
    period: str
    computed_at: UtcDateTime
    user: str | None
    version: str
    areas: int
    scored: int = Field(
        description="Scored areas (for the public: scored areas whose results are published)."
    )
    class_counts: dict[str, list[ClassCount]] = Field(
        default_factory=dict,
        description="Scored areas per class, per index part; for every audience but the city's data team "
        "only the areas whose results are published (see ``withheld``).",
    )
    withheld: int = Field(
        default=0,
        description="Areas whose results are withheld from this audience (an input value withheld by "
        "disclosure control, or an input indicator not published for it); counted in no class.",
    )


class StoredRun(RunSummary):
    """A stored run with its configuration, input provenance and the full result."""

    config: dict[str, Any]
    inputs: InputProvenance
    result: IndexResult
    names: dict[str, str | None] = Field(default_factory=dict, description="Area names by code.")
    public: IndexResult | None = Field(
        default=None,
        exclude=True,
        description="The result computed without the areas in ``inputs.suppressed_areas`` (what every "
        "audience but the data team sees); None when no area was withheld or for runs stored before.",
    )


def _score_columns(score: AreaScore) -> dict[str, Any]:
    if isinstance(score, MssAreaScore):
        return {
            "index_value": score.status_index,
            "class_code": score.status_class,
            "second_value": score.dynamics_index,
            "second_class": score.dynamics_class,
            "combined_class": score.combined_class,
        }
    assert isinstance(score, CompositeAreaScore)
    return {"index_value": score.index, "class_code": score.class_code}


def store_result(
    session: Session,
    city: City,
    result: IndexResult,
    *,
    name: str,
    inputs: InputProvenance,
    user: str | None = None,
    public: IndexResult | None = None,
) -> IndexRun:
    """Write ``result`` as a new run of ``city`` (one row per area); returns the run.

    ``public`` is the result computed without the areas whose inputs are withheld from the public (see
    :func:`public_result`); it is kept in the run's summary and shown to every audience but the data team.
    """
    summary = result.model_dump(mode="json", include={"input", "columns", "class_counts", "breaks", "report"})
    if public is not None:
        summary[PUBLIC_KEY] = public.model_dump(mode="json", include=_PUBLIC_FIELDS)
    run = IndexRun(
        city_id=city.id,
        name=name,
        method=result.method,
        config=json.dumps(result.config, ensure_ascii=False),
        level_code=inputs.level,
        period_code=inputs.period,
        inputs=inputs.model_dump_json(),
        summary=json.dumps(summary, ensure_ascii=False),
        version=result.version,
        user=user,
        areas=len(result.areas),
        scored=len(result.scored),
        computed_at=result.computed_at,
    )
    session.add(run)
    session.flush()
    session.add_all(
        IndexRunArea(
            run_id=run.id,
            area_code=score.area_id,
            scored=score.scored,
            note=score.note,
            population=score.population,
            detail=score.model_dump_json(exclude_none=True),
            **_score_columns(score),
        )
        for score in result.areas
    )
    session.flush()
    return run


def _audit_entry(run: Mapping[str, Any], rows: Mapping[str, int]) -> tuple[str, dict[str, Any]]:
    """The one audit entry of a stored run (not one per area row): its id, the indicator set and the areas."""
    try:
        codes = [str(i["code"]) for i in json.loads(run.get("inputs") or "{}").get("indicators", [])]
    except (ValueError, TypeError, KeyError, AttributeError):
        codes = []
    areas_stored = rows.get(IndexRunArea.__tablename__, 0)
    summary = (
        f"index run {run.get('id')} {run.get('name')!r} stored ({run.get('method')}, "
        f"{run.get('level_code')}, {run.get('period_code')}): {areas_stored} areas, "
        f"indicators {', '.join(codes) or '-'}"
    )
    return summary, {"indicators": codes}


audit.group_rows(
    IndexRunArea.__tablename__, parent=IndexRun.__tablename__, key="run_id", describe=_audit_entry
)


def run_index(
    session: Session,
    city: str,
    *,
    config: IndexConfigBase | str | Path,
    level: str,
    period: str,
    name: str | None = None,
    population_indicator: str | None = None,
    user: str | None = None,
) -> StoredRun:
    """Compute ``config``'s index on the stored values of ``city``/``level``/``period`` and store it.

    The input is :func:`~bettercities.analysis.index.inputs.index_input` (indicator codes = the
    configuration's columns; population from ``population_indicator``, else the configuration's
    population column, else ``inhabitants``). Raises :class:`InvalidInput` with the report when
    the stored data cannot be scored (nothing is stored then) and :class:`NotFound` for unknown
    city, level, period, indicator or preset.
    """
    if not isinstance(config, IndexConfigBase):
        config = load_config(config)
    method = get_method(config.method)
    population = population_indicator or config.population_column or "inhabitants"
    data: IndexInput = index_input(
        session,
        city,
        level=level,
        period=period,
        indicators=method.indicator_columns(config),
        population_indicator=population,
    )
    provenance = data.provenance
    digest = hashlib.sha256(provenance.model_dump_json().encode()).hexdigest()
    result = compute_index(
        data.frame,
        config=config,
        id_column=data.id_column,
        population_column=population,
        source=f"{provenance.city}/{provenance.level}/{provenance.period}",
        sha256=digest,
    )
    run = store_result(
        session,
        areas.get_city(session, city),
        result,
        name=name or f"{config.name} {provenance.period}",
        inputs=provenance,
        user=user,
        public=public_result(data, config, result, population_column=population),
    )
    return get_run(session, run.id)


#: The key of the public result in a run's stored summary, and the fields kept of it.
PUBLIC_KEY = "public"
_PUBLIC_FIELDS = {"areas", "class_counts", "breaks", "report"}
#: The note of an area whose result is withheld from an audience (a code: the pages say it in words).
WITHHELD_NOTE = UnscoredReason.WITHHELD.value


def public_result(
    data: IndexInput, config: IndexConfigBase, result: IndexResult, *, population_column: str | None
) -> IndexResult | None:
    """The index as the public may see it: computed on the input without the areas that have an input value
    withheld from the public (``data.provenance.suppressed_areas``), or ``None`` when there are none.

    Standardisation (z-scores, ranks, min-max) and derived class breaks use every area of the input, so the
    published areas' index values, classes and class counts of the full result depend on the withheld
    values; the public result depends on published values only. When it cannot be computed (the published
    areas do not form a valid input) every area is withheld (an empty result).
    """
    withheld = set(data.provenance.suppressed_areas)
    if not withheld:
        return None
    frame = data.frame[~data.frame[data.id_column].isin(withheld)].reset_index(drop=True)
    try:
        found = compute_index(
            frame,
            config=config,
            id_column=data.id_column,
            population_column=population_column,
            source=result.input.source,
            sha256=result.input.sha256,
        )
    except InvalidInput:
        return result.model_copy(update={"areas": [], "class_counts": {}, "breaks": {}, "report": Report()})
    return found.model_copy(update={"computed_at": result.computed_at, "input": result.input})


def _summary(run: IndexRun, city: str) -> dict[str, Any]:
    return {
        "id": run.id,
        "city": city,
        "name": run.name,
        "method": run.method,
        "level": run.level_code,
        "period": run.period_code,
        "computed_at": run.computed_at,
        "user": run.user,
        "version": run.version,
        "areas": run.areas,
        "scored": run.scored,
        "class_counts": json.loads(run.summary).get("class_counts", {}),
    }


def list_runs(
    session: Session,
    city: str | None = None,
    *,
    audience: Audience = Audience.INTERNAL,
    networks: frozenset[int] = frozenset(),
) -> list[RunSummary]:
    """Stored runs, newest first (of one city, or of all), as ``audience`` may see them (class counts of the
    published areas only, :func:`published_run`)."""
    query = select(IndexRun, City.slug).join(City, City.id == IndexRun.city_id)
    if city is not None:
        query = query.where(City.id == areas.get_city(session, city).id)
    rows = session.execute(query.order_by(IndexRun.computed_at.desc(), IndexRun.id.desc())).all()
    if audience == Audience.INTERNAL:
        return [RunSummary.model_validate(_summary(run, slug)) for run, slug in rows]
    return [
        RunSummary.model_validate(
            published_run(session, get_run(session, run.id), audience, networks).model_dump(
                include=set(RunSummary.model_fields)
            )
        )
        for run, _ in rows
    ]


def get_run(session: Session, run_id: int) -> StoredRun:
    """One stored run with its result rebuilt from the stored rows."""
    row = session.execute(
        select(IndexRun, City.slug).join(City, City.id == IndexRun.city_id).where(IndexRun.id == run_id)
    ).first()
    if row is None:
        raise NotFound("index run", run_id)
    run, slug = row
    score_type = type(get_method(run.method).unscored("-", None, "-"))
    stored = session.scalars(
        select(IndexRunArea).where(IndexRunArea.run_id == run.id).order_by(IndexRunArea.area_code)
    ).all()
    config = json.loads(run.config)
    summary = json.loads(run.summary)
    public_summary = summary.pop(PUBLIC_KEY, None)
    result = IndexResult.model_validate(
        {
            **summary,
            "method": run.method,
            "config": config,
            "computed_at": run.computed_at,
            "version": run.version,
            "areas": [score_type.model_validate_json(a.detail or "{}") for a in stored],
        }
    )
    public = None
    if public_summary is not None:
        public = result.model_copy(
            update={
                "areas": [score_type.model_validate(a) for a in public_summary["areas"]],
                "class_counts": {
                    k: [ClassCount.model_validate(c) for c in v]
                    for k, v in public_summary["class_counts"].items()
                },
                "breaks": public_summary["breaks"],
                "report": Report.model_validate(public_summary["report"]),
            }
        )
    city = areas.get_city(session, slug)
    level = areas.get_level(session, city, run.level_code)
    names = {a.code: a.name for a in areas.areas_of_level(session, level)}
    return StoredRun.model_validate(
        {
            **_summary(run, slug),
            "config": config,
            "inputs": InputProvenance.model_validate_json(run.inputs),
            "result": result,
            "names": {a.area_id: names.get(a.area_id) for a in result.areas},
            "public": public,
        }
    )


def withheld_inputs(
    session: Session, run: StoredRun, audience: Audience, networks: frozenset[int] = frozenset()
) -> list[str]:
    """Codes of the run's input indicators whose values ``audience`` may not see in the run's city (a
    dataset not published with public access rights, :func:`bettercities.publication.withheld_indicators`)."""
    if audience != Audience.PUBLIC:
        return []
    city = areas.get_city(session, run.city)
    hidden = withheld_indicators(session, city.id, audience=audience, networks=networks)
    codes = [i.code for i in run.inputs.indicators]
    if not hidden or not codes:
        return []
    found = session.scalars(select(Indicator.code).where(Indicator.id.in_(hidden), Indicator.code.in_(codes)))
    return sorted(found)


def published_run(
    session: Session, run: StoredRun, audience: Audience, networks: frozenset[int] = frozenset()
) -> StoredRun:
    """``run`` as ``audience`` may see it; the city's data team sees ``run`` itself.

    - When an input indicator is withheld from ``audience`` (:func:`withheld_inputs`), every area counts as
      having a withheld input (``inputs.suppressed_areas``): no area's result, class, class break or problem
      is shown, and every class count is 0.
    - When some areas have an input value withheld by disclosure control, the result is the run's public
      result (:func:`public_result`, computed without them), and those areas are listed without values.

    The class counts, ``scored`` and ``withheld`` then tally the published areas only, so nothing the run
    publishes depends on a withheld value (runs stored before public results existed keep their full
    result's index values for the published areas).
    """
    if audience == Audience.INTERNAL:
        return run
    every = sorted(a.area_id for a in run.result.areas)
    if withheld_inputs(session, run, audience, networks):
        hidden = set(every)
        result = run.result.model_copy(update={"breaks": {}, "report": Report()})
        inputs = run.inputs.model_copy(update={"suppressed_areas": every})
    elif run.inputs.suppressed_areas:
        hidden = set(run.inputs.suppressed_areas).intersection(every)
        result = run.public if run.public is not None else run.result
        inputs = run.inputs
    else:
        return run
    score_type = type(get_method(run.method).unscored("-", None, "-"))
    published = {a.area_id: a for a in result.areas if a.area_id not in hidden}
    shown = [
        published.get(a.area_id) or score_type(area_id=a.area_id, scored=False, note=WITHHELD_NOTE)
        for a in run.result.areas
    ]
    counts = {part: _tally(part, classes, shown) for part, classes in result.class_counts.items()}
    return run.model_copy(
        update={
            "inputs": inputs,
            "result": result.model_copy(update={"areas": shown, "class_counts": counts}),
            "scored": sum(a.scored for a in shown),
            "class_counts": counts,
            "withheld": len(hidden),
            "public": None,
        }
    )


def _tally(part: str, classes: list[ClassCount], shown: Sequence[AreaScore]) -> list[ClassCount]:
    """The class counts of index part ``part`` over the scored areas of ``shown``."""
    attr = "class_code" if isinstance(shown[0] if shown else None, CompositeAreaScore) else f"{part}_class"
    found: dict[str, int] = {}
    for area in shown:
        code = getattr(area, attr, None) if area.scored else None
        if code is not None:
            found[code] = found.get(code, 0) + 1
    return [c.model_copy(update={"count": found.get(c.code, 0)}) for c in classes]


def delete_run(session: Session, run_id: int) -> None:
    """Remove a stored run and its area rows."""
    if session.get(IndexRun, run_id) is None:
        raise NotFound("index run", run_id)
    session.execute(delete(IndexRunArea).where(IndexRunArea.run_id == run_id))
    session.execute(delete(IndexRun).where(IndexRun.id == run_id))


# -- the view of a run (page, JSON twin, API) ----------------------------------------------------------------

#: Ordered palettes of the MSS classes: status from high (green) to very low (red), dynamics from positive
#: (blue) to negative (red), and the 12 combined groups as the status hue, darker as dynamics worsen.
STATUS_COLOURS = {"1": "#1a9850", "2": "#fee08b", "3": "#fc8d59", "4": "#d73027"}
DYNAMICS_COLOURS = {"+": "#4575b4", "+/-": "#d9d9d9", "-": "#d73027"}
COMBINED_COLOURS = {
    f"{s}{d}": colour
    for s, shades in {
        "1": ("#d9f0d3", "#a6dba0", "#5aae61"),
        "2": ("#fff7bc", "#fee391", "#fec44f"),
        "3": ("#fdd0a2", "#fdae6b", "#f16913"),
        "4": ("#fcbba1", "#fb6a4a", "#a50f15"),
    }.items()
    for d, colour in zip(("+", "+/-", "-"), shades, strict=True)
}


class MapClass(BaseModel):
    """One class of a class map: code, label, colour and number of scored areas."""

    code: str
    label: str
    colour: str
    count: int


class RunView(BaseModel):
    """A stored run as its page shows it: the run, the classes to map, robustness beside it."""

    run: StoredRun
    view: str = Field(description="status, dynamics or combined (MSS); index (composite).")
    classes: list[MapClass]
    area_classes: dict[str, str | None] = Field(description="Class code per area (None: not scored).")
    robustness: RobustnessResult | None = Field(default=None, description="None when no area is scored.")


def _palette(codes: list[str], colours: dict[str, str]) -> dict[str, str]:
    fallback = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15", "#67000d", "#3f007d"]
    return {c: colours.get(c, fallback[i % len(fallback)]) for i, c in enumerate(codes)}


#: A memo: ``memo(key, compute)`` returns ``compute()`` or a value kept for ``key`` (e.g. ``Reader.memo``).
Memo: TypeAlias = Callable[[tuple[Any, ...], Callable[[], Any]], Any]


def run_robustness(
    session: Session,
    run_id: int,
    *,
    distance: float = 0.1,
    replicates: int = 200,
    seed: int = 1,
    memo: Memo | None = None,
    audience: Audience = Audience.INTERNAL,
) -> RobustnessResult | None:
    """Robustness of a stored run's classes (``None`` when nothing is scored), memoised by ``memo``; for
    ``audience`` other than the data team, of the run's published result (:func:`published_run`).

    Robustness is derived from the stored run alone (its components, configuration and breaks), and a
    stored run is never changed in place (only deleted), so a memo keyed by run, options and the data
    version (``Reader.memo``) is always current. Without it every view pays the bootstrap (Berlin 2019:
    0.07 s for the MSS, 0.2 s for a composite with quantile breaks, 1.2 s with natural breaks).
    """

    def compute() -> RobustnessResult | None:
        run = published_run(session, get_run(session, run_id), audience)
        if not run.result.scored:
            return None
        return robustness(run.result, distance=distance, replicates=replicates, seed=seed)

    if memo is None:
        return compute()
    key = ("index-robustness", run_id, distance, replicates, seed, audience.value)
    found: RobustnessResult | None = memo(key, compute)
    return found


def run_view(
    session: Session,
    run_id: int,
    *,
    view: str = "status",
    distance: float = 0.1,
    replicates: int = 200,
    seed: int = 1,
    audience: Audience = Audience.PUBLIC,
    memo: Memo | None = None,
) -> RunView:
    """The page view of run ``run_id``: which class each area has in ``view``, the legend, robustness.

    Areas whose inputs include a suppressed value are shown without class or scores to every audience
    but the data team (:func:`bettercities.publication.publish_scores`), and left out of the robustness
    rows. Robustness (:func:`run_robustness`) is memoised by ``memo`` when given.
    """
    run = get_run(session, run_id)
    restricted = withheld_inputs(session, run, audience)
    run = published_run(session, run, audience)
    withheld = set(run.inputs.suppressed_areas)
    found = None
    if not restricted:  # robustness (its summary too) derives from the values
        found = run_robustness(
            session, run_id, distance=distance, replicates=replicates, seed=seed, memo=memo, audience=audience
        )
    if found is not None and audience != Audience.INTERNAL and withheld:
        found = found.model_copy(update={"areas": [a for a in found.areas if a.area_id not in withheld]})
    if run.method == "berlin-mss":
        config = MssConfig.model_validate(run.config)
        view = view if view in {"status", "dynamics", "combined"} else "status"
        status = {b.code: b.label for b in config.status.classes}
        dynamics = {b.code: b.label for b in config.dynamics.classes}
        if view == "status":
            labels, colours, attr = status, STATUS_COLOURS, "status_class"
        elif view == "dynamics":
            labels, colours, attr = dynamics, DYNAMICS_COLOURS, "dynamics_class"
        else:
            labels = {
                f"{s}{d}": f"{s} {sl} / {d} {dl}" for s, sl in status.items() for d, dl in dynamics.items()
            }
            colours, attr = COMBINED_COLOURS, "combined_class"
    else:
        view, attr = "index", "class_code"
        counts = run.result.class_counts.get("index") or next(iter(run.result.class_counts.values()), [])
        labels = {c.code: c.label for c in counts}
        colours = _palette(list(labels), {})
    rows = publish_scores(
        [{"area_id": a.area_id, "class": getattr(a, attr, None)} for a in run.result.areas],
        withheld=withheld,
        audience=audience,
    )
    area_classes = {r["area_id"]: r["class"] for r in rows}
    tally: dict[str, int] = {}
    for code in area_classes.values():
        if code is not None:
            tally[code] = tally.get(code, 0) + 1
    palette = _palette(list(labels), colours)
    return RunView(
        run=run,
        view=view,
        classes=[
            MapClass(code=c, label=lb, colour=palette[c], count=tally.get(c, 0)) for c, lb in labels.items()
        ],
        area_classes=area_classes,
        robustness=found,
    )
