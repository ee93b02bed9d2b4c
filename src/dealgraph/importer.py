"""Deal lists (CSV) → an RDF file any ``--data`` accepts: ``dealgraph import deals FILE.csv``.

One row is one completed acquisition (the source reports it as done). A column
mapping says which column holds what; :data:`MAPPINGS` has a ready one for
Crunchbase's ``acquisitions.csv``. What an import guarantees:

* **Deterministic.** IRIs come from the source's identifiers (or, without one, from the
  normalised name), never from a counter or a clock; the output is sorted N-Triples
  (or Turtle) gzipped without a timestamp, so importing twice gives identical bytes.
* **Provenance and licence.** The file becomes a ``schema:Dataset`` source node with
  its ``dcterms:license`` (Crunchbase: CC BY-NC 4.0) and attribution; every deal and
  organization says ``prov:wasDerivedFrom`` it, and every deal has a ``dg:evidence``
  pointing to it with the record's row and line (``dg:sourceRow``, ``dg:sourceLine``).
* **Organizations merged** by the source's identifier (a Crunchbase permalink), and a
  row without one by its normalised name (:func:`dealgraph.wikidata.names.key`) when
  exactly one identified organization has that name. Different identifiers are never
  merged by name: Crunchbase's ``/organization/pace`` and ``/organization/pace-2`` are
  two companies.
* **Bad rows reported** with their line: a row without acquirer or target, a
  self-acquisition, a repeated (acquirer, target) pair, and values that cannot be
  right — a date outside the plausible years (``1201-11-03``, ``3201-10-21``), a
  date that is no date, a price that is not a positive amount. ``--on-error skip``
  leaves bad rows out, ``fail`` stops at the first one and writes nothing; a bad value
  is dropped from its deal (``--bad-values drop``) or makes its row bad (``row``).
  An empty date is no problem: the deal has no ``dg:date``.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

import click
import pyoxigraph as ox

from .vocab import DG, ID, PREFIXES, PROV, SCHEMA, graph_iri
from .wikidata.names import key as name_key

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Kinds of problems a row can have (the row is refused) and a value can have (dropped or refused).
ROW_PROBLEMS = ("malformed", "self-acquisition", "duplicate-pair")
VALUE_PROBLEMS = ("implausible-date", "bad-date", "bad-price", "bad-currency")


@dataclass(frozen=True)
class Source:
    """Where a deal list comes from, and the terms its facts travel with."""

    slug: str
    name: str
    license: str | None = None
    attribution: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Mapping:
    """Which CSV column holds what. Only *acquirer* and *target* (names) are required."""

    acquirer: str
    target: str
    acquirer_id: str | None = None
    target_id: str | None = None
    date: str | None = None
    price: str | None = None
    currency: str | None = None
    #: Text removed from the start of identifiers (``/organization/``) before they make IRIs.
    id_prefix: str = ""
    source: Source | None = None


CRUNCHBASE = Mapping(
    acquirer="acquirer_name",
    target="company_name",
    acquirer_id="acquirer_permalink",
    target_id="company_permalink",
    date="acquired_at",
    price="price_amount",
    currency="price_currency_code",
    id_prefix="/organization/",
    source=Source(
        slug="crunchbase",
        name="Crunchbase acquisitions (December 2015 export)",
        license="http://creativecommons.org/licenses/by-nc/4.0/",
        attribution=(
            "Data from Crunchbase (https://www.crunchbase.com/), December 2015 export, under CC BY-NC 4.0: "
            "non-commercial use only, with attribution to Crunchbase."
        ),
        url="https://github.com/notpeter/crunchbase-data",
    ),
)

#: Ready mappings by name (``--mapping``).
MAPPINGS = {"crunchbase": CRUNCHBASE}


@dataclass(frozen=True)
class Problem:
    """Something wrong with one record: where (line in the file, row number), what, and the value."""

    line: int
    row: int
    kind: str
    detail: str
    #: For a value problem: whether it refused its row (``--bad-values row``) or was only dropped.
    refused: bool = False

    def __str__(self) -> str:
        return f"line {self.line} (row {self.row}): {self.kind}: {self.detail}"


class ImportRefused(ValueError):
    """``--on-error fail`` met a bad row; nothing was written."""

    def __init__(self, problem: Problem, path: Path):
        self.problem = problem
        where = f"{path}:{problem.line}"
        super().__init__(f"{where}: {problem.kind}: {problem.detail} (row {problem.row}); nothing written")


@dataclass
class ImportReport:
    """What an import read, wrote and refused."""

    rows: int = 0
    deals: int = 0
    priced: int = 0
    undated: int = 0
    organizations: int = 0
    triples: int = 0
    problems: list[Problem] = field(default_factory=list)

    def refused_rows(self) -> Counter:
        """Refused rows by kind (a row counts once, under its first problem)."""
        return Counter(p.kind for p in self._first_per_row() if p.kind in ROW_PROBLEMS or p.refused)

    def dropped_values(self) -> Counter:
        return Counter(p.kind for p in self.problems if p.kind in VALUE_PROBLEMS and not p.refused)

    def _first_per_row(self) -> list:
        seen, first = set(), []
        for problem in self.problems:
            if problem.row not in seen and (problem.kind in ROW_PROBLEMS or problem.refused):
                seen.add(problem.row)
                first.append(problem)
        return first


@dataclass
class _Organization:
    iri: str
    names: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Record:
    line: int
    row: int
    values: dict[str, str]


def read_records(path: Path) -> Iterator[_Record]:
    """The CSV's records with the line each starts on (fields may hold newlines) and their number."""
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        end = 1  # the header's line
        for number, values in enumerate(reader, start=1):
            yield _Record(end + 1, number, {k: (v or "").strip() for k, v in values.items() if k is not None})
            end = reader.line_num


def _slug(identifier: str) -> str:
    """An IRI path segment for *identifier*: unreserved characters kept, the rest percent-encoded."""
    return quote(identifier.strip().strip("/").replace("/", "-").replace(" ", "-").lower(), safe="-._~")


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def parse_date(text: str, years: tuple[int, int]) -> tuple[ox.Literal | None, str | None]:
    """A deal date at the precision given (``xsd:date``, ``xsd:gYearMonth``, ``xsd:gYear``), or the problem."""
    match = _DATE.match(text)
    if not match:
        return None, "bad-date"
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None, "bad-date"
    if not years[0] <= int(year) <= years[1]:
        return None, "implausible-date"
    if day:
        return ox.Literal(f"{year}-{month}-{day}", datatype=ox.NamedNode(XSD + "date")), None
    if month:
        return ox.Literal(f"{year}-{month}", datatype=ox.NamedNode(XSD + "gYearMonth")), None
    return ox.Literal(year, datatype=ox.NamedNode(XSD + "gYear")), None


def parse_price(amount: str, currency: str) -> tuple[tuple[str, str] | None, str | None]:
    """``(decimal lexical form, ISO 4217 code)`` of a positive amount, or the problem."""
    try:
        value = Decimal(amount.replace(",", ""))
    except InvalidOperation:
        return None, "bad-price"
    if not value.is_finite() or value <= 0:
        return None, "bad-price"
    if not re.fullmatch(r"[A-Z]{3}", currency):
        return None, "bad-currency"
    text = format(value.normalize(), "f")
    return (text, currency), None


class _Graph:
    """Triples as N-Triples lines (a set: a triple stated twice is one triple)."""

    def __init__(self) -> None:
        self.lines: set[str] = set()

    def add(self, s: str, p: str, o) -> None:
        obj = o if isinstance(o, ox.Literal | ox.NamedNode) else ox.NamedNode(o)
        self.lines.add(f"{ox.NamedNode(s)} {ox.NamedNode(p)} {obj} .")


def _text(value: str) -> ox.Literal:
    return ox.Literal(value)


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


class DealImport:
    """One import of one CSV file with one mapping: organizations, deals, and the report."""

    def __init__(
        self,
        path: Path,
        mapping: Mapping,
        on_error: str = "skip",
        bad_values: str = "drop",
        years: tuple[int, int] = (1800, datetime.date.today().year + 1),
    ):
        self.path, self.mapping, self.on_error, self.bad_values, self.years = path, mapping, on_error, bad_values, years
        self.source = mapping.source or Source(slug=_slug(path.stem), name=path.name)
        self.source_iri = f"{ID}source/{self.source.slug}-{_slug(path.stem)}"
        self.report = ImportReport()
        self.graph = _Graph()
        self._organizations: dict[tuple[str, str], _Organization] = {}
        self._by_name: dict[str, set[tuple[str, str]]] = defaultdict(set)

    # ------------------------------------------------------------ organizations

    def _identifier(self, record: _Record, column: str | None) -> str:
        value = record.values.get(column, "") if column else ""
        if value.startswith(self.mapping.id_prefix):
            value = value[len(self.mapping.id_prefix) :]
        elif self.mapping.id_prefix:
            return ""  # not one of the source's identifiers (a shifted, broken row)
        return value

    def _organization_key(self, identifier: str, name: str) -> tuple[str, str] | None:
        if identifier:
            return ("id", identifier)
        if not name_key(name):
            return None
        candidates = {k for k in self._by_name.get(name_key(name), ()) if k[0] == "id"}
        return next(iter(candidates)) if len(candidates) == 1 else ("name", name_key(name))

    def _organization(self, key: tuple[str, str], name: str) -> str:
        organization = self._organizations.get(key)
        if organization is None:
            slug = _slug(key[1]) if key[0] == "id" else "name-" + _slug(key[1].replace(" ", "-"))
            organization = self._organizations[key] = _Organization(f"{ID}org/{self.source.slug}/{slug}")
        if name and name not in organization.names:
            organization.names.append(name)
        return organization.iri

    # ------------------------------------------------------------ rows

    def _problem(self, record: _Record, kind: str, detail: str, refused: bool = False) -> Problem:
        problem = Problem(record.line, record.row, kind, detail, refused)
        self.report.problems.append(problem)
        if self.on_error == "fail" and (kind in ROW_PROBLEMS or refused):
            raise ImportRefused(problem, self.path)
        return problem

    def run(self, records: list[_Record], progress=None) -> ImportReport:
        """Import *records* (from :func:`read_records`); ``progress(n)`` is told of each row done."""
        m = self.mapping
        for record in records:  # every identifier's names first, so that a name alone finds its organization
            for id_column, name_column in ((m.acquirer_id, m.acquirer), (m.target_id, m.target)):
                identifier = self._identifier(record, id_column)
                if identifier:
                    self._by_name[name_key(record.values.get(name_column, ""))].add(("id", identifier))
        seen_pairs: dict[tuple[str, str], int] = {}
        for record in records:
            self.report.rows += 1
            self._row(record, seen_pairs)
            if progress is not None:
                progress(1)
        self._write_organizations()
        self._write_source()
        self.report.organizations = len(self._organizations)
        self.report.triples = len(self.graph.lines)
        return self.report

    def _row(self, record: _Record, seen_pairs: dict[tuple[str, str], int]) -> None:
        m, values = self.mapping, record.values
        names = values.get(m.acquirer, ""), values.get(m.target, "")
        keys = [
            self._organization_key(self._identifier(record, m.acquirer_id), names[0]),
            self._organization_key(self._identifier(record, m.target_id), names[1]),
        ]
        if None in keys or (m.id_prefix and any(k[0] != "id" for k in keys)):
            self._problem(record, "malformed", "no acquirer or no target (missing or not an identifier of the source)")
            return
        if keys[0] == keys[1]:
            self._problem(record, "self-acquisition", f"{names[0] or keys[0][1]} acquires itself")
            return
        pair = (keys[0], keys[1])
        if pair in seen_pairs:
            detail = f"{names[0]} → {names[1]} already imported from row {seen_pairs[pair]}"
            self._problem(record, "duplicate-pair", detail)
            return
        date, price = self._date(record), self._price(record)
        if date is False or price is False:
            return
        seen_pairs[pair] = record.row
        acquirer, target = (self._organization(k, n) for k, n in zip(keys, names, strict=True))
        self._write_deal(record, acquirer, target, names, keys, date, price)

    def _date(self, record: _Record):
        """The deal's date literal, None (no date), or False (the row is refused)."""
        text = record.values.get(self.mapping.date, "") if self.mapping.date else ""
        if not text:
            self.report.undated += 1
            return None
        date, problem = parse_date(text, self.years)
        if problem:
            refused = self.bad_values == "row"
            self._problem(record, problem, f"date {text!r}", refused=refused)
            return False if refused else None
        return date

    def _price(self, record: _Record):
        """``(amount, currency)``, None (no price), or False (the row is refused)."""
        amount = record.values.get(self.mapping.price, "") if self.mapping.price else ""
        if not amount:
            return None
        currency = record.values.get(self.mapping.currency, "") if self.mapping.currency else ""
        price, problem = parse_price(amount, currency)
        if problem:
            refused = self.bad_values == "row"
            self._problem(record, problem, f"price {amount!r} {currency!r}", refused=refused)
            return False if refused else None
        return price

    # ------------------------------------------------------------ triples

    def _write_deal(self, record, acquirer, target, names, keys, date, price) -> None:
        g, dg = self.graph, str(DG)
        deal = f"{ID}deal/{self.source.slug}/{_slug(keys[0][1])}--{_slug(keys[1][1])}"
        g.add(deal, RDF_TYPE, dg + "Acquisition")
        g.add(deal, RDFS_LABEL, _text(f"{names[0]} acquires {names[1]}"))
        g.add(deal, dg + "acquirer", acquirer)
        g.add(deal, dg + "target", target)
        g.add(deal, dg + "outcome", dg + "Completed")
        g.add(deal, str(PROV) + "wasDerivedFrom", self.source_iri)
        if date is not None:
            g.add(deal, dg + "date", date)
        if price is not None:
            node = deal + "/price"
            g.add(deal, dg + "price", node)
            g.add(node, RDF_TYPE, str(SCHEMA) + "MonetaryAmount")
            g.add(node, str(SCHEMA) + "value", ox.Literal(price[0], datatype=ox.NamedNode(XSD + "decimal")))
            g.add(node, str(SCHEMA) + "currency", _text(price[1]))
            self.report.priced += 1
        evidence = deal + "/evidence"
        g.add(deal, dg + "evidence", evidence)
        g.add(evidence, RDF_TYPE, dg + "Evidence")
        g.add(evidence, dg + "source", self.source_iri)
        g.add(evidence, dg + "certainty", dg + "Stated")
        g.add(evidence, dg + "sourceRow", _integer(record.row))
        g.add(evidence, dg + "sourceLine", _integer(record.line))
        self.report.deals += 1

    def _write_organizations(self) -> None:
        g, dg = self.graph, str(DG)
        for organization in self._organizations.values():
            if not organization.names:
                continue
            g.add(organization.iri, RDF_TYPE, dg + "Organization")
            g.add(organization.iri, RDFS_LABEL, _text(organization.names[0]))
            for other in organization.names[1:]:
                g.add(organization.iri, SKOS_ALT_LABEL, _text(other))
            g.add(organization.iri, str(PROV) + "wasDerivedFrom", self.source_iri)

    def _write_source(self) -> None:
        g, s = self.graph, self.source
        g.add(self.source_iri, RDF_TYPE, str(SCHEMA) + "Dataset")
        g.add(self.source_iri, RDFS_LABEL, _text(s.name))
        g.add(self.source_iri, str(SCHEMA) + "name", _text(s.name))
        g.add(self.source_iri, DCTERMS + "source", _text(self.path.name))
        if s.license:
            g.add(self.source_iri, DCTERMS + "license", s.license)
        if s.attribution:
            g.add(self.source_iri, str(SCHEMA) + "creditText", _text(s.attribution))
            g.add(self.source_iri, DCTERMS + "rights", _text(s.attribution))
        if s.url:
            g.add(self.source_iri, str(SCHEMA) + "url", s.url)

    def serialize(self, output: Path) -> bytes:
        """The triples in the format *output*'s name asks for (``.nt``, ``.ttl``, ``.nq``; optionally ``.gz``)."""
        suffixes = [s.lower() for s in output.suffixes]
        compressed = bool(suffixes) and suffixes[-1] == ".gz"
        kind = suffixes[-2] if compressed and len(suffixes) > 1 else (suffixes[-1] if suffixes else ".nt")
        lines = sorted(self.graph.lines)
        if kind == ".nt":
            data = ("\n".join(lines) + "\n").encode("utf-8")
        elif kind in (".ttl", ".nq"):
            triples = list(ox.parse(input=("\n".join(lines) + "\n").encode(), format=ox.RdfFormat.N_TRIPLES))
            if kind == ".nq":
                graph = ox.NamedNode(str(graph_iri(_stem(self.path))))
                quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
                data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
            else:
                data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        else:
            raise click.BadParameter(f"{output.name}: write .nt, .ttl or .nq, optionally .gz")
        if not compressed:
            return data
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as stream:
            stream.write(data)
        return buffer.getvalue()


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def import_deals(
    path: Path,
    mapping: Mapping = CRUNCHBASE,
    output: Path | None = None,
    on_error: str = "skip",
    bad_values: str = "drop",
    progress=None,
) -> tuple[ImportReport, bytes]:
    """Import the deal list at *path*; returns the report and the serialized RDF (not written)."""
    output = output or Path(f"{_stem(path)}.nt.gz")
    job = DealImport(path, mapping, on_error=on_error, bad_values=bad_values)
    records = list(read_records(path))
    job.run(records, progress)
    return job.report, job.serialize(output)


# ---------------------------------------------------------------- command line


def _mapping_option(value: str, columns: tuple[str, ...], license_: str | None, source_name: str | None) -> Mapping:
    if value not in MAPPINGS and value != "columns":
        raise click.BadParameter(f"use one of {', '.join([*MAPPINGS, 'columns'])}", param_hint="--mapping")
    mapping = MAPPINGS.get(value)
    given = dict(item.split("=", 1) for item in columns)
    fields_ = set(Mapping.__dataclass_fields__) - {"source"}
    unknown = set(given) - fields_
    if unknown:
        raise click.BadParameter(f"unknown field(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(fields_))}")
    if mapping is None:
        if "acquirer" not in given or "target" not in given:
            raise click.BadParameter("give --column acquirer=COL and --column target=COL", param_hint="--column")
        mapping = Mapping(**given)
    elif given:
        mapping = Mapping(**{**{k: getattr(mapping, k) for k in fields_}, **given, "source": mapping.source})
    if license_ or source_name:
        base = mapping.source or Source(slug="import", name=source_name or "imported deal list")
        source = Source(
            slug=base.slug,
            name=source_name or base.name,
            license=license_ or base.license,
            attribution=base.attribution,
            url=base.url,
        )
        mapping = Mapping(**{**{k: getattr(mapping, k) for k in fields_}, "source": source})
    return mapping


@click.group(name="import")
def import_group() -> None:
    """Import deal lists into RDF files that --data accepts."""


@import_group.command(name="deals")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_name",
    default="crunchbase",
    show_default=True,
    help="A ready column mapping (crunchbase), or 'columns' to give every column with --column.",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Which CSV column holds FIELD (acquirer, target, acquirer_id, target_id, date, price, currency).",
)
@click.option("--license", "license_", default=None, help="The IRI of the source's licence (travels with every fact).")
@click.option("--source-name", default=None, help="The source's name, as its facts will cite it.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The RDF file to write (.nt, .ttl or .nq, optionally .gz); default: FILE's stem + .nt.gz. "
    "Its graph is named after it when loaded with --data.",
)
@click.option(
    "--on-error",
    type=click.Choice(["skip", "fail"]),
    default="skip",
    show_default=True,
    help="A bad row (no acquirer or target, self-acquisition, repeated pair): leave it out, or stop.",
)
@click.option(
    "--bad-values",
    type=click.Choice(["drop", "row"]),
    default="drop",
    show_default=True,
    help="A bad date or price: drop the value and keep the deal, or treat the row as bad.",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write every problem, one per line (TSV: line, row, kind, detail).",
)
def deals(csv_file, mapping_name, columns, license_, source_name, output, on_error, bad_values, report_file) -> None:
    """Import a CSV list of acquisitions (one completed deal per row) into RDF."""
    mapping = _mapping_option(mapping_name, columns, license_, source_name)
    output = output or Path(f"{_stem(csv_file)}.nt.gz")
    job = DealImport(csv_file, mapping, on_error=on_error, bad_values=bad_values)
    records = list(read_records(csv_file))
    missing = [c for c in (mapping.acquirer, mapping.target) if records and c not in records[0].values]
    if missing:
        raise click.ClickException(f"{csv_file} has no column {', '.join(missing)}; see --mapping and --column")
    try:
        with click.progressbar(length=len(records), label="importing", file=sys.stderr) as bar:
            job.run(records, bar.update)
    except ImportRefused as error:
        raise click.ClickException(str(error)) from None
    data = job.serialize(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    report = job.report
    if report_file is not None:
        lines = [f"{p.line}\t{p.row}\t{p.kind}\t{p.detail}\n" for p in report.problems]
        report_file.write_text("line\trow\tkind\tdetail\n" + "".join(lines), encoding="utf-8")
    echo = lambda text: click.echo(text, err=True)  # noqa: E731
    echo(
        f"{report.rows} rows: {report.deals} deals ({report.priced} priced, {report.undated} undated), "
        f"{report.organizations} organizations, {report.triples} triples → {output}"
    )
    for kind, count in sorted(report.refused_rows().items()):
        echo(f"  refused {count} row(s): {kind}")
    for kind, count in sorted(report.dropped_values().items()):
        echo(f"  dropped {count} value(s): {kind}")
    for problem in report.problems[:20]:
        echo(f"  {csv_file}:{problem}")
    if len(report.problems) > 20:
        echo(f"  … {len(report.problems) - 20} more" + (f" in {report_file}" if report_file else " (see --report)"))
