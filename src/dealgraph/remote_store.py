"""A remote SPARQL 1.1 store behind the same interface as the embedded one.

``dealgraph serve --store-url http://host/query --update-url http://host/update`` runs
dealgraph's endpoint, saved queries, pages and rules on an existing server (Oxigraph
server, Apache Jena Fuseki, Virtuoso, GraphDB, QLever, Amazon Neptune): the data
stays there, and so does the work.

* **Queries** go to the query endpoint (SPARQL 1.1 Protocol, POST). dealgraph's
  default graph is the union of all graphs (CONTRACT.md); servers disagree on what
  theirs is, so every query names the graphs it reads with ``default-graph-uri``
  (the list is read from the server once per version of the store). Bound
  parameters travel as a trailing ``VALUES`` clause of RDF terms, never as text
  pasted into the query.
* **Results** come back as SPARQL JSON results or N-Triples and are parsed by
  Oxigraph, so they serialize to the client exactly as the embedded store's do.
* **Writes** (loading data, reasoning) are SPARQL 1.1 Updates: ``INSERT DATA`` in
  chunks, ``DROP``/``CLEAR``; blank nodes are skolemized (:data:`SKOLEM`) on the way in.
  The domain rules run on the server as ``INSERT … WHERE`` updates
  (:meth:`dealgraph.rules.Rule.updates`); the OWL 2 RL closure is computed here from
  the asserted triples and written back.
* Query workers (:mod:`dealgraph.web.workers`) hold a client, not a replica: a
  deadline still kills the worker, and the server is asked nothing more.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib.term import Node

from .store import GRAPH_FORMATS, Quad, QueryError, QueryResult, _check_outbound, to_oxigraph
from .vocab import sparql_prologue

#: Quads per ``INSERT DATA`` request when loading.
CHUNK = 20_000
#: Blank nodes are written as these IRIs (RDF 1.1 skolemization): a blank node sent in one
#: request cannot be named in the next, so an inferred triple could never reach it.
SKOLEM = "https://w3id.org/dealgraph/.well-known/genid/"


def skolem(term):
    """*term*, or the IRI standing for it if it is a blank node."""
    return ox.NamedNode(SKOLEM + term.value) if isinstance(term, ox.BlankNode) else term


class RemoteStoreError(RuntimeError):
    """The server could not be reached, or refused a request for another reason than the query."""


class SparqlStore:
    """A SPARQL 1.1 query endpoint (and, for writes, an update endpoint) as a dealgraph store."""

    path: Path | None = None

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        allowed_services: tuple[str, ...] = (),
        timeout: float = 300.0,
    ):
        self.query_url, self.update_url, self.timeout = query_url, update_url, timeout
        self.allowed_services = tuple(allowed_services)
        self._version = 0
        self._lock = threading.Lock()
        self._graphs: tuple[int, list[URIRef]] | None = None

    def spec(self) -> dict:
        """What a worker process needs to open the same store."""
        return {"query_url": self.query_url, "update_url": None, "allowed_services": self.allowed_services}

    # ------------------------------------------------------------ protocol

    def _post(self, url: str, form: list[tuple[str, str]], accept: str) -> bytes:
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", errors="replace")[:2000]
            if error.code == 400:
                raise QueryError(detail) from None
            raise RemoteStoreError(f"{url} answered {error.code}: {detail}") from None
        except OSError as error:
            raise RemoteStoreError(f"cannot reach {url}: {error}") from None

    @property
    def version(self) -> int:
        return self._version

    def _changed(self) -> None:
        with self._lock:
            self._version += 1

    # ------------------------------------------------------------ reading

    def graph_names(self) -> list[URIRef]:
        with self._lock:
            if self._graphs is None or self._graphs[0] != self._version:
                raw = self._post(
                    self.query_url,
                    [("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")],
                    "application/sparql-results+json",
                )
                names = [s["g"] for s in ox.parse_query_results(raw, ox.QueryResultsFormat.JSON)]
                self._graphs = (self._version, sorted(URIRef(g.value) for g in names if isinstance(g, ox.NamedNode)))
            return list(self._graphs[1])

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[Node] | None = None,
        named_graphs: list[Node] | None = None,
        bindings: Mapping[str, Node] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query on the server, with the embedded store's meaning of every argument."""
        _check_outbound(sparql, self.allowed_services, base_iri)
        text = sparql_prologue() + (f"BASE <{base_iri}>\n" if base_iri else "") + sparql
        if bindings:
            names = list(bindings)
            row = " ".join(to_oxigraph(bindings[n]).__str__() for n in names)
            text += f"\nVALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"
        graphs = self.graph_names() if default_graphs is None else default_graphs
        form = [("query", text)] + [("default-graph-uri", str(g)) for g in graphs]
        if default_graphs is not None and not default_graphs:
            form.append(("default-graph-uri", "urn:x-dealgraph:empty"))
        form += [("named-graph-uri", str(g)) for g in (self.graph_names() if named_graphs is None else named_graphs)]
        if named_graphs is not None and not named_graphs:
            form.append(("named-graph-uri", "urn:x-dealgraph:empty"))
        accept = "application/sparql-results+json, application/n-triples;q=0.9"
        raw = self._post(self.query_url, form, accept)
        if raw.lstrip().startswith(b"{"):
            return QueryResult(ox.parse_query_results(raw, ox.QueryResultsFormat.JSON))
        return QueryResult(list(ox.parse(raw, format=ox.RdfFormat.N_TRIPLES)))

    def _count(self, where: str, graphs: list[Node] | None) -> int:
        result = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}", default_graphs=graphs)
        return int(next(result.rows())["n"])

    def __len__(self) -> int:
        """Quads in the named graphs (dealgraph puts nothing in a server's own default graph)."""
        return self._count("GRAPH ?g { ?s ?p ?o }", [])

    def is_empty(self) -> bool:
        return not self.query("ASK { GRAPH ?g { ?s ?p ?o } }", default_graphs=[]).boolean

    def graph_counts(self) -> dict[str, int]:
        result = self.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", default_graphs=[])
        return dict(sorted((str(row["g"]), int(row["n"])) for row in result.rows()))

    def contains(self, s: Node, p: Node, o: Node, graph: Node | None = None) -> bool:
        pattern = f"{to_oxigraph(s)} {to_oxigraph(p)} {to_oxigraph(o)}"
        if graph is not None:
            pattern = f"GRAPH {to_oxigraph(graph)} {{ {pattern} }}"
        return self.query(f"ASK {{ {pattern} }}", default_graphs=None if graph is None else []).boolean

    def graphs_stating(self, resource: Node) -> tuple[str, ...]:
        """The named graphs with a triple about *resource* (none for a blank node: the server names its own)."""
        if isinstance(resource, BNode):
            return ()
        query = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {to_oxigraph(resource)} ?p ?o }} }}"
        return tuple(sorted(str(row["g"]) for row in self.query(query, default_graphs=[]).rows()))

    def contains_graph(self, graph: Node) -> bool:
        return URIRef(str(graph)) in self.graph_names()

    def quads(self, graph: Node | None = None) -> Iterator[Quad]:
        where = "GRAPH ?g { ?s ?p ?o }" if graph is None else f"GRAPH {to_oxigraph(graph)} {{ ?s ?p ?o }}"
        for row in self.query(f"SELECT * WHERE {{ {where} }}", default_graphs=[]).rows():
            yield row["s"], row["p"], row["o"], row.get("g", graph)

    def triples(self, graph: Node | None) -> set[tuple[Node, Node, Node]]:
        return {(s, p, o) for s, p, o, _ in self.quads(graph)}

    def dump(self, output: IO[bytes], format: str = "nquads", graph: Node | None = None) -> None:
        """Write the dataset (or one graph) to a binary stream, serialized here by Oxigraph."""
        quads = [
            ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), to_oxigraph(g)) for s, p, o, g in self.quads(graph)
        ]
        if graph is not None or format not in ("nquads", "trig"):
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
            output.write(ox.serialize(triples, format=GRAPH_FORMATS[format]))
        else:
            output.write(ox.serialize(quads, format=GRAPH_FORMATS[format]))

    # ------------------------------------------------------------ writing

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update on the server."""
        if self.update_url is None:
            raise RemoteStoreError("this store has no update endpoint (--update-url): it is read-only")
        _check_outbound(sparql, self.allowed_services, base_iri)
        text = (f"BASE <{base_iri}>\n" if base_iri else "") + sparql
        if not text.lstrip().upper().startswith("PREFIX"):
            text = sparql_prologue() + text
        self._post(self.update_url, [("update", text)], "*/*")
        self._changed()

    def _insert(self, quads: Iterable[ox.Quad]) -> None:
        by_graph: dict[str, list[str]] = defaultdict(list)
        pending = 0

        def send() -> None:
            blocks = [f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items()]
            self.update("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
            by_graph.clear()

        for quad in quads:
            by_graph[str(quad.graph_name)].append(f"{skolem(quad.subject)} {quad.predicate} {skolem(quad.object)} .")
            pending += 1
            if pending >= CHUNK:
                send()
                pending = 0
        if by_graph:
            send()

    def add_quads(self, quads: Iterable[Quad]) -> None:
        self._insert(
            ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), to_oxigraph(g)) for s, p, o, g in quads if g
        )

    def add_raw_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Quads of pyoxigraph terms, in named graphs (what reasoning writes)."""
        self._insert(quads)

    def load(self, data: bytes | IO[bytes], format: str, graph: Node | None = None) -> None:
        """Parse serialized RDF here and send it with ``INSERT DATA`` (a named graph for triples)."""
        target = None if graph is None else to_oxigraph(graph)
        parsed = ox.parse(data, format=GRAPH_FORMATS[format])
        self._insert(
            ox.Quad(q.subject, q.predicate, q.object, target or q.graph_name)
            if isinstance(q, ox.Quad)
            else ox.Quad(q.subject, q.predicate, q.object, target)
            for q in parsed
        )

    def replace_graph(self, graph: Node, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        self.update(f"DROP SILENT GRAPH {to_oxigraph(graph)}")
        self.add_quads((s, p, o, graph) for s, p, o in triples)

    def remove_graphs(self, graphs: Iterable[Node]) -> None:
        for graph in graphs:
            self.update(f"DROP SILENT GRAPH {to_oxigraph(graph)}")

    def clear(self) -> None:
        self.update("CLEAR ALL")

    def flush(self) -> None:
        """Every update was acknowledged by the server: nothing to do here."""

    def copy(self, without: Iterable[Node] = ()):
        """An in-memory copy (an embedded store) of everything but the graphs *without*."""
        from .store import OxigraphStore

        skip = {str(g) for g in without}
        copy = OxigraphStore()
        copy.add_quads(q for q in self.quads() if str(q[3]) not in skip)
        return copy


def parse_store_option(value: str) -> tuple[str, str | None]:
    """``sparql+http://host/path`` (or ``sparql+https``) → the query URL and the update URL.

    The query endpoint is the URL itself; the update endpoint is its sibling ``update``
    when the query endpoint ends in ``/query`` or ``/sparql`` (Oxigraph, Fuseki), else none.
    """
    url = value.removeprefix("sparql+")
    base, _, last = url.rstrip("/").rpartition("/")
    update = f"{base}/update" if last in ("query", "sparql") else None
    return url, update


__all__ = ["RemoteStoreError", "SparqlStore", "parse_store_option"]
