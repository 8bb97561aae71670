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
    cache_max_age: int = Field(
        default=60,
        ge=0,
        description=(
            "Seconds a shared cache (reverse proxy, CDN) or a browser may reuse a public API response "
            "without asking again (Cache-Control: public, max-age); signed-in responses are never stored."
        ),
    )
    workers: int = Field(default=1, ge=1, description="Server processes of `bettercities serve`.")
    upload_limit_mb: int = Field(default=200, description="Largest file accepted by the web upload, in MiB.")
    body_limit_anonymous_kb: int = Field(
        default=256,
        ge=1,
        description=(
            "Largest request body of an anonymous caller (or a read-only API token), in KiB; signed-in "
            "callers who may write may send upload_limit_mb MiB plus 1 MiB for the form."
        ),
    )
    analysis_budget_anonymous: int = Field(
        default=20_000_000,
        ge=1,
        description=(
            "Most random permutation draws × areas an analysis started by an anonymous caller may cost "
            "(spatial statistics, LISA and Gi* conditions of a posted priority rule); above it: 422."
        ),
    )
    rate_limit_anonymous: str = Field(
        default="60/minute",
        description=(
            "Requests an anonymous client (per address) may make to the expensive routes (spatial, "
            "typology, priority evaluation, uploads), in the limits library's notation (e.g. "
            "'60/minute;600/hour'); empty: no limit."
        ),
    )
    rate_limit_signed_in: str = Field(
        default="600/minute", description="The same for a signed-in user (per user); empty: no limit."
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where the rate limit counts live (limits storage URI); memory: per server process.",
    )
    debug: bool = Field(default=False, description="Show tracebacks on error pages (never in production).")
    secret_key: str | None = Field(
        default=None,
        description=(
            "Server secret that signs CSRF tokens. Empty: generated once and kept in the workspace folder "
            "(file secret_key, mode 0600)."
        ),
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins in a row after which a user name is locked."
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, description="How long a user name stays locked after too many failed sign-ins."
    )
    session_idle_hours: int = Field(
        default=8, ge=1, description="A sign-in session ends after this many hours without a request."
    )
    session_max_days: int = Field(
        default=7, ge=1, description="A sign-in session ends this many days after sign-in, used or not."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment once."""
    return Settings()
