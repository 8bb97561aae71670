"""Impact register: interventions with their areas, indicators and goals, evaluation plans (versions) and
evaluation runs (issue 14)

Revision ID: 0124
Revises: 0121
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0124"
down_revision = "0121"  # goal links reference goal.id (0121 follows 0004a: priority_set, city, indicator)
branch_labels = None
depends_on = None

INTERVENTION = "intervention"
PLAN = "evaluation_plan"
RUN = "evaluation_run"


def _city(table: str) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=f"fk_{table}_city_id_city", ondelete="CASCADE"
        ),
    ]


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _link(table: str, column: str, target: str, constraint: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        *_city(table),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column(column, sa.Integer(), nullable=False),
        _fk(table, "intervention_id", INTERVENTION),
        _fk(table, column, target),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("intervention_id", column, name=constraint),
    )


def upgrade() -> None:
    op.create_table(
        INTERVENTION,
        sa.Column("id", sa.Integer(), nullable=False),
        *_city(INTERVENTION),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("selection_kind", sa.String(20), nullable=False),
        sa.Column("selection_value", sa.Text(), nullable=False),
        sa.Column("level_code", sa.String(60), nullable=True),
        sa.Column("priority_set_id", sa.Integer(), nullable=True),
        sa.Column("start_period", sa.String(20), nullable=False),
        sa.Column("end_period", sa.String(20), nullable=True),
        sa.Column("budget_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("responsible_unit", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk(INTERVENTION, "priority_set_id", "priority_set", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{INTERVENTION}"),
    )
    op.create_table(
        "intervention_area",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("intervention_area"),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(60), nullable=False),
        _fk("intervention_area", "intervention_id", INTERVENTION),
        sa.PrimaryKeyConstraint("id", name="pk_intervention_area"),
        sa.UniqueConstraint("intervention_id", "area_code", name="uq_intervention_area"),
    )
    _link("intervention_indicator", "indicator_id", "indicator", "uq_intervention_indicator")
    _link("intervention_goal", "goal_id", "goal", "uq_intervention_goal")
    op.create_table(
        PLAN,
        sa.Column("id", sa.Integer(), nullable=False),
        *_city(PLAN),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("design", sa.String(30), nullable=False),
        sa.Column("comparison", sa.Text(), nullable=False),
        sa.Column("pre_start", sa.String(20), nullable=False),
        sa.Column("pre_end", sa.String(20), nullable=False),
        sa.Column("post_start", sa.String(20), nullable=False),
        sa.Column("post_end", sa.String(20), nullable=True),
        sa.Column("control_group", sa.String(30), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=True),
        sa.Column("registered_by", sa.String(200), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        _fk(PLAN, "intervention_id", INTERVENTION),
        _fk(PLAN, "indicator_id", "indicator"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{PLAN}"),
        sa.UniqueConstraint("intervention_id", "version", name="uq_evaluation_plan"),
    )
    op.create_table(
        RUN,
        sa.Column("id", sa.Integer(), nullable=False),
        *_city(RUN),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("plan_version", sa.Integer(), nullable=True),
        sa.Column("followed_plan", sa.Boolean(), nullable=False),
        sa.Column("differences", sa.Text(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("design", sa.String(30), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("verdict", sa.String(30), nullable=False),
        sa.Column("evidence_level", sa.Integer(), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("panel", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk(RUN, "intervention_id", INTERVENTION),
        _fk(RUN, "plan_id", PLAN, "SET NULL"),
        _fk(RUN, "indicator_id", "indicator"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{RUN}"),
    )
    for table, columns in INDEXES.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])


#: The indexed columns of each table (as the models declare them).
INDEXES = {
    INTERVENTION: ["city_id", "priority_set_id"],
    "intervention_area": ["city_id", "intervention_id"],
    "intervention_indicator": ["city_id", "intervention_id", "indicator_id"],
    "intervention_goal": ["city_id", "intervention_id", "goal_id"],
    PLAN: ["city_id", "intervention_id", "indicator_id"],
    RUN: ["city_id", "intervention_id", "plan_id", "indicator_id"],
}


def downgrade() -> None:
    for table in (
        RUN,
        PLAN,
        "intervention_goal",
        "intervention_indicator",
        "intervention_area",
        INTERVENTION,
    ):
        op.drop_table(table)
