"""Tables of the impact register: interventions with their areas, indicators and goals, evaluation plans
(each version a row of its own, never changed once registered) and evaluation runs (the typed result as
JSON, the plan version it was checked against and the panel it read). Every row carries its city, so the
audit log files each write under the city."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class Intervention(Base):
    """A measure of a city in some of its areas over a time: what, where, when, with what money, by whom."""

    __tablename__ = "intervention"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), doc="neighbourhood_management, youth_work, service, …")
    selection_kind: Mapped[str] = mapped_column(String(20), doc="areas, level or priority_set")
    selection_value: Mapped[str] = mapped_column(Text, doc="What was given: codes, a level or a set name.")
    level_code: Mapped[str | None] = mapped_column(String(60), doc="The level of the treated areas.")
    priority_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("priority_set.id", ondelete="SET NULL"), index=True, doc="The set the areas came from."
    )
    start_period: Mapped[str] = mapped_column(String(20), doc="The first period with the measure.")
    end_period: Mapped[str | None] = mapped_column(String(20), doc="The last period; None: ongoing.")
    budget_cents: Mapped[int | None] = mapped_column(
        BigInteger, doc="The budget in cents of the currency (exact sums; no floating point)."
    )
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    responsible_unit: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InterventionArea(Base):
    """One treated area of an intervention (by its code at the intervention's level)."""

    __tablename__ = "intervention_area"
    __table_args__ = (UniqueConstraint("intervention_id", "area_code", name="uq_intervention_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("intervention.id", ondelete="CASCADE"), index=True
    )
    area_code: Mapped[str] = mapped_column(String(60))


class InterventionIndicator(Base):
    """An indicator an intervention means to change."""

    __tablename__ = "intervention_indicator"
    __table_args__ = (UniqueConstraint("intervention_id", "indicator_id", name="uq_intervention_indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("intervention.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)


class InterventionGoal(Base):
    """A goal of the city an intervention serves."""

    __tablename__ = "intervention_goal"
    __table_args__ = (UniqueConstraint("intervention_id", "goal_id", name="uq_intervention_goal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("intervention.id", ondelete="CASCADE"), index=True
    )
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)


class EvaluationPlan(Base):
    """One version of an intervention's evaluation plan, registered before the results: locked once stored
    (a change is the next version)."""

    __tablename__ = "evaluation_plan"
    __table_args__ = (UniqueConstraint("intervention_id", "version", name="uq_evaluation_plan"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("intervention.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True, doc="The outcome."
    )
    design: Mapped[str] = mapped_column(String(30))
    comparison: Mapped[str] = mapped_column(
        Text, default="[]", doc="JSON list of comparison areas (donor pool); []: the level's other areas."
    )
    pre_start: Mapped[str] = mapped_column(String(20))
    pre_end: Mapped[str] = mapped_column(String(20))
    post_start: Mapped[str] = mapped_column(String(20))
    post_end: Mapped[str | None] = mapped_column(String(20), doc="None: every later period with data.")
    control_group: Mapped[str] = mapped_column(String(30), default="never-treated")
    alpha: Mapped[float] = mapped_column(Float, default=0.05)
    analysis: Mapped[str | None] = mapped_column(Text, doc="The analysis as planned, in words.")
    registered_by: Mapped[str | None] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EvaluationRun(Base):
    """One evaluation of an intervention: the stored result, the plan version in force and whether the run
    followed it, the data version and audience it read, and the panel it estimated on (CSV)."""

    __tablename__ = "evaluation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("intervention.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_plan.id", ondelete="SET NULL"), index=True
    )
    plan_version: Mapped[int | None] = mapped_column(Integer)
    followed_plan: Mapped[bool] = mapped_column(Boolean)
    differences: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of departures from the plan.")
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)
    design: Mapped[str] = mapped_column(String(30))
    settings: Mapped[str] = mapped_column(Text, doc="JSON of what was run (design, periods, comparison).")
    audience: Mapped[str] = mapped_column(String(20), doc="Whose view of the data the panel was read with.")
    data_version: Mapped[int] = mapped_column(BigInteger)
    verdict: Mapped[str] = mapped_column(String(30))
    evidence_level: Mapped[int] = mapped_column(Integer)
    estimate: Mapped[float] = mapped_column(Float)
    result: Mapped[str] = mapped_column(Text, doc="JSON of the EstimateResult.")
    panel: Mapped[str] = mapped_column(Text, doc="CSV of the panel the estimate read.")
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
