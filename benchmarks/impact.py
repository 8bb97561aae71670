"""Impact designs at scale: a synthetic control with 500 donor areas and 20 pre-periods, and staggered
difference-in-differences on 5,000 areas x 15 periods, each against the same estimation in the underlying
library's default settings.

    .venv/bin/python benchmarks/impact.py
    .venv/bin/python benchmarks/impact.py --donors 200 --areas 1000 --repeat 3

* **Synthetic control** (``bettercities.impact.designs.estimate``, design ``synthetic-control``): one
  treated area and ``--donors`` donors from a seeded three-factor model, ``--pre`` periods before the start
  and 5 after; the design's default predictors (every pre-period outcome, equal V). Baseline: ``pysyncon``'s
  ``Synth().fit(X0, X1, Z0, Z1, custom_V=…)`` on the same matrices with its default inner solver (SLSQP
  without a gradient, SciPy's default tolerance). Timed without placebos (``placebos=False``: the one fit
  the library call does), and once with the placebo-in-space test (one fit per donor), whose library
  counterpart is estimated as donors + 1 times its single fit (running it would take the better part of an
  hour at 500 donors). pysyncon's full default -- a nested Nelder-Mead search over V with one inner solve
  per step -- is not timed: on 20 predictors and 500 donors it does not finish in a benchmark's time.
* **Staggered DiD** (design ``staggered-did``): ``--areas`` areas x ``--periods`` periods, 4 cohorts
  adopting in periods 6, 8, 10, 12 and a quarter never treated, seeded. Ours: validation, ATT(g,t), the
  four aggregations (simple, group, dynamic, calendar with their standard errors), the pre-trend test and
  the series. Baseline: ``diff_diff.CallawaySantAnna()`` with its defaults, ``fit`` and the library's own
  aggregations ``group`` and ``event_study`` (it has no calendar aggregation).

Each timing is the best of ``--repeat`` rounds, ours and the library's alternately, so that on a shared
machine both see the same load; the ratio (ours / library) is printed. ``run()`` returns the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

DONORS, PRE, POST = 500, 20, 5
AREAS, PERIODS = 5_000, 15


def paired(ours: Callable[[], Any], library: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """Best times of ``repeat`` alternating rounds of ``ours()`` and ``library()`` and the per-round
    ratios."""
    a, b = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ours()
        middle = time.perf_counter()
        library()
        b.append(time.perf_counter() - middle)
        a.append(middle - start)
    ratios = sorted(x / y for x, y in zip(a, b, strict=True))
    return {"ours_s": min(a), "library_s": min(b), "ratio": min(a) / min(b), "paired_ratios": ratios}


def synthetic_panel(donors: int = DONORS, pre: int = PRE, post: int = POST) -> pd.DataFrame:
    """One treated area (``T``) and ``donors`` donors: three common factors with area loadings plus noise;
    the treated area's loadings are a mix of five donors', and it drops by 2 from the start."""
    rng = np.random.default_rng(500)
    periods = pre + post
    factors = np.cumsum(rng.normal(0, 1, (periods, 3)), axis=0)
    loadings = rng.gamma(2.0, 1.0, (donors, 3))
    y = 50 + factors @ loadings.T + rng.normal(0, 0.5, (periods, donors))
    mix = rng.dirichlet(np.ones(5))
    treated = 50 + factors @ (mix @ loadings[:5]) + rng.normal(0, 0.5, periods)
    treated[pre:] -= 2.0
    table = pd.DataFrame(y, columns=[f"d{j:03d}" for j in range(donors)])
    table["T"] = treated
    table["t"] = np.arange(1, periods + 1)
    return table.melt(id_vars="t", var_name="area", value_name="y")


def synthetic(donors: int = DONORS, pre: int = PRE, repeat: int = 3) -> dict[str, Any]:
    from pysyncon import Synth

    from bettercities.impact.designs import estimate
    from bettercities.impact.schemas import EstimateSpec

    frame = synthetic_panel(donors, pre)
    start = pre + 1
    spec = EstimateSpec(
        design="synthetic-control",
        unit="area",
        time="t",
        outcome="y",
        treated_unit="T",
        treatment_start=start,
        placebos=False,
    )
    wide = frame.pivot(index="t", columns="area", values="y")
    names = [c for c in wide.columns if c != "T"]
    z = wide.loc[wide.index < start]
    X = z.set_axis([f"y{t}" for t in z.index], axis=0)
    x0, x1, z0, z1 = X[names], X["T"], z[names], z["T"]

    def library() -> Any:
        synth = Synth()
        synth.fit(X0=x0, X1=x1, Z0=z0, Z1=z1, custom_V=np.ones(len(X)))
        return synth

    result: dict[str, Any] = {}
    figures = paired(lambda: result.setdefault("fit", estimate(frame, spec)), library, repeat)
    ours = result["fit"]
    lib = library()
    gap = wide["T"].to_numpy() - wide[names].to_numpy() @ np.asarray(lib.W)
    lib_effect = float(np.mean(gap[wide.index >= start]))
    lib_pre = float(np.sqrt(np.mean(gap[wide.index < start] ** 2)))
    start_p = time.perf_counter()
    with_placebos = estimate(frame, spec.model_copy(update={"placebos": True}))
    placebo_s = time.perf_counter() - start_p
    return {
        "donors": donors,
        "pre_periods": pre,
        **{f"fit_{k}": v for k, v in figures.items()},
        "estimate": ours.estimate,
        "library_estimate": lib_effect,
        "pre_rmspe": ours.diagnostics.pre_rmspe,
        "library_pre_rmspe": lib_pre,
        "with_placebos_s": placebo_s,
        "library_with_placebos_estimated_s": figures["library_s"] * (donors + 1),
        "placebo_p": with_placebos.p_value,
    }


def staggered_panel(areas: int = AREAS, periods: int = PERIODS) -> pd.DataFrame:
    """``areas`` areas x ``periods`` periods; cohorts 6, 8, 10, 12 and never (0), effect 1 + 0.2 per period
    since the start, area and period effects plus noise."""
    rng = np.random.default_rng(5000)
    cohort = rng.choice([0, 6, 8, 10, 12], size=areas, p=[0.25, 0.2, 0.2, 0.2, 0.15])
    t = np.arange(1, periods + 1)
    area_effect = rng.normal(0, 2, areas)
    period_effect = rng.normal(0, 1, periods)
    since = t[None, :] - cohort[:, None]
    effect = np.where((cohort[:, None] > 0) & (since >= 0), 1 + 0.2 * since, 0.0)
    y = 10 + area_effect[:, None] + period_effect[None, :] + effect + rng.normal(0, 1, (areas, periods))
    return pd.DataFrame(
        {
            "area": np.repeat([f"a{i:05d}" for i in range(areas)], periods),
            "t": np.tile(t, areas),
            "y": y.ravel(),
            "cohort": np.repeat(cohort, periods),
        }
    )


def staggered(areas: int = AREAS, periods: int = PERIODS, repeat: int = 3) -> dict[str, Any]:
    from diff_diff import CallawaySantAnna

    from bettercities.impact.designs import estimate
    from bettercities.impact.schemas import EstimateSpec

    frame = staggered_panel(areas, periods)
    spec = EstimateSpec(design="staggered-did", unit="area", time="t", outcome="y", cohort="cohort")

    def library() -> Any:
        fit = CallawaySantAnna().fit(frame, outcome="y", unit="area", time="t", first_treat="cohort")
        return fit, fit.aggregate("group"), fit.aggregate("event_study")

    result: dict[str, Any] = {}
    figures = paired(lambda: result.setdefault("fit", estimate(frame, spec)), library, repeat)
    fit, _, _ = library()
    ours = result["fit"]
    assert abs(ours.estimate - fit.overall_att) < 1e-9
    return {
        "areas": areas,
        "periods": periods,
        **figures,
        "estimate": ours.estimate,
        "library_estimate": float(fit.overall_att),
        "group_time_effects": len(ours.group_time or []),
    }


def run(
    donors: int = DONORS, pre: int = PRE, areas: int = AREAS, periods: int = PERIODS, repeat: int = 3
) -> dict[str, Any]:
    """Both benchmarks; prints the figures and returns them."""
    # the first call of each pays the imports (pysyncon pulls in matplotlib); not part of the comparison
    synthetic(20, 5, 1)
    staggered(200, 15, 1)
    sc = synthetic(donors, pre, repeat)
    print(
        f"synthetic control, {sc['donors']} donors x {sc['pre_periods']} pre-periods (one fit): ours "
        f"{sc['fit_ours_s']:.2f} s, pysyncon Synth.fit (default solver, same V) {sc['fit_library_s']:.2f} s "
        f"-> {sc['fit_ratio']:.3g}x (per round {sc['fit_paired_ratios'][0]:.3g}-"
        f"{sc['fit_paired_ratios'][-1]:.3g}x); effect {sc['estimate']:.3f} vs {sc['library_estimate']:.3f}, "
        f"pre-RMSPE {sc['pre_rmspe']:.4f} vs {sc['library_pre_rmspe']:.4f}"
    )
    print(
        f"  with {sc['donors']} placebos: ours {sc['with_placebos_s']:.1f} s; pysyncon's solver "
        f"~{sc['library_with_placebos_estimated_s']:.0f} s (estimated: {sc['donors'] + 1} x its one fit); "
        f"placebo p {sc['placebo_p']:.3f}"
    )
    st = staggered(areas, periods, repeat)
    print(
        f"staggered DiD, {st['areas']:,} areas x {st['periods']} periods "
        f"({st['group_time_effects']} ATT(g,t)): "
        f"ours {st['ours_s']:.2f} s (validation, ATT(g,t), simple/group/dynamic/calendar, pre-trend test), "
        f"diff-diff CallawaySantAnna defaults + group + event study {st['library_s']:.2f} s "
        f"-> {st['ratio']:.2f}x (per round {st['paired_ratios'][0]:.2f}-{st['paired_ratios'][-1]:.2f}x, "
        f"median {statistics.median(st['paired_ratios']):.2f}x); ATT {st['estimate']:.4f} "
        "(the library's too)"
    )
    return {"synthetic_control": sc, "staggered_did": st}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--donors", type=int, default=DONORS)
    parser.add_argument("--pre", type=int, default=PRE, help="pre-periods of the synthetic control")
    parser.add_argument("--areas", type=int, default=AREAS)
    parser.add_argument("--periods", type=int, default=PERIODS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    figures = run(args.donors, args.pre, args.areas, args.periods, args.repeat)
    if args.json:
        print(json.dumps(figures, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
