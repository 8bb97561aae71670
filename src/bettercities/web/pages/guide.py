"""The guide of a programme as a page (``/programmes/{slug}/guide``), its JSON twin and its tagged PDF.

The page and the PDF show the same body (:mod:`bettercities.guide.document`), compiled from the data when
asked (:func:`bettercities.guide.service.build_guide`): its figures are today's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from bettercities.core.errors import InvalidInput
from bettercities.guide import document, service
from bettercities.guide.schemas import GuideDocument
from bettercities.reports.pdf import render_pdf
from bettercities.web.deps import Lang, SessionDep, TemplatesDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

GuideQuery = Annotated[
    str | None, Query(max_length=80, description="Guide slug (default: the programme's first guide).")
]


def _build(session: Session, programme: str, guide: str | None, lang: str) -> GuideDocument:
    slug = guide or service.guide_for_programme(session, programme)
    built = service.build_guide(session, slug, lang=lang)
    if built.programme != programme:
        raise InvalidInput(f"guide '{slug}' is of programme '{built.programme}', not '{programme}'")
    return built


@router.get("/programmes/{slug}/guide.json", response_model=GuideDocument, summary="Guide page (JSON twin)")
def guide_json(slug: str, session: SessionDep, lang: Lang, guide: GuideQuery = None) -> GuideDocument:
    return _build(session, slug, guide, lang)


@router.get("/programmes/{slug}/guide.pdf", include_in_schema=False)
def guide_pdf(slug: str, session: SessionDep, lang: Lang, guide: GuideQuery = None) -> Response:
    built = _build(session, slug, guide, lang)
    pdf = render_pdf(document.standalone(built))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{built.slug}-{lang}.pdf"'},
    )


@router.get("/programmes/{slug}/guide", response_class=HTMLResponse, include_in_schema=False)
def guide_page(
    request: Request,
    slug: str,
    session: SessionDep,
    lang: Lang,
    templates: TemplatesDep,
    guide: GuideQuery = None,
) -> HTMLResponse:
    built = _build(session, slug, guide, lang)
    return templates.render(
        request, "guide/guide.html", lang=lang, state={"guide": guide}, guide=built, body=document.body(built)
    )
