"""Issue 13's acceptance in headless Chromium, on the demo city (60 planning areas, 2023-2024): a steward
signs in and sets a goal on the saved priority set through the goals page's form, creates a consultation
round on the round list's form, puts items to it, creates an invitation link and opens the round through the
round page's forms; an invited stakeholder (another browser context, no account) opens the link, ranks the
items and comments; a second vote with the same link (from a page opened before the first) is refused with a
message; the steward closes the round and the results page shows the ranking; the public's scorecard shows
the new goal's status and its chart. Every step goes through a page form (none needs the API)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from bettercities import access as accounts
from bettercities.analysis.priority import service as priority
from bettercities.publication import Audience
from bettercities.web import create_app
from tests.support.demos import built_demo
from tests.support.net import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG, SET = "auenstedt", "low-status-2024"
STEWARD, PASSWORD = "sina", "correct horse battery"
TITLE = "Child poverty in the low-status areas down to 45 % by 2030"


@dataclass
class Served:
    server: ServerThread
    areas: list[str]  # the saved priority set's area codes


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = Path(tmp_path_factory.mktemp("goals-flow")) / "demo"  # the demo of 2026's seed, as built
    workspace, _ = built_demo(tmp_path_factory, folder, n_planning_areas=60, first_year=2023, last_year=2024)
    with workspace.database.session() as session:
        accounts.create_user(session, STEWARD, PASSWORD)
        accounts.grant(session, STEWARD, SLUG, "steward")
        found = priority.get_set(session, SLUG, SET, audience=Audience.PUBLIC)
        codes = sorted(a.area_id for a in found.areas)
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield Served(running, codes)
    workspace.close()


def _submit(page: Any, form: Any) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_from_a_priority_set_to_a_goal_a_round_and_the_public_scorecard(
    served: Served, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    url = served.server.url
    steward = chromium.new_context().new_page()

    # the steward signs in and sets a goal on the saved priority set
    steward.goto(f"{url}/login?lang=en&next=%2Fcities%2F{SLUG}%2Fgoals%3Flang%3Den")
    steward.fill("input[name=username]", STEWARD)
    steward.fill("input[name=password]", PASSWORD)
    _submit(steward, steward.locator("form.form-stack"))
    form = steward.locator("#goal-form")
    form.locator("#goal-title").fill(TITLE)
    form.locator("#goal-set").select_option(SET)
    form.locator("#goal-indicator").select_option("child_poverty")
    form.locator("#goal-target").fill("45")
    form.locator("#goal-deadline").fill("2030-12-31")
    form.locator("#goal-owner").fill("Jugendamt")
    _submit(steward, form)
    found = re.search(rf"/cities/{SLUG}/goals/(\d+)\?", steward.url)
    assert found, steward.url
    goal_id = found.group(1)
    expect(steward.locator("h1")).to_contain_text(TITLE)

    # a new round on the list page's form (a draft), its items, an invitation link, then open it
    steward.goto(f"{url}/cities/{SLUG}/consultations?lang=en")
    new = steward.locator("#new-round")
    new.locator("input[name=title]").fill("Where to start")
    new.locator("textarea[name=question]").fill("Which comes first?")
    new.locator("select[name=audience]").select_option("invited")
    _submit(steward, new)
    round_url = steward.url.split("?")[0]
    assert re.fullmatch(rf"{re.escape(url)}/cities/{SLUG}/consultations/\d+", round_url)
    expect(steward.locator("#steward-panel")).to_have_attribute("open", "")  # a draft's panel is open
    keys = [("goal", goal_id), *(("priority_area", f"{SET}/{code}") for code in served.areas[:2])]
    for kind, key in keys:
        add = steward.locator("#add-item")
        add.locator("select[name=kind]").select_option(kind)
        add.locator("input[name=key]").fill(key)
        _submit(steward, add)
        expect(steward.locator("#round-error")).to_have_count(0)
    expect(steward.locator("#round-items > li")).to_have_count(3)
    invite = steward.locator("#invite")
    invite.locator("input[name=label]").fill("Residents' council Nord")
    invite.locator("input[name=group]").fill("Residents")
    _submit(steward, invite)
    link = steward.locator("#invitation-link").inner_text().strip()
    assert link.startswith(f"{url}/consultations/invitations/bcc_")
    opening = steward.locator("#open-round")
    opening.locator("input[name=closes]").fill("2099-12-31T18:00+01:00")
    _submit(steward, opening)
    expect(steward.locator("#round-error")).to_have_count(0)

    # the invited stakeholder: no account, the link only; a second tab opened before the first vote
    guest = chromium.new_context()
    first, stale = guest.new_page(), guest.new_page()
    first.goto(link)
    stale.goto(link)
    expect(first.locator("#invitation-label")).to_contain_text("Residents' council Nord")
    items = first.locator("#round-items > li")
    ids = [items.nth(i).get_attribute("data-item") for i in range(items.count())]
    order = [ids[2], ids[0], ids[1]]  # the second area first, then the goal, then the first area
    ballot = first.locator("#ballot-form")
    for rank, item in enumerate(order, start=1):
        ballot.locator(f"input[name=rank-{item}]").fill(str(rank))
    _submit(first, ballot)
    expect(first.locator("#round-notice")).to_contain_text("Your vote has been counted")
    comment = first.locator("#comment-form")
    comment.locator("select[name=item]").select_option(ids[0])
    comment.locator("textarea[name=body]").fill("Start with the schools, please.")
    _submit(first, comment)
    expect(first.locator(f'[data-comments="{ids[0]}"] .comment')).to_contain_text(
        "Start with the schools, please."
    )
    again = stale.locator("#ballot-form")
    for rank, item in enumerate(reversed(order), start=1):
        again.locator(f"input[name=rank-{item}]").fill(str(rank))
    _submit(stale, again)
    expect(stale.locator("#round-error")).to_contain_text("used to vote already")

    # the steward closes the round; the results rank the items as the one ballot did
    steward.goto(f"{round_url}?lang=en")
    steward.locator("#steward-panel > summary").click()  # folded while the round is open
    _submit(steward, steward.locator("#close-round"))
    expect(steward.locator("#round-error")).to_have_count(0)
    steward.goto(f"{round_url}/results?lang=en")
    rows = steward.locator("#results-ranking tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-item") for i in range(3)] == order
    expect(steward.locator("#results-ballots")).to_have_text("1")

    # the public: the scorecard shows the goal's status and its chart with a title
    public = chromium.new_context().new_page()
    public.goto(f"{url}/cities/{SLUG}/scorecard?lang=en")
    card = public.locator(f'article[data-goal="{goal_id}"]')
    expect(card.locator("h3")).to_have_text(TITLE)
    status = httpx.get(f"{url}/api/cities/{SLUG}/goals/{goal_id}").json()["status"]
    expect(card.locator(".goal-status")).to_have_attribute("data-status", status)
    assert card.locator(".goal-status").inner_text().strip().endswith(status.replace("_", " "))
    chart = card.locator(".scorecard-chart svg")
    expect(chart).to_have_count(1)
    assert (chart.locator("title").first.text_content() or "").strip()
