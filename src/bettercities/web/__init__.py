"""The web face of bettercities: JSON API and server-rendered pages (see :func:`create_app`)."""

from bettercities.web.app import create_app

__all__ = ["create_app"]
