"""The offline Wikidata snapshot: Wikidata's own IRIs and direct properties, in one graph.

Built from the Wikidata SPARQL results that ``../shared/datasets/wikidata-companies/``
holds (CC0, saved in March 2024 by haochenzmax/Predicting_MnA-main at a1f92c3) and
from the facts ``../shared/sources/FACTS.md`` confirms, and optionally refreshed from
a live SPARQL endpoint. It is written as ``wd:``/``wdt:`` triples so that a query
written for Wikidata's query service runs on it unchanged (the ``wikibase:label``
service is not emulated: labels are plain ``rdfs:label``/``schema:name`` triples).

What the source queries did and did not keep decides what is stated:

* ``entities/Q<country>.csv``: the English label (``rdfs:label``, ``schema:name``,
  ``@en``), the country (``wdt:P17``: the file's country) and inception
  (``wdt:P571``, ``xsd:dateTime`` as WDQS writes it). The source selected businesses
  by ``wdt:P31/wdt:P279* wd:Q4830453`` without keeping the direct class, so no
  ``wdt:P31`` is invented.
* ``ownership_edges/Q<country>.csv``: an "owned by" (P127) *or* "parent organization"
  (P749) statement, without saying which, with more than half of the shares or an
  unknown share, and no end. Each is written as ``wdt:P127`` (a parent organization
  owns its subsidiary, so P127 is the claim both imply) plus a statement node
  (``p:P127``/``ps:P127``, ``pq:P580`` for the start date when known,
  ``prov:wasDerivedFrom`` its source), as WDQS models statements.
* ``france-businesses-detailed.csv``: official name (P1448), headquarters (P159),
  industry (P452), part of (P361), employees (P1128), net profit (P2295), total assets
  (P2403), equity (P2137), market capitalisation (P2226).

The committed subset (``data/wikidata.nt.gz``) is the businesses of the chosen
countries (France by default), the items dealgraph links to, every ownership edge
that touches them (from any country's file) and the other end of each such edge.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from ..vocab import ID, PROV, SCHEMA, WD, WDT, WIKIDATA_GRAPH

Triple = tuple[Node, Node, Node]
Progress = Callable[[str], None]

P = "http://www.wikidata.org/prop/"
PS = "http://www.wikidata.org/prop/statement/"
PQ = "http://www.wikidata.org/prop/qualifier/"
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")

#: The dataset the CSV files come from, as a source node (also in ``data/wikidata.nt.gz``).
DUMP_SOURCE = URIRef(ID["source/wikidata-companies-2024-03"])
#: The source FACTS.md cites for the confirmed Wikidata facts (described in later-sources.ttl).
FACTS_SOURCE = URIRef(ID["source/wikidata-french-businesses"])

#: Columns of ``france-businesses-detailed.csv`` and the direct property each holds.
DETAILED_COLUMNS = {
    "officialname": "P1448",
    "hqs": "P159",
    "industries": "P452",
    "groups": "P361",
    "employees": "P1128",
    "profit": "P2295",
    "assets": "P2403",
    "equity": "P2137",
    "markcap": "P2226",
}


def _time(text: str) -> Literal:
    """A Wikidata time as WDQS writes it ("1988-01-01T00:00:00Z"), not rdflib's normal form."""
    return Literal(text, datatype=XSD.dateTime, normalize=False)


@dataclass(frozen=True)
class ConfirmedFact:
    """A Wikidata statement FACTS.md confirms ("label seen beside the identifier")."""

    item: str
    property: str
    value: str | Literal
    note: str


#: FACTS.md's confirmed Wikidata facts; each becomes a statement citing FACTS_SOURCE.
CONFIRMED_FACTS = (
    ConfirmedFact("Q3446822", "P127", "Q3117359", "the dump records Rue du Commerce owned by Carrefour Group"),
    ConfirmedFact("Q1431486", "P571", _time("1988-01-01T00:00:00Z"), "row Orange"),
    ConfirmedFact("Q3884", "P571", _time("1994-07-05T00:00:00Z"), "row Amazon"),
    ConfirmedFact("Q3884", "P1448", Literal("AMAZON.COM, INC.", lang="en"), "row Amazon, official name"),
    ConfirmedFact("Q3446822", "P571", _time("1999-04-27T00:00:00Z"), "row Rue du Commerce"),
    ConfirmedFact("Q3446822", "P17", "Q142", "row Rue du Commerce, country"),
    ConfirmedFact("Q1431486", "P17", "Q142", "row Orange, country"),
)
#: Labels FACTS.md confirms for items the dump has no row for.
CONFIRMED_LABELS = {"Q142": "France", "Q484847": "e-commerce"}


def wd(qid: str) -> URIRef:
    return URIRef(WD[qid])


def wdt(pid: str) -> URIRef:
    return URIRef(WDT[pid])


@dataclass
class Entity:
    """What the dump says about one item."""

    label: str | None = None
    countries: set[str] = field(default_factory=set)
    inceptions: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Edge:
    owned: str
    owner: str
    start: str | None
    file: str


@dataclass
class Snapshot:
    """The snapshot's triples and what building it took."""

    triples: set[Triple]
    items: int
    edges: int
    seconds: float = 0.0
    live: str | None = None

    def write(self, path: Path) -> int:
        """Write sorted N-Triples (gzipped when *path* ends in .gz, reproducibly); returns bytes written."""
        lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in self.triples)
        data = "".join(lines).encode("utf-8")
        if path.suffix == ".gz":
            buffer = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as stream:
                stream.write(data)
            data = buffer.getvalue()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return len(data)


_DATE_TIME = re.compile(r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")


def _date_time(value: str | None) -> str | None:
    """A Wikidata time as WDQS writes it, or ``None`` for an empty or unknown value (a genid IRI)."""
    value = (value or "").strip()
    return value if _DATE_TIME.match(value) else None


def _qid(value: str) -> str | None:
    value = value.strip().rsplit("/", 1)[-1]
    return value if value.startswith("Q") and value[1:].isdigit() else None


def read_entities(folder: Path, progress: Progress) -> dict[str, Entity]:
    """Every item of ``entities/*.csv``: label, countries, inception dates."""
    entities: dict[str, Entity] = {}
    files = sorted((folder / "entities").glob("Q*.csv"))
    for number, path in enumerate(files, start=1):
        country = path.stem
        with path.open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                qid = _qid(row["id"])
                if qid is None:
                    continue
                entity = entities.setdefault(qid, Entity())
                name = row["name"].strip()
                if name and name != qid:
                    entity.label = entity.label or name
                entity.countries.add(country)
                if inception := _date_time(row.get("start_date")):
                    entity.inceptions.add(inception)
        if number % 20 == 0 or number == len(files):
            progress(f"wikidata snapshot: read {number}/{len(files)} entity files ({len(entities)} items)")
    return entities


def read_edges(folder: Path) -> list[Edge]:
    """Every ownership edge of ``ownership_edges/*.csv`` (P127 or P749, no end)."""
    edges = []
    for path in sorted((folder / "ownership_edges").glob("Q*.csv")):
        with path.open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                owned, owner = _qid(row["owned_id"]), _qid(row["owner_id"])
                if owned and owner and owned != owner:
                    edges.append(Edge(owned, owner, _date_time(row.get("date")), path.name))
    return edges


def read_detailed(folder: Path, items: set[str]) -> dict[str, set[tuple[str, Node]]]:
    """The extra columns of ``france-businesses-detailed.csv`` for *items*, as (property, value)."""
    found: dict[str, set[tuple[str, Node]]] = {}
    path = folder / "france-businesses-detailed.csv"
    if not path.exists():
        return found
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            qid = _qid(row.get("business.value", ""))
            if qid not in items:
                continue
            for column, pid in DETAILED_COLUMNS.items():
                text = row.get(f"{column}.value", "").strip()
                if not text:
                    continue
                if column == "officialname":
                    value: Node = Literal(text, lang=row.get("officialname.xml:lang") or None)
                    found.setdefault(qid, set()).add((pid, value))
                elif row.get(f"{column}.datatype"):
                    found.setdefault(qid, set()).add((pid, Literal(text, datatype=XSD.decimal)))
                else:
                    for part in text.split(","):
                        target = _qid(part)
                        if target:
                            found.setdefault(qid, set()).add((pid, wd(target)))
    return found


def _statement(item: str, pid: str, value: Node, sources: Iterable[URIRef], start: str | None = None) -> list[Triple]:
    """A WDQS-style statement node for one claim, with its qualifiers and where it comes from."""
    if isinstance(value, URIRef):
        local = value.rsplit("/", 1)[-1]
    else:
        local = hashlib.sha1(value.n3().encode()).hexdigest()[:10]
    node = URIRef(ID[f"wikidata-statement/{item}-{pid}-{local}"])
    out = [(wd(item), URIRef(P + pid), node), (node, URIRef(PS + pid), value)]
    if start:
        out.append((node, URIRef(PQ + "P580"), _time(start)))
    out += [(node, PROV.wasDerivedFrom, source) for source in sources]
    return out


def provenance(live: str | None = None, retrieved: date | None = None) -> list[Triple]:
    """What the snapshot graph is and where it comes from (read by the service description)."""
    graph = WIKIDATA_GRAPH
    out: list[Triple] = [
        (graph, RDF.type, SCHEMA.Dataset),
        (graph, RDFS.label, Literal("Offline Wikidata snapshot", lang="en")),
        (graph, DCTERMS.license, CC0),
        (graph, PROV.wasDerivedFrom, DUMP_SOURCE),
        (graph, PROV.wasDerivedFrom, FACTS_SOURCE),
        (DUMP_SOURCE, RDF.type, SCHEMA.Dataset),
        (DUMP_SOURCE, RDFS.label, Literal("Wikidata companies: SPARQL results saved in March 2024", lang="en")),
        (DUMP_SOURCE, SCHEMA.name, Literal("Wikidata companies (SPARQL results, March 2024)", lang="en")),
        (DUMP_SOURCE, SCHEMA.url, URIRef("https://github.com/haochenzmax/Predicting_MnA-main/tree/a1f92c3")),
        (DUMP_SOURCE, SCHEMA.datePublished, Literal("2024-03", datatype=XSD.gYearMonth)),
        (DUMP_SOURCE, DCTERMS.license, CC0),
        (DUMP_SOURCE, SCHEMA.publisher, URIRef(ID["org/wikidata"])),
        (URIRef(ID["org/wikidata"]), RDFS.label, Literal("Wikidata")),
    ]
    if live:
        endpoint = URIRef(live)
        out += [
            (graph, PROV.wasDerivedFrom, endpoint),
            (endpoint, RDF.type, SCHEMA.Dataset),
            (endpoint, SCHEMA.name, Literal(f"Live SPARQL endpoint {live}", lang="en")),
            (endpoint, SCHEMA.url, endpoint),
        ]
        if retrieved:
            out.append((endpoint, SCHEMA.dateModified, Literal(retrieved.isoformat(), datatype=XSD.date)))
    return out


def select_items(
    entities: dict[str, Entity], edges: list[Edge], countries: Iterable[str], linked: Iterable[str]
) -> tuple[set[str], list[Edge]]:
    """The items of *countries* and *linked*, the edges touching them, and those edges' other ends.

    From each linked item the chain of owners is followed to its end, so an ownership
    chain that leaves dealgraph can be followed as far as Wikidata knows it.
    """
    wanted = set(countries)
    core = {qid for qid, e in entities.items() if e.countries & wanted} | set(linked)
    owners: dict[str, set[str]] = {}
    for edge in edges:
        owners.setdefault(edge.owned, set()).add(edge.owner)
    chain, todo = set(), list(linked)
    while todo:
        qid = todo.pop()
        for owner in owners.get(qid, ()):
            if owner not in chain:
                chain.add(owner)
                todo.append(owner)
    core |= chain
    kept = sorted({e for e in edges if e.owned in core or e.owner in core}, key=lambda e: (e.owned, e.owner, e.file))
    items = core | {e.owned for e in kept} | {e.owner for e in kept}
    return items, kept


def from_files(
    folder: Path,
    countries: Iterable[str] = ("Q142",),
    linked: Iterable[str] = (),
    progress: Progress = lambda message: None,
) -> Snapshot:
    """The snapshot built from the ``wikidata-companies`` folder and FACTS.md's confirmed facts."""
    started = time.perf_counter()
    linked = sorted(set(linked))
    entities = read_entities(folder, progress)
    edges = read_edges(folder)
    progress(f"wikidata snapshot: {len(edges)} ownership edges in the dump")
    items, kept = select_items(entities, edges, countries, linked)
    progress(f"wikidata snapshot: {len(items)} items and {len(kept)} ownership edges selected")
    triples: set[Triple] = set(provenance())
    for qid in sorted(items):
        entity = entities.get(qid)
        if entity is None:
            continue
        if entity.label:
            triples.add((wd(qid), RDFS.label, Literal(entity.label, lang="en")))
            triples.add((wd(qid), SCHEMA.name, Literal(entity.label, lang="en")))
        for country in entity.countries:
            triples.add((wd(qid), wdt("P17"), wd(country)))
        for inception in entity.inceptions:
            triples.add((wd(qid), wdt("P571"), _time(inception)))
    for qid, claims in read_detailed(folder, items).items():
        for pid, value in claims:
            triples.add((wd(qid), wdt(pid), value))
    for edge in kept:
        triples.add((wd(edge.owned), wdt("P127"), wd(edge.owner)))
        triples.update(_statement(edge.owned, "P127", wd(edge.owner), [DUMP_SOURCE], edge.start))
    for fact in CONFIRMED_FACTS:
        value = fact.value if isinstance(fact.value, Literal) else wd(fact.value)
        triples.add((wd(fact.item), wdt(fact.property), value))
        triples.update(_statement(fact.item, fact.property, value, [DUMP_SOURCE, FACTS_SOURCE]))
    for qid, label in CONFIRMED_LABELS.items():
        triples.add((wd(qid), RDFS.label, Literal(label, lang="en")))
        triples.add((wd(qid), SCHEMA.name, Literal(label, lang="en")))
    snapshot = Snapshot(triples, items=len(items), edges=len(kept))
    snapshot.seconds = time.perf_counter() - started
    return snapshot


# ---------------------------------------------------------------- a live endpoint

#: Direct properties fetched from a live endpoint, besides labels.
LIVE_PROPERTIES = ("P31", "P17", "P127", "P749", "P355", "P571", "P576", "P159", "P452", "P1448", "P856")

_LIVE_ITEMS = """
CONSTRUCT {{ ?item ?p ?o }} WHERE {{
  VALUES ?item {{ {items} }}
  VALUES ?p {{ rdfs:label schema:name <https://schema.org/name> {properties} }}
  ?item ?p ?o .
  FILTER(!isLiteral(?o) || LANG(?o) IN ("", "en", "fr"))
}}
"""
_LIVE_NEIGHBOURS = """
CONSTRUCT {{ ?item ?link ?other . ?other rdfs:label ?label }} WHERE {{
  VALUES ?item {{ {items} }}
  VALUES ?link {{ wdt:P127 wdt:P749 wdt:P355 }}
  {{ ?item ?link ?other }} UNION {{ ?other ?link ?item }}
  OPTIONAL {{ ?other rdfs:label ?label FILTER(LANG(?label) IN ("en", "fr")) }}
}}
"""
_LIVE_PREFIXES = (
    "PREFIX wd: <http://www.wikidata.org/entity/>\nPREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nPREFIX schema: <http://schema.org/>\n"
)


class EndpointError(RuntimeError):
    """The live endpoint could not be reached or did not answer a CONSTRUCT."""


def construct(endpoint: str, query: str, timeout: float = 60.0) -> set[Triple]:
    """The triples a CONSTRUCT query returns from *endpoint* (N-Triples over the SPARQL Protocol)."""
    import pyoxigraph as ox

    from ..store import to_rdflib

    body = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(
        endpoint,
        data=body,
        headers={
            "Accept": "application/n-triples",
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "dealgraph-wikidata-snapshot/0.1 (https://w3id.org/dealgraph/)",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read()
    except (urllib.error.URLError, OSError) as error:
        raise EndpointError(f"{endpoint} did not answer: {error}") from None
    try:
        return {
            (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
            for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        }
    except SyntaxError as error:
        raise EndpointError(f"{endpoint} answered with something that is not N-Triples: {error}") from None


def _schema_org_https(triples: set[Triple]) -> set[Triple]:
    """WDQS writes schema.org as http://schema.org/; dealgraph uses https://schema.org/ (CONTRACT.md)."""
    fixed = set()
    for s, p, o in triples:
        if str(p).startswith("http://schema.org/"):
            p = URIRef(SCHEMA[str(p)[len("http://schema.org/") :]])
        fixed.add((s, p, o))
    return fixed


def from_endpoint(endpoint: str, linked: Iterable[str], progress: Progress = lambda message: None) -> set[Triple]:
    """The linked items and their ownership neighbourhood, fetched by CONSTRUCT from *endpoint*."""
    values = " ".join(f"wd:{q}" for q in sorted(set(linked)))
    properties = " ".join(f"wdt:{p}" for p in LIVE_PROPERTIES)
    found: set[Triple] = set()
    for what, template in (("linked items", _LIVE_ITEMS), ("their ownership neighbourhood", _LIVE_NEIGHBOURS)):
        progress(f"wikidata snapshot: CONSTRUCT {what} from {endpoint}")
        query = _LIVE_PREFIXES + template.format(items=values, properties=properties)
        found |= construct(endpoint, query)
    found = _schema_org_https(found)
    return {t for t in found if not (isinstance(t[2], Literal) and t[1] == RDFS.label and not t[2].language)}


def refresh(snapshot: Snapshot, endpoint: str, linked: Iterable[str], progress: Progress = lambda m: None) -> Snapshot:
    """*snapshot* plus what *endpoint* says about the linked items, with the endpoint as a source."""
    live = from_endpoint(endpoint, linked, progress)
    progress(f"wikidata snapshot: {len(live)} triples from {endpoint}")
    triples = snapshot.triples | live | set(provenance(endpoint, date.today()))
    return Snapshot(triples, snapshot.items, snapshot.edges, snapshot.seconds, live=endpoint)


def summary(snapshot: Snapshot) -> dict:
    """Counts for the command's report."""
    return {
        "triples": len(snapshot.triples),
        "items": snapshot.items,
        "ownership_edges": snapshot.edges,
        "seconds": round(snapshot.seconds, 2),
        "live_endpoint": snapshot.live,
    }

