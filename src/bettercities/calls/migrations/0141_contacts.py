"""contacts of a municipality: user accounts that speak for a ``city`` in calls and surveys, and the
invitations to become one (issue 16)

Revision ID: 0141
Revises: 0132

The tables belong to the accounts domain (``bettercities.access.models``); the migration lives with the
calls, which brought them. The calls' and the tandems' own tables follow in 0141a and 0141b.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0141"
down_revision = "0132"
branch_labels = None
depends_on = "0008"  # app_user (0008 is a sibling of 0132, both after 0009)


def upgrade() -> None:
    op.create_table(
        "municipal_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_municipal_contact_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_municipal_contact_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipal_contact")),
        sa.UniqueConstraint("user_id", "city_id", name=op.f("uq_municipal_contact_user_id")),
    )
    op.create_index(op.f("ix_municipal_contact_user_id"), "municipal_contact", ["user_id"])
    op.create_index(op.f("ix_municipal_contact_city_id"), "municipal_contact", ["city_id"])
    op.create_table(
        "municipal_contact_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["city.id"],
            name=op.f("fk_municipal_contact_invitation_city_id_city"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_user_id"],
            ["app_user.id"],
            name=op.f("fk_municipal_contact_invitation_accepted_by_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipal_contact_invitation")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_municipal_contact_invitation_token_sha256")),
    )
    op.create_index(
        op.f("ix_municipal_contact_invitation_city_id"), "municipal_contact_invitation", ["city_id"]
    )


def downgrade() -> None:
    op.drop_table("municipal_contact_invitation")
    op.drop_table("municipal_contact")
