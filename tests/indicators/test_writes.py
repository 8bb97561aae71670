"""Every write of observations passes the same check: the lock, the indicator's range, finite values.

The library's write paths are found in the source (:func:`observation_writers`: every function that builds
an ``Observation``, retires a current one or sends an insert or update to its table); each must be listed in
:data:`WRITE_PATHS` with the operation that reaches it, so a new write path fails
:func:`test_every_observation_writer_is_listed` until it is added here — and then has to pass the matrix:
a locked dataset is refused (:class:`Locked`, a :class:`Conflict`: HTTP 409, exit code 1), a value outside
the indicator's range and a NaN are refused (:class:`RuleBroken`, an :class:`InvalidInput`: HTTP 422,
exit code 2), and nothing is written.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import bettercities
from bettercities.areas import service as areas
from bettercities.areas.schemas import AreaSpec, CrosswalkEntrySpec, LevelSpec
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import DatasetSpec
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.indicators import service as indicators
from bettercities.indicators import writes
from bettercities.indicators.models import Indicator, Observation
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.quality import outliers
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL, build_city
from tests.support.flags import open_flag

SOURCE = Path(bettercities.__file__).parent
SHARE = "unemployed_share"  # a share of 0 .. 100 (tests/ingest/conftest.py)
COUNT = "inhabitants"  # a count of at least 0
VALID = 20.0  # a valid share and count
DATASET = "labour"


# -- finding the write paths in the source -----------------------------------------------------------------


def _writes_observations(function: ast.AST) -> bool:
    """The body builds an ``Observation``, sets ``is_current = False`` or inserts into / updates the
    observation table (``Observation.__table__`` or ``Observation``) with SQL or the bulk path."""
    table = any(
        isinstance(n, ast.Attribute) and n.attr == "__table__" and getattr(n.value, "id", "") == "Observation"
        for n in ast.walk(function)
    )
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Observation":
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "is_current" for t in node.targets
        ):
            return True
        if isinstance(node, ast.Call):
            called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if called in ("insert", "update", "bulk_insert", "bulk_insert_columns") and (
                table or "Observation" in {a.id for a in node.args if isinstance(a, ast.Name)}
            ):
                return True
    return False


def observation_writers() -> set[str]:
    """``module:function`` of every function of the package that writes observations."""
    found = set()
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text("utf-8")
        if "Observation" not in text and "is_current" not in text:
            continue  # no name the scan looks for: parsing ~400 modules took most of the test's 5 s
        tree = ast.parse(text)
        module = ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _writes_observations(node):
                found.add(f"{module}:{node.name}")
    return found


# -- the world: the import tests' city, a dataset holding the share, a value to revise -------------------


@dataclass(frozen=True)
class Case:
    """A write of ``value`` into the share through one library operation."""

    ws: Workspace
    tmp: Path
    value: float


def build_labour_city(ws: Workspace, tmp: Path) -> None:
    build_city(ws)
    path = tmp / "start.csv"
    rows = "".join(
        f"{c},2020,{10 + i},{100 + 10 * i}\n" for i, c in enumerate(("B1", "B2", "B3", "B4", "B5"))
    )
    path.write_text(f"id,period,{SHARE},{COUNT}\n{rows}")
    import_observations(ws.database, CITY, path, ObservationImportOptions(level=LEVEL), user="loader")
    with ws.database.session() as session:
        city = areas.get_city(session, CITY)
        catalog.add_dataset(
            session,
            city,
            DatasetSpec(
                code=DATASET,
                title_de="Arbeit",
                title_en="Labour",
                publisher="Statistik",
                indicators=[SHARE, COUNT],
            ),
        )


def lock_labour(ws: Workspace) -> None:
    with ws.database.session() as session:
        for action in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
            approval.transition(session, CITY, DATASET, action, user="test")


def _import(case: Case) -> None:
    path = case.tmp / "delivery.csv"
    path.write_text(f"id,period,{SHARE}\nB1,2020,{case.value}\n")
    import_observations(case.ws.database, CITY, path, ObservationImportOptions(level=LEVEL), user="steward")


def _correct(case: Case) -> None:
    with case.ws.database.session() as session:
        flag_id = open_flag(session, CITY, SHARE)
    with case.ws.database.session() as session:
        outliers.resolve_flag(session, CITY, flag_id, action="correct", value=case.value, user="steward")


def _carry_over(case: Case) -> None:
    """Carry the inhabitants of 2020 to a new block; the carried count (B1 + B2: 100 + 110) falls outside a
    rule tightened after the values were stored: ``case.value`` is the new maximum (none for VALID)."""
    with case.ws.database.session() as session:
        city = areas.get_city(session, CITY)
        old = areas.get_level(session, city, LEVEL)
        new = areas.ensure_level(
            session, city, LevelSpec(code="block2", name_de="Block 2", name_en="Block 2")
        )
        areas.add_areas(session, city, new, [AreaSpec(code="N1", name="Neu 1", valid_from=date(2021, 1, 1))])
        crosswalk = areas.create_crosswalk(
            session,
            city,
            "blocks-2021",
            old,
            new,
            [CrosswalkEntrySpec(source_code=c, target_code="N1", weight=1.0) for c in ("B1", "B2")],
        )
        if case.value != VALID:
            session.execute(update(Indicator).where(Indicator.code == COUNT).values(max_value=case.value))
        count = indicators.get_indicator(session, COUNT)
        indicators.carry_over(session, crosswalk, count, indicators.get_period(session, "2020"), store=True)


def _demo(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo generator's values pass the check too (here one share of the generated city is set to
    ``case.value``); its city is new, so no dataset of it can be locked yet."""
    from bettercities.demo import generator
    from bettercities.demo.service import build_demo

    real = generator.generate_demo_city

    def tampered(**options: object) -> object:
        city = real(**{**options, "n_district_regions": 4, "n_districts": 2})  # type: ignore[arg-type]
        shares = [s.code for s in city.indicators if s.kind == "share" and s.max_value is not None]
        frame = city.observations.copy()
        first = frame.index[frame["indicator_code"] == shares[0]][0]
        frame.loc[first, "value"] = case.value
        return replace(city, observations=frame)

    monkeypatch.setattr(generator, "generate_demo_city", tampered)
    build_demo(case.ws, n_planning_areas=8, first_year=2023, last_year=2024)


@dataclass(frozen=True)
class WritePath:
    """The library operation that reaches a writer, and whether a lock can hold its data."""

    write: Callable[..., None]
    lockable: bool = True
    nan: bool = True
    infinite: bool = True
    why: str = ""


#: Every function that writes observations -> the operation that reaches it.
WRITE_PATHS: dict[str, WritePath] = {
    "bettercities.ingest.revisions:write": WritePath(_import),  # import_observations (CLI, web, exchange)
    "bettercities.quality.outliers:_correct": WritePath(_correct),  # resolve_flag(action="correct")
    "bettercities.indicators.service:_store_carried": WritePath(
        _carry_over, nan=False, infinite=False, why="carried values come from stored (finite) ones"
    ),
    "bettercities.demo.service:build_demo": WritePath(
        _demo,
        lockable=False,
        nan=False,
        why="the demo creates its city (no dataset of it exists before the write); NaN is its empty value",
    ),
}

#: The writers a lock can hold (``why`` says why the others are not among them).
LOCKABLE = sorted(writer for writer, path in WRITE_PATHS.items() if path.lockable)
#: (writer, value) pairs whose value the writer can receive at all (not generated for the others: ``why``).
RULE_BREAKING = [
    pytest.param(writer, value, id=f"{value_id}-{writer}")
    for value, value_id in ((250.0, "250"), (math.nan, "nan"), (math.inf, "inf"))
    for writer, path in sorted(WRITE_PATHS.items())
    if not (math.isnan(value) and not path.nan) and not (math.isinf(value) and not path.infinite)
]


def test_every_observation_writer_is_listed() -> None:
    found = observation_writers()
    missing = sorted(found - WRITE_PATHS.keys())
    assert not missing, (
        f"functions that write observations without a check here (add to WRITE_PATHS): {missing}"
    )
    stale = sorted(WRITE_PATHS.keys() - found)
    assert not stale, f"listed writers the source does not have: {stale}"


def test_the_scan_finds_a_new_writer(tmp_path: Path) -> None:
    code = "def sneaky(session, x):\n    session.add(Observation(value=x))\n"
    [function] = ast.parse(code).body
    assert _writes_observations(function)
    reader = "def reader(session):\n    return session.scalars(select(Observation))\n"
    assert not _writes_observations(ast.parse(reader).body[0])


def _count(ws: Workspace) -> tuple[int, int]:
    with ws.database.reader() as session:
        return (
            session.scalar(select(func.count(Observation.id))) or 0,
            session.scalar(select(func.count(Observation.id)).where(Observation.is_current.is_(True))) or 0,
        )


def _run(path: WritePath, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    if path.write is _demo:
        _demo(case, monkeypatch)
    else:
        path.write(case)


@pytest.mark.parametrize("writer", LOCKABLE)
def test_a_locked_dataset_is_refused(
    writer: str, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = WRITE_PATHS[writer]
    build_labour_city(workspace, tmp_path)
    lock_labour(workspace)
    before = _count(workspace)
    with pytest.raises(writes.Locked) as refused:
        _run(path, Case(workspace, tmp_path, VALID), monkeypatch)
    assert isinstance(refused.value, Conflict)
    assert f"dataset '{DATASET}' (Labour) is published" in str(refused.value)
    assert _count(workspace) == before


@pytest.mark.parametrize(("writer", "value"), RULE_BREAKING)
def test_a_value_breaking_the_indicator_s_rules_is_refused(
    writer: str, value: float, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = WRITE_PATHS[writer]
    build_labour_city(workspace, tmp_path)
    before = _count(workspace)
    if path.write is _carry_over:
        value = 1.0  # the new maximum: the carried count lies above it
    with pytest.raises(InvalidInput) as refused:
        _run(path, Case(workspace, tmp_path, value), monkeypatch)
    assert _count(workspace) == before
    if path.write is _import:  # the import's own validation names file, row and column first
        assert {p.code for p in refused.value.report.problems} & {"out-of-range", "type-error"}  # type: ignore[union-attr]
        return
    assert isinstance(refused.value, writes.RuleBroken)
    [problem] = refused.value.report.problems  # type: ignore[union-attr]
    assert problem.code == ("out-of-range" if math.isfinite(value) else "type-error")
    assert "nothing written" in str(refused.value)


@pytest.mark.parametrize("writer", sorted(WRITE_PATHS))
def test_a_valid_write_passes(
    writer: str, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check refuses only what it should: the same operations write a valid value."""
    build_labour_city(workspace, tmp_path)
    before = _count(workspace)
    _run(WRITE_PATHS[writer], Case(workspace, tmp_path, VALID), monkeypatch)
    assert _count(workspace)[0] > before[0]


def test_check_write_directly(workspace: Workspace, tmp_path: Path) -> None:
    build_labour_city(workspace, tmp_path)
    with workspace.database.session() as session:
        city = areas.get_city(session, CITY)
        share = indicators.get_indicator(session, SHARE).id
        writes.check_write(session, city.id, [share, share], [100.0, None])  # the bound, and no value
        with pytest.raises(
            writes.RuleBroken, match=r"-0\.5 is outside the range of 'unemployed_share' \(0 to 100\)"
        ):
            writes.check_write(session, city.id, [share], [-0.5], source="x.csv")
        with pytest.raises(ValueError, match="2 indicator ids for 1 values"):
            writes.check_write(session, city.id, [share, share], [1.0])
