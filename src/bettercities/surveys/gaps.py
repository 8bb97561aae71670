"""Gap analysis: what a municipality says it collects and needs (its answers to the questions marked
``gap = holds`` and ``gap = needs``, select_multiple questions over the topics of the catalogue's reference
set: labour, poverty, education, housing, health, demography, participation) set against what it holds — the
catalogue's inventory (:func:`bettercities.catalog.inventory.inventory`) where the city uses bettercities.

A city that does not use bettercities has no inventory here: its answers are shown and the note says so
plainly; nothing is guessed.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.catalog.inventory import inventory, reference_set
from bettercities.catalog.schemas import InventoryStatus
from bettercities.core.errors import NotFound
from bettercities.publication import Audience
from bettercities.registry.service import using_city_ids
from bettercities.surveys.models import Survey, SurveyResponse
from bettercities.surveys.schemas import FormDefinition, GapAnalysis, GapRow, Item
from bettercities.surveys.versions import definition

__all__ = ["TOPIC_LABELS", "gaps"]

#: The reference set's topics (``area`` of catalog/data/reference_indicators.yaml): German, English.
TOPIC_LABELS: dict[str, tuple[str, str]] = {
    "labour": ("Arbeit und Beschäftigung", "Labour and employment"),
    "poverty": ("Armut und Einkommen", "Poverty and income"),
    "education": ("Bildung", "Education"),
    "housing": ("Wohnen", "Housing"),
    "health": ("Gesundheit", "Health"),
    "demography": ("Bevölkerung", "Demography"),
    "participation": ("Teilhabe", "Participation"),
}


def _finding(collects: bool, needs: bool, held: int | None) -> str:
    if held is None:
        return "unknown" if collects else ("need" if needs else "none")
    if collects:
        return "confirmed" if held else "not-in-bettercities"
    if held:
        return "unreported"
    return "need" if needs else "none"


def gaps(
    session: Session,
    survey_slug: str,
    city_slug: str,
    *,
    audience: Audience = Audience.PUBLIC,
    today: date | None = None,
    lang: str = "en",
) -> GapAnalysis:
    """The city's gap analysis for survey ``survey_slug`` (the inventory as ``audience`` may see it)."""
    survey = session.scalar(select(Survey).where(Survey.slug == survey_slug))
    if survey is None:
        raise NotFound("survey", survey_slug)
    city = areas.get_city(session, city_slug)
    form: FormDefinition = definition(session, survey_slug)
    row = session.scalar(
        select(SurveyResponse).where(SurveyResponse.survey_id == survey.id, SurveyResponse.city_id == city.id)
    )
    answers: dict[str, str] = json.loads(row.answers) if row is not None else {}
    said: dict[str, set[str]] = {"holds": set(), "needs": set()}
    marked: list[Item] = [q for q in form.questions() if q.gap]
    for question in marked:
        assert question.gap is not None
        said[question.gap] |= set(answers.get(question.name, "").split())
    uses = bool(using_city_ids(session, [city.id]))
    held: dict[str, int] = {}
    refs, _sources = reference_set()
    totals: dict[str, int] = {}
    for ref in refs:
        totals[ref.area] = totals.get(ref.area, 0) + 1
    as_of = today or date.today()
    if uses:
        view = inventory(session, city.slug, audience=audience, today=as_of)
        for inv in view.rows:
            if inv.status in {InventoryStatus.HELD, InventoryStatus.STALE, InventoryStatus.TOO_COARSE}:
                held[inv.reference.area] = held.get(inv.reference.area, 0) + 1
    rows = []
    for topic, (german, english) in TOPIC_LABELS.items():
        collects, needs = topic in said["holds"], topic in said["needs"]
        count = held.get(topic, 0) if uses else None
        rows.append(
            GapRow(
                topic=topic,
                label=german if lang == "de" else english,
                says_collects=collects,
                says_needs=needs,
                held=count,
                total=totals.get(topic, 0),
                finding=_finding(collects, needs, count),
            )
        )
    if not marked:
        note = "no-gap-questions"
    elif row is None:
        note = "no-response"
    elif not uses:
        note = "not-using"
    else:
        note = "compared"
    return GapAnalysis(
        survey=survey.slug,
        city=city.slug,
        city_name=city.name,
        uses_bettercities=uses,
        answered=row is not None,
        as_of=as_of,
        rows=rows,
        note=note,
    )
