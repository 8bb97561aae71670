"""What the quality faces show (CLI, JSON API, pages): rules with their results, the outlier queue, the
import history of an indicator. One function per view; the faces only render them."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.core.problems import Problem
from bettercities.quality import diff, outliers, rules

EXAMPLES = 5


class RuleStatus(BaseModel):
    """A stored rule and the result of checking it now on the city's current values."""

    rule: rules.RuleSpec
    description: str
    failures: int
    examples: list[Problem] = Field(default_factory=list)


class RulesView(BaseModel):
    """The rules of a city with their results (checked when the view is made)."""

    city: str
    city_name: str
    rules: list[RuleStatus]
    rule_sets: list[str] = Field(description="Shipped rule sets that can be added.")


class QueueFilter(BaseModel):
    """Which flags of the queue to list (one filter for page, API and CLI)."""

    status: str | None = "open"
    indicator: str | None = None
    method: str | None = None


class QueueView(BaseModel):
    """The outlier follow-up queue of a city."""

    city: str
    city_name: str
    filters: QueueFilter
    flags: list[outliers.FlagOut]


class HistoryView(BaseModel):
    """The imports of a city (of one indicator), newest first, each diffed against the one before."""

    city: str
    city_name: str
    indicator: str | None
    imports: list[diff.ImportEntry]


def rules_view(session: Session, city_slug: str) -> RulesView:
    city = areas.get_city(session, city_slug)
    specs = rules.city_rules(session, city)
    report = rules.check_city(session, city_slug, rules=specs)
    found: dict[str, list[Problem]] = {}
    for problem in report.problems:
        # a rule problem's message is "<where>: <rule code>: …"
        code = next((s.code for s in specs if f": {s.code}: " in problem.message), None)
        if code is not None:
            found.setdefault(code, []).append(problem)
    return RulesView(
        city=city.slug,
        city_name=city.name,
        rules=[
            RuleStatus(
                rule=spec,
                description=spec.describe(),
                failures=len(found.get(spec.code, [])),
                examples=found.get(spec.code, [])[:EXAMPLES],
            )
            for spec in specs
        ],
        rule_sets=rules.rule_set_names(),
    )


def queue_view(session: Session, city_slug: str, filters: QueueFilter) -> QueueView:
    city = areas.get_city(session, city_slug)
    flags = outliers.list_flags(
        session, city_slug, status=filters.status or None, indicator=filters.indicator, method=filters.method
    )
    return QueueView(city=city.slug, city_name=city.name, filters=filters, flags=flags)


def history_view(session: Session, city_slug: str, *, indicator: str | None = None) -> HistoryView:
    city = areas.get_city(session, city_slug)
    return HistoryView(
        city=city.slug,
        city_name=city.name,
        indicator=indicator,
        imports=diff.import_history(session, city_slug, indicator=indicator),
    )


__all__ = [
    "HistoryView",
    "QueueFilter",
    "QueueView",
    "RuleStatus",
    "RulesView",
    "history_view",
    "queue_view",
    "rules_view",
]
