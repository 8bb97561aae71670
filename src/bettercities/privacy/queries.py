"""Reads of the privacy domain shared by its service, the protection computation and the faces: which rule
applies to an indicator, and the city's cell-key secret."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.catalog.models import Dataset, DatasetIndicator
from bettercities.core.errors import Conflict
from bettercities.indicators.models import Indicator
from bettercities.privacy.models import ProtectionKey, ProtectionRule
from bettercities.privacy.schemas import Method, RuleOut

#: The rule of a city without any: suppression of counts below 3 (safe by default).
DEFAULT_RULE = RuleOut(method=Method.SUPPRESSION, threshold=3)

RULE_FIELDS = (
    "method",
    "threshold",
    "zeros",
    "interval_percent",
    "dominance_n",
    "dominance_k",
    "p_percent",
    "max_deviation",
    "variance",
    "js",
)


def rule_out(session: Session, rule: ProtectionRule) -> RuleOut:
    indicator = session.get(Indicator, rule.indicator_id) if rule.indicator_id is not None else None
    dataset = session.get(Dataset, rule.dataset_id) if rule.dataset_id is not None else None
    return RuleOut(
        id=rule.id,
        indicator=indicator.code if indicator is not None else None,
        dataset=dataset.code if dataset is not None else None,
        created_by=rule.created_by,
        created_at=rule.created_at,
        **{name: getattr(rule, name) for name in RULE_FIELDS},
    )


def rules_by_indicator(session: Session, city_id: int, indicator_ids: list[int]) -> dict[int, RuleOut]:
    """The rule that applies to each indicator in city ``city_id``: its own, else its datasets' (the first by
    dataset code when several datasets set rules), else the city's default, else :data:`DEFAULT_RULE`."""
    stored = session.scalars(select(ProtectionRule).where(ProtectionRule.city_id == city_id)).all()
    own = {r.indicator_id: r for r in stored if r.indicator_id is not None}
    by_dataset = {r.dataset_id: r for r in stored if r.dataset_id is not None}
    default = next((r for r in stored if r.indicator_id is None and r.dataset_id is None), None)
    links: dict[int, list[tuple[str, int]]] = {}
    if by_dataset:
        for dataset_id, code, indicator_id in session.execute(
            select(Dataset.id, Dataset.code, DatasetIndicator.indicator_id)
            .join(DatasetIndicator, DatasetIndicator.dataset_id == Dataset.id)
            .where(Dataset.id.in_(list(by_dataset)))
        ):
            links.setdefault(indicator_id, []).append((code, dataset_id))
    out: dict[int, RuleOut] = {}
    cache: dict[int, RuleOut] = {}

    def converted(rule: ProtectionRule | None) -> RuleOut:
        if rule is None:
            return DEFAULT_RULE
        if rule.id not in cache:
            cache[rule.id] = rule_out(session, rule)
        return cache[rule.id]

    for indicator_id in indicator_ids:
        rule = own.get(indicator_id)
        if rule is None and indicator_id in links:
            rule = by_dataset[min(links[indicator_id])[1]]
        out[indicator_id] = converted(rule or default)
    return out


def city_secret(session: Session, city_id: int) -> bytes:
    """The city's cell-key secret (set with its first cell-key rule). Never put it into any output."""
    key = session.get(ProtectionKey, city_id)
    if key is None:
        raise Conflict("the city has a cell-key rule but no cell-key secret; set the rule again to create it")
    return bytes(key.secret)


__all__ = ["DEFAULT_RULE", "RULE_FIELDS", "city_secret", "rule_out", "rules_by_indicator"]
