"""SDMX exchange: export current observations as SDMX-ML 2.1 or SDMX-CSV 2.0, import SDMX through ``sdmx1``.

An export writes two files: the data (``out``) and its structure beside it
(``<stem>.structure.xml``: codelists of levels, areas, indicators and periods, a concept scheme, the
data structure definition ``DSD_OBSERVATIONS`` and the dataflow ``DF_<CITY>``). The key of an
observation is ``LEVEL.REF_AREA.INDICATOR.PERIOD``; the value is ``OBS_VALUE``; numerator,
denominator, the three flags and the revision are observation-level attributes. SDMX-ML data are a
structure-specific message; SDMX-CSV is version 2.0 (``STRUCTURE,STRUCTURE_ID,ACTION,…``).

Both pass the publication step (the rows of :func:`bettercities.indicators.export.observation_rows`).
Import reads a message with ``sdmx.read_sdmx`` (with the structure file when the data need it),
turns it into the long table of the ordinary importer and imports that, so every check of any other
import applies; problems point at the long table's rows (row 2 is the first observation).
``sdmx1`` is imported lazily.
"""

from __future__ import annotations

import csv
import math
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.indicators.export import ExportFilter, observation_rows, writer
from bettercities.indicators.models import Indicator
from bettercities.ingest.schemas import ImportResult
from bettercities.storage.database import Database

AGENCY = "BETTERCITIES"
VERSION = "1.0"
DSD_ID = "DSD_OBSERVATIONS"
DIMENSIONS = ("LEVEL", "REF_AREA", "INDICATOR", "PERIOD")
#: observation attributes: SDMX id -> column of the long table
ATTRIBUTES = {
    "NUMERATOR": "numerator",
    "DENOMINATOR": "denominator",
    "PROVISIONAL": "provisional",
    "ESTIMATED": "estimated",
    "SUPPRESSED": "suppressed",
    "REVISION": "revision",
}
_COLUMN_OF_DIMENSION = {
    "LEVEL": "level",
    "REF_AREA": "area_code",
    "INDICATOR": "indicator",
    "PERIOD": "period",
}


def structure_path(data: Path | str) -> Path:
    """Where the structure of a data file is written (and looked for on import)."""
    data = Path(data)
    return data.with_name(f"{data.stem}.structure.xml")


def dataflow_id(city: str) -> str:
    return "DF_" + "".join(ch if ch.isalnum() else "_" for ch in city.upper())


# -- structure ---------------------------------------------------------------------------------------------


def _maintainable(cls: Any, id: str, **kwargs: Any) -> Any:
    from sdmx.model import common

    return cls(
        id=id,
        maintainer=common.Agency(id=AGENCY),
        version=VERSION,
        is_final=True,
        is_external_reference=False,
        **kwargs,
    )


def _codelist(id: str, name: str, codes: Iterable[tuple[str, dict[str, str]]]) -> Any:
    from sdmx.model import common

    codelist = _maintainable(common.Codelist, id, name={"en": name})
    for code, names in codes:
        codelist.append(common.Code(id=code, name=names))
    return codelist


def build_structure(session: Session, spec: ExportFilter, rows: list[dict[str, Any]]) -> Any:
    """The structure message (codelists, concepts, DSD, dataflow) of exported ``rows``."""
    from sdmx import message
    from sdmx.model import common
    from sdmx.model import v21 as model

    city = areas.get_city(session, spec.city)
    used = {column: sorted({str(r[column]) for r in rows}) for column in _COLUMN_OF_DIMENSION.values()}
    area_names = {r["area_code"]: r["area_name"] or r["area_code"] for r in rows}
    indicator_names = {
        i.code: {"de": i.name_de, "en": i.name_en}
        for i in session.scalars(select(Indicator).where(Indicator.code.in_(used["indicator"])))
    }
    codelists = {
        "LEVEL": _codelist("CL_LEVEL", "Spatial levels", ((c, {"en": c}) for c in used["level"])),
        "REF_AREA": _codelist(
            "CL_AREA", f"Areas of {city.name}", ((c, {"en": area_names[c]}) for c in used["area_code"])
        ),
        "INDICATOR": _codelist(
            "CL_INDICATOR", "Indicators", ((c, indicator_names.get(c, {"en": c})) for c in used["indicator"])
        ),
        "PERIOD": _codelist("CL_PERIOD", "Periods", ((c, {"en": c}) for c in used["period"])),
    }
    concepts = _maintainable(common.ConceptScheme, "CS_OBSERVATIONS", name={"en": "bettercities concepts"})

    def concept(id: str) -> Any:
        item = common.Concept(id=id, name={"en": id.replace("_", " ").lower()})
        concepts.append(item)
        return item

    dsd = _maintainable(model.DataStructureDefinition, DSD_ID, name={"en": "Small-area observations"})
    for order, dimension in enumerate(DIMENSIONS, start=1):
        dsd.dimensions.append(
            common.Dimension(
                id=dimension,
                order=order,
                concept_identity=concept(dimension),
                local_representation=common.Representation(enumerated=codelists[dimension]),
            )
        )
    dsd.measures.append(model.PrimaryMeasure(id="OBS_VALUE", concept_identity=concept("OBS_VALUE")))
    for attribute in ATTRIBUTES:
        dsd.attributes.append(
            common.DataAttribute(
                id=attribute,
                concept_identity=concept(attribute),
                related_to=model.PrimaryMeasureRelationship(),
                usage_status=common.UsageStatus.conditional,
            )
        )
    flow = _maintainable(
        model.DataflowDefinition,
        dataflow_id(spec.city),
        name={"en": f"Observations of {city.name} (bettercities)"},
        structure=dsd,
    )
    structure = message.StructureMessage()
    for item in (*codelists.values(), concepts, dsd, flow):
        structure.add(item)
    return structure


def _attribute_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def build_data(structure: Any, rows: list[dict[str, Any]]) -> Any:
    """A structure-specific data set of ``rows`` (described by the structure's dataflow)."""
    from sdmx import message
    from sdmx.model import common
    from sdmx.model import v21 as model

    flow = next(iter(structure.dataflow.values()))
    dsd = flow.structure
    data = model.StructureSpecificDataSet(described_by=flow, structured_by=dsd)
    measure = dsd.measures[0]
    attributes = {a: dsd.attributes.get(a) for a in ATTRIBUTES}
    observations = []
    for row in rows:
        key = dsd.make_key(common.Key, {d: str(row[c]) for d, c in _COLUMN_OF_DIMENSION.items()})
        attached = {}
        for attribute, column in ATTRIBUTES.items():
            text = _attribute_text(row[column])
            if text is not None:
                attached[attribute] = common.AttributeValue(value=text, value_for=attributes[attribute])
        observations.append(
            model.Observation(
                dimension=key, value=row["value"], attached_attribute=attached, value_for=measure
            )
        )
    data.add_obs(observations)
    return message.DataMessage(data=[data], dataflow=flow)


def _export(session: Session, spec: ExportFilter, path: Path, *, csv_format: bool) -> int:
    import sdmx

    rows = observation_rows(session, spec)
    structure = build_structure(session, spec, rows)
    structure_path(path).write_bytes(sdmx.to_xml(structure, pretty_print=True))
    data = build_data(structure, rows)
    if csv_format:
        sdmx.to_csv(data.data[0], path=path, attributes="o")
    else:
        path.write_bytes(sdmx.to_xml(data, pretty_print=True))
    return len(rows)


@writer("sdmx-ml", what="exchange")
@writer("sdmx-ml")
def write_sdmx_ml(session: Session, spec: ExportFilter, path: Path) -> int:
    """SDMX-ML 2.1 structure-specific data in ``path``, the structure in ``<stem>.structure.xml``."""
    return _export(session, spec, path, csv_format=False)


@writer("sdmx-csv", what="exchange")
@writer("sdmx-csv")
def write_sdmx_csv(session: Session, spec: ExportFilter, path: Path) -> int:
    """SDMX-CSV 2.0 data in ``path``, the structure (SDMX-ML) in ``<stem>.structure.xml``."""
    return _export(session, spec, path, csv_format=True)


# -- import ------------------------------------------------------------------------------------------------


def read_message(path: Path | str, *, structure: Path | str | None = None) -> Any:
    """The data message of an SDMX-ML or SDMX-CSV file, read by ``sdmx1`` (with its structure, if any)."""
    import sdmx

    path = Path(path)
    structure = Path(structure) if structure else structure_path(path)
    kwargs: dict[str, Any] = {}
    if structure.exists():
        message: Any = sdmx.read_sdmx(structure)
        flows = list(message.dataflow.values())
        if path.suffix.lower() == ".csv" and flows:
            kwargs["structure"] = flows[0]
        elif message.structure:
            kwargs["structure"] = next(iter(message.structure.values()))
    try:
        return sdmx.read_sdmx(path, **kwargs)
    except Exception as error:  # sdmx1 raises many kinds; each means "not a readable message"
        problem = Problem(code="unreadable-file", message=f"not an SDMX message: {error}", file=path.name)
        raise InvalidInput(f"{path.name}: not readable as SDMX", Report(problems=[problem])) from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def message_rows(
    message: Any,
    *,
    area_dimension: str = "REF_AREA",
    indicator_dimension: str = "INDICATOR",
    period_dimension: str | None = None,
    level: str | None = None,
) -> list[dict[str, str]]:
    """The observations of a data message as long-table rows of text (only ``level``'s, if it has levels)."""
    rows = []
    for data_set in message.data:
        for observation in data_set.obs:
            key = {k: str(v.value) for k, v in observation.key.values.items()}
            if level is not None and "LEVEL" in key and key["LEVEL"] != level:
                continue
            period = period_dimension or ("PERIOD" if "PERIOD" in key else "TIME_PERIOD")
            attached = {k: _text(v.value) for k, v in observation.attached_attribute.items()}
            row = {
                "area": key.get(area_dimension, ""),
                "indicator": key.get(indicator_dimension, ""),
                "period": key.get(period, ""),
                "value": _text(observation.value),
            }
            row |= {column: attached.get(a, "") for a, column in ATTRIBUTES.items() if column != "revision"}
            rows.append(row)
    return rows


def import_sdmx(
    db: Database,
    city: str,
    path: Path | str,
    *,
    level: str,
    structure: Path | str | None = None,
    area_dimension: str = "REF_AREA",
    indicator_dimension: str = "INDICATOR",
    period_dimension: str | None = None,
    **options: Any,
) -> ImportResult:
    """Import an SDMX-ML or SDMX-CSV data file through the ordinary long-layout importer."""
    from bettercities.ingest.schemas import Layout, ObservationImportOptions
    from bettercities.ingest.service import import_observations

    path = Path(path)
    message = read_message(path, structure=structure)
    rows = message_rows(
        message,
        area_dimension=area_dimension,
        indicator_dimension=indicator_dimension,
        period_dimension=period_dimension,
        level=level,
    )
    columns = ["area", "indicator", "period", "value", *(c for c in ATTRIBUTES.values() if c != "revision")]
    with tempfile.TemporaryDirectory(prefix="bettercities-sdmx-") as folder:
        table = Path(folder) / "observations.csv"
        with table.open("w", encoding="utf-8", newline="") as handle:
            out = csv.DictWriter(handle, fieldnames=columns)
            out.writeheader()
            out.writerows(rows)
        return import_observations(
            db,
            city,
            table,
            ObservationImportOptions(level=level, layout=Layout.LONG, id_column="area"),
            file_name=options.pop("file_name", path.name),
            **options,
        )


__all__ = [
    "build_data",
    "build_structure",
    "import_sdmx",
    "message_rows",
    "read_message",
    "structure_path",
    "write_sdmx_csv",
    "write_sdmx_ml",
]
