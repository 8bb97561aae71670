"""Fixtures of the analysis tests: the published MSS editions as inputs and official results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer

from bettercities.cli import index as index_cli
from bettercities.cli import priority as priority_cli
from bettercities.cli import spatial as spatial_cli


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
