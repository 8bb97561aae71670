"""Settings: declared once, read from the environment (prefix ``BETTERCITIES_``) in one place.

Every setting is documented in ``docs/settings.md``; a test checks that the two agree.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings of a bettercities process."""

    model_config = SettingsConfigDict(env_prefix="BETTERCITIES_", extra="ignore")

    workspace: Path = Field(
        default=Path(".workspace/default"),
        description="Workspace folder; holds the embedded SQLite database and bulk files.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database. Empty: the SQLite file in the workspace. "
            "PostgreSQL: postgresql+psycopg://user:password@host:port/dbname"
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address the web app listens on.")
    port: int = Field(default=8000, description="Port the web app listens on.")
    default_language: str = Field(default="de", description="UI language when none is chosen (de or en).")
    page_size: int = Field(default=50, description="Default page size of paginated JSON list endpoints.")
    max_page_size: int = Field(default=1000, description="Largest page size a client may ask for.")
    upload_limit_mb: int = Field(default=200, description="Largest file accepted by the web upload, in MiB.")
    debug: bool = Field(default=False, description="Show tracebacks on error pages (never in production).")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment once."""
    return Settings()
