"""Password hashing (argon2id) and the password and user-name rules."""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bettercities.core.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1024  # hashing very long inputs is wasted work an attacker could ask for
USERNAME = re.compile(r"[a-z0-9._-]{3,64}")


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """The argon2id hasher with argon2-cffi's recommended parameters (RFC 9106 low-memory profile)."""
    return PasswordHasher()


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a malformed hash, never an exception)."""
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current hasher's."""
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


_dummies: dict[tuple[int, int, int], str] = {}


def dummy_hash() -> str:
    """A hash (with the current parameters) to verify against when the user name is unknown, so that
    both cases take the same time."""
    h = hasher()
    key = (h.time_cost, h.memory_cost, h.parallelism)
    if key not in _dummies:
        _dummies[key] = h.hash("not the password of anyone: bettercities dummy")
    return _dummies[key]


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    """The user name in its stored form (lower case); :class:`InvalidInput` naming the rule it breaks."""
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise InvalidInput(
            f"invalid user name '{username}': use 3 to 64 characters, letters a-z, digits, '.', '_' or '-'"
        )
    return name


def check_password(password: str, *, username: str) -> None:
    """Refuse (:class:`InvalidInput`) a password that is too short, too long or the user name itself."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password too long: use at most {MAX_LENGTH} characters")
    if not password.strip():
        raise InvalidInput("password must not be only spaces")
    if password.strip().lower() == normalise_username(username):
        raise InvalidInput("password must not be the user name")
