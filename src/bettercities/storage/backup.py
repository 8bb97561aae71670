"""Backup and restore of a workspace: a consistent snapshot of the database and the uploads, with a manifest.

A snapshot is a folder::

    manifest.json        format, versions, backend, Alembic heads, data version, row counts, SHA-256s
    database.sqlite      SQLite: a copy made with SQLite's online backup API (consistent while the app writes)
    database.pgdump      PostgreSQL: ``pg_dump --format=custom``
    uploads/...          the workspace's uploads folder, when there is one

The manifest's facts (heads, data version, row counts) are read from the very state the snapshot holds: from
the copied file on SQLite, and in the transaction whose snapshot ``pg_dump --snapshot`` dumps on PostgreSQL.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, create_engine, func, inspect, select, table, text, update
from sqlalchemy.engine import URL

from bettercities.core.errors import BettercitiesError
from bettercities.storage import hooks, versioning
from bettercities.storage.database import Database
from bettercities.storage.versioning import DataVersion
from bettercities.storage.workspace import DB_FILE, Workspace

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_DUMP_FILE = "database.pgdump"
UPLOADS = "uploads"

#: Tables that belong to extensions (PostGIS), not to bettercities: not counted, not compared.
EXTENSION_TABLES = frozenset({"spatial_ref_sys"})
#: Tables whose content is not ours to compare after a restore: Alembic's bookkeeping (a restore migrates an
#: older snapshot forward) and the data version (bumped past every value seen, see :func:`restore`).
_BOOKKEEPING = frozenset({"alembic_version", DataVersion.__tablename__})

_PG_BINDIRS = "/usr/lib/postgresql/*/bin"
_LIBPQ_QUERY_KEYS = {  # URL query parameters passed on to libpq as environment variables
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class Manifest(BaseModel):
    """What a snapshot holds and how to check it."""

    format: Literal[1] = 1
    bettercities_version: str
    created_at: datetime
    backend: Literal["sqlite", "postgresql"]
    alembic_heads: list[str]
    data_version: int
    row_counts: dict[str, int]
    #: SHA-256 (hex) of every file in the snapshot except the manifest, by path relative to the snapshot
    files: dict[str, str]


# -- backup ------------------------------------------------------------------------------------------------


def backup(workspace: Workspace, out: Path) -> Manifest:
    """Write a consistent snapshot of ``workspace`` (database and uploads) into the new folder ``out``."""
    from bettercities import __version__

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BettercitiesError(f"{out} already exists and is not an empty folder; choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    db = workspace.database
    if db.is_sqlite:
        facts = _backup_sqlite(db, out / SQLITE_FILE)
    elif db.is_postgresql:
        facts = _backup_postgresql(db, out / PG_DUMP_FILE)
    else:
        raise BettercitiesError(f"backup does not support {db.dialect} databases")
    if workspace.uploads.is_dir():
        shutil.copytree(workspace.uploads, out / UPLOADS)
    manifest = Manifest(
        bettercities_version=__version__,
        created_at=datetime.now(UTC),
        backend="sqlite" if db.is_sqlite else "postgresql",
        files={name: sha256(out / name) for name in _snapshot_files(out)},
        **facts,
    )
    (out / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


def _backup_sqlite(db: Database, target: Path) -> dict[str, Any]:
    source = db.engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            # The online backup API copies a consistent state even while other connections write (WAL).
            source.driver_connection.backup(copy)  # type: ignore[union-attr]
            # A standalone file: no -wal/-shm companions needed to open (or checksum) the snapshot.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        source.close()
    engine = create_engine(f"sqlite:///file:{target.resolve()}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            return _facts(conn)
    finally:
        engine.dispose()


def _backup_postgresql(db: Database, target: Path) -> dict[str, Any]:
    pg_dump = pg_tool("pg_dump")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        # Counts and pg_dump see one snapshot: this transaction exports it and stays open while pg_dump runs.
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        facts = _facts(conn)
        _run(
            [str(pg_dump), "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
            db.url,
            what="pg_dump",
        )
        conn.rollback()
    return facts


def _facts(conn: Connection) -> dict[str, Any]:
    from alembic.runtime.migration import MigrationContext

    names = _table_names(conn)
    version = 0
    if DataVersion.__tablename__ in names:
        version = conn.execute(select(DataVersion.version).where(DataVersion.id == 1)).scalar() or 0
    return {
        "alembic_heads": sorted(MigrationContext.configure(conn).get_current_heads()),
        "data_version": int(version),
        "row_counts": _row_counts(conn, names),
    }


def _table_names(conn: Connection) -> list[str]:
    return sorted(set(inspect(conn).get_table_names()) - EXTENSION_TABLES)


def _row_counts(conn: Connection, names: list[str]) -> dict[str, int]:
    return {
        name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one()) for name in names
    }


# -- restore -----------------------------------------------------------------------------------------------


def restore(
    workspace: Workspace,
    source: Path,
    *,
    force: bool = False,
    inform: Callable[[str], None] | None = None,
) -> Manifest:
    """Bring the snapshot in ``source`` back into ``workspace``.

    Every checksum is verified before anything is touched; a database that holds data is only overwritten
    with ``force``. After the restore the schema is migrated to this version, the row counts are checked
    against the manifest, and the data version is set past both the snapshot's and the replaced database's,
    so no cache keyed on an earlier version can serve data from before the restore. The restore hooks the
    domains registered (:mod:`bettercities.storage.hooks`) keep what they must: the audit log carries its
    entries over and records the restore; the accounts keep the replaced database's users, roles, sessions
    and tokens (a restore revives no revoked access) and end the sessions and tokens issued after the
    snapshot. What they kept is told to ``inform`` (a line each), after the restore has committed.
    """
    source = Path(source)
    manifest = read_manifest(source)
    verify(source, manifest)
    workspace.path.mkdir(parents=True, exist_ok=True)
    db = workspace.database
    backend = "sqlite" if db.is_sqlite else "postgresql" if db.is_postgresql else db.dialect
    if backend != manifest.backend:
        raise BettercitiesError(
            f"the snapshot in {source} is of a {manifest.backend} database; "
            f"this workspace uses {backend} ({db.describe()})"
        )
    with db.engine.connect() as conn:
        names = _table_names(conn)
        counts = _row_counts(conn, names)
        before = _facts(conn)["data_version"]
        afterwards = [hook(conn, names) for hook in hooks.restore_hooks()]
    derived = _BOOKKEEPING | versioning.DERIVED_TABLES
    holding = sorted(name for name, n in counts.items() if n and name not in derived)
    if holding and not force:
        raise BettercitiesError(
            f"the workspace's database is not empty ({', '.join(holding[:5])}"
            f"{' …' if len(holding) > 5 else ''} hold rows); restore with --force to overwrite it"
        )
    if manifest.backend == "sqlite":
        _restore_sqlite(workspace, source / SQLITE_FILE)
    else:
        _restore_postgresql(db, source / PG_DUMP_FILE)
    _restore_uploads(workspace, source, manifest)

    # Migrates a snapshot from an earlier version forward; also makes a new folder a full workspace.
    Workspace.init(workspace.path, database_url=workspace.database_url).close()
    db = workspace.database
    with db.engine.connect() as conn:
        restored = _row_counts(conn, _table_names(conn))
    wrong = [
        f"{name}: {restored.get(name, 0)} rows, the snapshot has {expected}"
        for name, expected in manifest.row_counts.items()
        if name != "alembic_version" and restored.get(name, 0) != expected
    ]
    if wrong:
        raise BettercitiesError("the restored database does not match the manifest: " + "; ".join(wrong))
    with db.session() as session:
        # Past both: a restore is a change of data, so the version moves forward even over an equal one.
        session.execute(
            update(DataVersion)
            .where(DataVersion.id == 1)
            .values(version=max(before, manifest.data_version) + 1)
        )
        restoration = hooks.Restored(
            source=source,
            taken_at=manifest.created_at,
            snapshot_data_version=manifest.data_version,
            replaced_data_version=before,
        )
        notes = [note for note in (after(session, restoration) for after in afterwards) if note]
    for note in notes:
        if inform is not None:
            inform(note)
    return manifest


def _restore_sqlite(workspace: Workspace, snapshot: Path) -> None:
    workspace.close()  # no pooled connection may keep the old file (or its WAL) open
    target = workspace.path / DB_FILE
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(snapshot, staged)
    # The old WAL belongs to the old file: left in place, SQLite would replay it into the restored one.
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)


def _restore_postgresql(db: Database, dump: Path) -> None:
    pg_restore = pg_tool("pg_restore")
    db.dispose()  # our own idle connections would otherwise hold locks on the tables being replaced
    _run(
        [
            str(pg_restore),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname=",  # an empty conninfo: libpq takes the target from the environment
            str(dump),
        ],
        db.url,
        what="pg_restore",
    )


def _restore_uploads(workspace: Workspace, source: Path, manifest: Manifest) -> None:
    files = [name for name in manifest.files if name.startswith(UPLOADS + "/")]
    if not files:
        return
    if workspace.uploads.exists():
        shutil.rmtree(workspace.uploads)
    workspace.uploads.mkdir(parents=True)
    for name in files:
        target = workspace.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target)


# -- manifest and checksums --------------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BettercitiesError(f"{source} is not a bettercities snapshot: {MANIFEST} is missing")
    try:
        return Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as error:
        raise BettercitiesError(f"{path} is not a valid snapshot manifest: {error}") from None


def verify(source: Path, manifest: Manifest) -> None:
    """Refuse a snapshot whose files are missing, altered, or not inside the snapshot folder."""
    root = Path(source).resolve()
    database = SQLITE_FILE if manifest.backend == "sqlite" else PG_DUMP_FILE
    if database not in manifest.files:
        raise BettercitiesError(f"the manifest in {source} lists no {database}")
    for name, expected in sorted(manifest.files.items()):
        path = (root / name).resolve()
        if not path.is_relative_to(root):
            raise BettercitiesError(f"the manifest in {source} names a file outside the snapshot: {name}")
        if not path.is_file():
            raise BettercitiesError(f"{name} is missing from the snapshot in {source}")
        if sha256(path) != expected:
            raise BettercitiesError(
                f"{name} in {source} does not match its checksum in the manifest "
                "(altered or damaged); nothing was restored"
            )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _snapshot_files(root: Path) -> Iterator[str]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            yield path.relative_to(root).as_posix()


# -- PostgreSQL client tools -------------------------------------------------------------------------------


def pg_tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: the newest under /usr/lib/postgresql/*/bin, else the one on PATH."""
    candidates = [Path(d) / name for d in glob.glob(_PG_BINDIRS) if os.access(Path(d) / name, os.X_OK)]
    if candidates:
        return max(candidates, key=lambda p: tuple(int(n) for n in re.findall(r"\d+", p.parent.parent.name)))
    found = shutil.which(name)
    if found:
        return Path(found)
    raise BettercitiesError(
        f"{name} not found; install the PostgreSQL client tools (Debian: postgresql-client)"
    )


def libpq_environment(url: URL) -> dict[str, str]:
    """libpq's environment variables for ``url``: the password never appears on a command line or in a log."""
    values: dict[str, str | None] = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    query: Mapping[str, Any] = url.query
    if not url.host and "host" in query:  # a Unix socket directory given as ?host=/run/postgresql
        values["PGHOST"] = str(query["host"])
    for key, variable in _LIBPQ_QUERY_KEYS.items():
        if key in query:
            values[variable] = str(query[key])
    return {key: value for key, value in values.items() if value}


def _run(command: list[str], url: URL, *, what: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(libpq_environment(url))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip()
        if url.password:
            detail = detail.replace(url.password, "***")
        raise BettercitiesError(f"{what} failed for {url.render_as_string(hide_password=True)}: {detail}")


__all__ = ["Manifest", "backup", "read_manifest", "restore", "sha256", "verify"]
