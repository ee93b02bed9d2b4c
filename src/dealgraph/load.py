"""Files → an rdflib Dataset of asserted graphs, all or nothing.

Parsing goes through Oxigraph's parsers: they are fast and report the line and
column of a syntax error for every format. A file that fails to parse stops the
whole load, so a dataset is never half-read.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, URIRef
from rdflib.term import Node

from .store import to_rdflib
from .vocab import ONTOLOGY_GRAPH, graph_iri

#: File extensions and the format each is parsed as.
FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


#: What Oxigraph's messages say around the message itself; we say file:line:column instead.
_POSITION_PREFIX = re.compile(r"^Parser error (at|between) line \d+ column \d+( and line \d+ column \d+)?: ")
_FILE_SUFFIX = re.compile(r" \([^()]*, line \d+\)$")


class LoadError(ValueError):
    """A file that cannot be read as RDF; names the file and, when known, the line."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column = path, line, column
        where = f"{path}:{line}" + (f":{column}" if column else "") if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Source:
    """One RDF file and the graph its triples go to (quad formats keep their own)."""

    path: Path
    graph: URIRef


def _format_of(path: Path) -> tuple[ox.RdfFormat, bool] | None:
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    return (fmt, compressed) if fmt else None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in reversed(path.suffixes):
        if suffix.lower() in FORMATS or suffix.lower() == ".gz":
            name = name[: -len(suffix)]
    return name


def sources(paths: Iterable[Path], ontology_files: Iterable[Path] = ()) -> list[Source]:
    """The RDF files named by *paths* (folders are searched recursively, sorted).

    A file's triples go to the graph named after its stem (``data/jdn.ttl`` →
    ``…/graph/jdn``); *ontology_files* go to ``…/graph/ontology``.
    """
    ontology = {Path(p).resolve() for p in ontology_files}
    found: list[Source] = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _format_of(p))
        elif path.is_file():
            if not _format_of(path):
                raise LoadError(path, f"unknown RDF file extension; use one of {', '.join(FORMATS)} (optionally .gz)")
            files = [path]
        else:
            raise LoadError(path, "no such file or folder")
        for f in files:
            graph = ONTOLOGY_GRAPH if f.resolve() in ontology else graph_iri(_stem(f))
            found.append(Source(f, graph))
    return found


def _parse(source: Source) -> Iterator[ox.Quad]:
    fmt, compressed = _format_of(source.path)
    opener = gzip.open if compressed else open
    try:
        with opener(source.path, "rb") as stream:
            yield from ox.parse(stream, format=fmt, base_iri=source.path.resolve().as_uri())
    except SyntaxError as error:
        message = _POSITION_PREFIX.sub("", error.msg or str(error))
        message = _FILE_SUFFIX.sub("", message)
        raise LoadError(source.path, message, error.lineno, error.offset) from None
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise LoadError(source.path, f"cannot be read: {error}") from None


def load(paths: Iterable[Path], ontology_files: Iterable[Path] = ()) -> Dataset:
    """Read every RDF file under *paths* into a new Dataset, or raise LoadError.

    Nothing is returned unless every file parsed, so callers never see a partial load.
    """
    dataset = Dataset()
    for source in sources(paths, ontology_files):
        target = dataset.graph(source.graph)
        for quad in _parse(source):
            triple = (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))
            if isinstance(quad.graph_name, ox.DefaultGraph):
                target.add(triple)
            else:
                dataset.graph(to_rdflib(quad.graph_name)).add(triple)
    return dataset



def load_nquads(paths: Iterable[Path], ontology_files: Iterable[Path] = ()) -> bytes:
    """Every RDF file under *paths* as one N-Quads document, each triple in its graph, or LoadError.

    The fast path to a store (``OxigraphStore.load``): Oxigraph parses and writes,
    no rdflib term is made. Like :func:`load`, all files parse or nothing is returned.
    """
    quads = []
    for source in sources(paths, ontology_files):
        graph = ox.NamedNode(str(source.graph))
        for quad in _parse(source):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, graph)
            quads.append(quad)
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)

_BASE_DECLARATION = re.compile(r"(?:@base|BASE)\s+<([^>]*)>", re.I)
_PREFIX_DECLARATION = re.compile(r"(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I)


def _text(path: Path) -> str:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as stream:
        return stream.read().decode("utf-8", errors="replace")


def first_mention(resource: Node, found: Iterable[Source]) -> tuple[Path, int] | None:
    """The first file and line (1-based) that write *resource*, to point at bad data.

    A text search, for error messages only: the IRI in full (``<…>`` or, in JSON-LD
    and RDF/XML, quoted), or as a prefixed name under a prefix the file declares.
    """
    if not isinstance(resource, URIRef):
        return None
    iri = str(resource)
    for source in found:
        try:
            text = _text(source.path)
        except OSError:
            continue
        spellings = [f"<{iri}>", f'"{iri}"']
        for base in _BASE_DECLARATION.findall(text):
            if base and iri.startswith(base) and len(iri) > len(base):
                spellings.append(f"<{iri[len(base):]}>")
        for prefix, namespace in _PREFIX_DECLARATION.findall(text):
            local = iri[len(namespace) :]
            if namespace and iri.startswith(namespace) and re.fullmatch(r"[\w./-]*[\w-]", local or "x"):
                spellings.append(f"{prefix}:{local}")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.lstrip().startswith(("@prefix", "PREFIX", "#")) and any(_names(line, w) for w in spellings):
                return source.path, number
    return None


def _names(line: str, spelling: str) -> bool:
    """True when *spelling* stands in *line* as a whole name, not inside a longer one."""
    for match in re.finditer(re.escape(spelling), line):
        before = line[match.start() - 1] if match.start() else " "
        after = line[match.end()] if match.end() < len(line) else " "
        if not re.match(r"[\w:]", before) and not re.match(r"[\w:/-]", after):
            return True
    return False
