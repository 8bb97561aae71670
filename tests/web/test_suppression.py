"""A suppressed cell's value, numerator and denominator appear in no page, JSON twin or API answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.citybuilder import SECRET_DENOMINATOR, SECRET_NUMERATOR, SECRET_VALUE
from tests.web.conftest import SUPPRESSED

INDICATOR, AREA, PERIOD = SUPPRESSED


def secrets() -> list[str]:
    """Every way the hidden numbers could be written (English and German, rounded or not)."""
    texts = set()
    for number in (SECRET_VALUE, SECRET_NUMERATOR, SECRET_DENOMINATOR):
        for decimals in (0, 1, 2, 3):
            text = f"{number:,.{decimals}f}"
            if decimals == 0 and number < 1000:
                continue  # "78" is too short to mean anything
            texts.add(text)
            texts.add(text.translate(str.maketrans({",": ".", ".": ","})))
        texts.add(repr(number))
    return sorted(texts)


URLS = [
    "/",
    "/index.json",
    f"/cities/testville?indicator={INDICATOR}&period={PERIOD}",
    f"/cities/testville.json?indicator={INDICATOR}&period={PERIOD}",
    f"/cities/testville?indicator={INDICATOR}&period={PERIOD}&level=district",
    f"/cities/testville.json?indicator={INDICATOR}&period={PERIOD}&level=district",
    f"/cities/testville?indicator={INDICATOR}&period={PERIOD}&classes=natural_breaks",
    f"/cities/testville?indicator={INDICATOR}&period={PERIOD}&classes=equal_interval&lang=en",
    f"/cities/testville/areas/{AREA}",
    f"/cities/testville/areas/{AREA}.json",
    f"/cities/testville/areas/{AREA}?lang=en",
    "/cities/testville/areas/01.json",
    f"/cities/testville/indicators/{INDICATOR}?period={PERIOD}",
    f"/cities/testville/indicators/{INDICATOR}.json?period={PERIOD}",
    f"/cities/testville/indicators/{INDICATOR}.json?period={PERIOD}&level=district",
    f"/api/cities/testville/observations?indicator={INDICATOR}&period={PERIOD}&page_size=5",
    f"/api/cities/testville/observations?indicator={INDICATOR}&period={PERIOD}&page=2&page_size=5",
    f"/api/cities/testville/observations?indicator={INDICATOR}&period={PERIOD}&level=district",
    f"/api/cities/testville/series?indicator={INDICATOR}&area={AREA}",
    f"/api/cities/testville/series?indicator={INDICATOR}&area=01",
    f"/api/cities/testville/series?indicator={INDICATOR}",
]


@pytest.mark.parametrize("url", URLS)
def test_suppressed_value_never_published(sqlite_client: TestClient, url: str) -> None:
    response = sqlite_client.get(url)
    assert response.status_code == 200, response.text[:500]
    leaks = [text for text in secrets() if text in response.text]
    assert not leaks, f"{url} shows {leaks}"


def test_suppressed_cell_is_marked_not_hidden(sqlite_client: TestClient) -> None:
    """Withholding is honest: the cell is shown as withheld, not silently dropped."""
    body = sqlite_client.get(f"/cities/testville.json?indicator={INDICATOR}&period={PERIOD}").json()
    cell = next(a for a in body["map"]["areas"] if a["code"] == AREA)
    assert cell["suppressed"] is True and cell["value"] is None and cell["class_index"] is None
    # 0101 is withheld beside it (secondary suppression: otherwise its district's total would reveal it)
    assert body["summary"]["suppressed"] == 2 and body["summary"]["with_value"] == 6
    page = sqlite_client.get(f"/cities/testville?indicator={INDICATOR}&period={PERIOD}")
    assert "Planungsraum 0102: geheim gehalten (2022)" in page.text
