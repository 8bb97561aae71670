"""Running a page's write form: the write in a session of its own, then 303 to the page, or the page again
with the reasons in the reader's language (422). One helper for every coordinator's form."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.storage.workspace import Workspace
from bettercities.web.errors import form_messages

T = TypeVar("T")

#: What a form's write may refuse with: shown on the page again, never a 4xx/5xx error page.
REFUSALS = (InvalidInput, ValidationError, Conflict, NotFound)


def refusal_messages(error: InvalidInput | ValidationError | Conflict | NotFound, lang: str) -> list[str]:
    """The reasons of a refused write: a conflict that carries a report reads as its problems (like an
    invalid input); another conflict or a missing object as its message."""
    if isinstance(error, Conflict):
        if error.report is not None:
            return form_messages(InvalidInput(str(error), error.report), lang)
        return [str(error)]
    if isinstance(error, NotFound):
        return [str(error)]
    return form_messages(error, lang)


def run_form(
    workspace: Workspace,
    lang: str,
    action: Callable[[Session], T],
    *,
    refused: Callable[[list[str]], HTMLResponse],
    done: str | Callable[[T], str],
) -> HTMLResponse | RedirectResponse:
    """``action(session)`` in a transaction of its own; then 303 to ``done`` (a path, or one made from the
    action's result) in ``lang``, or ``refused(messages)`` (the page again, 422) when the write is refused:
    nothing of a refused write is kept."""
    try:
        with workspace.database.session() as writing:
            result = action(writing)
    except REFUSALS as error:
        return refused(refusal_messages(error, lang))
    location = done(result) if callable(done) else done
    return RedirectResponse(f"{location}?lang={lang}", status_code=303)
