"""The demo city's intervention and its evaluation (issue 14): neighbourhood management
("Quartiersmanagement") in the planning areas of its public priority set from the middle year of the demo's
years on, registered as a planner would (``bettercities impact intervention add``), with an evaluation plan
registered before any result (a difference in differences of the unemployment rate against the city's other
planning areas) and one evaluation run by the plan on the data the public sees.

The verdict is whatever the demo's synthetic data give: the generator knows no measure, so "no detectable
change" is the honest expectation, and any other verdict is what the data show. The priority set was chosen
by a social-status index that reads the unemployment rate, so the result carries the regression-to-the-mean
warning. A demo of a single year has no intervention (no year before a start).
"""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput
from bettercities.goals.models import Goal
from bettercities.impact import evaluation, service
from bettercities.impact.models import Intervention
from bettercities.impact.register_schemas import AreaSelection, InterventionIn, PlanIn, RunIn
from bettercities.impact.schemas import Design
from bettercities.indicators.models import Indicator

USER = "bettercities demo"
NAME = "Quartiersmanagement in den Gebieten mit niedrigem Status"
#: The outcome: the first of these indicators the demo has.
OUTCOMES = ("unemployment", "long_term_unemployment", "transfer_benefits")
DESCRIPTION = (
    "Ein Quartiersbüro mit zwei Stellen in jedem Gebiet der Auswahl: Beratung zu Arbeit und Ausbildung, "
    "Nachbarschaftsprojekte, ein Verfügungsfonds für Initiativen der Bewohnerinnen und Bewohner."
)
ANALYSIS = (
    "Differenz-von-Differenzen: Arbeitslosenquote der Gebiete mit Quartiersmanagement gegenüber allen "
    "übrigen Planungsräumen, vor und nach dem Start; Standardfehler nach Planungsraum geclustert. "
    "Die Gebiete wurden nach einem Statusindex ausgewählt, der die Arbeitslosenquote enthält: "
    "Regression zur Mitte ist möglich."
)
#: 400 000 EUR a year per area is typical of a neighbourhood management office; the demo states one sum.
BUDGET_CENTS = 1_800_000_00


def add_intervention(
    session: Session, city: City, *, set_name: str, first_year: int, last_year: int
) -> int | None:
    """Register the demo's intervention with its plan and run its evaluation; returns the intervention's id
    (None on a demo of one year, or when the demo already has it)."""
    if last_year <= first_year:
        return None
    if session.scalar(
        select(Intervention.id).where(Intervention.city_id == city.id, Intervention.name == NAME)
    ):
        return None
    codes = set(session.scalars(select(Indicator.code).where(Indicator.code.in_(OUTCOMES))).all())
    outcome = next((code for code in OUTCOMES if code in codes), None)
    if outcome is None:
        return None
    start = first_year + (last_year - first_year + 1) // 2
    outcome_id = session.scalar(select(Indicator.id).where(Indicator.code == outcome))
    goals = session.scalars(
        select(Goal.id).where(Goal.city_id == city.id, Goal.indicator_id == outcome_id).order_by(Goal.id)
    ).all()
    item = InterventionIn(
        name=NAME,
        description=DESCRIPTION,
        kind="neighbourhood_management",
        areas=AreaSelection(kind="priority_set", value=set_name),
        start_period=str(start),
        budget_cents=BUDGET_CENTS,
        responsible_unit="Amt für Stadtentwicklung und Wohnen",
        indicators=[outcome],
        goals=list(goals),
    )
    found = service.add_intervention(session, city, item, actor=USER)
    service.register_plan(
        session, city, found, PlanIn(indicator=outcome, design=Design.DID, analysis=ANALYSIS), actor=USER
    )
    # the demo's data may leave no panel the design can use (too few areas with data): no run then
    with suppress(InvalidInput):
        evaluation.evaluate(session, city, found, RunIn(), actor=USER)
    return found


__all__ = ["add_intervention"]
