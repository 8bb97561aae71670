"""Goals: goals with their areas and baselines, links to priority sets, performance-measure values (issue 13)

Revision ID: 0121
Revises: 0004a
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0121"
down_revision = "0004a"  # references priority_set (and city, indicator of 0001)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("performance_kind", sa.String(20), nullable=True),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("measure_code", sa.String(80), nullable=True),
        sa.Column("measure_name", sa.String(200), nullable=True),
        sa.Column("measure_unit", sa.String(60), nullable=True),
        sa.Column("measure_polarity", sa.String(20), nullable=True),
        sa.Column("selection_kind", sa.String(20), nullable=False),
        sa.Column("selection_value", sa.Text(), nullable=False),
        sa.Column("level_code", sa.String(60), nullable=True),
        sa.Column("baseline_period", sa.String(20), nullable=False),
        sa.Column("baseline_value", sa.Float(), nullable=False),
        sa.Column("baseline_revision", sa.Integer(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=False),
        sa.Column("target_change", sa.Float(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("owner_unit", sa.String(200), nullable=False),
        sa.Column("owner_person", sa.String(200), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("themes", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("detectable_change", sa.Float(), nullable=True),
        sa.Column("detectability_warning", sa.Text(), nullable=True),
        sa.Column("polarity_warning", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_goal_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_goal_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
    )
    op.create_index(op.f("ix_goal_city_id"), "goal", ["city_id"])
    op.create_index(op.f("ix_goal_indicator_id"), "goal", ["indicator_id"])
    op.create_table(
        "goal_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(60), nullable=False),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("baseline_revision", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_goal_area_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_area")),
        sa.UniqueConstraint("goal_id", "area_code", name="uq_goal_area"),
    )
    op.create_index(op.f("ix_goal_area_goal_id"), "goal_area", ["goal_id"])
    op.create_table(
        "goal_priority_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_goal_priority_set_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["priority_set.id"],
            name=op.f("fk_goal_priority_set_set_id_priority_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_priority_set")),
        sa.UniqueConstraint("goal_id", "set_id", name="uq_goal_priority_set"),
    )
    op.create_index(op.f("ix_goal_priority_set_goal_id"), "goal_priority_set", ["goal_id"])
    op.create_index(op.f("ix_goal_priority_set_set_id"), "goal_priority_set", ["set_id"])
    op.create_table(
        "goal_measure_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("period_code", sa.String(20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_goal_measure_value_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_measure_value")),
        sa.UniqueConstraint("goal_id", "period_code", name="uq_goal_measure_value"),
    )
    op.create_index(op.f("ix_goal_measure_value_goal_id"), "goal_measure_value", ["goal_id"])


def downgrade() -> None:
    op.drop_table("goal_measure_value")
    op.drop_table("goal_priority_set")
    op.drop_table("goal_area")
    op.drop_table("goal")
