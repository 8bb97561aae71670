"""``bettercities users`` and ``bettercities networks`` round trips (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bettercities import access as accounts
from bettercities.access.models import User
from bettercities.cli import access as users_cli
from bettercities.cli.main import app
from bettercities.storage.workspace import Workspace
from tests.access.conftest import CHEAP, PASSWORD


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from bettercities.access import passwords

    monkeypatch.setattr(passwords, "hasher", lambda: CHEAP)


class Cli:
    """Runs ``bettercities`` against one workspace (and its PostgreSQL database, if any)."""

    def __init__(self, workspace: Workspace) -> None:
        self.runner = CliRunner()
        self.options = ["--workspace", str(workspace.path)]
        if workspace.database_url:
            self.options += ["--database-url", workspace.database_url]

    def __call__(self, *args: str, code: int = 0, stdin: str | None = None) -> str:
        result = self.runner.invoke(app, [*args, *self.options], input=stdin)
        assert result.exit_code == code, result.output
        return result.output


@pytest.fixture
def cli(workspace: Workspace) -> Cli:
    run = Cli(workspace)
    run("city", "add", "a", "--name", "A-Stadt", "--country", "DE")
    run("city", "add", "b", "--name", "B-Stadt", "--country", "DE")
    return run


def test_first_admin_from_stdin_and_sign_in(cli: Cli, workspace: Workspace) -> None:
    out = cli(
        "users", "add", "Admin", "--admin", "--display-name", "Ada", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert "platform admin 'admin' added" in out
    with workspace.database.session() as session:
        user = accounts.authenticate(session, "admin", PASSWORD)
        assert user.platform_admin and user.display_name == "Ada"
        stored = session.scalar(select(User.password_hash))
    assert stored is not None and stored.startswith("$argon2id$")


def test_no_terminal_and_no_password_stdin_is_refused(cli: Cli, workspace: Workspace) -> None:
    out = cli("users", "add", "anna", code=1)
    assert "no terminal to ask for the password" in out and "--password-stdin" in out
    out = cli("users", "add", "anna", "--password-stdin", stdin="", code=1)
    assert "standard input holds no password" in out
    with workspace.database.reader() as session:
        assert accounts.list_users(session) == []


def test_interactive_prompt_asks_twice(
    cli: Cli, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_cli, "_stdin_is_terminal", lambda: True)
    cli("users", "add", "anna", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    with workspace.database.session() as session:
        assert accounts.authenticate(session, "anna", PASSWORD).username == "anna"


def test_weak_password_and_bad_name_are_refused(cli: Cli) -> None:
    assert "at least 12 characters" in cli(
        "users", "add", "anna", "--password-stdin", stdin="short\n", code=2
    )
    assert "invalid user name" in cli("users", "add", "a b", "--password-stdin", stdin=PASSWORD, code=2)
    cli("users", "add", "anna", "--password-stdin", stdin=PASSWORD)
    assert "exists already" in cli("users", "add", "ANNA", "--password-stdin", stdin=PASSWORD, code=1)


def test_roles_tokens_disable_round_trip(cli: Cli, workspace: Workspace) -> None:
    cli("users", "add", "anna", "--email", "anna@example.org", "--password-stdin", stdin=PASSWORD)
    assert "steward in a" in cli("users", "grant", "anna", "--city", "a", "--role", "steward")
    cli("users", "grant", "anna", "--city", "b", "--role", "viewer")
    assert "'owner' is not one of" in cli("users", "grant", "anna", "--city", "a", "--role", "owner", code=2)
    assert "city not found" in cli("users", "grant", "anna", "--city", "zz", "--role", "viewer", code=1)
    cli("users", "revoke", "anna", "--city", "b")

    result = CliRunner().invoke(
        app, ["users", "token", "issue", "anna", "--name", "ci", "--write", "--city", "a", *cli.options]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("bct_") and "not shown again" in result.stderr
    with workspace.database.session() as session:
        principal = accounts.resolve_token(session, token)
    assert principal is not None and principal.scope is not None and principal.scope.write

    listed = json.loads(cli("users", "token", "list", "anna", "--json"))
    assert [(t["name"], t["prefix"], t["cities"], t["write"]) for t in listed] == [
        ("ci", token[:8], ["a"], True)
    ]
    assert token not in cli("users", "token", "list", "anna")
    users = json.loads(cli("users", "list", "--json"))
    assert users[0]["username"] == "anna" and users[0]["memberships"] == [{"city": "a", "role": "steward"}]
    assert "anna@example.org" in cli("users", "list", "--json")
    assert "a: steward" in cli("users", "list")

    assert "revoked" in cli("users", "token", "revoke", "anna", str(listed[0]["id"]))
    assert "token not found" in cli("users", "token", "revoke", "anna", "999", code=1)
    with workspace.database.session() as session:
        assert accounts.resolve_token(session, token) is None

    cli("users", "disable", "anna")
    with pytest.raises(accounts.LoginRefused), workspace.database.session() as session:
        accounts.authenticate(session, "anna", PASSWORD)
    cli("users", "enable", "anna")
    new = "a new long passphrase"
    cli("users", "password", "anna", "--password-stdin", stdin=new + "\n")
    with workspace.database.session() as session:
        assert accounts.authenticate(session, "anna", new).username == "anna"
    assert "user not found" in cli("users", "disable", "nobody", code=1)


def test_networks_round_trip(cli: Cli, workspace: Workspace, tmp_path: Path) -> None:
    cli("networks", "add", "north", "--name-de", "Nord", "--name-en", "North")
    cli("networks", "join", "north", "--city", "a", "--date", "2020-01-01")
    cli("networks", "join", "north", "--city", "b", "--date", "2020-01-01")
    cli("networks", "leave", "north", "--city", "b", "--date", "2022-06-30")
    assert "is not a member" in cli("networks", "leave", "north", "--city", "b", code=1)
    assert "dataset not found" in cli("networks", "share", "north", "--city", "a", "--dataset", "x", code=1)
    cli("users", "add", "anna", "--password-stdin", stdin=PASSWORD)
    assert "coordinator" in cli(
        "users", "grant-network", "anna", "--network", "north", "--role", "coordinator"
    )
    (north,) = json.loads(cli("networks", "list", "--json"))
    assert north["members"] == [
        {"city": "a", "joined": "2020-01-01", "left": None},
        {"city": "b", "joined": "2020-01-01", "left": "2022-06-30"},
    ]
    assert "b (2020-01-01 to 2022-06-30)" in cli("networks", "list")

    datasets = tmp_path / "datasets.yaml"
    datasets.write_text("- {code: poverty, title_de: Armut, title_en: Poverty, publisher: A}\n", "utf-8")
    cli("catalog", "add", "a", str(datasets))
    cli("catalog", "add", "b", str(datasets))
    assert "is shared with network 'north'" in cli(
        "networks", "share", "north", "--city", "a", "--dataset", "poverty"
    )
    assert "shared with 'north' already" in cli(
        "networks", "share", "north", "--city", "a", "--dataset", "poverty", code=1
    )
    assert "not a member of network 'north'" in cli(
        "networks", "share", "north", "--city", "b", "--dataset", "poverty", code=1
    )
    (north,) = json.loads(cli("networks", "list", "--json"))
    assert north["shares"] == [{"network": "north", "city": "a", "dataset": "poverty"}]
    cli("networks", "unshare", "north", "--city", "a", "--dataset", "poverty")
    assert json.loads(cli("networks", "list", "--json"))[0]["shares"] == []
    with workspace.database.reader() as session:
        principal = accounts.principal_for(session, accounts.get_user(session, "anna"))
    assert len(principal.networks) == 1
