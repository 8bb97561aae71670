"""Evaluation runs: the long panel of an intervention's outcome built from the city's stored observations as
an audience may see them, the estimate of :func:`bettercities.impact.designs.estimate`, and the stored run
with the plan version it was checked against.

**The panel.** One row per area and period: the treated areas (the intervention's), the comparison areas
(the plan's comparison areas or donor pool; by default every other area of the treated areas' level) and
the periods of the pre-period and the post-period (periods of the pre-period's kind). Values are read only
through the publication step (:func:`bettercities.indicators.service.level_values` for the run's audience):
a cell withheld from that audience (suppressed, protected, an indicator it may not see) never enters, and for
every audience but the city's data team neither does a perturbed cell (the rule :mod:`bettercities.privacy`
applies to every value derived from published cells: a published derived value is a function of published,
unperturbed values only). Areas without a value in every period are left out (the panel is balanced), and
the run says which.

**Designs with one treated unit** (synthetic control, interrupted time series): several treated areas are
evaluated as one unit, the unweighted mean of their values (``treated areas``).

**Followed the plan?** A run compares what it estimated (outcome, design, pre- and post-periods, comparison
areas, control group) with the latest plan version registered before it and lists every difference.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.analysis.priority.models import PrioritySet
from bettercities.areas import service as areas
from bettercities.areas.models import Area, City
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.impact import service
from bettercities.impact.designs import estimate
from bettercities.impact.models import EvaluationPlan, EvaluationRun, Intervention, InterventionArea
from bettercities.impact.register_schemas import Departure, RunIn, RunSettings
from bettercities.impact.schemas import Design, EstimateResult, EstimateSpec
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Period
from bettercities.indicators.periods import PeriodSpec, parse_period
from bettercities.indicators.schemas import Polarity
from bettercities.publication import Audience, protection
from bettercities.storage.versioning import current_version

__all__ = [
    "TREATED_UNIT",
    "Panel",
    "build_panel",
    "describe",
    "differences",
    "evaluate",
    "notes",
    "panel_of_run",
    "selected_on_outcome",
    "settings_for",
    "spec_for",
    "time_of",
]

#: The unit a design with one treated unit sees when several areas are treated (their mean).
TREATED_UNIT = "treated areas"
#: Designs that estimate on one treated unit.
ONE_UNIT = {Design.SYNTHETIC_CONTROL, Design.ITS}
COLUMNS = ["unit", "period", "time", "outcome", "treated", "treatment", "cohort"]


def time_of(period: PeriodSpec) -> int:
    """A period as the panel's integer time: the year of a year; year × n + index of half years, quarters and
    months (consecutive periods of one kind are consecutive integers); the day number of a date."""
    year = period.start_date.year
    if period.kind == "year":
        return year
    if period.kind == "half_year":
        return year * 2 + (period.start_date.month - 1) // 6
    if period.kind == "quarter":
        return year * 4 + (period.start_date.month - 1) // 3
    if period.kind == "month":
        return year * 12 + period.start_date.month - 1
    return period.start_date.toordinal()


@dataclass
class Panel:
    """The long panel of one run with what a reader needs to know of how it was built."""

    frame: pd.DataFrame
    treated: list[str]
    comparison: list[str]
    start_time: int
    #: cells withheld from (or protected for) the run's audience, not used
    withheld: int = 0
    #: areas left out for lacking a usable value in some period
    left_out: list[str] = field(default_factory=list)

    def csv(self) -> str:
        return str(self.frame[COLUMNS].to_csv(index=False, lineterminator="\n"))


def _problem(code: str, message: str, column: str | None = None) -> InvalidInput:
    problem = Problem(code=code, message=message, column=column, file=service.SOURCE)
    return InvalidInput(message, Report(source=service.SOURCE, problems=[problem]))


def _periods(session: Session, city: City, indicator: Indicator, settings: RunSettings) -> list[Period]:
    """The stored periods of the outcome in the pre-period and the post-period, of the pre-period's kind."""
    pre_start, pre_end = parse_period(settings.pre_start), parse_period(settings.pre_end)
    post_start = parse_period(settings.post_start)
    post_end = parse_period(settings.post_end) if settings.post_end else None
    codes = [p.code for p in indicators.list_periods(session, city, indicator)]
    rows = session.scalars(select(Period).where(Period.code.in_(codes))).all()
    chosen = []
    for period in rows:
        if period.kind != pre_start.kind:
            continue
        pre = pre_start.start_date <= period.start_date and period.end_date <= pre_end.end_date
        post = post_start.start_date <= period.start_date and (
            post_end is None or period.end_date <= post_end.end_date
        )
        if pre or post:
            chosen.append(period)
    return sorted(chosen, key=lambda p: (p.end_date, p.start_date))


def build_panel(
    session: Session,
    city: City,
    row: Intervention,
    indicator: Indicator,
    settings: RunSettings,
    *,
    audience: Audience,
) -> Panel:
    """The panel of ``indicator`` for the intervention's areas and the comparison areas (module docs)."""
    if row.level_code is None:
        raise _problem("unknown-level", f"intervention {row.id} has no level of areas", "areas")
    level = areas.get_level(session, city, row.level_code)
    treated = sorted(
        session.scalars(select(InterventionArea.area_code).where(InterventionArea.intervention_id == row.id))
    )
    periods = _periods(session, city, indicator, settings)
    start = time_of(parse_period(settings.post_start))
    marks = protection.marks(session, city.id) if audience != Audience.INTERNAL else {}
    ids: dict[int, str] = {}
    if marks:
        ids = {
            int(i): c for i, c in session.execute(select(Area.id, Area.code).where(Area.level_id == level.id))
        }
    wanted = set(settings.comparison)
    cells: dict[tuple[str, str], float] = {}
    seen: set[str] = set()
    left_out = 0
    for period in periods:
        values, _ = indicators.level_values(session, indicator, period, level, audience=audience)
        perturbed = {
            ids[area_id]
            for (ind, per, area_id) in marks
            if ind == indicator.id and per == period.id and area_id in ids
        }
        for value in values:
            code = value.area_code
            if wanted and code not in wanted and code not in treated:
                continue
            seen.add(code)
            hidden = audience != Audience.INTERNAL and (value.suppressed or code in perturbed)
            if value.value is None or hidden:
                left_out += hidden
                continue
            cells[(code, period.code)] = float(value.value)
    comparison = sorted((wanted or seen) - set(treated))
    codes = [*treated, *comparison]
    complete = [c for c in codes if all((c, p.code) in cells for p in periods)]
    records: list[dict[str, Any]] = []
    for code in complete:
        is_treated = code in treated
        for period in periods:
            time = time_of(parse_period(period.code))
            records.append(
                {
                    "unit": code,
                    "period": period.code,
                    "time": time,
                    "outcome": cells[(code, period.code)],
                    "treated": int(is_treated),
                    "treatment": int(is_treated and time >= start),
                    "cohort": start if is_treated else 0,
                }
            )
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    return Panel(
        frame=frame,
        treated=[c for c in treated if c in complete],
        comparison=[c for c in comparison if c in complete],
        start_time=start,
        withheld=left_out,
        left_out=[c for c in codes if c not in complete],
    )


def _one_unit(frame: pd.DataFrame) -> pd.DataFrame:
    """The treated areas as one unit (their mean per period) beside the comparison areas."""
    treated = frame[frame["treated"] == 1]
    if treated["unit"].nunique() <= 1:
        return frame
    mean = (
        treated.groupby(["period", "time"], as_index=False)
        .agg(outcome=("outcome", "mean"), treatment=("treatment", "max"), cohort=("cohort", "max"))
        .assign(unit=TREATED_UNIT, treated=1)
    )
    return pd.concat([mean[COLUMNS], frame[frame["treated"] == 0][COLUMNS]], ignore_index=True)


def spec_for(
    panel: Panel, settings: RunSettings, polarity: Polarity | None, *, selected: bool
) -> tuple[pd.DataFrame, EstimateSpec]:
    """The frame the design reads and its spec (treatment column, cohort or the one treated unit)."""
    design = settings.design
    frame = panel.frame
    fields: dict[str, Any] = {
        "design": design, "unit": "unit", "time": "time", "outcome": "outcome", "alpha": settings.alpha,
        "polarity": polarity if polarity is not Polarity.NEUTRAL else None,
        "selected_on_outcome": selected, "control_group": settings.control_group,
    }  # fmt: skip
    if design in (Design.DID, Design.TWFE):
        fields["treatment"] = "treatment"
    elif design is Design.STAGGERED_DID:
        fields["cohort"] = "cohort"
    else:
        frame = _one_unit(frame)
        units = frame.loc[frame["treated"] == 1, "unit"].unique()
        fields["treated_unit"] = str(units[0]) if len(units) else TREATED_UNIT
        fields["treatment_start"] = panel.start_time
    return frame.reset_index(drop=True), EstimateSpec.model_validate(fields)


def _rule_indicators(rule: Any) -> set[str]:
    """Every indicator code a stored priority rule names (conditions nested in groups included)."""
    found: set[str] = set()
    if isinstance(rule, dict):
        for key, value in rule.items():
            if key == "indicator" and isinstance(value, str):
                found.add(value)
            else:
                found |= _rule_indicators(value)
    elif isinstance(rule, list):
        for value in rule:
            found |= _rule_indicators(value)
    return found


def selected_on_outcome(session: Session, row: Intervention, indicator: Indicator) -> bool:
    """Whether the treated areas came from a priority set whose rule used the outcome: a condition on it, or
    a class of an index run that read it."""
    if row.priority_set_id is None:
        return False
    chosen = session.get(PrioritySet, row.priority_set_id)
    if chosen is None:
        return False
    used = _rule_indicators(json.loads(chosen.rule))
    for run_id in json.loads(chosen.runs or "[]"):
        used |= set(_index_inputs(session, int(run_id)))
    return indicator.code in used


def _index_inputs(session: Session, run_id: int) -> list[str]:
    """The indicators a stored index run read (its configuration's columns)."""
    from bettercities.analysis.index.config import parse_config
    from bettercities.analysis.index.methods import get_method
    from bettercities.analysis.index.models import IndexRun

    run = session.get(IndexRun, run_id)
    if run is None:
        return []
    config = parse_config(json.loads(run.config), name=f"index run {run_id}")
    return list(get_method(run.method).indicator_columns(config))


def settings_for(session: Session, plan: EvaluationPlan | None, given: RunIn) -> RunSettings:
    """What a run estimates: the plan's settings with the run's overrides."""
    if plan is None:
        missing = [
            n
            for n in ("indicator", "design", "pre_start", "pre_end", "post_start")
            if getattr(given, n) is None
        ]
        if missing:
            raise _problem(
                "missing-option",
                f"no evaluation plan is registered: give {', '.join(missing)} (or register a plan first)",
                missing[0],
            )
        base: dict[str, Any] = {
            "comparison": [],
            "post_end": None,
            "control_group": "never-treated",
            "alpha": 0.05,
        }
    else:
        indicator = session.get(Indicator, plan.indicator_id)
        assert indicator is not None
        base = {
            "indicator": indicator.code, "design": plan.design, "comparison": json.loads(plan.comparison),
            "pre_start": plan.pre_start, "pre_end": plan.pre_end, "post_start": plan.post_start,
            "post_end": plan.post_end, "control_group": plan.control_group, "alpha": plan.alpha,
        }  # fmt: skip
    overrides = given.model_dump(exclude_none=True)
    if "comparison" in overrides:
        overrides["comparison"] = sorted(dict.fromkeys(overrides["comparison"]))
    return RunSettings.model_validate({**base, **overrides})


#: The settings a run is compared with its plan on, and their names in a difference.
COMPARED = {
    "indicator": "outcome",
    "design": "design",
    "pre_start": "start of the pre-period",
    "pre_end": "end of the pre-period",
    "post_start": "start of the post-period",
    "post_end": "end of the post-period",
    "comparison": "comparison areas",
    "control_group": "control group",
    "alpha": "confidence level",
}


def differences(session: Session, plan: EvaluationPlan | None, settings: RunSettings) -> list[Departure]:
    """How ``settings`` depart from ``plan`` (empty: the run followed it); without a plan, the one departure
    ``plan``."""
    if plan is None:
        return [Departure(setting="plan")]
    planned = settings_for(session, plan, RunIn())
    found = []
    for name in COMPARED:
        before, now = getattr(planned, name), getattr(settings, name)
        if before != now:
            found.append(Departure(setting=name, planned=_value(before), run=_value(now)))
    return found


def _value(value: Any) -> str | None:
    if isinstance(value, list):
        return ",".join(value)
    return None if value is None else str(getattr(value, "value", value))


def describe(departure: Departure) -> str:
    """A departure from the plan in plain English (the pages say it in the reader's language)."""
    if departure.setting == "plan":
        return "no evaluation plan was registered before this run"

    def text(value: str | None) -> str:
        if departure.setting == "comparison":
            return f"{len(value.split(','))} areas" if value else "the other areas of the level"
        return "open" if value is None else value

    return f"{COMPARED[departure.setting]}: planned {text(departure.planned)}, run with {text(departure.run)}"


def notes(withheld: int, left_out: list[str], audience: str) -> list[str]:
    """How a panel was built, in plain English: withheld cells not used, areas left out."""
    found = []
    if withheld:
        found.append(
            f"Values withheld from or protected for the {audience} audience were not used: {withheld}."
        )
    if left_out:
        more = f" and {len(left_out) - 20} more" if len(left_out) > 20 else ""
        found.append(f"Left out for lacking a usable value in some period: {', '.join(left_out[:20])}{more}.")
    return found


def evaluate(
    session: Session,
    city: str | City,
    intervention_id: int,
    given: RunIn,
    *,
    actor: str | None,
    audience: Audience = Audience.PUBLIC,
) -> int:
    """Run an evaluation of an intervention and store it; returns the run's id.

    The panel is read as ``audience`` sees the data (the public by default, so that the stored result may be
    shown to everyone). Raises :class:`InvalidInput` (a refused setting, a panel the design cannot use)
    before writing anything."""
    city = city if isinstance(city, City) else areas.get_city(session, city)
    row = service.get_intervention_row(session, city, intervention_id)
    plan = service.latest_plan(session, row.id)
    settings = settings_for(session, plan, given)
    periods = {
        "pre_start": settings.pre_start, "pre_end": settings.pre_end,
        "post_start": settings.post_start, "post_end": settings.post_end,
    }  # fmt: skip
    indicator, _parsed, problems = service.check_settings(
        session, city, row, indicator_code=settings.indicator, comparison=settings.comparison,
        periods=periods, audience=audience,
    )  # fmt: skip
    service._refuse(problems)
    assert indicator is not None
    panel = build_panel(session, city, row, indicator, settings, audience=audience)
    selected = selected_on_outcome(session, row, indicator)
    frame, spec = spec_for(panel, settings, Polarity(indicator.polarity), selected=selected)
    result = estimate(frame, spec, source=f"{city.slug}/interventions/{row.id}/{indicator.code}")
    departures = differences(session, plan, settings)
    version = current_version(session)
    stored = EvaluationRun(
        city_id=city.id,
        intervention_id=row.id,
        plan_id=plan.id if plan is not None else None,
        plan_version=plan.version if plan is not None else None,
        followed_plan=not departures,
        differences=json.dumps([d.model_dump() for d in departures]),
        indicator_id=indicator.id,
        design=settings.design.value,
        settings=json.dumps(
            {
                **settings.model_dump(mode="json"),
                "treated": panel.treated,
                "comparison_areas": panel.comparison,
                "withheld": panel.withheld,
                "left_out": panel.left_out,
            }
        ),
        audience=audience.value,
        data_version=int(version),
        verdict=result.verdict.value,
        evidence_level=result.evidence_level,
        estimate=result.estimate,
        result=result.model_dump_json(),
        panel=panel.csv(),
        created_by=actor,
    )
    session.add(stored)
    session.flush()
    return stored.id


def panel_of_run(run: EvaluationRun) -> pd.DataFrame:
    """The panel a stored run estimated on (its CSV)."""
    return pd.read_csv(io.StringIO(run.panel), dtype={"unit": str, "period": str})


def reestimate(session: Session, run: EvaluationRun) -> EstimateResult:
    """The estimate of a stored run computed again from its stored panel and spec (a check that the stored
    result is what the design gives)."""
    stored = EstimateResult.model_validate_json(run.result)
    settings = RunSettings.model_validate(json.loads(run.settings))
    panel = Panel(
        frame=panel_of_run(run),
        treated=[],
        comparison=[],
        start_time=time_of(parse_period(settings.post_start)),
    )
    frame, spec = spec_for(panel, settings, stored.spec.polarity, selected=stored.spec.selected_on_outcome)
    return estimate(frame, spec, source=f"run {run.id}")
