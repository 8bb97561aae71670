"""Cheap password hashing for the whole test suite (like Django's fast test hashers).

The production hasher is argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes): 0.1-0.2 s
per hash or check on the CI machine, and the suite adds and signs in users thousands of times, much of it in
module- and session-scoped fixtures that function-scoped monkeypatching does not reach. ``tests/conftest.py``
installs :data:`CHEAP` for the whole session with :func:`install`; the tests of the production parameters use
:data:`PRODUCTION_HASHER`, saved before the swap.
"""

from __future__ import annotations

from argon2 import PasswordHasher

from bettercities.access import passwords

#: argon2id still, with the cheapest parameters (the stored strings keep the ``$argon2id$`` format).
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
#: the hasher the application uses (``bettercities.access.passwords.hasher``), before :func:`install`.
PRODUCTION_HASHER = passwords.hasher


def _cheap() -> PasswordHasher:
    return CHEAP


def install() -> None:
    """Hash with :data:`CHEAP` everywhere in this test process."""
    passwords.hasher = _cheap  # type: ignore[assignment]
