"""Collecting problems found by vectorised checks into a bounded :class:`Report`.

A check hands over the indices of every offending entry; only the first problems (by row) of
each code become :class:`Problem` objects, the rest are counted. A file with a million bad
cells therefore costs as much to report as one with a thousand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from bettercities.core.problems import Problem, Report, Severity

LIMIT = 1000  # errors listed in a report; the rest are counted in Report.truncated
WARNING_LIMIT = 100  # warnings listed; the rest are summarised per code

Text = str | None | Callable[[int], str | None]


def _text(spec: Text, index: int) -> str | None:
    return spec(index) if callable(spec) else spec


class Findings:
    """Problems of one file, listed up to :data:`LIMIT` errors and :data:`WARNING_LIMIT` warnings."""

    def __init__(self, file: str, rows: np.ndarray, columns: Sequence[str] = ()) -> None:
        self.file = file
        self.rows = rows
        self.order = {name: position for position, name in enumerate(columns)}
        self.problems: list[Problem] = []
        self.totals: Counter[tuple[str, Severity]] = Counter()

    def add(
        self,
        code: str,
        indices: np.ndarray,
        *,
        message: Text,
        column: Text = None,
        value: Text = None,
        severity: Severity = Severity.ERROR,
        row: int | None = None,
        per_row: bool = False,
    ) -> None:
        """Report entries ``indices``; ``row`` fixes the row (e.g. the header), else each entry's own.

        With ``per_row`` an entry is reported once per row (a wide row has one entry per column).
        """
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size == 0:
            return
        if per_row:
            _, first = np.unique(self.rows[indices], return_index=True)
            indices = indices[first]
        else:
            indices = indices[np.argsort(self.rows[indices], kind="stable")]
        self.totals[(code, severity)] += int(indices.size)
        limit = LIMIT if severity == Severity.ERROR else WARNING_LIMIT
        for index in indices[:limit].tolist():
            self.problems.append(
                Problem(
                    code=code,
                    message=_text(message, index) or code,
                    severity=severity,
                    file=self.file,
                    row=row if row is not None else int(self.rows[index]),
                    column=_text(column, index),
                    value=_text(value, index),
                )
            )

    def extend(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.problems.append(problem)
            self.totals[(problem.code, problem.severity)] += 1

    def report(self) -> Report:
        """Errors first (by row), capped; excess warnings summarised per code."""

        def order(p: Problem) -> tuple[int, int]:
            """Rows top to bottom, columns left to right as in the file."""
            return (p.row if p.row is not None else 0, self.order.get(p.column or "", len(self.order)))

        errors = sorted((p for p in self.problems if p.severity == Severity.ERROR), key=order)
        warnings = sorted((p for p in self.problems if p.severity == Severity.WARNING), key=order)
        error_total = sum(n for (_code, sev), n in self.totals.items() if sev == Severity.ERROR)
        listed_errors = errors[:LIMIT]
        listed_warnings = warnings[:WARNING_LIMIT]
        shown = Counter(p.code for p in listed_warnings)
        for (code, severity), total in sorted(self.totals.items()):
            if severity == Severity.WARNING and total > shown[code]:
                listed_warnings.append(
                    Problem(
                        code=code,
                        message=f"{total - shown[code]} more {code!r} warnings not listed",
                        severity=Severity.WARNING,
                        file=self.file,
                    )
                )
        return Report(
            source=self.file,
            problems=[*listed_errors, *listed_warnings],
            truncated=max(0, error_total - len(listed_errors)),
        )
