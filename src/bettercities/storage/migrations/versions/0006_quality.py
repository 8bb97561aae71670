"""quality: validation rules, outlier flags and their follow-up events

Revision ID: 0006
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("left", sa.Text(), nullable=False),
        sa.Column("operator", sa.String(length=12), nullable=False),
        sa.Column("right", sa.Text(), nullable=False),
        sa.Column("missing", sa.String(length=12), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=60), nullable=True),
        sa.Column("tolerance", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_quality_rule_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rule")),
        sa.UniqueConstraint("city_id", "code", name=op.f("uq_quality_rule_city_id")),
    )
    op.create_index(op.f("ix_quality_rule_city_id"), "quality_rule", ["city_id"])
    op.create_table(
        "outlier_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_outlier_flag_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
            name=op.f("fk_outlier_flag_observation_id_observation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_outlier_flag_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_outlier_flag_area_id_area"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_outlier_flag_period_id_period"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_batch.id"],
            name=op.f("fk_outlier_flag_import_id_import_batch"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlier_flag")),
        sa.UniqueConstraint("observation_id", "method", name=op.f("uq_outlier_flag_observation_id")),
    )
    op.create_index("ix_outlier_flag_city_status", "outlier_flag", ["city_id", "status"])
    op.create_table(
        "outlier_flag_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["outlier_flag.id"],
            name=op.f("fk_outlier_flag_event_flag_id_outlier_flag"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlier_flag_event")),
    )
    op.create_index(op.f("ix_outlier_flag_event_flag_id"), "outlier_flag_event", ["flag_id"])


def downgrade() -> None:
    op.drop_table("outlier_flag_event")
    op.drop_index("ix_outlier_flag_city_status", table_name="outlier_flag")
    op.drop_table("outlier_flag")
    op.drop_index(op.f("ix_quality_rule_city_id"), table_name="quality_rule")
    op.drop_table("quality_rule")
