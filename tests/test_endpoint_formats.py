"""Every result format, chosen by Accept (with q-values) or ?format=, read back by a real parser."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest
import requests
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result

ALAPAGE = "https://w3id.org/dealgraph/id/org/alapage"
FRANCE_TELECOM = "https://w3id.org/dealgraph/id/org/france-telecom"

#: IRIs, language-tagged and typed literals, and an unbound variable in one answer.
SELECT = f"""PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?deal ?label ?value ?nothing WHERE {{
  ?deal dg:acquirer <{FRANCE_TELECOM}> ; dg:target <{ALAPAGE}> ; dg:price/schema:value ?value .
  <{FRANCE_TELECOM}> rdfs:label ?label .
}} ORDER BY ?label"""

#: A graph with a blank node (the price), so isomorphism, not equality, compares them.
CONSTRUCT = f"""PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX schema: <https://schema.org/>
CONSTRUCT {{ ?deal dg:target ?t ; dg:price [ schema:value ?v ; schema:currency ?c ] . ?t ?p ?o }}
WHERE {{ ?deal dg:acquirer <{FRANCE_TELECOM}> ; dg:target ?t ; dg:price [ schema:value ?v ; schema:currency ?c ] .
        FILTER(?t = <{ALAPAGE}>) ?t ?p ?o }}"""

ASK = f"ASK {{ <{FRANCE_TELECOM}> <https://w3id.org/dealgraph/ontology#owns> <{ALAPAGE}> }}"

SOLUTION_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
GRAPH_TYPES = {
    "turtle": ("text/turtle; charset=utf-8", "turtle"),
    "ntriples": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "json-ld"),
    "rdfxml": ("application/rdf+xml", "xml"),
    "trig": ("application/trig", "trig"),
    "nquads": ("application/n-quads", "nquads"),
}


def ask(endpoint, query: str, accept: str | None = None, **params) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(f"{endpoint.url}/sparql", params={"query": query, **params}, headers=headers)


class _Cells(HTMLParser):
    """The text of each table row of an HTML page."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_rows(text: str) -> list[list[str]]:
    parser = _Cells()
    parser.feed(text)
    return parser.rows


@pytest.fixture(scope="module")
def expected_rows(endpoint) -> list[dict]:
    """The answer as SPARQL JSON, the reference the other formats are compared to."""
    return json.loads(ask(endpoint, SELECT, "application/sparql-results+json").text)["results"]["bindings"]


def test_json_results_hold_the_facts(expected_rows):
    labels = {(row["label"]["value"], row["label"].get("xml:lang")) for row in expected_rows}
    assert ("France Télécom", None) in labels and ("France Telecom", "en") in labels
    assert {row["value"]["value"] for row in expected_rows} == {"50000000"}
    assert all("nothing" not in row for row in expected_rows)


@pytest.mark.parametrize("name", ["xml", "csv", "tsv", "json"])
def test_select_results_round_trip_through_rdflib(endpoint, expected_rows, name):
    response = ask(endpoint, SELECT, SOLUTION_TYPES[name].split(";")[0])
    assert response.headers["Content-Type"] == SOLUTION_TYPES[name]
    result = Result.parse(io.BytesIO(response.content), format=name)
    assert [str(v) for v in result.vars] == ["deal", "label", "value", "nothing"]
    parsed = [{str(k): v for k, v in row.asdict().items()} for row in result]
    assert len(parsed) == len(expected_rows)
    for row, reference in zip(parsed, expected_rows, strict=True):
        assert str(row["deal"]) == reference["deal"]["value"]
        assert str(row["label"]) == reference["label"]["value"]
        if name in ("json", "xml", "tsv"):
            assert row["label"] == Literal(reference["label"]["value"], lang=reference["label"].get("xml:lang"))
        assert "nothing" not in row or row["nothing"] in (None, Literal(""))


def test_csv_reads_with_the_standard_library(endpoint, expected_rows):
    rows = list(csv.DictReader(io.StringIO(ask(endpoint, SELECT, format="csv").text)))
    assert [r["label"] for r in rows] == [r["label"]["value"] for r in expected_rows]
    assert {r["value"] for r in rows} == {"50000000"}


def test_html_table_for_browsers(endpoint, expected_rows):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = ask(endpoint, SELECT, browser)
    assert response.headers["Content-Type"] == SOLUTION_TYPES["html"]
    header, *rows = html_rows(response.text)
    assert header == ["deal", "label", "value", "nothing"]
    assert [r[0] for r in rows] == [r["deal"]["value"] for r in expected_rows]


@pytest.mark.parametrize("name", ["json", "xml"])
def test_ask_round_trips_through_rdflib(endpoint, name):
    response = ask(endpoint, ASK, format=name)
    assert response.headers["Content-Type"] == SOLUTION_TYPES[name]
    assert Result.parse(io.BytesIO(response.content), format=name).askAnswer is True


@pytest.fixture(scope="module")
def reference_graph(endpoint) -> Graph:
    graph = Graph().parse(data=ask(endpoint, CONSTRUCT, "application/n-triples").text, format="nt")
    assert (URIRef(ALAPAGE), None, None) in graph
    return graph


@pytest.mark.parametrize("name", sorted(GRAPH_TYPES))
def test_construct_round_trips_through_rdflib(endpoint, reference_graph, name):
    media_type, rdflib_format = GRAPH_TYPES[name]
    response = ask(endpoint, CONSTRUCT, media_type.split(";")[0])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == media_type
    if rdflib_format in ("trig", "nquads"):
        parsed = Dataset()
        parsed.parse(data=response.text, format=rdflib_format)
        graph = Graph()
        for s, p, o, _ in parsed.quads((None, None, None, None)):
            graph.add((s, p, o))
    else:
        graph = Graph().parse(data=response.text, format=rdflib_format)
    assert isomorphic(graph, reference_graph)


def test_construct_as_html_lists_the_triples(endpoint, reference_graph):
    response = ask(endpoint, CONSTRUCT, format="html")
    header, *rows = html_rows(response.text)
    assert header == ["subject", "predicate", "object"]
    assert len(rows) == len(reference_graph)


def test_q_values_decide(endpoint):
    accept = "text/csv;q=0.5, application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.1"
    assert ask(endpoint, SELECT, accept).headers["Content-Type"] == SOLUTION_TYPES["xml"]
    accept = "text/turtle;q=0.2, application/n-triples"
    assert ask(endpoint, CONSTRUCT, accept).headers["Content-Type"] == "application/n-triples"


def test_wildcards_and_no_preference_get_the_defaults(endpoint):
    assert ask(endpoint, SELECT, "*/*").headers["Content-Type"] == SOLUTION_TYPES["json"]
    assert ask(endpoint, CONSTRUCT, "*/*").headers["Content-Type"] == GRAPH_TYPES["turtle"][0]
    assert ask(endpoint, SELECT, "text/*").headers["Content-Type"] == SOLUTION_TYPES["csv"]


def test_format_parameter_wins_over_accept(endpoint):
    response = ask(endpoint, SELECT, "application/sparql-results+xml", format="tsv")
    assert response.headers["Content-Type"] == SOLUTION_TYPES["tsv"]
    response = ask(endpoint, CONSTRUCT, "text/turtle", format="application/ld+json")
    assert response.headers["Content-Type"] == "application/ld+json"


def test_unsatisfiable_accept_is_a_406_listing_what_is_offered(endpoint):
    response = ask(endpoint, SELECT, "image/png")
    assert response.status_code == 406
    error = response.json()["error"]
    assert error["status"] == 406
    assert error["offered"] == list(SOLUTION_TYPES[n].split(";")[0] for n in ("json", "xml", "csv", "tsv", "html"))
    response = ask(endpoint, CONSTRUCT, "application/sparql-results+json")
    assert response.status_code == 406
    assert "text/turtle" in response.json()["error"]["offered"]


def test_a_format_of_the_wrong_kind_is_a_406(endpoint):
    response = ask(endpoint, CONSTRUCT, format="csv")
    assert response.status_code == 406


def test_an_unknown_format_is_a_400(endpoint):
    response = ask(endpoint, SELECT, format="yaml")
    assert response.status_code == 400
    assert "yaml" in response.json()["error"]["detail"]
