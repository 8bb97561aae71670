"""Named sets of priority areas: a rule's result kept for later goals and evaluations (tables in
:mod:`bettercities.analysis.priority.models`), who may see them, and the CSV and GeoJSON writers.

:func:`save_set` keeps the areas of an evaluation (:func:`bettercities.analysis.priority.evaluation.evaluate`)
with the audience it was evaluated for; :func:`visible_to` decides who sees the set; :func:`save_requested`
evaluates a :class:`PrioritySetRequest` (the API's body, the page's form) for its audience and keeps it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bettercities.analysis.priority.evaluation import evaluate
from bettercities.analysis.priority.models import PrioritySet, PrioritySetArea
from bettercities.analysis.priority.schemas import (
    PriorityArea,
    PriorityResult,
    PriorityRule,
    PrioritySetOut,
    PrioritySetRequest,
)
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bettercities.indicators import service as indicators
from bettercities.publication import Audience

__all__ = [
    "AUDIENCE_ORDER",
    "delete_set",
    "get_set",
    "list_sets",
    "save_requested",
    "save_set",
    "visible_to",
    "write_csv",
    "write_geojson",
]

#: Audiences from the least to the most that may be seen: a set computed for one is visible to it and after.
AUDIENCE_ORDER = (Audience.PUBLIC, Audience.MEMBER, Audience.INTERNAL)


def visible_to(computed_for: Audience | str, audience: Audience) -> bool:
    """Whether ``audience`` may see a set computed for ``computed_for``: its membership can rest on the
    inputs that audience saw (restricted values, index classes of areas with a suppressed input)."""
    return AUDIENCE_ORDER.index(audience) >= AUDIENCE_ORDER.index(Audience(computed_for))


def _set_out(session: Session, row: PrioritySet, city: City, *, with_areas: bool = True) -> PrioritySetOut:
    members = []
    if with_areas:
        level = areas.get_level(session, city, row.level_code)
        names = {a.code: a.name for a in areas.areas_of_level(session, level)}
        stored = session.scalars(
            select(PrioritySetArea)
            .where(PrioritySetArea.set_id == row.id)
            .order_by(PrioritySetArea.area_code)
        ).all()
        members = [
            PriorityArea(
                area_id=m.area_code,
                name=names.get(m.area_code, m.area_code),
                reasons=json.loads(m.reasons or "[]"),
            )
            for m in stored
        ]
    return PrioritySetOut(
        id=row.id,
        city=city.slug,
        name=row.name,
        description=row.description,
        rule=PriorityRule.model_validate_json(row.rule),
        level=row.level_code,
        period=row.period_code,
        user=row.user,
        audience=Audience(row.audience),
        runs=json.loads(row.runs or "[]"),
        created_at=row.created_at,
        areas=members,
    )


def _check_text(text: str, what: str, *, allowed: str) -> None:
    """Refuse control characters (PostgreSQL cannot store NUL in text; a name is one line)."""
    if any((ord(c) < 32 or c == "\x7f") and c not in allowed for c in text):
        raise InvalidInput(f"the {what} of a priority set contains a control character")


def save_set(
    session: Session,
    result: PriorityResult,
    name: str,
    *,
    description: str | None = None,
    user: str | None = None,
    replace: bool = False,
) -> PrioritySetOut:
    """Keep the areas of ``result`` as the named set ``name`` of its city (``replace`` an existing one),
    with the audience ``result`` was evaluated for (:func:`visible_to` decides who sees the set).

    A public evaluation widened by network-shared data (``evaluate(networks=…)``) is refused: its set would be
    shown to the public although it rests on data the public may not see."""
    if not name.strip():
        raise InvalidInput("a priority set needs a name")
    _check_text(name, "name", allowed="")
    if "/" in name or name.endswith(".json"):
        raise InvalidInput(
            f"a priority set name may not contain '/' nor end in '.json' (it names the set's page): {name!r}"
        )
    _check_text(description or "", "description", allowed="\n\r\t")
    if result._networks:
        raise InvalidInput(
            "a priority set for the public must be evaluated on public data only, not on data shared with "
            "a network (evaluate with networks=frozenset())"
        )
    city = areas.get_city(session, result.city)
    existing = session.scalar(
        select(PrioritySet).where(PrioritySet.city_id == city.id, PrioritySet.name == name)
    )
    if existing is not None:
        if not replace:
            raise Conflict(f"priority set {name!r} exists in {city.slug}")
        session.delete(existing)
        session.flush()
    row = PrioritySet(
        city_id=city.id,
        name=name,
        description=description,
        rule=result.rule.model_dump_json(),
        level_code=result.level,
        period_code=result.period,
        user=user,
        audience=result.audience.value,
        runs=json.dumps(result.runs),
    )
    session.add(row)
    session.flush()
    session.add_all(
        PrioritySetArea(set_id=row.id, area_code=a.area_id, reasons=json.dumps(a.reasons, ensure_ascii=False))
        for a in result.areas
    )
    session.flush()
    return _set_out(session, row, city)


def save_requested(
    session: Session, slug: str, request: PrioritySetRequest, *, own: Audience, user: str
) -> PrioritySetOut:
    """Evaluate the request's rule for its audience and keep the areas as a named set of city ``slug``.

    ``own`` is the audience of ``user`` in the city (who has checked that they may ``analyse`` there); the
    set's audience (default: ``own``) may not be wider than it: who sees only public data cannot store a set
    for the data team (:class:`Forbidden`).
    """
    audience = request.audience or own
    if not visible_to(audience, own):
        raise Forbidden(f"{user} may not evaluate a rule for the audience {audience.value!r} here")
    # evaluated without network-shared data: a set is shown to everyone of its audience
    result = evaluate(
        session, slug, request.preset_or_rule(), level=request.level, period=request.period, audience=audience
    )
    return save_set(session, result, request.name, description=request.description or None, user=user)


def list_sets(session: Session, slug: str, *, audience: Audience | None = None) -> list[PrioritySetOut]:
    """The named sets of a city (without their areas); with ``audience``, only those it may see."""
    city = areas.get_city(session, slug)
    rows = session.scalars(
        select(PrioritySet).where(PrioritySet.city_id == city.id).order_by(PrioritySet.name)
    )
    return [
        _set_out(session, row, city, with_areas=False)
        for row in rows
        if audience is None or visible_to(row.audience, audience)
    ]


def _find(
    session: Session, slug: str, name: str, audience: Audience | None = None
) -> tuple[City, PrioritySet]:
    city = areas.get_city(session, slug)
    row = session.scalar(select(PrioritySet).where(PrioritySet.city_id == city.id, PrioritySet.name == name))
    if row is None or (audience is not None and not visible_to(row.audience, audience)):
        raise NotFound("priority set", f"{slug}/{name}")  # a set the audience may not see does not exist
    return city, row


def get_set(session: Session, slug: str, name: str, *, audience: Audience | None = None) -> PrioritySetOut:
    """The named set with its areas; with ``audience``, :class:`NotFound` for a set it may not see."""
    city, row = _find(session, slug, name, audience)
    return _set_out(session, row, city)


def delete_set(session: Session, slug: str, name: str) -> None:
    _, row = _find(session, slug, name)
    session.execute(delete(PrioritySetArea).where(PrioritySetArea.set_id == row.id))
    session.delete(row)
    session.flush()


def write_csv(items: PriorityResult | PrioritySetOut, path: str | Path) -> None:
    """One row per priority area: ``area_id,name,reasons``."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["area_id", "name", "reasons"])
        writer.writeheader()
        writer.writerows(
            {"area_id": a.area_id, "name": a.name, "reasons": "; ".join(a.reasons)} for a in items.areas
        )


def write_geojson(session: Session, items: PriorityResult | PrioritySetOut, path: str | Path) -> int:
    """The priority areas with their stored geometries as a GeoJSON FeatureCollection (WGS84).

    Properties: ``area_id``, ``name``, ``reasons``; returns the number of features written.
    """
    city = areas.get_city(session, items.city)
    level = areas.get_level(session, city, items.level)
    at = indicators.get_period(session, items.period).end_date if items.period else None
    geometries = {a.code: a.geometry for a in areas.areas_of_level(session, level, at=at)}
    features = []
    for a in items.areas:
        text = geometries.get(a.area_id)
        features.append(
            {
                "type": "Feature",
                "properties": {"area_id": a.area_id, "name": a.name, "reasons": "; ".join(a.reasons)},
                "geometry": json.loads(text) if text else None,
            }
        )
    collection = {"type": "FeatureCollection", "name": items.rule.name, "features": features}
    Path(path).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return len(features)
