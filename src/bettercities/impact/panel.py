"""Panels for impact evaluation: reading a long CSV panel (one row per unit and period) and checking that it
can carry the chosen design.

:func:`read_panel` reads a file as text (delimiter, decimal mark and encoding detected by
:func:`bettercities.ingest.readers.read_table`); the frame's index is each record's spreadsheet row, so that
:func:`validate` names file, row and column of every problem. :func:`prepare` returns the clean frame the
designs get (unit as text, time as whole numbers, outcome and covariates as floats, treatment 0/1, cohort
whole numbers with 0 = never treated) together with the report; :func:`validate` is its report alone.

What a design needs (``docs/impact.md``):

===================  ===================================================  ==================
design               treatment given by                                    pre-periods (min)
===================  ===================================================  ==================
did                  ``treatment`` column, or ``treated_unit`` + start     1
twfe                 ``treatment`` column, or ``treated_unit`` + start     1
staggered-did        ``cohort`` column (first treated period, 0 = never)   1
synthetic-control    ``treated_unit`` + ``treatment_start``                2
its                  ``treatment_start`` (+ ``treated_unit`` if several)   3 (and a full cycle)
===================  ===================================================  ==================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity
from bettercities.impact.schemas import Design, EstimateSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MIN_PRE_PERIODS", "Treatment", "prepare", "read_panel", "treatment_of", "validate"]

#: fewest periods before the start that a design needs
MIN_PRE_PERIODS: dict[Design, int] = {
    Design.DID: 1,
    Design.TWFE: 1,
    Design.STAGGERED_DID: 1,
    Design.SYNTHETIC_CONTROL: 2,
    Design.ITS: 3,
}
_Refuse = Callable[..., None]
#: problems listed per code and column; the rest are counted in ``Report.truncated``
MAX_PER_COLUMN = 10


def read_panel(path: Path | str, *, name: str | None = None) -> pd.DataFrame:
    """Read a CSV panel into a frame of text columns indexed by spreadsheet row (index name ``row``).

    Numbers written with a decimal comma are turned into decimal-point text; nothing else is converted (a
    unit code ``01`` stays ``01``). Raises :class:`~bettercities.core.errors.InvalidInput` with a report
    naming the file (and row) when the file cannot be read or has malformed rows.
    """
    import pandas as pd

    from bettercities.ingest.readers import read_table

    path = Path(path)
    display = name or path.name
    if not path.is_file():
        problem = Problem(code="unreadable-file", message="no such file", file=display)
        raise InvalidInput(f"{display}: no such file", Report(source=display, problems=[problem]))
    table = read_table(path, name=display)
    if table.problems:
        report = Report(source=display, problems=list(table.problems))
        raise InvalidInput(f"{display}: malformed rows", report)
    if len(set(table.columns)) != len(table.columns):
        twice = sorted(c for c, n in Counter(table.columns).items() if n > 1)
        problem = Problem(
            code="impact-duplicate-row",
            message=f"the header names the column(s) {', '.join(twice)} more than once",
            file=display,
            row=table.header_row,
            column=twice[0],
        )
        raise InvalidInput(f"{display}: duplicate column names", Report(source=display, problems=[problem]))
    data = {c: table.column(c).to_pylist() for c in table.columns}
    frame = pd.DataFrame(data, index=pd.Index(table.rows, name="row"), dtype=object)
    for column in frame.columns:
        cells = frame[column].astype(str).str.strip()
        if table.decimal == ",":
            cells = cells.str.replace(r"^([+-]?\d+),(\d+(?:[eE][+-]?\d+)?)$", r"\1.\2", regex=True)
        frame[column] = cells.astype(object)
    frame.attrs["source"] = display
    return frame


@dataclass(frozen=True)
class Treatment:
    """Who is treated from when: unit -> first treated period, every unit of the panel and its periods."""

    starts: dict[str, int]
    units: list[str]
    periods: list[int]

    @property
    def treated(self) -> list[str]:
        return sorted(self.starts)

    @property
    def untreated(self) -> list[str]:
        return [u for u in self.units if u not in self.starts]


def treatment_of(frame: pd.DataFrame, spec: EstimateSpec) -> Treatment:
    """The treated units and their first treated period in a clean frame (:func:`prepare`): from the
    ``cohort`` column (staggered-did), from ``treated_unit`` + ``treatment_start``, or from the first period
    with ``treatment`` = 1. For its on one unit without ``treated_unit``, that unit."""
    units = sorted(frame[spec.unit].unique().tolist())
    periods = sorted(int(t) for t in frame[spec.time].unique())
    starts: dict[str, int] = {}
    if spec.design == Design.STAGGERED_DID and spec.cohort:
        cohorts = frame.groupby(spec.unit)[spec.cohort].first()
        starts = {str(u): int(g) for u, g in cohorts.items() if g > 0}
    elif spec.treatment_start is not None and (spec.treated_unit or len(units) == 1):
        unit = spec.treated_unit or units[0]
        if unit in units:
            starts = {unit: int(spec.treatment_start)}
    elif spec.treatment:
        on = frame[frame[spec.treatment] == 1]
        starts = {str(u): int(t) for u, t in on.groupby(spec.unit)[spec.time].min().items()}
    return Treatment(starts=starts, units=units, periods=periods)


def validate(frame: pd.DataFrame, spec: EstimateSpec, source: str = "<panel>") -> Report:
    """Every problem that keeps ``frame`` from carrying ``spec``'s design (see the module's table)."""
    return prepare(frame, spec, source)[1]


def prepare(frame: pd.DataFrame, spec: EstimateSpec, source: str = "<panel>") -> tuple[pd.DataFrame, Report]:
    """The clean frame for the design and the report of ``frame`` for ``spec``.

    The frame is sorted by unit and time; when the report has errors it must not be used.
    """
    import pandas as pd

    report = Report(source=source)
    checker = _Checker(frame, source, report)
    spec_problems = _spec_problems(spec)
    for message, column in spec_problems:
        report.add(Problem(code="impact-invalid-spec", message=message, file=source, column=column))
    needed = _columns(spec)
    missing = [c for c in needed if c not in frame.columns]
    for column in missing:
        report.add(
            Problem(
                code="impact-missing-column",
                message=f"the panel has no column {column!r} (it has: {', '.join(map(str, frame.columns))})",
                file=source,
                row=1 if checker.rows_known else None,
                column=column,
            )
        )
    if missing or spec_problems:
        return frame, report
    if frame.empty:
        report.add(Problem(code="impact-missing-value", message="the panel has no rows", file=source))
        return frame, report

    clean = pd.DataFrame(index=frame.index)
    clean[spec.unit] = checker.text(spec.unit)
    clean[spec.time] = checker.number(spec.time, whole=True)
    clean[spec.outcome] = checker.number(spec.outcome)
    if spec.treatment:
        clean[spec.treatment] = checker.number(spec.treatment, binary=True)
    if spec.cohort:
        clean[spec.cohort] = checker.number(spec.cohort, whole=True, empty_is_zero=True)
    for covariate in spec.covariates:
        clean[covariate] = checker.number(covariate)
    if not report.ok:
        return frame, report

    clean = clean.astype({spec.time: "int64"})
    duplicated = clean.duplicated([spec.unit, spec.time], keep="first")
    if duplicated.any():
        first = clean[~duplicated].reset_index().set_index([spec.unit, spec.time])["row"]
        for row, unit, time in zip(
            clean.index[duplicated],
            clean.loc[duplicated, spec.unit],
            clean.loc[duplicated, spec.time],
            strict=True,
        ):
            earlier = first.get((unit, time))
            also = f" (also in row {earlier})" if checker.rows_known and earlier is not None else ""
            message = f"unit {unit!r} has more than one row for period {time}{also}"
            checker.add("impact-duplicate-row", message, row, spec.unit, f"{unit}, {time}")
        return frame, report
    if spec.cohort:
        varying = clean.groupby(spec.unit)[spec.cohort].nunique()
        for unit in varying[varying > 1].index:
            report.add(
                Problem(
                    code="impact-invalid-spec",
                    message=f"unit {unit!r} has more than one first treated period in column {spec.cohort!r}",
                    file=source,
                    column=spec.cohort,
                    value=str(unit),
                )
            )
        if not report.ok:
            return frame, report

    clean = clean.sort_values([spec.unit, spec.time], kind="stable")
    _design_checks(clean, spec, source, report)
    return clean, report


# -- the checks ------------------------------------------------------------------------------------------


def _columns(spec: EstimateSpec) -> list[str]:
    columns = [spec.unit, spec.time, spec.outcome]
    columns += [c for c in (spec.treatment, spec.cohort) if c]
    columns += spec.covariates
    return list(dict.fromkeys(columns))


def _spec_problems(spec: EstimateSpec) -> list[tuple[str, str]]:
    """Options the design needs or refuses: (message, option)."""
    problems: list[tuple[str, str]] = []
    by_unit = spec.treated_unit is not None and spec.treatment_start is not None
    if spec.design in (Design.DID, Design.TWFE):
        if not spec.treatment and not by_unit:
            problems.append(
                (f"{spec.design.value} needs a treatment column (0/1 per unit and period) or a treated unit "
                 "with its treatment start", "treatment")
            )  # fmt: skip
        if spec.treatment and spec.treatment_start is not None:
            problems.append(
                ("give either a treatment column or a treatment start, not both", "treatment_start")
            )
    elif spec.design == Design.STAGGERED_DID:
        if not spec.cohort:
            problems.append(
                ("staggered-did needs a cohort column (first treated period, 0 = never)", "cohort")
            )
    elif spec.design == Design.SYNTHETIC_CONTROL:
        if not by_unit:
            problems.append(
                ("synthetic-control needs a treated unit and its treatment start", "treated_unit")
            )
    elif spec.design == Design.ITS and spec.treatment_start is None and not spec.treatment:
        problems.append(("its needs the treatment start (first period with the measure)", "treatment_start"))
    named = [c for c in (spec.unit, spec.time, spec.outcome, spec.treatment, spec.cohort) if c]
    twice = sorted({c for c in named + spec.covariates if (named + spec.covariates).count(c) > 1})
    for column in twice:
        problems.append((f"the column {column!r} is given for more than one role", column))
    if spec.seasonality is not None and spec.design != Design.ITS:
        problems.append(("seasonality is an option of its only", "seasonality"))
    return problems


class _Checker:
    """Cell checks of one frame, each problem with file, row and column (at most :data:`MAX_PER_COLUMN`
    listed per code and column)."""

    def __init__(self, frame: pd.DataFrame, source: str, report: Report) -> None:
        self.frame = frame
        self.source = source
        self.report = report
        self.rows_known = frame.index.name == "row"
        self._count: Counter[tuple[str, str]] = Counter()

    def add(self, code: str, message: str, row: object, column: str, value: str | None = None) -> None:
        key = (code, column)
        self._count[key] += 1
        if self._count[key] > MAX_PER_COLUMN:
            self.report.truncated += 1
            return
        self.report.add(
            Problem(
                code=code,
                message=message,
                file=self.source,
                row=int(row) if self.rows_known else None,  # type: ignore[call-overload]
                column=column,
                value=value,
            )
        )

    def _empty(self, column: str) -> pd.Series:
        values = self.frame[column]
        empty = values.isna()
        if values.dtype == object or str(values.dtype).startswith(("str", "string")):
            empty |= values.astype(str).str.strip().isin(["", "nan", "NaN", "None", "NA"])
        return empty

    def text(self, column: str) -> pd.Series:
        empty = self._empty(column)
        for row in self.frame.index[empty]:
            self.add("impact-missing-value", "the unit is empty", row, column)
        values = self.frame[column]
        # whole floats (from a database or pandas) name units as integers: 3.0 -> "3"
        if values.dtype.kind == "f":
            return values.map(lambda v: str(int(v)) if float(v).is_integer() else str(v)).astype(object)
        return values.astype(str).str.strip().astype(object)

    def number(
        self, column: str, *, whole: bool = False, binary: bool = False, empty_is_zero: bool = False
    ) -> pd.Series:
        import numpy as np
        import pandas as pd

        values = self.frame[column]
        empty = self._empty(column)
        numbers = pd.to_numeric(values.where(~empty), errors="coerce").astype("float64")
        if empty_is_zero:
            numbers = numbers.where(~empty, 0.0)
        else:
            for row in self.frame.index[empty]:
                self.add("impact-missing-value", f"the {_role(column)} is empty", row, column)
        bad = ~empty & (numbers.isna() | ~np.isfinite(numbers.fillna(0.0)))
        for row, value in zip(self.frame.index[bad], values[bad], strict=True):
            self.add("impact-not-numeric", f"the {_role(column)} is not a number", row, column, str(value))
        ok = ~empty & ~bad
        if whole:
            fraction = ok & (numbers != numbers.round())
            for row, value in zip(self.frame.index[fraction], values[fraction], strict=True):
                self.add("impact-not-numeric", f"the {_role(column)} is not a whole number", row, column,
                         str(value))  # fmt: skip
        if binary:
            other = ok & ~numbers.isin([0.0, 1.0])
            for row, value in zip(self.frame.index[other], values[other], strict=True):
                self.add("impact-not-numeric", "the treatment is neither 0 nor 1", row, column, str(value))
        return numbers


def _role(column: str) -> str:
    return f"value of {column!r}"


def _design_checks(clean: pd.DataFrame, spec: EstimateSpec, source: str, report: Report) -> None:
    """Treated and untreated units, the start within the panel, enough periods before it."""
    info = treatment_of(clean, spec)
    first, last = info.periods[0], info.periods[-1]

    def flag(code: str, message: str, column: str | None = None, value: str | None = None) -> None:
        report.add(Problem(code=code, message=message, file=source, column=column, value=value))

    if spec.treated_unit is not None and spec.treated_unit not in info.units:
        flag("impact-no-treated", f"the treated unit {spec.treated_unit!r} is not in the panel",
               spec.unit, spec.treated_unit)  # fmt: skip
        return
    if spec.design == Design.ITS:
        _its_checks(clean, spec, info, flag)
        return
    if not info.starts:
        flag("impact-no-treated", "no unit of the panel is treated", spec.treatment or spec.cohort)
        return
    if not info.untreated:
        if not (spec.design == Design.STAGGERED_DID and spec.control_group.value == "not-yet-treated"):
            flag("impact-no-untreated",
                   f"every unit of the panel is treated; {spec.design.value} needs units without the measure "
                   "to compare with" + (" (or use --control-group not-yet-treated)"
                                        if spec.design == Design.STAGGERED_DID else ""),
                   spec.treatment or spec.cohort or spec.unit)  # fmt: skip
        elif len(set(info.starts.values())) < 2:
            flag("impact-no-untreated", "every unit is treated in the same period, so no unit is "
                   "not yet treated to compare with", spec.cohort)  # fmt: skip
    if spec.design in (Design.DID, Design.TWFE) and spec.treatment:
        _switching_off(clean, spec, info, report, source)
    if spec.design == Design.DID and len(set(info.starts.values())) > 1:
        flag("impact-invalid-spec",
               "the treated units start in different periods ("
               + ", ".join(str(s) for s in sorted(set(info.starts.values())))
               + "); use twfe or staggered-did for staggered adoption", spec.treatment)  # fmt: skip
    after = sorted(u for u, s in info.starts.items() if s > last)
    for unit in after[:MAX_PER_COLUMN]:
        flag("impact-treatment-after-end",
               f"unit {unit!r} is treated from period {info.starts[unit]}, after the last period of the "
               f"panel ({last})", spec.cohort or spec.treatment or "treatment_start", unit)  # fmt: skip
    minimum = MIN_PRE_PERIODS[spec.design]
    few = sorted(
        (u for u, s in info.starts.items() if s <= last and sum(p < s for p in info.periods) < minimum),
        key=lambda u: (info.starts[u], u),
    )
    for unit in few[:MAX_PER_COLUMN]:
        before = sum(p < info.starts[unit] for p in info.periods)
        flag("impact-too-few-pre-periods",
               f"unit {unit!r} is treated from period {info.starts[unit]}, with {before} period(s) before it "
               f"(the panel starts in {first}); {spec.design.value} needs at least {minimum}",
               spec.cohort or spec.treatment or "treatment_start", unit)  # fmt: skip
    _balance(clean, spec, info, report, source)


def _its_checks(clean: pd.DataFrame, spec: EstimateSpec, info: Treatment, add: _Refuse) -> None:
    if spec.treated_unit is None and len(info.units) > 1:
        add("impact-invalid-spec", "the panel holds several units: name the treated unit (--treated-unit)",
            "treated_unit")  # fmt: skip
        return
    unit = spec.treated_unit or info.units[0]
    start = spec.treatment_start if spec.treatment_start is not None else info.starts.get(unit)
    if start is None:
        add("impact-no-treated", f"unit {unit!r} is never treated", spec.treatment, unit)
        return
    periods = sorted(clean.loc[clean[spec.unit] == unit, spec.time].astype(int).tolist())
    if start > periods[-1]:
        add("impact-treatment-after-end",
            f"the measure starts in period {start}, after the last period of unit {unit!r} ({periods[-1]})",
            "treatment_start", str(start))  # fmt: skip
        return
    before = sum(p < start for p in periods)
    minimum = max(MIN_PRE_PERIODS[Design.ITS], spec.seasonality or 0)
    if before < minimum:
        add("impact-too-few-pre-periods",
            f"unit {unit!r} has {before} period(s) before the start {start}; its needs at least {minimum}"
            + (" (one full seasonal cycle)" if spec.seasonality and spec.seasonality > 3 else ""),
            "treatment_start", str(start))  # fmt: skip


def _switching_off(
    clean: pd.DataFrame, spec: EstimateSpec, info: Treatment, report: Report, source: str
) -> None:
    """A treatment column must stay 1 once a unit is treated (absorbing treatment)."""
    assert spec.treatment is not None
    starts = clean[spec.unit].map(info.starts)
    after = starts.notna() & (clean[spec.time] >= starts)
    off = after & (clean[spec.treatment] == 0)
    for row, unit in list(zip(clean.index[off], clean.loc[off, spec.unit], strict=True))[:MAX_PER_COLUMN]:
        report.add(
            Problem(
                code="impact-invalid-spec",
                message=f"unit {unit!r} is treated from period {info.starts[unit]} but not in this later "
                "period; the designs need a treatment that stays on",
                file=source,
                row=int(row) if clean.index.name == "row" else None,
                column=spec.treatment,
                value="0",
            )
        )


def _balance(clean: pd.DataFrame, spec: EstimateSpec, info: Treatment, report: Report, source: str) -> None:
    counts = clean.groupby(spec.unit)[spec.time].nunique()
    short = counts[counts < len(info.periods)]
    if len(short):
        report.add(
            Problem(
                code="impact-unbalanced-panel",
                message=f"{len(short)} of {len(info.units)} units lack some of the {len(info.periods)} "
                f"periods (e.g. {short.index[0]!r} has {int(short.iloc[0])}); the design uses the rows there "
                "are",
                severity=Severity.WARNING,
                file=source,
                column=spec.time,
            )
        )
