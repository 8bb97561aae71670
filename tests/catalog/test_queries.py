"""The catalogue's shared reads: what the public sees of it (catalog.queries.visible_filters and
visible_dataset), as the pages, the API and their JSON twins use it."""

from __future__ import annotations

from datetime import date

import pytest

from bettercities.areas import service as areas
from bettercities.catalog.queries import catalog_view, visible_dataset
from bettercities.catalog.schemas import AccessRights, DatasetSpec, State
from bettercities.catalog.service import add_dataset
from bettercities.core.errors import NotFound
from bettercities.demo.generator import _CITY_SLUG as DEMO
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace


def test_the_public_sees_published_public_datasets_only(demo_workspace: Workspace) -> None:
    draft = DatasetSpec(code="elections", title_de="Wahlen", title_en="Elections", publisher="Stadt")
    with demo_workspace.database.session() as session:
        add_dataset(session, areas.get_city(session, DEMO), draft)
    with demo_workspace.database.reader() as session:
        public = catalog_view(session, DEMO, audience=Audience.PUBLIC)
        team = catalog_view(session, DEMO, audience=Audience.MEMBER)
        shown = {d.code for d in public.datasets}
        assert [d.code for d in team.datasets if d.code not in shown] == ["elections"]
        assert all(
            d.state == State.PUBLISHED and d.access_rights == AccessRights.PUBLIC for d in public.datasets
        )
        for audience in (Audience.MEMBER, Audience.INTERNAL):
            assert visible_dataset(session, DEMO, "elections", audience).state == State.DRAFT
        with pytest.raises(NotFound):
            visible_dataset(session, DEMO, "elections", Audience.PUBLIC)
        first = public.datasets[0].code
        assert visible_dataset(session, DEMO, first, Audience.PUBLIC).code == first


#: A day on which testville's data (2021, 2022) are current.
DAY = date(2023, 6, 1)


def _catalogue(ws: Workspace) -> None:
    """testville with a published public, a published restricted and a draft dataset, each with a steward
    and an e-mail address."""
    from bettercities.catalog import approval
    from tests.web.citybuilder import build_city

    build_city(ws)
    datasets = (
        ("population", "Inhabitants", ["inhabitants"], AccessRights.PUBLIC, True),
        ("secret", "Confidential survey", ["unemployment"], AccessRights.RESTRICTED, True),
        (
            "plan",
            "Draft: child poverty by school (confidential)",
            ["green_space"],
            AccessRights.PUBLIC,
            False,
        ),
    )
    with ws.database.session() as session:
        city = areas.get_city(session, "testville")
        for code, title, indicators, access, publish in datasets:
            spec = DatasetSpec(
                code=code,
                title_de=title,
                title_en=title,
                publisher="Stadt",
                indicators=indicators,
                access_rights=access,
                steward="Ann Steward",
                owner_unit="Statistics",
                steward_email=f"{code}.steward@testville.example",
            )
            add_dataset(session, city, spec)
            for action in ("submit", "approve", "publish") if publish else ():
                approval.transition(session, "testville", code, action, user="test")


def test_metadata_of_hidden_datasets_stay_with_the_members(workspace: Workspace) -> None:
    """Reproduction 2 of issue 10: stewardship, inventory and history listed restricted and draft datasets
    (titles, owner unit, steward, e-mail, coverage) to the public."""
    from bettercities.catalog.inventory import inventory
    from bettercities.catalog.queries import dataset_history, dataset_view
    from bettercities.catalog.schemas import InventoryStatus
    from bettercities.catalog.stewardship import stewardship

    _catalogue(workspace)
    with workspace.database.reader() as session:
        duty = stewardship(session, "testville", audience=Audience.PUBLIC)
        assert [r.dataset for r in duty.responsibilities] == ["population"]
        assert [r.steward_email for r in duty.responsibilities] == [None]
        assert duty.responsibilities[0].steward == "Ann Steward"  # the name of a public dataset's steward
        assert {r.dataset for r in duty.reminders} <= {"population"}
        listed = catalog_view(session, "testville", audience=Audience.PUBLIC).datasets
        assert [(d.code, d.steward_email) for d in listed] == [("population", None)]
        assert visible_dataset(session, "testville", "population", Audience.PUBLIC).steward_email is None
        for code in ("secret", "plan"):
            with pytest.raises(NotFound):
                dataset_history(session, "testville", code, audience=Audience.PUBLIC)
            with pytest.raises(NotFound):
                dataset_view(session, "testville", code, audience=Audience.PUBLIC)
        public = {
            r.reference.code: r
            for r in inventory(session, "testville", audience=Audience.PUBLIC, today=DAY).rows
        }
        assert public["population"].status == InventoryStatus.HELD
        assert public["population"].dataset == "population"
        assert public["unemployment_rate"].status == InventoryStatus.MISSING  # withheld from the public
        assert public["unemployment_rate"].last_update is None
        assert {r.dataset for r in public.values()} <= {"population", None}

        for audience in (Audience.MEMBER, Audience.INTERNAL):
            duty = stewardship(session, "testville", audience=audience)
            assert {r.dataset: r.steward_email for r in duty.responsibilities} == {
                code: f"{code}.steward@testville.example" for code in ("plan", "population", "secret")
            }
            rows = {
                r.reference.code: r
                for r in inventory(session, "testville", audience=audience, today=DAY).rows
            }
            assert rows["unemployment_rate"].status == InventoryStatus.HELD
            assert rows["unemployment_rate"].dataset == "secret"
            steps = dataset_history(session, "testville", "secret", audience=audience)
            assert [s.to_state for s in steps] == [State.SUBMITTED, State.APPROVED, State.PUBLISHED]
            view = dataset_view(session, "testville", "plan", audience=audience)
            assert view.dataset.steward_email == "plan.steward@testville.example"
