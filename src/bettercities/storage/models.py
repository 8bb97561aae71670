"""Import every domain's tables so that ``Base.metadata`` is complete (for Alembic and tests).

The domains are the ones the manifest (:mod:`bettercities.domains`) names; storage imports them by name and
knows none of them.
"""

from importlib import import_module

from bettercities import domains
from bettercities.storage.base import Base

for _module in domains.models_modules():
    import_module(_module)

metadata = Base.metadata

__all__ = ["metadata"]
