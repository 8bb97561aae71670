"""The demo city's stored analyses: one social index run and one public set of priority areas derived from
it, so that the index, priority and priority-set pages have content on the demo's first start.

Both go through the same library calls as a planner's (``bettercities index run`` and ``bettercities priority
save``): :func:`~bettercities.analysis.index.results.run_index` and
:func:`~bettercities.analysis.priority.service.save_set` on an
:func:`~bettercities.analysis.priority.evaluation.evaluate`\\ d rule.

The index is the status part of Berlin's *Monitoring Soziale Stadtentwicklung* (MSS), built with the
``composite`` method: the z-scores of unemployment, transfer benefits (SGB II) and child poverty are added and
the sum is z-standardised again; classes at -1, +1 and +1.5 (1 high, 2 medium, 3 low, 4 very low status), as
the MSS status index (Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen Berlin, *Monitoring Soziale
Stadtentwicklung 2021*, method section). The MSS's dynamics part needs the two-year change of each
indicator as stored indicators, which the demo does not generate (a change computed from a withheld value
would disclose it), so the demo stores the status part only.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from bettercities.analysis.index.results import run_index
from bettercities.analysis.index.schemas import CompositeConfig
from bettercities.analysis.priority import service as priority
from bettercities.analysis.priority.evaluation import evaluate
from bettercities.analysis.priority.schemas import PRESETS
from bettercities.areas.models import City
from bettercities.publication import Audience

USER = "bettercities demo"
LEVEL = "planning_area"
#: The priority rule the demo's set keeps (a preset: any planner can evaluate it again).
RULE = "low-status"

STATUS_INDEX = CompositeConfig.model_validate(
    {
        "method": "composite",
        "name": "demo-social-status",
        "title": "Social status index (MSS method, status part)",
        "description": "Sum of the z-scores of unemployment, transfer benefits and child poverty, "
        "z-standardised again; classes as the status index of Berlin's MSS.",
        "source": "Method: Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen Berlin, Monitoring "
        "Soziale Stadtentwicklung 2021; data: bettercities demo generator",
        "population_column": "inhabitants",
        "min_population": 300,
        "indicators": [
            {"column": "unemployment"},
            {"column": "transfer_benefits"},
            {"column": "child_poverty"},
        ],
        "standardisation": "z-score",
        "aggregation": "weighted-sum",
        "restandardise": True,
        "classes": {
            "scheme": "fixed",
            "bands": [
                {"code": "1", "label": "high", "below": -1.0},
                {"code": "2", "label": "medium", "up_to": 1.0},
                {"code": "3", "label": "low", "up_to": 1.5},
                {"code": "4", "label": "very low"},
            ],
        },
    }
)


class DemoAnalyses(BaseModel):
    """What :func:`store_analyses` stored."""

    run_id: int
    run_name: str
    priority_set: str
    priority_areas: int


def store_analyses(session: Session, city: City, *, period: str) -> DemoAnalyses:
    """Store the status index of ``city``'s planning areas in ``period`` and the public set of its planning
    areas of low or very low status (evaluated on the public's data: areas with a withheld input value have
    no class for the public and are not in the set)."""
    run = run_index(session, city.slug, config=STATUS_INDEX, level=LEVEL, period=period, user=USER)
    result = evaluate(session, city.slug, PRESETS[RULE], level=LEVEL, period=period, audience=Audience.PUBLIC)
    stored = priority.save_set(
        session,
        result,
        f"low-status-{period}",
        description=f"Planning areas of low or very low social status (classes 3 and 4) in index run "
        f"'{run.name}'.",
        user=USER,
    )
    return DemoAnalyses(
        run_id=run.id, run_name=run.name, priority_set=stored.name, priority_areas=len(stored.areas)
    )
