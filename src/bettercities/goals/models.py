"""Tables of goals: a goal with its resolved areas and their baselines, its links to priority sets, and the
recorded values of performance measures. A goal's status is never stored: it is computed from the data."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class Goal(Base):
    """A goal of a city: an indicator (or a programme's measure) in areas, from a baseline to a target."""

    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), doc="population or performance")
    performance_kind: Mapped[str | None] = mapped_column(String(20), doc="how_much, how_well, better_off")
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True, doc="A population goal's indicator."
    )
    measure_code: Mapped[str | None] = mapped_column(String(80), doc="A performance measure's own code.")
    measure_name: Mapped[str | None] = mapped_column(String(200))
    measure_unit: Mapped[str | None] = mapped_column(String(60))
    measure_polarity: Mapped[str | None] = mapped_column(String(20))
    selection_kind: Mapped[str] = mapped_column(String(20), doc="areas, level or priority_set")
    selection_value: Mapped[str] = mapped_column(Text, doc="What was given: codes, a level or a set name.")
    level_code: Mapped[str | None] = mapped_column(String(60), doc="The level of the goal's areas.")
    baseline_period: Mapped[str] = mapped_column(String(20))
    baseline_value: Mapped[float] = mapped_column(Float, doc="The group's value at the baseline period.")
    baseline_revision: Mapped[int | None] = mapped_column(Integer)
    target_value: Mapped[float] = mapped_column(Float, doc="Absolute target (resolved from a change).")
    target_change: Mapped[float | None] = mapped_column(Float, doc="The change as given, if one was.")
    deadline: Mapped[date] = mapped_column(Date)
    owner_unit: Mapped[str] = mapped_column(String(200))
    owner_person: Mapped[str | None] = mapped_column(String(200))
    rationale: Mapped[str | None] = mapped_column(Text)
    themes: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of theme names.")
    audience: Mapped[str] = mapped_column(
        String(20), doc="The audience whose view of the data the baseline was read with."
    )
    detectable_change: Mapped[float | None] = mapped_column(Float)
    detectability_warning: Mapped[str | None] = mapped_column(Text)
    polarity_warning: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GoalArea(Base):
    """One area of a goal, with its baseline value and the revision of the observation it came from."""

    __tablename__ = "goal_area"
    __table_args__ = (UniqueConstraint("goal_id", "area_code", name="uq_goal_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    area_code: Mapped[str] = mapped_column(String(60))
    baseline_value: Mapped[float | None] = mapped_column(Float, doc="None: no data for the area then.")
    baseline_revision: Mapped[int | None] = mapped_column(Integer)


class GoalPrioritySet(Base):
    """A link from a goal to a saved priority set it follows from."""

    __tablename__ = "goal_priority_set"
    __table_args__ = (UniqueConstraint("goal_id", "set_id", name="uq_goal_priority_set"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("priority_set.id", ondelete="CASCADE"), index=True)


class GoalMeasureValue(Base):
    """A value of a performance measure for a period, as the programme recorded it."""

    __tablename__ = "goal_measure_value"
    __table_args__ = (UniqueConstraint("goal_id", "period_code", name="uq_goal_measure_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    period_code: Mapped[str] = mapped_column(String(20))
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
