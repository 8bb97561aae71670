"""Index configurations: shipped presets and users' YAML files, validated by the method's model."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bettercities.analysis.index.methods import get_method, method_names
from bettercities.analysis.index.schemas import IndexConfigBase
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report

_PRESETS = "bettercities.analysis.index"


def preset_names() -> list[str]:
    """Names of the shipped index presets (``berlin-mss-2019``, ``berlin-mss-2021`` …)."""
    folder = resources.files(_PRESETS) / "presets"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_config(source: str | Path) -> IndexConfigBase:
    """Read an index configuration from a YAML file path or a preset name.

    Raises :class:`NotFound` for an unknown preset and :class:`InvalidInput` with a report naming
    every invalid field otherwise.
    """
    path = Path(source)
    if path.is_file():
        text, name = path.read_text("utf-8"), str(path)
    elif str(source) in preset_names():
        text = (resources.files(_PRESETS) / "presets" / f"{source}.yaml").read_text("utf-8")
        name = f"preset {source}"
    else:
        raise NotFound("index configuration file or preset", source)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"{name}: not valid YAML: {error}") from None
    return parse_config(document, name=name)


def parse_config(document: Any, *, name: str = "configuration") -> IndexConfigBase:
    """Validate a configuration mapping with the model of the method it names."""
    if not isinstance(document, dict):
        raise InvalidInput(f"{name}: expected a mapping")
    method_name = document.get("method")
    try:
        method = get_method(str(method_name))
    except NotFound:
        report = Report(source=name)
        report.add(
            Problem(
                code="unknown-method",
                message=f"unknown index method; registered: {', '.join(method_names())}",
                file=name,
                column="method",
                value=None if method_name is None else str(method_name),
            )
        )
        raise InvalidInput(f"{name}: unknown index method {method_name!r}", report) from None
    try:
        return method.config_model.model_validate(document)
    except ValidationError as error:
        report = Report.from_validation_error(error, code="invalid-configuration", file=name, source=name)
        raise InvalidInput(f"{name}: {len(report.errors)} invalid configuration entries", report) from None
