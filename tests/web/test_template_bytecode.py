"""Compiled templates are shared by the apps of one process, and a changed template is compiled again."""

from __future__ import annotations

from pathlib import Path

from bettercities.web import templating
from bettercities.web.templating import Templates


def test_a_second_app_reuses_the_code_and_a_changed_source_is_compiled_again(tmp_path: Path) -> None:
    page = tmp_path / "probe.html"
    page.write_text("first {{ lang }}", encoding="utf-8")
    before = len(templating._BYTECODE._code)
    assert Templates(tmp_path).envs["de"].get_template("probe.html").render() == "first de"
    assert len(templating._BYTECODE._code) == before + 1  # compiled once, kept

    compiled: list[str] = []
    again = Templates(tmp_path)  # a new app's environments: the code comes from the cache
    env = again.envs["en"]
    original = env.compile
    env.compile = lambda *args, **kwargs: compiled.append("x") or original(*args, **kwargs)  # type: ignore[method-assign]
    assert env.get_template("probe.html").render() == "first en"
    assert compiled == []

    page.write_text("second {{ lang }}", encoding="utf-8")
    assert Templates(tmp_path).envs["de"].get_template("probe.html").render() == "second de"
