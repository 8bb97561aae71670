"""The drawings of each page: the library's SVG functions fed with a view and the reader's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup

from bettercities.figures import change, europe
from bettercities.figures import lines as lines_figure
from bettercities.figures import svg as draw
from bettercities.figures.schemas import MapArea
from bettercities.indicators.schemas import IndicatorOut
from bettercities.views.change import ChangeView
from bettercities.views.compare import CompareView
from bettercities.views.reader import Reader
from bettercities.views.schemas import AreaIndicatorRow, AreaView, CityView, IndicatorView
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, svg


def _formatter(page: PageContext, indicator: IndicatorOut) -> draw.Formatter:
    return lambda value: page.num(value, indicator.decimals)


def _value_text(page: PageContext, indicator: IndicatorOut, value: float | None, suppressed: bool) -> str:
    _ = gettext_for(page.lang).gettext
    if suppressed:
        return _("withheld")
    if value is None:
        return _("no data")
    return page.unit(page.num(value, indicator.decimals), indicator.unit)


def city_map(reader: Reader, view: CityView, page: PageContext) -> Markup:
    """The choropleth of a city view; every area links to its profile."""
    _ = gettext_for(page.lang).gettext
    shapes = reader.shapes(view.city.id, view.level.id, view.period.code)
    indicator = view.indicator
    name = page.name(indicator)

    def hover(area: MapArea) -> str:
        value = _value_text(page, indicator, area.value, area.suppressed)
        return f"{area.name}: {value} ({view.period.code})"

    def href(area: MapArea) -> str:
        return page.url(f"/cities/{view.city.slug}/areas/{area.code}", level=view.level.code) + (
            f"#ind-{indicator.code}"
        )

    title = _("Map of {indicator} by {level}, {period}").format(
        indicator=name, level=page.name(view.level), period=view.period.code
    )
    return svg(draw.choropleth(shapes, view.map, title=title, hover=hover, href=href))


def legend(view: CityView | IndicatorView, page: PageContext) -> Markup:
    _ = gettext_for(page.lang).gettext
    classification = view.map.classification if isinstance(view, CityView) else view.classification
    return svg(
        draw.legend(
            classification,
            fmt=_formatter(page, view.indicator),
            title=_("Legend"),
            no_data_label=_("no data"),
            suppressed_label=_("withheld") if view.summary.suppressed else None,
            unit=view.indicator.unit if view.indicator.unit != "persons" else "",
        )
    )


def city_chart(view: CityView | IndicatorView, page: PageContext) -> Markup:
    _ = gettext_for(page.lang).gettext
    name = page.name(view.indicator)
    line = draw.Line(label=view.city.name, series=view.city_series, colour=draw.CITY_COLOUR)
    title = _("{indicator} in {city} over time").format(indicator=name, city=view.city.name)
    return svg(draw.line_chart([line], fmt=_formatter(page, view.indicator), title=title))


def sparkline(row: AreaIndicatorRow, view: AreaView, page: PageContext) -> Markup:
    _ = gettext_for(page.lang).gettext
    lines = [draw.Line(label=view.area.name, series=row.series, colour=draw.AREA_COLOUR)]
    title = _("{indicator} in {city} over time").format(
        indicator=page.name(row.indicator), city=view.area.name
    )
    if row.comparable:
        city = draw.Line(label=view.city.name, series=row.city_series, colour=draw.CITY_COLOUR, dashed=True)
        lines.insert(0, city)
        title = _("{indicator}: {area} (solid) and {city} (dashed) over time").format(
            indicator=page.name(row.indicator), area=view.area.name, city=view.city.name
        )
    return svg(
        draw.line_chart(
            lines, fmt=_formatter(page, row.indicator), title=title, width=180, height=48, compact=True
        )
    )


def histogram(view: IndicatorView, page: PageContext) -> Markup:
    _ = gettext_for(page.lang).gettext
    title = _("Distribution of {indicator} over the {count} areas with a value, {period}").format(
        indicator=page.name(view.indicator), count=view.summary.with_value, period=view.period.code
    )
    city = view.city_value.value if view.city_value else None
    return svg(
        draw.histogram(
            view.histogram,
            fmt=_formatter(page, view.indicator),
            title=title,
            count_label=_("areas"),
            marker=city,
            marker_label=view.city.name,
        )
    )


def locator(reader: Reader, view: AreaView, page: PageContext) -> Markup:
    """The area on the outlines of the city's coarsest level."""
    _ = gettext_for(page.lang).gettext
    if view.locator_level is None:
        return Markup("")
    outlines = reader.shapes(view.city.id, reader.level_id(view.city.id, view.locator_level), None)
    own = reader.shapes(view.city.id, view.level.id, None)
    title = _("Location of {area} in {city}").format(area=view.area.name, city=view.city.name)
    return svg(draw.locator(outlines, own.paths.get(view.area.code), title=title))


# -- the change map and the comparison chart (views/change.py, views/compare.py) ---------------------------


def change_figures(reader: Reader, view: ChangeView, page: PageContext) -> dict[str, Markup]:
    """The change map of a change view (every area links to its profile) and its legend, which says what
    an increase means for the indicator (better or worse)."""
    _ = gettext_for(page.lang).gettext
    indicator = view.indicator
    shapes = reader.shapes(view.city.id, view.level.id, view.to_period.code)
    rows = {row.area_code: row for row in view.rows}
    unit = view.unit if view.unit != "pp" else _("pp")
    why: dict[str, change.Mark] = {"withheld": "withheld", "new": "not_in_both", "ended": "not_in_both"}
    marks = {r.area_code: why.get(r.status.value, "no_data") for r in view.rows if r.class_index is None}

    def hover(code: str) -> str:
        row = rows.get(code)
        if row is None:
            return f"{code}: {_('no data')}"
        if row.class_index is None or row.absolute is None:
            reason = {
                "withheld": _("withheld"),
                "new": _("not in both periods"),
                "ended": _("not in both periods"),
            }.get(row.status.value, _("no data"))
            return f"{row.area_name}: {reason}"
        return f"{row.area_name}: {page.unit(page.signed(row.absolute, indicator.decimals), unit)}"

    def href(code: str) -> str:
        profile = page.url(f"/cities/{view.city.slug}/areas/{code}", level=view.level.code)
        return f"{profile}#ind-{indicator.code}"

    texts = change.ChangeTexts(
        title=_("Change of {indicator} by {level}, {start} to {end}").format(
            indicator=page.name(indicator),
            level=page.name(view.level),
            start=view.from_period.code,
            end=view.to_period.code,
        ),
        legend_title=_("Change"),
        increase=_("increase"),
        decrease=_("decrease"),
        unchanged=_("unchanged"),
        better=_("better"),
        worse=_("worse"),
        withheld=_("withheld"),
        no_data=_("no data"),
        not_in_both=_("not in both periods"),
    )

    def signed(value: float) -> str:
        return page.unit(page.signed(value, indicator.decimals), unit)

    counts: dict[change.Mark, int] = {"withheld": 0, "no_data": 0, "not_in_both": 0}
    for mark in marks.values():
        counts[mark] += 1
    return {
        "map": svg(change.change_map(shapes, {c: r.class_index for c, r in rows.items()}, marks, view.scale,
                                     title=texts.title, hover=hover, href=href)),
        "legend": svg(change.change_legend(view.scale, texts, fmt=signed, marks=counts)),
    }  # fmt: skip


def compare_chart(view: CompareView, page: PageContext) -> Markup:
    """The series of the comparison's indicator, one line per area and the city's dashed."""
    _ = gettext_for(page.lang).gettext
    if view.indicator is None:
        return Markup("")
    name = page.name(view.indicator)
    labelled = [(area.name, series) for area, series in zip(view.areas, view.series, strict=True)]
    reference = (view.city.name, view.city_series) if view.city_series is not None else None
    lines = lines_figure.lines_for(labelled, reference=reference)
    title = _("{indicator} over time: {areas}").format(
        indicator=name, areas=", ".join(area.name for area in view.areas)
    )
    description = _(
        "One line per area, the city dashed; gaps where a value is missing or withheld. The table below the "
        "chart lists the same values."
    )
    fmt = _formatter(page, view.indicator)
    return svg(lines_figure.series_chart(lines, fmt=fmt, title=title, description=description))


def europe_map(
    points: Sequence[europe.EuropePoint],
    links: Sequence[europe.EuropeLink],
    page: PageContext,
    *,
    title: str,
    description: str,
    links_label: str | None = None,
    groups: Mapping[str, str] | None = None,
    id_prefix: str = "eu",
) -> Markup:
    """The Europe map of ``points`` and ``links`` (figures/europe.py) with the legend's words in the
    reader's language; ``links_label`` names the lines (default "Linked cities"), ``groups`` labels the
    group codes. Render ``europe.europe_rows(points, links)`` as a table beside it."""
    _ = gettext_for(page.lang).gettext
    words = europe.EuropeWords(
        title=title,
        description=description,
        population=_("Population"),
        no_population=_("Population not known"),
        outside=_("Not on the map (outside its area)"),
        links=links_label or _("Linked cities"),
        credit=_("Country outlines: Natural Earth (public domain), via world-atlas 2.0.2 (ISC)"),
        groups=groups or {},
    )
    return svg(
        europe.europe_map(points, links, words=words, id_prefix=id_prefix, fmt=lambda v: page.num(v, 0))
    )
