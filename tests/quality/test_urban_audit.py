"""Acceptance: the Urban Audit file as city-level observations; outliers queued, range rule checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bettercities.exchange.urban_audit import CITY, import_urban_audit
from bettercities.quality import outliers, rules
from bettercities.storage.workspace import Workspace


def test_urban_audit_import_flags_implausible_values(workspace: Workspace, open_data: Path) -> None:
    path = open_data / "eu-cities" / "eurostat_urban_audit_indicators_latest.csv"
    result = import_urban_audit(workspace.database, path, user="steward")
    assert result.inserted == result.observations > 6500
    counts = result.report.counts()
    assert counts.get("outlier", 0) > 0
    # the range rule holds for every unemployment value (checked row by row on import and on demand)
    assert not [p for p in result.report.problems if "unemployment-pct-range" in p.message]
    with workspace.database.reader() as session:
        report = rules.check_city(session, CITY)
        flags = outliers.list_flags(session, CITY)
    assert not [p for p in report.problems if "unemployment-pct-range" in p.message]
    # values without a reference year (e.g. Wien's rent) are left out, each reported at its cell
    undated = [p for p in result.report.problems if p.code == "undated-value"]
    assert undated[0].row == 2 and undated[0].column == "rentPerSqm"
    flagged = {(f.indicator, f.area) for f in flags}
    by_value = {(f.indicator, f.area, f.value) for f in flags}
    # Swiss "rents per m²" above 200 (a different unit) and Luxembourg's income of 2004 are queued
    assert ("ua_rent_per_sqm", "CH001C", 212.5) in by_value
    assert ("ua_median_income", "LU001C", 46768.0) in by_value
    assert len(flagged) < 0.1 * result.observations
    # file and row of the flag's value are kept
    assert all(f.file == path.name and f.source_row for f in flags)


def test_large_numbers_of_flags_are_queued_in_full_but_listed_capped(
    sqlite_workspace: Workspace, open_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report lists at most MAX_LISTED_FLAGS outlier warnings plus one line counting the rest;
    the follow-up queue holds every flag (regression: a 1M-row import once failed on one huge IN list)."""
    from sqlalchemy import func, select

    from bettercities.quality.models import OutlierFlag

    monkeypatch.setattr(outliers, "MAX_LISTED_FLAGS", 50)
    path = open_data / "eu-cities" / "eurostat_urban_audit_indicators_latest.csv"
    result = import_urban_audit(sqlite_workspace.database, path, user="steward")
    listed = [p for p in result.report.problems if p.code == "outlier"]
    assert len(listed) == 51
    more = int(listed[-1].message.split()[0])
    with sqlite_workspace.database.reader() as session:
        queued = session.scalar(select(func.count(OutlierFlag.id)))
    assert queued == 50 + more > 300
