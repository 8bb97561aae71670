"""A throw-away PostgreSQL server for the test suite, built from Debian's server binaries.

Each `PostgresServer` owns a fresh temporary directory holding its data directory, its Unix socket and its
log, listens on 127.0.0.1 on a free port with trust authentication, and is tuned for speed rather than
durability (fsync, synchronous_commit and full_page_writes off: a crash only loses test data).

    with PostgresServer() as pg:
        url = pg.create_database("bettercities_test")  # postgresql+psycopg://postgres@127.0.0.1:PORT/...
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from .net import free_port

__all__ = ["PostgresServer", "PostgresUnavailable", "find_bindir"]

DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
INSTALL_HINT = "run scripts/install-system-deps (Debian packages postgresql, postgresql-postgis)"

# Settings appended to postgresql.conf. Durability is pointless for a server that lives as long as a test
# session; the rest keeps it private (loopback only, socket in our own temp dir) and deterministic.
SETTINGS = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": "UTC",
}


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server binaries are missing or the server could not be started."""


def _version_key(bindir: str) -> tuple[int, ...]:
    version = Path(bindir).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def find_bindir() -> Path:
    """Directory of the newest installed server's ``initdb`` and ``pg_ctl``.

    Debian's real binaries under /usr/lib/postgresql/<major>/bin win over whatever PATH holds: PATH may have
    pg_wrapper scripts or symlinks (e.g. /usr/local/bin/pg_ctl) that pick another version or cluster.
    """
    candidates = [
        d
        for d in glob.glob(DEBIAN_BINDIRS)
        if all(os.access(f"{d}/{b}", os.X_OK) for b in ("initdb", "pg_ctl"))
    ]
    if candidates:
        return Path(max(candidates, key=_version_key))
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:  # non-Debian systems
        return Path(os.path.realpath(initdb)).parent
    raise PostgresUnavailable(f"PostgreSQL server binaries (initdb, pg_ctl) not found; {INSTALL_HINT}")


class PostgresServer:
    """A private PostgreSQL server on 127.0.0.1, started on construction and stopped by `stop()`.

    When the current user is root the server runs as the ``postgres`` OS user (created by Debian's package),
    because initdb and postgres refuse to run as root. The database superuser is always ``postgres``.
    """

    def __init__(self, *, bindir: Path | None = None, start_timeout: float = 30.0) -> None:
        self.bindir = bindir or find_bindir()
        self.start_timeout = start_timeout
        self.port = 0
        self.tmpdir = Path(tempfile.mkdtemp(prefix="bettercities-pg-"))
        self.datadir = self.tmpdir / "data"
        self.logfile = self.tmpdir / "server.log"
        self._run_as: list[str] = []
        self._running = False
        atexit.register(self.stop)  # a crashed test session must not leave a server behind
        try:
            self._run_as = self._os_user_prefix()
            self._initdb()
            self._start()
        except BaseException:
            self.stop()
            raise

    # -- lifecycle ---------------------------------------------------------------------------------------

    def _os_user_prefix(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        try:
            pw = pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root, but there is no '{SUPERUSER}' OS user to run the server as; {INSTALL_HINT}"
            ) from None
        os.chown(self.tmpdir, pw.pw_uid, pw.pw_gid)
        return ["runuser", "-u", SUPERUSER, "--"]

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        # cwd: the postgres user may not be allowed into the caller's working directory (e.g. /root).
        return subprocess.run(
            [*self._run_as, str(self.bindir / tool), *args],
            cwd=self.tmpdir,
            capture_output=True,
            text=True,
            check=False,
        )

    def _initdb(self) -> None:
        # --no-locale: sorting and formatting independent of the machine's locales; --no-sync: no fsync of
        # a cluster we throw away.
        result = self._run(
            "initdb",
            "-D", str(self.datadir),
            "-U", SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed:\n{result.stdout}{result.stderr}")
        lines = [f"{key} = '{value}'" for key, value in SETTINGS.items()]
        lines.append(f"unix_socket_directories = '{self.tmpdir}'")
        with (self.datadir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# bettercities test server\n" + "\n".join(lines) + "\n")

    def _start(self) -> None:
        # free_port() can race with another process; pg_ctl then fails to bind and we try another port.
        for _attempt in range(3):
            self.port = free_port(HOST)
            result = self._run(
                "pg_ctl", "start",
                "-D", str(self.datadir),
                "-l", str(self.logfile),
                "-o", f"-p {self.port}",
                "-w", "-t", str(int(self.start_timeout)),
            )  # fmt: skip
            if result.returncode == 0:
                self._running = True
                self._wait_for_connections()
                return
            if "could not bind" not in self._log() and "already in use" not in self._log():
                break
        raise PostgresUnavailable(f"pg_ctl start failed:\n{result.stdout}{result.stderr}\n{self._log()}")

    def _wait_for_connections(self) -> None:
        # pg_ctl -w already waits for the socket; this also proves TCP on loopback and trust auth work.
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with self.connect():
                    return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(f"server does not accept connections: {exc}") from exc
                time.sleep(0.05)

    def _log(self) -> str:
        try:
            return self.logfile.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are disconnected) and remove its directory."""
        if self._running:
            self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "fast", "-w")
            self._running = False
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL of database ``dbname`` on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> Any:
        """An autocommit psycopg connection as superuser, for administration (not for the code under test)."""
        import psycopg

        return psycopg.connect(host=HOST, port=self.port, user=SUPERUSER, dbname=dbname, autocommit=True)

    def create_database(self, name: str, *, postgis: bool = False) -> str:
        """Create database ``name`` (optionally with the PostGIS extension) and return its SQLAlchemy URL."""
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if postgis:
            with self.connect(name) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self.url(name)

    def clone_database(self, name: str, *, template: str) -> str:
        """Create database ``name`` as a copy of database ``template`` (PostgreSQL's ``CREATE DATABASE …
        TEMPLATE``: a file-level copy, ~0.06 s against ~0.8 s for creating and migrating a new one) and
        return its SQLAlchemy URL. Nobody may be connected to ``template`` meanwhile."""
        import psycopg
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
        # A client that has just closed its connection to the template may still have a server process
        # winding down for a few milliseconds; the server then refuses with "being accessed by other users".
        for attempt in range(50):
            try:
                with self.connect() as conn:
                    conn.execute(statement)
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 49:
                    raise
                time.sleep(0.02)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, disconnecting whoever is still connected to it."""
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def has_postgis(self) -> bool:
        """Whether the ``postgis`` extension is installed (a database still needs CREATE EXTENSION)."""
        with self.connect() as conn:
            row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
        return row is not None
