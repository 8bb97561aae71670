"""Consultations: rounds, items, invitations, ballots with votes, comments (issue 13)

Revision ID: 0123
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0123"
down_revision = "0008"  # ballots, comments and invitations of accounts reference app_user
branch_labels = None
depends_on = None

ROUND = "consultation_round"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        ROUND,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("dots", sa.Integer(), nullable=True),
        sa.Column("dot_cap", sa.Integer(), nullable=True),
        sa.Column("proposals", sa.Boolean(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk(ROUND, "city_id", "city"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_round")),
    )
    op.create_index(op.f("ix_consultation_round_city_id"), ROUND, ["city_id"])
    op.create_table(
        "consultation_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("moderation_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("consultation_item", "round_id", ROUND),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_item")),
        sa.UniqueConstraint("round_id", "kind", "key", name="uq_consultation_item_key"),
    )
    op.create_index(op.f("ix_consultation_item_round_id"), "consultation_item", ["round_id"])
    op.create_table(
        "consultation_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("prefix", sa.String(12), nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("stakeholder_group", sa.String(100), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("consultation_invitation", "round_id", ROUND),
        _fk("consultation_invitation", "user_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_invitation")),
        sa.UniqueConstraint("round_id", "user_id", name="uq_consultation_invitation_user"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_consultation_invitation_token_hash")),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (token_hash IS NULL)",
            name=op.f("ck_consultation_invitation_account_or_link"),
        ),
    )
    op.create_index(op.f("ix_consultation_invitation_round_id"), "consultation_invitation", ["round_id"])
    op.create_table(
        "consultation_ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("stakeholder_group", sa.String(100), nullable=True),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        _fk("consultation_ballot", "round_id", ROUND),
        _fk("consultation_ballot", "user_id", "app_user"),
        _fk("consultation_ballot", "invitation_id", "consultation_invitation"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_ballot")),
        sa.UniqueConstraint("round_id", "user_id", name="uq_consultation_ballot_account"),
        sa.UniqueConstraint("invitation_id", name="uq_consultation_ballot_invitation"),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (invitation_id IS NULL)",
            name=op.f("ck_consultation_ballot_account_or_invitation"),
        ),
    )
    op.create_index(op.f("ix_consultation_ballot_round_id"), "consultation_ballot", ["round_id"])
    op.create_table(
        "consultation_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        _fk("consultation_vote", "ballot_id", "consultation_ballot"),
        _fk("consultation_vote", "item_id", "consultation_item"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_vote")),
        sa.UniqueConstraint("ballot_id", "item_id", name="uq_consultation_vote_item"),
    )
    op.create_index(op.f("ix_consultation_vote_ballot_id"), "consultation_vote", ["ballot_id"])
    op.create_table(
        "consultation_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("hidden_by", sa.String(200), nullable=True),
        _fk("consultation_comment", "round_id", ROUND),
        _fk("consultation_comment", "item_id", "consultation_item"),
        _fk("consultation_comment", "parent_id", "consultation_comment"),
        _fk("consultation_comment", "user_id", "app_user"),
        _fk("consultation_comment", "invitation_id", "consultation_invitation"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_comment")),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (invitation_id IS NULL)",
            name=op.f("ck_consultation_comment_account_or_invitation"),
        ),
    )
    op.create_index(op.f("ix_consultation_comment_round_id"), "consultation_comment", ["round_id"])


def downgrade() -> None:
    for table in (
        "consultation_comment",
        "consultation_vote",
        "consultation_ballot",
        "consultation_invitation",
        "consultation_item",
        ROUND,
    ):
        op.drop_table(table)
