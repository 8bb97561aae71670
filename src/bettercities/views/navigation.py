"""The city page's links to every analysis and data page of the city that the viewer may open.

One list serves the page and its JSON twin (``CityView.links``); the page translates each link's ``key``.
A page the viewer may not open (the data team's pages) is not linked at all. New analyses of a city (goals,
comparisons, change maps …) add their link here, in the group they belong to.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session

from bettercities.access.policy import Permission, can
from bettercities.analysis.index import results
from bettercities.analysis.index.config import parse_config
from bettercities.analysis.index.methods import get_method
from bettercities.analysis.index.models import IndexRun
from bettercities.analysis.priority.queries import fitting_preset
from bettercities.areas.models import City
from bettercities.indicators.schemas import IndicatorOut
from bettercities.views.reader import Reader
from bettercities.views.schemas import CityLink

#: Indicators a typology groups the areas by, when the link chooses them (the most telling first).
TYPOLOGY_INDICATORS = 4


def _href(path: str, **params: str | list[str] | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v}, doseq=True)
    return f"{path}?{query}" if query else path


def _run_indicators(session: Session, run_id: int) -> list[str]:
    """The indicators a stored index run read (its configuration's columns)."""
    run = session.get(IndexRun, run_id)
    if run is None:
        return []
    config = parse_config(json.loads(run.config), name=f"index run {run_id}")
    return get_method(run.method).indicator_columns(config)


def _typology_indicators(indicators: list[IndicatorOut], index_inputs: list[str], chosen: str) -> list[str]:
    """What the typology link groups the areas by: the indicators of the latest index run the city has,
    else the shown indicator and further shares or ratios with a direction (not counts, which grow with the
    area's size); at most :data:`TYPOLOGY_INDICATORS`."""
    available = {i.code for i in indicators}
    from_run = [code for code in index_inputs if code in available]
    if len(from_run) >= 2:
        return from_run[:TYPOLOGY_INDICATORS]
    telling = [i.code for i in indicators if i.polarity != "neutral" and i.kind in ("share", "ratio")]
    return [chosen, *(code for code in telling if code != chosen)][:TYPOLOGY_INDICATORS]


def city_links(
    reader: Reader,
    city: City,
    *,
    indicators: list[IndicatorOut],
    indicator: str | None,
    period: str | None,
    level: str | None,
) -> list[CityLink]:
    """The links of city ``city``'s page for the reader's principal; the spatial and typology pages open on
    the ``indicator``, ``period`` and ``level`` the map shows (``None``: a city without data, whose page links
    no analysis that needs data)."""
    base = f"/cities/{quote(city.slug, safe='')}"
    links: list[CityLink] = []

    def add(key: str, group: str, href: str, detail: str | None = None) -> None:
        links.append(CityLink(key=key, group=group, href=href, detail=detail))

    # every run is listed to everyone (its classes published for the viewer's audience on its page)
    latest = next(iter(results.list_runs(reader.session, city.slug)), None)
    if latest is not None:
        add("index-run", "analyses", f"{base}/index-runs/{latest.id}", latest.name)
    add("index-runs", "analyses", f"{base}/index-runs")
    if indicator is not None:
        add("spatial", "analyses", _href(f"{base}/spatial", indicator=indicator, period=period, level=level))
        index_inputs = _run_indicators(reader.session, latest.id) if latest is not None else []
        typology = _typology_indicators(indicators, index_inputs, indicator)
        if len(typology) >= 2:
            typology_href = _href(f"{base}/typology", indicator=typology, period=period, level=level)
            add("typology", "analyses", typology_href)
    rule = fitting_preset(latest.method) if latest is not None else None
    add("priority", "analyses", _href(f"{base}/priority", rule=rule))
    if indicator is not None:
        # the change of the shown indicator (the page's default periods: the oldest and the latest)
        add("change", "analyses", _href(f"{base}/indicators/{quote(indicator, safe='')}/change", level=level))
        add("compare", "analyses", f"{base}/compare")
    # goals and their scorecard: every visitor (each sees the goals on data the audience may see)
    add("goals", "analyses", f"{base}/goals")
    add("scorecard", "analyses", f"{base}/scorecard")
    # action plans: every visitor (a plan that is not public is listed only for the city's members)
    add("plans", "analyses", f"{base}/plans")
    # consultation rounds: every visitor (drafts are listed only for who may edit the city)
    add("consultations", "analyses", f"{base}/consultations")
    # interventions and their evaluations: every visitor (a run is listed for the audience it was read for)
    add("interventions", "analyses", f"{base}/interventions")
    # peer cities: every city (a registry profile, or only population and region, is enough to compare)
    add("peers", "analyses", f"{base}/peers")

    add("catalog", "data", f"{base}/catalog")
    add("inventory", "data", f"{base}/inventory")
    add("responsibilities", "data", f"{base}/responsibilities")
    add("privacy", "data", f"{base}/privacy")
    add("crosswalks", "data", f"{base}/crosswalks")

    principal = reader.principal
    if can(principal, Permission.VIEW_SUPPRESSED, city.id):
        add("quality-outliers", "team", f"{base}/quality/outliers")
        add("quality-rules", "team", f"{base}/quality/rules")
        add("quality-history", "team", f"{base}/quality/history")
    if can(principal, Permission.EDIT, city.id):
        add("import", "team", f"{base}/import")
    if can(principal, Permission.ADMINISTER, city.id):
        add("audit", "team", f"{base}/audit")
    return links
