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
#: The demo's texts are German, as its planners would write them (the German pages show them as they are).
#: Areas an action works in: at most this many of the priority set's (in code order).
ACTION_AREAS = 6

#: Two actions per theme of an indicator: title, description, responsible unit, partners, budget (EUR),
#: funding source.
_ACTIONS: dict[str, tuple[tuple[str, str, str, tuple[str, ...], str, str], ...]] = {
    "labour": (
        ("Jobcoaching im Quartier", "Jobcoaches mit offenen Sprechstunden in den Stadtteilzentren der "
         "Fördergebiete.", "Jobcenter Auenstedt", ("Stadtteilzentren", "Handwerkskammer"), "480000", "ESF+"),
        ("Bildungsgutscheine für Langzeitarbeitslose", "Berufliche Weiterbildung mit Kinderbetreuung für "
         "Menschen, die ein Jahr oder länger arbeitslos sind.", "Jobcenter Auenstedt", ("Volkshochschule",),
         "350000", "Bundesprogramm"),
    ),
    "poverty": (
        ("Leistungsberatung in Schulen und Kitas", "Beraterinnen und Berater helfen Familien, die Leistungen "
         "zu beantragen, die ihnen zustehen (Bildung und Teilhabe, Kinderzuschlag).", "Jugendamt",
         ("Grundschulen", "Kita-Träger"), "260000", "Haushalt der Stadt"),
        ("Mittagessen und Ferienprogramm", "Ein warmes Mittagessen in jeder Grundschule der Fördergebiete "
         "und ein Ferienprogramm für Kinder aus Familien im Leistungsbezug.", "Schulamt",
         ("Sportvereine", "Träger der Jugendhilfe"), "410000", "Stiftung"),
    ),
    "demography": (
        ("Netzwerk für Alleinerziehende", "Offene Beratung, Notfallbetreuung und Gesprächsgruppen für "
         "Alleinerziehende.", "Jugendamt", ("Familienzentren",), "190000", "ESF+"),
        ("Längere Kita-Öffnungszeiten", "Kitas öffnen von 6 bis 20 Uhr für Eltern im Schichtdienst.",
         "Jugendamt", ("Kita-Träger",), "620000", "Landesprogramm"),
    ),
    "housing": (
        ("Quartiersmanagement", "Ein Quartiersbüro mit Mieterberatung, Quartiersfonds und "
         "Nachbarschaftsfesten.", "Amt für Stadtentwicklung und Wohnen",
         ("Wohnungsbaugenossenschaften", "Quartiersräte"), "540000", "Bundesprogramm Sozialer Zusammenhalt"),
        ("Modernisierung mit Mietobergrenzen", "Energetische Modernisierung der städtischen Wohnungen, die "
         "Mieten zehn Jahre lang gedeckelt.", "Amt für Stadtentwicklung und Wohnen",
         ("Städtische Wohnungsbaugesellschaft",), "2400000", "EFRE"),
    ),
}  # fmt: skip
#: The themes of the demo's status index (unemployment, transfer benefits, child poverty).
_DEFAULT_THEMES = ("labour", "poverty")


def _objective_title(goal: GoalOut | None, theme: str) -> str:
    if goal is None:
        return {"labour": "Mehr Menschen in Arbeit", "poverty": "Weniger Kinder und Familien in Armut"}.get(
            theme, "Stabile Nachbarschaften"
        )
    return f"Ziel: {goal.title}"


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
            title=f"Integrierter Handlungsplan für die Fördergebiete {start.year}–{end.year}",
            summary="Wie die Stadt ihre Ziele in den Planungsräumen mit niedrigem oder sehr niedrigem "
            f"sozialem Status erreichen will (Gebietsauswahl {set_name}): Handlungsziele, Maßnahmen mit "
            "Budget und Finanzierung, Risiken.",
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
                        MilestoneIn(title="Start in den ersten Gebieten", due=begins),
                        MilestoneIn(title="Zwischenbewertung", due=date(begins.year + 1, 9, 30)),
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
        RiskIn(description="Personal für die Quartiersbüros lässt sich nicht rechtzeitig gewinnen.",
               likelihood=RiskLevel.MEDIUM, impact=RiskLevel.HIGH,
               mitigation="Gemeinsame Stellen mit den Trägern der Jugendhilfe; zuerst in weniger Gebieten."),
        RiskIn(description="Die Kofinanzierung aus den EU-Programmen wird später bewilligt als geplant.",
               likelihood=RiskLevel.LOW, impact=RiskLevel.HIGH,
               mitigation="Zwischenfinanzierung aus dem Haushalt der Stadt im ersten Jahr (Ratsbeschluss)."),
        RiskIn(description="Die Angebote erreichen die Familien in den Fördergebieten nicht.",
               likelihood=RiskLevel.MEDIUM, impact=RiskLevel.MEDIUM,
               mitigation="Aufsuchende Arbeit über Schulen und Kitas; Material in mehreren Sprachen.",
               action_id=first_action),
    ]  # fmt: skip
    for risk in risks:
        plans.add_risk(session, slug, plan_id, risk)
    return plan_id


__all__ = ["add_plan"]
