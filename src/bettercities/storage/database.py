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
from collections.abc import Collection, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bettercities.storage import copy_binary, hooks, schema, versioning

log = logging.getLogger(__name__)


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
        # The hooks the domains registered watch every write of these sessions (the audit log records it).
        self._hooks = hooks.session_hooks()
        for hook in self._hooks:
            hook.track(self._sessions)
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
    def session(self, within: Connection | None = None) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any exception.

        ``within`` (from :meth:`transaction`): the unit of work is part of that transaction; its commit
        records it (audit entries, data version) but commits nothing, its rollback rolls back the whole.
        """
        session = (
            self._sessions()
            if within is None
            else self._sessions(bind=within, join_transaction_mode="rollback_only")
        )
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction for several units of work (:meth:`session` ``within`` it): committed when the
        block ends, rolled back on any exception, so that either all of them are written or none."""
        with self.engine.begin() as connection:
            yield connection

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

        Each domain's migrations (in storage's ``versions/`` or the domain's own ``migrations/``, see
        :mod:`bettercities.storage.schema`) branch from the shared core revision, so the default target
        is every head; a merge revision joins branches when they must depend on each other.
        """
        from alembic import command

        if revision == "heads" and self.schema_is_current():
            # Every opening of a workspace (each CLI command) comes here: reading the applied heads is one
            # query, where an upgrade with nothing to do still ran env.py and its check of every foreign key.
            return
        command.upgrade(schema.alembic_config(self.engine), revision)
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
        return set(self.current_heads()) == schema.heads(schema.alembic_config(self.engine))

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

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

        SQLite: the driver's ``executemany`` on tuples. PostgreSQL: ``COPY … FROM STDIN`` in CSV
        form, built by pyarrow from whole columns (see :meth:`bulk_insert_columns`); a table with a
        column type pyarrow does not write here (JSON, numeric, binary …), or values of another type
        than their column's (a timestamp given as text), is copied row by row as psycopg adapts them.
        Both run on the session's own connection, so the insert commits or rolls back
        with the rest of the unit of work. ``constants`` are columns with the same driver-ready
        value in every row (a batch id, a timestamp, flags that are all false): SQLite gets them
        as literals in the statement, which saves binding them once per row.
        """
        if not rows:
            return 0
        fixed = self._begin_bulk(session, table, columns, len(rows), constants)
        raw: Any = session.connection().connection.driver_connection
        names = self._column_list(table, [*columns, *fixed])
        if self.is_postgresql:
            data = _arrow_rows(table, columns, rows, fixed)
            if data is not None:
                _copy_csv(raw, self._quoted(table), names, data)
                return len(rows)
            log.debug("bulk insert into %s row by row: a column or value has no CSV form here", table.name)
            extra = tuple(fixed.values())
            statement = f"COPY {self._quoted(table)} ({names}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row((*row, *extra) if extra else row)
        else:
            marks = "(" + ", ".join(["?"] * len(columns) + [_sqlite_literal(v) for v in fixed.values()]) + ")"
            insert = f"INSERT INTO {self._quoted(table)} ({names}) VALUES "
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

    def bulk_insert_columns(
        self,
        session: Session,
        table: Table,
        data: Mapping[str, np.ndarray],
        *,
        constants: Mapping[str, Any] | None = None,
        server_defaults: Collection[str] = (),
    ) -> int:
        """Insert the rows held as equally long numpy arrays ``data`` (column name -> values).

        Like :meth:`bulk_insert` (same transaction, same audit entry), for callers whose rows are
        columns already: NaN in a float array (NaT in a datetime array) and ``None`` in an object
        array are NULL. On PostgreSQL, a table whose columns are all numbers, flags, timestamps and
        dates receives the rows in ``COPY``'s binary form, encoded from the arrays as numpy records
        (:mod:`bettercities.storage.copy_binary`: the server stores bytes instead of parsing text,
        constants cost nothing per row). Other tables' arrays become an Arrow table that pyarrow
        writes as one CSV ``COPY`` payload (floats in their shortest exact form, texts always quoted
        so that an empty text stays distinct from NULL). Either way no Python object per value.
        SQLite receives tuples (``executemany``).

        ``server_defaults`` names constants that PostgreSQL supplies itself as the columns' defaults (set
        for the load by :func:`bettercities.storage.bulk_load.column_defaults`): they are counted into
        the audit entry like every constant but left out of the ``COPY``, so the server neither receives
        nor parses them per row.
        """
        columns = list(data)
        if not columns:
            raise ValueError(f"no column arrays for table {table.name}: they carry the number of rows")
        lengths = {len(array) for array in data.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths {sorted(lengths)} for table {table.name}")
        count = lengths.pop() if lengths else 0
        if not count:
            return 0
        supplied = set(server_defaults)
        if supplied - set(constants or {}):
            raise ValueError(f"server defaults {sorted(supplied - set(constants or {}))} are not constants")
        if supplied and not self.is_postgresql:
            raise ValueError("server defaults are set by a PostgreSQL bulk load only")
        if not self.is_postgresql:
            values = [_driver_values(array) for array in data.values()]
            rows = list(zip(*values, strict=True))
            return self.bulk_insert(session, table, columns, rows, constants=constants)
        fixed = self._begin_bulk(session, table, columns, count, constants)
        fixed = {name: value for name, value in fixed.items() if name not in supplied}
        raw: Any = session.connection().connection.driver_connection
        encoded = copy_binary.encoder(table, data, fixed, count)
        if encoded is not None:
            target = f"{self._quoted(table)} ({self._column_list(table, encoded.names)})"
            with raw.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN (FORMAT binary)") as copy:
                for block in encoded.blocks(_COPY_ROWS):
                    copy.write(block)
            return count
        arrays = [pa.array(array, from_pandas=True) for array in data.values()]
        for name, value in fixed.items():
            kind = _arrow_type(table.c[name].type)
            if kind is None:
                column = table.c[name]
                raise TypeError(f"cannot copy a constant into {table.name}.{name} of type {column.type}")
            arrays.append(_repeated(value, kind, count))
        names = [*columns, *fixed]
        _copy_csv(raw, self._quoted(table), self._column_list(table, names), pa.table(arrays, names=names))
        return count

    def _quoted(self, table: Table) -> str:
        return str(self.engine.dialect.identifier_preparer.format_table(table))

    def _column_list(self, table: Table, names: Sequence[str]) -> str:
        """Column names for a statement, quoted where needed (``user`` is reserved in PostgreSQL)."""
        return ", ".join(self.engine.dialect.identifier_preparer.format_column(table.c[n]) for n in names)

    def _begin_bulk(
        self,
        session: Session,
        table: Table,
        columns: Sequence[str],
        count: int,
        constants: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Check the column names, mark the data changed and count the rows into the audit entry."""
        versioning.mark_changed(session)
        fixed = dict(constants or {})
        unknown = [name for name in (*columns, *fixed) if name not in table.c]
        if unknown:
            raise ValueError(f"no columns {unknown} in table {table.name}")
        for hook in self._hooks:
            hook.bulk_insert(session, table, count, fixed)
        return fixed

    def data_version(self) -> int:
        """The number of committed writes so far (see :mod:`bettercities.storage.versioning`)."""
        with self.reader() as session:
            return versioning.current_version(session)

    def dispose(self) -> None:
        self.engine.dispose()


_ROWS_PER_STATEMENT = 400


_COPY_ROWS = 100_000  # rows per CSV block handed to COPY (bounds the size of one payload)


def _arrow_type(kind: sqltypes.TypeEngine[Any]) -> pa.DataType | None:
    """The Arrow type whose CSV text PostgreSQL reads back exactly for a column of type ``kind``."""
    if isinstance(kind, sqltypes.Boolean):
        return pa.bool_()
    if isinstance(kind, sqltypes.Integer):
        return pa.int64()
    if isinstance(kind, sqltypes.Float):
        return pa.float64()
    if isinstance(kind, sqltypes.String) and not isinstance(kind, sqltypes.Enum):
        return pa.string()
    if isinstance(kind, sqltypes.DateTime):
        return pa.timestamp("us", tz="UTC") if kind.timezone else pa.timestamp("us")
    if isinstance(kind, sqltypes.Date):
        return pa.date32()
    return None


def _arrow_rows(
    table: Table, columns: Sequence[str], rows: Sequence[tuple], fixed: Mapping[str, Any]
) -> pa.Table | None:
    """``rows`` and the constants as an Arrow table typed by the columns' types.

    ``None`` when a column has a type without an Arrow counterpart here or a value does not convert
    to its column's Arrow type (the caller then copies row by row).
    """
    kinds = [_arrow_type(table.c[name].type) for name in (*columns, *fixed)]
    if any(kind is None for kind in kinds):
        return None
    count = len(rows)
    try:
        given = zip(zip(*rows, strict=True), kinds[: len(columns)], strict=True)
        data = [pa.array(values, type=kind) for values, kind in given]
        data += [
            _repeated(value, kind, count)
            for value, kind in zip(fixed.values(), kinds[len(columns) :], strict=True)
            if kind is not None
        ]
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None
    return pa.table(data, names=[*columns, *fixed])


def _repeated(value: Any, kind: pa.DataType, count: int) -> pa.Array:
    """``value`` ``count`` times as an Arrow array of type ``kind``."""
    if value is None:
        return pa.nulls(count, type=kind)
    return pa.repeat(pa.scalar(value, type=kind), count)


def _copy_csv(raw: Any, table: str, names: str, data: pa.Table) -> None:
    """``COPY table (names) FROM STDIN`` with ``data`` written as CSV by pyarrow, block by block.

    In PostgreSQL's CSV form an unquoted empty field is NULL and a quoted one an empty text; pyarrow
    leaves nulls empty and quotes every text, so tabs, newlines, quotes and backslashes in texts
    arrive as they are. Floats are written in their shortest form that reads back to the same
    double (``nan`` and ``inf`` included), timestamps with zone as UTC (``…Z``).
    """
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, data.num_rows, _COPY_ROWS):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(data.slice(start, _COPY_ROWS), sink, write_options=options)
            copy.write(memoryview(sink.getvalue()))


def _driver_values(array: np.ndarray) -> list[Any]:
    """``array`` as Python values for the driver; NaN in a float array becomes ``None`` (NULL)."""
    if array.dtype.kind == "f":
        nan = np.isnan(array)
        if nan.any():
            out = array.astype(object)
            out[nan] = None
            return list(out.tolist())
    return list(array.tolist())


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
