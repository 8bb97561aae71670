"""hub and guide: practices (with linked indicators and goals), events, the full-text index per backend
(FTS5 on SQLite, tsvector on PostgreSQL, kept by triggers), and stored guides with their selected practices
and events (issue 16)

Revision ID: 0143
Revises: 0132, 0121

Follows the networks' 0132 (programme, network) and the goals' 0121 (goal).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0143"
down_revision = ("0132", "0121")
branch_labels = None
depends_on = None

#: The texts each kind of item is found by (the same columns on both backends).
PRACTICE_TEXT = ("title", "theme", "summary", "results")
EVENT_TEXT = ("title", "theme", "topic", "speakers", "outcomes", "recommendations")


def _id(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "hub_practice",
        _id("id"),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("theme", sa.String(200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("hub_practice", "city_id", "city", "SET NULL"),
        _fk("hub_practice", "network_id", "network", "SET NULL"),
        _fk("hub_practice", "programme_id", "programme", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_practice")),
        sa.UniqueConstraint("slug", name=op.f("uq_hub_practice_slug")),
    )
    for column in ("city_id", "network_id", "programme_id"):
        op.create_index(op.f(f"ix_hub_practice_{column}"), "hub_practice", [column])
    for link, target in (("indicator", "indicator"), ("goal", "goal")):
        name = f"hub_practice_{link}"
        op.create_table(
            name,
            _id("id"),
            _id("practice_id"),
            _id(f"{target}_id"),
            _fk(name, "practice_id", "hub_practice", "CASCADE"),
            _fk(name, f"{target}_id", target, "CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
            sa.UniqueConstraint("practice_id", f"{target}_id", name=op.f(f"uq_{name}_practice_id")),
        )
        op.create_index(op.f(f"ix_{name}_practice_id"), name, ["practice_id"])
        op.create_index(op.f(f"ix_{name}_{target}_id"), name, [f"{target}_id"])
    op.create_table(
        "hub_event",
        _id("id"),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("theme", sa.String(200), nullable=True),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("speakers", sa.Text(), nullable=False),
        sa.Column("recording_url", sa.String(500), nullable=True),
        sa.Column("outcomes", sa.Text(), nullable=True),
        sa.Column("recommendations", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("hub_event", "network_id", "network", "SET NULL"),
        _fk("hub_event", "programme_id", "programme", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_event")),
        sa.UniqueConstraint("slug", name=op.f("uq_hub_event_slug")),
    )
    for column in ("network_id", "programme_id"):
        op.create_index(op.f(f"ix_hub_event_{column}"), "hub_event", [column])
    op.create_table(
        "guide",
        _id("id"),
        sa.Column("slug", sa.String(80), nullable=False),
        _id("programme_id"),
        sa.Column("title_de", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("intros", sa.Text(), nullable=False),
        sa.Column("survey_slug", sa.String(80), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("guide", "programme_id", "programme", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide")),
        sa.UniqueConstraint("slug", name=op.f("uq_guide_slug")),
    )
    op.create_index(op.f("ix_guide_programme_id"), "guide", ["programme_id"])
    for link, target in (("practice", "hub_practice"), ("event", "hub_event")):
        name = f"guide_{link}"
        op.create_table(
            name,
            _id("id"),
            _id("guide_id"),
            _id(f"{link}_id"),
            sa.Column("chapter", sa.String(20), nullable=False),
            _id("position"),
            _fk(name, "guide_id", "guide", "CASCADE"),
            sa.ForeignKeyConstraint(
                [f"{link}_id"],
                [f"{target}.id"],
                name=op.f(f"fk_{name}_{link}_id_{target}"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
            sa.UniqueConstraint("guide_id", f"{link}_id", name=op.f(f"uq_{name}_guide_id")),
        )
        op.create_index(op.f(f"ix_{name}_guide_id"), name, ["guide_id"])
        op.create_index(op.f(f"ix_{name}_{link}_id"), name, [f"{link}_id"])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_index()
    else:
        _sqlite_index()


# -- the full-text index -----------------------------------------------------------------------------------
# Row ids: 2 * id for a practice, 2 * id + 1 for an event (one index, found and removed by its row id).


def _sqlite_text(row: str, columns: tuple[str, ...]) -> str:
    return " || ' ' || ".join(f"coalesce({row}.{c}, '')" for c in columns)


def _sqlite_index() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE hub_search USING fts5(kind UNINDEXED, item_id UNINDEXED, body, "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    for kind, table, odd, columns in (
        ("practice", "hub_practice", 0, PRACTICE_TEXT),
        ("event", "hub_event", 1, EVENT_TEXT),
    ):
        insert = (
            f"INSERT INTO hub_search (rowid, kind, item_id, body) "
            f"VALUES (2 * new.id + {odd}, '{kind}', new.id, {_sqlite_text('new', columns)});"
        )
        delete = f"DELETE FROM hub_search WHERE rowid = 2 * old.id + {odd};"
        op.execute(f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN {insert} END")
        op.execute(
            f"CREATE TRIGGER {table}_search_update AFTER UPDATE ON {table} BEGIN {delete} {insert} END"
        )
        op.execute(f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN {delete} END")


def _postgresql_index() -> None:
    op.execute(
        "CREATE TABLE hub_search (id bigint PRIMARY KEY, kind varchar(10) NOT NULL, "
        "item_id integer NOT NULL, "
        "language varchar(2) NOT NULL, document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_hub_search_document ON hub_search USING gin (document)")
    for kind, table, odd, columns in (
        ("practice", "hub_practice", 0, PRACTICE_TEXT),
        ("event", "hub_event", 1, EVENT_TEXT),
    ):
        rest = ", ".join(f"NEW.{c}" for c in columns[1:])
        op.execute(
            f"""
            CREATE FUNCTION {table}_search() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE config regconfig;
            BEGIN
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                DELETE FROM hub_search WHERE id = 2 * OLD.id + {odd};
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                config := CASE NEW.language WHEN 'de' THEN 'german'::regconfig ELSE 'english'::regconfig END;
                INSERT INTO hub_search (id, kind, item_id, language, document) VALUES (
                  2 * NEW.id + {odd}, '{kind}', NEW.id, NEW.language,
                  setweight(to_tsvector(config, coalesce(NEW.title, '')), 'A')
                  || setweight(to_tsvector(config, concat_ws(' ', {rest})), 'B')
                  || setweight(to_tsvector('simple', concat_ws(' ', NEW.title, {rest})), 'D'));
              END IF;
              RETURN NULL;
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_search AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_search()"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in ("hub_practice", "hub_event"):
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_search ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_search()")
        else:
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{when}")
    op.execute("DROP TABLE IF EXISTS hub_search")
    for name in ("guide_event", "guide_practice", "guide", "hub_event", "hub_practice_goal",
                 "hub_practice_indicator", "hub_practice"):  # fmt: skip
        op.drop_table(name)
