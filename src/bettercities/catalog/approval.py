"""The approval workflow of datasets: draft -> submitted -> approved (locks the data) -> published.

Unlocking (back to draft, from any later state) needs a reason. Every step is recorded in
:class:`ApprovalEvent` (who, when, from, to, why). :func:`ensure_writable` is registered as a lock with
:mod:`bettercities.indicators.writes` through the manifest, so every write of observations (imports,
outlier corrections, stored carry-overs) is refused while their dataset is locked. The catalogue's
withholding rule (:func:`withheld_until_published`, registered with :mod:`bettercities.publication.rules`
through the manifest) tells the publication step which indicators' observations the public may not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.catalog.models import ApprovalEvent, Dataset, DatasetIndicator
from bettercities.catalog.schemas import LOCKED_STATES, AccessRights, ApprovalEventOut, State
from bettercities.catalog.service import get_dataset
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.indicators import writes
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
    dataset.state = target.value
    dataset.modified_at = datetime.now(UTC)
    event = ApprovalEvent(
        dataset_id=dataset.id, from_state=current.value, to_state=target.value, user=user, reason=reason
    )
    session.add(event)
    session.flush()
    return _event_out(event, code)


def _event_out(event: ApprovalEvent, code: str) -> ApprovalEventOut:
    return ApprovalEventOut(
        dataset=code,
        from_state=State(event.from_state),
        to_state=State(event.to_state),
        user=event.user,
        reason=event.reason,
        at=event.at,
    )


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
    "transition",
    "unreleased_indicator_ids",
    "withheld_until_published",
]
