"""Change of classes between stored runs: transition matrices, also through a crosswalk."""

from __future__ import annotations

from collections import Counter

import pytest

from bettercities.analysis.index.change import compare_runs, largest_overlap, transition_matrix
from bettercities.analysis.index.inputs import index_input
from bettercities.analysis.index.results import get_run, run_index, store_result
from bettercities.analysis.index.service import compute_index
from bettercities.areas import service as areas
from bettercities.areas.schemas import CrosswalkEntrySpec
from bettercities.storage.workspace import Workspace
from tests.support.mss_runs import LEVEL, PERIOD

INDICATORS = [
    "s1_percentage_unemployed",
    "s3_percentage_transfer_payments_recipients",
    "s4_percentage_transfer_payments_recipients_below_15_years",
    "d1_percentage_unemployed",
    "d3_percentage_transfer_payments_recipients",
    "d4_percentage_transfer_payments_recipients_below_15_years",
]


def test_transition_matrix_counts_pairs_classed_in_both() -> None:
    matrix = transition_matrix(["1", "1", "2", None, "3"], ["1", "2", "2", "1", None], ["1", "2", "3"])
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert largest_overlap([("b", "x", 0.5), ("a", "x", 0.5)]) == {"x": "a"}  # ties: lowest code


@pytest.fixture
def two_runs(sqlite_berlin_2019: Workspace) -> tuple[Workspace, int, int]:
    """The 2019 run and a fictitious later edition in which 01011101's unemployment share is tripled."""
    sqlite_workspace = sqlite_berlin_2019
    with sqlite_workspace.database.session() as session:
        first = run_index(session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD)
        data = index_input(session, "berlin", level=LEVEL, period=PERIOD, indicators=INDICATORS)
        frame = data.frame.copy()
        row = frame["area_id"] == "01011101"
        frame.loc[row, "s1_percentage_unemployed"] *= 6
        frame.loc[row, "d1_percentage_unemployed"] += 5
        later = compute_index(
            frame, config="berlin-mss-2019", id_column="area_id", population_column="inhabitants"
        )
        second = store_result(
            session, areas.get_city(session, "berlin"), later, name="later", inputs=data.provenance
        )
        second_id = second.id
    return sqlite_workspace, first.id, second_id


def test_compare_two_editions(two_runs: tuple[Workspace, int, int]) -> None:
    ws, first, second = two_runs
    with ws.database.reader() as session:
        change = compare_runs(session, first, second)
        before, after = get_run(session, first), get_run(session, second)
    old = {a.area_id: a.status_class for a in before.result.scored}
    new = {a.area_id: a.status_class for a in after.result.scored}
    status = next(t for t in change.transitions if t.part == "status")
    assert sum(map(sum, status.matrix)) == 436
    assert status.changed == sum(old[k] != new[k] for k in old)
    moved = {c.area_id: c for c in change.areas if c.changed}
    assert moved["01011101"].before["status"] == "2" and moved["01011101"].after["status"] in {"3", "4"}
    assert status.codes == ["1", "2", "3", "4"] and len(change.transitions[1].matrix) == 3


def test_compare_across_a_crosswalk(two_runs: tuple[Workspace, int, int]) -> None:
    ws, first, second = two_runs
    # 01011103 (5038 inhabitants) is split half into itself, half into 01011101 (3384): 01011101 keeps
    # its own class (3384 > 2519 people); 01011104 (4759) is merged entirely into 01011105 (1421), which
    # takes 01011104's class (largest overlap).
    with ws.database.session() as session:
        city = areas.get_city(session, "berlin")
        level = areas.get_level(session, city, LEVEL)
        codes = sorted(areas.area_codes(session, level))
        entries = [
            CrosswalkEntrySpec(source_code=c, target_code=c, weight=1.0)
            for c in codes
            if c not in {"01011103", "01011104"}
        ]
        entries += [
            CrosswalkEntrySpec(source_code="01011103", target_code="01011103", weight=0.5),
            CrosswalkEntrySpec(source_code="01011103", target_code="01011101", weight=0.5),
            CrosswalkEntrySpec(source_code="01011104", target_code="01011105", weight=1.0),
        ]
        areas.create_crosswalk(session, city, "test-walk", level, level, entries)
    with ws.database.reader() as session:
        change = compare_runs(session, first, second, crosswalk="test-walk")
        before = get_run(session, first)
    old = {a.area_id: a.status_class for a in before.result.areas}
    by_code = {c.area_id: c for c in change.areas}
    assert by_code["01011105"].source == "01011104"
    assert by_code["01011105"].before["status"] == old["01011104"]
    assert by_code["01011101"].source == "01011101"
    assert "01011104" not in by_code  # no old area carried into it
    assert Counter(c.source for c in change.areas)["01011103"] == 1
