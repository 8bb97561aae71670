"""Reads of consultation rounds that the CLI, the JSON API and the pages share: the rounds a principal may
see, one round with its items and comment threads, and the results with the protected group breakdown.

Who sees what: a draft only those who may edit the city (stewards, city admins); a scheduled, open or closed
round everyone. Results (and the number of ballots) are shown to stewards live and to everyone once the
round has closed. Participants broken down by stakeholder group are protected like small counts of the
city's data: a group of 1 to threshold - 1 participants is shown as "fewer than threshold", and when that
leaves exactly one group withheld, the smallest shown group is withheld too, so that the total does not
give it away.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.access.keys import moment
from bettercities.access.policy import Permission, Principal, can
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.consultations import participation, service
from bettercities.consultations.models import (
    ConsultationBallot,
    ConsultationComment,
    ConsultationInvitation,
    ConsultationItem,
    ConsultationRound,
    ConsultationVote,
)
from bettercities.consultations.schemas import (
    BreakdownRow,
    CommentOut,
    ItemResult,
    Method,
    RoundAudience,
    RoundOut,
    RoundResults,
    RoundStatus,
)
from bettercities.consultations.voting import (
    BORDA_FORMULA,
    BORDA_TIES,
    DOT_FORMULA,
    DOT_TIES,
    borda,
    dot_votes,
)
from bettercities.core.errors import Forbidden, NotFound
from bettercities.privacy.queries import DEFAULT_RULE

__all__ = [
    "disclosure_threshold",
    "flatten",
    "invitation_round",
    "protect_breakdown",
    "results_csv",
    "results_json",
    "round_out",
    "visible_results",
    "visible_round",
    "visible_rounds",
]

T = TypeVar("T")


def disclosure_threshold() -> int:
    """Groups of 1 to this - 1 participants are not shown: the privacy domain's documented default threshold
    (:data:`bettercities.privacy.queries.DEFAULT_RULE`; the privacy domain exposes no per-city threshold for
    counts that are not indicators)."""
    return DEFAULT_RULE.threshold


def _editor(principal: Principal, city_id: int) -> bool:
    return can(principal, Permission.EDIT, city_id)


def _threads(session: Session, round_id: int) -> list[CommentOut]:
    rows = session.scalars(
        select(ConsultationComment)
        .where(ConsultationComment.round_id == round_id)
        .order_by(ConsultationComment.created_at, ConsultationComment.id)
    ).all()
    outs = {
        r.id: CommentOut(
            id=r.id,
            item=r.item_id,
            parent=r.parent_id,
            author=None if r.hidden_at else r.author,
            body=None if r.hidden_at else r.body,
            created_at=r.created_at,
            hidden=r.hidden_at is not None,
            hidden_reason=r.hidden_reason,
        )
        for r in rows
    }
    top = []
    for r in rows:
        if r.parent_id is not None and r.parent_id in outs:
            outs[r.parent_id].replies.append(outs[r.id])
        else:
            top.append(outs[r.id])
    return top


def _ballots(session: Session, round_id: int) -> int:
    count = session.scalar(select(func.count()).where(ConsultationBallot.round_id == round_id))
    return int(count or 0)


def round_out(
    session: Session, row: ConsultationRound, *, editor: bool, now: datetime | None = None
) -> RoundOut:
    """The round with its items (pending and rejected proposals only for ``editor``) and comment threads."""
    slug = _slug(session, row.city_id)
    status = service.status_of(row, now)
    items = session.scalars(
        select(ConsultationItem)
        .where(ConsultationItem.round_id == row.id)
        .order_by(ConsultationItem.position, ConsultationItem.id)
    ).all()
    return RoundOut(
        id=row.id,
        city=slug,
        title=row.title,
        question=row.question,
        audience=RoundAudience(row.audience),
        method=Method(row.method),
        dots=row.dots,
        dot_cap=row.dot_cap,
        proposals=row.proposals,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        status=status,
        created_by=row.created_by if editor else None,
        created_at=row.created_at,
        items=[service.item_out(i) for i in items if editor or i.status == service.VISIBLE],
        comments=_threads(session, row.id),
        ballots=_ballots(session, row.id) if editor or status == RoundStatus.CLOSED else None,
    )


def _slug(session: Session, city_id: int) -> str:
    slug = session.scalar(select(City.slug).where(City.id == city_id))
    assert slug is not None
    return slug


def visible_rounds(session: Session, principal: Principal, slug: str) -> list[RoundOut]:
    """The city's rounds the principal may see (drafts only for its editors), newest first, no threads."""
    city = areas.get_city(session, slug)
    editor = _editor(principal, city.id)
    rows = session.scalars(
        select(ConsultationRound)
        .where(ConsultationRound.city_id == city.id)
        .order_by(ConsultationRound.id.desc())
    ).all()
    outs = []
    for row in rows:
        if not editor and row.opens_at is None:
            continue
        out = round_out(session, row, editor=editor)
        outs.append(out.model_copy(update={"comments": []}))
    return outs


def visible_round(
    session: Session, principal: Principal, slug: str, round_id: int, *, now: datetime | None = None
) -> RoundOut:
    """One round; :class:`NotFound` for a draft the principal may not edit."""
    city, row = service.get_round(session, slug, round_id)
    editor = _editor(principal, city.id)
    if row.opens_at is None and not editor:
        raise NotFound("consultation round", f"{slug}/{round_id}")
    return round_out(session, row, editor=editor, now=now)


def invitation_round(
    session: Session, token: str, *, now: datetime | None = None
) -> tuple[RoundOut, str, bool]:
    """The round of an invitation link, the invitation's label and whether it has been used to vote."""
    invitation = participation.invitation_by_token(session, token, now=now)
    row = session.get(ConsultationRound, invitation.round_id)
    assert row is not None
    if row.opens_at is None:
        raise NotFound("invitation", "(this link)")  # a draft is not shown before it is scheduled
    used = session.scalar(
        select(ConsultationBallot.id).where(ConsultationBallot.invitation_id == invitation.id)
    )
    return round_out(session, row, editor=False, now=now), invitation.label, used is not None


def protect_breakdown(counts: dict[str | None, int], threshold: int) -> list[BreakdownRow]:
    """Participants by group, with groups of 1 to ``threshold - 1`` withheld; when exactly one group is
    withheld, the smallest shown non-empty group is withheld too (else the total minus the shown groups
    would give the withheld one away). Groups are sorted by name, those without a group last.

    >>> [(r.group, r.participants) for r in protect_breakdown({"a": 5, "b": 2, "c": 4}, 3)]
    [('a', 5), ('b', None), ('c', None)]
    """
    small = {g for g, n in counts.items() if 0 < n < threshold}
    withheld = set(small)
    if len(withheld) == 1:
        shown = sorted((n, str(g)) for g, n in counts.items() if g not in withheld and n > 0)
        if shown:
            smallest = next(g for g, n in counts.items() if n == shown[0][0] and str(g) == shown[0][1])
            withheld.add(smallest)
    order = sorted(counts, key=lambda g: (g is None, g or ""))
    return [
        BreakdownRow(
            group=g,
            participants=None if g in withheld else counts[g],
            withheld=g in withheld,
            small=g in small,
        )
        for g in order
    ]


def visible_results(
    session: Session, principal: Principal, slug: str, round_id: int, *, now: datetime | None = None
) -> RoundResults:
    """The round's results: to its editors at any time, to everyone once closed (:class:`Forbidden`
    before, naming the closing time)."""
    city, row = service.get_round(session, slug, round_id)
    editor = _editor(principal, city.id)
    status = service.status_of(row, now)
    if not editor:
        if row.opens_at is None:
            raise NotFound("consultation round", f"{slug}/{round_id}")
        if status != RoundStatus.CLOSED:
            closes = f"{row.closes_at:%Y-%m-%d %H:%M} UTC" if row.closes_at else "it closes"
            raise Forbidden(f"the results of this round are published when it closes ({closes})")
    items = session.scalars(
        select(ConsultationItem)
        .where(ConsultationItem.round_id == row.id, ConsultationItem.status == service.VISIBLE)
        .order_by(ConsultationItem.position, ConsultationItem.id)
    ).all()
    ballots: dict[int, dict[int, int]] = defaultdict(dict)
    for ballot_id, item_id, value in session.execute(
        select(ConsultationVote.ballot_id, ConsultationVote.item_id, ConsultationVote.value)
        .join(ConsultationBallot, ConsultationBallot.id == ConsultationVote.ballot_id)
        .where(ConsultationBallot.round_id == row.id)
    ):
        ballots[ballot_id][item_id] = value
    ids = [i.id for i in items]
    cleaned = list(ballots.values())  # items are never removed, so every vote names a visible item
    method = Method(row.method)
    tallies = borda(ids, cleaned) if method == Method.RANKING else dot_votes(ids, cleaned)
    threads = _threads(session, row.id)
    visible_comments = Counter(c.item for c in flatten(threads) if not c.hidden)
    by_id = {i.id: i for i in items}
    groups = Counter(
        g
        for (g,) in session.execute(
            select(ConsultationBallot.stakeholder_group).where(ConsultationBallot.round_id == row.id)
        )
    )
    for (group,) in session.execute(
        select(ConsultationInvitation.stakeholder_group).where(ConsultationInvitation.round_id == row.id)
    ):
        groups.setdefault(group, 0)  # invited groups without a ballot show 0
    if not groups.get(None):
        groups.pop(None, None)
    threshold = disclosure_threshold()
    return RoundResults(
        round=row.id,
        city=city.slug,
        title=row.title,
        question=row.question,
        status=status,
        method=method,
        formula=BORDA_FORMULA if method == Method.RANKING else DOT_FORMULA,
        ties=BORDA_TIES if method == Method.RANKING else DOT_TIES,
        closes_at=row.closes_at,
        ballots=_ballots(session, row.id),
        items=[
            ItemResult(
                rank=t.rank,
                item=t.item,
                kind=by_id[t.item].kind,
                key=by_id[t.item].key,
                title=by_id[t.item].title,
                score=t.score,
                ballots=t.ballots,
                firsts=t.firsts,
                tied=t.tied,
                comments=visible_comments.get(t.item, 0),
            )
            for t in tallies
        ],
        threshold=threshold,
        breakdown=protect_breakdown(dict(groups), threshold),
        comments=threads,
        computed_at=moment(now),
    )


def flatten(threads: list[CommentOut]) -> list[CommentOut]:
    """The comments of ``threads`` with their replies, depth first."""
    out = []
    for c in threads:
        out.append(c)
        out.extend(flatten(c.replies))
    return out


RESULT_COLUMNS = ("rank", "item", "kind", "key", "title", "score", "ballots", "firsts", "tied", "comments")


def results_csv(results: RoundResults) -> str:
    """The ranking as CSV (one row per item; the method, formula and tie rule in comment-free header rows
    are in the JSON download)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for r in results.items:
        writer.writerow([getattr(r, c) for c in RESULT_COLUMNS])
    return out.getvalue()


def results_json(results: RoundResults) -> str:
    return json.dumps(results.model_dump(mode="json"), ensure_ascii=False, indent=2)
