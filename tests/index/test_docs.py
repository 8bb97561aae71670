"""The configuration format is documented, and the docstring examples run."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

from bettercities.analysis.index.schemas import (
    ClassBand,
    ClassSpec,
    CompositeConfig,
    IndexPart,
    IndicatorWeight,
    MssConfig,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "index.md"


@pytest.mark.parametrize(
    "model", [MssConfig, CompositeConfig, IndexPart, ClassBand, ClassSpec, IndicatorWeight]
)
def test_every_configuration_key_is_documented(model: type) -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)`", DOCS.read_text("utf-8"), flags=re.MULTILINE))
    assert set(model.model_fields) <= documented


@pytest.mark.parametrize(
    "module",
    [
        "bettercities.analysis.index.kernels",
        "bettercities.analysis.index.methods.mss",
        "bettercities.analysis.index.methods.composite",
        "bettercities.analysis.spatial.statistics",
    ],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
