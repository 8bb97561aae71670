"""The demo city keeps its catalogue's promise ("Fälle unter 3 werden geheim gehalten"): it stores the rule
and declares only relations that hold in its generated data.

The relations are checked against the generator's own observation table (independently of the privacy
code): for every planning area and year the counts named by the relation add up exactly.
"""

from __future__ import annotations

import pandas as pd
import pytest

from bettercities.areas import service as areas
from bettercities.catalog import service as catalog
from bettercities.demo.catalog import RELATIONS
from bettercities.demo.generator import generate_demo_city
from bettercities.demo.service import build_demo
from bettercities.privacy import service as privacy
from bettercities.storage.workspace import Workspace

#: A small demo keeps the test cheap (the rule and relations do not depend on its size).
SIZE = {"seed": 11, "n_planning_areas": 80, "first_year": 2023, "last_year": 2024}


def quantities(observations: pd.DataFrame) -> pd.DataFrame:
    """Every count the demo stores, by (area, period): sum indicators' values, ratios' numerators and
    denominators under their quantity codes."""
    from bettercities.demo.schemas import DEMO_INDICATORS

    columns: dict[str, pd.Series] = {}
    for indicator in DEMO_INDICATORS:
        rows = observations[observations["indicator_code"] == indicator.code].set_index(
            ["area_code", "period_code"]
        )
        if indicator.aggregation == "sum":
            columns[indicator.code] = rows["value"]
        elif indicator.aggregation == "ratio":
            assert indicator.numerator_code and indicator.denominator_code
            columns[indicator.numerator_code] = rows["numerator"]
            columns[indicator.denominator_code] = rows["denominator"]
    return pd.DataFrame(columns)


def test_the_declared_relations_hold_in_the_generated_data() -> None:
    table = quantities(generate_demo_city(**SIZE).observations)
    assert len(table) == 2 * 80
    for total, parts in RELATIONS:
        assert set(parts) | {total} <= set(table.columns), (total, parts)
        difference = table[total] - table[list(parts)].sum(axis=1)
        assert (difference == 0).all(), (total, parts, difference[difference != 0].head())
    # and the one left out on purpose does not hold: recipients under 15 are only a part of all recipients
    assert (table["sgb2_recipients"] > table["sgb2_recipients_under_15"]).any()


def test_the_demo_stores_its_rule_and_relations(sqlite_workspace: Workspace) -> None:
    build_demo(sqlite_workspace, **SIZE)
    with sqlite_workspace.database.reader() as session:
        city = areas.get_city(session, "auenstedt")
        [rule] = privacy.list_rules(session, city)
        assert rule.id is not None, "the demo's rule is stored, not the built-in default"
        expected = ("default", "suppression", 3, False)
        assert (rule.scope, rule.method.value, rule.threshold, rule.zeros) == expected
        declared = {(r.total, tuple(r.parts)) for r in privacy.list_relations(session, city)}
        assert declared == {(total, tuple(sorted(parts))) for total, parts in RELATIONS}
        notes = {d.method_notes for d in catalog.list_datasets(session, city)}
        assert all(note and "Fälle unter 3 werden geheim gehalten" in note for note in notes)


@pytest.mark.parametrize("relation", RELATIONS, ids=lambda r: r[0])
def test_relations_name_only_stored_quantities(relation: tuple[str, tuple[str, ...]]) -> None:
    from bettercities.demo.schemas import DEMO_INDICATORS

    stored = {i.code for i in DEMO_INDICATORS if i.aggregation == "sum"}
    stored |= {c for i in DEMO_INDICATORS for c in (i.numerator_code, i.denominator_code) if c}
    total, parts = relation
    assert {total, *parts} <= stored
