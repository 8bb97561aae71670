"""The catalogue as RDF in DCAT-AP 3.0.1 / DCAT-AP.de 3.0 (rdflib, imported lazily).

One function builds the graph (:func:`catalog_graph`); :func:`serialize` writes it in a registered format
(Turtle, JSON-LD, RDF/XML, N-Triples). Values of controlled vocabularies are described in the graph
with ``skos:inScheme`` (as DCAT-AP.de's vocabulary shapes expect the code lists in the data graph).
:func:`validate` checks a graph with pyshacl against shape files (the tests use the official ones).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bettercities.catalog.schemas import DCATDE_LICENCES, EU_AUTHORITY, DatasetFilter, DatasetOut
from bettercities.core import exports
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.publication import Audience

if TYPE_CHECKING:
    from rdflib import Graph
    from sqlalchemy.orm import Session

#: Base of the IRIs when no public address is given (the web app uses the address it is served at).
DEFAULT_BASE_URL = "http://localhost:8000"

DCATDE = "http://dcat-ap.de/def/dcatde/"
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"
GEODCATAP = "http://data.europa.eu/930/"
ELI = "http://data.europa.eu/eli/ontology#"
DCATAP = "http://data.europa.eu/r5r/"  # DCAT-AP 3 namespace (the DE shapes use r5r# only in max-count checks)
PUBLISHER_TYPE = "http://purl.org/adms/publishertype"
LICENCE_TYPE = "http://purl.org/adms/licencetype"
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
#: Licence of the catalogue's metadata (DCAT-AP.de licence key).
METADATA_LICENCE = "dl-zero-de/2.0"

#: Registered formats: name -> (rdflib format, media type).
FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
    "nt": ("nt", "application/n-triples"),
}

#: EU file types of common media types (``authority/file-type``).
FILE_TYPES = {"CSV", "JSON", "XLSX", "GEOJSON", "HTML", "RDF_TURTLE", "JSON_LD", "PDF"}


@dataclass(frozen=True)
class Publisher:
    """The catalogue's own publisher and home: the city."""

    slug: str
    name: str
    ags: str | None
    base_url: str
    lon: float | None = None
    lat: float | None = None
    bbox: tuple[float, float, float, float] | None = None


def _rdflib() -> Any:
    try:
        import rdflib
    except ImportError as error:  # pragma: no cover - a declared dependency
        raise ImportError("the RDF export needs rdflib: pip install rdflib") from error
    return rdflib


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "agent"


def catalog_iri(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/catalog/{slug}"


def dataset_iri(base_url: str, slug: str, code: str) -> str:
    return f"{catalog_iri(base_url, slug)}/{code}"


def catalog_graph(city: Publisher, datasets: Sequence[DatasetOut], *, whole_catalog: bool = True) -> Graph:
    """DCAT-AP(.de) graph of ``datasets`` of ``city``, with a ``dcat:Catalog`` when ``whole_catalog``."""
    rdflib = _rdflib()
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

    lit, uri = rdflib.Literal, rdflib.URIRef
    VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
    dcatap, geo, eli = rdflib.Namespace(DCATAP), rdflib.Namespace(GEODCATAP), rdflib.Namespace(ELI)
    g = rdflib.Graph()
    for prefix, ns in {
        "dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "vcard": VCARD, "skos": SKOS, "dcatap": dcatap,
        "dcatde": rdflib.Namespace(DCATDE), "geodcatap": geo, "eli": eli,
    }.items():  # fmt: skip
        g.bind(prefix, ns)
    base = city.base_url.rstrip("/")
    home = catalog_iri(base, city.slug)

    def concept(value: str, scheme: str, cls: Any, label: str | None = None) -> Any:
        node = uri(value)
        g.add((node, RDF.type, SKOS.Concept))
        g.add((node, RDF.type, cls))
        g.add((node, SKOS.inScheme, uri(scheme)))
        g.add((node, SKOS.prefLabel, lit(label or value.rsplit("/", 1)[-1], lang="en")))
        return node

    def agent(name: str, iri: str | None, kind: str | None = "LocalAuthority") -> Any:
        node = uri(iri or f"{home}/agents/{_slug(name)}")
        g.add((node, RDF.type, FOAF.Agent))
        g.add((node, RDF.type, FOAF.Organization))
        g.add((node, FOAF.name, lit(name)))
        if kind:
            g.add(
                (
                    node,
                    DCTERMS.type,
                    concept(f"{PUBLISHER_TYPE}/{kind}", f"{PUBLISHER_TYPE}/1.0", SKOS.Concept),
                )
            )
        return node

    def document(iri: str) -> Any:
        node = uri(iri)
        g.add((node, RDF.type, FOAF.Document))
        return node

    def spatial() -> Any | None:
        if not city.ags:
            return None
        node = uri(f"{GEOCODING}municipalityKey/{city.ags}")
        g.add((node, RDF.type, DCTERMS.Location))
        g.add((node, SKOS.prefLabel, lit(city.name, lang="de")))
        if city.lon is not None and city.lat is not None:
            g.add((node, DCAT.centroid, lit(f"POINT({city.lon} {city.lat})", datatype=WKT)))
        if city.bbox is not None:
            x0, y0, x1, y1 = city.bbox
            polygon = f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"
            g.add((node, DCAT.bbox, lit(polygon, datatype=WKT)))
        return node

    def licence(key: str) -> Any:
        node = concept(f"{DCATDE_LICENCES}{key}", DCATDE_LICENCES.rstrip("/"), DCTERMS.LicenseDocument, key)
        kind = "PublicDomain" if "zero" in key else "Attribution" if "by" in key else "RestrictedAccess"
        g.add((node, DCTERMS.type, concept(f"{LICENCE_TYPE}/{kind}", LICENCE_TYPE, SKOS.Concept)))
        return node

    def language(code: str) -> Any:
        return concept(f"{EU_AUTHORITY}language/{code}", f"{EU_AUTHORITY}language", DCTERMS.LinguisticSystem)

    level = concept(f"{GEOCODING}Level/municipality", f"{GEOCODING}Level", SKOS.Concept, "municipality")
    place = spatial()
    city_agent = agent(city.name, None)

    if whole_catalog:
        cat = uri(home)
        g.add((cat, RDF.type, DCAT.Catalog))
        g.add((cat, DCTERMS.title, lit(f"Datenkatalog {city.name}", lang="de")))
        g.add((cat, DCTERMS.title, lit(f"Data catalogue of {city.name}", lang="en")))
        text_de = f"Kleinräumige Sozialdaten von {city.name}: Datensätze, Verantwortliche, Aktualisierung."
        g.add((cat, DCTERMS.description, lit(text_de, lang="de")))
        g.add((cat, DCTERMS.description, lit(
            f"Small-area social data of {city.name}: datasets, responsibilities, updates.", lang="en"
        )))  # fmt: skip
        g.add((cat, DCTERMS.publisher, city_agent))
        g.add((cat, FOAF.homepage, document(f"{base}/cities/{city.slug}/catalog")))
        g.add((cat, DCTERMS.license, licence(METADATA_LICENCE)))
        g.add((cat, DCAT.themeTaxonomy, uri(f"{EU_AUTHORITY}data-theme")))
        g.add((uri(f"{EU_AUTHORITY}data-theme"), RDF.type, SKOS.ConceptScheme))
        g.add((uri(f"{EU_AUTHORITY}data-theme"), DCTERMS.title, lit("Data theme", lang="en")))
        for code in ("DEU", "ENG"):
            g.add((cat, DCTERMS.language, language(code)))
        if place is not None:
            g.add((cat, DCTERMS.spatial, place))
        if datasets:
            issued = min(d.created_at.date() for d in datasets)
            g.add((cat, DCTERMS.issued, lit(issued, datatype=XSD.date)))
            g.add(
                (cat, DCTERMS.modified, lit(max(d.modified_at.date() for d in datasets), datatype=XSD.date))
            )

    for d in datasets:
        ds = uri(dataset_iri(base, city.slug, d.code))
        if whole_catalog:
            g.add((uri(home), DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, lit(str(ds))))
        g.add((ds, DCTERMS.title, lit(d.title_de, lang="de")))
        g.add((ds, DCTERMS.title, lit(d.title_en, lang="en")))
        if d.description_de:
            g.add((ds, DCTERMS.description, lit(d.description_de, lang="de")))
        if d.description_en:
            g.add((ds, DCTERMS.description, lit(d.description_en, lang="en")))
        for word in d.keywords:
            g.add((ds, DCAT.keyword, lit(word, lang="de")))
        g.add((ds, DCTERMS.publisher, agent(d.publisher, d.publisher_uri)))
        if d.contact_name or d.contact_email:
            contact = uri(f"{dataset_iri(base, city.slug, d.code)}#contact")
            g.add((ds, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, RDF.type, VCARD.Kind))
            g.add((contact, VCARD.fn, lit(d.contact_name or d.publisher)))
            if d.contact_email:
                g.add((contact, VCARD.hasEmail, uri(f"mailto:{d.contact_email}")))
        theme = concept(
            f"{EU_AUTHORITY}data-theme/{d.theme.value}", f"{EU_AUTHORITY}data-theme", SKOS.Concept
        )
        g.add((ds, DCAT.theme, theme))
        if place is not None:
            g.add((ds, DCTERMS.spatial, place))
            g.add((ds, rdflib.URIRef(f"{DCATDE}politicalGeocodingLevelURI"), level))
        if d.temporal_start or d.temporal_end:
            period = uri(f"{dataset_iri(base, city.slug, d.code)}#temporal")
            g.add((ds, DCTERMS.temporal, period))
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            if d.temporal_start:
                g.add((period, DCAT.startDate, lit(d.temporal_start, datatype=XSD.date)))
            if d.temporal_end:
                g.add((period, DCAT.endDate, lit(d.temporal_end, datatype=XSD.date)))
        g.add((ds, DCTERMS.accrualPeriodicity, concept(
            f"{EU_AUTHORITY}frequency/{d.frequency.value}", f"{EU_AUTHORITY}frequency", DCTERMS.Frequency
        )))  # fmt: skip
        g.add((ds, DCTERMS.accessRights, concept(
            f"{EU_AUTHORITY}access-right/{d.access_rights.value}", f"{EU_AUTHORITY}access-right",
            DCTERMS.RightsStatement,
        )))  # fmt: skip
        for code in ("DEU", "ENG"):
            g.add((ds, DCTERMS.language, language(code)))
        if d.legal_basis:
            law = uri(f"{dataset_iri(base, city.slug, d.code)}#legal-basis")
            g.add((ds, dcatap.applicableLegislation, law))
            g.add((law, RDF.type, eli.LegalResource))
            g.add((law, RDFS.label, lit(d.legal_basis, lang="de")))
        if d.originator:
            g.add((ds, geo.originator, agent(d.originator, None)))
        if d.owner_unit:
            g.add((ds, geo.custodian, agent(d.owner_unit, None)))
        if d.method_notes:
            note = uri(f"{dataset_iri(base, city.slug, d.code)}#method")
            g.add((ds, DCTERMS.provenance, note))
            g.add((note, RDF.type, DCTERMS.ProvenanceStatement))
            g.add((note, RDFS.label, lit(d.method_notes, lang="de")))
        if d.last_updated:
            g.add((ds, DCTERMS.modified, lit(d.last_updated, datatype=XSD.date)))
        g.add((ds, DCTERMS.issued, lit(d.created_at.date(), datatype=XSD.date)))
        g.add((ds, DCAT.landingPage, document(f"{base}/cities/{city.slug}/catalog/{d.code}")))
        terms = licence(d.licence.value)
        stable = concept(f"{EU_AUTHORITY}planned-availability/STABLE", f"{EU_AUTHORITY}planned-availability",
                         SKOS.Concept)  # fmt: skip
        for number, dist in enumerate(d.distributions, start=1):
            node = uri(f"{dataset_iri(base, city.slug, d.code)}#distribution-{number}")
            g.add((ds, DCAT.distribution, node))
            g.add((node, RDF.type, DCAT.Distribution))
            g.add((node, DCTERMS.title, lit(dist.title, lang="en")))
            g.add((node, DCTERMS.description, lit(f"{dist.title}: {d.title_en}", lang="en")))
            g.add((node, dcatap.availability, stable))
            url = dist.access_url if "://" in dist.access_url else f"{base}{dist.access_url}"
            g.add((node, DCAT.accessURL, uri(url)))
            g.add((node, DCTERMS.license, terms))
            fmt = dist.format.upper()
            if fmt in FILE_TYPES:
                g.add((node, DCTERMS.format, concept(
                    f"{EU_AUTHORITY}file-type/{fmt}", f"{EU_AUTHORITY}file-type", DCTERMS.MediaTypeOrExtent
                )))  # fmt: skip
            if dist.media_type:
                media = uri(f"https://www.iana.org/assignments/media-types/{dist.media_type}")
                g.add((media, RDF.type, DCTERMS.MediaType))
                g.add((node, DCAT.mediaType, media))
    return g


def serialize(graph: Graph, fmt: str) -> str:
    """``graph`` in format ``fmt`` (a key of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown RDF format {fmt!r}; choose one of {', '.join(FORMATS)}")
    text: str = graph.serialize(format=FORMATS[fmt][0])
    return text


@dataclass(frozen=True)
class ShaclResult:
    """Outcome of a SHACL check: conformance and the messages by severity."""

    conforms: bool
    violations: list[str]
    warnings: list[str]
    text: str


def validate(
    data: Graph, shapes: Sequence[Path], *, ontologies: Sequence[Path] = (), extra_data: Sequence[Path] = ()
) -> ShaclResult:
    """Check ``data`` with pyshacl against the union of ``shapes`` (warnings allowed, reported).

    ``ontologies`` (e.g. FOAF, vCard, ORG) give the subclass relations; ``extra_data`` files (code lists)
    are added to a copy of the data graph.
    """
    rdflib = _rdflib()
    try:
        from pyshacl import validate as shacl_validate
    except ImportError as error:
        raise ImportError("validating the catalogue needs pyshacl: pip install pyshacl") from error
    from rdflib.namespace import SH

    shape_graph, ont_graph, graph = rdflib.Graph(), rdflib.Graph(), rdflib.Graph()
    for path in shapes:
        shape_graph.parse(path)
    for path in ontologies:
        ont_graph.parse(path)
    for triple in data:
        graph.add(triple)
    for path in extra_data:
        graph.parse(path)
    conforms, results, text = shacl_validate(
        graph, shacl_graph=shape_graph, ont_graph=ont_graph if ontologies else None, allow_warnings=True
    )
    found: dict[str, list[str]] = {"Violation": [], "Warning": [], "Info": []}
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        message = "; ".join(str(m) for m in results.objects(result, SH.resultMessage))
        focus, path = results.value(result, SH.focusNode), results.value(result, SH.resultPath)
        found.setdefault(severity, []).append(f"{focus} {path}: {message}")
    return ShaclResult(
        conforms=bool(conforms),
        violations=sorted(found["Violation"]),
        warnings=sorted(found["Warning"] + found["Info"]),
        text=str(text),
    )


def export(
    session: Session,
    slug: str,
    *,
    fmt: str = "ttl",
    base_url: str = DEFAULT_BASE_URL,
    code: str | None = None,
    audience: Audience = Audience.PUBLIC,
) -> str:
    """The catalogue of city ``slug`` (or its dataset ``code``) as RDF text in ``fmt``.

    The public sees published datasets with public access rights only (:class:`NotFound` for another
    single dataset); the data team sees every dataset.
    """
    from sqlalchemy import func, select

    from bettercities.areas import service as areas
    from bettercities.areas.models import Area
    from bettercities.catalog.service import list_datasets

    city = areas.get_city(session, slug)
    filters = DatasetFilter(public_only=audience == Audience.PUBLIC)
    datasets = list_datasets(session, city, filters)
    if code is not None:
        datasets = [d for d in datasets if d.code == code]
        if not datasets:
            raise NotFound("dataset", f"{slug}/{code}")
    box = session.execute(
        select(
            func.min(Area.min_lon), func.min(Area.min_lat), func.max(Area.max_lon), func.max(Area.max_lat)
        ).where(Area.city_id == city.id)
    ).one()
    publisher = Publisher(
        slug=city.slug,
        name=city.name,
        ags=city.ags,
        base_url=base_url,
        lon=city.lon,
        lat=city.lat,
        bbox=tuple(box) if None not in tuple(box) else None,  # type: ignore[arg-type]
    )
    return serialize(catalog_graph(publisher, datasets, whole_catalog=code is None), fmt)


def export_catalog(session: Session, request: exports.ExportRequest) -> exports.ExportResult:
    """The export format ``catalog/<fmt>``: the text, written to ``request.out`` when given."""
    if request.city is None:
        problem = Problem(code="missing-option", message="an export of the catalogue needs a city (--city)")
        raise InvalidInput("no city to export", Report(problems=[problem]))
    fmt = str(request.format)
    text = export(
        session, request.city, fmt=fmt, base_url=request.base_url or DEFAULT_BASE_URL, code=request.dataset,
        audience=Audience(request.audience),
    )  # fmt: skip
    if request.out is None:
        return exports.ExportResult(what="catalog", format=fmt, text=text)
    request.out.write_text(text, encoding="utf-8")
    return exports.ExportResult(what="catalog", format=fmt, path=str(request.out))


for _format in FORMATS:
    exports.EXPORTS.add(exports.key("catalog", _format), export_catalog)
