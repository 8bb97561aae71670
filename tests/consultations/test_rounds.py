"""Rounds through the library on SQLite (storage on both backends is in test_storage.py): items validated
against the public priority set, ballots and their refusals (nothing written), comments, moderation,
invitations, results with the protected breakdown, and the audit entries of every write.

Clock: rounds open an hour before :data:`NOW` for a week; operations pass ``now``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bettercities.access.keys import digest
from bettercities.access.policy import Principal, TokenScope
from bettercities.audit.models import AuditEntry
from bettercities.consultations import participation, queries, service
from bettercities.consultations.models import (
    ConsultationBallot,
    ConsultationComment,
    ConsultationInvitation,
    ConsultationItem,
)
from bettercities.consultations.schemas import (
    BallotIn,
    CommentIn,
    InvitationIn,
    ItemIn,
    ItemKind,
    ModerationIn,
    ProposalIn,
    RoundIn,
    RoundStatus,
)
from bettercities.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bettercities.storage.workspace import Workspace
from tests.consultations.world import NOW, SET, World, build_world, open_round

LATER = NOW + timedelta(days=8)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    ws = Workspace.init(tmp_path_factory.mktemp("consultations") / "workspace")
    yield build_world(ws)
    ws.close()


def _count(world: World, model: type) -> int:
    with world.workspace.database.reader() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _invite(world: World, round_id: int, label: str, group: str | None = None, **extra: object) -> str:
    with world.workspace.database.session() as session:
        issued = participation.invite(
            session, "testville", round_id, InvitationIn(label=label, group=group, **extra), actor="stew"
        )  # type: ignore[arg-type]
    assert issued.token is not None and issued.path == f"/consultations/invitations/{issued.token}"
    return issued.token


def test_items_take_their_title_from_the_public_priority_set_and_unknown_keys_are_refused(
    world: World,
) -> None:
    with world.workspace.database.session() as session:
        row = service.add_round(session, "testville", RoundIn(title="T", question="Q?"), actor="stew")
        item = service.add_item(
            session, "testville", row.id, ItemIn(kind=ItemKind.PRIORITY_AREA, key=f"{SET}/0201")
        )
        assert item.title.endswith(f"({SET})") and item.key == f"{SET}/0201"
        round_id = row.id
    for key, words in [
        (f"{SET}/0102", "not in the priority set"),  # an area the public's set does not hold
        ("nope/0201", "no public priority set"),
        ("0201", "'<set name>/<area code>'"),
    ]:
        with (
            pytest.raises(InvalidInput, match=words) as refused,
            world.workspace.database.session() as session,
        ):
            service.add_item(session, "testville", round_id, ItemIn(kind=ItemKind.PRIORITY_AREA, key=key))
        assert refused.value.report is not None and refused.value.report.problems[0].code == "unknown-item"
    with world.workspace.database.reader() as session:
        assert [
            i.key
            for i in session.scalars(select(ConsultationItem).where(ConsultationItem.round_id == round_id))
        ] == [f"{SET}/0201"]
        # a draft is seen only by who may edit the city
        assert round_id not in [r.id for r in queries.visible_rounds(session, world.resident, "testville")]
        assert round_id in [r.id for r in queries.visible_rounds(session, world.steward, "testville")]
        with pytest.raises(NotFound):
            queries.visible_round(session, world.resident, "testville", round_id)


def test_goal_and_action_items_are_checked_through_their_domains_as_the_public_sees_them(
    world: World,
) -> None:
    from datetime import date

    from bettercities.goals import service as goals
    from bettercities.goals.schemas import AreaSelection, GoalIn
    from bettercities.plans import service as plans
    from bettercities.plans.schemas import ActionIn, ObjectiveIn, PlanIn

    with world.workspace.database.session() as session:
        goal = goals.add_goal(
            session, "testville",
            GoalIn(title="Weniger Arbeitslosigkeit", indicator="unemployment", target_change=-1.0,
                   deadline=date(2030, 12, 31), owner_unit="Jobcenter",
                   areas=AreaSelection(kind="priority_set", value=SET)),
            actor="stew",
        ).id  # fmt: skip
        actions = {}
        for public in (True, False):
            plan = PlanIn(title=f"Plan {public}", period_from=date(2026, 1, 1), period_to=date(2027, 12, 31),
                          public=public)  # fmt: skip
            objective = plans.add_objective(session, "testville", plans.add_plan(session, "testville", plan),
                                            ObjectiveIn(title="O"))  # fmt: skip
            actions[public] = plans.add_action(
                session, "testville", objective, ActionIn(title=f"Action {public}")
            )
        row = service.add_round(session, "testville", RoundIn(title="Goals", question="Q?"), actor="stew")
        added = service.add_item(session, "testville", row.id, ItemIn(kind=ItemKind.GOAL, key=str(goal)))
        assert added.title == "Weniger Arbeitslosigkeit"
        action = service.add_item(
            session, "testville", row.id, ItemIn(kind=ItemKind.ACTION, key=str(actions[True]))
        )
        assert action.title == "Action True"
        round_id = row.id
    for kind, key, words in [
        (ItemKind.GOAL, "99999", "no public goal 99999"),
        (ItemKind.GOAL, "abc", "its id"),
        (
            ItemKind.ACTION,
            str(actions[False]),
            f"no public action {actions[False]}",
        ),  # of a members-only plan
    ]:
        with pytest.raises(InvalidInput, match=words), world.workspace.database.session() as session:
            service.add_item(session, "testville", round_id, ItemIn(kind=kind, key=key))


def test_times_need_a_zone_and_a_round_opens_only_with_items(world: World) -> None:
    with pytest.raises(ValueError, match="timezone"):
        RoundIn(title="T", question="Q", opens_at="2026-05-01T09:00", closes_at="2026-05-02T09:00")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="after the opening"):
        RoundIn(title="T", question="Q", opens_at=NOW, closes_at=NOW)
    with pytest.raises(ValueError, match="dots per participant"):
        RoundIn(title="T", question="Q", method="dot")  # type: ignore[arg-type]
    with world.workspace.database.session() as session:
        row = service.add_round(session, "testville", RoundIn(title="Empty", question="Q?"), actor="stew")
        round_id = row.id
    with pytest.raises(Conflict, match="at least two items"), world.workspace.database.session() as session:
        service.open_round(session, "testville", round_id, closes_at=LATER, now=NOW)
    scheduled = RoundIn(title="Later", question="Q?", opens_at=NOW + timedelta(days=1), closes_at=LATER)
    with world.workspace.database.session() as session:
        row = service.add_round(session, "testville", scheduled, actor="stew")
        assert service.status_of(row, NOW) == RoundStatus.SCHEDULED
        assert service.status_of(row, NOW + timedelta(days=2)) == RoundStatus.OPEN
        assert service.status_of(row, LATER) == RoundStatus.CLOSED


def test_a_ranking_ballot_and_its_refusals(world: World) -> None:
    round_id, (a, b, c) = open_round(world.workspace)
    ballots = _count(world, ConsultationBallot)
    refusals = [
        ({a: 1, b: 1, c: 2}, "once; given more than once: [1]"),
        ({a: 1, b: 2}, f"not ranked: items [{c}]"),
        ({a: 1, b: 2, c: 4}, "ranks given: [1, 2, 4]"),
        ({a: 1, b: 2, c: 3, 999: 4}, "not in the round: [999]"),
    ]
    for votes, words in refusals:
        with (
            pytest.raises(InvalidInput, match=words.replace("[", r"\[")) as refused,
            world.workspace.database.session() as session,
        ):
            participation.cast_ballot(
                session, "testville", round_id, BallotIn(votes=votes), principal=world.resident, now=NOW
            )
        assert refused.value.report is not None and refused.value.report.problems[0].code == "invalid-ballot"
    assert _count(world, ConsultationBallot) == ballots  # nothing written
    with world.workspace.database.session() as session:
        participation.cast_ballot(
            session,
            "testville",
            round_id,
            BallotIn(votes={a: 2, b: 1, c: 3}),
            principal=world.resident,
            now=NOW,
        )
    with (
        pytest.raises(Conflict, match="voted in this round already"),
        world.workspace.database.session() as session,
    ):
        participation.cast_ballot(
            session,
            "testville",
            round_id,
            BallotIn(votes={a: 1, b: 2, c: 3}),
            principal=world.resident,
            now=NOW,
        )
    assert _count(world, ConsultationBallot) == ballots + 1
    read_only = replace(world.steward, scope=TokenScope(write=False))
    with pytest.raises(Forbidden, match="read-only API token"), world.workspace.database.session() as session:
        participation.cast_ballot(
            session, "testville", round_id, BallotIn(votes={a: 1, b: 2, c: 3}), principal=read_only, now=NOW
        )
    anonymous = Principal()
    with pytest.raises(Forbidden, match="sign in"), world.workspace.database.session() as session:
        participation.cast_ballot(
            session, "testville", round_id, BallotIn(votes={a: 1, b: 2, c: 3}), principal=anonymous, now=NOW
        )
    # closed: refused with the closing time; not yet open: with the opening time
    with (
        pytest.raises(Conflict, match=r"closed on .* voting is no longer possible"),
        world.workspace.database.session() as session,
    ):
        participation.cast_ballot(
            session,
            "testville",
            round_id,
            BallotIn(votes={a: 1, b: 2, c: 3}),
            principal=world.steward,
            now=LATER,
        )
    with pytest.raises(Conflict, match="opens on"), world.workspace.database.session() as session:
        participation.cast_ballot(session, "testville", round_id, BallotIn(votes={a: 1, b: 2, c: 3}),
                            principal=world.steward, now=NOW - timedelta(days=1))  # fmt: skip
    assert _count(world, ConsultationBallot) == ballots + 1


def test_dot_voting_limits(world: World) -> None:
    round_id, (a, b, c) = open_round(world.workspace, method="dot", dots=5, cap=3)
    for votes, words in [
        ({a: 4, b: 1}, "at most 3 dots on one item"),
        ({a: 3, b: 3}, "6 dots given, but each participant has 5"),
        ({a: 0}, "gives no dot"),
        ({a: -1, b: 3}, "negative"),
    ]:
        with pytest.raises(InvalidInput, match=words), world.workspace.database.session() as session:
            participation.cast_ballot(
                session, "testville", round_id, BallotIn(votes=votes), principal=world.resident, now=NOW
            )
    with world.workspace.database.session() as session:
        participation.cast_ballot(
            session,
            "testville",
            round_id,
            BallotIn(votes={a: 3, b: 2, c: 0}),
            principal=world.resident,
            now=NOW,
        )
        participation.cast_ballot(
            session, "testville", round_id, BallotIn(votes={b: 3, c: 1}), principal=world.steward, now=NOW
        )
        results = queries.visible_results(session, world.steward, "testville", round_id, now=NOW)
    # by hand: a 3, b 2 + 3 = 5, c 1
    assert [(r.item, r.score, r.ballots) for r in results.items] == [(b, 5, 2), (a, 3, 1), (c, 1, 1)]
    assert results.ballots == 2 and results.status == RoundStatus.OPEN


def test_comments_threads_limits_and_moderation(world: World) -> None:
    round_id, (a, b, _) = open_round(world.workspace)
    comments = _count(world, ConsultationComment)
    for body, words in [
        ("x" * 2001, "2001 characters, at most 2000"),
        ("bad\x00byte", "control character U\\+0000"),
        ("bell\x07", "U\\+0007"),
        ("   ", "empty"),
    ]:
        with (
            pytest.raises(InvalidInput, match=words) as refused,
            world.workspace.database.session() as session,
        ):
            participation.add_comment(
                session,
                "testville",
                round_id,
                CommentIn(item=a, body=body),
                principal=world.resident,
                now=NOW,
            )
        assert refused.value.report is not None and refused.value.report.problems[0].code == "invalid-text"
    assert _count(world, ConsultationComment) == comments
    with world.workspace.database.session() as session:
        first = participation.add_comment(
            session,
            "testville",
            round_id,
            CommentIn(item=a, body="Mehr Spielplätze!\nBitte."),
            principal=world.resident,
            now=NOW,
        ).id
        reply = participation.add_comment(
            session,
            "testville",
            round_id,
            CommentIn(item=a, parent=first, body="Ja."),
            principal=world.steward,
            now=NOW,
        ).id
    with (
        pytest.raises(InvalidInput, match="not a comment on item"),
        world.workspace.database.session() as session,
    ):
        participation.add_comment(
            session,
            "testville",
            round_id,
            CommentIn(item=b, parent=first, body="x"),
            principal=world.resident,
            now=NOW,
        )
    with world.workspace.database.session() as session:
        participation.moderate(
            session,
            "testville",
            round_id,
            comment=first,
            decision=ModerationIn(reason="Beleidigend"),
            actor="stew",
        )
    with pytest.raises(Conflict, match="hidden already"), world.workspace.database.session() as session:
        participation.moderate(
            session, "testville", round_id, comment=first, decision=ModerationIn(reason="again"), actor="stew"
        )
    with world.workspace.database.reader() as session:
        shown = queries.visible_round(session, world.resident, "testville", round_id, now=NOW)
        thread = next(c for c in shown.comments if c.id == first)
        assert (thread.hidden, thread.body, thread.author, thread.hidden_reason) == (
            True,
            None,
            None,
            "Beleidigend",
        )
        assert [r.id for r in thread.replies] == [reply] and thread.replies[0].body == "Ja."
        stored = session.get(ConsultationComment, first)
        assert stored is not None and stored.body == "Mehr Spielplätze!\nBitte."  # hidden, not deleted
        events = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "consultation-moderation", AuditEntry.entity_key == str(first)
            )
        ).all()
        assert len(events) == 1 and "Beleidigend" in events[0].summary


def test_invitations_are_single_use_and_store_only_a_hash(world: World) -> None:
    round_id, (a, b, c) = open_round(world.workspace, audience="invited")
    token = _invite(world, round_id, "Jugendhilfeträger Nord", "Jugendhilfe")
    with world.workspace.database.reader() as session:
        stored = session.scalar(
            select(ConsultationInvitation).where(ConsultationInvitation.round_id == round_id)
        )
        assert stored is not None and stored.token_hash != token and token not in (stored.prefix or "") + "x"
        assert stored.token_hash == digest(token)
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "consultation_invitation")
        ).all()
        assert entries and all(token not in str(e.after) + str(e.summary) for e in entries)
    # the resident is not invited to an invited round
    with pytest.raises(Forbidden, match="not invited"), world.workspace.database.session() as session:
        participation.cast_ballot(
            session,
            "testville",
            round_id,
            BallotIn(votes={a: 1, b: 2, c: 3}),
            principal=world.resident,
            now=NOW,
        )
    anonymous = Principal()
    vote = BallotIn(votes={a: 1, b: 3, c: 2}, invitation=token)
    with world.workspace.database.session() as session:
        participation.cast_ballot(session, "testville", round_id, vote, principal=anonymous, now=NOW)
        participation.add_comment(
            session,
            "testville",
            round_id,
            CommentIn(item=a, body="Danke", invitation=token),
            principal=anonymous,
            now=NOW,
        )
    with (
        pytest.raises(Conflict, match="invitation has been used"),
        world.workspace.database.session() as session,
    ):
        participation.cast_ballot(session, "testville", round_id, vote, principal=anonymous, now=NOW)
    for bad, error in [(token[:-2] + "xx", NotFound), ("bcc_" + "A" * 43, NotFound), ("guess", NotFound)]:
        with pytest.raises(error), world.workspace.database.session() as session:
            wrong = BallotIn(votes={a: 1, b: 2, c: 3}, invitation=bad)
            participation.cast_ballot(session, "testville", round_id, wrong, principal=anonymous, now=NOW)
    expired = _invite(world, round_id, "Spät", expires_at=NOW - timedelta(minutes=1))
    with pytest.raises(Conflict, match="expired"), world.workspace.database.session() as session:
        late = BallotIn(votes={a: 1, b: 2, c: 3}, invitation=expired)
        participation.cast_ballot(session, "testville", round_id, late, principal=anonymous, now=NOW)
    with world.workspace.database.reader() as session:
        comment = session.scalar(select(ConsultationComment).where(ConsultationComment.round_id == round_id))
        assert comment is not None and comment.author == "Jugendhilfeträger Nord" and comment.user_id is None
        ballot = session.scalar(select(ConsultationBallot).where(ConsultationBallot.round_id == round_id))
        assert ballot is not None and ballot.user_id is None and ballot.stakeholder_group == "Jugendhilfe"


def test_results_are_public_after_closing_with_small_groups_withheld(world: World) -> None:
    round_id, (a, b, c) = open_round(world.workspace, proposals=True)
    anonymous = Principal()
    # 4 ballots of group "Schulen", 1 of "Kitas", 1 of the resident's account (no group)
    rankings = [
        {a: 1, b: 2, c: 3},
        {a: 1, b: 2, c: 3},
        {b: 1, a: 2, c: 3},
        {c: 1, b: 2, a: 3},
        {b: 1, c: 2, a: 3},
    ]
    groups = ["Schulen"] * 4 + ["Kitas"]
    with world.workspace.database.session() as session:
        for ranks, group in zip(rankings, groups, strict=True):
            token = participation.invite(
                session, "testville", round_id, InvitationIn(label=f"{group} x", group=group)
            ).token
            participation.cast_ballot(
                session,
                "testville",
                round_id,
                BallotIn(votes=ranks, invitation=token),
                principal=anonymous,
                now=NOW,
            )
        participation.cast_ballot(
            session,
            "testville",
            round_id,
            BallotIn(votes={c: 1, a: 2, b: 3}),
            principal=world.resident,
            now=NOW,
        )
        proposed = participation.propose(
            session, "testville", round_id, ProposalIn(title="Neue Bank"), principal=world.resident, now=NOW
        )
    with world.workspace.database.reader() as session:
        assert proposed.id not in [
            i.id for i in queries.visible_round(session, world.resident, "testville", round_id, now=NOW).items
        ]
        with pytest.raises(Forbidden, match="published when it closes"):
            queries.visible_results(session, world.resident, "testville", round_id, now=NOW)
        results = queries.visible_results(session, world.resident, "testville", round_id, now=LATER)
    # Borda by hand, 3 items: points 2/1/0
    # a: 2 + 2 + 1 + 0 + 0 + 1 = 6; b: 1 + 1 + 2 + 1 + 2 + 0 = 7; c: 0 + 0 + 0 + 2 + 1 + 2 = 5
    assert [(r.item, r.score, r.firsts) for r in results.items] == [(b, 7, 2), (a, 6, 2), (c, 5, 2)]
    assert results.ballots == 6 and "n - r points" in results.formula and "order in the round" in results.ties
    rows = {r.group: r for r in results.breakdown}
    assert results.threshold == 3
    # Kitas 1 (< 3) withheld; the account without a group (1) too; Schulen 4 shown (two withheld: neither
    # is given away by the total)
    assert rows["Kitas"].small and rows[None].small and rows["Schulen"].participants == 4
    assert queries.results_csv(results).splitlines()[1].startswith(f"1,{b},priority_area,{SET}/")


def test_every_write_leaves_an_audit_entry(world: World) -> None:
    with world.workspace.database.reader() as session:
        tables = set(
            session.scalars(select(AuditEntry.entity).where(AuditEntry.entity.like("consultation_%")))
        )
    assert {"consultation_round", "consultation_item", "consultation_ballot", "consultation_vote",
            "consultation_comment", "consultation_invitation"} <= tables  # fmt: skip
