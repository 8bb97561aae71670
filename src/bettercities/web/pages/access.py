"""Sign-in, sign-out and the account pages: who am I, change the password, issue and revoke API tokens.

The session cookie ``bc_session`` is HttpOnly, SameSite=Lax, Path=/ and Secure on https; it holds the raw
session key, which the database stores only as a hash. Every form carries the CSRF token (see
:mod:`bettercities.web.auth`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from bettercities.access import sessions, tokens
from bettercities.access.policy import signed_in
from bettercities.access.queries import me_view
from bettercities.access.schemas import IssuedToken, MeOut, TokenIn, TokenOut
from bettercities.audit.context import Actor, acting_as
from bettercities.audit.service import record_event
from bettercities.core.errors import InvalidInput
from bettercities.web import auth
from bettercities.web.deps import (
    DbId,
    Lang,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    TemplatesDep,
    WorkspaceDep,
)
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

NO_STORE = {"Cache-Control": "no-store"}


class LoginForm(BaseModel):
    """The sign-in form (its JSON twin): where it leads afterwards. Programs use API tokens instead."""

    next: str
    tokens: str = "/api/me/tokens"


def _login_page(
    request: Request,
    templates: TemplatesDep,
    lang: str,
    *,
    next_url: str,
    username: str = "",
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    nonce = auth.login_nonce(request)
    response = templates.render(
        request,
        "access/login.html",
        lang=lang,
        state={"next": next_url if next_url != "/account" else None},
        next_url=next_url,
        username=username,
        error=error,
        status_code=status_code,
    )
    response.set_cookie(
        auth.LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="lax",
        path="/login",
        secure=request.url.scheme == "https",
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/login.json", response_model=LoginForm, summary="Sign-in page (JSON twin)")
def login_json(next: str | None = None) -> LoginForm:
    return LoginForm(next=auth.safe_next(next))


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(
    request: Request, templates: TemplatesDep, lang: Lang, next: str | None = None
) -> HTMLResponse:
    return _login_page(request, templates, lang, next_url=auth.safe_next(next))


@router.post("/login", include_in_schema=False, response_model=None)
def login(
    request: Request,
    workspace: WorkspaceDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    lang: Lang,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Sign in: on success a new session and back to ``next`` (a local path only), else the form again."""
    target = auth.safe_next(next)
    request_id = auth.current(request).request_id
    try:
        with workspace.database.session() as session:
            user = sessions.authenticate(session, username, password, settings=settings)
            previous = auth.current(request).session_token
            if previous is not None:  # signing in again (perhaps as someone else) ends the old session
                sessions.end_session(session, previous)
            raw = sessions.start_session(session, user, settings=settings)
            actor = Actor(user.username, user.id, "web", request_id)
            with acting_as(actor):
                record_event(
                    session,
                    "login",
                    summary=f"{user.username} signed in",
                    entity="app_user",
                    entity_key=user.username,
                )
    except sessions.LoginRefused as refused:
        with workspace.database.session() as session:
            subject = sessions.sign_in_subject(session, username)
            record_event(
                session,
                "login-failed",
                summary=f"failed sign-in as {subject}"
                + (" (locked)" if refused.locked_until is not None else ""),
                entity="app_user",
                entity_key=subject,
            )
        return _login_page(
            request, templates, lang, next_url=target, username=username, error=str(refused), status_code=401
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        raw,
        max_age=settings.session_max_days * 24 * 3600,
        httponly=True,
        samesite="lax",
        path="/",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(auth.LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, workspace: WorkspaceDep, principal: PrincipalDep) -> RedirectResponse:
    """Sign out: end the session (when there is one) and forget the cookie."""
    raw = auth.current(request).session_token
    if raw is not None:
        with workspace.database.session() as session:
            sessions.end_session(session, raw)
            record_event(
                session,
                "logout",
                summary=f"{principal.name} signed out",
                entity="app_user",
                entity_key=principal.name,
            )
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.get("/account.json", response_model=MeOut, summary="Account page (JSON twin)")
def account_json(session: SessionDep, principal: PrincipalDep) -> MeOut:
    signed_in(principal)
    return me_view(session, principal)


def _account_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    lang: str,
    *,
    message: str = "",
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    signed_in(principal)
    response = templates.render(
        request,
        "access/account.html",
        lang=lang,
        me=me_view(session, principal),
        message=message,
        error=error,
        status_code=status_code,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
def account_page(
    request: Request, session: SessionDep, principal: PrincipalDep, templates: TemplatesDep, lang: Lang
) -> HTMLResponse:
    return _account_page(request, session, principal, templates, lang)


@router.post("/account/password", include_in_schema=False, response_model=None)
def change_password(
    request: Request,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    lang: Lang,
    old_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    repeat_password: Annotated[str, Form()] = "",
) -> Response:
    """Change one's own password; the other sessions of the user end."""
    username = signed_in(principal)
    if new_password != repeat_password:
        return _account_page(
            request,
            session,
            principal,
            templates,
            lang,
            error="the two new passwords differ",
            status_code=422,
        )
    try:
        with workspace.database.session() as writer:
            sessions.change_password(  # records the event password-changed
                writer, username, old_password, new_password, keep_session=auth.current(request).session_token
            )
    except (sessions.LoginRefused, InvalidInput) as refused:
        return _account_page(
            request, session, principal, templates, lang, error=str(refused), status_code=422
        )
    return RedirectResponse(f"/account?lang={lang}&changed=1", status_code=303)


def _tokens_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    lang: str,
    *,
    issued: IssuedToken | None = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    username = signed_in(principal)
    response = templates.render(
        request,
        "access/tokens.html",
        lang=lang,
        me=me_view(session, principal),
        tokens=tokens.list_tokens(session, username),
        issued=issued,
        error=error,
        status_code=status_code,
    )
    response.headers.update(NO_STORE)  # the issued token is on this page once; no cache may keep it
    return response


@router.get("/account/tokens.json", response_model=list[TokenOut], summary="API tokens page (JSON twin)")
def tokens_json(session: SessionDep, principal: PrincipalDep) -> list[TokenOut]:
    return tokens.list_tokens(session, signed_in(principal))


@router.get("/account/tokens", response_class=HTMLResponse, include_in_schema=False)
def tokens_page(
    request: Request, session: SessionDep, principal: PrincipalDep, templates: TemplatesDep, lang: Lang
) -> HTMLResponse:
    return _tokens_page(request, session, principal, templates, lang)


@router.post("/account/tokens", include_in_schema=False, response_model=None)
def issue_token(
    request: Request,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    templates: TemplatesDep,
    lang: Lang,
    name: Annotated[str, Form()] = "",
    write: Annotated[bool, Form()] = False,
    cities: Annotated[list[str] | None, Form()] = None,
    expires_days: Annotated[int, Form()] = 90,
) -> Response:
    """Issue a token; the result page shows its secret this once."""
    signed_in(principal)
    try:
        wanted = TokenIn(name=name.strip(), write=write, cities=cities or None, expires_days=expires_days)
    except ValidationError as error:
        message = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in error.errors())
        return _tokens_page(request, session, principal, templates, lang, error=message, status_code=422)
    try:
        with workspace.database.session() as writer:
            issued = tokens.issue_own_token(writer, principal, wanted)
    except InvalidInput as refused:
        return _tokens_page(request, session, principal, templates, lang, error=str(refused), status_code=422)
    with workspace.database.reader() as fresh:  # a new read sees the new token in the list
        return _tokens_page(request, fresh, principal, templates, lang, issued=issued, status_code=201)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(
    token_id: DbId, workspace: WorkspaceDep, principal: PrincipalDep, lang: Lang
) -> RedirectResponse:
    with workspace.database.session() as session:
        tokens.revoke_own_token(session, principal, token_id)
    return RedirectResponse(f"/account/tokens?lang={lang}", status_code=303)
