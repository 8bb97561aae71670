"""Tables of consultation rounds: rounds, their items, invitations, ballots with their votes, and comments.

Items name what they put to the round by kind and key (a priority area ``<set>/<area>``, a goal id, an
action id, a proposal), never by a foreign key into another domain: the service validates them through the
lower domains' queries when they are added and keeps a snapshot of their title.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class ConsultationRound(Base):
    """A consultation round of a city: a question, its items, who may take part, and when."""

    __tablename__ = "consultation_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(20), doc="public (any signed-in account) or invited")
    method: Mapped[str] = mapped_column(String(20), doc="dot or ranking")
    dots: Mapped[int | None] = mapped_column(Integer, doc="Dots per participant (dot voting).")
    dot_cap: Mapped[int | None] = mapped_column(Integer, doc="Most dots on one item (dot voting).")
    proposals: Mapped[bool] = mapped_column(Boolean, default=False, doc="Participants may propose items.")
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), doc="None: a draft.")
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConsultationItem(Base):
    """One item put to a round (or proposed by a participant), with a snapshot of its title."""

    __tablename__ = "consultation_item"
    __table_args__ = (UniqueConstraint("round_id", "kind", "key", name="uq_consultation_item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("consultation_round.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), doc="priority_area, goal, action or proposal")
    key: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(20), default="visible", doc="visible; a proposal is pending until moderated, or rejected"
    )
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # where a proposal came from (as for ballots and comments), so that moderation and limits can tell;
    # an item the steward put to the round has neither
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), doc="The account that proposed it."
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_invitation.id", ondelete="SET NULL"),
        doc="The invitation link it was proposed through.",
    )


class ConsultationInvitation(Base):
    """Who may take part in a round: an invited account, or a single-use link stored only as its SHA-256."""

    __tablename__ = "consultation_invitation"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", name="uq_consultation_invitation_user"),
        CheckConstraint("(user_id IS NULL) <> (token_hash IS NULL)", name="account_or_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("consultation_round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    prefix: Mapped[str | None] = mapped_column(
        String(12), doc="The link's first characters, to tell it apart."
    )
    label: Mapped[str] = mapped_column(String(200), doc="Who holds it, chosen by the steward.")
    stakeholder_group: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConsultationBallot(Base):
    """One participant's ballot in a round: of an account or of an invitation link, never two."""

    __tablename__ = "consultation_ballot"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", name="uq_consultation_ballot_account"),
        UniqueConstraint("invitation_id", name="uq_consultation_ballot_invitation"),
        CheckConstraint("(user_id IS NULL) <> (invitation_id IS NULL)", name="account_or_invitation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("consultation_round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_invitation.id", ondelete="CASCADE")
    )
    stakeholder_group: Mapped[str | None] = mapped_column(
        String(100), doc="The invitation's, for breakdowns."
    )
    cast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConsultationVote(Base):
    """What one ballot gives one item: dots (dot voting) or a rank (1 = first; ranking)."""

    __tablename__ = "consultation_vote"
    __table_args__ = (UniqueConstraint("ballot_id", "item_id", name="uq_consultation_vote_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_ballot.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("consultation_item.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer, doc="Dots given, or the rank (1 = first).")


class ConsultationComment(Base):
    """A comment on an item (a reply when it has a parent); a moderator hides it with a reason."""

    __tablename__ = "consultation_comment"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (invitation_id IS NULL)", name="account_or_invitation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("consultation_round.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("consultation_item.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_comment.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_invitation.id", ondelete="CASCADE")
    )
    author: Mapped[str] = mapped_column(String(200), doc="The account's name or the invitation's label.")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by: Mapped[str | None] = mapped_column(String(200))
