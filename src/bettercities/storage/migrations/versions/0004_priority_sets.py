"""named sets of priority areas

A branch from 0002 (``Database.migrate()`` upgrades to every head).

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "priority_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("level_code", sa.String(length=60), nullable=False),
        sa.Column("period_code", sa.String(length=20), nullable=True),
        sa.Column("user", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_priority_set_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priority_set")),
        sa.UniqueConstraint("city_id", "name", name="uq_priority_set_city_name"),
    )
    op.create_table(
        "priority_set_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=60), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["priority_set.id"],
            name=op.f("fk_priority_set_area_set_id_priority_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priority_set_area")),
    )
    op.create_index("ix_priority_set_area_set", "priority_set_area", ["set_id", "area_code"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_priority_set_area_set", table_name="priority_set_area")
    op.drop_table("priority_set_area")
    op.drop_table("priority_set")
