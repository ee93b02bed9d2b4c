"""The domain rules OWL 2 RL cannot say, as data: premises, extra conditions, conclusions.

A rule is evaluated as one SPARQL SELECT over the store (so it runs where the data
is, whichever engine that is); every solution instantiates the conclusion templates,
and the instantiated premise templates become the explanation of what was derived.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, URIRef
from rdflib.term import Node

from .vocab import ID, PREFIXES

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

    @property
    def iri(self) -> URIRef:
        return URIRef(ID[f"rule/{self.name}"])

    def query(self) -> str:
        """The SELECT whose solutions are this rule's firings."""
        patterns = [f"{s} {p} {o} ." for s, p, o in self.premises]
        patterns += [f"OPTIONAL {{ {s} {p} {o} }}" for s, p, o in self.optional_premises]
        body = "\n  ".join(patterns + [self.conditions])
        return f"SELECT * WHERE {{\n  {body}\n}}"

    def all_premises(self) -> tuple[Template, ...]:
        return self.premises + self.optional_premises


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
        "BIND(IRI(CONCAT(STR(id:), \"ownership/\", "
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
)

#: The domain rules, applied together until none adds anything.
DOMAIN_RULES = [DATE_BOUNDS, OWNERSHIP_FROM_ACQUISITION, OWNERSHIP_CLOSED_BY_SALE]

