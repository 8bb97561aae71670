"""The interface every index method implements, and the registry that finds methods by name."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, TypeVar

import pandas as pd
from pydantic import BaseModel, Field

from bettercities.analysis.index.schemas import AreaScore, ClassBand, ClassCount, IndexConfigBase
from bettercities.core.registry import Registry


class MethodScores(BaseModel):
    """What a method returns for the scored areas: one score per area id, class counts, breaks."""

    model_config = {"arbitrary_types_allowed": True}

    scores: dict[str, AreaScore]
    class_counts: dict[str, list[ClassCount]] = Field(default_factory=dict)
    breaks: dict[str, list[float]] = Field(default_factory=dict)


class IndexMethod(ABC):
    """An index method: validates its configuration and scores a table of eligible areas.

    Eligibility (minimum population, exclusions, missing values) is decided once by the service
    for every method; a method only sees the areas it must score, with numeric indicator columns.
    """

    name: ClassVar[str]
    config_model: ClassVar[type[IndexConfigBase]]
    columns: ClassVar[tuple[str, ...]]  # columns of the tabular output

    @abstractmethod
    def indicator_columns(self, config: IndexConfigBase) -> list[str]:
        """Input columns the method needs, in configuration order."""

    @abstractmethod
    def score(self, frame: pd.DataFrame, config: IndexConfigBase) -> MethodScores:
        """Score the areas of ``frame`` (index = area id, numeric indicator columns, no gaps)."""

    @abstractmethod
    def unscored(self, area_id: str, population: float | None, note: str) -> AreaScore:
        """The (empty) result of an area that is not scored."""


_METHODS: Registry[IndexMethod] = Registry("index method")
M = TypeVar("M", bound=type[IndexMethod])


def register_method(cls: M) -> M:
    """Class decorator: register an index method under its ``name`` (later registrations win)."""
    _METHODS.add(cls.name, cls())
    return cls


def get_method(name: str) -> IndexMethod:
    return _METHODS.get(name)


def method_names() -> list[str]:
    return _METHODS.names()


def count_classes(codes: pd.Series, bands: list[ClassBand]) -> list[ClassCount]:
    """Number of areas per class, every class listed (also empty ones), in band order."""
    counts = codes.value_counts()
    return [ClassCount(code=b.code, label=b.label, count=int(counts.get(b.code, 0))) for b in bands]
