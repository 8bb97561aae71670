"""Every domain of the manifest has the same anatomy, and every face module belongs to a domain.

The anatomy (docs/architecture.md, "The anatomy of a domain")::

    src/bettercities/<package>/   models.py  schemas.py  service.py
    src/bettercities/cli/<name>.py (register)   web/api/<name>.py (router)   web/pages/<name>.py (router)
    src/bettercities/web/templates/<name>/   tests/<name>/   docs/<name>.md

A domain without tables says ``models=False``; a domain without ``schemas.py`` or ``service.py`` names the
missing part in its manifest ``note`` and says why. The faces exist exactly where the manifest says so.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bettercities import domains
from bettercities.domains import Domain

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "bettercities"

#: Modules under the faces that are no domain's face: shared helpers, the entry point, the API docs.
NOT_DOMAIN_FACES = frozenset(
    {
        "bettercities.cli.common",
        "bettercities.cli.main",
        "bettercities.web.api.docs",
        *domains.COMMANDS,
    }
)
FACE_PACKAGES = ("bettercities.cli", "bettercities.web.api", "bettercities.web.pages")


def source(module: str) -> Path:
    return SRC.parent.joinpath(*module.split(".")).with_suffix(".py")


def top_level_names(path: Path) -> set[str]:
    """Names a module defines at its top level (functions, classes, assignments), read without importing."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def excused(domain: Domain, part: str) -> bool:
    """Whether the manifest's note for ``domain`` names the missing ``part`` (and so says why)."""
    return part in domain.note


@pytest.mark.parametrize("domain", domains.DOMAINS, ids=lambda d: d.name)
def test_domain_package(domain: Domain) -> None:
    package = SRC.joinpath(*domain.module.split(".")[1:])
    assert (package / "__init__.py").is_file(), f"{domain.name}: no package {domain.module}"
    missing = []
    if domain.models:
        if not (package / "models.py").is_file():
            missing.append("models.py (or models=False in the manifest)")
    elif not domain.note:
        missing.append("a note saying why it has no models")
    for part in ("schemas", "service"):
        if not (package / f"{part}.py").is_file() and not excused(domain, part):
            missing.append(f"{part}.py (or a manifest note naming '{part}' and why)")
    assert missing == [], f"{domain.name} ({domain.module}) lacks: {', '.join(missing)}"


@pytest.mark.parametrize("domain", domains.DOMAINS, ids=lambda d: d.name)
def test_domain_faces(domain: Domain) -> None:
    faces = {f"bettercities.web.{face}.{domain.name}": "router" for face in ("api", "pages")}
    faces[f"bettercities.cli.{domain.name}"] = "register"
    declared = set(domain.router_modules) | ({domain.cli_module} if domain.cli_module else set())
    wrong = []
    for module, entry in faces.items():
        path = source(module)
        if module in declared and not path.is_file():
            wrong.append(f"{module} is in the manifest but missing")
        elif module in declared and entry not in top_level_names(path):
            wrong.append(f"{module} has no {entry}")
        elif module not in declared and path.is_file():
            wrong.append(f"{module} exists but the manifest does not name it")
    if domain.pages and not (SRC / "web" / "templates" / domain.name).is_dir():
        wrong.append(f"web/templates/{domain.name}/ is missing")
    assert wrong == [], f"{domain.name}: " + "; ".join(wrong)


@pytest.mark.parametrize("domain", domains.DOMAINS, ids=lambda d: d.name)
def test_domain_tests_and_docs(domain: Domain) -> None:
    tests = ROOT / "tests" / domain.name
    assert any(tests.glob("test_*.py")), f"{domain.name}: no tests/{domain.name}/test_*.py"
    assert (ROOT / "docs" / f"{domain.name}.md").is_file(), f"{domain.name}: no docs/{domain.name}.md"


def test_every_test_folder_is_a_package() -> None:
    """A test folder without ``__init__.py`` imports its modules by their bare names: two ``test_pages.py``
    in such folders collide and the whole run stops with "import file mismatch" (it did, for goals/impact)."""
    folders = {path.parent for path in (ROOT / "tests").rglob("test_*.py")}
    bare = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").is_file())
    assert not bare, f"test folders without __init__.py: {bare}"


def test_no_stray_faces() -> None:
    """A module under cli/, web/api/ or web/pages/ is a manifest domain's face or listed as none."""
    faces = {module for d in domains.DOMAINS for module in (*d.router_modules, d.cli_module) if module}
    strays = []
    for package in FACE_PACKAGES:
        folder = SRC.parent.joinpath(*package.split("."))
        for path in sorted(folder.glob("*.py")):
            module = f"{package}.{path.stem}"
            if path.stem != "__init__" and module not in faces and module not in NOT_DOMAIN_FACES:
                strays.append(module)
    assert strays == [], (
        "face modules named after no manifest domain (rename to the domain's name, add the domain's face to "
        f"the manifest, or move the code into the domain): {strays}"
    )


def test_not_domain_faces_exist() -> None:
    """The list of non-domain modules names only modules that exist (it does not hide a removed face)."""
    assert sorted(m for m in NOT_DOMAIN_FACES if not source(m).is_file()) == []


@pytest.mark.parametrize("domain", domains.DOMAINS, ids=lambda d: d.name)
def test_domain_extension_modules_exist(domain: Domain) -> None:
    """The modules a domain registers with the lower layers (withholding rules, write locks, storage hooks,
    export formats) exist, so that a misspelt name in the manifest fails here and not at the first export,
    write or restore."""
    named = [
        m
        for m in (
            domain.publication_rules_module,
            domain.write_rules_module,
            domain.storage_hooks_module,
            *domain.export_modules,
        )
        if m is not None
    ]
    assert sorted(m for m in named if not source(m).is_file()) == []


def test_export_formats_come_from_the_manifest() -> None:
    """Every kind of export is registered by a module the manifest names (none is wired by hand in a face)."""
    from bettercities.core import exports

    assert set(exports.kinds()) == {"catalog", "exchange", "index-run", "observations"}
