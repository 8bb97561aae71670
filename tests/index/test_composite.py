"""The general composite index: standardisations, aggregations, class schemes, invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bettercities.analysis import compute_index, compute_index_file, parse_config
from bettercities.analysis.index.schemas import CompositeAreaScore, CompositeConfig, MssAreaScore

STATUS = [
    "s1_percentage_unemployed",
    "s3_percentage_transfer_payments_recipients",
    "s4_percentage_transfer_payments_recipients_below_15_years",
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["001", "002", "003", "004"],
            "pop": [1000, 200, 5000, 800],
            "poverty": [10.0, 50.0, 30.0, 20.0],
            "income": [30.0, 5.0, 10.0, 20.0],
        }
    )


def _config(**options: object) -> CompositeConfig:
    base: dict[str, object] = {
        "method": "composite",
        "name": "test",
        "indicators": [{"column": "poverty"}, {"column": "income", "polarity": "higher_is_better"}],
    }
    return CompositeConfig.model_validate({**base, **options})


def _index(result: object) -> dict[str, float | None]:
    return {a.area_id: a.index for a in result.areas if isinstance(a, CompositeAreaScore)}  # type: ignore[attr-defined]


def test_composite_equals_mss_status_when_configured_alike(mss_2021_input: Path) -> None:
    composite = parse_config(
        {
            "method": "composite",
            "name": "status-as-composite",
            "min_population": 300,
            "exclude": ["10100205"],
            "indicators": [{"column": c} for c in STATUS],
            "standardisation": "z-score",
            "aggregation": "weighted-sum",
            "restandardise": True,
            "classes": {
                "scheme": "fixed",
                "bands": [
                    {"code": "1", "label": "hoch", "below": -1},
                    {"code": "2", "label": "mittel", "up_to": 1},
                    {"code": "3", "label": "niedrig", "up_to": 1.5},
                    {"code": "4", "label": "sehr niedrig"},
                ],
            },
        }
    )
    mine = compute_index_file(
        mss_2021_input, config=composite, id_column="id", population_column="inhabitants"
    )
    mss = compute_index_file(mss_2021_input, config="berlin-mss-2021", id_column="id")
    expected = {a.area_id: (a.status_index, a.status_class) for a in mss.areas if isinstance(a, MssAreaScore)}
    got = {a.area_id: (a.index, a.class_code) for a in mine.areas if isinstance(a, CompositeAreaScore)}
    assert got.keys() == expected.keys()
    for area, (value, code) in expected.items():
        assert got[area][1] == code
        assert got[area][0] == pytest.approx(value, abs=1e-12) if value is not None else got[area][0] is None


def test_min_max_mean_with_polarity_by_hand() -> None:
    result = compute_index(
        _frame(), config=_config(standardisation="min-max", aggregation="mean"), id_column="id"
    )
    # poverty min-max: 0, 1, .5, .25; income reversed (higher is better): 0, 1, .8, .4
    assert _index(result) == pytest.approx({"001": 0.0, "002": 1.0, "003": 0.65, "004": 0.325})


def test_weights_and_rank_geometric_mean_by_hand() -> None:
    config = _config(
        standardisation="rank",
        aggregation="geometric-mean",
        indicators=[{"column": "poverty", "weight": 3}, {"column": "income", "polarity": "higher_is_better"}],
    )
    result = compute_index(_frame(), config=config, id_column="id")
    # ranks poverty: 1, 4, 3, 2; reversed income: 1, 4, 3, 2 -> geometric mean = the rank itself
    assert _index(result) == pytest.approx({"001": 1.0, "002": 4.0, "003": 3.0, "004": 2.0})


def test_minimum_population_and_exclusions_with_notes() -> None:
    config = _config(
        min_population=300, exclude=[{"id": "004", "reason": "excluded by configuration (test)"}]
    )
    result = compute_index(_frame(), config=config, id_column="id", population_column="pop")
    notes = {a.area_id: a.note for a in result.areas}
    assert notes == {
        "001": None,
        "002": "few-inhabitants",  # a code; 200 inhabitants is the area's population
        "003": None,
        "004": "excluded by configuration (test)",
    }
    assert len(result.scored) == 2


@pytest.mark.parametrize("scheme", ["quantiles", "natural-breaks"])
def test_data_driven_class_breaks(mss_2019_input: Path, scheme: str) -> None:
    config = parse_config(
        {
            "method": "composite",
            "name": "q",
            "min_population": 300,
            "indicators": [{"column": c} for c in STATUS],
            "classes": {"scheme": scheme, "k": 5},
        }
    )
    result = compute_index_file(
        mss_2019_input, config=config, id_column="id", population_column="inhabitants"
    )
    counts = [c.count for c in result.class_counts["index"]]
    assert sum(counts) == len(result.scored) == 438  # no exclusion list in this configuration
    assert len(counts) == 5 and len(result.breaks["index"]) == 4
    if scheme == "quantiles":
        assert max(counts) - min(counts) <= 1
    top = [a for a in result.scored if isinstance(a, CompositeAreaScore) and a.class_code == "5"]
    assert all(a.index is not None and a.index > result.breaks["index"][-1] for a in top)


@settings(max_examples=40, deadline=None)
@given(
    scale=st.floats(min_value=0.01, max_value=1e4),
    shift=st.floats(min_value=-1e4, max_value=1e4),
    standardisation=st.sampled_from(["z-score", "min-max", "rank"]),
)
def test_classes_unchanged_by_rescaling_an_indicator(
    scale: float, shift: float, standardisation: str
) -> None:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {"id": [f"{i:03d}" for i in range(40)], "a": rng.normal(size=40), "b": rng.gamma(2, size=40)}
    )
    config = _config(
        indicators=[{"column": "a"}, {"column": "b"}],
        standardisation=standardisation,
        classes={"scheme": "quantiles", "k": 4},
    )
    before = compute_index(frame, config=config, id_column="id")
    rescaled = frame.assign(a=frame["a"] * scale + shift)
    after = compute_index(rescaled, config=config, id_column="id")
    assert [a.class_code for a in before.areas] == [a.class_code for a in after.areas]  # type: ignore[union-attr]


def test_single_index_cli_columns(tmp_path: Path, cli_app: typer.Typer) -> None:
    data = tmp_path / "data.csv"
    _frame().to_csv(data, index=False)
    config = tmp_path / "index.yaml"
    config.write_text(
        "method: composite\nname: t\nmin_population: 300\nindicators:\n  - column: poverty\n"
        "  - {column: income, polarity: higher_is_better}\nclasses: {scheme: quantiles, k: 2}\n",
        "utf-8",
    )
    out = tmp_path / "out.csv"
    outcome = CliRunner().invoke(
        cli_app,
        [
            "index",
            "compute",
            "--config",
            str(config),
            "--data",
            str(data),
            "--id-column",
            "id",
            "--population-column",
            "pop",
            "--out",
            str(out),
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["area_id", "index", "class", "note"]
    assert table["area_id"].tolist() == ["001", "002", "003", "004"]
    assert table.loc[1].tolist() == ["002", "", "", "few-inhabitants"]
