"""Alembic environment: runs on the engine handed over by :meth:`Database.migrate`."""

from __future__ import annotations

from alembic import context

from bettercities.storage import versioning  # noqa: F401 - registers the data_version table
from bettercities.storage.models import metadata

config = context.config


class ForeignKeyViolation(RuntimeError):
    """A migration left rows whose foreign keys point nowhere (SQLite's ``PRAGMA foreign_key_check``)."""


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # pragma: no cover - alembic CLI use by developers
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///:memory:")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table on SQLite: copy, DROP the old one, rename the copy. With foreign
            # keys on, the DROP deletes the rows of every table that cascades from it (Alembic's docs on
            # batch mode: turn them off around the migration). The pragma has no effect inside a
            # transaction, so it is set before the migration's transaction begins; the references are
            # checked before commit, so a migration cannot leave dangling rows either.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                context.configure(
                    connection=connection,
                    target_metadata=metadata,
                    render_as_batch=sqlite,
                    compare_type=True,
                )
                context.run_migrations()
                if sqlite:
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if dangling:
                        raise ForeignKeyViolation(
                            f"the migration left {len(dangling)} rows with a dangling foreign key, e.g. "
                            f"table {dangling[0][0]!r} row {dangling[0][1]} -> {dangling[0][2]!r}"
                        )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations()
