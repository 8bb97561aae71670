"""Recording hooks: every write of a session becomes an audit entry, written with the write's own transaction.

Installed on the application's sessionmaker by :class:`bettercities.storage.Database`, beside the data
version (:func:`bettercities.storage.versioning.track`), through the session hook that
:mod:`bettercities.audit.hooks` registers:

* ORM flushes (``session.add`` / attribute changes / ``session.delete``): one entry per inserted, updated or
  deleted row of a data table, with the values before and after (changed columns only for an update).
  Rows that a domain declares part of a parent row (:func:`group_rows`: an index run's area rows) are no
  entries of their own: inserted in the unit of work that inserted their parent, they are counted in the
  parent's entry (one entry per index run, not 447); inserted later, one ``bulk-insert`` entry per parent.
* ORM-enabled DML (``session.execute(insert/update/delete(...))``): one ``bulk-…`` entry per table and
  statement shape in a unit of work, with the row count and the statement's criteria; the chunks of one
  operation (e.g. 500 ``UPDATE … WHERE id IN (…)``) are one entry.
* :meth:`Database.bulk_insert` (``executemany`` / ``COPY``, past the ORM): one ``bulk-insert`` entry per
  table in a unit of work, with the row count; the constant foreign keys of every chunk (the import batch)
  are the reference. A million-row import is one entry, not a million.
* Safety net: a unit of work that changed data (the data version's marker) without any write these hooks
  saw gets one generic ``write`` entry at commit, so no committed write goes unrecorded.

Entries are buffered on the session and inserted just before the commit, in the same transaction: a write
rolled back leaves no entry, a committed write always has one.

Every entry about a city's data names the city, so that its admins find it in the city's log: a row with a
``city_id`` names its own; a row without one (a ballot, a vote, a goal's area, an observation) names the city
that its foreign keys lead to (:func:`city_path`: the first foreign key, in column order, whose table has a
``city_id`` or leads to one, never through the accounts' tables), looked up when the entries are written; a
bulk update or delete names the one city of the rows it matches (looked up before the statement runs).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Table, Update, event, insert, select
from sqlalchemy.exc import CompileError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.sql.elements import BindParameter

from bettercities.audit.context import current_actor
from bettercities.audit.models import AuditEntry
from bettercities.storage import versioning
from bettercities.storage.base import utcnow

_PENDING = "bettercities.audit.pending"  # entries (dicts) waiting for the commit, in order
_BULK = "bettercities.audit.bulk"  # aggregation key -> entry in _PENDING
_SEEN = "bettercities.audit.seen"  # these hooks saw a data write in this unit of work
_MARKS = "bettercities.audit.marks"  # savepoint -> length of _PENDING and the parents' counts when it began
_PARENTS = "bettercities.audit.parents"  # (table, primary key) -> insert entry of a grouping parent row

#: Column names whose values are never stored (substrings, case-insensitive).
REDACTED = ("password", "token_hash", "secret")
REDACTION = "***"
#: Longer texts (GeoJSON outlines, RDF) are stored as their length and SHA-256, not in full.
LONGEST_VALUE = 2000
#: Action of the safety net's entry.
GENERIC = "write"


# -- values ------------------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON (dates as ISO text, long texts as length and digest, NaN as text)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        if len(value) <= LONGEST_VALUE:
            return value
        digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
        return f"<{len(value)} characters, sha256 {digest}>"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return jsonable(item())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def is_redacted(column: str) -> bool:
    name = column.lower()
    return any(part in name for part in REDACTED)


def values(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Column values ready for an entry: redacted where the name says secret, JSON-ready otherwise."""
    return {key: REDACTION if is_redacted(key) else jsonable(value) for key, value in items}


# -- the buffer --------------------------------------------------------------------------------------------


def _pending(session: Session) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] | None = session.info.get(_PENDING)
    if found is None:
        found = session.info[_PENDING] = []
    return found


def new_entry(action: str, summary: str, **fields: Any) -> dict[str, Any]:
    actor = current_actor()
    return {
        "at": utcnow(),
        "actor": actor.name[:200],
        "actor_user_id": actor.user_id,
        "via": actor.via,
        "request_id": actor.request_id,
        "city_id": None,
        "city": None,
        "action": action,
        "entity": None,
        "entity_key": None,
        "before": None,
        "after": None,
        "reference": None,
        "summary": summary,
        **fields,
    }


def add(session: Session, entry: dict[str, Any]) -> None:
    """Buffer ``entry`` (see :func:`new_entry`) for the commit of ``session``'s transaction."""
    _pending(session).append(entry)


def _bulk(session: Session, key: tuple[Any, ...], action: str, table: str, rows: int) -> dict[str, Any]:
    """The one entry of this unit of work for ``key``, created on first use; ``rows`` added to its count."""
    index: dict[tuple[Any, ...], dict[str, Any]] = session.info.setdefault(_BULK, {})
    entry = index.get(key)
    if entry is None:
        entry = index[key] = new_entry(action, "", entity=table, _rows=0, _key=key)
        add(session, entry)
    entry["_rows"] += rows
    session.info[_SEEN] = True
    return entry


def _is_data(table: str | None) -> bool:
    return table is not None and table not in versioning.BOOKKEEPING_TABLES


# -- the city of a row -------------------------------------------------------------------------------------

#: Tables a path to a city never goes through: an account is no city's (a user's tokens are nobody's city).
NO_CITY_THROUGH = frozenset({"app_user"})
#: One step of a path to a city: (table, its foreign-key column, the referenced table, its referenced column).
Step = tuple[str, str, str, str]
_paths: dict[str, tuple[Step, ...] | None] = {}


def city_path(name: str) -> tuple[Step, ...] | None:
    """How a row of table ``name`` finds its city.

    ``()`` when the table has a ``city_id``; else the steps from it to a table with one, through the first
    foreign key (in column order) that leads there; ``None`` when none does (an account, a network, an
    indicator).
    """
    if name in _paths:
        return _paths[name]
    _paths[name] = None  # while searching: a cycle of foreign keys leads nowhere
    table = AuditEntry.metadata.tables.get(name)
    found: tuple[Step, ...] | None = None
    if table is not None and "city_id" in table.c:
        found = ()
    elif table is not None and name not in NO_CITY_THROUGH:
        for column in table.c:
            for key in sorted(column.foreign_keys, key=lambda k: k.target_fullname):
                target = key.column.table.name
                if target == name or target in NO_CITY_THROUGH:
                    continue
                rest = city_path(target)
                if rest is not None:
                    found = ((name, column.name, target, key.column.name), *rest)
                    break
            if found is not None:
                break
    _paths[name] = found
    return found


def _city_through(connection: Any, path: tuple[Step, ...], value: Any) -> int | None:
    """The city reached from ``value`` (of the path's first foreign key): one query per step."""
    tables = AuditEntry.metadata.tables
    for index, (_, _, target, referenced) in enumerate(path):
        if value is None:
            return None
        parent = tables[target]
        wanted = parent.c.city_id if index + 1 == len(path) else parent.c[path[index + 1][1]]
        value = connection.execute(select(wanted).where(parent.c[referenced] == value).limit(1)).scalar()
    return value if isinstance(value, int) else None


_MISSING = object()


def _find_city(connection: Any, entry: dict[str, Any], memo: dict[tuple[Any, ...], int | None]) -> int | None:
    """The city of a row entry without one, through its table's :func:`city_path` (``memo``: the cities
    found for (path, value) in this commit: a goal's 500 areas are one lookup)."""
    name = entry.get("entity")
    path = city_path(name) if isinstance(name, str) else None
    if not path or entry["action"] not in ("insert", "update", "delete"):
        return None
    table = AuditEntry.metadata.tables[path[0][0]]
    column = path[0][1]
    value = _MISSING
    for side in ("after", "before"):
        found = (entry.get(side) or {}).get(column, _MISSING)
        if found is not _MISSING:
            value = found
            break
    if value is _MISSING:  # an update that did not change the foreign key: read it from the row
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or entry.get("entity_key") in (None, ""):
            return None
        try:
            key = keys[0].type.python_type(entry["entity_key"])
        except (NotImplementedError, TypeError, ValueError):
            return None
        value = connection.execute(select(table.c[column]).where(keys[0] == key)).scalar()
    if (path, value) not in memo:
        memo[path, value] = _city_through(connection, path, value)
    return memo[path, value]


def _bulk_city(session: Session, table_name: str, where: Any) -> int | None:
    """The one city of the rows a bulk update or delete matches (``None`` when none or several)."""
    path = city_path(table_name)
    if path is None:
        return None
    table = AuditEntry.metadata.tables[table_name]
    connection = session.connection()
    if not path:
        found = connection.execute(select(table.c.city_id).where(where).distinct().limit(2)).scalars().all()
        return found[0] if len(found) == 1 and isinstance(found[0], int) else None
    keys = connection.execute(select(table.c[path[0][1]]).where(where).distinct().limit(2)).scalars().all()
    return _city_through(connection, path, keys[0]) if len(keys) == 1 else None


# -- row groups --------------------------------------------------------------------------------------------

#: A parent row's values (as stored, not made JSON-ready) and its child rows per table -> the entry's summary
#: and what to add to its ``after`` (e.g. the indicators of an index run).
Describe = Callable[[Mapping[str, Any], Mapping[str, int]], tuple[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class RowGroup:
    """Rows of a child table that are part of a row of ``parent`` (``key``: the child's column holding it)."""

    parent: str
    key: str
    describe: Describe | None = None


_GROUPS: dict[str, RowGroup] = {}


def group_rows(child: str, *, parent: str, key: str, describe: Describe | None = None) -> None:
    """Record the rows of table ``child`` as part of their ``parent`` row (whose primary key ``key`` holds).

    Inserted in the unit of work that inserted the parent, they are counted in the parent's insert entry
    (``after[child]`` = the number of rows; ``describe`` writes its summary, and more of ``after``, from the
    parent's stored values and those counts); inserted later, they are one ``bulk-insert`` entry per parent.
    Updates and deletes of child rows stay one entry per row. A domain registers its groups when the module
    that writes them loads.
    """
    _GROUPS[child] = RowGroup(parent=parent, key=key, describe=describe)


def _parents(session: Session) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = session.info.setdefault(_PARENTS, {})
    return found


def _grouped(session: Session, table: str, obj: Any) -> None:
    """Count an inserted child row into its parent's entry, else into the parent's bulk entry."""
    group = _GROUPS[table]
    parent_key = obj._sa_instance_state.dict.get(group.key)
    session.info[_SEEN] = True
    parent = _parents(session).get((group.parent, str(parent_key)))
    if parent is not None:
        children: dict[str, int] = parent.setdefault("_children", {})
        children[table] = children.get(table, 0) + 1
        return
    entry = _bulk(session, ("bulk-insert", table, group.key, parent_key), "bulk-insert", table, 1)
    entry["_criteria"] = entry["_literal"] = f"{table}.{group.key} = {parent_key}"
    entry["_statements"] = 1
    entry["reference"] = f"{group.parent} {parent_key}"


# -- ORM flushes -------------------------------------------------------------------------------------------


def _after_flush(session: Session, _context: Any) -> None:
    # History is still the pre-flush one here, and new rows already have their primary keys.
    children: list[tuple[str, Any]] = []
    parent_tables = {group.parent for group in _GROUPS.values()}
    for kind, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if not _is_data(table):
                continue
            if kind == "insert" and table in _GROUPS:
                children.append((str(table), obj))  # after the parents of this flush have their entries
                continue
            session.info[_SEEN] = True
            entry = _row_entry(kind, table, obj)
            if entry is not None:
                add(session, entry)
                if kind == "insert" and table in parent_tables:
                    entry["_raw"] = dict(obj._sa_instance_state.dict)
                    _parents(session)[(str(table), str(entry["entity_key"]))] = entry
    for table, obj in children:
        _grouped(session, table, obj)


def _row_entry(kind: str, table: str | None, obj: Any) -> dict[str, Any] | None:
    state: InstanceState[Any] = obj._sa_instance_state
    mapper = state.mapper
    columns = [attr.key for attr in mapper.column_attrs]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    if kind == "insert":
        after = values((key, state.dict[key]) for key in columns if key in state.dict)
    elif kind == "delete":
        before = values((key, state.dict[key]) for key in columns if key in state.dict)
    else:
        old: list[tuple[str, Any]] = []
        new: list[tuple[str, Any]] = []
        for key in columns:
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            if history.deleted:  # unknown when the old value was never loaded
                old.append((key, history.deleted[0]))
            new.append((key, history.added[0] if history.added else None))
        if not new:
            return None  # in session.dirty without a changed column (a relationship, or the same value)
        before, after = values(old), values(new)
    keys = [state.dict.get(mapper.get_property_by_column(column).key) for column in mapper.primary_key]
    entity_key = "/".join("" if k is None else str(k) for k in keys)
    city_id, city = _city_of(table, obj, state)
    changed = f": {', '.join(after)}" if kind == "update" and after else ""
    return new_entry(
        kind,
        f"{kind} {table} {entity_key}{changed}",
        entity=table,
        entity_key=entity_key[:200],
        before=before,
        after=after,
        city_id=city_id,
        city=city,
    )


def _city_of(table: str | None, obj: Any, state: InstanceState[Any]) -> tuple[int | None, str | None]:
    if table == "city":
        return state.dict.get("id"), state.dict.get("slug")
    city_id = state.dict.get("city_id")
    return (city_id, None) if isinstance(city_id, int) else (None, None)


# -- ORM-enabled DML ---------------------------------------------------------------------------------------

_POSTCOMPILE = re.compile(r"__\[POSTCOMPILE_(\w+)\]")


def _on_execute(state: ORMExecuteState) -> Any:
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    statement: Any = state.statement
    table = getattr(getattr(statement, "table", None), "name", None)
    if not _is_data(table):
        return None
    action = "bulk-insert" if state.is_insert else "bulk-update" if state.is_update else "bulk-delete"
    where = getattr(statement, "whereclause", None)
    criteria = _POSTCOMPILE.sub(r":\1", str(where)) if where is not None else None
    assigned = _assigned(statement)
    params = state.parameters
    many = params if isinstance(params, list) else None
    key = (action, table, criteria, tuple(sorted((k, repr(v)) for k, v in assigned.items())))
    result = None
    city_id = None
    if (
        many is None
        and where is not None
        and not state.is_insert
        and key not in (state.session.info.get(_BULK) or {})
    ):
        city_id = _bulk_city(state.session, table or "", where)  # before the rows are changed or gone
    if many is not None:
        rows = len(many)
    else:
        result = state.invoke_statement()
        count = getattr(result, "rowcount", -1)
        rows = count if isinstance(count, int) and count >= 0 else 0
    entry = _bulk(state.session, key, action, table or "", rows)
    entry["_criteria"] = criteria
    entry["_statements"] = entry.get("_statements", 0) + 1
    if where is not None and entry["_statements"] == 1:
        entry["_literal"] = _literal(where, state.session)
    if assigned:
        entry["after"] = values(assigned.items())
    if many is not None:
        cities = {row.get("city_id") for row in many if isinstance(row, Mapping)}
        if len(cities) == 1 and isinstance(next(iter(cities)), int):
            entry["city_id"] = next(iter(cities))
    elif city_id is not None:
        entry["city_id"] = city_id
    return result


def _literal(where: Any, session: Session) -> str | None:
    """The criteria with their values written in (``city.slug = 'berlin'``), unless long or not renderable."""
    try:
        text = str(where.compile(bind=session.get_bind(), compile_kwargs={"literal_binds": True}))
    except (CompileError, NotImplementedError):  # a value without a literal form: keep the placeholders
        return None
    return text if len(text) <= 500 else None


def _assigned(statement: Any) -> dict[str, Any]:
    """The values an UPDATE sets: literals as they are, SQL expressions as their text."""
    if not isinstance(statement, Update):
        return {}
    out: dict[str, Any] = {}
    for column, value in (getattr(statement, "_values", None) or {}).items():
        name = getattr(column, "key", None) or str(column)
        out[str(name)] = value.value if isinstance(value, BindParameter) else str(value)
    return out


# -- Database.bulk_insert ----------------------------------------------------------------------------------


def record_bulk_insert(session: Session, table: Table, rows: int, constants: Mapping[str, Any]) -> None:
    """Count ``rows`` inserted into ``table`` by :meth:`Database.bulk_insert` into this unit of work's entry.

    The reference names the foreign keys that were the same constant in every chunk (the import batch;
    an indicator when the whole unit of work is about one).
    """
    references = {
        name: f"{next(iter(table.c[name].foreign_keys)).column.table.name} {value}"
        for name, value in constants.items()
        if name in table.c and table.c[name].foreign_keys and name != "city_id"
    }
    entry = _bulk(session, ("bulk-insert", table.name, None), "bulk-insert", table.name, rows)
    if "_references" not in entry:
        entry["_references"] = references
    else:  # keep only the constants shared by every chunk
        shared = entry["_references"]
        entry["_references"] = {k: v for k, v in shared.items() if references.get(k) == v}
    city_id = constants.get("city_id")
    if isinstance(city_id, int):
        entry["city_id"] = city_id


# -- commit ------------------------------------------------------------------------------------------------


def _before_commit(session: Session) -> None:
    session.flush()
    pending = session.info.get(_PENDING) or []
    if versioning.has_changes(session) and not session.info.get(_SEEN):
        pending.append(new_entry(GENERIC, "data changed by a write the audit hooks did not see in detail"))
    if pending:
        _write(session, pending)
    _clear(session)


def _write(session: Session, pending: list[dict[str, Any]]) -> None:
    # A unit of work about one city (an import) lends it to its entries without a city (observations).
    connection = session.connection()
    memo: dict[tuple[Any, ...], int | None] = {}
    for entry in pending:
        if entry["city_id"] is None:
            entry["city_id"] = _find_city(connection, entry, memo)
    cities = {entry["city_id"] for entry in pending if entry["city_id"] is not None}
    only = next(iter(cities)) if len(cities) == 1 else None
    rows = []
    for entry in pending:
        if only is not None and entry["city_id"] is None and entry["entity"] is not None:
            entry["city_id"] = only
        rows.append(_finish(entry))
    wanted = {row["city_id"] for row in rows if row["city_id"] is not None and row["city"] is None}
    if wanted:
        from bettercities.areas.models import City

        slugs = {i: s for i, s in connection.execute(select(City.id, City.slug).where(City.id.in_(wanted)))}
        for row in rows:
            if row["city"] is None and row["city_id"] is not None:
                row["city"] = slugs.get(row["city_id"])
    # Through the connection: the insert is not itself a write the hooks (or the data version) would see.
    connection.execute(insert(AuditEntry.__table__), rows)  # type: ignore[arg-type]


def _finish(entry: dict[str, Any]) -> dict[str, Any]:
    """The row of a buffered entry: bulk entries get their count, criteria and reference written out."""
    rows = entry.pop("_rows", None)
    entry.pop("_key", None)
    criteria = entry.pop("_criteria", None)
    literal = entry.pop("_literal", None)
    if entry.pop("_statements", 0) == 1 and literal:
        criteria = literal  # one statement: its own values; several: the shape they share
    references = entry.pop("_references", None)
    raw = entry.pop("_raw", None)
    children = entry.pop("_children", None)
    if children:
        entry["after"] = {**(entry["after"] or {}), **children}
        describe = next((_GROUPS[t].describe for t in children if _GROUPS[t].describe), None)
        if describe is not None and raw is not None:
            entry["summary"], more = describe(raw, children)
            entry["after"].update(values(more.items()))
    if rows is not None:
        verb = {"bulk-insert": "into", "bulk-update": "of", "bulk-delete": "from"}[entry["action"]]
        where = f" where {criteria}" if criteria else ""
        entry["summary"] = f"{entry['action']}: {rows} rows {verb} {entry['entity']}{where}"
        entry["after"] = {**(entry["after"] or {}), "rows": rows}
        if references:
            entry["reference"] = "; ".join(references.values())
        elif criteria and entry["reference"] is None:
            entry["reference"] = criteria
    return entry


def _clear(session: Session) -> None:
    for key in (_PENDING, _BULK, _SEEN, _MARKS, _PARENTS):
        session.info.pop(key, None)


def _after_transaction_create(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        counts = {key: dict(e.get("_children", {})) for key, e in _parents(session).items()}
        session.info.setdefault(_MARKS, {})[id(transaction)] = (len(session.info.get(_PENDING) or []), counts)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        _clear(session)
        return
    # A savepoint rolled back: only the entries buffered since it began go.
    mark = session.info.get(_MARKS, {}).pop(id(previous), None)
    pending = session.info.get(_PENDING)
    if mark is not None and pending is not None:
        length, counts = mark
        del pending[length:]
        session.info[_BULK] = {e["_key"]: e for e in pending if "_key" in e}
        parents = {(e["entity"], str(e["entity_key"])): e for e in pending if "_raw" in e}
        for key, entry in parents.items():  # child rows counted since the savepoint began are gone too
            entry["_children"] = counts.get(key, {})
        session.info[_PARENTS] = parents


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        _clear(session)


def track(sessions: sessionmaker[Session]) -> None:
    """Record every write of a session from ``sessions`` in the audit log (see the module's docstring)."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _on_execute)
    # First: the data version's own before_commit consumes the marker the safety net reads.
    event.listen(sessions, "before_commit", _before_commit, insert=True)
    event.listen(sessions, "after_transaction_create", _after_transaction_create)
    event.listen(sessions, "after_soft_rollback", _after_soft_rollback)
    event.listen(sessions, "after_transaction_end", _after_transaction_end)


__all__ = [
    "GENERIC",
    "REDACTED",
    "Describe",
    "RowGroup",
    "add",
    "city_path",
    "group_rows",
    "jsonable",
    "new_entry",
    "record_bulk_insert",
    "track",
    "values",
]
