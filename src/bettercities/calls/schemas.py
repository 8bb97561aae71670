"""What the calls domain takes and returns."""

from __future__ import annotations
