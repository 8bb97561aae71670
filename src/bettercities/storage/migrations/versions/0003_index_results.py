"""stored index runs and their per-area values and classes

A branch from 0002 (``Database.migrate()`` upgrades to every head).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=60), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("level_code", sa.String(length=60), nullable=False),
        sa.Column("period_code", sa.String(length=20), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=True),
        sa.Column("areas", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_index_run_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_run")),
    )
    op.create_index("ix_index_run_city_period", "index_run", ["city_id", "period_code"], unique=False)
    op.create_table(
        "index_run_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=60), nullable=False),
        sa.Column("scored", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("population", sa.Float(), nullable=True),
        sa.Column("index_value", sa.Float(), nullable=True),
        sa.Column("class_code", sa.String(length=20), nullable=True),
        sa.Column("second_value", sa.Float(), nullable=True),
        sa.Column("second_class", sa.String(length=20), nullable=True),
        sa.Column("combined_class", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["index_run.id"], name=op.f("fk_index_run_area_run_id_index_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_run_area")),
    )
    op.create_index("ix_index_run_area_run", "index_run_area", ["run_id", "area_code"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_index_run_area_run", table_name="index_run_area")
    op.drop_table("index_run_area")
    op.drop_index("ix_index_run_city_period", table_name="index_run")
    op.drop_table("index_run")
