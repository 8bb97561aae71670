"""Database ids as inputs: an id no database integer holds is invalid input, refused before any query."""

from __future__ import annotations

from typing import Annotated

import annotated_types

#: An id (a path, query or body value naming a row): 1 .. 2**63 - 1, the range of both databases' 64-bit
#: integers (SQLite's driver raises OverflowError beyond it: a 500 instead of a 422).
DbId = Annotated[int, annotated_types.Interval(ge=1, le=2**63 - 1)]
