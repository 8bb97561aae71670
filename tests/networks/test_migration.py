"""Migration 0132 on a database that holds memberships of the old ``network_city`` table: each row becomes a
``network_member`` row (start = joined, end = the day before left), the table is gone, the users' network
roles are kept (no table is re-created, so nothing cascades), and ``city_networks`` answers as before
(SQLite, whose foreign keys are on)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bettercities import networks
from bettercities.storage.database import Database

ROWS = (
    "INSERT INTO city (id, slug, name, country, created_at) "
    "VALUES (1, 'kiel', 'Kiel', 'DE', :n), (2, 'rostock', 'Rostock', 'DE', :n)",
    "INSERT INTO network (id, slug, name_de, name_en, created_at) VALUES (1, 'north', 'N', 'N', :n)",
    "INSERT INTO app_user (id, username, password_hash, platform_admin, disabled, created_at) "
    "VALUES (1, 'anna', 'x', 0, 0, :n)",
    "INSERT INTO network_membership (user_id, network_id, role) VALUES (1, 1, 'coordinator')",
    'INSERT INTO network_city (network_id, city_id, joined, "left") '
    "VALUES (1, 1, '2020-01-01', NULL), (1, 2, '2020-01-01', '2022-07-01')",
)


def test_network_city_rows_become_memberships(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    db.migrate("0008")  # the networks' tables before the history, and the accounts' network roles
    with db.engine.begin() as conn:
        for statement in ROWS:
            conn.execute(sa.text(statement), {"n": "2024-01-01 00:00:00"})
    db.migrate()
    assert "network_city" not in sa.inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT role FROM network_membership")).scalars().all() == ["coordinator"]
    with db.reader() as session:
        north = networks.list_networks(session)[0]
        assert [(m.city, m.joined, m.left) for m in north.members] == [
            ("kiel", date(2020, 1, 1), None),
            ("rostock", date(2020, 1, 1), date(2022, 7, 1)),
        ]
        (rostock,) = [m for m in networks.history(session, "north") if m.city == "rostock"]
        assert (rostock.end, rostock.role, rostock.recorded_by) == (
            date(2022, 6, 30),
            "member",
            "migration 0132",
        )
        assert networks.city_networks(session, [2], on=date(2022, 6, 30)) == {1}
        assert networks.city_networks(session, [2], on=date(2022, 7, 1)) == frozenset()
    db.dispose()
