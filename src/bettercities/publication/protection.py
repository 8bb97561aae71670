"""The registry of disclosure control: which published cells an audience sees withheld or perturbed.

A domain (``privacy``) registers one *protector*: given a city, it returns the marks of the city's cells,
keyed ``(indicator_id, period_id, area_id)`` (``area_id`` ``None`` for the city-wide cell). A mark says
whether the cell is withheld (its value, numerator and denominator are not published) or perturbed (the
published values replace the stored ones), and carries a label for the data team (``primary (frequency)``,
``secondary``, ``perturbed``). The protector caches its work per data version; this module imports no domain:
the manifest names the module that registers it (:attr:`bettercities.domains.Domain.publication_rules`).

:func:`protect_values` and :func:`protect_points` apply marks for an audience: the public and the city's
members see withheld cells as ``suppressed`` without values and perturbed cells with their perturbed values;
the city's data team (:attr:`Audience.INTERNAL`) sees the raw values, each marked in its ``protection`` field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from bettercities import domains
from bettercities.publication.audience import Audience

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: A cell of a city: (indicator id, period id, area id or None for the city as a whole).
CellKey = tuple[int, int, int | None]


class CellMark(Protocol):
    """What protection did to one cell."""

    @property
    def withheld(self) -> bool: ...

    @property
    def value(self) -> float | None: ...

    @property
    def numerator(self) -> float | None: ...

    @property
    def denominator(self) -> float | None: ...

    def label(self) -> str: ...


class Protector(Protocol):
    """The marks of every protected cell of city ``city_id`` (unmarked cells are published as they are)."""

    def __call__(self, session: Session, city_id: int) -> Mapping[CellKey, CellMark]: ...


class Marked(Protocol):
    """A published value protection can mark: a pydantic model with ``value``, ``suppressed``, ``protection``
    (and optionally ``numerator``, ``denominator``)."""

    @property
    def suppressed(self) -> bool: ...

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self: ...


P = TypeVar("P", bound=Protector)
M = TypeVar("M", bound=Marked)

_protectors: list[Protector] = []
_extensions = domains.Extensions(domains.publication_rules_modules)

#: The label of cells that are withheld because an input of their derived value is withheld.
WITHHELD = "withheld"


def protects(protector: P) -> P:
    """Register ``protector`` (usable as a decorator)."""
    if protector not in _protectors:
        _protectors.append(protector)
    return protector


def protectors() -> tuple[Protector, ...]:
    """Every registered protector."""
    _extensions.load()
    return tuple(_protectors)


def marks(session: Session, city_id: int) -> Mapping[CellKey, CellMark]:
    """The marks of city ``city_id`` by every registered protector (a later protector's mark of a cell wins
    only where it withholds)."""
    found = [protector(session, city_id) for protector in protectors()]
    if len(found) == 1:
        return found[0]
    merged: dict[CellKey, CellMark] = {}
    for one in found:
        for key, mark in one.items():
            if key not in merged or mark.withheld:
                merged[key] = mark
    return merged


def protect_values(
    values: Sequence[M], cell_marks: Sequence[CellMark | None], *, audience: Audience
) -> list[M]:
    """Apply ``cell_marks`` (one per value, ``None`` for an unmarked cell) for ``audience``: withheld values
    lose value, numerator and denominator and become suppressed, perturbed ones publish their perturbed
    values; the data team sees every raw value with its mark in ``protection``."""
    return _apply(values, cell_marks, audience=audience, counts=True)


def protect_points(
    points: Sequence[M], cell_marks: Sequence[CellMark | None], *, audience: Audience
) -> list[M]:
    """:func:`protect_values` for series points (``value`` only, no numerator or denominator)."""
    return _apply(points, cell_marks, audience=audience, counts=False)


def _apply(
    items: Sequence[M], cell_marks: Sequence[CellMark | None], *, audience: Audience, counts: bool
) -> list[M]:
    out: list[M] = []
    for item, mark in zip(items, cell_marks, strict=True):
        if mark is None:
            out.append(item)
        elif audience == Audience.INTERNAL:
            out.append(item.model_copy(update={"protection": mark.label()}))
        elif mark.withheld:
            blank = {"value": None, "numerator": None, "denominator": None} if counts else {"value": None}
            out.append(item.model_copy(update={**blank, "suppressed": True}))
        else:
            published = {"value": mark.value}
            if counts:
                published |= {"numerator": mark.numerator, "denominator": mark.denominator}
            out.append(item.model_copy(update=published))
    return out


__all__ = [
    "WITHHELD",
    "CellKey",
    "CellMark",
    "Marked",
    "Protector",
    "marks",
    "protect_points",
    "protect_values",
    "protectors",
    "protects",
]
