"""Typed inputs and views of the quality domain: the rules with their results, the outlier queue and its
filter, an action on a flag, the states a revision diff compares, the import history."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bettercities.core.problems import Problem
from bettercities.publication import Audience
from bettercities.quality import diff, outliers, rules


class RuleStatus(BaseModel):
    """A stored rule and the result of checking it now on the city's current values."""

    rule: rules.RuleSpec
    description: str
    failures: int
    examples: list[Problem] = Field(default_factory=list)


class RulesView(BaseModel):
    """The rules of a city with their results (checked when the view is made)."""

    city: str
    city_name: str
    rules: list[RuleStatus]
    rule_sets: list[str] = Field(description="Shipped rule sets that can be added.")


class QueueFilter(BaseModel):
    """Which flags of the queue to list (one filter for page, API and CLI)."""

    status: str | None = "open"
    indicator: str | None = None
    method: str | None = None


class QueueView(BaseModel):
    """The outlier follow-up queue of a city."""

    city: str
    city_name: str
    filters: QueueFilter
    flags: list[outliers.FlagOut]


class HistoryView(BaseModel):
    """The imports of a city (of one indicator), newest first, each diffed against the one before."""

    city: str
    city_name: str
    indicator: str | None
    imports: list[diff.ImportEntry]


class FlagAction(BaseModel):
    """A steward's action on a flag."""

    action: Literal["accept", "correct", "comment"]
    value: float | None = Field(default=None, description="The corrected value (action 'correct').")
    comment: str = ""


class DiffQuery(BaseModel):
    """Two states to compare: two imports or two revision numbers (query parameters)."""

    indicator: str | None = None
    level: str | None = None
    from_batch: int | None = Field(default=None, description="Old state: as of this import.")
    to_batch: int | None = Field(default=None, description="New state: as of this import.")
    from_revision: int | None = Field(default=None, ge=1, description="Old state: revisions up to this.")
    to_revision: int | None = Field(default=None, ge=1, description="New state: revisions up to this.")

    def spec(self, city: str, audience: Audience) -> diff.DiffFilter:
        return diff.DiffFilter(city=city, audience=audience, **self.model_dump())


__all__ = [
    "DiffQuery",
    "FlagAction",
    "HistoryView",
    "QueueFilter",
    "QueueView",
    "RuleStatus",
    "RulesView",
]
