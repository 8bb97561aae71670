"""networks: city networks, membership of cities over time, datasets shared with a network

Revision ID: 0009
Revises: 0005

Branches from the catalog's 0005, not from 0002: shares refer to ``catalog_dataset``. (A ``depends_on``
would do the same for upgrades, but leaves 0005 a head of the scripts that is never a head of the applied
versions, so ``Database.schema_is_current`` and backup manifests would see a missing migration.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name_de", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network")),
        sa.UniqueConstraint("slug", name=op.f("uq_network_slug")),
    )
    op.create_table(
        "network_city",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("joined", sa.Date(), nullable=False),
        sa.Column("left", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_network_city_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_network_city_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_city")),
    )
    op.create_index(op.f("ix_network_city_network_id"), "network_city", ["network_id"])
    op.create_index(op.f("ix_network_city_city_id"), "network_city", ["city_id"])
    op.create_table(
        "network_dataset_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name=op.f("fk_network_dataset_share_dataset_id_catalog_dataset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_network_dataset_share_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_dataset_share")),
        sa.UniqueConstraint("dataset_id", "network_id", name=op.f("uq_network_dataset_share_dataset_id")),
    )
    op.create_index(op.f("ix_network_dataset_share_dataset_id"), "network_dataset_share", ["dataset_id"])
    op.create_index(op.f("ix_network_dataset_share_network_id"), "network_dataset_share", ["network_id"])


def downgrade() -> None:
    op.drop_table("network_dataset_share")
    op.drop_table("network_city")
    op.drop_table("network")
