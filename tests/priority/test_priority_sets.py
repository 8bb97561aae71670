"""Named priority sets keep the audience they were evaluated for (SQLite and PostgreSQL); the CLI's change
comparison is the public's unless asked for the data team's (``index compare --internal``).

Testville with its suppressed unemployment cell of 0102 in 2022 and an MSS-type run
(``tests/support/testville_mss.py``): the data team's view puts 0102 into status class 4 with negative
dynamics, the public's has no class for it (nor for 0101, withheld beside it) and classes the other six areas
by the run's public result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bettercities.analysis.priority import evaluation, schemas, service
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.support.mss_runs import cli
from tests.support.templates import built_template, template_copy
from tests.support.testville_mss import INTERNAL_CHOICE, PUBLIC_CHOICE, run_testville_mss
from tests.web.citybuilder import build_city
from tests.web.conftest import SUPPRESSED

RULE = schemas.PRESETS["mss-low-status-negative-dynamics"]


def _build(workspace: Workspace, _: Path) -> int:
    """Testville (its suppressed cell) and its MSS-type run; the run's id."""
    build_city(workspace, suppress=(SUPPRESSED,))
    with workspace.database.session() as session:
        return run_testville_mss(session).id


@pytest.fixture
def workspace(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Workspace]:
    """A copy of Testville and its run, built once per test process and backend (folder copied, PostgreSQL
    database cloned and dropped after the test)."""
    folder, database, _ = built_template(request, backend, "priority-sets", _build)
    yield from template_copy(request, tmp_path, folder, database)


@pytest.fixture
def testville(request: pytest.FixtureRequest, backend: str, workspace: Workspace) -> int:
    """The id of Testville's MSS-type run in ``workspace``."""
    return built_template(request, backend, "priority-sets", _build)[2]


def test_a_set_keeps_its_audience_and_is_shown_only_to_it(workspace: Workspace, testville: int) -> None:
    with workspace.database.session() as session:
        for audience in Audience:
            result = evaluation.evaluate(session, "testville", RULE, audience=audience)
            assert result.audience == audience
            service.save_set(session, result, audience.value, user="tester")
    with workspace.database.reader() as session:
        everything = service.list_sets(session, "testville")  # the CLI's view: every set
        assert [s.name for s in everything] == ["internal", "member", "public"]
        assert [s.audience for s in everything] == [Audience.INTERNAL, Audience.MEMBER, Audience.PUBLIC]
        assert all(s.runs == [testville] for s in everything)
        seen = {a: [s.name for s in service.list_sets(session, "testville", audience=a)] for a in Audience}
        assert seen == {
            Audience.PUBLIC: ["public"],
            Audience.MEMBER: ["member", "public"],
            Audience.INTERNAL: ["internal", "member", "public"],
        }
        internal = service.get_set(session, "testville", "internal", audience=Audience.INTERNAL)
        assert [a.area_id for a in internal.areas] == INTERNAL_CHOICE
        public = service.get_set(session, "testville", "public", audience=Audience.PUBLIC)
        assert [a.area_id for a in public.areas] == PUBLIC_CHOICE
        for audience in (Audience.PUBLIC, Audience.MEMBER):
            with pytest.raises(NotFound):
                service.get_set(session, "testville", "internal", audience=audience)
        with pytest.raises(NotFound):
            service.get_set(session, "testville", "member", audience=Audience.PUBLIC)


def test_a_public_evaluation_widened_by_a_network_is_not_kept(workspace: Workspace, testville: int) -> None:
    with workspace.database.session() as session:
        widened = evaluation.evaluate(session, "testville", RULE, networks=frozenset({1}))
        assert "networks" not in widened.model_dump()  # not part of the answer
        with pytest.raises(InvalidInput, match="network"):
            service.save_set(session, widened, "widened")
        # for members and the data team the networks do not widen anything: kept
        member = evaluation.evaluate(
            session, "testville", RULE, audience=Audience.MEMBER, networks=frozenset({1})
        )
        assert service.save_set(session, member, "member").audience == Audience.MEMBER


def test_names_and_descriptions_without_control_characters(workspace: Workspace, testville: int) -> None:
    """PostgreSQL cannot store NUL in text (it answered 500 through the API); a name is one line."""
    with workspace.database.session() as session:
        result = evaluation.evaluate(session, "testville", RULE)
        for name, description in (("a\x00b", None), ("two\nlines", None), ("ok", "x\x00y")):
            with pytest.raises(InvalidInput, match="control character"):
                service.save_set(session, result, name, description=description)
        for name in ("a/b", "x.json"):
            with pytest.raises(InvalidInput, match="names the set's page"):
                service.save_set(session, result, name)
        kept = service.save_set(session, result, "ok", description="first line\nsecond line")
        assert kept.description == "first line\nsecond line"


def test_the_audience_column_is_migrated(workspace: Workspace, testville: int) -> None:
    columns = {c["name"]: c for c in inspect(workspace.database.engine).get_columns("priority_set")}
    assert columns["audience"]["nullable"] is False and "public" in str(columns["audience"]["default"])
    assert columns["runs"]["nullable"] is True


def test_cli_compare_is_the_public_s_unless_internal(workspace: Workspace, testville: int) -> None:
    public = json.loads(cli(workspace, "index", "compare", str(testville), str(testville)))
    internal = json.loads(cli(workspace, "index", "compare", str(testville), str(testville), "--internal"))
    assert public["changed"] == internal["changed"] == 0
    # 0102 (suppressed) and 0101 (withheld beside it by secondary suppression) have no class for the public
    assert public["transitions"][0]["unchanged"] == 6
    assert internal["transitions"][0]["unchanged"] == 8


def test_cli_saves_the_public_s_set_unless_internal(workspace: Workspace, testville: int) -> None:
    public = cli(workspace, "priority", "evaluate", "--city", "testville", "--save", "for all")
    internal = cli(workspace, "priority", "evaluate", "--city", "testville", "--save", "team", "--internal")
    assert [line.split("\t")[0] for line in public.splitlines()[:-2]] == PUBLIC_CHOICE
    assert [line.split("\t")[0] for line in internal.splitlines()[:-2]] == INTERNAL_CHOICE
    from typer.testing import CliRunner

    from bettercities.cli.main import app

    where = [
        "--workspace",
        str(workspace.path),
        *(["--database-url", workspace.database_url] if workspace.database_url else []),
    ]
    refused = CliRunner().invoke(
        app, ["priority", "evaluate", "--city", "testville", "--save", "a/b", *where]
    )
    assert refused.exit_code == 2 and "may not contain '/'" in refused.output
    listed = cli(workspace, "priority", "sets", "--city", "testville").splitlines()
    rule = RULE.name
    assert listed == [
        f"for all\tplanning_area\t2022\t{rule}\tpublic",
        f"team\tplanning_area\t2022\t{rule}\tinternal",
    ]
