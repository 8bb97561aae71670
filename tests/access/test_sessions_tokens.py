"""Sign-in sessions, API tokens and principals (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from bettercities import access as accounts
from bettercities import networks
from bettercities.access.models import ApiToken, LoginSession
from bettercities.access.policy import NetworkRole, Permission, Role, TokenScope, can
from bettercities.areas import service as areas
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.storage.workspace import Workspace
from tests.access.conftest import PASSWORD

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def anna(cities: Workspace) -> Workspace:
    """User ``anna``: steward in city ``a``, viewer in ``b``."""
    with cities.database.session() as session:
        accounts.create_user(session, "anna", PASSWORD)
        accounts.grant(session, "anna", "a", Role.STEWARD)
        accounts.grant(session, "anna", "b", Role.VIEWER)
    return cities


def _ids(ws: Workspace) -> dict[str, int]:
    with ws.database.reader() as session:
        return {c.slug: c.id for c in (areas.get_city(session, s) for s in ("a", "b"))}


def _start(ws: Workspace, now: datetime = T0) -> str:
    with ws.database.session() as session:
        return accounts.start_session(session, accounts.authenticate(session, "anna", PASSWORD), now=now)


def _resolve(ws: Workspace, raw: str, now: datetime) -> object:
    with ws.database.session() as session:
        return accounts.resolve_session(session, raw, now=now)


def test_session_resolves_to_the_users_principal(anna: Workspace) -> None:
    ids = _ids(anna)
    raw = _start(anna)
    with anna.database.session() as session:
        principal = accounts.resolve_session(session, raw, now=T0 + timedelta(minutes=1))
    assert principal is not None and principal.name == "anna" and principal.scope is None
    assert dict(principal.city_roles) == {ids["a"]: Role.STEWARD, ids["b"]: Role.VIEWER}
    assert can(principal, Permission.EDIT, ids["a"]) and not can(principal, Permission.EDIT, ids["b"])
    assert not principal.platform_admin


def test_session_idle_timeout(anna: Workspace) -> None:
    raw = _start(anna)
    assert _resolve(anna, raw, T0 + timedelta(hours=7, minutes=59)) is not None  # refreshes last_seen_at
    assert _resolve(anna, raw, T0 + timedelta(hours=15, minutes=58)) is not None
    assert _resolve(anna, raw, T0 + timedelta(hours=24)) is None  # 8 h idle


def test_session_absolute_expiry(anna: Workspace) -> None:
    raw = _start(anna)
    moment = T0
    while moment < T0 + timedelta(days=7) - timedelta(hours=4):  # used every 4 hours, never idle
        moment += timedelta(hours=4)
        assert _resolve(anna, raw, moment) is not None
    assert _resolve(anna, raw, T0 + timedelta(days=7)) is None


def test_last_seen_is_written_at_most_once_a_minute(anna: Workspace) -> None:
    raw = _start(anna)
    _resolve(anna, raw, T0 + timedelta(seconds=30))
    with anna.database.reader() as session:
        seen = session.scalar(select(LoginSession.last_seen_at))
    assert seen is not None and seen.replace(tzinfo=UTC) == T0
    _resolve(anna, raw, T0 + timedelta(seconds=61))
    with anna.database.reader() as session:
        seen = session.scalar(select(LoginSession.last_seen_at))
    assert seen is not None and seen.replace(tzinfo=UTC) == T0 + timedelta(seconds=61)


def test_ended_and_unknown_sessions_do_not_resolve(anna: Workspace) -> None:
    raw = _start(anna)
    with anna.database.session() as session:
        accounts.end_session(session, raw)
    assert _resolve(anna, raw, T0) is None
    assert _resolve(anna, "not-a-session", T0) is None


def test_disabled_users_sessions_and_tokens_stop_resolving(anna: Workspace) -> None:
    raw = _start(anna, datetime.now(UTC))
    with anna.database.session() as session:
        token = accounts.issue_token(session, "anna", name="script").token
    with anna.database.session() as session:
        assert accounts.resolve_session(session, raw) is not None
        assert accounts.resolve_token(session, token) is not None
        out = accounts.disable_user(session, "anna")
    assert out.disabled
    with anna.database.session() as session:
        assert accounts.resolve_session(session, raw) is None
        assert accounts.resolve_token(session, token) is None
        accounts.enable_user(session, "anna")
    with anna.database.session() as session:  # enabling again does not bring them back
        assert accounts.resolve_session(session, raw) is None
        assert accounts.resolve_token(session, token) is None
        assert [t.revoked_at is not None for t in accounts.list_tokens(session, "anna")] == [True]
        assert accounts.authenticate(session, "anna", PASSWORD).username == "anna"


def test_secrets_are_never_stored_in_clear(anna: Workspace) -> None:
    raw = _start(anna)
    with anna.database.session() as session:
        issued = accounts.issue_token(session, "anna", name="script")
    assert issued.token.startswith("bct_") and len(issued.token) > 40
    assert issued.info.prefix == issued.token[:8]
    with anna.database.reader() as session:
        dumped = " ".join(
            str(row)
            for table in ("login_session", "api_token", "app_user", "login_throttle", "api_token_city")
            for row in session.execute(text(f"SELECT * FROM {table}")).all()
        )
    assert raw not in dumped and issued.token not in dumped and PASSWORD not in dumped
    assert issued.token[8:20] not in dumped  # no more than the prefix


def test_read_only_token_cannot_edit(anna: Workspace) -> None:
    ids = _ids(anna)
    with anna.database.session() as session:
        issued = accounts.issue_token(session, "anna", name="reader")
    with anna.database.session() as session:
        principal = accounts.resolve_token(session, issued.token)
    assert principal is not None and principal.scope is not None and not principal.scope.write
    assert can(principal, Permission.VIEW, ids["a"])
    assert not can(principal, Permission.EDIT, ids["a"])


def test_write_token_is_limited_to_its_cities(anna: Workspace) -> None:
    ids = _ids(anna)
    with anna.database.session() as session:
        issued = accounts.issue_token(session, "anna", name="importer", write=True, cities=["a"])
    assert issued.info.cities == ["a"] and issued.info.write
    with anna.database.session() as session:
        principal = accounts.resolve_token(session, issued.token)
    assert principal is not None
    assert can(principal, Permission.EDIT, ids["a"])
    assert not can(principal, Permission.VIEW, ids["b"])  # the user may, the token may not


def test_tokens_expire_and_are_revoked(anna: Workspace) -> None:
    with anna.database.session() as session:
        issued = accounts.issue_token(session, "anna", name="short", expires_days=1, now=T0)
        other = accounts.issue_token(session, "anna", name="other")
    with anna.database.session() as session:
        assert accounts.resolve_token(session, issued.token, now=T0 + timedelta(hours=23)) is not None
        assert accounts.resolve_token(session, issued.token, now=T0 + timedelta(days=1)) is None
        assert accounts.resolve_token(session, "bct_unknown") is None
        assert accounts.resolve_token(session, "no prefix") is None
        revoked = accounts.revoke_token(session, "anna", other.info.id)
    assert revoked.revoked_at is not None
    with anna.database.session() as session:
        assert accounts.resolve_token(session, other.token) is None
        listed = accounts.list_tokens(session, "anna")
        used = session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == issued.info.id))
    assert [t.name for t in listed] == ["other", "short"]
    assert used is not None


def test_token_refusals(anna: Workspace) -> None:
    with anna.database.session() as session:
        accounts.create_user(session, "bert", PASSWORD)
        bert_token = accounts.issue_token(session, "bert", name="b")
    for kwargs, error, message in (
        ({"name": " "}, InvalidInput, "needs a name"),
        ({"name": "x", "expires_days": 0}, InvalidInput, "1 to 3650 days"),
        ({"name": "x", "cities": []}, InvalidInput, "at least one city"),
        ({"name": "x", "cities": ["nowhere"]}, NotFound, "city not found"),
    ):
        with pytest.raises(error, match=message), anna.database.session() as session:
            accounts.issue_token(session, "anna", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(NotFound), anna.database.session() as session:  # not anna's token
        accounts.revoke_token(session, "anna", bert_token.info.id)
    with anna.database.session() as session:
        accounts.disable_user(session, "bert")
    with pytest.raises(Conflict, match="disabled"), anna.database.session() as session:
        accounts.issue_token(session, "bert", name="again")


def test_principal_networks_from_cities_and_network_roles(anna: Workspace) -> None:
    ids = _ids(anna)
    db = anna.database
    with db.session() as session:
        north = networks.create_network(session, "north", name_de="Nord", name_en="North")
        networks.create_network(session, "south", name_de="Süd", name_en="South")
        networks.create_network(session, "east", name_de="Ost", name_en="East")
        networks.add_city(session, "north", "a", joined=date(2020, 1, 1))
        networks.add_city(session, "south", "b", joined=date(2020, 1, 1))
        networks.add_city(session, "south", "a", joined=date(2019, 1, 1))
        networks.remove_city(session, "south", "a", left=date(2021, 1, 1))
        accounts.grant_network(session, "anna", "east", NetworkRole.COORDINATOR)
        user = accounts.get_user(session, "anna")
    assert north.slug == "north"
    with db.reader() as session:
        net = {slug: networks.get_network(session, slug).id for slug in ("north", "south", "east")}
        principal = accounts.principal_for(session, user)
        limited = accounts.principal_for(session, user, TokenScope(write=False, cities=frozenset({ids["a"]})))
        out = accounts.user_out(session, user)
    assert principal.networks == {net["north"], net["south"], net["east"]}
    assert dict(principal.network_roles) == {net["east"]: NetworkRole.COORDINATOR}
    # south only through city b; east only through anna's own role, which a city-limited token leaves out
    assert limited.networks == {net["north"]}
    assert [(m.network, m.role) for m in out.networks] == [("east", NetworkRole.COORDINATOR)]
    with db.session() as session:
        accounts.revoke_network(session, "anna", "east")
        assert accounts.principal_for(session, user).networks == {net["north"], net["south"]}


def test_purge_deletes_only_long_gone_sessions(anna: Workspace) -> None:
    moment = datetime.now(UTC) + timedelta(days=2)
    idle = _start(anna, moment - timedelta(days=2))  # idle for two days
    ended = _start(anna, moment - timedelta(hours=1))
    live = _start(anna, moment - timedelta(hours=1))
    with anna.database.session() as session:
        accounts.end_session(session, ended)  # ended now, two days before the moment
    with anna.database.session() as session:
        assert accounts.purge_sessions(session, now=moment) == 2
    with anna.database.reader() as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 1
    assert _resolve(anna, live, moment) is not None
    assert _resolve(anna, idle, moment) is None
