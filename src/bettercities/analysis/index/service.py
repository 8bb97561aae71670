"""Computing social indices: one function behind the library, the CLI and (later) the web pages."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

import bettercities
from bettercities.analysis.index.config import load_config
from bettercities.analysis.index.methods import get_method
from bettercities.analysis.index.schemas import (
    AreaScore,
    IndexConfigBase,
    IndexResult,
    InputInfo,
    UnscoredReason,
)
from bettercities.analysis.index.table import parse_numbers, read_csv_text
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report, Severity


def compute_index(
    data: pd.DataFrame,
    *,
    config: IndexConfigBase | str | Path,
    id_column: str,
    population_column: str | None = None,
    source: str | None = None,
    sha256: str | None = None,
) -> IndexResult:
    """Compute the index ``config`` describes for every row of ``data`` (one row per area).

    ``data`` may hold text or numbers. Areas listed in the configuration's exclusions or with fewer
    inhabitants than its minimum are kept in the result with empty values and a note (the exclusion's
    reason; :class:`UnscoredReason` codes for what the library finds: pages translate them). Every data
    problem (missing column, duplicate or empty id, empty or non-numeric cell of an area that is
    to be scored) is collected; if there are errors, :class:`InvalidInput` carries the report and
    nothing is computed, because a single missing area would change every other area's z-scores.
    """
    if not isinstance(config, IndexConfigBase):
        config = load_config(config)
    method = get_method(config.method)
    population_column = population_column or config.population_column
    frame = data.reset_index(drop=True)
    report = Report(source=source)

    needed = [id_column, *method.indicator_columns(config)]
    if population_column:
        needed.append(population_column)
    for column in needed:
        if column not in frame.columns:
            report.add(
                Problem(
                    code="missing-column",
                    message="configured column not in the data",
                    file=source,
                    column=column,
                )
            )
    if config.min_population and not population_column:
        report.add(
            Problem(
                code="missing-population",
                message=f"the configuration needs a population column (minimum {config.min_population:g})",
                file=source,
            )
        )
    if not report.ok:
        raise InvalidInput(f"{source or 'input'}: {report.summary()}", report)

    ids = frame[id_column].astype(str).str.strip()
    for blank in np.flatnonzero((ids == "").to_numpy()):
        report.add(
            Problem(
                code="missing-id",
                message="the area id is empty",
                file=source,
                row=int(blank) + 2,
                column=id_column,
            )
        )
    for repeat in np.flatnonzero((ids.duplicated(keep="first") & (ids != "")).to_numpy()):
        report.add(
            Problem(
                code="duplicate-key",
                message="the area id occurs more than once",
                file=source,
                row=int(repeat) + 2,
                column=id_column,
                value=str(ids.iloc[repeat]),
            )
        )

    id_list: list[str] = ids.tolist()
    excluded = {e.id: e.reason for e in config.exclude}
    notes: list[list[str]] = [[excluded[a]] if a in excluded else [] for a in id_list]
    inhabitants: list[float | None] = [None] * len(id_list)
    if population_column:
        population = parse_numbers(frame, population_column, frame.index, report, source=source)
        for position, value in enumerate(population.to_numpy(float)):
            if not np.isfinite(value):
                continue
            inhabitants[position] = float(value)
            if config.min_population and value < config.min_population:
                notes[position].append(UnscoredReason.FEW_INHABITANTS.value)
    eligible = pd.Index([p for p, n in enumerate(notes) if not n])
    values = pd.DataFrame(
        {
            c: parse_numbers(frame, c, eligible, report, source=source)
            for c in method.indicator_columns(config)
        },
        index=eligible,
    )
    if not report.ok:
        raise InvalidInput(f"{source or 'input'}: {report.summary()}", report)
    if eligible.empty:
        report.add(
            Problem(
                code="nothing-to-score",
                message="no area is left to score",
                file=source,
                severity=Severity.WARNING,
            )
        )

    values.index = pd.Index([id_list[p] for p in eligible])
    scores = method.score(values, config) if not eligible.empty else None
    areas: list[AreaScore] = []
    for position, area_id in enumerate(id_list):
        pop = inhabitants[position]
        if notes[position]:
            areas.append(method.unscored(area_id, pop, "; ".join(notes[position])))
        else:
            assert scores is not None
            areas.append(scores.scores[area_id].model_copy(update={"population": pop}))
    return IndexResult(
        method=method.name,
        config=config.model_dump(mode="json"),
        input=InputInfo(
            source=source,
            sha256=sha256,
            rows=len(frame),
            id_column=id_column,
            population_column=population_column,
        ),
        computed_at=datetime.now(UTC),
        version=bettercities.__version__,
        columns=list(method.columns),
        areas=areas,
        class_counts=scores.class_counts if scores else {},
        breaks=scores.breaks if scores else {},
        report=report,
    )


def compute_index_file(
    path: str | Path,
    *,
    config: IndexConfigBase | str | Path,
    id_column: str,
    population_column: str | None = None,
) -> IndexResult:
    """:func:`compute_index` on a CSV file (ids are read as text, so leading zeros stay)."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return compute_index(
        read_csv_text(path),
        config=config,
        id_column=id_column,
        population_column=population_column,
        source=str(path),
        sha256=digest,
    )


def result_table(result: IndexResult) -> pd.DataFrame:
    """The tabular output: one row per input area, the method's columns in order."""
    return pd.DataFrame(result.rows(), columns=result.columns)


def write_csv(result: IndexResult, path: str | Path) -> None:
    """Write :func:`result_table` as CSV (empty cells for excluded areas, full float precision)."""
    result_table(result).to_csv(path, index=False, float_format="%.10g")
