"""``bettercities users``: user accounts, their roles per city and network, API tokens.

The command line acts with the rights of whoever may open the workspace (the operating-system user):
it is how the first platform admin is made (``users add admin --admin --password-stdin``).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from bettercities.access.policy import NetworkRole, Role
from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    err_console,
    fail,
    session_of,
)

app = typer.Typer(help="User accounts: add, disable, roles per city and network, passwords, API tokens.")
token_app = typer.Typer(help="API tokens of a user (for scripts and the JSON API).")
app.add_typer(token_app, name="token")

UserArgument = Annotated[str, typer.Argument(help="User name.")]
PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (for scripts and CI) instead of asking for it.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input with ``--password-stdin``, else asked twice
    without echo on the terminal; refused when there is no terminal to ask on."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            fail("--password-stdin: standard input holds no password (write it as the first line)")
        return password
    if not _stdin_is_terminal():
        fail(
            "no terminal to ask for the password on: "
            "pass --password-stdin and write the password to standard input"
        )
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(
    username: UserArgument,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user a platform admin.")] = False,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown in the app.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    password_stdin: PasswordStdinOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a user (at least 12 characters of password, not the user name)."""
    from bettercities.access import create_user

    password = read_password(password_stdin)
    with session_of(workspace, database_url, write=True) as session:
        user = create_user(
            session, username, password, display_name=display_name, email=email, platform_admin=admin
        )
    kind = "platform admin" if user.platform_admin else "user"
    console.print(f"{kind} '{user.username}' added.", highlight=False)


@app.command("list")
def list_(
    json_: JsonOption = False, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """List the users with their roles."""
    from bettercities.access import list_users

    with session_of(workspace, database_url) as session:
        users = list_users(session)
    if json_:
        console.print_json(json.dumps([u.model_dump(mode="json") for u in users]))
        return
    table = Table("user", "name", "admin", "state", "cities", "networks")
    for u in users:
        state = (
            "disabled"
            if u.disabled
            else (f"locked until {u.locked_until:%H:%M} UTC" if u.locked_until else "active")
        )
        table.add_row(
            u.username,
            u.display_name or "",
            "yes" if u.platform_admin else "",
            state,
            ", ".join(f"{m.city}: {m.role.value}" for m in u.memberships),
            ", ".join(f"{n.network}: {n.role.value}" for n in u.networks),
        )
    console.print(table)


@app.command("disable")
def disable(
    username: UserArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Disable a user: no sign-in; its sessions end and its tokens are revoked."""
    from bettercities.access import disable_user

    with session_of(workspace, database_url, write=True) as session:
        user = disable_user(session, username)
    console.print(
        f"user '{user.username}' disabled; its sessions ended and its tokens revoked.", highlight=False
    )


@app.command("enable")
def enable(
    username: UserArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Enable a disabled user again (revoked tokens stay revoked)."""
    from bettercities.access import enable_user

    with session_of(workspace, database_url, write=True) as session:
        user = enable_user(session, username)
    console.print(f"user '{user.username}' enabled.", highlight=False)


@app.command("grant")
def grant(
    username: UserArgument,
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    role: Annotated[Role, typer.Option("--role", help="Role in the city (replaces an earlier one).")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Give a user a role in a city."""
    from bettercities.access import grant as grant_role

    with session_of(workspace, database_url, write=True) as session:
        membership = grant_role(session, username, city, role)
    console.print(f"'{username}' is {membership.role.value} in {membership.city}.", highlight=False)


@app.command("revoke")
def revoke(
    username: UserArgument,
    city: Annotated[str, typer.Option("--city", help="City slug.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove a user's role in a city."""
    from bettercities.access import revoke as revoke_role

    with session_of(workspace, database_url, write=True) as session:
        revoke_role(session, username, city)
    console.print(f"'{username}' has no role in {city} any more.", highlight=False)


@app.command("grant-network")
def grant_network(
    username: UserArgument,
    network: Annotated[str, typer.Option("--network", help="Network slug.")],
    role: Annotated[NetworkRole, typer.Option("--role", help="Role in the network.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Give a user a role in a city network (sees what member cities share with it)."""
    from bettercities.access import grant_network as grant_role

    with session_of(workspace, database_url, write=True) as session:
        membership = grant_role(session, username, network, role)
    console.print(
        f"'{username}' is {membership.role.value} of network {membership.network}.", highlight=False
    )


@app.command("revoke-network")
def revoke_network(
    username: UserArgument,
    network: Annotated[str, typer.Option("--network", help="Network slug.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove a user's role in a city network."""
    from bettercities.access import revoke_network as revoke_role

    with session_of(workspace, database_url, write=True) as session:
        revoke_role(session, username, network)
    console.print(f"'{username}' has no role in network {network} any more.", highlight=False)


@app.command("password")
def password(
    username: UserArgument,
    password_stdin: PasswordStdinOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Set a user's password (administrator's reset): ends its sessions and lifts a lock-out."""
    from bettercities.access import set_password

    new = read_password(password_stdin)
    with session_of(workspace, database_url, write=True) as session:
        set_password(session, username, new)
    console.print(f"password of '{username}' set; its sessions ended.", highlight=False)


@token_app.command("issue")
def token_issue(
    username: UserArgument,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    write: Annotated[bool, typer.Option("--write", help="Allow writes (default: read-only).")] = False,
    city: Annotated[
        list[str] | None, typer.Option("--city", help="Limit the token to this city (repeatable).")
    ] = None,
    expires_days: Annotated[int, typer.Option("--expires-days", help="Days until the token expires.")] = 90,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Issue an API token; it is printed this once (only its hash is stored)."""
    from bettercities.access import issue_token

    with session_of(workspace, database_url, write=True) as session:
        issued = issue_token(
            session, username, name=name, write=write, cities=city or None, expires_days=expires_days
        )
    info = issued.info
    scope = ("read and write" if info.write else "read-only") + (
        f", cities {', '.join(info.cities)}" if info.cities else ", every city of the user"
    )
    err_console.print(
        f"Token {info.id} '{info.name}' ({scope}), expires {info.expires_at:%Y-%m-%d}. "
        "Copy it now: it is not shown again.",
        highlight=False,
    )
    console.print(issued.token, highlight=False, soft_wrap=True)


@token_app.command("list")
def token_list(
    username: UserArgument,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List a user's tokens (never their secrets)."""
    from bettercities.access import list_tokens

    with session_of(workspace, database_url) as session:
        tokens = list_tokens(session, username)
    if json_:
        console.print_json(json.dumps([t.model_dump(mode="json") for t in tokens]))
        return
    table = Table("id", "name", "prefix", "scope", "cities", "expires", "state", "last used")
    for t in tokens:
        state = "revoked" if t.revoked_at else "active"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else ""
        table.add_row(
            str(t.id),
            t.name,
            t.prefix,
            "write" if t.write else "read",
            ", ".join(t.cities) if t.cities else "all",
            f"{t.expires_at:%Y-%m-%d}",
            state,
            used,
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    username: UserArgument,
    token_id: Annotated[int, typer.Argument(help="Token id (see users token list).")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Revoke one of a user's tokens."""
    from bettercities.access import revoke_token

    with session_of(workspace, database_url, write=True) as session:
        token = revoke_token(session, username, token_id)
    console.print(f"token {token.id} '{token.name}' of '{username}' revoked.", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="users")
