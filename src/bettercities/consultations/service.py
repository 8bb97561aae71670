"""Consultation rounds: create them, put items to them (checked through the lower domains), open and close
them. Taking part (invitations, ballots, comments, proposals) and moderation are
:mod:`bettercities.consultations.participation`. Every function takes a session; the caller commits (one
transaction: a refusal writes nothing). Times are the server's clock (``now`` only for tests); a round's
status is derived from them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.access.keys import moment
from bettercities.analysis.priority import service as priority
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.consultations.models import (
    ConsultationItem,
    ConsultationRound,
)
from bettercities.consultations.schemas import (
    MAX_COMMENT,
    ItemIn,
    ItemKind,
    ItemOut,
    RoundIn,
    RoundStatus,
)
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.core.timestamps import as_utc
from bettercities.goals import queries as goals
from bettercities.plans import queries as plans
from bettercities.publication import Audience

__all__ = [
    "PublicViewer",
    "add_item",
    "add_round",
    "check_text",
    "close_round",
    "get_round",
    "item_out",
    "next_position",
    "open_round",
    "refuse",
    "status_of",
    "stored_time",
    "visible_items",
]

T = TypeVar("T")

VISIBLE, PENDING, REJECTED = "visible", "pending", "rejected"


@dataclass(frozen=True)
class PublicViewer:
    """A :class:`~bettercities.publication.viewer.Viewer` of what the public sees, without shared caches:
    items are checked against it, as anyone may take part in a round through a link. Its memo lives as long
    as the viewer (one item's check): a goal's check reads a period's published values once, not once per
    area (a goal on 61 areas took seconds)."""

    session: Session
    budget: int | None = None
    cache: dict[tuple[Hashable, ...], Any] = field(default_factory=dict, compare=False)

    def audience(self, city_id: int) -> Audience:
        return Audience.PUBLIC

    def networks(self, city_id: int) -> frozenset[int]:
        return frozenset()

    def memo(self, key: tuple[Hashable, ...], compute: Callable[[], T], *, city_id: int | None = None) -> T:
        # within one check the data do not change under it
        if key not in self.cache:
            self.cache[key] = compute()
        return cast(T, self.cache[key])


def status_of(row: ConsultationRound, now: datetime | None = None) -> RoundStatus:
    """Draft (no opening time), scheduled, open or closed, by the server's clock."""
    at = moment(now)
    if row.opens_at is None:
        return RoundStatus.DRAFT
    if at < as_utc(row.opens_at):
        return RoundStatus.SCHEDULED
    if row.closes_at is None or at < as_utc(row.closes_at):
        return RoundStatus.OPEN
    return RoundStatus.CLOSED


def stored_time(moment_: datetime | None) -> datetime | None:
    """``moment_`` in UTC: SQLite keeps no offset, so times are stored as UTC whatever zone they came in."""
    return moment_.astimezone(UTC) if moment_ is not None else None


def refuse(column: str | None, code: str, message: str, *, value: str | None = None) -> InvalidInput:
    """The refusal of an input, with its problem (code from the catalogue) naming the field."""
    problem = Problem(code=code, message=message, column=column, value=value)
    return InvalidInput(message, Report(problems=[problem]))


def check_text(text: str, what: str, *, limit: int, lines: bool = True) -> str:
    """``text`` stripped; refused when empty, longer than ``limit`` or holding control characters (line
    breaks and tabs allowed when ``lines``)."""
    allowed = "\n\r\t" if lines else ""
    bad = next((c for c in text if (ord(c) < 32 or 127 <= ord(c) < 160) and c not in allowed), None)
    if bad is not None:
        raise refuse(
            what, "invalid-text", f"the {what} contains the control character U+{ord(bad):04X}; remove it"
        )
    stripped = text.strip()
    if not stripped:
        raise refuse(what, "invalid-text", f"the {what} is empty")
    if len(stripped) > limit:
        raise refuse(
            what, "invalid-text", f"the {what} has {len(stripped)} characters, at most {limit} are allowed"
        )
    return stripped


def get_round(session: Session, slug: str, round_id: int) -> tuple[City, ConsultationRound]:
    city = areas.get_city(session, slug)
    row = session.get(ConsultationRound, round_id)
    if row is None or row.city_id != city.id:
        raise NotFound("consultation round", f"{slug}/{round_id}")
    return city, row


def add_round(session: Session, slug: str, data: RoundIn, *, actor: str | None = None) -> ConsultationRound:
    """A new round of city ``slug`` (a draft unless ``data`` has both times)."""
    city = areas.get_city(session, slug)
    title = check_text(data.title, "title", limit=200, lines=False)
    question = check_text(data.question, "question", limit=MAX_COMMENT)
    if (data.opens_at is None) != (data.closes_at is None):
        raise InvalidInput("give both the opening and the closing time, or neither (a draft)")
    row = ConsultationRound(
        city_id=city.id,
        title=title,
        question=question,
        audience=data.audience.value,
        method=data.method.value,
        dots=data.dots,
        dot_cap=data.dot_cap if data.dot_cap is not None else data.dots,
        proposals=data.proposals,
        opens_at=stored_time(data.opens_at),
        closes_at=stored_time(data.closes_at),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def visible_items(session: Session, round_id: int, *, status: str | None = VISIBLE) -> list[ConsultationItem]:
    query = select(ConsultationItem).where(ConsultationItem.round_id == round_id)
    if status is not None:
        query = query.where(ConsultationItem.status == status)
    return list(session.scalars(query.order_by(ConsultationItem.position, ConsultationItem.id)))


def item_out(item: ConsultationItem) -> ItemOut:
    return ItemOut(
        id=item.id,
        kind=ItemKind(item.kind),
        key=item.key,
        title=item.title,
        description=item.description,
        position=item.position,
        status=item.status,
        moderation_reason=item.moderation_reason,
    )


def _source_title(session: Session, slug: str, kind: ItemKind, key: str) -> str:
    """The title of what an item names, checked to exist and to be public (anyone may take part through a
    link, so an item may not show what the public may not see)."""
    if kind == ItemKind.PRIORITY_AREA:
        name, _, code = key.rpartition("/")
        if not name or not code:
            raise refuse(
                "key", "unknown-item", f"a priority area item's key is '<set name>/<area code>', not {key!r}"
            )
        try:
            found = priority.get_set(session, slug, name, audience=Audience.PUBLIC)
        except NotFound:
            raise refuse(
                "key", "unknown-item", f"no public priority set {name!r} in {slug}", value=key
            ) from None
        area = next((a for a in found.areas if a.area_id == code), None)
        if area is None:
            raise refuse(
                "key", "unknown-item", f"area {code!r} is not in the priority set {name!r}", value=key
            )
        return f"{area.name} ({name})"
    if kind in (ItemKind.GOAL, ItemKind.ACTION):
        return _planned_title(session, slug, kind, key)
    raise AssertionError(kind)


def _planned_title(session: Session, slug: str, kind: ItemKind, key: str) -> str:
    """A goal's or an action's title, read as the public sees it through the goals' / plans' queries."""
    if not key.isdigit():
        raise refuse(
            "key", "unknown-item", f"a {kind.value} item's key is its id (a number), not {key!r}", value=key
        )
    viewer = PublicViewer(session)
    try:
        if kind == ItemKind.GOAL:
            return goals.visible_goal(viewer, slug, int(key)).title
        return plans.visible_action(viewer, slug, int(key)).title
    except NotFound:
        raise refuse("key", "unknown-item", f"no public {kind.value} {key} in {slug}", value=key) from None


def add_item(
    session: Session, slug: str, round_id: int, data: ItemIn, *, now: datetime | None = None
) -> ItemOut:
    """Put an item to a round before it opens; its title is taken from its source (a snapshot)."""
    _, row = get_round(session, slug, round_id)
    if status_of(row, now) in (RoundStatus.OPEN, RoundStatus.CLOSED):
        raise Conflict("items are put to a round before it opens (ballots rank the items it opened with)")
    if data.kind == ItemKind.PROPOSAL:
        title = check_text(data.title or "", "title", limit=200, lines=False)
        key = data.key.strip() or f"p{next_position(session, row.id)}"
    else:
        key = check_text(data.key, "key", limit=300, lines=False)
        title = _source_title(session, slug, data.kind, key)
    description = check_text(data.description, "description", limit=MAX_COMMENT) if data.description else None
    exists = session.scalar(
        select(ConsultationItem.id).where(
            ConsultationItem.round_id == row.id,
            ConsultationItem.kind == data.kind.value,
            ConsultationItem.key == key,
        )
    )
    if exists is not None:
        raise Conflict(f"the round already has the {data.kind.value} item {key!r}")
    item = ConsultationItem(
        round_id=row.id,
        kind=data.kind.value,
        key=key,
        title=title,
        description=description,
        position=next_position(session, row.id),
        status=VISIBLE,
    )
    session.add(item)
    session.flush()
    return item_out(item)


def next_position(session: Session, round_id: int) -> int:
    last = session.scalar(
        select(func.max(ConsultationItem.position)).where(ConsultationItem.round_id == round_id)
    )
    return int(last or 0) + 1


def open_round(
    session: Session,
    slug: str,
    round_id: int,
    *,
    closes_at: datetime | None = None,
    now: datetime | None = None,
) -> ConsultationRound:
    """Open a draft or scheduled round now, until ``closes_at`` (or its stored closing time)."""
    _, row = get_round(session, slug, round_id)
    at = moment(now)
    status = status_of(row, at)
    if status in (RoundStatus.OPEN, RoundStatus.CLOSED):
        raise Conflict(f"the round is {status.value}; only a draft or scheduled round can be opened")
    if closes_at is not None and closes_at.tzinfo is None:
        raise InvalidInput("give the closing time with a time zone, e.g. 2025-06-30T18:00+02:00")
    until = closes_at or (as_utc(row.closes_at) if row.closes_at else None)
    if until is None:
        raise InvalidInput("opening a round needs its closing time")
    if until <= at:
        raise InvalidInput(f"the closing time {until.isoformat()} is not in the future")
    if len(visible_items(session, row.id)) < 2:
        raise Conflict("a round needs at least two items before it opens")
    row.opens_at = stored_time(at)
    row.closes_at = stored_time(until)
    session.flush()
    return row


def close_round(
    session: Session, slug: str, round_id: int, *, now: datetime | None = None
) -> ConsultationRound:
    """Close an open round now."""
    _, row = get_round(session, slug, round_id)
    at = moment(now)
    status = status_of(row, at)
    if status != RoundStatus.OPEN:
        raise Conflict(f"the round is {status.value}; only an open round can be closed")
    row.closes_at = stored_time(at)
    session.flush()
    return row
