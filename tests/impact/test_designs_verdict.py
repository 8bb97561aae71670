"""The verdict (impact/verdict.py), the evidence label (impact/evidence.py) and the design registry
(impact/designs/__init__.py): the rules of docs/impact.md, case by case."""

from __future__ import annotations

import pandas as pd
import pytest

from bettercities.core.errors import InvalidInput
from bettercities.impact import designs
from bettercities.impact.evidence import good_fit, label
from bettercities.impact.schemas import Design, Diagnostics, EstimateSpec, Verdict
from bettercities.impact.verdict import verdict
from bettercities.indicators.schemas import Polarity

UP, DOWN, ZERO = (1.0, 0.5, 1.5), (-1.0, -1.5, -0.5), (0.3, -0.2, 0.8)


@pytest.mark.parametrize(
    ("interval", "polarity", "expected"),
    [
        (UP, Polarity.HIGHER_IS_BETTER, Verdict.BETTER),
        (DOWN, Polarity.HIGHER_IS_BETTER, Verdict.WORSE),
        (UP, Polarity.HIGHER_IS_WORSE, Verdict.WORSE),
        (DOWN, Polarity.HIGHER_IS_WORSE, Verdict.BETTER),
        (UP, Polarity.NEUTRAL, Verdict.INCREASE),
        (DOWN, None, Verdict.DECREASE),
        (ZERO, Polarity.HIGHER_IS_BETTER, Verdict.NO_DETECTABLE_CHANGE),
        ((1.0, 0.0, 2.0), Polarity.HIGHER_IS_BETTER, Verdict.NO_DETECTABLE_CHANGE),  # zero on the edge
        ((1.0, None, None), Polarity.HIGHER_IS_BETTER, Verdict.NO_DETECTABLE_CHANGE),  # no interval
        ((1.0, float("nan"), 2.0), None, Verdict.NO_DETECTABLE_CHANGE),
    ],
)
def test_verdict(interval: tuple[float, float | None, float | None], polarity: Polarity | None,
                 expected: Verdict) -> None:  # fmt: skip
    assert verdict(*interval, polarity) == expected


def test_a_p_value_at_or_above_alpha_is_no_detectable_change() -> None:
    """A placebo interval that excludes zero does not outvote a permutation p-value that cannot reject."""
    assert verdict(*DOWN, Polarity.HIGHER_IS_BETTER, p_value=0.44) == Verdict.NO_DETECTABLE_CHANGE
    assert verdict(*DOWN, Polarity.HIGHER_IS_BETTER, p_value=0.05, alpha=0.05) == Verdict.NO_DETECTABLE_CHANGE
    assert verdict(*DOWN, Polarity.HIGHER_IS_BETTER, p_value=0.049) == Verdict.WORSE
    assert verdict(*DOWN, Polarity.HIGHER_IS_BETTER, p_value=0.09, alpha=0.10) == Verdict.WORSE


def _diag(**fields: object) -> Diagnostics:
    base: dict[str, object] = {"n_units": 20, "n_periods": 10, "n_treated": 5, "n_pre_periods": 5,
                               "n_post_periods": 5}  # fmt: skip
    base.update(fields)
    return Diagnostics.model_validate(base)


@pytest.mark.parametrize(
    ("design", "fields", "level"),
    [
        (Design.TWFE, {"pre_trend_p": 0.10}, 3),
        (Design.DID, {"pre_trend_p": 0.099}, 2),
        (Design.STAGGERED_DID, {"pre_trend_p": None}, 2),
        (Design.SYNTHETIC_CONTROL, {"pre_rmspe": 0.4, "pre_outcome_sd": 1.0, "placebo_p": 0.05}, 3),
        (Design.SYNTHETIC_CONTROL, {"pre_rmspe": 0.6, "pre_outcome_sd": 1.0, "placebo_p": 0.05}, 2),
        (Design.SYNTHETIC_CONTROL, {"pre_rmspe": 0.1, "pre_outcome_sd": 1.0, "placebo_p": None}, 2),
        (Design.ITS, {"has_comparison": False, "n_units": 1, "n_treated": 1, "n_pre_periods": 8}, 2),
        (Design.ITS, {"has_comparison": False, "n_units": 1, "n_treated": 1, "n_pre_periods": 7}, 1),
    ],
)
def test_evidence_levels(design: Design, fields: dict[str, object], level: int) -> None:
    got, reason = label(design, _diag(**fields))
    assert got == level
    assert "Levels 4 and 5 need" in reason and not reason.startswith("Level ")


def test_regression_to_the_mean_lowers_by_one_but_not_below_one() -> None:
    assert label(Design.TWFE, _diag(pre_trend_p=0.5), selected_on_outcome=True)[0] == 2
    its = _diag(has_comparison=False, n_units=1, n_treated=1, n_pre_periods=3)
    level, reason = label(Design.ITS, its, selected_on_outcome=True)
    assert level == 1 and "regression to the mean" not in reason  # nothing left to lower


def test_good_fit_without_spread() -> None:
    assert good_fit(0.0, 0.0) and not good_fit(0.1, 0.0) and not good_fit(None, 1.0)


def test_a_missing_library_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    lazy = designs.lazy("no_such_design_module_xyz", install="pip install something")
    # a missing *project* module is a bug and is raised as it is
    with pytest.raises(ModuleNotFoundError):
        lazy(pd.DataFrame(), EstimateSpec(design="did", unit="u", time="t", outcome="y"))

    def missing(name: str) -> object:
        raise ModuleNotFoundError("No module named 'pysyncon'", name="pysyncon")

    monkeypatch.setattr(designs, "import_module", missing)
    with pytest.raises(InvalidInput) as refused:
        designs.lazy("synthetic", install="pip install pysyncon")(
            pd.DataFrame(), EstimateSpec(design="synthetic-control", unit="u", time="t", outcome="y")
        )
    assert refused.value.report is not None
    (problem,) = refused.value.report.problems
    assert problem.code == "impact-design-unavailable" and "pip install pysyncon" in problem.message


def test_an_unregistered_design_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(designs, "DESIGNS", {})
    with pytest.raises(InvalidInput) as refused:
        designs.estimate(pd.DataFrame(), EstimateSpec(design="did", unit="u", time="t", outcome="y"), "p.csv")
    assert refused.value.report is not None
    assert refused.value.report.problems[0].code == "impact-design-unavailable"


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_design_text_is_in_the_catalogue(language: str) -> None:
    """Reports translate the designs' fixed texts (method, assumptions, warnings, notes, terms, reasons). The
    catalogue is read with babel directly: importing bettercities.web builds the whole app (seconds)."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    import bettercities

    path = Path(bettercities.__file__).parent / "web" / "locale" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle, locale=language) if m.id}
    texts = designs.messages()
    assert len(texts) > 40
    assert [t for t in texts if not catalogue.get(t)] == []
    if language == "de":
        assert [t for t in texts if catalogue[t] == t] == []
