"""A generated demo city: areas, indicator catalogue and observations as plain typed data.

>>> from bettercities.demo import generate_demo_city
>>> demo = generate_demo_city(seed=2026)  # doctest: +SKIP

The generator (numpy, pandas, shapely) is imported on first use, so importing the records is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bettercities.demo.schemas import (
    DEMO_INDICATORS,
    DemoArea,
    DemoCity,
    DemoCityInfo,
    DemoIndicator,
    DemoLevel,
)

if TYPE_CHECKING:
    from bettercities.demo.generator import generate_demo_city

__all__ = [
    "DEMO_INDICATORS",
    "DemoArea",
    "DemoCity",
    "DemoCityInfo",
    "DemoIndicator",
    "DemoLevel",
    "generate_demo_city",
]


def __getattr__(name: str) -> Any:
    if name == "generate_demo_city":
        from bettercities.demo.generator import generate_demo_city

        return generate_demo_city
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
