"""Import every domain's tables so that ``Base.metadata`` is complete (for Alembic and tests)."""

from bettercities.access import models as accounts_models
from bettercities.analysis.index import models as analysis_models
from bettercities.areas import models as areas_models
from bettercities.audit import models as audit_models
from bettercities.catalog import models as catalog_models
from bettercities.indicators import models as indicators_models
from bettercities.ingest import models as ingest_models
from bettercities.networks import models as networks_models
from bettercities.storage.base import Base

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "analysis_models",
    "areas_models",
    "audit_models",
    "catalog_models",
    "indicators_models",
    "ingest_models",
    "metadata",
    "networks_models",
]
