"""Storage on SQLite and PostgreSQL: one ballot per account and per invitation is held by unique constraints
(not only by the service's check), and a round trips with its times (timezone-aware), items, votes and
comments. A small city of its own (no index run): items are proposals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from bettercities.access.policy import Principal
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.consultations import participation, queries, service
from bettercities.consultations.models import ConsultationBallot, ConsultationItem
from bettercities.consultations.schemas import (
    BallotIn,
    CommentIn,
    InvitationIn,
    ItemIn,
    ItemKind,
    ProposalIn,
    RoundIn,
)
from bettercities.core.errors import Conflict
from bettercities.storage.workspace import Workspace
from tests.support.served import module_workspace

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    ws = module_workspace(request, tmp_path_factory.mktemp("consultations-storage"))
    with ws.database.session() as session:
        areas.create_city(session, CitySpec(slug="smalltown", name="Smalltown", country="DE"))
    yield ws
    ws.close()


def _round(ws: Workspace) -> tuple[int, list[int], str]:
    opens = NOW - timedelta(hours=1)
    with ws.database.session() as session:
        berlin_summer = timezone(timedelta(hours=2))  # any zone: stored and read back as UTC
        times = {"opens_at": opens.astimezone(berlin_summer), "closes_at": NOW + timedelta(days=1)}
        row = service.add_round(session, "smalltown", RoundIn(title="Bänke", question="Wohin?", **times))
        items = [
            service.add_item(
                session,
                "smalltown",
                row.id,
                ItemIn(kind=ItemKind.PROPOSAL, title=t),
                now=opens - timedelta(minutes=1),
            ).id
            for t in ("Park", "Markt")
        ]
        token = participation.invite(
            session, "smalltown", row.id, InvitationIn(label="Verein", group="Vereine")
        ).token
        assert token is not None
        return row.id, items, token


def test_one_ballot_per_invitation_and_account_is_a_constraint(workspace: Workspace) -> None:
    round_id, (a, b), token = _round(workspace)
    guest = Principal()
    with workspace.database.session() as session:
        first = participation.cast_ballot(
            session, "smalltown", round_id, BallotIn(votes={a: 1, b: 2}, invitation=token), principal=guest
        )
        invitation_id = first.invitation_id
    with pytest.raises(Conflict), workspace.database.session() as session:
        participation.cast_ballot(
            session, "smalltown", round_id, BallotIn(votes={a: 2, b: 1}, invitation=token), principal=guest
        )
    # past the service's check: the database refuses a second ballot of the invitation ...
    with pytest.raises(IntegrityError), workspace.database.session() as session:
        session.add(ConsultationBallot(round_id=round_id, invitation_id=invitation_id, cast_at=NOW))
        session.flush()
    # ... and a ballot of nobody (neither an account nor an invitation)
    with pytest.raises(IntegrityError), workspace.database.session() as session:
        session.add(ConsultationBallot(round_id=round_id, cast_at=NOW))
        session.flush()


def test_a_round_trips_with_its_times_votes_and_comments(workspace: Workspace) -> None:
    round_id, (a, b), token = _round(workspace)
    with workspace.database.session() as session:
        participation.cast_ballot(
            session,
            "smalltown",
            round_id,
            BallotIn(votes={a: 2, b: 1}, invitation=token),
            principal=Principal(),
        )
        participation.add_comment(
            session,
            "smalltown",
            round_id,
            CommentIn(item=b, body="Ja\nbitte", invitation=token),
            principal=Principal(),
        )
    admin = Principal(name="admin", platform_admin=True)
    with workspace.database.reader() as session:
        shown = queries.visible_round(session, admin, "smalltown", round_id)
        results = queries.visible_results(session, admin, "smalltown", round_id)
    assert shown.opens_at == NOW - timedelta(hours=1) and shown.opens_at.tzinfo is not None
    assert (
        shown.status.value == "open"
        and shown.comments[0].body == "Ja\nbitte"
        and shown.comments[0].author == "Verein"
    )
    assert [(r.item, r.score) for r in results.items] == [(b, 1), (a, 0)]
    assert [(g.group, g.small) for g in results.breakdown] == [("Vereine", True)]


def test_a_proposal_keeps_the_invitation_or_account_it_came_from(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        opens = NOW - timedelta(hours=1)
        row = service.add_round(
            session,
            "smalltown",
            RoundIn(title="Ideen", question="Was fehlt?", opens_at=opens, closes_at=NOW + timedelta(days=1),
                    proposals=True),
        )  # fmt: skip
        token = participation.invite(session, "smalltown", row.id, InvitationIn(label="Kita")).token
        invitation_id = participation.invitation_by_token(session, token or "").id
        by_link = participation.propose(
            session,
            "smalltown",
            row.id,
            ProposalIn(title="Spielplatz", invitation=token),
            principal=Principal(),
        )
        by_hand = service.add_item(
            session,
            "smalltown",
            row.id,
            ItemIn(kind=ItemKind.PROPOSAL, title="Bank"),
            now=opens - timedelta(minutes=1),
        )
    with workspace.database.reader() as session:
        stored = session.get(ConsultationItem, by_link.id)
        assert stored is not None and stored.status == "pending"
        assert (stored.invitation_id, stored.user_id) == (invitation_id, None)
        put = session.get(ConsultationItem, by_hand.id)  # the steward's item: from nobody
        assert put is not None and (put.invitation_id, put.user_id) == (None, None)


@pytest.mark.filterwarnings("ignore:Did not recognize type:sqlalchemy.exc.SAWarning")  # PostGIS geometry
def test_the_migrations_create_the_tables_the_models_declare(workspace: Workspace) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bettercities.storage.models import metadata

    with workspace.database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert [d for d in diff if "consultation" in repr(d)] == []
