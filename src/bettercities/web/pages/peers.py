"""The peers page of a city, ``/cities/{slug}/peers``, and its JSON twin: suggested peers with score, the
overlap of their profiles, the features that make them alike and the themes that fit, under the constraints
of the form (GET, so every search is a permalink). Reads through :func:`bettercities.peers.service.peers`,
as the API and the CLI do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bettercities.core.errors import InvalidInput
from bettercities.peers import service
from bettercities.peers.constraints import LANGUAGES, PROGRAMMES
from bettercities.peers.schemas import CountryChoice, PeerQuery, PeerResult
from bettercities.web.deps import Lang, TemplatesDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES, form_messages
from bettercities.web.i18n import gettext_for

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

QueryDep = Annotated[PeerQuery, Depends()]


def words(lang: str) -> dict[str, dict[str, str]]:
    """The choices of the form in the reader's language."""
    _ = gettext_for(lang).gettext
    return {
        "country": {
            CountryChoice.ANY.value: _("any country"),
            CountryChoice.SAME.value: _("the same country"),
            CountryChoice.OTHER.value: _("another country"),
        },
        "size": {
            "any": _("any size"),
            "same": _("the same size class"),
            "small-town": _("small towns (under 20,000 inhabitants)"),
            "medium-town": _("medium-sized towns (20,000 to 99,999 inhabitants)"),
            "city": _("cities (100,000 to 499,999 inhabitants)"),
            "large-city": _("large cities (500,000 inhabitants and more)"),
        },
        "language": {
            "any": _("any language"),
            "same": _("a shared official language"),
            **{code: code for code in sorted(set().union(*LANGUAGES.values()))},
        },
        "programme": {"": _("no programme"), **{p.code: p.name for p in PROGRAMMES.values()}},
    }


@router.get("/cities/{slug}/peers.json", response_model=PeerResult, summary="Peers page (JSON twin)")
def peers_json(slug: str, params: QueryDep, workspace: WorkspaceDep) -> PeerResult:
    with workspace.database.reader() as session:
        return service.peers(session, slug, limit=params.limit, constraints=params.constraints())


@router.get("/cities/{slug}/peers", response_class=HTMLResponse, include_in_schema=False)
def peers_page(
    request: Request,
    slug: str,
    params: QueryDep,
    workspace: WorkspaceDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    errors: list[str] = []
    with workspace.database.reader() as session:
        try:
            result = service.peers(session, slug, limit=params.limit, constraints=params.constraints())
        except InvalidInput as error:
            # a refused constraint: the page again with the defaults and the message
            errors = form_messages(error, lang)
            params = PeerQuery(limit=params.limit)
            result = service.peers(session, slug, limit=params.limit, constraints=params.constraints())
    state = {k: v for k, v in params.model_dump().items() if v not in (None, "", "any")}
    return templates.render(
        request,
        "peers/peers.html",
        lang=lang,
        state=state,
        result=result,
        query=params,
        words=words(lang),
        errors=errors,
    )
