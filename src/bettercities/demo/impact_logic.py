"""The demo's impact logic of #vernetztinEuropa: from the call for participation and the information and
qualification of municipalities, through peer learning in the six tandems and their products, to
municipalities that are qualified and connected and, in the end, lasting networking between German and other
European municipalities (the programme's "Wirkungslogik" as issue 16 describes it).

The automatic measures count what the demo stores (the tandems of the networks step, and the call,
activities, outputs and survey responses of the issue-16 steps before this one); the one manual value is a
fact of the programme's project page (six tandems selected, starting on 17 May 2022,
``networks/data/README.md``). The impact box's manual measure has no value: none is known, and none is
invented. Idempotent: a second run finds the boxes and adds nothing.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import func, select

from bettercities.impact_logic import service
from bettercities.impact_logic.models import LogicBox
from bettercities.impact_logic.schemas import BoxIn, LinkIn, MeasureIn, Stage, ValueIn
from bettercities.networks.models import Programme
from bettercities.storage.workspace import Workspace

__all__ = ["PROGRAMME", "DemoImpactLogicSummary", "load_impact_logic"]

PROGRAMME = "vernetztineuropa"
SOURCE = "project page of #vernetztinEuropa (GIZ / BBSR): six peer-learning tandems, started 17 May 2022"

BOXES = (
    BoxIn(
        key="call", stage=Stage.INPUTS, title_de="Aufruf zur Teilnahme", title_en="Call for participation",
        text_de="Aufruf an deutsche und andere europäische Kommunen, 2. Dezember 2021 bis 25. Februar 2022.",
        text_en="Call to German and other European municipalities, 2 December 2021 to 25 February 2022.",
    ),
    BoxIn(
        key="support", stage=Stage.INPUTS, title_de="Programmteam und Förderung (GIZ / BBSR)",
        title_en="Programme team and funding (GIZ / BBSR)",
        text_de="Begleitung, Moderation und Mittel für Besuche und Workshops.",
        text_en="Guidance, facilitation and funds for visits and workshops.",
    ),
    BoxIn(
        key="information", stage=Stage.ACTIVITIES, title_de="Information und Qualifizierung der Kommunen",
        title_en="Information and qualification of municipalities",
        text_de="Veranstaltungen, Beratung und eine Umfrage zur Praxis der Kommunen.",
        text_en="Events, advice and a survey of the municipalities' practice.",
    ),
    BoxIn(
        key="peer-learning", stage=Stage.ACTIVITIES, title_de="Peer-Learning in Tandems",
        title_en="Peer learning in tandems",
        text_de="Auftakt, gegenseitige Besuche und Workshops der Partnerkommunen.",
        text_en="Kick-off, mutual visits and workshops of the partner municipalities.",
    ),
    BoxIn(
        key="tandems", stage=Stage.OUTPUTS, title_de="Gebildete Tandems", title_en="Tandems formed",
        text_de="Paare und Dreiergruppen deutscher und europäischer Kommunen.",
        text_en="Pairs and triples of German and other European municipalities.",
    ),
    BoxIn(
        key="products", stage=Stage.OUTPUTS, title_de="Aktionspläne und gemeinsame Ergebnisse",
        title_en="Action plans and joint results",
    ),
    BoxIn(
        key="connected", stage=Stage.OUTCOMES, title_de="Kommunen qualifiziert und vernetzt",
        title_en="Municipalities qualified and connected",
        text_de="Kommunen kennen europäische Zusammenarbeit und haben Partner gefunden.",
        text_en="Municipalities know European cooperation and have found partners.",
    ),
    BoxIn(
        key="lasting", stage=Stage.IMPACT, title_de="Dauerhafte Vernetzung europäischer Kommunen",
        title_en="Lasting networking of European municipalities",
        text_de="Die Partnerschaften tragen über das Programm hinaus.",
        text_en="The partnerships last beyond the programme.",
    ),
)  # fmt: skip

LINKS = (
    ("call", "information"), ("call", "peer-learning"), ("support", "information"),
    ("support", "peer-learning"), ("information", "tandems"), ("peer-learning", "tandems"),
    ("peer-learning", "products"), ("information", "connected"), ("tandems", "connected"),
    ("products", "connected"), ("connected", "lasting"),
)  # fmt: skip

MEASURES = (
    MeasureIn(key="applications", box="call", code="applications_submitted"),
    MeasureIn(key="respondents", box="information", code="survey_respondents"),
    MeasureIn(key="activities", box="peer-learning", code="activities_held"),
    MeasureIn(key="tandems-formed", box="tandems", code="tandems_formed", target=6),
    MeasureIn(
        key="tandems-selected", box="tandems", label_de="Ausgewählte Tandems (laut Programm)",
        label_en="Tandems selected (as the programme states)", unit_de="Tandems", unit_en="tandems",
    ),
    MeasureIn(key="action-plans", box="products", code="action_plans_adopted"),
    MeasureIn(key="municipalities", box="connected", code="municipalities_reached"),
    MeasureIn(
        key="continuing", box="lasting", label_de="Tandems, die nach Programmende weiterarbeiten",
        label_en="Tandems continuing after the programme", unit_de="Tandems", unit_en="tandems",
    ),
)  # fmt: skip


class DemoImpactLogicSummary(BaseModel):
    """What the step added (nothing on a second run, or without the programme)."""

    built: bool
    boxes: int
    links: int
    measures: int


def load_impact_logic(workspace: Workspace) -> DemoImpactLogicSummary:
    """Add the impact logic of #vernetztinEuropa to ``workspace`` (a second call adds nothing; nothing either
    when the networks step has not added the programme)."""
    with workspace.database.reader() as session:
        programme = session.scalar(select(Programme.id).where(Programme.slug == PROGRAMME))
        boxes = session.scalar(select(func.count(LogicBox.id)).where(LogicBox.programme_id == programme))
        if programme is None or boxes:
            return DemoImpactLogicSummary(built=False, boxes=0, links=0, measures=0)
    with workspace.database.session() as session:
        for box in BOXES:
            service.add_box(session, PROGRAMME, box)
        for source, target in LINKS:
            service.link_boxes(session, PROGRAMME, LinkIn(source=source, target=target))
        for measure in MEASURES:
            service.add_measure(session, PROGRAMME, measure)
        service.record_value(
            session, PROGRAMME, "tandems-selected", ValueIn(day=date(2022, 5, 17), value=6, source=SOURCE)
        )
    return DemoImpactLogicSummary(built=True, boxes=len(BOXES), links=len(LINKS), measures=len(MEASURES))
