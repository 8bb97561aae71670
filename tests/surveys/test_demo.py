"""The demo's practice survey: twelve responses from members of #vernetztinEuropa's tandems, every demo answer
accepted by the server's checks, and a second run adds nothing."""

from __future__ import annotations

from datetime import date

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.demo.surveys import PROGRAMME, SURVEY, load_surveys
from bettercities.networks.schemas import ProgrammeIn
from bettercities.storage.workspace import Workspace
from bettercities.surveys import service


def test_twelve_responses_once(sqlite_workspace: Workspace) -> None:
    with sqlite_workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=PROGRAMME, name="#vernetztinEuropa"))
        for pair in range(7):  # 14 members: the demo takes the first twelve by name
            slug = f"tandem-{pair}"
            networks.create_network(
                session, slug, name_de=slug, name_en=slug, programme=PROGRAMME, kind="tandem"
            )
            for side in ("a", "b"):
                city = f"city-{pair}{side}"
                areas.create_city(
                    session, CitySpec(slug=city, name=city.title(), country="DE", population=50_000)
                )
                networks.add_city(session, slug, city, joined=date(2022, 5, 17))
    first = load_surveys(sqlite_workspace)
    assert (first.built, first.respondents) == (True, 12)
    again = load_surveys(sqlite_workspace)
    assert (again.built, again.respondents) == (False, 12)
    with sqlite_workspace.database.reader() as session:
        assert service.count_respondents(session, programme_slug=PROGRAMME) == 12
        assert service.count_respondents(session, programme_slug=PROGRAMME, until=date(2022, 6, 5)) == 5
        results = service.results(session, SURVEY, group_by="network")
        # every tandem has two members: every network group is withheld
        assert results.respondents == 12 and len(results.withheld_groups) == len(results.groups) == 6
