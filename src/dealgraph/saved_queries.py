"""Saved queries: one self-describing ``.rq`` file each, metadata in its top comments.

    #+ title: Acquisitions by an organization
    #+ description: Which companies an organization bought, when, for how much.
    #+ tags: [deals, ownership]
    #+ param: acquirer | organization | optional | France Télécom | Alapage | Who bought | multiple
    #+ param: outcome | enum | optional | | dg:Completed | The deal's status | values=dg:Completed,dg:Pending

A ``#+ param:`` line has up to six fields separated by ``|`` — name, type
(:data:`PARAMETER_TYPES`), ``required`` or ``optional``, default, example,
description — then options: ``values=a,b,c`` (the values of an ``enum``) and
``multiple`` (the parameter may be given several times). A ``description`` may
span several ``#+ description:`` lines.

A parameter ``name`` is the variable ``?_name`` in the query body; a ``money``
parameter is the two variables ``?_name_amount`` (xsd:decimal) and
``?_name_currency`` (a plain ISO 4217 string). A parameter left out, with no
default, leaves its variable unbound, so the query's patterns match any value.

Values never enter a query as text. Each is validated against its type and made
an RDF term; the terms are bound by a ``VALUES`` block, written by rdflib's
``.n3()`` from those terms, placed first in the query's outermost group — so a
parameter constrains every pattern and ``FILTER`` of that group, and one with
several values is a set of alternatives (rdflib's ``initBindings``, SEP-0007,
bound the same way).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from .config import shipped_path
from .sparql_tokens import UnreadableSparql, tokens
from .store import QueryError
from .vocab import PREFIXES, WD

#: The parameter types, as CONTRACT.md names them.
PARAMETER_TYPES = (
    "iri",
    "organization",
    "string",
    "langString",
    "integer",
    "decimal",
    "money",
    "date",
    "gYearMonth",
    "gYear",
    "enum",
)

#: What a value of each type looks like, for error messages and documentation.
TYPE_DESCRIPTIONS = {
    "iri": "an absolute IRI or a prefixed name such as id:org/alapage",
    "organization": "an organization's name or label in any language, a dealgraph IRI, or a Wikidata Q-id",
    "string": "any text",
    "langString": "text with a language tag, as text@lang (e.g. Alapage@fr)",
    "integer": "an integer (e.g. 42)",
    "decimal": "a decimal number (e.g. 50000000 or 49.5)",
    "money": "an amount and an ISO 4217 currency code (e.g. 50000000 EUR)",
    "date": "a date as YYYY-MM-DD (e.g. 1999-09-15)",
    "gYearMonth": "a year and month as YYYY-MM (e.g. 1999-09)",
    "gYear": "a year as YYYY (e.g. 1999)",
    "enum": "one of the declared values",
}

#: Longest value accepted for any parameter: labels and IRIs are far shorter.
MAX_VALUE_LENGTH = 2000

_META = re.compile(r"^#\+\s*(\w+)\s*:\s*(.*?)\s*$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*$")
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_MONEY = re.compile(r"^(?:([A-Za-z]{3})\s*)?([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:\s*([A-Za-z]{3}))?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^[0-9]{4}$")
_QID = re.compile(r"^(?:wd:|https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/)?(Q[1-9][0-9]*)$", re.IGNORECASE)


class QueryFileError(ValueError):
    """A saved-query file whose metadata cannot be read; names the file and line."""


class ParameterError(ValueError):
    """A value that does not fit its parameter: names the parameter, the value and the type.

    ``candidates`` lists the organizations an ambiguous name could mean, as
    ``{"iri": ..., "label": ...}``, so a caller can pick one.
    """

    def __init__(
        self, parameter: str, value: str | None, expected: str, reason: str, candidates: list[dict] | None = None
    ):
        self.parameter, self.value, self.expected, self.reason = parameter, value, expected, reason
        self.candidates = candidates or []
        shown = "no value" if value is None else repr(value)
        super().__init__(f"parameter {parameter!r}: {shown} {reason}; expected {expected}")

    def as_dict(self) -> dict:
        """The fields of the error, for a JSON problem document."""
        found = {"parameter": self.parameter, "value": self.value, "expected": self.expected}
        if self.candidates:
            found["candidates"] = self.candidates
        return found


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of a saved query."""

    name: str
    type: str
    required: bool = False
    default: str | None = None
    example: str | None = None
    description: str = ""
    values: tuple[str, ...] = ()
    multiple: bool = False

    @property
    def variable(self) -> str:
        return f"_{self.name}"

    @property
    def variables(self) -> tuple[str, ...]:
        """The query variables this parameter binds (two for ``money``)."""
        if self.type == "money":
            return (f"_{self.name}_amount", f"_{self.name}_currency")
        return (self.variable,)

    @property
    def expected(self) -> str:
        """What a value should look like, in words."""
        if self.type == "enum":
            return "one of " + ", ".join(self.values)
        return TYPE_DESCRIPTIONS[self.type]

    def describe(self) -> dict:
        """The parameter as ``GET /queries`` lists it (CONTRACT.md), plus its description."""
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "example": self.example,
            "values": list(self.values),
            "multiple": self.multiple,
            "description": self.description,
        }


@dataclass(frozen=True)
class SavedQuery:
    """A query file: its text and what its comments say about it."""

    name: str
    text: str
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    path: Path | None = None

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def describe(self) -> dict:
        """The query as ``GET /queries`` lists it (CONTRACT.md), plus its tags."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            "parameters": [p.describe() for p in self.parameters],
        }


# ------------------------------------------------------------------ reading files


def expand_curie(value: str) -> str:
    """``dg:Completed`` → the full IRI, for prefixes in :data:`PREFIXES`; else unchanged."""
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def _parameter(text: str, where: str) -> Parameter:
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 2:
        raise QueryFileError(f"{where}: a parameter needs at least 'name | type', got {text!r}")
    parts += [""] * (6 - len(parts))
    name, type_, presence, default, example, description, *options = parts
    if not _NAME.match(name):
        raise QueryFileError(f"{where}: {name!r} is not a parameter name (letters, digits, _)")
    if type_ not in PARAMETER_TYPES:
        raise QueryFileError(f"{where}: unknown parameter type {type_!r}; use one of {', '.join(PARAMETER_TYPES)}")
    if presence not in ("", "required", "optional"):
        raise QueryFileError(f"{where}: the third field must be 'required' or 'optional', got {presence!r}")
    values: tuple[str, ...] = ()
    multiple = False
    for option in options:
        if option.startswith("values="):
            values = tuple(v.strip() for v in option[len("values=") :].split(",") if v.strip())
        elif option == "multiple":
            multiple = True
        elif option:
            raise QueryFileError(f"{where}: unknown parameter option {option!r}; use values=a,b or multiple")
    if (type_ == "enum") != bool(values):
        raise QueryFileError(f"{where}: an enum parameter, and only an enum, declares values=a,b,...")
    return Parameter(
        name=name,
        type=type_,
        required=presence == "required",
        default=default or None,
        example=example or None,
        description=description,
        values=values,
        multiple=multiple,
    )


def parse_saved_query(path: Path) -> SavedQuery:
    """Read one ``.rq`` file and its metadata comments, or raise QueryFileError."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, list[str]] = {}
    parameters: list[Parameter] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _META.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            parameter = _parameter(value, f"{path}:{number}")
            if any(p.name == parameter.name for p in parameters):
                raise QueryFileError(f"{path}:{number}: parameter {parameter.name!r} is declared twice")
            parameters.append(parameter)
        elif key in ("title", "description", "tags"):
            meta.setdefault(key, []).append(value)
        else:
            raise QueryFileError(f"{path}:{number}: unknown metadata key {key!r}; use title, description, tags, param")
    tags = tuple(t.strip() for t in " ".join(meta.get("tags", [])).strip("[]").split(",") if t.strip())
    return SavedQuery(
        name=path.stem,
        text=text,
        title=" ".join(meta.get("title", [])) or path.stem,
        description=" ".join(meta.get("description", [])),
        tags=tags,
        parameters=tuple(parameters),
        path=path,
    )


def saved_queries(folder: Path | None = None) -> dict[str, SavedQuery]:
    """Every saved query in *folder* (the shipped ``queries/`` by default), by name."""
    folder = folder or shipped_path("queries")
    return {q.name: q for q in (parse_saved_query(p) for p in sorted(folder.glob("*.rq")))}


# ------------------------------------------------------------------ values → RDF terms


def normalize_name(text: str) -> str:
    """A name folded for matching: no accents, no case, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True)
class OrganizationIndex:
    """Every organization with its names and Wikidata identifiers, to resolve what users type.

    Built from the dataset (:func:`organization_index`), so it follows the data it
    was read from; the web app rebuilds it when the store's version changes.
    """

    labels: Mapping[URIRef, str]
    names: Mapping[str, frozenset[URIRef]]
    wikidata: Mapping[str, frozenset[URIRef]]

    def candidates(self, organizations: Iterable[URIRef]) -> list[dict]:
        return [{"iri": str(o), "label": self.labels.get(o, "")} for o in sorted(organizations)]

    def resolve(self, parameter: Parameter, raw: str) -> URIRef:
        """The one organization *raw* names, or a ParameterError (none, or several)."""
        qid = _QID.match(raw)
        if qid:
            found = self.wikidata.get(qid.group(1).upper(), frozenset())
            what = f"has no organization linked to Wikidata {qid.group(1).upper()}"
        else:
            iri = _iri_or_none(raw)
            if iri is not None and iri in self.labels:
                return iri
            found = self.names.get(normalize_name(raw), frozenset())
            what = "names no organization"
        if not found:
            raise ParameterError(parameter.name, raw, parameter.expected, what)
        if len(found) > 1:
            raise ParameterError(
                parameter.name, raw, parameter.expected, "is ambiguous", candidates=self.candidates(found)
            )
        return next(iter(found))


#: Every organization of the dataset (below ``id:``) with its names (rank 0: rdfs:label,
#: 1: schema:name, 2: skos:altLabel) and its Wikidata links.
ORGANIZATIONS_QUERY = """
SELECT ?org ?name ?rank ?match WHERE {
  ?org a dg:Organization .
  FILTER(STRSTARTS(STR(?org), STR(id:)))
  {
    VALUES (?naming ?rank) { (rdfs:label 0) (schema:name 1) (skos:altLabel 2) }
    ?org ?naming ?name
  }
  UNION { ?org owl:sameAs|skos:exactMatch ?match FILTER(STRSTARTS(STR(?match), STR(wd:))) }
}
"""


def organization_index(rows: Iterable[Mapping[str, Node]]) -> OrganizationIndex:
    """An OrganizationIndex from the rows of :data:`ORGANIZATIONS_QUERY`.

    An organization's display label is its ``rdfs:label`` without a language tag
    (the name as its source writes it), else its best-ranked name.
    """
    labels: dict[URIRef, list[tuple[int, bool, str]]] = {}
    names: dict[str, set[URIRef]] = {}
    wikidata: dict[str, set[URIRef]] = {}
    for row in rows:
        org = row["org"]
        labels.setdefault(org, [])
        if "name" in row:
            name = row["name"]
            labels[org].append((int(row["rank"]), bool(getattr(name, "language", None)), str(name)))
            names.setdefault(normalize_name(str(name)), set()).add(org)
        if "match" in row:
            wikidata.setdefault(str(row["match"])[len(str(WD)) :], set()).add(org)
    return OrganizationIndex(
        labels={org: min(found)[2] if found else "" for org, found in labels.items()},
        names={k: frozenset(v) for k, v in names.items()},
        wikidata={k: frozenset(v) for k, v in wikidata.items()},
    )


def _iri_or_none(raw: str) -> URIRef | None:
    text = raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw
    text = expand_curie(text)
    return URIRef(text) if _IRI.match(text) else None


def _fail(parameter: Parameter, raw: str, reason: str = "is not valid") -> ParameterError:
    return ParameterError(parameter.name, raw, parameter.expected, reason)


def _literal(parameter: Parameter, raw: str) -> Literal:
    kind = parameter.type
    if kind == "string":
        return Literal(raw)
    if kind == "langString":
        text, at, language = raw.rpartition("@")
        if not at or not _LANGUAGE.match(language):
            raise _fail(parameter, raw, "has no valid language tag")
        return Literal(text, lang=language.lower())
    if kind == "integer":
        if not _INTEGER.match(raw):
            raise _fail(parameter, raw)
        return Literal(int(raw), datatype=XSD.integer)
    if kind == "decimal":
        if not _DECIMAL.match(raw):
            raise _fail(parameter, raw)
        return Literal(Decimal(raw), datatype=XSD.decimal)
    if kind == "date":
        try:
            valid = bool(_DATE.match(raw)) and date.fromisoformat(raw) is not None
        except ValueError:
            valid = False
        if not valid:
            raise _fail(parameter, raw)
        return Literal(raw, datatype=XSD.date)
    if kind == "gYearMonth":
        if not _YEAR_MONTH.match(raw):
            raise _fail(parameter, raw)
        return Literal(raw, datatype=XSD.gYearMonth)
    if kind == "gYear":
        if not _YEAR.match(raw):
            raise _fail(parameter, raw)
        return Literal(raw, datatype=XSD.gYear)
    raise TypeError(f"{kind} is not a literal type")


def _enum_term(parameter: Parameter, raw: str) -> Node:
    declared = next((v for v in parameter.values if raw in (v, expand_curie(v))), None)
    if declared is None:
        raise _fail(parameter, raw, "is not one of the allowed values")
    iri = _iri_or_none(declared)
    return iri if iri is not None and ":" in declared else Literal(declared)


def _money_terms(parameter: Parameter, raw: str) -> tuple[Node, Node | None]:
    match = _MONEY.match(raw)
    if not match or (match.group(1) and match.group(3)):
        raise _fail(parameter, raw)
    try:
        amount = Decimal(match.group(2))
    except InvalidOperation:
        raise _fail(parameter, raw) from None
    code = match.group(1) or match.group(3)
    return Literal(amount, datatype=XSD.decimal), (Literal(code.upper()) if code else None)


def terms_for(parameter: Parameter, raw: str, organizations: OrganizationIndex | None = None) -> dict[str, Node]:
    """The RDF terms one value binds, by variable name, or a ParameterError.

    ``organization`` values need *organizations* to be resolved against.
    """
    if len(raw) > MAX_VALUE_LENGTH:
        raise _fail(parameter, raw[:80] + "…", f"is longer than {MAX_VALUE_LENGTH} characters")
    if parameter.type in ("iri", "organization") and any(c in raw for c in "\x00"):
        raise _fail(parameter, raw)
    if parameter.type == "iri":
        iri = _iri_or_none(raw.strip())
        if iri is None:
            raise _fail(parameter, raw)
        return {parameter.variable: iri}
    if parameter.type == "organization":
        if organizations is None:
            raise TypeError("resolving an organization needs an OrganizationIndex")
        return {parameter.variable: organizations.resolve(parameter, raw.strip())}
    if parameter.type == "enum":
        return {parameter.variable: _enum_term(parameter, raw.strip())}
    if parameter.type == "money":
        amount, currency = _money_terms(parameter, raw.strip())
        amount_var, currency_var = parameter.variables
        return {amount_var: amount} | ({currency_var: currency} if currency is not None else {})
    text = raw if parameter.type in ("string", "langString") else raw.strip()
    return {parameter.variable: _literal(parameter, text)}


def default_term(parameter: Parameter) -> Node | None:
    """The default of a parameter that needs no dataset to read (not ``organization``)."""
    if parameter.default is None:
        return None
    terms = terms_for(parameter, parameter.default)
    return terms.get(parameter.variable) or next(iter(terms.values()))


# ------------------------------------------------------------------ the query text


def variables_used(sparql: str) -> set[str]:
    """The names of the variables the query mentions (without ``?``)."""
    return {t.variable for t in tokens(sparql) if t.variable}


def parameter_variables(sparql: str) -> set[str]:
    """The parameter variables (``?_name``) the query mentions."""
    return {v for v in variables_used(sparql) if v.startswith("_")}


def top_level_words(sparql: str) -> list[str]:
    """Keywords outside every brace, upper-cased: the query form and its modifiers."""
    return [t.keyword for t in tokens(sparql) if t.keyword and t.braces == 0]


def where_group_start(sparql: str) -> int:
    """The offset just inside the ``{`` that opens the query's outermost WHERE group."""
    seen_construct = seen_where = False
    for token in tokens(sparql):
        if token.braces != 0:
            continue
        seen_construct = seen_construct or token.keyword == "CONSTRUCT"
        seen_where = seen_where or token.keyword == "WHERE"
        if token.text == "{" and (seen_where or not seen_construct):
            return token.end
    raise ValueError("the query has no WHERE group")


def values_block(bindings: Mapping[str, list[Node]]) -> str:
    """``VALUES`` clauses for *bindings*, each term written by rdflib's ``.n3()``."""
    lines = []
    for variable, terms in sorted(bindings.items()):
        if not _NAME.match(variable.lstrip("_")) or not terms:
            raise ValueError(f"cannot bind {variable!r} to {terms!r}")
        lines.append(f"VALUES ?{variable} {{ {' '.join(term.n3() for term in terms)} }}")
    return "".join(f"\n  {line}" for line in lines) + ("\n" if lines else "")


def with_values(sparql: str, bindings: Mapping[str, list[Node]]) -> str:
    """*sparql* with *bindings* as ``VALUES`` first in its outermost group."""
    if not bindings:
        return sparql
    at = where_group_start(sparql)
    return sparql[:at] + values_block(bindings) + sparql[at:]


def with_page(sparql: str, limit: int | None, offset: int = 0) -> str:
    """*sparql* limited to one page of its (ordered) solutions."""
    if limit is None and not offset:
        return sparql
    page = (f"\nLIMIT {int(limit)}" if limit is not None else "") + (f"\nOFFSET {int(offset)}" if offset else "")
    return sparql.rstrip() + page


# ------------------------------------------------------------------ binding a call


Values = Mapping[str, str | Node | Iterable[str | Node]]


def _as_list(value) -> list:
    if isinstance(value, (str, Node)):
        return [value]
    return list(value)


def bind(query: SavedQuery, given: Values, organizations: OrganizationIndex | None = None) -> dict[str, list[Node]]:
    """The terms each parameter variable is bound to, from the values a caller gave.

    Values are strings as typed by a user (validated against the parameter's type)
    or rdflib terms (taken as they are). Unknown names are ignored; empty strings
    count as not given, so an empty form field falls back to the default.
    """
    bindings: dict[str, list[Node]] = {}
    for parameter in query.parameters:
        values = [v for v in _as_list(given.get(parameter.name, [])) if not (isinstance(v, str) and not v.strip())]
        if not values and parameter.default is not None:
            values = [parameter.default]
        if not values:
            if parameter.required:
                raise ParameterError(parameter.name, None, parameter.expected, "is required")
            continue
        if len(values) > 1 and not parameter.multiple:
            raise ParameterError(parameter.name, ", ".join(map(str, values)), parameter.expected, "takes one value")
        for value in values:
            if isinstance(value, Node):
                terms = {parameter.variables[0]: value}
            else:
                terms = terms_for(parameter, value, organizations)
            for variable, term in terms.items():
                if term not in bindings.setdefault(variable, []):
                    bindings[variable].append(term)
    return bindings


@dataclass(frozen=True)
class BoundQuery:
    """A saved query with its parameters bound: the exact SPARQL that will run."""

    query: SavedQuery
    bindings: Mapping[str, list[Node]]

    def sparql(self, limit: int | None = None, offset: int = 0) -> str:
        return with_page(with_values(self.query.text, self.bindings), limit, offset)


def prepare(query: SavedQuery, given: Values, organizations: OrganizationIndex | None = None) -> BoundQuery:
    """Validate *given* against *query*'s parameters: a BoundQuery, or a ParameterError."""
    return BoundQuery(query, bind(query, given, organizations))


def run_saved_query(
    store,
    query: SavedQuery,
    given: Values | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    run: Callable[[str], object] | None = None,
):
    """Validate, bind and run a saved query: the one path the CLI, the web and the tests take.

    *run* executes the final SPARQL text (``store.query`` by default; the web app
    passes its deadline-bound worker); organizations are resolved against *store*.
    """
    needs_index = any(p.type == "organization" for p in query.parameters)
    organizations = organization_index(store.query(ORGANIZATIONS_QUERY).rows()) if needs_index else None
    bound = prepare(query, given or {}, organizations)
    return (run or store.query)(bound.sparql(limit, offset))


# ------------------------------------------------------------------ checking the files

#: Request parameters the web API keeps for itself: no saved query may declare them.
RESERVED_NAMES = ("format", "page", "per_page")


def _in_subqueries(sparql: str) -> set[str]:
    """Parameter variables mentioned inside a nested SELECT, which the VALUES block never reaches."""
    found: set[str] = set()
    open_at: list[int] = []
    for token in tokens(sparql):
        if token.text == "}" and open_at and token.braces < open_at[-1]:
            open_at.pop()
        elif token.keyword == "SELECT" and token.braces > 0:
            open_at.append(token.braces)
        elif token.variable.startswith("_") and open_at:
            found.add(token.variable)
    return found


def problems(query: SavedQuery, store=None) -> list[str]:
    """What is wrong with a saved query: its metadata, its use of parameters and, given a
    *store*, its default and example runs. An empty list means it is fine; a text whose
    strings or brackets do not close has that one problem, since nothing else in it can be read."""
    try:
        used = parameter_variables(query.text)
    except UnreadableSparql as error:
        return [f"cannot be read: {error}"]
    found: list[str] = []
    declared = {v for p in query.parameters for v in p.variables}
    found += [f"uses ?{v} but declares no parameter for it" for v in sorted(used - declared)]
    for parameter in query.parameters:
        if not set(parameter.variables) & used:
            found.append(f"declares parameter {parameter.name!r} but never uses ?{parameter.variables[0]}")
        if parameter.name in RESERVED_NAMES:
            found.append(f"parameter name {parameter.name!r} is reserved for the web API")
        if parameter.example is None:
            found.append(f"parameter {parameter.name!r} has no example")
    for variable in sorted(_in_subqueries(query.text)):
        found.append(f"?{variable} is used inside a subquery, where parameters are not bound")
    words = top_level_words(query.text)
    if "SELECT" not in words:
        found.append("is not a SELECT query")
    if "ORDER" not in words:
        found.append("has no ORDER BY, so its pages would have no stable order")
    if {"LIMIT", "OFFSET"} & set(words):
        found.append("has its own LIMIT or OFFSET; the server pages the results")
    if not query.title or query.title == query.name or not query.description:
        found.append("needs a #+ title: and a #+ description:")
    if store is not None and not found:
        found += _run_problems(query, store)
    return found


def _run_problems(query: SavedQuery, store) -> list[str]:
    found = []
    try:
        with_defaults = len(list(run_saved_query(store, query, {}).rows()))
    except (ParameterError, QueryError) as error:
        return [f"does not run with its defaults: {error}"]
    for parameter in query.parameters:
        try:
            rows = list(run_saved_query(store, query, {parameter.name: parameter.example}).rows())
        except (ParameterError, QueryError) as error:
            found.append(f"parameter {parameter.name!r}: its example does not run: {error}")
            continue
        if not rows and not _examples_together_return_rows(query, store):
            found.append(f"parameter {parameter.name!r}: its example {parameter.example!r} returns no rows")
    if not query.parameters and not with_defaults:
        found.append("returns no rows")
    return found


def _examples_together_return_rows(query: SavedQuery, store) -> bool:
    """Whether the query returns rows with every parameter at its example (examples meant together)."""
    examples = {p.name: p.example for p in query.parameters if p.example is not None}
    return bool(list(run_saved_query(store, query, examples).rows()))
