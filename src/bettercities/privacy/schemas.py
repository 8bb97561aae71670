"""Typed inputs and results of the privacy domain: rules, relations, marks and the protection report."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from bettercities.core.timestamps import UtcDateTime


class Method(StrEnum):
    """How the cells of an indicator are protected."""

    SUPPRESSION = "suppression"  # primary rules + secondary (complementary) suppression
    CELL_KEY = "cell_key"  # consistent perturbation by a cell key and a published p-table
    NONE = "none"  # published as stored (must be chosen explicitly)


class Reason(StrEnum):
    """Why a published cell is not its raw value (for the data team; the public sees only "withheld")."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    PERTURBED = "perturbed"


class RuleSpec(BaseModel):
    """A protection rule to set: for one indicator, for the indicators of one catalogue dataset, or (neither
    given) the city's default for every other indicator."""

    indicator: str | None = Field(default=None, description="Indicator code, or None.")
    dataset: str | None = Field(default=None, description="Catalogue dataset code of the city, or None.")
    method: Method = Method.SUPPRESSION
    threshold: int = Field(default=3, ge=1, le=1000, description="Counts 1..threshold-1 are sensitive.")
    zeros: bool = False
    interval_percent: float = Field(default=0.0, ge=0.0, le=100.0)
    dominance_n: int | None = Field(default=None, ge=1)
    dominance_k: float | None = Field(default=None, gt=0.0, le=100.0)
    p_percent: float | None = Field(default=None, gt=0.0, le=100.0)
    max_deviation: int = Field(default=2, ge=1, le=50)
    variance: float = Field(default=1.0, gt=0.0, le=100.0)
    js: int = Field(default=0, ge=0, le=50)

    @model_validator(mode="after")
    def _one_target(self) -> RuleSpec:
        if self.indicator is not None and self.dataset is not None:
            raise ValueError("a rule applies to an indicator or to a dataset, not both")
        if (self.dominance_n is None) != (self.dominance_k is None):
            raise ValueError("the dominance rule needs both n and k")
        if self.method == Method.CELL_KEY and self.js >= self.max_deviation + 1 and self.js > 0:
            # js removes perturbed values 1..js-1; beyond the deviation range no p-table row could keep it
            raise ValueError("js must not exceed max_deviation + 1")
        return self

    @property
    def scope(self) -> str:
        """``indicator:<code>``, ``dataset:<code>`` or ``default``."""
        if self.indicator is not None:
            return f"indicator:{self.indicator}"
        if self.dataset is not None:
            return f"dataset:{self.dataset}"
        return "default"


class RuleOut(RuleSpec):
    """A stored rule (``id`` None for the built-in default of a city without rules)."""

    id: int | None = None
    created_by: str | None = None
    created_at: UtcDateTime | None = None


class RelationSpec(BaseModel):
    """A declared additive relation: ``total`` = sum of ``parts``, area by area (quantity codes)."""

    total: str = Field(min_length=1, max_length=80)
    parts: list[str] = Field(min_length=2)

    @model_validator(mode="after")
    def _distinct(self) -> RelationSpec:
        parts = [p.strip() for p in self.parts]
        if any(not p for p in parts):
            raise ValueError("a part needs a quantity code")
        if len(set(parts)) != len(parts):
            raise ValueError("the parts of a relation must differ")
        if self.total.strip() in parts:
            raise ValueError("a relation's total cannot be one of its parts")
        self.parts = sorted(parts)
        self.total = self.total.strip()
        return self


class RelationOut(RelationSpec):
    """A stored relation."""

    id: int
    created_by: str | None = None
    created_at: UtcDateTime | None = None


class Mark(BaseModel):
    """What protection did to one published cell of an indicator (area, period): withheld (primary with its
    rule, or secondary) or perturbed with the values the public sees instead."""

    model_config = {"frozen": True}

    reason: Reason
    rule: str | None = Field(default=None, description="primary: frequency, dominance, p-percent or source")
    note: str | None = None
    value: float | None = Field(default=None, description="perturbed: the published value")
    numerator: float | None = None
    denominator: float | None = None

    @property
    def withheld(self) -> bool:
        return self.reason != Reason.PERTURBED

    def label(self) -> str:
        """``primary (frequency)``, ``secondary``, ``perturbed`` — the data team's mark."""
        return f"{self.reason.value} ({self.rule})" if self.rule else self.reason.value


class QuantityReport(BaseModel):
    """Protection of one quantity in one period."""

    quantity: str
    period: str
    method: Method
    cells: int
    primary: dict[str, int] = Field(default_factory=dict, description="primary cells by rule")
    secondary: int = 0
    perturbed: int = 0


class PeriodReport(BaseModel):
    """The solver's run for one period of a city."""

    period: str
    cells: int
    withheld: int
    status: str = Field(description="optimal, feasible (node limit), fallback, or none (nothing to protect)")
    iterations: int = 0
    seconds: float = 0.0


class ProtectionReport(BaseModel):
    """What protection withholds and perturbs in a city (per quantity and period), and what it cost."""

    city: str
    data_version: tuple[int, int]
    quantities: list[QuantityReport]
    periods: list[PeriodReport]
    seconds: float
