"""The aggregation kernels against hand-computed examples.

Borda count as defined by J.-C. de Borda, "Mémoire sur les élections au scrutin", Histoire de l'Académie
Royale des Sciences, Paris 1781 (printed 1784), in the form of D. G. Saari, "Basic Geometry of Voting",
Springer 1995, §1.1: with n candidates, a ballot gives its r-th choice n - r points (n - 1, ..., 1, 0), and
a candidate's score is the sum over the ballots. The example is the one used on Wikipedia's "Borda count"
page (Tennessee capital, 4 cities): Memphis 42 %, Nashville 26 %, Chattanooga 15 %, Knoxville 17 % of
voters with the preferences below; the Borda winner is Nashville.
"""

from __future__ import annotations

from bettercities.consultations import voting
from bettercities.consultations.queries import protect_breakdown


def _ballots(share: int, order: list[str]) -> list[dict[str, int]]:
    return [{city: rank for rank, city in enumerate(order, start=1)} for _ in range(share)]


def test_borda_on_the_tennessee_example() -> None:
    items = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
    ballots = (
        _ballots(42, ["Memphis", "Nashville", "Chattanooga", "Knoxville"])
        + _ballots(26, ["Nashville", "Chattanooga", "Knoxville", "Memphis"])
        + _ballots(15, ["Chattanooga", "Knoxville", "Nashville", "Memphis"])
        + _ballots(17, ["Knoxville", "Chattanooga", "Nashville", "Memphis"])
    )
    tallies = voting.borda(items, ballots)
    # by hand, points 3/2/1/0 per ballot:
    # Memphis     42*3                          = 126
    # Nashville   42*2 + 26*3 + 15*1 + 17*1     = 84 + 78 + 15 + 17 = 194
    # Chattanooga 42*1 + 26*2 + 15*3 + 17*2     = 42 + 52 + 45 + 34 = 173
    # Knoxville   26*1 + 15*2 + 17*3            = 26 + 30 + 51 = 107
    assert [(t.item, t.score, t.rank) for t in tallies] == [
        ("Nashville", 194, 1),
        ("Chattanooga", 173, 2),
        ("Memphis", 126, 3),
        ("Knoxville", 107, 4),
    ]
    assert [t.firsts for t in tallies] == [26, 15, 42, 17]
    assert not any(t.tied for t in tallies)
    assert sum(t.score for t in tallies) == 100 * (3 + 2 + 1 + 0)  # every ballot hands out 6 points


def test_borda_ties_are_broken_by_first_places_then_by_position() -> None:
    # a: 2+0 = 2 points, 1 first place; b: 1+1 = 2 points, 0 first places; c: 0+2 = 2, 1 first place
    ballots = [{"a": 1, "b": 2, "c": 3}, {"c": 1, "b": 2, "a": 3}]
    tallies = voting.borda(["a", "b", "c"], ballots)
    assert [(t.item, t.score, t.firsts, t.rank, t.tied) for t in tallies] == [
        ("a", 2, 1, 1, True),  # a and c equal in score and first places: a comes first in the round
        ("c", 2, 1, 2, True),
        ("b", 2, 0, 3, False),  # fewer first places, no remaining tie
    ]


def test_a_ballot_cast_before_an_item_was_added_ranks_fewer_items() -> None:
    # the first ballot knew 2 items (points 1, 0); the second 3 (points 2, 1, 0)
    tallies = voting.borda(["a", "b", "c"], [{"a": 1, "b": 2}, {"c": 1, "b": 2, "a": 3}])
    assert {t.item: t.score for t in tallies} == {"a": 1, "b": 1, "c": 2}


def test_dot_voting_by_hand() -> None:
    ballots = [{"a": 3, "b": 2}, {"b": 5}, {"a": 1, "c": 1, "b": 0}, {"c": 2}]
    tallies = voting.dot_votes(["a", "b", "c"], ballots)
    # a: 3 + 1 = 4 on 2 ballots; b: 2 + 5 = 7 on 2 ballots (a 0 is no dot); c: 1 + 2 = 3 on 2 ballots
    assert [(t.item, t.score, t.ballots, t.rank) for t in tallies] == [
        ("b", 7, 2, 1),
        ("a", 4, 2, 2),
        ("c", 3, 2, 3),
    ]
    # most dots of its ballot: a on ballot 1 and 3 (shared with c), b on 2, c on 3 and 4
    assert {t.item: t.firsts for t in tallies} == {"a": 2, "b": 1, "c": 2}


def test_dot_ties_by_supporters_then_position() -> None:
    tallies = voting.dot_votes(["x", "y", "z"], [{"x": 2}, {"y": 1, "z": 1}, {"y": 1, "z": 1}])
    assert [(t.item, t.score, t.ballots, t.tied) for t in tallies] == [
        ("y", 2, 2, True),
        ("z", 2, 2, True),
        ("x", 2, 1, False),
    ]


def test_small_groups_are_withheld_and_one_more_when_one_alone_would_be_given_away() -> None:
    rows = {r.group: r for r in protect_breakdown({"a": 5, "b": 2, "c": 4, None: 7}, 3)}
    assert rows["b"].small and rows["b"].participants is None
    # b alone withheld: 18 - 5 - 4 - 7 = 2 would give it away; c (4, the smallest shown) is withheld too
    assert rows["c"].withheld and not rows["c"].small and rows["c"].participants is None
    assert (rows["a"].participants, rows[None].participants) == (5, 7)
    two = {r.group: r.participants for r in protect_breakdown({"a": 1, "b": 2, "c": 9}, 3)}
    assert two == {"a": None, "b": None, "c": 9}  # two withheld: their sum 3 is known, neither alone
    assert [r.participants for r in protect_breakdown({"a": 0, "b": 3}, 3)] == [0, 3]  # 0 and 3 are shown
