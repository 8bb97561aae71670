"""Import every domain's tables so that ``Base.metadata`` is complete (for Alembic and tests)."""

from bettercities.areas import models as areas_models
from bettercities.indicators import models as indicators_models
from bettercities.ingest import models as ingest_models
from bettercities.storage.base import Base

metadata = Base.metadata

__all__ = ["areas_models", "indicators_models", "ingest_models", "metadata"]
