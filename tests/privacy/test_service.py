"""Rules, the default rule, relations and p-tables of the privacy service — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.audit.models import AuditEntry
from bettercities.core.errors import Conflict, NotFound
from bettercities.indicators import service as indicators
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.privacy import service
from bettercities.privacy.models import ProtectionKey
from bettercities.privacy.queries import rules_by_indicator
from bettercities.privacy.schemas import Method, RelationSpec, RuleSpec
from bettercities.storage.workspace import Workspace


def _setup(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        areas.create_city(session, CitySpec(slug="t", name="T", country="DE"))
        for code in ("inhabitants", "recipients"):
            indicators.register_indicator(
                session, IndicatorSpec(code=code, name_de=code, name_en=code, kind="count", aggregation="sum")
            )


def test_default_rule_then_own_rules(workspace: Workspace) -> None:
    _setup(workspace)
    with workspace.database.session() as session:
        city = areas.get_city(session, "t")
        # a city without rules: the built-in default, suppression below 3
        rules = service.list_rules(session, city)
        assert [(r.scope, r.method, r.threshold, r.id) for r in rules] == [
            ("default", Method.SUPPRESSION, 3, None)
        ]
        ids = {
            i.code: i.id
            for i in (indicators.get_indicator(session, c) for c in ("inhabitants", "recipients"))
        }
        assert {r.method for r in rules_by_indicator(session, city.id, list(ids.values())).values()} == {
            Method.SUPPRESSION
        }
        service.set_rule(session, city, RuleSpec(threshold=5))
        service.set_rule(session, city, RuleSpec(indicator="inhabitants", method=Method.NONE))
        applied = rules_by_indicator(session, city.id, list(ids.values()))
        assert applied[ids["inhabitants"]].method == Method.NONE
        assert (applied[ids["recipients"]].method, applied[ids["recipients"]].threshold) == (
            Method.SUPPRESSION,
            5,
        )
        # setting again replaces
        service.set_rule(session, city, RuleSpec(threshold=4))
        assert [r.threshold for r in service.list_rules(session, city) if r.scope == "default"] == [4]
        service.remove_rule(session, city, indicator="inhabitants")
        assert rules_by_indicator(session, city.id, [ids["inhabitants"]])[ids["inhabitants"]].threshold == 4
        with pytest.raises(NotFound):
            service.remove_rule(session, city, indicator="inhabitants")
        with pytest.raises(NotFound):
            service.set_rule(session, city, RuleSpec(indicator="nope"))
    with workspace.database.reader() as session:
        actions = session.scalars(select(AuditEntry.entity).where(AuditEntry.entity == "privacy_rule")).all()
        assert len(actions) >= 4  # every write recorded by the audit hooks


def test_rule_spec_refuses_contradictions() -> None:
    with pytest.raises(ValidationError):
        RuleSpec(indicator="a", dataset="b")
    with pytest.raises(ValidationError):
        RuleSpec(dominance_n=2)
    with pytest.raises(ValidationError):
        RuleSpec(threshold=0)


def test_relations(workspace: Workspace) -> None:
    _setup(workspace)
    with workspace.database.session() as session:
        city = areas.get_city(session, "t")
        out = service.add_relation(session, city, RelationSpec(total="inhabitants", parts=["young", "old"]))
        assert (out.total, out.parts) == ("inhabitants", ["old", "young"])
        with pytest.raises(Conflict):
            service.add_relation(session, city, RelationSpec(total="inhabitants", parts=["old", "young"]))
        assert [r.id for r in service.list_relations(session, city)] == [out.id]
        service.remove_relation(session, city, out.id)
        assert service.list_relations(session, city) == []
        with pytest.raises(NotFound):
            service.remove_relation(session, city, out.id)
    with pytest.raises(ValidationError):
        RelationSpec(total="a", parts=["a", "b"])


def test_cell_key_rule_creates_the_secret_once_and_the_audit_hides_it(workspace: Workspace) -> None:
    _setup(workspace)
    with workspace.database.session() as session:
        city = areas.get_city(session, "t")
        inhabitants = indicators.get_indicator(session, "inhabitants")
        assert service.ptable_for(session, city, inhabitants) is None
        service.set_rule(
            session, city, RuleSpec(indicator="inhabitants", method=Method.CELL_KEY, max_deviation=3)
        )
        table = service.ptable_for(session, city, inhabitants)
        assert table is not None and table.max_deviation == 3
        first = session.get(ProtectionKey, city.id)
        assert first is not None and len(first.secret) == 32
        secret = bytes(first.secret)
        service.set_rule(session, city, RuleSpec(dataset=None, method=Method.CELL_KEY))
        assert bytes(session.get(ProtectionKey, city.id).secret) == secret  # type: ignore[union-attr]
    with workspace.database.reader() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "privacy_key")).all()
        assert entries and all(e.after is None or e.after.get("secret") == "***" for e in entries)
