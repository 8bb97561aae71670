"""Registry: NUTS-3 regions with their urban-rural type, city aliases, city-wide statistics (Urban Audit) and
the GeoNames id of a city (issue 15)

Revision ID: 0131
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0131"
down_revision = (
    "0002"  # adds to city (0001); a branch like 0005..0010 (``Database.migrate()`` upgrades to every head)
)
branch_labels = None
depends_on = None


def _city_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["city_id"], ["city.id"], name=op.f(f"fk_{table}_city_id_city"), ondelete="CASCADE"
    )


def upgrade() -> None:
    # ADD COLUMN and CREATE UNIQUE INDEX, never batch mode: on SQLite a batch rebuild copies ``city``, drops
    # the old table and renames the copy, and with foreign keys on the DROP deletes every row of every table
    # that references a city with ON DELETE CASCADE (index runs, observations, ...).
    op.add_column("city", sa.Column("geonames_id", sa.Integer(), nullable=True))
    op.create_index(op.f("uq_city_geonames_id"), "city", ["geonames_id"], unique=True)
    op.create_table(
        "registry_region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nuts3_code", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("urban_rural", sa.String(1), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_region")),
        sa.UniqueConstraint("nuts3_code", name=op.f("uq_registry_region_nuts3_code")),
    )
    op.create_table(
        "registry_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        _city_fk("registry_alias"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_alias")),
        sa.UniqueConstraint("city_id", "key", name="uq_registry_alias_city_key"),
    )
    op.create_index(op.f("ix_registry_alias_city_id"), "registry_alias", ["city_id"])
    op.create_index(op.f("ix_registry_alias_key"), "registry_alias", ["key"])
    op.create_table(
        "city_statistic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        _city_fk("city_statistic"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_statistic")),
        sa.UniqueConstraint(
            "city_id", "code", "year", "source", name="uq_city_statistic_city_code_year_source"
        ),
    )
    op.create_index(op.f("ix_city_statistic_city_id"), "city_statistic", ["city_id"])
    op.create_index(op.f("ix_city_statistic_code"), "city_statistic", ["code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_city_statistic_code"), table_name="city_statistic")
    op.drop_index(op.f("ix_city_statistic_city_id"), table_name="city_statistic")
    op.drop_table("city_statistic")
    op.drop_index(op.f("ix_registry_alias_key"), table_name="registry_alias")
    op.drop_index(op.f("ix_registry_alias_city_id"), table_name="registry_alias")
    op.drop_table("registry_alias")
    op.drop_table("registry_region")
    op.drop_index(op.f("uq_city_geonames_id"), table_name="city")
    # a plain DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch rebuild would cascade as said in upgrade()
    op.execute("ALTER TABLE city DROP COLUMN geonames_id")
