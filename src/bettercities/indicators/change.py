"""Change of an indicator between two periods, area by area: absolute (percentage points for shares) and
relative, computed from *published* values only.

Both periods' values come from :func:`~bettercities.indicators.service.level_values`, which has already
applied disclosure control for the audience; a change is published only where both of its values are: an
area whose value is withheld in either period gets no change (status ``withheld``), so a change never
reveals a withheld value. The city's data team sees raw values; for them a change the public would not see
is computed but keeps the status ``withheld`` and names the protection in ``protection``.

>>> from bettercities.indicators.schemas import AreaValue
>>> before = [AreaValue(area_code="01", area_name="A", value=10.0), AreaValue(area_code="02", area_name="B",
...     value=None, suppressed=True)]
>>> after = [AreaValue(area_code="01", area_name="A", value=12.5), AreaValue(area_code="02", area_name="B",
...     value=4.0)]
>>> [(c.area_code, c.absolute, c.relative, c.status.value) for c in area_changes(before, after)]
[('01', 2.5, 25.0, 'changed'), ('02', None, None, 'withheld')]
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bettercities.areas.models import SpatialLevel
from bettercities.core.errors import InvalidInput
from bettercities.indicators.models import Indicator, Period
from bettercities.indicators.schemas import AreaValue
from bettercities.indicators.service import level_values
from bettercities.publication import Audience

__all__ = ["AreaChange", "ChangeStatus", "ChangeSummary", "area_changes", "change_unit", "check_order"]
__all__ += ["level_change", "summarise_changes"]

#: The protection label of a cell the public sees with a perturbed (not a withheld) value.
_PERTURBED = "perturbed"


class ChangeStatus(StrEnum):
    """Why an area has a change or not."""

    CHANGED = "changed"  # both values published: the change is computed
    WITHHELD = "withheld"  # a value is withheld in either period: no change is published
    NO_DATA = "no_data"  # a value is missing in either period
    NEW = "new"  # the area is not on the map of the first period (a boundary change)
    ENDED = "ended"  # the area is not on the map of the second period


class AreaChange(BaseModel):
    """One area's values in two periods and the change between them."""

    area_code: str
    area_name: str
    from_value: float | None = Field(description="Published value in the first period.")
    to_value: float | None = Field(description="Published value in the second period.")
    absolute: float | None = Field(
        default=None, description="to_value - from_value, in the indicator's unit (percentage points for %)."
    )
    relative: float | None = Field(
        default=None, description="Change in percent of from_value (none when from_value is 0)."
    )
    status: ChangeStatus
    estimated: bool = Field(default=False, description="Either value is estimated (aggregated, carried).")
    provisional: bool = False
    #: For the city's data team only: why the public sees no change (or a change of perturbed values).
    protection: str | None = None


class ChangeSummary(BaseModel):
    """How many areas rose, fell, stayed, and why the others have no change."""

    increased: int = 0
    decreased: int = 0
    unchanged: int = 0
    withheld: int = 0
    no_data: int = 0
    new: int = 0
    ended: int = 0


def change_unit(unit: str) -> str:
    """The unit of an absolute change: percentage points (``pp``) for a share in percent, else the unit."""
    return "pp" if unit == "%" else unit


def _withheld_for_public(value: AreaValue) -> bool:
    return value.suppressed or (value.protection is not None and value.protection != _PERTURBED)


def _protection(before: AreaValue, after: AreaValue) -> str | None:
    labels = [label for label in (before.protection, after.protection) if label]
    return ", ".join(dict.fromkeys(labels)) or None


def area_changes(before: Sequence[AreaValue], after: Sequence[AreaValue]) -> list[AreaChange]:
    """The change of every area from the published values ``before`` to ``after`` (areas in the order of
    ``after``, then those only in ``before``).

    ``absolute = after - before``; ``relative = 100 * (after - before) / |before|`` (``None`` when
    ``before`` is 0). An area in only one of the lists is ``new`` or ``ended``; a withheld value in either
    period gives ``withheld`` without a change for the public.
    """
    first = {v.area_code: v for v in before}
    second = {v.area_code: v for v in after}
    out: list[AreaChange] = []
    for code in [*second, *(c for c in first if c not in second)]:
        old, new = first.get(code), second.get(code)
        if old is None or new is None:
            only = new if new is not None else old
            assert only is not None
            out.append(
                AreaChange(
                    area_code=code,
                    area_name=only.area_name,
                    from_value=None if old is None else old.value,
                    to_value=None if new is None else new.value,
                    status=ChangeStatus.NEW if old is None else ChangeStatus.ENDED,
                    estimated=only.estimated,
                    provisional=only.provisional,
                )
            )
            continue
        row = AreaChange(
            area_code=code,
            area_name=new.area_name,
            from_value=old.value,
            to_value=new.value,
            status=ChangeStatus.CHANGED,
            estimated=old.estimated or new.estimated,
            provisional=old.provisional or new.provisional,
            protection=_protection(old, new),
        )
        if _withheld_for_public(old) or _withheld_for_public(new):
            row.status = ChangeStatus.WITHHELD
        elif old.value is None or new.value is None:
            row.status = ChangeStatus.NO_DATA
        if old.value is not None and new.value is not None and row.status != ChangeStatus.NO_DATA:
            # the public never gets here with a withheld value (it has none); the data team sees the change
            row.absolute = new.value - old.value
            row.relative = 100 * row.absolute / abs(old.value) if old.value else None
        out.append(row)
    return out


def summarise_changes(changes: Sequence[AreaChange]) -> ChangeSummary:
    """Counts of :func:`area_changes` by direction and status."""
    summary = ChangeSummary()
    for change in changes:
        if change.status == ChangeStatus.CHANGED and change.absolute is not None:
            name = "increased" if change.absolute > 0 else "decreased" if change.absolute < 0 else "unchanged"
        else:
            name = change.status.value
        setattr(summary, name, getattr(summary, name) + 1)
    return summary


def check_order(before: Period, after: Period) -> None:
    """Refuse a change whose first period does not end before the second."""
    if before.end_date >= after.end_date:
        raise InvalidInput(
            f"parameter 'from': period {before.code} must end before period 'to' {after.code} "
            "(a change needs two different periods, the earlier first)"
        )


def level_change(
    session: Session,
    indicator: Indicator,
    before: Period,
    after: Period,
    level: SpatialLevel,
    *,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
) -> list[AreaChange]:
    """The change of ``indicator`` from ``before`` to ``after`` for the areas of ``level``, from the values
    :func:`~bettercities.indicators.service.level_values` publishes for ``audience``."""
    check_order(before, after)
    first, _ = level_values(session, indicator, before, level, audience=audience, networks=networks)
    second, _ = level_values(session, indicator, after, level, audience=audience, networks=networks)
    return area_changes(first, second)
