"""PostGIS geometry column for areas, where the extension is available

On PostgreSQL with PostGIS installed (or installable), ``area.geom`` mirrors the
GeoJSON text column through a trigger, with a GiST index for spatial queries.
SQLite and PostgreSQL without PostGIS keep the GeoJSON text only (a no-op here).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def _postgis_ready(bind: sa.Connection) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first():
        return True
    if not bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).first():
        return False
    # Creating an extension needs privileges the application role may lack: try in a savepoint.
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except sa.exc.DBAPIError as error:
        if _transient(error):  # a cancel, a timeout, a lost connection: not a property of the server
            raise
        log.warning(_without_postgis(bind, error))
        return False
    return True


#: SQLSTATE of a refused privilege, and the classes and codes of failures that a retry may not meet again
#: (the migration fails, nothing is recorded, and the next attempt tries the extension again): connection
#: exceptions (08), transaction rollbacks such as deadlocks (40), operator interventions such as a cancel or
#: a statement timeout (57), a lock not available (55P03).
PRIVILEGE = "42501"
TRANSIENT_CLASSES = ("08", "40", "57")
TRANSIENT_CODES = ("55P03",)


def _sqlstate(error: sa.exc.DBAPIError) -> str:
    """The server's SQLSTATE of ``error`` (psycopg 3: ``sqlstate``, psycopg2: ``pgcode``), or ``""``."""
    return str(getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None) or "")


def _transient(error: sa.exc.DBAPIError) -> bool:
    state = _sqlstate(error)
    return error.connection_invalidated or state[:2] in TRANSIENT_CLASSES or state in TRANSIENT_CODES


def _without_postgis(bind: sa.Connection, error: sa.exc.DBAPIError) -> str:
    """One line for the operator: what failed where and why, what the workspace does without PostGIS and how
    to have it (the driver's own message, without SQLAlchemy's statement and link lines)."""
    diag = getattr(error.orig, "diag", None)
    text = str(error.orig) if error.orig is not None else ""
    reason = getattr(diag, "message_primary", None) or (text.splitlines() or [type(error.orig).__name__])[0]
    role, database = bind.execute(sa.text("SELECT current_user, current_database()")).one()
    kept = (
        "areas are kept as GeoJSON, without the geometry column and its spatial index (a workspace created "
        "so keeps them so: create it anew to have PostGIS)"
    )
    if _sqlstate(error) == PRIVILEGE:
        return (
            f"PostGIS is installed on the server, but role {role!r} may not create it in database "
            f"{database!r} ({reason}): {kept}. To use PostGIS, have a superuser run CREATE EXTENSION postgis "
            f"in {database!r} before the workspace is created."
        )
    return (
        f"PostGIS is listed on the server, but CREATE EXTENSION postgis failed in database {database!r} "
        f"as role {role!r} ({reason}): {kept}. To use PostGIS, have the server's PostGIS repaired and the "
        "extension created before the workspace is created."
    )


def upgrade() -> None:
    bind = op.get_bind()
    if not _postgis_ready(bind):
        return
    op.execute("ALTER TABLE area ADD COLUMN geom geometry(Geometry, 4326)")
    op.execute(
        """
        CREATE FUNCTION area_sync_geom() RETURNS trigger AS $$
        BEGIN
            IF NEW.geometry IS NULL THEN
                NEW.geom := NULL;
            ELSE
                NEW.geom := ST_SetSRID(ST_GeomFromGeoJSON(NEW.geometry), 4326);
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER area_sync_geom BEFORE INSERT OR UPDATE OF geometry ON area "
        "FOR EACH ROW EXECUTE FUNCTION area_sync_geom()"
    )
    op.execute("CREATE INDEX ix_area_geom ON area USING gist (geom)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS area_sync_geom ON area")
    op.execute("DROP FUNCTION IF EXISTS area_sync_geom()")
    op.execute("ALTER TABLE area DROP COLUMN IF EXISTS geom")
