"""Evaluation of a priority rule: the areas of a city that meet its conditions, with the reasons they met.

Conditions read stored index runs (:mod:`bettercities.analysis.index.results`), local spatial statistics
(:func:`bettercities.analysis.spatial.service.analyse`) and published values, all as ``audience`` may see
them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bettercities.analysis.index.schemas import MssAreaScore
from bettercities.analysis.priority.schemas import (
    Condition,
    GroupCondition,
    HotspotCondition,
    IndexClassCondition,
    LisaCondition,
    PriorityArea,
    PriorityResult,
    PriorityRule,
    ThresholdCondition,
)
from bettercities.analysis.spatial import budget as budgets
from bettercities.analysis.spatial.service import analyse
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import NotFound
from bettercities.indicators import service as indicators
from bettercities.publication import Audience

__all__ = ["evaluate"]

Matches = dict[str, list[str]]  # area code -> reasons
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
    "!=": operator.ne,
}  # fmt: skip


class _Context:
    """What conditions share while one rule is evaluated: city, level, period and stored runs read."""

    def __init__(
        self,
        session: Session,
        city: City,
        level: str | None,
        period: str | None,
        audience: Audience = Audience.PUBLIC,
        networks: frozenset[int] = frozenset(),
    ) -> None:
        self.session, self.city, self.level, self.period = session, city, level, period
        self.audience, self.networks = audience, networks
        self.runs: dict[int, Any] = {}

    def run(self, run_id: int | None) -> Any:
        from bettercities.analysis.index import results

        if run_id is None:
            candidates = [
                r
                for r in results.list_runs(self.session, self.city.slug)
                if (self.level is None or r.level == self.level)
                and (self.period is None or r.period == self.period)
            ]
            if not candidates:
                raise NotFound("index run", f"{self.city.slug}/{self.level or '*'}/{self.period or '*'}")
            run_id = max(candidates, key=lambda r: (r.computed_at, r.id)).id
        if run_id not in self.runs:
            stored = results.published_run(
                self.session, results.get_run(self.session, run_id), self.audience, self.networks
            )
            if stored.city != self.city.slug:
                raise NotFound("index run", f"{self.city.slug}/{run_id}")
            self.runs[run_id] = stored
            self.level = self.level or stored.level
            self.period = self.period or stored.period
        return self.runs[run_id]


def _index_class(context: _Context, condition: IndexClassCondition) -> Matches:
    run = context.run(condition.run)
    wanted = set(condition.classes)
    # an area whose inputs include a suppressed value has no class outside the data team (publish_scores)
    withheld = set() if context.audience == Audience.INTERNAL else set(run.inputs.suppressed_areas)
    matches = {}
    for score in run.result.areas:
        if not score.scored or score.area_id in withheld:
            continue
        if isinstance(score, MssAreaScore):
            code = {"status": score.status_class, "dynamics": score.dynamics_class}.get(
                condition.index, score.combined_class
            )
            label = {"status": score.status_label, "dynamics": score.dynamics_label}.get(
                condition.index, score.combined_label
            )
        else:
            code, label = score.class_code, score.class_label
        if code in wanted:
            matches[score.area_id] = [f"{condition.index} class {code}" + (f" ({label})" if label else "")]
    return matches


def _local(context: _Context, condition: LisaCondition | HotspotCondition) -> Matches:
    result = analyse(
        context.session, context.city.slug, condition.indicator, period=context.period, level=context.level,
        weights=condition.weights, permutations=condition.permutations, seed=condition.seed,
        alpha=condition.alpha, audience=context.audience, networks=context.networks,
    )  # fmt: skip
    context.level, context.period = result.level, result.period
    if isinstance(condition, LisaCondition):
        wanted: set[str] = set(condition.clusters)
        return {
            a.area_id: [f"LISA {a.cluster} of {condition.indicator}"]
            for a in result.areas
            if a.cluster in wanted
        }
    wanted = set(condition.spots)
    return {
        a.area_id: [f"Gi* {a.hotspot} spot of {condition.indicator}"]
        for a in result.areas
        if a.hotspot in wanted
    }


def _threshold(context: _Context, condition: ThresholdCondition) -> Matches:
    from bettercities.analysis.spatial.service import resolve

    _, indicator, period, level = resolve(
        context.session, context.city.slug, condition.indicator, period=context.period, level=context.level
    )
    context.level, context.period = level.code, period.code
    values, _ = indicators.level_values(
        context.session, indicator, period, level, audience=context.audience, networks=context.networks
    )
    test = OPERATORS[condition.op]
    return {
        v.area_code: [f"{condition.indicator} = {v.value:g} {condition.op} {condition.value:g}"]
        for v in values
        if v.value is not None and not v.suppressed and test(v.value, condition.value)
    }


def _evaluate(context: _Context, condition: Condition) -> Matches:
    if isinstance(condition, IndexClassCondition):
        return _index_class(context, condition)
    if isinstance(condition, LisaCondition | HotspotCondition):
        return _local(context, condition)
    if isinstance(condition, ThresholdCondition):
        return _threshold(context, condition)
    return _combine(context, condition.combine, condition.conditions)[0]


def _combine(context: _Context, combine: str, conditions: list[Condition]) -> tuple[Matches, list[int]]:
    # index-class conditions first: a stored run fixes the level and period the other conditions use
    order = sorted(range(len(conditions)), key=lambda i: not isinstance(conditions[i], IndexClassCondition))
    results: list[Matches] = [{}] * len(conditions)
    for i in order:
        results[i] = _evaluate(context, conditions[i])
    codes = set(results[0])
    for matches in results[1:]:
        codes = codes & set(matches) if combine == "all" else codes | set(matches)
    combined = {code: [r for m in results if code in m for r in m[code]] for code in codes}
    return combined, [len(m) for m in results]


def _permutations(conditions: list[Condition]) -> int:
    """The permutations of the LISA and Gi* conditions, groups included (each runs one analysis)."""
    total = 0
    for condition in conditions:
        if isinstance(condition, LisaCondition | HotspotCondition):
            total += condition.permutations
        elif isinstance(condition, GroupCondition):
            total += _permutations(condition.conditions)
    return total


def evaluate(
    session: Session,
    slug: str,
    rule: PriorityRule,
    *,
    level: str | None = None,
    period: str | None = None,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
    budget: int | None = None,
) -> PriorityResult:
    """The areas of a city that meet ``rule`` (level and period: arguments, then the rule, then its run),
    judged on what ``audience`` (with the viewer's ``networks``) may see: published values, and index
    classes of areas without a suppressed input (all of them for the city's data team).

    ``budget``: the most permutation draws × areas the rule's LISA and Gi* conditions may cost together
    (:mod:`bettercities.analysis.spatial.budget`); a rule above it is refused before anything is computed.
    """
    city = areas.get_city(session, slug)
    if budget is not None and (permutations := _permutations(rule.conditions)):
        budgets.check(
            draws=budgets.DRAWS_PER_PERMUTATION * permutations,
            # the level of a stored run may be chosen later: judge on the rule's level, else the finest
            areas_count=budgets.level_size(session, city, level or rule.level),
            budget=budget,
            what=f"This rule ({permutations:,} permutations over its LISA and Gi* conditions)",
        )
    context = _Context(session, city, level or rule.level, period or rule.period, audience, networks)
    matches, counts = _combine(context, rule.combine, rule.conditions)
    if context.level is None:
        finest = areas.finest_level(session, city)
        if finest is None:
            raise NotFound("spatial level", slug)
        context.level = finest.code
    level_row = areas.get_level(session, city, context.level)
    at = indicators.get_period(session, context.period).end_date if context.period else None
    names = {a.code: a.name for a in areas.areas_of_level(session, level_row, at=at)}
    result = PriorityResult(
        city=city.slug,
        rule=rule,
        level=context.level,
        period=context.period,
        runs=sorted(context.runs),
        areas=[
            PriorityArea(area_id=code, name=names.get(code, code), reasons=matches[code])
            for code in sorted(matches)
        ],
        total=len(names),
        condition_counts=counts,
        audience=audience,
    )
    result._networks = networks if audience == Audience.PUBLIC else frozenset()
    return result
