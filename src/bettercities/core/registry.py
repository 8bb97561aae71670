"""Named extension points: readers by file suffix, writers by format, index methods by name.

Our own features use the same mechanism a plugin would (STYLE 7): a module registers its
implementation under one or more names, and the caller looks it up instead of branching.

>>> writers: Registry[str] = Registry("export format")
>>> @writers.register("csv", "txt")
... def write_csv() -> str:
...     return "a,b"
>>> writers.names()
['csv', 'txt']
>>> writers.get("csv") is write_csv
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from bettercities.core.errors import NotFound

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping of names to implementations, filled by decorators at import time."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, *names: str) -> Callable[[T], T]:
        """Decorator: register the decorated object under each of ``names`` (later ones win)."""

        def decorate(item: T) -> T:
            for name in names:
                self._items[name] = item
            return item

        return decorate

    def add(self, name: str, item: T) -> None:
        self._items[name] = item

    def find(self, name: str) -> T | None:
        return self._items.get(name)

    def get(self, name: str) -> T:
        """The implementation registered as ``name``; :class:`NotFound` names the known ones."""
        try:
            return self._items[name]
        except KeyError:
            raise NotFound(self.kind, f"{name} (known: {', '.join(self.names())})") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items
