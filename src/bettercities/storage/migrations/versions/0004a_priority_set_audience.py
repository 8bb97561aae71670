"""priority sets: the audience a set was computed for, and the index runs its rule read

A set's membership can rest on restricted inputs (an analyst's evaluation sees suppressed cells); the set is
shown only to principals who may see that audience in the city. Sets stored before were computed by the CLI
on public data: ``public``.

Revision ID: 0004a
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004a"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("priority_set") as batch:
        batch.add_column(sa.Column("audience", sa.String(length=20), nullable=False, server_default="public"))
        batch.add_column(sa.Column("runs", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("priority_set") as batch:
        batch.drop_column("runs")
        batch.drop_column("audience")
