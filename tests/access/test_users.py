"""Users, passwords (argon2id), sign-in with lock-out (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from bettercities import access as accounts
from bettercities.access import passwords
from bettercities.access.models import LoginThrottle, User
from bettercities.access.policy import Role
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.storage.workspace import Workspace
from tests.access.conftest import PASSWORD
from tests.support.hashing import PRODUCTION_HASHER

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _add(ws: Workspace, name: str = "anna", **kwargs: object) -> None:
    with ws.database.session() as session:
        accounts.create_user(session, name, PASSWORD, **kwargs)  # type: ignore[arg-type]


def test_password_is_stored_as_argon2id(workspace: Workspace) -> None:
    _add(workspace, "Anna", display_name="Anna A.", email="anna@example.org")
    with workspace.database.reader() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "anna"))
        out = accounts.list_users(session)
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert [u.username for u in out] == ["anna"]  # stored lower-case
    assert out[0].display_name == "Anna A." and not out[0].platform_admin and not out[0].disabled


def test_production_parameters_are_argon2id() -> None:
    hashed = PRODUCTION_HASHER().hash("x" * 12)
    assert hashed.startswith("$argon2id$") and "m=65536,t=3,p=4" in hashed


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("an", PASSWORD, "invalid user name"),
        ("anna smith", PASSWORD, "invalid user name"),
        ("x" * 65, PASSWORD, "invalid user name"),
        ("anna", "short pw", "at least 12 characters"),
        ("anna.maria.x", "Anna.Maria.X", "must not be the user name"),
        ("anna", " " * 14, "only spaces"),
    ],
)
def test_bad_names_and_weak_passwords_are_refused(
    sqlite_workspace: Workspace, name: str, password: str, message: str
) -> None:
    with sqlite_workspace.database.session() as session, pytest.raises(InvalidInput, match=message):
        accounts.create_user(session, name, password)


def test_user_names_are_unique_ignoring_case(workspace: Workspace) -> None:
    _add(workspace, "anna")
    with workspace.database.session() as session, pytest.raises(Conflict, match="exists already"):
        accounts.create_user(session, "ANNA", PASSWORD)


def test_sign_in_with_any_case_of_the_name(workspace: Workspace) -> None:
    _add(workspace)
    with workspace.database.session() as session:
        assert accounts.authenticate(session, " Anna ", PASSWORD).username == "anna"


def test_unknown_user_and_wrong_password_get_the_same_message(workspace: Workspace) -> None:
    _add(workspace)
    _add(workspace, "bert")
    with workspace.database.session() as session:
        accounts.disable_user(session, "bert")
    messages = []
    for name, password in (("anna", "wrong password!"), ("nobody", PASSWORD), ("bert", PASSWORD)):
        with pytest.raises(accounts.LoginRefused) as refused, workspace.database.session() as session:
            accounts.authenticate(session, name, password)
        assert refused.value.locked_until is None
        messages.append(str(refused.value))
    assert messages == ["wrong user name or password"] * 3


def test_lock_out_after_five_failures_and_release_after_fifteen_minutes(workspace: Workspace) -> None:
    _add(workspace)
    db = workspace.database
    for i in range(4):
        with pytest.raises(accounts.LoginRefused, match="wrong user name"), db.session() as session:
            accounts.authenticate(session, "anna", "wrong password!", now=T0 + timedelta(seconds=i))
    locked = pytest.raises(accounts.LoginRefused, match="too many failed sign-ins")
    with locked as refused, db.session() as session:
        accounts.authenticate(session, "anna", "wrong password!", now=T0 + timedelta(seconds=4))
    until = refused.value.locked_until
    assert until == T0 + timedelta(seconds=4, minutes=15)
    assert "09:15 UTC" in str(refused.value)
    # locked: even the right password is refused
    with pytest.raises(accounts.LoginRefused, match="try again after 09:15 UTC"), db.session() as session:
        accounts.authenticate(session, "anna", PASSWORD, now=T0 + timedelta(minutes=14))
    with db.reader() as session:
        assert accounts.user_out(session, accounts.get_user(session, "anna"), now=T0).locked_until == until
    # released after the lock time; success resets the count
    with db.session() as session:
        accounts.authenticate(session, "anna", PASSWORD, now=until + timedelta(seconds=1))
    with db.reader() as session:
        assert session.scalar(select(LoginThrottle).where(LoginThrottle.username == "anna")) is None


def test_an_expired_lock_starts_a_fresh_count(workspace: Workspace) -> None:
    _add(workspace)
    db = workspace.database
    for i in range(5):
        with pytest.raises(accounts.LoginRefused), db.session() as session:
            accounts.authenticate(session, "anna", "wrong password!", now=T0 + timedelta(seconds=i))
    later = T0 + timedelta(minutes=30)
    with pytest.raises(accounts.LoginRefused) as refused, db.session() as session:
        accounts.authenticate(session, "anna", "wrong password!", now=later)
    assert refused.value.locked_until is None  # one failure after the lock, not locked again


def test_unknown_names_are_locked_too(workspace: Workspace) -> None:
    """Otherwise a lock-out message would tell which user names exist."""
    for i in range(5):
        with pytest.raises(accounts.LoginRefused) as refused, workspace.database.session() as session:
            accounts.authenticate(session, "nobody", PASSWORD, now=T0 + timedelta(seconds=i))
    assert refused.value.locked_until is not None


def test_failed_sign_ins_do_not_change_the_data_version(workspace: Workspace) -> None:
    _add(workspace)
    db = workspace.database
    before = db.data_version()
    with pytest.raises(accounts.LoginRefused), db.session() as session:
        accounts.authenticate(session, "anna", "wrong password!")
    with db.session() as session:
        user = accounts.authenticate(session, "anna", PASSWORD)
        raw = accounts.start_session(session, user)
    with db.session() as session:
        assert accounts.resolve_session(session, raw, now=datetime.now(UTC) + timedelta(minutes=5))
        accounts.end_session(session, raw)
    with db.session() as session:
        issued = accounts.issue_token(session, "anna", name="ci")
    with db.session() as session:
        assert accounts.resolve_token(session, issued.token)
        accounts.revoke_token(session, "anna", issued.info.id)
    assert db.data_version() == before


def test_rehash_when_the_parameters_change(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _add(workspace)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", lambda: stronger)
    with workspace.database.session() as session:
        accounts.authenticate(session, "anna", PASSWORD)
    with workspace.database.reader() as session:
        stored = session.scalar(select(User.password_hash))
    assert stored is not None and "m=2048,t=2" in stored
    with workspace.database.session() as session:
        assert accounts.authenticate(session, "anna", PASSWORD).username == "anna"


def test_change_and_set_password(workspace: Workspace) -> None:
    _add(workspace)
    db = workspace.database
    new = "another long passphrase"
    with db.session() as session:
        user = accounts.authenticate(session, "anna", PASSWORD)
        mine, other = accounts.start_session(session, user), accounts.start_session(session, user)
    with pytest.raises(accounts.LoginRefused), db.session() as session:
        accounts.change_password(session, "anna", "wrong password!", new)
    with pytest.raises(InvalidInput, match="at least 12"), db.session() as session:
        accounts.change_password(session, "anna", PASSWORD, "short")
    with db.session() as session:
        accounts.change_password(session, "anna", PASSWORD, new, keep_session=mine)
    with db.session() as session:
        assert accounts.resolve_session(session, mine) is not None
        assert accounts.resolve_session(session, other) is None
        accounts.authenticate(session, "anna", new)
    with db.session() as session:
        accounts.set_password(session, "anna", PASSWORD)
    with db.session() as session:
        assert accounts.resolve_session(session, mine) is None  # an admin reset ends every session
        accounts.authenticate(session, "anna", PASSWORD)


def test_grant_replaces_and_revoke_removes(cities: Workspace) -> None:
    _add(cities)
    db = cities.database
    with db.session() as session:
        accounts.grant(session, "anna", "a", "viewer")
        accounts.grant(session, "anna", "a", Role.STEWARD)
        accounts.grant(session, "anna", "b", "analyst")
    with db.reader() as session:
        out = accounts.user_out(session, accounts.get_user(session, "anna"))
    assert [(m.city, m.role) for m in out.memberships] == [("a", Role.STEWARD), ("b", Role.ANALYST)]
    with db.session() as session:
        accounts.revoke(session, "anna", "b")
    with pytest.raises(NotFound), db.session() as session:
        accounts.revoke(session, "anna", "b")
    with pytest.raises(InvalidInput, match="unknown role 'owner'"), db.session() as session:
        accounts.grant(session, "anna", "a", "owner")
    with pytest.raises(NotFound, match="user not found"), db.session() as session:
        accounts.grant(session, "nobody", "a", "viewer")
