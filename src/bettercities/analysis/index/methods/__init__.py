"""Registered index methods; importing this package registers the built-in ones."""

from bettercities.analysis.index.methods import composite, mss
from bettercities.analysis.index.methods.base import (
    IndexMethod,
    MethodScores,
    get_method,
    method_names,
    register_method,
)

__all__ = ["IndexMethod", "MethodScores", "composite", "get_method", "method_names", "mss", "register_method"]
