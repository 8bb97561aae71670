"""Full-text search of the hub, one index per backend, registered by dialect name.

The migration (0143) creates the index ``hub_search`` and the triggers that keep it in step with the
practices and events, so no write of the domain touches it. A query is written as people type into a search
box: words (all must occur), ``"a phrase"``, ``or`` between alternatives, ``-word`` to leave out — the syntax
of PostgreSQL's ``websearch_to_tsquery``, translated for FTS5 on SQLite.

* **SQLite**: an FTS5 table with the ``porter unicode61 remove_diacritics 2`` tokenizer (English stems,
  ``Städte`` finds ``stadte``), ranked by BM25 (FTS5's ``rank``).
* **PostgreSQL**: a ``tsvector`` per item, built with the item's language configuration (``german`` or
  ``english``, weight A for the title, B for the rest) and ``simple`` (weight D: words as written, any
  language), GIN-indexed; the query is ``websearch_to_tsquery`` in German, English and ``simple`` OR-ed
  together, so a German query finds German stems, an English query English ones, and an exact word is found
  in either language; ranked by ``ts_rank``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import cast, column, func, literal, select, table
from sqlalchemy.dialects.postgresql import REGCONFIG, TSVECTOR
from sqlalchemy.orm import Session

from bettercities.core.registry import Registry

__all__ = ["Hit", "find", "fts5_query"]


@dataclass(frozen=True)
class Hit:
    """An item a query found: its kind, id and relevance (higher is better)."""

    kind: str
    item_id: int
    rank: float


Finder = Callable[[Session, str], list[Hit]]
FINDERS: Registry[Finder] = Registry("hub search index")

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')


def fts5_query(text: str) -> str | None:
    """The FTS5 expression of a websearch-style query, every term quoted (FTS5's operators and column
    filters in the text are taken as words); ``None`` when nothing is left to look for."""
    groups: list[tuple[list[str], list[str]]] = [([], [])]
    for phrase, word in _TOKEN.findall(text):
        if not phrase and word.lower() == "or":
            if groups[-1][0]:
                groups.append(([], []))
            continue
        negative = not phrase and word.startswith("-") and len(word) > 1
        term = (phrase or word[1:] if negative else phrase or word).strip()
        if not re.search(r"\w", term):
            continue
        quoted = '"' + term.replace('"', '""') + '"'
        groups[-1][1 if negative else 0].append(quoted)
    parts = []
    for positive, negative in groups:
        if not positive:
            continue
        expression = " AND ".join(positive)
        if negative:
            expression = f"({expression}) NOT ({' OR '.join(negative)})"
        parts.append(f"({expression})")
    return " OR ".join(parts) or None


@FINDERS.register("sqlite")
def _sqlite(session: Session, text: str) -> list[Hit]:
    expression = fts5_query(text)
    if expression is None:
        return []
    index = table("hub_search", column("kind"), column("item_id"), column("body"), column("rank"))
    rows = session.execute(
        select(index.c.kind, index.c.item_id, index.c.rank)
        .where(index.c.body.match(expression))
        .order_by(index.c.rank)
    ).all()
    return [Hit(kind=k, item_id=int(i), rank=-float(r)) for k, i, r in rows]


@FINDERS.register("postgresql")
def _postgresql(session: Session, text: str) -> list[Hit]:
    if not re.search(r"\w", text):
        return []
    index = table("hub_search", column("kind"), column("item_id"), column("document", TSVECTOR))
    query: Any = None
    for config in ("german", "english", "simple"):
        part = func.websearch_to_tsquery(cast(literal(config), REGCONFIG), text)
        query = part if query is None else query.op("||")(part)
    rank = func.ts_rank(index.c.document, query)
    rows = session.execute(
        select(index.c.kind, index.c.item_id, rank)
        .where(index.c.document.op("@@")(query))
        .order_by(rank.desc(), index.c.kind, index.c.item_id)
    ).all()
    return [Hit(kind=k, item_id=int(i), rank=float(r)) for k, i, r in rows]


def find(session: Session, text: str) -> list[Hit]:
    """The items whose text matches ``text``, most relevant first, on the session's backend."""
    dialect = session.get_bind().dialect.name
    return FINDERS.get(dialect)(session, text)
