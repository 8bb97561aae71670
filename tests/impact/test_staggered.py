"""Staggered adoption (impact/designs/staggered.py, Callaway & Sant'Anna via diff-diff) cross-checked against
a second, independent implementation written here with pandas alone: without covariates ATT(g, t) is the
2x2 difference-in-differences of cohort g against the comparison units between the base period (g - 1 after
the start, t - 1 before it) and t (Callaway & Sant'Anna 2021, J. Econometrics 225(2), eq. 2.6 and
Remark 1), and the aggregations are the weighted means of their section 3 (R ``did::aggte``).

Data: ``castle`` of the PyPI package causaldata (MIT): U.S. states 2000-2010, castle-doctrine laws adopted
2006-2010 (Cheng & Hoekstra 2013, J. Human Resources 48(3)); outcome log homicides per 100,000.
Cheng & Hoekstra report an 8 % increase from two-way fixed effects; the Callaway & Sant'Anna estimate on
this panel is smaller and not significant (0.019, SE 0.038, never-treated comparison), which the test of
the verdict records. The published two-way fixed effects figure is not a reference for ATT(g, t).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bettercities.cli.impact import app
from bettercities.core.errors import InvalidInput
from bettercities.impact.designs import estimate
from bettercities.impact.schemas import EstimateResult, EstimateSpec, Verdict


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    from causaldata import castle as data

    frame = data.load_pandas().data
    first = frame[frame["post"] > 0].groupby("sid")["year"].min()
    frame["cohort"] = frame["sid"].map(first).fillna(0).astype(int)
    frame["l_homicide"] = frame["l_homicide"].astype("float64")  # stored as float32
    return frame[["sid", "year", "l_homicide", "cohort"]].rename(columns={"sid": "state"})


def _spec(control: str = "never-treated") -> EstimateSpec:
    return EstimateSpec(
        design="staggered-did",
        unit="state",
        time="year",
        outcome="l_homicide",
        cohort="cohort",
        control_group=control,
    )


@pytest.fixture(scope="module", params=["never-treated", "not-yet-treated"])
def result(request: pytest.FixtureRequest, castle: pd.DataFrame) -> EstimateResult:
    return estimate(castle, _spec(request.param))


# -- the second implementation ------------------------------------------------------------------------------


def att_gt_by_hand(frame: pd.DataFrame, control: str) -> pd.DataFrame:
    """ATT(g, t), its standard error and the cohort size n_g, as 2x2 comparisons of means."""
    wide = frame.pivot(index="state", columns="year", values="l_homicide")
    cohort = frame.groupby("state")["cohort"].first()
    rows = []
    for g in sorted(c for c in cohort.unique() if c > 0):
        for t in wide.columns[1:]:
            base = g - 1 if t >= g else t - 1
            change = wide[t] - wide[base]
            treated = change[cohort == g]
            if control == "never-treated":
                comparison = change[cohort == 0]
            else:  # never treated, or not yet treated by t (nor in the base period)
                comparison = change[(cohort == 0) | (cohort > max(t, base))]
                comparison = comparison[cohort[comparison.index] != g]
            att = treated.mean() - comparison.mean()
            # influence-function variance of a difference of two means (population variances)
            se = np.sqrt(treated.var(ddof=0) / len(treated) + comparison.var(ddof=0) / len(comparison))
            rows.append({"group": g, "time": t, "att": att, "se": se, "n": len(treated)})
    return pd.DataFrame(rows)


def aggregations_by_hand(cells: pd.DataFrame) -> dict[str, tuple[float, dict[int, float]]]:
    post = cells[cells["time"] >= cells["group"]].assign(e=lambda d: d["time"] - d["group"])

    def weighted(d: pd.DataFrame) -> float:
        return float(np.average(d["att"], weights=d["n"]))

    group = post.groupby("group")["att"].mean()
    sizes = post.groupby("group")["n"].first()
    dynamic = cells.assign(e=cells["time"] - cells["group"]).groupby("e")[["att", "n"]].apply(weighted)
    calendar = post.groupby("time")[["att", "n"]].apply(weighted)
    return {
        "simple": (weighted(post), {}),
        "group": (float(np.average(group, weights=sizes[group.index])), group.to_dict()),
        "dynamic": (float(dynamic[dynamic.index >= 0].mean()), dynamic.to_dict()),
        "calendar": (float(calendar.mean()), calendar.to_dict()),
    }


# -- tests ---------------------------------------------------------------------------------------------------


def test_group_time_effects_match_the_hand_computation(castle: pd.DataFrame, result: EstimateResult) -> None:
    by_hand = att_gt_by_hand(castle, result.spec.control_group.value).set_index(["group", "time"])
    assert result.group_time is not None
    ours = {(c.group, c.time): c for c in result.group_time}
    assert set(ours) == set(by_hand.index)
    for key, row in by_hand.iterrows():
        assert ours[key].att == pytest.approx(row["att"], abs=1e-10)
        assert ours[key].se == pytest.approx(row["se"], rel=1e-6)
    # cohorts 2006 (1 state), 2007 (13), 2008 (4), 2009 (2), 2010 (1); 29 states never adopted a law
    assert result.diagnostics.n_treated == 21 and result.diagnostics.n_units == 50


def test_aggregations_match_the_hand_computation(castle: pd.DataFrame, result: EstimateResult) -> None:
    by_hand = aggregations_by_hand(att_gt_by_hand(castle, result.spec.control_group.value))
    assert result.aggregations is not None and set(result.aggregations) == {
        "simple",
        "group",
        "dynamic",
        "calendar",
    }
    for kind, (overall, points) in by_hand.items():
        aggregation = result.aggregations[kind]
        assert aggregation.estimate == pytest.approx(overall, abs=1e-10), kind
        assert aggregation.se is not None and aggregation.se > 0
        assert aggregation.ci_low is not None and aggregation.ci_high is not None
        assert aggregation.ci_low < aggregation.estimate < aggregation.ci_high
        ours = {int(p["key"]): p["estimate"] for p in aggregation.points}  # type: ignore[arg-type]
        assert ours == pytest.approx(points, abs=1e-10), kind
    assert result.estimate == result.aggregations["simple"].estimate


def test_headline_verdict_and_evidence(result: EstimateResult) -> None:
    if result.spec.control_group.value == "never-treated":
        # the value of diff-diff 3.13 (= R did::att_gt + aggte(type = "simple") on this panel, whose
        # estimate the hand computation above reproduces)
        assert result.estimate == pytest.approx(0.019403, abs=1e-6)
        assert result.se == pytest.approx(0.038389, abs=1e-5)
    assert result.verdict == Verdict.NO_DETECTABLE_CHANGE
    # the single-state 2010 cohort's early leads differ strongly: parallel pre-trends are rejected -> level 2
    assert result.diagnostics.pre_trend_p is not None and result.diagnostics.pre_trend_p < 0.10
    assert result.evidence_level == 2
    assert [p.event_time for p in result.diagnostics.event_study] == list(range(-9, 5))
    assert result.library.startswith("diff-diff ")


def test_series_without_the_effect(castle: pd.DataFrame, result: EstimateResult) -> None:
    """Observed: the mean of the 21 ever-treated states; before 2006 the counterfactual is the observed."""
    treated = castle[castle["cohort"] > 0]
    assert [p.time for p in result.series] == list(range(2000, 2011))
    for point in result.series:
        assert point.observed == pytest.approx(
            treated.loc[treated["year"] == point.time, "l_homicide"].mean()
        )
        assert point.treated == (point.time >= 2006)
        if point.time < 2006:
            assert point.counterfactual == point.observed
    last = result.series[-1]  # 2010: every cohort started, share 1 -> observed minus the calendar effect
    assert result.aggregations is not None
    calendar = {p["key"]: p["estimate"] for p in result.aggregations["calendar"].points}
    assert last.counterfactual == pytest.approx(last.observed - calendar[2010])
    assert (
        last.ci_low is not None
        and last.ci_high is not None
        and last.ci_low < last.counterfactual < last.ci_high
    )


def test_every_unit_treated_needs_not_yet_treated(castle: pd.DataFrame) -> None:
    treated = castle[castle["cohort"] > 0]
    with pytest.raises(InvalidInput) as raised:
        estimate(treated, _spec())
    assert [p.code for p in raised.value.report.errors] == ["impact-no-untreated"]
    # with the not-yet-treated as comparison the later cohorts serve until they start
    result = estimate(treated, _spec("not-yet-treated"))
    assert result.group_time and all(c.time < 2010 for c in result.group_time if c.time >= c.group)


def test_cli_writes_group_time_and_aggregations(castle: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "castle.csv"
    frame = castle.copy()
    frame["cohort"] = frame["cohort"].where(frame["cohort"] > 0, "")  # empty = never treated
    frame.to_csv(data, index=False)
    out = tmp_path / "RESULT.json"
    outcome = CliRunner().invoke(
        app,
        [
            "estimate",
            "--design",
            "staggered-did",
            "--data",
            str(data),
            "--unit",
            "state",
            "--time",
            "year",
            "--outcome",
            "l_homicide",
            "--cohort",
            "cohort",
            "--out",
            str(out),
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["design"] == "staggered-did"
    assert set(result["aggregations"]) == {"simple", "group", "dynamic", "calendar"}
    assert len(result["group_time"]) == len(att_gt_by_hand(castle, "never-treated"))
    assert result["estimate"] == pytest.approx(0.019403, abs=1e-6)
    assert result["verdict"] == "no_detectable_change" and result["evidence_level"] == 2
