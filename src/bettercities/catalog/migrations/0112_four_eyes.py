"""Catalog: four-eyes approval per city, and what an approval step recorded (the rule, open outlier flags)
(issue 12)

Revision ID: 0112
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0112"
down_revision = "0005"  # catalog_approval_event
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_city_setting",
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("four_eyes", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_catalog_city_setting_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("city_id", name=op.f("pk_catalog_city_setting")),
    )
    with op.batch_alter_table("catalog_approval_event") as batch_op:
        batch_op.add_column(sa.Column("four_eyes", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("open_flags", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("flagged_indicators", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalog_approval_event") as batch_op:
        batch_op.drop_column("flagged_indicators")
        batch_op.drop_column("open_flags")
        batch_op.drop_column("four_eyes")
    op.drop_table("catalog_city_setting")
