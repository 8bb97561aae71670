"""The catalogue's shared reads: what the public sees of it (catalog.queries.visible_filters and
visible_dataset), as the pages, the API and their JSON twins use it."""

from __future__ import annotations

import pytest

from bettercities.areas import service as areas
from bettercities.catalog.queries import catalog_view, visible_dataset, visible_filters
from bettercities.catalog.schemas import AccessRights, DatasetFilter, DatasetSpec, State
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
        public = catalog_view(session, DEMO, visible_filters(DatasetFilter(), Audience.PUBLIC))
        team = catalog_view(session, DEMO, visible_filters(DatasetFilter(), Audience.MEMBER))
        assert [d.code for d in team.datasets if d not in public.datasets] == ["elections"]
        assert all(
            d.state == State.PUBLISHED and d.access_rights == AccessRights.PUBLIC for d in public.datasets
        )
        for audience in (Audience.MEMBER, Audience.INTERNAL):
            assert visible_dataset(session, DEMO, "elections", audience).state == State.DRAFT
        with pytest.raises(NotFound):
            visible_dataset(session, DEMO, "elections", Audience.PUBLIC)
        shown = public.datasets[0].code
        assert visible_dataset(session, DEMO, shown, Audience.PUBLIC).code == shown
