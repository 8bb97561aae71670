"""Reads of the hub that the pages, their JSON twins, the API, the CLI and the guide share: search with
filters, the practices and events of a programme, one practice or event in full.

Everything here is public: a practice or an event is published by the programme's coordinators. The one
exception is a practice's linked goals: a goal the viewer may not see (one on an indicator withheld from its
audience, :mod:`bettercities.goals.queries`) is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.goals import queries as goal_queries
from bettercities.goals.models import Goal
from bettercities.hub import search as index
from bettercities.hub.models import Event, Practice, PracticeGoal, PracticeIndicator
from bettercities.hub.schemas import (
    DocumentLink,
    EventKind,
    EventOut,
    HubFilter,
    HubItemOut,
    ItemKind,
    LinkedGoal,
    LinkedIndicator,
    PracticeOut,
)
from bettercities.hub.service import get_event, get_practice
from bettercities.indicators.models import Indicator
from bettercities.networks.models import Network, Programme
from bettercities.publication.viewer import Viewer

__all__ = ["event", "event_out", "events", "practice", "practice_out", "practices", "search", "themes"]

EXCERPT = 240


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rsplit(" ", 1)[0] + " …"


def _names(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def _filtered(statement: Select[Any], model: Any, session: Session, f: HubFilter) -> Select[Any] | None:
    """``statement`` narrowed by the filter; ``None`` when a named city, network or programme does not exist
    (nothing can match)."""
    if f.theme:
        statement = statement.where(model.theme == f.theme)
    for slug, table, column in (
        (f.network, Network, model.network_id),
        (f.programme, Programme, model.programme_id),
        (f.city, City, getattr(model, "city_id", None)),
    ):
        if not slug:
            continue
        found = session.scalar(select(table.id).where(table.slug == slug))
        if found is None or column is None:
            return None
        statement = statement.where(column == found)
    return statement


def search(
    session: Session,
    q: str | None,
    *,
    theme: str | None = None,
    network_slug: str | None = None,
    city_slug: str | None = None,
    kind: ItemKind | str | None = None,
    programme_slug: str | None = None,
) -> list[HubItemOut]:
    """Practices and events matching the words ``q`` (most relevant first) and the filters; without words,
    every item the filters admit, the newest events and the practices by title. A city filter admits only
    practices (an event is a network's or programme's)."""
    f = HubFilter(q=q, theme=theme, network=network_slug, city=city_slug, programme=programme_slug,
                  kind=ItemKind(kind) if kind else None)  # fmt: skip
    return find(session, f)


def find(session: Session, f: HubFilter) -> list[HubItemOut]:
    """:func:`search` with its filter as one typed value (what page, API and CLI parse)."""
    text = (f.q or "").strip()
    hits = {(h.kind, h.item_id): h.rank for h in index.find(session, text)} if text else None
    items: list[HubItemOut] = []
    for kind, model in ((ItemKind.PRACTICE, Practice), (ItemKind.EVENT, Event)):
        if f.kind is not None and f.kind != kind:
            continue
        if kind is ItemKind.EVENT and f.city:
            continue
        statement = _filtered(select(model), model, session, f)
        if statement is None:
            continue
        if hits is not None:
            ids = [i for k, i in hits if k == kind.value]
            if not ids:
                continue
            statement = statement.where(model.id.in_(ids))
        rows = session.scalars(statement).all()
        items += _items(session, kind, rows, hits)
    if hits is not None:
        items.sort(key=lambda item: (-(item.rank or 0.0), item.kind.value, item.slug))
    else:
        items.sort(key=lambda i: (i.kind != ItemKind.EVENT, -(i.held_on or date.min).toordinal(), i.title))
    return items


def _items(
    session: Session, kind: ItemKind, rows: Iterable[Any], hits: dict[tuple[str, int], float] | None
) -> list[HubItemOut]:
    rows = list(rows)
    cities = _names(session, City, (getattr(r, "city_id", None) for r in rows))
    networks = _names(session, Network, (r.network_id for r in rows))
    programmes = _names(session, Programme, (r.programme_id for r in rows))
    found = []
    for r in rows:
        city = cities.get(getattr(r, "city_id", None) or 0)
        network = networks.get(r.network_id or 0)
        programme = programmes.get(r.programme_id or 0)
        found.append(
            HubItemOut(
                kind=kind,
                slug=r.slug,
                title=r.title,
                language=r.language,
                theme=r.theme,
                city=city.slug if city else None,
                city_name=city.name if city else None,
                network=network.slug if network else None,
                programme=programme.slug if programme else None,
                held_on=getattr(r, "held_on", None),
                excerpt=_excerpt(r.summary if kind is ItemKind.PRACTICE else r.topic),
                rank=None if hits is None else hits.get((kind.value, r.id)),
            )
        )
    return found


def themes(session: Session) -> list[str]:
    """Every theme a practice or event names (the filter's choices)."""
    found = {t for t in session.scalars(select(Practice.theme)) if t}
    found |= {t for t in session.scalars(select(Event.theme)) if t}
    return sorted(found, key=str.casefold)


# -- one item ------------------------------------------------------------------------------------------------


def practice_out(session: Session, p: Practice, *, goal_ids: set[int] | None = None) -> PracticeOut:
    """A practice in full; ``goal_ids``: the linked goals the viewer may see (``None``: all)."""
    city = session.get(City, p.city_id) if p.city_id else None
    network = session.get(Network, p.network_id) if p.network_id else None
    programme = session.get(Programme, p.programme_id) if p.programme_id else None
    indicators = session.execute(
        select(Indicator.code, Indicator.name_de, Indicator.name_en)
        .join(PracticeIndicator, PracticeIndicator.indicator_id == Indicator.id)
        .where(PracticeIndicator.practice_id == p.id)
        .order_by(Indicator.code)
    ).all()
    goals = session.execute(
        select(Goal.id, Goal.title)
        .join(PracticeGoal, PracticeGoal.goal_id == Goal.id)
        .where(PracticeGoal.practice_id == p.id)
        .order_by(Goal.id)
    ).all()
    return PracticeOut(
        slug=p.slug,
        title=p.title,
        language=p.language,
        city=city.slug if city else None,
        city_name=city.name if city else None,
        network=network.slug if network else None,
        network_name=network.name_en if network else None,
        programme=programme.slug if programme else None,
        theme=p.theme,
        summary=p.summary,
        results=p.results,
        documents=[DocumentLink(**d) for d in json.loads(p.documents or "[]")],
        indicators=[LinkedIndicator(code=c, name_de=de, name_en=en) for c, de, en in indicators],
        goals=[LinkedGoal(id=i, title=t) for i, t in goals if goal_ids is None or i in goal_ids],
        created_by=p.created_by,
    )


def event_out(session: Session, e: Event) -> EventOut:
    network = session.get(Network, e.network_id) if e.network_id else None
    programme = session.get(Programme, e.programme_id) if e.programme_id else None
    return EventOut(
        slug=e.slug,
        title=e.title,
        event_kind=EventKind(e.kind),
        language=e.language,
        held_on=e.held_on,
        network=network.slug if network else None,
        network_name=network.name_en if network else None,
        programme=programme.slug if programme else None,
        theme=e.theme,
        topic=e.topic,
        speakers=json.loads(e.speakers or "[]"),
        recording_url=e.recording_url,
        outcomes=e.outcomes,
        recommendations=json.loads(e.recommendations or "[]"),
        created_by=e.created_by,
    )


def practice(viewer: Viewer, slug: str) -> PracticeOut:
    """One practice, its linked goals as far as the viewer may see them."""
    session = viewer.session
    p = get_practice(session, slug)
    linked = session.scalar(select(PracticeGoal.id).where(PracticeGoal.practice_id == p.id).limit(1))
    goal_ids: set[int] | None = None
    if linked is not None and p.city_id is not None:
        city = session.get(City, p.city_id)
        goal_ids = {g.id for g in goal_queries.visible_goals(viewer, city.slug)} if city else set()
    elif linked is not None:
        goal_ids = set()
    return practice_out(session, p, goal_ids=goal_ids)


def event(session: Session, slug: str) -> EventOut:
    return event_out(session, get_event(session, slug))


def practices(session: Session, *, programme_slug: str | None = None) -> list[PracticeOut]:
    """The practices (of a programme), by title; linked goals left out (a listing shows no goals)."""
    statement = select(Practice).order_by(Practice.title)
    if programme_slug:
        statement = statement.join(Programme, Programme.id == Practice.programme_id).where(
            Programme.slug == programme_slug
        )
    return [practice_out(session, p, goal_ids=set()) for p in session.scalars(statement)]


def events(session: Session, *, programme_slug: str | None = None) -> list[EventOut]:
    """The events (of a programme), oldest first."""
    statement = select(Event).order_by(Event.held_on, Event.title)
    if programme_slug:
        statement = statement.join(Programme, Programme.id == Event.programme_id).where(
            Programme.slug == programme_slug
        )
    return [event_out(session, e) for e in session.scalars(statement)]
