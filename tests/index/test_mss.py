"""Acceptance: the ``berlin-mss`` presets reproduce the published MSS 2019 and 2021 classes exactly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from bettercities.analysis import compute_index_file, result_table
from bettercities.analysis.index.methods.mss import mss_index
from bettercities.analysis.index.schemas import MssAreaScore
from tests.index.conftest import official

COLUMNS = [
    "area_id",
    "status_index",
    "status_class",
    "dynamics_index",
    "dynamics_class",
    "combined_class",
    "note",
]
EDITIONS = [
    # year, input fixture, input rows, scored, unscored
    (2021, "mss_2021_input", 542, 536, 6),
    (2019, "mss_2019_input", 447, 436, 11),
]


def _check_against_official(table: pd.DataFrame, published: pd.DataFrame, rows: int, scored: int) -> None:
    assert list(table.columns) == COLUMNS
    assert len(table) == rows
    assert table["area_id"].str.fullmatch(r"\d{8}").all()  # ids stay text with leading zeros
    done = table[table["note"].isna() | (table["note"] == "")].set_index("area_id")
    assert len(done) == scored
    assert set(done.index) == set(published.index)
    published = published.loc[done.index]
    assert (done["status_class"].astype(str) == published["status_class"]).all()
    assert (done["dynamics_class"] == published["dynamik_index"]).all()
    assert (done["combined_class"] == published["status_dynamik_index"]).all()
    skipped = table[~table["area_id"].isin(done.index)]
    assert len(skipped) == rows - scored
    assert skipped[["status_index", "dynamics_index"]].isna().all().all()
    assert skipped[["status_class", "dynamics_class", "combined_class"]].isna().all().all()
    assert skipped["note"].str.len().gt(0).all()


@pytest.mark.parametrize(("year", "fixture", "rows", "scored", "unscored"), EDITIONS)
def test_library_reproduces_the_published_classes(
    year: int,
    fixture: str,
    rows: int,
    scored: int,
    unscored: int,
    open_data: Path,
    request: pytest.FixtureRequest,
) -> None:
    result = compute_index_file(
        request.getfixturevalue(fixture),
        config=f"berlin-mss-{year}",
        id_column="id",
        population_column="inhabitants",
    )
    _check_against_official(result_table(result), official(open_data, year), rows, scored)
    assert len(result.scored) == scored
    assert result.method == "berlin-mss"
    assert result.config["name"] == f"berlin-mss-{year}"  # the configuration travels with the result
    assert result.input.sha256 and result.input.population_column == "inhabitants"
    assert result.report.ok


@pytest.mark.parametrize(("year", "fixture", "rows", "scored", "unscored"), EDITIONS)
def test_cli_reproduces_the_published_classes(
    year: int,
    fixture: str,
    rows: int,
    scored: int,
    unscored: int,
    open_data: Path,
    tmp_path: Path,
    cli_app: typer.Typer,
    request: pytest.FixtureRequest,
) -> None:
    out = tmp_path / "out.csv"
    outcome = CliRunner().invoke(
        cli_app,
        [
            "index",
            "compute",
            "--config",
            f"berlin-mss-{year}",
            "--data",
            str(request.getfixturevalue(fixture)),
            "--id-column",
            "id",
            "--population-column",
            "inhabitants",
            "--out",
            str(out),
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert f"{scored} areas scored, {unscored} not scored" in outcome.output
    table = pd.read_csv(out, dtype={"area_id": str, "status_class": str})
    _check_against_official(table, official(open_data, year), rows, scored)


def test_2021_unscored_areas_say_why(mss_2021_input: Path) -> None:
    result = compute_index_file(mss_2021_input, config="berlin-mss-2021", id_column="id")
    notes = {a.area_id: (a.note, a.population) for a in result.areas if not a.scored}
    few = "few-inhabitants"  # a code (UnscoredReason): the pages say "fewer than 300 inhabitants (38)"
    assert notes == {
        "03300515": (few, 38),
        "03400831": (few, 0),
        "04400725": (few, 110),
        "05300838": (few, 21),
        "06200418": (few, 0),
        "10100205": (
            "excluded by configuration (special area Gewerbegebiet Bitterfelder Straße, "
            "not scored officially)",
            notes["10100205"][1],
        ),
    }


def test_2019_exclusion_list_and_population_minimum(mss_2019_input: Path) -> None:
    result = compute_index_file(mss_2019_input, config="berlin-mss-2019", id_column="id")
    notes = {a.area_id: a.note or "" for a in result.areas if not a.scored}
    assert notes["01011102"] == "few-inhabitants"
    assert next(a.population for a in result.areas if a.area_id == "01011102") == 196
    assert notes["10010203"].startswith("excluded by configuration")
    assert notes["04041239"].startswith("excluded by configuration")
    assert sum(n == "few-inhabitants" for n in notes.values()) == 9


def test_published_counts_and_combined_labels(mss_2019_input: Path, open_data: Path) -> None:
    result = compute_index_file(mss_2019_input, config="berlin-mss-2019", id_column="id")
    published = official(open_data, 2019)
    counts = {c.code: c.count for c in result.class_counts["status"]}
    assert counts == published["status_class"].value_counts().to_dict()
    area = next(a for a in result.areas if a.area_id == "01011101")
    assert isinstance(area, MssAreaScore)
    assert area.combined_label == "Status mittel, Dynamik stabil"
    assert area.population == 3384


def test_index_is_standardised_over_scored_areas(mss_2021_input: Path) -> None:
    result = compute_index_file(mss_2021_input, config="berlin-mss-2021", id_column="id")
    values = pd.Series([a.status_index for a in result.scored if isinstance(a, MssAreaScore)], dtype=float)
    assert values.mean() == pytest.approx(0, abs=1e-12)
    assert values.std(ddof=0) == pytest.approx(1, abs=1e-12)


def test_mss_index_by_hand() -> None:
    # z(a) = [-1.2247, 0, 1.2247]; z(b) = [-0.7071, -0.7071, 1.4142]; the sum restandardised.
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 2.0, 5.0]}, index=["x", "y", "z"])
    index, z = mss_index(frame, ["a", "b"])
    total = pd.Series([-1.93185, -0.70711, 2.63896])
    expected = (total - total.mean()) / total.std(ddof=0)
    assert index.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-4)
    assert z["b"].to_numpy() == pytest.approx([-0.70711, -0.70711, 1.41421], abs=1e-5)
