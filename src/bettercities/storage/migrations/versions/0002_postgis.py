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
        log.warning(_refused(bind, error))
        return False
    return True


def _refused(bind: sa.Connection, error: sa.exc.DBAPIError) -> str:
    """One line for the operator: who was refused where, why, what the workspace does without PostGIS and how
    to have it (the driver's own message, without SQLAlchemy's statement and link lines)."""
    diag = getattr(error.orig, "diag", None)
    reason = getattr(diag, "message_primary", None) or str(error.orig).splitlines()[0]
    role, database = bind.execute(sa.text("SELECT current_user, current_database()")).one()
    return (
        f"PostGIS is installed on the server, but role {role!r} may not create it in database {database!r} "
        f"({reason}): areas are kept as GeoJSON, without the geometry column and its spatial index. To use "
        f"PostGIS, have a superuser run CREATE EXTENSION postgis in {database!r} before the workspace is "
        "created."
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
