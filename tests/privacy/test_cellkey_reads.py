"""The cell-key method end to end through the indicators' reads (issue 11): the same table published twice
gives identical values, also after an unrelated write (a new data version) and with the cache emptied; every
published count lies within the documented p-table's maximum deviation of the raw count and is never
negative; shares are recomputed from the perturbed numerator and denominator; the data team sees the raw
values marked ``perturbed``.

The kernels (key derivation, p-table rows) are tested in ``test_cellkey.py``; this file checks what a reader
of the city gets.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Observation
from bettercities.privacy import protection
from bettercities.privacy import service as privacy
from bettercities.privacy.schemas import Method, RuleSpec
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.privacy.test_protection import PLANTED, build, city_value, values

MAX_DEVIATION = 2


def published(session: Session, audience: Audience) -> dict[str, object]:
    """Every published recipients and inhabitants count, and the shares, of the planted city."""
    out: dict[str, object] = {}
    for code in ("recipients", "inhabitants", "recipient_share"):
        for level in ("planning_area", "district"):
            out[f"{code}/{level}"] = values(session, code, level, audience)
        out[f"{code}/city"] = city_value(session, code, audience)
    return out


def cell_key_city(workspace: Workspace, data: dict[str, tuple[int, int, float]]) -> None:
    """The planted city with ``data``, the cell-key method its default rule for every count (D = 2, V = 1)."""
    with workspace.database.session() as session:
        build(session, data)
        privacy.set_rule(
            session,
            areas.get_city(session, "p"),
            RuleSpec(method=Method.CELL_KEY, max_deviation=MAX_DEVIATION, variance=1.0),
        )


def public_shares(session: Session) -> list:
    """The published recipient shares of the planted city's planning areas (value, numerator, denominator)."""
    city = areas.get_city(session, "p")
    shares, _ = indicators.level_values(
        session,
        indicators.get_indicator(session, "recipient_share"),
        indicators.get_period(session, "2024"),
        areas.get_level(session, city, "planning_area"),
        audience=Audience.PUBLIC,
    )
    return shares


def test_cell_key_publishes_the_same_perturbed_table_every_time(workspace: Workspace) -> None:
    cell_key_city(workspace, PLANTED)
    with workspace.database.reader() as session:
        first = published(session, Audience.PUBLIC)
        raw = published(session, Audience.INTERNAL)
    protection.clear()
    with workspace.database.reader() as session:
        again = published(session, Audience.PUBLIC)
    assert again == first
    with workspace.database.session() as session:  # an unrelated write: a new data version
        age = session.query(Observation).filter(Observation.value == 44.0).one()
        age.value = 44.5
    with workspace.database.reader() as session:
        after_write = published(session, Audience.PUBLIC)
    assert after_write == first

    counts = []  # (published cell, the data team's cell) for every count of the city
    for key in first:
        if key.startswith("recipient_share"):
            continue
        if key.endswith("/city"):
            counts.append((first[key], raw[key]))
        else:
            counts.extend((cell, raw[key][area]) for area, cell in first[key].items())
    assert len(counts) == 2 * (len(PLANTED) + 2 + 1)  # two counts, five areas, two districts, the city
    for (value, suppressed, _), (raw_value, _, mark) in counts:
        # nothing is withheld under the cell-key method; each count moves by at most D and stays >= 0
        assert suppressed is False and value is not None
        assert value >= 0 and value == int(value)
        assert abs(value - raw_value) <= MAX_DEVIATION
        # the data team sees the raw count, marked as what the public does not see
        assert mark == "perturbed"

    # shares are recomputed from the published (perturbed) numerator and denominator
    with workspace.database.reader() as session:
        shares = public_shares(session)
    for share in shares:
        assert share.numerator is not None and share.denominator is not None
        assert share.numerator == first["recipients/planning_area"][share.area_code][0]
        assert share.denominator == first["inhabitants/planning_area"][share.area_code][0]
        assert share.value == pytest.approx(100 * share.numerator / share.denominator)


def test_a_ratio_whose_numerator_is_not_a_count_follows_the_perturbed_denominator(
    sqlite_workspace: Workspace,
) -> None:
    """A ratio with negative numerators (a net migration rate: net movers per inhabitant) has no count to
    perturb in its numerator; under the cell-key method its share is recomputed from the stored numerator and
    the perturbed denominator, as published for the denominator's own indicator (protection raised a
    KeyError for such a city before)."""
    data = dict(PLANTED, P3=(300, -5, 44.0))
    cell_key_city(sqlite_workspace, data)
    with sqlite_workspace.database.reader() as session:
        shares = public_shares(session)
        inhabitants = values(session, "inhabitants", "planning_area", Audience.PUBLIC)
    assert len(shares) == len(data)
    for share in shares:
        numerator = data[share.area_code][1]
        assert share.numerator == numerator  # stored: not a count, nothing to perturb
        assert share.denominator == inhabitants[share.area_code][0]  # the published, perturbed count
        assert share.value == pytest.approx(100 * numerator / share.denominator)
