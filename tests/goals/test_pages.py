"""The goal pages: the list with the form that sets a goal from a saved priority set, a goal's page (chart,
data table, status per area and against the city total), the embeddable card and the city page's links, in
German and English, for the public and for the city's members (SQLite: rendering, not storage).

Testville (``tests/web/citybuilder.py``) over 2020-2022 with its one suppressed cell (unemployment of 0102 in
2022, value 77.777 in the database) and green space in a *restricted* dataset. Goals (set through the
library as a steward, the data team's view of the data):

* ``down``: unemployment in 0103 and 0104 from the 2020 baseline down by 1 point by 2026. By hand (the
  builder's formula): 2020 labour 720 + 780, unemployed 29 + 39 -> 68 / 1500 = 4.5333 %; 2022 labour
  732 + 792, unemployed 37 + 48 -> 85 / 1524 = 5.5774 %; target 3.5333 %. Higher is worse and the value
  rose: off track.
* ``hidden``: unemployment in 0101 and 0102 (0102's 2022 value suppressed, 0101 withheld beside it by
  disclosure control): the public sees both areas' 2022 values withheld and no group value for 2022.
* ``green``: green space (restricted) in 0201: not there for the public at all; a member sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bettercities.access.policy import ANONYMOUS
from bettercities.analysis.priority import evaluation, schemas
from bettercities.analysis.priority import service as priority
from bettercities.areas import service as areas
from bettercities.audit.models import AuditEntry
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import AccessRights, DatasetSpec
from bettercities.goals import queries
from bettercities.goals import service as goals
from bettercities.goals.models import Goal
from bettercities.goals.schemas import AreaSelection, GoalIn, SelectionKind
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.views.reader import Reader
from bettercities.web import create_app, security
from tests.support.testville_mss import run_testville_mss
from tests.web.citybuilder import SECRET_VALUE, build_city
from tests.web.conftest import CHEAP, SETTINGS, SUPPRESSED, add_user, csrf_of, sign_in

SLUG = "testville"


@dataclass
class Served:
    workspace: Workspace
    client: TestClient
    ids: dict[str, int]
    priority_set: str


def _goal(title: str, indicator: str, codes: str, **target: float) -> GoalIn:
    return GoalIn(
        title=title,
        indicator=indicator,
        areas=AreaSelection(kind=SelectionKind.AREAS, value=codes),
        deadline=date(2026, 12, 31),
        owner_unit="Jugendamt",
        owner_person="A. Muster",
        baseline_period="2020",
        **target,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from bettercities.access import passwords

    original = passwords.hasher
    passwords.hasher = lambda: CHEAP  # type: ignore[assignment]
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("goal-pages")) / "ws")
    build_city(workspace, years=(2020, 2021, 2022), suppress=(SUPPRESSED,))
    with workspace.database.session() as session:
        city = areas.get_city(session, SLUG)
        spec = DatasetSpec(
            code="green", title_de="Grün", title_en="Green", publisher="Statistikstelle", steward="S",
            indicators=["green_space"], access_rights=AccessRights.RESTRICTED,
        )  # fmt: skip
        catalog.add_dataset(session, city, spec)
        for action in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
            approval.transition(session, SLUG, "green", action, user="fixture")
        run_testville_mss(session)
        rule = schemas.PRESETS["mss-low-status-negative-dynamics"]
        result = evaluation.evaluate(session, SLUG, rule, audience=Audience.PUBLIC)
        priority.save_set(session, result, "Fokus", user="fixture")
        down = _goal("Weniger Arbeitslose", "unemployment", "0103,0104", target_change=-1.0)
        hidden = _goal("Arbeitslose 0101/0102", "unemployment", "0101,0102", target_change=-0.5)
        green = _goal("Mehr Grün", "green_space", "0201", target_change=2.0)
        ids = {
            name: goals.add_goal(session, city, goal, actor="steward").id
            for name, goal in (("down", down), ("hidden", hidden), ("green", green))
        }
    add_user(workspace, "steward", {SLUG: "steward"})
    add_user(workspace, "member", {SLUG: "viewer"})
    with TestClient(create_app(workspace, settings=SETTINGS)) as client:
        yield Served(workspace, client, ids, "Fokus")
    passwords.hasher = original  # type: ignore[assignment]
    workspace.close()


@pytest.fixture
def anonymous(served: Served) -> Iterator[TestClient]:
    """A fresh client without a session on the module's app."""
    with TestClient(served.client.app) as client:
        yield client


@pytest.fixture
def steward(served: Served) -> Iterator[TestClient]:
    with TestClient(served.client.app) as client:
        sign_in(client, "steward")
        yield client


@pytest.fixture
def member(served: Served) -> Iterator[TestClient]:
    with TestClient(served.client.app) as client:
        sign_in(client, "member")
        yield client


def text(response: object) -> str:
    """A page's text with the narrow no-break spaces of numbers and units as plain spaces."""
    return str(response.text).replace("\u202f", " ").replace("\xa0", " ")  # type: ignore[attr-defined]


def _public_reader(served: Served) -> Iterator[Reader]:
    with served.workspace.database.reader() as session:
        yield Reader(session, served.client.app.state.caches, principal=ANONYMOUS)


def test_the_goal_page_shows_baseline_target_status_and_owner(anonymous: TestClient, served: Served) -> None:
    page = anonymous.get(f"/cities/{SLUG}/goals/{served.ids['down']}?lang=de")
    assert page.status_code == 200
    html = text(page)
    facts = html[html.index('id="goal-facts"') : html.index("</dl>", html.index('id="goal-facts"'))]
    assert "4,53 %" in facts and "(2020)" in facts  # the baseline by hand: 68 / 1500
    assert "5,58 %" in facts and "(2022)" in facts  # the latest: 85 / 1524
    assert "3,53 %" in facts and "2026-12-31" in facts  # the target: 4.5333 - 1
    assert 'data-status="off_track"' in facts and "nicht auf Kurs" in facts  # in words, not colour alone
    assert "Jugendamt (A. Muster)" in html
    english = text(anonymous.get(f"/cities/{SLUG}/goals/{served.ids['down']}?lang=en"))
    assert "4.53%" in english and "off track" in english and "Status per area" in english


def test_the_chart_has_a_text_alternative_and_a_data_table(anonymous: TestClient, served: Served) -> None:
    html = text(anonymous.get(f"/cities/{SLUG}/goals/{served.ids['down']}?lang=en"))
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, flags=re.S)
    assert desc and "Baseline 4.53% (2020)" in desc.group(1) and "status: off track" in desc.group(1)
    table = html[html.index('id="goal-series"') : html.index("</table>", html.index('id="goal-series"'))]
    assert [p for p in re.findall(r'data-period="([^"]+)"', table)] == ["2020", "2021", "2022", "deadline"]
    assert "4.53" in table and "5.58" in table and "3.53" in table


def test_the_group_is_compared_with_the_city_total_and_areas_link_to_their_pages(
    anonymous: TestClient, served: Served
) -> None:
    html = text(anonymous.get(f"/cities/{SLUG}/goals/{served.ids['down']}?lang=en"))
    rows = html[html.index('id="goal-areas"') :]
    assert 'data-area="group"' in rows and 'data-area="city"' in rows
    assert 'data-area="0103"' in rows and 'data-area="0104"' in rows
    assert f'href="/cities/{SLUG}/areas/0103?lang=en"' in rows


def test_page_json_twins_return_the_queries_results(anonymous: TestClient, served: Served) -> None:
    goal_id = served.ids["down"]
    for reader in _public_reader(served):
        assert anonymous.get(f"/cities/{SLUG}/goals.json").json() == [
            g.model_dump(mode="json") for g in queries.visible_goals(reader, SLUG)
        ]
        assert anonymous.get(f"/cities/{SLUG}/goals/{goal_id}.json").json() == (
            queries.visible_goal(reader, SLUG, goal_id).model_dump(mode="json")
        )
        card = anonymous.get(f"/cities/{SLUG}/goals/{goal_id}/card.json").json()
        assert card["series"] == queries.goal_series(reader, SLUG, goal_id).model_dump(mode="json")


def test_withheld_area_values_never_appear(anonymous: TestClient, served: Served) -> None:
    goal_id = served.ids["hidden"]
    pages = [
        f"/cities/{SLUG}/goals/{goal_id}?lang=de", f"/cities/{SLUG}/goals/{goal_id}?lang=en",
        f"/cities/{SLUG}/goals/{goal_id}.json", f"/cities/{SLUG}/goals/{goal_id}/card",
        f"/cities/{SLUG}/goals/{goal_id}/card.json", f"/cities/{SLUG}/scorecard",
        f"/cities/{SLUG}/scorecard.json",
    ]  # fmt: skip
    for url in pages:
        body = text(anonymous.get(url))
        for shown in ("77.777", "77,777", "77.78", "77,78", str(SECRET_VALUE)):
            assert shown not in body, (url, shown)
    goal = anonymous.get(f"/cities/{SLUG}/goals/{goal_id}.json").json()
    assert {a["area"]: a["withheld"] for a in goal["per_area"]} == {"0101": True, "0102": True}
    html = text(anonymous.get(f"/cities/{SLUG}/goals/{goal_id}?lang=en"))
    rows = html[html.index('data-area="0102"') :]
    assert "withheld" in rows[: rows.index("</tr>")]


def test_a_goal_on_a_restricted_indicator_is_not_there_for_the_public(
    anonymous: TestClient, member: TestClient, served: Served
) -> None:
    green = served.ids["green"]
    for url in (
        f"/cities/{SLUG}/goals/{green}",
        f"/cities/{SLUG}/goals/{green}/card",
        f"/cities/{SLUG}/goals/{green}.json",
    ):
        assert anonymous.get(url).status_code == 404, url
    listed = text(anonymous.get(f"/cities/{SLUG}/goals?lang=en"))
    assert "Mehr Grün" not in listed and "Weniger Arbeitslose" in listed
    assert member.get(f"/cities/{SLUG}/goals/{green}?lang=en").status_code == 200
    assert "Mehr Grün" in member.get(f"/cities/{SLUG}/goals?lang=en").text


def test_the_card_may_be_framed_by_other_sites_and_runs_no_script(
    anonymous: TestClient, served: Served
) -> None:
    card = anonymous.get(f"/cities/{SLUG}/goals/{served.ids['down']}/card?lang=en")
    assert card.status_code == 200
    assert card.headers["content-security-policy"] == security.EMBEDDABLE_CONTENT_SECURITY_POLICY
    assert "frame-ancestors *" in card.headers["content-security-policy"]
    assert "script-src" not in card.headers["content-security-policy"]  # default-src 'none': no script
    assert "x-frame-options" not in card.headers
    assert "<script" not in card.text and " style=" not in card.text and "<style" not in card.text
    assert "site-header" not in card.text  # a page of its own, not the site's frame
    assert re.findall(r"<a [^>]*>", card.text) and all(
        'target="_top"' in a for a in re.findall(r"<a [^>]*>", card.text)
    )
    assert "off track" in card.text and "4.53%" in text(card) and "<desc" in card.text
    # every other page keeps out of frames
    page = anonymous.get(f"/cities/{SLUG}/goals/{served.ids['down']}")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert (
        "frame-ancestors 'none'"
        in anonymous.get(f"/cities/{SLUG}/goals/{served.ids['down']}/card.json").headers[
            "content-security-policy"
        ]
    )


def test_the_goal_page_offers_the_embed_code(anonymous: TestClient, served: Served) -> None:
    html = text(anonymous.get(f"/cities/{SLUG}/goals/{served.ids['down']}?lang=en"))
    embed = html[html.index('id="goal-embed"') :]
    assert f"/cities/{SLUG}/goals/{served.ids['down']}/card?lang=en" in embed[: embed.index("</pre>")]
    assert "&lt;iframe" in embed


def test_the_city_page_links_goals_and_scorecard(anonymous: TestClient) -> None:
    html = text(anonymous.get(f"/cities/{SLUG}?lang=en"))
    assert 'data-link="goals"' in html and 'data-link="scorecard"' in html
    assert f'href="/cities/{SLUG}/scorecard?lang=en"' in html


# -- the form ----------------------------------------------------------------------------------------------


def _count(served: Served) -> int:
    with served.workspace.database.reader() as session:
        return int(session.scalar(select(func.count()).select_from(Goal)) or 0)


def test_only_stewards_see_and_may_post_the_form(
    anonymous: TestClient, member: TestClient, served: Served
) -> None:
    assert 'id="goal-form"' not in text(anonymous.get(f"/cities/{SLUG}/goals"))
    assert 'id="goal-form"' not in member.get(f"/cities/{SLUG}/goals").text
    before = _count(served)
    refused = member.post(f"/cities/{SLUG}/goals", data={"title": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    assert _count(served) == before


def test_a_steward_sets_a_goal_from_a_saved_priority_set(steward: TestClient, served: Served) -> None:
    form = steward.get(f"/cities/{SLUG}/goals?lang=de").text
    fields = (
        "title priority_set indicator target_value target_change deadline owner_unit owner_person rationale"
    )
    for name in (*fields.split(), "csrf_token"):  # stable names: the browser test fills them
        assert f'name="{name}"' in form, name
    assert "Ziel setzen" in form and f'value="{served.priority_set}"' in form
    with served.workspace.database.reader() as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    posted = steward.post(
        f"/cities/{SLUG}/goals?lang=de",
        data={
            "csrf_token": csrf_of(form), "title": "Fokusgebiete", "priority_set": served.priority_set,
            "indicator": "unemployment", "target_value": "3,5", "deadline": "2028-12-31",
            "owner_unit": "Jugendamt", "owner_person": "", "rationale": "Aus dem Stadtentwicklungskonzept",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert posted.status_code == 303, posted.text[:2000]
    location = posted.headers["location"]
    goal_id = int(re.search(r"/goals/(\d+)", location).group(1))  # type: ignore[union-attr]
    shown = steward.get(f"/cities/{SLUG}/goals/{goal_id}.json").json()
    assert shown["areas"] == {"kind": "priority_set", "value": served.priority_set}
    assert shown["target_value"] == 3.5 and shown["priority_sets"] == [served.priority_set]
    assert shown["created_by"] == "steward"
    with served.workspace.database.reader() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) > entries
        assert session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "goal", AuditEntry.via == "web")
        )
    page = steward.get(location).text
    assert f'href="/cities/{SLUG}/priority-sets/{served.priority_set}?lang=de"' in page


def test_a_refused_goal_shows_the_form_again_with_the_reasons(steward: TestClient, served: Served) -> None:
    form = steward.get(f"/cities/{SLUG}/goals?lang=en").text
    before = _count(served)
    base = {
        "csrf_token": csrf_of(form), "title": "Too early", "priority_set": served.priority_set,
        "indicator": "unemployment", "owner_unit": "Jugendamt",
    }  # fmt: skip
    for extra, reason in (
        ({"target_value": "3", "deadline": "2019-12-31"}, "deadline"),  # before the baseline period
        ({"target_value": "3", "target_change": "-1", "deadline": "2028-12-31"}, "target"),  # both
        ({"target_value": "drei", "deadline": "2028-12-31"}, "not a number"),
    ):
        again = steward.post(f"/cities/{SLUG}/goals?lang=en", data={**base, **extra}, follow_redirects=False)
        assert again.status_code == 422, extra
        errors = again.text[
            again.text.index('id="goal-errors"') : again.text.index(
                "</div>", again.text.index('id="goal-errors"')
            )
        ]
        assert reason in errors.lower(), (extra, errors)
        assert 'value="Too early"' in again.text  # the form keeps what was typed
    assert _count(served) == before


def test_the_form_needs_its_csrf_token(steward: TestClient, served: Served) -> None:
    before = _count(served)
    del steward.headers["X-CSRF-Token"]  # sign_in sent it on every request, as the page's script would
    data = {"title": "No token", "priority_set": served.priority_set, "indicator": "unemployment",
            "target_value": "3", "deadline": "2028-12-31", "owner_unit": "Jugendamt"}  # fmt: skip
    assert steward.post(f"/cities/{SLUG}/goals", data=data, follow_redirects=False).status_code == 403
    assert _count(served) == before


@pytest.mark.parametrize(
    ("lang", "typed", "target"),
    [
        ("de", "0,125", 0.125),
        ("en", "0.125", 0.125),
        ("de", "0,5", 0.5),
        ("en", "0.5", 0.5),
        ("de", "12", 12.0),
    ],
)
def test_a_target_is_read_with_one_decimal_comma_or_point(
    steward: TestClient, served: Served, lang: str, typed: str, target: float
) -> None:
    """A target is a general number: 0.125 stays 0.125 (no thousands read into it), 0,5 is a half."""
    form = steward.get(f"/cities/{SLUG}/goals?lang={lang}").text
    posted = steward.post(
        f"/cities/{SLUG}/goals?lang={lang}",
        data={"csrf_token": csrf_of(form), "title": f"Ziel {typed}", "priority_set": served.priority_set,
              "indicator": "unemployment", "target_value": typed, "deadline": "2028-12-31",
              "owner_unit": "Jugendamt"},
        follow_redirects=False,
    )  # fmt: skip
    assert posted.status_code == 303, posted.text[:2000]
    goal_id = int(re.search(r"/goals/(\d+)", posted.headers["location"]).group(1))  # type: ignore[union-attr]
    assert steward.get(f"/cities/{SLUG}/goals/{goal_id}.json").json()["target_value"] == target
    assert steward.delete(f"/api/cities/{SLUG}/goals/{goal_id}").status_code == 204


@pytest.mark.parametrize(
    ("lang", "field", "typed", "words"),
    [
        ("en", "target_value", "1,500.50", "reads differently in German and English"),
        ("en", "target_change", "-1,500", "reads differently in German and English"),
        ("de", "target_value", "1.500", "liest sich auf Deutsch und Englisch verschieden"),
        ("de", "target_value", "1.500,5", "liest sich auf Deutsch und Englisch verschieden"),
        ("de", "target_value", "1.500.000", "liest sich auf Deutsch und Englisch verschieden"),
        ("de", "target_value", "drei", "ist keine Zahl"),
    ],
)
def test_a_target_with_mixed_or_grouping_separators_is_refused_not_guessed(
    steward: TestClient, served: Served, lang: str, field: str, typed: str, words: str
) -> None:
    """1,500.50 was read as 1.5005 and 1.500 as 1.5: the writer is asked to write the number plainly."""
    before = _count(served)
    form = steward.get(f"/cities/{SLUG}/goals?lang={lang}").text
    data = {"csrf_token": csrf_of(form), "title": "Mehrdeutig", "priority_set": served.priority_set,
            "indicator": "unemployment", "deadline": "2028-12-31", "owner_unit": "Jugendamt",
            field: typed}  # fmt: skip
    again = steward.post(f"/cities/{SLUG}/goals?lang={lang}", data=data, follow_redirects=False)
    assert again.status_code == 422
    start = again.text.index('id="goal-errors"')
    errors = text(again)[start : again.text.index("</div>", start)]
    assert words in errors and field in errors, errors
    assert f'value="{typed}"' in again.text  # the form keeps what was typed
    assert _count(served) == before
