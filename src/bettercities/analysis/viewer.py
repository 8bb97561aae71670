"""What the analysis queries need of whoever they read for: a session, the audience and the networks of a
principal in a city, and a memo. :class:`bettercities.views.reader.Reader` is one (the web's, with the app's
caches, or the CLI's, fixed to one audience); the domains do not import it, as views sit above them."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from bettercities.publication import Audience

T = TypeVar("T")


class Viewer(Protocol):
    """Reads published values for one principal."""

    @property
    def session(self) -> Session: ...

    def audience(self, city_id: int) -> Audience:
        """The audience the values of city ``city_id`` are published for."""
        ...

    def networks(self, city_id: int) -> frozenset[int]:
        """The networks whose shared data widen what the public audience sees in city ``city_id``."""
        ...

    def memo(self, key: tuple[Hashable, ...], compute: Callable[[], T], *, city_id: int | None = None) -> T:
        """``compute()``, memoised under ``key`` (and the audience in ``city_id``) until the data change."""
        ...
