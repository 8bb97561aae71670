"""The demo's knowledge hub and guide: three practices of the synthetic demo city, the four
webinars of URBACT's social-data series (15, 22 and 29 January and 19 February 2026) as events, and one guide
of the URBACT programme that compiles them with the survey's results and the platform's figures.

The webinars' dates are the issue's; what each webinar is about follows the four questions of the series, and
their outcomes and recommendations are written for the demo (marked as such in the text): they are no
record of what was said, and no speaker is named, only roles. The practices are the demo city's, which is
synthetic, linked to its own indicators and goals. Idempotent: a second run finds the entries and adds
nothing.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import select

from bettercities.areas.models import City
from bettercities.goals.models import Goal
from bettercities.guide import service as guides
from bettercities.guide.chapters import Chapter
from bettercities.guide.models import Guide
from bettercities.guide.schemas import GuideIn, GuideItemIn
from bettercities.hub import service
from bettercities.hub.models import Event, Practice
from bettercities.hub.schemas import EventIn, PracticeIn
from bettercities.indicators.models import Indicator
from bettercities.networks.models import Programme
from bettercities.storage.workspace import Workspace

__all__ = ["GUIDE", "PROGRAMME", "DemoHubSummary", "load_hub"]

PROGRAMME = "urbact-iv"
GUIDE = "urbact-social-data-guide"
BY = "demo"
NOTE = " (Demo text written for bettercities' demo, not a record of the webinar.)"

WEBINARS = (
    (
        date(2026, 1, 15),
        "collect",
        "What do you collect?",
        "Which social data cities hold: topics, sources and the finest spatial level.",
        "Most cities hold population and benefit data by district; few below it.",
        (
            "Start with an inventory of the social data the city already holds, by topic and spatial level.",
            "Agree on one set of small areas that every department reports on.",
        ),
    ),
    (
        date(2026, 1, 22),
        "manage",
        "How is it collected and managed?",
        "Sources, tools and staff: how social data are collected, kept and shared.",
        "Data often sit in separate departments and spreadsheets; updates depend on single persons.",
        (
            "Name a data steward for every dataset, with its source, update cycle and licence.",
            "Keep the data in one catalogue that says who may see what.",
        ),
    ),
    (
        date(2026, 1, 29),
        "use",
        "How do you use it for priorities and goals?",
        "From indicators to priority areas and measurable goals.",
        "Priorities are often set on a single indicator; goals rarely have a baseline and a deadline.",
        (
            "Combine several indicators into a transparent index before choosing priority areas.",
            "Give every goal a baseline, a target and a deadline, and publish its progress.",
        ),
    ),
    (
        date(2026, 2, 19),
        "impact",
        "How do you measure impact?",
        "Measuring what measures change: comparison areas and honest uncertainty.",
        "Impact is mostly described, seldom measured against comparison areas.",
        (
            "Plan the evaluation before the measure starts: outcome indicator, comparison areas, periods.",
            "Report the uncertainty of every estimated effect.",
        ),
    ),
)


class DemoHubSummary(BaseModel):
    """What the step added (nothing on a second run)."""

    built: bool
    practices: int
    events: int
    guide: str | None


def _practices(city: str, indicators: list[str], goals: list[int]) -> list[tuple[PracticeIn, Chapter]]:
    return [
        (PracticeIn(
            slug=f"{city}-small-area-monitoring", title="Small-area social monitoring", language="en",
            city=city, programme=PROGRAMME, theme="social monitoring",
            summary="The demo city publishes its social indicators for every planning area each year, with "
            "suppressed small counts and a catalogue of datasets that names each source and update cycle.",
            results="Every department reads the same figures for the same areas; requests for special "
            "evaluations fell. (Demo text: the demo city is synthetic.)",
            indicators=indicators,
        ), Chapter.COLLECT),
        (PracticeIn(
            slug=f"{city}-priority-areas", title="Prioritäre Gebiete aus einem Index", language="de",
            city=city, programme=PROGRAMME, theme="priorities and goals",
            summary="Die Demostadt bestimmt ihre prioritären Gebiete mit einem Index aus mehreren sozialen "
            "Indikatoren und setzt für sie messbare Ziele mit Ausgangswert, Zielwert und Frist.",
            results="Die Ziele werden jährlich mit den neuen Daten fortgeschrieben und öffentlich gezeigt. "
            "(Demotext: die Demostadt ist synthetisch.)",
            indicators=indicators, goals=goals,
        ), Chapter.USE),
        (PracticeIn(
            slug=f"{city}-impact-evaluation", title="Evaluating a neighbourhood programme", language="en",
            city=city, programme=PROGRAMME, theme="impact",
            summary="The demo city compares the areas of a neighbourhood programme with similar areas "
            "without it, using difference-in-differences on its own indicators.",
            results="The estimated effect is reported with its confidence interval. (Demo text: the demo "
            "city is synthetic.)",
        ), Chapter.IMPACT),
    ]  # fmt: skip


def _events() -> list[tuple[EventIn, Chapter]]:
    found = []
    for n, (day, chapter, question, topic, outcome, recommendations) in enumerate(WEBINARS, 1):
        found.append((
            EventIn(
                slug=f"urbact-social-data-webinar-{n}", title=f"Social data webinar {n}: {question}",
                kind="webinar", language="en", held_on=day, programme=PROGRAMME, theme="social data",
                topic=topic, speakers=["URBACT expert", "Representatives of partner cities"],
                outcomes=outcome + NOTE, recommendations=list(recommendations),
            ),
            Chapter(chapter),
        ))  # fmt: skip
    return found


def _survey(session: object) -> str | None:
    """The demo's practice survey (of this programme if there is one, else the first), if the surveys step
    stored one."""
    try:
        from bettercities.surveys import service as surveys
    except ImportError:
        return None
    found = surveys.list_surveys(session)  # type: ignore[arg-type]
    ours = [s for s in found if s.programme == PROGRAMME]
    return (ours or found)[0].slug if (ours or found) else None


def load_hub(workspace: Workspace, city_slug: str) -> DemoHubSummary:
    """Add the practices, events and guide that are missing (all of them on a first run)."""
    with workspace.database.session() as session:
        if session.scalar(select(Programme.id).where(Programme.slug == PROGRAMME)) is None:
            return DemoHubSummary(built=False, practices=0, events=0, guide=None)
        city = session.scalar(select(City).where(City.slug == city_slug))
        goal = session.scalar(select(Goal).where(Goal.city_id == city.id).order_by(Goal.id)) if city else None
        codes = []
        if goal is not None and goal.indicator_id is not None:
            codes = [
                c
                for c in [session.scalar(select(Indicator.code).where(Indicator.id == goal.indicator_id))]
                if c
            ]
        practices = _practices(city_slug, codes, [goal.id] if goal else []) if city else []
        events = _events()
        added_p = added_e = 0
        for spec, _chapter in practices:
            if session.scalar(select(Practice.id).where(Practice.slug == spec.slug)) is None:
                service.add_practice(session, spec, by=BY)
                added_p += 1
        for event, _chapter in events:
            if session.scalar(select(Event.id).where(Event.slug == event.slug)) is None:
                service.add_event(session, event, by=BY)
                added_e += 1
        built = bool(added_p or added_e)
        if session.scalar(select(Guide.id).where(Guide.slug == GUIDE)) is None:
            guides.save_guide(session, GuideIn(
                slug=GUIDE, programme=PROGRAMME,
                title_de="Sozialdatenbasierte Stadtpolitik: ein Leitfaden",
                title_en="Social-data-based urban policy: a guide",
                intros={
                    Chapter.COLLECT: {"de": "Welche Sozialdaten Städte haben und wo ihnen welche fehlen.",
                                      "en": "Which social data cities hold, and where they lack them."},
                    Chapter.MANAGE: {"de": "Wie Daten erhoben, gepflegt und geteilt werden.",
                                     "en": "How data are collected, kept and shared."},
                    Chapter.USE: {"de": "Wie aus Daten Prioritäten und messbare Ziele werden.",
                                  "en": "How data become priorities and measurable goals."},
                    Chapter.IMPACT: {"de": "Wie Städte die Wirkung ihrer Maßnahmen messen.",
                                     "en": "How cities measure the impact of their measures."},
                },
                survey=_survey(session),
                practices=[GuideItemIn(slug=p.slug, chapter=c) for p, c in practices],
                events=[GuideItemIn(slug=e.slug, chapter=c) for e, c in events],
            ), by=BY)  # fmt: skip
            built = True
        return DemoHubSummary(built=built, practices=added_p, events=added_e, guide=GUIDE)
