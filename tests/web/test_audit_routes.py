"""The audit log's web face, and: every write through a page or the API leaves an audit entry naming the user.

The write routes come from the app itself (methods POST, PUT, PATCH, DELETE): each must have an entry in
:data:`WRITES` (a valid request, as a user with the needed role, with the form's CSRF token for pages) or
in :data:`NOT_WRITING` with the reason; a new write route fails :func:`test_every_write_route_is_listed`
until it is added. One CLI write is checked too (the audit tests of ``bettercities.audit`` cover the CLI).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from typer.testing import CliRunner

from bettercities.access.policy import Principal
from bettercities.areas import service as areas
from bettercities.audit import queries as audit
from bettercities.audit.models import AuditEntry
from bettercities.audit.schemas import AuditEntryOut
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import State
from bettercities.cli.main import app as cli_app
from bettercities.consultations import participation
from bettercities.consultations import service as consultations
from bettercities.consultations.schemas import CommentIn, InvitationIn, ItemIn, ItemKind, ProposalIn, RoundIn
from bettercities.core.settings import Settings
from bettercities.goals import service as goals
from bettercities.goals.schemas import AreaSelection, GoalIn
from bettercities.plans import service as plans
from bettercities.plans.schemas import ActionIn, ObjectiveIn, PlanIn, RiskIn
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.flags import open_flag
from tests.support.served import (
    BACKENDS,
    CITY_A,
    CITY_B,
    PASSWORD,
    PRIORITY_SET,
    PUBLIC_DATASET,
    add_user,
    csrf_of,
    issue_token,
    sign_in,
    two_cities_workspace,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ADMIN = "admin-a"  # city admin of A: may do every write in A
FREE = "unemployment"  # in no dataset of city A: its values are never locked by a published dataset


@dataclass
class World:
    """The app over two cities, city A's admin signed in (``page``) and with a write token (``api``)."""

    workspace: Workspace
    app: object
    page: TestClient
    api: TestClient
    token: str

    def guest(self) -> TestClient:
        """A client without an account or cookie (an invitation link's holder)."""
        return TestClient(self.app)  # type: ignore[arg-type]

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def csrf(self, client: TestClient | None = None) -> str:
        """The CSRF token of the signed-in session (from a form of the account page)."""
        return csrf_of((client or self.page).get("/account").text)

    def open_flag(self) -> int:
        """A new open outlier flag in city A, on the first current observation of the free indicator without
        one (not of a published dataset, whose values are locked: which observation came first used to depend
        on the order the tests ran in)."""
        with self.workspace.database.session() as session:
            return open_flag(session, CITY_A, FREE)

    def dataset_in(self, state: State) -> None:
        """Bring city A's public dataset into ``state`` through the library (draft or published)."""
        with self.workspace.database.session() as session:
            current = State(
                catalog.get_dataset(session, areas.get_city(session, CITY_A), PUBLIC_DATASET).state
            )
            if current == state:
                return
            if current in (State.APPROVED, State.PUBLISHED):
                approval.transition(
                    session, CITY_A, PUBLIC_DATASET, approval.Action.UNLOCK, user="test", reason="test"
                )
            if state == State.PUBLISHED:
                for action in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
                    approval.transition(session, CITY_A, PUBLIC_DATASET, action, user="test")


@dataclass(frozen=True)
class Expect:
    """What a write must leave in the log: an entry by ``actor`` (with ``action``, when given)."""

    response: Response
    actor: str = ADMIN
    action: str | None = None


DELIVERY = b"id,green_space\n0101,42.5\n0102,17.25\n"


def _page_import(world: World) -> Expect:
    world.dataset_in(State.DRAFT)  # green_space is in it: a published dataset's data are locked
    response = world.page.post(
        f"/cities/{CITY_A}/import",
        data={"csrf_token": world.csrf(), "kind": "observations", "level": "planning_area", "period": "2022"},
        files={"file": ("delivery.csv", DELIVERY, "text/csv")},
        follow_redirects=False,
    )
    job = world.page.get(response.headers["location"].split("?")[0] + ".json").json()
    assert job["status"] == "done", job
    return Expect(response)


def _api_observations(world: World) -> Expect:
    world.dataset_in(State.DRAFT)
    response = world.api.post(
        f"/api/cities/{CITY_A}/datasets/{PUBLIC_DATASET}/observations",
        headers=world.bearer(),
        data={"level": "planning_area", "period": "2021"},
        files={"file": ("delivery.csv", DELIVERY.replace(b"42.5", b"43.5"), "text/csv")},
    )
    return Expect(response)


def _api_dataset_step(world: World) -> Expect:
    world.dataset_in(State.DRAFT)
    response = world.api.post(
        f"/api/cities/{CITY_A}/datasets/{PUBLIC_DATASET}/submit", headers=world.bearer(), json={}
    )
    return Expect(response)


def _api_catalog_settings(world: World) -> Expect:
    response = world.api.put(
        f"/api/cities/{CITY_A}/catalog/settings", headers=world.bearer(), json={"four_eyes": False}
    )
    return Expect(response)


def _api_flag(world: World) -> Expect:
    response = world.api.post(
        f"/api/cities/{CITY_A}/quality/outliers/{world.open_flag()}",
        headers=world.bearer(),
        json={"action": "correct", "value": 12.75},
    )
    return Expect(response)


def _page_flag(world: World) -> Expect:
    response = world.page.post(
        f"/cities/{CITY_A}/quality/outliers/{world.open_flag()}",
        data={"csrf_token": world.csrf(), "action": "accept", "comment": "plausible"},
        follow_redirects=False,
    )
    return Expect(response)


def _api_issue_token(world: World) -> Expect:
    response = world.api.post("/api/me/tokens", headers=world.bearer(), json={"name": "script"})
    return Expect(response, action="token-issued")


def _api_revoke_token(world: World) -> Expect:
    issued = world.api.post("/api/me/tokens", headers=world.bearer(), json={"name": "to revoke"}).json()
    response = world.api.delete(f"/api/me/tokens/{issued['info']['id']}", headers=world.bearer())
    return Expect(response, action="token-revoked")


def _login(world: World) -> Expect:
    with TestClient(world.app) as fresh:  # type: ignore[arg-type]
        form = fresh.get("/login")
        response = fresh.post(
            "/login",
            data={"username": ADMIN, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
    return Expect(response, action="login")


def _logout(world: World) -> Expect:
    with TestClient(world.app) as other:  # type: ignore[arg-type]
        sign_in(other, ADMIN)
        response = other.post("/logout", data={"csrf_token": world.csrf(other)}, follow_redirects=False)
    return Expect(response, action="logout")


def _change_password(world: World) -> Expect:
    add_user(world.workspace, "changer", {CITY_B: "viewer"})
    with TestClient(world.app) as own:  # type: ignore[arg-type]
        sign_in(own, "changer")
        new = PASSWORD + "-new"
        response = own.post(
            "/account/password",
            data={
                "csrf_token": world.csrf(own),
                "old_password": PASSWORD,
                "new_password": new,
                "repeat_password": new,
            },
            follow_redirects=False,
        )
    return Expect(response, actor="changer")


def _page_issue_token(world: World) -> Expect:
    response = world.page.post(
        "/account/tokens", data={"csrf_token": world.csrf(), "name": "from the page"}, follow_redirects=False
    )
    return Expect(response, action="token-issued")


def _page_revoke_token(world: World) -> Expect:
    issued = world.api.post("/api/me/tokens", headers=world.bearer(), json={"name": "page revoke"}).json()
    response = world.page.post(
        f"/account/tokens/{issued['info']['id']}/revoke",
        data={"csrf_token": world.csrf()},
        follow_redirects=False,
    )
    return Expect(response, action="token-revoked")


def _api_priority_set(world: World) -> Expect:
    green = {"kind": "threshold", "indicator": "green_space", "op": ">=", "value": 10}
    rule = {"name": "green", "conditions": [green]}
    response = world.api.post(
        f"/api/cities/{CITY_A}/priority-sets",
        headers=world.bearer(),
        json={"name": "audited via api", "rule": rule, "level": "planning_area", "period": "2022"},
    )
    return Expect(response)


def _page_priority_set(world: World) -> Expect:
    response = world.page.post(
        f"/cities/{CITY_A}/priority-sets",
        data={"csrf_token": world.csrf(), "name": "audited via page"},  # the preset rule, on A's latest run
        follow_redirects=False,
    )
    return Expect(response)


def _api_privacy_set(world: World) -> Expect:
    rule = {"indicator": "green_space", "method": "suppression", "threshold": 4}
    response = world.api.put(f"/api/cities/{CITY_A}/privacy/rules", headers=world.bearer(), json=rule)
    return Expect(response)


def _api_privacy_remove(world: World) -> Expect:
    _api_privacy_set(world)
    response = world.api.delete(
        f"/api/cities/{CITY_A}/privacy/rules", headers=world.bearer(), params={"indicator": "green_space"}
    )
    return Expect(response)


def _page_privacy_set(world: World) -> Expect:
    response = world.page.post(
        f"/cities/{CITY_A}/privacy/rules",
        data={"csrf_token": world.csrf(), "scope": "indicator", "target": "green_space", "method": "none"},
        follow_redirects=False,
    )
    return Expect(response)


def _page_privacy_remove(world: World) -> Expect:
    _api_privacy_set(world)
    response = world.page.post(
        f"/cities/{CITY_A}/privacy/rules/remove",
        data={"csrf_token": world.csrf(), "indicator": "green_space"},
        follow_redirects=False,
    )
    return Expect(response)


# -- goals, plans and consultations: the objects each write needs are made through the library ------------


def _goal(world: World) -> int:
    """A new performance measure of city A (no data read: its baseline is given)."""
    with world.workspace.database.session() as session:
        goal = goals.add_goal(
            session, CITY_A,
            GoalIn(title="Counselling sessions", indicator="audit_sessions", kind="performance",
                   performance_kind="how_much", measure_name="Counselling", unit="sessions",
                   polarity="higher_is_better", baseline_value=100.0, baseline_period="2022",
                   target_value=200.0, deadline=date(2030, 12, 31), owner_unit="Audit office",
                   areas=AreaSelection(kind="level", value="planning_area")),
            actor="library",
        )  # fmt: skip
        return goal.id


def _api_goal_add(world: World) -> Expect:
    body = {
        "title": "Less unemployment", "indicator": FREE, "target_change": -1.0, "deadline": "2030-12-31",
        "owner_unit": "Audit office", "areas": {"kind": "level", "value": "planning_area"},
    }  # fmt: skip
    response = world.api.post(f"/api/cities/{CITY_A}/goals", headers=world.bearer(), json=body)
    return Expect(response)


def _api_goal_remove(world: World) -> Expect:
    response = world.api.delete(f"/api/cities/{CITY_A}/goals/{_goal(world)}", headers=world.bearer())
    return Expect(response)


def _api_goal_measure(world: World) -> Expect:
    response = world.api.post(
        f"/api/cities/{CITY_A}/goals/{_goal(world)}/measures",
        headers=world.bearer(),
        json={"period": "2023", "value": 150.0},
    )
    return Expect(response)


def _page_goal_add(world: World) -> Expect:
    form = {
        "csrf_token": world.csrf(), "title": "Less unemployment (page)", "indicator": FREE,
        "priority_set": PRIORITY_SET, "target_change": "-1", "deadline": "2030-12-31",
        "owner_unit": "Audit office",
    }  # fmt: skip
    response = world.page.post(f"/cities/{CITY_A}/goals", data=form, follow_redirects=False)
    return Expect(response)


@dataclass(frozen=True)
class PlanIds:
    plan: int
    objective: int
    action: int
    risk: int


def _plan(world: World, *, goal: int | None = None) -> PlanIds:
    """A new plan of city A: an objective (serving ``goal``, when given), an action in area 0101, a risk."""
    served = [goal] if goal is not None else []
    with world.workspace.database.session() as session:
        plan = plans.add_plan(
            session, CITY_A, PlanIn(title="Audited plan", period_from=date(2026, 1, 1),
                                    period_to=date(2030, 12, 31)), user="library",
        )  # fmt: skip
        objective = plans.add_objective(
            session, CITY_A, plan, ObjectiveIn(title="Fewer unemployed", goals=served)
        )
        action = plans.add_action(
            session, CITY_A, objective, ActionIn(title="Job fair", areas=["0101"]), user="library"
        )
        risk = plans.add_risk(
            session, CITY_A, plan, RiskIn(description="No hall", likelihood="low", impact="high")
        )
        return PlanIds(plan, objective, action, risk)


PLANS = f"/api/cities/{CITY_A}/plans"


def _api_plan_add(world: World) -> Expect:
    body = {"title": "Plan via api", "period_from": "2026-01-01", "period_to": "2030-12-31"}
    return Expect(world.api.post(PLANS, headers=world.bearer(), json=body))


def _api_plan_update(world: World) -> Expect:
    plan = _plan(world).plan
    return Expect(world.api.patch(f"{PLANS}/{plan}", headers=world.bearer(), json={"title": "Renamed"}))


def _api_plan_remove(world: World) -> Expect:
    return Expect(world.api.delete(f"{PLANS}/{_plan(world).plan}", headers=world.bearer()))


def _api_objective_add(world: World) -> Expect:
    plan = _plan(world).plan
    return Expect(
        world.api.post(f"{PLANS}/{plan}/objectives", headers=world.bearer(), json={"title": "More"})
    )


def _api_risk_add(world: World) -> Expect:
    body = {"description": "Rain", "likelihood": "medium", "impact": "low"}
    return Expect(world.api.post(f"{PLANS}/{_plan(world).plan}/risks", headers=world.bearer(), json=body))


def _api_objective_update(world: World) -> Expect:
    objective = _plan(world).objective
    response = world.api.patch(
        f"{PLANS}/objectives/{objective}", headers=world.bearer(), json={"title": "Renamed"}
    )
    return Expect(response)


def _api_objective_remove(world: World) -> Expect:
    return Expect(world.api.delete(f"{PLANS}/objectives/{_plan(world).objective}", headers=world.bearer()))


def _api_action_add(world: World) -> Expect:
    objective = _plan(world).objective
    response = world.api.post(
        f"{PLANS}/objectives/{objective}/actions", headers=world.bearer(), json={"title": "Second fair"}
    )
    return Expect(response)


def _api_objective_link(world: World) -> Expect:
    objective = _plan(world).objective
    response = world.api.post(
        f"{PLANS}/objectives/{objective}/links",
        headers=world.bearer(),
        json={"goals": [_goal(world)]},  # a measure: its status is read without the city's data
    )
    return Expect(response)


def _api_objective_unlink(world: World) -> Expect:
    goal = _goal(world)
    response = world.api.delete(
        f"{PLANS}/objectives/{_plan(world, goal=goal).objective}/links",
        headers=world.bearer(),
        params={"goal": goal},
    )
    return Expect(response)


def _api_action_update(world: World) -> Expect:
    action = _plan(world).action
    response = world.api.patch(
        f"{PLANS}/actions/{action}", headers=world.bearer(), json={"budget": "1500.00"}
    )
    return Expect(response)


def _api_action_remove(world: World) -> Expect:
    return Expect(world.api.delete(f"{PLANS}/actions/{_plan(world).action}", headers=world.bearer()))


def _api_action_status(world: World) -> Expect:
    response = world.api.post(
        f"{PLANS}/actions/{_plan(world).action}/status",
        headers=world.bearer(),
        json={"status": "in_progress", "note": "started"},
    )
    return Expect(response)


def _api_action_link(world: World) -> Expect:
    response = world.api.post(
        f"{PLANS}/actions/{_plan(world).action}/links",
        headers=world.bearer(),
        json={"areas": ["0102"]},
    )
    return Expect(response)


def _api_action_unlink(world: World) -> Expect:
    response = world.api.delete(
        f"{PLANS}/actions/{_plan(world).action}/links", headers=world.bearer(), params={"area": "0101"}
    )
    return Expect(response)


def _api_risk_remove(world: World) -> Expect:
    return Expect(world.api.delete(f"{PLANS}/risks/{_plan(world).risk}", headers=world.bearer()))


def _page_plan_add(world: World) -> Expect:
    form = {"csrf_token": world.csrf(), "title": "Plan via page", "period_from": "2026-01-01",
            "period_to": "2030-12-31"}  # fmt: skip
    return Expect(world.page.post(f"/cities/{CITY_A}/plans", data=form, follow_redirects=False))


def _page_plan_form(world: World, path: str, form: dict[str, str], ids: PlanIds | None = None) -> Expect:
    """A form of a new plan's page (``path`` is formatted with the plan's ids)."""
    ids = ids or _plan(world)
    response = world.page.post(
        f"/cities/{CITY_A}/plans/{ids.plan}/" + path.format(**vars(ids)),
        data={"csrf_token": world.csrf(), **{k: v.format(**vars(ids)) for k, v in form.items()}},
        follow_redirects=False,
    )
    return Expect(response)


def _page_objective_add(world: World) -> Expect:
    return _page_plan_form(world, "objectives", {"title": "More parks"})


def _page_action_add(world: World) -> Expect:
    return _page_plan_form(world, "actions", {"objective": "{objective}", "title": "Plant trees"})


def _page_action_status(world: World) -> Expect:
    return _page_plan_form(world, "actions/{action}/status", {"status": "delayed", "note": "no hall"})


def _page_risk_add(world: World) -> Expect:
    form = {"description": "Strike", "likelihood": "high", "impact": "medium", "action": "{action}"}
    return _page_plan_form(world, "risks", form)


ROUNDS = f"/api/cities/{CITY_A}/consultations"


@dataclass(frozen=True)
class RoundIds:
    round: int
    items: list[int]


def _round(world: World, *, state: str = "open", proposals: bool = False) -> RoundIds:
    """A new public ranking round of city A with two proposal items; ``state``: draft, scheduled (both times
    stored, the opening tomorrow) or open (until next week)."""
    now = datetime.now(UTC)
    times = {"opens_at": now + timedelta(days=1), "closes_at": now + timedelta(days=8)}
    with world.workspace.database.session() as session:
        row = consultations.add_round(
            session, CITY_A,
            RoundIn(title="Audited round", question="Which first?", proposals=proposals,
                    **(times if state == "scheduled" else {})),
            actor="library",
        )  # fmt: skip
        items = [
            consultations.add_item(session, CITY_A, row.id, ItemIn(kind=ItemKind.PROPOSAL, title=title)).id
            for title in ("Benches", "Lights")
        ]
        if state == "open":
            consultations.open_round(session, CITY_A, row.id, closes_at=now + timedelta(days=7))
        return RoundIds(row.id, items)


def _link(world: World, round_id: int) -> str:
    """A new invitation link's token for the round."""
    with world.workspace.database.session() as session:
        issued = participation.invite(session, CITY_A, round_id, InvitationIn(label="Guest"), actor="library")
    assert issued.token is not None
    return issued.token


def _comment(world: World, ids: RoundIds) -> int:
    """A comment on the round's first item from an invitation link."""
    token = _link(world, ids.round)
    with world.workspace.database.session() as session:
        comment = CommentIn(item=ids.items[0], body="Too dark here", invitation=token)
        return participation.add_comment(session, CITY_A, ids.round, comment, principal=Principal()).id


def _proposal(world: World, ids: RoundIds) -> int:
    """A pending proposal to the round (which takes proposals) from an invitation link."""
    token = _link(world, ids.round)
    with world.workspace.database.session() as session:
        proposal = ProposalIn(title="A fountain", invitation=token)
        return participation.propose(session, CITY_A, ids.round, proposal, principal=Principal()).id


def _api_round_add(world: World) -> Expect:
    body = {"title": "Round via api", "question": "Where first?", "method": "dot", "dots": 3}
    return Expect(world.api.post(ROUNDS, headers=world.bearer(), json=body))


def _api_round_item(world: World) -> Expect:
    round_id = _round(world, state="draft").round
    body = {"kind": "proposal", "title": "Playground"}
    return Expect(world.api.post(f"{ROUNDS}/{round_id}/items", headers=world.bearer(), json=body))


def _api_round_open(world: World) -> Expect:
    round_id = _round(world, state="scheduled").round
    return Expect(world.api.post(f"{ROUNDS}/{round_id}/open", headers=world.bearer()))


def _api_round_close(world: World) -> Expect:
    return Expect(world.api.post(f"{ROUNDS}/{_round(world).round}/close", headers=world.bearer()))


def _api_round_invite(world: World) -> Expect:
    body = {"label": "Youth council", "group": "youth"}
    response = world.api.post(
        f"{ROUNDS}/{_round(world).round}/invitations", headers=world.bearer(), json=body
    )
    return Expect(response, action="consultation-invitation")


def _api_ballot(world: World) -> Expect:
    ids = _round(world)
    votes = {str(ids.items[0]): 2, str(ids.items[1]): 1}
    response = world.api.post(f"{ROUNDS}/{ids.round}/ballots", headers=world.bearer(), json={"votes": votes})
    return Expect(response)


def _api_comment(world: World) -> Expect:
    ids = _round(world)
    body = {"item": ids.items[1], "body": "Yes, please"}
    return Expect(world.api.post(f"{ROUNDS}/{ids.round}/comments", headers=world.bearer(), json=body))


def _api_proposal(world: World) -> Expect:
    round_id = _round(world, proposals=True).round
    body = {"title": "A skate park"}
    return Expect(world.api.post(f"{ROUNDS}/{round_id}/proposals", headers=world.bearer(), json=body))


def _api_hide_comment(world: World) -> Expect:
    ids = _round(world)
    response = world.api.post(
        f"{ROUNDS}/{ids.round}/comments/{_comment(world, ids)}/moderation",
        headers=world.bearer(),
        json={"reason": "off topic"},
    )
    return Expect(response, action="consultation-moderation")


def _api_decide_proposal(world: World) -> Expect:
    ids = _round(world, proposals=True)
    response = world.api.post(
        f"{ROUNDS}/{ids.round}/items/{_proposal(world, ids)}/moderation",
        headers=world.bearer(),
        json={"reason": "fits the question", "decision": "approve"},
    )
    return Expect(response, action="consultation-moderation")


def _page_round_add(world: World) -> Expect:
    form = {"csrf_token": world.csrf(), "title": "Round via page", "question": "Which first?"}
    return Expect(world.page.post(f"/cities/{CITY_A}/consultations", data=form, follow_redirects=False))


def _page_round_form(world: World, ids: RoundIds, path: str, form: dict[str, str]) -> Expect:
    response = world.page.post(
        f"/cities/{CITY_A}/consultations/{ids.round}/{path}",
        data={"csrf_token": world.csrf(), **form},
        follow_redirects=False,
    )
    return Expect(response)


def _page_ballot(world: World) -> Expect:
    ids = _round(world)
    return _page_round_form(world, ids, "ballot", {f"rank-{ids.items[0]}": "1", f"rank-{ids.items[1]}": "2"})


def _page_comment(world: World) -> Expect:
    ids = _round(world)
    return _page_round_form(world, ids, "comments", {"item": str(ids.items[0]), "body": "Agreed"})


def _page_proposal(world: World) -> Expect:
    return _page_round_form(world, _round(world, proposals=True), "proposals", {"title": "Bike racks"})


def _page_moderation(world: World) -> Expect:
    ids = _round(world)
    form = {"comment": str(_comment(world, ids)), "reason": "Off topic"}
    expected = _page_round_form(world, ids, "moderation", form)
    return Expect(expected.response, action="consultation-moderation")


def _page_round_item(world: World) -> Expect:
    return _page_round_form(
        world, _round(world, state="draft"), "items", {"kind": "proposal", "title": "Trees"}
    )


def _page_round_open(world: World) -> Expect:
    closes = (datetime.now(UTC) + timedelta(days=7)).isoformat(timespec="minutes")
    return _page_round_form(world, _round(world, state="draft"), "open", {"closes": closes})


def _page_round_close(world: World) -> Expect:
    return _page_round_form(world, _round(world), "close", {})


def _page_round_invite(world: World) -> Expect:
    expected = _page_round_form(world, _round(world), "invitations", {"label": "Tenants", "group": "tenants"})
    return Expect(expected.response, action="consultation-invitation")


#: Who the log names for an invitation link's holder: they have no account, the request is anonymous.
LINK_HOLDER = "anonymous"


def _link_form(
    world: World, path: str, form: Callable[[RoundIds], dict[str, str]], *, proposals: bool = False
) -> Expect:
    """A form of the invitation landing page, posted by the link's holder (no account, no cookie)."""
    ids = _round(world, proposals=proposals)
    response = world.guest().post(
        f"/consultations/invitations/{_link(world, ids.round)}/{path}", data=form(ids), follow_redirects=False
    )
    return Expect(response, actor=LINK_HOLDER)


def _link_ballot(world: World) -> Expect:
    return _link_form(world, "ballot", lambda ids: {f"rank-{ids.items[0]}": "2", f"rank-{ids.items[1]}": "1"})


def _link_comment(world: World) -> Expect:
    return _link_form(world, "comments", lambda ids: {"item": str(ids.items[1]), "body": "Needs light"})


def _link_proposal(world: World) -> Expect:
    return _link_form(world, "proposals", lambda ids: {"title": "Wider paths"}, proposals=True)


#: Every write route: (method, path) -> a valid request that writes, and what it must leave in the log.
WRITES: dict[tuple[str, str], Callable[[World], Expect]] = {
    ("POST", "/cities/{slug}/import"): _page_import,
    ("POST", "/api/cities/{slug}/datasets/{code}/observations"): _api_observations,
    ("POST", "/api/cities/{slug}/datasets/{code}/{action}"): _api_dataset_step,
    ("PUT", "/api/cities/{slug}/catalog/settings"): _api_catalog_settings,
    ("POST", "/api/cities/{slug}/quality/outliers/{flag_id}"): _api_flag,
    ("POST", "/cities/{slug}/quality/outliers/{flag_id}"): _page_flag,
    ("POST", "/api/me/tokens"): _api_issue_token,
    ("DELETE", "/api/me/tokens/{token_id}"): _api_revoke_token,
    ("POST", "/login"): _login,
    ("POST", "/logout"): _logout,
    ("POST", "/account/password"): _change_password,
    ("POST", "/account/tokens"): _page_issue_token,
    ("POST", "/account/tokens/{token_id}/revoke"): _page_revoke_token,
    ("POST", "/api/cities/{slug}/priority-sets"): _api_priority_set,
    ("POST", "/cities/{slug}/priority-sets"): _page_priority_set,
    ("PUT", "/api/cities/{slug}/privacy/rules"): _api_privacy_set,
    ("DELETE", "/api/cities/{slug}/privacy/rules"): _api_privacy_remove,
    ("POST", "/cities/{slug}/privacy/rules"): _page_privacy_set,
    ("POST", "/cities/{slug}/privacy/rules/remove"): _page_privacy_remove,
    ("POST", "/api/cities/{slug}/goals"): _api_goal_add,
    ("DELETE", "/api/cities/{slug}/goals/{goal_id}"): _api_goal_remove,
    ("POST", "/api/cities/{slug}/goals/{goal_id}/measures"): _api_goal_measure,
    ("POST", "/cities/{slug}/goals"): _page_goal_add,
    ("POST", "/api/cities/{slug}/plans"): _api_plan_add,
    ("PATCH", "/api/cities/{slug}/plans/{plan_id}"): _api_plan_update,
    ("DELETE", "/api/cities/{slug}/plans/{plan_id}"): _api_plan_remove,
    ("POST", "/api/cities/{slug}/plans/{plan_id}/objectives"): _api_objective_add,
    ("POST", "/api/cities/{slug}/plans/{plan_id}/risks"): _api_risk_add,
    ("PATCH", "/api/cities/{slug}/plans/objectives/{objective_id}"): _api_objective_update,
    ("DELETE", "/api/cities/{slug}/plans/objectives/{objective_id}"): _api_objective_remove,
    ("POST", "/api/cities/{slug}/plans/objectives/{objective_id}/actions"): _api_action_add,
    ("POST", "/api/cities/{slug}/plans/objectives/{objective_id}/links"): _api_objective_link,
    ("DELETE", "/api/cities/{slug}/plans/objectives/{objective_id}/links"): _api_objective_unlink,
    ("PATCH", "/api/cities/{slug}/plans/actions/{action_id}"): _api_action_update,
    ("DELETE", "/api/cities/{slug}/plans/actions/{action_id}"): _api_action_remove,
    ("POST", "/api/cities/{slug}/plans/actions/{action_id}/status"): _api_action_status,
    ("POST", "/api/cities/{slug}/plans/actions/{action_id}/links"): _api_action_link,
    ("DELETE", "/api/cities/{slug}/plans/actions/{action_id}/links"): _api_action_unlink,
    ("DELETE", "/api/cities/{slug}/plans/risks/{risk_id}"): _api_risk_remove,
    ("POST", "/cities/{slug}/plans"): _page_plan_add,
    ("POST", "/cities/{slug}/plans/{plan_id}/objectives"): _page_objective_add,
    ("POST", "/cities/{slug}/plans/{plan_id}/actions"): _page_action_add,
    ("POST", "/cities/{slug}/plans/{plan_id}/actions/{action_id}/status"): _page_action_status,
    ("POST", "/cities/{slug}/plans/{plan_id}/risks"): _page_risk_add,
    ("POST", "/api/cities/{slug}/consultations"): _api_round_add,
    ("POST", "/api/cities/{slug}/consultations/{round_id}/items"): _api_round_item,
    ("POST", "/api/cities/{slug}/consultations/{round_id}/open"): _api_round_open,
    ("POST", "/api/cities/{slug}/consultations/{round_id}/close"): _api_round_close,
    ("POST", "/api/cities/{slug}/consultations/{round_id}/invitations"): _api_round_invite,
    ("POST", "/api/cities/{slug}/consultations/{round_id}/ballots"): _api_ballot,
    ("POST", "/api/cities/{slug}/consultations/{round_id}/comments"): _api_comment,
    ("POST", "/api/cities/{slug}/consultations/{round_id}/proposals"): _api_proposal,
    (
        "POST",
        "/api/cities/{slug}/consultations/{round_id}/comments/{comment_id}/moderation",
    ): _api_hide_comment,
    ("POST", "/api/cities/{slug}/consultations/{round_id}/items/{item_id}/moderation"): _api_decide_proposal,
    ("POST", "/cities/{slug}/consultations"): _page_round_add,
    ("POST", "/cities/{slug}/consultations/{round_id}/ballot"): _page_ballot,
    ("POST", "/cities/{slug}/consultations/{round_id}/comments"): _page_comment,
    ("POST", "/cities/{slug}/consultations/{round_id}/proposals"): _page_proposal,
    ("POST", "/cities/{slug}/consultations/{round_id}/moderation"): _page_moderation,
    ("POST", "/cities/{slug}/consultations/{round_id}/items"): _page_round_item,
    ("POST", "/cities/{slug}/consultations/{round_id}/open"): _page_round_open,
    ("POST", "/cities/{slug}/consultations/{round_id}/close"): _page_round_close,
    ("POST", "/cities/{slug}/consultations/{round_id}/invitations"): _page_round_invite,
    ("POST", "/consultations/invitations/{token}/ballot"): _link_ballot,
    ("POST", "/consultations/invitations/{token}/comments"): _link_comment,
    ("POST", "/consultations/invitations/{token}/proposals"): _link_proposal,
}

# -- the impact register (issue 14): an intervention on two planning areas of city A from 2022 -------------

INTERVENTIONS = f"/api/cities/{CITY_A}/interventions"


def _intervention(world: World, *, planned: bool = False) -> int:
    """A new intervention of city A through the library (with a DiD plan of the free indicator)."""
    from bettercities.impact import service as impact
    from bettercities.impact.register_schemas import InterventionIn, PlanIn

    with world.workspace.database.session() as session:
        level = areas.get_level(session, areas.get_city(session, CITY_A), "planning_area")
        codes = sorted(areas.area_codes(session, level))[:2]
        item = InterventionIn.model_validate(
            {"name": "Neighbourhood management", "areas": {"kind": "areas", "value": ",".join(codes)},
             "start_period": "2022", "responsible_unit": "Audit office"}
        )  # fmt: skip
        found = impact.add_intervention(session, CITY_A, item, actor="library")
        if planned:
            plan = PlanIn(indicator=FREE, design="did")
            impact.register_plan(session, CITY_A, found, plan, actor="library")
        return found


def _api_intervention_add(world: World) -> Expect:
    body = {"name": "Youth work", "kind": "youth_work",
            "areas": {"kind": "priority_set", "value": PRIORITY_SET},
            "start_period": "2022", "responsible_unit": "Audit office"}  # fmt: skip
    return Expect(world.api.post(INTERVENTIONS, headers=world.bearer(), json=body))


def _api_intervention_remove(world: World) -> Expect:
    return Expect(world.api.delete(f"{INTERVENTIONS}/{_intervention(world)}", headers=world.bearer()))


def _api_intervention_plan(world: World) -> Expect:
    path = f"{INTERVENTIONS}/{_intervention(world)}/plans"
    return Expect(world.api.post(path, headers=world.bearer(), json={"indicator": FREE, "design": "did"}))


def _api_intervention_run(world: World) -> Expect:
    path = f"{INTERVENTIONS}/{_intervention(world, planned=True)}/evaluations"
    return Expect(world.api.post(path, headers=world.bearer(), json={}))


def _page_intervention_add(world: World) -> Expect:
    form = {"csrf_token": world.csrf(), "name": "Youth work (page)", "kind": "youth_work",
            "priority_set": PRIORITY_SET, "start_period": "2022",
            "responsible_unit": "Audit office"}  # fmt: skip
    return Expect(world.page.post(f"/cities/{CITY_A}/interventions", data=form, follow_redirects=False))


def _page_intervention_plan(world: World) -> Expect:
    form = {"csrf_token": world.csrf(), "indicator": FREE, "design": "did"}
    path = f"/cities/{CITY_A}/interventions/{_intervention(world)}/plans"
    return Expect(world.page.post(path, data=form, follow_redirects=False))


def _page_intervention_run(world: World) -> Expect:
    path = f"/cities/{CITY_A}/interventions/{_intervention(world, planned=True)}/evaluations"
    return Expect(world.page.post(path, data={"csrf_token": world.csrf()}, follow_redirects=False))


WRITES.update(
    {
        ("POST", "/api/cities/{slug}/interventions"): _api_intervention_add,
        ("DELETE", "/api/cities/{slug}/interventions/{intervention_id}"): _api_intervention_remove,
        ("POST", "/api/cities/{slug}/interventions/{intervention_id}/plans"): _api_intervention_plan,
        ("POST", "/api/cities/{slug}/interventions/{intervention_id}/evaluations"): _api_intervention_run,
        ("POST", "/cities/{slug}/interventions"): _page_intervention_add,
        ("POST", "/cities/{slug}/interventions/{intervention_id}/plans"): _page_intervention_plan,
        ("POST", "/cities/{slug}/interventions/{intervention_id}/evaluations"): _page_intervention_run,
    }
)

_NETWORKS = iter(range(1, 10_000))


def _network(world: World, *, member: bool = True) -> tuple[str, int]:
    """A new network with city A as a member (its membership id, else 0), coordinated by the admin."""
    from bettercities import access as accounts
    from bettercities import networks

    slug = f"audit-net-{next(_NETWORKS)}"
    with world.workspace.database.session() as session:
        networks.create_network(session, slug, name_de=slug, name_en=slug)
        accounts.grant_network(session, ADMIN, slug, "coordinator")
        membership = (
            networks.add_membership(session, slug, networks.MemberIn(city=CITY_A, start=date(2023, 1, 1))).id
            if member
            else 0
        )
    return slug, membership


def _api_member_add(world: World) -> Expect:
    slug, _ = _network(world, member=False)
    body = {"city": CITY_A, "role": "partner", "start": "2024-01-01"}
    return Expect(world.api.post(f"/api/networks/{slug}/members", headers=world.bearer(), json=body))


def _api_member_change(world: World) -> Expect:
    slug, membership = _network(world)
    body = {"role": "lead partner", "reason": "elected lead"}
    path = f"/api/networks/{slug}/members/{membership}"
    return Expect(world.api.patch(path, headers=world.bearer(), json=body))


def _api_member_end(world: World) -> Expect:
    slug, membership = _network(world)
    body = {"end": "2024-06-30", "reason": "left"}
    path = f"/api/networks/{slug}/members/{membership}/end"
    return Expect(world.api.post(path, headers=world.bearer(), json=body))


def _page_member_add(world: World) -> Expect:
    slug, _ = _network(world, member=False)
    form = {"csrf_token": world.csrf(), "city": CITY_A, "role": "partner", "start": "2024-01-01"}
    return Expect(world.page.post(f"/networks/{slug}/members", data=form, follow_redirects=False))


def _page_member_change(world: World) -> Expect:
    slug, membership = _network(world)
    form = {"csrf_token": world.csrf(), "role": "observer", "reason": "observer from now on"}
    path = f"/networks/{slug}/members/{membership}/change"
    return Expect(world.page.post(path, data=form, follow_redirects=False))


def _page_member_end(world: World) -> Expect:
    slug, membership = _network(world)
    form = {"csrf_token": world.csrf(), "end": "2024-06-30", "reason": "left"}
    path = f"/networks/{slug}/members/{membership}/end"
    return Expect(world.page.post(path, data=form, follow_redirects=False))


WRITES.update(
    {
        ("POST", "/api/networks/{slug}/members"): _api_member_add,
        ("PATCH", "/api/networks/{slug}/members/{membership_id}"): _api_member_change,
        ("POST", "/api/networks/{slug}/members/{membership_id}/end"): _api_member_end,
        ("POST", "/networks/{slug}/members"): _page_member_add,
        ("POST", "/networks/{slug}/members/{membership_id}/change"): _page_member_change,
        ("POST", "/networks/{slug}/members/{membership_id}/end"): _page_member_end,
    }
)

_PROGRAMMES = iter(range(1, 10_000))


def _logic(world: World) -> str:
    """A new programme whose network the admin coordinates, with impact-logic boxes ``a`` (inputs) and ``b``
    (outputs) and a manual measure ``m`` of ``b``; its slug."""
    from bettercities import access as accounts
    from bettercities import networks
    from bettercities.impact_logic import service as logic
    from bettercities.impact_logic.schemas import BoxIn, MeasureIn
    from bettercities.networks.schemas import ProgrammeIn

    slug = f"audit-programme-{next(_PROGRAMMES)}"
    with world.workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=slug, name=slug))
        networks.create_network(session, f"{slug}-net", name_de=slug, name_en=slug, programme=slug)
        accounts.grant_network(session, ADMIN, f"{slug}-net", "coordinator")
        logic.add_box(session, slug, BoxIn(key="a", stage="inputs", title_de="A", title_en="A"))
        logic.add_box(session, slug, BoxIn(key="b", stage="outputs", title_de="B", title_en="B"))
        logic.add_measure(session, slug, MeasureIn(key="m", box="b", label_de="M", label_en="M"))
    return slug


def _logic_api(world: World, method: str, path: str, **kwargs: object) -> Expect:
    """An API write on a new programme's impact logic (``path`` after ``…/impact-logic``)."""
    url = f"/api/programmes/{_logic(world)}/impact-logic{path}"
    return Expect(world.api.request(method, url, headers=world.bearer(), **kwargs))  # type: ignore[arg-type]


def _logic_page(world: World, path: str, form: dict[str, str]) -> Expect:
    url = f"/programmes/{_logic(world)}/impact-logic{path}"
    return Expect(world.page.post(url, data={"csrf_token": world.csrf(), **form}, follow_redirects=False))


def _api_logic_unlink(world: World) -> Expect:
    slug = _logic(world)
    world.api.post(f"/api/programmes/{slug}/impact-logic/links", headers=world.bearer(),
                   json={"source": "a", "target": "b"})  # fmt: skip
    url = f"/api/programmes/{slug}/impact-logic/links"
    return Expect(world.api.delete(url, headers=world.bearer(), params={"source": "a", "target": "b"}))


_LOGIC = "/api/programmes/{slug}/impact-logic"
WRITES.update(
    {
        ("POST", f"{_LOGIC}/boxes"): lambda w: _logic_api(
            w, "POST", "/boxes", json={"key": "c", "stage": "impact", "title_de": "C", "title_en": "C"}
        ),
        ("PATCH", f"{_LOGIC}/boxes/{{key}}"): lambda w: _logic_api(
            w, "PATCH", "/boxes/a", json={"title_en": "Z"}
        ),
        ("DELETE", f"{_LOGIC}/boxes/{{key}}"): lambda w: _logic_api(w, "DELETE", "/boxes/b"),
        ("POST", f"{_LOGIC}/links"): lambda w: _logic_api(
            w, "POST", "/links", json={"source": "a", "target": "b"}
        ),
        ("DELETE", f"{_LOGIC}/links"): _api_logic_unlink,
        ("POST", f"{_LOGIC}/measures"): lambda w: _logic_api(
            w, "POST", "/measures", json={"key": "t", "box": "b", "code": "tandems_formed"}
        ),
        ("PATCH", f"{_LOGIC}/measures/{{key}}"): lambda w: _logic_api(
            w, "PATCH", "/measures/m", json={"target": 6}
        ),
        ("DELETE", f"{_LOGIC}/measures/{{key}}"): lambda w: _logic_api(w, "DELETE", "/measures/m"),
        ("POST", f"{_LOGIC}/measures/{{key}}/values"): lambda w: _logic_api(
            w, "POST", "/measures/m/values", json={"day": "2024-01-01", "value": 3, "source": "report"}
        ),
        ("POST", "/programmes/{slug}/impact-logic/boxes"): lambda w: _logic_page(
            w, "/boxes", {"key": "c", "stage": "impact", "title_de": "C", "title_en": "C"}
        ),
        ("POST", "/programmes/{slug}/impact-logic/links"): lambda w: _logic_page(
            w, "/links", {"source": "a", "target": "b"}
        ),
        ("POST", "/programmes/{slug}/impact-logic/measures"): lambda w: _logic_page(
            w, "/measures", {"key": "t", "box": "b", "code": "tandems_formed"}
        ),
        ("POST", "/programmes/{slug}/impact-logic/measures/{key}/values"): lambda w: _logic_page(
            w, "/measures/m/values", {"day": "2024-01-01", "value": "3", "source": "report"}
        ),
    }
)

_HUB = iter(range(1, 10_000))


def _hub_programme(world: World) -> str:
    """A new programme whose network the admin coordinates (hub entries of the programme are theirs)."""
    from bettercities import access as accounts
    from bettercities import networks
    from bettercities.networks.schemas import ProgrammeIn

    slug = f"audit-hub-{next(_HUB)}"
    with world.workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=slug, name=slug))
        networks.create_network(session, f"{slug}-net", name_de=slug, name_en=slug, programme=slug)
        accounts.grant_network(session, ADMIN, f"{slug}-net", "coordinator")
    return slug


def _api_hub_add(world: World, kind: str) -> Expect:
    programme = _hub_programme(world)
    body: dict[str, object] = {"slug": f"{programme}-{kind}", "title": "T", "programme": programme}
    if kind == "practice":
        body.update({"summary": "S", "city": CITY_A})
    else:
        body.update({"held_on": "2026-01-15", "topic": "T"})
    return Expect(world.api.post(f"/api/hub/{kind}s", headers=world.bearer(), json=body))


def _api_hub_remove(world: World, kind: str) -> Expect:
    from bettercities.hub import service as hub
    from bettercities.hub.schemas import EventIn, PracticeIn

    programme = _hub_programme(world)
    slug = f"{programme}-{kind}"
    with world.workspace.database.session() as session:
        if kind == "practice":
            spec = PracticeIn(slug=slug, title="T", programme=programme, city=CITY_A, summary="S")
            hub.add_practice(session, spec, by="t")
        else:
            event = EventIn(slug=slug, title="T", programme=programme, held_on=date(2026, 1, 15), topic="T")
            hub.add_event(session, event, by="t")
    return Expect(world.api.delete(f"/api/hub/{kind}s/{slug}", headers=world.bearer()))


WRITES.update(
    {
        ("POST", "/api/hub/practices"): lambda w: _api_hub_add(w, "practice"),
        ("POST", "/api/hub/events"): lambda w: _api_hub_add(w, "event"),
        ("DELETE", "/api/hub/practices/{slug}"): lambda w: _api_hub_remove(w, "practice"),
        ("DELETE", "/api/hub/events/{slug}"): lambda w: _api_hub_remove(w, "event"),
    }
)

# -- calls for participation and tandems (issue 16): the admin coordinates the programme's network and, as
# city A's admin, speaks for city A ---------------------------------------------------------------------

_CALLS = iter(range(1, 10_000))


def _call_world(world: World, *, opened: bool = True) -> tuple[str, str]:
    """A new programme whose network the admin coordinates, with a call around now; programme, call."""
    from bettercities import access as accounts
    from bettercities import networks
    from bettercities.calls import service as calls
    from bettercities.calls.schemas import CallIn, Criterion
    from bettercities.networks.schemas import ProgrammeIn

    n = next(_CALLS)
    programme, call = f"audit-calls-{n}", f"audit-call-{n}"
    now = datetime.now(UTC)
    with world.workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=programme, name=programme))
        networks.create_network(session, f"{programme}-net", name_de="N", name_en="N", programme=programme)
        accounts.grant_network(session, ADMIN, f"{programme}-net", "coordinator")
        spec = CallIn(
            slug=call, programme=programme, title_de="Aufruf", title_en="Call", time_zone="Europe/Berlin",
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1),
            criteria=[Criterion(code="relevance", label_de="Relevanz", label_en="Relevance", weight=1)],
        )  # fmt: skip
        calls.create_call(session, spec, by="test")
        if opened:
            calls.open_call(session, call, by="test")
    return programme, call


def _call_application(
    world: World, *steps: str, city: str = CITY_A, call: str | None = None
) -> tuple[str, int]:
    from bettercities.calls import service as calls
    from bettercities.calls.schemas import ApplicationIn

    call = call or _call_world(world)[1]
    with world.workspace.database.session() as session:
        application = calls.apply(
            session, call, ApplicationIn(city=city, submit=not steps or steps[0] != "draft"), by="test"
        ).id
        for step in steps:
            if step != "draft":
                calls.set_status(session, application, step, by="test")
    return call, application


def _call_tandem(world: World) -> tuple[str, str, list[int]]:
    """A programme and call with selected applications of cities A and B; programme, call, their ids."""
    programme, call = _call_world(world)
    ids = [
        _call_application(world, "eligible", "shortlisted", "selected", city=c, call=call)[1]
        for c in (CITY_A, CITY_B)
    ]
    return programme, call, ids


def _tandem_slug(world: World) -> str:
    from bettercities.tandems import service as tandems

    programme, _, ids = _call_tandem(world)
    with world.workspace.database.session() as session:
        return tandems.form_tandem(session, programme, ids, name=f"Audit tandem {ids[0]}", by="test").slug


def _tandem_goal(world: World) -> tuple[str, int]:
    return _tandem_slug(world), _goal(world)


def _page_post(world: World, path: str, form: dict[str, object]) -> Expect:
    return Expect(world.page.post(path, data={"csrf_token": world.csrf(), **form}, follow_redirects=False))


def _api_post(world: World, path: str, body: dict[str, object], action: str | None = None) -> Expect:
    return Expect(world.api.post(path, headers=world.bearer(), json=body), action=action)


WRITES.update(
    {
        ("POST", "/api/calls"): lambda w: _api_post(
            w,
            "/api/calls",
            {
                "slug": f"audit-new-call-{next(_CALLS)}",
                "programme": _call_world(w)[0],
                "title_de": "A",
                "title_en": "A",
                "opens_at": "2026-01-01T00:00",
                "closes_at": "2099-01-01T00:00",
                "time_zone": "Europe/Berlin",
            },
        ),
        ("POST", "/api/calls/{call}/open"): lambda w: _api_post(
            w, f"/api/calls/{_call_world(w, opened=False)[1]}/open", {}, "call-open"
        ),
        ("POST", "/api/calls/{call}/close"): lambda w: _api_post(
            w, f"/api/calls/{_call_world(w)[1]}/close", {}, "call-closed"
        ),
        ("POST", "/api/calls/{call}/applications"): lambda w: _api_post(
            w, f"/api/calls/{_call_world(w)[1]}/applications", {"city": CITY_A}, "application-status"
        ),
        ("POST", "/api/applications/{application_id}/submit"): lambda w: _api_post(
            w, f"/api/applications/{_call_application(w, 'draft')[1]}/submit", {}, "application-status"
        ),
        ("POST", "/api/applications/{application_id}/status"): lambda w: _api_post(
            w,
            f"/api/applications/{_call_application(w)[1]}/status",
            {"status": "eligible"},
            "application-status",
        ),
        ("POST", "/api/applications/{application_id}/scores"): lambda w: _api_post(
            w,
            f"/api/applications/{_call_application(w, 'eligible')[1]}/scores",
            {"values": {"relevance": 3}},
            "application-scored",
        ),
        ("POST", "/api/tandems"): lambda w: (
            lambda t: _api_post(
                w,
                "/api/tandems",
                {"programme": t[0], "applications": t[2], "name": f"T {t[2][0]}"},
                "tandem-formed",
            )
        )(_call_tandem(w)),
        ("POST", "/api/tandems/{slug}/stages"): lambda w: _api_post(
            w, f"/api/tandems/{_tandem_slug(w)}/stages", {"stage": "kick-off", "on": "2026-01-10"}
        ),
        ("POST", "/api/tandems/{slug}/activities"): lambda w: _api_post(
            w,
            f"/api/tandems/{_tandem_slug(w)}/activities",
            {"kind": "workshop", "title": "W", "starts_on": "2026-02-10"},
        ),
        ("POST", "/api/tandems/{slug}/documents"): lambda w: _api_post(
            w, f"/api/tandems/{_tandem_slug(w)}/documents", {"title": "D", "url": "https://example.org/d.pdf"}
        ),
        ("POST", "/api/tandems/{slug}/outputs"): lambda w: _api_post(
            w, f"/api/tandems/{_tandem_slug(w)}/outputs", {"title": "Plan", "drafted_on": "2026-03-01"}
        ),
        ("POST", "/api/tandems/{slug}/goals"): lambda w: (
            lambda t: _api_post(w, f"/api/tandems/{t[0]}/goals", {"goal": t[1]})
        )(_tandem_goal(w)),
        ("POST", "/calls/{call}/apply"): lambda w: Expect(
            _page_post(w, f"/calls/{_call_world(w)[1]}/apply", {"city": CITY_A}).response,
            action="application-status",
        ),
        ("POST", "/calls/{call}/applications/{application_id}/status"): lambda w: (
            lambda a: _page_post(w, f"/calls/{a[0]}/applications/{a[1]}/status", {"status": "eligible"})
        )(_call_application(w)),
        ("POST", "/calls/{call}/applications/{application_id}/score"): lambda w: (
            lambda a: _page_post(w, f"/calls/{a[0]}/applications/{a[1]}/score", {"criterion_relevance": "4"})
        )(_call_application(w, "eligible")),
        ("POST", "/calls/{call}/tandems"): lambda w: (
            lambda t: _page_post(
                w, f"/calls/{t[1]}/tandems", {"application": t[2], "name": f"Page {t[2][0]}"}
            )
        )(_call_tandem(w)),
        ("POST", "/tandems/{slug}/stages"): lambda w: _page_post(
            w, f"/tandems/{_tandem_slug(w)}/stages", {"stage": "kick-off", "on": "2026-01-10"}
        ),
        ("POST", "/tandems/{slug}/activities"): lambda w: _page_post(
            w,
            f"/tandems/{_tandem_slug(w)}/activities",
            {"kind": "visit", "title": "V", "starts_on": "2026-02-10"},
        ),
        ("POST", "/tandems/{slug}/documents"): lambda w: _page_post(
            w, f"/tandems/{_tandem_slug(w)}/documents", {"title": "D", "file_ref": "uploads/d.pdf"}
        ),
        ("POST", "/tandems/{slug}/outputs"): lambda w: _page_post(
            w, f"/tandems/{_tandem_slug(w)}/outputs", {"title": "Plan", "drafted_on": "2026-03-01"}
        ),
        ("POST", "/tandems/{slug}/goals"): lambda w: (
            lambda t: _page_post(w, f"/tandems/{t[0]}/goals", {"goal": str(t[1])})
        )(_tandem_goal(w)),
    }
)


#: POST routes that change nothing, and why.
NOT_WRITING: dict[tuple[str, str], str] = {
    ("POST", "/api/cities/{slug}/priority"): "evaluates a rule sent in the body; stores nothing (GET-like)",
}


def write_routes(app: object) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        for method in (context.methods or set()) & WRITE_METHODS:
            assert context.path is not None
            found.add((method, context.path))
    return found


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workspace, _ = two_cities_workspace(request, tmp_path_factory.mktemp("audit-routes"))
    add_user(workspace, ADMIN, {CITY_A: "city_admin"})
    add_user(workspace, "viewer-a", {CITY_A: "viewer"})
    add_user(workspace, "admin-b", {CITY_B: "city_admin"})
    token = issue_token(workspace, ADMIN, write=True)
    app = create_app(workspace, settings=Settings(default_language="en", page_size=20, max_page_size=50))
    with TestClient(app) as page, TestClient(app) as api:
        sign_in(page, ADMIN)
        yield World(workspace, app, page, api, token)
    workspace.close()


def last_id(workspace: Workspace) -> int:
    with workspace.database.reader() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def entries_after(workspace: Workspace, after: int) -> list[AuditEntryOut]:
    """The entries with an id above ``after``, in the log's order (selected by the database: the module's log
    grows to thousands of entries, which every test read whole)."""
    with workspace.database.reader() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.at, AuditEntry.id)
        )
        return [AuditEntryOut.model_validate(row) for row in rows]


# -- every write route leaves an entry -------------------------------------------------------------------


def test_every_write_route_is_listed(world: World) -> None:
    routes = write_routes(world.app)
    missing = sorted(routes - WRITES.keys() - NOT_WRITING.keys())
    assert not missing, f"write routes without an audit check (add them to WRITES or NOT_WRITING): {missing}"
    stale = sorted((WRITES.keys() | NOT_WRITING.keys()) - routes)
    assert not stale, f"listed routes the app does not have: {stale}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``route`` runs over every entry of :data:`WRITES`, also those a later block of this module adds (a
    ``parametrize`` decorator would read the table as it stood at its line)."""
    if "route" in metafunc.fixturenames:
        metafunc.parametrize("route", sorted(WRITES), ids=lambda r: f"{r[0]} {r[1]}")


def test_a_write_leaves_an_entry_naming_the_user(world: World, route: tuple[str, str]) -> None:
    before = last_id(world.workspace)
    expected = WRITES[route](world)
    assert expected.response.status_code < 400, expected.response.text[:500]
    new = entries_after(world.workspace, before)
    mine = [e for e in new if e.actor == expected.actor]
    assert mine, (
        f"{route}: no audit entry by {expected.actor}; new entries: {[(e.actor, e.action) for e in new]}"
    )
    if expected.action is not None:
        assert expected.action in {e.action for e in mine}, [e.action for e in mine]
    if (
        "{slug}" in route[1] or route[1].startswith("/consultations/invitations/")
    ) and route not in CITYLESS_WRITES:
        # a write to a city's data is in that city's log (its admins read /cities/{slug}/audit), also when
        # the row has no city of its own (a ballot, a vote, a goal's measure value: through its parent)
        elsewhere = [(e.action, e.entity, e.city) for e in mine if e.city != CITY_A]
        assert not elsewhere, f"{route}: entries not in {CITY_A}'s log: {elsewhere}"


def test_a_failed_sign_in_is_recorded(world: World) -> None:
    before = last_id(world.workspace)
    with TestClient(world.app) as fresh:  # type: ignore[arg-type]
        form = fresh.get("/login")
        response = fresh.post(
            "/login", data={"username": ADMIN, "password": "wrong", "csrf_token": csrf_of(form.text)}
        )
    assert response.status_code == 401
    failed = [e for e in entries_after(world.workspace, before) if e.action == "login-failed"]
    assert len(failed) == 1 and failed[0].entity_key == ADMIN
    assert "wrong" not in str(failed[0].model_dump())  # the password is never logged


def test_a_password_typed_as_the_user_name_is_not_logged(world: World) -> None:
    """An unknown name (often a password typed into the wrong field) is logged as a hash prefix only."""
    typed = "Correct-Horse-Battery-42"
    before = last_id(world.workspace)
    with TestClient(world.app) as fresh:  # type: ignore[arg-type]
        for _ in range(2):
            form = fresh.get("/login")
            fresh.post("/login", data={"username": typed, "password": "x", "csrf_token": csrf_of(form.text)})
    failed = [e for e in entries_after(world.workspace, before) if e.action == "login-failed"]
    assert len(failed) == 2
    dumped = str([e.model_dump() for e in failed]).lower()
    assert typed.lower() not in dumped and "correct-horse" not in dumped
    assert failed[0].entity_key == failed[1].entity_key  # the same name, recognisable as the same
    assert failed[0].entity_key is not None and failed[0].entity_key.startswith("unknown user name #")


def test_a_refused_write_changes_nothing(world: World) -> None:
    """A viewer's write is refused before it reaches the data (nothing to audit but nothing written)."""
    with TestClient(world.app) as viewer:  # type: ignore[arg-type]
        sign_in(viewer, "viewer-a")
        before = last_id(world.workspace)
        response = viewer.post(
            f"/cities/{CITY_A}/quality/outliers/{world.open_flag()}",
            data={"csrf_token": world.csrf(viewer), "action": "accept"},
            follow_redirects=False,
        )
    assert response.status_code == 403
    assert [e.actor for e in entries_after(world.workspace, before)] == ["library"]  # open_flag's insert


def test_a_cli_write_leaves_an_entry(world: World) -> None:
    before = last_id(world.workspace)
    where = ["--workspace", str(world.workspace.path)]
    if world.workspace.database_url:
        where += ["--database-url", world.workspace.database_url]
    grant = ["users", "grant", "viewer-a", "--city", CITY_B, "--role", "analyst"]
    result = CliRunner().invoke(cli_app, [*grant, *where])
    assert result.exit_code == 0, result.output
    new = entries_after(world.workspace, before)
    assert any(
        e.via == "cli" and e.actor.startswith("cli:") and e.entity == "city_membership" for e in new
    ), [(e.actor, e.via, e.entity) for e in new]


# -- the audit log's pages and API -----------------------------------------------------------------------


def test_city_admins_read_their_city_s_log(world: World) -> None:
    WRITES[("POST", "/api/cities/{slug}/quality/outliers/{flag_id}")](world)  # at least one entry by ADMIN
    listed = world.page.get(f"/api/cities/{CITY_A}/audit", params={"actor": ADMIN, "page_size": 5}).json()
    assert listed["total"] >= 1 and listed["page_size"] == 5
    assert {e["actor"] for e in listed["items"]} == {ADMIN} and {e["city"] for e in listed["items"]} == {
        CITY_A
    }
    everything = world.page.get(f"/api/cities/{CITY_A}/audit", params={"page_size": 50}).json()
    assert CITY_B not in {e["city"] for e in everything["items"]}
    twin = world.page.get(f"/cities/{CITY_A}/audit.json", params={"actor": ADMIN, "page_size": 5}).json()
    assert twin["items"] == listed["items"]
    page = world.page.get(f"/cities/{CITY_A}/audit", params={"lang": "de"})
    assert page.status_code == 200 and "Änderungsprotokoll" in page.text
    assert f'id="entry-{listed["items"][0]["id"]}"' in world.page.get(f"/cities/{CITY_A}/audit").text
    assert "Audit log" in world.page.get(f"/cities/{CITY_A}/audit", params={"lang": "en"}).text


def test_the_csv_export_holds_the_selected_entries(world: World) -> None:
    response = world.page.get(f"/api/cities/{CITY_A}/audit.csv", params={"actor": ADMIN})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f'filename="audit-{CITY_A}.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["actor"] for r in rows} == {ADMIN} and {r["city"] for r in rows} == {CITY_A}
    assert list(rows[0]) == list(audit.COLUMNS)


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("viewer-a", 403), ("admin-b", 403), ("read token", 403)]
)
def test_only_the_city_s_admins_read_its_log(world: World, who: str, status: int) -> None:
    with TestClient(world.app) as client:  # type: ignore[arg-type]
        headers = {}
        if who == "read token":
            headers = {"Authorization": f"Bearer {issue_token(world.workspace, ADMIN, write=False)}"}
        elif who != "anonymous":
            sign_in(client, who)
        for path in (
            "/api/cities/{}/audit",
            "/api/cities/{}/audit.csv",
            "/cities/{}/audit",
            "/cities/{}/audit.json",
        ):
            response = client.get(path.format(CITY_A), headers=headers)
            assert response.status_code == status, (who, path, response.status_code)
            assert ADMIN not in response.text or who == "read token"


def test_no_route_changes_the_log(world: World) -> None:
    for context in iter_route_contexts(world.app.routes):  # type: ignore[attr-defined]
        if context.path and "audit" in context.path:
            assert context.methods is not None and context.methods <= {"GET", "HEAD"}, context.path


def test_a_new_write_route_is_noticed(sqlite_workspace: Workspace) -> None:
    # an empty workspace: a copy of the process's initialised template (tests/conftest.py), not a new one
    # migrated from scratch
    app = create_app(sqlite_workspace)

    @app.put("/cities/{slug}/novelty")
    def novelty(slug: str) -> dict[str, str]:
        return {"slug": slug}

    assert write_routes(app) - WRITES.keys() - NOT_WRITING.keys() == {("PUT", "/cities/{slug}/novelty")}


# -- surveys (issue 16) ------------------------------------------------------------------------------------

_SURVEYS = iter(range(1, 10_000))
SURVEY_ANSWERS = {"topics": "labour", "small_area": "no", "sources": "open_data", "staff": "3",
                  "priorities": "never", "goals": "no", "measures_impact": "no"}  # fmt: skip


def _survey(world: World, *, status: str = "open") -> str:
    """A new practice survey of a new programme whose network the admin coordinates, in ``status``."""
    from bettercities import access as accounts
    from bettercities import networks
    from bettercities.networks.schemas import ProgrammeIn
    from bettercities.surveys import service as surveys
    from bettercities.surveys.practice import shipped_path
    from bettercities.surveys.schemas import SurveyStatus

    n = next(_SURVEYS)
    slug, programme = f"audit-survey-{n}", f"audit-survey-prog-{n}"
    with world.workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=programme, name=programme))
        networks.create_network(session, f"{programme}-net", name_de="N", name_en="N", programme=programme)
        accounts.grant_network(session, ADMIN, f"{programme}-net", "coordinator")
        surveys.load_survey(session, shipped_path(), slug=slug, programme_slug=programme, by="test")
        if status != "draft":
            surveys.set_status(session, slug, SurveyStatus(status))
    return slug


def _api_survey_respond(world: World) -> Expect:
    path = f"/api/surveys/{_survey(world)}/responses/{CITY_A}"
    return Expect(world.api.put(path, headers=world.bearer(), json={"answers": SURVEY_ANSWERS}))


def _api_survey_status(world: World) -> Expect:
    path = f"/api/surveys/{_survey(world, status='draft')}/status"
    return Expect(world.api.post(path, headers=world.bearer(), json={"status": "open"}))


def _page_survey_respond(world: World) -> Expect:
    form = {"csrf_token": world.csrf(), "action": "save", **SURVEY_ANSWERS}
    path = f"/surveys/{_survey(world)}/respond?city={CITY_A}"
    return Expect(world.page.post(path, data=form, follow_redirects=False))


def _page_survey_status(world: World) -> Expect:
    form = {"csrf_token": world.csrf(), "status": "closed"}
    return Expect(world.page.post(f"/surveys/{_survey(world)}/status", data=form, follow_redirects=False))


WRITES.update(
    {
        ("PUT", "/api/surveys/{slug}/responses/{city}"): _api_survey_respond,
        ("POST", "/api/surveys/{slug}/status"): _api_survey_status,
        ("POST", "/surveys/{slug}/respond"): _page_survey_respond,
        ("POST", "/surveys/{slug}/status"): _page_survey_status,
    }
)
NOT_WRITING[("POST", "/surveys/{slug}/respond/shown")] = (
    "answers which questions apply to the posted answers (the form's script); stores nothing"
)
#: a survey's slug is no city's: opening or closing a survey is a write of no city (its response routes name
#: the municipality, in whose log they are)
CITYLESS_WRITES: set[tuple[str, str]] = {
    ("DELETE", "/api/hub/events/{slug}"),  # an event is a programme's or network's, no city's
    ("POST", "/api/surveys/{slug}/status"),
    ("POST", "/surveys/{slug}/status"),
}
# a tandem's {slug} is its network's, no city's (issue 16)
CITYLESS_WRITES |= {route for route in WRITES if route[1].startswith(("/tandems/", "/api/tandems/"))}
# a programme's impact logic belongs to no city: its {slug} is the programme's (issue 16)
CITYLESS_WRITES |= {route for route in WRITES if "/impact-logic" in route[1]}
