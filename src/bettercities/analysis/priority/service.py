"""Priority areas: rules over index classes, LISA clusters, Gi* hot spots and thresholds; named sets.

A :class:`PriorityRule` combines conditions (``all`` or ``any``, nestable with ``group``):

* ``index-class``: the area's class in a stored index run (:mod:`bettercities.analysis.index.results`):
  ``status``, ``dynamics`` or ``combined`` of an MSS-type run, ``index`` of a composite run;
* ``lisa``: the area's significant LISA cluster (HH, LL, HL, LH) of an indicator;
* ``hotspot``: the area's Getis-Ord Gi* hot or cold spot of an indicator;
* ``threshold``: the area's published value of an indicator compared with a number.

:func:`evaluate` returns the chosen areas with the reasons they met; :func:`save_set` keeps them as a named
set of the city (tables in :mod:`bettercities.analysis.priority.models`) for later goals and evaluations.
Rules are written in YAML or JSON; ``PRESETS`` holds the rule Berlin uses for areas needing attention.
"""

from __future__ import annotations

import csv
import json
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bettercities.analysis.index.schemas import MssAreaScore, WeightsSpec
from bettercities.analysis.priority.models import PrioritySet, PrioritySetArea
from bettercities.analysis.spatial.service import analyse
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.timestamps import UtcDateTime
from bettercities.indicators import service as indicators
from bettercities.publication import Audience

__all__ = [
    "AUDIENCE_ORDER",
    "PRESETS",
    "PriorityResult",
    "PriorityRule",
    "PrioritySetOut",
    "delete_set",
    "evaluate",
    "get_set",
    "list_sets",
    "load_rule",
    "save_set",
    "visible_to",
    "write_csv",
    "write_geojson",
]


#: Limits of a rule (anyone may post one): permutations of a LISA or Gi* condition (as the spatial routes),
#: and conditions in all, groups included.
MAX_PERMUTATIONS = 9999
MAX_CONDITIONS = 50


class IndexClassCondition(BaseModel):
    """The area's class in a stored index run is one of ``classes`` (default run: the city's latest)."""

    model_config = {"extra": "forbid"}

    kind: Literal["index-class"] = "index-class"
    run: int | None = Field(default=None, description="Stored run id; default: the latest run of the level.")
    index: Literal["status", "dynamics", "combined", "index"] = "status"
    classes: list[str] = Field(min_length=1)


class LisaCondition(BaseModel):
    """The area is in a significant LISA cluster of ``indicator`` (queen weights unless given)."""

    model_config = {"extra": "forbid"}

    kind: Literal["lisa"] = "lisa"
    indicator: str
    clusters: list[Literal["HH", "LL", "HL", "LH"]] = Field(default=["HH"], min_length=1)
    weights: WeightsSpec = Field(default_factory=WeightsSpec)
    permutations: int = Field(default=999, ge=99, le=MAX_PERMUTATIONS)
    seed: int = 1
    alpha: float = Field(default=0.05, gt=0, lt=0.5)


class HotspotCondition(BaseModel):
    """The area is a significant Getis-Ord Gi* hot (or cold) spot of ``indicator``."""

    model_config = {"extra": "forbid"}

    kind: Literal["hotspot"] = "hotspot"
    indicator: str
    spots: list[Literal["hot", "cold"]] = Field(default=["hot"], min_length=1)
    weights: WeightsSpec = Field(default_factory=WeightsSpec)
    permutations: int = Field(default=999, ge=99, le=MAX_PERMUTATIONS)
    seed: int = 1
    alpha: float = Field(default=0.05, gt=0, lt=0.5)


class ThresholdCondition(BaseModel):
    """The area's published value of ``indicator`` compared with ``value`` holds."""

    model_config = {"extra": "forbid"}

    kind: Literal["threshold"] = "threshold"
    indicator: str
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

    name: str
    title: str | None = None
    combine: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1)
    level: str | None = None
    period: str | None = None

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


# -- evaluation --------------------------------------------------------------------------------------------

Matches = dict[str, list[str]]  # area code -> reasons
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
    "!=": operator.ne,
}  # fmt: skip


class _Context:
    """What conditions share while one rule is evaluated: city, level, period and stored runs read."""

    def __init__(
        self,
        session: Session,
        city: City,
        level: str | None,
        period: str | None,
        audience: Audience = Audience.PUBLIC,
        networks: frozenset[int] = frozenset(),
    ) -> None:
        self.session, self.city, self.level, self.period = session, city, level, period
        self.audience, self.networks = audience, networks
        self.runs: dict[int, Any] = {}

    def run(self, run_id: int | None) -> Any:
        from bettercities.analysis.index import results

        if run_id is None:
            candidates = [
                r
                for r in results.list_runs(self.session, self.city.slug)
                if (self.level is None or r.level == self.level)
                and (self.period is None or r.period == self.period)
            ]
            if not candidates:
                raise NotFound("index run", f"{self.city.slug}/{self.level or '*'}/{self.period or '*'}")
            run_id = max(candidates, key=lambda r: (r.computed_at, r.id)).id
        if run_id not in self.runs:
            stored = results.published_run(
                self.session, results.get_run(self.session, run_id), self.audience, self.networks
            )
            if stored.city != self.city.slug:
                raise NotFound("index run", f"{self.city.slug}/{run_id}")
            self.runs[run_id] = stored
            self.level = self.level or stored.level
            self.period = self.period or stored.period
        return self.runs[run_id]


def _index_class(context: _Context, condition: IndexClassCondition) -> Matches:
    run = context.run(condition.run)
    wanted = set(condition.classes)
    # an area whose inputs include a suppressed value has no class outside the data team (publish_scores)
    withheld = set() if context.audience == Audience.INTERNAL else set(run.inputs.suppressed_areas)
    matches = {}
    for score in run.result.areas:
        if not score.scored or score.area_id in withheld:
            continue
        if isinstance(score, MssAreaScore):
            code = {"status": score.status_class, "dynamics": score.dynamics_class}.get(
                condition.index, score.combined_class
            )
            label = {"status": score.status_label, "dynamics": score.dynamics_label}.get(
                condition.index, score.combined_label
            )
        else:
            code, label = score.class_code, score.class_label
        if code in wanted:
            matches[score.area_id] = [f"{condition.index} class {code}" + (f" ({label})" if label else "")]
    return matches


def _local(context: _Context, condition: LisaCondition | HotspotCondition) -> Matches:
    result = analyse(
        context.session, context.city.slug, condition.indicator, period=context.period, level=context.level,
        weights=condition.weights, permutations=condition.permutations, seed=condition.seed,
        alpha=condition.alpha, audience=context.audience, networks=context.networks,
    )  # fmt: skip
    context.level, context.period = result.level, result.period
    if isinstance(condition, LisaCondition):
        wanted: set[str] = set(condition.clusters)
        return {
            a.area_id: [f"LISA {a.cluster} of {condition.indicator}"]
            for a in result.areas
            if a.cluster in wanted
        }
    wanted = set(condition.spots)
    return {
        a.area_id: [f"Gi* {a.hotspot} spot of {condition.indicator}"]
        for a in result.areas
        if a.hotspot in wanted
    }


def _threshold(context: _Context, condition: ThresholdCondition) -> Matches:
    from bettercities.analysis.spatial.service import resolve

    _, indicator, period, level = resolve(
        context.session, context.city.slug, condition.indicator, period=context.period, level=context.level
    )
    context.level, context.period = level.code, period.code
    values, _ = indicators.level_values(
        context.session, indicator, period, level, audience=context.audience, networks=context.networks
    )
    test = OPERATORS[condition.op]
    return {
        v.area_code: [f"{condition.indicator} = {v.value:g} {condition.op} {condition.value:g}"]
        for v in values
        if v.value is not None and not v.suppressed and test(v.value, condition.value)
    }


def _evaluate(context: _Context, condition: Condition) -> Matches:
    if isinstance(condition, IndexClassCondition):
        return _index_class(context, condition)
    if isinstance(condition, LisaCondition | HotspotCondition):
        return _local(context, condition)
    if isinstance(condition, ThresholdCondition):
        return _threshold(context, condition)
    return _combine(context, condition.combine, condition.conditions)[0]


def _combine(context: _Context, combine: str, conditions: list[Condition]) -> tuple[Matches, list[int]]:
    # index-class conditions first: a stored run fixes the level and period the other conditions use
    order = sorted(range(len(conditions)), key=lambda i: not isinstance(conditions[i], IndexClassCondition))
    results: list[Matches] = [{}] * len(conditions)
    for i in order:
        results[i] = _evaluate(context, conditions[i])
    codes = set(results[0])
    for matches in results[1:]:
        codes = codes & set(matches) if combine == "all" else codes | set(matches)
    combined = {code: [r for m in results if code in m for r in m[code]] for code in codes}
    return combined, [len(m) for m in results]


def evaluate(
    session: Session,
    slug: str,
    rule: PriorityRule,
    *,
    level: str | None = None,
    period: str | None = None,
    audience: Audience = Audience.PUBLIC,
    networks: frozenset[int] = frozenset(),
) -> PriorityResult:
    """The areas of a city that meet ``rule`` (level and period: arguments, then the rule, then its run),
    judged on what ``audience`` (with the viewer's ``networks``) may see: published values, and index
    classes of areas without a suppressed input (all of them for the city's data team)."""
    city = areas.get_city(session, slug)
    context = _Context(session, city, level or rule.level, period or rule.period, audience, networks)
    matches, counts = _combine(context, rule.combine, rule.conditions)
    if context.level is None:
        finest = areas.finest_level(session, city)
        if finest is None:
            raise NotFound("spatial level", slug)
        context.level = finest.code
    level_row = areas.get_level(session, city, context.level)
    at = indicators.get_period(session, context.period).end_date if context.period else None
    names = {a.code: a.name for a in areas.areas_of_level(session, level_row, at=at)}
    result = PriorityResult(
        city=city.slug,
        rule=rule,
        level=context.level,
        period=context.period,
        runs=sorted(context.runs),
        areas=[
            PriorityArea(area_id=code, name=names.get(code, code), reasons=matches[code])
            for code in sorted(matches)
        ],
        total=len(names),
        condition_counts=counts,
        audience=audience,
    )
    result._networks = networks if audience == Audience.PUBLIC else frozenset()
    return result


# -- named sets --------------------------------------------------------------------------------------------

#: Audiences from the least to the most that may be seen: a set computed for one is visible to it and after.
AUDIENCE_ORDER = (Audience.PUBLIC, Audience.MEMBER, Audience.INTERNAL)


def visible_to(computed_for: Audience | str, audience: Audience) -> bool:
    """Whether ``audience`` may see a set computed for ``computed_for``: its membership can rest on the
    inputs that audience saw (restricted values, index classes of areas with a suppressed input)."""
    return AUDIENCE_ORDER.index(audience) >= AUDIENCE_ORDER.index(Audience(computed_for))


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


def _set_out(session: Session, row: PrioritySet, city: City, *, with_areas: bool = True) -> PrioritySetOut:
    members = []
    if with_areas:
        level = areas.get_level(session, city, row.level_code)
        names = {a.code: a.name for a in areas.areas_of_level(session, level)}
        stored = session.scalars(
            select(PrioritySetArea)
            .where(PrioritySetArea.set_id == row.id)
            .order_by(PrioritySetArea.area_code)
        ).all()
        members = [
            PriorityArea(
                area_id=m.area_code,
                name=names.get(m.area_code, m.area_code),
                reasons=json.loads(m.reasons or "[]"),
            )
            for m in stored
        ]
    return PrioritySetOut(
        id=row.id,
        city=city.slug,
        name=row.name,
        description=row.description,
        rule=PriorityRule.model_validate_json(row.rule),
        level=row.level_code,
        period=row.period_code,
        user=row.user,
        audience=Audience(row.audience),
        runs=json.loads(row.runs or "[]"),
        created_at=row.created_at,
        areas=members,
    )


def _check_text(text: str, what: str, *, allowed: str) -> None:
    """Refuse control characters (PostgreSQL cannot store NUL in text; a name is one line)."""
    if any((ord(c) < 32 or c == "\x7f") and c not in allowed for c in text):
        raise InvalidInput(f"the {what} of a priority set contains a control character")


def save_set(
    session: Session,
    result: PriorityResult,
    name: str,
    *,
    description: str | None = None,
    user: str | None = None,
    replace: bool = False,
) -> PrioritySetOut:
    """Keep the areas of ``result`` as the named set ``name`` of its city (``replace`` an existing one),
    with the audience ``result`` was evaluated for (:func:`visible_to` decides who sees the set).

    A public evaluation widened by network-shared data (``evaluate(networks=…)``) is refused: its set would be
    shown to the public although it rests on data the public may not see."""
    if not name.strip():
        raise InvalidInput("a priority set needs a name")
    _check_text(name, "name", allowed="")
    if "/" in name or name.endswith(".json"):
        raise InvalidInput(
            f"a priority set name may not contain '/' nor end in '.json' (it names the set's page): {name!r}"
        )
    _check_text(description or "", "description", allowed="\n\r\t")
    if result._networks:
        raise InvalidInput(
            "a priority set for the public must be evaluated on public data only, not on data shared with "
            "a network (evaluate with networks=frozenset())"
        )
    city = areas.get_city(session, result.city)
    existing = session.scalar(
        select(PrioritySet).where(PrioritySet.city_id == city.id, PrioritySet.name == name)
    )
    if existing is not None:
        if not replace:
            raise Conflict(f"priority set {name!r} exists in {city.slug}")
        session.delete(existing)
        session.flush()
    row = PrioritySet(
        city_id=city.id,
        name=name,
        description=description,
        rule=result.rule.model_dump_json(),
        level_code=result.level,
        period_code=result.period,
        user=user,
        audience=result.audience.value,
        runs=json.dumps(result.runs),
    )
    session.add(row)
    session.flush()
    session.add_all(
        PrioritySetArea(set_id=row.id, area_code=a.area_id, reasons=json.dumps(a.reasons, ensure_ascii=False))
        for a in result.areas
    )
    session.flush()
    return _set_out(session, row, city)


def list_sets(session: Session, slug: str, *, audience: Audience | None = None) -> list[PrioritySetOut]:
    """The named sets of a city (without their areas); with ``audience``, only those it may see."""
    city = areas.get_city(session, slug)
    rows = session.scalars(
        select(PrioritySet).where(PrioritySet.city_id == city.id).order_by(PrioritySet.name)
    )
    return [
        _set_out(session, row, city, with_areas=False)
        for row in rows
        if audience is None or visible_to(row.audience, audience)
    ]


def _find(
    session: Session, slug: str, name: str, audience: Audience | None = None
) -> tuple[City, PrioritySet]:
    city = areas.get_city(session, slug)
    row = session.scalar(select(PrioritySet).where(PrioritySet.city_id == city.id, PrioritySet.name == name))
    if row is None or (audience is not None and not visible_to(row.audience, audience)):
        raise NotFound("priority set", f"{slug}/{name}")  # a set the audience may not see does not exist
    return city, row


def get_set(session: Session, slug: str, name: str, *, audience: Audience | None = None) -> PrioritySetOut:
    """The named set with its areas; with ``audience``, :class:`NotFound` for a set it may not see."""
    city, row = _find(session, slug, name, audience)
    return _set_out(session, row, city)


def delete_set(session: Session, slug: str, name: str) -> None:
    _, row = _find(session, slug, name)
    session.execute(delete(PrioritySetArea).where(PrioritySetArea.set_id == row.id))
    session.delete(row)
    session.flush()


def write_csv(items: PriorityResult | PrioritySetOut, path: str | Path) -> None:
    """One row per priority area: ``area_id,name,reasons``."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["area_id", "name", "reasons"])
        writer.writeheader()
        writer.writerows(
            {"area_id": a.area_id, "name": a.name, "reasons": "; ".join(a.reasons)} for a in items.areas
        )


def write_geojson(session: Session, items: PriorityResult | PrioritySetOut, path: str | Path) -> int:
    """The priority areas with their stored geometries as a GeoJSON FeatureCollection (WGS84).

    Properties: ``area_id``, ``name``, ``reasons``; returns the number of features written.
    """
    city = areas.get_city(session, items.city)
    level = areas.get_level(session, city, items.level)
    at = indicators.get_period(session, items.period).end_date if items.period else None
    geometries = {a.code: a.geometry for a in areas.areas_of_level(session, level, at=at)}
    features = []
    for a in items.areas:
        text = geometries.get(a.area_id)
        features.append(
            {
                "type": "Feature",
                "properties": {"area_id": a.area_id, "name": a.name, "reasons": "; ".join(a.reasons)},
                "geometry": json.loads(text) if text else None,
            }
        )
    collection = {"type": "FeatureCollection", "name": items.rule.name, "features": features}
    Path(path).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return len(features)
