"""Typed inputs and results of consultation rounds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from bettercities.core.ids import DbId
from bettercities.core.timestamps import UtcDateTime

__all__ = [
    "MAX_COMMENT",
    "BallotIn",
    "BreakdownRow",
    "CommentIn",
    "CommentOut",
    "InvitationIn",
    "InvitationOut",
    "IssuedInvitation",
    "ItemIn",
    "ItemKind",
    "ItemOut",
    "ItemResult",
    "Method",
    "ModerationIn",
    "ProposalIn",
    "RoundAudience",
    "RoundIn",
    "RoundOut",
    "RoundResults",
    "RoundStatus",
    "problem_code",
]

#: Problem code of a refused field, by the pydantic error type (other fields: ``invalid-round``).
_CODES = {
    "string_too_long": "invalid-text",
    "string_too_short": "invalid-text",
    "string_type": "invalid-text",
    "enum": "invalid-choice",
    "literal_error": "invalid-choice",
}


def problem_code(detail: Any) -> str:
    """The problem code of a refused field (pydantic's error detail, ``loc`` from the model's root): the
    same codes the service gives for texts and ballots."""
    if tuple(detail.get("loc", ()))[:1] == ("votes",):
        return "invalid-ballot"
    return _CODES.get(str(detail.get("type")), "invalid-round")


#: Longest comment (characters); longer ones are refused, not cut.
MAX_COMMENT = 2000
#: Longest title of an item or a proposal, and of a round.
MAX_TITLE = 200


class ItemKind(StrEnum):
    """What an item puts to the round."""

    PRIORITY_AREA = "priority_area"  # key "<priority set name>/<area code>"
    GOAL = "goal"  # key: the goal's id
    ACTION = "action"  # key: the action's id
    PROPOSAL = "proposal"  # put by the steward or proposed by a participant (moderated first)


class RoundAudience(StrEnum):
    """Who may take part: any signed-in account (and invitation links), or invited ones only."""

    PUBLIC = "public"
    INVITED = "invited"


class Method(StrEnum):
    """How ballots are aggregated."""

    DOT = "dot"
    RANKING = "ranking"


class RoundStatus(StrEnum):
    """Derived from the opening and closing time in the server's clock, never stored."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class RoundIn(BaseModel):
    """A new round (a draft unless it has its opening and closing times)."""

    model_config = {"extra": "forbid"}

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    question: str = Field(min_length=1, max_length=MAX_COMMENT)
    audience: RoundAudience = RoundAudience.PUBLIC
    method: Method = Method.RANKING
    dots: int | None = Field(default=None, ge=1, le=100, description="Dots per participant (dot voting).")
    dot_cap: int | None = Field(default=None, ge=1, le=100, description="Most dots on one item (dot voting).")
    proposals: bool = Field(default=False, description="Participants may propose items (moderated).")
    opens_at: AwareDatetime | None = Field(default=None, description="With a time zone, e.g. +02:00.")
    closes_at: AwareDatetime | None = Field(default=None, description="With a time zone; after opens_at.")

    @model_validator(mode="after")
    def _consistent(self) -> RoundIn:
        if self.method == Method.DOT and self.dots is None:
            raise ValueError("dot voting needs the number of dots per participant (dots)")
        if self.method == Method.RANKING and (self.dots is not None or self.dot_cap is not None):
            raise ValueError("dots and dot_cap belong to dot voting, not to ranking")
        if self.dots is not None and self.dot_cap is not None and self.dot_cap > self.dots:
            raise ValueError(
                f"the cap per item ({self.dot_cap}) exceeds the dots per participant ({self.dots})"
            )
        if self.closes_at is not None and self.opens_at is not None and self.closes_at <= self.opens_at:
            raise ValueError("the closing time must be after the opening time")
        return self


class ItemIn(BaseModel):
    """An item the steward puts to a round; ``title`` only for proposals (others take their source's)."""

    model_config = {"extra": "forbid"}

    kind: ItemKind
    key: str = Field(default="", max_length=300)
    title: str | None = Field(default=None, max_length=MAX_TITLE)
    description: str | None = Field(default=None, max_length=MAX_COMMENT)


class ProposalIn(BaseModel):
    """An item a participant proposes (shown once a steward approved it)."""

    model_config = {"extra": "forbid"}

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str | None = Field(default=None, max_length=MAX_COMMENT)
    invitation: str | None = Field(default=None, description="The invitation token, for a link's holder.")


class InvitationIn(BaseModel):
    """A single-use link (``label``, optional ``group``) or an invited account (``username``)."""

    model_config = {"extra": "forbid"}

    label: str = Field(default="", max_length=200, description="Who holds the link, e.g. a stakeholder.")
    group: str | None = Field(default=None, max_length=100, description="Stakeholder group for breakdowns.")
    username: str | None = Field(default=None, max_length=64, description="Invite this account instead.")
    expires_at: AwareDatetime | None = None


class InvitationOut(BaseModel):
    id: int
    label: str
    group: str | None
    account: str | None = Field(description="The invited account; None for a link.")
    prefix: str | None = Field(description="The link's first characters (the link itself is never stored).")
    expires_at: UtcDateTime | None
    used: bool = Field(description="A ballot was cast with it.")
    created_at: UtcDateTime


class IssuedInvitation(BaseModel):
    """A new invitation link: ``token`` is shown this once."""

    token: str | None
    path: str | None = Field(description="The link's path on this site: /consultations/invitations/<token>.")
    info: InvitationOut


class BallotIn(BaseModel):
    """Dots per item id (dot voting) or the rank per item id (ranking: 1 first, every item once)."""

    model_config = {"extra": "forbid"}

    votes: dict[int, int] = Field(description="item id -> dots, or item id -> rank")
    invitation: str | None = Field(default=None, description="The invitation token, for a link's holder.")


class CommentIn(BaseModel):
    model_config = {"extra": "forbid"}

    item: DbId = Field(description="Item id.")
    body: str = Field(description=f"At most {MAX_COMMENT} characters, no control characters but line breaks.")
    parent: DbId | None = Field(default=None, description="The comment this one answers.")
    invitation: str | None = Field(default=None, description="The invitation token, for a link's holder.")


class ModerationIn(BaseModel):
    """Hide a comment, or approve or reject a proposal, with a reason."""

    model_config = {"extra": "forbid"}

    reason: str = Field(min_length=1, max_length=500)
    decision: str = Field(default="hide", pattern="^(hide|approve|reject)$")


class CommentOut(BaseModel):
    id: int
    item: int
    parent: int | None
    author: str | None = Field(description="None while hidden.")
    body: str | None = Field(description="None while hidden by a moderator.")
    created_at: UtcDateTime
    hidden: bool
    hidden_reason: str | None
    replies: list[CommentOut] = Field(default_factory=list)


class ItemOut(BaseModel):
    id: int
    kind: ItemKind
    key: str
    title: str
    description: str | None
    position: int
    status: str = Field(description="visible; proposals: pending or rejected until approved")
    moderation_reason: str | None


class RoundOut(BaseModel):
    id: int
    city: str
    title: str
    question: str
    audience: RoundAudience
    method: Method
    dots: int | None
    dot_cap: int | None
    proposals: bool
    opens_at: UtcDateTime | None
    closes_at: UtcDateTime | None
    status: RoundStatus
    created_by: str | None
    created_at: UtcDateTime
    items: list[ItemOut] = Field(default_factory=list)
    comments: list[CommentOut] = Field(default_factory=list, description="Threads, oldest first.")
    ballots: int | None = Field(
        default=None, description="Ballots cast (to stewards live, to all once closed)."
    )


class ItemResult(BaseModel):
    rank: int
    item: int
    kind: ItemKind
    key: str
    title: str
    score: int
    ballots: int = Field(description="Ballots that gave the item a dot / that ranked it.")
    firsts: int = Field(description="Ballots that ranked it first / gave it their most dots.")
    tied: bool = Field(
        description="Equal score and tie count with a neighbour: ordered by the item's position."
    )
    comments: int = Field(description="Visible comments on the item.")


class BreakdownRow(BaseModel):
    group: str | None = Field(description="Stakeholder group; None: participants without one.")
    participants: int | None = Field(description="None: withheld.")
    withheld: bool
    small: bool = Field(
        default=False, description="Withheld for having 1 to threshold - 1 participants ('fewer than N')."
    )


class RoundResults(BaseModel):
    round: int
    city: str
    title: str
    question: str
    status: RoundStatus
    method: Method
    formula: str
    ties: str
    closes_at: UtcDateTime | None
    ballots: int
    items: list[ItemResult]
    threshold: int = Field(description="Groups with 1 to threshold - 1 participants are not shown.")
    breakdown: list[BreakdownRow]
    comments: list[CommentOut]
    computed_at: datetime
