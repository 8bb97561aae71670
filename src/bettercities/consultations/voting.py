"""Aggregation kernels of priority voting: dot voting and the Borda count. Pure functions of the ballots.

Both take the items in the round's order and the ballots as mappings item -> value (dots given, or the rank
with 1 first) and return one :class:`Tally` per item, ranked. Ties are broken deterministically and the rule
says how (:data:`DOT_TIES`, :data:`BORDA_TIES`): a tie that remains after the secondary count is broken by the
item's position in the round, and such items are flagged ``tied``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["BORDA_FORMULA", "BORDA_TIES", "DOT_FORMULA", "DOT_TIES", "Tally", "borda", "dot_votes"]

K = TypeVar("K", bound=Hashable)

DOT_FORMULA = "score(item) = sum of the dots all ballots gave the item"
DOT_TIES = (
    "equal scores: more ballots giving the item at least one dot first, then the item's order in the round"
)
BORDA_FORMULA = (
    "Borda count: a ballot ranking n items gives the item it ranks r-th n - r points (first n - 1, last 0); "
    "score(item) = sum of its points over all ballots"
)
BORDA_TIES = "equal scores: more first places first, then the item's order in the round"


@dataclass(frozen=True)
class Tally(Generic[K]):
    """One item's result: its score, the secondary count that breaks ties, its rank (1 = first) and whether a
    tie with a neighbour remained after the secondary count (broken by the item's order in the round)."""

    item: K
    score: int
    ballots: int  # ballots that gave the item a dot / that ranked it
    firsts: int  # ballots that ranked it first (ranking); ballots that gave it the most dots (dot voting)
    rank: int
    tied: bool


def _ranked(items: Sequence[K], score: dict[K, int], second: dict[K, int], counts: dict[K, int],
            firsts: dict[K, int]) -> list[Tally[K]]:  # fmt: skip
    order = sorted(range(len(items)), key=lambda i: (-score[items[i]], -second[items[i]], i))
    keys = [(score[items[i]], second[items[i]]) for i in order]
    out = []
    for position, i in enumerate(order):
        item = items[i]
        tied = (position > 0 and keys[position - 1] == keys[position]) or (
            position + 1 < len(order) and keys[position + 1] == keys[position]
        )
        out.append(Tally(item, score[item], counts[item], firsts[item], position + 1, tied))
    return out


def dot_votes(items: Sequence[K], ballots: Sequence[Mapping[K, int]]) -> list[Tally[K]]:
    """Dot voting: each item's score is the sum of the dots given to it (:data:`DOT_FORMULA`), ranked by
    score, then by the number of ballots that gave it a dot, then by its order in ``items``.

    ``firsts`` counts the ballots on which the item got the most dots of that ballot (shared maxima count for
    each item sharing them).

    >>> [(t.item, t.score, t.rank) for t in dot_votes(["a", "b"], [{"a": 2, "b": 1}, {"b": 3}])]
    [('b', 4, 1), ('a', 2, 2)]
    """
    score = dict.fromkeys(items, 0)
    counts = dict.fromkeys(items, 0)
    firsts = dict.fromkeys(items, 0)
    for ballot in ballots:
        given = {k: v for k, v in ballot.items() if v > 0}
        top = max(given.values(), default=0)
        for item, dots in given.items():
            score[item] += dots
            counts[item] += 1
            firsts[item] += dots == top
    return _ranked(items, score, counts, counts, firsts)


def borda(items: Sequence[K], ballots: Sequence[Mapping[K, int]]) -> list[Tally[K]]:
    """The Borda count (:data:`BORDA_FORMULA`): a ballot that ranks ``n`` items gives the one it ranks
    ``r``-th ``n - r`` points; the score is the sum over the ballots. Ranked by score, then by first places,
    then by the order in ``items``.

    Each ballot ranks every item open when it was cast (ranks 1..n without gaps), so ``n`` is that ballot's
    number of items (an item approved later is ranked by later ballots only).

    References: J.-C. de Borda, *Mémoire sur les élections au scrutin*, Histoire de l'Académie Royale des
    Sciences, Paris 1781 (published 1784); D. G. Saari, *Basic Geometry of Voting*, Springer 1995, ch. 1.

    >>> [(t.item, t.score) for t in borda("abc", [{"a": 1, "b": 2, "c": 3}, {"b": 1, "a": 2, "c": 3}])]
    [('a', 3), ('b', 3), ('c', 0)]
    """
    score = dict.fromkeys(items, 0)
    counts = dict.fromkeys(items, 0)
    firsts = dict.fromkeys(items, 0)
    for ballot in ballots:
        n = len(ballot)
        for item, rank in ballot.items():
            score[item] += n - rank
            counts[item] += 1
            firsts[item] += rank == 1
    return _ranked(items, score, firsts, counts, firsts)
