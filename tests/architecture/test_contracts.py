"""The architecture contracts (``[tool.importlinter]`` in pyproject.toml) hold, cover every domain, can fail.

import-linter runs as the venv's ``lint-imports``, the same command as ``make lint``, in a child process: the
package it analyses is whichever ``bettercities`` comes first on that process's path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from bettercities import domains

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "bettercities"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(*, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on pyproject.toml's contracts; ``path`` goes first on the child's ``PYTHONPATH``."""
    env = dict(os.environ, COLUMNS="250", NO_COLOR="1")
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}


def named(package: str, modules: set[str]) -> bool:
    """Whether ``package`` or its parent package (``bettercities.analysis``) is among ``modules``."""
    return package in modules or package.rsplit(".", 1)[0] in modules


def test_the_contracts_are_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, f"import-linter found broken contracts:\n{result.stdout}{result.stderr}"


def test_an_upward_import_breaks_the_layers(tmp_path: Path) -> None:
    # A copy of the package with one scratch module in storage importing the web app: src stays untouched.
    copy = tmp_path / "bettercities"
    skipped = shutil.ignore_patterns("__pycache__", "templates", "static", "locale")
    shutil.copytree(PACKAGE, copy, ignore=skipped)
    (copy / "storage" / "scratch_upward.py").write_text(
        '"""Scratch: storage reaching up into a face."""\n\nfrom bettercities.web import app  # noqa: F401\n',
        encoding="utf-8",
    )

    result = lint_imports(path=tmp_path)

    assert result.returncode != 0, result.stdout
    assert "bettercities.storage.scratch_upward -> bettercities.web" in result.stdout, result.stdout
    assert "bettercities.storage is not allowed to import bettercities.web" in result.stdout, result.stdout


def test_every_manifest_domain_is_under_contract() -> None:
    """A new domain takes its place in the domain layers and in the rules that name the domains."""
    packages = {domain.module for domain in domains.DOMAINS}
    by_id = contracts()
    layered = {
        module.strip() for layer in by_id["layers"]["layers"] for module in layer.replace(":", "|").split("|")
    }
    assert sorted(p for p in packages if p not in layered) == [], "domains missing from the layers contract"
    below_faces = set(by_id["domains-below-faces"]["source_modules"])
    assert sorted(p for p in packages if not named(p, below_faces)) == []
    without_domains = set(by_id["storage-without-domains"]["forbidden_modules"])
    assert sorted(p for p in packages if not named(p, without_domains)) == []
