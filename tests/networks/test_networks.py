"""City networks: membership history, dataset sharing and what the public of a network may see
(both backends)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import AccessRights, DatasetSpec
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.indicators import service as indicators
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.publication import Audience, withheld, withheld_indicators
from bettercities.storage.workspace import Workspace

JAN_2020 = date(2020, 1, 1)


def _dataset(code: str, indicator: str) -> DatasetSpec:
    return DatasetSpec(
        code=code,
        title_de=code,
        title_en=code,
        publisher="Stadt A",
        access_rights=AccessRights.RESTRICTED,
        indicators=[indicator],
    )


@pytest.fixture
def world(workspace: Workspace) -> dict[str, int]:
    """City ``a`` with restricted datasets ``poverty`` (approved), ``draft`` (draft) and ``open``
    (published, public); city ``b``; network ``north`` that both joined in 2020. Returns the ids."""
    with workspace.database.session() as session:
        a = areas.create_city(session, CitySpec(slug="a", name="A", country="DE"))
        b = areas.create_city(session, CitySpec(slug="b", name="B", country="DE"))
        ids = {"a": a.id, "b": b.id}
        for code in ("poverty", "draft", "open", "loose"):
            spec = IndicatorSpec(code=code, name_de=code, name_en=code, aggregation="none")
            ids[code] = indicators.register_indicator(session, spec).id
        for code in ("poverty", "draft"):
            catalog.add_dataset(session, a, _dataset(code, code))
        catalog.add_dataset(
            session, a, _dataset("open", "open").model_copy(update={"access_rights": AccessRights.PUBLIC})
        )
        for action in ("submit", "approve"):
            approval.transition(session, "a", "poverty", action, user="test")
        for action in ("submit", "approve", "publish"):
            approval.transition(session, "a", "open", action, user="test")
        networks.create_network(session, "north", name_de="Nord", name_en="North", description="A circle")
        networks.add_city(session, "north", "a", joined=JAN_2020)
        networks.add_city(session, "north", "b", joined=JAN_2020)
        ids["north"] = networks.get_network(session, "north").id
    return ids


def test_membership_history_is_kept(world: dict[str, int], workspace: Workspace) -> None:
    with workspace.database.session() as session:
        networks.remove_city(session, "north", "b", left=date(2022, 6, 30))
        networks.add_city(session, "north", "b", joined=date(2024, 1, 1))
        (north,) = networks.list_networks(session)
    assert north.description == "A circle"
    assert [(m.city, m.joined, m.left) for m in north.members] == [
        ("a", JAN_2020, None),
        ("b", JAN_2020, date(2022, 6, 30)),
        ("b", date(2024, 1, 1), None),
    ]
    with workspace.database.reader() as session:
        assert networks.city_networks(session, [world["b"]], on=date(2023, 1, 1)) == frozenset()
        assert networks.city_networks(session, [world["b"]], on=date(2022, 6, 29)) == {world["north"]}
        assert networks.city_networks(session, [world["b"]], on=date(2024, 1, 1)) == {world["north"]}


def test_membership_refusals(world: dict[str, int], workspace: Workspace) -> None:
    db = workspace.database
    with pytest.raises(Conflict, match="member of network 'north' already"), db.session() as session:
        networks.add_city(session, "north", "a")
    with pytest.raises(InvalidInput, match="cannot leave before"), db.session() as session:
        networks.remove_city(session, "north", "a", left=date(2019, 1, 1))
    with db.session() as session:
        networks.remove_city(session, "north", "b", left=date(2022, 1, 1))
    with pytest.raises(Conflict, match="not a member"), db.session() as session:
        networks.remove_city(session, "north", "b")
    with pytest.raises(Conflict, match="cannot join again before"), db.session() as session:
        networks.add_city(session, "north", "b", joined=date(2021, 1, 1))
    with pytest.raises(Conflict, match="exists already"), db.session() as session:
        networks.create_network(session, "north", name_de="N", name_en="N")
    with pytest.raises(InvalidInput, match="invalid network slug"), db.session() as session:
        networks.create_network(session, "North Net", name_de="N", name_en="N")
    with pytest.raises(NotFound, match="network not found"), db.session() as session:
        networks.add_city(session, "south", "a")


def test_shared_indicators_need_approval_and_current_membership(
    world: dict[str, int], workspace: Workspace
) -> None:
    db = workspace.database
    north = frozenset({world["north"]})
    with db.session() as session:
        out = networks.share_dataset(session, "a", "poverty", "north")
        networks.share_dataset(session, "a", "draft", "north")
    assert (out.network, out.city, out.dataset) == ("north", "a", "poverty")
    with db.reader() as session:
        assert networks.shared_indicator_ids(session, world["a"], north) == {world["poverty"]}  # not draft
        assert networks.shared_indicator_ids(session, world["a"], frozenset()) == frozenset()
        assert networks.shared_indicator_ids(session, world["a"], frozenset({999})) == frozenset()
        assert networks.shared_indicator_ids(session, world["b"], north) == frozenset()
        # before the city joined
        assert networks.shared_indicator_ids(session, world["a"], north, on=date(2019, 1, 1)) == frozenset()
    with db.session() as session:
        networks.remove_city(session, "north", "a", left=date(2021, 1, 1))
    with db.reader() as session:  # a city that left no longer shares, though its share is kept
        assert networks.shared_indicator_ids(session, world["a"], north) == frozenset()
        assert networks.shared_indicator_ids(session, world["a"], north, on=date(2020, 6, 1)) == {
            world["poverty"]
        }
        assert [s.dataset for s in networks.list_networks(session)[0].shares] == ["draft", "poverty"]


def test_share_refusals(world: dict[str, int], workspace: Workspace) -> None:
    db = workspace.database
    with db.session() as session:
        networks.create_network(session, "south", name_de="Süd", name_en="South")
        networks.share_dataset(session, "a", "poverty", "north")
    with pytest.raises(Conflict, match="not a member of network 'south'"), db.session() as session:
        networks.share_dataset(session, "a", "poverty", "south")
    with pytest.raises(Conflict, match="shared with 'north' already"), db.session() as session:
        networks.share_dataset(session, "a", "poverty", "north")
    with pytest.raises(NotFound, match="dataset not found"), db.session() as session:
        networks.share_dataset(session, "a", "nothing", "north")
    with db.session() as session:
        networks.unshare_dataset(session, "a", "poverty", "north")
    with pytest.raises(NotFound, match="dataset share not found"), db.session() as session:
        networks.unshare_dataset(session, "a", "poverty", "north")


def test_withheld_from_the_public_unless_shared_with_the_viewers_network(
    world: dict[str, int], workspace: Workspace
) -> None:
    db = workspace.database
    north = frozenset({world["north"]})
    with db.session() as session:
        networks.share_dataset(session, "a", "poverty", "north")
        networks.share_dataset(session, "a", "draft", "north")
    with db.reader() as session:
        public = withheld_indicators(session, world["a"], audience=Audience.PUBLIC)
        network = withheld_indicators(session, world["a"], audience=Audience.PUBLIC, networks=north)
        other = withheld_indicators(session, world["a"], audience=Audience.PUBLIC, networks=frozenset({999}))
        member = withheld_indicators(session, world["a"], audience=Audience.MEMBER, networks=north)
        assert withheld(session, world["a"], world["poverty"], audience=Audience.PUBLIC)
        assert not withheld(session, world["a"], world["poverty"], audience=Audience.PUBLIC, networks=north)
    assert public == other == {world["poverty"], world["draft"]}  # open is published; loose in no dataset
    assert network == {world["draft"]}  # shared but not approved: still withheld
    assert member == frozenset()


def test_migrations_match_the_models(world: dict[str, int], workspace: Workspace) -> None:
    """The tables of 0008, 0009 and 0132 as migrated have the models' columns, unique constraints, indexes."""
    from bettercities.storage.models import metadata

    tables = (
        "network",
        "programme",
        "network_organisation",
        "network_member",
        "network_dataset_share",
        "app_user",
        "city_membership",
        "network_membership",
        "login_session",
        "api_token",
        "api_token_city",
        "login_throttle",
    )
    found = inspect(workspace.database.engine)
    for name in tables:
        model = metadata.tables[name]
        columns = {c["name"]: c for c in found.get_columns(name)}
        assert set(columns) == set(model.columns.keys()), name
        for column in model.columns:
            assert columns[column.name]["nullable"] == column.nullable, f"{name}.{column.name}"
        uniques = {tuple(u["column_names"]) for u in found.get_unique_constraints(name)}
        expected = {
            tuple(c.name for c in constraint.columns)
            for constraint in model.constraints
            if constraint.__class__.__name__ == "UniqueConstraint"
        }
        assert uniques == expected, name
        indexes = {i["name"] for i in found.get_indexes(name) if not i.get("unique")}
        assert indexes == {i.name for i in model.indexes}, name
        foreign = {
            (tuple(f["constrained_columns"]), f["referred_table"]) for f in found.get_foreign_keys(name)
        }
        assert foreign == {((fk.parent.name,), fk.column.table.name) for fk in model.foreign_keys}, name
