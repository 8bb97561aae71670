"""``bettercities import memberships`` and ``bettercities networks …`` on a small workspace (SQLite): the
import reports the unmatched member by row and loads the rest, a dry run writes nothing, a refused file
exits 2 naming row and column with nothing written; show and participation read the same data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.cli.main import app
from bettercities.storage.workspace import Workspace

DATA = Path(__file__).parents[1] / "data" / "networks" / "memberships.csv"
CITIES = (
    ("lyon", "Lyon", "FR"), ("strasbourg", "Strasbourg", "FR"), ("muenchen", "München", "DE"),
    ("cinisello-balsamo", "Cinisello Balsamo", "IT"), ("sofia", "Sofia", "BG"), ("krefeld", "Krefeld", "DE"),
    ("basel", "Basel", "CH"), ("mulhouse", "Mulhouse", "FR"),
    ("freiburg-im-breisgau", "Freiburg im Breisgau", "DE"),
)  # fmt: skip


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = Workspace.init(tmp_path_factory.mktemp("networks-cli"))
    with workspace.database.session() as session:
        for slug, name, country in CITIES:
            areas.create_city(session, CitySpec(slug=slug, name=name, country=country))
    workspace.close()
    return workspace


def _run(ws: Workspace, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--workspace", str(ws.path)])
    return result.exit_code, result.stdout, result.stderr


def test_import_dry_run_then_import(ws: Workspace) -> None:
    code, out, err = _run(ws, "import", "memberships", str(DATA), "--dry-run")
    assert code == 0, out + err
    assert "Dry run, nothing written" in out and "10 memberships new" in out
    assert "row 6, column 'member': network-unmatched-member" in err  # Bovec
    code, out, _ = _run(ws, "networks", "list", "--json")
    assert json.loads(out) == []
    code, out, err = _run(ws, "import", "memberships", str(DATA))
    assert code == 0, out + err
    assert "8 matched to registry cities, 1 organisations, 1 unmatched" in " ".join(out.split())
    code, out, _ = _run(ws, "networks", "show", "one-health-4-cities", "--at", "2024-03-01", "--json")
    detail = json.loads(out)
    assert [m["member"] for m in detail["members"]] == ["Lyon", "Eurométropole de Strasbourg", "München"]
    code, out, _ = _run(ws, "import", "memberships", str(DATA))
    assert "10 unchanged" in out
    code, out, _ = _run(ws, "networks", "participation", "--csv")
    assert out.splitlines()[1].startswith("all,all,9,9,")  # Strasbourg through the Eurométropole


def test_a_refused_file_exits_2_and_names_the_cell(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "programme,network,member,country,role,start,end,source,note\n"
        "Programme,Net,Lyon,FR,partner,2023-06-31,,,\n",
        encoding="utf-8",
    )
    code, out, err = _run(ws, "import", "memberships", str(bad))
    assert code == 2
    assert "bad.csv, row 2, column 'start': network-invalid-date" in " ".join(err.split())
    assert "Traceback" not in out + err
