"""The domain manifest: one line per domain, read by the web app, the CLI and the table registry.

Every domain has one name, used in every face (like NetBox's installed apps)::

    src/bettercities/<package>/        models.py  schemas.py  service.py  queries.py
    src/bettercities/cli/<name>.py     register(root) adds its commands
    src/bettercities/web/api/<name>.py     router (JSON API), where ``api``
    src/bettercities/web/pages/<name>.py   router (HTML pages and their .json twins), where ``pages``
    src/bettercities/web/templates/<name>/   tests/<name>/   docs/<name>.md

Adding a domain is its package, one line in :data:`DOMAINS` and, when it has tables, a migration in
``<package>/migrations/`` (see ``docs/architecture.md``). This module imports nothing of the project: the
faces and :mod:`bettercities.storage.models` import what it names, so the manifest never pulls a domain into
a layer below it.

Routers are included in the order of :data:`DOMAINS`, the API router of a domain before its pages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Domain:
    """One domain: its name in every face, the package holding its logic and which faces it has."""

    name: str
    #: dotted package under ``bettercities`` (default: ``name``)
    package: str = ""
    #: the package has a ``models.py`` with tables
    models: bool = True
    #: ``web/api/<name>.py`` with a ``router``
    api: bool = False
    #: ``web/pages/<name>.py`` with a ``router``
    pages: bool = False
    #: ``cli/<name>.py`` with ``register(root)``
    cli: bool = True
    #: why an anatomy part is missing (the anatomy test asks for a reason)
    note: str = ""
    #: module of the package (relative name) that registers the domain's withholding rules with
    #: :mod:`bettercities.publication.rules`; the publication step imports it on first use
    publication_rules: str = ""
    #: module of the package (relative name) that registers locks on observation writes with
    #: :mod:`bettercities.indicators.writes`; the write check imports it on first use
    write_rules: str = ""
    #: module of the package (relative name) that registers hooks with :mod:`bettercities.storage.hooks`
    #: (what a session records, what a restore carries over); storage imports it on first use
    storage_hooks: str = ""
    #: modules of the package (relative names) that register export formats with
    #: :mod:`bettercities.core.exports`; the registry imports them on first use
    exports: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return f"bettercities.{self.package or self.name}"

    @property
    def models_module(self) -> str | None:
        return f"{self.module}.models" if self.models else None

    @property
    def cli_module(self) -> str | None:
        return f"bettercities.cli.{self.name}" if self.cli else None

    @property
    def publication_rules_module(self) -> str | None:
        return f"{self.module}.{self.publication_rules}" if self.publication_rules else None

    @property
    def write_rules_module(self) -> str | None:
        return f"{self.module}.{self.write_rules}" if self.write_rules else None

    @property
    def storage_hooks_module(self) -> str | None:
        return f"{self.module}.{self.storage_hooks}" if self.storage_hooks else None

    @property
    def export_modules(self) -> tuple[str, ...]:
        return tuple(f"{self.module}.{name}" for name in self.exports)

    @property
    def router_modules(self) -> tuple[str, ...]:
        faces = (("api", self.api), ("pages", self.pages))
        return tuple(f"bettercities.web.{face}.{self.name}" for face, present in faces if present)


DOMAINS: tuple[Domain, ...] = (
    Domain("areas", api=True, pages=True),
    Domain("indicators", api=True, pages=True, exports=("export",)),
    Domain(
        "ingest",
        models=False,
        pages=True,
        note="stores into indicators' tables; its provenance (ImportBatch) is indicators.models",
    ),
    Domain(
        "spatial",
        package="analysis.spatial",
        models=False,
        api=True,
        pages=True,
        note="computed on the fly from published values; stores nothing",
    ),
    Domain("priority", package="analysis.priority", api=True, pages=True),
    Domain("index", package="analysis.index", api=True, pages=True, exports=("exports",)),
    Domain(
        "catalog",
        api=True,
        pages=True,
        publication_rules="approval",
        write_rules="approval",
        exports=("dcat",),
    ),
    Domain(
        "quality",
        api=True,
        pages=True,
        note="the service is split by concern: rules.py, outliers.py (the queue), diff.py (revisions)",
    ),
    Domain("audit", api=True, pages=True, storage_hooks="hooks"),
    Domain("privacy", api=True, pages=True, publication_rules="service"),
    Domain(
        "microdata",
        models=False,
        note="stores nothing: microdata never enter the database; the indicators it computes are imported"
        " through ingest, whose ImportBatch (indicators.models) records the provenance",
    ),
    Domain(
        "access",
        api=True,
        pages=True,
        storage_hooks="hooks",
        note="the service is split by concern: users.py, roles.py, sessions.py, tokens.py",
    ),
    Domain(
        "networks",
        api=True,
        pages=True,
        publication_rules="service",
        note="history.py: memberships in valid and recorded time; importing.py: the memberships import;"
        " analytics.py: participation rates",
    ),
    Domain("goals", api=True, pages=True),
    Domain(
        "exchange",
        models=False,
        exports=("excel", "frictionless", "sdmx"),
        note="no tables, schemas or service module: each format is one module (excel, frictionless, sdmx,"
        " urban_audit) that reads through ingest and writes through the export registry",
    ),
    Domain("plans", api=True, pages=True),
    Domain("consultations", api=True, pages=True),
    Domain(
        "impact",
        api=True,
        pages=True,
        note="register_schemas.py holds the register's inputs and results (schemas.py: the designs' typed"
        " results); evaluation.py builds a run's panel and stores the run; designs/ one module per design",
    ),
    Domain(
        "registry",
        api=True,
        pages=True,
        note="merge.py builds one city per real city from the source files; benchmark.py compares cities;"
        " build.py writes the shipped data/ files",
    ),
    Domain(
        "peers",
        models=False,
        api=True,
        pages=True,
        note="stores nothing: profiles are read from the registry's tables and the index is rebuilt per data"
        " version in memory (profiles.py); matching.py is the numeric core, constraints.py and themes.py the"
        " small tables of languages, programmes and theme words",
    ),
    Domain(
        "calls",
        api=True,
        pages=True,
        note="migration 0141 also creates the accounts domain's contact tables (access/contacts.py);"
        " queries.py holds who sees which applications and scores",
    ),
    Domain(
        "tandems",
        api=True,
        pages=True,
        note="a tandem is a network row of kind tandem (networks); its tables come with migration 0141b",
    ),
    Domain(
        "surveys",
        api=True,
        pages=True,
        note="xlsform.py reads XLSForm with pyxform, expressions.py evaluates its expression subset,"
        " answers.py checks a response, results.py the results with small groups withheld, gaps.py the gap"
        " analysis, practice.py writes the shipped practice survey",
    ),
    Domain(
        "hub",
        api=True,
        pages=True,
        note="search.py: the full-text index per backend (FTS5 on SQLite, tsvector on PostgreSQL), kept by"
        " triggers of migration 0143, which also creates the guide's tables",
    ),
    Domain(
        "guide",
        pages=True,
        note="a document layer above the domains (pyproject's layers: below demo, above reports): it compiles"
        " hub entries, survey results and the platform's figures into HTML and a tagged PDF; chapters.py"
        " holds the four questions, charts.py the guide's figures; its tables come with the hub's 0143",
    ),
    Domain(
        "impact_logic",
        api=True,
        pages=True,
        note="measures.py: the fixed table of automatic measures, computed as of a day through the count"
        " functions of calls, tandems and surveys and the networks' memberships",
    ),
)

#: Commands that are not a domain: the workspace, serving, the demo, backups and exports.
COMMANDS: tuple[str, ...] = (
    "bettercities.cli.workspace",
    "bettercities.cli.serve",
    "bettercities.cli.demo",
    "bettercities.cli.backup",
    "bettercities.cli.export",
)


def get(name: str) -> Domain:
    """The domain called ``name``."""
    for domain in DOMAINS:
        if domain.name == name:
            return domain
    raise KeyError(f"no domain {name!r} in the manifest")


def cli_modules() -> tuple[str, ...]:
    """Modules whose ``register(root)`` adds commands to ``bettercities``, domains first."""
    return tuple(d.cli_module for d in DOMAINS if d.cli_module) + COMMANDS


def router_modules() -> tuple[str, ...]:
    """Modules with a ``router``, in the order the web app matches them."""
    return tuple(module for d in DOMAINS for module in d.router_modules)


def models_modules() -> tuple[str, ...]:
    """Modules that define tables, so that ``Base.metadata`` is complete."""
    return tuple(d.models_module for d in DOMAINS if d.models_module)


def publication_rules_modules() -> tuple[str, ...]:
    """Modules that register withholding rules with the publication step."""
    return tuple(d.publication_rules_module for d in DOMAINS if d.publication_rules_module)


def write_rules_modules() -> tuple[str, ...]:
    """Modules that register locks on observation writes (the catalogue's approval)."""
    return tuple(d.write_rules_module for d in DOMAINS if d.write_rules_module)


def export_modules() -> tuple[str, ...]:
    """Modules that register export formats (observations, index runs, the catalogue, exchange formats)."""
    return tuple(module for d in DOMAINS for module in d.export_modules)


def storage_hooks_modules() -> tuple[str, ...]:
    """Modules that register hooks with storage (session recording, restore carry-over)."""
    return tuple(d.storage_hooks_module for d in DOMAINS if d.storage_hooks_module)


class Extensions:
    """Imports, once, the modules a manifest listing names (``Extensions(publication_rules_modules)``), so
    that they register themselves with a lower layer's registry: withholding rules, write locks, storage
    hooks, export formats. The registry calls it before each lookup; nothing depends on what happened to be
    imported before. Thread-safe and re-entrant: a module being imported may itself use the registry."""

    def __init__(self, modules: Callable[[], tuple[str, ...]]) -> None:
        self._modules = modules
        self._lock = threading.RLock()
        self._loaded = False

    def load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                for module in self._modules():
                    import_module(module)
                self._loaded = True
