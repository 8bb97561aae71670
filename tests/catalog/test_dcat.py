"""Acceptance: the demo city's catalogue (Turtle) conforms to DCAT-AP 3.0.1 and DCAT-AP.de 3.0 by pyshacl,
with the official shapes; a dataset without a description makes the check fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph

from bettercities.areas import service as areas
from bettercities.catalog import approval, dcat, service
from bettercities.catalog.schemas import DatasetSpec
from bettercities.demo.generator import _CITY_SLUG as DEMO
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.catalog.conftest import BACKGROUND, DCAT_AP_301, DCAT_AP_DE, LICENCES

pytest.importorskip("pyshacl")

SETS = {"DCAT-AP 3.0.1": (DCAT_AP_301, []), "DCAT-AP.de 3.0": (DCAT_AP_DE, [LICENCES])}


def check(turtle: str, name: str) -> dcat.ShaclResult:
    shapes, extra = SETS[name]
    graph = Graph().parse(data=turtle, format="turtle")
    result = dcat.validate(graph, shapes, ontologies=BACKGROUND, extra_data=extra)
    print(f"\n{name}: conforms={result.conforms}, {len(result.violations)} violations, "
          f"{len(result.warnings)} warnings")  # fmt: skip
    for line in result.violations:
        print("  violation:", line)
    for line in result.warnings:
        print("  warning:", line)
    return result


def demo_turtle(ws: Workspace) -> str:
    with ws.database.reader() as session:
        return dcat.export(session, DEMO, fmt="ttl", base_url="https://bettercities.example")


@pytest.mark.parametrize("name", SETS)
def test_demo_catalogue_conforms(demo_workspace: Workspace, standards: Path, name: str) -> None:
    turtle = demo_turtle(demo_workspace)
    assert turtle.count("a dcat:Dataset") == 5
    result = check(turtle, name)
    assert result.conforms, result.violations
    assert not result.violations


@pytest.mark.parametrize("name", SETS)
def test_dataset_without_description_fails(demo_workspace: Workspace, standards: Path, name: str) -> None:
    with demo_workspace.database.session() as session:
        city = areas.get_city(session, DEMO)
        spec = service.show_dataset(session, DEMO, "population")
        bare = DatasetSpec.model_validate(
            spec.model_dump(include=set(DatasetSpec.model_fields))
            | {"code": "undescribed", "description_de": None, "description_en": None}
        )
        service.add_dataset(session, city, bare)
        for action in ("submit", "approve", "publish"):
            approval.transition(session, DEMO, "undescribed", action, user="test")
        turtle = dcat.export(session, DEMO, fmt="ttl", base_url="https://bettercities.example")
        session.rollback()
    result = check(turtle, name)
    assert not result.conforms
    assert any("undescribed" in v and "description" in v for v in result.violations), result.violations


def test_jsonld_carries_the_same_graph(demo_workspace: Workspace) -> None:
    with demo_workspace.database.reader() as session:
        jsonld = dcat.export(session, DEMO, fmt="jsonld", base_url="https://x.example")
        turtle = dcat.export(session, DEMO, fmt="ttl", base_url="https://x.example")
    json.loads(jsonld)
    a, b = Graph().parse(data=jsonld, format="json-ld"), Graph().parse(data=turtle, format="turtle")
    assert len(a) == len(b) > 100


def test_single_dataset_export_and_audiences(demo_workspace: Workspace) -> None:
    with demo_workspace.database.session() as session:
        one = dcat.export(session, DEMO, fmt="ttl", code="labour-market")
        assert one.count("a dcat:Dataset") == 1 and "dcat:Catalog" not in one
        approval.transition(session, DEMO, "labour-market", "unlock", user="test", reason="correction")
        public = dcat.export(session, DEMO, fmt="ttl")
        internal = dcat.export(session, DEMO, fmt="ttl", audience=Audience.INTERNAL)
        session.rollback()
    assert "labour-market>" not in public
    assert "labour-market>" in internal
