"""Change of index classes between two stored runs (two editions), also across boundary versions.

Same boundaries: areas are matched by code. Different boundaries: the earlier run is carried to the
later run's areas through a crosswalk (:mod:`bettercities.areas`), whose entries give the share
``w`` of an old area that lies in a new one:

* **classes** by *largest overlap*: a new area takes the class of the old area contributing most
  people to it (largest ``w * population``). Classes are ordinal labels; averaging them would
  invent classes no area had.
* **index values** by the population-weighted mean over the overlapping old areas (weights
  ``w * population``), shown for information; an area whose overlapping old areas are not all
  scored gets no carried class.

Areas whose inputs include a suppressed value (in either run) have no class for any audience but
the city's data team (as on the run pages and in exports).

:func:`change_view` adds what the change page shows: per area whether it moved to a better or a
worse class. Classes are ordered as configured; for the MSS status and dynamics a later class is
worse (status 1 *hoch* ... 4 *sehr niedrig*, dynamics + ... -), for a composite index a later class
(a higher index) is worse when the index polarity is "higher is worse" (the default) and better
otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bettercities.analysis.index.results import StoredRun, get_run, list_runs, published_run
from bettercities.analysis.index.schemas import CompositeConfig, MssAreaScore, MssConfig, Polarity
from bettercities.areas import service as areas
from bettercities.areas.models import Area, Crosswalk, CrosswalkEntry
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.publication import Audience


def transition_matrix(
    before: Sequence[str | None], after: Sequence[str | None], codes: Sequence[str]
) -> npt.NDArray[np.int64]:
    r"""Counts :math:`T_{ij} = \#\{a : c_0(a) = i,\ c_1(a) = j\}` over areas classed in both.

    Rows are the earlier classes, columns the later ones, both in the order of ``codes``; the
    diagonal holds the areas that kept their class (a Markov transition count matrix, as in
    Rey 2001, *Spatial empirics for economic growth and convergence*, Geographical Analysis 33).

    Examples
    --------
    >>> transition_matrix(["1", "2", "2", None], ["1", "3", "2", "1"], ["1", "2", "3"]).tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    """
    position = {c: i for i, c in enumerate(codes)}
    matrix = np.zeros((len(codes), len(codes)), dtype=np.int64)
    for old, new in zip(before, after, strict=True):
        if old in position and new in position:
            matrix[position[old], position[new]] += 1
    return matrix


def largest_overlap(links: Sequence[tuple[str, str, float]]) -> dict[str, str]:
    """For each target, the source with the largest overlap ``(source, target, overlap)``; ties: lowest code.

    Examples
    --------
    >>> largest_overlap([("a", "x", 0.4), ("b", "x", 0.6), ("b", "y", 1.0)])
    {'x': 'b', 'y': 'b'}
    """
    best: dict[str, tuple[float, str]] = {}
    for source, target, overlap in sorted(links):
        if target not in best or overlap > best[target][0]:
            best[target] = (overlap, source)
    return {target: source for target, (_overlap, source) in sorted(best.items())}


class Transition(BaseModel):
    """The transition matrix of one index between two runs."""

    part: str
    codes: list[str]
    labels: list[str]
    matrix: list[list[int]]
    row_totals: list[int] = Field(default_factory=list, description="Areas per earlier class.")
    column_totals: list[int] = Field(default_factory=list, description="Areas per later class.")
    changed: int
    unchanged: int
    classed: int = Field(default=0, description="Areas classed in both runs (the matrix total).")


class AreaChange(BaseModel):
    """One area's classes before and after (by part) and whether any changed."""

    area_id: str
    name: str | None = None
    before: dict[str, str | None]
    after: dict[str, str | None]
    before_index: dict[str, float | None] = Field(default_factory=dict)
    after_index: dict[str, float | None] = Field(default_factory=dict)
    changed: bool
    source: str | None = Field(default=None, description="Old area whose class was carried (crosswalk).")


class ChangeResult(BaseModel):
    """Class changes between two runs."""

    before: int
    after: int
    before_name: str
    after_name: str
    crosswalk: str | None
    transitions: list[Transition]
    areas: list[AreaChange]
    changed: int


def _parts(run: StoredRun) -> dict[str, tuple[list[str], list[str]]]:
    if run.method == "berlin-mss":
        config = MssConfig.model_validate(run.config)
        return {
            "status": ([b.code for b in config.status.classes], [b.label for b in config.status.classes]),
            "dynamics": (
                [b.code for b in config.dynamics.classes],
                [b.label for b in config.dynamics.classes],
            ),
        }
    counts = next(iter(run.result.class_counts.values()), [])
    return {"index": ([c.code for c in counts], [c.label for c in counts])}


def _classes(
    run: StoredRun, audience: Audience = Audience.INTERNAL
) -> dict[str, dict[str, tuple[str | None, float | None]]]:
    hidden = set(run.inputs.suppressed_areas) if audience != Audience.INTERNAL else set()
    out: dict[str, dict[str, tuple[str | None, float | None]]] = {}
    for a in run.result.areas:
        if a.area_id in hidden:
            out[a.area_id] = {}
        elif isinstance(a, MssAreaScore):
            out[a.area_id] = {
                "status": (a.status_class, a.status_index),
                "dynamics": (a.dynamics_class, a.dynamics_index),
            }
        else:
            out[a.area_id] = {"index": (getattr(a, "class_code", None), getattr(a, "index", None))}
    return out


def _carry(
    session: Session, run: StoredRun, crosswalk: str, parts: list[str], audience: Audience
) -> tuple[dict[str, dict[str, tuple[str | None, float | None]]], dict[str, str]]:
    city = areas.get_city(session, run.city)
    walk = areas.get_crosswalk(session, city, crosswalk)
    old, new = aliased(Area), aliased(Area)
    entries = session.execute(
        select(old.code, new.code, CrosswalkEntry.weight)
        .join(old, old.id == CrosswalkEntry.source_area_id)
        .join(new, new.id == CrosswalkEntry.target_area_id)
        .where(CrosswalkEntry.crosswalk_id == walk.id)
    ).all()
    classes = _classes(run, audience)
    population = {a.area_id: a.population or 0.0 for a in run.result.areas}
    links = [(s, t, float(w) * population.get(s, 0.0)) for s, t, w in entries]
    chosen = largest_overlap(links)
    carried: dict[str, dict[str, tuple[str | None, float | None]]] = {}
    for target, source in chosen.items():
        sources = [(s, o) for s, t, o in links if t == target]
        values: dict[str, tuple[str | None, float | None]] = {}
        for part in parts:
            known = [(classes.get(s, {}).get(part, (None, None)), o) for s, o in sources]
            complete = all(c[1] is not None for c, _o in known)
            total = sum(o for _c, o in known)
            index = sum((c[1] or 0.0) * o for c, o in known) / total if complete and total > 0 else None
            cls = classes.get(source, {}).get(part, (None, None))[0] if complete else None
            values[part] = (cls, index)
        carried[target] = values
    return carried, chosen


def compare_runs(
    session: Session,
    before: int,
    after: int,
    *,
    crosswalk: str | None = None,
    audience: Audience = Audience.PUBLIC,
) -> ChangeResult:
    """Which areas changed class from run ``before`` to run ``after``, and the transition matrices.

    With ``crosswalk`` (a code of the city's crosswalks), the earlier run is first carried to the
    later run's boundaries (classes by largest overlap, see the module notes). Areas withheld from
    ``audience`` (a suppressed input value) have no class in either run.
    """
    first, second = (published_run(session, get_run(session, r), audience) for r in (before, after))
    if first.method != second.method or first.city != second.city:
        raise InvalidInput("runs of the same city and method can be compared")
    parts = _parts(second)
    old = _classes(first, audience)
    sources: dict[str, str] = {}
    if crosswalk is not None:
        old, sources = _carry(session, first, crosswalk, list(parts), audience)
    new = _classes(second, audience)
    changes: list[AreaChange] = []
    for code in sorted(set(old) & set(new)):
        b = {p: old[code].get(p, (None, None))[0] for p in parts}
        a = {p: new[code].get(p, (None, None))[0] for p in parts}
        both = all(b[p] is not None and a[p] is not None for p in parts)
        changes.append(
            AreaChange(
                area_id=code,
                name=second.names.get(code),
                before=b,
                after=a,
                before_index={p: old[code].get(p, (None, None))[1] for p in parts},
                after_index={p: new[code].get(p, (None, None))[1] for p in parts},
                changed=both and any(b[p] != a[p] for p in parts),
                source=sources.get(code),
            )
        )
    transitions = []
    for part, (codes, labels) in parts.items():
        matrix = transition_matrix([c.before[part] for c in changes], [c.after[part] for c in changes], codes)
        transitions.append(
            Transition(
                part=part,
                codes=codes,
                labels=labels,
                matrix=matrix.tolist(),
                row_totals=matrix.sum(axis=1).tolist(),
                column_totals=matrix.sum(axis=0).tolist(),
                changed=int(matrix.sum() - np.trace(matrix)),
                unchanged=int(np.trace(matrix)),
                classed=int(matrix.sum()),
            )
        )
    return ChangeResult(
        before=before,
        after=after,
        before_name=first.name,
        after_name=second.name,
        crosswalk=crosswalk,
        transitions=transitions,
        areas=changes,
        changed=sum(c.changed for c in changes),
    )


#: Direction of an area's move between two classes of one part (see the module notes).
BETTER, SAME, WORSE = "better", "same", "worse"


class ChangeView(BaseModel):
    """The change page: the comparison, the part on the map and each area's move in that part."""

    change: ChangeResult
    part: str = Field(description="status or dynamics (MSS); index (composite).")
    parts: list[str]
    moves: dict[str, str | None] = Field(
        description="better, same or worse per area of the later run (None: not classed in both)."
    )
    counts: dict[str, int] = Field(description="Areas per move.")


def later_is_worse(run: StoredRun) -> bool:
    """Whether a later class (in the configured order) is a worse one (see the module notes)."""
    if run.method == "berlin-mss":
        return True
    if run.method == "composite":
        return CompositeConfig.model_validate(run.config).polarity == Polarity.HIGHER_IS_WORSE
    raise InvalidInput(f"no class order is known for index method {run.method!r}")


def change_view(
    session: Session,
    before: int,
    after: int,
    *,
    part: str | None = None,
    crosswalk: str | None = None,
    audience: Audience = Audience.PUBLIC,
    city: str | None = None,
) -> ChangeView:
    """:func:`compare_runs` plus, for ``part`` (default: the first), which areas moved to a better or
    worse class. ``part`` must be one of the compared index parts (:class:`InvalidInput` otherwise);
    with ``city``, both runs must be runs of that city (:class:`NotFound` otherwise)."""
    if city is not None:
        for run_id in (before, after):
            if get_run(session, run_id).city != city:
                raise NotFound("index run", run_id)
    change = compare_runs(session, before, after, crosswalk=crosswalk, audience=audience)
    parts = [t.part for t in change.transitions]
    chosen = part or parts[0]
    if chosen not in parts:
        raise InvalidInput(f"part {chosen!r} is not one of the compared parts ({', '.join(parts)})")
    transition = next(t for t in change.transitions if t.part == chosen)
    order = {code: i for i, code in enumerate(transition.codes)}
    worse = later_is_worse(get_run(session, after))
    moves: dict[str, str | None] = {}
    for area in change.areas:
        old, new = area.before.get(chosen), area.after.get(chosen)
        if old not in order or new not in order:
            moves[area.area_id] = None
            continue
        step = order[str(new)] - order[str(old)]
        moves[area.area_id] = SAME if step == 0 else (WORSE if (step > 0) == worse else BETTER)
    counts = {m: sum(v == m for v in moves.values()) for m in (BETTER, SAME, WORSE)}
    return ChangeView(change=change, part=chosen, parts=parts, moves=moves, counts=counts)


def crosswalk_codes(session: Session, city: str) -> list[str]:
    """The codes of ``city``'s crosswalks (boundary versions a comparison can go through), sorted."""
    found = areas.get_city(session, city)
    return list(
        session.scalars(select(Crosswalk.code).where(Crosswalk.city_id == found.id).order_by(Crosswalk.code))
    )


def default_pair(session: Session, city: str) -> tuple[int, int] | None:
    """The runs a change page compares when none are chosen: the newest run of ``city`` and the newest
    earlier run of the same method (``None`` when there is no such pair)."""
    runs = list_runs(session, city)
    if not runs:
        return None
    after = runs[0]
    before = next((r for r in runs[1:] if r.method == after.method), None)
    return None if before is None else (before.id, after.id)
