"""Table layouts: wide and long tables become one long form, an entry per value cell.

Layouts are registered (:func:`layout`); validation only ever sees a :class:`LongTable`.
A wide table of *n* rows and *k* indicator columns becomes *n x k* entries by tiling
arrays, never by looping over cells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity
from bettercities.ingest.cells import Codes, encode
from bettercities.ingest.readers import Table
from bettercities.ingest.schemas import Layout, ObservationImportOptions

FLAGS = ("provisional", "estimated", "suppressed")
NO_PERIOD = -2  # period code of an entry whose period nobody gave (neither option, column nor mapping)


@dataclass
class LongTable:
    """Observations in long form before validation; texts stay texts."""

    file: str
    header_row: int
    data_rows: int
    columns: list[str]  # the file's columns, in order
    rows: np.ndarray  # spreadsheet row of each entry
    area: Codes
    indicator: Codes  # wide: index of the value column; long: indicator cells
    indicator_codes: list[str]  # indicator code of each ``indicator.uniques`` entry (mapping applied)
    period: Codes  # -1: empty cell; NO_PERIOD: no period given
    value: pa.Array
    numerator: pa.Array | None
    denominator: pa.Array | None
    flags: dict[str, pa.Array]
    decimal: str
    area_column: str
    period_column: str | None
    indicator_column: str | None  # None in the wide layout: indicators are columns
    value_columns: list[str]  # column holding the values of each ``indicator.uniques`` entry
    numerator_column: str | None = None
    denominator_column: str | None = None
    flag_columns: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


Shaper = Callable[[Table, ObservationImportOptions], LongTable]
_LAYOUTS: dict[Layout, Shaper] = {}


def layout(kind: Layout) -> Callable[[Shaper], Shaper]:
    """Register the function that brings tables of layout ``kind`` into long form."""

    def decorate(shaper: Shaper) -> Shaper:
        _LAYOUTS[kind] = shaper
        return shaper

    return decorate


def to_long(table: Table, options: ObservationImportOptions) -> LongTable:
    """Bring ``table`` into long form as ``options.layout`` says."""
    return _LAYOUTS[options.layout](table, options)


class _Columns:
    """Resolves the columns an import needs and collects problems about them."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.problems: list[Problem] = []

    def require(self, name: str, option: str) -> str:
        if name not in self.table.columns:
            self.problems.append(
                Problem(
                    code="missing-column",
                    message=f"no column {name!r} ({option}); columns: {', '.join(self.table.columns)}",
                    file=self.table.name,
                    row=self.table.header_row,
                    column=name,
                )
            )
        return name

    def optional(self, given: str | None, default: str, option: str) -> str | None:
        """``given`` (which must exist) or ``default`` when the table has such a column."""
        if given is not None:
            return self.require(given, option)
        return default if default in self.table.columns else None

    def check_unique(self) -> None:
        seen: set[str] = set()
        for name in self.table.columns:
            if name in seen and name:
                self.problems.append(
                    Problem(
                        code="duplicate-column",
                        message="two columns have this name",
                        file=self.table.name,
                        row=self.table.header_row,
                        column=name,
                    )
                )
            seen.add(name)

    def raise_errors(self) -> None:
        """Stop when columns are missing: nothing can be checked without them (the file's
        malformed rows are reported too, they may be the reason)."""
        report = Report(source=self.table.name, problems=[*self.table.problems, *self.problems])
        if any(p.severity == Severity.ERROR for p in self.problems):
            count = len(report.errors)
            raise InvalidInput(
                f"{self.table.name}: {count} error{'' if count == 1 else 's'} in the columns", report
            )

    def flags(self, options: ObservationImportOptions) -> dict[str, str]:
        found = {}
        for flag in FLAGS:
            column = self.optional(getattr(options, f"{flag}_column"), flag, f"--{flag}-column")
            if column is not None:
                found[flag] = column
        return found


def _split_target(target: str) -> tuple[str, str | None]:
    code, _, period = target.partition("@")
    return code.strip(), (period.strip() or None)


@layout(Layout.WIDE)
def wide(table: Table, options: ObservationImportOptions) -> LongTable:
    """One row per area (and period), one column per indicator."""
    cols = _Columns(table)
    cols.check_unique()
    area_column = cols.require(options.id_column, "--id-column")
    period_column = options.period_column
    if options.period is None:
        period_column = cols.optional(period_column, "period", "--period-column")
    elif period_column is not None:
        cols.require(period_column, "--period-column")
    flag_columns = cols.flags(options)
    reserved = {area_column, *(c for c in (period_column,) if c), *flag_columns.values()}
    for name in options.ignore:
        if name not in table.columns:
            cols.problems.append(
                Problem(
                    code="unknown-column",
                    message="a column to ignore is not in the file",
                    severity=Severity.WARNING,
                    file=table.name,
                    row=table.header_row,
                    column=name,
                )
            )
    candidates = [c for c in table.columns if c not in reserved and c not in options.ignore]
    # Unnamed columns without any value are export artefacts (a trailing delimiter), not data.
    value_columns = [c for c in candidates if c or pa_any_text(table.column(c))]
    cols.raise_errors()

    n, k = len(table), len(value_columns)
    targets = [_split_target(options.mapping.get(c, c)) for c in value_columns]
    area = encode(table.column(area_column))
    period_uniques: list[str] = []
    if options.period is not None:
        base_period = np.zeros(n, dtype=np.int32)
        period_uniques = [options.period.strip()]
    elif period_column is not None:
        encoded = encode(table.column(period_column))
        base_period, period_uniques = encoded.codes, list(encoded.uniques)
    else:
        base_period = np.full(n, NO_PERIOD, dtype=np.int32)
    period_codes = np.tile(base_period, k)
    for j, (_code, fixed) in enumerate(targets):
        if fixed is not None:
            if fixed not in period_uniques:
                period_uniques.append(fixed)
            period_codes[j * n : (j + 1) * n] = period_uniques.index(fixed)
    values = (
        pa.concat_arrays([table.column(c) for c in value_columns]) if k else pa.array([], type=pa.string())
    )
    flags = {flag: pa.concat_arrays([table.column(c)] * k) for flag, c in flag_columns.items()} if k else {}
    return LongTable(
        file=table.name,
        header_row=table.header_row,
        data_rows=n,
        columns=list(table.columns),
        rows=np.tile(table.rows, k),
        area=Codes(np.tile(area.codes, k), area.uniques),
        indicator=Codes(np.repeat(np.arange(k, dtype=np.int32), n), list(value_columns)),
        indicator_codes=[code for code, _ in targets],
        period=Codes(period_codes, period_uniques),
        value=values,
        numerator=None,
        denominator=None,
        flags=flags,
        decimal=options.decimal or table.decimal,
        area_column=area_column,
        period_column=period_column,
        indicator_column=None,
        value_columns=list(value_columns),
        flag_columns=flag_columns,
        problems=[*table.problems, *cols.problems],
    )


def pa_any_text(column: pa.Array) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(pc.not_equal(pc.utf8_length(pc.utf8_trim_whitespace(column)), 0)).as_py())


@layout(Layout.LONG)
def long(table: Table, options: ObservationImportOptions) -> LongTable:
    """One row per observation: area, indicator, period, value (+ numerator, denominator, flags)."""
    cols = _Columns(table)
    cols.check_unique()
    area_column = cols.require(options.id_column, "--id-column")
    indicator_column = cols.require(options.indicator_column, "--indicator-column")
    value_column = cols.require(options.value_column, "--value-column")
    period_column: str | None = None
    if options.period is None:
        period_column = cols.require(options.period_column or "period", "--period-column")
    numerator_column = cols.optional(options.numerator_column, "numerator", "--numerator-column")
    denominator_column = cols.optional(options.denominator_column, "denominator", "--denominator-column")
    flag_columns = cols.flags(options)
    if any("@" in target for target in options.mapping.values()):
        cols.problems.append(
            Problem(
                code="invalid-mapping",
                message="'code@period' mapping targets are for the wide layout; "
                "the long layout takes periods from its period column",
                file=table.name,
            )
        )
    cols.raise_errors()

    indicator = encode(table.column(indicator_column))
    keep: np.ndarray | None = None  # rows of ignored indicators left out; None: every row is kept
    if options.ignore:
        ignored = [i for i, u in enumerate(indicator.uniques) if u in set(options.ignore)]
        keep = ~np.isin(indicator.codes, ignored)
        if keep.all():
            keep = None

    def take(column: str) -> pa.Array:
        array = table.column(column)
        return array if keep is None else array.filter(pa.array(keep))

    kept = len(table) if keep is None else int(keep.sum())
    if options.period is not None:
        period = Codes(np.zeros(kept, dtype=np.int32), [options.period.strip()])
    else:
        assert period_column is not None
        period = encode(take(period_column))
    area = encode(take(area_column))
    if keep is not None:
        indicator = Codes(indicator.codes[keep], indicator.uniques)
    return LongTable(
        file=table.name,
        header_row=table.header_row,
        data_rows=len(table),
        columns=list(table.columns),
        rows=table.rows if keep is None else table.rows[keep],
        area=area,
        indicator=indicator,
        indicator_codes=[options.mapping.get(u, u) for u in indicator.uniques],
        period=period,
        value=take(value_column),
        numerator=take(numerator_column) if numerator_column else None,
        denominator=take(denominator_column) if denominator_column else None,
        flags={flag: take(c) for flag, c in flag_columns.items()},
        decimal=options.decimal or table.decimal,
        area_column=area_column,
        period_column=period_column,
        indicator_column=indicator_column,
        value_columns=[value_column] * len(indicator.uniques),
        numerator_column=numerator_column,
        denominator_column=denominator_column,
        flag_columns=flag_columns,
        problems=[*table.problems, *cols.problems],
    )
