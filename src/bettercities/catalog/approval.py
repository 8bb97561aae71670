"""The approval workflow of datasets: draft -> submitted -> approved (locks the data) -> published.

Unlocking (back to draft, from any later state) needs a reason. Every step is recorded in
:class:`ApprovalEvent` (who, when, from, to, why). :func:`ensure_writable` is registered as a lock with
:mod:`bettercities.indicators.writes` through the manifest, so every write of observations (imports,
outlier corrections, stored carry-overs) is refused while their dataset is locked. The catalogue's
withholding rule (:func:`withheld_until_published`, registered with :mod:`bettercities.publication.rules`
through the manifest) tells the publication step which indicators' observations the public may not see.

Two checks guard the approval. With the city's **four-eyes rule** on (:func:`set_four_eyes`), whoever
submitted a dataset may not approve it (:class:`Conflict` with a ``four-eyes`` problem; the step records that
the rule was in force). Approving a dataset whose indicators have **open outlier flags** is allowed, but the
step records how many flags were open and on which indicators (an ``open-outlier-flags`` warning), and every
face shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.catalog.models import ApprovalEvent, CitySetting, Dataset, DatasetIndicator
from bettercities.catalog.schemas import (
    LOCKED_STATES,
    AccessRights,
    ApprovalEventOut,
    CatalogSettings,
    State,
)
from bettercities.catalog.service import get_dataset
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.indicators import writes
from bettercities.indicators.models import Indicator
from bettercities.publication import Audience, rules


class Action(StrEnum):
    """A step of the workflow."""

    SUBMIT = "submit"
    APPROVE = "approve"
    PUBLISH = "publish"
    UNLOCK = "unlock"


#: For each action: the states it starts from and the state it leads to.
TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    Action.SUBMIT: (frozenset({State.DRAFT}), State.SUBMITTED),
    Action.APPROVE: (frozenset({State.SUBMITTED}), State.APPROVED),
    Action.PUBLISH: (frozenset({State.APPROVED}), State.PUBLISHED),
    Action.UNLOCK: (frozenset({State.SUBMITTED, State.APPROVED, State.PUBLISHED}), State.DRAFT),
}


def transition(
    session: Session,
    slug: str,
    code: str,
    action: Action | str,
    *,
    user: str | None,
    reason: str | None = None,
) -> ApprovalEventOut:
    """Move dataset ``code`` of city ``slug`` one step and record it.

    Raises :class:`Conflict` when the dataset is not in a state the action starts from, and
    :class:`InvalidInput` when unlocking without a reason.
    """
    action = Action(action)
    city = areas.get_city(session, slug)
    dataset = get_dataset(session, city, code)
    sources, target = TRANSITIONS[action]
    current = State(dataset.state)
    if current not in sources:
        allowed = ", ".join(sorted(s.value for s in sources))
        raise Conflict(f"cannot {action.value} dataset '{code}': it is {current.value} (needs: {allowed})")
    reason = (reason or "").strip() or None
    if action == Action.UNLOCK and reason is None:
        raise InvalidInput(f"unlocking dataset '{code}' needs a reason")
    four_eyes = action == Action.APPROVE and _setting(session, city.id).four_eyes
    if four_eyes:
        _check_four_eyes(session, dataset, user)
    flags: dict[str, int] = open_flags(session, dataset) if action == Action.APPROVE else {}
    dataset.state = target.value
    dataset.modified_at = datetime.now(UTC)
    event = ApprovalEvent(
        dataset_id=dataset.id,
        from_state=current.value,
        to_state=target.value,
        user=user,
        reason=reason,
        four_eyes=four_eyes,
        open_flags=sum(flags.values()) if action == Action.APPROVE else None,
        flagged_indicators=", ".join(flags) or None,
    )
    session.add(event)
    session.flush()
    return _event_out(event, code)


def submitter(session: Session, dataset: Dataset) -> str | None:
    """Who took the dataset's latest submit step (``None`` when nobody is recorded)."""
    return session.scalar(
        select(ApprovalEvent.user)
        .where(ApprovalEvent.dataset_id == dataset.id, ApprovalEvent.to_state == State.SUBMITTED.value)
        .order_by(ApprovalEvent.id.desc())
        .limit(1)
    )


def _check_four_eyes(session: Session, dataset: Dataset, user: str | None) -> None:
    """Refuse the approval when ``user`` submitted the dataset (or is unknown: the rule needs a name)."""
    submitted_by = submitter(session, dataset)
    if user is not None and user != submitted_by:
        return
    who = f"'{submitted_by}'" if submitted_by else "an unrecorded user"
    message = f"four-eyes rule: dataset '{dataset.code}' was submitted by {who}; " + (
        "an approval needs a named user"
        if user is None
        else f"'{user}' may not approve it too: another user with the approve permission must"
    )
    report = Report(problems=[Problem(code="four-eyes", message=message, column="user", value=user)])
    raise Conflict(message, report)


#: The quality domain's flag table, read by name: quality is a sibling of the catalogue in the layers (neither
#: imports the other), and the approval only counts the open flags.
_FLAGS = table("outlier_flag", column("city_id"), column("indicator_id"), column("status"))


def open_flags(session: Session, dataset: Dataset) -> dict[str, int]:
    """Open outlier flags on the indicators of ``dataset`` in its city, per indicator code (sorted)."""
    rows = session.execute(
        select(Indicator.code, func.count())
        .select_from(_FLAGS)
        .join(Indicator, Indicator.id == _FLAGS.c.indicator_id)
        .join(DatasetIndicator, DatasetIndicator.indicator_id == _FLAGS.c.indicator_id)
        .where(
            DatasetIndicator.dataset_id == dataset.id,
            _FLAGS.c.city_id == dataset.city_id,
            _FLAGS.c.status == "open",
        )
        .group_by(Indicator.code)
        .order_by(Indicator.code)
    ).all()
    return {code: int(n) for code, n in rows}


def _event_out(event: ApprovalEvent, code: str) -> ApprovalEventOut:
    return ApprovalEventOut(
        dataset=code,
        from_state=State(event.from_state),
        to_state=State(event.to_state),
        user=event.user,
        reason=event.reason,
        at=event.at,
        four_eyes=bool(event.four_eyes),
        open_flags=event.open_flags,
        flagged_indicators=[c.strip() for c in (event.flagged_indicators or "").split(",") if c.strip()],
    )


def _setting(session: Session, city_id: int) -> CitySetting:
    """The catalogue's settings of the city (defaults, not stored, when none were set)."""
    found = session.get(CitySetting, city_id)
    return found if found is not None else CitySetting(city_id=city_id, four_eyes=False)


def settings(session: Session, slug: str) -> CatalogSettings:
    """The catalogue's settings of city ``slug``."""
    city = areas.get_city(session, slug)
    found = session.get(CitySetting, city.id)
    if found is None:
        return CatalogSettings(city=city.slug, four_eyes=False)
    return CatalogSettings(
        city=city.slug, four_eyes=found.four_eyes, changed_by=found.changed_by, changed_at=found.changed_at
    )


def set_four_eyes(session: Session, slug: str, on: bool, *, user: str | None) -> CatalogSettings:
    """Turn the four-eyes rule of city ``slug`` on or off (the faces let only city admins do it)."""
    city = areas.get_city(session, slug)
    found = session.get(CitySetting, city.id)
    if found is None:
        found = CitySetting(city_id=city.id)
        session.add(found)
    found.four_eyes, found.changed_by, found.changed_at = on, user, datetime.now(UTC)
    session.flush()
    return settings(session, slug)


def history(session: Session, slug: str, code: str) -> list[ApprovalEventOut]:
    """Every recorded step of dataset ``code``, oldest first."""
    dataset = get_dataset(session, areas.get_city(session, slug), code)
    events = session.scalars(
        select(ApprovalEvent).where(ApprovalEvent.dataset_id == dataset.id).order_by(ApprovalEvent.id)
    ).all()
    return [_event_out(e, code) for e in events]


@writes.locks
def ensure_writable(session: Session, city: City | int, indicator_ids: Iterable[int]) -> None:
    """Refuse (:class:`~bettercities.indicators.writes.Locked`, a :class:`Conflict`) a write of observations
    of ``indicator_ids`` in ``city`` (or the city's id) when any of them belongs to an approved or published
    dataset of the city: approval locks the data."""
    city_id = city if isinstance(city, int) else city.id
    ids = sorted({int(i) for i in indicator_ids})
    if not ids:
        return
    locked = session.execute(
        select(Dataset.code, Dataset.title_en, Dataset.state)
        .join(DatasetIndicator, DatasetIndicator.dataset_id == Dataset.id)
        .where(
            Dataset.city_id == city_id,
            Dataset.state.in_([s.value for s in LOCKED_STATES]),
            DatasetIndicator.indicator_id.in_(ids),
        )
        .distinct()
        .order_by(Dataset.code)
    ).all()
    if locked:
        names = "; ".join(f"dataset '{code}' ({title}) is {state}" for code, title, state in locked)
        raise writes.Locked(
            f"{names}: its data are locked and cannot be written; "
            "unlock the dataset with a reason first (catalog unlock --reason …)"
        )


def unreleased_indicator_ids(session: Session, city_id: int) -> frozenset[int]:
    """Indicators the public may not see in city ``city_id``.

    An indicator is released when at least one dataset of the city that holds it is published with
    public access rights. Indicators in no dataset of the city stay public (the catalogue is opt-in).
    """
    linked = session.execute(
        select(DatasetIndicator.indicator_id, Dataset.state, Dataset.access_rights)
        .join(Dataset, Dataset.id == DatasetIndicator.dataset_id)
        .where(Dataset.city_id == city_id)
    ).all()
    held = {row[0] for row in linked}
    public = {
        row[0] for row in linked if row[1] == State.PUBLISHED.value and row[2] == AccessRights.PUBLIC.value
    }
    return frozenset(held - public)


@rules.withholds
def withheld_until_published(session: Session, city_id: int, audience: Audience) -> frozenset[int]:
    """Catalogue rule: the public may not see the indicators of city ``city_id`` that no published public
    dataset releases (:func:`unreleased_indicator_ids`); the city's members see them."""
    return unreleased_indicator_ids(session, city_id) if audience == Audience.PUBLIC else frozenset()


def ensure_dataset_writable(session: Session, slug: str, code: str) -> None:
    """Refuse (:class:`~bettercities.indicators.writes.Locked`) a write into dataset ``code`` of city ``slug``
    while it is locked."""
    dataset = get_dataset(session, areas.get_city(session, slug), code)
    if dataset.state in LOCKED_STATES:
        raise writes.Locked(
            f"dataset '{dataset.code}' ({dataset.title_en}) is {dataset.state}: its data are locked and "
            "cannot be written; unlock the dataset with a reason first (catalog unlock --reason …)"
        )


__all__ = [
    "TRANSITIONS",
    "Action",
    "ensure_dataset_writable",
    "ensure_writable",
    "history",
    "open_flags",
    "set_four_eyes",
    "settings",
    "submitter",
    "transition",
    "unreleased_indicator_ids",
    "withheld_until_published",
]
