"""The impact report and the embeddable result card of an evaluation, in German or English.

The report follows one order, for the public and for decision makers alike: the intervention and the
question; the verdict first (better, worse or no detectable change, styled alike so that no outcome is shown
more prominently than another); the counterfactual chart (what was observed against the estimate without the
measure, with its interval); the evidence label (Maryland Scientific Methods Scale level with its reason); the
caveats (whether the evaluation followed its registered plan, warnings, assumptions and the diagnostics:
pre-trend test with the event-study plot, donor fit and weights, placebo distribution); the method in plain
words; the data download. Every chart is SVG with a title and a description, and the series behind the
counterfactual chart is in a table beside it.

The documents take the typed :class:`~bettercities.impact.schemas.EstimateResult` and an
:class:`ImpactReportContext` (what the result does not know: names, areas, the plan, links). What may be
published is decided before: the caller passes a result that the publication rules let through.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from bettercities.figures import impact as charts
from bettercities.impact.schemas import Design, EstimateResult, Verdict
from bettercities.indicators.schemas import Polarity
from bettercities.reports import html as documents
from bettercities.reports.i18n import translations
from bettercities.reports.pdf import PACKAGE_ROOT, render_pdf

__all__ = [
    "ImpactReportContext",
    "PlanStatus",
    "impact_report_body",
    "impact_report_html",
    "impact_report_pdf",
    "result_card_document",
    "result_card_html",
    "result_card_json",
]

Gettext = Callable[[str], str]


class PlanStatus(BaseModel):
    """Whether the evaluation followed the plan registered before the results existed."""

    followed: bool
    version: int | None = None
    registered: date | None = None
    #: what the evaluation did differently from the plan, in plain words (empty when it followed it)
    differences: list[str] = Field(default_factory=list)


class ImpactReportContext(BaseModel):
    """What a report says besides the estimate: names, places, the plan and the links."""

    intervention: str
    #: the evaluation question, e.g. "Did the street-work programme lower the youth unemployment rate?"
    question: str
    city: str
    #: the outcome indicator's name and unit in the reader's language (unit "%" is written as the language
    #: writes percentages)
    indicator: str
    unit: str = ""
    decimals: int = 2
    #: the treated areas (names); comparison areas or the donor pool, when the design has them
    areas: list[str] = Field(default_factory=list)
    comparison: list[str] = Field(default_factory=list)
    #: None: no plan was registered for this evaluation
    plan: PlanStatus | None = None
    #: where the data behind the report can be downloaded (the panel, the result as JSON)
    data_url: str | None = None
    #: the full report (the result card links to it)
    report_url: str | None = None
    generated: date


# -- words -------------------------------------------------------------------------------------------------


def verdict_words(_: Gettext) -> dict[Verdict, str]:
    return {
        Verdict.BETTER: _("Better"),
        Verdict.WORSE: _("Worse"),
        Verdict.NO_DETECTABLE_CHANGE: _("No detectable change"),
        Verdict.INCREASE: _("Increase"),
        Verdict.DECREASE: _("Decrease"),
    }


def verdict_explanations(_: Gettext) -> dict[Verdict, str]:
    return {
        Verdict.BETTER: _("The whole interval lies on the side that is better for this indicator."),
        Verdict.WORSE: _("The whole interval lies on the side that is worse for this indicator."),
        Verdict.NO_DETECTABLE_CHANGE: _(
            "The interval includes zero: the data cannot tell an effect of the measure apart from chance. "
            "This is not proof that the measure had no effect."
        ),
        Verdict.INCREASE: _(
            "The whole interval lies above zero. Whether higher values are better is not defined for this "
            "indicator."
        ),
        Verdict.DECREASE: _(
            "The whole interval lies below zero. Whether lower values are better is not defined for this "
            "indicator."
        ),
    }


def polarity_text(polarity: Polarity | None, _: Gettext) -> str:
    if polarity == Polarity.HIGHER_IS_BETTER:
        return _("Higher values of this indicator are better.")
    if polarity == Polarity.HIGHER_IS_WORSE:
        return _("Lower values of this indicator are better.")
    return _("For this indicator, neither direction is defined as better.")


def design_names(_: Gettext) -> dict[Design, str]:
    return {
        Design.DID: _("Difference in differences"),
        Design.TWFE: _("Two-way fixed effects with event study"),
        Design.STAGGERED_DID: _("Staggered difference in differences (Callaway & Sant’Anna)"),
        Design.SYNTHETIC_CONTROL: _("Synthetic control"),
        Design.ITS: _("Interrupted time series"),
    }


def design_explanations(_: Gettext) -> dict[Design, str]:
    """What each design does, in words a councillor understands."""
    return {
        Design.DID: _(
            "We compare how the indicator changed in the areas with the measure with how it changed over "
            "the same time in comparable areas without it. The difference between the two changes is the "
            "estimated effect. It rests on the assumption that both groups would have developed in parallel "
            "without the measure."
        ),
        Design.TWFE: _(
            "We compare the areas with the measure with the areas without it, period by period, and remove "
            "what is constant in an area and what affects all areas in a period. The event study shows the "
            "difference in each period before and after the start: before the start it should be close to "
            "zero."
        ),
        Design.STAGGERED_DID: _(
            "The measure started at different times in different areas. Each group of areas that started "
            "together is compared with areas that had not (yet) started, and these comparisons are averaged. "
            "This avoids the distortions of simpler methods when start dates differ."
        ),
        Design.SYNTHETIC_CONTROL: _(
            "We build a ‘synthetic’ comparison area as a weighted mix of areas without the measure, chosen "
            "so that it followed the treated area as closely as possible before the start. After the start, "
            "the difference between the treated area and its synthetic twin is the estimated effect. "
            "Repeating this with every comparison area as if it had been treated (placebos) shows how "
            "unusual the difference is."
        ),
        Design.ITS: _(
            "We extend the trend of the indicator before the start into the time after it and compare it "
            "with what was observed. A change of level or trend at the start is the estimated effect. "
            "Without a comparison group, anything else that changed at the same time can look like an "
            "effect."
        ),
    }


def aggregation_names(_: Gettext) -> dict[str, str]:
    """The aggregations of group-time effects (Callaway & Sant'Anna 2021, section 3)."""
    return {
        "simple": _("All groups and periods after the start"),
        "group": _("By group (period of the start)"),
        "dynamic": _("By time since the start"),
        "calendar": _("By calendar period"),
    }


def evidence_levels(_: Gettext) -> dict[int, str]:
    """The Maryland Scientific Methods Scale (Sherman et al. 1997; What Works Centre for Local Economic
    Growth, 2016)."""
    return {
        1: _("Correlation only: no comparison over time or between groups"),
        2: _("Before and after, or with and without the measure, without a credible comparison of both"),
        3: _("Before and after, with a comparison group"),
        4: _("Comparison with quasi-random assignment"),
        5: _("Random assignment"),
    }


# -- the document ------------------------------------------------------------------------------------------


def _translator(lang: str) -> tuple[Gettext, Callable[[str], Any]]:
    """``_`` for the reports' own messages and ``tr`` for free text of a result (English from the designs):
    looked up in the catalogue, and marked as English when the catalogue has no translation."""
    from markupsafe import Markup, escape

    _ = translations(lang).gettext

    def tr(text: str) -> Markup:
        translated = _(text)
        if lang != "en" and translated == text:
            return Markup('<span lang="en">{}</span>').format(escape(text))
        return Markup("{}").format(translated)

    return _, tr


def _treatment_start(result: EstimateResult) -> int | None:
    if result.spec.treatment_start is not None:
        return result.spec.treatment_start
    return next((p.time for p in sorted(result.series, key=lambda p: p.time) if p.treated), None)


def _confidence(result: EstimateResult, lang: str) -> str:
    """The confidence level as the language writes a percentage (``95%``, ``95 %``); the messages take it as
    a whole, so that none of them holds a ``%`` sign (Jinja's gettext would read it as a format)."""
    level = 100 * (1 - result.spec.alpha)
    return documents.with_unit(documents.number(level, 0 if level == round(level) else 1, lang), "%", lang)


def _figures(result: EstimateResult, context: ImpactReportContext, lang: str, _: Gettext) -> dict[str, str]:
    """The SVG charts of the report (only those the result has data for)."""
    d = context.decimals

    def fmt(value: float) -> str:
        return documents.number(value, d, lang)

    def ratio(value: float) -> str:
        return documents.number(value, 2, lang)

    start = _treatment_start(result)
    confidence = _confidence(result, lang)
    out: dict[str, str] = {}
    if result.series:
        pre = [p for p in result.series if not p.treated]
        post = [p for p in result.series if p.treated]
        description = _(
            "{indicator} in the areas with the measure (solid line) and the estimate of what it would have "
            "been without the measure (dashed line, with its {confidence} interval as a band), from {first} "
            "to {last}; the measure started in {start}. {pre} periods before the start, {post} after it."
        ).format(
            indicator=context.indicator,
            confidence=confidence,
            first=min(p.time for p in result.series),
            last=max(p.time for p in result.series),
            start=start if start is not None else "–",
            pre=len(pre),
            post=len(post),
        )
        out["counterfactual"] = charts.counterfactual_chart(
            result.series,
            fmt=fmt,
            words=charts.CounterfactualWords(
                title=_("{indicator}: observed and estimated without the measure").format(
                    indicator=context.indicator
                ),
                description=description,
                observed=_("Observed"),
                counterfactual=_("Estimated without the measure"),
                interval=_("{confidence} interval").format(confidence=confidence),
                start=_("Start of the measure"),
            ),
            treatment_start=start,
        )
    if result.diagnostics.event_study:
        points = result.diagnostics.event_study
        out["event_study"] = charts.event_study_chart(
            points,
            fmt=fmt,
            words=charts.ChartWords(
                title=_("Event study: difference by period relative to the start"),
                description=_(
                    "The estimated difference between the areas with and without the measure in each period "
                    "from {first} to {last} periods relative to the start (0 is the first period with the "
                    "measure), with {confidence} intervals. Before the start the differences should be close "
                    "to zero."
                ).format(
                    first=min(p.event_time for p in points),
                    last=max(p.event_time for p in points),
                    confidence=confidence,
                ),
            ),
            reference_label=_("reference period"),
        )
    diagnostics = result.diagnostics
    treated = result.spec.treated_unit or _("treated area")
    if diagnostics.placebos and diagnostics.pre_rmspe and diagnostics.post_rmspe is not None:
        treated_ratio = diagnostics.post_rmspe / diagnostics.pre_rmspe
        higher = sum(1 for p in diagnostics.placebos if p.ratio >= treated_ratio)
        out["placebos"] = charts.placebo_chart(
            treated_ratio,
            diagnostics.placebos,
            fmt=ratio,
            words=charts.ChartWords(
                title=_("Placebo test: post/pre fit ratio of the treated area and of each comparison area"),
                description=_(
                    "The ratio of the fit error after the start to the fit error before it, for {treated} "
                    "({ratio}) and for {count} comparison areas treated as if they had the measure. {higher} "
                    "of them reach the treated area's ratio."
                ).format(
                    treated=treated,
                    ratio=ratio(treated_ratio),
                    count=len(diagnostics.placebos),
                    higher=higher,
                ),
            ),
            treated_label=treated,
            placebo_label=_("Comparison areas (placebos)"),
        )
    if result.weights:
        shown = sorted(result.weights.items(), key=lambda item: -item[1])[:3]
        out["weights"] = charts.weights_chart(
            result.weights,
            fmt=ratio,
            words=charts.ChartWords(
                title=_("Weights of the comparison areas in the synthetic control"),
                description=_(
                    "The synthetic comparison area mixes {count} areas; the largest weights: {top}."
                ).format(
                    count=sum(1 for w in result.weights.values() if w >= 0.0005),
                    top=", ".join(f"{unit} {ratio(weight)}" for unit, weight in shown),
                ),
            ),
            others_label=_("all others"),
        )
    return out


def effect_sentence(result: EstimateResult, context: ImpactReportContext, lang: str) -> str:
    """ "Estimated effect on <indicator>: −2.1 percentage points (95% interval −3.0 to −1.2 …)." A change of
    a percentage is in percentage points."""
    _ = translations(lang).gettext
    unit = _("percentage points") if context.unit == "%" else context.unit

    def value(number: float | None) -> str:
        return documents.with_unit(documents.signed(number, context.decimals, lang), unit, lang)

    return _("Estimated effect on {indicator}: {estimate} ({confidence} interval {low} to {high}).").format(
        indicator=context.indicator,
        estimate=value(result.estimate),
        confidence=_confidence(result, lang),
        low=value(result.ci_low),
        high=value(result.ci_high),
    )


def _context(result: EstimateResult, context: ImpactReportContext, lang: str) -> dict[str, Any]:
    _, tr = _translator(lang)
    d = context.decimals
    return {
        "effect_sentence": effect_sentence(result, context, lang),
        "result": result,
        "ctx": context,
        "tr": tr,
        "d": d,
        "confidence": _confidence(result, lang),
        "verdict_word": verdict_words(_)[result.verdict],
        "verdict_explanation": verdict_explanations(_)[result.verdict],
        "polarity": polarity_text(result.spec.polarity, _),
        "design_name": design_names(_)[result.design],
        "design_explanation": design_explanations(_)[result.design],
        "evidence_name": evidence_levels(_)[result.evidence_level],
        "aggregation_names": aggregation_names(_),
        "figures": {k: documents.svg(v) for k, v in _figures(result, context, lang, _).items()},
        "treatment_start": _treatment_start(result),
    }


def impact_report_body(result: EstimateResult, context: ImpactReportContext, language: str) -> str:
    """The report's sections as an HTML fragment for a page of the site (it needs
    :func:`bettercities.reports.html.stylesheet`, linked by the page)."""
    return documents.render("impact/_body.html", language, **_context(result, context, language))


def impact_report_html(
    result: EstimateResult,
    context: ImpactReportContext,
    language: str,
    *,
    stylesheet_href: str | None = None,
) -> str:
    """The report as a whole HTML document: the stylesheet inline, or linked when ``stylesheet_href`` is
    given (the web app, whose Content-Security-Policy allows no inline styles)."""
    return documents.render(
        "impact/report.html",
        language,
        stylesheet_href=stylesheet_href,
        **_context(result, context, language),
    )


def impact_report_pdf(result: EstimateResult, context: ImpactReportContext, language: str) -> bytes:
    """The report as a tagged PDF (PDF/UA-1); raises :class:`bettercities.reports.pdf.PdfUnavailable`
    when WeasyPrint is not installed."""
    html = impact_report_html(result, context, language)
    return render_pdf(html, base_url=PACKAGE_ROOT.as_uri() + "/")


# -- the result card ---------------------------------------------------------------------------------------


def result_card_html(result: EstimateResult, context: ImpactReportContext, language: str) -> str:
    """The embeddable result card: an ``<article class="bc-result-card">`` with the verdict, the estimate
    with its interval and the evidence level, linking to the full report and the data (the page that frames
    it links :func:`bettercities.reports.html.stylesheet`)."""
    return documents.render("impact/card.html", language, **_context(result, context, language))


def result_card_document(
    result: EstimateResult,
    context: ImpactReportContext,
    language: str,
    *,
    stylesheet_href: str | None = None,
) -> str:
    """The result card as a whole HTML document (the page other sites frame): the stylesheet inline, or
    linked when ``stylesheet_href`` is given (the web app's Content-Security-Policy allows no inline styles).
    """
    return documents.render(
        "impact/card_page.html",
        language,
        stylesheet_href=stylesheet_href,
        **_context(result, context, language),
    )


def result_card_json(result: EstimateResult, context: ImpactReportContext, language: str) -> dict[str, Any]:
    """The result card as JSON-ready data: codes and numbers for machines, the same words as the HTML card
    for people (in ``language``)."""
    _ = translations(language).gettext
    confidence = 1 - result.spec.alpha
    card = {
        "language": language,
        "intervention": context.intervention,
        "question": context.question,
        "city": context.city,
        "indicator": context.indicator,
        "unit": context.unit,
        "design": result.design.value,
        "design_label": design_names(_)[result.design],
        "verdict": result.verdict.value,
        "verdict_label": verdict_words(_)[result.verdict],
        "verdict_explanation": verdict_explanations(_)[result.verdict],
        "effect_text": effect_sentence(result, context, language),
        "polarity": result.spec.polarity.value if result.spec.polarity is not None else None,
        "estimate": result.estimate,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "confidence_level": round(confidence, 6),
        "p_value": result.p_value,
        "evidence_level": result.evidence_level,
        "evidence_label": evidence_levels(_)[result.evidence_level],
        "evidence_scale": "Maryland Scientific Methods Scale",
        "plan_followed": context.plan.followed if context.plan is not None else None,
        "report_url": context.report_url,
        "data_url": context.data_url,
        "generated": context.generated.isoformat(),
    }
    json.dumps(card)  # JSON-ready: fails here, not in a response, if a field is not
    return card
