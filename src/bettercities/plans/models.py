"""Tables of action plans (the URBACT Integrated Action Plan): a plan, its objectives, their actions with
milestones, links to goals and areas, a history of status changes, and the plan's risks. Every row carries its
city, so the audit log files each write under the city. Budget totals, overdue actions and goal statuses are
computed when read, never stored."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class Plan(Base):
    """An action plan of a city for a period, with its status and whether the public may see it."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), doc="draft, adopted or archived")
    owner_unit: Mapped[str | None] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=False, doc="False: only the city's members see it.")
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanObjective(Base):
    """An objective of a plan (what its actions are for)."""

    __tablename__ = "plan_objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanAction(Base):
    """An action of an objective: who does it with whom, when, with what money from where, and its status."""

    __tablename__ = "plan_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("plan_objective.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    partners: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of partner names.")
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    budget_cents: Mapped[int | None] = mapped_column(
        BigInteger, doc="The budget in cents of the currency (exact sums; no floating point)."
    )
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    funding_source: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), doc="planned, in_progress, done, delayed or dropped")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanMilestone(Base):
    """A dated milestone of an action."""

    __tablename__ = "plan_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_action.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due: Mapped[date] = mapped_column(Date)


class PlanGoalLink(Base):
    """A goal an objective or an action serves (exactly one of the two is set)."""

    __tablename__ = "plan_goal_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_objective.id", ondelete="CASCADE"), index=True
    )
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_action.id", ondelete="CASCADE"), index=True
    )
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)


class PlanActionArea(Base):
    """An area of the city an action works in (by the area's code, checked against the city's areas)."""

    __tablename__ = "plan_action_area"
    __table_args__ = (UniqueConstraint("action_id", "area_code", name="uq_plan_action_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_action.id", ondelete="CASCADE"), index=True)
    area_code: Mapped[str] = mapped_column(String(60))


class PlanStatusChange(Base):
    """One change of an action's status: from, to, why, who and when (the first row is its creation)."""

    __tablename__ = "plan_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_action.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanRisk(Base):
    """A risk to a plan (or to one of its actions), how likely and how grave, and what mitigates it."""

    __tablename__ = "plan_risk"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_action.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    likelihood: Mapped[str] = mapped_column(String(10), doc="low, medium or high")
    impact: Mapped[str] = mapped_column(String(10), doc="low, medium or high")
    mitigation: Mapped[str | None] = mapped_column(Text)
