"""Where the schema's migrations are, for Alembic: storage's own folder and each domain's ``migrations/``.

A domain brings its migrations the way it brings its tables: in ``<package>/migrations/`` beside its
``models.py``, found through the manifest (:mod:`bettercities.domains`) by package path, so that no domain
is imported to find them. Storage's own folder keeps the revisions written before domains had folders
(``0001`` … ``0010``); their ids do not change, so existing databases upgrade as before.

A domain's revisions branch from the core revision ``0002`` (or follow the revision whose tables they
reference); :meth:`bettercities.storage.database.Database.migrate` upgrades to every head.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bettercities import domains

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

#: Alembic's script folder (``env.py``) with storage's own revisions in ``versions/``.
MIGRATIONS = Path(__file__).with_name("migrations")
#: The ``bettercities`` package folder, under which each domain's package path is looked up.
PACKAGE = Path(__file__).resolve().parents[1]


def version_locations(
    manifest: Iterable[domains.Domain] = domains.DOMAINS, *, root: Path = PACKAGE
) -> list[Path]:
    """Storage's ``versions/`` folder, then the ``migrations/`` folder of each domain that has one."""
    folders = [MIGRATIONS / "versions"]
    for domain in manifest:
        folder = root.joinpath(*domain.module.split(".")[1:], "migrations")
        if folder.is_dir():
            folders.append(folder)
    return folders


def alembic_config(engine: Engine) -> Config:
    """The Alembic configuration that migrates ``engine`` (``env.py`` runs on the engine it is handed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(folder) for folder in version_locations()))
    cfg.attributes["engine"] = engine
    return cfg


#: The heads of each set of version folders, read once per process (:func:`heads`).
_HEADS: dict[str, frozenset[str]] = {}


def heads(config: Config) -> frozenset[str]:
    """The head revisions of ``config``'s version folders.

    Alembic finds them by executing every revision file (~25 ms); the files that ship with the installed
    version do not change under a running process, so they are read once per set of folders, not on every
    opening of a workspace (a test process opens thousands)."""
    from alembic.script import ScriptDirectory

    key = config.get_main_option("version_locations") or ""
    if key not in _HEADS:
        _HEADS[key] = frozenset(ScriptDirectory.from_config(config).get_heads())
    return _HEADS[key]
