"""The demo's impact logic of #vernetztinEuropa on a workspace that holds the programme and its six tandems
(as the networks step leaves them, without the registry): boxes in all five stages, the tandems counted
from the stored networks, the manual value with its source; a second run adds nothing."""

from __future__ import annotations

from datetime import date

import pytest

from bettercities import networks
from bettercities.demo.impact_logic import PROGRAMME, load_impact_logic
from bettercities.impact_logic import service
from bettercities.networks.schemas import ProgrammeIn
from bettercities.storage.workspace import Workspace


def test_demo_logic_is_idempotent(tmp_path_factory: pytest.TempPathFactory) -> None:
    ws = Workspace.init(tmp_path_factory.mktemp("impact-logic-demo"))
    assert not load_impact_logic(ws).built  # no programme yet: nothing to add to
    with ws.database.session() as session:
        networks.create_programme(
            session, ProgrammeIn(slug=PROGRAMME, name="#vernetztinEuropa", start=date(2022, 5, 17),
                                 end=date(2024, 12, 31)),
        )  # fmt: skip
        for i in range(6):
            networks.create_network(
                session, f"tandem-{i}", name_de=f"Tandem {i}", name_en=f"Tandem {i}", programme=PROGRAMME,
                kind="tandem", start=date(2022, 5, 17), end=date(2024, 12, 31),
            )  # fmt: skip
    first = load_impact_logic(ws)
    assert (first.built, first.boxes, first.links, first.measures) == (True, 8, 11, 8)
    assert not load_impact_logic(ws).built
    with ws.database.reader() as session:
        result = service.logic(session, PROGRAMME)
    assert {b.stage.value for b in result.boxes} == {"inputs", "activities", "outputs", "outcomes", "impact"}
    measures = {m.key: m for b in result.boxes for m in b.measures}
    assert (measures["tandems-formed"].current, measures["tandems-formed"].target) == (6, 6)
    assert measures["tandems-selected"].current == 6 and "project page" in (
        measures["tandems-selected"].source or ""
    )
    assert measures["continuing"].current is None  # no value known, none invented
    ws.close()
