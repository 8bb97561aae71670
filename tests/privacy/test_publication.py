"""The publication step's protection registry: how marks reach each audience (no database)."""

from __future__ import annotations

from bettercities.indicators.schemas import AreaValue, SeriesPoint
from bettercities.privacy import service
from bettercities.privacy.schemas import Mark, Reason
from bettercities.publication import Audience, protection


def _values() -> list[AreaValue]:
    return [
        AreaValue(area_code="A", area_name="A", value=2.0, numerator=2.0, denominator=10.0),
        AreaValue(area_code="B", area_name="B", value=40.0, numerator=4.0, denominator=10.0),
        AreaValue(area_code="C", area_name="C", value=50.0, numerator=5.0, denominator=10.0),
    ]


MARKS = [
    Mark(reason=Reason.PRIMARY, rule="frequency"),
    Mark(reason=Reason.PERTURBED, value=30.0, numerator=3.0, denominator=10.0),
    None,
]


def test_public_and_members_see_withheld_and_perturbed_cells() -> None:
    for audience in (Audience.PUBLIC, Audience.MEMBER):
        a, b, c = protection.protect_values(_values(), MARKS, audience=audience)
        assert (a.value, a.numerator, a.denominator, a.suppressed, a.protection) == (
            None,
            None,
            None,
            True,
            None,
        )
        assert (b.value, b.numerator, b.denominator, b.suppressed) == (30.0, 3.0, 10.0, False)
        assert c == _values()[2]


def test_the_data_team_sees_raw_values_with_their_marks() -> None:
    a, b, c = protection.protect_values(_values(), MARKS, audience=Audience.INTERNAL)
    assert (a.value, a.suppressed, a.protection) == (2.0, False, "primary (frequency)")
    assert (b.value, b.protection) == (40.0, "perturbed")
    assert c.protection is None


def test_points_are_protected_like_values() -> None:
    points = [SeriesPoint(period="2024", value=2.0), SeriesPoint(period="2025", value=3.0)]
    marks = [Mark(reason=Reason.SECONDARY), None]
    public = protection.protect_points(points, marks, audience=Audience.PUBLIC)
    assert [(p.value, p.suppressed) for p in public] == [(None, True), (3.0, False)]
    internal = protection.protect_points(points, marks, audience=Audience.INTERNAL)
    assert [(p.value, p.protection) for p in internal] == [(2.0, "secondary"), (3.0, None)]


def test_the_privacy_service_is_registered_through_the_manifest() -> None:
    # the publication step loads the manifest's publication_rules module on first use
    assert service._marks in protection.protectors()
