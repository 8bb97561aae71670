"""impact logic: a programme's boxes (inputs … impact), the links between them, their measures and the values
entered for manual measures (issue 16)

Revision ID: 0144
Revises: 0132
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0144"
down_revision = "0132"  # references programme
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "impact_logic_box",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title_de", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("text_de", sa.Text(), nullable=True),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_impact_logic_box_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_logic_box")),
        sa.UniqueConstraint("programme_id", "key", name="uq_impact_logic_box_key"),
    )
    op.create_index(op.f("ix_impact_logic_box_programme_id"), "impact_logic_box", ["programme_id"])
    op.create_table(
        "impact_logic_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_box_id", sa.Integer(), nullable=False),
        sa.Column("to_box_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_box_id"],
            ["impact_logic_box.id"],
            name=op.f("fk_impact_logic_link_from_box_id_impact_logic_box"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_box_id"],
            ["impact_logic_box.id"],
            name=op.f("fk_impact_logic_link_to_box_id_impact_logic_box"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_logic_link")),
        sa.UniqueConstraint("from_box_id", "to_box_id", name="uq_impact_logic_link"),
    )
    op.create_index(op.f("ix_impact_logic_link_from_box_id"), "impact_logic_link", ["from_box_id"])
    op.create_index(op.f("ix_impact_logic_link_to_box_id"), "impact_logic_link", ["to_box_id"])
    op.create_table(
        "impact_logic_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("code", sa.String(80), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label_de", sa.String(200), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
        sa.Column("unit_de", sa.String(60), nullable=True),
        sa.Column("unit_en", sa.String(60), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_impact_logic_measure_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["box_id"],
            ["impact_logic_box.id"],
            name=op.f("fk_impact_logic_measure_box_id_impact_logic_box"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_logic_measure")),
        sa.UniqueConstraint("programme_id", "key", name="uq_impact_logic_measure_key"),
    )
    op.create_index(op.f("ix_impact_logic_measure_programme_id"), "impact_logic_measure", ["programme_id"])
    op.create_index(op.f("ix_impact_logic_measure_box_id"), "impact_logic_measure", ["box_id"])
    op.create_table(
        "impact_logic_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["impact_logic_measure.id"],
            name=op.f("fk_impact_logic_value_measure_id_impact_logic_measure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_logic_value")),
        sa.UniqueConstraint("measure_id", "day", name="uq_impact_logic_value_day"),
    )
    op.create_index(op.f("ix_impact_logic_value_measure_id"), "impact_logic_value", ["measure_id"])


def downgrade() -> None:
    op.drop_table("impact_logic_value")
    op.drop_table("impact_logic_measure")
    op.drop_table("impact_logic_link")
    op.drop_table("impact_logic_box")
