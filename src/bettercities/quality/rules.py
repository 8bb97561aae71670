"""Declarative validation rules: ``left operator right`` over indicators, with a missing-value strategy.

A rule compares two expressions for every area and period, e.g. *unemployed <= working-age
population*, *share between 0 and 100*, or *sum of districts = city*::

    rules:
      - code: unemployment-share
        left: ua_unemployment_pct
        operator: between
        right: 0, 100
      - code: districts-sum-to-city
        level: city
        left: inhabitants
        operator: "=="
        right: children_sum(inhabitants)
        tolerance: 0.5

Expressions are arithmetic (``+ - * /``, parentheses, numbers) over indicator codes, with
``children_sum(code)`` (the sum over the area's child areas; missing when any child lacks a value)
and ``abs(x)``. ``missing`` says what an absent operand means: ``skip`` (the rule is not checked,
the default), ``zero`` (counts as 0) or ``fail`` (a violation, ``rule-missing-value``). Violations are
:class:`~bettercities.core.problems.Problem` s with code ``rule-violation``, located at file, row and
column when the value came from a file (the import's own or a stored value's import batch), else
named by area, indicator and period. Rules run on every import (``error`` rules refuse it) and on
demand (:func:`check_city`). Everything is evaluated on whole columns.
"""

from __future__ import annotations

import ast
import operator as op
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City, SpatialLevel
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity
from bettercities.indicators.models import Indicator
from bettercities.quality import data as quality_data
from bettercities.quality.models import QualityRule

Operator = Literal["<", "<=", ">", ">=", "==", "!=", "between"]
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": op.lt,
    "<=": op.le,
    ">": op.gt,
    ">=": op.ge,
}
_ARITHMETIC = {ast.Add: op.add, ast.Sub: op.sub, ast.Mult: op.mul, ast.Div: op.truediv}
LIMIT = 1000


class RuleSpec(BaseModel):
    """One validation rule (YAML entry, stored row, API input)."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)
    name: str = ""
    left: str
    operator: Operator
    right: str = Field(description="An expression; for 'between' two, separated by a comma: 'low, high'.")
    missing: Literal["skip", "zero", "fail"] = "skip"
    severity: Literal["error", "warning"] = "warning"
    level: str | None = None
    tolerance: float = Field(default=0.0, ge=0)

    @field_validator("left", "right")
    @classmethod
    def _parses(cls, text: str) -> str:
        for part in _split(text):
            _parse(part)
        return text

    @cached_property
    def expressions(self) -> tuple[ast.expr, list[ast.expr]]:
        right = (
            [_parse(p) for p in _split(self.right)] if self.operator == "between" else [_parse(self.right)]
        )
        if self.operator == "between" and len(right) != 2:
            raise ValueError("'between' needs 'low, high' on the right")
        return _parse(self.left), right

    @cached_property
    def indicators(self) -> set[str]:
        left, right = self.expressions
        return {n.id for e in [left, *right] for n in ast.walk(e) if isinstance(n, ast.Name)} - {
            "children_sum",
            "abs",
        }

    def describe(self) -> str:
        if self.operator == "between":
            return f"{self.left} between {self.right}"
        return f"{self.left} {self.operator} {self.right}"


def _split(text: str) -> list[str]:
    return [p.strip() for p in str(text).split(",")] if "," in str(text) else [str(text).strip()]


def _parse(text: str) -> ast.expr:
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as error:
        raise ValueError(f"not an expression: {text!r}") from error
    for node in ast.walk(tree):
        allowed = (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Call, ast.Load, ast.USub, ast.UAdd)
        if not isinstance(node, allowed + tuple(_ARITHMETIC)):
            raise ValueError(f"{text!r}: {type(node).__name__} is not allowed in a rule expression")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name)
            and node.func.id in {"children_sum", "abs"}
            and len(node.args) == 1
        ):
            raise ValueError(f"{text!r}: only children_sum(code) and abs(x) may be called")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ValueError(f"{text!r}: only numbers are allowed as constants")
    return tree


# -- loading -----------------------------------------------------------------------------------------------


def rule_set_names() -> list[str]:
    """Names of the shipped rule sets (``urban-audit`` …)."""
    from importlib import resources

    folder = resources.files("bettercities.quality") / "data" / "rules"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_rules(source: str | Path) -> list[RuleSpec]:
    """Rules from a shipped rule-set name or a YAML file with a ``rules:`` list; every bad entry reported."""
    from importlib import resources

    path = Path(source)
    if path.suffix in {".yaml", ".yml"} and path.exists():
        text, name = path.read_text("utf-8"), str(path)
    elif str(source) in rule_set_names():
        folder = resources.files("bettercities.quality") / "data" / "rules"
        text, name = (folder / f"{source}.yaml").read_text("utf-8"), f"rule set {source}"
    else:
        raise InvalidInput(f"{source}: no such rule set or YAML file")
    document = yaml.safe_load(text)
    entries = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput(f"{name}: expected a mapping with a 'rules' list")
    report = Report(source=name)
    specs = []
    for number, entry in enumerate(entries, start=1):
        try:
            spec = RuleSpec.model_validate(entry)
            spec.expressions  # noqa: B018  (checks 'between' operands)
            specs.append(spec)
        except ValidationError as error:
            report.extend(
                Report.from_validation_error(error, code="invalid-rule", file=name, row=number).problems
            )
        except ValueError as error:
            report.add(Problem(code="invalid-rule", message=str(error), file=name, row=number))
    if not report.ok:
        raise InvalidInput(f"{name}: {len(report.errors)} invalid rules", report)
    return specs


def save_rules(session: Session, city: City, specs: Iterable[RuleSpec]) -> int:
    """Store (add or replace by code) the rules of ``city``; returns how many were stored."""
    count = 0
    for spec in specs:
        session.execute(
            delete(QualityRule).where(QualityRule.city_id == city.id, QualityRule.code == spec.code)
        )
        session.add(QualityRule(city_id=city.id, **spec.model_dump()))
        count += 1
    session.flush()
    return count


def city_rules(session: Session, city: City) -> list[RuleSpec]:
    rows = session.scalars(
        select(QualityRule).where(QualityRule.city_id == city.id).order_by(QualityRule.code)
    )
    return [
        RuleSpec(
            code=r.code,
            name=r.name,
            left=r.left,
            operator=r.operator,
            right=r.right,
            missing=r.missing,
            severity=r.severity,
            level=r.level,
            tolerance=r.tolerance,
        )
        for r in rows
    ]


# -- evaluation --------------------------------------------------------------------------------------------


class _Context:
    """Wide values (index: area, period) of one level and the child sums along the hierarchy."""

    def __init__(self, frame: pd.DataFrame, level: str | None, missing: str) -> None:
        self.frame = frame
        self.missing = missing
        rows = frame if level is None else frame[frame["level"] == level]
        self.wide = rows.pivot_table(
            index=["area_id", "period_id"], columns="indicator", values="value", aggfunc="last"
        )
        self.index = self.wide.index

    def name(self, code: str) -> pd.Series:
        series = self.wide[code] if code in self.wide.columns else pd.Series(np.nan, index=self.index)
        return series.fillna(0.0) if self.missing == "zero" else series

    def children_sum(self, code: str) -> pd.Series:
        rows = self.frame[(self.frame["indicator"] == code)]
        children = self.frame.drop_duplicates(["area_id"])[["area_id", "parent_id"]]
        counts = children.dropna().groupby("parent_id").size()
        with_value = rows.dropna(subset=["parent_id"]).groupby(["parent_id", "period_id"])["value"]
        sums, found = with_value.sum(), with_value.count()
        complete = found.to_numpy() == counts.reindex(found.index.get_level_values(0)).to_numpy()
        if self.missing != "zero":
            sums = sums.where(complete)
        sums.index = sums.index.set_names(["area_id", "period_id"])
        result = sums.reindex(self.index)
        return result.fillna(0.0) if self.missing == "zero" else result

    def evaluate(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return float(node.value)  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            value = self.evaluate(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            return _ARITHMETIC[type(node.op)](self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            argument = node.args[0]
            if node.func.id == "children_sum":
                if not isinstance(argument, ast.Name):
                    raise ValueError("children_sum() takes an indicator code")
                return self.children_sum(argument.id)
            return abs(self.evaluate(argument))
        raise ValueError(f"cannot evaluate {ast.dump(node)}")

    def series(self, node: ast.expr) -> pd.Series:
        value = self.evaluate(node)
        if isinstance(value, pd.Series):
            return value.astype(float)
        return pd.Series(float(value), index=self.index)


def evaluate(rule: RuleSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Where ``rule`` fails: area, period, left and right values and whether an operand was missing."""
    if frame.empty:
        return pd.DataFrame(columns=["area_id", "period_id", "left", "low", "high", "missing"])
    context = _Context(frame, rule.level, rule.missing)
    left_node, right_nodes = rule.expressions
    left = context.series(left_node)
    rights = [context.series(n) for n in right_nodes]
    missing = left.isna()
    for right in rights:
        missing |= right.isna()
    tol = rule.tolerance
    if rule.operator == "between":
        ok = (left >= rights[0] - tol) & (left <= rights[1] + tol)
    elif rule.operator == "==":
        ok = (left - rights[0]).abs() <= tol
    elif rule.operator == "!=":
        ok = (left - rights[0]).abs() > tol
    elif rule.operator in ("<", "<="):
        ok = COMPARE[rule.operator](left, rights[0] + tol)
    else:
        ok = COMPARE[rule.operator](left, rights[0] - tol)
    failed = (~ok & ~missing) | (missing & (rule.missing == "fail"))
    out = pd.DataFrame(
        {
            "left": left[failed],
            "low": rights[0][failed],
            "high": (rights[1] if len(rights) > 1 else rights[0])[failed],
            "missing": missing[failed],
        }
    ).reset_index()
    return out


def _problems(
    rule: RuleSpec, failures: pd.DataFrame, frame: pd.DataFrame, column_of: Callable[[str], str] | None
) -> list[Problem]:
    if failures.empty:
        return []
    by_key: Any = frame.set_index(["area_id", "period_id", "indicator"])
    first = sorted(rule.indicators)
    severity = Severity(rule.severity)
    problems = []
    records: Any = failures.itertuples(index=False)
    for item in records:
        source = None
        for code in first:
            key = (item.area_id, item.period_id, code)
            if key in by_key.index:
                found = by_key.loc[key]
                found = found.iloc[-1] if isinstance(found, pd.DataFrame) else found
                if source is None or (found["from_import"] and not source[1]["from_import"]):
                    source = (code, found)
        any_row = frame[(frame["area_id"] == item.area_id) & (frame["period_id"] == item.period_id)].iloc[0]
        where = f"area {any_row['area_code']}, period {any_row['period']}"
        if item.missing:
            code, message = "rule-missing-value", f"{rule.code}: an operand of {rule.describe()} has no value"
        else:
            shown = f"{item.low:g}, {item.high:g}" if rule.operator == "between" else f"{item.low:g}"
            code = "rule-violation"
            message = f"{rule.code}: {rule.describe()} fails: {item.left:g} {rule.operator} {shown}"
        file = row = column = None
        if source is not None and source[1]["source_row"] == source[1]["source_row"]:  # not NaN
            indicator, found = source
            file = found["file"] if isinstance(found["file"], str) else None
            row = int(found["source_row"]) if found["source_row"] is not None else None
            column = column_of(indicator) if (column_of and found["from_import"]) else indicator
        problems.append(
            Problem(
                code=code,
                message=f"{where}: {message}",
                severity=severity,
                file=file,
                row=row,
                column=column,
                value=None if item.missing else f"{item.left:g}",
            )
        )
    return problems


def check(
    rules: Iterable[RuleSpec], frame: pd.DataFrame, *, column_of: Callable[[str], str] | None = None
) -> Report:
    """Every rule on ``frame`` (:func:`quality_data.observations_frame`); the report lists failures."""
    report = Report()
    for rule in rules:
        problems = _problems(rule, evaluate(rule, frame), frame, column_of)
        report.extend(problems[:LIMIT])
        report.truncated += max(0, len(problems) - LIMIT) if rule.severity == "error" else 0
    return report


def check_city(session: Session, city_slug: str, *, rules: Iterable[RuleSpec] | None = None) -> Report:
    """Run the city's stored rules (or ``rules``) on its current observations, on demand."""
    city = areas.get_city(session, city_slug)
    specs = list(rules) if rules is not None else city_rules(session, city)
    report = check(specs, _frame_for(session, city, specs))
    report.source = city.slug
    return report


def _frame_for(session: Session, city: City, specs: list[RuleSpec]) -> pd.DataFrame:
    codes = set().union(*(s.indicators for s in specs)) if specs else set()
    ids = session.scalars(select(Indicator.id).where(Indicator.code.in_(codes))).all()
    return quality_data.observations_frame(session, city, indicator_ids=ids)


def check_import(
    session: Session,
    city: City,
    level: SpatialLevel,
    validated: Any,
    period_ids: np.ndarray,
    *,
    file: str,
    column_of: Callable[[str], str] | None = None,
) -> list[Problem]:
    """The city's rules on its data as they will be after an import (the file's values laid over)."""
    specs = city_rules(session, city)
    if not specs or not len(validated):
        return []
    codes = set().union(*(s.indicators for s in specs))
    if not codes & set(validated.indicators):
        return []
    stored = _frame_for(session, city, specs)
    ids = session.scalars(select(Indicator.id).where(Indicator.code.in_(codes))).all()
    incoming = quality_data.incoming_frame(
        session, level, validated, period_ids, file=file, indicator_ids=ids
    )
    return check(specs, quality_data.overlay(stored, incoming), column_of=column_of).problems
