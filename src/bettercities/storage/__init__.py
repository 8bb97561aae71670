"""Storage: the only layer that opens connections, runs migrations and does bulk I/O."""

from bettercities.storage.base import Base
from bettercities.storage.database import Database, open_database
from bettercities.storage.workspace import Workspace

__all__ = ["Base", "Database", "Workspace", "open_database"]
