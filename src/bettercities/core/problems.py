"""Typed problems and reports: expected data problems are data, with stable codes.

A :class:`Report` collects *every* problem found in an input, each naming the file,
row and column where it occurs, so that a user can fix a file in one pass. Every code comes from
the catalogue :data:`bettercities.core.problem_codes.PROBLEM_CODES`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationError


class Severity(StrEnum):
    """How serious a problem is: errors block a write, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class Problem(BaseModel):
    """One problem found in an input, with a stable machine-readable ``code``."""

    model_config = {"frozen": True}

    code: str = Field(
        description="Stable code from the catalogue (docs/problems.md), e.g. 'type-error', 'unknown-area'."
    )
    message: str = Field(description="Human-readable explanation in English.")
    severity: Severity = Severity.ERROR
    file: str | None = None
    row: int | None = Field(default=None, description="1-based row number in the file, header = row 1.")
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        """``file, row R, column C`` with the parts that are known."""
        parts = [p for p in (self.file,) if p]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        value = f" (value {self.value!r})" if self.value is not None else ""
        return (
            f"{where}: {self.code}: {self.message}{value}" if where else f"{self.code}: {self.message}{value}"
        )


class Report(BaseModel):
    """All problems found in one input; ``ok`` when none is an error."""

    source: str | None = None
    problems: list[Problem] = Field(default_factory=list)
    truncated: int = Field(default=0, description="Problems found but not listed (beyond the report limit).")

    @property
    def ok(self) -> bool:
        return not any(p.severity == Severity.ERROR for p in self.problems) and self.truncated == 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    @classmethod
    def from_validation_error(
        cls,
        error: ValidationError,
        *,
        code: str,
        file: str | None = None,
        row: int | None = None,
        source: str | None = None,
    ) -> Report:
        """One problem ``code`` per field that pydantic refused: its message, the field's dotted path as the
        column and, when it is a single value, the value given (at most 200 characters)."""
        problems = [
            Problem(
                code=code,
                message=detail["msg"],
                file=file,
                row=row,
                column=".".join(str(part) for part in detail["loc"]) or None,
                value=_given(detail.get("input")),
            )
            for detail in error.errors()
        ]
        return cls(source=source, problems=problems)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def counts(self) -> dict[str, int]:
        """Number of problems per code."""
        return dict(Counter(p.code for p in self.problems))

    def summary(self) -> str:
        if not self.problems:
            return "no problems"
        counts = ", ".join(f"{n} {code}" for code, n in sorted(self.counts().items()))
        more = f" (+{self.truncated} more not listed)" if self.truncated else ""
        return f"{len(self.errors)} errors, {len(self.warnings)} warnings: {counts}{more}"

    def as_text(self, limit: int | None = None) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        if limit is not None and len(self.problems) > limit:
            lines.append(f"… and {len(self.problems) - limit} more")
        return "\n".join(lines)


def _given(value: object) -> str | None:
    """A refused input as a problem's value: single values only (not the whole mapping of an entry)."""
    if value is None or isinstance(value, dict | list | tuple | set):
        return None
    return str(value)[:200]
