"""tandems: the applications a tandem was formed from, its stages, activities, documents, outputs and
links to its cities' goals, keyed by the tandem's network row (issue 16)

Revision ID: 0141b
Revises: 0141a
Depends on: 0121 (goal)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0141b"
down_revision = "0141a"
branch_labels = None
depends_on = "0121"


def _network(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f(f"fk_{table}_network_id_network"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _recorded() -> list[Any]:
    return [
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "tandem_application",
        *_network("tandem_application"),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["call_application.id"],
            name=op.f("fk_tandem_application_application_id_call_application"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("application_id", name=op.f("uq_tandem_application_application_id")),
    )
    op.create_table(
        "tandem_stage",
        *_network("tandem_stage"),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_recorded(),
    )
    op.create_table(
        "tandem_activity",
        *_network("tandem_activity"),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("participants", sa.Text(), nullable=False),
        *_recorded(),
    )
    op.create_table(
        "tandem_document",
        *_network("tandem_document"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("file_ref", sa.String(length=500), nullable=True),
        *_recorded(),
    )
    op.create_table(
        "tandem_output",
        *_network("tandem_output"),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("drafted_on", sa.Date(), nullable=False),
        sa.Column("adopted_on", sa.Date(), nullable=True),
        *_recorded(),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_tandem_output_city_id_city"), ondelete="SET NULL"
        ),
    )
    op.create_index(op.f("ix_tandem_output_city_id"), "tandem_output", ["city_id"])
    op.create_table(
        "tandem_goal_link",
        *_network("tandem_goal_link"),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("output_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_recorded(),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_tandem_goal_link_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["output_id"],
            ["tandem_output.id"],
            name=op.f("fk_tandem_goal_link_output_id_tandem_output"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("network_id", "goal_id", name=op.f("uq_tandem_goal_link_network_id")),
    )
    op.create_index(op.f("ix_tandem_goal_link_goal_id"), "tandem_goal_link", ["goal_id"])
    for table in (
        "tandem_application",
        "tandem_stage",
        "tandem_activity",
        "tandem_document",
        "tandem_output",
        "tandem_goal_link",
    ):
        op.create_index(op.f(f"ix_{table}_network_id"), table, ["network_id"])


def downgrade() -> None:
    for table in (
        "tandem_goal_link",
        "tandem_output",
        "tandem_document",
        "tandem_activity",
        "tandem_stage",
        "tandem_application",
    ):
        op.drop_table(table)
