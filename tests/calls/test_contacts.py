"""Contacts of a municipality: added, invited (token stored as SHA-256 only), accepted once; the principal
carries the cities it speaks for and the programmes it coordinates; the policy decides (issue 16)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bettercities import access as accounts
from bettercities.access import contacts
from bettercities.access.models import MunicipalContactInvitation
from bettercities.access.policy import (
    ANONYMOUS,
    Principal,
    Role,
    TokenScope,
    can_coordinate_programme,
    can_speak_for,
    require_programme_coordinator,
    require_speaker,
)
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.audit.models import AuditEntry
from bettercities.core.errors import Forbidden, InvalidInput
from bettercities.networks import service as networks
from bettercities.networks.history import get_programme
from bettercities.networks.schemas import ProgrammeIn
from bettercities.storage.workspace import Workspace
from tests.calls.conftest import PASSWORD

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(sqlite_workspace: Workspace) -> Workspace:
    with sqlite_workspace.database.session() as session:
        areas.create_city(session, CitySpec(slug="a", name="A-Stadt", country="DE"))
        areas.create_city(session, CitySpec(slug="b", name="B-Stadt", country="DE"))
        for name in ("anna", "bert", "cora"):
            accounts.create_user(session, name, PASSWORD)
        networks.create_programme(session, ProgrammeIn(slug="prog", name="Programme"))
        networks.create_network(session, "net", name_de="Netz", name_en="Net", programme="prog")
        networks.create_network(session, "loose", name_de="Lose", name_en="Loose")
    return sqlite_workspace


def _principal(ws: Workspace, name: str, scope: TokenScope | None = None) -> Principal:
    with ws.database.reader() as session:
        return accounts.principal_for(session, accounts.get_user(session, name), scope)


def test_added_contact_speaks_for_its_city_only(world: Workspace) -> None:
    with world.database.session() as session:
        out = contacts.add_contact(session, "anna", "a", by="admin", now=T0)
        again = contacts.add_contact(session, "anna", "a", by="someone else")
    assert (out.username, out.city, out.added_by) == ("anna", "a", "admin")
    assert again.added_by == "admin"  # adding again changes nothing
    with world.database.reader() as session:
        city_a = areas.get_city(session, "a").id
        city_b = areas.get_city(session, "b").id
        events = list(session.scalars(select(AuditEntry.action).where(AuditEntry.action == "contact-added")))
        assert [c.username for c in contacts.list_contacts(session, "a")] == ["anna"]
    assert events == ["contact-added"]
    anna = _principal(world, "anna")
    assert anna.contact_cities == {city_a}
    assert can_speak_for(anna, city_a) and not can_speak_for(anna, city_b)
    require_speaker(anna, city_a, what="apply")
    with pytest.raises(Forbidden, match="contact of the municipality"):
        require_speaker(anna, city_b, what="apply")
    with pytest.raises(Forbidden) as anonymous:
        require_speaker(ANONYMOUS, city_a, what="apply")
    assert anonymous.value.anonymous
    # a read-only token does not speak; a write token limited to another city does not either
    assert not can_speak_for(_principal(world, "anna", TokenScope(write=False)), city_a)
    limited = _principal(world, "anna", TokenScope(write=True, cities=frozenset({city_b})))
    assert limited.contact_cities == frozenset() and not can_speak_for(limited, city_a)


def test_city_admin_and_platform_admin_speak_too(world: Workspace) -> None:
    with world.database.session() as session:
        accounts.grant(session, "bert", "b", Role.CITY_ADMIN)
        accounts.grant(session, "cora", "a", Role.STEWARD)
        city_a = areas.get_city(session, "a").id
        city_b = areas.get_city(session, "b").id
    assert can_speak_for(_principal(world, "bert"), city_b)
    assert not can_speak_for(_principal(world, "cora"), city_a)  # a steward is no speaker
    assert can_speak_for(Principal(user_id=9, name="root", platform_admin=True), city_a)


def test_invitation_token_is_stored_as_sha256_and_accepted_once(world: Workspace) -> None:
    with world.database.session() as session:
        invitation, token = contacts.invite_contact(session, "b", "Sozialamt B", by="admin", days=7, now=T0)
    assert token.startswith("bci_") and invitation.expires_at == T0 + timedelta(days=7)
    with world.database.reader() as session:
        stored = session.scalar(select(MunicipalContactInvitation.token_sha256))
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    with world.database.session() as session:
        out = contacts.accept_invitation(session, token, "cora", now=T0 + timedelta(days=1))
    assert (out.username, out.city) == ("cora", "b") and out.added_by.startswith("invitation")
    with world.database.session() as session, pytest.raises(InvalidInput, match="already used or expired"):
        contacts.accept_invitation(session, token, "bert", now=T0 + timedelta(days=2))
    with world.database.reader() as session:
        [listed] = contacts.list_invitations(session, "b")
        actions = set(session.scalars(select(AuditEntry.action)))
    assert listed.accepted_by == "cora"
    assert {"contact-invited", "contact-invitation-accepted", "contact-added"} <= actions


def test_expired_or_unknown_invitation_is_refused(world: Workspace) -> None:
    with world.database.session() as session:
        _, token = contacts.invite_contact(session, "a", "Planning office", by="admin", days=1, now=T0)
    with world.database.session() as session, pytest.raises(InvalidInput):
        contacts.accept_invitation(session, token, "anna", now=T0 + timedelta(days=1, seconds=1))
    with world.database.session() as session, pytest.raises(InvalidInput):
        contacts.accept_invitation(session, "bci_nothing", "anna", now=T0)
    with world.database.session() as session, pytest.raises(InvalidInput, match="label"):
        contacts.invite_contact(session, "a", "  ", by="admin")


def test_removed_contact_no_longer_speaks(world: Workspace) -> None:
    with world.database.session() as session:
        contacts.add_contact(session, "anna", "a", by="admin")
        contacts.remove_contact(session, "anna", "a", by="admin")
    assert _principal(world, "anna").contact_cities == frozenset()


def test_coordinator_of_a_programme_network_coordinates_the_programme(world: Workspace) -> None:
    with world.database.session() as session:
        accounts.grant_network(session, "anna", "net", "coordinator")
        accounts.grant_network(session, "bert", "net", "member")
        accounts.grant_network(session, "cora", "loose", "coordinator")
        programme = get_programme(session, "prog").id
    anna = _principal(world, "anna")
    assert anna.coordinated_programmes == {programme}
    assert can_coordinate_programme(anna, programme)
    assert not can_coordinate_programme(_principal(world, "bert"), programme)
    assert not can_coordinate_programme(_principal(world, "cora"), programme)
    assert not can_coordinate_programme(_principal(world, "anna", TokenScope(write=False)), programme)
    with pytest.raises(Forbidden, match="coordinate a network of the programme"):
        require_programme_coordinator(_principal(world, "bert"), programme, what="open the call")
