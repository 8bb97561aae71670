"""calls for participation: calls of a programme, applications with their status history, panel scores
(issue 16)

Revision ID: 0141a
Revises: 0141
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0141a"
down_revision = "0141"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("title_de", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("themes", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("countries", sa.Text(), nullable=False),
        sa.Column("size_classes", sa.Text(), nullable=False),
        sa.Column("body_types", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("combination", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_call_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call")),
        sa.UniqueConstraint("slug", name=op.f("uq_call_slug")),
    )
    op.create_index(op.f("ix_call_programme_id"), "call", ["programme_id"])
    op.create_table(
        "call_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("body_type", sa.String(length=40), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_call_application_call_id_call"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_call_application_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_application")),
        sa.UniqueConstraint("call_id", "city_id", name=op.f("uq_call_application_call_id")),
    )
    op.create_index(op.f("ix_call_application_call_id"), "call_application", ["call_id"])
    op.create_index(op.f("ix_call_application_city_id"), "call_application", ["city_id"])
    op.create_table(
        "call_application_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["call_application.id"],
            name=op.f("fk_call_application_status_application_id_call_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_application_status")),
    )
    op.create_index(
        op.f("ix_call_application_status_application_id"), "call_application_status", ["application_id"]
    )
    op.create_table(
        "call_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("criterion", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["call_application.id"],
            name=op.f("fk_call_score_application_id_call_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_score")),
        sa.UniqueConstraint(
            "application_id", "reviewer", "criterion", name=op.f("uq_call_score_application_id")
        ),
    )
    op.create_index(op.f("ix_call_score_application_id"), "call_score", ["application_id"])


def downgrade() -> None:
    op.drop_table("call_score")
    op.drop_table("call_application_status")
    op.drop_table("call_application")
    op.drop_table("call")
