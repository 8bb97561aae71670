"""Taking part in consultation rounds: invitations, who a participant is, ballots, comments, proposals, and
moderation. Every function takes a session; the caller commits (one transaction: a refusal writes nothing).

Participants are signed-in accounts (any account in a public round, invited accounts in an invited one) and
holders of single-use invitation links. A link is random (:func:`bettercities.access.keys.new_key`) and
stored only as its SHA-256 and first characters; its holder is known by the steward's label alone: no name,
IP address or user agent is stored for anyone taking part through a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bettercities.access.keys import digest, moment, new_key
from bettercities.access.models import User
from bettercities.access.policy import Principal
from bettercities.audit.service import record_event
from bettercities.consultations.models import (
    ConsultationBallot,
    ConsultationComment,
    ConsultationInvitation,
    ConsultationItem,
    ConsultationRound,
    ConsultationVote,
)
from bettercities.consultations.schemas import (
    MAX_COMMENT,
    BallotIn,
    CommentIn,
    InvitationIn,
    InvitationOut,
    IssuedInvitation,
    ItemKind,
    ItemOut,
    Method,
    ModerationIn,
    ProposalIn,
    RoundAudience,
    RoundStatus,
)
from bettercities.consultations.service import (
    PENDING,
    REJECTED,
    VISIBLE,
    check_text,
    get_round,
    item_out,
    next_position,
    refuse,
    status_of,
    stored_time,
    visible_items,
)
from bettercities.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bettercities.core.timestamps import as_utc

__all__ = [
    "INVITATION_PREFIX",
    "Participant",
    "add_comment",
    "cast_ballot",
    "invitation_by_token",
    "invitation_out",
    "invite",
    "list_invitations",
    "moderate",
    "participant",
    "propose",
]

INVITATION_PREFIX = "bcc_"


# -- invitations ---------------------------------------------------------------------------------------------


def invitation_out(session: Session, row: ConsultationInvitation) -> InvitationOut:
    used = session.scalar(select(ConsultationBallot.id).where(ConsultationBallot.invitation_id == row.id))
    account = session.scalar(select(User.username).where(User.id == row.user_id)) if row.user_id else None
    if row.user_id is not None and used is None:
        used = session.scalar(
            select(ConsultationBallot.id).where(
                ConsultationBallot.round_id == row.round_id, ConsultationBallot.user_id == row.user_id
            )
        )
    return InvitationOut(
        id=row.id,
        label=row.label,
        group=row.stakeholder_group,
        account=account,
        prefix=row.prefix,
        expires_at=row.expires_at,
        used=used is not None,
        created_at=row.created_at,
    )


def invite(
    session: Session,
    slug: str,
    round_id: int,
    data: InvitationIn,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> IssuedInvitation:
    """A single-use invitation link (returned this once) or an invited account."""
    city, row = get_round(session, slug, round_id)
    group = check_text(data.group, "group", limit=100, lines=False) if data.group else None
    if status_of(row, now) == RoundStatus.CLOSED:
        raise Conflict("the round is closed; nobody can be invited to it any more")
    token: str | None = None
    if data.username:
        user = session.scalar(select(User).where(User.username == data.username.strip().lower()))
        if user is None:
            raise NotFound("user", data.username)
        label = check_text(data.label or user.username, "label", limit=200, lines=False)
        if session.scalar(
            select(ConsultationInvitation.id).where(
                ConsultationInvitation.round_id == row.id, ConsultationInvitation.user_id == user.id
            )
        ):
            raise Conflict(f"{user.username} is invited to this round already")
        invitation = ConsultationInvitation(
            round_id=row.id, user_id=user.id, label=label, stakeholder_group=group, created_by=actor
        )
    else:
        label = check_text(data.label, "label", limit=200, lines=False)
        token = new_key(INVITATION_PREFIX)
        invitation = ConsultationInvitation(
            round_id=row.id,
            token_hash=digest(token),
            prefix=token[:8],
            label=label,
            stakeholder_group=group,
            expires_at=stored_time(data.expires_at),
            created_by=actor,
        )
    session.add(invitation)
    session.flush()
    record_event(
        session,
        "consultation-invitation",
        summary=f"invitation {invitation.prefix or ''}… ({label}) to round {row.id} of {city.slug}",
        city_id=city.id,
        entity="consultation_invitation",
        entity_key=str(invitation.id),
        after={"round": row.id, "label": label, "group": group, "account": data.username},
    )
    return IssuedInvitation(
        token=token,
        path=f"/consultations/invitations/{token}" if token else None,
        info=invitation_out(session, invitation),
    )


def list_invitations(session: Session, slug: str, round_id: int) -> list[InvitationOut]:
    _, row = get_round(session, slug, round_id)
    rows = session.scalars(
        select(ConsultationInvitation)
        .where(ConsultationInvitation.round_id == row.id)
        .order_by(ConsultationInvitation.id)
    )
    return [invitation_out(session, r) for r in rows]


def invitation_by_token(
    session: Session, token: str, *, now: datetime | None = None
) -> ConsultationInvitation:
    """The link invitation of ``token``; :class:`NotFound` when unknown, :class:`Conflict` when expired."""
    if not token.startswith(INVITATION_PREFIX) or len(token) > 100:
        raise NotFound("invitation", "(this link)")
    row = session.scalar(
        select(ConsultationInvitation).where(ConsultationInvitation.token_hash == digest(token))
    )
    if row is None:
        raise NotFound("invitation", "(this link)")
    if row.expires_at is not None and moment(now) >= as_utc(row.expires_at):
        raise Conflict(f"this invitation expired on {as_utc(row.expires_at):%Y-%m-%d %H:%M} UTC")
    return row


class Participant:
    """Who takes part: an account (``user_id``) or an invitation link (``invitation``)."""

    def __init__(
        self,
        author: str,
        *,
        user_id: int | None = None,
        invitation: ConsultationInvitation | None = None,
        group: str | None = None,
    ) -> None:
        self.author = author
        self.user_id = user_id
        self.invitation = invitation
        self.group = group


def participant(
    session: Session,
    row: ConsultationRound,
    principal: Principal,
    token: str | None,
    *,
    now: datetime | None = None,
) -> Participant:
    """The participant of a request: the holder of ``token`` (an invitation link of this round), else the
    signed-in account when the round admits it (public rounds: every account; invited: invited accounts)."""
    if token:
        invitation = invitation_by_token(session, token, now=now)
        if invitation.round_id != row.id:
            raise NotFound("invitation", "(this link)")
        return Participant(invitation.label, invitation=invitation, group=invitation.stakeholder_group)
    if principal.anonymous or principal.user_id is None:
        raise Forbidden("sign in, or use your invitation link, to take part", anonymous=True)
    if principal.scope is not None and not principal.scope.write:
        raise Forbidden("a read-only API token cannot take part in a round (use a write token or sign in)")
    invited = session.scalar(
        select(ConsultationInvitation).where(
            ConsultationInvitation.round_id == row.id, ConsultationInvitation.user_id == principal.user_id
        )
    )
    if row.audience == RoundAudience.INVITED.value and invited is None:
        raise Forbidden(f"{principal.name} is not invited to this round")
    return Participant(
        principal.name, user_id=principal.user_id, group=invited.stakeholder_group if invited else None
    )


def _require_open(row: ConsultationRound, now: datetime | None, what: str) -> None:
    status = status_of(row, now)
    if status == RoundStatus.OPEN:
        return
    if status == RoundStatus.CLOSED:
        assert row.closes_at is not None
        raise Conflict(
            f"the round closed on {as_utc(row.closes_at):%Y-%m-%d %H:%M} UTC; {what} is no longer possible"
        )
    if status == RoundStatus.SCHEDULED:
        assert row.opens_at is not None
        raise Conflict(
            f"the round opens on {as_utc(row.opens_at):%Y-%m-%d %H:%M} UTC; {what} is not yet possible"
        )
    raise Conflict(f"the round is a draft; {what} is possible once it opens")


# -- ballots -------------------------------------------------------------------------------------------------


def _check_votes(row: ConsultationRound, items: Sequence[ConsultationItem], votes: dict[int, int]) -> None:
    known = {i.id for i in items}
    unknown = sorted(set(votes) - known)
    if unknown:
        raise refuse(
            "votes", "invalid-ballot", f"the ballot names items that are not in the round: {unknown}"
        )
    if row.method == Method.RANKING.value:
        ranks = list(votes.values())
        twice = sorted({r for r in ranks if ranks.count(r) > 1})
        if twice:
            raise refuse(
                "votes", "invalid-ballot", f"each rank may be given once; given more than once: {twice}"
            )
        if set(ranks) != set(range(1, len(items) + 1)):
            missing = sorted(known - set(votes))
            raise refuse(
                "votes",
                "invalid-ballot",
                f"rank every item of the round from 1 to {len(items)} once"
                + (f"; not ranked: items {missing}" if missing else f"; ranks given: {sorted(ranks)}"),
            )
        return
    assert row.dots is not None
    cap = row.dot_cap or row.dots
    if any(v < 0 for v in votes.values()):
        raise refuse("votes", "invalid-ballot", "dots cannot be negative")
    over = sorted(item for item, v in votes.items() if v > cap)
    if over:
        raise refuse("votes", "invalid-ballot", f"at most {cap} dots on one item; more on items {over}")
    total = sum(votes.values())
    if total > row.dots:
        raise refuse("votes", "invalid-ballot", f"{total} dots given, but each participant has {row.dots}")
    if total == 0:
        raise refuse("votes", "invalid-ballot", "the ballot gives no dot")


def cast_ballot(
    session: Session,
    slug: str,
    round_id: int,
    ballot: BallotIn,
    *,
    principal: Principal,
    now: datetime | None = None,
) -> ConsultationBallot:
    """Cast one ballot for the account or invitation; a second one is refused (:class:`Conflict`), also by
    the unique constraints on (round, account) and (invitation) when two requests race."""
    _, row = get_round(session, slug, round_id)
    who = participant(session, row, principal, ballot.invitation, now=now)
    _require_open(row, now, "voting")
    items = visible_items(session, row.id)
    _check_votes(row, items, ballot.votes)
    if who.invitation is not None:
        earlier = select(ConsultationBallot.id).where(ConsultationBallot.invitation_id == who.invitation.id)
    else:
        earlier = select(ConsultationBallot.id).where(
            ConsultationBallot.round_id == row.id, ConsultationBallot.user_id == who.user_id
        )
    if session.scalar(earlier) is not None:
        raise Conflict(
            "this invitation has been used to vote already"
            if who.invitation
            else "you have voted in this round already"
        )
    cast = ConsultationBallot(
        round_id=row.id,
        user_id=who.user_id,
        invitation_id=who.invitation.id if who.invitation else None,
        stakeholder_group=who.group,
        cast_at=moment(now),
    )
    try:
        with session.begin_nested():
            session.add(cast)
            session.flush()
    except IntegrityError:
        raise Conflict("a ballot of this participant was cast already") from None
    session.add_all(
        ConsultationVote(ballot_id=cast.id, item_id=item, value=value)
        for item, value in ballot.votes.items()
        if row.method == Method.RANKING.value or value > 0
    )
    session.flush()
    return cast


# -- comments, proposals, moderation -------------------------------------------------------------------------


def add_comment(
    session: Session,
    slug: str,
    round_id: int,
    comment: CommentIn,
    *,
    principal: Principal,
    now: datetime | None = None,
) -> ConsultationComment:
    """A comment on a visible item of an open round (a reply when ``parent``)."""
    _, row = get_round(session, slug, round_id)
    who = participant(session, row, principal, comment.invitation, now=now)
    _require_open(row, now, "commenting")
    body = check_text(comment.body, "comment", limit=MAX_COMMENT)
    item = session.get(ConsultationItem, comment.item)
    if item is None or item.round_id != row.id or item.status != VISIBLE:
        raise refuse(
            "item", "unknown-item", f"item {comment.item} is not in the round", value=str(comment.item)
        )
    if comment.parent is not None:
        parent = session.get(ConsultationComment, comment.parent)
        if parent is None or parent.item_id != item.id:
            raise refuse(
                "parent", "unknown-item", f"comment {comment.parent} is not a comment on item {item.id}"
            )
    row_comment = ConsultationComment(
        round_id=row.id,
        item_id=item.id,
        parent_id=comment.parent,
        user_id=who.user_id,
        invitation_id=who.invitation.id if who.invitation else None,
        author=who.author,
        body=body,
        created_at=moment(now),
    )
    session.add(row_comment)
    session.flush()
    return row_comment


def propose(
    session: Session,
    slug: str,
    round_id: int,
    proposal: ProposalIn,
    *,
    principal: Principal,
    now: datetime | None = None,
) -> ItemOut:
    """An item proposed by a participant: pending until a steward approves it."""
    _, row = get_round(session, slug, round_id)
    who = participant(session, row, principal, proposal.invitation, now=now)
    _require_open(row, now, "proposing")
    if not row.proposals:
        raise Conflict("this round takes no proposals")
    title = check_text(proposal.title, "title", limit=200, lines=False)
    description = (
        check_text(proposal.description, "description", limit=MAX_COMMENT) if proposal.description else None
    )
    position = next_position(session, row.id)
    item = ConsultationItem(
        round_id=row.id,
        kind=ItemKind.PROPOSAL.value,
        key=f"p{position}",
        title=title,
        description=description,
        position=position,
        status=PENDING,
        user_id=who.user_id,
        invitation_id=who.invitation.id if who.invitation else None,
    )
    session.add(item)
    session.flush()
    return item_out(item)


def moderate(
    session: Session,
    slug: str,
    round_id: int,
    *,
    comment: int | None = None,
    item: int | None = None,
    decision: ModerationIn,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Hide a comment (``decision.decision == 'hide'``) or approve/reject a pending proposal, with a reason;
    recorded as the audit event ``consultation-moderation``. Nothing is deleted."""
    city, row = get_round(session, slug, round_id)
    reason = check_text(decision.reason, "reason", limit=500)
    if (comment is None) == (item is None):
        raise InvalidInput("moderate either a comment or a proposal")
    if comment is not None:
        if decision.decision != "hide":
            raise InvalidInput("a comment can be hidden ('hide'), not approved or rejected")
        target = session.get(ConsultationComment, comment)
        if target is None or target.round_id != row.id:
            raise NotFound("comment", f"{slug}/{round_id}/{comment}")
        if target.hidden_at is not None:
            raise Conflict(f"comment {comment} is hidden already")
        target.hidden_at = moment(now)
        target.hidden_reason = reason
        target.hidden_by = actor
        entity, key = "consultation_comment", str(comment)
    else:
        if decision.decision == "hide":
            raise InvalidInput("a proposal is approved or rejected, not hidden")
        proposal = session.get(ConsultationItem, item)
        if proposal is None or proposal.round_id != row.id:
            raise NotFound("item", f"{slug}/{round_id}/{item}")
        if proposal.status != PENDING:
            raise Conflict(f"item {item} is not a pending proposal (it is {proposal.status})")
        if status_of(row, now) == RoundStatus.CLOSED:
            raise Conflict("the round is closed; its proposals can no longer be decided")
        proposal.status = VISIBLE if decision.decision == "approve" else REJECTED
        proposal.moderation_reason = reason
        entity, key = "consultation_item", str(item)
    session.flush()
    record_event(
        session,
        "consultation-moderation",
        summary=f"{decision.decision} {entity.removeprefix('consultation_')} {key} of round {row.id}: "
        f"{reason}",
        city_id=city.id,
        entity=entity,
        entity_key=key,
        after={"decision": decision.decision, "reason": reason},
    )
