"""Validation of observations before anything is written: every problem, with row and column.

Checks: empty key cells (``missing-value``), periods (``missing-period``, ``invalid-period``), areas
valid at the period (``unknown-area``), indicators (``unknown-indicator``), numbers and flags
(``type-error``, ``invalid-flag``), keys repeated in the file (``duplicate-key``), ranges
(``out-of-range``), shares (``numerator-exceeds-denominator``, ``inconsistent-value``) and rows
without a value (``empty-value``). All codes: :data:`bettercities.core.problem_codes.PROBLEM_CODES`.

Area ids that lost their leading zeros (an Excel column of numbers shown as ``00000000``): with ``pad_ids`` a
numeric id shorter than the level's id width (:func:`id_width`) that is no area as it is, is looked up
padded with zeros (one ``id-padded`` warning says how many); without it, when most unknown ids would match
padded, :attr:`Validated.hint` says so and each such ``unknown-area`` problem names the padded id.

Everything is computed on whole arrays; Python only runs per *problem listed*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bettercities.core.problems import Problem, Report, Severity
from bettercities.indicators.periods import PeriodError, PeriodSpec, parse_period
from bettercities.ingest.cells import Numbers, parse_flags, parse_numbers
from bettercities.ingest.layouts import FLAGS, NO_PERIOD, LongTable
from bettercities.quality.findings import Findings

RATIO_KINDS = ("share", "ratio")


@dataclass(frozen=True)
class IndicatorRule:
    """What validation needs to know about a registered indicator."""

    id: int
    code: str
    kind: str = "value"
    factor: float = 1.0
    min_value: float | None = None
    max_value: float | None = None
    decimals: int = 1


AreaLookup = Callable[[PeriodSpec], Mapping[str, int]]


@dataclass
class Validated:
    """The observations of a file, ready to store, and the report on the file."""

    rows: np.ndarray
    area_id: np.ndarray
    indicator_id: np.ndarray
    period: np.ndarray  # index into ``periods``
    periods: list[PeriodSpec]
    value: np.ndarray  # NaN = no value (suppressed cells)
    numerator: np.ndarray
    denominator: np.ndarray
    provisional: np.ndarray
    estimated: np.ndarray
    suppressed: np.ndarray
    indicators: list[str]
    empty: int
    report: Report
    #: why the file is refused, when there is a likely single cause (ids that lost their leading zeros)
    hint: str | None = None

    def __len__(self) -> int:
        return len(self.rows)


def id_width(codes: Iterable[str]) -> int | None:
    """The width of a level's ids when all of them are digits of one length (8 for Berlin's planning areas,
    ``01011101``), else ``None``: only then can a number that lost its leading zeros be padded back."""
    lengths = {len(code) if code.isdigit() else -1 for code in codes}
    width = next(iter(lengths)) if len(lengths) == 1 else -1
    return width if width > 1 else None


def padded(code: str, width: int) -> str:
    """``code`` with leading zeros up to ``width`` when it is a shorter number, else ``code``."""
    return code.zfill(width) if code.isdigit() and len(code) < width else code


def _lookup(table: np.ndarray, codes: np.ndarray, fill: object) -> np.ndarray:
    """``table[codes]``, with ``fill`` for the codes -1 (empty cell) and -2 (not given): one take."""
    extended = np.concatenate([table, np.array([fill, fill], dtype=table.dtype)])
    return extended[codes]


def _periods(texts: Sequence[str]) -> tuple[np.ndarray, list[PeriodSpec]]:
    """Canonical period index of each text (-1 when not a period) and the canonical periods."""
    canonical: dict[str, int] = {}
    specs: list[PeriodSpec] = []
    index = np.full(len(texts), -1, dtype=np.int32)
    for i, text in enumerate(texts):
        try:
            spec = parse_period(text)
        except PeriodError:
            continue
        if spec.code not in canonical:
            canonical[spec.code] = len(specs)
            specs.append(spec)
        index[i] = canonical[spec.code]
    return index, specs


def _duplicates(keys: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of repeated keys (after their first) and the position of each one's first occurrence.

    Keys lie in ``range(space)``; when that range is small a count tells in one pass that
    there is no repeat (the usual case), before any sorting.
    """
    if space <= 4 * len(keys) + 1_000_000 and np.bincount(keys, minlength=1).max(initial=0) <= 1:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]] if len(ordered) else np.zeros(0, dtype=bool)
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(ordered)), 0))
    repeated = order[~starts]
    first = order[group_start[~starts]]
    return repeated, first


def validate(
    long: LongTable,
    *,
    indicators: Mapping[str, IndicatorRule],
    areas: AreaLookup,
    level: str,
    na_values: Sequence[str] = (),
    pad_ids: bool = False,
) -> Validated:
    """Check every entry of ``long``; return what can be stored and the report.

    ``pad_ids``: look an unknown numeric area id up again padded with zeros to the level's id width.
    """
    n = len(long)
    rows = long.rows
    found = Findings(long.file, rows, long.columns)
    found.extend(long.problems)
    if n == 0:
        found.extend([Problem(code="no-data", message="the file holds no values to import", file=long.file)])

    # -- keys: indicator ------------------------------------------------------------------------------
    rules = [indicators.get(code) for code in long.indicator_codes]
    ind_u = np.array([r.id if r else -1 for r in rules], dtype=np.int64)
    dense = {i: k for k, i in enumerate(sorted({r.id for r in rules if r}))}
    ind_key_u = np.array([dense[r.id] if r else -1 for r in rules], dtype=np.int64)
    ind_code = long.indicator.codes
    indicator_id = _lookup(ind_u, ind_code, -1)
    unknown_ind = np.flatnonzero((ind_code >= 0) & (indicator_id < 0))
    if long.indicator_column is None:  # wide: one problem per column, on the header row
        _, first = np.unique(ind_code[unknown_ind], return_index=True)
        found.add(
            "unknown-indicator",
            unknown_ind[first],
            row=long.header_row,
            column=lambda i: long.indicator.uniques[ind_code[i]],
            value=lambda i: long.indicator_codes[ind_code[i]],
            message=lambda i: (
                f"no indicator {long.indicator_codes[ind_code[i]]!r} in the registry; "
                "map the column (--map COLUMN=CODE) or ignore it (--ignore-columns)"
            ),
        )
    else:
        found.add(
            "unknown-indicator",
            unknown_ind,
            column=long.indicator_column,
            value=lambda i: long.indicator.uniques[ind_code[i]],
            message=lambda i: f"no indicator {long.indicator_codes[ind_code[i]]!r} in the registry",
        )
        found.add(
            "missing-value",
            np.flatnonzero(ind_code == -1),
            column=long.indicator_column,
            message="the indicator cell is empty",
        )

    # -- keys: period ---------------------------------------------------------------------------------
    canon_u, periods = _periods(long.period.uniques)
    period_code = long.period.codes
    period = _lookup(canon_u, period_code, -1)
    found.add(
        "invalid-period",
        np.flatnonzero((period_code >= 0) & (period < 0)),
        per_row=True,
        column=long.period_column,
        value=lambda i: long.period.uniques[period_code[i]],
        message="not a period; use 2020, 2020-H1, 2020-Q3, 2020-07, 2020-12-31 or 31.12.2020",
    )
    found.add(
        "missing-value",
        np.flatnonzero(period_code == -1),
        per_row=True,
        column=long.period_column,
        message="the period cell is empty",
    )
    no_period = np.flatnonzero(period_code == NO_PERIOD)
    _, first = np.unique(ind_code[no_period], return_index=True)
    found.add(
        "missing-period",
        no_period[first],
        row=long.header_row,
        column=lambda i: long.value_columns[ind_code[i]],
        message="no period for this column; give --period, --period-column or --map COLUMN=CODE@PERIOD",
    )

    # -- keys: area (valid at the period's end) -------------------------------------------------------
    area_code = long.area.codes
    # One row per period, one column per area code; two extra rows and columns of -1 answer the
    # codes -1 and -2 (empty, not given), so that one fancy index maps every entry.
    uniques = long.area.uniques
    table = np.full((len(periods) + 2, len(uniques) + 2), -1, dtype=np.int64)
    zeros: dict[int, str] = {}  # unique id -> the known id it is with leading zeros
    widths: set[int] = set()
    for p, spec in enumerate(periods):
        valid_areas = areas(spec)
        ids = [valid_areas.get(code, -1) for code in uniques]
        missing = [k for k, found_id in enumerate(ids) if found_id < 0]
        width = id_width(valid_areas) if missing else None
        for k in missing if width else ():
            alternative = padded(uniques[k], width or 0)
            if alternative != uniques[k] and alternative in valid_areas:
                zeros[k] = alternative
                widths.add(width or 0)
                if pad_ids:
                    ids[k] = valid_areas[alternative]
        table[p, : len(uniques)] = ids
    area_id = table[period, area_code]
    both = (area_code >= 0) & (period >= 0)
    unknown_area = np.flatnonzero(both & (area_id < 0))
    hint = None
    if pad_ids and zeros:
        examples = ", ".join(f"{uniques[k]!r} -> {zeros[k]!r}" for k in sorted(zeros)[:3])
        message = f"{len(zeros)} area ids padded with leading zeros to {_digits(widths)} digits ({examples})"
        found.extend(
            [Problem(code="id-padded", severity=Severity.WARNING, file=long.file, column=long.area_column,
                     message=message)]
        )  # fmt: skip
    elif zeros:
        unknown_ids = set(np.unique(area_code[unknown_area]).tolist())
        matching = len(unknown_ids & set(zeros))
        if 2 * matching > len(unknown_ids):
            they = "they match" if matching == len(unknown_ids) else f"{matching} of them match"
            hint = (
                f"{len(unknown_ids)} unknown areas; {they} known areas when padded with leading zeros to "
                f"{_digits(widths)} digits: use --pad-ids"
            )

    def unknown_message(i: int) -> str:
        text = (
            f"no area {uniques[area_code[i]]!r} in level {level!r} "
            f"valid on {periods[period[i]].end_date.isoformat()}"
        )
        alternative = zeros.get(int(area_code[i]))
        return f"{text}; with its leading zeros it is {alternative!r} (--pad-ids)" if alternative else text

    found.add(
        "unknown-area",
        unknown_area,
        per_row=True,
        column=long.area_column,
        value=lambda i: uniques[area_code[i]],
        message=unknown_message,
    )
    found.add(
        "missing-value",
        np.flatnonzero(area_code == -1),
        per_row=True,
        column=long.area_column,
        message="the area id cell is empty",
    )

    # -- cells ----------------------------------------------------------------------------------------
    def numbers(texts: pa.Array, column: Callable[[int], str] | str | None) -> Numbers:
        parsed = parse_numbers(texts, decimal=long.decimal, na_values=na_values)
        other = "." if long.decimal == "," else ","
        found.add(
            "type-error",
            np.flatnonzero(parsed.bad),
            column=column,
            value=lambda i: str(texts[i].as_py()),
            message=lambda i: (
                f"not a number: {other!r} is not the decimal mark of this file (it is {long.decimal!r})"
                if parsed.wrong_mark[i]
                else "not a number"
            ),
        )
        return parsed

    value_column = (
        (lambda i: long.value_columns[ind_code[i]])
        if long.indicator_column is None
        else (long.value_columns[0] if long.value_columns else None)
    )
    value = numbers(long.value, value_column)
    empty_array = np.full(n, np.nan)
    numerator = (
        numbers(long.numerator, long.numerator_column).values if long.numerator is not None else empty_array
    )
    denominator = (
        numbers(long.denominator, long.denominator_column).values
        if long.denominator is not None
        else empty_array
    )
    flags: dict[str, np.ndarray] = {}
    for flag in FLAGS:
        texts = long.flags.get(flag)
        if texts is None:
            flags[flag] = np.zeros(n, dtype=bool)
            continue
        parsed_flag = parse_flags(texts)
        flags[flag] = parsed_flag.values
        found.add(
            "invalid-flag",
            np.flatnonzero(parsed_flag.bad),
            column=long.flag_columns[flag],
            value=lambda i, t=texts: str(t[i].as_py()),  # type: ignore[misc]
            message="not a flag; use 1/0, x/empty, true/false, yes/no or ja/nein",
        )

    # -- values: derived, present, empty ---------------------------------------------------------------
    def per_indicator(values: list[object], fill: object, dtype: type) -> np.ndarray:
        return _lookup(np.array(values, dtype=dtype), ind_code, fill)

    values = value.values
    with_ratio = long.numerator is not None and long.denominator is not None
    if with_ratio:
        is_ratio = per_indicator([bool(r and r.kind in RATIO_KINDS) for r in rules], False, np.bool_)
        factor = per_indicator([r.factor if r else 1.0 for r in rules], 1.0, np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = factor * numerator / denominator
        derivable = value.empty & is_ratio & np.isfinite(ratio) & (denominator != 0)
        values = np.where(derivable, ratio, values)
    suppressed = flags["suppressed"]
    present = ~np.isnan(values) | suppressed | value.bad
    empty = ~present
    if long.indicator_column is not None:
        found.add(
            "empty-value",
            np.flatnonzero(empty),
            severity=Severity.WARNING,
            column=value_column,
            message="no value; the row is skipped",
        )

    # -- duplicates (area + indicator + period) -------------------------------------------------------
    ind_key = _lookup(ind_key_u, ind_code, -1)
    keyed = np.flatnonzero(present & (area_code >= 0) & (ind_key >= 0) & (period >= 0))
    if keyed.size:
        n_ind, n_per = len(dense), len(periods)
        key = (area_code[keyed].astype(np.int64) * n_ind + ind_key[keyed]) * n_per + period[keyed]
        repeated, first = _duplicates(key, len(long.area.uniques) * n_ind * n_per)
        repeated, first = keyed[repeated], keyed[first]
        first_of = dict(zip(repeated.tolist(), first.tolist(), strict=True))
        wide = long.indicator_column is None
        other_row = rows[repeated] != rows[first]
        # wide: a repeated row is one problem (on the id column); two columns of one indicator, one each
        found.add(
            "duplicate-key",
            repeated[other_row] if wide else repeated,
            per_row=wide,
            column=long.area_column,
            value=lambda i: long.area.uniques[area_code[i]],
            message=lambda i: _duplicate_message(
                long, first_of[i], ind_code[i], periods[period[i]].code, wide
            ),
        )
        if wide:
            found.add(
                "duplicate-key",
                repeated[~other_row],
                column=lambda i: long.value_columns[ind_code[i]],
                value=lambda i: long.indicator_codes[ind_code[i]],
                message=lambda i: (
                    f"indicator {long.indicator_codes[ind_code[i]]!r} also in column "
                    f"{long.value_columns[ind_code[first_of[i]]]!r} of this row"
                ),
            )

    # -- ranges and ratios -----------------------------------------------------------------------------
    low = per_indicator(
        [r.min_value if r and r.min_value is not None else -np.inf for r in rules], -np.inf, np.float64
    )
    high = per_indicator(
        [r.max_value if r and r.max_value is not None else np.inf for r in rules], np.inf, np.float64
    )
    outside = np.flatnonzero((values < low) | (values > high))  # NaN compares false; unknown: no limits
    found.add(
        "out-of-range",
        outside,
        column=value_column,
        value=lambda i: str(long.value[i].as_py()).strip() or f"{values[i]:g} (derived)",
        message=lambda i: (
            f"outside the range of {long.indicator_codes[ind_code[i]]!r} "
            f"({_bound(low[i])} to {_bound(high[i])})"
        ),
    )
    if with_ratio:
        is_share = per_indicator([bool(r and r.kind == "share") for r in rules], False, np.bool_)
        exceeds = is_share & (numerator > denominator)
        found.add(
            "numerator-exceeds-denominator",
            np.flatnonzero(exceeds),
            column=long.numerator_column,
            value=lambda i: f"{numerator[i]:g} > {denominator[i]:g}",
            message="the numerator of a share cannot exceed its denominator",
        )
        decimals = per_indicator([r.decimals if r else 1 for r in rules], 1, np.float64)
        with np.errstate(invalid="ignore"):
            tolerance = np.maximum(10.0 ** (-decimals), 1e-3 * np.abs(ratio))
            inconsistent = is_ratio & ~value.empty & np.isfinite(ratio) & (np.abs(values - ratio) > tolerance)
        found.add(
            "inconsistent-value",
            np.flatnonzero(inconsistent & ~exceeds),
            severity=Severity.WARNING,
            column=value_column,
            value=lambda i: repr(float(values[i])),
            message=lambda i: f"differs from factor x numerator / denominator = {ratio[i]:.6g}",
        )

    everything = bool(present.all())

    def kept(array: np.ndarray) -> np.ndarray:
        return array if everything else array[present]

    kept_codes = kept(ind_code)
    seen = np.flatnonzero(np.bincount(kept_codes[kept_codes >= 0], minlength=len(rules)))
    used = sorted({long.indicator_codes[c] for c in seen.tolist()})
    return Validated(
        rows=kept(rows),
        area_id=kept(area_id),
        indicator_id=kept(indicator_id),
        period=kept(period),
        periods=periods,
        value=kept(values),
        numerator=kept(numerator),
        denominator=kept(denominator),
        provisional=kept(flags["provisional"]),
        estimated=kept(flags["estimated"]),
        suppressed=kept(suppressed),
        indicators=used,
        empty=int(empty.sum()),
        report=found.report(),
        hint=hint,
    )


def _digits(widths: set[int]) -> str:
    return " or ".join(str(w) for w in sorted(widths))


def _bound(value: float) -> str:
    return "no limit" if np.isinf(value) else f"{value:g}"


def _duplicate_message(long: LongTable, first: int, indicator: int, period: str, wide: bool) -> str:
    row = int(long.rows[first])
    area = long.area.uniques[long.area.codes[first]]
    if wide:
        return f"area {area!r} and period {period} again; first in row {row}"
    code = long.indicator_codes[indicator]
    return f"area {area!r}, indicator {code!r}, period {period} again; first in row {row}"
