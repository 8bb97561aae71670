"""The impact report's HTML: the verdict before the chart, the sections in their order, German and English
without untranslated messages, the verdicts styled alike, the embeddable card and its JSON."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from bettercities.impact.schemas import Verdict
from bettercities.indicators.schemas import Polarity
from bettercities.reports import html as documents
from bettercities.reports.i18n import translations
from bettercities.reports.impact import (
    PlanStatus,
    impact_report_body,
    impact_report_html,
    result_card_document,
    result_card_html,
    result_card_json,
)
from tests.reports.results import did_result, report_context, staggered_result, synthetic_result
from tests.reports.test_i18n import used_messages

SECTIONS = [
    "verdict-heading",
    "counterfactual-heading",
    "evidence-heading",
    "caveats-heading",
    "method-heading",
    "data-heading",
]


class Text(HTMLParser):
    """The text a reader sees (outside <style>, <title> of the head and attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "svg"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "svg"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture(scope="module")
def reports() -> dict[str, str]:
    return {lang: impact_report_html(did_result(), report_context(), lang) for lang in ("de", "en")}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_verdict_comes_first_then_the_chart(reports: dict[str, str], lang: str) -> None:
    html = reports[lang]
    assert html.startswith("<!doctype html>") and f'<html lang="{lang}">' in html
    positions = [html.index(f'id="{section}"') for section in SECTIONS]
    assert positions == sorted(positions)
    verdict = html.index('class="bc-verdict bc-verdict-better"')
    chart = html.index('class="chart impact-counterfactual"')
    assert positions[0] < verdict < chart < positions[2]
    assert "<style>" in html and "@page" in html  # standalone: the stylesheet inline


def test_english_report_says_it_in_words(reports: dict[str, str]) -> None:
    text = visible_text(reports["en"])
    assert "Verdict Better Estimated effect on Youth unemployment rate: −2.1 percentage points" in text
    assert "(95% interval −3.0 percentage points to −1.2 percentage points)" in text
    assert "Lower values of this indicator are better." in text
    assert "Level 3 of 5 Before and after, with a comparison group" in text
    assert "Plan version 2, registered on January 15, 2019." in text
    assert "Pre-trend test p = 0.420: parallel trends before the start are not rejected" in text
    assert "Download the data behind this report" in text
    assert "Generated on December 3, 2026 with bettercities." in text


def test_german_report_has_no_untranslated_message(reports: dict[str, str]) -> None:
    text = visible_text(reports["de"])
    assert "Befund Besser Geschätzte Wirkung auf Youth unemployment rate: −2,1 Prozentpunkte" in text
    assert "(95 %-Intervall −3,0 Prozentpunkte bis −1,2 Prozentpunkte)" in text  # narrow space, collapsed
    assert "Stufe 3 von 5 Vorher und nachher, mit einer Vergleichsgruppe" in text
    assert "Erstellt am 3. Dezember 2026 mit bettercities." in text
    german = translations("de").gettext
    # every message of the reports whose German differs must not show up in English (placeholders cut out)
    for message in used_messages():
        if german(message) == message:
            continue
        for piece in re.split(r"\{\w+\}", message):
            piece = piece.strip(" .:,()*")
            if len(piece) > 12:
                assert piece not in text, f"untranslated in the German report: {piece!r}"


def test_free_text_of_a_design_is_marked_english_in_german(reports: dict[str, str]) -> None:
    # the designs write method, reasons and warnings in English; a German report marks them as English
    assert '<span lang="en">2x2 difference-in-differences' in reports["de"]
    assert 'lang="en"' not in reports["en"].split("<body", 1)[1]


@pytest.mark.parametrize(
    ("verdict", "polarity", "word"),
    [
        (Verdict.BETTER, Polarity.HIGHER_IS_WORSE, "Better"),
        (Verdict.WORSE, Polarity.HIGHER_IS_BETTER, "Worse"),
        (Verdict.NO_DETECTABLE_CHANGE, Polarity.HIGHER_IS_WORSE, "No detectable change"),
        (Verdict.DECREASE, None, "Decrease"),
    ],
)
def test_every_verdict_is_shown_alike(verdict: Verdict, polarity: Polarity | None, word: str) -> None:
    result = did_result(verdict=verdict, polarity=polarity)
    body = impact_report_body(result, report_context(), "en")
    box = re.search(
        r'<div class="bc-verdict bc-verdict-(\w+)" data-verdict="(\w+)">\s*'
        r'<p class="bc-verdict-word">([^<]+)</p>',
        body,
    )
    assert box is not None and box.groups() == (verdict.value, verdict.value, word)
    # the stylesheet gives the three verdicts the same rule; only the tint differs
    css = documents.stylesheet()
    assert ".bc-verdict, .bc-result-card { border: 3px solid" in css
    tints = re.findall(
        r"\.bc-verdict-(better|worse|no_detectable_change) \{ background: #[0-9a-f]{6}; \}", css
    )
    assert tints == ["better", "worse", "no_detectable_change"]


def test_no_change_explains_that_it_is_no_proof() -> None:
    result = did_result(verdict=Verdict.NO_DETECTABLE_CHANGE, estimate=-0.3, ci=(-1.1, 0.5))
    text = visible_text(impact_report_body(result, report_context(), "en"))
    assert (
        "The interval includes zero" in text and "This is not proof that the measure had no effect." in text
    )


def test_synthetic_control_report_shows_its_diagnostics() -> None:
    html = impact_report_body(synthetic_result(), report_context(), "en")
    for css in ("impact-weights", "impact-placebos", "impact-counterfactual"):
        assert f'class="chart {css}"' in html
    assert "impact-event-study" not in html  # no event study in this result
    text = visible_text(html)
    assert "Placebo test p = 0.110 (8 placebos)" in text
    assert "Fit before the start (RMSPE) 0.1 (spread of the values before the start: 1.2)" in text


def test_plan_not_followed_and_no_plan() -> None:
    context = report_context().model_copy(
        update={"plan": PlanStatus(followed=False, version=1, differences=["The design was changed."])}
    )
    html = impact_report_body(did_result(), context, "en")
    assert 'data-plan="differs"' in html and "The design was changed." in html
    html = impact_report_body(did_result(), context.model_copy(update={"plan": None}), "de")
    assert 'data-plan="none"' in html and "Vor den Ergebnissen wurde kein Evaluationsplan registriert" in html


def test_linked_stylesheet_for_the_web_app() -> None:
    html = impact_report_html(did_result(), report_context(), "en", stylesheet_href="/reports/report.css")
    assert '<link rel="stylesheet" href="/reports/report.css">' in html and "<style>" not in html


def test_values_are_escaped() -> None:
    context = report_context().model_copy(update={"intervention": "<script>alert(1)</script>"})
    html = impact_report_html(did_result(), context, "en")
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("lang", ["de", "en"])
def test_result_card(lang: str) -> None:
    card = result_card_html(synthetic_result(), report_context(), lang)
    assert card.startswith('<article class="bc-result-card bc-verdict-worse"')
    assert f'lang="{lang}"' in card and 'href="https://example.org/impact/1"' in card
    data = result_card_json(synthetic_result(), report_context(), lang)
    assert json.loads(json.dumps(data)) == data
    assert (
        data["verdict"] == "worse" and data["evidence_level"] == 3 and data["design"] == "synthetic-control"
    )
    assert data["verdict_label"] == {"de": "Schlechter", "en": "Worse"}[lang]
    assert data["verdict_label"] in card and data["evidence_label"] in card
    assert (data["estimate"], data["ci_low"], data["ci_high"], data["confidence_level"]) == (
        -0.6,
        -0.9,
        -0.3,
        0.95,
    )


def test_staggered_result_lists_its_aggregations() -> None:
    html = impact_report_body(staggered_result(), report_context(), "en")
    rows = re.findall(r'<tr data-kind="(\w+)"><th scope="row">([^<]+)</th><td>([^<]+)</td>', html)
    assert [(kind, value) for kind, _, value in rows] == [
        ("simple", "−1.2"), ("group", "−1.2"), ("dynamic", "−1.2"), ("calendar", "−1.2"),
    ]  # fmt: skip
    assert "Computed from 22 group-time effects" in html
    assert "Staggered difference in differences (Callaway &amp; Sant’Anna)" in html
    german = visible_text(impact_report_body(staggered_result(), report_context(), "de"))
    assert "Nach Zeit seit dem Start" in german and "Berechnet aus 22 Gruppen-Zeit-Wirkungen" in german


def test_result_card_document() -> None:
    page = result_card_document(did_result(), report_context(), "de", stylesheet_href="/static/r.css")
    assert page.startswith("<!doctype html>") and '<html lang="de">' in page
    assert '<link rel="stylesheet" href="/static/r.css">' in page and "<style>" not in page
    assert "<title>Street work in Nordstadt · Demostadt · bettercities</title>" in page
    assert page.count('<article class="bc-result-card') == 1
