"""The privacy page, its JSON twin and the API: what the public sees of the rules (German and English), that
only the data team gets the report, that only a city admin changes rules (forms with CSRF, API with a write
token), and the city page's link to the page.

The city is tests/web/citybuilder's Testville with one planted small count (see tests/privacy/test_cli.py:
the unemployed of 0101 in 2022 set to 2; every other count is 12 or more), and a restricted draft dataset
``hidden-survey`` holding ``green_space`` whose rule the public must not learn of.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bettercities.areas import service as areas
from bettercities.areas.models import Area
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import AccessRights, DatasetSpec
from bettercities.core.settings import Settings
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.privacy import service as privacy
from bettercities.privacy.schemas import Method, RelationSpec, RuleSpec
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.served import add_user, csrf_of, issue_token, sign_in
from tests.web.citybuilder import build_city

CITY = "testville"
HIDDEN = "hidden-survey"
PAGE = f"/cities/{CITY}/privacy"
API = f"/api/cities/{CITY}/privacy"


@dataclass
class World:
    workspace: Workspace
    app: object
    anonymous: TestClient
    viewer: TestClient
    analyst: TestClient
    admin: TestClient
    token: str  # the city admin's write token

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _plant(ws: Workspace) -> None:
    build_city(ws, slug=CITY, name="Testville")
    with ws.database.session() as session:
        ids = {
            "indicator": session.scalar(select(Indicator.id).where(Indicator.code == "unemployment")),
            "area": session.scalar(select(Area.id).where(Area.code == "0101")),
            "period": session.scalar(select(Period.id).where(Period.code == "2022")),
        }
        session.execute(
            update(Observation)
            .where(
                Observation.indicator_id == ids["indicator"],
                Observation.area_id == ids["area"],
                Observation.period_id == ids["period"],
            )
            .values(numerator=2.0, value=round(100 * 2.0 / 606, 2))
        )
        city = areas.get_city(session, CITY)
        spec = DatasetSpec(code=HIDDEN, title_de="Geheim", title_en="Hidden", publisher="P",
                           indicators=["green_space"], access_rights=AccessRights.RESTRICTED)  # fmt: skip
        catalog.add_dataset(session, city, spec)
        privacy.set_rule(session, city, RuleSpec(dataset=HIDDEN, method=Method.NONE))
        privacy.add_relation(session, city, RelationSpec(total="inhabitants", parts=["a_part", "b_part"]))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp("privacy-web")
    ws = Workspace.init(folder / "workspace")
    _plant(ws)
    for name, role in (("viewer", "viewer"), ("analyst", "analyst"), ("admin", "city_admin")):
        add_user(ws, name, {CITY: role})
    token = issue_token(ws, "admin", write=True)
    app = create_app(ws, settings=Settings(default_language="en"))
    clients = [TestClient(app) for _ in range(4)]
    try:
        for client, name in zip(clients[1:], ("viewer", "analyst", "admin"), strict=True):
            sign_in(client, name)
        yield World(ws, app, *clients, token=token)
    finally:
        for client in clients:
            client.close()
        ws.close()


def test_the_public_page_explains_the_rules_in_german_and_english(world: World) -> None:
    german = world.anonymous.get(PAGE, params={"lang": "de"})
    assert german.status_code == 200
    for text in ("Was „geheim gehalten“ bedeutet", "Zellsperrung", "Standard der Stadt",
                 "Schwelle 3: Fallzahlen von 1 bis 2 werden geheim gehalten",
                 "Zum Schutz der Privatsphäre geheim gehalten (statistische Geheimhaltung)"):  # fmt: skip
        assert text in german.text, text
    english = world.anonymous.get(PAGE, params={"lang": "en"})
    for text in ("What “withheld” means", "Cell suppression", "City default",
                 "threshold 3: counts from 1 to 2 are withheld",
                 "Withheld to protect privacy (statistical disclosure control)"):  # fmt: skip
        assert text in english.text, text
    # the declared relation is explained; the report and the forms are not there for the public
    assert "<code>inhabitants</code> = <code>a_part</code> + <code>b_part</code>" in english.text
    assert "Protection report" not in english.text and "privacy-set-rule" not in english.text
    assert "Geheimhaltungsbericht" not in german.text


def test_the_public_learns_no_rule_of_a_restricted_dataset(world: World) -> None:
    for url in (API, f"{PAGE}.json"):
        public = world.anonymous.get(url).json()
        scopes = [r["rule"]["dataset"] or r["rule"]["indicator"] or "default" for r in public["rules"]]
        assert scopes == ["default"], url
        assert public["report"] is None
        # green_space is withheld from the public (restricted dataset): it is not listed either
        assert public["rules"][0]["indicators"] == ["inhabitants", "unemployment"]
        assert public["rules"][0]["rule"]["created_by"] is None
        assert HIDDEN not in world.anonymous.get(PAGE).text
    member = world.viewer.get(API).json()
    rules = {r["rule"]["dataset"] or "default": r for r in member["rules"]}
    assert rules[HIDDEN]["rule"]["method"] == "none" and rules[HIDDEN]["indicators"] == ["green_space"]


def test_only_the_data_team_gets_the_report(world: World) -> None:
    assert world.anonymous.get(f"{API}/report").status_code == 401
    assert world.viewer.get(f"{API}/report").status_code == 403
    assert world.viewer.get(f"{PAGE}.json").json()["report"] is None

    report = world.analyst.get(f"{API}/report", params={"period": "2022"})
    assert report.status_code == 200, report.text
    rows = {(q["quantity"], q["period"]): q for q in report.json()["quantities"]}
    assert rows[("unemployed", "2022")]["primary"] == {"frequency": 1}
    assert rows[("unemployed", "2022")]["secondary"] >= 1
    assert world.analyst.get(f"{API}/report", params={"period": "1999"}).status_code == 404

    twin = world.analyst.get(f"{PAGE}.json", params={"period": "2022"}).json()
    assert twin["report"]["quantities"] == report.json()["quantities"]
    page = world.analyst.get(PAGE, params={"period": "2022", "lang": "de"})
    assert "Geheimhaltungsbericht" in page.text and 'id="privacy-report"' in page.text
    assert "privacy-set-rule" not in page.text  # analysts do not manage rules


def test_a_city_admin_sets_and_removes_rules_through_the_forms(world: World) -> None:
    page = world.admin.get(PAGE)
    assert 'id="privacy-set-rule"' in page.text
    form = {"scope": "indicator", "target": "unemployment", "method": "suppression", "threshold": "5"}
    assert world.admin.post(f"{PAGE}/rules", data=form, follow_redirects=False).status_code == 403  # no CSRF
    assert world.anonymous.post(f"{PAGE}/rules", data=form, follow_redirects=False).status_code == 401
    assert world.anonymous.post(f"{PAGE}/rules/remove", data={"indicator": "inhabitants"}).status_code == 401
    assert (
        world.analyst.post(
            f"{PAGE}/rules", data={**form, "csrf_token": csrf_of(world.analyst.get("/account").text)}
        ).status_code
        == 403
    )

    token = csrf_of(page.text)
    done = world.admin.post(f"{PAGE}/rules", data={**form, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(PAGE)
    rules = {r["rule"]["indicator"]: r["rule"] for r in world.anonymous.get(API).json()["rules"]}
    assert rules["unemployment"]["threshold"] == 5
    assert "threshold 5: counts from 1 to 4 are withheld" in world.anonymous.get(PAGE).text

    refused = world.admin.post(f"{PAGE}/rules", data={**form, "threshold": "many", "csrf_token": token})
    assert refused.status_code == 422 and "not a number: many" in refused.text
    unknown = world.admin.post(f"{PAGE}/rules", data={**form, "target": "nosuch", "csrf_token": token})
    assert unknown.status_code == 422 and "indicator not found: nosuch" in unknown.text

    removed = world.admin.post(
        f"{PAGE}/rules/remove",
        data={"indicator": "unemployment", "csrf_token": token},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert all(r["rule"]["indicator"] != "unemployment" for r in world.anonymous.get(API).json()["rules"])


def test_the_api_sets_and_removes_rules_for_a_city_admin(world: World) -> None:
    rule = {"indicator": "inhabitants", "method": "suppression", "threshold": 4, "zeros": True}
    assert world.anonymous.put(f"{API}/rules", json=rule).status_code == 401
    assert world.anonymous.delete(f"{API}/rules", params={"indicator": "inhabitants"}).status_code == 401
    analyst_token = issue_token(world.workspace, "analyst", write=True)
    forbidden = world.anonymous.put(
        f"{API}/rules", json=rule, headers={"Authorization": f"Bearer {analyst_token}"}
    )
    assert forbidden.status_code == 403

    stored = world.anonymous.put(f"{API}/rules", json=rule, headers=world.bearer())
    assert stored.status_code == 200, stored.text
    assert stored.json()["threshold"] == 4 and stored.json()["zeros"] is True
    bad = world.anonymous.put(f"{API}/rules", json={**rule, "threshold": 0}, headers=world.bearer())
    assert bad.status_code == 422

    gone = world.anonymous.delete(f"{API}/rules", params={"indicator": "inhabitants"}, headers=world.bearer())
    assert gone.status_code == 204
    again = world.anonymous.delete(
        f"{API}/rules", params={"indicator": "inhabitants"}, headers=world.bearer()
    )
    assert again.status_code == 404


def test_the_city_page_links_to_the_privacy_page(world: World) -> None:
    city = world.anonymous.get(f"/cities/{CITY}", params={"lang": "de"})
    assert city.status_code == 200
    assert f'href="/cities/{CITY}/privacy?lang=de">Geheimhaltung</a>' in city.text


def test_the_public_page_shows_the_p_table_of_a_cell_key_rule(world: World) -> None:
    rule = {"indicator": "unemployment", "method": "cell_key", "max_deviation": 2, "variance": 1.0}
    assert world.anonymous.put(f"{API}/rules", json=rule, headers=world.bearer()).status_code == 200
    try:
        public = world.anonymous.get(API).json()
        [keyed] = [r for r in public["rules"] if r["rule"]["method"] == "cell_key"]
        assert keyed["indicators"] == ["unemployment"]
        assert [row["original"] for row in keyed["ptable"]["rows"]] == [0, 1, 2]
        assert "secret" not in str(public).lower()
        page = world.anonymous.get(PAGE, params={"lang": "de"}).text
        assert "p-Tabellen des Cell-Key-Verfahrens" in page
        assert "größte Abweichung 2, Varianz 1,00" in page
        assert "2 und mehr" in page  # the last row holds for every larger count
    finally:
        world.anonymous.delete(f"{API}/rules", params={"indicator": "unemployment"}, headers=world.bearer())
