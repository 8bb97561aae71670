"""Action plans: plans, objectives, actions with milestones, goal and area links, status history, risks
(issue 13)

Revision ID: 0122
Revises: 0121
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0122"
down_revision = "0121"  # goal links reference goal.id
branch_labels = None
depends_on = None


def _city(table: str) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=f"fk_{table}_city_id_city", ondelete="CASCADE"
        ),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("plan"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("owner_unit", sa.String(200), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plan"),
    )
    op.create_table(
        "plan_objective",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("plan_objective"),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("plan_objective", "plan_id", "plan"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_objective"),
    )
    op.create_table(
        "plan_action",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("plan_action"),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("responsible_unit", sa.String(200), nullable=True),
        sa.Column("partners", sa.Text(), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("budget_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("funding_source", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("plan_action", "plan_id", "plan"),
        _fk("plan_action", "objective_id", "plan_objective"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_action"),
    )
    op.create_table(
        "plan_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("plan_milestone"),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        _fk("plan_milestone", "action_id", "plan_action"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_milestone"),
    )
    op.create_table(
        "plan_goal_link",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("plan_goal_link"),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        _fk("plan_goal_link", "plan_id", "plan"),
        _fk("plan_goal_link", "objective_id", "plan_objective"),
        _fk("plan_goal_link", "action_id", "plan_action"),
        _fk("plan_goal_link", "goal_id", "goal"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_goal_link"),
    )
    op.create_table(
        "plan_action_area",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("plan_action_area"),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(60), nullable=False),
        _fk("plan_action_area", "action_id", "plan_action"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_action_area"),
        sa.UniqueConstraint("action_id", "area_code", name="uq_plan_action_area"),
    )
    op.create_table(
        "plan_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("plan_status_change"),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(200), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        _fk("plan_status_change", "action_id", "plan_action"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_status_change"),
    )
    op.create_table(
        "plan_risk",
        sa.Column("id", sa.Integer(), nullable=False),
        *_city("plan_risk"),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("likelihood", sa.String(10), nullable=False),
        sa.Column("impact", sa.String(10), nullable=False),
        sa.Column("mitigation", sa.Text(), nullable=True),
        _fk("plan_risk", "plan_id", "plan"),
        _fk("plan_risk", "action_id", "plan_action"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_risk"),
    )
    for table, columns in INDEXES.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])


#: The indexed columns of each table (as the models declare them).
INDEXES = {
    "plan": ["city_id"],
    "plan_objective": ["city_id", "plan_id"],
    "plan_action": ["city_id", "plan_id", "objective_id"],
    "plan_milestone": ["city_id", "action_id"],
    "plan_goal_link": ["city_id", "plan_id", "objective_id", "action_id", "goal_id"],
    "plan_action_area": ["city_id", "action_id"],
    "plan_status_change": ["city_id", "action_id"],
    "plan_risk": ["city_id", "plan_id", "action_id"],
}


def downgrade() -> None:
    for table in (
        "plan_risk",
        "plan_status_change",
        "plan_action_area",
        "plan_goal_link",
        "plan_milestone",
        "plan_action",
        "plan_objective",
        "plan",
    ):
        op.drop_table(table)
