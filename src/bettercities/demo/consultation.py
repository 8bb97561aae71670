"""The demo city's consultation round: stakeholders ranked the demo's goals and two of its priority areas,
and commented on them, in a round that closed in the spring after the demo's last year; through the same
library calls as ``bettercities consultations add``, ``item add``, ``open`` and ``invite``, and as the
invitation links' holders' ballots and comments (:mod:`bettercities.consultations`).

Everything is deterministic: the times are fixed relative to the demo's last year (the round runs from
2 March to 30 March of the next year, Europe/Berlin), and the ballots and comments are drawn from the demo's
seed. Each of :data:`GROUPS` holds :data:`PER_GROUP` invitation links (at least the disclosure threshold of
the results' breakdown, so every group is shown); every link votes once. A ballot ranks the items by a
Plackett-Luce draw: item ``i`` is ranked before the rest with probability ``w_i / Σ w`` of the items left,
the weights ``w`` drawn once per group from the seed, so groups differ and the ranking has a clear head.

The invitation links themselves are random (:func:`bettercities.access.keys.new_key`), stored only as
hashes and never shown: the demo's links are used up. The round is closed by its closing time; on a build
before that time (a demo whose last year is the current one) it is shown open, as the clock says.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bettercities.access.policy import Principal
from bettercities.analysis.priority import service as priority
from bettercities.consultations import participation
from bettercities.consultations import service as consultations
from bettercities.consultations.schemas import (
    BallotIn,
    CommentIn,
    InvitationIn,
    ItemIn,
    ItemKind,
    Method,
    RoundAudience,
    RoundIn,
)
from bettercities.goals.schemas import GoalOut
from bettercities.publication import Audience

USER = "bettercities demo"
ZONE = ZoneInfo("Europe/Berlin")
#: Stakeholder groups invited through links.
GROUPS = ("Quartiersräte", "Schulen und Kitas", "Soziale Dienste", "Wohnungsunternehmen")
PER_GROUP = 3
#: Priority areas put to the round beside the goals (the set's first, by code).
AREAS = 2
#: Comments on the items: (item index, text); the second answers the first.
COMMENTS = (
    (0, "Darüber reden die Eltern bei uns am meisten. Bitte mit den Schulen anfangen."),
    (0, "Einverstanden, und die Kitas brauchen dieselben Sprechstunden."),
    (1, "Gut, dass das Ziel aufgeschrieben ist. Wer prüft es jedes Jahr?"),
    (-1, "Das Stadtteilzentrum hier hat im Frühjahr geschlossen; ein neuer Treffpunkt würde allen helfen."),
)


def add_round(
    session: Session, slug: str, *, set_name: str, goal_list: list[GoalOut], last_year: int, seed: int
) -> int | None:
    """Store the demo's closed round with its ballots and comments (module docs); its id, or None when fewer
    than two items can be put to it."""
    year = last_year + 1
    opens = datetime(year, 3, 2, 9, 0, tzinfo=ZONE)
    closes = datetime(year, 3, 30, 18, 0, tzinfo=ZONE)
    found = priority.get_set(session, slug, set_name, audience=Audience.PUBLIC)
    codes = sorted(a.area_id for a in found.areas)[:AREAS]
    items = [ItemIn(kind=ItemKind.GOAL, key=str(g.id)) for g in goal_list] + [
        ItemIn(kind=ItemKind.PRIORITY_AREA, key=f"{set_name}/{code}") for code in codes
    ]
    if len(items) < 2:
        return None
    row = consultations.add_round(
        session,
        slug,
        RoundIn(
            title=f"Prioritäten für die Fördergebiete {year}",
            question="Welche dieser Ziele und Gebiete soll die Stadt zuerst angehen? Bringen Sie sie in eine "
            "Reihenfolge und sagen Sie uns in einem Kommentar, warum.",
            audience=RoundAudience.INVITED,
            method=Method.RANKING,
        ),
        actor=USER,
    )
    before = opens - timedelta(days=7)
    added = [consultations.add_item(session, slug, row.id, item, now=before) for item in items]
    consultations.open_round(session, slug, row.id, closes_at=closes, now=opens)
    rng = random.Random(seed)
    anonymous = Principal()
    tokens: list[str] = []
    moment = opens
    for number, group in enumerate(GROUPS):
        weights = [math.exp(rng.gauss(0.0, 0.8)) / (1 + index) for index in range(len(added))]
        for member in range(PER_GROUP):
            issued = participation.invite(
                session, slug, row.id, InvitationIn(label=f"{group} {member + 1}", group=group), actor=USER,
                now=opens,
            )  # fmt: skip
            assert issued.token is not None
            tokens.append(issued.token)
            moment += timedelta(hours=13 + 7 * number + member)
            order = _plackett_luce(rng, weights)
            votes = {added[i].id: rank + 1 for rank, i in enumerate(order)}
            participation.cast_ballot(
                session, slug, row.id, BallotIn(votes=votes, invitation=issued.token), principal=anonymous,
                now=moment,
            )  # fmt: skip
    parent: int | None = None
    for number, (index, text) in enumerate(COMMENTS):
        item = added[index]
        comment = participation.add_comment(
            session, slug, row.id,
            CommentIn(item=item.id, body=text, parent=parent if number == 1 else None,
                      invitation=tokens[(5 * number) % len(tokens)]),
            principal=anonymous, now=opens + timedelta(days=3 + 4 * number, hours=2),
        )  # fmt: skip
        parent = comment.id if number == 0 else parent
    return row.id


def _plackett_luce(rng: random.Random, weights: list[float]) -> list[int]:
    """Indices of ``weights`` in a Plackett-Luce order (Gumbel trick: sort by log w + Gumbel noise)."""
    keys = [math.log(w) - math.log(-math.log(rng.random() or 1e-12)) for w in weights]
    return sorted(range(len(weights)), key=lambda i: -keys[i])


__all__ = ["add_round"]
