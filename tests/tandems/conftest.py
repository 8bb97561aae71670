"""The tandems tests share the calls tests' cheap hasher."""

from tests.calls.conftest import cheap_hashing

__all__ = ["cheap_hashing"]
