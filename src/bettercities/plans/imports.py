"""A whole plan from a YAML file: the plan's fields, its objectives with their actions, and its risks.

::

    title: Integrated action plan Nord 2026-2030
    period_from: 2026-01-01
    period_to: 2030-12-31
    status: draft                  # draft, adopted, archived
    owner_unit: Jugendamt
    public: true
    objectives:
      - title: Fewer children in poverty
        goals: [3]                 # goal ids of the city
        actions:
          - title: Family centres
            responsible_unit: Jugendamt
            partners: [Caritas, AWO]
            start: 2026-03-01
            end: 2027-12-31
            milestones: [{title: Opening, due: 2026-09-01}]
            budget: 120000
            funding_source: ESF+
            areas: ["0101", "0102"]
    risks:
      - description: Staff shortage
        likelihood: high
        impact: medium
        mitigation: Joint hiring with the partners
        action: Family centres     # the title of an action of this file (optional)

Every problem of the file (each field with its code, unknown goals and areas, a risk naming no action of the
file) is reported at once with its path in the file as the column; nothing is stored unless the whole file
is valid, and then everything is stored in the caller's transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.plans import service
from bettercities.plans.schemas import ActionIn, ObjectiveIn, PlanIn, RiskIn, Title, problems_of

__all__ = ["PlanDocument", "import_plan", "read_plan_file"]

MAX_FILE = 2_000_000  # bytes: a plan is text, not data


class ObjectiveDocument(ObjectiveIn):
    """An objective of a plan file, with its actions."""

    actions: list[ActionIn] = Field(default_factory=list, max_length=500)


class RiskDocument(RiskIn):
    """A risk of a plan file; ``action`` names an action of the file by its title."""

    action: Title | None = None


class PlanDocument(PlanIn):
    """A whole plan as a YAML file holds it."""

    objectives: list[ObjectiveDocument] = Field(default_factory=list, max_length=200)
    risks: list[RiskDocument] = Field(default_factory=list, max_length=500)


def _refused(problems: list[Problem], source: str) -> InvalidInput:
    first = problems[0]
    where = f"{first.column}: " if first.column else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return InvalidInput(f"{source}: {where}{first.message}{more}", Report(source=source, problems=problems))


def read_plan_file(path: Path) -> PlanDocument:
    """The plan of a YAML file; :class:`InvalidInput` listing every problem of the file."""
    name = path.name
    try:
        if path.stat().st_size > MAX_FILE:
            problem = Problem(code="too-large", message=f"a plan file is at most {MAX_FILE} bytes", file=name)
            raise _refused([problem], name)
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problem = Problem(code="unreadable-file", message=f"not a readable YAML file: {error}", file=name)
        raise _refused([problem], name) from error
    if not isinstance(raw, dict):
        problem = Problem(code="invalid-plan", message="the file must hold one plan (a mapping)", file=name)
        raise _refused([problem], name)
    try:
        return PlanDocument.model_validate(raw)
    except ValidationError as error:
        problems = [p.model_copy(update={"file": name}) for p in problems_of(error, what="plan file")]
        raise _refused(problems, name) from error


def _check(session: Session, slug: str, document: PlanDocument) -> list[Problem]:
    """What only the stored state can refuse: goals and areas of another city (or none), risks naming no
    action of the file."""
    city = areas.get_city(session, slug)
    problems: list[Problem] = []
    titles = set()
    for i, objective in enumerate(document.objectives):
        where = f"objectives.{i}"
        problems += _at(service.check_goals(session, city, objective.goals, "objective"), where)
        for j, action in enumerate(objective.actions):
            titles.add(action.title)
            found = service.check_goals(session, city, action.goals, "action")
            found += service.check_areas(session, city, action.areas, "action")
            problems += _at(found, f"{where}.actions.{j}")
    for k, risk in enumerate(document.risks):
        if risk.action is not None and risk.action not in titles:
            problems.append(
                Problem(
                    code="invalid-plan",
                    message=f"risk: no action of the file is called {risk.action!r}",
                    column=f"risks.{k}.action",
                    value=risk.action,
                )
            )
    return problems


def _at(problems: list[Problem], where: str) -> list[Problem]:
    return [p.model_copy(update={"column": f"{where}.{p.column}" if p.column else where}) for p in problems]


def import_plan(session: Session, slug: str, document: PlanDocument, *, user: str | None = None) -> int:
    """Store the plan of ``document`` in city ``slug``; its id. Checked as a whole before anything is
    written (:class:`InvalidInput` with every problem)."""
    problems = _check(session, slug, document)
    if problems:
        raise _refused(problems, "plan file")
    plan_fields = {name: getattr(document, name) for name in PlanIn.model_fields}
    plan_id = service.add_plan(session, slug, PlanIn(**plan_fields), user=user)
    actions: dict[str, int] = {}
    for objective in document.objectives:
        objective_fields = {name: getattr(objective, name) for name in ObjectiveIn.model_fields}
        objective_id = service.add_objective(session, slug, plan_id, ObjectiveIn(**objective_fields))
        for action in objective.actions:
            actions.setdefault(
                action.title, service.add_action(session, slug, objective_id, action, user=user)
            )
    for risk in document.risks:
        fields = {name: getattr(risk, name) for name in RiskIn.model_fields}
        if risk.action is not None:
            fields["action_id"] = actions[risk.action]
        service.add_risk(session, slug, plan_id, RiskIn(**fields))
    return plan_id
