"""Peer-learning tandems: form one from a call's selected applications, record its stages, activities,
documents and outputs, link it to its cities' goals, and count what the programme's tandems did.

A tandem IS a ``network`` row of kind ``tandem`` in the programme (:func:`form_tandem` creates it with a
membership of role ``tandem partner`` per municipality, so ``networks.service.tandem_links`` draws it on the
programme's map); this package's tables are keyed by that row. Every function takes a session; the caller
commits. The faces check that the principal coordinates the programme
(:func:`bettercities.access.policy.require_programme_coordinator`); the writes are recorded in the audit log
by storage's session recording, forming a tandem also as the named event ``tandem-formed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.audit.context import current_actor
from bettercities.audit.service import record_event
from bettercities.calls.models import Application, Call
from bettercities.calls.schemas import ApplicationState
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.goals.models import Goal
from bettercities.networks import service as networks
from bettercities.networks.history import get_network, get_programme
from bettercities.networks.importing import slug_of
from bettercities.networks.models import Membership, Network, Programme
from bettercities.networks.schemas import MemberIn, MemberRole, MemberStatus, NetworkKind
from bettercities.publication import Audience
from bettercities.tandems.models import (
    TandemActivity,
    TandemApplication,
    TandemDocument,
    TandemGoalLink,
    TandemOutput,
    TandemStage,
)
from bettercities.tandems.schemas import (
    ActivityIn,
    ActivityOut,
    DocumentIn,
    DocumentOut,
    GoalLinkOut,
    MemberOut,
    OutputIn,
    OutputOut,
    OutputStatus,
    Stage,
    StageOut,
    TandemDetail,
    TandemOut,
)

SOURCE = "tandem"
_RANK = {Audience.PUBLIC.value: 0, Audience.MEMBER.value: 1, Audience.INTERNAL.value: 2}

__all__ = [
    "add_activity",
    "add_document",
    "add_output",
    "count_activities",
    "count_outputs",
    "form_tandem",
    "get_tandem",
    "link_application",
    "link_goal",
    "list_tandems",
    "set_output_status",
    "set_stage",
    "tandem_detail",
]


def _refuse(code: str, message: str, *, column: str | None = None, conflict: bool = False) -> None:
    report = Report(source=SOURCE, problems=[Problem(code=code, message=message, file=SOURCE, column=column)])
    if conflict:
        raise Conflict(message, report)
    raise InvalidInput(message, report)


def _by() -> str:
    return current_actor().name


def get_tandem(session: Session, slug: str) -> Network:
    """The tandem ``slug`` (:class:`NotFound` for an unknown network or one that is no tandem)."""
    network = get_network(session, slug)
    if network.kind != NetworkKind.TANDEM.value:
        raise NotFound("tandem", slug)
    return network


def _members(session: Session, network: Network) -> list[MemberOut]:
    origin = dict(
        session.execute(
            select(Application.city_id, Application.id)
            .join(TandemApplication, TandemApplication.application_id == Application.id)
            .where(TandemApplication.network_id == network.id)
        ).all()
    )
    rows = session.execute(
        select(City)
        .join(Membership, Membership.city_id == City.id)
        .where(
            Membership.network_id == network.id,
            Membership.superseded_at.is_(None),
            Membership.status == MemberStatus.ACTIVE.value,
        )
        .order_by(City.name)
    ).scalars()
    seen: dict[int, MemberOut] = {}
    for city in rows:
        seen.setdefault(
            city.id,
            MemberOut(
                city=city.slug, city_name=city.name, country=city.country, application=origin.get(city.id)
            ),
        )
    return list(seen.values())


def _stage(session: Session, network_id: int) -> Stage | None:
    found = session.scalar(
        select(TandemStage.stage)
        .where(TandemStage.network_id == network_id)
        .order_by(TandemStage.started_on.desc(), TandemStage.id.desc())
        .limit(1)
    )
    return Stage(found) if found else None


def tandem_out(session: Session, network: Network) -> TandemOut:
    programme = session.get(Programme, network.programme_id) if network.programme_id else None
    return TandemOut(
        slug=network.slug,
        name_de=network.name_de,
        name_en=network.name_en,
        programme=programme.slug if programme else "",
        start=network.start,
        members=_members(session, network),
        stage=_stage(session, network.id),
    )


def list_tandems(session: Session, programme: str | None = None) -> list[TandemOut]:
    query = select(Network).where(Network.kind == NetworkKind.TANDEM.value).order_by(Network.name_en)
    if programme is not None:
        query = query.where(Network.programme_id == get_programme(session, programme).id)
    return [tandem_out(session, n) for n in session.scalars(query)]


def form_tandem(
    session: Session,
    programme_slug: str,
    application_ids: list[int],
    *,
    name: str,
    by: str,
    slug: str | None = None,
    start: date | None = None,
    name_de: str | None = None,
) -> TandemOut:
    """Form a tandem (a pair or a triple) from selected applications to the programme's calls: a network
    of kind ``tandem`` in the programme, each applicant's municipality a member with the role
    ``tandem partner`` from ``start`` (today). Refused (``tandem-invalid``): not two or three applications,
    one not selected, of another programme's call, two of the same municipality, or one in a tandem
    already."""
    programme = get_programme(session, programme_slug)
    ids = list(dict.fromkeys(application_ids))
    if not 2 <= len(ids) <= 3:
        _refuse("tandem-invalid", f"a tandem is a pair or a triple: give 2 or 3 applications, not {len(ids)}")
    applications = []
    for application_id in ids:
        application = session.get(Application, application_id)
        if application is None:
            raise NotFound("application", application_id)
        call = session.get(Call, application.call_id)
        assert call is not None
        if call.programme_id != programme.id:
            _refuse("tandem-invalid", f"application {application_id} is to a call of another programme")
        if application.status != ApplicationState.SELECTED.value:
            _refuse("tandem-invalid", f"application {application_id} is {application.status}, not selected")
        taken = session.scalar(
            select(TandemApplication.network_id).where(TandemApplication.application_id == application_id)
        )
        if taken is not None:
            other = session.get(Network, taken)
            _refuse(
                "tandem-invalid",
                f"application {application_id} is in tandem '{other.slug if other else taken}' already",
                conflict=True,
            )
        applications.append(application)
    if len({a.city_id for a in applications}) != len(applications):
        _refuse(
            "tandem-invalid", "a tandem joins different municipalities: two applications are of the same one"
        )
    name = name.strip()
    if not name:
        _refuse("tandem-invalid", "a tandem needs a name", column="name")
    slug = slug or slug_of(f"tandem {name}")
    day = start or datetime.now(UTC).date()
    network = networks.create_network(
        session,
        slug,
        name_de=(name_de or name),
        name_en=name,
        programme=programme.slug,
        kind=NetworkKind.TANDEM,
        start=day,
    )
    row = get_network(session, network.slug)
    cities = []
    for application in applications:
        city = session.get(City, application.city_id)
        assert city is not None
        cities.append(city.slug)
        networks.add_membership(
            session,
            row.slug,
            MemberIn(
                city=city.slug,
                role=MemberRole.TANDEM_PARTNER,
                start=day,
                source=f"application {application.id}",
            ),
        )
        session.add(TandemApplication(network_id=row.id, application_id=application.id))
    session.flush()
    record_event(
        session,
        "tandem-formed",
        summary=f"{by} formed tandem {row.slug} of {', '.join(cities)} in {programme.slug}",
        entity="network",
        entity_key=row.slug,
        after={"cities": cities, "applications": ids},
    )
    return tandem_out(session, row)


def link_application(session: Session, slug: str, application_id: int) -> TandemOut:
    """Record that an existing tandem came from a selected application of one of its member cities (a
    tandem formed before its call was recorded here, as the demo's); ``tandem-invalid`` otherwise."""
    network = get_tandem(session, slug)
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound("application", application_id)
    if application.status != ApplicationState.SELECTED.value:
        _refuse("tandem-invalid", f"application {application_id} is {application.status}, not selected")
    city = session.get(City, application.city_id)
    assert city is not None
    if city.slug not in {m.city for m in _members(session, network)}:
        _refuse("tandem-invalid", f"{city.slug} is not a member of tandem {slug}")
    taken = session.scalar(
        select(TandemApplication.network_id).where(TandemApplication.application_id == application_id)
    )
    if taken is None:
        session.add(TandemApplication(network_id=network.id, application_id=application_id))
        session.flush()
    elif taken != network.id:
        _refuse("tandem-invalid", f"application {application_id} is in another tandem already", conflict=True)
    return tandem_out(session, network)


def set_stage(
    session: Session, slug: str, stage: Stage | str, *, on: date, note: str | None = None
) -> StageOut:
    """The tandem enters ``stage`` on ``on`` (stages follow the lifecycle's order; a later stage may not
    begin before an earlier one)."""
    network = get_tandem(session, slug)
    try:
        stage = Stage(stage)
    except ValueError:
        _refuse("tandem-invalid-stage", f"unknown stage '{stage}': use {', '.join(s.value for s in Stage)}")
        raise  # pragma: no cover
    order = list(Stage)
    for row in session.scalars(select(TandemStage).where(TandemStage.network_id == network.id)):
        earlier = order.index(Stage(row.stage)) < order.index(stage)
        if row.stage == stage.value:
            _refuse(
                "tandem-invalid-stage",
                f"tandem {slug} entered {stage.value} on {row.started_on} already",
                conflict=True,
            )
        if earlier and row.started_on > on:
            _refuse(
                "tandem-invalid-stage",
                f"{stage.value} cannot begin ({on}) before {row.stage} began ({row.started_on})",
            )
        if not earlier and row.started_on < on:
            _refuse(
                "tandem-invalid-stage",
                f"{stage.value} cannot begin ({on}) after {row.stage} began ({row.started_on})",
            )
    row = TandemStage(
        network_id=network.id,
        stage=stage.value,
        started_on=on,
        note=(note or "").strip() or None,
        recorded_by=_by(),
    )
    session.add(row)
    session.flush()
    return StageOut(stage=stage, started_on=on, note=row.note, recorded_by=row.recorded_by)


def add_activity(session: Session, slug: str, spec: ActivityIn) -> ActivityOut:
    network = get_tandem(session, slug)
    row = TandemActivity(
        network_id=network.id, kind=spec.kind.value, title=spec.title.strip(), starts_on=spec.starts_on,
        ends_on=spec.ends_on, place=(spec.place or "").strip() or None,
        participants=json.dumps([p.strip() for p in spec.participants if p.strip()], ensure_ascii=False),
        recorded_by=_by(), recorded_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return _activity_out(row)


def _activity_out(row: TandemActivity) -> ActivityOut:
    return ActivityOut(
        id=row.id, kind=row.kind, title=row.title, starts_on=row.starts_on, ends_on=row.ends_on,
        place=row.place, participants=json.loads(row.participants or "[]"), recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )  # fmt: skip


def add_document(session: Session, slug: str, spec: DocumentIn) -> DocumentOut:
    network = get_tandem(session, slug)
    row = TandemDocument(
        network_id=network.id, title=spec.title.strip(), url=spec.url or None, file_ref=spec.file_ref or None,
        recorded_by=_by(), recorded_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return DocumentOut.model_validate(row, from_attributes=True)


def _output_out(session: Session, row: TandemOutput) -> OutputOut:
    city = session.get(City, row.city_id) if row.city_id else None
    return OutputOut(
        id=row.id, kind=row.kind, title=row.title, city=city.slug if city else None,
        status=row.status, drafted_on=row.drafted_on, adopted_on=row.adopted_on,
    )  # fmt: skip


def _member_city(session: Session, network: Network, slug: str | None) -> City | None:
    if not slug:
        return None
    city = areas.get_city(session, slug)
    if city.slug not in {m.city for m in _members(session, network)}:
        _refuse("tandem-invalid", f"{slug} is not a member of tandem {network.slug}", column="city")
    return city


def add_output(session: Session, slug: str, spec: OutputIn) -> OutputOut:
    """An output of the tandem (an action plan …), drafted on ``drafted_on``; an adopted one needs the
    day it was adopted, not before it was drafted."""
    network = get_tandem(session, slug)
    city = _member_city(session, network, spec.city)
    _check_adoption(spec.status, spec.drafted_on, spec.adopted_on)
    row = TandemOutput(
        network_id=network.id, kind=spec.kind.value, title=spec.title.strip(),
        city_id=city.id if city else None, status=spec.status.value, drafted_on=spec.drafted_on,
        adopted_on=spec.adopted_on, recorded_by=_by(), recorded_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return _output_out(session, row)


def _check_adoption(status: OutputStatus, drafted: date, adopted: date | None) -> None:
    if status == OutputStatus.ADOPTED and adopted is None:
        _refuse(
            "tandem-invalid-output", "an adopted output needs the day it was adopted", column="adopted_on"
        )
    if status == OutputStatus.DRAFTED and adopted is not None:
        _refuse("tandem-invalid-output", "a drafted output has no adoption day", column="adopted_on")
    if adopted is not None and adopted < drafted:
        _refuse(
            "tandem-invalid-output",
            f"adopted ({adopted}) before it was drafted ({drafted})",
            column="adopted_on",
        )


def set_output_status(
    session: Session, output_id: int, status: OutputStatus | str, *, on: date | None = None
) -> OutputOut:
    """Mark an output adopted (on ``on``) or back to drafted."""
    row = session.get(TandemOutput, output_id)
    if row is None:
        raise NotFound("tandem output", output_id)
    try:
        target = OutputStatus(status)
    except ValueError:
        _refuse("tandem-invalid-output", f"unknown output status '{status}': use drafted or adopted")
        raise  # pragma: no cover
    adopted = on if target == OutputStatus.ADOPTED else None
    _check_adoption(target, row.drafted_on, adopted)
    row.status, row.adopted_on = target.value, adopted
    session.flush()
    return _output_out(session, row)


def link_goal(
    session: Session, slug: str, goal_id: int, *, output_id: int | None = None, note: str | None = None
) -> GoalLinkOut:
    """Link the tandem (or one of its outputs) to a goal of a member city."""
    network = get_tandem(session, slug)
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound("goal", goal_id)
    members = {m.city for m in _members(session, network)}
    city = session.get(City, goal.city_id)
    assert city is not None
    if city.slug not in members:
        _refuse(
            "tandem-invalid",
            f"goal {goal_id} is a goal of {city.slug}, which is not in tandem {slug}",
            column="goal",
        )
    if output_id is not None:
        output = session.get(TandemOutput, output_id)
        if output is None or output.network_id != network.id:
            raise NotFound("tandem output", output_id)
    if session.scalar(
        select(TandemGoalLink.id).where(
            TandemGoalLink.network_id == network.id, TandemGoalLink.goal_id == goal_id
        )
    ):
        _refuse("tandem-invalid", f"tandem {slug} is linked to goal {goal_id} already", conflict=True)
    row = TandemGoalLink(
        network_id=network.id, goal_id=goal_id, output_id=output_id, note=(note or "").strip() or None,
        recorded_by=_by(), recorded_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return GoalLinkOut(
        goal=goal.id,
        title=goal.title,
        city=city.slug,
        deadline=goal.deadline,
        output=output_id,
        note=row.note,
    )


def tandem_detail(
    session: Session, slug: str, *, audience: Callable[[int], Audience] | None = None
) -> TandemDetail:
    """The tandem's page. Goals are shown to a viewer whose audience in the goal's city (``audience``:
    city id → audience; the public's when ``None``) is at least the one the goal was set for."""
    network = get_tandem(session, slug)
    out = tandem_out(session, network)

    def visible(goal: Goal) -> bool:
        seen = audience(goal.city_id) if audience else Audience.PUBLIC
        return _RANK.get(seen.value, 0) >= _RANK.get(goal.audience, 2)

    stages = [
        StageOut(stage=Stage(s.stage), started_on=s.started_on, note=s.note, recorded_by=s.recorded_by)
        for s in session.scalars(
            select(TandemStage).where(TandemStage.network_id == network.id).order_by(TandemStage.started_on)
        )
    ]
    activities = [
        _activity_out(a)
        for a in session.scalars(
            select(TandemActivity)
            .where(TandemActivity.network_id == network.id)
            .order_by(TandemActivity.starts_on, TandemActivity.id)
        )
    ]
    documents = [
        DocumentOut.model_validate(d, from_attributes=True)
        for d in session.scalars(
            select(TandemDocument).where(TandemDocument.network_id == network.id).order_by(TandemDocument.id)
        )
    ]
    outputs = [
        _output_out(session, o)
        for o in session.scalars(
            select(TandemOutput)
            .where(TandemOutput.network_id == network.id)
            .order_by(TandemOutput.drafted_on, TandemOutput.id)
        )
    ]
    links = []
    linked: set[int] = set()
    for link, goal, city in session.execute(
        select(TandemGoalLink, Goal, City)
        .join(Goal, Goal.id == TandemGoalLink.goal_id)
        .join(City, City.id == Goal.city_id)
        .where(TandemGoalLink.network_id == network.id)
        .order_by(City.name, Goal.title)
    ):
        linked.add(goal.id)
        if visible(goal):
            links.append(
                GoalLinkOut(
                    goal=goal.id,
                    title=goal.title,
                    city=city.slug,
                    deadline=goal.deadline,
                    output=link.output_id,
                    note=link.note,
                )
            )
    member_slugs = [m.city for m in out.members]
    linkable = [
        GoalLinkOut(
            goal=goal.id, title=goal.title, city=city.slug, deadline=goal.deadline, output=None, note=None
        )
        for goal, city in session.execute(
            select(Goal, City)
            .join(City, City.id == Goal.city_id)
            .where(City.slug.in_(member_slugs))
            .order_by(City.name, Goal.title)
        )
        if goal.id not in linked and visible(goal)
    ]
    return TandemDetail(
        **out.model_dump(), stages=stages, activities=activities, documents=documents, outputs=outputs,
        goals=links, linkable_goals=linkable,
    )  # fmt: skip


# -- counts -------------------------------------------------------------------------------------------------


def _tandems_of(programme_slug: str, session: Session) -> list[int]:
    programme = get_programme(session, programme_slug)
    return list(
        session.scalars(
            select(Network.id).where(
                Network.programme_id == programme.id, Network.kind == NetworkKind.TANDEM.value
            )
        )
    )


def count_outputs(
    session: Session,
    programme_slug: str,
    *,
    kind: str | None = None,
    status: str | None = None,
    until: date | None = None,
) -> int:
    """Outputs of the programme's tandems as of the end of ``until`` (today when ``None``): drafted by then
    (``status`` None), adopted by then (``adopted``), or drafted but not (yet) adopted then (``drafted``);
    of ``kind`` (``action_plan`` …) when given."""
    day = until or datetime.now(UTC).date()
    query = select(func.count(TandemOutput.id)).where(
        TandemOutput.network_id.in_(_tandems_of(programme_slug, session)), TandemOutput.drafted_on <= day
    )
    if kind is not None:
        query = query.where(TandemOutput.kind == kind)
    if status == OutputStatus.ADOPTED.value:
        query = query.where(TandemOutput.adopted_on.is_not(None), TandemOutput.adopted_on <= day)
    elif status == OutputStatus.DRAFTED.value:
        query = query.where((TandemOutput.adopted_on.is_(None)) | (TandemOutput.adopted_on > day))
    elif status is not None:
        _refuse("tandem-invalid-output", f"unknown output status '{status}': use drafted or adopted")
    return session.scalar(query) or 0


def count_activities(
    session: Session, programme_slug: str, *, kind: str | None = None, until: date | None = None
) -> int:
    """Activities of the programme's tandems that had begun by the end of ``until`` (today when ``None``),
    of ``kind`` (``workshop`` …) when given."""
    day = until or datetime.now(UTC).date()
    query = select(func.count(TandemActivity.id)).where(
        TandemActivity.network_id.in_(_tandems_of(programme_slug, session)), TandemActivity.starts_on <= day
    )
    if kind is not None:
        query = query.where(TandemActivity.kind == kind)
    return session.scalar(query) or 0
