"""The pages and the JSON API of consultation rounds on SQLite (rendering, forms without JavaScript, CSRF,
invitation links, results after closing, CSV download) and the CLI's round trip."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bettercities.cli.main import app as cli_app
from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.consultations.world import SET, World, build_world, open_round
from tests.web.conftest import sign_in

SETTINGS = Settings(default_language="de", page_size=50, max_page_size=5)


@dataclass
class Site:
    world: World
    app: object


@dataclass
class Round:
    """A round of its own for each test (tests do not depend on each other's votes)."""

    site: Site
    app: object
    round_id: int
    items: list[int]
    world: World


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    ws = Workspace.init(tmp_path_factory.mktemp("consultations-web") / "workspace")
    yield Site(build_world(ws), create_app(ws, settings=SETTINGS))
    ws.close()


@pytest.fixture
def site(built: Site) -> Round:
    round_id, items = open_round(built.world.workspace, proposals=True)
    return Round(built, built.app, round_id, items, built.world)


def _client_of(built: Site) -> TestClient:
    return TestClient(built.app)  # type: ignore[arg-type]


def _client(site: Round, user: str | None = None) -> TestClient:
    client = TestClient(site.app)  # type: ignore[arg-type]
    if user:
        sign_in(client, user)
    return client


def _link(site: Round, steward: TestClient, label: str, group: str | None = None) -> str:
    answer = steward.post(
        f"/api/cities/testville/consultations/{site.round_id}/invitations",
        json={"label": label, "group": group},
    )
    assert answer.status_code == 201, answer.text
    path = answer.json()["path"]
    assert answer.json()["token"] in path and answer.json()["info"]["used"] is False
    return str(path)


def test_the_round_page_shows_items_beside_their_data_and_asks_to_sign_in(site: Round) -> None:
    client = _client(site)
    listing = client.get("/cities/testville/consultations?lang=en")
    assert listing.status_code == 200 and f'data-round="{site.round_id}"' in listing.text
    page = client.get(f"/cities/testville/consultations/{site.round_id}?lang=en")
    assert page.status_code == 200
    assert 'id="ballot-form"' not in page.text and "Sign in" in page.text
    for item in site.items:
        assert f'data-context="{item}"' in page.text  # the area's latest values beside the item
    assert "Unemployment" in page.text or "Inhabitants" in page.text
    twin = client.get(f"/cities/testville/consultations/{site.round_id}.json").json()
    assert [i["key"] for i in twin["items"]] == [f"{SET}/0104", f"{SET}/0201", f"{SET}/0202"]
    assert twin["ballots"] is None  # not before closing, for the public
    german = client.get(f"/cities/testville/consultations/{site.round_id}?lang=de")
    assert "Anmelden" in german.text and "Rangfolge (Borda-Zählung)" in german.text


def test_a_goal_item_shows_the_goal_status_beside_it(built: Site) -> None:
    from datetime import UTC, date, datetime, timedelta

    from bettercities.consultations import service
    from bettercities.consultations.schemas import ItemIn, ItemKind, RoundIn
    from bettercities.goals import service as goals
    from bettercities.goals.schemas import AreaSelection, GoalIn

    ws = built.world.workspace
    with ws.database.session() as session:
        goal = goals.add_goal(
            session, "testville",
            GoalIn(title="Mehr Grün", indicator="green_space", target_change=1.0, deadline=date(2030, 12, 31),
                   owner_unit="Grünflächenamt", areas=AreaSelection(kind="priority_set", value=SET)),
            actor="stew",
        )  # fmt: skip
        row = service.add_round(session, "testville", RoundIn(title="Ziele", question="Welches zuerst?"))
        service.add_item(session, "testville", row.id, ItemIn(kind=ItemKind.GOAL, key=str(goal.id)))
        service.add_item(session, "testville", row.id, ItemIn(kind=ItemKind.PROPOSAL, title="Etwas anderes"))
        service.open_round(session, "testville", row.id, closes_at=datetime.now(UTC) + timedelta(days=1))
        round_id = row.id
    page = _client_of(built).get(f"/cities/testville/consultations/{round_id}?lang=en").text
    assert f'data-goal-status="{goal.status.value}"' in page and f"/cities/testville/goals/{goal.id}" in page


def test_an_invitation_link_votes_once_and_comments_without_an_account(site: Round) -> None:
    steward = _client(site, "stew")
    path = _link(site, steward, "Jugendhilfeträger Nord", "Jugendhilfe")
    guest = _client(site)
    landing = guest.get(f"{path}?lang=en")
    assert landing.status_code == 200 and "Jugendhilfeträger Nord" in landing.text
    assert landing.headers["Referrer-Policy"] == "no-referrer" and 'id="ballot-form"' in landing.text
    for item in site.items:
        assert f'name="rank-{item}"' in landing.text
    a, b, c = site.items
    duplicate = guest.post(
        f"{path}/ballot?lang=en", data={f"rank-{a}": "1", f"rank-{b}": "1", f"rank-{c}": "2"}
    )
    assert duplicate.status_code == 422 and "given more than once" in duplicate.text
    cast = guest.post(f"{path}/ballot?lang=en", data={f"rank-{a}": "2", f"rank-{b}": "1", f"rank-{c}": "3"},
                      follow_redirects=False)  # fmt: skip
    assert cast.status_code == 303 and cast.headers["location"].startswith(path)
    again = guest.post(f"{path}/ballot?lang=en", data={f"rank-{a}": "1", f"rank-{b}": "2", f"rank-{c}": "3"})
    assert again.status_code == 409 and "has been used to vote already" in again.text
    assert 'id="already-voted"' in guest.get(f"{path}?lang=en").text
    too_long = guest.post(f"{path}/comments?lang=en", data={"item": str(a), "body": "x" * 2001})
    assert too_long.status_code == 422 and "at most 2000" in too_long.text
    control = guest.post(f"{path}/comments?lang=en", data={"item": str(a), "body": "bad\x1bescape"})
    assert control.status_code == 422 and "control character" in control.text
    said = guest.post(f"{path}/comments?lang=en", data={"item": str(a), "body": "Mehr Licht im Park"},
                      follow_redirects=False)  # fmt: skip
    assert said.status_code == 303
    assert "Mehr Licht im Park" in _client(site).get(f"/cities/testville/consultations/{site.round_id}").text
    assert guest.get("/consultations/invitations/bcc_" + "x" * 43).status_code == 404


def test_signed_in_forms_need_the_csrf_token_and_moderation_hides_with_a_reason(site: Round) -> None:
    resident = _client(site, "res2")
    a, b, c = site.items
    token = resident.headers.pop("X-CSRF-Token")
    url = f"/cities/testville/consultations/{site.round_id}"
    votes = {f"rank-{a}": "1", f"rank-{b}": "3", f"rank-{c}": "2"}
    assert resident.post(f"{url}/ballot", data=votes).status_code == 403  # no CSRF token
    assert (
        resident.post(
            f"{url}/ballot", data={**votes, "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    comment = resident.post(f"{url}/comments", data={"item": str(b), "body": "Unsinn!", "csrf_token": token},
                            follow_redirects=False)  # fmt: skip
    assert comment.status_code == 303
    comment_id = re.findall(r'data-comment="(\d+)"', resident.get(url).text)[-1]
    steward = _client(site, "stew")
    hidden = steward.post(f"{url}/moderation?lang=en", data={"comment": comment_id, "reason": "Off topic"},
                          follow_redirects=False)  # fmt: skip
    assert hidden.status_code == 303
    page = _client(site).get(f"{url}?lang=en").text
    assert "Unsinn!" not in page and "Hidden by moderator" in page and "Off topic" in page
    assert (
        resident.post(
            f"{url}/moderation", data={"comment": comment_id, "reason": "x", "csrf_token": token}
        ).status_code
        == 403
    )


def test_results_after_closing_with_csv_and_json(site: Round) -> None:
    anonymous = _client(site)
    url = f"/cities/testville/consultations/{site.round_id}/results"
    assert anonymous.get(f"{url}?lang=en").status_code == 403
    steward = _client(site, "stew")
    a, b, c = site.items
    path = _link(site, steward, "Jugendhilfeträger Nord", "Jugendhilfe")
    guest = _client(site)
    guest.post(f"{path}/ballot", data={f"rank-{a}": "2", f"rank-{b}": "1", f"rank-{c}": "3"})
    resident = f"/api/cities/testville/consultations/{site.round_id}/ballots"
    cast = _client(site, "res2").post(resident, json={"votes": {str(a): 1, str(b): 3, str(c): 2}})
    assert cast.status_code == 201, cast.text
    live = steward.get(f"{url}?lang=en")
    assert live.status_code == 200 and 'id="results-live"' in live.text
    closed = steward.post(f"/api/cities/testville/consultations/{site.round_id}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    page = anonymous.get(f"{url}?lang=en")
    assert page.status_code == 200 and "Borda count" in page.text and 'id="results-ranking"' in page.text
    result = anonymous.get(f"{url}.json").json()
    # ballots: link (a 2, b 1, c 3) and res2 (a 1, b 3, c 2); points 2/1/0:
    # a 1 + 2 = 3, b 2 + 0 = 2, c 0 + 1 = 1
    assert [(r["item"], r["score"]) for r in result["items"]] == [(a, 3), (b, 2), (c, 1)]
    assert result["ballots"] == 2 and {r["group"]: r["small"] for r in result["breakdown"]} == {
        "Jugendhilfe": True,
        None: True,
    }
    csv = anonymous.get(f"{url}.csv")
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.splitlines()[1].startswith(
        f"1,{a},"
    )
    api = anonymous.get(f"/api/cities/testville/consultations/{site.round_id}/results.csv")
    assert api.text == csv.text
    late = _client(site, "res").post(
        f"/api/cities/testville/consultations/{site.round_id}/ballots",
        json={"votes": {str(a): 1, str(b): 2, str(c): 3}},
    )
    assert late.status_code == 409 and "no longer possible" in late.json()["detail"]


def test_a_steward_sets_up_a_round_with_the_page_forms(built: Site) -> None:
    steward = TestClient(built.app)  # type: ignore[arg-type]
    sign_in(steward, "stew")
    base = "/cities/testville/consultations"
    naive = steward.post(f"{base}?lang=en", data={"title": "T", "question": "Q", "opens": "2030-01-01T09:00",
                                                  "closes": "2030-01-02T09:00+01:00"})  # fmt: skip
    assert naive.status_code == 422 and "give the time zone" in naive.text
    created = steward.post(f"{base}?lang=en", data={"title": "Spielplätze", "question": "Wo zuerst?"},
                           follow_redirects=False)  # fmt: skip
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    assert 'id="steward-panel"' in steward.get(f"{url}?lang=en").text
    for code in ("0201", "0203"):
        added = steward.post(f"{url}/items", data={"kind": "priority_area", "key": f"{SET}/{code}"},
                             follow_redirects=False)  # fmt: skip
        assert added.status_code == 303
    unknown = steward.post(f"{url}/items?lang=en", data={"kind": "priority_area", "key": f"{SET}/0102"})
    assert unknown.status_code == 422 and "not in the priority set" in unknown.text
    opened = steward.post(f"{url}/open", data={"closes": "2099-01-01T00:00+00:00"}, follow_redirects=False)
    assert opened.status_code == 303
    invited = steward.post(f"{url}/invitations?lang=en", data={"label": "Kita Süd", "group": "Kitas"})
    assert invited.status_code == 201 and invited.headers["Cache-Control"] == "private, no-store"
    link = re.search(r'id="invitation-link">([^<]+)<', invited.text).group(1)  # type: ignore[union-attr]
    assert "/consultations/invitations/bcc_" in link and link not in steward.get(url).text  # shown once
    guest = TestClient(built.app)  # type: ignore[arg-type]
    assert guest.get(link.split("testserver", 1)[-1]).status_code == 200
    assert guest.post(f"{url}/close").status_code == 401  # not a steward
    assert steward.post(f"{url}/close", follow_redirects=False).status_code == 303


def test_the_cli_round_trip(site: Round) -> None:
    ws = site.world.workspace
    base = ["--workspace", str(ws.path)]

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli_app, [*args, *base])
        assert result.exit_code == code, result.output
        return result.output

    created = run("consultations", "add", "--city", "testville", "--title", "Bänke", "--question", "Wo?",
                  "--method", "dot", "--dots", "3")  # fmt: skip
    round_id = re.search(r"round (\d+) \(draft\)", created).group(1)  # type: ignore[union-attr]
    run(
        "consultations",
        "item",
        "add",
        "--city",
        "testville",
        round_id,
        "--kind",
        "proposal",
        "--title",
        "Park",
    )
    run("consultations", "item", "add", "--city", "testville", round_id, "--kind", "priority_area", "--key",
        f"{SET}/0201")  # fmt: skip
    assert "unknown-item" in run("consultations", "item", "add", "--city", "testville", round_id, "--kind",
                                 "priority_area", "--key", f"{SET}/9999", code=2)  # fmt: skip
    link = run("consultations", "invite", "--city", "testville", round_id, "--label", "Kita Süd")
    assert re.search(r"/consultations/invitations/bcc_\S{43}", link) and "shown this once" in link
    naive = run("consultations", "add", "--city", "testville", "--title", "T", "--question", "Q",
                "--opens", "2030-01-01T09:00", "--closes", "2030-01-02T09:00+01:00", code=2)  # fmt: skip
    assert "--opens: give the time zone" in naive
    run("consultations", "open", "--city", "testville", round_id, "--closes", "2099-01-01T00:00Z")
    shown = run("consultations", "show", "--city", "testville", round_id)
    assert "[open; dot; public]" in shown and "Kita Süd" in shown and "unused" in shown
    run("consultations", "close", "--city", "testville", round_id)
    assert "closed" in run("consultations", "list", "--city", "testville")
    table = run("consultations", "results", "--city", "testville", round_id)
    assert "0 ballots" in table and "sum of the dots" in table


def test_a_refused_api_body_answers_the_problem_codes_and_a_link_s_proposal_keeps_it(site: Round) -> None:
    """A body the model refuses answers "Invalid input" with the consultations' codes per field (not
    pydantic's "Invalid parameter"); a proposal sent with an invitation link keeps that invitation."""
    from bettercities.consultations.models import ConsultationItem
    from bettercities.consultations.participation import invitation_by_token

    steward = _client(site, "stew")
    api = f"/api/cities/testville/consultations/{site.round_id}"
    path = _link(site, steward, "Quartiersrat")
    token = path.rsplit("/", 1)[1]
    guest = _client(site)
    refused = guest.post(f"{api}/proposals", json={"title": "x" * 201, "invitation": token})
    assert refused.status_code == 422 and refused.json()["title"] == "Invalid input"
    assert [(e["code"], e["column"]) for e in refused.json()["errors"]] == [("invalid-text", "title")]
    shape = guest.post(f"{api}/ballots", json={"votes": "all", "invitation": token})
    assert [e["code"] for e in shape.json()["errors"]] == ["invalid-ballot"]
    sent = guest.post(f"{api}/proposals", json={"title": "Trinkbrunnen", "invitation": token})
    assert sent.status_code == 201, sent.text
    with site.world.workspace.database.reader() as session:
        stored = session.get(ConsultationItem, sent.json()["id"])
        assert stored is not None and stored.invitation_id == invitation_by_token(session, token).id
        assert stored.user_id is None and stored.status == "pending"
