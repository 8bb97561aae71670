"""Typed priority rules (conditions over index classes, LISA clusters, Gi* hot spots and thresholds), their
presets, and the results: the areas a rule chose and the records of named sets.

A :class:`PriorityRule` combines conditions (``all`` or ``any``, nestable with ``group``):

* ``index-class``: the area's class in a stored index run (:mod:`bettercities.analysis.index.results`):
  ``status``, ``dynamics`` or ``combined`` of an MSS-type run, ``index`` of a composite run;
* ``lisa``: the area's significant LISA cluster (HH, LL, HL, LH) of an indicator;
* ``hotspot``: the area's Getis-Ord Gi* hot or cold spot of an indicator;
* ``threshold``: the area's published value of an indicator compared with a number.

Rules are written in YAML or JSON (:func:`load_rule`); ``PRESETS`` holds the rule Berlin uses for areas
needing attention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from bettercities.analysis.spatial.schemas import Code, Seed, WeightsSpec
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.timestamps import UtcDateTime
from bettercities.publication import Audience

__all__ = [
    "PRESETS",
    "Condition",
    "GroupCondition",
    "HotspotCondition",
    "IndexClassCondition",
    "LisaCondition",
    "PriorityArea",
    "PriorityResult",
    "PriorityRule",
    "PrioritySetOut",
    "PrioritySetRequest",
    "ThresholdCondition",
    "load_rule",
]


#: Limits of a rule (anyone may post one): permutations of a LISA or Gi* condition (as the spatial routes),
#: and conditions in all, groups included.
MAX_PERMUTATIONS = 9999
MAX_CONDITIONS = 50
#: Lengths of the free text of a rule or set (name, title, description) and of a class list.
MAX_NAME = 200
MAX_TEXT = 2000
MAX_CLASSES = 20


class IndexClassCondition(BaseModel):
    """The area's class in a stored index run is one of ``classes`` (default run: the city's latest)."""

    model_config = {"extra": "forbid"}

    kind: Literal["index-class"] = "index-class"
    run: int | None = Field(default=None, description="Stored run id; default: the latest run of the level.")
    index: Literal["status", "dynamics", "combined", "index"] = "status"
    classes: list[Code] = Field(min_length=1, max_length=MAX_CLASSES)


class LisaCondition(BaseModel):
    """The area is in a significant LISA cluster of ``indicator`` (queen weights unless given)."""

    model_config = {"extra": "forbid"}

    kind: Literal["lisa"] = "lisa"
    indicator: Code
    clusters: list[Literal["HH", "LL", "HL", "LH"]] = Field(default=["HH"], min_length=1, max_length=4)
    weights: WeightsSpec = Field(default_factory=WeightsSpec)
    permutations: int = Field(default=999, ge=99, le=MAX_PERMUTATIONS)
    seed: Seed = 1
    alpha: float = Field(default=0.05, gt=0, lt=0.5)


class HotspotCondition(BaseModel):
    """The area is a significant Getis-Ord Gi* hot (or cold) spot of ``indicator``."""

    model_config = {"extra": "forbid"}

    kind: Literal["hotspot"] = "hotspot"
    indicator: Code
    spots: list[Literal["hot", "cold"]] = Field(default=["hot"], min_length=1, max_length=2)
    weights: WeightsSpec = Field(default_factory=WeightsSpec)
    permutations: int = Field(default=999, ge=99, le=MAX_PERMUTATIONS)
    seed: Seed = 1
    alpha: float = Field(default=0.05, gt=0, lt=0.5)


class ThresholdCondition(BaseModel):
    """The area's published value of ``indicator`` compared with ``value`` holds."""

    model_config = {"extra": "forbid"}

    kind: Literal["threshold"] = "threshold"
    indicator: Code
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: float


class GroupCondition(BaseModel):
    """Conditions combined with ``all`` (and) or ``any`` (or)."""

    model_config = {"extra": "forbid"}

    kind: Literal["group"] = "group"
    combine: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1)


Condition = Annotated[
    IndexClassCondition | LisaCondition | HotspotCondition | ThresholdCondition | GroupCondition,
    Field(discriminator="kind"),
]
GroupCondition.model_rebuild()


class PriorityRule(BaseModel):
    """A named rule choosing priority areas; ``level`` and ``period`` default to those of the index run."""

    model_config = {"extra": "forbid"}

    name: str = Field(max_length=MAX_NAME)
    title: str | None = Field(default=None, max_length=MAX_TEXT)
    combine: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1)
    level: Code | None = None
    period: Code | None = None

    @model_validator(mode="after")
    def _bounded(self) -> PriorityRule:
        # anyone may post a rule (POST /api/cities/{slug}/priority): its cost has a limit
        if (count := _count_conditions(self.conditions)) > MAX_CONDITIONS:
            raise ValueError(f"a rule has at most {MAX_CONDITIONS} conditions (groups included), not {count}")
        return self


def _count_conditions(conditions: list[Condition]) -> int:
    return sum(
        1 + (_count_conditions(c.conditions) if isinstance(c, GroupCondition) else 0) for c in conditions
    )


#: Berlin's logic for areas needing special attention, as issue 4 states it: status *niedrig* (3) or
#: *sehr niedrig* (4) with negative dynamics ("-"), from a stored MSS run.
PRESETS: dict[str, PriorityRule] = {
    "mss-low-status-negative-dynamics": PriorityRule(
        name="mss-low-status-negative-dynamics",
        title="Status niedrig or sehr niedrig with negative dynamics (MSS)",
        conditions=[
            IndexClassCondition(index="status", classes=["3", "4"]),
            IndexClassCondition(index="dynamics", classes=["-"]),
        ],
    ),
    # reads the status class of an MSS run, the class of a composite run whose classes follow the MSS
    # status classes (1 high to 4 very low), such as the demo's status index
    "low-status": PriorityRule(
        name="low-status",
        title="Status low or very low (latest index run)",
        conditions=[IndexClassCondition(index="status", classes=["3", "4"])],
    ),
}


def load_rule(source: str | Path | dict[str, Any]) -> PriorityRule:
    """A rule from a preset name, a YAML/JSON file or a mapping."""
    if isinstance(source, dict):
        return PriorityRule.model_validate(source)
    if str(source) in PRESETS:
        return PRESETS[str(source)]
    path = Path(source)
    if not path.is_file():
        raise NotFound("priority rule", str(source))
    import yaml

    return PriorityRule.model_validate(yaml.safe_load(path.read_text("utf-8")))


class PriorityArea(BaseModel):
    area_id: str
    name: str
    reasons: list[str] = Field(description="The conditions the area met, in words.")


class PriorityResult(BaseModel):
    """The areas a rule chose in a city level and period, with the reasons."""

    city: str
    rule: PriorityRule
    level: str
    period: str | None
    runs: list[int] = Field(default_factory=list, description="Stored index runs the rule read.")
    areas: list[PriorityArea]
    total: int = Field(description="Areas of the level considered.")
    condition_counts: list[int] = Field(default_factory=list, description="Areas meeting each top condition.")
    audience: Audience = Field(
        default=Audience.PUBLIC, description="Whose view of the data the rule was judged on."
    )
    #: the networks whose shared data widened a public evaluation (kept out of the JSON)
    _networks: frozenset[int] = PrivateAttr(default=frozenset())

    def rows(self) -> list[dict[str, str]]:
        return [{"area_id": a.area_id, "name": a.name, "reasons": "; ".join(a.reasons)} for a in self.areas]


class PrioritySetOut(BaseModel):
    """A stored named set of priority areas."""

    id: int
    city: str
    name: str
    description: str | None
    rule: PriorityRule
    level: str
    period: str | None
    user: str | None
    audience: Audience = Field(
        description="The audience the rule was evaluated for; only it (and wider views) may see the set."
    )
    runs: list[int] = Field(default_factory=list, description="Stored index runs the rule read.")
    created_at: UtcDateTime
    areas: list[PriorityArea] = Field(default_factory=list)


class PrioritySetRequest(BaseModel):
    """A rule to evaluate and keep, with its areas, as a named set of the city."""

    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=200, description="Name of the set, unique in the city.")
    description: str | None = Field(default=None, max_length=MAX_TEXT)
    rule: Code | PriorityRule = Field(
        default="mss-low-status-negative-dynamics", description="A preset rule name, or a rule."
    )
    level: Code | None = Field(default=None, description="Level code; default: the rule's or its run's.")
    period: Code | None = Field(default=None, description="Period code; default: the rule's or its run's.")
    audience: Audience | None = Field(
        default=None,
        description=(
            "Who may see the set (public, member, internal): the rule is evaluated on what that audience "
            "sees. Default: the caller's own view of the city (for an analyst: internal, the data team's)."
        ),
    )

    def preset_or_rule(self) -> PriorityRule:
        if isinstance(self.rule, PriorityRule):
            return self.rule
        if self.rule not in PRESETS:
            known = ", ".join(PRESETS)
            raise InvalidInput(f"unknown preset rule {self.rule!r} (presets: {known})")
        return PRESETS[self.rule]
