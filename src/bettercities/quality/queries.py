"""What the quality faces show (CLI, JSON API, pages): rules with their results, the outlier queue, the
import history of an indicator, a revision diff. One function per view; the faces only render them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.core.problems import Problem
from bettercities.publication import Audience
from bettercities.quality import diff, outliers, rules
from bettercities.quality.schemas import (
    DiffQuery,
    HistoryView,
    QueueFilter,
    QueueView,
    RuleStatus,
    RulesView,
)

EXAMPLES = 5


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


def diff_view(session: Session, city_slug: str, query: DiffQuery) -> diff.RevisionDiff:
    """The diff between the two states ``query`` names, with every value: the views of the quality domain
    are the city's data team's (they need the permission ``view_suppressed``)."""
    return diff.diff(session, query.spec(city_slug, Audience.INTERNAL))


__all__ = ["diff_view", "history_view", "queue_view", "rules_view"]
