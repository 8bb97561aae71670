"""bettercities — from social data to better cities.

The public Python API of the core. Everything listed in ``__all__`` is stable;
modules whose names start with an underscore are private.
"""

from bettercities.core.errors import BettercitiesError, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.core.settings import Settings, get_settings

__version__ = "0.1.0"

__all__ = [
    "BettercitiesError",
    "InvalidInput",
    "NotFound",
    "Problem",
    "Report",
    "Settings",
    "__version__",
    "get_settings",
]
