"""networks: programmes, networks with programme/theme/kind/period/url, organisations that are members, and
memberships with history (valid time and recorded time); the cities of ``network_city`` are migrated into
``network_member`` and the old table is dropped (issue 15)

Revision ID: 0132
Revises: 0009

Follows the networks' own 0009 (its tables); nothing here refers to the registry's 0131 tables, so it does not
wait for them. The membership table is ``network_member``: ``network_membership`` is the accounts' table of
users' roles in a network (0008).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0132"
down_revision = "0009"
branch_labels = None
depends_on = None

#: Who recorded the memberships that existed before history was kept.
MIGRATED_BY = "migration 0132"


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("slug", name=op.f("uq_programme_slug")),
    )
    # Plain ADD COLUMN, not a batch: on SQLite a batch re-creates ``network``, and dropping the old table
    # deletes (ON DELETE CASCADE, foreign keys on) every row that refers to it: the memberships still to be
    # moved, the shared datasets and the users' network roles.
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column's foreign key only inline
        op.execute(
            "ALTER TABLE network ADD COLUMN programme_id INTEGER REFERENCES programme (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("network", sa.Column("programme_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_network_programme_id_programme"), "network", "programme", ["programme_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    op.add_column("network", sa.Column("theme", sa.String(length=200), nullable=True))
    op.add_column(
        "network", sa.Column("kind", sa.String(length=20), nullable=False, server_default="network")
    )
    op.add_column("network", sa.Column("start", sa.Date(), nullable=True))
    op.add_column("network", sa.Column("end", sa.Date(), nullable=True))
    op.add_column("network", sa.Column("url", sa.String(length=500), nullable=True))
    op.create_index(op.f("ix_network_programme_id"), "network", ["programme_id"])
    op.create_table(
        "network_organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_network_organisation_city_id_city"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_organisation")),
        sa.UniqueConstraint("name", "country", name=op.f("uq_network_organisation_name")),
    )
    op.create_index(op.f("ix_network_organisation_city_id"), "network_organisation", ["city_id"])
    op.create_table(
        "network_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(city_id IS NULL) <> (organisation_id IS NULL)", name=op.f("ck_network_member_one_member")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_network_member_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["city_id"], ["city.id"], name=op.f("fk_network_member_city_id_city"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["network_organisation.id"],
            name=op.f("fk_network_member_organisation_id_network_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["network_member.id"],
            name=op.f("fk_network_member_superseded_by_id_network_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_member")),
    )
    op.create_index(op.f("ix_network_member_network_id"), "network_member", ["network_id"])
    op.create_index(op.f("ix_network_member_city_id"), "network_member", ["city_id"])
    op.create_index(op.f("ix_network_member_organisation_id"), "network_member", ["organisation_id"])

    # the cities of network_city: ``left`` was the first day no longer a member, ``end`` is the last day
    bind = op.get_bind()
    old = sa.table(
        "network_city",
        sa.column("network_id", sa.Integer()),
        sa.column("city_id", sa.Integer()),
        sa.column("joined", sa.Date()),
        sa.column("left", sa.Date()),
    )
    new = sa.table(
        "network_member",
        sa.column("network_id", sa.Integer()),
        sa.column("city_id", sa.Integer()),
        sa.column("role", sa.String()),
        sa.column("status", sa.String()),
        sa.column("start", sa.Date()),
        sa.column("end", sa.Date()),
        sa.column("note", sa.Text()),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
        sa.column("recorded_by", sa.String()),
    )
    now = datetime.now(UTC)
    rows = [
        {
            "network_id": network_id,
            "city_id": city_id,
            "role": "member",
            "status": "active",
            "start": joined,
            "end": None if left is None else left - timedelta(days=1),
            "note": "membership recorded before the history was kept (network_city)",
            "recorded_at": now,
            "recorded_by": MIGRATED_BY,
        }
        for network_id, city_id, joined, left in bind.execute(
            sa.select(old.c.network_id, old.c.city_id, old.c.joined, old.c.left).order_by(
                old.c.network_id, old.c.city_id, old.c.joined
            )
        )
    ]
    if rows:
        op.bulk_insert(new, rows)
    op.drop_table("network_city")


def downgrade() -> None:
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
    bind = op.get_bind()
    member = sa.table(
        "network_member",
        sa.column("network_id", sa.Integer()),
        sa.column("city_id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("start", sa.Date()),
        sa.column("end", sa.Date()),
        sa.column("superseded_at", sa.DateTime(timezone=True)),
    )
    old = sa.table(
        "network_city",
        sa.column("network_id", sa.Integer()),
        sa.column("city_id", sa.Integer()),
        sa.column("joined", sa.Date()),
        sa.column("left", sa.Date()),
    )
    rows = [
        {
            "network_id": n,
            "city_id": c,
            "joined": s,
            "left": None if e is None else e + timedelta(days=1),
        }
        for n, c, s, e in bind.execute(
            sa.select(member.c.network_id, member.c.city_id, member.c.start, member.c.end).where(
                member.c.city_id.is_not(None),
                member.c.superseded_at.is_(None),
                member.c.status == "active",
                member.c.start.is_not(None),
            )
        )
    ]
    if rows:
        op.bulk_insert(old, rows)
    op.drop_table("network_member")
    op.drop_index(op.f("ix_network_organisation_city_id"), table_name="network_organisation")
    op.drop_table("network_organisation")
    op.drop_index(op.f("ix_network_programme_id"), table_name="network")
    if bind.dialect.name != "sqlite":
        # (SQLite keeps the added columns: dropping them re-creates ``network``, and the cascade would delete
        # the rows that refer to it; they are nullable or have a default, and the older code ignores them)
        op.drop_constraint(op.f("fk_network_programme_id_programme"), "network", type_="foreignkey")
        for column in ("url", "end", "start", "kind", "theme", "programme_id"):
            op.drop_column("network", column)
    op.drop_table("programme")
