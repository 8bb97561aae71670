"""A restore brings data back, not access (issue 10, reproduction 5): revocations, password changes,
disabled users and withdrawn roles made after a backup survive ``restore --force``; sessions and tokens
issued after the backup end. On SQLite and PostgreSQL (``workspace`` runs on both)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bettercities import access as accounts
from bettercities.access.models import ApiToken, LoginSession, User
from bettercities.access.sessions import LoginRefused
from bettercities.audit.models import AuditEntry
from bettercities.cli.main import app
from bettercities.storage import backup as snapshots
from bettercities.storage.workspace import Workspace
from tests.access.conftest import PASSWORD

NEW_PASSWORD = "another correct horse battery"


def _signs_in(ws: Workspace, username: str, password: str) -> bool:
    with ws.database.session() as session:
        try:
            accounts.authenticate(session, username, password)
        except LoginRefused:
            return False
        return True


def _token_works(ws: Workspace, raw: str) -> bool:
    with ws.database.session() as session:
        return accounts.resolve_token(session, raw) is not None


def _session_works(ws: Workspace, raw: str) -> bool:
    with ws.database.session() as session:
        return accounts.resolve_session(session, raw) is not None


def test_restore_revives_no_revoked_access(cities: Workspace, tmp_path: Path) -> None:
    ws = cities
    with ws.database.session() as session:
        for name in ("ann", "bob", "cem"):
            accounts.create_user(session, name, PASSWORD)
        accounts.grant(session, "bob", "a", "steward")
        revoked = accounts.issue_token(session, "ann", name="revoked later")
        kept = accounts.issue_token(session, "cem", name="kept", cities=["a"])
        old_session = accounts.start_session(session, accounts.get_user(session, "cem"))
    snapshots.backup(ws, tmp_path / "snap")

    # after the backup: a token revoked, a password reset, a user disabled, a role withdrawn; and a new
    # session, a new token and a new user
    with ws.database.session() as session:
        accounts.revoke_token(session, "ann", revoked.info.id)
        accounts.set_password(session, "bob", NEW_PASSWORD)
        accounts.disable_user(session, "cem")
        accounts.revoke(session, "bob", "a")
        accounts.create_user(session, "dan", PASSWORD)
        new_token = accounts.issue_token(session, "dan", name="after the backup")
        new_session = accounts.start_session(session, accounts.get_user(session, "dan"))
        bob_roles = accounts.user_out(session, accounts.get_user(session, "bob")).memberships
    assert _token_works(ws, new_token.token) and _session_works(ws, new_session)

    notes: list[str] = []
    snapshots.restore(ws, tmp_path / "snap", force=True, inform=notes.append)

    assert not _token_works(ws, revoked.token)  # revoked after the backup: stays revoked
    assert not _signs_in(ws, "bob", PASSWORD)  # the old password does not come back
    assert _signs_in(ws, "bob", NEW_PASSWORD)
    assert not _signs_in(ws, "cem", PASSWORD)  # disabled after the backup: stays disabled
    assert not _token_works(ws, kept.token) and not _session_works(ws, old_session)  # cem is disabled
    with ws.database.reader() as session:
        assert accounts.user_out(session, accounts.get_user(session, "bob")).memberships == bob_roles == []
    # issued after the backup: ended by the restore; the account itself is kept
    assert not _token_works(ws, new_token.token)
    assert not _session_works(ws, new_session)
    assert _signs_in(ws, "dan", PASSWORD)
    assert len(notes) == 1
    assert "kept the workspace's current accounts" in notes[0]
    assert "ended 1 sign-in sessions and revoked 1 API tokens issued after the snapshot" in notes[0]
    with ws.database.reader() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 4
        events = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert "restore-kept-access" in events[events.index("restore") :]
    # the next account and token get fresh ids (PostgreSQL's sequences follow the kept rows)
    with ws.database.session() as session:
        accounts.create_user(session, "eve", PASSWORD)
        issued = accounts.issue_token(session, "eve", name="after the restore")
        assert issued.info.id > new_token.info.id
    assert _token_works(ws, issued.token)


def test_a_token_of_before_the_backup_keeps_working(cities: Workspace, tmp_path: Path) -> None:
    ws = cities
    with ws.database.session() as session:
        accounts.create_user(session, "ann", PASSWORD)
        accounts.grant(session, "ann", "a", "viewer")
        token = accounts.issue_token(session, "ann", name="old", cities=["a"])
        signed_in = accounts.start_session(session, accounts.get_user(session, "ann"))
    snapshots.backup(ws, tmp_path / "snap")
    snapshots.restore(ws, tmp_path / "snap", force=True)
    assert _token_works(ws, token.token) and _session_works(ws, signed_in)
    with ws.database.reader() as session:
        out = accounts.user_out(session, accounts.get_user(session, "ann"))
        assert [(m.city, m.role) for m in out.memberships] == [("a", "viewer")]
        assert [t.cities for t in accounts.list_tokens(session, "ann")] == [["a"]]


def test_a_restore_into_an_empty_database_brings_the_accounts_back(
    cities: Workspace, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with cities.database.session() as session:
        accounts.create_user(session, "ann", PASSWORD)
        token = accounts.issue_token(session, "ann", name="old")
    snapshots.backup(cities, tmp_path / "snap")
    url = None
    if cities.database_url:
        url = request.getfixturevalue("postgres_server").create_database("bc_restore_accounts")
    fresh = Workspace(path=tmp_path / "elsewhere", database_url=url)
    try:
        notes: list[str] = []
        snapshots.restore(fresh, tmp_path / "snap", inform=notes.append)
        assert notes == []  # nothing to keep: the snapshot's accounts are the accounts
        assert _signs_in(fresh, "ann", PASSWORD) and _token_works(fresh, token.token)
    finally:
        fresh.close()


def test_cli_restore_says_what_it_kept(cities: Workspace, tmp_path: Path) -> None:
    ws = cities
    with ws.database.session() as session:
        accounts.create_user(session, "ann", PASSWORD)
    snapshots.backup(ws, tmp_path / "snap")
    with ws.database.session() as session:
        accounts.issue_token(session, "ann", name="after the backup")
    url = ws.database_url
    common = ["--workspace", str(ws.path), *(["--database-url", url] if url else [])]
    result = CliRunner().invoke(app, ["restore", *common, "--from", str(tmp_path / "snap"), "--force"])
    assert result.exit_code == 0, result.output
    assert "kept the workspace's current accounts" in result.output
    assert "revoked 1 API tokens issued after the snapshot" in result.output
    ws.close()  # the CLI restored through its own connections: ours may still read the replaced SQLite file
    with ws.database.reader() as session:
        assert session.scalar(select(func.count()).where(ApiToken.revoked_at.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 0
