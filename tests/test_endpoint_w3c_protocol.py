"""The W3C SPARQL 1.1 Protocol test suite (``../shared/suites/sparql11/protocol``), over HTTP.

Each test of the manifest is a list of HTTP requests with the status class, format and
boolean expected of each answer. The servers run on the small dataset, whose graphs
are the suite's ``data1.nt`` … ``data3.nt`` under the names the suite gives them.

The suite sends updates to the query endpoint; here they go to ``POST /update`` (updates
have their own endpoint, and need a token) of a writable server, and the queries of
the same tests to that server's ``/sparql``. Six update tests start with ``CLEAR ALL`` or
``DROP ALL``, which this server refuses with a 403: ``ALL`` takes in the graphs reasoning
derives, which no write may change (:mod:`dealgraph.writes`). They are expected to fail
for that refusal and for no other reason; what four of them check of ``using-graph-uri``
and ``using-named-graph-uri`` is also checked on a pyoxigraph Store, with the rewriting
``/update`` does (:func:`test_w3c_update_dataset_on_a_store`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
import requests
from conftest import SHARED, UPDATE_TOKEN, RunningServer
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection
from rdflib.query import Result

from dealgraph.update_dataset import using_dataset

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

MANIFEST = SHARED / "suites" / "sparql11" / "protocol" / "manifest.ttl"
RESULT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
RDF_FORMATS = {"text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"}


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[str]
    expected_format: str | None
    expected_boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[ProtocolRequest, ...]


def _request(manifest: Graph, node) -> ProtocolRequest:
    headers = {}
    header_list = manifest.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(manifest, header_list):
            headers[str(manifest.value(header, HT.fieldName))] = str(manifest.value(header, HT.fieldValue))
    body_node = manifest.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(manifest.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(manifest.value(body_node, CNT.chars)).encode(encoding)
    response = manifest.value(node, HT.resp)
    statuses = frozenset(str(s).rsplit("#", 1)[1] for s in manifest.objects(response, MF.expectedStatus))
    expected_boolean = manifest.value(response, MF.expectedBoolean)
    expected_format = manifest.value(response, MF.expectedFormat)
    return ProtocolRequest(
        method=str(manifest.value(node, HT.methodName)),
        path="/sparql" + str(manifest.value(node, HT.absolutePath)).removeprefix("/sparql/"),
        headers=headers,
        body=body,
        statuses=statuses,
        expected_format=str(expected_format) if expected_format is not None else None,
        expected_boolean=expected_boolean.toPython() if expected_boolean is not None else None,
    )


def protocol_tests() -> list[ProtocolTest]:
    if not MANIFEST.exists():
        return []
    manifest = Graph().parse(MANIFEST, format="turtle")
    tests = []
    entries = manifest.value(next(manifest.subjects(RDF.type, MF.Manifest)), MF.entries)
    for test in Collection(manifest, entries):
        action = manifest.value(test, MF.action)
        requests_list = Collection(manifest, manifest.value(action, HT.requests))
        tests.append(
            ProtocolTest(
                name=str(test).rsplit("#", 1)[1],
                title=str(manifest.value(test, MF.name)),
                requests=tuple(_request(manifest, r) for r in requests_list),
            )
        )
    return tests


TESTS = protocol_tests()
UPDATE_TESTS = [t for t in TESTS if "update" in t.name]
QUERY_TESTS = [t for t in TESTS if t not in UPDATE_TESTS]


def _status_class(status: int) -> str:
    return f"StatusCode{status // 100}xx"


def _check(response: requests.Response, expected: ProtocolRequest) -> None:
    if expected.statuses:  # update_base_uri's query expects nothing: the base IRI is the service's choice
        assert _status_class(response.status_code) in expected.statuses, (response.status_code, response.text[:500])
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if expected.expected_format in ("boolean", "tabular"):
        assert media_type in RESULT_FORMATS, media_type
    if expected.expected_format == "RDF":
        assert media_type in RDF_FORMATS, media_type
        Graph().parse(data=response.text, format=media_type)
    if expected.expected_boolean is not None:
        result = Result.parse(io.BytesIO(response.content), format=RESULT_FORMATS[media_type])
        assert result.askAnswer is expected.expected_boolean


def _send(server: RunningServer, request: ProtocolRequest, path: str, headers: dict[str, str]) -> requests.Response:
    headers = {**request.headers, **headers}
    return requests.request(request.method, server.url + path, headers=headers, data=request.body, timeout=30)


def _is_query(request: ProtocolRequest) -> bool:
    content_type = {k.lower(): v for k, v in request.headers.items()}.get("content-type", "")
    return content_type.startswith("application/sparql-query")


def _refused_as_derived(response: requests.Response) -> str | None:
    """The server's reason when it refused a write for changing the graphs reasoning derives."""
    if response.status_code != 403 or "cannot be written" not in response.text:
        return None
    return response.json()["error"]["detail"]


@pytest.mark.parametrize("test", QUERY_TESTS, ids=[t.name for t in QUERY_TESTS])
def test_w3c_protocol(strict_endpoint, test: ProtocolTest):
    for request in test.requests:
        _check(_send(strict_endpoint, request, request.path, {}), request)


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=[t.name for t in UPDATE_TESTS])
def test_w3c_protocol_update(writable_endpoint, test: ProtocolTest):
    for request in test.requests:
        if _is_query(request):
            response = _send(writable_endpoint, request, request.path, {})
        else:
            path = "/update" + request.path.removeprefix("/sparql")
            response = _send(writable_endpoint, request, path, {"Authorization": f"Bearer {UPDATE_TOKEN}"})
        refusal = _refused_as_derived(response)
        if refusal is not None:
            pytest.xfail(f"403, as this server answers every write that would clear what reasoning derives: {refusal}")
        _check(response, request)


def _ask_after(update: str, ask: str) -> bool:
    store = ox.Store()
    store.update(update)
    return bool(store.query(ask))


@pytest.mark.parametrize(
    "test", [t for t in UPDATE_TESTS if t.name.startswith("update_dataset")], ids=lambda t: t.name
)
def test_w3c_update_dataset_on_a_store(test: ProtocolTest):
    """The suite's updates with using-graph-uri / using-named-graph-uri, rewritten as /update does, on a Store."""
    update, ask = test.requests
    parameters = parse_qs(urlsplit(update.path).query)
    graphs, named_graphs = parameters.get("using-graph-uri", []), parameters.get("using-named-graph-uri", [])
    text, query = update.body.decode("utf-8"), ask.body.decode("utf-8")
    assert (graphs or named_graphs) and ask.expected_boolean is True
    assert _ask_after(using_dataset(text, graphs, named_graphs).text, query)
    assert not _ask_after(text, query), "the check passes without the dataset too: it would prove nothing"


def test_the_suite_is_here_and_complete():
    if not MANIFEST.exists():
        pytest.skip(f"{MANIFEST} is not here (the shared folder comes with the workplace, not the repository)")
    assert len(TESTS) == 34
