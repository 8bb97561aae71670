"""An MSS-type index run on Testville (``tests/web/citybuilder.py``), so that Berlin's preset priority rule
has a run to read in a small city: one status and one dynamics indicator (both ``unemployment``), with
class thresholds chosen for these eight areas (not Berlin's).

In 2022 the fixture's suppressed cell (``unemployment``, ``0102``; value 77.777) puts ``0102`` into status
class 4 with negative dynamics (z = 2.6) for the data team, and the other seven areas between z = -0.50 and
-0.25. The public sees no class for ``0102`` nor for the planning area disclosure control withholds beside it
(``0101``, so that 0102 cannot be recovered from its district); its classes come from the run's public
result, computed on the six published areas only (z from -1.7 to 1.35), so Berlin's rule chooses
:data:`PUBLIC_CHOICE` for the public and :data:`INTERNAL_CHOICE` for the data team.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bettercities.analysis import parse_config
from bettercities.analysis.index.results import StoredRun, run_index

CONFIG = {
    "method": "berlin-mss",
    "name": "testville-mss",
    "title": "Testville MSS",
    "population_column": "inhabitants",
    "min_population": 300,
    "status": {
        "indicators": ["unemployment"],
        "classes": [
            {"code": "1", "label": "hoch", "below": -0.45},
            {"code": "2", "label": "mittel", "up_to": -0.35},
            {"code": "3", "label": "niedrig", "up_to": 1.5},
            {"code": "4", "label": "sehr niedrig"},
        ],
    },
    "dynamics": {
        "indicators": ["unemployment"],
        "classes": [
            {"code": "+", "label": "positiv", "below": -0.45},
            {"code": "+/-", "label": "stabil", "up_to": -0.3},
            {"code": "-", "label": "negativ"},
        ],
    },
}

PUBLIC_CHOICE = ["0104", "0201", "0202", "0203"]
INTERNAL_CHOICE = ["0102", "0202", "0203"]


def run_testville_mss(session: Session, period: str = "2022") -> StoredRun:
    """Store the MSS-type run of Testville's planning areas in ``period``."""
    return run_index(
        session, "testville", config=parse_config(CONFIG), level="planning_area", period=period, name="MSS"
    )
