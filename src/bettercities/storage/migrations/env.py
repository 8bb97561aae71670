"""Alembic environment: runs on the engine handed over by :meth:`Database.migrate`."""

from __future__ import annotations

from alembic import context

from bettercities.storage import versioning  # noqa: F401 - registers the data_version table
from bettercities.storage.models import metadata

config = context.config


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # pragma: no cover - alembic CLI use by developers
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///:memory:")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
