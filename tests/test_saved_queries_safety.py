"""Every parameter of every shipped query: its example finds rows, nonsense finds fewer, and
injected SPARQL is either refused (a ParameterError, a 400 over HTTP) or finds exactly what a
harmless value finds — through the library and through a running server."""

from __future__ import annotations

import pytest
import requests
from rdflib import Literal

from dealgraph.saved_queries import ParameterError, run_saved_query, saved_queries

QUERIES = saved_queries()
PARAMETERS = [(q.name, p) for q in QUERIES.values() for p in q.parameters]
IDS = [f"{name}.{p.name}" for name, p in PARAMETERS]

#: Text that would change the query if it were pasted into it.
INJECTIONS = [
    '"',
    "'",
    '" } UNION { ?s ?p ?o } #',
    "' } UNION { ?s ?p ?o } #",
    "} UNION { ?s ?p ?o }",
    "Alapage\" . ?s ?p ?o . FILTER(\"",
    "SERVICE <http://127.0.0.1:1/> { ?s ?p ?o }",
    "; DROP ALL",
    "<http://a/> } ; DROP ALL ; SELECT * { ",
    "http://example.org/a> } UNION { ?s ?p ?o } <x",
    "http://example.org/with space",
    "https://w3id.org/dealgraph/id/org/alapage> . ?s ?p ?o . <x",
    '""" } UNION { ?s ?p ?o } #@en',
    "x@en } UNION { ?s ?p ?o }",
    "} UNION { ?s ?p ?o } x@en",
    "1 } UNION { ?s ?p ?o }",
    "1999-09 } UNION { ?s ?p ?o }",
    "50000000 EUR } UNION { ?s ?p ?o }",
    "dg:Completed } UNION { ?s ?p ?o }",
    "?_x",
    "\\u0022 } UNION { ?s ?p ?o }",
]

#: A valid value of each type that matches nothing in the data.
HARMLESS = {
    "iri": "urn:x-dealgraph-test:harmless",
    "string": "harmless",
    "langString": "harmless@en",
}

#: Values outside anything in the data: each type's "nonsense" candidates (the fewest rows count).
NONSENSE = {
    "iri": ["urn:x-dealgraph-test:nothing"],
    "organization": ["Nonexistent Widgets Incorporated"],
    "string": ["zzz-nothing-zzz"],
    "langString": ["zzz-nothing-zzz@en"],
    "integer": ["999999"],
    "decimal": ["999999999999"],
    "money": ["999999999999 XXX"],
    "date": ["1066-10-14", "2999-12-31"],
    "gYearMonth": ["1066-10", "2999-12"],
    "gYear": ["1066", "2999"],
    "enum": ["not-a-declared-value"],
}


@pytest.fixture(scope="module")
def in_the_data(knowledge_graph):
    """Whether some literal of the dataset contains *text* (then finding it is not an injection)."""

    def in_the_data(text: str) -> bool:
        found = "SELECT ?text { ?s ?p ?o FILTER(isLiteral(?o) && CONTAINS(LCASE(STR(?o)), LCASE(?text))) } LIMIT 1"
        return bool(knowledge_graph.select(found, text=Literal(text)))

    return in_the_data


@pytest.fixture(scope="module")
def rows_of(knowledge_graph):
    """Rows of a query with one parameter set (others at their defaults), or None if refused."""

    def rows_of(name: str, parameter: str, value: str) -> list[dict] | None:
        try:
            return list(run_saved_query(knowledge_graph.store, QUERIES[name], {parameter: value}).rows())
        except ParameterError:
            return None

    return rows_of


def _with_examples(knowledge_graph, name, overrides):
    examples = {p.name: p.example for p in QUERIES[name].parameters}
    return list(run_saved_query(knowledge_graph.store, QUERIES[name], {**examples, **overrides}).rows())


@pytest.mark.parametrize("name, parameter", PARAMETERS, ids=IDS)
def test_the_example_finds_rows_and_nonsense_finds_fewer(knowledge_graph, rows_of, name, parameter):
    example = rows_of(name, parameter.name, parameter.example)
    if not example:  # an example meant together with the query's other examples
        example = _with_examples(knowledge_graph, name, {})
    assert example, f"{name}: the example {parameter.example!r} of {parameter.name!r} finds no rows"
    fewest = min(len(rows_of(name, parameter.name, value) or []) for value in NONSENSE[parameter.type])
    assert fewest < len(example)


@pytest.mark.parametrize("name, parameter", PARAMETERS, ids=IDS)
def test_injection_through_the_library_is_refused_or_harmless(rows_of, in_the_data, name, parameter):
    harmless = rows_of(name, parameter.name, HARMLESS.get(parameter.type, ""))
    for payload in INJECTIONS:
        if parameter.type == "string" and in_the_data(payload):
            continue  # text the data holds (an apostrophe): finding it is the search working
        found = rows_of(name, parameter.name, payload)
        assert found is None or found == harmless, f"{name}.{parameter.name} = {payload!r}"


def _bindings(response: requests.Response) -> list[dict] | None:
    if response.status_code == 400:
        error = response.json()["error"]
        assert error["parameter"]
        return None
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


@pytest.mark.parametrize("name, parameter", PARAMETERS, ids=IDS)
def test_injection_over_http_is_a_400_or_harmless(endpoint, in_the_data, name, parameter):
    url = f"{endpoint.url}/queries/{name}"
    with requests.Session() as http:
        harmless = _bindings(http.get(url, params={parameter.name: HARMLESS.get(parameter.type, "")}, timeout=30))
        for payload in INJECTIONS:
            if parameter.type == "string" and in_the_data(payload):
                continue
            found = _bindings(http.get(url, params={parameter.name: payload, "format": "json"}, timeout=30))
            assert found is None or found == harmless, f"{name}.{parameter.name} = {payload!r}"
