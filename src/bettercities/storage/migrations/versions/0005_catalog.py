"""catalog: datasets with DCAT-AP.de metadata, indicator links, distributions, approval events

Revision ID: 0005
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("title_de", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("description_de", sa.Text(), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("keywords", sa.Text(), nullable=True),
        sa.Column("publisher", sa.String(length=300), nullable=False),
        sa.Column("publisher_uri", sa.String(length=500), nullable=True),
        sa.Column("contact_name", sa.String(length=300), nullable=True),
        sa.Column("contact_email", sa.String(length=300), nullable=True),
        sa.Column("theme", sa.String(length=10), nullable=False),
        sa.Column("spatial_level", sa.String(length=60), nullable=True),
        sa.Column("temporal_start", sa.Date(), nullable=True),
        sa.Column("temporal_end", sa.Date(), nullable=True),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("licence", sa.String(length=40), nullable=False),
        sa.Column("access_rights", sa.String(length=20), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("originator", sa.String(length=300), nullable=True),
        sa.Column("method_notes", sa.Text(), nullable=True),
        sa.Column("owner_unit", sa.String(length=300), nullable=True),
        sa.Column("steward", sa.String(length=300), nullable=True),
        sa.Column("steward_email", sa.String(length=300), nullable=True),
        sa.Column("last_updated", sa.Date(), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_catalog_dataset_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_dataset")),
        sa.UniqueConstraint("city_id", "code", name=op.f("uq_catalog_dataset_city_id")),
    )
    op.create_index(op.f("ix_catalog_dataset_city_id"), "catalog_dataset", ["city_id"])
    op.create_table(
        "catalog_distribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("access_url", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name=op.f("fk_catalog_distribution_dataset_id_catalog_dataset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_distribution")),
    )
    op.create_index(op.f("ix_catalog_distribution_dataset_id"), "catalog_distribution", ["dataset_id"])
    op.create_table(
        "catalog_dataset_indicator",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name=op.f("fk_catalog_dataset_indicator_dataset_id_catalog_dataset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_catalog_dataset_indicator_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "indicator_id", name=op.f("pk_catalog_dataset_indicator")),
    )
    op.create_index(
        op.f("ix_catalog_dataset_indicator_indicator_id"), "catalog_dataset_indicator", ["indicator_id"]
    )
    op.create_table(
        "catalog_approval_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=False),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name=op.f("fk_catalog_approval_event_dataset_id_catalog_dataset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_approval_event")),
    )
    op.create_index(op.f("ix_catalog_approval_event_dataset_id"), "catalog_approval_event", ["dataset_id"])


def downgrade() -> None:
    op.drop_table("catalog_approval_event")
    op.drop_table("catalog_dataset_indicator")
    op.drop_table("catalog_distribution")
    op.drop_table("catalog_dataset")
