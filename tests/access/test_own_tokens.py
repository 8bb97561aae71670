"""A principal's own tokens and who it is (access.tokens.issue_own_token / revoke_own_token,
access.queries.me_view): the use cases behind ``/api/me`` and the account pages, without the web app."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bettercities import access as accounts
from bettercities.access import tokens
from bettercities.access.models import ApiToken
from bettercities.access.policy import ANONYMOUS, Permission, Principal, Role
from bettercities.access.queries import me_view
from bettercities.access.schemas import TokenIn
from bettercities.audit import list_entries
from bettercities.core.errors import Forbidden
from bettercities.storage.workspace import Workspace
from tests.access.conftest import PASSWORD


@pytest.fixture
def anna(cities: Workspace) -> Workspace:
    """User ``anna``: steward in city ``a``, viewer in ``b``."""
    with cities.database.session() as session:
        accounts.create_user(session, "anna", PASSWORD, display_name="Anna")
        accounts.grant(session, "anna", "a", Role.STEWARD)
        accounts.grant(session, "anna", "b", Role.VIEWER)
    return cities


def _principal(ws: Workspace, token: str | None = None) -> Principal:
    with ws.database.session() as session:
        if token is not None:
            principal = accounts.resolve_token(session, token)
        else:
            principal = accounts.principal_for(session, accounts.get_user(session, "anna"))
    assert principal is not None
    return principal


def test_me_view_shows_roles_and_token_scope(anna: Workspace) -> None:
    with anna.database.session() as session:
        limited = accounts.issue_token(session, "anna", name="a only", cities=["a"]).token
    with anna.database.reader() as session:
        assert me_view(session, ANONYMOUS).anonymous
        me = me_view(session, _principal(anna))
        scoped = me_view(session, _principal(anna, limited))
    assert (me.username, me.display_name, me.token) == ("anna", "Anna", None)
    assert [(r.city, r.role) for r in me.roles] == [("a", Role.STEWARD), ("b", Role.VIEWER)]
    assert Permission.EDIT in me.roles[0].permissions
    assert scoped.token is not None and (scoped.token.write, scoped.token.cities) == (False, ["a"])
    assert Permission.EDIT not in scoped.roles[0].permissions  # a read-only token narrows the role


def test_issue_and_revoke_own_token_are_recorded(anna: Workspace) -> None:
    with anna.database.session() as session:
        issued = tokens.issue_own_token(session, _principal(anna), TokenIn(name="ci", write=True))
    with anna.database.session() as session:
        revoked = tokens.revoke_own_token(session, _principal(anna), issued.info.id)
    assert revoked.revoked_at is not None
    with anna.database.reader() as session:
        actions = [e.action for e in list_entries(session, entity="api_token").items]
    assert actions == ["token-revoked", "token-issued"]


def test_a_token_issues_only_within_its_scope(anna: Workspace) -> None:
    with anna.database.session() as session:
        reader = accounts.issue_token(session, "anna", name="reader").token
        writer_a = accounts.issue_token(session, "anna", name="a", write=True, cities=["a"]).token
    with anna.database.session() as session, pytest.raises(Forbidden, match="read-only token"):
        tokens.issue_own_token(session, _principal(anna, reader), TokenIn(name="x"))
    for cities in (None, ["a", "b"]):
        with anna.database.session() as session, pytest.raises(Forbidden, match="reaches only a"):
            tokens.issue_own_token(session, _principal(anna, writer_a), TokenIn(name="x", cities=cities))
    with anna.database.session() as session:
        within = tokens.issue_own_token(session, _principal(anna, writer_a), TokenIn(name="x", cities=["a"]))
    assert within.info.cities == ["a"]
    with anna.database.session() as session, pytest.raises(Forbidden, match="sign in"):
        tokens.issue_own_token(session, ANONYMOUS, TokenIn(name="x"))
    with anna.database.reader() as session:
        assert (
            session.scalar(select(func.count()).select_from(ApiToken)) == 3
        )  # the refused requests issued nothing
