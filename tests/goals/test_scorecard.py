"""The public scorecard and its JSON twin (acceptance: every public goal with its status; a goal on a
restricted indicator is not on the public scorecard, tested with the anonymous principal), its counts, small
charts and print styles, and the goal chart's drawing (baseline, trajectory, target point, withheld baseline).

The city and goals are those of ``tests/goals/test_pages.py`` (one module-scoped SQLite fixture each).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bettercities.access.policy import ANONYMOUS, Principal, Role
from bettercities.areas import service as areas
from bettercities.figures.goals import ChartWords, goal_chart
from bettercities.goals import queries
from bettercities.goals.schemas import Baseline, GoalSeries, SeriesPoint
from bettercities.views.reader import Reader
from bettercities.web.templating import static_url
from tests.goals.test_pages import SLUG, Served, text
from tests.goals.test_pages import served as served
from tests.web.citybuilder import SECRET_VALUE
from tests.web.conftest import sign_in


@pytest.fixture
def anonymous(served: Served) -> Iterator[TestClient]:
    with TestClient(served.client.app) as client:
        yield client


def test_the_public_scorecard_is_the_anonymous_principal_s(anonymous: TestClient, served: Served) -> None:
    card = anonymous.get(f"/cities/{SLUG}/scorecard.json").json()
    with served.workspace.database.reader() as session:
        expected = queries.scorecard(
            Reader(session, served.client.app.state.caches, principal=ANONYMOUS), SLUG
        )
    assert card == expected.model_dump(mode="json")
    ids = [g["id"] for g in card["goals"]]
    assert served.ids["down"] in ids and served.ids["hidden"] in ids
    assert served.ids["green"] not in ids  # green space is restricted: not on the public scorecard
    html = text(anonymous.get(f"/cities/{SLUG}/scorecard?lang=en"))
    assert "Mehr Grün" not in html and "Weniger Arbeitslose" in html
    assert f'data-goal="{served.ids["green"]}"' not in html


def test_a_member_s_scorecard_holds_the_restricted_goal(served: Served) -> None:
    with served.workspace.database.reader() as session:
        city_id = areas.get_city(session, SLUG).id
        member = Principal(user_id=1, name="member", city_roles={city_id: Role.VIEWER})
        ids = [
            g.id
            for g in queries.scorecard(
                Reader(session, served.client.app.state.caches, principal=member), SLUG
            ).goals
        ]
    assert served.ids["green"] in ids
    with TestClient(served.client.app) as client:
        sign_in(client, "member")
        html = client.get(f"/cities/{SLUG}/scorecard?lang=en").text
    assert "Mehr Grün" in html


def test_counts_by_status_agree_with_the_goals(anonymous: TestClient) -> None:
    card = anonymous.get(f"/cities/{SLUG}/scorecard.json").json()
    by_hand = Counter(g["status"] or "withheld" for g in card["goals"])
    assert {k: v for k, v in card["counts"].items() if v} == dict(by_hand)
    html = anonymous.get(f"/cities/{SLUG}/scorecard?lang=en").text
    assert f'data-count="all">{len(card["goals"])}<' in html
    for status, count in by_hand.items():
        assert f'data-count="{status}">{count}<' in html


def test_each_goal_has_its_status_in_words_and_a_small_chart(anonymous: TestClient, served: Served) -> None:
    for lang, words in (("en", "off track"), ("de", "nicht auf Kurs")):
        html = text(anonymous.get(f"/cities/{SLUG}/scorecard?lang={lang}"))
        article = html[html.index(f'data-goal="{served.ids["down"]}"') :]
        article = article[: article.index("</article>")]
        assert 'data-status="off_track"' in article and words in article
        svg = article[article.index("<svg") : article.index("</svg>")]
        assert 'role="img"' in svg and "<desc" in svg and 'class="trajectory"' in svg
    assert 'id="scorecard-counts"' in html and "Zielbilanz Testville" in html


def test_the_scorecard_is_printable(anonymous: TestClient) -> None:
    html = anonymous.get(f"/cities/{SLUG}/scorecard").text
    assert static_url("css/goals.css") in html
    css = anonymous.get("/static/css/goals.css").text
    assert "@media print" in css and "break-inside: avoid" in css
    main = anonymous.get("/static/css/bettercities.css").text  # the site's header and links are not printed
    assert ".site-header" in main[main.index("@media print") :]


def test_an_unknown_city_has_no_scorecard(anonymous: TestClient) -> None:
    assert anonymous.get("/cities/nowhere/scorecard").status_code == 404
    assert anonymous.get("/cities/nowhere/scorecard.json").status_code == 404


# -- the chart ---------------------------------------------------------------------------------------------

WORDS = ChartWords(
    title="T",
    description="D",
    group="areas",
    baseline="baseline",
    trajectory="path",
    target="goal",
    city="city",
)


def _series(baseline: float | None) -> GoalSeries:
    rows = (("2020", 2020, baseline, 30.0), ("2022", 2022, 16.0, 28.0))
    points = [
        SeriesPoint(period=p, end_date=date(y, 12, 31), value=v, trajectory=v, target=10.0, city_total=c)
        for p, y, v, c in rows
    ]
    return GoalSeries(
        goal_id=1, indicator="x", unit="%", baseline=Baseline(value=baseline, period="2020", revision=1),
        target_value=10.0, deadline=date(2024, 12, 31), points=points,
    )  # fmt: skip


def test_the_trajectory_runs_from_the_baseline_to_the_target_at_the_deadline() -> None:
    """Baseline 20 at the end of 2020, target 10 at the end of 2024: by hand the line passes 15 at the end of
    2022 (730 of 1461 days: 20 - 10 x 730 / 1461 = 15.003); on the chart the trajectory starts at the
    baseline ring's centre and ends at the target diamond's centre, and the 2022 value 16 lies above it."""
    svg = goal_chart(_series(20.0), fmt=lambda v: f"{v:g}", words=WORDS)
    ring = re.search(r'class="baseline"[^>]*><circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    line = re.search(
        r'class="trajectory"[^>]*><line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"', svg
    )
    diamond = re.search(r'class="target"[^>]*>.*?transform="rotate\(45 ([\d.]+) ([\d.]+)\)"', svg)
    assert ring and line and diamond
    assert (line.group(1), line.group(2)) == ring.groups()
    assert (line.group(3), line.group(4)) == diamond.groups()
    x1, y1, x2, y2 = map(float, line.groups())
    halfway_x = x1 + (x2 - x1) * 730 / 1461
    dots = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="3.5" fill="#0072b2">', svg)
    # the 2022 dot sits at the half-way x, and above (a smaller y than) the line's 15.003 there
    [(_, cy)] = [(x, float(y)) for x, y in dots if abs(float(x) - halfway_x) < 0.2]
    assert cy < y1 + (y2 - y1) * 730 / 1461
    assert "goal 2024-12-31: 10" in svg and "baseline 2020: 20" in svg
    assert [m for m in re.findall(r'data-label="([^"]+)"', svg) if m in {"areas", "path", "goal", "city"}]


def test_a_withheld_baseline_draws_neither_ring_nor_trajectory() -> None:
    svg = goal_chart(_series(None), fmt=lambda v: f"{v:g}", words=WORDS)
    assert 'class="baseline"' not in svg and 'class="trajectory"' not in svg
    assert 'class="target"' in svg and "areas 2022: 16" in svg


def test_the_compact_chart_keeps_title_and_description() -> None:
    svg = goal_chart(_series(20.0), fmt=str, words=WORDS, compact=True, width=220, height=64, id_prefix="g7")
    assert 'aria-labelledby="g7-title g7-desc"' in svg and '<desc id="g7-desc">D</desc>' in svg
    assert "chart-legend" not in svg  # the scorecard says it in words beside the chart


def test_the_scorecard_is_compressed_once_and_reads_the_same(anonymous: TestClient) -> None:
    for url in (f"/cities/{SLUG}/scorecard?lang=en", f"/cities/{SLUG}/scorecard.json"):
        plain = anonymous.get(url, headers={"Accept-Encoding": "identity"})
        packed = anonymous.get(url, headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
        assert packed.content == plain.content  # httpx decodes the gzip body
    anonymous.cookies.clear()  # the ?lang=en above left its cookie, which comes before Accept-Language
    german = anonymous.get(f"/cities/{SLUG}/scorecard", headers={"Accept-Language": "de"}).text
    assert "Zielbilanz" in german  # the language is part of the memo's key, not only the query string


# -- the scorecard as PDF ----------------------------------------------------------------------------------

POPPLER = shutil.which("pdftotext") is not None


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text (poppler's pdftotext), with the narrow no-break spaces of numbers as plain spaces."""
    path = tmp_path / "scorecard.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext) missing: scripts/install-system-deps")
@pytest.mark.parametrize(
    ("lang", "title", "status"),
    [("de", "Zielbilanz Testville", "nicht auf Kurs"), ("en", "Scorecard of Testville", "off track")],
)
def test_the_scorecard_as_pdf_shows_the_public_goals_only(
    anonymous: TestClient, served: Served, tmp_path: Path, lang: str, title: str, status: str
) -> None:
    page = anonymous.get(f"/cities/{SLUG}/scorecard?lang={lang}").text
    assert f'href="/cities/{SLUG}/scorecard.pdf?lang={lang}"' in page  # the page offers it
    response = anonymous.get(f"/cities/{SLUG}/scorecard.pdf?lang={lang}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    shown = pdf_text(response.content, tmp_path)
    assert title in shown and status in shown
    assert "Weniger Arbeitslose" in shown and "Arbeitslose 0101/0102" in shown
    assert "Mehr Grün" not in shown  # a goal on a restricted indicator: not on the public scorecard
    secret = f"{SECRET_VALUE:.3f}"  # the suppressed cell (77.777) in either notation, nor a rounding of it
    for withheld in (secret, secret.replace(".", ","), "77,8", "77.8"):
        assert withheld not in shown


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext) missing: scripts/install-system-deps")
def test_a_member_s_scorecard_pdf_holds_the_restricted_goal(served: Served, tmp_path: Path) -> None:
    with TestClient(served.client.app) as client:
        sign_in(client, "member")
        shown = pdf_text(client.get(f"/cities/{SLUG}/scorecard.pdf?lang=de").content, tmp_path)
    assert "Mehr Grün" in shown


def test_an_unknown_city_has_no_scorecard_pdf(anonymous: TestClient) -> None:
    assert anonymous.get("/cities/nowhere/scorecard.pdf").status_code == 404


def test_the_cache_warmer_computes_the_public_scorecard(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """web/app.warm_up runs the goals pages' hook: the first anonymous visit of the scorecard finds every
    goal's progress computed (a first view took ~1 s on the demo city)."""
    from bettercities.web import app as web_app

    application = served.client.app
    application.state.caches.clear()  # type: ignore[attr-defined]
    computed: list[str] = []
    scorecard = queries.scorecard

    def counted(reader: Reader, slug: str):  # type: ignore[no-untyped-def]
        computed.append(slug)
        return scorecard(reader, slug)

    monkeypatch.setattr(queries, "scorecard", counted)
    web_app.warm_up(application)  # type: ignore[arg-type]
    assert computed == [SLUG]
    with TestClient(application) as client:
        assert client.get(f"/cities/{SLUG}/scorecard.json").status_code == 200
    assert computed == [SLUG], "the visit found the warmed scorecard"
