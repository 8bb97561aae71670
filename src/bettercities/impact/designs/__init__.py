"""Evaluation designs, registered, and :func:`estimate`, the one entry point that CLI, API, pages and reports
call.

A design is a function in its own module (``did.py``, ``twfe.py``, ``its.py``, ``staggered.py``,
``synthetic.py``) with the signature::

    def run(frame: pandas.DataFrame, spec: EstimateSpec) -> DesignOutput

``frame`` is the clean long panel (one row per unit and period) that :func:`bettercities.impact.panel.prepare`
returns when it found no error: only the spec's columns, sorted by unit and time; ``spec.unit`` as text,
``spec.time`` as int64, outcome and covariates as float64, treatment as 0.0/1.0, cohort as whole floats with
0 = never treated; no missing values, no duplicated unit-period row; treated and untreated units exist as the
design needs them and there are enough pre-periods (``panel.MIN_PRE_PERIODS``).
:func:`bettercities.impact.panel.treatment_of` gives the treated units and their first treated period.
The design must not modify ``frame``
(copy first). It returns a :class:`~bettercities.impact.schemas.DesignOutput` — the estimate, its standard
error, interval (at level ``1 - spec.alpha``) and p-value, the method in plain English words, the library
and version that computed it, assumptions, warnings, :class:`~bettercities.impact.schemas.Diagnostics` and
the series a counterfactual chart draws. It does **not** set the verdict and the evidence label:
:func:`estimate` adds both the same way for all designs (:func:`bettercities.impact.verdict.verdict`,
:func:`bettercities.impact.evidence.label`) and turns the output into an
:class:`~bettercities.impact.schemas.EstimateResult`. A problem the validation cannot see (e.g. a singular
design matrix) is raised as :class:`~bettercities.core.errors.InvalidInput` with a Report, never as a bare
exception.

The registry maps each :class:`~bettercities.impact.schemas.Design` to a lazy function: the design's module
(and the heavy library it wraps) is imported on first use, and a missing optional library is refused with a
problem ``impact-design-unavailable`` that says what to install.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.impact.schemas import Design, DesignOutput, EstimateResult, EstimateSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DESIGNS", "DesignFunction", "estimate", "lazy", "messages"]

DesignFunction = Callable[["pd.DataFrame", EstimateSpec], DesignOutput]


def lazy(module: str, *, install: str, function: str = "run") -> DesignFunction:
    """A design function that imports ``bettercities.impact.designs.<module>`` when first called.

    ``install`` is what a user runs when a library the module needs is missing (shown in the problem).
    """

    def run(frame: pd.DataFrame, spec: EstimateSpec) -> DesignOutput:
        try:
            loaded = import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("bettercities"):
                raise
            problem = Problem(
                code="impact-design-unavailable",
                message=f"the design {spec.design.value!r} needs the library {exc.name!r}, which is not "
                f"installed; install it with: {install}",
                column="design",
                value=spec.design.value,
            )
            raise InvalidInput(problem.message, Report(source=spec.design.value, problems=[problem])) from exc
        result: DesignOutput = getattr(loaded, function)(frame, spec)
        return result

    run.__qualname__ = run.__name__ = f"{module}.{function}"
    return run


#: Design -> its function. One line per design.
DESIGNS: dict[Design, DesignFunction] = {
    Design.DID: lazy("did", install="pip install statsmodels"),
    Design.TWFE: lazy("twfe", install="pip install statsmodels"),
    Design.ITS: lazy("its", install="pip install statsmodels"),
    # --- E2: staggered-did and synthetic-control go here (one line each) ---
    Design.STAGGERED_DID: lazy("staggered", install="pip install 'diff-diff>=3.13,<3.14'"),
    Design.SYNTHETIC_CONTROL: lazy("synthetic", install="pip install 'pysyncon>=1.7,<1.8'"),
    # --- end E2 ---
}


def messages() -> list[str]:
    """Every fixed English text that did, twfe, its and :func:`estimate` put into a result (method,
    assumptions, warnings, notes, term names, evidence reasons): the translation catalogue holds each (a test
    checks)."""
    from bettercities.impact import evidence
    from bettercities.impact.designs import _inference, did, its, twfe

    found = {RTM_WARNING, UNBALANCED_WARNING, *evidence.reasons()}
    for module in (_inference, did, its, twfe):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                found.add(value)
            elif name.isupper() and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
    return sorted(found)


def estimate(frame: pd.DataFrame, spec: EstimateSpec, source: str = "<panel>") -> EstimateResult:
    """Validate ``frame`` for ``spec``, run the registered design and add verdict and evidence label.

    Raises :class:`~bettercities.core.errors.InvalidInput` carrying the :class:`Report` when the panel is
    invalid for the design or the design cannot run (``source`` names the panel in the problems).
    """
    from bettercities.impact.evidence import label
    from bettercities.impact.panel import prepare
    from bettercities.impact.verdict import verdict

    function = DESIGNS.get(spec.design)
    if function is None:
        problem = Problem(
            code="impact-design-unavailable",
            message=f"the design {spec.design.value!r} is not available in this installation",
            file=source,
            column="design",
            value=spec.design.value,
        )
        raise InvalidInput(problem.message, Report(source=source, problems=[problem]))
    clean, report = prepare(frame, spec, source=source)
    if not report.ok:
        raise InvalidInput(f"{source}: the panel cannot be used for {spec.design.value}", report)
    output = function(clean, spec)
    warnings = list(output.warnings)
    if spec.selected_on_outcome:
        warnings.append(RTM_WARNING)
    level, reason = label(spec.design, output.diagnostics, selected_on_outcome=spec.selected_on_outcome)
    fields = output.model_dump(exclude={"warnings"})
    return EstimateResult.model_validate(
        {
            **fields,
            "design": spec.design,
            "spec": spec,
            "warnings": warnings + [UNBALANCED_WARNING for p in report.warnings[:1]],
            "verdict": verdict(
                output.estimate,
                output.ci_low,
                output.ci_high,
                spec.polarity,
                p_value=output.p_value,
                alpha=spec.alpha,
            ),
            "evidence_level": level,
            "evidence_reason": reason,
        }
    )


#: The panel's warning (impact-unbalanced-panel) in a result, without numbers (translated by the catalogue).
UNBALANCED_WARNING = "Some units lack some periods (an unbalanced panel); the design uses the rows there are."
#: Added to every result whose treated areas were chosen by the outcome indicator itself.
RTM_WARNING = (
    "The treated areas were chosen because of their values on this indicator. Areas picked for unusually "
    "high (or low) values tend to move back towards the average by themselves (regression to the mean), "
    "so part of the estimated change may have happened without the measure."
)
