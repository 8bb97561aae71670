"""Calls for participation: the use cases every face calls."""

from __future__ import annotations
