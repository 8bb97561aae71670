"""Indicator definitions shipped with bettercities and read from users' YAML files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Report
from bettercities.indicators.schemas import IndicatorSpec


def preset_names() -> list[str]:
    """Names of the shipped indicator presets (``berlin-mss`` …)."""
    folder = resources.files("bettercities.indicators") / "data"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_definitions(source: str | Path) -> list[IndicatorSpec]:
    """Read indicator definitions from a preset name or a YAML file with an ``indicators:`` list.

    Every invalid entry is reported (file, entry number, field); nothing is returned then.
    """
    path = Path(source)
    if path.suffix not in {".yaml", ".yml"} or not path.exists():
        if str(source) not in preset_names():
            raise NotFound("indicator preset or file", source)
        text = (resources.files("bettercities.indicators") / "data" / f"{source}.yaml").read_text("utf-8")
        name = f"preset {source}"
    else:
        text = path.read_text("utf-8")
        name = str(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"{name}: not valid YAML: {error}") from None
    entries = document.get("indicators") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput(f"{name}: expected a mapping with an 'indicators' list")
    report = Report(source=name)
    specs: list[IndicatorSpec] = []
    for number, entry in enumerate(entries, start=1):
        try:
            specs.append(IndicatorSpec.model_validate(entry))
        except ValidationError as error:
            report.extend(
                Report.from_validation_error(error, code="invalid-definition", file=name, row=number).problems
            )
    if not report.ok:
        raise InvalidInput(f"{name}: {len(report.errors)} invalid indicator definitions", report)
    return specs
