"""Fixtures of the analysis tests: the published MSS editions as inputs and official results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import typer

from bettercities.cli import index as index_cli
from bettercities.cli import priority as priority_cli
from bettercities.cli import spatial as spatial_cli
from bettercities.storage.workspace import Workspace
from tests.support.mss_runs import build_berlin_2019
from tests.support.templates import built_template, template_copy


@pytest.fixture(scope="session")
def cli_app() -> typer.Typer:
    """A root app with only the index, spatial and priority commands (the same ``register`` that
    ``cli.main`` calls)."""
    root = typer.Typer()
    for face in (index_cli, spatial_cli, priority_cli):
        face.register(root)
    return root


@pytest.fixture(scope="session")
def mss_2019_input(open_data: Path) -> Path:
    return open_data / "berlin-mss-2019" / "mss_2019_index_indicator_shares.csv"


@pytest.fixture(scope="session")
def mss_2021_input(open_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2021 index indicators for all 542 planning areas.

    The published indicator table lists only the 536 scored areas; the 6 unscored ones are added
    from the official context table (ids and inhabitants at 31.12.2020), with empty indicator cells.
    """
    folder = open_data / "berlin-mss-2021"
    shares = pd.read_csv(folder / "mss_2021_index_indicator_shares.csv", dtype=str, keep_default_na=False)
    context = pd.read_csv(
        folder / "mss_2021_context_indicators.csv",
        sep=";",
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    missing = context[~context["PLR-ID"].isin(shares["id"])]
    extra = pd.DataFrame(
        {"id": missing["PLR-ID"], "name": missing["PLR-Name"], "inhabitants": missing["EW 31.12.2020"]}
    )
    table = pd.concat([shares, extra], ignore_index=True).fillna("")
    path = tmp_path_factory.mktemp("mss2021") / "mss_2021_all_areas.csv"
    table.to_csv(path, index=False)
    return path


def official(open_data: Path, year: int) -> pd.DataFrame:
    path = open_data / f"berlin-mss-{year}" / f"mss_{year}_official_classes.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    frame["status_class"] = frame["status_index"].astype(float).astype(int).astype(str)
    return frame


def berlin_2019_copy(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Workspace]:
    """A copy of Berlin MSS 2019 built through the command line once per test process and backend (the four
    commands took 3-8 s a test): its folder copied, its PostgreSQL database cloned and dropped after the
    test."""
    open_data = request.getfixturevalue("open_data")
    folder, database, _ = built_template(
        request, backend, "berlin-2019", lambda ws, _: build_berlin_2019(ws, open_data)
    )
    yield from template_copy(request, tmp_path, folder, database)


@pytest.fixture
def berlin_2019(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace on each backend holding Berlin MSS 2019 as :func:`build_berlin_2019` builds it."""
    yield from berlin_2019_copy(request, backend, tmp_path)


@pytest.fixture
def sqlite_berlin_2019(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """:func:`berlin_2019` on SQLite only."""
    yield from berlin_2019_copy(request, "sqlite", tmp_path)
