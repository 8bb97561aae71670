"""The reads the privacy faces share (the page, its JSON twin, the API and the CLI): which rules protect a
city's published tables, the p-tables of its cell-key rules, and — for the city's data team — what
protection withholds and perturbs.

What an audience sees of the rules follows what it may see of the city: a rule of an indicator or dataset
the audience may not see at all is left out (the public learns no code of a restricted dataset from here),
and so are who set a rule and when. Keys and the city's cell-key secret are never part of any view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.catalog.queries import catalog_view
from bettercities.indicators import service as indicators
from bettercities.privacy import service
from bettercities.privacy.queries import rules_by_indicator
from bettercities.privacy.schemas import Method, ProtectionReport, RelationOut, RuleOut
from bettercities.publication import Audience, withheld_indicators

if TYPE_CHECKING:
    from bettercities.privacy.cellkey import PTable


class PTableRow(BaseModel):
    """One row of a p-table: for an original count ``original`` (the last row: this count and above), the
    deviations the cell-key method may add and their probabilities."""

    original: int
    and_above: bool = Field(default=False, description="The row holds for every larger count too.")
    deviations: list[int]
    probabilities: list[float]


class PTableOut(BaseModel):
    """The published p-table of a cell-key rule: its parameters and its rows (never any key)."""

    max_deviation: int
    variance: float
    js: int
    rows: list[PTableRow]


class RuleView(BaseModel):
    """A rule as the privacy page shows it: the rule, the visible indicators it protects and, for a
    cell-key rule, its p-table."""

    rule: RuleOut
    indicators: list[str] = Field(description="Codes of the city's indicators this rule applies to.")
    ptable: PTableOut | None = None


class PrivacyView(BaseModel):
    """The privacy page of a city: its rules, declared relations and p-tables for everyone; the protection
    report for its data team (``report`` is ``None`` for everyone else)."""

    city: str
    city_name: str
    rules: list[RuleView]
    relations: list[RelationOut]
    report: ProtectionReport | None = None
    period: str | None = Field(default=None, description="The period the report is limited to.")


def ptable_out(ptable: PTable) -> PTableOut:
    """The documented form of a :class:`~bettercities.privacy.cellkey.PTable`."""
    rows = [
        PTableRow(
            original=int(row.original),
            and_above=bool(row.and_above),
            deviations=[int(d) for d in row.deviations],
            probabilities=[float(p) for p in row.probabilities],
        )
        for row in ptable.rows()
    ]
    return PTableOut(max_deviation=ptable.max_deviation, variance=ptable.variance, js=ptable.js, rows=rows)


def ptable_of(rule: RuleOut) -> PTableOut:
    """The p-table a cell-key ``rule`` perturbs with."""
    from bettercities.privacy.cellkey import PTable

    return ptable_out(PTable.build(max_deviation=rule.max_deviation, variance=rule.variance, js=rule.js))


def _public(rule: RuleOut) -> RuleOut:
    return rule.model_copy(update={"created_by": None, "created_at": None})


def rule_views(
    session: Session, city: City, *, audience: Audience, networks: frozenset[int] = frozenset()
) -> list[RuleView]:
    """The city's rules as ``audience`` may see them, each with the indicators it applies to."""
    hidden = withheld_indicators(session, city.id, audience=audience, networks=networks)
    visible = [i for i in indicators.list_indicators(session, city) if i.id not in hidden]
    applied = rules_by_indicator(session, city.id, [i.id for i in visible])
    by_scope: dict[str, list[str]] = {}
    for item in visible:
        by_scope.setdefault(applied[item.id].scope, []).append(item.code)
    datasets = {d.code for d in catalog_view(session, city.slug, audience=audience).datasets}
    codes = {i.code for i in visible}
    views = []
    for rule in service.list_rules(session, city):
        if rule.indicator is not None and rule.indicator not in codes:
            continue
        if rule.dataset is not None and rule.dataset not in datasets:
            continue
        shown = rule if audience == Audience.INTERNAL else _public(rule)
        ptable = ptable_of(rule) if rule.method == Method.CELL_KEY else None
        views.append(RuleView(rule=shown, indicators=sorted(by_scope.get(rule.scope, [])), ptable=ptable))
    return views


def privacy_view(
    session: Session,
    slug: str,
    *,
    audience: Audience,
    networks: frozenset[int] = frozenset(),
    with_report: bool = True,
    period: str | None = None,
) -> PrivacyView:
    """The privacy page of city ``slug`` for ``audience``; the report (``with_report``) only for the data
    team (:attr:`Audience.INTERNAL`), limited to ``period`` when given (:class:`NotFound` for an unknown
    one)."""
    city = areas.get_city(session, slug)
    report = None
    if with_report and audience == Audience.INTERNAL:
        report = protection_report(session, city, period)
    relations = service.list_relations(session, city)
    if audience != Audience.INTERNAL:
        relations = [r.model_copy(update={"created_by": None, "created_at": None}) for r in relations]
    return PrivacyView(
        city=city.slug,
        city_name=city.name,
        rules=rule_views(session, city, audience=audience, networks=networks),
        relations=relations,
        report=report,
        period=period,
    )


def protection_report(session: Session, city: City, period: str | None = None) -> ProtectionReport:
    """What protection withholds and perturbs in ``city`` (in ``period`` when given), for the data team."""
    chosen = indicators.get_period(session, period) if period else None
    return service.report(session, city, chosen)


def indicator_ptable(session: Session, slug: str, indicator: str) -> PTableOut | None:
    """The p-table that perturbs ``indicator`` in city ``slug``, or ``None`` when it is not protected by the
    cell-key method (:class:`NotFound` for an unknown city or indicator)."""
    city = areas.get_city(session, slug)
    ptable = service.ptable_for(session, city, indicators.get_indicator(session, indicator))
    return None if ptable is None else ptable_out(ptable)


__all__ = [
    "PTableOut",
    "PTableRow",
    "PrivacyView",
    "RuleView",
    "indicator_ptable",
    "privacy_view",
    "protection_report",
    "ptable_of",
    "ptable_out",
    "rule_views",
]
