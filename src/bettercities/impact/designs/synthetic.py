"""Synthetic control (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010), computed by
``pysyncon`` (MIT).

The treated unit's outcome without the measure is estimated by a weighted mean of untreated donor units,

.. math::

    \\hat Y_{1t}(0) = \\sum_j w_j Y_{jt}, \\qquad w_j \\ge 0,\\ \\sum_j w_j = 1,

with the weights :math:`W` minimising :math:`(X_1 - X_0 W)' V (X_1 - X_0 W)` over the predictors
:math:`X` (each row scaled by its standard deviation across units, as R ``Synth``):

- by default the predictors are the treated unit's and the donors' outcomes in every period before the
  start, with equal :math:`V`: the weights then fit the pre-period path directly (no search over
  :math:`V` is needed when all pre-period outcomes are predictors; Kaul et al. 2022);
- with covariates, the predictors are the pre-period mean of the outcome and of each covariate, and
  :math:`V` is chosen (``pysyncon``'s nested optimisation, its defaults: Nelder-Mead from equal weights)
  to minimise the pre-period mean squared prediction error of the outcome.

The weights for a given :math:`V` are solved exactly by non-negative least squares instead of pysyncon's
SLSQP (see :func:`_synth`): 25x faster on 100 donors and on the optimum where SLSQP stopped short, which is
what makes a placebo run per donor affordable.

The estimate is the mean gap :math:`Y_{1t} - \\hat Y_{1t}(0)` over the periods from the start. Inference is
by placebos in space (Abadie et al. 2010, section 2.4): every donor in turn is treated as if it had the
measure, with the other donors (never the treated unit) as its pool. The p-value is the rank of the treated
unit's ratio of post- to pre-period root mean squared prediction error (RMSPE) among all units,
:math:`p = (1 + \\#\\{j: r_j \\ge r_1\\}) / (1 + J)`; the interval is the estimate minus the
:math:`\\alpha/2` and :math:`1-\\alpha/2` quantiles of the placebo effects (their spread when nothing
happened), and the standard error is the placebo effects' standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.impact.schemas import DesignOutput, Diagnostics, PlaceboResult, SeriesPoint

if TYPE_CHECKING:
    import pandas as pd

    from bettercities.impact.schemas import EstimateSpec

__all__ = [
    "ASSUMPTIONS",
    "DROPPED_WARNING",
    "FEW_PLACEBOS_NOTE",
    "METHOD",
    "NO_PLACEBO_WARNING",
    "Fit",
    "fit_weights",
    "run",
]

ASSUMPTIONS = [
    "A weighted mix of the donor areas follows the path the treated area would have taken without the "
    "measure, after the start as it did before.",
    "No donor area was affected by the measure or by a similar one of its own.",
    "No other event struck only the treated area (or only some donors) at the same time.",
]


METHOD = (
    "Synthetic control: the treated area is compared with a weighted mix of untreated areas whose weights "
    "make the mix follow the treated area as closely as possible before the start; the effect is the mean "
    "gap from the start on. Significance from placebo runs in which each donor area is treated as if it "
    "had had the measure."
)

FEW_PLACEBOS_NOTE = (
    "There are too few donor areas for the placebo test to reach the chosen significance level: even the "
    "most extreme result would not be significant."
)
DROPPED_WARNING = "Donor areas that lack some periods were left out (they have no weight)."
NO_PLACEBO_WARNING = "No placebo test was run, so the estimate has no interval."


def library() -> str:
    from importlib.metadata import version

    return f"pysyncon {version('pysyncon')}"


@dataclass(frozen=True)
class Fit:
    """Weights of one synthetic control and its gaps (treated minus synthetic) per period."""

    weights: dict[str, float]
    synthetic: np.ndarray
    gaps: np.ndarray
    pre_rmspe: float
    post_rmspe: float
    effect: float

    @property
    def ratio(self) -> float:
        return self.post_rmspe / self.pre_rmspe if self.pre_rmspe > 0 else float("inf")


def fit_weights(
    outcome: pd.DataFrame,
    covariates: dict[str, pd.DataFrame],
    treated: str,
    donors: list[str],
    pre: np.ndarray,
) -> Fit:
    """The synthetic control of ``treated`` from ``donors``.

    ``outcome`` (and each covariate) is a period x unit table; ``pre`` marks its rows before the start.
    """
    import pandas as pd

    z = outcome.loc[pre]
    Z0, Z1 = z[donors], z[treated]
    if covariates:
        rows = {"outcome (pre-period mean)": z.mean()}
        for name, table in covariates.items():
            rows[f"{name} (pre-period mean)"] = table.loc[pre].mean()
        X = pd.DataFrame(rows).T
    else:
        X = z.set_axis([f"outcome {t}" for t in z.index], axis=0)
    X = X[[*donors, treated]]
    spread = X.std(axis=1)
    X = X[spread > 0]  # a predictor equal for every unit carries no information (and cannot be scaled)
    synth = _synth()
    if X.empty:
        w = np.full(len(donors), 1 / len(donors))
    else:
        X0, X1 = X[donors], X[treated]
        if covariates:
            synth.fit(X0=X0, X1=X1, Z0=Z0, Z1=Z1)
        else:
            synth.fit(X0=X0, X1=X1, Z0=Z0, Z1=Z1, custom_V=np.ones(len(X)))
        w = np.clip(np.asarray(synth.W, dtype=float), 0.0, None)
        w = w / w.sum()
    synthetic = outcome[donors].to_numpy() @ w
    gaps = outcome[treated].to_numpy() - synthetic
    pre_rmspe = float(np.sqrt(np.mean(gaps[pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gaps[~pre] ** 2)))
    return Fit(
        weights={d: float(v) for d, v in zip(donors, w, strict=True)},
        synthetic=synthetic,
        gaps=gaps,
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        effect=float(np.mean(gaps[~pre])),
    )


def _synth() -> Any:
    """pysyncon's ``Synth`` with a faster exact solver for its inner problem (the weights for a given V).

    pysyncon hands the quadratic :math:`\\tfrac12 w'Pw - q'w` over the simplex to SLSQP without a gradient:
    SciPy differences it numerically, SLSQP's dense steps cost :math:`O(J^3)` in the number of donors, and it
    stops at a tolerance that a large constant offset of the objective makes loose (weights 0.05 off the
    optimum on the Basque panel). The same problem is :math:`\\min_w \\lVert V^{1/2}(X_1 - X_0 w)\\rVert^2`,
    :math:`w \\ge 0`, :math:`\\sum w = 1`, which non-negative least squares (Lawson & Hanson 1974, SciPy's
    ``nnls``, an exact active-set method suited to the sparse weights of a synthetic control) solves with the
    adding-up constraint as a heavily weighted extra row; the weights are then rescaled to sum to one
    exactly. Everything else (predictor scaling, the search over V, the fitted object) stays pysyncon's.
    """
    from pysyncon import Synth

    class _Synth(Synth):
        @staticmethod
        def w_optimize(
            V_mat: np.ndarray, X0: np.ndarray, X1: np.ndarray, *args: Any, **kwargs: Any
        ) -> tuple[np.ndarray, float]:
            return _simplex_least_squares(V_mat, X0, X1)

    return _Synth()


def _simplex_least_squares(V_mat: np.ndarray, X0: np.ndarray, X1: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights on the simplex minimising :math:`(X_1 - X_0 w)' V (X_1 - X_0 w)` and pysyncon's loss
    :math:`\\tfrac12 w'Pw - q'w` at them."""
    from scipy.optimize import nnls

    root = np.sqrt(np.clip(np.diag(V_mat), 0.0, None))
    a = root[:, None] * X0
    b = root * X1
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), 1.0)
    penalty = 1e4 * scale
    n = X0.shape[1]
    w, _ = nnls(np.vstack([a, np.full(n, penalty)]), np.append(b, penalty), maxiter=50 * n)
    total = w.sum()
    w = w / total if total > 0 else np.full(n, 1 / n)
    P = X0.T @ V_mat @ X0
    q = X1.T @ V_mat @ X0
    return w, float(0.5 * w @ P @ w - q @ w)


def run(frame: pd.DataFrame, spec: EstimateSpec) -> DesignOutput:
    """The synthetic control of ``spec.treated_unit`` from ``spec.treatment_start`` on (see the module)."""
    assert spec.treated_unit is not None and spec.treatment_start is not None
    treated, start = spec.treated_unit, spec.treatment_start
    outcome = frame.pivot(index=spec.time, columns=spec.unit, values=spec.outcome).sort_index()
    covariates = {
        c: frame.pivot(index=spec.time, columns=spec.unit, values=c).sort_index() for c in spec.covariates
    }
    complete = outcome.notna().all()
    for table in covariates.values():
        complete &= table.notna().all()
    dropped = sorted(u for u in outcome.columns if not complete[u] and u != treated)
    if not complete[treated]:
        _refuse(
            f"the treated unit {treated!r} lacks some periods; synthetic-control needs its whole series", spec
        )
    donors = sorted(u for u in outcome.columns if u != treated and complete[u])
    if not donors:
        _refuse("no donor unit has every period of the panel", spec)
    periods = outcome.index.to_numpy()
    pre = periods < start
    main = fit_weights(outcome, covariates, treated, donors, pre)

    placebos: list[PlaceboResult] = []
    placebo_effects: list[float] = []
    if spec.placebos and len(donors) >= 2:
        for donor in donors:
            others = [d for d in donors if d != donor]
            fit = fit_weights(outcome, covariates, donor, others, pre)
            placebos.append(
                PlaceboResult(unit=donor, pre_rmspe=fit.pre_rmspe, post_rmspe=fit.post_rmspe, ratio=fit.ratio)
            )
            placebo_effects.append(fit.effect)

    se = low = high = p = None
    notes: list[str] = []
    if placebos:
        ratios = np.array([pl.ratio for pl in placebos])
        p = float((1 + np.sum(ratios >= main.ratio)) / (1 + len(ratios)))
        effects = np.array(placebo_effects)
        se = float(np.std(effects, ddof=1))
        low = float(main.effect - np.quantile(effects, 1 - spec.alpha / 2))
        high = float(main.effect - np.quantile(effects, spec.alpha / 2))
        if len(placebos) + 1 < 1 / spec.alpha:
            notes.append(FEW_PLACEBOS_NOTE)
    warnings = []
    if dropped:
        warnings.append(DROPPED_WARNING)
    if not placebos:
        warnings.append(NO_PLACEBO_WARNING)
    treated_sd = float(np.std(outcome.loc[pre, treated].to_numpy(), ddof=0))
    observed = outcome[treated].to_numpy()
    series = [
        SeriesPoint(
            time=int(t),
            observed=float(y),
            counterfactual=float(c),
            ci_low=float(c + (main.effect - high)) if high is not None and t >= start else None,
            ci_high=float(c + (main.effect - low)) if low is not None and t >= start else None,
            treated=bool(t >= start),
        )
        for t, y, c in zip(periods, observed, main.synthetic, strict=True)
    ]
    return DesignOutput(
        estimate=main.effect,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p,
        method=METHOD,
        library=library(),
        assumptions=list(ASSUMPTIONS),
        warnings=warnings,
        diagnostics=Diagnostics(
            pre_rmspe=main.pre_rmspe,
            post_rmspe=main.post_rmspe,
            pre_outcome_sd=treated_sd,
            placebo_p=p,
            placebos=placebos,
            n_units=len(donors) + 1,
            n_periods=len(periods),
            n_treated=1,
            n_pre_periods=int(pre.sum()),
            n_post_periods=int((~pre).sum()),
            notes=notes,
        ),
        series=series,
        weights=main.weights,
    )


def _refuse(message: str, spec: EstimateSpec) -> None:
    problem = Problem(
        code="impact-estimation-failed",
        message=f"synthetic-control: {message}",
        column=spec.unit,
        value=spec.treated_unit,
    )
    raise InvalidInput(problem.message, Report(source=spec.design.value, problems=[problem]))
