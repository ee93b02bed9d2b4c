"""What the entity pages say about a resource, read from the served dataset.

Each function runs one or two queries (:mod:`.lookup`) and returns plain values for
the templates: links with labels in the request's language, money as amounts, and
for every fact its evidence (source sentence, whether it is only reported) or, for
a triple a domain rule inferred, the rule and the premises it fired on (found again
when the page is asked for: :func:`dealgraph.rules.firings_concluding`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from rdflib import RDF, BNode, URIRef
from rdflib.term import Node

from ..rules import DOMAIN_RULES, Firing, firings_concluding, firings_reading
from ..vocab import DERIVED_GRAPHS, DG, ID, INFERRED_GRAPH, PREFIXES, WD
from .i18n import pick_literal, term
from .lookup import select, values

ROLES = ("acquirer", "target", "seller", "competingBidder")


# ------------------------------------------------------------------ display values


@dataclass(frozen=True)
class Link:
    """A resource as a page shows it: its label and where it links (local for ``id:`` and ``dg:``)."""

    iri: str
    label: str

    @property
    def href(self) -> str:
        return href(self.iri)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str
    approximate: bool = False

    def text(self, lang: str) -> str:
        """``50,000,000 EUR`` in English, ``50 000 000 EUR`` (no-break spaces) in French."""
        whole = self.amount == self.amount.to_integral_value()
        number = f"{self.amount:,.0f}" if whole else f"{self.amount:,}"
        if lang == "fr":
            number = number.replace(",", "\u00a0").replace(".", ",")
        return ("≈\u00a0" if self.approximate else "") + f"{number}\u00a0{self.currency}"


@dataclass
class Evidence:
    """Where a fact comes from: the source sentence, or the paraphrase of a source."""

    quote: str | None = None
    comment: str | None = None
    hedged: bool = False
    reported_by: list[Link] = field(default_factory=list)
    sources: list[Link] = field(default_factory=list)


@dataclass
class Statement:
    """A triple as shown: subject, property and value, each a Link or a text."""

    subject: Link | str
    predicate: Link
    object: Link | str | Money


@dataclass
class Explanation:
    """An inferred triple with the rule and premises that derived it."""

    statement: Statement
    rule: Link
    premises: list[Statement]


def href(iri: str) -> str:
    """Where a page links an IRI: ``/id/…`` and ``/ontology#…`` here, anything else as it is."""
    if iri.startswith(str(ID)):
        return "/id/" + iri[len(str(ID)) :]
    if iri.startswith(str(DG)):
        return "/ontology#" + iri[len(str(DG)) :]
    return iri


def short(iri: str) -> str:
    """A prefixed name for IRIs under a known prefix (``dg:acquirer``), else the IRI."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def local_name(iri: Node | None) -> str:
    text = str(iri or "")
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def labels(iris: set[Node], lang: str) -> dict[str, str]:
    """The label to show for each IRI in *lang* (see :func:`pick_literal`); IRIs without one are left out."""
    iris = {i for i in iris if isinstance(i, URIRef)}
    if not iris:
        return {}
    found: dict[str, list[Node]] = defaultdict(list)
    rows = select(
        f"SELECT ?x ?label WHERE {{ {values('x', iris)} "
        "{ ?x rdfs:label ?label } UNION { ?x schema:headline ?label } UNION { ?x schema:name ?label } }"
    )
    for row in rows:
        found[str(row["x"])].append(row["label"])
    return {iri: pick_literal(names, lang) or iri for iri, names in found.items()}


def link(iri: Node, names: dict[str, str]) -> Link:
    return Link(str(iri), names.get(str(iri)) or short(str(iri)))


def money(amount: Node | None, currency: Node | None, approximate: Node | None = None) -> Money | None:
    if amount is None:
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return None
    return Money(value, str(currency or ""), str(approximate).lower() == "true")


# ------------------------------------------------------------------ evidence


def evidence(facts: set[URIRef], lang: str) -> dict[str, list[Evidence]]:
    """The evidence of each fact node, quotes first."""
    if not facts:
        return {}
    rows = select(
        f"SELECT ?fact ?ev ?quote ?certainty ?reporter ?source ?comment WHERE {{ {values('fact', facts)} "
        "?fact dg:evidence ?ev . OPTIONAL { ?ev dg:quote ?quote } OPTIONAL { ?ev dg:certainty ?certainty } "
        "OPTIONAL { ?ev dg:reportedBy ?reporter } OPTIONAL { ?ev dg:source ?source } "
        "OPTIONAL { ?ev rdfs:comment ?comment } }"
    )
    names = labels({r[k] for r in rows for k in ("reporter", "source") if k in r}, lang)
    by_node: dict[tuple[str, Node], Evidence] = {}
    comments: dict[tuple[str, Node], list[Node]] = defaultdict(list)
    for row in rows:
        key = (str(row["fact"]), row["ev"])
        found = by_node.setdefault(key, Evidence())
        if "quote" in row:
            found.quote = str(row["quote"])
        if row.get("certainty") == DG.Hedged:
            found.hedged = True
        for name, target in (("reporter", found.reported_by), ("source", found.sources)):
            if name in row and all(x.iri != str(row[name]) for x in target):
                target.append(link(row[name], names))
        if "comment" in row:
            comments[key].append(row["comment"])
    result: dict[str, list[Evidence]] = defaultdict(list)
    for (fact, _), found in by_node.items():
        found.comment = pick_literal(comments[(fact, _)], lang)
        result[fact].append(found)
    for found in result.values():
        found.sort(key=lambda e: (e.quote is None, e.quote or e.comment or ""))
    return result


# ------------------------------------------------------------------ explanations


def why(iri: URIRef, lang: str) -> list[Explanation]:
    """The inferred triples about *iri* that a domain rule concluded, each with its rule and premises."""
    rows = select(f"SELECT ?p ?o WHERE {{ {values('s', [iri])} GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}")
    found = firings_concluding(DOMAIN_RULES, [(iri, row["p"], row["o"]) for row in rows], select)
    return _explained([(triple, firing) for triple, firings in sorted(found.items()) for firing in firings], lang)


def consequences(iri: URIRef, lang: str) -> list[Explanation]:
    """What the domain rules inferred from the facts about *iri*, each with its rule and premises."""
    firings = firings_reading(DOMAIN_RULES, iri, select)
    candidates = {
        c for firing in firings for c in firing.conclusions if c[0] != iri and not any(isinstance(t, BNode) for t in c)
    }  # a query cannot name a blank node
    if not candidates:
        return []
    table = " ".join(f"({s.n3()} {p.n3()} {o.n3()})" for s, p, o in candidates)
    rows = select(f"SELECT * WHERE {{ VALUES (?s ?p ?o) {{ {table} }} GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}")
    inferred = {(row["s"], row["p"], row["o"]) for row in rows}
    shown = [(c, firing) for firing in firings for c in firing.conclusions if c in inferred]
    return _explained(sorted(shown, key=lambda pair: pair[0]), lang)


def _explained(pairs: list[tuple[tuple[Node, Node, Node], Firing]], lang: str) -> list[Explanation]:
    terms = {firing.rule.iri for _, firing in pairs}
    for triple, firing in pairs:
        terms.update(triple, *firing.premises)
    names = labels(terms, lang)
    show = lambda t: Statement(_shown(t[0], names), link(t[1], names), _shown(t[2], names))  # noqa: E731
    return [
        Explanation(show(triple), link(firing.rule.iri, names), [show(p) for p in firing.premises])
        for triple, firing in pairs
    ]


def _shown(node: Node, names: dict[str, str]) -> Link | str:
    if isinstance(node, URIRef):
        return link(node, names)
    if isinstance(node, BNode):
        return "[ ]"
    return str(node)


# ------------------------------------------------------------------ any resource


@dataclass
class Row:
    """One property and value of the generic table; nested rows for a blank node."""

    predicate: Link
    value: Link | str
    language: str | None = None
    graph: str = ""
    inferred: bool = False
    nested: list[Row] = field(default_factory=list)


def statements(iri: URIRef, lang: str) -> list[Row]:
    """Every triple with *iri* as subject, in every graph, blank-node values expanded one level."""
    rows = select(
        f"SELECT ?p ?o ?g ?p2 ?o2 WHERE {{ {values('this', [iri])} "
        "GRAPH ?g { ?this ?p ?o OPTIONAL { FILTER(isBlank(?o)) ?o ?p2 ?o2 } } } ORDER BY ?p ?o ?p2"
    )
    names = labels({r[k] for r in rows for k in ("p", "o", "p2", "o2") if k in r}, lang)
    shown: dict[tuple, Row] = {}
    for row in rows:
        key = (row["p"], row["o"], row["g"])
        if key not in shown:
            shown[key] = _row(row["p"], row["o"], names, row["g"])
        if "p2" in row:
            shown[key].nested.append(_row(row["p2"], row["o2"], names, row["g"]))
    return sorted(shown.values(), key=lambda r: (r.predicate.iri != str(RDF.type), short(r.predicate.iri)))


def _row(predicate: Node, value: Node, names: dict[str, str], graph: Node) -> Row:
    return Row(
        link(predicate, names),
        _shown(value, names),
        getattr(value, "language", None),
        local_name(graph),
        graph in DERIVED_GRAPHS,
    )


def referenced_by(iri: URIRef, lang: str, limit: int = 200) -> list[tuple[Link, Link]]:
    """Resources below ``id:`` that point at *iri*, with the property they use."""
    rows = select(
        f"SELECT DISTINCT ?s ?p WHERE {{ {values('this', [iri])} ?s ?p ?this "
        "FILTER(isIRI(?s) && STRSTARTS(STR(?s), STR(id:))) } "
        f"ORDER BY ?s ?p LIMIT {limit}"
    )
    names = labels({r[k] for r in rows for k in ("s", "p")}, lang)
    return [(link(r["s"], names), link(r["p"], names)) for r in rows]


def types(iri: URIRef) -> set[URIRef]:
    return {r["t"] for r in select(f"SELECT DISTINCT ?t WHERE {{ {values('this', [iri])} ?this a ?t }}")}


# ------------------------------------------------------------------ organizations


@dataclass
class DealLine:
    """A deal as a row of an organization's page."""

    deal: Link
    role: str
    date: str | None
    price: Money | None
    outcome: str | None
    parties: list[tuple[str, Link]]
    evidence: list[Evidence]


@dataclass
class Period:
    """A ``dg:Ownership`` period (always inferred) and the deals that opened and closed it."""

    period: Link
    owner: Link
    owned: Link
    start: str | None
    end: str | None
    opened_by: Link | None
    closed_by: Link | None


def deals_of(org: URIRef, lang: str) -> dict[str, list[DealLine]]:
    """The deals *org* took part in, by role, in date order, with parties, price, outcome, evidence."""
    rows = select(
        f"""SELECT ?deal ?role ?date ?amount ?currency ?approx ?outcome ?sort WHERE {{
          {values("org", [org])}
          VALUES ?role {{ dg:acquirer dg:target dg:seller dg:competingBidder }}
          ?deal ?role ?org . ?deal a dg:Deal .
          FILTER(STRSTARTS(STR(?deal), STR(id:)))
          OPTIONAL {{ ?deal dg:date ?date }}
          OPTIONAL {{ ?deal dg:price ?price . ?price schema:value ?amount ; schema:currency ?currency
                      OPTIONAL {{ ?price dg:approximate ?approx }} }}
          OPTIONAL {{ ?deal dg:outcome ?outcome }}
          OPTIONAL {{ ?deal dg:dateEarliest ?earliest }}
          OPTIONAL {{ ?deal dg:scheduledDate ?scheduled }}
          OPTIONAL {{ ?deal dg:after/dg:dateEarliest ?afterEarliest }}
          BIND(COALESCE(STR(?earliest), STR(?scheduled), CONCAT(STR(?afterEarliest), "+"), "9999") AS ?sort)
        }} ORDER BY ?sort ?deal"""
    )
    deals = {r["deal"] for r in rows}
    parties = _parties(deals)
    names = labels(deals | {p for found in parties.values() for _, p in found}, lang)
    found_evidence = evidence(deals, lang)
    by_role: dict[str, list[DealLine]] = {role: [] for role in ROLES}
    for row in rows:
        role = local_name(row["role"])
        others = [(r, link(p, names)) for r, p in parties[row["deal"]] if p != org]
        by_role[role].append(
            DealLine(
                link(row["deal"], names),
                role,
                str(row["date"]) if "date" in row else None,
                money(row.get("amount"), row.get("currency"), row.get("approx")),
                term(local_name(row["outcome"]), lang) if "outcome" in row else None,
                others,
                found_evidence.get(str(row["deal"]), []),
            )
        )
    return by_role


def _parties(deals: set[Node]) -> dict[Node, list[tuple[str, Node]]]:
    if not deals:
        return defaultdict(list)
    # From the deals alone (a second VALUES table for the roles made Oxigraph scan every
    # triple of each role: 2.7 s for the 469 deals of the 1 M graph's largest acquirer).
    rows = select(
        f"SELECT ?deal ?role ?party WHERE {{ {values('deal', deals)} ?deal ?role ?party "
        "FILTER(?role IN (dg:acquirer, dg:target, dg:seller, dg:competingBidder) "
        "&& STRSTARTS(STR(?party), STR(id:))) } ORDER BY ?deal ?role ?party"
    )
    found: dict[Node, list[tuple[str, Node]]] = defaultdict(list)
    for row in rows:
        found[row["deal"]].append((local_name(row["role"]), row["party"]))
    return found


def ownership_periods(org: URIRef, lang: str) -> tuple[list[Period], list[Period]]:
    """The periods in which *org* owned something, and those in which something owned it."""
    # One query per side, each starting from the organization: as one query with a
    # FILTER on either side, Oxigraph read every period (0.45 s at 1 M triples).
    rows = [
        row
        for side in ("owner", "owned")
        for row in select(
            f"""SELECT ?period ?owner ?owned ?start ?end ?opened ?closed WHERE {{
              {values(side, [org])}
              ?period dg:{side} ?{side} ; a dg:Ownership ; dg:owner ?owner ; dg:owned ?owned .
              FILTER(STRSTARTS(STR(?period), STR(id:)) && STRSTARTS(STR(?owner), STR(id:))
                     && STRSTARTS(STR(?owned), STR(id:)))
              OPTIONAL {{ ?period dg:startDate ?start }} OPTIONAL {{ ?period dg:endDate ?end }}
              OPTIONAL {{ ?period dg:openedBy ?opened }} OPTIONAL {{ ?period dg:closedBy ?closed }}
              OPTIONAL {{ ?period dg:startEarliest ?sort }}
            }} ORDER BY ?sort ?period"""
        )
    ]
    names = labels({r[k] for r in rows for k in ("period", "owner", "owned", "opened", "closed") if k in r}, lang)
    owned, owners, seen = [], [], set()
    for row in rows:
        if (row["period"], row["owner"], row["owned"]) in seen:  # an organization owning itself: both sides
            continue
        seen.add((row["period"], row["owner"], row["owned"]))
        period = Period(
            link(row["period"], names),
            link(row["owner"], names),
            link(row["owned"], names),
            str(row["start"]) if "start" in row else None,
            str(row["end"]) if "end" in row else None,
            link(row["opened"], names) if "opened" in row else None,
            link(row["closed"], names) if "closed" in row else None,
        )
        (owned if row["owner"] == org else owners).append(period)
    return owned, owners


def organization(org: URIRef, lang: str) -> dict:
    """Everything an organization's page shows."""
    rows = select(
        f"""SELECT ?kind ?value WHERE {{ {values("org", [org])}
          {{ VALUES ?naming {{ rdfs:label skos:altLabel schema:name }} ?org ?naming ?value BIND("name" AS ?kind) }}
          UNION {{ ?org rdfs:comment ?value BIND("comment" AS ?kind) }}
          UNION {{ ?org owl:sameAs|skos:exactMatch ?value FILTER(STRSTARTS(STR(?value), STR(wd:)))
                   BIND("wikidata" AS ?kind) }}
          UNION {{ ?org dg:operates ?value FILTER(STRSTARTS(STR(?value), STR(id:))) BIND("operates" AS ?kind) }}
          UNION {{ ?value dg:operates ?org FILTER(STRSTARTS(STR(?value), STR(id:))) BIND("operated_by" AS ?kind) }}
          UNION {{ ?value dg:organization|dg:integrated|dg:into|dg:concerns|dg:founder|dg:investor ?org ; a dg:Event
                  FILTER(STRSTARTS(STR(?value), STR(id:))) BIND("event" AS ?kind) }}
        }}"""
    )
    found: dict[str, list[Node]] = defaultdict(list)
    for row in rows:
        if row["value"] not in found[str(row["kind"])]:
            found[str(row["kind"])].append(row["value"])
    names_shown = sorted({(str(n), getattr(n, "language", None) or "") for n in found["name"]})
    related = set(found["operates"]) | set(found["operated_by"]) | set(found["event"])
    names = labels(related, lang)
    owned, owners = ownership_periods(org, lang)
    return {
        "names": names_shown,
        "comment": pick_literal(found["comment"], lang),
        "wikidata": [
            (str(w)[len(str(WD)) :], f"https://www.wikidata.org/wiki/{str(w)[len(str(WD)) :]}")
            for w in found["wikidata"]
        ],
        "operates": sorted((link(x, names) for x in found["operates"]), key=lambda x: x.label),
        "operated_by": sorted((link(x, names) for x in found["operated_by"]), key=lambda x: x.label),
        "deals": deals_of(org, lang),
        "owned": owned,
        "owners": owners,
        "events": events(set(found["event"]), lang),
        "evidence": evidence({org}, lang).get(str(org), []),
    }


def events(nodes: set[Node], lang: str) -> list[tuple[Link, str | None, list[Evidence]]]:
    """Events with their dates and evidence, in date order (undated last)."""
    if not nodes:
        return []
    rows = select(
        f"SELECT ?e ?date ?sort WHERE {{ {values('e', nodes)} OPTIONAL {{ ?e dg:date ?date }} "
        'OPTIONAL { ?e dg:dateEarliest ?earliest } BIND(COALESCE(STR(?earliest), "9999") AS ?sort) } ORDER BY ?sort ?e'
    )
    names = labels(nodes, lang)
    found = evidence(set(nodes), lang)
    return [(link(r["e"], names), str(r["date"]) if "date" in r else None, found.get(str(r["e"]), [])) for r in rows]


# ------------------------------------------------------------------ deals


def deal(iri: URIRef, lang: str) -> dict:
    """Everything a deal's page shows."""
    rows = select(
        f"""SELECT ?kind ?value ?amount ?currency ?approx WHERE {{ {values("deal", [iri])}
          {{ VALUES ?p {{ dg:acquirer dg:target dg:seller dg:competingBidder }} ?deal ?p ?value
             FILTER(STRSTARTS(STR(?value), STR(id:))) BIND(STRAFTER(STR(?p), "#") AS ?kind) }}
          UNION {{ VALUES ?p {{ dg:date dg:scheduledDate dg:after dg:outcome rdfs:comment prov:wasDerivedFrom }}
                   ?deal ?p ?value BIND(STRAFTER(STR(?p), "#") AS ?kind) }}
          UNION {{ ?deal dg:price ?price . ?price schema:value ?amount ; schema:currency ?currency
                   OPTIONAL {{ ?price dg:approximate ?approx }} BIND("price" AS ?kind) }}
          UNION {{ ?deal a ?value FILTER(?value IN (dg:Acquisition, dg:Divestiture)) BIND("type" AS ?kind) }}
        }}"""
    )
    found: dict[str, list[Node]] = defaultdict(list)
    price = None
    for row in rows:
        if str(row["kind"]) == "price":
            price = money(row["amount"], row["currency"], row.get("approx"))
        elif row["value"] not in found[str(row["kind"])]:
            found[str(row["kind"])].append(row["value"])
    names = labels({v for k in (*ROLES, "after", "wasDerivedFrom") for v in found[k]}, lang)
    claims = _claims(iri, lang)
    return {
        "parties": [(role, [link(v, names) for v in sorted(found[role])]) for role in ROLES if found[role]],
        "kinds": sorted(term(local_name(t), lang) for t in found["type"]),
        "date": str(found["date"][0]) if found["date"] else None,
        "scheduled": str(found["scheduledDate"][0]) if found["scheduledDate"] else None,
        "after": [link(v, names) for v in found["after"]],
        "price": price,
        "outcome": term(local_name(found["outcome"][0]), lang) if found["outcome"] else None,
        "comment": pick_literal(found["comment"], lang),
        "sources": sorted((link(v, names) for v in found["wasDerivedFrom"]), key=lambda x: x.label),
        "evidence": evidence({iri}, lang).get(str(iri), []),
        "claims": claims,
        "consequences": consequences(iri, lang),
    }


def _claims(iri: URIRef, lang: str) -> list[dict]:
    rows = select(
        f"""SELECT ?claim ?p ?o ?amount ?currency WHERE {{ {values("deal", [iri])}
          ?claim a dg:Claim ; rdf:subject ?deal ; rdf:predicate ?p ; rdf:object ?o .
          OPTIONAL {{ ?o schema:value ?amount ; schema:currency ?currency }} }} ORDER BY ?claim"""
    )
    names = labels({r[k] for r in rows for k in ("claim", "p")}, lang)
    found = evidence({r["claim"] for r in rows}, lang)
    claims = []
    for row in rows:
        value = money(row.get("amount"), row.get("currency")) if "amount" in row else _shown(row["o"], names)
        claims.append(
            {
                "claim": link(row["claim"], names),
                "statement": Statement(link(iri, names), link(row["p"], names), value),
                "evidence": found.get(str(row["claim"]), []),
            }
        )
    return claims
