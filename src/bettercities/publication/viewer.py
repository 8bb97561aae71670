"""Whoever reads published values: a session, the audience and the networks of a principal in a city, and a
memo. Domain queries (the analysis queries today) read through a :class:`Viewer`;
:class:`bettercities.views.reader.Reader` is one (the web's, with the app's caches, or the CLI's, fixed to
one audience). It lives in the publication step because it is what every output reads through; the domains
do not import the Reader, as views sit above them."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from bettercities.publication.audience import Audience

T = TypeVar("T")


class Viewer(Protocol):
    """Reads published values for one principal."""

    @property
    def session(self) -> Session: ...

    @property
    def budget(self) -> int | None:
        """The most permutation draws × areas an analysis this viewer starts may cost (``None``: no limit)."""
        ...

    def audience(self, city_id: int) -> Audience:
        """The audience the values of city ``city_id`` are published for."""
        ...

    def networks(self, city_id: int) -> frozenset[int]:
        """The networks whose shared data widen what the public audience sees in city ``city_id``."""
        ...

    def memo(self, key: tuple[Hashable, ...], compute: Callable[[], T], *, city_id: int | None = None) -> T:
        """``compute()``, memoised under ``key`` (and the audience in ``city_id``) until the data change."""
        ...
