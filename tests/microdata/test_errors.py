"""Bad input is refused with a clear problem naming file and row or spec line, and nothing is imported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bettercities.core.errors import InvalidInput
from bettercities.microdata.schemas import ConditionError, load_spec, parse_condition
from bettercities.microdata.service import aggregate
from bettercities.storage.workspace import Workspace
from tests.microdata.conftest import PERIOD, build_city, count_observations, write_register, write_spec


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, str, Path]]:
    """One city for the module: every test here is refused, so none changes it (each checks that)."""
    folder = tmp_path_factory.mktemp("microdata-errors")
    workspace = Workspace.init(folder / "workspace")
    city = build_city(workspace)
    yield workspace, city, write_register(workspace, folder)
    workspace.close()


def refused(workspace: Workspace, city: str, spec: Path, data: Path) -> InvalidInput:
    before = count_observations(workspace)
    with pytest.raises(InvalidInput) as caught:
        aggregate(workspace.database, city, spec, data, PERIOD)
    assert count_observations(workspace) == before, "nothing imported"
    assert caught.value.report is not None and not caught.value.report.ok
    return caught.value


def line_of(spec: Path, text: str) -> int:
    return next(n for n, line in enumerate(spec.read_text().splitlines(), start=1) if text in line)


def test_unknown_column_names_the_spec_line_and_the_file(
    ready: tuple[Workspace, str, Path], tmp_path: Path
) -> None:
    workspace, city, register = ready
    spec = write_spec(tmp_path, replace=("mean: age", "mean: age_in_years"))
    problem = refused(workspace, city, spec, register).report.errors[0]  # type: ignore[union-attr]
    assert problem.code == "missing-column" and problem.column == "age_in_years"
    assert problem.file == str(register) and problem.row == 1
    assert f"line {line_of(spec, 'code: mean_age')}" in problem.message and str(spec) in problem.message


def test_unknown_area_key_in_csv_names_rows_and_keys(
    ready: tuple[Workspace, str, Path], tmp_path: Path
) -> None:
    workspace, city, register = ready
    people = pd.read_parquet(register)
    people["area_code"] = people["area_code"].astype(str)
    people.loc[[4, 9], "area_code"] = ["99999999", "0000"]
    csv = tmp_path / "register.csv"
    people.to_csv(csv, index=False)
    error = refused(workspace, city, write_spec(tmp_path), csv)
    problems = error.report.errors  # type: ignore[union-attr]
    assert [(p.code, p.row, p.value) for p in problems] == [
        ("unknown-area", 6, "99999999"),  # header = row 1, record 4 (from 0) = row 6
        ("unknown-area", 11, "0000"),  # leading zeros kept: the key column is read as text
    ]
    assert all(p.file == str(csv) and p.column == "area_code" for p in problems)
    assert "0000" in str(error) and "99999999" in str(error)


def test_unknown_area_key_in_parquet_names_the_record(
    ready: tuple[Workspace, str, Path], tmp_path: Path
) -> None:
    workspace, city, register = ready
    people = pd.read_parquet(register)
    people["area_code"] = people["area_code"].astype(str)
    people.loc[7, "area_code"] = "nowhere"
    broken = tmp_path / "broken.parquet"
    people.to_parquet(broken)
    problems = refused(workspace, city, write_spec(tmp_path), broken).report.errors  # type: ignore[union-attr]
    assert [(p.code, p.row, p.value) for p in problems] == [("unknown-area", 8, "nowhere")]


def test_missing_field_names_the_line(ready: tuple[Workspace, str, Path], tmp_path: Path) -> None:
    workspace, city, register = ready
    spec = write_spec(tmp_path, replace=("  level: planning_area\n", ""))
    problems = refused(workspace, city, spec, register).report.errors  # type: ignore[union-attr]
    assert [(p.code, p.row) for p in problems] == [("invalid-spec", line_of(spec, "area:"))]
    assert "area.level" in problems[0].message and "Field required" in problems[0].message
    assert problems[0].file == str(spec)


def test_condition_that_does_not_parse_names_the_line(
    ready: tuple[Workspace, str, Path], tmp_path: Path
) -> None:
    workspace, city, register = ready
    spec = write_spec(tmp_path, replace=('numerator: "age < 18"', 'numerator: "age < < 18"'))
    problems = refused(workspace, city, spec, register).report.errors  # type: ignore[union-attr]
    assert [(p.code, p.row) for p in problems] == [("invalid-spec", line_of(spec, "age < < 18"))]
    assert "cannot parse" in problems[0].message


def test_unknown_indicator_names_the_line(ready: tuple[Workspace, str, Path], tmp_path: Path) -> None:
    workspace, city, register = ready
    spec = write_spec(tmp_path, extra='  - code: happiness\n    count: "age > 99"\n')
    problems = refused(workspace, city, spec, register).report.errors  # type: ignore[union-attr]
    assert [(p.code, p.row, p.value) for p in problems] == [
        ("unknown-indicator", line_of(spec, "code: happiness"), "happiness")
    ]


def test_a_share_cannot_feed_a_count_indicator(ready: tuple[Workspace, str, Path], tmp_path: Path) -> None:
    workspace, city, register = ready
    spec = write_spec(
        tmp_path,
        replace=(
            '  - code: inhabitants\n    count: "true"\n',
            "  - code: inhabitants\n    share: {numerator: 'true', denominator: 'true'}\n",
        ),
    )
    problems = refused(workspace, city, spec, register).report.errors  # type: ignore[union-attr]
    assert problems[0].code == "invalid-spec" and "kind 'count'" in problems[0].message


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "age.real > 1",
        "(lambda: 1)()",
        "[x for x in age]",
        "age[0] == 1",
        "open('f')",
        "age in benefit",
        "None",
    ],
)
def test_only_the_condition_language_is_accepted(text: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(text)


def test_conditions_are_translated_not_evaluated() -> None:
    import ibis

    table = ibis.table({"age": "int64", "benefit": "string", "foreign": "boolean"}, name="t")
    from bettercities.microdata.conditions import to_ibis

    people = pd.DataFrame(
        {
            "age": [3, 15, 40, 64, 70],
            "benefit": ["sgb2", "none", "sgb2", "x", "sgb2"],
            "foreign": [True, False, True, False, False],
        }
    )
    con = ibis.duckdb.connect()
    records = con.read_parquet(_parquet(people))
    cases = {
        "15 <= age < 65": [False, True, True, True, False],
        "between(age, 15, 64) and not foreign": [False, True, False, True, False],
        "benefit in ['sgb2', 'x'] or age % 2 == 0": [True, False, True, True, True],
        "age * 2 - 10 > 100": [False, False, False, True, True],
        "benefit not in ['sgb2']": [False, True, False, True, False],
        "true": [True] * 5,
        "false or foreign": [True, False, True, False, False],
    }
    for text, expected in cases.items():
        assert to_ibis(table, text) is not None
        got = records.select(v=to_ibis(records, text)).execute()["v"].tolist()
        assert got == expected, text
    con.disconnect()


def _parquet(frame: pd.DataFrame) -> str:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "p.parquet"
    frame.to_parquet(path)
    return str(path)


def test_spec_loader_keeps_lines(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path))
    assert [i.line for i in spec.indicators][:2] == [10, 12]
    assert spec.columns() >= {"area_code", "age", "benefit", "unemployed", "income"}


def test_lookup_with_a_key_twice_or_without_its_columns(
    ready: tuple[Workspace, str, Path], tmp_path: Path
) -> None:
    """A block listed twice would count its records twice; a lookup without the named columns is refused."""
    workspace, city, register = ready
    spec = write_spec(
        tmp_path,
        replace=(
            "  key: area_code          # the register's planning-area code\n",
            "  key: block_id\n  lookup: blocks.csv\n  lookup_key: block_id\n  lookup_area: area_code\n",
        ),
    )
    people = pd.read_parquet(register, columns=["block_id", "area_code"]).drop_duplicates("block_id")
    twice = pd.concat([people, people.iloc[[3]]])
    twice.to_csv(tmp_path / "blocks.csv", index=False)
    problems = refused(workspace, city, spec, register).report.errors  # type: ignore[union-attr]
    assert [(p.code, p.value, p.file) for p in problems] == [
        ("duplicate-key", str(people.iloc[3]["block_id"]), str(tmp_path / "blocks.csv"))
    ]
    people.rename(columns={"area_code": "planning_area"}).to_csv(tmp_path / "blocks.csv", index=False)
    problems = refused(workspace, city, spec, register).report.errors  # type: ignore[union-attr]
    assert [(p.code, p.column) for p in problems] == [("missing-column", "area_code")]


def test_a_record_whose_condition_is_null_is_not_counted(tmp_path: Path) -> None:
    """Counted by hand: area a has ages 20, None, 70 and b has None only; ``age >= 18`` holds for 2 and 0."""
    import ibis

    from bettercities.microdata.service import _count

    frame = pd.DataFrame({"area": ["a", "a", "a", "b"], "age": [20, None, 70, None]})
    frame.to_parquet(tmp_path / "n.parquet")
    con = ibis.duckdb.connect()
    records = con.read_parquet(str(tmp_path / "n.parquet"))
    got = (
        records.group_by("area")
        .aggregate(
            adults=_count(records, "age >= 18"), all=_count(records, "true"), none=_count(records, "false")
        )
        .execute()
        .sort_values("area")
    )
    assert got["adults"].fillna(0).tolist() == [
        2,
        0,
    ]  # b: a sum over nulls only, filled with 0 on the roll-up
    assert got["all"].tolist() == [3, 1] and got["none"].tolist() == [0, 0]
    con.disconnect()


def test_a_refusal_on_a_coarser_level_imports_no_level(
    ready: tuple[Workspace, str, Path], tmp_path: Path
) -> None:
    """Every level is written in one transaction as it is validated: the district level, refused last (its
    counts exceed the indicator's maximum, the finer levels' do not), takes the written levels back with it,
    their import batches and audit entries too."""
    from sqlalchemy import func, select

    from bettercities.audit.models import AuditEntry
    from bettercities.indicators import service as indicators
    from bettercities.indicators.models import ImportBatch
    from bettercities.indicators.schemas import IndicatorSpec
    from tests.microdata.conftest import area_sizes

    workspace, city, register = ready
    sizes = area_sizes(workspace)
    # A count capped above every planning area and region (tests/microdata/conftest: 1..300 persons per
    # planning area, 60 regions of about one area each) and below the districts (12 of ~5 areas each).
    cap = 400
    assert max(sizes.values()) < cap < sum(sizes.values()) / 12
    with workspace.database.session() as session:
        indicators.register_indicator(
            session,
            IndicatorSpec(code="capped_persons", name_de="c", name_en="c", kind="count", max_value=cap),
        )
    spec = write_spec(tmp_path, extra='  - code: capped_persons\n    count: "true"\n')

    def counts() -> tuple[int, int, int]:
        with workspace.database.reader() as session:
            return (
                count_observations(workspace),
                session.scalar(select(func.count()).select_from(ImportBatch)) or 0,
                session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            )

    before = counts()
    messages: list[str] = []
    with pytest.raises(InvalidInput) as caught:
        aggregate(
            workspace.database,
            city,
            spec,
            register,
            PERIOD,
            progress=lambda m, done, total: messages.append(m),
        )
    assert "imported level planning_area" in messages and "imported level district_region" in messages
    assert "imported level district" not in messages  # written and then rolled back: the first two levels
    problems = caught.value.report.errors  # type: ignore[union-attr]
    assert problems and {p.code for p in problems} == {"out-of-range"}
    assert {p.file for p in problems} == {"register.parquet [spec.yaml, district]"}
    assert counts() == before, "no observation, import batch or audit entry of any level kept"


def test_a_checksum_that_fails_while_the_records_are_aggregated_imports_nothing(
    ready: tuple[Workspace, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data file is hashed beside the aggregation and the checksum is read when the first import batch
    is written: a failure there fails the aggregation with nothing imported, no batch left behind."""
    from sqlalchemy import func, select

    from bettercities.indicators.models import ImportBatch
    from bettercities.ingest import checksums

    workspace, city, register = ready
    real = checksums.FileChecksum._open

    def failing(self: checksums.FileChecksum) -> int:
        if self.path == register:
            raise OSError("the register went away while it was hashed")
        return real(self)

    monkeypatch.setattr(checksums.FileChecksum, "_open", failing)
    with workspace.database.reader() as session:
        batches = session.scalar(select(func.count()).select_from(ImportBatch))
    before = count_observations(workspace)
    with pytest.raises(OSError, match="went away while it was hashed"):
        aggregate(workspace.database, city, write_spec(tmp_path), register, PERIOD)
    assert count_observations(workspace) == before
    with workspace.database.reader() as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == batches


def test_the_aggregation_runs_with_the_older_objects_out_of_the_collectors_sight(
    ready: tuple[Workspace, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aggregate() freezes the objects that exist before it (bettercities.core.memory) and unfreezes them
    when it ends, also when it fails."""
    import gc

    from bettercities.microdata import service

    workspace, city, register = ready
    seen: list[int] = []
    session_frozen = gc.get_freeze_count()  # the test session's own freeze (tests/conftest.py), undone here
    gc.unfreeze()

    def stop(*args: object, **kwargs: object) -> None:
        seen.append(gc.get_freeze_count())
        raise LookupError("stop before the records are read")

    monkeypatch.setattr(service, "_compute", stop)
    try:
        with pytest.raises(LookupError, match="stop before"):
            aggregate(workspace.database, city, write_spec(tmp_path), register, PERIOD)
        assert seen and seen[0] > 0
        assert gc.get_freeze_count() == 0
    finally:
        if session_frozen:
            gc.freeze()
