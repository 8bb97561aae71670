"""consultations: a proposal keeps where it came from (the account or the invitation link), as ballots and
comments do, so that moderation and limits can tell

Items put to a round by a steward, and proposals stored before, have neither.

Revision ID: 0123a
Revises: 0123
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0123a"
down_revision = "0123"
branch_labels = None
depends_on = None

TABLE = "consultation_item"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("invitation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f(f"fk_{TABLE}_user_id_app_user"), "app_user", ["user_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            op.f(f"fk_{TABLE}_invitation_id_consultation_invitation"),
            "consultation_invitation",
            ["invitation_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(op.f(f"fk_{TABLE}_invitation_id_consultation_invitation"), type_="foreignkey")
        batch.drop_constraint(op.f(f"fk_{TABLE}_user_id_app_user"), type_="foreignkey")
        batch.drop_column("invitation_id")
        batch.drop_column("user_id")
