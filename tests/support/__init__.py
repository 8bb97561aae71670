"""Shared test infrastructure: a private PostgreSQL server, Debian's Chromium, loopback servers.

Modules are imported one by one (``from tests.support.postgres import PostgresServer``) so that a test
needing only a free port does not pay for psycopg or Playwright.
"""
