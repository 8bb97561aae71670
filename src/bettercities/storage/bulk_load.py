"""PostgreSQL bulk loads at server speed without a superuser: foreign keys checked set-wise, indexes rebuilt.

PostgreSQL checks a foreign key with a trigger per inserted row (an index look-up and a ``FOR KEY
SHARE`` lock of the referenced row) and inserts every row into every index one at a time. For a million
observations (four foreign keys, three indexes besides the primary key) these are most of an import's
time; switching the triggers off (``session_replication_role``, ``DISABLE TRIGGER ALL``) needs a
superuser. What the table's owner may do is drop the constraints and indexes and create them again, and
that is what :func:`bulk_load` does around a bulk insert, in the caller's transaction:

1. ``ALTER TABLE … DROP CONSTRAINT`` for every foreign key of the table (one statement). PostgreSQL
   locks the table and the referenced tables (``ACCESS EXCLUSIVE``) until the transaction ends, so no
   referenced row can go away meanwhile: the check of step 2 stays true. Readers of those tables wait
   for the import, which is why only large imports take this path (:data:`SET_WISE_FROM`), and why
   the locks are awaited at most :data:`LOCK_WAIT` (else the import runs as small ones do).
2. One query: the distinct ids the rows refer to (given by the caller, who holds them as arrays), those
   missing in the referenced tables. Any missing id raises :class:`MissingReferences` (the caller turns
   it into a report naming the rows) and everything is restored by rolling back to a savepoint.
3. When the load brings at least as many rows as the table holds, its secondary indexes and unique
   constraints are dropped too and built again after the insert: one sort per index instead of an
   insertion per row and index (with :data:`SORT_MEMORY`: 15 % faster for a million rows than with the
   server's default, in an A/B of two rounds). A duplicate key then fails the rebuild (an
   :class:`~sqlalchemy.exc.IntegrityError`, as the insert would have raised). So is the primary key, when
   this role owns the tables whose foreign keys refer to it (those keys are dropped with it and added
   again ``NOT VALID`` after it: the rows they check were not touched, the load only adds rows). For a
   million observations the primary key's insertions were 0.9 s of a 2.3 s ``COPY``, its build 0.15 s.
4. The caller's insert (``COPY``), without per-row checks. Its rows may bring their own ids
   (:func:`reserve_ids`: one block of the id sequence instead of a ``nextval`` per row, 0.45 s for a
   million rows).
   Columns with one value in every row of the load (the import batch, the time, flags that are all
   false) can be left out of the insert: :func:`column_defaults` makes that value the column's default
   for the duration of the load (``ALTER TABLE … ALTER COLUMN … SET DEFAULT``, in the same transaction,
   so no other session ever sees it) and drops it again after. The server then fills them per row
   without receiving and parsing them: 0.3–0.7 s of a million-row ``COPY`` of fifteen columns in an
   experiment (six sent instead of fifteen).
5. The indexes and unique constraints again, then ``ALTER TABLE … ADD CONSTRAINT … NOT VALID`` with each
   foreign key's own definition: instant (no scan of the table); PostgreSQL enforces the constraints for
   every later write. ``NOT VALID`` only records that the rows before were not checked by the server:
   they were, set-wise, in step 2. ``ALTER TABLE … VALIDATE CONSTRAINT`` (a lock that blocks neither
   readers nor writers) marks them valid.

Anywhere else (SQLite, fewer rows, a role that does not own the table) the insert runs as it is, with
the database's own checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg import sql
from sqlalchemy import Table, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bettercities.core.arrays import distinct
from bettercities.storage.database import Database

__all__ = [
    "LOCK_WAIT",
    "SET_WISE_FROM",
    "SORT_MEMORY",
    "MissingReferences",
    "bulk_load",
    "column_defaults",
    "reserve_ids",
]

#: Rows from which a load checks its foreign keys set-wise. Below, per-row checks cost about a second
#: or less and the referenced tables stay readable during the import.
SET_WISE_FROM = 100_000

#: How long to wait for the locks of step 1 before loading with per-row checks.
LOCK_WAIT = "5s"

#: Sort memory of the index rebuilds (``maintenance_work_mem``, in this transaction only): a million
#: rows' keys sort in memory instead of spilling to disk at the server's default of 64 MB.
SORT_MEMORY = "256MB"


class MissingReferences(Exception):
    """Ids that rows refer to but that are not in the referenced tables (column -> sorted ids)."""

    def __init__(self, table: str, missing: dict[str, list[int]]) -> None:
        self.missing = missing
        listed = "; ".join(f"{column}: {ids[:10]}" for column, ids in missing.items())
        super().__init__(f"rows of {table} refer to ids that do not exist ({listed})")


@dataclass(frozen=True)
class _Key:
    name: str
    definition: str
    column: str
    referred_table: str
    referred_column: str


@dataclass(frozen=True)
class _Index:
    name: str
    definition: str  # CREATE INDEX … or, for a unique constraint or primary key, its ADD CONSTRAINT clause
    constraint: bool


@dataclass(frozen=True)
class _Referring:
    """A foreign key of another table that refers to the loaded table's primary key."""

    table: str
    name: str
    definition: str


_KEYS = text(
    """
    SELECT c.conname, pg_get_constraintdef(c.oid), a.attname, c.confrelid::regclass::text, fa.attname,
           has_table_privilege(c.confrelid, 'REFERENCES')
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
    WHERE c.conrelid = CAST(:table AS regclass) AND c.contype = 'f' AND cardinality(c.conkey) = 1
    ORDER BY c.conname
    """
)
_TABLE = text(
    "SELECT pg_has_role(current_user, relowner, 'USAGE'), "
    "(SELECT count(*) FROM pg_constraint WHERE conrelid = c.oid AND contype = 'f'), "
    # rows held: the planner's estimate (-1 before the first ANALYZE: then ~100 bytes a row)
    "CASE WHEN reltuples >= 0 THEN reltuples ELSE pg_relation_size(c.oid) / 100 END "
    "FROM pg_class c WHERE c.oid = CAST(:table AS regclass)"
)
# indexes: plain ones, unique constraints and the primary key (first), not an index of an exclusion or other
# constraint kind; a unique index that another table's foreign key refers to stays (the primary key is
# handled with those keys, see _REFERRING)
_INDEXES = text(
    """
    SELECT i.relname, coalesce(pg_get_constraintdef(c.oid), pg_get_indexdef(x.indexrelid)), c.oid IS NOT NULL,
           x.indisprimary
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
    WHERE x.indrelid = CAST(:table AS regclass)
      AND (c.oid IS NULL OR c.contype IN ('u', 'p'))
      AND (x.indisprimary
           OR NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid))
    ORDER BY x.indisprimary DESC, i.relname
    """
)
# other tables' foreign keys that refer to the table, and whether this role may drop and add them again
_REFERRING = text(
    """
    SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid),
           pg_has_role(current_user, t.relowner, 'USAGE')
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
    WHERE c.confrelid = CAST(:table AS regclass) AND c.contype = 'f' AND c.conrelid <> c.confrelid
    ORDER BY 1, 2
    """
)


def _keys(session: Session, name: str) -> tuple[list[_Key], float] | None:
    """The table's single-column foreign keys and its rows, or ``None`` when this role may not drop and
    re-add the keys."""
    owner, count, held = session.execute(_TABLE, {"table": name}).one()
    rows = session.execute(_KEYS, {"table": name}).all()
    if not owner or len(rows) != count or not all(row[5] for row in rows):
        return None  # not the owner, a composite key, or no REFERENCES right on a referenced table
    # a constraint an earlier load re-added reads "… NOT VALID": the clause is added again below
    return [_Key(row[0], row[1].removesuffix(" NOT VALID"), *row[2:5]) for row in rows], float(held)


@contextmanager
def bulk_load(
    db: Database, session: Session, table: Table, references: Mapping[str, np.ndarray], *, rows: int
) -> Iterator[bool]:
    """Run the block (a bulk insert of ``rows`` rows into ``table``) at server speed where it pays.

    ``references`` gives, for every foreign key column of ``table``, the ids the inserted rows hold
    (repeats allowed). Yields whether the set-wise path is taken. Raises :class:`MissingReferences`
    before the block runs when an id is not in its referenced table; an error in the block rolls the
    block back to the state before it, constraints and indexes included.
    """
    name = _name(session, table)
    found = _keys(session, name) if db.is_postgresql and rows >= SET_WISE_FROM else None
    if not found or not found[0] or any(key.column not in references for key in found[0]):
        yield False
        return
    keys, held = found
    before = session.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
    nested = session.begin_nested()
    try:
        session.execute(text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": LOCK_WAIT})
        session.execute(text(f"ALTER TABLE {name} " + ", ".join(f'DROP CONSTRAINT "{k.name}"' for k in keys)))
    except OperationalError:  # the locks were not granted in time: per-row checks, no waiting
        nested.rollback()
        yield False
        return
    try:
        session.execute(text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": before})
        missing = _missing(session, keys, references)
        if missing:
            raise MissingReferences(table.name, missing)
        indexes, referring = _drop_indexes(session, name) if rows >= held else ([], [])
        yield True
        if indexes and SORT_MEMORY:
            session.execute(text("SELECT set_config('maintenance_work_mem', :m, true)"), {"m": SORT_MEMORY})
        for index in indexes:
            if index.constraint:
                session.execute(text(f'ALTER TABLE {name} ADD CONSTRAINT "{index.name}" {index.definition}'))
            else:
                session.execute(text(index.definition))
        session.execute(
            text(
                f"ALTER TABLE {name} "
                + ", ".join(f'ADD CONSTRAINT "{k.name}" {k.definition} NOT VALID' for k in keys)
            )
        )
        for key in referring:
            definition = key.definition.removesuffix(" NOT VALID")
            session.execute(
                text(f'ALTER TABLE {key.table} ADD CONSTRAINT "{key.name}" {definition} NOT VALID')
            )
    except BaseException:
        nested.rollback()
        raise
    nested.commit()


def _drop_indexes(session: Session, name: str) -> tuple[list[_Index], list[_Referring]]:
    """Drop the table's indexes (and the foreign keys of other tables that need its primary key); what to
    build again, primary key first."""
    rows = session.execute(_INDEXES, {"table": name}).all()
    referring = session.execute(_REFERRING, {"table": name}).all()
    if not all(row[3] for row in referring):  # another role's table refers to it: the primary key stays
        referring, rows = [], [row for row in rows if not row[3]]
    keys = [_Referring(*row[:3]) for row in referring]
    for key in keys:
        session.execute(text(f'ALTER TABLE {key.table} DROP CONSTRAINT "{key.name}"'))
    indexes = [_Index(*row[:3]) for row in rows]
    for index in indexes:
        if index.constraint:
            session.execute(text(f'ALTER TABLE {name} DROP CONSTRAINT "{index.name}"'))
        else:
            session.execute(text(f'DROP INDEX "{index.name}"'))
    return indexes, keys


# columns that have a default, are an identity or are generated: their defaults are not this module's to touch
_DEFAULTED = text(
    """
    SELECT attname FROM pg_attribute
    WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped
      AND (atthasdef OR attidentity <> '' OR attgenerated <> '')
    """
)


@contextmanager
def column_defaults(session: Session, table: Table, values: Mapping[str, Any]) -> Iterator[frozenset[str]]:
    """Make ``values`` (column -> the value every row of the load has) the columns' defaults while the
    block inserts; yields the columns the server now supplies, which the insert leaves out.

    Only inside the set-wise block of :func:`bulk_load` (this role owns the table and holds its lock;
    an error there rolls the defaults back with everything else). A column that has a default of its
    own, or is an identity or generated column, is not touched and not yielded; a ``None`` value needs
    no default (the column's is NULL). The defaults are dropped again when the block ends.
    """
    name = _name(session, table)
    taken = set(session.execute(_DEFAULTED, {"table": name}).scalars())
    usable = {column: value for column, value in values.items() if column in table.c and column not in taken}
    literal = {column: value for column, value in usable.items() if value is not None}
    if literal:
        # composed by psycopg and sent as it is (no placeholders parsed, a ``%`` in a text stays one)
        settings = sql.SQL(", ").join(
            sql.SQL("ALTER COLUMN {} SET DEFAULT {}").format(sql.Identifier(column), _literal(value))
            for column, value in literal.items()
        )
        _execute(session, sql.SQL("ALTER TABLE {} {}").format(sql.SQL(name), settings))
    yield frozenset(usable)
    if literal:
        drops = sql.SQL(", ").join(
            sql.SQL("ALTER COLUMN {} DROP DEFAULT").format(sql.Identifier(column)) for column in literal
        )
        _execute(session, sql.SQL("ALTER TABLE {} {}").format(sql.SQL(name), drops))


def _literal(value: Any) -> sql.Composable:
    """``value`` as an SQL literal that reads back exactly: a float as a typed text (psycopg writes -0.0
    as a number, which PostgreSQL reads as a numeric without a sign of zero)."""
    if isinstance(value, float | np.floating):  # numpy's too (whose repr reads "np.float64(…)")
        return sql.SQL("CAST({} AS double precision)").format(sql.Literal(repr(float(value))))
    return sql.Literal(value)


def _execute(session: Session, statement: sql.Composable) -> None:
    """Run ``statement`` on the session's connection, in its transaction, without parameters."""
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(statement)


def _name(session: Session, table: Table) -> str:
    return str(session.get_bind().dialect.identifier_preparer.format_table(table))


def reserve_ids(session: Session, table: Table, count: int) -> np.ndarray | None:
    """``count`` new ids of ``table``'s integer primary key, taken from its sequence as one block (the rows
    of a load then bring their ids: no ``nextval`` per row); ``None`` when the key has no sequence.

    Only inside the set-wise block of :func:`bulk_load`: the table is locked there (``ACCESS
    EXCLUSIVE``), so no other insert can draw from the sequence between the two steps of the
    reservation. Ids of a load that is rolled back are not used again, as with ``nextval``.
    """
    (column,) = table.primary_key.columns
    sequence, always = session.execute(
        text(
            "SELECT pg_get_serial_sequence(:table, :column), "
            "(SELECT attidentity = 'a' FROM pg_attribute WHERE attrelid = CAST(:table AS regclass) "
            "AND attname = :column)"
        ),
        {"table": table.name, "column": column.name},
    ).one()
    if sequence is None or always or count <= 0:  # GENERATED ALWAYS takes no given ids
        return None
    last = session.execute(
        text("SELECT setval(CAST(:s AS regclass), nextval(CAST(:s AS regclass)) + :n - 1)"),
        {"s": sequence, "n": count},
    ).scalar_one()
    return np.arange(int(last) - count + 1, int(last) + 1, dtype=np.int64)


def _missing(
    session: Session, keys: list[_Key], references: Mapping[str, np.ndarray]
) -> dict[str, list[int]]:
    """Ids of ``references`` not in their referenced tables, by column: one query for all keys."""
    parts, values = [], {}
    for number, key in enumerate(keys):
        ids = distinct(references[key.column])
        values[f"ids{number}"] = [int(i) for i in ids]
        parts.append(
            f"SELECT {number} AS key, x FROM unnest(CAST(:ids{number} AS bigint[])) AS x "
            f'WHERE NOT EXISTS (SELECT 1 FROM {key.referred_table} r WHERE r."{key.referred_column}" = x)'
        )
    found: dict[str, list[int]] = {}
    for number, value in session.execute(text(" UNION ALL ".join(parts)), values).all():
        found.setdefault(keys[number].column, []).append(int(value))
    return {column: sorted(ids) for column, ids in found.items()}
