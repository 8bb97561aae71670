"""Privacy: protection rules, declared quantity relations and the cell-key secret per city (issue 11)

Revision ID: 0111
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0111"
down_revision = "0005"  # references catalog_dataset
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("zeros", sa.Boolean(), nullable=False),
        sa.Column("interval_percent", sa.Float(), nullable=False),
        sa.Column("dominance_n", sa.Integer(), nullable=True),
        sa.Column("dominance_k", sa.Float(), nullable=True),
        sa.Column("p_percent", sa.Float(), nullable=True),
        sa.Column("max_deviation", sa.Integer(), nullable=False),
        sa.Column("variance", sa.Float(), nullable=False),
        sa.Column("js", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_privacy_rule_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_privacy_rule_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name=op.f("fk_privacy_rule_dataset_id_catalog_dataset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_rule")),
        sa.UniqueConstraint("city_id", "indicator_id", "dataset_id", name="uq_privacy_rule_target"),
    )
    op.create_index(op.f("ix_privacy_rule_city_id"), "privacy_rule", ["city_id"])
    op.create_table(
        "privacy_relation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("total_code", sa.String(80), nullable=False),
        sa.Column("parts", sa.String(1000), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_privacy_relation_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_relation")),
        sa.UniqueConstraint("city_id", "total_code", "parts", name="uq_privacy_relation"),
    )
    op.create_index(op.f("ix_privacy_relation_city_id"), "privacy_relation", ["city_id"])
    op.create_table(
        "privacy_key",
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_privacy_key_city_id_city"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("city_id", name=op.f("pk_privacy_key")),
    )


def downgrade() -> None:
    op.drop_table("privacy_key")
    op.drop_table("privacy_relation")
    op.drop_table("privacy_rule")
