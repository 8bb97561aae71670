"""Fixtures of the catalogue tests: the demo city (small, on SQLite, built once per module) and the
official DCAT-AP / DCAT-AP.de shapes, carried in ``tests/data/dcat-ap`` (sources and licences in its
SOURCES.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bettercities.storage.workspace import Workspace
from tests.support.demos import built_demo

STANDARDS = Path(__file__).resolve().parents[1] / "data" / "dcat-ap"
SEMIC = STANDARDS / "semic-dcat-ap-3.0.1"
DE = STANDARDS / "dcat-ap-de-3.0"

#: DCAT-AP 3.0.1 "full offline": core, ranges, recommended, deprecated (ITB "Full" without imports.ttl).
DCAT_AP_301 = [SEMIC / f for f in ("shapes.ttl", "range.ttl", "shapes_recommended.ttl", "deprecateduris.ttl")]
#: DCAT-AP.de 3.0 (GovData profile v30_de_spec without the owl:imports file), on SEMIC 3.0.0.
DCAT_AP_DE = [
    STANDARDS / "semic-dcat-ap-3.0.0" / "dcat-ap-SHACL.ttl",
    *(
        DE / f
        for f in (
            "dcat-ap-SHACL-DE.ttl",
            "dcat-ap-de-deprecated.ttl",
            "dcat-ap-spec-german-additions.ttl",
            "dcat-ap-de-controlledvocabularies.ttl",
        )
    ),
]
#: Background ontologies (subclass relations of FOAF, vCard, ORG).
BACKGROUND = [STANDARDS / "background" / f for f in ("foaf_0_1.rdf", "vcard.ttl", "org.ttl")]
#: The dcat-ap.de licence list, a second data graph for the DE vocabulary shapes.
LICENCES = DE / "vocab" / "dcat-ap-de-licenses-open.rdf"


@pytest.fixture(scope="session")
def standards() -> Path:
    if not STANDARDS.is_dir():
        pytest.fail(f"DCAT-AP shapes not found at {STANDARDS}")
    return STANDARDS


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The demo city with its catalogue (fewer areas and years than the full demo; same catalogue)."""
    ws, _ = built_demo(
        tmp_path_factory,
        tmp_path_factory.mktemp("demo") / "workspace",
        n_planning_areas=60,
        first_year=2021,
        last_year=2024,
    )
    yield ws
    ws.close()
