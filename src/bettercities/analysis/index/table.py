"""Reading an index input table as text and checking its cells, problems reported with row/column."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from bettercities.core.problems import Problem, Report

_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def read_csv_text(path: str | Path) -> pd.DataFrame:
    """Read a CSV file with every cell as text (ids keep leading zeros); ``,``/``;``/tab sniffed."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        head = handle.readline()
    delimiter = max((",", ";", "\t"), key=head.count)
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        sep=delimiter,
        encoding="utf-8-sig",
        quoting=csv.QUOTE_MINIMAL,
    )


def parse_numbers(
    frame: pd.DataFrame, column: str, rows: pd.Index, report: Report, *, source: str | None
) -> pd.Series:
    """Parse ``column`` of the given ``rows`` as floats; empty and non-numeric cells are reported.

    Row numbers in problems count the header as row 1 (``frame`` is positionally indexed).
    A decimal comma (``1,5``) is accepted.
    """
    text = frame.loc[rows, column].astype(str).str.strip()
    text = text.where(~text.str.match(_DECIMAL_COMMA), text.str.replace(",", ".", regex=False))
    values = pd.to_numeric(text, errors="coerce").astype(float)
    for position in values.index[~np.isfinite(values.to_numpy(float))]:
        raw = str(frame.at[position, column])
        empty = raw.strip() == ""
        report.add(
            Problem(
                code="missing-value" if empty else "type-error",
                message="the cell is empty" if empty else "not a number",
                file=source,
                row=int(position) + 2,
                column=column,
                value=None if empty else raw,
            )
        )
    return values
