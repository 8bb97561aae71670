"""The engines a spec runs on: a backend connection for Ibis, and how it reads the records.

Engines are registered by name (:data:`ENGINES`); the aggregation itself is written once as Ibis
expressions in :mod:`bettercities.microdata.service` and never asks which engine it runs on.
Heavy libraries (ibis, duckdb, pyspark) are imported when an engine is opened, not at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.core.registry import Registry

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

SUFFIXES = (".parquet", ".csv")


class Engine(Protocol):
    """An open backend: reads record and lookup files as Ibis tables."""

    name: str
    backend: BaseBackend

    def read(self, path: Path, *, text_columns: tuple[str, ...] = ()) -> ir.Table:
        """The records of a Parquet or CSV file; ``text_columns`` of a CSV are read as text, so that keys
        such as ``01100101`` keep their leading zeros."""
        ...

    def close(self) -> None: ...


def unsupported(path: Path) -> InvalidInput:
    problem = Problem(
        code="unsupported-format",
        message=f"microdata are read from {' or '.join(SUFFIXES)} files",
        file=str(path),
        value=path.suffix,
    )
    return InvalidInput(f"{path}: unsupported format", Report(source=str(path), problems=[problem]))


def _csv_header(path: Path) -> list[str]:
    """The column names of a CSV file (its first row; delimiter , ; tab or |, as DuckDB detects them)."""
    import csv

    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        first = handle.readline()
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return next(csv.reader([first], delimiter=delimiter), [])


class DuckDBEngine:
    """DuckDB embedded in this process (the default)."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        import ibis

        # The aggregation never relies on the order of rows (results are keyed by area and sorted here):
        # letting DuckDB drop insertion order spares its operators the bookkeeping.
        config: dict[str, Any] = {"preserve_insertion_order": False}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.backend = ibis.duckdb.connect(**config)

    def read(self, path: Path, *, text_columns: tuple[str, ...] = ()) -> ir.Table:
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return self.backend.read_parquet(str(path))
        if suffix == ".csv":
            present = set(_csv_header(path))  # only the columns there (the caller reports the missing ones)
            types = {c: "VARCHAR" for c in text_columns if c in present}
            return self.backend.read_csv(str(path), types=types or None)
        raise unsupported(path)

    def close(self) -> None:
        self.backend.disconnect()


class SparkEngine:
    """Apache Spark through Ibis's PySpark backend: local mode, a cluster (``spark://…``, ``yarn``, ``k8s://…``)
    or whatever the usual Spark settings (spark-defaults.conf, ``SPARK_*``) say when no master is given.

    The Spark session is shared by the process (``getOrCreate``) and not stopped by :meth:`close`: starting
    a JVM takes seconds, and a process that aggregates several files should pay for it once.
    """

    name = "spark"

    def __init__(self, *, master: str | None = None) -> None:
        import ibis

        try:
            from pyspark.sql import SparkSession
        except ImportError as error:  # the optional extra is missing
            raise InvalidInput(
                "the Spark engine needs pyspark: pip install 'bettercities[spark]' (and Java 17)"
            ) from error
        builder = SparkSession.builder.appName("bettercities-microdata")
        if master is not None:
            builder = builder.master(master)
        if master is None or master.startswith("local"):
            builder = (
                builder.config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "8")
            )
        self.session = builder.getOrCreate()
        self.session.sparkContext.setLogLevel("ERROR")
        self.backend = ibis.pyspark.connect(self.session)

    def read(self, path: Path, *, text_columns: tuple[str, ...] = ()) -> ir.Table:
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return self.backend.read_parquet(str(path))
        if suffix == ".csv":
            from pyspark.sql.types import StringType, StructField, StructType

            inferred = self.session.read.csv(str(path), header=True, inferSchema=True).schema
            schema = StructType(
                [StructField(f.name, StringType()) if f.name in text_columns else f for f in inferred.fields]
            )
            frame = self.session.read.csv(str(path), header=True, schema=schema)
            name = f"bettercities_microdata_{abs(hash((str(path), text_columns)))}"
            frame.createOrReplaceTempView(name)
            return self.backend.table(name)
        raise unsupported(path)

    def close(self) -> None:
        """Nothing to do: the shared session lives as long as the process (see the class docstring)."""


ENGINES: Registry[Callable[..., Engine]] = Registry("microdata engine")
ENGINES.add("duckdb", lambda *, master=None: DuckDBEngine())
ENGINES.add("spark", lambda *, master=None: SparkEngine(master=master))


def open_engine(name: str, *, spark_master: str | None = None) -> Engine:
    """Open the engine registered as ``name`` (``spark_master``: the Spark engine's master URL)."""
    return ENGINES.get(name)(master=spark_master)
