"""The demo city's action plan: an Integrated Action Plan in URBACT's structure for its priority areas,
through the same library calls as ``bettercities plans add``, ``plans objective add``, ``plans action add``
and ``plans risk add`` (:mod:`bettercities.plans.service`).

One objective per demo goal (linked to it), two actions per objective with responsible unit, partners,
timeline and milestones, budget and funding source, working in the goal's areas (a priority set's areas, or
the set's for a city-wide goal), and three risks. The plan runs from the year after the demo's last year to
the goals' deadline; every date is fixed relative to the demo's last year (the demo is the same whenever it is
built). The first objective's first action is under way; the others are planned. Without goals (a demo of a
single year) the objectives are those of the themes of the priority set's status index, unlinked.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from bettercities.goals.schemas import GoalOut, SelectionKind
from bettercities.plans import service as plans
from bettercities.plans.schemas import (
    ActionIn,
    ActionStatus,
    MilestoneIn,
    ObjectiveIn,
    PlanIn,
    PlanStatus,
    RiskIn,
    RiskLevel,
)

USER = "bettercities demo"
OWNER = "Amt für Stadtentwicklung und Wohnen"
#: Areas an action works in: at most this many of the priority set's (in code order).
ACTION_AREAS = 6

#: Two actions per theme of an indicator: title, description, responsible unit, partners, budget (EUR),
#: funding source.
_ACTIONS: dict[str, tuple[tuple[str, str, str, tuple[str, ...], str, str], ...]] = {
    "labour": (
        ("Neighbourhood job coaching", "Job coaches with open consultation hours in the neighbourhood "
         "centres of the priority areas.", "Jobcenter Auenstedt", ("Neighbourhood centres", "Chamber of "
         "Crafts"), "480000", "ESF+"),
        ("Training vouchers for the long-term unemployed", "Vocational training with childcare, for people "
         "out of work for a year or longer.", "Jobcenter Auenstedt", ("Adult education centre",),
         "350000", "national programme"),
    ),
    "poverty": (
        ("Benefits advice in schools and day-care centres", "Advisers help families claim the benefits they "
         "are entitled to (Bildung und Teilhabe, child supplement).", "Jugendamt (Youth Office)",
         ("Primary schools", "Day-care providers"), "260000", "municipal"),
        ("Free lunch and holiday programme", "A warm lunch in every primary school of the priority areas and "
         "a holiday programme for children of benefit households.", "Schulamt (School Office)",
         ("Sports clubs", "Youth welfare organisations"), "410000", "foundation"),
    ),
    "demography": (
        ("Network for single parents", "Drop-in counselling, emergency childcare and peer groups for single "
         "parents.", "Jugendamt (Youth Office)", ("Family centres",), "190000", "ESF+"),
        ("Longer day-care opening hours", "Day-care centres open from 6 to 20 h for parents in shift work.",
         "Jugendamt (Youth Office)", ("Day-care providers",), "620000", "regional programme"),
    ),
    "housing": (
        ("Neighbourhood management", "A neighbourhood office with tenant advice, a residents' fund and "
         "local events.", "Amt für Stadtentwicklung und Wohnen", ("Housing associations", "Residents' "
         "councils"), "540000", "national programme"),
        ("Modernisation with rent caps", "Energy modernisation of the municipal housing stock with rents "
         "capped for ten years.", "Amt für Stadtentwicklung und Wohnen", ("Municipal housing company",),
         "2400000", "ERDF"),
    ),
}  # fmt: skip
#: The themes of the demo's status index (unemployment, transfer benefits, child poverty).
_DEFAULT_THEMES = ("labour", "poverty")


def _objective_title(goal: GoalOut | None, theme: str) -> str:
    if goal is None:
        return {"labour": "More people in work", "poverty": "Fewer children and families in poverty"}.get(
            theme, "Stable neighbourhoods"
        )
    return f"{goal.indicator_name}: reach {goal.target_value:g} {goal.unit} by {goal.deadline.year}"


def add_plan(
    session: Session,
    slug: str,
    *,
    set_name: str,
    set_areas: list[str],
    goal_list: list[GoalOut],
    last_year: int,
) -> int:
    """Store the demo's action plan (module docs); its id."""
    start, end = (
        date(last_year + 1, 1, 1),
        max([date(last_year + 4, 12, 31), *(g.deadline for g in goal_list)]),
    )
    plan_id = plans.add_plan(
        session,
        slug,
        PlanIn(
            title=f"Integrated action plan for the priority areas {start.year}–{end.year}",
            summary=f"How the city works towards its goals in the planning areas of low or very low social "
            f"status (priority set {set_name}): objectives, actions with their budgets and funding, risks.",
            period_from=start,
            period_to=end,
            status=PlanStatus.ADOPTED,
            owner_unit=OWNER,
            public=True,
        ),
        user=USER,
    )
    pairs: list[tuple[GoalOut | None, str]] = []
    for each in goal_list:  # each objective its own actions: a theme taken already gives way to the next
        wanted = next(iter(each.themes), "housing")
        free = [t for t in (wanted, *_ACTIONS) if t in _ACTIONS and t not in {p[1] for p in pairs}]
        pairs.append((each, free[0]))
    pairs = pairs or [(None, t) for t in _DEFAULT_THEMES]
    first_action: int | None = None
    for number, (goal, theme) in enumerate(pairs):
        goals = [goal.id] if goal is not None else []
        objective = plans.add_objective(
            session,
            slug,
            plan_id,
            ObjectiveIn(title=_objective_title(goal, theme), description=goal.rationale or "" if goal else "",
                        goals=goals),
        )  # fmt: skip
        where = goal.area_codes if goal is not None and goal.areas.kind is SelectionKind.PRIORITY_SET else []
        codes = sorted(where or set_areas)[:ACTION_AREAS]
        for index, (title, text, unit, partners, budget, source) in enumerate(_ACTIONS[theme]):
            begins = date(start.year + index, 3 + number, 1)
            action = plans.add_action(
                session,
                slug,
                objective,
                ActionIn(
                    title=title,
                    description=text,
                    responsible_unit=unit,
                    partners=list(partners),
                    start=begins,
                    end=date(end.year - 1 + index, 12, 31),
                    milestones=[
                        MilestoneIn(title="Start in the first areas", due=begins),
                        MilestoneIn(title="Interim evaluation", due=date(begins.year + 1, 9, 30)),
                    ],
                    budget=Decimal(budget),
                    currency="EUR",
                    funding_source=source,
                    status=ActionStatus.IN_PROGRESS if number == index == 0 else ActionStatus.PLANNED,
                    goals=goals,
                    areas=codes,
                ),
                user=USER,
            )
            first_action = first_action or action
    risks = [
        RiskIn(description="Staff for the neighbourhood offices cannot be recruited in time.",
               likelihood=RiskLevel.MEDIUM, impact=RiskLevel.HIGH,
               mitigation="Shared posts with the youth welfare organisations; start in fewer areas first."),
        RiskIn(description="Co-funding from the EU programmes is approved later than planned.",
               likelihood=RiskLevel.LOW, impact=RiskLevel.HIGH,
               mitigation="Municipal bridge funding for the first year (council decision)."),
        RiskIn(description="Families in the priority areas are not reached by the offers.",
               likelihood=RiskLevel.MEDIUM, impact=RiskLevel.MEDIUM,
               mitigation="Outreach through schools and day-care centres; materials in several languages.",
               action_id=first_action),
    ]  # fmt: skip
    for risk in risks:
        plans.add_risk(session, slug, plan_id, risk)
    return plan_id


__all__ = ["add_plan"]
