"""Testville with a public priority set ``focus`` (its areas 0104, 0201, 0202, 0203 as the public sees the MSS
run) and two accounts: the steward ``stew`` and the resident ``res`` (no role). Built once per test module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from bettercities import access as accounts
from bettercities.access import passwords
from bettercities.access.models import User
from bettercities.access.policy import Principal
from bettercities.access.roles import principal_for
from bettercities.analysis.priority import evaluation, schemas
from bettercities.analysis.priority import service as priority
from bettercities.consultations import service
from bettercities.consultations.schemas import ItemIn, ItemKind, RoundIn
from bettercities.storage.workspace import Workspace
from tests.support.testville_mss import PUBLIC_CHOICE, run_testville_mss
from tests.web.citybuilder import build_city
from tests.web.conftest import SUPPRESSED

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SET = "focus"
#: The tests' clock: now (the web faces use the server's clock), rounds opened an hour before it
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class World:
    workspace: Workspace
    steward: Principal
    resident: Principal


def build_world(workspace: Workspace) -> World:
    build_city(workspace, suppress=(SUPPRESSED,))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hasher", lambda: CHEAP)
        with workspace.database.session() as session:
            run_testville_mss(session)
            rule = schemas.PRESETS["mss-low-status-negative-dynamics"]
            result = evaluation.evaluate(session, "testville", rule)
            assert [a.area_id for a in result.areas] == PUBLIC_CHOICE
            priority.save_set(session, result, SET, user="stew")
            accounts.create_user(session, "stew", PASSWORD)
            accounts.grant(session, "stew", "testville", "steward")
            accounts.create_user(session, "res", PASSWORD)
            accounts.create_user(session, "res2", PASSWORD)
    with workspace.database.reader() as session:
        people = {u.username: principal_for(session, u) for u in session.query(User).all()}
    return World(workspace, people["stew"], people["res"])


def open_round(
    workspace: Workspace,
    *,
    method: str = "ranking",
    dots: int | None = None,
    cap: int | None = None,
    audience: str = "public",
    proposals: bool = False,
    areas: tuple[str, ...] = ("0104", "0201", "0202"),
    now: datetime = NOW,
) -> tuple[int, list[int]]:
    """A round over priority areas of the set, open from an hour before ``now`` for a week."""
    with workspace.database.session() as session:
        row = service.add_round(
            session, "testville",
            RoundIn(title="Where first?", question="Which area needs help first?", method=method, dots=dots,
                    dot_cap=cap, audience=audience, proposals=proposals),  # type: ignore[arg-type]
            actor="stew",
        )  # fmt: skip
        items = [
            service.add_item(
                session, "testville", row.id, ItemIn(kind=ItemKind.PRIORITY_AREA, key=f"{SET}/{code}")
            ).id
            for code in areas
        ]
        service.open_round(
            session, "testville", row.id, closes_at=now + timedelta(days=7), now=now - timedelta(hours=1)
        )
        return row.id, items
