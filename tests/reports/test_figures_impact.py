"""figures/impact.py: the charts are well-formed SVG with a title and a description, and draw what the result
holds (observed solid, counterfactual dashed with its band, the start, the reference period, the treated
placebo bar, the donor weights)."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from bettercities.figures import impact as charts
from bettercities.impact.schemas import PlaceboResult, SeriesPoint
from tests.reports.results import did_result, synthetic_result

SVG = "{http://www.w3.org/2000/svg}"
WORDS = charts.CounterfactualWords(
    title="Rate: observed and estimated",
    description="The rate from 2012 to 2023.",
    observed="Observed",
    counterfactual="Without the measure",
    interval="95% interval",
    start="Start",
)


def fmt(value: float) -> str:
    return f"{value:.1f}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    return root


def test_counterfactual_chart() -> None:
    result = did_result()
    root = parse(charts.counterfactual_chart(result.series, fmt=fmt, words=WORDS))
    observed = root.find(f".//{SVG}g[@class='line observed']")
    counterfactual = root.find(f".//{SVG}g[@class='line counterfactual']")
    assert observed is not None and counterfactual is not None
    assert observed.find(f"{SVG}polyline").get("stroke-dasharray") is None
    assert counterfactual.find(f"{SVG}polyline").get("stroke-dasharray")
    # one dot per period on each line, each with its hover text
    assert len(observed.findall(f"{SVG}circle")) == len(result.series) == 12
    assert observed.find(f"{SVG}circle/{SVG}title").text == f"Observed 2012: {fmt(result.series[0].observed)}"
    # the band covers the treated periods only (the conftest series has intervals after the start)
    band = root.find(f".//{SVG}g[@class='interval']/{SVG}polygon")
    assert band is not None and len(band.get("points").split()) == 2 * 6
    start = root.find(f".//{SVG}g[@class='treatment-start']")
    assert start is not None and "2018" in start.find(f".//{SVG}title").text
    # the legend names all four elements
    labels = [g.get("data-label") for g in root.iter(f"{SVG}g") if g.get("class") == "legend-row"]
    assert labels == ["Observed", "Without the measure", "95% interval", "Start"]


def test_counterfactual_chart_without_data_is_an_empty_figure() -> None:
    root = parse(charts.counterfactual_chart([], fmt=fmt, words=WORDS))
    assert root.find(f".//{SVG}polyline") is None


def test_counterfactual_axis_labels_do_not_collide() -> None:
    points = [
        SeriesPoint(time=t, observed=1.0, counterfactual=1.0, treated=t >= 1970) for t in range(1955, 1998)
    ]
    root = parse(charts.counterfactual_chart(points, fmt=fmt, words=WORDS))
    years = [
        float(t.get("x")) for t in root.iter(f"{SVG}text") if t.text and t.text.isdigit() and len(t.text) == 4
    ]
    assert years == sorted(years) and min(b - a for a, b in itertools.pairwise(years)) >= 40
    assert any(t.text == "1997" for t in root.iter(f"{SVG}text"))  # the last period is always labelled


def test_event_study_chart_marks_the_reference_period() -> None:
    points = did_result().diagnostics.event_study
    root = parse(
        charts.event_study_chart(
            points, fmt=fmt, words=charts.ChartWords("Event study", "Effects"), reference_label="reference"
        )
    )
    circles = root.findall(f".//{SVG}g[@class='points']/{SVG}circle")
    assert len(circles) == len(points) == 11
    reference = [c for c in circles if c.get("class") == "reference"]
    assert len(reference) == 1 and reference[0].find(f"{SVG}title").text == "-1: 0.0 – reference"
    assert root.find(f".//{SVG}line[@class='zero']") is not None
    assert root.find(f".//{SVG}line[@class='start']") is not None
    # a whisker per point with an interval
    assert len(root.findall(f".//{SVG}g[@class='points']/{SVG}line")) == 10


def test_placebo_chart_puts_the_treated_unit_among_the_placebos() -> None:
    placebos = [
        PlaceboResult(unit=f"D{i}", pre_rmspe=1.0, post_rmspe=float(i), ratio=float(i)) for i in range(5)
    ]
    root = parse(
        charts.placebo_chart(
            2.5,
            placebos,
            fmt=fmt,
            words=charts.ChartWords("Placebos", "Ratios"),
            treated_label="Basque Country",
            placebo_label="Placebos",
        )
    )
    bars = root.findall(f".//{SVG}g[@class='bars']/{SVG}rect")
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "D4: 4.0", "D3: 3.0", "Basque Country: 2.5", "D2: 2.0", "D1: 1.0", "D0: 0.0",
    ]  # fmt: skip
    assert [b.get("class") for b in bars].count("treated") == 1


def test_weights_chart_lists_the_largest_donors_and_sums_the_rest() -> None:
    weights = {"Cataluna": 0.851, "Madrid": 0.149, "Aragon": 0.0}
    root = parse(
        charts.weights_chart(
            weights, fmt=fmt, words=charts.ChartWords("Weights", "Donors"), others_label="others"
        )
    )
    assert [g.get("data-unit") for g in root.iter(f"{SVG}g") if g.get("class") == "weight"] == [
        "Cataluna",
        "Madrid",
    ]  # a zero weight is left out
    many = {f"D{i:02d}": 0.05 for i in range(20)}
    root = parse(
        charts.weights_chart(
            many, fmt=fmt, words=charts.ChartWords("Weights", "Donors"), others_label="others", top=5
        )
    )
    rows = [g.get("data-unit") for g in root.iter(f"{SVG}g") if g.get("class") == "weight"]
    assert rows == ["D00", "D01", "D02", "D03", "D04", "others"]
    assert root.find(f".//{SVG}g[@data-unit='others']/{SVG}rect/{SVG}title").text == "others: 0.8"


def test_synthetic_result_draws() -> None:
    result = synthetic_result()
    svg = charts.counterfactual_chart(result.series, fmt=fmt, words=WORDS, treatment_start=1970)
    assert "Start: 1970" in svg
