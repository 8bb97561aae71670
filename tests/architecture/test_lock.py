"""requirements.lock (what ``scripts/bootstrap`` installs) agrees with pyproject.toml.

Bootstrap installs the lock with ``--require-hashes`` and the project itself with ``--no-deps``, so a
dependency added to pyproject.toml but not to the lock would be missing from every fresh install, and a
requirement tightened past the locked version would not be checked by anyone. ``make lock`` writes the lock
again; this test says when that is due.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
EXTRAS = ("test", "spark")  # the extras bootstrap installs (scripts/bootstrap, Makefile `lock`)

#: ``name==version`` at the start of a line, optionally followed by `` ; marker``
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def locked() -> dict[str, list[tuple[str, Marker | None]]]:
    """Every pinned package of the lock: its versions, each with the environment marker it applies under."""
    pins: dict[str, list[tuple[str, Marker | None]]] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        found = PIN.match(line)
        if found:
            name, version, marker = found.groups()
            pins.setdefault(canonicalize_name(name), []).append((version, Marker(marker) if marker else None))
    return pins


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = list(project["dependencies"])
    for extra in EXTRAS:
        listed += project["optional-dependencies"][extra]
    return [Requirement(text) for text in listed]


def test_every_pin_carries_its_hashes() -> None:
    """Bootstrap installs with --require-hashes: a pin without a hash would stop every fresh install."""
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    pinned = [i for i, line in enumerate(lines) if PIN.match(line)]
    assert len(locked()) > 100, "requirements.lock holds fewer pins than the project's dependency tree"
    unhashed = [lines[i] for i in pinned if i + 1 >= len(lines) or "--hash=sha256:" not in lines[i + 1]]
    assert not unhashed, f"pins without hashes in requirements.lock: {unhashed}"


def test_every_requirement_of_pyproject_is_locked_at_a_version_it_accepts() -> None:
    pins = locked()
    # the environments the lock is made for: CPython >= 3.11 on Linux (CI, servers) — others are not tested
    environments = [
        {"python_version": v, "python_full_version": f"{v}.0", "sys_platform": "linux",
         "platform_system": "Linux", "platform_python_implementation": "CPython",
         "implementation_name": "cpython", "extra": ""}
        for v in ("3.11", "3.12", "3.13")
    ]  # fmt: skip
    problems = []
    for requirement in requirements():
        name = canonicalize_name(requirement.name)
        for environment in environments:
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            versions = [
                v for v, marker in pins.get(name, []) if marker is None or marker.evaluate(environment)
            ]
            if not versions:
                python = environment["python_version"]
                problems.append(f"{requirement}: not in requirements.lock for Python {python}")
            problems += [
                f"{requirement}: requirements.lock pins {name}=={v}"
                for v in versions
                if not requirement.specifier.contains(v, prereleases=True)
            ]
    assert not problems, "run `make lock`:\n" + "\n".join(sorted(set(problems)))
