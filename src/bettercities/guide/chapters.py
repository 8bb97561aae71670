"""The four chapters of a guide: the four questions of URBACT's social-data networks, which the shipped
practice survey asks in its four groups (``collect``, ``manage``, ``use``, ``impact``)."""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["Chapter", "chapter_of_section"]


class Chapter(StrEnum):
    COLLECT = "collect"
    MANAGE = "manage"
    USE = "use"
    IMPACT = "impact"

    @property
    def number(self) -> int:
        return list(Chapter).index(self) + 1


_NUMBERED = re.compile(r"^\s*([1-4])[.)]")


def chapter_of_section(section: str | None, position: int) -> Chapter | None:
    """The chapter a survey section belongs to: the number it starts with ("2. How is it collected …"), else
    its position among the survey's sections (0-based); ``None`` past the fourth."""
    found = _NUMBERED.match(section or "")
    if found:
        return list(Chapter)[int(found.group(1)) - 1]
    return list(Chapter)[position] if 0 <= position < len(Chapter) else None
