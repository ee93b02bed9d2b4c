"""The domain rules OWL 2 RL cannot say, as data: premises, extra conditions, conclusions.

A rule is evaluated as one SPARQL SELECT over the store (so it runs where the data
is, whichever engine that is); every solution instantiates the conclusion templates,
and the instantiated premise templates become the explanation of what was derived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import RDF, URIRef
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
        patterns = [f"{s} {p} {o} ." for s, p, o in self.premises]
        patterns += [f"OPTIONAL {{ {s} {p} {o} }}" for s, p, o in self.optional_premises]
        body = "\n  ".join(patterns + [self.conditions])
        return f"SELECT * WHERE {{\n  {body}\n}}"

    def all_premises(self) -> tuple[Template, ...]:
        return self.premises + self.optional_premises

    def update(self, inferred: str, explanations: str, graphs: list[str]) -> str:
        """The SPARQL Update that fires this rule: it adds the conclusions that are new to the
        graph *inferred*, each with its explanation (rule and premises) in *explanations*.
        The rule reads the union of *graphs* (``USING``: an update's own default graph is
        the store's default graph, not the union that queries see).

        This is how a rule runs where the data is, on any SPARQL 1.1 store. The premises
        are matched once for all conclusion templates (one update per template matched
        them once each: six times for a six-conclusion rule). Each template gets its own
        variables, bound only when its conclusion is new — a template whose variables the
        solution leaves unbound (an absent optional premise) adds nothing — and an
        INSERT skips every triple with an unbound variable. An explanation node's IRI
        comes from its triple, a premise's from its own triple, so that premises shared
        by several conclusions are written once; a premise or conclusion with a blank
        node gets a blank node instead.
        """
        body = self.query().split("{", 1)[1].rsplit("}", 1)[0]
        conclusions, explanation, binds = [], [], []
        for k, template in enumerate(self.conclusions):
            s, p, o = template
            variables = [part for part in template if part.startswith("?")]
            bound = [f"BOUND({v})" for v in variables]
            new = " && ".join([*bound, f"!isLITERAL({s})", f"NOT EXISTS {{ {s} {p} {o} }}"])
            binds.append(f"BIND(IF({new}, {_node_for(template, 'explanation')}, ?_unbound) AS ?_e{k})")
            binds.append(f"BIND(IF(BOUND(?_e{k}), {s}, ?_unbound) AS ?_s{k})")
            conclusions.append(f"?_s{k} {p} {o}")
            explanation.append(
                f"?_e{k} a dg:Explanation ; dg:rule <{self.iri}> ; "
                f"rdf:subject {s} ; rdf:predicate {_as_iri(p)} ; rdf:object {o}"
            )
        fired = " || ".join(f"BOUND(?_e{k})" for k in range(len(self.conclusions)))
        for index, premise in enumerate(self.all_premises()):
            binds.append(f"BIND(IF({fired}, {_node_for(premise, 'statement')}, ?_unbound) AS ?_p{index})")
            explanation += [f"?_e{k} dg:premise ?_p{index}" for k in range(len(self.conclusions))]
            explanation.append(
                f"?_p{index} rdf:subject {premise[0]} ; rdf:predicate {_as_iri(premise[1])} ; rdf:object {premise[2]}"
            )
        return (
            f"{sparql_prologue()}INSERT {{\n  GRAPH <{inferred}> {{\n    "
            + " .\n    ".join(conclusions)
            + f" .\n  }}\n  GRAPH <{explanations}> {{\n    "
            + " .\n    ".join(explanation)
            + " .\n  }\n}\n"
            + "".join(f"USING <{g}>\n" for g in graphs)
            + f"WHERE {{\n  {{ SELECT * WHERE {{ {body} }} }}\n  "
            + "\n  ".join(binds)
            + "\n}"
        )

    @property
    def monotonic(self) -> bool:
        """False when a new fact can withdraw a conclusion (``NOT EXISTS``, ``!BOUND``): no incremental update."""
        text = self.conditions.upper().replace(" ", "")
        return "NOTEXISTS" not in text and "!BOUND" not in text and "MINUS" not in text

    def reads(self) -> set[URIRef]:
        """The IRIs (properties, classes, individuals) that the premises and conditions mention."""
        names = {part for template in self.all_premises() for part in template if not part.startswith("?")}
        names |= set(_NAME.findall(self.conditions))
        names -= set(self.not_read)
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


def _key(part: str) -> str:
    """SPARQL text for a term's identity as a string (value, datatype and language for a literal)."""
    part = _as_iri(part)
    return f'COALESCE(CONCAT(STR({part}), "|", STR(DATATYPE({part})), "|", LANG({part})), STR({part}))'


def _node_for(template: Template, kind: str) -> str:
    """SPARQL for the IRI of a triple's explanation or premise statement (a blank node if it has one)."""
    parts = [_as_iri(part) for part in template]
    blank = " || ".join(f"isBLANK({part})" for part in parts if part.startswith("?")) or "false"
    keys = ', " ", '.join(_key(part) for part in template)
    digest = f"SUBSTR(SHA1(CONCAT({keys})), 1, 20)"
    return f'IF({blank}, BNODE(), IRI(CONCAT(STR(id:), "{kind}/", {digest})))'


#: A prefixed name or an IRI in a rule's SPARQL text.
_NAME = re.compile(r"<[^>\s]+>|\b[a-z][\w-]*:[A-Za-z_][\w-]*")


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
    not_read=tuple(f"dg:{kind}{bound}" for kind in ("date", "start", "end") for bound in ("Earliest", "Latest")),
)

#: The domain rules, applied together until none adds anything; in this order, each reads
#: what the ones before it concluded in the same pass (a period's start date, then its bounds).
DOMAIN_RULES = [OWNERSHIP_FROM_ACQUISITION, DATE_BOUNDS, OWNERSHIP_CLOSED_BY_SALE]

