"""Writes of the hub: add a practice or an event, remove one.

Every reference (city, network, programme, indicator, goal) is checked and every problem reported together,
as :class:`~bettercities.core.problems.Problem`\\ s with ``hub-`` codes in an
:class:`~bettercities.core.errors.InvalidInput` report, before anything is written. The full-text index
follows by the database's own triggers (:mod:`bettercities.hub.search`); the audit domain's storage hooks
record every write of the session. Who may write is decided by the faces with :func:`programme_of` and
``access.policy.require_programme_coordinator`` (the coordinators of the programme's networks and platform
admins; an entry of no programme: platform admins).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bettercities.access.policy import (
    Forbidden,
    Principal,
    can_administer_platform,
    require_programme_coordinator,
)
from bettercities.areas.models import City
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report, Severity
from bettercities.goals.models import Goal
from bettercities.hub.models import Event, Practice, PracticeGoal, PracticeIndicator
from bettercities.hub.schemas import EventIn, PracticeIn
from bettercities.indicators.models import Indicator
from bettercities.networks.models import Network, Programme

__all__ = [
    "add_event",
    "add_practice",
    "get_event",
    "get_practice",
    "programme_of",
    "remove",
    "require_writer",
]

SOURCE = "hub"


def _problem(code: str, message: str, *, column: str, value: object = None) -> Problem:
    return Problem(code=code, message=message, column=column, file=SOURCE,
                   value=None if value is None else str(value))  # fmt: skip


def _refuse(problems: Sequence[Problem]) -> None:
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if errors:
        raise InvalidInput(
            "; ".join(p.message for p in errors), Report(source=SOURCE, problems=list(problems))
        )


def _check_text(values: dict[str, str | None], *, lines: frozenset[str]) -> list[Problem]:
    """Blank texts and control characters are refused (a title is one line; PostgreSQL stores no NUL)."""
    found = []
    for name, text in values.items():
        if text is None:
            continue
        allowed = "\n\r\t" if name in lines else ""
        if not text.strip():
            found.append(_problem("hub-invalid-text", f"the {name} is blank", column=name))
        elif any((ord(c) < 32 or c == "\x7f") and c not in allowed for c in text):
            found.append(
                _problem("hub-invalid-text", f"the {name} contains a control character", column=name)
            )
    return found


def _check_url(url: str | None, column: str) -> list[Problem]:
    if url is None:
        return []
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [_problem("hub-invalid-url", f"{url!r} is not an http or https address", column=column,
                         value=url)]  # fmt: skip
    return []


def _place(
    session: Session, network_slug: str | None, programme_slug: str | None, problems: list[Problem]
) -> tuple[Network | None, Programme | None]:
    """The network and programme named (the programme defaults to the network's); a programme that is not the
    network's is refused."""
    network = programme = None
    if network_slug:
        network = session.scalar(select(Network).where(Network.slug == network_slug))
        if network is None:
            message = f"no network '{network_slug}'"
            problems.append(_problem("hub-unknown-reference", message, column="network", value=network_slug))
    if programme_slug:
        programme = session.scalar(select(Programme).where(Programme.slug == programme_slug))
        if programme is None:
            problems.append(_problem("hub-unknown-reference", f"no programme '{programme_slug}'",
                                     column="programme", value=programme_slug))  # fmt: skip
    if network is not None and network.programme_id is not None:
        if programme is not None and programme.id != network.programme_id:
            problems.append(_problem("hub-unknown-reference",
                                     f"network '{network.slug}' is not of programme '{programme.slug}'",
                                     column="programme", value=programme.slug))  # fmt: skip
        elif programme is None and not programme_slug:
            programme = session.get(Programme, network.programme_id)
    return network, programme


def _taken(session: Session, model: type[Practice] | type[Event], slug: str) -> None:
    if session.scalar(select(model.id).where(model.slug == slug)) is not None:
        what = "practice" if model is Practice else "event"
        raise Conflict(f"{what} '{slug}' exists already")


def add_practice(session: Session, spec: PracticeIn, *, by: str) -> Practice:
    """Add a practice with its linked indicators (codes) and goals (ids of goals of its city)."""
    _taken(session, Practice, spec.slug)
    problems = _check_text(
        {"title": spec.title, "theme": spec.theme, "summary": spec.summary, "results": spec.results},
        lines=frozenset({"summary", "results"}),
    )
    for i, document in enumerate(spec.documents, 1):
        problems += _check_text({f"documents[{i}].title": document.title}, lines=frozenset())
        problems += _check_url(document.url, f"documents[{i}].url")
    city = None
    if spec.city:
        city = session.scalar(select(City).where(City.slug == spec.city))
        if city is None:
            problems.append(_problem("hub-unknown-reference", f"no city '{spec.city}'", column="city",
                                     value=spec.city))  # fmt: skip
    network, programme = _place(session, spec.network, spec.programme, problems)
    codes = sorted(set(spec.indicators))
    indicators: dict[str, int] = {
        code: id_
        for code, id_ in session.execute(
            select(Indicator.code, Indicator.id).where(Indicator.code.in_(codes))
        )
    }
    for code in codes:
        if code not in indicators:
            problems.append(_problem("hub-unknown-reference", f"no indicator '{code}'", column="indicators",
                                     value=code))  # fmt: skip
    goals: dict[int, int] = {
        id_: city_id
        for id_, city_id in session.execute(select(Goal.id, Goal.city_id).where(Goal.id.in_(spec.goals)))
    }
    for goal_id in sorted(set(spec.goals)):
        if goal_id not in goals:
            problems.append(_problem("hub-unknown-reference", f"no goal {goal_id}", column="goals",
                                     value=goal_id))  # fmt: skip
        elif city is None or goals[goal_id] != city.id:
            problems.append(_problem("hub-goal-elsewhere",
                                     f"goal {goal_id} is not a goal of the practice's city", column="goals",
                                     value=goal_id))  # fmt: skip
    _refuse(problems)
    practice = Practice(
        slug=spec.slug,
        title=spec.title.strip(),
        language=spec.language,
        city_id=city.id if city else None,
        network_id=network.id if network else None,
        programme_id=programme.id if programme else None,
        theme=(spec.theme or "").strip() or None,
        summary=spec.summary.strip(),
        results=(spec.results or "").strip() or None,
        documents=json.dumps([d.model_dump() for d in spec.documents], ensure_ascii=False),
        created_by=by,
    )
    session.add(practice)
    session.flush()
    session.add_all(PracticeIndicator(practice_id=practice.id, indicator_id=indicators[c]) for c in codes)
    session.add_all(PracticeGoal(practice_id=practice.id, goal_id=g) for g in sorted(set(spec.goals)))
    session.flush()
    return practice


def add_event(session: Session, spec: EventIn, *, by: str) -> Event:
    """Add an event (a webinar …) with its speakers, outcomes and recommendations."""
    _taken(session, Event, spec.slug)
    problems = _check_text(
        {"title": spec.title, "theme": spec.theme, "topic": spec.topic, "outcomes": spec.outcomes},
        lines=frozenset({"topic", "outcomes"}),
    )
    for i, speaker in enumerate(spec.speakers, 1):
        problems += _check_text({f"speakers[{i}]": speaker}, lines=frozenset())
    for i, item in enumerate(spec.recommendations, 1):
        problems += _check_text({f"recommendations[{i}]": item}, lines=frozenset({f"recommendations[{i}]"}))
    problems += _check_url(spec.recording_url, "recording_url")
    network, programme = _place(session, spec.network, spec.programme, problems)
    _refuse(problems)
    event = Event(
        slug=spec.slug,
        title=spec.title.strip(),
        kind=spec.kind.value,
        language=spec.language,
        held_on=spec.held_on,
        network_id=network.id if network else None,
        programme_id=programme.id if programme else None,
        theme=(spec.theme or "").strip() or None,
        topic=spec.topic.strip(),
        speakers=json.dumps([s.strip() for s in spec.speakers], ensure_ascii=False),
        recording_url=(spec.recording_url or "").strip() or None,
        outcomes=(spec.outcomes or "").strip() or None,
        recommendations=json.dumps([r.strip() for r in spec.recommendations], ensure_ascii=False),
        created_by=by,
    )
    session.add(event)
    session.flush()
    return event


def get_practice(session: Session, slug: str) -> Practice:
    practice = session.scalar(select(Practice).where(Practice.slug == slug))
    if practice is None:
        raise NotFound("practice", slug)
    return practice


def get_event(session: Session, slug: str) -> Event:
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound("event", slug)
    return event


def programme_of(session: Session, *, network: str | None = None, programme: str | None = None) -> int | None:
    """The id of the programme an entry belongs to (the one named, else the network's), for the write rule;
    ``None`` for an entry of no programme. Unknown names are left to the write's own checks."""
    if programme:
        found = session.scalar(select(Programme.id).where(Programme.slug == programme))
        if found is not None:
            return found
    if network:
        return session.scalar(select(Network.programme_id).where(Network.slug == network))
    return None


def remove(session: Session, kind: str, slug: str) -> None:
    """Remove a practice or an event (its links and its places in guides go with it)."""
    item: Practice | Event = get_practice(session, slug) if kind == "practice" else get_event(session, slug)
    if isinstance(item, Practice):
        session.execute(delete(PracticeIndicator).where(PracticeIndicator.practice_id == item.id))
        session.execute(delete(PracticeGoal).where(PracticeGoal.practice_id == item.id))
    session.delete(item)
    session.flush()


def require_writer(principal: Principal, programme_id: int | None, *, what: str) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may write hub entries of the programme: a coordinator of
    one of its networks or a platform admin; an entry of no programme only a platform admin (never through a
    read-only token)."""
    if programme_id is not None:
        require_programme_coordinator(principal, programme_id, what=what)
    elif not can_administer_platform(principal):
        if principal.anonymous:
            raise Forbidden(f"sign in to {what}", anonymous=True)
        raise Forbidden(f"{principal.name} may not {what} (an entry of no programme: platform admins only)")
