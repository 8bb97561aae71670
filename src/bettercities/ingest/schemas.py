"""Typed options and results of imports (areas and observations).

The options models are the one description of an import's options: the CLI builds them from its options,
the web upload and API from their forms, and the library (:mod:`bettercities.ingest.service`) takes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, Field, ValidationError, model_validator

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report

LEVEL_CODE = r"^[a-z][a-z0-9_]*$"


class Layout(StrEnum):
    """How a table holds observations."""

    WIDE = "wide"  # one row per area (and period), one column per indicator
    LONG = "long"  # one row per observation: area, indicator, period, value


class ImportOptions(BaseModel):
    """Options of an import, refused like an invalid file when invalid (see :meth:`checked`)."""

    @classmethod
    def checked(cls, name: str, **values: Any) -> Self:
        """The options for importing file ``name``; :class:`InvalidInput` with one ``invalid-option``
        problem per invalid field otherwise."""
        try:
            return cls(**values)
        except ValidationError as error:
            report = Report.from_validation_error(error, code="invalid-option", file=name, source=name)
            raise InvalidInput(f"{name}: invalid import options", report) from None


class ReadOptions(ImportOptions):
    """How to read a table file; ``None`` means detect."""

    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    decimal: str | None = Field(default=None, pattern=r"^[.,]$")
    encoding: str | None = None
    sheet: str | None = Field(default=None, description="Excel: name of the sheet (default: the first).")
    na_values: list[str] = Field(
        default_factory=list, description="Cell texts that mean 'no value', besides the empty cell."
    )


class ObservationImportOptions(ReadOptions):
    """Column mapping and options of an observation import (stored as JSON with the batch)."""

    level: str
    layout: Layout = Layout.WIDE
    id_column: str = "id"
    pad_ids: bool = Field(
        default=False,
        description="Pad numeric area ids that lost their leading zeros (Excel) to the level's id width.",
    )
    period: str | None = Field(default=None, description="Period of every value (wide layout).")
    period_column: str | None = None
    indicator_column: str = "indicator"
    value_column: str = "value"
    numerator_column: str | None = None
    denominator_column: str | None = None
    provisional_column: str | None = None
    estimated_column: str | None = None
    suppressed_column: str | None = None
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Source name -> indicator code (wide: column names; long: values of the indicator column). "
            "A target 'code@period' also fixes the period of a wide column."
        ),
    )
    ignore: list[str] = Field(
        default_factory=list, description="Wide: columns to skip. Long: indicator values to skip."
    )

    @model_validator(mode="after")
    def _consistent(self) -> ObservationImportOptions:
        if self.period is not None and self.period_column is not None:
            raise ValueError("give either a period or a period column, not both")
        return self


class AreaImportOptions(ImportOptions):
    """Column mapping and options of an area import (stored as JSON with the batch)."""

    level: str = Field(pattern=LEVEL_CODE)
    level_name_de: str | None = None
    level_name_en: str | None = None
    parent_level: str | None = Field(default=None, pattern=LEVEL_CODE)
    id_column: str = "id"
    name_column: str = "name"
    parent_column: str | None = None
    layer: str | None = Field(default=None, description="Layer of a multi-layer file (GeoPackage).")
    id_fixes: dict[int, str] = Field(
        default_factory=dict,
        description="Feature number -> id that replaces the file's id (for known errors in published files).",
    )
    valid_from: date | None = None
    valid_to: date | None = None


def parse_mapping(lines: Iterable[str]) -> dict[str, str]:
    """``SOURCE=CODE`` lines (``SOURCE: CODE`` works too; blank and ``#`` lines are skipped) as a mapping.

    The CLI's repeated ``--map`` options and the upload form's mapping text both go through here; a line
    that is not a pair raises :class:`InvalidInput` with an ``invalid-mapping`` problem per such line.
    """
    mapping: dict[str, str] = {}
    report = Report(source="mapping")
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        source, _, target = line.partition("=" if "=" in line else ":")
        if not source.strip() or not target.strip():
            report.add(
                Problem(
                    code="invalid-mapping",
                    message="write 'column = indicator' (SOURCE=CODE)",
                    row=number,
                    value=line,
                )
            )
            continue
        mapping[source.strip()] = target.strip()
    if not report.ok:
        raise InvalidInput("the column mapping has lines that are not 'column = indicator'", report)
    return mapping


class ImportResult(BaseModel):
    """What an observation import found and did."""

    batch_id: int | None = Field(description="The import batch; None when nothing was written.")
    file: str
    sha256: str
    rows: int = Field(description="Data rows read from the file.")
    observations: int = Field(description="Observations in the file (non-empty value cells).")
    inserted: int = Field(description="New observations (revision 1).")
    revised: int = Field(description="Changed observations, stored as a new revision.")
    unchanged: int = Field(description="Observations identical to the current revision (not written).")
    empty: int = Field(default=0, description="Empty value cells skipped.")
    indicators: list[str] = Field(default_factory=list)
    periods: list[str] = Field(default_factory=list)
    dry_run: bool = False
    report: Report


class AreaImportResult(BaseModel):
    """What an area import found and did."""

    batch_id: int | None
    file: str
    sha256: str
    level: str
    features: int
    created: int
    updated: int
    crs: str | None = Field(description="Coordinate reference system of the file.")
    reprojected: bool = Field(description="Whether coordinates were transformed to WGS84 on reading.")
    report: Report


class ObservationRevision(BaseModel):
    """One stored revision of an observation, with its provenance."""

    revision: int
    is_current: bool
    value: float | None
    numerator: float | None
    denominator: float | None
    provisional: bool
    estimated: bool
    suppressed: bool
    import_id: int | None
    file_name: str | None
    source_row: int | None
    created_at: str
