"""Observation key in (indicator, period, area, revision) order; two indexes it makes redundant go

The unique key now leads with what most reads filter by (an indicator's values of one period across areas),
so it serves those reads and the separate index ``ix_observation_current`` is no longer needed. Reads by
indicator and area (one area's series, the coarsest level's series, the weights of a mean) lost the key's
(indicator, area) prefix; ``ix_observation_area`` becomes (area, indicator) for them, and still
serves an area's values of every indicator. No read looks observations up by their import batch except the
diff of two imports (``quality.diff``), which reads every row in its scope anyway;
``ix_observation_import_id`` goes. Two indexes fewer to maintain on every write and to build after a bulk
load (issue 17). Deleting an import batch (the application never does; its foreign key sets the rows'
batch to NULL) now scans the table.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_KEY = "uq_observation_key_revision"


def upgrade() -> None:
    with op.batch_alter_table("observation") as batch:
        batch.drop_index("ix_observation_current")
        batch.drop_index("ix_observation_import_id")
        batch.drop_index("ix_observation_area")
        batch.create_index("ix_observation_area", ["area_id", "indicator_id"], unique=False)
        batch.drop_constraint(_KEY, type_="unique")
        batch.create_unique_constraint(_KEY, ["indicator_id", "period_id", "area_id", "revision"])


def downgrade() -> None:
    with op.batch_alter_table("observation") as batch:
        batch.drop_constraint(_KEY, type_="unique")
        batch.create_unique_constraint(_KEY, ["indicator_id", "area_id", "period_id", "revision"])
        batch.drop_index("ix_observation_area")
        batch.create_index("ix_observation_area", ["area_id", "is_current"], unique=False)
        batch.create_index(
            "ix_observation_current", ["indicator_id", "period_id", "is_current"], unique=False
        )
        batch.create_index("ix_observation_import_id", ["import_id"], unique=False)
