"""``bettercities impact estimate`` for did, twfe and its: RESULT.json, and bad input refused with the
problems (file, row, column) and exit code 2, nothing written (E2 tests staggered-did and synthetic-control
through the same command)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bettercities.cli.impact import app

RESULT_FIELDS = {"design", "estimate", "se", "ci_low", "ci_high", "verdict", "evidence_level", "diagnostics"}


@pytest.fixture(scope="module")
def organ_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """causaldata's organ_donations (MIT) as a semicolon CSV with decimal commas (as German cities write)."""
    from causaldata import organ_donations

    frame = organ_donations.load_pandas().data
    frame["Treated"] = ((frame["State"] == "California") & (frame["Quarter_Num"] > 3)).astype(int)
    path = tmp_path_factory.mktemp("cli") / "organ.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    return path


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


@pytest.mark.parametrize("design", ["did", "twfe"])
def test_did_and_twfe(organ_csv: Path, tmp_path: Path, design: str) -> None:
    out = tmp_path / "RESULT.json"
    code, output = _run(
        ["estimate", "--design", design, "--data", str(organ_csv), "--unit", "State", "--time", "Quarter_Num",
         "--outcome", "Rate", "--treatment", "Treated", "--polarity", "higher_is_better", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result.keys() >= RESULT_FIELDS
    assert round(result["estimate"], 4) == -0.0225  # The Effect, ch. 18
    assert result["verdict"] == "worse" and result["evidence_level"] == 2
    assert result["diagnostics"]["n_units"] == 27 and result["diagnostics"]["event_study"]
    assert "worse" in output and "evidence 2/5" in output


def test_its_with_treated_unit_and_seasonality(tmp_path: Path) -> None:
    t = np.arange(1, 37)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "area": "north",
            "month": t,
            "calls": 50 - 0.2 * t - 6 * (t >= 25) + 2 * np.sin(t) + rng.normal(0, 1, 36),
        }
    )
    other = frame.assign(area="south")
    data = tmp_path / "calls.csv"
    pd.concat([frame, other]).to_csv(data, index=False)
    out = tmp_path / "its.json"
    code, output = _run(
        ["estimate", "--design", "its", "--data", str(data), "--unit", "area", "--time", "month",
         "--outcome", "calls", "--treated-unit", "north", "--treatment-start", "25", "--seasonality", "12",
         "--polarity", "higher_is_worse", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["design"] == "its" and result["verdict"] == "better"
    assert result["diagnostics"]["has_comparison"] is False and len(result["series"]) == 36
    assert result["diagnostics"]["terms"][0]["name"] == "level change at the start"


def test_invalid_panel_is_refused_with_its_problems(tmp_path: Path) -> None:
    data = tmp_path / "dup.csv"
    data.write_text("unit,t,y,d\na,1,1,0\na,2,2,1\nb,1,1,0\nb,2,x,0\na,2,5,1\n", encoding="utf-8")
    out = tmp_path / "RESULT.json"
    code, output = _run(
        ["estimate", "--design", "did", "--data", str(data), "--unit", "unit", "--time", "t",
         "--outcome", "y", "--treatment", "d", "--out", str(out)]
    )  # fmt: skip
    assert code == 2
    assert "dup.csv, row 5, column 'y': impact-not-numeric" in output
    assert "Traceback" not in output and not out.exists()


def test_no_untreated_units_and_bad_options(tmp_path: Path) -> None:
    data = tmp_path / "all.csv"
    data.write_text("unit,t,y,d\na,1,1,0\na,2,2,1\nb,1,1,0\nb,2,3,1\n", encoding="utf-8")
    out = tmp_path / "RESULT.json"
    base = [
        "estimate",
        "--data",
        str(data),
        "--unit",
        "unit",
        "--time",
        "t",
        "--outcome",
        "y",
        "--out",
        str(out),
    ]
    code, output = _run([*base, "--design", "twfe", "--treatment", "d"])
    assert code == 2 and "impact-no-untreated" in output
    code, output = _run([*base, "--design", "regression", "--treatment", "d"])
    assert code == 2 and "impact-invalid-spec" in output and "design" in output
    code, output = _run([*base, "--design", "did", "--treatment", "d", "--data", str(tmp_path / "none.csv")])
    assert code == 2 and "unreadable-file" in output
    assert not out.exists()


def test_registered_under_the_bettercities_command(organ_csv: Path, tmp_path: Path) -> None:
    from bettercities.cli.main import app as root

    out = tmp_path / "RESULT.json"
    result = CliRunner().invoke(
        root,
        ["impact", "estimate", "--design", "twfe", "--data", str(organ_csv), "--unit", "State", "--time",
         "Quarter_Num", "--outcome", "Rate", "--treated-unit", "California", "--treatment-start", "4",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["verdict"] == "decrease"  # no polarity given
