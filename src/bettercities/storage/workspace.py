"""A workspace: one folder with the embedded database (SQLite, WAL) and bulk files.

With a ``database_url`` (PostgreSQL) the folder still holds uploads and exports,
while the data lives on the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bettercities.core.errors import BettercitiesError
from bettercities.storage.database import Database, sqlite_url

MARKER = "bettercities-workspace.json"
DB_FILE = "bettercities.sqlite"


@dataclass
class Workspace:
    """A bettercities workspace folder and its database."""

    path: Path
    database_url: str | None = None
    _database: Database | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return self.database_url or sqlite_url(self.path / DB_FILE)

    @property
    def uploads(self) -> Path:
        return self.path / "uploads"

    @property
    def exports(self) -> Path:
        return self.path / "exports"

    def exists(self) -> bool:
        return (self.path / MARKER).is_file()

    @classmethod
    def init(cls, path: Path, *, database_url: str | None = None) -> Workspace:
        """Create (or upgrade) the workspace at ``path``; idempotent."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise BettercitiesError(f"{path} exists and is not a folder")
        path.mkdir(parents=True, exist_ok=True)
        ws = cls(path=path, database_url=database_url)
        ws.uploads.mkdir(exist_ok=True)
        ws.exports.mkdir(exist_ok=True)
        ws.database.migrate()
        marker = path / MARKER
        if not marker.exists():
            marker.write_text(json.dumps({"format": 1}, indent=2) + "\n", encoding="utf-8")
        return ws

    @classmethod
    def open(cls, path: Path, *, database_url: str | None = None, create: bool = False) -> Workspace:
        """Open an existing workspace (or create it when ``create``)."""
        path = Path(path)
        ws = cls(path=path, database_url=database_url)
        if not ws.exists():
            if create:
                return cls.init(path, database_url=database_url)
            hint = f"create it with `bettercities init --workspace {path}`"
            raise BettercitiesError(f"{path} is not a bettercities workspace; {hint}")
        ws.database.migrate()
        return ws

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.url)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None
