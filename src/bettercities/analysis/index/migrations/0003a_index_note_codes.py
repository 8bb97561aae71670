"""index runs: an unscored area's note stores codes, not English words (the pages translate the codes)

Notes were stored as English text: "fewer than 300 inhabitants (38)" and "withheld (a suppressed input
value)", parts joined by "; " (a page in German had to read them back with a regular expression). They become
the codes of :class:`bettercities.analysis.index.schemas.UnscoredReason`, ``few-inhabitants`` (the minimum is
the run's configuration's, the count the area's population) and ``withheld``, in the ``note`` column, in the
area's ``detail`` JSON and in the public result kept in the run's ``summary``. Other parts (the
configuration's reasons for excluding an area) stay as written. The downgrade writes the English back.

Revision ID: 0003a
Revises: 0003
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003a"
down_revision = "0003"  # index_run, index_run_area
branch_labels = None
depends_on = None

FEW = "few-inhabitants"
WITHHELD = "withheld"
#: The English texts stored before (analysis/index/service.py and results.py up to this revision).
_FEW_TEXT = re.compile(r"fewer than [\d.,]+ inhabitants \([^)]*\)")
_WITHHELD_TEXT = "withheld (a suppressed input value)"

_run = sa.table(
    "index_run", sa.column("id", sa.Integer), sa.column("config", sa.Text), sa.column("summary", sa.Text)
)
_area = sa.table(
    "index_run_area",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.Integer),
    sa.column("note", sa.Text),
    sa.column("population", sa.Float),
    sa.column("detail", sa.Text),
)


def to_codes(note: str | None, population: float | None = None, minimum: Any = None) -> str | None:
    """A stored note with the known English parts as codes (the other arguments: as :func:`to_words`)."""
    if not note:
        return note
    parts = [
        FEW if _FEW_TEXT.fullmatch(part) else WITHHELD if part == _WITHHELD_TEXT else part
        for part in note.split("; ")
    ]
    return "; ".join(parts)


def _count(value: Any) -> str:
    if not isinstance(value, int | float):
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def to_words(note: str | None, population: float | None = None, minimum: Any = None) -> str | None:
    """A note with codes as the English text stored before (for the downgrade)."""
    if not note:
        return note
    minimum_text = f"{minimum:g}" if isinstance(minimum, int | float) else "?"
    words = {FEW: f"fewer than {minimum_text} inhabitants ({_count(population)})", WITHHELD: _WITHHELD_TEXT}
    return "; ".join(words.get(part, part) for part in note.split("; "))


def _rewrite(change: Callable[[str | None, float | None, Any], str | None]) -> None:
    bind = op.get_bind()
    runs = bind.execute(sa.select(_run.c.id, _run.c.config, _run.c.summary)).all()
    for run_id, config_text, summary_text in runs:
        minimum = json.loads(config_text or "{}").get("min_population")
        areas = bind.execute(
            sa.select(_area.c.id, _area.c.note, _area.c.population, _area.c.detail).where(
                _area.c.run_id == run_id, _area.c.note.is_not(None)
            )
        ).all()
        for area_id, note, population, detail_text in areas:
            detail = json.loads(detail_text or "{}")
            if detail.get("note"):
                detail["note"] = change(detail["note"], population, minimum)
            bind.execute(
                sa.update(_area)
                .where(_area.c.id == area_id)
                .values(note=change(note, population, minimum), detail=json.dumps(detail, ensure_ascii=False))
            )
        summary = json.loads(summary_text or "{}")
        public = summary.get("public")
        if isinstance(public, dict) and public.get("areas"):
            for area in public["areas"]:
                if area.get("note"):
                    area["note"] = change(area["note"], area.get("population"), minimum)
            bind.execute(
                sa.update(_run)
                .where(_run.c.id == run_id)
                .values(summary=json.dumps(summary, ensure_ascii=False))
            )


def upgrade() -> None:
    _rewrite(to_codes)


def downgrade() -> None:
    _rewrite(to_words)
