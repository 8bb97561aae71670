"""Alembic finds storage's migrations and each manifest domain's own ``migrations/`` folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from bettercities import domains
from bettercities.domains import Domain
from bettercities.storage import schema
from bettercities.storage.database import Database, sqlite_url

FAKE_MIGRATION = '''"""fake domain: its first table

Revision ID: fake0001
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "fake0001"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("fake_thing", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("fake_thing")
'''


def test_storage_versions_come_first_then_existing_domain_folders() -> None:
    folders = schema.version_locations()
    assert folders[0] == schema.MIGRATIONS / "versions"
    domain_folders = {
        schema.PACKAGE.joinpath(*d.module.split(".")[1:], "migrations") for d in domains.DOMAINS
    }
    assert all(folder.is_dir() and folder in domain_folders for folder in folders[1:])


def test_a_domain_folder_is_found_by_package_path(tmp_path: Path) -> None:
    (tmp_path / "analysis" / "fake" / "migrations").mkdir(parents=True)
    (tmp_path / "other").mkdir()  # a domain without a migrations folder adds nothing
    manifest = (Domain("fake", package="analysis.fake"), Domain("other"))

    folders = schema.version_locations(manifest, root=tmp_path)

    assert folders == [schema.MIGRATIONS / "versions", tmp_path / "analysis" / "fake" / "migrations"]


def test_a_migration_in_a_domain_folder_is_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "src" / "fake"
    (package / "migrations").mkdir(parents=True)
    (package / "migrations" / "fake0001_things.py").write_text(FAKE_MIGRATION, encoding="utf-8")
    manifest = (*domains.DOMAINS, Domain("fake", models=False, note="a test's domain"))
    real = schema.version_locations
    monkeypatch.setattr(
        schema, "version_locations", lambda: [*real(), *real(manifest, root=tmp_path / "src")[1:]]
    )

    db = Database(sqlite_url(tmp_path / "fake.sqlite"))
    try:
        db.migrate()
        assert "fake0001" in db.current_heads()
        assert "fake_thing" in inspect(db.engine).get_table_names()
        assert "area" in inspect(db.engine).get_table_names()  # storage's own revisions ran as before
        assert db.schema_is_current()
    finally:
        db.dispose()
