"""``bettercities impact-logic …`` on the small world (SQLite): show prints the values computed from the
stored data (and the same as JSON), box and measure commands write through the library, refused input exits
2 naming its problem code with nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from bettercities.cli.main import app
from bettercities.storage.workspace import Workspace
from tests.impact_logic.world import AS_OF, build


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path_factory.mktemp("impact-logic-cli"))
    with workspace.database.session() as session:
        build(session)
    workspace.close()
    yield workspace


def _run(ws: Workspace, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--workspace", str(ws.path)])
    return result.exit_code, result.stdout, result.stderr


def test_show_and_write(ws: Workspace) -> None:
    code, out, err = _run(ws, "impact-logic", "show", "vie", "--on", AS_OF.isoformat(), "--json")
    assert code == 0, out + err
    formed = next(m for b in json.loads(out)["boxes"] for m in b["measures"] if m["key"] == "formed")
    assert formed["current"] == 2  # two of the three tandems had started by 31 January 2024
    code, out, err = _run(ws, "impact-logic", "show", "vie", "--quarters", "2")
    assert code == 0 and "Networking" in out and "as of 2024-12-31" in out, out + err
    code, out, err = _run(
        ws, "impact-logic", "box", "add", "vie", "info", "--stage", "activities", "--title-de", "Information",
        "--title-en", "Information",
    )  # fmt: skip
    assert code == 0, out + err
    assert _run(ws, "impact-logic", "box", "link", "vie", "info", "tandems")[0] == 0
    code, out, err = _run(
        ws,
        "impact-logic",
        "measure",
        "add",
        "vie",
        "respondents",
        "--box",
        "info",
        "--code",
        "survey_respondents",
    )
    assert code == 0 and "automatic, survey_respondents" in out, out + err
    code, out, err = _run(ws, "impact-logic", "measure", "add", "vie", "webinars", "--box", "info",
                          "--label-de", "Webinare", "--label-en", "Webinars", "--target", "4")  # fmt: skip
    assert code == 0, out + err
    code, out, err = _run(ws, "impact-logic", "measure", "record", "vie", "webinars", "--date", "2026-02-19",
                          "--value", "4", "--source", "URBACT webinar series")  # fmt: skip
    assert code == 0, out + err
    assert _run(ws, "impact-logic", "measure", "target", "vie", "webinars", "--clear")[0] == 0
    codes = CliRunner().invoke(app, ["impact-logic", "measure", "codes", "--json"])  # no workspace
    assert {c["code"] for c in json.loads(codes.stdout)} >= {"tandems_formed", "municipalities_reached"}
    code, out, _ = _run(ws, "impact-logic", "show", "vie", "--on", "2026-03-01", "--json")
    webinars = next(m for b in json.loads(out)["boxes"] for m in b["measures"] if m["key"] == "webinars")
    assert (webinars["current"], webinars["target"]) == (4, None)
    assert _run(ws, "impact-logic", "measure", "remove", "vie", "webinars")[0] == 0
    assert _run(ws, "impact-logic", "box", "unlink", "vie", "info", "tandems")[0] == 0
    assert _run(ws, "impact-logic", "box", "change", "vie", "info", "--title-en", "Informing")[0] == 0
    assert _run(ws, "impact-logic", "box", "remove", "vie", "info")[0] == 0


def test_refusals(ws: Workspace) -> None:
    code, _, err = _run(ws, "impact-logic", "box", "link", "vie", "lasting", "call")
    assert code == 2 and "logic-backward-link" in err
    code, _, err = _run(ws, "impact-logic", "measure", "record", "vie", "formed", "--date", "2024-01-01",
                        "--value", "9", "--source", "guess")  # fmt: skip
    assert code == 2 and "logic-automatic-value" in err
    code, _, err = _run(ws, "impact-logic", "box", "add", "vie", "Bad Key", "--stage", "inputs", "--title-de",
                        "x", "--title-en", "x")  # fmt: skip
    assert code == 2 and "no key" in err
    code, _, err = _run(ws, "impact-logic", "show", "nowhere")
    assert code == 1 and "programme not found: nowhere" in err
    code, out, _ = _run(ws, "impact-logic", "show", "vie", "--json")
    assert [b["key"] for b in json.loads(out)["boxes"]] == ["call", "tandems", "lasting"]
