"""Stewardship: who delivers which dataset, how often and when next; the overdue list and reminders.

Only the datasets the audience may see are listed, and the steward's e-mail address only for the city's
members (the rule of :mod:`bettercities.catalog.queries`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.catalog.queries import for_audience, visible_filters
from bettercities.catalog.schemas import DatasetFilter, DatasetOut, Reminder, Responsibility, StewardshipView
from bettercities.catalog.service import list_datasets
from bettercities.publication import Audience

#: Days before the due date from which a reminder is shown.
REMINDER_DAYS = 30


def responsibility(dataset: DatasetOut, today: date) -> Responsibility:
    days = (dataset.next_due - today).days if dataset.next_due else None
    return Responsibility(
        dataset=dataset.code,
        title_de=dataset.title_de,
        title_en=dataset.title_en,
        owner_unit=dataset.owner_unit,
        steward=dataset.steward,
        steward_email=dataset.steward_email,
        frequency=dataset.frequency,
        last_updated=dataset.last_updated,
        next_due=dataset.next_due,
        days_until_due=days,
        overdue=days is not None and days < 0,
        state=dataset.state,
    )


def reminder(item: Responsibility) -> Reminder | None:
    """A reminder when ``item`` is overdue or due within :data:`REMINDER_DAYS`."""
    if item.next_due is None or item.days_until_due is None or item.days_until_due > REMINDER_DAYS:
        return None
    who = item.steward or item.owner_unit or "—"
    if item.overdue:
        days = -item.days_until_due
        return Reminder(
            dataset=item.dataset,
            steward=item.steward,
            next_due=item.next_due,
            overdue=True,
            message_en=f"{item.title_en}: delivery by {who} is {days} days overdue (due {item.next_due}).",
            message_de=f"{item.title_de}: Lieferung durch {who} ist seit {days} Tagen überfällig "
            f"(fällig am {item.next_due:%d.%m.%Y}).",
        )
    return Reminder(
        dataset=item.dataset,
        steward=item.steward,
        next_due=item.next_due,
        overdue=False,
        message_en=f"{item.title_en}: delivery by {who} is due in {item.days_until_due} days "
        f"({item.next_due}).",
        message_de=f"{item.title_de}: Lieferung durch {who} ist in {item.days_until_due} Tagen fällig "
        f"({item.next_due:%d.%m.%Y}).",
    )


def stewardship(
    session: Session, slug: str, *, audience: Audience, today: date | None = None
) -> StewardshipView:
    """Responsibilities of city ``slug``'s datasets that ``audience`` may see (by due date), the overdue ones
    and the reminders."""
    today = today or date.today()
    city = areas.get_city(session, slug)
    datasets = list_datasets(session, city, visible_filters(DatasetFilter(), audience), today=today)
    items = [responsibility(for_audience(d, audience), today) for d in datasets]
    items.sort(key=lambda r: (r.next_due is None, r.next_due or today, r.dataset))
    reminders = [r for r in (reminder(i) for i in items) if r is not None]
    return StewardshipView(
        city=city.slug,
        city_name=city.name,
        today=today,
        responsibilities=items,
        overdue=[i for i in items if i.overdue],
        reminders=reminders,
    )
