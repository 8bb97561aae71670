"""Operations of the privacy domain: protection rules, declared relations, p-tables and the protection report.

Writes go through the caller's session and are recorded by the audit hooks like every other write (the
cell-key secret's column is redacted there). Importing this module registers protection with the
publication step (the manifest's ``publication_rules="service"``), so every output applies it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import Area, City
from bettercities.audit.context import current_actor
from bettercities.catalog.models import Dataset
from bettercities.core.errors import Conflict, NotFound
from bettercities.indicators.models import Indicator, Period
from bettercities.privacy import protection
from bettercities.privacy.models import ProtectionKey, ProtectionRule, QuantityRelation
from bettercities.privacy.queries import DEFAULT_RULE, RULE_FIELDS, rule_out, rules_by_indicator
from bettercities.privacy.schemas import (
    Method,
    ProtectionReport,
    RelationOut,
    RelationSpec,
    RuleOut,
    RuleSpec,
)
from bettercities.publication import protection as publication_protection

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bettercities.privacy.cellkey import PTable
    from bettercities.publication.protection import CellKey, CellMark

log = logging.getLogger(__name__)

# -- rules -------------------------------------------------------------------------------------------------


def _target_ids(session: Session, city: City, spec: RuleSpec) -> tuple[int | None, int | None]:
    indicator_id = dataset_id = None
    if spec.indicator is not None:
        indicator_id = session.scalar(select(Indicator.id).where(Indicator.code == spec.indicator))
        if indicator_id is None:
            raise NotFound("indicator", spec.indicator)
    if spec.dataset is not None:
        dataset_id = session.scalar(
            select(Dataset.id).where(Dataset.city_id == city.id, Dataset.code == spec.dataset)
        )
        if dataset_id is None:
            raise NotFound("dataset", f"{city.slug}/{spec.dataset}")
    return indicator_id, dataset_id


def _find_rule(
    session: Session, city: City, indicator_id: int | None, dataset_id: int | None
) -> ProtectionRule | None:
    return session.scalar(
        select(ProtectionRule).where(
            ProtectionRule.city_id == city.id,
            ProtectionRule.indicator_id.is_(None)
            if indicator_id is None
            else ProtectionRule.indicator_id == indicator_id,
            ProtectionRule.dataset_id.is_(None)
            if dataset_id is None
            else ProtectionRule.dataset_id == dataset_id,
        )
    )


def set_rule(session: Session, city: City, spec: RuleSpec) -> RuleOut:
    """Set the rule for ``spec``'s target in ``city`` (replacing the one it had).

    A cell-key rule makes sure the city has its secret (created here, in the writing transaction, so that
    every later read perturbs with the same keys). Raises :class:`NotFound` for an unknown indicator or
    dataset.
    """
    indicator_id, dataset_id = _target_ids(session, city, spec)
    rule = _find_rule(session, city, indicator_id, dataset_id)
    if rule is None:
        rule = ProtectionRule(city_id=city.id, indicator_id=indicator_id, dataset_id=dataset_id)
        session.add(rule)
    for name in RULE_FIELDS:
        value = getattr(spec, name)
        setattr(rule, name, value.value if isinstance(value, Method) else value)
    rule.created_by = current_actor().name
    if spec.method == Method.CELL_KEY:
        _ensure_key(session, city)
    session.flush()
    return rule_out(session, rule)


def list_rules(session: Session, city: City) -> list[RuleOut]:
    """The city's rules: its default first (the built-in one, ``id`` None, when it set none), then dataset
    rules, then indicator rules, each by code."""
    rules = [
        rule_out(session, r)
        for r in session.scalars(select(ProtectionRule).where(ProtectionRule.city_id == city.id))
    ]
    if not any(r.scope == "default" for r in rules):
        rules.append(DEFAULT_RULE)
    order = {"default": 0, "dataset": 1, "indicator": 2}
    return sorted(rules, key=lambda r: (order[r.scope.split(":")[0]], r.scope))


def remove_rule(
    session: Session, city: City, *, indicator: str | None = None, dataset: str | None = None
) -> None:
    """Remove the rule of ``indicator``, ``dataset`` or (neither given) the city's default; the next broader
    rule applies again (in the end :data:`DEFAULT_RULE`)."""
    spec = RuleSpec(indicator=indicator, dataset=dataset)
    rule = _find_rule(session, city, *_target_ids(session, city, spec))
    if rule is None:
        raise NotFound("protection rule", f"{city.slug}/{spec.scope}")
    session.delete(rule)
    session.flush()


# -- relations ---------------------------------------------------------------------------------------------


def _relation_out(relation: QuantityRelation) -> RelationOut:
    return RelationOut(
        id=relation.id,
        total=relation.total_code,
        parts=relation.parts.split(","),
        created_by=relation.created_by,
        created_at=relation.created_at,
    )


def add_relation(session: Session, city: City, spec: RelationSpec) -> RelationOut:
    """Declare that quantity ``spec.total`` equals the sum of ``spec.parts`` in every area of ``city`` (used
    by secondary suppression where it holds on the data). Raises :class:`Conflict` when declared already."""
    parts = ",".join(spec.parts)
    found = session.scalar(
        select(QuantityRelation).where(
            QuantityRelation.city_id == city.id,
            QuantityRelation.total_code == spec.total,
            QuantityRelation.parts == parts,
        )
    )
    if found is not None:
        raise Conflict(f"the relation {spec.total} = {' + '.join(spec.parts)} is declared already")
    relation = QuantityRelation(
        city_id=city.id, total_code=spec.total, parts=parts, created_by=current_actor().name
    )
    session.add(relation)
    session.flush()
    return _relation_out(relation)


def list_relations(session: Session, city: City) -> list[RelationOut]:
    """The city's declared relations, by total and parts."""
    rows = session.scalars(
        select(QuantityRelation)
        .where(QuantityRelation.city_id == city.id)
        .order_by(QuantityRelation.total_code, QuantityRelation.parts)
    ).all()
    return [_relation_out(r) for r in rows]


def remove_relation(session: Session, city: City, relation_id: int) -> None:
    """Remove the declared relation ``relation_id`` of ``city``."""
    relation = session.get(QuantityRelation, relation_id)
    if relation is None or relation.city_id != city.id:
        raise NotFound("quantity relation", f"{city.slug}/{relation_id}")
    session.delete(relation)
    session.flush()


# -- cell keys ---------------------------------------------------------------------------------------------


def _ensure_key(session: Session, city: City) -> None:
    if session.get(ProtectionKey, city.id) is None:
        session.add(ProtectionKey(city_id=city.id, secret=secrets.token_bytes(32)))
        session.flush()


def ptable_for(session: Session, city: City, indicator: Indicator) -> PTable | None:
    """The p-table that perturbs ``indicator`` in ``city`` (published for users), or ``None`` when the
    indicator is not protected by the cell-key method."""
    rule = rules_by_indicator(session, city.id, [indicator.id])[indicator.id]
    if rule.method != Method.CELL_KEY:
        return None
    from bettercities.privacy.cellkey import PTable

    return PTable.build(max_deviation=rule.max_deviation, variance=rule.variance, js=rule.js)


# -- the publication step -------------------------------------------------------------------------------


@publication_protection.protects
def _marks(session: Session, city_id: int) -> Mapping[CellKey, CellMark]:
    """The protector the publication step applies: the marks of the city at the current data version."""
    return protection.protect(session, city_id).marks


# -- warm-up ------------------------------------------------------------------------------------------------


def warm(sessions: Callable[[], AbstractContextManager[Session]]) -> int:
    """Compute the protection of every city with areas at the current data version, one city at a time, so
    that the first reader after a start or a write does not wait for it; returns the number of cities.

    ``sessions`` opens a reading session (e.g. ``workspace.database.reader``). Protection is cached per
    data version (:func:`.protection.protect`), so a reader arriving during the computation waits for this
    result instead of computing it again, and a city already protected costs nothing.
    """
    with sessions() as session:
        # only cities with areas can have cells: a workspace with Europe's registry holds ~18,000 cities
        # without any, and a computation each (a query over the observations) took ~20 s after every write
        with_areas = select(Area.id).where(Area.city_id == City.id).exists()
        city_ids = list(session.scalars(select(City.id).where(with_areas).order_by(City.id)))
    for city_id in city_ids:
        started = time.perf_counter()
        with sessions() as session:
            result = protection.protect(session, city_id)
        if not result.cached:
            log.info("protected city %d in %.1f s", city_id, time.perf_counter() - started)
    return len(city_ids)


def keep_warm(
    sessions: Callable[[], AbstractContextManager[Session]], stop: threading.Event, *, interval: float = 2.0
) -> None:
    """Run :func:`warm` now and whenever the data version changes (checked every ``interval`` seconds),
    until ``stop`` is set. Meant for a daemon thread: errors are logged and the loop goes on."""
    last: tuple[int, int] | None = None
    while True:
        try:
            with sessions() as session:
                version = protection.data_version(session)
            if version != last:
                warm(sessions)
                last = version
        except Exception:  # the readers compute protection themselves if this fails; do not stop trying
            log.exception("computing protection in the background failed")
        if stop.wait(interval):
            return


# -- report ------------------------------------------------------------------------------------------------


def report(session: Session, city: City, period: Period | None = None) -> ProtectionReport:
    """What protection withholds and perturbs in ``city`` (in ``period``, or every period): per quantity and
    period the cells, primary cells by rule, secondary and perturbed cells; per period the solver's status
    and time. Computed (or taken from the cache of the current data version) like every output's."""
    started = time.perf_counter()
    result = protection.protect(session, city.id)
    quantities = [q for q in result.quantities if period is None or q.period == period.code]
    periods = [p for p in result.periods if period is None or p.period == period.code]
    return ProtectionReport(
        city=city.slug,
        data_version=result.version,
        quantities=quantities,
        periods=periods,
        seconds=round(time.perf_counter() - started, 4) if result.cached else result.seconds,
    )


__all__ = [
    "DEFAULT_RULE",
    "add_relation",
    "keep_warm",
    "list_relations",
    "list_rules",
    "ptable_for",
    "remove_relation",
    "remove_rule",
    "report",
    "set_rule",
    "warm",
]
