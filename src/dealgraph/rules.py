"""The domain rules OWL 2 RL cannot say, as data: premises, extra conditions, conclusions.

A rule is evaluated by the store, as one SPARQL Update (so it runs where the data is,
whichever engine that is). Why a conclusion holds is asked of the store again when
someone wants to know: the rule's SELECT with the conclusion's terms bound finds the
premises (:func:`firings_concluding`), as OWL 2 RL's rules are matched in :mod:`.explain`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import RDF, BNode, URIRef
from rdflib.term import Node

from .vocab import ID, PREFIXES, sparql_prologue

Template = tuple[str, str, str]


@dataclass(frozen=True)
class Rule:
    """One domain rule: when *premises* (and *conditions*) hold, *conclusions* follow.

    Templates are triples of SPARQL terms: ``?var``, ``prefix:name`` or ``<iri>``.
    A premise or conclusion with a variable the solution leaves unbound is skipped,
    which is how optional premises (an OPTIONAL in *conditions*) work.
    """

    name: str
    description: str
    premises: tuple[Template, ...]
    conclusions: tuple[Template, ...]
    conditions: str = ""
    #: Premises that may be missing (each becomes an OPTIONAL); recorded when present.
    optional_premises: tuple[Template, ...] = ()
    #: Names the conditions mention without reading them (the predicates a VALUES table
    #: picks for the conclusions), so that a rule is not evaluated again for its own output.
    not_read: tuple[str, ...] = ()

    @property
    def iri(self) -> URIRef:
        return URIRef(ID[f"rule/{self.name}"])

    def query(self) -> str:
        """The SELECT whose solutions are this rule's firings."""
        return f"SELECT * WHERE {{\n  {self._body()}\n}}"

    def _body(self) -> str:
        """The graph pattern of :meth:`query`: premises, optional premises, conditions."""
        patterns = [f"{s} {p} {o} ." for s, p, o in self.premises]
        patterns += [f"OPTIONAL {{ {s} {p} {o} }}" for s, p, o in self.optional_premises]
        return "\n  ".join(patterns + [self.conditions])

    def all_premises(self) -> tuple[Template, ...]:
        return self.premises + self.optional_premises

    def update(self, inferred: str, graphs: list[str]) -> str:
        """The SPARQL Update that fires this rule: it adds the conclusions that are new to the
        graph *inferred*, reading the union of *graphs* (``USING``: an update's own default
        graph is the store's default graph, not the union that queries see).

        This is how a rule runs where the data is, on any SPARQL 1.1 store. The premises
        are matched once for all conclusion templates (one update per template would match
        them once each). Each template gets its own subject variable, bound only when its
        conclusion is new; an INSERT skips every triple with an unbound variable, which is
        also how a template whose variables the solution leaves unbound (an absent optional
        premise) adds nothing. Why a conclusion holds is not written down: it is found
        again when asked (:func:`firings_concluding`).
        """
        conclusions, binds = [], []
        for k, template in enumerate(self.conclusions):
            s, p, o = template
            bound = [f"BOUND({part})" for part in template if part.startswith("?")]
            new = " && ".join([*bound, f"!isLITERAL({s})", f"NOT EXISTS {{ {s} {p} {o} }}"])
            binds.append(f"BIND(IF({new}, {s}, ?_unbound) AS ?_s{k})")
            conclusions.append(f"?_s{k} {p} {o}")
        return (
            f"{sparql_prologue()}INSERT {{\n  GRAPH <{inferred}> {{\n    "
            + " .\n    ".join(conclusions)
            + " .\n  }\n}\n"
            + "".join(f"USING <{g}>\n" for g in graphs)
            + f"WHERE {{\n  {{ SELECT * WHERE {{ {self._body()} }} }}\n  "
            + "\n  ".join(binds)
            + "\n}"
        )

    def matching(self, bindings: list[dict[str, Node]]) -> str:
        """The SELECT of this rule's firings that may bind variables as one of *bindings* does.

        Each binding is ``{variable: term}`` (the same variables in each). Of the variables
        the premises match, the one with the fewest values comes in a ``VALUES`` block
        ahead of them, so that the store starts from it (Oxigraph starts from a one-column
        table; from a table of several columns it scans: 1.3 s against 0.03 s at 1 M
        triples); every other variable is kept to the values it may take by a FILTER
        after. They are not tied row to row: the caller keeps the firings whose
        conclusions it asked about.
        """
        values = {name: sorted({b[name].n3() for b in bindings}) for name in sorted(bindings[0])}
        premised = {part[1:] for template in self.premises for part in template if part.startswith("?")}
        matched = [name for name in values if name in premised - set(_COMPUTED.findall(self.conditions))]
        lead = min(matched, key=lambda name: len(values[name]), default=None)
        head = f"VALUES ?{lead} {{ {' '.join(values[lead])} }}\n  " if lead else ""
        checks = "".join(
            f"\n  FILTER(?{name} IN ({', '.join(terms)}))" for name, terms in values.items() if name != lead
        )
        return f"SELECT * WHERE {{\n  {head}{self._body()}{checks}\n}}"

    @property
    def monotonic(self) -> bool:
        """False when a new fact can withdraw a conclusion (``NOT EXISTS``, ``!BOUND``): no incremental update."""
        text = self.conditions.upper().replace(" ", "")
        return "NOTEXISTS" not in text and "!BOUND" not in text and "MINUS" not in text

    def reads(self) -> set[URIRef]:
        """The IRIs (properties, classes, individuals) that the premises and conditions mention."""
        return _iris(self._names(self.all_premises()) - set(self.not_read))

    def mentions(self) -> set[URIRef]:
        """Every IRI the rule names: what it reads and what its conclusions may say.

        A conclusion's property is a name in the templates or, when it is a variable, in
        the conditions that bind it (as :data:`DATE_BOUNDS`'s ``VALUES`` table does).
        """
        return _iris(self._names(self.all_premises() + self.conclusions))

    def _names(self, templates: tuple[Template, ...]) -> set[str]:
        names = {part for template in templates for part in template if not part.startswith("?")}
        return names | set(_NAME.findall(self.conditions))


def _iris(names: Iterable[str]) -> set[URIRef]:
    """The IRIs of a rule's names (``a``, ``<iri>``, ``prefix:local``)."""
    found = set()
    for name in names:
        if name == "a":
            found.add(RDF.type)
        elif name.startswith("<"):
            found.add(URIRef(name[1:-1]))
        elif name.split(":", 1)[0] in PREFIXES:
            prefix, local = name.split(":", 1)
            found.add(URIRef(PREFIXES[prefix] + local))
    return found


def _as_iri(part: str) -> str:
    """A template term where an IRI must be written (``a`` is only a keyword in a predicate position)."""
    return "rdf:type" if part == "a" else part


#: A prefixed name or an IRI in a rule's SPARQL text.
_NAME = re.compile(r"<[^>\s]+>|\b[a-z][\w-]*:[A-Za-z_][\w-]*")
#: A variable a rule's conditions compute.
_COMPUTED = re.compile(r"\bAS\s+\?(\w+)", re.IGNORECASE)


def instantiate(template: Template, solution: dict[str, Node], terms: dict[str, Node]) -> tuple[Node, ...] | None:
    """A template with the solution's values, or None when a variable is unbound."""
    triple = []
    for part in template:
        if part.startswith("?"):
            value = solution.get(part[1:])
            if value is None:
                return None
            triple.append(value)
        else:
            triple.append(terms[part])
    return tuple(triple)


def constants(rules: list[Rule]) -> dict[str, Node]:
    """The IRI each non-variable template term stands for."""
    found: dict[str, Node] = {}
    for rule in rules:
        for template in rule.all_premises() + rule.conclusions:
            for part in template:
                if part.startswith("?") or part in found:
                    continue
                if part == "a":
                    found[part] = RDF.type
                elif part.startswith("<"):
                    found[part] = URIRef(part[1:-1])
                else:
                    prefix, local = part.split(":", 1)
                    found[part] = URIRef(PREFIXES[prefix] + local)
    return found


Triple = tuple[Node, Node, Node]
#: Runs a SELECT and gives its rows as ``{variable: rdflib term}`` (a store's, or the served one's).
Select = Callable[[str], Iterable[dict[str, Node]]]
#: Bindings per ``VALUES`` table when looking for firings.
_CHUNK = 500


@dataclass(frozen=True)
class Firing:
    """One way a rule fired: its premises as they hold and the conclusions it draws from them."""

    rule: Rule
    premises: tuple[Triple, ...]
    conclusions: tuple[Triple, ...]


def firings_concluding(rules: list[Rule], triples: Iterable[Triple], select: Select) -> dict[Triple, list[Firing]]:
    """For each of *triples* that *rules* conclude, the firings that conclude it.

    This is the explanation of a rule's conclusion, found when asked rather than
    stored: each conclusion template that fits a triple binds the rule's variables,
    and the store finds the premises that hold with them (:meth:`Rule.matching`).
    A triple with a blank node is not looked for (a query cannot name one).
    """
    wanted = set(triples)
    terms = constants(rules)
    found: dict[Triple, list[Firing]] = defaultdict(list)
    for rule in rules:
        for template in rule.conclusions:
            bindings = [b for t in wanted if (b := _binding(template, t, terms)) is not None]
            for firing in _fire(rule, bindings, select, terms):
                for conclusion in firing.conclusions:
                    if conclusion in wanted and firing not in found[conclusion]:
                        found[conclusion].append(firing)
    return dict(found)


def firings_reading(rules: list[Rule], subject: Node, select: Select) -> list[Firing]:
    """The firings of *rules* with a premise about *subject*: what follows from its facts."""
    terms = constants(rules)
    found: dict[Firing, None] = {}
    for rule in rules:
        for variable in sorted({s[1:] for s, _, _ in rule.premises if s.startswith("?")}):
            found.update(dict.fromkeys(_fire(rule, [{variable: subject}], select, terms)))
    return list(found)


def _binding(template: Template, triple: Triple, terms: dict[str, Node]) -> dict[str, Node] | None:
    """The rule variables that make *template* the triple, or None when it cannot be."""
    found: dict[str, Node] = {}
    for part, value in zip(template, triple, strict=True):
        if not part.startswith("?"):
            if terms[part] != value:
                return None
        elif isinstance(value, BNode) or found.setdefault(part[1:], value) != value:
            return None
    return found


def _fire(rule: Rule, bindings: list[dict[str, Node]], select: Select, terms: dict[str, Node]) -> list[Firing]:
    unique = list({tuple(sorted(b.items())): b for b in bindings}.values())
    firings: dict[Firing, None] = {}
    for start in range(0, len(unique), _CHUNK):
        for solution in select(rule.matching(unique[start : start + _CHUNK])):
            premises = (instantiate(t, solution, terms) for t in rule.all_premises())
            conclusions = (instantiate(t, solution, terms) for t in rule.conclusions)
            firings[Firing(rule, tuple(filter(None, premises)), tuple(filter(None, conclusions)))] = None
    return list(firings)


_LOCAL = 'REPLACE(STR({}), "^.*[/#]", "")'

OWNERSHIP_FROM_ACQUISITION = Rule(
    name="ownership-from-acquisition",
    description=(
        "A completed deal with an acquirer and a target opens a period of ownership "
        "(from the deal's date, when known) and makes the acquirer own the target."
    ),
    premises=(
        ("?deal", "dg:acquirer", "?owner"),
        ("?deal", "dg:target", "?owned"),
        ("?deal", "dg:outcome", "dg:Completed"),
    ),
    optional_premises=(("?deal", "dg:date", "?date"),),
    conditions=(
        'BIND(IRI(CONCAT(STR(id:), "ownership/", '
        + _LOCAL.format("?deal")
        + ', "/", '
        + _LOCAL.format("?owned")
        + ")) AS ?period)"
    ),
    conclusions=(
        ("?owner", "dg:owns", "?owned"),
        ("?period", "a", "dg:Ownership"),
        ("?period", "dg:owner", "?owner"),
        ("?period", "dg:owned", "?owned"),
        ("?period", "dg:openedBy", "?deal"),
        ("?period", "dg:startDate", "?date"),
    ),
)

OWNERSHIP_CLOSED_BY_SALE = Rule(
    name="ownership-closed-by-sale",
    description=(
        "A completed sale by an owner of what it owned, dated no earlier than the start "
        "of its ownership, closes that period at the sale's date: the first such sale."
    ),
    premises=(
        ("?period", "dg:owner", "?owner"),
        ("?period", "dg:owned", "?owned"),
        ("?sale", "dg:seller", "?owner"),
        ("?sale", "dg:target", "?owned"),
        ("?sale", "dg:outcome", "dg:Completed"),
        ("?sale", "dg:date", "?end"),
    ),
    conditions="""?period a dg:Ownership .
  ?sale dg:dateLatest ?saleLatest .
  OPTIONAL { ?period dg:startEarliest ?start }
  FILTER(!BOUND(?start) || ?saleLatest >= ?start)
  FILTER NOT EXISTS { ?period dg:openedBy ?sale }
  FILTER NOT EXISTS {
    ?earlier dg:seller ?owner ; dg:target ?owned ; dg:outcome dg:Completed ; dg:dateLatest ?earlierLatest .
    FILTER(?earlier != ?sale && ?earlierLatest < ?saleLatest && (!BOUND(?start) || ?earlierLatest >= ?start))
  }""",
    conclusions=(
        ("?period", "dg:endDate", "?end"),
        ("?period", "dg:closedBy", "?sale"),
    ),
)

#: Day bounds of a date of any precision: 1999 → 1999-01-01 … 1999-12-31.
DATE_BOUNDS = Rule(
    name="date-bounds",
    description=(
        "A date given as a year or a year and month covers a range of days; its first and "
        "last day (xsd:date) let dates of different precision be compared and ordered."
    ),
    premises=(("?node", "?dateProperty", "?date"),),
    conditions="""VALUES (?dateProperty ?earliestProperty ?latestProperty) {
    (dg:date dg:dateEarliest dg:dateLatest)
    (dg:startDate dg:startEarliest dg:startLatest)
    (dg:endDate dg:endEarliest dg:endLatest)
  }
  BIND(DATATYPE(?date) AS ?type)
  BIND(STR(?date) AS ?text)
  BIND(xsd:integer(SUBSTR(?text, 1, 4)) AS ?year)
  BIND(IF(?type = xsd:gYearMonth, xsd:integer(SUBSTR(?text, 6, 2)), 12) AS ?month)
  BIND(?year - FLOOR(?year / 4) * 4 = 0 AS ?every4)
  BIND(?year - FLOOR(?year / 100) * 100 != 0 || ?year - FLOOR(?year / 400) * 400 = 0 AS ?notCentury)
  BIND(?every4 && ?notCentury AS ?leap)
  BIND(IF(?month = 2, IF(?leap, 29, 28), IF(?month IN (4, 6, 9, 11), 30, 31)) AS ?lastDay)
  BIND(IF(?type = xsd:gYear, xsd:date(CONCAT(?text, "-01-01")),
       IF(?type = xsd:gYearMonth, xsd:date(CONCAT(?text, "-01")),
       IF(?type = xsd:date, ?date, ?unbound))) AS ?earliest)
  BIND(IF(?type = xsd:gYear, xsd:date(CONCAT(?text, "-12-31")),
       IF(?type = xsd:gYearMonth, xsd:date(CONCAT(?text, "-", STR(?lastDay))),
       IF(?type = xsd:date, ?date, ?unbound))) AS ?latest)""",
    conclusions=(
        ("?node", "?earliestProperty", "?earliest"),
        ("?node", "?latestProperty", "?latest"),
    ),
    not_read=tuple(f"dg:{kind}{bound}" for kind in ("date", "start", "end") for bound in ("Earliest", "Latest")),
)

#: The domain rules, applied together until none adds anything; in this order, each reads
#: what the ones before it concluded in the same pass (a period's start date, then its bounds).
DOMAIN_RULES = [OWNERSHIP_FROM_ACQUISITION, DATE_BOUNDS, OWNERSHIP_CLOSED_BY_SALE]
