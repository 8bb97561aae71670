"""Area ids that lost their leading zeros (issue 12): an Excel file whose id column holds numbers shown with
the number format ``00000000`` (the person who made it sees 01011101; the cell holds 1011101). Without
``--pad-ids`` the import is refused with a hint naming the cause; with it, the ids are padded to the level's
width (8, Berlin's LOR planning areas) and the padding is reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bettercities.areas import service as areas
from bettercities.areas.models import Area
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.cli.main import app as cli
from bettercities.core.errors import InvalidInput
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Observation
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.ingest.validation import id_width, padded
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import counts, square

#: Berlin LOR planning-area ids (8 digits, the first ones with a leading zero) and an inhabitant count each
ROWS = {"01011101": 2581, "01011102": 3920, "02020201": 1210, "12601032": 4410}


@pytest.fixture
def lor(sqlite_workspace: Workspace) -> Workspace:
    with sqlite_workspace.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="berlin", name="Berlin", country="DE"))
        level = areas.ensure_level(
            session, city, LevelSpec(code="planning_area", name_de="Planungsraum", name_en="planning area")
        )
        specs = [
            AreaSpec(code=c, name=f"PLR {c}", geometry=square(13 + i / 100, 52)) for i, c in enumerate(ROWS)
        ]
        areas.add_areas(session, city, level, specs)
        indicators.register_indicator(
            session, IndicatorSpec(code="inhabitants", name_de="EW", name_en="Inhabitants", kind="count")
        )
    return sqlite_workspace


def excel(path: Path, rows: dict[str, int], *, extra: str | None = None) -> Path:
    """The ids as numbers formatted 00000000, as a spreadsheet keeps them after a 'convert to number'."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "inhabitants"])
    for code, value in rows.items():
        sheet.append([int(code), value])
        sheet.cell(row=sheet.max_row, column=1).number_format = "00000000"
    if extra is not None:
        sheet.append([extra, 1])
    book.save(path)
    return path


def test_the_file_is_the_case_of_the_issue(tmp_path: Path) -> None:
    cell = load_workbook(excel(tmp_path / "lor.xlsx", ROWS)).active["A2"]  # type: ignore[index]
    assert (cell.value, cell.number_format) == (1011101, "00000000")


def test_width_and_padding() -> None:
    assert id_width(["01011101", "12601032"]) == 8
    assert id_width(["01011101", "1260103"]) is None  # not one length
    assert id_width(["B1", "B2"]) is None  # not numbers
    assert id_width([]) is None
    assert padded("1011101", 8) == "01011101"
    assert padded("B1", 8) == "B1" and padded("123456789", 8) == "123456789"


def test_refused_with_a_hint_and_imported_with_pad_ids(lor: Workspace, tmp_path: Path) -> None:
    path = excel(tmp_path / "lor.xlsx", ROWS)
    options = ObservationImportOptions(level="planning_area", period="2024")
    with pytest.raises(InvalidInput) as refused:
        import_observations(lor.database, "berlin", path, options)
    message = str(refused.value)
    # three ids lost a zero; 12601032 is known as it is
    assert message == (
        "lor.xlsx: 3 errors (3 unknown areas; they match known areas when padded with leading zeros to 8 "
        "digits: use --pad-ids); nothing imported"
    )
    problems = refused.value.report.problems  # type: ignore[union-attr]
    assert [(p.code, p.row, p.value) for p in problems] == [
        ("unknown-area", 2, "1011101"),
        ("unknown-area", 3, "1011102"),
        ("unknown-area", 4, "2020201"),
    ]
    assert problems[0].message.endswith("with its leading zeros it is '01011101' (--pad-ids)")
    assert counts(lor) == (0, 0)

    result = import_observations(lor.database, "berlin", path, options.model_copy(update={"pad_ids": True}))
    assert result.inserted == 4
    [warning] = [p for p in result.report.problems if p.code == "id-padded"]
    assert warning.message.startswith(
        "3 area ids padded with leading zeros to 8 digits ('1011101' -> '01011101'"
    )
    with lor.database.reader() as session:
        stored = dict(
            session.execute(
                select(Area.code, Observation.value).join(Area, Area.id == Observation.area_id)
            ).all()
        )
    assert stored == {code: float(value) for code, value in ROWS.items()}


def test_no_hint_when_most_unknown_ids_are_not_lost_zeros(lor: Workspace, tmp_path: Path) -> None:
    rows = {"01011101": 1, "99999991": 2, "99999992": 3}  # one lost zero, two ids that exist nowhere
    path = excel(tmp_path / "other.xlsx", rows)
    with pytest.raises(InvalidInput) as refused:
        options = ObservationImportOptions(level="planning_area", period="2024")
        import_observations(lor.database, "berlin", path, options)
    assert str(refused.value) == "other.xlsx: 3 errors; nothing imported"


def test_cli_option_and_hint(lor: Workspace, tmp_path: Path) -> None:
    path = str(excel(tmp_path / "lor.xlsx", ROWS))
    options = ["--city", "berlin", "--level", "planning_area", "--period", "2024"]
    args = ["import", "observations", path, *options, "--workspace", str(lor.path)]
    runner = CliRunner()
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 2
    assert "when padded with leading zeros to 8 digits: use --pad-ids" in " ".join(refused.output.split())
    done = runner.invoke(cli, [*args, "--pad-ids"])
    assert done.exit_code == 0, done.output
    assert "4 new" in done.output


def test_the_dataset_api_takes_pad_ids(lor: Workspace, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from bettercities.catalog import service as catalog
    from bettercities.catalog.schemas import DatasetSpec
    from bettercities.web import create_app
    from tests.web.conftest import SETTINGS, add_user, issue_token

    with lor.database.session() as session:
        spec = DatasetSpec(code="ew", title_de="EW", title_en="EW", publisher="B", indicators=["inhabitants"])
        catalog.add_dataset(session, areas.get_city(session, "berlin"), spec)
    add_user(lor, "ann", {"berlin": "city_admin"})
    headers = {"Authorization": f"Bearer {issue_token(lor, 'ann', write=True)}"}
    content = excel(tmp_path / "lor.xlsx", ROWS).read_bytes()
    with TestClient(create_app(lor, settings=SETTINGS)) as client:

        def post(**extra: str) -> Any:
            return client.post(
                "/api/cities/berlin/datasets/ew/observations",
                files={"file": ("lor.xlsx", content, "application/octet-stream")},
                data={"level": "planning_area", "period": "2024", **extra},
                headers=headers,
            )

        refused = post()
        assert refused.status_code == 422 and "use --pad-ids" in refused.json()["detail"]
        done = post(pad_ids="true")
        assert done.status_code == 201, done.text
        assert done.json()["inserted"] == 4
