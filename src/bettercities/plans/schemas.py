"""Typed inputs and results of action plans.

Inputs (``PlanIn``, ``ObjectiveIn``, ``ActionIn``, ``RiskIn``, ``StatusChangeIn`` and the partial updates)
refuse what is wrong on its face: a title over 200 characters or with a control character, an end before
its start, a negative budget, a status that does not exist. :func:`read` turns such a refusal into an
:class:`~bettercities.core.errors.InvalidInput` whose report names each field with its problem code, so the
CLI, the page forms and the YAML import show the same messages. Results (``PlanOut`` …) carry what is
computed when read: budget totals, overdue actions, the status of each linked goal.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.core.timestamps import UtcDateTime

__all__ = [
    "FUNDING_SUGGESTIONS",
    "ActionIn",
    "ActionOut",
    "ActionStatus",
    "ActionUpdate",
    "AreaRef",
    "BudgetLine",
    "LinkIn",
    "LinkedGoal",
    "MilestoneIn",
    "MilestoneOut",
    "ObjectiveIn",
    "ObjectiveOut",
    "ObjectiveUpdate",
    "PlanFigures",
    "PlanIn",
    "PlanOut",
    "PlanStatus",
    "PlanSummary",
    "PlanUpdate",
    "RiskIn",
    "RiskLevel",
    "RiskOut",
    "StatusChangeIn",
    "StatusChangeOut",
    "problem_code",
    "read",
]


class PlanStatus(StrEnum):
    """Where a plan stands."""

    DRAFT = "draft"
    ADOPTED = "adopted"
    ARCHIVED = "archived"


class ActionStatus(StrEnum):
    """Where an action stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DELAYED = "delayed"
    DROPPED = "dropped"


#: Statuses of an action that end it: such an action is never overdue.
CLOSED = frozenset({ActionStatus.DONE, ActionStatus.DROPPED})


class RiskLevel(StrEnum):
    """How likely a risk is, or how grave its impact."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


#: Funding sources offered to planners (free text: any other source may be typed).
FUNDING_SUGGESTIONS: tuple[str, ...] = (
    "municipal",
    "ESF+",
    "ERDF",
    "national programme",
    "regional programme",
    "foundation",
    "private",
)

TITLE_LENGTH = 200
TEXT_LENGTH = 5000
MAX_AMOUNT = Decimal("1e12")  # a trillion: more is a typing error, and fits 64-bit cents


def _one_line(text: str) -> str:
    if any(ord(c) < 32 or c == "\x7f" for c in text):
        raise PydanticCustomError("control_character", "contains a control character (one line of text)")
    return text


def _text(text: str) -> str:
    if any((ord(c) < 32 or c == "\x7f") and c not in "\n\r\t" for c in text):
        raise PydanticCustomError("control_character", "contains a control character")
    return text


def _not_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("blank_text", "may not be empty")
    return text.strip()


Title = Annotated[str, Field(max_length=TITLE_LENGTH), AfterValidator(_one_line), AfterValidator(_not_blank)]
Line = Annotated[str, Field(max_length=TITLE_LENGTH), AfterValidator(_one_line)]
Text = Annotated[str, Field(max_length=TEXT_LENGTH), AfterValidator(_text)]
Amount = Annotated[Decimal, Field(ge=0, lt=MAX_AMOUNT, decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
AreaCode = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_one_line)]
GoalId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _timeline(start: date | None, end: date | None, what: str) -> None:
    if start is not None and end is not None and end < start:
        raise PydanticCustomError(
            "invalid_timeline",
            "the {what} ends ({end}) before it starts ({start})",
            {"what": what, "end": end.isoformat(), "start": start.isoformat()},
        )


class _In(BaseModel):
    model_config = {"extra": "forbid", "frozen": True}


class PlanIn(_In):
    """A new plan of a city."""

    title: Title
    summary: Text = ""
    period_from: date
    period_to: date
    status: PlanStatus = PlanStatus.DRAFT
    owner_unit: Line = ""
    public: bool = Field(default=False, description="False: only the city's members see the plan.")

    @model_validator(mode="after")
    def _period(self) -> Self:
        _timeline(self.period_from, self.period_to, "plan period")
        return self


class PlanUpdate(_In):
    """Changes to a plan (fields not given stay as they are)."""

    title: Title | None = None
    summary: Text | None = None
    period_from: date | None = None
    period_to: date | None = None
    status: PlanStatus | None = None
    owner_unit: Line | None = None
    public: bool | None = None


class ObjectiveIn(_In):
    """A new objective of a plan, with the goals it serves."""

    title: Title
    description: Text = ""
    goals: list[GoalId] = Field(default_factory=list, max_length=100)


class ObjectiveUpdate(_In):
    """Changes to an objective (its goals change with :class:`LinkIn`)."""

    title: Title | None = None
    description: Text | None = None


class MilestoneIn(_In):
    """A dated milestone of an action."""

    title: Title
    due: date


class ActionIn(_In):
    """A new action of an objective."""

    title: Title
    description: Text = ""
    responsible_unit: Line = ""
    partners: list[Line] = Field(default_factory=list, max_length=100)
    start: date | None = None
    end: date | None = None
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=100)
    budget: Amount | None = Field(default=None, description="In the currency; two decimals at most.")
    currency: Currency = "EUR"
    funding_source: Line = Field(default="", description="Free text, e.g. " + ", ".join(FUNDING_SUGGESTIONS))
    status: ActionStatus = ActionStatus.PLANNED
    goals: list[GoalId] = Field(default_factory=list, max_length=100)
    areas: list[AreaCode] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _timeline(self.start, self.end, "action")
        return self


class ActionUpdate(_In):
    """Changes to an action (its status changes with :class:`StatusChangeIn`, its links with
    :class:`LinkIn`; ``milestones`` given replace the old ones)."""

    title: Title | None = None
    description: Text | None = None
    responsible_unit: Line | None = None
    partners: list[Line] | None = Field(default=None, max_length=100)
    start: date | None = None
    end: date | None = None
    milestones: list[MilestoneIn] | None = Field(default=None, max_length=100)
    budget: Amount | None = None
    currency: Currency | None = None
    funding_source: Line | None = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _timeline(self.start, self.end, "action")
        return self


class StatusChangeIn(_In):
    """A new status of an action and why."""

    status: ActionStatus
    note: Text = ""


class RiskIn(_In):
    """A risk to a plan, or to one of its actions."""

    description: Annotated[Text, AfterValidator(_not_blank)]
    likelihood: RiskLevel
    impact: RiskLevel
    mitigation: Text = ""
    action_id: GoalId | None = Field(default=None, description="The action at risk (none: the whole plan).")


class LinkIn(_In):
    """Goals and areas to link to (or unlink from) an action; an objective takes goals only."""

    goals: list[GoalId] = Field(default_factory=list, max_length=100)
    areas: list[AreaCode] = Field(default_factory=list, max_length=1000)


# -- reading input -------------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)

#: Problem code of a refused field, by the pydantic error type.
_CODES = {
    "enum": "invalid-choice",
    "string_too_long": "invalid-text",
    "string_too_short": "invalid-text",
    "control_character": "invalid-text",
    "blank_text": "invalid-text",
    "invalid_timeline": "invalid-timeline",
}


def problem_code(detail: Any) -> str:
    """The problem code of a refused field (pydantic's error detail, ``loc`` from the model's root)."""
    kind = str(detail.get("type"))
    if kind in _CODES:
        return _CODES[kind]
    if "budget" in detail.get("loc", ()) and kind in ("greater_than_equal", "less_than"):
        return "negative-budget" if kind == "greater_than_equal" else "invalid-plan"
    return "invalid-plan"


def problems_of(error: ValidationError, *, what: str, row: int | None = None) -> list[Problem]:
    """One problem per refused field of ``what`` (``plan``, ``action`` …), with its code."""
    problems = []
    for detail in error.errors(include_url=False):
        column = ".".join(str(part) for part in detail["loc"]) or None
        given = detail.get("input")
        problems.append(
            Problem(
                code=problem_code(detail),
                message=f"{what}: {detail['msg']}",
                file=None,
                row=row,
                column=column,
                value=None if isinstance(given, dict | list) or given is None else str(given)[:200],
            )
        )
    return problems


def read(model: type[M], data: Any, *, what: str) -> M:
    """``model`` of ``data``; :class:`InvalidInput` with a coded problem per refused field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        report = Report(source=what, problems=problems_of(error, what=what))
        first = report.problems[0] if report.problems else None
        detail = f"{first.column}: {first.message}" if first is not None and first.column else what
        raise InvalidInput(f"invalid {what}: {detail}", report) from error


# -- results -------------------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = {"frozen": True}


class AreaRef(_Out):
    """An area an action works in."""

    code: str
    name: str


class MilestoneOut(_Out):
    title: str
    due: date


class StatusChangeOut(_Out):
    """One entry of an action's status history (``changed_by`` only for the city's members)."""

    from_status: ActionStatus | None
    to_status: ActionStatus
    note: str | None
    changed_by: str | None
    changed_at: UtcDateTime


class ActionOut(_Out):
    """An action with its timeline, budget, links and status history."""

    id: int
    city: str
    plan_id: int
    plan_title: str
    objective_id: int
    title: str
    description: str | None
    responsible_unit: str | None
    partners: list[str]
    start: date | None
    end: date | None
    milestones: list[MilestoneOut]
    budget: Decimal | None
    currency: str
    funding_source: str | None
    status: ActionStatus
    overdue: bool = Field(description="The end date is past and the action is neither done nor dropped.")
    goals: list[int]
    areas: list[AreaRef]
    history: list[StatusChangeOut]


class ObjectiveOut(_Out):
    id: int
    title: str
    description: str | None
    goals: list[int]
    actions: list[ActionOut]


class RiskOut(_Out):
    id: int
    action_id: int | None
    description: str
    likelihood: RiskLevel
    impact: RiskLevel
    mitigation: str | None


class LinkedGoal(_Out):
    """A goal the plan serves, with its status as the viewer may see it; a goal the viewer may not see has
    ``visible`` false and nothing else (not even its title)."""

    id: int
    visible: bool
    title: str | None = None
    status: str | None = None
    indicator: str | None = Field(default=None, description="The indicator's name in English.")
    indicator_de: str | None = Field(default=None, description="The indicator's name in German.")
    deadline: date | None = None


class BudgetLine(_Out):
    """A budget total: of a funding source or an objective (``key``), in one currency."""

    key: str
    currency: str
    amount: Decimal
    actions: int


class PlanFigures(_Out):
    """What is computed of a plan when read (dropped actions are left out of the budget totals)."""

    as_of: date
    budget_total: list[BudgetLine] = Field(description="Per currency; key is the currency.")
    budget_by_source: list[BudgetLine]
    budget_by_objective: list[BudgetLine] = Field(description="key: the objective's id.")
    without_budget: int = Field(description="Actions (not dropped) without a budget.")
    actions_by_status: dict[ActionStatus, int]
    overdue: list[int] = Field(description="Ids of the overdue actions.")


class PlanSummary(_Out):
    """A plan without its contents (the list of a city's plans)."""

    id: int
    city: str
    title: str
    summary: str | None
    period_from: date
    period_to: date
    status: PlanStatus
    owner_unit: str | None
    public: bool
    created_by: str | None
    created_at: UtcDateTime


class PlanOut(PlanSummary):
    """A plan with its objectives, actions, risks, linked goals and computed figures."""

    objectives: list[ObjectiveOut]
    risks: list[RiskOut]
    goals: list[LinkedGoal]
    figures: PlanFigures
