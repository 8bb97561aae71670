"""Migrations 0141 (contacts), 0141a (calls), 0141b (tandems) create the tables the models declare, on both
backends (the workspace fixture's database is migrated to every head)."""

from __future__ import annotations

import pytest

from bettercities.storage.workspace import Workspace

TABLES = (
    "municipal_contact",
    "municipal_contact_invitation",
    "call",
    "call_application",
    "call_application_status",
    "call_score",
    "tandem_application",
    "tandem_stage",
    "tandem_activity",
    "tandem_document",
    "tandem_output",
    "tandem_goal_link",
)


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry':sqlalchemy.exc.SAWarning")
def test_the_migrations_create_the_tables_the_models_declare(workspace: Workspace) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bettercities.storage.models import metadata

    with workspace.database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    ours = [d for d in diff if any(table in repr(d) for table in TABLES)]
    assert ours == []
    assert set(TABLES) <= set(metadata.tables)
