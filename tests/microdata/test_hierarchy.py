"""The ancestor table (microdata.service._hierarchy, built column-wise) against a plain walk up the parent
links written here, on the demo city before and after its boundary change, and with a cycle in the links."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area
from bettercities.microdata.schemas import load_spec
from bettercities.microdata.service import _hierarchy
from bettercities.storage.workspace import Workspace
from tests.support.demos import built_demo

SPEC = Path(__file__).parents[2] / "src/bettercities/microdata/examples/register.yaml"


def walk(session: Session, slug: str, level: str, at: date) -> pd.DataFrame:
    """Each area of ``level`` valid at ``at``, then its parent, grandparent … while valid and not seen."""
    city = areas.get_city(session, slug)
    codes = {lv.id: lv.code for lv in city.levels}
    rows = session.execute(
        select(Area.id, Area.code, Area.level_id, Area.parent_id).where(
            Area.city_id == city.id, *areas.valid_at(at)
        )
    ).all()
    by_id = {r.id: r for r in rows}
    out = []
    for row in rows:
        if codes[row.level_id] != level:
            continue
        node, seen = row.id, set()
        while node in by_id and node not in seen:
            seen.add(node)
            out.append((row.code, codes[by_id[node].level_id], by_id[node].code))
            node = by_id[node].parent_id
    return pd.DataFrame(out, columns=["leaf", "level", "area"]).astype(str)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    folder = tmp_path_factory.mktemp("hierarchy") / "workspace"
    workspace, summary = built_demo(
        tmp_path_factory, folder, seed=3, n_planning_areas=60, first_year=2024, last_year=2024
    )
    return workspace, summary.city


@pytest.mark.parametrize("at", [date(2024, 6, 30), date(2025, 12, 31)])
def test_ancestor_table_equals_a_walk(demo: tuple[Workspace, str], at: date) -> None:
    workspace, slug = demo
    spec = load_spec(SPEC)
    with workspace.database.reader() as session:
        found = _hierarchy(session, areas.get_city(session, slug), spec, at)
        expected = walk(session, slug, "planning_area", at)
    assert len(expected) > 60  # every planning area with its region, district …
    pd.testing.assert_frame_equal(found.ancestors, expected)
    assert found.levels[0] == "planning_area"
    assert set(found.levels) == set(expected["level"])


def test_a_cycle_in_the_parent_links_ends_the_chain(demo: tuple[Workspace, str]) -> None:
    workspace, slug = demo
    at = date(2025, 12, 31)
    spec = load_spec(SPEC)
    with workspace.database.session() as session:  # rolled back below: the module's city stays as built
        city = areas.get_city(session, slug)
        top = session.scalars(select(Area).where(Area.city_id == city.id, Area.parent_id.is_(None))).first()
        assert top is not None
        child = session.scalars(select(Area).where(Area.parent_id == top.id)).first()
        assert child is not None
        child_code = child.code
        top.parent_id = child.id  # child -> top -> child …
        session.flush()
        found = _hierarchy(session, city, spec, at)
        expected = walk(session, slug, "planning_area", at)
        session.rollback()
    # each chain stops where it meets an area it has seen: no row twice, and the leaves under the top
    # area through another child reach that child too
    pd.testing.assert_frame_equal(found.ancestors, expected)
    assert not found.ancestors.duplicated().any()
    assert (found.ancestors["area"] == child_code).sum() > (found.ancestors["leaf"] == child_code).sum()
