"""The Database object: engine, sessions (units of work), migrations, bulk inserts.

Domain services receive a :class:`sqlalchemy.orm.Session` from :meth:`Database.session`
and never hold raw connections; bulk paths that need driver-level speed
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) live here.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bettercities.storage import versioning

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web app read while an import writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


class Database:
    """One database (SQLite file or PostgreSQL server) behind a narrow interface."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        versioning.track(self._sessions)
        # Every write of these sessions leaves an audit entry. Imported here, not at the top: the audit
        # domain's tables build on storage, so storage's own import order stays free of it.
        from bettercities.audit import recording

        recording.track(self._sessions)
        self._record_bulk_insert = recording.record_bulk_insert
        self._postgis: bool | None = None

    # -- facts -------------------------------------------------------------------------------------------
    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    def describe(self) -> str:
        """The URL without password, for logs and pages."""
        return self.url.render_as_string(hide_password=True)

    def has_postgis(self) -> bool:
        """Whether the PostGIS extension is installed in this database."""
        if self._postgis is None:
            self._postgis = False
            if self.is_postgresql:
                with self.engine.connect() as conn:
                    found = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
                    self._postgis = found is not None
        return self._postgis

    # -- sessions ----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any exception."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        session = self._sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    # -- schema ------------------------------------------------------------------------------------------
    def migrate(self, revision: str = "heads") -> None:
        """Bring the schema to ``revision`` with Alembic (idempotent).

        Each domain's migrations branch from the shared core revision, so the default target is
        every head; a merge revision joins branches when they must depend on each other.
        """
        from alembic import command

        command.upgrade(self._alembic_config(), revision)
        self._postgis = None

    def current_revision(self) -> str | None:
        """The applied revision when there is one head; the heads joined by ``+`` otherwise."""
        heads = self.current_heads()
        return "+".join(sorted(heads)) if heads else None

    def current_heads(self) -> tuple[str, ...]:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return tuple(MigrationContext.configure(conn).get_current_heads())

    def schema_is_current(self) -> bool:
        """Whether every migration shipped with this version has been applied."""
        from alembic.script import ScriptDirectory

        return set(self.current_heads()) == set(
            ScriptDirectory.from_config(self._alembic_config()).get_heads()
        )

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def _alembic_config(self) -> Any:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self.engine
        return cfg

    # -- bulk I/O ----------------------------------------------------------------------------------------
    def bulk_insert(
        self,
        session: Session,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[tuple],
        *,
        constants: Mapping[str, Any] | None = None,
    ) -> int:
        """Insert many rows fast inside ``session``'s transaction.

        SQLite: the driver's ``executemany`` on tuples. PostgreSQL: ``COPY … FROM STDIN``.
        Both run on the session's own connection, so the insert commits or rolls back
        with the rest of the unit of work. ``constants`` are columns with the same driver-ready
        value in every row (a batch id, a timestamp, flags that are all false): SQLite gets them
        as literals in the statement, which saves binding them once per row.
        """
        if not rows:
            return 0
        versioning.mark_changed(session)
        fixed = dict(constants or {})
        unknown = [name for name in (*columns, *fixed) if name not in table.c]
        if unknown:
            raise ValueError(f"no columns {unknown} in table {table.name}")
        self._record_bulk_insert(session, table, len(rows), fixed)
        connection = session.connection()
        raw: Any = connection.connection.driver_connection
        names = ", ".join([*columns, *fixed])
        if self.is_postgresql:
            extra = tuple(fixed.values())
            with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *extra) if extra else row)
        else:
            marks = "(" + ", ".join(["?"] * len(columns) + [_sqlite_literal(v) for v in fixed.values()]) + ")"
            insert = f"INSERT INTO {table.name} ({names}) VALUES "
            # Many rows per statement: the per-statement work (reset, step) then happens once per
            # batch of rows instead of once per row, about a third less time for wide tables.
            limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            per_statement = max(1, min(_ROWS_PER_STATEMENT, limit // max(1, len(columns))))
            whole = len(rows) - len(rows) % per_statement if columns else 0
            cursor = raw.cursor()
            try:
                if whole:
                    cursor.executemany(
                        insert + ", ".join([marks] * per_statement),
                        (
                            tuple(chain.from_iterable(rows[start : start + per_statement]))
                            for start in range(0, whole, per_statement)
                        ),
                    )
                if whole < len(rows):
                    cursor.executemany(insert + marks, rows[whole:])
            finally:
                cursor.close()
        return len(rows)

    def data_version(self) -> int:
        """The number of committed writes so far (see :mod:`bettercities.storage.versioning`)."""
        with self.reader() as session:
            return versioning.current_version(session)

    def dispose(self) -> None:
        self.engine.dispose()


_ROWS_PER_STATEMENT = 400


def _sqlite_literal(value: Any) -> str:
    """``value`` as an SQLite literal (only the plain types a driver-ready constant can have)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot write {value!r} as an SQLite literal")


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Open the database at ``url`` and (by default) bring its schema up to date."""
    db = Database(url)
    if migrate:
        db.migrate()
    return db


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


__all__ = ["Database", "open_database", "sqlite_url"]
