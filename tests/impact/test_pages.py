"""The register's pages on Impactville, in German and English: the list with the register form (refused
input shown again with its reasons), an intervention's page with plan versions, runs and the steward's forms,
a run's page (the verdict first, the plan, the downloads), the report as HTML and PDF, the embeddable card
(framed by any site, no script) and the .json twins equal to the API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bettercities.web import security
from tests.impact.impactville import SET, SLUG
from tests.web.conftest import csrf_of, sign_in

PAGES = f"/cities/{SLUG}/interventions"


def text(response: object) -> str:
    return str(response.text).replace("\u202f", " ").replace("\xa0", " ")  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def evaluated(served: Any) -> dict[str, int]:
    """An intervention registered, planned and evaluated through the pages' forms by a steward."""
    with TestClient(served.app) as client:  # type: ignore[arg-type]
        sign_in(client, "steward")
        page = client.get(f"{PAGES}?lang=de")
        token = csrf_of(page.text)
        form = {
            "csrf_token": token, "name": "Quartiersmanagement Nord", "kind": "neighbourhood_management",
            "priority_set": SET, "start_period": "2020", "responsible_unit": "Sozialamt",
            "indicator": "jobless", "budget": "1.500.000,50", "description": "Büro im Quartier",
        }  # fmt: skip
        added = client.post(f"{PAGES}?lang=de", data=form, follow_redirects=False)
        assert added.status_code == 303, added.text
        item = int(added.headers["location"].split("/")[-1].split("?")[0])
        planned = client.post(
            f"{PAGES}/{item}/plans?lang=de",
            data={"csrf_token": token, "indicator": "jobless", "design": "did", "analysis": "DiD nach Plan"},
            follow_redirects=False,
        )
        assert planned.status_code == 303, planned.text
        run = client.post(
            f"{PAGES}/{item}/evaluations?lang=de", data={"csrf_token": token}, follow_redirects=False
        )
        assert run.status_code == 303, run.text
        run_id = int(run.headers["location"].split("/")[-1].split("?")[0])
    return {"item": item, "run": run_id}


def test_the_list_shows_interventions_in_both_languages(
    anonymous: TestClient, evaluated: dict[str, int]
) -> None:
    de = text(anonymous.get(f"{PAGES}?lang=de"))
    assert "Maßnahmen in Impactville" in de and "Quartiersmanagement Nord" in de
    assert "1.500.000,50 EUR" in de and "Quartiersmanagement" in de and "besser" in de.lower()
    assert "Maßnahme registrieren" not in de  # no form for the public
    en = text(anonymous.get(f"{PAGES}?lang=en"))
    assert (
        "Interventions in Impactville" in en and "1,500,000.50 EUR" in en and "neighbourhood management" in en
    )


def test_a_refused_form_is_shown_again_with_its_reasons(steward: TestClient) -> None:
    page = steward.get(f"{PAGES}?lang=en")
    assert "Register an intervention" in page.text
    form = {"csrf_token": csrf_of(page.text), "name": "Nothing", "areas": "X9", "start_period": "2020",
            "responsible_unit": "U", "budget": "lots"}  # fmt: skip
    refused = steward.post(f"{PAGES}?lang=en", data=form)
    assert refused.status_code == 422 and "The intervention was not registered" in refused.text
    assert "“lots” is not a number" in refused.text
    form["budget"] = ""
    refused = steward.post(f"{PAGES}?lang=en", data=form)
    assert refused.status_code == 422 and "X9" in refused.text and 'value="Nothing"' in refused.text


def test_the_intervention_page_shows_plans_runs_and_the_steward_s_forms(
    anonymous: TestClient, steward: TestClient, evaluated: dict[str, int]
) -> None:
    url = f"{PAGES}/{evaluated['item']}"
    de = text(anonymous.get(f"{url}?lang=de"))
    assert "Evaluationsplan" in de and "DiD nach Plan" in de and 'data-plan-version="1"' in de
    assert f'data-run="{evaluated["run"]}"' in de and "ja (Version 1)" in de and "Sozialamt" in de
    assert 'id="plan-form"' not in de and 'id="run-form"' not in de
    en = text(steward.get(f"{url}?lang=en"))
    assert 'id="plan-form"' in en and 'id="run-form"' in en and "Register a new plan version" in en
    refused = steward.post(
        f"{url}/plans?lang=en",
        data={"csrf_token": csrf_of(en), "indicator": "jobless", "design": "did", "comparison": "D01"},
    )
    assert refused.status_code == 422 and "The plan was not registered" in refused.text


def test_the_run_page_puts_the_verdict_first(anonymous: TestClient, evaluated: dict[str, int]) -> None:
    url = f"{PAGES}/{evaluated['item']}/evaluations/{evaluated['run']}"
    for lang, words in (
        ("de", ("Bericht (PDF)", "Diese Evaluation ist dem vor ihr registrierten Plan gefolgt (Version 1).")),
        ("en", ("Report (PDF)", "This evaluation followed the plan registered before it (version 1).")),
    ):
        html = text(anonymous.get(f"{url}?lang={lang}"))
        verdict = html.index('data-verdict="better"')
        assert verdict < html.index("<svg") < html.index('id="run-downloads"')
        for word in words:
            assert word in html, word
        assert f"/api{url}/panel.csv" in html and "report.pdf" in html and "&lt;iframe" in html
        assert html.count("<h1") == 1


def test_report_pdf_card_and_twins(anonymous: TestClient, evaluated: dict[str, int]) -> None:
    url = f"{PAGES}/{evaluated['item']}/evaluations/{evaluated['run']}"
    report = anonymous.get(f"{url}/report.html?lang=de")
    assert (
        report.status_code == 200
        and 'href="/impact/report.css"' in report.text
        and "<style" not in report.text
    )
    assert anonymous.get("/impact/report.css").headers["content-type"].startswith("text/css")
    pdf = anonymous.get(f"{url}/report.pdf?lang=en")
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and pdf.headers["content-type"] == "application/pdf"
    )
    card = anonymous.get(f"{url}/card?lang=en")
    assert card.status_code == 200 and "bc-result-card" in card.text and 'target="_top"' in card.text
    assert card.headers["content-security-policy"] == security.EMBEDDABLE_CONTENT_SECURITY_POLICY
    assert "x-frame-options" not in card.headers and "<script" not in card.text
    page = anonymous.get(url)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert anonymous.get(f"{url}/card.json").json()["run"] == evaluated["run"]
    twin = anonymous.get(f"{url}.json").json()
    api = anonymous.get(f"/api{url}").json()
    assert twin == api and twin["result"]["verdict"] == "better"
    assert (
        anonymous.get(f"{PAGES}/{evaluated['item']}.json").json()
        == anonymous.get(f"/api{PAGES}/{evaluated['item']}").json()
    )
    assert anonymous.get(f"{PAGES}.json").json() == anonymous.get(f"/api{PAGES}").json()


def test_unknown_ids_answer_404_and_huge_ones_422(anonymous: TestClient, evaluated: dict[str, int]) -> None:
    assert anonymous.get(f"{PAGES}/99999").status_code == 404
    assert anonymous.get(f"{PAGES}/{evaluated['item']}/evaluations/99999").status_code == 404
    assert anonymous.get(f"{PAGES}/{2**64}").status_code == 422
    assert re.search(r"\d", str(evaluated["run"]))


def test_a_departure_from_the_plan_is_said_in_the_reader_s_language(
    served: Any, anonymous: TestClient, evaluated: dict[str, int]
) -> None:
    from bettercities.impact import evaluation
    from bettercities.impact.register_schemas import RunIn

    with served.workspace.database.session() as session:
        run_id = evaluation.evaluate(
            session, SLUG, evaluated["item"], RunIn(design="twfe", comparison=["D09", "D10"]), actor="t"
        )
    url = f"{PAGES}/{evaluated['item']}/evaluations/{run_id}"
    de = text(anonymous.get(f"{url}?lang=de"))
    assert "Diese Evaluation ist dem vor ihr registrierten Plan nicht gefolgt." in de
    assert "Design: im Plan Differenz-von-Differenzen, in der Evaluation Zwei-Wege-Fixed-Effects" in de
    assert (
        "Vergleichsgebiete: im Plan die übrigen Gebiete der Ebene, in der Evaluation 2 Vergleichsgebiete"
        in de
    )
    en = text(anonymous.get(f"{url}?lang=en"))
    assert "design: planned difference in differences, run with two-way fixed effects" in en
    first = text(anonymous.get(f"{PAGES}/{evaluated['item']}/evaluations/{evaluated['run']}?lang=de"))
    assert "Ausgelassen, weil in einem Zeitraum ein verwendbarer Wert fehlt: D02." in first
    assert "zurückgehaltene oder geschützte Werte wurden nicht verwendet: 1." in first


@pytest.mark.parametrize(
    ("lang", "typed", "cents"),
    [
        ("de", "1.500", 150_000),  # German thousands: 1500 EUR, not 1.5
        ("de", "1.500.000,50", 150_000_050),
        ("de", "1500,50", 150_050),
        ("en", "1,500.50", 150_050),
        ("en", "1,500", 150_000),
        ("en", "99.5", 9_950),
    ],
)
def test_the_form_reads_a_budget_as_german_or_english_writes_it(
    steward: TestClient, lang: str, typed: str, cents: int
) -> None:
    """The register form's budget through web.formatting.parse_amount: what is stored in cents."""
    page = steward.get(f"{PAGES}?lang={lang}")
    form = {"csrf_token": csrf_of(page.text), "name": f"Budget {lang} {typed}", "areas": "D01",
            "start_period": "2020", "responsible_unit": "Kämmerei", "budget": typed}  # fmt: skip
    added = steward.post(f"{PAGES}?lang={lang}", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    item = added.headers["location"].split("/")[-1].split("?")[0]
    assert steward.get(f"/api{PAGES}/{item}").json()["budget_cents"] == cents
