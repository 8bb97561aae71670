"""Links of the catalogue are http(s), mailto or paths of the app (issue 10, reproduction 7: a
``javascript:`` URL was accepted as a distribution link and went into the DCAT RDF)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bettercities.catalog.schemas import DatasetSpec, DistributionSpec
from bettercities.catalog.service import load_specs
from bettercities.core.errors import InvalidInput

DATASET = {"code": "d", "title_de": "D", "title_en": "D", "publisher": "Amt"}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(document.cookie)",
        "java\nscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "//evil.example/x",
        "http:/no-host",
        "",
    ],
)
def test_a_link_that_is_not_http_mailto_or_a_path_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="link"):
        DistributionSpec(title="t", format="CSV", access_url=url)
    with pytest.raises(ValidationError, match="link"):
        DatasetSpec(**DATASET, publisher_uri=url or "x")


@pytest.mark.parametrize(
    "url",
    [
        "https://daten.berlin.de/x.csv",
        "http://example.org",
        "mailto:daten@berlin.de",
        "/api/cities/b/observations",
    ],
)
def test_http_mailto_and_paths_of_the_app_are_links(url: str) -> None:
    assert DistributionSpec(title="t", format="CSV", access_url=url).access_url == url
    assert DatasetSpec(**DATASET, publisher_uri=url).publisher_uri == url


def test_a_catalogue_file_with_a_javascript_link_adds_nothing(tmp_path: Path) -> None:
    entry = {
        **DATASET,
        "distributions": [{"title": "t", "format": "CSV", "access_url": "javascript:alert(1)"}],
    }
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump([entry]), encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_specs(path)
    [problem] = refused.value.report.problems  # type: ignore[union-attr]
    assert problem.code == "invalid-dataset" and problem.row == 1
    assert "javascript" in problem.message
