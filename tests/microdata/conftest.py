"""A small demo city (unlocked for writing), a generated register of it and an independent pandas reference.

The reference (:func:`pandas_cells`) is written here from the spec's meaning, with pandas only: it shares no
code with bettercities.microdata, so an error in the Ibis translation or the roll-up shows as a difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from bettercities.areas import service as areas
from bettercities.areas.models import Area, SpatialLevel
from bettercities.catalog import approval
from bettercities.catalog.models import Dataset
from bettercities.demo.service import build_demo
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.microdata.generator import generate_register
from bettercities.storage.workspace import Workspace
from tests.support.demos import built_demo

EXAMPLE = Path(__file__).parents[2] / "src/bettercities/microdata/examples/register.yaml"
PERIOD = "2025"
EXTRA = """  - code: median_income
    median: income
    where: "age >= 16"
  - code: mean_income
    mean: income
    where: "age >= 16 and benefit != 'sgb2'"
"""


def build_city(workspace: Workspace) -> str:
    """The demo city with 60 planning areas, its datasets unlocked, and two income indicators registered."""
    summary = build_demo(workspace, seed=11, n_planning_areas=60, first_year=2023, last_year=2024)
    with workspace.database.session() as session:
        for dataset in session.scalars(select(Dataset)).all():
            if dataset.state != "draft":
                approval.transition(
                    session, summary.city, dataset.code, "unlock", user="test", reason="tests"
                )
        for code in ("median_income", "mean_income"):
            indicators.register_indicator(
                session,
                IndicatorSpec(code=code, name_de=code, name_en=code, kind="value", min_value=0, decimals=2),
            )
    return summary.city


@pytest.fixture
def demo_workspace(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Workspace]:
    """A SQLite workspace holding the demo that :func:`build_city` builds (its parameters), as a copy of the
    run's one build of it (tests/support/demos.py); ``build_city`` then finds the demo built and only adds
    its unlocking and indicators."""
    workspace, _ = built_demo(
        tmp_path_factory, tmp_path / "demo", seed=11, n_planning_areas=60, first_year=2023, last_year=2024
    )
    yield workspace
    workspace.close()


@pytest.fixture
def city(workspace: Workspace) -> str:
    return build_city(workspace)


def area_sizes(workspace: Workspace) -> dict[str, int]:
    """Persons per planning area (today's boundaries): 30..300, and three tiny areas of 1, 2 and 3."""
    with workspace.database.reader() as session:
        codes = sorted(
            session.scalars(
                select(Area.code)
                .join(SpatialLevel, SpatialLevel.id == Area.level_id)
                .where(SpatialLevel.code == "planning_area", *areas.valid_at(date.today()))
            )
        )
    rng = np.random.default_rng(3)
    sizes = dict(zip(codes, rng.integers(30, 300, len(codes)).tolist(), strict=True))
    sizes.update({codes[0]: 1, codes[1]: 2, codes[2]: 3})
    return sizes


def write_register(workspace: Workspace, folder: Path) -> Path:
    path = folder / "register.parquet"
    generate_register(area_sizes(workspace), path, seed=5)
    return path


def write_spec(folder: Path, extra: str = EXTRA, *, replace: tuple[str, str] | None = None) -> Path:
    text = EXAMPLE.read_text("utf-8") + extra
    if replace is not None:
        text = text.replace(*replace)
    path = folder / "spec.yaml"
    path.write_text(text, "utf-8")
    return path


def ancestors(workspace: Workspace) -> pd.DataFrame:
    """planning area code -> (level, area code) for itself and every coarser area, from Area.parent_id."""
    with workspace.database.reader() as session:
        rows = session.execute(
            select(Area.id, Area.code, Area.parent_id, SpatialLevel.code).join(
                SpatialLevel, SpatialLevel.id == Area.level_id
            )
        ).all()
    by_id = {r[0]: r for r in rows}
    out = []
    for row in rows:
        if row[3] != "planning_area":
            continue
        node = row
        while node is not None:
            out.append((row[1], node[3], node[1]))
            node = by_id.get(node[2])
    return pd.DataFrame(out, columns=["planning_area", "level", "area"])


def pandas_cells(register: Path, tree: pd.DataFrame) -> pd.DataFrame:
    """The spec's indicators computed with pandas: level, area, indicator, value, numerator, denominator."""
    people = pd.read_parquet(register)
    people["area_code"] = people["area_code"].astype(str)
    people["benefit"] = people["benefit"].astype(str)
    merged = tree.merge(people, left_on="planning_area", right_on="area_code")
    working = merged["age"].between(15, 64)
    flags = {
        "unemployment": (merged["unemployed"] & working, working),
        "long_term_unemployment": (
            merged["unemployed"] & (merged["unemployment_months"] >= 12) & working,
            working,
        ),
        "transfer_benefits": ((merged["benefit"] == "sgb2") & (merged["age"] < 65), merged["age"] < 65),
        "child_poverty": ((merged["benefit"] == "sgb2") & (merged["age"] < 15), merged["age"] < 15),
        "old_age_poverty": (
            (merged["benefit"] == "old_age_support") & (merged["age"] >= 65),
            merged["age"] >= 65,
        ),
        "foreign_nationals": (merged["foreign"], pd.Series(True, index=merged.index)),
        "age_under_18": (merged["age"] < 18, pd.Series(True, index=merged.index)),
        "age_65_plus": (merged["age"] >= 65, pd.Series(True, index=merged.index)),
    }
    keys = ["level", "area"]
    frames = []
    size = merged.groupby(keys).size().rename("value").reset_index()
    frames.append(size.assign(indicator="inhabitants", numerator=np.nan, denominator=np.nan))
    for code, (numerator, denominator) in flags.items():
        counts = (
            pd.DataFrame({"n": numerator.astype(int), "d": denominator.astype(int)})
            .groupby([merged["level"], merged["area"]])
            .sum()
        )
        counts = counts[counts["d"] > 0].reset_index()
        frames.append(
            pd.DataFrame(
                {
                    "level": counts["level"],
                    "area": counts["area"],
                    "indicator": code,
                    "value": 100.0 * counts["n"] / counts["d"],
                    "numerator": counts["n"].astype(float),
                    "denominator": counts["d"].astype(float),
                }
            )
        )
    mean_age = merged.groupby(keys)["age"].agg(["mean", "size"]).reset_index()
    frames.append(
        pd.DataFrame(
            {
                "level": mean_age["level"],
                "area": mean_age["area"],
                "indicator": "mean_age",
                "value": mean_age["mean"],
                "records": mean_age["size"],
            }
        )
    )
    adults = merged[merged["age"] >= 16]
    median = adults.groupby(keys)["income"].agg(["median", "size"]).reset_index()
    frames.append(
        pd.DataFrame(
            {
                "level": median["level"],
                "area": median["area"],
                "indicator": "median_income",
                "value": median["median"],
                "records": median["size"],
            }
        )
    )
    earning = adults[adults["benefit"] != "sgb2"]
    mean = earning.groupby(keys)["income"].agg(["mean", "size"]).reset_index()
    frames.append(
        pd.DataFrame(
            {
                "level": mean["level"],
                "area": mean["area"],
                "indicator": "mean_income",
                "value": mean["mean"],
                "records": mean["size"],
            }
        )
    )
    return pd.concat(frames, ignore_index=True)


def stored(workspace: Workspace, period: str = PERIOD, codes: list[str] | None = None) -> pd.DataFrame:
    """The current observations of ``period`` (of the indicators ``codes``) with level and area code."""
    level = aliased(SpatialLevel)
    query = (
        select(
            level.code,
            Area.code,
            Indicator.code,
            Observation.value,
            Observation.numerator,
            Observation.denominator,
            Observation.suppressed,
            Observation.import_id,
        )
        .join(Area, Area.id == Observation.area_id)
        .join(level, level.id == Area.level_id)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .join(Period, Period.id == Observation.period_id)
        .where(Period.code == period, Observation.is_current)
    )
    if codes is not None:
        query = query.where(Indicator.code.in_(codes))
    with workspace.database.reader() as session:
        rows = session.execute(query).all()
    return pd.DataFrame(
        rows,
        columns=[
            "level",
            "area",
            "indicator",
            "value",
            "numerator",
            "denominator",
            "suppressed",
            "import_id",
        ],
    )


def count_observations(workspace: Workspace) -> int:
    with workspace.database.reader() as session:
        return len(session.scalars(select(Observation.id)).all())
