"""A programme's impact logic: writes (boxes, links, measures, entered values) and the logic as of a day.

Every write is an ORM write, so the audit log records it whichever face calls; the faces check that the
caller coordinates a network of the programme (or administers the platform). Values of automatic measures
are never stored: :func:`logic` computes each one as of the day asked and as of the end of each of the last
quarters before it (:mod:`bettercities.impact_logic.measures`). A manual measure's value on a day is the last
one entered for a day up to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.audit.context import current_actor
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.impact_logic import measures
from bettercities.impact_logic.models import LogicBox, LogicLink, LogicMeasure, LogicValue
from bettercities.impact_logic.schemas import (
    BoxChange,
    BoxIn,
    BoxOut,
    ImpactLogicOut,
    LinkIn,
    LinkOut,
    MeasureCode,
    MeasureIn,
    MeasureOut,
    Stage,
    TrendPoint,
    ValueIn,
    ValueOut,
)
from bettercities.networks.history import get_programme
from bettercities.networks.models import Programme
from bettercities.networks.queries import default_day

__all__ = [
    "MAX_QUARTERS",
    "QUARTERS",
    "add_box",
    "add_measure",
    "default_quarters",
    "link_boxes",
    "logic",
    "measure_codes",
    "quarter_ends",
    "record_value",
    "remove_box",
    "remove_measure",
    "unlink_boxes",
    "update_box",
    "update_measure",
]

SOURCE = "impact logic"
#: How many quarter ends a trend shows by default when the programme has no start date, and at most.
QUARTERS = 8
MAX_QUARTERS = 12


def _refuse(code: str, message: str, *, column: str | None = None, value: str | None = None) -> InvalidInput:
    problem = Problem(code=code, message=message, column=column, value=value, file=SOURCE)
    return InvalidInput(message, Report(source=SOURCE, problems=[problem]))


def _conflict(code: str, message: str, *, column: str | None = None) -> Conflict:
    problem = Problem(code=code, message=message, column=column, file=SOURCE)
    return Conflict(message, Report(source=SOURCE, problems=[problem]))


def _who() -> str:
    return current_actor().name


def _box(session: Session, programme: Programme, key: str) -> LogicBox:
    box = session.scalar(select(LogicBox).where(LogicBox.programme_id == programme.id, LogicBox.key == key))
    if box is None:
        raise NotFound("impact-logic box", f"{programme.slug}/{key}")
    return box


def _measure(session: Session, programme: Programme, key: str) -> LogicMeasure:
    found = session.scalar(
        select(LogicMeasure).where(LogicMeasure.programme_id == programme.id, LogicMeasure.key == key)
    )
    if found is None:
        raise NotFound("impact-logic measure", f"{programme.slug}/{key}")
    return found


def _check_text(values: dict[str, str | None]) -> None:
    for name, text in values.items():
        allowed = "\n\r\t" if name.startswith("text") else ""
        if text and any((ord(c) < 32 or c == "\x7f") and c not in allowed for c in text):
            raise _refuse("logic-invalid-text", f"the {name} contains a control character", column=name)


def _next_position(session: Session, column: object, where: object) -> int:
    last = session.scalar(select(func.max(column)).where(where))  # type: ignore[arg-type]
    return 0 if last is None else int(last) + 1


# -- boxes and links ---------------------------------------------------------------------------------------


def add_box(session: Session, programme_slug: str, spec: BoxIn) -> BoxOut:
    """Add a box to the programme's logic (last in its column unless ``spec.position``);
    ``logic-duplicate-key`` (:class:`Conflict`) when the programme has a box of that key."""
    programme = get_programme(session, programme_slug)
    _check_text({"title_de": spec.title_de, "title_en": spec.title_en, "text_de": spec.text_de,
                 "text_en": spec.text_en})  # fmt: skip
    taken = session.scalar(
        select(LogicBox.id).where(LogicBox.programme_id == programme.id, LogicBox.key == spec.key)
    )
    if taken is not None:
        raise _conflict("logic-duplicate-key", f"the impact logic of '{programme_slug}' has a box "
                        f"'{spec.key}' already", column="key")  # fmt: skip
    position = spec.position
    if position is None:
        position = _next_position(
            session,
            LogicBox.position,
            (LogicBox.programme_id == programme.id) & (LogicBox.stage == spec.stage.value),
        )
    box = LogicBox(
        programme_id=programme.id, key=spec.key, stage=spec.stage.value, position=position,
        title_de=spec.title_de.strip(), title_en=spec.title_en.strip(), text_de=spec.text_de,
        text_en=spec.text_en, created_by=_who(),
    )  # fmt: skip
    session.add(box)
    session.flush()
    return _box_of(logic(session, programme_slug, quarters=0), box.key)


def update_box(session: Session, programme_slug: str, key: str, change: BoxChange) -> BoxOut:
    """Change a box's stage, titles, texts or position; a stage change that would turn one of its links
    backwards is refused (``logic-backward-link``)."""
    programme = get_programme(session, programme_slug)
    box = _box(session, programme, key)
    fields = change.model_dump(exclude_none=True)
    if not fields:
        raise _refuse("logic-no-change", f"the change of box '{key}' changes nothing")
    _check_text({k: v for k, v in fields.items() if isinstance(v, str)})
    if change.stage is not None and change.stage.value != box.stage:
        rank = change.stage.rank
        for other, outgoing in _links_of(session, box):
            other_rank = Stage(other.stage).rank
            if (outgoing and other_rank <= rank) or (not outgoing and other_rank >= rank):
                raise _refuse(
                    "logic-backward-link",
                    f"box '{key}' cannot move to {change.stage.value}: its link "
                    f"{'to' if outgoing else 'from'} '{other.key}' ({other.stage}) would not lead forward",
                    column="stage",
                )
    for name, value in fields.items():
        setattr(box, name, value.value if isinstance(value, Stage) else value)
    session.flush()
    return _box_of(logic(session, programme_slug, quarters=0), key)


def _links_of(session: Session, box: LogicBox) -> list[tuple[LogicBox, bool]]:
    """The boxes ``box`` is linked with, each with whether the arrow leaves ``box``."""
    outgoing = session.scalars(
        select(LogicBox)
        .join(LogicLink, LogicLink.to_box_id == LogicBox.id)
        .where(LogicLink.from_box_id == box.id)
    ).all()
    incoming = session.scalars(
        select(LogicBox)
        .join(LogicLink, LogicLink.from_box_id == LogicBox.id)
        .where(LogicLink.to_box_id == box.id)
    ).all()
    return [(b, True) for b in outgoing] + [(b, False) for b in incoming]


def remove_box(session: Session, programme_slug: str, key: str) -> None:
    """Remove a box with its measures (and their entered values) and its links."""
    programme = get_programme(session, programme_slug)
    box = _box(session, programme, key)
    for row in session.scalars(
        select(LogicLink).where((LogicLink.from_box_id == box.id) | (LogicLink.to_box_id == box.id))
    ):
        session.delete(row)
    session.flush()
    for measure in session.scalars(select(LogicMeasure).where(LogicMeasure.box_id == box.id)).all():
        _delete_measure(session, measure)
    session.delete(box)  # after its rows: one flush per level, children first (the audit log sees each)
    session.flush()


def link_boxes(session: Session, programme_slug: str, spec: LinkIn) -> LinkOut:
    """An arrow from box ``spec.source`` to box ``spec.target``, which lies in a later stage
    (``logic-backward-link`` otherwise); ``logic-duplicate-link`` (:class:`Conflict`) when it exists."""
    programme = get_programme(session, programme_slug)
    source, target = _box(session, programme, spec.source), _box(session, programme, spec.target)
    if Stage(target.stage).rank <= Stage(source.stage).rank:
        raise _refuse(
            "logic-backward-link",
            f"a link leads to a later stage: '{source.key}' is in {source.stage}, '{target.key}' in "
            f"{target.stage}",
            column="target",
            value=target.key,
        )
    exists = session.scalar(
        select(LogicLink.id).where(LogicLink.from_box_id == source.id, LogicLink.to_box_id == target.id)
    )
    if exists is not None:
        raise _conflict("logic-duplicate-link", f"'{source.key}' is linked to '{target.key}' already")
    session.add(LogicLink(from_box_id=source.id, to_box_id=target.id))
    session.flush()
    return LinkOut(source=source.key, target=target.key)


def unlink_boxes(session: Session, programme_slug: str, spec: LinkIn) -> None:
    """Remove the arrow from ``spec.source`` to ``spec.target``; :class:`NotFound` when there is none."""
    programme = get_programme(session, programme_slug)
    source, target = _box(session, programme, spec.source), _box(session, programme, spec.target)
    link = session.scalar(
        select(LogicLink).where(LogicLink.from_box_id == source.id, LogicLink.to_box_id == target.id)
    )
    if link is None:
        raise NotFound("impact-logic link", f"{programme_slug}/{spec.source}->{spec.target}")
    session.delete(link)
    session.flush()


# -- measures ----------------------------------------------------------------------------------------------


def measure_codes() -> list[MeasureCode]:
    """The automatic measures of the fixed table (:data:`~bettercities.impact_logic.measures.MEASURES`)."""
    return [
        MeasureCode(
            code=m.code,
            label_de=m.label_de,
            label_en=m.label_en,
            unit_de=m.unit_de,
            unit_en=m.unit_en,
            description=m.description,
            available=reason is None,
            unavailable_reason=reason,
        )
        for m in measures.MEASURES.values()
        for reason in (measures.unavailable_reason(m.code),)
    ]


def add_measure(session: Session, programme_slug: str, spec: MeasureIn) -> MeasureOut:
    """Add a measure to a box: automatic when ``spec.code`` is one of the fixed table's codes
    (``logic-unknown-code`` otherwise), manual without a code (``logic-missing-label`` unless it has labels
    in German and English); ``logic-duplicate-key`` when the programme has a measure of that key."""
    programme = get_programme(session, programme_slug)
    box = _box(session, programme, spec.box)
    _check_text({"label_de": spec.label_de, "label_en": spec.label_en, "unit_de": spec.unit_de,
                 "unit_en": spec.unit_en})  # fmt: skip
    if spec.code is not None and spec.code not in measures.MEASURES:
        raise _refuse(
            "logic-unknown-code",
            f"no automatic measure '{spec.code}': use one of {', '.join(measures.MEASURES)}, or none for a "
            "manual measure",
            column="code",
            value=spec.code,
        )
    auto = measures.MEASURES.get(spec.code) if spec.code else None
    if auto is None and not (spec.label_de and spec.label_en):
        raise _refuse("logic-missing-label", f"manual measure '{spec.key}' needs a German and an English "
                      "label", column="label_de" if not spec.label_de else "label_en")  # fmt: skip
    taken = session.scalar(
        select(LogicMeasure.id).where(LogicMeasure.programme_id == programme.id, LogicMeasure.key == spec.key)
    )
    if taken is not None:
        raise _conflict("logic-duplicate-key", f"the impact logic of '{programme_slug}' has a measure "
                        f"'{spec.key}' already", column="key")  # fmt: skip
    position = spec.position
    if position is None:
        position = _next_position(session, LogicMeasure.position, LogicMeasure.box_id == box.id)
    measure = LogicMeasure(
        programme_id=programme.id, box_id=box.id, key=spec.key, code=spec.code, position=position,
        label_de=spec.label_de or (auto.label_de if auto else ""),
        label_en=spec.label_en or (auto.label_en if auto else ""),
        unit_de=spec.unit_de or (auto.unit_de if auto else None),
        unit_en=spec.unit_en or (auto.unit_en if auto else None),
        target=spec.target, target_date=spec.target_date, created_by=_who(),
    )  # fmt: skip
    session.add(measure)
    session.flush()
    return _measure_of(logic(session, programme_slug, quarters=0), spec.key)


def update_measure(
    session: Session,
    programme_slug: str,
    key: str,
    *,
    target: float | None = None,
    target_date: date | None = None,
    clear_target: bool = False,
) -> MeasureOut:
    """Set (or, ``clear_target``, remove) a measure's target and the day it is to be reached by."""
    programme = get_programme(session, programme_slug)
    measure = _measure(session, programme, key)
    if clear_target:
        measure.target, measure.target_date = None, None
    elif target is None and target_date is None:
        raise _refuse("logic-no-change", f"the change of measure '{key}' changes nothing")
    else:
        if target is not None:
            measure.target = target
        if target_date is not None:
            measure.target_date = target_date
    session.flush()
    return _measure_of(logic(session, programme_slug, quarters=0), key)


def _delete_measure(session: Session, measure: LogicMeasure) -> None:
    for value in session.scalars(select(LogicValue).where(LogicValue.measure_id == measure.id)):
        session.delete(value)
    session.flush()  # the values before their measure (no ORM relationship orders the deletes)
    session.delete(measure)
    session.flush()


def remove_measure(session: Session, programme_slug: str, key: str) -> None:
    """Remove a measure and its entered values."""
    programme = get_programme(session, programme_slug)
    _delete_measure(session, _measure(session, programme, key))
    session.flush()


def record_value(session: Session, programme_slug: str, key: str, spec: ValueIn) -> ValueOut:
    """Enter the value of manual measure ``key`` on ``spec.day`` with its source (a value entered for the
    same day before is replaced, and the audit log keeps the old one); ``logic-automatic-value`` for an
    automatic measure, whose values are computed."""
    programme = get_programme(session, programme_slug)
    measure = _measure(session, programme, key)
    if measure.code:
        raise _refuse(
            "logic-automatic-value",
            f"measure '{key}' is computed from the data ({measure.code}): values are entered for manual "
            "measures only",
            column="value",
        )
    _check_text({"source": spec.source})
    row = session.scalar(
        select(LogicValue).where(LogicValue.measure_id == measure.id, LogicValue.day == spec.day)
    )
    if row is None:
        row = LogicValue(measure_id=measure.id, day=spec.day)
        session.add(row)
    row.value = spec.value
    row.source = spec.source.strip()
    row.recorded_by = _who()
    session.flush()
    return ValueOut(day=row.day, value=row.value, source=row.source, recorded_by=row.recorded_by)


# -- the logic as of a day ---------------------------------------------------------------------------------


def quarter_ends(on: date, count: int) -> list[date]:
    """The last ``count`` quarter ends on or before ``on``, oldest first."""
    year, quarter = on.year, (on.month - 1) // 3 + 1
    ends: list[date] = []
    while len(ends) < count:
        end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - timedelta(days=1)
        if end <= on:
            ends.append(end)
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
    return ends[::-1]


def _manual_value(values: Sequence[LogicValue], day: date) -> LogicValue | None:
    found = None
    for v in values:  # ordered by day
        if v.day <= day:
            found = v
    return found


def _measure_out(
    session: Session,
    programme: Programme,
    measure: LogicMeasure,
    box_key: str,
    on: date,
    quarters: list[date],
    values: Sequence[LogicValue],
) -> MeasureOut:
    common = {
        "key": measure.key, "box": box_key, "code": measure.code, "automatic": bool(measure.code),
        "label_de": measure.label_de, "label_en": measure.label_en, "unit_de": measure.unit_de,
        "unit_en": measure.unit_en, "target": measure.target, "target_date": measure.target_date,
    }  # fmt: skip
    if measure.code:
        reason = measures.unavailable_reason(measure.code)
        if reason is not None:
            return MeasureOut(
                **common, available=False, unavailable_reason=reason, current=None, current_day=None,
                source=None, trend=[TrendPoint(day=q, value=None) for q in quarters],
            )  # fmt: skip
        try:
            current = measures.compute(session, measure.code, programme, on)
            trend = [
                TrendPoint(day=q, value=measures.compute(session, measure.code, programme, q))
                for q in quarters
            ]
        except measures.MeasureUnavailable as error:
            return MeasureOut(
                **common, available=False, unavailable_reason=str(error), current=None, current_day=None,
                source=None, trend=[TrendPoint(day=q, value=None) for q in quarters],
            )  # fmt: skip
        return MeasureOut(
            **common, available=True, current=current, current_day=on,
            source=f"computed from the data stored in bettercities ({measure.code}), as of {on.isoformat()}",
            trend=trend,
        )  # fmt: skip
    last = _manual_value(values, on)
    trend = []
    for q in quarters:
        then = _manual_value(values, q)
        trend.append(TrendPoint(day=q, value=then.value if then else None))
    entered = [ValueOut(day=v.day, value=v.value, source=v.source, recorded_by=v.recorded_by) for v in values]
    return MeasureOut(
        **common, available=True, current=last.value if last else None,
        current_day=last.day if last else None,
        source=last.source if last else None,
        trend=trend, values=entered,
    )  # fmt: skip


def default_quarters(start: date | None, on: date) -> int:
    """How many quarter ends a trend shows by default: from the last one before the programme started (so the
    line begins before anything happened) to ``on``, at least 4 and at most :data:`MAX_QUARTERS`; without a
    start, :data:`QUARTERS`."""
    if start is None or start > on:
        return QUARTERS
    months = (on.year - start.year) * 12 + on.month - start.month
    return min(max(months // 3 + 2, 4), MAX_QUARTERS)


def logic(
    session: Session, programme_slug: str, *, on: date | None = None, quarters: int | None = None
) -> ImpactLogicOut:
    """The programme's impact logic as of ``on`` (default: today within the programme's period, its last day
    once it has ended): its boxes in stage order, each with its measures' values as of ``on`` and at the ends
    of the last ``quarters`` quarters on or before it (default: :func:`default_quarters`);
    :class:`NotFound` for an unknown programme."""
    programme = get_programme(session, programme_slug)
    on = on or default_day(programme.start, programme.end)
    if quarters is None:
        quarters = default_quarters(programme.start, on)
    ends = quarter_ends(on, quarters) if quarters > 0 else []
    boxes = session.scalars(select(LogicBox).where(LogicBox.programme_id == programme.id)).all()
    boxes = sorted(boxes, key=lambda b: (Stage(b.stage).rank, b.position, b.key))
    keys = {b.id: b.key for b in boxes}
    links = session.execute(
        select(LogicLink.from_box_id, LogicLink.to_box_id).where(LogicLink.from_box_id.in_(list(keys)))
    ).all()
    order = {b.id: i for i, b in enumerate(boxes)}
    links = sorted(links, key=lambda link: (order[link[0]], order[link[1]]))
    leads: dict[int, list[str]] = defaultdict(list)
    for a, b in links:
        leads[a].append(keys[b])
    rows = session.scalars(
        select(LogicMeasure)
        .where(LogicMeasure.programme_id == programme.id)
        .order_by(LogicMeasure.position, LogicMeasure.key)
    ).all()
    values: dict[int, list[LogicValue]] = defaultdict(list)
    for v in session.scalars(
        select(LogicValue).where(LogicValue.measure_id.in_([m.id for m in rows])).order_by(LogicValue.day)
    ):
        values[v.measure_id].append(v)
    by_box: dict[int, list[MeasureOut]] = defaultdict(list)
    for m in rows:
        by_box[m.box_id].append(_measure_out(session, programme, m, keys[m.box_id], on, ends, values[m.id]))
    return ImpactLogicOut(
        programme=programme.slug,
        programme_name=programme.name,
        on=on,
        quarters=ends,
        boxes=[
            BoxOut(
                key=b.key,
                stage=Stage(b.stage),
                position=b.position,
                title_de=b.title_de,
                title_en=b.title_en,
                text_de=b.text_de,
                text_en=b.text_en,
                measures=by_box[b.id],
                leads_to=leads[b.id],
            )
            for b in boxes
        ],
        links=[LinkOut(source=keys[a], target=keys[b]) for a, b in links],
    )


def _box_of(result: ImpactLogicOut, key: str) -> BoxOut:
    return next(b for b in result.boxes if b.key == key)


def _measure_of(result: ImpactLogicOut, key: str) -> MeasureOut:
    return next(m for b in result.boxes for m in b.measures if m.key == key)
