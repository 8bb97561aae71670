"""Expected data and configuration problems are reported with file, row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from bettercities.analysis import compute_index, compute_index_file, load_config, parse_config, preset_names
from bettercities.core.errors import InvalidInput, NotFound


def _codes(error: InvalidInput) -> list[tuple[str, int | None, str | None]]:
    assert error.report is not None
    return [(p.code, p.row, p.column) for p in error.report.problems]


def test_presets_are_shipped_and_valid() -> None:
    assert {"berlin-mss-2019", "berlin-mss-2021"} <= set(preset_names())
    for name in preset_names():
        assert load_config(name).name == name


def test_non_numeric_and_empty_cells_are_reported(mss_2019_input: Path, tmp_path: Path) -> None:
    table = pd.read_csv(mss_2019_input, dtype=str, keep_default_na=False)
    table.loc[0, "s1_percentage_unemployed"] = "n/a"
    table.loc[2, "d3_percentage_transfer_payments_recipients"] = ""
    table.loc[1, "s1_percentage_unemployed"] = "x"  # 196 inhabitants: not scored, so not checked
    path = tmp_path / "bad.csv"
    table.to_csv(path, index=False)
    with pytest.raises(InvalidInput) as caught:
        compute_index_file(path, config="berlin-mss-2019", id_column="id")
    assert _codes(caught.value) == [
        ("type-error", 2, "s1_percentage_unemployed"),
        ("missing-value", 4, "d3_percentage_transfer_payments_recipients"),
    ]
    assert caught.value.report is not None and caught.value.report.problems[0].file == str(path)


def test_missing_columns_duplicate_and_empty_ids() -> None:
    frame = pd.DataFrame({"id": ["1", "1", ""], "poverty": ["1", "2", "3"]})
    config = parse_config({"method": "composite", "name": "t", "indicators": [{"column": "poverty"}]})
    with pytest.raises(InvalidInput) as caught:
        compute_index(frame, config=config, id_column="area")
    assert _codes(caught.value) == [("missing-column", None, "area")]
    with pytest.raises(InvalidInput) as caught:
        compute_index(frame, config=config, id_column="id")
    assert _codes(caught.value) == [("missing-id", 4, "id"), ("duplicate-key", 3, "id")]


def test_population_needed_when_a_minimum_is_set() -> None:
    frame = pd.DataFrame({"id": ["1", "2"], "poverty": [1.0, 2.0]})
    config = parse_config(
        {"method": "composite", "name": "t", "min_population": 300, "indicators": [{"column": "poverty"}]}
    )
    with pytest.raises(InvalidInput) as caught:
        compute_index(frame, config=config, id_column="id")
    assert _codes(caught.value) == [("missing-population", None, None)]


def test_invalid_configurations_name_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_config({"method": "nope", "name": "x"})
    assert _codes(caught.value) == [("unknown-method", None, "method")]
    with pytest.raises(InvalidInput) as caught:
        parse_config(
            {
                "method": "composite",
                "name": "x",
                "indicators": [{"column": "a"}],
                "aggregation": "geometric-mean",
            }
        )
    assert "positive" in caught.value.report.problems[0].message  # type: ignore[union-attr]
    with pytest.raises(InvalidInput) as caught:
        parse_config(
            {
                "method": "berlin-mss",
                "name": "x",
                "status": {
                    "indicators": ["a"],
                    "classes": [
                        {"code": "1", "label": "a", "up_to": 1},
                        {"code": "2", "label": "b", "below": 0},
                        {"code": "3", "label": "c"},
                    ],
                },
                "dynamics": {"indicators": ["b"], "classes": [{"code": "+", "label": "p"}]},
                "colour": "red",
            }
        )
    messages = {p.column: p.message for p in caught.value.report.problems}  # type: ignore[union-attr]
    assert "increase" in messages["status"]
    assert "colour" in messages


def test_cli_reports_problems_and_unknown_presets(tmp_path: Path, cli_app: typer.Typer) -> None:
    data = tmp_path / "d.csv"
    data.write_text("id,inhabitants,poverty\n01,500,abc\n02,400,3\n", "utf-8")
    config = tmp_path / "c.yaml"
    config.write_text("method: composite\nname: t\nindicators: [{column: poverty}]\n", "utf-8")
    args = ["index", "compute", "--data", str(data), "--id-column", "id", "--out", str(tmp_path / "o.csv")]
    outcome = CliRunner().invoke(cli_app, [*args, "--config", str(config)])
    assert outcome.exit_code == 2
    assert "row 2" in outcome.output and "'poverty'" in outcome.output and "type-error" in outcome.output
    unknown = CliRunner().invoke(cli_app, [*args, "--config", "berlin-mss-1999"])
    assert unknown.exit_code == 1 and "berlin-mss-2021" in unknown.output


def test_unknown_preset_is_not_found() -> None:
    with pytest.raises(NotFound):
        load_config("no-such-preset")
