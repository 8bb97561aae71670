"""The guide builder: store a guide of a programme (what to compile) and compile it, chapter by chapter along
the four questions, into a :class:`GuideDocument`, HTML and a tagged PDF.

A chapter holds its introduction, the survey's results for its questions (``surveys.service.results``: small
groups withheld by the survey's own rule; a chapter says plainly when the programme has no survey or no
results to show), the practices selected for it and the recommendations of the events selected for it. The
figures are drawn from the stored data when the guide is built and name their source and date: the member
municipalities of the programme's networks by country, and each survey question's answers. Problems are
``guide-`` codes; the audit domain's storage hooks record every write.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.guide import charts, document
from bettercities.guide.chapters import Chapter, chapter_of_section
from bettercities.guide.models import Guide, GuideEvent, GuidePractice
from bettercities.guide.schemas import (
    ChapterOut,
    FigureOut,
    GuideDocument,
    GuideIn,
    GuideItemIn,
    GuideOut,
    RecommendationOut,
    SurveySection,
)
from bettercities.hub import queries as hub
from bettercities.hub.models import Event, Practice
from bettercities.networks.history import get_programme, programme_members
from bettercities.networks.models import Programme
from bettercities.reports.i18n import LANGUAGES, translations
from bettercities.reports.pdf import render_pdf

__all__ = [
    "build_guide",
    "get_guide",
    "guide_for_programme",
    "guide_html",
    "guide_pdf",
    "list_guides",
    "save_guide",
]

SOURCE = "guide"


def _problem(code: str, message: str, *, column: str, value: str | None = None) -> Problem:
    return Problem(code=code, message=message, column=column, value=value, file=SOURCE)


def _today() -> date:
    return datetime.now(UTC).date()


# -- stored guides -----------------------------------------------------------------------------------------


def save_guide(session: Session, spec: GuideIn, *, by: str) -> GuideOut:
    """Store a guide, or replace the stored one of the same slug (same programme): its titles, introductions,
    survey and selection. Unknown practices and events are refused with ``guide-unknown-item`` (one problem
    each, column ``practices``/``events``), a practice or event of another programme with
    ``guide-other-programme``; nothing is written then."""
    programme = get_programme(session, spec.programme)
    problems: list[Problem] = []
    chosen: dict[str, list[tuple[int, Chapter]]] = {"practices": [], "events": []}
    kinds: tuple[tuple[str, Any, list[GuideItemIn]], ...] = (
        ("practices", Practice, spec.practices),
        ("events", Event, spec.events),
    )
    for column, model, items in kinds:
        seen: set[str] = set()
        for item in items:
            row = session.scalar(select(model).where(model.slug == item.slug))
            if row is None:
                message = f"no {column[:-1]} '{item.slug}'"
                problems.append(_problem("guide-unknown-item", message, column=column, value=item.slug))
            elif row.programme_id not in (None, programme.id):
                message = f"{column[:-1]} '{item.slug}' belongs to another programme"
                problems.append(_problem("guide-other-programme", message, column=column, value=item.slug))
            elif item.slug not in seen:
                seen.add(item.slug)
                chosen[column].append((row.id, item.chapter))
    for chapter, texts in spec.intros.items():
        for lang, text in texts.items():
            where = f"the introduction of chapter '{chapter.value}'"
            if lang not in LANGUAGES:
                message = f"{where} is in '{lang}': use de or en"
                problems.append(_problem("guide-invalid-intro", message, column="intros", value=lang))
            elif any(ord(c) < 32 and c not in "\n\r\t" for c in text):
                message = f"{where} contains a control character"
                problems.append(_problem("guide-invalid-intro", message, column="intros"))
    if problems:
        raise InvalidInput("; ".join(p.message for p in problems), Report(source=SOURCE, problems=problems))
    guide = session.scalar(select(Guide).where(Guide.slug == spec.slug))
    if guide is not None and guide.programme_id != programme.id:
        raise Conflict(f"guide '{spec.slug}' exists already for another programme")
    intros = {c.value: {k: v.strip() for k, v in t.items() if v.strip()} for c, t in spec.intros.items()}
    values = {
        "title_de": spec.title_de.strip(),
        "title_en": spec.title_en.strip(),
        "intros": json.dumps(intros, ensure_ascii=False, sort_keys=True),
        "survey_slug": spec.survey or None,
    }
    if guide is None:
        guide = Guide(slug=spec.slug, programme_id=programme.id, created_by=by, **values)
        session.add(guide)
        session.flush()
    else:
        for key, value in values.items():
            if getattr(guide, key) != value:
                setattr(guide, key, value)
    _replace_links(session, guide, GuidePractice, "practice_id", chosen["practices"])
    _replace_links(session, guide, GuideEvent, "event_id", chosen["events"])
    session.flush()
    return guide_out(session, guide)


def _replace_links(
    session: Session, guide: Guide, model: Any, key: str, wanted: Sequence[tuple[int, Chapter]]
) -> None:
    """The guide's links become ``wanted``; a selection saved again unchanged writes nothing."""
    stored = [
        (getattr(r, key), r.chapter)
        for r in session.scalars(select(model).where(model.guide_id == guide.id).order_by(model.position))
    ]
    if stored == [(i, c.value) for i, c in wanted]:
        return
    session.execute(delete(model).where(model.guide_id == guide.id))
    session.add_all(
        model(guide_id=guide.id, chapter=chapter.value, position=n, **{key: item})
        for n, (item, chapter) in enumerate(wanted)
    )


def guide_out(session: Session, guide: Guide) -> GuideOut:
    programme = session.get(Programme, guide.programme_id)
    items: dict[str, list[GuideItemIn]] = {}
    for name, link, model, key in (
        ("practices", GuidePractice, Practice, GuidePractice.practice_id),
        ("events", GuideEvent, Event, GuideEvent.event_id),
    ):
        rows = session.execute(
            select(model.slug, link.chapter).join(link, key == model.id)
            .where(link.guide_id == guide.id).order_by(link.position)
        ).all()  # fmt: skip
        items[name] = [GuideItemIn(slug=s, chapter=Chapter(c)) for s, c in rows]
    return GuideOut(
        slug=guide.slug,
        programme=programme.slug if programme else "",
        title_de=guide.title_de,
        title_en=guide.title_en,
        intros=json.loads(guide.intros or "{}"),
        survey=guide.survey_slug,
        practices=items["practices"],
        events=items["events"],
        created_by=guide.created_by,
    )


def _guide_row(session: Session, slug: str) -> Guide:
    guide = session.scalar(select(Guide).where(Guide.slug == slug))
    if guide is None:
        raise NotFound("guide", slug)
    return guide


def get_guide(session: Session, slug: str) -> GuideOut:
    return guide_out(session, _guide_row(session, slug))


def list_guides(session: Session, *, programme_slug: str | None = None) -> list[GuideOut]:
    statement = select(Guide).order_by(Guide.slug)
    if programme_slug:
        statement = statement.where(Guide.programme_id == get_programme(session, programme_slug).id)
    return [guide_out(session, g) for g in session.scalars(statement)]


def guide_for_programme(session: Session, programme_slug: str) -> str:
    """The slug of the programme's guide (the first by slug when it has several); :class:`NotFound` when it
    has none."""
    programme = get_programme(session, programme_slug)
    slug = session.scalar(select(Guide.slug).where(Guide.programme_id == programme.id).order_by(Guide.slug))
    if slug is None:
        raise NotFound("guide of programme", programme_slug)
    return slug


# -- compiling ---------------------------------------------------------------------------------------------


def _formatters(lang: str) -> tuple[Callable[[float], str], Callable[[float], str], Callable[[date], str]]:
    from bettercities.reports.html import date_text, number, with_unit

    def count(value: float) -> str:
        return number(value, 0, lang)

    def share(value: float) -> str:
        return with_unit(number(100 * value, 0, lang), "%", lang)

    return count, share, lambda day: date_text(day, lang)


def _chapter_titles(lang: str) -> dict[Chapter, str]:
    _ = translations(lang).gettext
    return {
        Chapter.COLLECT: _("What do you collect?"),
        Chapter.MANAGE: _("How is it collected and managed?"),
        Chapter.USE: _("How do you use it for priorities and goals?"),
        Chapter.IMPACT: _("How do you measure impact?"),
    }


def _participation(session: Session, programme: Programme, lang: str, today: date) -> list[FigureOut]:
    """The member municipalities of the programme's networks by country (current active memberships; an
    organisation counts as its municipality, or by its own name when it has none)."""
    _ = translations(lang).gettext
    count, _share, day = _formatters(lang)
    members = [m for m in programme_members(session, programme.slug) if m.status == "active"]
    by_country: dict[str, set[str]] = {}
    for m in members:
        by_country.setdefault(m.country, set()).add(m.city or f"org:{m.member}")
    if not by_country:
        return []
    counts = Counter({country: len(cities) for country, cities in by_country.items()})
    bars = [charts.Bar(label=c, value=n) for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    total = len({x for cities in by_country.values() for x in cities})
    title = _("Member municipalities of the programme's networks by country")
    svg = charts.bar_chart(
        bars, title=title, fmt=count,
        description=_("{n} municipalities in {k} countries").format(n=count(total), k=count(len(bars))),
    )  # fmt: skip
    source = _(
        "Source: bettercities, memberships of the networks of {programme} as recorded on {day}."
    ).format(programme=programme.name, day=day(today))
    return [FigureOut(title=title, svg=svg, rows=[(b.label, count(b.value)) for b in bars], source=source,
                      as_of=today)]  # fmt: skip


def _survey_slug(session: Session, guide: Guide, programme: Programme) -> str | None:
    if guide.survey_slug:
        return guide.survey_slug
    try:
        from bettercities.surveys import service as surveys
    except ImportError:  # a build without the surveys domain: the chapters say there is no survey
        return None
    found = surveys.list_surveys(session, programme_slug=programme.slug)
    return found[0].slug if found else None


def _survey_sections(
    session: Session, slug: str | None, lang: str, today: date
) -> dict[Chapter, SurveySection]:
    """Per chapter, the figures of the survey's questions of that chapter (select questions: the share of
    respondents per answer), or the plain reason there are none."""
    _ = translations(lang).gettext
    count, share, day = _formatters(lang)
    empty = {c: SurveySection(survey=None, title=None, respondents=None,
                              note=_("The programme has no survey, so this chapter shows no survey results."))
             for c in Chapter}  # fmt: skip
    if slug is None:
        return empty
    try:
        from bettercities.surveys import service as surveys

        results = surveys.results(session, slug, lang=lang)
    except (ImportError, NotFound):
        return empty
    if results.respondents is None:
        note = _("Fewer municipalities answered the survey “{title}” than its minimum group size ({n}): its"
                 " results are withheld.").format(title=results.title, n=results.min_group_size)  # fmt: skip
        return {
            c: SurveySection(survey=slug, title=results.title, respondents=None, note=note) for c in Chapter
        }
    sections = {c: SurveySection(survey=slug, title=results.title, respondents=results.respondents)
                for c in Chapter}  # fmt: skip
    order: list[str | None] = []
    for question in results.questions:
        if question.section not in order:
            order.append(question.section)
        chapter = chapter_of_section(question.section, order.index(question.section))
        if chapter is None or not question.kind.startswith("select"):
            continue
        group = question.groups[0] if question.groups else None
        if group is None or group.withheld or not group.answers:
            sections[chapter].withheld.append(question.label)
            continue
        bars = [charts.Bar(label=a.label, value=a.share) for a in group.answers]
        source = _("Source: survey “{title}”, {n} responding municipalities, results as of {day}.").format(
            title=results.title, n=count(results.respondents), day=day(today)
        )
        svg = charts.bar_chart(bars, title=question.label, maximum=1.0, fmt=share,
                               description=_("Share of responding municipalities per answer"))  # fmt: skip
        sections[chapter].figures.append(
            FigureOut(
                title=question.label,
                svg=svg,
                rows=[(b.label, share(b.value)) for b in bars],
                source=source,
                as_of=today,
            )
        )
    for section in sections.values():
        if not section.figures and not section.withheld:
            section.note = _("The survey asks no multiple-choice question for this chapter.")
    return sections


def build_guide(session: Session, guide_slug: str, *, lang: str) -> GuideDocument:
    """The guide compiled in ``lang`` (de or en) from the data as they are now."""
    if lang not in LANGUAGES:
        raise InvalidInput(f"no guide language '{lang}': use de or en", Report(source=SOURCE, problems=[
            _problem("guide-invalid-language", f"no guide language '{lang}': use de or en", column="lang",
                     value=lang)]))  # fmt: skip
    guide = _guide_row(session, guide_slug)
    programme = session.get(Programme, guide.programme_id)
    assert programme is not None  # the foreign key cascades
    today = _today()
    intros = json.loads(guide.intros or "{}")
    titles = _chapter_titles(lang)
    survey = _survey_sections(session, _survey_slug(session, guide, programme), lang, today)
    practices: dict[str, list[Any]] = {c.value: [] for c in Chapter}
    for p, chapter in session.execute(
        select(Practice, GuidePractice.chapter).join(GuidePractice, GuidePractice.practice_id == Practice.id)
        .where(GuidePractice.guide_id == guide.id).order_by(GuidePractice.position)
    ).all():  # fmt: skip
        practices[chapter].append(hub.practice_out(session, p, goal_ids=set()))
    recommendations: dict[str, list[RecommendationOut]] = {c.value: [] for c in Chapter}
    for e, chapter in session.execute(
        select(Event, GuideEvent.chapter).join(GuideEvent, GuideEvent.event_id == Event.id)
        .where(GuideEvent.guide_id == guide.id).order_by(GuideEvent.position)
    ).all():  # fmt: skip
        for text in json.loads(e.recommendations or "[]"):
            recommendations[chapter].append(
                RecommendationOut(
                    event=e.slug, event_title=e.title, held_on=e.held_on, text=text, language=e.language
                )
            )
    chapters = [
        ChapterOut(
            code=c,
            number=c.number,
            title=titles[c],
            intro=(intros.get(c.value) or {}).get(lang),
            survey=survey[c],
            practices=practices[c.value],
            recommendations=recommendations[c.value],
            figures=[],
        )
        for c in Chapter
    ]
    return GuideDocument(
        slug=guide.slug,
        lang=lang,
        title=guide.title_de if lang == "de" else guide.title_en,
        programme=programme.slug,
        programme_name=programme.name,
        generated=today,
        overview=_participation(session, programme, lang, today),
        chapters=chapters,
    )


def guide_html(session: Session, guide_slug: str, *, lang: str) -> str:
    """The guide as a standalone HTML document (stylesheet inline)."""
    return document.standalone(build_guide(session, guide_slug, lang=lang))


def guide_pdf(session: Session, guide_slug: str, *, lang: str) -> bytes:
    """The guide as a tagged PDF (PDF/UA-1, :func:`bettercities.reports.pdf.render_pdf`; no network)."""
    return render_pdf(guide_html(session, guide_slug, lang=lang))
